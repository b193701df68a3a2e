/* The emulated local APIC of a vcpu (arch/x86/vlapic.c): xAPIC mode
 * through its MMIO page and x2APIC mode through MSRs 0x800-0x8ff (SDM
 * vol. 3 chapter 11, "Advanced Programmable Interrupt Controller"), with
 * Xen's choices where the SDM leaves one (xen/arch/x86/hvm/vlapic.c).
 * Its state lives in struct arch_vcpu and changes only under hv_lock: a
 * vcpu's own MSR and MMIO accesses, its timer, other vcpus' IPIs and
 * event upcalls. */
#ifndef ARCH_VLAPIC_H
#define ARCH_VLAPIC_H

#include <hv/timer.h>
#include <hv/types.h>

#define MSR_IA32_APIC_BASE 0x01b
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

/* The timer's input clock before the divider: 100 MHz, Xen's "APIC bus"
 * (APIC_BUS_CYCLE_NS 10).  CPUID leaf 0x15 reports it as the core crystal
 * clock, which the SDM says drives the timer when that leaf is there. */
#define VLAPIC_BUS_HZ 100000000ULL
#define VLAPIC_BUS_NS 10ULL

/* The local vector table, in the order of the x2APIC MSRs 0x832..0x837,
 * with CMCI (0x82f) last. */
enum vlapic_lvt {
  VLAPIC_LVT_TIMER,
  VLAPIC_LVT_THERMAL,
  VLAPIC_LVT_PERF,
  VLAPIC_LVT_LINT0,
  VLAPIC_LVT_LINT1,
  VLAPIC_LVT_ERROR,
  VLAPIC_LVT_CMCI,
  VLAPIC_NR_LVT
};

struct vlapic {
  uint64_t apic_base; /* IA32_APIC_BASE: base, BSP, EXTD, EN */
  uint32_t irr[8];    /* 256 bits each, vector n in word n / 32 */
  uint32_t isr[8];
  uint32_t tmr[8]; /* level-triggered (the I/O APIC's level pins): the EOI goes back */
  uint8_t pending; /* what the guest takes next: the highest IRR vector
                    * above the PPR class, APIC enabled; 0 if none.
                    * Kept up to date by every change, so the run loop
                    * reads one byte before each entry. */
  uint8_t tpr;
  uint32_t svr;         /* spurious vector and software enable */
  uint32_t esr;         /* errors as of the last ESR write */
  uint32_t esr_pending; /* errors since */
  uint64_t icr;         /* the last ICR written (destination in 63:32;
                         * in xAPIC mode ICR high, destination in 63:56) */
  uint32_t xapic_id;    /* xAPIC mode's ID register (ID in 31:24); x2APIC's is the vcpu id */
  uint32_t ldr;         /* xAPIC mode's logical ID (31:24); x2APIC's follows the ID */
  uint32_t dfr;         /* xAPIC mode's destination format: flat or cluster */
  uint32_t lvt[VLAPIC_NR_LVT];

  /* Timer: one-shot and periodic count down from timer_initial by one
   * every (divisor * VLAPIC_BUS_NS) ns since timer_start_ns; TSC-deadline
   * fires when the TSC reaches tsc_deadline. */
  uint32_t timer_initial;
  uint32_t timer_dcr; /* divide configuration register */
  unsigned int timer_divisor;
  bool timer_counting; /* the count runs (a finished one-shot reads 0) */
  uint64_t timer_start_ns;
  uint64_t timer_next_ns; /* the deadline the soft timer is armed for */
  uint64_t tsc_deadline;
  struct timer timer;

  bool wait_for_sipi; /* INIT seen while the vcpu was not running */
};

struct vcpu;

/* The local APIC of a fresh vcpu at power-on, as Xen gives it to an
 * HVM/PVH vcpu: enabled in xAPIC mode at 0xfee00000, ID = vcpu id, BSP
 * for vcpu 0, software disabled (SVR 0xff), every LVT masked. */
void vlapic_init(struct vcpu *v);
/* Stop v's timer: the vcpu is going away. */
void vlapic_destroy(struct vcpu *v);

/* The MSRs vlapic_msr_read/write answer for. */
static inline bool vlapic_msr_owned(uint32_t msr)
{
  return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
         (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}
/* RDMSR / WRMSR of one of those MSRs by v.  Return 0, or -EINVAL when
 * the CPU would raise #GP (a register that does not exist, a read of a
 * write-only one or the reverse, reserved bits set, an invalid APIC mode
 * change); nothing changes then. */
int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* An access of n bytes (1 to 8) at guest-physical gpa, within one page,
 * that the p2m has nothing behind.  If it is in v's xAPIC MMIO page (the
 * APIC enabled in xAPIC mode; IA32_APIC_BASE says where) the APIC serves
 * it: a read fills buf, a write takes it; true.  Otherwise false, and
 * buf is untouched: the page is not the APIC's in x2APIC mode or while
 * the APIC is disabled (Xen's vlapic_range). */
bool vlapic_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int n, bool write);

/* An edge-triggered fixed interrupt for v: sets vector's IRR bit and, if
 * the vector becomes v's next interrupt, wakes v (or kicks its CPU).  A
 * vector below 16 is illegal: a "receive illegal vector" error instead.
 * Ignored while v's APIC is disabled (Xen's vlapic_accept_irq). */
void vlapic_set_irq(struct vcpu *v, uint8_t vector);
/* A level-triggered fixed interrupt from the emulated I/O APIC: as
 * vlapic_set_irq, with the vector's TMR bit set, so that its EOI is
 * passed to vioapic_eoi. */
void vlapic_set_irq_level(struct vcpu *v, uint8_t vector);
/* CR8, the TPR's priority class (SDM 10.8.6.1): a 64-bit guest's MOV to
 * and from CR8 exit (without the TPR shadow it would reach the host's
 * own local APIC and could keep the hypervisor's interrupts out), and
 * read and write its vlapic's TPR, as in Xen. */
uint64_t vlapic_cr8(struct vcpu *v);
void vlapic_set_cr8(struct vcpu *v, uint64_t cr8);
/* The guest is taking v->arch.vlapic.pending now: it moves from IRR to
 * ISR (the next one waits for the EOI or a higher class). */
void vlapic_ack(struct vcpu *v);
struct cpuid_regs;
/* What CPUID says about the local APIC, on top of the answer *c for
 * (leaf, sub) that arch/x86/vmx/cpuid.c has so far: CPUID.1 APIC, x2APIC
 * and TSC-deadline; the timer's clock as the core crystal clock (0x15,
 * 0x16).  The topology (leaf 0xb) is cpuid.c's. */
void vlapic_cpuid(uint32_t leaf, struct cpuid_regs *c);

/* v's per-vcpu event upcall vector fires (Xen's hvm_assert_evtchn_irq):
 * into IRR when the APIC is enabled; otherwise it is dropped, and the
 * software enable (SVR) raises it again if upcall_pending is still set. */
void vlapic_assert_upcall(struct vcpu *v);

#endif
