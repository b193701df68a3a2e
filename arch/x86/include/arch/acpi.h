/* ACPI tables: the few facts the hypervisor needs from them. */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include <hv/types.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8

struct acpi_ioapic {
  uint8_t id;
  uint32_t addr;
  uint32_t gsi_base;
};

struct acpi_info {
  bool found;                         /* an RSDP with valid tables */
  uint64_t rsdp_addr;                 /* physical, 0 if from a boot loader copy */
  uint8_t revision;                   /* RSDP revision (0: ACPI 1.0, 2: 2.0+) */
  char oem_id[7];
  /* MADT */
  unsigned int nr_cpus;               /* enabled (or online-capable) CPUs */
  uint32_t apic_ids[ACPI_MAX_CPUS];
  uint64_t lapic_addr;
  unsigned int nr_ioapics;
  struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
  /* FADT */
  bool have_fadt;
  uint32_t smi_cmd;
  uint8_t acpi_enable;
  uint32_t pm1a_cnt, pm1b_cnt;        /* I/O ports, 0 if absent */
  uint32_t pm_tmr;                    /* ACPI PM timer port, 0 if absent */
  bool s5_valid;                      /* \_S5 found in the DSDT */
  uint8_t slp_typa, slp_typb;
  bool reset_valid;                   /* FADT reset register usable */
  uint8_t reset_space;                /* 0 memory, 1 I/O */
  uint64_t reset_addr;
  uint8_t reset_value;
};

extern struct acpi_info acpi_info;

/* Find the RSDP (the boot loader's copy in rsdp/rsdp_len, else a scan of
 * the EBDA and the BIOS area), check every table's checksum and length,
 * and fill acpi_info from the MADT and FADT (and \_S5 from the DSDT).
 * Returns 0, or -ENOENT when there are no usable tables (the hypervisor
 * then runs on one CPU with fallback power control). */
int acpi_init(const uint8_t *rsdp, unsigned int rsdp_len);

/* Enter S5 (soft off) through PM1a/PM1b_CNT; returns only if that failed. */
void acpi_power_off(void);
/* Reset through the FADT reset register; returns only if that failed. */
void acpi_reset(void);

#endif
