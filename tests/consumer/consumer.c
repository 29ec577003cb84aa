/* SPDX-License-Identifier: MIT */
/*
 * A tiny program outside the libvpci tree, built against an installed
 * libvpci (pkg-config or find_package(vpci)) by scripts/consumer.sh.
 * It uses only the public API: declare a model, create a function from it,
 * read its config space back.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/pci_regs.h>
#include <vpci/vpci.h>

#define CONSUMER_VENDOR 0x1b36   /* Red Hat, Inc. (QEMU's PCI IDs) */
#define CONSUMER_DEVICE 0x10fe

static int consumer_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    const struct vpci_identity id = {
        .vendor_id = CONSUMER_VENDOR,
        .device_id = CONSUMER_DEVICE,
        .class_code = 0xff0000,   /* unassigned class */
        .interrupt_pin = 1,
    };
    int rc;

    (void)props;
    rc = vpci_dev_set_identity(dev, &id);
    if (rc == 0)
        rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
    if (rc == 0)
        rc = vpci_cap_add_msi(dev, 0, 1, VPCI_MSI_64BIT, NULL);
    return rc;
}

static const struct vpci_model consumer_model = {
    .name = "consumer",
    .desc = "out-of-tree consumer check",
    .init = consumer_init,
};

int main(void)
{
    struct vpci_dev *dev = NULL;
    int rc = vpci_dev_create(&consumer_model, NULL, NULL, NULL, &dev);
    if (rc != 0) {
        fprintf(stderr, "consumer: vpci_dev_create failed: %d\n", rc);
        return EXIT_FAILURE;
    }

    uint32_t vendor = vpci_cfg_read(dev, PCI_VENDOR_ID, 2);
    uint32_t device = vpci_cfg_read(dev, PCI_DEVICE_ID, 2);
    unsigned msi = vpci_cap_find(dev, PCI_CAP_ID_MSI);
    if (vendor != CONSUMER_VENDOR || device != CONSUMER_DEVICE || msi == 0) {
        fprintf(stderr,
                "consumer: unexpected device: vendor %04x device %04x msi at 0x%x\n",
                (unsigned)vendor, (unsigned)device, msi);
        vpci_dev_destroy(dev);
        return EXIT_FAILURE;
    }

    printf("consumer: %04x:%04x, MSI capability at 0x%02x (libvpci %d.%d.%d)\n",
           (unsigned)vendor, (unsigned)device, msi, VPCI_VERSION_MAJOR,
           VPCI_VERSION_MINOR, VPCI_VERSION_PATCH);
    vpci_dev_destroy(dev);
    printf("consumer ok\n");
    return EXIT_SUCCESS;
}
