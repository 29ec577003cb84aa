/* SPDX-License-Identifier: MIT */
/*
 * The interrupt controller: MSI messages and INTx lines.
 *
 * MSI: a message whose address lies in the machine's doorbell range (the
 * x86 local APIC range 0xFEExxxxx, the GICv2m frame on virt) is captured
 * as an event {requester ID, address, data, virtual time} and never
 * reaches RAM.  On virt the frame also acts as QEMU 7.2's GICv2m
 * (hw/intc/arm_gicv2m.c) does, for devices and the CPU alike: a 2- or
 * 4-byte write of an SPI number to MSI_SETSPI_NS pulses that SPI's GIC
 * input (the irq hook sees it rise and fall), and MSI_TYPER and MSI_IIDR
 * read as QEMU's.  The doorbell is checked on the address the device sent,
 * before any IOMMU: interrupt requests are not DMA-remapped (VT-d 3.0,
 * 3.14).  Any other address makes the message an ordinary dword write
 * by the device: translated by the IOMMU when there is one, then written
 * little endian into RAM if it lands there (QEMU's own qtests point MSI
 * at RAM to observe it this way), else dropped with a warning.
 *
 * INTx: each function drives its pin (INTERRUPT_PIN) to a level.  The pin
 * is swizzled at every PCI-to-PCI bridge on the way up (PCI-to-PCI Bridge
 * Architecture 1.2, 9.1: pin' = (pin - 1 + device) % 4 + 1, device being
 * the slot on the bridge's secondary bus), then the root slot and pin
 * pick a GSI as QEMU 7.2's boards do:
 *   q35  (hw/isa/lpc_ich9.c, APIC mode, PIRQ A..H = GSI 16..23)
 *        slots 0..24:          PIRQ E..H rotating by slot:
 *                              GSI 20 + (slot + pin - 1) % 4
 *        slot 30:              PIRQ E..H by pin: GSI 20 + pin - 1
 *        slots 25..29, 31:     PIRQ A..D by pin (DxxIR defaults 0x3210):
 *                              GSI 16 + pin - 1
 *   virt (hw/arm/virt.c + gpex: pci_swizzle_map_irq_fn, SPI base 3)
 *        GSI 3 + (slot + pin - 1) % 4
 * A GSI is the wired OR of the functions driving it: it counts its
 * drivers, and its level changes (reported to the irq hook, rising edges
 * counted) only when the first rises or the last falls.
 */
#include "internal.h"
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define Q35_PIRQA_GSI 16
#define Q35_PIRQE_GSI 20
#define VIRT_PCIE_GSI 3

/* QEMU 7.2 virt's GICv2m: 64 SPIs from GIC input 48 (VIRT_GIC_V2M's
 * irqmap), i.e. INTIDs 80..143, which is what MSI data names. */
#define V2M_MSI_TYPER 0x008
#define V2M_MSI_SETSPI_NS 0x040
#define V2M_MSI_IIDR 0xFCC
#define V2M_GIC_INPUT 48u
#define V2M_NUM_SPI 64u
#define V2M_PRODUCT_ID_QEMU 0x51u
#define GIC_INTERNAL 32u            /* SGIs and PPIs come before the SPIs */

/* ------------------------------------------------------------------ */
/* MSI                                                                 */
/* ------------------------------------------------------------------ */

/*
 * The doorbell as a register frame.  q35's is the local APIC, which under
 * qtest (no current CPU) reads 0 and ignores writes.  virt's is the
 * GICv2m: QEMU gives its region no access sizes, so the memory core cuts
 * an 8-byte access into two 4-byte ones (low dword first); the registers
 * then take 4-byte reads at any offset and 2- or 4-byte writes, anything
 * else reading 0 and being dropped.
 */
uint64_t mock_doorbell_read(struct vpci_mock *m, uint64_t off, unsigned len)
{
    if (m->machine != VPCI_MOCK_VIRT)
        return 0;
    if (len == 8)
        return mock_doorbell_read(m, off, 4) |
               mock_doorbell_read(m, off + 4, 4) << 32;
    if (len != 4)
        return 0;
    switch (off) {
    case V2M_MSI_TYPER:
        return (V2M_GIC_INPUT + GIC_INTERNAL) << 16 | V2M_NUM_SPI;
    case V2M_MSI_IIDR:
        return V2M_PRODUCT_ID_QEMU << 20;
    default:
        return 0;
    }
}

