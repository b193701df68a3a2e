/* The vcpu scheduler (sched/).  sched/core.c keeps the generic part: which
 * vcpus may run, blocking and waking, polling, pausing, run-state
 * accounting and the loop each physical CPU runs.  Which runnable vcpu
 * goes next, and for how long, is a policy's decision: a policy is a
 * struct sched_policy (sched/credit.c is the one we have); a second one
 * is added by writing another and pointing sched_policy at it. */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/types.h>

struct domain;
struct vcpu;
struct vcpu_runstate_info;

#define SCHED_SLICE_NS 10000000ULL /* longest turn before the next choice */
#define SCHED_DEFAULT_WEIGHT 256
#define SCHED_DOM0_WEIGHT 512      /* dom0 serves the others: a larger share */
#define SCHED_MAX_WEIGHT 65535
#define SCHED_CAP_PERIOD_NS 100000000ULL /* caps are counted per 100 ms */
#define SCHED_MAX_CAP 65535 /* any cap the credit ABI's uint16_t holds */
#define SCHED_MAX_CPUS 64   /* bits in an affinity mask */

/* Xen's scheduler ids (public/domctl.h XEN_SCHEDULER_*): we answer as
 * the credit scheduler, whose weight/cap interface we implement. */
#define SCHED_ID_CREDIT 5

/* A scheduling policy.  Called with interrupts enabled, from the CPU's
 * own loop or hypercall handlers (one CPU runs vcpus for now). */
struct sched_policy {
  const char *name;
  unsigned int id;
  /* v became runnable (woken, unpaused, started): queue it. */
  void (*enqueue)(struct vcpu *v);
  /* v stopped being runnable (blocked, paused, its domain ended). */
  void (*dequeue)(struct vcpu *v);
  /* The runnable vcpu to run next on this CPU, removed from the queue,
   * or NULL; *slice_ns gets how long it may run. */
  struct vcpu *(*pick)(uint64_t now, uint64_t *slice_ns);
  /* v ran for ran_ns; account for it and (if still runnable) requeue. */
  void (*charge)(struct vcpu *v, uint64_t ran_ns, bool runnable);
  /* When a capped domain may run again, or 0 (nothing is parked). */
  uint64_t (*next_release)(uint64_t now);
};

extern const struct sched_policy sched_credit;

/* Set when the running vcpu should give up the CPU: its slice ended, it
 * yielded or blocked, or its domain stopped.  The arch run loop checks it
 * before every VM entry. */
extern bool sched_resched;
/* The vcpu this CPU is running (NULL when idle). */
extern struct vcpu *sched_current;

/* Make a fresh vcpu known to the scheduler (offline until started). */
void sched_vcpu_init(struct vcpu *v);
/* Start v (vcpu 0 at boot, others by VCPUOP_up): it becomes runnable. */
void sched_vcpu_start(struct vcpu *v);
/* v has nothing to do until an event or a timer: it leaves the CPU.
 * Returns false (and leaves v running) when an upcall is already due. */
bool sched_block(struct vcpu *v);
/* v waits for one of its domain's ports (port >= 0) or any event (port
 * -1), or until timeout_ns (system time, 0: none). */
void sched_poll(struct vcpu *v, int port, uint64_t timeout_ns);
/* End v's wait (block or poll), if it waits; it becomes runnable. */
void sched_wake(struct vcpu *v);
/* SCHEDOP_yield: v goes behind the others once. */
void sched_yield(struct vcpu *v);
/* Stop and restart a whole domain (domctl pause/unpause; nests). */
void sched_pause(struct domain *d);
void sched_unpause(struct domain *d);
/* v's online state changed: queue or unqueue it to match. */
void sched_vcpu_changed(struct vcpu *v);
/* The domain stopped for good: its vcpus leave the queues. */
void sched_domain_stopped(struct domain *d);
/* Weight (1..65535) and cap (0: none, else percent of one CPU, at most
 * SCHED_MAX_CAP).  Returns 0, or -EINVAL (nothing changed). */
int sched_set_params(struct domain *d, unsigned int weight, unsigned int cap);
/* The id of the policy in charge (XEN_SCHEDULER_* of the ABI). */
unsigned int sched_policy_id(void);
/* The physical CPUs that run vcpus (bit n: CPU n).  Only the boot CPU
 * does for now. */
uint64_t sched_cpus(void);
/* v's affinity masks (bit n: CPU n; a new vcpu may use every CPU).  The
 * hard mask must include a CPU that runs vcpus (-EINVAL otherwise, and
 * nothing changes); the soft one may be anything.  They are kept and
 * reported back; with one CPU running vcpus, they change no choice. */
int sched_set_hard_affinity(struct vcpu *v, uint64_t mask);
void sched_set_soft_affinity(struct vcpu *v, uint64_t mask);
/* Whether any vcpu of d is loaded on a CPU now. */
bool sched_domain_on_cpu(const struct domain *d);
/* Called by the arch run loop once v is loaded on the CPU, before its
 * first entry: publishes v's run state to the guest's run-state area. */
void sched_vcpu_on_cpu(struct vcpu *v);
/* v's run state with the current state's time up to now. */
void sched_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *out);

/* Run vcpus until no domain is left running. */
void sched_run(void);

#endif
