/* SPDX-License-Identifier: MIT */
/*
 * MSI-X (PCI Local Bus 3.0 section 6.8.2; PCIe 7.7.2): the capability in
 * config space, the table and Pending Bit Array in memory BARs, the
 * function and vector masks, and delivery with the pending bits.
 *
 * Capability: Message Control (Table Size RO, Function Mask RW, Enable RW),
 * Table Offset/BIR and PBA Offset/BIR (RO), 12 bytes.
 *
 * Table and PBA accesses (6.8.2: "software must use aligned full DWORD or
 * aligned full QWORD transactions; otherwise, the result is undefined"):
 * an aligned 4- or 8-byte access works; any other access that touches the
 * table or the PBA reads all ones and writes nothing (with a warning), so
 * it never falls through to what else the BAR holds.  The PBA is read-only:
 * writes are ignored.  In a table entry, Message Address bits 1:0 and the
 * reserved Vector Control bits 31:1 read as 0.
 */
#include "internal.h"

#include <stdlib.h>


#define ENTRY_CTRL_MASK PCI_MSIX_ENTRY_CTRL_MASKBIT

static uint64_t table_size(const struct vpci_msix *m)
{
    return (uint64_t)m->vectors * PCI_MSIX_ENTRY_SIZE;
}

static uint64_t pba_size(unsigned vectors)
{
    return 8 * (((uint64_t)vectors + 63) / 64);
}

static uint16_t msix_control(const struct vpci_dev *dev)
{
    return cfg_get16(dev, dev->msix_cap + PCI_MSIX_FLAGS);
}

static uint8_t *entry(const struct vpci_dev *dev, unsigned v)
{
    return dev->msix.table + (size_t)v * PCI_MSIX_ENTRY_SIZE;
}

static bool vector_masked(const struct vpci_dev *dev, unsigned v)
{
    return le_get32(entry(dev, v) + PCI_MSIX_ENTRY_VECTOR_CTRL) &
           ENTRY_CTRL_MASK;
}

static bool pba_test(const struct vpci_dev *dev, unsigned v)
{
    return (dev->msix.pba[v / 64] >> (v % 64)) & 1;
}

static void pba_set(struct vpci_dev *dev, unsigned v)
{
    dev->msix.pba[v / 64] |= 1ull << (v % 64);
}

static void pba_clear(struct vpci_dev *dev, unsigned v)
{
    dev->msix.pba[v / 64] &= ~(1ull << (v % 64));
}

/* Is [off, off+len) a valid place for this BAR's table or PBA? */
static const char *check_region(const struct vpci_dev *dev, unsigned bar,
                                uint32_t off, uint64_t size)
{
    if (bar >= VPCI_NUM_BARS || (dev->bars[bar].kind != VPCI_BAR_MEM32 &&
                                 dev->bars[bar].kind != VPCI_BAR_MEM64))
        return "is not a declared memory BAR (MEM32 or MEM64)";
    if (off % 8)
        return "offset is not 8-byte aligned";
    if ((uint64_t)off + size > dev->bars[bar].size)
        return "does not fit in the BAR";
    return NULL;
}

int vpci_cap_add_msix(struct vpci_dev *dev, unsigned offset, unsigned vectors,
                      unsigned table_bar, uint32_t table_offset,
                      unsigned pba_bar, uint32_t pba_offset, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_cap_add_msix");
    if (rc)
        return rc;
    if (vectors < 1 || vectors > VPCI_MSIX_MAX) {
        vpci_log(dev, VPCI_LOG_ERROR, "MSI-X: %u vectors: must be 1..%u",
                 vectors, VPCI_MSIX_MAX);
        return -EINVAL;
    }
    uint64_t tsize = (uint64_t)vectors * PCI_MSIX_ENTRY_SIZE;
    uint64_t psize = pba_size(vectors);
    const char *why;
    if ((why = check_region(dev, table_bar, table_offset, tsize))) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "MSI-X: table (%u vectors, 0x%llx bytes) at BAR%u+0x%x: %s",
                 vectors, (unsigned long long)tsize, table_bar, table_offset,
                 why);
        return -EINVAL;
    }
    if ((why = check_region(dev, pba_bar, pba_offset, psize))) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "MSI-X: PBA (0x%llx bytes) at BAR%u+0x%x: %s",
                 (unsigned long long)psize, pba_bar, pba_offset, why);
        return -EINVAL;
    }
    if (table_bar == pba_bar &&
        ranges_overlap(table_offset, tsize, pba_offset, psize)) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "MSI-X: table at BAR%u+0x%x (0x%llx bytes) overlaps the PBA "
                 "at +0x%x (0x%llx bytes)",
                 table_bar, table_offset, (unsigned long long)tsize,
                 pba_offset, (unsigned long long)psize);
        return -EINVAL;
    }
    if (dev->msix_cap) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "MSI-X: a function has one MSI-X capability (already at "
                 "0x%x)", dev->msix_cap);
        return -EEXIST;
    }

    uint8_t *table = malloc(tsize);
    uint64_t *pba = malloc(psize);
    if (!table || !pba) {
        free(table);
        free(pba);
        return -ENOMEM;
    }
    unsigned off;
    rc = vpci_cap_add(dev, PCI_CAP_ID_MSIX, offset, PCI_CAP_MSIX_SIZEOF, &off);
    if (rc) {
        free(table);
        free(pba);
        return rc;
    }
    dev->msix_cap = off;
    dev->msix = (struct vpci_msix){
        .vectors = vectors,
        .table_bar = table_bar,
        .pba_bar = pba_bar,
        .table_offset = table_offset,
        .pba_offset = pba_offset,
        .table = table,
        .pba = pba,
    };
    vpci_msix_reset(dev);
    vpci_cfg_init_field(dev, off + PCI_MSIX_FLAGS, 2, vectors - 1,
                        PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
    vpci_cfg_init_field(dev, off + PCI_MSIX_TABLE, 4, table_offset | table_bar,
                        0, 0);
    vpci_cfg_init_field(dev, off + PCI_MSIX_PBA, 4, pba_offset | pba_bar, 0,
                        0);
    if (out)
        *out = off;
    return 0;
}

