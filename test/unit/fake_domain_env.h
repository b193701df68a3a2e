/* What surrounds a domain in the hypervisor, faked for the unit tests that
 * run the real hv/domain.c and evtchn/evtchn.c (test_domain.c,
 * test_evtchn_ops.c): the scheduler, virtual time, grant tables, guest
 * RAM, console rings and the arch's vcpu hooks, each counting its calls,
 * and a guest buffer that arch_copy_*_guest reach (a gva is an offset in
 * it). */
#ifndef FAKE_DOMAIN_ENV_H
#define FAKE_DOMAIN_ENV_H

#include <hv/domain.h>

#define FAKE_DOMS 4 /* domain ids the counters below follow */

extern bool fake_on_cpu;                                        /* sched_domain_on_cpu's answer */
extern unsigned int fake_stopped_n;                             /* sched_domain_stopped calls */
extern unsigned int fake_released_n;                            /* guestmem_release calls */
extern unsigned int fake_changed_n;                             /* sched_vcpu_changed calls */
extern unsigned int fake_woken[FAKE_DOMS][DOMAIN_MAX_VCPUS];    /* sched_wake */
extern unsigned int fake_asserted[FAKE_DOMS][DOMAIN_MAX_VCPUS]; /* arch_vcpu_assert_upcall */
extern uint8_t fake_guest[4096];

/* Counters to zero, the guest buffer cleared. */
void fake_domain_env_reset(void);

#endif
