/* SPDX-License-Identifier: MIT */
/*
 * `vpci-host lspci` output (mockhost/lspci.c) through open_memstream:
 * lspci's default line with pci.ids names and its rules for unknown IDs,
 * -n, the -x / -xxx / -xxxx hex dumps, the -t tree, -v with BAR sizes and
 * capabilities, the order of functions.  The expected texts were checked
 * against pciutils 3.9's `lspci -F` on the same dumps; tests/lspci/
 * check-lspci.sh runs the real lspci on what vpci-host prints.
 *
 * Names come from small pci.ids files the tests write (VPCI_PCI_IDS), so
 * the results do not depend on the system's database.
 */
#include "lspcitest.h"

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static const char ids_full[] =
    "# test database\n"
    "1234  Test Vendor \n"              /* one trailing blank is dropped */
    "\t11E8  Edu Thing\n"               /* upper-case hex */
    "\t\t1af4 1100  Edu Sub\n"
    "1af4  Red Hat, Inc.\n"
    "\t10f1  Express Thing\n"
    "1b36  Red Hat, Inc.\n"
    "\t0001  QEMU PCI-PCI bridge\n"
    "8086  Intel Corporation\n"
    "\n"
    "X  unknown block\n"
    "\t11e8  never a device\n"
    "C 00  Unclassified device\n"
    "\t00  Non-VGA unclassified device\n"
    "C 06  Bridge\n"
    "\t00  Host bridge\n"
    "\t04  PCI bridge\n"
    "\t\t00  Normal decode\n"
    "C ff  Unassigned class\n";

/* Nothing about class 00, vendor 1234 or device 1b36:0001. */
static const char ids_sparse[] =
    "1b36  Red Hat, Inc.\n"
    "8086  Intel Corporation\n"
    "\t29c0  A Host Bridge\n"
    "S 8086\n"
    "\t1100  never used\n"
    "C 06  Bridge\n"
    "\t00  Host bridge\n";

