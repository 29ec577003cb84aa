/* SPDX-License-Identifier: MIT */
/*
 * The mock host's IOMMU (mockhost/iommu.c): per-requester page tables in
 * guest RAM with read/write permission, faults recorded and returned to
 * the device as DMA errors.
 *
 * The machine (q35, 128 MiB, IOMMU on) holds three "tdev" endpoints from
 * mocktest.h: a at 00:03.0, b at 00:04.0 and c at 01:00.0 behind a
 * bridge, enumerated so that bus mastering is on.  DMA goes through
 * libvpci's vpci_dma_read/write on a function, exactly as a model issues
 * it; the IOMMU is reached through the host's dma_rw().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mocktest.h"

#include "internal.h"   /* the core's calls into iommu.c */

#define PAGE 4096ull
#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define RW (VPCI_MOCK_IOMMU_READ | VPCI_MOCK_IOMMU_WRITE)
#define RO VPCI_MOCK_IOMMU_READ
#define WO VPCI_MOCK_IOMMU_WRITE

/* The datasheet in mockhost/iommu.c: entry bits and the pool. */
#define ENT_R 0x1ull
#define ENT_W 0x2ull
#define ENT_ADDR 0x000ffffffffff000ull
#define POOL_SIZE (4 * MIB)   /* the last 4 MiB of low RAM (mockhost.c) */

/* RAM the tests use as DMA targets: well below the table pool. */
#define PA_BASE (16 * MIB)

struct fixture {
    struct mt_machine mm;
    struct vpci_mock *m;
    struct vpci_mock_fn *a, *b, *c;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f || mt_machine_new(&f->mm, VPCI_MOCK_Q35, 0, true)) {
        free(f);
        return -1;
    }
    f->m = f->mm.m;
    f->a = mt_add(f->m, tdev_model(), "addr=03.0,id=a");
    f->b = mt_add(f->m, tdev_model(), "addr=04.0,id=b");
    struct vpci_mock_fn *br = mt_add(f->m, tbridge_model(),
                                     "addr=05.0,id=br0");
    f->c = mt_add(f->m, tdev_model(), "bus=br0,addr=00.0,id=c");
    if (!f->a || !f->b || !br || !f->c || vpci_mock_enumerate(f->m)) {
        mt_machine_free(&f->mm);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mt_machine_free(&f->mm);
    free(f);
    return 0;
}

static uint16_t rid(const struct vpci_mock_fn *fn)
{
    return vpci_mock_fn_rid(fn);
}

static struct vpci_dev *dev(const struct vpci_mock_fn *fn)
{
    return vpci_mock_fn_dev(fn);
}

/* vpci_mock_iommu_translate(); *pa (may be NULL) gets the PA, or all
 * ones when translation failed. */
static int xlate(struct vpci_mock *m, uint16_t r, uint64_t iova,
                 unsigned perm, uint64_t *pa)
{
    uint64_t out = ~0ull;
    int rc = vpci_mock_iommu_translate(m, r, iova, perm, &out);
    if (pa)
        *pa = out;
    return rc;
}

static uint64_t pool_base(struct vpci_mock *m)
{
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    return map->ram_lo_base + map->ram_lo_size - POOL_SIZE;
}

static uint64_t rd64(struct vpci_mock *m, uint64_t addr)
{
    uint8_t b[8];
    vpci_mock_memread(m, addr, b, sizeof(b));
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void wr64(struct vpci_mock *m, uint64_t addr, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    vpci_mock_memwrite(m, addr, b, sizeof(b));
}

/* Address of the level-1 entry of (@r, @iova), walked by hand in RAM. */
static uint64_t leaf_slot(struct vpci_mock *m, uint16_t r, uint64_t iova)
{
    uint64_t e = rd64(m, pool_base(m) + (uint64_t)(r >> 8) * 16);
    assert_true(e & 1);
    e = rd64(m, (e & ENT_ADDR) + (uint64_t)(r & 0xff) * 16);
    assert_true(e & 1);
    uint64_t table = e & ENT_ADDR;
    for (unsigned level = 4; level > 1; level--) {
        e = rd64(m, table + 8 * ((iova >> (12 + 9 * (level - 1))) & 511));
        assert_true(e & (ENT_R | ENT_W));
        table = e & ENT_ADDR;
    }
    return table + 8 * ((iova >> 12) & 511);
}

/* ------------------------------------------------------------------ */

static void test_map_translates_contiguous_iova_to_scattered_pages(
    void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x10000000;
    uint64_t pa[8];
    /* Page i of the buffer lives at a PA that goes backwards with holes. */
    for (unsigned i = 0; i < 8; i++) {
        pa[i] = PA_BASE + (7 - i) * 3 * PAGE;
        assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova + i * PAGE,
                                             pa[i], PAGE, RW), 0);
    }
    for (unsigned i = 0; i < 8; i++) {
        uint64_t out;
        assert_int_equal(xlate(f->m, rid(f->a), iova + i * PAGE + 0x123, RW,
                               &out), 0);
        assert_int_equal(out, pa[i] + 0x123);
    }
    /* One map call across a 2 MiB (L1 table) boundary and one across a
     * 512 GiB (L4 entry) boundary: contiguous PA, page by page. */
    const uint64_t across[] = { 2 * MIB - 2 * PAGE, (1ull << 39) - 2 * PAGE };
    for (unsigned k = 0; k < 2; k++) {
        assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), across[k],
                                             PA_BASE + MIB, 4 * PAGE, RO), 0);
        for (unsigned i = 0; i < 4; i++) {
            uint64_t out;
            assert_int_equal(xlate(f->m, rid(f->a), across[k] + i * PAGE + 8,
                                   RO, &out), 0);
            assert_int_equal(out, PA_BASE + MIB + i * PAGE + 8);
        }
        assert_int_equal(xlate(f->m, rid(f->a), across[k] + 4 * PAGE, RO,
                               NULL), -EFAULT);
    }
    /* Pages next to the mapped ones are not mapped; translate records
     * nothing. */
    assert_int_equal(xlate(f->m, rid(f->a), iova - PAGE, RO, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, rid(f->a), iova + 8 * PAGE, RO, NULL),
                     -EFAULT);
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);
}

