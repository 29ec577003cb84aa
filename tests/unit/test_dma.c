/* SPDX-License-Identifier: MIT */
/*
 * DMA helpers (libvpci/dma.c): bus master gating, the DMA address mask,
 * page splitting, faults that stop a transfer at the page that faulted,
 * scatter-gather lists, and a function with no host.
 *
 * Every test runs a real function on the test host: 64 KiB of RAM from bus
 * address 0, faults injected per range, and a count of dma_rw() calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/pci_regs.h>
#include <vpci/vpci.h>

#include "testhost.h"

#define RAM_SIZE 0x10000u

struct fixture {
    struct testhost *h;
    struct vpci_dev *dev;
};

static int build(struct vpci_dev *dev)
{
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0xd0a0, .class_code = 0xff0000,
    };
    return vpci_dev_set_identity(dev, &id);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->h = testhost_new(RAM_SIZE);
    assert_int_equal(testhost_create(f->h, build, &f->dev), 0);
    testhost_command(f->dev, PCI_COMMAND_MASTER);
    /* RAM holds its own address's low byte: easy to check what moved. */
    for (unsigned i = 0; i < RAM_SIZE; i++)
        f->h->ram[i] = (uint8_t)(i * 7 + 3);
    f->h->dma_calls = 0;
    testhost_clear_log(f->h);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vpci_dev_destroy(f->dev);
    testhost_free(f->h);
    free(f);
    return 0;
}

static uint8_t ram_pattern(uint64_t addr)
{
    return (uint8_t)(addr * 7 + 3);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != v)
            return false;
    return true;
}

/* ---- bus master, arguments, no host ---- */

static void dma_is_refused_while_bus_master_is_off(void **state)
{
    struct fixture *f = *state;
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, 0, NULL);
    uint8_t buf[64];
    memset(buf, 0xaa, sizeof(buf));
    size_t done = 99;
    assert_int_equal(vpci_dma_read(f->dev, 0x100, buf, sizeof(buf), &done),
                     -EPERM);
    assert_int_equal(done, 0);
    assert_true(all_bytes(buf, sizeof(buf), 0xaa));
    done = 99;
    assert_int_equal(vpci_dma_write(f->dev, 0x100, buf, sizeof(buf), &done),
                     -EPERM);
    assert_int_equal(done, 0);
    assert_int_equal(f->h->ram[0x100], ram_pattern(0x100));
    assert_int_equal(f->h->dma_calls, 0);
    assert_true(testhost_logged(f->h, "bus master is off"));

    /* Turning it on is all it takes. */
    testhost_command(f->dev, PCI_COMMAND_MASTER);
    assert_int_equal(vpci_dma_read(f->dev, 0x100, buf, sizeof(buf), &done), 0);
    assert_int_equal(done, sizeof(buf));
}

static void zero_length_moves_nothing_and_succeeds(void **state)
{
    struct fixture *f = *state;
    size_t done = 99;
    assert_int_equal(vpci_dma_read(f->dev, 0x100, NULL, 0, &done), 0);
    assert_int_equal(done, 0);
    assert_int_equal(vpci_dma_write(f->dev, UINT64_MAX, NULL, 0, NULL), 0);
    assert_int_equal(f->h->dma_calls, 0);
}

static void null_device_or_buffer_is_einval(void **state)
{
    struct fixture *f = *state;
    uint8_t b;
    size_t done = 5;
    assert_int_equal(vpci_dma_read(NULL, 0, &b, 1, &done), -EINVAL);
    assert_int_equal(done, 0);
    assert_int_equal(vpci_dma_read(f->dev, 0, NULL, 1, NULL), -EINVAL);
    assert_int_equal(vpci_dma_write(f->dev, 0, NULL, 1, NULL), -EINVAL);
    assert_int_equal(f->h->dma_calls, 0);
}

