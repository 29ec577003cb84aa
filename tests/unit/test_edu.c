/* SPDX-License-Identifier: MIT */
/*
 * The edu model (libvpci/models/edu.c) against what QEMU 7.2's
 * hw/misc/edu.c answers, and its documented error behaviour
 * (include/vpci/models/edu.h).
 *
 * Each test creates the registered model on the test host (1 MiB of RAM
 * from bus address 0, filled with a pattern, a virtual clock), places
 * BAR0 and enables decode and bus mastering the way firmware would
 * (model_fixture_new).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/pci_regs.h>
#include <vpci/models.h>
#include <vpci/models/edu.h>
#include <vpci/vpci.h>

#include "testhost.h"

#define RAM_SIZE 0x100000u
#define MS 1000000ull
#define BUF EDU_DMA_BUF_ADDR

static uint8_t ram_pattern(uint64_t addr)
{
    return (uint8_t)(addr * 7 + 3);
}

static int setup(void **state)
{
    struct model_fixture *f = model_fixture_new("edu", NULL, RAM_SIZE);
    testhost_fill(f->h, ram_pattern);
    *state = f;
    return 0;
}

/* The registers: BAR0, accesses that must succeed. */
#define rd(f, off, len) testhost_bar_rd((f)->dev, 0, (off), (len))
#define wr(f, off, len, v) testhost_bar_wr((f)->dev, 0, (off), (len), (v))

/* Program a DMA command the way a driver does, 8-byte registers. */
static void dma(struct model_fixture *f, uint64_t src, uint64_t dst,
                uint64_t cnt, uint64_t cmd)
{
    wr(f, EDU_DMA_SRC, 8, src);
    wr(f, EDU_DMA_DST, 8, dst);
    wr(f, EDU_DMA_CNT, 8, cnt);
    wr(f, EDU_DMA_CMD, 8, cmd);
}

static bool ram_is_pattern(const struct testhost *h, uint64_t addr,
                           uint64_t len)
{
    for (uint64_t i = addr; i < addr + len; i++)
        if (h->ram[i] != ram_pattern(i))
            return false;
    return true;
}

/* ---- identity and config space ---- */

static void edu_identifies_as_qemus_edu(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_dev *dev = f->dev;
    assert_ptr_equal(vpci_model_find("edu"), &vpci_model_edu);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x11e81234);
    /* revision 0x10, prog-if 0, class 0x00ff (PCI_CLASS_OTHERS) */
    assert_int_equal(vpci_cfg_read(dev, PCI_CLASS_REVISION, 4), 0x00ff0010);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(vpci_cfg_size(dev), 256);
    assert_false(vpci_dev_is_express(dev));
    /* MSI at 0x40, the only capability: 1 vector, 64-bit, no masking */
    assert_true(vpci_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    assert_int_equal(vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1), 0x40);
    assert_int_equal(vpci_cfg_read(dev, 0x40, 4), 0x00800005);
    /* BAR0: 1 MiB, 32-bit, non-prefetchable memory */
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(dev, 0, &bi), 0);
    assert_int_equal(bi.kind, VPCI_BAR_MEM32);
    assert_false(bi.prefetch);
    assert_int_equal(bi.size, 1u << 20);
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_0, 4, 0xffffffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_BASE_ADDRESS_0, 4), 0xfff00000);
    for (unsigned b = 1; b < 6; b++)
        assert_int_equal(vpci_cfg_read(dev, PCI_BASE_ADDRESS_0 + 4 * b, 4),
                         0);
    testhost_place_bar(dev, 0);
    assert_int_equal(rd(f, EDU_ID, 4), EDU_ID_VALUE);
    assert_int_equal(vpci_dma_mask(dev), 0xfffffff);
}

