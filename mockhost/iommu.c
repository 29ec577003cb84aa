/* SPDX-License-Identifier: MIT */
#include "internal.h"
/*
 * The mock host's IOMMU: DMA remapping per requester ID with page tables
 * in guest RAM, modelled on Intel VT-d's legacy root/context tables and
 * second-level (x86-64 style) page tables.
 *
 * ---------------------------------------------------------------- datasheet
 *
 * Everything the IOMMU translates with lives in guest RAM, where a guest
 * kernel (or a test, or a qtest script with writeq) builds it; the host
 * keeps only a page allocator for the tables it builds itself and the
 * fault log.  Scribbling over the tables changes translation at once:
 * there is no IOTLB and no invalidation to issue.
 *
 * Root table address (RTADDR): the first 4 KiB page of the table pool
 * (pool_base, given by the mock host: the top of low RAM).  It is zeroed
 * when the machine is created, so every requester starts with no access.
 * The rest of the pool is reserved for the tables vpci_mock_iommu_map()
 * allocates: guests must not use it as RAM.
 *
 * All entries are little-endian; "ADDR" is bits 51:12 of an entry, the
 * 4 KiB-aligned bus address of the next table or of the page.
 *
 *   Root table       4 KiB, 256 entries of 16 bytes, indexed by bus
 *                    (requester ID bits 15:8)
 *       qword 0        bit 0      P     context table present
 *                      bits 51:12 ADDR  context table
 *                      others     reserved, ignored
 *       qword 1        reserved, ignored
 *   Context table    4 KiB, 256 entries of 16 bytes, indexed by devfn
 *                    (requester ID bits 7:0)
 *       qword 0        bit 0      P     translation present for this RID
 *                      bits 51:12 ADDR  level-4 page table
 *                      others     reserved, ignored
 *       qword 1        reserved, ignored
 *   Page tables      4 KiB, 512 entries of 8 bytes; four levels indexed by
 *                    IOVA bits 47:39 (L4), 38:30 (L3), 29:21 (L2) and
 *                    20:12 (L1); IOVA bits 11:0 are the offset in the page
 *                      bit 0      R     reads (device -> memory reads) allowed
 *                      bit 1      W     writes allowed
 *                      bits 51:12 ADDR  next-level table (L4..L2) or the
 *                                       4 KiB page (L1)
 *                      others     reserved, ignored
 *                    An entry with neither R nor W is not present.  Only
 *                    4 KiB pages: there are no large-page entries.
 *
 * Translating a DMA of requester RID at IOVA:
 *   1. IOVA >= 2^48 (beyond the 48-bit address width): fault, no entry.
 *   2. root[RID >> 8].P, context[RID & 0xff].P, then L4, L3, L2, L1 entry
 *      present, in that order; the first one absent faults (-EFAULT).
 *   3. The permission is the AND of the R/W bits of the four page-table
 *      entries (as on VT-d); a read needs R, a write needs W, else the
 *      access faults (-EACCES).
 *   4. PA = L1.ADDR | IOVA[11:0].
 * A fault is recorded as { requester ID, IOVA, read/write, -EFAULT or
 * -EACCES } and the DMA fails with that errno: the device sees an error
 * completion and nothing moves.  The first 1024 faults (FAULT_LOG_MAX)
 * are kept, later ones only counted, like VT-d's fault recording
 * registers that stop at overflow; vpci_mock_iommu_faults() returns the
 * count and copies the kept ones, oldest first.  Every fault is logged
 * once as a warning.  vpci_mock_iommu_translate() walks the same way but
 * records nothing; with perm 0 it asks only whether a translation exists.
 *
 * What vpci_mock_iommu_map() builds: missing context tables and page
 * tables are allocated from the pool, zeroed, and linked with P (root,
 * context) or R|W (page tables: the leaves carry the permission); a
 * present intermediate entry that lacks R or W gets them added.  A map is
 * all or nothing: the tables are all allocated before any leaf is written,
 * and if the pool runs out those just allocated are unlinked and freed
 * again (-ENOMEM, translation unchanged).  The same happens (-EFAULT)
 * when an entry it must write lies outside RAM because a root, context or
 * table pointer leads nowhere; leaves written to an L1 "table" outside
 * RAM are lost, as on hardware.  vpci_mock_iommu_unmap() clears
 * the leaf entries and frees every table of the pool that it leaves with
 * no present entry (unlinking it from its parent), so map/unmap cycles
 * never exhaust the pool.  Tables a guest built outside the pool are
 * followed but never freed.
 *
 * Pool allocator: one bit per 4 KiB page of the pool (page 0, the root
 * table, always in use), first fit from the lowest free page.  The bitmap
 * is the only table state on the host side; ownership checks against it
 * keep a scribbled table pointer from freeing a page twice or freeing RAM
 * the pool does not own.
 * -------------------------------------------------------------------------
 */

