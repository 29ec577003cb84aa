/* SPDX-License-Identifier: MIT */
/*
 * Interrupt controller (issue 3, item 6): MSI messages to the doorbell
 * become counted events and never touch RAM; messages to RAM are written
 * there; masked MSI vectors are delivered on unmask; INTx lines reach the
 * GSI the bridge swizzle and the board's routing give; a GSI is the OR of
 * the functions driving it; the irq hook sees every level change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

static struct mt_machine mm;

static int setup(void **state)
{
    (void)state;
    return mt_machine_new(&mm, VPCI_MOCK_Q35, 0, false);
}

static int teardown(void **state)
{
    (void)state;
    mt_machine_free(&mm);
    return 0;
}

/* Program @fn's MSI (4 vectors enabled) at @addr/@data, bus master on. */
static unsigned msi_setup(struct vpci_mock *m, struct vpci_mock_fn *fn,
                          uint64_t addr, uint16_t data)
{
    struct vpci_dev *dev = vpci_mock_fn_dev(fn);
    uint8_t bus = vpci_mock_fn_bus(fn), d = vpci_mock_fn_devfn(fn);
    unsigned cap = vpci_cap_find(dev, PCI_CAP_ID_MSI);
    assert_int_not_equal(cap, 0);
    mt_cfg_write(m, MT_ECAM, bus, d, cap + PCI_MSI_ADDRESS_LO, 4,
                 (uint32_t)addr);
    mt_cfg_write(m, MT_ECAM, bus, d, cap + PCI_MSI_ADDRESS_HI, 4,
                 (uint32_t)(addr >> 32));
    mt_cfg_write(m, MT_ECAM, bus, d, cap + PCI_MSI_DATA_64, 2, data);
    mt_cfg_write(m, MT_ECAM, bus, d, cap + PCI_MSI_FLAGS, 2,
                 PCI_MSI_FLAGS_ENABLE | 2u << 4);   /* 4 vectors */
    mt_command(m, MT_ECAM, bus, d, PCI_COMMAND_MASTER);
    return cap;
}

/* The GSI by the documented formulas. */
static int expected_gsi(enum vpci_mock_machine machine, const unsigned *slots,
                        unsigned depth, unsigned pin)
{
    /* slots[0] is the function's slot, slots[depth] the root slot */
    for (unsigned i = 0; i < depth; i++)
        pin = (pin - 1 + slots[i]) % 4 + 1;
    unsigned slot = slots[depth];
    if (machine == VPCI_MOCK_VIRT)
        return 3 + (int)((slot + pin - 1) % 4);
    if (slot <= 24)
        return 20 + (int)((slot + pin - 1) % 4);
    if (slot == 30)
        return 20 + (int)(pin - 1);
    return 16 + (int)(pin - 1);
}

struct hook_log {
    unsigned n;
    unsigned gsi[16];
    bool level[16];
};

static void hook(void *opaque, unsigned gsi, bool level)
{
    struct hook_log *h = opaque;
    if (h->n < 16) {
        h->gsi[h->n] = gsi;
        h->level[h->n] = level;
    }
    h->n++;
}

/* ------------------------------------------------------------------ */

static void test_msi_to_doorbell_is_an_event_not_ram(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=03.0"));
    struct vpci_dev *dev = vpci_mock_fn_dev(fn);
    msi_setup(m, fn, 0xfee00000u, 0x4040);
    vpci_mock_clock_step(m, 1500);
    assert_int_equal(vpci_irq_pulse(dev, 0), 0);
    assert_int_equal(vpci_irq_pulse(dev, 1), 0);
    assert_int_equal(vpci_mock_msi_count(m), 2);
    struct vpci_mock_msi ev;
    assert_int_equal(vpci_mock_msi_get(m, 0, &ev), 0);
    assert_int_equal(ev.rid, MT_DEVFN(3, 0));
    assert_int_equal(ev.addr, 0xfee00000u);
    assert_int_equal(ev.data, 0x4040);
    assert_int_equal(ev.time, 1500);
    assert_int_equal(vpci_mock_msi_get(m, 1, &ev), 0);
    assert_int_equal(ev.data, 0x4041);              /* vector 1 */
    assert_int_equal(vpci_mock_msi_count_data(m, 0x4041), 1);
    assert_int_equal(vpci_mock_msi_count_data(m, 0x4042), 0);
    assert_int_equal(vpci_mock_msi_get(m, 2, &ev), -ENOENT);
    assert_int_equal(vpci_mock_msi_get(m, 0, NULL), -EINVAL);
    /* no trace of it in memory */
    assert_int_equal(vpci_mock_read(m, 0xfee00000u, 4), 0);
    vpci_mock_msi_clear(m);
    assert_int_equal(vpci_mock_msi_count(m), 0);
    /* many events: the log grows */
    for (unsigned i = 0; i < 100; i++)
        vpci_irq_pulse(dev, 2);
    assert_int_equal(vpci_mock_msi_count_data(m, 0x4042), 100);
}