static void config_space_has_qemus_write_masks(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_dev *dev = f->dev;
    /* pci_init_wmask: IO|MEM|MASTER|SERR|INTX_DISABLE, no parity */
    vpci_cfg_write(dev, PCI_COMMAND, 2, 0xffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_COMMAND, 2), 0x0507);
    vpci_cfg_write(dev, PCI_LATENCY_TIMER, 1, 0x40, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_LATENCY_TIMER, 1), 0);
    vpci_cfg_write(dev, PCI_CACHE_LINE_SIZE, 1, 0x10, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_CACHE_LINE_SIZE, 1), 0x10);
    /* past the 14-byte MSI capability the bytes are plain storage */
    vpci_cfg_write(dev, 0x4e, 2, 0xbeef, NULL);
    assert_int_equal(vpci_cfg_read(dev, 0x4e, 2), 0xbeef);
    vpci_cfg_write(dev, 0xfc, 4, 0x12345678, NULL);
    assert_int_equal(vpci_cfg_read(dev, 0xfc, 4), 0x12345678);
    /* the capability itself is not: header RO, data 16 bits */
    vpci_cfg_write(dev, 0x40, 2, 0xffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, 0x40, 2), 0x0005);
    vpci_cfg_write(dev, EDU_MSI_CAP + PCI_MSI_DATA_64, 2, 0xffff, NULL);
    assert_int_equal(vpci_cfg_read(dev, EDU_MSI_CAP + PCI_MSI_DATA_64, 2),
                     0xffff);
    /* Multiple Message Enable above 1 vector is clamped (msi_write_config) */
    vpci_cfg_write(dev, EDU_MSI_CAP + PCI_MSI_FLAGS, 2, 0x0071, NULL);
    assert_int_equal(vpci_cfg_read(dev, EDU_MSI_CAP + PCI_MSI_FLAGS, 2),
                     0x0081);
    /* subsystem IDs are read-only */
    vpci_cfg_write(dev, PCI_SUBSYSTEM_VENDOR_ID, 4, 0, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
}

/* ---- liveness and factorial ---- */

static void liveness_reads_back_the_inverse(void **state)
{
    struct model_fixture *f = *state;
    assert_int_equal(rd(f, EDU_LIVENESS, 4), 0);
    wr(f, EDU_LIVENESS, 4, 0x12345678);
    assert_int_equal(rd(f, EDU_LIVENESS, 4), 0xedcba987);
    wr(f, EDU_LIVENESS, 4, 0);
    assert_int_equal(rd(f, EDU_LIVENESS, 4), 0xffffffff);
    /* the ID register ignores writes */
    wr(f, EDU_ID, 4, 0);
    assert_int_equal(rd(f, EDU_ID, 4), EDU_ID_VALUE);
}

/* QEMU's thread: uint32_t ret = 1; while (val > 0) ret *= val--; */
static uint32_t qemu_factorial(uint32_t val)
{
    uint32_t ret = 1;
    while (val > 0)
        ret *= val--;
    return ret;
}

static void factorial_values_follow_qemus_uint32_arithmetic(void **state)
{
    struct model_fixture *f = *state;
    static const struct { uint32_t n, fact; } known[] = {
        { 0, 1 }, { 1, 1 }, { 5, 120 }, { 12, 479001600u },
        { 13, 1932053504u },   /* 6227020800 mod 2^32 */
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        wr(f, EDU_FACTORIAL, 4, known[i].n);
        /* ready at once: no clock advance, COMPUTING never seen */
        assert_int_equal(rd(f, EDU_STATUS, 4) & EDU_STATUS_COMPUTING, 0);
        assert_int_equal(rd(f, EDU_FACTORIAL, 4), known[i].fact);
    }
    /* the same answers as QEMU's loop, across the point (34!) where the
     * product first holds 2^32 */
    for (uint32_t n = 0; n <= 40; n++) {
        wr(f, EDU_FACTORIAL, 4, n);
        assert_int_equal(rd(f, EDU_FACTORIAL, 4), qemu_factorial(n));
    }
    assert_int_not_equal(qemu_factorial(33), 0);
    wr(f, EDU_FACTORIAL, 4, 100000);
    assert_int_equal(rd(f, EDU_FACTORIAL, 4), qemu_factorial(100000));
    wr(f, EDU_FACTORIAL, 4, 0xffffffff);
    assert_int_equal(rd(f, EDU_FACTORIAL, 4), 0);
    /* without STATUS.IRQFACT nothing is raised */
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    assert_false(f->h->intx);
}