void vpci_msix_reset(struct vpci_dev *dev)
{
    struct vpci_msix *m = &dev->msix;
    if (!m->table)
        return;
    /* 6.8.2.9: every vector comes out of reset masked. */
    memset(m->table, 0, table_size(m));
    for (unsigned v = 0; v < m->vectors; v++)
        le_put32(entry(dev, v) + PCI_MSIX_ENTRY_VECTOR_CTRL, ENTRY_CTRL_MASK);
    memset(m->pba, 0, pba_size(m->vectors));
}

void vpci_msix_free(struct vpci_dev *dev)
{
    free(dev->msix.table);
    free(dev->msix.pba);
    dev->msix.table = NULL;
    dev->msix.pba = NULL;
}

/* ---- delivery ---- */

static bool msix_enabled(const struct vpci_dev *dev)
{
    return dev->msix_cap && (msix_control(dev) & PCI_MSIX_FLAGS_ENABLE);
}

static bool function_masked(const struct vpci_dev *dev)
{
    return msix_control(dev) & PCI_MSIX_FLAGS_MASKALL;
}

static void msix_send(struct vpci_dev *dev, unsigned v)
{
    const uint8_t *e = entry(dev, v);
    uint64_t addr = le_get64(e + PCI_MSIX_ENTRY_LOWER_ADDR);
    uint32_t data = le_get32(e + PCI_MSIX_ENTRY_DATA);
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "MSI-X vector %u: sent 0x%x to 0x%llx",
                 v, data, (unsigned long long)addr);
    if (dev->ops && dev->ops->msi_send)
        dev->ops->msi_send(dev->host, dev, addr, data);
}

/* Send vector @v, or hold it in the PBA while masked or bus master off. */
static void msix_fire_vector(struct vpci_dev *dev, unsigned v)
{
    const char *why = function_masked(dev) ? "function masked"
                      : vector_masked(dev, v) ? "vector masked"
                      : !vpci_dev_bus_master(dev) ? "bus master off"
                      : NULL;
    if (why) {
        pba_set(dev, v);
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE, "MSI-X vector %u: held (%s)", v,
                     why);
        return;
    }
    msix_send(dev, v);
}

void vpci_msix_fire(struct vpci_dev *dev, unsigned source)
{
    if (!msix_enabled(dev))
        return;
    msix_fire_vector(dev, source % dev->msix.vectors);
}

/* May pending vectors go out at all now? */
static bool msix_can_deliver(const struct vpci_dev *dev)
{
    return msix_enabled(dev) && !function_masked(dev) &&
           vpci_dev_bus_master(dev);
}

/* 6.8.2.10: a pending vector whose masks clear sends its message and its
 * pending bit clears. */
static void msix_deliver_if_pending(struct vpci_dev *dev, unsigned v)
{
    if (pba_test(dev, v) && !vector_masked(dev, v)) {
        pba_clear(dev, v);
        msix_send(dev, v);
    }
}

void vpci_msix_flush(struct vpci_dev *dev)
{
    if (!msix_can_deliver(dev))
        return;
    const struct vpci_msix *m = &dev->msix;
    for (unsigned w = 0; w < (m->vectors + 63) / 64; w++) {
        uint64_t bits = m->pba[w];
        while (bits) {
            unsigned v = w * 64 + (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            if (v < m->vectors) /* the PBA's last qword may have spare bits */
                msix_deliver_if_pending(dev, v);
        }
    }
}

bool vpci_msix_pending(const struct vpci_dev *dev, unsigned v)
{
    return dev->msix_cap && v < dev->msix.vectors && pba_test(dev, v);
}

void vpci_msix_sync(struct vpci_dev *dev, struct vpci_effects *fx)
{
    if (!dev->msix_cap)
        return;
    bool enable = msix_control(dev) & PCI_MSIX_FLAGS_ENABLE;
    bool fmask = function_masked(dev);
    if (enable != dev->last_msix_enable) {
        vpci_fx_toggle(fx, VPCI_FX_MSIX_ENABLE, enable);
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE, "MSI-X %s",
                     enable ? "enabled" : "disabled");
        dev->last_msix_enable = enable;
    }
    if (fmask != dev->last_msix_fmask) {
        vpci_fx_toggle(fx, VPCI_FX_MSIX_FUNC_MASK, fmask);
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE, "MSI-X function mask %s",
                     fmask ? "set" : "cleared");
        dev->last_msix_fmask = fmask;
    }
    vpci_msix_flush(dev);
}

