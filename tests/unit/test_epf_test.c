/* SPDX-License-Identifier: MIT */
/*
 * The epf-test model (libvpci/models/epf_test.c) against what Linux 6.1's
 * pci_endpoint_test does with it, and its documented choices
 * (include/vpci/models/epf_test.h).
 *
 * Each test creates the registered model on the test host (4 MiB of RAM
 * from bus address 0, a virtual clock), places the BARs and enables memory
 * decode and bus mastering the way firmware would (model_fixture_new),
 * then plays the host driver: program registers, write COMMAND, let time
 * pass, run the interrupt handler's STATUS handshake.  Checksums are
 * verified with a bitwise CRC-32 of the test's own, so a bug in
 * vpci_crc32_le cannot hide.
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
#include <vpci/models/epf_test.h>
#include <vpci/vpci.h>

#include "testhost.h"

#define RAM_SIZE (4u << 20)
#define SRC 0x100000u          /* host buffers, 4 KiB aligned like the */
#define DST 0x200000u          /* driver's default_data alignment */
#define MSI_ADDR 0xfee00000u
#define MSI_DATA 0x4000u
#define MS 1000000ull

static const uint32_t xfer_sizes[] = { 1, 1024, 1025, 1024000, 1024001 };
#define NSIZES (sizeof(xfer_sizes) / sizeof(xfer_sizes[0]))

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

/* ---- host side helpers ---- */

static void fill_ram(struct testhost *h)
{
    uint32_t x = 12345;
    for (unsigned i = 0; i < RAM_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        h->ram[i] = (uint8_t)(x >> 16);
    }
}

static int setup(void **state)
{
    struct model_fixture *f = model_fixture_new("epf-test", NULL, RAM_SIZE);
    fill_ram(f->h);
    *state = f;
    return 0;
}

/* The registers: BAR0 by default, accesses that must succeed. */
#define rd(f, off, len) testhost_bar_rd((f)->dev, 0, (off), (len))
#define wr(f, off, len, v) testhost_bar_wr((f)->dev, 0, (off), (len), (v))

/* Let the pending command complete: advance to its deadline. */
static void complete(struct model_fixture *f)
{
    assert_int_equal(f->h->ntimers, 1);
    testhost_advance(f->h, f->h->timers[0].deadline - f->h->now);
    assert_int_equal(f->h->ntimers, 0);
}

/* pci_endpoint_test_irqhandler: read STATUS, clear IRQ_RAISED, write it
 * back.  Returns STATUS as the handler read it. */
static uint32_t isr(struct model_fixture *f)
{
    uint32_t reg = (uint32_t)rd(f, EPF_TEST_STATUS, 4);
    wr(f, EPF_TEST_STATUS, 4, reg & ~EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4),
                     reg & ~EPF_TEST_STATUS_IRQ_RAISED);
    return reg;
}

static void enable_msi(struct model_fixture *f, unsigned log2_vectors)
{
    unsigned cap = vpci_cap_find(f->dev, PCI_CAP_ID_MSI);
    assert_int_not_equal(cap, 0);
    vpci_cfg_write(f->dev, cap + PCI_MSI_ADDRESS_LO, 4, MSI_ADDR, NULL);
    vpci_cfg_write(f->dev, cap + PCI_MSI_ADDRESS_HI, 4, 0, NULL);
    vpci_cfg_write(f->dev, cap + PCI_MSI_DATA_64, 2, MSI_DATA, NULL);
    vpci_cfg_write(f->dev, cap + PCI_MSI_FLAGS, 2,
                   PCI_MSI_FLAGS_ENABLE | log2_vectors << 4, NULL);
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_MSI);
}

