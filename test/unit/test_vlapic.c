/* Unit tests of the emulated local APIC (arch/x86/vlapic.c) on a fake
 * domain of 32 vcpus and a fake clock: what the Bochs test guest cannot
 * reach (many vcpus, x2APIC and xAPIC logical clusters, every APIC base
 * transition, a divider change mid-count), the xAPIC page's register
 * map against the x2APIC MSRs, and random MSR values and MMIO accesses,
 * which must never crash (ASan and UBSan watch). */
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
static unsigned int eoi_count;
static uint8_t eoi_vector;
void vioapic_eoi(struct domain *d, uint8_t vector)
{
  (void)d;
  eoi_count++;
  eoi_vector = vector;
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
    /* Most tests use the MSRs: into x2APIC mode, as Linux goes. */
    assert_int_equal(vlapic_msr_write(&vcpus[i], 0x1b, 0xfee00c00), 0);
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

/* The xAPIC page at its default base: n bytes at offset off. */
#define XAPIC 0xfee00000ULL
static uint64_t mmio_rd(struct vcpu *v, unsigned int off, unsigned int n)
{
  uint64_t val = 0;
  assert_true(vlapic_mmio(v, XAPIC + off, &val, n, false));
  return val;
}
static void mmio_wr(struct vcpu *v, unsigned int off, unsigned int n, uint64_t val)
{
  assert_true(vlapic_mmio(v, XAPIC + off, &val, n, true));
}
/* A 32-bit register by its x2APIC index, through the page. */
static uint32_t xrd(struct vcpu *v, unsigned int reg) { return (uint32_t)mmio_rd(v, reg << 4, 4); }
static void xwr(struct vcpu *v, unsigned int reg, uint32_t val) { mmio_wr(v, reg << 4, 4, val); }
/* Back to the power-on state: enabled, xAPIC mode. */
static void to_xapic(struct vcpu *v)
{
  vlapic_init(v);
  assert_int_equal(rd(v, 0x1b) & 0xc00, 0x800);
}

/* ---- Tests ---- */

static void test_reset_state(void **state)
{
  (void)state;
  /* Power-on: enabled in xAPIC mode at the default base, as Xen 4.19's
   * vlapic_reset; the ID in 31:24; no x2APIC MSR. */
  uint64_t val;
  to_xapic(&vcpus[0]);
  to_xapic(&vcpus[5]);
  assert_int_equal(rd(&vcpus[0], 0x1b), 0xfee00900);
  assert_int_equal(rd(&vcpus[5], 0x1b), 0xfee00800); /* no BSP */
  assert_int_equal(vlapic_msr_read(&vcpus[5], X2(0x02), &val), -EINVAL);
  assert_int_equal(xrd(&vcpus[5], 0x02), 5U << 24);
  assert_int_equal(xrd(&vcpus[5], 0x0d), 0);          /* LDR */
  assert_int_equal(xrd(&vcpus[5], 0x0e), 0xffffffff); /* DFR: flat */
  assert_int_equal(xrd(&vcpus[5], 0x0f), 0xff);
  /* Into x2APIC mode: the ID is the vcpu id. */
  wr(&vcpus[0], 0x1b, 0xfee00c00);
  wr(&vcpus[5], 0x1b, 0xfee00c00);
  assert_int_equal(rd(&vcpus[0], 0x1b), 0xfee00d00);
  assert_int_equal(rd(&vcpus[5], 0x1b), 0xfee00c00);
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

/* A level-triggered vector's EOI goes back to the I/O APIC, an edge's
 * does not; an edge on the same vector later clears the TMR bit. */
static void test_level_eoi(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[0];
  struct vlapic *l = &v->arch.vlapic;
  enable(v);
  eoi_count = 0;
  vlapic_set_irq_level(v, 0x71);
  vlapic_set_irq(v, 0x62);
  assert_int_equal(rd(v, X2(0x18 + 3)) & (1U << (0x71 % 32)), 1U << (0x71 % 32)); /* TMR */
  vlapic_ack(v);
  wr(v, X2(0x0b), 0); /* ends 0x71: to the I/O APIC */
  assert_int_equal(eoi_count, 1);
  assert_int_equal(eoi_vector, 0x71);
  assert_int_equal(l->tmr[3], 0);
  vlapic_ack(v);
  wr(v, X2(0x0b), 0); /* ends 0x62, an edge */
  assert_int_equal(eoi_count, 1);
  wr(v, X2(0x0b), 0); /* nothing in service: nothing */
  assert_int_equal(eoi_count, 1);
  /* Disabled: a level interrupt is not taken, so no EOI follows. */
  wr(v, X2(0x0f), 0xff);
  vlapic_set_irq_level(v, 0x71);
  assert_int_equal(l->irr[3], 0);
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
  /* From each mode (x2APIC, disabled, xAPIC) to each value of EN/EXTD:
   * SDM 11.12.5 and Xen 4.19's guest_wrmsr_apic_base. */
  static const struct {
    uint64_t from, to;
    int want;
  } cases[] = {
      {0xc00, 0xc00, 0},       {0xc00, 0x000, 0}, {0xc00, 0x800, -EINVAL}, {0xc00, 0x400, -EINVAL},
      {0x000, 0xc00, -EINVAL}, {0x000, 0x800, 0}, {0x000, 0x000, 0},       {0x000, 0x400, -EINVAL},
      {0x800, 0xc00, 0},       {0x800, 0x000, 0}, {0x800, 0x800, 0},       {0x800, 0x400, -EINVAL},
  };
  struct vcpu *v = &vcpus[1];
  for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    to_xapic(v);
    if (cases[i].from == 0xc00)
      wr(v, 0x1b, 0xfee00c00);
    else if (cases[i].from == 0x000)
      wr(v, 0x1b, 0xfee00000);
    assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfee00000 | cases[i].to), cases[i].want);
    assert_int_equal(rd(v, 0x1b), 0xfee00000 | (cases[i].want ? cases[i].from : cases[i].to));
  }
  /* The xAPIC window does not move (Xen: #GP); elsewhere the base may. */
  to_xapic(v);
  assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfec00800), -EINVAL);
  assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfee00801), -EINVAL);         /* reserved */
  assert_int_equal(vlapic_msr_write(v, 0x1b, 0x10000fee00800ULL), -EINVAL); /* bit 52 */
  wr(v, 0x1b, 0xfee00c00);
  wr(v, 0x1b, 0xfec00c00);
  assert_int_equal(rd(v, 0x1b), 0xfec00c00);
  wr(v, 0x1b, 0xfec00000); /* disabled, moved */
  assert_int_equal(vlapic_msr_write(v, 0x1b, 0xfec00800), -EINVAL);
  wr(v, 0x1b, 0xfee00800);
  wr(v, 0x1b, 0xfee00900); /* BSP is not the guest's to set */
  assert_int_equal(rd(v, 0x1b), 0xfee00800);
  assert_true(shim_log_contains("tried to move the xAPIC MMIO window"));
}

