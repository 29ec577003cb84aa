/* SPDX-License-Identifier: MIT */
/*
 * Configuration space access and the effects a write has.
 *
 * Config space is data: per byte a value, a writable mask and a
 * write-1-to-clear mask.  A guest write stores
 *     cfg = (cfg & ~wmask) | (val & wmask);  cfg &= ~(val & w1cmask);
 * and then the core reacts (COMMAND, BARs, MSI, MSI-X, PM, PCIe device
 * control, bridge registers).  What changed is returned as a list of
 * effects so each host applies them its own way: the mock host remaps its
 * address decoder, QEMU updates its memory regions.
 */
#ifndef VPCI_CONFIG_H
#define VPCI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <vpci/bar.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

#define VPCI_CFG_SIZE 256u          /* conventional PCI */
#define VPCI_CFG_SIZE_EXPRESS 4096u /* PCI Express extended space */

enum vpci_effect_type {
    VPCI_FX_BAR_MAP,        /* bar: new_addr, size, kind */
    VPCI_FX_BAR_UNMAP,      /* bar: old_addr, size, kind */
    VPCI_FX_BAR_MOVE,       /* bar: old_addr -> new_addr */
    VPCI_FX_IO_DECODE,      /* on: COMMAND.IO */
    VPCI_FX_MEM_DECODE,     /* on: COMMAND.MEMORY */
    VPCI_FX_BUS_MASTER,     /* on: COMMAND.MASTER */
    VPCI_FX_INTX_DISABLE,   /* on: COMMAND.INTX_DISABLE */
    VPCI_FX_MSI_ENABLE,     /* on */
    VPCI_FX_MSI_MASK,       /* mask: vector, masked */
    VPCI_FX_MSIX_ENABLE,    /* on */
    VPCI_FX_MSIX_FUNC_MASK, /* on: function mask set */
    VPCI_FX_POWER_STATE,    /* power: from, to (0 = D0, 3 = D3hot) */
    VPCI_FX_RESET,          /* the function reset itself (D3hot->D0) */
    VPCI_FX_FLR,            /* function level reset was performed */
    VPCI_FX_BRIDGE_BUSES,   /* buses: primary, secondary, subordinate */
    VPCI_FX_BRIDGE_WINDOWS, /* IO / memory / prefetchable window changed */
    VPCI_FX_BRIDGE_SEC_RESET, /* on: secondary bus reset asserted */
};

struct vpci_effect {
    enum vpci_effect_type type;
    union {
        struct {
            unsigned bar;            /* 0..5 or VPCI_ROM_BAR */
            enum vpci_bar_kind kind;
            bool prefetch;
            uint64_t old_addr, new_addr, size;
        } bar;
        struct { bool on; } toggle;
        struct { unsigned vector; bool masked; } mask;
        struct { unsigned from, to; } power;
        struct { uint8_t primary, secondary, subordinate; } buses;
    } u;
};

#define VPCI_EFFECTS_MAX 64
struct vpci_effects {
    unsigned count;
    struct vpci_effect fx[VPCI_EFFECTS_MAX];
};

/*
 * Read @len (1, 2 or 4) bytes at @offset, little endian.  An access that
 * does not fit the function's config space (256 bytes or 4 KiB) reads all
 * ones, as an absent register would.
 */
uint32_t vpci_cfg_read(struct vpci_dev *dev, unsigned offset, unsigned len);

/*
 * Guest write of @len (1, 2 or 4) bytes at @offset.  @fx (may be NULL) is
 * cleared and receives what the write changed, in order.  Returns 0, or
 * -EINVAL when the access does not fit config space (then nothing changes).
 */
int vpci_cfg_write(struct vpci_dev *dev, unsigned offset, unsigned len,
                   uint32_t val, struct vpci_effects *fx);

/* Size of this function's config space: 256 or 4096. */
unsigned vpci_cfg_size(const struct vpci_dev *dev);

/*
 * Model-side access that bypasses the masks and triggers nothing, e.g. to
 * update a read-only status register.  During init() the value also becomes
 * the reset value.  -EINVAL when out of range.
 */
int vpci_cfg_set(struct vpci_dev *dev, unsigned offset, unsigned len,
                 uint32_t val);
/* Change the writable / write-1-to-clear masks of a range (init only). */
int vpci_cfg_set_wmask(struct vpci_dev *dev, unsigned offset, unsigned len,
                       uint32_t mask);
int vpci_cfg_set_w1cmask(struct vpci_dev *dev, unsigned offset, unsigned len,
                         uint32_t mask);

/* Human-readable one-line description of an effect, for logs and tests. */
const char *vpci_effect_name(enum vpci_effect_type type);
int vpci_effect_format(const struct vpci_effect *fx, char *buf, unsigned len);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_CONFIG_H */