/* MSI-X entry i: address MSI_ADDR + 4 i, data 0x1000 + i, unmasked. */
static void enable_msix(struct model_fixture *f, unsigned vectors)
{
    for (unsigned i = 0; i < vectors; i++) {
        uint64_t e = EPF_TEST_MSIX_TABLE + 16ull * i;
        wr(f, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4, MSI_ADDR + 4 * i);
        wr(f, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
        wr(f, e + PCI_MSIX_ENTRY_DATA, 4, 0x1000 + i);
        wr(f, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    }
    unsigned cap = vpci_cap_find(f->dev, PCI_CAP_ID_MSIX);
    assert_int_not_equal(cap, 0);
    vpci_cfg_write(f->dev, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE,
                   NULL);
    assert_int_equal(vpci_irq_mode(f->dev), VPCI_IRQ_MSIX);
}

/* The register writes of pci_endpoint_test_{write,read,copy} (IRQ number
 * 1), then COMMAND. */
static void start(struct model_fixture *f, uint32_t cmd, uint64_t src,
                  uint64_t dst, uint32_t size, uint32_t crc, uint32_t irq_type,
                  uint32_t flags)
{
    wr(f, EPF_TEST_CHECKSUM, 4, crc);
    wr(f, EPF_TEST_SRC_ADDR_LO, 4, (uint32_t)src);
    wr(f, EPF_TEST_SRC_ADDR_HI, 4, (uint32_t)(src >> 32));
    wr(f, EPF_TEST_DST_ADDR_LO, 4, (uint32_t)dst);
    wr(f, EPF_TEST_DST_ADDR_HI, 4, (uint32_t)(dst >> 32));
    wr(f, EPF_TEST_SIZE, 4, size);
    wr(f, EPF_TEST_FLAGS, 4, flags);
    wr(f, EPF_TEST_IRQ_TYPE, 4, irq_type);
    wr(f, EPF_TEST_IRQ_NUMBER, 4, 1);
    wr(f, EPF_TEST_COMMAND, 4, cmd);
}

/* One command with MSI vector 0, completed and handshaken: STATUS. */
static uint32_t run(struct model_fixture *f, uint32_t cmd, uint64_t src,
                    uint64_t dst, uint32_t size, uint32_t crc)
{
    unsigned nmsi = f->h->nmsi;
    start(f, cmd, src, dst, size, crc, EPF_TEST_IRQ_MSI, 0);
    complete(f);
    assert_int_equal(f->h->nmsi, nmsi + 1);
    assert_int_equal(f->h->msi[nmsi].data, MSI_DATA);
    return isr(f);
}

/* ---- identity, BARs, registers ---- */

static void identity_binds_pci_endpoint_test_as_ti_dra74x(void **state)
{
    struct model_fixture *f = *state;
    assert_int_equal(vpci_cfg_read(f->dev, PCI_VENDOR_ID, 2), 0x104c);
    assert_int_equal(vpci_cfg_read(f->dev, PCI_DEVICE_ID, 2), 0xb500);
    assert_int_equal(vpci_cfg_read(f->dev, PCI_CLASS_REVISION, 4),
                     0xff000000u);
    assert_int_equal(vpci_cfg_read(f->dev, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(vpci_cfg_read(f->dev, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(vpci_cfg_size(f->dev), VPCI_CFG_SIZE);

    /* pci-epf-test's bar_size[]; BAR 0 holds 0x80 + 32 x 16 + 8 bytes */
    static const uint64_t sizes[] = { 1024, 512, 1024, 16384, 131072,
                                      1048576 };
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        struct vpci_bar_info info;
        assert_int_equal(vpci_bar_info(f->dev, b, &info), 0);
        assert_int_equal(info.kind, VPCI_BAR_MEM32);
        assert_false(info.prefetch);
        assert_int_equal(info.size, sizes[b]);
    }

    unsigned msi = vpci_cap_find(f->dev, PCI_CAP_ID_MSI);
    assert_int_not_equal(msi, 0);
    uint16_t flags = (uint16_t)vpci_cfg_read(f->dev, msi + PCI_MSI_FLAGS, 2);
    assert_int_equal(flags & PCI_MSI_FLAGS_QMASK, 5 << 1);   /* 32 */
    assert_true(flags & PCI_MSI_FLAGS_64BIT);
    assert_true(flags & PCI_MSI_FLAGS_MASKBIT);

    unsigned msix = vpci_cap_find(f->dev, PCI_CAP_ID_MSIX);
    assert_int_not_equal(msix, 0);
    assert_int_equal(vpci_cfg_read(f->dev, msix + PCI_MSIX_FLAGS, 2) &
                         PCI_MSIX_FLAGS_QSIZE, 31);
    assert_int_equal(vpci_cfg_read(f->dev, msix + PCI_MSIX_TABLE, 4),
                     0x80 | 0);
    assert_int_equal(vpci_cfg_read(f->dev, msix + PCI_MSIX_PBA, 4),
                     (0x80 + 32 * 16) | 0);
}

static void properties_set_ids_bar_sizes_and_vectors(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_dev *dev = testhost_model(
        f->h, "epf-test",
        "vendor_id=0x1957,device_id=0x81c0,bar1=4K,bar3=0,"
        "msix_vectors=2048,msi_vectors=4,reg_bar=2");
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 4), 0x81c01957u);
    struct vpci_bar_info info;
    vpci_bar_info(dev, 0, &info);
    assert_int_equal(info.size, 512);
    vpci_bar_info(dev, 1, &info);
    assert_int_equal(info.size, 4096);
    vpci_bar_info(dev, 3, &info);
    assert_int_equal(info.kind, VPCI_BAR_NONE);
    /* the register BAR grows to hold 2048 entries and their PBA */
    vpci_bar_info(dev, 2, &info);
    assert_int_equal(info.size, 65536);
    unsigned msix = vpci_cap_find(dev, PCI_CAP_ID_MSIX);
    assert_int_equal(vpci_cfg_read(dev, msix + PCI_MSIX_FLAGS, 2) &
                         PCI_MSIX_FLAGS_QSIZE, 2047);
    assert_int_equal(vpci_cfg_read(dev, msix + PCI_MSIX_TABLE, 4), 0x80 | 2);
    assert_int_equal(vpci_cfg_read(dev, msix + PCI_MSIX_PBA, 4),
                     (0x80 + 2048 * 16) | 2);
    unsigned msi = vpci_cap_find(dev, PCI_CAP_ID_MSI);
    assert_int_equal(vpci_cfg_read(dev, msi + PCI_MSI_FLAGS, 2) &
                         PCI_MSI_FLAGS_QMASK, 2 << 1);
    /* the registers are in BAR 2 now */
    uint64_t v = 0;
    assert_int_equal(vpci_bar_write(dev, 2, EPF_TEST_MAGIC, 4, 0x1234), 0);
    assert_int_equal(vpci_bar_read(dev, 2, EPF_TEST_MAGIC, 4, &v), 0);
    assert_int_equal(v, 0x1234);
    vpci_dev_destroy(dev);

    /* without MSI and MSI-X: no capabilities, CAPS says INTx only */
    dev = testhost_model(f->h, "epf-test", "msi=off,msix=off,bar0=128");
    assert_int_equal(vpci_cap_find(dev, PCI_CAP_ID_MSI), 0);
    assert_int_equal(vpci_cap_find(dev, PCI_CAP_ID_MSIX), 0);
    assert_int_equal(vpci_bar_read(dev, 0, EPF_TEST_CAPS, 4, &v), 0);
    assert_int_equal(v, EPF_TEST_CAP_UNALIGNED_ACCESS | EPF_TEST_CAP_INTX);
    vpci_bar_info(dev, 0, &info);
    assert_int_equal(info.size, 128);
    vpci_dev_destroy(dev);
}

static void bad_properties_are_refused(void **state)
{
    struct model_fixture *f = *state;
    static const char *const bad[] = {
        "bar0=512",            /* 0x80 + 32 x 16 + 8 bytes do not fit */
        "bar0=0",              /* the register BAR must exist */
        "bar2=1000",           /* not a power of two */
        "reg_bar=6",
        "msix_vectors=0",
        "msix_vectors=2049",
        "msi_vectors=3",
        "msi_vectors=64",
        "vendor_id=0x10000",
        "device_id=0x10000",
        "doorbell=on",         /* not a property */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vpci_dev *dev = NULL;
        assert_int_equal(vpci_dev_create(vpci_model_find("epf-test"), bad[i],
                                         &testhost_ops, f->h, &dev),
                         -EINVAL);
        assert_null(dev);
    }
}

/* QEMU shows libvpci's message when -device is refused: it must name the
 * property (the MSI core's own check cannot). */
static void bad_msi_vectors_message_names_the_property(void **state)
{
    struct model_fixture *f = *state;
    static const char *const bad[] = { "msi_vectors=3", "msi_vectors=64",
                                       "msi_vectors=0" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vpci_dev *dev = NULL;
        testhost_clear_log(f->h);
        assert_int_equal(vpci_dev_create(vpci_model_find("epf-test"), bad[i],
                                         &testhost_ops, f->h, &dev),
                         -EINVAL);
        assert_null(dev);
        assert_true(testhost_logged(f->h, "msi_vectors"));
    }
}

static void bar_pattern_reads_back_on_every_bar(void **state)
{
    struct model_fixture *f = *state;
    /* pci_endpoint_test_bar: the register BAR's first dword, the whole
     * of every other BAR */
    for (unsigned b = 0; b < VPCI_NUM_BARS; b++) {
        struct vpci_bar_info info;
        vpci_bar_info(f->dev, b, &info);
        uint64_t size = b == 0 ? 4 : info.size, v;
        for (uint64_t j = 0; j < size; j += 4)
            assert_int_equal(vpci_bar_write(f->dev, b, j, 4, 0xa0a0a0a0u), 0);
        for (uint64_t j = 0; j < size; j += 4) {
            assert_int_equal(vpci_bar_read(f->dev, b, j, 4, &v), 0);
            assert_int_equal(v, 0xa0a0a0a0u);
        }
    }
    assert_int_equal(rd(f, EPF_TEST_MAGIC, 4), 0xa0a0a0a0u);
    assert_int_equal(f->h->ntimers, 0);    /* MAGIC starts nothing */
}

static void registers_follow_the_linux_6_1_layout(void **state)
{
    struct model_fixture *f = *state;
    /* every register from MAGIC to FLAGS keeps what the host wrote */
    static const uint32_t offs[] = {
        EPF_TEST_MAGIC, EPF_TEST_SRC_ADDR_LO, EPF_TEST_SRC_ADDR_HI,
        EPF_TEST_DST_ADDR_LO, EPF_TEST_DST_ADDR_HI, EPF_TEST_SIZE,
        EPF_TEST_CHECKSUM, EPF_TEST_IRQ_TYPE, EPF_TEST_IRQ_NUMBER,
        EPF_TEST_FLAGS, EPF_TEST_STATUS,
    };
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
        wr(f, offs[i], 4, 0x11110000u + offs[i]);
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
        assert_int_equal(rd(f, offs[i], 4), 0x11110000u + offs[i]);
    /* the packed u64 addresses at 0x0c and 0x14 */
    assert_int_equal(rd(f, EPF_TEST_SRC_ADDR_LO, 8), 0x111100101111000cull);
    wr(f, EPF_TEST_DST_ADDR_LO, 8, 0x0123456789abcdefull);
    assert_int_equal(rd(f, EPF_TEST_DST_ADDR_HI, 4), 0x01234567u);
    /* byte access, as readb on RAM would */
    assert_int_equal(rd(f, EPF_TEST_SIZE + 1, 1), 0x00);
    /* CAPS (later kernels) is read-only; the rest up to 0x80 is empty */
    assert_int_equal(rd(f, EPF_TEST_CAPS, 4),
                     EPF_TEST_CAP_UNALIGNED_ACCESS | EPF_TEST_CAP_MSI |
                         EPF_TEST_CAP_MSIX | EPF_TEST_CAP_INTX);
    wr(f, EPF_TEST_CAPS, 4, 0);
    assert_int_equal(rd(f, EPF_TEST_CAPS, 4), 0xf);
    for (uint64_t off = 0x34; off < EPF_TEST_REG_SPAN; off += 4) {
        wr(f, off, 4, 0xffffffffu);
        assert_int_equal(rd(f, off, 4), 0);
    }
    /* past the MSI-X table and PBA, to the end of the BAR */
    wr(f, 0x300, 4, 0xffffffffu);
    assert_int_equal(rd(f, 0x300, 4), 0);
}

/* ---- interrupts ---- */

static void intx_raise_sets_status_then_asserts_until_the_host_clears_it(
    void **state)
{
    struct model_fixture *f = *state;
    wr(f, EPF_TEST_IRQ_TYPE, 4, EPF_TEST_IRQ_INTX);
    wr(f, EPF_TEST_IRQ_NUMBER, 4, 0);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_INTX);
    /* the endpoint takes the command at its next poll, 1 ms later */
    testhost_advance(f->h, EPF_TEST_POLL_NS - 1);
    assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), EPF_TEST_CMD_RAISE_INTX);
    assert_false(f->h->intx);
    testhost_advance(f->h, 1);
    assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), 0);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), EPF_TEST_STATUS_IRQ_RAISED);
    assert_true(f->h->intx);
    assert_true(vpci_cfg_read(f->dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* a STATUS write that keeps IRQ_RAISED keeps the line */
    wr(f, EPF_TEST_STATUS, 4, EPF_TEST_STATUS_IRQ_RAISED | 0x1);
    assert_true(f->h->intx);
    /* the handler's handshake ends it */
    assert_int_equal(isr(f), EPF_TEST_STATUS_IRQ_RAISED | 0x1);
    assert_false(f->h->intx);
    assert_int_equal(f->h->intx_rises, 1);
    assert_int_equal(f->h->intx_falls, 1);
    assert_int_equal(f->h->nmsi, 0);
}

static void next_command_clears_status_and_deasserts_intx(void **state)
{
    struct model_fixture *f = *state;
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_INTX);
    complete(f);
    assert_true(f->h->intx);
    /* no handshake; the next command's poll clears STATUS, and INTx */
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSI);   /* MSI is off */
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), 0);
    assert_false(f->h->intx);
}

