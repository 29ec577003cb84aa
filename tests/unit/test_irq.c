/* SPDX-License-Identifier: MIT */
/*
 * Interrupt routing (libvpci/irq.c): INTx from source levels with
 * Interrupt Disable and STATUS.INTERRUPT, mode switches between INTx, MSI
 * and MSI-X, messages held while bus master is off, reset, bad sources.
 *
 * The function: pin INTA (unless a test says otherwise), 4 maskable 64-bit
 * MSI vectors, and 4 MSI-X vectors with table and PBA in BAR0 (4 KiB).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <linux/pci_regs.h>

#include "internal.h"
#include "testhost.h"

#define TABLE_OFF 0x100u
#define PBA_OFF 0x800u

static struct {
    uint8_t pin;
    bool no_msi, no_msix;
    bool raise_in_init;
    bool intx_seen_in_init;
    unsigned msi, msix;     /* capability offsets */
} want;

static int build(struct vpci_dev *dev)
{
    struct vpci_identity id = { .vendor_id = 0x1234, .device_id = 0x33,
                                .interrupt_pin = want.pin };
    int rc = vpci_dev_set_identity(dev, &id);
    rc = rc ? rc : vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 0x1000, 0);
    if (!rc && !want.no_msi)
        rc = vpci_cap_add_msi(dev, 0, 4, VPCI_MSI_64BIT | VPCI_MSI_MASKABLE,
                              &want.msi);
    if (!rc && !want.no_msix)
        rc = vpci_cap_add_msix(dev, 0, 4, 0, TABLE_OFF, 0, PBA_OFF,
                               &want.msix);
    if (!rc && want.raise_in_init) {
        rc = vpci_irq_raise(dev, 0);
        want.intx_seen_in_init = vpci_irq_intx_level(dev);
    }
    return rc;
}

static struct {
    struct testhost *h;
    struct vpci_dev *dev;
} fix;

static int setup(void **state)
{
    (void)state;
    memset(&want, 0, sizeof(want));
    want.pin = 1;
    fix.h = testhost_new(0);
    fix.dev = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(fix.dev);
    testhost_free(fix.h);
    return 0;
}

static void make(void)
{
    assert_int_equal(testhost_create(fix.h, build, &fix.dev), 0);
}

static void wr(unsigned off, unsigned len, uint32_t val)
{
    assert_int_equal(vpci_cfg_write(fix.dev, off, len, val, NULL), 0);
}

