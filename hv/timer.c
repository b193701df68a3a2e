/* Soft timers on one sorted list.  The timer interrupt only raises a flag
 * (timer_raise); the callbacks run later from timer_softirq, called at the
 * safe points of the scheduler loop and the vcpu run loop, so they never
 * interrupt a hypercall half way.  Single CPU for now; a per-CPU list and
 * a lock come with SMP. */
#include <arch/arch.h>
#include <hv/printk.h>
#include <hv/timer.h>

static struct timer *timer_list; /* sorted by deadline, earliest first */
volatile bool timer_raised; /* the hardware timer fired (timer_due) */

void timer_raise(void) { timer_raised = true; }

void timer_softirq(void)
{
  if (!timer_raised)
    return;
  timer_raised = false;
  unsigned long flags = arch_irq_save();
  timer_run();
  arch_irq_restore(flags);
}

uint64_t timer_now(void) { return arch_now_ns(); }

void timer_init(struct timer *t, void (*fn)(struct timer *, void *), void *data)
{
  t->deadline = 0;
  t->fn = fn;
  t->data = data;
  t->next = NULL;
  t->active = false;
}

static void unlink(struct timer *t)
{
  for (struct timer **p = &timer_list; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  t->next = NULL;
  t->active = false;
}

static void program_first(void)
{
  arch_timer_program(timer_list ? (timer_list->deadline ? timer_list->deadline : 1) : 0);
}

void timer_set(struct timer *t, uint64_t deadline_ns)
{
  ASSERT(t->fn);
  unsigned long flags = arch_irq_save(); /* timer_run changes the list */
  if (t->active)
    unlink(t);
  t->deadline = deadline_ns;
  struct timer **p = &timer_list;
  while (*p && (*p)->deadline <= deadline_ns)
    p = &(*p)->next;
  t->next = *p;
  *p = t;
  t->active = true;
  if (timer_list == t)
    program_first();
  arch_irq_restore(flags);
}

void timer_stop(struct timer *t)
{
  unsigned long flags = arch_irq_save();
  if (t->active) {
    bool was_first = timer_list == t;
    unlink(t);
    if (was_first)
      program_first();
  }
  arch_irq_restore(flags);
}

void timer_run(void)
{
  uint64_t now = timer_now();
  while (timer_list && timer_list->deadline <= now) {
    struct timer *t = timer_list;
    timer_list = t->next;
    t->next = NULL;
    t->active = false;
    t->fn(t, t->data); /* may re-arm t or others */
    now = timer_now();
  }
  program_first();
}
