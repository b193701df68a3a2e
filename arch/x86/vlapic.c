/* The emulated local APIC, one per vcpu, enabled in xAPIC mode at
 * 0xfee00000 from the start as in Xen: IA32_APIC_BASE and its mode
 * transitions, the registers through the xAPIC MMIO page or the x2APIC
 * MSRs, IA32_TSC_DEADLINE, interrupt priority (IRR, ISR, TPR, PPR, EOI),
 * the timer in its three modes and IPIs (SDM vol. 3, chapter 11).  Where
 * the SDM leaves a choice we do what Xen does (xen/arch/x86/hvm/vlapic.c):
 * the timer's 100 MHz bus, an interrupt sent to a disabled APIC dropped,
 * errors latched per bit, the xAPIC window fixed at its default address.
 *
 * Nothing here touches VMX: the run loop injects v->arch.vlapic.pending
 * (arch/x86/vmx/exit.c) and calls vlapic_ack when it does.  Everything
 * runs under hv_lock; another vcpu's APIC is changed only through
 * vlapic_set_irq and INIT/SIPI, which wake or kick that vcpu. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/vioapic.h>
#include <arch/vlapic.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <hv/timer.h>

/* IA32_APIC_BASE (SDM 11.4.4, 11.12.1). */
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)
#define APIC_BASE_DEFAULT 0xfee00000ULL
#define APIC_BASE_ADDR 0x000ffffffffff000ULL /* Xen's APIC_BASE_ADDR_MASK */
#define XAPIC_WINDOW 4096ULL                 /* the MMIO page (SDM 11.4.1) */

/* Registers by x2APIC index: MSR 0x800 + index, or the xAPIC page's
 * offset index << 4 (SDM table 11-6). */
#define REG_ID 0x02
#define REG_VERSION 0x03
#define REG_TPR 0x08
#define REG_PPR 0x0a
#define REG_EOI 0x0b
#define REG_LDR 0x0d
#define REG_DFR 0x0e /* xAPIC mode only */
#define REG_SVR 0x0f
#define REG_ISR 0x10 /* 0x10-0x17 */
#define REG_TMR 0x18 /* 0x18-0x1f */
#define REG_IRR 0x20 /* 0x20-0x27 */
#define REG_ESR 0x28
#define REG_LVT_CMCI 0x2f
#define REG_ICR 0x30
#define REG_ICR_HIGH 0x31  /* xAPIC mode only: the destination in 31:24 */
#define REG_LVT_TIMER 0x32 /* 0x32-0x37: timer, thermal, perf, LINT0, LINT1, error */
#define REG_LVT_ERROR 0x37
#define REG_TIMER_INITIAL 0x38
#define REG_TIMER_CURRENT 0x39
#define REG_TIMER_DCR 0x3e
#define REG_SELF_IPI 0x3f /* x2APIC mode only */

/* Version 0x14 (an integrated APIC), seven LVT entries (max LVT entry 6:
 * CMCI is there), no EOI-broadcast suppression (bit 24). */
#define VLAPIC_VERSION 0x00060014U

#define SVR_ENABLE (1U << 8)
#define SVR_FOCUS_DISABLE (1U << 9)
#define SVR_WRITABLE (0xffU | SVR_ENABLE | SVR_FOCUS_DISABLE) /* no EOI-broadcast suppression */

/* xAPIC mode (SDM 11.6.2.2): ID, LDR and the ICR's destination live in
 * bits 31:24; the DFR's model is in 31:28 and its other bits read 1. */
#define XAPIC_HIGH_BYTE 0xff000000U
#define DFR_FLAT 0xffffffffU
#define DFR_CLUSTER 0x0fffffffU

#define LVT_VECTOR 0xffU
#define LVT_DELIVERY_MODE (7U << 8)
#define LVT_STATUS (1U << 12) /* delivery status: read-only, always 0 here */
#define LVT_POLARITY (1U << 13)
#define LVT_REMOTE_IRR (1U << 14) /* read-only, always 0 here */
#define LVT_LEVEL (1U << 15)
#define LVT_MASKED (1U << 16)
#define LVT_TIMER_MODE (3U << 17)
#define TIMER_ONESHOT (0U << 17)
#define TIMER_PERIODIC (1U << 17)
#define TIMER_TSC_DEADLINE (2U << 17)

/* The bits a guest may write in each LVT entry; any other bit set is a
 * reserved bit, and #GP in x2APIC mode (SDM 11.5.1, figure 11-8). */
static const uint32_t lvt_writable[VLAPIC_NR_LVT] = {
    [VLAPIC_LVT_TIMER] = LVT_VECTOR | LVT_STATUS | LVT_MASKED | LVT_TIMER_MODE,
    [VLAPIC_LVT_THERMAL] = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_STATUS | LVT_MASKED,
    [VLAPIC_LVT_PERF] = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_STATUS | LVT_MASKED,
    [VLAPIC_LVT_LINT0] = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_STATUS | LVT_POLARITY |
                         LVT_REMOTE_IRR | LVT_LEVEL | LVT_MASKED,
    [VLAPIC_LVT_LINT1] = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_STATUS | LVT_POLARITY |
                         LVT_REMOTE_IRR | LVT_LEVEL | LVT_MASKED,
    [VLAPIC_LVT_ERROR] = LVT_VECTOR | LVT_STATUS | LVT_MASKED,
    [VLAPIC_LVT_CMCI] = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_STATUS | LVT_MASKED,
};

