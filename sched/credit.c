/* A weighted fair policy in the manner of Xen's credit scheduler: each
 * domain has a weight (its share of the CPU against the others) and an
 * optional cap (percent of one CPU it may use at most).
 *
 * Each vcpu carries a weighted run time, vtime: running for t ns adds
 * t * SCHED_DEFAULT_WEIGHT / weight.  The runnable vcpu with the least
 * vtime runs next, for one slice; so over time CPU shares follow the
 * weights (a vcpu of weight 512 is charged half as much as one of 256 and
 * runs twice as often).  A vcpu that slept comes back no further behind
 * than the queue's current minimum, so sleeping earns no hoard of CPU.
 * A capped domain that used its share of the current 100 ms period is
 * passed over until the period ends.
 *
 * One run queue per CPU (in its struct per_cpu), each with its own
 * minimum: the shares hold among the vcpus of one CPU (vcpus stay on their
 * CPU, see sched/place.c).  The queue is in vtime order, ties first come,
 * first served; its minimum is the vtime of the last vcpu chosen, and
 * never falls. */
#include <hv/domain.h>
#include <hv/percpu.h>
#include <hv/sched.h>

/* The queue is kept in vtime order (ties in arrival order), so the choice
 * is the first vcpu not held by its cap.  A vcpu that yielded goes behind
 * every vcpu queued now, whatever its vtime: the yield counts once, as the
 * vcpus that come later are inserted by vtime again. */
static void enqueue(struct vcpu *v)
{
  struct sched_runq *q = &per_cpu(v->processor)->shared.runq;
  if (v->vtime < q->min_vtime)
    v->vtime = q->min_vtime;
  struct vcpu **p = &q->head;
  if (v->yielded) {
    v->yielded = false;
    while (*p)
      p = &(*p)->runq_next;
  } else {
    while (*p && (*p)->vtime <= v->vtime)
      p = &(*p)->runq_next;
  }
  v->runq_next = *p;
  *p = v;
  v->on_runq = true;
}

static void dequeue(struct vcpu *v)
{
  for (struct vcpu **p = &per_cpu(v->processor)->shared.runq.head; *p; p = &(*p)->runq_next) {
    if (*p == v) {
      *p = v->runq_next;
      break;
    }
  }
  v->runq_next = NULL;
  v->on_runq = false;
}

/* The CPU time d may still use in the current cap period (~0: no cap). */
static uint64_t cap_left(struct domain *d, uint64_t now)
{
  if (!d->cap)
    return ~0ULL;
  if (now - d->cap_period_start >= SCHED_CAP_PERIOD_NS) {
    d->cap_period_start = now - (now - d->cap_period_start) % SCHED_CAP_PERIOD_NS;
    d->cap_used_ns = 0;
  }
  uint64_t budget = SCHED_CAP_PERIOD_NS / 100 * d->cap;
  return d->cap_used_ns < budget ? budget - d->cap_used_ns : 0;
}

static struct vcpu *pick(unsigned int cpu, uint64_t now, uint64_t *slice_ns)
{
  struct sched_runq *q = &per_cpu(cpu)->shared.runq;
  for (struct vcpu **p = &q->head; *p; p = &(*p)->runq_next) {
    struct vcpu *v = *p;
    uint64_t left = cap_left(v->dom, now);
    if (!left)
      continue; /* it waits in place for its next period */
    *p = v->runq_next;
    v->runq_next = NULL;
    v->on_runq = false;
    if (v->vtime > q->min_vtime)
      q->min_vtime = v->vtime;
    *slice_ns = left < SCHED_SLICE_NS ? left : SCHED_SLICE_NS;
    return v;
  }
  return NULL;
}

static void charge(struct vcpu *v, uint64_t ran_ns, bool runnable)
{
  struct domain *d = v->dom;
  v->vtime += ran_ns * SCHED_DEFAULT_WEIGHT / (d->weight ? d->weight : SCHED_DEFAULT_WEIGHT);
  d->cap_used_ns += ran_ns;
  if (runnable)
    enqueue(v);
  else
    v->yielded = false; /* a yield before a block is spent */
}

static uint64_t next_release(unsigned int cpu, uint64_t now)
{
  uint64_t at = 0;
  for (struct vcpu *v = per_cpu(cpu)->shared.runq.head; v; v = v->runq_next) {
    if (cap_left(v->dom, now))
      continue;
    uint64_t end = v->dom->cap_period_start + SCHED_CAP_PERIOD_NS;
    if (!at || end < at)
      at = end;
  }
  return at;
}

const struct sched_policy sched_credit = {
    .name = "credit (weighted fair)",
    .id = SCHED_ID_CREDIT,
    .enqueue = enqueue,
    .dequeue = dequeue,
    .pick = pick,
    .charge = charge,
    .next_release = next_release,
};
