/* The domain builder: domains from boot modules. */
#ifndef HV_DOMBUILD_H
#define HV_DOMBUILD_H

#include <hv/boot_info.h>
#include <public/hvm.h>

struct domain;

#define DOMBUILD_DEFAULT_MEM_MIB 64
#define DOMBUILD_LOWMEM_END 0xf0000000ULL /* guest RAM below 4 GiB ends here */

/* Group the modules by domain (their strings), then build each domain: a
 * PVH kernel (ELF with XEN_ELFNOTE_PHYS32_ENTRY), its initrd, command line,
 * memory map and struct hvm_start_info, and vcpu 0 ready at the entry.  A
 * domain whose modules or image are bad is refused with a message; the
 * others are still built.  Returns the number of domains built. */
unsigned int dombuild_all(const struct boot_info *bi);

/* Every domain's ACPI tables (hv/acpi_build.c) are in one page here:
 * above guest RAM below 4 GiB, where Xen's toolstack puts a PVH domU's
 * (libxl's ACPI_INFO_PHYSICAL_ADDRESS), and marked ACPI in its memory map.
 * The RSDP is at its start (hvm_start_info.rsdp_paddr). */
#define DOMBUILD_ACPI_GPA 0xfc000000ULL

#define DOMBUILD_MEMMAP_MAX 4
/* d's physical memory map, as its start info and XENMEM_memory_map give
 * it, in address order: RAM below 4 GiB, the ACPI tables' page (ACPI), the
 * console ring page (reserved) if it has one, RAM above 4 GiB.  Returns
 * the number of entries written to map. */
unsigned int dombuild_memmap(const struct domain *d,
                             struct hvm_memmap_table_entry map[DOMBUILD_MEMMAP_MAX]);

#endif
