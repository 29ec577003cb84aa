/* SPDX-License-Identifier: MIT */
/*
 * The mock PCI host: a software machine that drives libvpci functions the
 * way firmware and a kernel would, with no emulator.
 *
 *   machine     q35-like (CF8/CFC + ECAM, RAM from 0, x86 memory map) or
 *               virt-like (ECAM only, arm virt memory map)
 *   topology    a root bus, PCI-to-PCI bridges, multi-function devices,
 *               added with QEMU-like spec strings ("edu,addr=01.0",
 *               "pci-bridge,addr=03.0,id=br0", "edu,bus=br0,addr=00.0")
 *   firmware    vpci_mock_enumerate(): bus numbering, BAR sizing and
 *               assignment, bridge windows, decode and bus mastering on
 *   memory      guest RAM, MMIO windows where BARs decode, IO ports; BAR
 *               mappings follow the effects libvpci returns from each
 *               config write
 *   DMA         as QEMU's pci_dma_rw(): RAM, else memory decode, so a
 *               function's DMA reaches any decoding BAR (its own or a
 *               peer's: MMIO in the widths the BAR takes), the MSI
 *               doorbell (a 4-byte write is an MSI) and, on virt, the
 *               empty PCI windows (all ones, writes dropped); an address
 *               nothing decodes is a DMA error.  QEMU 7.2.x's re-entrancy
 *               guard is modelled: while a function's BAR handler runs,
 *               DMA into its BARs fails (mockhost/decode.c)
 *   IOMMU       optional: per-requester page tables with R/W permission;
 *               faults are recorded and returned to the device as DMA errors
 *   interrupts  MSI writes to the MSI doorbell become counted events; INTx
 *               lines follow the bridge swizzle to a GSI
 *   clock       virtual: timers fire only as the caller advances time
 *
 * It uses only libvpci's public API.  Functions return 0 or a negative
 * errno and log why through the mock host's log sink.
 */
#ifndef VPCI_MOCKHOST_H
#define VPCI_MOCKHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vpci/vpci.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_mock;
struct vpci_mock_fn;

/* ------------------------------------------------------------------ */
/* Machine                                                             */
/* ------------------------------------------------------------------ */

enum vpci_mock_machine {
    VPCI_MOCK_Q35,   /* x86 q35-like */
    VPCI_MOCK_VIRT,  /* arm virt-like */
};

struct vpci_mock_config {
    enum vpci_mock_machine machine;
    uint64_t ram_size;     /* 0: 128 MiB, QEMU's default */
    bool iommu;            /* translate DMA through the IOMMU */
    FILE *log;             /* messages (NULL: stderr); see set_log_level */
    /* ECAM placement (0: the machine's default, q35 0xB0000000, virt
     * 0x40_1000_0000; 1 MiB aligned, clear of RAM, the MSI doorbell and
     * the IO window) and the buses it covers: offset 0 is bus
     * ecam_bus_first, 1 MiB per bus, ecam_bus_count buses (0: the rest up
     * to 255).  Buses outside the range are reachable by CF8/CFC only. */
    uint64_t ecam_base;
    uint8_t ecam_bus_first;
    uint16_t ecam_bus_count;
};

/* The memory map of a machine: where things live (bus addresses). */
struct vpci_mock_map {
    uint64_t ram_lo_base, ram_lo_size;   /* RAM below the 32-bit hole */
    uint64_t ram_hi_base, ram_hi_size;   /* RAM above 4 GiB (q35), or 0 */
    uint64_t ecam_base, ecam_size;       /* 1 MiB per bus */
    uint8_t ecam_bus_first, ecam_bus_last;
    uint64_t mmio32_base, mmio32_size;   /* 32-bit BAR window */
    uint64_t mmio64_base, mmio64_size;   /* 64-bit BAR window (above 4 GiB) */
    uint64_t io_base, io_size;           /* PCI IO port window */
    uint64_t io_cpu_base;                /* virt: IO window in CPU memory */
    uint64_t msi_base, msi_size;         /* MSI doorbell range */
    bool has_cf8;                        /* CF8/CFC mechanism #1 */
    /* Reads in the PCI windows (mmio32, mmio64 and the IO window) that no
     * BAR claims return all ones (virt: QEMU's GPEX backs its windows
     * with unassigned_io_ops), else 0 (q35: plain unassigned memory). */
    bool windows_read_ones;
};

int vpci_mock_new(const struct vpci_mock_config *cfg, struct vpci_mock **out);
void vpci_mock_free(struct vpci_mock *m);
const struct vpci_mock_map *vpci_mock_get_map(const struct vpci_mock *m);
/* VPCI_LOG_WARN by default; VPCI_LOG_TRACE shows every device access. */
void vpci_mock_set_log_level(struct vpci_mock *m, enum vpci_log_level level);
/* Number of VPCI_LOG_ERROR / WARN messages so far (tests check these). */
unsigned vpci_mock_errors(const struct vpci_mock *m);
unsigned vpci_mock_warnings(const struct vpci_mock *m);

