/* SPDX-License-Identifier: MIT */
/*
 * Firmware: enumerate the machine's PCI hierarchy and assign resources the
 * way firmware and Linux do, through config cycles only.
 *
 *   1. Scan (Linux pci_scan_child_bus / pci_scan_bridge): a bus's devices
 *      0..31, function 0 first (vendor 0xFFFF: no device), functions 1..7
 *      only when function 0's header type has bit 7 set.  Bridges on a bus
 *      first have their bus numbers cleared (no two bridges may claim
 *      overlapping stale ranges while we renumber), then each in turn gets
 *      primary = this bus, secondary = next free number, subordinate = 0xFF
 *      while its bus is scanned depth first, and finally subordinate = the
 *      last number used below it.
 *   2. Size (Linux __pci_read_base): with COMMAND.IO/MEM cleared, each BAR
 *      is written all ones, read back and given its original value again;
 *      64-bit BARs both halves; the ROM with 0xFFFFF800 (enable clear).
 *      Bridge windows are probed as pci_bridge_check_ranges() does.
 *   3. Allocate (Linux pbus_size_* then pbus_assign_resources): bottom up,
 *      each bridge window holds its children, packed by decreasing
 *      alignment, rounded to 1 MiB (memory) or 4 KiB (IO), aligned to its
 *      largest member.  Then the root bus places its members in the
 *      machine's windows: IO in the IO window; non-prefetchable memory,
 *      ROMs and 32-bit prefetchable BARs below 4 GiB; 64-bit prefetchable
 *      resources below 4 GiB too unless the 32-bit window cannot hold
 *      everything, in which case the largest of them move to the 64-bit
 *      window until the rest fits (SeaBIOS's policy, done one at a time).
 *      Behind a bridge with a 64-bit prefetchable window, only 64-bit
 *      prefetchable BARs go in it; 32-bit prefetchable ones share the
 *      non-prefetchable window (Linux does the same).
 *   4. Program only if everything fit: decode off everywhere, BARs, ROMs
 *      (enable left clear), bridge windows (empty ones as base > limit),
 *      INTERRUPT_LINE, then COMMAND: IO / MEM where the function has such
 *      resources (always on bridges) and MASTER on every function.
 *   5. Otherwise each resource that did not fit is logged as an error
 *      naming its function, and the bus numbers are put back to what they
 *      were; BARs and windows were never touched (sizing restored them), so
 *      the machine is exactly as before the call: -ENOSPC.
 *
 * Config cycles go through one of three mechanisms, chosen by
 * mock_enumerate_via(): vpci_mock_cfg_read/write (default), the CF8/CFC
 * ports or the ECAM window, so tests can show all three see the same
 * machine.
 */
#include "internal.h"

#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define MEM_WINDOW_GRAN MIB      /* bridge memory windows: 1 MiB units */
#define IO_WINDOW_GRAN (4 * KIB) /* bridge IO windows: 4 KiB units */
#define IO_MIN 0x1000ull         /* PCIBIOS_MIN_IO: keep clear of legacy IO */


/* ------------------------------------------------------------------ */
/* Config access mechanisms                                            */
/* ------------------------------------------------------------------ */

struct cfg_mech {
    const char *name;
    uint32_t (*read)(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                     unsigned off, unsigned len);
    void (*write)(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                  unsigned off, unsigned len, uint32_t val);
};

static uint32_t direct_read(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                            unsigned off, unsigned len)
{
    return vpci_mock_cfg_read(m, bus, devfn, off, len);
}

static void direct_write(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                         unsigned off, unsigned len, uint32_t val)
{
    vpci_mock_cfg_write(m, bus, devfn, off, len, val);
}

/* Configuration mechanism #1: address to 0xCF8, data at 0xCFC + (off & 3). */
static void cf8_select(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                       unsigned off)
{
    vpci_mock_out(m, 0xCF8, 4,
                  0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 |
                      (off & 0xFCu));
}

static uint32_t cf8_read(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                         unsigned off, unsigned len)
{
    cf8_select(m, bus, devfn, off);
    return vpci_mock_in(m, (uint16_t)(0xCFC + (off & 3)), len);
}

static void cf8_write(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                      unsigned off, unsigned len, uint32_t val)
{
    cf8_select(m, bus, devfn, off);
    vpci_mock_out(m, (uint16_t)(0xCFC + (off & 3)), len, val);
}

/* ECAM: 1 MiB per bus, 4 KiB per function, from the window's first bus. */
static uint64_t ecam_addr(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                          unsigned off)
{
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    return map->ecam_base + ((uint64_t)(bus - map->ecam_bus_first) << 20 |
                             (uint64_t)devfn << 12 | off);
}

static uint32_t ecam_read(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                          unsigned off, unsigned len)
{
    return (uint32_t)vpci_mock_read(m, ecam_addr(m, bus, devfn, off), len);
}