static bool status_interrupt(void)
{
    return vpci_cfg_read(fix.dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
}

static void enable_msi(void)
{
    wr(want.msi + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
    wr(want.msi + PCI_MSI_DATA_64, 2, 0x20);
    wr(want.msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | 2 << 4);
}

static void enable_msix(void)
{
    testhost_map_bar(fix.dev, 0, 0xfebf0000);
    testhost_command(fix.dev, PCI_COMMAND_MEMORY);
    for (unsigned v = 0; v < 4; v++) {
        uint64_t e = TABLE_OFF + 16 * v;
        vpci_bar_write(fix.dev, 0, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4,
                       0xfee00000);
        vpci_bar_write(fix.dev, 0, e + PCI_MSIX_ENTRY_DATA, 4, 0x30 + v);
        vpci_bar_write(fix.dev, 0, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    }
    wr(want.msix + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
}

/* ---- INTx ---- */

static void intx_raise_and_lower_drive_pin_and_status(void **state)
{
    (void)state;
    make();
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_INTX);
    assert_false(status_interrupt());
    assert_int_equal(vpci_irq_raise(fix.dev, 0), 0);
    assert_true(fix.h->intx);
    assert_true(vpci_irq_intx_level(fix.dev));
    assert_true(status_interrupt());
    assert_int_equal(vpci_irq_lower(fix.dev, 0), 0);
    assert_false(fix.h->intx);
    assert_false(vpci_irq_intx_level(fix.dev));
    assert_false(status_interrupt());
    assert_int_equal(fix.h->intx_rises, 1);
    assert_int_equal(fix.h->intx_falls, 1);
}

static void intx_disable_holds_pin_low_but_status_shows_level(void **state)
{
    (void)state;
    make();
    wr(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    vpci_irq_raise(fix.dev, 0);
    assert_false(fix.h->intx);
    assert_false(vpci_irq_intx_level(fix.dev));
    assert_true(status_interrupt());
    assert_int_equal(fix.h->intx_rises, 0);
    /* Clearing Interrupt Disable re-asserts the pin. */
    wr(PCI_COMMAND, 2, 0);
    assert_true(fix.h->intx);
    assert_int_equal(fix.h->intx_rises, 1);
    /* Setting it while asserted deasserts it. */
    wr(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    assert_false(fix.h->intx);
    assert_true(status_interrupt());
    vpci_irq_lower(fix.dev, 0);
    assert_false(status_interrupt());
    wr(PCI_COMMAND, 2, 0);
    assert_false(fix.h->intx);
}

static void intx_status_bit_is_not_writable(void **state)
{
    (void)state;
    make();
    vpci_irq_raise(fix.dev, 0);
    wr(PCI_STATUS, 2, 0xffff);
    assert_true(status_interrupt());
    vpci_irq_lower(fix.dev, 0);
    wr(PCI_STATUS, 2, PCI_STATUS_INTERRUPT);
    assert_false(status_interrupt());
}

static void intx_pin_is_the_or_of_all_sources(void **state)
{
    (void)state;
    make();
    vpci_irq_raise(fix.dev, 3);
    vpci_irq_raise(fix.dev, 2047);
    vpci_irq_raise(fix.dev, 64);
    assert_true(fix.h->intx);
    vpci_irq_lower(fix.dev, 3);
    vpci_irq_lower(fix.dev, 2047);
    assert_true(fix.h->intx);
    assert_true(status_interrupt());
    vpci_irq_lower(fix.dev, 64);
    assert_false(fix.h->intx);
    assert_false(status_interrupt());
    /* The host heard one rise and one fall, nothing in between. */
    assert_int_equal(fix.h->intx_rises, 1);
    assert_int_equal(fix.h->intx_falls, 1);
}

/* A host whose set_intx counts every call, then does what testhost does. */
static unsigned set_intx_calls;

static void counting_set_intx(void *host, struct vpci_dev *dev, bool level)
{
    set_intx_calls++;
    testhost_ops.set_intx(host, dev, level);
}

static int counting_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    return build(dev);
}

static void intx_host_hears_only_changes_of_the_driven_level(void **state)
{
    (void)state;
    static const struct vpci_model model = {
        .name = "irq-counting", .init = counting_init,
    };
    struct vpci_host_ops ops = testhost_ops;
    ops.set_intx = counting_set_intx;
    set_intx_calls = 0;
    assert_int_equal(vpci_dev_create(&model, NULL, &ops, fix.h, &fix.dev), 0);
    assert_int_equal(set_intx_calls, 0);
    vpci_irq_raise(fix.dev, 0);
    vpci_irq_raise(fix.dev, 0);
    vpci_irq_raise(fix.dev, 1);
    assert_int_equal(set_intx_calls, 1);
    wr(PCI_COMMAND, 2, PCI_COMMAND_SERR);       /* unrelated bit */
    vpci_irq_lower(fix.dev, 0);
    assert_int_equal(set_intx_calls, 1);
    vpci_irq_lower(fix.dev, 1);
    vpci_irq_lower(fix.dev, 1);
    assert_int_equal(set_intx_calls, 2);
    /* Interrupt Disable with nothing asserted changes nothing. */
    wr(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    wr(PCI_COMMAND, 2, 0);
    assert_int_equal(set_intx_calls, 2);
    vpci_dev_destroy(fix.dev);
    fix.dev = NULL;
}

static void raise_during_init_drives_the_pin_once_created(void **state)
{
    (void)state;
    want.raise_in_init = true;
    make();
    assert_false(want.intx_seen_in_init);
    assert_true(fix.h->intx);
    assert_true(status_interrupt());
    /* The reset image is what init() built, without the interrupt. */
    vpci_dev_reset(fix.dev, VPCI_RESET_FLR, NULL);
    assert_false(fix.h->intx);
    assert_false(status_interrupt());
}

static void intx_pulse_blips_the_pin(void **state)
{
    (void)state;
    make();
    assert_int_equal(vpci_irq_pulse(fix.dev, 1), 0);
    assert_false(fix.h->intx);
    assert_int_equal(fix.h->intx_rises, 1);
    assert_int_equal(fix.h->intx_falls, 1);
}

static void irq_set_follows_the_level(void **state)
{
    (void)state;
    make();
    assert_int_equal(vpci_irq_set(fix.dev, 5, true), 0);
    assert_true(fix.h->intx);
    assert_int_equal(vpci_irq_set(fix.dev, 5, true), 0);
    assert_int_equal(vpci_irq_set(fix.dev, 5, false), 0);
    assert_false(fix.h->intx);
    assert_int_equal(fix.h->intx_rises, 1);
}

static void function_without_pin_only_records_the_level(void **state)
{
    (void)state;
    want.pin = 0;
    make();
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_NONE);
    assert_int_equal(vpci_irq_raise(fix.dev, 0), 0);
    assert_false(fix.h->intx);
    assert_false(status_interrupt());
    assert_int_equal(fix.h->nmsi, 0);
    /* MSI enabled later sees no message for the level already up. */
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    enable_msi();
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_MSI);
    assert_int_equal(fix.h->nmsi, 0);
    vpci_irq_raise(fix.dev, 0);
    assert_int_equal(fix.h->nmsi, 1);
}

/* ---- mode switches ---- */

static void enabling_msi_deasserts_intx_and_disabling_restores_it(
    void **state)
{
    (void)state;
    make();
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    vpci_irq_raise(fix.dev, 0);
    assert_true(fix.h->intx);
    enable_msi();
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_MSI);
    assert_false(fix.h->intx);
    assert_false(vpci_irq_intx_level(fix.dev));
    assert_false(status_interrupt());
    /* In MSI mode a raise is a message, not a pin change. */
    vpci_irq_raise(fix.dev, 1);
    assert_false(fix.h->intx);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x21);
    /* Back to INTx with sources still up: the pin follows them. */
    wr(want.msi + PCI_MSI_FLAGS, 2, 0);
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_INTX);
    assert_true(fix.h->intx);
    assert_true(status_interrupt());
}

