/* SPDX-License-Identifier: MIT */
/*
 * MSI capability (libvpci/cap_msi.c): the four layouts, write masks,
 * Multiple Message Enable clamping, message address/data, per-vector mask
 * with pending bits and delivery on unmask, effects of config writes.
 *
 * Each test builds a function whose init() adds the MSI capability the
 * test chose in `want`, plugged into the test host that records messages.
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

static struct {
    unsigned vectors, flags, offset;
    int rc;             /* what vpci_cap_add_msi returned in init() */
    unsigned cap;       /* where it went */
    bool twice;         /* add a second MSI capability too */
    int rc2;
} want;

static int build(struct vpci_dev *dev)
{
    struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 0x11,
                                .interrupt_pin = 1 };
    int rc = vpci_dev_set_identity(dev, &id);
    if (rc)
        return rc;
    want.rc = vpci_cap_add_msi(dev, want.offset, want.vectors, want.flags,
                               &want.cap);
    if (want.twice)
        want.rc2 = vpci_cap_add_msi(dev, 0, 1, 0, NULL);
    return 0;
}

struct fixture {
    struct testhost *h;
    struct vpci_dev *dev;
};

static struct fixture fix;

static int setup(void **state)
{
    (void)state;
    memset(&want, 0, sizeof(want));
    fix.h = testhost_new(0);
    fix.dev = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(fix.dev);
    testhost_free(fix.h);
    return 0;
}

/* Build a function with @vectors MSI vectors and @flags; returns its cap. */
static unsigned make(unsigned vectors, unsigned flags)
{
    want.vectors = vectors;
    want.flags = flags;
    assert_int_equal(testhost_create(fix.h, build, &fix.dev), 0);
    assert_int_equal(want.rc, 0);
    assert_int_not_equal(want.cap, 0);
    return want.cap;
}

static uint32_t rd(unsigned off, unsigned len)
{
    return vpci_cfg_read(fix.dev, off, len);
}

static void wr(unsigned off, unsigned len, uint32_t val)
{
    assert_int_equal(vpci_cfg_write(fix.dev, off, len, val, NULL), 0);
}

/* Program address/data, enable MSI with 2^mme vectors, bus master on. */
static void enable_msi(unsigned cap, unsigned mme, uint64_t addr,
                       uint16_t data)
{
    bool is64 = rd(cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_64BIT;
    wr(cap + PCI_MSI_ADDRESS_LO, 4, (uint32_t)addr);
    if (is64)
        wr(cap + PCI_MSI_ADDRESS_HI, 4, (uint32_t)(addr >> 32));
    wr(cap + (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2, data);
    wr(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | mme << 4);
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
}

static unsigned count_fx(const struct vpci_effects *fx,
                         enum vpci_effect_type type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < fx->count; i++)
        n += fx->fx[i].type == type;
    return n;
}

/* ---- layout ---- */

static void msi_layouts_have_spec_sizes_and_offsets(void **state)
{
    (void)state;
    static const struct {
        unsigned flags, size, data, mask;
    } variants[] = {
        { 0, 10, PCI_MSI_DATA_32, 0 },
        { VPCI_MSI_64BIT, 14, PCI_MSI_DATA_64, 0 },
        { VPCI_MSI_MASKABLE, 20, PCI_MSI_DATA_32, PCI_MSI_MASK_32 },
        { VPCI_MSI_64BIT | VPCI_MSI_MASKABLE, 24, PCI_MSI_DATA_64,
          PCI_MSI_MASK_64 },
    };
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(variants); i++) {
        teardown(NULL);
        setup(NULL);
        unsigned cap = make(1, variants[i].flags);
        /* The capability owns exactly its bytes. */
        assert_int_equal(fix.dev->used[cap + variants[i].size - 1], 1);
        assert_int_equal(fix.dev->used[cap + variants[i].size], 0);
        assert_int_equal(rd(cap, 1), PCI_CAP_ID_MSI);
        assert_int_equal(vpci_cap_find(fix.dev, PCI_CAP_ID_MSI), cap);
        uint16_t ctrl = (uint16_t)rd(cap + PCI_MSI_FLAGS, 2);
        assert_int_equal(!!(ctrl & PCI_MSI_FLAGS_64BIT),
                         !!(variants[i].flags & VPCI_MSI_64BIT));
        assert_int_equal(!!(ctrl & PCI_MSI_FLAGS_MASKBIT),
                         !!(variants[i].flags & VPCI_MSI_MASKABLE));
        /* Data is 16 bits wide wherever it lives. */
        wr(cap + variants[i].data, 2, 0xbeef);
        assert_int_equal(rd(cap + variants[i].data, 2), 0xbeef);
        if (variants[i].mask) {
            /* The rest of the data dword is reserved: reads 0. */
            wr(cap + variants[i].data, 4, 0xffffffff);
            assert_int_equal(rd(cap + variants[i].data, 4), 0xffff);
        }
    }
}

