/* The screen console's framebuffer back end: 8x16 glyphs (font_8x16, made
 * from a PSF font at build time) drawn light grey on black into a linear
 * RGB framebuffer of 16, 24 or 32 bits a pixel, the colours placed where
 * the boot path says.  Scrolling moves megabytes (1024x768x32 is 3 MiB),
 * so it moves a quarter of the screen at a time: per line of text that is
 * three text rows of pixels rather than the whole screen. */
#include <arch/screen.h>
#include <hv/string.h>

#define GLYPH_W 8
#define GLYPH_H 16
#define FG_LEVEL 0xaa /* VGA's light grey */

/* The pixel value of grey level v (0..255) in this framebuffer's format. */
static uint32_t grey(const struct boot_fb *fb, uint8_t v)
{
  return (uint32_t)(v >> (8 - fb->red_size)) << fb->red_pos |
         (uint32_t)(v >> (8 - fb->green_size)) << fb->green_pos |
         (uint32_t)(v >> (8 - fb->blue_size)) << fb->blue_pos;
}

static void store(uint8_t *p, unsigned int bytes_pp, uint32_t v)
{
  switch (bytes_pp) {
  case 4: *(volatile uint32_t *)p = v; break;
  case 3: /* little-endian, byte by byte: 24-bit pixels are not aligned */
    ((volatile uint8_t *)p)[0] = (uint8_t)v;
    ((volatile uint8_t *)p)[1] = (uint8_t)(v >> 8);
    ((volatile uint8_t *)p)[2] = (uint8_t)(v >> 16);
    break;
  default: *(volatile uint16_t *)p = (uint16_t)v; break;
  }
}

static void fb_put(struct screen *s, unsigned int col, unsigned int row, uint8_t c)
{
  const uint8_t *glyph = font_8x16[c - 0x20];
  uint8_t *line = s->base + (size_t)row * GLYPH_H * s->pitch + (size_t)col * GLYPH_W * s->bytes_pp;

  for (unsigned int y = 0; y < GLYPH_H; y++, line += s->pitch) {
    uint8_t bits = glyph[y];
    uint8_t *p = line;
    for (unsigned int x = 0; x < GLYPH_W; x++, p += s->bytes_pp)
      store(p, s->bytes_pp, bits & (0x80 >> x) ? s->fg : s->bg);
  }
}

/* Pixel lines [from, to) to the background colour (black: zero bytes). */
static void blank_lines(struct screen *s, size_t from, size_t to)
{
  memset(s->base + from * s->pitch, 0, (to - from) * s->pitch);
}

static void fb_scroll(struct screen *s, unsigned int n)
{
  size_t shift = (size_t)n * GLYPH_H;
  size_t keep = (size_t)(s->rows - n) * GLYPH_H;
  screen_move_up(s->base, s->pitch, keep, shift);
  blank_lines(s, keep, keep + shift);
}

static void fb_clear(struct screen *s) { blank_lines(s, 0, (size_t)s->rows * GLYPH_H); }

static const struct screen_ops fbcon_ops = {
    .put = fb_put,
    .scroll = fb_scroll,
    .clear = fb_clear,
};

static bool colour_ok(uint8_t pos, uint8_t size, uint8_t bpp)
{
  return size >= 1 && size <= 8 && pos + size <= bpp;
}

bool fbcon_setup(struct screen *s, const struct boot_fb *fb, void *base)
{
  if (fb->type != BOOT_FB_RGB || (fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32) ||
      !colour_ok(fb->red_pos, fb->red_size, fb->bpp) ||
      !colour_ok(fb->green_pos, fb->green_size, fb->bpp) ||
      !colour_ok(fb->blue_pos, fb->blue_size, fb->bpp) || fb->width < GLYPH_W ||
      fb->height < GLYPH_H || fb->pitch < (uint64_t)fb->width * (fb->bpp / 8))
    return false;
  memset(s, 0, sizeof(*s));
  s->ops = &fbcon_ops;
  s->base = base;
  s->pitch = fb->pitch;
  s->bytes_pp = fb->bpp / 8;
  s->cols = fb->width / GLYPH_W;
  s->rows = fb->height / GLYPH_H;
  s->jump = MAX(s->rows / 4, 1u);
  s->fg = grey(fb, FG_LEVEL);
  s->bg = grey(fb, 0);
  return true;
}