void mock_doorbell_write(struct vpci_mock *m, uint64_t off, unsigned len,
                         uint64_t val)
{
    if (m->machine != VPCI_MOCK_VIRT)
        return;
    if (len == 8) {
        mock_doorbell_write(m, off, 4, val & 0xffffffffu);
        mock_doorbell_write(m, off + 4, 4, val >> 32);
        return;
    }
    if ((len != 2 && len != 4) || off != V2M_MSI_SETSPI_NS)
        return;
    /* the low 10 bits name an INTID; outside the frame's SPIs: ignored */
    uint64_t spi = (val & 0x3ff) - (V2M_GIC_INPUT + GIC_INTERNAL);
    if (spi >= V2M_NUM_SPI)
        return;
    unsigned input = V2M_GIC_INPUT + (unsigned)spi;
    if (m->log_level >= VPCI_LOG_TRACE)
        mock_log(m, VPCI_LOG_TRACE, "GICv2m: SPI %u pulsed", input);
    /* qemu_irq_pulse(): an edge, no level stays behind */
    if (m->irq_hook) {
        m->irq_hook(m->irq_opaque, input, true);
        m->irq_hook(m->irq_opaque, input, false);
    }
}

static void msi_record(struct vpci_mock *m, uint16_t rid, uint64_t addr,
                       uint32_t data)
{
    struct vpci_mock_msi *ev;
    size_t cap = m->msi_cap;
    ev = mock_grow(m->msi, &cap, (size_t)m->nmsi + 1, sizeof(*ev));
    if (!ev) {
        mock_log(m, VPCI_LOG_ERROR, "MSI event log: out of memory");
        return;
    }
    m->msi = ev;
    m->msi_cap = (unsigned)cap;
    ev = &m->msi[m->nmsi++];
    ev->rid = rid;
    ev->addr = addr;
    ev->data = data;
    ev->time = m->now;
}

void mock_msi_dma_write(struct vpci_mock *m, uint16_t rid, uint64_t addr,
                        uint32_t data)
{
    msi_record(m, rid, addr, data);
    if (m->log_level >= VPCI_LOG_TRACE)
        mock_log(m, VPCI_LOG_TRACE, "MSI by DMA from %04x: 0x%llx <- 0x%x",
                 rid, (unsigned long long)addr, data);
    mock_doorbell_write(m, addr - m->map.msi_base, 4, data);
}

void mock_msi_send(void *host, struct vpci_dev *dev, uint64_t addr,
                   uint32_t data)
{
    struct vpci_mock *m = host;
    struct vpci_mock_fn *fn = vpci_dev_host_data(dev);
    uint16_t rid = vpci_mock_fn_rid(fn);
    const struct vpci_mock_map *map = &m->map;
    if (addr >= map->msi_base && addr - map->msi_base < map->msi_size) {
        msi_record(m, rid, addr, data);
        if (m->log_level >= VPCI_LOG_TRACE)
            mock_log(m, VPCI_LOG_TRACE, "MSI from %04x: 0x%llx <- 0x%x", rid,
                     (unsigned long long)addr, data);
        /* QEMU's msi_send_message(): a 4-byte store into the frame */
        mock_doorbell_write(m, addr - map->msi_base, 4, data);
        return;
    }
    uint64_t pa = addr;
    if (m->iommu && fn &&
        mock_iommu_dma(m->iommu, rid, addr, true, &pa) != 0) {
        mock_log(m, VPCI_LOG_WARN, "MSI write from %04x to 0x%llx: IOMMU "
                 "fault: dropped", rid, (unsigned long long)addr);
        return;
    }
    uint8_t *p = mock_ram_ptr(m, pa, 4);
    if (!p) {
        mock_log(m, VPCI_LOG_WARN, "MSI write from %04x to 0x%llx: not RAM "
                 "nor the doorbell: dropped", rid, (unsigned long long)pa);
        return;
    }
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(data >> (8 * i));
}

