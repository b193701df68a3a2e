/* The multiboot2 path into C: called by boot/head.S in long mode with the
 * boot loader's magic and the physical address of its information block. */
#include <arch/arch.h>
#include <hv/boot_info.h>
#include <hv/mb2.h>
#include <hv/printk.h>
#include <hv/string.h>

static struct boot_info boot_info;

__noreturn void mb2_entry(uint64_t magic, uint64_t info)
{
  arch_console_select("com1", NULL, NULL); /* until the command line chooses */
  if (magic != MB2_BOOTLOADER_MAGIC) {
    pr_err("mica: not started by a multiboot2 loader (magic 0x%llx); halting",
           (unsigned long long)magic);
    panic("bad multiboot2 magic");
  }
  uint32_t total;
  memcpy(&total, (const void *)(uintptr_t)info, sizeof(total));
  if (mb2_parse((const void *)(uintptr_t)info, MIN((size_t)total, (size_t)MB2_INFO_MAX),
                &boot_info))
    panic("the boot loader's multiboot2 information is unusable (see above)");
  if (!boot_info.nr_mem)
    panic("the boot loader gave no usable memory map");
  hv_start(&boot_info);
}
