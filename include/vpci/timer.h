/* SPDX-License-Identifier: MIT */
/*
 * Timers on the host's clock, for work that takes time (a DMA, a
 * computation).  Under the mock host they fire as a test advances virtual
 * time; inside QEMU they run on QEMU_CLOCK_VIRTUAL.
 *
 * A timer is one-shot: it disarms itself before its callback runs, which
 * may arm it again.  Timers are cancelled by reset and destroy, and saved
 * with the device (armed ones keep their absolute deadline).  Without host
 * timer services a timer records that it is armed but never fires.
 */
#ifndef VPCI_TIMER_H
#define VPCI_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;
struct vpci_timer;

typedef void (*vpci_timer_fn)(struct vpci_dev *dev, void *opaque);

/*
 * Create a timer owned by @dev (freed with it), named for messages and for
 * save/restore.  During init() only.  Returns 0 and *out, or -EINVAL (no
 * name, callback or out), -EEXIST (name taken), -EPERM (after init),
 * -ENOMEM.
 */
int vpci_timer_new(struct vpci_dev *dev, const char *name, vpci_timer_fn fn,
                   void *opaque, struct vpci_timer **out);
/* Fire @delay_ns from now (re-arming moves it; the deadline saturates). */
void vpci_timer_arm(struct vpci_timer *t, uint64_t delay_ns);
/* Disarm; nothing happens for a timer that is not armed. */
void vpci_timer_cancel(struct vpci_timer *t);
bool vpci_timer_armed(const struct vpci_timer *t);
/* Absolute deadline on vpci_now()'s clock; 0 when not armed. */
uint64_t vpci_timer_deadline(const struct vpci_timer *t);

/* The host's clock in ns (0 without a host clock). */
uint64_t vpci_now(const struct vpci_dev *dev);

/*
 * Called by the host when an armed timer's deadline has come.  A stale
 * call is ignored: for a timer that is not armed (cancelled or fired), or
 * before its deadline by clock_ns() (re-armed later meanwhile).
 */
void vpci_timer_fire(struct vpci_timer *t);
/* For hosts: the per-timer pointer a host may keep (e.g. a QEMUTimer). */
void vpci_timer_set_host_data(struct vpci_timer *t, void *data);
void *vpci_timer_host_data(const struct vpci_timer *t);
struct vpci_dev *vpci_timer_dev(const struct vpci_timer *t);
const char *vpci_timer_name(const struct vpci_timer *t);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_TIMER_H */
