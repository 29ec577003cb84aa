/* SPDX-License-Identifier: MIT */
/*
 * Mock host firmware: enumeration and resource assignment through config
 * cycles (direct, CF8/CFC and ECAM), bridges two levels deep, 64-bit BARs
 * above 4 GiB, ROM, IO, multi-function devices, resource exhaustion, and
 * the tree printout.
 *
 * The devices are this file's own test models: "enum-ep", an endpoint
 * whose BARs come from properties (bar0=mem32:4K, bar2=mem64p:8G,
 * bar4=io:32, rom=64K, mf=on, pin=1), and "enum-bridge", a PCI-to-PCI
 * bridge; the registered "pci-bridge" and "edu" models are used too when
 * libvpci ships them.
 */
#define _GNU_SOURCE   /* open_memstream */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "internal.h" /* mock_enumerate_via: enumerate through CF8/ECAM */

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define FOUR_GIB (4ull << 30)

/* ------------------------------------------------------------------ */
/* Test models                                                         */
/* ------------------------------------------------------------------ */

struct ep_priv {
    uint32_t reg[VPCI_NUM_BARS];   /* offset 0 of each BAR: read/write */
};

#define EP_MAGIC 0xc0de0000u
#define EP_PATTERN 0xa5000000u
static const uint8_t ep_rom_image[] = { 0x55, 0xaa, 0x10, 'R', 'O', 'M' };

static uint64_t ep_bar_read(struct vpci_dev *dev, void *opaque, uint64_t off,
                            unsigned len)
{
    (void)dev;
    (void)len;
    return off == 0 ? *(uint32_t *)opaque : EP_PATTERN | (uint32_t)off;
}

static void ep_bar_write(struct vpci_dev *dev, void *opaque, uint64_t off,
                         unsigned len, uint64_t val)
{
    (void)dev;
    (void)len;
    if (off == 0)
        *(uint32_t *)opaque = (uint32_t)val;
}

static const struct vpci_bar_ops ep_bar_ops = { ep_bar_read, ep_bar_write };

/* "mem32:4K", "mem64p:8G", "mem32p:1M", "mem64:1M", "io:32", "" */
static int parse_bar(const char *s, enum vpci_bar_kind *kind, unsigned *flags,
                     uint64_t *size)
{
    *flags = 0;
    *size = 0;
    *kind = VPCI_BAR_NONE;
    if (!s || !*s)
        return 0;
    const char *colon = strchr(s, ':');
    if (!colon)
        return -1;
    size_t klen = (size_t)(colon - s);
    if (!strncmp(s, "mem32", 5))
        *kind = VPCI_BAR_MEM32;
    else if (!strncmp(s, "mem64", 5))
        *kind = VPCI_BAR_MEM64;
    else if (!strncmp(s, "io", 2))
        *kind = VPCI_BAR_IO;
    else
        return -1;
    if (s[klen - 1] == 'p')
        *flags = VPCI_BAR_PREFETCH;
    char *end;
    uint64_t v = strtoull(colon + 1, &end, 0);
    switch (*end) {
    case 'K': v <<= 10; break;
    case 'M': v <<= 20; break;
    case 'G': v <<= 30; break;
    case '\0': break;
    default: return -1;
    }
    *size = v;
    return 0;
}

static int ep_common_init(struct vpci_dev *dev, const struct vpci_props *props,
                          bool bridge)
{
    struct vpci_identity id = {
        .vendor_id = 0x1234,
        .device_id = bridge ? 0xb71d : 0xe9e9,
        .class_code = bridge ? 0x060400 : 0xff0000,
        .interrupt_pin = (uint8_t)vpci_prop_u32(props, "pin"),
        .bridge = bridge,
        .multifunction = vpci_prop_bool(props, "mf"),
    };
    int rc = vpci_dev_set_identity(dev, &id);
    struct ep_priv *p = vpci_dev_priv(dev);
    static const char *const names[VPCI_NUM_BARS] = { "bar0", "bar1", "bar2",
                                                      "bar3", "bar4", "bar5" };
    for (unsigned b = 0; !rc && b < (bridge ? 2u : VPCI_NUM_BARS); b++) {
        enum vpci_bar_kind kind;
        unsigned flags;
        uint64_t size;
        if (parse_bar(vpci_prop_str(props, names[b]), &kind, &flags, &size))
            return -EINVAL;
        if (kind == VPCI_BAR_NONE)
            continue;
        p->reg[b] = EP_MAGIC | b;
        rc = vpci_bar_define(dev, b, kind, size, flags);
        if (!rc)
            rc = vpci_bar_set_ops(dev, b, &ep_bar_ops, &p->reg[b]);
    }
    uint64_t rom = vpci_prop_u64(props, "rom");
    if (!rc && rom)
        rc = vpci_rom_define(dev, rom, ep_rom_image, sizeof(ep_rom_image));
    return rc;
}

static int ep_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    return ep_common_init(dev, props, false);
}

static int bridge_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    return ep_common_init(dev, props, true);
}

static const struct vpci_prop_desc ep_props[] = {
    { "bar0", VPCI_PROP_STRING, "", "BAR0: kind:size" },
    { "bar1", VPCI_PROP_STRING, "", "BAR1" },
    { "bar2", VPCI_PROP_STRING, "", "BAR2" },
    { "bar3", VPCI_PROP_STRING, "", "BAR3" },
    { "bar4", VPCI_PROP_STRING, "", "BAR4" },
    { "bar5", VPCI_PROP_STRING, "", "BAR5" },
    { "rom", VPCI_PROP_U64, "0", "expansion ROM size" },
    { "mf", VPCI_PROP_BOOL, "off", "header type bit 7" },
    { "pin", VPCI_PROP_U32, "0", "interrupt pin" },
    { NULL, VPCI_PROP_BOOL, NULL, NULL },
};

static const struct vpci_model ep_model = {
    .name = "enum-ep",
    .desc = "enumeration test endpoint",
    .priv_size = sizeof(struct ep_priv),
    .props = ep_props,
    .init = ep_init,
};

static const struct vpci_model bridge_model = {
    .name = "enum-bridge",
    .desc = "enumeration test PCI-to-PCI bridge",
    .priv_size = sizeof(struct ep_priv),
    .props = ep_props,
    .init = bridge_init,
};

/* ------------------------------------------------------------------ */
/* Fixture: a machine whose log goes to a memory buffer                */
/* ------------------------------------------------------------------ */

struct fx {
    struct vpci_mock *m;
    FILE *log;
    char *logbuf;
    size_t loglen;
};

static struct fx *fx_new(enum vpci_mock_machine machine)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->log = open_memstream(&f->logbuf, &f->loglen);
    assert_non_null(f->log);
    struct vpci_mock_config cfg = { .machine = machine, .log = f->log };
    assert_int_equal(vpci_mock_new(&cfg, &f->m), 0);
    return f;
}

