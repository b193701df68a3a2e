/* VM exits: one handler per basic exit reason (SDM vol. 3, appendix C).
 * Whatever a guest does ends here as a decision about that guest only: a
 * fault it causes crashes its domain, never the hypervisor. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/hwdom.h>
#include <arch/lapic.h>
#include <arch/vlapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <hv/version.h>
#include <public/cpuid.h>
#include <public/xen.h>

#define VEC_GP 13
#define VEC_UD 6
#define VEC_MC 18

#define RFLAGS_IF (1ULL << 9) /* HLT with interrupts off */

void vmx_set_rip(uint64_t rip)
{
  vmcs_write(VMCS_GUEST_RIP, rip);
  /* The instruction is done, so an STI or MOV SS shadow over it ends too
   * (Xen clears it whenever it moves RIP).  Left in place, "sti; hlt"
   * would hold off the very upcall that should end the wait. */
  uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
  if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
               intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* Move RIP past the instruction that exited. */
static void skip_instruction(void)
{
  vmx_set_rip(vmcs_read(VMCS_GUEST_RIP) + vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
}

/* For messages only: the hot paths never read RIP unless they move it. */
static unsigned long long guest_rip(void) { return vmcs_read(VMCS_GUEST_RIP); }

/* The guest's privilege level: SS.DPL (SDM 24.4.1). */
static unsigned int guest_cpl(void) { return (vmcs_read(VMCS_GUEST_SS_AR) >> 5) & 3; }

/* Guest segment access rights (SDM 24.4.1, table 24-2). */
#define AR_CONFORMING (1U << 2) /* code segment type bit C */
#define AR_DPL (3U << 5)

/* A 64-bit hypercall that answered < 0: a continuation (1: the guest runs
 * the same VMCALL again, RIP and RAX unchanged, with the arguments the
 * handler left in hcall_args, after the others have had a turn), or an
 * error, now in the guest's RAX (0), -ENOSYS said in the log.  Out of
 * line, and reading the arguments again from v, so the hypercall path
 * keeps neither them nor the result in a register across a call. */
static __attribute__((noinline)) int vmcall64_error(struct vcpu *v, long ret)
{
  struct guest_regs *r = &v->arch.regs;
  if (ret == -ERESTART) {
    sched_resched_local();
    return 1;
  }
  if (ret == -ENOSYS)
    hypercall_note_enosys(v, r->rax, r->hcall_args);
  r->rax = (uint64_t)ret;
  return 0;
}

/* The 64-bit convention: RAX vector; RDI RSI RDX R10 R8 R9 arguments,
 * which guest_regs holds as one array. */
static inline __attribute__((always_inline)) void vmcall64(struct vcpu *v)
{
  struct guest_regs *r = &v->arch.regs;
  long ret = hypercall_dispatch(v, r->rax, r->hcall_args);
  if (likely(ret >= 0))
    r->rax = (uint64_t)ret; /* before the test below: nothing holds ret */
  else if (vmcall64_error(v, ret))
    return;
  if (unlikely(v->dom->state != DOMAIN_RUNNING))
    return; /* it shut itself down: its VMCS is gone */
  skip_instruction();
}

/* A 32-bit result into the guest's EAX, the low half of RAX (x86 is
 * little-endian): the upper half stays, as where Xen writes regs->eax. */
static inline void set_eax(struct guest_regs *r, uint32_t eax)
{
  __builtin_memcpy(&r->rax, &eax, sizeof(eax));
}

/* A 32-bit hypercall that answered < 0: a continuation (1: the guest runs
 * the same VMCALL again with the arguments written back where they came
 * from, as Xen's hypercall_create_continuation does when hcall_compat is
 * set), or an error, now in the guest's EAX (0), -ENOSYS said in the
 * log. */
static __attribute__((noinline)) int vmcall32_error(struct vcpu *v, long ret)
{
  struct guest_regs *r = &v->arch.regs;
  const uint64_t *a = v->arch.hcall32_args;
  if (ret == -ERESTART) {
    r->rax = (uint32_t)r->rax;
    r->rbx = (uint32_t)a[0];
    r->rcx = (uint32_t)a[1];
    r->rdx = (uint32_t)a[2];
    r->rsi = (uint32_t)a[3];
    r->rdi = (uint32_t)a[4];
    sched_resched_local();
    return 1;
  }
  if (ret == -ENOSYS)
    hypercall_note_enosys(v, (uint32_t)r->rax, a);
  set_eax(r, (uint32_t)ret);
  return 0;
}

/* The x86_32 convention (Xen 4.19 arch/x86/hvm/hypercall.c, hvm_hypercall
 * when hvm_guest_x86_mode is not 8): EAX vector; EBX ECX EDX ESI EDI
 * arguments, each its register's low 32 bits (what the guest's code
 * sees: the upper halves are left from whatever ran before).  No sixth:
 * Xen's call_handlers_hvm32 takes five, EBP is the guest's own (the
 * sixth slot stays 0).  The result
 * goes to EAX alone, as Xen's compat path writes regs->eax. */
static inline __attribute__((always_inline)) void vmcall32(struct vcpu *v)
{
  struct guest_regs *r = &v->arch.regs;
  uint32_t nr;
  __builtin_memcpy(&nr, &r->rax, sizeof(nr)); /* EAX: one 32-bit load */
  uint64_t *a = v->arch.hcall32_args;
  a[0] = (uint32_t)r->rbx;
  a[1] = (uint32_t)r->rcx;
  a[2] = (uint32_t)r->rdx;
  a[3] = (uint32_t)r->rsi;
  a[4] = (uint32_t)r->rdi;
  long ret = hypercall_dispatch_compat(v, nr, a);
  if (likely(ret >= 0))
    set_eax(r, (uint32_t)ret); /* before the test below: nothing holds ret */
  else if (vmcall32_error(v, ret))
    return;
  if (unlikely(v->dom->state != DOMAIN_RUNNING))
    return;
  skip_instruction();
}

/* Every VMCALL but a 64-bit kernel's on a non-conforming CS of DPL 0, with
 * those bits of CS's access rights in hand: the CPL (CS.DPL when CS is
 * not a conforming code segment, as the fast path's test; SS.DPL
 * otherwise, SDM 24.4.1), then the mode as Xen's vmx_guest_x86_mode tells
 * it (64-bit is IA-32e mode with CS.L set; real mode, 16- and 32-bit
 * protected mode and compatibility mode take the 32-bit convention).  Out
 * of line: the 64-bit path does not pay for its frame. */
static __attribute__((noinline)) int vmcall_other(struct vcpu *v, uint32_t cs_ar)
{
  if ((cs_ar & (AR_DPL | AR_CONFORMING)) && guest_cpl() != 0) {
    v->arch.regs.rax = (uint64_t)-EPERM; /* hypercalls are for the guest kernel */
    skip_instruction();
    return 0;
  }
  if ((cs_ar & CS_AR_L) && (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA))
    vmcall64(v);
  else
    vmcall32(v);
  return 0; /* a tail call of vmx_handle_exit's */
}

/* A hypercall.  The common case first, from one VMREAD of CS's access
 * rights and one of EFER: a 64-bit kernel (CS.L with EFER.LMA; the L bit
 * alone is kept even outside IA-32e mode, SDM 27.3.2) on a non-conforming
 * code segment of DPL 0, whose DPL is the CPL (SDM 26.3.1.2 makes it equal
 * SS.DPL).  Everything else is sorted out of line. */
static inline __attribute__((always_inline)) int handle_vmcall(struct vcpu *v)
{
  uint32_t cs_ar = (uint32_t)vmcs_read(VMCS_GUEST_CS_AR) & (CS_AR_L | AR_DPL | AR_CONFORMING);
  if (likely(cs_ar == CS_AR_L) && likely(vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA)) {
    vmcall64(v);
    return 0;
  }
  /* A 32-bit kernel's, on a non-conforming CS of DPL 0 without CS.L (so
   * not in 64-bit mode whatever EFER says), inline as well: one frame. */
  if (likely(cs_ar == 0)) {
    vmcall32(v);
    return 0;
  }
  return vmcall_other(v, cs_ar);
}

/* CPUID: the answer is the guest's policy (arch/x86/vmx/cpuid.c). */
static void handle_cpuid(struct vcpu *v)
{
  struct guest_regs *r = &v->arch.regs;
  struct cpuid_regs c;

  /* CPUID faulting (MISC_FEATURES_ENABLES, msr.c): #GP outside ring 0,
   * as Xen's hvm_check_cpuid_faulting gives it. */
  if ((v->arch.msrs.misc_features & MISC_FEATURES_CPUID_FAULTING) && guest_cpl() > 0) {
    vmx_inject_exception(VEC_GP, true, 0);
    return;
  }
  vmx_cpuid(v, (uint32_t)r->rax, (uint32_t)r->rcx, &c);
  r->rax = c.eax;
  r->rbx = c.ebx;
  r->rcx = c.ecx;
  r->rdx = c.edx;
  skip_instruction();
}

/* Xen's hypercall page (arch/x86/hvm/vmx/vmx.c): 128 stubs of 32 bytes,
 * "mov $nr, %eax; vmcall; ret", except iret's, which is ud2 (a PV-only
 * call); the padding is int3.  Filling it latches the layout of the
 * domain's shared info from v's mode, 32-bit unless 64-bit mode (Xen's
 * hvm_init_hypercall_page: hvm_guest_x86_mode != 8). */
int vmx_fill_hypercall_page(struct vcpu *v, uint64_t gpa)
{
  bool mode64 =
      (vmcs_read(VMCS_GUEST_CS_AR) & CS_AR_L) && (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA);
  domain_latch_shinfo_size(v->dom, !mode64);
  static const uint8_t stub[9] = {0xb8, 0, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3};
  uint8_t page[PAGE_SIZE];

  memset(page, 0xcc, sizeof(page));
  for (unsigned int nr = 0; nr < PAGE_SIZE / 32; nr++) {
    uint8_t *p = page + nr * 32;
    if (nr == __HYPERVISOR_iret) {
      p[0] = 0x0f;
      p[1] = 0x0b;
      continue;
    }
    memcpy(p, stub, sizeof(stub));
    memcpy(p + 1, &nr, 4);
  }
  return guestmem_write(v->dom, gpa, page, sizeof(page));
}

/* RDMSR/WRMSR: arch/x86/vmx/msr.c decides; a refusal is #GP. */
static void handle_msr(struct vcpu *v, bool write)
{
  struct guest_regs *r = &v->arch.regs;
  uint32_t msr = (uint32_t)r->rcx;
  uint64_t val = ((r->rdx & 0xffffffff) << 32) | (r->rax & 0xffffffff);

  /* The local APIC's MSRs: arch/x86/vlapic.c; the rest: msr.c. */
  int err = vlapic_msr_owned(msr)
                ? (write ? vlapic_msr_write(v, msr, val) : vlapic_msr_read(v, msr, &val))
                : (write ? vmx_msr_write(v, msr, val) : vmx_msr_read(v, msr, &val));
  if (err) {
    vmx_inject_exception(VEC_GP, true, 0);
    return;
  }
  if (!write) {
    r->rax = val & 0xffffffff;
    r->rdx = val >> 32;
  }
  skip_instruction();
}

/* Port I/O: 0xE9 is the domain's debug console; other ports read as all
 * ones and writes to them are dropped and counted. */
static void handle_io(struct vcpu *v)
{
  uint64_t q = vmcs_read(VMCS_EXIT_QUALIFICATION);
  unsigned int size = (unsigned int)(q & 7) + 1, port = (unsigned int)(q >> 16);
  bool in = q & (1U << 3), string = q & (1U << 4), rep = q & (1U << 5);
  struct guest_regs *r = &v->arch.regs;

  if (!string && v->dom->hwdom) {
    uint32_t val = (uint32_t)r->rax;
    if (hwdom_io(v, port, size, in, &val)) {
      if (in) {
        uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;
        r->rax = (r->rax & ~mask) | (val & mask);
      }
      skip_instruction();
      return;
    }
  }
  if (string) {
    /* INS/OUTS: not emulated; the data goes nowhere, the loop ends. */
    if (!in)
      v->dom->io_dropped++;
    if (rep)
      r->rcx = 0;
  } else if (in) {
    uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;
    r->rax = (r->rax & ~mask) | mask;
  } else if (port == 0xe9 && size == 1) {
    domain_console_putc(v->dom, (char)r->rax);
  } else {
    v->dom->io_dropped++;
  }
  skip_instruction();
}

/* A guest register by the number the SDM uses in exit qualifications:
 * RAX RCX RDX RBX RSP RBP RSI RDI R8..R15. */
static uint64_t *gpr(struct vcpu *v, unsigned int n, uint64_t *rsp)
{
  struct guest_regs *r = &v->arch.regs;
  uint64_t *map[16] = {&r->rax, &r->rcx, &r->rdx, &r->rbx, rsp,     &r->rbp, &r->rsi, &r->rdi,
                       &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15};
  return map[n & 15];
}

/* MOV to CR0 that changes CR0.NE, which we own (SDM 25.1.3): the guest
 * sees its value through the read shadow; the real register keeps NE on.
 * The checks are the ones the CPU makes for a MOV that does not exit, in
 * the order of Xen's hvm_set_cr0.  Returns 0, or -1 for #GP. */
static int set_cr0(uint64_t val)
{
  uint64_t old = vmcs_read(VMCS_GUEST_CR0), efer = vmcs_read(VMCS_GUEST_IA32_EFER);
  uint64_t cr4 = vmcs_read(VMCS_GUEST_CR4);

  if (val >> 32)
    return -1; /* bits 63:32 are reserved */
  /* Reserved bits of 31:0 are ignored (SDM 2.5), and ET is fixed at 1;
   * kept, either would make the next VM entry fail. */
  val &= X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
         X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG;
  val |= X86_CR0_ET;
  if ((val & (X86_CR0_PE | X86_CR0_PG)) == X86_CR0_PG)
    return -1; /* paging needs protected mode */
  if ((val & (X86_CR0_NW | X86_CR0_CD)) == X86_CR0_NW)
    return -1; /* not write-through without cache disable (SDM vol. 2, MOV CR) */
  if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME) && !(cr4 & X86_CR4_PAE))
    return -1; /* long mode needs PAE paging */
  if (!(val & X86_CR0_PG) && (old & X86_CR0_PG)) {
    if ((efer & EFER_LME) && (vmcs_read(VMCS_GUEST_CS_AR) & CS_AR_L))
      return -1; /* paging off in 64-bit code */
    if (cr4 & X86_CR4_PCIDE)
      return -1;
  }
  vmcs_write(VMCS_CR0_READ_SHADOW, val);
  vmcs_write(VMCS_GUEST_CR0, val | X86_CR0_NE);
  /* Paging switched on or off with EFER.LME: IA-32e mode follows
   * (SDM 10.8.5); the entry control must say the same. */
  if ((val ^ old) & X86_CR0_PG) {
    bool lma = (val & X86_CR0_PG) && (efer & EFER_LME);
    vmcs_write(VMCS_GUEST_IA32_EFER, lma ? efer | EFER_LMA : efer & ~EFER_LMA);
    uint64_t entry = vmcs_read(VMCS_ENTRY_CONTROLS);
    vmcs_write(VMCS_ENTRY_CONTROLS, lma ? entry | ENTRY_IA32E_MODE : entry & ~ENTRY_IA32E_MODE);
  }
  return 0;
}

