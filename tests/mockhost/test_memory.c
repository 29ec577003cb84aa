/* SPDX-License-Identifier: MIT */
/*
 * Address spaces (issue 3, item 1): the machines' memory maps, guest RAM,
 * BAR windows mapped and unmapped by the effects of config writes (made
 * by hand here through CF8/CFC or ECAM, not by enumeration), dispatch
 * through bridge windows, IO BARs through in/out (q35) and through the
 * IO window in memory (virt), and what nothing claims.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static enum mt_path path_cf8 = MT_CF8;
static enum mt_path path_ecam = MT_ECAM;

static struct mt_machine mm;

static int setup(void **state)
{
    (void)state;
    return mt_machine_new(&mm, VPCI_MOCK_Q35, 0, false);
}

static int teardown(void **state)
{
    (void)state;
    mt_machine_free(&mm);
    return 0;
}

static enum mt_path path_of(void **state)
{
    return *state ? *(enum mt_path *)*state : MT_DIRECT;
}

static uint64_t bar_word(struct vpci_mock_fn *fn, unsigned bar, uint64_t off)
{
    uint64_t v = 0;
    assert_int_equal(vpci_bar_read(vpci_mock_fn_dev(fn), bar, off, 4, &v), 0);
    return v;
}

/* ------------------------------------------------------------------ */

static void test_q35_memory_map(void **state)
{
    (void)state;
    const struct vpci_mock_map *map = vpci_mock_get_map(mm.m);
    assert_int_equal(map->ram_lo_base, 0);
    assert_int_equal(map->ram_lo_size, 128 * MIB);
    assert_int_equal(map->ram_hi_size, 0);
    assert_int_equal(map->ecam_base, 0xb0000000u);
    assert_int_equal(map->ecam_size, 256 * MIB);
    assert_int_equal(map->ecam_bus_first, 0);
    assert_int_equal(map->ecam_bus_last, 255);
    assert_int_equal(map->mmio32_base, 0xc0000000u);
    assert_int_equal(map->mmio32_base + map->mmio32_size - 1, 0xfebfffffu);
    assert_int_equal(map->mmio64_base, 0x8000000000ull);
    assert_int_equal(map->mmio64_size, 64 * GIB);
    assert_int_equal(map->io_base, 0xc000);
    assert_int_equal(map->io_base + map->io_size - 1, 0xffff);
    assert_int_equal(map->msi_base, 0xfee00000u);
    assert_int_equal(map->msi_size, MIB);
    assert_true(map->has_cf8);
}

static void test_virt_memory_map(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 256 * MIB, false), 0);
    const struct vpci_mock_map *map = vpci_mock_get_map(v.m);
    assert_int_equal(map->ram_lo_base, 0x40000000u);
    assert_int_equal(map->ram_lo_size, 256 * MIB);
    assert_int_equal(map->ecam_base, 0x4010000000ull);
    assert_int_equal(map->mmio32_base, 0x10000000u);
    assert_int_equal(map->mmio32_base + map->mmio32_size - 1, 0x3efeffffu);
    assert_int_equal(map->io_base, 0);
    assert_int_equal(map->io_size, 0x10000);
    assert_int_equal(map->io_cpu_base, 0x3eff0000u);
    assert_int_equal(map->mmio64_size, 512 * GIB);
    assert_int_equal(map->msi_base, 0x08020000u);
    assert_int_equal(map->msi_size, 0x1000);
    assert_false(map->has_cf8);
    /* RAM is where the map says */
    vpci_mock_write(v.m, 0x40000000u, 4, 0xcafef00d);
    assert_int_equal(vpci_mock_read(v.m, 0x40000000u, 4), 0xcafef00d);
    assert_int_equal(vpci_mock_read(v.m, 0x1000, 4), 0);
    mt_machine_free(&v);
}

