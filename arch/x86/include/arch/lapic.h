/* Local APIC (xAPIC MMIO or x2APIC MSRs, SDM vol. 3, chapter 11). */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <hv/types.h>

/* Register offsets in the xAPIC MMIO page; x2APIC MSR = 0x800 + off/16. */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define LVT_MASKED (1U << 16)

/* Enable the local APIC (x2APIC mode when the CPU has it), mask the legacy
 * PICs.  Returns false if the CPU has no APIC. */
bool lapic_init(void);
bool lapic_is_x2apic(void);
uint32_t lapic_read(unsigned int reg);
void lapic_write(unsigned int reg, uint32_t val);
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
/* This CPU's APIC id. */
uint32_t lapic_id(void);
/* Send an IPI: icr_low is the ICR's low word (vector, delivery mode,
 * level), dest the target's APIC id (SDM vol. 3, 11.6.1). */
void lapic_send_ipi(uint32_t dest, uint32_t icr_low);
#define LAPIC_ICR_INIT 0x00004500    /* INIT, level assert */
#define LAPIC_ICR_STARTUP 0x00004600 /* STARTUP | vector (start page number) */
#define LAPIC_ICR_FIXED 0x00004000   /* fixed delivery, assert | vector */

/* Console input by interrupt (arch/x86/serial.c): route the selected
 * UARTs' receive interrupt to this CPU (after acpi_init and lapic_init).
 * A UART whose interrupt cannot be routed stays polled (a warning says so). */
void serial_rx_irq_init(void);

/* Calibrated clock rates (arch/x86/time.c). */
extern uint64_t time_tsc_hz, time_lapic_hz;
/* Calibrate the TSC and the LAPIC timer against the PIT, start the clock
 * and the timer interrupt. */
void time_init(void);
/* Read the RTC for the guests' wall clock (after time_init). */
void rtc_init(void);
/* Start this CPU's LAPIC timer (another CPU than the boot CPU, after
 * time_init): the same divider and vector. */
void time_init_ap(void);
/* System time (ns since boot, the clock of arch_now_ns) when the TSC
 * reads tsc: 0 for a TSC before boot, saturating far in the future. */
uint64_t time_tsc_to_ns(uint64_t tsc);
/* Busy-wait for us microseconds (the TSC must be calibrated). */
void udelay(uint64_t us);

#endif
