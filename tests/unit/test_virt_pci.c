/* SPDX-License-Identifier: MIT */
/*
 * The virt-pci model (libvpci/models/virt_pci.c) against its spec
 * (shared/specs/virt-pci.md), the seed's sample app and driver, and the
 * error behaviour documented in include/vpci/models/virt_pci.h.
 *
 * Each test creates the registered model on the test host (1 MiB of RAM
 * from bus address 0, filled with a pattern), places its BARs and
 * enables IO, memory decode and bus mastering the way firmware would
 * (model_fixture_new).
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
#include <vpci/models.h>
#include <vpci/models/virt_pci.h>
#include <vpci/vpci.h>

#include "testhost.h"

#define RAM_SIZE 0x100000u
#define WORDS 1024u
#define IN_BUF 0x10000u     /* the sample app's buffers */
#define OUT_BUF 0x20000u
#define PAGE 4096u

static uint8_t ram_pattern(uint64_t addr)
{
    return (uint8_t)(addr * 13 + 5);
}

static int setup(void **state)
{
    struct model_fixture *f = model_fixture_new("virt-pci", NULL, RAM_SIZE);
    testhost_fill(f->h, ram_pattern);
    *state = f;
    return 0;
}

/* Recreate the function with @props (the fixture's is the default). */
static void recreate(struct model_fixture *f, const char *props)
{
    vpci_dev_destroy(f->dev);
    f->dev = testhost_model(f->h, "virt-pci", props);
}

/* The registers: BAR0, 32-bit accesses that must succeed. */
static uint32_t rd32(struct model_fixture *f, uint32_t off)
{
    return (uint32_t)testhost_bar_rd(f->dev, 0, off, 4);
}

static void wr32(struct model_fixture *f, uint32_t off, uint32_t v)
{
    testhost_bar_wr(f->dev, 0, off, 4, v);
}

static uint32_t ram32(const struct testhost *h, uint64_t addr)
{
    const uint8_t *p = h->ram + addr;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put32(struct testhost *h, uint64_t addr, uint32_t v)
{
    for (unsigned b = 0; b < 4; b++)
        h->ram[addr + b] = (uint8_t)(v >> (8 * b));
}

/* A reproducible stand-in for the sample app's rand(). */
static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void snapshot(struct model_fixture *f)
{
    memcpy(f->snap, f->h->ram, RAM_SIZE);
}

/* Is RAM as snapshot, except [skip, skip + skip_len)? */
static void assert_ram_unchanged_outside(struct model_fixture *f, uint64_t skip,
                                         uint64_t skip_len)
{
    assert_memory_equal(f->h->ram, f->snap, skip);
    assert_memory_equal(f->h->ram + skip + skip_len,
                        f->snap + skip + skip_len,
                        RAM_SIZE - skip - skip_len);
}

/* The seed driver's ISR: read INT_STATUS, clear bits 0, 1, 3 it saw. */
static uint32_t seed_isr(struct model_fixture *f)
{
    uint32_t is = rd32(f, VIRT_PCI_INT_STATUS);
    if (is & VIRT_PCI_INT_MUL2)
        wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_MUL2);
    if (is & VIRT_PCI_INT_MUL4)
        wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_MUL4);
    if (is & VIRT_PCI_INT_DOINT)
        wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_DOINT);
    return is;
}

static void kick(struct model_fixture *f, uint32_t src, uint32_t dst,
                 uint32_t size, uint32_t cmd)
{
    wr32(f, VIRT_PCI_DMA_SRC, src);
    wr32(f, VIRT_PCI_DMA_DST, dst);
    wr32(f, VIRT_PCI_DMA_SIZE, size);
    wr32(f, VIRT_PCI_CTRL, cmd);
}

/* ---- identity ---- */

