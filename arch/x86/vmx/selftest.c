/* A VT-x self-test at boot: run a 16-byte guest in 32-bit protected mode
 * with paging off (the state PVH guests start in), through EPT, VPID and
 * unrestricted guest, and check its VMCALL and HLT exits.  It proves on
 * this machine what every domain will rely on, before any domain exists. */
#include <arch/cpu.h>
#include <arch/domain.h>
#include <arch/mm.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>

#define EPT_RWX 0x7ULL /* the self-test builds its 4 tables by hand: no domain */
#define EPT_WB (6ULL << 3)
#define GUEST_CODE_GPA 0x1000
#define SELFTEST_MAGIC 0x6d696361 /* "mica" */

#define SELFTEST_CALLS 100

/* mov $SELFTEST_MAGIC, %eax; mov $SELFTEST_CALLS, %ecx; 1: vmcall; loop 1b; hlt */
static const uint8_t guest_code[] = {
    0xb8, 0x61, 0x63, 0x69, 0x6d, 0xb9, SELFTEST_CALLS, 0x00,
    0x00, 0x00, 0x0f, 0x01, 0xc1, 0xe2, 0xfb,           0xf4,
};

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
      vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
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
  err = vmcs_clear(f[VMCS]) ?: vmcs_load(f[VMCS]) ?: vmcs_init_pvh(f[PML4], 1, GUEST_CODE_GPA);
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
