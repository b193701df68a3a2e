/* What the boot path (multiboot2 today, GNU-EFI later) hands to hv_start().
 * Every field has been validated by the parser that filled it in. */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include <hv/types.h>

#define BOOT_MAX_MEM 128
#define BOOT_MAX_MODS 32
#define BOOT_STRING_MAX 256
#define BOOT_CMDLINE_MAX 1024
#define BOOT_RSDP_MAX 36 /* ACPI 2.0 RSDP length */

/* Memory region types (the multiboot2 / E820 numbering). */
enum boot_mem_type {
  BOOT_MEM_RAM = 1,
  BOOT_MEM_RESERVED = 2,
  BOOT_MEM_ACPI = 3,
  BOOT_MEM_NVS = 4,
  BOOT_MEM_BAD = 5,
};

/* [start, start + len), sorted by start, non-overlapping, len > 0. */
struct boot_mem_region {
  uint64_t start;
  uint64_t len;
  uint32_t type;
};

/* A boot module: [start, end) in physical memory, end > start. */
struct boot_module {
  uint64_t start;
  uint64_t end;
  char string[BOOT_STRING_MAX];
};

struct boot_info {
  unsigned int nr_mem;
  struct boot_mem_region mem[BOOT_MAX_MEM];
  unsigned int nr_mods;
  struct boot_module mods[BOOT_MAX_MODS];
  char cmdline[BOOT_CMDLINE_MAX];
  char loader[64];
  /* ACPI RSDP copied from the boot loader's tag (rsdp_len == 0: none). */
  unsigned int rsdp_len;
  uint8_t rsdp[BOOT_RSDP_MAX];
  /* Physical range of the boot loader's information block itself. */
  uint64_t info_start, info_end;
};

#endif
