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

/* The screen the firmware or boot loader left set up.  TEXT is VGA text
 * mode (width x height character cells of 2 bytes at addr); RGB is a
 * linear framebuffer (UEFI GOP, VBE) of width x height pixels, pitch bytes
 * a line, bpp bits a pixel, each colour at its bit position and size. */
enum boot_fb_type {
  BOOT_FB_NONE = 0,
  BOOT_FB_RGB = 1,
  BOOT_FB_TEXT = 2,
};

struct boot_fb {
  uint64_t addr;
  uint64_t size; /* bytes from addr the screen occupies */
  uint32_t pitch;
  uint32_t width, height;
  uint8_t type; /* enum boot_fb_type */
  uint8_t bpp;
  uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
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
  /* Started by UEFI firmware (hv.efi): the RSDP comes from its
   * configuration table only, there are no BIOS areas to scan for one. */
  bool uefi;
  /* The screen, if any (fb.type == BOOT_FB_NONE: none known). */
  struct boot_fb fb;
  /* Physical range of the boot loader's information block itself. */
  uint64_t info_start, info_end;
};

/* The start-up sequence every boot path ends in (hv/setup.c), with bi
 * validated. */
__noreturn void hv_start(struct boot_info *bi);

#endif
