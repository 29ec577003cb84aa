/* SPDX-License-Identifier: MIT */
/*
 * Config access (issue 3, item 2): CF8/CFC mechanism #1, ECAM and the
 * direct API reach the same functions; absent functions and unreachable
 * buses read all ones; type 1 cycles are forwarded through two levels of
 * bridges by the bus numbers programmed in them; ECAM reaches extended
 * config space.  Tests that hold for every mechanism run once per
 * mechanism (cmocka prestate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

static enum mt_path path_direct = MT_DIRECT;
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
    return *(enum mt_path *)*state;
}

/*
 * root: 03.0 br0 -> bus 1: 00.0 br1 -> bus 2: 02.0 d2 (express)
 *                        : 01.0 d1
 * Bus numbers programmed by hand through @p (enumeration is not used).
 */
static void add_two_levels(void)
{
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tbridge_model(), "addr=03.0,id=br0"));
    assert_non_null(mt_add(m, tbridge_model(), "bus=br0,addr=00.0,id=br1"));
    assert_non_null(mt_add(m, tdev_model(), "bus=br0,addr=01.0,id=d1"));
    assert_non_null(mt_add(m, tdev_model(),
                           "bus=br1,addr=02.0,id=d2,express=on"));
}

static void program_two_levels(enum mt_path p)
{
    struct vpci_mock *m = mm.m;
    mt_bridge_buses(m, p, 0, MT_DEVFN(3, 0), 0, 1, 2);
    mt_bridge_buses(m, p, 1, MT_DEVFN(0, 0), 1, 2, 2);
}

/* ------------------------------------------------------------------ */

static void test_absent_function_reads_all_ones(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    assert_int_equal(mt_cfg_read(m, p, 0, MT_DEVFN(0x1f, 7), 0, 4),
                     0xffffffffu);
    assert_int_equal(mt_cfg_read(m, p, 0, MT_DEVFN(5, 0), 2, 2), 0xffff);
    assert_int_equal(mt_cfg_read(m, p, 0, MT_DEVFN(5, 0), 0x3d, 1), 0xff);
    /* a write to nothing goes nowhere and breaks nothing */
    mt_cfg_write(m, p, 0, MT_DEVFN(5, 0), PCI_COMMAND, 2, 0x7);
    assert_int_equal(mt_cfg_read(m, p, 0, MT_DEVFN(5, 0), 0, 4), 0xffffffffu);
    /* the host bridge is there */
    assert_int_equal(mt_cfg_read(m, p, 0, 0, 0, 4), 0x29c08086u);
}

static void test_direct_write_to_absent_function_is_enodev(void **state)
{
    (void)state;
    assert_int_equal(vpci_mock_cfg_write(mm.m, 0, MT_DEVFN(9, 0), 4, 2, 1),
                     -ENODEV);
    assert_int_equal(vpci_mock_cfg_write(mm.m, 0, 0, 4, 3, 1), -EINVAL);
    assert_int_equal(vpci_mock_cfg_read(mm.m, 0, 0, 0, 3), 0xffffffffu);
    /* outside the host bridge's 256 bytes: libvpci refuses */
    assert_int_equal(vpci_mock_cfg_write(mm.m, 0, 0, 0x100, 4, 1), -EINVAL);
}

static void test_host_bridge_ids_q35(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_int_equal(vpci_mock_cfg_read(m, 0, 0, PCI_VENDOR_ID, 4),
                     0x29c08086u);
    assert_int_equal(vpci_mock_cfg_read(m, 0, 0, PCI_CLASS_REVISION, 4) >> 8,
                     0x060000);
    assert_int_equal(vpci_mock_cfg_read(m, 0, 0, PCI_HEADER_TYPE, 1), 0);
    struct vpci_mock_fn *host = vpci_mock_find(m, "host");
    assert_non_null(host);
    assert_ptr_equal(vpci_mock_fn_at(m, 0), host);
}

