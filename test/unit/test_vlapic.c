/* Unit tests of the emulated local APIC (arch/x86/vlapic.c) on a fake
 * domain of 32 vcpus and a fake clock: what the Bochs test guest cannot
 * reach (many vcpus, x2APIC logical clusters, every APIC base
 * transition, a divider change mid-count) and random MSR values, which
 * must never crash (ASan and UBSan watch). */
#include "unit.h"

#include <arch/vlapic.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/sched.h>

/* ---- The hypervisor around it, faked ---- */

/* The clock and the rest of the arch side: test/unit/fake_arch.c. */
#include "fake_arch.h"

uint64_t time_tsc_hz = 100000000;
/* A TSC at 100 MHz from 0: 10 ns a tick. */
uint64_t time_tsc_to_ns(uint64_t tsc) { return tsc * 10; }

static unsigned int woken[DOMAIN_MAX_VCPUS + 8];
void sched_wake(struct vcpu *v) { woken[v->id]++; }
static unsigned int started[DOMAIN_MAX_VCPUS + 8];
void sched_vcpu_start(struct vcpu *v)
{
  started[v->id]++;
  v->online = true;
}
static int start_err;
static uint8_t start_vector;
int vmx_vcpu_start_real(struct vcpu *v, uint8_t vector)
{
  (void)v;
  start_vector = vector;
  return start_err;
}

#define NR DOMAIN_MAX_VCPUS
static struct domain dom;
static struct vcpu vcpus[NR];
static struct vcpu_info vinfo[NR];

static int setup(void **state)
{
  (void)state;
  memset(&dom, 0, sizeof(dom));
  memset(vcpus, 0, sizeof(vcpus));
  memset(vinfo, 0, sizeof(vinfo));
  memset(woken, 0, sizeof(woken));
  memset(started, 0, sizeof(started));
  strcpy(dom.name, "dom0");
  dom.nr_vcpus = DOMAIN_MAX_VCPUS;
  fake_now_ns = 1000000;
  start_err = 0;
  for (unsigned int i = 0; i < NR; i++) {
    vcpus[i].id = i;
    vcpus[i].dom = &dom;
    vcpus[i].vi = &vinfo[i];
    if (i < DOMAIN_MAX_VCPUS)
      dom.vcpus[i] = &vcpus[i];
    vlapic_init(&vcpus[i]);
  }
  vcpus[0].online = true;
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  for (unsigned int i = 0; i < NR; i++)
    vlapic_destroy(&vcpus[i]);
  return 0;
}

#define X2(reg) (0x800U + (reg))
static uint64_t rd(struct vcpu *v, uint32_t msr)
{
  uint64_t val = 0xdeadbeef;
  assert_int_equal(vlapic_msr_read(v, msr, &val), 0);
  return val;
}
static void wr(struct vcpu *v, uint32_t msr, uint64_t val)
{
  assert_int_equal(vlapic_msr_write(v, msr, val), 0);
}
static void enable(struct vcpu *v) { wr(v, X2(0x0f), 0x1ff); }

/* ---- Tests ---- */

static void test_reset_state(void **state)
{
  (void)state;
  assert_int_equal(rd(&vcpus[0], 0x1b), 0xfee00d00);
  assert_int_equal(rd(&vcpus[5], 0x1b), 0xfee00c00); /* no BSP */
  assert_int_equal(rd(&vcpus[5], X2(0x02)), 5);
  assert_int_equal(rd(&vcpus[5], X2(0x0f)), 0xff);
  assert_int_equal(rd(&vcpus[5], X2(0x32)), 0x10000);
  assert_int_equal(vcpus[5].arch.vlapic.pending, 0);
}