/* MOV to CR4 that changes VMXE or sets a bit no guest may set (the CR4
 * mask, vmcs.c): refused unless CPUID shows the feature, as in Xen's
 * hvm_set_cr4; VMXE stays on underneath.  Returns 0, or -1 for #GP. */
static int set_cr4(struct vcpu *v, uint64_t val)
{
  /* What the guest sees: the bits it owns from CR4 itself, the masked
   * ones from the read shadow (SDM 25.3). */
  uint64_t mask = vmcs_read(VMCS_CR4_MASK);
  uint64_t old = (vmcs_read(VMCS_GUEST_CR4) & ~mask) | (vmcs_read(VMCS_CR4_READ_SHADOW) & mask);
  uint64_t efer = vmcs_read(VMCS_GUEST_IA32_EFER);

  if (val & ~vmx_cr4_guest_valid(v))
    return -1; /* VMXE too: CPUID shows no VMX */
  if (!(val & X86_CR4_PAE) && (efer & EFER_LMA))
    return -1; /* long mode needs PAE */
  if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
      (!(efer & EFER_LMA) || (vmcs_read(VMCS_GUEST_CR3) & 0xfff)))
    return -1; /* PCIDE needs long mode and PCID 0 (SDM 4.10.1) */
  vmcs_write(VMCS_CR4_READ_SHADOW, val);
  vmcs_write(VMCS_GUEST_CR4, val | X86_CR4_VMXE);
  return 0;
}

