/* SPDX-License-Identifier: MIT */
/*
 * Register files (libvpci/regfile.c): table checks at attach, access kinds,
 * splitting and merging of guest accesses, holes, rejected accesses,
 * callbacks, reset, trace lines and save/restore of the values.
 *
 * Every test builds a real function through the public API: a small model
 * whose init() declares BAR 0 (4 KiB MEM32) and attaches the table the test
 * chose in `ctx`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vpci/vpci.h>

#include "internal.h"

/* One table line; what follows the reset value is designated. */
#define REG(off, w, nm, acc, ...)                                          \
    {                                                                      \
        .offset = (off), .width = (w), .name = (nm), .access = (acc),      \
        .reset = __VA_ARGS__                                               \
    }

/* ---- a test model that attaches whatever table the test set up ---- */

struct attach_req {
    const struct vpci_regfile_desc *desc;
    unsigned bar;
    uint64_t base;
    void *opaque;
    int rc;                     /* what vpci_regfile_attach returned */
    struct vpci_regfile *rf;
};

static struct {
    struct attach_req req[4];
    unsigned nreq;
    bool fail_init_on_error;
    struct vpci_dev *dev;
    char lines[64][512];        /* captured log lines */
    enum vpci_log_level levels[64];
    unsigned nlines;
} ctx;

static int test_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0x5678, .class_code = 0xff0000,
    };
    int rc = vpci_dev_set_identity(dev, &id);
    if (rc)
        return rc;
    rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
    if (rc)
        return rc;
    for (unsigned i = 0; i < ctx.nreq; i++) {
        struct attach_req *r = &ctx.req[i];
        r->rc = vpci_regfile_attach(dev, r->bar, r->base, r->desc, r->opaque,
                                    &r->rf);
        if (r->rc && ctx.fail_init_on_error)
            return r->rc;
    }
    return 0;
}

static const struct vpci_model test_model = {
    .name = "regfile-test",
    .desc = "register file unit test model",
    .init = test_init,
};

static void capture_log(void *host, struct vpci_dev *dev,
                        enum vpci_log_level level, const char *msg)
{
    (void)host;
    (void)dev;
    if (ctx.nlines >= VPCI_ARRAY_SIZE(ctx.lines))
        return;
    snprintf(ctx.lines[ctx.nlines], sizeof(ctx.lines[0]), "%s", msg);
    ctx.levels[ctx.nlines++] = level;
}

static const struct vpci_host_ops log_ops = { .log = capture_log };

static int setup(void **state)
{
    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(ctx.dev);
    ctx.dev = NULL;
    return 0;
}

/* Create the function with one file of @desc at BAR 0 + @base. */
static int create_with(const struct vpci_regfile_desc *desc, unsigned bar,
                       uint64_t base, void *opaque)
{
    ctx.req[0] = (struct attach_req){ desc, bar, base, opaque, 0, NULL };
    ctx.nreq = 1;
    ctx.fail_init_on_error = true;
    return vpci_dev_create(&test_model, NULL, &log_ops, NULL, &ctx.dev);
}

static struct vpci_regfile *create_ok(const struct vpci_regfile_desc *desc)
{
    assert_int_equal(create_with(desc, 0, 0, NULL), 0);
    assert_non_null(ctx.req[0].rf);
    return ctx.req[0].rf;
}

static bool logged(const char *needle)
{
    for (unsigned i = 0; i < ctx.nlines; i++)
        if (strstr(ctx.lines[i], needle))
            return true;
    return false;
}

static struct vpci_regfile_stats stats_of(const struct vpci_regfile *rf)
{
    struct vpci_regfile_stats s;
    vpci_regfile_get_stats(rf, &s);
    return s;
}

/* ---- the seed device's table (specs/virt-pci.md), plus a few kinds ---- */

static const struct vpci_reg virt_regs[] = {
    /* offset  width  name        access     reset */
    REG(0x00, 4, "VERSION",    VPCI_RO,   0x12345678, .widths = VPCI_W4),
    REG(0x04, 4, "CTRL",       VPCI_WO,   0),
    REG(0x08, 4, "INT_STATUS", VPCI_W1C,  0),
    REG(0x0c, 4, "INT_MASK",   VPCI_RW,   0xffffffff),
    REG(0x10, 4, "DMA_SRC",    VPCI_RW,   0),
    REG(0x14, 4, "DMA_DST",    VPCI_RW,   0),
    REG(0x18, 4, "EVENTS",     VPCI_RC,   0),
    REG(0x1c, 4, "SET",        VPCI_W1S,  0),
    REG(0x20, 4, "RSVD0",      VPCI_RSVD, 0x5a5a5a5a),
    REG(0x24, 2, "HALF",       VPCI_RW,   0x1234),
    REG(0x26, 1, "BYTE",       VPCI_RW,   0x56),
    /* 0x27 is a hole */
    REG(0x28, 8, "COUNTER",    VPCI_RW,   0x1122334455667788),
    REG(0x30, 4, NULL,         VPCI_RW,   0),   /* unnamed: traced by offset */
    REG(0x40, 4, "SCRATCH",    VPCI_RW,   0, .count = 8),
    /* 0x60..0xff: holes */
};

static const struct vpci_regfile_desc virt_desc = {
    .name = "virt-pci.mmio",
    .regs = virt_regs,
    .nregs = VPCI_ARRAY_SIZE(virt_regs),
    .size = 0x100,
    .hole_read = 0x0706050403020100,
    .wo_read = 0xbeefbeef,
    .bad_read = 0xfedcba9876543210,
};

/* ---- access kinds ---- */

static void rw_register_reads_back_written_value(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_int_equal(vpci_regfile_read(rf, 0x0c, 4), 0xffffffff);
    vpci_regfile_write(rf, 0x0c, 4, 0x3);
    assert_int_equal(vpci_regfile_read(rf, 0x0c, 4), 0x3);
    assert_int_equal(vpci_reg_get(rf, 0x0c), 0x3);
    struct vpci_regfile_stats s = stats_of(rf);
    assert_int_equal(s.reads, 2);
    assert_int_equal(s.writes, 1);
    assert_int_equal(s.ignored_writes + s.rejected + s.hole_reads, 0);
}

