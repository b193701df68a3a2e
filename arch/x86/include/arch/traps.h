/* Descriptor tables, the trap frame and interrupt vectors. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <hv/types.h>

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS 0x18

/* Interrupt vectors we use (exceptions are 0..31). */
#define VEC_SERIAL 0x40 /* the UARTs' receive interrupt (arch/x86/serial.c) */
#define VEC_TIMER 0xf0
#define VEC_KICK 0xf1      /* arch_cpu_kick: leave guest mode or halt, nothing more */
#define VEC_EPT_FLUSH 0xf2 /* smp_flush_ept: INVEPT, then answer */
#define VEC_SPURIOUS 0xff

/* What arch/x86/entry.S pushes: the general registers, then the vector and
 * error code, then the CPU's own interrupt frame (SDM vol. 3, 6.14.1). */
struct cpu_regs {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error;
  uint64_t rip, cs, rflags, rsp, ss;
};

/* Build the IDT and set up the boot CPU (traps_init_cpu on its static
 * per-CPU state). */
void traps_init(void);
struct per_cpu;
/* Load this CPU's GDT, TSS (IST stacks for #DF, NMI, #MC) and the IDT;
 * GS points at pc from now on. */
void traps_init_cpu(struct per_cpu *pc);

/* Called from entry.S for every vector. */
void trap_dispatch(struct cpu_regs *regs);

/* Handler for one external interrupt vector (32..255); NULL removes it. */
void traps_set_irq_handler(unsigned int vector, void (*fn)(struct cpu_regs *));

/* Print the crash dump for regs (vector, error code, registers, RIP with
 * its symbol, a frame-pointer backtrace). */
void traps_dump(const struct cpu_regs *regs);

/* Is [addr, addr+len) inside one of the hypervisor's stacks? */
bool traps_on_stack(uint64_t addr, uint64_t len);

/* The boot CPU's guard page below IST stack i (paging.c unmaps them). */
const void *traps_bsp_guard(unsigned int i);

#endif
