/* SPDX-License-Identifier: MIT */
/*
 * Shared by the mock host integration tests: two small test models (a
 * PCI-to-PCI bridge and an endpoint with BARs, maskable MSI, INTx and
 * timers), machine fixtures, and config-cycle helpers that go through
 * the direct API, CF8/CFC or ECAM so a test can run once per mechanism.
 *
 * Everything is static inline so each test program takes what it uses.
 * Set MT_LOG=1 in the environment to see the mock host's log.
 */
#ifndef VPCI_MOCKTEST_H
#define VPCI_MOCKTEST_H

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpci/vpci.h>

#include "mockhost.h"

#define MT_DEVFN(slot, fn) ((uint8_t)((slot) << 3 | (fn)))

/* ------------------------------------------------------------------ */
/* Test models                                                         */
/* ------------------------------------------------------------------ */

#define TDEV_VENDOR 0x1af4
#define TDEV_DEVICE 0x10f0
#define TDEV_TIMERS 3
#define TDEV_FIRED_MAX 32
#define TDEV_IO_SIZE 32u
#define TDEV_MEM_SIZE 4096u
#define TDEV_MEM64_SIZE (1u << 20)
#define TDEV_MSI_VECTORS 4u

struct tdev {
    struct vpci_timer *timers[TDEV_TIMERS];
    unsigned fired[TDEV_FIRED_MAX];       /* timer indexes, in firing order */
    uint64_t fired_at[TDEV_FIRED_MAX];    /* vpci_now() when each fired */
    unsigned nfired;
    unsigned rearm[TDEV_TIMERS];          /* re-arm this many more times */
    uint64_t rearm_delay;
    uint8_t io[TDEV_IO_SIZE];             /* BAR1 */
    unsigned io_writes;
};

static inline void tdev_timer_fn(struct vpci_dev *dev, void *opaque)
{
    struct tdev *t = vpci_dev_priv(dev);
    unsigned i = (unsigned)(uintptr_t)opaque;
    if (t->nfired < TDEV_FIRED_MAX) {
        t->fired[t->nfired] = i;
        t->fired_at[t->nfired] = vpci_now(dev);
    }
    t->nfired++;
    if (t->rearm[i]) {
        t->rearm[i]--;
        vpci_timer_arm(t->timers[i], t->rearm_delay);
    }
}

static inline uint64_t tdev_io_read(struct vpci_dev *dev, void *opaque,
                                    uint64_t off, unsigned len)
{
    (void)opaque;
    struct tdev *t = vpci_dev_priv(dev);
    uint64_t v = 0;
    for (unsigned i = 0; i < len && off + i < TDEV_IO_SIZE; i++)
        v |= (uint64_t)t->io[off + i] << (8 * i);
    return v;
}

static inline void tdev_io_write(struct vpci_dev *dev, void *opaque,
                                 uint64_t off, unsigned len, uint64_t val)
{
    (void)opaque;
    struct tdev *t = vpci_dev_priv(dev);
    for (unsigned i = 0; i < len && off + i < TDEV_IO_SIZE; i++)
        t->io[off + i] = (uint8_t)(val >> (8 * i));
    t->io_writes++;
}

/*
 * "tdev": BAR0 MEM32 4 KiB of RAM, BAR1 IO 32 bytes (handlers), BAR2
 * MEM64 prefetchable 1 MiB of RAM, 64-bit maskable MSI with 4 vectors,
 * INTx on pin "pin", three timers.  express=on adds a PCIe capability
 * (FLR capable) and AER (at 0x100); mf=on sets the multifunction bit in
 * its identity.
 */