static void virt_pci_default_identity_is_exactly_the_seeds(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_dev *dev = f->dev;
    struct vpci_bar_info bi;
    assert_ptr_equal(vpci_model_find("virt-pci"), &vpci_model_virt_pci);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x00011234);
    assert_int_equal(vpci_cfg_read(dev, PCI_CLASS_REVISION, 4), 0x00ff0000);
    assert_int_equal(vpci_cfg_read(dev, PCI_SUBSYSTEM_VENDOR_ID, 4),
                     0x11001af4);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(vpci_cfg_size(dev), 256);
    assert_false(vpci_dev_is_express(dev));
    /* no capabilities at all */
    assert_false(vpci_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    assert_int_equal(vpci_cfg_read(dev, PCI_CAPABILITY_LIST, 1), 0);
    assert_int_equal(vpci_bar_info(dev, 0, &bi), 0);
    assert_int_equal(bi.kind, VPCI_BAR_MEM32);
    assert_false(bi.prefetch);
    assert_int_equal(bi.size, 512);
    assert_int_equal(vpci_bar_info(dev, 1, &bi), 0);
    assert_int_equal(bi.kind, VPCI_BAR_IO);
    assert_int_equal(bi.size, 512);
    for (unsigned b = 2; b < VPCI_NUM_BARS; b++) {
        assert_int_equal(vpci_bar_info(dev, b, &bi), 0);
        assert_int_equal(bi.kind, VPCI_BAR_NONE);
    }
    assert_int_equal(vpci_dma_mask(dev), 0xffffffffu);
    assert_int_equal(vpci_irq_mode(dev), VPCI_IRQ_INTX);
}

static void virt_pci_bar1_reads_beefbeef_low_bytes_and_ignores_writes(
    void **state)
{
    struct model_fixture *f = *state;
    uint64_t v;
    for (uint64_t off = 0; off < 512; off += 0x7f) {
        assert_int_equal(vpci_bar_read(f->dev, 1, off & ~3ull, 4, &v), 0);
        assert_int_equal(v, 0xbeefbeef);
        assert_int_equal(vpci_bar_read(f->dev, 1, off, 1, &v), 0);
        assert_int_equal(v, 0xef);
        assert_int_equal(vpci_bar_read(f->dev, 1, off & ~1ull, 2, &v), 0);
        assert_int_equal(v, 0xbeef);
    }
    assert_int_equal(vpci_bar_write(f->dev, 1, 0x10, 4, 0), 0);
    assert_int_equal(vpci_bar_read(f->dev, 1, 0x10, 4, &v), 0);
    assert_int_equal(v, 0xbeefbeef);
}

static void virt_pci_bar0_upper_half_reads_zero_and_ignores_writes(
    void **state)
{
    struct model_fixture *f = *state;
    for (uint32_t off = 0x100; off < 0x200; off += 4) {
        wr32(f, off, 0xffffffff);
        assert_int_equal(rd32(f, off), 0);
    }
    /* and the registers did not move: VERSION is still at 0 */
    assert_int_equal(rd32(f, VIRT_PCI_VERSION), VIRT_PCI_VERSION_VALUE);
}

/* ---- the seed's sample app, step by step ---- */

static void mul_over_1024_random_words(struct model_fixture *f, uint32_t factor,
                                       uint32_t src, uint32_t dst,
                                       uint32_t seed)
{
    uint32_t in[WORDS];
    uint32_t max = factor == 2 ? 0x80000000u : 0x40000000u;
    for (unsigned i = 0; i < WORDS; i++)
        in[i] = next_random(&seed) % max;
    in[0] = max - 1;      /* as the app: the largest value that fits */
    in[WORDS - 1] = 0;
    for (unsigned i = 0; i < WORDS; i++)
        put32(f->h, src + 4 * i, in[i]);
    unsigned rises = f->h->intx_rises;
    kick(f, src, dst, 4 * WORDS,
         factor == 2 ? VIRT_PCI_CTRL_MUL2 : VIRT_PCI_CTRL_MUL4);
    /* done when the write returns: status, interrupt and data */
    uint32_t bit = factor == 2 ? VIRT_PCI_INT_MUL2 : VIRT_PCI_INT_MUL4;
    assert_true(f->h->intx);
    assert_int_equal(f->h->intx_rises, rises + 1);
    assert_int_equal(seed_isr(f), bit);
    assert_false(f->h->intx);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    for (unsigned i = 0; i < WORDS; i++)
        assert_int_equal(ram32(f->h, dst + 4 * i), in[i] * factor);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), VIRT_PCI_ERR_NONE);
}

