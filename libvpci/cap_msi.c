/* SPDX-License-Identifier: MIT */
/*
 * MSI capability (PCI Local Bus 3.0 section 6.8.1; PCIe 7.7.1): layout,
 * write masks, enable / per-vector mask effects, and delivery with the
 * pending bits.
 *
 * Layout (offsets from the capability, <linux/pci_regs.h> names):
 *   +0x02 Message Control: Enable RW, Multiple Message Capable RO
 *         (log2 of the vectors), Multiple Message Enable RW, 64-bit RO,
 *         Per-Vector Masking RO
 *   +0x04 Message Address (bits 1:0 read as 0)
 *   +0x08 Message Upper Address (64-bit only)
 *   +0x08 / +0x0C Message Data, 16 bits; when the capability is maskable
 *         the dword's upper half is reserved and reads 0
 *   then, maskable only: Mask Bits (RW for implemented vectors) and
 *         Pending Bits (RO, set by the function).
 * Sizes: 10, 14 (64-bit), 20 (maskable), 24 (64-bit maskable) bytes.
 *
 * A guest writing Multiple Message Enable above Multiple Message Capable
 * gets MMC: the field is clamped (the spec leaves the result undefined;
 * granting the most the function supports is what drivers expect).
 */
#include "internal.h"


#define MSI_MAX_VECTORS 32u

static bool msi_64bit(const struct vpci_dev *dev)
{
    return dev->msi_flags & VPCI_MSI_64BIT;
}

static bool msi_maskable(const struct vpci_dev *dev)
{
    return dev->msi_flags & VPCI_MSI_MASKABLE;
}

static unsigned msi_data_off(const struct vpci_dev *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
}

static unsigned msi_mask_off(const struct vpci_dev *dev)
{
    return dev->msi_cap + (msi_64bit(dev) ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
}

static unsigned msi_pending_off(const struct vpci_dev *dev)
{
    return dev->msi_cap +
           (msi_64bit(dev) ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32);
}

/* Bits of the implemented vectors (Multiple Message Capable). */
static uint32_t msi_vector_bits(unsigned vectors)
{
    return vectors >= 32 ? UINT32_MAX : (1u << vectors) - 1;
}

static uint16_t msi_control(const struct vpci_dev *dev)
{
    return cfg_get16(dev, dev->msi_cap + PCI_MSI_FLAGS);
}

/* Vectors the guest enabled (Multiple Message Enable), 1..32. */
unsigned vpci_msi_enabled_vectors(const struct vpci_dev *dev)
{
    return 1u << ((msi_control(dev) & PCI_MSI_FLAGS_QSIZE) >> 4);
}

static uint32_t msi_mask(const struct vpci_dev *dev)
{
    return msi_maskable(dev) ? cfg_get32(dev, msi_mask_off(dev)) : 0;
}

static uint32_t msi_pending_bits(const struct vpci_dev *dev)
{
    return msi_maskable(dev) ? cfg_get32(dev, msi_pending_off(dev)) : 0;
}

static void msi_set_pending_bits(struct vpci_dev *dev, uint32_t bits)
{
    le_put32(dev->config + msi_pending_off(dev), bits);
}

/* MSI is the mode in use: enabled, and MSI-X (which wins) is not. */
static bool msi_active(const struct vpci_dev *dev)
{
    if (!dev->msi_cap || !(msi_control(dev) & PCI_MSI_FLAGS_ENABLE))
        return false;
    return !(dev->msix_cap && (cfg_get16(dev, dev->msix_cap + PCI_MSIX_FLAGS) &
                               PCI_MSIX_FLAGS_ENABLE));
}

int vpci_cap_add_msi(struct vpci_dev *dev, unsigned offset, unsigned vectors,
                     unsigned flags, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_cap_add_msi");
    if (rc)
        return rc;
    if (!is_pow2(vectors) || vectors > MSI_MAX_VECTORS ||
        (flags & ~(VPCI_MSI_64BIT | VPCI_MSI_MASKABLE))) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "MSI: %u vectors, flags 0x%x: vectors must be a power of "
                 "two in 1..32, flags VPCI_MSI_64BIT | VPCI_MSI_MASKABLE",
                 vectors, flags);
        return -EINVAL;
    }
    if (dev->msi_cap) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "MSI: a function has one MSI capability (already at 0x%x)",
                 dev->msi_cap);
        return -EEXIST;
    }
    bool is64 = flags & VPCI_MSI_64BIT;
    bool maskable = flags & VPCI_MSI_MASKABLE;
    unsigned size;
    if (maskable)
        size = (is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32) + 4;
    else
        size = (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32) + 2;
    unsigned off;
    rc = vpci_cap_add(dev, PCI_CAP_ID_MSI, offset, size, &off);
    if (rc)
        return rc;

    dev->msi_cap = off;
    dev->msi_vectors = vectors;
    dev->msi_flags = flags;
    unsigned mmc = 0;
    while ((1u << mmc) < vectors)
        mmc++;
    uint16_t ctrl = (uint16_t)(mmc << 1);
    if (is64)
        ctrl |= PCI_MSI_FLAGS_64BIT;
    if (maskable)
        ctrl |= PCI_MSI_FLAGS_MASKBIT;
    vpci_cfg_init_field(dev, off + PCI_MSI_FLAGS, 2, ctrl,
                        PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE, 0);
    vpci_cfg_init_field(dev, off + PCI_MSI_ADDRESS_LO, 4, 0, 0xfffffffcu, 0);
    if (is64)
        vpci_cfg_init_field(dev, off + PCI_MSI_ADDRESS_HI, 4, 0, UINT32_MAX,
                            0);
    vpci_cfg_init_field(dev, msi_data_off(dev), 2, 0, 0xffff, 0);
    if (maskable) {
        vpci_cfg_init_field(dev, msi_data_off(dev) + 2, 2, 0, 0, 0);
        vpci_cfg_init_field(dev, msi_mask_off(dev), 4, 0,
                            msi_vector_bits(vectors), 0);
        vpci_cfg_init_field(dev, msi_pending_off(dev), 4, 0, 0, 0);
    }
    if (out)
        *out = off;
    return 0;
}

