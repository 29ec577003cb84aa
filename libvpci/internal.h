/* SPDX-License-Identifier: MIT */
/*
 * libvpci private header: the function's state and the helpers the core's
 * files share.  Never installed; models use only include/vpci/.
 */
#ifndef VPCI_INTERNAL_H
#define VPCI_INTERNAL_H

/* strdup, strtok_r, strcasecmp: POSIX, not C11.  Include this header first. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vpci/vpci.h>

#define VPCI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VPCI_MAX_CFG VPCI_CFG_SIZE_EXPRESS
#define VPCI_BAR_SLOTS (VPCI_NUM_BARS + 1) /* 0..5 and the ROM */
#define VPCI_MSIX_MAX 2048u

/* ---- little-endian config field accessors (QEMU's get_word idea) ---- */
static inline uint8_t le_get8(const uint8_t *p) { return p[0]; }
static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}
static inline void le_put8(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le_put32(uint8_t *p, uint32_t v)
{
    le_put16(p, (uint16_t)v);
    le_put16(p + 2, (uint16_t)(v >> 16));
}
static inline void le_put64(uint8_t *p, uint64_t v)
{
    le_put32(p, (uint32_t)v);
    le_put32(p + 4, (uint32_t)(v >> 32));
}
static inline bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }
/* Does [a, a+alen) overlap [b, b+blen)? */
static inline bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
                                  uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* ---- BARs ---- */
struct vpci_bar {
    enum vpci_bar_kind kind;    /* NONE also for the upper half of MEM64 */
    bool upper_half;            /* this slot is the high dword of bar-1 */
    bool prefetch;
    uint64_t size;
    /* decode state as last reported in effects */
    bool mapped;
    uint64_t mapped_addr;
    /* a 64-bit BAR whose low dword was written while decoding and whose
     * high dword has not been written yet: its move is held back so hosts
     * never see the half-programmed address */
    bool lo_pending;
    /* what answers accesses */
    struct vpci_regfile *regfiles;  /* sorted by base, linked by bar_next */
    uint8_t *ram;                   /* vpci_bar_set_ram / the ROM image */
    const struct vpci_bar_ops *ops;
    void *ops_opaque;
};

/* ---- MSI-X (table and PBA live outside config space) ---- */
struct vpci_msix {
    unsigned vectors;
    unsigned table_bar, pba_bar;
    uint32_t table_offset, pba_offset;
    uint8_t *table;     /* 16 bytes per entry */
    uint64_t *pba;      /* one bit per vector */
};

/* ---- timers ---- */
struct vpci_timer {
    struct vpci_dev *dev;
    const char *name;
    vpci_timer_fn fn;
    void *opaque;
    bool armed;
    uint64_t deadline;
    void *host_data;
    struct vpci_timer *next;    /* creation order, for save/restore */
};

/* ---- properties (parsed spec string) ---- */
struct vpci_prop_value {
    const struct vpci_prop_desc *desc;
    bool given;
    uint64_t num;
    char *str;
};
struct vpci_props {
    const struct vpci_model *model;
    size_t count;
    struct vpci_prop_value *values;
};

struct vpci_dev {
    const struct vpci_model *model;
    void *priv;
    const struct vpci_host_ops *ops;
    void *host;
    void *host_data;
    char *label;
    bool initializing;          /* inside model init(): builders allowed */
    bool trace;
    struct vpci_identity id;

    /* config space as data */
    unsigned cfg_size;
    uint8_t config[VPCI_MAX_CFG];
    uint8_t wmask[VPCI_MAX_CFG];
    uint8_t w1cmask[VPCI_MAX_CFG];
    uint8_t used[VPCI_MAX_CFG];       /* owned by header or a capability */
    uint8_t reset_config[VPCI_MAX_CFG];

    struct vpci_bar bars[VPCI_BAR_SLOTS];

