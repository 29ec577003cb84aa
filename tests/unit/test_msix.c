/* SPDX-License-Identifier: MIT */
/*
 * MSI-X (libvpci/cap_msix.c): the capability registers, the table and PBA
 * reached through BARs, reset values, vector and function masks with
 * pending bits and delivery on unmask, placement checks, effects.
 *
 * The function: BAR0 MEM32 4 KiB backed by RAM, BAR1 IO 256 bytes, BAR2-3
 * MEM64 64 KiB, BAR4 MEM32 4 KiB.  By default 8 vectors, the table in BAR0
 * at 0x808 (8- but not 16-byte aligned, with RAM around it) and the PBA in
 * BAR2 at 0x1000.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "internal.h"
#include "testhost.h"

#define TABLE_OFF 0x808u
#define PBA_OFF 0x1000u
#define BAR0_ADDR 0xfebf0000ull
#define BAR2_ADDR 0x800000000ull

static struct {
    unsigned vectors;
    unsigned table_bar, pba_bar;
    uint32_t table_off, pba_off;
    int rc;
    unsigned cap;
    bool twice;
    int rc2;
} want;

static int build(struct vpci_dev *dev)
{
    struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 0x22,
                                .interrupt_pin = 1, .express = true };
    int rc = vpci_dev_set_identity(dev, &id);
    rc = rc ? rc : vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 0x1000, 0);
    rc = rc ? rc : vpci_bar_set_ram(dev, 0);
    rc = rc ? rc : vpci_bar_define(dev, 1, VPCI_BAR_IO, 0x100, 0);
    rc = rc ? rc : vpci_bar_define(dev, 2, VPCI_BAR_MEM64, 0x10000, 0);
    rc = rc ? rc : vpci_bar_define(dev, 4, VPCI_BAR_MEM32, 0x1000, 0);
    if (rc)
        return rc;
    want.rc = vpci_cap_add_msix(dev, 0, want.vectors, want.table_bar,
                                want.table_off, want.pba_bar, want.pba_off,
                                &want.cap);
    if (want.twice)
        want.rc2 = vpci_cap_add_msix(dev, 0, 1, 4, 0, 4, 0x100, NULL);
    return 0;
}

static struct {
    struct testhost *h;
    struct vpci_dev *dev;
} fix;

static void defaults(void)
{
    memset(&want, 0, sizeof(want));
    want.vectors = 8;
    want.table_bar = 0;
    want.table_off = TABLE_OFF;
    want.pba_bar = 2;
    want.pba_off = PBA_OFF;
}

static int setup(void **state)
{
    (void)state;
    defaults();
    fix.h = testhost_new(0);
    fix.dev = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(fix.dev);
    fix.dev = NULL;
    testhost_free(fix.h);
    return 0;
}

/* Build with `want`; map BAR0 and BAR2 and turn memory decode on. */
static unsigned make(void)
{
    assert_int_equal(testhost_create(fix.h, build, &fix.dev), 0);
    assert_int_equal(want.rc, 0);
    testhost_map_bar(fix.dev, 0, BAR0_ADDR);
    testhost_map_bar(fix.dev, 2, BAR2_ADDR);
    testhost_command(fix.dev, PCI_COMMAND_MEMORY);
    return want.cap;
}

/* Try to build with `want`; what did vpci_cap_add_msix return? */
static int try_make(void)
{
    assert_int_equal(testhost_create(fix.h, build, &fix.dev), 0);
    vpci_dev_destroy(fix.dev);
    fix.dev = NULL;
    return want.rc;
}

static uint32_t rd_cfg(unsigned off, unsigned len)
{
    return vpci_cfg_read(fix.dev, off, len);
}

static void wr_cfg(unsigned off, unsigned len, uint32_t val)
{
    assert_int_equal(vpci_cfg_write(fix.dev, off, len, val, NULL), 0);
}