static void msi_raise_sends_vector_irq_number_minus_one(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 5);                       /* 32 vectors */
    for (uint32_t n = 1; n <= 32; n++) {
        wr(f, EPF_TEST_IRQ_TYPE, 4, EPF_TEST_IRQ_MSI);
        wr(f, EPF_TEST_IRQ_NUMBER, 4, n);
        wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSI);
        assert_int_equal(f->h->nmsi, n - 1);
        complete(f);
        assert_int_equal(f->h->nmsi, n);
        assert_int_equal(f->h->msi[n - 1].addr, MSI_ADDR);
        assert_int_equal(f->h->msi[n - 1].data, MSI_DATA | (n - 1));
        assert_int_equal(isr(f), EPF_TEST_STATUS_IRQ_RAISED);
    }
    assert_false(f->h->intx);
}

static void msi_raise_outside_the_enabled_vectors_does_nothing(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 2);                       /* 4 of 32 enabled */
    static const uint32_t numbers[] = { 0, 5, 32 };
    for (size_t i = 0; i < 3; i++) {
        wr(f, EPF_TEST_STATUS, 4, EPF_TEST_STATUS_COPY_FAIL);
        wr(f, EPF_TEST_IRQ_NUMBER, 4, numbers[i]);
        wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSI);
        complete(f);
        assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), 0);
        assert_int_equal(rd(f, EPF_TEST_STATUS, 4), 0);
    }
    /* and MSI-X while MSI is what is enabled */
    wr(f, EPF_TEST_IRQ_NUMBER, 4, 1);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSIX);
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), 0);
    assert_int_equal(f->h->nmsi, 0);
    assert_true(testhost_logged(f->h, "not enabled"));
}