#include <endian.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096u
#define PAGE_MASK ((uint64_t)PAGE_SIZE - 1)
#define PT_ENTRIES 512u            /* 8-byte entries per page table */
#define PT_BITS 9
#define CTX_ENTRIES 256u           /* 16-byte entries per root/context table */
#define CTX_ENTRY_SIZE 16u
#define IOVA_LIMIT (1ull << 48)    /* 48-bit IOVA: four levels of 9 bits */
#define PA_LIMIT (1ull << 52)      /* ADDR is bits 51:12 */

#define ENT_P 0x1ull               /* root / context entry present */
#define ENT_R 0x1ull               /* page-table entry: read */
#define ENT_W 0x2ull               /* page-table entry: write */
#define ENT_RW (ENT_R | ENT_W)
#define ENT_ADDR 0x000ffffffffff000ull

#define FAULT_LOG_MAX 1024u        /* fault records kept (then counted only) */

_Static_assert(ENT_R == VPCI_MOCK_IOMMU_READ && ENT_W == VPCI_MOCK_IOMMU_WRITE,
               "page-table permission bits are the public perm bits");
_Static_assert(CTX_ENTRIES * CTX_ENTRY_SIZE == PAGE_SIZE &&
               PT_ENTRIES * 8 == PAGE_SIZE, "tables are one page");

struct mock_iommu {
    struct vpci_mock *m;
    uint64_t pool_base;        /* page aligned; page 0 is the root table */
    uint64_t npages;           /* pages in the pool */
    uint64_t *bitmap;          /* bit set: page allocated */
    uint64_t hint;             /* no free page below this index */
    struct vpci_mock_fault *faults;  /* the first ones, oldest first */
    unsigned nfaults, faults_cap;
    unsigned fault_total;      /* recorded or not, saturating */
};

/* One change made while linking tables for a map, undone if it fails. */
struct undo {
    uint64_t slot;             /* entry address */
    uint64_t old;              /* its value before */
    uint64_t table;            /* page allocated for it, or 0 */
};
struct undo_log {
    struct undo *v;
    size_t n, cap;
};

static const uint8_t zero_page[PAGE_SIZE];

/* ---- entries in guest RAM ----
 * One entry is one little-endian 8-byte memory access, as the hardware's
 * table walker makes it (vpci_mock_read/write: RAM fast path, 0 where
 * nothing decodes); whole tables go through vpci_mock_memread/memwrite. */

static uint64_t ent_read(struct mock_iommu *io, uint64_t addr)
{
    return vpci_mock_read(io->m, addr, 8);
}

static void ent_write(struct mock_iommu *io, uint64_t addr, uint64_t val)
{
    vpci_mock_write(io->m, addr, 8, val);
}

/* A whole page table, entries in host order. */
static void table_read(struct mock_iommu *io, uint64_t addr,
                       uint64_t t[PT_ENTRIES])
{
    vpci_mock_memread(io->m, addr, t, PAGE_SIZE);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        t[i] = le64toh(t[i]);
}