static uint64_t tbl_rd(unsigned v, unsigned field, unsigned len)
{
    uint64_t val = 0;
    assert_int_equal(vpci_bar_read(fix.dev, 0,
                                   TABLE_OFF + 16 * v + field, len, &val),
                     0);
    return val;
}

static void tbl_wr(unsigned v, unsigned field, unsigned len, uint64_t val)
{
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF + 16 * v + field,
                                    len, val), 0);
}

static uint64_t pba_rd(unsigned qword)
{
    uint64_t val = 0;
    assert_int_equal(vpci_bar_read(fix.dev, 2, PBA_OFF + 8 * qword, 8, &val),
                     0);
    return val;
}

/* Vector @v sends @data to @addr; unmasked when @unmask. */
static void program(unsigned v, uint64_t addr, uint32_t data, bool unmask)
{
    tbl_wr(v, PCI_MSIX_ENTRY_LOWER_ADDR, 8, addr);
    tbl_wr(v, PCI_MSIX_ENTRY_DATA, 4, data);
    tbl_wr(v, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, unmask ? 0 : 1);
}

static void enable_msix(unsigned cap, bool fmask)
{
    wr_cfg(cap + PCI_MSIX_FLAGS, 2,
           PCI_MSIX_FLAGS_ENABLE | (fmask ? PCI_MSIX_FLAGS_MASKALL : 0));
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
}

/* ---- capability ---- */

static void msix_capability_describes_table_and_pba(void **state)
{
    (void)state;
    unsigned cap = make();
    assert_int_equal(vpci_cap_find(fix.dev, PCI_CAP_ID_MSIX), cap);
    assert_int_equal(fix.dev->used[cap + PCI_CAP_MSIX_SIZEOF - 1], 1);
    assert_int_equal(fix.dev->used[cap + PCI_CAP_MSIX_SIZEOF], 0);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_FLAGS, 2), 7);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_TABLE, 4), TABLE_OFF | 0);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_PBA, 4), PBA_OFF | 2);
    /* Only Enable and Function Mask are writable. */
    wr_cfg(cap + PCI_MSIX_FLAGS, 2, 0xffff);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_FLAGS, 2),
                     PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 7);
    wr_cfg(cap + PCI_MSIX_TABLE, 4, 0);
    wr_cfg(cap + PCI_MSIX_PBA, 4, 0xffffffff);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_TABLE, 4), TABLE_OFF);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_PBA, 4), PBA_OFF | 2);
}