static void w1c_register_clears_only_written_ones(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_int_equal(vpci_reg_set(rf, 0x08, 0xf0f0), 0);
    vpci_regfile_write(rf, 0x08, 4, 0x1010);
    assert_int_equal(vpci_regfile_read(rf, 0x08, 4), 0xe0e0);
    vpci_regfile_write(rf, 0x08, 4, 0); /* zeros change nothing */
    assert_int_equal(vpci_regfile_read(rf, 0x08, 4), 0xe0e0);
    /* a byte write clears only within its lane */
    vpci_regfile_write(rf, 0x09, 1, 0xff);
    assert_int_equal(vpci_regfile_read(rf, 0x08, 4), 0x00e0);
}

static void w1s_register_sets_only_written_ones(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_regfile_write(rf, 0x1c, 4, 0x5);
    vpci_regfile_write(rf, 0x1c, 4, 0x0);
    assert_int_equal(vpci_regfile_read(rf, 0x1c, 4), 0x5);
    vpci_regfile_write(rf, 0x1c, 4, 0x100);
    assert_int_equal(vpci_regfile_read(rf, 0x1c, 4), 0x105);
}

static void ro_write_is_ignored_and_counted(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_regfile_write(rf, 0x00, 4, 0);
    assert_int_equal(vpci_regfile_read(rf, 0x00, 4), 0x12345678);
    struct vpci_regfile_stats s = stats_of(rf);
    assert_int_equal(s.ignored_writes, 1);
    assert_int_equal(s.writes, 1);
}

static void rc_read_clears(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_int_equal(vpci_reg_set(rf, 0x18, 0xa5a5), 0);
    vpci_regfile_write(rf, 0x18, 4, 0xffffffff); /* ignored */
    assert_int_equal(vpci_reg_get(rf, 0x18), 0xa5a5);
    assert_int_equal(stats_of(rf).ignored_writes, 1);
    assert_int_equal(vpci_regfile_read(rf, 0x18, 4), 0xa5a5);
    assert_int_equal(vpci_regfile_read(rf, 0x18, 4), 0);
    /* even a partial read clears the whole register */
    vpci_reg_set(rf, 0x18, 0x11223344);
    assert_int_equal(vpci_regfile_read(rf, 0x18, 1), 0x44);
    assert_int_equal(vpci_reg_get(rf, 0x18), 0);
}

static void wo_reads_wo_read_value(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_regfile_write(rf, 0x04, 4, 0x2);
    assert_int_equal(vpci_regfile_read(rf, 0x04, 4), 0xbeefbeef);
    assert_int_equal(vpci_regfile_read(rf, 0x06, 2), 0xbeef);
    assert_int_equal(vpci_reg_get(rf, 0x04), 0x2); /* stored all the same */
}

static void rsvd_reads_zero_and_ignores_writes(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_int_equal(vpci_regfile_read(rf, 0x20, 4), 0);
    vpci_regfile_write(rf, 0x20, 4, 0xffffffff);
    assert_int_equal(vpci_reg_get(rf, 0x20), 0x5a5a5a5a);
    assert_int_equal(stats_of(rf).ignored_writes, 1);
}

static const struct vpci_reg wmask_regs[] = {
    REG(0x0, 4, "CFG",  VPCI_RW,  0xa0000000, .wmask = 0x0000ff0f),
    REG(0x4, 4, "STAT", VPCI_W1C, 0xffffffff, .wmask = 0x000000f0),
    REG(0x8, 4, "ARM",  VPCI_W1S, 0,          .wmask = 0x00000001),
};
static const struct vpci_regfile_desc wmask_desc = {
    .name = "wmask", .regs = wmask_regs, .nregs = VPCI_ARRAY_SIZE(wmask_regs),
};

static void wmask_limits_writable_bits(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&wmask_desc);

    vpci_regfile_write(rf, 0x0, 4, 0xffffffff);
    assert_int_equal(vpci_regfile_read(rf, 0x0, 4), 0xa000ff0f);
    vpci_regfile_write(rf, 0x0, 4, 0);
    assert_int_equal(vpci_regfile_read(rf, 0x0, 4), 0xa0000000);
    vpci_regfile_write(rf, 0x4, 4, 0xffffffff);
    assert_int_equal(vpci_regfile_read(rf, 0x4, 4), 0xffffff0f);
    vpci_regfile_write(rf, 0x8, 4, 0xffffffff);
    assert_int_equal(vpci_regfile_read(rf, 0x8, 4), 0x1);
}

/* ---- splitting and merging ---- */

static void eight_byte_access_merges_two_dword_registers(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_regfile_write(rf, 0x10, 8, 0x1111222233334444);
    assert_int_equal(vpci_reg_get(rf, 0x10), 0x33334444);
    assert_int_equal(vpci_reg_get(rf, 0x14), 0x11112222);
    assert_int_equal(vpci_regfile_read(rf, 0x10, 8), 0x1111222233334444);
    struct vpci_regfile_stats s = stats_of(rf);
    assert_int_equal(s.reads, 1);   /* one access, however many registers */
    assert_int_equal(s.writes, 1);
}

static void unaligned_word_access_spans_two_registers(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_reg_set(rf, 0x10, 0xaabbccdd);
    vpci_reg_set(rf, 0x14, 0x11223344);
    assert_int_equal(vpci_regfile_read(rf, 0x13, 2), 0x44aa);
    vpci_regfile_write(rf, 0x13, 2, 0x0102);
    assert_int_equal(vpci_reg_get(rf, 0x10), 0x02bbccdd);
    assert_int_equal(vpci_reg_get(rf, 0x14), 0x11223301);
    /* a misaligned dword across three registers of different widths */
    assert_int_equal(vpci_regfile_read(rf, 0x23, 4), 0x56123400);
}

static void byte_access_writes_only_its_lane(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_regfile_write(rf, 0x0e, 1, 0x00);
    assert_int_equal(vpci_regfile_read(rf, 0x0c, 4), 0xff00ffff);
    assert_int_equal(vpci_regfile_read(rf, 0x0d, 1), 0xff);
    vpci_regfile_write(rf, 0x2c, 2, 0xbeef); /* upper half of COUNTER */
    assert_int_equal(vpci_reg_get(rf, 0x28), 0x1122beef55667788);
}

