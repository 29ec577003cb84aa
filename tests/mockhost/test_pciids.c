/* SPDX-License-Identifier: MIT */
/*
 * The pci.ids reader and lspci's naming rules (mockhost/pciids.c), through
 * pciids.h: which lines the parser takes, where a malformed line stops it,
 * and the names lspci would print for known and unknown IDs.  Each test
 * writes the database it needs (VPCI_PCI_IDS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pciids.h"

static char ids_path[64];
static struct pciids ids;
static char buf[128];

static void use_ids(const char *text)
{
    pciids_free(&ids);
    if (ids_path[0])
        unlink(ids_path);
    strcpy(ids_path, "/tmp/vpci-pciids-XXXXXX");
    int fd = mkstemp(ids_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(setenv(PCIIDS_ENV, ids_path, 1), 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&ids, 0, sizeof(ids));
    ids_path[0] = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pciids_free(&ids);
    if (ids_path[0])
        unlink(ids_path);
    ids_path[0] = 0;
    unsetenv(PCIIDS_ENV);
    return 0;
}

static const char *vd(unsigned ven, unsigned dev)
{
    return pciids_vendor_device(&ids, buf, sizeof(buf), ven, dev);
}

static const char *cls(unsigned c)
{
    return pciids_class(&ids, buf, sizeof(buf), c);
}

static const char *sub(unsigned ven, unsigned dev, unsigned sven,
                       unsigned sdev)
{
    return pciids_subsystem(&ids, buf, sizeof(buf), ven, dev, sven, sdev);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static const char db[] =
    "# comment\n"
    "   \t\n"                                   /* blank with spaces */
    "1234  Test Vendor\r\n"                     /* CRLF */
    "\t11e8  Edu Thing\n"
    "\t\t1af4 1100  Edu Sub\n"
    "\t0001  Virt Thing\n"
    "\t0000  Device Zero\n"
    "\t\t1af4 2222  Never shown: no lookup for device 0\n"
    "1af4  Red Hat, Inc.\n"
    "\t1100  QEMU Virtual Machine\n"
    "1af4  Duplicate Vendor\n"                  /* the first one wins */
    "C 06  Bridge\n"
    "\t00  Host bridge\n"
    "\t01  ISA bridge\n"
    "\t\t00  Plain ISA\n"
    "C 01  Mass storage controller\n"
    "\t01  IDE interface\n"
    "\t\t05  PCI native mode-only controller\n"
    "S 1af4\n"
    "\t2222  Generic Sub\n";

static void vendor_and_device_names(void **state)
{
    (void)state;
    use_ids(db);
    assert_string_equal(vd(0x1234, 0x11e8), "Test Vendor Edu Thing");
    assert_string_equal(vd(0x1234, 0x5555), "Test Vendor Device 5555");
    assert_string_equal(vd(0x4321, 0x11e8), "Device 4321:11e8");
    assert_string_equal(vd(0x1af4, 0x1100),
                        "Red Hat, Inc. QEMU Virtual Machine");
}

static void class_names_with_and_without_subclass(void **state)
{
    (void)state;
    use_ids(db);
    assert_string_equal(cls(0x0600), "Host bridge");
    assert_string_equal(cls(0x0680), "Bridge [0680]");
    assert_string_equal(cls(0x0780), "Class 0780");
}

/* The device's own subsystem entry, then the generic "S" block, then the
 * device name when the subsystem IDs are the device's. */