static uint64_t root_slot(const struct mock_iommu *io, uint16_t rid)
{
    return io->pool_base + (uint64_t)(rid >> 8) * CTX_ENTRY_SIZE;
}

static uint64_t ctx_slot(uint64_t ctx_table, uint16_t rid)
{
    return ctx_table + (uint64_t)(rid & 0xff) * CTX_ENTRY_SIZE;
}

/* Entry index of @iova in a page table of @level (1..4). */
static unsigned pt_index(uint64_t iova, unsigned level)
{
    return (unsigned)(iova >> (PAGE_SHIFT + PT_BITS * (level - 1))) &
           (PT_ENTRIES - 1);
}

static uint64_t level_span(unsigned level)
{
    return 1ull << (PAGE_SHIFT + PT_BITS * (level - 1));
}

/* ---- pool allocator ---- */

static bool page_used(const struct mock_iommu *io, uint64_t i)
{
    return (io->bitmap[i / 64] >> (i % 64)) & 1;
}

/* Allocate and zero a table page: 0 and *addr, or -ENOMEM. */
static int page_alloc(struct mock_iommu *io, uint64_t *addr)
{
    for (uint64_t w = io->hint / 64; w * 64 < io->npages; w++) {
        if (io->bitmap[w] == UINT64_MAX)
            continue;
        uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(~io->bitmap[w]);
        if (i >= io->npages)
            break;
        io->bitmap[w] |= 1ull << (i % 64);
        io->hint = i + 1;
        *addr = io->pool_base + i * PAGE_SIZE;
        vpci_mock_memwrite(io->m, *addr, zero_page, PAGE_SIZE);
        return 0;
    }
    io->hint = io->npages;
    return -ENOMEM;
}

/* Free @addr if it is an allocated table page of the pool (not the root
 * table); returns whether it was. */
static bool page_free(struct mock_iommu *io, uint64_t addr)
{
    if (addr < io->pool_base || (addr & PAGE_MASK))
        return false;
    uint64_t i = (addr - io->pool_base) / PAGE_SIZE;
    if (i == 0 || i >= io->npages || !page_used(io, i))
        return false;
    io->bitmap[i / 64] &= ~(1ull << (i % 64));
    if (i < io->hint)
        io->hint = i;
    return true;
}

/* ---- lifetime ---- */

int mock_iommu_new(struct vpci_mock *m, uint64_t pool_base, uint64_t pool_size,
                   struct mock_iommu **out)
{
    if (!m || !out)
        return -EINVAL;
    *out = NULL;
    uint64_t base = (pool_base + PAGE_MASK) & ~PAGE_MASK;
    uint64_t end = pool_base + pool_size;
    if (base < pool_base || end < pool_base || end < base ||
        (end - base) / PAGE_SIZE == 0) {
        mock_log(m, VPCI_LOG_ERROR,
                 "iommu: table pool [0x%llx, +0x%llx) holds no 4 KiB page",
                 (unsigned long long)pool_base,
                 (unsigned long long)pool_size);
        return -EINVAL;
    }
    struct mock_iommu *io = calloc(1, sizeof(*io));
    if (!io)
        return -ENOMEM;
    io->m = m;
    io->pool_base = base;
    io->npages = (end - base) / PAGE_SIZE;
    io->bitmap = calloc((size_t)((io->npages + 63) / 64), sizeof(uint64_t));
    if (!io->bitmap) {
        free(io);
        return -ENOMEM;
    }
    io->bitmap[0] = 1;          /* the root table */
    io->hint = 1;
    vpci_mock_memwrite(m, base, zero_page, PAGE_SIZE);
    mock_log(m, VPCI_LOG_INFO,
             "iommu: root table at 0x%llx, %llu table pages in the pool",
             (unsigned long long)base, (unsigned long long)io->npages);
    *out = io;
    return 0;
}

void mock_iommu_free(struct mock_iommu *iommu)
{
    if (!iommu)
        return;
    free(iommu->bitmap);
    free(iommu->faults);
    free(iommu);
}