static void test_ram_read_write_any_width(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    vpci_mock_write(m, 0x1000, 8, 0x1122334455667788ull);
    assert_int_equal(vpci_mock_read(m, 0x1000, 8), 0x1122334455667788ull);
    assert_int_equal(vpci_mock_read(m, 0x1000, 4), 0x55667788u);
    assert_int_equal(vpci_mock_read(m, 0x1006, 2), 0x1122);
    assert_int_equal(vpci_mock_read(m, 0x1003, 1), 0x55);
    vpci_mock_write(m, 0x1001, 2, 0xabcd);           /* unaligned */
    assert_int_equal(vpci_mock_read(m, 0x1000, 4), 0x55abcd88u);
    /* bulk */
    uint8_t buf[300], back[300];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7);
    vpci_mock_memwrite(m, 0x2ffe, buf, sizeof(buf));
    vpci_mock_memread(m, 0x2ffe, back, sizeof(back));
    assert_memory_equal(buf, back, sizeof(buf));
    assert_int_equal(vpci_mock_read(m, 0x2ffe + 10, 1), 70);
    /* the last bytes of RAM; past its end nothing answers */
    uint64_t end = vpci_mock_get_map(m)->ram_lo_size;
    vpci_mock_write(m, end - 2, 4, 0xaabbccdd);
    assert_int_equal(vpci_mock_read(m, end - 2, 4), 0x0000ccdd);
    assert_int_equal(vpci_mock_read(m, end, 8), 0);
    vpci_mock_memwrite(m, end - 1, "xy", 2);
    vpci_mock_memread(m, end - 1, back, 2);
    assert_int_equal(back[0], 'x');
    assert_int_equal(back[1], 0);
    /* NULL tolerated */
    vpci_mock_memread(m, 0, NULL, 4);
    vpci_mock_memwrite(m, 0, NULL, 4);
    vpci_mock_memread(NULL, 0, back, 4);
    vpci_mock_memwrite(NULL, 0, back, 4);
    assert_int_equal(vpci_mock_read(NULL, 0, 4), UINT64_MAX);
    vpci_mock_write(NULL, 0, 4, 0);
}

static void test_q35_ram_above_4g(void **state)
{
    (void)state;
    struct mt_machine b;
    assert_int_equal(mt_machine_new(&b, VPCI_MOCK_Q35, 3 * GIB, false), 0);
    const struct vpci_mock_map *map = vpci_mock_get_map(b.m);
    assert_int_equal(map->ram_lo_size, 2 * GIB);
    assert_int_equal(map->ram_hi_base, 4 * GIB);
    assert_int_equal(map->ram_hi_size, 1 * GIB);
    vpci_mock_write(b.m, 4 * GIB + 0x10, 4, 0x600dbeef);
    assert_int_equal(vpci_mock_read(b.m, 4 * GIB + 0x10, 4), 0x600dbeef);
    /* the hole between 2 GiB and the PCI holes reads 0 */
    vpci_mock_write(b.m, 2 * GIB + 0x10, 4, 1);
    assert_int_equal(vpci_mock_read(b.m, 2 * GIB + 0x10, 4), 0);
    mt_machine_free(&b);
}

static void test_mmio_dispatch_after_mapping_bars(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    uint8_t d = MT_DEVFN(1, 0);
    mt_bar(m, p, 0, d, 0, 0xc0000000u, false);
    mt_bar(m, p, 0, d, 2, 0x8000000000ull, true);
    /* not decoding yet: nothing answers */
    vpci_mock_write(m, 0xc0000010u, 4, 0x12345678);
    assert_int_equal(vpci_mock_read(m, 0xc0000010u, 4), 0);
    mt_command(m, p, 0, d, PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xc0000010u, 4, 0x12345678);
    assert_int_equal(vpci_mock_read(m, 0xc0000010u, 4), 0x12345678);
    assert_int_equal(bar_word(fn, 0, 0x10), 0x12345678);
    vpci_mock_write(m, 0x8000000000ull + 0x800, 8, 0x0102030405060708ull);
    assert_int_equal(vpci_mock_read(m, 0x8000000000ull + 0x800, 8),
                     0x0102030405060708ull);
    assert_int_equal(bar_word(fn, 2, 0x804), 0x01020304);
    /* last byte of the 4 KiB BAR, and the byte after it */
    vpci_mock_write(m, 0xc0000fffu, 1, 0xee);
    assert_int_equal(vpci_mock_read(m, 0xc0000fffu, 1), 0xee);
    assert_int_equal(vpci_mock_read(m, 0xc0001000u, 1), 0);
}