static void unplugged_function_gets_enodev(void **state)
{
    (void)state;
    struct vpci_dev *dev;
    assert_int_equal(testhost_create(NULL, build, &dev), 0);
    testhost_command(dev, PCI_COMMAND_MASTER);
    uint8_t buf[8] = { 0 };
    size_t done = 3;
    assert_int_equal(vpci_dma_read(dev, 0, buf, sizeof(buf), &done), -ENODEV);
    assert_int_equal(done, 0);
    assert_int_equal(vpci_dma_write(dev, 0, buf, sizeof(buf), NULL), -ENODEV);
    struct vpci_sg sg = { 0, 8 };
    assert_int_equal(vpci_dma_read_sg(dev, &sg, 1, buf, 8, NULL), -ENODEV);
    vpci_dev_destroy(dev);
}

/* ---- page splitting ---- */

static void transfer_is_split_at_every_4k_boundary(void **state)
{
    struct fixture *f = *state;
    enum { LEN = 10000 };
    uint8_t *buf = malloc(LEN);
    assert_non_null(buf);
    size_t done = 0;
    /* 0xF00..0x1000, two full pages, then 0x3000..0x3610: 4 pieces. */
    assert_int_equal(vpci_dma_read(f->dev, 0xF00, buf, LEN, &done), 0);
    assert_int_equal(done, LEN);
    assert_int_equal(f->h->dma_calls, 4);
    for (size_t i = 0; i < LEN; i++)
        assert_int_equal(buf[i], ram_pattern(0xF00 + i));

    for (size_t i = 0; i < LEN; i++)
        buf[i] = (uint8_t)~i;
    f->h->dma_calls = 0;
    assert_int_equal(vpci_dma_write(f->dev, 0xF00, buf, LEN, &done), 0);
    assert_int_equal(done, LEN);
    assert_int_equal(f->h->dma_calls, 4);
    assert_memory_equal(f->h->ram + 0xF00, buf, LEN);
    assert_int_equal(f->h->ram[0xEFF], ram_pattern(0xEFF));
    assert_int_equal(f->h->ram[0xF00 + LEN], ram_pattern(0xF00 + LEN));
    free(buf);
}

