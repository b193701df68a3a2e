/* Multiboot2 boot information: the parser that fills struct boot_info. */
#ifndef HV_MB2_H
#define HV_MB2_H

#include <hv/boot_info.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB2_INFO_MAX (1024 * 1024) /* we never read more than this */

/* Tag types (multiboot2 spec, 3.6). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_FRAMEBUFFER 8
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

/* Parse the multiboot2 information at info, of which at most avail bytes
 * may be read, into bi.  Every length is checked against the block and the
 * tag that holds it; nothing outside [info, info + avail) is read.
 * A broken block (bad total size, a tag running past the end, no end tag)
 * returns -EINVAL.  A broken item inside a sound tag (a zero-length module,
 * a memory-map entry of a bad size, too many entries) is reported with
 * printk and skipped.  The memory map comes out sorted, with overlaps
 * resolved in favour of the more restrictive type and zero-length entries
 * dropped.  A framebuffer tag fills bi->fb when it describes a screen the
 * console can use (EGA text, or RGB at 16, 24 or 32 bits a pixel); any
 * other is reported and ignored.  Returns 0 or -EINVAL. */
int mb2_parse(const void *info, size_t avail, struct boot_info *bi);

/* Sort and de-overlap n raw regions into bi->mem (used by mb2_parse and by
 * other boot paths).  Returns the number of regions dropped for lack of
 * room. */
unsigned int boot_mem_sanitize(const struct boot_mem_region *raw, unsigned int n,
                               struct boot_info *bi);

/* A region type's name for messages: "RAM", "reserved", "ACPI", "NVS", "bad". */
const char *boot_mem_type_name(uint32_t type);

/* The multiboot2 path's C entry (boot/mb2_entry.c), called by boot/head.S
 * in long mode with GRUB's magic and information address. */
__noreturn void mb2_entry(uint64_t magic, uint64_t info);

#endif
