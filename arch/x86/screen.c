/* The screen console's grid of character cells: the cursor, line ends,
 * wrapping, scrolling and the bytes a terminal would not draw.  The back
 * ends (vga_text.c, fbcon.c) only draw cells and move rows; this file runs
 * no x86 instruction, so the unit tests build it on the host. */
#include <arch/screen.h>
#include <hv/string.h>

#define TAB 8
#define ESC 0x1b

enum { ESC_NONE, ESC_SEEN, ESC_CSI };

void screen_start(struct screen *s)
{
  s->ops->clear(s);
  s->col = s->row = 0;
  s->esc = ESC_NONE;
}

void screen_move_up(uint8_t *base, size_t pitch, size_t keep, size_t shift)
{
  for (size_t y = 0; y < keep; y += shift)
    memcpy(base + y * pitch, base + (y + shift) * pitch, MIN(shift, keep - y) * pitch);
}

/* Go to the start of the next line, scrolling s->jump rows at the bottom:
 * moving the screen is the costly part (a framebuffer moves megabytes), so
 * a back end may ask for it once every few lines rather than every line. */
static void newline(struct screen *s)
{
  s->col = 0;
  if (++s->row < s->rows)
    return;
  s->ops->scroll(s, s->jump);
  s->row = s->rows - s->jump;
}

/* col == cols means "the row is full": the wrap happens at the next
 * character, so a line of exactly cols characters and its CR LF take one
 * row, not two. */
static void put(struct screen *s, uint8_t c)
{
  if (s->col >= s->cols)
    newline(s);
  s->ops->put(s, s->col, s->row, c);
  s->col++;
}

void screen_write(struct screen *s, const char *buf, unsigned int n)
{
  for (unsigned int i = 0; i < n; i++) {
    uint8_t c = (uint8_t)buf[i];

    if (s->esc == ESC_SEEN) { /* ESC X: two bytes; ESC [ starts a CSI */
      s->esc = c == '[' ? ESC_CSI : ESC_NONE;
      continue;
    }
    if (s->esc == ESC_CSI) {
      if (c >= 0x20 && c <= 0x3f)
        continue; /* parameters and intermediates */
      s->esc = ESC_NONE;
      if (c >= 0x40 && c <= 0x7e)
        continue; /* the final byte */
      /* anything else cuts the sequence short and is shown as it is */
    }
    switch (c) {
    case '\r': s->col = 0; break;
    case '\n': newline(s); break;
    case '\b':
      if (s->col > 0)
        s->col--;
      break;
    case '\t': /* to the next tab stop; at the right edge it stays */
      s->col = MIN((s->col + TAB) & ~(TAB - 1u), s->cols);
      break;
    case ESC: s->esc = ESC_SEEN; break;
    default:
      if (c >= 0x20 && c <= 0x7e)
        put(s, c);
      else if (c < 0x80 || c >= 0xc0)
        put(s, '?'); /* a control byte, or the first byte of a UTF-8 character */
      /* UTF-8 continuation bytes (0x80..0xbf) show nothing more */
      break;
    }
  }
}