static void test_write_to_read_only_page_faults_eacces_and_is_recorded(
    void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x20000000, pa = PA_BASE;
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova, pa, PAGE, RO),
                     0);
    uint8_t ram[64], buf[64];
    memset(ram, 0x5a, sizeof(ram));
    vpci_mock_memwrite(f->m, pa + 0x40, ram, sizeof(ram));

    /* A read goes through. */
    size_t done = 0;
    assert_int_equal(vpci_dma_read(dev(f->a), iova + 0x40, buf, sizeof(buf),
                                   &done), 0);
    assert_int_equal(done, sizeof(buf));
    assert_memory_equal(buf, ram, sizeof(buf));
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);

    /* A write is refused with -EACCES, nothing lands in RAM. */
    unsigned warns = vpci_mock_warnings(f->m);
    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(vpci_dma_write(dev(f->a), iova + 0x40, buf, sizeof(buf),
                                    &done), -EACCES);
    assert_int_equal(done, 0);
    uint8_t after[64];
    vpci_mock_memread(f->m, pa + 0x40, after, sizeof(after));
    assert_memory_equal(after, ram, sizeof(ram));

    struct vpci_mock_fault fl[2];
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 2), 1);
    assert_int_equal(fl[0].rid, rid(f->a));
    assert_int_equal(fl[0].addr, iova + 0x40);
    assert_true(fl[0].write);
    assert_int_equal(fl[0].err, -EACCES);
    assert_true(vpci_mock_warnings(f->m) > warns);   /* and it was logged */

    /* translate() reports the same without recording another fault. */
    assert_int_equal(xlate(f->m, rid(f->a), iova, WO, NULL), -EACCES);
    assert_int_equal(xlate(f->m, rid(f->a), iova, RO, NULL), 0);
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 1);

    /* Write-only: reads fault with -EACCES the same way. */
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova, pa, PAGE, WO),
                     0);
    assert_int_equal(vpci_dma_read(dev(f->a), iova, buf, 4, NULL), -EACCES);
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 2), 2);
    assert_false(fl[1].write);
    assert_int_equal(fl[1].err, -EACCES);
    assert_int_equal(fl[1].addr, iova);
}

static void test_unmapped_iova_faults_efault_and_is_recorded(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[16] = { 0 };
    size_t done = 1;
    assert_int_equal(vpci_dma_read(dev(f->b), 0x30000000, buf, sizeof(buf),
                                   &done), -EFAULT);
    assert_int_equal(done, 0);
    /* Beyond the 48-bit IOVA width: no entry can map it (it does not
     * wrap around to IOVA 0, which is mapped). */
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->b), 0, PA_BASE, PAGE,
                                         RW), 0);
    assert_int_equal(xlate(f->m, rid(f->b), 1ull << 48, 0, NULL), -EFAULT);
    assert_int_equal(vpci_dma_write(dev(f->b), 1ull << 48, buf, sizeof(buf),
                                    NULL), -EFAULT);

    struct vpci_mock_fault fl[4];
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 4), 2);
    assert_int_equal(fl[0].rid, rid(f->b));
    assert_int_equal(fl[0].addr, 0x30000000);
    assert_false(fl[0].write);
    assert_int_equal(fl[0].err, -EFAULT);
    assert_int_equal(fl[1].rid, rid(f->b));
    assert_int_equal(fl[1].addr, 1ull << 48);
    assert_true(fl[1].write);
    assert_int_equal(fl[1].err, -EFAULT);
}

