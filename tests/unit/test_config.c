/* SPDX-License-Identifier: MIT */
/* Config space: header layout, masks, W1C status, COMMAND effects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "testhost.h"

static int build_plain(struct vpci_dev *dev)
{
    struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0x5678,
        .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
        .revision = 0x10, .class_code = 0x00ff00, .interrupt_pin = 1,
    };
    return vpci_dev_set_identity(dev, &id);
}

static int build_express(struct vpci_dev *dev)
{
    struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 1,
                                .express = true, .multifunction = true };
    return vpci_dev_set_identity(dev, &id);
}

static struct vpci_dev *make(testhost_build_fn fn, struct testhost **hp)
{
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = NULL;
    assert_int_equal(testhost_create(h, fn, &dev), 0);
    *hp = h;
    return dev;
}

static void identity_fields_read_back(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x56781234);
    assert_int_equal(vpci_cfg_read(dev, PCI_REVISION_ID, 4), 0x00ff0010);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(vpci_cfg_size(dev), 256);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void identity_fields_are_read_only(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    vpci_cfg_write(dev, PCI_VENDOR_ID, 4, 0, NULL);
    vpci_cfg_write(dev, PCI_CLASS_REVISION, 4, 0xffffffff, NULL);
    vpci_cfg_write(dev, PCI_INTERRUPT_PIN, 1, 4, NULL);
    vpci_cfg_write(dev, PCI_SUBSYSTEM_VENDOR_ID, 4, 0, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x56781234);
    assert_int_equal(vpci_cfg_read(dev, PCI_CLASS_REVISION, 4), 0x00ff0010);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(vpci_cfg_read(dev, PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void writable_header_registers_keep_values(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    vpci_cfg_write(dev, PCI_CACHE_LINE_SIZE, 1, 0x10, NULL);
    vpci_cfg_write(dev, PCI_LATENCY_TIMER, 1, 0x40, NULL);
    vpci_cfg_write(dev, PCI_INTERRUPT_LINE, 1, 11, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_CACHE_LINE_SIZE, 1), 0x10);
    assert_int_equal(vpci_cfg_read(dev, PCI_LATENCY_TIMER, 1), 0x40);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_LINE, 1), 11);
    /* Only the defined COMMAND bits stick. */
    vpci_cfg_write(dev, PCI_COMMAND, 2, 0xffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_COMMAND, 2),
                     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                         PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                         PCI_COMMAND_INTX_DISABLE);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void express_function_has_4k_space_and_ro_latency(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_express, &h);
    assert_int_equal(vpci_cfg_size(dev), 4096);
    assert_true(vpci_dev_is_express(dev));
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0x80);
    vpci_cfg_write(dev, PCI_LATENCY_TIMER, 1, 0x40, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_LATENCY_TIMER, 1), 0);
    assert_int_equal(vpci_cfg_read(dev, 0xffc, 4), 0);
    assert_int_equal(vpci_cfg_write(dev, 0xffc, 4, 1, NULL), 0);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void status_error_bits_are_write_one_to_clear(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    uint16_t errs = PCI_STATUS_DETECTED_PARITY | PCI_STATUS_SIG_SYSTEM_ERROR |
                    PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_TARGET_ABORT;
    /* The device sets error bits; a guest write of 0 leaves them. */
    vpci_cfg_set(dev, PCI_STATUS, 2, errs);
    vpci_cfg_write(dev, PCI_STATUS, 2, 0, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_STATUS, 2), errs);
    /* Writing 1 clears exactly those bits. */
    vpci_cfg_write(dev, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_STATUS, 2),
                     errs & ~PCI_STATUS_REC_MASTER_ABORT);
    /* A dword write to COMMAND+STATUS sets COMMAND and clears STATUS bits. */
    vpci_cfg_write(dev, PCI_COMMAND, 4,
                   (uint32_t)PCI_STATUS_DETECTED_PARITY << 16 |
                       PCI_COMMAND_MEMORY,
                   NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_cfg_read(dev, PCI_STATUS, 2),
                     PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_SIG_TARGET_ABORT);
    /* Read-only STATUS bits (e.g. 66 MHz) cannot be set by a guest. */
    vpci_cfg_write(dev, PCI_STATUS, 2, PCI_STATUS_66MHZ, NULL);
    assert_false(vpci_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_66MHZ);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static bool has_toggle(const struct vpci_effects *fx, enum vpci_effect_type t,
                       bool on)
{
    for (unsigned i = 0; i < fx->count; i++)
        if (fx->fx[i].type == t && fx->fx[i].u.toggle.on == on)
            return true;
    return false;
}