/* ESR bits an x2APIC reports (SDM 11.5.3). */
#define ESR_SEND_ILLEGAL (1U << 5)
#define ESR_RECEIVE_ILLEGAL (1U << 6)

/* ICR (SDM 11.6.1, 11.12.9): in x2APIC mode one 64-bit MSR, destination
 * in 63:32; delivery status (12) and 13, 16-17, 20-31 are reserved. */
#define ICR_VECTOR 0xffU
#define ICR_DM_SHIFT 8
#define ICR_LOGICAL (1U << 11)
#define ICR_ASSERT (1U << 14)
#define ICR_LEVEL (1U << 15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_WRITABLE                                                                               \
  (ICR_VECTOR | (7U << ICR_DM_SHIFT) | ICR_LOGICAL | ICR_ASSERT | ICR_LEVEL |                      \
   (3U << ICR_SHORTHAND_SHIFT))
enum { DM_FIXED, DM_LOWEST, DM_SMI, DM_RESERVED3, DM_NMI, DM_INIT, DM_STARTUP, DM_EXTINT };
enum { DEST_NONE, DEST_SELF, DEST_ALL, DEST_OTHERS };
#define DEST_BROADCAST 0xffffffffU

#define TIMER_DCR_WRITABLE 0xbU
/* Xen's floor for a periodic timer's interrupts (create_periodic_time):
 * a guest asking for a tick every few ns would keep a CPU busy in
 * timer callbacks.  The count itself still runs at the programmed rate. */
#define MIN_PERIOD_NS 100000ULL

enum apic_mode { MODE_DISABLED, MODE_INVALID, MODE_XAPIC, MODE_X2APIC };

static enum apic_mode mode_of(uint64_t base)
{
  return (enum apic_mode)(((base & APIC_BASE_EN) ? 2 : 0) | ((base & APIC_BASE_EXTD) ? 1 : 0));
}

static struct vlapic *apic(struct vcpu *v) { return &v->arch.vlapic; }

static bool hw_enabled(const struct vlapic *l) { return l->apic_base & APIC_BASE_EN; }
static bool enabled(const struct vlapic *l) { return hw_enabled(l) && (l->svr & SVR_ENABLE); }
static bool x2apic(const struct vlapic *l) { return mode_of(l->apic_base) == MODE_X2APIC; }
static bool xapic(const struct vlapic *l) { return mode_of(l->apic_base) == MODE_XAPIC; }

/* ---- Priority (SDM 11.8.3) ---- */

/* The highest vector set in a 256-bit register, or -1. */
static int highest(const uint32_t bits[8])
{
  for (int i = 7; i >= 0; i--)
    if (bits[i])
      return i * 32 + 31 - __builtin_clz(bits[i]);
  return -1;
}

static void set_bit256(uint32_t bits[8], uint8_t vector)
{
  bits[vector / 32] |= 1U << (vector % 32);
}
static void clear_bit256(uint32_t bits[8], uint8_t vector)
{
  bits[vector / 32] &= ~(1U << (vector % 32));
}

/* PPR: the TPR, or the class of the highest in-service vector if that is
 * higher (SDM 11.8.3.1). */
static uint8_t ppr(const struct vlapic *l)
{
  int isr = highest(l->isr);
  uint8_t isrv = isr < 0 ? 0 : (uint8_t)isr;
  return (l->tpr & 0xf0) >= (isrv & 0xf0) ? l->tpr : (isrv & 0xf0);
}

/* Recompute what the guest would take next: the highest IRR vector whose
 * class is above the PPR's (SDM 11.8.4), while the APIC is enabled. */
static void update_pending(struct vlapic *l)
{
  int irr = enabled(l) ? highest(l->irr) : -1;
  l->pending = irr >= 0 && (irr & 0xf0) > (ppr(l) & 0xf0) ? (uint8_t)irr : 0;
}

/* An error for ESR (latched until the next ESR write), and the LVT error
 * interrupt if it is unmasked.  Per bit, as Xen: a bit already waiting
 * raises nothing again; an illegal error vector folds into "receive
 * illegal vector" rather than loop. */
static void error(struct vcpu *v, uint32_t bit)
{
  struct vlapic *l = apic(v);
  if (l->esr_pending & bit)
    return;
  l->esr_pending |= bit;
  uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR];
  if (lvt & LVT_MASKED)
    return;
  if ((lvt & LVT_VECTOR) < 16)
    l->esr_pending |= ESR_RECEIVE_ILLEGAL;
  else
    vlapic_set_irq(v, (uint8_t)lvt);
}