/* The page is the APIC's only while it is enabled in xAPIC mode, and
 * only its 4 KiB at the base (Xen's vlapic_range). */
static void test_xapic_window(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[2];
  uint64_t val = 0;
  to_xapic(v);
  assert_true(vlapic_mmio(v, XAPIC + 0xffc, &val, 4, false));
  assert_false(vlapic_mmio(v, XAPIC + 0x1000, &val, 4, false));
  assert_false(vlapic_mmio(v, XAPIC - 4, &val, 4, false));
  assert_false(vlapic_mmio(v, 0xfed00000, &val, 4, false));
  wr(v, 0x1b, 0xfee00c00); /* x2APIC */
  val = 0x1234;
  assert_false(vlapic_mmio(v, XAPIC + 0x30, &val, 4, false));
  assert_int_equal(val, 0x1234); /* untouched */
  wr(v, 0x1b, 0xfee00000);       /* disabled */
  assert_false(vlapic_mmio(v, XAPIC + 0x30, &val, 4, true));
  wr(v, 0x1b, 0xfee00800);
  assert_true(vlapic_mmio(v, XAPIC + 0x30, &val, 4, false));
  assert_int_equal(val, 0x00060014);
}

/* Offset = x2APIC index << 4: what goes in through the page comes out of
 * the MSR of the same register once in x2APIC mode (xAPIC -> x2APIC
 * keeps the registers; the way back goes through disabled, which resets
 * them, SDM 11.12.5.1). */
