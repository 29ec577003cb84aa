/* SPDX-License-Identifier: MIT */
/*
 * Save and restore of a whole function as one byte blob.
 *
 * Blob format, version 1.  Every integer is little endian; a "name" is a
 * u16 byte count followed by that many bytes (no NUL).
 *
 *   header
 *     0   8  magic "VPCISTAT"
 *     8   2  format version (1; a newer one is refused with -EPROTO)
 *    10   2  flags (none defined: any bit set is a newer format, -EPROTO)
 *    12   4  config space size of the function (256 or 4096)
 *    16   8  total length of the blob in bytes
 *    24   4  CRC-32 (zlib's: ~vpci_crc32_le(~0, ...)) of every byte of the
 *            blob except these four
 *    28      model name
 *   then sections, each: u32 tag, u64 payload length, payload.  Every
 *   section below is present exactly once (a list may be empty), in any
 *   order; an unknown tag is refused.
 *     "CONF"  config space: cfg_size bytes, then a u32 CRC-32 of the
 *             function's layout (its wmask, w1cmask and used arrays)
 *     "BARS"  u32 slot count (7: BARs 0..5, ROM), then per slot: u8 kind,
 *             u8 flags (bit 0 prefetchable, bit 1 low dword pending,
 *             bit 2 mapped), u64 size, u64 address it is mapped at.  Decode
 *             is recomputed from config space; kind and size identify the
 *             layout; a 64-bit BAR whose low dword was written and high
 *             dword not yet keeps its old mapping, hence the last two.
 *     "RAM "  u32 count, then per BAR backed by RAM (vpci_bar_set_ram):
 *             u8 slot, u64 size, the contents.  ROM images are not state.
 *     "MSIX"  u32 vector count (0: no MSI-X), the table (16 bytes per
 *             vector), the PBA as u64 words (one bit per vector)
 *     "IRQ "  u32 word count (32), the interrupt source levels as u64
 *             words, u32 MSI vectors held while bus master was off
 *     "REGS"  u32 count, then per register file in creation order: name,
 *             u64 size, vpci_regfile_state_save() bytes
 *     "TIMR"  u32 count, then per timer in creation order: name, u8 armed,
 *             u64 absolute deadline on the host clock
 *     "MODL"  u32 count, then per model state field (model->state): name,
 *             u64 size, the bytes at priv + offset
 *
 * Load checks everything before it changes anything: magic, version,
 * flags, length, CRC, model name, config size, the layout (config masks,
 * identity registers, BAR kinds and sizes, RAM BARs, MSI-X vector count,
 * register file, timer and state field names and sizes), and that every
 * section holds exactly what it should.  A blob failing any of it is
 * refused with a message and the function is left as it was.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define STATE_MAGIC "VPCISTAT"
#define STATE_MAGIC_LEN 8u
#define STATE_VERSION 1u
#define OFF_VERSION 8u
#define OFF_FLAGS 10u
#define OFF_CFG_SIZE 12u
#define OFF_LENGTH 16u
#define OFF_CRC 24u
#define OFF_NAME 28u
#define HDR_FIXED (OFF_NAME + 2u)   /* up to the model name's bytes */
#define SEC_HDR 12u                 /* tag + length */
#define NAME_MAX_LEN 0xffffu

#define BAR_F_PREFETCH 0x1u
#define BAR_F_LO_PENDING 0x2u
#define BAR_F_MAPPED 0x4u
#define BAR_F_ALL (BAR_F_PREFETCH | BAR_F_LO_PENDING | BAR_F_MAPPED)
#define IRQ_WORDS (VPCI_IRQ_MAX_SOURCES / 64)

#define TAG(a, b, c, d)                                                     \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |             \
     (uint32_t)(d) << 24)

enum sec_id { SEC_CONF, SEC_BARS, SEC_RAM, SEC_MSIX, SEC_IRQ, SEC_REGS,
              SEC_TIMR, SEC_MODL, SEC_COUNT };

