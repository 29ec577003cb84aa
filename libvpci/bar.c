/* SPDX-License-Identifier: MIT */
/*
 * Base Address Registers: declaration, sizing by masking, decode state and
 * the dispatch of BAR accesses to what answers them.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>


#define IO_FLAG_BITS 0x3u     /* IO BAR: bit0 = 1 (IO space), bit1 reserved */
#define MEM_FLAG_BITS 0xfu    /* memory BAR: type, prefetchable */
#define ROM_ADDR_MASK 0xfffff800u
#define MEM32_MAX (1ull << 31)
#define IO_MAX (1ull << 16)
#define ROM_MIN 2048u
#define ROM_MAX (16u << 20)

const char *vpci_bar_kind_name(enum vpci_bar_kind kind)
{
    switch (kind) {
    case VPCI_BAR_NONE: return "none";
    case VPCI_BAR_IO: return "io";
    case VPCI_BAR_MEM32: return "mem32";
    case VPCI_BAR_MEM64: return "mem64";
    case VPCI_BAR_ROM: return "rom";
    }
    return "?";
}

unsigned vpci_bar_reg(const struct vpci_dev *dev, unsigned bar)
{
    if (bar == VPCI_ROM_BAR)
        return dev->id.bridge ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
    return PCI_BASE_ADDRESS_0 + 4 * bar;
}

static unsigned bar_slots(const struct vpci_dev *dev)
{
    return dev->id.bridge ? 2 : VPCI_NUM_BARS;
}

int vpci_bar_define(struct vpci_dev *dev, unsigned bar, enum vpci_bar_kind kind,
                    uint64_t size, unsigned flags)
{
    int rc = vpci_require_init(dev, "vpci_bar_define");
    if (rc)
        return rc;
    bool prefetch = flags & VPCI_BAR_PREFETCH;
    const char *why = NULL;
    if (bar >= bar_slots(dev))
        why = dev->id.bridge ? "a bridge has BARs 0 and 1" : "BARs are 0..5";
    else if (kind != VPCI_BAR_IO && kind != VPCI_BAR_MEM32 &&
             kind != VPCI_BAR_MEM64)
        why = "kind must be IO, MEM32 or MEM64 (ROM: vpci_rom_define)";
    else if (flags & ~VPCI_BAR_PREFETCH)
        why = "unknown flags";
    else if (!is_pow2(size))
        why = "size must be a power of two";
    else if (kind == VPCI_BAR_IO && (size < 4 || size > IO_MAX))
        why = "IO BARs are 4 bytes .. 64 KiB";
    else if (kind != VPCI_BAR_IO && size < 16)
        why = "memory BARs are at least 16 bytes";
    else if (kind == VPCI_BAR_MEM32 && size > MEM32_MAX)
        why = "MEM32 BARs are at most 2 GiB";
    else if (kind == VPCI_BAR_IO && prefetch)
        why = "IO BARs cannot be prefetchable";
    else if (kind == VPCI_BAR_MEM64 && bar + 1 >= bar_slots(dev))
        why = "a MEM64 BAR needs the next BAR for its upper half";
    if (why) {
        vpci_log(dev, VPCI_LOG_ERROR, "BAR%u (%s, 0x%llx bytes): %s", bar,
                 vpci_bar_kind_name(kind), (unsigned long long)size, why);
        return -EINVAL;
    }
    struct vpci_bar *b = &dev->bars[bar];
    if (b->kind != VPCI_BAR_NONE || b->upper_half ||
        (kind == VPCI_BAR_MEM64 && (dev->bars[bar + 1].kind != VPCI_BAR_NONE ||
                                    dev->bars[bar + 1].upper_half))) {
        vpci_log(dev, VPCI_LOG_ERROR, "BAR%u: already declared", bar);
        return -EBUSY;
    }
    b->kind = kind;
    b->prefetch = prefetch;
    b->size = size;
    unsigned reg = vpci_bar_reg(dev, bar);
    uint64_t addr_mask = ~(size - 1);
    if (kind == VPCI_BAR_IO) {
        vpci_cfg_init_field(dev, reg, 4, PCI_BASE_ADDRESS_SPACE_IO,
                            (uint32_t)addr_mask & ~IO_FLAG_BITS, 0);
        return 0;
    }
    uint32_t type = kind == VPCI_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64
                                           : PCI_BASE_ADDRESS_MEM_TYPE_32;
    if (prefetch)
        type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
    vpci_cfg_init_field(dev, reg, 4, type, (uint32_t)addr_mask & ~MEM_FLAG_BITS,
                        0);
    if (kind == VPCI_BAR_MEM64) {
        dev->bars[bar + 1].upper_half = true;
        vpci_cfg_init_field(dev, reg + 4, 4, 0, (uint32_t)(addr_mask >> 32), 0);
    }
    return 0;
}

