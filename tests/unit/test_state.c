/* SPDX-License-Identifier: MIT */
/*
 * Save and restore (libvpci/state.c): a function with programmed BARs,
 * COMMAND bits, register file values, a RAM BAR, MSI-X table entries and
 * pending bits, interrupt levels, an armed timer and model state fields
 * goes into a blob and comes back out in a fresh function on another host;
 * and every kind of bad blob (each truncation, each corrupted byte, other
 * model, other layout, newer format, other config size, malformed
 * sections) is refused with the function left byte for byte as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/pci_regs.h>
#include <vpci/vpci.h>

#include "testhost.h"

/* ---- the model under test ---- */

struct st_priv {
    /* saved (model->state) */
    uint32_t counter;
    uint8_t buf[16];
    uint64_t big;
    /* not saved */
    unsigned post_loads;
    uint32_t counter_at_post_load;
    unsigned fires;
    uint64_t fired_at;
    struct vpci_timer *work, *idle;
};

#define BAR_MMIO 0
#define BAR_RAM 2       /* MEM64: 2 and 3 */
#define BAR_MSIX 4
#define RAM_SIZE 2048u
#define MSIX_VECTORS 8u
#define MSIX_PBA 0x800u

static const struct vpci_reg st_regs[] = {
    { .offset = 0x00, .width = 4, .name = "ID", .access = VPCI_RO,
      .reset = 0x57a7e001 },
    { .offset = 0x04, .width = 4, .name = "CTRL", .access = VPCI_RW },
    { .offset = 0x08, .width = 8, .name = "ADDR", .access = VPCI_RW },
    { .offset = 0x10, .width = 2, .name = "FLAGS", .access = VPCI_W1C,
      .reset = 0xffff },
};

static const struct vpci_regfile_desc st_regfile = {
    .name = "state-test.mmio",
    .regs = st_regs,
    .nregs = sizeof(st_regs) / sizeof(st_regs[0]),
};

static const struct vpci_prop_desc st_props[] = {
    { "express", VPCI_PROP_BOOL, "off", "4 KiB config space" },
    { "msix", VPCI_PROP_BOOL, "on", "MSI-X capability in BAR 4" },
    { "timer2", VPCI_PROP_STRING, "idle", "name of the second timer" },
    { NULL, VPCI_PROP_BOOL, NULL, NULL },
};

static const struct vpci_state_field st_state[] = {
    VPCI_STATE_FIELD(struct st_priv, counter),
    VPCI_STATE_FIELD(struct st_priv, buf),
    VPCI_STATE_FIELD(struct st_priv, big),
    { NULL, 0, 0 },
};

/* The same fields, one of another size: a later version of the model. */
static const struct vpci_state_field st_state_v2[] = {
    VPCI_STATE_FIELD(struct st_priv, counter),
    { "buf", offsetof(struct st_priv, buf), 8 },
    VPCI_STATE_FIELD(struct st_priv, big),
    { NULL, 0, 0 },
};

static const struct vpci_state_field st_state_bad[] = {
    { "beyond", sizeof(struct st_priv) - 2, 4 },
    { NULL, 0, 0 },
};

static void st_work(struct vpci_dev *dev, void *opaque)
{
    struct st_priv *p = opaque;
    p->fires++;
    p->fired_at = vpci_now(dev);
}

static void st_post_load(struct vpci_dev *dev)
{
    struct st_priv *p = vpci_dev_priv(dev);
    p->post_loads++;
    p->counter_at_post_load = p->counter;
}

static int st_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    struct st_priv *p = vpci_dev_priv(dev);
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0x57a7, .class_code = 0xff0000,
        .subsystem_vendor_id = 0x1234, .subsystem_id = 0x0001,
        .interrupt_pin = 1, .express = vpci_prop_bool(props, "express"),
    };
    static const char rom[] = "ROM IMAGE";
    int rc = vpci_dev_set_identity(dev, &id);
    if (!rc)
        rc = vpci_bar_define(dev, BAR_MMIO, VPCI_BAR_MEM32, 4096, 0);
    if (!rc)
        rc = vpci_regfile_attach(dev, BAR_MMIO, 0, &st_regfile, p, NULL);
    if (!rc)
        rc = vpci_bar_define(dev, BAR_RAM, VPCI_BAR_MEM64, RAM_SIZE,
                             VPCI_BAR_PREFETCH);
    if (!rc)
        rc = vpci_bar_set_ram(dev, BAR_RAM);
    if (!rc && vpci_prop_bool(props, "msix")) {
        rc = vpci_bar_define(dev, BAR_MSIX, VPCI_BAR_MEM32, 4096, 0);
        if (!rc)
            rc = vpci_cap_add_msix(dev, 0, MSIX_VECTORS, BAR_MSIX, 0,
                                   BAR_MSIX, MSIX_PBA, NULL);
    }
    if (!rc)
        rc = vpci_rom_define(dev, 2048, rom, sizeof(rom));
    if (!rc)
        rc = vpci_timer_new(dev, "work", st_work, p, &p->work);
    if (!rc)
        rc = vpci_timer_new(dev, vpci_prop_str(props, "timer2"), st_work, p,
                            &p->idle);
    return rc;
}

