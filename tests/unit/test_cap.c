/* SPDX-License-Identifier: MIT */
/*
 * The capability builder (libvpci/cap.c): placement of standard and
 * extended capabilities, alignment / overlap / room checks, list linking,
 * read-only headers, and the vendor-specific capability.
 *
 * Each test builds a function through testhost_create() with a builder
 * that records what the calls under test returned in `B`, so a rejected
 * call does not fail the function's creation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vpci/vpci.h>

#include "internal.h"
#include "testhost.h"

#define TEST_VENDOR 0x1b36
#define TEST_DEVICE 0x0042

/* What the builders returned. */
static struct {
    int rc[8];
    unsigned off[8];
} B;

static struct {
    struct testhost *h;
    struct vpci_dev *dev;
} T;

static int setup(void **state)
{
    (void)state;
    memset(&B, 0, sizeof(B));
    T.h = testhost_new(0);
    T.dev = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(T.dev);
    testhost_free(T.h);
    T.dev = NULL;
    T.h = NULL;
    return 0;
}

static int identity(struct vpci_dev *dev, bool express)
{
    const struct vpci_identity id = {
        .vendor_id = TEST_VENDOR,
        .device_id = TEST_DEVICE,
        .class_code = 0xff0000,
        .express = express,
    };
    return vpci_dev_set_identity(dev, &id);
}

static void create(testhost_build_fn build)
{
    assert_int_equal(testhost_create(T.h, build, &T.dev), 0);
    assert_non_null(T.dev);
}

static uint8_t cfg8(unsigned off)
{
    return (uint8_t)vpci_cfg_read(T.dev, off, 1);
}

static uint16_t cfg16(unsigned off)
{
    return (uint16_t)vpci_cfg_read(T.dev, off, 2);
}

static uint32_t cfg32(unsigned off)
{
    return vpci_cfg_read(T.dev, off, 4);
}

/* ---- standard list ---- */

static int build_three_in_odd_order(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    static const uint8_t payload[] = { 0xde, 0xad };
    B.rc[0] = vpci_cap_add_vendor(dev, 0x80, payload, sizeof(payload),
                                  &B.off[0]);
    B.rc[1] = vpci_cap_add_pm(dev, 0x40, NULL, &B.off[1]);
    B.rc[2] = vpci_cap_add(dev, PCI_CAP_ID_SSVID, 0, 8, &B.off[2]);
    return 0;
}

static void caps_link_in_order_of_addition_from_capability_list(void **state)
{
    (void)state;
    create(build_three_in_odd_order);
    for (int i = 0; i < 3; i++)
        assert_int_equal(B.rc[i], 0);
    assert_int_equal(B.off[0], 0x80);
    assert_int_equal(B.off[1], 0x40);
    assert_int_equal(B.off[2], 0x48);

    assert_true(cfg16(PCI_STATUS) & PCI_STATUS_CAP_LIST);
    assert_int_equal(cfg8(PCI_CAPABILITY_LIST), 0x80);
    assert_int_equal(cfg8(0x80 + PCI_CAP_LIST_ID), PCI_CAP_ID_VNDR);
    assert_int_equal(cfg8(0x80 + PCI_CAP_LIST_NEXT), 0x40);
    assert_int_equal(cfg8(0x40 + PCI_CAP_LIST_ID), PCI_CAP_ID_PM);
    assert_int_equal(cfg8(0x40 + PCI_CAP_LIST_NEXT), 0x48);
    assert_int_equal(cfg8(0x48 + PCI_CAP_LIST_ID), PCI_CAP_ID_SSVID);
    assert_int_equal(cfg8(0x48 + PCI_CAP_LIST_NEXT), 0);

    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_VNDR), 0x80);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_PM), 0x40);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_SSVID), 0x48);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_MSI), 0);
}

