/* Soft timers on one sorted list per CPU.  The timer interrupt only
 * raises its CPU's flag (timer_raise); the callbacks run later from
 * timer_softirq, called at the safe points of the scheduler loop and the
 * vcpu run loop, so they never interrupt a hypercall half way.  The lists
 * are under hv_lock like all shared state; a timer fires on the CPU that
 * armed it (a vcpu arms its own timers, so they fire where it runs). */
#include <arch/arch.h>
#include <hv/printk.h>
#include <hv/timer.h>

static struct timer *timer_list[HV_MAX_CPUS]; /* sorted by deadline, earliest first */
volatile bool timer_raised[HV_MAX_CPUS];      /* the hardware timer fired (timer_due) */

void timer_raise(void) { timer_raised[arch_cpu_id()] = true; }

bool timer_due(void) { return timer_raised[arch_cpu_id()]; }

void timer_softirq(void)
{
  unsigned int cpu = arch_cpu_id();
  if (!timer_raised[cpu])
    return;
  timer_raised[cpu] = false;
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
  t->cpu = 0;
  t->active = false;
}

static void unlink(struct timer *t)
{
  for (struct timer **p = &timer_list[t->cpu]; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  t->next = NULL;
  t->active = false;
}

/* Only a CPU's own hardware timer can be programmed: another CPU's list
 * that lost its first timer keeps its earlier deadline, which is safe. */
static void program_first(unsigned int cpu)
{
  struct timer *first = timer_list[cpu];
  arch_timer_program(first ? (first->deadline ? first->deadline : 1) : 0);
}

void timer_set(struct timer *t, uint64_t deadline_ns)
{
  ASSERT(t->fn);
  unsigned int cpu = arch_cpu_id();
  unsigned long flags = arch_irq_save(); /* timer_run changes the list */
  if (t->active)
    unlink(t);
  t->deadline = deadline_ns;
  t->cpu = cpu;
  struct timer **p = &timer_list[cpu];
  while (*p && (*p)->deadline <= deadline_ns)
    p = &(*p)->next;
  t->next = *p;
  *p = t;
  t->active = true;
  if (timer_list[cpu] == t)
    program_first(cpu);
  arch_irq_restore(flags);
}

void timer_stop(struct timer *t)
{
  unsigned long flags = arch_irq_save();
  if (t->active) {
    unsigned int cpu = t->cpu;
    bool was_first = timer_list[cpu] == t;
    unlink(t);
    if (was_first && cpu == arch_cpu_id())
      program_first(cpu);
  }
  arch_irq_restore(flags);
}

void timer_run(void)
{
  unsigned int cpu = arch_cpu_id();
  uint64_t now = timer_now();
  while (timer_list[cpu] && timer_list[cpu]->deadline <= now) {
    struct timer *t = timer_list[cpu];
    timer_list[cpu] = t->next;
    t->next = NULL;
    t->active = false;
    t->fn(t, t->data); /* may re-arm t or others */
    now = timer_now();
  }
  program_first(cpu);
}