static void test_cf8_enable_bit_off_reads_all_ones(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=01.0"));
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, MT_DEVFN(1, 0), 0) & ~0x80000000u);
    assert_int_equal(vpci_mock_in(m, 0xcfc, 4), 0xffffffffu);
    assert_int_equal(vpci_mock_in(m, 0xcfe, 2), 0xffff);
    assert_int_equal(vpci_mock_in(m, 0xcfd, 1), 0xff);
    /* writes are dropped */
    vpci_mock_out(m, 0xcf8, 4,
                  mt_cf8(0, MT_DEVFN(1, 0), PCI_INTERRUPT_LINE) & 0x7fffffff);
    vpci_mock_out(m, 0xcfc, 1, 0x5a);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(1, 0),
                                        PCI_INTERRUPT_LINE, 1), 0);
    /* with the bit on, the same address answers */
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, MT_DEVFN(1, 0), 0));
    assert_int_equal(vpci_mock_in(m, 0xcfc, 4),
                     (uint32_t)TDEV_DEVICE << 16 | TDEV_VENDOR);
}

static void test_cf8_byte_and_word_access_at_data_ports(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=01.0"));
    uint8_t d = MT_DEVFN(1, 0);
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, d, 0));
    assert_int_equal(vpci_mock_in(m, 0xcfc, 2), TDEV_VENDOR);
    assert_int_equal(vpci_mock_in(m, 0xcfe, 2), TDEV_DEVICE);
    assert_int_equal(vpci_mock_in(m, 0xcfd, 1), TDEV_VENDOR >> 8);
    assert_int_equal(vpci_mock_in(m, 0xcff, 1), TDEV_DEVICE >> 8);

    /* byte writes at 0xCFC / 0xCFD: cache line size, latency timer */
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, d, PCI_CACHE_LINE_SIZE));
    vpci_mock_out(m, 0xcfc, 1, 0x10);
    vpci_mock_out(m, 0xcfd, 1, 0x20);
    assert_int_equal(vpci_mock_cfg_read(m, 0, d, PCI_CACHE_LINE_SIZE, 2),
                     0x2010);
    /* word write at 0xCFE: the upper half of BAR0 */
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, d, PCI_BASE_ADDRESS_0));
    vpci_mock_out(m, 0xcfe, 2, 0xfedc);
    assert_int_equal(vpci_mock_cfg_read(m, 0, d, PCI_BASE_ADDRESS_0, 4),
                     0xfedc0000u);
    assert_int_equal(vpci_mock_in(m, 0xcfe, 2), 0xfedc);
    /* a word at 0xCFF leaves the data register: split, the byte past it
     * is an unclaimed port (all ones) */
    assert_int_equal(vpci_mock_in(m, 0xcff, 2), 0xfffe);
    assert_int_equal(vpci_mock_in(m, 0xcfb, 2), 0x0080);
}

static void test_cf8_non_dword_write_ignored(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    uint32_t addr = mt_cf8(0, 0, PCI_CLASS_REVISION);
    vpci_mock_out(m, 0xcf8, 4, addr);
    assert_int_equal(vpci_mock_in(m, 0xcf8, 4), addr);
    vpci_mock_out(m, 0xcf8, 1, 0);
    vpci_mock_out(m, 0xcf8, 2, 0);
    vpci_mock_out(m, 0xcf9, 1, 0x06);
    vpci_mock_out(m, 0xcfa, 2, 0);
    assert_int_equal(vpci_mock_in(m, 0xcf8, 4), addr);
    /* narrower reads see the register's bytes */
    assert_int_equal(vpci_mock_in(m, 0xcfb, 1), 0x80);
    assert_int_equal(vpci_mock_in(m, 0xcf8, 2), addr & 0xffff);
    /* a dword at 0xCFA: two bytes of CONFIG_ADDRESS, two of the data */
    assert_int_equal(vpci_mock_in(m, 0xcfa, 4), 0x00008000u);
    /* and the data port still reads the class code */
    assert_int_equal(vpci_mock_in(m, 0xcfc, 4) >> 8, 0x060000);
}

