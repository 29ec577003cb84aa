/* SPDX-License-Identifier: MIT */
/*
 * DMA (issue 3, items 1 and 5): a function's DMA reads and writes guest
 * RAM, page piece by page piece; anything that is not RAM fails with
 * -EFAULT and nothing outside RAM is written; with an IOMMU the
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
    assert_int_equal(vpci_dma_read(dev, 0xfee00000u, buf, 4, NULL), -EFAULT);
    assert_int_equal(vpci_dma_read(dev, 0xfffffffffffff000ull, buf, 4, NULL),
                     -EFAULT);
    /* a BAR, even one that decodes: no peer-to-peer DMA */
    mt_bar(m, MT_DIRECT, 0, MT_DEVFN(1, 0), 0, 0xc0000000u, false);
    mt_command(m, MT_DIRECT, 0, MT_DEVFN(1, 0),
               PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(vpci_dma_write(dev, 0xc0000000u, buf, 16, NULL),
                     -EFAULT);
    assert_int_equal(vpci_mock_read(m, 0xc0000000u, 4), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dma_to_and_from_ram, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dma_outside_ram_fails, setup,
                                        teardown),
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