static const struct {
    uint32_t tag;
    const char *name;
} sec_tags[SEC_COUNT] = {
    [SEC_CONF] = { TAG('C', 'O', 'N', 'F'), "CONF" },
    [SEC_BARS] = { TAG('B', 'A', 'R', 'S'), "BARS" },
    [SEC_RAM] = { TAG('R', 'A', 'M', ' '), "RAM" },
    [SEC_MSIX] = { TAG('M', 'S', 'I', 'X'), "MSIX" },
    [SEC_IRQ] = { TAG('I', 'R', 'Q', ' '), "IRQ" },
    [SEC_REGS] = { TAG('R', 'E', 'G', 'S'), "REGS" },
    [SEC_TIMR] = { TAG('T', 'I', 'M', 'R'), "TIMR" },
    [SEC_MODL] = { TAG('M', 'O', 'D', 'L'), "MODL" },
};

/* ---- what the function's layout says ---- */

static size_t name_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > NAME_MAX_LEN ? NAME_MAX_LEN : n;
}

static uint32_t layout_crc(const struct vpci_dev *dev)
{
    uint32_t crc = vpci_crc32_le(~0u, dev->wmask, dev->cfg_size);
    crc = vpci_crc32_le(crc, dev->w1cmask, dev->cfg_size);
    crc = vpci_crc32_le(crc, dev->used, dev->cfg_size);
    return ~crc;
}

static bool bar_has_ram(const struct vpci_dev *dev, unsigned i)
{
    return i < VPCI_ROM_BAR && dev->bars[i].ram &&
           dev->bars[i].kind != VPCI_BAR_NONE;
}

static unsigned msix_vectors(const struct vpci_dev *dev)
{
    return dev->msix.table ? dev->msix.vectors : 0;
}

static size_t pba_words(unsigned vectors)
{
    return (vectors + 63u) / 64u;
}

static const struct vpci_state_field *fields(const struct vpci_dev *dev)
{
    return dev->model->state;
}

/* A model's state fields must lie inside its private struct. */
static int check_fields(const struct vpci_dev *dev, const char *what)
{
    const struct vpci_state_field *f = fields(dev);
    for (; f && f->name; f++) {
        if (!dev->priv || f->offset > dev->model->priv_size ||
            f->size > dev->model->priv_size - f->offset) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: model %s: state field %s (%zu bytes at %zu) is "
                     "outside its %zu-byte private state",
                     what, dev->model->name, f->name, f->size, f->offset,
                     dev->model->priv_size);
            return -EINVAL;
        }
    }
    return 0;
}

/* ---- writer: run once to measure, once to fill ---- */

struct wr {
    uint8_t *buf;   /* NULL: only count */
    size_t pos;
};

static void put(struct wr *w, const void *p, size_t n)
{
    if (w->buf && n)
        memcpy(w->buf + w->pos, p, n);
    w->pos += n;
}

static void put8(struct wr *w, uint8_t v) { put(w, &v, 1); }

static void put16(struct wr *w, uint16_t v)
{
    uint8_t b[2];
    le_put16(b, v);
    put(w, b, sizeof(b));
}

static void put32(struct wr *w, uint32_t v)
{
    uint8_t b[4];
    le_put32(b, v);
    put(w, b, sizeof(b));
}

static void put64(struct wr *w, uint64_t v)
{
    uint8_t b[8];
    le_put64(b, v);
    put(w, b, sizeof(b));
}

static void put_name(struct wr *w, const char *s)
{
    size_t n = name_len(s);
    put16(w, (uint16_t)n);
    put(w, s, n);
}

static size_t sec_begin(struct wr *w, enum sec_id id)
{
    put32(w, sec_tags[id].tag);
    size_t at = w->pos;
    put64(w, 0);
    return at;
}

static void sec_end(struct wr *w, size_t at)
{
    if (w->buf)
        le_put64(w->buf + at, w->pos - at - 8);
}

