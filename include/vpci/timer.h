/* SPDX-License-Identifier: MIT */
/*
 * Timers on the host's clock, for work that takes time (a DMA, a
 * computation).  Under the mock host they fire as a test advances virtual
 * time; inside QEMU they run on QEMU_CLOCK_VIRTUAL.
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

/* Create a timer owned by @dev (freed with it).  During init() only. */
int vpci_timer_new(struct vpci_dev *dev, const char *name, vpci_timer_fn fn,
                   void *opaque, struct vpci_timer **out);
/* Fire @delay_ns from now (re-arming moves it). */
void vpci_timer_arm(struct vpci_timer *t, uint64_t delay_ns);
void vpci_timer_cancel(struct vpci_timer *t);
bool vpci_timer_armed(const struct vpci_timer *t);
uint64_t vpci_timer_deadline(const struct vpci_timer *t);

/* The host's clock in ns (0 without a host clock). */
uint64_t vpci_now(const struct vpci_dev *dev);

/* Called by the host when an armed timer's deadline has come. */
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
