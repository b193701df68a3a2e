/* A VT-x self-test at boot: run a 16-byte guest in 32-bit protected mode
 * with paging off (the state PVH guests start in), through EPT, VPID and
 * unrestricted guest, and check its VMCALL and HLT exits.  It proves on
 * this machine what every domain will rely on, before any domain exists. */
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/traps.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>

struct guest_regs {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

int vmx_enter(struct guest_regs *regs, int launched);
extern char vmx_exit[];
uint64_t traps_tss_base(void);

#define EPT_RWX 0x7ULL
#define EPT_WB (6ULL << 3)
#define GUEST_CODE_GPA 0x1000
#define SELFTEST_MAGIC 0x6d696361 /* "mica" */

#define SELFTEST_CALLS 100

/* mov $SELFTEST_MAGIC, %eax; mov $SELFTEST_CALLS, %ecx; 1: vmcall; loop 1b; hlt */
static const uint8_t guest_code[] = {
  0xb8, 0x61, 0x63, 0x69, 0x6d, 0xb9, SELFTEST_CALLS, 0x00, 0x00, 0x00,
  0x0f, 0x01, 0xc1, 0xe2, 0xfb, 0xf4,
};

/* A control value honouring the capability MSR: bits the CPU requires are
 * set, bits it does not allow are cleared (SDM A.3). */
static uint32_t adjust(uint32_t msr, uint32_t want)
{
  uint64_t cap = rdmsr(msr);
  return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

static int setup_vmcs(paddr_t ept_pml4)
{
  bool true_ctls = rdmsr(MSR_IA32_VMX_BASIC) & (1ULL << 55);
  struct {
    uint16_t limit;
    uint64_t base;
  } __packed gdtr, idtr;
  asm volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
  int err = 0;

  err |= vmcs_write(VMCS_PIN_CONTROLS,
                    adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
                           PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING));
  err |= vmcs_write(VMCS_PROC_CONTROLS,
                    adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
                           PROC_HLT_EXITING | PROC_UNCOND_IO_EXITING | PROC_ACTIVATE_SECONDARY));
  err |= vmcs_write(VMCS_PROC_CONTROLS2,
                    adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
                           PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST));
  err |= vmcs_write(VMCS_EXIT_CONTROLS,
                    adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
                           EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER));
  err |= vmcs_write(VMCS_ENTRY_CONTROLS,
                    adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
                           ENTRY_LOAD_IA32_EFER));
  err |= vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
  err |= vmcs_write(VMCS_VPID, 1);
  /* EPT: write-back, 4-level walk (SDM 24.6.11). */
  err |= vmcs_write(VMCS_EPT_POINTER, ept_pml4 | (3 << 3) | 6);
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
  err |= vmcs_write(VMCS_HOST_GS_BASE, 0);
  err |= vmcs_write(VMCS_HOST_TR_BASE, traps_tss_base());
  err |= vmcs_write(VMCS_HOST_GDTR_BASE, gdtr.base);
  err |= vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
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
  err |= vmcs_write(VMCS_CR4_MASK, X86_CR4_VMXE);
  err |= vmcs_write(VMCS_CR4_READ_SHADOW, 0);
  err |= vmcs_write(VMCS_GUEST_CR3, 0);
  static const uint32_t sel[] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL,
                                  VMCS_GUEST_DS_SEL, VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL };
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
  err |= vmcs_write(VMCS_GUEST_RIP, GUEST_CODE_GPA);
  err |= vmcs_write(VMCS_GUEST_RSP, 0);
  err |= vmcs_write(VMCS_GUEST_IA32_EFER, 0);
  err |= vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);
  err |= vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
  return err ? -EIO : 0;
}

/* Run the guest to its HLT; returns 0 when it made exactly SELFTEST_CALLS
 * VMCALLs, then halted.  *ticks: TSC ticks per VMCALL round trip (guest
 * loop, exit, this loop, entry), an instruction count under Bochs. */
static int run(uint64_t *ticks)
{
  struct guest_regs regs;
  unsigned int vmcalls = 0;
  uint64_t start = rdtsc();

  memset(&regs, 0, sizeof(regs));
  for (int launched = 0, exits = 0; exits < 2 * SELFTEST_CALLS; launched = 1, exits++) {
    irq_disable(); /* interrupts that arrive in the guest exit to us */
    int err = vmx_enter(&regs, launched);
    irq_enable();
    if (err) {
      pr_err("vmx: self-test: VM entry failed, VM-instruction error %llu",
             (unsigned long long)vmcs_read(VMCS_VM_INSTRUCTION_ERROR));
      return -EIO;
    }
    uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);
    switch (reason) {
    case EXIT_REASON_EXTERNAL_INTERRUPT:
      continue; /* handled by the host when interrupts came back on */
    case EXIT_REASON_VMCALL:
      if (regs.rax != SELFTEST_MAGIC) {
        pr_err("vmx: self-test: VMCALL with eax 0x%llx", (unsigned long long)regs.rax);
        return -EIO;
      }
      vmcalls++;
      vmcs_write(VMCS_GUEST_RIP,
                 vmcs_read(VMCS_GUEST_RIP) + vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
      continue;
    case EXIT_REASON_HLT:
      *ticks = (rdtsc() - start) / SELFTEST_CALLS;
      if (vmcalls == SELFTEST_CALLS)
        return 0;
      pr_err("vmx: self-test: %u VMCALLs, not %u", vmcalls, SELFTEST_CALLS);
      return -EIO;
    default:
      pr_err("vmx: self-test: unexpected exit reason 0x%x, qualification 0x%llx, rip 0x%llx",
             reason, (unsigned long long)vmcs_read(VMCS_EXIT_QUALIFICATION),
             (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
      return -EIO;
    }
  }
  pr_err("vmx: self-test: the guest did not halt");
  return -EIO;
}

int vmx_selftest(void)
{
  /* The VMCS, the guest's one page, and a 4-level EPT mapping it at
   * GUEST_CODE_GPA. */
  enum { VMCS, CODE, PML4, PDPT, PD, PT, NR };
  paddr_t f[NR];
  uint64_t ticks = 0;
  int err = -ENOMEM;

  for (unsigned int i = 0; i < NR; i++)
    f[i] = frame_alloc_zeroed();
  for (unsigned int i = 0; i < NR; i++)
    if (!f[i])
      goto out;
  memcpy(phys_to_virt(f[CODE]), guest_code, sizeof(guest_code));
  for (unsigned int level = PML4; level < PT; level++)
    *(uint64_t *)phys_to_virt(f[level]) = f[level + 1] | EPT_RWX; /* entry 0 */
  ((uint64_t *)phys_to_virt(f[PT]))[GUEST_CODE_GPA >> PAGE_SHIFT] = f[CODE] | EPT_RWX | EPT_WB;

  *(uint32_t *)phys_to_virt(f[VMCS]) = vmx_caps.vmcs_revision;
  err = vmcs_clear(f[VMCS]) ?: vmcs_load(f[VMCS]) ?: setup_vmcs(f[PML4]);
  if (!err)
    err = run(&ticks);
  vmcs_clear(f[VMCS]); /* nothing may stay cached in the CPU once freed */
out:
  if (!err)
    pr_info("vmx: self-test passed: a guest ran through EPT, %u VMCALL exits and HLT "
            "(%llu TSC ticks per VMCALL round trip)",
            SELFTEST_CALLS, (unsigned long long)ticks);
  else
    pr_err("vmx: self-test FAILED (%d)", err);
  for (unsigned int i = 0; i < NR; i++)
    if (f[i])
      frame_free(f[i]);
  return err;
}
