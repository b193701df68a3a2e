/* The shared arch fake of the host unit tests (fake_arch.h). */
#include <arch/arch.h>
#include <hv/percpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_arch.h"

uint64_t fake_now_ns, fake_now_step, fake_timer_deadline;
unsigned long fake_irq_depth;
unsigned int fake_cpu;
uint64_t fake_cpu_mask = ~0ULL; /* every CPU up, until a test says otherwise */
unsigned int fake_kicks[HV_MAX_CPUS];
void (*fake_relax_hook)(void);
unsigned long fake_zeroed_pages;
static struct per_cpu fake_per_cpu[HV_MAX_CPUS];

void fake_arch_reset(void)
{
  fake_now_ns = fake_now_step = fake_timer_deadline = 0;
  fake_irq_depth = 0;
  fake_cpu = 0;
  fake_cpu_mask = ~0ULL;
  memset(fake_kicks, 0, sizeof(fake_kicks));
  fake_relax_hook = 0;
  fake_zeroed_pages = 0;
  memset(fake_per_cpu, 0, sizeof(fake_per_cpu));
  for (unsigned int i = 0; i < HV_MAX_CPUS; i++)
    fake_per_cpu[i].arch.id = i;
}

uint64_t arch_now_ns(void) { return fake_now_ns += fake_now_step; }
void arch_timer_program(uint64_t deadline_ns) { fake_timer_deadline = deadline_ns; }
void arch_irq_work(void) {}
unsigned long arch_irq_save(void) { return fake_irq_depth++; }
void arch_irq_restore(unsigned long flags) { fake_irq_depth = flags; }
unsigned int arch_cpu_id(void) { return fake_cpu; }
uint64_t arch_cpu_mask(void) { return fake_cpu_mask; }

void arch_cpu_kick(unsigned int cpu)
{
  if (cpu >= HV_MAX_CPUS || cpu == fake_cpu) {
    fprintf(stderr, "fake_arch: kick of CPU %u from CPU %u\n", cpu, fake_cpu);
    abort(); /* arch.h: never this CPU */
  }
  fake_kicks[cpu]++;
}

struct per_cpu *per_cpu(unsigned int cpu)
{
  /* Only a CPU that is up has its state: 0 and those of the mask. */
  if (cpu >= HV_MAX_CPUS || (cpu && !(fake_cpu_mask >> cpu & 1))) {
    fprintf(stderr, "fake_arch: per_cpu(%u) of a CPU that is not up\n", cpu);
    abort();
  }
  return &fake_per_cpu[cpu];
}

struct per_cpu *this_cpu(void) { return per_cpu(fake_cpu); }

void arch_cpu_relax(void)
{
  if (fake_relax_hook)
    fake_relax_hook();
}

void arch_zero_page(void *page)
{
  memset(page, 0, PAGE_SIZE);
  fake_zeroed_pages++;
}
