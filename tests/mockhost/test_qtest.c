/* SPDX-License-Identifier: MIT */
/*
 * The qtest front end (mockhost/qtest.c): scripts go through
 * vpci_qtest_serve() from memory and the answers are compared with what
 * QEMU 7.2's qtest prints for the same lines (recorded from a real QEMU
 * with tests/qtest/run-compare.sh): every command, number syntax, the
 * write/b64write data rules, base64 round trips, clock stepping, IRQ
 * event lines and where they come relative to the answers, assertion
 * failures, and the stream rules (only complete lines, a NUL stalls).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends.h"
#include "mockhost.h"

#define BAR "0xfea00000"
/* edu at 00:01.0: BAR0 at 0xfea00000, COMMAND = MEM | MASTER */
#define MAP_EDU                                                             \
    "outl 0xcf8 0x80000810\n"                                               \
    "outl 0xcfc 0xfea00000\n"                                               \
    "outl 0xcf8 0x80000804\n"                                               \
    "outw 0xcfc 0x6\n"
#define MAP_EDU_OK "OK\nOK\nOK\nOK\n"

struct qt {
    struct vpci_mock *m;
    char *out;
    size_t outlen;
    int rc;
};

static struct vpci_mock *machine(enum vpci_mock_machine type, bool edu)
{
    struct vpci_mock_config cfg = { .machine = type };
    struct vpci_mock *m = NULL;
    assert_int_equal(vpci_mock_new(&cfg, &m), 0);
    if (edu)
        assert_int_equal(vpci_mock_add(m, "edu,addr=01.0", NULL), 0);
    return m;
}

/* Feed @len bytes of @script to a fresh serve on @m; keep the answers. */
static void run_len(struct qt *q, const char *script, size_t len)
{
    FILE *in = fmemopen((void *)script, len ? len : 1, "r");
    assert_non_null(in);
    if (!len)
        fgetc(in);               /* an empty stream: at EOF already */
    free(q->out);
    q->out = NULL;
    q->outlen = 0;
    FILE *out = open_memstream(&q->out, &q->outlen);
    assert_non_null(out);
    q->rc = vpci_qtest_serve(q->m, in, out);
    fclose(out);
    fclose(in);
}

static void run(struct qt *q, const char *script)
{
    run_len(q, script, strlen(script));
}

/* Run @script on @q's machine and expect exactly @answers and 0. */
static void expect(struct qt *q, const char *script, const char *answers)
{
    run(q, script);
    assert_int_equal(q->rc, 0);
    assert_string_equal(q->out, answers);
}

static int setup_q35(void **state)
{
    struct qt *q = calloc(1, sizeof(*q));
    if (!q)
        return -1;
    unsetenv("VPCI_QTEST_SRCFILE");
    q->m = machine(VPCI_MOCK_Q35, true);
    *state = q;
    return 0;
}

static int teardown(void **state)
{
    struct qt *q = *state;
    vpci_mock_free(q->m);
    free(q->out);
    free(q);
    return 0;
}

/* ------------------------------------------------------------------ */

static void test_pio_and_identity(void **state)
{
    struct qt *q = *state;
    expect(q,
           "endianness\n"
           "outl 0xcf8 0x80000800\n"
           "inl 0xcfc\n"
           "inw 0xcfc\n"
           "inw 0xcfe\n"
           "inb 0xcfc\n"
           "inb 0xcfd\n"
           "outl 0xcf8 0x80000808\n"
           "inl 0xcfc\n"
           "outl 0xcf8 0x8000082c\n"
           "inl 0xcfc\n"
           "outl 0xcf8 0x80001000\n"          /* 00:02.0: absent */
           "inl 0xcfc\n"
           "outl 0xcf8 0x00000800\n"          /* enable bit clear */
           "inl 0xcfc\n"
           "inb 0x5000\n"
           "inw 0x5000\n"
           "outb 0x80 -1\n"
           "outw 0x5000 0x123456\n",
           "OK little\n"
           "OK\n"
           "OK 0x11e81234\n"
           "OK 0x1234\n"
           "OK 0x11e8\n"
           "OK 0x0034\n"
           "OK 0x0012\n"
           "OK\n"
           "OK 0xff0010\n"
           "OK\n"
           "OK 0x11001af4\n"
           "OK\n"
           "OK 0xffffffff\n"
           "OK\n"
           "OK 0xffffffff\n"
           "OK 0x00ff\n"
           "OK 0xffff\n"
           "OK\n"
           "OK\n");
}

