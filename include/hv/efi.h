/* The hand-over from hv.efi (boot/efi/, a UEFI application) to the
 * hypervisor (boot/efi_entry.c), and the UEFI memory map's conversion.
 *
 * hv.efi loads the hypervisor image at its link address, reads hv.cfg and
 * the modules, calls ExitBootServices and jumps to efi_start64 (boot/head.S)
 * in long mode with RDI = the physical address of a struct efi_handover,
 * below 4 GiB.  The hypervisor copies what it needs out of it at once. */
#ifndef HV_EFI_H
#define HV_EFI_H

#include <hv/boot_info.h>

#define EFI_HANDOVER_MAGIC 0x3176684f4649454dULL /* "MEIFOhv1" */
#define EFI_HANDOVER_MSG_MAX 4096

struct efi_handover {
  uint64_t magic;     /* EFI_HANDOVER_MAGIC */
  uint64_t size;      /* sizeof(struct efi_handover): both sides built together */
  uint64_t entry_tsc; /* TSC at hv.efi's entry: the boot cost counts from there */
  /* The memory map ExitBootServices accepted: mmap_size bytes of
   * descriptors of desc_size bytes each (UEFI 2.10, 7.2.3 GetMemoryMap). */
  uint64_t mmap, mmap_size, desc_size;
  uint32_t desc_version;
  /* What hv.efi reported, for the hypervisor's log: lines ending in '\n',
   * each starting with its log level as a digit (0 error .. 3 debug). */
  uint32_t msg_len;
  char msg[EFI_HANDOVER_MSG_MAX];
  /* Filled in: cmdline, loader, mods, rsdp, fb.  Not mem (from mmap). */
  struct boot_info bi;
};

/* UEFI memory types (UEFI 2.10, table 7-5) and the attribute that marks
 * memory the firmware's runtime services still use. */
enum efi_mem_type {
  EFI_MT_RESERVED = 0,
  EFI_MT_LOADER_CODE = 1,
  EFI_MT_LOADER_DATA = 2,
  EFI_MT_BOOT_CODE = 3,
  EFI_MT_BOOT_DATA = 4,
  EFI_MT_RUNTIME_CODE = 5,
  EFI_MT_RUNTIME_DATA = 6,
  EFI_MT_CONVENTIONAL = 7,
  EFI_MT_UNUSABLE = 8,
  EFI_MT_ACPI_RECLAIM = 9,
  EFI_MT_ACPI_NVS = 10,
  EFI_MT_MMIO = 11,
  EFI_MT_MMIO_PORT = 12,
  EFI_MT_PAL_CODE = 13,
  EFI_MT_PERSISTENT = 14,
  EFI_MT_UNACCEPTED = 15,
};
#define EFI_ATTR_RUNTIME (1ULL << 63)

/* One descriptor, as the firmware lays it out (desc_size may be larger). */
struct efi_mem_desc {
  uint32_t type;
  uint32_t pad;
  uint64_t phys;
  uint64_t virt;
  uint64_t pages;
  uint64_t attr;
};

/* Convert size bytes of UEFI memory descriptors, desc_size bytes apart,
 * into bi->mem (sorted, de-overlapped, as boot_mem_sanitize gives it).
 * Memory that is free once boot services are gone (conventional, boot
 * services, loader) becomes RAM; ACPI reclaim ACPI; ACPI NVS NVS;
 * unusable bad; everything else, and anything marked for runtime use,
 * reserved.  A bad descriptor size rejects the map (-EINVAL); zero-length,
 * unaligned or wrapping entries are reported and skipped or clipped.
 * Returns 0 or -EINVAL. */
int efi_mmap_convert(const void *map, uint64_t size, uint64_t desc_size, struct boot_info *bi);

/* The UEFI type's name for messages ("conventional", "runtime data"...). */
const char *efi_mem_type_name(uint32_t type);

#endif
