/* SPDX-License-Identifier: MIT */
/*
 * Register files: a model's BAR registers declared as a table
 * (include/vpci/regfile.h).
 *
 * At attach time the table is checked and flattened: every register, and
 * every element of an array register, becomes one instance holding its
 * current value.  A guest access of 1, 2, 4 or 8 bytes at any offset is
 * cut byte-range-wise into one sub-access per register it touches (a
 * qword may merge two dword registers, a misaligned word may straddle
 * two), and each sub-access applies the register's access kind to the
 * lanes it covers.  Bytes no register covers are holes.
 *
 * Lookup (offset -> instance) is a direct table, one uint16_t per byte of
 * the span holding instance index + 1 (0 = hole): bench/bench_regfile.c
 * measures it against uthash and a binary search.  Very large spans
 * (over 1 MiB) or tables of 65535+ instances fall back to binary search
 * over the instances sorted by offset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define RF_TABLE_MAX_SPAN (1u << 20) /* direct table up to 1 MiB offsets */
#define RF_TABLE_MAX_INST 0xfffeu    /* index + 1 must fit a uint16_t */
#define RF_ALL_WIDTHS (VPCI_W1 | VPCI_W2 | VPCI_W4 | VPCI_W8)

/* One register, or one element of an array register. */
struct rf_inst {
    uint64_t value;
    const struct vpci_reg *reg;
    uint32_t offset;            /* in the file */
    uint16_t index;             /* array element */
    uint8_t width;
    uint8_t widths;             /* accepted access widths, resolved */
};

/* Binary-search key: an instance's offset next to its index. */
struct rf_key {
    uint32_t offset;
    uint32_t inst;
};

struct vpci_regfile {
    struct vpci_dev *dev;
    const struct vpci_regfile_desc *desc;
    void *opaque;
    unsigned bar;
    uint64_t base, span;
    uint8_t hole_widths;        /* accepted widths starting in a hole */
    struct rf_inst *inst;       /* declaration order (state image order) */
    size_t ninst;
    struct rf_key *sorted;      /* instances sorted by offset */
    uint16_t *table;            /* per byte: instance index + 1; may be NULL */
    struct vpci_regfile_stats stats;
    struct vpci_regfile *bar_next, *dev_next;
};

static inline uint64_t width_mask(unsigned width)
{
    return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (width * 8)) - 1;
}

/* Mask of @len bytes starting at byte @byte. */
static inline uint64_t lane_mask(unsigned byte, unsigned len)
{
    return width_mask(len) << (byte * 8);
}

static const char *rf_label(const struct vpci_regfile_desc *desc)
{
    return desc->name ? desc->name : "regfile";
}

/* ---- lookup ---- */

/* Index + 1 of the instance covering file offset @off, 0 for a hole. */
static inline size_t rf_find(const struct vpci_regfile *rf, uint64_t off)
{
    if (rf->table)
        return off < rf->span ? rf->table[off] : 0;

    /* last instance starting at or before @off */
    size_t lo = 0, hi = rf->ninst;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rf->sorted[mid].offset <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    size_t i = rf->sorted[lo - 1].inst;
    return off < (uint64_t)rf->inst[i].offset + rf->inst[i].width ? i + 1 : 0;
}

/* The instance starting exactly at @off, or NULL. */
static struct rf_inst *rf_exact(const struct vpci_regfile *rf, uint32_t off)
{
    size_t i = rf_find(rf, off);
    if (!i || rf->inst[i - 1].offset != off)
        return NULL;
    return &rf->inst[i - 1];
}

/* ---- attach ---- */

static int cmp_key(const void *a, const void *b)
{
    const struct rf_key *ka = a, *kb = b;
    if (ka->offset != kb->offset)
        return ka->offset < kb->offset ? -1 : 1;
    return ka->inst < kb->inst ? -1 : ka->inst > kb->inst;
}

static void log_reg(struct vpci_dev *dev, const struct vpci_regfile_desc *desc,
                    const struct vpci_reg *reg, const char *why)
{
    vpci_log(dev, VPCI_LOG_ERROR, "%s: register %s at 0x%" PRIx32 ": %s",
             rf_label(desc), reg->name ? reg->name : "(unnamed)", reg->offset,
             why);
}