/* ---- table and PBA through the BAR ---- */

enum region { NOT_OURS, TABLE, PBA };

/*
 * Which MSI-X structure does [off, off+len) of @bar touch?  *rel is the
 * offset inside it; *ok says whether the access is one 6.8.2 allows.
 */
static enum region find_region(const struct vpci_dev *dev, unsigned bar,
                               uint64_t off, unsigned len, uint64_t *rel,
                               bool *ok)
{
    const struct vpci_msix *m = &dev->msix;
    if (!dev->msix_cap || !m->table)
        return NOT_OURS;
    enum region r = NOT_OURS;
    uint64_t base = 0, size = 0;
    if (bar == m->table_bar &&
        ranges_overlap(off, len, m->table_offset, table_size(m))) {
        r = TABLE;
        base = m->table_offset;
        size = table_size(m);
    } else if (bar == m->pba_bar &&
               ranges_overlap(off, len, m->pba_offset, pba_size(m->vectors))) {
        r = PBA;
        base = m->pba_offset;
        size = pba_size(m->vectors);
    }
    if (r == NOT_OURS)
        return r;
    *rel = off - base;
    *ok = off >= base && off + len <= base + size && (len == 4 || len == 8) &&
          *rel % len == 0;
    return r;
}

static void bad_access(struct vpci_dev *dev, bool write, enum region r,
                       unsigned bar, uint64_t off, unsigned len)
{
    vpci_log(dev, VPCI_LOG_WARN,
             "MSI-X %s %s of %u bytes at BAR%u+0x%llx: not an aligned dword "
             "or qword inside it: %s",
             r == TABLE ? "table" : "PBA", write ? "write" : "read", len, bar,
             (unsigned long long)off, write ? "ignored" : "reads all ones");
}

bool vpci_msix_bar_read(struct vpci_dev *dev, unsigned bar, uint64_t off,
                        unsigned len, uint64_t *val)
{
    uint64_t rel = 0;
    bool ok = false;
    enum region r = find_region(dev, bar, off, len, &rel, &ok);
    if (r == NOT_OURS)
        return false;
    if (!ok) {
        bad_access(dev, false, r, bar, off, len);
        *val = len >= 8 ? UINT64_MAX : (1ull << (8 * len)) - 1;
        return true;
    }
    if (r == TABLE) {
        const uint8_t *p = dev->msix.table + rel;
        *val = len == 8 ? le_get64(p) : le_get32(p);
    } else {
        uint64_t q = dev->msix.pba[rel / 8];
        *val = len == 8 ? q : (uint32_t)(q >> (8 * (rel % 8)));
    }
    return true;
}

bool vpci_msix_bar_write(struct vpci_dev *dev, unsigned bar, uint64_t off,
                         unsigned len, uint64_t val)
{
    uint64_t rel = 0;
    bool ok = false;
    enum region r = find_region(dev, bar, off, len, &rel, &ok);
    if (r == NOT_OURS)
        return false;
    if (!ok) {
        bad_access(dev, true, r, bar, off, len);
        return true;
    }
    if (r == PBA) {
        vpci_log(dev, VPCI_LOG_WARN,
                 "MSI-X PBA write at +0x%llx ignored: the PBA is read-only",
                 (unsigned long long)rel);
        return true;
    }
    unsigned v = (unsigned)(rel / PCI_MSIX_ENTRY_SIZE);
    unsigned field = (unsigned)(rel % PCI_MSIX_ENTRY_SIZE);
    uint8_t *e = entry(dev, v);
    bool was_masked = vector_masked(dev, v);
    if (len == 8)
        le_put64(e + field, val);
    else
        le_put32(e + field, (uint32_t)val);
    /* Message Address bits 1:0 and Vector Control bits 31:1 read as 0. */
    le_put32(e + PCI_MSIX_ENTRY_LOWER_ADDR,
             le_get32(e + PCI_MSIX_ENTRY_LOWER_ADDR) & ~3u);
    le_put32(e + PCI_MSIX_ENTRY_VECTOR_CTRL,
             le_get32(e + PCI_MSIX_ENTRY_VECTOR_CTRL) & ENTRY_CTRL_MASK);
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE,
                 "MSI-X table[%u] +0x%x [%u] = 0x%llx", v, field, len,
                 (unsigned long long)val);
    if (was_masked && !vector_masked(dev, v) && msix_can_deliver(dev))
        msix_deliver_if_pending(dev, v);
    return true;
}
