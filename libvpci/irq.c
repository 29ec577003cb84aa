/* SPDX-License-Identifier: MIT */
/*
 * Interrupt sources and their routing: MSI-X, else MSI, else INTx, as the
 * guest enabled them (see include/vpci/irq.h).
 *
 * INTx (PCI 3.0 6.2.2 / 6.2.3):
 *  - the pin is driven to the OR of all source levels while the function
 *    is in INTx mode (it has a pin and neither MSI nor MSI-X is enabled)
 *    and COMMAND.INTX_DISABLE is clear; the host hears set_intx() only
 *    when that driven level changes;
 *  - STATUS.INTERRUPT is the OR of the source levels in INTx mode, whether
 *    or not INTX_DISABLE holds the pin low.  While MSI or MSI-X is enabled
 *    (and in a function without a pin) no INTx interrupt is pending, so it
 *    reads 0 (PCIe 7.5.1.1.2: "an INTx emulation interrupt is pending").
 * MSI and MSI-X messages are edges: each raise sends one; lowering only
 * changes the level (a held message stays pending).
 */
#include "internal.h"


static bool any_level(const struct vpci_dev *dev)
{
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(dev->irq_level); i++)
        if (dev->irq_level[i])
            return true;
    return false;
}

static bool level_of(const struct vpci_dev *dev, unsigned n)
{
    return (dev->irq_level[n / 64] >> (n % 64)) & 1;
}

static bool msix_on(const struct vpci_dev *dev)
{
    return dev->msix_cap && (cfg_get16(dev, dev->msix_cap + PCI_MSIX_FLAGS) &
                             PCI_MSIX_FLAGS_ENABLE);
}

static bool msi_on(const struct vpci_dev *dev)
{
    return dev->msi_cap && (cfg_get16(dev, dev->msi_cap + PCI_MSI_FLAGS) &
                            PCI_MSI_FLAGS_ENABLE);
}

enum vpci_irq_mode vpci_irq_mode(const struct vpci_dev *dev)
{
    if (!dev)
        return VPCI_IRQ_NONE;
    if (msix_on(dev))
        return VPCI_IRQ_MSIX;
    if (msi_on(dev))
        return VPCI_IRQ_MSI;
    if (dev->config[PCI_INTERRUPT_PIN])
        return VPCI_IRQ_INTX;
    return VPCI_IRQ_NONE;
}

unsigned vpci_irq_vectors(const struct vpci_dev *dev)
{
    switch (vpci_irq_mode(dev)) {
    case VPCI_IRQ_MSIX: return dev->msix.vectors;
    case VPCI_IRQ_MSI: return vpci_msi_enabled_vectors(dev);
    case VPCI_IRQ_INTX: return 1;
    case VPCI_IRQ_NONE: break;
    }
    return 0;
}

const char *vpci_irq_mode_name(enum vpci_irq_mode mode)
{
    switch (mode) {
    case VPCI_IRQ_NONE: return "none";
    case VPCI_IRQ_INTX: return "intx";
    case VPCI_IRQ_MSI: return "msi";
    case VPCI_IRQ_MSIX: return "msix";
    }
    return "?";
}

void vpci_irq_update_intx(struct vpci_dev *dev)
{
    /* Inside init() the function is not plugged in yet (and config is
     * becoming the reset image): a raise there only records the level,
     * which the pin follows once vpci_dev_create() syncs the function. */
    if (dev->initializing)
        return;
    bool intx = vpci_irq_mode(dev) == VPCI_IRQ_INTX && any_level(dev);
    uint16_t status = cfg_get16(dev, PCI_STATUS);
    if (intx)
        status |= PCI_STATUS_INTERRUPT;
    else
        status &= (uint16_t)~PCI_STATUS_INTERRUPT;
    le_put16(dev->config + PCI_STATUS, status);

    bool drive = intx &&
                 !(cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
    if (drive == dev->intx_driven)
        return;
    dev->intx_driven = drive;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "INTx %s",
                 drive ? "asserted" : "deasserted");
    if (dev->ops && dev->ops->set_intx)
        dev->ops->set_intx(dev->host, dev, drive);
}

static int check_source(const struct vpci_dev *dev, unsigned n,
                        const char *what)
{
    if (!dev)
        return -EINVAL;
    if (n >= VPCI_IRQ_MAX_SOURCES) {
        vpci_log(dev, VPCI_LOG_ERROR, "%s: interrupt source %u: sources are "
                 "0..%u", what, n, VPCI_IRQ_MAX_SOURCES - 1);
        return -EINVAL;
    }
    return 0;
}

int vpci_irq_raise(struct vpci_dev *dev, unsigned n)
{
    int rc = check_source(dev, n, "vpci_irq_raise");
    if (rc)
        return rc;
    dev->irq_level[n / 64] |= 1ull << (n % 64);
    switch (vpci_irq_mode(dev)) {
    case VPCI_IRQ_MSIX:
        vpci_msix_fire(dev, n);
        break;
    case VPCI_IRQ_MSI:
        vpci_msi_fire(dev, n);
        break;
    case VPCI_IRQ_INTX:
    case VPCI_IRQ_NONE:
        break;
    }
    vpci_irq_update_intx(dev);
    return 0;
}

int vpci_irq_lower(struct vpci_dev *dev, unsigned n)
{
    int rc = check_source(dev, n, "vpci_irq_lower");
    if (rc)
        return rc;
    dev->irq_level[n / 64] &= ~(1ull << (n % 64));
    vpci_irq_update_intx(dev);
    return 0;
}

int vpci_irq_pulse(struct vpci_dev *dev, unsigned n)
{
    int rc = vpci_irq_raise(dev, n);
    return rc ? rc : vpci_irq_lower(dev, n);
}

int vpci_irq_set(struct vpci_dev *dev, unsigned n, bool level)
{
    int rc = check_source(dev, n, "vpci_irq_set");
    if (rc)
        return rc;
    /* A level, not an event: only a rising edge sends a message. */
    if (level == level_of(dev, n))
        return 0;
    return level ? vpci_irq_raise(dev, n) : vpci_irq_lower(dev, n);
}

bool vpci_irq_intx_level(const struct vpci_dev *dev)
{
    return dev && dev->intx_driven;
}

bool vpci_irq_pending(const struct vpci_dev *dev, unsigned v)
{
    if (!dev)
        return false;
    /* The vectors of the mode in use; with neither enabled, MSI-X's if the
     * function has it, else MSI's. */
    if (msix_on(dev) || (!msi_on(dev) && dev->msix_cap))
        return vpci_msix_pending(dev, v);
    return vpci_msi_pending(dev, v);
}

void vpci_irq_flush_pending(struct vpci_dev *dev)
{
    vpci_msix_flush(dev);
    vpci_msi_flush(dev);
}

void vpci_irq_reset(struct vpci_dev *dev)
{
    memset(dev->irq_level, 0, sizeof(dev->irq_level));
    dev->msi_blocked = 0;
    if (dev->msix.pba)
        memset(dev->msix.pba, 0, 8 * ((dev->msix.vectors + 63) / 64));
    if (!dev->intx_driven)
        return;
    dev->intx_driven = false;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "INTx deasserted (reset)");
    if (dev->ops && dev->ops->set_intx)
        dev->ops->set_intx(dev->host, dev, false);
}
