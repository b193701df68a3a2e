/* Guest state that VMX does not switch on entry and exit: the x87/SSE
 * registers, CR2, the MSRs the bitmap lets the guest write directly
 * (arch/x86/vmx/msr.c), and the "sticky" MSRs a guest sets once (SYSCALL's
 * and TSC_AUX: their writes exit, so the CPU's copy is rewritten only when
 * it differs).  The hypervisor never touches any of them (it is built
 * with -mgeneral-regs-only, uses no SYSCALL and takes no page fault), so
 * they can stay loaded across exits: they move only when a CPU changes
 * vcpu, in the same places as the VMCS (arch/x86/vmx/vcpu.c: saved when
 * the VMCS is cleared, loaded after VMPTRLD).  CR2 matters because a #PF
 * writes it and the guest's handler reads it some instructions later: an
 * exit in between that runs another vcpu, which faults as well, must not
 * hand the first one that vcpu's address (a Linux dom0 process was once
 * killed so, "segfault at" a domU kernel address).  Guests see FXSAVE
 * state only (no XSAVE in their CPUID), so FXSAVE/FXRSTOR carries all of
 * the x87/SSE state (SDM vol. 1, 10.5).
 *
 * The debug registers: DR7 (and DEBUGCTL) are in the VMCS (vmcs.c: saved
 * at exit, loaded at entry).  DR0-DR3 and DR6 are not, and guests seldom
 * touch them, so they move lazily, as in Xen (vmx_dr_access): a vcpu's
 * first MOV DR exits and puts its values on the CPU, its MOV DRs then run
 * without exits until it leaves the CPU, when they are saved and the
 * exiting armed again.  A vcpu whose DR7 enables a breakpoint gets its
 * own at once when it comes back: the breakpoint would watch another
 * vcpu's address otherwise.  The hypervisor never runs with a guest's
 * breakpoints: a VM exit sets DR7 to 0x400. */
#include <arch/cpu.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/percpu.h>

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* FXSAVE image offsets: FCW at 0, MXCSR at 24 (SDM vol. 1, table 10-2). */
#define FX_FCW 0
#define FX_MXCSR 24

/* DR6's value after INIT (SDM vol. 3, 18.2.3). */
#define DR6_INIT 0xffff0ff0ULL

/* The MSR numbers of the sticky ones, in VMX_STICKY_* order. */
const uint32_t vmx_sticky_msr[VMX_NR_STICKY] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
                                                MSR_TSC_AUX};
_Static_assert(VMX_NR_STICKY == ARRAY_SIZE(((struct arch_per_cpu *)0)->sticky_msrs),
               "one per-CPU slot per sticky MSR");

/* How many sticky MSRs the CPU has (TSC_AUX only with RDTSCP). */
static unsigned int nr_sticky(void) { return vmx_has_rdtscp ? VMX_NR_STICKY : VMX_STICKY_TSC_AUX; }

void vmx_switch_cpu_init(void)
{
  /* FXSAVE keeps the XMM registers only with CR4.OSFXSR set, and faults
   * with CR0.TS or CR0.EM set. */
  write_cr0((read_cr0() | X86_CR0_MP) & ~(X86_CR0_EM | X86_CR0_TS));
  write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
  struct arch_per_cpu *a = &this_cpu()->arch;
  for (unsigned int i = 0; i < nr_sticky(); i++)
    a->sticky_msrs[i] = rdmsr(vmx_sticky_msr[i]);
}

void vmx_switch_write_sticky(struct vcpu *v, unsigned int i, uint64_t val)
{
  v->arch.msrs.sticky[i] = val;
  this_cpu()->arch.sticky_msrs[i] = val;
  wrmsr(vmx_sticky_msr[i], val);
}

/* The state this file keeps of a new vcpu, or one that got INIT: x87 and
 * SSE, CR2 and the debug registers; v's must not be loaded on a CPU. */
