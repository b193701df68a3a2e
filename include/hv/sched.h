/* The scheduler (for now: round-robin over every online vcpu, 10 ms each). */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/types.h>

#define SCHED_SLICE_NS 10000000ULL

/* Set when the running vcpu should give up the CPU: its timeslice ended,
 * it yielded, or its domain stopped.  The arch run loop checks it after
 * every VM exit. */
extern bool sched_resched;

/* Run vcpus until no domain is left running. */
void sched_run(void);

#endif