static void command_write_reports_each_toggle_once(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    struct vpci_effects fx;
    vpci_cfg_write(dev, PCI_COMMAND, 2,
                   PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                       PCI_COMMAND_INTX_DISABLE,
                   &fx);
    assert_int_equal(fx.count, 4);
    assert_true(has_toggle(&fx, VPCI_FX_IO_DECODE, true));
    assert_true(has_toggle(&fx, VPCI_FX_MEM_DECODE, true));
    assert_true(has_toggle(&fx, VPCI_FX_BUS_MASTER, true));
    assert_true(has_toggle(&fx, VPCI_FX_INTX_DISABLE, true));
    assert_true(vpci_dev_bus_master(dev));
    /* Same value again: nothing changed, nothing reported. */
    vpci_cfg_write(dev, PCI_COMMAND, 2,
                   vpci_cfg_read(dev, PCI_COMMAND, 2), &fx);
    assert_int_equal(fx.count, 0);
    vpci_cfg_write(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, &fx);
    assert_int_equal(fx.count, 3);
    assert_true(has_toggle(&fx, VPCI_FX_IO_DECODE, false));
    assert_true(has_toggle(&fx, VPCI_FX_BUS_MASTER, false));
    assert_true(has_toggle(&fx, VPCI_FX_INTX_DISABLE, false));
    assert_false(vpci_dev_bus_master(dev));
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void out_of_range_access_reads_ones_and_write_is_rejected(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    struct vpci_effects fx = { .count = 7 };
    assert_int_equal(vpci_cfg_read(dev, 0x100, 4), 0xffffffff);
    assert_int_equal(vpci_cfg_read(dev, 0xfe, 4), 0xffffffff);
    assert_int_equal(vpci_cfg_read(dev, 0xff, 2), 0xffff);
    assert_int_equal(vpci_cfg_read(dev, 0, 3), 0xffffffff);
    assert_int_equal(vpci_cfg_write(dev, 0xfe, 4, 0, &fx), -EINVAL);
    assert_int_equal(fx.count, 0);
    assert_int_equal(vpci_cfg_write(dev, PCI_COMMAND, 3, 7, NULL), -EINVAL);
    assert_int_equal(vpci_cfg_read(dev, PCI_COMMAND, 2), 0);
    assert_true(testhost_logged(h, "does not fit"));
    assert_int_equal(vpci_cfg_write(NULL, 0, 4, 0, NULL), -EINVAL);
    assert_int_equal(vpci_cfg_read(NULL, 0, 2), 0xffff);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void unaligned_access_within_space_works(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    /* A word straddling vendor/device IDs is just bytes. */
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID + 1, 2), 0x7812);
    vpci_cfg_write(dev, PCI_CACHE_LINE_SIZE, 2, 0x2010, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_CACHE_LINE_SIZE, 2), 0x2010);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static uint32_t custom_reg_value;

static int build_with_custom_masks(struct vpci_dev *dev)
{
    int rc = build_plain(dev);
    if (rc)
        return rc;
    /* A model-defined register in the device-specific range 0x40.. */
    vpci_cfg_set(dev, 0x40, 4, 0xa5a50000);
    vpci_cfg_set_wmask(dev, 0x40, 4, 0x0000ffff);
    vpci_cfg_set_w1cmask(dev, 0x40, 4, 0xff000000);
    return 0;
}