static const struct vpci_model st_model = {
    .name = "state-test",
    .desc = "save/restore unit test model",
    .priv_size = sizeof(struct st_priv),
    .props = st_props,
    .state = st_state,
    .init = st_init,
    .post_load = st_post_load,
};

/* Same layout under another name. */
static const struct vpci_model st_model_other = {
    .name = "state-other",
    .priv_size = sizeof(struct st_priv),
    .props = st_props,
    .state = st_state,
    .init = st_init,
};

/* Same name, other state fields. */
static const struct vpci_model st_model_v2 = {
    .name = "state-test",
    .priv_size = sizeof(struct st_priv),
    .props = st_props,
    .state = st_state_v2,
    .init = st_init,
};

static const struct vpci_model st_model_bad = {
    .name = "state-bad",
    .priv_size = sizeof(struct st_priv),
    .props = st_props,
    .state = st_state_bad,
    .init = st_init,
};

/* ---- helpers ---- */

static struct vpci_dev *make(struct testhost *h, const struct vpci_model *m,
                             const char *props)
{
    struct vpci_dev *dev = NULL;
    assert_int_equal(vpci_dev_create(m, props, h ? &testhost_ops : NULL, h,
                                     &dev),
                     0);
    return dev;
}

static struct st_priv *priv(struct vpci_dev *dev)
{
    return vpci_dev_priv(dev);
}

static uint64_t bar_rd(struct vpci_dev *dev, unsigned bar, uint64_t off,
                       unsigned len)
{
    uint64_t v = 0;
    assert_int_equal(vpci_bar_read(dev, bar, off, len, &v), 0);
    return v;
}

static void bar_wr(struct vpci_dev *dev, unsigned bar, uint64_t off,
                   unsigned len, uint64_t val)
{
    assert_int_equal(vpci_bar_write(dev, bar, off, len, val), 0);
}

#define MMIO_ADDR 0xE0000000u
#define RAM_ADDR 0x100000000ull
#define MSIX_ADDR 0xE0010000u

/*
 * Put a function in a state far from reset, varied by @seed: BARs placed,
 * decode and bus master on, registers written, RAM filled, MSI-X enabled
 * with an entry programmed and a masked vector pending, model fields set,
 * the "work" timer armed 5000 ns from now.
 */