static void virt_pci_replays_the_seed_sample_app(void **state)
{
    struct model_fixture *f = *state;
    /* Phase 1: GET_VERSION */
    assert_int_equal(rd32(f, VIRT_PCI_VERSION), 0x12345678);

    /* DOINT: the interrupt comes at once, the ISR acknowledges it */
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_true(f->h->intx);
    assert_int_equal(seed_isr(f), VIRT_PCI_INT_DOINT);
    assert_false(f->h->intx);

    /* Phase 2: write i*16+16 to 0x00..0x1C, read back */
    const uint32_t expect[8] = { 0x12345678, 0xbeefbeef, 0, 64,
                                 80,         96,         112, 0xbeefbeef };
    for (unsigned i = 0; i < 8; i++) {
        wr32(f, 4 * i, i * 16 + 16);
        assert_int_equal(rd32(f, 4 * i), expect[i]);
    }
    assert_false(f->h->intx);   /* CTRL = 0x20 and INT_CLEAR = 0x80 did nothing */

    /* Phase 3: RESET restores INT_MASK and the DMA registers */
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_RESET);
    assert_int_equal(rd32(f, VIRT_PCI_INT_MASK), 0xffffffff);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_SRC), 0);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_DST), 0);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_SIZE), 0);

    /* Phase 4: MUL2 in one coherent buffer (source = destination) */
    mul_over_1024_random_words(f, 2, IN_BUF, IN_BUF, 1);
    /* Phase 5: MUL4 between two streaming buffers */
    snapshot(f);
    mul_over_1024_random_words(f, 4, IN_BUF, OUT_BUF, 2);
    assert_ram_unchanged_outside(f, IN_BUF, OUT_BUF + 4 * WORDS - IN_BUF);
}

static void virt_pci_multiplies_modulo_2_32(void **state)
{
    struct model_fixture *f = *state;
    const uint32_t in[4] = { 0xffffffff, 0x80000000, 0x40000001, 3 };
    for (unsigned i = 0; i < 4; i++)
        put32(f->h, IN_BUF + 4 * i, in[i]);
    kick(f, IN_BUF, OUT_BUF, 16, VIRT_PCI_CTRL_MUL2);
    assert_int_equal(ram32(f->h, OUT_BUF), 0xfffffffe);
    assert_int_equal(ram32(f->h, OUT_BUF + 4), 0);
    assert_int_equal(ram32(f->h, OUT_BUF + 8), 0x80000002);
    assert_int_equal(ram32(f->h, OUT_BUF + 12), 6);
    kick(f, IN_BUF, OUT_BUF, 16, VIRT_PCI_CTRL_MUL4);
    assert_int_equal(ram32(f->h, OUT_BUF), 0xfffffffc);
    assert_int_equal(ram32(f->h, OUT_BUF + 4), 0);
    assert_int_equal(ram32(f->h, OUT_BUF + 8), 0x00000004);
    assert_int_equal(ram32(f->h, OUT_BUF + 12), 12);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS),
                     VIRT_PCI_INT_MUL2 | VIRT_PCI_INT_MUL4);
}

