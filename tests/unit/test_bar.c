/* SPDX-License-Identifier: MIT */
/* BARs: sizing by masking, 64-bit pairs, ROM, decode gating, dispatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "testhost.h"

#define BAR_REG(n) (PCI_BASE_ADDRESS_0 + 4 * (n))

static int ident(struct vpci_dev *dev)
{
    struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 0x1 };
    return vpci_dev_set_identity(dev, &id);
}

static const uint8_t rom_image[] = { 0x55, 0xaa, 0x04, 0xcb };

/* BAR0 MEM32 4K RAM, BAR1 IO 512, BAR2-3 MEM64 pref 8 GiB, BAR4-5 MEM64
 * 4K, ROM 8K. */
static int build_full(struct vpci_dev *dev)
{
    int rc = ident(dev);
    rc = rc ? rc : vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
    rc = rc ? rc : vpci_bar_set_ram(dev, 0);
    rc = rc ? rc : vpci_bar_define(dev, 1, VPCI_BAR_IO, 512, 0);
    rc = rc ? rc : vpci_bar_define(dev, 2, VPCI_BAR_MEM64, 8ull << 30,
                                   VPCI_BAR_PREFETCH);
    rc = rc ? rc : vpci_bar_define(dev, 4, VPCI_BAR_MEM64, 4096, 0);
    rc = rc ? rc : vpci_rom_define(dev, 8192, rom_image, sizeof(rom_image));
    return rc;
}

static int setup(void **state)
{
    *state = model_fixture_build(build_full, 0);
    return 0;
}

static void bar_registers_read_their_type_flags_at_reset(void **state)
{
    struct model_fixture *f = *state;
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(0), 4), 0);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(1), 4),
                     PCI_BASE_ADDRESS_SPACE_IO);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(2), 4),
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                         PCI_BASE_ADDRESS_MEM_PREFETCH);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(4), 4),
                     PCI_BASE_ADDRESS_MEM_TYPE_64);
}

static void sizing_works_with_any_written_pattern(void **state)
{
    struct model_fixture *f = *state;
    /* Not all ones: the size bits still read back as zero. */
    vpci_cfg_write(f->dev, BAR_REG(0), 4, 0x12345678, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(0), 4), 0x12345000);
    vpci_cfg_write(f->dev, BAR_REG(0), 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(0), 4), 0xfffff000);
    vpci_cfg_write(f->dev, BAR_REG(1), 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(1), 4), 0xfffffe01);
    vpci_cfg_write(f->dev, BAR_REG(1), 4, 0xabcd, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(1), 4), 0xaa01);
    /* Byte writes size too. */
    vpci_cfg_write(f->dev, BAR_REG(0) + 1, 1, 0xff, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(0), 4), 0xfffff000);
}

static void mem64_upper_half_carries_the_size_above_4g(void **state)
{
    struct model_fixture *f = *state;
    /* 8 GiB: no address bits in the low dword, bit 33 up in the high. */
    vpci_cfg_write(f->dev, BAR_REG(2), 4, 0xffffffff, NULL);
    vpci_cfg_write(f->dev, BAR_REG(3), 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(2), 4), 0x0000000c);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(3), 4), 0xfffffffe);
    /* 4 KiB 64-bit BAR: the whole upper dword is address. */
    vpci_cfg_write(f->dev, BAR_REG(5), 4, 0x5a5a5a5a, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, BAR_REG(5), 4), 0x5a5a5a5a);
    struct vpci_bar_info info;
    vpci_cfg_write(f->dev, BAR_REG(4), 4, 0x2000, NULL);
    assert_int_equal(vpci_bar_info(f->dev, 4, &info), 0);
    assert_int_equal(info.kind, VPCI_BAR_MEM64);
    assert_true(info.addr == 0x5a5a5a5a00002000ull);
    assert_int_equal(vpci_bar_info(f->dev, 5, &info), 0);
    assert_int_equal(info.kind, VPCI_BAR_NONE);
}