static void msi_32bit_address_is_dword_aligned_and_has_no_upper_half(
    void **state)
{
    (void)state;
    unsigned cap = make(1, 0);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2), 0);
    wr(cap + PCI_MSI_ADDRESS_LO, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_ADDRESS_LO, 4), 0xfffffffc);
    /* In a 32-bit capability, +8 is the data register, not ADDRESS_HI. */
    wr(cap + PCI_MSI_DATA_32, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_DATA_32, 2), 0xffff);
}

static void msi_64bit_upper_address_is_fully_writable(void **state)
{
    (void)state;
    unsigned cap = make(2, VPCI_MSI_64BIT);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     PCI_MSI_FLAGS_64BIT | 1 << 1);
    wr(cap + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_ADDRESS_HI, 4), 0xffffffff);
    wr(cap + PCI_MSI_ADDRESS_LO, 4, 0xfee00003);
    assert_int_equal(rd(cap + PCI_MSI_ADDRESS_LO, 4), 0xfee00000);
}

static void msi_mask_bits_are_writable_only_for_implemented_vectors(
    void **state)
{
    (void)state;
    unsigned cap = make(8, VPCI_MSI_64BIT | VPCI_MSI_MASKABLE);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | 3 << 1);
    wr(cap + PCI_MSI_MASK_64, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_MASK_64, 4), 0xff);
    /* Pending bits are the function's: the guest cannot write them. */
    wr(cap + PCI_MSI_PENDING_64, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_64, 4), 0);

    teardown(NULL);
    setup(NULL);
    cap = make(32, VPCI_MSI_MASKABLE);
    wr(cap + PCI_MSI_MASK_32, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_MASK_32, 4), 0xffffffff);
    wr(cap + PCI_MSI_PENDING_32, 4, 0xffffffff);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_32, 4), 0);
}

static void msi_control_reserved_and_capability_bits_are_read_only(
    void **state)
{
    (void)state;
    unsigned cap = make(4, VPCI_MSI_MASKABLE);
    wr(cap + PCI_MSI_FLAGS, 2, 0xffff & ~PCI_MSI_FLAGS_QSIZE);
    /* Only enable changed: MMC 2, per-vector masking, not 64-bit. */
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     PCI_MSI_FLAGS_MASKBIT | 2 << 1 | PCI_MSI_FLAGS_ENABLE);
    wr(cap + PCI_MSI_FLAGS, 2, 0);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     PCI_MSI_FLAGS_MASKBIT | 2 << 1);
}

/* ---- building ---- */

