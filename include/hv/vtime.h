/* Guest time: the pvclock in each vcpu_info and the vcpu timers that
 * raise VIRQ_TIMER (hv/vtime.c); the wall clock is hv/wallclock.h's. */
#ifndef HV_VTIME_H
#define HV_VTIME_H

#include <hv/types.h>

struct domain;
struct vcpu;

/* Prepare v's timers. */
void vtime_vcpu_init(struct vcpu *v);
/* Stop v's timers (its domain is ending). */
void vtime_vcpu_stop(struct vcpu *v);
/* Write v's vcpu_time_info with the version protocol (odd while the
 * fields change, even again after): when v starts and where its
 * vcpu_info moves; the parameters are constant, so that is all. */
void vtime_publish(struct vcpu *v);

/* set_timer_op (hypercall 15): VIRQ_TIMER at system time timeout_ns; 0
 * cancels. */
long do_set_timer_op(struct vcpu *v, uint64_t timeout_ns);
/* The VCPUOP timer operations, with Xen's checks and errnos. */
long vtime_set_singleshot(struct vcpu *v, struct vcpu *t, uint64_t arg);
long vtime_stop_singleshot(struct vcpu *v, struct vcpu *t);
long vtime_set_periodic(struct vcpu *v, struct vcpu *t, uint64_t arg);
long vtime_stop_periodic(struct vcpu *t);

#endif
