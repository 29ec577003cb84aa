/* SPDX-License-Identifier: MIT */
/*
 * Timers on the host's clock.
 *
 * The core keeps each timer's state (armed, absolute deadline) itself and
 * asks the host to call vpci_timer_fire() at the deadline.  The core's
 * state is the truth: a fire that arrives for a timer that is not armed
 * (cancelled, or already fired), or before its deadline (re-armed later
 * while the host's event was in flight) is ignored.
 *
 * Without host timer services (no timer_arm) a timer still records that it
 * is armed and its deadline, so the model's state is consistent and can be
 * saved, but it never fires; without clock_ns the clock reads 0 and
 * deadlines are the delays themselves.
 */
#include "internal.h"

#include <stdlib.h>

int vpci_timer_new(struct vpci_dev *dev, const char *name, vpci_timer_fn fn,
                   void *opaque, struct vpci_timer **out)
{
    if (out)
        *out = NULL;
    int rc = vpci_require_init(dev, "vpci_timer_new");
    if (rc)
        return rc;
    if (!name || !*name || !fn || !out) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_timer_new: needs a name, a callback and *out");
        return -EINVAL;
    }
    struct vpci_timer **tail = &dev->timers;
    for (; *tail; tail = &(*tail)->next) {
        /* Save/restore matches timers by name. */
        if (!strcmp((*tail)->name, name)) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "vpci_timer_new: a timer named \"%s\" exists", name);
            return -EEXIST;
        }
    }
    struct vpci_timer *t = calloc(1, sizeof(*t));
    char *copy = strdup(name);
    if (!t || !copy) {
        free(t);
        free(copy);
        return -ENOMEM;
    }
    t->dev = dev;
    t->name = copy;
    t->fn = fn;
    t->opaque = opaque;
    *tail = t;      /* creation order: save/restore walks it */
    *out = t;
    return 0;
}

uint64_t vpci_now(const struct vpci_dev *dev)
{
    if (!dev || !dev->ops || !dev->ops->clock_ns)
        return 0;
    return dev->ops->clock_ns(dev->host);
}

void vpci_timer_arm(struct vpci_timer *t, uint64_t delay_ns)
{
    if (!t)
        return;
    struct vpci_dev *dev = t->dev;
    uint64_t now = vpci_now(dev);
    /* Saturate: a delay past the end of time never fires, never wraps. */
    uint64_t deadline = delay_ns > UINT64_MAX - now ? UINT64_MAX
                                                    : now + delay_ns;
    t->armed = true;
    t->deadline = deadline;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "timer %s armed: +%llu ns -> %llu",
                 t->name, (unsigned long long)delay_ns,
                 (unsigned long long)deadline);
    if (dev->ops && dev->ops->timer_arm)
        dev->ops->timer_arm(dev->host, t, deadline);
}

void vpci_timer_cancel(struct vpci_timer *t)
{
    if (!t || !t->armed)
        return;
    struct vpci_dev *dev = t->dev;
    t->armed = false;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "timer %s cancelled", t->name);
    if (dev->ops && dev->ops->timer_cancel)
        dev->ops->timer_cancel(dev->host, t);
}

bool vpci_timer_armed(const struct vpci_timer *t)
{
    return t && t->armed;
}

uint64_t vpci_timer_deadline(const struct vpci_timer *t)
{
    return t && t->armed ? t->deadline : 0;
}

void vpci_timer_fire(struct vpci_timer *t)
{
    if (!t)
        return;
    struct vpci_dev *dev = t->dev;
    /*
     * A host event for a timer that was cancelled, or re-armed to a later
     * deadline, while the event was in flight is stale.
     */
    bool early = dev->ops && dev->ops->clock_ns && vpci_now(dev) < t->deadline;
    if (!t->armed || early) {
        if (vpci_tracing(dev))
            vpci_log(dev, VPCI_LOG_TRACE, "timer %s: stale fire ignored (%s)",
                     t->name, t->armed ? "before its deadline" : "not armed");
        return;
    }
    /* Disarm first: the callback may re-arm. */
    t->armed = false;
    if (vpci_tracing(dev))
        vpci_log(dev, VPCI_LOG_TRACE, "timer %s fired at %llu", t->name,
                 (unsigned long long)vpci_now(dev));
    t->fn(dev, t->opaque);
}

void vpci_timer_set_host_data(struct vpci_timer *t, void *data)
{
    if (t)
        t->host_data = data;
}

void *vpci_timer_host_data(const struct vpci_timer *t)
{
    return t ? t->host_data : NULL;
}

struct vpci_dev *vpci_timer_dev(const struct vpci_timer *t)
{
    return t ? t->dev : NULL;
}

const char *vpci_timer_name(const struct vpci_timer *t)
{
    return t ? t->name : NULL;
}

void vpci_timers_cancel_all(struct vpci_dev *dev)
{
    for (struct vpci_timer *t = dev->timers; t; t = t->next)
        vpci_timer_cancel(t);
}

void vpci_timers_free(struct vpci_dev *dev)
{
    for (struct vpci_timer *t = dev->timers, *next; t; t = next) {
        next = t->next;
        free((char *)t->name);
        free(t);
    }
    dev->timers = NULL;
}
