/* Unit tests of the weighted fair policy (sched/credit.c) on fake vcpus
 * and a fake clock: shares follow weights, caps hold, a yield lets the
 * others go first once, a sleeper earns no hoard; each CPU's run queue
 * is its own; placement (sched/place.c) takes the least loaded CPU the
 * hard affinity allows. */
#include "unit.h"

#include "fake_arch.h"
#include <hv/domain.h>
#include <hv/sched.h>

static struct domain dom[3];
static struct vcpu vc[3];

static int setup(void **state)
{
  (void)state;
  fake_arch_reset(); /* empty run queues */
  for (int i = 0; i < 3; i++) {
    memset(&dom[i], 0, sizeof(dom[i]));
    memset(&vc[i], 0, sizeof(vc[i]));
    dom[i].weight = SCHED_DEFAULT_WEIGHT;
    vc[i].dom = &dom[i];
    vc[i].id = 0;
  }
  return 0;
}

/* Run the policy for total_ns of CPU-bound vcpus; ran[i] gets each share. */
static void simulate(int n, uint64_t total_ns, uint64_t ran[])
{
  uint64_t now = 1000000000ULL;
  for (int i = 0; i < n; i++) {
    ran[i] = 0;
    sched_credit.enqueue(&vc[i]);
  }
  for (uint64_t t = 0; t < total_ns;) {
    uint64_t slice = 0;
    struct vcpu *v = sched_credit.pick(0, now, &slice);
    assert_non_null(v);
    assert_true(slice > 0 && slice <= SCHED_SLICE_NS);
    ran[v - vc] += slice;
    t += slice;
    now += slice;
    sched_credit.charge(v, slice, true);
  }
}

static void test_equal_weights_share_equally(void **state)
{
  (void)state;
  uint64_t ran[2];
  simulate(2, 1000000000ULL, ran);
  assert_int_equal(ran[0], ran[1]);
}

static void test_weights_two_to_one(void **state)
{
  (void)state;
  uint64_t ran[2];
  dom[0].weight = 512;
  dom[1].weight = 256;
  simulate(2, 3000000000ULL, ran);
  /* 2:1 within one slice of 3 s. */
  assert_true(ran[0] > 2 * ran[1] - 2 * SCHED_SLICE_NS && ran[0] < 2 * ran[1] + 2 * SCHED_SLICE_NS);
}

static void test_cap_limits_share(void **state)
{
  (void)state;
  uint64_t ran[2];
  dom[0].cap = 25; /* at most 25% */
  simulate(2, 1000000000ULL, ran);
  /* vcpu 1 takes the rest: nobody is idle while it is runnable. */
  assert_true(ran[0] <= 260000000ULL);
  assert_true(ran[0] + ran[1] == 1000000000ULL);
}

static void test_capped_alone_is_parked_with_release_time(void **state)
{
  (void)state;
  dom[0].cap = 10;
  sched_credit.enqueue(&vc[0]);
  uint64_t now = 5000000000ULL, slice;
  struct vcpu *v = sched_credit.pick(0, now, &slice);
  assert_ptr_equal(v, &vc[0]);
  assert_int_equal(slice, SCHED_SLICE_NS); /* 10 ms of a 10% cap of 100 ms */
  sched_credit.charge(v, slice, true);
  /* Budget used: parked until its period ends. */
  assert_null(sched_credit.pick(0, now + slice, &slice));
  uint64_t at = sched_credit.next_release(0, now + SCHED_SLICE_NS);
  assert_int_equal(at, dom[0].cap_period_start + SCHED_CAP_PERIOD_NS);
  assert_ptr_equal(sched_credit.pick(0, at, &slice), &vc[0]);
}

static void test_yield_lets_others_go_once(void **state)
{
  (void)state;
  uint64_t slice, now = 1;
  sched_credit.enqueue(&vc[0]);
  sched_credit.enqueue(&vc[1]);
  struct vcpu *v = sched_credit.pick(0, now, &slice);
  assert_ptr_equal(v, &vc[0]);
  /* vcpu 0 yields after 1 us: it has the least vtime, but goes second. */
  v->yielded = true;
  sched_credit.charge(v, 1000, true);
  v = sched_credit.pick(0, now, &slice);
  assert_ptr_equal(v, &vc[1]);
  sched_credit.charge(v, SCHED_SLICE_NS, true);
  /* The yield counted once: vcpu 0 is back in vtime order. */
  assert_ptr_equal(sched_credit.pick(0, now, &slice), &vc[0]);
}

/* The queue is in vtime order, ties in arrival order; a yielder goes
 * behind the vcpus queued at the time, and those that come later are
 * placed by vtime again (behind it when their vtime is larger). */
static void test_queue_order(void **state)
{
  (void)state;
  uint64_t slice;
  vc[0].vtime = 30;
  vc[1].vtime = 10;
  vc[2].vtime = 30;
  sched_credit.enqueue(&vc[0]);
  sched_credit.enqueue(&vc[1]);
  sched_credit.enqueue(&vc[2]);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[1]);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[0]); /* the tie: first come */
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[2]);
  assert_null(sched_credit.pick(0, 0, &slice));

  vc[0].vtime = vc[1].vtime = vc[2].vtime = 40;
  sched_credit.enqueue(&vc[1]);
  vc[0].yielded = true;
  sched_credit.enqueue(&vc[0]); /* behind vcpu 1 */
  assert_false(vc[0].yielded);  /* spent */
  vc[2].vtime = 50;
  sched_credit.enqueue(&vc[2]); /* later, larger vtime: behind the yielder */
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[1]);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[0]);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[2]);

  /* A yield before a block is spent too: it does not follow the vcpu. */
  vc[0].yielded = true;
  sched_credit.charge(&vc[0], 1000, false);
  assert_false(vc[0].yielded);
}

