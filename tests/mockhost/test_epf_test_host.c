/* SPDX-License-Identifier: MIT */
/*
 * epf-test on the mock host, driven the way Linux 6.1's pci_endpoint_test
 * drives pci-epf-test (drivers/misc/pci_endpoint_test.c): the function is
 * added by spec string and enumerated by the mock firmware; the "driver"
 * below then only uses what a kernel has - config cycles (ECAM), MMIO at
 * the addresses firmware assigned, RAM, the MSI doorbell, the GSI its
 * INTx pin reaches - and the virtual clock stands in for waiting.
 *
 * pcitest.sh's cases: BAR test on every BAR; INTx; MSI 1..32; MSI-X
 * 1..N (N = 2048 on a function with msix_vectors=2048); READ / WRITE /
 * COPY of 1, 1024, 1025, 1024000, 1024001 bytes with the checksum
 * checked by a bitwise CRC-32 of this file's own; invalid addresses
 * (outside RAM, IOMMU faults) reported in STATUS with the interrupt
 * still raised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <vpci/models/epf_test.h>

#include "mocktest.h"

#define MIB (1ull << 20)
#define MS 1000000ull
#define SRC_BUF (16 * MIB)       /* 4 KiB aligned, as default_data asks */
#define DST_BUF (32 * MIB)
#define MSI_DATA 0x4020u         /* low 5 bits free for 32 vectors */
#define MSIX_DATA 0x100u         /* entry i: MSIX_DATA + i */

static const uint32_t xfer_sizes[] = { 1, 1024, 1025, 1024000, 1024001 };
#define NSIZES (sizeof(xfer_sizes) / sizeof(xfer_sizes[0]))

static struct mt_machine mm;

/* What pci_endpoint_test knows of its device after probe. */
struct drv {
    struct vpci_mock *m;
    struct vpci_mock_fn *fn;
    uint8_t bus, devfn;
    uint64_t bar[VPCI_NUM_BARS], len[VPCI_NUM_BARS];
    int gsi;
    uint32_t irq_type;       /* EPF_TEST_IRQ_* in use */
};

/* ---- the test's own CRC: Linux crc32_le, one bit at a time ---- */

static uint32_t ref_crc32_le(uint32_t crc, const uint8_t *p, size_t len)
{
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc;
}

static uint32_t ram_crc(struct vpci_mock *m, uint64_t addr, uint32_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    assert_non_null(buf);
    vpci_mock_memread(m, addr, buf, size);
    uint32_t crc = ref_crc32_le(~0u, buf, size);
    free(buf);
    return crc;
}

/* get_random_bytes() for a host buffer. */
static void ram_random(struct vpci_mock *m, uint64_t addr, uint32_t size,
                       uint32_t seed)
{
    uint8_t *buf = malloc(size ? size : 1);
    assert_non_null(buf);
    for (uint32_t i = 0; i < size; i++) {
        seed = seed * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(seed >> 24);
    }
    vpci_mock_memwrite(m, addr, buf, size);
    free(buf);
}

/* ---- the driver ---- */

static uint32_t cfg_rd(struct drv *d, unsigned off, unsigned len)
{
    return mt_cfg_read(d->m, MT_ECAM, d->bus, d->devfn, off, len);
}

static void cfg_wr(struct drv *d, unsigned off, unsigned len, uint32_t v)
{
    mt_cfg_write(d->m, MT_ECAM, d->bus, d->devfn, off, len, v);
}

static uint32_t readl(struct drv *d, uint32_t off)
{
    return (uint32_t)vpci_mock_read(d->m, d->bar[0] + off, 4);
}

static void writel(struct drv *d, uint32_t off, uint32_t v)
{
    vpci_mock_write(d->m, d->bar[0] + off, 4, v);
}

/* Add @spec, enumerate, and probe: the BARs' addresses and lengths as
 * the PCI core would record them (sizing with decode off). */