/* MOV to CR0 or CR4 that exits (the masks, vmcs.c).  A refused value is
 * #GP with RIP on the MOV, as the CPU gives it. */
/* PAE paging outside IA-32e mode takes its four PDPTEs from CR3 when
 * paging or PAE comes on; with EPT a VM entry loads them from the VMCS
 * (SDM 26.3.2.4), so a MOV to CR0 or CR4 that we emulate must read them
 * from the guest's memory, as the CPU would have.  Xen's vmx_load_pdptrs
 * crashes the domain when they are not in its RAM or a present one has
 * reserved bits set; so do we.  Returns 1 when it crashed the domain. */
int vmx_load_pdptes(struct vcpu *v)
{
  uint64_t pdpte[4];
  if ((vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PG) == 0 ||
      (vmcs_read(VMCS_GUEST_CR4) & X86_CR4_PAE) == 0 ||
      (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA))
    return 0;
  /* Reserved in a present PDPTE: bits 2:1 and 8:5, and the address bits
   * the guest's CPU does not have (SDM 4.4.1, table 4-8). */
  uint64_t reserved = 0x1e6 | ~((1ULL << arch_guest_paddr_bits()) - 1);
  uint64_t cr3 = vmcs_read(VMCS_GUEST_CR3) & 0xffffffe0;
  bool bad = guestmem_read(v->dom, cr3, pdpte, sizeof(pdpte)) != 0;
  for (unsigned int i = 0; i < 4 && !bad; i++)
    bad = (pdpte[i] & 1) && (pdpte[i] & reserved);
  if (bad) {
    domain_crash(v->dom, "PAE paging with bad PDPTEs at 0x%llx", (unsigned long long)cr3);
    return 1;
  }
  for (unsigned int i = 0; i < 4; i++)
    vmcs_write(VMCS_GUEST_PDPTE0 + i * 2, pdpte[i]);
  return 0;
}