static void test_msi_to_ram_is_written(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=03.0"));
    msi_setup(m, fn, 0x2000, 0xbee0);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 3);
    assert_int_equal(vpci_mock_read(m, 0x2000, 4), 0xbee3u); /* vector 3 */
    assert_int_equal(vpci_mock_msi_count(m), 0);
    /* an address nothing decodes: dropped, with a warning */
    unsigned warns = vpci_mock_warnings(m);
    msi_setup(m, fn, 0xd0000000u, 0x1);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    assert_int_equal(vpci_mock_msi_count(m), 0);
    assert_true(vpci_mock_warnings(m) > warns);
}

static void test_msi_masked_then_unmasked_delivery(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=04.0"));
    struct vpci_dev *dev = vpci_mock_fn_dev(fn);
    unsigned cap = msi_setup(m, fn, 0xfee00000u, 0x20);
    uint8_t d = MT_DEVFN(4, 0);
    /* mask vector 1 through CF8/CFC, fire it: nothing arrives */
    mt_cfg_write(m, MT_CF8, 0, d, cap + PCI_MSI_MASK_64, 4, 0x2);
    vpci_irq_pulse(dev, 1);
    assert_int_equal(vpci_mock_msi_count(m), 0);
    assert_true(vpci_irq_pending(dev, 1));
    assert_int_equal(mt_cfg_read(m, MT_CF8, 0, d, cap + PCI_MSI_PENDING_64, 4),
                     0x2);
    /* an unmasked vector still goes */
    vpci_irq_pulse(dev, 0);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    /* unmask: the held message is delivered once */
    mt_cfg_write(m, MT_CF8, 0, d, cap + PCI_MSI_MASK_64, 4, 0);
    assert_int_equal(vpci_mock_msi_count(m), 2);
    assert_int_equal(vpci_mock_msi_count_data(m, 0x21), 1);
    assert_false(vpci_irq_pending(dev, 1));
    /* bus master off holds messages too, until it is on again */
    mt_command(m, MT_CF8, 0, d, 0);
    vpci_irq_pulse(dev, 2);
    assert_int_equal(vpci_mock_msi_count(m), 2);
    mt_command(m, MT_CF8, 0, d, PCI_COMMAND_MASTER);
    assert_int_equal(vpci_mock_msi_count_data(m, 0x22), 1);
}

static void test_msi_virt_doorbell_and_requester_id(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock *m = v.m;
    struct vpci_mock_fn *fn;
    assert_non_null(mt_add(m, tbridge_model(), "addr=02.0,id=br"));
    assert_non_null(fn = mt_add(m, tdev_model(), "bus=br,addr=01.0"));
    mt_bridge_buses(m, MT_ECAM, 0, MT_DEVFN(2, 0), 0, 4, 4);
    /* GICv2m: MSI_SETSPI_NS at frame + 0x40 */
    msi_setup(m, fn, 0x08020040u, 0x60);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    struct vpci_mock_msi ev;
    assert_int_equal(vpci_mock_msi_get(m, 0, &ev), 0);
    assert_int_equal(ev.rid, 0x0408);
    assert_int_equal(ev.addr, 0x08020040u);
    /* past the 4 KiB frame is RAM-less nothing on virt */
    msi_setup(m, fn, 0x08021000u, 0x61);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    /* RAM on virt starts at 1 GiB */
    msi_setup(m, fn, 0x40001000u, 0x64);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    assert_int_equal(vpci_mock_read(m, 0x40001000u, 4), 0x64);
    mt_machine_free(&v);
}

