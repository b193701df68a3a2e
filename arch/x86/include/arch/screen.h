/* The screen console: a grid of character cells (arch/x86/screen.c) drawn
 * by one of two back ends, VGA text mode (vga_text.c) or a linear RGB
 * framebuffer with an 8x16 font (fbcon.c). */
#ifndef ARCH_SCREEN_H
#define ARCH_SCREEN_H

#include <hv/boot_info.h>
#include <hv/types.h>

struct screen;

/* What a back end does; the grid never asks for a cell outside
 * cols x rows, and only passes printable ASCII (0x20..0x7e) to put. */
struct screen_ops {
  /* Draw character c in cell (col, row). */
  void (*put)(struct screen *s, unsigned int col, unsigned int row, uint8_t c);
  /* Move rows [n, rows) up to [0, rows - n) and blank the last n rows. */
  void (*scroll)(struct screen *s, unsigned int n);
  /* Blank the whole screen. */
  void (*clear)(struct screen *s);
};

struct screen {
  const struct screen_ops *ops;
  uint8_t *base;           /* the screen memory, mapped */
  uint32_t pitch;          /* bytes from one pixel line (or cell row) to the next */
  unsigned int cols, rows; /* character cells */
  unsigned int jump;       /* rows to scroll at once when the bottom is reached */
  unsigned int bytes_pp;   /* framebuffer: bytes a pixel (2, 3 or 4) */
  uint32_t fg, bg;         /* framebuffer: pixel values of the two colours */
  /* The grid's state: the cursor, and where in an escape sequence it is. */
  unsigned int col, row;
  uint8_t esc;
};

/* Blank the screen and put the cursor in the top left cell; s has been
 * set up by a back end. */
void screen_start(struct screen *s);

/* Show n bytes of console output: printable ASCII is drawn, \r \n \b \t
 * move the cursor, an ANSI escape sequence (ESC [ ... final byte) is
 * skipped, a UTF-8 character or any other byte shows as one '?'.  Never
 * waits; scrolls s->jump rows when the text reaches the bottom. */
void screen_write(struct screen *s, const char *buf, unsigned int n);

/* For a back end's scroll: move lines [shift, keep + shift) of base
 * (pitch bytes each) up to [0, keep), in pieces of shift lines each copied
 * from the piece below it, so source and destination never overlap and
 * memcpy (rep movs) may do it. */
void screen_move_up(uint8_t *base, size_t pitch, size_t keep, size_t shift);

/* The back ends: set s up (ops, base, cols, rows, jump; for fbcon the
 * pixel format) to draw on fb, whose memory is mapped at base.  Return
 * false, s untouched, when they cannot draw it (vga_text: not 2-byte
 * cells; fbcon: not 16, 24 or 32 bits a pixel, colour fields that do not
 * fit, or smaller than one 8x16 cell). */
bool vga_text_setup(struct screen *s, const struct boot_fb *fb, void *base);
bool fbcon_setup(struct screen *s, const struct boot_fb *fb, void *base);

/* The console device "vga" (screen_con.c).  screen_con_select turns it on
 * or off; it returns false when asked to turn on and there is no screen.
 * screen_con_tx shows bytes (nothing while it is off).  arch_screen_map
 * maps a screen above what head.S mapped once paging is up, and prints
 * the line saying which screen there is. */
bool screen_con_select(bool on);
void screen_con_tx(const char *buf, unsigned int n);
void arch_screen_map(void);

/* The 8x16 glyphs of 0x20..0x7e, one byte a row, leftmost pixel in bit 7
 * (generated at build time from a PSF font by tools/psf2c.py). */
extern const uint8_t font_8x16[95][16];

#endif