static void test_ldr_clusters(void **state)
{
  (void)state;
  /* x2APIC: cluster = ID[19:4] in 31:16, bit ID[3:0] below. */
  assert_int_equal(rd(&vcpus[0], X2(0x0d)), 0x00001);
  assert_int_equal(rd(&vcpus[15], X2(0x0d)), 0x08000);
  assert_int_equal(rd(&vcpus[17], X2(0x0d)), 0x10002);
  assert_int_equal(rd(&vcpus[31], X2(0x0d)), 0x18000);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    enable(&vcpus[i]);
  /* Logical cluster 1, bits 1 and 3: vcpus 17 and 19 only. */
  wr(&vcpus[0], X2(0x30), (0x1000aULL << 32) | (1U << 11) | 0x50);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    assert_int_equal(vcpus[i].arch.vlapic.pending, (i == 17 || i == 19) ? 0x50 : 0);
  assert_int_equal(woken[17], 1);
  assert_int_equal(woken[19], 1);
  assert_int_equal(woken[18], 0);
}

static void test_shorthands_and_broadcast(void **state)
{
  (void)state;
  for (unsigned int i = 0; i < 4; i++)
    enable(&vcpus[i]);
  dom.nr_vcpus = 4;
  wr(&vcpus[1], X2(0x30), (3U << 18) | 0x60); /* all but self */
  assert_int_equal(vcpus[0].arch.vlapic.pending, 0x60);
  assert_int_equal(vcpus[1].arch.vlapic.pending, 0);
  assert_int_equal(vcpus[2].arch.vlapic.pending, 0x60);
  wr(&vcpus[1], X2(0x30), (0xffffffffULL << 32) | 0x70); /* physical broadcast */
  for (unsigned int i = 0; i < 4; i++)
    assert_int_equal(vcpus[i].arch.vlapic.pending, 0x70);
  /* Lowest priority: the lowest PPR among the targets. */
  wr(&vcpus[0], X2(0x08), 0x80);
  wr(&vcpus[1], X2(0x08), 0x20);
  wr(&vcpus[2], X2(0x08), 0x90);
  wr(&vcpus[3], X2(0x08), 0x30);
  wr(&vcpus[0], X2(0x30), (2U << 18) | (1U << 8) | 0xe0);
  assert_true((vcpus[1].arch.vlapic.irr[7] & 1) != 0);
  assert_int_equal(
      vcpus[0].arch.vlapic.irr[7] | vcpus[2].arch.vlapic.irr[7] | vcpus[3].arch.vlapic.irr[7], 0);
}

static void test_disabled_apic_takes_nothing(void **state)
{
  (void)state;
  vlapic_set_irq(&vcpus[3], 0x40);
  assert_int_equal(vcpus[3].arch.vlapic.irr[2], 0);
  assert_int_equal(woken[3], 0);
}

static void test_priority_and_eoi(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[0];
  struct vlapic *l = &v->arch.vlapic;
  enable(v);
  vlapic_set_irq(v, 0x31);
  vlapic_set_irq(v, 0x52);
  vlapic_set_irq(v, 0x58);
  assert_int_equal(l->pending, 0x58);
  vlapic_ack(v);
  assert_int_equal(rd(v, X2(0x0a)), 0x50); /* PPR: class of 0x58 */
  assert_int_equal(l->pending, 0);         /* 0x52: same class */
  vlapic_set_irq(v, 0x61);
  assert_int_equal(l->pending, 0x61);
  vlapic_ack(v);
  wr(v, X2(0x0b), 0); /* ends 0x61 */
  assert_int_equal(rd(v, X2(0x0a)), 0x50);
  wr(v, X2(0x0b), 0); /* ends 0x58 */
  assert_int_equal(l->pending, 0x52);
  wr(v, X2(0x08), 0x60); /* TPR above both */
  assert_int_equal(l->pending, 0);
  assert_int_equal(rd(v, X2(0x0a)), 0x60);
  wr(v, X2(0x08), 0);
  assert_int_equal(l->pending, 0x52);
  /* Software disable: nothing deliverable, LVTs masked; enable again. */
  wr(v, X2(0x0f), 0xff);
  assert_int_equal(l->pending, 0);
  enable(v);
  assert_int_equal(l->pending, 0x52);
}

static void test_upcall_vector(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[2];
  v->upcall_vector = 0xf3;
  arch_vcpu_assert_upcall(v); /* APIC disabled: dropped */
  assert_false(arch_intr_pending(&v->arch));
  vinfo[2].evtchn_upcall_pending = 1;
  enable(v); /* raised again, as Xen */
  assert_true(arch_intr_pending(&v->arch));
  assert_int_equal(v->arch.vlapic.pending, 0xf3);
}