static void virt_pci_ctrl_lowest_set_command_bit_acts(void **state)
{
    struct model_fixture *f = *state;
    put32(f->h, IN_BUF, 5);
    wr32(f, VIRT_PCI_SCRATCH, 0x1234);
    /* MUL4 | RESET: MUL4 runs, no reset */
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL4 | VIRT_PCI_CTRL_RESET);
    assert_int_equal(ram32(f->h, OUT_BUF), 20);
    assert_int_equal(rd32(f, VIRT_PCI_SCRATCH), 0x1234);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_MUL4);
    /* RESET | DOINT: the reset, no interrupt */
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_RESET | VIRT_PCI_CTRL_DOINT);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    assert_int_equal(rd32(f, VIRT_PCI_SCRATCH), 0);
    assert_false(f->h->intx);
    /* MUL2 | MUL4 | DOINT: MUL2 only */
    kick(f, IN_BUF, OUT_BUF, 4, 0xb);
    assert_int_equal(ram32(f->h, OUT_BUF), 10);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_MUL2);
    /* no command bit: nothing */
    wr32(f, VIRT_PCI_CTRL, 0xfffffff0);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_MUL2);
    assert_int_equal(rd32(f, VIRT_PCI_CTRL), 0xbeefbeef);
}

static void virt_pci_partial_ctrl_write_acts_on_the_bits_written(void **state)
{
    struct model_fixture *f = *state;
    /* bits 15:8: no command */
    testhost_bar_wr(f->dev, 0, VIRT_PCI_CTRL + 1, 1, 0xff);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    testhost_bar_wr(f->dev, 0, VIRT_PCI_CTRL, 1, VIRT_PCI_CTRL_DOINT);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_DOINT);
    /* a byte write at INT_CLEAR clears the bits it writes */
    testhost_bar_wr(f->dev, 0, VIRT_PCI_INT_CLEAR, 1, VIRT_PCI_INT_DOINT);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    assert_false(f->h->intx);
}

/* ---- interrupts ---- */

static void virt_pci_int_mask_gates_mul_but_not_doint(void **state)
{
    struct model_fixture *f = *state;
    wr32(f, VIRT_PCI_INT_MASK, ~(VIRT_PCI_INT_MUL2 | VIRT_PCI_INT_MUL4 |
                                 VIRT_PCI_INT_DOINT));
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL2);
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL4);
    /* status says done, no interrupt */
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS),
                     VIRT_PCI_INT_MUL2 | VIRT_PCI_INT_MUL4);
    assert_false(f->h->intx);
    assert_int_equal(f->h->intx_rises, 0);
    /* DOINT interrupts whatever INT_MASK says */
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_true(f->h->intx);
    /* the line drops only when INT_STATUS has no source left */
    wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_DOINT);
    assert_true(f->h->intx);
    wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_MUL2 | VIRT_PCI_INT_MUL4);
    assert_false(f->h->intx);
    /* bit0 enabled alone: MUL2 interrupts, MUL4 does not */
    wr32(f, VIRT_PCI_INT_MASK, VIRT_PCI_INT_MUL2);
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL4);
    assert_false(f->h->intx);
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL2);
    assert_true(f->h->intx);
}

static void virt_pci_int_clear_deasserts_when_status_becomes_zero(
    void **state)
{
    struct model_fixture *f = *state;
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL2);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_true(f->h->intx);
    assert_int_equal(f->h->intx_rises, 1);
    wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_MUL2);
    assert_true(f->h->intx);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_DOINT);
    wr32(f, VIRT_PCI_INT_CLEAR, 0xffffffff);
    assert_false(f->h->intx);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    /* INTx Disable holds the pin low, STATUS.INTERRUPT still tells */
    testhost_command(f->dev, PCI_COMMAND_INTX_DISABLE);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_false(f->h->intx);
    assert_true(vpci_cfg_read(f->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

/* ---- reset ---- */

static void set_every_register(struct model_fixture *f)
{
    wr32(f, VIRT_PCI_INT_MASK, 0x40);
    for (unsigned i = 0; i < VIRT_PCI_SCRATCH_COUNT; i++)
        wr32(f, VIRT_PCI_SCRATCH + 4 * i, 0xa5a50000u | i);
    kick(f, IN_BUF, OUT_BUF, 4096 + 4, VIRT_PCI_CTRL_MUL2); /* an error */
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_true(f->h->intx);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), VIRT_PCI_ERR_SIZE);
}

