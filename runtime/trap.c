/* Exceptions in a test guest: any exception is a bug in the guest or the
 * hypervisor, so report it on the console and crash the domain. */
#include "guest.h"
#include "runtime.h"

/* What trap_entry.S leaves on the stack (lowest address first). */
struct trap_frame {
  uint64_t vector;
  uint64_t error; /* 0 when the CPU pushes none */
  uint64_t rip, cs, rflags, rsp, ss;
};

/* A 64-bit IDT gate (SDM vol. 3 figure 6-8). */
struct idt_gate {
  uint16_t offset_lo;
  uint16_t selector;
  uint8_t ist;
  uint8_t type; /* P, DPL 0, type 0xe: 64-bit interrupt gate */
  uint16_t offset_mid;
  uint32_t offset_hi;
  uint32_t reserved;
};

#define NR_EXCEPTIONS 32
#define NR_VECTORS 256
#define SEL_CODE64 0x08 /* head.S's GDT */
#define GATE_INTERRUPT 0x8e

extern const uint64_t trap_stubs[NR_EXCEPTIONS]; /* trap_entry.S */

static struct idt_gate idt[NR_VECTORS];

extern const char irq_stubs[]; /* trap_entry.S: 16 bytes per vector from 32 */
static void (*irq_fn[NR_VECTORS])(unsigned int vector);

static const char *const exception_names[NR_EXCEPTIONS] = {
    "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS",
    "NP", "SS", "GP",  "PF", "15", "MF", "AC", "MC", "XM", "VE",  "CP",
    "22", "23", "24",  "25", "26", "27", "HV", "VC", "SX", "31",
};

void trap_init(void)
{
  /* The 32 exception vectors; interrupt vectors stay not present (a stray
   * one raises #NP, reported) until guest_set_irq_vector fills one. */
  for (int v = 0; v < NR_EXCEPTIONS; v++) {
    uint64_t addr = trap_stubs[v];

    idt[v] = (struct idt_gate){
        .offset_lo = (uint16_t)addr,
        .selector = SEL_CODE64,
        .type = GATE_INTERRUPT,
        .offset_mid = (uint16_t)(addr >> 16),
        .offset_hi = (uint32_t)(addr >> 32),
    };
  }

  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) desc = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

  __asm__ volatile("lidt %0" : : "m"(desc));
}

void guest_set_irq_vector(unsigned int vector, void (*fn)(unsigned int vector))
{
  if (vector < NR_EXCEPTIONS || vector >= NR_VECTORS)
    return;
  uint64_t addr = (uint64_t)(uintptr_t)(irq_stubs + (vector - NR_EXCEPTIONS) * 16);
  irq_fn[vector] = fn;
  idt[vector] = (struct idt_gate){
      .offset_lo = (uint16_t)addr,
      .selector = SEL_CODE64,
      .type = GATE_INTERRUPT,
      .offset_mid = (uint16_t)(addr >> 16),
      .offset_hi = (uint32_t)(addr >> 32),
  };
}

/* Called by irq_common (interrupts off, caller-saved registers saved)
 * with the stub's vector, 32..255. */
void irq_dispatch(unsigned int vector)
{
  void (*fn)(unsigned int) = irq_fn[vector & (NR_VECTORS - 1)];
  if (fn)
    fn(vector);
}

/* ---- MSR accesses that may #GP ----
 * guest_rdmsr_safe / guest_wrmsr_safe: trap_fixup moves RIP from the
 * RDMSR or WRMSR to the function's fault exit, which returns -1. */
/* clang-format off */
__asm__(
    ".pushsection .text\n"
    ".global guest_rdmsr_safe\n"
    "guest_rdmsr_safe:\n"
    "  mov %edi, %ecx\n"
    "rdmsr_safe_insn:\n"
    "  rdmsr\n"
    "  shl $32, %rdx\n"
    "  or %rdx, %rax\n"
    "  mov %rax, (%rsi)\n"
    "  xor %eax, %eax\n"
    "  ret\n"
    "rdmsr_safe_fault:\n"
    "  mov $-1, %eax\n"
    "  ret\n"
    ".global guest_wrmsr_safe\n"
    "guest_wrmsr_safe:\n"
    "  mov %edi, %ecx\n"
    "  mov %rsi, %rax\n"
    "  mov %rsi, %rdx\n"
    "  shr $32, %rdx\n"
    "wrmsr_safe_insn:\n"
    "  wrmsr\n"
    "  xor %eax, %eax\n"
    "  ret\n"
    "wrmsr_safe_fault:\n"
    "  mov $-1, %eax\n"
    "  ret\n"
    ".popsection\n");