static void msi_to_a_masked_vector_is_held_until_unmasked(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 1);
    unsigned cap = vpci_cap_find(f->dev, PCI_CAP_ID_MSI);
    vpci_cfg_write(f->dev, cap + PCI_MSI_MASK_64, 4, 0x2, NULL);
    wr(f, EPF_TEST_IRQ_NUMBER, 4, 2);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSI);
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(f->h->nmsi, 0);
    vpci_cfg_write(f->dev, cap + PCI_MSI_MASK_64, 4, 0, NULL);
    assert_int_equal(f->h->nmsi, 1);
    assert_int_equal(f->h->msi[0].data, MSI_DATA | 1);
}

static void msix_raise_sends_table_entry_irq_number_minus_one(void **state)
{
    struct model_fixture *f = *state;
    enable_msix(f, 32);
    for (uint32_t n = 1; n <= 32; n++) {
        wr(f, EPF_TEST_IRQ_NUMBER, 4, n);
        wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSIX);
        complete(f);
        assert_int_equal(f->h->nmsi, n);
        assert_int_equal(f->h->msi[n - 1].addr, MSI_ADDR + 4 * (n - 1));
        assert_int_equal(f->h->msi[n - 1].data, 0x1000 + n - 1);
        assert_int_equal(isr(f), EPF_TEST_STATUS_IRQ_RAISED);
    }
    /* pcitest.sh goes on to 2048: with 32 vectors, 33 sends nothing */
    wr(f, EPF_TEST_IRQ_NUMBER, 4, 33);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSIX);
    complete(f);
    assert_int_equal(f->h->nmsi, 32);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), 0);
}

