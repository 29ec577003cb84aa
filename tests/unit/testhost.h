/* SPDX-License-Identifier: MIT */
/*
 * A test double for the host services: flat RAM from bus address 0 with
 * injectable faults, INTx and MSI capture, a virtual clock with timers,
 * and captured log lines.  Shared by the unit tests.
 */
#ifndef VPCI_TESTHOST_H
#define VPCI_TESTHOST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <vpci/vpci.h>

#define TESTHOST_MAX_MSI 4096
#define TESTHOST_MAX_TIMERS 32
#define TESTHOST_MAX_LOG 64
#define TESTHOST_MAX_FAULTS 8

struct testhost_msi {
    uint64_t addr;
    uint32_t data;
};

struct testhost {
    uint8_t *ram;
    uint64_t ram_size;
    struct { uint64_t addr, len; int err; } faults[TESTHOST_MAX_FAULTS];
    unsigned nfaults;
    unsigned dma_calls;          /* host dma_rw calls (one per page chunk) */
    bool dma_translated;         /* what dma_translated answers */
    uint64_t dma_bytes;

    bool intx;                   /* INTx level as last driven */
    unsigned intx_rises, intx_falls;

    struct testhost_msi msi[TESTHOST_MAX_MSI];
    unsigned nmsi;

    uint64_t now;
    struct { struct vpci_timer *t; uint64_t deadline; } timers[TESTHOST_MAX_TIMERS];
    unsigned ntimers;
    unsigned timer_fires;

    char log[TESTHOST_MAX_LOG][256];
    unsigned nlog, warnings, errors;
    bool echo_log;               /* also print lines (debugging) */
};

extern const struct vpci_host_ops testhost_ops;

struct testhost *testhost_new(uint64_t ram_size);
void testhost_free(struct testhost *h);
/* Make DMA to [addr, addr+len) fail with -err (e.g. EFAULT, EACCES). */
void testhost_add_fault(struct testhost *h, uint64_t addr, uint64_t len, int err);
/* Advance the virtual clock by @ns, firing due timers in deadline order. */
void testhost_advance(struct testhost *h, uint64_t ns);
/* Was a line containing @needle logged? */
bool testhost_logged(const struct testhost *h, const char *needle);
void testhost_clear_log(struct testhost *h);

/*
 * Create a function whose init() is @build (a test's builder), plugged
 * into @h (NULL: unplugged).  Returns what vpci_dev_create() returns.
 */
typedef int (*testhost_build_fn)(struct vpci_dev *dev);
int testhost_create(struct testhost *h, testhost_build_fn build,
                    struct vpci_dev **out);

/* Program BAR @bar at @addr and set @command bits (e.g. MEM|MASTER). */
void testhost_map_bar(struct vpci_dev *dev, unsigned bar, uint64_t addr);
void testhost_command(struct vpci_dev *dev, uint16_t bits);

/*
 * Where firmware (testhost_place_bar) puts BAR n: memory BARs at
 * TESTHOST_MMIO_BASE + n * 16 MiB, IO BARs at TESTHOST_IO_BASE + n * 1 KiB.
 * A BAR larger than its window fails the test.
 */
#define TESTHOST_MMIO_BASE 0xe0000000u
#define TESTHOST_MMIO_STRIDE (16u << 20)
#define TESTHOST_IO_BASE 0xc000u
#define TESTHOST_IO_STRIDE 0x400u

/* Program implemented BAR @bar (0..5) at its address above. */
void testhost_place_bar(struct vpci_dev *dev, unsigned bar);

/*
 * Create registry model @model with @props plugged into @h (asserting
 * success), place every implemented BAR and set COMMAND IO|MEM|MASTER,
 * the way firmware would.
 */
struct vpci_dev *testhost_model(struct testhost *h, const char *model,
                                const char *props);

/* Set every RAM byte to @pattern(its address). */
void testhost_fill(struct testhost *h, uint8_t (*pattern)(uint64_t addr));

/* Program the 64-bit MSI capability at @cap with @addr / @data and enable
 * it (one vector), asserting the function is then in MSI mode. */
void testhost_enable_msi(struct vpci_dev *dev, unsigned cap, uint64_t addr,
                         uint16_t data);

/* An access of @len bytes at @off in BAR @bar, asserted to return 0. */
uint64_t testhost_bar_rd(struct vpci_dev *dev, unsigned bar, uint64_t off,
                         unsigned len);
void testhost_bar_wr(struct vpci_dev *dev, unsigned bar, uint64_t off,
                     unsigned len, uint64_t val);

/*
 * A model test's fixture: a host with @ram_size bytes of (zeroed) RAM,
 * testhost_model(@model, @props) on it, and @snap, @ram_size bytes for a
 * copy of RAM.
 */
struct model_fixture {
    struct testhost *h;
    struct vpci_dev *dev;
    uint8_t *snap;
};

struct model_fixture *model_fixture_new(const char *model, const char *props,
                                        uint64_t ram_size);
void model_fixture_free(struct model_fixture *f);
/* The same around a function built by @build (testhost_create). */
struct model_fixture *model_fixture_build(testhost_build_fn build,
                                          uint64_t ram_size);
/* A cmocka teardown for a model_fixture in *@state. */
int model_fixture_teardown(void **state);

#endif