unsigned vpci_mock_msi_count(const struct vpci_mock *m)
{
    return m ? m->nmsi : 0;
}

unsigned vpci_mock_msi_count_data(const struct vpci_mock *m, uint32_t data)
{
    unsigned n = 0;
    for (unsigned i = 0; m && i < m->nmsi; i++)
        n += m->msi[i].data == data;
    return n;
}

int vpci_mock_msi_get(const struct vpci_mock *m, unsigned i,
                      struct vpci_mock_msi *out)
{
    if (!m || !out)
        return -EINVAL;
    if (i >= m->nmsi)
        return -ENOENT;
    *out = m->msi[i];
    return 0;
}

void vpci_mock_msi_clear(struct vpci_mock *m)
{
    if (m)
        m->nmsi = 0;
}

/* ------------------------------------------------------------------ */
/* INTx                                                                */
/* ------------------------------------------------------------------ */

static int root_gsi(const struct vpci_mock *m, unsigned slot, unsigned pin)
{
    if (m->machine == VPCI_MOCK_VIRT)
        return VIRT_PCIE_GSI + (int)((slot + pin - 1) % 4);
    if (slot <= 24)
        return Q35_PIRQE_GSI + (int)((slot + pin - 1) % 4);
    if (slot == 30)
        return Q35_PIRQE_GSI + (int)(pin - 1);
    return Q35_PIRQA_GSI + (int)(pin - 1);
}

int vpci_mock_fn_gsi(const struct vpci_mock_fn *fn)
{
    if (!fn)
        return -1;
    unsigned pin = vpci_cfg_read(fn->dev, PCI_INTERRUPT_PIN, 1);
    if (pin < 1 || pin > 4)
        return -1;
    const struct vpci_mock_fn *f = fn;
    for (; f->bus->bridge; f = f->bus->bridge)
        pin = (pin - 1 + (f->devfn >> 3)) % 4 + 1;
    return root_gsi(fn->m, f->devfn >> 3, pin);
}

static void gsi_drive(struct vpci_mock *m, int gsi, bool up)
{
    if (gsi < 0 || gsi >= VPCI_MOCK_GSI_MAX)
        return;
    bool was = m->gsi_drivers[gsi] > 0;
    if (up)
        m->gsi_drivers[gsi]++;
    else if (m->gsi_drivers[gsi])
        m->gsi_drivers[gsi]--;
    bool now = m->gsi_drivers[gsi] > 0;
    if (was == now)
        return;
    if (now)
        m->gsi_raises[gsi]++;
    if (m->log_level >= VPCI_LOG_TRACE)
        mock_log(m, VPCI_LOG_TRACE, "GSI %d %s", gsi, now ? "high" : "low");
    if (m->irq_hook)
        m->irq_hook(m->irq_opaque, (unsigned)gsi, now);
}

void mock_set_intx(void *host, struct vpci_dev *dev, bool level)
{
    struct vpci_mock *m = host;
    struct vpci_mock_fn *fn = vpci_dev_host_data(dev);
    if (!fn || fn->intx == level)
        return;
    fn->intx = level;
    if (level) {
        /* remember where it went: the line it lowers later is this one */
        fn->intx_gsi = vpci_mock_fn_gsi(fn);
        gsi_drive(m, fn->intx_gsi, true);
    } else {
        gsi_drive(m, fn->intx_gsi, false);
        fn->intx_gsi = -1;
    }
}

bool vpci_mock_gsi_level(const struct vpci_mock *m, unsigned gsi)
{
    return m && gsi < VPCI_MOCK_GSI_MAX && m->gsi_drivers[gsi] > 0;
}

unsigned vpci_mock_gsi_raises(const struct vpci_mock *m, unsigned gsi)
{
    return m && gsi < VPCI_MOCK_GSI_MAX ? m->gsi_raises[gsi] : 0;
}

void vpci_mock_set_irq_hook(struct vpci_mock *m, vpci_mock_irq_hook hook,
                            void *opaque)
{
    if (!m)
        return;
    m->irq_hook = hook;
    m->irq_opaque = opaque;
}

void mock_intc_free(struct vpci_mock *m)
{
    free(m->msi);
    m->msi = NULL;
    m->nmsi = m->msi_cap = 0;
}