static void msix_table_size_field_is_vectors_minus_one(void **state)
{
    (void)state;
    want.vectors = 2048;
    want.table_bar = 2;
    want.table_off = 0;
    want.pba_bar = 4;
    want.pba_off = 0xf00;
    unsigned cap = make();
    assert_int_equal(rd_cfg(cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE,
                     2047);
}

static void msix_second_capability_is_refused(void **state)
{
    (void)state;
    want.twice = true;
    make();
    assert_int_equal(want.rc2, -EEXIST);
}

static void msix_cannot_be_added_after_init(void **state)
{
    (void)state;
    make();
    assert_int_equal(vpci_cap_add_msix(fix.dev, 0, 1, 4, 0, 4, 0x100, NULL),
                     -EPERM);
}

/* ---- placement checks ---- */

static void msix_table_and_pba_must_fit_their_bars(void **state)
{
    (void)state;
    /* 8 vectors: 128-byte table, 8-byte PBA. */
    want.table_off = 0x1000 - 0x78;        /* table runs 8 bytes past */
    assert_int_equal(try_make(), -EINVAL);
    assert_true(testhost_logged(fix.h, "does not fit"));
    defaults();
    want.table_off = 0x1000 - 0x80;        /* exactly fits */
    assert_int_equal(try_make(), 0);
    defaults();
    want.pba_off = 0x10000 - 4;            /* PBA runs past BAR2 */
    assert_int_equal(try_make(), -EINVAL);
    defaults();
    want.vectors = 256;                    /* 4 KiB table in a 4 KiB BAR */
    want.table_off = 8;
    assert_int_equal(try_make(), -EINVAL);
    defaults();
    want.vectors = 200;                    /* 25-qword PBA */
    want.pba_bar = 4;
    want.pba_off = 0x1000 - 8 * 3;
    assert_int_equal(try_make(), -EINVAL);
}

static void msix_table_and_pba_must_be_qword_aligned(void **state)
{
    (void)state;
    want.table_off = 0x804;
    assert_int_equal(try_make(), -EINVAL);
    assert_true(testhost_logged(fix.h, "8-byte aligned"));
    defaults();
    want.pba_off = 0x1004;
    assert_int_equal(try_make(), -EINVAL);
}

static void msix_needs_declared_memory_bars(void **state)
{
    (void)state;
    want.table_bar = 1;                    /* IO */
    assert_int_equal(try_make(), -EINVAL);
    assert_true(testhost_logged(fix.h, "memory BAR"));
    defaults();
    want.pba_bar = 3;                      /* upper half of BAR2 */
    want.pba_off = 0;
    assert_int_equal(try_make(), -EINVAL);
    defaults();
    want.table_bar = 5;                    /* not declared */
    want.table_off = 0;
    assert_int_equal(try_make(), -EINVAL);
    defaults();
    want.pba_bar = 6;                      /* the ROM slot */
    assert_int_equal(try_make(), -EINVAL);
}

static void msix_table_and_pba_may_share_a_bar_without_overlapping(
    void **state)
{
    (void)state;
    want.pba_bar = 0;
    want.pba_off = TABLE_OFF + 0x78;       /* inside the table */
    assert_int_equal(try_make(), -EINVAL);
    assert_true(testhost_logged(fix.h, "overlaps"));
    defaults();
    want.pba_bar = 0;
    want.pba_off = TABLE_OFF - 8;          /* just before it */
    assert_int_equal(try_make(), 0);
    defaults();
    want.pba_bar = 0;
    want.pba_off = TABLE_OFF + 0x80;       /* just after it */
    assert_int_equal(try_make(), 0);
}

static void msix_vector_count_is_1_to_2048(void **state)
{
    (void)state;
    want.vectors = 0;
    assert_int_equal(try_make(), -EINVAL);
    want.vectors = 2049;
    want.table_bar = 2;
    want.table_off = 0;
    want.pba_bar = 4;
    want.pba_off = 0;
    assert_int_equal(try_make(), -EINVAL);
    want.vectors = 1;
    assert_int_equal(try_make(), 0);
}

/* ---- table and PBA through the BARs ---- */

static void msix_vectors_come_out_of_reset_masked(void **state)
{
    (void)state;
    make();
    for (unsigned v = 0; v < 8; v++) {
        assert_int_equal(tbl_rd(v, PCI_MSIX_ENTRY_LOWER_ADDR, 8), 0);
        assert_int_equal(tbl_rd(v, PCI_MSIX_ENTRY_DATA, 4), 0);
        assert_int_equal(tbl_rd(v, PCI_MSIX_ENTRY_VECTOR_CTRL, 4),
                         PCI_MSIX_ENTRY_CTRL_MASKBIT);
    }
    assert_int_equal(pba_rd(0), 0);
}

static void msix_table_is_reached_at_its_offset_in_bar0(void **state)
{
    (void)state;
    make();
    tbl_wr(3, PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xfee01004);
    tbl_wr(3, PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0x12);
    tbl_wr(3, PCI_MSIX_ENTRY_DATA, 4, 0xdeadbeef);
    assert_int_equal(tbl_rd(3, PCI_MSIX_ENTRY_LOWER_ADDR, 4), 0xfee01004);
    assert_int_equal(tbl_rd(3, PCI_MSIX_ENTRY_UPPER_ADDR, 4), 0x12);
    assert_true(tbl_rd(3, PCI_MSIX_ENTRY_LOWER_ADDR, 8) == 0x12fee01004ull);
    assert_true(tbl_rd(3, PCI_MSIX_ENTRY_DATA, 8) == 0x1deadbeefull);
    /* 8-byte writes land on both dwords. */
    tbl_wr(4, PCI_MSIX_ENTRY_DATA, 8, 0x0000000000c0ffeeull);
    assert_int_equal(tbl_rd(4, PCI_MSIX_ENTRY_DATA, 4), 0xc0ffee);
    assert_int_equal(tbl_rd(4, PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 0);
    /* Neighbouring entries are untouched. */
    assert_int_equal(tbl_rd(2, PCI_MSIX_ENTRY_DATA, 4), 0);
    assert_int_equal(tbl_rd(5, PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
    /* Around the table BAR0 is plain RAM. */
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF - 8, 8,
                                    0x1122334455667788ull), 0);
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF + 0x80, 4, 0x99),
                     0);
    uint64_t v = 0;
    vpci_bar_read(fix.dev, 0, TABLE_OFF - 8, 8, &v);
    assert_true(v == 0x1122334455667788ull);
    vpci_bar_read(fix.dev, 0, TABLE_OFF + 0x80, 4, &v);
    assert_int_equal(v, 0x99);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_LOWER_ADDR, 8), 0);
}