/* ---- translation ---- */

/*
 * Walk the tables for @rid at @iova: 0 with the effective permission
 * (ENT_R/ENT_W) and the PA, or -EFAULT at the first absent entry.
 */
static int walk(struct mock_iommu *io, uint16_t rid, uint64_t iova,
                unsigned *perm, uint64_t *pa)
{
    if (iova >= IOVA_LIMIT)
        return -EFAULT;
    uint64_t e = ent_read(io, root_slot(io, rid));
    if (!(e & ENT_P))
        return -EFAULT;
    e = ent_read(io, ctx_slot(e & ENT_ADDR, rid));
    if (!(e & ENT_P))
        return -EFAULT;
    uint64_t rw = ENT_RW;
    for (unsigned level = 4; level >= 1; level--) {
        e = ent_read(io, (e & ENT_ADDR) + 8ull * pt_index(iova, level));
        if (!(e & ENT_RW))
            return -EFAULT;
        rw &= e;
    }
    *perm = (unsigned)(rw & ENT_RW);
    *pa = (e & ENT_ADDR) | (iova & PAGE_MASK);
    return 0;
}

/* 0, -EFAULT or -EACCES for an access needing @need; nothing recorded. */
static int translate(struct mock_iommu *io, uint16_t rid, uint64_t iova,
                     unsigned need, uint64_t *pa)
{
    unsigned perm;
    uint64_t out;
    int rc = walk(io, rid, iova, &perm, &out);
    if (rc)
        return rc;
    if (need & ~perm)
        return -EACCES;
    if (pa)
        *pa = out;
    return 0;
}

static void record_fault(struct mock_iommu *io, uint16_t rid, uint64_t iova,
                         bool write, int err)
{
    if (io->fault_total < UINT_MAX)
        io->fault_total++;
    bool kept = false;
    if (io->nfaults < FAULT_LOG_MAX) {
        if (io->nfaults == io->faults_cap) {
            unsigned cap = io->faults_cap ? io->faults_cap * 2 : 16;
            if (cap > FAULT_LOG_MAX)
                cap = FAULT_LOG_MAX;
            struct vpci_mock_fault *v =
                realloc(io->faults, cap * sizeof(*v));
            if (v) {
                io->faults = v;
                io->faults_cap = cap;
            }
        }
        if (io->nfaults < io->faults_cap) {
            io->faults[io->nfaults++] = (struct vpci_mock_fault){
                .rid = rid, .addr = iova, .write = write, .err = err };
            kept = true;
        }
    }
    mock_log(io->m, VPCI_LOG_WARN,
             "iommu: DMA fault: %02x:%02x.%u %s at IOVA 0x%llx: %s%s",
             rid >> 8, (rid >> 3) & 0x1f, rid & 7, write ? "write" : "read",
             (unsigned long long)iova,
             err == -EACCES ? (write ? "not writable (EACCES)"
                                     : "not readable (EACCES)")
                            : "no translation (EFAULT)",
             kept ? "" : " [fault log full: counted, not kept]");
}

int mock_iommu_dma(struct mock_iommu *iommu, uint16_t rid, uint64_t iova,
                   bool write, uint64_t *pa)
{
    if (!iommu)
        return -EFAULT;
    unsigned need = write ? VPCI_MOCK_IOMMU_WRITE : VPCI_MOCK_IOMMU_READ;
    int rc = translate(iommu, rid, iova, need, pa);
    if (rc)
        record_fault(iommu, rid, iova, write, rc);
    return rc;
}

/* ---- the public calls ---- */

/* The machine's IOMMU, or NULL after logging why the call is refused. */
static struct mock_iommu *iommu_of(struct vpci_mock *m, const char *what)
{
    if (!m)
        return NULL;
    struct mock_iommu *io = vpci_mock_get_iommu(m);
    if (!io)
        mock_log(m, VPCI_LOG_ERROR,
                 "%s: this machine has no IOMMU (config.iommu is off)", what);
    return io;
}

