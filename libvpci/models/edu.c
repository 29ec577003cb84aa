/* SPDX-License-Identifier: MIT */
/*
 * edu: QEMU's educational PCI device, register-compatible with QEMU 7.2's
 * hw/misc/edu.c.  Every register, the access rules, the timing and each
 * place where this model differs from QEMU (and why) are documented in
 * include/vpci/models/edu.h.
 */
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <string.h>

#include <vpci/models.h>
#include <vpci/models/edu.h>
#include <vpci/vpci.h>

#define NS_PER_MS 1000000ull

struct edu {
    struct vpci_dev *dev;
    struct vpci_regfile *regs;
    struct vpci_timer *dma_timer;
    uint64_t dma_errors;                  /* saved: a statistic */
    uint8_t dma_buf[EDU_DMA_BUF_SIZE];    /* saved: device SRAM */
};

/* ======================= identity ======================= */

static const struct vpci_identity edu_identity = {
    .vendor_id = 0x1234,            /* PCI_VENDOR_ID_QEMU */
    .device_id = 0x11e8,
    .revision = 0x10,
    .class_code = 0x00ff00,         /* PCI_CLASS_OTHERS */
    .subsystem_vendor_id = 0x1af4,  /* pci.c's default subsystem IDs */
    .subsystem_id = 0x1100,
    .interrupt_pin = 1,             /* INTA */
};

/* QEMU's pci_init_wmask(): COMMAND bits a guest can change there. */
#define QEMU_COMMAND_WMASK                                                  \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |             \
     PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
/* First byte after the MSI capability (64-bit, not maskable: 14 bytes). */
#define EDU_MSI_END (EDU_MSI_CAP + PCI_MSI_DATA_64 + 2)

/* ======================= registers ======================= */

static void liveness_write(const struct vpci_reg_access *a);
static void factorial_write(const struct vpci_reg_access *a);
static void intr_raise_write(const struct vpci_reg_access *a);
static void intr_ack_write(const struct vpci_reg_access *a);
static uint64_t dma_reg_read(const struct vpci_reg_access *a);
static void dma_reg_write(const struct vpci_reg_access *a);
static void dma_cmd_write(const struct vpci_reg_access *a);

/* The DMA registers: 64 bits, reached 4 or 8 bytes at a time. */
#define EDU_DMA_REG(off_, name_, on_write_)                                 \
    VPCI_REG(off_, 8, name_, VPCI_RW, 0, .widths = VPCI_W4 | VPCI_W8,       \
             .on_read = dma_reg_read, .on_write = on_write_)

static const struct vpci_reg edu_regs[] = {
    /*       offset           width name       access    reset        behaviour */
    VPCI_REG(EDU_ID,          4, "ID",          VPCI_RO, EDU_ID_VALUE),
    VPCI_REG(EDU_LIVENESS,    4, "LIVENESS",    VPCI_RW, 0, .on_write = liveness_write),
    VPCI_REG(EDU_FACTORIAL,   4, "FACTORIAL",   VPCI_RW, 0, .on_write = factorial_write),
    VPCI_REG(EDU_STATUS,      4, "STATUS",      VPCI_RW, 0, .wmask = EDU_STATUS_IRQFACT),
    VPCI_REG(EDU_INTR_STATUS, 4, "INTR_STATUS", VPCI_RO, 0),
    VPCI_REG(EDU_INTR_RAISE,  4, "INTR_RAISE",  VPCI_WO, 0, .on_write = intr_raise_write),
    VPCI_REG(EDU_INTR_ACK,    4, "INTR_ACK",    VPCI_WO, 0, .on_write = intr_ack_write),
    EDU_DMA_REG(EDU_DMA_SRC,     "DMA_SRC",     dma_reg_write),
    EDU_DMA_REG(EDU_DMA_DST,     "DMA_DST",     dma_reg_write),
    EDU_DMA_REG(EDU_DMA_CNT,     "DMA_CNT",     dma_reg_write),
    EDU_DMA_REG(EDU_DMA_CMD,     "DMA_CMD",     dma_cmd_write),
};

