/* SPDX-License-Identifier: MIT */
/*
 * Virtual clock (issue 3, item 7): host timers fire only as a test
 * advances time, in deadline order with ties in arm order, each seeing
 * the clock at its deadline; re-armed timers fire again within the same
 * step when due; the clock never goes back.  Nothing uses wall time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mocktest.h"

static struct mt_machine mm;
static struct tdev *t;

static int setup(void **state)
{
    (void)state;
    int rc = mt_machine_new(&mm, VPCI_MOCK_Q35, 0, false);
    if (rc)
        return rc;
    struct vpci_mock_fn *fn = mt_add(mm.m, tdev_model(), "addr=02.0");
    if (!fn)
        return -1;
    t = vpci_dev_priv(vpci_mock_fn_dev(fn));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mt_machine_free(&mm);
    return 0;
}

static void arm(unsigned i, uint64_t delay)
{
    vpci_timer_arm(t->timers[i], delay);
}

/* ------------------------------------------------------------------ */

static void test_timers_fire_in_deadline_order(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    arm(0, 300);
    arm(1, 100);
    arm(2, 200);
    assert_int_equal(vpci_mock_next_deadline(m), 100);
    assert_int_equal(vpci_mock_clock_step(m, 1000), 1000);
    assert_int_equal(t->nfired, 3);
    assert_int_equal(t->fired[0], 1);
    assert_int_equal(t->fired[1], 2);
    assert_int_equal(t->fired[2], 0);
    /* each callback saw the clock at its own deadline */
    assert_int_equal(t->fired_at[0], 100);
    assert_int_equal(t->fired_at[1], 200);
    assert_int_equal(t->fired_at[2], 300);
    assert_int_equal(vpci_mock_clock(m), 1000);
    assert_int_equal(vpci_mock_next_deadline(m), UINT64_MAX);
}

static void test_ties_fire_in_arm_order(void **state)
{
    (void)state;
    arm(2, 50);
    arm(0, 50);
    arm(1, 50);
    vpci_mock_clock_step(mm.m, 50);
    assert_int_equal(t->nfired, 3);
    assert_int_equal(t->fired[0], 2);
    assert_int_equal(t->fired[1], 0);
    assert_int_equal(t->fired[2], 1);
    /* re-arming puts a timer behind the others of its deadline */
    arm(0, 10);
    arm(1, 10);
    arm(0, 10);
    vpci_mock_clock_step(mm.m, 10);
    assert_int_equal(t->fired[3], 1);
    assert_int_equal(t->fired[4], 0);
}

static void test_nothing_fires_before_its_deadline(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    arm(0, 100);
    assert_int_equal(vpci_mock_clock_step(m, 99), 99);
    assert_int_equal(t->nfired, 0);
    assert_true(vpci_timer_armed(t->timers[0]));
    assert_int_equal(vpci_mock_clock_step(m, 1), 100);
    assert_int_equal(t->nfired, 1);
    assert_int_equal(t->fired_at[0], 100);
    /* a zero step fires what is due now */
    arm(1, 0);
    assert_int_equal(vpci_mock_clock_step(m, 0), 100);
    assert_int_equal(t->nfired, 2);
}

static void test_clock_step_next(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    arm(0, 70);
    arm(1, 30);
    assert_int_equal(vpci_mock_clock_step_next(m), 30);
    assert_int_equal(t->nfired, 1);
    assert_int_equal(t->fired[0], 1);
    assert_int_equal(vpci_mock_clock_step_next(m), 70);
    assert_int_equal(t->nfired, 2);
    /* nothing armed: the clock stays */
    assert_int_equal(vpci_mock_clock_step_next(m), 70);
    assert_int_equal(t->nfired, 2);
    /* two timers due at the same time both fire */
    arm(0, 5);
    arm(2, 5);
    assert_int_equal(vpci_mock_clock_step_next(m), 75);
    assert_int_equal(t->nfired, 4);
}

static void test_clock_set_never_goes_back(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    assert_int_equal(vpci_mock_clock(m), 0);
    arm(0, 200);
    assert_int_equal(vpci_mock_clock_set(m, 500), 500);
    assert_int_equal(t->nfired, 1);
    assert_int_equal(t->fired_at[0], 200);
    assert_int_equal(vpci_mock_clock_set(m, 100), 500);
    assert_int_equal(vpci_mock_clock(m), 500);
    assert_int_equal(vpci_mock_clock_set(m, 500), 500);
    /* what the device sees is the machine's clock */
    struct vpci_mock_fn *fn = vpci_mock_find(m, "tdev0");
    assert_int_equal(vpci_now(vpci_mock_fn_dev(fn)), 500);
}

static void test_rearmed_timer_fires_again_within_the_step(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    t->rearm[0] = 3;
    t->rearm_delay = 10;
    arm(0, 10);
    vpci_mock_clock_step(m, 100);
    assert_int_equal(t->nfired, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(t->fired_at[i], 10 * (i + 1));
    /* a re-arm past the end of the step waits for the next one */
    t->rearm[1] = 1;
    t->rearm_delay = 60;
    arm(1, 10);              /* at 110, again at 170 */
    vpci_mock_clock_step(m, 50);
    assert_int_equal(t->nfired, 5);
    assert_int_equal(vpci_mock_next_deadline(m), 170);
    vpci_mock_clock_step(m, 100);
    assert_int_equal(t->nfired, 6);
    assert_int_equal(t->fired_at[5], 170);
}

static void test_cancel_and_move(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    arm(0, 100);
    vpci_timer_cancel(t->timers[0]);
    assert_int_equal(vpci_mock_next_deadline(m), UINT64_MAX);
    vpci_mock_clock_step(m, 1000);
    assert_int_equal(t->nfired, 0);
    /* arming an armed timer moves it */
    arm(1, 100);
    arm(1, 20);
    assert_int_equal(vpci_mock_next_deadline(m), 1020);
    vpci_mock_clock_step(m, 1000);
    assert_int_equal(t->nfired, 1);
    assert_int_equal(t->fired_at[0], 1020);
}

static void test_armed_timers_at_teardown_and_saturation(void **state)
{
    (void)state;
    struct vpci_mock *m = mm.m;
    arm(0, 5);
    arm(1, UINT64_MAX);      /* saturates: never due */
    assert_int_equal(vpci_mock_clock_step(m, UINT64_MAX - 1), UINT64_MAX - 1);
    assert_int_equal(t->nfired, 1);
    assert_int_equal(vpci_mock_clock_step(m, 10), UINT64_MAX);
    assert_int_equal(t->nfired, 1);
    assert_int_equal(vpci_mock_clock_step_next(m), UINT64_MAX);
    assert_int_equal(t->nfired, 1);
    /* timers still armed are cancelled by vpci_mock_free() (teardown) */
    arm(2, 0);
    assert_int_equal(vpci_mock_clock(NULL), 0);
    assert_int_equal(vpci_mock_clock_step(NULL, 1), 0);
    assert_int_equal(vpci_mock_clock_step_next(NULL), 0);
    assert_int_equal(vpci_mock_clock_set(NULL, 1), 0);
    assert_int_equal(vpci_mock_next_deadline(NULL), UINT64_MAX);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_timers_fire_in_deadline_order),
        T(test_ties_fire_in_arm_order),
        T(test_nothing_fires_before_its_deadline),
        T(test_clock_step_next),
        T(test_clock_set_never_goes_back),
        T(test_rearmed_timer_fires_again_within_the_step),
        T(test_cancel_and_move),
        T(test_armed_timers_at_teardown_and_saturation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
