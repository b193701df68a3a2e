/* The arch side the host unit tests share (arch.h: "host unit tests
 * provide their own versions"): a clock the test moves, interrupts off and
 * on counted, the CPU the code runs on and the CPUs that are up, the
 * kicks sent, the timer it asked for, and each CPU's struct per_cpu
 * (this_cpu(), per_cpu(n): test/unit/include/arch/percpu.h).  A test sets
 * these; test/unit/fake_arch.c reads them.  Fakes of a test's
 * own (console devices, guest copies) stay in that test. */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <stdint.h>

extern uint64_t fake_now_ns;         /* what arch_now_ns() returns ... */
extern uint64_t fake_now_step;       /* ... after adding this (a clock that runs by itself) */
extern unsigned long fake_irq_depth; /* arch_irq_save() nesting */
extern unsigned int fake_cpu;        /* arch_cpu_id(), and whose this_cpu() */
extern uint64_t fake_cpu_mask;    /* arch_cpu_mask(); per_cpu(n) aborts for n not in it (but 0) */
extern unsigned int fake_kicks[]; /* arch_cpu_kick(cpu) calls, per CPU */
extern uint64_t fake_timer_deadline; /* the last arch_timer_program() */
/* arch_cpu_relax() calls it when set: a fake device acts while the code
 * under test spins waiting for it. */
extern void (*fake_relax_hook)(void);
extern unsigned long fake_zeroed_pages; /* arch_zero_page() calls */

/* Everything back to a stopped clock at 0 on CPU 0, every CPU up, no
 * kicks, every struct per_cpu zeroed. */
void fake_arch_reset(void);

#endif