static inline int tdev_init(struct vpci_dev *dev, const struct vpci_props *p)
{
    static const struct vpci_bar_ops io_ops = { tdev_io_read, tdev_io_write };
    struct tdev *t = vpci_dev_priv(dev);
    struct vpci_identity id = {
        .vendor_id = TDEV_VENDOR, .device_id = TDEV_DEVICE,
        .class_code = 0xff0000,
        .interrupt_pin = (uint8_t)vpci_prop_u32(p, "pin"),
        .express = vpci_prop_bool(p, "express"),
        .multifunction = vpci_prop_bool(p, "mf"),
    };
    int rc;
    if ((rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, TDEV_MEM_SIZE, 0)) ||
        (rc = vpci_bar_set_ram(dev, 0)) ||
        (rc = vpci_bar_define(dev, 1, VPCI_BAR_IO, TDEV_IO_SIZE, 0)) ||
        (rc = vpci_bar_set_ops(dev, 1, &io_ops, NULL)) ||
        (rc = vpci_bar_define(dev, 2, VPCI_BAR_MEM64, TDEV_MEM64_SIZE,
                              VPCI_BAR_PREFETCH)) ||
        (rc = vpci_bar_set_ram(dev, 2)) ||
        (rc = vpci_cap_add_msi(dev, 0, TDEV_MSI_VECTORS,
                               VPCI_MSI_64BIT | VPCI_MSI_MASKABLE, NULL)))
        return rc;
    if (id.express) {
        struct vpci_pcie_config pcie = { .type = VPCI_PCIE_ENDPOINT,
                                         .flr = true };
        if ((rc = vpci_cap_add_pcie(dev, 0, &pcie, NULL)) ||
            (rc = vpci_ecap_add_aer(dev, 0x100, NULL)))
            return rc;
    }
    static const char *const names[TDEV_TIMERS] = { "t0", "t1", "t2" };
    for (unsigned i = 0; i < TDEV_TIMERS; i++)
        if ((rc = vpci_timer_new(dev, names[i], tdev_timer_fn,
                                 (void *)(uintptr_t)i, &t->timers[i])))
            return rc;
    return 0;
}

static inline const struct vpci_model *tdev_model(void)
{
    static const struct vpci_prop_desc props[] = {
        { "pin", VPCI_PROP_U32, "1", "INTx pin 0..4" },
        { "express", VPCI_PROP_BOOL, "off", "PCI Express with AER" },
        { "mf", VPCI_PROP_BOOL, "off", "multifunction identity bit" },
        { .name = NULL },
    };
    static const struct vpci_model model = {
        .name = "tdev",
        .desc = "mock host test endpoint",
        .priv_size = sizeof(struct tdev),
        .props = props,
        .init = tdev_init,
    };
    return &model;
}

static inline int tbridge_init(struct vpci_dev *dev,
                               const struct vpci_props *p)
{
    (void)p;
    const struct vpci_identity id = {
        .vendor_id = 0x1b36, .device_id = 0x0001, .class_code = 0x060400,
        .bridge = true,
    };
    return vpci_dev_set_identity(dev, &id);
}

/* "tbridge": a bare PCI-to-PCI bridge (type 1 header only). */
static inline const struct vpci_model *tbridge_model(void)
{
    static const struct vpci_model model = {
        .name = "tbridge",
        .desc = "mock host test bridge",
        .init = tbridge_init,
    };
    return &model;
}

/* ------------------------------------------------------------------ */
/* Machines                                                            */
/* ------------------------------------------------------------------ */

/* Where the machine's log goes: /dev/null unless MT_LOG is set. */
static inline FILE *mt_log_file(void)
{
    const char *env = getenv("MT_LOG");
    if (env && *env && strcmp(env, "0"))
        return NULL;
    return fopen("/dev/null", "w");
}

struct mt_machine {
    struct vpci_mock *m;
    FILE *log;
};

static inline int mt_machine_new(struct mt_machine *mm,
                                 enum vpci_mock_machine machine,
                                 uint64_t ram, bool iommu)
{
    mm->log = mt_log_file();
    struct vpci_mock_config cfg = { .machine = machine, .ram_size = ram,
                                    .iommu = iommu, .log = mm->log };
    int rc = vpci_mock_new(&cfg, &mm->m);
    if (rc && mm->log) {
        fclose(mm->log);
        mm->log = NULL;
    }
    return rc;
}

static inline void mt_machine_free(struct mt_machine *mm)
{
    vpci_mock_free(mm->m);
    mm->m = NULL;
    if (mm->log)
        fclose(mm->log);
    mm->log = NULL;
}

/* Add a test model function; returns it (NULL on failure). */
static inline struct vpci_mock_fn *mt_add(struct vpci_mock *m,
                                          const struct vpci_model *model,
                                          const char *spec)
{
    struct vpci_mock_fn *fn = NULL;
    if (vpci_mock_add_model(m, model, spec, &fn))
        return NULL;
    return fn;
}

/* ------------------------------------------------------------------ */
/* Config cycles by mechanism                                          */
/* ------------------------------------------------------------------ */

enum mt_path { MT_DIRECT, MT_CF8, MT_ECAM };

static inline const char *mt_path_name(enum mt_path p)
{
    return p == MT_CF8 ? "CF8/CFC" : p == MT_ECAM ? "ECAM" : "direct";
}

static inline uint64_t mt_ecam_addr(struct vpci_mock *m, uint8_t bus,
                                    uint8_t devfn, unsigned off)
{
    return vpci_mock_get_map(m)->ecam_base + ((uint64_t)bus << 20) +
           ((uint64_t)devfn << 12) + off;
}