static const struct vpci_effect *find_fx(const struct vpci_effects *fx,
                                         enum vpci_effect_type t, unsigned bar)
{
    for (unsigned i = 0; i < fx->count; i++)
        if (fx->fx[i].type == t && fx->fx[i].u.bar.bar == bar)
            return &fx->fx[i];
    return NULL;
}

static void decode_enable_maps_programmed_bars(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_effects fx;
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    testhost_map_bar(f->dev, 1, 0xc000);
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, &fx);
    const struct vpci_effect *e = find_fx(&fx, VPCI_FX_BAR_MAP, 0);
    assert_non_null(e);
    assert_true(e->u.bar.new_addr == 0xfebf0000);
    assert_int_equal(e->u.bar.size, 4096);
    assert_int_equal(e->u.bar.kind, VPCI_BAR_MEM32);
    /* IO BAR waits for COMMAND.IO; the 64-bit BARs have address 0. */
    assert_null(find_fx(&fx, VPCI_FX_BAR_MAP, 1));
    assert_null(find_fx(&fx, VPCI_FX_BAR_MAP, 2));
    vpci_cfg_write(f->dev, PCI_COMMAND, 2,
                   PCI_COMMAND_MEMORY | PCI_COMMAND_IO, &fx);
    e = find_fx(&fx, VPCI_FX_BAR_MAP, 1);
    assert_non_null(e);
    assert_true(e->u.bar.new_addr == 0xc000);
    assert_int_equal(e->u.bar.kind, VPCI_BAR_IO);
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, 0, &fx);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, 0));
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, 1));
}

static void moving_a_decoding_bar_reports_old_and_new(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_effects fx;
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    vpci_cfg_write(f->dev, BAR_REG(0), 4, 0xfebe0000, &fx);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_BAR_MOVE);
    assert_true(fx.fx[0].u.bar.old_addr == 0xfebf0000);
    assert_true(fx.fx[0].u.bar.new_addr == 0xfebe0000);
}

static void sizing_a_decoding_bar_unmaps_it(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_effects fx;
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    /* The size mask is not an address anyone placed: stop decoding. */
    vpci_cfg_write(f->dev, BAR_REG(0), 4, 0xffffffff, &fx);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, 0));
    vpci_cfg_write(f->dev, BAR_REG(0), 4, 0xfebf0000, &fx);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_MAP, 0));
    /* Address 0 means unassigned. */
    vpci_cfg_write(f->dev, BAR_REG(0), 4, 0, &fx);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, 0));
}

static void mem64_move_is_reported_once_both_halves_are_written(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_effects fx;
    testhost_map_bar(f->dev, 4, 0x100000000ull);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    struct vpci_bar_info info;
    vpci_bar_info(f->dev, 4, &info);
    assert_true(info.mapped);
    /* Low half first: the pair now says 0x1_8000_0000, a place nobody
     * chose.  Nothing is reported yet. */
    vpci_cfg_write(f->dev, BAR_REG(4), 4, 0x80000000, &fx);
    assert_int_equal(fx.count, 0);
    vpci_cfg_write(f->dev, BAR_REG(5), 4, 0x2, &fx);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_BAR_MOVE);
    assert_true(fx.fx[0].u.bar.old_addr == 0x100000000ull);
    assert_true(fx.fx[0].u.bar.new_addr == 0x280000000ull);
    assert_int_equal(fx.fx[0].u.bar.kind, VPCI_BAR_MEM64);
}

static void mem64_low_half_only_commits_on_next_config_write(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_effects fx;
    testhost_map_bar(f->dev, 4, 0x100000000ull);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    vpci_cfg_write(f->dev, BAR_REG(4), 4, 0x40000000, &fx);
    assert_int_equal(fx.count, 0);
    /* Any other register write commits the move. */
    vpci_cfg_write(f->dev, PCI_INTERRUPT_LINE, 1, 10, &fx);
    assert_int_equal(fx.count, 1);
    assert_true(fx.fx[0].u.bar.new_addr == 0x140000000ull);
}

