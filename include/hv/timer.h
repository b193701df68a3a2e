/* Soft timers: callbacks run at a deadline (nanoseconds since boot), from
 * the timer interrupt.  One hardware timer serves them all: it is always
 * programmed for the earliest pending deadline. */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include <hv/types.h>

struct timer {
  uint64_t deadline;
  void (*fn)(struct timer *t, void *data);
  void *data;
  struct timer *next;
  bool active;
};

/* Prepare t to call fn(t, data) when it expires.  t must not be active. */
void timer_init(struct timer *t, void (*fn)(struct timer *, void *), void *data);
/* Arm (or re-arm) t for deadline_ns.  A deadline in the past fires at the
 * next timer interrupt. */
void timer_set(struct timer *t, uint64_t deadline_ns);
/* Disarm t; harmless if it is not armed. */
void timer_stop(struct timer *t);
/* Run every expired timer and program the hardware for the next one.
 * Called by the arch timer interrupt (interrupts off). */
void timer_run(void);
/* Nanoseconds since boot. */
uint64_t timer_now(void);

#endif