static void ecam_write(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                       unsigned off, unsigned len, uint32_t val)
{
    vpci_mock_write(m, ecam_addr(m, bus, devfn, off), len, val);
}

static const struct cfg_mech mech_direct = { "direct", direct_read,
                                             direct_write };
static const struct cfg_mech mech_cf8 = { "cf8", cf8_read, cf8_write };
static const struct cfg_mech mech_ecam = { "ecam", ecam_read, ecam_write };

/* ------------------------------------------------------------------ */
/* What enumeration learns                                             */
/* ------------------------------------------------------------------ */

enum { WIN_IO, WIN_MEM, WIN_PREF, NWIN };
#define NRES (VPCI_NUM_BARS + 1)   /* BARs 0..5 and the ROM (index 6) */

/* Where a resource may live, from most to least constrained. */
enum rclass {
    RC_IO,      /* IO ports */
    RC_MEM,     /* non-prefetchable memory, below 4 GiB; ROMs */
    RC_PREF32,  /* prefetchable, below 4 GiB */
    RC_PREF64,  /* prefetchable, anywhere */
};

/* A set of resources placed together: a bridge window or a root window. */
struct container {
    struct res **v;
    size_t n, cap;
};

/* A BAR, the ROM or a bridge window. */
struct res {
    size_t fn;             /* index of the owning function */
    int idx;               /* BAR 0..5, VPCI_ROM_BAR, or -1 - WIN_* */
    enum rclass cls;
    bool io, pref, is64;   /* register kind (a window: what it can hold) */
    uint32_t flags;        /* the BAR's read-only low bits */
    uint64_t size, align;
    uint64_t off;          /* offset inside the container that holds it */
    uint64_t addr;
    bool placed;
    struct container *kids; /* a window: what it holds */
};

struct efn {
    uint8_t bus, devfn;
    uint8_t type;          /* header type, bit 7 masked */
    long parent;           /* index of the bridge above, -1 on the root */
    struct vpci_mock_fn *mfn; /* the host's own record (names, GSI) */
    char name[64];
    uint16_t cmd;          /* COMMAND as found */
    /* bridges */
    bool buses_saved;
    uint32_t old_buses;    /* PRIMARY_BUS dword as found */
    size_t save_seq;       /* order in which old_buses was saved */
    uint8_t sec, sub;
    bool has_io, io32, has_pref, pref64;
    struct res res[NRES];
    struct res win[NWIN];
    struct container kids[NWIN];
};

struct ectx {
    struct vpci_mock *m;
    const struct cfg_mech *cfg;
    const struct vpci_mock_map *map;
    struct efn *fns;
    size_t n, cap;
    unsigned last_bus, max_bus;
    size_t save_seq;
    unsigned failures;
    struct container root_io, root_lo, root_hi;
};

/* ---- config helpers on a found function ---- */

static uint32_t rd(struct ectx *c, const struct efn *e, unsigned off,
                   unsigned len)
{
    return c->cfg->read(c->m, e->bus, e->devfn, off, len);
}

static void wr(struct ectx *c, const struct efn *e, unsigned off,
               unsigned len, uint32_t val)
{
    c->cfg->write(c->m, e->bus, e->devfn, off, len, val);
}

/* ---- small arithmetic ---- */

static uint64_t lowest_bit(uint64_t v)
{
    return v & (~v + 1);
}

/* Round @v up to @a (a power of two); false on overflow. */
static bool align_up(uint64_t v, uint64_t a, uint64_t *out)
{
    uint64_t r = v + (a - 1);
    if (r < v)
        return false;
    *out = r & ~(a - 1);
    return true;
}