static void subsystem_names(void **state)
{
    (void)state;
    use_ids(db);
    assert_string_equal(sub(0x1234, 0x11e8, 0x1af4, 0x1100),
                        "Red Hat, Inc. Edu Sub");
    assert_string_equal(sub(0x1234, 0x0001, 0x1af4, 0x2222),
                        "Red Hat, Inc. Generic Sub");
    assert_string_equal(sub(0x1234, 0x0001, 0x1234, 0x0001),
                        "Test Vendor Virt Thing");
    assert_string_equal(sub(0x1234, 0x0001, 0x1af4, 0x3333),
                        "Red Hat, Inc. Device 3333");
    assert_string_equal(sub(0x1234, 0x0001, 0x5555, 0x3333),
                        "Device 5555:3333");
    /* device 0: no device-specific lookup (though pci.ids has one), the
     * generic one still */
    assert_string_equal(sub(0x1234, 0x0000, 0x1af4, 0x2222),
                        "Red Hat, Inc. Generic Sub");
}

static void prog_if_names_and_ide_decode(void **state)
{
    (void)state;
    use_ids(db);
    char pbuf[64];
    assert_string_equal(pciids_progif(&ids, 0x0601, 0x00, pbuf,
                                      sizeof(pbuf)), "Plain ISA");
    assert_string_equal(pciids_progif(&ids, 0x0101, 0x05, pbuf,
                                      sizeof(pbuf)),
                        "PCI native mode-only controller");
    /* unnamed IDE prog-ifs: the mode bits, as lspci decodes them */
    assert_string_equal(pciids_progif(&ids, 0x0101, 0x8f, pbuf,
                                      sizeof(pbuf)),
                        "Master SecP SecO PriP PriO");
    assert_string_equal(pciids_progif(&ids, 0x0101, 0x80, pbuf,
                                      sizeof(pbuf)), "Master");
    assert_string_equal(pciids_progif(&ids, 0x0101, 0x00, pbuf,
                                      sizeof(pbuf)), "");
    /* bits 4..6 set: no decode */
    assert_null(pciids_progif(&ids, 0x0101, 0x10, pbuf, sizeof(pbuf)));
    assert_null(pciids_progif(&ids, 0x0601, 0x01, pbuf, sizeof(pbuf)));
    /* numeric mode keeps prog-if names (lspci -vn) */
    ids.numeric = true;
    assert_string_equal(pciids_progif(&ids, 0x0601, 0x00, pbuf,
                                      sizeof(pbuf)), "Plain ISA");
}

static void numeric_mode_prints_numbers_only(void **state)
{
    (void)state;
    use_ids(db);
    ids.numeric = true;
    assert_string_equal(vd(0x1234, 0x11e8), "1234:11e8");
    assert_string_equal(cls(0x0600), "0600");
    assert_string_equal(sub(0x1234, 0x11e8, 0x1af4, 0x1100), "1af4:1100");
    /* pciids_free keeps the mode */
    pciids_free(&ids);
    assert_string_equal(vd(0x1234, 0x11e8), "1234:11e8");
}

/* Without the file every lookup finds nothing. */
static void missing_file_gives_unknown_forms(void **state)
{
    (void)state;
    assert_int_equal(setenv(PCIIDS_ENV, "/nonexistent/pci.ids", 1), 0);
    assert_string_equal(vd(0x1234, 0x11e8), "Device 1234:11e8");
    assert_string_equal(cls(0x0600), "Class 0600");
    assert_string_equal(sub(0x1234, 0x11e8, 0x1234, 0x11e8),
                        "Device 1234:11e8");
}

/* An empty VPCI_PCI_IDS means the system's database. */
static void empty_variable_reads_the_system_database(void **state)
{
    (void)state;
    if (access(PCIIDS_DEFAULT_PATH, R_OK) != 0)
        skip();
    assert_int_equal(setenv(PCIIDS_ENV, "", 1), 0);
    assert_string_equal(vd(0x8086, 0xffff), "Intel Corporation Device ffff");
}

/* The database is read once; pciids_free() makes the next lookup read it
 * again (here: another file). */
static void free_then_lookup_reloads(void **state)
{
    (void)state;
    use_ids("1234  First\n");
    assert_string_equal(vd(0x1234, 1), "First Device 0001");
    use_ids("1234  Second\n");          /* pciids_free(), another file */
    assert_string_equal(vd(0x1234, 1), "Second Device 0001");
}

