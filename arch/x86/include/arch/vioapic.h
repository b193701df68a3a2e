/* The hardware domain's emulated I/O APICs, bound to the host's lines
 * (arch/x86/vioapic.c). */
#ifndef ARCH_VIOAPIC_H
#define ARCH_VIOAPIC_H

#include <hv/types.h>

struct domain;
struct vcpu;

/* d (the hardware domain) gets one emulated I/O APIC per host I/O APIC,
 * every pin masked.  Returns 0. */
int vioapic_init(struct domain *d);
/* An access of n bytes at gpa that the p2m has nothing behind: if it is
 * in one of v's domain's I/O APIC pages, served (true); else false. */
bool vioapic_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int n, bool write);
/* d's local APIC took an EOI for a level-triggered vector: the pins that
 * delivered it may fire again. */
void vioapic_eoi(struct domain *d, uint8_t vector);

#endif