/* ------------------------------------------------------------------ */
/* Topology                                                            */
/* ------------------------------------------------------------------ */

/*
 * Add a function from a spec string: MODEL[,addr=DD[.F]][,bus=ID]
 * [,id=ID][,multifunction=on|off][,model properties...].  MODEL is a
 * libvpci model name ("edu", "pci-bridge", "virt-pci", ...).  Without
 * addr the first free slot is used; bus names a bridge's id (default: the
 * root bus).  Returns 0 and *out (may be NULL), -EINVAL (syntax, unknown
 * model or property), -EEXIST (address or id taken), -ENODEV (no such
 * bus), -ENOSPC (bus full).  Only before vpci_mock_enumerate() or on an
 * unenumerated machine.
 */
int vpci_mock_add(struct vpci_mock *m, const char *spec,
                  struct vpci_mock_fn **out);
/* The same, for a model struct the caller owns (not in the registry). */
int vpci_mock_add_model(struct vpci_mock *m, const struct vpci_model *model,
                        const char *spec, struct vpci_mock_fn **out);

struct vpci_mock_fn *vpci_mock_find(const struct vpci_mock *m, const char *id);
/* Iterate functions in depth-first bus order; NULL past the end. */
struct vpci_mock_fn *vpci_mock_fn_at(const struct vpci_mock *m, size_t i);
struct vpci_dev *vpci_mock_fn_dev(const struct vpci_mock_fn *fn);
const char *vpci_mock_fn_id(const struct vpci_mock_fn *fn);
/* Current bus number (as enumeration programmed it) and devfn. */
uint8_t vpci_mock_fn_bus(const struct vpci_mock_fn *fn);
uint8_t vpci_mock_fn_devfn(const struct vpci_mock_fn *fn);
/* Requester ID: bus << 8 | devfn. */
uint16_t vpci_mock_fn_rid(const struct vpci_mock_fn *fn);
/* GSI its INTx pin reaches after the bridge swizzle, or -1 (no pin):
 * q35 GSI 16..23 (PIRQ A..H, QEMU's ICH9 default routing), virt GSI 3..6
 * (see mockhost/intc.c). */
int vpci_mock_fn_gsi(const struct vpci_mock_fn *fn);
/* For a bridge: its secondary bus's functions are found by this id. */
bool vpci_mock_fn_is_bridge(const struct vpci_mock_fn *fn);

/* ------------------------------------------------------------------ */
/* Firmware: enumeration and resource assignment                       */
/* ------------------------------------------------------------------ */

/*
 * Enumerate like firmware/Linux through config cycles only: depth-first
 * bus numbering, multi-function detection, BAR sizing with decode off and
 * the original value restored, natural-alignment allocation (64-bit
 * prefetchable BARs above 4 GiB when they do not fit below), IO and ROM,
 * bridge windows, then COMMAND (IO|MEM|MASTER) on every function.
 * Returns 0, or -ENOSPC naming the function whose resource did not fit;
 * then nothing is left programmed (BARs and windows back to 0, decode off).
 */
int vpci_mock_enumerate(struct vpci_mock *m);
/* Print the tree and each function's resources. */
void vpci_mock_print_tree(const struct vpci_mock *m, FILE *out);

/* ------------------------------------------------------------------ */
/* Accesses a CPU makes                                                */
/* ------------------------------------------------------------------ */

/* Config space by address, routed like CF8/CFC and ECAM cycles (bus 0 is
 * the root bus, others through the bridges' bus numbers); absent
 * functions and unreachable buses read all ones.  len 1, 2 or 4.
 * cfg_write returns 0, -ENODEV (nothing there: dropped, a master abort)
 * or -EINVAL (bad len, or past the function's config space). */
uint32_t vpci_mock_cfg_read(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                            unsigned off, unsigned len);
int vpci_mock_cfg_write(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                        unsigned off, unsigned len, uint32_t val);

/* Memory space: RAM, ECAM, BARs (through bridge windows), MSI doorbell
 * (q35: reads 0, CPU writes dropped; virt: QEMU's GICv2m registers, a
 * CPU write to MSI_SETSPI_NS pulses the SPI as a device's MSI does, see
 * intc.c), the virt IO window.  len 1, 2, 4 or
 * 8 (else a warning: all ones / ignored).  An access not wholly inside
 * one of those is split into bytes.  Unclaimed reads return 0 (as on
 * QEMU's q35), all ones inside the PCI windows of a machine with
 * windows_read_ones (virt, as QEMU's GPEX); writes are dropped. */
uint64_t vpci_mock_read(struct vpci_mock *m, uint64_t addr, unsigned len);
void vpci_mock_write(struct vpci_mock *m, uint64_t addr, unsigned len,
                     uint64_t val);