static void msix_with_2048_vectors_reaches_every_entry(void **state)
{
    struct model_fixture *f = *state;
    vpci_dev_destroy(f->dev);
    f->dev = testhost_model(f->h, "epf-test", "msix_vectors=2048");
    enable_msix(f, 2048);
    for (uint32_t n = 1; n <= 2048; n++) {
        wr(f, EPF_TEST_IRQ_NUMBER, 4, n);
        wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSIX);
        complete(f);
        assert_int_equal(f->h->nmsi, n);
        assert_int_equal(f->h->msi[n - 1].data, 0x1000 + n - 1);
        isr(f);
    }
}

/* ---- READ / WRITE / COPY ---- */

static void read_command_checks_the_crc_of_the_host_buffer(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    for (size_t i = 0; i < NSIZES; i++) {
        uint32_t size = xfer_sizes[i];
        uint32_t crc = ref_crc32_le(~0u, f->h->ram + SRC, size);
        assert_int_equal(run(f, EPF_TEST_CMD_READ, SRC, 0, size, crc),
                         EPF_TEST_STATUS_READ_SUCCESS |
                             EPF_TEST_STATUS_IRQ_RAISED);
        /* one bit off in the host's checksum: READ_FAIL alone */
        assert_int_equal(run(f, EPF_TEST_CMD_READ, SRC, 0, size, crc ^ 1),
                         EPF_TEST_STATUS_READ_FAIL |
                             EPF_TEST_STATUS_IRQ_RAISED);
    }
    assert_int_equal(f->h->warnings, 0);
}

static void write_command_fills_the_host_buffer_and_reports_its_crc(
    void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    uint8_t *before = f->snap;
    for (size_t i = 0; i < NSIZES; i++) {
        uint32_t size = xfer_sizes[i];
        memcpy(before, f->h->ram, RAM_SIZE);
        assert_int_equal(run(f, EPF_TEST_CMD_WRITE, 0, DST, size, 0),
                         EPF_TEST_STATUS_WRITE_SUCCESS |
                             EPF_TEST_STATUS_IRQ_RAISED);
        /* pci_endpoint_test_read compares CHECKSUM with its own CRC */
        assert_int_equal(rd(f, EPF_TEST_CHECKSUM, 4),
                         ref_crc32_le(~0u, f->h->ram + DST, size));
        /* only [DST, DST + size) changed, and it did change */
        assert_memory_equal(before, f->h->ram, DST);
        assert_memory_equal(before + DST + size, f->h->ram + DST + size,
                            RAM_SIZE - DST - size);
        if (size >= 1024)
            assert_memory_not_equal(before + DST, f->h->ram + DST, size);
    }
    /* the generator moves on: the same WRITE twice gives new data */
    memcpy(before, f->h->ram + DST, 1024);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 1024, 0);
    assert_memory_not_equal(before, f->h->ram + DST, 1024);
}

static void write_data_is_reproducible_from_creation_and_reset(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0);
    uint32_t first = (uint32_t)rd(f, EPF_TEST_CHECKSUM, 4);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0);
    assert_int_not_equal(rd(f, EPF_TEST_CHECKSUM, 4), first);

    vpci_dev_destroy(f->dev);
    f->dev = testhost_model(f->h, "epf-test", NULL);
    enable_msi(f, 0);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0);
    assert_int_equal(rd(f, EPF_TEST_CHECKSUM, 4), first);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0);
    vpci_dev_reset(f->dev, VPCI_RESET_CONVENTIONAL, NULL);
    testhost_place_bar(f->dev, 0);
    testhost_command(f->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    enable_msi(f, 0);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0);
    assert_int_equal(rd(f, EPF_TEST_CHECKSUM, 4), first);
}

static void copy_command_copies_source_to_destination(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    for (size_t i = 0; i < NSIZES; i++) {
        uint32_t size = xfer_sizes[i];
        memset(f->h->ram + DST, 0, size + 1);
        uint32_t src_crc = ref_crc32_le(~0u, f->h->ram + SRC, size);
        assert_int_equal(run(f, EPF_TEST_CMD_COPY, SRC, DST, size, 0),
                         EPF_TEST_STATUS_COPY_SUCCESS |
                             EPF_TEST_STATUS_IRQ_RAISED);
        /* pci_endpoint_test_copy compares the two CRCs */
        assert_int_equal(ref_crc32_le(~0u, f->h->ram + DST, size), src_crc);
        assert_memory_equal(f->h->ram + SRC, f->h->ram + DST, size);
        assert_int_equal(f->h->ram[DST + size], 0);
    }
}

