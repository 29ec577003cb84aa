/* SPDX-License-Identifier: MIT */
/*
 * How fast is a guest register access through a register file?
 *
 * A realistic table of 64 dword registers (48 in a block at 0x000, 16 in a
 * queue block at 0x200: span 0x400, holes in between) is accessed by
 * dword reads and writes, once per method, in the same run, in two
 * orders: a fixed pseudo-random one (what branch predictors hate) and a
 * sweep in offset order (what they love):
 *
 *   switch (baseline)   what a hand-written model does: a switch on offset
 *   direct table        offset -> index through one uint16_t per byte
 *                       (what libvpci/regfile.c does for small spans)
 *   uthash              offset -> register through a uthash table
 *   binary search       over the offsets sorted at attach
 *   vpci_regfile_*      the library itself, with every rule (widths,
 *                       access kinds, split/merge, stats, trace check)
 *
 * The three lookup strategies store and load the same values as the
 * library, so the cost differences are the lookups.  The helpers are kept
 * out of line, like the library's calls into libvpci.a, so inlining does
 * not decide the race.  Figures are printed, never judged: the program
 * fails only when a method's register values disagree with the others.
 *
 * usage: bench_regfile [accesses per method]   (default 2000000)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include <vpci/vpci.h>

#define NREGS 64
#define SPAN 0x400u
#define NOFFS 4096u          /* length of the access pattern (power of 2) */
#define DEFAULT_ITERS 2000000ull

/* Register i's offset: 48 at 0x000.., 16 at 0x200.. */
#define OFF(i) ((i) < 48 ? (i) * 4u : 0x200u + ((i) - 48) * 4u)

static uint32_t offs[NOFFS];          /* the access pattern being run */
static uint32_t pattern_random[NOFFS], pattern_sweep[NOFFS];
static volatile uint64_t sink;        /* keeps reads alive */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- baseline: a switch, as a hand-written model would have ---- */

static uint32_t sw_val[NREGS];

#define SW_RCASE(i) case OFF(i): return sw_val[i];
#define SW_WCASE(i) case OFF(i): sw_val[i] = val; return;
#define X4(X, i) X(i) X((i) + 1) X((i) + 2) X((i) + 3)
#define X16(X, i) X4(X, i) X4(X, (i) + 4) X4(X, (i) + 8) X4(X, (i) + 12)
#define X64(X) X16(X, 0) X16(X, 16) X16(X, 32) X16(X, 48)

__attribute__((noinline)) static uint32_t sw_read(uint32_t off)
{
    switch (off) {
    X64(SW_RCASE)
    default:
        return 0;
    }
}

__attribute__((noinline)) static void sw_write(uint32_t off, uint32_t val)
{
    switch (off) {
    X64(SW_WCASE)
    default:
        return;
    }
}

/* ---- lookup strategies over the same table ---- */

struct reg {
    uint32_t offset;
    uint32_t value;
    UT_hash_handle hh;
};

static struct reg regs_dt[NREGS], regs_uh[NREGS], regs_bs[NREGS];

/* direct table: index + 1 per byte, 0 = hole */
static uint16_t dt_table[SPAN];

__attribute__((noinline)) static uint32_t dt_read(uint32_t off)
{
    unsigned i = off < SPAN ? dt_table[off] : 0;
    return i ? regs_dt[i - 1].value : 0;
}

__attribute__((noinline)) static void dt_write(uint32_t off, uint32_t val)
{
    unsigned i = off < SPAN ? dt_table[off] : 0;
    if (i)
        regs_dt[i - 1].value = val;
}

/* uthash keyed by the register's offset */
static struct reg *uh_head;

__attribute__((noinline)) static uint32_t uh_read(uint32_t off)
{
    struct reg *r;
    HASH_FIND(hh, uh_head, &off, sizeof(off), r);
    return r ? r->value : 0;
}

__attribute__((noinline)) static void uh_write(uint32_t off, uint32_t val)
{
    struct reg *r;
    HASH_FIND(hh, uh_head, &off, sizeof(off), r);
    if (r)
        r->value = val;
}

/* binary search over offsets sorted ascending (regs_bs is built sorted) */
static struct reg *bs_find(uint32_t off)
{
    size_t lo = 0, hi = NREGS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (regs_bs[mid].offset <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || off >= regs_bs[lo - 1].offset + 4)
        return NULL;
    return &regs_bs[lo - 1];
}

