/* SPDX-License-Identifier: MIT */
/*
 * dma-engine through the mock host's IOMMU: copies of 1 byte to 16 MiB
 * between contiguous IOVA ranges (above 4 GiB: 64-bit addresses) whose
 * 4 KiB pages map to shuffled physical pages, driven with the article
 * driver's accesses (writeq SRC/DST, writel SIZE at 0x1014, writel START
 * at 0x1018, readl DONE at 0x101C polled every 10 us of virtual time),
 * completion by MSI and by INTx, and IOMMU faults in the middle of a copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

#include <vpci/models/dma_engine.h>

#define PAGE 4096ull
#define MIB (1ull << 20)
#define US 1000ull
#define RW (VPCI_MOCK_IOMMU_READ | VPCI_MOCK_IOMMU_WRITE)
#define MAX_COPY (16 * MIB)
#define NPAGES (MAX_COPY / PAGE + 1)      /* room for a copy + 1 page */
#define SRC_IOVA 0x1234000000ull          /* 64-bit IOVAs */
#define DST_IOVA 0x5678000000ull
#define SRC_PA (16 * MIB)                 /* physical page pools */
#define DST_PA (48 * MIB)
#define GUARD 0xee
#define MSI_DATA 0x0050u                  /* as in the article's lspci */
#define R(off) (DMA_ENGINE_REGS + (off))

struct fixture {
    struct mt_machine mm;
    struct vpci_mock *m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev;
    uint16_t rid;
    uint64_t bar0;
    int gsi;
    uint32_t src_page[NPAGES], dst_page[NPAGES];  /* IOVA page -> PA page */
};

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A random permutation of 0..n-1. */
static void shuffle(uint32_t *p, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = next_random(&seed) % (i + 1), t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* Map @n IOVA pages from @iova, page i to pool page perm[i]. */
static void map_scattered(struct fixture *f, uint64_t iova, uint64_t pa,
                          const uint32_t *perm, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(vpci_mock_iommu_map(f->m, f->rid, iova + i * PAGE,
                                             pa + perm[i] * PAGE, PAGE, RW),
                         0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(mt_machine_new(&f->mm, VPCI_MOCK_Q35, 0, true), 0);
    f->m = f->mm.m;
    assert_int_equal(vpci_mock_add(f->m, "dma-engine,addr=04.0", &f->fn), 0);
    assert_int_equal(vpci_mock_enumerate(f->m), 0);
    f->dev = vpci_mock_fn_dev(f->fn);
    f->rid = vpci_mock_fn_rid(f->fn);
    f->gsi = vpci_mock_fn_gsi(f->fn);
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(f->dev, 0, &bi), 0);
    assert_true(bi.mapped);
    f->bar0 = bi.addr;
    shuffle(f->src_page, NPAGES, 1);
    shuffle(f->dst_page, NPAGES, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mt_machine_free(&f->mm);
    free(f);
    return 0;
}

static uint64_t rd(struct fixture *f, uint32_t off, unsigned len)
{
    return vpci_mock_read(f->m, f->bar0 + off, len);
}

static void wr(struct fixture *f, uint32_t off, unsigned len, uint64_t v)
{
    vpci_mock_write(f->m, f->bar0 + off, len, v);
}

/* Physical address of byte @off of the source / destination range. */
static uint64_t src_pa(const struct fixture *f, uint64_t off)
{
    return SRC_PA + f->src_page[off / PAGE] * PAGE + off % PAGE;
}

static uint64_t dst_pa(const struct fixture *f, uint64_t off)
{
    return DST_PA + f->dst_page[off / PAGE] * PAGE + off % PAGE;
}

/* Read @len bytes at offset @off of a range, page by page through the
 * permutation (what the CPU would see through the IOVA mapping). */
static void read_range(struct fixture *f, bool dst, uint64_t off, uint8_t *buf,
                       uint64_t len)
{
    while (len) {
        uint64_t n = PAGE - off % PAGE;
        if (n > len)
            n = len;
        vpci_mock_memread(f->m, dst ? dst_pa(f, off) : src_pa(f, off), buf, n);
        buf += n;
        off += n;
        len -= n;
    }
}

static void fill_pools(struct fixture *f, uint32_t seed)
{
    uint8_t *buf = malloc(NPAGES * PAGE);
    assert_non_null(buf);
    for (uint64_t i = 0; i < NPAGES * PAGE; i += 4) {
        uint32_t r = next_random(&seed);
        memcpy(buf + i, &r, 4);
    }
    vpci_mock_memwrite(f->m, SRC_PA, buf, NPAGES * PAGE);
    memset(buf, GUARD, NPAGES * PAGE);
    vpci_mock_memwrite(f->m, DST_PA, buf, NPAGES * PAGE);
    free(buf);
}

/* The destination holds the first @n source bytes and, from @n to
 * @guard_end, the guard bytes it was filled with. */
static void assert_dst(struct fixture *f, uint64_t n, uint64_t guard_end)
{
    uint8_t *want = malloc(guard_end), *got = malloc(guard_end);
    assert_non_null(want);
    assert_non_null(got);
    read_range(f, false, 0, want, n);
    memset(want + n, GUARD, guard_end - n);
    read_range(f, true, 0, got, guard_end);
    assert_memory_equal(got, want, guard_end);
    free(want);
    free(got);
}

/* do_dma_copy(): writeq SRC, writeq DST, writel SIZE, writel START. */
static void driver_start(struct fixture *f, uint64_t n)
{
    wr(f, R(DMA_ENGINE_SRC), 8, SRC_IOVA);
    wr(f, R(DMA_ENGINE_DST), 8, DST_IOVA);
    wr(f, R(DMA_ENGINE_SIZE) + 4, 4, n);
    wr(f, R(DMA_ENGINE_CTRL), 4, 1);
}

/* readl_relaxed_poll_timeout(0x101c, val, val == 1, 10, timeout):
 * microseconds waited, or -1. */
static long driver_poll(struct fixture *f, uint64_t timeout_us)
{
    for (uint64_t waited = 0;; waited += 10) {
        if (rd(f, R(DMA_ENGINE_CTRL) + 4, 4) == 1)
            return (long)waited;
        if (waited >= timeout_us)
            return -1;
        vpci_mock_clock_step(f->m, 10 * US);
    }
}

static void program_msi(struct fixture *f)
{
    uint8_t bus = vpci_mock_fn_bus(f->fn), d = vpci_mock_fn_devfn(f->fn);
    unsigned cap = DMA_ENGINE_MSI_CAP;
    uint64_t db = vpci_mock_get_map(f->m)->msi_base;
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_ADDRESS_LO, 4,
                        (uint32_t)db);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_ADDRESS_HI, 4, 0);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_DATA_64, 2, MSI_DATA);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_FLAGS, 2,
                        PCI_MSI_FLAGS_ENABLE);
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_MSI);
}