int vpci_rom_define(struct vpci_dev *dev, uint64_t size, const void *image,
                    size_t len)
{
    int rc = vpci_require_init(dev, "vpci_rom_define");
    if (rc)
        return rc;
    if (!is_pow2(size) || size < ROM_MIN || size > ROM_MAX || len > size ||
        (len && !image)) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "expansion ROM: size 0x%llx must be a power of two in "
                 "2 KiB..16 MiB and hold the %zu-byte image",
                 (unsigned long long)size, len);
        return -EINVAL;
    }
    struct vpci_bar *b = &dev->bars[VPCI_ROM_BAR];
    if (b->kind != VPCI_BAR_NONE) {
        vpci_log(dev, VPCI_LOG_ERROR, "expansion ROM: already declared");
        return -EBUSY;
    }
    uint8_t *data = malloc(size);
    if (!data)
        return -ENOMEM;
    /* An erased flash part reads all ones past the image. */
    memset(data, 0xff, size);
    if (len)
        memcpy(data, image, len);
    b->kind = VPCI_BAR_ROM;
    b->size = size;
    b->ram = data;
    vpci_cfg_init_field(dev, vpci_bar_reg(dev, VPCI_ROM_BAR), 4, 0,
                        ((uint32_t)~(size - 1) & ROM_ADDR_MASK) |
                            PCI_ROM_ADDRESS_ENABLE,
                        0);
    return 0;
}

static struct vpci_bar *mem_bar(struct vpci_dev *dev, unsigned bar,
                                const char *what)
{
    if (vpci_require_init(dev, what))
        return NULL;
    if (bar >= VPCI_NUM_BARS || (dev->bars[bar].kind != VPCI_BAR_MEM32 &&
                                 dev->bars[bar].kind != VPCI_BAR_MEM64 &&
                                 dev->bars[bar].kind != VPCI_BAR_IO)) {
        vpci_log(dev, VPCI_LOG_ERROR, "%s: BAR%u is not declared", what, bar);
        return NULL;
    }
    return &dev->bars[bar];
}

int vpci_bar_set_ram(struct vpci_dev *dev, unsigned bar)
{
    struct vpci_bar *b = mem_bar(dev, bar, "vpci_bar_set_ram");
    if (!b)
        return dev && dev->initializing ? -EINVAL : -EPERM;
    if (b->ram || b->ops || b->regfiles) {
        vpci_log(dev, VPCI_LOG_ERROR, "BAR%u already has a handler", bar);
        return -EBUSY;
    }
    if (!(b->ram = calloc(1, b->size)))
        return -ENOMEM;
    return 0;
}

int vpci_bar_set_ops(struct vpci_dev *dev, unsigned bar,
                     const struct vpci_bar_ops *ops, void *opaque)
{
    struct vpci_bar *b = mem_bar(dev, bar, "vpci_bar_set_ops");
    if (!b)
        return dev && dev->initializing ? -EINVAL : -EPERM;
    if (!ops || (!ops->read && !ops->write))
        return -EINVAL;
    if (b->ram || b->ops || b->regfiles) {
        vpci_log(dev, VPCI_LOG_ERROR, "BAR%u already has a handler", bar);
        return -EBUSY;
    }
    b->ops = ops;
    b->ops_opaque = opaque;
    return 0;
}