__attribute__((noinline)) static uint32_t bs_read(uint32_t off)
{
    struct reg *r = bs_find(off);
    return r ? r->value : 0;
}

__attribute__((noinline)) static void bs_write(uint32_t off, uint32_t val)
{
    struct reg *r = bs_find(off);
    if (r)
        r->value = val;
}

/* ---- the library ---- */

static char reg_names[NREGS][8];
static struct vpci_reg lib_regs[NREGS];
static const struct vpci_regfile_desc lib_desc = {
    .name = "bench.mmio",
    .regs = lib_regs,
    .nregs = NREGS,
    .size = SPAN,
};
static struct vpci_regfile *lib_rf;

static int bench_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0xbe4c, .class_code = 0xff0000,
    };
    int rc = vpci_dev_set_identity(dev, &id);
    if (!rc)
        rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
    if (!rc)
        rc = vpci_regfile_attach(dev, 0, 0, &lib_desc, NULL, &lib_rf);
    return rc;
}

static const struct vpci_model bench_model = {
    .name = "bench-regfile",
    .desc = "register file benchmark",
    .init = bench_init,
};

__attribute__((noinline)) static uint32_t lib_read(uint32_t off)
{
    return (uint32_t)vpci_regfile_read(lib_rf, off, 4);
}

__attribute__((noinline)) static void lib_write(uint32_t off, uint32_t val)
{
    vpci_regfile_write(lib_rf, off, 4, val);
}

/* ---- the race ---- */

#define NPATTERNS 2
static const char *const pattern_names[NPATTERNS] = { "random", "sweep" };

struct method {
    const char *name;
    uint32_t (*read)(uint32_t off);
    void (*write)(uint32_t off, uint32_t val);
    uint32_t (*value)(unsigned i);   /* register i's stored value */
    bool lookup;                     /* one of the lookup strategies */
    double read_ns[NPATTERNS], write_ns[NPATTERNS];
};

static double total_ns(const struct method *m)
{
    double t = 0;
    for (unsigned p = 0; p < NPATTERNS; p++)
        t += m->read_ns[p] + m->write_ns[p];
    return t;
}

static uint32_t sw_value(unsigned i) { return sw_val[i]; }
static uint32_t dt_value(unsigned i) { return regs_dt[i].value; }
static uint32_t uh_value(unsigned i) { return regs_uh[i].value; }
static uint32_t bs_value(unsigned i) { return regs_bs[i].value; }
static uint32_t lib_value(unsigned i)
{
    return (uint32_t)vpci_reg_get(lib_rf, OFF(i));
}

static void run(struct method *m, unsigned pattern, uint64_t iters)
{
    uint64_t sum = 0;

    /* warm up caches and predictors on one pass of the pattern */
    for (unsigned i = 0; i < NOFFS; i++)
        sum += m->read(offs[i]);

    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < iters; i++)
        m->write(offs[i & (NOFFS - 1)], (uint32_t)i);
    uint64_t t1 = now_ns();
    for (uint64_t i = 0; i < iters; i++)
        sum += m->read(offs[i & (NOFFS - 1)]);
    uint64_t t2 = now_ns();

    sink = sum;
    m->write_ns[pattern] = (double)(t1 - t0) / (double)iters;
    m->read_ns[pattern] = (double)(t2 - t1) / (double)iters;
}

static void build_tables(void)
{
    for (unsigned i = 0; i < NREGS; i++) {
        uint32_t off = OFF(i);
        regs_dt[i] = (struct reg){ .offset = off };
        regs_uh[i] = (struct reg){ .offset = off };
        regs_bs[i] = (struct reg){ .offset = off };   /* OFF() ascends */
        for (unsigned b = 0; b < 4; b++)
            dt_table[off + b] = (uint16_t)(i + 1);
        HASH_ADD(hh, uh_head, offset, sizeof(uint32_t), &regs_uh[i]);

        snprintf(reg_names[i], sizeof(reg_names[i]), "R%02u", i);
        lib_regs[i] = (struct vpci_reg){
            .offset = off, .width = 4, .name = reg_names[i],
            .access = VPCI_RW,
        };
    }
    /* a fixed xorshift order over the registers, and a sweep */
    uint32_t x = 0x2545f491;
    for (unsigned i = 0; i < NOFFS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pattern_random[i] = OFF(x % NREGS);
        pattern_sweep[i] = OFF(i % NREGS);
    }
}

