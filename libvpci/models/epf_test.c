/* SPDX-License-Identifier: MIT */
/*
 * epf-test: Linux's PCI endpoint test function (pci-epf-test) as the host
 * sees it, register-compatible with Linux 6.1 so that pci_endpoint_test
 * drives it.  Registers, timing, interrupts, error behaviour and
 * properties are documented in include/vpci/models/epf_test.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <string.h>

#include <vpci/models.h>
#include <vpci/models/epf_test.h>
#include <vpci/vpci.h>

#define EPF_CHUNK 4096u                     /* bytes per DMA step */
#define EPF_SEED 0x9e3779b97f4a7c15ull      /* WRITE data generator */
#define EPF_MSIX_ENTRY 16u                  /* PCI_MSIX_ENTRY_SIZE */

struct epf_test {
    struct vpci_dev *dev;
    struct vpci_regfile *regs;
    struct vpci_timer *cmd_timer;
    unsigned msix_vectors;     /* 0 without MSI-X */
    uint32_t caps;             /* what CAPS reads */
    uint64_t prng;             /* saved: xorshift64* state */
    uint8_t buf[EPF_CHUNK];    /* scratch: one chunk of a transfer */
};

/* ======================= identity ======================= */

static const struct vpci_identity epf_identity = {
    .vendor_id = EPF_TEST_VENDOR_ID,   /* properties may replace both IDs */
    .device_id = EPF_TEST_DEVICE_ID,
    .class_code = EPF_TEST_CLASS,      /* pci-epf-test's test_header */
    .interrupt_pin = 1,                /* INTA */
};

/* The BAR size properties; their defaults (epf_props) are pci-epf-test's
 * bar_size[]. */
static const char *const bar_props[VPCI_NUM_BARS] = {
    "bar0", "bar1", "bar2", "bar3", "bar4", "bar5",
};

/* ======================= registers ======================= */

static void command_write(const struct vpci_reg_access *a);
static void status_write(const struct vpci_reg_access *a);
static uint64_t caps_read(const struct vpci_reg_access *a);

static const struct vpci_reg epf_regs[] = {
    /*       offset                width name         access   reset behaviour */
    VPCI_REG(EPF_TEST_MAGIC,       4, "MAGIC",       VPCI_RW, 0),
    VPCI_REG(EPF_TEST_COMMAND,     4, "COMMAND",     VPCI_RW, 0, .on_write = command_write),
    VPCI_REG(EPF_TEST_STATUS,      4, "STATUS",      VPCI_RW, 0, .on_write = status_write),
    VPCI_REG(EPF_TEST_SRC_ADDR_LO, 4, "SRC_ADDR_LO", VPCI_RW, 0),
    VPCI_REG(EPF_TEST_SRC_ADDR_HI, 4, "SRC_ADDR_HI", VPCI_RW, 0),
    VPCI_REG(EPF_TEST_DST_ADDR_LO, 4, "DST_ADDR_LO", VPCI_RW, 0),
    VPCI_REG(EPF_TEST_DST_ADDR_HI, 4, "DST_ADDR_HI", VPCI_RW, 0),
    VPCI_REG(EPF_TEST_SIZE,        4, "SIZE",        VPCI_RW, 0),
    VPCI_REG(EPF_TEST_CHECKSUM,    4, "CHECKSUM",    VPCI_RW, 0),
    VPCI_REG(EPF_TEST_IRQ_TYPE,    4, "IRQ_TYPE",    VPCI_RW, 0),
    VPCI_REG(EPF_TEST_IRQ_NUMBER,  4, "IRQ_NUMBER",  VPCI_RW, 0),
    VPCI_REG(EPF_TEST_FLAGS,       4, "FLAGS",       VPCI_RW, 0),
    VPCI_REG(EPF_TEST_CAPS,        4, "CAPS",        VPCI_RO, 0, .on_read = caps_read),
};

static const struct vpci_regfile_desc epf_mmio = {
    .name = "epf-test.regs",
    .regs = epf_regs,
    .nregs = sizeof(epf_regs) / sizeof(epf_regs[0]),
    .size = EPF_TEST_REG_SPAN,     /* holes up to the MSI-X table read 0 */
};

