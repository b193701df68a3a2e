/* Guest state that VMX does not switch on entry and exit: the x87/SSE
 * registers and the MSRs the bitmap lets the guest write directly
 * (arch/x86/vmx/msr.c).  The hypervisor never touches either (it is built
 * with -mgeneral-regs-only and uses no SYSCALL), so they can stay loaded
 * across exits: they move only when a CPU changes vcpu, in the same places
 * as the VMCS (arch/x86/vmx/vcpu.c: saved when the VMCS is cleared,
 * loaded after VMPTRLD).  Guests see FXSAVE state only (no XSAVE in their
 * CPUID), so FXSAVE/FXRSTOR carries all of it (SDM vol. 1, 10.5). */
#include <arch/cpu.h>
#include <arch/vmx.h>
#include <hv/domain.h>

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* FXSAVE image offsets: FCW at 0, MXCSR at 24 (SDM vol. 1, table 10-2). */
#define FX_FCW 0
#define FX_MXCSR 24

void vmx_switch_cpu_init(void)
{
  /* FXSAVE keeps the XMM registers only with CR4.OSFXSR set, and faults
   * with CR0.TS or CR0.EM set. */
  write_cr0((read_cr0() | X86_CR0_MP) & ~(X86_CR0_EM | X86_CR0_TS));
  write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
}

/* The x87 and SSE state of a new vcpu, or one that got INIT; v's state
 * must not be loaded on a CPU. */
void vmx_switch_vcpu_init(struct vcpu *v)
{
  /* The state after FNINIT and a reset MXCSR: all exceptions masked. */
  uint16_t fcw = 0x037f;
  uint32_t mxcsr = 0x1f80;
  __builtin_memset(v->arch.fpu, 0, sizeof(v->arch.fpu));
  __builtin_memcpy(v->arch.fpu + FX_FCW, &fcw, sizeof(fcw));
  __builtin_memcpy(v->arch.fpu + FX_MXCSR, &mxcsr, sizeof(mxcsr));
}

void vmx_switch_out(struct vcpu *v)
{
  struct vmx_guest_msrs *m = &v->arch.msrs;
  asm volatile("fxsave64 %0" : "=m"(v->arch.fpu));
  m->star = rdmsr(MSR_STAR);
  m->lstar = rdmsr(MSR_LSTAR);
  m->cstar = rdmsr(MSR_CSTAR);
  m->sfmask = rdmsr(MSR_SFMASK);
  m->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
  if (vmx_has_rdtscp)
    m->tsc_aux = rdmsr(MSR_TSC_AUX);
}

void vmx_switch_in(struct vcpu *v)
{
  const struct vmx_guest_msrs *m = &v->arch.msrs;
  asm volatile("fxrstor64 %0" ::"m"(v->arch.fpu));
  wrmsr(MSR_STAR, m->star);
  wrmsr(MSR_LSTAR, m->lstar);
  wrmsr(MSR_CSTAR, m->cstar);
  wrmsr(MSR_SFMASK, m->sfmask);
  wrmsr(MSR_KERNEL_GS_BASE, m->kernel_gs_base);
  if (vmx_has_rdtscp)
    wrmsr(MSR_TSC_AUX, m->tsc_aux);
}
