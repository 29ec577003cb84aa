/* SPDX-License-Identifier: MIT */
/*
 * The pci-bridge model (libvpci/models/pci_bridge.c): its identity, its
 * property, and the type 1 header it gets from libvpci as a guest sees it
 * through the registered model.  The generic header itself is covered by
 * test_bridge.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/pci_regs.h>
#include <vpci/models.h>
#include <vpci/models/pci_bridge.h>
#include <vpci/vpci.h>

#include "testhost.h"

static struct vpci_dev *create(struct testhost *h, const char *props)
{
    struct vpci_dev *dev = NULL;
    assert_int_equal(vpci_dev_create(vpci_model_find("pci-bridge"), props,
                                     &testhost_ops, h, &dev),
                     0);
    return dev;
}

static const struct vpci_effect *find(const struct vpci_effects *fx,
                                      enum vpci_effect_type t)
{
    for (unsigned i = 0; i < fx->count; i++)
        if (fx->fx[i].type == t)
            return &fx->fx[i];
    return NULL;
}

static void bridge_is_registered_and_identifies_like_qemus(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    assert_ptr_equal(vpci_model_find("pci-bridge"), &vpci_model_pci_bridge);
    struct vpci_dev *dev = create(h, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x00011b36);
    assert_int_equal(vpci_cfg_read(dev, PCI_CLASS_REVISION, 4), 0x06040000);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1),
                     PCI_HEADER_TYPE_BRIDGE);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_true(vpci_dev_is_bridge(dev));
    assert_false(vpci_dev_is_express(dev));
    assert_int_equal(vpci_cfg_size(dev), 256);
    /* no capabilities, no BARs, no ROM */
    assert_false(vpci_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    assert_int_equal(vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1), 0);
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_0, 4, 0xffffffff, NULL);
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_1, 4, 0xffffffff, NULL);
    vpci_cfg_write(dev, PCI_ROM_ADDRESS1, 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_BASE_ADDRESS_0, 4), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_BASE_ADDRESS_1, 4), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_ROM_ADDRESS1, 4), 0);
    /* an interrupt pin, but nothing ever asserts it */
    vpci_cfg_write(dev, PCI_COMMAND, 2,
                   PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER,
                   NULL);
    assert_false(h->intx);
    assert_int_equal(h->errors, 0);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void type1_registers_take_only_their_writable_bits(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = create(h, NULL);
    static const struct { unsigned off, len; uint32_t reads; } regs[] = {
        /* primary, secondary, subordinate, secondary latency timer */
        { PCI_PRIMARY_BUS, 4, 0xffffffff },
        /* 32-bit IO decode: the type nibbles stay 1 */
        { PCI_IO_BASE, 2, 0xf1f1 },
        { PCI_IO_BASE_UPPER16, 4, 0xffffffff },
        { PCI_MEMORY_BASE, 4, 0xfff0fff0 },
        /* 64-bit prefetchable window */
        { PCI_PREF_MEMORY_BASE, 4, 0xfff1fff1 },
        { PCI_PREF_BASE_UPPER32, 4, 0xffffffff },
        { PCI_PREF_LIMIT_UPPER32, 4, 0xffffffff },
        /* parity, SERR, ISA, VGA, VGA16, master abort, secondary reset */
        { PCI_BRIDGE_CONTROL, 2, 0x007f },
        /* secondary status is W1C and starts at 0 */
        { PCI_SEC_STATUS, 2, 0 },
        /* no subsystem IDs in a type 1 header; capability pointer RO */
        { PCI_CAPABILITY_LIST, 1, 0 },
    };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        vpci_cfg_write(dev, regs[i].off, regs[i].len, 0xffffffff, NULL);
        assert_int_equal(vpci_cfg_read(dev, regs[i].off, regs[i].len),
                         regs[i].reads);
    }
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void bus_numbers_windows_and_secondary_reset_are_effects(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = create(h, NULL);
    struct vpci_effects fx;
    const struct vpci_effect *e;

    /* firmware numbering: primary 0, secondary 1, subordinate 4 */
    vpci_cfg_write(dev, PCI_PRIMARY_BUS, 4, 0x00040100, &fx);
    assert_non_null(e = find(&fx, VPCI_FX_BRIDGE_BUSES));
    assert_int_equal(e->u.buses.primary, 0);
    assert_int_equal(e->u.buses.secondary, 1);
    assert_int_equal(e->u.buses.subordinate, 4);

    /* a memory window 0xfe000000..0xfe1fffff */
    vpci_cfg_write(dev, PCI_MEMORY_BASE, 4, 0xfe10fe00, &fx);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    assert_null(find(&fx, VPCI_FX_BRIDGE_BUSES));
    vpci_cfg_write(dev, PCI_MEMORY_BASE, 4, 0xfe10fe00, &fx);
    assert_int_equal(fx.count, 0);

    /* secondary bus reset: reported on assert and release; the bridge
     * itself keeps its bus numbers and windows */
    vpci_cfg_write(dev, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET, &fx);
    assert_non_null(e = find(&fx, VPCI_FX_BRIDGE_SEC_RESET));
    assert_true(e->u.toggle.on);
    vpci_cfg_write(dev, PCI_BRIDGE_CONTROL, 2, 0, &fx);
    assert_non_null(e = find(&fx, VPCI_FX_BRIDGE_SEC_RESET));
    assert_false(e->u.toggle.on);
    assert_int_equal(vpci_cfg_read(dev, PCI_PRIMARY_BUS, 4), 0x00040100);
    assert_int_equal(vpci_cfg_read(dev, PCI_MEMORY_BASE, 4), 0xfe10fe00);

    /* a reset of the bridge clears its header and says so */
    assert_int_equal(vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, &fx), 0);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_BUSES));
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    assert_int_equal(vpci_cfg_read(dev, PCI_PRIMARY_BUS, 4), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_MEMORY_BASE, 4), 0);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void chassis_nr_adds_a_slot_id_capability_like_qemus(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = create(h, "chassis_nr=3");
    assert_true(vpci_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    assert_int_equal(vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1), 0x40);
    assert_int_equal(vpci_cap_find(dev, PCI_CAP_ID_SLOTID), 0x40);
    /* ID 0x04, last in the list, First In Chassis with 0 slots, chassis 3 */
    assert_int_equal(vpci_cfg_read(dev, 0x40, 4), 0x03200004);
    /* only the chassis number is writable */
    vpci_cfg_write(dev, 0x40, 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, 0x40, 4), 0xff200004);
    /* reset brings back the property's number */
    vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, NULL);
    assert_int_equal(vpci_cfg_read(dev, 0x40 + PCI_SID_CHASSIS_NR, 1), 3);
    vpci_dev_destroy(dev);

    dev = create(h, "chassis_nr=0");
    assert_int_equal(vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1), 0);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void bad_chassis_nr_and_unknown_properties_are_refused(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    const struct vpci_model *m = vpci_model_find("pci-bridge");
    struct vpci_dev *dev = NULL;
    assert_int_equal(vpci_dev_create(m, "chassis_nr=256", &testhost_ops, h,
                                     &dev),
                     -EINVAL);
    assert_null(dev);
    assert_true(testhost_logged(h, "chassis_nr 256"));
    /* no PCI Express variant, no SHPC or MSI switches */
    assert_int_equal(vpci_dev_create(m, "express=on", &testhost_ops, h, &dev),
                     -EINVAL);
    assert_int_equal(vpci_dev_create(m, "msi=on", &testhost_ops, h, &dev),
                     -EINVAL);
    assert_null(dev);
    testhost_free(h);
}

