/* SPDX-License-Identifier: MIT */
/*
 * `vpci-host lspci`: the functions of a mock machine in the formats of
 * pciutils' lspci, so that the real `lspci -F FILE` decodes what we print.
 *
 *   default   "BB:DD.F Class: Vendor Device (rev RR)" as `lspci`
 *   -n        "BB:DD.F cccc: vvvv:dddd (rev RR)" as `lspci -n`
 *   -x/-xxx/-xxxx
 *             the header line, then 64 (128 for CardBus), 256 or the whole
 *             config space (256 bytes or 4 KiB) as "00: xx xx ..." lines
 *             and a blank line: byte for byte what `lspci -F DUMP -x...`
 *             prints again from that dump
 *   -t        the bus tree, byte for byte as `lspci -F DUMP -t` (with -v:
 *             device names, as `lspci -tv`)
 *   -v        lspci -v's format: Subsystem, Flags, BARs, ROM, bridge
 *             windows and one line per capability.  It equals
 *             `lspci -F DUMP -v` on our -xxxx dump except that BARs and
 *             ROM carry " [size=N]" (lspci learns sizes from sysfs, not
 *             from a dump) and that the upper half of a 64-bit BAR above
 *             4 GiB is not shown as a region of its own (lspci does that
 *             only when it reads a dump), and that HyperTransport and
 *             Enhanced Allocation capabilities (no libvpci model builds
 *             them) print as "Capability ID 0xNN [flags]".  -vv and more
 *             print as -v.
 *
 * Names come from the pci.ids database (/usr/share/misc/pci.ids, or the
 * file $VPCI_PCI_IDS names), read once per call, with lspci's rules for
 * unknown IDs ("Device 11e8", "Unclassified device [00ff]", "Class 1234"):
 * see pciids.c.  Without the file lspci's unknown-name forms are what
 * remains.  The format rules follow pciutils 3.9 (lspci.c, ls-tree.c,
 * ls-caps.c); this file is an independent implementation of them.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include <vpci/vpci.h>

#include "frontends.h"
#include "mockhost.h"
#include "pciids.h"

#define LSPCI_BASE_CLASS_BRIDGE 0x06
#define LSPCI_CLASS_BRIDGE_PCI 0x0604

struct lctx {
    FILE *out;
    unsigned verbose;
    struct pciids ids;             /* names; ids.numeric is -n */
};

/* ------------------------------------------------------------------ */
/* The functions, their config space                                  */
/* ------------------------------------------------------------------ */

struct lfn {
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev;
    uint8_t bus, devfn;
    unsigned size;                 /* config bytes read: 256 or 4096 */
    uint8_t cfg[VPCI_CFG_SIZE_EXPRESS];
    /* tree */
    int bridge;                    /* index in the bridge table, or -1 */
    int bus_next;                  /* next function on its bus, or -1 */
};

static uint8_t cb(const struct lfn *f, unsigned pos)
{
    return pos < f->size ? f->cfg[pos] : 0xff;
}

static uint16_t cw(const struct lfn *f, unsigned pos)
{
    return (uint16_t)(cb(f, pos) | cb(f, pos + 1) << 8);
}

static uint32_t cl(const struct lfn *f, unsigned pos)
{
    return (uint32_t)cw(f, pos) | (uint32_t)cw(f, pos + 2) << 16;
}

/* lspci's config_fetch(): is [pos, pos+len) in what we hold? */
static bool fetch(const struct lfn *f, unsigned pos, unsigned len)
{
    return pos + len <= f->size;
}

static unsigned htype(const struct lfn *f)
{
    return cb(f, PCI_HEADER_TYPE) & 0x7f;
}

static int cmp_fn(const void *a, const void *b)
{
    const struct lfn *x = *(const struct lfn *const *)a;
    const struct lfn *y = *(const struct lfn *const *)b;
    if (x->bus != y->bus)
        return x->bus < y->bus ? -1 : 1;
    if (x->devfn != y->devfn)
        return x->devfn < y->devfn ? -1 : 1;
    return 0;
}

static void slot_name(FILE *out, const struct lfn *f)
{
    fprintf(out, "%02x:%02x.%d", f->bus, f->devfn >> 3, f->devfn & 7);
}

/* ------------------------------------------------------------------ */
/* The default line and the hex dump                                   */
/* ------------------------------------------------------------------ */

static void show_terse(struct lctx *c, const struct lfn *f)
{
    FILE *out = c->out;
    char classbuf[128], devbuf[128];
    unsigned cls = cw(f, PCI_CLASS_DEVICE);
    unsigned rev = cb(f, PCI_REVISION_ID);

    slot_name(out, f);
    fprintf(out, " %s:",
            pciids_class(&c->ids, classbuf, sizeof(classbuf), cls));
    fprintf(out, " %s",
            pciids_vendor_device(&c->ids, devbuf, sizeof(devbuf),
                                 cw(f, PCI_VENDOR_ID), cw(f, PCI_DEVICE_ID)));
    if (rev)
        fprintf(out, " (rev %02x)", rev);
    if (c->verbose) {
        unsigned pif = cb(f, PCI_CLASS_PROG);
        char pifbuf[64];
        const char *x = pciids_progif(&c->ids, cls, pif, pifbuf,
                                      sizeof(pifbuf));
        if (pif || x) {
            fprintf(out, " (prog-if %02x", pif);
            if (x)
                fprintf(out, " [%s]", x);
            fputc(')', out);
        }
    }
    fputc('\n', out);

    if (c->verbose) {
        unsigned sv = 0, sd = 0;
        char ssbuf[256];
        switch (htype(f)) {
        case PCI_HEADER_TYPE_NORMAL:
            sv = cw(f, PCI_SUBSYSTEM_VENDOR_ID);
            sd = cw(f, PCI_SUBSYSTEM_ID);
            break;
        case PCI_HEADER_TYPE_BRIDGE:
            /* from the first subsystem ID capability, if any */
            if (cw(f, PCI_STATUS) & PCI_STATUS_CAP_LIST) {
                unsigned where = cb(f, PCI_CAPABILITY_LIST) & ~3u;
                uint8_t seen[256] = { 0 };
                while (where && !seen[where]++ && fetch(f, where, 4)) {
                    if (cb(f, where) == 0xff)
                        break;
                    if (cb(f, where) == PCI_CAP_ID_SSVID) {
                        sv = cw(f, where + PCI_SSVID_VENDOR_ID);
                        sd = cw(f, where + PCI_SSVID_DEVICE_ID);
                        break;
                    }
                    where = cb(f, where + 1) & ~3u;
                }
            }
            break;
        case PCI_HEADER_TYPE_CARDBUS:
            sv = cw(f, PCI_CB_SUBSYSTEM_VENDOR_ID);
            sd = cw(f, PCI_CB_SUBSYSTEM_ID);
            break;
        }
        if (sv && sv != 0xffff)
            fprintf(out, "\tSubsystem: %s\n",
                    pciids_subsystem(&c->ids, ssbuf, sizeof(ssbuf),
                                     cw(f, PCI_VENDOR_ID),
                                     cw(f, PCI_DEVICE_ID), sv, sd));
    }
}