static void probe(struct drv *d, const char *spec)
{
    memset(d, 0, sizeof(*d));
    d->m = mm.m;
    assert_int_equal(vpci_mock_add(d->m, spec, &d->fn), 0);
    assert_int_equal(vpci_mock_enumerate(d->m), 0);
    d->bus = vpci_mock_fn_bus(d->fn);
    d->devfn = vpci_mock_fn_devfn(d->fn);
    d->gsi = vpci_mock_fn_gsi(d->fn);
    uint16_t cmd = (uint16_t)cfg_rd(d, PCI_COMMAND, 2);
    assert_true(cmd & PCI_COMMAND_MEMORY);
    assert_true(cmd & PCI_COMMAND_MASTER);
    cfg_wr(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        unsigned reg = PCI_BASE_ADDRESS_0 + 4 * b;
        uint32_t addr = cfg_rd(d, reg, 4);
        cfg_wr(d, reg, 4, 0xffffffffu);
        uint32_t mask = cfg_rd(d, reg, 4);
        cfg_wr(d, reg, 4, addr);
        if (!mask)
            continue;
        /* 32-bit, non-prefetchable memory */
        assert_int_equal(addr & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_32);
        d->bar[b] = addr & PCI_BASE_ADDRESS_MEM_MASK;
        d->len[b] = (~(uint64_t)(mask & PCI_BASE_ADDRESS_MEM_MASK) + 1) &
                    0xffffffffu;
    }
    cfg_wr(d, PCI_COMMAND, 2, cmd);
    d->irq_type = EPF_TEST_IRQ_INTX;
}

/* pci_alloc_irq_vectors(..., PCI_IRQ_MSI): 2^log2 vectors at the doorbell. */
static void use_msi(struct drv *d, unsigned log2)
{
    unsigned cap = 0;
    for (unsigned p = cfg_rd(d, PCI_CAPABILITY_LIST, 1); p;
         p = cfg_rd(d, p + PCI_CAP_LIST_NEXT, 1))
        if (cfg_rd(d, p, 1) == PCI_CAP_ID_MSI)
            cap = p;
    assert_int_not_equal(cap, 0);
    uint64_t doorbell = vpci_mock_get_map(d->m)->msi_base;
    cfg_wr(d, cap + PCI_MSI_ADDRESS_LO, 4, (uint32_t)doorbell);
    cfg_wr(d, cap + PCI_MSI_ADDRESS_HI, 4, (uint32_t)(doorbell >> 32));
    cfg_wr(d, cap + PCI_MSI_DATA_64, 2, MSI_DATA);
    cfg_wr(d, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | log2 << 4);
    d->irq_type = EPF_TEST_IRQ_MSI;
}

/* PCI_IRQ_MSIX: the table through MMIO in the register BAR, every entry
 * to the doorbell with its own data, then enable. */