const char *mock_fmt_size(uint64_t s, char *buf, size_t len)
{
    static const struct { uint64_t unit; const char *name; } units[] = {
        { 1ull << 60, "EiB" }, { 1ull << 50, "PiB" }, { 1ull << 40, "TiB" },
        { GIB, "GiB" },        { MIB, "MiB" },        { KIB, "KiB" },
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (s >= units[i].unit && s % units[i].unit == 0) {
            snprintf(buf, len, "%" PRIu64 " %s", s / units[i].unit,
                     units[i].name);
            return buf;
        }
    snprintf(buf, len, "%" PRIu64 " B", s);
    return buf;
}

/* ---- containers ---- */

static int cont_add(struct container *ct, struct res *r)
{
    if (ct->n == ct->cap) {
        size_t ncap = ct->cap ? ct->cap * 2 : 8;
        struct res **v = realloc(ct->v, ncap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        ct->v = v;
        ct->cap = ncap;
    }
    ct->v[ct->n++] = r;
    return 0;
}

static void cont_remove(struct container *ct, size_t i)
{
    memmove(ct->v + i, ct->v + i + 1, (ct->n - i - 1) * sizeof(*ct->v));
    ct->n--;
}

/* Decreasing alignment, then size; stable (by function, then index). */
static int res_cmp(const void *pa, const void *pb)
{
    const struct res *a = *(struct res *const *)pa;
    const struct res *b = *(struct res *const *)pb;
    if (a->align != b->align)
        return a->align > b->align ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->fn != b->fn)
        return a->fn < b->fn ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx ? 1 : 0;
}

static void cont_sort(struct container *ct)
{
    if (ct->n > 1)
        qsort(ct->v, ct->n, sizeof(*ct->v), res_cmp);
}

/* ---- naming ---- */

static void name_fn(struct ectx *c, struct efn *e)
{
    e->mfn = NULL;
    for (size_t i = 0;; i++) {
        struct vpci_mock_fn *f = vpci_mock_fn_at(c->m, i);
        if (!f)
            break;
        if (vpci_mock_fn_bus(f) == e->bus && vpci_mock_fn_devfn(f) == e->devfn) {
            e->mfn = f;
            break;
        }
    }
    const char *id = e->mfn ? vpci_mock_fn_id(e->mfn) : NULL;
    if ((!id || !*id) && e->mfn) {
        const struct vpci_model *mod = vpci_dev_model(vpci_mock_fn_dev(e->mfn));
        id = mod ? mod->name : NULL;
    }
    if (id && *id)
        snprintf(e->name, sizeof(e->name), "%s@%02x:%02x.%x", id, e->bus,
                 SLOT(e->devfn), FUNC(e->devfn));
    else
        snprintf(e->name, sizeof(e->name), "%04x:%04x@%02x:%02x.%x",
                 rd(c, e, PCI_VENDOR_ID, 2), rd(c, e, PCI_DEVICE_ID, 2),
                 e->bus, SLOT(e->devfn), FUNC(e->devfn));
}

static const char *kind_text(const struct res *r, char *buf, size_t len)
{
    char sz[32];
    mock_fmt_size(r->size, sz, sizeof(sz));
    if (r->idx == VPCI_ROM_BAR)
        snprintf(buf, len, "%s rom", sz);
    else if (r->io)
        snprintf(buf, len, "%s io", sz);
    else
        snprintf(buf, len, "%s mem%s%s", sz, r->is64 ? "64" : "32",
                 r->pref ? " pref" : "");
    return buf;
}

static const char *res_label(const struct ectx *c, const struct res *r,
                             char *buf, size_t len)
{
    static const char *const win_names[NWIN] = { "IO window", "memory window",
                                                 "prefetchable window" };
    const char *who = c->fns[r->fn].name;
    if (r->idx == VPCI_ROM_BAR)
        snprintf(buf, len, "%s ROM", who);
    else if (r->idx >= 0)
        snprintf(buf, len, "%s BAR%d", who, r->idx);
    else
        snprintf(buf, len, "%s %s", who, win_names[-1 - r->idx]);
    return buf;
}

/* The largest BAR inside a window (recursively): whom a failure is for. */
static const struct res *largest_leaf(const struct res *r)
{
    if (r->idx >= 0)
        return r;
    const struct res *best = NULL;
    for (size_t i = 0; r->kids && i < r->kids->n; i++) {
        const struct res *l = largest_leaf(r->kids->v[i]);
        if (l && (!best || l->size > best->size))
            best = l;
    }
    return best;
}

static void report_no_fit(struct ectx *c, const struct res *r,
                          const char *where, uint64_t base, uint64_t size)
{
    char who[128], kind[48], inner[128], innerkind[48];
    res_label(c, r, who, sizeof(who));
    c->failures++;
    if (r->idx >= 0) {
        mock_log(c->m, VPCI_LOG_ERROR,
                 "enumeration: %s: %s does not fit the %s [0x%" PRIx64
                 "-0x%" PRIx64 "]",
                 who, kind_text(r, kind, sizeof(kind)), where, base,
                 base + size - 1);
        return;
    }
    const struct res *l = largest_leaf(r);
    char sz[32];
    mock_log(c->m, VPCI_LOG_ERROR,
             "enumeration: %s (%s, largest inside: %s, %s) does not fit the "
             "%s [0x%" PRIx64 "-0x%" PRIx64 "]",
             who, mock_fmt_size(r->size, sz, sizeof(sz)),
             l ? res_label(c, l, inner, sizeof(inner)) : "?",
             l ? kind_text(l, innerkind, sizeof(innerkind)) : "?", where, base,
             base + size - 1);
}

/* ------------------------------------------------------------------ */
/* 1. Scan                                                             */
/* ------------------------------------------------------------------ */

static long add_fn(struct ectx *c, uint8_t bus, uint8_t devfn, uint8_t type,
                   long parent)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 32;
        struct efn *v = realloc(c->fns, ncap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->fns = v;
        c->cap = ncap;
    }
    struct efn *e = &c->fns[c->n];
    memset(e, 0, sizeof(*e));
    e->bus = bus;
    e->devfn = devfn;
    e->type = type;
    e->parent = parent;
    return (long)c->n++;
}