static void eight_byte_register_reads_whole(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_true(vpci_regfile_read(rf, 0x28, 8) == 0x1122334455667788);
    assert_int_equal(vpci_regfile_read(rf, 0x2c, 4), 0x11223344);
    vpci_regfile_write(rf, 0x28, 8, 0xffffffffffffffff);
    assert_true(vpci_reg_get(rf, 0x28) == UINT64_MAX);
}

/* ---- holes and rejected accesses ---- */

static void unknown_offset_reads_hole_value_and_is_counted(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    /* byte (o % 8) of hole_read at file offset o */
    assert_int_equal(vpci_regfile_read(rf, 0xf0, 4), 0x03020100);
    assert_int_equal(vpci_regfile_read(rf, 0xf4, 2), 0x0504);
    vpci_regfile_write(rf, 0xf0, 4, 0xdeadbeef);
    assert_int_equal(vpci_regfile_read(rf, 0xf0, 4), 0x03020100);
    assert_null(vpci_reg_name(rf, 0xf0));
    struct vpci_regfile_stats s = stats_of(rf);
    assert_int_equal(s.hole_reads, 3);
    assert_int_equal(s.hole_writes, 1);
    assert_int_equal(s.reads, 0);
    assert_int_equal(s.writes, 0);
}

static void access_partly_in_hole_mixes_register_and_hole_bytes(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    /* 0x26 BYTE, 0x27 hole (byte 7 of hole_read) */
    assert_int_equal(vpci_regfile_read(rf, 0x26, 2), 0x0756);
    vpci_regfile_write(rf, 0x26, 2, 0xffaa);
    assert_int_equal(vpci_reg_get(rf, 0x26), 0xaa);
    struct vpci_regfile_stats s = stats_of(rf);
    assert_int_equal(s.reads, 1);
    assert_int_equal(s.hole_reads, 1);
    assert_int_equal(s.writes, 1);
    assert_int_equal(s.hole_writes, 1);
}

static void rejected_width_returns_bad_read_and_ignores_write(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    /* VERSION accepts only dwords */
    assert_int_equal(vpci_regfile_read(rf, 0x00, 2), 0x3210);
    assert_int_equal(vpci_regfile_read(rf, 0x00, 1), 0x10);
    /* widths other than 1, 2, 4, 8 */
    assert_int_equal(vpci_regfile_read(rf, 0x0c, 3), 0x543210);
    assert_true(vpci_regfile_read(rf, 0x0c, 16) == 0xfedcba9876543210);
    assert_int_equal(vpci_regfile_read(rf, 0x0c, 0), 0);
    vpci_regfile_write(rf, 0x0c, 3, 0);
    vpci_regfile_write(rf, 0x0c, 0, 0);
    assert_int_equal(vpci_reg_get(rf, 0x0c), 0xffffffff);
    /* the first register touched decides: a word over VERSION's top half */
    vpci_regfile_write(rf, 0x03, 2, 0xffff);
    assert_int_equal(vpci_reg_get(rf, 0x04), 0);
    struct vpci_regfile_stats s = stats_of(rf);
    assert_int_equal(s.rejected, 8);
    assert_int_equal(s.reads + s.writes, 0);
}

static void access_past_span_rejected(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_int_equal(vpci_regfile_read(rf, 0xfe, 4), 0x76543210);
    assert_int_equal(vpci_regfile_read(rf, 0x100, 1), 0x10);
    assert_int_equal(vpci_regfile_read(rf, UINT64_MAX - 1, 4), 0x76543210);
    vpci_regfile_write(rf, 0xfc, 8, 0);
    assert_int_equal(stats_of(rf).rejected, 4);
    assert_int_equal(vpci_regfile_read(rf, 0xfc, 4), 0x07060504);
}

static const struct vpci_reg strict_regs[] = {
    REG(0x0, 4, "A", VPCI_RW, 0x11111111),
    REG(0x4, 4, "B", VPCI_RW, 0x22222222),
    REG(0x8, 2, "C", VPCI_RW, 0x3333, .widths = VPCI_W2 | VPCI_W4),
    REG(0x10, 4, "D", VPCI_RW, 0x44444444, .widths = VPCI_W1),
};
static const struct vpci_regfile_desc strict_desc = {
    .name = "strict", .regs = strict_regs,
    .nregs = VPCI_ARRAY_SIZE(strict_regs), .size = 0x14,
    .widths = VPCI_W4, .aligned = true, .bad_read = UINT64_MAX,
};

static void file_widths_and_alignment_restrict_accesses(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&strict_desc);

    assert_int_equal(vpci_regfile_read(rf, 0x0, 4), 0x11111111);
    assert_int_equal(vpci_regfile_read(rf, 0x0, 2), 0xffff);   /* width */
    assert_true(vpci_regfile_read(rf, 0x0, 8) == UINT64_MAX);  /* width */
    assert_int_equal(vpci_regfile_read(rf, 0x2, 4), 0xffffffff); /* align */
    /* C allows words itself */
    assert_int_equal(vpci_regfile_read(rf, 0x8, 2), 0x3333);
    assert_int_equal(vpci_regfile_read(rf, 0x9, 1), 0xff);
    /* a hole takes the file's widths */
    assert_int_equal(vpci_regfile_read(rf, 0xc, 2), 0xffff);
    assert_int_equal(vpci_regfile_read(rf, 0xc, 4), 0);
    /* D takes bytes only, even a whole-register dword is refused */
    assert_int_equal(vpci_regfile_read(rf, 0x10, 4), 0xffffffff);
    vpci_regfile_write(rf, 0x10, 4, 0);
    assert_int_equal(vpci_regfile_read(rf, 0x13, 1), 0x44);
    vpci_regfile_write(rf, 0x13, 1, 0);
    assert_int_equal(vpci_reg_get(rf, 0x10), 0x00444444);
    vpci_regfile_write(rf, 0x2, 4, 0);
    assert_int_equal(vpci_reg_get(rf, 0x0), 0x11111111);
    assert_int_equal(stats_of(rf).rejected, 8);
}

/* ---- arrays, model-side access ---- */