/* A BAR size property; the register BAR grows past it to fit MSI-X. */
#define EPF_BAR_PROP(n_, size_)                                             \
    { "bar" #n_, VPCI_PROP_U32, size_,                                      \
      "BAR" #n_ " bytes, 0: none (the register BAR: at least its contents)" }

static const struct vpci_prop_desc epf_props[] = {
    { "vendor_id", VPCI_PROP_U32, "0x104c", "vendor ID (TI)" },
    { "device_id", VPCI_PROP_U32, "0xb500",
      "device ID (DRA74x: pci_endpoint_test binds with BAR 0, 4K, MSI)" },
    EPF_BAR_PROP(0, "512"),
    EPF_BAR_PROP(1, "512"),
    EPF_BAR_PROP(2, "1K"),
    EPF_BAR_PROP(3, "16K"),
    EPF_BAR_PROP(4, "128K"),
    EPF_BAR_PROP(5, "1M"),
    { "reg_bar", VPCI_PROP_U32, "0", "BAR holding registers and MSI-X" },
    { "msi", VPCI_PROP_BOOL, "on", "MSI capability" },
    { "msi_vectors", VPCI_PROP_U32, "32", "MSI vectors: 1, 2, 4, ... 32" },
    { "msix", VPCI_PROP_BOOL, "on", "MSI-X capability" },
    { "msix_vectors", VPCI_PROP_U32, "32", "MSI-X vectors: 1..2048" },
    { .name = NULL },
};

static const struct vpci_state_field epf_state[] = {
    VPCI_STATE_FIELD(struct epf_test, prng),
    { .name = NULL },
};

/* ======================= behaviour ======================= */

static uint64_t reg64(struct epf_test *e, uint32_t lo)
{
    return vpci_reg_get(e->regs, lo) | vpci_reg_get(e->regs, lo + 4) << 32;
}

static uint32_t reg32(struct epf_test *e, uint32_t off)
{
    return (uint32_t)vpci_reg_get(e->regs, off);
}

static uint64_t caps_read(const struct vpci_reg_access *a)
{
    return ((struct epf_test *)a->opaque)->caps;
}

/* STATUS as the device sets it.  INTx is a level that lasts while
 * IRQ_RAISED does, whoever clears it. */
static void status_set(struct epf_test *e, uint32_t status)
{
    vpci_reg_set(e->regs, EPF_TEST_STATUS, status);
    if (!(status & EPF_TEST_STATUS_IRQ_RAISED))
        vpci_irq_lower(e->dev, 0);
}

/* pci_endpoint_test's handler writes STATUS back without IRQ_RAISED. */
static void status_write(const struct vpci_reg_access *a)
{
    if (!(a->value & EPF_TEST_STATUS_IRQ_RAISED))
        vpci_irq_lower(a->dev, 0);
}

/* The one command that runs: pci_epf_test_cmd_handler tests the bits in
 * this order and stops at the first one set. */
static uint32_t command_pick(uint32_t command)
{
    static const uint32_t order[] = {
        EPF_TEST_CMD_RAISE_INTX, EPF_TEST_CMD_WRITE, EPF_TEST_CMD_READ,
        EPF_TEST_CMD_COPY, EPF_TEST_CMD_RAISE_MSI, EPF_TEST_CMD_RAISE_MSIX,
    };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (command & order[i])
            return order[i];
    return 0;
}

/* One poll period, then the bytes moved at the CPU's or the DMA's pace. */
static uint64_t command_duration(struct epf_test *e, uint32_t command)
{
    uint64_t bytes = reg32(e, EPF_TEST_SIZE);
    uint64_t per_byte = reg32(e, EPF_TEST_FLAGS) & EPF_TEST_FLAG_USE_DMA
                            ? EPF_TEST_DMA_NS_PER_BYTE
                            : EPF_TEST_CPU_NS_PER_BYTE;
    switch (command_pick(command)) {
    case EPF_TEST_CMD_READ:
    case EPF_TEST_CMD_WRITE:
        break;
    case EPF_TEST_CMD_COPY:
        bytes *= 2;    /* every byte crosses the link twice */
        break;
    default:
        bytes = 0;
    }
    return EPF_TEST_POLL_NS + bytes * per_byte;
}

/* COMMAND: the device takes it at its next poll; until then a new
 * write just replaces it. */
static void command_write(const struct vpci_reg_access *a)
{
    struct epf_test *e = a->opaque;
    if (a->value && !vpci_timer_armed(e->cmd_timer))
        vpci_timer_arm(e->cmd_timer, command_duration(e, (uint32_t)a->value));
}

/* Vectors of @type the host can receive now: what pci_epc_get_msi/msix
 * report (0 when that kind is not enabled); 1 for INTx in INTx mode. */
static unsigned vectors_enabled(struct epf_test *e, uint32_t type)
{
    static const enum vpci_irq_mode mode_of[] = {
        [EPF_TEST_IRQ_INTX] = VPCI_IRQ_INTX,
        [EPF_TEST_IRQ_MSI] = VPCI_IRQ_MSI,
        [EPF_TEST_IRQ_MSIX] = VPCI_IRQ_MSIX,
    };
    if (type >= sizeof(mode_of) / sizeof(mode_of[0]) ||
        vpci_irq_mode(e->dev) != mode_of[type])
        return 0;
    return vpci_irq_vectors(e->dev);
}

/*
 * pci_epf_test_raise_irq: STATUS first (with IRQ_RAISED), then the
 * interrupt @type, 1-based vector @number, if the host enabled it.
 */
static void raise_irq(struct epf_test *e, uint32_t status, uint32_t type,
                      uint32_t number)
{
    status_set(e, status | EPF_TEST_STATUS_IRQ_RAISED);
    if (type == EPF_TEST_IRQ_INTX)
        number = 1;                    /* INTx has no vector */
    if (number < 1 || number > vectors_enabled(e, type)) {
        vpci_log(e->dev, VPCI_LOG_WARN,
                 "epf-test: IRQ_TYPE %" PRIu32 " vector %" PRIu32
                 " is not enabled (interrupt mode %s): not sent", type,
                 number, vpci_irq_mode_name(vpci_irq_mode(e->dev)));
    } else if (type == EPF_TEST_IRQ_INTX) {
        vpci_irq_raise(e->dev, 0);
    } else {
        vpci_irq_pulse(e->dev, number - 1);
    }
}

/* RAISE_MSI / RAISE_MSIX: only a vector the host enabled, or nothing. */
static void raise_msi_command(struct epf_test *e, uint32_t type)
{
    uint32_t number = reg32(e, EPF_TEST_IRQ_NUMBER);
    if (number >= 1 && number <= vectors_enabled(e, type))
        raise_irq(e, 0, type, number);
    else
        vpci_log(e->dev, VPCI_LOG_WARN,
                 "epf-test: raise %s vector %" PRIu32 ": not enabled, ignored",
                 type == EPF_TEST_IRQ_MSI ? "MSI" : "MSI-X", number);
}

/* WRITE data: xorshift64*, eight bytes per step. */
static void fill_random(struct epf_test *e, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        e->prng ^= e->prng >> 12;
        e->prng ^= e->prng << 25;
        e->prng ^= e->prng >> 27;
        uint64_t word = e->prng * 0x2545f4914f6cdd1dull;
        for (size_t j = 0; j < 8 && i + j < len; j++)
            e->buf[i + j] = (uint8_t)(word >> (8 * j));
    }
}

