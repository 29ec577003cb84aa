/* SPDX-License-Identifier: MIT */
/*
 * Base Address Registers and the accesses they decode.
 *
 * A BAR is declared with its kind and a power-of-two size; the core then
 * implements sizing by masking (any value written reads back with the size
 * bits cleared, not only 0xFFFFFFFF), 64-bit pairs, prefetchable flags, the
 * expansion ROM with its enable bit, and decode gated by COMMAND.IO /
 * COMMAND.MEM / ROM enable.  Hosts learn where a BAR lives from the effects
 * a config write returns (config.h) and send accesses with vpci_bar_read()
 * and vpci_bar_write(), which dispatch to the MSI-X table and PBA, the
 * register file, RAM or custom handlers that the model attached.
 */
#ifndef VPCI_BAR_H
#define VPCI_BAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

enum vpci_bar_kind {
    VPCI_BAR_NONE = 0,
    VPCI_BAR_IO,
    VPCI_BAR_MEM32,
    VPCI_BAR_MEM64,   /* occupies this BAR and the next (its upper half) */
    VPCI_BAR_ROM,     /* expansion ROM, index VPCI_ROM_BAR */
};

#define VPCI_NUM_BARS 6         /* standard BARs of a type 0 header */
#define VPCI_ROM_BAR 6          /* index used for the expansion ROM */
#define VPCI_BAR_PREFETCH 0x1u  /* flag: prefetchable memory */

/*
 * Declare BAR @bar (0..5; a bridge has 0..1) of @kind and @size bytes.
 * Only during the model's init().
 * Returns 0, or -EINVAL (size not a power of two or below the minimum for
 * the kind: 4 bytes IO, 16 bytes memory; IO above 64 KiB; MEM32 above
 * 2 GiB; MEM64 in BAR 5; prefetch on IO), -EBUSY (BAR or, for MEM64, its
 * upper half already declared), -EPERM (after init).  A message says why.
 */
int vpci_bar_define(struct vpci_dev *dev, unsigned bar, enum vpci_bar_kind kind,
                    uint64_t size, unsigned flags);

/*
 * Declare the expansion ROM: @size (power of two, >= 2 KiB) bytes whose
 * first @len bytes are @image (copied); the rest reads 0xFF.
 */
int vpci_rom_define(struct vpci_dev *dev, uint64_t size, const void *image,
                    size_t len);

/* Back memory BAR @bar by plain zero-initialised RAM (reads see writes). */
int vpci_bar_set_ram(struct vpci_dev *dev, unsigned bar);

/* Custom handlers for a BAR that has no register file. */
struct vpci_bar_ops {
    uint64_t (*read)(struct vpci_dev *dev, void *opaque, uint64_t offset,
                     unsigned len);
    void (*write)(struct vpci_dev *dev, void *opaque, uint64_t offset,
                  unsigned len, uint64_t val);
};
int vpci_bar_set_ops(struct vpci_dev *dev, unsigned bar,
                     const struct vpci_bar_ops *ops, void *opaque);

struct vpci_bar_info {
    enum vpci_bar_kind kind;
    bool prefetch;
    uint64_t size;
    uint64_t addr;        /* address programmed in the register(s) now */
    bool mapped;          /* decoded: enable bit(s) on and address valid */
};
/* Describe BAR @bar (0..5 or VPCI_ROM_BAR); -EINVAL for a bad index. */
int vpci_bar_info(const struct vpci_dev *dev, unsigned bar,
                  struct vpci_bar_info *info);

/*
 * An access of @len (1, 2, 4 or 8) bytes at @offset within BAR @bar.
 * Returns 0; -EINVAL for a bad BAR, width, or an access past the BAR's end
 * (*val = all ones); -EIO when the BAR is not decoding (COMMAND bit or ROM
 * enable off, or the function in D3hot): reads give all ones, as a master
 * abort would, and writes are dropped.  Multi-byte values are little endian.
 */
int vpci_bar_read(struct vpci_dev *dev, unsigned bar, uint64_t offset,
                  unsigned len, uint64_t *val);
int vpci_bar_write(struct vpci_dev *dev, unsigned bar, uint64_t offset,
                   unsigned len, uint64_t val);

const char *vpci_bar_kind_name(enum vpci_bar_kind kind);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_BAR_H */
