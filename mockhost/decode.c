/* SPDX-License-Identifier: MIT */
/*
 * Address decode: which agent answers a CPU access to memory or IO space,
 * and a device's DMA that is not RAM (mock_dma_mem(), below: the same
 * dispatch, as QEMU sends both through its memory core).
 *
 * Each space has a decode table: a sorted array of disjoint inclusive
 * ranges, each claimed by one target (RAM, ECAM, the MSI doorbell, the
 * virt IO window, the CF8/CFC ports, or one BAR of one function).  A
 * lookup first checks a last-hit cache: 256 direct-mapped slots indexed
 * by the 4 KiB page number, each holding the range last found in that
 * slot (for a stream of accesses to one BAR, the one-entry last-hit cache;
 * for accesses spread over up to a few hundred BARs, one load and two
 * compares).  On a miss it binary-searches the packed range starts
 * (branch-free) and refills the slot: O(log n) whatever the number of
 * BARs.  bench/bench_mmio_lookup.c measures it against a direct
 * vpci_bar_read() and a linear scan.  The table (and the cache) is
 * rebuilt lazily, on the first access after an effect changed routing (a
 * BAR mapped, moved or unmapped; a bridge's window or decode enable
 * changed; a function added).
 *
 * Building it (PCI-to-PCI Bridge Architecture 1.2, 4.2 and 4.3): the root
 * bus sees all of both spaces; a bridge forwards to its secondary bus the
 * part of what its own bus sees that lies in its windows, memory only
 * with COMMAND.MEMORY set (memory base/limit and prefetchable base/limit
 * with the upper 32 bits), IO only with COMMAND.IO (IO base/limit with
 * the upper 16 bits).  A mapped BAR claims the part of its range its bus
 * sees.  The ISA and VGA enable bits of Bridge Control are not modelled.
 *
 * Priorities: RAM, ECAM, the doorbell and the IO window (CF8/CFC in IO
 * space) always win over BARs, which are clipped around them, as QEMU
 * puts its PCI address space below RAM.  Where misprogrammed BARs overlap
 * each other, the one starting lower claims the overlap (then the one
 * found first, depth-first).
 *
 * An access that is not wholly inside one range (straddling the end of a
 * BAR, of RAM, ...) is split into single bytes, each decoded on its own,
 * as QEMU's memory core splits accesses at region boundaries.
 *
 * Unclaimed: IO ports read all ones (QEMU: unassigned_io_ops); memory
 * reads 0 (QEMU: unassigned memory), except inside the PCI windows of a
 * machine whose map sets windows_read_ones: virt's GPEX lays its 32-bit
 * and 64-bit MMIO windows and its IO window over unassigned_io_ops
 * regions, so there an address no BAR claims reads all ones (QEMU 7.2
 * virt: readl 0x20000000 = 0xffffffff, readl 0x3eff5000 the same).
 * Writes are dropped.
 */
#include "internal.h"
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define RSET_MAX 16
#define CF8_FIRST 0xCF8

/* A set of disjoint inclusive ranges: what a bus sees of a space. */
struct rset {
    unsigned n;
    struct { uint64_t lo, hi; } r[RSET_MAX];
};

static uint64_t ones(unsigned len)
{
    return len >= 8 ? UINT64_MAX : (1ull << (8 * len)) - 1;
}