static void test_cf8_ignores_extended_bits_and_ors_low_bits_like_qemu(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=02.0,express=on"));
    /* bits 27:24 set: QEMU ignores them, so this is offset 0x00 */
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, MT_DEVFN(2, 0), 0) | 0x01000000u);
    assert_int_equal(vpci_mock_in(m, 0xcfc, 2), TDEV_VENDOR);
    /* low two bits of CONFIG_ADDRESS are ORed into the register, as in
     * QEMU 7.2 (pci_host_data_read): 0x..03 + a word at 0xCFC reads bytes
     * 3 and 4, the device ID's high byte and COMMAND's low byte (0) */
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, MT_DEVFN(2, 0), 0) | 0x3);
    assert_int_equal(vpci_mock_in(m, 0xcfc, 2), TDEV_DEVICE >> 8);
}

static void test_type1_forwarding_through_two_bridges(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    add_two_levels();
    /* before the bridges have bus numbers nothing is behind bus 0 */
    assert_int_equal(mt_cfg_read(m, p, 1, MT_DEVFN(1, 0), 0, 4), 0xffffffffu);
    assert_int_equal(mt_cfg_read(m, p, 2, MT_DEVFN(2, 0), 0, 4), 0xffffffffu);

    program_two_levels(p);
    uint32_t id = (uint32_t)TDEV_DEVICE << 16 | TDEV_VENDOR;
    assert_int_equal(mt_cfg_read(m, p, 0, MT_DEVFN(3, 0), PCI_SECONDARY_BUS,
                                 1), 1);
    assert_int_equal(mt_cfg_read(m, p, 1, MT_DEVFN(0, 0), 0, 4), 0x00011b36);
    assert_int_equal(mt_cfg_read(m, p, 1, MT_DEVFN(1, 0), 0, 4), id);
    assert_int_equal(mt_cfg_read(m, p, 2, MT_DEVFN(2, 0), 0, 4), id);
    /* a write two buses down lands on the right function */
    mt_cfg_write(m, p, 2, MT_DEVFN(2, 0), PCI_INTERRUPT_LINE, 1, 0x42);
    struct vpci_mock_fn *d2 = vpci_mock_find(m, "d2");
    assert_int_equal(vpci_cfg_read(vpci_mock_fn_dev(d2), PCI_INTERRUPT_LINE,
                                   1), 0x42);
    /* its requester ID follows the programmed bus */
    assert_int_equal(vpci_mock_fn_bus(d2), 2);
    assert_int_equal(vpci_mock_fn_rid(d2), 0x0210);
    assert_string_equal(vpci_dev_label(vpci_mock_fn_dev(d2)), "d2@02:02.0");
    /* same slot on the wrong bus: nothing */
    assert_int_equal(mt_cfg_read(m, p, 1, MT_DEVFN(2, 0), 0, 4), 0xffffffffu);
}

static void test_unreachable_bus_reads_all_ones(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    add_two_levels();
    program_two_levels(p);
    /* bus 3 is past every subordinate number */
    assert_int_equal(mt_cfg_read(m, p, 3, 0, 0, 4), 0xffffffffu);
    assert_int_equal(mt_cfg_read(m, p, 0xff, 0, 0, 2), 0xffff);
    /* br0 claims 1..2 but bus 2 has nothing at 00.0 */
    assert_int_equal(mt_cfg_read(m, p, 2, 0, 0, 4), 0xffffffffu);
    /* shrink br1's range: bus 2 becomes unreachable */
    mt_bridge_buses(m, p, 1, MT_DEVFN(0, 0), 1, 2, 2);
    mt_bridge_buses(m, p, 0, MT_DEVFN(3, 0), 0, 1, 1);
    assert_int_equal(mt_cfg_read(m, p, 2, MT_DEVFN(2, 0), 0, 4), 0xffffffffu);
    mt_cfg_write(m, p, 2, MT_DEVFN(2, 0), PCI_INTERRUPT_LINE, 1, 0x33);
    struct vpci_mock_fn *d2 = vpci_mock_find(m, "d2");
    assert_int_equal(vpci_cfg_read(vpci_mock_fn_dev(d2), PCI_INTERRUPT_LINE,
                                   1), 0);
}

