/* The screen console's VGA text back end: cells of two bytes (character,
 * attribute) in the memory the firmware left in text mode, 0xb8000 on a
 * PC.  Drawing a character is one 16-bit store; scrolling moves the rows
 * up one (under 4 KiB for 80x25), so the text console costs little even
 * in the Bochs boot benchmark. */
#include <arch/cpu.h>
#include <arch/screen.h>
#include <hv/string.h>

#define ATTR_GREY_ON_BLACK 0x07
#define BLANK ((uint16_t)(ATTR_GREY_ON_BLACK << 8 | ' '))
/* CRT controller (IBM VGA: index 0x3d4, data 0x3d5), register 0x0a
 * "cursor start", bit 5 turns the cursor off. */
#define CRTC_INDEX 0x3d4
#define CRTC_DATA 0x3d5
#define CRTC_CURSOR_START 0x0a
#define CURSOR_OFF 0x20

static uint16_t *cell(struct screen *s, unsigned int col, unsigned int row)
{
  return (uint16_t *)(s->base + (size_t)row * s->pitch) + col;
}

static void vga_put(struct screen *s, unsigned int col, unsigned int row, uint8_t c)
{
  *(volatile uint16_t *)cell(s, col, row) = (uint16_t)(ATTR_GREY_ON_BLACK << 8 | c);
}

static void blank_rows(struct screen *s, unsigned int from, unsigned int to)
{
  for (unsigned int r = from; r < to; r++)
    for (unsigned int c = 0; c < s->cols; c++)
      *(volatile uint16_t *)cell(s, c, r) = BLANK;
}

static void vga_scroll(struct screen *s, unsigned int n)
{
  screen_move_up(s->base, s->pitch, s->rows - n, n);
  blank_rows(s, s->rows - n, s->rows);
}

static void vga_clear(struct screen *s)
{
  blank_rows(s, 0, s->rows);
  /* The blinking cursor the BIOS left would sit where nothing is typed. */
  outb(CRTC_INDEX, CRTC_CURSOR_START);
  outb(CRTC_DATA, inb(CRTC_DATA) | CURSOR_OFF);
}

static const struct screen_ops vga_text_ops = {
    .put = vga_put,
    .scroll = vga_scroll,
    .clear = vga_clear,
};

bool vga_text_setup(struct screen *s, const struct boot_fb *fb, void *base)
{
  if (fb->type != BOOT_FB_TEXT || fb->bpp != 16 || !fb->width || !fb->height ||
      fb->pitch < fb->width * 2)
    return false;
  memset(s, 0, sizeof(*s));
  s->ops = &vga_text_ops;
  s->base = base;
  s->pitch = fb->pitch;
  s->cols = fb->width;
  s->rows = fb->height;
  s->jump = 1;
  return true;
}