static void emit(const struct vpci_dev *dev, struct wr *w)
{
    /* header; length and CRC are patched in afterwards */
    put(w, STATE_MAGIC, STATE_MAGIC_LEN);
    put16(w, STATE_VERSION);
    put16(w, 0);
    put32(w, dev->cfg_size);
    put64(w, 0);
    put32(w, 0);
    put_name(w, dev->model->name);

    size_t at = sec_begin(w, SEC_CONF);
    put(w, dev->config, dev->cfg_size);
    put32(w, layout_crc(dev));
    sec_end(w, at);

    at = sec_begin(w, SEC_BARS);
    put32(w, VPCI_BAR_SLOTS);
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        const struct vpci_bar *b = &dev->bars[i];
        put8(w, (uint8_t)b->kind);
        put8(w, (uint8_t)((b->prefetch ? BAR_F_PREFETCH : 0) |
                          (b->lo_pending ? BAR_F_LO_PENDING : 0) |
                          (b->mapped ? BAR_F_MAPPED : 0)));
        put64(w, b->size);
        put64(w, b->mapped ? b->mapped_addr : 0);
    }
    sec_end(w, at);

    at = sec_begin(w, SEC_RAM);
    uint32_t nram = 0;
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++)
        nram += bar_has_ram(dev, i);
    put32(w, nram);
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        if (!bar_has_ram(dev, i))
            continue;
        put8(w, (uint8_t)i);
        put64(w, dev->bars[i].size);
        put(w, dev->bars[i].ram, (size_t)dev->bars[i].size);
    }
    sec_end(w, at);

    at = sec_begin(w, SEC_MSIX);
    unsigned nvec = msix_vectors(dev);
    put32(w, nvec);
    if (nvec) {
        put(w, dev->msix.table, (size_t)nvec * 16);
        for (size_t i = 0; i < pba_words(nvec); i++)
            put64(w, dev->msix.pba ? dev->msix.pba[i] : 0);
    }
    sec_end(w, at);

    at = sec_begin(w, SEC_IRQ);
    put32(w, IRQ_WORDS);
    for (unsigned i = 0; i < IRQ_WORDS; i++)
        put64(w, dev->irq_level[i]);
    put32(w, dev->msi_blocked);
    sec_end(w, at);

    at = sec_begin(w, SEC_REGS);
    uint32_t nrf = 0;
    for (const struct vpci_regfile *rf = dev->regfiles; rf;
         rf = vpci_regfile_dev_next(rf))
        nrf++;
    put32(w, nrf);
    for (const struct vpci_regfile *rf = dev->regfiles; rf;
         rf = vpci_regfile_dev_next(rf)) {
        size_t size = vpci_regfile_state_size(rf);
        put_name(w, vpci_regfile_name(rf));
        put64(w, size);
        if (w->buf)
            vpci_regfile_state_save(rf, w->buf + w->pos);
        w->pos += size;
    }
    sec_end(w, at);

    at = sec_begin(w, SEC_TIMR);
    uint32_t nt = 0;
    for (const struct vpci_timer *t = dev->timers; t; t = t->next)
        nt++;
    put32(w, nt);
    for (const struct vpci_timer *t = dev->timers; t; t = t->next) {
        put_name(w, t->name);
        put8(w, t->armed);
        put64(w, t->armed ? t->deadline : 0);
    }
    sec_end(w, at);

    at = sec_begin(w, SEC_MODL);
    uint32_t nf = 0;
    for (const struct vpci_state_field *f = fields(dev); f && f->name; f++)
        nf++;
    put32(w, nf);
    for (const struct vpci_state_field *f = fields(dev); f && f->name; f++) {
        put_name(w, f->name);
        put64(w, f->size);
        put(w, (const uint8_t *)dev->priv + f->offset, f->size);
    }
    sec_end(w, at);
}

static uint32_t blob_crc(const uint8_t *p, size_t len)
{
    uint32_t crc = vpci_crc32_le(~0u, p, OFF_CRC);
    crc = vpci_crc32_le(crc, p + OFF_CRC + 4, len - OFF_CRC - 4);
    return ~crc;
}