static void fx_free(struct fx *f)
{
    vpci_mock_free(f->m);
    fclose(f->log);
    free(f->logbuf);
    free(f);
}

static const char *fx_log(struct fx *f)
{
    fflush(f->log);
    return f->logbuf ? f->logbuf : "";
}

static int setup_q35(void **state)
{
    *state = fx_new(VPCI_MOCK_Q35);
    return 0;
}

static int setup_virt(void **state)
{
    *state = fx_new(VPCI_MOCK_VIRT);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

/* Add by spec: "enum-ep,..." and "enum-bridge,..." are this file's models,
 * anything else a registered model by name. */
static struct vpci_mock_fn *add(struct vpci_mock *m, const char *spec)
{
    struct vpci_mock_fn *fn = NULL;
    int rc;
    if (!strncmp(spec, "enum-ep", 7))
        rc = vpci_mock_add_model(m, &ep_model, spec, &fn);
    else if (!strncmp(spec, "enum-bridge", 11))
        rc = vpci_mock_add_model(m, &bridge_model, spec, &fn);
    else
        rc = vpci_mock_add(m, spec, &fn);
    if (rc)
        fprintf(stderr, "adding \"%s\": %d\n", spec, rc);
    assert_int_equal(rc, 0);
    assert_non_null(fn);
    return fn;
}

/* The bridge model: the registered "pci-bridge" once libvpci ships it. */
static const char *bridge_name(void)
{
    return vpci_model_find("pci-bridge") ? "pci-bridge" : "enum-bridge";
}

static struct vpci_mock_fn *add_bridge(struct vpci_mock *m, const char *rest)
{
    char spec[256];
    snprintf(spec, sizeof(spec), "%s,%s", bridge_name(), rest);
    return add(m, spec);
}

/* ------------------------------------------------------------------ */
/* Config helpers (through the direct API, routed like CF8/ECAM)       */
/* ------------------------------------------------------------------ */

static uint32_t cfg(struct vpci_mock *m, struct vpci_mock_fn *fn,
                    unsigned off, unsigned len)
{
    return vpci_mock_cfg_read(m, vpci_mock_fn_bus(fn), vpci_mock_fn_devfn(fn),
                              off, len);
}

static void cfg_w(struct vpci_mock *m, struct vpci_mock_fn *fn, unsigned off,
                  unsigned len, uint32_t val)
{
    vpci_mock_cfg_write(m, vpci_mock_fn_bus(fn), vpci_mock_fn_devfn(fn), off,
                        len, val);
}

static struct vpci_bar_info bar(struct vpci_mock_fn *fn, unsigned b)
{
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(vpci_mock_fn_dev(fn), b, &bi), 0);
    return bi;
}

enum { W_IO, W_MEM, W_PREF };

/* A bridge window as programmed: false when disabled (base > limit). */
static bool window(struct vpci_mock_fn *br, int w, uint64_t *base,
                   uint64_t *limit)
{
    struct vpci_dev *d = vpci_mock_fn_dev(br);
    if (w == W_IO) {
        uint32_t b = vpci_cfg_read(d, PCI_IO_BASE, 1);
        uint32_t l = vpci_cfg_read(d, PCI_IO_LIMIT, 1);
        *base = (uint64_t)(b & 0xf0) << 8 |
                (uint64_t)vpci_cfg_read(d, PCI_IO_BASE_UPPER16, 2) << 16;
        *limit = ((uint64_t)(l & 0xf0) << 8 | 0xfff) |
                 (uint64_t)vpci_cfg_read(d, PCI_IO_LIMIT_UPPER16, 2) << 16;
    } else if (w == W_MEM) {
        *base = (uint64_t)(vpci_cfg_read(d, PCI_MEMORY_BASE, 2) & 0xfff0) << 16;
        *limit = (uint64_t)(vpci_cfg_read(d, PCI_MEMORY_LIMIT, 2) & 0xfff0)
                     << 16 | 0xfffff;
    } else {
        *base = (uint64_t)(vpci_cfg_read(d, PCI_PREF_MEMORY_BASE, 2) & 0xfff0)
                    << 16 |
                (uint64_t)vpci_cfg_read(d, PCI_PREF_BASE_UPPER32, 4) << 32;
        *limit = ((uint64_t)(vpci_cfg_read(d, PCI_PREF_MEMORY_LIMIT, 2) &
                             0xfff0) << 16 | 0xfffff) |
                 (uint64_t)vpci_cfg_read(d, PCI_PREF_LIMIT_UPPER32, 4) << 32;
    }
    return *base <= *limit;
}

/* The bridge whose secondary bus @fn sits on, or NULL on the root bus. */
static struct vpci_mock_fn *parent_of(struct vpci_mock *m,
                                      struct vpci_mock_fn *fn)
{
    uint8_t bus = vpci_mock_fn_bus(fn);
    if (bus == 0)
        return NULL;
    for (size_t i = 0; vpci_mock_fn_at(m, i); i++) {
        struct vpci_mock_fn *b = vpci_mock_fn_at(m, i);
        if (vpci_mock_fn_is_bridge(b) &&
            vpci_cfg_read(vpci_mock_fn_dev(b), PCI_SECONDARY_BUS, 1) == bus)
            return b;
    }
    fail_msg("%s on bus %02x has no bridge above it", vpci_mock_fn_id(fn),
             bus);
    return NULL;
}

static bool inside(uint64_t a, uint64_t size, uint64_t base, uint64_t limit)
{
    return a >= base && a + size - 1 <= limit && a + size - 1 >= a;
}

struct span {
    uint64_t a, size;
    bool io;
    const char *who;
    int bar;   /* -1 .. -3: bridge windows */
};

/*
 * Everything firmware promises about a layout: each BAR assigned, naturally
 * aligned, inside the machine's windows and inside the right window of
 * every bridge above it; bridge windows nested; nothing on a bus overlaps
 * anything else on it; ROMs assigned but disabled; memory BARs decoding.
 */