static void test_bar_unmapped_when_decode_off(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=02.0"));
    uint8_t d = MT_DEVFN(2, 0);
    mt_bar(m, p, 0, d, 0, 0xc0010000u, false);
    mt_command(m, p, 0, d, PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xc0010000u, 4, 0xa5a5a5a5);
    assert_int_equal(vpci_mock_read(m, 0xc0010000u, 4), 0xa5a5a5a5);
    mt_command(m, p, 0, d, 0);
    assert_int_equal(vpci_mock_read(m, 0xc0010000u, 4), 0);
    mt_command(m, p, 0, d, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_mock_read(m, 0xc0010000u, 4), 0xa5a5a5a5);
}

static void test_bar_move_while_decoding(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=02.0"));
    uint8_t d = MT_DEVFN(2, 0);
    mt_bar(m, p, 0, d, 0, 0xc0010000u, false);
    mt_command(m, p, 0, d, PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xc0010008u, 4, 77);
    mt_bar(m, p, 0, d, 0, 0xc0020000u, false);
    assert_int_equal(vpci_mock_read(m, 0xc0010008u, 4), 0);
    assert_int_equal(vpci_mock_read(m, 0xc0020008u, 4), 77);
}

static void test_bridge_window_gating(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(mt_add(m, tbridge_model(), "addr=02.0,id=br"));
    assert_non_null(fn = mt_add(m, tdev_model(), "bus=br,addr=00.0"));
    uint8_t br = MT_DEVFN(2, 0);
    mt_bridge_buses(m, p, 0, br, 0, 1, 1);
    mt_bar(m, p, 1, 0, 0, 0xc0100000u, false);
    mt_bar(m, p, 1, 0, 2, 0x8000100000ull, true);
    mt_command(m, p, 1, 0, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_mock_get_map(m)->mmio32_base, 0xc0000000u);
    vpci_bar_write(vpci_mock_fn_dev(fn), 0, 0, 4, 0x11111111);
    vpci_bar_write(vpci_mock_fn_dev(fn), 2, 0, 4, 0x22222222);

    /* the bridge forwards nothing while its COMMAND.MEMORY is off */
    mt_bridge_mem(m, p, 0, br, 0xc0100000u, 0xc01fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0);
    mt_command(m, p, 0, br, PCI_COMMAND_MEMORY);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0x11111111);
    /* BAR2 is outside the memory window until the prefetchable one */
    assert_int_equal(vpci_mock_read(m, 0x8000100000ull, 4), 0);
    mt_bridge_pref(m, p, 0, br, 0x8000100000ull, 0x80001fffffull);
    assert_int_equal(vpci_mock_read(m, 0x8000100000ull, 4), 0x22222222);
    /* the same low 32 bits with other upper bits are not forwarded */
    mt_bridge_pref(m, p, 0, br, 0x9000100000ull, 0x90001fffffull);
    assert_int_equal(vpci_mock_read(m, 0x8000100000ull, 4), 0);
    /* the prefetchable window may forward 32-bit BARs too */
    mt_bridge_mem(m, p, 0, br, 0xc0200000u, 0xc02fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0);
    mt_bridge_pref(m, p, 0, br, 0xc0100000u, 0xc01fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0x11111111);
    /* overlapping memory and prefetchable windows forward their union */
    mt_bridge_mem(m, p, 0, br, 0xc0100000u, 0xc02fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0x11111111);
    mt_bridge_mem(m, p, 0, br, 0xc0200000u, 0xc02fffffu);
    /* a window base above its limit is closed */
    mt_bridge_pref(m, p, 0, br, 0xc0200000u, 0xc01fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0);
    /* decode off at the bridge again */
    mt_bridge_mem(m, p, 0, br, 0xc0100000u, 0xc01fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0x11111111);
    mt_command(m, p, 0, br, 0);
    assert_int_equal(vpci_mock_read(m, 0xc0100000u, 4), 0);
}