static void array_register_elements_independent(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    for (unsigned i = 0; i < 8; i++)
        vpci_regfile_write(rf, 0x40 + 4 * i, 4, 0x100 + i);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(vpci_regfile_read(rf, 0x40 + 4 * i, 4), 0x100 + i);
        assert_int_equal(vpci_reg_get(rf, 0x40 + 4 * i), 0x100 + i);
        assert_string_equal(vpci_reg_name(rf, 0x41 + 4 * i), "SCRATCH");
    }
    vpci_regfile_write(rf, 0x48, 8, 0);
    assert_int_equal(vpci_reg_get(rf, 0x44), 0x101);
    assert_int_equal(vpci_reg_get(rf, 0x48), 0);
    assert_int_equal(vpci_reg_get(rf, 0x4c), 0);
    assert_int_equal(vpci_reg_get(rf, 0x50), 0x104);
}

static void reg_get_set_need_exact_register_start(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    assert_int_equal(vpci_reg_set(rf, 0x0e, 1), -EINVAL);
    assert_int_equal(vpci_reg_set(rf, 0xf0, 1), -EINVAL);
    assert_int_equal(vpci_reg_set(rf, 0x1000, 1), -EINVAL);
    assert_int_equal(vpci_reg_get(rf, 0x0e), 0);
    assert_int_equal(vpci_reg_get(rf, 0xf0), 0);
    /* values are masked to the width; RO registers are settable */
    assert_int_equal(vpci_reg_set(rf, 0x24, 0xabcdef), 0);
    assert_int_equal(vpci_reg_get(rf, 0x24), 0xcdef);
    assert_int_equal(vpci_reg_set(rf, 0x00, 0x1), 0);
    assert_int_equal(vpci_regfile_read(rf, 0x00, 4), 0x1);
    assert_string_equal(vpci_reg_name(rf, 0x0e), "INT_MASK");
    assert_null(vpci_reg_name(rf, 0x1000));
    /* nothing counted */
    assert_int_equal(stats_of(rf).reads, 1);
}

static void reset_restores_reset_values(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    vpci_regfile_write(rf, 0x0c, 4, 0);
    vpci_regfile_write(rf, 0x44, 4, 7);
    vpci_reg_set(rf, 0x00, 0);
    vpci_reg_set(rf, 0x28, 0);
    assert_int_equal(vpci_dev_reset(ctx.dev, VPCI_RESET_CONVENTIONAL, NULL), 0);
    assert_int_equal(vpci_reg_get(rf, 0x0c), 0xffffffff);
    assert_int_equal(vpci_reg_get(rf, 0x44), 0);
    assert_int_equal(vpci_reg_get(rf, 0x00), 0x12345678);
    assert_true(vpci_reg_get(rf, 0x28) == 0x1122334455667788);
    vpci_reg_set(rf, 0x24, 0);
    vpci_regfile_reset(rf);
    assert_int_equal(vpci_reg_get(rf, 0x24), 0x1234);
}

static void state_save_load_round_trip(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);

    /* sum of the widths: 9 dwords + word + byte + qword + 9 dwords */
    size_t size = vpci_regfile_state_size(rf);
    assert_int_equal(size, 9 * 4 + 2 + 1 + 8 + 9 * 4);
    vpci_regfile_write(rf, 0x0c, 4, 0x0000abcd);
    vpci_reg_set(rf, 0x28, 0x0102030405060708);
    vpci_reg_set(rf, 0x5c, 0xcafe);

    uint8_t *img = malloc(size), *img2 = malloc(size);
    assert_non_null(img);
    assert_non_null(img2);
    vpci_regfile_state_save(rf, img);
    /* little endian, instance order: INT_MASK is the fourth dword */
    assert_int_equal(img[12], 0xcd);
    assert_int_equal(img[13], 0xab);
    assert_int_equal(img[0], 0x78); /* VERSION */
    assert_int_equal(img[36], 0x34); /* HALF */

    vpci_regfile_reset(rf);
    assert_int_equal(vpci_reg_get(rf, 0x0c), 0xffffffff);
    vpci_regfile_state_load(rf, img);
    assert_int_equal(vpci_reg_get(rf, 0x0c), 0xabcd);
    assert_true(vpci_reg_get(rf, 0x28) == 0x0102030405060708);
    assert_int_equal(vpci_reg_get(rf, 0x5c), 0xcafe);
    vpci_regfile_state_save(rf, img2);
    assert_memory_equal(img, img2, size);
    free(img);
    free(img2);
}

/* ---- callbacks ---- */

struct cb_log {
    unsigned writes, reads;
    struct vpci_reg_access last_write, last_read;
    struct vpci_regfile *rf;
    bool reenter;
};

static void record_write(const struct vpci_reg_access *a)
{
    struct cb_log *l = a->opaque;
    l->writes++;
    l->last_write = *a;
}

static uint64_t present_read(const struct vpci_reg_access *a)
{
    struct cb_log *l = a->opaque;
    l->reads++;
    l->last_read = *a;
    return 0x0a0b0c0d0e0f1011;
}

/* A doorbell: acts, then clears itself and raises STATUS bit 0; when
 * asked, re-enters through a guest write to another register. */
static void doorbell_write(const struct vpci_reg_access *a)
{
    struct cb_log *l = a->opaque;
    l->writes++;
    assert_int_equal(vpci_reg_set(a->rf, a->offset, 0), 0);
    assert_int_equal(vpci_reg_set(a->rf, 0x8, vpci_reg_get(a->rf, 0x8) | 1),
                     0);
    if (l->reenter) {
        l->reenter = false;
        vpci_regfile_write(a->rf, 0x0, 4, 0x77); /* this same register */
    }
}

static const struct vpci_reg cb_regs[] = {
    REG(0x0, 4, "DOORBELL", VPCI_RW,  0, .on_write = doorbell_write),
    REG(0x4, 4, "MASK",     VPCI_RW,  0xffff0000, .on_write = record_write),
    REG(0x8, 4, "STATUS",   VPCI_W1C, 0, .on_write = record_write),
    REG(0xc, 4, "LIVE",     VPCI_RO,  0, .on_write = record_write,
        .on_read = present_read),
    REG(0x10, 4, "CLR",     VPCI_RC,  0x33, .on_read = present_read),
    REG(0x14, 4, "TABLE",   VPCI_W1S, 0, .on_write = record_write, .count = 4),
    REG(0x24, 4, "CMD",     VPCI_WO,  0, .on_write = record_write,
        .on_read = present_read),
};
static const struct vpci_regfile_desc cb_desc = {
    .name = "cb", .regs = cb_regs, .nregs = VPCI_ARRAY_SIZE(cb_regs),
    .wo_read = 0xffffffff,
};

