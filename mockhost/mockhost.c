/* SPDX-License-Identifier: MIT */
/*
 * The mock host machine: its memory map, guest RAM, the log sink, and the
 * host services table (struct vpci_host_ops) every function is plugged
 * into.  Topology, config cycles, address decode, the interrupt controller
 * and the clock live in the files core.h lists.
 *
 * Memory maps (bus addresses; see vpci_mock_get_map()):
 *
 *   q35 (x86, after QEMU's q35 with its defaults)
 *     RAM        0 .. min(ram, 2 GiB); the rest at 4 GiB
 *     ECAM       0xB0000000, 256 MiB, buses 0..255 (MCH PCIEXBAR default)
 *     MMIO32     0xC0000000 .. 0xFEBFFFFF
 *     MMIO64     0x80_0000_0000, 64 GiB
 *     IO         ports 0xC000 .. 0xFFFF for BARs; CF8/CFC at 0xCF8
 *     MSI        0xFEE00000, 1 MiB (the local APIC's MSI range)
 *     00:00.0    host bridge 8086:29c0 (QEMU's "mch")
 *
 *   virt (arm64, after QEMU's virt with gpex)
 *     RAM        0x40000000 .. +ram
 *     ECAM       0x40_1000_0000, 256 MiB, buses 0..255 (VIRT_HIGH_PCIE_ECAM)
 *     MMIO32     0x10000000 .. 0x3EFEFFFF
 *     IO         PCI IO 0x0000..0xFFFF, seen by the CPU at 0x3EFF0000
 *     MMIO64     0x80_0000_0000, 512 GiB
 *     MSI        0x08020000, 4 KiB (GICv2m frame)
 *     00:00.0    host bridge 1b36:0008 (QEMU's "gpex-root")
 *
 * struct vpci_mock_config may move ECAM and narrow its bus range (as
 * firmware programs PCIEXBAR, or as an MCFG entry with a start bus says).
 * With an IOMMU the last 4 MiB of low RAM hold its page tables; the guest
 * (a test) must not use them for anything else.
 */
#include "internal.h"
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define DEFAULT_RAM (128 * MIB)
#define Q35_LOW_RAM_MAX (2 * GIB)
#define Q35_RAM_MAX (256 * GIB)
#define VIRT_RAM_BASE 0x40000000ull
#define VIRT_RAM_MAX (255 * GIB)

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