static void test_sleeper_earns_no_hoard(void **state)
{
  (void)state;
  uint64_t slice;
  sched_credit.enqueue(&vc[0]);
  for (int i = 0; i < 100; i++) { /* vcpu 0 alone for a second */
    struct vcpu *v = sched_credit.pick(0, 0, &slice);
    sched_credit.charge(v, SCHED_SLICE_NS, true);
  }
  sched_credit.enqueue(&vc[1]); /* wakes with vtime 0 */
  assert_true(vc[1].vtime >= vc[0].vtime - SCHED_SLICE_NS);
  /* So the two alternate instead of vcpu 1 running for a second. */
  int ones = 0;
  for (int i = 0; i < 10; i++) {
    struct vcpu *v = sched_credit.pick(0, 0, &slice);
    ones += v == &vc[1];
    sched_credit.charge(v, SCHED_SLICE_NS, true);
  }
  assert_true(ones >= 4 && ones <= 6);
}

static void test_dequeue_removes(void **state)
{
  (void)state;
  uint64_t slice;
  sched_credit.enqueue(&vc[0]);
  sched_credit.enqueue(&vc[1]);
  sched_credit.dequeue(&vc[0]);
  assert_false(vc[0].on_runq);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[1]);
  assert_null(sched_credit.pick(0, 0, &slice));
}

static void test_run_queues_are_per_cpu(void **state)
{
  (void)state;
  uint64_t slice;
  vc[0].processor = 0;
  vc[1].processor = 1;
  vc[2].processor = 1;
  for (int i = 0; i < 3; i++)
    sched_credit.enqueue(&vc[i]);
  /* CPU 1 sees only its two, in turn; CPU 0 only its one. */
  struct vcpu *a = sched_credit.pick(1, 0, &slice);
  assert_ptr_equal(a, &vc[1]);
  sched_credit.charge(a, SCHED_SLICE_NS, true);
  struct vcpu *b = sched_credit.pick(1, 0, &slice);
  assert_ptr_equal(b, &vc[2]);
  sched_credit.charge(b, SCHED_SLICE_NS, true);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[0]);
  assert_null(sched_credit.pick(0, 0, &slice)); /* CPU 1's are not taken */
  /* Each queue has its own minimum: CPU 0 ran far ahead, which does not
   * hold back a vcpu that joins CPU 1. */
  vc[0].vtime = 50 * SCHED_SLICE_NS;
  sched_credit.charge(&vc[0], SCHED_SLICE_NS, true);
  assert_ptr_equal(sched_credit.pick(0, 0, &slice), &vc[0]); /* CPU 0 min is now 51 slices */
  vc[0].processor = 1;
  vc[0].vtime = 0;
  sched_credit.enqueue(&vc[0]);
  assert_true(vc[0].vtime < 2 * SCHED_SLICE_NS); /* CPU 1's minimum, not CPU 0's */
  /* vc[0] (least vtime) runs next on CPU 1. */
  assert_ptr_equal(sched_credit.pick(1, 0, &slice), &vc[0]);
}

static void test_place_least_loaded_within_hard_affinity(void **state)
{
  (void)state;
  unsigned int load[HV_MAX_CPUS] = {0};
  /* Two CPUs, none loaded: CPU 0 first, then CPU 1, then CPU 0 again. */
  unsigned int c = sched_place(0x3, ~0ULL, load);
  assert_int_equal(c, 0);
  load[c]++;
  c = sched_place(0x3, ~0ULL, load);
  assert_int_equal(c, 1);
  load[c]++;
  c = sched_place(0x3, ~0ULL, load);
  assert_int_equal(c, 0);
  load[c]++;
  /* Hard affinity wins over load: CPU 0 has 2, CPU 1 has 1. */
  assert_int_equal(sched_place(0x3, 0x1, load), 0);
  /* A CPU outside the online mask is never chosen, however idle. */
  assert_int_equal(sched_place(0x3, 0x4, load), HV_MAX_CPUS);
  assert_int_equal(sched_place(0x5, 0x4, load), 2);
  /* One CPU: everything goes there. */
  assert_int_equal(sched_place(0x1, ~0ULL, load), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_equal_weights_share_equally, setup),
      cmocka_unit_test_setup(test_weights_two_to_one, setup),
      cmocka_unit_test_setup(test_cap_limits_share, setup),
      cmocka_unit_test_setup(test_capped_alone_is_parked_with_release_time, setup),
      cmocka_unit_test_setup(test_yield_lets_others_go_once, setup),
      cmocka_unit_test_setup(test_queue_order, setup),
      cmocka_unit_test_setup(test_sleeper_earns_no_hoard, setup),
      cmocka_unit_test_setup(test_dequeue_removes, setup),
      cmocka_unit_test_setup(test_run_queues_are_per_cpu, setup),
      cmocka_unit_test_setup(test_place_least_loaded_within_hard_affinity, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