/* ------------------------------------------------------------------ */

static void dma_engine_enumerates_as_in_the_article(void **state)
{
    struct fixture *f = *state;
    uint8_t bus = vpci_mock_fn_bus(f->fn), d = vpci_mock_fn_devfn(f->fn);
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d, PCI_VENDOR_ID, 4),
                     0x34561234);
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d, PCI_REVISION_ID, 1),
                     0x10);
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d, PCI_CAPABILITY_LIST, 1),
                     DMA_ENGINE_PCIE_CAP);
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d,
                                        DMA_ENGINE_PCIE_CAP + 1, 1),
                     DMA_ENGINE_MSI_CAP);
    /* the PCIe capability reads the same through ECAM */
    uint64_t ecam = vpci_mock_get_map(f->m)->ecam_base +
                    ((uint64_t)bus << 20) + ((uint64_t)d << 12);
    assert_int_equal(vpci_mock_read(f->m, ecam + DMA_ENGINE_PCIE_CAP, 1),
                     PCI_CAP_ID_EXP);
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(f->dev, 0, &bi), 0);
    assert_int_equal(bi.size, 16 * 1024);
    assert_int_equal(f->bar0 % (16 * 1024), 0);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL), 8), 0);
}

static void dma_engine_copies_through_scattered_iommu_pages(void **state)
{
    struct fixture *f = *state;
    map_scattered(f, SRC_IOVA, SRC_PA, f->src_page, NPAGES);
    map_scattered(f, DST_IOVA, DST_PA, f->dst_page, NPAGES);
    fill_pools(f, 7);
    const uint64_t sizes[] = { 1, 4095, 4096, 4097, MIB + 1, 16 * MIB };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t n = sizes[i], chunks = (n + PAGE - 1) / PAGE;
        uint64_t t0 = vpci_mock_clock(f->m);
        driver_start(f, n);
        long waited = driver_poll(f, 10 * chunks + 100);
        /* done at the first 10 us poll at or after ceil(n / 4 KiB) us */
        assert_int_equal(waited, (long)((chunks + 9) / 10 * 10));
        assert_int_equal(vpci_mock_clock(f->m) - t0, (uint64_t)waited * US);
        assert_int_equal(rd(f, R(DMA_ENGINE_CTRL), 8), DMA_ENGINE_CTRL_DONE);
        assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), n);
        /* the data, and nothing past it up to the end of the next page */
        uint64_t guard_end = (n + 2 * PAGE - 1) / PAGE * PAGE;
        if (guard_end > NPAGES * PAGE)
            guard_end = NPAGES * PAGE;
        assert_dst(f, n, guard_end);
        /* reset the destination for the next size */
        uint8_t *g = malloc(NPAGES * PAGE);
        assert_non_null(g);
        memset(g, GUARD, NPAGES * PAGE);
        vpci_mock_memwrite(f->m, DST_PA, g, NPAGES * PAGE);
        free(g);
    }
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);
    assert_int_equal(vpci_mock_errors(f->m), 0);
}