int vpci_dev_save(const struct vpci_dev *dev, void **blob, size_t *len)
{
    if (blob)
        *blob = NULL;
    if (len)
        *len = 0;
    if (!dev || !blob || !len) {
        vpci_log(dev, VPCI_LOG_ERROR, "vpci_dev_save: NULL argument");
        return -EINVAL;
    }
    int rc = check_fields(dev, "state save");
    if (rc)
        return rc;
    struct wr w = { NULL, 0 };
    emit(dev, &w);
    size_t size = w.pos;
    uint8_t *buf = malloc(size);
    if (!buf) {
        vpci_log(dev, VPCI_LOG_ERROR, "state save: no memory for %zu bytes",
                 size);
        return -ENOMEM;
    }
    w.buf = buf;
    w.pos = 0;
    emit(dev, &w);
    le_put64(buf + OFF_LENGTH, size);
    le_put32(buf + OFF_CRC, blob_crc(buf, size));
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "state saved: %zu bytes", size);
    *blob = buf;
    *len = size;
    return 0;
}

/* ---- reader: bounds-checked, a short read sets .bad ---- */

struct rd {
    const uint8_t *p;
    uint64_t left;
    bool bad;
};

static const uint8_t *take(struct rd *r, uint64_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    r->left -= n;
    return q;
}