/* virt's doorbell is QEMU 7.2's GICv2m: MSI_SETSPI_NS pulses GIC input
 * 48 + (INTID - 80) for INTIDs 80..143, whether a device or the CPU
 * writes it; MSI_TYPER and MSI_IIDR read as QEMU's. */
static void test_gicv2m_setspi_pulses_and_registers(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock *m = v.m;
    struct hook_log h = { 0 };
    vpci_mock_set_irq_hook(m, hook, &h);
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    /* a device's MSI with data 0x70 (INTID 112): input 80 rises, falls */
    msi_setup(m, fn, 0x08020040u, 0x70);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.gsi[0], 80);
    assert_true(h.level[0]);
    assert_int_equal(h.gsi[1], 80);
    assert_false(h.level[1]);
    /* data outside the frame's SPIs, or elsewhere in the frame: an MSI
     * event all the same, but no SPI */
    msi_setup(m, fn, 0x08020040u, 0x4f);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    msi_setup(m, fn, 0x08020044u, 0x70);
    vpci_irq_pulse(vpci_mock_fn_dev(fn), 0);
    assert_int_equal(vpci_mock_msi_count(m), 3);
    assert_int_equal(h.n, 2);
    /* the CPU: 2- and 4-byte writes count (the low 10 bits), bytes not;
     * an 8-byte write is two 4-byte ones; never an MSI event */
    h.n = 0;
    vpci_mock_write(m, 0x08020040u, 4, 0x50);          /* INTID 80: 48 */
    vpci_mock_write(m, 0x08020040u, 4, 0xc8f);         /* 143: 111 */
    vpci_mock_write(m, 0x08020040u, 4, 0x90);          /* 144: none */
    vpci_mock_write(m, 0x08020040u, 2, 0x51);          /* 49 */
    vpci_mock_write(m, 0x08020040u, 1, 0x52);          /* bad size */
    vpci_mock_write(m, 0x0802003cu, 8, 0x5300000000ull); /* high half: 51 */
    vpci_mock_write(m, 0x08020042u, 2, 0x54);          /* not SETSPI */
    assert_int_equal(vpci_mock_msi_count(m), 3);
    assert_int_equal(h.n, 8);
    assert_int_equal(h.gsi[0], 48);
    assert_int_equal(h.gsi[2], 111);
    assert_int_equal(h.gsi[4], 49);
    assert_int_equal(h.gsi[6], 51);
    /* registers: 4-byte reads at their offsets, 8 bytes as two halves */
    assert_int_equal(vpci_mock_read(m, 0x08020008u, 4), 0x00500040u);
    assert_int_equal(vpci_mock_read(m, 0x08020008u, 8), 0x00500040u);
    assert_int_equal(vpci_mock_read(m, 0x08020004u, 8), 0x0050004000000000ull);
    assert_int_equal(vpci_mock_read(m, 0x08020fccu, 4), 0x05100000u);
    assert_int_equal(vpci_mock_read(m, 0x08020008u, 2), 0);
    assert_int_equal(vpci_mock_read(m, 0x0802000au, 4), 0);
    assert_int_equal(vpci_mock_read(m, 0x08020040u, 4), 0);
    vpci_mock_set_irq_hook(m, NULL, NULL);
    vpci_mock_write(m, 0x08020040u, 4, 0x50);          /* no hook: quiet */
    mt_machine_free(&v);
}

/* q35's doorbell (the local APIC, no CPU under the mock) reads 0 and
 * drops CPU writes: no GICv2m behaviour there. */
static void test_q35_doorbell_is_not_a_gicv2m(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct hook_log h = { 0 };
    vpci_mock_set_irq_hook(m, hook, &h);
    vpci_mock_write(m, 0xfee00040u, 4, 0x50);
    assert_int_equal(vpci_mock_read(m, 0xfee00008u, 4), 0);
    assert_int_equal(vpci_mock_read(m, 0xfee00fccu, 4), 0);
    assert_int_equal(h.n, 0);
    vpci_mock_set_irq_hook(m, NULL, NULL);
}

