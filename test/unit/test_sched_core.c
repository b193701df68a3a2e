/* Unit tests of the generic scheduler (sched/core.c) with the real policy
 * (sched/credit.c, sched/place.c), soft timers and hv_lock, over real
 * domains and event channels: block and wake (a wake-up of a vcpu that
 * does not wait, a block refused while an upcall is due, a kick for a vcpu
 * running elsewhere), poll on a port and with a timeout, yield, nested
 * pause, a domain stopping while one of its vcpus runs on another CPU,
 * vcpus going online and offline, set_params' validation, hard affinity
 * (refused, a move at once, a move deferred to the end of a turn), run
 * state accounting, and the loop itself (sched_run) on CPU 0: its choice
 * by weight, slices, idling, yields.
 *
 * The arch's side of the loop is faked here: arch_vcpu_run plays the
 * guest in steps (by default 1 ms of computing each; a test's guest()
 * may block, yield, stop...) until the CPU's resched flag is set, firing
 * the soft timers when the fake clock passes their deadline, as the real
 * run loop does; arch_idle moves the clock to the next timer or calls the
 * test's on_idle().  The other CPUs never run a loop: a test plays them
 * by setting their per_cpu state. */
#include "unit.h"

#include "fake_arch.h"
#include "fake_domain_env.h"
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/percpu.h>
#include <hv/sched.h>
#include <hv/timer.h>
#include <public/event_channel.h>
#include <public/sched.h>
#include <public/vcpu.h>

#define MS 1000000ULL