static void test_window_of_every_bridge_above_counts(void **state)
{
    (void)state;
    enum mt_path p = MT_ECAM;
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tbridge_model(), "addr=02.0,id=b0"));
    assert_non_null(mt_add(m, tbridge_model(), "bus=b0,addr=00.0,id=b1"));
    assert_non_null(mt_add(m, tdev_model(), "bus=b1,addr=00.0,id=d"));
    mt_bridge_buses(m, p, 0, MT_DEVFN(2, 0), 0, 1, 2);
    mt_bridge_buses(m, p, 1, 0, 1, 2, 2);
    mt_bar(m, p, 2, 0, 2, 0xc0300000u, true);   /* 1 MiB: 0xc03xxxxx */
    mt_command(m, p, 2, 0, PCI_COMMAND_MEMORY);
    mt_bridge_mem(m, p, 1, 0, 0xc0300000u, 0xc03fffffu);
    mt_command(m, p, 1, 0, PCI_COMMAND_MEMORY);
    mt_command(m, p, 0, MT_DEVFN(2, 0), PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xc0300010u, 4, 5);
    assert_int_equal(vpci_mock_read(m, 0xc0300010u, 4), 0);  /* b0 closed */
    mt_bridge_mem(m, p, 0, MT_DEVFN(2, 0), 0xc0000000u, 0xc0ffffffu);
    vpci_mock_write(m, 0xc0300010u, 4, 5);
    assert_int_equal(vpci_mock_read(m, 0xc0300010u, 4), 5);
    /* b1's window shrinks below the BAR */
    mt_bridge_mem(m, p, 1, 0, 0xc0400000u, 0xc04fffffu);
    assert_int_equal(vpci_mock_read(m, 0xc0300010u, 4), 0);
}

static void test_io_bar_via_in_out_q35(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn, *inner;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    struct tdev *t = vpci_dev_priv(vpci_mock_fn_dev(fn));
    uint8_t d = MT_DEVFN(1, 0);
    mt_bar(m, p, 0, d, 1, 0xc000, false);
    assert_int_equal(vpci_mock_in(m, 0xc004, 4), 0xffffffffu);
    mt_command(m, p, 0, d, PCI_COMMAND_IO);
    vpci_mock_out(m, 0xc004, 4, 0xdeadbeef);
    assert_int_equal(t->io_writes, 1);
    assert_int_equal(vpci_mock_in(m, 0xc004, 4), 0xdeadbeef);
    assert_int_equal(vpci_mock_in(m, 0xc006, 2), 0xdead);
    vpci_mock_out(m, 0xc01f, 1, 0x7e);
    assert_int_equal(t->io[31], 0x7e);
    /* a memory access to the same number is not IO */
    assert_int_equal(vpci_mock_read(m, 0xc004, 4), 0);
    /* unclaimed ports read all ones */
    assert_int_equal(vpci_mock_in(m, 0xc020, 4), 0xffffffffu);
    assert_int_equal(vpci_mock_in(m, 0x80, 1), 0xff);
    /* a dword straddling the BAR's end: split */
    assert_int_equal(vpci_mock_in(m, 0xc01e, 4), 0xffff7e00u);
    vpci_mock_out(m, 0xc01e, 4, 0x11223344);
    assert_int_equal(t->io[30], 0x44);
    assert_int_equal(t->io[31], 0x33);

    /* behind a bridge: its IO window and COMMAND.IO */
    assert_non_null(mt_add(m, tbridge_model(), "addr=03.0,id=br"));
    assert_non_null(inner = mt_add(m, tdev_model(), "bus=br,addr=00.0"));
    struct tdev *ti = vpci_dev_priv(vpci_mock_fn_dev(inner));
    mt_bridge_buses(m, p, 0, MT_DEVFN(3, 0), 0, 1, 1);
    mt_bar(m, p, 1, 0, 1, 0xd000, false);
    mt_command(m, p, 1, 0, PCI_COMMAND_IO);
    vpci_mock_out(m, 0xd000, 2, 0x1234);
    assert_int_equal(ti->io_writes, 0);
    mt_bridge_io(m, p, 0, MT_DEVFN(3, 0), 0xd000, 0xdfff);
    mt_command(m, p, 0, MT_DEVFN(3, 0), PCI_COMMAND_IO);
    vpci_mock_out(m, 0xd000, 2, 0x1234);
    assert_int_equal(ti->io_writes, 1);
    assert_int_equal(vpci_mock_in(m, 0xd000, 2), 0x1234);
    /* an IO window starting above 64 KiB (upper 16 bits) misses it */
    mt_bridge_io(m, p, 0, MT_DEVFN(3, 0), 0x1d000, 0x1dfff);
    assert_int_equal(vpci_mock_in(m, 0xd000, 2), 0xffff);
}