static void assert_registers_at_reset(struct model_fixture *f)
{
    assert_int_equal(rd32(f, VIRT_PCI_VERSION), VIRT_PCI_VERSION_VALUE);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    assert_int_equal(rd32(f, VIRT_PCI_INT_MASK), 0xffffffff);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_SRC), 0);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_DST), 0);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_SIZE), 0);
    for (unsigned i = 0; i < VIRT_PCI_SCRATCH_COUNT; i++)
        assert_int_equal(rd32(f, VIRT_PCI_SCRATCH + 4 * i), 0);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), 0);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_ADDR), 0);
    assert_false(f->h->intx);
}

static void virt_pci_soft_reset_restores_every_register(void **state)
{
    struct model_fixture *f = *state;
    set_every_register(f);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_RESET);
    assert_registers_at_reset(f);
    /* config space is left alone: still decoding and mastering */
    assert_int_equal(vpci_cfg_read(f->dev, PCI_COMMAND, 2) & 7, 7);
}

static void virt_pci_device_reset_restores_every_register(void **state)
{
    struct model_fixture *f = *state;
    set_every_register(f);
    assert_int_equal(vpci_dev_reset(f->dev, VPCI_RESET_CONVENTIONAL, NULL), 0);
    testhost_place_bar(f->dev, 0);
    testhost_command(f->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_registers_at_reset(f);
}

static void virt_pci_scratch_reads_back_0x20_to_0xfc(void **state)
{
    struct model_fixture *f = *state;
    for (uint32_t off = VIRT_PCI_SCRATCH; off <= 0xfc; off += 4)
        wr32(f, off, ~off);
    for (uint32_t off = VIRT_PCI_SCRATCH; off <= 0xfc; off += 4)
        assert_int_equal(rd32(f, off), ~off);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), 0);
}

/* ---- the fixed corners ---- */

/* A job that fails: done bit + ERROR, the code, the interrupt. */
static void assert_failed_job(struct model_fixture *f, uint32_t done_bit,
                              uint32_t code, uint32_t addr)
{
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS),
                     done_bit | VIRT_PCI_INT_ERROR);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), code);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_ADDR), addr);
    assert_true(f->h->intx);
    assert_true(testhost_logged(f->h, "virt-pci: MUL"));
}

static void virt_pci_size_above_4096_is_an_error_with_no_dma(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    unsigned calls = f->h->dma_calls;
    kick(f, IN_BUF, OUT_BUF, 4096 + 4, VIRT_PCI_CTRL_MUL2);
    assert_failed_job(f, VIRT_PCI_INT_MUL2, VIRT_PCI_ERR_SIZE, 0);
    assert_int_equal(f->h->dma_calls, calls);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
    /* 4096 itself is fine */
    kick(f, IN_BUF, OUT_BUF, 4096, VIRT_PCI_CTRL_MUL4);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), VIRT_PCI_ERR_NONE);
    assert_int_equal(ram32(f->h, OUT_BUF + 4092),
                     ram32(f->h, IN_BUF + 4092) * 4);
}

static void virt_pci_unaligned_size_is_an_error_with_no_dma(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    kick(f, IN_BUF, OUT_BUF, 6, VIRT_PCI_CTRL_MUL4);
    assert_failed_job(f, VIRT_PCI_INT_MUL4, VIRT_PCI_ERR_ALIGN, 0);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
}

static void virt_pci_source_fault_writes_nothing(void **state)
{
    struct model_fixture *f = *state;
    testhost_add_fault(f->h, IN_BUF + PAGE, PAGE, EFAULT);
    snapshot(f);
    /* the source runs into the faulting page after 2 KiB */
    kick(f, IN_BUF + PAGE / 2, OUT_BUF, 4096, VIRT_PCI_CTRL_MUL2);
    assert_failed_job(f, VIRT_PCI_INT_MUL2, VIRT_PCI_ERR_SRC, IN_BUF + PAGE);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
}

