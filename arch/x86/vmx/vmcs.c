/* VMCS contents: the controls mica uses, the host state, and the guest
 * state of the PVH boot ABI. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/traps.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/percpu.h>

extern char vmx_exit[];

/* A control value honouring the capability MSR: bits the CPU requires are
 * set, bits it does not allow are cleared (SDM A.3). */
static uint32_t adjust(uint32_t msr, uint32_t want)
{
  uint64_t cap = rdmsr(msr);
  return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

int vmcs_set_host_cpu(void)
{
  struct {
    uint16_t limit;
    uint64_t base;
  } __packed gdtr, idtr;
  asm volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
  int err = 0;
  /* HOST_RSP is written by vmx_enter at every entry; CR0/3/4 and the
   * selectors are the same on every CPU. */
  err |= vmcs_write(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)this_cpu());
  err |= vmcs_write(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&this_cpu()->arch.tss);
  err |= vmcs_write(VMCS_HOST_GDTR_BASE, gdtr.base); /* this CPU's own */
  err |= vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
  return err ? -EIO : 0;
}

int vmcs_init_pvh(paddr_t ept_root, uint16_t vpid, uint32_t entry)
{
  bool true_ctls = rdmsr(MSR_IA32_VMX_BASIC) & (1ULL << 55);
  int err = 0;

  /* The preemption timer is a backstop for the scheduler: Bochs 2.7 lets
   * a guest running with RFLAGS.IF = 0 hold off external-interrupt exits
   * (the SDM says IF has no say when that control is 1), so a guest
   * spinning with interrupts off would never be preempted there.  The
   * timer makes such a guest exit every millisecond, and the host then
   * takes its pending interrupts.  Without "save timer value" the count
   * restarts at every entry, so a guest that exits anyway never sees it. */
  uint32_t pin = adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
                        PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER);
  err |= vmcs_write(VMCS_PIN_CONTROLS, pin);
  if (pin & PIN_PREEMPTION_TIMER) {
    uint64_t ticks = (time_tsc_hz / 1000) >> (rdmsr(MSR_IA32_VMX_MISC) & 0x1f);
    err |= vmcs_write(VMCS_PREEMPTION_TIMER, ticks > 0xffffffffULL ? 0xffffffffULL : ticks);
  }
  err |=
      vmcs_write(VMCS_PROC_CONTROLS,
                 adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
                        PROC_HLT_EXITING | PROC_MWAIT_EXITING | PROC_UNCOND_IO_EXITING |
                            PROC_MONITOR_EXITING | PROC_ACTIVATE_SECONDARY | PROC_USE_MSR_BITMAPS |
                            PROC_MOV_DR_EXITING | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING));
  err |= vmcs_write(VMCS_MSR_BITMAP, vmx_msr_bitmap);
  err |= vmcs_write(VMCS_PROC_CONTROLS2,
                    adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
                           PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST |
                               PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID));
  uint32_t exit_ctl = adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
                             EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
                                 EXIT_LOAD_IA32_PAT | EXIT_SAVE_DEBUG_CONTROLS);
  /* DR7 and DEBUGCTL go with the VMCS (the CPU sets DR7 to 0x400 at
   * every exit, SDM 27.5.1); DR0-DR3 and DR6 go lazily (switch.c). */
  uint32_t entry_ctl =
      adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
             ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_DEBUG_CONTROLS);
  /* The guest's PAT is loaded at entry and the host's at exit when the
   * CPU offers both; otherwise the host's stays and msr.c keeps the
   * guest's value only. */
  if (!(exit_ctl & EXIT_LOAD_IA32_PAT))
    entry_ctl &= ~ENTRY_LOAD_IA32_PAT;
  err |= vmcs_write(VMCS_EXIT_CONTROLS, exit_ctl);
  err |= vmcs_write(VMCS_ENTRY_CONTROLS, entry_ctl);
  if (exit_ctl & EXIT_LOAD_IA32_PAT)
    err |= vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
  if (entry_ctl & ENTRY_LOAD_IA32_PAT)
    err |= vmcs_write(VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL); /* power-on value */
  /* Only #MC exits (exit.c): a host machine check is the hypervisor's,
   * never the guest's, as in Xen (HVM_TRAP_MASK). */
  err |= vmcs_write(VMCS_EXCEPTION_BITMAP, 1U << 18);
  err |= vmcs_write(VMCS_VPID, vpid);
  /* EPT: write-back, 4-level walk (SDM 24.6.11). */
  err |= vmcs_write(VMCS_EPT_POINTER, ept_root | (3 << 3) | 6);
  err |= vmcs_write(VMCS_LINK_POINTER, ~0ULL);

  /* Host state: what the CPU loads on every VM exit (SDM 24.5). */
  err |= vmcs_write(VMCS_HOST_CR0, read_cr0());
  err |= vmcs_write(VMCS_HOST_CR3, read_cr3());
  err |= vmcs_write(VMCS_HOST_CR4, read_cr4());
  err |= vmcs_write(VMCS_HOST_CS_SEL, GDT_CODE);
  err |= vmcs_write(VMCS_HOST_SS_SEL, GDT_DATA);
  err |= vmcs_write(VMCS_HOST_DS_SEL, GDT_DATA);
  err |= vmcs_write(VMCS_HOST_ES_SEL, GDT_DATA);
  err |= vmcs_write(VMCS_HOST_FS_SEL, 0);
  err |= vmcs_write(VMCS_HOST_GS_SEL, 0);
  err |= vmcs_write(VMCS_HOST_TR_SEL, GDT_TSS);
  err |= vmcs_write(VMCS_HOST_FS_BASE, 0);
  err |= vmcs_set_host_cpu();
  err |= vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
  err |= vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
  err |= vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
  err |= vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
  err |= vmcs_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit);

  /* Guest: 32-bit protected mode, paging off, flat segments, TR loaded
   * (the PVH start state).  CR0.NE and CR4.VMXE are required in VMX
   * operation; the masks and read shadows hide them from the guest. */
  err |= vmcs_write(VMCS_GUEST_CR0, 0x31); /* PE | ET | NE */
  err |= vmcs_write(VMCS_CR0_MASK, 0x20);
  err |= vmcs_write(VMCS_CR0_READ_SHADOW, 0x11);
  err |= vmcs_write(VMCS_GUEST_CR4, X86_CR4_VMXE);
  /* VMXE, and every bit no guest may set: such a write exits (exit.c). */
  err |= vmcs_write(VMCS_CR4_MASK, VMX_CR4_NEVER_VALID | X86_CR4_VMXE);
  err |= vmcs_write(VMCS_CR4_READ_SHADOW, 0);
  err |= vmcs_write(VMCS_GUEST_CR3, 0);
  err |= vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0); /* loaded at entry: reset value */
  static const uint32_t sel[] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL,
                                 VMCS_GUEST_DS_SEL, VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL};
  for (unsigned int i = 0; i < ARRAY_SIZE(sel); i++) {
    bool cs = sel[i] == VMCS_GUEST_CS_SEL;
    unsigned int off = sel[i] - VMCS_GUEST_ES_SEL; /* same step in every group */
    err |= vmcs_write(sel[i], cs ? 0x08 : 0x10);
    err |= vmcs_write(VMCS_GUEST_ES_BASE + off, 0);
    err |= vmcs_write(VMCS_GUEST_ES_LIMIT + off, 0xffffffff);
    /* Accessed code exec/read or data read/write; S, P, D/B, G. */
    err |= vmcs_write(VMCS_GUEST_ES_AR + off, cs ? 0xc09b : 0xc093);
  }
  err |= vmcs_write(VMCS_GUEST_TR_SEL, 0x18);
  err |= vmcs_write(VMCS_GUEST_TR_BASE, 0);
  err |= vmcs_write(VMCS_GUEST_TR_LIMIT, 0x67);
  err |= vmcs_write(VMCS_GUEST_TR_AR, 0x8b); /* present busy 32-bit TSS */
  err |= vmcs_write(VMCS_GUEST_LDTR_SEL, 0);
  err |= vmcs_write(VMCS_GUEST_LDTR_AR, 0x10000); /* unusable */
  err |= vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
  err |= vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0);
  err |= vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
  err |= vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);
  err |= vmcs_write(VMCS_GUEST_DR7, 0x400);
  err |= vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
  err |= vmcs_write(VMCS_GUEST_RIP, entry);
  err |= vmcs_write(VMCS_GUEST_RSP, 0);
  err |= vmcs_write(VMCS_GUEST_IA32_EFER, 0);
  err |= vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);
  err |= vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
  return err ? -EIO : 0;
}