/* SUCCESS bit of READ / WRITE / COPY; its FAIL bit is the next one. */
static uint32_t success_bit(uint32_t command)
{
    return command == EPF_TEST_CMD_READ    ? EPF_TEST_STATUS_READ_SUCCESS
           : command == EPF_TEST_CMD_WRITE ? EPF_TEST_STATUS_WRITE_SUCCESS
                                           : EPF_TEST_STATUS_COPY_SUCCESS;
}

static uint32_t dma_failed(struct epf_test *e, uint32_t command, bool src,
                           uint64_t addr, int rc)
{
    vpci_log(e->dev, VPCI_LOG_WARN,
             "epf-test: command 0x%" PRIx32 ": DMA %s 0x%" PRIx64 " failed "
             "(%s): %s address invalid", command, src ? "from" : "to", addr,
             strerror(-rc), src ? "source" : "destination");
    return success_bit(command) << 1 |
           (src ? EPF_TEST_STATUS_SRC_ADDR_INVALID
                : EPF_TEST_STATUS_DST_ADDR_INVALID);
}

/*
 * READ, WRITE or COPY of SIZE bytes, a chunk at a time: the source is the
 * host (READ, COPY) or the generator (WRITE), the destination the host
 * (WRITE, COPY) or nothing (READ); the CRC runs over what went through.
 * Returns the STATUS bits of the outcome.
 */
