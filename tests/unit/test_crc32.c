/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 (libvpci/crc32.c): Linux crc32_le() semantics (the caller seeds
 * and inverts), checked against published check values and a bit-by-bit
 * reference of the same polynomial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vpci/util.h>

/* The definition, one bit at a time: reflected, polynomial 0xEDB88320. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return crc;
}

static void empty_input_returns_the_seed(void **state)
{
    (void)state;
    assert_int_equal(vpci_crc32_le(~0u, "", 0), ~0u);
    assert_int_equal(vpci_crc32_le(0, "", 0), 0);
    assert_int_equal(vpci_crc32_le(0x12345678u, NULL, 0), 0x12345678u);
}

static void check_value_of_123456789_matches_the_standard(void **state)
{
    (void)state;
    /* The CRC-32/ISO-HDLC check value is 0xCBF43926 (zlib's crc32()). */
    assert_int_equal(vpci_crc32_le(~0u, "123456789", 9), 0x340BC6D9u);
    assert_int_equal(~vpci_crc32_le(~0u, "123456789", 9), 0xCBF43926u);
    /* Without the pre-inversion: CRC-32/JAMCRC's relative, by definition. */
    assert_int_equal(vpci_crc32_le(0, "123456789", 9),
                     crc32_bitwise(0, (const uint8_t *)"123456789", 9));
}

static void known_strings_match_zlib(void **state)
{
    (void)state;
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    assert_int_equal(~vpci_crc32_le(~0u, "a", 1), 0xE8B7BE43u);
    assert_int_equal(~vpci_crc32_le(~0u, fox, strlen(fox)), 0x414FA339u);
}

static void every_single_byte_matches_the_bitwise_definition(void **state)
{
    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        assert_int_equal(vpci_crc32_le(~0u, &byte, 1),
                         crc32_bitwise(~0u, &byte, 1));
        assert_int_equal(vpci_crc32_le(0, &byte, 1),
                         crc32_bitwise(0, &byte, 1));
    }
}

static void a_megabyte_matches_the_bitwise_definition(void **state)
{
    (void)state;
    const size_t len = 1024000;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    uint32_t x = 2463534242u;   /* xorshift32: reproducible noise */
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    assert_int_equal(vpci_crc32_le(~0u, buf, len),
                     crc32_bitwise(~0u, buf, len));
    free(buf);
}

static void chaining_equals_one_pass(void **state)
{
    (void)state;
    static const char text[] = "libvpci: a pure-userspace PCI device model";
    size_t len = strlen(text);
    uint32_t whole = vpci_crc32_le(~0u, text, len);
    for (size_t cut = 0; cut <= len; cut++) {
        uint32_t c = vpci_crc32_le(~0u, text, cut);
        assert_int_equal(vpci_crc32_le(c, text + cut, len - cut), whole);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_input_returns_the_seed),
        cmocka_unit_test(check_value_of_123456789_matches_the_standard),
        cmocka_unit_test(known_strings_match_zlib),
        cmocka_unit_test(every_single_byte_matches_the_bitwise_definition),
        cmocka_unit_test(a_megabyte_matches_the_bitwise_definition),
        cmocka_unit_test(chaining_equals_one_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