/*
 * What edu_mmio_read/write accept of a valid (aligned, 4- or 8-byte)
 * piece: 4 bytes below 0x80, 4 or 8 from there.  Anything else, holes,
 * write-only registers and offsets past the table read all ones (QEMU's
 * "val = ~0ULL") and ignore writes.
 */
static const struct vpci_regfile_desc edu_mmio = {
    .name = "edu.mmio",
    .regs = edu_regs,
    .nregs = sizeof(edu_regs) / sizeof(edu_regs[0]),
    .widths = VPCI_W4,
    .aligned = true,
    .hole_read = UINT64_MAX,
    .wo_read = UINT64_MAX,
    .bad_read = UINT64_MAX,
};

static const struct vpci_prop_desc edu_props[] = {
    { "dma_mask", VPCI_PROP_U64, "0xfffffff",
      "DMA address mask, 2^n - 1 (QEMU's edu: 28 bits)" },
    { .name = NULL },
};

static const struct vpci_state_field edu_state[] = {
    VPCI_STATE_FIELD(struct edu, dma_buf),
    VPCI_STATE_FIELD(struct edu, dma_errors),
    { .name = NULL },
};

/* ======================= behaviour ======================= */

/*
 * QEMU's memory core in front of edu's MemoryRegionOps: an access goes out
 * in naturally aligned pieces of at most 8 bytes (memory_access_size());
 * a piece under 4 bytes fails memory_region_access_valid() and reads 0.
 * This is the largest piece at @off with @left bytes to go.
 */
static unsigned qemu_piece(uint64_t off, unsigned left)
{
    unsigned n = 8;
    while (n > left || (off & (n - 1)))
        n /= 2;
    return n;
}

static void invalid_piece(struct vpci_dev *dev, const char *dir, uint64_t off,
                          unsigned n)
{
    if (vpci_dev_trace_enabled(dev))
        vpci_log(dev, VPCI_LOG_TRACE,
                 "edu.mmio %s 0x%" PRIx64 " [%u]: invalid size, dropped", dir,
                 off, n);
}

static uint64_t edu_bar_read(struct vpci_dev *dev, void *opaque, uint64_t off,
                             unsigned len)
{
    struct edu *e = opaque;
    uint64_t val = 0;
    for (unsigned pos = 0, n; pos < len; pos += n) {
        n = qemu_piece(off + pos, len - pos);
        if (n < 4)
            invalid_piece(dev, "read", off + pos, n);
        else
            val |= vpci_regfile_read(e->regs, off + pos, n) << (8 * pos);
    }
    return val;
}

static void edu_bar_write(struct vpci_dev *dev, void *opaque, uint64_t off,
                          unsigned len, uint64_t val)
{
    struct edu *e = opaque;
    for (unsigned pos = 0, n; pos < len; pos += n) {
        n = qemu_piece(off + pos, len - pos);
        if (n < 4)
            invalid_piece(dev, "write", off + pos, n);
        else
            vpci_regfile_write(e->regs, off + pos, n, val >> (8 * pos));
    }
}

static const struct vpci_bar_ops edu_bar_ops = {
    .read = edu_bar_read,
    .write = edu_bar_write,
};

/* LIVENESS reads back the inverse of what was written. */
static void liveness_write(const struct vpci_reg_access *a)
{
    vpci_reg_set(a->rf, a->offset, ~a->value);
}

/*
 * edu_raise_irq: OR @bits into INTR_STATUS; while it is non-zero each
 * raise signals: under MSI one message and no level kept (QEMU's
 * msi_notify), otherwise the INTx level.
 */
static void edu_raise(struct edu *e, uint32_t bits)
{
    uint32_t status = (uint32_t)vpci_reg_get(e->regs, EDU_INTR_STATUS) | bits;
    vpci_reg_set(e->regs, EDU_INTR_STATUS, status);
    if (!status)
        return;
    if (vpci_irq_mode(e->dev) == VPCI_IRQ_MSI)
        vpci_irq_pulse(e->dev, 0);
    else
        vpci_irq_raise(e->dev, 0);
}

