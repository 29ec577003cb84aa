/* SPDX-License-Identifier: MIT */
/* vpci_mock_print_tree(): the machine as a tree, with each function's
 * resources, bus numbers and bridge windows. */
#include "internal.h"

#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The tree                                                            */
/* ------------------------------------------------------------------ */

struct ptree {
    const struct vpci_mock *m;
    FILE *out;
};

static uint8_t fn_sec(struct vpci_mock_fn *fn)
{
    return (uint8_t)vpci_cfg_read(vpci_mock_fn_dev(fn), PCI_SECONDARY_BUS, 1);
}

static void print_window(FILE *out, const char *prefix, const char *name,
                         uint64_t base, uint64_t limit, const char *extra)
{
    if (base > limit)
        fprintf(out, "%s    %-5s (disabled)\n", prefix, name);
    else
        fprintf(out, "%s    %-5s 0x%" PRIx64 "-0x%" PRIx64 "%s\n", prefix,
                name, base, limit, extra);
}

static void print_bridge(FILE *out, const char *prefix, struct vpci_dev *dev)
{
    uint32_t buses = vpci_cfg_read(dev, PCI_PRIMARY_BUS, 4);
    fprintf(out, "%s    buses primary %02x secondary %02x subordinate %02x\n",
            prefix, buses & 0xff, (buses >> 8) & 0xff, (buses >> 16) & 0xff);
    uint32_t iob = vpci_cfg_read(dev, PCI_IO_BASE, 1);
    uint32_t iol = vpci_cfg_read(dev, PCI_IO_LIMIT, 1);
    uint64_t io_base = (uint64_t)(iob & 0xf0) << 8;
    uint64_t io_limit = (uint64_t)(iol & 0xf0) << 8 | 0xfff;
    if ((iob & PCI_IO_RANGE_TYPE_MASK) == PCI_IO_RANGE_TYPE_32) {
        io_base |= (uint64_t)vpci_cfg_read(dev, PCI_IO_BASE_UPPER16, 2) << 16;
        io_limit |= (uint64_t)vpci_cfg_read(dev, PCI_IO_LIMIT_UPPER16, 2)
                    << 16;
    }
    print_window(out, prefix, "io", io_base, io_limit, "");
    uint64_t mb = (uint64_t)(vpci_cfg_read(dev, PCI_MEMORY_BASE, 2) & 0xfff0)
                  << 16;
    uint64_t ml = (uint64_t)(vpci_cfg_read(dev, PCI_MEMORY_LIMIT, 2) & 0xfff0)
                      << 16 | 0xfffff;
    print_window(out, prefix, "mem", mb, ml, "");
    uint32_t pb = vpci_cfg_read(dev, PCI_PREF_MEMORY_BASE, 2);
    uint32_t pl = vpci_cfg_read(dev, PCI_PREF_MEMORY_LIMIT, 2);
    uint64_t pbase = (uint64_t)(pb & 0xfff0) << 16;
    uint64_t plimit = (uint64_t)(pl & 0xfff0) << 16 | 0xfffff;
    bool p64 = (pb & PCI_PREF_RANGE_TYPE_MASK) == PCI_PREF_RANGE_TYPE_64;
    if (p64) {
        pbase |= (uint64_t)vpci_cfg_read(dev, PCI_PREF_BASE_UPPER32, 4) << 32;
        plimit |= (uint64_t)vpci_cfg_read(dev, PCI_PREF_LIMIT_UPPER32, 4)
                  << 32;
    }
    print_window(out, prefix, "pref", pbase, plimit, p64 ? " (64-bit)" : "");
}