static void check_layout(struct vpci_mock *m)
{
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    struct span *all = calloc(4096, sizeof(*all));
    size_t n = 0;
    assert_non_null(all);
    for (size_t i = 0; vpci_mock_fn_at(m, i); i++) {
        struct vpci_mock_fn *fn = vpci_mock_fn_at(m, i);
        const char *id = vpci_mock_fn_id(fn);
        for (unsigned b = 0; b <= VPCI_ROM_BAR; b++) {
            struct vpci_bar_info bi = bar(fn, b);
            if (bi.kind == VPCI_BAR_NONE)
                continue;
            if (!bi.addr || bi.addr % bi.size)
                fail_msg("%s BAR%u at 0x%llx (size 0x%llx): unassigned or "
                         "misaligned", id, b, (unsigned long long)bi.addr,
                         (unsigned long long)bi.size);
            bool io = bi.kind == VPCI_BAR_IO;
            if (b == VPCI_ROM_BAR) {
                assert_false(bi.mapped);
                unsigned reg = vpci_mock_fn_is_bridge(fn) ? PCI_ROM_ADDRESS1
                                                          : PCI_ROM_ADDRESS;
                assert_int_equal(cfg(m, fn, reg, 4) & PCI_ROM_ADDRESS_ENABLE,
                                 0);
            } else if (!bi.mapped) {
                fail_msg("%s BAR%u not decoding", id, b);
            }
            if (io)
                assert_true(inside(bi.addr, bi.size, map->io_base,
                                   map->io_base + map->io_size - 1));
            else if (!inside(bi.addr, bi.size, map->mmio32_base,
                             map->mmio32_base + map->mmio32_size - 1) &&
                     !inside(bi.addr, bi.size, map->mmio64_base,
                             map->mmio64_base + map->mmio64_size - 1))
                fail_msg("%s BAR%u 0x%llx outside the machine's windows", id,
                         b, (unsigned long long)bi.addr);
            if (bi.kind != VPCI_BAR_MEM64 && !io)
                assert_true(bi.addr + bi.size <= FOUR_GIB);
            /* the window it must sit in, at every level above */
            int w = io ? W_IO
                    : bi.kind == VPCI_BAR_MEM64 && bi.prefetch ? W_PREF
                                                               : W_MEM;
            struct vpci_mock_fn *p = parent_of(m, fn);
            if (p) {
                uint64_t base, limit;
                window(p, W_PREF, &base, &limit);
                /* a 64-bit prefetchable BAR behind a bridge without a
                 * prefetchable window would share the memory window */
                if (w == W_PREF && !(cfg(m, p, PCI_PREF_MEMORY_BASE, 2) &
                                     PCI_PREF_RANGE_TYPE_MASK))
                    w = W_MEM;
            }
            for (; p; p = parent_of(m, p)) {
                uint64_t base, limit;
                if (!window(p, w, &base, &limit) ||
                    !inside(bi.addr, bi.size, base, limit))
                    fail_msg("%s BAR%u [0x%llx +0x%llx] outside %s's window "
                             "%d", id, b, (unsigned long long)bi.addr,
                             (unsigned long long)bi.size,
                             vpci_mock_fn_id(p), w);
            }
            all[n++] = (struct span){ bi.addr, bi.size, io, id, (int)b };
        }
        if (!vpci_mock_fn_is_bridge(fn))
            continue;
        /* windows nest in the parent's window of the same kind */
        for (int w = W_IO; w <= W_PREF; w++) {
            uint64_t base, limit, pb, pl;
            if (!window(fn, w, &base, &limit))
                continue;
            assert_int_equal(base % (w == W_IO ? 4 * KIB : MIB), 0);
            assert_int_equal((limit + 1) % (w == W_IO ? 4 * KIB : MIB), 0);
            struct vpci_mock_fn *p = parent_of(m, fn);
            if (p && (!window(p, w, &pb, &pl) || base < pb || limit > pl))
                fail_msg("%s window %d outside %s's", id, w,
                         vpci_mock_fn_id(p));
            all[n++] = (struct span){ base, limit - base + 1, w == W_IO, id,
                                      -1 - w };
        }
    }
    /* No two leaf resources overlap anywhere. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (all[i].bar < 0 || all[j].bar < 0 || all[i].io != all[j].io)
                continue;
            if (all[i].a < all[j].a + all[j].size &&
                all[j].a < all[i].a + all[i].size)
                fail_msg("%s BAR%d overlaps %s BAR%d", all[i].who, all[i].bar,
                         all[j].who, all[j].bar);
        }
    free(all);
}

static bool is_programmed_bus(struct vpci_mock *m, struct vpci_mock_fn *br,
                              uint8_t pri, uint8_t sec, uint8_t sub)
{
    uint32_t v = cfg(m, br, PCI_PRIMARY_BUS, 4) & 0xffffff;
    return v == ((uint32_t)pri | (uint32_t)sec << 8 | (uint32_t)sub << 16);
}

/* ------------------------------------------------------------------ */
/* Bus numbering                                                       */
/* ------------------------------------------------------------------ */

static void test_two_levels_of_bridges_get_buses_depth_first(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *br0 = add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *br1 = add_bridge(m, "bus=br0,addr=00.0,id=br1");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br1,addr=00.0,id=deep,"
                                     "bar0=mem32:4K");
    struct vpci_mock_fn *br2 = add_bridge(m, "addr=04.0,id=br2");
    struct vpci_mock_fn *ep2 = add(m, "enum-ep,bus=br2,addr=05.0,id=side,"
                                      "bar0=mem32:4K");

    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_int_equal(vpci_mock_errors(m), 0);
    assert_true(is_programmed_bus(m, br0, 0, 1, 2));
    assert_true(is_programmed_bus(m, br1, 1, 2, 2));
    assert_true(is_programmed_bus(m, br2, 0, 3, 3));
    assert_int_equal(vpci_mock_fn_bus(ep), 2);
    assert_int_equal(vpci_mock_fn_bus(ep2), 3);
    assert_int_equal(vpci_mock_fn_rid(ep2), 3 << 8 | 5 << 3);
    /* the deepest device answers at its new address */
    assert_int_equal(vpci_mock_cfg_read(m, 2, 0, PCI_VENDOR_ID, 2), 0x1234);
    check_layout(m);
}

static void test_buses_beyond_an_unnumbered_bridge_are_unreachable(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    add_bridge(m, "addr=03.0,id=br0");
    add(m, "enum-ep,bus=br0,addr=00.0,bar0=mem32:4K");
    /* before enumeration bus 1 does not exist */
    assert_int_equal(vpci_mock_cfg_read(m, 1, 0, PCI_VENDOR_ID, 2), 0xffff);
    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_int_equal(vpci_mock_cfg_read(m, 1, 0, PCI_VENDOR_ID, 2), 0x1234);
}

/* ------------------------------------------------------------------ */
/* Resources                                                           */
/* ------------------------------------------------------------------ */

static void build_mixed(struct vpci_mock *m)
{
    add(m, "enum-ep,addr=02.0,id=a,bar0=mem32:4K,bar1=io:32,"
           "bar2=mem64p:1M,bar4=mem64:16K,rom=64K");
    add_bridge(m, "addr=03.0,id=br0");
    add(m, "enum-ep,bus=br0,addr=00.0,id=b,bar0=mem32:1M,bar1=io:256,"
           "bar2=mem64p:256M,rom=2K");
    add_bridge(m, "bus=br0,addr=01.0,id=br1");
    add(m, "enum-ep,bus=br1,addr=00.0,id=c,bar0=mem32:64K,bar1=io:16,"
           "bar2=mem64p:32M,bar4=mem32p:2M,rom=128K");
    add(m, "enum-ep,bus=br1,addr=02.0,id=d,bar0=mem32:128,bar5=io:4");
    add_bridge(m, "addr=04.0,id=br2");
    add(m, "enum-ep,bus=br2,addr=00.0,id=e,bar0=mem32:8M,bar2=mem64:2M");
}