static void show_hex(struct lctx *c, const struct lfn *f, unsigned level)
{
    unsigned cnt = htype(f) == PCI_HEADER_TYPE_CARDBUS ? 128 : 64;
    if (level >= 2)
        cnt = VPCI_CFG_SIZE;
    if (level >= 3)
        cnt = f->size;
    if (cnt > f->size)
        cnt = f->size;
    for (unsigned i = 0; i < cnt; i++) {
        if (!(i & 15))
            fprintf(c->out, "%02x:", i);
        fprintf(c->out, " %02x", f->cfg[i]);
        if ((i & 15) == 15)
            fputc('\n', c->out);
    }
}

/* ------------------------------------------------------------------ */
/* -v                                                                  */
/* ------------------------------------------------------------------ */

#define FLAG(x, y) (((x) & (y)) ? '+' : '-')

static void show_size(FILE *out, uint64_t x)
{
    static const char suffix[][2] = { "", "K", "M", "G", "T" };
    unsigned i;
    if (!x)
        return;
    for (i = 0; i < sizeof(suffix) / sizeof(*suffix) - 1; i++) {
        if (x % 1024)
            break;
        x /= 1024;
    }
    fprintf(out, " [size=%u%s]", (unsigned)x, suffix[i]);
}

static void show_range(struct lctx *c, const char *prefix, uint64_t base,
                       uint64_t limit, int bits)
{
    FILE *out = c->out;
    fprintf(out, "%s:", prefix);
    if (base <= limit)
        fprintf(out, " %0*llx-%0*llx", (bits + 3) / 4,
                (unsigned long long)base, (bits + 3) / 4,
                (unsigned long long)limit);
    if (base <= limit)
        show_size(out, limit - base + 1);
    else
        fprintf(out, " [disabled]");
    if (bits)
        fprintf(out, " [%d-bit]", bits);
    fputc('\n', out);
}

static uint64_t bar_size(const struct lfn *f, unsigned bar)
{
    struct vpci_bar_info info;
    if (!f->dev || vpci_bar_info(f->dev, bar, &info) ||
        info.kind == VPCI_BAR_NONE)
        return 0;
    return info.size;
}

static void show_bases(struct lctx *c, const struct lfn *f, unsigned cnt)
{
    FILE *out = c->out;
    uint16_t cmd = cw(f, PCI_COMMAND);
    uint64_t base[6] = { 0 };
    bool upper[6] = { false };

    /* the addresses as libpci reads them from a header */
    for (unsigned i = 0; i < cnt; i++) {
        uint32_t x = cl(f, PCI_BASE_ADDRESS_0 + 4 * i);
        if (!x || x == 0xffffffffu)
            continue;
        if ((x & PCI_BASE_ADDRESS_SPACE) == PCI_BASE_ADDRESS_SPACE_IO ||
            (x & PCI_BASE_ADDRESS_MEM_TYPE_MASK) != PCI_BASE_ADDRESS_MEM_TYPE_64)
            base[i] = x;
        else if (i + 1 < cnt) {
            uint32_t y = cl(f, PCI_BASE_ADDRESS_0 + 4 * (i + 1));
            base[i] = x | (uint64_t)y << 32;
            upper[++i] = true;
        }
    }

    for (unsigned i = 0; i < cnt; i++) {
        uint64_t pos = base[i];
        uint32_t flg = cl(f, PCI_BASE_ADDRESS_0 + 4 * i);
        if (flg == 0xffffffffu)
            flg = 0;
        if ((!pos && !flg) || upper[i])
            continue;
        fputc('\t', out);
        if (flg & PCI_BASE_ADDRESS_SPACE_IO) {
            uint64_t a = pos & ~(uint64_t)0x3;
            fprintf(out, "I/O ports at ");
            if (a || (cmd & PCI_COMMAND_IO))
                fprintf(out, "%04llx", (unsigned long long)a);
            else
                fprintf(out, "<unassigned>");
            if (!(cmd & PCI_COMMAND_IO))
                fprintf(out, " [disabled]");
        } else {
            unsigned t = flg & PCI_BASE_ADDRESS_MEM_TYPE_MASK;
            uint64_t a = pos & ~(uint64_t)0xf;
            fprintf(out, "Memory at ");
            if (a)
                fprintf(out, "%08llx", (unsigned long long)a);
            else
                fprintf(out, "<unassigned>");
            fprintf(out, " (%s, %sprefetchable)",
                    t == PCI_BASE_ADDRESS_MEM_TYPE_32 ? "32-bit" :
                    t == PCI_BASE_ADDRESS_MEM_TYPE_64 ? "64-bit" :
                    t == PCI_BASE_ADDRESS_MEM_TYPE_1M ? "low-1M" : "type 3",
                    (flg & PCI_BASE_ADDRESS_MEM_PREFETCH) ? "" : "non-");
            if (!(cmd & PCI_COMMAND_MEMORY))
                fprintf(out, " [disabled]");
        }
        show_size(out, bar_size(f, i));
        fputc('\n', out);
    }
}

