/* SPDX-License-Identifier: MIT */
/*
 * The capability builder: places standard capabilities in 0x40..0xFF and
 * extended ones in 0x100..0xFFF, refuses overlaps, and links both lists in
 * the order the capabilities are added (PCI 3.0 6.7, PCIe 7.6).
 *
 * Occupancy is dev->used[]: the header marks its bytes, every capability
 * (and any byte a model set with vpci_cfg_set during init) marks its own,
 * so a new capability can never land on something already there.  A
 * capability's header (ID, next pointer) is read-only to the guest; the
 * bytes after it start as read-only zeros until the caller describes them.
 */
#include "internal.h"

#include <stdio.h>

/* Standard capabilities live between the type 0/1 header and 0x100. */
#define CAP_STD_START PCI_STD_HEADER_SIZEOF
#define CAP_STD_END PCI_CFG_SPACE_SIZE
/* Extended ones fill the rest of a PCI Express function's 4 KiB. */
#define CAP_EXT_START PCI_CFG_SPACE_SIZE
#define CAP_EXT_END PCI_CFG_SPACE_EXP_SIZE
#define CAP_EXT_HDR_SIZE 4u
/* Extended header: ID [15:0], version [19:16], next [31:20]. */
#define CAP_EXT_VER_SHIFT 16
#define CAP_EXT_VER_MAX 0xfu
#define CAP_EXT_NEXT_SHIFT 20
#define CAP_EXT_NEXT_MASK 0xfff00000u
/* Walk limits: one step per dword, so a corrupted (looping) list ends. */
#define CAP_STD_MAX_WALK ((CAP_STD_END - CAP_STD_START) / 4)
#define CAP_EXT_MAX_WALK ((CAP_EXT_END - CAP_EXT_START) / 4)
/* Vendor-specific: ID, next, length, then the payload (PCI 3.0 6.8.4). */
#define CAP_VNDR_HDR_SIZE 3u

static bool range_free(const struct vpci_dev *dev, unsigned off, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        if (dev->used[off + i])
            return false;
    return true;
}

/* Lowest dword-aligned offset in [from, end) with @size free bytes, or 0. */
static unsigned find_free(const struct vpci_dev *dev, unsigned from,
                          unsigned end, unsigned size)
{
    for (unsigned off = from; off + size <= end; off += 4)
        if (range_free(dev, off, size))
            return off;
    return 0;
}

/*
 * Check an explicit offset (@offset != 0) or find one, within [start, end).
 * @search_from lets the extended builder skip the dword that the list's
 * null header will need.  Returns 0 and *placed, or a negative errno after
 * logging.
 */
static int place(struct vpci_dev *dev, const char *what, unsigned offset,
                 unsigned size, unsigned start, unsigned search_from,
                 unsigned end, unsigned *placed)
{
    if (offset) {
        if (offset % 4 || offset < start || offset >= end ||
            size > end - offset) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: offset 0x%x (%u bytes) must be dword aligned and "
                     "within 0x%x..0x%x",
                     what, offset, size, start, end - 1);
            return -EINVAL;
        }
        if (!range_free(dev, offset, size)) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: 0x%x..0x%x overlaps registers already placed", what,
                     offset, offset + size - 1);
            return -EEXIST;
        }
        *placed = offset;
        return 0;
    }
    unsigned off = find_free(dev, search_from, end, size);
    if (!off) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "%s: no free %u bytes left in 0x%x..0x%x", what, size, start,
                 end - 1);
        return -ENOSPC;
    }
    *placed = off;
    return 0;
}

int vpci_cap_add(struct vpci_dev *dev, uint8_t id, unsigned offset,
                 unsigned size, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_cap_add");
    if (rc)
        return rc;
    char what[48];
    snprintf(what, sizeof(what), "capability 0x%02x", id);
    if (id == 0 || size < PCI_CAP_FLAGS || size > CAP_STD_END - CAP_STD_START) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "%s: needs a non-zero ID and 2..%u bytes (asked %u)", what,
                 CAP_STD_END - CAP_STD_START, size);
        return -EINVAL;
    }
    unsigned off;
    rc = place(dev, what, offset, size, CAP_STD_START, CAP_STD_START,
               CAP_STD_END, &off);
    if (rc)
        return rc;

    /* ID and next pointer are read-only; the body starts as RO zeros. */
    vpci_cfg_init_field(dev, off + PCI_CAP_LIST_ID, 1, id, 0, 0);
    vpci_cfg_init_field(dev, off + PCI_CAP_LIST_NEXT, 1, 0, 0, 0);
    for (unsigned i = PCI_CAP_FLAGS; i < size; i++)
        vpci_cfg_init_field(dev, off + i, 1, 0, 0, 0);

    /* Link at the tail: CAPABILITY_LIST + STATUS.CAP_LIST for the first.
     * Written into config during init, so the reset image keeps them. */
    if (!dev->last_cap) {
        dev->config[PCI_CAPABILITY_LIST] = (uint8_t)off;
        le_put16(dev->config + PCI_STATUS,
                 cfg_get16(dev, PCI_STATUS) | PCI_STATUS_CAP_LIST);
    } else {
        dev->config[dev->last_cap + PCI_CAP_LIST_NEXT] = (uint8_t)off;
    }
    dev->last_cap = off;
    if (out)
        *out = off;
    return 0;
}

