/* SPDX-License-Identifier: MIT */
/*
 * How much does the mock host's address decode cost per MMIO access?
 *
 * 1, 8 and 64 memory BARs (4 KiB each, RAM-backed, spread over functions
 * of six BARs on the root bus with gaps between them) are mapped by hand
 * through config writes, then read with dword accesses, once per method,
 * in the same run:
 *
 *   direct        vpci_bar_read(dev, bar, offset): the baseline, what an
 *                 access costs with no address decode at all
 *   mock host     vpci_mock_read(m, addr, 4): RAM check, then the sorted
 *                 interval table (last-hit cache, binary search), then
 *                 vpci_bar_read
 *   linear scan   the same table searched front to back, then
 *                 vpci_bar_read: what a naive decoder would do
 *
 * in three patterns:
 *   random        a fixed pseudo-random order over all BARs, placed 8 KiB
 *                 apart (each BAR has its own slot of the mock host's
 *                 per-page last-hit cache, so it hits once warm)
 *   runs of 64    64 accesses to one BAR, then another (any last-hit
 *                 cache hits)
 *   random, 1 MiB the random order with the BARs 1 MiB apart: every BAR
 *                 falls in the same cache slot, so nearly every access
 *                 misses and pays the binary search
 * Figures are printed, never judged: the program fails only if the
 * methods read different values.
 *
 * Each figure is the best of three runs (other load on the machine only
 * ever adds time).
 *
 * usage: bench_mmio_lookup [accesses per method]   (default 200000)
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vpci/vpci.h>

#include "mockhost.h"

#define BARS_PER_FN 6u
#define BAR_SIZE 4096u
#define BAR_STRIDE 0x2000u          /* a 4 KiB gap after every BAR */
#define BAR_STRIDE_FAR 0x100000u    /* 1 MiB: one hit-cache slot for all */
#define WINDOW 0xc0000000u
#define NACC 4096u                  /* pattern length (power of two) */
#define RUN 64u                     /* accesses per BAR in the "runs" order */
#define DEFAULT_ITERS 200000ull
#define REPEATS 3                   /* best of, against a noisy machine */
#define MAX_BARS 64u

struct access {
    struct vpci_dev *dev;
    unsigned bar;
    uint64_t off;
    uint64_t addr;
};

struct entry {
    uint64_t start, end;
    struct vpci_dev *dev;
    unsigned bar;
};

static struct access pattern[NACC];
static struct entry table[MAX_BARS];
static unsigned ntable;
static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bdev_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    const struct vpci_identity id = { .vendor_id = 0x1af4,
                                      .device_id = 0x10f1,
                                      .class_code = 0xff0000 };
    int rc = vpci_dev_set_identity(dev, &id);
    for (unsigned b = 0; !rc && b < BARS_PER_FN; b++) {
        rc = vpci_bar_define(dev, b, VPCI_BAR_MEM32, BAR_SIZE, 0);
        if (!rc)
            rc = vpci_bar_set_ram(dev, b);
    }
    return rc;
}

static const struct vpci_model bdev_model = {
    .name = "bench-dev",
    .desc = "six 4 KiB RAM BARs",
    .init = bdev_init,
};

/* ---- the three methods (out of line, like calls into a library) ---- */

__attribute__((noinline)) static uint64_t read_direct(const struct access *a)
{
    uint64_t v = 0;
    vpci_bar_read(a->dev, a->bar, a->off, 4, &v);
    return v;
}

__attribute__((noinline)) static uint64_t read_mock(struct vpci_mock *m,
                                                    const struct access *a)
{
    return vpci_mock_read(m, a->addr, 4);
}

__attribute__((noinline)) static uint64_t read_linear(const struct access *a)
{
    for (unsigned i = 0; i < ntable; i++) {
        const struct entry *e = &table[i];
        if (a->addr >= e->start && a->addr <= e->end) {
            uint64_t v = 0;
            vpci_bar_read(e->dev, e->bar, a->addr - e->start, 4, &v);
            return v;
        }
    }
    return 0;
}

enum method { DIRECT, MOCK, LINEAR, NMETHODS };
static const char *const method_names[NMETHODS] = { "direct", "mock host",
                                                    "linear scan" };

/* ns per access and a checksum of the values read */
static double run(enum method meth, struct vpci_mock *m, uint64_t iters,
                  uint64_t *sum)
{
    uint64_t s = 0;
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < iters; i++) {
        const struct access *a = &pattern[i & (NACC - 1)];
        switch (meth) {
        case DIRECT: s += read_direct(a); break;
        case MOCK: s += read_mock(m, a); break;
        default: s += read_linear(a); break;
        }
    }
    uint64_t t1 = now_ns();
    sink = s;
    *sum = s;
    return (double)(t1 - t0) / (double)iters;
}

