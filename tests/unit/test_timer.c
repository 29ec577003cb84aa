/* SPDX-License-Identifier: MIT */
/*
 * Timers (libvpci/timer.c) on the test host's virtual clock: deadlines,
 * re-arming, cancelling, stale host events, the callback re-arming itself,
 * reset and destroy cancelling with the host, and an unplugged function.
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

/* What the builder made and what the callbacks saw (one device at a time). */
static struct {
    struct vpci_timer *a, *b;
    int rc_bad_args, rc_dup, rc_empty_name;
    unsigned fires_a, fires_b;
    uint64_t fired_at[8];
    unsigned rearm_count;       /* a: re-arm itself this many more times */
    uint64_t rearm_delay;
} ctx;

static void on_a(struct vpci_dev *dev, void *opaque)
{
    assert_ptr_equal(opaque, &ctx.fires_a);
    assert_false(vpci_timer_armed(ctx.a));   /* disarmed before the call */
    if (ctx.fires_a < 8)
        ctx.fired_at[ctx.fires_a] = vpci_now(dev);
    ctx.fires_a++;
    if (ctx.rearm_count) {
        ctx.rearm_count--;
        vpci_timer_arm(ctx.a, ctx.rearm_delay);
    }
}

static void on_b(struct vpci_dev *dev, void *opaque)
{
    (void)dev;
    (void)opaque;
    ctx.fires_b++;
}

static int build(struct vpci_dev *dev)
{
    const struct vpci_identity id = {
        .vendor_id = 0x1234, .device_id = 0x7173, .class_code = 0xff0000,
    };
    int rc = vpci_dev_set_identity(dev, &id);
    if (!rc)
        rc = vpci_timer_new(dev, "a", on_a, &ctx.fires_a, &ctx.a);
    if (!rc)
        rc = vpci_timer_new(dev, "b", on_b, NULL, &ctx.b);
    if (rc)
        return rc;
    struct vpci_timer *t = (struct vpci_timer *)&ctx;   /* must be cleared */
    ctx.rc_bad_args = vpci_timer_new(dev, "c", NULL, NULL, &t);
    assert_null(t);
    ctx.rc_dup = vpci_timer_new(dev, "a", on_b, NULL, &t);
    ctx.rc_empty_name = vpci_timer_new(dev, "", on_b, NULL, &t);
    return 0;
}

static int setup(void **state)
{
    memset(&ctx, 0, sizeof(ctx));
    *state = model_fixture_build(build, 0);
    return 0;
}

static void timer_fires_at_its_deadline_and_not_before(void **state)
{
    struct model_fixture *f = *state;
    testhost_advance(f->h, 100);
    vpci_timer_arm(ctx.a, 1000);
    assert_true(vpci_timer_armed(ctx.a));
    assert_int_equal(vpci_timer_deadline(ctx.a), 1100);
    assert_int_equal(f->h->ntimers, 1);
    assert_int_equal(f->h->timers[0].deadline, 1100);
    testhost_advance(f->h, 999);
    assert_int_equal(ctx.fires_a, 0);
    testhost_advance(f->h, 1);
    assert_int_equal(ctx.fires_a, 1);
    assert_int_equal(ctx.fired_at[0], 1100);
    assert_false(vpci_timer_armed(ctx.a));
    assert_int_equal(vpci_timer_deadline(ctx.a), 0);
    testhost_advance(f->h, 100000);
    assert_int_equal(ctx.fires_a, 1);   /* one-shot */
    assert_int_equal(ctx.fires_b, 0);
}

static void rearming_moves_the_deadline(void **state)
{
    struct model_fixture *f = *state;
    vpci_timer_arm(ctx.a, 1000);
    testhost_advance(f->h, 500);
    vpci_timer_arm(ctx.a, 1000);
    assert_int_equal(vpci_timer_deadline(ctx.a), 1500);
    assert_int_equal(f->h->ntimers, 1);
    testhost_advance(f->h, 999);
    assert_int_equal(ctx.fires_a, 0);
    testhost_advance(f->h, 1);
    assert_int_equal(ctx.fires_a, 1);
    assert_int_equal(ctx.fired_at[0], 1500);

    /* Moving it earlier works too. */
    vpci_timer_arm(ctx.a, 1000);
    vpci_timer_arm(ctx.a, 10);
    testhost_advance(f->h, 10);
    assert_int_equal(ctx.fires_a, 2);
    assert_int_equal(ctx.fired_at[1], 1510);
}