static void show_rom(struct lctx *c, const struct lfn *f, unsigned reg)
{
    FILE *out = c->out;
    uint32_t flg = cl(f, reg);
    uint64_t rom = flg == 0xffffffffu ? 0 : flg;
    uint16_t cmd = cw(f, PCI_COMMAND);

    if (!rom && !flg)
        return;
    fprintf(out, "\tExpansion ROM at ");
    if (rom & PCI_ROM_ADDRESS_MASK)
        fprintf(out, "%08llx",
                (unsigned long long)(rom & PCI_ROM_ADDRESS_MASK));
    else if (flg & PCI_ROM_ADDRESS_MASK)
        fprintf(out, "<ignored>");
    else
        fprintf(out, "<unassigned>");
    if (!(flg & PCI_ROM_ADDRESS_ENABLE))
        fprintf(out, " [disabled]");
    else if (!(cmd & PCI_COMMAND_MEMORY))
        fprintf(out, " [disabled by cmd]");
    show_size(out, bar_size(f, VPCI_ROM_BAR));
    fputc('\n', out);
}

static void show_vendor_cap(struct lctx *c, const struct lfn *f,
                            unsigned where, unsigned cap)
{
    FILE *out = c->out;
    fprintf(out, "Vendor Specific Information: ");
    if (cw(f, PCI_VENDOR_ID) == 0x1af4 && cw(f, PCI_DEVICE_ID) >= 0x1000 &&
        cw(f, PCI_DEVICE_ID) <= 0x107f) {
        unsigned length = cap & 0xff, type = (cap >> 8) & 0xff;
        if (length >= 16 && fetch(f, where, length)) {
            static const char *const names[] = { "<unknown>", "CommonCfg",
                                                 "Notify", "ISR",
                                                 "DeviceCfg" };
            fprintf(out, "VirtIO: %s\n", names[type <= 4 ? type : 0]);
            return;
        }
    }
    fprintf(out, "Len=%02x <?>\n", cap & 0xff);
}

static int show_express(struct lctx *c, unsigned cap)
{
    FILE *out = c->out;
    int type = (int)((cap & PCI_EXP_FLAGS_TYPE) >> 4);
    fprintf(out, "Express ");
    switch (type) {
    case PCI_EXP_TYPE_ENDPOINT:
        fprintf(out, "Endpoint");
        break;
    case PCI_EXP_TYPE_LEG_END:
        fprintf(out, "Legacy Endpoint");
        break;
    case PCI_EXP_TYPE_ROOT_PORT:
        fprintf(out, "Root Port (Slot%c)", FLAG(cap, PCI_EXP_FLAGS_SLOT));
        break;
    case PCI_EXP_TYPE_UPSTREAM:
        fprintf(out, "Upstream Port");
        break;
    case PCI_EXP_TYPE_DOWNSTREAM:
        fprintf(out, "Downstream Port (Slot%c)", FLAG(cap, PCI_EXP_FLAGS_SLOT));
        break;
    case PCI_EXP_TYPE_PCI_BRIDGE:
        fprintf(out, "PCI-Express to PCI/PCI-X Bridge");
        break;
    case PCI_EXP_TYPE_PCIE_BRIDGE:
        fprintf(out, "PCI/PCI-X to PCI-Express Bridge (Slot%c)",
                FLAG(cap, PCI_EXP_FLAGS_SLOT));
        break;
    case PCI_EXP_TYPE_RC_END:
        fprintf(out, "Root Complex Integrated Endpoint");
        break;
    case PCI_EXP_TYPE_RC_EC:
        fprintf(out, "Root Complex Event Collector");
        break;
    default:
        fprintf(out, "Unknown type %d", type);
    }
    fprintf(out, ", MSI %02x\n", (cap & PCI_EXP_FLAGS_IRQ) >> 9);
    return type;
}

