/* SPDX-License-Identifier: MIT */
/*
 * virt-pci through the mock host: the seed's sample app (app1.c) and
 * driver (vpci_drv.c) sequence, replayed as CPU accesses to the BARs that
 * firmware enumeration assigned, with buffers in guest RAM and the
 * interrupt seen where the machine sees it (the INTx GSI, MSI and MSI-X
 * events); then the fixed corners, with an IOMMU, checking that guest
 * memory outside the destination is byte-for-byte unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

#include <vpci/models/virt_pci.h>

#define PAGE 4096u
#define WORDS 1024u
#define MIB (1u << 20)
/* Guest RAM the tests use (q35 RAM starts at 0); IOVAs equal PAs here. */
#define WIN_BASE (8 * MIB)
#define WIN_SIZE (1 * MIB)
#define COHERENT (WIN_BASE + 0x10000)   /* MUL2: source = destination */
#define STREAM_IN (WIN_BASE + 0x20000)  /* MUL4: two buffers */
#define STREAM_OUT (WIN_BASE + 0x30000)
#define MSI_DATA 0x4321u

struct fixture {
    struct mt_machine mm;
    struct vpci_mock *m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev;
    uint64_t bar0;
    uint16_t io;
    int gsi;
    uint8_t *snap;
};

static struct fixture *machine(bool iommu, const char *spec)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(mt_machine_new(&f->mm, VPCI_MOCK_Q35, 0, iommu), 0);
    f->m = f->mm.m;
    assert_int_equal(vpci_mock_add(f->m, spec, &f->fn), 0);
    assert_int_equal(vpci_mock_enumerate(f->m), 0);
    f->dev = vpci_mock_fn_dev(f->fn);
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(f->dev, 0, &bi), 0);
    assert_true(bi.mapped);
    f->bar0 = bi.addr;
    assert_int_equal(vpci_bar_info(f->dev, 1, &bi), 0);
    assert_true(bi.mapped);
    f->io = (uint16_t)bi.addr;
    f->gsi = vpci_mock_fn_gsi(f->fn);
    assert_true(f->gsi >= 0);
    f->snap = malloc(WIN_SIZE);
    assert_non_null(f->snap);
    return f;
}

static void machine_free(struct fixture *f)
{
    mt_machine_free(&f->mm);
    free(f->snap);
    free(f);
}

static uint32_t rd32(struct fixture *f, uint32_t off)
{
    return (uint32_t)vpci_mock_read(f->m, f->bar0 + off, 4);
}

static void wr32(struct fixture *f, uint32_t off, uint32_t v)
{
    vpci_mock_write(f->m, f->bar0 + off, 4, v);
}

static bool intx(struct fixture *f)
{
    return vpci_mock_gsi_level(f->m, (unsigned)f->gsi);
}

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void snapshot(struct fixture *f)
{
    vpci_mock_memread(f->m, WIN_BASE, f->snap, WIN_SIZE);
}

/* The RAM window is as snapshot except [skip, skip + len). */
static void assert_window_unchanged_outside(struct fixture *f, uint64_t skip,
                                            uint64_t len)
{
    uint8_t *now = malloc(WIN_SIZE);
    assert_non_null(now);
    vpci_mock_memread(f->m, WIN_BASE, now, WIN_SIZE);
    uint64_t a = skip - WIN_BASE, b = a + len;
    assert_memory_equal(now, f->snap, a);
    assert_memory_equal(now + b, f->snap + b, WIN_SIZE - b);
    free(now);
}

static void fill_window(struct fixture *f, uint32_t seed)
{
    uint8_t *buf = malloc(WIN_SIZE);
    assert_non_null(buf);
    for (unsigned i = 0; i < WIN_SIZE; i++)
        buf[i] = (uint8_t)next_random(&seed);
    vpci_mock_memwrite(f->m, WIN_BASE, buf, WIN_SIZE);
    free(buf);
}

/* The seed driver's ISR: read INT_STATUS, clear the bits 0, 1, 3 seen. */
static uint32_t seed_isr(struct fixture *f)
{
    uint32_t is = rd32(f, VIRT_PCI_INT_STATUS);
    const uint32_t bits[] = { VIRT_PCI_INT_MUL2, VIRT_PCI_INT_MUL4,
                              VIRT_PCI_INT_DOINT };
    for (unsigned i = 0; i < 3; i++)
        if (is & bits[i])
            wr32(f, VIRT_PCI_INT_CLEAR, bits[i]);
    return is;
}

/* How the test sees "the interrupt came": INTx level or message count. */
enum irq_kind { IRQ_INTX, IRQ_MSI };

