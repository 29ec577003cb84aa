/* SPDX-License-Identifier: MIT */
/*
 * Interrupts, emulated fully inside the function.
 *
 * A model has numbered interrupt sources (0..2047) and only raises and
 * lowers them.  The core delivers through whatever the guest enabled:
 *  - MSI-X when enabled: source n uses table entry n mod table size; a
 *    masked vector (function mask or vector control) sets its PBA bit and
 *    the message goes out when it is unmasked;
 *  - else MSI when enabled: source n uses vector n mod the enabled count
 *    (the low data bits carry it); a masked vector sets its pending bit and
 *    is sent on unmask;
 *  - else INTx: the pin is the OR of all asserted sources, held low while
 *    COMMAND.INTX_DISABLE is set; STATUS.INTERRUPT shows the OR either way.
 * MSI and MSI-X messages are edges: each raise sends one.  Messages are
 * only sent while COMMAND.MASTER is set (a function may not write memory
 * otherwise); a message blocked that way is recorded as pending.
 */
#ifndef VPCI_IRQ_H
#define VPCI_IRQ_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

#define VPCI_IRQ_MAX_SOURCES 2048u

enum vpci_irq_mode {
    VPCI_IRQ_NONE,  /* no pin and no MSI/MSI-X enabled */
    VPCI_IRQ_INTX,
    VPCI_IRQ_MSI,
    VPCI_IRQ_MSIX,
};

/* Assert / deassert source @n. -EINVAL if n >= VPCI_IRQ_MAX_SOURCES. */
int vpci_irq_raise(struct vpci_dev *dev, unsigned n);
int vpci_irq_lower(struct vpci_dev *dev, unsigned n);
/* Raise then lower: one MSI message, or an INTx blip. */
int vpci_irq_pulse(struct vpci_dev *dev, unsigned n);
/* Set @n to @level: a level, so only a low-to-high change raises (and
 * sends a message); setting the level it already has does nothing. */
int vpci_irq_set(struct vpci_dev *dev, unsigned n, bool level);

enum vpci_irq_mode vpci_irq_mode(const struct vpci_dev *dev);
/* Vectors the guest can receive in the current mode: the MSI vectors it
 * enabled (Multiple Message Enable), the MSI-X table size, 1 for INTx,
 * 0 for none. */
unsigned vpci_irq_vectors(const struct vpci_dev *dev);
/* Level the INTx pin is driven to now. */
bool vpci_irq_intx_level(const struct vpci_dev *dev);
/* Is MSI / MSI-X vector @v pending: masked when it fired, or held while
 * bus master was off?  Looks at MSI-X when enabled, else MSI when enabled,
 * else MSI-X if the function has it, else MSI. */
bool vpci_irq_pending(const struct vpci_dev *dev, unsigned v);
const char *vpci_irq_mode_name(enum vpci_irq_mode mode);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_IRQ_H */
