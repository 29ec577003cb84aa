/* SPDX-License-Identifier: MIT */
/*
 * The dma-engine model (libvpci/models/dma_engine.c) against its spec
 * (shared/specs/dma-engine.md), the article's Linux driver and the
 * behaviour documented in include/vpci/models/dma_engine.h.
 *
 * Each test creates the registered model on the test host (4 MiB of RAM
 * from bus address 0, filled with a pattern, a virtual clock), places
 * BAR0 and enables decode and bus mastering as firmware would
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
#include <vpci/models/dma_engine.h>
#include <vpci/vpci.h>

#include "testhost.h"

#define RAM_SIZE (4u << 20)
#define PAGE 4096u
#define US 1000ull
#define SRC 0x100000u
#define DST 0x200000u
#define R(off) (DMA_ENGINE_REGS + (off))

static uint8_t ram_pattern(uint64_t addr)
{
    return (uint8_t)(addr * 7 + (addr >> 12) + 1);
}

static struct model_fixture *patterned_fixture(uint64_t ram_size)
{
    struct model_fixture *f = model_fixture_new("dma-engine", NULL, ram_size);
    testhost_fill(f->h, ram_pattern);
    return f;
}

static int setup(void **state)
{
    *state = patterned_fixture(RAM_SIZE);
    return 0;
}

/* The registers: BAR0, accesses that must succeed. */
#define rd(f, off, len) testhost_bar_rd((f)->dev, 0, (off), (len))
#define wr(f, off, len, v) testhost_bar_wr((f)->dev, 0, (off), (len), (v))

static uint64_t ctrl(struct model_fixture *f)
{
    return rd(f, R(DMA_ENGINE_CTRL), 8);
}

/* The article driver's do_dma_copy(): writeq, writeq, writel, writel. */
static void driver_start(struct model_fixture *f, uint64_t src, uint64_t dst,
                         uint32_t size)
{
    wr(f, R(DMA_ENGINE_SRC), 8, src);
    wr(f, R(DMA_ENGINE_DST), 8, dst);
    wr(f, R(DMA_ENGINE_SIZE) + 4, 4, size);
    wr(f, R(DMA_ENGINE_CTRL), 4, 1);
}

/* readl_relaxed_poll_timeout(0x101c, val, val == 1, 10, timeout_us):
 * returns the microseconds it waited, or -1 on timeout. */
static long driver_poll_done(struct model_fixture *f, unsigned timeout_us)
{
    for (unsigned waited = 0;; waited += 10) {
        if (rd(f, R(DMA_ENGINE_CTRL) + 4, 4) == 1)
            return (long)waited;
        if (waited >= timeout_us)
            return -1;
        testhost_advance(f->h, 10 * US);
    }
}

static void snapshot(struct model_fixture *f)
{
    memcpy(f->snap, f->h->ram, RAM_SIZE);
}

/* RAM is as snapshot except [dst, dst + n), which holds the source. */
static void assert_copied_exactly(struct model_fixture *f, uint64_t src,
                                  uint64_t dst, uint64_t n)
{
    assert_memory_equal(f->h->ram + dst, f->snap + src, n);
    assert_memory_equal(f->h->ram, f->snap, dst);
    assert_memory_equal(f->h->ram + dst + n, f->snap + dst + n,
                        RAM_SIZE - dst - n);
}

/* ---- identity ---- */

