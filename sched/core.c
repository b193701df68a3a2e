/* The generic scheduler: which vcpus may run, blocking and waking,
 * SCHEDOP_poll, domain pause, run-state accounting, and the loop each
 * physical CPU runs (pick a vcpu, run it for a slice, charge it, idle when
 * nobody is runnable).  The choice itself is the policy's (sched.h).
 *
 * SMP, first step: every CPU of sched_cpus() runs this loop on its own run
 * queue, and all of them share one lock, hv_lock (include/hv/spinlock.h),
 * held everywhere except in guest mode and while idle.  So the code below
 * runs on one CPU at a time and reads other CPUs' state (per_cpu(n))
 * freely; a change another CPU must act on is a flag (resched) plus a
 * kick (arch_cpu_kick).
 *
 * Placement: a vcpu gets a processor when it is made (the least loaded
 * CPU its hard affinity allows, sched/place.c) and stays there; it moves
 * only when its hard affinity leaves that CPU out, and then only between
 * turns, so its hardware state is never in use on two CPUs.  A wake-up
 * queues a vcpu on its own CPU and kicks that CPU if it is idle; it does
 * not preempt a running vcpu (nor did it with one CPU): the woken vcpu
 * waits at most for the running one's slice.  No load balancing: an idle
 * CPU does not take vcpus queued elsewhere.
 *
 * Timer callbacks run from these loops (timer_softirq), never inside an
 * interrupt, so nothing here races with them.
 *
 * An idle CPU first zeroes free frames that may hold old data (Xen's idle
 * scrubbing: mm/frame.c), a batch at a time, and halts when none is left. */
#include <arch/arch.h>
#include <hv/compat.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/frame.h>
#include <hv/percpu.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/spinlock.h>
#include <hv/timer.h>
#include <hv/upcall.h>
#include <hv/vtime.h>
#include <public/vcpu.h>

static const struct sched_policy *policy = &sched_credit;

void sched_resched_local(void) { this_cpu()->shared.resched = true; }

/* Make cpu look at its flags: a kick unless it is this CPU (which looks
 * at its next safe point anyway). */
static void kick(unsigned int cpu)
{
  if (per_cpu(cpu) != this_cpu()) /* inline: a wake-up of this CPU's own vcpu is cheap */
    arch_cpu_kick(cpu);
}

/* Ask cpu to reschedule. */
static void resched(unsigned int cpu)
{
  per_cpu(cpu)->shared.resched = true;
  kick(cpu);
}

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
 * running vcpu is on no queue (the loop requeues it after its turn).  A
 * vcpu queued on an idle CPU wakes that CPU. */
static void update(struct vcpu *v)
{
  struct per_cpu *pc = per_cpu(v->processor);
  if (v == pc->current) {
    /* Its runstate changes when the loop ends its turn. */
    if (!sched_runnable(v))
      resched(v->processor);
    return;
  }
  uint64_t now = timer_now();
  bool want = sched_runnable(v);
  if (want && !v->on_runq) {
    policy->enqueue(v);
    if (!pc->current)
      resched(v->processor);
  } else if (!want && v->on_runq)
    policy->dequeue(v);
  runstate_set(v, want ? RUNSTATE_runnable : v->blocked ? RUNSTATE_blocked : RUNSTATE_offline, now);
}

static void poll_timeout(struct timer *t, void *data)
{
  (void)t;
  sched_wake(data);
}

/* How many vcpus each CPU that runs vcpus has (sched_place's load). */
static void loads(unsigned int load[HV_MAX_CPUS])
{
  uint64_t cpus = sched_cpus();
  for (unsigned int c = 0; c < HV_MAX_CPUS; c++)
    load[c] = cpus >> c & 1 ? per_cpu(c)->shared.nr_placed : 0;
}