static void enabling_msix_deasserts_intx_and_wins_over_msi(void **state)
{
    (void)state;
    make();
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    vpci_irq_raise(fix.dev, 0);
    enable_msi();
    enable_msix();
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_MSIX);
    assert_false(fix.h->intx);
    vpci_irq_pulse(fix.dev, 2);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x32);   /* from the MSI-X table */
    /* MSI-X off, MSI still on: MSI carries the next one. */
    wr(want.msix + PCI_MSIX_FLAGS, 2, 0);
    assert_int_equal(vpci_irq_mode(fix.dev), VPCI_IRQ_MSI);
    vpci_irq_pulse(fix.dev, 2);
    assert_int_equal(fix.h->msi[1].data, 0x22);
}

static void vector_count_follows_the_enabled_mode(void **state)
{
    (void)state;
    make();
    assert_int_equal(vpci_irq_vectors(fix.dev), 1);        /* INTx */
    /* MSI with Multiple Message Enable = 2 (4 vectors). */
    enable_msi();
    assert_int_equal(vpci_irq_vectors(fix.dev), 4);
    wr(want.msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | 1 << 4);
    assert_int_equal(vpci_irq_vectors(fix.dev), 2);
    enable_msix();
    assert_int_equal(vpci_irq_vectors(fix.dev), 4);        /* table size */
    assert_int_equal(vpci_irq_vectors(NULL), 0);
}

static void mode_names_are_printable(void **state)
{
    (void)state;
    assert_string_equal(vpci_irq_mode_name(VPCI_IRQ_NONE), "none");
    assert_string_equal(vpci_irq_mode_name(VPCI_IRQ_INTX), "intx");
    assert_string_equal(vpci_irq_mode_name(VPCI_IRQ_MSI), "msi");
    assert_string_equal(vpci_irq_mode_name(VPCI_IRQ_MSIX), "msix");
    assert_string_equal(vpci_irq_mode_name((enum vpci_irq_mode)42), "?");
}

