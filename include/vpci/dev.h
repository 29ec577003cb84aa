/* SPDX-License-Identifier: MIT */
/*
 * A PCI function: creation from a model, identity, reset, save/restore.
 *
 * Every function in libvpci returns 0 (or a value) on success and a
 * negative errno on failure, after logging a message that says why through
 * the host's log service.
 */
#ifndef VPCI_DEV_H
#define VPCI_DEV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpci/config.h>
#include <vpci/host.h>
#include <vpci/model.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

/* What a model says about itself first thing in init(). */
struct vpci_identity {
    uint16_t vendor_id, device_id;
    uint16_t subsystem_vendor_id, subsystem_id; /* type 0 only */
    uint8_t revision;
    uint32_t class_code;    /* base << 16 | sub-class << 8 | prog-if */
    uint8_t interrupt_pin;  /* 0 none, 1..4 = INTA..INTD */
    bool express;           /* 4 KiB config space (PCI Express) */
    bool bridge;            /* type 1 header: PCI-to-PCI bridge */
    bool multifunction;     /* header type bit 7 */
};

/*
 * Create a function of @model.  @props is the model's part of a spec
 * string, "key=value,key=value" (NULL or "" for defaults); unknown keys and
 * malformed values are rejected.  @ops and @host are the host services and
 * their opaque pointer (ops may be NULL: an unplugged function).
 * Calls the model's init(), validates what it built, records the reset
 * image and leaves the function in its reset state.
 * Returns 0 and *out, or a negative errno with nothing allocated.
 */
int vpci_dev_create(const struct vpci_model *model, const char *props,
                    const struct vpci_host_ops *ops, void *host,
                    struct vpci_dev **out);
/* Cancel timers, release everything.  NULL is accepted. */
void vpci_dev_destroy(struct vpci_dev *dev);

/* During init(): set IDs, header type and config space size. -EPERM after. */
int vpci_dev_set_identity(struct vpci_dev *dev, const struct vpci_identity *id);

/*
 * Set or clear the header type's multi-function bit (bit 7).  A host does
 * this when it places the function in a slot with siblings (QEMU's
 * multifunction=on); the bit becomes part of the reset image, so resets
 * and FLR keep it.  Returns 0, or -EINVAL for NULL.
 */
int vpci_dev_set_multifunction(struct vpci_dev *dev, bool on);

const struct vpci_model *vpci_dev_model(const struct vpci_dev *dev);
void *vpci_dev_priv(const struct vpci_dev *dev);
/* A per-function pointer that belongs to the host. */
void vpci_dev_set_host_data(struct vpci_dev *dev, void *data);
void *vpci_dev_host_data(const struct vpci_dev *dev);
/* Label used in messages (default: the model name). */
int vpci_dev_set_label(struct vpci_dev *dev, const char *label);
const char *vpci_dev_label(const struct vpci_dev *dev);
bool vpci_dev_is_express(const struct vpci_dev *dev);
bool vpci_dev_is_bridge(const struct vpci_dev *dev);
/* COMMAND.MASTER: may the function issue DMA and MSI writes? */
bool vpci_dev_bus_master(const struct vpci_dev *dev);

/* Per-access trace lines (register name, value, effect) at VPCI_LOG_TRACE. */
void vpci_dev_set_trace(struct vpci_dev *dev, bool on);
bool vpci_dev_trace_enabled(const struct vpci_dev *dev);

/* Log through the host (or stderr).  Printf-style. */
void vpci_log(const struct vpci_dev *dev, enum vpci_log_level level,
              const char *fmt, ...) __attribute__((format(printf, 3, 4)));

enum vpci_reset_kind {
    VPCI_RESET_CONVENTIONAL, /* power-on, PERST#, secondary bus reset */
    VPCI_RESET_FLR,          /* function level reset */
};
/*
 * Restore every config register, capability (MSI, MSI-X table and PBA, PM,
 * PCIe, AER), register file and interrupt state to its reset value, cancel
 * timers, then call the model's reset().  @fx (may be NULL) receives BAR
 * unmaps and toggles the reset caused.
 */
int vpci_dev_reset(struct vpci_dev *dev, enum vpci_reset_kind kind,
                   struct vpci_effects *fx);

/*
 * Save the whole function (config space, MSI-X, interrupt levels, register
 * files, RAM BARs, armed timers, the model's state fields) into a malloc'd
 * blob (free() it): versioned, tagged with the model name and CRC32-checked.
 * The format is described in libvpci/state.c.  Returns 0, or -EINVAL (NULL
 * argument, a model state field outside the private struct), -ENOMEM.
 */
int vpci_dev_save(const struct vpci_dev *dev, void **blob, size_t *len);
/*
 * Load a blob made by vpci_dev_save() for a function of the same model and
 * layout.  A truncated, corrupted, foreign (other model, other layout) or
 * newer-version blob returns -EINVAL / -EBADMSG / -EPROTO and leaves the
 * function unchanged.  @fx (may be NULL) is cleared and receives the BAR
 * mappings and toggles that differ from before.  Timers armed in the blob
 * are re-armed at their saved absolute deadline; then the model's
 * post_load() runs.
 */
int vpci_dev_load(struct vpci_dev *dev, const void *blob, size_t len,
                  struct vpci_effects *fx);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_DEV_H */