static void show_ext_caps(struct lctx *c, const struct lfn *f)
{
    FILE *out = c->out;
    unsigned where = 0x100;
    static const struct { uint16_t id; const char *name; } simple[] = {
        { 0x00, "Null" },
        { PCI_EXT_CAP_ID_ERR, "Advanced Error Reporting" },
        { PCI_EXT_CAP_ID_VC, "Virtual Channel" },
        { PCI_EXT_CAP_ID_VC9, "Virtual Channel" },
        { PCI_EXT_CAP_ID_PWR, "Power Budgeting <?>" },
        { PCI_EXT_CAP_ID_RCLD, "Root Complex Link" },
        { PCI_EXT_CAP_ID_RCILC, "Root Complex Internal Link <?>" },
        { PCI_EXT_CAP_ID_RCEC, "Root Complex Event Collector Endpoint Association" },
        { PCI_EXT_CAP_ID_MFVC, "Multi-Function Virtual Channel <?>" },
        { PCI_EXT_CAP_ID_RCRB, "Root Complex Register Block <?>" },
        { PCI_EXT_CAP_ID_ACS, "Access Control Services" },
        { PCI_EXT_CAP_ID_ARI, "Alternative Routing-ID Interpretation (ARI)" },
        { PCI_EXT_CAP_ID_ATS, "Address Translation Service (ATS)" },
        { PCI_EXT_CAP_ID_SRIOV, "Single Root I/O Virtualization (SR-IOV)" },
        { PCI_EXT_CAP_ID_MRIOV, "Multi-Root I/O Virtualization <?>" },
        { PCI_EXT_CAP_ID_MCAST, "Multicast" },
        { PCI_EXT_CAP_ID_PRI, "Page Request Interface (PRI)" },
        { PCI_EXT_CAP_ID_REBAR, "Physical Resizable BAR" },
        { PCI_EXT_CAP_ID_DPA, "Dynamic Power Allocation <?>" },
        { PCI_EXT_CAP_ID_TPH, "Transaction Processing Hints" },
        { PCI_EXT_CAP_ID_LTR, "Latency Tolerance Reporting" },
        { PCI_EXT_CAP_ID_SECPCI, "Secondary PCI Express" },
        { PCI_EXT_CAP_ID_PMUX, "Protocol Multiplexing <?>" },
        { PCI_EXT_CAP_ID_PASID, "Process Address Space ID (PASID)" },
        { 0x1c, "LN Requester <?>" },
        { PCI_EXT_CAP_ID_DPC, "Downstream Port Containment" },
        { PCI_EXT_CAP_ID_L1SS, "L1 PM Substates" },
        { PCI_EXT_CAP_ID_PTM, "Precision Time Measurement" },
        { 0x20, "PCI Express over M_PHY <?>" },
        { 0x21, "FRS Queueing <?>" },
        { 0x22, "Readiness Time Reporting <?>" },
        { 0x24, "Virtual Resizable BAR" },
        { 0x25, "Data Link Feature <?>" },
        { 0x26, "Physical Layer 16.0 GT/s <?>" },
        { 0x27, "Lane Margining at the Receiver <?>" },
        { 0x28, "Hierarchy ID <?>" },
        { 0x29, "Native PCIe Enclosure Management <?>" },
        { 0x2e, "Data Object Exchange" },
    };
    uint8_t seen[VPCI_CFG_SIZE_EXPRESS / 8] = { 0 };

    do {
        if (!fetch(f, where, 4))
            break;
        uint32_t header = cl(f, where);
        if (!header || header == 0xffffffffu)
            break;
        unsigned id = header & 0xffff;
        fprintf(out, "\tCapabilities: [%03x] ", where);
        if (seen[where / 8] & (1u << (where % 8))) {
            fprintf(out, "<chain looped>\n");
            break;
        }
        seen[where / 8] |= (uint8_t)(1u << (where % 8));
        const char *name = NULL;
        for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
            if (simple[i].id == id)
                name = simple[i].name;
        if (name) {
            fprintf(out, "%s\n", name);
        } else if (id == PCI_EXT_CAP_ID_DSN) {
            if (fetch(f, where + 4, 8)) {
                uint32_t t1 = cl(f, where + 4), t2 = cl(f, where + 8);
                fprintf(out, "Device Serial Number "
                        "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x\n",
                        t2 >> 24, (t2 >> 16) & 0xff, (t2 >> 8) & 0xff,
                        t2 & 0xff, t1 >> 24, (t1 >> 16) & 0xff,
                        (t1 >> 8) & 0xff, t1 & 0xff);
            }
        } else if (id == PCI_EXT_CAP_ID_VNDR) {
            uint32_t hdr = cl(f, where + 4);
            fprintf(out, "Vendor Specific Information: ");
            if (!fetch(f, where + 4, 4))
                fprintf(out, "<unreadable>\n");
            else
                fprintf(out, "ID=%04x Rev=%u Len=%03x <?>\n", hdr & 0xffff,
                        (hdr >> 16) & 0xf, hdr >> 20);
        } else if (id == PCI_EXT_CAP_ID_DVSEC) {
            fprintf(out, "Designated Vendor-Specific: ");
            if (!fetch(f, where + 4, 8)) {
                fprintf(out, "<unreadable>\n");
            } else {
                uint32_t hdr = cl(f, where + 4);
                /* CXL (1e98) DVSECs get a decode of their own in lspci;
                 * this prints the generic form only */
                fprintf(out, "Vendor=%04x ID=%04x Rev=%u Len=%u <?>\n",
                        hdr & 0xffff, cw(f, where + 8), (hdr >> 16) & 0xf,
                        hdr >> 20);
            }
        } else {
            fprintf(out, "Extended Capability ID %#02x\n", id);
        }
        where = (header >> 20) & ~3u;
    } while (where);
}

