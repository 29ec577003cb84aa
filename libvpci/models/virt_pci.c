/* SPDX-License-Identifier: MIT */
/*
 * virt-pci: the PCIExp experiment's device, register-compatible with its
 * QEMU 6.0 original, with safe DMA corners.  Registers, error behaviour
 * and properties are documented in include/vpci/models/virt_pci.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <vpci/models.h>
#include <vpci/models/virt_pci.h>
#include <vpci/vpci.h>

struct virt_pci {
    struct vpci_dev *dev;
    struct vpci_regfile *regs;
    uint8_t buf[VIRT_PCI_BUF_SIZE];   /* the job's internal buffer */
};

/* ======================= identity ======================= */

static const struct vpci_identity virt_pci_identity = {
    .vendor_id = 0x1234,
    .device_id = 0x0001,
    .revision = 0x00,
    .class_code = 0x00ff00,          /* PCI_CLASS_OTHERS */
    .subsystem_vendor_id = 0x1af4,   /* QEMU's default subsystem IDs */
    .subsystem_id = 0x1100,
    .interrupt_pin = 1,              /* INTA */
};

/* The sources that interrupt; ERROR only qualifies a done bit. */
#define INT_SOURCES (VIRT_PCI_INT_MUL2 | VIRT_PCI_INT_MUL4 | VIRT_PCI_INT_DOINT)
#define CTRL_COMMANDS                                                       \
    (VIRT_PCI_CTRL_MUL2 | VIRT_PCI_CTRL_MUL4 | VIRT_PCI_CTRL_RESET |        \
     VIRT_PCI_CTRL_DOINT)
#define DMA_MASK_32 0xffffffffull

/* ======================= registers ======================= */

static void ctrl_write(const struct vpci_reg_access *a);
static void int_clear_write(const struct vpci_reg_access *a);

static const struct vpci_reg virt_pci_regs[] = {
    /*       offset               width name         access    reset                   behaviour */
    VPCI_REG(VIRT_PCI_VERSION,    4, "VERSION",    VPCI_RO, VIRT_PCI_VERSION_VALUE),
    VPCI_REG(VIRT_PCI_CTRL,       4, "CTRL",       VPCI_WO, 0, .on_write = ctrl_write),
    VPCI_REG(VIRT_PCI_INT_STATUS, 4, "INT_STATUS", VPCI_RO, 0),
    VPCI_REG(VIRT_PCI_INT_MASK,   4, "INT_MASK",   VPCI_RW, 0xffffffff),
    VPCI_REG(VIRT_PCI_DMA_SRC,    4, "DMA_SRC",    VPCI_RW, 0),
    VPCI_REG(VIRT_PCI_DMA_DST,    4, "DMA_DST",    VPCI_RW, 0),
    VPCI_REG(VIRT_PCI_DMA_SIZE,   4, "DMA_SIZE",   VPCI_RW, 0),
    VPCI_REG(VIRT_PCI_INT_CLEAR,  4, "INT_CLEAR",  VPCI_WO, 0, .on_write = int_clear_write),
    VPCI_REG(VIRT_PCI_SCRATCH,    4, "SCRATCH",    VPCI_RW, 0, .count = VIRT_PCI_SCRATCH_COUNT),
    VPCI_REG(VIRT_PCI_ERROR_CODE, 4, "ERROR_CODE", VPCI_RO, VIRT_PCI_ERR_NONE),
    VPCI_REG(VIRT_PCI_ERROR_ADDR, 4, "ERROR_ADDR", VPCI_RO, 0),
};

/* All of BAR0: bytes no register covers read 0 and ignore writes. */
static const struct vpci_regfile_desc virt_pci_mmio = {
    .name = "virt-pci.mmio",
    .regs = virt_pci_regs,
    .nregs = sizeof(virt_pci_regs) / sizeof(virt_pci_regs[0]),
    .size = VIRT_PCI_BAR0_SIZE,
    .hole_read = 0,
    .wo_read = VIRT_PCI_WO_READ,
};

static const struct vpci_prop_desc virt_pci_props[] = {
    { "msi", VPCI_PROP_BOOL, "off",
      "MSI capability (1 vector, 64-bit, maskable)" },
    { "msix", VPCI_PROP_BOOL, "off",
      "MSI-X capability (1 vector, table in BAR2)" },
    { "pcie", VPCI_PROP_BOOL, "off",
      "PCI Express Endpoint (needs msi or msix)" },
    { .name = NULL },
};