static bool mem_len_ok(unsigned len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

static uint64_t le_load(const uint8_t *p, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void le_store(uint8_t *p, unsigned len, uint64_t v)
{
    for (unsigned i = 0; i < len; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static unsigned bulk_piece(uint64_t addr, size_t left);

/*
 * Every access to a BAR goes through these two, QEMU 7.2's re-entrancy
 * guard (access_with_adjusted_size(), from the 7.2.x stable releases
 * Debian ships): while a function's BAR handler runs, another access to
 * any of its BARs (its own DMA from inside the handler, or a peer's DMA
 * its handler caused that comes back to it) is refused: a read answers 0,
 * a write is dropped, and m->bar_blocked tells the DMA path, which turns
 * it into a DMA error as QEMU's MEMTX_ACCESS_ERROR.  Nesting is therefore
 * bounded by the number of functions.
 */
static uint64_t bar_read(struct vpci_mock *m, struct vpci_mock_fn *fn,
                         unsigned bar, uint64_t off, unsigned len)
{
    uint64_t v = 0;
    if (fn->in_io) {
        m->bar_blocked = true;
        return 0;
    }
    fn->in_io = true;
    vpci_bar_read(fn->dev, bar, off, len, &v);
    fn->in_io = false;
    return v;
}

static void bar_write(struct vpci_mock *m, struct vpci_mock_fn *fn,
                      unsigned bar, uint64_t off, unsigned len, uint64_t val)
{
    if (fn->in_io) {
        m->bar_blocked = true;
        return;
    }
    fn->in_io = true;
    vpci_bar_write(fn->dev, bar, off, len, val);
    fn->in_io = false;
}

/* ------------------------------------------------------------------ */
/* Building the tables                                                 */
/* ------------------------------------------------------------------ */

static void push_range(struct vpci_mock *m, struct mock_decoder *d,
                       const struct mock_range *r)
{
    struct mock_range *nr = mock_grow(d->r, &d->cap, d->n + 1, sizeof(*nr));
    if (!nr) {
        mock_log(m, VPCI_LOG_ERROR, "decode table: out of memory");
        return;
    }
    d->r = nr;
    d->r[d->n] = *r;
    d->r[d->n].prio = (unsigned)d->n;
    d->n++;
}

static void push_fixed(struct vpci_mock *m, struct mock_decoder *d,
                       uint64_t start, uint64_t size, enum mock_target type)
{
    if (!size)
        return;
    struct mock_range r = { .start = start, .end = start + size - 1,
                            .type = type };
    push_range(m, d, &r);
}

/* A BAR's piece [s, e], minus the fixed ranges from index @i on (fixed
 * ranges are the table's first @nfixed entries). */
static void push_bar_piece(struct vpci_mock *m, struct mock_decoder *d,
                           size_t nfixed, size_t i, uint64_t s, uint64_t e,
                           const struct mock_range *tmpl)
{
    for (; i < nfixed; i++) {
        const struct mock_range *f = &d->r[i];
        if (e < f->start || s > f->end)
            continue;
        uint64_t fs = f->start, fe = f->end;   /* d->r may move below */
        if (s < fs)
            push_bar_piece(m, d, nfixed, i + 1, s, fs - 1, tmpl);
        if (e > fe)
            push_bar_piece(m, d, nfixed, i + 1, fe + 1, e, tmpl);
        return;
    }
    struct mock_range r = *tmpl;
    r.start = s;
    r.end = e;
    push_range(m, d, &r);
}

static void rset_add(struct rset *set, uint64_t lo, uint64_t hi)
{
    if (set->n < RSET_MAX) {
        set->r[set->n].lo = lo;
        set->r[set->n].hi = hi;
        set->n++;
    }
}

/* out = in ∩ [lo, hi], appended. */
static void rset_clip(const struct rset *in, uint64_t lo, uint64_t hi,
                      struct rset *out)
{
    for (unsigned i = 0; i < in->n; i++) {
        uint64_t a = in->r[i].lo > lo ? in->r[i].lo : lo;
        uint64_t b = in->r[i].hi < hi ? in->r[i].hi : hi;
        if (a <= b)
            rset_add(out, a, b);
    }
}

static int range_cmp(const void *a, const void *b)
{
    const struct mock_range *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->prio < y->prio ? -1 : x->prio > y->prio;
}

/* Two windows of a bridge may overlap: sort and merge @set in place. */
static void rset_normalize(struct rset *set)
{
    for (unsigned i = 1; i < set->n; i++)
        for (unsigned j = i; j > 0 && set->r[j].lo < set->r[j - 1].lo; j--) {
            uint64_t lo = set->r[j].lo, hi = set->r[j].hi;
            set->r[j] = set->r[j - 1];
            set->r[j - 1].lo = lo;
            set->r[j - 1].hi = hi;
        }
    unsigned n = 0;
    for (unsigned i = 0; i < set->n; i++) {
        if (n && set->r[i].lo <= set->r[n - 1].hi) {
            if (set->r[i].hi > set->r[n - 1].hi)
                set->r[n - 1].hi = set->r[i].hi;
            continue;
        }
        set->r[n++] = set->r[i];
    }
    set->n = n;
}

/* What a bridge forwards from @mem / @io (seen on its primary bus). */
static void bridge_forwards(struct vpci_dev *br, const struct rset *mem,
                            const struct rset *io, struct rset *cmem,
                            struct rset *cio)
{
    memset(cmem, 0, sizeof(*cmem));
    memset(cio, 0, sizeof(*cio));
    uint32_t cmd = vpci_cfg_read(br, PCI_COMMAND, 2);
    if (cmd & PCI_COMMAND_IO) {
        uint32_t b = vpci_cfg_read(br, PCI_IO_BASE, 1);
        uint32_t l = vpci_cfg_read(br, PCI_IO_LIMIT, 1);
        uint64_t base = (uint64_t)(b & PCI_IO_RANGE_MASK) << 8;
        uint64_t limit = (uint64_t)(l & PCI_IO_RANGE_MASK) << 8 | 0xfff;
        if ((b & PCI_IO_RANGE_TYPE_MASK) == PCI_IO_RANGE_TYPE_32) {
            base |= (uint64_t)vpci_cfg_read(br, PCI_IO_BASE_UPPER16, 2) << 16;
            limit |= (uint64_t)vpci_cfg_read(br, PCI_IO_LIMIT_UPPER16, 2)
                     << 16;
        }
        if (base <= limit)
            rset_clip(io, base, limit, cio);
    }
    if (cmd & PCI_COMMAND_MEMORY) {
        uint32_t b = vpci_cfg_read(br, PCI_MEMORY_BASE, 2);
        uint32_t l = vpci_cfg_read(br, PCI_MEMORY_LIMIT, 2);
        uint64_t base = (uint64_t)(b & PCI_MEMORY_RANGE_MASK) << 16;
        uint64_t limit = (uint64_t)(l & PCI_MEMORY_RANGE_MASK) << 16 | 0xfffff;
        if (base <= limit)
            rset_clip(mem, base, limit, cmem);
        b = vpci_cfg_read(br, PCI_PREF_MEMORY_BASE, 2);
        l = vpci_cfg_read(br, PCI_PREF_MEMORY_LIMIT, 2);
        base = (uint64_t)(b & PCI_PREF_RANGE_MASK) << 16;
        limit = (uint64_t)(l & PCI_PREF_RANGE_MASK) << 16 | 0xfffff;
        if ((b & PCI_PREF_RANGE_TYPE_MASK) == PCI_PREF_RANGE_TYPE_64) {
            base |= (uint64_t)vpci_cfg_read(br, PCI_PREF_BASE_UPPER32, 4)
                    << 32;
            limit |= (uint64_t)vpci_cfg_read(br, PCI_PREF_LIMIT_UPPER32, 4)
                     << 32;
        }
        if (base <= limit)
            rset_clip(mem, base, limit, cmem);
        rset_normalize(cmem);
    }
}

static void walk_bus(struct vpci_mock *m, struct mock_bus *bus,
                     const struct rset *mem, const struct rset *io,
                     size_t mem_fixed, size_t io_fixed)
{
    for (unsigned i = 0; i < 256; i++) {
        struct vpci_mock_fn *fn = bus->fns[i];
        if (!fn)
            continue;
        for (unsigned bar = 0; bar < MOCK_ARRAY_SIZE(fn->bars); bar++) {
            const struct mock_bar_map *b = &fn->bars[bar];
            if (!b->mapped || !b->size)
                continue;
            bool is_io = b->kind == VPCI_BAR_IO;
            const struct rset *seen = is_io ? io : mem;
            struct mock_decoder *d = is_io ? &m->io : &m->mem;
            size_t nfixed = is_io ? io_fixed : mem_fixed;
            struct mock_range tmpl = { .type = MOCK_T_BAR, .base = b->addr,
                                       .fn = fn, .bar = bar };
            uint64_t last = b->addr + (b->size - 1);
            if (last < b->addr)
                last = UINT64_MAX;
            struct rset part = { 0 };
            rset_clip(seen, b->addr, last, &part);
            for (unsigned k = 0; k < part.n; k++)
                push_bar_piece(m, d, nfixed, 0, part.r[k].lo, part.r[k].hi,
                               &tmpl);
        }
        if (fn->secondary) {
            struct rset cmem, cio;
            bridge_forwards(fn->dev, mem, io, &cmem, &cio);
            walk_bus(m, fn->secondary, &cmem, &cio, mem_fixed, io_fixed);
        }
    }
}

/* Sort, then clip overlaps (the earlier entry keeps the overlap); pack
 * the starts for the search. */
static void finish(struct vpci_mock *m, struct mock_decoder *d)
{
    if (d->n > 1)
        qsort(d->r, d->n, sizeof(*d->r), range_cmp);
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        struct mock_range r = d->r[i];
        if (n) {
            uint64_t prev_end = d->r[n - 1].end;
            if (r.end <= prev_end)
                continue;       /* wholly covered */
            if (r.start <= prev_end)
                r.start = prev_end + 1;
        }
        d->r[n++] = r;
    }
    d->n = n;
    memset(d->hit, 0, sizeof(d->hit));
    uint64_t *starts = mock_grow(d->starts, &d->starts_cap, n ? n : 1,
                                 sizeof(*starts));
    if (!starts) {
        mock_log(m, VPCI_LOG_ERROR, "decode table: out of memory");
        d->n = 0;
        return;
    }
    d->starts = starts;
    for (size_t i = 0; i < n; i++)
        starts[i] = d->r[i].start;
}

static void decode_rebuild(struct vpci_mock *m)
{
    const struct vpci_mock_map *map = &m->map;
    m->mem.n = m->io.n = 0;
    push_fixed(m, &m->mem, map->ram_lo_base, map->ram_lo_size, MOCK_T_RAM);
    push_fixed(m, &m->mem, map->ram_hi_base, map->ram_hi_size, MOCK_T_RAM);
    push_fixed(m, &m->mem, map->ecam_base, map->ecam_size, MOCK_T_ECAM);
    push_fixed(m, &m->mem, map->msi_base, map->msi_size, MOCK_T_MSI);
    if (map->io_cpu_base)
        push_fixed(m, &m->mem, map->io_cpu_base, map->io_size, MOCK_T_IOWIN);
    if (map->has_cf8) {
        /* two registers: an access straddling them is split as any */
        push_fixed(m, &m->io, CF8_FIRST, 4, MOCK_T_CF8);
        push_fixed(m, &m->io, CF8_FIRST + 4, 4, MOCK_T_CF8);
    }
    struct rset all = { .n = 1, .r = { { 0, UINT64_MAX } } };
    walk_bus(m, m->root, &all, &all, m->mem.n, m->io.n);
    finish(m, &m->mem);
    finish(m, &m->io);
    m->decode_dirty = false;
}

void mock_decode_free(struct vpci_mock *m)
{
    free(m->mem.r);
    free(m->io.r);
    free(m->mem.starts);
    free(m->io.starts);
    memset(&m->mem, 0, sizeof(m->mem));
    memset(&m->io, 0, sizeof(m->io));
}

/*
 * The range holding @addr, or NULL with *gap_end = the last address
 * before the next range (the end of the unclaimed hole).  The search is
 * branch-free over the packed starts (the random-address case would
 * otherwise mispredict at every step): it narrows [lo, lo + n) keeping
 * starts[lo] <= addr.
 */
static inline const struct mock_range *lookup(struct mock_decoder *d,
                                              uint64_t addr,
                                              uint64_t *gap_end)
{
    uint32_t *slot = &d->hit[(addr >> 12) % MOCK_HIT_SLOTS];
    if (*slot) {
        const struct mock_range *r = &d->r[*slot - 1];
        if (addr >= r->start && addr <= r->end)
            return r;
    }
    if (!d->n || addr < d->starts[0]) {
        *gap_end = d->n ? d->starts[0] - 1 : UINT64_MAX;
        return NULL;
    }
    const uint64_t *starts = d->starts;
    size_t lo = 0, n = d->n;
    while (n > 1) {
        size_t half = n / 2;
        lo = starts[lo + half] <= addr ? lo + half : lo;
        n -= half;
    }
    if (addr <= d->r[lo].end) {
        *slot = (uint32_t)lo + 1;
        return &d->r[lo];
    }
    *gap_end = lo + 1 < d->n ? starts[lo + 1] - 1 : UINT64_MAX;
    return NULL;
}

static inline const struct mock_range *decode(struct vpci_mock *m,
                                              struct mock_decoder *d,
                                              uint64_t addr, unsigned len,
                                              bool *split)
{
    if (m->decode_dirty)
        decode_rebuild(m);
    uint64_t end = 0;
    const struct mock_range *r = lookup(d, addr, &end);
    if (r)
        end = r->end;
    *split = len - 1 > end - addr;
    return r;
}

/* ------------------------------------------------------------------ */
/* IO space                                                            */
/* ------------------------------------------------------------------ */

/* @unclaimed: what a read nothing answers returns (in: all ones; the
 * IO window in memory: see windows_read_ones). */
static uint64_t io_read(struct vpci_mock *m, uint64_t port, unsigned len,
                        uint64_t unclaimed)
{
    bool split;
    const struct mock_range *r = decode(m, &m->io, port, len, &split);
    if (split) {
        uint64_t v = 0;
        for (unsigned i = 0; i < len; i++)
            v |= io_read(m, port + i, 1, unclaimed & 0xff) << (8 * i);
        return v;
    }
    if (!r)
        return unclaimed & ones(len);
    if (r->type == MOCK_T_CF8)
        return mock_cf8_in(m, (uint16_t)port, len);
    return bar_read(m, r->fn, r->bar, port - r->base, len);
}

static void io_write(struct vpci_mock *m, uint64_t port, unsigned len,
                     uint64_t val)
{
    bool split;
    const struct mock_range *r = decode(m, &m->io, port, len, &split);
    if (split) {
        for (unsigned i = 0; i < len; i++)
            io_write(m, port + i, 1, val >> (8 * i));
        return;
    }
    if (!r)
        return;
    if (r->type == MOCK_T_CF8)
        mock_cf8_out(m, (uint16_t)port, len, (uint32_t)val);
    else
        bar_write(m, r->fn, r->bar, port - r->base, len, val);
}

uint32_t vpci_mock_in(struct vpci_mock *m, uint16_t port, unsigned len)
{
    if (!m)
        return 0xffffffffu;
    if (len != 1 && len != 2 && len != 4) {
        mock_log(m, VPCI_LOG_WARN, "in of %u bytes at 0x%x: 1, 2 or 4", len,
                 port);
        return 0xffffffffu;
    }
    return (uint32_t)io_read(m, port, len, UINT64_MAX);
}

void vpci_mock_out(struct vpci_mock *m, uint16_t port, unsigned len,
                   uint32_t val)
{
    if (!m)
        return;
    if (len != 1 && len != 2 && len != 4) {
        mock_log(m, VPCI_LOG_WARN, "out of %u bytes at 0x%x: 1, 2 or 4: "
                 "ignored", len, port);
        return;
    }
    io_write(m, port, len, val & ones(len));
}

/* ------------------------------------------------------------------ */
/* Memory space                                                        */
/* ------------------------------------------------------------------ */

/* Inside a PCI window that reads all ones when unclaimed (see the top). */
static bool in_read_ones_window(const struct vpci_mock *m, uint64_t addr)
{
    const struct vpci_mock_map *map = &m->map;
    return map->windows_read_ones &&
           (addr - map->mmio32_base < map->mmio32_size ||
            addr - map->mmio64_base < map->mmio64_size);
}

/* What a read of unclaimed memory at @addr returns (see the top). */
static uint64_t mem_unclaimed(const struct vpci_mock *m, uint64_t addr,
                              unsigned len)
{
    return in_read_ones_window(m, addr) ? ones(len) : 0;
}

static uint64_t mem_read(struct vpci_mock *m, uint64_t addr, unsigned len)
{
    uint8_t *p = mock_ram_ptr(m, addr, len);
    if (p)
        return le_load(p, len);
    bool split;
    const struct mock_range *r = decode(m, &m->mem, addr, len, &split);
    if (split) {
        uint64_t v = 0;
        for (unsigned i = 0; i < len; i++)
            v |= mem_read(m, addr + i, 1) << (8 * i);
        return v;
    }
    if (!r)
        return mem_unclaimed(m, addr, len);
    switch (r->type) {
    case MOCK_T_BAR:
        return bar_read(m, r->fn, r->bar, addr - r->base, len);
    case MOCK_T_ECAM:
        return mock_ecam_read(m, addr - r->start, len);
    case MOCK_T_IOWIN:
        return io_read(m, addr - r->start, len,
                       m->map.windows_read_ones ? UINT64_MAX : 0);
    case MOCK_T_MSI:
        return mock_doorbell_read(m, addr - r->start, len);
    default:        /* RAM took the fast path */
        return 0;
    }
}

static void mem_write(struct vpci_mock *m, uint64_t addr, unsigned len,
                      uint64_t val)
{
    uint8_t *p = mock_ram_ptr(m, addr, len);
    if (p) {
        le_store(p, len, val);
        return;
    }
    bool split;
    const struct mock_range *r = decode(m, &m->mem, addr, len, &split);
    if (split) {
        for (unsigned i = 0; i < len; i++)
            mem_write(m, addr + i, 1, val >> (8 * i));
        return;
    }
    if (!r)
        return;
    switch (r->type) {
    case MOCK_T_BAR:
        bar_write(m, r->fn, r->bar, addr - r->base, len, val);
        break;
    case MOCK_T_ECAM:
        mock_ecam_write(m, addr - r->start, len, val);
        break;
    case MOCK_T_IOWIN:
        io_write(m, addr - r->start, len, val);
        break;
    case MOCK_T_MSI:
        /* q35: dropped (no CPU to interrupt); virt: the GICv2m takes a
         * CPU's SETSPI as a device's.  Neither is an MSI event. */
        if (m->log_level >= VPCI_LOG_TRACE)
            mock_log(m, VPCI_LOG_TRACE, "CPU write to the MSI doorbell "
                     "0x%llx: no MSI event", (unsigned long long)addr);
        mock_doorbell_write(m, addr - r->start, len, val);
        break;
    default:
        break;
    }
}

/*
 * Device DMA that missed RAM (mockhost.c's host_dma_rw, after the IOMMU):
 * the request goes into memory space as QEMU's pci_dma_rw() does on the
 * bus-master address space, whose root is system memory.  It is cut at
 * every range boundary (flatview_translate()) and each range's part into
 * naturally aligned pieces no wider than the target accepts
 * (memory_access_size(): the adapter's BAR ops say valid.max_access_size
 * 8; ECAM, the doorbell and virt's unassigned_io_ops windows take at most
 * 4), then each piece goes through mem_read()/mem_write(), the CPU path:
 *
 *   - a BAR (this function's own or any other's): an MMIO access to it,
 *     peer to peer;
 *   - the MSI doorbell: a 4-byte write is an MSI from @rid (recorded as
 *     mock_msi_send() records it; on virt the GICv2m pulses its SPI as for
 *     any write there); reads and other widths as a CPU's;
 *   - unclaimed inside a PCI window of a windows_read_ones machine (virt's
 *     GPEX): reads all ones, writes dropped, success;
 *   - unclaimed anywhere else: QEMU's MEMTX_DECODE_ERROR, -EFAULT.  As in
 *     QEMU's flatview_{read,write}_continue(), the other pieces are still
 *     carried out and the result is the error.
 *
 * Re-entrancy: a piece into a BAR runs the model's callback, which may
 * start DMA into a BAR again (its own: without a guard a loop, recursing
 * until the stack overflows, as upstream QEMU 7.2.0 would).  QEMU's 7.2.x
 * stable releases (Debian 12's included, the reference of the qtest
 * comparison) refuse an access to a function's BARs while one of its
 * BAR handlers runs: bar_read()/bar_write() above do the same, and a
 * piece they refuse makes the DMA fail (-EFAULT), the other pieces still
 * carried out.  DMA from a timer into the function's own BARs, or from
 * one function's handler into another's idle BARs, is not re-entry and
 * goes through; a cycle back into a busy function is refused, so nesting
 * never exceeds the number of functions.
 */
int mock_dma_mem(struct vpci_mock *m, uint16_t rid, uint64_t addr,
                 uint8_t *buf, size_t len, bool write)
{
    int rc = 0;
    for (size_t i = 0, n; i < len; i += n) {
        uint64_t a = addr + i;
        if (m->decode_dirty)        /* a callback may have moved a BAR */
            decode_rebuild(m);
        uint64_t end = 0;
        const struct mock_range *r = lookup(&m->mem, a, &end);
        if (r)
            end = r->end;
        size_t left = len - i;
        if (end - a < left - 1)
            left = (size_t)(end - a) + 1;
        n = bulk_piece(a, left);
        if (n > 4 && !(r && r->type == MOCK_T_BAR))
            n = 4;
        if (!r && !in_read_ones_window(m, a)) {
            rc = -EFAULT;
            continue;
        }
        /* saved: a nested DMA inside this piece's handler clears it */
        bool outer_blocked = m->bar_blocked;
        m->bar_blocked = false;
        if (!write) {
            uint64_t v = mem_read(m, a, (unsigned)n);
            le_store(buf + i, (unsigned)n, v);
        } else {
            uint64_t v = le_load(buf + i, (unsigned)n);
            if (r && r->type == MOCK_T_MSI && n == 4)
                mock_msi_dma_write(m, rid, a, (uint32_t)v);
            else
                mem_write(m, a, (unsigned)n, v);
        }
        if (m->bar_blocked) {
            mock_log(m, VPCI_LOG_WARN, "DMA %s at 0x%llx from %04x: "
                     "re-entrant access to a BAR whose handler is running: "
                     "blocked", write ? "write" : "read",
                     (unsigned long long)a, rid);
            rc = -EFAULT;
        }
        m->bar_blocked = outer_blocked;
    }
    return rc;
}

uint64_t vpci_mock_read(struct vpci_mock *m, uint64_t addr, unsigned len)
{
    if (!m)
        return UINT64_MAX;
    if (!mem_len_ok(len)) {
        mock_log(m, VPCI_LOG_WARN, "read of %u bytes at 0x%llx: 1, 2, 4 or "
                 "8", len, (unsigned long long)addr);
        return UINT64_MAX;
    }
    return mem_read(m, addr, len);
}

void vpci_mock_write(struct vpci_mock *m, uint64_t addr, unsigned len,
                     uint64_t val)
{
    if (!m)
        return;
    if (!mem_len_ok(len)) {
        mock_log(m, VPCI_LOG_WARN, "write of %u bytes at 0x%llx: 1, 2, 4 or "
                 "8: ignored", len, (unsigned long long)addr);
        return;
    }
    mem_write(m, addr, len, val & ones(len));
}

/*
 * Outside RAM a bulk access goes out as a CPU's (and QEMU's
 * address_space_rw()) would: in naturally aligned pieces of at most 8
 * bytes, each the largest that fits what is left.  A device then sees the
 * widths it would see from a guest's memcpy, not a stream of bytes.
 */
static unsigned bulk_piece(uint64_t addr, size_t left)
{
    unsigned n = 8;
    while (n > left || (addr & (n - 1)))
        n /= 2;
    return n;
}

void vpci_mock_memread(struct vpci_mock *m, uint64_t addr, void *buf,
                       size_t len)
{
    if (!m || (!buf && len))
        return;
    uint8_t *out = buf;
    uint8_t *p = mock_ram_ptr(m, addr, len);
    if (p) {
        memcpy(out, p, len);
        return;
    }
    for (size_t i = 0, n; i < len; i += n) {
        n = bulk_piece(addr + i, len - i);
        uint64_t v = mem_read(m, addr + i, (unsigned)n);
        for (size_t b = 0; b < n; b++)
            out[i + b] = (uint8_t)(v >> (8 * b));
    }
}

void vpci_mock_memwrite(struct vpci_mock *m, uint64_t addr, const void *buf,
                        size_t len)
{
    if (!m || (!buf && len))
        return;
    const uint8_t *in = buf;
    uint8_t *p = mock_ram_ptr(m, addr, len);
    if (p) {
        memcpy(p, in, len);
        return;
    }
    for (size_t i = 0, n; i < len; i += n) {
        n = bulk_piece(addr + i, len - i);
        uint64_t v = 0;
        for (size_t b = 0; b < n; b++)
            v |= (uint64_t)in[i + b] << (8 * b);
        mem_write(m, addr + i, (unsigned)n, v);
    }
}