__cold void sched_vcpu_init(struct vcpu *v)
{
  unsigned int load[HV_MAX_CPUS];
  loads(load);
  unsigned int cpu = sched_place(sched_cpus(), ~0ULL, load);
  v->processor = cpu < HV_MAX_CPUS ? cpu : 0; /* no CPU runs vcpus: it never runs */
  per_cpu(v->processor)->shared.nr_placed++;
  v->move_to = 0;
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
  struct per_cpu *pc = this_cpu();
  if (likely(v == pc->current))
    pc->shared.resched = true; /* update()'s answer for it, without its tests */
  else
    update(v);
  return true;
}

void sched_poll(struct vcpu *v, int port, uint64_t timeout_ns)
{
  if (!v->polling)
    v->dom->nr_polling++;
  v->polling = true;
  v->poll_port = port;
  v->blocked = true;
  if (timeout_ns)
    timer_set(&v->poll_timer, timeout_ns);
  update(v);
}

void sched_wake(struct vcpu *v)
{
  if (!v->blocked) {
    /* Running elsewhere: the kick makes it exit, and the run loop
     * delivers the upcall that may now be due. */
    if (v == per_cpu(v->processor)->current)
      kick(v->processor);
    return;
  }
  v->blocked = false;
  if (v->polling) {
    v->polling = false;
    v->dom->nr_polling--;
    timer_stop(&v->poll_timer);
  }
  update(v);
}

void sched_vcpu_yield(struct vcpu *v)
{
  v->yielded = true;
  resched(v->processor);
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
    v->move_to = 0; /* it will not run again: no move */
    update(v);
    per_cpu(v->processor)->shared.nr_placed--;
  }
  /* Idle CPUs look again: the last domain may have gone. */
  for (unsigned int c = 0; c < HV_MAX_CPUS; c++)
    if ((sched_cpus() >> c & 1) && !per_cpu(c)->current)
      resched(c);
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

uint64_t sched_cpus(void) { return arch_cpu_mask(); }

/* v's processor becomes cpu.  v is on no CPU, so its hardware state is
 * on none either (arch_vcpu_park) and it may simply be queued there. */
static void move(struct vcpu *v, unsigned int cpu)
{
  pr_info("sched: %s vcpu %u moves from CPU %u to CPU %u", v->dom->name, v->id, v->processor, cpu);
  if (v->on_runq)
    policy->dequeue(v);
  per_cpu(v->processor)->shared.nr_placed--;
  per_cpu(cpu)->shared.nr_placed++;
  v->processor = cpu;
  update(v);
}

__cold int sched_set_hard_affinity(struct vcpu *v, uint64_t mask)
{
  /* Xen refuses a hard mask with no online CPU of the domain's pool. */
  if (!(mask & sched_cpus()))
    return -EINVAL;
  v->hard_affinity = mask;
  if (mask >> v->processor & 1)
    return 0;
  unsigned int load[HV_MAX_CPUS];
  loads(load);
  unsigned int cpu = sched_place(sched_cpus(), mask, load);
  if (v == per_cpu(v->processor)->current) {
    v->move_to = cpu + 1; /* the loop moves it when this turn ends */
    resched(v->processor);
  } else {
    move(v, cpu);
  }
  return 0;
}

void sched_set_soft_affinity(struct vcpu *v, uint64_t mask) { v->soft_affinity = mask; }

bool sched_domain_on_cpu(const struct domain *d)
{
  unsigned int self = arch_cpu_id();
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    const struct vcpu *v = d->vcpus[i];
    if (v->processor != self && v == per_cpu(v->processor)->current)
      return true;
  }
  return false;
}

void sched_wait_off_cpu(const struct domain *d)
{
  while (sched_domain_on_cpu(d)) {
    hv_lock_drop(); /* the other CPU needs it to take the vcpu off */
    arch_cpu_relax();
    hv_lock_take();
  }
}

void sched_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *out)
{
  *out = v->runstate;
  uint64_t now = timer_now();
  if (now > out->state_entry_time)
    out->time[out->state] += now - out->state_entry_time;
}