static void program(struct vpci_dev *dev, uint8_t seed)
{
    bool msix = vpci_cap_find(dev, PCI_CAP_ID_MSIX) != 0;
    testhost_map_bar(dev, BAR_MMIO, MMIO_ADDR + seed * 0x1000u);
    testhost_map_bar(dev, BAR_RAM, RAM_ADDR + seed * 0x10000u);
    if (msix)
        testhost_map_bar(dev, BAR_MSIX, MSIX_ADDR + seed * 0x1000u);
    testhost_command(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    vpci_cfg_write(dev, PCI_CACHE_LINE_SIZE, 1, 0x10 + seed, NULL);

    bar_wr(dev, BAR_MMIO, 0x04, 4, 0xc0de0000u + seed);
    bar_wr(dev, BAR_MMIO, 0x08, 8, 0x123456789abc0000ull + seed);
    bar_wr(dev, BAR_MMIO, 0x10, 2, 0x00ff);      /* W1C: leaves 0xff00 */
    for (unsigned i = 0; i < RAM_SIZE; i += 4)
        bar_wr(dev, BAR_RAM, i, 4, 0x01010101u * (uint8_t)(i / 4 + seed));

    if (msix) {
        unsigned cap = vpci_cap_find(dev, PCI_CAP_ID_MSIX);
        bar_wr(dev, BAR_MSIX, 3 * 16 + 0, 4, 0xfee00000u + seed * 0x10u);
        bar_wr(dev, BAR_MSIX, 3 * 16 + 8, 4, 0x40u + seed);
        bar_wr(dev, BAR_MSIX, 3 * 16 + 12, 4, 0);   /* unmask vector 3 */
        vpci_cfg_write(dev, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE,
                       NULL);
        /* Vector 2 stays masked (its reset state): this one is held. */
        assert_int_equal(vpci_irq_raise(dev, 2), 0);
        assert_true(vpci_irq_pending(dev, 2));
    }

    struct st_priv *p = priv(dev);
    p->counter = 1000u + seed;
    for (unsigned i = 0; i < sizeof(p->buf); i++)
        p->buf[i] = (uint8_t)(seed * 16 + i);
    p->big = 0xfedcba9876543210ull ^ seed;
    vpci_timer_arm(p->work, 5000);
}

static void save(struct vpci_dev *dev, void **blob, size_t *len)
{
    assert_int_equal(vpci_dev_save(dev, blob, len), 0);
    assert_non_null(*blob);
    assert_true(*len > 0);
}

static const struct vpci_effect *find_fx(const struct vpci_effects *fx,
                                         enum vpci_effect_type type,
                                         unsigned bar)
{
    for (unsigned i = 0; i < fx->count && i < VPCI_EFFECTS_MAX; i++) {
        const struct vpci_effect *e = &fx->fx[i];
        if (e->type != type)
            continue;
        if ((type == VPCI_FX_BAR_MAP || type == VPCI_FX_BAR_UNMAP ||
             type == VPCI_FX_BAR_MOVE) && e->u.bar.bar != bar)
            continue;
        return e;
    }
    return NULL;
}

/* The blob's own CRC, recomputed after a test edits it (format v1). */
#define OFF_VERSION 8
#define OFF_FLAGS 10
#define OFF_LENGTH 16
#define OFF_CRC 24
#define OFF_NAME 28

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static void reseal(uint8_t *b, size_t len)
{
    wr64(b + OFF_LENGTH, len);
    uint32_t crc = vpci_crc32_le(~0u, b, OFF_CRC);
    crc = vpci_crc32_le(crc, b + OFF_CRC + 4, len - OFF_CRC - 4);
    wr32(b + OFF_CRC, ~crc);
}

/* Offset of the section tagged @tag (its tag field), or 0. */
static size_t section_at(const uint8_t *b, size_t len, const char tag[4])
{
    size_t pos = OFF_NAME + 2 + (b[OFF_NAME] | b[OFF_NAME + 1] << 8);
    while (pos + 12 <= len) {
        if (!memcmp(b + pos, tag, 4))
            return pos;
        pos += 12 + (size_t)rd64(b + pos + 4);
    }
    return 0;
}

/*
 * A refused load: @err returned (any negative errno when 0), no effects,
 * and the function saves to exactly @before, its blob from before.
 */
static void assert_refused(struct vpci_dev *dev, const void *blob, size_t len,
                           int err, const void *before, size_t before_len)
{
    struct vpci_effects fx;
    fx.count = 77;
    int rc = vpci_dev_load(dev, blob, len, &fx);
    if (err)
        assert_int_equal(rc, err);
    else
        assert_true(rc < 0);
    assert_int_equal(fx.count, 0);
    void *after;
    size_t after_len;
    save(dev, &after, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(after);
    assert_int_equal(priv(dev)->post_loads, 0);
}

/*
 * Two hosts: A's function is programmed (seed 1) and saved into blob;
 * B's is programmed differently (seed 2) and its own blob kept, so a
 * refused load can be checked against it.
 */
struct fixture {
    struct testhost *ha, *hb;
    struct vpci_dev *a, *b;
    void *blob, *b_blob;
    size_t len, b_len;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->ha = testhost_new(0);
    f->hb = testhost_new(0);
    testhost_advance(f->ha, 1000);
    f->a = make(f->ha, &st_model, NULL);
    program(f->a, 1);
    save(f->a, &f->blob, &f->len);
    f->b = make(f->hb, &st_model, NULL);
    program(f->b, 2);
    save(f->b, &f->b_blob, &f->b_len);
    testhost_clear_log(f->hb);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vpci_dev_destroy(f->a);
    vpci_dev_destroy(f->b);
    testhost_free(f->ha);
    testhost_free(f->hb);
    free(f->blob);
    free(f->b_blob);
    free(f);
    return 0;
}

/* ---- round trips ---- */

static void round_trip_restores_everything_in_a_fresh_function(void **state)
{
    struct fixture *f = *state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = make(h, &st_model, NULL);
    struct vpci_effects fx;
    assert_int_equal(vpci_dev_load(dev, f->blob, f->len, &fx), 0);

    /* config space: COMMAND, a plain RW register, the BARs */
    assert_int_equal(vpci_cfg_read(dev, PCI_COMMAND, 2),
                     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(vpci_cfg_read(dev, PCI_CACHE_LINE_SIZE, 1), 0x11);
    struct vpci_bar_info info;
    assert_int_equal(vpci_bar_info(dev, BAR_RAM, &info), 0);
    assert_true(info.mapped);
    assert_int_equal(info.addr, RAM_ADDR + 0x10000);
    /* register file, RAM BAR, ROM untouched */
    assert_int_equal(bar_rd(dev, BAR_MMIO, 0x00, 4), 0x57a7e001);
    assert_int_equal(bar_rd(dev, BAR_MMIO, 0x04, 4), 0xc0de0001u);
    assert_int_equal(bar_rd(dev, BAR_MMIO, 0x08, 8), 0x123456789abc0001ull);
    assert_int_equal(bar_rd(dev, BAR_MMIO, 0x10, 2), 0xff00);
    for (unsigned i = 0; i < RAM_SIZE; i += 4)
        assert_int_equal(bar_rd(dev, BAR_RAM, i, 4),
                         0x01010101u * (uint8_t)(i / 4 + 1));
    /* MSI-X: the table entry, the pending vector, the enable */
    assert_int_equal(bar_rd(dev, BAR_MSIX, 3 * 16 + 0, 4), 0xfee00010u);
    assert_int_equal(bar_rd(dev, BAR_MSIX, 3 * 16 + 8, 4), 0x41);
    assert_int_equal(bar_rd(dev, BAR_MSIX, 3 * 16 + 12, 4), 0);
    assert_int_equal(bar_rd(dev, BAR_MSIX, 2 * 16 + 12, 4), 1);
    assert_true(vpci_irq_pending(dev, 2));
    assert_int_equal(bar_rd(dev, BAR_MSIX, MSIX_PBA, 8), 1u << 2);
    assert_int_equal(vpci_irq_mode(dev), VPCI_IRQ_MSIX);
    /* model fields, post_load after they were in place */
    struct st_priv *p = priv(dev);
    assert_int_equal(p->counter, 1001);
    assert_int_equal(p->buf[15], 31);
    assert_int_equal(p->big, 0xfedcba9876543210ull ^ 1);
    assert_int_equal(p->post_loads, 1);
    assert_int_equal(p->counter_at_post_load, 1001);

    /* Saving the restored function gives the very same blob. */
    void *again;
    size_t again_len;
    save(dev, &again, &again_len);
    assert_int_equal(again_len, f->len);
    assert_memory_equal(again, f->blob, f->len);
    free(again);

    /* An unmasked vector now goes out to the restored address. */
    assert_int_equal(vpci_irq_pulse(dev, 3), 0);
    assert_int_equal(h->nmsi, 1);
    assert_int_equal(h->msi[0].addr, 0xfee00010u);
    assert_int_equal(h->msi[0].data, 0x41);

    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void restored_timer_fires_at_its_saved_deadline(void **state)
{
    struct fixture *f = *state;
    /* A armed "work" at 1000 + 5000; the new host's clock starts at 0. */
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = make(h, &st_model, NULL);
    assert_int_equal(vpci_dev_load(dev, f->blob, f->len, NULL), 0);
    struct st_priv *p = priv(dev);
    assert_true(vpci_timer_armed(p->work));
    assert_int_equal(vpci_timer_deadline(p->work), 6000);
    assert_false(vpci_timer_armed(p->idle));
    assert_int_equal(h->ntimers, 1);
    testhost_advance(h, 5999);
    assert_int_equal(p->fires, 0);
    testhost_advance(h, 1);
    assert_int_equal(p->fires, 1);
    assert_int_equal(p->fired_at, 6000);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void load_cancels_timers_the_blob_has_disarmed(void **state)
{
    struct fixture *f = *state;
    /* B has "work" armed at 5000 and "idle" too now; the blob of a fresh
     * function has neither. */
    struct testhost *h = testhost_new(0);
    struct vpci_dev *fresh = make(h, &st_model, NULL);
    void *blob;
    size_t len;
    save(fresh, &blob, &len);
    vpci_timer_arm(priv(f->b)->idle, 10);
    assert_int_equal(f->hb->ntimers, 2);
    assert_int_equal(vpci_dev_load(f->b, blob, len, NULL), 0);
    assert_int_equal(f->hb->ntimers, 0);
    assert_false(vpci_timer_armed(priv(f->b)->work));
    testhost_advance(f->hb, 100000);
    assert_int_equal(priv(f->b)->fires, 0);
    free(blob);
    vpci_dev_destroy(fresh);
    testhost_free(h);
}

static void load_into_a_fresh_function_reports_bar_maps(void **state)
{
    struct fixture *f = *state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = make(h, &st_model, NULL);
    struct vpci_effects fx;
    fx.count = 99;
    assert_int_equal(vpci_dev_load(dev, f->blob, f->len, &fx), 0);
    const struct vpci_effect *e = find_fx(&fx, VPCI_FX_BAR_MAP, BAR_MMIO);
    assert_non_null(e);
    assert_int_equal(e->u.bar.new_addr, MMIO_ADDR + 0x1000);
    assert_int_equal(e->u.bar.size, 4096);
    e = find_fx(&fx, VPCI_FX_BAR_MAP, BAR_RAM);
    assert_non_null(e);
    assert_int_equal(e->u.bar.new_addr, RAM_ADDR + 0x10000);
    assert_int_equal(e->u.bar.kind, VPCI_BAR_MEM64);
    assert_true(e->u.bar.prefetch);
    e = find_fx(&fx, VPCI_FX_BAR_MAP, BAR_MSIX);
    assert_non_null(e);
    assert_int_equal(e->u.bar.new_addr, MSIX_ADDR + 0x1000);
    assert_null(find_fx(&fx, VPCI_FX_BAR_MAP, VPCI_ROM_BAR));
    e = find_fx(&fx, VPCI_FX_MEM_DECODE, 0);
    assert_non_null(e);
    assert_true(e->u.toggle.on);
    e = find_fx(&fx, VPCI_FX_BUS_MASTER, 0);
    assert_non_null(e);
    assert_true(e->u.toggle.on);
    e = find_fx(&fx, VPCI_FX_MSIX_ENABLE, 0);
    assert_non_null(e);
    assert_true(e->u.toggle.on);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void load_over_a_mapped_function_reports_moves(void **state)
{
    struct fixture *f = *state;
    struct vpci_effects fx;
    /* B's BARs sit one step further than A's. */
    assert_int_equal(vpci_dev_load(f->b, f->blob, f->len, &fx), 0);
    const struct vpci_effect *e = find_fx(&fx, VPCI_FX_BAR_MOVE, BAR_MMIO);
    assert_non_null(e);
    assert_int_equal(e->u.bar.old_addr, MMIO_ADDR + 0x2000);
    assert_int_equal(e->u.bar.new_addr, MMIO_ADDR + 0x1000);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_MOVE, BAR_RAM));
    assert_null(find_fx(&fx, VPCI_FX_MEM_DECODE, 0));   /* no change */

    /* Loading the reset state back unmaps them. */
    struct testhost *h = testhost_new(0);
    struct vpci_dev *fresh = make(h, &st_model, NULL);
    void *blob;
    size_t len;
    save(fresh, &blob, &len);
    assert_int_equal(vpci_dev_load(f->b, blob, len, &fx), 0);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, BAR_MMIO));
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, BAR_RAM));
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_UNMAP, BAR_MSIX));
    e = find_fx(&fx, VPCI_FX_MEM_DECODE, 0);
    assert_non_null(e);
    assert_false(e->u.toggle.on);
    free(blob);
    vpci_dev_destroy(fresh);
    testhost_free(h);
}