/* Is [iova, iova + len) a non-empty page-aligned range below 2^48? */
static bool range_ok(uint64_t iova, uint64_t len)
{
    return len && !((iova | len) & PAGE_MASK) && iova < IOVA_LIMIT &&
           len <= IOVA_LIMIT - iova;
}

static int undo_push(struct undo_log *u, uint64_t slot, uint64_t old,
                     uint64_t table)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        struct undo *v = realloc(u->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        u->v = v;
        u->cap = cap;
    }
    u->v[u->n++] = (struct undo){ slot, old, table };
    return 0;
}

/* Put back what the log recorded, newest first; free its tables. */
static void undo_all(struct mock_iommu *io, struct undo_log *u)
{
    while (u->n) {
        const struct undo *x = &u->v[--u->n];
        ent_write(io, x->slot, x->old);
        if (x->table)
            page_free(io, x->table);
    }
}

/*
 * Make sure the entry at @slot links to a table: allocate one if it is
 * absent (no bit of @present set), add @want bits if missing.  Returns 0
 * and the table's address, -ENOMEM, or -EFAULT if the entry did not take
 * the write (the table holding it is not in RAM: a pointer above it leads
 * nowhere).
 */
static int link_table(struct mock_iommu *io, struct undo_log *u,
                      uint64_t slot, uint64_t present, uint64_t want,
                      uint64_t *table)
{
    uint64_t e = ent_read(io, slot);
    if (!(e & present)) {
        uint64_t t;
        int rc = page_alloc(io, &t);
        if (rc)
            return rc;
        if (undo_push(u, slot, e, t)) {
            page_free(io, t);
            return -ENOMEM;
        }
        e = t | want;
        ent_write(io, slot, e);
    } else if ((e & want) != want) {
        if (undo_push(u, slot, e, 0))
            return -ENOMEM;
        e |= want;
        ent_write(io, slot, e);
    } else {
        *table = e & ENT_ADDR;
        return 0;
    }
    if (ent_read(io, slot) != e)
        return -EFAULT;     /* undo_all() frees the page allocated */
    *table = e & ENT_ADDR;
    return 0;
}

/* Link every table down to the level-1 table that holds @iova's leaf. */
static int link_path(struct mock_iommu *io, struct undo_log *u, uint16_t rid,
                     uint64_t iova, uint64_t *l1)
{
    uint64_t t;
    int rc = link_table(io, u, root_slot(io, rid), ENT_P, ENT_P, &t);
    if (!rc)
        rc = link_table(io, u, ctx_slot(t, rid), ENT_P, ENT_P, &t);
    for (unsigned level = 4; !rc && level >= 2; level--)
        rc = link_table(io, u, t + 8ull * pt_index(iova, level), ENT_RW,
                        ENT_RW, &t);
    if (!rc)
        *l1 = t;
    return rc;
}

/* The level-1 table holding @iova's leaf, if every entry above it is
 * present. */
static bool find_l1(struct mock_iommu *io, uint16_t rid, uint64_t iova,
                    uint64_t *l1)
{
    uint64_t e = ent_read(io, root_slot(io, rid));
    if (!(e & ENT_P))
        return false;
    e = ent_read(io, ctx_slot(e & ENT_ADDR, rid));
    if (!(e & ENT_P))
        return false;
    for (unsigned level = 4; level >= 2; level--) {
        e = ent_read(io, (e & ENT_ADDR) + 8ull * pt_index(iova, level));
        if (!(e & ENT_RW))
            return false;
    }
    *l1 = e & ENT_ADDR;
    return true;
}

