/* SPDX-License-Identifier: MIT */
/*
 * libvpci quick start: a complete (tiny) device model and a minimal host.
 *
 * The model, "copier", is a PCI Express endpoint with one MMIO BAR holding
 * a register file and an MSI capability.  Software writes SRC, DST, LEN and
 * sets CTRL.START; 1 us later (on the host's clock) the device copies LEN
 * bytes by DMA, sets STATUS.DONE (or STATUS.ERROR) and raises interrupt 0.
 *
 * The host here is 60 lines: 1 MiB of RAM, an MSI log and a virtual clock.
 * It enumerates the function the way firmware would (size the BAR, assign
 * it, enable decode and bus mastering, program MSI) and then drives it the
 * way a driver would.  Exit status 0 means every check passed.
 */
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpci/vpci.h>

/* ======================= the model ======================= */

enum copier_reg {
    COPIER_ID = 0x00,     /* RO: 0xC0D1E000 | version */
    COPIER_SRC = 0x08,    /* RW 64: source bus address */
    COPIER_DST = 0x10,    /* RW 64: destination bus address */
    COPIER_LEN = 0x18,    /* RW: bytes to copy, at most 4096 */
    COPIER_CTRL = 0x1c,   /* WO: bit0 START */
    COPIER_STATUS = 0x20, /* W1C: bit0 DONE, bit1 ERROR */
};
#define CTRL_START 0x1u
#define STATUS_DONE 0x1u
#define STATUS_ERROR 0x2u
#define COPIER_MAX_LEN 4096u

struct copier {
    struct vpci_regfile *regs;
    struct vpci_timer *work;
    uint8_t buf[COPIER_MAX_LEN];
};

static void ctrl_write(const struct vpci_reg_access *a)
{
    struct copier *c = a->opaque;
    if ((a->value & CTRL_START) && !vpci_timer_armed(c->work))
        vpci_timer_arm(c->work, 1000 /* ns */);
}

static const struct vpci_reg copier_regs[] = {
    /*       offset         width name      access    reset   behaviour */
    VPCI_REG(COPIER_ID,     4, "ID",     VPCI_RO,  0xc0d1e001u),
    VPCI_REG(COPIER_SRC,    8, "SRC",    VPCI_RW,  0),
    VPCI_REG(COPIER_DST,    8, "DST",    VPCI_RW,  0),
    VPCI_REG(COPIER_LEN,    4, "LEN",    VPCI_RW,  0),
    VPCI_REG(COPIER_CTRL,   4, "CTRL",   VPCI_WO,  0, .on_write = ctrl_write),
    VPCI_REG(COPIER_STATUS, 4, "STATUS", VPCI_W1C, 0),
};

static const struct vpci_regfile_desc copier_mmio = {
    .name = "copier.mmio",
    .regs = copier_regs,
    .nregs = sizeof(copier_regs) / sizeof(copier_regs[0]),
    .size = 4096,
    .widths = VPCI_W4 | VPCI_W8,
};

/* The job: copy through the internal buffer, then report and interrupt. */
static void copier_work(struct vpci_dev *dev, void *opaque)
{
    struct copier *c = opaque;
    uint64_t src = vpci_reg_get(c->regs, COPIER_SRC);
    uint64_t dst = vpci_reg_get(c->regs, COPIER_DST);
    uint32_t len = (uint32_t)vpci_reg_get(c->regs, COPIER_LEN);
    uint32_t status = STATUS_DONE;
    if (len > COPIER_MAX_LEN ||
        vpci_dma_read(dev, src, c->buf, len, NULL) ||
        vpci_dma_write(dev, dst, c->buf, len, NULL))
        status |= STATUS_ERROR;
    vpci_reg_set(c->regs, COPIER_STATUS,
                 vpci_reg_get(c->regs, COPIER_STATUS) | status);
    vpci_irq_pulse(dev, 0);
}

static int copier_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    struct copier *c = vpci_dev_priv(dev);
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0xc0de, .class_code = 0x00ff00,
        .interrupt_pin = 1, .express = true,
    };
    const struct vpci_pcie_config pcie = { .type = VPCI_PCIE_ENDPOINT,
                                           .flr = true };
    int rc;
    if ((rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM64, 4096, 0)) ||
        (rc = vpci_regfile_attach(dev, 0, 0, &copier_mmio, c, &c->regs)) ||
        (rc = vpci_cap_add_msi(dev, 0, 1, VPCI_MSI_64BIT, NULL)) ||
        (rc = vpci_cap_add_pcie(dev, 0, &pcie, NULL)) ||
        (rc = vpci_timer_new(dev, "work", copier_work, c, &c->work)))
        return rc;
    return 0;
}