static void callbacks_see_old_value_and_lanes(void **state)
{
    (void)state;
    struct cb_log l = { 0 };
    assert_int_equal(create_with(&cb_desc, 0, 0x100, &l), 0);
    struct vpci_regfile *rf = ctx.req[0].rf;

    vpci_regfile_write(rf, 0x6, 1, 0x12);
    assert_int_equal(l.writes, 1);
    const struct vpci_reg_access *a = &l.last_write;
    assert_ptr_equal(a->dev, ctx.dev);
    assert_ptr_equal(a->rf, rf);
    assert_ptr_equal(a->reg, &cb_regs[1]);
    assert_ptr_equal(a->opaque, &l);
    assert_int_equal(a->offset, 0x4);
    assert_int_equal(a->index, 0);
    assert_int_equal(a->byte, 2);
    assert_int_equal(a->len, 1);
    assert_true(a->lanes == 0x00ff0000);
    assert_true(a->old == 0xffff0000);
    assert_true(a->value == 0xff120000);
    assert_true(a->data == 0x00120000);

    /* W1C: data is what was written, value what is stored */
    vpci_reg_set(rf, 0x8, 0xf);
    vpci_regfile_write(rf, 0x8, 4, 0x3);
    assert_true(l.last_write.old == 0xf);
    assert_true(l.last_write.value == 0xc);
    assert_true(l.last_write.data == 0x3);

    /* array element: index and element offset */
    vpci_regfile_write(rf, 0x20, 4, 0x80);
    assert_int_equal(l.last_write.index, 3);
    assert_int_equal(l.last_write.offset, 0x20);

    /* a write split over two registers calls both, in address order */
    l.writes = 0;
    vpci_regfile_write(rf, 0x6, 4, 0x00010000);
    assert_int_equal(l.writes, 2);
    assert_int_equal(l.last_write.offset, 0x8);
    assert_int_equal(l.last_write.byte, 0);
    assert_int_equal(l.last_write.len, 2);
    assert_true(l.last_write.lanes == 0xffff);
    assert_true(l.last_write.data == 0x0001);

    /* RO with on_write: not called; WO: called, not read */
    l.writes = 0;
    vpci_regfile_write(rf, 0xc, 4, 1);
    assert_int_equal(l.writes, 0);
    vpci_regfile_write(rf, 0x24, 4, 9);
    assert_int_equal(l.writes, 1);
    assert_true(l.last_write.value == 9);
    l.reads = 0;
    assert_int_equal(vpci_regfile_read(rf, 0x24, 4), 0xffffffff);
    assert_int_equal(l.reads, 0);
}

static void on_read_value_is_presented(void **state)
{
    (void)state;
    struct cb_log l = { 0 };
    assert_int_equal(create_with(&cb_desc, 0, 0, &l), 0);
    struct vpci_regfile *rf = ctx.req[0].rf;

    assert_int_equal(vpci_regfile_read(rf, 0xc, 4), 0x0e0f1011);
    assert_int_equal(l.reads, 1);
    assert_int_equal(l.last_read.offset, 0xc);
    assert_int_equal(vpci_regfile_read(rf, 0xe, 2), 0x0e0f);
    assert_int_equal(l.last_read.byte, 2);
    assert_int_equal(l.last_read.len, 2);
    assert_true(l.last_read.lanes == 0xffff0000);
    /* RC with on_read: presents the callback's value, then clears */
    assert_true(l.last_read.old == 0);
    assert_int_equal(vpci_regfile_read(rf, 0x10, 4), 0x0e0f1011);
    assert_true(l.last_read.old == 0x33);
    assert_int_equal(vpci_reg_get(rf, 0x10), 0);
}

static void callback_may_set_registers_and_reenter(void **state)
{
    (void)state;
    struct cb_log l = { .reenter = true };
    assert_int_equal(create_with(&cb_desc, 0, 0, &l), 0);
    struct vpci_regfile *rf = ctx.req[0].rf;

    vpci_regfile_write(rf, 0x0, 8, 0x0000000500000001);
    assert_int_equal(l.writes, 3); /* doorbell twice (re-entered), MASK */
    assert_int_equal(vpci_reg_get(rf, 0x0), 0);
    assert_int_equal(vpci_reg_get(rf, 0x4), 0x5);
    assert_int_equal(vpci_reg_get(rf, 0x8), 0x1);
    assert_int_equal(stats_of(rf).writes, 2);
}

/* ---- trace ---- */

static void trace_lines_name_register(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);
    vpci_dev_set_trace(ctx.dev, true);
    ctx.nlines = 0;

    vpci_regfile_write(rf, 0x0c, 4, 0x3);
    vpci_regfile_read(rf, 0x00, 4);
    vpci_regfile_write(rf, 0xf0, 4, 0x1);
    vpci_regfile_write(rf, 0x00, 4, 0x1);
    vpci_regfile_read(rf, 0x00, 2);
    vpci_regfile_write(rf, 0x48, 4, 0x9);
    vpci_regfile_read(rf, 0x13, 2);
    vpci_regfile_write(rf, 0x10, 8, 0x1);
    assert_int_equal(ctx.nlines, 8);
    for (unsigned i = 0; i < ctx.nlines; i++)
        assert_int_equal(ctx.levels[i], VPCI_LOG_TRACE);
    assert_string_equal(ctx.lines[0],
                        "virt-pci.mmio write INT_MASK [4] = 0x3 "
                        "(0xffffffff -> 0x3)");
    assert_string_equal(ctx.lines[1],
                        "virt-pci.mmio read VERSION [4] -> 0x12345678");
    assert_string_equal(ctx.lines[2],
                        "virt-pci.mmio write hole 0xf0 [4] = 0x1 ignored");
    assert_string_equal(ctx.lines[3],
                        "virt-pci.mmio write VERSION [4] = 0x1 ignored");
    assert_non_null(strstr(ctx.lines[4], "rejected"));
    assert_string_equal(ctx.lines[5], "virt-pci.mmio write SCRATCH[2] [4] = "
                                      "0x9 (0x0 -> 0x9)");
    assert_string_equal(ctx.lines[6],
                        "virt-pci.mmio read DMA_SRC+0x3,DMA_DST [2] -> 0x0");
    assert_string_equal(ctx.lines[7],
                        "virt-pci.mmio write DMA_SRC,DMA_DST [8] = 0x1 "
                        "(DMA_SRC: 0x0 -> 0x1, DMA_DST: 0x0 -> 0x0)");

    /* tracing off: silent */
    vpci_dev_set_trace(ctx.dev, false);
    vpci_regfile_read(rf, 0x00, 4);
    assert_int_equal(ctx.nlines, 8);
}