int vpci_ecap_add(struct vpci_dev *dev, uint16_t id, uint8_t version,
                  unsigned offset, unsigned size, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_ecap_add");
    if (rc)
        return rc;
    char what[56];
    snprintf(what, sizeof(what), "extended capability 0x%04x", id);
    if (dev->cfg_size != CAP_EXT_END) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "%s: extended capabilities need a PCI Express function "
                 "(4 KiB config space; identity.express)", what);
        return -EINVAL;
    }
    if (id == 0 || version > CAP_EXT_VER_MAX || size < CAP_EXT_HDR_SIZE ||
        size > CAP_EXT_END - CAP_EXT_START) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "%s: needs a non-zero ID, version 0..%u (asked %u) and "
                 "4..%u bytes (asked %u)", what, CAP_EXT_VER_MAX, version,
                 CAP_EXT_END - CAP_EXT_START, size);
        return -EINVAL;
    }

    /* The list starts at 0x100 (PCIe 7.6.2).  If the first capability
     * goes elsewhere, 0x100 holds a null header pointing at it. */
    bool first = !dev->last_ecap;
    bool at_start = offset == CAP_EXT_START ||
                    (offset == 0 && range_free(dev, CAP_EXT_START, size));
    unsigned search_from = CAP_EXT_START;
    if (first && !at_start) {
        if (!range_free(dev, CAP_EXT_START, CAP_EXT_HDR_SIZE)) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: 0x%x is in use, but the extended list must start "
                     "there", what, CAP_EXT_START);
            return -EEXIST;
        }
        search_from = CAP_EXT_START + CAP_EXT_HDR_SIZE;
    }
    unsigned off;
    rc = place(dev, what, offset, size, CAP_EXT_START, search_from,
               CAP_EXT_END, &off);
    if (rc)
        return rc;

    uint32_t hdr = id | (uint32_t)version << CAP_EXT_VER_SHIFT;
    vpci_cfg_init_field(dev, off, CAP_EXT_HDR_SIZE, hdr, 0, 0);
    for (unsigned i = CAP_EXT_HDR_SIZE; i < size; i++)
        vpci_cfg_init_field(dev, off + i, 1, 0, 0, 0);

    unsigned link = dev->last_ecap;
    if (first && off != CAP_EXT_START) {
        vpci_cfg_init_field(dev, CAP_EXT_START, CAP_EXT_HDR_SIZE, 0, 0, 0);
        link = CAP_EXT_START;
    }
    if (link) {
        uint32_t prev = cfg_get32(dev, link) & ~CAP_EXT_NEXT_MASK;
        le_put32(dev->config + link,
                 prev | (uint32_t)off << CAP_EXT_NEXT_SHIFT);
    }
    dev->last_ecap = off;
    if (out)
        *out = off;
    return 0;
}

unsigned vpci_cap_find(const struct vpci_dev *dev, uint8_t id)
{
    if (!dev || !(cfg_get16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned off = dev->config[PCI_CAPABILITY_LIST] & ~3u;
    for (unsigned n = 0; n < CAP_STD_MAX_WALK && off >= CAP_STD_START; n++) {
        if (dev->config[off + PCI_CAP_LIST_ID] == id)
            return off;
        off = dev->config[off + PCI_CAP_LIST_NEXT] & ~3u;
    }
    return 0;
}

unsigned vpci_ecap_find(const struct vpci_dev *dev, uint16_t id)
{
    if (!dev || dev->cfg_size != CAP_EXT_END || id == 0)
        return 0;
    unsigned off = CAP_EXT_START;
    for (unsigned n = 0; n < CAP_EXT_MAX_WALK && off >= CAP_EXT_START; n++) {
        uint32_t hdr = cfg_get32(dev, off);
        if (PCI_EXT_CAP_ID(hdr) == id)
            return off;
        off = PCI_EXT_CAP_NEXT(hdr);
    }
    return 0;
}

int vpci_cap_add_vendor(struct vpci_dev *dev, unsigned offset,
                        const void *payload, size_t len, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_cap_add_vendor");
    if (rc)
        return rc;
    const size_t max = CAP_STD_END - CAP_STD_START - CAP_VNDR_HDR_SIZE;
    if (len > max || (len && !payload)) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vendor-specific capability: payload of %zu bytes must be "
                 "given and at most %zu bytes", len, max);
        return -EINVAL;
    }
    unsigned size = CAP_VNDR_HDR_SIZE + (unsigned)len;
    unsigned off;
    rc = vpci_cap_add(dev, PCI_CAP_ID_VNDR, offset, size, &off);
    if (rc)
        return rc;
    /* Length and payload are the model's data: read-only to the guest. */
    vpci_cfg_init_field(dev, off + PCI_CAP_FLAGS, 1, size, 0, 0);
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        vpci_cfg_init_field(dev, off + CAP_VNDR_HDR_SIZE + (unsigned)i, 1,
                            p[i], 0, 0);
    if (out)
        *out = off;
    return 0;
}