static const struct vpci_model copier_model = {
    .name = "copier",
    .desc = "quick-start DMA copier",
    .priv_size = sizeof(struct copier),
    .init = copier_init,
};

/* ======================= a minimal host ======================= */

#define RAM_SIZE (1u << 20)
struct host {
    uint8_t ram[RAM_SIZE];
    uint64_t now, deadline;
    struct vpci_timer *timer;
    unsigned msis;
    uint32_t last_msi_data;
};

static int host_dma(void *opaque, struct vpci_dev *dev, uint64_t addr,
                    void *buf, size_t len, enum vpci_dma_dir dir)
{
    (void)dev;
    struct host *h = opaque;
    if (addr >= RAM_SIZE || len > RAM_SIZE - addr)
        return -14; /* -EFAULT: nothing decodes there */
    if (dir == VPCI_DMA_TO_DEVICE)
        memcpy(buf, h->ram + addr, len);
    else
        memcpy(h->ram + addr, buf, len);
    return 0;
}

static void host_msi(void *opaque, struct vpci_dev *dev, uint64_t addr,
                     uint32_t data)
{
    (void)dev;
    struct host *h = opaque;
    h->msis++;
    h->last_msi_data = data;
    printf("  MSI: write 0x%x to 0x%llx\n", data, (unsigned long long)addr);
}

static uint64_t host_clock(void *opaque) { return ((struct host *)opaque)->now; }

static void host_timer_arm(void *opaque, struct vpci_timer *t, uint64_t when)
{
    struct host *h = opaque;
    h->timer = t;
    h->deadline = when;
}

static void host_timer_cancel(void *opaque, struct vpci_timer *t)
{
    struct host *h = opaque;
    if (h->timer == t)
        h->timer = NULL;
}

static void host_log(void *opaque, struct vpci_dev *dev,
                     enum vpci_log_level level, const char *msg)
{
    (void)opaque;
    if (level <= VPCI_LOG_INFO)
        printf("  [%s] %s\n", vpci_dev_label(dev), msg);
}

static const struct vpci_host_ops host_ops = {
    .dma_rw = host_dma, .msi_send = host_msi, .clock_ns = host_clock,
    .timer_arm = host_timer_arm, .timer_cancel = host_timer_cancel,
    .log = host_log,
};

static void host_advance(struct host *h, uint64_t ns)
{
    h->now += ns;
    if (h->timer && h->deadline <= h->now) {
        struct vpci_timer *t = h->timer;
        h->timer = NULL;
        vpci_timer_fire(t);
    }
}

static void print_effects(const struct vpci_effects *fx)
{
    char line[160];
    for (unsigned i = 0; i < fx->count; i++) {
        vpci_effect_format(&fx->fx[i], line, sizeof(line));
        printf("  effect: %s\n", line);
    }
}

static int failures;
#define CHECK(cond, what)                                                   \
    do {                                                                    \
        bool ok_ = (cond);                                                  \
        printf("%-58s %s\n", what, ok_ ? "ok" : "FAILED");                  \
        failures += !ok_;                                                   \
    } while (0)