static void test_io_bar_cannot_shadow_cf8(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    mt_bar(m, MT_CF8, 0, MT_DEVFN(1, 0), 1, 0xce0, false);   /* ce0..cff */
    mt_command(m, MT_CF8, 0, MT_DEVFN(1, 0), PCI_COMMAND_IO);
    vpci_mock_out(m, 0xce0, 4, 0x01020304);
    assert_int_equal(vpci_mock_in(m, 0xce0, 4), 0x01020304);
    /* CF8/CFC still work */
    assert_int_equal(mt_cfg_read(m, MT_CF8, 0, MT_DEVFN(1, 0), 0, 2),
                     TDEV_VENDOR);
}

static void test_io_bar_via_memory_at_io_cpu_base_virt(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock *m = v.m;
    uint64_t win = vpci_mock_get_map(m)->io_cpu_base;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    struct tdev *t = vpci_dev_priv(vpci_mock_fn_dev(fn));
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(1, 0), 1, 0x1000, false);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(1, 0), PCI_COMMAND_IO);
    vpci_mock_write(m, win + 0x1004, 4, 0xfeedface);
    assert_int_equal(t->io_writes, 1);
    assert_int_equal(vpci_mock_read(m, win + 0x1004, 4), 0xfeedface);
    /* the same IO space through in/out */
    assert_int_equal(vpci_mock_in(m, 0x1004, 4), 0xfeedface);
    /* unclaimed IO reads all ones, through memory (QEMU's GPEX: the IO
     * window lies over unassigned_io_ops) as through in */
    assert_int_equal(vpci_mock_read(m, win + 0x2000, 4), 0xffffffffu);
    assert_int_equal(vpci_mock_read(m, win + 0x2001, 1), 0xff);
    assert_int_equal(vpci_mock_in(m, 0x2000, 4), 0xffffffffu);
    vpci_mock_write(m, win + 0x2000, 4, 1);
    assert_int_equal(vpci_mock_read(m, win + 0x2000, 2), 0xffff);
    /* half in the IO BAR (0x1000..0x101f), half past it */
    assert_int_equal(vpci_mock_read(m, win + 0x101e, 4) >> 16, 0xffff);
    /* past the 64 KiB window: plain unclaimed memory */
    assert_int_equal(vpci_mock_read(m, win + 0x10000, 4), 0);
    mt_machine_free(&v);
}

static void test_virt_pci_windows_read_all_ones(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock *m = v.m;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    assert_true(map->windows_read_ones);
    /* QEMU 7.2 virt: the GPEX windows read all ones where no BAR is */
    assert_int_equal(vpci_mock_read(m, map->mmio32_base, 4), 0xffffffffu);
    assert_int_equal(vpci_mock_read(m, 0x20000000u, 8), UINT64_MAX);
    assert_int_equal(vpci_mock_read(m, map->mmio32_base + map->mmio32_size - 1,
                                    1), 0xff);
    assert_int_equal(vpci_mock_read(m, map->mmio64_base + 0x1000, 8),
                     UINT64_MAX);
    vpci_mock_write(m, 0x20000000u, 4, 0);
    assert_int_equal(vpci_mock_read(m, 0x20000000u, 2), 0xffff);
    /* outside them, unassigned memory reads 0 */
    assert_int_equal(vpci_mock_read(m, map->mmio32_base - 4, 4), 0);
    assert_int_equal(vpci_mock_read(m, 0x50000000u, 4), 0);
    assert_int_equal(vpci_mock_read(m, map->mmio64_base - 8, 8), 0);
    assert_int_equal(vpci_mock_read(m, map->mmio64_base + map->mmio64_size,
                                    4), 0);
    /* a BAR in the window answers; with decode off it reads all ones */
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(1, 0), 0, 0x10000000u, false);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(1, 0), PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0x10000004u, 4, 0x5a5a5a5a);
    assert_int_equal(vpci_mock_read(m, 0x10000004u, 4), 0x5a5a5a5a);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(1, 0), 0);
    assert_int_equal(vpci_mock_read(m, 0x10000004u, 4), 0xffffffffu);
    mt_machine_free(&v);
}