static void dma_engine_identity_matches_the_articles_lspci(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_dev *dev = f->dev;
    struct vpci_bar_info bi;
    assert_ptr_equal(vpci_model_find("dma-engine"), &vpci_model_dma_engine);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x34561234);
    assert_int_equal(vpci_cfg_read(dev, PCI_CLASS_REVISION, 4), 0x00ff0010);
    assert_int_equal(vpci_cfg_read(dev, PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_true(vpci_dev_is_express(dev));
    assert_int_equal(vpci_cfg_size(dev), 4096);
    assert_int_equal(vpci_bar_info(dev, 0, &bi), 0);
    assert_int_equal(bi.kind, VPCI_BAR_MEM32);
    assert_false(bi.prefetch);
    assert_int_equal(bi.size, 16384);
    assert_int_equal(vpci_bar_info(dev, 1, &bi), 0);
    assert_int_equal(bi.kind, VPCI_BAR_NONE);
    /* the list: Express (v2) RC integrated endpoint, then MSI */
    unsigned pcie = vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1);
    assert_int_equal(pcie, DMA_ENGINE_PCIE_CAP);
    assert_int_equal(vpci_cfg_read(dev, pcie, 1), PCI_CAP_ID_EXP);
    uint16_t flags = (uint16_t)vpci_cfg_read(dev, pcie + PCI_EXP_FLAGS, 2);
    assert_int_equal(flags & PCI_EXP_FLAGS_VERS, 2);
    assert_int_equal((flags & PCI_EXP_FLAGS_TYPE) >> 4, PCI_EXP_TYPE_RC_END);
    uint32_t devcap = vpci_cfg_read(dev, pcie + PCI_EXP_DEVCAP, 4);
    assert_int_equal(devcap & PCI_EXP_DEVCAP_PAYLOAD, 0);   /* 128 bytes */
    assert_false(devcap & PCI_EXP_DEVCAP_FLR);
    unsigned msi = vpci_cfg_read(dev, pcie + 1, 1);
    assert_int_equal(msi, DMA_ENGINE_MSI_CAP);
    assert_int_equal(vpci_cfg_read(dev, msi, 1), PCI_CAP_ID_MSI);
    assert_int_equal(vpci_cfg_read(dev, msi + 1, 1), 0);
    flags = (uint16_t)vpci_cfg_read(dev, msi + PCI_MSI_FLAGS, 2);
    assert_true(flags & PCI_MSI_FLAGS_64BIT);
    assert_false(flags & PCI_MSI_FLAGS_MASKBIT);
    assert_int_equal(flags & PCI_MSI_FLAGS_QMASK, 0);
    assert_int_equal(vpci_dma_mask(dev), UINT64_MAX);
}

static void dma_engine_type_and_max_size_properties(void **state)
{
    struct model_fixture *f = *state;
    vpci_dev_destroy(f->dev);
    f->dev = testhost_model(f->h, "dma-engine", "type=endpoint,max-size=8K");
    unsigned pcie = vpci_cap_find(f->dev, PCI_CAP_ID_EXP);
    assert_int_equal((vpci_cfg_read(f->dev, pcie + PCI_EXP_FLAGS, 2) &
                      PCI_EXP_FLAGS_TYPE) >> 4,
                     PCI_EXP_TYPE_ENDPOINT);
    /* 8 KiB is accepted, one byte more is not */
    driver_start(f, SRC, DST, 8192);
    assert_true(ctrl(f) & DMA_ENGINE_CTRL_BUSY);
    testhost_advance(f->h, 2 * US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    driver_start(f, SRC, DST, 8193);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8), DMA_ENGINE_ERR_LENGTH);

    struct vpci_dev *dev = NULL;
    const struct vpci_model *m = vpci_model_find("dma-engine");
    assert_int_equal(vpci_dev_create(m, "type=bridge", &testhost_ops, f->h,
                                     &dev), -EINVAL);
    assert_true(testhost_logged(f->h, "must be rciep or endpoint"));
    assert_int_equal(vpci_dev_create(m, "max-size=0", &testhost_ops, f->h,
                                     &dev), -EINVAL);
    assert_int_equal(vpci_dev_create(m, "iommu-required=maybe", &testhost_ops,
                                     f->h, &dev), -EINVAL);
    assert_null(dev);
    /* iommu-required is a real switch: see
     * dma_engine_iommu_required_copies_only_behind_an_iommu. */
    assert_int_equal(vpci_dev_create(m, "iommu-required=on", &testhost_ops,
                                     f->h, &dev), 0);
    vpci_dev_destroy(dev);
}

/* ---- register access ---- */

