/* SPDX-License-Identifier: MIT */
/*
 * pci-bridge: a PCI-to-PCI bridge.  The type 1 header, its masks and the
 * effects of bus number, window and secondary reset writes are libvpci's;
 * the model is the identity and an optional Slot ID capability.  See
 * include/vpci/models/pci_bridge.h.
 */
#include <errno.h>
#include <linux/pci_regs.h>

#include <vpci/models.h>
#include <vpci/models/pci_bridge.h>
#include <vpci/vpci.h>

#define SLOTID_CAP_SIZE 4u   /* ID, next, Expansion Slot, Chassis Number */
#define CHASSIS_MAX 255u

static const struct vpci_identity bridge_identity = {
    .vendor_id = PCI_BRIDGE_VENDOR_ID,
    .device_id = PCI_BRIDGE_DEVICE_ID,
    .revision = 0,
    .class_code = PCI_BRIDGE_CLASS,
    .interrupt_pin = 1,     /* INTA, as QEMU's; never asserted here */
    .bridge = true,
};

static const struct vpci_prop_desc bridge_props[] = {
    { "chassis_nr", VPCI_PROP_U32, "0",
      "chassis number 1..255: adds a Slot ID capability (0: none)" },
    { .name = NULL },
};

/* Slot Identification (PCI-to-PCI Bridge 1.2, 13.1): the first bridge in
 * its chassis, no expansion slots; software may rewrite the number. */
static int add_slot_id(struct vpci_dev *dev, uint32_t chassis)
{
    unsigned cap;
    int rc;
    if ((rc = vpci_cap_add(dev, PCI_CAP_ID_SLOTID, 0, SLOTID_CAP_SIZE,
                           &cap)) ||
        (rc = vpci_cfg_set(dev, cap + PCI_SID_ESR, 1, PCI_SID_ESR_FIC)) ||
        (rc = vpci_cfg_set(dev, cap + PCI_SID_CHASSIS_NR, 1, chassis)) ||
        (rc = vpci_cfg_set_wmask(dev, cap + PCI_SID_CHASSIS_NR, 1, 0xff)))
        return rc;
    return 0;
}

static int bridge_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    uint32_t chassis = vpci_prop_u32(props, "chassis_nr");
    int rc = vpci_dev_set_identity(dev, &bridge_identity);
    if (rc || !chassis)
        return rc;
    if (chassis > CHASSIS_MAX) {
        vpci_log(dev, VPCI_LOG_ERROR, "pci-bridge: chassis_nr %u is not 0..%u",
                 chassis, CHASSIS_MAX);
        return -EINVAL;
    }
    return add_slot_id(dev, chassis);
}

const struct vpci_model vpci_model_pci_bridge = {
    .name = "pci-bridge",
    .desc = "PCI-to-PCI bridge (type 1 header)",
    .props = bridge_props,
    .init = bridge_init,
};