static void virt_pci_destination_fault_stops_at_the_faulting_page(
    void **state)
{
    struct model_fixture *f = *state;
    const uint32_t dst = OUT_BUF + PAGE - 1024;  /* 1 KiB before the fault */
    testhost_add_fault(f->h, OUT_BUF + PAGE, PAGE, EACCES);
    snapshot(f);
    kick(f, IN_BUF, dst, 4096, VIRT_PCI_CTRL_MUL4);
    assert_failed_job(f, VIRT_PCI_INT_MUL4, VIRT_PCI_ERR_DST, OUT_BUF + PAGE);
    /* the bytes before the faulting page hold the result */
    for (unsigned i = 0; i < 1024; i += 4)
        assert_int_equal(ram32(f->h, dst + i), ram32(f->h, IN_BUF + i) * 4);
    /* nothing else changed, the rest of the destination included */
    assert_ram_unchanged_outside(f, dst, 1024);
}

static void virt_pci_bus_master_off_is_an_error_with_no_dma(void **state)
{
    struct model_fixture *f = *state;
    vpci_cfg_write(f->dev, PCI_COMMAND, 2,
                   PCI_COMMAND_IO | PCI_COMMAND_MEMORY, NULL);
    snapshot(f);
    kick(f, IN_BUF, IN_BUF, 4096, VIRT_PCI_CTRL_MUL2);
    assert_failed_job(f, VIRT_PCI_INT_MUL2, VIRT_PCI_ERR_MASTER, 0);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
}

static void virt_pci_dma_beyond_4gib_is_a_source_error(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    kick(f, 0xfffffffc, OUT_BUF, 8, VIRT_PCI_CTRL_MUL2);
    assert_failed_job(f, VIRT_PCI_INT_MUL2, VIRT_PCI_ERR_SRC, 0xfffffffc);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
}

static void virt_pci_error_does_not_hold_intx_for_the_seed_isr(void **state)
{
    struct model_fixture *f = *state;
    kick(f, IN_BUF, OUT_BUF, 4097, VIRT_PCI_CTRL_MUL2);
    assert_true(f->h->intx);
    /* the seed's ISR knows bits 0, 1, 3 only: the line still drops */
    assert_int_equal(seed_isr(f), VIRT_PCI_INT_MUL2 | VIRT_PCI_INT_ERROR);
    assert_false(f->h->intx);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_ERROR);
    wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_ERROR);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
    /* the error registers describe the last job: a good one clears them */
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), VIRT_PCI_ERR_SIZE);
    kick(f, IN_BUF, OUT_BUF, 4, VIRT_PCI_CTRL_MUL2);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), VIRT_PCI_ERR_NONE);
}

static void virt_pci_size_zero_is_a_job_of_nothing(void **state)
{
    struct model_fixture *f = *state;
    snapshot(f);
    unsigned calls = f->h->dma_calls;
    kick(f, IN_BUF, OUT_BUF, 0, VIRT_PCI_CTRL_MUL4);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), VIRT_PCI_INT_MUL4);
    assert_true(f->h->intx);
    assert_int_equal(f->h->dma_calls, calls);
    assert_memory_equal(f->h->ram, f->snap, RAM_SIZE);
}

/* ---- properties ---- */