static void trace_lines_show_holes_ignored_parts_and_rejects(void **state)
{
    (void)state;
    struct vpci_regfile *rf = create_ok(&virt_desc);
    vpci_dev_set_trace(ctx.dev, true);
    ctx.nlines = 0;

    vpci_regfile_write(rf, 0x26, 2, 0x0102);  /* BYTE, then a hole */
    vpci_regfile_write(rf, 0x1e, 4, 0x0001);  /* SET top half, RSVD0 */
    vpci_regfile_write(rf, 0x00, 2, 0);       /* VERSION: dwords only */
    vpci_regfile_read(rf, 0x30, 4);           /* unnamed register */
    vpci_regfile_read(rf, 0x5c, 8);           /* SCRATCH[7], then holes */
    assert_int_equal(ctx.nlines, 5);
    assert_string_equal(ctx.lines[0], "virt-pci.mmio write BYTE,hole 0x27 "
                                      "[2] = 0x102 (0x56 -> 0x2)");
    assert_string_equal(ctx.lines[1], "virt-pci.mmio write SET+0x2,RSVD0 "
                                      "[4] = 0x1 (0x0 -> 0x10000)");
    assert_string_equal(ctx.lines[2],
                        "virt-pci.mmio write 0x0 [2] = 0x0 rejected");
    assert_string_equal(ctx.lines[3], "virt-pci.mmio read 0x30 [4] -> 0x0");
    assert_string_equal(ctx.lines[4], "virt-pci.mmio read SCRATCH[7],"
                                      "hole 0x60 [8] -> 0x302010000000000");
}

/* ---- table checks at attach ---- */

static void expect_attach_fails(const struct vpci_regfile_desc *desc,
                                unsigned bar, uint64_t base, int rc,
                                const char *msg)
{
    assert_int_equal(create_with(desc, bar, base, NULL), rc);
    assert_null(ctx.dev);
    assert_int_equal(ctx.req[0].rc, rc);
    if (msg && !logged(msg)) {
        for (unsigned i = 0; i < ctx.nlines; i++)
            print_message("log: %s\n", ctx.lines[i]);
        fail_msg("no message naming \"%s\"", msg);
    }
}

static void overlapping_table_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg regs[] = {
        REG(0x0, 4, "FIRST",  VPCI_RW, 0),
        REG(0x8, 8, "WIDE",   VPCI_RW, 0),
        REG(0xc, 4, "INSIDE", VPCI_RW, 0),
    };
    static const struct vpci_regfile_desc desc = {
        .name = "bad", .regs = regs, .nregs = 3,
    };
    expect_attach_fails(&desc, 0, 0, -EINVAL, "INSIDE");
    assert_true(logged("overlaps WIDE"));
}

static void overlapping_array_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg regs[] = {
        REG(0x10, 4, "LATE",  VPCI_RW, 0),
        REG(0x00, 4, "ARRAY", VPCI_RW, 0, .count = 5),
    };
    static const struct vpci_regfile_desc desc = {
        .name = "bad", .regs = regs, .nregs = 2,
    };
    expect_attach_fails(&desc, 0, 0, -EINVAL, "overlaps");
}

static void misaligned_register_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg regs[] = {
        REG(0x0, 4, "OK",  VPCI_RW, 0),
        REG(0x6, 4, "ODD", VPCI_RW, 0),
    };
    static const struct vpci_regfile_desc desc = {
        .name = "bad", .regs = regs, .nregs = 2,
    };
    expect_attach_fails(&desc, 0, 0, -EINVAL, "ODD");
}

static void bad_register_width_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg regs[] = {
        REG(0x0, 3, "THREE", VPCI_RW, 0),
    };
    static const struct vpci_regfile_desc desc = {
        .name = "bad", .regs = regs, .nregs = 1,
    };
    expect_attach_fails(&desc, 0, 0, -EINVAL, "THREE");
}

static void bad_access_kind_and_widths_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg kind_regs[] = {
        REG(0x0, 4, "KIND", (enum vpci_access)42, 0),
    };
    static const struct vpci_regfile_desc kind_desc = {
        .name = "bad", .regs = kind_regs, .nregs = 1,
    };
    expect_attach_fails(&kind_desc, 0, 0, -EINVAL, "KIND");
    teardown(state);
    setup(state);

    static const struct vpci_reg w_regs[] = {
        REG(0x0, 4, "WIDTHS", VPCI_RW, 0, .widths = 0x10),
    };
    static const struct vpci_regfile_desc w_desc = {
        .name = "bad", .regs = w_regs, .nregs = 1,
    };
    expect_attach_fails(&w_desc, 0, 0, -EINVAL, "WIDTHS");
    teardown(state);
    setup(state);

    static const struct vpci_regfile_desc fw_desc = {
        .name = "badfile", .regs = w_regs, .nregs = 0, .size = 4,
        .widths = 0x3f,
    };
    expect_attach_fails(&fw_desc, 0, 0, -EINVAL, "badfile");
    teardown(state);
    setup(state);

    static const struct vpci_reg wrap_regs[] = {
        REG(0xfffffffc, 4, "WRAP", VPCI_RW, 0, .count = 2),
    };
    static const struct vpci_regfile_desc wrap_desc = {
        .name = "bad", .regs = wrap_regs, .nregs = 1,
    };
    expect_attach_fails(&wrap_desc, VPCI_REGFILE_NO_BAR, 0, -EINVAL, "WRAP");
    teardown(state);
    setup(state);

    static const struct vpci_regfile_desc empty_desc = { .name = "empty" };
    expect_attach_fails(&empty_desc, 0, 0, -EINVAL, "empty");
    teardown(state);
    setup(state);

    expect_attach_fails(NULL, 0, 0, -EINVAL, "descriptor");
}