void vlapic_set_irq(struct vcpu *v, uint8_t vector)
{
  struct vlapic *l = apic(v);
  if (!enabled(l))
    return;
  if (vector < 16) {
    error(v, ESR_RECEIVE_ILLEGAL);
    return;
  }
  set_bit256(l->irr, vector);
  clear_bit256(l->tmr, vector); /* every source here is an edge */
  update_pending(l);
  if (l->pending)
    sched_wake(v); /* out of HLT, or its CPU looks again */
}

void vlapic_set_irq_level(struct vcpu *v, uint8_t vector)
{
  struct vlapic *l = apic(v);
  if (!enabled(l) || vector < 16)
    return;
  set_bit256(l->irr, vector);
  set_bit256(l->tmr, vector); /* the EOI goes back to the I/O APIC */
  update_pending(l);
  if (l->pending)
    sched_wake(v);
}

void vlapic_ack(struct vcpu *v)
{
  struct vlapic *l = apic(v);
  clear_bit256(l->irr, l->pending);
  set_bit256(l->isr, l->pending);
  update_pending(l);
}

void vlapic_assert_upcall(struct vcpu *v) { vlapic_set_irq(v, v->upcall_vector); }

void arch_vcpu_assert_upcall(struct vcpu *v) { vlapic_assert_upcall(v); }

/* EOI: the highest in-service vector is done (SDM 11.8.5); a
 * level-triggered one's EOI is broadcast to the I/O APIC (11.8.5, no
 * suppression offered), which lets its line fire again. */
static void eoi(struct vcpu *v)
{
  struct vlapic *l = apic(v);
  int isr = highest(l->isr);
  if (isr < 0)
    return; /* an EOI with nothing in service does nothing */
  clear_bit256(l->isr, (uint8_t)isr);
  update_pending(l);
  if (l->tmr[isr / 32] & (1U << (isr % 32))) {
    clear_bit256(l->tmr, (uint8_t)isr);
    vioapic_eoi(v->dom, (uint8_t)isr);
  }
}

/* ---- Timer (SDM 11.5.4) ---- */

static uint32_t timer_mode(const struct vlapic *l)
{
  return l->lvt[VLAPIC_LVT_TIMER] & LVT_TIMER_MODE;
}

/* ns per count at the current divider. */
static uint64_t tick_ns(const struct vlapic *l) { return VLAPIC_BUS_NS * l->timer_divisor; }

static void arm(struct vlapic *l, uint64_t deadline_ns)
{
  l->timer_next_ns = deadline_ns;
  timer_set(&l->timer, deadline_ns);
}

static void timer_halt(struct vlapic *l)
{
  timer_stop(&l->timer);
  l->timer_counting = false;
}

/* The current count (one-shot or periodic): counts down from the initial
 * count, one per tick; a periodic count reloads at 0, a one-shot stays. */
static uint32_t current_count(const struct vlapic *l, uint64_t now)
{
  if (!l->timer_counting || !l->timer_initial || timer_mode(l) == TIMER_TSC_DEADLINE)
    return 0;
  uint64_t ticks = (now - l->timer_start_ns) / tick_ns(l);
  if (timer_mode(l) == TIMER_PERIODIC)
    ticks %= l->timer_initial;
  else if (ticks >= l->timer_initial)
    return 0;
  return l->timer_initial - (uint32_t)ticks;
}

/* The count goes on from `count` at the current tick length: start and
 * deadline move to match (after a divider change, or a mode change that
 * turns a periodic count into a one-shot one). */
static void rebase(struct vlapic *l, uint64_t now, uint32_t count)
{
  l->timer_start_ns = now - (uint64_t)(l->timer_initial - count) * tick_ns(l);
  arm(l, now + (uint64_t)count * tick_ns(l));
}

static void timer_fired(struct timer *t, void *data)
{
  struct vcpu *v = data;
  struct vlapic *l = apic(v);
  uint64_t now = timer_now();

  (void)t;
  switch (timer_mode(l)) {
  case TIMER_PERIODIC: {
    uint64_t period = (uint64_t)l->timer_initial * tick_ns(l);
    if (period < MIN_PERIOD_NS)
      period = MIN_PERIOD_NS;
    uint64_t next = l->timer_next_ns + period;
    if (next <= now)
      next = now + period; /* ticks missed meanwhile: one interrupt, one IRR bit */
    arm(l, next);
    break;
  }
  case TIMER_TSC_DEADLINE:
    l->tsc_deadline = 0; /* the MSR reads 0 once it has fired (SDM 11.5.4.1) */
    break;
  default: l->timer_counting = false; break;
  }
  uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER];
  if (!(lvt & LVT_MASKED))
    vlapic_set_irq(v, (uint8_t)lvt);
}

static void write_timer_initial(struct vlapic *l, uint32_t val)
{
  if (timer_mode(l) == TIMER_TSC_DEADLINE)
    return; /* ignored in TSC-deadline mode (SDM 11.5.4.1) */
  l->timer_initial = val;
  if (!val) {
    timer_halt(l); /* 0 stops the timer */
    return;
  }
  uint64_t now = timer_now(), period = (uint64_t)val * tick_ns(l);
  if (timer_mode(l) == TIMER_PERIODIC && period < MIN_PERIOD_NS)
    period = MIN_PERIOD_NS;
  l->timer_start_ns = now;
  l->timer_counting = true;
  arm(l, now + period);
}