static void dma_engine_done_polling_follows_the_clock(void **state)
{
    struct fixture *f = *state;
    map_scattered(f, SRC_IOVA, SRC_PA, f->src_page, 256);
    map_scattered(f, DST_IOVA, DST_PA, f->dst_page, 256);
    fill_pools(f, 8);
    driver_start(f, MIB);              /* 256 chunks: 256 us */
    vpci_mock_clock_step(f->m, 255 * US);
    /* BUSY (bit34) in the upper dword, DONE not yet; progress shows */
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL) + 4, 4), 4);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), 255 * PAGE);
    vpci_mock_clock_step(f->m, US);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL) + 4, 4), 1);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL), 8), DMA_ENGINE_CTRL_DONE);
    assert_dst(f, MIB, MIB);
    /* no deadline left */
    assert_int_equal(vpci_mock_next_deadline(f->m), UINT64_MAX);
}

static void dma_engine_msi_completion(void **state)
{
    struct fixture *f = *state;
    map_scattered(f, SRC_IOVA, SRC_PA, f->src_page, 16);
    map_scattered(f, DST_IOVA, DST_PA, f->dst_page, 16);
    fill_pools(f, 9);
    program_msi(f);
    uint64_t t0 = vpci_mock_clock(f->m);
    wr(f, R(DMA_ENGINE_SRC), 8, SRC_IOVA);
    wr(f, R(DMA_ENGINE_DST), 8, DST_IOVA);
    wr(f, R(DMA_ENGINE_SIZE), 8, (16 * PAGE) << 32);
    wr(f, R(DMA_ENGINE_CTRL), 8,
       DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    vpci_mock_clock_step(f->m, 15 * US);
    assert_int_equal(vpci_mock_msi_count(f->m), 0);
    vpci_mock_clock_step(f->m, US);
    assert_int_equal(vpci_mock_msi_count_data(f->m, MSI_DATA), 1);
    struct vpci_mock_msi ev;
    assert_int_equal(vpci_mock_msi_get(f->m, 0, &ev), 0);
    assert_int_equal(ev.rid, f->rid);
    assert_int_equal(ev.addr, vpci_mock_get_map(f->m)->msi_base);
    assert_int_equal(ev.time, t0 + 16 * US);
    assert_false(vpci_mock_gsi_level(f->m, (unsigned)f->gsi));
    assert_dst(f, 16 * PAGE, 16 * PAGE);
    /* the MSI write itself is not DMA: the IOMMU saw no fault */
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);
}

static void dma_engine_intx_completion(void **state)
{
    struct fixture *f = *state;
    map_scattered(f, SRC_IOVA, SRC_PA, f->src_page, 2);
    map_scattered(f, DST_IOVA, DST_PA, f->dst_page, 2);
    fill_pools(f, 10);
    assert_true(f->gsi >= 0);
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN);
    wr(f, R(DMA_ENGINE_SRC), 8, SRC_IOVA);
    wr(f, R(DMA_ENGINE_DST), 8, DST_IOVA);
    wr(f, R(DMA_ENGINE_SIZE) + 4, 4, 5000);
    wr(f, R(DMA_ENGINE_CTRL), 4,
       DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    vpci_mock_clock_step(f->m, US);
    assert_false(vpci_mock_gsi_level(f->m, (unsigned)f->gsi));
    vpci_mock_clock_step(f->m, US);
    assert_true(vpci_mock_gsi_level(f->m, (unsigned)f->gsi));
    /* the level stays until acknowledged */
    vpci_mock_clock_step(f->m, 100 * US);
    assert_true(vpci_mock_gsi_level(f->m, (unsigned)f->gsi));
    wr(f, R(DMA_ENGINE_CTRL), 4,
       DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_IRQ_ACK);
    assert_false(vpci_mock_gsi_level(f->m, (unsigned)f->gsi));
    assert_int_equal(vpci_mock_gsi_raises(f->m, (unsigned)f->gsi), 1);
    assert_int_equal(vpci_mock_msi_count(f->m), 0);
    assert_dst(f, 5000, 2 * PAGE);
}

