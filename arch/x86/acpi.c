/* ACPI: placeholder until the table parser lands. */
#include <arch/acpi.h>
#include <hv/errno.h>

struct acpi_info acpi_info;

int acpi_init(const uint8_t *rsdp, unsigned int rsdp_len)
{
  (void)rsdp;
  (void)rsdp_len;
  return -ENOENT;
}

void acpi_power_off(void) {}
void acpi_reset(void) {}