static void factorial_raises_irq_0x1_when_status_bit7_is_set(void **state)
{
    struct model_fixture *f = *state;
    /* only bit 7 of STATUS is writable */
    wr(f, EDU_STATUS, 4, 0xffffffff);
    assert_int_equal(rd(f, EDU_STATUS, 4), EDU_STATUS_IRQFACT);
    wr(f, EDU_FACTORIAL, 4, 5);
    assert_int_equal(rd(f, EDU_FACTORIAL, 4), 120);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), EDU_IRQ_FACT);
    assert_true(f->h->intx);
    wr(f, EDU_INTR_ACK, 4, EDU_IRQ_FACT);
    assert_false(f->h->intx);
    wr(f, EDU_STATUS, 4, 0);
    wr(f, EDU_FACTORIAL, 4, 3);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    assert_false(f->h->intx);
}

/* ---- interrupts ---- */

static void raise_and_ack_drive_intx(void **state)
{
    struct model_fixture *f = *state;
    wr(f, EDU_INTR_RAISE, 4, 0x5);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0x5);
    assert_true(f->h->intx);
    assert_true(vpci_cfg_read(f->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* write-only: reads all ones, as QEMU's default case */
    assert_int_equal(rd(f, EDU_INTR_RAISE, 4), 0xffffffff);
    assert_int_equal(rd(f, EDU_INTR_ACK, 4), 0xffffffff);
    wr(f, EDU_INTR_ACK, 4, 0x1);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0x4);
    assert_true(f->h->intx);
    wr(f, EDU_INTR_ACK, 4, 0x4);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    assert_false(f->h->intx);
    assert_false(vpci_cfg_read(f->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    assert_int_equal(f->h->intx_rises, 1);
    assert_int_equal(f->h->nmsi, 0);
    /* INTR_STATUS is read-only */
    wr(f, EDU_INTR_STATUS, 4, 0xff);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
}

static void raise_sends_one_msi_per_write_while_status_is_set(void **state)
{
    struct model_fixture *f = *state;
    testhost_enable_msi(f->dev, EDU_MSI_CAP, 0xfee00000, 0x4041);
    wr(f, EDU_INTR_RAISE, 4, 0x1);
    assert_int_equal(f->h->nmsi, 1);
    assert_int_equal(f->h->msi[0].addr, 0xfee00000);
    assert_int_equal(f->h->msi[0].data, 0x4041);
    /* edu_raise_irq notifies again whenever the status is non-zero */
    wr(f, EDU_INTR_RAISE, 4, 0);
    assert_int_equal(f->h->nmsi, 2);
    assert_false(f->h->intx);
    assert_false(vpci_cfg_read(f->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    wr(f, EDU_INTR_ACK, 4, 0x1);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    wr(f, EDU_INTR_RAISE, 4, 0);
    assert_int_equal(f->h->nmsi, 2);
    /* MSI leaves no level: disabling MSI asserts no INTx */
    wr(f, EDU_INTR_RAISE, 4, 0x2);
    assert_int_equal(f->h->nmsi, 3);
    vpci_cfg_write(f->dev, EDU_MSI_CAP + PCI_MSI_FLAGS, 2, 0, NULL);
    assert_false(f->h->intx);
    assert_int_equal(f->h->intx_rises, 0);
}

/* ---- DMA ---- */

static void dma_round_trip_completes_after_100ms_and_not_before(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF, 0x100, EDU_DMA_RUN);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_RUN);
    testhost_advance(f->h, 99 * MS);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_RUN);
    assert_int_equal(f->h->dma_calls, 0);
    testhost_advance(f->h, 1 * MS);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), 0);
    assert_int_equal(f->h->dma_bytes, 0x100);

    /* buffer -> RAM at another place, 1 KiB in (0x40400) */
    dma(f, BUF, 0x8000, 0x100, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS - 1);
    assert_true(ram_is_pattern(f->h, 0x8000, 0x100));
    testhost_advance(f->h, 1);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_TO_RAM);
    assert_memory_equal(f->h->ram + 0x8000, f->h->ram + 0x1000, 0x100);
    assert_true(ram_is_pattern(f->h, 0x8100, 0x100));
    /* no IRQ bit, no interrupt; no errors */
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    assert_false(f->h->intx);
    assert_int_equal(vpci_edu_dma_errors(f->dev), 0);
    /* the registers keep their values */
    assert_int_equal(rd(f, EDU_DMA_SRC, 8), BUF);
    assert_int_equal(rd(f, EDU_DMA_DST, 8), 0x8000);
    assert_int_equal(rd(f, EDU_DMA_CNT, 8), 0x100);
}

