/* A round-robin scheduler: every online vcpu of every running domain gets
 * a 10 ms slice in turn.  The weighted policy, blocking and wake-ups come
 * with the scheduler issue; this is the placeholder the DESIGN allows. */
#include <arch/arch.h>
#include <hv/domain.h>
#include <hv/sched.h>
#include <hv/timer.h>

bool sched_resched;
static struct timer slice_timer;

static void slice_end(struct timer *t, void *data)
{
  (void)t;
  (void)data;
  sched_resched = true;
}

void sched_run(void)
{
  timer_init(&slice_timer, slice_end, NULL);
  for (;;) {
    bool ran = false;
    for (struct domain *d = domain_list; d; d = d->next) {
      for (unsigned int i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (d->state != DOMAIN_RUNNING || !v->online)
          continue;
        sched_resched = false;
        timer_set(&slice_timer, timer_now() + SCHED_SLICE_NS);
        arch_vcpu_run(v);
        timer_stop(&slice_timer);
        ran = true;
      }
    }
    if (!ran)
      return;
  }
}