static void rom_decodes_only_with_enable_bit_and_memory_decode(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_effects fx;
    uint64_t v;
    /* Sizing the ROM: enable bit writable, address bits above 8K. */
    vpci_cfg_write(f->dev, PCI_ROM_ADDRESS, 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(f->dev, PCI_ROM_ADDRESS, 4), 0xffffe001);
    vpci_cfg_write(f->dev, PCI_ROM_ADDRESS, 4, 0xfeb00000, &fx);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_bar_read(f->dev, VPCI_ROM_BAR, 0, 4, &v), -EIO);
    assert_true(v == 0xffffffff);
    vpci_cfg_write(f->dev, PCI_ROM_ADDRESS, 4,
                   0xfeb00000 | PCI_ROM_ADDRESS_ENABLE, &fx);
    const struct vpci_effect *e = find_fx(&fx, VPCI_FX_BAR_MAP, VPCI_ROM_BAR);
    assert_non_null(e);
    assert_int_equal(e->u.bar.kind, VPCI_BAR_ROM);
    assert_int_equal(e->u.bar.size, 8192);
    assert_int_equal(vpci_bar_read(f->dev, VPCI_ROM_BAR, 0, 4, &v), 0);
    assert_true(v == 0xcb04aa55);
    /* Past the image an erased part reads ones; writes do nothing. */
    assert_int_equal(vpci_bar_read(f->dev, VPCI_ROM_BAR, 8188, 4, &v), 0);
    assert_true(v == 0xffffffff);
    assert_int_equal(vpci_bar_write(f->dev, VPCI_ROM_BAR, 0, 4, 0), 0);
    assert_int_equal(vpci_bar_read(f->dev, VPCI_ROM_BAR, 0, 2, &v), 0);
    assert_true(v == 0xaa55);
    vpci_cfg_write(f->dev, PCI_ROM_ADDRESS, 4, 0xfeb00000, &fx);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, VPCI_ROM_BAR));
}

static void ram_bar_reads_back_little_endian_at_every_width(void **state)
{
    struct model_fixture *f = *state;
    uint64_t v;
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_bar_write(f->dev, 0, 8, 8, 0x0807060504030201ull), 0);
    assert_int_equal(vpci_bar_read(f->dev, 0, 8, 1, &v), 0);
    assert_true(v == 0x01);
    assert_int_equal(vpci_bar_read(f->dev, 0, 9, 2, &v), 0);
    assert_true(v == 0x0302);
    assert_int_equal(vpci_bar_read(f->dev, 0, 11, 4, &v), 0);
    assert_true(v == 0x07060504);
    assert_int_equal(vpci_bar_read(f->dev, 0, 8, 8, &v), 0);
    assert_true(v == 0x0807060504030201ull);
    /* Upper bits of a narrow write are not stored. */
    assert_int_equal(vpci_bar_write(f->dev, 0, 0, 1, 0x1ff), 0);
    assert_int_equal(vpci_bar_read(f->dev, 0, 0, 2, &v), 0);
    assert_true(v == 0xff);
}

static void access_outside_bar_or_bad_width_is_rejected(void **state)
{
    struct model_fixture *f = *state;
    uint64_t v = 0;
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_bar_read(f->dev, 0, 4094, 4, &v), -EINVAL);
    assert_true(v == 0xffffffff);
    assert_int_equal(vpci_bar_read(f->dev, 0, 0, 3, &v), -EINVAL);
    assert_int_equal(vpci_bar_write(f->dev, 0, 4096, 1, 0), -EINVAL);
    assert_int_equal(vpci_bar_read(f->dev, 3, 0, 4, &v), -EINVAL);
    assert_int_equal(vpci_bar_read(f->dev, 9, 0, 4, &v), -EINVAL);
    assert_int_equal(vpci_bar_read(f->dev, 0, 0, 4, NULL), -EINVAL);
    assert_int_equal(vpci_bar_write(NULL, 0, 0, 4, 0), -EINVAL);
    assert_int_equal(vpci_bar_info(f->dev, 7, NULL), -EINVAL);
}