static void pieces_never_cross_a_page(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[VPCI_DMA_PAGE_SIZE + 2];
    static const struct {
        uint64_t addr;
        size_t len;
        unsigned calls;
    } cases[] = {
        { 0x1000, VPCI_DMA_PAGE_SIZE, 1 },     /* exactly one page */
        { 0x1FFF, 1, 1 },                      /* last byte of a page */
        { 0x1FFF, 2, 2 },                      /* straddles */
        { 0x1001, VPCI_DMA_PAGE_SIZE, 2 },
        { 0x1000, VPCI_DMA_PAGE_SIZE + 1, 2 },
        { 0x0FFF, VPCI_DMA_PAGE_SIZE + 2, 3 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f->h->dma_calls = 0;
        size_t done = 0;
        assert_int_equal(vpci_dma_read(f->dev, cases[i].addr, buf,
                                       cases[i].len, &done), 0);
        assert_int_equal(done, cases[i].len);
        assert_int_equal(f->h->dma_calls, cases[i].calls);
    }
}

/* ---- faults ---- */

/* A read of 0x2000 bytes from 0x2F00 whose second page (0x3000) faults. */
static void read_fault(struct fixture *f, int err)
{
    testhost_add_fault(f->h, 0x3000, 1, err);
    enum { LEN = 0x2000 };
    uint8_t buf[LEN];
    memset(buf, 0xaa, sizeof(buf));
    size_t done = 99;
    assert_int_equal(vpci_dma_read(f->dev, 0x2F00, buf, LEN, &done), -err);
    /* The piece before the fault moved ... */
    assert_int_equal(done, 0x100);
    for (size_t i = 0; i < 0x100; i++)
        assert_int_equal(buf[i], ram_pattern(0x2F00 + i));
    /* ... nothing at or after it, and the transfer stopped there. */
    assert_true(all_bytes(buf + 0x100, LEN - 0x100, 0xaa));
    assert_int_equal(f->h->dma_calls, 2);
}

static void read_fault_stops_at_the_page_with_efault(void **state)
{
    read_fault(*state, EFAULT);
}

static void read_fault_stops_at_the_page_with_eacces(void **state)
{
    read_fault(*state, EACCES);
}

static void read_fault_stops_at_the_page_with_erange(void **state)
{
    read_fault(*state, ERANGE);
}

static void write_fault_leaves_memory_at_and_after_it_untouched(void **state)
{
    struct fixture *f = *state;
    testhost_add_fault(f->h, 0x4000, VPCI_DMA_PAGE_SIZE, EACCES);
    enum { LEN = 0x2800 };
    uint8_t buf[LEN];
    memset(buf, 0x5a, sizeof(buf));
    size_t done = 0;
    /* 0x2C00..0x3000, 0x3000..0x4000 go; 0x4000 faults; 0x5000.. untried */
    assert_int_equal(vpci_dma_write(f->dev, 0x2C00, buf, LEN, &done),
                     -EACCES);
    assert_int_equal(done, 0x1400);
    assert_true(all_bytes(f->h->ram + 0x2C00, 0x1400, 0x5a));
    for (uint64_t a = 0x4000; a < 0x2C00 + LEN + 16; a++)
        assert_int_equal(f->h->ram[a], ram_pattern(a));
    assert_int_equal(f->h->ram[0x2BFF], ram_pattern(0x2BFF));
    assert_int_equal(f->h->dma_calls, 3);
}

static void fault_on_the_first_page_moves_nothing(void **state)
{
    struct fixture *f = *state;
    testhost_add_fault(f->h, 0x6000, 1, EFAULT);
    uint8_t buf[16];
    size_t done = 7;
    assert_int_equal(vpci_dma_write(f->dev, 0x6000, buf, sizeof(buf), &done),
                     -EFAULT);
    assert_int_equal(done, 0);
    assert_int_equal(f->h->ram[0x6000], ram_pattern(0x6000));
}

static void address_beyond_host_memory_is_the_hosts_efault(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[0x200];
    size_t done = 0;
    /* RAM ends at 0x10000: the first piece moves, the next faults. */
    assert_int_equal(vpci_dma_read(f->dev, RAM_SIZE - 0x100, buf, sizeof(buf),
                                   &done),
                     -EFAULT);
    assert_int_equal(done, 0x100);
}

static void fault_is_logged_with_address_and_errno_name(void **state)
{
    struct fixture *f = *state;
    testhost_add_fault(f->h, 0x3000, 1, EACCES);
    uint8_t buf[0x200];
    assert_int_equal(vpci_dma_read(f->dev, 0x2F00, buf, sizeof(buf), NULL),
                     -EACCES);
    assert_true(f->h->warnings >= 1);
    assert_true(testhost_logged(f->h, "0x3000"));
    assert_true(testhost_logged(f->h, "EACCES"));
}

static void tracing_logs_each_transfer(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[4];
    assert_int_equal(vpci_dma_read(f->dev, 0x10, buf, sizeof(buf), NULL), 0);
    assert_false(testhost_logged(f->h, "dma read"));
    vpci_dev_set_trace(f->dev, true);
    assert_int_equal(vpci_dma_read(f->dev, 0x10, buf, sizeof(buf), NULL), 0);
    assert_int_equal(vpci_dma_write(f->dev, 0x20, buf, sizeof(buf), NULL), 0);
    assert_true(testhost_logged(f->h, "dma read 0x10"));
    assert_true(testhost_logged(f->h, "dma write 0x20"));
    const struct vpci_sg sg[] = { { 0x30, 2 }, { 0x40, 2 } };
    assert_int_equal(vpci_dma_write_sg(f->dev, sg, 2, buf, 4, NULL), 0);
    assert_true(testhost_logged(f->h, "dma write sg[2] len 4: 4 moved"));
    testhost_add_fault(f->h, 0x40, 1, EFAULT);
    assert_int_equal(vpci_dma_read_sg(f->dev, sg, 2, buf, 4, NULL), -EFAULT);
    assert_true(
        testhost_logged(f->h, "dma read sg[2] len 4: 2 moved, EFAULT"));
}

/* ---- DMA mask ---- */

static void mask_must_be_a_power_of_two_minus_one(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(vpci_dma_mask(f->dev), UINT64_MAX);
    assert_int_equal(vpci_dma_set_mask(f->dev, 0), -EINVAL);
    assert_int_equal(vpci_dma_set_mask(f->dev, 0xF0), -EINVAL);
    assert_int_equal(vpci_dma_set_mask(f->dev, 0x10000000), -EINVAL);
    assert_int_equal(vpci_dma_set_mask(f->dev, UINT64_MAX - 1), -EINVAL);
    assert_int_equal(vpci_dma_mask(f->dev), UINT64_MAX);
    assert_int_equal(vpci_dma_set_mask(f->dev, 1), 0);
    assert_int_equal(vpci_dma_set_mask(f->dev, 0xFFFFFFFFu), 0);
    assert_int_equal(vpci_dma_mask(f->dev), 0xFFFFFFFFu);
    assert_int_equal(vpci_dma_set_mask(f->dev, UINT64_MAX), 0);
    assert_int_equal(vpci_dma_set_mask(NULL, 1), -EINVAL);
}

static void mask_of_28_bits_refuses_what_it_cannot_address(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(vpci_dma_set_mask(f->dev, (1u << 28) - 1), 0);
    uint8_t buf[8];
    memset(buf, 0xaa, sizeof(buf));
    size_t done = 9;
    assert_int_equal(vpci_dma_read(f->dev, 0x10000000, buf, 1, &done),
                     -ERANGE);
    assert_int_equal(done, 0);
    /* The last byte would lie beyond: nothing of it moves. */
    assert_int_equal(vpci_dma_write(f->dev, 0x0FFFFFFC, buf, 8, &done),
                     -ERANGE);
    assert_int_equal(done, 0);
    assert_int_equal(f->h->dma_calls, 0);
    assert_true(testhost_logged(f->h, "DMA mask"));
    /* The top reachable byte is fine as far as the function goes. */
    assert_int_equal(vpci_dma_read(f->dev, 0x0FFFFFFF, buf, 1, &done),
                     -EFAULT);  /* ... the test host has no RAM there */
    assert_int_equal(f->h->dma_calls, 1);
    assert_int_equal(vpci_dma_read(f->dev, 0x100, buf, 8, &done), 0);
    assert_int_equal(done, 8);
}

static void range_wrapping_past_2_to_the_64_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[16];
    size_t done = 1;
    assert_int_equal(vpci_dma_read(f->dev, UINT64_MAX - 3, buf, 8, &done),
                     -ERANGE);
    assert_int_equal(done, 0);
    assert_int_equal(vpci_dma_write(f->dev, UINT64_MAX, buf, 2, &done),
                     -ERANGE);
    assert_int_equal(f->h->dma_calls, 0);
    /* The very last byte of the bus is addressable. */
    assert_int_equal(vpci_dma_read(f->dev, UINT64_MAX, buf, 1, &done),
                     -EFAULT);
    assert_int_equal(f->h->dma_calls, 1);
}

