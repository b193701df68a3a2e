/* Per-CPU state: one struct per_cpu for each CPU, with what generic code
 * keeps per CPU (the scheduler's flags, the soft timers, the policy's run
 * queue) and, embedded first, the arch's part (struct arch_per_cpu: on
 * x86 the descriptor tables, the stacks, the VMX state), as struct vcpu
 * embeds struct arch_vcpu.  Reached one way everywhere: this_cpu() for
 * the CPU the code runs on, per_cpu(n) for CPU n (n must be up: 0, or a
 * CPU of arch_cpu_mask()); both come from <arch/percpu.h>.
 *
 * Most fields are their CPU's own: others may read them (under hv_lock)
 * but never write.  The fields other CPUs write (a wake-up or a pause
 * asking for a reschedule, a vcpu queued or placed there, a timer of this
 * CPU's list stopped) are in `shared`, on a cache line of their own, as
 * Jailhouse keeps its public per-CPU part apart: such a write then does
 * not take from the owner the lines it reads before every VM entry. */
#ifndef HV_PERCPU_H
#define HV_PERCPU_H

#include <arch/percpu.h>
#include <hv/timer.h>
#include <hv/types.h>

struct vcpu;

/* A CPU's run queue; its use is the policy's (sched/credit.c). */
struct sched_runq {
  struct vcpu *head;  /* queued vcpus, in the policy's order */
  uint64_t min_vtime; /* the least vtime a vcpu queued here may have */
};

struct per_cpu {
  struct arch_per_cpu arch;   /* first: the arch finds the whole through it (x86: GS) */
  volatile bool timer_raised; /* hv/timer.c: the timer interrupt fired (read before every entry) */
  struct vcpu *current;       /* sched/core.c: the vcpu this CPU runs, NULL when idle */
  struct timer slice_timer;   /* ends current's slice */
  struct timer release_timer; /* wakes the idle loop when a cap period ends */
  struct {
    volatile bool resched;  /* the running vcpu should give up the CPU (set
                             * before arch_cpu_kick; read before every entry) */
    unsigned int nr_placed; /* vcpus whose processor this is */
    struct timer *timers;   /* armed soft timers, earliest first */
    struct sched_runq runq;
  } shared __aligned(64);
};

#endif