static void transfers_work_at_unaligned_addresses(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    uint64_t src = SRC + 3, dst = DST + 0xffd;
    uint32_t crc = ref_crc32_le(~0u, f->h->ram + src, 10000);
    assert_int_equal(run(f, EPF_TEST_CMD_READ, src, 0, 10000, crc),
                     EPF_TEST_STATUS_READ_SUCCESS | EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(run(f, EPF_TEST_CMD_COPY, src, dst, 10000, 0),
                     EPF_TEST_STATUS_COPY_SUCCESS | EPF_TEST_STATUS_IRQ_RAISED);
    assert_memory_equal(f->h->ram + src, f->h->ram + dst, 10000);
}

static void transfer_takes_time_by_size_and_dma_flag(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    struct { uint32_t cmd, flags; uint64_t ns; } cases[] = {
        { EPF_TEST_CMD_READ, 0, EPF_TEST_POLL_NS + 10 * 1024000ull },
        { EPF_TEST_CMD_WRITE, 0, EPF_TEST_POLL_NS + 10 * 1024000ull },
        { EPF_TEST_CMD_COPY, 0, EPF_TEST_POLL_NS + 20 * 1024000ull },
        { EPF_TEST_CMD_READ, EPF_TEST_FLAG_USE_DMA,
          EPF_TEST_POLL_NS + 1024000ull },
        { EPF_TEST_CMD_COPY, EPF_TEST_FLAG_USE_DMA,
          EPF_TEST_POLL_NS + 2 * 1024000ull },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned nmsi = f->h->nmsi;
        start(f, cases[i].cmd, SRC, DST, 1024000, 0, EPF_TEST_IRQ_MSI,
              cases[i].flags);
        testhost_advance(f->h, cases[i].ns - 1);
        assert_int_equal(f->h->nmsi, nmsi);
        assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), cases[i].cmd);
        testhost_advance(f->h, 1);
        assert_int_equal(f->h->nmsi, nmsi + 1);
        assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), 0);
        assert_true(rd(f, EPF_TEST_STATUS, 4) & EPF_TEST_STATUS_IRQ_RAISED);
        isr(f);
    }
}

static void transfer_interrupt_follows_irq_type(void **state)
{
    struct model_fixture *f = *state;
    /* INTx mode, IRQ_TYPE 0: the transfer asserts INTx */
    uint32_t crc = ref_crc32_le(~0u, f->h->ram + SRC, 100);
    start(f, EPF_TEST_CMD_READ, SRC, 0, 100, crc, EPF_TEST_IRQ_INTX, 0);
    complete(f);
    assert_true(f->h->intx);
    assert_int_equal(isr(f), EPF_TEST_STATUS_READ_SUCCESS |
                                 EPF_TEST_STATUS_IRQ_RAISED);
    assert_false(f->h->intx);
    /* MSI-X mode, IRQ_TYPE 2, vector 1: entry 0 */
    enable_msix(f, 4);
    start(f, EPF_TEST_CMD_READ, SRC, 0, 100, crc, EPF_TEST_IRQ_MSIX, 0);
    complete(f);
    assert_int_equal(f->h->nmsi, 1);
    assert_int_equal(f->h->msi[0].data, 0x1000);
    isr(f);
    /* IRQ_TYPE MSI while MSI-X is enabled: STATUS set, nothing sent */
    start(f, EPF_TEST_CMD_READ, SRC, 0, 100, crc, EPF_TEST_IRQ_MSI, 0);
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4),
                     EPF_TEST_STATUS_READ_SUCCESS | EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(f->h->nmsi, 1);
    assert_false(f->h->intx);
    assert_true(testhost_logged(f->h, "not sent"));
    /* IRQ_TYPE 3: pci-epf-test drops the command, STATUS stays 0 */
    memset(f->h->ram + DST, 0, 100);
    start(f, EPF_TEST_CMD_COPY, SRC, DST, 100, 0, 3, 0);
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), 0);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), 0);
    assert_int_equal(f->h->nmsi, 1);
    assert_int_equal(f->h->ram[DST], 0);
}

static void one_command_runs_in_pci_epf_test_order(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    /* WRITE beats READ, COPY and the raises; RAISE_INTX beats WRITE */
    uint32_t st = run(f, EPF_TEST_CMD_READ | EPF_TEST_CMD_WRITE |
                             EPF_TEST_CMD_COPY | EPF_TEST_CMD_RAISE_MSI,
                      SRC, DST, 64, 0);
    assert_int_equal(st, EPF_TEST_STATUS_WRITE_SUCCESS |
                             EPF_TEST_STATUS_IRQ_RAISED);
    vpci_cfg_write(f->dev, vpci_cap_find(f->dev, PCI_CAP_ID_MSI) +
                               PCI_MSI_FLAGS, 2, 0, NULL);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_INTX | EPF_TEST_CMD_WRITE);
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), EPF_TEST_STATUS_IRQ_RAISED);
    assert_true(f->h->intx);
    isr(f);
    /* unknown bits are taken and ignored */
    wr(f, EPF_TEST_STATUS, 4, 0x3);
    wr(f, EPF_TEST_COMMAND, 4, 0x40);
    complete(f);
    assert_int_equal(rd(f, EPF_TEST_COMMAND, 4), 0);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), 0);
    assert_false(f->h->intx);
}

static void command_written_while_pending_replaces_it(void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    wr(f, EPF_TEST_IRQ_NUMBER, 4, 1);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_INTX);
    testhost_advance(f->h, EPF_TEST_POLL_NS / 2);
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSI);
    /* one poll, at the first deadline, takes the latest value */
    testhost_advance(f->h, EPF_TEST_POLL_NS / 2);
    assert_int_equal(f->h->ntimers, 0);
    assert_int_equal(f->h->nmsi, 1);
    assert_false(f->h->intx);
    isr(f);
    /* cleared before the poll: nothing happens */
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_MSI);
    wr(f, EPF_TEST_COMMAND, 4, 0);
    wr(f, EPF_TEST_STATUS, 4, EPF_TEST_STATUS_COPY_FAIL);
    complete(f);
    assert_int_equal(f->h->nmsi, 1);
    assert_int_equal(rd(f, EPF_TEST_STATUS, 4), EPF_TEST_STATUS_COPY_FAIL);
}

/* ---- invalid addresses ---- */