static void test_intx_gsi_after_swizzle_through_bridges(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    /* root 03.0 b0 -> 02.0 b1 -> 01.0 d(pin p) */
    assert_non_null(mt_add(m, tbridge_model(), "addr=03.0,id=b0"));
    assert_non_null(mt_add(m, tbridge_model(), "bus=b0,addr=02.0,id=b1"));
    struct vpci_mock_fn *one[4], *two[4];
    for (unsigned pin = 1; pin <= 4; pin++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "bus=b0,addr=%02x.0,pin=%u", pin + 4,
                 pin);
        assert_non_null(one[pin - 1] = mt_add(m, tdev_model(), spec));
        snprintf(spec, sizeof(spec), "bus=b1,addr=01.%u,pin=%u%s", pin - 1,
                 pin, pin == 1 ? ",multifunction=on" : "");
        assert_non_null(two[pin - 1] = mt_add(m, tdev_model(), spec));
    }
    for (unsigned pin = 1; pin <= 4; pin++) {
        unsigned s1[] = { pin + 4, 3 };
        unsigned s2[] = { 1, 2, 3 };
        assert_int_equal(vpci_mock_fn_gsi(one[pin - 1]),
                         expected_gsi(VPCI_MOCK_Q35, s1, 1, pin));
        assert_int_equal(vpci_mock_fn_gsi(two[pin - 1]),
                         expected_gsi(VPCI_MOCK_Q35, s2, 2, pin));
    }
    /* worked example: 01.0 INTA behind 02.0 behind 03.0: INTB at b1,
     * INTD at b0, root slot 3 INTD -> PIRQ(4 + (3 + 3) % 4) = G -> GSI 22 */
    assert_int_equal(vpci_mock_fn_gsi(two[0]), 22);
    /* asserting the pin raises that GSI */
    struct vpci_dev *dev = vpci_mock_fn_dev(two[0]);
    vpci_irq_raise(dev, 0);
    assert_true(vpci_mock_gsi_level(m, 22));
    assert_int_equal(vpci_mock_gsi_raises(m, 22), 1);
    vpci_irq_lower(dev, 0);
    assert_false(vpci_mock_gsi_level(m, 22));
}

static void test_intx_q35_root_routing(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct { const char *spec; int gsi; } cases[] = {
        { "addr=01.0,pin=1", 21 },   /* PIRQF */
        { "addr=02.0,pin=3", 20 },   /* (2 + 2) % 4 -> PIRQE */
        { "addr=18.0,pin=2", 21 },   /* slot 24 */
        { "addr=19.0,pin=2", 17 },   /* slot 25: PIRQB */
        { "addr=1d.0,pin=4", 19 },   /* slot 29: PIRQD */
        { "addr=1e.0,pin=2", 21 },   /* slot 30: PIRQF by pin */
        { "addr=1f.0,pin=1", 16 },   /* slot 31: PIRQA */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vpci_mock_fn *fn = mt_add(m, tdev_model(), cases[i].spec);
        assert_non_null(fn);
        assert_int_equal(vpci_mock_fn_gsi(fn), cases[i].gsi);
    }
    struct vpci_mock_fn *none = mt_add(m, tdev_model(), "addr=05.0,pin=0");
    assert_int_equal(vpci_mock_fn_gsi(none), -1);
    vpci_irq_raise(vpci_mock_fn_dev(none), 0);
    for (unsigned g = 0; g < VPCI_MOCK_GSI_MAX; g++)
        assert_false(vpci_mock_gsi_level(m, g));
}

static void test_intx_virt_routing(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock *m = v.m;
    assert_non_null(mt_add(m, tbridge_model(), "addr=05.0,id=br"));
    for (unsigned slot = 1; slot < 5; slot++)
        for (unsigned pin = 1; pin <= 4; pin++) {
            char spec[64];
            snprintf(spec, sizeof(spec), "addr=%02x.%u,pin=%u%s", slot,
                     pin - 1, pin, pin == 1 ? ",multifunction=on" : "");
            struct vpci_mock_fn *fn = mt_add(m, tdev_model(), spec);
            assert_non_null(fn);
            unsigned s[] = { slot };
            assert_int_equal(vpci_mock_fn_gsi(fn),
                             expected_gsi(VPCI_MOCK_VIRT, s, 0, pin));
        }
    struct vpci_mock_fn *fn = mt_add(m, tdev_model(), "bus=br,addr=02.0,pin=2");
    unsigned s[] = { 2, 5 };
    /* INTB at slot 2 -> INTD; root slot 5 INTD -> 3 + (5 + 3) % 4 = 3 */
    assert_int_equal(vpci_mock_fn_gsi(fn),
                     expected_gsi(VPCI_MOCK_VIRT, s, 1, 2));
    assert_int_equal(vpci_mock_fn_gsi(fn), 3);
    mt_machine_free(&v);
}

