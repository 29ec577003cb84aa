/* SPDX-License-Identifier: MIT */
/*
 * Capabilities: a builder that places them and links the lists, and the
 * standard ones libvpci emulates.
 *
 * Standard capabilities live in 0x40..0xFF on dword boundaries and form the
 * list headed by CAPABILITY_LIST (0x34); extended ones live in
 * 0x100..0xFFF of a PCI Express function and form the list at 0x100.
 * Capabilities are linked in the order they are added.  Each add* call
 * writes the capability's reset values and its write masks; the core then
 * emulates the registers' behaviour.
 *
 * Offsets: pass 0 to let the builder choose the lowest free aligned place.
 * Every function returns 0 and the chosen offset in *out (out may be NULL),
 * or -EINVAL (bad offset, alignment or parameters), -ENOSPC (no room),
 * -EEXIST (overlaps a capability already placed, or a second MSI / MSI-X /
 * PM / PCIe / AER), -EPERM (not during init()).
 */
#ifndef VPCI_CAP_H
#define VPCI_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

/* Generic: reserve @size bytes for capability @id and link it. */
int vpci_cap_add(struct vpci_dev *dev, uint8_t id, unsigned offset,
                 unsigned size, unsigned *out);
int vpci_ecap_add(struct vpci_dev *dev, uint16_t id, uint8_t version,
                  unsigned offset, unsigned size, unsigned *out);
/* Offset of the first capability with @id, or 0. */
unsigned vpci_cap_find(const struct vpci_dev *dev, uint8_t id);
unsigned vpci_ecap_find(const struct vpci_dev *dev, uint16_t id);

/* Power management (PCI PM 1.2): D0 and D3hot. */
struct vpci_pm_config {
    bool no_soft_reset;   /* PMCSR.No_Soft_Reset: D3hot->D0 keeps state */
};
int vpci_cap_add_pm(struct vpci_dev *dev, unsigned offset,
                    const struct vpci_pm_config *cfg, unsigned *out);
/* Current power state: 0 (D0) or 3 (D3hot). */
unsigned vpci_pm_state(const struct vpci_dev *dev);

/* MSI: 1..32 vectors (power of two). */
#define VPCI_MSI_64BIT    0x1u
#define VPCI_MSI_MASKABLE 0x2u  /* per-vector mask and pending bits */
int vpci_cap_add_msi(struct vpci_dev *dev, unsigned offset, unsigned vectors,
                     unsigned flags, unsigned *out);

/*
 * MSI-X: 1..2048 vectors; the table (16 bytes per vector) and the PBA
 * (one bit per vector, in qwords) live in memory BARs at any 8-byte
 * aligned offset, both declared before this call and big enough.
 */
int vpci_cap_add_msix(struct vpci_dev *dev, unsigned offset, unsigned vectors,
                      unsigned table_bar, uint32_t table_offset,
                      unsigned pba_bar, uint32_t pba_offset, unsigned *out);

/* PCI Express capability, version 2. */
enum vpci_pcie_type {
    VPCI_PCIE_ENDPOINT = 0x0,
    VPCI_PCIE_LEGACY_ENDPOINT = 0x1,
    VPCI_PCIE_ROOT_PORT = 0x4,
    VPCI_PCIE_UPSTREAM_PORT = 0x5,
    VPCI_PCIE_DOWNSTREAM_PORT = 0x6,
    VPCI_PCIE_RC_ENDPOINT = 0x9,   /* root complex integrated endpoint */
};
struct vpci_pcie_config {
    enum vpci_pcie_type type;
    bool flr;               /* DevCap: Function Level Reset capable */
    uint8_t max_payload;    /* DevCap MPS supported: 0 = 128 B .. 5 = 4 KiB */
    uint8_t link_speed;     /* 1 = 2.5 GT/s, 2 = 5 GT/s (0: 1) */
    uint8_t link_width;     /* lanes (0: 1) */
    bool slot;              /* ports: slot implemented */
};
int vpci_cap_add_pcie(struct vpci_dev *dev, unsigned offset,
                      const struct vpci_pcie_config *cfg, unsigned *out);

/* Advanced Error Reporting (extended capability, version 2). */
int vpci_ecap_add_aer(struct vpci_dev *dev, unsigned offset, unsigned *out);
/*
 * Record an error detected by the function: @uncorrectable selects the
 * AER status register, @bit one PCI_ERR_UNC_* / PCI_ERR_COR_* bit.  Sets
 * the AER status (and First Error Pointer), the PCIe Device Status error
 * bits and, for Unsupported Request, DevSta.URD.  Works without AER too.
 */
int vpci_err_report(struct vpci_dev *dev, bool uncorrectable, uint32_t bit);

/* Vendor-specific capability: @len payload bytes after the 3-byte header. */
int vpci_cap_add_vendor(struct vpci_dev *dev, unsigned offset,
                        const void *payload, size_t len, unsigned *out);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_CAP_H */