void sched_runstate_publish(struct vcpu *v, struct vcpu *writer,
                            const struct vcpu_runstate_info *rs, bool compat)
{
  /* state_entry_time is at 4 in a 32-bit guest's layout, 8 in ours. */
  uint64_t at = v->runstate_gva + (compat ? 4 : 8);
  bool flag = v->dom->vm_assist & (1UL << VMASST_TYPE_runstate_update_flag);

  if (!v->runstate_gva)
    return;
  /* Xen ignores a failing write too: the area is only a hint.  The three
   * writes reach memory in order (x86 keeps stores in order; each copy is
   * a call the compiler cannot move others across). */
  if (flag) {
    uint64_t busy = rs->state_entry_time | XEN_RUNSTATE_UPDATE;
    if (arch_copy_to_guest(writer, at, &busy, sizeof(busy)))
      return;
  }
  struct vcpu_runstate_info copy = *rs;
  if (flag)
    copy.state_entry_time |= XEN_RUNSTATE_UPDATE;
  size_t size = compat ? compat_runstate(&copy) : sizeof(copy);
  if (arch_copy_to_guest(writer, v->runstate_gva, &copy, size) || !flag)
    return;
  arch_copy_to_guest(writer, at, &rs->state_entry_time, sizeof(rs->state_entry_time));
}

void sched_vcpu_on_cpu(struct vcpu *v)
{
  if (v->runstate_gva) /* tested here: most vcpus have none, and this runs at every switch */
    /* In the layout the domain latched, as Xen's update_runstate_area. */
    sched_runstate_publish(v, v, &v->runstate, v->dom->has_32bit_shinfo);
}

static void slice_end(struct timer *t, void *data)
{
  (void)t;
  ((struct per_cpu *)data)->shared.resched = true;
}

static void release(struct timer *t, void *data)
{
  (void)t;
  (void)data; /* the loop looks again */
}

/* Whether the CPUs have anything left to do: a domain still running, or
 * a stopped one whose vcpu has yet to leave a CPU (its release waits). */
static bool work_left(void)
{
  for (struct domain *d = domain_list; d; d = d->next)
    if (d->state == DOMAIN_RUNNING || d->release_pending)
      return true;
  return false;
}

/* Frames an idle CPU zeroes (frame_scrub) before it lets go of hv_lock
 * and looks for work again. */
#define SCRUB_BATCH 32

/* Whether an idle CPU's scrubbing should stop for now: a timer is due
 * here, this CPU is asked to look again, or another CPU waits for
 * hv_lock (which the scrubbing holds).  A waiting vcpu or CPU is so
 * delayed by at most one frame's zeroing. */
static bool scrub_stop(void)
{
  struct per_cpu *pc = this_cpu();
  return pc->timer_raised || pc->shared.resched || spin_is_contended(&hv_lock);
}

/* The CPU that scrubs (HV_MAX_CPUS: none), until none is left to zero
 * or it runs a vcpu.  One at a time: scrubbing holds hv_lock, and two
 * idle CPUs would only hand it to each other a frame at a time (each
 * stops when the other waits for it). */
static unsigned int scrub_cpu = HV_MAX_CPUS;

/* Nobody may run on cpu: zero some of the free frames that may hold old
 * data (Xen's idle scrubbing), so that frames given to domains later need
 * no zeroing then.  Returns false when none is left to zero or another
 * CPU is at it (then this one halts).  hv_lock is let go and taken again
 * after each batch (a waiting CPU goes first). */
static bool idle_scrub(struct per_cpu *pc, unsigned int cpu)
{
  /* Another CPU scrubs unless it has gone to run a vcpu since. */
  if (scrub_cpu != HV_MAX_CPUS && scrub_cpu != cpu && !per_cpu(scrub_cpu)->current)
    return false;
  if (!frame_nr_dirty()) {
    scrub_cpu = HV_MAX_CPUS;
    return false;
  }
  scrub_cpu = cpu;
  pc->shared.resched = false; /* it has just looked, as idle() */
  /* Interrupts stay on: a timer or a kick ends the batch early. */
  frame_scrub(SCRUB_BATCH, scrub_stop);
  arch_vcpu_park(); /* before hv_lock goes, as idle() */
  hv_lock_drop();
  hv_lock_take();
  return true;
}

