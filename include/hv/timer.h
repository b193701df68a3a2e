/* Soft timers: callbacks run at a deadline (nanoseconds since boot), from
 * timer_softirq after the timer interrupt.  One hardware timer serves them all: it is always
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
/* Run every expired timer and program the hardware for the next one
 * (interrupts off). */
void timer_run(void);
/* The arch timer interrupt says a deadline may have passed. */
void timer_raise(void);
/* Whether timer_softirq has work (inline: checked before every VM entry). */
extern volatile bool timer_raised;
static inline bool timer_due(void) { return timer_raised; }
/* Run the expired timers if the interrupt said so; call where no
 * hypervisor state is half changed. */
void timer_softirq(void);
/* Nanoseconds since boot. */
uint64_t timer_now(void);

#endif
