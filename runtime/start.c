/* From head.S to guest_main() and back out: start-info checks, the test's
 * outcome and the ways a test guest ends. */
#include <public/sched.h>

#include "guest.h"
#include "hypercall.h"
#include "runtime.h"

/* Set by head.S when the loader left non-zero bytes in .bss. */
extern uint32_t boot_bss_dirty;

/* Called once by head.S in 64-bit mode with the EBX it was entered with. */
__attribute__((noreturn)) void runtime_start(uint32_t si_paddr)
{
  const struct hvm_start_info *si = (const struct hvm_start_info *)(uintptr_t)si_paddr;

  trap_init();

  /* A domain-builder bug is the most likely failure here: say which. */
  if (boot_bss_dirty) {
    printf("runtime: the loader left .bss non-zero (ELF p_memsz past p_filesz must be zeroed)\n");
    guest_exit(0);
  }
  if (si->magic != XEN_HVM_START_MAGIC_VALUE) {
    printf("runtime: bad hvm_start_info at %p: magic 0x%x, want 0x%x\n", (const void *)si,
           si->magic, XEN_HVM_START_MAGIC_VALUE);
    guest_exit(0);
  }
  guest_exit(guest_main(si) == 0);
}

void guest_exit(int ok)
{
  puts(ok ? "TEST PASS" : "TEST FAIL");
  xen_sched_shutdown(ok ? SHUTDOWN_poweroff : SHUTDOWN_crash);
  /* Still here: the hypervisor ignored the shutdown.  End it harder. */
  printf("runtime: SCHEDOP_shutdown returned; triple faulting\n");
  guest_triple_fault();
}

void runtime_empty_idt(void)
{
  /* LIDT reads a 32-bit base outside 64-bit mode: the rest is ignored. */
  static const struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) empty_idt = {0, 0};

  __asm__ volatile("lidt %0" : : "m"(empty_idt));
}

void guest_triple_fault(void)
{
  /* A zero-limit IDT makes every vector's delivery fault: int3 -> #GP ->
   * #DF -> triple fault (SDM vol. 3 6.15, interrupt 8), a VM exit. */
  runtime_empty_idt();
  __asm__ volatile("int3");
  for (;;)
    __asm__ volatile("hlt");
}

const char *guest_cmdline(const struct hvm_start_info *si)
{
  if (si->cmdline_paddr == 0)
    return "";
  /* Only the first 4 GiB are mapped; the PVH ABI keeps it below that. */
  if (si->cmdline_paddr >= (1ULL << 32) - 4096) {
    printf("runtime: cmdline_paddr 0x%llx is not below 4 GiB; ignoring it\n",
           (unsigned long long)si->cmdline_paddr);
    return "";
  }
  return (const char *)(uintptr_t)si->cmdline_paddr;
}