static unsigned events(struct fixture *f, enum irq_kind k)
{
    return k == IRQ_MSI ? vpci_mock_msi_count_data(f->m, MSI_DATA)
                        : vpci_mock_gsi_raises(f->m, (unsigned)f->gsi);
}

/* VPCI_IOC_KICK_MUL2/4 on 1024 random words (the app's phases 4, 5). */
static void kick_mul(struct fixture *f, enum irq_kind k, uint32_t factor,
                     uint32_t src, uint32_t dst, uint32_t seed)
{
    uint32_t in[WORDS], out[WORDS];
    uint32_t max = factor == 2 ? 0x80000000u : 0x40000000u;
    for (unsigned i = 0; i < WORDS; i++)
        in[i] = next_random(&seed) % max;
    in[0] = max - 1;
    in[WORDS - 1] = 0;
    vpci_mock_memwrite(f->m, src, in, sizeof(in));
    snapshot(f);
    unsigned before = events(f, k);
    wr32(f, VIRT_PCI_DMA_SRC, src);
    wr32(f, VIRT_PCI_DMA_DST, dst);
    wr32(f, VIRT_PCI_DMA_SIZE, 4 * WORDS);
    wr32(f, VIRT_PCI_CTRL, factor == 2 ? VIRT_PCI_CTRL_MUL2
                                       : VIRT_PCI_CTRL_MUL4);
    /* wait_for_completion(): the interrupt has come */
    assert_int_equal(events(f, k), before + 1);
    if (k == IRQ_INTX)
        assert_true(intx(f));
    assert_int_equal(seed_isr(f), factor == 2 ? VIRT_PCI_INT_MUL2
                                              : VIRT_PCI_INT_MUL4);
    assert_false(intx(f));
    vpci_mock_memread(f->m, dst, out, sizeof(out));
    for (unsigned i = 0; i < WORDS; i++)
        assert_int_equal(out[i], in[i] * factor);
    assert_window_unchanged_outside(f, dst, sizeof(out));
}

/* app1.c from GET_VERSION to KICK_MUL4, as the driver does each ioctl. */
static void run_sample_app(struct fixture *f, enum irq_kind k)
{
    /* Phase 1: GET_VERSION */
    assert_int_equal(rd32(f, VIRT_PCI_VERSION), 0x12345678);
    /* DOINT */
    unsigned before = events(f, k);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_DOINT);
    assert_int_equal(events(f, k), before + 1);
    assert_int_equal(intx(f), k == IRQ_INTX);
    assert_int_equal(seed_isr(f), VIRT_PCI_INT_DOINT);
    assert_false(intx(f));
    /* Phase 2: WRITE_REG / READ_REG of 0x00..0x1C */
    const uint32_t expect[8] = { 0x12345678, 0xbeefbeef, 0, 64,
                                 80,         96,         112, 0xbeefbeef };
    for (unsigned i = 0; i < 8; i++) {
        wr32(f, 4 * i, i * 16 + 16);
        assert_int_equal(rd32(f, 4 * i), expect[i]);
    }
    /* Phase 3: RESET */
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_RESET);
    assert_int_equal(rd32(f, VIRT_PCI_INT_MASK), 0xffffffff);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_SRC), 0);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_DST), 0);
    assert_int_equal(rd32(f, VIRT_PCI_DMA_SIZE), 0);
    /* Phases 4 and 5 */
    kick_mul(f, k, 2, COHERENT, COHERENT, 11);
    kick_mul(f, k, 4, STREAM_IN, STREAM_OUT, 12);
    assert_int_equal(vpci_mock_errors(f->m), 0);
}

/* Program MSI (address: the doorbell) as the kernel would. */
static void enable_msi(struct fixture *f)
{
    uint8_t bus = vpci_mock_fn_bus(f->fn), d = vpci_mock_fn_devfn(f->fn);
    unsigned cap = vpci_cap_find(f->dev, PCI_CAP_ID_MSI);
    assert_int_equal(cap, VIRT_PCI_MSI_CAP);
    uint64_t db = vpci_mock_get_map(f->m)->msi_base;
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_ADDRESS_LO, 4,
                        (uint32_t)db);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_ADDRESS_HI, 4, 0);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_DATA_64, 2, MSI_DATA);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSI_FLAGS, 2,
                        PCI_MSI_FLAGS_ENABLE);
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_MSI);
}