static void test_edu_mmio(void **state)
{
    struct qt *q = *state;
    expect(q,
           "readl " BAR "\n"                  /* not mapped yet */
           MAP_EDU
           "readl " BAR "\n"
           "writel 0xfea00004 0x12345678\n"
           "readl 0xfea00004\n"
           "readq " BAR "\n"
           "readb " BAR "\n"
           "writel 0xfea00008 5\n"
           "readl 0xfea00008\n"
           "writeq 0xfea00080 0x1122334455667788\n"
           "readq 0xfea00080\n"
           "readw 0xfea00080\n",
           "OK 0x0000000000000000\n"
           MAP_EDU_OK
           "OK 0x00000000010000ed\n"
           "OK\n"
           "OK 0x00000000edcba987\n"
           "OK 0xffffffffffffffff\n"
           "OK 0x0000000000000000\n"
           "OK\n"
           "OK 0x0000000000000078\n"
           "OK\n"
           "OK 0x1122334455667788\n"
           "OK 0x0000000000000000\n");
}

static void test_memory_widths(void **state)
{
    struct qt *q = *state;
    expect(q,
           "writeq 0x100000 0x0102030405060708\n"
           "readb 0x100000\n"
           "readw 0x100001\n"
           "readl 0x100003\n"
           "readq 0x100000\n"
           "writel 0x100000 -1\n"
           "readq 0x100000\n"
           "writel 0x100000 0x123456789\n"
           "readl 0x100000\n"
           "writeb 0x100008 0x1234\n"
           "readb 0x100008\n"
           "writew 0x10000a 0x12345\n"
           "readw 0x10000a\n"
           "read 0x100000 12\n",
           "OK\n"
           "OK 0x0000000000000008\n"
           "OK 0x0000000000000607\n"
           "OK 0x0000000002030405\n"
           "OK 0x0102030405060708\n"
           "OK\n"
           "OK 0x01020304ffffffff\n"
           "OK\n"
           "OK 0x0000000023456789\n"
           "OK\n"
           "OK 0x0000000000000034\n"
           "OK\n"
           "OK 0x0000000000002345\n"
           "OK 0x896745230403020134004523\n");
}

static void test_numbers(void **state)
{
    struct qt *q = *state;
    expect(q,
           "writel 0x100000 0xabcdef01\n"
           "writel 8 0x11\n"
           "readl 010\n"                      /* octal */
           "readl +0x100000\n"
           "readl 1048576\n"                  /* decimal */
           "readl \t0x100000\n"               /* leading blank */
           "readl 0x100000 extra words\n"
           "readl 0x100000 \n"                /* trailing space */
           "readq -0x8\n",                    /* wraps to the top */
           "OK\n"
           "OK\n"
           "OK 0x0000000000000011\n"
           "OK 0x00000000abcdef01\n"
           "OK 0x00000000abcdef01\n"
           "OK 0x00000000abcdef01\n"
           "OK 0x00000000abcdef01\n"
           "OK 0x00000000abcdef01\n"
           "OK 0x0000000000000000\n");
}

static void test_write_hex(void **state)
{
    struct qt *q = *state;
    expect(q,
           "write 0x100100 4 0xzz12\n"        /* bad high nibble: 0xf0|lo */
           "read 0x100100 4\n"
           "write 0x100100 4 0x1\n"           /* 3 chars: all zeros */
           "read 0x100100 4\n"
           "write 0x100100 4 0x123\n"         /* odd: last nibble dropped */
           "read 0x100100 4\n"
           "write 0x100100 2 0x11223344\n"    /* longer than SIZE */
           "read 0x100100 4\n"
           "write 0x100100 4 xx5566\n"        /* prefix not checked */
           "read 0x100100 4\n"
           "write 0x100100 4 0xAbCd\n"
           "read 0x100100 4\n"
           "write 0x100100 4 0x1g2G\n"        /* bad low nibble: 0xff */
           "read 0x100100 4\n"
           "write 0x100100 0 0x11\n"
           "write 0x100100 4 ab\n"
           "write 0x100100 4 0x\n"
           "read 0x100100 4\n",
           "OK\nOK 0xff120000\n"
           "OK\nOK 0x00000000\n"
           "OK\nOK 0x12000000\n"
           "OK\nOK 0x11220000\n"
           "OK\nOK 0x55660000\n"
           "OK\nOK 0xabcd0000\n"
           "OK\nOK 0xffff0000\n"
           "OK\n"
           "ERR invalid argument size\n"
           "ERR invalid argument size\n"
           "OK 0xffff0000\n");
}