/* clang-format on */
extern const char rdmsr_safe_insn[], rdmsr_safe_fault[], wrmsr_safe_insn[], wrmsr_safe_fault[];

/* ---- Exceptions on purpose ----
 * guest_catch(fn, arg) saves the callee-saved registers and its stack
 * pointer (guest_catch_rsp), then calls fn(arg).  An exception while it
 * is set goes to catch_fault (trap_fixup below): back on guest_catch's
 * stack, in ring 0, returning the vector.  The extra 8 bytes keep the
 * call 16-byte aligned. */
/* Not static: the assembly below names them. */
uint64_t guest_catch_rsp, guest_catch_vector;
/* clang-format off */
__asm__(
    ".pushsection .text\n"
    ".global guest_catch\n"
    "guest_catch:\n"
    "  push %rbp\n"
    "  push %rbx\n"
    "  push %r12\n"
    "  push %r13\n"
    "  push %r14\n"
    "  push %r15\n"
    "  sub $8, %rsp\n"
    "  mov %rsp, guest_catch_rsp(%rip)\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %rdi\n"
    "  call *%rax\n"
    "  mov $-1, %eax\n"
    "catch_done:\n"
    "  movq $0, guest_catch_rsp(%rip)\n"
    "  add $8, %rsp\n"
    "  pop %r15\n"
    "  pop %r14\n"
    "  pop %r13\n"
    "  pop %r12\n"
    "  pop %rbx\n"
    "  pop %rbp\n"
    "  ret\n"
    "catch_fault:\n"
    "  mov guest_catch_rsp(%rip), %rsp\n"
    "  mov guest_catch_vector(%rip), %eax\n"
    "  jmp catch_done\n"
    ".popsection\n");
/* clang-format on */
extern const char catch_fault[];

#define VEC_GP 13
#define SEL_DATA 0x10 /* head.S's GDT */

/* Called by trap_common first: 1 when the exception was expected (a #GP
 * of a safe MSR access, or anything inside guest_catch), with RIP now at
 * its fault exit. */
int trap_fixup(struct trap_frame *f)
{
  if (f->vector == VEC_GP && f->rip == (uint64_t)(uintptr_t)rdmsr_safe_insn) {
    f->rip = (uint64_t)(uintptr_t)rdmsr_safe_fault;
    return 1;
  }
  if (f->vector == VEC_GP && f->rip == (uint64_t)(uintptr_t)wrmsr_safe_insn) {
    f->rip = (uint64_t)(uintptr_t)wrmsr_safe_fault;
    return 1;
  }
  if (!guest_catch_rsp)
    return 0;
  /* The fault may come from ring 3 (guest_catch's fn went there): the
   * return is to ring 0 either way. */
  guest_catch_vector = f->vector;
  f->rip = (uint64_t)(uintptr_t)catch_fault;
  f->cs = SEL_CODE64;
  f->ss = SEL_DATA;
  f->rsp = guest_catch_rsp;
  return 1;
}

/* Called by trap_entry.S with the frame; never returns. */
__attribute__((noreturn)) void trap_handler(const struct trap_frame *f)
{
  static int nesting;
  uint64_t cr2;

  /* A fault while reporting one (say, the console hypercall faults):
   * printing again would loop, so end the domain without a word. */
  if (nesting++)
    guest_triple_fault();

  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  printf("trap: vector %llu (#%s) error 0x%llx rip 0x%llx rsp 0x%llx rflags 0x%llx cr2 0x%llx\n",
         (unsigned long long)f->vector, exception_names[f->vector & (NR_EXCEPTIONS - 1)],
         (unsigned long long)f->error, (unsigned long long)f->rip, (unsigned long long)f->rsp,
         (unsigned long long)f->rflags, (unsigned long long)cr2);
  guest_exit(0);
}
