/* SPDX-License-Identifier: MIT */
/*
 * `vpci-host demo`: build a machine with every model libvpci ships, a
 * bridge with devices behind it and the IOMMU on; enumerate it like
 * firmware; print the tree and resources; then drive each function the
 * way its driver would (DMA through the IOMMU, an interrupt) and print a
 * result table.  Exit status 1 if any check failed.
 *
 * Each model contributes one row to demo_checks[]: the spec strings that
 * place it and a function that exercises it.  Adding a model to the demo
 * is adding a row.
 */
#include "internal.h"

#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

#include "frontends.h"

#define MSI_DATA_BASE 0x40u

struct demo {
    struct vpci_mock *m;
    unsigned next_msi_data;   /* each function gets its own vector data */
    uint64_t next_iova;       /* IOVA space handed out to drivers */
    uint64_t next_pa;         /* RAM pages handed out as DMA buffers */
};

/* ---- what a driver does first: find BAR0, enable MSI ---- */

static uint64_t bar_addr(struct vpci_mock_fn *fn, unsigned bar)
{
    struct vpci_bar_info info;
    if (vpci_bar_info(vpci_mock_fn_dev(fn), bar, &info) || !info.mapped)
        return 0;
    return info.addr;
}

static unsigned find_cap(struct vpci_mock *m, struct vpci_mock_fn *fn,
                         uint8_t id)
{
    uint8_t bus = vpci_mock_fn_bus(fn), devfn = vpci_mock_fn_devfn(fn);
    unsigned guard = 48;
    for (unsigned p = vpci_mock_cfg_read(m, bus, devfn, PCI_CAPABILITY_LIST, 1);
         p && guard--; p = vpci_mock_cfg_read(m, bus, devfn, p + 1, 1))
        if (vpci_mock_cfg_read(m, bus, devfn, p, 1) == id)
            return p;
    return 0;
}

/* Program the function's MSI capability to the doorbell; returns the data
 * value its messages carry, or 0 if it has no MSI. */
static uint32_t enable_msi(struct demo *d, struct vpci_mock_fn *fn)
{
    struct vpci_mock *m = d->m;
    unsigned cap = find_cap(m, fn, PCI_CAP_ID_MSI);
    if (!cap)
        return 0;
    uint8_t bus = vpci_mock_fn_bus(fn), devfn = vpci_mock_fn_devfn(fn);
    uint16_t flags = (uint16_t)vpci_mock_cfg_read(m, bus, devfn,
                                                  cap + PCI_MSI_FLAGS, 2);
    uint32_t data = MSI_DATA_BASE + d->next_msi_data++;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    vpci_mock_cfg_write(m, bus, devfn, cap + PCI_MSI_ADDRESS_LO, 4,
                        (uint32_t)map->msi_base);
    unsigned data_off = PCI_MSI_DATA_32;
    if (flags & PCI_MSI_FLAGS_64BIT) {
        vpci_mock_cfg_write(m, bus, devfn, cap + PCI_MSI_ADDRESS_HI, 4,
                            (uint32_t)(map->msi_base >> 32));
        data_off = PCI_MSI_DATA_64;
    }
    vpci_mock_cfg_write(m, bus, devfn, cap + data_off, 2, data);
    vpci_mock_cfg_write(m, bus, devfn, cap + PCI_MSI_FLAGS, 2,
                        flags | PCI_MSI_FLAGS_ENABLE);
    return data;
}

/*
 * A DMA buffer as a driver gets one from the DMA API: @pages of RAM that
 * are deliberately not contiguous, mapped contiguously in the IOMMU for
 * the function.  Returns the IOVA; the PAs go to @pa[].
 */
static uint64_t dma_alloc(struct demo *d, struct vpci_mock_fn *fn,
                          unsigned pages, uint64_t *pa)
{
    uint64_t iova = d->next_iova;
    for (unsigned i = 0; i < pages; i++) {
        pa[i] = d->next_pa;
        d->next_pa += 2 * VPCI_DMA_PAGE_SIZE; /* leave a hole: scattered */
        if (vpci_mock_iommu_map(d->m, vpci_mock_fn_rid(fn),
                                iova + i * VPCI_DMA_PAGE_SIZE, pa[i],
                                VPCI_DMA_PAGE_SIZE,
                                VPCI_MOCK_IOMMU_READ | VPCI_MOCK_IOMMU_WRITE))
            return 0;
    }
    d->next_iova += (uint64_t)(pages + 1) * VPCI_DMA_PAGE_SIZE;
    return iova;
}

/* ---- per-model checks: return NULL on success or what went wrong ---- */