static void test_b64(void **state)
{
    struct qt *q = *state;
    expect(q,
           "b64write 0x100200 4 AAECAw==\n"
           "read 0x100200 4\n"
           "b64write 0x100200 2 AAECAw==\n"   /* truncated to SIZE */
           "read 0x100200 8\n"
           "b64write 0x100200 5 AAEC\n"       /* past the data: the text */
           "read 0x100200 8\n"
           "b64write 0x100200 4 A\n"
           "b64write 0x100200 4 AB\n"
           "b64write 0x100200 4 ABC\n"        /* unfinished quantum */
           "read 0x100200 4\n"
           "b64write 0x100200 4 A*B@C!D.\n"   /* bad characters skipped */
           "read 0x100200 4\n"
           "b64write 0x100200 4 AB=CD\n"      /* '=' is a zero digit */
           "read 0x100200 4\n"
           "b64write 0x100200 3 ====\n"
           "read 0x100200 4\n"
           "b64write 0x100200 0 AAAA\n"
           "b64read 0x100200 0\n"
           "b64read 0x100200 1\n"
           "b64read 0x100200 2\n"
           "b64read 0x100200 3\n"
           "b64read 0x100200 4\n"
           "b64write 0x100300 8 ASNFZ4mrze8=\n"
           "b64read 0x100300 8\n"
           "read 0x100300 8\n",
           "OK\nOK 0x00010203\n"
           "OK\nOK 0x0001020300000000\n"
           "OK\nOK 0x0001024300000000\n"
           "ERR invalid argument size\n"
           "ERR invalid argument size\n"
           "OK\nOK 0x41424300\n"
           "OK\nOK 0x00108340\n"
           "OK\nOK 0x00023d43\n"
           "OK\nOK 0x003d3d43\n"
           "OK\n"
           "OK \n"
           "OK AA==\n"
           "OK AD0=\n"
           "OK AD09\n"
           "OK AD09Qw==\n"
           "OK\n"
           "OK ASNFZ4mrze8=\n"
           "OK 0x0123456789abcdef\n");
}

/* A longer base64 round trip: every length 1..64 of a byte pattern. */
static void test_b64_round_trip(void **state)
{
    struct qt *q = *state;
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t data[64];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 37 + 11);
    for (unsigned len = 1; len <= sizeof(data); len++) {
        char enc[128], script[512], want[512];
        size_t o = 0;
        for (unsigned i = 0; i < len; i += 3) {
            uint32_t v = (uint32_t)data[i] << 16;
            if (i + 1 < len)
                v |= (uint32_t)data[i + 1] << 8;
            if (i + 2 < len)
                v |= data[i + 2];
            enc[o++] = b64[v >> 18 & 63];
            enc[o++] = b64[v >> 12 & 63];
            enc[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
            enc[o++] = i + 2 < len ? b64[v & 63] : '=';
        }
        enc[o] = '\0';
        char hex[2 * sizeof(data) + 1];
        for (unsigned i = 0; i < len; i++)
            snprintf(hex + 2 * i, 3, "%02x", data[i]);
        snprintf(script, sizeof(script),
                 "memset 0x200000 0x100 0\n"
                 "b64write 0x200000 %u %s\nb64read 0x200000 %u\n"
                 "read 0x200000 %u\nwrite 0x300000 %u 0x%s\n"
                 "b64read 0x300000 %u\n",
                 len, enc, len, len, len, hex, len);
        snprintf(want, sizeof(want), "OK\nOK\nOK %s\nOK 0x%s\nOK\nOK %s\n",
                 enc, hex, enc);
        if (len < 2)
            continue;        /* "AA==" is fine but 1 byte of data: below */
        expect(q, script, want);
    }
    expect(q, "b64write 0x210000 1 Kg==\nread 0x210000 2\n",
           "OK\nOK 0x2a00\n");
}