static void test_mapping_is_visible_only_to_its_requester(void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x40000000;
    assert_int_not_equal(vpci_mock_fn_bus(f->c), 0);   /* behind the bridge */
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova, PA_BASE, PAGE,
                                         RW), 0);
    assert_int_equal(xlate(f->m, rid(f->a), iova, RW, NULL), 0);
    /* Same bus, other devfn (same context table) and another bus. */
    assert_int_equal(xlate(f->m, rid(f->b), iova, RO, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, rid(f->c), iova, RO, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, (uint16_t)(rid(f->a) + 1), iova, RO, NULL),
                     -EFAULT);   /* function 1 of the same device */
    /* No aliasing of any devfn or bus bit. */
    for (unsigned bit = 0; bit < 16; bit++)
        assert_int_equal(xlate(f->m, (uint16_t)(rid(f->a) ^ (1u << bit)),
                               iova, RO, NULL), -EFAULT);

    uint32_t v = 0xcafef00d;
    assert_int_equal(vpci_dma_write(dev(f->a), iova, &v, 4, NULL), 0);
    assert_int_equal(vpci_dma_write(dev(f->b), iova, &v, 4, NULL), -EFAULT);
    assert_int_equal(vpci_dma_write(dev(f->c), iova, &v, 4, NULL), -EFAULT);

    /* The same IOVA maps elsewhere for c. */
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->c), iova,
                                         PA_BASE + PAGE, PAGE, RW), 0);
    uint32_t w = 0x12345678, got = 0;
    assert_int_equal(vpci_dma_write(dev(f->c), iova, &w, 4, NULL), 0);
    vpci_mock_memread(f->m, PA_BASE, &got, 4);
    assert_int_equal(got, 0xcafef00d);
    vpci_mock_memread(f->m, PA_BASE + PAGE, &got, 4);
    assert_int_equal(got, 0x12345678);

    struct vpci_mock_fault fl[4];
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 4), 2);
    assert_int_equal(fl[0].rid, rid(f->b));
    assert_int_equal(fl[1].rid, rid(f->c));
}

static void test_unmap_clears_pages_and_tolerates_unmapped(void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x50000000;
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova, PA_BASE,
                                         3 * PAGE, RW), 0);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), iova + PAGE,
                                           PAGE), 0);
    assert_int_equal(xlate(f->m, rid(f->a), iova, RW, NULL), 0);
    assert_int_equal(xlate(f->m, rid(f->a), iova + PAGE, RO, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, rid(f->a), iova + 2 * PAGE, RW, NULL), 0);
    /* Unmapping what is not mapped (again, another requester, nothing at
     * all) is fine. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), iova + PAGE,
                                           PAGE), 0);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->b), iova, 3 * PAGE),
                     0);
    assert_int_equal(xlate(f->m, rid(f->a), iova, RW, NULL), 0);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, 0xffff, 0, 1ull << 48), 0);
    /* The whole range, then all of the IOVA space. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), 0, 1ull << 48),
                     0);
    assert_int_equal(xlate(f->m, rid(f->a), iova, RO, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, rid(f->a), iova + 2 * PAGE, RO, NULL),
                     -EFAULT);
    /* Every table went back to the pool: the root entry is clear again. */
    assert_int_equal(rd64(f->m, pool_base(f->m) + (rid(f->a) >> 8) * 16), 0);

    /* Bad ranges are refused. */
    unsigned errs = vpci_mock_errors(f->m);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), iova + 1, PAGE),
                     -EINVAL);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), iova, 100),
                     -EINVAL);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), iova, 0),
                     -EINVAL);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), 1ull << 48, PAGE),
                     -EINVAL);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), ~0xfffull,
                                           2 * PAGE), -EINVAL);
    assert_int_equal(vpci_mock_errors(f->m), errs + 5);
}

static void test_remap_replaces_address_and_permission(void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x60000000;
    uint64_t out;
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova, PA_BASE,
                                         2 * PAGE, RW), 0);
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova + PAGE,
                                         PA_BASE + 10 * PAGE, PAGE, RO), 0);
    assert_int_equal(xlate(f->m, rid(f->a), iova, RW, &out), 0);
    assert_int_equal(out, PA_BASE);
    assert_int_equal(xlate(f->m, rid(f->a), iova + PAGE, RO, &out), 0);
    assert_int_equal(out, PA_BASE + 10 * PAGE);
    assert_int_equal(xlate(f->m, rid(f->a), iova + PAGE, WO, NULL), -EACCES);
    /* translate with no permission asks only whether it is mapped. */
    assert_int_equal(xlate(f->m, rid(f->a), iova + PAGE, 0, &out), 0);
    assert_int_equal(xlate(f->m, rid(f->a), iova + PAGE, 4, NULL), -EINVAL);
}