int main(int argc, char **argv)
{
    uint64_t iters = DEFAULT_ITERS;
    if (argc > 1) {
        char *end;
        errno = 0;
        iters = strtoull(argv[1], &end, 0);
        if (errno || *end || iters == 0) {
            fprintf(stderr, "usage: %s [accesses per method]\n", argv[0]);
            return 2;
        }
    }

    build_tables();
    struct vpci_dev *dev;
    int rc = vpci_dev_create(&bench_model, NULL, NULL, NULL, &dev);
    if (rc) {
        fprintf(stderr, "bench_regfile: vpci_dev_create: %s\n",
                strerror(-rc));
        return 1;
    }

    struct method methods[] = {
        { .name = "switch (baseline)", .read = sw_read, .write = sw_write,
          .value = sw_value },
        { .name = "direct table", .read = dt_read, .write = dt_write,
          .value = dt_value, .lookup = true },
        { .name = "uthash", .read = uh_read, .write = uh_write,
          .value = uh_value, .lookup = true },
        { .name = "binary search", .read = bs_read, .write = bs_write,
          .value = bs_value, .lookup = true },
        { .name = "vpci_regfile_read/write", .read = lib_read,
          .write = lib_write, .value = lib_value },
    };
    const unsigned nm = sizeof(methods) / sizeof(methods[0]);

    for (unsigned p = 0; p < NPATTERNS; p++) {
        memcpy(offs, p ? pattern_sweep : pattern_random, sizeof(offs));
        for (unsigned k = 0; k < nm; k++)
            run(&methods[k], p, iters);
    }

    /* every method saw the same writes: the values must agree */
    bool ok = true;
    for (unsigned k = 1; k < nm; k++)
        for (unsigned i = 0; i < NREGS; i++)
            if (methods[k].value(i) != methods[0].value(i)) {
                fprintf(stderr, "bench_regfile: %s: register 0x%03x = 0x%x, "
                        "baseline 0x%x\n", methods[k].name, OFF(i),
                        methods[k].value(i), methods[0].value(i));
                ok = false;
            }
    struct vpci_regfile_stats st;
    vpci_regfile_get_stats(lib_rf, &st);
    if (st.reads != NPATTERNS * (iters + NOFFS) ||
        st.writes != NPATTERNS * iters || st.rejected ||
        st.hole_reads || st.hole_writes) {
        fprintf(stderr, "bench_regfile: unexpected library stats\n");
        ok = false;
    }

    printf("register file access: %u dword registers (48 at 0x000, 16 at "
           "0x200, span 0x%x),\n%" PRIu64 " dword reads and as many writes "
           "per method and order; ns per access\n\n", NREGS, SPAN, iters);
    printf("%-26s", "method");
    for (unsigned p = 0; p < NPATTERNS; p++) {
        char rd[24], wr[24];
        snprintf(rd, sizeof(rd), "%s read", pattern_names[p]);
        snprintf(wr, sizeof(wr), "%s write", pattern_names[p]);
        printf(" %12s %12s", rd, wr);
    }
    printf("\n");
    const struct method *win = NULL;
    for (unsigned k = 0; k < nm; k++) {
        const struct method *m = &methods[k];
        printf("%-26s", m->name);
        for (unsigned p = 0; p < NPATTERNS; p++)
            printf(" %12.2f %12.2f", m->read_ns[p], m->write_ns[p]);
        printf("\n");
        if (m->lookup && (!win || total_ns(m) < total_ns(win)))
            win = m;
    }
    printf("\nlookup winner: %s (sum of its four figures %.2f ns; uthash "
           "%.2f, binary search %.2f)\n", win->name, total_ns(win),
           total_ns(&methods[2]), total_ns(&methods[3]));
    const struct method *lib = &methods[nm - 1], *base = &methods[0];
    printf("library (every rule, stats) vs switch baseline: %+.2f ns per "
           "access on average\n",
           (total_ns(lib) - total_ns(base)) / (2 * NPATTERNS));

    HASH_CLEAR(hh, uh_head);
    vpci_dev_destroy(dev);
    if (!ok) {
        fprintf(stderr, "bench_regfile: FAILED (functional mismatch)\n");
        return 1;
    }
    return 0;
}