static void test_memset(void **state)
{
    struct qt *q = *state;
    expect(q,
           "memset 0x100300 4 0x1ff\n"
           "read 0x100300 4\n"
           "memset 0x100300 0 0x11\n"
           "memset 0x100300 2 -1\n"
           "read 0x100300 4\n"
           "memset 0x100300 3 0\n"
           "read 0x100300 4\n",
           "OK\nOK 0xffffffff\n"
           "OK\n"
           "OK\nOK 0xffffffff\n"
           "OK\nOK 0x000000ff\n");
}

static void test_misc_commands(void **state)
{
    struct qt *q = *state;
    expect(q,
           "module_load block curl\n"
           "module_load a b c\n"
           "rtas\n"
           "READL 0\n"
           "foo bar baz\n"
           " readl 0\n"
           "endianness extra\n",
           "OK\n"
           "OK\n"
           "FAIL Unknown command 'rtas'\n"
           "FAIL Unknown command 'READL'\n"
           "FAIL Unknown command 'foo'\n"
           "FAIL Unknown command ''\n"
           "OK little\n");
}

static void test_clock(void **state)
{
    struct qt *q = *state;
    expect(q,
           "clock_step\n"                     /* no timer: stays */
           "clock_step 0\n"
           "clock_step -5\n"
           "clock_step 0x10\n"
           "clock_set 500\n"
           "clock_set 100\n"                  /* never back */
           "clock_set -1\n"
           "clock_step 010\n"
           "clock_set 1000000\n"
           "clock_step 5 extra\n",
           "OK 0\nOK 0\nOK 0\nOK 16\nOK 500\nOK 500\nOK 500\nOK 508\n"
           "OK 1000000\nOK 1000005\n");
    /* edu's DMA timer: due at the whole ms + 100 ms; a bare clock_step
     * goes exactly there */
    expect(q,
           MAP_EDU
           "writeq 0xfea00080 0x100000\n"
           "writeq 0xfea00088 0x40000\n"
           "writeq 0xfea00090 4\n"
           "writeq 0xfea00098 1\n"
           "clock_step\n"
           "readq 0xfea00098\n"
           "clock_step\n"
           "clock_step 9223372036854775807\n" /* now + that wraps: stays */
           "clock_set 9223372036854775807\n"
           "clock_step 1\n",
           MAP_EDU_OK
           "OK\nOK\nOK\nOK\n"
           "OK 101000000\n"
           "OK 0x0000000000000000\n"
           "OK 101000000\n"
           "OK 101000000\n"
           "OK 9223372036854775807\n"
           "OK 9223372036854775807\n");
}

static void test_dma(void **state)
{
    struct qt *q = *state;
    expect(q,
           MAP_EDU
           "write 0x100000 8 0x0011223344556677\n"
           "writeq 0xfea00080 0x100000\n"
           "writeq 0xfea00088 0x40000\n"
           "writeq 0xfea00090 8\n"
           "writeq 0xfea00098 1\n"
           "clock_step 100000000\n"
           "writeq 0xfea00080 0x40000\n"
           "writeq 0xfea00088 0x200000\n"
           "writeq 0xfea00090 8\n"
           "writeq 0xfea00098 3\n"
           "clock_step 99999999\n"
           "read 0x200000 8\n"
           "clock_step 1\n"
           "read 0x200000 8\n"
           "b64read 0x200000 8\n",
           MAP_EDU_OK
           "OK\nOK\nOK\nOK\nOK\n"
           "OK 100000000\n"
           "OK\nOK\nOK\nOK\n"
           "OK 199999999\n"
           "OK 0x0000000000000000\n"
           "OK 200000000\n"
           "OK 0x0011223344556677\n"
           "OK ABEiM0RVZnc=\n");
}