static void test_map_rejects_misaligned_empty_overflowing_and_bad_perm(
    void **state)
{
    struct fixture *f = *state;
    const uint16_t r = rid(f->a);
    const uint64_t iova = 0x70000000;
    const struct {
        uint64_t iova, pa, len;
        unsigned perm;
    } bad[] = {
        { iova + 1, PA_BASE, PAGE, RW },           /* IOVA misaligned */
        { iova + 0x800, PA_BASE, PAGE, RW },
        { iova, PA_BASE + 4, PAGE, RW },           /* PA misaligned */
        { iova, PA_BASE, PAGE + 1, RW },           /* length */
        { iova, PA_BASE, 0x800, RW },
        { iova, PA_BASE, 0, RW },                  /* empty */
        { ~0xfffull, PA_BASE, 2 * PAGE, RW },      /* IOVA wraps */
        { (1ull << 48) - PAGE, PA_BASE, 2 * PAGE, RW }, /* past 48 bits */
        { 1ull << 48, PA_BASE, PAGE, RW },
        { iova, ~0xfffull, 2 * PAGE, RW },         /* PA wraps */
        { iova, (1ull << 52) - PAGE, 2 * PAGE, RW },/* PA past 52 bits */
        { iova, PA_BASE, PAGE, 0 },                /* no permission */
        { iova, PA_BASE, PAGE, 4 },                /* unknown bit */
        { iova, PA_BASE, PAGE, RW | 8 },
    };
    unsigned errs = vpci_mock_errors(f->m);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = vpci_mock_iommu_map(f->m, r, bad[i].iova, bad[i].pa,
                                     bad[i].len, bad[i].perm);
        if (rc != -EINVAL)
            fail_msg("bad map #%zu returned %d, not -EINVAL", i, rc);
    }
    assert_int_equal(vpci_mock_errors(f->m),
                     errs + sizeof(bad) / sizeof(bad[0]));
    /* Nothing got mapped, and no table was built. */
    assert_int_equal(xlate(f->m, r, iova, 0, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, r, (1ull << 48) - PAGE, 0, NULL), -EFAULT);
    assert_int_equal(rd64(f->m, pool_base(f->m) + (r >> 8) * 16), 0);
    /* The edges that are valid. */
    assert_int_equal(vpci_mock_iommu_map(f->m, r, (1ull << 48) - PAGE,
                                         (1ull << 52) - PAGE, PAGE, RW), 0);
    uint64_t out;
    assert_int_equal(xlate(f->m, r, (1ull << 48) - 1, RW, &out), 0);
    assert_int_equal(out, (1ull << 52) - 1);
    /* Mapped to a PA with no RAM: the device's DMA fails, no IOMMU
     * fault (translation succeeded). */
    uint8_t b = 0;
    assert_int_equal(vpci_dma_read(dev(f->a), (1ull << 48) - PAGE, &b, 1,
                                   NULL), -EFAULT);
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);
}