void *mock_grow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap && arr)
        return arr;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(arr, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

/* ------------------------------------------------------------------ */
/* Log sink                                                            */
/* ------------------------------------------------------------------ */

static const char *level_name(enum vpci_log_level level)
{
    switch (level) {
    case VPCI_LOG_ERROR: return "error";
    case VPCI_LOG_WARN: return "warning";
    case VPCI_LOG_INFO: return "info";
    case VPCI_LOG_TRACE: return "trace";
    }
    return "?";
}

static void log_line(struct vpci_mock *m, enum vpci_log_level level,
                     const char *who, const char *msg)
{
    if (level == VPCI_LOG_ERROR)
        m->errors++;
    else if (level == VPCI_LOG_WARN)
        m->warnings++;
    if (level > m->log_level)
        return;
    fprintf(m->log ? m->log : stderr, "mock: %s: %s: %s\n", level_name(level),
            who, msg);
}

void mock_log(struct vpci_mock *m, enum vpci_log_level level, const char *fmt,
              ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_line(m, level, "host", msg);
}

static void host_log(void *host, struct vpci_dev *dev,
                     enum vpci_log_level level, const char *msg)
{
    struct vpci_mock *m = host;
    struct vpci_mock_fn *fn = vpci_dev_host_data(dev);
    if (fn)
        mock_fn_relabel(fn);
    log_line(m, level, vpci_dev_label(dev), msg);
}

void vpci_mock_set_log_level(struct vpci_mock *m, enum vpci_log_level level)
{
    if (!m)
        return;
    m->log_level = level;
    /* Device access traces are produced only when asked for. */
    for (size_t i = 0; i < m->nfns; i++)
        vpci_dev_set_trace(m->fns[i]->dev, level >= VPCI_LOG_TRACE);
}

unsigned vpci_mock_errors(const struct vpci_mock *m)
{
    return m ? m->errors : 0;
}

unsigned vpci_mock_warnings(const struct vpci_mock *m)
{
    return m ? m->warnings : 0;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */
/* ------------------------------------------------------------------ */

/*
 * A function's memory request: through the IOMMU when the machine has one
 * (translated with the requester ID the function has now), then RAM, or
 * else memory decode as QEMU's pci_dma_rw() on the bus-master address
 * space: another function's BAR or its own (peer to peer, MMIO accesses
 * the target accepts), the MSI doorbell, virt's empty PCI windows (all
 * ones, writes dropped); -EFAULT where nothing decodes (decode.c,
 * mock_dma_mem()).  libvpci never passes a range that crosses a 4 KiB
 * page, so one translation covers it.
 */
static int host_dma_rw(void *host, struct vpci_dev *dev, uint64_t addr,
                       void *buf, size_t len, enum vpci_dma_dir dir)
{
    struct vpci_mock *m = host;
    struct vpci_mock_fn *fn = vpci_dev_host_data(dev);
    bool write = dir == VPCI_DMA_FROM_DEVICE;
    uint64_t pa = addr;
    if (!fn)
        return -EFAULT;    /* still inside the model's init() */
    uint16_t rid = vpci_mock_fn_rid(fn);
    if (m->iommu) {
        int rc = mock_iommu_dma(m->iommu, rid, addr, write, &pa);
        if (rc)
            return rc;
    }
    uint8_t *p = mock_ram_ptr(m, pa, len);
    if (!p) {
        int rc = mock_dma_mem(m, rid, pa, buf, len, write);
        if (rc)
            mock_log(m, VPCI_LOG_INFO,
                     "%s: DMA %s of %zu bytes at 0x%llx: nothing decodes "
                     "(part of) it", vpci_mock_fn_id(fn),
                     write ? "write" : "read", len, (unsigned long long)pa);
        return rc;
    }
    if (write)
        memcpy(p, buf, len);
    else
        memcpy(buf, p, len);
    return 0;
}

/* DMA is translated exactly when the machine has an IOMMU. */
static int host_dma_translated(void *host, struct vpci_dev *dev)
{
    (void)dev;
    return vpci_mock_get_iommu(host) != NULL;
}

const struct vpci_host_ops mock_host_ops = {
    .dma_rw = host_dma_rw,
    .dma_translated = host_dma_translated,
    .set_intx = mock_set_intx,
    .msi_send = mock_msi_send,
    .clock_ns = mock_clock_ns,
    .timer_arm = mock_timer_arm,
    .timer_cancel = mock_timer_cancel,
    .log = host_log,
};

/* ------------------------------------------------------------------ */
/* Machine                                                             */
/* ------------------------------------------------------------------ */

static void map_q35(struct vpci_mock_map *map, uint64_t ram)
{
    map->ram_lo_base = 0;
    map->ram_lo_size = ram < Q35_LOW_RAM_MAX ? ram : Q35_LOW_RAM_MAX;
    map->ram_hi_base = ram > Q35_LOW_RAM_MAX ? 4 * GIB : 0;
    map->ram_hi_size = ram > Q35_LOW_RAM_MAX ? ram - Q35_LOW_RAM_MAX : 0;
    map->ecam_base = 0xB0000000ull;
    map->ecam_size = 256 * MIB;
    map->ecam_bus_first = 0;
    map->ecam_bus_last = 255;
    map->mmio32_base = 0xC0000000ull;
    map->mmio32_size = 0xFEC00000ull - 0xC0000000ull;
    map->mmio64_base = 0x8000000000ull;
    map->mmio64_size = 64 * GIB;
    map->io_base = 0xC000;
    map->io_size = 0x4000;
    map->io_cpu_base = 0;
    map->msi_base = 0xFEE00000ull;
    map->msi_size = MIB;
    map->has_cf8 = true;
    map->windows_read_ones = false;
}

static void map_virt(struct vpci_mock_map *map, uint64_t ram)
{
    map->ram_lo_base = VIRT_RAM_BASE;
    map->ram_lo_size = ram;
    map->ram_hi_base = 0;
    map->ram_hi_size = 0;
    map->ecam_base = 0x4010000000ull;
    map->ecam_size = 256 * MIB;
    map->ecam_bus_first = 0;
    map->ecam_bus_last = 255;
    map->mmio32_base = 0x10000000ull;
    map->mmio32_size = 0x3EFF0000ull - 0x10000000ull;
    map->mmio64_base = 0x8000000000ull;
    map->mmio64_size = 512 * GIB;
    map->io_base = 0;
    map->io_size = 0x10000;
    map->io_cpu_base = 0x3EFF0000ull;
    map->msi_base = 0x08020000ull;
    map->msi_size = 0x1000;
    map->has_cf8 = false;
    map->windows_read_ones = true;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* The configured ECAM window, checked against the rest of the map. */
static int ecam_place(struct vpci_mock_map *map,
                      const struct vpci_mock_config *cfg, FILE *log)
{
    unsigned first = cfg->ecam_bus_first;
    unsigned count = cfg->ecam_bus_count ? cfg->ecam_bus_count
                                         : 256 - first;
    uint64_t base = cfg->ecam_base ? cfg->ecam_base : map->ecam_base;
    uint64_t size = (uint64_t)count * MIB;
    const char *why = NULL;
    if (first + count > 256)
        why = "the bus range ends past bus 255";
    else if (base % MIB || base + size < base)
        why = "the base is not 1 MiB aligned";
    else if (overlaps(base, size, map->ram_lo_base, map->ram_lo_size) ||
             overlaps(base, size, map->ram_hi_base, map->ram_hi_size) ||
             overlaps(base, size, map->msi_base, map->msi_size) ||
             overlaps(base, size, map->io_cpu_base,
                      map->io_cpu_base ? map->io_size : 0))
        why = "it overlaps RAM, the MSI doorbell or the IO window";
    if (why) {
        fprintf(log, "mock: error: host: ECAM at 0x%llx for buses "
                "%u..%u: %s\n", (unsigned long long)base, first,
                first + count - 1, why);
        return -EINVAL;
    }
    map->ecam_base = base;
    map->ecam_size = size;
    map->ecam_bus_first = (uint8_t)first;
    map->ecam_bus_last = (uint8_t)(first + count - 1);
    return 0;
}

static uint8_t *ram_alloc(uint64_t size)
{
    if (!size)
        return NULL;
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void ram_free(uint8_t *p, uint64_t size)
{
    if (p)
        munmap(p, (size_t)size);
}

int vpci_mock_new(const struct vpci_mock_config *cfg, struct vpci_mock **out)
{
    static const struct vpci_mock_config defaults = {
        .machine = VPCI_MOCK_Q35,
    };
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!cfg)
        cfg = &defaults;
    FILE *log = cfg->log ? cfg->log : stderr;
    uint64_t ram = cfg->ram_size ? cfg->ram_size : DEFAULT_RAM;
    uint64_t ram_max = cfg->machine == VPCI_MOCK_VIRT ? VIRT_RAM_MAX
                                                      : Q35_RAM_MAX;
    if (cfg->machine != VPCI_MOCK_Q35 && cfg->machine != VPCI_MOCK_VIRT) {
        fprintf(log, "mock: error: host: unknown machine %d\n",
                (int)cfg->machine);
        return -EINVAL;
    }
    if (ram % MOCK_PAGE_SIZE || ram < MIB || ram > ram_max ||
        (cfg->iommu && ram < 2 * MOCK_IOMMU_POOL_SIZE)) {
        fprintf(log,
                "mock: error: host: RAM size 0x%llx: must be a multiple of "
                "4 KiB, at least 1 MiB (%llu MiB with an IOMMU) and at most "
                "%llu GiB\n",
                (unsigned long long)ram,
                (unsigned long long)(2 * MOCK_IOMMU_POOL_SIZE / MIB),
                (unsigned long long)(ram_max / GIB));
        return -EINVAL;
    }

    struct vpci_mock_map map;
    if (cfg->machine == VPCI_MOCK_VIRT)
        map_virt(&map, ram);
    else
        map_q35(&map, ram);
    int rc = ecam_place(&map, cfg, log);
    if (rc)
        return rc;

    struct vpci_mock *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->machine = cfg->machine;
    m->log = log;
    m->log_level = VPCI_LOG_WARN;
    m->decode_dirty = true;
    m->map = map;

    rc = -ENOMEM;
    m->ram_lo = ram_alloc(m->map.ram_lo_size);
    m->ram_hi = ram_alloc(m->map.ram_hi_size);
    m->root = calloc(1, sizeof(*m->root));
    if (!m->ram_lo || (m->map.ram_hi_size && !m->ram_hi) || !m->root)
        goto fail;
    if (cfg->iommu) {
        uint64_t pool = m->map.ram_lo_base + m->map.ram_lo_size -
                        MOCK_IOMMU_POOL_SIZE;
        rc = mock_iommu_new(m, pool, MOCK_IOMMU_POOL_SIZE, &m->iommu);
        if (rc)
            goto fail;
    }
    rc = mock_add_host_bridge(m);
    if (rc)
        goto fail;
    *out = m;
    return 0;
fail:
    vpci_mock_free(m);
    return rc;
}

void vpci_mock_free(struct vpci_mock *m)
{
    if (!m)
        return;
    /* Functions first: destroying them cancels their timers here. */
    mock_topology_free(m);
    mock_clock_free(m);
    mock_intc_free(m);
    mock_decode_free(m);
    if (m->iommu)
        mock_iommu_free(m->iommu);
    ram_free(m->ram_lo, m->map.ram_lo_size);
    ram_free(m->ram_hi, m->map.ram_hi_size);
    free(m);
}

const struct vpci_mock_map *vpci_mock_get_map(const struct vpci_mock *m)
{
    return m ? &m->map : NULL;
}

struct mock_iommu *vpci_mock_get_iommu(struct vpci_mock *m)
{
    return m ? m->iommu : NULL;
}