static uint8_t get8(struct rd *r)
{
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

static uint16_t get16(struct rd *r)
{
    const uint8_t *q = take(r, 2);
    return q ? le_get16(q) : 0;
}

static uint32_t get32(struct rd *r)
{
    const uint8_t *q = take(r, 4);
    return q ? le_get32(q) : 0;
}

static uint64_t get64(struct rd *r)
{
    const uint8_t *q = take(r, 8);
    return q ? le_get64(q) : 0;
}

struct name {
    const uint8_t *s;
    size_t n;
};

static struct name get_name(struct rd *r)
{
    struct name nm;
    nm.n = get16(r);
    nm.s = take(r, nm.n);
    if (!nm.s) {
        nm.s = (const uint8_t *)"";
        nm.n = 0;
    }
    return nm;
}

/* printf arguments for "%.*s": a saved name, at most 64 bytes of it */
#define NAME_ARGS(nm) (int)((nm).n > 64 ? 64 : (nm).n), (const char *)(nm).s

static bool name_is(struct name nm, const char *want)
{
    return nm.n == name_len(want) && (!nm.n || !memcmp(nm.s, want, nm.n));
}

/* ---- load: validate ---- */

struct sections {
    struct rd sec[SEC_COUNT];
    bool seen[SEC_COUNT];
};

static int reject(const struct vpci_dev *dev, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(const struct vpci_dev *dev, int err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vpci_log(dev, VPCI_LOG_ERROR, "state load refused: %s", msg);
    return err;
}

/* The end of every section's check: all read, nothing left over. */
static int sec_done(const struct vpci_dev *dev, const struct rd *r,
                    enum sec_id id)
{
    if (r->bad)
        return reject(dev, -EINVAL, "section %s is truncated",
                      sec_tags[id].name);
    if (r->left)
        return reject(dev, -EINVAL, "section %s has %llu bytes too many",
                      sec_tags[id].name, (unsigned long long)r->left);
    return 0;
}

static int check_header(const struct vpci_dev *dev, const uint8_t *p,
                        size_t len, struct rd *body)
{
    if (!p || len == 0)
        return reject(dev, -EINVAL, "no blob");
    if (len < STATE_MAGIC_LEN || memcmp(p, STATE_MAGIC, STATE_MAGIC_LEN))
        return reject(dev, -EINVAL, "not a libvpci state blob (bad magic)");
    if (len < HDR_FIXED)
        return reject(dev, -EINVAL, "truncated header (%zu bytes)", len);
    unsigned version = le_get16(p + OFF_VERSION);
    if (version == 0)
        return reject(dev, -EINVAL, "format version 0 is not valid");
    if (version > STATE_VERSION)
        return reject(dev, -EPROTO,
                      "format version %u is newer than this libvpci's (%u)",
                      version, STATE_VERSION);
    unsigned flags = le_get16(p + OFF_FLAGS);
    if (flags)
        return reject(dev, -EPROTO, "unknown format flags 0x%x", flags);
    uint64_t total = le_get64(p + OFF_LENGTH);
    if (total != len)
        return reject(dev, -EINVAL,
                      "blob says it is %llu bytes long but %zu were given "
                      "(truncated or padded)",
                      (unsigned long long)total, len);
    uint32_t crc = le_get32(p + OFF_CRC);
    if (crc != blob_crc(p, len))
        return reject(dev, -EBADMSG, "CRC mismatch: the blob is corrupted");

    struct rd r = { p + OFF_NAME, len - OFF_NAME, false };
    struct name model = get_name(&r);
    if (r.bad)
        return reject(dev, -EINVAL, "truncated model name");
    if (!name_is(model, dev->model->name))
        return reject(dev, -EINVAL,
                      "foreign blob: saved from model \"%.*s\", this is "
                      "\"%s\"",
                      NAME_ARGS(model), dev->model->name);
    unsigned cfg_size = le_get32(p + OFF_CFG_SIZE);
    if (cfg_size != dev->cfg_size)
        return reject(dev, -EINVAL,
                      "saved with %u bytes of config space, this function "
                      "has %u",
                      cfg_size, dev->cfg_size);
    *body = r;
    return 0;
}

static int split_sections(const struct vpci_dev *dev, struct rd *r,
                          struct sections *s)
{
    memset(s, 0, sizeof(*s));
    while (r->left) {
        uint32_t tag = get32(r);
        uint64_t n = get64(r);
        const uint8_t *payload = take(r, n);
        if (r->bad)
            return reject(dev, -EINVAL, "truncated section");
        unsigned id = 0;
        while (id < SEC_COUNT && sec_tags[id].tag != tag)
            id++;
        if (id == SEC_COUNT)
            return reject(dev, -EINVAL, "unknown section tag 0x%08x", tag);
        if (s->seen[id])
            return reject(dev, -EINVAL, "section %s appears twice",
                          sec_tags[id].name);
        s->seen[id] = true;
        s->sec[id].p = payload;
        s->sec[id].left = n;
    }
    for (unsigned id = 0; id < SEC_COUNT; id++)
        if (!s->seen[id])
            return reject(dev, -EINVAL, "section %s is missing",
                          sec_tags[id].name);
    return 0;
}

/* Read-only identity registers that say which function this is. */
static bool same_identity(const struct vpci_dev *dev, const uint8_t *cfg)
{
    static const struct { unsigned off, len; } ids[] = {
        { PCI_VENDOR_ID, 4 },         /* vendor, device */
        { PCI_REVISION_ID, 4 },       /* revision, class code */
        { PCI_HEADER_TYPE, 1 },
    };
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(ids); i++)
        if (memcmp(cfg + ids[i].off, dev->config + ids[i].off, ids[i].len))
            return false;
    if (!dev->id.bridge &&
        memcmp(cfg + PCI_SUBSYSTEM_VENDOR_ID,
               dev->config + PCI_SUBSYSTEM_VENDOR_ID, 4))
        return false;
    return true;
}

static int check_conf(const struct vpci_dev *dev, struct rd r)
{
    const uint8_t *cfg = take(&r, dev->cfg_size);
    uint32_t layout = get32(&r);
    int rc = sec_done(dev, &r, SEC_CONF);
    if (rc)
        return rc;
    if (layout != layout_crc(dev))
        return reject(dev, -EINVAL,
                      "config space layout differs (other capabilities or "
                      "properties)");
    if (!same_identity(dev, cfg))
        return reject(dev, -EINVAL,
                      "saved from a function with other IDs (%04x:%04x)",
                      le_get16(cfg + PCI_VENDOR_ID),
                      le_get16(cfg + PCI_DEVICE_ID));
    return 0;
}

static int check_bars(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    if (!r.bad && n != VPCI_BAR_SLOTS)
        return reject(dev, -EINVAL, "%u BAR slots saved, expected %u", n,
                      VPCI_BAR_SLOTS);
    for (unsigned i = 0; i < VPCI_BAR_SLOTS && !r.bad; i++) {
        const struct vpci_bar *b = &dev->bars[i];
        unsigned kind = get8(&r), flags = get8(&r);
        uint64_t size = get64(&r), addr = get64(&r);
        if (r.bad)
            break;
        if (kind != (unsigned)b->kind || size != b->size ||
            !(flags & BAR_F_PREFETCH) != !b->prefetch)
            return reject(dev, -EINVAL,
                          "BAR%u differs: saved %s of 0x%llx bytes, this "
                          "function has %s of 0x%llx bytes",
                          i, vpci_bar_kind_name((enum vpci_bar_kind)kind),
                          (unsigned long long)size,
                          vpci_bar_kind_name(b->kind),
                          (unsigned long long)b->size);
        if (flags & ~BAR_F_ALL)
            return reject(dev, -EINVAL, "BAR%u: unknown flags 0x%x", i,
                          flags);
        /* A held-back 64-bit move keeps a valid old mapping. */
        if ((flags & BAR_F_LO_PENDING) &&
            (kind != VPCI_BAR_MEM64 || !(flags & BAR_F_MAPPED) || !addr ||
             (addr & (size - 1))))
            return reject(dev, -EINVAL, "BAR%u: inconsistent pending move",
                          i);
    }
    return sec_done(dev, &r, SEC_BARS);
}

static int check_ram(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r), want = 0;
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++)
        want += bar_has_ram(dev, i);
    if (!r.bad && n != want)
        return reject(dev, -EINVAL, "%u RAM BARs saved, this function has %u",
                      n, want);
    unsigned i = 0;
    for (uint32_t k = 0; k < n && !r.bad; k++, i++) {
        while (!bar_has_ram(dev, i))
            i++;
        unsigned slot = get8(&r);
        uint64_t size = get64(&r);
        if (r.bad)
            break;
        if (slot != i || size != dev->bars[i].size)
            return reject(dev, -EINVAL,
                          "RAM of BAR%u (0x%llx bytes) saved, this function "
                          "has BAR%u of 0x%llx bytes",
                          slot, (unsigned long long)size, i,
                          (unsigned long long)dev->bars[i].size);
        take(&r, size);
    }
    return sec_done(dev, &r, SEC_RAM);
}

