/* SPDX-License-Identifier: MIT */
/*
 * The virtual clock: time moves only when the caller advances it, and
 * the timers armed on it fire then, in deadline order (ties in the order
 * they were armed), each with the clock set to its deadline.  A callback
 * may arm timers again; they fire in the same step if they fall due
 * within it.  A deadline of UINT64_MAX (libvpci saturates delays past the
 * end of time to it) never fires.  Nothing here looks at wall-clock time.
 *
 * Armed timers are kept in a small array (a machine has a handful); the
 * libvpci core owns each timer's state and ignores stale fires.
 */
#include "internal.h"
#include "core.h"

#include <stdlib.h>

uint64_t mock_clock_ns(void *host)
{
    return ((struct vpci_mock *)host)->now;
}

static size_t timer_find(const struct vpci_mock *m,
                         const struct vpci_timer *t)
{
    for (size_t i = 0; i < m->ntimers; i++)
        if (m->timers[i].timer == t)
            return i;
    return SIZE_MAX;
}

static void timer_remove(struct vpci_mock *m, size_t i)
{
    m->timers[i] = m->timers[--m->ntimers];
}

void mock_timer_arm(void *host, struct vpci_timer *t, uint64_t deadline)
{
    struct vpci_mock *m = host;
    size_t i = timer_find(m, t);
    if (i == SIZE_MAX) {
        struct mock_timer_entry *e = mock_grow(m->timers, &m->timers_cap,
                                               m->ntimers + 1, sizeof(*e));
        if (!e) {
            mock_log(m, VPCI_LOG_ERROR, "timer %s: out of memory: it will "
                     "not fire", vpci_timer_name(t));
            return;
        }
        m->timers = e;
        i = m->ntimers++;
    }
    m->timers[i].timer = t;
    m->timers[i].deadline = deadline;
    m->timers[i].seq = m->timer_seq++;   /* re-arming moves it to the back */
}

void mock_timer_cancel(void *host, struct vpci_timer *t)
{
    struct vpci_mock *m = host;
    size_t i = timer_find(m, t);
    if (i != SIZE_MAX)
        timer_remove(m, i);
}

/* The entry that fires next, or SIZE_MAX. */
static size_t timer_next(const struct vpci_mock *m)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < m->ntimers; i++) {
        const struct mock_timer_entry *e = &m->timers[i];
        if (best == SIZE_MAX || e->deadline < m->timers[best].deadline ||
            (e->deadline == m->timers[best].deadline &&
             e->seq < m->timers[best].seq))
            best = i;
    }
    return best;
}

/* Fire everything due by @target, then set the clock there. */
static uint64_t run_until(struct vpci_mock *m, uint64_t target)
{
    size_t i;
    while ((i = timer_next(m)) != SIZE_MAX &&
           m->timers[i].deadline <= target &&
           m->timers[i].deadline != UINT64_MAX) {
        struct vpci_timer *t = m->timers[i].timer;
        if (m->timers[i].deadline > m->now)
            m->now = m->timers[i].deadline;
        timer_remove(m, i);
        vpci_timer_fire(t);
    }
    if (target > m->now)
        m->now = target;
    return m->now;
}

uint64_t vpci_mock_clock(const struct vpci_mock *m)
{
    return m ? m->now : 0;
}

uint64_t vpci_mock_clock_step(struct vpci_mock *m, uint64_t ns)
{
    if (!m)
        return 0;
    uint64_t target = ns > UINT64_MAX - m->now ? UINT64_MAX : m->now + ns;
    return run_until(m, target);
}

uint64_t vpci_mock_clock_step_next(struct vpci_mock *m)
{
    if (!m)
        return 0;
    uint64_t next = vpci_mock_next_deadline(m);
    if (next == UINT64_MAX)
        return m->now;
    return run_until(m, next > m->now ? next : m->now);
}

uint64_t vpci_mock_clock_set(struct vpci_mock *m, uint64_t ns)
{
    if (!m)
        return 0;
    return run_until(m, ns > m->now ? ns : m->now);
}

uint64_t vpci_mock_next_deadline(const struct vpci_mock *m)
{
    if (!m)
        return UINT64_MAX;
    size_t i = timer_next(m);
    return i == SIZE_MAX ? UINT64_MAX : m->timers[i].deadline;
}

void mock_clock_free(struct vpci_mock *m)
{
    free(m->timers);
    m->timers = NULL;
    m->ntimers = m->timers_cap = 0;
}