/* Divide configuration: bits 3, 1, 0 give 2, 4, ..., 128, then 1 (SDM
 * figure 11-10).  A running count goes on at the new rate from where it
 * is. */
static void write_timer_dcr(struct vlapic *l, uint32_t val)
{
  uint64_t now = timer_now();
  uint32_t count = current_count(l, now);
  l->timer_dcr = val;
  l->timer_divisor = 1U << ((((val & 3) | ((val & 8) >> 1)) + 1) & 7);
  if (l->timer_counting && timer_mode(l) != TIMER_TSC_DEADLINE)
    rebase(l, now, count);
}

static void write_lvt_timer(struct vlapic *l, uint32_t val)
{
  uint32_t old = timer_mode(l), new = val &LVT_TIMER_MODE;
  uint64_t now = timer_now();

  if ((old == TIMER_TSC_DEADLINE) != (new == TIMER_TSC_DEADLINE)) {
    /* Into or out of TSC-deadline mode the timer is disarmed and both
     * counts cleared (SDM 11.5.4.1; Xen's vlapic_reg_write). */
    timer_halt(l);
    l->timer_initial = 0;
    l->tsc_deadline = 0;
  } else if (old != new && l->timer_counting) {
    /* Between one-shot and periodic the count goes on from where it is. */
    uint32_t count = current_count(l, now);
    l->lvt[VLAPIC_LVT_TIMER] = val;
    if (count)
      rebase(l, now, count);
    else
      timer_halt(l);
  }
  l->lvt[VLAPIC_LVT_TIMER] = val;
}

/* IA32_TSC_DEADLINE: fires when the TSC reaches the value (the guest's
 * TSC is the host's: no offset); 0 disarms; ignored unless the timer is
 * in TSC-deadline mode. */
static void write_tsc_deadline(struct vlapic *l, uint64_t val)
{
  if (!hw_enabled(l) || timer_mode(l) != TIMER_TSC_DEADLINE)
    return;
  l->tsc_deadline = val;
  if (!val) {
    timer_stop(&l->timer);
    return;
  }
  /* +1: system time may stand still over a few TSC ticks, and the
   * interrupt must not come before the TSC has reached the deadline. */
  arm(l, time_tsc_to_ns(val) + 1); /* a deadline already past fires at once */
}

/* ---- Reset ---- */

/* The state after INIT (SDM 11.4.7.3): as at power-up, except for the
 * APIC base and the ID (and in x2APIC mode the LDR, which follows it). */
static void reset_registers(struct vlapic *l)
{
  timer_halt(l);
  memset(l->irr, 0, sizeof(l->irr));
  memset(l->isr, 0, sizeof(l->isr));
  memset(l->tmr, 0, sizeof(l->tmr));
  l->tpr = 0;
  l->svr = 0xff;
  l->esr = l->esr_pending = 0;
  l->icr = 0;
  l->ldr = 0;        /* xAPIC mode's (x2APIC's follows the ID) */
  l->dfr = DFR_FLAT; /* SDM 11.4.7.1; Xen's vlapic_do_init */
  for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
    l->lvt[i] = LVT_MASKED;
  l->timer_initial = 0;
  l->timer_dcr = 0;
  l->timer_divisor = 2; /* DCR 0: divide by 2 */
  l->tsc_deadline = 0;
  l->wait_for_sipi = false;
  update_pending(l);
}

/* Power-up or a hardware enable: every register as at reset, the xAPIC
 * ID the vcpu's (Xen's vlapic_reset). */
static void power_on(struct vcpu *v)
{
  apic(v)->xapic_id = (uint32_t)v->id << 24;
  reset_registers(apic(v));
}

void vlapic_init(struct vcpu *v)
{
  struct vlapic *l = apic(v);
  memset(l, 0, sizeof(*l));
  timer_init(&l->timer, timer_fired, v);
  /* Enabled in xAPIC mode at the default base, ID = vcpu id in 31:24:
   * what a Xen HVM/PVH vcpu starts with (Xen 4.19 vlapic_reset: EN and
   * the default base, BSP for vcpu 0; its IDs are vcpu id * 2, ours
   * follow our MADT). */
  l->apic_base = APIC_BASE_DEFAULT | APIC_BASE_EN | (v->id == 0 ? APIC_BASE_BSP : 0);
  power_on(v);
}

void vlapic_destroy(struct vcpu *v) { timer_stop(&apic(v)->timer); }

/* ---- IA32_APIC_BASE (SDM 11.12.5, figure 11-27) ---- */

/* The transitions of SDM 11.12.5 and Xen 4.19's guest_wrmsr_apic_base:
 * disabled <-> xAPIC, xAPIC -> x2APIC, x2APIC -> disabled; x2APIC ->
 * xAPIC, disabled -> x2APIC and EXTD without EN are invalid.  The base
 * may hold any address below bit 52 (Xen's APIC_BASE_ADDR_MASK) except
 * in xAPIC mode, where the window stays at 0xfee00000: Xen refuses to
 * move it (its p2m is per domain, the base per vcpu; "the #GP fault will
 * be far more obvious to debug than a malfunctioning MMIO window").
 * A hardware enable or disable resets every register (vlapic_reset). */