/* Program MSI-X entry 0 through BAR2 and enable it. */
static void enable_msix(struct fixture *f)
{
    uint8_t bus = vpci_mock_fn_bus(f->fn), d = vpci_mock_fn_devfn(f->fn);
    unsigned cap = vpci_cap_find(f->dev, PCI_CAP_ID_MSIX);
    assert_int_equal(cap, VIRT_PCI_MSIX_CAP);
    struct vpci_bar_info bi;
    assert_int_equal(vpci_bar_info(f->dev, VIRT_PCI_MSIX_BAR, &bi), 0);
    assert_true(bi.mapped);
    uint64_t db = vpci_mock_get_map(f->m)->msi_base;
    vpci_mock_write(f->m, bi.addr + PCI_MSIX_ENTRY_LOWER_ADDR, 4, db);
    vpci_mock_write(f->m, bi.addr + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
    vpci_mock_write(f->m, bi.addr + PCI_MSIX_ENTRY_DATA, 4, MSI_DATA);
    vpci_mock_write(f->m, bi.addr + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    vpci_mock_cfg_write(f->m, bus, d, cap + PCI_MSIX_FLAGS, 2,
                        PCI_MSIX_FLAGS_ENABLE);
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_MSIX);
}

/* ------------------------------------------------------------------ */

static void virt_pci_enumerates_with_the_seeds_identity(void **state)
{
    (void)state;
    struct fixture *f = machine(false, "virt-pci,addr=02.0");
    uint8_t bus = vpci_mock_fn_bus(f->fn), d = vpci_mock_fn_devfn(f->fn);
    assert_int_equal(d, MT_DEVFN(2, 0));
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d, PCI_VENDOR_ID, 4),
                     0x00011234);
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d, PCI_CLASS_REVISION, 4),
                     0x00ff0000);
    assert_int_equal(vpci_mock_cfg_read(f->m, bus, d, PCI_CAPABILITY_LIST, 1),
                     0);
    const struct vpci_mock_map *map = vpci_mock_get_map(f->m);
    assert_true(f->bar0 >= map->mmio32_base &&
                f->bar0 < map->mmio32_base + map->mmio32_size);
    assert_int_equal(f->bar0 % 512, 0);
    /* BAR1: 0xBEEFBEEF whatever the port and width; writes ignored */
    assert_int_equal(vpci_mock_in(f->m, f->io, 4), 0xbeefbeef);
    assert_int_equal(vpci_mock_in(f->m, (uint16_t)(f->io + 0x1fe), 2), 0xbeef);
    vpci_mock_out(f->m, (uint16_t)(f->io + 3), 1, 0);
    assert_int_equal(vpci_mock_in(f->m, (uint16_t)(f->io + 3), 1), 0xef);
    /* BAR0: registers, then zeros */
    assert_int_equal(rd32(f, VIRT_PCI_VERSION), 0x12345678);
    assert_int_equal(rd32(f, 0x1fc), 0);
    assert_false(intx(f));
    machine_free(f);
}

static void virt_pci_sample_app_over_intx(void **state)
{
    (void)state;
    struct fixture *f = machine(false, "virt-pci,addr=02.0");
    fill_window(f, 1);
    run_sample_app(f, IRQ_INTX);
    assert_int_equal(vpci_mock_msi_count(f->m), 0);
    machine_free(f);
}

static void virt_pci_sample_app_over_msi(void **state)
{
    (void)state;
    struct fixture *f = machine(false, "virt-pci,addr=02.0,msi=on");
    fill_window(f, 2);
    enable_msi(f);
    run_sample_app(f, IRQ_MSI);
    assert_int_equal(vpci_mock_msi_count(f->m), 3);   /* DOINT, MUL2, MUL4 */
    assert_int_equal(vpci_mock_gsi_raises(f->m, (unsigned)f->gsi), 0);
    machine_free(f);
}

static void virt_pci_sample_app_over_msix(void **state)
{
    (void)state;
    struct fixture *f = machine(false, "virt-pci,addr=02.0,msi=on,msix=on");
    fill_window(f, 3);
    enable_msix(f);
    run_sample_app(f, IRQ_MSI);
    assert_int_equal(vpci_mock_msi_count(f->m), 3);
    struct vpci_mock_msi ev;
    assert_int_equal(vpci_mock_msi_get(f->m, 0, &ev), 0);
    assert_int_equal(ev.rid, vpci_mock_fn_rid(f->fn));
    assert_int_equal(vpci_mock_gsi_raises(f->m, (unsigned)f->gsi), 0);
    machine_free(f);
}

/* ---- the fixed corners, behind an IOMMU ---- */

/* Kick MUL4 of @size at src -> dst; the job fails with @code: INT_STATUS
 * MUL4|ERROR, ERROR_CODE, the interrupt. */
