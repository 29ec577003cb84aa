/* SPDX-License-Identifier: MIT */
/*
 * DMA on behalf of a model: the checks a real function's bus interface
 * makes before it issues a memory request, and the page-by-page transfer
 * through the host.
 *
 * Order of the checks (each refuses with nothing moved):
 *   -EINVAL  bad arguments (NULL device or buffer, NULL list)
 *   -ENODEV  the function is plugged into no host that does DMA
 *   -EPERM   COMMAND.MASTER is off: a function may not initiate requests
 *            (PCI 3.0 6.2.2, Bus Master bit)
 *   -ERANGE  some byte of the range lies beyond the DMA address mask, or
 *            the range wraps past 2^64
 *   -EINVAL  (scatter-gather) the list holds fewer bytes than requested
 * Then the transfer goes out in pieces that never cross a 4 KiB boundary
 * of the bus address, one host dma_rw() call each, and stops at the first
 * piece the host refuses: its error is returned and *done counts the bytes
 * of the pieces before it.  The host moves all of a piece or none of it, so
 * no byte at or after the fault is touched.
 */
#include "internal.h"

#define PAGE_MASK ((uint64_t)VPCI_DMA_PAGE_SIZE - 1)

static const char *errno_name(int err)
{
    switch (err) {
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    case ERANGE: return "ERANGE";
    case EPERM: return "EPERM";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    default: return "error";
    }
}

static const char *dir_name(enum vpci_dma_dir dir)
{
    return dir == VPCI_DMA_TO_DEVICE ? "read" : "write";
}

int vpci_dma_translated(const struct vpci_dev *dev)
{
    if (!dev || !dev->ops || !dev->ops->dma_translated)
        return -ENOTSUP;
    return dev->ops->dma_translated(dev->host, (struct vpci_dev *)dev) ? 1 : 0;
}

int vpci_dma_set_mask(struct vpci_dev *dev, uint64_t mask)
{
    if (!dev)
        return -EINVAL;
    /* 2^n - 1 for n = 1..64: low bits all set, none above them. */
    if (mask == 0 || (mask & (mask + 1)) != 0) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_dma_set_mask: 0x%llx is not of the form 2^n - 1",
                 (unsigned long long)mask);
        return -EINVAL;
    }
    dev->dma_mask = mask;
    return 0;
}

uint64_t vpci_dma_mask(const struct vpci_dev *dev)
{
    return dev ? dev->dma_mask : 0;
}

/* Can the function issue DMA at all?  0 or the errno, after logging why. */
static int dma_allowed(struct vpci_dev *dev, enum vpci_dma_dir dir)
{
    if (!dev->ops || !dev->ops->dma_rw) {
        vpci_log(dev, VPCI_LOG_WARN, "DMA %s: no host to do it (unplugged)",
                 dir_name(dir));
        return -ENODEV;
    }
    if (!vpci_dev_bus_master(dev)) {
        vpci_log(dev, VPCI_LOG_WARN,
                 "DMA %s refused: bus master is off (COMMAND.MASTER)",
                 dir_name(dir));
        return -EPERM;
    }
    return 0;
}

/* Is [addr, addr + len) reachable under the mask?  len > 0. */
static bool range_ok(const struct vpci_dev *dev, uint64_t addr, uint64_t len)
{
    uint64_t last = addr + (len - 1);
    return last >= addr && last <= dev->dma_mask;
}

static int range_check(struct vpci_dev *dev, uint64_t addr, uint64_t len,
                       enum vpci_dma_dir dir)
{
    if (range_ok(dev, addr, len))
        return 0;
    vpci_log(dev, VPCI_LOG_WARN,
             "DMA %s of %llu bytes at 0x%llx refused: beyond the DMA mask "
             "0x%llx: ERANGE",
             dir_name(dir), (unsigned long long)len, (unsigned long long)addr,
             (unsigned long long)dev->dma_mask);
    return -ERANGE;
}

/*
 * Move @len bytes page piece by page piece; *moved counts the bytes of the
 * pieces that went through.  The checks have been made.
 */
static int dma_pages(struct vpci_dev *dev, uint64_t addr, uint8_t *buf,
                     size_t len, enum vpci_dma_dir dir, size_t *moved)
{
    size_t pos = 0;
    while (pos < len) {
        uint64_t a = addr + pos;
        size_t chunk = (size_t)(VPCI_DMA_PAGE_SIZE - (a & PAGE_MASK));
        if (chunk > len - pos)
            chunk = len - pos;
        int rc = dev->ops->dma_rw(dev->host, dev, a, buf + pos, chunk, dir);
        if (rc) {
            if (rc > 0)
                rc = -EIO;      /* a host that forgot the sign */
            vpci_log(dev, VPCI_LOG_WARN,
                     "DMA %s fault at 0x%llx (%zu-byte piece): %s; stopped "
                     "after %zu bytes",
                     dir_name(dir), (unsigned long long)a, chunk,
                     errno_name(-rc), *moved + pos);
            *moved += pos;
            return rc;
        }
        pos += chunk;
    }
    *moved += len;
    return 0;
}