static void show_caps(struct lctx *c, const struct lfn *f, unsigned ptr)
{
    FILE *out = c->out;
    bool ext = false;

    if (cw(f, PCI_STATUS) & PCI_STATUS_CAP_LIST) {
        uint8_t seen[256] = { 0 };
        unsigned where = cb(f, ptr) & ~3u;
        while (where) {
            fprintf(out, "\tCapabilities: ");
            if (!fetch(f, where, 4)) {
                fprintf(out, "<access denied>\n");
                break;
            }
            unsigned id = cb(f, where + PCI_CAP_LIST_ID);
            unsigned next = cb(f, where + PCI_CAP_LIST_NEXT) & ~3u;
            unsigned cap = cw(f, where + PCI_CAP_FLAGS);
            fprintf(out, "[%02x] ", where);
            if (seen[where]++) {
                fprintf(out, "<chain looped>\n");
                break;
            }
            if (id == 0xff) {
                fprintf(out, "<chain broken>\n");
                break;
            }
            switch (id) {
            case 0x00:
                fprintf(out, "Null\n");
                break;
            case PCI_CAP_ID_PM:
                fprintf(out, "Power Management version %u\n",
                        cap & PCI_PM_CAP_VER_MASK);
                break;
            case PCI_CAP_ID_AGP:
                fprintf(out, "AGP version %x.%x\n", (cap >> 4) & 0xf, cap & 0xf);
                break;
            case PCI_CAP_ID_SLOTID:
                fprintf(out, "Slot ID: %u slots, First%c, chassis %02x\n",
                        cap & PCI_SID_ESR_NSLOTS, FLAG(cap, PCI_SID_ESR_FIC),
                        cap >> 8);
                break;
            case PCI_CAP_ID_MSI:
                fprintf(out, "MSI: Enable%c Count=%d/%d Maskable%c 64bit%c\n",
                        FLAG(cap, PCI_MSI_FLAGS_ENABLE),
                        1 << ((cap & PCI_MSI_FLAGS_QSIZE) >> 4),
                        1 << ((cap & PCI_MSI_FLAGS_QMASK) >> 1),
                        FLAG(cap, PCI_MSI_FLAGS_MASKBIT),
                        FLAG(cap, PCI_MSI_FLAGS_64BIT));
                break;
            case PCI_CAP_ID_CHSWP:
                fprintf(out, "CompactPCI hot-swap <?>\n");
                break;
            case PCI_CAP_ID_VNDR:
                show_vendor_cap(c, f, where, cap);
                break;
            case PCI_CAP_ID_DBG:
                fprintf(out, "Debug port: BAR=%u offset=%04x\n", cap >> 13,
                        cap & 0x1fff);
                break;
            case PCI_CAP_ID_CCRC:
                fprintf(out, "CompactPCI central resource control <?>\n");
                break;
            case PCI_CAP_ID_SHPC:
                fprintf(out, "Hot-plug capable\n");
                break;
            case PCI_CAP_ID_SSVID:
                if (fetch(f, where, 8)) {
                    char ssbuf[256];
                    fprintf(out, "Subsystem: %s\n",
                            pciids_subsystem(&c->ids, ssbuf, sizeof(ssbuf),
                                             cw(f, PCI_VENDOR_ID),
                                             cw(f, PCI_DEVICE_ID),
                                             cw(f, where + PCI_SSVID_VENDOR_ID),
                                             cw(f, where + PCI_SSVID_DEVICE_ID)));
                }
                break;
            case PCI_CAP_ID_AGP3:
                fprintf(out, "AGP3 <?>\n");
                break;
            case PCI_CAP_ID_SECDEV:
                fprintf(out, "Secure device <?>\n");
                break;
            case PCI_CAP_ID_EXP:
                show_express(c, cap);
                ext = true;
                break;
            case PCI_CAP_ID_MSIX:
                fprintf(out, "MSI-X: Enable%c Count=%u Masked%c\n",
                        FLAG(cap, PCI_MSIX_FLAGS_ENABLE),
                        (cap & PCI_MSIX_FLAGS_QSIZE) + 1,
                        FLAG(cap, PCI_MSIX_FLAGS_MASKALL));
                break;
            case PCI_CAP_ID_SATA:
                fprintf(out, "SATA HBA v%u.%u\n", (cap >> 4) & 0xf, cap & 0xf);
                break;
            case PCI_CAP_ID_AF:
                fprintf(out, "PCI Advanced Features\n");
                break;
            case PCI_CAP_ID_VPD:
                fprintf(out, "Vital Product Data\n");
                break;
            case PCI_CAP_ID_PCIX:
                /* -v shows the kind only; lspci names none for a
                 * CardBus bridge (the line stays open) */
                if (htype(f) == PCI_HEADER_TYPE_NORMAL)
                    fprintf(out, "PCI-X non-bridge device\n");
                else if (htype(f) == PCI_HEADER_TYPE_BRIDGE)
                    fprintf(out, "PCI-X bridge device\n");
                ext = true;
                break;
            default:
                /* HyperTransport and Enhanced Allocation get decodes of
                 * their own in lspci; libvpci builds neither */
                fprintf(out, "Capability ID %#02x [%04x]\n", id, cap);
            }
            where = next;
        }
    }
    if (ext)
        show_ext_caps(c, f);
}

static void show_htype1(struct lctx *c, const struct lfn *f)
{
    FILE *out = c->out;
    unsigned io_base = cb(f, PCI_IO_BASE), io_limit = cb(f, PCI_IO_LIMIT);
    unsigned io_type = io_base & PCI_IO_RANGE_TYPE_MASK;
    unsigned mem_base = cw(f, PCI_MEMORY_BASE), mem_limit = cw(f, PCI_MEMORY_LIMIT);
    unsigned mem_type = mem_base & PCI_MEMORY_RANGE_TYPE_MASK;
    unsigned pref_base = cw(f, PCI_PREF_MEMORY_BASE);
    unsigned pref_limit = cw(f, PCI_PREF_MEMORY_LIMIT);
    unsigned pref_type = pref_base & PCI_PREF_RANGE_TYPE_MASK;

    show_bases(c, f, 2);
    fprintf(out, "\tBus: primary=%02x, secondary=%02x, subordinate=%02x, "
            "sec-latency=%d\n", cb(f, PCI_PRIMARY_BUS),
            cb(f, PCI_SECONDARY_BUS), cb(f, PCI_SUBORDINATE_BUS),
            cb(f, PCI_SEC_LATENCY_TIMER));

    if (io_type != (io_limit & PCI_IO_RANGE_TYPE_MASK) ||
        (io_type != PCI_IO_RANGE_TYPE_16 && io_type != PCI_IO_RANGE_TYPE_32)) {
        fprintf(out, "\t!!! Unknown I/O range types %x/%x\n", io_base, io_limit);
    } else {
        uint64_t b = (io_base & PCI_IO_RANGE_MASK) << 8;
        uint64_t l = (io_limit & PCI_IO_RANGE_MASK) << 8;
        if (io_type == PCI_IO_RANGE_TYPE_32) {
            b |= (uint64_t)cw(f, PCI_IO_BASE_UPPER16) << 16;
            l |= (uint64_t)cw(f, PCI_IO_LIMIT_UPPER16) << 16;
        }
        show_range(c, "\tI/O behind bridge", b, l + 0xfff,
                   io_type == PCI_IO_RANGE_TYPE_32 ? 32 : 16);
    }

    if (mem_type != (mem_limit & PCI_MEMORY_RANGE_TYPE_MASK) || mem_type) {
        fprintf(out, "\t!!! Unknown memory range types %x/%x\n", mem_base,
                mem_limit);
    } else {
        uint64_t b = (uint64_t)(mem_base & PCI_MEMORY_RANGE_MASK) << 16;
        uint64_t l = (uint64_t)(mem_limit & PCI_MEMORY_RANGE_MASK) << 16;
        show_range(c, "\tMemory behind bridge", b, l + 0xfffff, 32);
    }

    if (pref_type != (pref_limit & PCI_PREF_RANGE_TYPE_MASK) ||
        (pref_type != PCI_PREF_RANGE_TYPE_32 &&
         pref_type != PCI_PREF_RANGE_TYPE_64)) {
        fprintf(out, "\t!!! Unknown prefetchable memory range types %x/%x\n",
                pref_base, pref_limit);
    } else {
        uint64_t b = (uint64_t)(pref_base & PCI_PREF_RANGE_MASK) << 16;
        uint64_t l = (uint64_t)(pref_limit & PCI_PREF_RANGE_MASK) << 16;
        if (pref_type == PCI_PREF_RANGE_TYPE_64) {
            b |= (uint64_t)cl(f, PCI_PREF_BASE_UPPER32) << 32;
            l |= (uint64_t)cl(f, PCI_PREF_LIMIT_UPPER32) << 32;
        }
        show_range(c, "\tPrefetchable memory behind bridge", b, l + 0xfffff,
                   pref_type == PCI_PREF_RANGE_TYPE_64 ? 64 : 32);
    }

    show_rom(c, f, PCI_ROM_ADDRESS1);
    show_caps(c, f, PCI_CAPABILITY_LIST);
}