#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_INTR_STATUS 0x24
#define EDU_INTR_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_BUF 0x40000
#define EDU_DMA_RUN 0x1
#define EDU_DMA_FROM_DEVICE 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_DMA_IRQ_VALUE 0x100
#define EDU_DMA_TIME_NS 100000000ull

static void edu_dma(struct vpci_mock *m, uint64_t bar, uint64_t src,
                    uint64_t dst, uint32_t count, uint32_t cmd)
{
    vpci_mock_write(m, bar + EDU_DMA_SRC, 8, src);
    vpci_mock_write(m, bar + EDU_DMA_DST, 8, dst);
    vpci_mock_write(m, bar + EDU_DMA_COUNT, 8, count);
    vpci_mock_write(m, bar + EDU_DMA_CMD, 8, cmd | EDU_DMA_RUN);
    vpci_mock_clock_step(m, EDU_DMA_TIME_NS);
}

static const char *check_edu(struct demo *d, struct vpci_mock_fn *fn,
                             char *detail, size_t len)
{
    struct vpci_mock *m = d->m;
    uint64_t bar = bar_addr(fn, 0);
    if (!bar)
        return "BAR0 not mapped";
    vpci_mock_write(m, bar + EDU_LIVENESS, 4, 0x12345678);
    if (vpci_mock_read(m, bar + EDU_LIVENESS, 4) != 0xedcba987u)
        return "liveness register does not invert";
    vpci_mock_write(m, bar + EDU_FACTORIAL, 4, 10);
    if (vpci_mock_read(m, bar + EDU_FACTORIAL, 4) != 3628800u)
        return "10! is not 3628800";

    uint32_t data = enable_msi(d, fn);
    if (!data)
        return "no MSI capability";
    uint64_t pa[2];
    uint64_t iova = dma_alloc(d, fn, 2, pa);
    if (!iova)
        return "IOMMU mapping failed";
    uint8_t pattern[VPCI_DMA_PAGE_SIZE], back[VPCI_DMA_PAGE_SIZE];
    for (unsigned i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 31 + vpci_mock_fn_devfn(fn));
    vpci_mock_memwrite(m, pa[0], pattern, sizeof(pattern));
    unsigned msis = vpci_mock_msi_count_data(m, data);

    /* RAM (through the IOMMU) -> device buffer -> RAM at the second page. */
    edu_dma(m, bar, iova, EDU_DMA_BUF, sizeof(pattern), EDU_DMA_IRQ);
    edu_dma(m, bar, EDU_DMA_BUF, iova + VPCI_DMA_PAGE_SIZE, sizeof(pattern),
            EDU_DMA_FROM_DEVICE | EDU_DMA_IRQ);
    vpci_mock_memread(m, pa[1], back, sizeof(back));
    if (memcmp(pattern, back, sizeof(back)))
        return "DMA round trip through the IOMMU corrupted data";
    if (vpci_mock_read(m, bar + EDU_INTR_STATUS, 4) != EDU_DMA_IRQ_VALUE)
        return "interrupt status is not 0x100 after DMA";
    vpci_mock_write(m, bar + EDU_INTR_ACK, 4, EDU_DMA_IRQ_VALUE);
    unsigned got = vpci_mock_msi_count_data(m, data) - msis;
    if (got != 2)
        return "expected one MSI per DMA";
    snprintf(detail, len,
             "4 KiB RAM->dev->RAM via IOVA 0x%llx (PA 0x%llx, 0x%llx), "
             "%u MSIs data 0x%x",
             (unsigned long long)iova, (unsigned long long)pa[0],
             (unsigned long long)pa[1], got, data);
    return NULL;
}

/* A bridge works if what is behind it is reachable by config and MMIO. */
static const char *check_bridge(struct demo *d, struct vpci_mock_fn *fn,
                                char *detail, size_t len)
{
    struct vpci_mock *m = d->m;
    uint8_t bus = vpci_mock_fn_bus(fn), devfn = vpci_mock_fn_devfn(fn);
    uint32_t buses = vpci_mock_cfg_read(m, bus, devfn, PCI_PRIMARY_BUS, 4);
    uint8_t sec = (uint8_t)(buses >> 8), sub = (uint8_t)(buses >> 16);
    if (!sec || sub < sec)
        return "bus numbers not assigned";
    unsigned found = 0, decoded = 0;
    struct vpci_mock_fn *child;
    for (size_t i = 0; (child = vpci_mock_fn_at(m, i)); i++) {
        uint8_t cb = vpci_mock_fn_bus(child);
        if (cb < sec || cb > sub)
            continue;
        found++;
        uint32_t id = vpci_mock_cfg_read(m, cb, vpci_mock_fn_devfn(child),
                                         PCI_VENDOR_ID, 4);
        uint64_t bar = bar_addr(child, 0);
        uint64_t v;
        /* The first dword of BAR0 must answer like the device does. */
        if (id != 0xffffffffu && bar &&
            vpci_bar_read(vpci_mock_fn_dev(child), 0, 0, 4, &v) == 0 &&
            vpci_mock_read(m, bar, 4) == v)
            decoded++;
    }
    if (!found)
        return "nothing found behind the bridge";
    if (decoded != found)
        return "a device behind the bridge is not reachable by MMIO";
    snprintf(detail, len, "buses %02x-%02x, %u function(s) reachable", sec,
             sub, found);
    return NULL;
}

