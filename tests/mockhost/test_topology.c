/* SPDX-License-Identifier: MIT */
/*
 * Topology (issue 3, item 3): devices added with QEMU-like spec strings
 * (and from the C API with the caller's model), their addresses and ids,
 * every spec error, multi-function slots, bridges with buses behind them,
 * depth-first iteration, labels that follow the programmed bus numbers,
 * machine creation and the log sink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

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

static size_t count_fns(struct vpci_mock *m)
{
    size_t n = 0;
    while (vpci_mock_fn_at(m, n))
        n++;
    return n;
}

static int add_t(const char *spec)
{
    return vpci_mock_add_model(mm.m, tdev_model(), spec, NULL);
}

/* ------------------------------------------------------------------ */

static void test_spec_addr_forms(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(), "tdev,addr=01.0"));
    assert_int_equal(vpci_mock_fn_devfn(fn), 0x08);
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=1f.7"));
    assert_int_equal(vpci_mock_fn_devfn(fn), 0xff);
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=3"));
    assert_int_equal(vpci_mock_fn_devfn(fn), 0x18);
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=0A"));
    assert_int_equal(vpci_mock_fn_devfn(fn), 0x50);
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=b.0"));
    assert_int_equal(vpci_mock_fn_devfn(fn), 0x58);
    /* the function answers config cycles at that address */
    assert_int_equal(vpci_mock_cfg_read(m, 0, 0x18, PCI_VENDOR_ID, 2),
                     TDEV_VENDOR);
    assert_int_equal(vpci_mock_cfg_read(m, 0, 0xff, PCI_VENDOR_ID, 2),
                     TDEV_VENDOR);
}

static void test_spec_default_addr_and_id(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *a, *b, *c;
    assert_non_null(a = mt_add(m, tdev_model(), NULL));
    assert_non_null(b = mt_add(m, tdev_model(), "id=tdev1,addr=05.0"));
    assert_non_null(c = mt_add(m, tdev_model(), ""));
    /* slot 0 holds the host bridge: first free slot is 1, then 2 */
    assert_int_equal(vpci_mock_fn_devfn(a), MT_DEVFN(1, 0));
    assert_int_equal(vpci_mock_fn_devfn(c), MT_DEVFN(2, 0));
    assert_string_equal(vpci_mock_fn_id(a), "tdev0");
    assert_string_equal(vpci_mock_fn_id(b), "tdev1");
    assert_string_equal(vpci_mock_fn_id(c), "tdev2");
    assert_ptr_equal(vpci_mock_find(m, "tdev2"), c);
    assert_null(vpci_mock_find(m, "tdev9"));
    assert_null(vpci_mock_find(m, NULL));
    assert_string_equal(vpci_dev_label(vpci_mock_fn_dev(b)), "tdev1@00:05.0");
}

static void test_spec_errors(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn = (struct vpci_mock_fn *)&fn;
    assert_non_null(mt_add(m, tdev_model(), "addr=01.0,id=one"));
    size_t before = count_fns(m);
    unsigned errors = vpci_mock_errors(m);

    /* unknown model, no model, name that is not the caller's model */
    assert_int_equal(vpci_mock_add(m, "no-such-model,addr=02.0", &fn),
                     -EINVAL);
    assert_null(fn);
    assert_int_equal(vpci_mock_add(m, "addr=02.0", NULL), -EINVAL);
    assert_int_equal(vpci_mock_add(m, "", NULL), -EINVAL);
    assert_int_equal(add_t("edu,addr=02.0"), -EINVAL);
    /* bad addresses */
    static const char *const bad_addr[] = {
        "addr=20.0", "addr=1.8", "addr=xyz", "addr=", "addr=123",
        "addr=01.", "addr=01.00", "addr=.1", "addr=01.0.0",
    };
    for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "tdev,%s", bad_addr[i]);
        assert_int_equal(add_t(spec), -EINVAL);
    }
    /* taken address or id */
    assert_int_equal(add_t("addr=01.0"), -EEXIST);
    assert_int_equal(add_t("addr=00.0"), -EEXIST);   /* host bridge */
    assert_int_equal(add_t("addr=02.0,id=one"), -EEXIST);
    assert_int_equal(add_t("addr=02.0,id="), -EINVAL);
    /* buses: unknown, and an id that is not a bridge */
    assert_int_equal(add_t("bus=nosuch,addr=00.0"), -ENODEV);
    assert_int_equal(add_t("bus=one,addr=00.0"), -ENODEV);
    /* properties the model does not have, or bad values */
    assert_int_equal(add_t("addr=02.0,bogus=1"), -EINVAL);
    assert_int_equal(add_t("addr=02.0,pin=banana"), -EINVAL);
    assert_int_equal(add_t("addr=02.0,pin=7"), -EINVAL);
    /* host keys: bad values, no value, given twice */
    assert_int_equal(add_t("addr=02.0,multifunction=maybe"), -EINVAL);
    assert_int_equal(add_t("addr=02.0,addr=03.0"), -EINVAL);
    assert_int_equal(add_t("addr"), -EINVAL);       /* model "addr" */
    assert_int_equal(add_t("tdev,addr"), -EINVAL);
    /* NULL arguments */
    assert_int_equal(vpci_mock_add(m, NULL, NULL), -EINVAL);
    assert_int_equal(vpci_mock_add(NULL, "tdev", NULL), -EINVAL);
    assert_int_equal(vpci_mock_add_model(m, NULL, "", NULL), -EINVAL);
    /* too long */
    char longspec[2048];
    memset(longspec, 'a', sizeof(longspec) - 1);
    longspec[sizeof(longspec) - 1] = '\0';
    assert_int_equal(add_t(longspec), -EINVAL);

    /* nothing was added, and each failure said why */
    assert_int_equal(count_fns(m), before);
    assert_true(vpci_mock_errors(m) >= errors + 20);
}