static void dma_engine_iommu_fault_mid_copy_stops_there(void **state)
{
    struct fixture *f = *state;
    const uint32_t pages = 8, bad = 4;
    map_scattered(f, SRC_IOVA, SRC_PA, f->src_page, pages);
    map_scattered(f, DST_IOVA, DST_PA, f->dst_page, pages);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, f->rid,
                                           DST_IOVA + bad * PAGE, PAGE), 0);
    fill_pools(f, 11);
    wr(f, R(DMA_ENGINE_CTRL), 4, DMA_ENGINE_CTRL_IRQ_EN);
    program_msi(f);
    driver_start(f, pages * PAGE);
    /* the driver's poll for exactly 1 never sees DONE|ERROR as done */
    assert_int_equal(driver_poll(f, 100), -1);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL) + 4, 4), 3);   /* DONE|ERROR */
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8),
                     DMA_ENGINE_ERR_WRITE | EFAULT << 8);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_ADDR), 8), DST_IOVA + bad * PAGE);
    assert_int_equal(rd(f, R(DMA_ENGINE_COPIED), 8), bad * PAGE);
    /* pages before it written; it and everything after untouched */
    assert_dst(f, bad * PAGE, NPAGES * PAGE);
    /* the host recorded the fault */
    struct vpci_mock_fault faults[4];
    assert_int_equal(vpci_mock_iommu_faults(f->m, faults, 4), 1);
    assert_int_equal(faults[0].rid, f->rid);
    assert_int_equal(faults[0].addr, DST_IOVA + bad * PAGE);
    assert_true(faults[0].write);
    assert_int_equal(faults[0].err, -EFAULT);
    /* IRQ_EN was cleared by the driver's dword START: no message.  With
     * IRQ_EN the same failure interrupts. */
    assert_int_equal(vpci_mock_msi_count(f->m), 0);
    wr(f, R(DMA_ENGINE_CTRL), 4,
       DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_START);
    vpci_mock_clock_step(f->m, 10 * US);
    assert_int_equal(vpci_mock_msi_count_data(f->m, MSI_DATA), 1);
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 2);
}

static void dma_engine_iommu_permission_fault_on_the_source(void **state)
{
    struct fixture *f = *state;
    const uint32_t pages = 4;
    /* source page 2 may be written by the device but not read */
    for (uint32_t i = 0; i < pages; i++)
        assert_int_equal(vpci_mock_iommu_map(f->m, f->rid,
                                             SRC_IOVA + i * PAGE,
                                             SRC_PA + f->src_page[i] * PAGE,
                                             PAGE,
                                             i == 2 ? VPCI_MOCK_IOMMU_WRITE
                                                    : RW),
                         0);
    map_scattered(f, DST_IOVA, DST_PA, f->dst_page, pages);
    fill_pools(f, 12);
    driver_start(f, pages * PAGE);
    vpci_mock_clock_step(f->m, 10 * US);
    assert_int_equal(rd(f, R(DMA_ENGINE_CTRL), 8),
                     DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_CODE), 8),
                     DMA_ENGINE_ERR_READ | EACCES << 8);
    assert_int_equal(rd(f, R(DMA_ENGINE_ERR_ADDR), 8), SRC_IOVA + 2 * PAGE);
    assert_dst(f, 2 * PAGE, NPAGES * PAGE);
    struct vpci_mock_fault fault;
    assert_int_equal(vpci_mock_iommu_faults(f->m, &fault, 1), 1);
    assert_false(fault.write);
    assert_int_equal(fault.err, -EACCES);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(dma_engine_enumerates_as_in_the_article),
        T(dma_engine_copies_through_scattered_iommu_pages),
        T(dma_engine_done_polling_follows_the_clock),
        T(dma_engine_msi_completion),
        T(dma_engine_intx_completion),
        T(dma_engine_iommu_fault_mid_copy_stops_there),
        T(dma_engine_iommu_permission_fault_on_the_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
