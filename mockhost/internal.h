/* SPDX-License-Identifier: MIT */
/* Mock host private header: what its files share.  Not installed. */
#ifndef VPCI_MOCKHOST_INTERNAL_H
#define VPCI_MOCKHOST_INTERNAL_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>

#include "mockhost.h"

/* <linux/pci.h>'s devfn helpers (not in pci_regs.h). */
#define DEVFN(slot, func) ((uint8_t)(((slot) & 0x1f) << 3 | ((func) & 7)))
#define SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define FUNC(devfn) ((devfn) & 7)

/* "4 KiB", "8 GiB", "3000 B": a size the way the tree and errors say it. */
const char *mock_fmt_size(uint64_t size, char *buf, size_t len);

/* Log through the mock host's sink at @level (counted for errors/warns). */
void mock_log(struct vpci_mock *m, enum vpci_log_level level, const char *fmt,
              ...) __attribute__((format(printf, 3, 4)));

/* ---- enumeration (enumerate.c) ----
 * vpci_mock_enumerate() through a chosen config mechanism: "direct" (or
 * NULL: vpci_mock_cfg_read/write), "cf8" or "ecam".  -EINVAL for an
 * unknown name, -ENODEV when the machine lacks it. */
int mock_enumerate_via(struct vpci_mock *m, const char *method);

/* ---- IOMMU (iommu.c) ----
 * The core creates it when the machine has one and calls translate on
 * every DMA page; iommu.c implements the public vpci_mock_iommu_* calls
 * on top of vpci_mock_get_iommu(). */
struct mock_iommu;
/* Page tables are allocated from [pool_base, pool_base + pool_size) of
 * guest RAM and read and written there, as a guest's tables would be. */
int mock_iommu_new(struct vpci_mock *m, uint64_t pool_base, uint64_t pool_size,
                   struct mock_iommu **out);
void mock_iommu_free(struct mock_iommu *iommu);
/* Translate one access that does not cross a 4 KiB page; on failure the
 * fault is recorded and -EFAULT / -EACCES returned. */
int mock_iommu_dma(struct mock_iommu *iommu, uint16_t rid, uint64_t iova,
                   bool write, uint64_t *pa);
/* NULL when the machine has no IOMMU. */
struct mock_iommu *vpci_mock_get_iommu(struct vpci_mock *m);

#endif
