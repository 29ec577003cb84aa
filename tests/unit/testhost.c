/* SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE
#include "testhost.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vpci/models.h>

static int th_dma_rw(void *host, struct vpci_dev *dev, uint64_t addr,
                     void *buf, size_t len, enum vpci_dma_dir dir)
{
    (void)dev;
    struct testhost *h = host;
    h->dma_calls++;
    for (unsigned i = 0; i < h->nfaults; i++)
        if (addr < h->faults[i].addr + h->faults[i].len &&
            h->faults[i].addr < addr + len)
            return -h->faults[i].err;
    if (addr >= h->ram_size || len > h->ram_size - addr)
        return -EFAULT;
    if (dir == VPCI_DMA_TO_DEVICE)
        memcpy(buf, h->ram + addr, len);
    else
        memcpy(h->ram + addr, buf, len);
    h->dma_bytes += len;
    return 0;
}

static int th_dma_translated(void *host, struct vpci_dev *dev)
{
    (void)dev;
    return ((struct testhost *)host)->dma_translated;
}

static void th_set_intx(void *host, struct vpci_dev *dev, bool level)
{
    (void)dev;
    struct testhost *h = host;
    if (level && !h->intx)
        h->intx_rises++;
    if (!level && h->intx)
        h->intx_falls++;
    h->intx = level;
}

static void th_msi_send(void *host, struct vpci_dev *dev, uint64_t addr,
                        uint32_t data)
{
    (void)dev;
    struct testhost *h = host;
    if (h->nmsi < TESTHOST_MAX_MSI) {
        h->msi[h->nmsi].addr = addr;
        h->msi[h->nmsi].data = data;
    }
    h->nmsi++;
}

static uint64_t th_clock(void *host)
{
    return ((struct testhost *)host)->now;
}

static void th_timer_cancel(void *host, struct vpci_timer *t)
{
    struct testhost *h = host;
    for (unsigned i = 0; i < h->ntimers; i++) {
        if (h->timers[i].t == t) {
            h->timers[i] = h->timers[--h->ntimers];
            return;
        }
    }
}

static void th_timer_arm(void *host, struct vpci_timer *t, uint64_t deadline)
{
    struct testhost *h = host;
    th_timer_cancel(host, t);
    if (h->ntimers < TESTHOST_MAX_TIMERS) {
        h->timers[h->ntimers].t = t;
        h->timers[h->ntimers].deadline = deadline;
        h->ntimers++;
    }
}

static void th_log(void *host, struct vpci_dev *dev, enum vpci_log_level level,
                   const char *msg)
{
    (void)dev;
    struct testhost *h = host;
    if (level == VPCI_LOG_ERROR)
        h->errors++;
    if (level == VPCI_LOG_WARN)
        h->warnings++;
    snprintf(h->log[h->nlog % TESTHOST_MAX_LOG], sizeof(h->log[0]), "%s", msg);
    h->nlog++;
    if (h->echo_log)
        fprintf(stderr, "[testhost] %s\n", msg);
}

const struct vpci_host_ops testhost_ops = {
    .dma_rw = th_dma_rw,
    .dma_translated = th_dma_translated,
    .set_intx = th_set_intx,
    .msi_send = th_msi_send,
    .clock_ns = th_clock,
    .timer_arm = th_timer_arm,
    .timer_cancel = th_timer_cancel,
    .log = th_log,
};

struct testhost *testhost_new(uint64_t ram_size)
{
    struct testhost *h = calloc(1, sizeof(*h));
    if (!h)
        abort();
    h->ram_size = ram_size;
    if (ram_size && !(h->ram = calloc(1, ram_size)))
        abort();
    return h;
}

void testhost_free(struct testhost *h)
{
    if (!h)
        return;
    free(h->ram);
    free(h);
}

void testhost_add_fault(struct testhost *h, uint64_t addr, uint64_t len, int err)
{
    if (h->nfaults < TESTHOST_MAX_FAULTS) {
        h->faults[h->nfaults].addr = addr;
        h->faults[h->nfaults].len = len;
        h->faults[h->nfaults].err = err;
        h->nfaults++;
    }
}

void testhost_advance(struct testhost *h, uint64_t ns)
{
    uint64_t target = h->now + ns;
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < h->ntimers; i++)
            if (h->timers[i].deadline <= target &&
                (best < 0 || h->timers[i].deadline < h->timers[best].deadline))
                best = (int)i;
        if (best < 0)
            break;
        struct vpci_timer *t = h->timers[best].t;
        if (h->timers[best].deadline > h->now)
            h->now = h->timers[best].deadline;
        h->timers[best] = h->timers[--h->ntimers];
        h->timer_fires++;
        vpci_timer_fire(t);
    }
    h->now = target;
}

bool testhost_logged(const struct testhost *h, const char *needle)
{
    unsigned n = h->nlog < TESTHOST_MAX_LOG ? h->nlog : TESTHOST_MAX_LOG;
    for (unsigned i = 0; i < n; i++)
        if (strstr(h->log[i], needle))
            return true;
    return false;
}

void testhost_clear_log(struct testhost *h)
{
    h->nlog = h->warnings = h->errors = 0;
}

/* One builder at a time: tests are single-threaded. */
static testhost_build_fn current_build;

static int builder_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    return current_build(dev);
}

