/* VT-x: capability MSRs and the per-CPU VMX state (SDM vol. 3, chapters 24
 * "Virtual machine control structures" and appendix A "VMX capability
 * reporting facility"). */
#ifndef ARCH_VMX_H
#define ARCH_VMX_H

#include <arch/x86_bits.h>
#include <hv/types.h>

#define MSR_IA32_FEATURE_CONTROL 0x03a
#define FEATURE_CONTROL_LOCK (1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_MISC 0x485 /* bits 4:0: preemption timer rate (TSC >> n) */
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c

/* Primary processor-based controls (SDM 24.6.2, table 24-6). */
#define CPU_BASED_ACTIVATE_SECONDARY (1U << 31)
/* Secondary processor-based controls (SDM 24.6.2, table 24-7). */
#define SECONDARY_ENABLE_EPT (1U << 1)
#define SECONDARY_ENABLE_VPID (1U << 5)
#define SECONDARY_UNRESTRICTED_GUEST (1U << 7)

/* IA32_VMX_EPT_VPID_CAP bits (SDM appendix A.10). */
#define EPT_CAP_WALK_4 (1ULL << 6)
#define EPT_CAP_WB (1ULL << 14)
#define EPT_CAP_2MB (1ULL << 16)
#define EPT_CAP_INVEPT (1ULL << 20)
#define VPID_CAP_INVVPID (1ULL << 32)

/* What this CPU offers; filled by vmx_init(). */
struct vmx_caps {
  uint32_t vmcs_revision;
  uint64_t ept_vpid_cap;
  bool ept_2mb;
};

extern struct vmx_caps vmx_caps;

/* Check that the CPU has everything mica needs (VMX, EPT with 4-level walks
 * and write-back memory, unrestricted guest, VPID), enable VMX in
 * IA32_FEATURE_CONTROL if the firmware left it unlocked, and enter VMX root
 * operation on this CPU.  On success returns 0.  Otherwise prints one line
 * "vmx: unavailable: <reason>" and returns -ENODEV; the hypervisor then runs
 * without domains. */
int vmx_init(void);

/* VMXON on another CPU once the boot CPU's vmx_init() succeeded.
 * Returns 0, or -ENODEV / -ENOMEM / -EIO. */
int vmx_init_ap(void);

/* Leave VMX operation (VMXOFF) before a reset: in VMX root operation INIT
 * is blocked, which some reset paths rely on (SDM 23.8). */
void vmx_shutdown(void);

/* Run a 16-byte guest (32-bit protected mode, paging off, through EPT and
 * VPID) through its VMCALL exits to HLT.  0 when it behaved; else a printk and
 * -EIO or -ENOMEM. */
int vmx_selftest(void);

/* Is this CPU in VMX operation? */
bool vmx_enabled(void);

/* Drop this CPU's cached translations for the EPT whose pointer is eptp
 * (INVEPT single-context, SDM 29.4.3.1). */
void ept_invept_local(uint64_t eptp);

struct vcpu;
/* Events into the guest (arch/x86/vmx/intr.c); v's VMCS must be loaded.
 * Before entering v, when evtchn_upcall_due(v), the run loop injects the
 * domain's callback vector if evtchn_callback_due(v) (it goes first, as in
 * Xen's hvm_vcpu_has_pending_irq), else v's local APIC's next vector (a
 * per-vcpu upcall vector among them, in IRR since evtchn_kick; it waits
 * for the EOI, not for upcall_mask, which HVM guests do not use); either
 * is injected if v can take it now, else an exit is asked for when it
 * can. */
void vmx_inject_callback(struct vcpu *v);
void vmx_inject_lapic(struct vcpu *v);
/* The interrupt-window exit: the window closes (an injection opens it
 * again if still needed). */
void vmx_intr_window_exit(struct vcpu *v);
/* A hardware exception at the next entry (with its error code if
 * has_error). */
void vmx_inject_exception(unsigned int vector, bool has_error, uint32_t error);
/* An exit during the delivery of an event (an external interrupt arrived
 * meanwhile): deliver the event again at the next entry (SDM 27.2.4). */
void vmx_reinject_event(void);

/* Guest MSRs (arch/x86/vmx/msr.c). */
extern paddr_t vmx_msr_bitmap; /* shared by every VMCS */
int vmx_msr_init(void);        /* once, on the boot CPU: -ENOMEM */
void vmx_msr_vcpu_init(struct vcpu *v);
/* RDMSR/WRMSR that exited.  0: done (a read's value in *val); -1: the
 * guest gets #GP.  v's VMCS must be loaded. */
