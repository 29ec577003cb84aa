/* SPDX-License-Identifier: MIT */
/* Device lifecycle, identity, properties and the model registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "testhost.h"

/* ---- a model with one property of each type ---- */
struct props_seen {
    bool msi, flag_given, msi_given;
    uint32_t size;
    uint64_t addr;
    char name[32];
    unsigned inits, finis;
};
static struct props_seen seen;

static const struct vpci_prop_desc demo_props[] = {
    { "msi", VPCI_PROP_BOOL, "off", "enable MSI" },
    { "size", VPCI_PROP_U32, "4K", "buffer size" },
    { "addr", VPCI_PROP_U64, "0", "an address" },
    { "name", VPCI_PROP_STRING, "dflt", "a name" },
    { NULL, 0, NULL, NULL },
};

struct demo_priv {
    uint32_t counter;
    uint8_t pad[60];
};

static int demo_init(struct vpci_dev *dev, const struct vpci_props *p)
{
    seen.inits++;
    seen.msi = vpci_prop_bool(p, "msi");
    seen.msi_given = vpci_prop_given(p, "msi");
    seen.size = vpci_prop_u32(p, "size");
    seen.addr = vpci_prop_u64(p, "addr");
    strncpy(seen.name, vpci_prop_str(p, "name"), sizeof(seen.name) - 1);
    struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 0xbeef };
    return vpci_dev_set_identity(dev, &id);
}

static void demo_fini(struct vpci_dev *dev)
{
    (void)dev;
    seen.finis++;
}

static const struct vpci_model demo_model = {
    .name = "demo",
    .desc = "test model",
    .priv_size = sizeof(struct demo_priv),
    .props = demo_props,
    .init = demo_init,
    .fini = demo_fini,
};

static void defaults_apply_when_no_properties_are_given(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(vpci_dev_create(&demo_model, NULL, NULL, NULL, &dev), 0);
    assert_false(seen.msi);
    assert_false(seen.msi_given);
    assert_int_equal(seen.size, 4096);
    assert_true(seen.addr == 0);
    assert_string_equal(seen.name, "dflt");
    vpci_dev_destroy(dev);
    assert_int_equal(seen.finis, 1);
}

static void properties_parse_every_type_and_suffix(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(vpci_dev_create(&demo_model,
                                     "msi=on,size=64K,addr=0x100000000,"
                                     "name=hello",
                                     NULL, NULL, &dev),
                     0);
    assert_true(seen.msi);
    assert_true(seen.msi_given);
    assert_int_equal(seen.size, 65536);
    assert_true(seen.addr == 0x100000000ull);
    assert_string_equal(seen.name, "hello");
    vpci_dev_destroy(dev);
    /* A bare boolean key means on; M and G suffixes scale. */
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(vpci_dev_create(&demo_model, "msi,size=1M,addr=2G", NULL,
                                     NULL, &dev),
                     0);
    assert_true(seen.msi);
    assert_int_equal(seen.size, 1 << 20);
    assert_true(seen.addr == 2ull << 30);
    vpci_dev_destroy(dev);
}

static void bad_properties_are_rejected_with_a_message(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "nosuch=1", "msi=maybe", "size=abc", "size=5G", "size=-1",
        "size=", "msi=on,msi=off", "size", "size=12Q", "addr=99999999999G",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct testhost *h = testhost_new(0);
        struct vpci_dev *dev = (struct vpci_dev *)1;
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(
            vpci_dev_create(&demo_model, bad[i], &testhost_ops, h, &dev),
            -EINVAL);
        assert_null(dev);
        assert_int_equal(seen.inits, 0); /* rejected before init() */
        assert_true(h->errors >= 1);
        testhost_free(h);
    }
    struct testhost *h = testhost_new(0);
    struct vpci_dev *dev;
    vpci_dev_create(&demo_model, "colour=red", &testhost_ops, h, &dev);
    assert_true(testhost_logged(
        h, "no property 'colour' (known: msi, size, addr, name)"));
    testhost_free(h);
}

static void priv_is_zeroed_and_accessors_work(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    int host_token;
    assert_int_equal(vpci_dev_create(&demo_model, NULL, NULL, NULL, &dev), 0);
    struct demo_priv *p = vpci_dev_priv(dev);
    assert_non_null(p);
    assert_int_equal(p->counter, 0);
    assert_ptr_equal(vpci_dev_model(dev), &demo_model);
    assert_string_equal(vpci_dev_label(dev), "demo");
    assert_int_equal(vpci_dev_set_label(dev, "demo@01.0"), 0);
    assert_string_equal(vpci_dev_label(dev), "demo@01.0");
    assert_int_equal(vpci_dev_set_label(dev, NULL), -EINVAL);
    vpci_dev_set_host_data(dev, &host_token);
    assert_ptr_equal(vpci_dev_host_data(dev), &host_token);
    assert_false(vpci_dev_is_express(dev));
    assert_false(vpci_dev_is_bridge(dev));
    vpci_dev_destroy(dev);
    vpci_dev_destroy(NULL);
    assert_null(vpci_dev_priv(NULL));
    assert_null(vpci_dev_model(NULL));
    assert_string_equal(vpci_dev_label(NULL), "-");
}

/* ---- init failures ---- */
static int fail_mode;