static void test_access_straddling_bar_end_is_split(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *a, *b;
    assert_non_null(a = mt_add(m, tdev_model(), "addr=01.0"));
    assert_non_null(b = mt_add(m, tdev_model(), "addr=02.0"));
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(1, 0), 0, 0xc0000000u, false);
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(2, 0), 0, 0xc0001000u, false);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(1, 0), PCI_COMMAND_MEMORY);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(2, 0), PCI_COMMAND_MEMORY);
    /* two bytes to the end of a's BAR, two to the start of b's */
    vpci_mock_write(m, 0xc0000ffeu, 4, 0x44332211);
    assert_int_equal(bar_word(a, 0, 0xffc) >> 16, 0x2211);
    assert_int_equal(bar_word(b, 0, 0) & 0xffff, 0x4433);
    assert_int_equal(vpci_mock_read(m, 0xc0000ffeu, 4), 0x44332211);
    /* b's BAR ends in unclaimed space: those bytes read 0 */
    vpci_mock_write(m, 0xc0001ffcu, 8, UINT64_MAX);
    assert_int_equal(vpci_mock_read(m, 0xc0001ffcu, 8), 0xffffffffull);
    /* bulk access across both BARs */
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, back[8];
    vpci_mock_memwrite(m, 0xc0000ffcu, buf, sizeof(buf));
    vpci_mock_memread(m, 0xc0000ffcu, back, sizeof(back));
    assert_memory_equal(buf, back, sizeof(buf));
}

static void test_bars_never_shadow_ram_or_ecam(void **state)
{
    (void)state;
    struct mt_machine s;
    /* RAM ends at 0x07f80000, inside a 1 MiB BAR placed at 0x07f00000 */
    assert_int_equal(mt_machine_new(&s, VPCI_MOCK_Q35, 0x07f80000u, false), 0);
    struct vpci_mock *m = s.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=01.0"));
    mt_bar(m, MT_CF8, 0, MT_DEVFN(1, 0), 2, 0x07f00000u, true);
    mt_bar(m, MT_CF8, 0, MT_DEVFN(1, 0), 0, 0xb0000000u, false);  /* ECAM */
    mt_command(m, MT_CF8, 0, MT_DEVFN(1, 0), PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0x07f00000u, 4, 0x5555);          /* RAM wins */
    assert_int_equal(bar_word(fn, 2, 0), 0);
    vpci_mock_write(m, 0x07f80000u, 4, 0x6666);          /* the BAR's rest */
    assert_int_equal(bar_word(fn, 2, 0x80000), 0x6666);
    assert_int_equal(vpci_mock_read(m, 0x07f80000u, 4), 0x6666);
    /* ECAM answers at its base: the host bridge's IDs */
    assert_int_equal(vpci_mock_read(m, 0xb0000000u, 4), 0x29c08086u);
    mt_machine_free(&s);
}

static void test_overlapping_bars_lower_start_wins(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *a, *b;
    assert_non_null(a = mt_add(m, tdev_model(), "addr=01.0"));
    assert_non_null(b = mt_add(m, tdev_model(), "addr=02.0"));
    /* a's 1 MiB BAR2 covers b's BAR0 */
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(1, 0), 2, 0xc0000000u, true);
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(2, 0), 0, 0xc0010000u, false);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(1, 0), PCI_COMMAND_MEMORY);
    mt_command(m, MT_ECAM, 0, MT_DEVFN(2, 0), PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xc0010000u, 4, 9);
    assert_int_equal(bar_word(a, 2, 0x10000), 9);
    assert_int_equal(bar_word(b, 0, 0), 0);
    /* same start: the first found (depth-first) keeps it */
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(2, 0), 0, 0xc0000000u, false);
    vpci_mock_write(m, 0xc0000000u, 4, 10);
    assert_int_equal(bar_word(a, 2, 0), 10);
    /* b moves out of the way and answers again */
    mt_bar(m, MT_ECAM, 0, MT_DEVFN(2, 0), 0, 0xc0200000u, false);
    vpci_mock_write(m, 0xc0200000u, 4, 11);
    assert_int_equal(bar_word(b, 0, 0), 11);
}