static void test_spec_properties_go_to_the_model(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(),
                                "tdev,pin=3,addr=05.0,express=on,id=x"));
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(5, 0),
                                        PCI_INTERRUPT_PIN, 1), 3);
    assert_int_equal(vpci_cfg_size(vpci_mock_fn_dev(fn)), 4096);
    assert_true(vpci_dev_is_express(vpci_mock_fn_dev(fn)));
    /* a boolean property given bare */
    assert_non_null(fn = mt_add(m, tdev_model(), "addr=06.0,express"));
    assert_true(vpci_dev_is_express(vpci_mock_fn_dev(fn)));
}

static void test_spec_registered_models(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *edu, *br, *inner;
    if (!vpci_model_find("edu") || !vpci_model_find("pci-bridge"))
        skip();
    assert_int_equal(vpci_mock_add(m, "edu,addr=01.0", &edu), 0);
    assert_int_equal(vpci_mock_add(m, "pci-bridge,addr=03.0,id=br0", &br), 0);
    assert_int_equal(vpci_mock_add(m, "edu,bus=br0,addr=00.0", &inner), 0);
    assert_string_equal(vpci_mock_fn_id(edu), "edu0");
    assert_string_equal(vpci_mock_fn_id(inner), "edu1");
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(1, 0), 0, 4),
                     0x11e81234u);
    assert_true(vpci_mock_fn_is_bridge(br));
    assert_false(vpci_mock_fn_is_bridge(edu));
    assert_false(vpci_mock_fn_is_bridge(NULL));
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(3, 0), PCI_HEADER_TYPE,
                                        1) & 0x7f, PCI_HEADER_TYPE_BRIDGE);
    /* behind br0 once it has bus numbers */
    mt_bridge_buses(m, MT_CF8, 0, MT_DEVFN(3, 0), 0, 1, 1);
    assert_int_equal(mt_cfg_read(m, MT_CF8, 1, 0, 0, 4), 0x11e81234u);
    assert_int_equal(vpci_mock_fn_bus(inner), 1);
    /* a model property of pci-bridge; a wrong one */
    assert_int_equal(vpci_mock_add(m, "pci-bridge,addr=04.0,chassis_nr=2",
                                   NULL), 0);
    assert_int_equal(vpci_mock_add(m, "edu,addr=05.0,chassis_nr=2", NULL),
                     -EINVAL);
}

static void test_multifunction_slots(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    /* multifunction=on sets header type bit 7 for the model */
    assert_int_equal(add_t("addr=04.0,multifunction=on"), 0);
    assert_int_equal(add_t("addr=04.1"), 0);
    assert_int_equal(add_t("addr=04.7,multifunction=off"), 0);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(4, 0), PCI_HEADER_TYPE,
                                        1), 0x80);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(4, 1), PCI_VENDOR_ID,
                                        2), TDEV_VENDOR);
    /* a single-function function 0 takes no siblings... */
    assert_int_equal(add_t("addr=05.0"), 0);
    assert_int_equal(add_t("addr=05.1"), -EINVAL);
    /* ...and may not join a slot that has them */
    assert_int_equal(add_t("addr=06.2"), 0);
    assert_int_equal(add_t("addr=06.0"), -EINVAL);
    assert_int_equal(add_t("addr=06.0,multifunction=on"), 0);
    /* a model whose identity says multifunction needs no host key */
    assert_int_equal(add_t("addr=07.0,mf=on"), 0);
    assert_int_equal(add_t("addr=07.3"), 0);
    /* without function 0 the others still answer config cycles
     * (enumeration just never looks for them) */
    assert_int_equal(add_t("addr=08.1"), 0);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(8, 1), PCI_VENDOR_ID,
                                        2), TDEV_VENDOR);
    assert_int_equal(vpci_mock_cfg_read(m, 0, MT_DEVFN(8, 0), PCI_VENDOR_ID,
                                        2), 0xffff);
    /* the host sets the bit again after a reset of the function */
    assert_non_null(mt_add(m, tbridge_model(), "addr=09.0,id=br"));
    assert_int_equal(add_t("bus=br,addr=00.0,multifunction=on"), 0);
    mt_bridge_buses(m, MT_DIRECT, 0, MT_DEVFN(9, 0), 0, 1, 1);
    mt_cfg_write(m, MT_DIRECT, 0, MT_DEVFN(9, 0), PCI_BRIDGE_CONTROL, 2,
                 PCI_BRIDGE_CTL_BUS_RESET);
    assert_int_equal(vpci_mock_cfg_read(m, 1, 0, PCI_HEADER_TYPE, 1), 0x80);
}

