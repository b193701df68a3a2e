/* Soft timers on one sorted list per CPU (struct per_cpu).  The timer interrupt only
 * raises its CPU's flag (timer_raise); the callbacks run later from
 * timer_softirq, called at the safe points of the scheduler loop and the
 * vcpu run loop, so they never interrupt a hypercall half way.  The lists
 * are under hv_lock like all shared state; a timer fires on the CPU that
 * armed it (a vcpu arms its own timers, so they fire where it runs). */
#include <arch/arch.h>
#include <hv/percpu.h>
#include <hv/printk.h>
#include <hv/timer.h>

void timer_raise(void) { this_cpu()->timer_raised = true; }

bool timer_due(void) { return this_cpu()->timer_raised; }

void timer_softirq(void)
{
  struct per_cpu *pc = this_cpu();
  if (!pc->timer_raised)
    return;
  pc->timer_raised = false;
  arch_irq_work(); /* device interrupts raise the flag too */
  unsigned long flags = arch_irq_save();
  timer_run();
  arch_irq_restore(flags);
}

void timer_init(struct timer *t, void (*fn)(struct timer *, void *), void *data)
{
  t->deadline = 0;
  t->fn = fn;
  t->data = data;
  t->next = NULL;
  t->pc = NULL;
  t->pushed = 0;
  t->active = false;
}

static void unlink(struct timer *t)
{
  for (struct timer **p = &t->pc->shared.timers; *p; p = &(*p)->next) {
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
static void program_first(struct per_cpu *pc)
{
  struct timer *first = pc->shared.timers;
  arch_timer_program(first ? (first->deadline ? first->deadline : 1) : 0);
}

/* Put t on pc's list at deadline_ns; the caller holds interrupts off. */
static void insert(struct per_cpu *pc, struct timer *t, uint64_t deadline_ns)
{
  t->deadline = deadline_ns;
  t->pushed = 0;
  t->pc = pc;
  struct timer **p = &pc->shared.timers;
  while (*p && (*p)->deadline <= deadline_ns)
    p = &(*p)->next;
  t->next = *p;
  *p = t;
  t->active = true;
}

void timer_set(struct timer *t, uint64_t deadline_ns)
{
  ASSERT(t->fn);
  struct per_cpu *pc = this_cpu();
  unsigned long flags = arch_irq_save(); /* timer_run changes the list */
  if (t->active)
    unlink(t);
  insert(pc, t, deadline_ns);
  if (pc->shared.timers == t)
    program_first(pc);
  arch_irq_restore(flags);
}

void timer_push(struct timer *t, uint64_t deadline_ns)
{
  /* timer_run, the only other reader of pushed, runs on this CPU at the
   * safe points, never inside this function: no interrupt lock needed. */
  if (t->active && t->pc == this_cpu() && t->deadline <= deadline_ns)
    t->pushed = deadline_ns;
  else
    timer_set(t, deadline_ns);
}

void timer_stop(struct timer *t)
{
  unsigned long flags = arch_irq_save();
  if (t->active) {
    struct per_cpu *pc = t->pc;
    bool was_first = pc->shared.timers == t;
    unlink(t);
    if (was_first && pc == this_cpu())
      program_first(pc);
  }
  arch_irq_restore(flags);
}

void timer_run(void)
{
  struct per_cpu *pc = this_cpu();
  uint64_t now = timer_now();
  while (pc->shared.timers && pc->shared.timers->deadline <= now) {
    struct timer *t = pc->shared.timers;
    pc->shared.timers = t->next;
    t->next = NULL;
    t->active = false;
    if (t->pushed > now) {
      insert(pc, t, t->pushed); /* timer_push moved it: not due yet */
      continue;
    }
    t->pushed = 0;
    t->fn(t, t->data); /* may re-arm t or others */
    now = timer_now();
  }
  program_first(pc);
}
