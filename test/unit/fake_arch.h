/* The arch side the host unit tests share (arch.h: "host unit tests
 * provide their own versions"): a clock the test moves, interrupts off and
 * on counted, the CPU the code runs on, and the timer it asked for.  A
 * test sets these; test/unit/fake_arch.c reads them.  Fakes of a test's
 * own (console devices, guest copies) stay in that test. */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <stdint.h>

extern uint64_t fake_now_ns;         /* what arch_now_ns() returns ... */
extern uint64_t fake_now_step;       /* ... after adding this (a clock that runs by itself) */
extern unsigned long fake_irq_depth; /* arch_irq_save() nesting */
extern unsigned int fake_cpu;        /* arch_cpu_id() */
extern uint64_t fake_timer_deadline; /* the last arch_timer_program() */
/* arch_cpu_relax() calls it when set: a fake device acts while the code
 * under test spins waiting for it. */
extern void (*fake_relax_hook)(void);

/* Everything back to a stopped clock at 0 on CPU 0. */
void fake_arch_reset(void);

#endif