static void dma_engine_seed_driver_copy_with_32bit_size_start_and_poll(
    void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    driver_start(f, SRC, DST, 128);      /* the article's "echo 128" */
    assert_int_equal(driver_poll_done(f, 1000), 10);
    assert_copied_exactly(f, SRC, DST, 128);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), 128);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8), 0);
    /* the driver's ISR is never needed: no IRQ_EN, no interrupt */
    assert_false(f->h->intx);
    assert_int_equal(f->h->nmsi, 0);
}

static void dma_engine_32bit_and_64bit_accesses_agree(void **state)
{
    struct model_fixture *f = *state;
    /* SRC by two dwords reads back as one qword, and the other way */
    wr(f, R(DMA_ENGINE_SRC), 4, 0x89abcdef);
    wr(f, R(DMA_ENGINE_SRC) + 4, 4, 0x01234567);
    assert_int_equal(rd(f, R(DMA_ENGINE_SRC), 8), 0x0123456789abcdefull);
    wr(f, R(DMA_ENGINE_DST), 8, 0xfedcba9876543210ull);
    assert_int_equal(rd(f, R(DMA_ENGINE_DST), 4), 0x76543210);
    assert_int_equal(rd(f, R(DMA_ENGINE_DST) + 4, 4), 0xfedcba98);
    /* SIZE: the length is bits 63:32, bits 31:0 are reserved and read 0 */
    wr(f, R(DMA_ENGINE_SIZE), 8, 0x00001000ffffffffull);
    assert_int_equal(rd(f, R(DMA_ENGINE_SIZE), 8), 0x0000100000000000ull);
    wr(f, R(DMA_ENGINE_SIZE), 4, 0xffffffff);
    assert_int_equal(rd(f, R(DMA_ENGINE_SIZE), 4), 0);
    wr(f, R(DMA_ENGINE_SIZE) + 4, 4, 64);
    assert_int_equal(rd(f, R(DMA_ENGINE_SIZE), 8), 64ull << 32);

    /* a qword START and a qword read of DONE */
    snapshot(f);
    wr(f, R(DMA_ENGINE_SRC), 8, SRC);
    wr(f, R(DMA_ENGINE_DST), 8, DST);
    wr(f, R(DMA_ENGINE_CTRL), 8, DMA_ENGINE_CTRL_START);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_BUSY);    /* START reads 0 */
    testhost_advance(f->h, US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL), 4), 0);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL) + 4, 4), 1);
    assert_copied_exactly(f, SRC, DST, 64);
    /* IRQ_EN is a setting that reads back; DONE cannot be written */
    wr(f, R(DMA_ENGINE_CTRL), 8, DMA_ENGINE_CTRL_IRQ_EN | 0x700000000ull);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_IRQ_EN);
    wr(f, R(DMA_ENGINE_CTRL) + 4, 4, 0);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_IRQ_EN);
}

static void dma_engine_byte_word_and_misaligned_accesses_read_all_ones(
    void **state)
{
    struct model_fixture *f = *state;
    wr(f, R(DMA_ENGINE_SRC), 8, 0x1122334455667788ull);
    assert_int_equal(rd(f, R(DMA_ENGINE_SRC), 1), 0xff);
    assert_int_equal(rd(f, R(DMA_ENGINE_SRC), 2), 0xffff);
    assert_int_equal(rd(f, R(DMA_ENGINE_SRC) + 2, 4), 0xffffffff);
    assert_int_equal(rd(f, R(DMA_ENGINE_SRC) + 4, 8), UINT64_MAX);
    wr(f, R(DMA_ENGINE_SRC), 1, 0);
    wr(f, R(DMA_ENGINE_SRC) + 2, 4, 0);
    assert_int_equal(rd(f, R(DMA_ENGINE_SRC), 8), 0x1122334455667788ull);
    /* a byte START does nothing either */
    wr(f, R(DMA_ENGINE_CTRL), 1, 1);
    assert_int_equal(ctrl(f), 0);
    /* the rest of BAR0 reads 0 */
    assert_int_equal(rd(f, 0, 4), 0);
    assert_int_equal(rd(f, 0xfff, 1), 0);
    assert_int_equal(rd(f, R(DMA_ENGINE_REGS_SIZE), 8), 0);
    assert_int_equal(rd(f, 0x3ffc, 4), 0);
}

