/* SPDX-License-Identifier: MIT */
/*
 * vpci-app: the sample app of the PCIExp experiment, for vpci_virt.ko.
 *
 * For every device it checks, in the original app's order: VERSION, DOINT,
 * register write/read-back of 0x00..0x1C, soft reset, MUL2 and MUL4 over
 * 1024 random words; then the error paths the fixed driver adds (bad
 * sizes, pointers, offsets and commands; the device's own ERROR reports
 * through the driver's test hooks: oversize DMA, bus mastering off, IOMMU
 * faults), several processes at once, a masked interrupt (ETIMEDOUT) and
 * the recovery from it, and an unbind with the file open.  One
 * PASS/FAIL/SKIP line per check (see guest/README.md), a summary line,
 * exit status 0 only if nothing failed.
 *
 * usage: vpci-app [-s SEED] [DEV[:IRQMODE]]...
 *   DEV      a character device; without arguments every /dev/vpciN
 *   IRQMODE  intx, msi or msix: also check the interrupt mode the driver
 *            chose (/sys/class/vpci/vpciN/irq_mode)
 *   An argument may hold several DEV[:IRQMODE] separated by commas.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpci_virt_uapi.h"

#define WORDS VPCI_VIRT_MAX_WORDS

static unsigned passed, failed, skipped;
static uint64_t rng_state = 0x5eed5eedull;

/* xorshift64*: the same words on every libc */
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void report(const char *verdict, const char *dev, const char *check,
                   const char *fmt, va_list ap)
{
    printf("%s %s %s: ", verdict, dev, check);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

#define PRINTF_LIKE __attribute__((format(printf, 3, 4)))
static void pass(const char *dev, const char *check, const char *fmt, ...) PRINTF_LIKE;
static void fail(const char *dev, const char *check, const char *fmt, ...) PRINTF_LIKE;
static void skip(const char *dev, const char *check, const char *fmt, ...) PRINTF_LIKE;

static void pass(const char *dev, const char *check, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("PASS", dev, check, fmt, ap);
    va_end(ap);
    passed++;
}

static void fail(const char *dev, const char *check, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("FAIL", dev, check, fmt, ap);
    va_end(ap);
    failed++;
}

static void skip(const char *dev, const char *check, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("SKIP", dev, check, fmt, ap);
    va_end(ap);
    skipped++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ioctl returning 0 or the errno */
static int ioc(int fd, unsigned long cmd, struct vpci_virt_ioc *p)
{
    return ioctl(fd, cmd, p) ? errno : 0;
}

static int read_reg(int fd, uint32_t off, uint32_t *val)
{
    struct vpci_virt_ioc p = { .offset = off };
    int e = ioc(fd, VPCI_IOC_READ_REG, &p);
    *val = p.value;
    return e;
}

static int write_reg(int fd, uint32_t off, uint32_t val)
{
    struct vpci_virt_ioc p = { .offset = off, .value = val };
    return ioc(fd, VPCI_IOC_WRITE_REG, &p);
}

/* /sys/class/vpci/<name>/<attr> as a string, "" if unreadable */
static void sysfs_attr(const char *name, const char *attr, char *buf, size_t len)
{
    char path[256];
    FILE *f;
    buf[0] = '\0';
    snprintf(path, sizeof(path), "/sys/class/vpci/%s/%s", name, attr);
    if (!(f = fopen(path, "r")))
        return;
    if (fgets(buf, (int)len, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static unsigned long irq_count(const char *name)
{
    char buf[64];
    sysfs_attr(name, "irq_count", buf, sizeof(buf));
    return strtoul(buf, NULL, 10);
}

/* 1024 random words, with the original's edge values and wrap-around */
static void fill(uint32_t *w)
{
    for (unsigned i = 0; i < WORDS; i++)
        w[i] = rnd();
    w[0] = 0x7fffffff;
    w[1] = 0x3fffffff;
    w[2] = 0xffffffff;
    w[3] = 0x80000000;
    w[WORDS - 1] = 0;
}

static void check_mul(int fd, const char *dev, bool mul4)
{
    const char *check = mul4 ? "mul4" : "mul2";
    uint32_t factor = mul4 ? 4 : 2;
    static uint32_t in[WORDS], out[WORDS];
    struct vpci_virt_ioc p = { .count = WORDS };
    unsigned bad = 0, first = 0;
    char dma[128];
    int e;

    fill(in);
    memset(out, 0xa5, sizeof(out));
    p.in = (uintptr_t)in;
    p.out = (uintptr_t)out;
    e = ioc(fd, mul4 ? VPCI_IOC_KICK_MUL4 : VPCI_IOC_KICK_MUL2, &p);
    if (e) {
        fail(dev, check, "ioctl: %s (status 0x%x, error %u)", strerror(e),
             p.status, p.error);
        return;
    }
    for (unsigned i = 0; i < WORDS; i++)
        if (out[i] != (uint32_t)(in[i] * factor) && !bad++)
            first = i;
    sysfs_attr(dev, "dma_last", dma, sizeof(dma));
    if (bad)
        fail(dev, check, "%u of %u words wrong, first [%u]: 0x%08x * %u -> 0x%08x",
             bad, WORDS, first, in[first], factor, out[first]);
    else
        pass(dev, check, "%u words x%u, 0x%08x -> 0x%08x, status 0x%x, DMA %s",
             WORDS, factor, in[2], out[2], p.status, dma);
}

static void check_unbind(int fd, const char *dev, const char *path);

/*
 * Several processes (each its own open file) drive the same device at
 * once: the driver serialises the jobs and every result must be right.
 */
#define CONC_PROCS 3
#define CONC_JOBS 40
static void check_concurrent(const char *dev, const char *path)
{
    pid_t pids[CONC_PROCS];
    unsigned ok = 0;
    double t0 = now();

    fflush(stdout);
    for (unsigned k = 0; k < CONC_PROCS; k++) {
        pids[k] = fork();
        if (pids[k] < 0) {
            fail(dev, "concurrent", "fork: %s", strerror(errno));
            return;
        }
        if (pids[k] == 0) {
            static uint32_t in[256], out[256];
            int fd = open(path, O_RDWR), bad = fd < 0;
            rng_state = 0x9e3779b97f4a7c15ull * (k + 1);
            for (unsigned j = 0; j < CONC_JOBS && !bad; j++) {
                bool mul4 = (j + k) & 1;
                struct vpci_virt_ioc p = { .count = 256 };
                for (unsigned i = 0; i < 256; i++)
                    in[i] = rnd();
                p.in = (uintptr_t)in;
                p.out = (uintptr_t)out;
                if (ioc(fd, mul4 ? VPCI_IOC_KICK_MUL4 : VPCI_IOC_KICK_MUL2, &p))
                    bad = 1;
                for (unsigned i = 0; i < 256 && !bad; i++)
                    if (out[i] != (uint32_t)(in[i] * (mul4 ? 4u : 2u)))
                        bad = 1;
            }
            _exit(bad);
        }
    }
    for (unsigned k = 0; k < CONC_PROCS; k++) {
        int st;
        if (waitpid(pids[k], &st, 0) == pids[k] && WIFEXITED(st) && !WEXITSTATUS(st))
            ok++;
    }
    if (ok == CONC_PROCS)
        pass(dev, "concurrent", "%u processes x %u MUL2/MUL4 jobs, all right, in %.2f s",
             CONC_PROCS, CONC_JOBS, now() - t0);
    else
        fail(dev, "concurrent", "%u of %u processes saw an error or a wrong result",
             CONC_PROCS - ok, CONC_PROCS);
}

static void run_device(const char *path, const char *want_mode)
{
    const char *dev = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct vpci_virt_ioc p;
    uint32_t v;
    int fd, e;

    fd = open(path, O_RDWR);
    if (fd < 0) {
        fail(dev, "open", "%s: %s", path, strerror(errno));
        return;
    }
    pass(dev, "open", "%s", path);

    if (want_mode) {
        char mode[32];
        sysfs_attr(dev, "irq_mode", mode, sizeof(mode));
        if (strcmp(mode, want_mode))
            fail(dev, "irq-mode", "driver uses '%s', expected '%s'", mode, want_mode);
        else
            pass(dev, "irq-mode", "%s", mode);
    }

    /* 1. VERSION */
    memset(&p, 0, sizeof(p));
    e = ioc(fd, VPCI_IOC_GET_VERSION, &p);
    if (e)
        fail(dev, "version", "ioctl: %s", strerror(e));
    else if (p.value != VPCI_VIRT_VERSION)
        fail(dev, "version", "0x%08x, expected 0x%08x", p.value, VPCI_VIRT_VERSION);
    else
        pass(dev, "version", "0x%08x", p.value);

    /* 2. DOINT returns, and an interrupt was taken */
    {
        unsigned long before = irq_count(dev), after;
        double t0 = now();
        memset(&p, 0, sizeof(p));
        e = ioc(fd, VPCI_IOC_DOINT, &p);
        after = irq_count(dev);
        if (e)
            fail(dev, "doint", "ioctl: %s", strerror(e));
        else if (after <= before)
            fail(dev, "doint", "returned but irq_count stayed %lu", after);
        else
            pass(dev, "doint", "interrupt taken (irq_count %lu -> %lu) in %.3f s",
                 before, after, now() - t0);
    }

    /* 3. register write / read-back, 0x00..0x1C (the original's values) */
    {
        static const uint32_t expect[8] = {
            VPCI_VIRT_VERSION, VPCI_VIRT_WO_READ, 0, 0x40,
            0x50, 0x60, 0x70, VPCI_VIRT_WO_READ,
        };
        unsigned bad = 0;
        for (uint32_t i = 0; i < 8; i++) {
            uint32_t off = 4 * i;
            if ((e = write_reg(fd, off, i * 16 + 16)) || (e = read_reg(fd, off, &v))) {
                fail(dev, "registers", "0x%02x: ioctl: %s", off, strerror(e));
                bad++;
                break;
            }
            if (v != expect[i]) {
                printf("     reg 0x%02x: wrote 0x%08x, read 0x%08x, expected 0x%08x\n",
                       off, i * 16 + 16, v, expect[i]);
                bad++;
            }
        }
        if (!bad)
            pass(dev, "registers", "0x00..0x1c read back as expected "
                 "(VERSION kept, CTRL/INT_CLEAR 0x%08x)", VPCI_VIRT_WO_READ);
        else if (!e)
            fail(dev, "registers", "%u registers differ", bad);
    }

    /* SCRATCH 0x20..0xFC reads back (not in the original app) */
    {
        unsigned bad = 0;
        for (uint32_t off = VPCI_VIRT_REG_SCRATCH; off <= 0xfc && !bad; off += 4) {
            uint32_t w = 0xc0de0000u | off;
            if (write_reg(fd, off, w) || read_reg(fd, off, &v) || v != w)
                bad++;
        }
        if (bad)
            fail(dev, "scratch", "0x20..0xfc do not read back");
        else
            pass(dev, "scratch", "56 registers 0x20..0xfc read back");
    }

    /* 4. soft reset */
    memset(&p, 0, sizeof(p));
    if ((e = ioc(fd, VPCI_IOC_RESET, &p))) {
        fail(dev, "reset", "ioctl: %s", strerror(e));
    } else {
        static const struct { uint32_t off, val; } after[] = {
            { VPCI_VIRT_REG_INT_MASK, 0xffffffff },
            { VPCI_VIRT_REG_DMA_SRC, 0 },
            { VPCI_VIRT_REG_DMA_DST, 0 },
            { VPCI_VIRT_REG_DMA_SIZE, 0 },
            { VPCI_VIRT_REG_SCRATCH, 0 },
        };
        unsigned bad = 0;
        for (unsigned i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
            if ((e = read_reg(fd, after[i].off, &v)) || v != after[i].val) {
                printf("     reg 0x%02x: 0x%08x, expected 0x%08x\n", after[i].off, v,
                       after[i].val);
                bad++;
            }
        }
        if (bad)
            fail(dev, "reset", "%u registers not at their reset value", bad);
        else
            pass(dev, "reset", "INT_MASK 0xffffffff, DMA_SRC/DST/SIZE 0");
    }

    /* 5, 6. MUL2 (coherent, in place), MUL4 (streaming) */
    check_mul(fd, dev, false);
    check_mul(fd, dev, true);

    /* error paths the fixed driver adds */
    {
        static uint32_t in[WORDS + 1], out[WORDS + 1];
        double t0 = now();
        memset(&p, 0, sizeof(p));
        p.in = (uintptr_t)in;
        p.out = (uintptr_t)out;
        p.count = WORDS + 1;
        e = ioc(fd, VPCI_IOC_KICK_MUL2, &p);
        if (e == EINVAL)
            pass(dev, "mul-oversize", "%u words: EINVAL in %.3f s", WORDS + 1, now() - t0);
        else
            fail(dev, "mul-oversize", "%u words: %s, expected EINVAL", WORDS + 1,
                 e ? strerror(e) : "success");

        p.count = 0;
        e = ioc(fd, VPCI_IOC_KICK_MUL4, &p);
        if (e == EINVAL)
            pass(dev, "mul-empty", "0 words: EINVAL");
        else
            fail(dev, "mul-empty", "0 words: %s, expected EINVAL", e ? strerror(e) : "success");

        p.count = 16;
        p.in = 8;   /* not a user address */
        e = ioc(fd, VPCI_IOC_KICK_MUL4, &p);
        p.in = (uintptr_t)in;
        if (e == EFAULT)
            pass(dev, "mul-efault", "bad input pointer: EFAULT");
        else
            fail(dev, "mul-efault", "bad input pointer: %s, expected EFAULT",
                 e ? strerror(e) : "success");

        /* the device's own check: DMA_SIZE 4100 -> done + ERROR, ERR_SIZE */
        p.count = WORDS + 1;
        p.flags = VPCI_VIRT_MUL_DEVICE_SIZE;
        t0 = now();
        e = ioc(fd, VPCI_IOC_KICK_MUL2, &p);
        if (e == EPERM)
            skip(dev, "device-error", "needs vpci_virt test_hooks=1");
        else if (e == EIO && p.error == VPCI_VIRT_ERR_SIZE &&
                 (p.status & (VPCI_VIRT_INT_MUL2 | VPCI_VIRT_INT_ERROR)) ==
                     (VPCI_VIRT_INT_MUL2 | VPCI_VIRT_INT_ERROR))
            pass(dev, "device-error", "DMA_SIZE %u: EIO, status 0x%x, ERROR_CODE %u "
                 "(ERR_SIZE), in %.3f s", 4 * (WORDS + 1), p.status, p.error, now() - t0);
        else
            fail(dev, "device-error", "DMA_SIZE %u: %s, status 0x%x, error %u; "
                 "expected EIO, MUL2|ERROR, ERR_SIZE", 4 * (WORDS + 1),
                 e ? strerror(e) : "success", p.status, p.error);
        p.flags = 0;

        /* bus mastering off while the job is kicked: ERR_MASTER; with
         * MSI the device holds the message until mastering is back */
        memset(&p, 0, sizeof(p));
        p.in = (uintptr_t)in;
        p.out = (uintptr_t)out;
        p.count = 16;
        p.flags = VPCI_VIRT_MUL_NO_MASTER;
        e = ioc(fd, VPCI_IOC_KICK_MUL4, &p);
        if (e == EPERM)
            skip(dev, "bus-master", "needs vpci_virt test_hooks=1");
        else if (e == EIO && p.error == VPCI_VIRT_ERR_MASTER &&
                 (p.status & (VPCI_VIRT_INT_MUL4 | VPCI_VIRT_INT_ERROR)) ==
                     (VPCI_VIRT_INT_MUL4 | VPCI_VIRT_INT_ERROR))
            pass(dev, "bus-master", "MUL4 with Bus Master Enable off: EIO, status 0x%x, "
                 "ERROR_CODE %u (ERR_MASTER); the interrupt still came", p.status, p.error);
        else
            fail(dev, "bus-master", "MUL4 with Bus Master Enable off: %s, status 0x%x, "
                 "error %u; expected EIO, MUL4|ERROR, ERR_MASTER",
                 e ? strerror(e) : "success", p.status, p.error);
    }

    /*
     * behind an IOMMU: a source bus address the kernel never mapped.  One
     * word per job: one DMA access, so one fault each (QEMU's SMMUv3
     * records an event per access, and arm-smmu-v3 logs at most ten events
     * in five seconds: the write's must not be lost behind the read's).
     */
    {
        char type[32], path[160];
        static uint32_t in[1], out[1];
        snprintf(path, sizeof(path), "device/iommu_group/type");
        sysfs_attr(dev, path, type, sizeof(type));
        if (strncmp(type, "DMA", 3)) {
            memset(&p, 0, sizeof(p));
            p.in = (uintptr_t)in;
            p.out = (uintptr_t)out;
            p.count = 1;
            p.flags = VPCI_VIRT_MUL_FAULT_DST;
            e = ioc(fd, VPCI_IOC_KICK_MUL2, &p);
            if (e == EOPNOTSUPP)
                skip(dev, "iommu-fault", "no translating IOMMU (iommu_group type '%s'); "
                     "the driver refuses the hook: EOPNOTSUPP", type);
            else
                fail(dev, "iommu-fault", "no translating IOMMU, fault hook: %s, expected "
                     "EOPNOTSUPP", e ? strerror(e) : "success");
        } else {
            memset(&p, 0, sizeof(p));
            p.in = (uintptr_t)in;
            p.out = (uintptr_t)out;
            p.count = 1;
            p.flags = VPCI_VIRT_MUL_FAULT_SRC;
            e = ioc(fd, VPCI_IOC_KICK_MUL4, &p);
            struct vpci_virt_ioc q = p;
            q.flags = VPCI_VIRT_MUL_FAULT_DST;
            int e2 = e == EPERM ? EPERM : ioc(fd, VPCI_IOC_KICK_MUL2, &q);
            if (e == EPERM)
                skip(dev, "iommu-fault", "needs vpci_virt test_hooks=1");
            else if (e == EIO && p.error == VPCI_VIRT_ERR_SRC &&
                     p.error_addr == VPCI_VIRT_FAULT_ADDR && e2 == EIO &&
                     q.error == VPCI_VIRT_ERR_DST && q.error_addr == VPCI_VIRT_FAULT_ADDR)
                pass(dev, "iommu-fault", "IOMMU (%s) blocked DMA_SRC and DMA_DST 0x%x: EIO, "
                     "ERR_SRC / ERR_DST at 0x%x, status 0x%x / 0x%x", type,
                     VPCI_VIRT_FAULT_ADDR, p.error_addr, p.status, q.status);
            else
                fail(dev, "iommu-fault", "DMA_SRC 0x%x: %s, error %u at 0x%x; DMA_DST: %s, "
                     "error %u at 0x%x; expected EIO, ERR_SRC / ERR_DST",
                     VPCI_VIRT_FAULT_ADDR, e ? strerror(e) : "success", p.error,
                     p.error_addr, e2 ? strerror(e2) : "success", q.error, q.error_addr);
        }
    }

    {
        int e1 = read_reg(fd, 0x200, &v), e2 = read_reg(fd, 0x2, &v);
        int e3 = write_reg(fd, 0x200, 0);
        if (e1 == EINVAL && e2 == EINVAL && e3 == EINVAL)
            pass(dev, "bad-offset", "READ_REG 0x200, 0x2 and WRITE_REG 0x200: EINVAL");
        else
            fail(dev, "bad-offset", "%s / %s / %s, expected EINVAL", strerror(e1),
                 strerror(e2), strerror(e3));
    }

    if ((e = ioc(fd, _IOWR(VPCI_IOC_TYPE, 99, struct vpci_virt_ioc), &p)) == ENOTTY)
        pass(dev, "bad-ioctl", "unknown command: ENOTTY");
    else
        fail(dev, "bad-ioctl", "unknown command: %s, expected ENOTTY",
             e ? strerror(e) : "success");

    check_concurrent(dev, path);

    /* INT_MASK cleared: the job's interrupt never comes -> ETIMEDOUT, then
     * the driver's recovery reset leaves a working device */
    {
        static uint32_t in[16], out[16];
        double t0, dt;
        for (unsigned i = 0; i < 16; i++)
            in[i] = i;
        memset(&p, 0, sizeof(p));
        p.in = (uintptr_t)in;
        p.out = (uintptr_t)out;
        p.count = 16;
        if ((e = write_reg(fd, VPCI_VIRT_REG_INT_MASK, 0))) {
            fail(dev, "timeout", "WRITE_REG INT_MASK: %s", strerror(e));
        } else {
            t0 = now();
            e = ioc(fd, VPCI_IOC_KICK_MUL2, &p);
            dt = now() - t0;
            if (e == ETIMEDOUT)
                pass(dev, "timeout", "MUL2 with INT_MASK 0: ETIMEDOUT after %.2f s", dt);
            else
                fail(dev, "timeout", "MUL2 with INT_MASK 0: %s after %.2f s, expected "
                     "ETIMEDOUT", e ? strerror(e) : "success", dt);
            memset(out, 0, sizeof(out));
            e = ioc(fd, VPCI_IOC_KICK_MUL2, &p);
            if (!e && out[15] == 30 && !read_reg(fd, VPCI_VIRT_REG_INT_MASK, &v) &&
                v == 0xffffffff)
                pass(dev, "recovery", "after the timeout: INT_MASK 0x%08x, MUL2 works", v);
            else
                fail(dev, "recovery", "after the timeout: %s, out[15] %u",
                     e ? strerror(e) : "ok", out[15]);
        }
    }

    check_unbind(fd, dev, path);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY), e = 0;
    if (fd < 0)
        return errno;
    if (write(fd, text, strlen(text)) < 0)
        e = errno;
    close(fd);
    return e;
}

/*
 * Clean remove: unbind the PCI device from vpci_virt while @fd is open
 * (the open file must then get ENODEV and /dev/NAME must go), close it,
 * bind the device again and drive it through a new open.  Closes @fd.
 */
static void check_unbind(int fd, const char *dev, const char *path)
{
    static const char drv[] = "/sys/bus/pci/drivers/vpci_virt";
    char link[256], sys[160];
    const char *bdf;
    struct vpci_virt_ioc p = { 0 };
    ssize_t n;
    int e, e2, fd2;

    snprintf(sys, sizeof(sys), "/sys/class/vpci/%s/device", dev);
    n = readlink(sys, link, sizeof(link) - 1);
    if (n <= 0) {
        close(fd);
        skip(dev, "unbind", "no %s", sys);
        return;
    }
    link[n] = '\0';
    bdf = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;

    snprintf(sys, sizeof(sys), "%s/unbind", drv);
    if ((e = write_file(sys, bdf))) {
        close(fd);
        fail(dev, "unbind", "write %s to %s: %s", bdf, sys, strerror(e));
        return;
    }
    e = ioc(fd, VPCI_IOC_GET_VERSION, &p);
    e2 = access(path, F_OK) ? errno : 0;
    close(fd);
    snprintf(sys, sizeof(sys), "%s/bind", drv);
    int eb = write_file(sys, bdf);
    if (e != ENODEV || e2 != ENOENT || eb) {
        fail(dev, "unbind", "open file after unbind: %s (expected ENODEV); %s after "
             "unbind: %s (expected ENOENT); bind again: %s", e ? strerror(e) : "success",
             path, e2 ? strerror(e2) : "exists", eb ? strerror(eb) : "ok");
        return;
    }
    fd2 = open(path, O_RDWR);
    if (fd2 < 0) {
        fail(dev, "unbind", "%s after bind: %s", path, strerror(errno));
        return;
    }
    memset(&p, 0, sizeof(p));
    e = ioc(fd2, VPCI_IOC_GET_VERSION, &p);
    e2 = ioc(fd2, VPCI_IOC_DOINT, &p);
    close(fd2);
    if (e || p.value != VPCI_VIRT_VERSION || e2)
        fail(dev, "unbind", "after bind: GET_VERSION %s 0x%08x, DOINT %s",
             e ? strerror(e) : "ok", p.value, e2 ? strerror(e2) : "ok");
    else
        pass(dev, "unbind", "%s unbound with the file open: ENODEV, %s gone; bound "
             "again: VERSION and DOINT work", bdf, path);
}

/* "DEV[:MODE]" */
static unsigned ndev;
static void run_spec(char *spec)
{
    char *colon = strchr(spec, ':');
    if (colon)
        *colon++ = '\0';
    ndev++;
    run_device(spec, colon && *colon ? colon : NULL);
}

static int cmp_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "s:h")) != -1) {
        switch (opt) {
        case 's':
            rng_state = strtoull(optarg, NULL, 0) | 1;
            break;
        default:
            fprintf(stderr, "usage: %s [-s SEED] [DEV[:intx|msi|msix][,...]]...\n",
                    argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("vpci-app: seed 0x%" PRIx64 "\n", rng_state);

    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            for (char *save = NULL, *s = strtok_r(argv[i], ",", &save); s;
                 s = strtok_r(NULL, ",", &save))
                run_spec(s);
    } else {
        char *names[64];
        unsigned n = 0;
        DIR *d = opendir("/dev");
        struct dirent *de;
        while (d && (de = readdir(d)) && n < 64)
            if (!strncmp(de->d_name, "vpci", 4) && de->d_name[4] >= '0' &&
                de->d_name[4] <= '9')
                names[n++] = strdup(de->d_name);
        if (d)
            closedir(d);
        qsort(names, n, sizeof(names[0]), cmp_names);
        for (unsigned i = 0; i < n; i++) {
            char path[300];
            snprintf(path, sizeof(path), "/dev/%s", names[i]);
            run_spec(path);
            free(names[i]);
        }
    }
    if (!ndev)
        fail("-", "devices", "no /dev/vpciN (is vpci_virt loaded and a 1234:0001 present?)");
    printf("vpci-app: SUMMARY %u passed, %u failed, %u skipped on %u device%s: %s\n",
           passed, failed, skipped, ndev, ndev == 1 ? "" : "s",
           failed ? "FAILED" : "ALL PASSED");
    return failed ? 1 : 0;
}