static void test_errors(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[0];
  enable(v);
  wr(v, X2(0x37), 0x05); /* LVT error unmasked, an illegal vector itself */
  wr(v, X2(0x3f), 0x03); /* send illegal */
  assert_int_equal(v->arch.vlapic.pending, 0);
  wr(v, X2(0x28), 0);
  assert_int_equal(rd(v, X2(0x28)), 0x20 | 0x40); /* send, and receive folded in */
  wr(v, X2(0x37), 0xfe);
  wr(v, X2(0x3f), 0x03);
  assert_int_equal(v->arch.vlapic.pending, 0xfe);
  wr(v, X2(0x3f), 0x04); /* the bit waits already: no second interrupt */
  vlapic_ack(v);
  assert_int_equal(v->arch.vlapic.pending, 0);
}

static void test_base_transitions(void **state)
{
  (void)state;
  /* From each mode (x2APIC, disabled, xAPIC) to each value of EN/EXTD. */
  static const struct {
    uint64_t from, to;
    int want;
  } cases[] = {
      {0xc00, 0xc00, 0},       {0xc00, 0x000, 0},       {0xc00, 0x800, -EINVAL},
      {0xc00, 0x400, -EINVAL}, {0x000, 0xc00, -EINVAL}, {0x000, 0x800, 0},
      {0x000, 0x000, 0},       {0x800, 0xc00, 0},       {0x800, 0x000, 0},
      {0x800, 0x400, -EINVAL},
  };
  struct vcpu *v = &vcpus[1];
  for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    vlapic_init(v);
    if (cases[i].from == 0x800) {
      wr(v, 0x1b, 0xfee00000);
      wr(v, 0x1b, 0xfee00800);
    } else if (cases[i].from == 0x000) {
      wr(v, 0x1b, 0xfee00000);
    }
    assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfee00000 | cases[i].to), cases[i].want);
    assert_int_equal(rd(v, 0x1b), 0xfee00000 | (cases[i].want ? cases[i].from : cases[i].to));
  }
  vlapic_init(v);
  assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfec00c00), -EINVAL); /* moved */
  assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfee00c01), -EINVAL); /* reserved */
  wr(v, 0x1b, 0xfee00d00); /* BSP is not the guest's to set */
  assert_int_equal(rd(v, 0x1b), 0xfee00c00);
}

static void test_timer_divider_mid_count(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[0];
  enable(v);
  wr(v, X2(0x3e), 0xb); /* divide by 1: 10 ns a count */
  wr(v, X2(0x32), 0x40);
  wr(v, X2(0x38), 1000);
  fake_now_ns += 3000; /* 300 counts */
  assert_int_equal(rd(v, X2(0x39)), 700);
  wr(v, X2(0x3e), 0x0); /* divide by 2: the 700 left take 14 us */
  assert_int_equal(rd(v, X2(0x39)), 700);
  fake_now_ns += 4000;
  assert_int_equal(rd(v, X2(0x39)), 500);
  assert_int_equal(v->arch.vlapic.timer_next_ns, fake_now_ns - 4000 + 14000);
  /* Periodic count wraps; one-shot stays at 0. */
  wr(v, X2(0x32), (1U << 17) | 0x40);
  fake_now_ns += 10000; /* 500 more: reload */
  assert_int_equal(rd(v, X2(0x39)), 1000);
  wr(v, X2(0x38), 0);
  assert_int_equal(rd(v, X2(0x39)), 0);
}

