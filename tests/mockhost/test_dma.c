/* SPDX-License-Identifier: MIT */
/*
 * DMA (issue 3, items 1 and 5): a function's DMA reads and writes guest
 * RAM, page piece by page piece; an address nothing decodes fails with
 * -EFAULT and nothing there is written; outside RAM the request goes
 * through memory decode as QEMU's pci_dma_rw(): BARs peer to peer (split
 * into the widths the target takes), the MSI doorbell (an MSI), virt's
 * empty PCI windows (all ones, writes dropped), re-entry into a function
 * whose BAR handler runs blocked as QEMU 7.2.x does; with an IOMMU the
 * function's current requester ID selects the page tables, a fault comes
 * back to the device as a DMA error and is recorded, and MSI writes to
 * RAM are translated too while doorbell messages are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static struct mt_machine mm;

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
    mt_machine_free(&mm);
    return 0;
}

/* A tdev at @spec with bus master on; returns its device. */
static struct vpci_dev *master(struct vpci_mock *m, const char *spec,
                               struct vpci_mock_fn **out)
{
    struct vpci_mock_fn *fn = mt_add(m, tdev_model(), spec);
    assert_non_null(fn);
    mt_command(m, MT_DIRECT, vpci_mock_fn_bus(fn), vpci_mock_fn_devfn(fn),
               PCI_COMMAND_MASTER);
    if (out)
        *out = fn;
    return vpci_mock_fn_dev(fn);
}

/* ------------------------------------------------------------------ */

static void test_dma_to_and_from_ram(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_dev *dev = master(m, "addr=01.0", NULL);
    uint8_t out[200], in[200];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i ^ 0x5a);
    size_t done = 0;
    /* across a page boundary: two host calls */
    assert_int_equal(vpci_dma_write(dev, 0x3fa0, out, sizeof(out), &done), 0);
    assert_int_equal(done, sizeof(out));
    vpci_mock_memread(m, 0x3fa0, in, sizeof(in));
    assert_memory_equal(out, in, sizeof(out));
    memset(in, 0, sizeof(in));
    vpci_mock_memwrite(m, 0x8000, out, sizeof(out));
    assert_int_equal(vpci_dma_read(dev, 0x8000, in, sizeof(in), &done), 0);
    assert_memory_equal(out, in, sizeof(out));
}