static void test_xapic_register_map(void **state)
{
  (void)state;
  static const struct {
    unsigned int reg;
    uint32_t val;
  } regs[] = {
      {0x08, 0x45},    /* TPR */
      {0x0f, 0x1f3},   /* SVR */
      {0x2f, 0x10099}, /* LVT CMCI */
      {0x32, 0x20077}, /* LVT timer, periodic */
      {0x33, 0x10200}, /* thermal */
      {0x34, 0x10400}, /* perf */
      {0x35, 0x1a700}, /* LINT0 */
      {0x36, 0x18000}, /* LINT1 */
      {0x37, 0x10033}, /* error */
      {0x3e, 0x9},     /* divide config */
      {0x38, 12345},   /* initial count, last: the timer runs */
  };
  struct vcpu *v = &vcpus[3];
  to_xapic(v);
  xwr(v, 0x0f, 0x1ff); /* enabled, so that LVT writes are not masked */
  for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
    xwr(v, regs[i].reg, regs[i].val);
    assert_int_equal(xrd(v, regs[i].reg), regs[i].val);
  }
  wr(v, 0x1b, 0xfee00c00);
  for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
    assert_int_equal(rd(v, X2(regs[i].reg)), regs[i].val);
  assert_int_equal(rd(v, X2(0x03)), 0x00060014);

  /* Read-only in both, and the registers only one mode has. */
  to_xapic(v);
  static const unsigned int zero_reads[] = {0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0x09,
                                            0x0b, 0x0c, 0x29, 0x2a, 0x2e, 0x3a, 0x3b,
                                            0x3c, 0x3d, 0x3f, 0x40, 0x80, 0xff};
  for (unsigned int i = 0; i < sizeof(zero_reads) / sizeof(zero_reads[0]); i++)
    assert_int_equal(xrd(v, zero_reads[i]), 0);
  xwr(v, 0x3f, 0x40); /* no SELF IPI in xAPIC mode: dropped */
  xwr(v, 0x0f, 0x1ff);
  xwr(v, 0x3f, 0x40);
  assert_int_equal(v->arch.vlapic.irr[2], 0);
  xwr(v, 0x03, 0);    /* version */
  xwr(v, 0x0a, 0xf0); /* PPR */
  xwr(v, 0x20, ~0U);  /* IRR */
  assert_int_equal(xrd(v, 0x03), 0x00060014);
  assert_int_equal(xrd(v, 0x0a), 0);
  assert_int_equal(v->arch.vlapic.irr[0], 0);
}

/* The page's access rules (Xen's vlapic_mmio_read/write): within the
 * first 32 bits of a 16-byte slot any size reads or writes its part;
 * anything else reads 0 and writes nothing.  Reserved bits are dropped,
 * never a fault. */