static int write_apic_base(struct vcpu *v, uint64_t val)
{
  struct vlapic *l = apic(v);
  enum apic_mode from = mode_of(l->apic_base), to = mode_of(val);

  if (val & ~(APIC_BASE_ADDR | APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN))
    return -EINVAL; /* reserved bits */
  if (to == MODE_XAPIC && (val & APIC_BASE_ADDR) != APIC_BASE_DEFAULT) {
    static bool said;
    if (!said) {
      said = true;
      pr_info("%s: vcpu %u tried to move the xAPIC MMIO window to 0x%llx: #GP, as in Xen "
              "(said once)",
              v->dom->name, v->id, (unsigned long long)(val & APIC_BASE_ADDR));
    }
    return -EINVAL;
  }
  if (to == MODE_INVALID || (from == MODE_X2APIC && to == MODE_XAPIC) ||
      (from == MODE_DISABLED && to == MODE_X2APIC))
    return -EINVAL;
  l->apic_base = (val & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP); /* BSP is ours */
  if ((from == MODE_DISABLED) != (to == MODE_DISABLED))
    power_on(v);
  update_pending(l);
  return 0;
}

/* ---- IPIs (SDM 11.6, 11.12.9-10) ---- */

/* x2APIC logical ID: cluster (ID 19:4) in 31:16, one bit of 16 below
 * (SDM 11.12.10.2); read-only. */
static uint32_t ldr_of(const struct vcpu *v) { return ((v->id >> 4) << 16) | (1U << (v->id & 15)); }

/* xAPIC logical destinations (SDM 11.6.2.2): the 8-bit LDR against the
 * 8-bit destination, flat (any common bit) or cluster (high nibbles
 * equal, a common bit in the low ones) as the target's DFR says; another
 * DFR model matches nothing (Xen's vlapic_match_logical_addr warns). */
static bool xapic_logical_matches(const struct vlapic *l, uint32_t dest)
{
  uint8_t id = (uint8_t)(l->ldr >> 24), mda = (uint8_t)dest;
  if (l->dfr == DFR_FLAT)
    return id & mda;
  if (l->dfr == DFR_CLUSTER)
    return (id >> 4) == (mda >> 4) && (id & mda & 0xf);
  return false;
}

/* Does target t take an IPI with this destination?  Destinations are
 * read in the target's mode, as Xen's vlapic_match_dest does: 32 bits
 * in x2APIC mode, 8 in xAPIC mode (where 0xff is the broadcast). */
static bool dest_matches(const struct vcpu *t, const struct vcpu *src, unsigned int shorthand,
                         uint32_t dest, bool logical)
{
  const struct vlapic *l = &t->arch.vlapic;
  switch (shorthand) {
  case DEST_SELF: return t == src;
  case DEST_ALL: return true;
  case DEST_OTHERS: return t != src;
  default:
    if (!x2apic(l)) {
      if (dest == 0xff)
        return true;
      return logical ? xapic_logical_matches(l, dest) : dest == l->xapic_id >> 24;
    }
    if (dest == DEST_BROADCAST)
      return true;
    if (logical) {
      uint32_t ldr = ldr_of(t);
      return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    return dest == t->id; /* the x2APIC ID is the vcpu id */
  }
}

static void warn_once(bool *warned, const struct vcpu *v, const char *what)
{
  if (*warned)
    return;
  *warned = true;
  pr_warn("%s: vcpu %u sent %s: not supported, ignored", v->dom->name, v->id, what);
}

/* INIT to a vcpu that is not running: its APIC goes back to the INIT
 * state and waits for a STARTUP (SDM 9.4.4). */
static void deliver_init(struct vcpu *src, struct vcpu *t)
{
  static bool warned;
  if (t->online) {
    /* Resetting a vcpu that runs (Xen's vcpu_reset) is not there yet. */
    warn_once(&warned, src, "an INIT IPI to a running vcpu");
    return;
  }
  reset_registers(apic(t));
  apic(t)->wait_for_sipi = true;
}

/* STARTUP to a vcpu waiting for one: it starts in real mode at
 * vector * 4096.  Others ignore it, as a second SIPI is ignored. */
static void deliver_startup(struct vcpu *t, uint8_t vector)
{
  if (t->online || !apic(t)->wait_for_sipi)
    return;
  apic(t)->wait_for_sipi = false;
  int err = vmx_vcpu_start_real(t, vector);
  if (err) {
    pr_err("%s: vcpu %u cannot start (%d); it stays offline", t->dom->name, t->id, err);
    return;
  }
  pr_info("%s: vcpu %u started by INIT/SIPI at 0x%x", t->dom->name, t->id, vector << 12);
  t->initialised = true;
  sched_vcpu_start(t);
}

/* Lowest priority: the matching enabled APIC with the lowest PPR (ties
 * to the lowest vcpu id; Xen rotates). */
static struct vcpu *lowest_priority(struct vcpu *src, unsigned int shorthand, uint32_t dest,
                                    bool logical)
{
  struct domain *d = src->dom;
  struct vcpu *best = NULL;
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    struct vcpu *t = d->vcpus[i];
    if (dest_matches(t, src, shorthand, dest, logical) && enabled(apic(t)) &&
        (!best || ppr(apic(t)) < ppr(apic(best))))
      best = t;
  }
  return best;
}