static void kick_failing(struct fixture *f, uint32_t src, uint32_t dst,
                         uint32_t size, uint32_t code)
{
    unsigned raises = vpci_mock_gsi_raises(f->m, (unsigned)f->gsi);
    wr32(f, VIRT_PCI_DMA_SRC, src);
    wr32(f, VIRT_PCI_DMA_DST, dst);
    wr32(f, VIRT_PCI_DMA_SIZE, size);
    wr32(f, VIRT_PCI_CTRL, VIRT_PCI_CTRL_MUL4);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS),
                     VIRT_PCI_INT_MUL4 | VIRT_PCI_INT_ERROR);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), code);
    assert_true(intx(f));
    assert_int_equal(vpci_mock_gsi_raises(f->m, (unsigned)f->gsi), raises + 1);
    /* the seed's ISR acknowledges MUL4 and the line drops */
    seed_isr(f);
    assert_false(intx(f));
    wr32(f, VIRT_PCI_INT_CLEAR, VIRT_PCI_INT_ERROR);
    assert_int_equal(rd32(f, VIRT_PCI_INT_STATUS), 0);
}

static void virt_pci_fixed_corners_leave_guest_memory_intact(void **state)
{
    (void)state;
    struct fixture *f = machine(true, "virt-pci,addr=02.0");
    uint16_t rid = vpci_mock_fn_rid(f->fn);
    const unsigned rw = VPCI_MOCK_IOMMU_READ | VPCI_MOCK_IOMMU_WRITE;
    /* the window is mapped 1:1 except one page in the middle */
    const uint32_t hole = WIN_BASE + 0x40000;
    assert_int_equal(vpci_mock_iommu_map(f->m, rid, WIN_BASE, WIN_BASE,
                                         hole - WIN_BASE, rw), 0);
    assert_int_equal(vpci_mock_iommu_map(f->m, rid, hole + PAGE, hole + PAGE,
                                         WIN_BASE + WIN_SIZE - hole - PAGE,
                                         rw), 0);
    fill_window(f, 4);

    /* DMA_SIZE > 4096 */
    snapshot(f);
    kick_failing(f, STREAM_IN, STREAM_OUT, PAGE + 4, VIRT_PCI_ERR_SIZE);
    assert_window_unchanged_outside(f, STREAM_OUT, 0);
    /* not a multiple of 4 */
    kick_failing(f, STREAM_IN, STREAM_OUT, 1022, VIRT_PCI_ERR_ALIGN);
    assert_window_unchanged_outside(f, STREAM_OUT, 0);
    /* the source runs into the unmapped page: nothing written */
    kick_failing(f, hole - 64, STREAM_OUT, 256, VIRT_PCI_ERR_SRC);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_ADDR), hole);
    assert_window_unchanged_outside(f, STREAM_OUT, 0);
    /* the destination runs into it: the bytes before it hold the result */
    uint32_t in[64], out[64];
    vpci_mock_memread(f->m, STREAM_IN, in, sizeof(in));
    kick_failing(f, STREAM_IN, hole - 128, 256, VIRT_PCI_ERR_DST);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_ADDR), hole);
    vpci_mock_memread(f->m, hole - 128, out, 128);
    for (unsigned i = 0; i < 32; i++)
        assert_int_equal(out[i], in[i] * 4);
    assert_window_unchanged_outside(f, hole - 128, 128);
    /* the IOMMU saw both faults */
    struct vpci_mock_fault faults[4];
    assert_int_equal(vpci_mock_iommu_faults(f->m, faults, 4), 2);
    assert_int_equal(faults[0].addr, hole);
    assert_false(faults[0].write);
    assert_int_equal(faults[1].addr, hole);
    assert_true(faults[1].write);
    /* bus master off */
    snapshot(f);
    uint8_t bus = vpci_mock_fn_bus(f->fn), d = vpci_mock_fn_devfn(f->fn);
    vpci_mock_cfg_write(f->m, bus, d, PCI_COMMAND, 2,
                        PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    kick_failing(f, STREAM_IN, STREAM_OUT, PAGE, VIRT_PCI_ERR_MASTER);
    assert_window_unchanged_outside(f, STREAM_OUT, 0);
    /* and the device still works afterwards */
    vpci_mock_cfg_write(f->m, bus, d, PCI_COMMAND, 2,
                        PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                            PCI_COMMAND_MASTER);
    kick_mul(f, IRQ_INTX, 2, STREAM_IN, STREAM_OUT, 5);
    assert_int_equal(rd32(f, VIRT_PCI_ERROR_CODE), VIRT_PCI_ERR_NONE);
    machine_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(virt_pci_enumerates_with_the_seeds_identity),
        cmocka_unit_test(virt_pci_sample_app_over_intx),
        cmocka_unit_test(virt_pci_sample_app_over_msi),
        cmocka_unit_test(virt_pci_sample_app_over_msix),
        cmocka_unit_test(virt_pci_fixed_corners_leave_guest_memory_intact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
