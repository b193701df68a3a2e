/* Host interrupt vectors bound to the hardware domain's device interrupts
 * (arch/x86/irq_bind.c).  The emulated I/O APIC's lines (vioapic.c) and
 * the MSI and MSI-X messages of dom0's devices (vmsi.c) share one
 * allocator of vectors on the boot CPU, one interrupt handler and one
 * deferred delivery: the handler marks the vector pending and raises the
 * timer flag; arch_irq_work, under hv_lock, calls the binding's deliver
 * function, which passes the interrupt on with irq_bind_inject. */
#ifndef ARCH_IRQ_BIND_H
#define ARCH_IRQ_BIND_H

#include <hv/types.h>

struct domain;

#define IRQ_BIND_FIRST 0x50 /* host vectors for dom0's interrupts: 0x50..0xef */
#define IRQ_BIND_LAST 0xef

/* What a binding does with its interrupt; arg and idx are the binding's
 * (vioapic: the GSI; vmsi: the device and the message). */
struct irq_bind_ops {
  /* In the interrupt handler, before the EOI, without hv_lock (may be
   * NULL): what cannot wait, such as masking a level-triggered line. */
  void (*irq)(void *arg, unsigned int idx);
  /* Under hv_lock (arch_irq_work): pass the interrupt on. */
  void (*deliver)(void *arg, unsigned int idx);
};

/* The hardware domain d owns every bound interrupt from now on; host
 * vectors go to this CPU (the boot CPU). */
void irq_bind_init(struct domain *d);
/* The domain irq_bind_init named, or NULL. */
struct domain *irq_bind_owner(void);
/* The APIC id of the CPU every bound host vector is delivered to. */
uint32_t irq_bind_dest(void);

/* A free host vector, bound to ops (which must outlive the binding) with
 * arg and idx.  Vectors are handed out in turn, so one just freed is the
 * last to come back (a message already on its way finds it unbound).
 * Returns the vector, or -ENOSPC when none is left. */
int irq_bind_alloc(const struct irq_bind_ops *ops, void *arg, unsigned int idx);
/* Unbind vector (from irq_bind_alloc): an interrupt still pending on it
 * is dropped, a later one is acknowledged and dropped. */
void irq_bind_free(unsigned int vector);

/* Deliver vector (fixed) into the owner's vcpu named by dest: the vcpu
 * whose id is dest in physical mode, else vcpu 0; level sets its TMR bit
 * (its EOI reaches vioapic_eoi).  Nothing when the owner is not running.
 * Under hv_lock. */
void irq_bind_inject(uint8_t vector, uint32_t dest, bool logical, bool level);

#endif
