/* SPDX-License-Identifier: MIT */
/*
 * DMA helpers for models.
 *
 * They refuse to move anything while COMMAND.MASTER is off (-EPERM),
 * refuse a range beyond the function's DMA address mask (-ERANGE, nothing
 * moved), split transfers at 4 KiB page boundaries so the host translates
 * each page (e.g. through its IOMMU), and stop at the first page that
 * faults: the bytes before it have moved, nothing at or after it has, and
 * *done says how many moved.  Errors are the host's (-EFAULT unmapped,
 * -EACCES permission, -ERANGE out of range) or -ENODEV without a host.
 */
#ifndef VPCI_DMA_H
#define VPCI_DMA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

#define VPCI_DMA_PAGE_SIZE 4096u

/* @mask is 2^n - 1 (n = 1..64); the default is all 64 bits. */
int vpci_dma_set_mask(struct vpci_dev *dev, uint64_t mask);
uint64_t vpci_dma_mask(const struct vpci_dev *dev);

/*
 * Does an IOMMU translate this function's DMA?  1 yes, 0 no, -ENOTSUP when
 * the host does not say (no host, or no dma_translated service).
 */
int vpci_dma_translated(const struct vpci_dev *dev);

/* @done may be NULL. */
int vpci_dma_read(struct vpci_dev *dev, uint64_t addr, void *buf, size_t len,
                  size_t *done);
int vpci_dma_write(struct vpci_dev *dev, uint64_t addr, const void *buf,
                   size_t len, size_t *done);

/* A scatter-gather element: @len bytes of bus memory at @addr. */
struct vpci_sg {
    uint64_t addr;
    uint64_t len;
};
/*
 * Gather from / scatter to the list, in order, up to @len bytes of @buf.
 * -EINVAL if the list holds fewer than @len bytes (nothing moved).
 */
int vpci_dma_read_sg(struct vpci_dev *dev, const struct vpci_sg *sg,
                     size_t nsg, void *buf, size_t len, size_t *done);
int vpci_dma_write_sg(struct vpci_dev *dev, const struct vpci_sg *sg,
                      size_t nsg, const void *buf, size_t len, size_t *done);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_DMA_H */