static void test_xapic_access_sizes(void **state)
{
  (void)state;
  struct vcpu *v = &vcpus[4];
  to_xapic(v);
  assert_int_equal(mmio_rd(v, 0x30, 1), 0x14);
  assert_int_equal(mmio_rd(v, 0x32, 1), 0x06);
  assert_int_equal(mmio_rd(v, 0x32, 2), 0x0006);
  assert_int_equal(mmio_rd(v, 0x31, 2), 0x0600);
  assert_int_equal(mmio_rd(v, 0x33, 2), 0);  /* crosses bit 31 */
  assert_int_equal(mmio_rd(v, 0x30, 8), 0);  /* wider than the register */
  assert_int_equal(mmio_rd(v, 0x34, 4), 0);  /* past it */
  assert_int_equal(mmio_rd(v, 0x3e0, 4), 0); /* TDCR 0 */
  assert_int_equal(mmio_rd(v, 0x3f0, 4), 0); /* SELF IPI: x2APIC only */
  mmio_wr(v, 0x80, 8, 0x50);                 /* too wide: dropped */
  assert_int_equal(xrd(v, 0x08), 0);
  mmio_wr(v, 0x84, 4, 0x50); /* past it: dropped */
  assert_int_equal(xrd(v, 0x08), 0);
  mmio_wr(v, 0x80, 1, 0x50);
  assert_int_equal(xrd(v, 0x08), 0x50);
  mmio_wr(v, 0x81, 1, 0x77); /* TPR's reserved bits: merged, dropped */
  assert_int_equal(xrd(v, 0x08), 0x50);
  xwr(v, 0x08, 0xabcd);
  assert_int_equal(xrd(v, 0x08), 0xcd);
  xwr(v, 0x02, 0x12345678); /* ID: 31:24, writable as in Xen */
  assert_int_equal(xrd(v, 0x02), 0x12000000);
  xwr(v, 0x0d, 0x87654321); /* LDR: 31:24 */
  assert_int_equal(xrd(v, 0x0d), 0x87000000);
  xwr(v, 0x0e, 0x01234567); /* DFR: the model in 31:28, the rest 1s */
  assert_int_equal(xrd(v, 0x0e), 0x0fffffff);
  xwr(v, 0x31, 0xffffffff); /* ICR high: 31:24 */
  assert_int_equal(xrd(v, 0x31), 0xff000000);
  xwr(v, 0x0f, 0xfffff1ff); /* SVR: no EOI-broadcast suppression */
  assert_int_equal(xrd(v, 0x0f), 0x1ff);
  xwr(v, 0x37, 0xffffffff); /* LVT error: vector and mask */
  assert_int_equal(xrd(v, 0x37), 0x100ff);
  xwr(v, 0x32, 0x60040); /* LVT timer mode 11b: the write is dropped */
  assert_int_equal(xrd(v, 0x32), 0x10000);
  xwr(v, 0x3e, 0xffffffff); /* TDCR: bits 3, 1, 0 */
  assert_int_equal(xrd(v, 0x3e), 0xb);
  xwr(v, 0x0b, 0x1234); /* EOI: any value, nothing in service */
  xwr(v, 0x28, 0x1234); /* ESR: any value */
  assert_int_equal(xrd(v, 0x28), 0);
}

/* xAPIC IPIs: the ICR in two halves (the low write sends, to ICR high's
 * 31:24), 8-bit physical IDs with 0xff for all, and logical flat and
 * cluster destinations against each target's LDR and DFR (SDM 11.6.2). */
