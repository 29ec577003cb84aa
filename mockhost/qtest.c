/* SPDX-License-Identifier: MIT */
/*
 * QEMU's qtest text protocol, served by the mock host.
 *
 * The answers are meant to be byte-identical to QEMU 7.2's softmmu/qtest.c
 * for the same input (tests/qtest/run-compare.sh checks it against a real
 * QEMU).  The facts this file reproduces, with the qtest.c lines they come
 * from:
 *
 *  - Input is cut at '\n' only (qtest_process_inbuf, 787-806); a last line
 *    without '\n' is never run; a NUL byte stops all processing for good
 *    (strchr() on the GString stops at it).  A line is split at every
 *    single ' ' (g_strsplit(cmd, " ", 0), 801): two spaces make an empty word,
 *    a '\r' stays part of the last word, an empty line has no words at all.
 *  - Numbers are qemu_strtoul/strtou64/strtoi64/strtoi with base 0: the
 *    C library's strto*() (leading blanks, '+'/'-', 0x hex, 0 octal; a
 *    negative value wraps), and the whole word must be consumed.  Anything
 *    else (and a missing word) fails a g_assert(): QEMU prints
 *    "Bail out! ERROR:<file>:<line>:qtest_process_command: assertion
 *    failed: (<expr>)" on stdout (glib's TAP output), "**" and
 *    "ERROR:..." on stderr, and aborts.  We print the same lines and stop
 *    serving (return -EPROTO).  <file> is QEMU's build-relative source
 *    path, "../softmmu/qtest.c" unless VPCI_QTEST_SRCFILE says otherwise.
 *  - outb/outw/outl ADDR VALUE (463-485): ADDR <= 0xffff (asserted),
 *    VALUE truncated to the width; "OK".  in/out reach the CPU's IO
 *    space: on virt an empty one (cpu_has_port_io below).
 *  - inb/inw/inl ADDR (486-506): "OK 0x%04x" (at least 4 hex digits).
 *  - writeb..writeq ADDR VALUE (507-542): little-endian, truncated; "OK".
 *  - readb..readq ADDR (543-576): "OK 0x%016" PRIx64.
 *  - read ADDR SIZE (577-604): SIZE 0 asserts; "OK 0x" + 2 lowercase hex
 *    digits per byte.
 *  - b64read ADDR SIZE (605-625): "OK " + g_base64_encode (padded, no line
 *    breaks); SIZE 0 gives "OK " and an empty string.
 *  - write ADDR SIZE DATA (626-658): DATA shorter than 3 characters gives
 *    "ERR invalid argument size" (no log prefix, nothing written).  The
 *    first two characters of DATA are skipped unchecked (normally "0x");
 *    byte i is hex2nib(DATA[2i+2]) << 4 | hex2nib(DATA[2i+3]) while both
 *    characters exist, else 0; an invalid hex digit is -1, so a bad high
 *    nibble gives 0xF0 | low and a bad low nibble gives 0xFF.
 *  - memset ADDR SIZE VALUE (659-682): VALUE is an unsigned long cut to a
 *    byte; SIZE 0 writes nothing; "OK".
 *  - b64write ADDR SIZE DATA (683-714): the same "ERR invalid argument
 *    size" under 3 characters; DATA is decoded in place by
 *    g_base64_decode_inplace() (invalid characters skipped, '=' counts as
 *    a 0 digit and only suppresses output bytes, an unfinished quantum is
 *    dropped) and then SIZE bytes of that buffer are written whatever the
 *    decoded length: past the decoded bytes come the undecoded characters
 *    of DATA and its NUL (beyond that QEMU writes heap garbage; we write
 *    zeros).
 *  - endianness (715-721): "OK little".
 *  - clock_step [NS] (741-754): without NS, step to the next timer deadline
 *    (none: stay); a NS that does not move the clock forward (0, negative)
 *    changes nothing; "OK <now>" as a signed decimal.
 *  - clock_set NS (770-780): warp forward to NS (never back); "OK <now>".
 *  - module_load PREFIX NAME (755-769): a QEMU built without modules (as
 *    adapters/qemu/build-qemu.sh builds it) returns 2: "OK".
 *  - irq_intercept_in/irq_intercept_out PATH (384-429; words[0][14] == 'o'
 *    at 412 tells them apart): PATH must name the
 *    interrupt controller (q35: the IOAPIC, /machine/q35/ioapic or any
 *    suffix of it such as "ioapic"; virt: the GICv2, which QEMU leaves
 *    unnamed: /machine/unattached/device[1] or a suffix of it), else
 *    "FAIL Unknown device".  A second intercept of the same device answers
 *    "OK" and changes nothing.  Only intercept_in hooks the input pins;
 *    from then on every level change of pin N prints "IRQ raise N" /
 *    "IRQ lower N" at once, i.e. before the OK of the command that caused
 *    it (qtest_irq_handler, 319-331; the comparison is against the last
 *    level printed, an int).
 *  - set_irq_in PATH NAME NUM LEVEL (430-462): NAME "unnamed-gpio-in";
 *    another name or a NUM outside the controller's pins fails QEMU's
 *    assert in qdev_get_gpio_in_named() (hw/core/gpio.c:108: nothing on
 *    stdout, abort); the level goes through the intercept handler when
 *    intercepted; "OK".
 *  - anything else (rtas included: x86 has no pSeries): "FAIL Unknown
 *    command '<word>'" (782-784).
 *
 *  - Each vpci_qtest_serve() call is one qtest session (CHR_EVENT_OPENED,
 *    qtest_event 822-843): every recorded IRQ level starts at 0 and no
 *    interception is active.
 *
 * What differs from QEMU by design: only the PCI side of the machine
 * exists, so QOM paths other than the interrupt controller are unknown
 * ("FAIL Unknown device" where QEMU would intercept, say, "q35" or "mch"
 * and then answer "FAIL IRQ intercept already enabled" for the IOAPIC),
 * and q35's legacy devices (the 8254 PIT toggles IRQ 0 every 27.46 ms
 * from reset, which also shows as a timer deadline to a bare clock_step)
 * are absent.  QEMU's qtest log (-qtest-log, stderr by default) is not
 * written.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends.h"
#include "mockhost.h"

#define QTEST_MAX_IRQ 256          /* MAX_IRQ in qtest.c */
#define Q35_IOAPIC_PINS 24         /* IOAPIC_NUM_PINS */
/* virt's GICv2: NUM_IRQS (256) SPIs, then GIC_INTERNAL (32) PPIs of the
 * one CPU: qdev_init_gpio_in(..., num_irq - 32 + 32 * num_cpu). */