static void table_larger_than_bar_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg regs[] = {
        REG(0x000, 4, "FIRST", VPCI_RW, 0),
        REG(0x1000, 8, "BEYOND", VPCI_RW, 0),
    };
    static const struct vpci_regfile_desc desc = {
        .name = "big", .regs = regs, .nregs = 2,
    };
    expect_attach_fails(&desc, 0, 0, -EINVAL, "BEYOND");
    assert_true(logged("BAR 0"));
    teardown(state);
    setup(state);
    /* fits at 0, not at base 0x800 */
    expect_attach_fails(&virt_desc, 0, 0xf80, -EINVAL, "BAR 0");
    teardown(state);
    setup(state);
    expect_attach_fails(&virt_desc, 0, 0x10000, -EINVAL, "BAR 0");
}

static void register_past_file_size_rejected(void **state)
{
    (void)state;
    static const struct vpci_reg regs[] = {
        REG(0x00, 4, "IN",  VPCI_RW, 0),
        REG(0x10, 4, "OUT", VPCI_RW, 0),
    };
    static const struct vpci_regfile_desc desc = {
        .name = "small", .regs = regs, .nregs = 2, .size = 0x10,
    };
    expect_attach_fails(&desc, 0, 0, -EINVAL, "OUT");
}

static void undeclared_bar_rejected(void **state)
{
    (void)state;
    expect_attach_fails(&virt_desc, 1, 0, -EINVAL, "BAR 1");
    teardown(state);
    setup(state);
    expect_attach_fails(&virt_desc, VPCI_ROM_BAR, 0, -EINVAL, "BAR 6");
    teardown(state);
    setup(state);
    expect_attach_fails(&virt_desc, 7, 0, -EINVAL, "BAR 7");
}

static void overlapping_files_in_one_bar_rejected(void **state)
{
    (void)state;
    ctx.req[0] = (struct attach_req){ &virt_desc, 0, 0x100, NULL, 0, NULL };
    ctx.req[1] = (struct attach_req){ &strict_desc, 0, 0x1f8, NULL, 0, NULL };
    ctx.nreq = 2;
    assert_int_equal(
        vpci_dev_create(&test_model, NULL, &log_ops, NULL, &ctx.dev), 0);
    assert_int_equal(ctx.req[0].rc, 0);
    assert_int_equal(ctx.req[1].rc, -EBUSY);
    assert_null(ctx.req[1].rf);
    assert_true(logged("overlaps register file virt-pci.mmio"));
}

static void files_in_one_bar_are_kept_sorted_by_base(void **state)
{
    (void)state;
    ctx.req[0] = (struct attach_req){ &virt_desc, 0, 0x200, NULL, 0, NULL };
    ctx.req[1] = (struct attach_req){ &strict_desc, 0, 0x0, NULL, 0, NULL };
    ctx.req[2] = (struct attach_req){ &wmask_desc, VPCI_REGFILE_NO_BAR, 0,
                                      NULL, 0, NULL };
    ctx.req[3] = (struct attach_req){ &cb_desc, 0, 0x100, NULL, 0, NULL };
    ctx.nreq = 4;
    ctx.fail_init_on_error = true;
    assert_int_equal(
        vpci_dev_create(&test_model, NULL, &log_ops, NULL, &ctx.dev), 0);
    struct vpci_regfile *virt = ctx.req[0].rf, *strict = ctx.req[1].rf,
                        *wm = ctx.req[2].rf, *cb = ctx.req[3].rf;

    /* BAR order by base; device order by attach */
    assert_ptr_equal(ctx.dev->bars[0].regfiles, strict);
    assert_ptr_equal(vpci_regfile_bar_next(strict), cb);
    assert_ptr_equal(vpci_regfile_bar_next(cb), virt);
    assert_null(vpci_regfile_bar_next(virt));
    assert_ptr_equal(ctx.dev->regfiles, virt);
    assert_ptr_equal(vpci_regfile_dev_next(virt), strict);
    assert_ptr_equal(vpci_regfile_dev_next(strict), wm);
    assert_ptr_equal(vpci_regfile_dev_next(wm), cb);
    assert_null(vpci_regfile_dev_next(cb));
    assert_null(vpci_regfile_bar_next(wm));

    assert_int_equal(vpci_regfile_base(virt), 0x200);
    assert_int_equal(vpci_regfile_span(virt), 0x100);
    assert_int_equal(vpci_regfile_span(wm), 0xc); /* up to the last reg */
    assert_true(vpci_regfile_hole_value(virt) == 0x0706050403020100);
    assert_string_equal(vpci_regfile_name(virt), "virt-pci.mmio");
}

static int late_attach_init(struct vpci_dev *dev, const struct vpci_props *p)
{
    (void)p;
    const struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 1 };
    int rc = vpci_dev_set_identity(dev, &id);
    return rc ? rc : vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
}

static void attach_after_init_rejected(void **state)
{
    (void)state;
    static const struct vpci_model late = {
        .name = "regfile-late", .init = late_attach_init,
    };
    assert_int_equal(vpci_dev_create(&late, NULL, &log_ops, NULL, &ctx.dev),
                     0);
    struct vpci_regfile *rf = NULL;
    assert_int_equal(
        vpci_regfile_attach(ctx.dev, 0, 0, &virt_desc, NULL, &rf), -EPERM);
    assert_null(rf);
    assert_null(ctx.dev->regfiles);
    assert_true(logged("vpci_regfile_attach"));
}

/* ---- large files: the binary-search lookup ---- */