static void intx_level_is_restored_and_driven(void **state)
{
    (void)state;
    struct testhost *ha = testhost_new(0), *hb = testhost_new(0);
    struct vpci_dev *a = make(ha, &st_model, "msix=off");
    assert_int_equal(vpci_irq_raise(a, 0), 0);
    assert_true(ha->intx);
    void *blob;
    size_t len;
    save(a, &blob, &len);
    struct vpci_dev *b = make(hb, &st_model, "msix=off");
    assert_false(hb->intx);
    assert_int_equal(vpci_dev_load(b, blob, len, NULL), 0);
    assert_true(hb->intx);
    assert_true(vpci_irq_intx_level(b));
    assert_true(vpci_cfg_read(b, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* The level is the source's: lowering it drops the pin. */
    assert_int_equal(vpci_irq_lower(b, 0), 0);
    assert_false(hb->intx);
    free(blob);
    vpci_dev_destroy(a);
    vpci_dev_destroy(b);
    testhost_free(ha);
    testhost_free(hb);
}

static void half_programmed_64bit_bar_keeps_its_old_mapping(void **state)
{
    struct fixture *f = *state;
    struct vpci_effects fx;
    /* A's BAR2 is at RAM_ADDR + 0x10000; write only its low dword. */
    vpci_cfg_write(f->a, PCI_BASE_ADDRESS_2, 4, 0x20000000, &fx);
    assert_null(find_fx(&fx, VPCI_FX_BAR_MOVE, BAR_RAM));
    void *blob;
    size_t len;
    save(f->a, &blob, &len);

    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = make(h, &st_model, NULL);
    assert_int_equal(vpci_dev_load(dev, blob, len, &fx), 0);
    const struct vpci_effect *e = find_fx(&fx, VPCI_FX_BAR_MAP, BAR_RAM);
    assert_non_null(e);
    assert_int_equal(e->u.bar.new_addr, RAM_ADDR + 0x10000);
    struct vpci_bar_info info;
    vpci_bar_info(dev, BAR_RAM, &info);
    assert_true(info.mapped);

    /* Both finish the move the same way when the high dword comes. */
    vpci_cfg_write(dev, PCI_BASE_ADDRESS_3, 4, 0, &fx);
    e = find_fx(&fx, VPCI_FX_BAR_MOVE, BAR_RAM);
    assert_non_null(e);
    assert_int_equal(e->u.bar.old_addr, RAM_ADDR + 0x10000);
    assert_int_equal(e->u.bar.new_addr, 0x20000000);
    vpci_cfg_write(f->a, PCI_BASE_ADDRESS_3, 4, 0, &fx);
    e = find_fx(&fx, VPCI_FX_BAR_MOVE, BAR_RAM);
    assert_non_null(e);
    assert_int_equal(e->u.bar.new_addr, 0x20000000);

    free(blob);
    vpci_dev_destroy(dev);
    testhost_free(h);
}

static void express_function_round_trips(void **state)
{
    (void)state;
    struct testhost *ha = testhost_new(0), *hb = testhost_new(0);
    struct vpci_dev *a = make(ha, &st_model, "express=on");
    assert_int_equal(vpci_cfg_size(a), 4096);
    program(a, 3);
    void *blob, *again;
    size_t len, again_len;
    save(a, &blob, &len);
    struct vpci_dev *b = make(hb, &st_model, "express=on");
    assert_int_equal(vpci_dev_load(b, blob, len, NULL), 0);
    save(b, &again, &again_len);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, blob, len);
    free(blob);
    free(again);
    vpci_dev_destroy(a);
    vpci_dev_destroy(b);
    testhost_free(ha);
    testhost_free(hb);
}

static void unplugged_function_saves_and_loads(void **state)
{
    struct fixture *f = *state;
    struct vpci_dev *dev = make(NULL, &st_model, NULL);
    struct vpci_effects fx;
    assert_int_equal(vpci_dev_load(dev, f->blob, f->len, &fx), 0);
    assert_non_null(find_fx(&fx, VPCI_FX_BAR_MAP, BAR_MMIO));
    assert_true(vpci_timer_armed(priv(dev)->work));
    assert_int_equal(vpci_timer_deadline(priv(dev)->work), 6000);
    void *again;
    size_t len;
    save(dev, &again, &len);
    assert_memory_equal(again, f->blob, f->len);
    free(again);
    vpci_dev_destroy(dev);
}

static void tracing_logs_save_and_load(void **state)
{
    struct fixture *f = *state;
    vpci_dev_set_trace(f->b, true);
    void *blob;
    size_t len;
    save(f->b, &blob, &len);
    assert_true(testhost_logged(f->hb, "state saved"));
    assert_int_equal(vpci_dev_load(f->b, blob, len, NULL), 0);
    assert_true(testhost_logged(f->hb, "state loaded"));
    free(blob);
}

/* ---- refused blobs ---- */

static void every_truncated_prefix_is_refused(void **state)
{
    struct fixture *f = *state;
    for (size_t n = 0; n < f->len; n++)
        assert_refused(f->b, f->blob, n, -EINVAL, f->b_blob, f->b_len);
    assert_true(f->hb->errors >= f->len);
}

static void trailing_bytes_are_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t *longer = calloc(1, f->len + 1);
    assert_non_null(longer);
    memcpy(longer, f->blob, f->len);
    assert_refused(f->b, longer, f->len + 1, -EINVAL, f->b_blob, f->b_len);
    /* Even with the length and CRC made to match, the sections do not
     * account for the extra byte. */
    reseal(longer, f->len + 1);
    assert_refused(f->b, longer, f->len + 1, -EINVAL, f->b_blob, f->b_len);
    free(longer);
}