static void access_while_not_decoding_is_a_master_abort(void **state)
{
    struct model_fixture *f = *state;
    uint64_t v = 0;
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    assert_int_equal(vpci_bar_write(f->dev, 0, 0, 4, 0x1234), -EIO);
    assert_int_equal(vpci_bar_read(f->dev, 0, 0, 4, &v), -EIO);
    assert_true(v == 0xffffffff);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_bar_read(f->dev, 0, 0, 4, &v), 0);
    assert_true(v == 0); /* the dropped write never landed */
}

/* ---- declaration errors ---- */

static unsigned bad_case;

static int build_bad(struct vpci_dev *dev)
{
    int rc = ident(dev);
    if (rc)
        return rc;
    switch (bad_case) {
    case 0: return vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 3000, 0);
    case 1: return vpci_bar_define(dev, 5, VPCI_BAR_MEM64, 4096, 0);
    case 2: return vpci_bar_define(dev, 0, VPCI_BAR_IO, 1 << 17, 0);
    case 3: return vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4ull << 30, 0);
    case 4: return vpci_bar_define(dev, 0, VPCI_BAR_IO, 16, VPCI_BAR_PREFETCH);
    case 5: return vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 8, 0);
    case 6: return vpci_bar_define(dev, 6, VPCI_BAR_MEM32, 4096, 0);
    case 7: return vpci_bar_define(dev, 0, VPCI_BAR_ROM, 4096, 0);
    case 8: return vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0x80);
    case 9: return vpci_rom_define(dev, 1024, NULL, 0);
    case 10: return vpci_rom_define(dev, 4096, rom_image, 8192);
    case 11: return vpci_bar_set_ram(dev, 2);
    case 12: {
        struct vpci_bar_ops ops = { 0 };
        vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
        return vpci_bar_set_ops(dev, 0, &ops, NULL);
    }
    }
    return 0;
}

static int build_busy(struct vpci_dev *dev)
{
    int rc = ident(dev);
    if (rc)
        return rc;
    switch (bad_case) {
    case 0:
        vpci_bar_define(dev, 0, VPCI_BAR_MEM64, 4096, 0);
        return vpci_bar_define(dev, 1, VPCI_BAR_MEM32, 4096, 0);
    case 1:
        vpci_bar_define(dev, 1, VPCI_BAR_MEM32, 4096, 0);
        return vpci_bar_define(dev, 0, VPCI_BAR_MEM64, 4096, 0);
    case 2:
        vpci_rom_define(dev, 4096, NULL, 0);
        return vpci_rom_define(dev, 4096, NULL, 0);
    case 3:
        vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
        vpci_bar_set_ram(dev, 0);
        return vpci_bar_set_ram(dev, 0);
    }
    return 0;
}

static void bad_bar_declarations_fail_creation_with_a_message(void **state)
{
    (void)state;
    for (bad_case = 0; bad_case <= 12; bad_case++) {
        struct testhost *h = testhost_new(0);
        struct vpci_dev *dev = (struct vpci_dev *)1;
        int rc = testhost_create(h, build_bad, &dev);
        assert_int_equal(rc, -EINVAL);
        assert_null(dev);
        assert_true(h->errors >= 1);
        testhost_free(h);
    }
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev;
    bad_case = 0;
    assert_int_equal(testhost_create(h, build_bad, &dev), -EINVAL);
    assert_true(testhost_logged(h, "size must be a power of two"));
    testhost_free(h);
}

static void overlapping_bar_declarations_are_busy(void **state)
{
    (void)state;
    for (bad_case = 0; bad_case <= 3; bad_case++) {
        struct testhost *h = testhost_new(0);
        struct vpci_dev *dev;
        assert_int_equal(testhost_create(h, build_busy, &dev), -EBUSY);
        testhost_free(h);
    }
}