static void test_machine_without_iommu_rejects_iommu_calls(void **state)
{
    (void)state;
    struct mt_machine mm;
    assert_int_equal(mt_machine_new(&mm, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock_fn *fn = mt_add(mm.m, tdev_model(), "addr=02.0");
    assert_non_null(fn);
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    unsigned errs = vpci_mock_errors(mm.m);
    uint16_t r = vpci_mock_fn_rid(fn);
    uint64_t pa = 7;
    assert_int_equal(vpci_mock_iommu_map(mm.m, r, 0, 0, PAGE, RW), -EINVAL);
    assert_int_equal(vpci_mock_iommu_unmap(mm.m, r, 0, PAGE), -EINVAL);
    assert_int_equal(vpci_mock_iommu_translate(mm.m, r, 0, RO, &pa), -EINVAL);
    assert_int_equal(pa, 7);
    assert_int_equal(vpci_mock_errors(mm.m), errs + 3);
    struct vpci_mock_fault fl[1];
    assert_int_equal(vpci_mock_iommu_faults(mm.m, fl, 1), 0);
    vpci_mock_iommu_clear_faults(mm.m);

    /* DMA goes straight to RAM: bus address = physical address, and the
     * host tells models so. */
    assert_int_equal(vpci_dma_translated(vpci_mock_fn_dev(fn)), 0);
    const uint64_t ram = vpci_mock_get_map(mm.m)->ram_lo_base + PA_BASE;
    uint32_t v = 0xa5a5f00d, got = 0;
    assert_int_equal(vpci_dma_write(vpci_mock_fn_dev(fn), ram, &v, 4, NULL),
                     0);
    vpci_mock_memread(mm.m, ram, &got, 4);
    assert_int_equal(got, v);
    mt_machine_free(&mm);

    /* NULL machine. */
    assert_int_equal(vpci_mock_iommu_map(NULL, 0, 0, 0, PAGE, RW), -EINVAL);
    assert_int_equal(vpci_mock_iommu_unmap(NULL, 0, 0, PAGE), -EINVAL);
    assert_int_equal(vpci_mock_iommu_translate(NULL, 0, 0, RO, NULL),
                     -EINVAL);
    assert_int_equal(vpci_mock_iommu_faults(NULL, NULL, 0), 0);
    vpci_mock_iommu_clear_faults(NULL);
}

/* Map one page at the start of 2 MiB region @i (each needs its own L1
 * table) of a 512 GiB slot; returns the map's result. */
static int map_region(struct vpci_mock *m, uint16_t r, uint64_t i)
{
    return vpci_mock_iommu_map(m, r, (1ull << 39) + i * 2 * MIB, PA_BASE,
                               PAGE, RW);
}

static void test_pool_exhaustion_returns_enomem_and_maps_nothing(void **state)
{
    struct fixture *f = *state;
    const uint16_t r = rid(f->a);
    const uint64_t big = 4ull << 40;     /* 4 TiB */
    uint64_t out;

    /* A map that needs more tables than the pool has fails whole: the page
     * already mapped inside the range keeps its old translation, the rest
     * stays absent. */
    assert_int_equal(vpci_mock_iommu_map(f->m, r, big + 64 * GIB,
                                         PA_BASE + 5 * PAGE, PAGE, RO), 0);
    assert_int_equal(vpci_mock_iommu_map(f->m, r, big, PA_BASE, 128 * GIB,
                                         RW), -ENOMEM);
    assert_int_equal(xlate(f->m, r, big, 0, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, r, big + 2 * MIB, 0, NULL), -EFAULT);
    assert_int_equal(xlate(f->m, r, big + 64 * GIB, RW, NULL), -EACCES);
    assert_int_equal(xlate(f->m, r, big + 64 * GIB, RO, &out), 0);
    assert_int_equal(out, PA_BASE + 5 * PAGE);
    assert_int_equal(vpci_mock_iommu_unmap(f->m, r, big, 128 * GIB), 0);

    /* Fill the pool one L1 table at a time. */
    unsigned n = 0;
    int rc;
    while ((rc = map_region(f->m, r, n)) == 0 && n < 100000)
        n++;
    assert_int_equal(rc, -ENOMEM);
    assert_true(n > 500);     /* 4 MiB of tables: about a thousand */
    assert_int_equal(xlate(f->m, r, (1ull << 39) + n * 2 * MIB, 0, NULL),
                     -EFAULT);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(xlate(f->m, r, (1ull << 39) + i * 2 * MIB, RW,
                               NULL), 0);

    /* One table free.  Maps needing three (L3 + L2 + L1: another 512 GiB
     * slot) or two (L2 + L1: a new 1 GiB region) fail and give back the
     * one they took: a map needing one still fits afterwards. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, r, (1ull << 39), PAGE), 0);
    assert_int_equal(xlate(f->m, r, (1ull << 39), 0, NULL), -EFAULT);
    assert_int_equal(vpci_mock_iommu_map(f->m, r, 2ull << 39, PA_BASE, PAGE,
                                         RW), -ENOMEM);
    assert_int_equal(xlate(f->m, r, 2ull << 39, 0, NULL), -EFAULT);
    assert_int_equal(vpci_mock_iommu_map(f->m, r, (1ull << 39) + 100 * GIB,
                                         PA_BASE, PAGE, RW), -ENOMEM);
    assert_int_equal(xlate(f->m, r, (1ull << 39) + 100 * GIB, 0, NULL),
                     -EFAULT);
    assert_int_equal(map_region(f->m, r, 0), 0);
    assert_int_equal(map_region(f->m, r, n), -ENOMEM);

    /* Unmapping everything gives every table back: the same fill fits
     * again. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, r, 0, 1ull << 48), 0);
    unsigned again = 0;
    while (map_region(f->m, r, again) == 0 && again < 100000)
        again++;
    assert_int_equal(again, n);
}

static void test_tables_live_in_guest_ram_and_scribbles_take_effect(
    void **state)
{
    struct fixture *f = *state;
    const uint16_t r = rid(f->a);
    const uint64_t iova = 0x7f0000000ull;
    assert_int_equal(vpci_mock_iommu_map(f->m, r, iova, PA_BASE + 2 * PAGE,
                                         PAGE, RW), 0);
    /* The leaf the datasheet describes is in RAM. */
    uint64_t slot = leaf_slot(f->m, r, iova);
    assert_true(slot >= pool_base(f->m) &&
                slot < pool_base(f->m) + POOL_SIZE);
    uint64_t e = rd64(f->m, slot);
    assert_int_equal(e, PA_BASE + 2 * PAGE + (ENT_R | ENT_W));

    /* Clear W in RAM: writes now fault, reads still work. */
    wr64(f->m, slot, e & ~ENT_W);
    assert_int_equal(xlate(f->m, r, iova, WO, NULL), -EACCES);
    uint32_t v = 1;
    assert_int_equal(vpci_dma_read(dev(f->a), iova, &v, 4, NULL), 0);
    assert_int_equal(vpci_dma_write(dev(f->a), iova, &v, 4, NULL), -EACCES);
    struct vpci_mock_fault fl[1];
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 1), 1);
    assert_int_equal(fl[0].err, -EACCES);

    /* Point it elsewhere in RAM: translation follows. */
    wr64(f->m, slot, (PA_BASE + 9 * PAGE) | ENT_R | ENT_W);
    uint64_t out;
    assert_int_equal(xlate(f->m, r, iova + 4, RW, &out), 0);
    assert_int_equal(out, PA_BASE + 9 * PAGE + 4);

    /* Clearing W in an upper level removes it for everything below. */
    uint64_t rt = rd64(f->m, pool_base(f->m) + (r >> 8) * 16) & ENT_ADDR;
    uint64_t l4 = rd64(f->m, rt + (r & 0xff) * 16) & ENT_ADDR;
    uint64_t l4e = rd64(f->m, l4 + 8 * ((iova >> 39) & 511));
    wr64(f->m, l4 + 8 * ((iova >> 39) & 511), l4e & ~ENT_W);
    assert_int_equal(xlate(f->m, r, iova, WO, NULL), -EACCES);
    assert_int_equal(xlate(f->m, r, iova, RO, NULL), 0);
    /* A map through that path restores W on the way down. */
    assert_int_equal(vpci_mock_iommu_map(f->m, r, iova + PAGE, PA_BASE, PAGE,
                                         RW), 0);
    assert_int_equal(xlate(f->m, r, iova, WO, NULL), 0);

    /* Clear the context entry's present bit: the requester has nothing. */
    uint64_t ce = rd64(f->m, rt + (r & 0xff) * 16);
    wr64(f->m, rt + (r & 0xff) * 16, ce & ~1ull);
    assert_int_equal(xlate(f->m, r, iova, RO, NULL), -EFAULT);
    wr64(f->m, rt + (r & 0xff) * 16, ce);
    assert_int_equal(xlate(f->m, r, iova, RO, NULL), 0);
}

