/* SPDX-License-Identifier: MIT */
/* Type 1 header: bus numbers, windows, bridge control, bridge BARs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "testhost.h"

static int build_bridge(struct vpci_dev *dev)
{
    struct vpci_identity id = { .vendor_id = 0x1b36, .device_id = 0x0001,
                                .class_code = 0x060400, .bridge = true,
                                .interrupt_pin = 1 };
    int rc = vpci_dev_set_identity(dev, &id);
    return rc ? rc : vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 256, 0);
}

static int build_bridge_bar2(struct vpci_dev *dev)
{
    int rc = build_bridge(dev);
    return rc ? rc : vpci_bar_define(dev, 2, VPCI_BAR_MEM32, 256, 0);
}

static int build_bridge_rom(struct vpci_dev *dev)
{
    int rc = build_bridge(dev);
    return rc ? rc : vpci_rom_define(dev, 2048, "\x55\xaa", 2);
}

static const struct vpci_effect *find(const struct vpci_effects *fx,
                                      enum vpci_effect_type t)
{
    for (unsigned i = 0; i < fx->count; i++)
        if (fx->fx[i].type == t)
            return &fx->fx[i];
    return NULL;
}

static void bridge_header_identifies_type1_with_32bit_io_and_64bit_pref(
    void **state)
{
    (void)state;
    struct vpci_dev *dev;
    assert_int_equal(testhost_create(NULL, build_bridge, &dev), 0);
    assert_true(vpci_dev_is_bridge(dev));
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1),
                     PCI_HEADER_TYPE_BRIDGE);
    assert_int_equal(vpci_cfg_read(dev, PCI_IO_BASE, 1) & 0xf,
                     PCI_IO_RANGE_TYPE_32);
    assert_int_equal(vpci_cfg_read(dev, PCI_PREF_MEMORY_BASE, 2) & 0xf,
                     PCI_PREF_RANGE_TYPE_64);
    /* No subsystem IDs at 0x2C in a type 1 header: that's pref upper. */
    vpci_cfg_write(dev, PCI_PREF_BASE_UPPER32, 4, 0x12345678, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_PREF_BASE_UPPER32, 4), 0x12345678);
    vpci_dev_destroy(dev);
}

static void bus_number_writes_are_reported(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    struct vpci_effects fx;
    assert_int_equal(testhost_create(NULL, build_bridge, &dev), 0);
    vpci_cfg_write(dev, PCI_PRIMARY_BUS, 4, 0x00050100, &fx);
    const struct vpci_effect *e = find(&fx, VPCI_FX_BRIDGE_BUSES);
    assert_non_null(e);
    assert_int_equal(e->u.buses.primary, 0);
    assert_int_equal(e->u.buses.secondary, 1);
    assert_int_equal(e->u.buses.subordinate, 5);
    /* The secondary latency timer is not a bus number. */
    vpci_cfg_write(dev, PCI_SEC_LATENCY_TIMER, 1, 0x20, &fx);
    assert_null(find(&fx, VPCI_FX_BRIDGE_BUSES));
    assert_int_equal(vpci_cfg_read(dev, PCI_PRIMARY_BUS, 4), 0x20050100);
    vpci_dev_destroy(dev);
}

