/* SPDX-License-Identifier: MIT */
/*
 * What does the mock host's IOMMU cost a DMA?
 *
 * A device model reads a 64-page buffer page by page (vpci_dma_read of
 * 4 KiB each, round and round; 256 KiB stays in cache, so the figures are
 * per-page overheads, not memory bandwidth) on two machines in the same
 * run:
 *
 *   memcpy (baseline)     a plain 4 KiB memcpy from a host buffer
 *   DMA, no IOMMU         bus address = RAM address
 *   DMA, IOMMU            contiguous IOVAs mapped to scattered pages: each
 *                         page is one walk of the tables in guest RAM
 *                         (root, context, four levels)
 *   translate only        vpci_mock_iommu_translate() of each page, no copy
 *
 * The two DMA runs read the same bytes (checked); figures are printed,
 * never judged: the program fails only if the data disagree.
 *
 * usage: bench_iommu [pages per method]   (default 1000000)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vpci/vpci.h>

#if __has_include("mockhost.h")
#include "mockhost.h"

#define PAGE 4096u
#define NPAGES 64u                      /* 256 KiB: stays in cache */
#define DEFAULT_ITERS 1000000ull
#define PA_BASE (8ull << 20)            /* buffer pages, scattered */
#define IOVA_BASE 0x100000000ull

static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0xbe1c, .class_code = 0xff0000,
    };
    return vpci_dev_set_identity(dev, &id);
}

static const struct vpci_model bench_model = {
    .name = "bench-dma",
    .desc = "reads memory by DMA",
    .init = bench_init,
};

/* Page i of the buffer: backwards with a hole after each page. */
static uint64_t page_pa(const struct vpci_mock *m, unsigned i)
{
    return vpci_mock_get_map(m)->ram_lo_base + PA_BASE +
           (uint64_t)(NPAGES - 1 - i) * 2 * PAGE;
}

struct rig {
    struct vpci_mock *m;
    struct vpci_dev *dev;
    uint16_t rid;
};

static int rig_new(struct rig *r, bool iommu, FILE *log)
{
    struct vpci_mock_config cfg = { .machine = VPCI_MOCK_Q35,
                                    .ram_size = 64ull << 20,
                                    .iommu = iommu, .log = log };
    struct vpci_mock_fn *fn;
    int rc;
    if ((rc = vpci_mock_new(&cfg, &r->m)))
        return rc;
    if ((rc = vpci_mock_add_model(r->m, &bench_model, "addr=02.0", &fn)) ||
        (rc = vpci_mock_enumerate(r->m)))
        return rc;
    r->dev = vpci_mock_fn_dev(fn);
    r->rid = vpci_mock_fn_rid(fn);
    /* Fill the buffer pages with a pattern (the same on both rigs). */
    static uint8_t pat[PAGE];
    for (unsigned i = 0; i < NPAGES; i++) {
        for (unsigned j = 0; j < PAGE; j++)
            pat[j] = (uint8_t)(i * 31 + j * 7);
        vpci_mock_memwrite(r->m, page_pa(r->m, i), pat, PAGE);
        if (iommu && (rc = vpci_mock_iommu_map(r->m, r->rid,
                                               IOVA_BASE + i * PAGE,
                                               page_pa(r->m, i), PAGE,
                                               VPCI_MOCK_IOMMU_READ)))
            return rc;
    }
    return 0;
}

/* Read @iters pages by DMA; returns ns per page, sums the data. */
static double run_dma(struct rig *r, bool iommu, uint64_t iters,
                      uint64_t *sum, int *err)
{
    static uint8_t buf[PAGE];
    uint64_t s = 0, t0 = now_ns();
    for (uint64_t k = 0; k < iters; k++) {
        unsigned i = (unsigned)(k % NPAGES);
        uint64_t addr = iommu ? IOVA_BASE + i * PAGE : page_pa(r->m, i);
        int rc = vpci_dma_read(r->dev, addr, buf, PAGE, NULL);
        if (rc)
            *err = rc;
        s += buf[k % PAGE];
    }
    uint64_t t1 = now_ns();
    *sum = s;
    return (double)(t1 - t0) / (double)iters;
}

static double run_memcpy(const uint8_t *src, uint64_t iters, uint64_t *sum)
{
    static uint8_t buf[PAGE];
    uint64_t s = 0, t0 = now_ns();
    for (uint64_t k = 0; k < iters; k++) {
        /* same scattered order, from a host buffer */
        unsigned i = (unsigned)(k % NPAGES);
        memcpy(buf, src + (uint64_t)(NPAGES - 1 - i) * 2 * PAGE, PAGE);
        __asm__ volatile("" : : "r"(buf) : "memory");
        s += buf[k % PAGE];
    }
    uint64_t t1 = now_ns();
    *sum = s;
    return (double)(t1 - t0) / (double)iters;
}