static void test_bars_aligned_disjoint_and_inside_bridge_windows(void **state)
{
    struct fx *f = *state;
    build_mixed(f->m);
    assert_int_equal(vpci_mock_enumerate(f->m), 0);
    assert_int_equal(vpci_mock_errors(f->m), 0);
    check_layout(f->m);
}

static void test_32bit_prefetchable_bar_shares_the_memory_window(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *br = add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br0,addr=00.0,"
                                     "bar0=mem32p:4M,bar2=mem64p:8M");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    uint64_t base, limit;
    assert_true(window(br, W_MEM, &base, &limit));
    assert_true(inside(bar(ep, 0).addr, 4 * MIB, base, limit));
    assert_true(window(br, W_PREF, &base, &limit));
    assert_true(inside(bar(ep, 2).addr, 8 * MIB, base, limit));
    check_layout(m);
}

/* Inside a window BARs are packed by decreasing alignment: 2M + 1M + 64K
 * + 4K fill 4 MiB, where device order would need 6 MiB. */
static void test_window_packs_bars_by_decreasing_alignment(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *br = add_bridge(m, "addr=03.0,id=br0");
    add(m, "enum-ep,bus=br0,addr=00.0,bar0=mem32:4K,bar1=mem32:1M,"
           "bar2=mem32:64K,bar3=mem32:2M");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    uint64_t base, limit;
    assert_true(window(br, W_MEM, &base, &limit));
    assert_int_equal(limit - base + 1, 4 * MIB);
    check_layout(m);
}

static void test_bridge_with_nothing_behind_has_windows_disabled(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *br = add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *mem_only = add_bridge(m, "addr=04.0,id=br1");
    add(m, "enum-ep,bus=br1,addr=00.0,bar0=mem32:4K");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    uint64_t base, limit;
    for (int w = W_IO; w <= W_PREF; w++)
        assert_false(window(br, w, &base, &limit));
    assert_false(window(mem_only, W_IO, &base, &limit));
    assert_true(window(mem_only, W_MEM, &base, &limit));
    assert_int_equal(limit - base + 1, MIB);   /* 1 MiB granularity */
    assert_false(window(mem_only, W_PREF, &base, &limit));
    assert_true(is_programmed_bus(m, br, 0, 1, 1));
    assert_true(is_programmed_bus(m, mem_only, 0, 2, 2));
}

/* A bridge's own BARs and ROM (at 0x38) sit on its primary bus, outside
 * its windows. */
static void test_bridge_own_bar_and_rom_are_assigned(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *br = add(m, "enum-bridge,addr=03.0,id=br0,"
                                     "bar0=mem32:4K,bar1=io:16,rom=4K");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br0,addr=00.0,"
                                     "bar0=mem32:4K");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    struct vpci_bar_info b0 = bar(br, 0), rom = bar(br, VPCI_ROM_BAR);
    assert_true(b0.mapped && bar(br, 1).mapped);
    assert_true(rom.addr && !rom.mapped);
    assert_int_equal(cfg(m, br, PCI_ROM_ADDRESS1, 4), rom.addr);
    uint64_t base, limit;
    assert_true(window(br, W_MEM, &base, &limit));
    assert_false(inside(b0.addr, b0.size, base, limit));
    assert_true(inside(bar(ep, 0).addr, 4 * KIB, base, limit));
    assert_int_equal(vpci_mock_read(m, b0.addr, 4), EP_MAGIC | 0);
    check_layout(m);
}

static void test_64bit_bar_goes_above_4g_when_it_does_not_fit_below(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    struct vpci_mock_fn *big = add(m, "enum-ep,addr=02.0,id=big,"
                                      "bar0=mem32:1M,bar2=mem64p:8G");
    struct vpci_mock_fn *br0 = add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *br1 = add_bridge(m, "bus=br0,addr=00.0,id=br1");
    struct vpci_mock_fn *deep = add(m, "enum-ep,bus=br1,addr=00.0,id=deep,"
                                       "bar2=mem64p:4G");
    assert_int_equal(vpci_mock_enumerate(m), 0);

    struct vpci_bar_info bi = bar(big, 2);
    assert_true(bi.addr >= FOUR_GIB);
    assert_true(inside(bi.addr, 8 * GIB, map->mmio64_base,
                       map->mmio64_base + map->mmio64_size - 1));
    assert_true(bi.mapped);
    assert_true(bar(big, 0).addr < FOUR_GIB);   /* its 32-bit BAR stays */
    /* both register halves hold the address */
    assert_int_equal(cfg(m, big, PCI_BASE_ADDRESS_3, 4), bi.addr >> 32);

    bi = bar(deep, 2);
    assert_true(bi.addr >= FOUR_GIB);
    uint64_t base, limit;
    assert_true(window(br1, W_PREF, &base, &limit));
    assert_true(base >= FOUR_GIB && inside(bi.addr, 4 * GIB, base, limit));
    assert_true(window(br0, W_PREF, &base, &limit));
    assert_true(base >= FOUR_GIB && inside(bi.addr, 4 * GIB, base, limit));
    check_layout(m);
}

static void test_64bit_bar_stays_below_4g_when_it_fits(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *ep = add(m, "enum-ep,addr=02.0,bar2=mem64p:16M");
    struct vpci_mock_fn *br = add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *deep = add(m, "enum-ep,bus=br0,addr=00.0,"
                                       "bar2=mem64p:64M");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_true(bar(ep, 2).addr + 16 * MIB <= FOUR_GIB);
    assert_true(bar(deep, 2).addr + 64 * MIB <= FOUR_GIB);
    assert_int_equal(cfg(m, ep, PCI_BASE_ADDRESS_3, 4), 0);
    uint64_t base, limit;
    assert_true(window(br, W_PREF, &base, &limit));
    assert_true(limit < FOUR_GIB);
    check_layout(m);
}

/* q35's 32-bit window is 1004 MiB: 512M + 256M + 256M do not fit, so the
 * largest 64-bit prefetchable BAR moves up and the rest stays below. */
static void test_largest_64bit_bar_moves_up_first(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *a = add(m, "enum-ep,addr=02.0,bar0=mem32:256M");
    struct vpci_mock_fn *b = add(m, "enum-ep,addr=03.0,bar2=mem64p:512M");
    struct vpci_mock_fn *c = add(m, "enum-ep,addr=04.0,bar2=mem64p:256M");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_true(bar(a, 0).addr < FOUR_GIB);
    assert_true(bar(b, 2).addr >= FOUR_GIB);
    assert_true(bar(c, 2).addr < FOUR_GIB);
    check_layout(m);
}