static void list_survives_reset_because_it_is_in_the_reset_image(void **state)
{
    (void)state;
    create(build_three_in_odd_order);
    assert_int_equal(vpci_dev_reset(T.dev, VPCI_RESET_CONVENTIONAL, NULL), 0);
    assert_true(cfg16(PCI_STATUS) & PCI_STATUS_CAP_LIST);
    assert_int_equal(cfg8(PCI_CAPABILITY_LIST), 0x80);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_SSVID), 0x48);
}

static int build_nothing(struct vpci_dev *dev)
{
    return identity(dev, true);
}

static void function_without_caps_has_empty_lists(void **state)
{
    (void)state;
    create(build_nothing);
    assert_false(cfg16(PCI_STATUS) & PCI_STATUS_CAP_LIST);
    assert_int_equal(cfg8(PCI_CAPABILITY_LIST), 0);
    assert_int_equal(cfg32(PCI_CFG_SPACE_SIZE), 0);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_PM), 0);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_ERR), 0);
    assert_int_equal(vpci_cap_find(NULL, PCI_CAP_ID_PM), 0);
    assert_int_equal(vpci_ecap_find(NULL, PCI_EXT_CAP_ID_ERR), 0);
}

/* ---- placement ---- */

static int build_auto_and_explicit(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    B.rc[0] = vpci_cap_add(dev, 0x0a, 0, 6, &B.off[0]);     /* 0x40..0x45 */
    B.rc[1] = vpci_cap_add(dev, 0x0b, 0, 8, &B.off[1]);     /* dword after */
    B.rc[2] = vpci_cap_add(dev, 0x0c, 0x60, 4, &B.off[2]);  /* explicit */
    B.rc[3] = vpci_cap_add(dev, 0x0d, 0, 0x20, &B.off[3]);  /* 0x50 too small */
    B.rc[4] = vpci_cap_add(dev, 0x0e, 0, 4, &B.off[4]);     /* fills the gap */
    B.rc[5] = vpci_cap_add(dev, 0x0f, 0xfc, 4, NULL);       /* last dword */
    return 0;
}

static void auto_placement_takes_lowest_free_dword_that_fits(void **state)
{
    (void)state;
    create(build_auto_and_explicit);
    for (int i = 0; i < 6; i++)
        assert_int_equal(B.rc[i], 0);
    assert_int_equal(B.off[0], 0x40);
    assert_int_equal(B.off[1], 0x48);
    assert_int_equal(B.off[3], 0x64);
    assert_int_equal(B.off[4], 0x50);
    assert_int_equal(vpci_cap_find(T.dev, 0x0f), 0xfc);
}

static void explicit_placement_uses_the_given_offset(void **state)
{
    (void)state;
    create(build_auto_and_explicit);
    assert_int_equal(B.off[2], 0x60);
    assert_int_equal(cfg8(0x60 + PCI_CAP_LIST_ID), 0x0c);
    /* linked after the 8-byte capability at 0x48 */
    assert_int_equal(cfg8(0x48 + PCI_CAP_LIST_NEXT), 0x60);
    assert_int_equal(cfg8(0x60 + PCI_CAP_LIST_NEXT), 0x64);
}

static int build_bad_offsets(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    B.rc[0] = vpci_cap_add(dev, 0x0a, 0x42, 4, NULL);   /* misaligned */
    B.rc[1] = vpci_cap_add(dev, 0x0a, 0x3c, 4, NULL);   /* in the header */
    B.rc[2] = vpci_cap_add(dev, 0x0a, 0xfc, 8, NULL);   /* past 0xFF */
    B.rc[3] = vpci_cap_add(dev, 0x0a, 0, 1, NULL);      /* no room for next */
    B.rc[4] = vpci_cap_add(dev, 0x0a, 0, 0xc4, NULL);   /* larger than area */
    B.rc[5] = vpci_cap_add(dev, 0, 0, 4, NULL);         /* null capability */
    B.rc[6] = vpci_cap_add(dev, 0x0a, 0x100, 4, NULL);  /* extended space */
    return 0;
}