static void msix_entry_reserved_bits_read_zero(void **state)
{
    (void)state;
    make();
    tbl_wr(0, PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xffffffff);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_LOWER_ADDR, 4), 0xfffffffc);
    tbl_wr(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0xfffffffe);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 0);
    tbl_wr(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0xffffffff);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
}

static void msix_narrow_or_unaligned_access_reads_ones_writes_nothing(
    void **state)
{
    (void)state;
    make();
    uint64_t v = 0;
    assert_int_equal(vpci_bar_read(fix.dev, 0, TABLE_OFF, 2, &v), 0);
    assert_int_equal(v, 0xffff);
    assert_int_equal(vpci_bar_read(fix.dev, 0, TABLE_OFF + 1, 1, &v), 0);
    assert_int_equal(v, 0xff);
    assert_int_equal(vpci_bar_read(fix.dev, 0, TABLE_OFF + 2, 4, &v), 0);
    assert_int_equal(v, 0xffffffff);
    assert_int_equal(vpci_bar_read(fix.dev, 0, TABLE_OFF + 4, 8, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_true(testhost_logged(fix.h, "not an aligned dword or qword"));
    /* Writes of those shapes change nothing. */
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF + 12, 2, 0), 0);
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF + 12, 1, 0), 0);
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF + 4, 8, 0), 0);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
    /* A dword straddling the table's start belongs to the table too. */
    assert_int_equal(vpci_bar_write(fix.dev, 0, TABLE_OFF - 2, 4, 0x1234),
                     0);
    vpci_bar_read(fix.dev, 0, TABLE_OFF - 8, 8, &v);
    assert_true(v == 0);
    /* The PBA follows the same rule. */
    assert_int_equal(vpci_bar_read(fix.dev, 2, PBA_OFF + 1, 1, &v), 0);
    assert_int_equal(v, 0xff);
}

static void msix_pba_is_read_only(void **state)
{
    (void)state;
    unsigned cap = make();
    enable_msix(cap, false);
    vpci_irq_pulse(fix.dev, 5);              /* vector 5 is masked */
    assert_true(pba_rd(0) == 1u << 5);
    assert_int_equal(vpci_bar_write(fix.dev, 2, PBA_OFF, 8, 0), 0);
    assert_int_equal(vpci_bar_write(fix.dev, 2, PBA_OFF, 4, 0xffffffff), 0);
    assert_true(pba_rd(0) == 1u << 5);
    assert_true(testhost_logged(fix.h, "PBA is read-only"));
    uint64_t v = 0;
    assert_int_equal(vpci_bar_read(fix.dev, 2, PBA_OFF, 4, &v), 0);
    assert_int_equal(v, 1u << 5);
    /* Outside the PBA, BAR2 has nothing behind it: reads 0. */
    assert_int_equal(vpci_bar_read(fix.dev, 2, PBA_OFF + 8, 8, &v), 0);
    assert_true(v == 0);
}