/* ---- bus master ---- */

static void msi_held_while_bus_master_off_is_sent_when_enabled(void **state)
{
    (void)state;
    make();
    enable_msi();
    vpci_irq_pulse(fix.dev, 0);
    vpci_irq_pulse(fix.dev, 3);
    assert_int_equal(fix.h->nmsi, 0);
    assert_true(vpci_irq_pending(fix.dev, 0));
    assert_true(vpci_irq_pending(fix.dev, 3));
    assert_false(vpci_irq_pending(fix.dev, 1));
    /* Blocked is not the architectural pending bit. */
    assert_int_equal(vpci_cfg_read(fix.dev, want.msi + PCI_MSI_PENDING_64, 4),
                     0);
    struct vpci_effects fx;
    vpci_cfg_write(fix.dev, PCI_COMMAND, 2, PCI_COMMAND_MASTER, &fx);
    assert_int_equal(fix.h->nmsi, 2);
    assert_int_equal(fix.h->msi[0].data, 0x20);
    assert_int_equal(fix.h->msi[1].data, 0x23);
    assert_false(vpci_irq_pending(fix.dev, 0));
    /* Once sent, toggling bus master again sends nothing. */
    wr(PCI_COMMAND, 2, 0);
    wr(PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    assert_int_equal(fix.h->nmsi, 2);
}

static void msi_held_for_bus_master_but_masked_by_then_becomes_pending(
    void **state)
{
    (void)state;
    make();
    enable_msi();
    vpci_irq_pulse(fix.dev, 1);
    wr(want.msi + PCI_MSI_MASK_64, 4, 0x2);
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    assert_int_equal(fix.h->nmsi, 0);
    assert_int_equal(vpci_cfg_read(fix.dev, want.msi + PCI_MSI_PENDING_64, 4),
                     0x2);
    wr(want.msi + PCI_MSI_MASK_64, 4, 0);
    assert_int_equal(fix.h->nmsi, 1);
    assert_int_equal(fix.h->msi[0].data, 0x21);
}

static void msi_held_for_bus_master_is_dropped_when_msi_is_disabled(
    void **state)
{
    (void)state;
    make();
    enable_msi();
    vpci_irq_pulse(fix.dev, 0);
    wr(want.msi + PCI_MSI_FLAGS, 2, 0);
    assert_false(vpci_irq_pending(fix.dev, 0));
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    enable_msi();
    assert_int_equal(fix.h->nmsi, 0);
}

/* ---- reset ---- */

static void reset_lowers_intx_and_clears_levels(void **state)
{
    (void)state;
    make();
    vpci_irq_raise(fix.dev, 0);
    assert_true(fix.h->intx);
    assert_int_equal(vpci_dev_reset(fix.dev, VPCI_RESET_FLR, NULL), 0);
    assert_false(fix.h->intx);
    assert_false(vpci_irq_intx_level(fix.dev));
    assert_false(status_interrupt());
    assert_int_equal(fix.h->intx_falls, 1);
    /* The level is gone: raising another source is a fresh rise. */
    vpci_irq_raise(fix.dev, 1);
    vpci_irq_lower(fix.dev, 1);
    assert_false(fix.h->intx);
}

static void reset_clears_held_messages(void **state)
{
    (void)state;
    make();
    enable_msi();
    vpci_irq_pulse(fix.dev, 0);                 /* blocked: no master */
    assert_true(vpci_irq_pending(fix.dev, 0));
    vpci_dev_reset(fix.dev, VPCI_RESET_CONVENTIONAL, NULL);
    assert_false(vpci_irq_pending(fix.dev, 0));
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    enable_msi();
    assert_int_equal(fix.h->nmsi, 0);

    /* MSI-X: the PBA is cleared as well. */
    wr(PCI_COMMAND, 2, 0);
    wr(want.msi + PCI_MSI_FLAGS, 2, 0);
    enable_msix();
    vpci_irq_pulse(fix.dev, 1);
    assert_true(vpci_irq_pending(fix.dev, 1));
    vpci_dev_reset(fix.dev, VPCI_RESET_CONVENTIONAL, NULL);
    assert_false(vpci_irq_pending(fix.dev, 1));
    assert_int_equal(fix.h->nmsi, 0);
}

/* ---- bad input, unplugged ---- */

static void source_out_of_range_is_einval(void **state)
{
    (void)state;
    make();
    assert_int_equal(vpci_irq_raise(fix.dev, VPCI_IRQ_MAX_SOURCES), -EINVAL);
    assert_int_equal(vpci_irq_lower(fix.dev, VPCI_IRQ_MAX_SOURCES), -EINVAL);
    assert_int_equal(vpci_irq_pulse(fix.dev, UINT32_MAX), -EINVAL);
    assert_int_equal(vpci_irq_set(fix.dev, 4096, true), -EINVAL);
    assert_true(testhost_logged(fix.h, "interrupt source 2048"));
    assert_false(fix.h->intx);
    assert_int_equal(vpci_irq_raise(NULL, 0), -EINVAL);
    assert_int_equal(vpci_irq_lower(NULL, 0), -EINVAL);
    assert_int_equal(vpci_irq_set(NULL, 0, false), -EINVAL);
    assert_int_equal(vpci_irq_mode(NULL), VPCI_IRQ_NONE);
    assert_false(vpci_irq_intx_level(NULL));
    assert_false(vpci_irq_pending(NULL, 0));
    assert_false(vpci_irq_pending(fix.dev, 4));  /* beyond the vectors */
}

static void function_without_msi_capabilities_uses_intx(void **state)
{
    (void)state;
    want.no_msi = want.no_msix = true;
    make();
    assert_false(vpci_irq_pending(fix.dev, 0));
    vpci_irq_pulse(fix.dev, 0);
    assert_int_equal(fix.h->intx_rises, 1);
    assert_int_equal(fix.h->nmsi, 0);
}

static void unplugged_function_keeps_its_own_state(void **state)
{
    (void)state;
    assert_int_equal(testhost_create(NULL, build, &fix.dev), 0);
    vpci_irq_raise(fix.dev, 0);
    assert_true(vpci_irq_intx_level(fix.dev));
    assert_true(status_interrupt());
    testhost_command(fix.dev, PCI_COMMAND_MASTER);
    enable_msi();
    vpci_irq_pulse(fix.dev, 0);             /* no host: nothing to call */
    vpci_dev_reset(fix.dev, VPCI_RESET_FLR, NULL);
    assert_false(vpci_irq_intx_level(fix.dev));
}

static void trace_reports_intx_changes(void **state)
{
    (void)state;
    make();
    vpci_dev_set_trace(fix.dev, true);
    vpci_irq_raise(fix.dev, 0);
    assert_true(testhost_logged(fix.h, "INTx asserted"));
    vpci_dev_reset(fix.dev, VPCI_RESET_FLR, NULL);
    assert_true(testhost_logged(fix.h, "INTx deasserted (reset)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(intx_raise_and_lower_drive_pin_and_status),
        T(intx_disable_holds_pin_low_but_status_shows_level),
        T(intx_status_bit_is_not_writable),
        T(intx_pin_is_the_or_of_all_sources),
        T(intx_host_hears_only_changes_of_the_driven_level),
        T(raise_during_init_drives_the_pin_once_created),
        T(intx_pulse_blips_the_pin),
        T(irq_set_follows_the_level),
        T(function_without_pin_only_records_the_level),
        T(enabling_msi_deasserts_intx_and_disabling_restores_it),
        T(enabling_msix_deasserts_intx_and_wins_over_msi),
        T(vector_count_follows_the_enabled_mode),
        T(mode_names_are_printable),
        T(msi_held_while_bus_master_off_is_sent_when_enabled),
        T(msi_held_for_bus_master_but_masked_by_then_becomes_pending),
        T(msi_held_for_bus_master_is_dropped_when_msi_is_disabled),
        T(reset_lowers_intx_and_clears_levels),
        T(reset_clears_held_messages),
        T(source_out_of_range_is_einval),
        T(function_without_msi_capabilities_uses_intx),
        T(unplugged_function_keeps_its_own_state),
        T(trace_reports_intx_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