static void msi_vector_counts_must_be_powers_of_two_up_to_32(void **state)
{
    (void)state;
    static const unsigned bad[] = { 0, 3, 6, 33, 64 };
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(bad); i++) {
        want.vectors = bad[i];
        assert_int_equal(testhost_create(fix.h, build, &fix.dev), 0);
        assert_int_equal(want.rc, -EINVAL);
        assert_int_equal(vpci_cap_find(fix.dev, PCI_CAP_ID_MSI), 0);
        vpci_dev_destroy(fix.dev);
        fix.dev = NULL;
    }
    assert_true(testhost_logged(fix.h, "power of two"));
    /* Unknown flags too. */
    want.vectors = 1;
    want.flags = 0x4;
    assert_int_equal(testhost_create(fix.h, build, &fix.dev), 0);
    assert_int_equal(want.rc, -EINVAL);
}

static void msi_second_capability_is_refused(void **state)
{
    (void)state;
    want.twice = true;
    make(1, 0);
    assert_int_equal(want.rc2, -EEXIST);
}

static void msi_can_be_placed_at_a_chosen_offset(void **state)
{
    (void)state;
    want.offset = 0x80;
    assert_int_equal(make(4, VPCI_MSI_64BIT), 0x80);
    assert_int_equal(rd(PCI_CAPABILITY_LIST, 1), 0x80);
}

static void msi_cannot_be_added_after_init(void **state)
{
    (void)state;
    make(1, 0);
    assert_int_equal(vpci_cap_add_msi(fix.dev, 0, 1, 0, NULL), -EPERM);
}

/* ---- Multiple Message Enable ---- */