static void show_htype2(struct lctx *c, const struct lfn *f)
{
    FILE *out = c->out;
    uint16_t cmd = cw(f, PCI_COMMAND), brc = cw(f, PCI_CB_BRIDGE_CONTROL);

    show_bases(c, f, 1);
    fprintf(out, "\tBus: primary=%02x, secondary=%02x, subordinate=%02x, "
            "sec-latency=%d\n", cb(f, PCI_CB_PRIMARY_BUS),
            cb(f, PCI_CB_CARD_BUS), cb(f, PCI_CB_SUBORDINATE_BUS),
            cb(f, PCI_CB_LATENCY_TIMER));
    for (unsigned i = 0; i < 2; i++) {
        uint32_t base = cl(f, PCI_CB_MEMORY_BASE_0 + 8 * i);
        uint32_t limit = cl(f, PCI_CB_MEMORY_LIMIT_0 + 8 * i) + 0xfff;
        if (base <= limit)
            fprintf(out, "\tMemory window %u: %08x-%08x%s%s\n", i, base, limit,
                    (cmd & PCI_COMMAND_MEMORY) ? "" : " [disabled]",
                    (brc & (PCI_CB_BRIDGE_CTL_PREFETCH_MEM0 << i)) ?
                    " (prefetchable)" : "");
    }
    for (unsigned i = 0; i < 2; i++) {
        uint32_t base = cl(f, PCI_CB_IO_BASE_0 + 8 * i);
        uint32_t limit = cl(f, PCI_CB_IO_LIMIT_0 + 8 * i);
        if (!(base & PCI_IO_RANGE_TYPE_32)) {
            base &= 0xffff;
            limit &= 0xffff;
        }
        base &= PCI_CB_IO_RANGE_MASK;
        limit = (limit & PCI_CB_IO_RANGE_MASK) + 3;
        if (base <= limit)
            fprintf(out, "\tI/O window %u: %08x-%08x%s\n", i, base, limit,
                    (cmd & PCI_COMMAND_IO) ? "" : " [disabled]");
    }
    if (cw(f, PCI_CB_SEC_STATUS) & PCI_STATUS_SIG_SYSTEM_ERROR)
        fprintf(out, "\tSecondary status: SERR\n");
    unsigned exca = cw(f, PCI_CB_LEGACY_MODE_BASE);
    if (exca)
        fprintf(out, "\t16-bit legacy interface ports at %04x\n", exca);
    show_caps(c, f, PCI_CB_CAPABILITY_LIST);
}