static void test_flr_keeps_multifunction_and_unmaps_bars(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *fn;
    assert_non_null(fn = mt_add(m, tdev_model(),
                                "addr=0a.0,express=on,multifunction=on"));
    uint8_t d = MT_DEVFN(0x0a, 0);
    mt_bar(m, MT_ECAM, 0, d, 0, 0xc0000000u, false);
    mt_command(m, MT_ECAM, 0, d, PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xc0000000u, 4, 0x1234);
    assert_int_equal(vpci_mock_read(m, 0xc0000000u, 4), 0x1234);
    /* Initiate FLR through ECAM: the function resets itself */
    unsigned exp = vpci_cap_find(vpci_mock_fn_dev(fn), PCI_CAP_ID_EXP);
    assert_int_not_equal(exp, 0);
    mt_cfg_write(m, MT_ECAM, 0, d, exp + PCI_EXP_DEVCTL, 2,
                 PCI_EXP_DEVCTL_BCR_FLR);
    assert_int_equal(vpci_mock_cfg_read(m, 0, d, PCI_COMMAND, 2), 0);
    assert_int_equal(vpci_mock_read(m, 0xc0000000u, 4), 0);
    /* the host-set multifunction bit came back after the reset */
    assert_int_equal(vpci_mock_cfg_read(m, 0, d, PCI_HEADER_TYPE, 1), 0x80);
}

static void test_bridges_and_depth_first_order(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_non_null(mt_add(m, tdev_model(), "addr=01.0,id=a"));
    assert_non_null(mt_add(m, tbridge_model(), "addr=02.0,id=br0"));
    assert_non_null(mt_add(m, tdev_model(), "addr=03.0,id=d"));
    assert_non_null(mt_add(m, tdev_model(), "bus=br0,addr=01.0,id=b1"));
    assert_non_null(mt_add(m, tbridge_model(), "bus=br0,addr=00.0,id=br1"));
    assert_non_null(mt_add(m, tdev_model(), "bus=br1,id=c"));
    static const char *const order[] = { "host", "a",  "br0", "br1",
                                         "c",    "b1", "d" };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        assert_string_equal(vpci_mock_fn_id(vpci_mock_fn_at(m, i)), order[i]);
    assert_null(vpci_mock_fn_at(m, 7));
    assert_null(vpci_mock_fn_at(NULL, 0));
    /* the first free slot behind a bridge is 0 */
    assert_int_equal(vpci_mock_fn_devfn(vpci_mock_find(m, "c")), 0);
}

static void test_labels_follow_bus_numbers(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    struct vpci_mock_fn *br, *c;
    assert_non_null(br = mt_add(m, tbridge_model(), "addr=1c.0,id=br"));
    assert_non_null(c = mt_add(m, tdev_model(), "bus=br,addr=03.2,id=c"));
    struct vpci_dev *dev = vpci_mock_fn_dev(c);
    assert_string_equal(vpci_dev_label(dev), "c@00:03.2");
    mt_bridge_buses(m, MT_ECAM, 0, MT_DEVFN(0x1c, 0), 0, 5, 5);
    assert_string_equal(vpci_dev_label(dev), "c@05:03.2");
    assert_int_equal(vpci_mock_fn_rid(c), 0x051a);
    assert_string_equal(vpci_dev_label(vpci_mock_fn_dev(br)), "br@00:1c.0");
}

static void test_bus_full(void **state)
{
    (void)state;
    for (unsigned i = 1; i < 32; i++)
        assert_int_equal(add_t(NULL), 0);
    assert_int_equal(add_t(NULL), -ENOSPC);
    /* functions of a taken slot are still free by address */
    assert_int_equal(add_t("addr=1f.1"), -EINVAL);  /* 1f.0 single-function */
}