static void test_rom_assigned_and_left_disabled(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br0,addr=00.0,"
                                     "bar0=mem32:4K,rom=64K");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    struct vpci_bar_info rom = bar(ep, VPCI_ROM_BAR);
    assert_int_equal(rom.kind, VPCI_BAR_ROM);
    assert_true(rom.addr != 0 && rom.addr % (64 * KIB) == 0);
    assert_true(rom.addr < FOUR_GIB);
    assert_false(rom.mapped);
    uint32_t reg = cfg(m, ep, PCI_ROM_ADDRESS, 4);
    assert_int_equal(reg & PCI_ROM_ADDRESS_ENABLE, 0);
    assert_int_equal(reg & PCI_ROM_ADDRESS_MASK, rom.addr);
    /* disabled: nothing answers there */
    assert_int_equal(vpci_mock_read(m, rom.addr, 2), 0);
    /* a driver enables it and reads the image through both bridges */
    cfg_w(m, ep, PCI_ROM_ADDRESS, 4, reg | PCI_ROM_ADDRESS_ENABLE);
    assert_true(bar(ep, VPCI_ROM_BAR).mapped);
    assert_int_equal(vpci_mock_read(m, rom.addr, 2), 0xaa55);
    assert_int_equal(vpci_mock_read(m, rom.addr + 3, 1), 'R');
    cfg_w(m, ep, PCI_ROM_ADDRESS, 4, reg);
    check_layout(m);
}

static void test_io_bars_assigned_in_the_io_window(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    struct vpci_mock_fn *root_ep = add(m, "enum-ep,addr=02.0,bar0=io:32");
    struct vpci_mock_fn *br = add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br0,addr=00.0,"
                                     "bar1=io:256,bar2=mem32:4K");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    struct vpci_bar_info a = bar(root_ep, 0), b = bar(ep, 1);
    assert_true(a.mapped && b.mapped);
    assert_true(a.addr >= map->io_base && a.addr % 32 == 0);
    assert_true(b.addr % 256 == 0);
    uint64_t base, limit;
    assert_true(window(br, W_IO, &base, &limit));
    assert_true(inside(b.addr, 256, base, limit));
    assert_false(inside(a.addr, 32, base, limit));
    assert_true(cfg(m, root_ep, PCI_COMMAND, 2) & PCI_COMMAND_IO);
    assert_false(cfg(m, root_ep, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
    /* port IO reaches the device behind the bridge */
    assert_int_equal(vpci_mock_in(m, (uint16_t)b.addr, 4), EP_MAGIC | 1);
    vpci_mock_out(m, (uint16_t)b.addr, 4, 0x1234abcd);
    assert_int_equal(vpci_mock_in(m, (uint16_t)b.addr, 4), 0x1234abcd);
    check_layout(m);
}

static void test_command_enables_what_each_function_needs(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    struct vpci_mock_fn *host = vpci_mock_find(m, "host");
    struct vpci_mock_fn *mem = add(m, "enum-ep,addr=02.0,bar0=mem32:4K");
    struct vpci_mock_fn *none = add(m, "enum-ep,addr=05.0");
    struct vpci_mock_fn *br = add_bridge(m, "addr=03.0,id=br0");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    const uint16_t all = PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                         PCI_COMMAND_MASTER;
    assert_int_equal(cfg(m, mem, PCI_COMMAND, 2) & all,
                     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(cfg(m, none, PCI_COMMAND, 2) & all, PCI_COMMAND_MASTER);
    assert_int_equal(cfg(m, br, PCI_COMMAND, 2) & all, all);
    assert_non_null(host);
    assert_int_equal(cfg(m, host, PCI_COMMAND, 2) & all, PCI_COMMAND_MASTER);
}

static void test_interrupt_line_holds_the_gsi(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    add_bridge(m, "addr=03.0,id=br0");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br0,addr=02.0,pin=1,"
                                     "bar0=mem32:4K");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    int gsi = vpci_mock_fn_gsi(ep);
    assert_true(gsi >= 0);
    assert_int_equal(cfg(m, ep, PCI_INTERRUPT_LINE, 1), gsi);
}

/* ------------------------------------------------------------------ */
/* Multi-function                                                      */
/* ------------------------------------------------------------------ */

static void test_functions_1_to_7_found_only_when_function_0_says_so(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    /* model-declared multi-function device */
    struct vpci_mock_fn *f0 = add(m, "enum-ep,addr=05.0,mf=on,bar0=mem32:4K");
    struct vpci_mock_fn *f1 = add(m, "enum-ep,addr=05.1,bar0=mem32:4K");
    struct vpci_mock_fn *f7 = add(m, "enum-ep,addr=05.7,bar0=io:16");
    /* host-forced multifunction=on, behind a bridge */
    add_bridge(m, "addr=06.0,id=br0");
    struct vpci_mock_fn *g0 = add(m, "enum-ep,bus=br0,addr=00.0,"
                                     "multifunction=on,bar0=mem32:4K");
    struct vpci_mock_fn *g3 = add(m, "enum-ep,bus=br0,addr=00.3,"
                                     "bar0=mem32:4K");
    /* no function 0: functions 1..7 of the slot are never looked for */
    struct vpci_mock_fn *orphan = add(m, "enum-ep,addr=07.1,bar0=mem32:4K");
    /* function 0 that stops saying multi-function (header type bit 7
     * cleared behind the host's back): its function 2 is not looked for */
    struct vpci_mock_fn *h0 = add(m, "enum-ep,addr=08.0,mf=on,bar0=mem32:4K");
    struct vpci_mock_fn *h2 = add(m, "enum-ep,addr=08.2,bar0=mem32:4K");
    assert_int_equal(vpci_cfg_set(vpci_mock_fn_dev(h0), PCI_HEADER_TYPE, 1,
                                  PCI_HEADER_TYPE_NORMAL), 0);

    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_true(bar(f0, 0).mapped);
    assert_true(bar(f1, 0).mapped);
    assert_true(bar(f7, 0).mapped);
    assert_true(bar(g0, 0).mapped);
    assert_true(bar(g3, 0).mapped);
    assert_int_equal(vpci_mock_fn_bus(g3), 1);
    assert_int_equal(bar(orphan, 0).addr, 0);
    assert_false(bar(orphan, 0).mapped);
    assert_int_equal(cfg(m, orphan, PCI_COMMAND, 2), 0);
    assert_true(bar(h0, 0).mapped);
    assert_int_equal(bar(h2, 0).addr, 0);
    assert_int_equal(cfg(m, h2, PCI_COMMAND, 2), 0);
}

static void test_host_refuses_function_1_beside_a_single_function_0(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    /* the host refuses to put function 1 next to a single-function 0, as
     * QEMU does; so enumeration can never see one. */
    add(m, "enum-ep,addr=05.0,bar0=mem32:4K");
    struct vpci_mock_fn *fn = NULL;
    assert_int_equal(vpci_mock_add_model(m, &ep_model, "addr=05.1", &fn),
                     -EINVAL);
    assert_null(fn);
    assert_int_equal(vpci_mock_enumerate(m), 0);
}

/* ------------------------------------------------------------------ */
/* Exhaustion                                                          */
/* ------------------------------------------------------------------ */

/* Every register enumeration could touch, for every function. */
struct snapshot {
    size_t n;
    uint32_t regs[64][16];
};

static void snap(struct vpci_mock *m, struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; vpci_mock_fn_at(m, i) && i < 64; i++, s->n++) {
        struct vpci_dev *d = vpci_mock_fn_dev(vpci_mock_fn_at(m, i));
        for (unsigned k = 0; k < 16; k++)
            s->regs[i][k] = vpci_cfg_read(d, 4 * k, 4);
    }
}

