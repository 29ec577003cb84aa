/* SPDX-License-Identifier: MIT */
/*
 * dma-engine: the article's PCIe memory-copy engine.  It copies source ->
 * 4 KiB buffer -> destination one chunk per microsecond of host time and
 * stops exactly at a fault.  Registers, timing, error behaviour and
 * properties are documented in include/vpci/models/dma_engine.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <vpci/models.h>
#include <vpci/models/dma_engine.h>
#include <vpci/vpci.h>

struct dma_engine {
    struct vpci_dev *dev;
    struct vpci_regfile *regs;
    struct vpci_timer *chunk_timer;
    uint64_t src, dst, len;           /* saved: latched by START */
    uint32_t max_size;
    bool iommu_required;
    uint8_t buf[DMA_ENGINE_CHUNK];    /* a chunk in flight (within a tick) */
};

/* ======================= identity ======================= */

static const struct vpci_identity dma_engine_identity = {
    .vendor_id = 0x1234,
    .device_id = 0x3456,
    .revision = 0x10,
    .class_code = 0x00ff00,          /* PCI_CLASS_OTHERS */
    .subsystem_vendor_id = 0x1af4,
    .subsystem_id = 0x1100,
    .interrupt_pin = 1,              /* INTA */
    .express = true,
};

/* ======================= registers ======================= */

static void ctrl_write(const struct vpci_reg_access *a);

#define CTRL_WRITABLE                                                       \
    (DMA_ENGINE_CTRL_START | DMA_ENGINE_CTRL_IRQ_EN | DMA_ENGINE_CTRL_IRQ_ACK)
#define SIZE_LENGTH (0xffffffffull << DMA_ENGINE_SIZE_SHIFT)

static const struct vpci_reg dma_engine_regs[] = {
    /*       offset               width name        access    reset  behaviour */
    VPCI_REG(DMA_ENGINE_SRC,      8, "SRC",      VPCI_RW, 0),
    VPCI_REG(DMA_ENGINE_DST,      8, "DST",      VPCI_RW, 0),
    VPCI_REG(DMA_ENGINE_SIZE,     8, "SIZE",     VPCI_RW, 0, .wmask = SIZE_LENGTH),
    VPCI_REG(DMA_ENGINE_CTRL,     8, "CTRL",     VPCI_RW, 0, .wmask = CTRL_WRITABLE,
             .on_write = ctrl_write),
    VPCI_REG(DMA_ENGINE_ERR_CODE, 8, "ERR_CODE", VPCI_RO, 0),
    VPCI_REG(DMA_ENGINE_ERR_ADDR, 8, "ERR_ADDR", VPCI_RO, 0),
    VPCI_REG(DMA_ENGINE_COPIED,   8, "COPIED",   VPCI_RO, 0),
    VPCI_REG(DMA_ENGINE_IGNORED,  8, "IGNORED",  VPCI_RO, 0),
};

/* Dword or qword, aligned; anything else reads all ones. */
static const struct vpci_regfile_desc dma_engine_mmio = {
    .name = "dma-engine.mmio",
    .regs = dma_engine_regs,
    .nregs = sizeof(dma_engine_regs) / sizeof(dma_engine_regs[0]),
    .size = DMA_ENGINE_REGS_SIZE,
    .widths = VPCI_W4 | VPCI_W8,
    .aligned = true,
    .bad_read = UINT64_MAX,
};

static const struct vpci_prop_desc dma_engine_props[] = {
    { "type", VPCI_PROP_STRING, "rciep",
      "PCIe Device/Port type: rciep (on a root bus) or endpoint" },
    { "max-size", VPCI_PROP_U32, "64M", "longest copy accepted, in bytes" },
    { "iommu-required", VPCI_PROP_BOOL, "off",
      "refuse to copy unless an IOMMU translates the engine's DMA" },
    { .name = NULL },
};

static const struct vpci_state_field dma_engine_state[] = {
    VPCI_STATE_FIELD(struct dma_engine, src),
    VPCI_STATE_FIELD(struct dma_engine, dst),
    VPCI_STATE_FIELD(struct dma_engine, len),
    { .name = NULL },
};