static void test_irq_events(void **state)
{
    struct qt *q = *state;
    expect(q,
           MAP_EDU
           "writel 0xfea00060 0x1\n"          /* before interception */
           "writel 0xfea00064 0x1\n"
           "irq_intercept_in nosuchdevice\n"
           "irq_intercept_in ioapic\n"
           "irq_intercept_in ioapic\n"
           "irq_intercept_out /machine/q35/ioapic\n"
           "irq_intercept_in q35/ioapic/\n"
           "irq_intercept_in //machine//q35/ioapic\n"
           "irq_intercept_in /ioapic\n"
           "irq_intercept_in machine/ioapic\n"
           "writel 0xfea00060 0x1\n"
           "writel 0xfea00060 0x2\n"
           "writel 0xfea00064 0x1\n"
           "writel 0xfea00064 0x2\n"
           "outl 0xcf8 0x80000804\n"
           "writel 0xfea00060 0x4\n"
           "outw 0xcfc 0x406\n"               /* Interrupt Disable */
           "outw 0xcfc 0x6\n"
           "writel 0xfea00064 0x4\n"
           "writeq 0xfea00080 0x100000\n"
           "writeq 0xfea00088 0x40000\n"
           "writeq 0xfea00090 4\n"
           "writeq 0xfea00098 5\n"
           "clock_step 100000000\n"           /* the DMA interrupt */
           "writel 0xfea00064 0x100\n",
           MAP_EDU_OK
           "OK\nOK\n"
           "FAIL Unknown device\n"
           "OK\nOK\nOK\nOK\nOK\n"
           "FAIL Unknown device\n"
           "FAIL Unknown device\n"
           "IRQ raise 21\nOK\n"
           "OK\n"
           "OK\n"
           "IRQ lower 21\nOK\n"
           "OK\n"
           "IRQ raise 21\nOK\n"
           "IRQ lower 21\nOK\n"
           "IRQ raise 21\nOK\n"
           "IRQ lower 21\nOK\n"
           "OK\nOK\nOK\nOK\n"
           "IRQ raise 21\nOK 100000000\n"
           "IRQ lower 21\nOK\n");
    /* a new session starts with every level at 0 and no interception */
    expect(q,
           "writel 0xfea00060 0x1\n"
           "set_irq_in ioapic unnamed-gpio-in 11 1\n"
           "irq_intercept_in ioapic\n"
           "set_irq_in ioapic unnamed-gpio-in 11 1\n"
           "set_irq_in ioapic unnamed-gpio-in 11 1\n"
           "set_irq_in ioapic unnamed-gpio-in 11 7\n"
           "set_irq_in ioapic unnamed-gpio-in 11 1\n"
           "set_irq_in ioapic unnamed-gpio-in 0xb 0\n"
           "set_irq_in ioapic unnamed-gpio-in 21 0\n"
           "writel 0xfea00064 0x1\n"          /* already 0: silent */
           "writel 0xfea00060 0x1\n"
           "set_irq_in nosuchdevice unnamed-gpio-in 1 1\n"
           "set_irq_in ioapic unnamed-gpio-in 23 -1\n",
           "OK\n"
           "OK\n"
           "OK\n"
           "IRQ raise 11\nOK\n"
           "OK\n"
           "IRQ raise 11\nOK\n"
           "IRQ raise 11\nOK\n"
           "IRQ lower 11\nOK\n"
           "OK\n"                           /* 21's last level here: 0 */
           "OK\n"
           "IRQ raise 21\nOK\n"
           "FAIL Unknown device\n"
           "IRQ raise 23\nOK\n");
    /* intercept_out first: the inputs are not hooked, and a later
     * intercept_in of the same device changes nothing */
    expect(q,
           "writel 0xfea00064 0x1\n"
           "irq_intercept_out ioapic\n"
           "irq_intercept_in ioapic\n"
           "writel 0xfea00060 0x1\n"
           "set_irq_in ioapic unnamed-gpio-in 3 1\n"
           "writel 0xfea00064 0x1\n",
           "OK\nOK\nOK\nOK\nOK\nOK\n");
    /* the hook is gone once serve returned */
    vpci_mock_write(q->m, 0xfea00060, 4, 1);
    assert_true(vpci_mock_gsi_level(q->m, 21));
    vpci_mock_write(q->m, 0xfea00064, 4, 1);
}