    /* last values reported through effects (for toggles) */
    uint16_t last_command;
    unsigned last_pm_state;
    bool last_msi_enable, last_msix_enable, last_msix_fmask;
    uint32_t last_msi_mask;
    uint8_t last_buses[3];
    uint8_t last_windows[0x34 - 0x1c]; /* bridge bytes 0x1C..0x33 */
    bool last_sec_reset;

    /* capabilities: offsets, 0 when absent */
    unsigned last_cap, last_ecap;     /* tails of the two lists */
    unsigned pm_cap, msi_cap, msix_cap, pcie_cap, aer_cap;
    bool pm_no_soft_reset;
    unsigned msi_vectors;             /* capable (1..32) */
    unsigned msi_flags;
    struct vpci_msix msix;

    /* interrupts */
    uint64_t irq_level[VPCI_IRQ_MAX_SOURCES / 64]; /* source levels */
    bool intx_driven;                 /* what set_intx last said */
    uint32_t msi_blocked;             /* MSI vectors held: bus master off */

    uint64_t dma_mask;
    struct vpci_timer *timers;
    struct vpci_regfile *regfiles;    /* all, linked by dev_next */
};

/* ---- dev.c ---- */
void vpci_logv(const struct vpci_dev *dev, enum vpci_log_level level,
               const char *fmt, va_list ap);
/* Reset from inside a config write (FLR, D3hot->D0): appends to @fx. */
void vpci_dev_do_reset(struct vpci_dev *dev, enum vpci_reset_kind kind,
                       struct vpci_effects *fx);
/* -EPERM with a message unless inside the model's init(). */
int vpci_require_init(const struct vpci_dev *dev, const char *what);
static inline bool vpci_tracing(const struct vpci_dev *dev)
{
    return dev->trace;
}

/* ---- config.c ---- */
static inline uint16_t cfg_get16(const struct vpci_dev *d, unsigned off)
{
    return le_get16(d->config + off);
}
static inline uint32_t cfg_get32(const struct vpci_dev *d, unsigned off)
{
    return le_get32(d->config + off);
}
/* Write value and masks of a range at build time (also the reset image). */
void vpci_cfg_init_field(struct vpci_dev *dev, unsigned off, unsigned len,
                         uint32_t val, uint32_t wmask, uint32_t w1cmask);
/* Append an effect; silently counted past VPCI_EFFECTS_MAX (never happens
 * for a single access, asserted in tests). */
void vpci_fx_push(struct vpci_effects *fx, const struct vpci_effect *e);
void vpci_fx_toggle(struct vpci_effects *fx, enum vpci_effect_type t, bool on);
/* Re-evaluate COMMAND toggles, capabilities, bridge registers and BAR
 * decode after config bytes changed (by a write, reset or load). */
void vpci_cfg_sync(struct vpci_dev *dev, struct vpci_effects *fx);
/* Type 0 / type 1 header layout (masks, identity) from dev->id. */
void vpci_cfg_init_header(struct vpci_dev *dev);

/* ---- bar.c ---- */
/* Recompute each BAR's decode; push MAP/UNMAP/MOVE for what changed. */
void vpci_bars_update(struct vpci_dev *dev, struct vpci_effects *fx);
/* A config write touched [off, off+len): 64-bit half-programmed tracking. */
void vpci_bars_cfg_written(struct vpci_dev *dev, unsigned off, unsigned len);
void vpci_bars_free(struct vpci_dev *dev);
/* Address programmed in BAR @bar's register(s) now. */
uint64_t vpci_bar_addr(const struct vpci_dev *dev, unsigned bar);
/* Offset of BAR @bar's register (0x10.., ROM 0x30 or 0x38 on a bridge). */
unsigned vpci_bar_reg(const struct vpci_dev *dev, unsigned bar);

/* ---- cap.c, cap_pm.c, cap_pcie.c ---- */
/* React to a config write of [off, off+len) whose previous bytes were
 * @old (indexed from off).  Each returns quickly when not concerned. */
