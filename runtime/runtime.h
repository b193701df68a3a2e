/* Runtime internals shared between runtime/ files; guests use guest.h. */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdint.h>

struct trap_frame;

/* head.S calls this in 64-bit mode with the EBX it was entered with. */
__attribute__((noreturn)) void runtime_start(uint32_t si_paddr);

/* Fill the IDT with the exception stubs of trap_entry.S and load it
 * (rt32.c, for the 32-bit guests: load an empty one). */
void trap_init(void);

/* Load an IDT of limit 0 (start.c): every exception then ends in a triple
 * fault, which the hypervisor reports as it crashes the domain. */
void runtime_empty_idt(void);

/* trap_entry.S calls this first with the frame of any exception: 1 when
 * it moved RIP to a fault exit (the exception is handled), else 0. */
int trap_fixup(struct trap_frame *f);

/* Then this, if trap_fixup did not handle it. */
__attribute__((noreturn)) void trap_handler(const struct trap_frame *f);

#endif