static void msix_pba_covers_vectors_beyond_64(void **state)
{
    (void)state;
    want.vectors = 100;
    want.table_bar = 2;
    want.table_off = 0x2000;
    want.pba_bar = 2;
    want.pba_off = 0x1000;
    unsigned cap = make();
    wr_cfg(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    vpci_irq_pulse(fix.dev, 70);
    vpci_irq_pulse(fix.dev, 170);            /* 170 mod 100 = 70 */
    vpci_irq_pulse(fix.dev, 99);
    assert_true(pba_rd(0) == 0);
    assert_true(pba_rd(1) == (1ull << 6 | 1ull << 35));
    uint64_t v = 0;
    vpci_bar_read(fix.dev, 2, PBA_OFF + 12, 4, &v);
    assert_int_equal(v, 1u << 3);
    assert_true(vpci_irq_pending(fix.dev, 70));
    assert_true(vpci_irq_pending(fix.dev, 99));
    assert_false(vpci_irq_pending(fix.dev, 100));
    /* Unmask 70: its one pending message goes. */
    assert_int_equal(vpci_bar_write(fix.dev, 2, 0x2000 + 16 * 70 + 12, 4, 0),
                     0);
    assert_int_equal(fix.h->nmsi, 1);
    assert_false(vpci_irq_pending(fix.dev, 70));
}

/* ---- delivery ---- */

static void msix_message_comes_from_the_vectors_table_entry(void **state)
{
    (void)state;
    unsigned cap = make();
    for (unsigned v = 0; v < 8; v++)
        program(v, 0x100000fee00000ull + 0x1000 * v, 0x40 + v, true);
    enable_msix(cap, false);
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_MSIX);
    vpci_irq_pulse(fix.dev, 2);
    vpci_irq_pulse(fix.dev, 13);             /* 13 mod 8 = 5 */
    assert_int_equal(fix.h->nmsi, 2);
    assert_true(fix.h->msi[0].addr == 0x100000fee02000ull);
    assert_int_equal(fix.h->msi[0].data, 0x42);
    assert_true(fix.h->msi[1].addr == 0x100000fee05000ull);
    assert_int_equal(fix.h->msi[1].data, 0x45);
}

static void msix_masked_vector_sets_pba_and_unmask_delivers_once(
    void **state)
{
    (void)state;
    unsigned cap = make();
    program(1, 0xfee00000, 0x71, false);
    enable_msix(cap, false);
    vpci_irq_pulse(fix.dev, 1);
    vpci_irq_pulse(fix.dev, 1);
    assert_int_equal(fix.h->nmsi, 0);
    assert_true(pba_rd(0) == 0x2);
    assert_true(vpci_irq_pending(fix.dev, 1));

    tbl_wr(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x71);
    assert_true(pba_rd(0) == 0);
    /* Mask and unmask again: nothing more to send. */
    tbl_wr(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 1);
    tbl_wr(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    assert_int_equal(fix.h->nmsi, 1);
}

static void msix_unmask_by_qword_write_delivers_pending(void **state)
{
    (void)state;
    unsigned cap = make();
    enable_msix(cap, false);
    vpci_irq_pulse(fix.dev, 6);
    /* Data and vector control in one 8-byte write. */
    tbl_wr(6, PCI_MSIX_ENTRY_DATA, 8, 0x66);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x66);
}