static int handle_cr(struct vcpu *v)
{
  uint64_t q = vmcs_read(VMCS_EXIT_QUALIFICATION);
  unsigned int cr = q & 15, type = (q >> 4) & 3;
  uint64_t rsp = vmcs_read(VMCS_GUEST_RSP);

  if (cr == 8 && type <= 1) {
    /* CR8 (64-bit mode only: elsewhere the CPU gives #UD first). */
    uint64_t *reg = gpr(v, (unsigned int)(q >> 8), &rsp);
    if (type == 0) {
      if (*reg >> 4) {
        vmx_inject_exception(VEC_GP, true, 0); /* bits 63:4 are reserved */
        return 0;
      }
      vlapic_set_cr8(v, *reg);
    } else {
      *reg = vlapic_cr8(v);
      if (reg == &rsp)
        vmcs_write(VMCS_GUEST_RSP, rsp);
    }
    skip_instruction();
    return 0;
  }
  if (type != 0 || (cr != 0 && cr != 4)) {
    domain_crash(v->dom, "unexpected control-register access, qualification 0x%llx",
                 (unsigned long long)q);
    return 1;
  }
  uint64_t val = *gpr(v, (unsigned int)(q >> 8), &rsp);
  if (cr == 0 ? set_cr0(val) : set_cr4(v, val)) {
    vmx_inject_exception(VEC_GP, true, 0);
    return 0;
  }
  if (vmx_load_pdptes(v))
    return 1;
  skip_instruction();
  return 0;
}