static void test_hand_built_tables_in_ordinary_ram_translate(void **state)
{
    /* What a guest kernel (or a qtest script with writeq) does: build a
     * context table and four page tables in its own RAM and hook them
     * into the root table. */
    struct fixture *f = *state;
    const uint16_t r = rid(f->b);
    const uint64_t t = 32 * MIB;          /* ctx, L4, L3, L2, L1 */
    const uint64_t iova = 0x0000123456789000ull, pa = PA_BASE + 42 * PAGE;
    static const uint8_t zero[5 * 4096];
    vpci_mock_memwrite(f->m, t, zero, sizeof(zero));
    uint64_t ctx = t, l[5] = { 0, t + 4 * PAGE, t + 3 * PAGE, t + 2 * PAGE,
                               t + PAGE };  /* l[level] */
    wr64(f->m, ctx + (r & 0xff) * 16, l[4] | 1);
    for (unsigned level = 4; level > 1; level--)
        wr64(f->m, l[level] + 8 * ((iova >> (12 + 9 * (level - 1))) & 511),
             l[level - 1] | ENT_R | ENT_W);
    wr64(f->m, l[1] + 8 * ((iova >> 12) & 511), pa | ENT_R);
    assert_int_equal(xlate(f->m, r, iova, RO, NULL), -EFAULT); /* not hooked */
    wr64(f->m, pool_base(f->m) + (r >> 8) * 16, ctx | 1);

    uint64_t out;
    assert_int_equal(xlate(f->m, r, iova + 0x10, RO, &out), 0);
    assert_int_equal(out, pa + 0x10);
    assert_int_equal(xlate(f->m, r, iova, WO, NULL), -EACCES);
    /* The host never frees tables it did not allocate: unmapping the page
     * clears the leaf and leaves the guest's tables linked. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, r, iova, PAGE), 0);
    assert_int_equal(xlate(f->m, r, iova, RO, NULL), -EFAULT);
    assert_int_equal(rd64(f->m, pool_base(f->m) + (r >> 8) * 16), ctx | 1);
    assert_int_equal(rd64(f->m, ctx + (r & 0xff) * 16), l[4] | 1);
    /* ...and a map reuses them. */
    assert_int_equal(vpci_mock_iommu_map(f->m, r, iova, pa, PAGE, RW), 0);
    assert_int_equal(rd64(f->m, l[1] + 8 * ((iova >> 12) & 511)),
                     pa | ENT_R | ENT_W);
}

static void test_map_through_a_pointer_out_of_ram_fails_efault(void **state)
{
    struct fixture *f = *state;
    const uint16_t r = rid(f->a);
    const uint64_t nowhere = 1ull << 46;     /* nothing decodes there */
    const uint64_t iova = 0xa0000000;
    /* Map something for a first, so its context table exists. */
    assert_int_equal(vpci_mock_iommu_map(f->m, r, iova, PA_BASE, PAGE, RW),
                     0);
    uint64_t rt = rd64(f->m, pool_base(f->m) + (r >> 8) * 16) & ENT_ADDR;
    uint64_t cslot = rt + (r & 0xff) * 16, ce = rd64(f->m, cslot);
    /* Point its context entry at no RAM: the walk finds nothing... */
    wr64(f->m, cslot, nowhere | 1);
    assert_int_equal(xlate(f->m, r, iova, RO, NULL), -EFAULT);
    /* ...and a map cannot link a table there: -EFAULT, nothing kept. */
    unsigned errs = vpci_mock_errors(f->m);
    assert_int_equal(vpci_mock_iommu_map(f->m, r, iova, PA_BASE, PAGE, RW),
                     -EFAULT);
    assert_int_equal(vpci_mock_errors(f->m), errs + 1);
    assert_int_equal(rd64(f->m, cslot), nowhere | 1);
    /* Unmap follows the pointer too, harmlessly. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, r, 0, 1ull << 48), 0);
    /* Put it back: the old mapping is there again. */
    wr64(f->m, cslot, ce);
    assert_int_equal(xlate(f->m, r, iova, RW, NULL), 0);
}

