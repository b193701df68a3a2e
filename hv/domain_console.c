/* A domain's console output: the filter for what a terminal may get, the
 * line each domain builds for the log ring, and the raw output of the
 * domain with the input focus (hv/console.c says what goes where). */
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/string.h>

/* Bytes a terminal may get from a guest: printable ASCII and what line
 * editing and colours need (BEL, BS, TAB, LF, CR, ESC).  The rest (other
 * C0 controls, DEL, bytes >= 0x80 that an 8-bit terminal takes for C1
 * controls) become '?'. */
static char console_filter(char c)
{
  if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\a' || c == 0x1b)
    return c;
  return c < 0x20 || c > 0x7e ? '?' : c;
}

/* Whether d's output goes to the devices raw: it has the input focus and
 * console_focus=raw (the default). */
static bool shows_raw(const struct domain *d)
{
  return console_focus_raw && console_mux_has_focus(d);
}

/* Add c to d's line for the log ring; at '\n' or when the buffer is full
 * the line goes out (to the devices too unless `raw`: they had it raw). */
static void line_putc(struct domain *d, char c, bool raw)
{
  if (c != '\n') {
    d->con_buf[d->con_len++] = c;
    if (raw)
      d->con_shown_len = d->con_len;
    if (d->con_len < sizeof(d->con_buf))
      return;
  }
  unsigned int len = d->con_len;
  if (c == '\n' && len && d->con_buf[len - 1] == '\r')
    len--; /* CR LF: the log has its own line end */
  console_guest_line(d->name, d->con_buf, len, !raw, !d->privileged || console_to_ring);
  d->con_len = d->con_shown_len = 0;
}

void domain_console_putc(struct domain *d, char c) { domain_console_write(d, &c, 1); }

void domain_console_show_partial(struct domain *d)
{
  if (!shows_raw(d))
    return;
  /* Other output cut the line it had begun on the devices: that part is
   * shown again, so that a prompt and what is typed after it stay on one
   * line. */
  if (d->con_shown_len && !console_line_is(d))
    console_put_raw(d, d->con_buf, d->con_shown_len);
  /* What it wrote while unfocused, held for its line (a prompt). */
  if (d->con_len > d->con_shown_len)
    console_put_raw(d, d->con_buf + d->con_shown_len, d->con_len - d->con_shown_len);
  d->con_shown_len = d->con_len;
}

void domain_console_write(struct domain *d, const char *buf, size_t n)
{
  if (!shows_raw(d)) {
    for (size_t i = 0; i < n; i++)
      line_putc(d, console_filter(buf[i]), false);
    return;
  }
  char raw[128];
  size_t r = 0;
  domain_console_show_partial(d);
  for (size_t i = 0; i < n; i++) {
    char c = console_filter(buf[i]);
    raw[r++] = c;
    if (r == sizeof(raw)) {
      console_put_raw(d, raw, r);
      r = 0;
    }
    line_putc(d, c, true);
  }
  console_put_raw(d, raw, r);
}

void domain_console_end(struct domain *d)
{
  if (d->con_len)
    line_putc(d, '\n', shows_raw(d)); /* the log gets its last line */
  console_end_line(d);                /* the devices a line end, if raw output needs one */
}