/* Report a power state change (by a write or a reset) once. */
void vpci_pm_sync(struct vpci_dev *dev, struct vpci_effects *fx);
void vpci_pm_cfg_written(struct vpci_dev *dev, unsigned off, unsigned len,
                         const uint8_t *old, struct vpci_effects *fx);
void vpci_pcie_cfg_written(struct vpci_dev *dev, unsigned off, unsigned len,
                           const uint8_t *old, struct vpci_effects *fx);

/* ---- cap_msi.c, cap_msix.c, irq.c ---- */
void vpci_msi_sync(struct vpci_dev *dev, struct vpci_effects *fx);
/* 1 << Multiple Message Enable (as clamped to what the function has). */
unsigned vpci_msi_enabled_vectors(const struct vpci_dev *dev);
void vpci_msix_sync(struct vpci_dev *dev, struct vpci_effects *fx);
/* MSI-X table / PBA access through a BAR: true when it was one. */
bool vpci_msix_bar_read(struct vpci_dev *dev, unsigned bar, uint64_t off,
                        unsigned len, uint64_t *val);
bool vpci_msix_bar_write(struct vpci_dev *dev, unsigned bar, uint64_t off,
                         unsigned len, uint64_t val);
void vpci_msix_reset(struct vpci_dev *dev);
void vpci_msix_free(struct vpci_dev *dev);
/* One message for interrupt source @source (mapped onto a vector): sent,
 * or held as pending while masked or while bus master is off. */
void vpci_msi_fire(struct vpci_dev *dev, unsigned source);
void vpci_msix_fire(struct vpci_dev *dev, unsigned source);
/* Send the held messages that may go now (MSI / MSI-X enabled, vector
 * unmasked, bus master on). */
void vpci_msi_flush(struct vpci_dev *dev);
void vpci_msix_flush(struct vpci_dev *dev);
/* Is vector @v held: MSI pending bit or blocked, MSI-X PBA bit? */
bool vpci_msi_pending(const struct vpci_dev *dev, unsigned v);
bool vpci_msix_pending(const struct vpci_dev *dev, unsigned v);
/* Drive INTx and STATUS.INTERRUPT from levels, mode and INTX_DISABLE. */
void vpci_irq_update_intx(struct vpci_dev *dev);
/* Deliver what was held while masked or while bus master was off. */
void vpci_irq_flush_pending(struct vpci_dev *dev);
void vpci_irq_reset(struct vpci_dev *dev);

/* ---- regfile.c ---- */
void vpci_regfile_free(struct vpci_regfile *rf);
struct vpci_regfile *vpci_regfile_bar_next(const struct vpci_regfile *rf);
struct vpci_regfile *vpci_regfile_dev_next(const struct vpci_regfile *rf);
uint64_t vpci_regfile_base(const struct vpci_regfile *rf);
uint64_t vpci_regfile_span(const struct vpci_regfile *rf);
uint64_t vpci_regfile_hole_value(const struct vpci_regfile *rf);
/* Register values as a flat little-endian byte image, for save/restore. */
size_t vpci_regfile_state_size(const struct vpci_regfile *rf);
void vpci_regfile_state_save(const struct vpci_regfile *rf, uint8_t *out);
void vpci_regfile_state_load(struct vpci_regfile *rf, const uint8_t *in);
const char *vpci_regfile_name(const struct vpci_regfile *rf);

/* ---- timer.c ---- */
void vpci_timers_cancel_all(struct vpci_dev *dev);
void vpci_timers_free(struct vpci_dev *dev);

/* ---- props.c ---- */
int vpci_props_parse(const struct vpci_model *model, const char *text,
                     const struct vpci_dev *dev_for_log,
                     struct vpci_props **out);
void vpci_props_free(struct vpci_props *props);

#endif /* VPCI_INTERNAL_H */