static int check_msix(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    if (!r.bad && n != msix_vectors(dev))
        return reject(dev, -EINVAL,
                      "%u MSI-X vectors saved, this function has %u", n,
                      msix_vectors(dev));
    if (n) {
        take(&r, (uint64_t)n * 16);
        for (size_t i = 0; i < pba_words(n) && !r.bad; i++) {
            /* No pending bit for a vector the table does not have. */
            uint64_t w = get64(&r);
            unsigned first = (unsigned)(i * 64);
            if (!r.bad && n - first < 64 && (w >> (n - first)))
                return reject(dev, -EINVAL,
                              "MSI-X PBA has pending bits beyond vector %u",
                              n - 1);
        }
    }
    return sec_done(dev, &r, SEC_MSIX);
}

static int check_irq(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    if (!r.bad && n != IRQ_WORDS)
        return reject(dev, -EINVAL, "%u interrupt level words, expected %u",
                      n, IRQ_WORDS);
    take(&r, (uint64_t)IRQ_WORDS * 8 + 4);
    return sec_done(dev, &r, SEC_IRQ);
}

static int check_regs(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r), want = 0;
    for (const struct vpci_regfile *rf = dev->regfiles; rf;
         rf = vpci_regfile_dev_next(rf))
        want++;
    if (!r.bad && n != want)
        return reject(dev, -EINVAL,
                      "%u register files saved, this function has %u", n,
                      want);
    const struct vpci_regfile *rf = dev->regfiles;
    for (uint32_t k = 0; k < n && !r.bad;
         k++, rf = vpci_regfile_dev_next(rf)) {
        struct name nm = get_name(&r);
        uint64_t size = get64(&r);
        if (r.bad)
            break;
        if (!name_is(nm, vpci_regfile_name(rf)) ||
            size != vpci_regfile_state_size(rf))
            return reject(dev, -EINVAL,
                          "register file %u: saved \"%.*s\" (%llu bytes), "
                          "this function has \"%s\" (%zu bytes)",
                          k, NAME_ARGS(nm),
                          (unsigned long long)size, vpci_regfile_name(rf),
                          vpci_regfile_state_size(rf));
        take(&r, size);
    }
    return sec_done(dev, &r, SEC_REGS);
}