static void msi_mme_above_mmc_is_clamped_to_mmc(void **state)
{
    (void)state;
    unsigned cap = make(4, 0);   /* MMC = 2 */
    wr(cap + PCI_MSI_FLAGS, 2, 5 << 4);
    assert_int_equal((rd(cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QSIZE) >> 4,
                     2);
    assert_true(testhost_logged(fix.h, "granting 4"));
    wr(cap + PCI_MSI_FLAGS, 2, 1 << 4);
    assert_int_equal((rd(cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QSIZE) >> 4,
                     1);
    wr(cap + PCI_MSI_FLAGS, 2, 7 << 4 | PCI_MSI_FLAGS_ENABLE);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     2 << 4 | 2 << 1 | PCI_MSI_FLAGS_ENABLE);
}

static void msi_single_vector_function_clamps_any_mme_to_zero(void **state)
{
    (void)state;
    unsigned cap = make(1, VPCI_MSI_64BIT);
    wr(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
}

/* ---- messages ---- */

static void msi_message_uses_programmed_address_and_data(void **state)
{
    (void)state;
    unsigned cap = make(1, VPCI_MSI_64BIT);
    enable_msi(cap, 0, 0x100000fee01000ull, 0x4021);
    assert_int_equal(vpci_irq_pulse(fix.dev, 0), 0);
    assert_int_equal(fix.h->nmsi, 1);
    assert_true(fix.h->msi[0].addr == 0x100000fee01000ull);
    assert_int_equal(fix.h->msi[0].data, 0x4021);
}

static void msi_32bit_message_address_has_no_upper_half(void **state)
{
    (void)state;
    unsigned cap = make(1, 0);
    enable_msi(cap, 0, 0xfee02000, 0x31);
    vpci_irq_pulse(fix.dev, 0);
    assert_int_equal(fix.h->nmsi, 1);
    assert_true(fix.h->msi[0].addr == 0xfee02000);
    assert_int_equal(fix.h->msi[0].data, 0x31);
}

static void msi_multi_vector_data_low_bits_carry_the_vector(void **state)
{
    (void)state;
    unsigned cap = make(8, VPCI_MSI_64BIT);
    /* 4 of 8 enabled: the low 2 data bits are replaced, not ORed. */
    enable_msi(cap, 2, 0xfee00000, 0x4ab3);
    for (unsigned n = 0; n < 6; n++)
        assert_int_equal(vpci_irq_pulse(fix.dev, n), 0);
    assert_int_equal(fix.h->nmsi, 6);
    static const uint32_t expect[] = { 0x4ab0, 0x4ab1, 0x4ab2, 0x4ab3,
                                       0x4ab0, 0x4ab1 };
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(fix.h->msi[i].data, expect[i]);

    /* All 8 enabled: three bits carry it. */
    wr(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | 3 << 4);
    vpci_irq_pulse(fix.dev, 5);
    assert_int_equal(fix.h->msi[6].data, 0x4ab5);
    /* One enabled: data unchanged for every source. */
    wr(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
    vpci_irq_pulse(fix.dev, 7);
    assert_int_equal(fix.h->msi[7].data, 0x4ab3);
}

static void msi_each_raise_sends_one_message(void **state)
{
    (void)state;
    unsigned cap = make(1, 0);
    enable_msi(cap, 0, 0xfee00000, 1);
    vpci_irq_raise(fix.dev, 0);
    vpci_irq_raise(fix.dev, 0);
    assert_int_equal(fix.h->nmsi, 2);
    vpci_irq_lower(fix.dev, 0);
    assert_int_equal(fix.h->nmsi, 2);
    /* vpci_irq_set is a level: only its rising edges send. */
    vpci_irq_set(fix.dev, 0, true);
    vpci_irq_set(fix.dev, 0, true);
    assert_int_equal(fix.h->nmsi, 3);
}

static void msi_disabled_sends_nothing(void **state)
{
    (void)state;
    unsigned cap = make(1, 0);
    enable_msi(cap, 0, 0xfee00000, 1);
    wr(cap + PCI_MSI_FLAGS, 2, 0);
    vpci_irq_pulse(fix.dev, 0);
    assert_int_equal(fix.h->nmsi, 0);
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_INTX);
}

/* ---- per-vector mask and pending ---- */

static void msi_masked_raise_sets_pending_and_unmask_delivers_once(
    void **state)
{
    (void)state;
    unsigned cap = make(4, VPCI_MSI_64BIT | VPCI_MSI_MASKABLE);
    enable_msi(cap, 2, 0xfee00000, 0x40);
    wr(cap + PCI_MSI_MASK_64, 4, 0x2);   /* vector 1 masked */

    vpci_irq_pulse(fix.dev, 1);
    assert_int_equal(fix.h->nmsi, 0);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_64, 4), 0x2);
    assert_true(vpci_irq_pending(fix.dev, 1));
    assert_false(vpci_irq_pending(fix.dev, 0));
    /* Raising it again while masked still holds one pending message. */
    vpci_irq_pulse(fix.dev, 1);
    assert_int_equal(fix.h->nmsi, 0);
    /* Other vectors are unaffected by vector 1's mask. */
    vpci_irq_pulse(fix.dev, 2);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x42);

    wr(cap + PCI_MSI_MASK_64, 4, 0);
    assert_int_equal(fix.h->nmsi, 2);
    assert_int_equal(fix.h->msi[1].data, 0x41);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_64, 4), 0);
    assert_false(vpci_irq_pending(fix.dev, 1));

    /* Masking and unmasking again sends nothing more. */
    wr(cap + PCI_MSI_MASK_64, 4, 0x2);
    wr(cap + PCI_MSI_MASK_64, 4, 0);
    assert_int_equal(fix.h->nmsi, 2);
}

static void msi_lowering_a_source_keeps_its_pending_message(void **state)
{
    (void)state;
    unsigned cap = make(1, VPCI_MSI_MASKABLE);
    enable_msi(cap, 0, 0xfee00000, 0x7);
    wr(cap + PCI_MSI_MASK_32, 4, 1);
    vpci_irq_raise(fix.dev, 0);
    vpci_irq_lower(fix.dev, 0);
    assert_true(vpci_irq_pending(fix.dev, 0));
    wr(cap + PCI_MSI_MASK_32, 1, 0);
    assert_int_equal(fix.h->nmsi, 1);
}