static double run_translate(struct rig *r, uint64_t iters, int *err)
{
    uint64_t s = 0, t0 = now_ns();
    for (uint64_t k = 0; k < iters; k++) {
        uint64_t pa;
        int rc = vpci_mock_iommu_translate(r->m, r->rid,
                                           IOVA_BASE + (k % NPAGES) * PAGE,
                                           VPCI_MOCK_IOMMU_READ, &pa);
        if (rc)
            *err = rc;
        s += pa;
    }
    uint64_t t1 = now_ns();
    sink = s;
    return (double)(t1 - t0) / (double)iters;
}

int main(int argc, char **argv)
{
    uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 0) : DEFAULT_ITERS;
    if (!iters)
        iters = DEFAULT_ITERS;
    FILE *log = fopen("/dev/null", "w");
    struct rig plain = { 0 }, mmu = { 0 };
    int rc;
    if ((rc = rig_new(&plain, false, log)) || (rc = rig_new(&mmu, true, log))) {
        fprintf(stderr, "bench_iommu: machine setup failed: %s\n",
                strerror(-rc));
        vpci_mock_free(plain.m);
        vpci_mock_free(mmu.m);
        if (log)
            fclose(log);
        return 1;
    }
    /* The host-buffer copy of the same pages for the memcpy baseline. */
    uint8_t *host = malloc((size_t)NPAGES * 2 * PAGE);
    if (!host)
        return 1;
    vpci_mock_memread(plain.m, page_pa(plain.m, NPAGES - 1), host,
                      (size_t)NPAGES * 2 * PAGE);

    uint64_t sum_cpy, sum_plain, sum_mmu;
    int err_plain = 0, err_mmu = 0, err_xl = 0;
    /* warm up, then measure */
    run_memcpy(host, iters / 10 + 1, &sum_cpy);
    run_dma(&plain, false, iters / 10 + 1, &sum_plain, &err_plain);
    run_dma(&mmu, true, iters / 10 + 1, &sum_mmu, &err_mmu);
    double ns_cpy = run_memcpy(host, iters, &sum_cpy);
    double ns_plain = run_dma(&plain, false, iters, &sum_plain, &err_plain);
    double ns_mmu = run_dma(&mmu, true, iters, &sum_mmu, &err_mmu);
    double ns_xl = run_translate(&mmu, iters, &err_xl);

    printf("bench_iommu: %" PRIu64 " x 4 KiB DMA reads per method, "
           "%u-page working set\n\n", iters, NPAGES);
    printf("%-34s %10s %10s %12s\n", "method", "ns/page", "GB/s",
           "x memcpy");
    printf("%-34s %10.1f %10.2f %12.2f\n", "memcpy 4 KiB (baseline)", ns_cpy,
           PAGE / ns_cpy, 1.0);
    printf("%-34s %10.1f %10.2f %12.2f\n", "vpci_dma_read, no IOMMU",
           ns_plain, PAGE / ns_plain, ns_plain / ns_cpy);
    printf("%-34s %10.1f %10.2f %12.2f\n", "vpci_dma_read, IOMMU", ns_mmu,
           PAGE / ns_mmu, ns_mmu / ns_cpy);
    printf("%-34s %10.1f %10s %12s\n", "IOMMU translate only", ns_xl, "-",
           "-");
    printf("\nIOMMU cost per page: %.1f ns (%.2fx the DMA without it)\n",
           ns_mmu - ns_plain, ns_mmu / ns_plain);

    int status = 0;
    if (err_plain || err_mmu || err_xl) {
        fprintf(stderr, "bench_iommu: DMA failed: %d %d %d\n", err_plain,
                err_mmu, err_xl);
        status = 1;
    } else if (sum_plain != sum_mmu || sum_plain != sum_cpy) {
        fprintf(stderr, "bench_iommu: the methods read different data "
                "(%" PRIu64 " %" PRIu64 " %" PRIu64 ")\n",
                sum_cpy, sum_plain, sum_mmu);
        status = 1;
    } else if (vpci_mock_iommu_faults(mmu.m, NULL, 0)) {
        fprintf(stderr, "bench_iommu: unexpected IOMMU faults\n");
        status = 1;
    }
    free(host);
    vpci_mock_free(plain.m);
    vpci_mock_free(mmu.m);
    if (log)
        fclose(log);
    return status;
}

#else /* no mock host in this build */

int main(void)
{
    printf("bench_iommu: skipped (the mock host is not part of this build)\n");
    return 0;
}

#endif