#define VIRT_GIC_PINS (256 + 32)

struct qtest {
    struct vpci_mock *m;
    FILE *out;
    const char *srcfile;
    bool intercepted;              /* irq_intercept_* accepted once */
    bool hooked;                   /* ... and it was _in: pins print */
    int irq_levels[QTEST_MAX_IRQ];
    int io_error;
};

/* A command's outcome beyond its answer. */
enum qt_status {
    QT_OK = 0,
    QT_ABORT,                      /* QEMU would have aborted: stop */
    QT_NOMEM,
};

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void qt_puts(struct qtest *q, const char *s)
{
    if (fputs(s, q->out) == EOF)
        q->io_error = -EIO;
}

static void qt_printf(struct qtest *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void qt_printf(struct qtest *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(q->out, fmt, ap) < 0)
        q->io_error = -EIO;
    va_end(ap);
}

/* A failed g_assert() in qtest_process_command at QEMU's @line. */
static enum qt_status qt_assert_fail(struct qtest *q, int line,
                                     const char *expr)
{
    qt_printf(q, "Bail out! ERROR:%s:%d:qtest_process_command: "
              "assertion failed: (%s)\n", q->srcfile, line, expr);
    fprintf(stderr, "**\nERROR:%s:%d:qtest_process_command: "
            "assertion failed: (%s)\n", q->srcfile, line, expr);
    return QT_ABORT;
}

#define QT_ASSERT(q, cond, line, text)                                     \
    do {                                                                   \
        if (!(cond))                                                       \
            return qt_assert_fail((q), (line), (text));                    \
    } while (0)

/* qtest_irq_handler(): print when the level differs from the last one. */
static void qt_irq_level(struct qtest *q, int n, int level)
{
    if (n < 0 || n >= QTEST_MAX_IRQ || q->irq_levels[n] == level)
        return;
    q->irq_levels[n] = level;
    qt_printf(q, "IRQ %s %d\n", level ? "raise" : "lower", n);
}