static uint32_t transfer(struct epf_test *e, uint32_t command)
{
    uint64_t src = reg64(e, EPF_TEST_SRC_ADDR_LO);
    uint64_t dst = reg64(e, EPF_TEST_DST_ADDR_LO);
    uint32_t size = reg32(e, EPF_TEST_SIZE), crc = ~0u;
    int rc;
    for (uint32_t off = 0, n; off < size; off += n) {
        n = size - off < EPF_CHUNK ? size - off : EPF_CHUNK;
        if (command == EPF_TEST_CMD_WRITE)
            fill_random(e, n);
        else if ((rc = vpci_dma_read(e->dev, src + off, e->buf, n, NULL)))
            return dma_failed(e, command, true, src + off, rc);
        crc = vpci_crc32_le(crc, e->buf, n);
        if (command != EPF_TEST_CMD_READ &&
            (rc = vpci_dma_write(e->dev, dst + off, e->buf, n, NULL)))
            return dma_failed(e, command, false, dst + off, rc);
    }
    if (command == EPF_TEST_CMD_WRITE)
        vpci_reg_set(e->regs, EPF_TEST_CHECKSUM, crc);
    if (command == EPF_TEST_CMD_READ && crc != reg32(e, EPF_TEST_CHECKSUM))
        return EPF_TEST_STATUS_READ_FAIL;
    return success_bit(command);
}

/* The poll that takes COMMAND: pci_epf_test_cmd_handler. */
static void command_run(struct vpci_dev *dev, void *opaque)
{
    (void)dev;
    struct epf_test *e = opaque;
    uint32_t raw = reg32(e, EPF_TEST_COMMAND);
    uint32_t type = reg32(e, EPF_TEST_IRQ_TYPE);
    if (!raw)
        return;
    vpci_reg_set(e->regs, EPF_TEST_COMMAND, 0);
    status_set(e, 0);
    if (type > EPF_TEST_IRQ_MSIX) {
        vpci_log(e->dev, VPCI_LOG_WARN, "epf-test: IRQ_TYPE %" PRIu32
                 " is not 0..2: command 0x%" PRIx32 " dropped", type, raw);
        return;
    }
    uint32_t command = command_pick(raw);
    switch (command) {
    case 0:
        return;
    case EPF_TEST_CMD_RAISE_INTX:
        raise_irq(e, 0, EPF_TEST_IRQ_INTX, 0);
        return;
    case EPF_TEST_CMD_RAISE_MSI:
        raise_msi_command(e, EPF_TEST_IRQ_MSI);
        return;
    case EPF_TEST_CMD_RAISE_MSIX:
        raise_msi_command(e, EPF_TEST_IRQ_MSIX);
        return;
    default:
        raise_irq(e, transfer(e, command), type,
                  reg32(e, EPF_TEST_IRQ_NUMBER));
    }
}

/* The register BAR's size: as given (if it fits), else the larger of its
 * bar_size[] entry and the power of two holding registers, table, PBA. */
static uint32_t reg_bar_size(struct epf_test *e, const struct vpci_props *props,
                             const char *name)
{
    uint32_t n = e->msix_vectors;
    uint32_t need = EPF_TEST_REG_SPAN + EPF_MSIX_ENTRY * n + (n + 63) / 64 * 8;
    uint32_t size = vpci_prop_u32(props, name);
    if (vpci_prop_given(props, name)) {
        if (size >= need)
            return size;
        vpci_log(e->dev, VPCI_LOG_ERROR, "epf-test: %s=%" PRIu32 " cannot "
                 "hold the registers and MSI-X (%" PRIu32 " bytes)", name,
                 size, need);
        return 0;
    }
    while (size < need)
        size *= 2;
    return size;
}

/* Six 32-bit memory BARs: the register BAR, the others plain RAM. */
static int define_bars(struct epf_test *e, const struct vpci_props *props,
                       unsigned reg_bar)
{
    int rc = 0;
    for (unsigned i = 0; i < VPCI_NUM_BARS && !rc; i++) {
        uint32_t size = vpci_prop_u32(props, bar_props[i]);
        if (i == reg_bar) {
            if (!(size = reg_bar_size(e, props, bar_props[i])))
                return -EINVAL;
            rc = vpci_bar_define(e->dev, i, VPCI_BAR_MEM32, size, 0);
        } else if (size) {
            if (!(rc = vpci_bar_define(e->dev, i, VPCI_BAR_MEM32, size, 0)))
                rc = vpci_bar_set_ram(e->dev, i);
        }
    }
    return rc;
}

