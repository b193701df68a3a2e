/* The screen as a console device, "vga" in console=: VGA text mode or a
 * linear framebuffer, whichever the boot path found (struct boot_fb, from
 * the multiboot2 framebuffer tag or the UEFI GOP).  It takes bytes from
 * the same tx path as the serial ports (serial.c), under the console
 * lock, and never waits on anything. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <arch/paging.h>
#include <arch/screen.h>
#include <hv/printk.h>

static struct screen screen;
static struct boot_fb screen_fb;
static bool screen_known;   /* a screen a back end can draw */
static bool screen_on;      /* selected by console= */
static bool screen_mapped;  /* its memory is mapped now */
static bool screen_started; /* cleared, the grid at its top left */

bool arch_screen_init(const struct boot_fb *fb)
{
  void *base = phys_to_virt(fb->addr);

  if (fb->type != BOOT_FB_NONE && fb->addr + fb->size > (1ULL << 46)) {
    pr_warn("screen: framebuffer at 0x%llx is beyond what the 1:1 map can reach, not used",
            (unsigned long long)fb->addr);
    return false;
  }
  screen_known = fb->type == BOOT_FB_TEXT  ? vga_text_setup(&screen, fb, base)
                 : fb->type == BOOT_FB_RGB ? fbcon_setup(&screen, fb, base)
                                           : false;
  if (!screen_known)
    return false;
  screen_fb = *fb;
  /* head.S maps the first 4 GiB 1:1 until paging_init; a screen above
   * that waits for arch_screen_map. */
  screen_mapped = fb->addr + fb->size <= GiB(4);
  return true;
}

void arch_screen_map(void)
{
  if (!screen_known)
    return;
  /* The 1:1 map covers [0, 4 GiB) and RAM; a framebuffer in a 64-bit
   * PCI window above gets its own mapping, uncached (PCD|PWT). */
  paging_map_uncached(screen_fb.addr, screen_fb.addr + screen_fb.size);
  screen_mapped = true;
  const char *use = screen_on ? "" : " (not a console: console= leaves out vga)";
  if (screen_fb.type == BOOT_FB_TEXT)
    pr_info("screen: VGA text %ux%u at 0x%llx%s", screen_fb.width, screen_fb.height,
            (unsigned long long)screen_fb.addr, use);
  else
    pr_info("screen: %ux%u framebuffer at 0x%llx, %u bpp, %ux%u characters%s", screen_fb.width,
            screen_fb.height, (unsigned long long)screen_fb.addr, screen_fb.bpp, screen.cols,
            screen.rows, use);
}

bool screen_con_select(bool on)
{
  screen_on = on && screen_known;
  return screen_on == on;
}

void screen_con_tx(const char *buf, unsigned int n)
{
  if (!screen_on || !screen_mapped)
    return;
  if (!screen_started) { /* the first byte clears what the boot loader left */
    screen_start(&screen);
    screen_started = true;
  }
  screen_write(&screen, buf, n);
}
