/* SPDX-License-Identifier: MIT */
/*
 * The mock host core's private state, shared by its files:
 *
 *   mockhost.c   machine creation and teardown, memory map, log sink, the
 *                host services table every function is plugged into
 *   topology.c   buses, functions, spec strings, the host bridge function
 *   config.c     config cycles (direct, CF8/CFC, ECAM), type 1 routing
 *                through bridges, applying the effects of config writes
 *   decode.c     memory and IO dispatch: RAM, ECAM, MSI doorbell, BARs
 *                behind bridge windows (sorted interval table)
 *   intc.c       MSI events and INTx lines with the bridge swizzle
 *   clock.c      the virtual clock and the timers armed on it
 *
 * Other mock host files (enumeration, IOMMU, front ends) use only
 * mockhost.h and internal.h.
 */
#ifndef VPCI_MOCKHOST_CORE_H
#define VPCI_MOCKHOST_CORE_H

#include "internal.h"

#include <linux/pci_regs.h>

#define MOCK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MOCK_PAGE_SIZE 4096u
/* Page tables of the IOMMU: the last 4 MiB of low RAM. */
#define MOCK_IOMMU_POOL_SIZE (4ull << 20)

struct mock_bus;

/* Where one BAR of a function decodes, as the effects last said. */
struct mock_bar_map {
    bool mapped;
    enum vpci_bar_kind kind;
    uint64_t addr, size;
};

struct vpci_mock_fn {
    struct vpci_mock *m;
    struct vpci_dev *dev;
    char *id;
    struct mock_bus *bus;        /* the bus it sits on */
    uint8_t devfn;
    struct mock_bus *secondary;  /* a bridge's secondary bus, else NULL */
    struct mock_bar_map bars[VPCI_NUM_BARS + 1];   /* 0..5 and the ROM */
    /* INTx as driven, and the GSI it was counted on while high */
    bool intx;
    int intx_gsi;
    int labelled_bus;            /* bus number in the label; -1 none yet */
    /* one of its BAR handlers is running: QEMU's mem_reentrancy_guard
     * (decode.c) refuses further accesses to its BARs meanwhile */
    bool in_io;
};

struct mock_bus {
    struct vpci_mock_fn *bridge;           /* NULL: the root bus */
    struct vpci_mock_fn *fns[256];         /* by devfn */
};

/* What claims a range of memory or IO space. */
enum mock_target {
    MOCK_T_RAM,
    MOCK_T_ECAM,
    MOCK_T_MSI,                  /* the MSI doorbell */
    MOCK_T_IOWIN,                /* virt: PCI IO space in CPU memory */
    MOCK_T_CF8,                  /* IO: ports 0xCF8..0xCFF */
    MOCK_T_BAR,
};

/* One claimed address range of the decode table (inclusive end). */
struct mock_range {
    uint64_t start, end;
    enum mock_target type;
    unsigned prio;               /* insertion order: breaks start ties */
    uint64_t base;               /* BAR: its address (offset = addr - base) */
    struct vpci_mock_fn *fn;
    unsigned bar;
};

/* Last-hit cache: per 4 KiB page hash slot, the range last found there. */
#define MOCK_HIT_SLOTS 256u

struct mock_decoder {
    struct mock_range *r;
    uint64_t *starts;            /* r[i].start, packed for the search */
    size_t n, cap, starts_cap;
    uint32_t hit[MOCK_HIT_SLOTS];   /* range index + 1; 0: empty */
};

struct mock_timer_entry {
    struct vpci_timer *timer;
    uint64_t deadline;
    uint64_t seq;                /* arm order: ties fire in it */
};

struct vpci_mock {
    enum vpci_mock_machine machine;
    struct vpci_mock_map map;
    FILE *log;
    enum vpci_log_level log_level;
    unsigned errors, warnings;

    uint8_t *ram_lo, *ram_hi;    /* mmap'd guest RAM */

    /* topology */
    struct mock_bus *root;
    struct vpci_mock_fn **fns;   /* creation order (owns them) */
    size_t nfns, fns_cap;
    struct vpci_mock_fn **order; /* depth-first order for fn_at */
    size_t norder;

    /* config mechanism #1 */
    uint32_t cf8;

    /* address decode, rebuilt lazily when an effect changed routing */
    bool decode_dirty;
    struct mock_decoder mem, io;

    struct mock_iommu *iommu;

    /* a BAR access was refused by the re-entrancy guard (decode.c) */
    bool bar_blocked;

    /* interrupt controller */
    struct vpci_mock_msi *msi;
    unsigned nmsi, msi_cap;
    unsigned gsi_drivers[VPCI_MOCK_GSI_MAX];   /* functions driving high */
    unsigned gsi_raises[VPCI_MOCK_GSI_MAX];
    vpci_mock_irq_hook irq_hook;
    void *irq_opaque;

