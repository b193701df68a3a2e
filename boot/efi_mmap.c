/* The UEFI memory map, as hv.efi hands it over, converted into
 * struct boot_info's regions.  The map comes from firmware and is checked
 * like any other input. */
#include <hv/console.h>
#include <hv/efi.h>
#include <hv/errno.h>
#include <hv/mb2.h>
#include <hv/printk.h>
#include <hv/string.h>

#define EFI_MMAP_MAX 512 /* descriptors read; real maps hold 50 to 300 */
#define EFI_PAGE 4096ULL

const char *efi_mem_type_name(uint32_t type)
{
  static const char *const names[] = {
      "reserved",           "loader code",  "loader data",  "boot services code",
      "boot services data", "runtime code", "runtime data", "conventional",
      "unusable",           "ACPI reclaim", "ACPI NVS",     "MMIO",
      "MMIO ports",         "PAL code",     "persistent",   "unaccepted",
  };
  return type < ARRAY_SIZE(names) ? names[type] : "vendor-specific";
}

static uint32_t boot_type(const struct efi_mem_desc *d)
{
  if (d->attr & EFI_ATTR_RUNTIME)
    return BOOT_MEM_RESERVED; /* the firmware's runtime services keep it */
  switch (d->type) {
  case EFI_MT_LOADER_CODE:
  case EFI_MT_LOADER_DATA:
  case EFI_MT_BOOT_CODE:
  case EFI_MT_BOOT_DATA:
  case EFI_MT_CONVENTIONAL: return BOOT_MEM_RAM;
  case EFI_MT_ACPI_RECLAIM: return BOOT_MEM_ACPI;
  case EFI_MT_ACPI_NVS: return BOOT_MEM_NVS;
  case EFI_MT_UNUSABLE: return BOOT_MEM_BAD;
  default:
    /* Runtime services, MMIO, persistent and unaccepted memory (which
     * would need accepting first), and types we do not know. */
    return BOOT_MEM_RESERVED;
  }
}

int efi_mmap_convert(const void *map, uint64_t size, uint64_t desc_size, struct boot_info *bi)
{
  static struct boot_mem_region raw[EFI_MMAP_MAX];
  unsigned int n = 0;

  bi->nr_mem = 0;
  if (desc_size < sizeof(struct efi_mem_desc) || desc_size % 8 || desc_size > 4096) {
    pr_err("efi: memory map descriptor size %llu is invalid, map ignored",
           (unsigned long long)desc_size);
    return -EINVAL;
  }
  if (size % desc_size)
    pr_warn("efi: memory map has %llu stray bytes at its end",
            (unsigned long long)(size % desc_size));
  uint64_t count = size / desc_size;
  if (count > EFI_MMAP_MAX) {
    pr_err("efi: memory map has %llu entries, only the first %u are used",
           (unsigned long long)count, EFI_MMAP_MAX);
    count = EFI_MMAP_MAX;
  }
  for (uint64_t i = 0; i < count; i++) {
    struct efi_mem_desc d;
    memcpy(&d, (const uint8_t *)map + i * desc_size, sizeof(d));
    if (console_loglvl >= LOG_DEBUG) /* 50 to 300 lines: only when asked for */
      pr_debug("efi: mmap 0x%016llx-0x%016llx %s (type %u, attr 0x%llx)",
               (unsigned long long)d.phys, (unsigned long long)(d.phys + d.pages * EFI_PAGE),
               efi_mem_type_name(d.type), d.type, (unsigned long long)d.attr);
    if (!d.pages) {
      pr_warn("efi: memory map entry %llu at 0x%llx has no pages, skipped", (unsigned long long)i,
              (unsigned long long)d.phys);
      continue;
    }
    if (d.phys % EFI_PAGE) {
      pr_warn("efi: memory map entry %llu at 0x%llx is not page-aligned, skipped",
              (unsigned long long)i, (unsigned long long)d.phys);
      continue;
    }
    uint64_t len = d.pages * EFI_PAGE;
    if (d.pages > UINT64_MAX / EFI_PAGE || d.phys + len < d.phys) {
      pr_warn("efi: memory map entry %llu at 0x%llx runs past 2^64, clipped", (unsigned long long)i,
              (unsigned long long)d.phys);
      len = 0 - d.phys;
    }
    raw[n++] = (struct boot_mem_region){d.phys, len, boot_type(&d)};
  }
  unsigned int dropped = boot_mem_sanitize(raw, n, bi);
  if (dropped)
    pr_err("efi: memory map too fragmented, %u regions dropped", dropped);
  return 0;
}