static void test_dma_outside_ram_fails(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev = master(m, "addr=01.0", &fn);
    uint8_t buf[64];
    memset(buf, 0xab, sizeof(buf));
    size_t done = 99;
    /* the PCI hole, the doorbell, the top of the address space */
    assert_int_equal(vpci_dma_write(dev, 0xc0000000u, buf, 16, &done),
                     -EFAULT);
    assert_int_equal(done, 0);
    assert_int_equal(vpci_dma_read(dev, 0xfffffffffffff000ull, buf, 4, NULL),
                     -EFAULT);
    /* a BAR programmed but not decoding (COMMAND.MEMORY off): nothing */
    mt_bar(m, MT_DIRECT, 0, MT_DEVFN(1, 0), 0, 0xc0000000u, false);
    assert_int_equal(vpci_dma_write(dev, 0xc0000000u, buf, 16, NULL),
                     -EFAULT);
    mt_command(m, MT_DIRECT, 0, MT_DEVFN(1, 0),
               PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(vpci_mock_read(m, 0xc0000000u, 4), 0);
    /* half in the BAR, half past it: the BAR's part lands, the rest is a
     * decode error (QEMU carries out every piece and reports the error) */
    assert_int_equal(vpci_dma_write(dev, 0xc0000ff8u, buf, 16, NULL),
                     -EFAULT);
    assert_int_equal(vpci_mock_read(m, 0xc0000ff8u, 8), 0xababababababababull);
    /* the last page of RAM and the one after: the first piece moves */
    uint64_t end = vpci_mock_get_map(m)->ram_lo_size;
    assert_int_equal(vpci_dma_write(dev, end - 16, buf, 32, &done), -EFAULT);
    assert_int_equal(done, 16);
    assert_int_equal(vpci_mock_read(m, end - 16, 8), 0xababababababababull);
    assert_int_equal(vpci_mock_read(m, end, 8), 0);
    /* bus master off: refused by the device before the host sees it */
    mt_command(m, MT_DIRECT, 0, MT_DEVFN(1, 0), 0);
    assert_int_equal(vpci_dma_write(dev, 0x1000, buf, 4, NULL), -EPERM);
}

static void test_dma_to_ram_above_4g_and_on_virt(void **state)
{
    (void)state;
    struct mt_machine b;
    assert_int_equal(mt_machine_new(&b, VPCI_MOCK_Q35, 3 * GIB, false), 0);
    struct vpci_dev *dev = master(b.m, "addr=01.0", NULL);
    uint32_t v = 0x1234abcd;
    assert_int_equal(vpci_dma_write(dev, 4 * GIB + 0x100, &v, 4, NULL), 0);
    assert_int_equal(vpci_mock_read(b.m, 4 * GIB + 0x100, 4), v);
    assert_int_equal(vpci_dma_write(dev, 3 * GIB, &v, 4, NULL), -EFAULT);
    mt_machine_free(&b);

    assert_int_equal(mt_machine_new(&b, VPCI_MOCK_VIRT, 0, false), 0);
    dev = master(b.m, "addr=01.0", NULL);
    assert_int_equal(vpci_dma_write(dev, 0x1000, &v, 4, NULL), -EFAULT);
    assert_int_equal(vpci_dma_write(dev, 0x40000000u, &v, 4, NULL), 0);
    assert_int_equal(vpci_mock_read(b.m, 0x40000000u, 4), v);
    mt_machine_free(&b);
}

static void test_iommu_fault_is_a_dma_error_and_recorded(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev = master(m, "addr=03.0", &fn);
    uint16_t rid = vpci_mock_fn_rid(fn);
    uint32_t v = 0xdeadbeef;
    size_t done = 9;
    /* nothing mapped: the device's DMA fails, nothing is written */
    assert_int_equal(vpci_dma_write(dev, 0x10000, &v, 4, &done), -EFAULT);
    assert_int_equal(done, 0);
    assert_int_equal(vpci_mock_read(m, 0x10000, 4), 0);
    struct vpci_mock_fault f[4];
    assert_int_equal(vpci_mock_iommu_faults(m, f, 4), 1);
    assert_int_equal(f[0].rid, rid);
    assert_int_equal(f[0].addr, 0x10000);
    assert_true(f[0].write);
    assert_int_equal(f[0].err, -EFAULT);

    /* mapped: IOVA 0x10000 -> PA 0x200000 */
    assert_int_equal(vpci_mock_iommu_map(m, rid, 0x10000, 0x200000, 0x2000,
                                         VPCI_MOCK_IOMMU_READ |
                                             VPCI_MOCK_IOMMU_WRITE), 0);
    assert_int_equal(vpci_dma_write(dev, 0x10ffe, &v, 4, NULL), 0);
    assert_int_equal(vpci_mock_read(m, 0x200ffe, 4), v);
    assert_int_equal(vpci_mock_read(m, 0x10ffe, 4), 0);
    uint32_t back = 0;
    assert_int_equal(vpci_dma_read(dev, 0x10ffe, &back, 4, NULL), 0);
    assert_int_equal(back, v);

    /* read-only mapping: a write is refused with -EACCES */
    assert_int_equal(vpci_mock_iommu_map(m, rid, 0x40000, 0x300000, 0x1000,
                                         VPCI_MOCK_IOMMU_READ), 0);
    assert_int_equal(vpci_dma_write(dev, 0x40000, &v, 4, NULL), -EACCES);
    assert_int_equal(vpci_dma_read(dev, 0x40000, &back, 4, NULL), 0);
    assert_int_equal(vpci_mock_iommu_faults(m, f, 4), 2);
    assert_int_equal(f[1].err, -EACCES);

    /* another requester does not see this one's mappings */
    struct vpci_mock_fn *other;
    struct vpci_dev *odev = master(m, "addr=04.0", &other);
    assert_int_equal(vpci_dma_read(odev, 0x10000, &back, 4, NULL), -EFAULT);
    assert_int_equal(vpci_mock_iommu_faults(m, f, 4), 3);
    assert_int_equal(f[2].rid, vpci_mock_fn_rid(other));
    vpci_mock_iommu_clear_faults(m);
    assert_int_equal(vpci_mock_iommu_faults(m, f, 4), 0);
}

static void test_iommu_uses_the_programmed_requester_id(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(mt_add(m, tbridge_model(), "addr=02.0,id=br"));
    assert_non_null(fn = mt_add(m, tdev_model(), "bus=br,addr=01.0"));
    mt_bridge_buses(m, MT_CF8, 0, MT_DEVFN(2, 0), 0, 3, 3);
    mt_command(m, MT_CF8, 3, MT_DEVFN(1, 0), PCI_COMMAND_MASTER);
    assert_int_equal(vpci_mock_fn_rid(fn), 0x0308);
    assert_int_equal(vpci_mock_iommu_map(m, 0x0308, 0, 0x100000, 0x1000,
                                         VPCI_MOCK_IOMMU_WRITE), 0);
    uint32_t v = 77;
    assert_int_equal(vpci_dma_write(vpci_mock_fn_dev(fn), 0x20, &v, 4, NULL),
                     0);
    assert_int_equal(vpci_mock_read(m, 0x100020, 4), 77);
    /* renumbered: the old mapping is someone else's */
    mt_bridge_buses(m, MT_CF8, 0, MT_DEVFN(2, 0), 0, 4, 4);
    assert_int_equal(vpci_dma_write(vpci_mock_fn_dev(fn), 0x20, &v, 4, NULL),
                     -EFAULT);
}

static void test_iommu_translates_msi_to_ram_not_to_the_doorbell(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev = master(m, "addr=05.0", &fn);
    uint16_t rid = vpci_mock_fn_rid(fn);
    unsigned cap = vpci_cap_find(dev, PCI_CAP_ID_MSI);
    uint8_t d = vpci_mock_fn_devfn(fn);
    mt_cfg_write(m, MT_ECAM, 0, d, cap + PCI_MSI_ADDRESS_LO, 4, 0x5000);
    mt_cfg_write(m, MT_ECAM, 0, d, cap + PCI_MSI_DATA_64, 2, 0x10);
    mt_cfg_write(m, MT_ECAM, 0, d, cap + PCI_MSI_FLAGS, 2,
                 PCI_MSI_FLAGS_ENABLE);
    /* unmapped IOVA: dropped, fault recorded */
    vpci_irq_pulse(dev, 0);
    assert_int_equal(vpci_mock_read(m, 0x5000, 4), 0);
    assert_int_equal(vpci_mock_iommu_faults(m, NULL, 0), 1);
    /* mapped: written at the translated address */
    assert_int_equal(vpci_mock_iommu_map(m, rid, 0x5000, 0x301000, 0x1000,
                                         VPCI_MOCK_IOMMU_WRITE), 0);
    vpci_irq_pulse(dev, 0);
    assert_int_equal(vpci_mock_read(m, 0x301000, 4), 0x10);
    assert_int_equal(vpci_mock_msi_count(m), 0);
    /* doorbell messages are interrupts, not DMA: no translation needed */
    mt_cfg_write(m, MT_ECAM, 0, d, cap + PCI_MSI_ADDRESS_LO, 4, 0xfee00000u);
    vpci_irq_pulse(dev, 0);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    assert_int_equal(vpci_mock_iommu_faults(m, NULL, 0), 1);
}

/* ------------------------------------------------------------------ */
/* Peer to peer: DMA into BARs                                         */
/* ------------------------------------------------------------------ */

/*
 * "pdev": BAR0 MEM32 4 KiB with handlers that log each access (offset,
 * width, direction) and keep 4 KiB of backing; a 4-byte write to
 * PDEV_KICK DMAs the value it wrote to the bus address held at
 * PDEV_TARGET (its own BAR, say): the re-entrant loop QEMU 7.2.0 leaves
 * unbroken.  BAR1: 16 bytes of RAM, a range that ends inside a page.
 */
#define PDEV_KICK 0x100u
#define PDEV_PEEK 0x104u    /* a write DMA-reads 4 bytes from TARGET to 0x200 */
#define PDEV_TARGET 0x108u
#define PDEV_LOG_MAX 64u

struct pdev_access {
    uint64_t off;
    unsigned len;
    bool write;
};

struct pdev {
    uint8_t mem[4096];
    struct pdev_access log[PDEV_LOG_MAX];
    unsigned nlog, kicks;
    int last_rc;           /* what the last kick's DMA returned */
};

static void pdev_note(struct pdev *p, uint64_t off, unsigned len, bool write)
{
    if (p->nlog < PDEV_LOG_MAX)
        p->log[p->nlog] = (struct pdev_access){ off, len, write };
    p->nlog++;
}

static uint64_t pdev_read(struct vpci_dev *dev, void *opaque, uint64_t off,
                          unsigned len)
{
    (void)opaque;
    struct pdev *p = vpci_dev_priv(dev);
    pdev_note(p, off, len, false);
    uint64_t v = 0;
    for (unsigned i = 0; i < len && off + i < sizeof(p->mem); i++)
        v |= (uint64_t)p->mem[off + i] << (8 * i);
    return v;
}

static void pdev_write(struct vpci_dev *dev, void *opaque, uint64_t off,
                       unsigned len, uint64_t val)
{
    (void)opaque;
    struct pdev *p = vpci_dev_priv(dev);
    pdev_note(p, off, len, true);
    for (unsigned i = 0; i < len && off + i < sizeof(p->mem); i++)
        p->mem[off + i] = (uint8_t)(val >> (8 * i));
    if (off == PDEV_KICK && len == 4) {
        uint64_t target = 0;
        memcpy(&target, &p->mem[PDEV_TARGET], sizeof(target));
        uint32_t v = (uint32_t)val + 1;
        p->kicks++;
        p->last_rc = vpci_dma_write(dev, target, &v, 4, NULL);
    }
    if (off == PDEV_PEEK && len == 4) {
        uint64_t target = 0;
        memcpy(&target, &p->mem[PDEV_TARGET], sizeof(target));
        p->last_rc = vpci_dma_read(dev, target, &p->mem[0x200], 4, NULL);
    }
}

static int pdev_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    static const struct vpci_bar_ops ops = { pdev_read, pdev_write };
    const struct vpci_identity id = { .vendor_id = TDEV_VENDOR,
                                      .device_id = 0x7777,
                                      .class_code = 0xff0000 };
    int rc;
    if ((rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0)) ||
        (rc = vpci_bar_set_ops(dev, 0, &ops, NULL)) ||
        (rc = vpci_bar_define(dev, 1, VPCI_BAR_MEM32, 16, 0)) ||
        (rc = vpci_bar_set_ram(dev, 1)))
        return rc;
    return 0;
}