int vpci_mock_iommu_map(struct vpci_mock *m, uint16_t rid, uint64_t iova,
                        uint64_t pa, uint64_t len, unsigned perm)
{
    struct mock_iommu *io = iommu_of(m, "vpci_mock_iommu_map");
    if (!io)
        return -EINVAL;
    if (!range_ok(iova, len) || (pa & PAGE_MASK) || pa >= PA_LIMIT ||
        len > PA_LIMIT - pa || perm == 0 ||
        (perm & ~(VPCI_MOCK_IOMMU_READ | VPCI_MOCK_IOMMU_WRITE))) {
        mock_log(m, VPCI_LOG_ERROR,
                 "vpci_mock_iommu_map: IOVA 0x%llx -> PA 0x%llx, 0x%llx "
                 "bytes, perm 0x%x refused: addresses and length must be "
                 "4 KiB multiples, length > 0, IOVA below 2^48, PA below "
                 "2^52, perm a non-empty set of READ|WRITE",
                 (unsigned long long)iova, (unsigned long long)pa,
                 (unsigned long long)len, perm);
        return -EINVAL;
    }
    const uint64_t end = iova + len;
    const uint64_t l1_span = level_span(2);   /* IOVA one L1 table covers */

    /* Pass 1: every table the range needs, or none of them. */
    struct undo_log u = { 0 };
    for (uint64_t a = iova; a < end; a = (a | (l1_span - 1)) + 1) {
        uint64_t l1;
        int rc = link_path(io, &u, rid, a, &l1);
        if (rc) {
            undo_all(io, &u);
            free(u.v);
            mock_log(m, VPCI_LOG_ERROR,
                     "vpci_mock_iommu_map: %02x:%02x.%u IOVA 0x%llx, 0x%llx "
                     "bytes: %s, nothing mapped",
                     rid >> 8, (rid >> 3) & 0x1f, rid & 7,
                     (unsigned long long)iova, (unsigned long long)len,
                     rc == -ENOMEM ? "the table pool is full: ENOMEM"
                                   : "a table pointer in RAM leads out of "
                                     "RAM: EFAULT");
            return rc;
        }
    }
    free(u.v);

    /* Pass 2: the leaves, one run of entries per level-1 table. */
    uint64_t run[PT_ENTRIES];
    for (uint64_t a = iova; a < end;) {
        uint64_t next = (a | (l1_span - 1)) + 1;
        if (next > end)
            next = end;
        /* Pass 1 linked the path: it cannot be absent, but RAM is the
         * truth, so look rather than assume. */
        uint64_t l1;
        if (!find_l1(io, rid, a, &l1)) {
            a = next;
            continue;
        }
        unsigned first = pt_index(a, 1);
        unsigned n = (unsigned)((next - a) >> PAGE_SHIFT);
        for (unsigned i = 0; i < n; i++)
            run[i] = htole64((pa + (a - iova) + (uint64_t)i * PAGE_SIZE) |
                             perm);
        vpci_mock_memwrite(m, l1 + 8ull * first, run, 8ull * n);
        a = next;
    }
    mock_log(m, VPCI_LOG_TRACE,
             "iommu: map %02x:%02x.%u IOVA 0x%llx -> PA 0x%llx, "
             "0x%llx bytes%s%s",
             rid >> 8, (rid >> 3) & 0x1f, rid & 7, (unsigned long long)iova,
             (unsigned long long)pa, (unsigned long long)len,
             perm & VPCI_MOCK_IOMMU_READ ? " R" : "",
             perm & VPCI_MOCK_IOMMU_WRITE ? " W" : "");
    return 0;
}

/*
 * Clear the leaves of [lo, hi) below the page table at @table of @level,
 * whose entry 0 covers IOVA @base; free the pool's tables this leaves
 * empty.  Returns whether @table itself has no present entry left.
 */