static void qt_irq_hook(void *opaque, unsigned gsi, bool level)
{
    qt_irq_level(opaque, (int)gsi, level ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* Numbers: qemu_strto*() with base 0 and no end pointer               */
/* ------------------------------------------------------------------ */

static bool parse_ul(const char *s, unsigned long *out)
{
    char *ep;
    if (!s)
        return false;
    errno = 0;
    *out = strtoul(s, &ep, 0);
    return errno == 0 && ep != s && *ep == '\0';
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *ep;
    if (!s)
        return false;
    errno = 0;
    *out = strtoull(s, &ep, 0);
    return errno == 0 && ep != s && *ep == '\0';
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *ep;
    if (!s)
        return false;
    errno = 0;
    *out = strtoll(s, &ep, 0);
    return errno == 0 && ep != s && *ep == '\0';
}

static bool parse_int(const char *s, int *out)
{
    int64_t v;
    if (!parse_i64(s, &v) || v > INT_MAX || v < INT_MIN)
        return false;
    *out = (int)v;
    return true;
}

/* ------------------------------------------------------------------ */
/* Base64 as glib does it                                              */
/* ------------------------------------------------------------------ */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* mime_base64_rank[]: 0xff for characters that are skipped, 0 for '='. */
static unsigned b64_rank(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    if (c == '=')
        return 0;
    return 0xff;
}

/* g_base64_decode_step() on the whole of @buf, writing into it in place
 * (the output never overtakes the input).  Returns the decoded length. */
static size_t b64_decode_inplace(unsigned char *buf, size_t len)
{
    unsigned v = 0;
    int i = 0;
    unsigned char last0 = 0, last1 = 0;
    size_t o = 0;

    for (size_t k = 0; k < len; k++) {
        unsigned char c = buf[k];
        unsigned rank = b64_rank(c);
        if (rank == 0xff)
            continue;
        last1 = last0;
        last0 = c;
        v = (v << 6) | rank;
        if (++i == 4) {
            buf[o++] = (unsigned char)(v >> 16);
            if (last1 != '=')
                buf[o++] = (unsigned char)(v >> 8);
            if (last0 != '=')
                buf[o++] = (unsigned char)v;
            i = 0;
        }
    }
    return o;
}

/* g_base64_encode(): a malloc'd NUL-terminated string, or NULL. */
static char *b64_encode(const unsigned char *data, size_t len)
{
    char *s = malloc((len + 2) / 3 * 4 + 1);
    if (!s)
        return NULL;
    char *p = s;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 |
                     data[i + 2];
        *p++ = b64_alphabet[v >> 18 & 63];
        *p++ = b64_alphabet[v >> 12 & 63];
        *p++ = b64_alphabet[v >> 6 & 63];
        *p++ = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        *p++ = b64_alphabet[v >> 18 & 63];
        *p++ = b64_alphabet[v >> 12 & 63];
        *p++ = '=';
        *p++ = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        *p++ = b64_alphabet[v >> 18 & 63];
        *p++ = b64_alphabet[v >> 12 & 63];
        *p++ = b64_alphabet[v >> 6 & 63];
        *p++ = '=';
    }
    *p = '\0';
    return s;
}

static int hex2nib(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return 10 + (ch - 'a');
    if (ch >= 'A' && ch <= 'F')
        return 10 + (ch - 'A');
    return -1;
}

/* ------------------------------------------------------------------ */
/* The interrupt controller's QOM path                                 */
/* ------------------------------------------------------------------ */

/*
 * object_resolve_path() for the one device we have: an absolute path must
 * be the whole path, a partial one a suffix of it; empty components (from
 * "//" or a trailing '/') are ignored.
 */
static bool path_matches(const char *path, const char *const *full, size_t n)
{
    const char *parts[16];
    size_t np = 0;
    char buf[256];
    bool absolute = path[0] == '/';

    if (strlen(path) >= sizeof(buf))
        return false;
    strcpy(buf, path);
    for (char *save = NULL, *t = strtok_r(buf, "/", &save); t;
         t = strtok_r(NULL, "/", &save)) {
        if (np == sizeof(parts) / sizeof(parts[0]))
            return false;
        parts[np++] = t;
    }
    if (np == 0 || np > n || (absolute && np != n))
        return false;
    for (size_t i = 0; i < np; i++)
        if (strcmp(parts[np - 1 - i], full[n - 1 - i]) != 0)
            return false;
    return true;
}

/* Number of input pins of the device @path names, or 0 when unknown. */
static int intc_pins(const struct qtest *q, const char *path)
{
    static const char *const ioapic[] = { "machine", "q35", "ioapic" };
    /* QEMU's virt creates the GIC with qdev_new() and no name, so it is
     * the second child of /machine/unattached (device[0] is the CPU):
     * "info qom-tree" on QEMU 7.2 virt shows /device[1] (arm_gic). */
    static const char *const gic[] = { "machine", "unattached", "device[1]" };
    const struct vpci_mock_map *map = vpci_mock_get_map(q->m);

    if (map->has_cf8)
        return path_matches(path, ioapic, 3) ? Q35_IOAPIC_PINS : 0;
    return path_matches(path, gic, 3) ? VIRT_GIC_PINS : 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static enum qt_status cmd_irq_intercept(struct qtest *q, char **w)
{
    QT_ASSERT(q, w[1], 389, "words[1]");
    if (!intc_pins(q, w[1])) {
        qt_puts(q, "FAIL Unknown device\n");
        return QT_OK;
    }
    if (!q->intercepted) {
        q->intercepted = true;
        if (w[0][14] != 'o') {
            q->hooked = true;
            vpci_mock_set_irq_hook(q->m, qt_irq_hook, q);
        }
    }
    qt_puts(q, "OK\n");
    return QT_OK;
}

static enum qt_status cmd_set_irq_in(struct qtest *q, char **w)
{
    int num, level, pins;

    QT_ASSERT(q, w[1] && w[2] && w[3] && w[4], 438,
              "words[1] && words[2] && words[3] && words[4]");
    pins = intc_pins(q, w[1]);
    if (!pins) {
        qt_puts(q, "FAIL Unknown device\n");
        return QT_OK;
    }
    QT_ASSERT(q, parse_int(w[3], &num), 454, "!ret");
    QT_ASSERT(q, parse_int(w[4], &level), 456, "!ret");
    if (strcmp(w[2], "unnamed-gpio-in") != 0 || num < 0 || num >= pins) {
        /* a C assert() in hw/core/gpio.c: stderr only, then abort */
        fprintf(stderr, "vpci-host: hw/core/gpio.c:108: "
                "qdev_get_gpio_in_named: Assertion `n >= 0 && n < "
                "gpio_list->num_in' failed.\n");
        return QT_ABORT;
    }
    if (q->hooked)
        qt_irq_level(q, num, level);
    qt_puts(q, "OK\n");
    return QT_OK;
}

/*
 * qtest's in/out go to the CPU's IO address space (cpu_outb/cpu_inb:
 * address_space_io).  On q35 that is where CF8/CFC and the PCI IO BARs
 * live.  On virt nothing is in it (the arm CPU has no port IO; GPEX's IO
 * space appears only in memory, at io_cpu_base), so QEMU 7.2 answers
 * every in with all ones (unassigned_io_ops) and drops every out, even
 * where an IO BAR decodes the same PCI IO address.
 */
static bool cpu_has_port_io(const struct qtest *q)
{
    return vpci_mock_get_map(q->m)->io_cpu_base == 0;
}

static enum qt_status cmd_out(struct qtest *q, char **w)
{
    unsigned long addr, value;
    unsigned len = w[0][3] == 'b' ? 1 : w[0][3] == 'w' ? 2 : 4;

    QT_ASSERT(q, w[1] && w[2], 470, "words[1] && words[2]");
    QT_ASSERT(q, parse_ul(w[1], &addr), 472, "ret == 0");
    QT_ASSERT(q, parse_ul(w[2], &value), 474, "ret == 0");
    QT_ASSERT(q, addr <= 0xffff, 475, "addr <= 0xffff");
    uint32_t v = (uint32_t)value;
    if (len == 1)
        v &= 0xff;
    else if (len == 2)
        v &= 0xffff;
    if (cpu_has_port_io(q))
        vpci_mock_out(q->m, (uint16_t)addr, len, v);
    qt_puts(q, "OK\n");
    return QT_OK;
}

static enum qt_status cmd_in(struct qtest *q, char **w)
{
    unsigned long addr;
    unsigned len = w[0][2] == 'b' ? 1 : w[0][2] == 'w' ? 2 : 4;

    QT_ASSERT(q, w[1], 493, "words[1]");
    QT_ASSERT(q, parse_ul(w[1], &addr), 495, "ret == 0");
    QT_ASSERT(q, addr <= 0xffff, 496, "addr <= 0xffff");
    uint32_t v = cpu_has_port_io(q) ? vpci_mock_in(q->m, (uint16_t)addr, len)
                                    : 0xffffffffu;
    if (len == 1)
        v &= 0xff;
    else if (len == 2)
        v &= 0xffff;
    qt_printf(q, "OK 0x%04x\n", (unsigned)v);
    return QT_OK;
}

static unsigned mem_width(char c)
{
    return c == 'b' ? 1 : c == 'w' ? 2 : c == 'l' ? 4 : 8;
}

static enum qt_status cmd_write_n(struct qtest *q, char **w)
{
    uint64_t addr, value;
    unsigned len = mem_width(w[0][5]);

    QT_ASSERT(q, w[1] && w[2], 515, "words[1] && words[2]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 517, "ret == 0");
    QT_ASSERT(q, parse_u64(w[2], &value), 519, "ret == 0");
    if (len < 8)
        value &= (UINT64_C(1) << (len * 8)) - 1;
    vpci_mock_write(q->m, addr, len, value);
    qt_puts(q, "OK\n");
    return QT_OK;
}

static enum qt_status cmd_read_n(struct qtest *q, char **w)
{
    uint64_t addr, value;
    unsigned len = mem_width(w[0][4]);

    QT_ASSERT(q, w[1], 551, "words[1]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 553, "ret == 0");
    value = vpci_mock_read(q->m, addr, len);
    if (len < 8)
        value &= (UINT64_C(1) << (len * 8)) - 1;
    qt_printf(q, "OK 0x%016" PRIx64 "\n", value);
    return QT_OK;
}

/* A buffer for @len bytes of guest memory; NULL when it does not fit. */
static unsigned char *qt_alloc(uint64_t len)
{
    if (len > SIZE_MAX - 1)
        return NULL;
    return malloc(len ? (size_t)len : 1);
}

static enum qt_status qt_nomem(uint64_t len)
{
    fprintf(stderr, "vpci-host: qtest: failed to allocate %" PRIu64
            " bytes\n", len);
    return QT_NOMEM;
}

static enum qt_status cmd_read(struct qtest *q, char **w)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t addr, len;

    QT_ASSERT(q, w[1] && w[2], 583, "words[1] && words[2]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 585, "ret == 0");
    QT_ASSERT(q, parse_u64(w[2], &len), 587, "ret == 0");
    QT_ASSERT(q, len, 589, "len");

    unsigned char *data = qt_alloc(len);
    char *enc = len <= (SIZE_MAX - 1) / 2 ? malloc((size_t)len * 2 + 1) : NULL;
    if (!data || !enc) {
        free(data);
        free(enc);
        return qt_nomem(len);
    }
    vpci_mock_memread(q->m, addr, data, (size_t)len);
    for (size_t i = 0; i < len; i++) {
        enc[2 * i] = hex[data[i] >> 4];
        enc[2 * i + 1] = hex[data[i] & 15];
    }
    enc[2 * len] = '\0';
    qt_puts(q, "OK 0x");
    qt_puts(q, enc);
    qt_puts(q, "\n");
    free(data);
    free(enc);
    return QT_OK;
}

static enum qt_status cmd_b64read(struct qtest *q, char **w)
{
    uint64_t addr, len;

    QT_ASSERT(q, w[1] && w[2], 611, "words[1] && words[2]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 613, "ret == 0");
    QT_ASSERT(q, parse_u64(w[2], &len), 615, "ret == 0");

    unsigned char *data = qt_alloc(len);
    if (!data)
        return qt_nomem(len);
    vpci_mock_memread(q->m, addr, data, (size_t)len);
    char *enc = b64_encode(data, (size_t)len);
    free(data);
    if (!enc)
        return qt_nomem(len);
    qt_printf(q, "OK %s\n", enc);
    free(enc);
    return QT_OK;
}

static enum qt_status cmd_write(struct qtest *q, char **w)
{
    uint64_t addr, len;

    QT_ASSERT(q, w[1] && w[2] && w[3], 632, "words[1] && words[2] && words[3]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 634, "ret == 0");
    QT_ASSERT(q, parse_u64(w[2], &len), 636, "ret == 0");

    size_t data_len = strlen(w[3]);
    if (data_len < 3) {
        qt_puts(q, "ERR invalid argument size\n");
        return QT_OK;
    }
    unsigned char *data = qt_alloc(len);
    if (!data)
        return qt_nomem(len);
    for (uint64_t i = 0; i < len; i++) {
        if (i * 2 + 4 <= data_len) {
            /* as QEMU: an int -1 from hex2nib sets every bit it reaches */
            unsigned hi = (unsigned)hex2nib(w[3][i * 2 + 2]);
            unsigned lo = (unsigned)hex2nib(w[3][i * 2 + 3]);
            data[i] = (unsigned char)((hi << 4) | lo);
        } else {
            data[i] = 0;
        }
    }
    vpci_mock_memwrite(q->m, addr, data, (size_t)len);
    free(data);
    qt_puts(q, "OK\n");
    return QT_OK;
}

static enum qt_status cmd_memset(struct qtest *q, char **w)
{
    uint64_t addr, len;
    unsigned long pattern;

    QT_ASSERT(q, w[1] && w[2] && w[3], 665, "words[1] && words[2] && words[3]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 667, "ret == 0");
    QT_ASSERT(q, parse_u64(w[2], &len), 669, "ret == 0");
    QT_ASSERT(q, parse_ul(w[3], &pattern), 671, "ret == 0");
    if (len) {
        unsigned char *data = qt_alloc(len);
        if (!data)
            return qt_nomem(len);
        memset(data, (int)(pattern & 0xff), (size_t)len);
        vpci_mock_memwrite(q->m, addr, data, (size_t)len);
        free(data);
    }
    qt_puts(q, "OK\n");
    return QT_OK;
}

static enum qt_status cmd_b64write(struct qtest *q, char **w)
{
    uint64_t addr, len;

    QT_ASSERT(q, w[1] && w[2] && w[3], 690, "words[1] && words[2] && words[3]");
    QT_ASSERT(q, parse_u64(w[1], &addr), 692, "ret == 0");
    QT_ASSERT(q, parse_u64(w[2], &len), 694, "ret == 0");

    size_t data_len = strlen(w[3]);
    if (data_len < 3) {
        qt_puts(q, "ERR invalid argument size\n");
        return QT_OK;
    }
    /* QEMU decodes the word in place and writes @len bytes of it: the
     * word and its NUL, then (our choice for QEMU's heap garbage) zeros */
    uint64_t size = len > data_len + 1 ? len : data_len + 1;
    unsigned char *buf = qt_alloc(size);
    if (!buf)
        return qt_nomem(size);
    memset(buf, 0, (size_t)size);
    memcpy(buf, w[3], data_len);
    b64_decode_inplace(buf, data_len);
    vpci_mock_memwrite(q->m, addr, buf, (size_t)len);
    free(buf);
    qt_puts(q, "OK\n");
    return QT_OK;
}

/* qtest_clock_warp(): move forward to @dest, firing timers on the way. */
static void qt_clock_warp(struct qtest *q, int64_t dest)
{
    int64_t now = (int64_t)vpci_mock_clock(q->m);
    if (dest > now)
        vpci_mock_clock_set(q->m, (uint64_t)dest);
}

static void qt_clock_answer(struct qtest *q)
{
    qt_printf(q, "OK %" PRIi64 "\n", (int64_t)vpci_mock_clock(q->m));
}

static enum qt_status cmd_clock_step(struct qtest *q, char **w)
{
    if (w[1]) {
        int64_t ns;
        QT_ASSERT(q, parse_i64(w[1], &ns), 746, "ret == 0");
        /* QEMU adds without an overflow check: wrap the same way */
        uint64_t dest = vpci_mock_clock(q->m) + (uint64_t)ns;
        qt_clock_warp(q, (int64_t)dest);
    } else {
        uint64_t now = vpci_mock_clock(q->m);
        uint64_t next = vpci_mock_next_deadline(q->m);
        if (next != UINT64_MAX && next > now)
            vpci_mock_clock_step_next(q->m);
    }
    qt_clock_answer(q);
    return QT_OK;
}

static enum qt_status cmd_clock_set(struct qtest *q, char **w)
{
    int64_t ns;

    QT_ASSERT(q, w[1], 774, "words[1]");
    QT_ASSERT(q, parse_i64(w[1], &ns), 776, "ret == 0");
    qt_clock_warp(q, ns);
    qt_clock_answer(q);
    return QT_OK;
}

static enum qt_status cmd_module_load(struct qtest *q, char **w)
{
    QT_ASSERT(q, w[1] && w[2], 758, "words[1] && words[2]");
    qt_puts(q, "OK\n");
    return QT_OK;
}

static bool is(const char *word, const char *name)
{
    return strcmp(word, name) == 0;
}

static enum qt_status qt_command(struct qtest *q, char **w)
{
    const char *c = w[0];

    QT_ASSERT(q, c, 383, "command");
    if (is(c, "irq_intercept_out") || is(c, "irq_intercept_in"))
        return cmd_irq_intercept(q, w);
    if (is(c, "set_irq_in"))
        return cmd_set_irq_in(q, w);
    if (is(c, "outb") || is(c, "outw") || is(c, "outl"))
        return cmd_out(q, w);
    if (is(c, "inb") || is(c, "inw") || is(c, "inl"))
        return cmd_in(q, w);
    if (is(c, "writeb") || is(c, "writew") || is(c, "writel") ||
        is(c, "writeq"))
        return cmd_write_n(q, w);
    if (is(c, "readb") || is(c, "readw") || is(c, "readl") ||
        is(c, "readq"))
        return cmd_read_n(q, w);
    if (is(c, "read"))
        return cmd_read(q, w);
    if (is(c, "b64read"))
        return cmd_b64read(q, w);
    if (is(c, "write"))
        return cmd_write(q, w);
    if (is(c, "memset"))
        return cmd_memset(q, w);
    if (is(c, "b64write"))
        return cmd_b64write(q, w);
    if (is(c, "endianness")) {
        qt_puts(q, "OK little\n");
        return QT_OK;
    }
    if (is(c, "clock_step"))
        return cmd_clock_step(q, w);
    if (is(c, "module_load"))
        return cmd_module_load(q, w);
    if (is(c, "clock_set"))
        return cmd_clock_set(q, w);
    qt_printf(q, "FAIL Unknown command '%s'\n", c);
    return QT_OK;
}

/* g_strsplit(line, " ", 0) into a NULL-terminated array pointing into
 * @line (which it cuts up).  NULL when out of memory. */
static char **qt_split(char *line, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += line[i] == ' ';
    char **w = calloc(n + 1, sizeof(*w));
    if (!w || len == 0)
        return w;              /* "": no words at all */
    size_t k = 0;
    w[k++] = line;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == ' ') {
            line[i] = '\0';
            w[k++] = line + i + 1;
        }
    }
    w[k] = NULL;
    return w;
}

int vpci_qtest_serve(struct vpci_mock *m, FILE *in, FILE *out)
{
    struct qtest q = { .m = m, .out = out };
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int ret = 0;

    if (!m || !in || !out)
        return -EINVAL;
    q.srcfile = getenv("VPCI_QTEST_SRCFILE");
    if (!q.srcfile || !*q.srcfile)
        q.srcfile = "../softmmu/qtest.c";

    while ((n = getline(&line, &cap, in)) > 0) {
        size_t len = (size_t)n;
        if (line[len - 1] != '\n')
            break;                      /* never completed: never run */
        if (memchr(line, '\0', len)) {
            /* QEMU's strchr() never sees past the NUL again: it stays
             * silent for the rest of the session */
            while (getline(&line, &cap, in) > 0)
                ;
            break;
        }
        line[--len] = '\0';
        char **words = qt_split(line, len);
        if (!words) {
            ret = -ENOMEM;
            break;
        }
        enum qt_status st = qt_command(&q, words);
        free(words);
        if (fflush(out) == EOF)
            q.io_error = -EIO;
        if (q.io_error) {
            ret = q.io_error;
            break;
        }
        if (st == QT_ABORT) {
            ret = -EPROTO;
            break;
        }
        if (st == QT_NOMEM) {
            ret = -ENOMEM;
            break;
        }
    }
    if (ret == 0 && ferror(in))
        ret = -EIO;
    if (q.hooked)
        vpci_mock_set_irq_hook(m, NULL, NULL);
    free(line);
    if (fflush(out) == EOF && ret == 0)
        ret = -EIO;
    return ret;
}