static void cancel_prevents_firing(void **state)
{
    struct model_fixture *f = *state;
    vpci_timer_arm(ctx.a, 1000);
    vpci_timer_arm(ctx.b, 2000);
    vpci_timer_cancel(ctx.a);
    assert_false(vpci_timer_armed(ctx.a));
    assert_int_equal(f->h->ntimers, 1);
    testhost_advance(f->h, 5000);
    assert_int_equal(ctx.fires_a, 0);
    assert_int_equal(ctx.fires_b, 1);
    /* Cancelling a disarmed timer (or NULL) is harmless. */
    vpci_timer_cancel(ctx.a);
    vpci_timer_cancel(NULL);
}

static void timers_fire_in_deadline_order(void **state)
{
    struct model_fixture *f = *state;
    vpci_timer_arm(ctx.b, 300);
    vpci_timer_arm(ctx.a, 200);
    testhost_advance(f->h, 250);
    assert_int_equal(ctx.fires_a, 1);
    assert_int_equal(ctx.fires_b, 0);
    testhost_advance(f->h, 50);
    assert_int_equal(ctx.fires_b, 1);
}

static void stale_fire_from_the_host_is_ignored(void **state)
{
    struct model_fixture *f = *state;
    /* Cancelled while the host's event was in flight. */
    vpci_timer_arm(ctx.a, 100);
    vpci_timer_cancel(ctx.a);
    vpci_timer_fire(ctx.a);
    assert_int_equal(ctx.fires_a, 0);
    /* Already fired: a duplicate event. */
    vpci_timer_arm(ctx.a, 100);
    testhost_advance(f->h, 100);
    assert_int_equal(ctx.fires_a, 1);
    vpci_timer_fire(ctx.a);
    assert_int_equal(ctx.fires_a, 1);
    /* Re-armed later: the old event comes before the new deadline. */
    vpci_timer_arm(ctx.a, 100);
    testhost_advance(f->h, 50);
    vpci_timer_arm(ctx.a, 100);
    vpci_timer_fire(ctx.a);
    assert_int_equal(ctx.fires_a, 1);
    assert_true(vpci_timer_armed(ctx.a));
    testhost_advance(f->h, 100);
    assert_int_equal(ctx.fires_a, 2);
    vpci_timer_fire(NULL);
}

static void callback_may_rearm_its_timer(void **state)
{
    struct model_fixture *f = *state;
    ctx.rearm_count = 2;
    ctx.rearm_delay = 300;
    vpci_timer_arm(ctx.a, 100);
    testhost_advance(f->h, 10000);
    assert_int_equal(ctx.fires_a, 3);
    assert_int_equal(ctx.fired_at[0], 100);
    assert_int_equal(ctx.fired_at[1], 400);
    assert_int_equal(ctx.fired_at[2], 700);
    assert_false(vpci_timer_armed(ctx.a));
}

static void deadline_saturates_instead_of_wrapping(void **state)
{
    struct model_fixture *f = *state;
    testhost_advance(f->h, 10);
    vpci_timer_arm(ctx.a, UINT64_MAX);
    assert_int_equal(vpci_timer_deadline(ctx.a), UINT64_MAX);
    testhost_advance(f->h, 1000000);
    assert_int_equal(ctx.fires_a, 0);
}

static void now_reads_the_host_clock(void **state)
{
    struct model_fixture *f = *state;
    assert_int_equal(vpci_now(f->dev), 0);
    testhost_advance(f->h, 12345);
    assert_int_equal(vpci_now(f->dev), 12345);
    assert_int_equal(vpci_now(NULL), 0);
}

static void destroy_cancels_armed_timers_with_the_host(void **state)
{
    struct model_fixture *f = *state;
    vpci_timer_arm(ctx.a, 100);
    vpci_timer_arm(ctx.b, 200);
    assert_int_equal(f->h->ntimers, 2);
    vpci_dev_destroy(f->dev);
    f->dev = NULL;
    assert_int_equal(f->h->ntimers, 0);
    testhost_advance(f->h, 1000);
    assert_int_equal(ctx.fires_a + ctx.fires_b, 0);
}