static inline uint32_t mt_cf8(uint8_t bus, uint8_t devfn, unsigned off)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 |
           (off & 0xfc);
}

static inline uint32_t mt_cfg_read(struct vpci_mock *m, enum mt_path p,
                                   uint8_t bus, uint8_t devfn, unsigned off,
                                   unsigned len)
{
    switch (p) {
    case MT_CF8:
        vpci_mock_out(m, 0xcf8, 4, mt_cf8(bus, devfn, off));
        return vpci_mock_in(m, (uint16_t)(0xcfc + (off & 3)), len);
    case MT_ECAM:
        return (uint32_t)vpci_mock_read(m, mt_ecam_addr(m, bus, devfn, off),
                                        len);
    default:
        return vpci_mock_cfg_read(m, bus, devfn, off, len);
    }
}

static inline void mt_cfg_write(struct vpci_mock *m, enum mt_path p,
                                uint8_t bus, uint8_t devfn, unsigned off,
                                unsigned len, uint32_t val)
{
    switch (p) {
    case MT_CF8:
        vpci_mock_out(m, 0xcf8, 4, mt_cf8(bus, devfn, off));
        vpci_mock_out(m, (uint16_t)(0xcfc + (off & 3)), len, val);
        break;
    case MT_ECAM:
        vpci_mock_write(m, mt_ecam_addr(m, bus, devfn, off), len, val);
        break;
    default:
        vpci_mock_cfg_write(m, bus, devfn, off, len, val);
        break;
    }
}

/* Program a bridge's primary / secondary / subordinate bus numbers. */
static inline void mt_bridge_buses(struct vpci_mock *m, enum mt_path p,
                                   uint8_t bus, uint8_t devfn, uint8_t pri,
                                   uint8_t sec, uint8_t sub)
{
    mt_cfg_write(m, p, bus, devfn, PCI_PRIMARY_BUS, 4,
                 (uint32_t)pri | (uint32_t)sec << 8 | (uint32_t)sub << 16);
}

/* Bridge memory window [base, limit] (1 MiB granules). */
static inline void mt_bridge_mem(struct vpci_mock *m, enum mt_path p,
                                 uint8_t bus, uint8_t devfn, uint32_t base,
                                 uint32_t limit)
{
    mt_cfg_write(m, p, bus, devfn, PCI_MEMORY_BASE, 4,
                 (base >> 16 & 0xfff0) | (limit & 0xfff00000u));
}

/* Bridge prefetchable window (64-bit) [base, limit]. */
static inline void mt_bridge_pref(struct vpci_mock *m, enum mt_path p,
                                  uint8_t bus, uint8_t devfn, uint64_t base,
                                  uint64_t limit)
{
    mt_cfg_write(m, p, bus, devfn, PCI_PREF_MEMORY_BASE, 4,
                 (uint32_t)(base >> 16 & 0xfff0) |
                     (uint32_t)(limit & 0xfff00000u));
    mt_cfg_write(m, p, bus, devfn, PCI_PREF_BASE_UPPER32, 4,
                 (uint32_t)(base >> 32));
    mt_cfg_write(m, p, bus, devfn, PCI_PREF_LIMIT_UPPER32, 4,
                 (uint32_t)(limit >> 32));
}

/* Bridge IO window [base, limit] (4 KiB granules, 32-bit IO). */
static inline void mt_bridge_io(struct vpci_mock *m, enum mt_path p,
                                uint8_t bus, uint8_t devfn, uint32_t base,
                                uint32_t limit)
{
    mt_cfg_write(m, p, bus, devfn, PCI_IO_BASE, 1, (base >> 8) & 0xf0);
    mt_cfg_write(m, p, bus, devfn, PCI_IO_LIMIT, 1, (limit >> 8) & 0xf0);
    mt_cfg_write(m, p, bus, devfn, PCI_IO_BASE_UPPER16, 4,
                 (base >> 16) | (limit & 0xffff0000u));
}

/* Program BAR @bar (both halves for a 64-bit one) to @addr. */
static inline void mt_bar(struct vpci_mock *m, enum mt_path p, uint8_t bus,
                          uint8_t devfn, unsigned bar, uint64_t addr,
                          bool is64)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    mt_cfg_write(m, p, bus, devfn, reg, 4, (uint32_t)addr);
    if (is64)
        mt_cfg_write(m, p, bus, devfn, reg + 4, 4, (uint32_t)(addr >> 32));
}

static inline void mt_command(struct vpci_mock *m, enum mt_path p,
                              uint8_t bus, uint8_t devfn, uint16_t bits)
{
    mt_cfg_write(m, p, bus, devfn, PCI_COMMAND, 2, bits);
}

#endif