static const struct boot_mem_region ram_map[] = {{MiB(1), MiB(8), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};

static struct vcpu *trace[256]; /* who ran, turn by turn */
static unsigned int nturns, max_turns, nidle, nparked;
static void (*guest)(struct vcpu *v, unsigned int step); /* one step of v's turn */
static void (*on_idle)(void);

/* Every domain shuts down: the loop ends. */
static void stop_all(void)
{
  for (struct domain *d = domain_list; d; d = d->next)
    domain_shutdown(d, SHUTDOWN_poweroff);
}

static void spin(struct vcpu *v, unsigned int step)
{
  (void)v;
  (void)step;
  fake_now_ns += MS;
}

void arch_vcpu_run(struct vcpu *v)
{
  struct per_cpu *pc = this_cpu();
  if (max_turns && nturns == max_turns) {
    stop_all();
    return;
  }
  if (nturns < ARRAY_SIZE(trace))
    trace[nturns] = v;
  nturns++;
  sched_vcpu_on_cpu(v);
  for (unsigned int step = 0; !pc->shared.resched; step++) {
    assert_true(step < 1000); /* a turn that never ends */
    guest(v, step);
    if (fake_timer_deadline && fake_now_ns >= fake_timer_deadline) {
      timer_raise();
      timer_softirq();
    }
  }
}

void arch_idle(void)
{
  assert_true(++nidle < 1000); /* an idle CPU nothing wakes */
  if (on_idle) {
    on_idle();
  } else {
    assert_true(fake_timer_deadline != 0);
    if (fake_now_ns < fake_timer_deadline)
      fake_now_ns = fake_timer_deadline;
    timer_raise();
  }
}

void arch_vcpu_park(void) { nparked++; }
void arch_start_cpus(void (*fn)(void)) { (void)fn; } /* the others stay off */

static int setup(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_cpu_mask = 0x3; /* two CPUs: per_cpu(n) of any other aborts */
  fake_now_ns = 1000;
  fake_domain_env_reset();
  fake_ram_init(MiB(1), MiB(8));
  if (frame_init(ram_map, ARRAY_SIZE(ram_map), res, ARRAY_SIZE(res), 0))
    return -1;
  heap_init();
  domain_list = NULL;
  memset(trace, 0, sizeof(trace));
  nturns = max_turns = nidle = nparked = 0;
  guest = spin;
  on_idle = NULL;
  shim_log_clear();
  return 0;
}

/* Off every CPU, then destroyed: no heap block may stay. */
static int teardown(void **state)
{
  (void)state;
  per_cpu(0)->current = per_cpu(1)->current = NULL;
  while (domain_list)
    domain_destroy(domain_list);
  struct heap_stats st;
  heap_stats(&st);
  assert_int_equal(st.nr_blocks, 0);
  return 0;
}

/* A domain of n vcpus, vcpu 0 started (as the builder does). */
static struct domain *make(domid_t id, unsigned int n)
{
  struct domain *d = domain_create(id, id ? "domu" : "dom0", id == 0, MiB(8), n);
  assert_non_null(d);
  sched_vcpu_start(d->vcpus[0]);
  return d;
}

/* v runs on CPU cpu (taken off its queue, as the loop's pick does). */
static void running_on(struct vcpu *v, unsigned int cpu)
{
  assert_int_equal(v->processor, cpu);
  uint64_t slice;
  assert_ptr_equal(sched_credit.pick(cpu, timer_now(), &slice), v);
  per_cpu(cpu)->current = v;
  v->runstate.state = RUNSTATE_running;
}

static void test_placement_spreads_vcpus(void **state)
{
  (void)state;
  struct domain *d = make(0, 3);
  /* The least loaded CPU of the two, ties to the lowest. */
  assert_int_equal(d->vcpus[0]->processor, 0);
  assert_int_equal(d->vcpus[1]->processor, 1);
  assert_int_equal(d->vcpus[2]->processor, 0);
  assert_int_equal(per_cpu(0)->shared.nr_placed, 2);
  assert_int_equal(per_cpu(1)->shared.nr_placed, 1);
  /* Only the started one is queued; the others are offline. */
  assert_true(d->vcpus[0]->on_runq);
  assert_ptr_equal(per_cpu(0)->shared.runq.head, d->vcpus[0]);
  assert_false(d->vcpus[1]->on_runq);
  assert_int_equal(d->vcpus[1]->runstate.state, RUNSTATE_offline);
  assert_int_equal(d->vcpus[0]->hard_affinity, ~0ULL);
}

static void test_block_and_wake(void **state)
{
  (void)state;
  struct domain *d = make(0, 1);
  struct vcpu *v = d->vcpus[0];
  assert_int_equal(v->runstate.state, RUNSTATE_runnable);
  assert_true(sched_block(v));
  assert_true(v->blocked);
  assert_false(v->on_runq);
  assert_int_equal(v->runstate.state, RUNSTATE_blocked);
  per_cpu(0)->shared.resched = false;
  sched_wake(v);
  assert_false(v->blocked);
  assert_true(v->on_runq);
  assert_int_equal(v->runstate.state, RUNSTATE_runnable);
  /* Queued on an idle CPU (this one): it looks again, without a kick. */
  assert_true(per_cpu(0)->shared.resched);
  assert_int_equal(fake_kicks[0], 0);
  /* A wake-up of a vcpu that waits for nothing changes nothing. */
  per_cpu(0)->shared.resched = false;
  sched_wake(v);
  assert_true(v->on_runq);
  assert_false(per_cpu(0)->shared.resched);
  assert_ptr_equal(per_cpu(0)->shared.runq.head, v);
  assert_null(v->runq_next); /* queued once, not twice */
}

/* The running vcpu blocks itself (HLT, SCHEDOP_block): the CPU looks
 * again, and the run state changes only when the loop ends its turn. */
static void test_block_running(void **state)
{
  (void)state;
  struct domain *d = make(0, 1);
  struct vcpu *v = d->vcpus[0];
  running_on(v, 0);
  per_cpu(0)->shared.resched = false;
  assert_true(sched_block(v));
  assert_true(v->blocked);
  assert_true(per_cpu(0)->shared.resched);
  assert_false(v->on_runq);
  assert_int_equal(v->runstate.state, RUNSTATE_running);
  assert_int_equal(fake_kicks[0], 0);
  per_cpu(0)->current = NULL;
}

static void test_block_refused_when_upcall_due(void **state)
{
  (void)state;
  struct domain *d = make(0, 1);
  struct vcpu *v = d->vcpus[0];
  d->callback_vector = 0xf3;
  v->vi->evtchn_upcall_pending = 1;
  assert_false(sched_block(v));
  assert_false(v->blocked);
  assert_true(v->on_runq);
  /* Masked, the upcall is not due: the block goes ahead. */
  v->vi->evtchn_upcall_mask = 1;
  assert_true(sched_block(v));
  assert_true(v->blocked);
}

static void test_wake_kicks_the_cpu_it_runs_on(void **state)
{
  (void)state;
  struct domain *d = make(0, 2);
  struct vcpu *v1 = d->vcpus[1];
  sched_vcpu_start(v1); /* placed on CPU 1, which was idle: kicked */
  assert_int_equal(fake_kicks[1], 1);
  running_on(v1, 1);
  sched_wake(v1); /* not blocked, but an upcall may now be due there */
  assert_int_equal(fake_kicks[1], 2);
  assert_false(v1->on_runq); /* the running vcpu is on no queue */
  /* Blocked on CPU 1 and woken from CPU 0: queued there, CPU 1 asked. */
  per_cpu(1)->current = NULL;
  v1->blocked = true;
  v1->runstate.state = RUNSTATE_blocked;
  sched_wake(v1);
  assert_ptr_equal(per_cpu(1)->shared.runq.head, v1);
  assert_true(per_cpu(1)->shared.resched);
  assert_int_equal(fake_kicks[1], 3);
  assert_int_equal(fake_kicks[0], 0); /* never this CPU (the fake aborts) */
}

static void test_poll_port_and_timeout(void **state)
{
  (void)state;
  struct domain *d = make(0, 2);
  struct vcpu *v = d->vcpus[0];
  sched_vcpu_start(d->vcpus[1]);
  /* An IPI port for vcpu 1; vcpu 0 polls it. */
  struct evtchn_bind_ipi ipi = {.vcpu = 1};
  memcpy(fake_guest, &ipi, sizeof(ipi));
  assert_int_equal(do_event_channel_op(v, EVTCHNOP_bind_ipi, 0), 0);
  memcpy(&ipi, fake_guest, sizeof(ipi));
  struct evtchn_send send = {.port = ipi.port};

  sched_poll(v, (int)ipi.port + 1, 0); /* another port: not woken */
  assert_true(v->polling);
  assert_true(v->blocked);
  assert_false(v->poll_timer.active);
  assert_int_equal(v->runstate.state, RUNSTATE_blocked);
  memcpy(fake_guest, &send, sizeof(send));
  assert_int_equal(do_event_channel_op(d->vcpus[1], EVTCHNOP_send, 0), 0);
  assert_true(v->blocked);
  sched_wake(v);

  sched_poll(v, (int)ipi.port, 0); /* this port: woken by the send */
  memcpy(fake_guest, &send, sizeof(send));
  assert_int_equal(do_event_channel_op(d->vcpus[1], EVTCHNOP_send, 0), 0);
  assert_false(v->blocked);
  assert_false(v->polling);
  assert_true(v->on_runq);

  /* A timeout ends the poll when nothing comes. */
  sched_poll(v, -1, 5000);
  assert_true(v->poll_timer.active);
  assert_int_equal(fake_timer_deadline, 5000);
  fake_now_ns = 4999;
  timer_raise();
  timer_softirq();
  assert_true(v->blocked);
  fake_now_ns = 5000;
  timer_raise();
  timer_softirq();
  assert_false(v->blocked);
  assert_false(v->polling);
  assert_int_equal(v->runstate.state, RUNSTATE_runnable);
  /* Woken before it, the timeout is stopped. */
  sched_poll(v, -1, 9000);
  sched_wake(v);
  assert_false(v->poll_timer.active);
  assert_int_equal(fake_timer_deadline, 0);
}

static void test_pause_nests(void **state)
{
  (void)state;
  struct domain *d = make(1, 2);
  struct vcpu *v0 = d->vcpus[0], *v1 = d->vcpus[1];
  sched_vcpu_start(v1);
  running_on(v1, 1);
  fake_kicks[1] = 0;
  sched_pause(d);
  sched_pause(d);
  assert_int_equal(d->pause_count, 2);
  assert_false(v0->on_runq);
  assert_int_equal(v0->runstate.state, RUNSTATE_offline);
  /* The one running on CPU 1 is asked to leave it. */
  assert_true(per_cpu(1)->shared.resched);
  assert_int_equal(fake_kicks[1], 2); /* once per pause */
  assert_true(sched_domain_on_cpu(d));
  per_cpu(1)->current = NULL;
  per_cpu(1)->shared.resched = false;
  sched_unpause(d);
  assert_false(v0->on_runq); /* still paused once */
  sched_unpause(d);
  assert_int_equal(d->pause_count, 0);
  assert_true(v0->on_runq);
  assert_true(v1->on_runq);
  assert_int_equal(v0->runstate.state, RUNSTATE_runnable);
  sched_unpause(d); /* one too many: stays at 0 */
  assert_int_equal(d->pause_count, 0);
  assert_true(v0->on_runq);
}

static void test_domain_stops_while_running_elsewhere(void **state)
{
  (void)state;
  struct domain *d = make(1, 2);
  struct vcpu *v0 = d->vcpus[0], *v1 = d->vcpus[1];
  sched_vcpu_start(v1);
  running_on(v1, 1);
  sched_poll(v0, -1, 100000);
  domain_shutdown(d, SHUTDOWN_poweroff);
  assert_false(v0->poll_timer.active);
  assert_false(v0->on_runq);
  assert_int_equal(per_cpu(0)->shared.nr_placed, 0);
  assert_int_equal(per_cpu(1)->shared.nr_placed, 0);
  /* CPU 1 is asked to drop it; its memory waits until it has. */
  assert_true(per_cpu(1)->shared.resched);
  assert_true(fake_kicks[1] >= 1);
  assert_true(d->release_pending);
  assert_int_equal(fake_released_n, 0);
  /* CPU 0, idle, looks again (its last domain may be gone). */
  assert_true(per_cpu(0)->shared.resched);
  per_cpu(1)->current = NULL;
  domain_vcpu_left_cpu(d);
  assert_false(d->release_pending);
  assert_int_equal(fake_released_n, 1);
}

static void test_vcpu_online_changes(void **state)
{
  (void)state;
  struct domain *d = make(1, 2);
  struct vcpu *v1 = d->vcpus[1];
  assert_false(v1->online);
  fake_now_ns = 5000;
  sched_vcpu_start(v1);
  assert_true(v1->online);
  assert_true(v1->on_runq);
  assert_int_equal(v1->runstate.state, RUNSTATE_runnable);
  assert_int_equal(v1->runstate.time[RUNSTATE_offline], 4000);
  /* Down (VCPUOP_down): off its queue, offline; a wait it had ends. */
  fake_now_ns = 6000;
  v1->blocked = v1->polling = true;
  domain_vcpu_down(v1);
  assert_false(v1->online);
  assert_false(v1->on_runq);
  assert_false(v1->blocked);
  assert_int_equal(v1->runstate.state, RUNSTATE_offline);
  /* Back up through sched_vcpu_changed. */
  v1->online = true;
  sched_vcpu_changed(v1);
  assert_true(v1->on_runq);
}

static void test_set_params_validates(void **state)
{
  (void)state;
  struct domain *d = make(1, 1);
  assert_int_equal(sched_set_params(d, 0, 0), -EINVAL);
  assert_int_equal(sched_set_params(d, SCHED_MAX_WEIGHT + 1, 10), -EINVAL);
  assert_int_equal(sched_set_params(d, 100, SCHED_MAX_CAP + 1), -EINVAL);
  assert_int_equal(d->weight, SCHED_DEFAULT_WEIGHT); /* nothing changed */
  assert_int_equal(d->cap, 0);
  assert_int_equal(sched_set_params(d, SCHED_MAX_WEIGHT, SCHED_MAX_CAP), 0);
  assert_int_equal(d->weight, SCHED_MAX_WEIGHT);
  assert_int_equal(d->cap, SCHED_MAX_CAP);
  assert_int_equal(sched_set_params(d, 1, 0), 0);
  assert_int_equal(d->weight, 1);
  assert_int_equal(d->cap, 0);
  assert_int_equal(sched_policy_id(), SCHED_ID_CREDIT);
}

static void test_hard_affinity(void **state)
{
  (void)state;
  struct domain *d = make(1, 1);
  struct vcpu *v = d->vcpus[0];
  /* No CPU of the mask runs vcpus: refused, nothing changed. */
  assert_int_equal(sched_set_hard_affinity(v, 0x4), -EINVAL);
  assert_int_equal(v->hard_affinity, ~0ULL);
  /* Its CPU stays in the mask: it stays. */
  assert_int_equal(sched_set_hard_affinity(v, 0x1), 0);
  assert_int_equal(v->processor, 0);
  /* Queued, not running: it moves at once, to CPU 1's queue. */
  assert_int_equal(sched_set_hard_affinity(v, 0x2), 0);
  assert_int_equal(v->hard_affinity, 0x2);
  assert_int_equal(v->processor, 1);
  assert_int_equal(per_cpu(0)->shared.nr_placed, 0);
  assert_int_equal(per_cpu(1)->shared.nr_placed, 1);
  assert_null(per_cpu(0)->shared.runq.head);
  assert_ptr_equal(per_cpu(1)->shared.runq.head, v);
  assert_int_equal(fake_kicks[1], 1); /* CPU 1 was idle */
  /* Running on CPU 1: the move waits for the end of its turn. */
  running_on(v, 1);
  assert_int_equal(sched_set_hard_affinity(v, 0x1), 0);
  assert_int_equal(v->processor, 1);
  assert_int_equal(v->move_to, 1); /* CPU 0, plus one */
  assert_true(per_cpu(1)->shared.resched);
  assert_int_equal(fake_kicks[1], 2);
  /* The soft mask is only kept. */
  sched_set_soft_affinity(v, 0x2);
  assert_int_equal(v->soft_affinity, 0x2);
  assert_int_equal(v->processor, 1);
}

/* The loop moves a vcpu whose hard affinity left its CPU while it ran. */
static struct vcpu *mover;

static void move_away(struct vcpu *v, unsigned int step)
{
  fake_now_ns += MS;
  if (step == 0)
    assert_int_equal(sched_set_hard_affinity(v, 0x2), 0);
}

static void idle_check_moved(void)
{
  assert_int_equal(mover->processor, 1);
  assert_int_equal(mover->move_to, 0);
  assert_ptr_equal(per_cpu(1)->shared.runq.head, mover);
  assert_int_equal(per_cpu(0)->shared.nr_placed, 0);
  assert_int_equal(per_cpu(1)->shared.nr_placed, 1);
  assert_true(per_cpu(1)->shared.resched);
  assert_int_equal(fake_kicks[1], 1);
  stop_all();
}

static void test_loop_moves_at_end_of_turn(void **state)
{
  (void)state;
  mover = make(1, 1)->vcpus[0];
  guest = move_away;
  on_idle = idle_check_moved;
  sched_run();
  assert_int_equal(nturns, 1);
  assert_int_equal(nidle, 1);
  assert_true(nparked >= 2); /* its VMCS left CPU 0 before it moved, and before idling */
  assert_null(per_cpu(0)->current);
}

static void test_loop_shares_by_weight(void **state)
{
  (void)state;
  struct vcpu *a = make(0, 1)->vcpus[0]; /* dom0: weight 512 */
  struct vcpu *b = make(1, 1)->vcpus[0]; /* 256 */
  assert_int_equal(a->processor, 0);
  assert_int_equal(b->processor, 1);
  assert_int_equal(sched_set_hard_affinity(b, 0x1), 0); /* both on CPU 0 */
  max_turns = 30;
  sched_run();
  unsigned int na = 0;
  for (unsigned int i = 0; i < 30; i++)
    na += trace[i] == a;
  assert_int_equal(na, 20);
  /* Every turn was one whole slice of CPU-bound computing. */
  assert_int_equal(a->runstate.time[RUNSTATE_running], 20 * SCHED_SLICE_NS);
  assert_int_equal(b->runstate.time[RUNSTATE_running], 10 * SCHED_SLICE_NS);
  assert_int_equal(nidle, 0);
  assert_null(per_cpu(0)->current);
}

/* a yields after 1 ms of its first turn. */
static void yield_once(struct vcpu *v, unsigned int step)
{
  fake_now_ns += MS;
  if (nturns == 1 && step == 0)
    sched_vcpu_yield(v);
}

static void test_loop_yield_lets_the_other_go(void **state)
{
  (void)state;
  struct domain *d = make(1, 2);
  struct vcpu *a = d->vcpus[0], *b = d->vcpus[1];
  assert_int_equal(sched_set_hard_affinity(b, 0x1), 0);
  b->vtime = 5 * MS; /* b is behind: a would go first without the yield */
  sched_vcpu_start(b);
  guest = yield_once;
  max_turns = 3;
  sched_run();
  assert_ptr_equal(trace[0], a);
  assert_ptr_equal(trace[1], b); /* although a had less vtime (1 ms to 5) */
  assert_ptr_equal(trace[2], a); /* the yield counted once */
  assert_false(a->yielded);
  /* a's first turn ended at the yield, the others took a slice. */
  assert_int_equal(a->runstate.time[RUNSTATE_running], 1 * MS + SCHED_SLICE_NS);
  assert_int_equal(b->runstate.time[RUNSTATE_running], SCHED_SLICE_NS);
}

/* The vcpu blocks after 3 ms of its first turn, then after 2 ms of the
 * second stops its domain; the CPU idles 5 ms in between. */
static void block_then_stop(struct vcpu *v, unsigned int step)
{
  (void)step;
  if (nturns == 1) {
    fake_now_ns += 3 * MS;
    assert_int_equal(v->runstate.state, RUNSTATE_running);
    assert_true(sched_block(v));
  } else {
    fake_now_ns += 2 * MS;
    stop_all();
  }
}

static struct vcpu *sleeper;

static void wake_after_5ms(void)
{
  assert_int_equal(sleeper->runstate.state, RUNSTATE_blocked);
  assert_null(per_cpu(0)->current);
  fake_now_ns += 5 * MS;
  sched_wake(sleeper);
}

static void test_runstate_accounting(void **state)
{
  (void)state;
  struct domain *d = domain_create(1, "domu", false, MiB(8), 1);
  struct vcpu *v = sleeper = d->vcpus[0];
  assert_int_equal(v->runstate.state, RUNSTATE_offline);
  fake_now_ns = 2000;
  sched_vcpu_start(v);
  fake_now_ns = 3000;
  guest = block_then_stop;
  on_idle = wake_after_5ms;
  sched_run();
  assert_int_equal(nturns, 2);
  assert_int_equal(nidle, 1);
  const struct vcpu_runstate_info *r = &v->runstate;
  assert_int_equal(r->state, RUNSTATE_offline);
  assert_int_equal(r->time[RUNSTATE_offline], 1000); /* created to started */
  assert_int_equal(r->time[RUNSTATE_runnable], 1000);
  assert_int_equal(r->time[RUNSTATE_running], 5 * MS);
  assert_int_equal(r->time[RUNSTATE_blocked], 5 * MS);
  /* The times add up to the time since it was made. */
  uint64_t sum = 0;
  for (int i = 0; i < 4; i++)
    sum += r->time[i];
  assert_int_equal(sum, r->state_entry_time - 1000);
  assert_int_equal(r->state_entry_time, 3000 + 10 * MS);
  /* sched_runstate_get adds the current state's time so far. */
  fake_now_ns += 7;
  struct vcpu_runstate_info now;
  sched_runstate_get(v, &now);
  assert_int_equal(now.time[RUNSTATE_offline], 1000 + 7);
}

/* The run-state area a guest registered gets the state at each switch,
 * with XEN_RUNSTATE_UPDATE clear once written. */
static void test_runstate_published(void **state)
{
  (void)state;
  struct domain *d = make(1, 1);
  struct vcpu *v = d->vcpus[0];
  v->runstate_gva = 64;
  d->vm_assist |= 1UL << VMASST_TYPE_runstate_update_flag;
  max_turns = 1;
  sched_run();
  struct vcpu_runstate_info seen;
  memcpy(&seen, fake_guest + 64, sizeof(seen));
  assert_int_equal(seen.state, RUNSTATE_running);
  assert_int_equal(seen.state_entry_time, 1000);
  assert_int_equal(seen.time[RUNSTATE_runnable], 0);
}

/* A domain latched 32-bit has its runstate areas written in its layout
 * (compat_vcpu_runstate_info: state_entry_time at 4, the times at 12,
 * 44 bytes), with the update flag's bit in its state_entry_time. */
static void test_runstate_published_32bit(void **state)
{
  (void)state;
  struct domain *d = make(1, 1);
  struct vcpu *v = d->vcpus[0];
  v->runstate_gva = 64;
  d->has_32bit_shinfo = true;
  v->runstate.time[RUNSTATE_offline] = 0x1122334455667788ULL;
  d->vm_assist |= 1UL << VMASST_TYPE_runstate_update_flag;
  memset(fake_guest + 64, 0xaa, 64);
  max_turns = 1;
  sched_run();
  uint32_t st;
  uint64_t entry, offline;
  memcpy(&st, fake_guest + 64, 4);
  memcpy(&entry, fake_guest + 64 + 4, 8);
  memcpy(&offline, fake_guest + 64 + 12 + 8 * RUNSTATE_offline, 8);
  assert_int_equal(st, RUNSTATE_running);
  assert_int_equal(entry, 1000); /* XEN_RUNSTATE_UPDATE clear again */
  assert_int_equal(offline, 0x1122334455667788ULL);
  assert_int_equal(fake_guest[64 + 44], 0xaa); /* nothing past its end */
}

/* An idle CPU zeroes the dirty free frames (a batch at a time, letting
 * go of hv_lock between batches: arch_vcpu_park before each) before it
 * halts; a vcpu that wakes meanwhile runs after the current batch. */
static unsigned long dirty_at_idle;

static void idle_after_scrub(void)
{
  dirty_at_idle = frame_nr_dirty();
  wake_after_5ms();
}

static void test_idle_scrubs_before_halting(void **state)
{
  (void)state;
  struct domain *d = domain_create(1, "domu", false, MiB(8), 1);
  sleeper = d->vcpus[0];
  sched_vcpu_start(sleeper);
  unsigned long dirty = frame_nr_dirty();
  assert_true(dirty > 64);
  dirty_at_idle = ~0UL;
  guest = block_then_stop;
  on_idle = idle_after_scrub;
  sched_run();
  assert_int_equal(nturns, 2);
  assert_int_equal(nidle, 1);         /* it halted once, ... */
  assert_int_equal(dirty_at_idle, 0); /* ... when nothing was left to zero */
  assert_true(nparked >= dirty / 32); /* hv_lock went between batches */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_placement_spreads_vcpus),
      T(test_block_and_wake),
      T(test_block_running),
      T(test_block_refused_when_upcall_due),
      T(test_wake_kicks_the_cpu_it_runs_on),
      T(test_poll_port_and_timeout),
      T(test_pause_nests),
      T(test_domain_stops_while_running_elsewhere),
      T(test_vcpu_online_changes),
      T(test_set_params_validates),
      T(test_hard_affinity),
      T(test_loop_moves_at_end_of_turn),
      T(test_loop_shares_by_weight),
      T(test_loop_yield_lets_the_other_go),
      T(test_runstate_accounting),
      T(test_runstate_published),
      T(test_runstate_published_32bit),
      T(test_idle_scrubs_before_halting),
  };
  return cmocka_run_group_tests_name("sched_core", tests, NULL, NULL);
}