static const struct vpci_model builder_model = {
    .name = "test-builder",
    .desc = "a function built by a unit test",
    .init = builder_init,
};

int testhost_create(struct testhost *h, testhost_build_fn build,
                    struct vpci_dev **out)
{
    current_build = build;
    return vpci_dev_create(&builder_model, NULL, h ? &testhost_ops : NULL, h,
                           out);
}

void testhost_map_bar(struct vpci_dev *dev, unsigned bar, uint64_t addr)
{
    struct vpci_bar_info info;
    vpci_bar_info(dev, bar, &info);
    unsigned reg = bar == VPCI_ROM_BAR
                       ? (vpci_dev_is_bridge(dev) ? PCI_ROM_ADDRESS1
                                                  : PCI_ROM_ADDRESS)
                       : PCI_BASE_ADDRESS_0 + 4 * bar;
    uint32_t lo = (uint32_t)addr;
    if (bar == VPCI_ROM_BAR)
        lo |= PCI_ROM_ADDRESS_ENABLE;
    vpci_cfg_write(dev, reg, 4, lo, NULL);
    if (info.kind == VPCI_BAR_MEM64)
        vpci_cfg_write(dev, reg + 4, 4, (uint32_t)(addr >> 32), NULL);
}

void testhost_command(struct vpci_dev *dev, uint16_t bits)
{
    vpci_cfg_write(dev, PCI_COMMAND, 2,
                   vpci_cfg_read(dev, PCI_COMMAND, 2) | bits, NULL);
}

void testhost_place_bar(struct vpci_dev *dev, unsigned bar)
{
    struct vpci_bar_info info;
    assert_true(bar < VPCI_NUM_BARS);
    assert_int_equal(vpci_bar_info(dev, bar, &info), 0);
    assert_int_not_equal(info.kind, VPCI_BAR_NONE);
    bool io = info.kind == VPCI_BAR_IO;
    uint64_t stride = io ? TESTHOST_IO_STRIDE : TESTHOST_MMIO_STRIDE;
    assert_in_range(info.size, 1, stride);
    testhost_map_bar(dev, bar,
                     (io ? TESTHOST_IO_BASE : TESTHOST_MMIO_BASE) +
                         bar * stride);
}

struct vpci_dev *testhost_model(struct testhost *h, const char *model,
                                const char *props)
{
    const struct vpci_model *m = vpci_model_find(model);
    assert_non_null(m);
    struct vpci_dev *dev = NULL;
    assert_int_equal(vpci_dev_create(m, props, &testhost_ops, h, &dev), 0);
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        struct vpci_bar_info info;
        assert_int_equal(vpci_bar_info(dev, b, &info), 0);
        if (info.kind == VPCI_BAR_NONE)
            continue;
        testhost_place_bar(dev, b);
        if (info.kind == VPCI_BAR_MEM64)
            b++;                /* its upper half */
    }
    testhost_command(dev, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                              PCI_COMMAND_MASTER);
    return dev;
}

void testhost_fill(struct testhost *h, uint8_t (*pattern)(uint64_t addr))
{
    for (uint64_t i = 0; i < h->ram_size; i++)
        h->ram[i] = pattern(i);
}

void testhost_enable_msi(struct vpci_dev *dev, unsigned cap, uint64_t addr,
                         uint16_t data)
{
    vpci_cfg_write(dev, cap + PCI_MSI_ADDRESS_LO, 4, (uint32_t)addr, NULL);
    vpci_cfg_write(dev, cap + PCI_MSI_ADDRESS_HI, 4, (uint32_t)(addr >> 32),
                   NULL);
    vpci_cfg_write(dev, cap + PCI_MSI_DATA_64, 2, data, NULL);
    vpci_cfg_write(dev, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE, NULL);
    assert_int_equal(vpci_irq_mode(dev), VPCI_IRQ_MSI);
}

uint64_t testhost_bar_rd(struct vpci_dev *dev, unsigned bar, uint64_t off,
                         unsigned len)
{
    uint64_t v = 0;
    assert_int_equal(vpci_bar_read(dev, bar, off, len, &v), 0);
    return v;
}

void testhost_bar_wr(struct vpci_dev *dev, unsigned bar, uint64_t off,
                     unsigned len, uint64_t val)
{
    assert_int_equal(vpci_bar_write(dev, bar, off, len, val), 0);
}

static struct model_fixture *fixture_alloc(uint64_t ram_size)
{
    struct model_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->h = testhost_new(ram_size);
    if (ram_size) {
        f->snap = malloc(ram_size);
        assert_non_null(f->snap);
    }
    return f;
}

struct model_fixture *model_fixture_new(const char *model, const char *props,
                                        uint64_t ram_size)
{
    struct model_fixture *f = fixture_alloc(ram_size);
    f->dev = testhost_model(f->h, model, props);
    return f;
}

struct model_fixture *model_fixture_build(testhost_build_fn build,
                                          uint64_t ram_size)
{
    struct model_fixture *f = fixture_alloc(ram_size);
    assert_int_equal(testhost_create(f->h, build, &f->dev), 0);
    return f;
}

void model_fixture_free(struct model_fixture *f)
{
    if (!f)
        return;
    vpci_dev_destroy(f->dev);
    testhost_free(f->h);
    free(f->snap);
    free(f);
}

int model_fixture_teardown(void **state)
{
    model_fixture_free(*state);
    return 0;
}
