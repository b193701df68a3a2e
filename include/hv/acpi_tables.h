/* ACPI table layouts that the hypervisor writes for its guests (RSDP, XSDT,
 * FADT, MADT, DSDT header).  Written for mica from the ACPI 6.5
 * specification, chapter 5.2; the section of each is in its comment.  All
 * packed: the spec's tables have no padding, and 64-bit fields sit at
 * offsets that are not 8-byte aligned. */
#ifndef HV_ACPI_TABLES_H
#define HV_ACPI_TABLES_H

#include <hv/types.h>

/* 5.2.5.3 Root System Description Pointer, revision 2 (ACPI 2.0 and later). */
struct acpi_rsdp {
  char signature[8]; /* "RSD PTR " */
  uint8_t checksum;  /* bytes 0..19 sum to 0 */
  char oem_id[6];
  uint8_t revision;   /* 2 */
  uint32_t rsdt_addr; /* 0: we give an XSDT only */
  uint32_t length;    /* 36 */
  uint64_t xsdt_addr;
  uint8_t ext_checksum; /* all 36 bytes sum to 0 */
  uint8_t reserved[3];
} __packed;
#define ACPI_RSDP_V1_LEN 20 /* what the first checksum covers */

/* 5.2.6 System Description Table Header: at the start of every table but
 * the RSDP; checksum makes the whole table (length bytes) sum to 0. */
struct acpi_sdt_header {
  char signature[4];
  uint32_t length;
  uint8_t revision;
  uint8_t checksum;
  char oem_id[6];
  char oem_table_id[8];
  uint32_t oem_revision;
  char creator_id[4];
  uint32_t creator_revision;
} __packed;

/* 5.2.8 Extended System Description Table: the header, then 64-bit
 * addresses of the other tables. */
struct acpi_xsdt {
  struct acpi_sdt_header h; /* "XSDT", revision 1 */
  uint64_t entry[];
} __packed;

/* 5.2.3.2 Generic Address Structure. */
struct acpi_gas {
  uint8_t space_id; /* 0 memory, 1 I/O port, ... */
  uint8_t bit_width;
  uint8_t bit_offset;
  uint8_t access_size;
  uint64_t address;
} __packed;

/* 5.2.9 Fixed ACPI Description Table, revision 6 (ACPI 6.0 .. 6.5). */
struct acpi_fadt {
  struct acpi_sdt_header h; /* "FACP" */
  uint32_t firmware_ctrl;   /* FACS; 0: none (allowed when hardware-reduced) */
  uint32_t dsdt;
  uint8_t reserved0;
  uint8_t preferred_pm_profile;
  uint16_t sci_int;
  uint32_t smi_cmd;
  uint8_t acpi_enable;
  uint8_t acpi_disable;
  uint8_t s4bios_req;
  uint8_t pstate_cnt;
  uint32_t pm1a_evt_blk;
  uint32_t pm1b_evt_blk;
  uint32_t pm1a_cnt_blk;
  uint32_t pm1b_cnt_blk;
  uint32_t pm2_cnt_blk;
  uint32_t pm_tmr_blk;
  uint32_t gpe0_blk;
  uint32_t gpe1_blk;
  uint8_t pm1_evt_len;
  uint8_t pm1_cnt_len;
  uint8_t pm2_cnt_len;
  uint8_t pm_tmr_len;
  uint8_t gpe0_blk_len;
  uint8_t gpe1_blk_len;
  uint8_t gpe1_base;
  uint8_t cst_cnt;
  uint16_t p_lvl2_lat;
  uint16_t p_lvl3_lat;
  uint16_t flush_size;
  uint16_t flush_stride;
  uint8_t duty_offset;
  uint8_t duty_width;
  uint8_t day_alrm;
  uint8_t mon_alrm;
  uint8_t century;
  uint16_t iapc_boot_arch; /* ACPI_FADT_BOOT_* */
  uint8_t reserved1;
  uint32_t flags; /* ACPI_FADT_F_* */
  struct acpi_gas reset_reg;
  uint8_t reset_value;
  uint16_t arm_boot_arch;
  uint8_t minor_version;
  uint64_t x_firmware_ctrl;
  uint64_t x_dsdt;
  struct acpi_gas x_pm1a_evt_blk;
  struct acpi_gas x_pm1b_evt_blk;
  struct acpi_gas x_pm1a_cnt_blk;
  struct acpi_gas x_pm1b_cnt_blk;
  struct acpi_gas x_pm2_cnt_blk;
  struct acpi_gas x_pm_tmr_blk;
  struct acpi_gas x_gpe0_blk;
  struct acpi_gas x_gpe1_blk;
  struct acpi_gas sleep_control_reg;
  struct acpi_gas sleep_status_reg;
  uint64_t hypervisor_vendor_id;
} __packed;