/* End of a register (of its last element for an array). */
static uint64_t reg_end(const struct vpci_reg *r)
{
    return (uint64_t)r->offset + (uint64_t)(r->count ? r->count : 1) * r->width;
}

/* The register that ends last: the one to name when the file is too big. */
static const struct vpci_reg *last_reg(const struct vpci_regfile_desc *desc)
{
    const struct vpci_reg *last = NULL;
    for (size_t i = 0; i < desc->nregs; i++)
        if (!last || reg_end(&desc->regs[i]) > reg_end(last))
            last = &desc->regs[i];
    return last;
}

/* Check each table entry on its own; count the instances. */
static int check_regs(struct vpci_dev *dev,
                      const struct vpci_regfile_desc *desc, size_t *ninst,
                      uint64_t *end)
{
    char why[96];

    *ninst = 0;
    *end = 0;
    for (size_t i = 0; i < desc->nregs; i++) {
        const struct vpci_reg *r = &desc->regs[i];
        unsigned count = r->count ? r->count : 1;

        if (r->width != 1 && r->width != 2 && r->width != 4 && r->width != 8) {
            snprintf(why, sizeof(why), "width %u is not 1, 2, 4 or 8",
                     r->width);
            log_reg(dev, desc, r, why);
            return -EINVAL;
        }
        if (r->offset % r->width) {
            snprintf(why, sizeof(why), "offset not aligned to its width %u",
                     r->width);
            log_reg(dev, desc, r, why);
            return -EINVAL;
        }
        if ((unsigned)r->access > VPCI_RSVD) {
            snprintf(why, sizeof(why), "unknown access kind %u",
                     (unsigned)r->access);
            log_reg(dev, desc, r, why);
            return -EINVAL;
        }
        if (r->widths & ~RF_ALL_WIDTHS) {
            snprintf(why, sizeof(why), "access widths 0x%x not within 1|2|4|8",
                     r->widths);
            log_reg(dev, desc, r, why);
            return -EINVAL;
        }
        uint64_t rend = reg_end(r);
        if (rend > UINT32_MAX + UINT64_C(1)) {
            log_reg(dev, desc, r, "array runs past 4 GiB");
            return -EINVAL;
        }
        if (rend > *end)
            *end = rend;
        *ninst += count;
    }
    return 0;
}

/* Instances sorted by offset: adjacent ones must not overlap. */
static int check_overlaps(struct vpci_dev *dev, struct vpci_regfile *rf)
{
    for (size_t k = 1; k < rf->ninst; k++) {
        const struct rf_inst *a = &rf->inst[rf->sorted[k - 1].inst];
        const struct rf_inst *b = &rf->inst[rf->sorted[k].inst];
        if ((uint64_t)a->offset + a->width <= b->offset)
            continue;
        vpci_log(dev, VPCI_LOG_ERROR,
                 "%s: register %s at 0x%" PRIx32 " overlaps %s at 0x%" PRIx32,
                 rf_label(rf->desc), b->reg->name ? b->reg->name : "(unnamed)",
                 b->offset, a->reg->name ? a->reg->name : "(unnamed)",
                 a->offset);
        return -EINVAL;
    }
    return 0;
}

static int build_lookup(struct vpci_regfile *rf)
{
    rf->sorted = malloc((rf->ninst ? rf->ninst : 1) * sizeof(*rf->sorted));
    if (!rf->sorted)
        return -ENOMEM;
    for (size_t i = 0; i < rf->ninst; i++)
        rf->sorted[i] = (struct rf_key){ rf->inst[i].offset, (uint32_t)i };
    qsort(rf->sorted, rf->ninst, sizeof(*rf->sorted), cmp_key);

    if (rf->span > RF_TABLE_MAX_SPAN || rf->ninst > RF_TABLE_MAX_INST)
        return 0; /* binary search over rf->sorted */
    rf->table = calloc(rf->span, sizeof(*rf->table));
    if (!rf->table)
        return -ENOMEM;
    return 0;
}

static void fill_table(struct vpci_regfile *rf)
{
    if (!rf->table)
        return;
    for (size_t i = 0; i < rf->ninst; i++)
        for (unsigned b = 0; b < rf->inst[i].width; b++)
            rf->table[rf->inst[i].offset + b] = (uint16_t)(i + 1);
}