static void send_ipi(struct vcpu *src, uint32_t icr, uint32_t dest)
{
  static bool warned_nmi, warned_smi, warned_mode;
  struct domain *d = src->dom;
  unsigned int mode = (icr >> ICR_DM_SHIFT) & 7, shorthand = (icr >> ICR_SHORTHAND_SHIFT) & 3;
  bool logical = icr & ICR_LOGICAL;
  uint8_t vector = (uint8_t)icr;

  switch (mode) {
  case DM_FIXED:
  case DM_LOWEST:
    if (vector < 16) {
      error(src, ESR_SEND_ILLEGAL); /* nothing is sent */
      return;
    }
    if (mode == DM_LOWEST) {
      struct vcpu *t = lowest_priority(src, shorthand, dest, logical);
      if (t)
        vlapic_set_irq(t, vector);
      return;
    }
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
      if (dest_matches(d->vcpus[i], src, shorthand, dest, logical))
        vlapic_set_irq(d->vcpus[i], vector);
    return;
  case DM_INIT:
    if ((icr & (ICR_LEVEL | ICR_ASSERT)) == ICR_LEVEL)
      return; /* INIT level de-assert: nothing to do (Xen) */
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
      if (d->vcpus[i] != src && dest_matches(d->vcpus[i], src, shorthand, dest, logical))
        deliver_init(src, d->vcpus[i]);
    return;
  case DM_STARTUP:
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
      if (d->vcpus[i] != src && dest_matches(d->vcpus[i], src, shorthand, dest, logical))
        deliver_startup(d->vcpus[i], vector);
    return;
  case DM_NMI: warn_once(&warned_nmi, src, "an NMI IPI"); return;
  case DM_SMI: warn_once(&warned_smi, src, "an SMI IPI"); return;
  default: warn_once(&warned_mode, src, "an IPI with a reserved delivery mode"); return;
  }
}

/* ---- Registers, in either mode ---- */

/* Register reg (its x2APIC index) as the APIC's mode shows it: false
 * when it cannot be read in that mode (write-only, absent, or of the
 * other mode).  The ICR's low 32 bits only. */
static bool reg_read(struct vcpu *v, unsigned int reg, uint32_t *val)
{
  struct vlapic *l = apic(v);
  bool x2 = x2apic(l);
  switch (reg) {
  case REG_ID: *val = x2 ? v->id : l->xapic_id; return true;
  case REG_VERSION: *val = VLAPIC_VERSION; return true;
  case REG_TPR: *val = l->tpr; return true;
  case REG_PPR: *val = ppr(l); return true;
  case REG_LDR: *val = x2 ? ldr_of(v) : l->ldr; return true;
  case REG_DFR: *val = l->dfr; return !x2;
  case REG_SVR: *val = l->svr; return true;
  case REG_ISR ... REG_ISR + 7: *val = l->isr[reg - REG_ISR]; return true;
  case REG_TMR ... REG_TMR + 7: *val = l->tmr[reg - REG_TMR]; return true;
  case REG_IRR ... REG_IRR + 7: *val = l->irr[reg - REG_IRR]; return true;
  case REG_ESR: *val = l->esr; return true;
  case REG_LVT_CMCI: *val = l->lvt[VLAPIC_LVT_CMCI]; return true;
  case REG_ICR: *val = (uint32_t)l->icr; return true;
  case REG_ICR_HIGH: *val = (uint32_t)(l->icr >> 32); return !x2;
  case REG_LVT_TIMER ... REG_LVT_ERROR: *val = l->lvt[reg - REG_LVT_TIMER]; return true;
  case REG_TIMER_INITIAL:
    *val = timer_mode(l) == TIMER_TSC_DEADLINE ? 0 : l->timer_initial;
    return true;
  case REG_TIMER_CURRENT: *val = current_count(l, timer_now()); return true;
  case REG_TIMER_DCR: *val = l->timer_dcr; return true;
  default: return false; /* EOI and SELF IPI are write-only; the rest does not exist */
  }
}

/* Can val go into LVT entry i: no reserved bit, not the reserved timer
 * mode 11b (SDM 11.5.1, figure 11-8)? */
static bool lvt_valid(enum vlapic_lvt i, uint32_t val)
{
  return !(val & ~lvt_writable[i]) &&
         !(i == VLAPIC_LVT_TIMER && (val & LVT_TIMER_MODE) == LVT_TIMER_MODE);
}