/* lspci cuts a name that does not fit its buffer with "..."; a buffer
 * too small even for that gives its message. */
static void long_names_are_cut_and_tiny_buffers_refused(void **state)
{
    (void)state;
    char text[300];
    char name[201];
    memset(name, 'v', 200);
    name[200] = 0;
    snprintf(text, sizeof(text), "1234  %s\n", name);
    use_ids(text);
    char small[16];
    assert_string_equal(pciids_vendor_device(&ids, small, sizeof(small),
                                             0x1234, 0x0001),
                        "vvvvvvvvvvvv...");
    assert_string_equal(pciids_vendor_device(&ids, small, 3, 0x1234, 1),
                        "<pci_lookup_name: buffer too small>");
}

/* ------------------------------------------------------------------ */
/* Parser: a malformed line ends the parse, what came before stays     */
/* ------------------------------------------------------------------ */

/* Each database: a good vendor 1111, the bad line, then vendor 2222. */
static void check_stops(const char *bad)
{
    char text[256];
    snprintf(text, sizeof(text), "1111  Before\n%s\n2222  After\n", bad);
    use_ids(text);
    assert_string_equal(vd(0x1111, 1), "Before Device 0001");
    assert_string_equal(vd(0x2222, 1), "Device 2222:0001");
}

static void malformed_top_level_lines_stop_the_parse(void **state)
{
    (void)state;
    check_stops("12g4  Bad hex vendor");
    check_stops("12345  No blank after the ID");
    check_stops("C 0x  Bad class");
    check_stops("C 061  No blank after the class");
    check_stops("S 1111 trailing");           /* S takes nothing after */
    check_stops("S 3333");                    /* an unknown vendor */
    check_stops("1234 \t");                   /* no name */
}

static void malformed_nested_lines_stop_the_parse(void **state)
{
    (void)state;
    check_stops("\t12x4  Bad device");
    check_stops("\t0002  Good\n\t\t1af4 11z0  Bad subsystem");
    check_stops("\t0002  Good\n\t\t1af4  Short subsystem");
    check_stops("\t\t1af4 1100  Subsystem without a device");
    check_stops("\t0002  Good\n\t\t\t0000  Too deep");
    check_stops("C 06  Bridge\n\t0  Bad subclass");
    check_stops("C 06  Bridge\n\t04  PCI\n\t\t0  Bad prog-if");
    check_stops("S 1111\n\t12g4  Bad generic subsystem");
    check_stops("S 1111\n\t\t1234  Nested under S");
}

/* A nested line first thing in the file: nothing is known at all. */
static void nested_line_before_any_block_stops_at_once(void **state)
{
    (void)state;
    use_ids("\t0001  Orphan\n1111  After\n");
    assert_string_equal(vd(0x1111, 1), "Device 1111:0001");
}

/* Blocks of unknown kinds ("X ...") are skipped with their lines. */
static void unknown_blocks_are_skipped(void **state)
{
    (void)state;
    use_ids("X  Some other list\n"
            "\t1111  Not a device\n"
            "\t\t12  deeper\n"
            "1111  Vendor\n");
    assert_string_equal(vd(0x1111, 0x1111), "Vendor Device 1111");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(vendor_and_device_names),
        T(class_names_with_and_without_subclass),
        T(subsystem_names),
        T(prog_if_names_and_ide_decode),
        T(numeric_mode_prints_numbers_only),
        T(missing_file_gives_unknown_forms),
        T(empty_variable_reads_the_system_database),
        T(free_then_lookup_reloads),
        T(long_names_are_cut_and_tiny_buffers_refused),
        T(malformed_top_level_lines_stop_the_parse),
        T(malformed_nested_lines_stop_the_parse),
        T(nested_line_before_any_block_stops_at_once),
        T(unknown_blocks_are_skipped),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
