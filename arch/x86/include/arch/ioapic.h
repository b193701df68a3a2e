/* The I/O APIC (arch/x86/ioapic.c). */
#ifndef ARCH_IOAPIC_H
#define ARCH_IOAPIC_H

#include <hv/types.h>

/* Deliver ISA interrupt irq (0-15, through the MADT's overrides) as
 * `vector`, fixed, to the CPU with APIC id apic_id.  Needs acpi_init().
 * Returns 0; -ENOENT when no I/O APIC serves its GSI (no ACPI tables);
 * -EINVAL for irq > 15; -ERANGE for an APIC id above 255. */
int ioapic_route_isa(unsigned int irq, uint8_t vector, uint32_t apic_id);

/* Mask every redirection entry of every I/O APIC: whatever the firmware
 * left open (an ExtINT pin 0 for the 8259s' virtual wire, say) stays shut
 * until the hypervisor opens it.  At boot, before any line is routed. */
void ioapic_mask_all(void);
/* Redirection entries of the idx-th I/O APIC of the MADT (0 if none). */
unsigned int ioapic_pins(unsigned int idx);
/* Program gsi's redirection entry: fixed delivery of vector to the CPU
 * with APIC id apic_id (physical), trigger and polarity as given, masked
 * or not.  Returns 0 or -ENOENT (no I/O APIC serves gsi). */
int ioapic_program(uint32_t gsi, uint8_t vector, bool level, bool active_low, bool masked,
                   uint32_t apic_id);
/* Mask or unmask gsi's entry, the rest of it unchanged. */
void ioapic_mask(uint32_t gsi, bool masked);

#endif