/* Each g_assert() site: "Bail out!" on stdout, nothing after it. */
static void test_asserts(void **state)
{
    struct qt *q = *state;
    static const struct {
        const char *line;
        const char *bail;
    } cases[] = {
        { "", "383:qtest_process_command: assertion failed: (command)" },
        { "irq_intercept_in", "389:qtest_process_command: assertion failed: (words[1])" },
        { "irq_intercept_out", "389:qtest_process_command: assertion failed: (words[1])" },
        { "set_irq_in ioapic unnamed-gpio-in 1",
          "438:qtest_process_command: assertion failed: (words[1] && words[2] && words[3] && words[4])" },
        { "set_irq_in ioapic unnamed-gpio-in x 1", "454:qtest_process_command: assertion failed: (!ret)" },
        { "set_irq_in ioapic unnamed-gpio-in 1 0x100000000", "456:qtest_process_command: assertion failed: (!ret)" },
        { "outb 0x80", "470:qtest_process_command: assertion failed: (words[1] && words[2])" },
        { "outb x 1", "472:qtest_process_command: assertion failed: (ret == 0)" },
        { "outl 0x80 1x", "474:qtest_process_command: assertion failed: (ret == 0)" },
        { "outw 0x10000 1", "475:qtest_process_command: assertion failed: (addr <= 0xffff)" },
        { "inb", "493:qtest_process_command: assertion failed: (words[1])" },
        { "inw 0x", "495:qtest_process_command: assertion failed: (ret == 0)" },
        { "inl 65536", "496:qtest_process_command: assertion failed: (addr <= 0xffff)" },
        { "writeb 0", "515:qtest_process_command: assertion failed: (words[1] && words[2])" },
        { "writew 0x100000000000000000 1", "517:qtest_process_command: assertion failed: (ret == 0)" },
        { "writeq 0  1", "519:qtest_process_command: assertion failed: (ret == 0)" },
        { "readq", "551:qtest_process_command: assertion failed: (words[1])" },
        { "readl  0", "553:qtest_process_command: assertion failed: (ret == 0)" },
        { "read 0", "583:qtest_process_command: assertion failed: (words[1] && words[2])" },
        { "read z 1", "585:qtest_process_command: assertion failed: (ret == 0)" },
        { "read 0 z", "587:qtest_process_command: assertion failed: (ret == 0)" },
        { "read 0 0", "589:qtest_process_command: assertion failed: (len)" },
        { "b64read 0", "611:qtest_process_command: assertion failed: (words[1] && words[2])" },
        { "b64read z 1", "613:qtest_process_command: assertion failed: (ret == 0)" },
        { "b64read 0 z", "615:qtest_process_command: assertion failed: (ret == 0)" },
        { "write 0 1", "632:qtest_process_command: assertion failed: (words[1] && words[2] && words[3])" },
        { "write z 1 0x00", "634:qtest_process_command: assertion failed: (ret == 0)" },
        { "write 0 z 0x00", "636:qtest_process_command: assertion failed: (ret == 0)" },
        { "memset 0 1", "665:qtest_process_command: assertion failed: (words[1] && words[2] && words[3])" },
        { "memset z 1 0", "667:qtest_process_command: assertion failed: (ret == 0)" },
        { "memset 0 z 0", "669:qtest_process_command: assertion failed: (ret == 0)" },
        { "memset 0 1 z", "671:qtest_process_command: assertion failed: (ret == 0)" },
        { "b64write 0 1", "690:qtest_process_command: assertion failed: (words[1] && words[2] && words[3])" },
        { "b64write z 1 AAAA", "692:qtest_process_command: assertion failed: (ret == 0)" },
        { "b64write 0 z AAAA", "694:qtest_process_command: assertion failed: (ret == 0)" },
        { "clock_step 1.5", "746:qtest_process_command: assertion failed: (ret == 0)" },
        { "clock_step 9223372036854775808", "746:qtest_process_command: assertion failed: (ret == 0)" },
        { "module_load x", "758:qtest_process_command: assertion failed: (words[1] && words[2])" },
        { "clock_set", "774:qtest_process_command: assertion failed: (words[1])" },
        { "clock_set 0\r", "776:qtest_process_command: assertion failed: (ret == 0)" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char script[256], want[256];
        snprintf(script, sizeof(script), "endianness\n%s\nendianness\n",
                 cases[i].line);
        snprintf(want, sizeof(want),
                 "OK little\nBail out! ERROR:../softmmu/qtest.c:%s\n",
                 cases[i].bail);
        run(q, script);
        assert_int_equal(q->rc, -EPROTO);
        assert_string_equal(q->out, want);
    }
    /* the source path QEMU's build used */
    setenv("VPCI_QTEST_SRCFILE", "../qemu-7.2/softmmu/qtest.c", 1);
    run(q, "inb\n");
    unsetenv("VPCI_QTEST_SRCFILE");
    assert_int_equal(q->rc, -EPROTO);
    assert_string_equal(q->out, "Bail out! ERROR:../qemu-7.2/softmmu/qtest.c:"
                                "493:qtest_process_command: assertion "
                                "failed: (words[1])\n");
    /* hw/core/gpio.c's assert(): nothing on stdout */
    run(q, "set_irq_in ioapic foo 1 1\nendianness\n");
    assert_int_equal(q->rc, -EPROTO);
    assert_string_equal(q->out, "");
    run(q, "set_irq_in ioapic unnamed-gpio-in 24 1\nendianness\n");
    assert_int_equal(q->rc, -EPROTO);
    assert_string_equal(q->out, "");
    run(q, "set_irq_in ioapic unnamed-gpio-in -1 1\nendianness\n");
    assert_int_equal(q->rc, -EPROTO);
    assert_string_equal(q->out, "");
}

static void test_stream_rules(void **state)
{
    struct qt *q = *state;
    /* a last line without '\n' is never run */
    expect(q, "endianness\nendianness", "OK little\n");
    /* empty input */
    run_len(q, "", 0);
    assert_int_equal(q->rc, 0);
    assert_string_equal(q->out, "");
    /* a NUL: the line it is in and everything after stay unanswered */
    static const char nul[] = "endianness\nread\0l 0\nendianness\n";
    run_len(q, nul, sizeof(nul) - 1);
    assert_int_equal(q->rc, 0);
    assert_string_equal(q->out, "OK little\n");
    /* "\r\n": the '\r' is part of the last word */
    expect(q, "endianness\r\n", "FAIL Unknown command 'endianness\r'\n");
}

static void test_virt(void **state)
{
    (void)state;
    struct qt q = { .m = machine(VPCI_MOCK_VIRT, true) };
    expect(&q,
           "endianness\n"
           "outl 0xcf8 0x80000800\n"
           "inl 0xcfc\n"
           "irq_intercept_in ioapic\n"
           "irq_intercept_in gic\n"
           "irq_intercept_in arm_gic\n"
           "irq_intercept_in device[2]\n"
           "irq_intercept_in /unattached/device[1]\n"
           "irq_intercept_in unattached/device[1]\n"
           "irq_intercept_in /machine/unattached/device[1]\n"
           "irq_intercept_out device[1]\n",
           /* QEMU 7.2 virt: the GIC has no name of its own, only the
            * path qdev gave it; "gic" is unknown there */
           "OK little\nOK\nOK 0xffffffff\nFAIL Unknown device\n"
           "FAIL Unknown device\nFAIL Unknown device\nFAIL Unknown device\n"
           "FAIL Unknown device\nOK\nOK\nOK\n");
    /* edu through ECAM: its INTA reaches an SPI, printed as raised */
    const struct vpci_mock_map *map = vpci_mock_get_map(q.m);
    char script[1024], want[256];
    uint64_t ecam = map->ecam_base + (1u << 15);
    uint64_t bar = map->mmio32_base;
    int gsi = vpci_mock_fn_gsi(vpci_mock_fn_at(q.m, 1));
    assert_true(gsi >= 0);
    snprintf(script, sizeof(script),
             "readl 0x%" PRIx64 "\n"
             "writel 0x%" PRIx64 " 0x%" PRIx64 "\n"
             "writew 0x%" PRIx64 " 0x6\n"
             "irq_intercept_in /machine/unattached/device[1]\n"
             "writel 0x%" PRIx64 " 1\n"
             "set_irq_in device[1] unnamed-gpio-in %d 1\n",
             ecam, ecam + 0x10, bar, ecam + 4, bar + 0x60, gsi);
    snprintf(want, sizeof(want),
             "OK 0x0000000011e81234\nOK\nOK\nOK\nIRQ raise %d\nOK\nOK\n",
             gsi);
    expect(&q, script, want);
    /* the GIC has 256 SPIs and 32 PPIs: pin 287 exists (QEMU prints no
     * event past its 256 recorded levels), 288 fails QEMU's assert */
    expect(&q,
           "set_irq_in unattached/device[1] unnamed-gpio-in 255 1\n"
           "set_irq_in unattached/device[1] unnamed-gpio-in 287 1\n",
           "OK\nOK\n");
    run(&q, "set_irq_in unattached/device[1] unnamed-gpio-in 288 1\n"
            "endianness\n");
    assert_int_equal(q.rc, -EPROTO);
    assert_string_equal(q.out, "");
    vpci_mock_free(q.m);
    free(q.out);
}

/* QEMU 7.2 virt: in/out reach the arm CPU's IO space, where nothing is;
 * an IO BAR answers only through the PCI IO window in memory. */
static void test_virt_port_io(void **state)
{
    (void)state;
    struct qt q = { .m = machine(VPCI_MOCK_VIRT, false) };
    assert_int_equal(vpci_mock_add(q.m, "virt-pci,addr=01.0", NULL), 0);
    uint64_t ecam = vpci_mock_get_map(q.m)->ecam_base + (1u << 15);
    uint64_t win = vpci_mock_get_map(q.m)->io_cpu_base;
    char script[512];
    /* BAR1 (IO) at 0x1000, IO decode on; its reads answer 0xbeefbeef */
    snprintf(script, sizeof(script),
             "writel 0x%" PRIx64 " 0x1001\n"
             "writew 0x%" PRIx64 " 0x1\n"
             "readl 0x%" PRIx64 "\n"
             "inl 0x1000\n"
             "inw 0x1000\n"
             "inb 0x1002\n"
             "outl 0x1000 0x5\n"
             "readl 0x%" PRIx64 "\n",
             ecam + 0x14, ecam + 4, win + 0x1000, win + 0x1000);
    expect(&q, script,
           "OK\nOK\nOK 0x00000000beefbeef\nOK 0xffffffff\nOK 0xffff\n"
           "OK 0x00ff\nOK\nOK 0x00000000beefbeef\n");
    vpci_mock_free(q.m);
    free(q.out);
}

static void test_errors(void **state)
{
    struct qt *q = *state;
    assert_int_equal(vpci_qtest_serve(NULL, stdin, stdout), -EINVAL);
    assert_int_equal(vpci_qtest_serve(q->m, NULL, stdout), -EINVAL);
    assert_int_equal(vpci_qtest_serve(q->m, stdin, NULL), -EINVAL);

    /* buffers that cannot exist */
    run(q, "read 0 0xffffffffffffffff\nendianness\n");
    assert_int_equal(q->rc, -ENOMEM);
    assert_string_equal(q->out, "");
    run(q, "b64read 0 -1\n");
    assert_int_equal(q->rc, -ENOMEM);
    run(q, "write 0 -1 0x00\n");
    assert_int_equal(q->rc, -ENOMEM);
    run(q, "memset 0 -1 0\n");
    assert_int_equal(q->rc, -ENOMEM);
    run(q, "b64write 0 -1 AAAA\n");
    assert_int_equal(q->rc, -ENOMEM);

    /* an output that fails */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        static const char s[] = "endianness\nendianness\n";
        FILE *in = fmemopen((void *)s, sizeof(s) - 1, "r");
        assert_non_null(in);
        assert_int_equal(vpci_qtest_serve(q->m, in, full), -EIO);
        fclose(in);
        fclose(full);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pio_and_identity, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_edu_mmio, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_memory_widths, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_write_hex, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_b64, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_b64_round_trip, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_memset, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_misc_commands, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_clock, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_dma, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_irq_events, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_asserts, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_stream_rules, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_virt, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_virt_port_io, setup_q35, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup_q35, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