/* ---- scatter-gather ---- */

static const struct vpci_sg three[] = {
    { 0x0100, 0x10 },       /* one piece */
    { 0x1FF8, 0x20 },       /* straddles 0x2000: two pieces */
    { 0x5000, 0x1800 },     /* 0x5000..0x6000, 0x6000..0x6800 */
};
#define THREE_LEN (0x10 + 0x20 + 0x1800)

static void sg_read_gathers_the_elements_in_order(void **state)
{
    struct fixture *f = *state;
    uint8_t *buf = malloc(THREE_LEN);
    assert_non_null(buf);
    size_t done = 0;
    assert_int_equal(vpci_dma_read_sg(f->dev, three, 3, buf, THREE_LEN, &done),
                     0);
    assert_int_equal(done, THREE_LEN);
    assert_int_equal(f->h->dma_calls, 5);
    size_t pos = 0;
    for (size_t e = 0; e < 3; e++)
        for (uint64_t i = 0; i < three[e].len; i++)
            assert_int_equal(buf[pos++], ram_pattern(three[e].addr + i));
    free(buf);
}

static void sg_write_scatters_and_stops_within_the_list(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[0x40];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(0x80 + i);
    size_t done = 0;
    /* 0x10 + 0x20 + 0x10 of the third element: the list may hold more. */
    assert_int_equal(vpci_dma_write_sg(f->dev, three, 3, buf, sizeof(buf),
                                       &done),
                     0);
    assert_int_equal(done, sizeof(buf));
    assert_memory_equal(f->h->ram + 0x100, buf, 0x10);
    assert_memory_equal(f->h->ram + 0x1FF8, buf + 0x10, 0x20);
    assert_memory_equal(f->h->ram + 0x5000, buf + 0x30, 0x10);
    assert_int_equal(f->h->ram[0x5010], ram_pattern(0x5010));
}