static void misaligned_or_out_of_area_offset_is_einval(void **state)
{
    (void)state;
    create(build_bad_offsets);
    for (int i = 0; i < 7; i++)
        assert_int_equal(B.rc[i], -EINVAL);
    assert_int_equal(T.h->errors, 7);
    assert_true(testhost_logged(T.h, "dword aligned"));
    /* nothing was linked */
    assert_false(cfg16(PCI_STATUS) & PCI_STATUS_CAP_LIST);
}

static int build_overlap(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    B.rc[0] = vpci_cap_add(dev, 0x0a, 0x40, 8, NULL);
    B.rc[1] = vpci_cap_add(dev, 0x0b, 0x44, 4, NULL);   /* inside it */
    B.rc[2] = vpci_cap_add(dev, 0x0b, 0x40, 4, NULL);   /* same place */
    /* bytes a model set with vpci_cfg_set are occupied too */
    vpci_cfg_set(dev, 0x80, 4, 0x12345678);
    B.rc[3] = vpci_cap_add(dev, 0x0c, 0x7c, 8, NULL);
    B.rc[4] = vpci_cap_add(dev, 0x0d, 0x48, 4, &B.off[4]);
    return 0;
}

static void overlapping_placement_is_eexist_and_leaves_list_intact(void **state)
{
    (void)state;
    create(build_overlap);
    assert_int_equal(B.rc[0], 0);
    assert_int_equal(B.rc[1], -EEXIST);
    assert_int_equal(B.rc[2], -EEXIST);
    assert_int_equal(B.rc[3], -EEXIST);
    assert_int_equal(B.rc[4], 0);
    assert_true(testhost_logged(T.h, "overlaps"));
    assert_int_equal(cfg8(0x40 + PCI_CAP_LIST_NEXT), 0x48);
    assert_int_equal(cfg8(0x48 + PCI_CAP_LIST_NEXT), 0);
    assert_int_equal(cfg32(0x80), 0x12345678);
}

static int build_full(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    B.rc[0] = vpci_cap_add(dev, 0x0a, 0, 0xbc, &B.off[0]); /* 0x40..0xFB */
    B.rc[1] = vpci_cap_add(dev, 0x0b, 0, 8, NULL);         /* 4 bytes left */
    B.rc[2] = vpci_cap_add(dev, 0x0c, 0, 4, &B.off[2]);    /* fits */
    B.rc[3] = vpci_cap_add(dev, 0x0d, 0, 2, NULL);         /* full */
    return 0;
}

static void no_room_left_is_enospc(void **state)
{
    (void)state;
    create(build_full);
    assert_int_equal(B.rc[0], 0);
    assert_int_equal(B.off[0], 0x40);
    assert_int_equal(B.rc[1], -ENOSPC);
    assert_int_equal(B.rc[2], 0);
    assert_int_equal(B.off[2], 0xfc);
    assert_int_equal(B.rc[3], -ENOSPC);
    assert_true(testhost_logged(T.h, "no free"));
}

static void builder_after_init_is_eperm(void **state)
{
    (void)state;
    create(build_nothing);
    assert_int_equal(vpci_cap_add(T.dev, 0x0a, 0, 4, NULL), -EPERM);
    assert_int_equal(vpci_ecap_add(T.dev, 0x0b, 1, 0, 8, NULL), -EPERM);
    assert_int_equal(vpci_cap_add_vendor(T.dev, 0, "x", 1, NULL), -EPERM);
    assert_int_equal(vpci_cap_add_pm(T.dev, 0, NULL, NULL), -EPERM);
    assert_int_equal(vpci_cap_add(NULL, 0x0a, 0, 4, NULL), -EPERM);
}

/* ---- extended list ---- */