struct demo_check {
    const char *model;
    const char *const *specs;   /* NULL-terminated */
    const char *(*check)(struct demo *d, struct vpci_mock_fn *fn,
                         char *detail, size_t len);
};

static const char *const edu_specs[] = {
    "edu,addr=01.0,id=edu0", "edu,bus=br0,addr=00.0,id=edu1", NULL,
};
static const char *const bridge_specs[] = {
    "pci-bridge,addr=03.0,id=br0", NULL,
};

/* Order matters: bridges come before what sits behind them. */
static const struct demo_check demo_checks[] = {
    { "pci-bridge", bridge_specs, check_bridge },
    { "edu", edu_specs, check_edu },
};

static const struct demo_check *check_for(const struct vpci_mock_fn *fn)
{
    const char *name = vpci_dev_model(vpci_mock_fn_dev(fn))->name;
    for (size_t i = 0; i < sizeof(demo_checks) / sizeof(demo_checks[0]); i++)
        if (!strcmp(demo_checks[i].model, name))
            return &demo_checks[i];
    return NULL;
}

int vpci_demo_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct vpci_mock_config cfg = {
        .machine = VPCI_MOCK_Q35, .ram_size = 256u << 20, .iommu = true,
    };
    struct demo d = { .next_iova = 0x100000, .next_pa = 0x1000000 };
    if (vpci_mock_new(&cfg, &d.m)) {
        fprintf(stderr, "demo: cannot create the machine\n");
        return 1;
    }
    printf("== machine: q35, 256 MiB RAM, IOMMU on ==\n");
    int failures = 0;
    for (size_t i = 0; i < sizeof(demo_checks) / sizeof(demo_checks[0]); i++) {
        if (!vpci_model_find(demo_checks[i].model))
            continue; /* not built into this libvpci */
        for (const char *const *s = demo_checks[i].specs; *s; s++) {
            printf("-device %s\n", *s);
            if (vpci_mock_add(d.m, *s, NULL)) {
                fprintf(stderr, "demo: cannot add %s\n", *s);
                failures++;
            }
        }
    }
    printf("\n== enumerate ==\n");
    if (vpci_mock_enumerate(d.m)) {
        fprintf(stderr, "demo: enumeration failed\n");
        vpci_mock_free(d.m);
        return 1;
    }
    vpci_mock_print_tree(d.m, stdout);

    printf("\n== functional checks ==\n");
    printf("%-8s %-8s %-12s %-6s %s\n", "BDF", "id", "model", "result",
           "detail");
    struct vpci_mock_fn *fn;
    unsigned passed = 0;
    for (size_t i = 0; (fn = vpci_mock_fn_at(d.m, i)); i++) {
        const struct demo_check *c = check_for(fn);
        if (!c)
            continue;
        char detail[160] = "";
        const char *err = c->check(&d, fn, detail, sizeof(detail));
        if (err)
            failures++;
        else
            passed++;
        char bdf[16];
        snprintf(bdf, sizeof(bdf), "%02x:%02x.%x", vpci_mock_fn_bus(fn),
                 vpci_mock_fn_devfn(fn) >> 3, vpci_mock_fn_devfn(fn) & 7);
        printf("%-8s %-8s %-12s %-6s %s\n", bdf, vpci_mock_fn_id(fn),
               vpci_dev_model(vpci_mock_fn_dev(fn))->name,
               err ? "FAIL" : "ok", err ? err : detail);
    }
    struct vpci_mock_fault faults[4];
    unsigned nfaults = vpci_mock_iommu_faults(d.m, faults, 4);
    printf("\nIOMMU faults: %u, MSI events: %u, errors logged: %u\n", nfaults,
           vpci_mock_msi_count(d.m), vpci_mock_errors(d.m));
    if (nfaults || vpci_mock_errors(d.m)) {
        printf("unexpected IOMMU faults or logged errors\n");
        failures++;
    }
    printf("%u passed, %d failed\n", passed, failures);
    vpci_mock_free(d.m);
    return failures ? 1 : 0;
}
