/* The generic scheduler: which vcpus may run, blocking and waking,
 * SCHEDOP_poll, domain pause, run-state accounting, and the loop a
 * physical CPU runs (pick a vcpu, run it for a slice, charge it, idle when
 * nobody is runnable).  The choice itself is the policy's (sched.h).
 *
 * One CPU (the boot CPU) runs vcpus for now; every vcpu's processor is 0.
 * Timer callbacks run from this loop (timer_softirq), never inside an
 * interrupt, so nothing here races with them. */
#include <arch/arch.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/timer.h>
#include <hv/vtime.h>
#include <public/vcpu.h>

bool sched_resched;
struct vcpu *sched_current;
static const struct sched_policy *policy = &sched_credit;
static struct timer slice_timer;   /* ends the running vcpu's slice */
static struct timer release_timer; /* wakes the idle loop when a cap period ends */

/* Whether v may run now. */
static bool sched_runnable(const struct vcpu *v)
{
  return v->online && !v->blocked && v->dom->state == DOMAIN_RUNNING && !v->dom->pause_count;
}

/* Account the time since the last change to the old state (Xen's
 * vcpu_runstate_change). */
static void runstate_set(struct vcpu *v, int state, uint64_t now)
{
  struct vcpu_runstate_info *r = &v->runstate;
  if (r->state == state)
    return;
  if (now > r->state_entry_time)
    r->time[r->state] += now - r->state_entry_time;
  r->state = state;
  r->state_entry_time = now;
}

/* Put v on its queue or take it off to match whether it may run; the
 * running vcpu is on no queue (the loop requeues it after its turn). */
static void update(struct vcpu *v)
{
  uint64_t now = timer_now();
  if (v == sched_current) {
    if (!sched_runnable(v))
      sched_resched = true;
    return;
  }
  bool want = sched_runnable(v);
  if (want && !v->on_runq)
    policy->enqueue(v);
  else if (!want && v->on_runq)
    policy->dequeue(v);
  runstate_set(v, want ? RUNSTATE_runnable : v->blocked ? RUNSTATE_blocked : RUNSTATE_offline,
               now);
}

static void poll_timeout(struct timer *t, void *data)
{
  (void)t;
  sched_wake(data);
}

void sched_vcpu_init(struct vcpu *v)
{
  v->processor = 0;
  v->hard_affinity = ~0ULL; /* every CPU, as in Xen */
  v->soft_affinity = ~0ULL;
  v->runstate.state = RUNSTATE_offline;
  v->runstate.state_entry_time = timer_now();
  timer_init(&v->poll_timer, poll_timeout, v);
}

void sched_vcpu_start(struct vcpu *v)
{
  /* Its pvclock, once: the parameters never change (register_vcpu_info
   * writes it again where vcpu_info moves).  Xen fills it when the vcpu
   * first runs, so a vcpu never started keeps an all-zero vcpu_info. */
  vtime_publish(v);
  v->online = true;
  update(v);
}

bool sched_block(struct vcpu *v)
{
  if (evtchn_upcall_due(v))
    return false; /* an upcall would wake it at once: keep running */
  v->blocked = true;
  update(v);
  return true;
}

void sched_poll(struct vcpu *v, int port, uint64_t timeout_ns)
{
  v->polling = true;
  v->poll_port = port;
  v->blocked = true;
  if (timeout_ns)
    timer_set(&v->poll_timer, timeout_ns);
  update(v);
}

void sched_wake(struct vcpu *v)
{
  if (!v->blocked)
    return;
  v->blocked = false;
  if (v->polling) {
    v->polling = false;
    timer_stop(&v->poll_timer);
  }
  update(v);
}

void sched_yield(struct vcpu *v)
{
  v->yielded = true;
  sched_resched = true;
}

void sched_pause(struct domain *d)
{
  d->pause_count++;
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    update(d->vcpus[i]);
}

void sched_unpause(struct domain *d)
{
  if (d->pause_count)
    d->pause_count--;
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    update(d->vcpus[i]);
}

void sched_vcpu_changed(struct vcpu *v) { update(v); }

void sched_domain_stopped(struct domain *d)
{
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    struct vcpu *v = d->vcpus[i];
    timer_stop(&v->poll_timer);
    update(v);
  }
}

int sched_set_params(struct domain *d, unsigned int weight, unsigned int cap)
{
  if (weight < 1 || weight > SCHED_MAX_WEIGHT || cap > SCHED_MAX_CAP)
    return -EINVAL;
  d->weight = weight;
  d->cap = cap;
  return 0;
}

unsigned int sched_policy_id(void) { return policy->id; }

uint64_t sched_cpus(void) { return 1; /* the boot CPU's run queue is the only one */ }

int sched_set_hard_affinity(struct vcpu *v, uint64_t mask)
{
  /* Xen refuses a hard mask with no online CPU of the domain's pool. */
  if (!(mask & sched_cpus()))
    return -EINVAL;
  v->hard_affinity = mask;
  return 0;
}

void sched_set_soft_affinity(struct vcpu *v, uint64_t mask) { v->soft_affinity = mask; }

bool sched_domain_on_cpu(const struct domain *d)
{
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    if (d->vcpus[i] == sched_current)
      return true;
  return false;
}

void sched_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *out)
{
  *out = v->runstate;
  uint64_t now = timer_now();
  if (now > out->state_entry_time)
    out->time[out->state] += now - out->state_entry_time;
}

void sched_vcpu_on_cpu(struct vcpu *v)
{
  if (v->runstate_gva)
    arch_copy_to_guest(v, v->runstate_gva, &v->runstate, sizeof(v->runstate));
}

static void slice_end(struct timer *t, void *data)
{
  (void)t;
  (void)data;
  sched_resched = true;
}

static void release(struct timer *t, void *data)
{
  (void)t;
  (void)data; /* the loop looks again */
}

static bool any_domain_running(void)
{
  for (struct domain *d = domain_list; d; d = d->next)
    if (d->state == DOMAIN_RUNNING)
      return true;
  return false;
}

/* Nobody may run: sleep until an interrupt (a timer, the console). */
static void idle(uint64_t now)
{
  uint64_t at = policy->next_release(now);
  if (at)
    timer_set(&release_timer, at);
  unsigned long flags = arch_irq_save();
  if (!timer_due())
    arch_idle(); /* sti; hlt: no interrupt slips in between */
  arch_irq_restore(flags);
}

void sched_run(void)
{
  timer_init(&slice_timer, slice_end, NULL);
  timer_init(&release_timer, release, NULL);
  printk(LOG_INFO, "sched: policy %s", policy->name);
  for (;;) {
    timer_softirq();
    if (!any_domain_running())
      return;
    uint64_t now = timer_now(), slice = SCHED_SLICE_NS;
    struct vcpu *v = policy->pick(now, &slice);
    if (!v) {
      idle(now);
      continue;
    }
    sched_current = v;
    sched_resched = false;
    v->yielded = false;
    runstate_set(v, RUNSTATE_running, now);
    uint64_t start = now;
    timer_set(&slice_timer, now + slice);
    arch_vcpu_run(v);
    timer_stop(&slice_timer);
    now = timer_now();
    sched_current = NULL;
    bool runnable = sched_runnable(v);
    policy->charge(v, now - start, runnable);
    runstate_set(v, runnable ? RUNSTATE_runnable
                    : v->blocked ? RUNSTATE_blocked : RUNSTATE_offline, now);
  }
}