/* edu at 01.0, a bridge at 03.0 with edu behind it, enumerated. */
static void edu_machine(void)
{
    add("edu,addr=01.0");
    add("pci-bridge,addr=03.0,id=br0");
    add("edu,bus=br0,addr=00.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static void default_line_has_names_from_pci_ids(void **state)
{
    (void)state;
    use_ids(ids_full);
    edu_machine();
    char *s = print(0, false, 0, false);
    assert_string_equal(s,
        "00:00.0 Host bridge: Intel Corporation Device 29c0\n"
        "00:01.0 Unclassified device [00ff]: Test Vendor Edu Thing (rev 10)\n"
        "00:03.0 PCI bridge: Red Hat, Inc. QEMU PCI-PCI bridge\n"
        "01:00.0 Unclassified device [00ff]: Test Vendor Edu Thing (rev 10)\n");
    free(s);
}

/* Class known without the sub-class: "Name [ccss]"; no vendor: "Device
 * vvvv:dddd"; vendor without device: "Vendor Device dddd"; no class at
 * all: "Class ccss". */
static void unknown_ids_follow_lspci_rules(void **state)
{
    (void)state;
    use_ids(ids_sparse);
    add("edu,addr=01.0");
    add("pci-bridge,addr=03.0");
    add_x("addr=05.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    char *s = print(0, false, 0, false);
    assert_string_equal(s,
        "00:00.0 Host bridge: Intel Corporation A Host Bridge\n"
        "00:01.0 Class 00ff: Device 1234:11e8 (rev 10)\n"
        "00:03.0 Bridge [0604]: Red Hat, Inc. Device 0001\n"
        "00:05.0 Class ff00: Device 1af4:10f1 (rev 02)\n");
    free(s);
}

static void class_without_subclass_prints_number_in_brackets(void **state)
{
    (void)state;
    use_ids(ids_full);
    add_x("addr=02.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    char *s = print(0, false, 0, false);
    assert_non_null(strstr(s, "00:02.0 Unassigned class [ff00]: "
                              "Red Hat, Inc. Express Thing (rev 02)\n"));
    free(s);
}

static void numeric_is_lspci_n(void **state)
{
    (void)state;
    use_ids(ids_full);
    edu_machine();
    char *s = print(0, false, 0, true);
    assert_string_equal(s,
        "00:00.0 0600: 8086:29c0\n"
        "00:01.0 00ff: 1234:11e8 (rev 10)\n"
        "00:03.0 0604: 1b36:0001\n"
        "01:00.0 00ff: 1234:11e8 (rev 10)\n");
    free(s);
}

/* Without a database lspci prints its unknown-name forms. */
static void missing_pci_ids_gives_unknown_forms(void **state)
{
    (void)state;
    no_ids();
    edu_machine();
    char *s = print(0, false, 0, false);
    assert_string_equal(s,
        "00:00.0 Class 0600: Device 8086:29c0\n"
        "00:01.0 Class 00ff: Device 1234:11e8 (rev 10)\n"
        "00:03.0 Class 0604: Device 1b36:0001\n"
        "01:00.0 Class 00ff: Device 1234:11e8 (rev 10)\n");
    free(s);
}

/* lspci formats names into 128-byte buffers and ends a cut one "...". */
static void long_names_are_cut_like_lspci(void **state)
{
    (void)state;
    char text[600];
    char longname[301];
    memset(longname, 'n', 300);
    longname[300] = 0;
    snprintf(text, sizeof(text), "1234  %s\n\t11e8  Edu\n", longname);
    use_ids(text);
    add("edu,addr=01.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    char *s = print(0, false, 0, false);
    const char *line = strstr(s, "00:01.0 Class 00ff: ");
    assert_non_null(line);
    line += strlen("00:01.0 Class 00ff: ");
    char expect[160];
    memset(expect, 'n', 124);
    strcpy(expect + 124, "... (rev 10)\n");
    assert_memory_equal(line, expect, strlen(expect));
    free(s);
}

/* ------------------------------------------------------------------ */
/* Hex dumps                                                           */
/* ------------------------------------------------------------------ */

/* One function's dump: header line, @bytes as "xx: .." lines, blank. */
static void check_dump(const char *s, const char *slot, uint8_t bus,
                       uint8_t devfn, unsigned bytes)
{
    const char *p = strstr(s, slot);
    assert_non_null(p);
    p = strchr(p, '\n');
    assert_non_null(p);
    p++;
    for (unsigned off = 0; off < bytes; off += 16) {
        char line[80];
        int n = snprintf(line, sizeof(line), "%02x:", off);
        for (unsigned i = 0; i < 16; i++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %02x",
                          vpci_mock_cfg_read(mm.m, bus, devfn, off + i, 1));
        snprintf(line + n, sizeof(line) - (size_t)n, "\n");
        assert_memory_equal(p, line, strlen(line));
        p += strlen(line);
    }
    assert_int_equal(*p, '\n');   /* the blank line after each function */
}

static void dumps_have_lspci_x_format_and_sizes(void **state)
{
    (void)state;
    no_ids();
    add("edu,addr=01.0");
    add_x("addr=02.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);

    char *s = print(1, false, 0, false);
    assert_int_equal(count_lines(s, "00: "), 3);
    assert_int_equal(count_lines(s, "30: "), 3);
    assert_int_equal(count_lines(s, "40: "), 0);
    check_dump(s, "00:01.0 ", 0, 0x08, 64);
    check_dump(s, "00:02.0 ", 0, 0x10, 64);
    free(s);

    s = print(2, false, 0, false);
    assert_int_equal(count_lines(s, "f0: "), 3);
    assert_int_equal(count_lines(s, "100: "), 0);
    check_dump(s, "00:02.0 ", 0, 0x10, 256);
    free(s);

    /* -xxxx: the whole config space, 256 bytes for a conventional
     * function (lspci cannot read more of one either) */
    s = print(3, false, 0, false);
    assert_int_equal(count_lines(s, "f0: "), 3);
    assert_int_equal(count_lines(s, "100: "), 1);
    assert_int_equal(count_lines(s, "ff0: "), 1);
    check_dump(s, "00:01.0 ", 0, 0x08, 256);
    check_dump(s, "00:02.0 ", 0, 0x10, 4096);
    assert_non_null(strstr(s, "00:01.0 Class 00ff: Device 1234:11e8 (rev 10)\n"
                              "00: 34 12 e8 11 "));
    free(s);
}

/* lspci lists by bus number, not in the depth-first order of the mock. */
static void functions_are_listed_in_bus_order(void **state)
{
    (void)state;
    no_ids();
    add("pci-bridge,addr=01.0,id=br0");
    add("edu,bus=br0,addr=04.0");
    add("edu,addr=02.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    char *s = print(0, false, 0, true);
    assert_string_equal(s,
        "00:00.0 0600: 8086:29c0\n"
        "00:01.0 0604: 1b36:0001\n"
        "00:02.0 00ff: 1234:11e8 (rev 10)\n"
        "01:04.0 00ff: 1234:11e8 (rev 10)\n");
    free(s);
}

/* ------------------------------------------------------------------ */
/* Tree                                                                */
/* ------------------------------------------------------------------ */

static void tree_is_lspci_t(void **state)
{
    (void)state;
    use_ids(ids_full);
    add("edu,addr=01.0");
    add("pci-bridge,addr=03.0,id=br0");
    add("edu,bus=br0,addr=00.0");
    add("pci-bridge,bus=br0,addr=02.0,id=br1");
    add("edu,bus=br1,addr=05.0");
    add("pci-bridge,addr=06.0,id=br2");
    add("edu,addr=07.0,multifunction=on");
    add("edu,addr=07.1");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    char *s = print(0, true, 0, false);
    assert_string_equal(s,
        "-[0000:00]-+-00.0\n"
        "           +-01.0\n"
        "           +-03.0-[01-02]--+-00.0\n"
        "           |               \\-02.0-[02]----05.0\n"
        "           +-06.0-[03]--\n"
        "           +-07.0\n"
        "           \\-07.1\n");
    free(s);

    /* -t -v: with the device names */
    s = print(0, true, 1, false);
    assert_non_null(strstr(s,
        "-[0000:00]-+-00.0  Intel Corporation Device 29c0\n"
        "           +-01.0  Test Vendor Edu Thing\n"
        "           +-03.0-[01-02]--+-00.0  Test Vendor Edu Thing\n"
        "           |               \\-02.0-[02]----05.0  Test Vendor Edu Thing\n"));
    free(s);

    /* the tree wins over the dump, as in lspci */
    s = print(3, true, 0, false);
    assert_null(strstr(s, "00: "));
    free(s);
}

static void tree_of_unenumerated_machine(void **state)
{
    (void)state;
    no_ids();
    add("pci-bridge,addr=01.0,id=br0");
    add("edu,addr=02.0");
    /* before enumeration the bridge's secondary bus is 0: lspci shows it
     * with an empty bus of its own */
    char *s = print(0, true, 0, false);
    assert_string_equal(s,
        "-[0000:00]-+-00.0\n"
        "           +-01.0--\n"
        "           \\-02.0\n");
    free(s);
}

/* ------------------------------------------------------------------ */
/* -v                                                                  */
/* ------------------------------------------------------------------ */

static void verbose_shows_resources_and_capabilities(void **state)
{
    (void)state;
    use_ids(ids_full);
    struct vpci_mock_fn *fn = add_x("addr=02.0");
    add("pci-bridge,addr=03.0,id=br0");
    add("edu,bus=br0,addr=00.0");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    struct vpci_dev *dev = vpci_mock_fn_dev(fn);
    struct vpci_bar_info b0, b1, b2, rom;
    assert_int_equal(vpci_bar_info(dev, 0, &b0), 0);
    assert_int_equal(vpci_bar_info(dev, 1, &b1), 0);
    assert_int_equal(vpci_bar_info(dev, 2, &b2), 0);
    assert_int_equal(vpci_bar_info(dev, VPCI_ROM_BAR, &rom), 0);
    unsigned irq = vpci_mock_cfg_read(mm.m, 0, 0x10, PCI_INTERRUPT_LINE, 1);

    char expect[2048];
    snprintf(expect, sizeof(expect),
        "00:02.0 Unassigned class [ff00]: Red Hat, Inc. Express Thing (rev 02)\n"
        "\tSubsystem: Red Hat, Inc. Device 1100\n"
        "\tFlags: bus master, fast devsel, latency 0%s%.0u\n"
        "\tMemory at %08llx (32-bit, non-prefetchable) [size=16K]\n"
        "\tI/O ports at %04llx [size=64]\n"
        "\tMemory at %08llx (64-bit, prefetchable) [size=1M]\n"
        "\tExpansion ROM at %08llx [disabled] [size=64K]\n"
        "\tCapabilities: [40] Power Management version 3\n"
        "\tCapabilities: [50] MSI: Enable- Count=1/4 Maskable+ 64bit+\n"
        "\tCapabilities: [70] MSI-X: Enable- Count=8 Masked-\n"
        "\tCapabilities: [80] Express Endpoint, MSI 00\n"
        "\tCapabilities: [c0] Vendor Specific Information: Len=07 <?>\n"
        "\tCapabilities: [100] Advanced Error Reporting\n"
        "\n",
        irq ? ", IRQ " : "", irq,
        (unsigned long long)b0.addr, (unsigned long long)b1.addr,
        (unsigned long long)b2.addr, (unsigned long long)rom.addr);
    char *s = print(0, false, 1, false);
    assert_non_null(strstr(s, expect));

    /* the bridge: prog-if name, bus numbers, windows; edu's MSI */
    assert_non_null(strstr(s,
        "00:03.0 PCI bridge: Red Hat, Inc. QEMU PCI-PCI bridge "
        "(prog-if 00 [Normal decode])\n"));
    assert_non_null(strstr(s, "\tBus: primary=00, secondary=01, "
                              "subordinate=01, sec-latency=0\n"));
    assert_non_null(strstr(s, "\tMemory behind bridge: "));
    assert_non_null(strstr(s, "\tCapabilities: [40] MSI: Enable- Count=1/1 "
                              "Maskable- 64bit+\n"));
    /* a blank line after every function */
    assert_int_equal(count_lines(s, "\n"), 4);
    free(s);

    /* -v -n: numbers, but the prog-if keeps its name (as lspci -vn) */
    s = print(0, false, 1, true);
    assert_non_null(strstr(s, "00:02.0 ff00: 1af4:10f1 (rev 02)\n"
                              "\tSubsystem: 1af4:1100\n"));
    assert_non_null(strstr(s, "00:03.0 0604: 1b36:0001 "
                              "(prog-if 00 [Normal decode])\n"));
    free(s);

    /* -v -x: the verbose block, then the dump, then the blank line */
    s = print(1, false, 1, false);
    assert_non_null(strstr(s, "\tCapabilities: [100] Advanced Error "
                              "Reporting\n00: f4 1a f1 10 "));
    free(s);
}

/* lspci shows the upper half of a 64-bit BAR above 4 GiB as a region of
 * its own when it reads a dump; we show the BAR once. */
static void bar_above_4g_is_one_line(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *fn = add_x("addr=02.0,big=on");
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
    struct vpci_bar_info b2;
    assert_int_equal(vpci_bar_info(vpci_mock_fn_dev(fn), 2, &b2), 0);
    assert_true(b2.addr >= 1ull << 32);
    char line[128];
    snprintf(line, sizeof(line),
             "\tMemory at %llx (64-bit, prefetchable) [size=8G]\n"
             "\tExpansion ROM at ", (unsigned long long)b2.addr);
    char *s = print(0, false, 1, false);
    assert_non_null(strstr(s, line));
    assert_int_equal(count_lines(s, "\tMemory at "), 2);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void bad_arguments_and_write_errors(void **state)
{
    (void)state;
    no_ids();
    add("edu,addr=01.0");
    const struct vpci_lspci_opts o = { 0 };
    assert_int_equal(vpci_lspci_print(NULL, stdout, &o), -EINVAL);
    assert_int_equal(vpci_lspci_print(mm.m, NULL, &o), -EINVAL);
    /* NULL options: the default listing */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(vpci_lspci_print(mm.m, f, NULL), 0);
    fclose(f);
    assert_non_null(strstr(buf, "00:01.0 Class 00ff: Device 1234:11e8"));
    free(buf);
    /* a stream that cannot be written */
    f = fopen("/dev/null", "r");
    assert_non_null(f);
    assert_int_equal(vpci_lspci_print(mm.m, f, &o), -EIO);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(default_line_has_names_from_pci_ids,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_ids_follow_lspci_rules,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            class_without_subclass_prints_number_in_brackets, setup, teardown),
        cmocka_unit_test_setup_teardown(numeric_is_lspci_n, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_pci_ids_gives_unknown_forms,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(long_names_are_cut_like_lspci, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dumps_have_lspci_x_format_and_sizes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(functions_are_listed_in_bus_order,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(tree_is_lspci_t, setup, teardown),
        cmocka_unit_test_setup_teardown(tree_of_unenumerated_machine, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(verbose_shows_resources_and_capabilities,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(bar_above_4g_is_one_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_and_write_errors, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