/* ======================= behaviour ======================= */

static uint64_t reg(const struct dma_engine *e, uint32_t off)
{
    return vpci_reg_get(e->regs, off);
}

static void set_reg(struct dma_engine *e, uint32_t off, uint64_t val)
{
    vpci_reg_set(e->regs, off, val);
}

/* The copy ends: DONE (and ERROR), then the completion interrupt. */
static void copy_end(struct dma_engine *e, uint64_t code, uint64_t where)
{
    uint64_t ctrl = reg(e, DMA_ENGINE_CTRL) & ~DMA_ENGINE_CTRL_BUSY;
    ctrl |= DMA_ENGINE_CTRL_DONE | (code ? DMA_ENGINE_CTRL_ERROR : 0);
    set_reg(e, DMA_ENGINE_CTRL, ctrl);
    set_reg(e, DMA_ENGINE_ERR_CODE, code);
    set_reg(e, DMA_ENGINE_ERR_ADDR, where);
    if (code)
        vpci_log(e->dev, VPCI_LOG_WARN,
                 "dma-engine: copy 0x%" PRIx64 " -> 0x%" PRIx64 " (%" PRIu64
                 " bytes) stopped after %" PRIu64 " bytes: error 0x%" PRIx64
                 " at 0x%" PRIx64,
                 e->src, e->dst, e->len, reg(e, DMA_ENGINE_COPIED), code,
                 where);
    if (ctrl & DMA_ENGINE_CTRL_IRQ_EN)
        vpci_irq_raise(e->dev, 0);
}

/* ERR_CODE for a DMA that failed with @rc on @side. */
static uint64_t dma_error(int rc, uint64_t side)
{
    if (rc == -EPERM)
        return DMA_ENGINE_ERR_MASTER;
    return side | (uint64_t)(-rc & 0xff) << DMA_ENGINE_ERR_ERRNO_SHIFT;
}

/*
 * One tick of the engine: the next chunk, source -> buffer -> destination.
 * What a faulting read did deliver still goes out, so the copy stops
 * exactly at the first byte that could not be moved.
 */
static void copy_chunk(struct vpci_dev *dev, void *opaque)
{
    struct dma_engine *e = opaque;
    uint64_t pos = reg(e, DMA_ENGINE_COPIED);
    size_t n = e->len - pos < DMA_ENGINE_CHUNK ? (size_t)(e->len - pos)
                                                : DMA_ENGINE_CHUNK;
    size_t got = 0, put = 0;
    int rrc = vpci_dma_read(dev, e->src + pos, e->buf, n, &got);
    int wrc = got ? vpci_dma_write(dev, e->dst + pos, e->buf, got, &put) : 0;
    set_reg(e, DMA_ENGINE_COPIED, pos + put);
    if (wrc)
        copy_end(e, dma_error(wrc, DMA_ENGINE_ERR_WRITE), e->dst + pos + put);
    else if (rrc)
        copy_end(e, dma_error(rrc, DMA_ENGINE_ERR_READ), e->src + pos + got);
    else if (pos + put == e->len)
        copy_end(e, DMA_ENGINE_ERR_NONE, 0);
    else
        vpci_timer_arm(e->chunk_timer, DMA_ENGINE_CHUNK_NS);
}