static void save_buses(struct ectx *c, struct efn *e)
{
    if (e->buses_saved)
        return;
    e->old_buses = rd(c, e, PCI_PRIMARY_BUS, 4);
    e->buses_saved = true;
    e->save_seq = c->save_seq++;
}

static int scan_bus(struct ectx *c, uint8_t bus, long parent);

static int scan_bridge(struct ectx *c, size_t i)
{
    struct efn *e = &c->fns[i];
    if (c->last_bus >= c->max_bus) {
        name_fn(c, e);
        mock_log(c->m, VPCI_LOG_ERROR,
                 "enumeration: %s: no bus number left for its secondary bus "
                 "(the last is %u)",
                 e->name, c->max_bus);
        c->failures++;
        return -ENOSPC;
    }
    uint8_t sec = (uint8_t)++c->last_bus;
    uint32_t buses = rd(c, e, PCI_PRIMARY_BUS, 4);
    wr(c, e, PCI_PRIMARY_BUS, 4,
       (buses & 0xff000000u) | e->bus | (uint32_t)sec << 8 | 0xffu << 16);
    e->sec = sec;
    int rc = scan_bus(c, sec, (long)i);
    e = &c->fns[i];   /* the array may have moved */
    if (rc)
        return rc;
    e->sub = (uint8_t)c->last_bus;
    wr(c, e, PCI_SUBORDINATE_BUS, 1, e->sub);
    return 0;
}

static int scan_bus(struct ectx *c, uint8_t bus, long parent)
{
    size_t first = c->n;
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            uint8_t devfn = DEVFN(dev, fn);
            uint32_t vid = c->cfg->read(c->m, bus, devfn, PCI_VENDOR_ID, 2);
            if (vid == 0xffff || vid == 0) {
                if (fn == 0)
                    break;     /* no function 0: no device */
                continue;
            }
            uint8_t hdr =
                (uint8_t)c->cfg->read(c->m, bus, devfn, PCI_HEADER_TYPE, 1);
            long idx = add_fn(c, bus, devfn, hdr & 0x7f, parent);
            if (idx < 0)
                return (int)idx;
            name_fn(c, &c->fns[idx]);
            if (fn == 0 && !(hdr & 0x80))
                break;         /* single-function device */
        }
    }
    size_t end = c->n;
    /* Pass 1 (Linux's pass 0): stop every bridge on this bus forwarding
     * config cycles, so stale, overlapping bus ranges cannot capture the
     * numbers we hand out below. */
    for (size_t i = first; i < end; i++) {
        struct efn *e = &c->fns[i];
        if (e->type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        save_buses(c, e);
        if (e->old_buses & 0xffffffu)
            wr(c, e, PCI_PRIMARY_BUS, 4, e->old_buses & 0xff000000u);
    }
    /* Pass 2: number and scan each bridge's bus, depth first. */
    for (size_t i = first; i < end; i++) {
        if (c->fns[i].type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        int rc = scan_bridge(c, i);
        if (rc)
            return rc;
    }
    return 0;
}

/* Put every bridge's bus numbers back, in reverse order of first change so
 * that each bridge is still reachable through its (renumbered) parents. */
static void undo_buses(struct ectx *c)
{
    for (size_t k = c->save_seq; k-- > 0;)
        for (size_t i = 0; i < c->n; i++) {
            struct efn *e = &c->fns[i];
            if (e->buses_saved && e->save_seq == k) {
                wr(c, e, PCI_PRIMARY_BUS, 4, e->old_buses);
                break;
            }
        }
}

/* ------------------------------------------------------------------ */
/* 2. Size                                                             */
/* ------------------------------------------------------------------ */

static uint32_t probe32(struct ectx *c, struct efn *e, unsigned reg,
                        uint32_t pattern, uint32_t *orig)
{
    *orig = rd(c, e, reg, 4);
    wr(c, e, reg, 4, pattern);
    uint32_t v = rd(c, e, reg, 4);
    wr(c, e, reg, 4, *orig);
    return v;
}

/* Size BAR @b; returns how many register slots it takes (1 or 2). */
static unsigned size_bar(struct ectx *c, struct efn *e, unsigned b,
                         unsigned nbars)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * b;
    struct res *r = &e->res[b];
    uint32_t lo0, lo = probe32(c, e, reg, 0xffffffffu, &lo0);
    if (lo == 0 || lo == 0xffffffffu)
        return 1;              /* not implemented (or no answer) */
    if (lo0 & PCI_BASE_ADDRESS_SPACE_IO) {
        uint64_t mask = lo & PCI_BASE_ADDRESS_IO_MASK;
        if (!mask)
            return 1;
        r->io = true;
        r->flags = lo0 & ~PCI_BASE_ADDRESS_IO_MASK;
        r->size = lowest_bit(mask);
        return 1;
    }
    uint32_t type = lo0 & PCI_BASE_ADDRESS_MEM_TYPE_MASK;
    uint64_t mask = lo & PCI_BASE_ADDRESS_MEM_MASK;
    unsigned slots = 1;
    r->pref = lo0 & PCI_BASE_ADDRESS_MEM_PREFETCH;
    r->flags = lo0 & ~PCI_BASE_ADDRESS_MEM_MASK;
    if (type == PCI_BASE_ADDRESS_MEM_TYPE_64) {
        if (b + 1 >= nbars) {
            mock_log(c->m, VPCI_LOG_WARN,
                     "enumeration: %s BAR%u: 64-bit BAR in the last slot: "
                     "ignored", e->name, b);
            r->pref = false;
            return 1;
        }
        uint32_t hi0, hi = probe32(c, e, reg + 4, 0xffffffffu, &hi0);
        mask |= (uint64_t)hi << 32;
        r->is64 = true;
        slots = 2;
    }
    if (!mask) {
        r->pref = r->is64 = false;
        return slots;
    }
    r->size = lowest_bit(mask);
    return slots;
}