int vmcs_set_real_mode(uint16_t cs_sel)
{
  int err = 0;
  /* CR0.ET only as the guest sees it (the reset value without CD and
   * NW, which a guest sets before it looks); NE stays on underneath. */
  err |= vmcs_write(VMCS_GUEST_CR0, 0x30);
  err |= vmcs_write(VMCS_CR0_READ_SHADOW, 0x10);
  static const uint32_t sel[] = {VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL,
                                 VMCS_GUEST_DS_SEL, VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL};
  for (unsigned int i = 0; i < ARRAY_SIZE(sel); i++) {
    bool cs = sel[i] == VMCS_GUEST_CS_SEL;
    unsigned int off = sel[i] - VMCS_GUEST_ES_SEL;
    err |= vmcs_write(sel[i], cs ? cs_sel : 0);
    err |= vmcs_write(VMCS_GUEST_ES_BASE + off, cs ? (uint64_t)cs_sel << 4 : 0);
    err |= vmcs_write(VMCS_GUEST_ES_LIMIT + off, 0xffff);
    /* Present, accessed, 16-bit: code exec/read or data read/write. */
    err |= vmcs_write(VMCS_GUEST_ES_AR + off, cs ? 0x9b : 0x93);
  }
  /* TR keeps vmcs_init_pvh's busy 32-bit TSS type: with a 16-bit one a
   * later switch to long mode faults (Bochs checks it, as the SDM's
   * task-switching rules would). */
  err |= vmcs_write(VMCS_GUEST_TR_SEL, 0);
  err |= vmcs_write(VMCS_GUEST_TR_LIMIT, 0xffff);
  err |= vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
  err |= vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
  err |= vmcs_write(VMCS_GUEST_RIP, 0);
  return err ? -EIO : 0;
}