/* The core's side of the contract (internal.h). */
static void test_core_interface_rejects_bad_pool_and_null(void **state)
{
    struct fixture *f = *state;
    struct mock_iommu *io = (struct mock_iommu *)1;
    assert_int_equal(mock_iommu_new(f->m, PA_BASE + 1, PAGE, &io), -EINVAL);
    assert_null(io);
    assert_int_equal(mock_iommu_new(f->m, PA_BASE, PAGE - 1, &io), -EINVAL);
    assert_int_equal(mock_iommu_new(f->m, ~0xfffull, 2 * PAGE, &io),
                     -EINVAL);
    assert_int_equal(mock_iommu_new(NULL, PA_BASE, PAGE, &io), -EINVAL);
    assert_int_equal(mock_iommu_new(f->m, PA_BASE, PAGE, NULL), -EINVAL);
    /* A one-page pool holds the root table only: every DMA faults. */
    assert_int_equal(mock_iommu_new(f->m, PA_BASE, PAGE, &io), 0);
    uint64_t pa = 0;
    assert_int_equal(mock_iommu_dma(io, 0x0100, 0, false, &pa), -EFAULT);
    mock_iommu_free(io);
    mock_iommu_free(NULL);
    assert_int_equal(mock_iommu_dma(NULL, 0, 0, true, &pa), -EFAULT);
    assert_non_null(vpci_mock_get_iommu(f->m));
}

static void test_fault_log_keeps_oldest_counts_all_and_clears(void **state)
{
    struct fixture *f = *state;
    uint8_t b = 0;
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vpci_dma_read(dev(f->a), 0x1000 * (i + 1), &b, 1,
                                       NULL), -EFAULT);
    struct vpci_mock_fault fl[3];
    memset(fl, 0, sizeof(fl));
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 2), 3);
    assert_int_equal(fl[0].addr, 0x1000);
    assert_int_equal(fl[1].addr, 0x2000);
    assert_int_equal(fl[2].addr, 0);            /* max respected */
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 3);

    vpci_mock_iommu_clear_faults(f->m);
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 3), 0);

    /* Many faults: all counted, the oldest kept (the log is bounded). */
    const unsigned many = 5000;
    unsigned warns = vpci_mock_warnings(f->m);
    for (unsigned i = 0; i < many; i++)
        vpci_dma_write(dev(f->c), 0x100000000ull + i * PAGE, &b, 1, NULL);
    assert_true(vpci_mock_warnings(f->m) - warns >= many);
    struct vpci_mock_fault *all = calloc(many, sizeof(*all));
    assert_non_null(all);
    assert_int_equal(vpci_mock_iommu_faults(f->m, all, many), many);
    assert_int_equal(all[0].addr, 0x100000000ull);
    assert_int_equal(all[0].rid, rid(f->c));
    assert_true(all[0].write);
    unsigned kept = 0;
    while (kept < many && all[kept].rid == rid(f->c)) {
        assert_int_equal(all[kept].addr, 0x100000000ull + kept * PAGE);
        kept++;
    }
    assert_true(kept >= 256);
    free(all);
    vpci_mock_iommu_clear_faults(f->m);
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);
    assert_int_equal(vpci_dma_read(dev(f->b), 0, &b, 1, NULL), -EFAULT);
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 1), 1);
    assert_int_equal(fl[0].rid, rid(f->b));
}

static void test_device_dma_through_mapping_lands_at_pa(void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x80000000;
    const uint64_t pa[3] = { PA_BASE + 6 * PAGE, PA_BASE + 2 * PAGE,
                             PA_BASE + 11 * PAGE };
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->c), iova + i * PAGE,
                                             pa[i], PAGE, RW), 0);
    assert_int_equal(vpci_dma_translated(dev(f->c)), 1);
    uint8_t *src = malloc(3 * PAGE), *back = malloc(3 * PAGE);
    assert_non_null(src);
    assert_non_null(back);
    for (size_t i = 0; i < 3 * PAGE; i++)
        src[i] = (uint8_t)(i * 7 + (i >> 12));
    size_t done = 0;
    /* 3 pages minus 0x100 bytes, starting 0x100 into the first page. */
    assert_int_equal(vpci_dma_write(dev(f->c), iova + 0x100, src,
                                    3 * PAGE - 0x100, &done), 0);
    assert_int_equal(done, 3 * PAGE - 0x100);
    uint8_t page[4096];
    vpci_mock_memread(f->m, pa[0] + 0x100, page, PAGE - 0x100);
    assert_memory_equal(page, src, PAGE - 0x100);
    vpci_mock_memread(f->m, pa[1], page, PAGE);
    assert_memory_equal(page, src + PAGE - 0x100, PAGE);
    vpci_mock_memread(f->m, pa[2], page, PAGE);
    assert_memory_equal(page, src + 2 * PAGE - 0x100, PAGE);
    /* And back through the IOMMU. */
    assert_int_equal(vpci_dma_read(dev(f->c), iova + 0x100, back,
                                   3 * PAGE - 0x100, &done), 0);
    assert_memory_equal(back, src, 3 * PAGE - 0x100);
    assert_int_equal(vpci_mock_iommu_faults(f->m, NULL, 0), 0);
    free(src);
    free(back);
}

