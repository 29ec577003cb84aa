/* SPDX-License-Identifier: MIT */
/*
 * The shipped models on the mock host, added by spec string: an edu
 * behind a pci-bridge, programmed by hand through CF8/CFC and ECAM (no
 * enumeration), reached through the bridge's windows, doing DMA to RAM on
 * the virtual clock and signalling completion by INTx (at the swizzled
 * GSI) and by MSI (an event the test waits for by stepping the clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <vpci/models/edu.h>

#include "mocktest.h"

#define MS 1000000ull
#define EDU_MMIO 0xc0000000u

static enum mt_path path_cf8 = MT_CF8;
static enum mt_path path_ecam = MT_ECAM;
static struct mt_machine mm;

static int setup(void **state)
{
    (void)state;
    if (!vpci_model_find("edu") || !vpci_model_find("pci-bridge"))
        return 0;   /* the tests skip */
    return mt_machine_new(&mm, VPCI_MOCK_Q35, 0, false);
}

static int teardown(void **state)
{
    (void)state;
    if (mm.m)
        mt_machine_free(&mm);
    return 0;
}

/* 03.0 pci-bridge br0 (bus 1) -> 00.0 edu; BAR0 at EDU_MMIO, decoding,
 * bus master on, through mechanism @p. */
static struct vpci_mock_fn *edu_behind_bridge(enum mt_path p)
{
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *edu;
    assert_int_equal(vpci_mock_add(m, "pci-bridge,addr=03.0,id=br0", NULL), 0);
    assert_int_equal(vpci_mock_add(m, "edu,bus=br0,addr=00.0", &edu), 0);
    mt_bridge_buses(m, p, 0, MT_DEVFN(3, 0), 0, 1, 1);
    mt_bridge_mem(m, p, 0, MT_DEVFN(3, 0), EDU_MMIO, EDU_MMIO + 0xfffff);
    mt_command(m, p, 0, MT_DEVFN(3, 0),
               PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    mt_bar(m, p, 1, 0, 0, EDU_MMIO, false);
    mt_command(m, p, 1, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return edu;
}

static uint32_t edu_rd(unsigned reg)
{
    return (uint32_t)vpci_mock_read(mm.m, EDU_MMIO + reg, 4);
}

static void edu_wr(unsigned reg, uint32_t val)
{
    vpci_mock_write(mm.m, EDU_MMIO + reg, 4, val);
}

/* ------------------------------------------------------------------ */

static void test_edu_behind_bridge_dma_and_intx(void **state)
{
    if (!mm.m)
        skip();
    enum mt_path p = *(enum mt_path *)*state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *edu = edu_behind_bridge(p);
    assert_int_equal(mt_cfg_read(m, p, 1, 0, PCI_VENDOR_ID, 4), 0x11e81234u);
    assert_int_equal(edu_rd(EDU_ID), EDU_ID_VALUE);
    edu_wr(EDU_LIVENESS, 0x12345678);
    assert_int_equal(edu_rd(EDU_LIVENESS), ~0x12345678u);

    /* INTA at slot 0 behind the bridge in root slot 3: GSI 20 + 3 % 4 */
    int gsi = vpci_mock_fn_gsi(edu);
    assert_int_equal(gsi, 23);

    /* DMA RAM -> buffer -> RAM, completing on the virtual clock */
    static const char msg[] = "hello from RAM";
    vpci_mock_memwrite(m, 0x10000, msg, sizeof(msg));
    edu_wr(EDU_DMA_SRC, 0x10000);
    edu_wr(EDU_DMA_DST, EDU_DMA_BUF_ADDR);
    edu_wr(EDU_DMA_CNT, sizeof(msg));
    edu_wr(EDU_DMA_CMD, EDU_DMA_RUN | EDU_DMA_IRQ);
    assert_int_equal(edu_rd(EDU_DMA_CMD) & EDU_DMA_RUN, EDU_DMA_RUN);
    vpci_mock_clock_step(m, 99 * MS);
    assert_false(vpci_mock_gsi_level(m, (unsigned)gsi));
    vpci_mock_clock_step(m, 1 * MS);
    assert_int_equal(edu_rd(EDU_DMA_CMD) & EDU_DMA_RUN, 0);
    assert_int_equal(edu_rd(EDU_INTR_STATUS), EDU_IRQ_DMA);
    assert_true(vpci_mock_gsi_level(m, (unsigned)gsi));
    edu_wr(EDU_INTR_ACK, EDU_IRQ_DMA);
    assert_false(vpci_mock_gsi_level(m, (unsigned)gsi));

    edu_wr(EDU_DMA_SRC, EDU_DMA_BUF_ADDR);
    edu_wr(EDU_DMA_DST, 0x20000);
    edu_wr(EDU_DMA_CMD, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    assert_int_equal(vpci_mock_clock_step_next(m), 200 * MS);
    char back[sizeof(msg)];
    vpci_mock_memread(m, 0x20000, back, sizeof(back));
    assert_string_equal(back, msg);
    assert_int_equal(vpci_edu_dma_errors(vpci_mock_fn_dev(edu)), 0);

    /* a DMA to an address that is not RAM fails (and edu counts it) */
    edu_wr(EDU_DMA_DST, 0xd0000000u);
    edu_wr(EDU_DMA_CMD, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    vpci_mock_clock_step_next(m);
    assert_int_equal(vpci_edu_dma_errors(vpci_mock_fn_dev(edu)), 1);

    /* the bridge's memory decode gates the MMIO */
    mt_command(m, p, 0, MT_DEVFN(3, 0), PCI_COMMAND_MASTER);
    assert_int_equal(edu_rd(EDU_ID), 0);
}

static void test_edu_msi_event_waited_for_on_the_clock(void **state)
{
    if (!mm.m)
        skip();
    enum mt_path p = *(enum mt_path *)*state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *edu = edu_behind_bridge(p);
    unsigned cap = EDU_MSI_CAP;
    mt_cfg_write(m, p, 1, 0, cap + PCI_MSI_ADDRESS_LO, 4, 0xfee00000u);
    mt_cfg_write(m, p, 1, 0, cap + PCI_MSI_ADDRESS_HI, 4, 0);
    mt_cfg_write(m, p, 1, 0, cap + PCI_MSI_DATA_64, 2, 0x4031);
    mt_cfg_write(m, p, 1, 0, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
    edu_wr(EDU_DMA_SRC, 0x10000);
    edu_wr(EDU_DMA_DST, EDU_DMA_BUF_ADDR);
    edu_wr(EDU_DMA_CNT, 64);
    edu_wr(EDU_DMA_CMD, EDU_DMA_RUN | EDU_DMA_IRQ);
    /* wait: step from deadline to deadline until the event is there */
    unsigned steps = 0;
    while (vpci_mock_msi_count(m) == 0 && steps++ < 10)
        vpci_mock_clock_step_next(m);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    struct vpci_mock_msi ev;
    assert_int_equal(vpci_mock_msi_get(m, 0, &ev), 0);
    assert_int_equal(ev.rid, 0x0100);          /* bus 1, 00.0 */
    assert_int_equal(ev.data, 0x4031);
    assert_int_equal(ev.time, 100 * MS);
    /* MSI mode: no INTx */
    assert_false(vpci_mock_gsi_level(m, (unsigned)vpci_mock_fn_gsi(edu)));
    /* a raise by register sends another */
    edu_wr(EDU_INTR_RAISE, 0x8);
    assert_int_equal(vpci_mock_msi_count_data(m, 0x4031), 2);
}

#define PER_PATH(f)                                                         \
    cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,            \
                                             &path_cf8),                    \
        cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,        \
                                                 &path_ecam)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PER_PATH(test_edu_behind_bridge_dma_and_intx),
        PER_PATH(test_edu_msi_event_waited_for_on_the_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