static void dma_deadline_is_on_qemus_millisecond_clock(void **state)
{
    struct model_fixture *f = *state;
    /* started at 0.5 ms: QEMU's timer_mod(ms + 100) ends at 100 ms */
    testhost_advance(f->h, MS / 2);
    dma(f, 0x1000, BUF, 16, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS - MS / 2 - 1);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_RUN);
    testhost_advance(f->h, 1);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), 0);
}

static void dma_with_irq_bit_raises_0x100(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF + 0x10, 0x20, EDU_DMA_RUN | EDU_DMA_IRQ);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_IRQ);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), EDU_IRQ_DMA);
    assert_true(f->h->intx);
    wr(f, EDU_INTR_ACK, 4, EDU_IRQ_DMA);
    assert_false(f->h->intx);

    testhost_enable_msi(f->dev, EDU_MSI_CAP, 0xfee00000, 0x4041);
    dma(f, BUF + 0x10, 0x9000, 0x20, EDU_DMA_RUN | EDU_DMA_TO_RAM |
                                         EDU_DMA_IRQ);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(f->h->nmsi, 1);
    assert_memory_equal(f->h->ram + 0x9000, f->h->ram + 0x1000, 0x20);
}

static void dma_register_writes_are_ignored_while_running(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF, 0x40, EDU_DMA_RUN);
    testhost_advance(f->h, 50 * MS);
    wr(f, EDU_DMA_SRC, 8, 0x2000);
    wr(f, EDU_DMA_DST, 4, BUF + 0x100);
    wr(f, EDU_DMA_CNT, 8, 0x80);
    /* a second start neither changes the command nor moves the deadline */
    wr(f, EDU_DMA_CMD, 8, EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    assert_int_equal(rd(f, EDU_DMA_SRC, 8), 0x1000);
    assert_int_equal(rd(f, EDU_DMA_DST, 8), BUF);
    assert_int_equal(rd(f, EDU_DMA_CNT, 8), 0x40);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_RUN);
    testhost_advance(f->h, 50 * MS);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), 0);
    assert_int_equal(f->h->dma_bytes, 0x40);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    /* idle: a command without RUN is ignored too; the others take */
    wr(f, EDU_DMA_CMD, 8, EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), 0);
    assert_int_equal(f->h->ntimers, 0);
    wr(f, EDU_DMA_SRC, 8, 0x2000);
    assert_int_equal(rd(f, EDU_DMA_SRC, 8), 0x2000);
}

