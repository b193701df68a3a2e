/* Soft timers: callbacks run at a deadline (nanoseconds since boot), from
 * timer_softirq after the timer interrupt.  Each CPU has its own list (in
 * its struct per_cpu) and its own hardware timer, always programmed for
 * the earliest deadline of its list; a timer fires on the CPU that armed
 * it last.  The lists are
 * shared state under hv_lock (include/hv/spinlock.h): any CPU may stop
 * any timer; only the interrupt flag is per CPU and lock-free. */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include <arch/arch.h>
#include <hv/types.h>

struct per_cpu;

struct timer {
  uint64_t deadline;
  void (*fn)(struct timer *t, void *data);
  void *data;
  struct timer *next;
  struct per_cpu *pc; /* the CPU whose list holds it, while active */
  uint64_t pushed;    /* timer_push's deadline, later than deadline; 0: none */
  bool active;
};

/* Prepare t to call fn(t, data) when it expires.  t must not be active. */
void timer_init(struct timer *t, void (*fn)(struct timer *, void *), void *data);
/* Arm (or re-arm) t for deadline_ns on this CPU.  A deadline in the past
 * fires at the next timer interrupt. */
void timer_set(struct timer *t, uint64_t deadline_ns);
/* Arm t for deadline_ns like timer_set, except that a t already armed on
 * this CPU for an earlier deadline stays where it is: it wakes then, finds
 * deadline_ns still ahead, and moves itself there without calling fn.  A
 * timer pushed back at every turn (the scheduler's slice) costs one store
 * instead of a walk of the list, and one early wake per deadline it kept. */
void timer_push(struct timer *t, uint64_t deadline_ns);
/* Disarm t, on whichever CPU it is armed; harmless if it is not armed.
 * (Another CPU's hardware timer may then fire early, and finds nothing.) */
void timer_stop(struct timer *t);
/* Run every expired timer of this CPU and program its hardware for the
 * next one. */
void timer_run(void);
/* The arch timer interrupt says a deadline may have passed on this CPU. */
void timer_raise(void);
/* Whether this CPU's timer_softirq has work. */
bool timer_due(void);
/* Run this CPU's expired timers if the interrupt said so; call where no
 * hypervisor state is half changed. */
void timer_softirq(void);
/* Nanoseconds since boot. */
static inline uint64_t timer_now(void) { return arch_now_ns(); }

#endif
