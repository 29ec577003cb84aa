/* SPDX-License-Identifier: MIT */
/*
 * Power Management capability (libvpci/cap_pm.c): PMC contents, PMCSR
 * masks, D0 <-> D3hot with and without No_Soft_Reset, ignored D1/D2 and
 * BAR decode in D3hot.
 *
 * The function under test has BAR 0 (4 KiB MEM32, RAM) and a PM
 * capability; tests program the BAR at BAR_ADDR and enable memory decode.
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

#define BAR_ADDR 0xfebf0000u
#define BAR_SIZE 4096u

static struct {
    struct testhost *h;
    struct vpci_dev *dev;
    struct vpci_effects fx;
    bool no_soft_reset;
    bool with_pm;
    int rc[2];
    unsigned pm;
} T;

static int setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof(T));
    T.h = testhost_new(0);
    T.with_pm = true;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(T.dev);
    testhost_free(T.h);
    memset(&T, 0, sizeof(T));
    return 0;
}

static int build(struct vpci_dev *dev)
{
    const struct vpci_identity id = {
        .vendor_id = 0x1b36, .device_id = 0x0043, .class_code = 0xff0000,
        .interrupt_pin = 1,
    };
    int rc = vpci_dev_set_identity(dev, &id);
    if (!rc)
        rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, BAR_SIZE, 0);
    if (!rc)
        rc = vpci_bar_set_ram(dev, 0);
    if (rc || !T.with_pm)
        return rc;
    const struct vpci_pm_config cfg = { .no_soft_reset = T.no_soft_reset };
    T.rc[0] = vpci_cap_add_pm(dev, 0, &cfg, &T.pm);
    T.rc[1] = vpci_cap_add_pm(dev, 0, &cfg, NULL);
    return T.rc[0];
}

static void create(bool no_soft_reset)
{
    T.no_soft_reset = no_soft_reset;
    assert_int_equal(testhost_create(T.h, build, &T.dev), 0);
}

static uint16_t pmcsr(void)
{
    return (uint16_t)vpci_cfg_read(T.dev, T.pm + PCI_PM_CTRL, 2);
}

static void write_state(unsigned state)
{
    assert_int_equal(vpci_cfg_write(T.dev, T.pm + PCI_PM_CTRL, 2, state, &T.fx),
                     0);
}

/* Index of the first effect of @type in T.fx, or -1. */
static int fx_find(enum vpci_effect_type type)
{
    for (unsigned i = 0; i < T.fx.count && i < VPCI_EFFECTS_MAX; i++)
        if (T.fx.fx[i].type == type)
            return (int)i;
    return -1;
}

/* BAR 0 programmed, decoding, and holding a value in its RAM. */
static void bring_up(void)
{
    testhost_map_bar(T.dev, 0, BAR_ADDR);
    testhost_command(T.dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    vpci_cfg_write(T.dev, PCI_INTERRUPT_LINE, 1, 0x0b, NULL);
    assert_int_equal(vpci_bar_write(T.dev, 0, 0x10, 4, 0xcafef00d), 0);
}

static void pm_cap_advertises_pm12_d0_d3hot_only(void **state)
{
    (void)state;
    create(false);
    assert_int_equal(T.rc[0], 0);
    assert_int_equal(T.pm, 0x40);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_PM), T.pm);
    uint16_t pmc = (uint16_t)vpci_cfg_read(T.dev, T.pm + PCI_PM_PMC, 2);
    assert_int_equal(pmc & PCI_PM_CAP_VER_MASK, 3);
    assert_int_equal(pmc & (PCI_PM_CAP_D1 | PCI_PM_CAP_D2 |
                            PCI_PM_CAP_PME_MASK | PCI_PM_CAP_AUX_POWER |
                            PCI_PM_CAP_DSI | PCI_PM_CAP_PME_CLOCK), 0);
    assert_int_equal(pmcsr(), 0);
    assert_int_equal(vpci_pm_state(T.dev), 0);
}

static void second_pm_cap_is_eexist(void **state)
{
    (void)state;
    create(false);
    assert_int_equal(T.rc[1], -EEXIST);
}

