/* The x86 side of start-up: what hv_start() asks of the arch. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <arch/paging.h>
#include <arch/screen.h>
#include <arch/traps.h>
#include <arch/vmx.h>
#include <hv/boot_info.h>
#include <hv/percpu.h>
#include <hv/printk.h>

extern char __image_start[], __image_end[];
extern uint64_t boot_tsc;

void arch_early_init(void) { traps_init(); }

void arch_image_range(paddr_t *start, paddr_t *end)
{
  *start = (paddr_t)(uintptr_t)__image_start;
  *end = (paddr_t)(uintptr_t)__image_end;
}

void arch_paging_init(const struct boot_info *bi)
{
  /* Map everything below 4 GiB (firmware tables, the LAPIC and IO-APIC)
   * and all memory above it that is not merely "reserved": firmwares list
   * huge reserved MMIO windows up there (QEMU: up to 1 TiB). */
  uint64_t top = GiB(4);
  for (unsigned int i = 0; i < bi->nr_mem; i++)
    if (bi->mem[i].type != BOOT_MEM_RESERVED)
      top = MAX(top, bi->mem[i].start + bi->mem[i].len);
  paging_init(top);
  arch_screen_map();
}

void arch_platform_init(const struct boot_info *bi)
{
  if (acpi_init(bi->rsdp, bi->rsdp_len, !bi->uefi) == 0)
    pr_info("acpi: %u CPU(s), LAPIC at 0x%llx, %u IO-APIC(s), S5 %s, reset %s", acpi_info.nr_cpus,
            (unsigned long long)acpi_info.lapic_addr, acpi_info.nr_ioapics,
            acpi_info.s5_valid ? "yes" : "no", acpi_info.reset_valid ? "yes" : "no");
  else
    pr_warn("acpi: no usable ACPI tables: one CPU, fallback power control");
  if (!lapic_init())
    panic("this CPU has no local APIC");
  pr_info("lapic: %s mode, id %u", lapic_is_x2apic() ? "x2APIC" : "xAPIC",
          lapic_is_x2apic() ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24);
  time_init();
  rtc_init();
  ioapic_mask_all();
  serial_rx_irq_init();
  irq_enable();
  if (vmx_init() == 0) /* reports for itself; without it mica runs no domains */
    vmx_selftest();
  smp_init(bi);
}

uint64_t arch_cycles_since_boot(void) { return rdtsc() - boot_tsc; }
uint64_t arch_cycles(void) { return rdtsc(); }

void arch_idle(void) { safe_halt(); }

unsigned long arch_irq_save(void)
{
  unsigned long flags = read_rflags();
  irq_disable();
  return flags;
}

void arch_irq_restore(unsigned long flags)
{
  if (flags & (1UL << 9)) /* RFLAGS.IF */
    irq_enable();
}