static int build_ecap_on_conventional(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    B.rc[0] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0,
                            PCI_EXT_CAP_DSN_SIZEOF, NULL);
    B.rc[1] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0x100,
                            PCI_EXT_CAP_DSN_SIZEOF, NULL);
    return 0;
}

static void extended_cap_on_256_byte_function_is_einval(void **state)
{
    (void)state;
    create(build_ecap_on_conventional);
    assert_int_equal(B.rc[0], -EINVAL);
    assert_int_equal(B.rc[1], -EINVAL);
    assert_true(testhost_logged(T.h, "PCI Express"));
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_DSN), 0);
}

static int build_ecaps_from_0x100(struct vpci_dev *dev)
{
    int rc = identity(dev, true);
    if (rc)
        return rc;
    B.rc[0] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_VNDR, 1, 0, 8, &B.off[0]);
    B.rc[1] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0,
                            PCI_EXT_CAP_DSN_SIZEOF, &B.off[1]);
    B.rc[2] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_LTR, 1, 0x400,
                            PCI_EXT_CAP_LTR_SIZEOF, &B.off[2]);
    return 0;
}

static void extended_list_starts_at_0x100_and_links_in_order(void **state)
{
    (void)state;
    create(build_ecaps_from_0x100);
    for (int i = 0; i < 3; i++)
        assert_int_equal(B.rc[i], 0);
    assert_int_equal(B.off[0], 0x100);
    assert_int_equal(B.off[1], 0x108);
    assert_int_equal(B.off[2], 0x400);

    uint32_t h = cfg32(0x100);
    assert_int_equal(PCI_EXT_CAP_ID(h), PCI_EXT_CAP_ID_VNDR);
    assert_int_equal(PCI_EXT_CAP_VER(h), 1);
    assert_int_equal(PCI_EXT_CAP_NEXT(h), 0x108);
    h = cfg32(0x108);
    assert_int_equal(PCI_EXT_CAP_ID(h), PCI_EXT_CAP_ID_DSN);
    assert_int_equal(PCI_EXT_CAP_NEXT(h), 0x400);
    h = cfg32(0x400);
    assert_int_equal(PCI_EXT_CAP_ID(h), PCI_EXT_CAP_ID_LTR);
    assert_int_equal(PCI_EXT_CAP_NEXT(h), 0);

    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_VNDR), 0x100);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_DSN), 0x108);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_LTR), 0x400);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_ERR), 0);
    /* the standard list is untouched */
    assert_false(cfg16(PCI_STATUS) & PCI_STATUS_CAP_LIST);
}

static int build_first_ecap_elsewhere(struct vpci_dev *dev)
{
    int rc = identity(dev, true);
    if (rc)
        return rc;
    B.rc[0] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0x200,
                            PCI_EXT_CAP_DSN_SIZEOF, &B.off[0]);
    B.rc[1] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_VNDR, 1, 0, 8, &B.off[1]);
    B.rc[2] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_LTR, 1, 0x100, 8, NULL);
    return 0;
}

static void first_extended_cap_elsewhere_gets_null_header_at_0x100(void **state)
{
    (void)state;
    create(build_first_ecap_elsewhere);
    assert_int_equal(B.rc[0], 0);
    assert_int_equal(B.off[0], 0x200);
    uint32_t h = cfg32(0x100);
    assert_int_equal(PCI_EXT_CAP_ID(h), 0);
    assert_int_equal(PCI_EXT_CAP_VER(h), 0);
    assert_int_equal(PCI_EXT_CAP_NEXT(h), 0x200);
    /* the null header occupies 0x100..0x103: the next goes after it */
    assert_int_equal(B.rc[1], 0);
    assert_int_equal(B.off[1], 0x104);
    assert_int_equal(PCI_EXT_CAP_NEXT(cfg32(0x200)), 0x104);
    assert_int_equal(B.rc[2], -EEXIST);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_DSN), 0x200);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_VNDR), 0x104);
}