static void size_rom(struct ectx *c, struct efn *e)
{
    unsigned reg = e->type == PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1
                                                     : PCI_ROM_ADDRESS;
    uint32_t orig, v = probe32(c, e, reg, PCI_ROM_ADDRESS_MASK, &orig);
    uint64_t mask = v & PCI_ROM_ADDRESS_MASK;
    if (mask && v != 0xffffffffu)
        e->res[VPCI_ROM_BAR].size = lowest_bit(mask);
}

/* Which windows a bridge implements (Linux pci_bridge_check_ranges). */
static void probe_windows(struct ectx *c, struct efn *e)
{
    uint32_t io = rd(c, e, PCI_IO_BASE, 2);
    if (!io) {
        wr(c, e, PCI_IO_BASE, 2, 0xe0f0);
        io = rd(c, e, PCI_IO_BASE, 2);
        wr(c, e, PCI_IO_BASE, 2, 0);
    }
    e->has_io = io != 0;
    e->io32 = (io & PCI_IO_RANGE_TYPE_MASK) == PCI_IO_RANGE_TYPE_32;
    uint32_t pm = rd(c, e, PCI_PREF_MEMORY_BASE, 4);
    if (!pm) {
        wr(c, e, PCI_PREF_MEMORY_BASE, 4, 0xffe0fff0u);
        pm = rd(c, e, PCI_PREF_MEMORY_BASE, 4);
        wr(c, e, PCI_PREF_MEMORY_BASE, 4, 0);
    }
    e->has_pref = pm != 0;
    if (e->has_pref &&
        (pm & PCI_PREF_RANGE_TYPE_MASK) == PCI_PREF_RANGE_TYPE_64) {
        uint32_t orig;
        e->pref64 = probe32(c, e, PCI_PREF_BASE_UPPER32, 0xffffffffu, &orig);
    }
}

static void size_fn(struct ectx *c, struct efn *e)
{
    unsigned nbars = e->type == PCI_HEADER_TYPE_NORMAL   ? VPCI_NUM_BARS
                     : e->type == PCI_HEADER_TYPE_BRIDGE ? 2
                                                         : 0;
    if (!nbars)
        return;   /* CardBus or unknown layout: left alone */
    e->cmd = (uint16_t)rd(c, e, PCI_COMMAND, 2);
    uint16_t decode = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    if (e->cmd & decode)
        wr(c, e, PCI_COMMAND, 2, e->cmd & ~decode);
    for (unsigned b = 0; b < nbars;)
        b += size_bar(c, e, b, nbars);
    size_rom(c, e);
    if (e->type == PCI_HEADER_TYPE_BRIDGE)
        probe_windows(c, e);
    if (e->cmd & decode)
        wr(c, e, PCI_COMMAND, 2, e->cmd);
}

/* ------------------------------------------------------------------ */
/* 3. Allocate                                                         */
/* ------------------------------------------------------------------ */