static void test_ecam_extended_space_of_express_function(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    add_two_levels();
    program_two_levels(MT_ECAM);
    /* AER at 0x100: ID 0x0001, version 2, end of list */
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 2, MT_DEVFN(2, 0), 0x100, 4),
                     0x00020001u);
    assert_int_equal(mt_cfg_read(m, MT_DIRECT, 2, MT_DEVFN(2, 0), 0x100, 4),
                     0x00020001u);
    /* a conventional function has no extended space */
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 1, MT_DEVFN(1, 0), 0x100, 4),
                     0xffffffffu);
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 1, MT_DEVFN(1, 0), 0xffc, 2),
                     0xffff);
    mt_cfg_write(m, MT_ECAM, 1, MT_DEVFN(1, 0), 0x100, 4, 0);
    /* the last dword of the 4 KiB */
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 2, MT_DEVFN(2, 0), 0xffc, 4), 0);
}

static void test_ecam_qword_is_two_dwords(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=04.0"));
    uint64_t base = mt_ecam_addr(m, 0, MT_DEVFN(4, 0), 0);
    uint64_t v = vpci_mock_read(m, base, 8);
    assert_int_equal(v & 0xffffffffu,
                     (uint32_t)TDEV_DEVICE << 16 | TDEV_VENDOR);
    assert_int_equal(v >> 32, vpci_mock_cfg_read(m, 0, MT_DEVFN(4, 0), 4, 4));
    /* BAR0 and BAR1 in one write */
    vpci_mock_write(m, base + PCI_BASE_ADDRESS_0, 8,
                    0x0000e001ull << 32 | 0xc0000000ull);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(4, 0),
                                        PCI_BASE_ADDRESS_0, 4), 0xc0000000u);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(4, 0),
                                        PCI_BASE_ADDRESS_1, 4), 0xe001u);
    /* ECAM bytes and words anywhere in the dword */
    assert_int_equal(vpci_mock_read(m, base + 1, 1), TDEV_VENDOR >> 8);
    assert_int_equal(vpci_mock_read(m, base + 2, 2), TDEV_DEVICE);
}

static void test_virt_has_no_cf8_and_ecam_at_its_base(void **state)
{
    (void)state;
    struct mt_machine v;
    assert_int_equal(mt_machine_new(&v, VPCI_MOCK_VIRT, 0, false), 0);
    struct vpci_mock *m = v.m;
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    assert_false(map->has_cf8);
    assert_int_equal(map->ecam_base, 0x4010000000ull);
    /* 0xCF8/0xCFC are ordinary (unclaimed) ports */
    vpci_mock_out(m, 0xcf8, 4, mt_cf8(0, 0, 0));
    assert_int_equal(vpci_mock_in(m, 0xcfc, 4), 0xffffffffu);
    assert_int_equal(vpci_mock_in(m, 0xcf8, 4), 0xffffffffu);
    /* the gpex host bridge through ECAM */
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 0, 0, 0, 4), 0x00081b36u);
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 0, 0, PCI_CLASS_REVISION, 4) >> 8,
                     0x060000);
    assert_int_equal(mt_cfg_read(m, MT_ECAM, 0, MT_DEVFN(1, 0), 0, 4),
                     0xffffffffu);
    mt_machine_free(&v);
}

static void test_bridge_secondary_reset_resets_functions_below(void **state)
{
    enum mt_path p = path_of(state);
    struct vpci_mock *m = mm.m;
    add_two_levels();
    program_two_levels(p);
    mt_cfg_write(m, p, 2, MT_DEVFN(2, 0), PCI_INTERRUPT_LINE, 1, 0x42);
    mt_cfg_write(m, p, 1, MT_DEVFN(1, 0), PCI_INTERRUPT_LINE, 1, 0x43);
    /* br0's Secondary Bus Reset resets br1 (its bus numbers too), d1, d2 */
    mt_cfg_write(m, p, 0, MT_DEVFN(3, 0), PCI_BRIDGE_CONTROL, 2,
                 PCI_BRIDGE_CTL_BUS_RESET);
    mt_cfg_write(m, p, 0, MT_DEVFN(3, 0), PCI_BRIDGE_CONTROL, 2, 0);
    assert_int_equal(mt_cfg_read(m, p, 1, MT_DEVFN(1, 0), PCI_INTERRUPT_LINE,
                                 1), 0);
    assert_int_equal(mt_cfg_read(m, p, 1, MT_DEVFN(0, 0), PCI_SECONDARY_BUS,
                                 1), 0);
    /* so bus 2 is gone until br1 is programmed again */
    assert_int_equal(mt_cfg_read(m, p, 2, MT_DEVFN(2, 0), 0, 4), 0xffffffffu);
    mt_bridge_buses(m, p, 1, MT_DEVFN(0, 0), 1, 2, 2);
    assert_int_equal(mt_cfg_read(m, p, 2, MT_DEVFN(2, 0), PCI_INTERRUPT_LINE,
                                 1), 0);
}

