/* SPDX-License-Identifier: MIT */
/*
 * Shared by the `vpci-host lspci` tests (test_lspci.c, test_lspci_verbose.c):
 * a pci.ids file the test writes (VPCI_PCI_IDS) or none, a q35 machine
 * fixture, the "xdev" test endpoint with every capability libvpci builds,
 * and print(), what vpci_lspci_print() prints for given options.
 */
#ifndef VPCI_LSPCITEST_H
#define VPCI_LSPCITEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "frontends.h"
#include "mocktest.h"

static char ids_path[64];

static inline void use_ids(const char *text)
{
    strcpy(ids_path, "/tmp/vpci-lspci-ids-XXXXXX");
    int fd = mkstemp(ids_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(setenv("VPCI_PCI_IDS", ids_path, 1), 0);
}

static inline void no_ids(void)
{
    assert_int_equal(setenv("VPCI_PCI_IDS", "/nonexistent/pci.ids", 1), 0);
}

/* An express endpoint with every capability libvpci builds, at fixed
 * offsets, and every kind of BAR. */
#define XDEV_VENDOR 0x1af4
#define XDEV_DEVICE 0x10f1

static inline int xdev_init(struct vpci_dev *dev,
                            const struct vpci_props *p)
{
    const struct vpci_identity id = {
        .vendor_id = XDEV_VENDOR, .device_id = XDEV_DEVICE,
        .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
        .revision = 0x02, .class_code = 0xff0000, .interrupt_pin = 1,
        .express = true,
    };
    const struct vpci_pm_config pm = { .no_soft_reset = true };
    const struct vpci_pcie_config pcie = { .type = VPCI_PCIE_ENDPOINT,
                                           .flr = true };
    bool big = vpci_prop_bool(p, "big");
    int rc;
    if ((rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 16384, 0)) ||
        (rc = vpci_bar_define(dev, 1, VPCI_BAR_IO, 64, 0)) ||
        (rc = vpci_bar_define(dev, 2, VPCI_BAR_MEM64,
                              big ? 8ull << 30 : 1ull << 20,
                              VPCI_BAR_PREFETCH)) ||
        (rc = vpci_rom_define(dev, 65536, "\x55\xaa", 2)) ||
        (rc = vpci_cap_add_pm(dev, 0x40, &pm, NULL)) ||
        (rc = vpci_cap_add_msi(dev, 0x50, 4,
                               VPCI_MSI_64BIT | VPCI_MSI_MASKABLE, NULL)) ||
        (rc = vpci_cap_add_msix(dev, 0x70, 8, 0, 0x2000, 0, 0x3000, NULL)) ||
        (rc = vpci_cap_add_pcie(dev, 0x80, &pcie, NULL)) ||
        (rc = vpci_cap_add_vendor(dev, 0xc0, "abcd", 4, NULL)) ||
        (rc = vpci_ecap_add_aer(dev, 0x100, NULL)))
        return rc;
    return 0;
}

static inline const struct vpci_model *xdev_model(void)
{
    static const struct vpci_prop_desc props[] = {
        { "big", VPCI_PROP_BOOL, "off", "BAR2 of 8 GiB (above 4 GiB)" },
        { .name = NULL },
    };
    static const struct vpci_model model = {
        .name = "xdev",
        .desc = "lspci test endpoint",
        .props = props,
        .init = xdev_init,
    };
    return &model;
}

static struct mt_machine mm;

static inline int setup(void **state)
{
    (void)state;
    ids_path[0] = 0;
    return mt_machine_new(&mm, VPCI_MOCK_Q35, 0, false);
}

static inline int teardown(void **state)
{
    (void)state;
    mt_machine_free(&mm);
    if (ids_path[0])
        unlink(ids_path);
    ids_path[0] = 0;
    unsetenv("VPCI_PCI_IDS");
    return 0;
}

static inline void add(const char *spec)
{
    assert_int_equal(vpci_mock_add(mm.m, spec, NULL), 0);
}

static inline struct vpci_mock_fn *add_x(const char *spec)
{
    struct vpci_mock_fn *fn = mt_add(mm.m, xdev_model(), spec);
    assert_non_null(fn);
    return fn;
}

/* What vpci_lspci_print() prints (free() it). */
static inline char *print(unsigned dump, bool tree, unsigned verbose,
                          bool numeric)
{
    const struct vpci_lspci_opts o = { .dump = dump, .tree = tree,
                                       .verbose = verbose,
                                       .numeric = numeric };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(vpci_lspci_print(mm.m, f, &o), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

static inline unsigned count_lines(const char *s, const char *prefix)
{
    unsigned n = 0;
    size_t plen = strlen(prefix);
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (!strncmp(p, prefix, plen))
            n++;
    return n;
}

#endif