int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* The machine-check MSRs (vmce.c), for vmx_msr_read/write: 1 when msr is
 * one (a read's value in *val), -1 when the guest gets #GP, 0 when msr
 * is none of them. */
int vmce_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vmce_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
struct hvm_hw_mtrr;
/* The MTRR record of a saved context (context.c): check it (0 or
 * -EINVAL: what a WRMSR would refuse), load it into v's MSRs (checked
 * already; PAT reaches the VMCS when v's context is applied), save v's. */
int vmx_mtrr_record_check(const struct hvm_hw_mtrr *r);
void vmx_mtrr_record_load(struct vcpu *v, const struct hvm_hw_mtrr *r);
void vmx_mtrr_record_save(const struct vcpu *v, struct hvm_hw_mtrr *r);
/* PAE paging outside IA-32e mode: load the PDPTEs from the guest's CR3
 * into the current VMCS (exit.c).  Returns 1 after crashing the domain
 * when they are not in its RAM or have reserved bits set, else 0. */
int vmx_load_pdptes(struct vcpu *v);
/* v's saved CPU record (sethvmcontext), checked, becomes its state the
 * next time it runs: called by arch_vcpu_run with v's VMCS current.
 * Returns 0, or -EIO after which the caller crashes the domain. */
int vmx_context_apply(struct vcpu *v);
/* Xen's hypercall page written at guest-physical gpa: 0 or -EFAULT. */
int vmx_fill_hypercall_page(struct vcpu *v, uint64_t gpa);

/* FPU and passed-through MSRs between vcpus (arch/x86/vmx/switch.c). */
extern bool vmx_has_rdtscp;
void vmx_switch_cpu_init(void); /* on every CPU before its first vcpu */
void vmx_switch_vcpu_init(struct vcpu *v);
void vmx_switch_out(struct vcpu *v);    /* this CPU's registers -> v */
extern const uint32_t vmx_sticky_msr[]; /* MSR numbers, VMX_STICKY_* order */
/* A guest write of sticky MSR i (VMX_STICKY_*), checked already: v's
 * value, and this CPU's (v is loaded here). */
void vmx_switch_write_sticky(struct vcpu *v, unsigned int i, uint64_t val);
void vmx_switch_in(struct vcpu *v); /* v -> this CPU's registers */
/* A MOV DR exit: v's DR0-DR3 and DR6 go on the CPU, its MOV DRs stop
 * exiting; the instruction is run again, not skipped.  Also for a vcpu
 * whose DR7 has one of DR7_ENABLES (L0-L3, G0-G3: SDM vol. 3, 18.2.4)
 * set behind its back (a saved state), so that its breakpoints watch its
 * own addresses. */
#define DR7_ENABLES 0xffULL
void vmx_switch_dr_access(struct vcpu *v);

struct cpuid_regs;
/* The guest's view of CPUID leaf/subleaf for vcpu v (arch/x86/vmx/cpuid.c);
 * reads the current VMCS's secondary controls, so v's VMCS must be loaded. */
void vmx_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *out);
/* Xen's CPUID feature words (featureset order: 1d 1c e1d e1c Da1 7b0 7c0
 * e7d e8b 7d0) of v's guest view (vmx_cpuid), or with guest false of the
 * CPU itself (v unused). */
#define CPU_FEATURESET_WORDS 10
void cpu_featureset_words(const struct vcpu *v, bool guest, uint32_t words[CPU_FEATURESET_WORDS]);
/* The CR4 and EFER bits v may set, by the features its CPUID shows (v's
 * VMCS loaded, as for vmx_cpuid); a write of any other is #GP. */
uint64_t vmx_cr4_guest_valid(const struct vcpu *v);
uint64_t vmx_efer_guest_valid(const struct vcpu *v);
/* MISC_FEATURES_ENABLES bit 0: CPUID at CPL > 0 is #GP (msr.c, exit.c). */
#define MISC_FEATURES_CPUID_FAULTING (1ULL << 0)
/* The CR4 bits no guest may ever set here (those vmx_cr4_guest_valid can
 * never give): the VMCS's CR4 mask holds them, so a write that sets one
 * exits and is refused, where the CPU would take it. */
#define VMX_CR4_NEVER_VALID                                                                        \
  (~(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |            \
     X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_UMIP |              \
     X86_CR4_FSGSBASE | X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP))

/* v (not running) got INIT then STARTUP with this vector: it will start
 * in real mode at vector * 4096 the next time it runs (its VMCS is made
 * now if it has none, and written on the CPU that runs it).  Returns 0,
 * or -ENOMEM / -EIO / -ENODEV (v stays as it was). */
int vmx_vcpu_start_real(struct vcpu *v, uint8_t vector);
/* v has a VMCS region (made now if it had none).  0, -ENODEV (no VT-x)
 * or -ENOMEM. */
int vmx_vcpu_prepare(struct vcpu *v);

/* Handle the VM exit that just ended v's guest mode (exit.c): 0 to enter
 * the guest again, 1 when the scheduler should run (the domain ended, or
 * it is someone else's turn). */
struct vcpu;
int vmx_handle_exit(struct vcpu *v);
/* Set the guest's RIP after an instruction the hypervisor completed,
 * ending an STI or MOV SS interrupt shadow over it (exit.c). */
void vmx_set_rip(uint64_t rip);
/* An EPT violation with exit qualification q (mmio.c): an access to a
 * guest-physical address with nothing behind it is emulated (reads give
 * all ones, writes are dropped); anything else crashes the domain.
 * Returns 0 to go on running v, 1 when its domain was crashed. */
int vmx_handle_mmio(struct vcpu *v, uint64_t q);

#endif