static void read_from_an_invalid_source_reports_it_and_still_interrupts(
    void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    /* beyond RAM: nothing decodes there */
    assert_int_equal(run(f, EPF_TEST_CMD_READ, RAM_SIZE + 0x1000, 0, 1024, 0),
                     EPF_TEST_STATUS_READ_FAIL |
                         EPF_TEST_STATUS_SRC_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    /* a buffer whose last page faults, 64-bit address above RAM */
    testhost_add_fault(f->h, SRC + 0x2000, 0x1000, EACCES);
    assert_int_equal(run(f, EPF_TEST_CMD_READ, SRC, 0, 0x2001, 0),
                     EPF_TEST_STATUS_READ_FAIL |
                         EPF_TEST_STATUS_SRC_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(run(f, EPF_TEST_CMD_READ, 0x100000000ull, 0, 1, 0),
                     EPF_TEST_STATUS_READ_FAIL |
                         EPF_TEST_STATUS_SRC_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    assert_true(testhost_logged(f->h, "source address invalid"));
}

static void write_to_an_invalid_destination_stops_at_the_faulting_page(
    void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    wr(f, EPF_TEST_CHECKSUM, 4, 0x5a5a5a5a);
    uint8_t *before = f->snap;
    memcpy(before, f->h->ram, RAM_SIZE);
    testhost_add_fault(f->h, DST + 0x2000, 0x1000, EFAULT);
    unsigned nmsi = f->h->nmsi;
    start(f, EPF_TEST_CMD_WRITE, 0, DST, 0x5000, 0x5a5a5a5a,
          EPF_TEST_IRQ_MSI, 0);
    complete(f);
    assert_int_equal(f->h->nmsi, nmsi + 1);
    assert_int_equal(isr(f), EPF_TEST_STATUS_WRITE_FAIL |
                                 EPF_TEST_STATUS_DST_ADDR_INVALID |
                                 EPF_TEST_STATUS_IRQ_RAISED);
    /* the pages before the fault were written, nothing from it on */
    assert_memory_not_equal(before + DST, f->h->ram + DST, 0x2000);
    assert_memory_equal(before + DST + 0x2000, f->h->ram + DST + 0x2000,
                        RAM_SIZE - DST - 0x2000);
    assert_memory_equal(before, f->h->ram, DST);
    assert_int_equal(rd(f, EPF_TEST_CHECKSUM, 4), 0x5a5a5a5a);
}

/* The fault is found page by page, not chunk by chunk: an unaligned
 * buffer gets the start of the chunk that faults (what the qtest scripts
 * see at the end of guest RAM). */
static void unaligned_write_stops_at_the_faulting_page_inside_a_chunk(
    void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    memset(f->h->ram + DST, 0x33, 0x3000);
    testhost_add_fault(f->h, DST + 0x2000, 0x1000, EFAULT);
    /* one chunk, DST + 0x1800 .. DST + 0x27ff: its first 2 KiB lie
     * before the faulting page */
    assert_int_equal(run(f, EPF_TEST_CMD_WRITE, 0, DST + 0x1800, 0x1000, 0),
                     EPF_TEST_STATUS_WRITE_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    unsigned changed = 0;
    for (unsigned i = 0x1800; i < 0x2000; i++)
        changed += f->h->ram[DST + i] != 0x33;
    assert_true(changed > 0x700);     /* random data: a few bytes may be 0x33 */
    for (unsigned i = 0; i < 0x1800; i++)
        assert_int_equal(f->h->ram[DST + i], 0x33);
    for (unsigned i = 0x2000; i < 0x3000; i++)
        assert_int_equal(f->h->ram[DST + i], 0x33);
}

static void copy_from_an_invalid_source_leaves_the_destination_alone(
    void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    memset(f->h->ram + DST, 0x77, 0x3000);
    testhost_add_fault(f->h, SRC, 0x1000, EFAULT);
    assert_int_equal(run(f, EPF_TEST_CMD_COPY, SRC, DST, 0x3000, 0),
                     EPF_TEST_STATUS_COPY_FAIL |
                         EPF_TEST_STATUS_SRC_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
    for (unsigned i = 0; i < 0x3000; i++)
        assert_int_equal(f->h->ram[DST + i], 0x77);
    /* an invalid destination instead: DST_ADDR_INVALID */
    assert_int_equal(run(f, EPF_TEST_CMD_COPY, SRC + 0x1000,
                         0x100000000ull, 0x1000, 0),
                     EPF_TEST_STATUS_COPY_FAIL |
                         EPF_TEST_STATUS_DST_ADDR_INVALID |
                         EPF_TEST_STATUS_IRQ_RAISED);
}

static void transfers_without_bus_mastering_report_invalid_addresses(
    void **state)
{
    struct model_fixture *f = *state;
    wr(f, EPF_TEST_IRQ_TYPE, 4, EPF_TEST_IRQ_INTX);
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, NULL);
    memset(f->h->ram + DST, 0x55, 64);
    start(f, EPF_TEST_CMD_WRITE, 0, DST, 64, 0, EPF_TEST_IRQ_INTX, 0);
    complete(f);
    /* INTx is not a bus-master write: it still arrives */
    assert_true(f->h->intx);
    assert_int_equal(isr(f), EPF_TEST_STATUS_WRITE_FAIL |
                                 EPF_TEST_STATUS_DST_ADDR_INVALID |
                                 EPF_TEST_STATUS_IRQ_RAISED);
    assert_int_equal(f->h->ram[DST], 0x55);
    start(f, EPF_TEST_CMD_COPY, SRC, DST, 64, 0, EPF_TEST_IRQ_INTX, 0);
    complete(f);
    assert_int_equal(isr(f), EPF_TEST_STATUS_COPY_FAIL |
                                 EPF_TEST_STATUS_SRC_ADDR_INVALID |
                                 EPF_TEST_STATUS_IRQ_RAISED);
}

/* ---- reset, save/restore ---- */

static void reset_cancels_a_pending_command_and_clears_registers(void **state)
{
    struct model_fixture *f = *state;
    wr(f, EPF_TEST_COMMAND, 4, EPF_TEST_CMD_RAISE_INTX);
    complete(f);
    assert_true(f->h->intx);
    wr(f, EPF_TEST_MAGIC, 4, 0xa0a0a0a0u);
    assert_int_equal(vpci_bar_write(f->dev, 5, 0x100, 4, 0xa0a0a0a0u), 0);
    start(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0, 0, 0);
    assert_int_equal(f->h->ntimers, 1);
    vpci_dev_reset(f->dev, VPCI_RESET_FLR, NULL);
    assert_int_equal(f->h->ntimers, 0);
    assert_false(f->h->intx);
    testhost_place_bar(f->dev, 0);
    testhost_place_bar(f->dev, 5);
    testhost_command(f->dev, PCI_COMMAND_MEMORY);
    for (uint64_t off = 0; off < EPF_TEST_CAPS; off += 4)
        assert_int_equal(rd(f, off, 4), 0);
    /* endpoint memory keeps its contents */
    uint64_t v;
    assert_int_equal(vpci_bar_read(f->dev, 5, 0x100, 4, &v), 0);
    assert_int_equal(v, 0xa0a0a0a0u);
}

static void save_restore_mid_command_carries_the_deadline_and_data(
    void **state)
{
    struct model_fixture *f = *state;
    enable_msi(f, 0);
    run(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0);    /* generator moves */
    start(f, EPF_TEST_CMD_WRITE, 0, DST, 4096, 0, EPF_TEST_IRQ_MSI, 0);
    testhost_advance(f->h, 1000);
    void *blob;
    size_t len;
    assert_int_equal(vpci_dev_save(f->dev, &blob, &len), 0);
    uint64_t deadline = f->h->timers[0].deadline;
    complete(f);
    uint32_t crc = (uint32_t)rd(f, EPF_TEST_CHECKSUM, 4);

    struct model_fixture *f2 = model_fixture_new("epf-test", NULL, RAM_SIZE);
    struct testhost *h2 = f2->h;
    h2->now = 1000;
    assert_int_equal(vpci_dev_load(f2->dev, blob, len, NULL), 0);
    free(blob);
    assert_int_equal(h2->ntimers, 1);
    assert_int_equal(h2->timers[0].deadline, deadline);
    complete(f2);
    assert_int_equal(h2->nmsi, 1);
    assert_int_equal(rd(f2, EPF_TEST_CHECKSUM, 4), crc);
    assert_memory_equal(h2->ram + DST, f->h->ram + DST, 4096);
    model_fixture_free(f2);
}

static void reference_crc_matches_linux_crc32_le(void **state)
{
    (void)state;
    /* crc32_le(~0, "123456789", 9) is zlib's 0xcbf43926 inverted */
    assert_int_equal(ref_crc32_le(~0u, (const uint8_t *)"123456789", 9),
                     0x340bc6d9u);
    assert_int_equal(vpci_crc32_le(~0u, "123456789", 9), 0x340bc6d9u);
}

#define T(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, setup, model_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_crc_matches_linux_crc32_le),
        T(identity_binds_pci_endpoint_test_as_ti_dra74x),
        T(properties_set_ids_bar_sizes_and_vectors),
        T(bad_properties_are_refused),
        T(bad_msi_vectors_message_names_the_property),
        T(bar_pattern_reads_back_on_every_bar),
        T(registers_follow_the_linux_6_1_layout),
        T(intx_raise_sets_status_then_asserts_until_the_host_clears_it),
        T(next_command_clears_status_and_deasserts_intx),
        T(msi_raise_sends_vector_irq_number_minus_one),
        T(msi_raise_outside_the_enabled_vectors_does_nothing),
        T(msi_to_a_masked_vector_is_held_until_unmasked),
        T(msix_raise_sends_table_entry_irq_number_minus_one),
        T(msix_with_2048_vectors_reaches_every_entry),
        T(read_command_checks_the_crc_of_the_host_buffer),
        T(write_command_fills_the_host_buffer_and_reports_its_crc),
        T(write_data_is_reproducible_from_creation_and_reset),
        T(copy_command_copies_source_to_destination),
        T(transfers_work_at_unaligned_addresses),
        T(transfer_takes_time_by_size_and_dma_flag),
        T(transfer_interrupt_follows_irq_type),
        T(one_command_runs_in_pci_epf_test_order),
        T(command_written_while_pending_replaces_it),
        T(read_from_an_invalid_source_reports_it_and_still_interrupts),
        T(write_to_an_invalid_destination_stops_at_the_faulting_page),
        T(unaligned_write_stops_at_the_faulting_page_inside_a_chunk),
        T(copy_from_an_invalid_source_leaves_the_destination_alone),
        T(transfers_without_bus_mastering_report_invalid_addresses),
        T(reset_cancels_a_pending_command_and_clears_registers),
        T(save_restore_mid_command_carries_the_deadline_and_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