/* Every exit but VMCALL.  Out of line: its handlers' locals make a stack
 * frame that hypercalls should not pay for. */
static __attribute__((noinline)) int handle_other_exit(struct vcpu *v, uint32_t reason)
{
  if (reason & EXIT_REASON_FAILED_ENTRY) {
    domain_crash(v->dom, "VM entry failed: exit reason %u (invalid guest state), rip 0x%llx",
                 reason & 0xffff, guest_rip());
    return 1;
  }
  switch (reason & 0xffff) {
  case EXIT_REASON_EXTERNAL_INTERRUPT:
    vmx_reinject_event();
    return 0; /* the host took it when interrupts came back on */
  case EXIT_REASON_PREEMPTION_TIMER:
    return 0; /* a backstop (vmcs.c): pending host interrupts are taken now */
  case EXIT_REASON_INTR_WINDOW:
    /* The window closes here; the run loop, before the next entry,
     * injects what is due or opens it again.  So the run loop's check
     * need not look at the window. */
    vmx_intr_window_exit(v);
    return 0;
  case EXIT_REASON_EXCEPTION_NMI:
    /* The exception bitmap holds #MC alone (vmcs.c): a machine check of
     * the host's, which must not reach a guest that has CR4.MCE set (its
     * vMCE banks say nothing of it).  The hypervisor handles none: as
     * its own #MC handler does, it stops.  Otherwise an NMI: nothing to
     * do for it yet. */
    if ((vmcs_read(VMCS_EXIT_INTR_INFO) & (INTR_INFO_VALID | 0xff)) == (INTR_INFO_VALID | VEC_MC))
      panic("machine check (#MC) while %s vcpu %u ran, rip 0x%llx", v->dom->name, v->id,
            guest_rip());
    return 0;
  case EXIT_REASON_CPUID: handle_cpuid(v); return 0;
  case EXIT_REASON_MSR_READ:
  case EXIT_REASON_MSR_WRITE: handle_msr(v, (reason & 0xffff) == EXIT_REASON_MSR_WRITE); return 0;
  case EXIT_REASON_IO: handle_io(v); return 0;
  case EXIT_REASON_CR_ACCESS: return handle_cr(v);
  case EXIT_REASON_DR_ACCESS: vmx_switch_dr_access(v); return 0;
  case EXIT_REASON_VMCLEAR:
  case EXIT_REASON_VMLAUNCH:
  case EXIT_REASON_VMPTRLD:
  case EXIT_REASON_VMPTRST:
  case EXIT_REASON_VMREAD:
  case EXIT_REASON_VMRESUME:
  case EXIT_REASON_VMWRITE:
  case EXIT_REASON_VMXOFF:
  case EXIT_REASON_VMXON:
  case EXIT_REASON_INVEPT:
  case EXIT_REASON_INVVPID:
  case EXIT_REASON_VMFUNC:
    /* No nested VMX: #UD, as in Xen without nested virtualisation
     * (nvmx_handle_vmx_insn, vmx_vmfunc_intercept). */
  case EXIT_REASON_GETSEC:
  case EXIT_REASON_MWAIT:
  case EXIT_REASON_MONITOR:
    /* CPUID shows neither SMX nor MONITOR/MWAIT: #UD (Xen's vmx.c). */
  case EXIT_REASON_XSETBV:
    /* CR4.OSXSAVE is never allowed (set_cr4), so the CPU's own check
     * gives #UD before this can exit; should it, the same answer. */
    vmx_inject_exception(VEC_UD, false, 0);
    return 0;
  case EXIT_REASON_INVD:
  case EXIT_REASON_WBINVD:
    skip_instruction(); /* no device of the guest's caches data: nothing to do (Xen) */
    return 0;
  case EXIT_REASON_TRIPLE_FAULT:
    domain_crash(v->dom, "triple fault, rip 0x%llx", guest_rip());
    return 1;
  case EXIT_REASON_EPT_VIOLATION:
    /* Nothing behind the address: completed as Xen does (mmio.c). */
    return vmx_handle_mmio(v, vmcs_read(VMCS_EXIT_QUALIFICATION));
  default:
    domain_crash(v->dom, "unhandled VM exit, reason %u, qualification 0x%llx, rip 0x%llx",
                 reason & 0xffff, (unsigned long long)vmcs_read(VMCS_EXIT_QUALIFICATION),
                 guest_rip());
    return 1;
  }
}

/* HLT: the vcpu waits for an event.  Inline in vmx_handle_exit, beside
 * VMCALL: a guest waiting for another's event HLTs once per event. */
static inline __attribute__((always_inline)) int handle_hlt(struct vcpu *v)
{
  skip_instruction();
  /* HLT with interrupts off can never end: as in Xen (hvm_hlt), the vcpu
   * goes down, and the domain powers off when it was the last. */
  if (unlikely(!(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF))) {
    domain_vcpu_down(v);
    return 1;
  }
  return sched_block(v) ? 1 : 0; /* an upcall that is due ends HLT at once */
}

int vmx_handle_exit(struct vcpu *v)
{
  uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);

  /* Hypercalls first: the exit guests make most (and the one the
   * benchmarks time), before the general dispatch. */
  if (likely(reason == EXIT_REASON_VMCALL))
    return handle_vmcall(v);
  if (reason == EXIT_REASON_HLT)
    return handle_hlt(v);
  return handle_other_exit(v, reason);
}
