/* Unit tests of the soft timers (hv/timer.c) on a fake clock. */
#include "unit.h"

#include <hv/percpu.h>
#include <hv/timer.h>

/* The arch side is test/unit/fake_arch.c: a clock the test moves
 * (fake_now_ns), the CPU the code runs on (fake_cpu) and the last deadline
 * the timers asked the hardware for (fake_timer_deadline). */
#include "fake_arch.h"

static int order[16], nfired;

static void record(struct timer *t, void *data)
{
  (void)t;
  order[nfired++] = (int)(intptr_t)data;
}

static int setup(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_now_ns = 1000;
  nfired = 0;
  return 0;
}

static void test_fire_in_deadline_order(void **state)
{
  (void)state;
  struct timer t[4];
  for (int i = 0; i < 4; i++)
    timer_init(&t[i], record, (void *)(intptr_t)i);
  timer_set(&t[2], 3000);
  assert_int_equal(fake_timer_deadline, 3000);
  timer_set(&t[0], 1500);
  assert_int_equal(fake_timer_deadline, 1500); /* the earliest is always fake_timer_deadline */
  timer_set(&t[3], 4000);
  timer_set(&t[1], 2000);
  assert_int_equal(fake_timer_deadline, 1500);

  fake_now_ns = 2500;
  timer_run();
  assert_int_equal(nfired, 2);
  assert_int_equal(order[0], 0);
  assert_int_equal(order[1], 1);
  assert_false(t[0].active);
  assert_true(t[2].active);
  assert_int_equal(fake_timer_deadline, 3000);

  fake_now_ns = 10000;
  timer_run();
  assert_int_equal(nfired, 4);
  assert_int_equal(order[2], 2);
  assert_int_equal(order[3], 3);
  assert_int_equal(fake_timer_deadline, 0); /* nothing left: hardware timer off */
  assert_int_equal(fake_irq_depth, 0);      /* every save was restored */
}

static void test_stop_and_rearm(void **state)
{
  (void)state;
  struct timer a, b;
  timer_init(&a, record, (void *)(intptr_t)1);
  timer_init(&b, record, (void *)(intptr_t)2);
  timer_set(&a, 2000);
  timer_set(&b, 3000);
  timer_stop(&a);
  assert_int_equal(fake_timer_deadline, 3000); /* the next one takes over */
  timer_stop(&a);                              /* twice is harmless */
  timer_set(&b, 1200);                         /* re-arm earlier */
  assert_int_equal(fake_timer_deadline, 1200);
  fake_now_ns = 5000;
  timer_run();
  assert_int_equal(nfired, 1);
  assert_int_equal(order[0], 2);
  timer_stop(&b); /* stopping a fired timer is harmless */
  assert_int_equal(fake_timer_deadline, 0);
}

static struct timer periodic;
static int periodic_runs;

static void rearm(struct timer *t, void *data)
{
  (void)data;
  if (++periodic_runs < 3)
    timer_set(t, t->deadline + 100);
}

static void test_callback_rearms_itself(void **state)
{
  (void)state;
  timer_init(&periodic, rearm, NULL);
  timer_set(&periodic, 1100);
  fake_now_ns = 1100;
  timer_run();
  assert_int_equal(periodic_runs, 1);
  assert_true(periodic.active);
  assert_int_equal(fake_timer_deadline, 1200);
  fake_now_ns = 5000; /* late: both remaining periods are due */
  timer_run();
  assert_int_equal(periodic_runs, 3);
  assert_false(periodic.active);
}

static void test_past_deadline_fires_next_run(void **state)
{
  (void)state;
  struct timer t;
  timer_init(&t, record, (void *)(intptr_t)7);
  timer_set(&t, 10); /* already in the past */
  assert_true(fake_timer_deadline != 0);
  timer_run();
  assert_int_equal(nfired, 1);
  assert_int_equal(order[0], 7);
}

/* Each CPU has its own list: a timer fires on the CPU that armed it, a
 * CPU programs only its own hardware, and any CPU may stop any timer. */