static void dma_outside_the_buffer_fails_safely(void **state)
{
    struct model_fixture *f = *state;
    static const struct { uint64_t at, cnt; } bad[] = {
        { BUF + 0xf00, 0x200 },     /* runs past the end */
        { BUF - 0x10, 0x20 },       /* starts before it */
        { 0x1000, 0x10 },           /* not the buffer at all */
        { BUF, 0x1001 },            /* bigger than it */
        { UINT64_MAX - 8, 0x10 },   /* wraps */
    };
    unsigned n = sizeof(bad) / sizeof(bad[0]);
    for (unsigned i = 0; i < n; i++) {
        /* buffer -> RAM: RAM is not touched */
        dma(f, bad[i].at, 0x4000, bad[i].cnt,
            EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
        testhost_advance(f->h, 100 * MS);
        /* the command completes as usual, interrupt included */
        assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_TO_RAM | EDU_DMA_IRQ);
        assert_int_equal(rd(f, EDU_INTR_STATUS, 4), EDU_IRQ_DMA);
        wr(f, EDU_INTR_ACK, 4, EDU_IRQ_DMA);
        /* RAM -> buffer: nothing read either */
        dma(f, 0x1000, bad[i].at, bad[i].cnt, EDU_DMA_RUN);
        testhost_advance(f->h, 100 * MS);
        assert_int_equal(rd(f, EDU_DMA_CMD, 8), 0);
    }
    assert_int_equal(f->h->dma_calls, 0);
    assert_true(ram_is_pattern(f->h, 0, RAM_SIZE));
    assert_int_equal(vpci_edu_dma_errors(f->dev), 2 * n);
    assert_true(testhost_logged(f->h, "outside 0x40000..0x40fff"));
    assert_true(f->h->warnings >= 2 * n);

    /* the whole buffer (QEMU 7.2 aborts on it) and count 0 are fine */
    dma(f, 0x1000, BUF, EDU_DMA_BUF_SIZE, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    dma(f, BUF, 0x10000, EDU_DMA_BUF_SIZE, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    assert_memory_equal(f->h->ram + 0x10000, f->h->ram + 0x1000,
                        EDU_DMA_BUF_SIZE);
    dma(f, BUF + EDU_DMA_BUF_SIZE, 0x4000, 0, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(vpci_edu_dma_errors(f->dev), 2 * n);
    assert_true(ram_is_pattern(f->h, 0x4000, 0x1000));
}

static void dma_beyond_the_28bit_mask_fails_safely(void **state)
{
    struct model_fixture *f = *state;
    /* fill part of the buffer so that a failed read shows */
    dma(f, 0x1000, BUF, 0x100, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    f->h->dma_calls = 0;

    /* RAM side at 2^28: refused before the host is asked */
    dma(f, BUF, 1u << 28, 0x100, EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), EDU_IRQ_DMA);
    /* a range that only ends past the mask is refused whole */
    dma(f, (1u << 28) - 0x10, BUF, 0x100, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(f->h->dma_calls, 0);
    assert_int_equal(vpci_edu_dma_errors(f->dev), 2);
    /* the failed read left zeros in the buffer, as QEMU's unassigned
     * memory would have; copy it out to see */
    dma(f, BUF, 0x20000, 0x100, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    for (unsigned i = 0; i < 0x100; i++)
        assert_int_equal(f->h->ram[0x20000 + i], 0);
    assert_true(ram_is_pattern(f->h, 0x20100, 0x100));
}

static void dma_mask_property_sets_the_reachable_range(void **state)
{
    struct model_fixture *f = *state;
    struct model_fixture f2 = {
        .h = f->h, .dev = testhost_model(f->h, "edu", "dma_mask=0xfff"),
    };
    assert_int_equal(vpci_dma_mask(f2.dev), 0xfff);
    dma(&f2, 0x1000, BUF, 0x10, EDU_DMA_RUN);        /* past 12 bits */
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(vpci_edu_dma_errors(f2.dev), 1);
    dma(&f2, 0xff0, BUF, 0x10, EDU_DMA_RUN);         /* within */
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(vpci_edu_dma_errors(f2.dev), 1);
    vpci_dev_destroy(f2.dev);
    /* other functions have no edu error count */
    assert_int_equal(vpci_edu_dma_errors(NULL), 0);
    /* not of the form 2^n - 1, or unknown: refused at creation */
    struct vpci_dev *dev = NULL;
    testhost_clear_log(f->h);
    assert_int_equal(vpci_dev_create(vpci_model_find("edu"), "dma_mask=0x1234",
                                     &testhost_ops, f->h, &dev),
                     -EINVAL);
    assert_null(dev);
    /* the message (QEMU shows it for a refused -device) names it */
    assert_true(testhost_logged(f->h, "dma_mask"));
    assert_int_equal(vpci_dev_create(vpci_model_find("edu"), "bogus=1",
                                     &testhost_ops, f->h, &dev),
                     -EINVAL);
    assert_null(dev);
}

static void dma_with_bus_master_off_moves_nothing(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF, 0x80, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, NULL);
    f->h->dma_calls = 0;

    dma(f, BUF, 0x3000, 0x80, EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    assert_true(f->h->intx);    /* INTx needs no bus mastering */
    dma(f, 0x2000, BUF, 0x40, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(f->h->dma_calls, 0);
    assert_true(ram_is_pattern(f->h, 0, RAM_SIZE));
    assert_int_equal(vpci_edu_dma_errors(f->dev), 2);
    assert_true(testhost_logged(f->h, "edu: DMA"));

    /* bus master back on: the read left zeros where it delivered nothing,
     * the rest of the buffer is what the first transfer put there */
    testhost_command(f->dev, PCI_COMMAND_MASTER);
    dma(f, BUF, 0x3000, 0x80, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    for (unsigned i = 0; i < 0x40; i++)
        assert_int_equal(f->h->ram[0x3000 + i], 0);
    assert_memory_equal(f->h->ram + 0x3040, f->h->ram + 0x1040, 0x40);
}

static void dma_fault_from_the_host_stops_at_the_faulting_page(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF, EDU_DMA_BUF_SIZE, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    testhost_add_fault(f->h, 0x6000, 0x1000, EACCES);

    /* 0x5800..0x67ff: the first 2 KiB land, nothing from 0x6000 on */
    dma(f, BUF, 0x5800, 0x1000, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    assert_memory_equal(f->h->ram + 0x5800, f->h->ram + 0x1000, 0x800);
    assert_true(ram_is_pattern(f->h, 0x6000, 0x1000));
    assert_true(ram_is_pattern(f->h, 0x5000, 0x800));
    assert_int_equal(vpci_edu_dma_errors(f->dev), 1);

    /* RAM -> buffer from the same range: 2 KiB read, 2 KiB of zeros */
    dma(f, 0x5800, BUF, 0x1000, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    assert_int_equal(vpci_edu_dma_errors(f->dev), 2);
    dma(f, BUF, 0x20000, 0x1000, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    assert_memory_equal(f->h->ram + 0x20000, f->h->ram + 0x1000, 0x800);
    for (unsigned i = 0x800; i < 0x1000; i++)
        assert_int_equal(f->h->ram[0x20000 + i], 0);
}

/* ---- access sizes, as QEMU's memory core and edu_mmio_* give them ---- */

static void eight_byte_accesses_from_0x80(void **state)
{
    struct model_fixture *f = *state;
    wr(f, EDU_DMA_SRC, 8, 0x1122334455667788ull);
    assert_true(rd(f, EDU_DMA_SRC, 8) == 0x1122334455667788ull);
    assert_int_equal(rd(f, EDU_DMA_SRC, 4), 0x55667788);
    /* a dword write sets the whole register, zero-extended */
    wr(f, EDU_DMA_SRC, 4, 0xaabbccdd);
    assert_true(rd(f, EDU_DMA_SRC, 8) == 0xaabbccddull);
    /* the command register holds 64 bits as written */
    wr(f, EDU_DMA_CMD, 8, 0x8000000000000000ull);   /* no RUN: ignored */
    assert_int_equal(rd(f, EDU_DMA_CMD, 8), 0);
    /* a qword at 0x84 is QEMU's two dwords: 0x84 (nothing), 0x88 (DST) */
    wr(f, EDU_DMA_DST, 8, 0x0102030405060708ull);
    assert_true(rd(f, 0x84, 8) == 0x05060708ffffffffull);
    wr(f, 0x84, 8, 0x99999999deadbeefull);
    assert_true(rd(f, EDU_DMA_SRC, 8) == 0xaabbccddull);
    assert_true(rd(f, EDU_DMA_DST, 8) == 0x99999999ull);
    /* past the registers: all ones, writes ignored */
    assert_true(rd(f, 0xa0, 8) == UINT64_MAX);
    assert_true(rd(f, 0xffff8, 8) == UINT64_MAX);
    assert_int_equal(rd(f, 0x1000, 4), 0xffffffff);
    wr(f, 0xa0, 8, 0);
    assert_true(rd(f, 0xa0, 8) == UINT64_MAX);
}

static void four_byte_access_to_upper_dwords_reads_ones_writes_nothing(
    void **state)
{
    struct model_fixture *f = *state;
    static const unsigned regs[] = { EDU_DMA_SRC, EDU_DMA_DST, EDU_DMA_CNT,
                                     EDU_DMA_CMD };
    for (unsigned i = 0; i < 4; i++) {
        if (regs[i] != EDU_DMA_CMD)
            wr(f, regs[i], 8, 0x1234);
        wr(f, regs[i] + 4, 4, 0x5678);
        assert_int_equal(rd(f, regs[i] + 4, 4), 0xffffffff);
        assert_true(rd(f, regs[i], 8) == (regs[i] == EDU_DMA_CMD ? 0 : 0x1234));
    }
    /* an upper-dword write with RUN starts nothing */
    wr(f, EDU_DMA_CMD + 4, 4, EDU_DMA_RUN);
    assert_int_equal(f->h->ntimers, 0);
}

static void invalid_sizes_below_0x80_read_qemus_values(void **state)
{
    struct model_fixture *f = *state;
    wr(f, EDU_LIVENESS, 4, 0xf0f0f0f0);
    /* bytes and words fail QEMU's valid.min_access_size = 4: read 0 */
    assert_int_equal(rd(f, EDU_ID, 1), 0);
    assert_int_equal(rd(f, EDU_ID, 2), 0);
    assert_int_equal(rd(f, EDU_LIVENESS + 2, 2), 0);
    /* a misaligned dword is two invalid words */
    assert_int_equal(rd(f, 0x02, 4), 0);
    /* a valid qword below 0x80: edu_mmio_read returns ~0 */
    assert_true(rd(f, EDU_ID, 8) == UINT64_MAX);
    assert_true(rd(f, EDU_FACTORIAL, 8) == UINT64_MAX);
    /* unknown offsets: ~0 */
    assert_int_equal(rd(f, 0x10, 4), 0xffffffff);
    assert_int_equal(rd(f, 0x7c, 4), 0xffffffff);
    /* writes of the wrong size do nothing */
    wr(f, EDU_LIVENESS, 1, 0);
    wr(f, EDU_LIVENESS, 2, 0);
    wr(f, EDU_LIVENESS - 2, 4, 0);
    wr(f, EDU_ID, 8, 0);            /* one aligned qword: ignored */
    assert_int_equal(rd(f, EDU_LIVENESS, 4), 0x0f0f0f0f);
    /* but a qword at 0x04 is only dword-aligned: QEMU issues it as two
     * valid dwords, LIVENESS and FACTORIAL */
    wr(f, EDU_LIVENESS, 8, 0x0000000500000000ull);
    assert_int_equal(rd(f, EDU_LIVENESS, 4), 0xffffffff);
    assert_int_equal(rd(f, EDU_FACTORIAL, 4), 120);
    assert_true(rd(f, EDU_LIVENESS, 8) == 0x00000078ffffffffull);
    wr(f, EDU_INTR_RAISE, 2, 1);
    wr(f, EDU_INTR_RAISE, 8, 1);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    /* 0x7c as a qword: dword 0x7c (~0) then dword 0x80 (DMA_SRC) */
    wr(f, EDU_DMA_SRC, 8, 0xcafef00d12345678ull);
    assert_true(rd(f, 0x7c, 8) == 0x12345678ffffffffull);
    /* from 0x80 too: words and bytes read 0 */
    assert_int_equal(rd(f, EDU_DMA_SRC, 2), 0);
    assert_int_equal(rd(f, EDU_DMA_SRC + 1, 1), 0);
    /* qword at 0x86: word (invalid), dword at 0x88 (DST), word (invalid) */
    wr(f, EDU_DMA_DST, 8, 0x1111111122222222ull);
    assert_true(rd(f, 0x86, 8) == 0x0000222222220000ull);
    wr(f, 0x86, 8, 0x0000abcdef010000ull);
    assert_true(rd(f, EDU_DMA_DST, 8) == 0xabcdef01ull);
    assert_true(rd(f, EDU_DMA_SRC, 8) == 0xcafef00d12345678ull);
}

/* ---- reset and save/restore ---- */

static void reset_restores_registers_and_cancels_the_dma(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF, 0x100, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    wr(f, EDU_LIVENESS, 4, 1);
    wr(f, EDU_STATUS, 4, EDU_STATUS_IRQFACT);
    wr(f, EDU_FACTORIAL, 4, 4);
    assert_true(f->h->intx);
    dma(f, BUF, 0x30000, 0x100, EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);

    assert_int_equal(vpci_dev_reset(f->dev, VPCI_RESET_CONVENTIONAL, NULL), 0);
    assert_false(f->h->intx);
    testhost_place_bar(f->dev, 0);
    testhost_command(f->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(rd(f, EDU_ID, 4), EDU_ID_VALUE);
    assert_int_equal(rd(f, EDU_LIVENESS, 4), 0);
    assert_int_equal(rd(f, EDU_FACTORIAL, 4), 0);
    assert_int_equal(rd(f, EDU_STATUS, 4), 0);
    assert_int_equal(rd(f, EDU_INTR_STATUS, 4), 0);
    assert_true(rd(f, EDU_DMA_CMD, 8) == 0);
    assert_true(rd(f, EDU_DMA_SRC, 8) == 0);
    /* the DMA in flight is gone */
    testhost_advance(f->h, 200 * MS);
    assert_true(ram_is_pattern(f->h, 0x30000, 0x100));
    assert_false(f->h->intx);
    /* the buffer is SRAM: it kept its contents */
    dma(f, BUF, 0x30000, 0x100, EDU_DMA_RUN | EDU_DMA_TO_RAM);
    testhost_advance(f->h, 100 * MS);
    assert_memory_equal(f->h->ram + 0x30000, f->h->ram + 0x1000, 0x100);
}

static void save_restore_mid_dma_carries_the_deadline(void **state)
{
    struct model_fixture *f = *state;
    dma(f, 0x1000, BUF, 0x200, EDU_DMA_RUN);
    testhost_advance(f->h, 100 * MS);
    wr(f, EDU_LIVENESS, 4, 0x0f);
    wr(f, EDU_INTR_RAISE, 4, 0x40);
    dma(f, BUF, 0x40000, 0x200, EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    testhost_advance(f->h, 40 * MS);

    void *blob;
    size_t len;
    assert_int_equal(vpci_dev_save(f->dev, &blob, &len), 0);

    /* a second machine at the same time, its RAM all zero */
    struct model_fixture *f2 = model_fixture_new("edu", NULL, RAM_SIZE);
    struct testhost *h2 = f2->h;
    h2->now = f->h->now;
    assert_int_equal(vpci_dev_load(f2->dev, blob, len, NULL), 0);
    free(blob);
    assert_int_equal(rd(f2, EDU_LIVENESS, 4), 0xfffffff0);
    assert_int_equal(rd(f2, EDU_INTR_STATUS, 4), 0x40);
    assert_int_equal(rd(f2, EDU_DMA_CMD, 8),
                     EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    assert_int_equal(h2->ntimers, 1);
    assert_true(h2->timers[0].deadline == 200 * MS);

    /* the copy finishes the transfer on time */
    testhost_advance(h2, 60 * MS - 1);
    assert_int_equal(rd(f2, EDU_DMA_CMD, 8),
                     EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    testhost_advance(h2, 1);
    assert_int_equal(rd(f2, EDU_DMA_CMD, 8), EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    assert_memory_equal(h2->ram + 0x40000, f->h->ram + 0x1000, 0x200);
    assert_int_equal(rd(f2, EDU_INTR_STATUS, 4), 0x140);
    assert_true(h2->intx);

    model_fixture_free(f2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, model_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(edu_identifies_as_qemus_edu),
        T(config_space_has_qemus_write_masks),
        T(liveness_reads_back_the_inverse),
        T(factorial_values_follow_qemus_uint32_arithmetic),
        T(factorial_raises_irq_0x1_when_status_bit7_is_set),
        T(raise_and_ack_drive_intx),
        T(raise_sends_one_msi_per_write_while_status_is_set),
        T(dma_round_trip_completes_after_100ms_and_not_before),
        T(dma_deadline_is_on_qemus_millisecond_clock),
        T(dma_with_irq_bit_raises_0x100),
        T(dma_register_writes_are_ignored_while_running),
        T(dma_outside_the_buffer_fails_safely),
        T(dma_beyond_the_28bit_mask_fails_safely),
        T(dma_mask_property_sets_the_reachable_range),
        T(dma_with_bus_master_off_moves_nothing),
        T(dma_fault_from_the_host_stops_at_the_faulting_page),
        T(eight_byte_accesses_from_0x80),
        T(four_byte_access_to_upper_dwords_reads_ones_writes_nothing),
        T(invalid_sizes_below_0x80_read_qemus_values),
        T(reset_restores_registers_and_cancels_the_dma),
        T(save_restore_mid_dma_carries_the_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