static void bars_cannot_be_declared_after_init(void **state)
{
    struct model_fixture *f = *state;
    assert_int_equal(vpci_bar_define(f->dev, 3, VPCI_BAR_MEM32, 4096, 0),
                     -EPERM);
    assert_int_equal(vpci_rom_define(f->dev, 4096, NULL, 0), -EPERM);
    assert_int_equal(vpci_bar_set_ram(f->dev, 0), -EPERM);
}

static uint64_t ops_last_off;
static unsigned ops_last_len;
static uint64_t ops_last_val;

static uint64_t ops_read(struct vpci_dev *dev, void *opaque, uint64_t off,
                         unsigned len)
{
    (void)dev;
    (void)len;
    return *(uint64_t *)opaque + off;
}

static void ops_write(struct vpci_dev *dev, void *opaque, uint64_t off,
                      unsigned len, uint64_t val)
{
    (void)dev;
    (void)opaque;
    ops_last_off = off;
    ops_last_len = len;
    ops_last_val = val;
}

static const struct vpci_bar_ops io_ops = { ops_read, ops_write };
static uint64_t ops_base = 0xbeef0000;

static int build_ops(struct vpci_dev *dev)
{
    int rc = ident(dev);
    rc = rc ? rc : vpci_bar_define(dev, 0, VPCI_BAR_IO, 256, 0);
    rc = rc ? rc : vpci_bar_set_ops(dev, 0, &io_ops, &ops_base);
    rc = rc ? rc : vpci_bar_define(dev, 1, VPCI_BAR_MEM32, 16, 0);
    return rc;
}

static void custom_ops_receive_offset_width_and_value(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev;
    uint64_t v;
    assert_int_equal(testhost_create(h, build_ops, &dev), 0);
    testhost_map_bar(dev, 0, 0xc000);
    testhost_map_bar(dev, 1, 0xfe000000);
    testhost_command(dev, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_bar_read(dev, 0, 0x10, 2, &v), 0);
    assert_true(v == 0x0010); /* masked to the access width */
    assert_int_equal(vpci_bar_write(dev, 0, 0x20, 4, 0x1122334455ull), 0);
    assert_true(ops_last_off == 0x20 && ops_last_len == 4 &&
                ops_last_val == 0x22334455);
    /* A BAR with nothing behind it reads 0 and drops writes. */
    assert_int_equal(vpci_bar_write(dev, 1, 0, 4, 0xffffffff), 0);
    assert_int_equal(vpci_bar_read(dev, 1, 0, 4, &v), 0);
    assert_true(v == 0);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void trace_reports_bar_mapping_and_master_abort(void **state)
{
    struct model_fixture *f = *state;
    uint64_t v;
    vpci_dev_set_trace(f->dev, true);
    testhost_map_bar(f->dev, 0, 0xfebf0000);
    vpci_bar_read(f->dev, 0, 0, 4, &v);
    assert_true(testhost_logged(f->h, "while not decoding: master abort"));
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    assert_true(testhost_logged(f->h, "bar-map bar0 mem32 0x0 -> 0xfebf0000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, setup, model_fixture_teardown)
        T(bar_registers_read_their_type_flags_at_reset),
        T(sizing_works_with_any_written_pattern),
        T(mem64_upper_half_carries_the_size_above_4g),
        T(decode_enable_maps_programmed_bars),
        T(moving_a_decoding_bar_reports_old_and_new),
        T(sizing_a_decoding_bar_unmaps_it),
        T(mem64_move_is_reported_once_both_halves_are_written),
        T(mem64_low_half_only_commits_on_next_config_write),
        T(rom_decodes_only_with_enable_bit_and_memory_decode),
        T(ram_bar_reads_back_little_endian_at_every_width),
        T(access_outside_bar_or_bad_width_is_rejected),
        T(access_while_not_decoding_is_a_master_abort),
        T(bars_cannot_be_declared_after_init),
        T(trace_reports_bar_mapping_and_master_abort),
        cmocka_unit_test(bad_bar_declarations_fail_creation_with_a_message),
        cmocka_unit_test(overlapping_bar_declarations_are_busy),
        cmocka_unit_test(custom_ops_receive_offset_width_and_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