/* What a byte inverted at @i must give. */
static int corrupted_byte_error(size_t i)
{
    if (i < OFF_VERSION)
        return -EINVAL;         /* magic */
    if (i < OFF_FLAGS)
        return -EPROTO;         /* version 0xfe or 0xff01: newer */
    if (i < OFF_FLAGS + 2)
        return -EPROTO;         /* unknown flags */
    if (i >= OFF_LENGTH && i < OFF_CRC)
        return -EINVAL;         /* length no longer matches */
    return -EBADMSG;            /* the CRC catches the rest */
}

static void any_corrupted_byte_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t *copy = malloc(f->len);
    assert_non_null(copy);
    memcpy(copy, f->blob, f->len);
    for (size_t i = 0; i < f->len; i++) {
        copy[i] ^= 0xff;
        assert_refused(f->b, copy, f->len, corrupted_byte_error(i), f->b_blob,
                       f->b_len);
        copy[i] ^= 0xff;
    }
    /* One flipped bit is enough too. */
    for (size_t i = OFF_CRC; i < f->len; i += 97) {
        copy[i] ^= 0x10;
        assert_refused(f->b, copy, f->len, -EBADMSG, f->b_blob, f->b_len);
        copy[i] ^= 0x10;
    }
    assert_true(testhost_logged(f->hb, "CRC"));
    free(copy);
}

