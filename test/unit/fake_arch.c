/* The shared arch fake of the host unit tests (fake_arch.h). */
#include <arch/arch.h>

#include "fake_arch.h"

uint64_t fake_now_ns, fake_now_step, fake_timer_deadline;
unsigned long fake_irq_depth;
unsigned int fake_cpu;
void (*fake_relax_hook)(void);

void fake_arch_reset(void)
{
  fake_now_ns = fake_now_step = fake_timer_deadline = 0;
  fake_irq_depth = 0;
  fake_cpu = 0;
  fake_relax_hook = 0;
}

uint64_t arch_now_ns(void) { return fake_now_ns += fake_now_step; }
void arch_timer_program(uint64_t deadline_ns) { fake_timer_deadline = deadline_ns; }
unsigned long arch_irq_save(void) { return fake_irq_depth++; }
void arch_irq_restore(unsigned long flags) { fake_irq_depth = flags; }
unsigned int arch_cpu_id(void) { return fake_cpu; }

void arch_cpu_relax(void)
{
  if (fake_relax_hook)
    fake_relax_hook();
}