static void test_accessors_accept_null(void **state)
{
    (void)state;
    assert_null(vpci_mock_fn_dev(NULL));
    assert_null(vpci_mock_fn_id(NULL));
    assert_int_equal(vpci_mock_fn_bus(NULL), 0);
    assert_int_equal(vpci_mock_fn_devfn(NULL), 0);
    assert_int_equal(vpci_mock_fn_rid(NULL), 0);
    assert_int_equal(vpci_mock_fn_gsi(NULL), -1);
    assert_null(vpci_mock_get_map(NULL));
    assert_int_equal(vpci_mock_errors(NULL), 0);
    assert_int_equal(vpci_mock_warnings(NULL), 0);
    vpci_mock_set_log_level(NULL, VPCI_LOG_TRACE);
    vpci_mock_free(NULL);
}

static void test_new_rejects_bad_config(void **state)
{
    (void)state;
    struct vpci_mock *m = (struct vpci_mock *)&m;
    FILE *log = fopen("/dev/null", "w");
    assert_non_null(log);
    struct vpci_mock_config cfg = { .machine = VPCI_MOCK_Q35, .log = log };
    assert_int_equal(vpci_mock_new(&cfg, NULL), -EINVAL);
    cfg.ram_size = (1u << 20) + 1;
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    assert_null(m);
    cfg.ram_size = 64u << 10;
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    cfg.ram_size = 4ull << 20;      /* too small for the IOMMU's tables */
    cfg.iommu = true;
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    cfg.iommu = false;
    cfg.ram_size = 1ull << 40;      /* more than a q35 takes */
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    cfg.ram_size = 0;
    cfg.machine = (enum vpci_mock_machine)7;
    assert_int_equal(vpci_mock_new(&cfg, &m), -EINVAL);
    fclose(log);
}

static void test_new_with_defaults(void **state)
{
    (void)state;
    struct vpci_mock *m;
    assert_int_equal(vpci_mock_new(NULL, &m), 0);
    const struct vpci_mock_map *map = vpci_mock_get_map(m);
    assert_int_equal(map->ram_lo_size, 128u << 20);
    assert_true(map->has_cf8);
    assert_int_equal(vpci_mock_errors(m), 0);
    vpci_mock_free(m);
}

static void test_log_sink_labels_levels_and_counts(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *log = open_memstream(&text, &size);
    assert_non_null(log);
    struct vpci_mock_config cfg = { .machine = VPCI_MOCK_Q35, .log = log };
    struct vpci_mock *m;
    assert_int_equal(vpci_mock_new(&cfg, &m), 0);
    assert_non_null(mt_add(m, tdev_model(), "addr=02.0,id=dev"));
    /* a device warning carries its label and is counted */
    unsigned warns = vpci_mock_warnings(m);
    vpci_log(vpci_mock_fn_dev(vpci_mock_find(m, "dev")), VPCI_LOG_WARN,
             "hello %d", 42);
    assert_int_equal(vpci_mock_warnings(m), warns + 1);
    /* info is below the default level: counted nowhere, not printed */
    vpci_log(vpci_mock_fn_dev(vpci_mock_find(m, "dev")), VPCI_LOG_INFO,
             "quiet");
    /* an error of the host itself */
    unsigned errors = vpci_mock_errors(m);
    assert_int_equal(vpci_mock_add(m, "nope", NULL), -EINVAL);
    assert_int_equal(vpci_mock_errors(m), errors + 1);
    /* trace: config writes and their effects are shown */
    vpci_mock_set_log_level(m, VPCI_LOG_TRACE);
    mt_bar(m, MT_DIRECT, 0, MT_DEVFN(2, 0), 0, 0xc0000000u, false);
    mt_command(m, MT_DIRECT, 0, MT_DEVFN(2, 0), PCI_COMMAND_MEMORY);
    vpci_mock_write(m, 0xfee00000u, 4, 0);
    vpci_mock_out(m, 0xcf9, 1, 0);
    fflush(log);
    assert_non_null(strstr(text, "warning: dev@00:02.0: hello 42"));
    assert_null(strstr(text, "quiet"));
    assert_non_null(strstr(text, "error: host: "));
    assert_non_null(strstr(text, "bar-map bar0"));
    assert_non_null(strstr(text, "trace: dev@00:02.0: cfg write"));
    assert_non_null(strstr(text, "MSI doorbell"));
    vpci_mock_free(m);
    fclose(log);
    free(text);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_spec_addr_forms),
        T(test_spec_default_addr_and_id),
        T(test_spec_errors),
        T(test_spec_properties_go_to_the_model),
        T(test_spec_registered_models),
        T(test_multifunction_slots),
        T(test_flr_keeps_multifunction_and_unmaps_bars),
        T(test_bridges_and_depth_first_order),
        T(test_labels_follow_bus_numbers),
        T(test_bus_full),
        T(test_accessors_accept_null),
        T(test_new_rejects_bad_config),
        T(test_new_with_defaults),
        T(test_log_sink_labels_levels_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