static void test_per_cpu_lists(void **state)
{
  (void)state;
  struct timer a, b, c;
  timer_init(&a, record, (void *)(intptr_t)1);
  timer_init(&b, record, (void *)(intptr_t)2);
  timer_init(&c, record, (void *)(intptr_t)3);
  fake_cpu = 0;
  timer_set(&a, 2000);
  fake_cpu = 1;
  timer_set(&b, 1500);
  assert_int_equal(fake_timer_deadline, 1500); /* CPU 1's own first deadline */
  timer_set(&c, 2500);
  fake_cpu = 0;
  timer_set(&c, 3000); /* re-armed by CPU 0: it moves to CPU 0's list */
  assert_ptr_equal(c.pc, per_cpu(0));
  fake_now_ns = 2600;
  fake_timer_deadline = 0;
  timer_run(); /* CPU 0: a and c (due), not b (CPU 1's) */
  assert_int_equal(nfired, 1);
  assert_int_equal(order[0], 1);
  assert_true(b.active);
  assert_true(c.active);
  assert_int_equal(fake_timer_deadline, 3000);
  timer_stop(&b); /* CPU 0 stops CPU 1's timer */
  assert_false(b.active);
  assert_int_equal(fake_timer_deadline, 3000); /* and does not touch its own hardware */
  fake_cpu = 1;
  timer_run(); /* nothing left on CPU 1 */
  assert_int_equal(nfired, 1);
  assert_int_equal(fake_timer_deadline, 0);
  fake_cpu = 0;
  fake_now_ns = 3000;
  timer_run();
  assert_int_equal(nfired, 2);
  assert_int_equal(order[1], 3);
}

/* timer_push: a later deadline leaves the timer in place, which then wakes
 * early, moves itself without calling back, and fires at the pushed
 * deadline; an earlier deadline, another CPU or a stopped timer take the
 * full timer_set; timer_set and timer_stop forget a push. */
static void test_push(void **state)
{
  (void)state;
  struct timer s, o;
  timer_init(&s, record, (void *)(intptr_t)1);
  timer_init(&o, record, (void *)(intptr_t)2);
  timer_push(&s, 2000); /* not armed: armed as by timer_set */
  assert_true(s.active);
  assert_int_equal(s.deadline, 2000);
  assert_int_equal(fake_timer_deadline, 2000);
  timer_set(&o, 2500);
  timer_push(&s, 3000); /* later: stays at 2000 */
  timer_push(&s, 4000);
  assert_int_equal(s.deadline, 2000);
  assert_ptr_equal(per_cpu(0)->shared.timers, &s);
  fake_now_ns = 2100;
  timer_run(); /* wakes early: no call, moved behind o to 4000 */
  assert_int_equal(nfired, 0);
  assert_true(s.active);
  assert_int_equal(s.deadline, 4000);
  assert_int_equal(s.pushed, 0);
  assert_ptr_equal(per_cpu(0)->shared.timers, &o);
  assert_int_equal(fake_timer_deadline, 2500);
  timer_push(&s, 3500); /* earlier than where it is: moved now */
  assert_int_equal(s.deadline, 3500);
  fake_now_ns = 3600;
  timer_run();
  assert_int_equal(nfired, 2);
  assert_int_equal(order[0], 2);
  assert_int_equal(order[1], 1);
  assert_false(s.active);

  timer_set(&s, 5000);
  timer_push(&s, 9000);
  timer_set(&s, 6000); /* forgets the push */
  fake_now_ns = 6000;
  timer_run();
  assert_int_equal(nfired, 3);
  timer_set(&s, 7000);
  timer_push(&s, 9000);
  timer_stop(&s);
  fake_cpu = 1;
  timer_push(&s, 8000); /* stopped: armed anew, on this CPU */
  assert_ptr_equal(s.pc, per_cpu(1));
  assert_int_equal(s.deadline, 8000);
  assert_int_equal(s.pushed, 0);
  fake_cpu = 0;
  timer_push(&s, 9000); /* armed on CPU 1: moves to CPU 0 */
  assert_ptr_equal(s.pc, per_cpu(0));
  assert_int_equal(s.deadline, 9000);
  fake_now_ns = 9000;
  timer_run();
  assert_int_equal(nfired, 4);
  assert_int_equal(fake_irq_depth, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fire_in_deadline_order, setup),
      cmocka_unit_test_setup(test_stop_and_rearm, setup),
      cmocka_unit_test_setup(test_callback_rearms_itself, setup),
      cmocka_unit_test_setup(test_past_deadline_fires_next_run, setup),
      cmocka_unit_test_setup(test_per_cpu_lists, setup),
      cmocka_unit_test_setup(test_push, setup),
  };
  return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