static int check_timers(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r), want = 0;
    for (const struct vpci_timer *t = dev->timers; t; t = t->next)
        want++;
    if (!r.bad && n != want)
        return reject(dev, -EINVAL, "%u timers saved, this function has %u",
                      n, want);
    const struct vpci_timer *t = dev->timers;
    for (uint32_t k = 0; k < n && !r.bad; k++, t = t->next) {
        struct name nm = get_name(&r);
        unsigned armed = get8(&r);
        get64(&r);
        if (r.bad)
            break;
        if (!name_is(nm, t->name))
            return reject(dev, -EINVAL,
                          "timer %u: saved \"%.*s\", this function has "
                          "\"%s\"",
                          k, NAME_ARGS(nm),
                          t->name);
        if (armed > 1)
            return reject(dev, -EINVAL, "timer %s: bad armed flag %u",
                          t->name, armed);
    }
    return sec_done(dev, &r, SEC_TIMR);
}

static int check_model(const struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r), want = 0;
    for (const struct vpci_state_field *f = fields(dev); f && f->name; f++)
        want++;
    if (!r.bad && n != want)
        return reject(dev, -EINVAL,
                      "%u model state fields saved, model %s has %u", n,
                      dev->model->name, want);
    const struct vpci_state_field *f = fields(dev);
    for (uint32_t k = 0; k < n && !r.bad; k++, f++) {
        struct name nm = get_name(&r);
        uint64_t size = get64(&r);
        if (r.bad)
            break;
        if (!name_is(nm, f->name) || size != f->size)
            return reject(dev, -EINVAL,
                          "model state field %u: saved \"%.*s\" (%llu "
                          "bytes), model %s has \"%s\" (%zu bytes)",
                          k, NAME_ARGS(nm),
                          (unsigned long long)size, dev->model->name, f->name,
                          f->size);
        take(&r, size);
    }
    return sec_done(dev, &r, SEC_MODL);
}

static int validate(const struct vpci_dev *dev, const void *blob, size_t len,
                    struct sections *s)
{
    struct rd body = { NULL, 0, true };
    int rc = check_header(dev, blob, len, &body);
    if (!rc)
        rc = split_sections(dev, &body, s);
    if (!rc)
        rc = check_fields(dev, "state load");
    if (!rc)
        rc = check_conf(dev, s->sec[SEC_CONF]);
    if (!rc)
        rc = check_bars(dev, s->sec[SEC_BARS]);
    if (!rc)
        rc = check_ram(dev, s->sec[SEC_RAM]);
    if (!rc)
        rc = check_msix(dev, s->sec[SEC_MSIX]);
    if (!rc)
        rc = check_irq(dev, s->sec[SEC_IRQ]);
    if (!rc)
        rc = check_regs(dev, s->sec[SEC_REGS]);
    if (!rc)
        rc = check_timers(dev, s->sec[SEC_TIMR]);
    if (!rc)
        rc = check_model(dev, s->sec[SEC_MODL]);
    return rc;
}

/* ---- load: apply (everything was checked, reads cannot fail) ---- */

struct held_bar {
    bool pending;       /* low dword written, high dword not yet */
    uint64_t addr;      /* where it stays mapped meanwhile */
};

static void apply_bars(struct vpci_dev *dev, struct rd r,
                       struct held_bar held[VPCI_BAR_SLOTS])
{
    get32(&r);
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        get8(&r);
        unsigned flags = get8(&r);
        get64(&r);
        held[i].addr = get64(&r);
        held[i].pending = flags & BAR_F_LO_PENDING;
        /* bars_update() leaves a pending BAR alone; see finish_bars(). */
        dev->bars[i].lo_pending = held[i].pending;
    }
}

/*
 * A 64-bit BAR saved halfway through a move stays where it was mapped
 * then, as it did on the saved function; report the difference from this
 * function's mapping like vpci_bars_update() would.
 */