static unsigned use_msix(struct drv *d)
{
    unsigned cap = 0;
    for (unsigned p = cfg_rd(d, PCI_CAPABILITY_LIST, 1); p;
         p = cfg_rd(d, p + PCI_CAP_LIST_NEXT, 1))
        if (cfg_rd(d, p, 1) == PCI_CAP_ID_MSIX)
            cap = p;
    assert_int_not_equal(cap, 0);
    unsigned n =
        (cfg_rd(d, cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
    uint32_t table = cfg_rd(d, cap + PCI_MSIX_TABLE, 4);
    assert_int_equal(table & PCI_MSIX_TABLE_BIR, 0);
    uint64_t base = d->bar[0] + (table & PCI_MSIX_TABLE_OFFSET);
    uint64_t doorbell = vpci_mock_get_map(d->m)->msi_base;
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = base + PCI_MSIX_ENTRY_SIZE * i;
        vpci_mock_write(d->m, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4,
                        (uint32_t)doorbell);
        vpci_mock_write(d->m, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4,
                        (uint32_t)(doorbell >> 32));
        vpci_mock_write(d->m, e + PCI_MSIX_ENTRY_DATA, 4, MSIX_DATA + i);
        vpci_mock_write(d->m, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    }
    cfg_wr(d, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    d->irq_type = EPF_TEST_IRQ_MSIX;
    return n;
}

/* pci_endpoint_test_irqhandler. */
static uint32_t isr(struct drv *d)
{
    uint32_t reg = readl(d, EPF_TEST_STATUS);
    if (reg & EPF_TEST_STATUS_IRQ_RAISED)
        writel(d, EPF_TEST_STATUS, reg & ~EPF_TEST_STATUS_IRQ_RAISED);
    else
        writel(d, EPF_TEST_STATUS, reg);
    return reg;
}

/*
 * Wait for the interrupt of the current type, vector @number (1-based):
 * step the clock to the endpoint's deadline, check that exactly that
 * interrupt arrived, run the handler (which must end an INTx).  Returns
 * STATUS as the handler read it.
 */
static uint32_t wait_irq(struct drv *d, uint32_t number)
{
    unsigned before = vpci_mock_msi_count(d->m);
    assert_int_not_equal(vpci_mock_next_deadline(d->m), UINT64_MAX);
    vpci_mock_clock_step_next(d->m);
    assert_int_equal(vpci_mock_next_deadline(d->m), UINT64_MAX);
    if (d->irq_type == EPF_TEST_IRQ_INTX) {
        assert_int_equal(vpci_mock_msi_count(d->m), before);
        assert_true(vpci_mock_gsi_level(d->m, (unsigned)d->gsi));
    } else {
        struct vpci_mock_msi ev;
        assert_int_equal(vpci_mock_msi_count(d->m), before + 1);
        assert_int_equal(vpci_mock_msi_get(d->m, before, &ev), 0);
        assert_int_equal(ev.rid, vpci_mock_fn_rid(d->fn));
        assert_int_equal(ev.addr, vpci_mock_get_map(d->m)->msi_base);
        assert_int_equal(ev.data, d->irq_type == EPF_TEST_IRQ_MSI
                                      ? MSI_DATA + number - 1
                                      : MSIX_DATA + number - 1);
    }
    uint32_t status = isr(d);
    assert_true(status & EPF_TEST_STATUS_IRQ_RAISED);
    if (d->gsi >= 0)
        assert_false(vpci_mock_gsi_level(d->m, (unsigned)d->gsi));
    return status;
}

/* pci_endpoint_test_{write,read,copy}'s register sequence, IRQ number 1. */
static uint32_t xfer(struct drv *d, uint32_t cmd, uint64_t src, uint64_t dst,
                     uint32_t size, uint32_t crc)
{
    if (cmd == EPF_TEST_CMD_READ)
        writel(d, EPF_TEST_CHECKSUM, crc);
    writel(d, EPF_TEST_SRC_ADDR_LO, (uint32_t)src);
    writel(d, EPF_TEST_SRC_ADDR_HI, (uint32_t)(src >> 32));
    writel(d, EPF_TEST_DST_ADDR_LO, (uint32_t)dst);
    writel(d, EPF_TEST_DST_ADDR_HI, (uint32_t)(dst >> 32));
    writel(d, EPF_TEST_SIZE, size);
    writel(d, EPF_TEST_FLAGS, 0);
    writel(d, EPF_TEST_IRQ_TYPE, d->irq_type);
    writel(d, EPF_TEST_IRQ_NUMBER, 1);
    writel(d, EPF_TEST_COMMAND, cmd);
    return wait_irq(d, 1);
}

/* The three ioctls as pcitest runs them; true when the driver would
 * report success. */
static bool ioctl_write(struct drv *d, uint32_t size, uint32_t seed)
{
    ram_random(d->m, SRC_BUF, size, seed);
    uint32_t st = xfer(d, EPF_TEST_CMD_READ, SRC_BUF, 0, size,
                       ram_crc(d->m, SRC_BUF, size));
    return st & EPF_TEST_STATUS_READ_SUCCESS;
}

static bool ioctl_read(struct drv *d, uint32_t size)
{
    ram_random(d->m, DST_BUF, size, 99);   /* not what the device writes */
    uint32_t st = xfer(d, EPF_TEST_CMD_WRITE, 0, DST_BUF, size, 0);
    assert_int_equal(st, EPF_TEST_STATUS_WRITE_SUCCESS |
                             EPF_TEST_STATUS_IRQ_RAISED);
    return ram_crc(d->m, DST_BUF, size) == readl(d, EPF_TEST_CHECKSUM);
}

static bool ioctl_copy(struct drv *d, uint32_t size, uint32_t seed)
{
    ram_random(d->m, SRC_BUF, size, seed);
    ram_random(d->m, DST_BUF, size, ~seed);
    uint32_t st = xfer(d, EPF_TEST_CMD_COPY, SRC_BUF, DST_BUF, size, 0);
    assert_int_equal(st, EPF_TEST_STATUS_COPY_SUCCESS |
                             EPF_TEST_STATUS_IRQ_RAISED);
    return ram_crc(d->m, DST_BUF, size) == ram_crc(d->m, SRC_BUF, size);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
    (void)state;
    return mt_machine_new(&mm, VPCI_MOCK_Q35, 0, false);
}

static int setup_iommu(void **state)
{
    (void)state;
    return mt_machine_new(&mm, VPCI_MOCK_Q35, 0, true);
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(vpci_mock_errors(mm.m), 0);
    mt_machine_free(&mm);
    return 0;
}

/* ---- tests ---- */

static void test_firmware_assigns_six_32bit_bars_to_the_ti_endpoint(
    void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    assert_int_equal(d.devfn, MT_DEVFN(2, 0));
    /* pci_endpoint_test_tbl: 104c:b500 -> default_data (BAR 0, 4K, MSI) */
    assert_int_equal(cfg_rd(&d, PCI_VENDOR_ID, 2), 0x104c);
    assert_int_equal(cfg_rd(&d, PCI_DEVICE_ID, 2), 0xb500);
    assert_int_equal(cfg_rd(&d, PCI_CLASS_DEVICE, 2), 0xff00);
    assert_int_equal(cfg_rd(&d, PCI_INTERRUPT_PIN, 1), 1);
    static const uint64_t len[] = { 1024, 512, 1024, 16384, 131072, 1048576 };
    const struct vpci_mock_map *map = vpci_mock_get_map(d.m);
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        assert_int_equal(d.len[b], len[b]);
        assert_int_equal(d.bar[b] % d.len[b], 0);
        assert_true(d.bar[b] >= map->mmio32_base &&
                    d.bar[b] + d.len[b] <= map->mmio32_base + map->mmio32_size);
    }
    assert_true(d.gsi >= 0);
}

static void test_bar_test_passes_on_every_bar(void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    /* pci_endpoint_test_bar: 0xA0A0A0A0 over each BAR, the register BAR's
     * first dword only */
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        uint64_t size = b == 0 ? 4 : d.len[b];
        for (uint64_t j = 0; j < size; j += 4)
            vpci_mock_write(d.m, d.bar[b] + j, 4, 0xa0a0a0a0u);
        for (uint64_t j = 0; j < size; j += 4)
            assert_int_equal(vpci_mock_read(d.m, d.bar[b] + j, 4),
                             0xa0a0a0a0u);
    }
    assert_int_equal(readl(&d, EPF_TEST_MAGIC), 0xa0a0a0a0u);
    assert_int_equal(vpci_mock_next_deadline(d.m), UINT64_MAX);
}

static void test_intx_raise_holds_the_gsi_until_the_handler_clears_status(
    void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    unsigned raises = vpci_mock_gsi_raises(d.m, (unsigned)d.gsi);
    /* pci_endpoint_test_legacy_irq */
    writel(&d, EPF_TEST_IRQ_TYPE, EPF_TEST_IRQ_INTX);
    writel(&d, EPF_TEST_IRQ_NUMBER, 0);
    writel(&d, EPF_TEST_COMMAND, EPF_TEST_CMD_RAISE_INTX);
    assert_false(vpci_mock_gsi_level(d.m, (unsigned)d.gsi));
    vpci_mock_clock_step_next(d.m);
    assert_true(vpci_mock_gsi_level(d.m, (unsigned)d.gsi));
    /* level-triggered: still there until the handler's write */
    vpci_mock_clock_step(d.m, 10 * MS);
    assert_true(vpci_mock_gsi_level(d.m, (unsigned)d.gsi));
    assert_int_equal(isr(&d), EPF_TEST_STATUS_IRQ_RAISED);
    assert_false(vpci_mock_gsi_level(d.m, (unsigned)d.gsi));
    assert_int_equal(vpci_mock_gsi_raises(d.m, (unsigned)d.gsi), raises + 1);
    assert_int_equal(vpci_mock_msi_count(d.m), 0);
    /* and again, through the common helper */
    writel(&d, EPF_TEST_COMMAND, EPF_TEST_CMD_RAISE_INTX);
    assert_int_equal(wait_irq(&d, 1), EPF_TEST_STATUS_IRQ_RAISED);
}

static void test_msi_1_to_32_arrive_on_vector_irq_number_minus_one(
    void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    use_msi(&d, 5);
    for (uint32_t n = 1; n <= 32; n++) {
        /* pci_endpoint_test_msi_irq */
        writel(&d, EPF_TEST_IRQ_TYPE, EPF_TEST_IRQ_MSI);
        writel(&d, EPF_TEST_IRQ_NUMBER, n);
        writel(&d, EPF_TEST_COMMAND, EPF_TEST_CMD_RAISE_MSI);
        assert_int_equal(wait_irq(&d, n), EPF_TEST_STATUS_IRQ_RAISED);
    }
    for (uint32_t v = 0; v < 32; v++)
        assert_int_equal(vpci_mock_msi_count_data(d.m, MSI_DATA + v), 1);
    assert_false(vpci_mock_gsi_level(d.m, (unsigned)d.gsi));
    assert_int_equal(vpci_mock_gsi_raises(d.m, (unsigned)d.gsi), 0);
}

static void test_msix_1_to_32_arrive_on_table_entry_irq_number_minus_one(
    void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    assert_int_equal(use_msix(&d), 32);
    for (uint32_t n = 1; n <= 32; n++) {
        writel(&d, EPF_TEST_IRQ_TYPE, EPF_TEST_IRQ_MSIX);
        writel(&d, EPF_TEST_IRQ_NUMBER, n);
        writel(&d, EPF_TEST_COMMAND, EPF_TEST_CMD_RAISE_MSIX);
        assert_int_equal(wait_irq(&d, n), EPF_TEST_STATUS_IRQ_RAISED);
    }
    for (uint32_t v = 0; v < 32; v++)
        assert_int_equal(vpci_mock_msi_count_data(d.m, MSIX_DATA + v), 1);
    /* pcitest -x 33 on a 32-vector endpoint: nothing comes (the driver
     * times out after 1 s) */
    writel(&d, EPF_TEST_IRQ_NUMBER, 33);
    writel(&d, EPF_TEST_COMMAND, EPF_TEST_CMD_RAISE_MSIX);
    vpci_mock_clock_step(d.m, 1000 * MS);
    assert_int_equal(vpci_mock_msi_count(d.m), 32);
    assert_int_equal(readl(&d, EPF_TEST_STATUS), 0);
}

static void test_msix_1_to_2048_arrive_with_msix_vectors_2048(void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0,msix_vectors=2048");
    assert_int_equal(d.len[0], 65536);
    assert_int_equal(use_msix(&d), 2048);
    for (uint32_t n = 1; n <= 2048; n++) {
        writel(&d, EPF_TEST_IRQ_TYPE, EPF_TEST_IRQ_MSIX);
        writel(&d, EPF_TEST_IRQ_NUMBER, n);
        writel(&d, EPF_TEST_COMMAND, EPF_TEST_CMD_RAISE_MSIX);
        wait_irq(&d, n);
    }
    assert_int_equal(vpci_mock_msi_count(d.m), 2048);
    assert_int_equal(vpci_mock_msi_count_data(d.m, MSIX_DATA + 2047), 1);
}

static void test_read_write_copy_of_pcitest_sizes_pass_under_msi(void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    use_msi(&d, 0);
    for (size_t i = 0; i < NSIZES; i++) {
        assert_true(ioctl_write(&d, xfer_sizes[i], (uint32_t)i + 1));
        assert_true(ioctl_read(&d, xfer_sizes[i]));
        assert_true(ioctl_copy(&d, xfer_sizes[i], (uint32_t)i + 7));
    }
    assert_int_equal(vpci_mock_msi_count_data(d.m, MSI_DATA), 3 * NSIZES);
    assert_int_equal(vpci_mock_warnings(d.m), 0);
}

static void test_transfers_interrupt_by_intx_and_msix_too(void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    assert_true(ioctl_write(&d, 1025, 3));      /* INTx */
    assert_true(ioctl_read(&d, 1025));
    assert_true(ioctl_copy(&d, 1025, 4));
    use_msix(&d);
    assert_true(ioctl_write(&d, 1024001, 5));
    assert_true(ioctl_read(&d, 1024001));
    assert_true(ioctl_copy(&d, 1024001, 6));
    assert_int_equal(vpci_mock_msi_count_data(d.m, MSIX_DATA), 3);
}

static void test_wrong_checksum_fails_the_write_ioctl(void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    use_msi(&d, 0);
    ram_random(d.m, SRC_BUF, 1024, 1);
    uint32_t crc = ram_crc(d.m, SRC_BUF, 1024);
    assert_int_equal(xfer(&d, EPF_TEST_CMD_READ, SRC_BUF, 0, 1024, crc + 1),
                     EPF_TEST_STATUS_READ_FAIL | EPF_TEST_STATUS_IRQ_RAISED);
}

static void test_invalid_addresses_are_reported_with_the_interrupt_raised(
    void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    use_msi(&d, 0);
    const struct vpci_mock_map *map = vpci_mock_get_map(d.m);
    uint64_t hole = map->ram_lo_base + map->ram_lo_size;   /* not RAM */
    uint64_t far = 1ull << 44;
    assert_int_equal(xfer(&d, EPF_TEST_CMD_READ, hole, 0, 1024, 0),
                     EPF_TEST_STATUS_READ_FAIL |
                         EPF_TEST_STATUS_SRC_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(xfer(&d, EPF_TEST_CMD_WRITE, 0, far, 1024, 0),
                     EPF_TEST_STATUS_WRITE_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(xfer(&d, EPF_TEST_CMD_COPY, far, DST_BUF, 1024, 0),
                     EPF_TEST_STATUS_COPY_FAIL |
                         EPF_TEST_STATUS_SRC_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(xfer(&d, EPF_TEST_CMD_COPY, SRC_BUF, hole, 1024, 0),
                     EPF_TEST_STATUS_COPY_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    /* a buffer running off the end of RAM: the pages in RAM are written,
     * and nothing past it appears */
    ram_random(d.m, hole - 0x2000, 0x2000, 5);
    uint32_t before = ram_crc(d.m, hole - 0x2000, 0x2000);
    assert_int_equal(xfer(&d, EPF_TEST_CMD_WRITE, 0, hole - 0x2000, 0x3000, 0),
                     EPF_TEST_STATUS_WRITE_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_not_equal(ram_crc(d.m, hole - 0x2000, 0x2000), before);
    assert_int_equal(vpci_mock_msi_count_data(d.m, MSI_DATA), 5);
    /* the endpoint is fine afterwards */
    assert_true(ioctl_write(&d, 1024, 8));
    assert_true(vpci_mock_warnings(d.m) >= 5);
}

static void test_iommu_faults_are_invalid_addresses(void **state)
{
    (void)state;
    struct drv d;
    probe(&d, "epf-test,addr=02.0");
    use_msi(&d, 0);
    uint16_t rid = vpci_mock_fn_rid(d.fn);
    /* the driver's dma_map_single: the source readable, the destination
     * writable, one page short */
    assert_int_equal(vpci_mock_iommu_map(d.m, rid, 0x10000, SRC_BUF, 0x2000,
                                         VPCI_MOCK_IOMMU_READ), 0);
    assert_int_equal(vpci_mock_iommu_map(d.m, rid, 0x20000, DST_BUF, 0x1000,
                                         VPCI_MOCK_IOMMU_WRITE), 0);
    ram_random(d.m, SRC_BUF, 0x2000, 9);
    assert_int_equal(xfer(&d, EPF_TEST_CMD_READ, 0x10000, 0, 0x2000,
                          ram_crc(d.m, SRC_BUF, 0x2000)),
                     EPF_TEST_STATUS_READ_SUCCESS | EPF_TEST_STATUS_IRQ_RAISED);
    /* writing where only reading is allowed */
    assert_int_equal(xfer(&d, EPF_TEST_CMD_WRITE, 0, 0x10000, 16, 0),
                     EPF_TEST_STATUS_WRITE_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    /* a copy whose destination runs past its mapping */
    assert_int_equal(xfer(&d, EPF_TEST_CMD_COPY, 0x10000, 0x20000, 0x2000, 0),
                     EPF_TEST_STATUS_COPY_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(ram_crc(d.m, DST_BUF, 0x1000),
                     ram_crc(d.m, SRC_BUF, 0x1000));
    struct vpci_mock_fault f[4];
    assert_int_equal(vpci_mock_iommu_faults(d.m, f, 4), 2);
    assert_int_equal(f[0].err, -EACCES);
    assert_int_equal(f[1].addr, 0x21000);
    assert_true(f[1].write);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_firmware_assigns_six_32bit_bars_to_the_ti_endpoint),
        T(test_bar_test_passes_on_every_bar),
        T(test_intx_raise_holds_the_gsi_until_the_handler_clears_status),
        T(test_msi_1_to_32_arrive_on_vector_irq_number_minus_one),
        T(test_msix_1_to_32_arrive_on_table_entry_irq_number_minus_one),
        T(test_msix_1_to_2048_arrive_with_msix_vectors_2048),
        T(test_read_write_copy_of_pcitest_sizes_pass_under_msi),
        T(test_transfers_interrupt_by_intx_and_msix_too),
        T(test_wrong_checksum_fails_the_write_ioctl),
        T(test_invalid_addresses_are_reported_with_the_interrupt_raised),
        cmocka_unit_test_setup_teardown(test_iommu_faults_are_invalid_addresses,
                                        setup_iommu, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