int main(void)
{
    struct host *h = calloc(1, sizeof(*h));
    struct vpci_dev *dev;
    struct vpci_effects fx;
    uint64_t v;
    if (!h || vpci_dev_create(&copier_model, NULL, &host_ops, h, &dev))
        return 1;

    printf("== enumerate like firmware ==\n");
    uint32_t idreg = vpci_cfg_read(dev, PCI_VENDOR_ID, 4);
    printf("  vendor:device %04x:%04x, config space %u bytes\n",
           idreg & 0xffff, idreg >> 16, vpci_cfg_size(dev));
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_0, 4, 0xffffffff, NULL);
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_1, 4, 0xffffffff, NULL);
    uint64_t mask = vpci_cfg_read(dev, PCI_BASE_ADDRESS_0, 4) & ~0xfull;
    mask |= (uint64_t)vpci_cfg_read(dev, PCI_BASE_ADDRESS_1, 4) << 32;
    CHECK(~mask + 1 == 4096, "BAR0 sizes to 4 KiB (64-bit)");
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_0, 4, 0xfe000000, NULL);
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_1, 4, 0x1, NULL);
    vpci_cfg_write(dev, PCI_COMMAND, 2,
                   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, &fx);
    print_effects(&fx);
    CHECK(fx.count == 3 && fx.fx[fx.count - 1].type == VPCI_FX_BAR_MAP,
          "enabling decode maps BAR0 at 0x1_fe00_0000");

    unsigned msi = 0;
    for (unsigned p = vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1); p;
         p = vpci_cfg_read(dev, p + 1, 1))
        if (vpci_cfg_read(dev, p, 1) == PCI_CAP_ID_MSI)
            msi = p;
    CHECK(msi != 0, "MSI capability found in the list");
    vpci_cfg_write(dev, msi + PCI_MSI_ADDRESS_LO, 4, 0xfee00000, NULL);
    vpci_cfg_write(dev, msi + PCI_MSI_ADDRESS_HI, 4, 0, NULL);
    vpci_cfg_write(dev, msi + PCI_MSI_DATA_64, 2, 0x4041, NULL);
    vpci_cfg_write(dev, msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE, &fx);
    print_effects(&fx);
    CHECK(vpci_irq_mode(dev) == VPCI_IRQ_MSI, "interrupts now go by MSI");

    printf("== drive it like a driver ==\n");
    vpci_bar_read(dev, 0, COPIER_ID, 4, &v);
    CHECK(v == 0xc0d1e001u, "ID register reads 0xc0d1e001");
    for (unsigned i = 0; i < 256; i++)
        h->ram[0x1000 + i] = (uint8_t)(i * 7);
    vpci_bar_write(dev, 0, COPIER_SRC, 8, 0x1000);
    vpci_bar_write(dev, 0, COPIER_DST, 8, 0x8000);
    vpci_bar_write(dev, 0, COPIER_LEN, 4, 256);
    vpci_bar_write(dev, 0, COPIER_CTRL, 4, CTRL_START);
    vpci_bar_read(dev, 0, COPIER_STATUS, 4, &v);
    CHECK(v == 0 && h->msis == 0, "nothing happens before the clock moves");
    host_advance(h, 1000);
    vpci_bar_read(dev, 0, COPIER_STATUS, 4, &v);
    CHECK(v == STATUS_DONE, "after 1 us STATUS says DONE");
    CHECK(memcmp(h->ram + 0x1000, h->ram + 0x8000, 256) == 0,
          "256 bytes copied by DMA");
    CHECK(h->msis == 1 && h->last_msi_data == 0x4041, "one MSI delivered");
    vpci_bar_write(dev, 0, COPIER_STATUS, 4, STATUS_DONE);

    printf("== misuse gets hardware behaviour ==\n");
    vpci_bar_write(dev, 0, COPIER_DST, 8, 0xfff00000); /* beyond RAM */
    vpci_bar_write(dev, 0, COPIER_CTRL, 4, CTRL_START);
    host_advance(h, 1000);
    vpci_bar_read(dev, 0, COPIER_STATUS, 4, &v);
    CHECK(v == (STATUS_DONE | STATUS_ERROR),
          "DMA to unmapped memory: DONE|ERROR, interrupt anyway");
    vpci_bar_write(dev, 0, COPIER_ID, 4, 0);
    vpci_bar_read(dev, 0, COPIER_ID, 4, &v);
    CHECK(v == 0xc0d1e001u, "write to a read-only register ignored");

    printf("== save, reset, restore ==\n");
    void *blob;
    size_t len;
    CHECK(vpci_dev_save(dev, &blob, &len) == 0, "state saved");
    vpci_dev_reset(dev, VPCI_RESET_FLR, &fx);
    print_effects(&fx);
    CHECK(vpci_cfg_read(dev, PCI_COMMAND, 2) == 0, "FLR cleared COMMAND");
    CHECK(vpci_dev_load(dev, blob, len, &fx) == 0, "state restored");
    print_effects(&fx);
    vpci_bar_read(dev, 0, COPIER_STATUS, 4, &v);
    CHECK(v == (STATUS_DONE | STATUS_ERROR), "registers came back");
    ((uint8_t *)blob)[len / 2] ^= 0x40;
    CHECK(vpci_dev_load(dev, blob, len, NULL) < 0, "a corrupted blob is refused");
    free(blob);

    vpci_dev_destroy(dev);
    free(h);
    printf("%s: %d check(s) failed\n", failures ? "FAILED" : "PASSED",
           failures);
    return failures ? 1 : 0;
}
