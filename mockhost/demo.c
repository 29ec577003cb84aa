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

#include <vpci/models/dma_engine.h>
#include <vpci/models/epf_test.h>
#include <vpci/models/virt_pci.h>

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

/* Copy @pages DMA pages (at the scattered PAs @pa) to or from @buf. */
static void dma_buf_read(struct demo *d, const uint64_t *pa, unsigned pages,
                         void *buf)
{
    for (unsigned i = 0; i < pages; i++)
        vpci_mock_memread(d->m, pa[i], (uint8_t *)buf + i * VPCI_DMA_PAGE_SIZE,
                          VPCI_DMA_PAGE_SIZE);
}

static void dma_buf_write(struct demo *d, const uint64_t *pa, unsigned pages,
                          const void *buf)
{
    for (unsigned i = 0; i < pages; i++)
        vpci_mock_memwrite(d->m, pa[i],
                           (const uint8_t *)buf + i * VPCI_DMA_PAGE_SIZE,
                           VPCI_DMA_PAGE_SIZE);
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 131 + seed + (i >> 9));
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

/* The seed sample app's MUL2 over 1024 words, through the IOMMU, by MSI. */
static const char *check_virt_pci(struct demo *d, struct vpci_mock_fn *fn,
                                  char *detail, size_t len)
{
    struct vpci_mock *m = d->m;
    uint64_t bar = bar_addr(fn, 0);
    if (!bar)
        return "BAR0 not mapped";
    if (vpci_mock_read(m, bar + VIRT_PCI_VERSION, 4) != VIRT_PCI_VERSION_VALUE)
        return "VERSION is not 0x12345678";
    uint32_t data = enable_msi(d, fn);
    if (!data)
        return "no MSI capability (virt-pci,msi=on)";
    uint64_t pa[2];
    uint64_t iova = dma_alloc(d, fn, 2, pa);
    if (!iova)
        return "IOMMU mapping failed";
    uint32_t in[VIRT_PCI_BUF_SIZE / 4], out[VIRT_PCI_BUF_SIZE / 4];
    fill_pattern((uint8_t *)in, sizeof(in), 7);
    vpci_mock_memwrite(m, pa[0], in, sizeof(in));
    unsigned msis = vpci_mock_msi_count_data(m, data);
    vpci_mock_write(m, bar + VIRT_PCI_DMA_SRC, 4, (uint32_t)iova);
    vpci_mock_write(m, bar + VIRT_PCI_DMA_DST, 4,
                    (uint32_t)(iova + VPCI_DMA_PAGE_SIZE));
    vpci_mock_write(m, bar + VIRT_PCI_DMA_SIZE, 4, sizeof(in));
    vpci_mock_write(m, bar + VIRT_PCI_CTRL, 4, VIRT_PCI_CTRL_MUL2);
    uint32_t status = (uint32_t)vpci_mock_read(m, bar + VIRT_PCI_INT_STATUS, 4);
    if (status != VIRT_PCI_INT_MUL2)
        return "INT_STATUS is not MUL2 after the job";
    vpci_mock_memread(m, pa[1], out, sizeof(out));
    for (unsigned i = 0; i < sizeof(in) / 4; i++)
        if (out[i] != in[i] * 2u)
            return "MUL2 result wrong in guest RAM";
    vpci_mock_write(m, bar + VIRT_PCI_INT_CLEAR, 4, status);
    if (vpci_mock_msi_count_data(m, data) != msis + 1)
        return "expected one MSI for the job";
    snprintf(detail, len, "MUL2 over 1024 words via IOVA 0x%llx, 1 MSI data 0x%x",
             (unsigned long long)iova, data);
    return NULL;
}

/* A 16 KiB copy the way the seed driver starts it, DONE polled, by MSI. */
static const char *check_dma_engine(struct demo *d, struct vpci_mock_fn *fn,
                                    char *detail, size_t len)
{
    enum { PAGES = 4, SIZE = PAGES * VPCI_DMA_PAGE_SIZE };
    struct vpci_mock *m = d->m;
    uint64_t bar = bar_addr(fn, 0);
    if (!bar)
        return "BAR0 not mapped";
    uint64_t regs = bar + DMA_ENGINE_REGS;
    uint32_t data = enable_msi(d, fn);
    if (!data)
        return "no MSI capability";
    uint64_t src_pa[PAGES], dst_pa[PAGES];
    uint64_t src = dma_alloc(d, fn, PAGES, src_pa);
    uint64_t dst = dma_alloc(d, fn, PAGES, dst_pa);
    if (!src || !dst)
        return "IOMMU mapping failed";
    static uint8_t in[SIZE], out[SIZE];
    fill_pattern(in, sizeof(in), 3);
    dma_buf_write(d, src_pa, PAGES, in);
    unsigned msis = vpci_mock_msi_count_data(m, data);
    vpci_mock_write(m, regs + DMA_ENGINE_SRC, 8, src);
    vpci_mock_write(m, regs + DMA_ENGINE_DST, 8, dst);
    vpci_mock_write(m, regs + DMA_ENGINE_SIZE + 4, 4, SIZE);
    vpci_mock_write(m, regs + DMA_ENGINE_CTRL, 4,
                    DMA_ENGINE_CTRL_START | DMA_ENGINE_CTRL_IRQ_EN);
    unsigned polls = 0;
    while (vpci_mock_read(m, regs + DMA_ENGINE_CTRL + 4, 4) != 1 &&
           polls++ < 100)
        vpci_mock_clock_step(m, 10000); /* the driver's 10 us poll */
    if (polls > 100)
        return "DONE never came";
    dma_buf_read(d, dst_pa, PAGES, out);
    if (memcmp(in, out, sizeof(in)))
        return "copy through the IOMMU corrupted data";
    if (vpci_mock_msi_count_data(m, data) != msis + 1)
        return "expected one completion MSI";
    snprintf(detail, len,
             "16 KiB copy over 8 scattered pages, iommu-required, DONE after "
             "%u polls, 1 MSI", polls);
    return NULL;
}

