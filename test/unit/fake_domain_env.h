/* What surrounds a domain in the hypervisor, faked for the unit tests that
 * run the real hv/domain.c and evtchn/evtchn.c (test_domain.c,
 * test_evtchn_ops.c, test_sched_core.c): virtual time, grant tables, guest
 * RAM, console rings and the arch's vcpu hooks, each counting its calls,
 * and a guest buffer that arch_copy_*_guest reach (a gva is an offset in
 * it).  The scheduler's fakes are apart (fake_sched.h), for the tests that
 * do not run the real one. */
#ifndef FAKE_DOMAIN_ENV_H
#define FAKE_DOMAIN_ENV_H

#include <hv/domain.h>

#define FAKE_DOMS 4 /* domain ids the counters below follow */

extern unsigned int fake_released_n;                            /* guestmem_release calls */
extern unsigned int fake_asserted[FAKE_DOMS][DOMAIN_MAX_VCPUS]; /* arch_vcpu_assert_upcall */
extern uint8_t fake_guest[4096];

/* Counters to zero, the guest buffer cleared. */
void fake_domain_env_reset(void);

#endif