/* ======================= behaviour ======================= */

static uint32_t reg(const struct virt_pci *v, uint32_t off)
{
    return (uint32_t)vpci_reg_get(v->regs, off);
}

/* BAR1: the original's IO handler returns 0xBEEFBEEF for any read. */
static uint64_t io_read(struct vpci_dev *dev, void *opaque, uint64_t off,
                        unsigned len)
{
    (void)dev;
    (void)opaque;
    (void)off;
    (void)len;
    return VIRT_PCI_WO_READ;
}

static const struct vpci_bar_ops virt_pci_io_ops = { .read = io_read };

/* An event sets its INT_STATUS bits and interrupts if it is enabled. */
static void raise_status(struct virt_pci *v, uint32_t bits)
{
    uint32_t enabled = (reg(v, VIRT_PCI_INT_MASK) | VIRT_PCI_INT_DOINT) &
                       INT_SOURCES;
    vpci_reg_set(v->regs, VIRT_PCI_INT_STATUS,
                 reg(v, VIRT_PCI_INT_STATUS) | bits);
    if (bits & enabled)
        vpci_irq_raise(v->dev, 0);
}

/* INT_CLEAR: write 1 to clear; the line drops with the last source. */
static void int_clear_write(const struct vpci_reg_access *a)
{
    struct virt_pci *v = a->opaque;
    uint32_t cleared = (uint32_t)(a->data & a->lanes);
    uint32_t status = reg(v, VIRT_PCI_INT_STATUS) & ~cleared;
    vpci_reg_set(v->regs, VIRT_PCI_INT_STATUS, status);
    if (!(status & INT_SOURCES))
        vpci_irq_lower(v->dev, 0);
}

/* Soft reset: every register back to its datasheet value, line down. */
static void soft_reset(struct virt_pci *v)
{
    vpci_regfile_reset(v->regs);
    vpci_irq_lower(v->dev, 0);
}