static void sg_fault_in_the_middle_element_stops_there(void **state)
{
    struct fixture *f = *state;
    /* The second element's second page (0x2000..) faults. */
    testhost_add_fault(f->h, 0x2000, 1, EFAULT);
    uint8_t *buf = malloc(THREE_LEN);
    assert_non_null(buf);
    memset(buf, 0x3c, THREE_LEN);
    size_t done = 0;
    assert_int_equal(vpci_dma_write_sg(f->dev, three, 3, buf, THREE_LEN,
                                       &done),
                     -EFAULT);
    /* first element and the 8 bytes of the second before 0x2000 */
    assert_int_equal(done, 0x10 + 8);
    assert_true(all_bytes(f->h->ram + 0x100, 0x10, 0x3c));
    assert_true(all_bytes(f->h->ram + 0x1FF8, 8, 0x3c));
    for (uint64_t a = 0x2000; a < 0x2018; a++)
        assert_int_equal(f->h->ram[a], ram_pattern(a));
    for (uint64_t a = 0x5000; a < 0x6800; a++)
        assert_int_equal(f->h->ram[a], ram_pattern(a));
    assert_int_equal(f->h->dma_calls, 3);

    /* Gathering: the buffer beyond what moved is left alone. */
    memset(buf, 0xc3, THREE_LEN);
    f->h->dma_calls = 0;
    assert_int_equal(vpci_dma_read_sg(f->dev, three, 3, buf, THREE_LEN, &done),
                     -EFAULT);
    assert_int_equal(done, 0x18);
    assert_int_equal(buf[0x17], 0x3c);  /* what the write put there */
    assert_true(all_bytes(buf + 0x18, THREE_LEN - 0x18, 0xc3));
    free(buf);
}

static void sg_list_too_short_is_einval_with_nothing_moved(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[THREE_LEN + 1];
    memset(buf, 0x11, sizeof(buf));
    size_t done = 4;
    assert_int_equal(vpci_dma_read_sg(f->dev, three, 3, buf, sizeof(buf),
                                      &done),
                     -EINVAL);
    assert_int_equal(done, 0);
    assert_true(all_bytes(buf, sizeof(buf), 0x11));
    assert_int_equal(vpci_dma_write_sg(f->dev, three, 2, buf, THREE_LEN,
                                       &done),
                     -EINVAL);
    assert_int_equal(vpci_dma_read_sg(f->dev, NULL, 0, buf, 1, &done),
                     -EINVAL);
    assert_int_equal(vpci_dma_read_sg(f->dev, NULL, 1, buf, 1, &done),
                     -EINVAL);
    assert_int_equal(f->h->dma_calls, 0);
    assert_int_equal(vpci_dma_read_sg(f->dev, NULL, 0, buf, 0, &done), 0);
}

