/* x86 instructions as tiny inline functions; arch code only. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <arch/x86_bits.h>
#include <hv/types.h>

static inline void outb(uint16_t port, uint8_t v)
{
  asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
  asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
  asm volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint16_t inw(uint16_t port)
{
  uint16_t v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint32_t inl(uint16_t port)
{
  uint32_t v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
  asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void)
{
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
  uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
  struct cpuid_regs r;
  asm volatile("cpuid"
               : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

#define DEFINE_CR(n)                                                                               \
  static inline uint64_t read_cr##n(void)                                                          \
  {                                                                                                \
    uint64_t v;                                                                                    \
    asm volatile("mov %%cr" #n ", %0" : "=r"(v));                                                  \
    return v;                                                                                      \
  }                                                                                                \
  static inline void write_cr##n(uint64_t v)                                                       \
  {                                                                                                \
    asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                                           \
  }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

/* The compiler keeps memory accesses on their side of it (x86 keeps
 * stores in order and loads in order, so this orders a ring between CPUs). */
static inline void barrier(void) { asm volatile("" ::: "memory"); }
static inline void cpu_relax(void) { asm volatile("pause" ::: "memory"); }
static inline void irq_enable(void) { asm volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { asm volatile("cli" ::: "memory"); }
static inline void halt(void) { asm volatile("hlt" ::: "memory"); }
/* sti;hlt: the interrupt shadow guarantees no wake-up is missed between them. */
static inline void safe_halt(void) { asm volatile("sti; hlt" ::: "memory"); }
static inline uint64_t read_rflags(void)
{
  uint64_t f;
  asm volatile("pushfq; popq %0" : "=r"(f));
  return f;
}

/* Model-specific registers (SDM vol. 4). */
#define MSR_APIC_BASE 0x0000001b

/* CR0 / CR4 bits and EFER: arch/x86_bits.h, shared with the assembly. */

#endif
