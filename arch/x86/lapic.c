/* The local APIC: x2APIC through MSRs when present, else xAPIC MMIO.
 * The legacy 8259 PICs are remapped away from the exception vectors and
 * masked: every interrupt we use comes through the LAPIC. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <hv/printk.h>

#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)
#define SVR_ENABLE (1U << 8)

static bool x2apic;
static volatile uint32_t *mmio;

bool lapic_is_x2apic(void) { return x2apic; }

uint32_t lapic_read(unsigned int reg)
{
  if (x2apic)
    return (uint32_t)rdmsr(0x800 + reg / 16);
  return mmio[reg / 4];
}

void lapic_write(unsigned int reg, uint32_t val)
{
  if (x2apic)
    wrmsr(0x800 + reg / 16, val);
  else
    mmio[reg / 4] = val;
}

static void pic_disable(void)
{
  /* ICW1..ICW4: vectors 0x20-0x2f, then mask every line. */
  outb(0x20, 0x11);
  outb(0xa0, 0x11);
  outb(0x21, 0x20);
  outb(0xa1, 0x28);
  outb(0x21, 4);
  outb(0xa1, 2);
  outb(0x21, 1);
  outb(0xa1, 1);
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
}

bool lapic_init(void)
{
  struct cpuid_regs r = cpuid(1, 0);
  if (!(r.edx & (1U << 9)))
    return false;
  pic_disable();

  uint64_t base = rdmsr(MSR_APIC_BASE);
  x2apic = r.ecx & (1U << 21);
  base |= APIC_BASE_ENABLE;
  if (x2apic)
    base |= APIC_BASE_X2APIC;
  wrmsr(MSR_APIC_BASE, base);
  mmio = (volatile uint32_t *)(uintptr_t)(base & 0xfffff000ULL);

  lapic_write(LAPIC_TPR, 0);
  lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
  /* LINT0 is where the 8259s' output arrives (ExtINT, as firmware leaves
   * it on the boot CPU): masked, since the 8259s are the hardware
   * domain's to program as it likes. */
  lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
  lapic_write(LAPIC_SVR, SVR_ENABLE | 0xff);
  return true;
}

uint32_t lapic_id(void) { return x2apic ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24; }

void lapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
  if (x2apic) {
    wrmsr(0x830, ((uint64_t)dest << 32) | icr_low); /* one 64-bit ICR */
    return;
  }
  mmio[0x310 / 4] = dest << 24;
  mmio[0x300 / 4] = icr_low;
  for (int i = 0; i < 1000000 && (mmio[0x300 / 4] & (1U << 12)); i++)
    cpu_relax(); /* delivery status: wait until sent */
}