/* ---- delivery ---- */

/* Send vector @v now: address and data as the guest programmed them, the
 * low log2(enabled) data bits carrying the vector number. */
static void msi_send(struct vpci_dev *dev, unsigned v)
{
    uint64_t addr = cfg_get32(dev, dev->msi_cap + PCI_MSI_ADDRESS_LO);
    if (msi_64bit(dev))
        addr |= (uint64_t)cfg_get32(dev, dev->msi_cap + PCI_MSI_ADDRESS_HI)
                << 32;
    uint32_t low = vpci_msi_enabled_vectors(dev) - 1;
    uint32_t data = (cfg_get16(dev, msi_data_off(dev)) & ~low) | (v & low);
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "MSI vector %u: sent 0x%x to 0x%llx", v,
                 data, (unsigned long long)addr);
    if (dev->ops && dev->ops->msi_send)
        dev->ops->msi_send(dev->host, dev, addr, data);
}

/* Send vector @v, or hold it: pending bit while masked, blocked while the
 * function may not master the bus. */
static void msi_fire_vector(struct vpci_dev *dev, unsigned v)
{
    uint32_t bit = 1u << v;
    if (msi_mask(dev) & bit) {
        msi_set_pending_bits(dev, msi_pending_bits(dev) | bit);
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE, "MSI vector %u: held (masked)", v);
        return;
    }
    if (!vpci_dev_bus_master(dev)) {
        dev->msi_blocked |= bit;
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE,
                     "MSI vector %u: held (bus master off)", v);
        return;
    }
    msi_send(dev, v);
}

void vpci_msi_fire(struct vpci_dev *dev, unsigned source)
{
    if (!msi_active(dev))
        return;
    msi_fire_vector(dev, source % vpci_msi_enabled_vectors(dev));
}

void vpci_msi_flush(struct vpci_dev *dev)
{
    if (!dev->msi_cap)
        return;
    /* Blocked messages belong to the MSI session they were raised in; the
     * architectural pending bits stay for the guest to see. */
    if (!msi_active(dev)) {
        dev->msi_blocked = 0;
        return;
    }
    if (!vpci_dev_bus_master(dev))
        return;
    uint32_t pending = msi_pending_bits(dev);
    uint32_t go = pending & ~msi_mask(dev);
    uint32_t todo = go | dev->msi_blocked;
    if (!todo)
        return;
    if (go)
        msi_set_pending_bits(dev, pending & ~go);
    dev->msi_blocked = 0;
    /* A vector the guest shrank Multiple Message Enable under goes out as
     * its number modulo the vectors now enabled, like a raise would. */
    unsigned enabled = vpci_msi_enabled_vectors(dev);
    for (unsigned v = 0; v < MSI_MAX_VECTORS; v++)
        if (todo & (1u << v))
            msi_fire_vector(dev, v % enabled);
}

bool vpci_msi_pending(const struct vpci_dev *dev, unsigned v)
{
    if (!dev->msi_cap || v >= dev->msi_vectors)
        return false;
    return ((msi_pending_bits(dev) | dev->msi_blocked) >> v) & 1;
}

/* ---- config writes ---- */

void vpci_msi_sync(struct vpci_dev *dev, struct vpci_effects *fx)
{
    if (!dev->msi_cap)
        return;
    unsigned cap = dev->msi_cap;
    uint16_t ctrl = msi_control(dev);
    unsigned mmc = (ctrl & PCI_MSI_FLAGS_QMASK) >> 1;
    unsigned mme = (ctrl & PCI_MSI_FLAGS_QSIZE) >> 4;
    if (mme > mmc) {
        vpci_log(dev, VPCI_LOG_WARN,
                 "MSI: %u vectors enabled, %u capable: granting %u",
                 1u << mme, 1u << mmc, 1u << mmc);
        ctrl = (uint16_t)((ctrl & ~PCI_MSI_FLAGS_QSIZE) | mmc << 4);
        le_put16(dev->config + cap + PCI_MSI_FLAGS, ctrl);
    }

    bool enable = ctrl & PCI_MSI_FLAGS_ENABLE;
    if (enable != dev->last_msi_enable) {
        vpci_fx_toggle(fx, VPCI_FX_MSI_ENABLE, enable);
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE, "MSI %s, %u vectors",
                     enable ? "enabled" : "disabled", 1u << mme);
        dev->last_msi_enable = enable;
    }

    uint32_t mask = msi_mask(dev);
    uint32_t changed = mask ^ dev->last_msi_mask;
    for (unsigned v = 0; changed && v < dev->msi_vectors; v++) {
        if (!(changed & (1u << v)))
            continue;
        struct vpci_effect e = { .type = VPCI_FX_MSI_MASK };
        e.u.mask.vector = v;
        e.u.mask.masked = mask & (1u << v);
        vpci_fx_push(fx, &e);
    }
    dev->last_msi_mask = mask;

    /* PCI 3.0 6.8.3.4: a vector unmasked with its pending bit set sends
     * its message (and clears the bit). */
    vpci_msi_flush(dev);
}