/* Which BAR a file may live in; the message says why not. */
static int check_bar(struct vpci_dev *dev, const struct vpci_regfile_desc *desc,
                     unsigned bar, uint64_t base, uint64_t span)
{
    if (bar == VPCI_REGFILE_NO_BAR)
        return 0;
    if (bar >= VPCI_NUM_BARS || dev->bars[bar].kind == VPCI_BAR_NONE) {
        vpci_log(dev, VPCI_LOG_ERROR, "%s: BAR %u is not a declared BAR",
                 rf_label(desc), bar);
        return -EINVAL;
    }
    uint64_t size = dev->bars[bar].size;
    if (base > size || span > size - base) {
        const struct vpci_reg *r = last_reg(desc);
        if (r && base <= size && reg_end(r) > size - base) {
            char why[96];
            snprintf(why, sizeof(why),
                     "ends past BAR %u (0x%" PRIx64 " bytes) at base 0x%" PRIx64,
                     bar, size, base);
            log_reg(dev, desc, r, why);
        } else {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: 0x%" PRIx64 " bytes at 0x%" PRIx64
                     " do not fit BAR %u (0x%" PRIx64 " bytes)",
                     rf_label(desc), span, base, bar, size);
        }
        return -EINVAL;
    }
    for (const struct vpci_regfile *o = dev->bars[bar].regfiles; o;
         o = o->bar_next) {
        if (ranges_overlap(base, span, o->base, o->span)) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: [0x%" PRIx64 ", 0x%" PRIx64 ") of BAR %u overlaps "
                     "register file %s",
                     rf_label(desc), base, base + span, bar,
                     rf_label(o->desc));
            return -EBUSY;
        }
    }
    return 0;
}

static void link_file(struct vpci_dev *dev, struct vpci_regfile *rf)
{
    struct vpci_regfile **pp;

    if (rf->bar != VPCI_REGFILE_NO_BAR) {
        for (pp = &dev->bars[rf->bar].regfiles; *pp && (*pp)->base < rf->base;
             pp = &(*pp)->bar_next)
            ;
        rf->bar_next = *pp;
        *pp = rf;
    }
    /* attach order, which is also the order of the saved state */
    for (pp = &dev->regfiles; *pp; pp = &(*pp)->dev_next)
        ;
    *pp = rf;
}

int vpci_regfile_attach(struct vpci_dev *dev, unsigned bar, uint64_t base,
                        const struct vpci_regfile_desc *desc, void *opaque,
                        struct vpci_regfile **out)
{
    int rc = vpci_require_init(dev, "vpci_regfile_attach");
    if (rc)
        return rc;
    if (!desc || (desc->nregs && !desc->regs)) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_regfile_attach: no descriptor or no register table");
        return -EINVAL;
    }
    if ((desc->widths & ~RF_ALL_WIDTHS)) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "%s: access widths 0x%x not within 1|2|4|8", rf_label(desc),
                 desc->widths);
        return -EINVAL;
    }

    size_t ninst;
    uint64_t end;
    rc = check_regs(dev, desc, &ninst, &end);
    if (rc)
        return rc;

    uint64_t span = desc->size ? desc->size : end;
    if (span == 0) {
        vpci_log(dev, VPCI_LOG_ERROR, "%s: empty register file",
                 rf_label(desc));
        return -EINVAL;
    }
    if (end > span) {
        char why[64];
        snprintf(why, sizeof(why), "ends past the file size 0x%" PRIx64, span);
        log_reg(dev, desc, last_reg(desc), why);
        return -EINVAL;
    }
    rc = check_bar(dev, desc, bar, base, span);
    if (rc)
        return rc;

    struct vpci_regfile *rf = calloc(1, sizeof(*rf));
    if (!rf)
        return -ENOMEM;
    rf->dev = dev;
    rf->desc = desc;
    rf->opaque = opaque;
    rf->bar = bar;
    rf->base = base;
    rf->span = span;
    rf->hole_widths = desc->widths ? desc->widths : RF_ALL_WIDTHS;
    rf->ninst = ninst;
    rf->inst = calloc(ninst ? ninst : 1, sizeof(*rf->inst));
    if (!rf->inst) {
        vpci_regfile_free(rf);
        return -ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < desc->nregs; i++) {
        const struct vpci_reg *r = &desc->regs[i];
        unsigned count = r->count ? r->count : 1;
        for (unsigned e = 0; e < count; e++, n++) {
            rf->inst[n].reg = r;
            rf->inst[n].offset = r->offset + e * r->width;
            rf->inst[n].index = (uint16_t)e;
            rf->inst[n].width = r->width;
            rf->inst[n].widths = r->widths ? r->widths : rf->hole_widths;
        }
    }

    rc = build_lookup(rf);
    if (!rc)
        rc = check_overlaps(dev, rf);
    if (rc) {
        if (rc == -ENOMEM)
            vpci_log(dev, VPCI_LOG_ERROR, "%s: out of memory",
                     rf_label(desc));
        vpci_regfile_free(rf);
        return rc;
    }
    fill_table(rf);
    vpci_regfile_reset(rf);
    link_file(dev, rf);
    if (out)
        *out = rf;
    return 0;
}