static int build_bad_ecaps(struct vpci_dev *dev)
{
    int rc = identity(dev, true);
    if (rc)
        return rc;
    B.rc[0] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0x102, 12, NULL);
    B.rc[1] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0xfc, 12, NULL);
    B.rc[2] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0xffc, 12, NULL);
    B.rc[3] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0, 3, NULL);
    B.rc[4] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 16, 0, 12, NULL);
    B.rc[5] = vpci_ecap_add(dev, 0, 1, 0, 12, NULL);
    B.rc[6] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0, 0xf04, NULL);
    return 0;
}

static void extended_cap_bad_offset_size_or_version_is_einval(void **state)
{
    (void)state;
    create(build_bad_ecaps);
    for (int i = 0; i < 7; i++)
        assert_int_equal(B.rc[i], -EINVAL);
    assert_int_equal(cfg32(0x100), 0);
}

static int build_ecaps_fill(struct vpci_dev *dev)
{
    int rc = identity(dev, true);
    if (rc)
        return rc;
    B.rc[0] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_VNDR, 1, 0, 0xf00, &B.off[0]);
    B.rc[1] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0, 4, NULL);
    return 0;
}

static void extended_space_full_is_enospc(void **state)
{
    (void)state;
    create(build_ecaps_fill);
    assert_int_equal(B.rc[0], 0);
    assert_int_equal(B.off[0], 0x100);
    assert_int_equal(B.rc[1], -ENOSPC);
}

/* ---- guest view ---- */

static int build_for_guest(struct vpci_dev *dev)
{
    int rc = identity(dev, true);
    if (rc)
        return rc;
    B.rc[0] = vpci_cap_add(dev, PCI_CAP_ID_SSVID, 0, 8, &B.off[0]);
    B.rc[1] = vpci_cap_add(dev, PCI_CAP_ID_AF, 0, 8, &B.off[1]);
    B.rc[2] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_DSN, 1, 0,
                            PCI_EXT_CAP_DSN_SIZEOF, &B.off[2]);
    B.rc[3] = vpci_ecap_add(dev, PCI_EXT_CAP_ID_LTR, 1, 0x180, 8, &B.off[3]);
    return 0;
}

static void guest_cannot_write_capability_headers_or_list_pointer(void **state)
{
    (void)state;
    create(build_for_guest);
    unsigned a = B.off[0], b = B.off[1];
    assert_int_equal(vpci_cfg_write(T.dev, a, 2, 0x0000, NULL), 0);
    assert_int_equal(vpci_cfg_write(T.dev, b, 4, 0xffffffff, NULL), 0);
    assert_int_equal(
        vpci_cfg_write(T.dev, PCI_CAPABILITY_LIST, 1, 0x80, NULL), 0);
    /* STATUS.CAP_LIST is read-only (and not write-1-to-clear) */
    assert_int_equal(vpci_cfg_write(T.dev, PCI_STATUS, 2, 0xffff, NULL), 0);
    assert_int_equal(vpci_cfg_write(T.dev, 0x100, 4, 0, NULL), 0);
    assert_int_equal(vpci_cfg_write(T.dev, 0x180, 4, 0xffffffff, NULL), 0);

    assert_int_equal(cfg8(PCI_CAPABILITY_LIST), a);
    assert_true(cfg16(PCI_STATUS) & PCI_STATUS_CAP_LIST);
    assert_int_equal(cfg8(a + PCI_CAP_LIST_ID), PCI_CAP_ID_SSVID);
    assert_int_equal(cfg8(a + PCI_CAP_LIST_NEXT), b);
    assert_int_equal(cfg32(b), PCI_CAP_ID_AF);
    assert_int_equal(cfg32(0x100),
                     PCI_EXT_CAP_ID_DSN | 1u << 16 | 0x180u << 20);
    assert_int_equal(cfg32(0x180), PCI_EXT_CAP_ID_LTR | 1u << 16);
}