static void reset_cancels_armed_timers(void **state)
{
    struct model_fixture *f = *state;
    vpci_timer_arm(ctx.a, 100);
    assert_int_equal(vpci_dev_reset(f->dev, VPCI_RESET_FLR, NULL), 0);
    assert_false(vpci_timer_armed(ctx.a));
    assert_int_equal(f->h->ntimers, 0);
    testhost_advance(f->h, 1000);
    assert_int_equal(ctx.fires_a, 0);
}

static void timer_new_checks_its_arguments(void **state)
{
    (void)state;
    assert_int_equal(ctx.rc_bad_args, -EINVAL);
    assert_int_equal(ctx.rc_dup, -EEXIST);
    assert_int_equal(ctx.rc_empty_name, -EINVAL);
}

static void timer_new_is_refused_after_init(void **state)
{
    struct model_fixture *f = *state;
    struct vpci_timer *t = (struct vpci_timer *)f;
    assert_int_equal(vpci_timer_new(f->dev, "late", on_b, NULL, &t), -EPERM);
    assert_null(t);
    assert_int_equal(vpci_timer_new(NULL, "late", on_b, NULL, &t), -EPERM);
}

static void accessors_report_name_device_and_host_data(void **state)
{
    struct model_fixture *f = *state;
    assert_string_equal(vpci_timer_name(ctx.a), "a");
    assert_string_equal(vpci_timer_name(ctx.b), "b");
    assert_ptr_equal(vpci_timer_dev(ctx.a), f->dev);
    assert_null(vpci_timer_host_data(ctx.a));
    int cookie;
    vpci_timer_set_host_data(ctx.a, &cookie);
    assert_ptr_equal(vpci_timer_host_data(ctx.a), &cookie);
    assert_null(vpci_timer_host_data(ctx.b));
    assert_null(vpci_timer_name(NULL));
    assert_null(vpci_timer_dev(NULL));
    assert_false(vpci_timer_armed(NULL));
    assert_int_equal(vpci_timer_deadline(NULL), 0);
    vpci_timer_arm(NULL, 1);
    vpci_timer_set_host_data(NULL, &cookie);
}

static void trace_lines_follow_arm_cancel_and_fire(void **state)
{
    struct model_fixture *f = *state;
    vpci_dev_set_trace(f->dev, true);
    vpci_timer_arm(ctx.a, 100);
    vpci_timer_arm(ctx.b, 100);
    vpci_timer_cancel(ctx.b);
    testhost_advance(f->h, 100);
    assert_true(testhost_logged(f->h, "timer a armed"));
    assert_true(testhost_logged(f->h, "timer b cancelled"));
    assert_true(testhost_logged(f->h, "timer a fired at 100"));
    vpci_timer_fire(ctx.a);
    assert_true(testhost_logged(f->h, "timer a: stale fire ignored"));
}

static void unplugged_timer_records_its_state_but_never_fires(void **state)
{
    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    struct vpci_dev *dev;
    assert_int_equal(testhost_create(NULL, build, &dev), 0);
    assert_int_equal(vpci_now(dev), 0);
    vpci_timer_arm(ctx.a, 500);
    assert_true(vpci_timer_armed(ctx.a));
    assert_int_equal(vpci_timer_deadline(ctx.a), 500);
    vpci_timer_cancel(ctx.a);
    assert_false(vpci_timer_armed(ctx.a));
    vpci_timer_arm(ctx.a, 500);
    vpci_dev_destroy(dev);      /* nothing to tell, nothing leaks */
    assert_int_equal(ctx.fires_a, 0);
}

#define T(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, setup, model_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(timer_fires_at_its_deadline_and_not_before),
        T(rearming_moves_the_deadline),
        T(cancel_prevents_firing),
        T(timers_fire_in_deadline_order),
        T(stale_fire_from_the_host_is_ignored),
        T(callback_may_rearm_its_timer),
        T(deadline_saturates_instead_of_wrapping),
        T(now_reads_the_host_clock),
        T(destroy_cancels_armed_timers_with_the_host),
        T(reset_cancels_armed_timers),
        T(timer_new_checks_its_arguments),
        T(timer_new_is_refused_after_init),
        T(accessors_report_name_device_and_host_data),
        T(trace_lines_follow_arm_cancel_and_fire),
        cmocka_unit_test(unplugged_timer_records_its_state_but_never_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