static int add_interrupts(struct epf_test *e, const struct vpci_props *props,
                          unsigned reg_bar)
{
    unsigned n = e->msix_vectors;
    uint32_t table = EPF_TEST_MSIX_TABLE, pba = table + EPF_MSIX_ENTRY * n;
    int rc = 0;
    if (vpci_prop_bool(props, "msi"))
        rc = vpci_cap_add_msi(e->dev, 0, vpci_prop_u32(props, "msi_vectors"),
                              VPCI_MSI_64BIT | VPCI_MSI_MASKABLE, NULL);
    if (!rc && n)
        rc = vpci_cap_add_msix(e->dev, 0, n, reg_bar, table, reg_bar, pba,
                               NULL);
    return rc;
}

/* Property values the core's own checks would not catch, or would refuse
 * without naming the property (msi_vectors). */
static int check_props(struct epf_test *e, const struct vpci_props *props)
{
    const char *bad = NULL;
    uint32_t msi_vectors = vpci_prop_u32(props, "msi_vectors");
    if (vpci_prop_u32(props, "vendor_id") > 0xffff)
        bad = "vendor_id is not 0..0xffff";
    else if (vpci_prop_u32(props, "device_id") > 0xffff)
        bad = "device_id is not 0..0xffff";
    else if (vpci_prop_u32(props, "reg_bar") >= VPCI_NUM_BARS)
        bad = "reg_bar is not 0..5";
    else if (vpci_prop_bool(props, "msix") &&
             (!e->msix_vectors || e->msix_vectors > EPF_TEST_MAX_MSIX))
        bad = "msix_vectors is not 1..2048";
    else if (vpci_prop_bool(props, "msi") &&
             (!msi_vectors || msi_vectors > 32 ||
              (msi_vectors & (msi_vectors - 1))))
        bad = "msi_vectors is not 1, 2, 4, 8, 16 or 32";
    if (!bad)
        return 0;
    vpci_log(e->dev, VPCI_LOG_ERROR, "epf-test: %s", bad);
    return -EINVAL;
}

static int epf_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    struct epf_test *e = vpci_dev_priv(dev);
    struct vpci_identity id = epf_identity;
    unsigned reg_bar = vpci_prop_u32(props, "reg_bar");
    bool msi = vpci_prop_bool(props, "msi");
    bool msix = vpci_prop_bool(props, "msix");
    int rc;
    e->dev = dev;
    e->prng = EPF_SEED;
    e->msix_vectors = msix ? vpci_prop_u32(props, "msix_vectors") : 0;
    e->caps = EPF_TEST_CAP_UNALIGNED_ACCESS | EPF_TEST_CAP_INTX |
              (msi ? EPF_TEST_CAP_MSI : 0) | (msix ? EPF_TEST_CAP_MSIX : 0);
    id.vendor_id = (uint16_t)vpci_prop_u32(props, "vendor_id");
    id.device_id = (uint16_t)vpci_prop_u32(props, "device_id");
    if ((rc = check_props(e, props)) ||
        (rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = define_bars(e, props, reg_bar)) ||
        (rc = vpci_regfile_attach(dev, reg_bar, 0, &epf_mmio, e, &e->regs)) ||
        (rc = add_interrupts(e, props, reg_bar)) ||
        (rc = vpci_timer_new(dev, "command", command_run, e, &e->cmd_timer)))
        return rc;
    return 0;
}

/* The core has restored the registers and cancelled the poll. */
static void epf_reset(struct vpci_dev *dev)
{
    ((struct epf_test *)vpci_dev_priv(dev))->prng = EPF_SEED;
}

const struct vpci_model vpci_model_epf_test = {
    .name = "epf-test",
    .desc = "Linux PCI endpoint test function (pci-epf-test, Linux 6.1 layout)",
    .priv_size = sizeof(struct epf_test),
    .props = epf_props,
    .state = epf_state,
    .init = epf_init,
    .reset = epf_reset,
};