void vmx_switch_vcpu_init(struct vcpu *v)
{
  /* The state after FNINIT and a reset MXCSR: all exceptions masked. */
  uint16_t fcw = 0x037f;
  uint32_t mxcsr = 0x1f80;
  __builtin_memset(v->arch.fpu, 0, sizeof(v->arch.fpu));
  __builtin_memcpy(v->arch.fpu + FX_FCW, &fcw, sizeof(fcw));
  __builtin_memcpy(v->arch.fpu + FX_MXCSR, &mxcsr, sizeof(mxcsr));
  /* INIT's CR2 and debug registers (SDM vol. 3, table 9-1); DR7 is the
   * VMCS's (vmcs_init_pvh). */
  v->arch.cr2 = 0;
  __builtin_memset(v->arch.dr, 0, sizeof(v->arch.dr));
  v->arch.dr[4] = DR6_INIT;
  v->arch.dr_loaded = false;
  v->arch.dr_eager = false;
}

/* Put v's DR0-DR3 and DR6 on this CPU (v's VMCS is current): its MOV DRs
 * stop exiting. */
static void dr_load(struct vcpu *v)
{
  const uint64_t *dr = v->arch.dr;
  asm volatile("mov %0, %%dr0" ::"r"(dr[0]));
  asm volatile("mov %0, %%dr1" ::"r"(dr[1]));
  asm volatile("mov %0, %%dr2" ::"r"(dr[2]));
  asm volatile("mov %0, %%dr3" ::"r"(dr[3]));
  asm volatile("mov %0, %%dr6" ::"r"(dr[4]));
  v->arch.dr_loaded = true;
  vmcs_write(VMCS_PROC_CONTROLS, vmcs_read(VMCS_PROC_CONTROLS) & ~(uint64_t)PROC_MOV_DR_EXITING);
}

void vmx_switch_dr_access(struct vcpu *v)
{
  /* The MOV DR runs again when the guest goes on, this time natively. */
  if (!v->arch.dr_loaded)
    dr_load(v);
}

void vmx_switch_out(struct vcpu *v)
{
  /* The sticky MSRs need no saving: every write of theirs exits. */
  asm volatile("fxsave64 %0" : "=m"(v->arch.fpu));
  v->arch.msrs.kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
  v->arch.cr2 = read_cr2();
  if (v->arch.dr_loaded) {
    uint64_t *dr = v->arch.dr;
    asm volatile("mov %%dr0, %0" : "=r"(dr[0]));
    asm volatile("mov %%dr1, %0" : "=r"(dr[1]));
    asm volatile("mov %%dr2, %0" : "=r"(dr[2]));
    asm volatile("mov %%dr3, %0" : "=r"(dr[3]));
    asm volatile("mov %%dr6, %0" : "=r"(dr[4]));
    v->arch.dr_loaded = false;
    /* Its DR7 changes only while its MOV DRs do not exit: now is when
     * to look at it. */
    v->arch.dr_eager = vmcs_read(VMCS_GUEST_DR7) & DR7_ENABLES;
    vmcs_write(VMCS_PROC_CONTROLS, vmcs_read(VMCS_PROC_CONTROLS) | PROC_MOV_DR_EXITING);
  }
}

void vmx_switch_in(struct vcpu *v)
{
  const struct vmx_guest_msrs *m = &v->arch.msrs;
  uint64_t *loaded = this_cpu()->arch.sticky_msrs;
  asm volatile("fxrstor64 %0" ::"m"(v->arch.fpu));
  wrmsr(MSR_KERNEL_GS_BASE, m->kernel_gs_base);
  /* MOV to CR2 is serialising on hardware: only when it differs (two
   * vcpus that have not faulted since they last ran agree). */
  if (read_cr2() != v->arch.cr2)
    write_cr2(v->arch.cr2);
  if (v->arch.dr_eager)
    dr_load(v);
  /* Guests of one kernel set the same values: WRMSR (slow on hardware)
   * only where they differ from what the CPU holds.  (Without RDTSCP,
   * TSC_AUX stays 0 on both sides and is never written.) */
  _Static_assert(VMX_NR_STICKY == 5, "the test below names each one");
  const uint64_t *g = m->sticky;
  if ((loaded[0] ^ g[0]) | (loaded[1] ^ g[1]) | (loaded[2] ^ g[2]) | (loaded[3] ^ g[3]) |
      (loaded[4] ^ g[4])) {
    for (unsigned int i = 0; i < VMX_NR_STICKY; i++) {
      if (loaded[i] != m->sticky[i]) {
        wrmsr(vmx_sticky_msr[i], m->sticky[i]);
        loaded[i] = m->sticky[i];
      }
    }
  }
}