static enum vlapic_lvt lvt_of(unsigned int reg)
{
  return reg == REG_LVT_CMCI ? VLAPIC_LVT_CMCI : (enum vlapic_lvt)(reg - REG_LVT_TIMER);
}

static void write_lvt(struct vlapic *l, enum vlapic_lvt i, uint32_t val)
{
  val &= ~(LVT_STATUS | LVT_REMOTE_IRR); /* read-only */
  if (!(l->svr & SVR_ENABLE))
    val |= LVT_MASKED; /* a software-disabled APIC keeps them masked (SDM 11.4.7.2) */
  if (i == VLAPIC_LVT_TIMER)
    write_lvt_timer(l, val);
  else
    l->lvt[i] = val;
}

static void write_svr(struct vcpu *v, uint32_t val)
{
  struct vlapic *l = apic(v);
  l->svr = val;
  if (!(val & SVR_ENABLE)) {
    for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
      l->lvt[i] |= LVT_MASKED;
  } else if (v->upcall_vector && v->vi->evtchn_upcall_pending) {
    vlapic_set_irq(v, v->upcall_vector); /* dropped while disabled: raised again (Xen) */
  }
  update_pending(l);
}

/* Write val, already checked (MSRs) or trimmed (MMIO) by the caller, to
 * register reg, which the APIC's mode has and lets be written. */
static void reg_write(struct vcpu *v, unsigned int reg, uint32_t val)
{
  struct vlapic *l = apic(v);
  switch (reg) {
  case REG_ID: l->xapic_id = val; break;
  case REG_TPR:
    l->tpr = (uint8_t)val;
    update_pending(l);
    break;
  case REG_EOI: eoi(v); break;
  case REG_LDR: l->ldr = val; break;
  case REG_DFR: l->dfr = val; break;
  case REG_SVR: write_svr(v, val); break;
  case REG_ESR:
    l->esr = l->esr_pending; /* a write latches the errors since the last one */
    l->esr_pending = 0;
    break;
  case REG_LVT_CMCI:
  case REG_LVT_TIMER ... REG_LVT_ERROR: write_lvt(l, lvt_of(reg), val); break;
  case REG_ICR:
    /* Sends, to the destination in the high half: all 32 bits of it in
     * x2APIC mode, bits 31:24 of ICR high (0x310) in xAPIC mode. */
    l->icr = (l->icr & ~0xffffffffULL) | val;
    send_ipi(v, val, (uint32_t)(l->icr >> (x2apic(l) ? 32 : 56)));
    break;
  case REG_ICR_HIGH: l->icr = ((uint64_t)val << 32) | (uint32_t)l->icr; break;
  case REG_TIMER_INITIAL: write_timer_initial(l, val); break;
  case REG_TIMER_DCR: write_timer_dcr(l, val); break;
  default: break;
  }
}

uint64_t vlapic_cr8(struct vcpu *v) { return apic(v)->tpr >> 4; }

void vlapic_set_cr8(struct vcpu *v, uint64_t cr8)
{
  /* TPR bits 3:0 are cleared by a write of CR8 (SDM 10.8.6.1). */
  reg_write(v, REG_TPR, (uint32_t)((cr8 & 0xf) << 4));
}

/* ---- The x2APIC MSRs ---- */

int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
  struct vlapic *l = apic(v);
  uint32_t v32;

  if (msr == MSR_IA32_APIC_BASE) {
    *val = l->apic_base;
    return 0;
  }
  if (msr == MSR_IA32_TSC_DEADLINE) {
    *val = timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
    return 0;
  }
  if (!x2apic(l) || !reg_read(v, msr - MSR_X2APIC_FIRST, &v32))
    return -EINVAL; /* the x2APIC MSRs #GP outside x2APIC mode */
  *val = msr - MSR_X2APIC_FIRST == REG_ICR ? l->icr : v32;
  return 0;
}

int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
  struct vlapic *l = apic(v);

  if (msr == MSR_IA32_APIC_BASE)
    return write_apic_base(v, val);
  if (msr == MSR_IA32_TSC_DEADLINE) {
    write_tsc_deadline(l, val);
    return 0;
  }
  if (!x2apic(l))
    return -EINVAL;
  unsigned int reg = msr - MSR_X2APIC_FIRST;
  if (reg != REG_ICR && (val >> 32))
    return -EINVAL; /* bits 63:32 of every other register are reserved */
  uint32_t v32 = (uint32_t)val;
  bool ok;
  switch (reg) {
  case REG_TPR: ok = !(v32 & ~0xffU); break;
  case REG_EOI: /* x2APIC EOI takes 0 only (SDM 11.12.1.2) */
  case REG_ESR: ok = !v32; break;
  case REG_SVR: ok = !(v32 & ~SVR_WRITABLE); break; /* bit 12 too */
  case REG_LVT_CMCI:
  case REG_LVT_TIMER ... REG_LVT_ERROR: ok = lvt_valid(lvt_of(reg), v32); break;
  case REG_ICR:
    ok = !(v32 & ~ICR_WRITABLE);
    if (ok)
      l->icr = val; /* the destination, for reg_write */
    break;
  case REG_TIMER_INITIAL: ok = true; break;
  case REG_TIMER_DCR: ok = !(v32 & ~TIMER_DCR_WRITABLE); break;
  case REG_SELF_IPI:
    if (v32 & ~ICR_VECTOR)
      return -EINVAL;
    send_ipi(v, (DEST_SELF << ICR_SHORTHAND_SHIFT) | (DM_FIXED << ICR_DM_SHIFT) | v32, 0);
    return 0;
  default:
    return -EINVAL; /* read-only (ID, version, PPR, LDR, ISR/TMR/IRR, current count) or absent */
  }
  if (!ok)
    return -EINVAL;
  reg_write(v, reg, v32);
  return 0;
}