/* START: latch the job, clear the last one's results, run. */
static void copy_start(struct dma_engine *e)
{
    uint64_t ctrl = reg(e, DMA_ENGINE_CTRL);
    if (ctrl & DMA_ENGINE_CTRL_BUSY) {
        set_reg(e, DMA_ENGINE_IGNORED, reg(e, DMA_ENGINE_IGNORED) + 1);
        return;
    }
    vpci_irq_lower(e->dev, 0);
    e->src = reg(e, DMA_ENGINE_SRC);
    e->dst = reg(e, DMA_ENGINE_DST);
    e->len = reg(e, DMA_ENGINE_SIZE) >> DMA_ENGINE_SIZE_SHIFT;
    set_reg(e, DMA_ENGINE_COPIED, 0);
    ctrl &= ~(DMA_ENGINE_CTRL_DONE | DMA_ENGINE_CTRL_ERROR);
    if (e->len == 0 || e->len > e->max_size) {
        set_reg(e, DMA_ENGINE_CTRL, ctrl);
        copy_end(e, DMA_ENGINE_ERR_LENGTH, 0);
        return;
    }
    /* Isolation demanded but not there (or the host won't say): refuse. */
    if (e->iommu_required && vpci_dma_translated(e->dev) != 1) {
        set_reg(e, DMA_ENGINE_CTRL, ctrl);
        copy_end(e, DMA_ENGINE_ERR_NO_IOMMU, 0);
        return;
    }
    set_reg(e, DMA_ENGINE_CTRL, ctrl | DMA_ENGINE_CTRL_BUSY);
    set_reg(e, DMA_ENGINE_ERR_CODE, 0);
    set_reg(e, DMA_ENGINE_ERR_ADDR, 0);
    vpci_timer_arm(e->chunk_timer, DMA_ENGINE_CHUNK_NS);
}

/* CTRL: START and IRQ_ACK act and read 0; IRQ_EN is a setting. */
static void ctrl_write(const struct vpci_reg_access *a)
{
    struct dma_engine *e = a->opaque;
    uint64_t cmd = a->data & a->lanes;
    set_reg(e, DMA_ENGINE_CTRL,
            a->value & ~(DMA_ENGINE_CTRL_START | DMA_ENGINE_CTRL_IRQ_ACK));
    if ((cmd & DMA_ENGINE_CTRL_IRQ_ACK) || !(a->value & DMA_ENGINE_CTRL_IRQ_EN))
        vpci_irq_lower(e->dev, 0);
    if (cmd & DMA_ENGINE_CTRL_START)
        copy_start(e);
}

/* The PCIe capability: the type the user placed the function as. */
static int add_pcie(struct vpci_dev *dev, const char *type)
{
    struct vpci_pcie_config pcie = { .max_payload = 0 /* 128 bytes */ };
    if (!strcmp(type, "rciep")) {
        pcie.type = VPCI_PCIE_RC_ENDPOINT;
    } else if (!strcmp(type, "endpoint")) {
        pcie.type = VPCI_PCIE_ENDPOINT;
    } else {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "dma-engine: type=%s: must be rciep or endpoint", type);
        return -EINVAL;
    }
    return vpci_cap_add_pcie(dev, DMA_ENGINE_PCIE_CAP, &pcie, NULL);
}

static int dma_engine_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    struct dma_engine *e = vpci_dev_priv(dev);
    int rc;
    e->dev = dev;
    e->max_size = vpci_prop_u32(props, "max-size");
    e->iommu_required = vpci_prop_bool(props, "iommu-required");
    if (!e->max_size) {
        vpci_log(dev, VPCI_LOG_ERROR, "dma-engine: max-size must be >= 1");
        return -EINVAL;
    }
    /* PCIe first so the list starts with it, as in the article's lspci. */
    if ((rc = vpci_dev_set_identity(dev, &dma_engine_identity)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, DMA_ENGINE_BAR_SIZE, 0)) ||
        (rc = vpci_regfile_attach(dev, 0, DMA_ENGINE_REGS, &dma_engine_mmio, e,
                                  &e->regs)) ||
        (rc = add_pcie(dev, vpci_prop_str(props, "type"))) ||
        (rc = vpci_cap_add_msi(dev, DMA_ENGINE_MSI_CAP, 1, VPCI_MSI_64BIT,
                               NULL)) ||
        (rc = vpci_timer_new(dev, "copy", copy_chunk, e, &e->chunk_timer)) ||
        (rc = vpci_dma_set_mask(dev, UINT64_MAX)))
        return rc;
    return 0;
}

const struct vpci_model vpci_model_dma_engine = {
    .name = "dma-engine",
    .desc = "PCIe DMA copy engine (4 KiB buffer, IOMMU-aware, MSI/INTx)",
    .priv_size = sizeof(struct dma_engine),
    .props = dma_engine_props,
    .state = dma_engine_state,
    .init = dma_engine_init,
};
