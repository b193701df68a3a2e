/* ACPI tables: the few facts the hypervisor needs from them. */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include <hv/types.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_TABLES 64
#define ACPI_MAX_MCFG 8

/* A table the root table (XSDT or RSDT) lists: its signature, where it
 * is and how long its header says it is (not checked further). */
struct acpi_table_ref {
  char sig[4];
  uint64_t addr;
  uint32_t len;
};

struct acpi_ioapic {
  uint8_t id;
  uint32_t addr;
  uint32_t gsi_base;
};

/* An MCFG allocation entry (PCI Firmware Specification 3.0, 4.1.2): the
 * ECAM of segment seg's buses start_bus..end_bus, address being where
 * bus 0's would be. */
struct acpi_mcfg {
  uint64_t address;
  uint16_t seg;
  uint8_t start_bus, end_bus;
};

struct acpi_info {
  bool found;         /* an RSDP with valid tables */
  uint64_t rsdp_addr; /* physical, 0 if from a boot loader copy */
  uint8_t revision;   /* RSDP revision (0: ACPI 1.0, 2: 2.0+) */
  char oem_id[7];
  /* Every table the root table lists, in its order (the hardware
   * domain's XSDT is made from them). */
  unsigned int nr_tables;
  struct acpi_table_ref tables[ACPI_MAX_TABLES];
  /* MADT */
  bool have_madt;
  unsigned int nr_cpus;              /* enabled (or online-capable) CPUs, 0 without a MADT */
  uint32_t apic_ids[ACPI_MAX_CPUS];  /* in MADT order: the boot CPU first */
  uint32_t acpi_uids[ACPI_MAX_CPUS]; /* each one's ACPI processor UID, ~0 when
                                      * listed online-capable but not enabled */
  uint64_t lapic_addr;               /* 0xfee00000 unless the MADT says otherwise */
  unsigned int nr_ioapics;
  struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
  /* ISA IRQ n arrives at GSI isa_gsi[n] with MPS INTI flags isa_flags[n]
   * (polarity bits 1:0, trigger bits 3:2; 0: as the bus has it, for ISA
   * active high and edge); identity unless the MADT overrides it. */
  uint32_t isa_gsi[16];
  uint16_t isa_flags[16];
  /* FADT */
  bool have_fadt;
  uint32_t smi_cmd; /* I/O port, 0 if absent */
  uint8_t acpi_enable;
  uint32_t pm1a_cnt, pm1b_cnt; /* I/O ports, 0 if absent */
  uint32_t pm_tmr;             /* ACPI PM timer port, 0 if absent */
  bool pm_tmr_32bit;           /* the PM timer counts 32 bits, not 24 */
  bool s5_valid;               /* \_S5 found in the DSDT (or an SSDT) */
  uint8_t slp_typa, slp_typb;
  bool reset_valid;    /* FADT reset register usable */
  uint8_t reset_space; /* 0 memory, 1 I/O */
  uint64_t reset_addr;
  uint8_t reset_value;
  /* MCFG */
  unsigned int nr_mcfg;
  struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
};

extern struct acpi_info acpi_info;

/* Find the RSDP (the boot loader's copy in rsdp/rsdp_len, else, when scan
 * is true (not under UEFI, which has no such areas), a scan of
 * 0x80000-0x9ffff, where every PC keeps its EBDA, and of the BIOS area
 * 0xe0000-0xfffff), check every table's signature, length and checksum, and
 * fill acpi_info from the MADT, FADT and MCFG (and \_S5 from the DSDT or an
 * SSDT).
 * Bad tables are reported with pr_warn and skipped; nothing a firmware
 * writes can make this fault.  Needs the final page tables.
 * Returns 0, or -ENOENT when there are no usable tables (the hypervisor
 * then runs on one CPU with fallback power control). */
int acpi_init(const uint8_t *rsdp, unsigned int rsdp_len, bool scan);

/* Enter S5 (soft off) through PM1a/PM1b_CNT; returns only if that failed. */
void acpi_power_off(void);
/* Reset through the FADT reset register; returns only if that failed. */
void acpi_reset(void);

#endif