/* Bulk memory access (RAM fast path, byte-wise elsewhere). */
void vpci_mock_memread(struct vpci_mock *m, uint64_t addr, void *buf,
                       size_t len);
void vpci_mock_memwrite(struct vpci_mock *m, uint64_t addr, const void *buf,
                        size_t len);

/* IO space: CF8/CFC (q35) and IO BARs.  Unclaimed reads are all ones.
 * On virt (no port IO) these reach PCI IO space directly, the space the
 * CPU sees at io_cpu_base.  len 1, 2 or 4. */
uint32_t vpci_mock_in(struct vpci_mock *m, uint16_t port, unsigned len);
void vpci_mock_out(struct vpci_mock *m, uint16_t port, unsigned len,
                   uint32_t val);

/* ------------------------------------------------------------------ */
/* Virtual clock                                                       */
/* ------------------------------------------------------------------ */

uint64_t vpci_mock_clock(const struct vpci_mock *m);
/* Advance by @ns, firing due timers in deadline order; returns the time. */
uint64_t vpci_mock_clock_step(struct vpci_mock *m, uint64_t ns);
/* Advance to the next deadline (none: stay); returns the time. */
uint64_t vpci_mock_clock_step_next(struct vpci_mock *m);
/* Set the clock forward to @ns (never back); returns the time. */
uint64_t vpci_mock_clock_set(struct vpci_mock *m, uint64_t ns);
/* Earliest armed deadline, or UINT64_MAX. */
uint64_t vpci_mock_next_deadline(const struct vpci_mock *m);

/* ------------------------------------------------------------------ */
/* IOMMU                                                               */
/* ------------------------------------------------------------------ */

#define VPCI_MOCK_IOMMU_READ 0x1u   /* device may read (DMA to device) */
#define VPCI_MOCK_IOMMU_WRITE 0x2u  /* device may write */

/*
 * Map [iova, iova+len) to [pa, pa+len) for requester @rid, 4 KiB pages
 * (all three page aligned).  The page tables live in guest RAM (a
 * four-level, 512-entry radix tree per requester, like VT-d second-level
 * tables) allocated from the top of low RAM.  All or nothing: -EINVAL
 * misaligned / no IOMMU, -ENOMEM no room for tables, -EFAULT a table
 * pointer (e.g. written by a guest) leads out of RAM.
 */
int vpci_mock_iommu_map(struct vpci_mock *m, uint16_t rid, uint64_t iova,
                        uint64_t pa, uint64_t len, unsigned perm);
int vpci_mock_iommu_unmap(struct vpci_mock *m, uint16_t rid, uint64_t iova,
                          uint64_t len);
/* Translate as the device would see it: 0 and *pa, -EFAULT, -EACCES. */
int vpci_mock_iommu_translate(struct vpci_mock *m, uint16_t rid,
                              uint64_t iova, unsigned perm, uint64_t *pa);

struct vpci_mock_fault {
    uint16_t rid;
    uint64_t addr;       /* IOVA */
    bool write;
    int err;             /* -EFAULT (no entry), -EACCES (permission) */
};
/* Faults recorded so far (oldest first, up to @max); returns the count. */
unsigned vpci_mock_iommu_faults(const struct vpci_mock *m,
                                struct vpci_mock_fault *out, unsigned max);
void vpci_mock_iommu_clear_faults(struct vpci_mock *m);

/* ------------------------------------------------------------------ */
/* Interrupt controller                                                */
/* ------------------------------------------------------------------ */

struct vpci_mock_msi {
    uint16_t rid;
    uint64_t addr;
    uint32_t data;
    uint64_t time;       /* virtual clock when it arrived */
};
/* MSI events captured (writes to the doorbell range, not to RAM). */
unsigned vpci_mock_msi_count(const struct vpci_mock *m);
/* Events whose data equals @data (any address). */
unsigned vpci_mock_msi_count_data(const struct vpci_mock *m, uint32_t data);
/* Event @i (oldest first); -ENOENT past the end. */
int vpci_mock_msi_get(const struct vpci_mock *m, unsigned i,
                      struct vpci_mock_msi *out);
void vpci_mock_msi_clear(struct vpci_mock *m);

#define VPCI_MOCK_GSI_MAX 64
bool vpci_mock_gsi_level(const struct vpci_mock *m, unsigned gsi);
/* Rising edges seen on @gsi. */
unsigned vpci_mock_gsi_raises(const struct vpci_mock *m, unsigned gsi);
/* Called on every GSI level change (the qtest front end's IRQ events). */
typedef void (*vpci_mock_irq_hook)(void *opaque, unsigned gsi, bool level);
void vpci_mock_set_irq_hook(struct vpci_mock *m, vpci_mock_irq_hook hook,
                            void *opaque);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MOCKHOST_H */