static void blob_of_another_model_is_refused(void **state)
{
    struct fixture *f = *state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *other = make(h, &st_model_other, NULL);
    program(other, 1);
    void *blob;
    size_t len;
    save(other, &blob, &len);
    assert_refused(f->b, blob, len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "foreign"));
    assert_true(testhost_logged(f->hb, "state-other"));
    free(blob);
    vpci_dev_destroy(other);
    testhost_free(h);
}

static void newer_format_version_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t *copy = malloc(f->len);
    assert_non_null(copy);
    memcpy(copy, f->blob, f->len);
    copy[OFF_VERSION] = 2;
    reseal(copy, f->len);
    assert_refused(f->b, copy, f->len, -EPROTO, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "version 2"));
    copy[OFF_VERSION] = 0;
    reseal(copy, f->len);
    assert_refused(f->b, copy, f->len, -EINVAL, f->b_blob, f->b_len);
    copy[OFF_VERSION] = 1;
    copy[OFF_FLAGS] = 1;
    reseal(copy, f->len);
    assert_refused(f->b, copy, f->len, -EPROTO, f->b_blob, f->b_len);
    free(copy);
}

static void other_config_space_size_is_refused(void **state)
{
    struct fixture *f = *state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *express = make(h, &st_model, "express=on");
    void *blob, *before;
    size_t len, before_len;
    save(express, &blob, &len);
    /* Express blob into a conventional function ... */
    assert_refused(f->b, blob, len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "config space"));
    /* ... and the other way round. */
    save(express, &before, &before_len);
    assert_refused(express, f->blob, f->len, -EINVAL, before, before_len);
    free(blob);
    free(before);
    vpci_dev_destroy(express);
    testhost_free(h);
}

