/* Unit tests of the screen console's cell grid (arch/x86/screen.c) over a
 * fake back end that keeps the cells as characters: line ends, wrapping,
 * tabs, backspace, escape sequences, odd bytes and scrolling. */
#include "unit.h"

#include <arch/screen.h>

#define COLS 10
#define ROWS 4

static char cells[ROWS][COLS + 1];
static unsigned int scrolls, scrolled_rows;

static void fake_put(struct screen *s, unsigned int col, unsigned int row, uint8_t c)
{
  assert_true(col < s->cols && row < s->rows);
  assert_true(c >= 0x20 && c <= 0x7e);
  cells[row][col] = (char)c;
}

static void fake_scroll(struct screen *s, unsigned int n)
{
  assert_true(n >= 1 && n < s->rows);
  memmove(cells[0], cells[n], sizeof(cells[0]) * (s->rows - n));
  for (unsigned int r = s->rows - n; r < s->rows; r++)
    memset(cells[r], ' ', COLS);
  scrolls++;
  scrolled_rows += n;
}

static void fake_clear(struct screen *s)
{
  for (unsigned int r = 0; r < s->rows; r++) {
    memset(cells[r], ' ', COLS);
    cells[r][COLS] = '\0';
  }
}

static const struct screen_ops fake_ops = {fake_put, fake_scroll, fake_clear};
static struct screen scr;

static void start(unsigned int jump)
{
  memset(&scr, 0, sizeof(scr));
  scr.ops = &fake_ops;
  scr.cols = COLS;
  scr.rows = ROWS;
  scr.jump = jump;
  scrolls = scrolled_rows = 0;
  screen_start(&scr);
}

static void put(const char *s) { screen_write(&scr, s, (unsigned int)strlen(s)); }

static void test_lines_and_wrap(void **state)
{
  (void)state;
  start(1);
  put("hello\r\nworld\r\n");
  assert_string_equal(cells[0], "hello     ");
  assert_string_equal(cells[1], "world     ");
  assert_int_equal(scr.row, 2);
  assert_int_equal(scr.col, 0);
  /* Exactly COLS characters then CR LF take one row, not two. */
  put("0123456789\r\n");
  assert_string_equal(cells[2], "0123456789");
  assert_int_equal(scr.row, 3);
  /* One more character wraps to the next row (and scrolls here). */
  put("0123456789X");
  assert_int_equal(scrolls, 1);
  assert_string_equal(cells[2], "0123456789");
  assert_string_equal(cells[3], "X         ");
}

static void test_control_bytes(void **state)
{
  (void)state;
  start(1);
  put("ab\bc\tT\rZ");
  assert_string_equal(cells[0], "Zc      T ");
  start(1);
  put("\x1b[1;31mred\x1b[0m \x1b"
      "7x");
  assert_string_equal(cells[0], "red x     ");
  start(1);
  put("a\x01\x7f"
      "b\xc3\xa9"
      "c\xe2\x82\xac"
      "d");
  assert_string_equal(cells[0], "a??b?c?d  "); /* one '?' per UTF-8 character */
  start(1);
  put("\b\b\b"); /* never left of column 0 */
  assert_int_equal(scr.col, 0);
  put("\t\t\t"); /* tabs stop at the right edge */
  assert_int_equal(scr.col, COLS);
  put("x");
  assert_string_equal(cells[1], "x         ");
}

static void test_scroll_jump(void **state)
{
  (void)state;
  start(2);
  for (int i = 0; i < 7; i++) {
    char line[16];
    snprintf(line, sizeof(line), "L%d\n", i);
    put(line);
  }
  /* L0..L3 fill the rows; the line end after L3 scrolls 2 (L2 L3 _ _),
   * L4 and L5 fill them, the line end after L5 scrolls 2 again (L4 L5 _ _)
   * and L6 comes below. */
  assert_int_equal(scrolls, 2);
  assert_int_equal(scrolled_rows, 4);
  assert_string_equal(cells[0], "L4        ");
  assert_string_equal(cells[1], "L5        ");
  assert_string_equal(cells[2], "L6        ");
  assert_string_equal(cells[3], "          ");
  assert_int_equal(scr.row, 3);
}

/* The back ends' scroll: lines move up by shift, whatever keep and shift
 * are (a last piece shorter than shift included); the lines below keep are
 * the back end's to blank. */
static void test_move_up(void **state)
{
  (void)state;
  for (size_t shift = 1; shift <= 7; shift++) {
    for (size_t keep = 0; keep <= 20; keep++) {
      enum { PITCH = 3 };
      uint8_t *buf = malloc((keep + shift) * PITCH);
      for (size_t i = 0; i < (keep + shift) * PITCH; i++)
        buf[i] = (uint8_t)(i / PITCH);
      screen_move_up(buf, PITCH, keep, shift);
      for (size_t i = 0; i < keep * PITCH; i++)
        assert_int_equal(buf[i], i / PITCH + shift);
      free(buf);
    }
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines_and_wrap),
      cmocka_unit_test(test_control_bytes),
      cmocka_unit_test(test_scroll_jump),
      cmocka_unit_test(test_move_up),
  };
  return cmocka_run_group_tests_name("screen", tests, NULL, NULL);
}