/* Put @r in the container of the bus it sits on (@parent: its bridge). */
static int attach(struct ectx *c, long parent, struct res *r)
{
    if (parent < 0) {
        struct container *ct = r->cls == RC_IO ? &c->root_io : &c->root_lo;
        return cont_add(ct, r);
    }
    struct efn *p = &c->fns[parent];
    int w;
    switch (r->cls) {
    case RC_IO:
        if (!p->has_io) {
            char who[128], kind[48];
            mock_log(c->m, VPCI_LOG_ERROR,
                     "enumeration: %s: %s behind %s, which has no IO window",
                     res_label(c, r, who, sizeof(who)),
                     kind_text(r, kind, sizeof(kind)), p->name);
            c->failures++;
            return 0;
        }
        w = WIN_IO;
        break;
    case RC_PREF64:
        w = p->has_pref ? WIN_PREF : WIN_MEM;
        break;
    case RC_PREF32:
        w = p->has_pref && !p->pref64 ? WIN_PREF : WIN_MEM;
        break;
    case RC_MEM:
    default:
        w = WIN_MEM;
        break;
    }
    return cont_add(&p->kids[w], r);
}

static int build(struct ectx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct efn *e = &c->fns[i];
        for (int b = 0; b < NRES; b++) {
            struct res *r = &e->res[b];
            r->fn = i;
            r->idx = b;
            if (!r->size)
                continue;
            r->align = r->size;
            r->cls = r->io ? RC_IO
                     : r->pref ? (r->is64 ? RC_PREF64 : RC_PREF32)
                               : RC_MEM;
            int rc = attach(c, e->parent, r);
            if (rc)
                return rc;
        }
        if (e->type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        for (int w = 0; w < NWIN; w++) {
            struct res *r = &e->win[w];
            r->fn = i;
            r->idx = -1 - w;
            r->kids = &e->kids[w];
            r->io = w == WIN_IO;
            r->pref = w == WIN_PREF;
            r->is64 = w == WIN_PREF && e->pref64;
            r->cls = w == WIN_IO    ? RC_IO
                     : w == WIN_MEM ? RC_MEM
                     : e->pref64    ? RC_PREF64
                                    : RC_PREF32;
            if (w == WIN_IO && !e->has_io)
                continue;
            if (w == WIN_PREF && !e->has_pref)
                continue;
            int rc = attach(c, e->parent, r);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Pack a window's members from offset 0; size and alignment of the window.
 * A window too large for 64 bits gets size UINT64_MAX (fits nowhere). */
static void layout_window(struct res *win, uint64_t gran)
{
    struct container *ct = win->kids;
    cont_sort(ct);
    uint64_t off = 0, align = gran;
    bool any = false, overflow = false;
    for (size_t i = 0; i < ct->n; i++) {
        struct res *r = ct->v[i];
        if (!r->size)
            continue;
        any = true;
        if (!align_up(off, r->align, &off) || off + r->size < off) {
            overflow = true;
            break;
        }
        r->off = off;
        off += r->size;
        if (r->align > align)
            align = r->align;
    }
    win->align = align;
    if (overflow || (any && !align_up(off, gran, &win->size)))
        win->size = UINT64_MAX, win->align = gran;
    else if (!any)
        win->size = 0;
}

/* Lay out every bridge's windows, children before parents. */
static void size_windows(struct ectx *c)
{
    for (size_t i = c->n; i-- > 0;) {
        struct efn *e = &c->fns[i];
        if (e->type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        layout_window(&e->win[WIN_IO], IO_WINDOW_GRAN);
        layout_window(&e->win[WIN_MEM], MEM_WINDOW_GRAN);
        layout_window(&e->win[WIN_PREF], MEM_WINDOW_GRAN);
    }
}

/*
 * Place the members of @ct in [base, base+size) by decreasing alignment.
 * With @report, a member that does not fit is logged and skipped (the
 * others still get their chance, so every failure is named); returns
 * whether all fit.
 */
static bool place(struct ectx *c, struct container *ct, uint64_t base,
                  uint64_t size, const char *where, bool report)
{
    cont_sort(ct);
    uint64_t end = size ? base + size - 1 : 0;   /* inclusive */
    uint64_t cur = base;
    bool full = !size, ok = true;
    for (size_t i = 0; i < ct->n; i++) {
        struct res *r = ct->v[i];
        if (!r->size)
            continue;
        uint64_t a;
        r->placed = false;
        if (full || !align_up(cur, r->align, &a) || a > end ||
            r->size - 1 > end - a) {
            ok = false;
            if (report)
                report_no_fit(c, r, where, base, size);
            continue;
        }
        r->addr = a;
        r->placed = true;
        if (a + r->size - 1 == end)
            full = true;      /* the window ends here (maybe at 2^64) */
        else
            cur = a + r->size;
    }
    return ok;
}

static int allocate(struct ectx *c)
{
    const struct vpci_mock_map *map = c->map;
    size_windows(c);

    uint64_t io_base = map->io_base < IO_MIN ? IO_MIN : map->io_base;
    uint64_t io_end = map->io_base + map->io_size;
    uint64_t io_size = io_end > io_base ? io_end - io_base : 0;
    place(c, &c->root_io, io_base, io_size, "IO window", true);

    /* Below 4 GiB if everything fits there; else move 64-bit prefetchable
     * resources up, largest first, until the rest fits. */
    while (!place(c, &c->root_lo, map->mmio32_base, map->mmio32_size,
                  "32-bit memory window", false)) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < c->root_lo.n; i++) {
            struct res *r = c->root_lo.v[i];
            if (r->cls == RC_PREF64 && r->size &&
                (best == SIZE_MAX || r->size > c->root_lo.v[best]->size))
                best = i;
        }
        if (best == SIZE_MAX || !map->mmio64_size)
            break;
        int rc = cont_add(&c->root_hi, c->root_lo.v[best]);
        if (rc)
            return rc;
        cont_remove(&c->root_lo, best);
    }
    place(c, &c->root_lo, map->mmio32_base, map->mmio32_size,
          "32-bit memory window", true);
    place(c, &c->root_hi, map->mmio64_base, map->mmio64_size,
          "64-bit memory window", true);
    if (c->failures)
        return -ENOSPC;

    /* Top down: a window's members sit at its address plus their offset. */
    for (size_t i = 0; i < c->n; i++) {
        struct efn *e = &c->fns[i];
        if (e->type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        for (int w = 0; w < NWIN; w++) {
            struct res *win = &e->win[w];
            if (!win->size)
                continue;
            for (size_t k = 0; k < win->kids->n; k++) {
                struct res *r = win->kids->v[k];
                if (!r->size)
                    continue;
                r->addr = win->addr + r->off;
                r->placed = true;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* 4. Program                                                          */
/* ------------------------------------------------------------------ */

static void program_bars(struct ectx *c, struct efn *e)
{
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        struct res *r = &e->res[b];
        if (!r->size)
            continue;
        unsigned reg = PCI_BASE_ADDRESS_0 + 4 * b;
        wr(c, e, reg, 4, (uint32_t)r->addr | r->flags);
        if (r->is64)
            wr(c, e, reg + 4, 4, (uint32_t)(r->addr >> 32));
    }
    struct res *rom = &e->res[VPCI_ROM_BAR];
    if (rom->size)
        wr(c, e,
           e->type == PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1
                                             : PCI_ROM_ADDRESS,
           4, (uint32_t)rom->addr);   /* enable bit clear */
}

/* Linux pci_setup_bridge_io/mmio/mmio_pref, including the order that never
 * exposes a half-written window; an empty window is written base > limit. */
static void program_windows(struct ectx *c, struct efn *e)
{
    const struct res *io = &e->win[WIN_IO];
    if (e->has_io) {
        uint32_t lo = 0x00f0, up = 0;
        if (io->size) {
            uint64_t base = io->addr, limit = io->addr + io->size - 1;
            lo = (uint32_t)((base >> 8) & 0xf0) |
                 (uint32_t)((limit >> 8) & 0xf0) << 8;
            up = (uint32_t)(base >> 16) | (uint32_t)(limit >> 16) << 16;
        }
        if (e->io32)
            wr(c, e, PCI_IO_BASE_UPPER16, 4, 0x0000ffff);
        wr(c, e, PCI_IO_BASE, 2, lo);
        if (e->io32)
            wr(c, e, PCI_IO_BASE_UPPER16, 4, up);
    }

    const struct res *mem = &e->win[WIN_MEM];
    uint32_t l = 0x0000fff0;
    if (mem->size) {
        uint64_t base = mem->addr, limit = mem->addr + mem->size - 1;
        l = (uint32_t)((base >> 16) & 0xfff0) |
            (uint32_t)((limit >> 16) & 0xfff0) << 16;
    }
    wr(c, e, PCI_MEMORY_BASE, 4, l);

    if (e->has_pref) {
        const struct res *pf = &e->win[WIN_PREF];
        uint64_t base = 0, limit = 0;
        l = 0x0000fff0;
        if (pf->size) {
            base = pf->addr;
            limit = pf->addr + pf->size - 1;
            l = (uint32_t)((base >> 16) & 0xfff0) |
                (uint32_t)((limit >> 16) & 0xfff0) << 16;
        }
        if (e->pref64)
            wr(c, e, PCI_PREF_LIMIT_UPPER32, 4, 0);
        wr(c, e, PCI_PREF_MEMORY_BASE, 4, l);
        if (e->pref64) {
            wr(c, e, PCI_PREF_BASE_UPPER32, 4, (uint32_t)(base >> 32));
            wr(c, e, PCI_PREF_LIMIT_UPPER32, 4, (uint32_t)(limit >> 32));
        }
    }
}

static void program(struct ectx *c)
{
    uint16_t decode = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    /* Nothing decodes while addresses change. */
    for (size_t i = 0; i < c->n; i++) {
        struct efn *e = &c->fns[i];
        uint16_t cmd = (uint16_t)rd(c, e, PCI_COMMAND, 2);
        if (cmd & decode)
            wr(c, e, PCI_COMMAND, 2, cmd & ~decode);
    }
    for (size_t i = 0; i < c->n; i++) {
        struct efn *e = &c->fns[i];
        if (e->type != PCI_HEADER_TYPE_NORMAL &&
            e->type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        program_bars(c, e);
        if (e->type == PCI_HEADER_TYPE_BRIDGE)
            program_windows(c, e);
        /* What an OS reads to find the legacy interrupt (the ACPI/_PRT
         * answer firmware knows). */
        int gsi = e->mfn ? vpci_mock_fn_gsi(e->mfn) : -1;
        if (rd(c, e, PCI_INTERRUPT_PIN, 1) && gsi >= 0 && gsi < 0xff)
            wr(c, e, PCI_INTERRUPT_LINE, 1, (uint32_t)gsi);
    }
    for (size_t i = 0; i < c->n; i++) {
        struct efn *e = &c->fns[i];
        if (e->type != PCI_HEADER_TYPE_NORMAL &&
            e->type != PCI_HEADER_TYPE_BRIDGE)
            continue;
        uint16_t cmd = (uint16_t)(rd(c, e, PCI_COMMAND, 2) &
                                  ~(decode | PCI_COMMAND_MASTER));
        bool bridge = e->type == PCI_HEADER_TYPE_BRIDGE;
        for (int b = 0; b < NRES; b++) {
            if (!e->res[b].size)
                continue;
            cmd |= e->res[b].io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
        }
        if (bridge)
            cmd |= decode;
        cmd |= PCI_COMMAND_MASTER;
        wr(c, e, PCI_COMMAND, 2, cmd);
    }
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static void ectx_free(struct ectx *c)
{
    for (size_t i = 0; i < c->n; i++)
        for (int w = 0; w < NWIN; w++)
            free(c->fns[i].kids[w].v);
    free(c->fns);
    free(c->root_io.v);
    free(c->root_lo.v);
    free(c->root_hi.v);
}

/*
 * vpci_mock_enumerate() through a chosen config mechanism: "direct" (or
 * NULL: vpci_mock_cfg_read/write), "cf8" (ports 0xCF8/0xCFC; q35 only) or
 * "ecam" (the ECAM window in memory space).  For tests and the CLI; the
 * result is the same whichever is used.  -EINVAL for an unknown name,
 * -ENODEV when the machine lacks that mechanism.
 */
int mock_enumerate_via(struct vpci_mock *m, const char *method)
{
    if (!m)
        return -EINVAL;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    const struct cfg_mech *mech;
    if (!method || !strcmp(method, "direct"))
        mech = &mech_direct;
    else if (!strcmp(method, "cf8"))
        mech = &mech_cf8;
    else if (!strcmp(method, "ecam"))
        mech = &mech_ecam;
    else {
        mock_log(m, VPCI_LOG_ERROR,
                 "enumeration: unknown config mechanism \"%s\" (direct, cf8, "
                 "ecam)", method);
        return -EINVAL;
    }
    if ((mech == &mech_cf8 && !map->has_cf8) ||
        (mech == &mech_ecam && !map->ecam_size)) {
        mock_log(m, VPCI_LOG_ERROR,
                 "enumeration: this machine has no %s config mechanism",
                 mech->name);
        return -ENODEV;
    }

    struct ectx c = { .m = m, .cfg = mech, .map = map };
    /* Buses reachable by every mechanism the machine has. */
    c.max_bus = map->ecam_size ? map->ecam_bus_last : 255;
    c.last_bus = 0;
    mock_log(m, VPCI_LOG_INFO, "enumeration: scanning through %s",
             mech->name);

    int rc = scan_bus(&c, 0, -1);
    if (!rc) {
        for (size_t i = 0; i < c.n; i++)
            size_fn(&c, &c.fns[i]);
        rc = build(&c);
    }
    if (!rc)
        rc = allocate(&c);
    if (!rc && c.failures)
        rc = -ENOSPC;
    if (rc) {
        undo_buses(&c);
        mock_log(m, VPCI_LOG_ERROR,
                 "enumeration failed (%s); bus numbers, BARs and windows "
                 "left as they were",
                 rc == -ENOSPC ? "out of resources" : strerror(-rc));
        ectx_free(&c);
        return rc;
    }
    program(&c);
    mock_log(m, VPCI_LOG_INFO,
             "enumeration: %zu functions on %u buses programmed", c.n,
             c.last_bus + 1);
    ectx_free(&c);
    return 0;
}

int vpci_mock_enumerate(struct vpci_mock *m)
{
    return mock_enumerate_via(m, NULL);
}
