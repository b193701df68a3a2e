/* The I/O APICs: route an ISA interrupt (the UARTs' receive interrupt) to
 * a vector on one CPU, and program the redirection entries the hardware
 * domain's emulated I/O APIC (vioapic.c) binds to its devices' lines.
 * Register access goes through one lock (the interrupt handler masks a
 * line while another CPU may program one). */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/ioapic.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/spinlock.h>

/* Registers (82093AA datasheet, 3.0): an index at +0, its window at +0x10. */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01    /* bits 23:16: the highest redirection entry */
#define IOAPIC_REDTBL 0x10 /* entry n: low word at 0x10 + 2n, high at +1 */

/* Redirection entry, low word. */
#define RTE_POLARITY_LOW (1U << 13)
#define RTE_TRIGGER_LEVEL (1U << 15)
#define RTE_MASKED (1U << 16)

/* MPS INTI flags of a MADT interrupt source override (ACPI 6.5, 5.2.12.5). */
#define INTI_POLARITY_MASK 0x3
#define INTI_POLARITY_LOW 0x3
#define INTI_TRIGGER_MASK 0xc
#define INTI_TRIGGER_LEVEL 0xc

static struct spinlock ioapic_lock = SPINLOCK_INIT;

static uint32_t ioapic_read(uint64_t base, uint32_t reg)
{
  *(volatile uint32_t *)(uintptr_t)(base + IOREGSEL) = reg;
  return *(volatile uint32_t *)(uintptr_t)(base + IOWIN);
}

static void ioapic_write(uint64_t base, uint32_t reg, uint32_t val)
{
  *(volatile uint32_t *)(uintptr_t)(base + IOREGSEL) = reg;
  *(volatile uint32_t *)(uintptr_t)(base + IOWIN) = val;
}

int ioapic_route_isa(unsigned int irq, uint8_t vector, uint32_t apic_id)
{
  const struct acpi_info *ai = &acpi_info;

  if (irq >= ARRAY_SIZE(ai->isa_gsi))
    return -EINVAL;
  if (apic_id > 0xff)
    return -ERANGE; /* physical destination mode has 8 bits */
  uint32_t gsi = ai->isa_gsi[irq];
  uint16_t flags = ai->isa_flags[irq];
  /* ISA's own convention (flags 0) is active high and edge triggered. */
  int err = ioapic_program(gsi, vector, (flags & INTI_TRIGGER_MASK) == INTI_TRIGGER_LEVEL,
                           (flags & INTI_POLARITY_MASK) == INTI_POLARITY_LOW, false, apic_id);
  if (!err)
    pr_debug("ioapic: ISA IRQ %u (GSI %u) -> vector 0x%x on APIC %u", irq, gsi, vector, apic_id);
  return err;
}

/* The I/O APIC serving gsi and its pin there; false if none does. */
static bool gsi_pin(uint32_t gsi, uint64_t *base, uint32_t *pin)
{
  const struct acpi_info *ai = &acpi_info;
  for (unsigned int i = 0; i < ai->nr_ioapics; i++) {
    uint32_t first = ai->ioapics[i].gsi_base;
    if (gsi >= first && gsi - first < ioapic_pins(i)) {
      *base = ai->ioapics[i].addr;
      *pin = gsi - first;
      return true;
    }
  }
  return false;
}

unsigned int ioapic_pins(unsigned int idx)
{
  if (idx >= acpi_info.nr_ioapics)
    return 0;
  unsigned long flags = arch_irq_save();
  spin_lock(&ioapic_lock);
  uint32_t ver = ioapic_read(acpi_info.ioapics[idx].addr, IOAPIC_VER);
  spin_unlock(&ioapic_lock);
  arch_irq_restore(flags);
  return ((ver >> 16) & 0xff) + 1;
}

int ioapic_program(uint32_t gsi, uint8_t vector, bool level, bool active_low, bool masked,
                   uint32_t apic_id)
{
  /* Masked while the destination changes, then as asked. */
  uint64_t base;
  uint32_t pin;
  if (!gsi_pin(gsi, &base, &pin))
    return -ENOENT;
  uint32_t low = vector | (level ? RTE_TRIGGER_LEVEL : 0) | (active_low ? RTE_POLARITY_LOW : 0) |
                 (masked ? RTE_MASKED : 0);
  unsigned long flags = arch_irq_save();
  spin_lock(&ioapic_lock);
  ioapic_write(base, IOAPIC_REDTBL + 2 * pin, RTE_MASKED);
  ioapic_write(base, IOAPIC_REDTBL + 2 * pin + 1, apic_id << 24);
  ioapic_write(base, IOAPIC_REDTBL + 2 * pin, low);
  spin_unlock(&ioapic_lock);
  arch_irq_restore(flags);
  return 0;
}

void ioapic_mask(uint32_t gsi, bool masked)
{
  uint64_t base;
  uint32_t pin;
  if (!gsi_pin(gsi, &base, &pin))
    return;
  unsigned long flags = arch_irq_save();
  spin_lock(&ioapic_lock);
  uint32_t low = ioapic_read(base, IOAPIC_REDTBL + 2 * pin);
  ioapic_write(base, IOAPIC_REDTBL + 2 * pin, masked ? low | RTE_MASKED : low & ~RTE_MASKED);
  spin_unlock(&ioapic_lock);
  arch_irq_restore(flags);
}

void ioapic_mask_all(void)
{
  const struct acpi_info *ai = &acpi_info;
  for (unsigned int i = 0; i < ai->nr_ioapics; i++) {
    unsigned int pins = ioapic_pins(i);
    unsigned long flags = arch_irq_save();
    spin_lock(&ioapic_lock);
    for (unsigned int p = 0; p < pins; p++)
      ioapic_write(ai->ioapics[i].addr, IOAPIC_REDTBL + 2 * p, RTE_MASKED);
    spin_unlock(&ioapic_lock);
    arch_irq_restore(flags);
  }
}