static void msix_function_mask_holds_all_and_clearing_it_delivers(
    void **state)
{
    (void)state;
    unsigned cap = make();
    program(0, 0xfee00000, 0x10, true);
    program(1, 0xfee00000, 0x11, false);   /* stays vector-masked */
    program(2, 0xfee00000, 0x12, true);
    enable_msix(cap, true);
    for (unsigned n = 0; n < 3; n++)
        vpci_irq_pulse(fix.dev, n);
    assert_int_equal(fix.h->nmsi, 0);
    assert_true(pba_rd(0) == 0x7);
    /* Unmasking a vector while the function is masked sends nothing. */
    tbl_wr(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    tbl_wr(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 1);
    assert_int_equal(fix.h->nmsi, 0);

    wr_cfg(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    assert_int_equal(fix.h->nmsi, 2);
    assert_int_equal(fix.h->msi[0].data, 0x10);
    assert_int_equal(fix.h->msi[1].data, 0x12);
    assert_true(pba_rd(0) == 0x2);           /* vector 1 still held */
    tbl_wr(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    assert_int_equal(fix.h->nmsi, 3);
    assert_int_equal(fix.h->msi[2].data, 0x11);
    assert_true(pba_rd(0) == 0);
}

static void msix_held_while_bus_master_off_goes_out_when_enabled(
    void **state)
{
    (void)state;
    unsigned cap = make();
    program(3, 0xfee03000, 0x33, true);
    wr_cfg(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);  /* no MASTER */
    vpci_irq_pulse(fix.dev, 3);
    assert_int_equal(fix.h->nmsi, 0);
    assert_true(pba_rd(0) == 0x8);
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    assert_int_equal(fix.h->nmsi, 1);
    assert_true(fix.h->msi[0].addr == 0xfee03000);
    assert_true(pba_rd(0) == 0);
}

static void msix_disabled_sends_nothing_and_keeps_pba(void **state)
{
    (void)state;
    unsigned cap = make();
    program(0, 0xfee00000, 1, false);
    enable_msix(cap, false);
    vpci_irq_pulse(fix.dev, 0);
    wr_cfg(cap + PCI_MSIX_FLAGS, 2, 0);
    tbl_wr(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    vpci_irq_pulse(fix.dev, 0);
    assert_int_equal(fix.h->nmsi, 0);
    assert_true(pba_rd(0) == 1);
    /* Enabled again with the vector unmasked: the pending one goes. */
    wr_cfg(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    assert_int_equal(fix.h->nmsi, 1);
    assert_true(pba_rd(0) == 0);
}

/* ---- effects, reset ---- */

static void msix_enable_and_function_mask_writes_return_effects(
    void **state)
{
    (void)state;
    unsigned cap = make();
    struct vpci_effects fx;
    vpci_cfg_write(fix.dev, cap + PCI_MSIX_FLAGS, 2,
                   PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, &fx);
    assert_int_equal(fx.count, 2);
    assert_int_equal(fx.fx[0].type, VPCI_FX_MSIX_ENABLE);
    assert_true(fx.fx[0].u.toggle.on);
    assert_int_equal(fx.fx[1].type, VPCI_FX_MSIX_FUNC_MASK);
    assert_true(fx.fx[1].u.toggle.on);
    char line[64];
    vpci_effect_format(&fx.fx[1], line, sizeof(line));
    assert_string_equal(line, "msix-function-mask on");

    vpci_cfg_write(fix.dev, cap + PCI_MSIX_FLAGS + 1, 1,
                   PCI_MSIX_FLAGS_ENABLE >> 8, &fx);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_MSIX_FUNC_MASK);
    assert_false(fx.fx[0].u.toggle.on);

    vpci_cfg_write(fix.dev, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE,
                   &fx);
    assert_int_equal(fx.count, 0);
    vpci_cfg_write(fix.dev, cap + PCI_MSIX_FLAGS, 2, 0, &fx);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_MSIX_ENABLE);
    assert_false(fx.fx[0].u.toggle.on);
}

static void msix_reset_remasks_vectors_and_clears_pba(void **state)
{
    (void)state;
    unsigned cap = make();
    program(0, 0xfee00000, 0x5, true);
    enable_msix(cap, true);
    vpci_irq_pulse(fix.dev, 0);
    assert_true(pba_rd(0) == 1);

    struct vpci_effects fx;
    assert_int_equal(vpci_dev_reset(fix.dev, VPCI_RESET_CONVENTIONAL, &fx), 0);
    unsigned toggles = 0;
    for (unsigned i = 0; i < fx.count; i++)
        toggles += fx.fx[i].type == VPCI_FX_MSIX_ENABLE ||
                   fx.fx[i].type == VPCI_FX_MSIX_FUNC_MASK;
    assert_int_equal(toggles, 2);
    assert_int_equal(rd_cfg(cap + PCI_MSIX_FLAGS, 2), 7);
    assert_false(vpci_irq_pending(fix.dev, 0));
    /* The BARs are unprogrammed now: map them again to look. */
    testhost_map_bar(fix.dev, 0, BAR0_ADDR);
    testhost_map_bar(fix.dev, 2, BAR2_ADDR);
    testhost_command(fix.dev, PCI_COMMAND_MEMORY);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_LOWER_ADDR, 8), 0);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_DATA, 4), 0);
    assert_int_equal(tbl_rd(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
    assert_true(pba_rd(0) == 0);
    assert_int_equal(fix.h->nmsi, 0);
}

static void msix_trace_reports_sent_and_held_messages(void **state)
{
    (void)state;
    unsigned cap = make();
    program(0, 0xfee00000, 0x5, true);
    enable_msix(cap, false);
    vpci_dev_set_trace(fix.dev, true);
    vpci_irq_pulse(fix.dev, 0);
    assert_true(
        testhost_logged(fix.h, "MSI-X vector 0: sent 0x5 to 0xfee00000"));
    vpci_irq_pulse(fix.dev, 1);
    assert_true(
        testhost_logged(fix.h, "MSI-X vector 1: held (vector masked)"));
    wr_cfg(cap + PCI_MSIX_FLAGS, 2,
           PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    vpci_irq_pulse(fix.dev, 0);
    assert_true(
        testhost_logged(fix.h, "MSI-X vector 0: held (function masked)"));
    assert_true(testhost_logged(fix.h, "MSI-X function mask set"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(msix_capability_describes_table_and_pba),
        T(msix_table_size_field_is_vectors_minus_one),
        T(msix_second_capability_is_refused),
        T(msix_cannot_be_added_after_init),
        T(msix_table_and_pba_must_fit_their_bars),
        T(msix_table_and_pba_must_be_qword_aligned),
        T(msix_needs_declared_memory_bars),
        T(msix_table_and_pba_may_share_a_bar_without_overlapping),
        T(msix_vector_count_is_1_to_2048),
        T(msix_vectors_come_out_of_reset_masked),
        T(msix_table_is_reached_at_its_offset_in_bar0),
        T(msix_entry_reserved_bits_read_zero),
        T(msix_narrow_or_unaligned_access_reads_ones_writes_nothing),
        T(msix_pba_is_read_only),
        T(msix_pba_covers_vectors_beyond_64),
        T(msix_message_comes_from_the_vectors_table_entry),
        T(msix_masked_vector_sets_pba_and_unmask_delivers_once),
        T(msix_unmask_by_qword_write_delivers_pending),
        T(msix_function_mask_holds_all_and_clearing_it_delivers),
        T(msix_held_while_bus_master_off_goes_out_when_enabled),
        T(msix_disabled_sends_nothing_and_keeps_pba),
        T(msix_enable_and_function_mask_writes_return_effects),
        T(msix_reset_remasks_vectors_and_clears_pba),
        T(msix_trace_reports_sent_and_held_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