/* ---- guest accesses ---- */

/* What one access did to one register (or hole), for the trace line. */
struct rf_piece {
    size_t inst;        /* index + 1; 0 = hole */
    unsigned byte, len; /* within the register (hole: file offset in byte) */
    uint64_t old, value;
    bool ignored;
};

struct rf_trace {
    unsigned n;
    struct rf_piece p[8];
};

static void trace_piece(struct rf_trace *t, size_t inst, unsigned byte,
                        unsigned len, uint64_t old, uint64_t value,
                        bool ignored)
{
    if (!t || t->n >= VPCI_ARRAY_SIZE(t->p))
        return;
    t->p[t->n++] = (struct rf_piece){ inst, byte, len, old, value, ignored };
}

/* Append printf-style to a fixed buffer, truncating quietly. */
static void buf_add(char *buf, size_t size, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void buf_add(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
    if (*pos >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos += (size_t)n;
}

/* "NAME", "NAME[3]", "NAME+0x2", "hole 0x1f0" */
static void add_where(const struct vpci_regfile *rf, const struct rf_piece *p,
                      char *buf, size_t size, size_t *pos)
{
    if (!p->inst) {
        buf_add(buf, size, pos, "hole 0x%x", p->byte);
        return;
    }
    const struct rf_inst *in = &rf->inst[p->inst - 1];
    if (in->reg->name)
        buf_add(buf, size, pos, "%s", in->reg->name);
    else
        buf_add(buf, size, pos, "0x%" PRIx32, in->reg->offset);
    if ((in->reg->count ? in->reg->count : 1) > 1)
        buf_add(buf, size, pos, "[%u]", in->index);
    if (p->byte)
        buf_add(buf, size, pos, "+0x%x", p->byte);
}

static void trace_access(const struct vpci_regfile *rf, bool write,
                         unsigned len, uint64_t val,
                         const struct rf_trace *t)
{
    char buf[320];
    size_t pos = 0;
    unsigned stored = 0; /* pieces that stored something */

    buf_add(buf, sizeof(buf), &pos, "%s %s ", rf_label(rf->desc),
            write ? "write" : "read");
    for (unsigned i = 0; i < t->n; i++) {
        if (i)
            buf_add(buf, sizeof(buf), &pos, ",");
        add_where(rf, &t->p[i], buf, sizeof(buf), &pos);
        if (!t->p[i].ignored)
            stored++;
    }
    buf_add(buf, sizeof(buf), &pos, " [%u] %s 0x%" PRIx64, len,
            write ? "=" : "->", val);
    if (write && !stored) {
        buf_add(buf, sizeof(buf), &pos, " ignored");
    } else if (write) {
        buf_add(buf, sizeof(buf), &pos, " (");
        bool first = true;
        for (unsigned i = 0; i < t->n; i++) {
            const struct rf_piece *p = &t->p[i];
            if (p->ignored)
                continue;
            if (!first)
                buf_add(buf, sizeof(buf), &pos, ", ");
            if (stored > 1) {
                add_where(rf, p, buf, sizeof(buf), &pos);
                buf_add(buf, sizeof(buf), &pos, ": ");
            }
            buf_add(buf, sizeof(buf), &pos, "0x%" PRIx64 " -> 0x%" PRIx64,
                    p->old, p->value);
            first = false;
        }
        buf_add(buf, sizeof(buf), &pos, ")");
    }
    vpci_log(rf->dev, VPCI_LOG_TRACE, "%s", buf);
}

static void trace_rejected(const struct vpci_regfile *rf, bool write,
                           uint64_t offset, unsigned len, uint64_t val)
{
    if (write)
        vpci_log(rf->dev, VPCI_LOG_TRACE,
                 "%s write 0x%" PRIx64 " [%u] = 0x%" PRIx64 " rejected",
                 rf_label(rf->desc), offset, len, val);
    else
        vpci_log(rf->dev, VPCI_LOG_TRACE,
                 "%s read 0x%" PRIx64 " [%u] rejected -> 0x%" PRIx64,
                 rf_label(rf->desc), offset, len, val);
}

/*
 * Is this access acceptable?  Width and span always; the accepted widths
 * are the first touched register's, else the file's; desc.aligned adds
 * natural alignment.
 */
static bool rf_accept(const struct vpci_regfile *rf, uint64_t offset,
                      unsigned len)
{
    if (len != 1 && len != 2 && len != 4 && len != 8)
        return false;
    if (offset >= rf->span || len > rf->span - offset)
        return false;
    if (rf->desc->aligned && offset % len)
        return false;

    unsigned widths = rf->hole_widths;
    for (unsigned p = 0; p < len; p++) {
        size_t i = rf_find(rf, offset + p);
        if (i) {
            widths = rf->inst[i - 1].widths;
            break;
        }
    }
    return (widths & len) != 0;
}

static void fill_access(struct vpci_regfile *rf, size_t i, unsigned byte,
                        unsigned len, struct vpci_reg_access *a)
{
    const struct rf_inst *in = &rf->inst[i];
    *a = (struct vpci_reg_access){
        .dev = rf->dev,
        .opaque = rf->opaque,
        .rf = rf,
        .reg = in->reg,
        .index = in->index,
        .offset = in->offset,
        .byte = byte,
        .len = len,
        .lanes = lane_mask(byte, len),
        .old = in->value,
        .value = in->value,
    };
}

/* Read @len bytes at @byte of instance @i: the whole presented value. */
static inline uint64_t reg_read(struct vpci_regfile *rf, size_t i,
                                unsigned byte, unsigned len,
                                struct rf_trace *t)
{
    const struct vpci_reg *reg = rf->inst[i].reg;
    struct vpci_reg_access a;
    uint64_t v;

    switch (reg->access) {
    case VPCI_WO:
        v = rf->desc->wo_read;
        break;
    case VPCI_RSVD:
        v = 0;
        break;
    default:
        if (reg->on_read) {
            fill_access(rf, i, byte, len, &a);
            v = reg->on_read(&a);
        } else {
            v = rf->inst[i].value;
        }
        if (reg->access == VPCI_RC)
            rf->inst[i].value = 0; /* the whole register, after the read */
        break;
    }
    v &= width_mask(rf->inst[i].width);
    trace_piece(t, i + 1, byte, len, v, v, false);
    return v;
}

/*
 * Write @data (already in register position) to the @len bytes at @byte
 * of instance @i.  Returns false when the kind ignores writes.
 */
static inline bool reg_write(struct vpci_regfile *rf, size_t i,
                             unsigned byte, unsigned len, uint64_t data,
                             struct rf_trace *t)
{
    const struct vpci_reg *reg = rf->inst[i].reg;
    uint64_t wm = width_mask(rf->inst[i].width);
    uint64_t m = lane_mask(byte, len) & (reg->wmask ? reg->wmask : wm);
    uint64_t old = rf->inst[i].value, value;

    switch (reg->access) {
    case VPCI_RW:
    case VPCI_WO:
        value = (old & ~m) | (data & m);
        break;
    case VPCI_W1C:
        value = old & ~(data & m);
        break;
    case VPCI_W1S:
        value = old | (data & m);
        break;
    default: /* RO, RC, RSVD */
        trace_piece(t, i + 1, byte, len, old, old, true);
        return false;
    }
    value &= wm;
    rf->inst[i].value = value;
    trace_piece(t, i + 1, byte, len, old, value, false);

    if (reg->on_write) {
        struct vpci_reg_access a;
        fill_access(rf, i, byte, len, &a);
        a.old = old;
        a.value = value;
        a.data = data;
        /* may re-enter: only indices are held across the call */
        reg->on_write(&a);
    }
    return true;
}

/*
 * The common case: an untraced access of exactly one whole register, at
 * a width it accepts.  Returns its instance index + 1, or 0 for the
 * general path (which gives the same result, only slower).
 */
static inline size_t rf_whole_reg(const struct vpci_regfile *rf,
                                  uint64_t offset, unsigned len)
{
    if (offset >= rf->span || vpci_tracing(rf->dev))
        return 0;
    size_t i = rf_find(rf, offset);
    if (!i)
        return 0;
    const struct rf_inst *in = &rf->inst[i - 1];
    /* registers are aligned to their width, so this is aligned too */
    return in->offset == offset && in->width == len && (in->widths & len)
               ? i
               : 0;
}

/* Everything but the common case: rejects, holes, splits, tracing. */
__attribute__((noinline)) static uint64_t
rf_read_general(struct vpci_regfile *rf, uint64_t offset, unsigned len)
{
    bool tracing = vpci_tracing(rf->dev);

    if (!rf_accept(rf, offset, len)) {
        uint64_t v = rf->desc->bad_read &
                     (len < 8 ? width_mask(len) : UINT64_MAX);
        rf->stats.rejected++;
        if (tracing)
            trace_rejected(rf, false, offset, len, v);
        return v;
    }

    struct rf_trace t;
    t.n = 0; /* pieces are filled only when tracing */
    struct rf_trace *tp = tracing ? &t : NULL;
    bool hole = false, reg = false;
    uint64_t val = 0;

    for (unsigned p = 0; p < len;) {
        uint64_t off = offset + p;
        size_t i = rf_find(rf, off);
        if (!i) {
            uint64_t b = (rf->desc->hole_read >> ((off % 8) * 8)) & 0xff;
            val |= b << (p * 8);
            if (tp && (!t.n || t.p[t.n - 1].inst))
                trace_piece(tp, 0, (unsigned)off, 1, 0, 0, true);
            hole = true;
            p++;
            continue;
        }
        const struct rf_inst *in = &rf->inst[i - 1];
        unsigned byte = (unsigned)(off - in->offset);
        unsigned n = in->width - byte;
        if (n > len - p)
            n = len - p;
        uint64_t v = reg_read(rf, i - 1, byte, n, tp);
        val |= ((v >> (byte * 8)) & width_mask(n)) << (p * 8);
        reg = true;
        p += n;
    }
    if (reg)
        rf->stats.reads++;
    if (hole)
        rf->stats.hole_reads++;
    if (tracing)
        trace_access(rf, false, len, val, &t);
    return val;
}

__attribute__((noinline)) static void
rf_write_general(struct vpci_regfile *rf, uint64_t offset, unsigned len,
                 uint64_t val)
{
    bool tracing = vpci_tracing(rf->dev);

    if (!rf_accept(rf, offset, len)) {
        rf->stats.rejected++;
        if (tracing)
            trace_rejected(rf, true, offset, len, val);
        return;
    }
    if (len < 8)
        val &= width_mask(len);

    struct rf_trace t;
    t.n = 0; /* pieces are filled only when tracing */
    struct rf_trace *tp = tracing ? &t : NULL;
    bool hole = false, reg = false, ignored = false;

    for (unsigned p = 0; p < len;) {
        uint64_t off = offset + p;
        size_t i = rf_find(rf, off);
        if (!i) {
            if (tp && (!t.n || t.p[t.n - 1].inst))
                trace_piece(tp, 0, (unsigned)off, 1, 0, 0, true);
            hole = true;
            p++;
            continue;
        }
        const struct rf_inst *in = &rf->inst[i - 1];
        unsigned byte = (unsigned)(off - in->offset);
        unsigned n = in->width - byte;
        if (n > len - p)
            n = len - p;
        uint64_t data = ((val >> (p * 8)) & width_mask(n)) << (byte * 8);
        if (!reg_write(rf, i - 1, byte, n, data, tp))
            ignored = true;
        reg = true;
        p += n;
    }
    if (reg)
        rf->stats.writes++;
    if (ignored)
        rf->stats.ignored_writes++;
    if (hole)
        rf->stats.hole_writes++;
    if (tracing)
        trace_access(rf, true, len, val, &t);
}

uint64_t vpci_regfile_read(struct vpci_regfile *rf, uint64_t offset,
                           unsigned len)
{
    size_t whole = rf_whole_reg(rf, offset, len);
    if (!whole)
        return rf_read_general(rf, offset, len);
    uint64_t v = reg_read(rf, whole - 1, 0, len, NULL);
    rf->stats.reads++;
    return v;
}

void vpci_regfile_write(struct vpci_regfile *rf, uint64_t offset, unsigned len,
                        uint64_t val)
{
    size_t whole = rf_whole_reg(rf, offset, len);
    if (!whole) {
        rf_write_general(rf, offset, len, val);
        return;
    }
    if (len < 8)
        val &= width_mask(len);
    if (!reg_write(rf, whole - 1, 0, len, val, NULL))
        rf->stats.ignored_writes++;
    rf->stats.writes++;
}

/* ---- model side ---- */

uint64_t vpci_reg_get(const struct vpci_regfile *rf, uint32_t offset)
{
    const struct rf_inst *in = rf ? rf_exact(rf, offset) : NULL;
    return in ? in->value : 0;
}

int vpci_reg_set(struct vpci_regfile *rf, uint32_t offset, uint64_t val)
{
    struct rf_inst *in = rf ? rf_exact(rf, offset) : NULL;
    if (!in)
        return -EINVAL;
    in->value = val & width_mask(in->width);
    return 0;
}

const char *vpci_reg_name(const struct vpci_regfile *rf, uint32_t offset)
{
    size_t i = rf ? rf_find(rf, offset) : 0;
    return i ? rf->inst[i - 1].reg->name : NULL;
}

void vpci_regfile_get_stats(const struct vpci_regfile *rf,
                            struct vpci_regfile_stats *stats)
{
    if (!stats)
        return;
    if (!rf) {
        memset(stats, 0, sizeof(*stats));
        return;
    }
    *stats = rf->stats;
}

const char *vpci_access_name(enum vpci_access access)
{
    static const char *const names[] = {
        [VPCI_RO] = "RO",   [VPCI_RW] = "RW",   [VPCI_WO] = "WO",
        [VPCI_W1C] = "W1C", [VPCI_W1S] = "W1S", [VPCI_RC] = "RC",
        [VPCI_RSVD] = "RSVD",
    };
    if ((unsigned)access >= VPCI_ARRAY_SIZE(names))
        return "?";
    return names[access];
}

/* ---- internals for dev.c and bar.c ---- */

void vpci_regfile_reset(struct vpci_regfile *rf)
{
    for (size_t i = 0; i < rf->ninst; i++)
        rf->inst[i].value = rf->inst[i].reg->reset &
                            width_mask(rf->inst[i].width);
}

void vpci_regfile_free(struct vpci_regfile *rf)
{
    if (!rf)
        return;
    free(rf->table);
    free(rf->sorted);
    free(rf->inst);
    free(rf);
}

struct vpci_regfile *vpci_regfile_bar_next(const struct vpci_regfile *rf)
{
    return rf->bar_next;
}

struct vpci_regfile *vpci_regfile_dev_next(const struct vpci_regfile *rf)
{
    return rf->dev_next;
}

uint64_t vpci_regfile_base(const struct vpci_regfile *rf)
{
    return rf->base;
}

uint64_t vpci_regfile_span(const struct vpci_regfile *rf)
{
    return rf->span;
}

uint64_t vpci_regfile_hole_value(const struct vpci_regfile *rf)
{
    return rf->desc->hole_read;
}

size_t vpci_regfile_state_size(const struct vpci_regfile *rf)
{
    size_t size = 0;
    for (size_t i = 0; i < rf->ninst; i++)
        size += rf->inst[i].width;
    return size;
}

void vpci_regfile_state_save(const struct vpci_regfile *rf, uint8_t *out)
{
    for (size_t i = 0; i < rf->ninst; i++)
        for (unsigned b = 0; b < rf->inst[i].width; b++)
            *out++ = (uint8_t)(rf->inst[i].value >> (b * 8));
}

void vpci_regfile_state_load(struct vpci_regfile *rf, const uint8_t *in)
{
    for (size_t i = 0; i < rf->ninst; i++) {
        uint64_t v = 0;
        for (unsigned b = 0; b < rf->inst[i].width; b++)
            v |= (uint64_t)*in++ << (b * 8);
        rf->inst[i].value = v;
    }
}

const char *vpci_regfile_name(const struct vpci_regfile *rf)
{
    return rf_label(rf->desc);
}