/* Nobody may run on cpu: let go of hv_lock and sleep until an interrupt
 * (a timer, a kick, the console). */
static void idle(unsigned int cpu, uint64_t now)
{
  struct per_cpu *pc = per_cpu(cpu);
  uint64_t at = policy->next_release(cpu, now);
  if (at)
    timer_set(&pc->release_timer, at);
  arch_vcpu_park();
  pc->shared.resched = false;
  hv_lock_drop();
  unsigned long flags = arch_irq_save();
  if (!pc->timer_raised && !pc->shared.resched)
    arch_idle(); /* sti; hlt: no interrupt slips in between */
  arch_irq_restore(flags);
  hv_lock_take();
}

/* One CPU's scheduler loop, with hv_lock held, until no work is left. */
static void cpu_loop(unsigned int cpu)
{
  struct per_cpu *pc = per_cpu(cpu);
  /* Each CPU readies its own timers the first time round: an AP's
   * struct per_cpu exists only once it is up. */
  if (!pc->slice_timer.fn) {
    timer_init(&pc->slice_timer, slice_end, pc);
    timer_init(&pc->release_timer, release, NULL);
  }
  /* One clock read per turn: the time a vcpu's turn ended is when the
   * next choice is made, unless timers ran in between. */
  uint64_t now = timer_now();
  for (;;) {
    if (pc->timer_raised) {
      timer_softirq();
      now = timer_now();
    }
    if (!work_left()) {
      timer_stop(&pc->slice_timer);
      break;
    }
    uint64_t slice = SCHED_SLICE_NS;
    struct vcpu *v = policy->pick(cpu, now, &slice);
    if (!v) {
      /* Nothing to end: the slice timer waits for the next turn. */
      timer_stop(&pc->slice_timer);
      if (idle_scrub(pc, cpu)) {
        now = timer_now();
        continue;
      }
      idle(cpu, now);
      now = timer_now();
      continue;
    }
    pc->current = v;
    pc->shared.resched = false;
    v->yielded = false;
    runstate_set(v, RUNSTATE_running, now);
    uint64_t start = now;
    /* Still armed from the last turn (if it did not fire): pushing it
     * back costs a store, where stopping it after each turn and arming it
     * again would walk the list twice. */
    timer_push(&pc->slice_timer, now + slice);
    arch_vcpu_run(v);
    now = timer_now();
    pc->current = NULL;
    if (v->move_to) {
      /* Its hard affinity left this CPU out while it ran. */
      arch_vcpu_park();
      unsigned int to = v->move_to - 1;
      v->move_to = 0;
      pr_info("sched: %s vcpu %u moves from CPU %u to CPU %u", v->dom->name, v->id, cpu, to);
      pc->shared.nr_placed--;
      per_cpu(to)->shared.nr_placed++;
      v->processor = to;
    }
    bool runnable = sched_runnable(v);
    policy->charge(v, now - start, runnable);
    if (runnable && v->processor != cpu && !per_cpu(v->processor)->current)
      resched(v->processor);
    runstate_set(v,
                 runnable     ? RUNSTATE_runnable
                 : v->blocked ? RUNSTATE_blocked
                              : RUNSTATE_offline,
                 now);
    if (v->dom->release_pending)
      domain_vcpu_left_cpu(v->dom);
  }
  arch_vcpu_park();
}

/* The other CPUs enter here (arch_start_cpus). */
static void ap_main(void)
{
  hv_lock_take();
  cpu_loop(arch_cpu_id());
  hv_lock_drop();
}

void sched_run(void)
{
  hv_lock_take();
  uint64_t cpus = sched_cpus();
  unsigned int n = 0;
  for (unsigned int c = 0; c < HV_MAX_CPUS; c++)
    n += cpus >> c & 1;
  printk(LOG_INFO, "sched: policy %s, %u CPU(s) running vcpus", policy->name, n);
  arch_start_cpus(ap_main);
  cpu_loop(arch_cpu_id());
  hv_lock_drop();
}