static void bridge_state_survives_save_and_restore(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *a = create(h, "chassis_nr=7");
    struct vpci_dev *b = create(h, "chassis_nr=7");
    vpci_cfg_write(a, PCI_PRIMARY_BUS, 4, 0x00050200, NULL);
    vpci_cfg_write(a, PCI_IO_BASE, 2, 0x2010, NULL);
    vpci_cfg_write(a, PCI_PREF_MEMORY_BASE, 4, 0x8001c001, NULL);
    vpci_cfg_write(a, 0x40 + PCI_SID_CHASSIS_NR, 1, 9, NULL);
    void *blob;
    size_t len;
    struct vpci_effects fx;
    assert_int_equal(vpci_dev_save(a, &blob, &len), 0);
    assert_int_equal(vpci_dev_load(b, blob, len, &fx), 0);
    free(blob);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_BUSES));
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    for (unsigned off = 0; off < 256; off += 4)
        assert_int_equal(vpci_cfg_read(a, off, 4), vpci_cfg_read(b, off, 4));
    vpci_dev_destroy(a);
    vpci_dev_destroy(b);
    testhost_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bridge_is_registered_and_identifies_like_qemus),
        cmocka_unit_test(type1_registers_take_only_their_writable_bits),
        cmocka_unit_test(bus_numbers_windows_and_secondary_reset_are_effects),
        cmocka_unit_test(chassis_nr_adds_a_slot_id_capability_like_qemus),
        cmocka_unit_test(bad_chassis_nr_and_unknown_properties_are_refused),
        cmocka_unit_test(bridge_state_survives_save_and_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
