/* The UEFI path into C: called by boot/head.S (efi_start64) in long mode, on
 * our own page tables, with the physical address of hv.efi's hand-over.  It
 * ends where the multiboot2 path ends: a validated struct boot_info given
 * to hv_start(). */
#include <arch/arch.h>
#include <hv/boot_info.h>
#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/efi.h>
#include <hv/printk.h>
#include <hv/string.h>

__noreturn void efi_entry(uint64_t handover);

extern uint64_t boot_tsc;

static struct boot_info boot_info;

/* hv.efi's own messages, one printk line each; each line starts with its
 * log level as a digit (0 error .. 3 debug). */
static void replay_messages(const struct efi_handover *h)
{
  uint32_t len = MIN(h->msg_len, (uint32_t)EFI_HANDOVER_MSG_MAX);
  const char *s = h->msg, *end = h->msg + len;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    enum log_level lvl = LOG_WARN;
    if (s < e && *s >= '0' && *s <= '3')
      lvl = (enum log_level)(*s++ - '0');
    printk(lvl, "%.*s", (int)(e - s), s);
    s = e + 1;
  }
}

__noreturn void efi_entry(uint64_t handover)
{
  const struct efi_handover *h = (const struct efi_handover *)(uintptr_t)handover;

  arch_console_select("com1", NULL, NULL); /* until the command line chooses */
  if (!h || h->magic != EFI_HANDOVER_MAGIC || h->size != sizeof(*h)) {
    pr_err("mica: efi_start64 entered without hv.efi's hand-over (at 0x%llx); halting",
           (unsigned long long)handover);
    panic("bad EFI hand-over");
  }
  boot_tsc = h->entry_tsc;
  /* hv.efi is our own, but its fields are checked as the multiboot2 ones
   * are: the strings end, the counts are in range, the modules are sane. */
  memcpy(&boot_info, &h->bi, sizeof(boot_info));
  struct boot_info *bi = &boot_info;
  bi->cmdline[sizeof(bi->cmdline) - 1] = '\0';
  bi->loader[sizeof(bi->loader) - 1] = '\0';
  bi->rsdp_len = MIN(bi->rsdp_len, (unsigned int)BOOT_RSDP_MAX);
  bi->nr_mods = MIN(bi->nr_mods, (unsigned int)BOOT_MAX_MODS);
  for (unsigned int i = 0; i < bi->nr_mods; i++) {
    bi->mods[i].string[BOOT_STRING_MAX - 1] = '\0';
    if (bi->mods[i].end <= bi->mods[i].start)
      panic("hv.efi handed over module %u with an empty range", i);
  }
  /* Nothing in the hand-over is needed after this function: the frame
   * allocator may have its pages. */
  bi->info_start = bi->info_end = 0;
  console_loglvl = cmdline_early_loglvl(bi->cmdline); /* loglvl=debug shows the raw map */
  replay_messages(h);
  /* The boot page tables map the first 4 GiB: hv.efi puts the map there. */
  if (h->mmap_size > GiB(4) || h->mmap + h->mmap_size > GiB(4))
    panic("hv.efi handed over a memory map beyond 4 GiB (0x%llx, %llu bytes)",
          (unsigned long long)h->mmap, (unsigned long long)h->mmap_size);
  if (efi_mmap_convert((const void *)(uintptr_t)h->mmap, h->mmap_size, h->desc_size, bi))
    panic("the firmware's memory map is unusable (see above)");
  if (!bi->nr_mem)
    panic("the firmware's memory map has no usable memory");
  hv_start(bi);
}
