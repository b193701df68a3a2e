/* x86's part of the per-CPU state (struct arch_per_cpu, first in the one
 * struct per_cpu of include/hv/percpu.h) with the CPU's stacks, and how a
 * CPU finds its struct per_cpu: GS points at it, and its first field
 * points at itself. */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <hv/types.h>

#define MAX_CPUS 64
_Static_assert(MAX_CPUS == HV_MAX_CPUS, "CPU numbers are the generic code's");
#define CPU_STACK_SIZE 16384
#define IST_STACK_SIZE 8192
#define NR_IST 3 /* #DF, NMI, #MC (IST slots 1..3) */

struct tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
} __packed;

/* A CPU's stacks, each with an unmapped guard page below it so an
 * overflow faults (paging.c unmaps the guards). */
struct cpu_stacks {
  struct {
    uint8_t guard[PAGE_SIZE];
    uint8_t stack[IST_STACK_SIZE];
  } ist[NR_IST];
  uint8_t guard[PAGE_SIZE];
  uint8_t stack[CPU_STACK_SIZE]; /* unused on the boot CPU: it has boot_stack */
} __aligned(PAGE_SIZE);

struct per_cpu;

struct arch_per_cpu {
  struct per_cpu *self; /* at offset 0 of struct per_cpu: this_cpu() reads %gs:0 */
  unsigned int id;      /* 0 = the boot CPU */
  uint32_t apic_id;
  volatile bool online;    /* set by the CPU itself once it is up */
  paddr_t vmxon;           /* its VMXON region, 0 while VMX is off */
  struct vcpu *vmcs_vcpu;  /* whose VMCS is active here (arch/x86/vmx/vcpu.c) */
  uint64_t sticky_msrs[5]; /* what this CPU's STAR..TSC_AUX hold (vmx/switch.c) */
  volatile bool in_sched;  /* runs the scheduler: it may cache guest
                            * translations, so EPT flushes reach it */
  uint64_t gdt[5] __aligned(16);
  struct tss tss __aligned(64);
  struct cpu_stacks stacks; /* page-aligned, and so is struct per_cpu */
};

extern struct per_cpu *cpus[MAX_CPUS]; /* the CPUs that are up; cpus[0] from the start */
extern unsigned int nr_cpus_online;

/* This CPU's state: one GS-relative load. */
static inline struct per_cpu *this_cpu(void)
{
  struct per_cpu *pc;
  asm volatile("mov %%gs:0, %0" : "=r"(pc));
  return pc;
}

/* CPU cpu's state; cpu must be up (less than nr_cpus_online). */
static inline struct per_cpu *per_cpu(unsigned int cpu) { return cpus[cpu]; }

/* Start the other CPUs the MADT lists; each comes up with its own
 * descriptor tables, stacks, LAPIC and timer and (if the boot CPU has it)
 * VMX, then waits halted until arch_start_cpus.  Prints one line per CPU
 * that fails to answer. */
struct boot_info;
struct vcpu;
void smp_init(const struct boot_info *bi);
/* After a change of the EPT whose pointer is eptp: every other CPU in the
 * scheduler drops its cached translations for it (INVEPT in an IPI's
 * handler), and this returns once all have.  The caller holds hv_lock
 * (one flush at a time) and has flushed its own CPU. */
void smp_flush_ept(uint64_t eptp);

#endif