static bool unmap_level(struct mock_iommu *io, uint64_t table, unsigned level,
                        uint64_t base, uint64_t lo, uint64_t hi)
{
    uint64_t t[PT_ENTRIES];
    table_read(io, table, t);
    const uint64_t span = level_span(level);
    unsigned first = pt_index(lo, level), last = pt_index(hi - 1, level);
    for (unsigned i = first; i <= last; i++) {
        if (!(t[i] & ENT_RW))
            continue;
        if (level > 1) {
            uint64_t elo = base + i * span, ehi = elo + span;
            bool empty = unmap_level(io, t[i] & ENT_ADDR, level - 1, elo,
                                     lo > elo ? lo : elo, hi < ehi ? hi : ehi);
            if (!empty || !page_free(io, t[i] & ENT_ADDR))
                continue;
        }
        t[i] = 0;
        ent_write(io, table + 8ull * i, 0);
    }
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (t[i] & ENT_RW)
            return false;
    return true;
}

int vpci_mock_iommu_unmap(struct vpci_mock *m, uint16_t rid, uint64_t iova,
                          uint64_t len)
{
    struct mock_iommu *io = iommu_of(m, "vpci_mock_iommu_unmap");
    if (!io)
        return -EINVAL;
    if (!range_ok(iova, len)) {
        mock_log(m, VPCI_LOG_ERROR,
                 "vpci_mock_iommu_unmap: IOVA 0x%llx, 0x%llx bytes refused: "
                 "address and length must be 4 KiB multiples, length > 0, "
                 "range below 2^48",
                 (unsigned long long)iova, (unsigned long long)len);
        return -EINVAL;
    }
    mock_log(m, VPCI_LOG_TRACE,
             "iommu: unmap %02x:%02x.%u IOVA 0x%llx, 0x%llx bytes", rid >> 8,
             (rid >> 3) & 0x1f, rid & 7, (unsigned long long)iova,
             (unsigned long long)len);
    uint64_t rslot = root_slot(io, rid), re = ent_read(io, rslot);
    if (!(re & ENT_P))
        return 0;
    uint64_t ctx = re & ENT_ADDR, cslot = ctx_slot(ctx, rid);
    uint64_t ce = ent_read(io, cslot);
    if (!(ce & ENT_P))
        return 0;
    if (!unmap_level(io, ce & ENT_ADDR, 4, 0, iova, iova + len) ||
        !page_free(io, ce & ENT_ADDR))
        return 0;
    /* The requester has no mapping left: drop its context entry, and the
     * context table when no devfn of the bus uses it any more. */
    ent_write(io, cslot, 0);
    for (unsigned i = 0; i < CTX_ENTRIES; i++)
        if (ent_read(io, ctx + (uint64_t)i * CTX_ENTRY_SIZE) & ENT_P)
            return 0;
    if (page_free(io, ctx))
        ent_write(io, rslot, 0);
    return 0;
}

int vpci_mock_iommu_translate(struct vpci_mock *m, uint16_t rid,
                              uint64_t iova, unsigned perm, uint64_t *pa)
{
    struct mock_iommu *io = iommu_of(m, "vpci_mock_iommu_translate");
    if (!io)
        return -EINVAL;
    if (perm & ~(VPCI_MOCK_IOMMU_READ | VPCI_MOCK_IOMMU_WRITE)) {
        mock_log(m, VPCI_LOG_ERROR,
                 "vpci_mock_iommu_translate: perm 0x%x is not a set of "
                 "READ|WRITE", perm);
        return -EINVAL;
    }
    return translate(io, rid, iova, perm, pa);
}

unsigned vpci_mock_iommu_faults(const struct vpci_mock *m,
                                struct vpci_mock_fault *out, unsigned max)
{
    /* vpci_mock_get_iommu() does not change the machine. */
    struct mock_iommu *io = m ? vpci_mock_get_iommu((struct vpci_mock *)m)
                              : NULL;
    if (!io)
        return 0;
    unsigned n = io->nfaults < max ? io->nfaults : max;
    if (out && n)
        memcpy(out, io->faults, n * sizeof(*out));
    return io->fault_total;
}

void vpci_mock_iommu_clear_faults(struct vpci_mock *m)
{
    struct mock_iommu *io = m ? vpci_mock_get_iommu(m) : NULL;
    if (!io)
        return;
    io->nfaults = 0;
    io->fault_total = 0;
}