    /* virtual clock */
    uint64_t now;
    struct mock_timer_entry *timers;
    size_t ntimers, timers_cap;
    uint64_t timer_seq;
};

/* ---- mockhost.c ---- */
extern const struct vpci_host_ops mock_host_ops;

/* Guest RAM at [addr, addr+len), or NULL when any byte is not RAM. */
static inline uint8_t *mock_ram_ptr(struct vpci_mock *m, uint64_t addr,
                                    uint64_t len)
{
    const struct vpci_mock_map *map = &m->map;
    uint64_t off = addr - map->ram_lo_base;
    if (addr >= map->ram_lo_base && off < map->ram_lo_size &&
        len <= map->ram_lo_size - off)
        return m->ram_lo + off;
    off = addr - map->ram_hi_base;
    if (map->ram_hi_size && addr >= map->ram_hi_base &&
        off < map->ram_hi_size && len <= map->ram_hi_size - off)
        return m->ram_hi + off;
    return NULL;
}
/* @arr (elements of @size, *cap of them) grown to hold at least @need:
 * the new array, or NULL (out of memory; @arr is left as it was). */
void *mock_grow(void *arr, size_t *cap, size_t need, size_t size);

/* ---- topology.c ---- */
/* Bus number of @bus as programmed: 0 for the root, else the bridge's
 * SECONDARY_BUS register. */
uint8_t mock_bus_number(const struct mock_bus *bus);
/* Refresh the label "<id>@BB:DD.F" if the bus number changed. */
void mock_fn_relabel(struct vpci_mock_fn *fn);
void mock_relabel_below(struct mock_bus *bus);
void mock_topology_free(struct vpci_mock *m);
int mock_add_host_bridge(struct vpci_mock *m);

/* ---- config.c ---- */
/* The function a config cycle to @bus/@devfn reaches, or NULL. */
struct vpci_mock_fn *mock_cfg_route(struct vpci_mock *m, uint8_t bus,
                                    uint8_t devfn);
uint32_t mock_fn_cfg_read(struct vpci_mock_fn *fn, unsigned off,
                          unsigned len);
void mock_fn_cfg_write(struct vpci_mock_fn *fn, unsigned off, unsigned len,
                       uint32_t val);
/* Apply what a config write, reset or load of @fn changed. */
void mock_apply_effects(struct vpci_mock_fn *fn,
                        const struct vpci_effects *fx);
/* ECAM window accesses (offset from ecam_base). */
uint64_t mock_ecam_read(struct vpci_mock *m, uint64_t off, unsigned len);
void mock_ecam_write(struct vpci_mock *m, uint64_t off, unsigned len,
                     uint64_t val);

/* CF8/CFC ports (q35): the IO decoder sends 0xCF8..0xCFF here. */
uint32_t mock_cf8_in(struct vpci_mock *m, uint16_t port, unsigned len);
void mock_cf8_out(struct vpci_mock *m, uint16_t port, unsigned len,
                  uint32_t val);

/* ---- decode.c ---- */
void mock_decode_free(struct vpci_mock *m);
/* Device DMA by requester @rid at bus address @addr (after the IOMMU) that
 * is not wholly RAM: through memory decode as QEMU's pci_dma_rw() (BARs
 * peer to peer, the doorbell, virt's windows reading all ones).  0, or
 * -EFAULT if any piece hit nothing or re-entered a function whose BAR
 * handler is running (QEMU's re-entrancy guard). */
int mock_dma_mem(struct vpci_mock *m, uint16_t rid, uint64_t addr,
                 uint8_t *buf, size_t len, bool write);

/* ---- intc.c ---- */
void mock_msi_send(void *host, struct vpci_dev *dev, uint64_t addr,
                   uint32_t data);
void mock_set_intx(void *host, struct vpci_dev *dev, bool level);
/* A device's 4-byte DMA write of @data into the doorbell at @addr: an MSI
 * from @rid, as mock_msi_send() takes one (PCI: an MSI is such a write). */
void mock_msi_dma_write(struct vpci_mock *m, uint16_t rid, uint64_t addr,
                        uint32_t data);
/* A CPU access to the MSI doorbell range, at offset @off in it. */
uint64_t mock_doorbell_read(struct vpci_mock *m, uint64_t off, unsigned len);
void mock_doorbell_write(struct vpci_mock *m, uint64_t off, unsigned len,
                         uint64_t val);
void mock_intc_free(struct vpci_mock *m);

/* ---- clock.c ---- */
uint64_t mock_clock_ns(void *host);
void mock_timer_arm(void *host, struct vpci_timer *timer, uint64_t deadline);
void mock_timer_cancel(void *host, struct vpci_timer *timer);
void mock_clock_free(struct vpci_mock *m);

#endif