static uint32_t rng_state = 0x12345678u;
static uint32_t rng(void)
{
    /* xorshift32: a fixed sequence, so every run measures the same order */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Build a machine with @nbars mapped BARs filled with known values. */
static int build(unsigned nbars, uint64_t stride, struct vpci_mock **out,
                 struct vpci_dev **devs, FILE *log)
{
    struct vpci_mock_config cfg = { .machine = VPCI_MOCK_Q35, .log = log };
    struct vpci_mock *m;
    int rc = vpci_mock_new(&cfg, &m);
    if (rc)
        return rc;
    unsigned nfns = (nbars + BARS_PER_FN - 1) / BARS_PER_FN;
    ntable = 0;
    for (unsigned f = 0; f < nfns; f++) {
        char spec[32];
        struct vpci_mock_fn *fn;
        snprintf(spec, sizeof(spec), "addr=%02x.0", f + 1);
        if ((rc = vpci_mock_add_model(m, &bdev_model, spec, &fn))) {
            vpci_mock_free(m);
            return rc;
        }
        devs[f] = vpci_mock_fn_dev(fn);
        uint8_t devfn = vpci_mock_fn_devfn(fn);
        for (unsigned b = 0; b < BARS_PER_FN && ntable < nbars; b++) {
            uint64_t addr = WINDOW + (uint64_t)ntable * stride;
            vpci_mock_cfg_write(m, 0, devfn, PCI_BASE_ADDRESS_0 + 4 * b, 4,
                                (uint32_t)addr);
            table[ntable] = (struct entry){ addr, addr + BAR_SIZE - 1,
                                            devs[f], b };
            ntable++;
        }
        vpci_mock_cfg_write(m, 0, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    }
    /* known contents: each dword holds its own address */
    for (unsigned i = 0; i < ntable; i++)
        for (uint32_t off = 0; off < BAR_SIZE; off += 4)
            vpci_bar_write(table[i].dev, table[i].bar, off, 4,
                           (uint32_t)(table[i].start + off));
    *out = m;
    return 0;
}

static void make_pattern(bool runs)
{
    unsigned cur = 0;
    for (unsigned i = 0; i < NACC; i++) {
        if (!runs || i % RUN == 0)
            cur = rng() % ntable;
        const struct entry *e = &table[cur];
        uint64_t off = (rng() % (BAR_SIZE / 4)) * 4;
        pattern[i] = (struct access){ e->dev, e->bar, off, e->start + off };
    }
}

int main(int argc, char **argv)
{
    uint64_t iters = DEFAULT_ITERS;
    if (argc > 1) {
        char *end;
        iters = strtoull(argv[1], &end, 0);
        if (*end || !iters) {
            fprintf(stderr, "usage: %s [accesses per method]\n", argv[0]);
            return 2;
        }
    }
    FILE *log = fopen("/dev/null", "w");
    static const unsigned sizes[] = { 1, 8, 64 };
    static const char *const orders[] = { "random", "runs of 64",
                                          "random, 1 MiB" };
    int status = 0;

    printf("MMIO dword reads, best of %d x %" PRIu64 " per method "
           "(ns per access)\n", REPEATS, iters);
    printf("%5s  %-13s  %10s  %10s  %11s  %14s\n", "BARs", "pattern",
           "direct", "mock host", "linear scan", "mock - direct");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (int o = 0; o < 3; o++) {
            struct vpci_mock *m;
            struct vpci_dev *devs[MAX_BARS];
            int rc = build(sizes[s], o == 2 ? BAR_STRIDE_FAR : BAR_STRIDE,
                           &m, devs, log);
            if (rc) {
                fprintf(stderr, "bench_mmio_lookup: machine: %s\n",
                        strerror(-rc));
                return 1;
            }
            make_pattern(o == 1);
            double ns[NMETHODS];
            uint64_t sum[NMETHODS];
            /* warm up once (builds the lazy decode table), then measure */
            run(MOCK, m, NACC, &sum[MOCK]);
            for (int k = 0; k < NMETHODS; k++)
                ns[k] = 1e300;
            for (int r = 0; r < REPEATS; r++)
                for (int k = 0; k < NMETHODS; k++) {
                    double t = run((enum method)k, m, iters, &sum[k]);
                    if (t < ns[k])
                        ns[k] = t;
                }
            printf("%5u  %-13s  %10.1f  %10.1f  %11.1f  %14.1f\n", sizes[s],
                   orders[o], ns[DIRECT], ns[MOCK], ns[LINEAR],
                   ns[MOCK] - ns[DIRECT]);
            for (int k = 1; k < NMETHODS; k++)
                if (sum[k] != sum[DIRECT]) {
                    fprintf(stderr, "bench_mmio_lookup: %s read other "
                            "values than %s\n", method_names[k],
                            method_names[DIRECT]);
                    status = 1;
                }
            vpci_mock_free(m);
        }
    }
    if (log)
        fclose(log);
    return status;
}