static const struct vpci_reg sparse_regs[] = {
    REG(0x000010, 4, "LOW",    VPCI_RW,  0x1),
    REG(0x080000, 2, "MID",    VPCI_W1C, 0xffff),
    REG(0x1ffff8, 8, "HIGH",   VPCI_RW,  0x3),
    REG(0x100000, 4, "ARR",    VPCI_RW,  0, .count = 4),
};
static const struct vpci_regfile_desc sparse_desc = {
    .name = "sparse", .regs = sparse_regs,
    .nregs = VPCI_ARRAY_SIZE(sparse_regs), .hole_read = UINT64_MAX,
    .bad_read = UINT32_MAX,
};

static void large_sparse_file_behaves_like_small_one(void **state)
{
    (void)state;
    assert_int_equal(create_with(&sparse_desc, VPCI_REGFILE_NO_BAR, 0, NULL),
                     0);
    struct vpci_regfile *rf = ctx.req[0].rf;

    assert_int_equal(vpci_regfile_span(rf), 0x200000);
    assert_int_equal(vpci_regfile_read(rf, 0x10, 4), 0x1);
    assert_int_equal(vpci_regfile_read(rf, 0x0, 4), 0xffffffff);
    assert_int_equal(vpci_regfile_read(rf, 0x14, 4), 0xffffffff);
    assert_null(vpci_reg_name(rf, 0x0));
    vpci_regfile_write(rf, 0x080000, 2, 0x00f0);
    assert_int_equal(vpci_regfile_read(rf, 0x080000, 2), 0xff0f);
    assert_true(vpci_regfile_read(rf, 0x1ffff8, 8) == 0x3);
    vpci_regfile_write(rf, 0x100006, 4, 0xaabbccdd);
    assert_int_equal(vpci_reg_get(rf, 0x100004), 0xccdd0000);
    assert_int_equal(vpci_reg_get(rf, 0x100008), 0xaabb);
    assert_int_equal(vpci_reg_get(rf, 0x100002), 0);
    assert_string_equal(vpci_reg_name(rf, 0x10000f), "ARR");
    assert_null(vpci_reg_name(rf, 0x100010));
    assert_null(vpci_reg_name(rf, 0x7ffff));
    assert_int_equal(vpci_reg_set(rf, 0x1ffff8, 9), 0);
    assert_int_equal(vpci_reg_set(rf, 0x1ffffc, 9), -EINVAL);
    assert_int_equal(vpci_regfile_read(rf, 0x1ffffc, 8), UINT32_MAX);
    assert_int_equal(stats_of(rf).rejected, 1);
}

/* ---- through the BAR, as a host would ---- */

static void bar_access_reaches_register_file(void **state)
{
    (void)state;
    assert_int_equal(create_with(&virt_desc, 0, 0x100, NULL), 0);
    struct vpci_regfile *rf = ctx.req[0].rf;
    struct vpci_effects fx;

    assert_int_equal(vpci_cfg_write(ctx.dev, PCI_BASE_ADDRESS_0, 4,
                                    0xfebf0000, &fx), 0);
    assert_int_equal(vpci_cfg_write(ctx.dev, PCI_COMMAND, 2,
                                    PCI_COMMAND_MEMORY, &fx), 0);
    uint64_t v = 0;
    assert_int_equal(vpci_bar_read(ctx.dev, 0, 0x100, 4, &v), 0);
    assert_int_equal(v, 0x12345678);
    assert_int_equal(vpci_bar_write(ctx.dev, 0, 0x10c, 4, 0x5), 0);
    assert_int_equal(vpci_reg_get(rf, 0x0c), 0x5);
    assert_int_equal(stats_of(rf).reads, 1);
}

static void access_names_are_printable(void **state)
{
    (void)state;
    assert_string_equal(vpci_access_name(VPCI_RO), "RO");
    assert_string_equal(vpci_access_name(VPCI_RW), "RW");
    assert_string_equal(vpci_access_name(VPCI_WO), "WO");
    assert_string_equal(vpci_access_name(VPCI_W1C), "W1C");
    assert_string_equal(vpci_access_name(VPCI_W1S), "W1S");
    assert_string_equal(vpci_access_name(VPCI_RC), "RC");
    assert_string_equal(vpci_access_name(VPCI_RSVD), "RSVD");
    assert_string_equal(vpci_access_name((enum vpci_access)99), "?");
    struct vpci_regfile_stats s;
    memset(&s, 0xff, sizeof(s));
    vpci_regfile_get_stats(NULL, &s);
    assert_int_equal(s.reads, 0);
    vpci_regfile_get_stats(NULL, NULL);
    vpci_regfile_free(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(rw_register_reads_back_written_value),
        T(w1c_register_clears_only_written_ones),
        T(w1s_register_sets_only_written_ones),
        T(ro_write_is_ignored_and_counted),
        T(rc_read_clears),
        T(wo_reads_wo_read_value),
        T(rsvd_reads_zero_and_ignores_writes),
        T(wmask_limits_writable_bits),
        T(eight_byte_access_merges_two_dword_registers),
        T(unaligned_word_access_spans_two_registers),
        T(byte_access_writes_only_its_lane),
        T(eight_byte_register_reads_whole),
        T(unknown_offset_reads_hole_value_and_is_counted),
        T(access_partly_in_hole_mixes_register_and_hole_bytes),
        T(rejected_width_returns_bad_read_and_ignores_write),
        T(access_past_span_rejected),
        T(file_widths_and_alignment_restrict_accesses),
        T(array_register_elements_independent),
        T(reg_get_set_need_exact_register_start),
        T(reset_restores_reset_values),
        T(state_save_load_round_trip),
        T(callbacks_see_old_value_and_lanes),
        T(on_read_value_is_presented),
        T(callback_may_set_registers_and_reenter),
        T(trace_lines_name_register),
        T(trace_lines_show_holes_ignored_parts_and_rejects),
        T(overlapping_table_rejected),
        T(overlapping_array_rejected),
        T(misaligned_register_rejected),
        T(bad_register_width_rejected),
        T(bad_access_kind_and_widths_rejected),
        T(table_larger_than_bar_rejected),
        T(register_past_file_size_rejected),
        T(undeclared_bar_rejected),
        T(overlapping_files_in_one_bar_rejected),
        T(files_in_one_bar_are_kept_sorted_by_base),
        T(attach_after_init_rejected),
        T(large_sparse_file_behaves_like_small_one),
        T(bar_access_reaches_register_file),
        T(access_names_are_printable),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