/* ---- the copy ---- */

static void dma_engine_copies_1_byte_to_16mib_in_chunk_time(void **state)
{
    (void)state;
    const uint64_t mib = 1u << 20;
    const uint32_t sizes[] = { 1, 4095, 4096, 4097, 1 * mib + 1, 16 * mib };
    const uint64_t src = 0x10000, dst = 0x1800000;   /* 24 MiB */
    const uint64_t ram = dst + 16 * mib + 0x10000;
    struct model_fixture *f = patterned_fixture(ram);
    struct testhost *h = f->h;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint32_t n = sizes[i];
        uint64_t chunks = (n + PAGE - 1) / PAGE;
        memset(h->ram + dst - 64, 0xee, n + 128);
        driver_start(f, src, dst, n);
        testhost_advance(h, chunks * US - 1);
        assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_BUSY);
        assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), (chunks - 1) * PAGE);
        testhost_advance(h, 1);
        assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
        assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), n);
        for (uint64_t b = 0; b < n; b++)
            if (h->ram[dst + b] != ram_pattern(src + b))
                fail_msg("size %u: byte %llu differs", n,
                         (unsigned long long)b);
        for (unsigned b = 0; b < 64; b++) {
            assert_int_equal(h->ram[dst - 64 + b], 0xee);
            assert_int_equal(h->ram[dst + n + b], 0xee);
        }
    }
    /* the source was only read */
    for (uint64_t b = src; b < src + 16 * mib; b += 4093)
        assert_int_equal(h->ram[b], ram_pattern(b));
    model_fixture_free(f);
}

static void dma_engine_start_latches_the_registers_and_clears_done(
    void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    driver_start(f, SRC, DST, 3 * PAGE);
    /* rewriting the registers does not disturb the copy */
    wr(f, R(DMA_ENGINE_SRC), 8, 0);
    wr(f, R(DMA_ENGINE_DST), 8, 0);
    wr(f, R(DMA_ENGINE_SIZE), 8, 1ull << 32);
    testhost_advance(f->h, US);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), PAGE);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_BUSY);
    testhost_advance(f->h, 2 * US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    assert_copied_exactly(f, SRC, DST, 3 * PAGE);
    /* the next START clears DONE until it ends */
    driver_start(f, SRC, DST, 100);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_BUSY);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL) + 4, 4), 4);
}

static void dma_engine_start_while_busy_is_ignored_and_counted(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    driver_start(f, SRC, DST, 2 * PAGE);
    testhost_advance(f->h, US);
    driver_start(f, SRC + PAGE, DST + 8 * PAGE, PAGE);
    wr(f, R(DMA_ENGINE_CTRL), 8, DMA_ENGINE_CTRL_START);
    assert_int_equal(rd(f, R(DMA_ENGINE_IGNORED), 8), 2);
    testhost_advance(f->h, US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    testhost_advance(f->h, 10 * US);
    assert_copied_exactly(f, SRC, DST, 2 * PAGE);   /* and nothing else */
    assert_int_equal(rd(f, R(DMA_ENGINE_IGNORED), 8), 2);
}

static void dma_engine_length_zero_or_above_max_fails_at_once(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    unsigned calls = f->h->dma_calls;
    driver_start(f, SRC, DST, 0);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8), DMA_ENGINE_ERR_LENGTH);
    /* default max-size: 64 MiB */
    driver_start(f, SRC, DST, (64u << 20) + 1);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8), DMA_ENGINE_ERR_LENGTH);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_ADDR), 8), 0);
    testhost_advance(f->h, 100 * US);
    assert_int_equal(f->h->dma_calls, calls);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
    /* the driver's poll for exactly 1 does not see an error as done */
    assert_int_equal(driver_poll_done(f, 20), -1);
}

/* ---- interrupts ---- */

