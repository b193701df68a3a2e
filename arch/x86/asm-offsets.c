/* Values the assembly needs from C: structure offsets and the VMCS field
 * numbers it uses, so that they are written once, in C.  Compiled to
 * assembly only; the Makefile turns each "->NAME value" marker into
 * `#define NAME value` in build/generated/asm-offsets.h, which the .S files
 * include. */
#include <arch/domain.h>
#include <arch/vmcs.h>
#include <hv/types.h>

#define DEFINE(sym, val) asm volatile("\n.ascii \"->" #sym " %c0\"" ::"i"((long)(val)))
#define OFFSET(sym, type, field) DEFINE(sym, offsetof(struct type, field))

void asm_offsets(void);
void asm_offsets(void)
{
  /* struct guest_regs (vmx/entry.S saves and loads it) */
  OFFSET(GREGS_RAX, guest_regs, rax);
  OFFSET(GREGS_RBX, guest_regs, rbx);
  OFFSET(GREGS_RCX, guest_regs, rcx);
  OFFSET(GREGS_RDX, guest_regs, rdx);
  OFFSET(GREGS_RSI, guest_regs, rsi);
  OFFSET(GREGS_RDI, guest_regs, rdi);
  OFFSET(GREGS_RBP, guest_regs, rbp);
  OFFSET(GREGS_R8, guest_regs, r8);
  OFFSET(GREGS_R9, guest_regs, r9);
  OFFSET(GREGS_R10, guest_regs, r10);
  OFFSET(GREGS_R11, guest_regs, r11);
  OFFSET(GREGS_R12, guest_regs, r12);
  OFFSET(GREGS_R13, guest_regs, r13);
  OFFSET(GREGS_R14, guest_regs, r14);
  OFFSET(GREGS_R15, guest_regs, r15);
  /* VMCS fields (vmcs.h has the one definition) */
  DEFINE(ASM_VMCS_HOST_RSP, VMCS_HOST_RSP);
}
