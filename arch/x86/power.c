/* Power off, reboot and halt.  ACPI first; then what emulators and old
 * chipsets understand; finally halt with interrupts off. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/vmx.h>
#include <hv/console.h>

__noreturn void arch_halt_forever(void)
{
  for (;;) {
    irq_disable();
    halt();
  }
}

__noreturn void arch_power_off(void)
{
  console_flush();
  irq_disable();
  acpi_power_off();
  /* Bochs and old QEMU: the APM shutdown port. */
  for (const char *s = "Shutdown"; *s; s++)
    outb(0x8900, (uint8_t)*s);
  pr_err("mica: power off failed; halting");
  console_flush();
  arch_halt_forever();
}

__noreturn void arch_reboot(void)
{
  console_flush();
  irq_disable();
  vmx_shutdown();
  acpi_reset();
  outb(0xcf9, 0x02); /* PCI reset control: hard reset (0x06 = set + go) */
  outb(0xcf9, 0x06);
  for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
    cpu_relax();
  outb(0x64, 0xfe); /* keyboard controller: pulse the reset line */
  /* Last resort: a triple fault through an empty IDT. */
  struct {
    uint16_t limit;
    uint64_t base;
  } __packed empty = {0, 0};
  asm volatile("lidt %0; int3" ::"m"(empty));
  arch_halt_forever();
}
