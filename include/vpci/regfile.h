/* SPDX-License-Identifier: MIT */
/*
 * Register files: a model's BAR registers declared as a table.
 *
 *   static const struct vpci_reg regs[] = {
 *       VPCI_REG(0x00, 4, "VERSION", VPCI_RO, 0x12345678),
 *       VPCI_REG(0x04, 4, "CTRL",    VPCI_WO, 0, .on_write = ctrl_write),
 *       ...
 *   };
 *
 * The library enforces the access kinds, splits or merges accesses of 1,
 * 2, 4 or 8 bytes at any alignment onto the declared registers, resets
 * them, counts and traces accesses, and saves them with the device.
 */
#ifndef VPCI_REGFILE_H
#define VPCI_REGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;
struct vpci_reg;
struct vpci_regfile;

enum vpci_access {
    VPCI_RO,    /* writes ignored (counted) */
    VPCI_RW,
    VPCI_WO,    /* stored for the callback; reads return desc.wo_read */
    VPCI_W1C,   /* writing 1 clears a bit */
    VPCI_W1S,   /* writing 1 sets a bit */
    VPCI_RC,    /* a read returns the value and clears it; writes ignored */
    VPCI_RSVD,  /* reads 0, writes ignored */
};

/* Access widths, as a bit mask. */
#define VPCI_W1 0x1u
#define VPCI_W2 0x2u
#define VPCI_W4 0x4u
#define VPCI_W8 0x8u

/* What a callback is told about one access to one register. */
struct vpci_reg_access {
    struct vpci_dev *dev;
    void *opaque;            /* given to vpci_regfile_attach() */
    struct vpci_regfile *rf;
    const struct vpci_reg *reg;
    unsigned index;          /* element of an array register (count > 1) */
    uint32_t offset;         /* register's offset in the file (element's) */
    unsigned byte, len;      /* the bytes of the register accessed */
    uint64_t lanes;          /* mask of those bytes, in register position */
    uint64_t old;            /* stored value before the access */
    uint64_t value;          /* stored value after the access kind applied */
    uint64_t data;           /* write: raw data in register position */
};

/*
 * on_read returns the full register value to present (only the accessed
 * bytes reach the guest); it may update state.  on_write runs after the
 * stored value has been updated; it may change it with vpci_reg_set().
 */
typedef uint64_t (*vpci_reg_read_fn)(const struct vpci_reg_access *a);
typedef void (*vpci_reg_write_fn)(const struct vpci_reg_access *a);

struct vpci_reg {
    uint32_t offset;
    uint8_t width;           /* 1, 2, 4 or 8 bytes */
    const char *name;
    enum vpci_access access;
    uint64_t reset;
    vpci_reg_write_fn on_write;
    vpci_reg_read_fn on_read;
    uint64_t wmask;          /* writable bits (RW/WO/W1C/W1S); 0 = all */
    uint16_t count;          /* > 1: array of count registers, width apart */
    uint8_t widths;          /* accepted access widths; 0 = file default */
};

/*
 * One datasheet line: VPCI_REG(offset, width, name, access, reset, ...)
 * where "..." takes the optional fields by name:
 *     VPCI_REG(0x04, 4, "CTRL", VPCI_WO, 0, .on_write = ctrl_write),
 *     VPCI_REG(0x20, 4, "SCRATCH", VPCI_RW, 0, .count = 56),
 */
#define VPCI_REG(off_, width_, name_, access_, reset_, ...)                 \
    { .offset = (off_), .width = (width_), .name = (name_),                 \
      .access = (access_), .reset = (reset_), __VA_ARGS__ }

struct vpci_regfile_desc {
    const char *name;              /* e.g. "virt-pci.mmio" */
    const struct vpci_reg *regs;
    size_t nregs;
    uint64_t size;                 /* span decoded (0: up to the last reg) */
    uint8_t widths;                /* accepted widths (0: 1|2|4|8) */
    bool aligned;                  /* reject misaligned accesses */
    uint64_t hole_read;            /* read of an undeclared offset */
    uint64_t wo_read;              /* read of a WO register */
    uint64_t bad_read;             /* read with a rejected width/alignment */
};

struct vpci_regfile_stats {
    uint64_t reads, writes;        /* accesses that reached a register */
    uint64_t hole_reads, hole_writes; /* accesses to undeclared offsets */
    uint64_t rejected;             /* bad width or alignment */
    uint64_t ignored_writes;       /* writes to RO / RC / RSVD registers */
};

/*
 * Attach a register file at @base within BAR @bar (declared earlier), or
 * standalone with bar = VPCI_REGFILE_NO_BAR (reachable only through
 * vpci_regfile_read/write, e.g. for tests).  The table is checked: widths,
 * alignment of each register to its width, no overlaps, the span fits the
 * BAR; -EINVAL with a message naming the register otherwise.  The
 * descriptor and table must outlive the device.  During init() only.
 */
#define VPCI_REGFILE_NO_BAR 0xffu
int vpci_regfile_attach(struct vpci_dev *dev, unsigned bar, uint64_t base,
                        const struct vpci_regfile_desc *desc, void *opaque,
                        struct vpci_regfile **out);

/* Guest-side access relative to the file's base, with all the rules. */
uint64_t vpci_regfile_read(struct vpci_regfile *rf, uint64_t offset,
                           unsigned len);
void vpci_regfile_write(struct vpci_regfile *rf, uint64_t offset, unsigned len,
                        uint64_t val);

/* Model-side value of the register (array element) at @offset: no rules,
 * no callbacks.  get returns 0 and set -EINVAL for an undeclared offset. */
uint64_t vpci_reg_get(const struct vpci_regfile *rf, uint32_t offset);
int vpci_reg_set(struct vpci_regfile *rf, uint32_t offset, uint64_t val);
/* Name of the register covering @offset, or NULL. */
const char *vpci_reg_name(const struct vpci_regfile *rf, uint32_t offset);

/* Every register back to its declared reset value; no callbacks run.
 * (A device reset does this for every file; models call it for their own
 * soft resets.) */
void vpci_regfile_reset(struct vpci_regfile *rf);

void vpci_regfile_get_stats(const struct vpci_regfile *rf,
                            struct vpci_regfile_stats *stats);
const char *vpci_access_name(enum vpci_access access);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_REGFILE_H */