static void model_masks_apply_to_guest_writes(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_with_custom_masks, &h);
    vpci_cfg_write(dev, 0x40, 4, 0x0f001234, NULL);
    custom_reg_value = vpci_cfg_read(dev, 0x40, 4);
    assert_int_equal(custom_reg_value, 0xa0a51234);
    /* Masks can only change during init. */
    assert_int_equal(vpci_cfg_set_wmask(dev, 0x40, 4, 0), -EPERM);
    assert_int_equal(vpci_cfg_set_w1cmask(dev, 0x40, 4, 0), -EPERM);
    /* Model-side updates bypass masks; reset restores the init value. */
    assert_int_equal(vpci_cfg_set(dev, 0x40, 4, 0x11111111), 0);
    assert_int_equal(vpci_cfg_read(dev, 0x40, 4), 0x11111111);
    assert_int_equal(vpci_cfg_set(dev, 0x100, 4, 0), -EINVAL);
    vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, NULL);
    assert_int_equal(vpci_cfg_read(dev, 0x40, 4), 0xa5a50000);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void reset_clears_command_and_reports_toggles(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    struct vpci_effects fx;
    vpci_cfg_write(dev, PCI_COMMAND, 2, PCI_COMMAND_MASTER, NULL);
    vpci_cfg_write(dev, PCI_INTERRUPT_LINE, 1, 5, NULL);
    assert_int_equal(vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, &fx), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_COMMAND, 2), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_LINE, 1), 0);
    assert_true(has_toggle(&fx, VPCI_FX_BUS_MASTER, false));
    assert_int_equal(vpci_dev_reset(dev, 99, NULL), -EINVAL);
    assert_int_equal(vpci_dev_reset(NULL, VPCI_RESET_FLR, NULL), -EINVAL);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void trace_reports_config_writes(void **state)
{
    (void)state;
    struct testhost *h;
    struct vpci_dev *dev = make(build_plain, &h);
    assert_false(vpci_dev_trace_enabled(dev));
    vpci_dev_set_trace(dev, true);
    assert_true(vpci_dev_trace_enabled(dev));
    vpci_cfg_write(dev, PCI_INTERRUPT_LINE, 1, 9, NULL);
    assert_true(testhost_logged(h, "cfg write 0x03c [1] = 0x9 -> 0x9"));
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void effects_format_as_readable_lines(void **state)
{
    (void)state;
    char line[128];
    struct vpci_effect e = { .type = VPCI_FX_BAR_MOVE };
    e.u.bar.bar = 2;
    e.u.bar.kind = VPCI_BAR_MEM64;
    e.u.bar.old_addr = 0x1000;
    e.u.bar.new_addr = 0x100000000ull;
    e.u.bar.size = 0x1000;
    vpci_effect_format(&e, line, sizeof(line));
    assert_string_equal(line,
                        "bar-move bar2 mem64 0x1000 -> 0x100000000 size 0x1000");
    e.u.bar.bar = VPCI_ROM_BAR;
    e.u.bar.kind = VPCI_BAR_ROM;
    vpci_effect_format(&e, line, sizeof(line));
    assert_string_equal(line,
                        "bar-move rom rom 0x1000 -> 0x100000000 size 0x1000");
    struct vpci_effect t = { .type = VPCI_FX_MEM_DECODE, .u.toggle.on = true };
    vpci_effect_format(&t, line, sizeof(line));
    assert_string_equal(line, "mem-decode on");
    struct vpci_effect p = { .type = VPCI_FX_POWER_STATE,
                             .u.power = { .from = 0, .to = 3 } };
    vpci_effect_format(&p, line, sizeof(line));
    assert_string_equal(line, "power-state D0 -> D3");
    struct vpci_effect m = { .type = VPCI_FX_MSI_MASK,
                             .u.mask = { .vector = 3, .masked = true } };
    vpci_effect_format(&m, line, sizeof(line));
    assert_string_equal(line, "msi-mask vector 3 masked");
    struct vpci_effect b = { .type = VPCI_FX_BRIDGE_BUSES,
                             .u.buses = { 0, 1, 4 } };
    vpci_effect_format(&b, line, sizeof(line));
    assert_string_equal(line, "bridge-buses 00:01:04");
    struct vpci_effect f = { .type = VPCI_FX_FLR };
    vpci_effect_format(&f, line, sizeof(line));
    assert_string_equal(line, "flr");
    assert_string_equal(vpci_effect_name(1000), "unknown");
    assert_int_equal(vpci_effect_format(NULL, line, 1), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_fields_read_back),
        cmocka_unit_test(identity_fields_are_read_only),
        cmocka_unit_test(writable_header_registers_keep_values),
        cmocka_unit_test(express_function_has_4k_space_and_ro_latency),
        cmocka_unit_test(status_error_bits_are_write_one_to_clear),
        cmocka_unit_test(command_write_reports_each_toggle_once),
        cmocka_unit_test(out_of_range_access_reads_ones_and_write_is_rejected),
        cmocka_unit_test(unaligned_access_within_space_works),
        cmocka_unit_test(model_masks_apply_to_guest_writes),
        cmocka_unit_test(reset_clears_command_and_reports_toggles),
        cmocka_unit_test(trace_reports_config_writes),
        cmocka_unit_test(effects_format_as_readable_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