static void msi_pending_survives_disable_and_goes_out_when_reenabled(
    void **state)
{
    (void)state;
    unsigned cap = make(2, VPCI_MSI_MASKABLE);
    enable_msi(cap, 1, 0xfee00000, 0x10);
    wr(cap + PCI_MSI_MASK_32, 4, 0x1);
    vpci_irq_pulse(fix.dev, 0);
    /* Disabled while pending: unmasking sends nothing, the bit stays. */
    wr(cap + PCI_MSI_FLAGS, 2, 1 << 4);
    wr(cap + PCI_MSI_MASK_32, 4, 0);
    assert_int_equal(fix.h->nmsi, 0);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_32, 4), 1);
    /* Enabled again with the vector unmasked: the message goes. */
    wr(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | 1 << 4);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x10);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_32, 4), 0);
}

static void msi_unmask_with_bus_master_off_waits_for_bus_master(
    void **state)
{
    (void)state;
    unsigned cap = make(1, VPCI_MSI_MASKABLE);
    enable_msi(cap, 0, 0xfee00000, 0x5);
    wr(cap + PCI_MSI_MASK_32, 4, 1);
    vpci_irq_pulse(fix.dev, 0);
    wr(PCI_COMMAND, 2, 0);
    wr(cap + PCI_MSI_MASK_32, 4, 0);
    assert_int_equal(fix.h->nmsi, 0);
    assert_true(vpci_irq_pending(fix.dev, 0));
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    assert_int_equal(fix.h->nmsi, 1);
    assert_false(vpci_irq_pending(fix.dev, 0));
}

static void msi_non_maskable_function_never_holds_pending(void **state)
{
    (void)state;
    unsigned cap = make(2, 0);
    enable_msi(cap, 1, 0xfee00000, 0);
    vpci_irq_pulse(fix.dev, 1);
    assert_int_equal(fix.h->nmsi, 1);
    assert_false(vpci_irq_pending(fix.dev, 1));
    assert_false(vpci_irq_pending(fix.dev, 2));  /* not implemented */
}

/* ---- effects ---- */

static void msi_enable_and_mask_writes_return_effects(void **state)
{
    (void)state;
    unsigned cap = make(4, VPCI_MSI_MASKABLE);
    struct vpci_effects fx;

    assert_int_equal(vpci_cfg_write(fix.dev, cap + PCI_MSI_FLAGS, 2,
                                    PCI_MSI_FLAGS_ENABLE | 2 << 4, &fx), 0);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_MSI_ENABLE);
    assert_true(fx.fx[0].u.toggle.on);

    /* Same value again: nothing changed, nothing reported. */
    vpci_cfg_write(fix.dev, cap + PCI_MSI_FLAGS, 2,
                   PCI_MSI_FLAGS_ENABLE | 2 << 4, &fx);
    assert_int_equal(fx.count, 0);

    vpci_cfg_write(fix.dev, cap + PCI_MSI_MASK_32, 4, 0x5, &fx);
    assert_int_equal(fx.count, 2);
    assert_int_equal(count_fx(&fx, VPCI_FX_MSI_MASK), 2);
    assert_int_equal(fx.fx[0].u.mask.vector, 0);
    assert_true(fx.fx[0].u.mask.masked);
    assert_int_equal(fx.fx[1].u.mask.vector, 2);
    assert_true(fx.fx[1].u.mask.masked);
    char line[64];
    vpci_effect_format(&fx.fx[1], line, sizeof(line));
    assert_string_equal(line, "msi-mask vector 2 masked");

    /* Only vector 2 changes (unmasked); bits above vector 3 are RO. */
    vpci_cfg_write(fix.dev, cap + PCI_MSI_MASK_32, 4, 0xf1, &fx);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_MSI_MASK);
    assert_int_equal(fx.fx[0].u.mask.vector, 2);
    assert_false(fx.fx[0].u.mask.masked);

    vpci_cfg_write(fix.dev, cap + PCI_MSI_FLAGS, 2, 0, &fx);
    assert_int_equal(fx.count, 1);
    assert_int_equal(fx.fx[0].type, VPCI_FX_MSI_ENABLE);
    assert_false(fx.fx[0].u.toggle.on);
}