static void pmcsr_only_power_state_is_writable(void **state)
{
    (void)state;
    create(false);
    vpci_cfg_write(T.dev, T.pm + PCI_PM_PMC, 2, 0xffff, NULL);
    assert_int_equal(vpci_cfg_read(T.dev, T.pm + PCI_PM_PMC, 2), 3);
    /* PME_En, Data_Select, PME_Status: hardwired 0 without PME support */
    write_state(0xffff);
    assert_int_equal(pmcsr(), 3);
    write_state(PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_NO_SOFT_RESET);
    assert_int_equal(pmcsr(), 0);
    vpci_cfg_write(T.dev, T.pm + PCI_PM_PPB_EXTENSIONS, 2, 0xffff, NULL);
    assert_int_equal(vpci_cfg_read(T.dev, T.pm + PCI_PM_PPB_EXTENSIONS, 2), 0);
}

static void no_soft_reset_bit_reflects_config(void **state)
{
    (void)state;
    create(true);
    assert_int_equal(pmcsr(), PCI_PM_CTRL_NO_SOFT_RESET);
    write_state(0);    /* read-only: a 0 does not clear it */
    assert_int_equal(pmcsr(), PCI_PM_CTRL_NO_SOFT_RESET);
}

static void d3hot_reports_power_state_and_stops_bar_decode(void **state)
{
    (void)state;
    create(false);
    bring_up();
    write_state(3);
    assert_int_equal(vpci_pm_state(T.dev), 3);
    int p = fx_find(VPCI_FX_POWER_STATE);
    assert_true(p >= 0);
    assert_int_equal(T.fx.fx[p].u.power.from, 0);
    assert_int_equal(T.fx.fx[p].u.power.to, 3);
    int u = fx_find(VPCI_FX_BAR_UNMAP);
    assert_true(u > p);
    assert_int_equal(T.fx.fx[u].u.bar.old_addr, BAR_ADDR);
    uint64_t v;
    assert_int_equal(vpci_bar_read(T.dev, 0, 0x10, 4, &v), -EIO);
    assert_int_equal(vpci_bar_write(T.dev, 0, 0x10, 4, 0), -EIO);
    /* config space stays accessible in D3hot */
    assert_int_equal(vpci_cfg_read(T.dev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY,
                     PCI_COMMAND_MEMORY);
}

static void d3hot_to_d0_with_no_soft_reset_keeps_state(void **state)
{
    (void)state;
    create(true);
    bring_up();
    write_state(3);
    write_state(0);
    assert_int_equal(vpci_pm_state(T.dev), 0);
    int p = fx_find(VPCI_FX_POWER_STATE);
    assert_true(p >= 0);
    assert_int_equal(T.fx.fx[p].u.power.from, 3);
    assert_int_equal(T.fx.fx[p].u.power.to, 0);
    assert_int_equal(fx_find(VPCI_FX_RESET), -1);
    int m = fx_find(VPCI_FX_BAR_MAP);
    assert_true(m > p);
    assert_int_equal(T.fx.fx[m].u.bar.new_addr, BAR_ADDR);

    assert_int_equal(vpci_cfg_read(T.dev, PCI_COMMAND, 2),
                     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_BASE_ADDRESS_0, 4), BAR_ADDR);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_INTERRUPT_LINE, 1), 0x0b);
    uint64_t v;
    assert_int_equal(vpci_bar_read(T.dev, 0, 0x10, 4, &v), 0);
    assert_int_equal(v, 0xcafef00d);
}