static void virt_pci_msi_property_sends_one_message_per_event(void **state)
{
    struct model_fixture *f = *state;
    recreate(f, "msi=on");
    unsigned cap = VIRT_PCI_MSI_CAP;
    assert_int_equal(vpci_cfg_read(f->dev, PCI_CAPABILITY_LIST, 1), cap);
    assert_int_equal(vpci_cfg_read(f->dev, cap, 1), PCI_CAP_ID_MSI);
    assert_int_equal(vpci_cfg_read(f->dev, cap + 1, 1), 0);
    uint16_t flags = (uint16_t)vpci_cfg_read(f->dev, cap + PCI_MSI_FLAGS, 2);
    assert_true(flags & PCI_MSI_FLAGS_64BIT);
    assert_true(flags & PCI_MSI_FLAGS_MASKBIT);
    assert_int_equal(flags & PCI_MSI_FLAGS_QMASK, 0);   /* 1 vector */
    assert_int_equal(vpci_cfg_size(f->dev), 256);
    testhost_enable_msi(f->dev, cap, 0xfee00000, 0x4041);

    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    kick(f, IN_BUF, OUT_BUF, 64, VIRT_PCI_CTRL_MUL2);
    kick(f, IN_BUF, OUT_BUF, 64, VIRT_PCI_CTRL_MUL4);
    kick(f, IN_BUF, OUT_BUF, 3, VIRT_PCI_CTRL_MUL4);   /* an error too */
    assert_int_equal(f->h->nmsi, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(f->h->msi[i].addr, 0xfee00000);
        assert_int_equal(f->h->msi[i].data, 0x4041);
    }
    assert_false(f->h->intx);
    wr32(f, VIRT_PCI_INT_CLEAR, 0xff);
    /* a masked vector holds the message until unmasked */
    vpci_cfg_write(f->dev, cap + PCI_MSI_MASK_64, 4, 1, NULL);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_int_equal(f->h->nmsi, 4);
    assert_true(vpci_irq_pending(f->dev, 0));
    vpci_cfg_write(f->dev, cap + PCI_MSI_MASK_64, 4, 0, NULL);
    assert_int_equal(f->h->nmsi, 5);
}

static void virt_pci_msix_property_puts_the_table_in_bar2(void **state)
{
    struct model_fixture *f = *state;
    recreate(f, "msix=on");
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(f->dev, 2, &bi), 0);
    assert_int_equal(bi.kind, VPCI_BAR_MEM32);
    assert_int_equal(bi.size, VIRT_PCI_MSIX_BAR_SIZE);
    unsigned cap = VIRT_PCI_MSIX_CAP;
    assert_int_equal(vpci_cap_find(f->dev, PCI_CAP_ID_MSIX), cap);
    assert_int_equal(vpci_cap_find(f->dev, PCI_CAP_ID_MSI), 0);
    assert_int_equal(vpci_cfg_read(f->dev, cap + PCI_MSIX_FLAGS, 2), 0); /* 1 vector */
    assert_int_equal(vpci_cfg_read(f->dev, cap + PCI_MSIX_TABLE, 4), 2);
    assert_int_equal(vpci_cfg_read(f->dev, cap + PCI_MSIX_PBA, 4),
                     VIRT_PCI_MSIX_PBA | 2);
    /* BAR0 and BAR1 are still the seed's */
    assert_int_equal(vpci_bar_info(f->dev, 0, &bi), 0);
    assert_int_equal(bi.size, 512);
    assert_int_equal(rd32(f, 0x100), 0);

    assert_int_equal(vpci_bar_write(f->dev, 2, PCI_MSIX_ENTRY_LOWER_ADDR, 4,
                                    0xfee01000), 0);
    assert_int_equal(vpci_bar_write(f->dev, 2, PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0),
                     0);
    assert_int_equal(vpci_bar_write(f->dev, 2, PCI_MSIX_ENTRY_DATA, 4, 0x55),
                     0);
    assert_int_equal(vpci_bar_write(f->dev, 2, PCI_MSIX_ENTRY_VECTOR_CTRL, 4,
                                    0), 0);
    vpci_cfg_write(f->dev, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE,
                   NULL);
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_MSIX);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    kick(f, IN_BUF, OUT_BUF, 64, VIRT_PCI_CTRL_MUL2);
    assert_int_equal(f->h->nmsi, 2);
    assert_int_equal(f->h->msi[1].addr, 0xfee01000);
    assert_int_equal(f->h->msi[1].data, 0x55);
    assert_false(f->h->intx);
}

static void virt_pci_msi_and_msix_together_link_both(void **state)
{
    struct model_fixture *f = *state;
    recreate(f, "msi=on,msix=on");
    assert_int_equal(vpci_cfg_read(f->dev, PCI_CAPABILITY_LIST, 1),
                     VIRT_PCI_MSI_CAP);
    assert_int_equal(vpci_cfg_read(f->dev, VIRT_PCI_MSI_CAP + 1, 1),
                     VIRT_PCI_MSIX_CAP);
    assert_int_equal(vpci_cfg_read(f->dev, VIRT_PCI_MSIX_CAP + 1, 1), 0);
}