static void finish_bars(struct vpci_dev *dev,
                        const struct held_bar held[VPCI_BAR_SLOTS],
                        struct vpci_effects *fx)
{
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        struct vpci_bar *b = &dev->bars[i];
        if (!held[i].pending ||
            (b->mapped && b->mapped_addr == held[i].addr))
            continue;
        struct vpci_effect e = {
            .type = b->mapped ? VPCI_FX_BAR_MOVE : VPCI_FX_BAR_MAP,
        };
        e.u.bar.bar = i;
        e.u.bar.kind = b->kind;
        e.u.bar.prefetch = b->prefetch;
        e.u.bar.old_addr = b->mapped ? b->mapped_addr : 0;
        e.u.bar.new_addr = held[i].addr;
        e.u.bar.size = b->size;
        vpci_fx_push(fx, &e);
        b->mapped = true;
        b->mapped_addr = held[i].addr;
    }
}

static void apply_ram(struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    for (uint32_t k = 0; k < n; k++) {
        unsigned slot = get8(&r);
        uint64_t size = get64(&r);
        memcpy(dev->bars[slot].ram, take(&r, size), (size_t)size);
    }
}

static void apply_msix(struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    if (!n)
        return;
    memcpy(dev->msix.table, take(&r, (uint64_t)n * 16), (size_t)n * 16);
    for (size_t i = 0; i < pba_words(n); i++) {
        uint64_t v = get64(&r);
        if (dev->msix.pba)
            dev->msix.pba[i] = v;
    }
}

static void apply_irq(struct vpci_dev *dev, struct rd r)
{
    get32(&r);
    for (unsigned i = 0; i < IRQ_WORDS; i++)
        dev->irq_level[i] = get64(&r);
    dev->msi_blocked = get32(&r);
}

static void apply_regs(struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    struct vpci_regfile *rf = dev->regfiles;
    for (uint32_t k = 0; k < n; k++, rf = vpci_regfile_dev_next(rf)) {
        get_name(&r);
        uint64_t size = get64(&r);
        vpci_regfile_state_load(rf, take(&r, size));
    }
}

static void apply_timers(struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    struct vpci_timer *t = dev->timers;
    for (uint32_t k = 0; k < n; k++, t = t->next) {
        get_name(&r);
        bool armed = get8(&r);
        uint64_t deadline = get64(&r);
        if (!armed)
            continue;
        /* The deadline is absolute on the host clock, which a migrating
         * host carries over (QEMU_CLOCK_VIRTUAL does). */
        t->armed = true;
        t->deadline = deadline;
        if (dev->ops && dev->ops->timer_arm)
            dev->ops->timer_arm(dev->host, t, deadline);
    }
}

static void apply_model(struct vpci_dev *dev, struct rd r)
{
    uint32_t n = get32(&r);
    const struct vpci_state_field *f = fields(dev);
    for (uint32_t k = 0; k < n; k++, f++) {
        get_name(&r);
        uint64_t size = get64(&r);
        memcpy((uint8_t *)dev->priv + f->offset, take(&r, size), f->size);
    }
}

int vpci_dev_load(struct vpci_dev *dev, const void *blob, size_t len,
                  struct vpci_effects *fx)
{
    if (fx)
        fx->count = 0;
    if (!dev)
        return -EINVAL;
    if (dev->initializing)
        return reject(dev, -EPERM, "not during the model's init()");
    struct sections s;
    int rc = validate(dev, blob, len, &s);
    if (rc)
        return rc;

    /* Nothing can fail from here on. */
    vpci_timers_cancel_all(dev);
    memcpy(dev->config, s.sec[SEC_CONF].p, dev->cfg_size);
    struct held_bar held[VPCI_BAR_SLOTS];
    apply_bars(dev, s.sec[SEC_BARS], held);
    apply_ram(dev, s.sec[SEC_RAM]);
    apply_msix(dev, s.sec[SEC_MSIX]);
    apply_irq(dev, s.sec[SEC_IRQ]);
    apply_regs(dev, s.sec[SEC_REGS]);
    apply_model(dev, s.sec[SEC_MODL]);
    apply_timers(dev, s.sec[SEC_TIMR]);
    if (dev->model->post_load)
        dev->model->post_load(dev);
    /* Decode, MSI / MSI-X state and INTx follow the loaded config space;
     * the effects say what differs from before for this host. */
    vpci_cfg_sync(dev, fx);
    finish_bars(dev, held, fx);
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "state loaded: %zu bytes", len);
    return 0;
}