/* ---- vendor-specific ---- */

static const uint8_t vndr_payload[] = { 0x01, 0x02, 0x03, 0x04, 0xa5 };

static int build_vendor(struct vpci_dev *dev)
{
    int rc = identity(dev, false);
    if (rc)
        return rc;
    B.rc[0] = vpci_cap_add_vendor(dev, 0, vndr_payload, sizeof(vndr_payload),
                                  &B.off[0]);
    B.rc[1] = vpci_cap_add_vendor(dev, 0, NULL, 0, &B.off[1]);
    B.rc[2] = vpci_cap_add_vendor(dev, 0, NULL, 4, NULL);
    B.rc[3] = vpci_cap_add_vendor(dev, 0, vndr_payload, 0xbe, NULL);
    return 0;
}

static void vendor_cap_reads_back_length_and_payload(void **state)
{
    (void)state;
    create(build_vendor);
    assert_int_equal(B.rc[0], 0);
    unsigned v = B.off[0];
    assert_int_equal(v, 0x40);
    assert_int_equal(cfg8(v + PCI_CAP_LIST_ID), PCI_CAP_ID_VNDR);
    assert_int_equal(cfg8(v + PCI_CAP_FLAGS), 3 + sizeof(vndr_payload));
    for (unsigned i = 0; i < sizeof(vndr_payload); i++)
        assert_int_equal(cfg8(v + 3 + i), vndr_payload[i]);
    /* an empty one is just the 3-byte header, on the next dword */
    assert_int_equal(B.rc[1], 0);
    assert_int_equal(B.off[1], 0x48);
    assert_int_equal(cfg8(B.off[1] + PCI_CAP_FLAGS), 3);
    assert_int_equal(cfg8(v + PCI_CAP_LIST_NEXT), 0x48);
}

static void vendor_cap_is_read_only_to_the_guest(void **state)
{
    (void)state;
    create(build_vendor);
    unsigned v = B.off[0];
    uint32_t d0 = cfg32(v), d1 = cfg32(v + 4);
    vpci_cfg_write(T.dev, v, 4, 0xffffffff, NULL);
    vpci_cfg_write(T.dev, v + 4, 4, 0, NULL);
    vpci_cfg_write(T.dev, v + 3, 1, 0x77, NULL);
    assert_int_equal(cfg32(v), d0);
    assert_int_equal(cfg32(v + 4), d1);
}

static void vendor_cap_without_payload_or_too_long_is_einval(void **state)
{
    (void)state;
    create(build_vendor);
    assert_int_equal(B.rc[2], -EINVAL);
    assert_int_equal(B.rc[3], -EINVAL);
    assert_true(testhost_logged(T.h, "vendor-specific"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(caps_link_in_order_of_addition_from_capability_list),
        T_(list_survives_reset_because_it_is_in_the_reset_image),
        T_(function_without_caps_has_empty_lists),
        T_(auto_placement_takes_lowest_free_dword_that_fits),
        T_(explicit_placement_uses_the_given_offset),
        T_(misaligned_or_out_of_area_offset_is_einval),
        T_(overlapping_placement_is_eexist_and_leaves_list_intact),
        T_(no_room_left_is_enospc),
        T_(builder_after_init_is_eperm),
        T_(extended_cap_on_256_byte_function_is_einval),
        T_(extended_list_starts_at_0x100_and_links_in_order),
        T_(first_extended_cap_elsewhere_gets_null_header_at_0x100),
        T_(extended_cap_bad_offset_size_or_version_is_einval),
        T_(extended_space_full_is_enospc),
        T_(guest_cannot_write_capability_headers_or_list_pointer),
        T_(vendor_cap_reads_back_length_and_payload),
        T_(vendor_cap_is_read_only_to_the_guest),
        T_(vendor_cap_without_payload_or_too_long_is_einval),
#undef T_
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