/* ---- The xAPIC MMIO page (SDM 11.4.1, table 11-1) ---- */

/* What a write through the page does to register reg's value: reserved
 * bits dropped, never a fault (there is none for MMIO); false for a
 * register that takes no write in xAPIC mode, whose write is dropped, as
 * Xen's vlapic_reg_write drops it (and ESR bit 7, "illegal register
 * address", which Xen does not raise either). */
static bool xapic_trim(unsigned int reg, uint32_t *val)
{
  switch (reg) {
  case REG_ID: /* writable, as in Xen (SDM 11.4.6: model specific) */
  case REG_LDR:
  case REG_ICR_HIGH: *val &= XAPIC_HIGH_BYTE; return true;
  case REG_TPR: *val &= 0xffU; return true;
  case REG_EOI: /* any value */
  case REG_ESR:
  case REG_TIMER_INITIAL: return true;
  case REG_DFR: *val |= DFR_CLUSTER; return true;
  case REG_SVR: *val &= SVR_WRITABLE; return true;
  case REG_LVT_CMCI:
  case REG_LVT_TIMER ... REG_LVT_ERROR:
    *val &= lvt_writable[lvt_of(reg)];
    return lvt_valid(lvt_of(reg), *val); /* the reserved timer mode: dropped */
  case REG_ICR: *val &= ICR_WRITABLE; return true;
  case REG_TIMER_DCR: *val &= TIMER_DCR_WRITABLE; return true;
  default: return false;
  }
}

bool vlapic_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int n, bool write)
{
  struct vlapic *l = apic(v);
  uint64_t base = l->apic_base & APIC_BASE_ADDR;

  /* Only an enabled xAPIC has the page; otherwise it is not the APIC's
   * (Xen's vlapic_range). */
  if (!xapic(l) || gpa < base || gpa - base >= XAPIC_WINDOW)
    return false;
  unsigned int off = (unsigned int)(gpa - base), reg = off >> 4, shift = (off & 15) * 8;
  /* Registers are 32 bits at the start of each 16 bytes; as Xen's
   * vlapic_mmio_read/write (and some processors), any access that fits
   * inside those 32 bits is served, a part of one as a part.  Anything
   * else reads 0 and writes nothing, as do the registers that cannot be
   * read (EOI, the reserved offsets, SELF IPI at 0x3f0, which only
   * x2APIC mode has). */
  bool fits = (off & 15) + n <= 4;
  uint32_t cur = 0;
  if (!fits || !reg_read(v, reg, &cur))
    cur = 0;
  uint32_t part = n >= 4 ? ~0U : ((1U << (8 * n)) - 1) << shift;
  if (!write) {
    uint64_t val = fits ? (cur & part) >> shift : 0;
    memcpy(buf, &val, MIN(n, (unsigned int)sizeof(val)));
    return true;
  }
  uint32_t val = 0;
  if (!fits)
    return true;
  memcpy(&val, buf, n);
  val = (cur & ~part) | ((val << shift) & part);
  if (xapic_trim(reg, &val))
    reg_write(v, reg, val);
  return true;
}

/* ---- CPUID ---- */

void vlapic_cpuid(uint32_t leaf, struct cpuid_regs *c)
{
  /* Leaves past the host's last one are left alone: the guest does not
   * look there (and a CPU answers them with its last leaf). */
  if (leaf > 1 && leaf > cpuid(0, 0).eax)
    return;
  switch (leaf) {
  case 0x1:
    c->edx |= 1U << 9;                 /* APIC */
    c->ecx |= (1U << 21) | (1U << 24); /* x2APIC, TSC-deadline */
    break;
  case 0x15:
    /* TSC / crystal ratio EBX / EAX and the crystal in Hz, which the SDM
     * says clocks the APIC timer when this leaf gives it: our bus. */
    c->eax = (uint32_t)(VLAPIC_BUS_HZ / 1000);
    c->ebx = (uint32_t)(time_tsc_hz / 1000);
    c->ecx = (uint32_t)VLAPIC_BUS_HZ;
    c->edx = 0;
    break;
  case 0x16:
    /* Base and maximum frequency (the TSC's), bus (reference) in MHz. */
    c->eax = c->ebx = (uint32_t)(time_tsc_hz / 1000000);
    c->ecx = (uint32_t)(VLAPIC_BUS_HZ / 1000000);
    c->edx = 0;
    break;
  default: break;
  }
}