static int dma_rw(struct vpci_dev *dev, uint64_t addr, void *buf, size_t len,
                  size_t *done, enum vpci_dma_dir dir)
{
    size_t moved = 0;
    if (done)
        *done = 0;
    if (!dev)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (!buf) {
        vpci_log(dev, VPCI_LOG_ERROR, "DMA %s: NULL buffer", dir_name(dir));
        return -EINVAL;
    }
    int rc = dma_allowed(dev, dir);
    if (!rc)
        rc = range_check(dev, addr, len, dir);
    if (rc)
        return rc;
    rc = dma_pages(dev, addr, buf, len, dir, &moved);
    if (done)
        *done = moved;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "dma %s 0x%llx len %zu: %zu moved%s%s",
                 dir_name(dir), (unsigned long long)addr, len, moved,
                 rc ? ", " : "", rc ? errno_name(-rc) : "");
    return rc;
}

int vpci_dma_read(struct vpci_dev *dev, uint64_t addr, void *buf, size_t len,
                  size_t *done)
{
    return dma_rw(dev, addr, buf, len, done, VPCI_DMA_TO_DEVICE);
}

int vpci_dma_write(struct vpci_dev *dev, uint64_t addr, const void *buf,
                   size_t len, size_t *done)
{
    /* The host's dma_rw() only reads @buf in this direction. */
    return dma_rw(dev, addr, (void *)buf, len, done, VPCI_DMA_FROM_DEVICE);
}

/* ---- scatter-gather ---- */

/*
 * The whole list is checked before anything moves: every element must lie
 * under the mask without wrapping (even one the transfer does not reach:
 * a malformed list is refused, not partly used), and together they must
 * hold @len bytes.
 */
static int sg_check(struct vpci_dev *dev, const struct vpci_sg *sg, size_t nsg,
                    size_t len, enum vpci_dma_dir dir)
{
    uint64_t total = 0;
    for (size_t i = 0; i < nsg; i++) {
        if (sg[i].len == 0)
            continue;
        if (!range_ok(dev, sg[i].addr, sg[i].len)) {
            vpci_log(dev, VPCI_LOG_WARN,
                     "DMA %s refused: sg[%zu] (%llu bytes at 0x%llx) is "
                     "beyond the DMA mask 0x%llx: ERANGE",
                     dir_name(dir), i, (unsigned long long)sg[i].len,
                     (unsigned long long)sg[i].addr,
                     (unsigned long long)dev->dma_mask);
            return -ERANGE;
        }
        total = sg[i].len > UINT64_MAX - total ? UINT64_MAX
                                               : total + sg[i].len;
    }
    if (total < len) {
        vpci_log(dev, VPCI_LOG_WARN,
                 "DMA %s refused: the %zu-element list holds %llu bytes, "
                 "%zu requested",
                 dir_name(dir), nsg, (unsigned long long)total, len);
        return -EINVAL;
    }
    return 0;
}

static int dma_sg(struct vpci_dev *dev, const struct vpci_sg *sg, size_t nsg,
                  uint8_t *buf, size_t len, size_t *done,
                  enum vpci_dma_dir dir)
{
    size_t moved = 0;
    if (done)
        *done = 0;
    if (!dev)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (!buf || (!sg && nsg)) {
        vpci_log(dev, VPCI_LOG_ERROR, "DMA %s: NULL buffer or list",
                 dir_name(dir));
        return -EINVAL;
    }
    int rc = dma_allowed(dev, dir);
    if (!rc)
        rc = sg_check(dev, sg, nsg, len, dir);
    if (rc)
        return rc;
    for (size_t i = 0; i < nsg && moved < len && !rc; i++) {
        size_t n = len - moved;
        if (sg[i].len < n)
            n = (size_t)sg[i].len;
        if (n)
            rc = dma_pages(dev, sg[i].addr, buf + moved, n, dir, &moved);
    }
    if (done)
        *done = moved;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "dma %s sg[%zu] len %zu: %zu moved%s%s",
                 dir_name(dir), nsg, len, moved, rc ? ", " : "",
                 rc ? errno_name(-rc) : "");
    return rc;
}

int vpci_dma_read_sg(struct vpci_dev *dev, const struct vpci_sg *sg,
                     size_t nsg, void *buf, size_t len, size_t *done)
{
    return dma_sg(dev, sg, nsg, buf, len, done, VPCI_DMA_TO_DEVICE);
}

int vpci_dma_write_sg(struct vpci_dev *dev, const struct vpci_sg *sg,
                      size_t nsg, const void *buf, size_t len, size_t *done)
{
    return dma_sg(dev, sg, nsg, (void *)buf, len, done, VPCI_DMA_FROM_DEVICE);
}
