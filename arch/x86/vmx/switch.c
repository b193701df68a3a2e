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
 * the x87/SSE state (SDM vol. 1, 10.5). */
#include <arch/cpu.h>
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
  v->arch.cr2 = 0; /* INIT clears it (SDM vol. 3, table 9-1) */
}

void vmx_switch_out(struct vcpu *v)
{
  /* The sticky MSRs need no saving: every write of theirs exits. */
  asm volatile("fxsave64 %0" : "=m"(v->arch.fpu));
  v->arch.msrs.kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
  v->arch.cr2 = read_cr2();
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