static void null_and_empty_blobs_are_refused(void **state)
{
    struct fixture *f = *state;
    assert_refused(f->b, NULL, f->len, -EINVAL, f->b_blob, f->b_len);
    assert_refused(f->b, f->blob, 0, -EINVAL, f->b_blob, f->b_len);
    assert_int_equal(vpci_dev_load(NULL, f->blob, f->len, NULL), -EINVAL);
    void *blob = (void *)f;
    size_t len = 5;
    assert_int_equal(vpci_dev_save(NULL, &blob, &len), -EINVAL);
    assert_null(blob);
    assert_int_equal(len, 0);
    assert_int_equal(vpci_dev_save(f->b, NULL, &len), -EINVAL);
    assert_int_equal(vpci_dev_save(f->b, &blob, NULL), -EINVAL);
    static const char junk[] = "this is not a libvpci state blob at all";
    assert_refused(f->b, junk, sizeof(junk), -EINVAL, f->b_blob, f->b_len);
}

static void blob_of_another_layout_is_refused(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const struct vpci_model *model;
        const char *props;
        const char *why;    /* a word of the message */
    } others[] = {
        { &st_model, "msix=off", "layout" },      /* no MSI-X capability */
        { &st_model, "timer2=other", "timer" },   /* a timer's name */
        { &st_model_v2, NULL, "state field" },    /* a field's size */
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        struct testhost *h = testhost_new(0);
        struct vpci_dev *dev = make(h, others[i].model, others[i].props);
        void *blob;
        size_t len;
        save(dev, &blob, &len);
        testhost_clear_log(f->hb);
        assert_refused(f->b, blob, len, -EINVAL, f->b_blob, f->b_len);
        assert_true(testhost_logged(f->hb, others[i].why));
        free(blob);
        vpci_dev_destroy(dev);
        testhost_free(h);
    }
}

/* Well-sealed blobs (length and CRC right) whose sections are wrong. */
static void malformed_sections_are_refused(void **state)
{
    struct fixture *f = *state;
    const size_t len = f->len;
    uint8_t *copy = malloc(len + 64);
    assert_non_null(copy);

    /* An unknown tag. */
    memcpy(copy, f->blob, len);
    size_t modl = section_at(copy, len, "MODL");
    assert_true(modl > 0);
    memcpy(copy + modl, "XTRA", 4);
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "unknown section"));

    /* A missing section: MODL is last, cut it off. */
    memcpy(copy, f->blob, len);
    assert_int_equal(modl + 12 + rd64(copy + modl + 4), len);
    reseal(copy, modl);
    assert_refused(f->b, copy, modl, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "missing"));

    /* A section twice: MODL appended again. */
    memcpy(copy, f->blob, len);
    size_t modl_len = len - modl;
    uint8_t *twice = malloc(len + modl_len);
    assert_non_null(twice);
    memcpy(twice, f->blob, len);
    memcpy(twice + len, copy + modl, modl_len);
    reseal(twice, len + modl_len);
    assert_refused(f->b, twice, len + modl_len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "twice"));
    free(twice);

    /* A section claiming more than the blob holds. */
    memcpy(copy, f->blob, len);
    wr64(copy + modl + 4, rd64(copy + modl + 4) + 1);
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);

    /* A section with a byte too many (and one fewer in the next). */
    memcpy(copy, f->blob, len);
    size_t timr = section_at(copy, len, "TIMR");
    assert_true(timr > 0 && timr + 12 + rd64(copy + timr + 4) == modl);
    memmove(copy + modl + 1, copy + modl, len - modl);
    copy[modl] = 0;
    wr64(copy + timr + 4, rd64(copy + timr + 4) + 1);
    reseal(copy, len + 1);
    assert_refused(f->b, copy, len + 1, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "too many"));

    /* A timer armed flag that is neither 0 nor 1. */
    memcpy(copy, f->blob, len);
    size_t flag = timr + 12 + 4 + 2 + strlen("work");
    assert_int_equal(copy[flag], 1);
    copy[flag] = 2;
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);

    /* A pending 64-bit move claimed for a 32-bit BAR. */
    memcpy(copy, f->blob, len);
    size_t bars = section_at(copy, len, "BARS");
    assert_true(bars > 0);
    size_t slot0 = bars + 12 + 4;
    assert_int_equal(copy[slot0], VPCI_BAR_MEM32);
    copy[slot0 + 1] |= 0x2;
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);

    /* A BAR of another size. */
    memcpy(copy, f->blob, len);
    wr64(copy + slot0 + 2, 8192);
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "BAR0 differs"));

    /* A pending bit for a vector the MSI-X table does not have. */
    memcpy(copy, f->blob, len);
    size_t msix = section_at(copy, len, "MSIX");
    assert_true(msix > 0);
    assert_int_equal(rd32(copy + msix + 12), MSIX_VECTORS);
    size_t pba = msix + 12 + 4 + MSIX_VECTORS * 16;
    assert_int_equal(rd64(copy + pba), 1u << 2);    /* vector 2, held */
    copy[pba + 1] |= 0x01;                          /* vector 8 */
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "beyond vector 7"));

    /* Other identity registers (a device ID) under the same layout. */
    memcpy(copy, f->blob, len);
    size_t conf = section_at(copy, len, "CONF");
    copy[conf + 12 + PCI_DEVICE_ID] ^= 1;
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);
    assert_true(testhost_logged(f->hb, "other IDs"));

    /* Config masks of another layout. */
    memcpy(copy, f->blob, len);
    copy[conf + 12 + 256] ^= 1;
    reseal(copy, len);
    assert_refused(f->b, copy, len, -EINVAL, f->b_blob, f->b_len);
    free(copy);
}