static void test_msi_doorbell_reads_zero_and_drops_cpu_writes(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    vpci_mock_write(m, 0xfee00000u, 4, 0x4041);
    assert_int_equal(vpci_mock_read(m, 0xfee00000u, 4), 0);
    assert_int_equal(vpci_mock_msi_count(m), 0);
}

static void test_unclaimed_and_bad_widths(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    /* q35: the PCI hole reads 0 where no BAR is (QEMU's q35 too) */
    assert_false(vpci_mock_get_map(m)->windows_read_ones);
    assert_int_equal(vpci_mock_read(m, 0xc0000000u, 4), 0);
    assert_int_equal(vpci_mock_read(m, 0x8000000000ull, 4), 0);
    assert_int_equal(vpci_mock_read(m, 0xffffffffffffff00ull, 8), 0);
    assert_int_equal(vpci_mock_read(m, UINT64_MAX, 1), 0);
    vpci_mock_write(m, 0xd0000000u, 8, 1);
    assert_int_equal(vpci_mock_in(m, 0x1234, 2), 0xffff);
    vpci_mock_out(m, 0x1234, 2, 0);
    unsigned warns = vpci_mock_warnings(m);
    assert_int_equal(vpci_mock_read(m, 0x1000, 3), UINT64_MAX);
    vpci_mock_write(m, 0x1000, 16, 1);
    assert_int_equal(vpci_mock_read(m, 0x1000, 4), 0);
    assert_int_equal(vpci_mock_in(m, 0xcfc, 3), 0xffffffffu);
    vpci_mock_out(m, 0xcfc, 8, 0);
    assert_int_equal(vpci_mock_warnings(m), warns + 4);
    assert_int_equal(vpci_mock_in(NULL, 0, 1), 0xffffffffu);
    vpci_mock_out(NULL, 0, 1, 0);
}

static void test_many_bars_lookup(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    enum { N = 24 };
    struct vpci_mock_fn *fns[N];
    for (unsigned i = 0; i < N; i++) {
        char spec[32];
        snprintf(spec, sizeof(spec), "addr=%02x.0", i + 1);
        assert_non_null(fns[i] = mt_add(m, tdev_model(), spec));
        /* BAR0s in descending order, with gaps */
        mt_bar(m, MT_ECAM, 0, MT_DEVFN(i + 1, 0), 0,
               0xc0000000u + (uint64_t)(N - i) * 0x3000, false);
        mt_command(m, MT_ECAM, 0, MT_DEVFN(i + 1, 0), PCI_COMMAND_MEMORY);
    }
    for (unsigned k = 0; k < 4 * N; k++) {
        unsigned i = (k * 7) % N;
        uint64_t a = 0xc0000000u + (uint64_t)(N - i) * 0x3000 + 4 * (k % 16);
        vpci_mock_write(m, a, 4, k);
        assert_int_equal(vpci_mock_read(m, a, 4), k);
        assert_int_equal(bar_word(fns[i], 0, 4 * (k % 16)), k);
        /* the gap after every BAR is unclaimed */
        assert_int_equal(vpci_mock_read(m, a - 4 * (k % 16) + 0x1000, 4), 0);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define PER_PATH(f)                                                         \
    cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,            \
                                             &path_cf8),                    \
        cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,        \
                                                 &path_ecam)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_q35_memory_map),
        T(test_virt_memory_map),
        T(test_ram_read_write_any_width),
        T(test_q35_ram_above_4g),
        PER_PATH(test_mmio_dispatch_after_mapping_bars),
        PER_PATH(test_bar_unmapped_when_decode_off),
        PER_PATH(test_bar_move_while_decoding),
        PER_PATH(test_bridge_window_gating),
        PER_PATH(test_io_bar_via_in_out_q35),
        T(test_window_of_every_bridge_above_counts),
        T(test_io_bar_cannot_shadow_cf8),
        T(test_io_bar_via_memory_at_io_cpu_base_virt),
        T(test_virt_pci_windows_read_all_ones),
        T(test_access_straddling_bar_end_is_split),
        T(test_bars_never_shadow_ram_or_ecam),
        T(test_overlapping_bars_lower_start_wins),
        T(test_msi_doorbell_reads_zero_and_drops_cpu_writes),
        T(test_unclaimed_and_bad_widths),
        T(test_many_bars_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