static void build_overcommitted(struct vpci_mock *m)
{
    add(m, "enum-ep,addr=02.0,id=ok,bar0=mem32:4K,bar1=io:32,rom=8K");
    add_bridge(m, "addr=03.0,id=br0");
    add_bridge(m, "bus=br0,addr=00.0,id=br1");
    /* 2 GiB of 32-bit memory cannot fit q35's 1004 MiB window */
    add(m, "enum-ep,bus=br1,addr=00.0,id=hog,bar0=mem32:2G,bar1=io:16");
}

static void test_exhaustion_names_the_function_and_programs_nothing(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    build_overcommitted(m);
    struct snapshot before, after;
    snap(m, &before);
    assert_int_equal(vpci_mock_errors(m), 0);

    assert_int_equal(vpci_mock_enumerate(m), -ENOSPC);
    assert_true(vpci_mock_errors(m) >= 1);
    const char *log = fx_log(f);
    if (!strstr(log, "hog@02:00.0 BAR0") || !strstr(log, "2 GiB mem32") ||
        !strstr(log, "br0@00:03.0"))
        fail_msg("log does not name the function:\n%s", log);

    /* bus numbers back, no BAR, window or COMMAND changed */
    snap(m, &after);
    assert_int_equal(before.n, after.n);
    assert_memory_equal(before.regs, after.regs, sizeof(before.regs));
    struct vpci_mock_fn *br0 = vpci_mock_find(m, "br0");
    assert_true(is_programmed_bus(m, br0, 0, 0, 0));
    assert_int_equal(cfg(m, vpci_mock_find(m, "ok"), PCI_BASE_ADDRESS_0, 4),
                     0);
    assert_int_equal(cfg(m, vpci_mock_find(m, "ok"), PCI_COMMAND, 2), 0);
    assert_int_equal(vpci_mock_fn_bus(vpci_mock_find(m, "hog")), 0);
}

static void test_sizing_restores_original_bar_values_on_failure(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    build_overcommitted(m);
    struct vpci_mock_fn *ok = vpci_mock_find(m, "ok");
    /* what an earlier owner left in the registers, decode off */
    cfg_w(m, ok, PCI_BASE_ADDRESS_0, 4, 0xd0001000);
    cfg_w(m, ok, PCI_BASE_ADDRESS_1, 4, 0xe000);
    cfg_w(m, ok, PCI_ROM_ADDRESS, 4, 0xd0100000);
    cfg_w(m, ok, PCI_COMMAND, 2, PCI_COMMAND_SERR);
    assert_int_equal(vpci_mock_enumerate(m), -ENOSPC);
    assert_int_equal(cfg(m, ok, PCI_BASE_ADDRESS_0, 4), 0xd0001000);
    assert_int_equal(cfg(m, ok, PCI_BASE_ADDRESS_1, 4), 0xe001);
    assert_int_equal(cfg(m, ok, PCI_ROM_ADDRESS, 4), 0xd0100000);
    assert_int_equal(cfg(m, ok, PCI_COMMAND, 2), PCI_COMMAND_SERR);
}

static void test_io_exhaustion_names_each_function(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    /* q35 gives BARs 16 KiB of ports: the second 16 KiB BAR cannot fit */
    add(m, "enum-ep,addr=02.0,id=io1,bar0=io:16K");
    add(m, "enum-ep,addr=03.0,id=io2,bar0=io:16K");
    add(m, "enum-ep,addr=04.0,id=io3,bar0=io:16K");
    assert_int_equal(vpci_mock_enumerate(m), -ENOSPC);
    const char *log = fx_log(f);
    int named = !!strstr(log, "io1@00:02.0 BAR0") +
                !!strstr(log, "io2@00:03.0 BAR0") +
                !!strstr(log, "io3@00:04.0 BAR0");
    if (named != 2 || !strstr(log, "IO window"))
        fail_msg("expected two IO BARs named:\n%s", log);
    assert_int_equal(bar(vpci_mock_find(m, "io1"), 0).addr, 0);
}

static void test_64bit_window_exhaustion_is_reported(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    /* q35's 64-bit window is 64 GiB */
    add_bridge(m, "addr=03.0,id=br0");
    add(m, "enum-ep,bus=br0,addr=00.0,id=huge,bar2=mem64p:64G");
    add(m, "enum-ep,bus=br0,addr=01.0,id=more,bar2=mem64p:1G");
    assert_int_equal(vpci_mock_enumerate(m), -ENOSPC);
    const char *log = fx_log(f);
    if (!strstr(log, "br0@00:03.0 prefetchable window") ||
        !strstr(log, "huge@01:00.0 BAR2") || !strstr(log, "64-bit"))
        fail_msg("log does not name the window and its BAR:\n%s", log);
    assert_true(is_programmed_bus(m, vpci_mock_find(m, "br0"), 0, 0, 0));
}

/* A chain of 256 bridges needs buses 1..256: the last has no number. */
static void test_bus_number_exhaustion_names_the_bridge(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    char spec[64];
    add(m, "enum-bridge,addr=01.0,id=b0");
    for (unsigned i = 1; i < 256; i++) {
        snprintf(spec, sizeof(spec), "enum-bridge,bus=b%u,addr=00.0,id=b%u",
                 i - 1, i);
        add(m, spec);
    }
    assert_int_equal(vpci_mock_enumerate(m), -ENOSPC);
    const char *log = fx_log(f);
    if (!strstr(log, "b255@ff:00.0: no bus number left"))
        fail_msg("log does not name the bridge:\n%s", log);
    for (unsigned i = 0; i < 256; i += 51) {
        snprintf(spec, sizeof(spec), "b%u", i);
        struct vpci_mock_fn *b = vpci_mock_find(m, spec);
        assert_int_equal(vpci_mock_fn_bus(b), 0);
        assert_int_equal(vpci_cfg_read(vpci_mock_fn_dev(b), PCI_PRIMARY_BUS, 4)
                             & 0xffffff, 0);
    }
}

/* ------------------------------------------------------------------ */
/* Config mechanisms                                                   */
/* ------------------------------------------------------------------ */

static uint32_t cf8_read32(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                           unsigned off)
{
    vpci_mock_out(m, 0xcf8, 4,
                  0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 |
                      off);
    return vpci_mock_in(m, 0xcfc, 4);
}