static void sg_element_beyond_the_mask_refuses_the_whole_list(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(vpci_dma_set_mask(f->dev, 0xFFFFFFFFu), 0);
    const struct vpci_sg bad_last[] = {
        { 0x100, 0x10 },
        { 0xFFFFFFF0u, 0x20 },      /* crosses 4 GiB */
    };
    const struct vpci_sg wraps[] = {
        { 0x100, 0x10 },
        { UINT64_MAX - 4, 0x10 },
    };
    uint8_t buf[0x30];
    memset(buf, 0x77, sizeof(buf));
    size_t done = 3;
    assert_int_equal(vpci_dma_write_sg(f->dev, bad_last, 2, buf, sizeof(buf),
                                       &done),
                     -ERANGE);
    assert_int_equal(done, 0);
    assert_int_equal(f->h->ram[0x100], ram_pattern(0x100));
    assert_int_equal(vpci_dma_set_mask(f->dev, UINT64_MAX), 0);
    assert_int_equal(vpci_dma_read_sg(f->dev, wraps, 2, buf, sizeof(buf) - 8,
                                      &done),
                     -ERANGE);
    assert_true(all_bytes(buf, sizeof(buf), 0x77));
    assert_int_equal(f->h->dma_calls, 0);
}

static void sg_is_refused_while_bus_master_is_off(void **state)
{
    struct fixture *f = *state;
    vpci_cfg_write(f->dev, PCI_COMMAND, 2, 0, NULL);
    uint8_t buf[0x10];
    size_t done = 1;
    assert_int_equal(vpci_dma_read_sg(f->dev, three, 3, buf, sizeof(buf),
                                      &done),
                     -EPERM);
    assert_int_equal(done, 0);
    assert_int_equal(f->h->dma_calls, 0);
}

static void sg_zero_length_elements_are_skipped(void **state)
{
    struct fixture *f = *state;
    const struct vpci_sg sg[] = {
        { 0x100, 0 }, { 0x200, 4 }, { UINT64_MAX, 0 }, { 0x300, 4 },
    };
    uint8_t buf[8];
    size_t done = 0;
    assert_int_equal(vpci_dma_read_sg(f->dev, sg, 4, buf, 8, &done), 0);
    assert_int_equal(done, 8);
    assert_int_equal(f->h->dma_calls, 2);
    assert_int_equal(buf[0], ram_pattern(0x200));
    assert_int_equal(buf[4], ram_pattern(0x300));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(dma_is_refused_while_bus_master_is_off),
        T(zero_length_moves_nothing_and_succeeds),
        T(null_device_or_buffer_is_einval),
        cmocka_unit_test(unplugged_function_gets_enodev),
        T(transfer_is_split_at_every_4k_boundary),
        T(pieces_never_cross_a_page),
        T(read_fault_stops_at_the_page_with_efault),
        T(read_fault_stops_at_the_page_with_eacces),
        T(read_fault_stops_at_the_page_with_erange),
        T(write_fault_leaves_memory_at_and_after_it_untouched),
        T(fault_on_the_first_page_moves_nothing),
        T(address_beyond_host_memory_is_the_hosts_efault),
        T(fault_is_logged_with_address_and_errno_name),
        T(tracing_logs_each_transfer),
        T(mask_must_be_a_power_of_two_minus_one),
        T(mask_of_28_bits_refuses_what_it_cannot_address),
        T(range_wrapping_past_2_to_the_64_is_refused),
        T(sg_read_gathers_the_elements_in_order),
        T(sg_write_scatters_and_stops_within_the_list),
        T(sg_fault_in_the_middle_element_stops_there),
        T(sg_list_too_short_is_einval_with_nothing_moved),
        T(sg_element_beyond_the_mask_refuses_the_whole_list),
        T(sg_is_refused_while_bus_master_is_off),
        T(sg_zero_length_elements_are_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
