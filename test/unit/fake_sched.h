/* The scheduler (sched/core.c) faked for the unit tests that run the real
 * domains and event channels without it (test_domain.c,
 * test_evtchn_ops.c): each entry counts its calls. */
#ifndef FAKE_SCHED_H
#define FAKE_SCHED_H

#include "fake_domain_env.h"

extern bool fake_on_cpu;                                     /* sched_domain_on_cpu's answer */
extern unsigned int fake_stopped_n;                          /* sched_domain_stopped calls */
extern unsigned int fake_changed_n;                          /* sched_vcpu_changed calls */
extern unsigned int fake_woken[FAKE_DOMS][DOMAIN_MAX_VCPUS]; /* sched_wake */

/* Counters to zero, fake_on_cpu false. */
void fake_sched_reset(void);

#endif