uint64_t vpci_bar_addr(const struct vpci_dev *dev, unsigned bar)
{
    const struct vpci_bar *b = &dev->bars[bar];
    uint32_t lo = cfg_get32(dev, vpci_bar_reg(dev, bar));
    switch (b->kind) {
    case VPCI_BAR_IO:
        return lo & ~IO_FLAG_BITS;
    case VPCI_BAR_MEM32:
        return lo & ~MEM_FLAG_BITS;
    case VPCI_BAR_MEM64:
        return (lo & ~MEM_FLAG_BITS) |
               (uint64_t)cfg_get32(dev, vpci_bar_reg(dev, bar) + 4) << 32;
    case VPCI_BAR_ROM:
        return lo & ROM_ADDR_MASK;
    case VPCI_BAR_NONE:
        break;
    }
    return 0;
}

/*
 * Does the BAR decode?  Its enable bit must be on, the function in D0, and
 * the address real: 0 means "not assigned", and a range reaching the top of
 * the decoder's address space is what sizing leaves behind (the register
 * reads back the size mask), never a placement firmware would choose.
 */
static bool bar_decodes(const struct vpci_dev *dev, unsigned bar,
                        uint64_t addr)
{
    const struct vpci_bar *b = &dev->bars[bar];
    uint16_t cmd = cfg_get16(dev, PCI_COMMAND);
    bool on;
    if (b->kind == VPCI_BAR_IO)
        on = cmd & PCI_COMMAND_IO;
    else if (b->kind == VPCI_BAR_ROM)
        on = (cmd & PCI_COMMAND_MEMORY) &&
             (cfg_get32(dev, vpci_bar_reg(dev, bar)) & PCI_ROM_ADDRESS_ENABLE);
    else
        on = cmd & PCI_COMMAND_MEMORY;
    if (!on || vpci_pm_state(dev) != 0 || addr == 0)
        return false;
    uint64_t top = b->kind == VPCI_BAR_MEM64 ? UINT64_MAX : UINT32_MAX;
    return addr <= top - b->size && addr + b->size - 1 < top;
}

void vpci_bars_update(struct vpci_dev *dev, struct vpci_effects *fx)
{
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        struct vpci_bar *b = &dev->bars[i];
        if (b->kind == VPCI_BAR_NONE || b->lo_pending)
            continue;
        uint64_t addr = vpci_bar_addr(dev, i);
        bool map = bar_decodes(dev, i, addr);
        if (map == b->mapped && (!map || addr == b->mapped_addr))
            continue;
        struct vpci_effect e = {
            .type = !map ? VPCI_FX_BAR_UNMAP
                    : b->mapped ? VPCI_FX_BAR_MOVE : VPCI_FX_BAR_MAP,
        };
        e.u.bar.bar = i;
        e.u.bar.kind = b->kind;
        e.u.bar.prefetch = b->prefetch;
        e.u.bar.old_addr = b->mapped ? b->mapped_addr : 0;
        e.u.bar.new_addr = map ? addr : 0;
        e.u.bar.size = b->size;
        vpci_fx_push(fx, &e);
        if (dev->trace) {
            char line[128];
            vpci_effect_format(&e, line, sizeof(line));
            vpci_log(dev, VPCI_LOG_TRACE, "%s", line);
        }
        b->mapped = map;
        b->mapped_addr = map ? addr : 0;
    }
}

/*
 * Hold back a 64-bit BAR whose low dword was just written while it decodes:
 * until its high dword is written too (or any other register, which
 * commits it), the register pair holds a mix of old and new address.
 */
void vpci_bars_cfg_written(struct vpci_dev *dev, unsigned off, unsigned len)
{
    for (unsigned i = 0; i < VPCI_NUM_BARS; i++) {
        struct vpci_bar *b = &dev->bars[i];
        if (b->kind != VPCI_BAR_MEM64)
            continue;
        unsigned lo = vpci_bar_reg(dev, i);
        bool hit_lo = ranges_overlap(off, len, lo, 4);
        bool hit_hi = ranges_overlap(off, len, lo + 4, 4);
        b->lo_pending = hit_lo && !hit_hi && b->mapped;
    }
}

void vpci_bars_free(struct vpci_dev *dev)
{
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        free(dev->bars[i].ram);
        dev->bars[i].ram = NULL;
    }
}

int vpci_bar_info(const struct vpci_dev *dev, unsigned bar,
                  struct vpci_bar_info *info)
{
    if (!dev || !info || bar >= VPCI_BAR_SLOTS)
        return -EINVAL;
    const struct vpci_bar *b = &dev->bars[bar];
    memset(info, 0, sizeof(*info));
    info->kind = b->kind;
    if (b->kind == VPCI_BAR_NONE)
        return 0;
    info->prefetch = b->prefetch;
    info->size = b->size;
    info->addr = vpci_bar_addr(dev, bar);
    info->mapped = b->mapped;
    return 0;
}