/* pcitest's BAR test on every BAR, then WRITE and READ with their CRC. */
static const char *check_epf_test(struct demo *d, struct vpci_mock_fn *fn,
                                  char *detail, size_t len)
{
    enum { PAGES = 3, SIZE = PAGES * VPCI_DMA_PAGE_SIZE - 1000 };
    struct vpci_mock *m = d->m;
    uint64_t bar0 = bar_addr(fn, 0);
    if (!bar0)
        return "BAR0 not mapped";
    unsigned bars = 0;
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        struct vpci_bar_info info;
        if (vpci_bar_info(vpci_mock_fn_dev(fn), b, &info) || !info.mapped)
            continue;
        uint64_t span = b == 0 ? 4 : info.size; /* BAR0: MAGIC only */
        for (uint64_t off = 0; off < span; off += 4)
            vpci_mock_write(m, info.addr + off, 4, 0xa0a0a0a0u);
        for (uint64_t off = 0; off < span; off += 4)
            if (vpci_mock_read(m, info.addr + off, 4) != 0xa0a0a0a0u)
                return "BAR pattern test failed";
        bars++;
    }
    uint32_t data = enable_msi(d, fn);
    if (!data)
        return "no MSI capability";
    uint64_t pa[PAGES];
    uint64_t iova = dma_alloc(d, fn, PAGES, pa);
    if (!iova)
        return "IOMMU mapping failed";
    unsigned msis = vpci_mock_msi_count_data(m, data);
    static const struct { uint32_t cmd, ok; } steps[] = {
        { EPF_TEST_CMD_WRITE, EPF_TEST_STATUS_WRITE_SUCCESS },
        { EPF_TEST_CMD_READ, EPF_TEST_STATUS_READ_SUCCESS },
    };
    vpci_mock_write(m, bar0 + EPF_TEST_IRQ_TYPE, 4, EPF_TEST_IRQ_MSI);
    vpci_mock_write(m, bar0 + EPF_TEST_IRQ_NUMBER, 4, 1);
    vpci_mock_write(m, bar0 + EPF_TEST_SIZE, 4, SIZE);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        /* WRITE fills the host buffer at DST; READ checks it at SRC. */
        unsigned lo = steps[i].cmd == EPF_TEST_CMD_WRITE ? EPF_TEST_DST_ADDR_LO
                                                         : EPF_TEST_SRC_ADDR_LO;
        vpci_mock_write(m, bar0 + lo, 4, (uint32_t)iova);
        vpci_mock_write(m, bar0 + lo + 4, 4, (uint32_t)(iova >> 32));
        vpci_mock_write(m, bar0 + EPF_TEST_COMMAND, 4, steps[i].cmd);
        unsigned waits = 0;
        uint32_t status;
        while (!((status = (uint32_t)vpci_mock_read(m, bar0 + EPF_TEST_STATUS,
                                                    4)) &
                 EPF_TEST_STATUS_IRQ_RAISED) && waits++ < 8)
            vpci_mock_clock_step_next(m);
        if (!(status & steps[i].ok))
            return steps[i].cmd == EPF_TEST_CMD_WRITE ? "WRITE failed"
                                                      : "READ failed";
        vpci_mock_write(m, bar0 + EPF_TEST_STATUS, 4,
                        status & ~EPF_TEST_STATUS_IRQ_RAISED);
        if (steps[i].cmd == EPF_TEST_CMD_WRITE) {
            static uint8_t buf[PAGES * VPCI_DMA_PAGE_SIZE];
            dma_buf_read(d, pa, PAGES, buf);
            if (vpci_crc32_le(~0u, buf, SIZE) !=
                (uint32_t)vpci_mock_read(m, bar0 + EPF_TEST_CHECKSUM, 4))
                return "WRITE checksum does not match the data";
        }
    }
    if (vpci_mock_msi_count_data(m, data) != msis + 2)
        return "expected one MSI per command";
    snprintf(detail, len,
             "BAR test on %u BARs, WRITE+READ %u bytes CRC ok, 2 MSIs", bars,
             (unsigned)SIZE);
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
static const char *const virt_pci_specs[] = {
    "virt-pci,bus=br0,addr=01.0,id=vpci0,msi=on", NULL,
};
static const char *const dma_engine_specs[] = {
    "dma-engine,addr=04.0,id=dma0,iommu-required=on", NULL,
};
static const char *const epf_test_specs[] = {
    "epf-test,addr=05.0,id=epf0", NULL,
};

/* Order matters: bridges come before what sits behind them. */
static const struct demo_check demo_checks[] = {
    { "pci-bridge", bridge_specs, check_bridge },
    { "edu", edu_specs, check_edu },
    { "virt-pci", virt_pci_specs, check_virt_pci },
    { "dma-engine", dma_engine_specs, check_dma_engine },
    { "epf-test", epf_test_specs, check_epf_test },
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
