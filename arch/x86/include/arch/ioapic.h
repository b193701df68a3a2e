/* The I/O APIC (arch/x86/ioapic.c). */
#ifndef ARCH_IOAPIC_H
#define ARCH_IOAPIC_H

#include <hv/types.h>

/* Deliver ISA interrupt irq (0-15, through the MADT's overrides) as
 * `vector`, fixed, to the CPU with APIC id apic_id.  Needs acpi_init().
 * Returns 0; -ENOENT when no I/O APIC serves its GSI (no ACPI tables);
 * -EINVAL for irq > 15; -ERANGE for an APIC id above 255. */
int ioapic_route_isa(unsigned int irq, uint8_t vector, uint32_t apic_id);

#endif