/* edu_lower_irq: clear @bits; INTx deasserts once nothing is left. */
static void edu_lower(struct edu *e, uint32_t bits)
{
    uint32_t status = (uint32_t)vpci_reg_get(e->regs, EDU_INTR_STATUS) & ~bits;
    vpci_reg_set(e->regs, EDU_INTR_STATUS, status);
    if (!status)
        vpci_irq_lower(e->dev, 0);
}

static void intr_raise_write(const struct vpci_reg_access *a)
{
    edu_raise(a->opaque, (uint32_t)a->value);
}

static void intr_ack_write(const struct vpci_reg_access *a)
{
    edu_lower(a->opaque, (uint32_t)a->value);
}

/*
 * n! in QEMU's uint32 loop.  From 34! on the product holds 2^32 and is 0,
 * so the answer needs no 4-billion-step loop for large n.
 */
static uint32_t factorial32(uint32_t n)
{
    uint32_t r = 1;
    if (n >= 34)
        return 0;
    while (n > 0)
        r *= n--;
    return r;
}

/* FACTORIAL: the result is ready when the write returns (see edu.h). */
static void factorial_write(const struct vpci_reg_access *a)
{
    vpci_reg_set(a->rf, EDU_FACTORIAL, factorial32((uint32_t)a->value));
    if (vpci_reg_get(a->rf, EDU_STATUS) & EDU_STATUS_IRQFACT)
        edu_raise(a->opaque, EDU_IRQ_FACT);
}

/* QEMU decodes a DMA register at its own offset only: its upper dword
 * alone (0x84, 0x8c, 0x94, 0x9c) reads all ones and ignores writes. */
static uint64_t dma_reg_read(const struct vpci_reg_access *a)
{
    return a->byte ? UINT64_MAX : a->value;
}

/* SRC, DST, CNT take the written value whole (a dword write zero-extends),
 * unless a transfer is running. */
static void dma_reg_write(const struct vpci_reg_access *a)
{
    bool running = vpci_reg_get(a->rf, EDU_DMA_CMD) & EDU_DMA_RUN;
    vpci_reg_set(a->rf, a->offset, a->byte || running ? a->old : a->data);
}

/* A start the guest asked for: at QEMU's deadline, qemu_clock_get_ms() +
 * 100 on a millisecond timer, i.e. counted from the last whole ms. */
static void edu_dma_start(struct edu *e)
{
    uint64_t now = vpci_now(e->dev);
    uint64_t deadline = (now / NS_PER_MS + EDU_DMA_DELAY_MS) * NS_PER_MS;
    vpci_timer_arm(e->dma_timer, deadline - now);
}

/* DMA_CMD: only a write with RUN, while no transfer runs, is taken. */
static void dma_cmd_write(const struct vpci_reg_access *a)
{
    bool start = !a->byte && !(a->old & EDU_DMA_RUN) &&
                 (a->data & EDU_DMA_RUN);
    vpci_reg_set(a->rf, a->offset, start ? a->data : a->old);
    if (start)
        edu_dma_start(a->opaque);
}

static void dma_failed(struct edu *e, const char *why)
{
    e->dma_errors++;
    vpci_log(e->dev, VPCI_LOG_WARN,
             "edu: DMA 0x%" PRIx64 " -> 0x%" PRIx64 " (%" PRIu64
             " bytes) failed: %s; command completed",
             vpci_reg_get(e->regs, EDU_DMA_SRC),
             vpci_reg_get(e->regs, EDU_DMA_DST),
             vpci_reg_get(e->regs, EDU_DMA_CNT), why);
}

/*
 * Move DMA_CNT bytes between RAM and the buffer.  The buffer side must fit
 * the buffer, else nothing moves; a RAM read that faults leaves zeros
 * where it delivered nothing (QEMU's edu reads 0 from unassigned memory).
 */