static void test_timer_fires(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[0];
  struct vlapic *l = &v->arch.vlapic;
  enable(v);
  wr(v, X2(0x3e), 0xb);
  wr(v, X2(0x32), (1U << 17) | 0x40); /* periodic, 1 count: floored to 100 us */
  wr(v, X2(0x38), 1);
  assert_int_equal(l->timer_next_ns, fake_now_ns + 100000);
  fake_now_ns += 100000;
  timer_run();
  assert_int_equal(l->pending, 0x40);
  assert_true(l->timer.active);
  fake_now_ns += 1000000; /* far behind: one interrupt, next one a period on */
  timer_run();
  assert_int_equal(l->timer_next_ns, fake_now_ns + 100000);
  /* TSC deadline: fires when the TSC (10 ns a tick here) gets there. */
  vlapic_ack(v);
  wr(v, X2(0x0b), 0);
  wr(v, X2(0x32), (2U << 17) | 0x41);
  assert_false(l->timer.active);
  wr(v, 0x6e0, fake_now_ns / 10 + 50);
  assert_int_equal(rd(v, 0x6e0), fake_now_ns / 10 + 50);
  fake_now_ns += 500;
  timer_run();
  assert_int_equal(l->pending, 0);
  fake_now_ns += 1;
  timer_run();
  assert_int_equal(l->pending, 0x41);
  assert_int_equal(rd(v, 0x6e0), 0);
}

static void test_init_sipi(void **state)
{
  (void)state;
  struct vcpu *bsp = &vcpus[0], *ap = &vcpus[1];
  enable(bsp);
  wr(bsp, X2(0x30), (1ULL << 32) | (6U << 8) | 0x09); /* SIPI without INIT */
  assert_int_equal(started[1], 0);
  wr(bsp, X2(0x30), (1ULL << 32) | (5U << 8) | (1U << 14));
  assert_true(ap->arch.vlapic.wait_for_sipi);
  start_err = -ENOMEM;
  wr(bsp, X2(0x30), (1ULL << 32) | (6U << 8) | 0x09);
  assert_int_equal(started[1], 0); /* it stays offline, said so */
  assert_true(shim_log_contains("vcpu 1 cannot start"));
  start_err = 0;
  wr(bsp, X2(0x30), (1ULL << 32) | (5U << 8) | (1U << 14));
  wr(bsp, X2(0x30), (1ULL << 32) | (6U << 8) | 0x09);
  wr(bsp, X2(0x30), (1ULL << 32) | (6U << 8) | 0x09); /* the second SIPI: nothing */
  assert_int_equal(started[1], 1);
  assert_int_equal(start_vector, 0x09);
  assert_true(ap->initialised);
  /* INIT to all others including running ones: only a warning. */
  wr(bsp, X2(0x30), (3U << 18) | (5U << 8) | (1U << 14));
  assert_true(shim_log_contains("INIT IPI to a running vcpu"));
  assert_false(ap->arch.vlapic.wait_for_sipi);
}

/* Random values into every x2APIC MSR and the APIC base, from random
 * vcpus: whatever they do, nothing crashes and the invariants hold. */
static void test_random_msrs(void **state)
{
  (void)state;
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    enable(&vcpus[i]);
  for (unsigned int n = 0; n < 200000; n++) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    struct vcpu *v = &vcpus[seed % DOMAIN_MAX_VCPUS];
    uint32_t msr = (seed >> 8) & 1 ? 0x800 + ((seed >> 9) & 0xff) : 0x1b;
    if (((seed >> 20) & 31) == 0)
      msr = 0x6e0;
    uint64_t val = seed * 0x2545f4914f6cdd1dULL;
    switch ((seed >> 30) & 3) {
    case 0: val &= 0xffffffff; break;
    case 1:
      val &= 0xfffc0fff; /* plausible ICRs and LVTs */
      break;
    default: break;
    }
    uint64_t out;
    if ((seed >> 40) & 1)
      vlapic_msr_write(v, msr, val);
    else
      vlapic_msr_read(v, msr, &out);
    if (((seed >> 41) & 7) == 0 && v->arch.vlapic.pending)
      vlapic_ack(v);
    fake_now_ns += (seed >> 44) & 0xfff;
    if (((seed >> 56) & 15) == 0)
      timer_run();
    const struct vlapic *l = &v->arch.vlapic;
    assert_int_equal(l->irr[0] & 0xffff, 0); /* vectors 0-15 never pend */
    if (l->pending)
      assert_true((l->irr[l->pending / 32] >> (l->pending % 32)) & 1);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ldr_clusters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shorthands_and_broadcast, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disabled_apic_takes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_priority_and_eoi, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upcall_vector, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_base_transitions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timer_divider_mid_count, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timer_fires, setup, teardown),
      cmocka_unit_test_setup_teardown(test_init_sipi, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_msrs, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
