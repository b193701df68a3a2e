/* Guest time.  System time is the hypervisor's nanoseconds since boot;
 * each vcpu_info carries the pvclock parameters that let the guest compute
 * it from its own RDTSC (the wall clock in shared_info is
 * hv/wallclock.c's).  The vcpu timers (set_timer_op, VCPUOP singleshot
 * and periodic) raise VIRQ_TIMER, with the checks of Xen 4.19
 * (common/domain.c, common/sched/core.c). */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/hypercall.h>
#include <hv/timer.h>
#include <hv/vtime.h>
#include <public/vcpu.h>

#define MS(n) ((uint64_t)(n)*1000000ULL)
#define STIME_DELTA_MAX (~0ULL >> 2)

static void barrier_release(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

void vtime_publish(struct vcpu *v)
{
  struct vcpu_time_info *t = &v->vi->time;
  uint64_t base;
  uint32_t mul;
  int8_t shift;

  arch_time_scale(&base, &mul, &shift);
  t->version = (t->version + 1) | 1; /* odd: being written */
  barrier_release();
  /* The hypervisor's own clock is exactly this formula from base, so the
   * guest's system time and ours never drift apart. */
  t->tsc_timestamp = base;
  t->system_time = 0;
  t->tsc_to_system_mul = mul;
  t->tsc_shift = shift;
  t->flags = 0; /* no TSC_STABLE promise: Xen makes none by default */
  barrier_release();
  t->version++; /* even: consistent */
}

static void singleshot_fired(struct timer *t, void *data)
{
  (void)t;
  evtchn_send_vcpu_virq(data, VIRQ_TIMER);
}

static void periodic_fired(struct timer *t, void *data)
{
  struct vcpu *v = data;
  evtchn_send_vcpu_virq(v, VIRQ_TIMER);
  if (v->periodic_period_ns)
    timer_set(t, timer_now() + v->periodic_period_ns);
}

void vtime_vcpu_init(struct vcpu *v)
{
  timer_init(&v->singleshot_timer, singleshot_fired, v);
  timer_init(&v->periodic_timer, periodic_fired, v);
}

void vtime_vcpu_stop(struct vcpu *v)
{
  timer_stop(&v->singleshot_timer);
  timer_stop(&v->periodic_timer);
  v->periodic_period_ns = 0;
}

long do_set_timer_op(struct vcpu *v, uint64_t timeout_ns)
{
  uint64_t now = timer_now();
  int64_t offset = (int64_t)(timeout_ns - now);

  if (timeout_ns == 0) {
    timer_stop(&v->singleshot_timer);
  } else if ((int64_t)timeout_ns < 0 || (offset > 0 && (uint32_t)(offset >> 50) != 0)) {
    /* A deadline wrapped negative or more than ~13 days out: Linux's
     * jiffies arithmetic makes these; Xen fires in 100 ms, and so do we. */
    timer_set(&v->singleshot_timer, now + MS(100));
  } else {
    timer_set(&v->singleshot_timer, timeout_ns);
  }
  return 0;
}

long vtime_set_singleshot(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
  struct vcpu_set_singleshot_timer set;
  /* A 32-bit caller's structure is ours less the padding at the end, and
   * is read before the vcpu is checked (Xen's compat_common_vcpu_op). */
  bool compat = v->hcall_compat;

  if (t != v && !compat)
    return -EINVAL; /* only a vcpu's own timer */
  if (arch_copy_from_guest(v, &set, arg,
                           compat ? sizeof(struct compat_vcpu_set_singleshot_timer) : sizeof(set)))
    return -EFAULT;
  if (t != v)
    return -EINVAL;
  if (set.timeout_abs_ns < timer_now()) {
    /* Already past: the event now (4.19 ignores VCPU_SSHOTTMR_future). */
    timer_stop(&t->singleshot_timer);
    evtchn_send_vcpu_virq(t, VIRQ_TIMER);
    return 0;
  }
  timer_set(&t->singleshot_timer, set.timeout_abs_ns);
  return 0;
}

long vtime_stop_singleshot(struct vcpu *v, struct vcpu *t)
{
  if (t != v)
    return -EINVAL;
  timer_stop(&t->singleshot_timer);
  return 0;
}

long vtime_set_periodic(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
  struct vcpu_set_periodic_timer set;

  if (arch_copy_from_guest(v, &set, arg, sizeof(set)))
    return -EFAULT;
  if (set.period_ns < MS(1) || set.period_ns > STIME_DELTA_MAX)
    return -EINVAL;
  /* As Xen: the first tick is due at once (no tick has been sent yet). */
  t->periodic_period_ns = set.period_ns;
  evtchn_send_vcpu_virq(t, VIRQ_TIMER);
  timer_set(&t->periodic_timer, timer_now() + set.period_ns);
  return 0;
}

long vtime_stop_periodic(struct vcpu *t)
{
  t->periodic_period_ns = 0;
  timer_stop(&t->periodic_timer);
  return 0;
}
