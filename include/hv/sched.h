/* The vcpu scheduler (sched/).  sched/core.c keeps the generic part: which
 * vcpus may run, blocking and waking, polling, pausing, run-state
 * accounting and the loop each physical CPU runs.  Which runnable vcpu
 * goes next, and for how long, is a policy's decision: a policy is a
 * struct sched_policy (sched/credit.c is the one we have); a second one
 * is added by writing another and pointing sched_policy at it. */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <arch/arch.h>
#include <hv/types.h>

struct domain;
struct vcpu;
struct vcpu_runstate_info;

#define SCHED_SLICE_NS 10000000ULL /* longest turn before the next choice */
#define SCHED_DEFAULT_WEIGHT 256
#define SCHED_DOM0_WEIGHT 512 /* dom0 serves the others: a larger share */
#define SCHED_MAX_WEIGHT 65535
#define SCHED_CAP_PERIOD_NS 100000000ULL /* caps are counted per 100 ms */
#define SCHED_MAX_CAP 65535              /* any cap the credit ABI's uint16_t holds */
#define SCHED_MAX_CPUS 64                /* bits in an affinity mask */

/* Xen's scheduler ids (public/domctl.h XEN_SCHEDULER_*): we answer as
 * the credit scheduler, whose weight/cap interface we implement. */
#define SCHED_ID_CREDIT 5

/* A scheduling policy.  Each CPU that runs vcpus has a run queue of its
 * own; a vcpu is queued on its processor's.  Called with hv_lock held. */
struct sched_policy {
  const char *name;
  unsigned int id;
  /* v became runnable (woken, unpaused, started): queue it on
   * v->processor's queue. */
  void (*enqueue)(struct vcpu *v);
  /* v stopped being runnable (blocked, paused, its domain ended, it
   * moves): off its queue. */
  void (*dequeue)(struct vcpu *v);
  /* The runnable vcpu to run next on cpu, removed from its queue, or
   * NULL; *slice_ns gets how long it may run. */
  struct vcpu *(*pick)(unsigned int cpu, uint64_t now, uint64_t *slice_ns);
  /* v ran for ran_ns; account for it and (if still runnable) requeue it
   * on v->processor's queue. */
  void (*charge)(struct vcpu *v, uint64_t ran_ns, bool runnable);
  /* When a capped domain queued on cpu may run again, or 0 (nothing is
   * parked there). */
  uint64_t (*next_release)(unsigned int cpu, uint64_t now);
};

extern const struct sched_policy sched_credit;

/* The running vcpu of this CPU gives it up at the next safe point (a
 * continuation, a shutdown). */
void sched_resched_local(void);

/* Choose a processor for a vcpu: the CPU in online & hard with the fewest
 * vcpus placed on it (load[cpu]); ties go to the lowest number.  Returns
 * HV_MAX_CPUS when online & hard is empty.  (sched/place.c, pure.) */
unsigned int sched_place(uint64_t online, uint64_t hard, const unsigned int load[HV_MAX_CPUS]);

/* Make a fresh vcpu known to the scheduler (offline until started) and
 * give it a processor (sched_place over every CPU that runs vcpus). */
void sched_vcpu_init(struct vcpu *v);
/* Start v (vcpu 0 at boot, others by VCPUOP_up): it becomes runnable. */
void sched_vcpu_start(struct vcpu *v);
/* v has nothing to do until an event or a timer: it leaves the CPU.
 * Returns false (and leaves v running) when an upcall is already due. */
bool sched_block(struct vcpu *v);
/* v waits for one of its domain's ports (port >= 0) or any event (port
 * -1), or until timeout_ns (system time, 0: none). */
void sched_poll(struct vcpu *v, int port, uint64_t timeout_ns);
/* End v's wait (block or poll), if it waits; it becomes runnable.  If v
 * runs on another CPU, that CPU is kicked (an upcall may be due); if v's
 * CPU is idle, it is woken. */
void sched_wake(struct vcpu *v);
/* SCHEDOP_yield: v goes behind the others once.  (Not sched_yield: the
 * host C library has one, which the unit tests must not replace.) */
void sched_vcpu_yield(struct vcpu *v);
/* Stop and restart a whole domain (domctl pause/unpause; nests).  A
 * vcpu of d running on another CPU leaves it soon after; see
 * sched_wait_off_cpu. */
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
/* The physical CPUs that run vcpus (bit n: CPU n). */
uint64_t sched_cpus(void);
/* v's affinity masks (bit n: CPU n; a new vcpu may use every CPU).  The
 * hard mask must include a CPU that runs vcpus (-EINVAL otherwise, and
 * nothing changes); the soft one may be anything (kept and reported, but
 * no choice follows it yet).  When v's processor leaves its hard mask, v
 * moves to the least loaded CPU of the mask: at once if it is not
 * running, else when its current turn ends (a reschedule is asked). */
int sched_set_hard_affinity(struct vcpu *v, uint64_t mask);
void sched_set_soft_affinity(struct vcpu *v, uint64_t mask);
/* Whether a vcpu of d is running on a CPU other than this one (then
 * its state may not be freed yet). */
bool sched_domain_on_cpu(const struct domain *d);
/* Wait (letting go of hv_lock meanwhile) until no vcpu of d runs on
 * another CPU.  d's vcpus must not be runnable (paused, stopped), or this
 * may wait for good.  d must stay allocated: the caller keeps it. */
void sched_wait_off_cpu(const struct domain *d);
/* Called by the arch run loop once v is loaded on the CPU, before its
 * first entry: publishes v's run state to the guest's run-state area. */
void sched_vcpu_on_cpu(struct vcpu *v);
/* v's run state with the current state's time up to now. */
void sched_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *out);
/* Write rs to v's registered runstate area (if any), through writer's page
 * tables, in the 32-bit layout if compat; with
 * VMASST_TYPE_runstate_update_flag on, XEN_RUNSTATE_UPDATE is set in the
 * guest's state_entry_time while the rest changes. */
void sched_runstate_publish(struct vcpu *v, struct vcpu *writer,
                            const struct vcpu_runstate_info *rs, bool compat);

/* Run vcpus on every CPU of sched_cpus() until no domain is left
 * running; returns on the boot CPU, the others halt.  Takes hv_lock and
 * lets it go before it returns. */
void sched_run(void);

#endif