static int failing_init(struct vpci_dev *dev, const struct vpci_props *p)
{
    (void)p;
    struct vpci_identity id = { .vendor_id = 0x1234 };
    switch (fail_mode) {
    case 0: return -ENOSPC;          /* model's own error */
    case 1: return 0;                /* forgot the identity */
    case 2: return 5;                /* positive: treated as -EINVAL */
    case 3:
        id.vendor_id = 0xffff;
        return vpci_dev_set_identity(dev, &id);
    case 4:
        id.interrupt_pin = 5;
        return vpci_dev_set_identity(dev, &id);
    case 5:
        vpci_dev_set_identity(dev, &id);
        vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
        vpci_bar_set_ram(dev, 0); /* allocated, must be freed on failure */
        return vpci_dev_set_identity(dev, &id);
    }
    return -EINVAL;
}

static unsigned fini_calls;
static void failing_fini(struct vpci_dev *dev)
{
    (void)dev;
    fini_calls++;
}

static const struct vpci_model failing_model = {
    .name = "failing", .init = failing_init, .fini = failing_fini,
};

static void failed_init_frees_everything_and_returns_the_error(void **state)
{
    (void)state;
    static const int expect[] = { -ENOSPC, -EINVAL, -EINVAL, -EINVAL,
                                  -EINVAL, -EBUSY };
    for (fail_mode = 0; fail_mode < 6; fail_mode++) {
        struct testhost *h = testhost_new(0);
        struct vpci_dev *dev = (struct vpci_dev *)1;
        fini_calls = 0;
        assert_int_equal(
            vpci_dev_create(&failing_model, NULL, &testhost_ops, h, &dev),
            expect[fail_mode]);
        assert_null(dev);
        assert_int_equal(fini_calls, 1);
        assert_true(testhost_logged(h, "init failed"));
        testhost_free(h);
    }
}

static void create_rejects_missing_model_parts(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    struct vpci_model no_init = { .name = "x" };
    assert_int_equal(vpci_dev_create(NULL, NULL, NULL, NULL, &dev), -EINVAL);
    assert_int_equal(vpci_dev_create(&no_init, NULL, NULL, NULL, &dev),
                     -EINVAL);
    assert_int_equal(vpci_dev_create(&demo_model, NULL, NULL, NULL, NULL),
                     -EINVAL);
}

static void identity_cannot_change_after_init(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    struct vpci_identity id = { .vendor_id = 0x8086 };
    assert_int_equal(vpci_dev_create(&demo_model, NULL, NULL, NULL, &dev), 0);
    assert_int_equal(vpci_dev_set_identity(dev, &id), -EPERM);
    assert_int_equal(vpci_cfg_read(dev, PCI_VENDOR_ID, 2), 0x1234);
    vpci_dev_destroy(dev);
}

static void host_set_multifunction_bit_survives_reset(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    assert_int_equal(vpci_dev_create(&demo_model, NULL, NULL, NULL, &dev), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0x00);
    assert_int_equal(vpci_dev_set_multifunction(dev, true), 0);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0x80);
    /* Guests cannot change it; resets keep it. */
    vpci_cfg_write(dev, PCI_HEADER_TYPE, 1, 0, NULL);
    vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0x80);
    vpci_dev_reset(dev, VPCI_RESET_FLR, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0x80);
    assert_int_equal(vpci_dev_set_multifunction(dev, false), 0);
    vpci_dev_reset(dev, VPCI_RESET_CONVENTIONAL, NULL);
    assert_int_equal(vpci_cfg_read(dev, PCI_HEADER_TYPE, 1), 0x00);
    assert_int_equal(vpci_dev_set_multifunction(NULL, true), -EINVAL);
    vpci_dev_destroy(dev);
}

static void registry_finds_registered_models_and_refuses_duplicates(
    void **state)
{
    (void)state;
    assert_null(vpci_model_find("demo"));
    assert_int_equal(vpci_model_register(&demo_model), 0);
    assert_ptr_equal(vpci_model_find("demo"), &demo_model);
    assert_int_equal(vpci_model_register(&demo_model), -EEXIST);
    assert_int_equal(vpci_model_register(NULL), -EINVAL);
    bool listed = false;
    const struct vpci_model *m;
    for (size_t i = 0; (m = vpci_model_at(i)); i++)
        listed |= m == &demo_model;
    assert_true(listed);
    assert_null(vpci_model_find(NULL));
    assert_null(vpci_model_find("no-such-model"));
}

static void reading_an_undeclared_property_logs_and_returns_zero(void **state)
{
    (void)state;
    assert_false(vpci_prop_bool(NULL, "x"));
    assert_int_equal(vpci_prop_u32(NULL, "x"), 0);
    assert_true(vpci_prop_u64(NULL, "x") == 0);
    assert_string_equal(vpci_prop_str(NULL, "x"), "");
    assert_false(vpci_prop_given(NULL, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_apply_when_no_properties_are_given),
        cmocka_unit_test(properties_parse_every_type_and_suffix),
        cmocka_unit_test(bad_properties_are_rejected_with_a_message),
        cmocka_unit_test(priv_is_zeroed_and_accessors_work),
        cmocka_unit_test(failed_init_frees_everything_and_returns_the_error),
        cmocka_unit_test(create_rejects_missing_model_parts),
        cmocka_unit_test(identity_cannot_change_after_init),
        cmocka_unit_test(host_set_multifunction_bit_survives_reset),
        cmocka_unit_test(
            registry_finds_registered_models_and_refuses_duplicates),
        cmocka_unit_test(reading_an_undeclared_property_logs_and_returns_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