static void test_gsi_level_is_or_of_functions(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct hook_log h = { 0 };
    vpci_mock_set_irq_hook(m, hook, &h);
    struct vpci_mock_fn *a, *b;
    /* slot 1 INTA and slot 5 INTA share PIRQF (GSI 21) */
    assert_non_null(a = mt_add(m, tdev_model(), "addr=01.0,pin=1"));
    assert_non_null(b = mt_add(m, tdev_model(), "addr=05.0,pin=1"));
    assert_int_equal(vpci_mock_fn_gsi(a), 21);
    assert_int_equal(vpci_mock_fn_gsi(b), 21);
    struct vpci_dev *da = vpci_mock_fn_dev(a), *db = vpci_mock_fn_dev(b);
    vpci_irq_raise(da, 0);
    vpci_irq_raise(db, 0);
    assert_true(vpci_mock_gsi_level(m, 21));
    vpci_irq_lower(da, 0);
    assert_true(vpci_mock_gsi_level(m, 21));   /* b still drives it */
    vpci_irq_lower(db, 0);
    assert_false(vpci_mock_gsi_level(m, 21));
    assert_int_equal(vpci_mock_gsi_raises(m, 21), 1);
    /* the hook saw one rise and one fall */
    assert_int_equal(h.n, 2);
    assert_int_equal(h.gsi[0], 21);
    assert_true(h.level[0]);
    assert_int_equal(h.gsi[1], 21);
    assert_false(h.level[1]);
    /* COMMAND.INTX_DISABLE takes a function off the line */
    vpci_irq_raise(da, 0);
    assert_int_equal(h.n, 3);
    mt_command(m, MT_CF8, 0, MT_DEVFN(1, 0), PCI_COMMAND_INTX_DISABLE);
    assert_false(vpci_mock_gsi_level(m, 21));
    assert_int_equal(h.n, 4);
    mt_command(m, MT_CF8, 0, MT_DEVFN(1, 0), 0);
    assert_true(vpci_mock_gsi_level(m, 21));
    assert_int_equal(vpci_mock_gsi_raises(m, 21), 3);
    /* removing the hook */
    vpci_mock_set_irq_hook(m, NULL, NULL);
    vpci_irq_lower(da, 0);
    assert_int_equal(h.n, 5);
    assert_false(vpci_mock_gsi_level(m, VPCI_MOCK_GSI_MAX));
    assert_int_equal(vpci_mock_gsi_raises(m, VPCI_MOCK_GSI_MAX), 0);
    assert_false(vpci_mock_gsi_level(NULL, 21));
    vpci_mock_set_irq_hook(NULL, hook, &h);
}

static void test_msi_null_machine(void **state)
{
    (void)state;
    struct vpci_mock_msi ev;
    assert_int_equal(vpci_mock_msi_count(NULL), 0);
    assert_int_equal(vpci_mock_msi_count_data(NULL, 0), 0);
    assert_int_equal(vpci_mock_msi_get(NULL, 0, &ev), -EINVAL);
    vpci_mock_msi_clear(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_msi_to_doorbell_is_an_event_not_ram),
        T(test_msi_to_ram_is_written),
        T(test_msi_masked_then_unmasked_delivery),
        T(test_msi_virt_doorbell_and_requester_id),
        T(test_gicv2m_setspi_pulses_and_registers),
        T(test_q35_doorbell_is_not_a_gicv2m),
        T(test_intx_gsi_after_swizzle_through_bridges),
        T(test_intx_q35_root_routing),
        T(test_intx_virt_routing),
        T(test_gsi_level_is_or_of_functions),
        T(test_msi_null_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