static uint32_t ecam_read32(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                            unsigned off)
{
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    return (uint32_t)vpci_mock_read(
        m, map->ecam_base + ((uint64_t)bus << 20 | (uint64_t)devfn << 12 | off),
        4);
}

static void test_cf8_and_ecam_read_the_same_after_enumeration(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    build_mixed(m);
    assert_int_equal(vpci_mock_enumerate(m), 0);
    size_t checked = 0;
    for (unsigned bus = 0; bus < 4; bus++)
        for (unsigned devfn = 0; devfn < 256; devfn++)
            for (unsigned off = 0; off < 256; off += 4) {
                uint32_t d = vpci_mock_cfg_read(m, (uint8_t)bus,
                                                (uint8_t)devfn, off, 4);
                assert_int_equal(cf8_read32(m, (uint8_t)bus, (uint8_t)devfn,
                                            off), d);
                assert_int_equal(ecam_read32(m, (uint8_t)bus, (uint8_t)devfn,
                                             off), d);
                checked += d != 0xffffffffu;
            }
    assert_true(checked > 0);
    /* the deepest endpoint ("c" on bus 2) is there with its BAR */
    assert_int_equal(cf8_read32(m, 2, 0, PCI_VENDOR_ID) & 0xffff, 0x1234);
    assert_int_equal(ecam_read32(m, 2, 0, PCI_BASE_ADDRESS_0),
                     (uint32_t)bar(vpci_mock_find(m, "c"), 0).addr);
}

/* Full config dumps of every function after enumerating through @method. */
static void dump_after(enum vpci_mock_machine machine, const char *method,
                       uint8_t (*out)[256], size_t *n)
{
    struct fx *f = fx_new(machine);
    build_mixed(f->m);
    assert_int_equal(mock_enumerate_via(f->m, method), 0);
    assert_int_equal(vpci_mock_errors(f->m), 0);
    check_layout(f->m);
    *n = 0;
    for (size_t i = 0; vpci_mock_fn_at(f->m, i); i++, (*n)++) {
        struct vpci_mock_fn *fn = vpci_mock_fn_at(f->m, i);
        for (unsigned off = 0; off < 256; off++)
            out[i][off] = (uint8_t)cfg(f->m, fn, off, 1);
    }
    fx_free(f);
}

static void test_cf8_ecam_and_direct_enumerations_agree(void **state)
{
    (void)state;
    static uint8_t direct[32][256], cf8[32][256], ecam[32][256];
    size_t nd, nc, ne;
    dump_after(VPCI_MOCK_Q35, "direct", direct, &nd);
    dump_after(VPCI_MOCK_Q35, "cf8", cf8, &nc);
    dump_after(VPCI_MOCK_Q35, "ecam", ecam, &ne);
    assert_int_equal(nd, 9);
    assert_int_equal(nc, nd);
    assert_int_equal(ne, nd);
    assert_memory_equal(direct, cf8, nd * 256);
    assert_memory_equal(direct, ecam, nd * 256);
}

static void test_unknown_or_missing_mechanism_is_refused(void **state)
{
    struct fx *f = *state;
    assert_int_equal(mock_enumerate_via(f->m, "pio"), -EINVAL);
    struct fx *v = fx_new(VPCI_MOCK_VIRT);
    assert_int_equal(mock_enumerate_via(v->m, "cf8"), -ENODEV);
    fx_free(v);
}

/* ------------------------------------------------------------------ */
/* After enumeration                                                   */
/* ------------------------------------------------------------------ */