static const struct vpci_model pdev_model = {
    .name = "pdev",
    .desc = "DMA peer-to-peer test endpoint",
    .priv_size = sizeof(struct pdev),
    .init = pdev_init,
};

/* A pdev at @spec (bus 0) with BAR0 at @bar, memory and bus master on. */
static struct vpci_dev *pdev_at(struct vpci_mock *m, const char *spec,
                                uint64_t bar)
{
    struct vpci_mock_fn *fn = mt_add(m, &pdev_model, spec);
    assert_non_null(fn);
    uint8_t d = vpci_mock_fn_devfn(fn);
    mt_bar(m, MT_DIRECT, 0, d, 0, bar, false);
    mt_command(m, MT_DIRECT, 0, d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return vpci_mock_fn_dev(fn);
}

static void test_dma_peer_to_peer_into_a_bar(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_dev *dev = master(m, "addr=01.0", NULL);
    struct vpci_dev *peer = pdev_at(m, "addr=02.0", 0xc0010000u);
    struct pdev *p = vpci_dev_priv(peer);
    uint8_t out[15], in[15];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(0xc0 + i);
    /* 15 bytes at offset 0x21: naturally aligned pieces 1, 2, 4, 8 as
     * QEMU's memory_access_size() cuts them (the BAR takes up to 8) */
    assert_int_equal(vpci_dma_write(dev, 0xc0010021u, out, sizeof(out), NULL),
                     0);
    assert_int_equal(p->nlog, 4);
    static const struct pdev_access want[] = {
        { 0x21, 1, true }, { 0x22, 2, true }, { 0x24, 4, true },
        { 0x28, 8, true },
    };
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(p->log[i].off, want[i].off);
        assert_int_equal(p->log[i].len, want[i].len);
        assert_int_equal(p->log[i].write, want[i].write);
    }
    assert_memory_equal(&p->mem[0x21], out, sizeof(out));
    /* and back: the same pieces, reads */
    memset(in, 0, sizeof(in));
    assert_int_equal(vpci_dma_read(dev, 0xc0010021u, in, sizeof(in), NULL), 0);
    assert_memory_equal(in, out, sizeof(out));
    assert_int_equal(p->nlog, 8);
    assert_int_equal(p->log[7].len, 8);
    assert_false(p->log[7].write);
    /* a device into its own BAR: the same path */
    uint32_t v = 0x11223344, back = 0;
    assert_int_equal(vpci_dma_write(peer, 0xc0010200u, &v, 4, NULL), 0);
    assert_int_equal(vpci_mock_read(m, 0xc0010200u, 4), v);
    assert_int_equal(vpci_dma_read(peer, 0xc0010200u, &back, 4, NULL), 0);
    assert_int_equal(back, v);
    /* a RAM-backed BAR of another function (tdev BAR0) */
    mt_bar(m, MT_DIRECT, 0, MT_DEVFN(1, 0), 0, 0xc0020000u, false);
    mt_command(m, MT_DIRECT, 0, MT_DEVFN(1, 0),
               PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(vpci_dma_write(peer, 0xc0020ff0u, out, 8, NULL), 0);
    assert_int_equal(vpci_mock_read(m, 0xc0020ff0u, 8), 0xc7c6c5c4c3c2c1c0ull);
    /* across the end of a 16-byte BAR inside a page: cut at the BAR's end
     * (4 bytes land), the rest is a decode error on q35 */
    mt_bar(m, MT_DIRECT, 0, MT_DEVFN(2, 0), 1, 0xc0030000u, false);
    assert_int_equal(vpci_dma_write(dev, 0xc003000cu, out, 8, NULL), -EFAULT);
    assert_int_equal(vpci_mock_read(m, 0xc003000cu, 4), 0xc3c2c1c0u);
}

static void test_dma_peer_to_peer_through_the_iommu(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev = master(m, "addr=01.0", &fn);
    struct vpci_dev *peer = pdev_at(m, "addr=02.0", 0xc0010000u);
    struct pdev *p = vpci_dev_priv(peer);
    /* IOVA 0x7000 -> the peer's BAR: the translated address is decoded */
    assert_int_equal(vpci_mock_iommu_map(m, vpci_mock_fn_rid(fn), 0x7000,
                                         0xc0010000u, 0x1000,
                                         VPCI_MOCK_IOMMU_READ |
                                             VPCI_MOCK_IOMMU_WRITE), 0);
    uint32_t v = 0xfeedf00d;
    assert_int_equal(vpci_dma_write(dev, 0x7040, &v, 4, NULL), 0);
    assert_int_equal(p->nlog, 1);
    assert_int_equal(p->log[0].off, 0x40);
    assert_int_equal(vpci_mock_read(m, 0xc0010040u, 4), v);
    /* untranslated, the same bus address is a fault, not the BAR */
    assert_int_equal(vpci_dma_write(dev, 0xc0010040u, &v, 4, NULL), -EFAULT);
    assert_int_equal(p->nlog, 2);        /* only the CPU read above */
}

static void test_dma_reentry_into_a_running_handler_is_blocked(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_dev *dev = pdev_at(m, "addr=02.0", 0xc0010000u);
    struct pdev *p = vpci_dev_priv(dev);
    /* the kick DMAs into its own kick register from inside its handler:
     * QEMU's re-entrancy guard refuses it, the DMA fails, no loop */
    vpci_mock_write(m, 0xc0010000u + PDEV_TARGET, 8,
                    0xc0010000u + PDEV_KICK);
    unsigned warnings = vpci_mock_warnings(m);
    vpci_mock_write(m, 0xc0010000u + PDEV_KICK, 4, 1);
    assert_int_equal(p->kicks, 1);
    assert_int_equal(p->last_rc, -EFAULT);
    assert_int_equal(vpci_mock_read(m, 0xc0010000u + PDEV_KICK, 4), 1);
    assert_true(vpci_mock_warnings(m) > warnings);
    /* the guard is released: the next kick runs (and is refused) again */
    vpci_mock_write(m, 0xc0010000u + PDEV_KICK, 4, 10);
    assert_int_equal(p->kicks, 2);
    assert_int_equal(vpci_mock_read(m, 0xc0010000u + PDEV_KICK, 4), 10);

    /* two functions: A's kick DMAs into B's kick (B is not busy: it runs),
     * whose DMA back into A's kick is refused (A's handler is running) */
    struct vpci_dev *bdev = pdev_at(m, "addr=03.0", 0xc0020000u);
    struct pdev *q = vpci_dev_priv(bdev);
    vpci_mock_write(m, 0xc0010000u + PDEV_TARGET, 8,
                    0xc0020000u + PDEV_KICK);
    vpci_mock_write(m, 0xc0020000u + PDEV_TARGET, 8,
                    0xc0010000u + PDEV_KICK);
    vpci_mock_write(m, 0xc0010000u + PDEV_KICK, 4, 100);
    assert_int_equal(p->kicks, 3);
    assert_int_equal(q->kicks, 1);
    assert_int_equal(p->last_rc, 0);
    assert_int_equal(q->last_rc, -EFAULT);
    assert_int_equal(vpci_mock_read(m, 0xc0020000u + PDEV_KICK, 4), 101);
    assert_int_equal(vpci_mock_read(m, 0xc0010000u + PDEV_KICK, 4), 100);
    /* reads are refused the same way: A's handler DMA-reads its own BAR
     * (refused), then B's (B idle: it answers) */
    vpci_mock_write(m, 0xc0020000u + 0x40, 4, 0x600d);
    vpci_mock_write(m, 0xc0010000u + PDEV_TARGET, 8, 0xc0010000u);
    vpci_mock_write(m, 0xc0010000u + PDEV_PEEK, 4, 1);
    assert_int_equal(p->last_rc, -EFAULT);
    assert_int_equal(vpci_mock_read(m, 0xc0010200u, 4), 0);
    vpci_mock_write(m, 0xc0010000u + PDEV_TARGET, 8, 0xc0020040u);
    vpci_mock_write(m, 0xc0010000u + PDEV_PEEK, 4, 1);
    assert_int_equal(p->last_rc, 0);
    assert_int_equal(vpci_mock_read(m, 0xc0010200u, 4), 0x600d);
}

static void test_dma_into_virt_windows_reads_ones(void **state)
{
    (void)state;
    struct mt_machine b;
    assert_int_equal(mt_machine_new(&b, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_dev *dev = master(b.m, "addr=01.0", NULL);
    uint8_t buf[12];
    uint64_t addrs[] = { 0x20000000u, 0x3efefff8u, 0x8000001000ull,
                         0x3eff5000u /* the IO window: no port there */ };
    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        memset(buf, 0, sizeof(buf));
        assert_int_equal(vpci_dma_read(dev, addrs[i], buf, sizeof(buf), NULL),
                         0);
        for (size_t k = 0; k < sizeof(buf); k++)
            assert_int_equal(buf[k], 0xff);
        /* writes succeed and are dropped */
        assert_int_equal(vpci_dma_write(dev, addrs[i], buf, 4, NULL), 0);
    }
    /* the end of the 32-bit window and what follows (the IO window) */
    assert_int_equal(vpci_dma_read(dev, 0x3efefffcu, buf, 8, NULL), 0);
    /* across the end of a 16-byte BAR: its 4 bytes, then the window's
     * all ones */
    struct vpci_mock_fn *pfn = mt_add(b.m, &pdev_model, "addr=03.0");
    mt_bar(b.m, MT_DIRECT, 0, vpci_mock_fn_devfn(pfn), 1, 0x10100000u, false);
    mt_command(b.m, MT_DIRECT, 0, vpci_mock_fn_devfn(pfn), PCI_COMMAND_MEMORY);
    vpci_mock_write(b.m, 0x1010000cu, 4, 0x44332211u);
    assert_int_equal(vpci_dma_read(dev, 0x1010000cu, buf, 8, NULL), 0);
    assert_int_equal(buf[0], 0x11);
    assert_int_equal(buf[3], 0x44);
    assert_int_equal(buf[4], 0xff);
    assert_int_equal(buf[7], 0xff);
    /* outside the windows nothing decodes: an error, as on q35 */
    assert_int_equal(vpci_dma_read(dev, 0x1000, buf, 4, NULL), -EFAULT);
    assert_int_equal(vpci_dma_read(dev, 0x0fff0000u, buf, 4, NULL), -EFAULT);
    /* a BAR there is still the BAR */
    struct vpci_dev *peer = pdev_at(b.m, "addr=02.0", 0x10000000u);
    uint32_t v = 0x01020304;
    assert_int_equal(vpci_dma_write(dev, 0x10000010u, &v, 4, NULL), 0);
    assert_int_equal(((struct pdev *)vpci_dev_priv(peer))->nlog, 1);
    assert_int_equal(vpci_mock_read(b.m, 0x10000010u, 4), v);
    mt_machine_free(&b);

    /* q35 has no such backing: its empty window is a decode error */
    assert_int_equal(vpci_dma_read(master(mm.m, "addr=01.0", NULL),
                                   0xe0000000u, buf, 4, NULL), -EFAULT);
}

/* GIC inputs pulsed high, by input (the qtest front end's IRQ hook). */
static unsigned gic_highs[VPCI_MOCK_GSI_MAX];

static void count_high(void *opaque, unsigned gsi, bool level)
{
    (void)opaque;
    if (level && gsi < VPCI_MOCK_GSI_MAX)
        gic_highs[gsi]++;
}

static void test_dma_to_the_doorbell_is_an_msi(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    struct vpci_dev *dev = master(m, "addr=01.0", &fn);
    uint32_t v = 0x4041;
    assert_int_equal(vpci_dma_write(dev, 0xfee01000u, &v, 4, NULL), 0);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    struct vpci_mock_msi e;
    assert_int_equal(vpci_mock_msi_get(m, 0, &e), 0);
    assert_int_equal(e.rid, vpci_mock_fn_rid(fn));
    assert_int_equal(e.addr, 0xfee01000u);
    assert_int_equal(e.data, 0x4041);
    /* two bytes are no message; eight are two (the doorbell takes 4) */
    assert_int_equal(vpci_dma_write(dev, 0xfee01000u, &v, 2, NULL), 0);
    assert_int_equal(vpci_mock_msi_count(m), 1);
    uint64_t two = 0x0000005200000051ull;
    assert_int_equal(vpci_dma_write(dev, 0xfee02000u, &two, 8, NULL), 0);
    assert_int_equal(vpci_mock_msi_count(m), 3);
    assert_int_equal(vpci_mock_msi_count_data(m, 0x52), 1);
    /* a read answers as the CPU's (q35: 0) */
    uint32_t back = 7;
    assert_int_equal(vpci_dma_read(dev, 0xfee00000u, &back, 4, NULL), 0);
    assert_int_equal(back, 0);

    /* virt: a write of an SPI's number to MSI_SETSPI_NS pulses it */
    struct mt_machine b;
    assert_int_equal(mt_machine_new(&b, VPCI_MOCK_VIRT, 0, false), 0);
    dev = master(b.m, "addr=01.0", NULL);
    v = 80;                      /* INTID 80: GIC input 48, the first SPI */
    memset(gic_highs, 0, sizeof(gic_highs));
    vpci_mock_set_irq_hook(b.m, count_high, NULL);
    assert_int_equal(vpci_dma_write(dev, 0x08020040u, &v, 4, NULL), 0);
    assert_int_equal(vpci_mock_msi_count(b.m), 1);
    assert_int_equal(gic_highs[48], 1);
    /* MSI_TYPER reads as the CPU sees it */
    assert_int_equal(vpci_dma_read(dev, 0x08020008u, &back, 4, NULL), 0);
    assert_int_equal(back, vpci_mock_read(b.m, 0x08020008u, 4));
    mt_machine_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dma_to_and_from_ram, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dma_outside_ram_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dma_peer_to_peer_into_a_bar,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_dma_peer_to_peer_through_the_iommu, setup_iommu, teardown),
        cmocka_unit_test_setup_teardown(
            test_dma_reentry_into_a_running_handler_is_blocked, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_dma_into_virt_windows_reads_ones,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_to_the_doorbell_is_an_msi,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_to_ram_above_4g_and_on_virt,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_iommu_fault_is_a_dma_error_and_recorded, setup_iommu,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_iommu_uses_the_programmed_requester_id, setup_iommu,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_iommu_translates_msi_to_ram_not_to_the_doorbell,
            setup_iommu, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