static void edu_dma_transfer(struct edu *e, bool to_ram)
{
    uint64_t src = vpci_reg_get(e->regs, EDU_DMA_SRC);
    uint64_t dst = vpci_reg_get(e->regs, EDU_DMA_DST);
    uint64_t cnt = vpci_reg_get(e->regs, EDU_DMA_CNT);
    uint64_t at = to_ram ? src : dst;     /* device address, the buffer */
    uint64_t ram = to_ram ? dst : src;

    if (at < EDU_DMA_BUF_ADDR || cnt > EDU_DMA_BUF_SIZE ||
        at - EDU_DMA_BUF_ADDR > EDU_DMA_BUF_SIZE - cnt) {
        dma_failed(e, "buffer range outside 0x40000..0x40fff, nothing moved");
        return;
    }
    uint8_t *buf = e->dma_buf + (at - EDU_DMA_BUF_ADDR);
    size_t done = 0;
    int rc = to_ram ? vpci_dma_write(e->dev, ram, buf, cnt, &done)
                    : vpci_dma_read(e->dev, ram, buf, cnt, &done);
    if (!rc)
        return;
    if (!to_ram)
        memset(buf + done, 0, cnt - done);
    dma_failed(e, strerror(-rc));
}

/* The DMA timer: the transfer, RUN cleared, then the interrupt. */
static void edu_dma_done(struct vpci_dev *dev, void *opaque)
{
    (void)dev;
    struct edu *e = opaque;
    uint64_t cmd = vpci_reg_get(e->regs, EDU_DMA_CMD);
    if (!(cmd & EDU_DMA_RUN))
        return;
    edu_dma_transfer(e, cmd & EDU_DMA_TO_RAM);
    vpci_reg_set(e->regs, EDU_DMA_CMD, cmd & ~(uint64_t)EDU_DMA_RUN);
    if (cmd & EDU_DMA_IRQ)
        edu_raise(e, EDU_IRQ_DMA);
}

/*
 * QEMU's PCI core as config space shows it (pci.c pci_init_wmask()):
 * COMMAND without Parity Error Response, Latency Timer read-only, and the
 * device-specific bytes after the capability plain read/write storage.
 */
static int qemu_config_masks(struct vpci_dev *dev)
{
    int rc = vpci_cfg_set_wmask(dev, PCI_COMMAND, 2, QEMU_COMMAND_WMASK);
    if (!rc)
        rc = vpci_cfg_set_wmask(dev, PCI_LATENCY_TIMER, 1, 0);
    for (unsigned off = EDU_MSI_END; !rc && off < VPCI_CFG_SIZE; off += 2)
        rc = vpci_cfg_set_wmask(dev, off, 2, 0xffff);
    return rc;
}

static int edu_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    struct edu *e = vpci_dev_priv(dev);
    int rc;
    e->dev = dev;
    if ((rc = vpci_dev_set_identity(dev, &edu_identity)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, EDU_BAR_SIZE, 0)) ||
        (rc = vpci_cap_add_msi(dev, EDU_MSI_CAP, 1, VPCI_MSI_64BIT, NULL)) ||
        (rc = qemu_config_masks(dev)) ||
        (rc = vpci_regfile_attach(dev, VPCI_REGFILE_NO_BAR, 0, &edu_mmio, e,
                                  &e->regs)) ||
        (rc = vpci_bar_set_ops(dev, 0, &edu_bar_ops, e)) ||
        (rc = vpci_timer_new(dev, "dma", edu_dma_done, e, &e->dma_timer)))
        return rc;
    if ((rc = vpci_dma_set_mask(dev, vpci_prop_u64(props, "dma_mask"))))
        vpci_log(dev, VPCI_LOG_ERROR, "edu: dma_mask=0x%" PRIx64
                 " is not 2^n - 1", vpci_prop_u64(props, "dma_mask"));
    return rc;
}

uint64_t vpci_edu_dma_errors(const struct vpci_dev *dev)
{
    if (vpci_dev_model(dev) != &vpci_model_edu)
        return 0;
    return ((const struct edu *)vpci_dev_priv(dev))->dma_errors;
}

const struct vpci_model vpci_model_edu = {
    .name = "edu",
    .desc = "QEMU's educational device (register-compatible with QEMU 7.2)",
    .priv_size = sizeof(struct edu),
    .props = edu_props,
    .state = edu_state,
    .init = edu_init,
};