static void test_mmio_reaches_a_bar_behind_two_bridges(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    add_bridge(m, "addr=03.0,id=br0");
    add_bridge(m, "bus=br0,addr=00.0,id=br1");
    struct vpci_mock_fn *ep = add(m, "enum-ep,bus=br1,addr=00.0,"
                                     "bar0=mem32:4K,bar2=mem64p:8G");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    uint64_t a0 = bar(ep, 0).addr, a2 = bar(ep, 2).addr;
    assert_int_equal(vpci_mock_read(m, a0, 4), EP_MAGIC | 0);
    assert_int_equal(vpci_mock_read(m, a0 + 0x40, 4), EP_PATTERN | 0x40);
    vpci_mock_write(m, a0, 4, 0xfeedf00d);
    assert_int_equal(vpci_mock_read(m, a0, 4), 0xfeedf00d);
    assert_true(a2 >= FOUR_GIB);
    assert_int_equal(vpci_mock_read(m, a2, 4), EP_MAGIC | 2);
    assert_int_equal(vpci_mock_read(m, a2 + 8 * GIB - 8, 4),
                     EP_PATTERN | (uint32_t)(8 * GIB - 8));
    /* with the outer bridge's memory decode off the BAR is unreachable */
    struct vpci_mock_fn *br0 = vpci_mock_find(m, "br0");
    uint32_t cmd = cfg(m, br0, PCI_COMMAND, 2);
    cfg_w(m, br0, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
    assert_int_not_equal(vpci_mock_read(m, a0, 4), 0xfeedf00d);
    cfg_w(m, br0, PCI_COMMAND, 2, cmd);
    assert_int_equal(vpci_mock_read(m, a0, 4), 0xfeedf00d);
}

static void test_enumerating_twice_gives_the_same_layout(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    build_mixed(m);
    assert_int_equal(vpci_mock_enumerate(m), 0);
    struct snapshot *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    snap(m, a);
    /* a driver moved something meanwhile: enumeration starts afresh */
    struct vpci_mock_fn *c = vpci_mock_find(m, "c");
    cfg_w(m, c, PCI_COMMAND, 2, 0);
    cfg_w(m, c, PCI_BASE_ADDRESS_0, 4, 0xdead0000);
    assert_int_equal(vpci_mock_enumerate(m), 0);
    snap(m, b);
    assert_memory_equal(a, b, sizeof(*a));
    assert_int_equal(vpci_mock_errors(m), 0);
    check_layout(m);
    free(a);
    free(b);
}

/*
 * Re-enumerating a running machine: sizing happens with decode off, so no
 * BAR ever decodes at the all-ones sizing pattern or a half-written
 * address.  In the host's effect trace every bar-unmap comes from the
 * same config write as an io-/mem-decode off (libvpci lists the toggle
 * first, then the unmaps).
 */
static void test_resizing_never_unmaps_a_bar_behind_decode(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    build_mixed(m);
    assert_int_equal(vpci_mock_enumerate(m), 0);
    const char *log = fx_log(f);
    size_t start = strlen(log);
    vpci_mock_set_log_level(m, VPCI_LOG_TRACE);
    assert_int_equal(vpci_mock_enumerate(m), 0);
    vpci_mock_set_log_level(m, VPCI_LOG_WARN);
    log = fx_log(f) + start;

    /* per function id: is IO / memory decode on, as the trace says */
    bool io_on[64], mem_on[64];
    char ids[64][32];
    size_t nids = 0, unmaps = 0;
    const char *tag = "mock: trace: host: ";
    for (const char *l = strstr(log, tag); l; l = strstr(l + 1, tag)) {
        char id[32], effect[64];
        if (sscanf(l + strlen(tag), "%31[^:]: %63[^\n]", id, effect) != 2)
            continue;
        size_t k = 0;
        while (k < nids && strcmp(ids[k], id))
            k++;
        if (k == nids) {
            assert_true(nids < 64);
            snprintf(ids[nids], sizeof(ids[0]), "%s", id);
            io_on[nids] = mem_on[nids] = true;  /* as enumerated before */
            nids++;
        }
        if (!strcmp(effect, "io-decode off") || !strcmp(effect, "io-decode on"))
            io_on[k] = !strcmp(effect, "io-decode on");
        if (!strcmp(effect, "mem-decode off") ||
            !strcmp(effect, "mem-decode on"))
            mem_on[k] = !strcmp(effect, "mem-decode on");
        if (!strncmp(effect, "bar-unmap", 9)) {
            bool io = strstr(effect, " io ") != NULL;
            if (io ? io_on[k] : mem_on[k])
                fail_msg("%s: \"%s\" while decoding", id, effect);
            unmaps++;
        }
        assert_null(strstr(effect, "bar-move"));
    }
    assert_true(unmaps > 0);
    check_layout(m);
}

static void test_virt_machine_enumerates_through_ecam(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    assert_false(map->has_cf8);
    build_mixed(m);
    struct vpci_mock_fn *big = add(m, "enum-ep,addr=06.0,id=big,"
                                      "bar2=mem64p:2G,bar0=mem32:256M");
    assert_int_equal(mock_enumerate_via(m, "ecam"), 0);
    assert_int_equal(vpci_mock_errors(m), 0);
    check_layout(m);
    /* virt's 32-bit window (752 MiB) cannot also hold 2 GiB */
    assert_true(bar(big, 2).addr >= FOUR_GIB);
    /* IO never at port 0 (which means "unassigned") */
    assert_true(bar(vpci_mock_find(m, "a"), 1).addr >= 0x1000);
    struct vpci_mock_fn *c = vpci_mock_find(m, "c");
    assert_int_equal(vpci_mock_fn_bus(c), 2);
    assert_int_equal(ecam_read32(m, 2, 0, PCI_VENDOR_ID) & 0xffff, 0x1234);
    assert_int_equal(vpci_mock_read(m, bar(c, 0).addr, 4), EP_MAGIC | 0);
    /* and the default mechanism gives the same layout */
    uint64_t before = bar(c, 2).addr;
    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_int_equal(bar(c, 2).addr, before);
}

static void test_registered_models_enumerate(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    if (!vpci_model_find("edu") || !vpci_model_find("pci-bridge")) {
        skip();
        return;
    }
    add(m, "pci-bridge,addr=03.0,id=br0");
    add(m, "pci-bridge,bus=br0,addr=00.0,id=br1");
    struct vpci_mock_fn *edu = add(m, "edu,bus=br1,addr=00.0,id=edu");
    assert_int_equal(vpci_mock_enumerate(m), 0);
    assert_int_equal(vpci_mock_errors(m), 0);
    check_layout(m);
    assert_int_equal(vpci_mock_fn_bus(edu), 2);
    /* edu's identification register: 0x010000ed */
    uint64_t a = bar(edu, 0).addr;
    assert_int_equal(vpci_mock_read(m, a, 4) & 0xff, 0xed);
}

/* ------------------------------------------------------------------ */
/* The tree                                                            */
/* ------------------------------------------------------------------ */

static char *tree_of(struct vpci_mock *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    vpci_mock_print_tree(m, out);
    fclose(out);
    return buf;
}

static void test_print_tree_shows_buses_and_resources(void **state)
{
    struct fx *f = *state;
    struct vpci_mock *m = f->m;
    build_mixed(m);
    char *t = tree_of(m);
    assert_non_null(strstr(t, "not enumerated"));
    free(t);

    assert_int_equal(vpci_mock_enumerate(m), 0);
    t = tree_of(m);
    static const char *const want[] = {
        "00:00.0 host (mch) [8086:29c0]",
        "00:03.0 br0",
        "01:01.0 br1",
        "02:00.0 c (enum-ep) [1234:e9e9]",
        "buses primary 01 secondary 02 subordinate 02",
        "BAR2  mem64 pref 0x",
        "ROM   rom",
        "disabled",
        "pref  0x",
        "command mem master",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(t, want[i]))
            fail_msg("tree lacks \"%s\":\n%s", want[i], t);
    /* depth: the bus-2 device is indented below both bridges */
    const char *c = strstr(t, "02:00.0");
    const char *line = c;
    while (line > t && line[-1] != '\n')
        line--;
    assert_true(c - line >= 6);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define Q35(t) cmocka_unit_test_setup_teardown(t, setup_q35, teardown)
#define VIRT(t) cmocka_unit_test_setup_teardown(t, setup_virt, teardown)
        Q35(test_two_levels_of_bridges_get_buses_depth_first),
        Q35(test_buses_beyond_an_unnumbered_bridge_are_unreachable),
        Q35(test_bars_aligned_disjoint_and_inside_bridge_windows),
        Q35(test_32bit_prefetchable_bar_shares_the_memory_window),
        Q35(test_window_packs_bars_by_decreasing_alignment),
        Q35(test_bridge_with_nothing_behind_has_windows_disabled),
        Q35(test_bridge_own_bar_and_rom_are_assigned),
        Q35(test_64bit_bar_goes_above_4g_when_it_does_not_fit_below),
        Q35(test_64bit_bar_stays_below_4g_when_it_fits),
        Q35(test_largest_64bit_bar_moves_up_first),
        Q35(test_rom_assigned_and_left_disabled),
        Q35(test_io_bars_assigned_in_the_io_window),
        Q35(test_command_enables_what_each_function_needs),
        Q35(test_interrupt_line_holds_the_gsi),
        Q35(test_functions_1_to_7_found_only_when_function_0_says_so),
        Q35(test_host_refuses_function_1_beside_a_single_function_0),
        Q35(test_exhaustion_names_the_function_and_programs_nothing),
        Q35(test_sizing_restores_original_bar_values_on_failure),
        Q35(test_io_exhaustion_names_each_function),
        Q35(test_64bit_window_exhaustion_is_reported),
        Q35(test_bus_number_exhaustion_names_the_bridge),
        Q35(test_cf8_and_ecam_read_the_same_after_enumeration),
        Q35(test_cf8_ecam_and_direct_enumerations_agree),
        Q35(test_unknown_or_missing_mechanism_is_refused),
        Q35(test_mmio_reaches_a_bar_behind_two_bridges),
        Q35(test_enumerating_twice_gives_the_same_layout),
        Q35(test_resizing_never_unmaps_a_bar_behind_decode),
        VIRT(test_virt_machine_enumerates_through_ecam),
        Q35(test_registered_models_enumerate),
        Q35(test_print_tree_shows_buses_and_resources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