static void dma_engine_iommu_required_copies_only_behind_an_iommu(void **state)
{
    struct model_fixture *f = *state;
    vpci_dev_destroy(f->dev);
    f->dev = testhost_model(f->h, "dma-engine", "iommu-required=on");
    snapshot(f);
    /* The host says DMA goes to memory untranslated: refused at START. */
    f->h->dma_translated = false;
    driver_start(f, SRC, DST, 4096);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8),
                     DMA_ENGINE_ERR_NO_IOMMU);
    testhost_advance(f->h, 100 * US);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
    /* Behind an IOMMU the same copy runs. */
    f->h->dma_translated = true;
    driver_start(f, SRC, DST, 4096);
    assert_true(driver_poll_done(f, 1000) >= 0);
    assert_copied_exactly(f, SRC, DST, 4096);
    /* A host that cannot say is not trusted to isolate. */
    assert_int_equal(vpci_dma_translated(NULL), -ENOTSUP);
}

static void dma_engine_intx_completion_is_held_until_acknowledged(
    void **state)
{
    struct model_fixture *f = *state;
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_INTX);
    wr(f, R(DMA_ENGINE_SRC), 8, SRC);
    wr(f, R(DMA_ENGINE_DST), 8, DST);
    wr(f, R(DMA_ENGINE_SIZE) + 4, 4, 64);
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    assert_false(f->h->intx);
    testhost_advance(f->h, US);
    assert_true(f->h->intx);
    /* IRQ_ACK drops it and reads 0; IRQ_EN stays */
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_IRQ_ACK);
    assert_false(f->h->intx);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_IRQ_EN);
    /* the next START drops it too */
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    testhost_advance(f->h, US);
    assert_true(f->h->intx);
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    assert_false(f->h->intx);
    testhost_advance(f->h, US);
    assert_true(f->h->intx);
    /* and so does clearing IRQ_EN */
    wr(f, R(DMA_ENGINE_CTRL), 4, 0);
    assert_false(f->h->intx);
    assert_int_equal(f->h->intx_rises, 3);
    /* a failed copy interrupts the same way */
    wr(f, R(DMA_ENGINE_SIZE) + 4, 4, 0);
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    assert_true(f->h->intx);
}

static void dma_engine_msi_completion_sends_one_message(void **state)
{
    struct model_fixture *f = *state;
    testhost_enable_msi(f->dev, DMA_ENGINE_MSI_CAP, 0xfee00000, 0x0050);
    driver_start(f, SRC, DST, 5000);             /* no IRQ_EN: silent */
    testhost_advance(f->h, 2 * US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    assert_int_equal(f->h->nmsi, 0);
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    testhost_advance(f->h, US);
    assert_int_equal(f->h->nmsi, 0);
    testhost_advance(f->h, US);
    assert_int_equal(f->h->nmsi, 1);
    assert_int_equal(f->h->msi[0].addr, 0xfee00000);
    assert_int_equal(f->h->msi[0].data, 0x0050);
    assert_false(f->h->intx);
    testhost_advance(f->h, 100 * US);
    assert_int_equal(f->h->nmsi, 1);
}

/* ---- faults ---- */

static void dma_engine_read_fault_stops_exactly_at_the_fault(void **state)
{
    struct model_fixture *f = *state;
    /* the source starts mid-page; its 4th page faults */
    const uint64_t src = SRC + 0x800, fault = SRC + 3 * PAGE;
    testhost_add_fault(f->h, fault, PAGE, EFAULT);
    snapshot(f);
    driver_start(f, src, DST, 6 * PAGE);
    testhost_advance(f->h, 2 * US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_BUSY);
    testhost_advance(f->h, US);     /* the chunk that meets the fault */
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8),
                     DMA_ENGINE_ERR_READ | EFAULT << 8);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_ADDR), 8), fault);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), fault - src);
    assert_copied_exactly(f, src, DST, fault - src);
    testhost_advance(f->h, 100 * US);
    assert_copied_exactly(f, src, DST, fault - src);
    assert_true(testhost_logged(f->h, "dma-engine: copy"));
}