static void test_xapic_ipis(void **state)
{
  (void)state;
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++) {
    to_xapic(&vcpus[i]);
    xwr(&vcpus[i], 0x0f, 0x1ff);
  }
  struct vcpu *src = &vcpus[0];
  xwr(src, 0x31, 9U << 24);
  assert_int_equal(vcpus[9].arch.vlapic.pending, 0); /* the high half does not send */
  xwr(src, 0x30, 0x51);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    assert_int_equal(vcpus[i].arch.vlapic.pending, i == 9 ? 0x51 : 0);
  assert_int_equal(xrd(src, 0x30), 0x51);
  assert_int_equal(xrd(src, 0x31), 9U << 24);
  xwr(src, 0x31, 0xffU << 24);
  xwr(src, 0x30, 0x52); /* physical 0xff: everyone */
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    assert_int_equal(vcpus[i].arch.vlapic.pending, 0x52);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++) {
    vlapic_init(&vcpus[i]);
    xwr(&vcpus[i], 0x0f, 0x1ff);
  }

  /* Flat: vcpu i < 8 has LDR bit i; destination 0x05 is vcpus 0 and 2.
   * The LDR of the rest is 0: never a logical target. */
  for (unsigned int i = 0; i < 8; i++)
    xwr(&vcpus[i], 0x0d, (1U << i) << 24);
  xwr(src, 0x31, 0x05U << 24);
  xwr(src, 0x30, (1U << 11) | 0x61);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    assert_int_equal(vcpus[i].arch.vlapic.pending, (i == 0 || i == 2) ? 0x61 : 0);

  /* Cluster: vcpu i in cluster i / 4, bit i % 4; destination 0x36 is
   * cluster 3, bits 1 and 2: vcpus 13 and 14. */
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++) {
    xwr(&vcpus[i], 0x0e, 0x0fffffff);
    xwr(&vcpus[i], 0x0d, (((i / 4) << 4) | (1U << (i % 4))) << 24);
  }
  xwr(src, 0x31, 0x36U << 24);
  xwr(src, 0x30, (1U << 11) | 0x71);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++)
    assert_int_equal(vcpus[i].arch.vlapic.pending, (i == 13 || i == 14) ? 0x71
                                                   : (i == 0 || i == 2) ? 0x61
                                                                        : 0);
  /* A DFR of another model matches nothing. */
  xwr(&vcpus[13], 0x0e, 0x5fffffff);
  xwr(src, 0x30, (1U << 11) | 0x81);
  assert_int_equal(vcpus[13].arch.vlapic.pending, 0x71);
  assert_int_equal(vcpus[14].arch.vlapic.pending, 0x81);

  /* A written ID is the physical destination; an x2APIC source's 32-bit
   * destination is read in the xAPIC target's terms (Xen). */
  xwr(&vcpus[20], 0x02, 0x40U << 24);
  xwr(src, 0x31, 0x40U << 24);
  xwr(src, 0x30, 0x91);
  assert_int_equal(vcpus[20].arch.vlapic.pending, 0x91);
  wr(&vcpus[1], 0x1b, 0xfee00c00);
  wr(&vcpus[1], X2(0x0f), 0x1ff);
  wr(&vcpus[1], X2(0x30), (0x40ULL << 32) | 0xa1);
  assert_int_equal(vcpus[20].arch.vlapic.pending, 0xa1);
}

/* INIT in xAPIC mode: the APIC keeps its mode and ID, the LDR goes to 0
 * and the DFR to flat (SDM 11.4.7.3; Xen's vlapic_do_init). */
static void test_xapic_init(void **state)
{
  (void)state;
  struct vcpu *bsp = &vcpus[0], *ap = &vcpus[1];
  to_xapic(bsp);
  to_xapic(ap);
  xwr(ap, 0x02, 0x01000000);
  xwr(ap, 0x0d, 0x80000000);
  xwr(ap, 0x0e, 0x0fffffff);
  xwr(bsp, 0x31, 1U << 24);
  xwr(bsp, 0x30, (5U << 8) | (1U << 14));
  assert_true(ap->arch.vlapic.wait_for_sipi);
  assert_int_equal(rd(ap, 0x1b), 0xfee00800);
  assert_int_equal(xrd(ap, 0x02), 0x01000000);
  assert_int_equal(xrd(ap, 0x0d), 0);
  assert_int_equal(xrd(ap, 0x0e), 0xffffffff);
  xwr(bsp, 0x30, (6U << 8) | 0x09);
  assert_int_equal(started[1], 1);
  assert_int_equal(start_vector, 0x09);
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
    if (((seed >> 42) & 3) == 0) {
      /* An MMIO access anywhere in the page and around it, of any size. */
      uint64_t gpa = 0xfee00000ULL - 8 + ((seed >> 9) & 0x100f);
      unsigned int n = 1U << ((seed >> 24) & 3);
      if ((gpa & 0xfff) + n > 0x1000)
        n = 1;
      vlapic_mmio(v, gpa, &val, n, (seed >> 40) & 1);
    } else if ((seed >> 40) & 1) {
      vlapic_msr_write(v, msr, val);
    } else {
      vlapic_msr_read(v, msr, &out);
    }
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
      cmocka_unit_test_setup_teardown(test_level_eoi, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upcall_vector, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_base_transitions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xapic_window, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xapic_register_map, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xapic_access_sizes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xapic_ipis, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xapic_init, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timer_divider_mid_count, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timer_fires, setup, teardown),
      cmocka_unit_test_setup_teardown(test_init_sipi, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_msrs, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