static void print_fn(const struct ptree *t, struct vpci_mock_fn *fn,
                     const char *prefix)
{
    FILE *out = t->out;
    struct vpci_dev *dev = vpci_mock_fn_dev(fn);
    uint16_t cmd = (uint16_t)vpci_cfg_read(dev, PCI_COMMAND, 2);
    fprintf(out, "%s    class %06x, command%s%s%s%s\n", prefix,
            vpci_cfg_read(dev, PCI_CLASS_REVISION, 4) >> 8,
            cmd & PCI_COMMAND_IO ? " io" : "",
            cmd & PCI_COMMAND_MEMORY ? " mem" : "",
            cmd & PCI_COMMAND_MASTER ? " master" : "",
            cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
                ? ""
                : " off");
    for (unsigned b = 0; b <= VPCI_ROM_BAR; b++) {
        struct vpci_bar_info bi;
        if (vpci_bar_info(dev, b, &bi) || bi.kind == VPCI_BAR_NONE)
            continue;
        char sz[32], name[8];
        if (b == VPCI_ROM_BAR)
            snprintf(name, sizeof(name), "ROM");
        else
            snprintf(name, sizeof(name), "BAR%u", b);
        mock_fmt_size(bi.size, sz, sizeof(sz));
        if (bi.addr)
            fprintf(out, "%s    %-5s %-5s%s 0x%" PRIx64 "-0x%" PRIx64
                         " [%s]%s\n",
                    prefix, name, vpci_bar_kind_name(bi.kind),
                    bi.prefetch ? " pref" : "", bi.addr,
                    bi.addr + bi.size - 1, sz,
                    bi.mapped ? "" : b == VPCI_ROM_BAR ? " disabled"
                                                       : " not decoding");
        else
            fprintf(out, "%s    %-5s %-5s%s [%s] unassigned\n", prefix, name,
                    vpci_bar_kind_name(bi.kind), bi.prefetch ? " pref" : "",
                    sz);
    }
    uint8_t pin = (uint8_t)vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1);
    if (pin >= 1 && pin <= 4) {
        int gsi = vpci_mock_fn_gsi(fn);
        if (gsi >= 0)
            fprintf(out, "%s    INT%c -> GSI %d\n", prefix, 'A' + pin - 1,
                    gsi);
        else
            fprintf(out, "%s    INT%c (not routed)\n", prefix, 'A' + pin - 1);
    }
    if (vpci_dev_is_bridge(dev))
        print_bridge(out, prefix, dev);
}

static void print_head(const struct ptree *t, struct vpci_mock_fn *fn,
                       const char *prefix, const char *branch, int bus)
{
    struct vpci_dev *dev = vpci_mock_fn_dev(fn);
    uint8_t devfn = vpci_mock_fn_devfn(fn);
    const char *id = vpci_mock_fn_id(fn);
    const struct vpci_model *mod = vpci_dev_model(dev);
    bool has_id = id && *id;
    char bdf[16];
    if (bus >= 0)
        snprintf(bdf, sizeof(bdf), "%02x:%02x.%x", bus, SLOT(devfn),
                 FUNC(devfn));
    else
        snprintf(bdf, sizeof(bdf), "--:%02x.%x", SLOT(devfn),
                 FUNC(devfn));
    fprintf(t->out, "%s%s %s %s%s%s%s [%04x:%04x]\n", prefix, branch, bdf,
            has_id ? id : "", has_id ? " (" : "", mod ? mod->name : "?",
            has_id ? ")" : "", vpci_cfg_read(dev, PCI_VENDOR_ID, 2),
            vpci_cfg_read(dev, PCI_DEVICE_ID, 2));
}

static void print_bus(const struct ptree *t, uint8_t bus, const char *prefix,
                      unsigned depth)
{
    struct vpci_mock_fn *list[256];
    size_t n = 0;
    for (size_t i = 0; n < 256; i++) {
        struct vpci_mock_fn *fn = vpci_mock_fn_at(t->m, i);
        if (!fn)
            break;
        if (vpci_mock_fn_bus(fn) == bus)
            list[n++] = fn;
    }
    for (size_t k = 0; k < n; k++) {
        struct vpci_mock_fn *fn = list[k];
        bool last = k + 1 == n;
        print_head(t, fn, prefix, last ? "\\-" : "+-", bus);
        char sub[512];
        snprintf(sub, sizeof(sub), "%s%s", prefix, last ? "   " : "|  ");
        print_fn(t, fn, sub);
        if (vpci_mock_fn_is_bridge(fn)) {
            uint8_t sec = fn_sec(fn);
            if (sec > bus && depth < 255)
                print_bus(t, sec, sub, depth + 1);
        }
    }
}

void vpci_mock_print_tree(const struct vpci_mock *m, FILE *out)
{
    if (!m || !out)
        return;
    bool numbered = true;
    for (size_t i = 0;; i++) {
        struct vpci_mock_fn *fn = vpci_mock_fn_at(m, i);
        if (!fn)
            break;
        if (vpci_mock_fn_is_bridge(fn) && !fn_sec(fn))
            numbered = false;
    }
    struct ptree t = { m, out };
    if (numbered) {
        fprintf(out, "[00] root bus\n");
        print_bus(&t, 0, "", 0);
        return;
    }
    /* Before enumeration the buses behind bridges have no numbers yet: a
     * flat list in depth-first order. */
    fprintf(out, "not enumerated (bridges have no bus numbers yet); "
                 "functions in depth-first order:\n");
    for (size_t i = 0;; i++) {
        struct vpci_mock_fn *fn = vpci_mock_fn_at(m, i);
        if (!fn)
            break;
        print_head(&t, fn, "", "*", -1);
        print_fn(&t, fn, "");
    }
}