/* Every 32-bit little-endian element times @factor, modulo 2^32. */
static void multiply(uint8_t *buf, uint32_t size, uint32_t factor)
{
    for (uint32_t i = 0; i < size; i += 4) {
        uint32_t x = (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 |
                     (uint32_t)buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24;
        x *= factor;
        for (unsigned b = 0; b < 4; b++)
            buf[i + b] = (uint8_t)(x >> (8 * b));
    }
}

/* Why a DMA failed: bus mastering off, or the side that faulted at @at. */
static uint32_t dma_error(int rc, uint32_t side, uint64_t at, uint64_t *where)
{
    if (rc == -EPERM)
        return VIRT_PCI_ERR_MASTER;
    *where = at;
    return side;
}

/*
 * KICK_MUL2 / KICK_MUL4: source -> buffer (all of it, before any write),
 * times @factor, buffer -> destination; then the done bit, with ERROR and
 * ERROR_CODE when it could not run completely.
 */
static void mul_job(struct virt_pci *v, uint32_t factor, uint32_t done_bit)
{
    uint32_t src = reg(v, VIRT_PCI_DMA_SRC), dst = reg(v, VIRT_PCI_DMA_DST);
    uint32_t size = reg(v, VIRT_PCI_DMA_SIZE), err = VIRT_PCI_ERR_NONE;
    uint64_t where = 0;
    size_t done = 0;
    int rc;

    if (size > VIRT_PCI_BUF_SIZE)
        err = VIRT_PCI_ERR_SIZE;
    else if (size % 4)
        err = VIRT_PCI_ERR_ALIGN;
    else if ((rc = vpci_dma_read(v->dev, src, v->buf, size, &done)))
        err = dma_error(rc, VIRT_PCI_ERR_SRC, src + done, &where);
    if (!err) {
        multiply(v->buf, size, factor);
        if ((rc = vpci_dma_write(v->dev, dst, v->buf, size, &done)))
            err = dma_error(rc, VIRT_PCI_ERR_DST, dst + done, &where);
    }
    vpci_reg_set(v->regs, VIRT_PCI_ERROR_CODE, err);
    vpci_reg_set(v->regs, VIRT_PCI_ERROR_ADDR, where);
    if (err)
        vpci_log(v->dev, VPCI_LOG_WARN,
                 "virt-pci: MUL%" PRIu32 " 0x%" PRIx32 " -> 0x%" PRIx32
                 " (%" PRIu32 " bytes) failed: error %" PRIu32 " at 0x%" PRIx64,
                 factor, src, dst, size, err, where);
    raise_status(v, done_bit | (err ? VIRT_PCI_INT_ERROR : 0));
}

/* CTRL: the lowest set command bit of the bytes written acts. */
static void ctrl_write(const struct vpci_reg_access *a)
{
    struct virt_pci *v = a->opaque;
    uint32_t cmd = (uint32_t)(a->data & a->lanes) & CTRL_COMMANDS;
    vpci_reg_set(a->rf, a->offset, 0);   /* a command, not a setting */
    switch (cmd & (~cmd + 1)) {   /* the lowest set bit */
    case VIRT_PCI_CTRL_MUL2:
        mul_job(v, 2, VIRT_PCI_INT_MUL2);
        break;
    case VIRT_PCI_CTRL_MUL4:
        mul_job(v, 4, VIRT_PCI_INT_MUL4);
        break;
    case VIRT_PCI_CTRL_RESET:
        soft_reset(v);
        break;
    case VIRT_PCI_CTRL_DOINT:
        raise_status(v, VIRT_PCI_INT_DOINT);
        break;
    default:
        break;
    }
}

/* The extensions the properties enable (see virt_pci.h). */
static int add_extensions(struct vpci_dev *dev, const struct vpci_props *p)
{
    const struct vpci_pcie_config pcie = { .type = VPCI_PCIE_ENDPOINT,
                                           .flr = true };
    int rc = 0;
    if (vpci_prop_bool(p, "msi"))
        rc = vpci_cap_add_msi(dev, VIRT_PCI_MSI_CAP, 1,
                              VPCI_MSI_64BIT | VPCI_MSI_MASKABLE, NULL);
    if (!rc && vpci_prop_bool(p, "msix") &&
        !(rc = vpci_bar_define(dev, VIRT_PCI_MSIX_BAR, VPCI_BAR_MEM32,
                               VIRT_PCI_MSIX_BAR_SIZE, 0)))
        rc = vpci_cap_add_msix(dev, VIRT_PCI_MSIX_CAP, 1, VIRT_PCI_MSIX_BAR,
                               0, VIRT_PCI_MSIX_BAR, VIRT_PCI_MSIX_PBA, NULL);
    if (!rc && vpci_prop_bool(p, "pcie"))
        rc = vpci_cap_add_pcie(dev, VIRT_PCI_PCIE_CAP, &pcie, NULL);
    return rc;
}

static int virt_pci_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    struct virt_pci *v = vpci_dev_priv(dev);
    struct vpci_identity id = virt_pci_identity;
    int rc;
    v->dev = dev;
    id.express = vpci_prop_bool(props, "pcie");
    if (id.express && !vpci_prop_bool(props, "msi") &&
        !vpci_prop_bool(props, "msix")) {
        vpci_log(dev, VPCI_LOG_ERROR, "virt-pci: pcie=on needs msi=on or "
                 "msix=on (an Express function must support MSI or MSI-X)");
        return -EINVAL;
    }
    if ((rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, VIRT_PCI_BAR0_SIZE, 0)) ||
        (rc = vpci_bar_define(dev, 1, VPCI_BAR_IO, VIRT_PCI_BAR1_SIZE, 0)) ||
        (rc = vpci_regfile_attach(dev, 0, 0, &virt_pci_mmio, v, &v->regs)) ||
        (rc = vpci_bar_set_ops(dev, 1, &virt_pci_io_ops, v)) ||
        (rc = add_extensions(dev, props)) ||
        (rc = vpci_dma_set_mask(dev, DMA_MASK_32)))
        return rc;
    return 0;
}

const struct vpci_model vpci_model_virt_pci = {
    .name = "virt-pci",
    .desc = "PCIExp's virt-pci: MUL2/MUL4 DMA engine, register-compatible",
    .priv_size = sizeof(struct virt_pci),
    .props = virt_pci_props,
    .init = virt_pci_init,
};