static void window_registers_keep_type_nibbles_and_report_changes(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    struct vpci_effects fx;
    assert_int_equal(testhost_create(NULL, build_bridge, &dev), 0);
    vpci_cfg_write(dev, PCI_IO_BASE, 2, 0xffff, &fx);
    assert_int_equal(vpci_cfg_read(dev, PCI_IO_BASE, 2), 0xf1f1);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    vpci_cfg_write(dev, PCI_MEMORY_BASE, 4, 0xfebffe00, &fx);
    assert_int_equal(vpci_cfg_read(dev, PCI_MEMORY_BASE, 4), 0xfeb0fe00);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    vpci_cfg_write(dev, PCI_PREF_MEMORY_BASE, 4, 0xffffffff, &fx);
    assert_int_equal(vpci_cfg_read(dev, PCI_PREF_MEMORY_BASE, 4), 0xfff1fff1);
    vpci_cfg_write(dev, PCI_IO_BASE_UPPER16, 4, 0x00010000, &fx);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    /* Rewriting the same window value reports nothing. */
    vpci_cfg_write(dev, PCI_IO_BASE_UPPER16, 4, 0x00010000, &fx);
    assert_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    /* Secondary status is W1C and is not a window. */
    vpci_cfg_set(dev, PCI_SEC_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
    vpci_cfg_write(dev, PCI_SEC_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT, &fx);
    assert_int_equal(vpci_cfg_read(dev, PCI_SEC_STATUS, 2), 0);
    assert_null(find(&fx, VPCI_FX_BRIDGE_WINDOWS));
    vpci_dev_destroy(dev);
}

static void secondary_bus_reset_is_reported_on_assert_and_release(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    struct vpci_effects fx;
    assert_int_equal(testhost_create(NULL, build_bridge, &dev), 0);
    vpci_cfg_write(dev, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET, &fx);
    const struct vpci_effect *e = find(&fx, VPCI_FX_BRIDGE_SEC_RESET);
    assert_non_null(e);
    assert_true(e->u.toggle.on);
    vpci_cfg_write(dev, PCI_BRIDGE_CONTROL, 2, 0, &fx);
    e = find(&fx, VPCI_FX_BRIDGE_SEC_RESET);
    assert_non_null(e);
    assert_false(e->u.toggle.on);
    /* Reserved bridge control bits stay 0. */
    vpci_cfg_write(dev, PCI_BRIDGE_CONTROL, 2, 0xf000, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_BRIDGE_CONTROL, 2), 0);
    vpci_dev_destroy(dev);
}

static void bridge_reset_clears_bus_numbers_and_reports_it(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    struct vpci_effects fx;
    assert_int_equal(testhost_create(NULL, build_bridge, &dev), 0);
    vpci_cfg_write(dev, PCI_PRIMARY_BUS, 4, 0x00020100, NULL);
    vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, &fx);
    assert_int_equal(vpci_cfg_read(dev, PCI_PRIMARY_BUS, 4), 0);
    assert_non_null(find(&fx, VPCI_FX_BRIDGE_BUSES));
    vpci_dev_destroy(dev);
}

static void bridge_has_two_bars_and_its_rom_at_0x38(void **state)
{
    (void)state;
    struct vpci_dev *dev = NULL;
    assert_int_equal(testhost_create(NULL, build_bridge_bar2, &dev), -EINVAL);
    assert_null(dev);
    assert_int_equal(testhost_create(NULL, build_bridge, &dev), 0);
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_0, 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_BASE_ADDRESS_0, 4), 0xffffff00);
    vpci_dev_destroy(dev);
    /* A bridge's expansion ROM register is at 0x38, not 0x30. */
    struct vpci_effects fx;
    uint64_t v;
    assert_int_equal(testhost_create(NULL, build_bridge_rom, &dev), 0);
    vpci_cfg_write(dev, PCI_ROM_ADDRESS1, 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_ROM_ADDRESS1, 4), 0xfffff801);
    vpci_cfg_write(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, NULL);
    vpci_cfg_write(dev, PCI_ROM_ADDRESS1, 4, 0xfe000001, &fx);
    assert_non_null(find(&fx, VPCI_FX_BAR_MAP));
    assert_int_equal(vpci_bar_read(dev, VPCI_ROM_BAR, 0, 2, &v), 0);
    assert_true(v == 0xaa55);
    vpci_dev_destroy(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            bridge_header_identifies_type1_with_32bit_io_and_64bit_pref),
        cmocka_unit_test(bus_number_writes_are_reported),
        cmocka_unit_test(window_registers_keep_type_nibbles_and_report_changes),
        cmocka_unit_test(
            secondary_bus_reset_is_reported_on_assert_and_release),
        cmocka_unit_test(bridge_reset_clears_bus_numbers_and_reports_it),
        cmocka_unit_test(bridge_has_two_bars_and_its_rom_at_0x38),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