/*
 * Random damage behind a valid seal (length and CRC fixed up), as a fuzzer
 * would make: the load either succeeds or is refused with the function
 * unchanged, and never reads outside the blob (ASan / valgrind runs).
 */
static void resealed_random_damage_never_half_loads(void **state)
{
    struct fixture *f = *state;
    uint8_t *copy = malloc(f->len);
    assert_non_null(copy);
    uint32_t x = 0x2545f491u;
    unsigned loaded = 0, refused = 0;
    for (unsigned iter = 0; iter < 3000; iter++) {
        memcpy(copy, f->blob, f->len);
        unsigned edits = 1 + iter % 3;
        for (unsigned e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            /* Half of the edits hit the structure: the header's name and
             * the first bytes of a section (tags, lengths, counts). */
            size_t pos;
            if (x & 1) {
                static const char *const tags[] = {
                    "CONF", "BARS", "RAM ", "MSIX", "IRQ ", "REGS", "TIMR",
                    "MODL",
                };
                size_t at = section_at(copy, f->len, tags[(x >> 1) % 8]);
                pos = at ? at + (x >> 4) % 24 : OFF_NAME;
            } else {
                pos = OFF_NAME + (x >> 1) % (f->len - OFF_NAME);
            }
            if (pos >= f->len)
                pos = f->len - 1;
            copy[pos] ^= (uint8_t)(1u << ((x >> 8) % 8));
        }
        reseal(copy, f->len);
        void *before;
        size_t before_len;
        save(f->b, &before, &before_len);
        struct vpci_effects fx;
        int rc = vpci_dev_load(f->b, copy, f->len, &fx);
        if (rc == 0) {
            loaded++;
            priv(f->b)->post_loads = 0;
        } else {
            refused++;
            assert_int_equal(rc, -EINVAL);
            assert_int_equal(fx.count, 0);
            void *after;
            size_t after_len;
            save(f->b, &after, &after_len);
            assert_int_equal(after_len, before_len);
            assert_memory_equal(after, before, before_len);
            free(after);
        }
        free(before);
    }
    assert_true(loaded > 0);
    assert_true(refused > 0);
    free(copy);
}

static void save_refuses_state_fields_outside_priv(void **state)
{
    (void)state;
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev = make(h, &st_model_bad, NULL);
    void *blob = (void *)h;
    size_t len = 3;
    assert_int_equal(vpci_dev_save(dev, &blob, &len), -EINVAL);
    assert_null(blob);
    assert_int_equal(len, 0);
    assert_true(testhost_logged(h, "beyond"));
    vpci_dev_destroy(dev);
    testhost_free(h);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(round_trip_restores_everything_in_a_fresh_function),
        T(restored_timer_fires_at_its_saved_deadline),
        T(load_cancels_timers_the_blob_has_disarmed),
        T(load_into_a_fresh_function_reports_bar_maps),
        T(load_over_a_mapped_function_reports_moves),
        cmocka_unit_test(intx_level_is_restored_and_driven),
        T(half_programmed_64bit_bar_keeps_its_old_mapping),
        cmocka_unit_test(express_function_round_trips),
        T(unplugged_function_saves_and_loads),
        T(tracing_logs_save_and_load),
        T(every_truncated_prefix_is_refused),
        T(trailing_bytes_are_refused),
        T(any_corrupted_byte_is_refused),
        T(blob_of_another_model_is_refused),
        T(newer_format_version_is_refused),
        T(other_config_space_size_is_refused),
        T(null_and_empty_blobs_are_refused),
        T(blob_of_another_layout_is_refused),
        T(malformed_sections_are_refused),
        T(resealed_random_damage_never_half_loads),
        cmocka_unit_test(save_refuses_state_fields_outside_priv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