static void msi_reset_disables_and_reports_it(void **state)
{
    (void)state;
    unsigned cap = make(2, VPCI_MSI_MASKABLE);
    enable_msi(cap, 1, 0xfee00000, 0x99);
    wr(cap + PCI_MSI_MASK_32, 4, 0x2);
    vpci_irq_pulse(fix.dev, 1);
    assert_true(vpci_irq_pending(fix.dev, 1));

    struct vpci_effects fx;
    assert_int_equal(vpci_dev_reset(fix.dev, VPCI_RESET_FLR, &fx), 0);
    assert_int_equal(count_fx(&fx, VPCI_FX_MSI_ENABLE), 1);
    assert_int_equal(count_fx(&fx, VPCI_FX_MSI_MASK), 1);
    assert_int_equal(rd(cap + PCI_MSI_FLAGS, 2),
                     PCI_MSI_FLAGS_MASKBIT | 1 << 1);
    assert_int_equal(rd(cap + PCI_MSI_ADDRESS_LO, 4), 0);
    assert_int_equal(rd(cap + PCI_MSI_DATA_32, 2), 0);
    assert_int_equal(rd(cap + PCI_MSI_MASK_32, 4), 0);
    assert_int_equal(rd(cap + PCI_MSI_PENDING_32, 4), 0);
    assert_false(vpci_irq_pending(fix.dev, 1));
    assert_int_equal(fix.h->nmsi, 0);
}

static void msi_trace_reports_sent_and_held_messages(void **state)
{
    (void)state;
    unsigned cap = make(2, VPCI_MSI_MASKABLE);
    enable_msi(cap, 1, 0xfee00000, 0x20);
    vpci_dev_set_trace(fix.dev, true);
    vpci_irq_pulse(fix.dev, 0);
    assert_true(
        testhost_logged(fix.h, "MSI vector 0: sent 0x20 to 0xfee00000"));
    wr(cap + PCI_MSI_MASK_32, 4, 0x2);
    vpci_irq_pulse(fix.dev, 1);
    assert_true(testhost_logged(fix.h, "MSI vector 1: held (masked)"));
    wr(PCI_COMMAND, 2, 0);
    vpci_irq_pulse(fix.dev, 0);
    assert_true(
        testhost_logged(fix.h, "MSI vector 0: held (bus master off)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(msi_layouts_have_spec_sizes_and_offsets),
        T(msi_32bit_address_is_dword_aligned_and_has_no_upper_half),
        T(msi_64bit_upper_address_is_fully_writable),
        T(msi_mask_bits_are_writable_only_for_implemented_vectors),
        T(msi_control_reserved_and_capability_bits_are_read_only),
        T(msi_vector_counts_must_be_powers_of_two_up_to_32),
        T(msi_second_capability_is_refused),
        T(msi_can_be_placed_at_a_chosen_offset),
        T(msi_cannot_be_added_after_init),
        T(msi_mme_above_mmc_is_clamped_to_mmc),
        T(msi_single_vector_function_clamps_any_mme_to_zero),
        T(msi_message_uses_programmed_address_and_data),
        T(msi_32bit_message_address_has_no_upper_half),
        T(msi_multi_vector_data_low_bits_carry_the_vector),
        T(msi_each_raise_sends_one_message),
        T(msi_disabled_sends_nothing),
        T(msi_masked_raise_sets_pending_and_unmask_delivers_once),
        T(msi_lowering_a_source_keeps_its_pending_message),
        T(msi_pending_survives_disable_and_goes_out_when_reenabled),
        T(msi_unmask_with_bus_master_off_waits_for_bus_master),
        T(msi_non_maskable_function_never_holds_pending),
        T(msi_enable_and_mask_writes_return_effects),
        T(msi_reset_disables_and_reports_it),
        T(msi_trace_reports_sent_and_held_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