static void show_verbose(struct lctx *c, const struct lfn *f)
{
    FILE *out = c->out;
    unsigned cls = cw(f, PCI_CLASS_DEVICE);
    unsigned ht = htype(f);
    bool unknown = false;
    uint8_t bist = 0;

    show_terse(c, f);
    switch (ht) {
    case PCI_HEADER_TYPE_NORMAL:
        if (cls == LSPCI_CLASS_BRIDGE_PCI)
            fprintf(out, "\t!!! Invalid class %04x for header type %02x\n",
                    cls, ht);
        bist = cb(f, PCI_BIST);
        break;
    case PCI_HEADER_TYPE_BRIDGE:
    case PCI_HEADER_TYPE_CARDBUS:
        if ((cls >> 8) != LSPCI_BASE_CLASS_BRIDGE)
            fprintf(out, "\t!!! Invalid class %04x for header type %02x\n",
                    cls, ht);
        bist = cb(f, PCI_BIST);
        break;
    default:
        fprintf(out, "\t!!! Unknown header type %02x\n", ht);
        unknown = true;
    }

    if (!unknown) {
        uint16_t cmd = cw(f, PCI_COMMAND), status = cw(f, PCI_STATUS);
        unsigned devsel = status & PCI_STATUS_DEVSEL_MASK;
        fprintf(out, "\tFlags: ");
        if (cmd & PCI_COMMAND_MASTER)
            fprintf(out, "bus master, ");
        if (cmd & PCI_COMMAND_VGA_PALETTE)
            fprintf(out, "VGA palette snoop, ");
        if (cmd & PCI_COMMAND_WAIT)
            fprintf(out, "stepping, ");
        if (cmd & PCI_COMMAND_FAST_BACK)
            fprintf(out, "fast Back2Back, ");
        if (status & PCI_STATUS_66MHZ)
            fprintf(out, "66MHz, ");
        if (status & PCI_STATUS_UDF)
            fprintf(out, "user-definable features, ");
        fprintf(out, "%s devsel",
                devsel == PCI_STATUS_DEVSEL_SLOW ? "slow" :
                devsel == PCI_STATUS_DEVSEL_MEDIUM ? "medium" :
                devsel == PCI_STATUS_DEVSEL_FAST ? "fast" : "??");
        if (cmd & PCI_COMMAND_MASTER)
            fprintf(out, ", latency %d", cb(f, PCI_LATENCY_TIMER));
        if (cb(f, PCI_INTERRUPT_LINE))
            fprintf(out, ", IRQ %d", cb(f, PCI_INTERRUPT_LINE));
        fputc('\n', out);
    }

    if (bist & PCI_BIST_CAPABLE) {
        if (bist & PCI_BIST_START)
            fprintf(out, "\tBIST is running\n");
        else
            fprintf(out, "\tBIST result: %02x\n", bist & PCI_BIST_CODE_MASK);
    }

    switch (ht) {
    case PCI_HEADER_TYPE_NORMAL:
        show_bases(c, f, 6);
        show_rom(c, f, PCI_ROM_ADDRESS);
        show_caps(c, f, PCI_CAPABILITY_LIST);
        break;
    case PCI_HEADER_TYPE_BRIDGE:
        show_htype1(c, f);
        break;
    case PCI_HEADER_TYPE_CARDBUS:
        show_htype2(c, f);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ */
/* -t (ls-tree.c's algorithm over our functions)                       */
/* ------------------------------------------------------------------ */

struct tbridge {
    int chain, next, child;        /* bridge indices, -1 = none */
    int first_bus, last_bus;       /* bus indices */
    unsigned domain, primary, secondary, subordinate;
    int dev;                       /* function index; -1 for the host */
};

struct tbus {
    unsigned domain, number;
    int sibling;
    int first_dev, last_dev;       /* function indices */
};

struct tree {
    struct lctx *c;
    struct lfn **fns;
    size_t nfns;
    struct tbridge *br;
    size_t nbr;
    struct tbus *bus;
    size_t nbus, capbus;
};

#define TREE_LINE 1024

static int tree_new_bus(struct tree *t, int b, unsigned domain, unsigned n)
{
    if (t->nbus == t->capbus) {
        size_t ncap = t->capbus ? t->capbus * 2 : 16;
        struct tbus *nb = realloc(t->bus, ncap * sizeof(*nb));
        if (!nb)
            return -1;
        t->bus = nb;
        t->capbus = ncap;
    }
    int i = (int)t->nbus++;
    t->bus[i] = (struct tbus){ domain, n, -1, -1, -1 };
    if (t->br[b].last_bus >= 0)
        t->bus[t->br[b].last_bus].sibling = i;
    t->br[b].last_bus = i;
    if (t->br[b].first_bus < 0)
        t->br[b].first_bus = i;
    return i;
}

static int tree_find_bus(const struct tree *t, int b, unsigned domain,
                         unsigned n)
{
    for (int i = t->br[b].first_bus; i >= 0; i = t->bus[i].sibling)
        if (t->bus[i].domain == domain && t->bus[i].number == n)
            return i;
    return -1;
}

static int tree_insert(struct tree *t, int d, int b)
{
    struct lfn *f = t->fns[d];
    int bus = tree_find_bus(t, b, 0, f->bus);
    if (bus < 0) {
        for (int k = t->br[b].child; k >= 0; k = t->br[k].next)
            if (t->br[k].domain == 0 && t->br[k].secondary <= f->bus &&
                f->bus <= t->br[k].subordinate)
                return tree_insert(t, d, k);
        if ((bus = tree_new_bus(t, b, 0, f->bus)) < 0)
            return -1;
    }
    if (t->bus[bus].last_dev >= 0)
        t->fns[t->bus[bus].last_dev]->bus_next = d;
    else
        t->bus[bus].first_dev = d;
    t->bus[bus].last_dev = d;
    f->bus_next = -1;
    return 0;
}

static int tree_grow(struct tree *t)
{
    /* bridge 0 is the host bridge; then every bridge function */
    t->br = calloc(t->nfns + 1, sizeof(*t->br));
    if (!t->br)
        return -1;
    t->br[0] = (struct tbridge){ -1, -1, -1, -1, -1, 0, ~0u, 0, ~0u, -1 };
    t->nbr = 1;
    int last = 0;
    for (size_t i = 0; i < t->nfns; i++) {
        struct lfn *f = t->fns[i];
        unsigned ht = htype(f);
        f->bridge = -1;
        if ((cw(f, PCI_CLASS_DEVICE) >> 8) == LSPCI_BASE_CLASS_BRIDGE &&
            (ht == PCI_HEADER_TYPE_BRIDGE || ht == PCI_HEADER_TYPE_CARDBUS)) {
            int b = (int)t->nbr++;
            /* the bus numbers sit at the same offsets in both headers */
            t->br[b] = (struct tbridge){ -1, -1, -1, -1, -1, 0,
                                         cb(f, PCI_PRIMARY_BUS),
                                         cb(f, PCI_SECONDARY_BUS),
                                         cb(f, PCI_SUBORDINATE_BUS), (int)i };
            t->br[last].chain = b;
            last = b;
            f->bridge = b;
        }
    }
    /* the bridge tree: each under the narrowest bridge covering its
     * primary bus, computed as lspci does (unsigned arithmetic) */
    for (int b = 0; b >= 0; b = t->br[b].chain) {
        int best = -1;
        for (int k = 0; k >= 0; k = t->br[k].chain) {
            if (k != b && (k == 0 || t->br[b].domain == t->br[k].domain) &&
                t->br[b].primary >= t->br[k].secondary &&
                t->br[b].primary <= t->br[k].subordinate &&
                (best < 0 || t->br[best].subordinate - t->br[best].primary >
                                 t->br[k].subordinate - t->br[k].primary))
                best = k;
        }
        if (best >= 0) {
            t->br[b].next = t->br[best].child;
            t->br[best].child = b;
        }
    }
    for (int b = 0; b >= 0; b = t->br[b].chain)
        if (tree_find_bus(t, b, t->br[b].domain, t->br[b].secondary) < 0 &&
            tree_new_bus(t, b, t->br[b].domain, t->br[b].secondary) < 0)
            return -1;
    for (size_t i = 0; i < t->nfns; i++)
        if (tree_insert(t, (int)i, 0))
            return -1;
    return 0;
}

static void tree_print_it(struct tree *t, char *line, char *p)
{
    *p = 0;
    fputs(line, t->c->out);
    if (p >= line + TREE_LINE - 1)
        fputs("...", t->c->out);
    fputc('\n', t->c->out);
    for (p = line; *p; p++)
        *p = (*p == '+' || *p == '|') ? '|' : ' ';
}

static char *tree_printf(char *line, char *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *tree_printf(char *line, char *p, const char *fmt, ...)
{
    int space = (int)(line + TREE_LINE - 1 - p);
    va_list ap;
    if (space <= 0)
        return p;
    va_start(ap, fmt);
    int res = vsnprintf(p, (size_t)space, fmt, ap);
    va_end(ap);
    if (res < 0) {
        *p = 0;
        p += space;
    } else if (res >= space) {
        p[space - 1] = 0;
        p += space;
    } else {
        p += res;
    }
    return p;
}

static void tree_show_bridge(struct tree *t, int b, char *line, char *p);

static void tree_show_dev(struct tree *t, int d, char *line, char *p)
{
    struct lfn *f = t->fns[d];
    p = tree_printf(line, p, "%02x.%x", f->devfn >> 3, f->devfn & 7);
    for (int b = 0; b >= 0; b = t->br[b].chain) {
        if (t->br[b].dev != d)
            continue;
        if (t->br[b].secondary == 0)
            p = tree_printf(line, p, "-");
        else if (t->br[b].secondary == t->br[b].subordinate)
            p = tree_printf(line, p, "-[%02x]-", t->br[b].secondary);
        else
            p = tree_printf(line, p, "-[%02x-%02x]-", t->br[b].secondary,
                            t->br[b].subordinate);
        tree_show_bridge(t, b, line, p);
        return;
    }
    if (t->c->verbose) {
        char namebuf[256];
        p = tree_printf(line, p, "  %s",
                        pciids_vendor_device(&t->c->ids, namebuf,
                                             sizeof(namebuf),
                                             cw(f, PCI_VENDOR_ID),
                                             cw(f, PCI_DEVICE_ID)));
    }
    tree_print_it(t, line, p);
}

static void tree_show_bus(struct tree *t, int bus, char *line, char *p)
{
    int d = t->bus[bus].first_dev;
    if (d < 0) {
        tree_print_it(t, line, p);
    } else if (t->fns[d]->bus_next < 0) {
        p = tree_printf(line, p, "--");
        tree_show_dev(t, d, line, p);
    } else {
        while (t->fns[d]->bus_next >= 0) {
            char *p2 = tree_printf(line, p, "+-");
            tree_show_dev(t, d, line, p2);
            d = t->fns[d]->bus_next;
        }
        p = tree_printf(line, p, "\\-");
        tree_show_dev(t, d, line, p);
    }
}

static void tree_show_bridge(struct tree *t, int b, char *line, char *p)
{
    int u = t->br[b].first_bus;
    /* lspci writes this '-' unchecked, past the end of its line buffer
     * too; here it is dropped there (it would not show: the line is cut
     * before it and ends in "...") */
    if (p < line + TREE_LINE - 1)
        *p++ = '-';
    if (t->bus[u].sibling < 0) {
        if (b == 0)
            p = tree_printf(line, p, "[%04x:%02x]-", t->br[b].domain,
                            t->bus[u].number);
        tree_show_bus(t, u, line, p);
    } else {
        char *k;
        while (t->bus[u].sibling >= 0) {
            k = tree_printf(line, p, "+-[%04x:%02x]-", t->bus[u].domain,
                            t->bus[u].number);
            tree_show_bus(t, u, line, k);
            u = t->bus[u].sibling;
        }
        k = tree_printf(line, p, "\\-[%04x:%02x]-", t->bus[u].domain,
                        t->bus[u].number);
        tree_show_bus(t, u, line, k);
    }
}

static int show_tree(struct lctx *c, struct lfn **fns, size_t n)
{
    struct tree t = { .c = c, .fns = fns, .nfns = n };
    char line[TREE_LINE];
    int ret = tree_grow(&t);
    if (!ret)
        tree_show_bridge(&t, 0, line, line);
    free(t.br);
    free(t.bus);
    return ret ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

int vpci_lspci_print(struct vpci_mock *m, FILE *out,
                     const struct vpci_lspci_opts *opts)
{
    static const struct vpci_lspci_opts defaults;
    struct lctx c = { .out = out };
    struct lfn **fns = NULL;
    size_t n = 0;
    int ret = 0;

    if (!m || !out)
        return -EINVAL;
    if (!opts)
        opts = &defaults;
    c.verbose = opts->verbose;
    c.ids.numeric = opts->numeric;

    while (vpci_mock_fn_at(m, n))
        n++;
    fns = calloc(n ? n : 1, sizeof(*fns));
    if (!fns)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct vpci_mock_fn *fn = vpci_mock_fn_at(m, i);
        struct lfn *f = malloc(sizeof(*f));
        if (!f) {
            ret = -ENOMEM;
            goto out;
        }
        fns[i] = f;
        f->fn = fn;
        f->dev = vpci_mock_fn_dev(fn);
        f->bus = vpci_mock_fn_bus(fn);
        f->devfn = vpci_mock_fn_devfn(fn);
        f->size = f->dev ? vpci_cfg_size(f->dev) : VPCI_CFG_SIZE;
        if (f->size > sizeof(f->cfg))
            f->size = sizeof(f->cfg);
        for (unsigned off = 0; off < f->size; off += 4) {
            uint32_t v = f->dev ? vpci_cfg_read(f->dev, off, 4)
                                : vpci_mock_cfg_read(m, f->bus, f->devfn, off, 4);
            f->cfg[off] = (uint8_t)v;
            f->cfg[off + 1] = (uint8_t)(v >> 8);
            f->cfg[off + 2] = (uint8_t)(v >> 16);
            f->cfg[off + 3] = (uint8_t)(v >> 24);
        }
        f->bridge = -1;
        f->bus_next = -1;
    }
    if (n > 1)
        qsort(fns, n, sizeof(*fns), cmp_fn);

    if (opts->tree) {
        ret = show_tree(&c, fns, n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (c.verbose)
            show_verbose(&c, fns[i]);
        else
            show_terse(&c, fns[i]);
        if (opts->dump)
            show_hex(&c, fns[i], opts->dump);
        if (c.verbose || opts->dump)
            fputc('\n', out);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(fns[i]);
    free(fns);
    pciids_free(&c.ids);
    if (!ret && ferror(out))
        ret = -EIO;
    return ret;
}