static void d3hot_to_d0_without_no_soft_reset_resets_function(void **state)
{
    (void)state;
    create(false);
    bring_up();
    write_state(3);
    write_state(0);
    assert_int_equal(vpci_pm_state(T.dev), 0);
    int p = fx_find(VPCI_FX_POWER_STATE);
    assert_true(p >= 0);
    assert_int_equal(T.fx.fx[p].u.power.from, 3);
    assert_int_equal(T.fx.fx[p].u.power.to, 0);
    int r = fx_find(VPCI_FX_RESET);
    assert_true(r > p);
    assert_int_equal(r, (int)T.fx.count - 1);
    /* the reset turned decode and bus mastering off */
    int d = fx_find(VPCI_FX_MEM_DECODE);
    assert_true(d > p && d < r);
    assert_false(T.fx.fx[d].u.toggle.on);
    assert_true(fx_find(VPCI_FX_BUS_MASTER) > p);
    assert_int_equal(fx_find(VPCI_FX_BAR_MAP), -1);

    assert_int_equal(vpci_cfg_read(T.dev, PCI_COMMAND, 2), 0);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_BASE_ADDRESS_0, 4), 0);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_INTERRUPT_LINE, 1), 0);
    assert_int_equal(pmcsr(), 0);
    uint64_t v;
    assert_int_equal(vpci_bar_read(T.dev, 0, 0x10, 4, &v), -EIO);
    /* the capability list is intact after the reset */
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_PM), T.pm);
}

static void d1_and_d2_writes_are_ignored(void **state)
{
    (void)state;
    create(false);
    bring_up();
    write_state(1);
    assert_int_equal(pmcsr() & PCI_PM_CTRL_STATE_MASK, 0);
    assert_int_equal(T.fx.count, 0);
    write_state(2);
    assert_int_equal(pmcsr() & PCI_PM_CTRL_STATE_MASK, 0);
    assert_int_equal(T.fx.count, 0);
    assert_true(testhost_logged(T.h, "D1 is not supported"));

    write_state(3);
    write_state(2);
    assert_int_equal(vpci_pm_state(T.dev), 3);
    assert_int_equal(T.fx.count, 0);
    /* byte write of the low PMCSR byte behaves the same */
    vpci_cfg_write(T.dev, T.pm + PCI_PM_CTRL, 1, 1, &T.fx);
    assert_int_equal(vpci_pm_state(T.dev), 3);
    assert_int_equal(T.fx.count, 0);
}

static void rewriting_same_state_has_no_effect(void **state)
{
    (void)state;
    create(false);
    bring_up();
    write_state(0);
    assert_int_equal(T.fx.count, 0);
    write_state(3);
    write_state(3);
    assert_int_equal(T.fx.count, 0);
    /* a write elsewhere in the capability does not touch the state */
    vpci_cfg_write(T.dev, T.pm + PCI_PM_DATA_REGISTER, 1, 0xff, &T.fx);
    assert_int_equal(vpci_pm_state(T.dev), 3);
    assert_int_equal(T.fx.count, 0);
}

static void conventional_reset_returns_to_d0(void **state)
{
    (void)state;
    create(true);
    write_state(3);
    assert_int_equal(vpci_dev_reset(T.dev, VPCI_RESET_CONVENTIONAL, &T.fx), 0);
    assert_int_equal(vpci_pm_state(T.dev), 0);
    assert_int_equal(pmcsr(), PCI_PM_CTRL_NO_SOFT_RESET);
    /* The host learns that its reset also woke the function up. */
    int p = fx_find(VPCI_FX_POWER_STATE);
    assert_true(p >= 0);
    assert_int_equal(T.fx.fx[p].u.power.from, 3);
    assert_int_equal(T.fx.fx[p].u.power.to, 0);
}

static void function_without_pm_is_always_d0(void **state)
{
    (void)state;
    T.with_pm = false;
    create(false);
    assert_int_equal(vpci_pm_state(T.dev), 0);
    assert_int_equal(vpci_pm_state(NULL), 0);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_PM), 0);
    bring_up();
    uint64_t v;
    assert_int_equal(vpci_bar_read(T.dev, 0, 0x10, 4, &v), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(pm_cap_advertises_pm12_d0_d3hot_only),
        T_(second_pm_cap_is_eexist),
        T_(pmcsr_only_power_state_is_writable),
        T_(no_soft_reset_bit_reflects_config),
        T_(d3hot_reports_power_state_and_stops_bar_decode),
        T_(d3hot_to_d0_with_no_soft_reset_keeps_state),
        T_(d3hot_to_d0_without_no_soft_reset_resets_function),
        T_(d1_and_d2_writes_are_ignored),
        T_(rewriting_same_state_has_no_effect),
        T_(conventional_reset_returns_to_d0),
        T_(function_without_pm_is_always_d0),
#undef T_
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