static void virt_pci_pcie_property_makes_an_express_endpoint(void **state)
{
    struct model_fixture *f = *state;
    recreate(f, "pcie=on,msi=on");
    assert_true(vpci_dev_is_express(f->dev));
    assert_int_equal(vpci_cfg_size(f->dev), 4096);
    unsigned cap = vpci_cap_find(f->dev, PCI_CAP_ID_EXP);
    assert_int_equal(cap, VIRT_PCI_PCIE_CAP);
    uint16_t flags = (uint16_t)vpci_cfg_read(f->dev, cap + PCI_EXP_FLAGS, 2);
    assert_int_equal(flags & PCI_EXP_FLAGS_VERS, 2);
    assert_int_equal((flags & PCI_EXP_FLAGS_TYPE) >> 4, PCI_EXP_TYPE_ENDPOINT);
    assert_true(vpci_cfg_read(f->dev, cap + PCI_EXP_DEVCAP, 4) &
                PCI_EXP_DEVCAP_FLR);
    /* the registers still work as the seed's */
    assert_int_equal(rd32(f, VIRT_PCI_VERSION), VIRT_PCI_VERSION_VALUE);
}

static void virt_pci_pcie_without_msi_or_msix_is_refused(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_dev *dev = NULL;
    assert_int_equal(vpci_dev_create(vpci_model_find("virt-pci"), "pcie=on",
                                     &testhost_ops, f->h, &dev),
                     -EINVAL);
    assert_null(dev);
    assert_true(testhost_logged(f->h, "pcie=on needs msi=on or msix=on"));
    assert_int_equal(vpci_dev_create(vpci_model_find("virt-pci"), "msi=maybe",
                                     &testhost_ops, f->h, &dev),
                     -EINVAL);
    assert_int_equal(vpci_dev_create(vpci_model_find("virt-pci"), "bogus=1",
                                     &testhost_ops, f->h, &dev),
                     -EINVAL);
}

#define T(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, setup, model_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(virt_pci_default_identity_is_exactly_the_seeds),
        T(virt_pci_bar1_reads_beefbeef_low_bytes_and_ignores_writes),
        T(virt_pci_bar0_upper_half_reads_zero_and_ignores_writes),
        T(virt_pci_replays_the_seed_sample_app),
        T(virt_pci_multiplies_modulo_2_32),
        T(virt_pci_ctrl_lowest_set_command_bit_acts),
        T(virt_pci_partial_ctrl_write_acts_on_the_bits_written),
        T(virt_pci_int_mask_gates_mul_but_not_doint),
        T(virt_pci_int_clear_deasserts_when_status_becomes_zero),
        T(virt_pci_soft_reset_restores_every_register),
        T(virt_pci_device_reset_restores_every_register),
        T(virt_pci_scratch_reads_back_0x20_to_0xfc),
        T(virt_pci_size_above_4096_is_an_error_with_no_dma),
        T(virt_pci_unaligned_size_is_an_error_with_no_dma),
        T(virt_pci_source_fault_writes_nothing),
        T(virt_pci_destination_fault_stops_at_the_faulting_page),
        T(virt_pci_bus_master_off_is_an_error_with_no_dma),
        T(virt_pci_dma_beyond_4gib_is_a_source_error),
        T(virt_pci_error_does_not_hold_intx_for_the_seed_isr),
        T(virt_pci_size_zero_is_a_job_of_nothing),
        T(virt_pci_msi_property_sends_one_message_per_event),
        T(virt_pci_msix_property_puts_the_table_in_bar2),
        T(virt_pci_msi_and_msix_together_link_both),
        T(virt_pci_pcie_property_makes_an_express_endpoint),
        T(virt_pci_pcie_without_msi_or_msix_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