/* 5.2.9.3 IA-PC Boot Architecture Flags. */
#define ACPI_FADT_BOOT_LEGACY_DEVICES (1U << 0)
#define ACPI_FADT_BOOT_8042 (1U << 1)
#define ACPI_FADT_BOOT_NO_VGA (1U << 2)
#define ACPI_FADT_BOOT_NO_MSI (1U << 3)
#define ACPI_FADT_BOOT_NO_ASPM (1U << 4)
#define ACPI_FADT_BOOT_NO_CMOS_RTC (1U << 5)

/* 5.2.9.1 Fixed ACPI Description Table Fixed Feature Flags. */
#define ACPI_FADT_F_WBINVD (1U << 0)
#define ACPI_FADT_F_PWR_BUTTON (1U << 4) /* set: no fixed power button */
#define ACPI_FADT_F_SLP_BUTTON (1U << 5) /* set: no fixed sleep button */
#define ACPI_FADT_F_HW_REDUCED_ACPI (1U << 20)

/* 5.2.12 Multiple APIC Description Table: the header, the local APIC
 * address and flags, then interrupt controller structures. */
struct acpi_madt {
  struct acpi_sdt_header h; /* "APIC" */
  uint32_t lapic_addr;
  uint32_t flags; /* bit 0 PCAT_COMPAT: dual 8259s present */
} __packed;
#define ACPI_MADT_PCAT_COMPAT (1U << 0)

/* 5.2.12.2 Processor Local APIC Structure. */
struct acpi_madt_lapic {
  uint8_t type;   /* ACPI_MADT_TYPE_LAPIC */
  uint8_t length; /* 8 */
  uint8_t acpi_processor_uid;
  uint8_t apic_id;
  uint32_t flags; /* ACPI_MADT_LAPIC_* */
} __packed;
#define ACPI_MADT_TYPE_LAPIC 0
#define ACPI_MADT_LAPIC_ENABLED (1U << 0)

/* 5.2.12.3 I/O APIC Structure. */
struct acpi_madt_ioapic {
  uint8_t type;   /* ACPI_MADT_TYPE_IOAPIC */
  uint8_t length; /* 12 */
  uint8_t id;
  uint8_t reserved;
  uint32_t addr;
  uint32_t gsi_base;
} __packed;
#define ACPI_MADT_TYPE_IOAPIC 1

/* 5.2.12.5 Interrupt Source Override Structure. */
struct acpi_madt_iso {
  uint8_t type;   /* ACPI_MADT_TYPE_ISO */
  uint8_t length; /* 10 */
  uint8_t bus;    /* 0: ISA */
  uint8_t source; /* the ISA IRQ */
  uint32_t gsi;
  uint16_t flags; /* MPS INTI flags: polarity 1:0, trigger 3:2 */
} __packed;
#define ACPI_MADT_TYPE_ISO 2

/* The spec's sizes and offsets, so a slip in a layout cannot build. */
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_addr) == 24, "RSDP XsdtAddress at 24");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "table header is 36 bytes");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT at 40");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH at 109");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags at 112");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version at 131");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT at 140");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK at 208");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT vendor at 268");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT entries start at 44");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "local APIC entry is 8 bytes");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "I/O APIC entry is 12 bytes");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "interrupt source override is 10 bytes");

#endif