static void dma_engine_write_fault_stops_at_the_faulting_page(void **state)
{
    struct model_fixture *f = *state;
    const uint64_t dst = DST + 0x123, fault = DST + 2 * PAGE;
    testhost_add_fault(f->h, fault, PAGE, EACCES);
    snapshot(f);
    driver_start(f, SRC, dst, 5 * PAGE);
    testhost_advance(f->h, 10 * US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8),
                     DMA_ENGINE_ERR_WRITE | EACCES << 8);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_ADDR), 8), fault);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), fault - dst);
    assert_copied_exactly(f, SRC, dst, fault - dst);
}

static void dma_engine_bus_master_off_mid_copy_stops(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    driver_start(f, SRC, DST, 4 * PAGE);
    testhost_advance(f->h, US);
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, NULL);
    testhost_advance(f->h, US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8), DMA_ENGINE_ERR_MASTER);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_ADDR), 8), SRC + PAGE);
    assert_copied_exactly(f, SRC, DST, PAGE);
}

/* ---- reset, save/restore ---- */

static void dma_engine_reset_drops_a_copy_in_progress(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    wr(f, R(DMA_ENGINE_CTRL), 8, DMA_ENGINE_CTRL_IRQ_EN);
    driver_start(f, SRC, DST, 4 * PAGE);
    wr(f, R(DMA_ENGINE_CTRL), 8, DMA_ENGINE_CTRL_IRQ_EN);
    testhost_advance(f->h, US);
    assert_int_equal(vpci_dev_reset(f->dev, VPCI_RESET_FLR, NULL), 0);
    testhost_advance(f->h, 100 * US);
    assert_copied_exactly(f, SRC, DST, PAGE);
    testhost_place_bar(f->dev, 0);
    testhost_command(f->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    for (uint32_t off = 0; off < DMA_ENGINE_REGS_SIZE; off += 8)
        assert_int_equal(rd(f, R(off), 8), 0);
    assert_false(f->h->intx);
}

static void dma_engine_save_restore_mid_copy_resumes(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    driver_start(f, SRC, DST, 4 * PAGE);
    testhost_advance(f->h, US + US / 2);
    void *blob;
    size_t len;
    assert_int_equal(vpci_dev_save(f->dev, &blob, &len), 0);
    /* lose everything, then come back from the blob */
    assert_int_equal(vpci_dev_reset(f->dev, VPCI_RESET_CONVENTIONAL, NULL), 0);
    assert_int_equal(vpci_dev_load(f->dev, blob, len, NULL), 0);
    free(blob);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_BUSY);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), PAGE);
    testhost_advance(f->h, 3 * US);
    assert_int_equal(ctrl(f), DMA_ENGINE_CTRL_DONE);
    assert_copied_exactly(f, SRC, DST, 4 * PAGE);
}

#define T(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, setup, model_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(dma_engine_identity_matches_the_articles_lspci),
        T(dma_engine_type_and_max_size_properties),
        T(dma_engine_seed_driver_copy_with_32bit_size_start_and_poll),
        T(dma_engine_32bit_and_64bit_accesses_agree),
        T(dma_engine_byte_word_and_misaligned_accesses_read_all_ones),
        T(dma_engine_copies_1_byte_to_16mib_in_chunk_time),
        T(dma_engine_start_latches_the_registers_and_clears_done),
        T(dma_engine_start_while_busy_is_ignored_and_counted),
        T(dma_engine_length_zero_or_above_max_fails_at_once),
        T(dma_engine_iommu_required_copies_only_behind_an_iommu),
        T(dma_engine_intx_completion_is_held_until_acknowledged),
        T(dma_engine_msi_completion_sends_one_message),
        T(dma_engine_read_fault_stops_exactly_at_the_fault),
        T(dma_engine_write_fault_stops_at_the_faulting_page),
        T(dma_engine_bus_master_off_mid_copy_stops),
        T(dma_engine_reset_drops_a_copy_in_progress),
        T(dma_engine_save_restore_mid_copy_resumes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