/* ---- access dispatch ---- */

static uint64_t ones(unsigned len)
{
    return len >= 8 ? UINT64_MAX : (1ull << (8 * len)) - 1;
}

/* Validate a host access; -EINVAL / -EIO as vpci_bar_read documents. */
static int check_access(struct vpci_dev *dev, unsigned bar, uint64_t off,
                        unsigned len, const char *dir)
{
    if (!dev || bar >= VPCI_BAR_SLOTS ||
        dev->bars[bar].kind == VPCI_BAR_NONE) {
        vpci_log(dev, VPCI_LOG_WARN, "%s of BAR%u: no such BAR", dir, bar);
        return -EINVAL;
    }
    const struct vpci_bar *b = &dev->bars[bar];
    if ((len != 1 && len != 2 && len != 4 && len != 8) || off >= b->size ||
        len > b->size - off) {
        vpci_log(dev, VPCI_LOG_WARN,
                 "%s of %u bytes at BAR%u+0x%llx: outside the %llu-byte BAR",
                 dir, len, bar, (unsigned long long)off,
                 (unsigned long long)b->size);
        return -EINVAL;
    }
    if (!b->mapped) {
        if (dev->trace)
            vpci_log(dev, VPCI_LOG_TRACE,
                     "%s at BAR%u+0x%llx while not decoding: master abort",
                     dir, bar, (unsigned long long)off);
        return -EIO;
    }
    return 0;
}

static struct vpci_regfile *regfile_at(const struct vpci_bar *b, uint64_t off)
{
    for (struct vpci_regfile *rf = b->regfiles; rf;
         rf = vpci_regfile_bar_next(rf)) {
        uint64_t base = vpci_regfile_base(rf);
        if (off >= base && off - base < vpci_regfile_span(rf))
            return rf;
    }
    return NULL;
}

int vpci_bar_read(struct vpci_dev *dev, unsigned bar, uint64_t off,
                  unsigned len, uint64_t *val)
{
    if (!val)
        return -EINVAL;
    *val = ones(len);
    int rc = check_access(dev, bar, off, len, "read");
    if (rc)
        return rc;
    struct vpci_bar *b = &dev->bars[bar];
    struct vpci_regfile *rf;
    if (vpci_msix_bar_read(dev, bar, off, len, val))
        return 0;
    if ((rf = regfile_at(b, off))) {
        *val = vpci_regfile_read(rf, off - vpci_regfile_base(rf), len);
    } else if (b->ram) {
        uint64_t v = 0;
        for (unsigned i = 0; i < len; i++)
            v |= (uint64_t)b->ram[off + i] << (8 * i);
        *val = v;
    } else if (b->ops && b->ops->read) {
        *val = b->ops->read(dev, b->ops_opaque, off, len) & ones(len);
    } else {
        *val = 0;   /* decoded but nothing behind it */
    }
    return 0;
}

int vpci_bar_write(struct vpci_dev *dev, unsigned bar, uint64_t off,
                   unsigned len, uint64_t val)
{
    int rc = check_access(dev, bar, off, len, "write");
    if (rc)
        return rc;
    struct vpci_bar *b = &dev->bars[bar];
    struct vpci_regfile *rf;
    val &= ones(len);
    if (vpci_msix_bar_write(dev, bar, off, len, val))
        return 0;
    if ((rf = regfile_at(b, off))) {
        vpci_regfile_write(rf, off - vpci_regfile_base(rf), len, val);
    } else if (b->kind == VPCI_BAR_ROM) {
        if (dev->trace)
            vpci_log(dev, VPCI_LOG_TRACE, "write to ROM+0x%llx ignored",
                     (unsigned long long)off);
    } else if (b->ram) {
        for (unsigned i = 0; i < len; i++)
            b->ram[off + i] = (uint8_t)(val >> (8 * i));
    } else if (b->ops && b->ops->write) {
        b->ops->write(dev, b->ops_opaque, off, len, val);
    }
    return 0;
}