static void test_device_dma_to_unmapped_page_stops_at_boundary_with_fault(
    void **state)
{
    struct fixture *f = *state;
    const uint64_t iova = 0x90000000;
    const uint64_t pa0 = PA_BASE + 20 * PAGE, pa1 = PA_BASE + 13 * PAGE;
    const uint64_t guard = PA_BASE + 21 * PAGE;   /* after pa0 in RAM */
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova, pa0, PAGE,
                                         RW), 0);
    assert_int_equal(vpci_mock_iommu_map(f->m, rid(f->a), iova + PAGE, pa1,
                                         PAGE, RW), 0);
    uint8_t before[4096];
    memset(before, 0x77, sizeof(before));
    vpci_mock_memwrite(f->m, guard, before, sizeof(before));

    uint8_t *src = malloc(3 * PAGE);
    assert_non_null(src);
    memset(src, 0xab, 3 * PAGE);
    size_t done = 0;
    /* From 0x800 into page 0 across page 1 into unmapped page 2. */
    assert_int_equal(vpci_dma_write(dev(f->a), iova + 0x800, src,
                                    2 * PAGE + 0x10, &done), -EFAULT);
    assert_int_equal(done, 2 * PAGE - 0x800);
    uint8_t page[4096];
    vpci_mock_memread(f->m, pa0 + 0x800, page, PAGE - 0x800);
    assert_memory_equal(page, src, PAGE - 0x800);
    vpci_mock_memread(f->m, pa1, page, PAGE);
    assert_memory_equal(page, src, PAGE);
    vpci_mock_memread(f->m, guard, page, PAGE);   /* untouched */
    assert_memory_equal(page, before, PAGE);

    struct vpci_mock_fault fl[2];
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 2), 1);
    assert_int_equal(fl[0].rid, rid(f->a));
    assert_int_equal(fl[0].rid, (vpci_mock_fn_bus(f->a) << 8) |
                                    vpci_mock_fn_devfn(f->a));
    assert_int_equal(fl[0].addr, iova + 2 * PAGE);
    assert_true(fl[0].write);
    assert_int_equal(fl[0].err, -EFAULT);

    /* A read stops the same way. */
    assert_int_equal(vpci_dma_read(dev(f->a), iova + PAGE, src, 2 * PAGE,
                                   &done), -EFAULT);
    assert_int_equal(done, PAGE);
    assert_int_equal(vpci_mock_iommu_faults(f->m, fl, 2), 2);
    assert_false(fl[1].write);
    assert_int_equal(fl[1].addr, iova + 2 * PAGE);

    /* Unmap page 1 under the device: the next DMA faults there. */
    assert_int_equal(vpci_mock_iommu_unmap(f->m, rid(f->a), iova + PAGE,
                                           PAGE), 0);
    assert_int_equal(vpci_dma_read(dev(f->a), iova, src, 2 * PAGE, &done),
                     -EFAULT);
    assert_int_equal(done, PAGE);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_map_translates_contiguous_iova_to_scattered_pages),
        T(test_write_to_read_only_page_faults_eacces_and_is_recorded),
        T(test_unmapped_iova_faults_efault_and_is_recorded),
        T(test_mapping_is_visible_only_to_its_requester),
        T(test_unmap_clears_pages_and_tolerates_unmapped),
        T(test_remap_replaces_address_and_permission),
        T(test_map_rejects_misaligned_empty_overflowing_and_bad_perm),
        cmocka_unit_test(test_machine_without_iommu_rejects_iommu_calls),
        T(test_pool_exhaustion_returns_enomem_and_maps_nothing),
        T(test_tables_live_in_guest_ram_and_scribbles_take_effect),
        T(test_hand_built_tables_in_ordinary_ram_translate),
        T(test_map_through_a_pointer_out_of_ram_fails_efault),
        T(test_core_interface_rejects_bad_pool_and_null),
        T(test_fault_log_keeps_oldest_counts_all_and_clears),
        T(test_device_dma_through_mapping_lands_at_pa),
        T(test_device_dma_to_unmapped_page_stops_at_boundary_with_fault),
#undef T
    };
    return cmocka_run_group_tests_name("mockhost.iommu", tests, NULL, NULL);
}