static void test_ecam_base_and_bus_range_are_configurable(void **state)
{
    (void)state;
    FILE *log = fopen("/dev/null", "w");
    assert_non_null(log);
    struct vpci_mock_config cfg = { .machine = VPCI_MOCK_Q35, .log = log,
                                    .ecam_base = 0xe0000000u,
                                    .ecam_bus_first = 1,
                                    .ecam_bus_count = 2 };
    struct vpci_mock *m;
    assert_int_equal(vpci_mock_new(&cfg, &m), 0);
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    assert_int_equal(map->ecam_base, 0xe0000000u);
    assert_int_equal(map->ecam_size, 2u << 20);
    assert_int_equal(map->ecam_bus_first, 1);
    assert_int_equal(map->ecam_bus_last, 2);
    assert_non_null(mt_add(m, tbridge_model(), "addr=03.0,id=br"));
    assert_non_null(mt_add(m, tdev_model(), "bus=br,addr=04.0"));
    mt_bridge_buses(m, MT_CF8, 0, MT_DEVFN(3, 0), 0, 1, 1);
    /* offset 0 of the window is bus 1 */
    assert_int_equal(vpci_mock_read(m, 0xe0000000u + (MT_DEVFN(4, 0) << 12),
                                    2), TDEV_VENDOR);
    /* bus 0 is outside the range: only CF8/CFC reach it */
    assert_int_equal(mt_cfg_read(m, MT_CF8, 0, 0, 0, 2), 0x8086);
    /* the default place is plain (unclaimed) memory now */
    assert_int_equal(vpci_mock_read(m, 0xb0000000u, 4), 0);
    /* bus 2 is in range but nothing is there; past the window is memory */
    assert_int_equal(vpci_mock_read(m, 0xe0100000u, 4), 0xffffffffu);
    assert_int_equal(vpci_mock_read(m, 0xe0200000u, 4), 0);
    vpci_mock_free(m);

    /* misplaced windows are refused */
    cfg.ecam_base = 0xe0080000u;                 /* not 1 MiB aligned */
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    cfg.ecam_base = 0x100000u;                   /* in RAM */
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    cfg.ecam_base = 0xfe000000u;                 /* over the doorbell */
    cfg.ecam_bus_count = 64;
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    cfg.ecam_base = 0;
    cfg.ecam_bus_first = 200;
    cfg.ecam_bus_count = 100;                    /* past bus 255 */
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    fclose(log);
}

#define PER_PATH(f)                                                         \
    cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,            \
                                             &path_cf8),                    \
        cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,        \
                                                 &path_ecam),               \
        cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,        \
                                                 &path_direct)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PER_PATH(test_absent_function_reads_all_ones),
        PER_PATH(test_type1_forwarding_through_two_bridges),
        PER_PATH(test_unreachable_bus_reads_all_ones),
        PER_PATH(test_bridge_secondary_reset_resets_functions_below),
        cmocka_unit_test_setup_teardown(
            test_direct_write_to_absent_function_is_enodev, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_bridge_ids_q35, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_cf8_enable_bit_off_reads_all_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cf8_byte_and_word_access_at_data_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cf8_non_dword_write_ignored,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cf8_ignores_extended_bits_and_ors_low_bits_like_qemu, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ecam_extended_space_of_express_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecam_qword_is_two_dwords, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_virt_has_no_cf8_and_ecam_at_its_base, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ecam_base_and_bus_range_are_configurable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
