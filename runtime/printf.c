/* Formatted output for test guests: one formatter, two sinks (a buffer for
 * vsnprintf, the hypervisor console for printf). */
#include "guest.h"
#include "hypercall.h"

/* Where formatted characters go. */
struct sink {
  void (*put)(struct sink *s, char c);
  char *buf;
  size_t size;  /* capacity of buf */
  size_t len;   /* characters stored so far (console: not yet written) */
  size_t total; /* console: characters formatted */
};

static void emit_repeat(struct sink *s, char c, int n)
{
  while (n-- > 0)
    s->put(s, c);
}

/* One number, right- or left-aligned in width, zero- or space-padded. */
static void emit_number(struct sink *s, unsigned long long v, unsigned base, int neg, int upper,
                        int width, int zero, int left)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24]; /* 2^64 - 1 has 20 decimal digits */
  int n = 0;

  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);

  int len = n + neg;
  if (!left && !zero)
    emit_repeat(s, ' ', width - len);
  if (neg)
    s->put(s, '-');
  if (!left && zero)
    emit_repeat(s, '0', width - len);
  while (n)
    s->put(s, tmp[--n]);
  if (left)
    emit_repeat(s, ' ', width - len);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      s->put(s, *fmt);
      continue;
    }

    int zero = 0, left = 0, width = 0, lng = 0;
    for (fmt++; *fmt == '0' || *fmt == '-'; fmt++) {
      if (*fmt == '0')
        zero = 1;
      else
        left = 1;
    }
    for (; *fmt >= '0' && *fmt <= '9'; fmt++)
      width = width * 10 + (*fmt - '0');
    for (; *fmt == 'l' || *fmt == 'z'; fmt++)
      lng++;

    unsigned long long u;
    switch (*fmt) {
    case 'd':
    case 'i': {
      long long v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
      /* Negate in unsigned arithmetic: -LLONG_MIN does not fit. */
      u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
      emit_number(s, u, 10, v < 0, 0, width, zero, left);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
      u = lng >= 2 ? va_arg(ap, unsigned long long)
          : lng    ? va_arg(ap, unsigned long)
                   : va_arg(ap, unsigned int);
      emit_number(s, u, *fmt == 'u' ? 10 : 16, 0, *fmt == 'X', width, zero, left);
      break;
    case 'p':
      s->put(s, '0');
      s->put(s, 'x');
      emit_number(s, (uintptr_t)va_arg(ap, void *), 16, 0, 0, width, zero, left);
      break;
    case 'c': s->put(s, (char)va_arg(ap, int)); break;
    case 's': {
      const char *str = va_arg(ap, const char *);
      if (!str)
        str = "(null)";
      int len = (int)strlen(str);
      if (!left)
        emit_repeat(s, ' ', width - len);
      while (*str)
        s->put(s, *str++);
      if (left)
        emit_repeat(s, ' ', width - len);
      break;
    }
    case '%': s->put(s, '%'); break;
    case '\0': /* a lone '%' at the end */ return;
    default: /* unknown: show it rather than guess */
      s->put(s, '%');
      s->put(s, *fmt);
      break;
    }
  }
}

/* Buffer sink: keeps room for the NUL, counts what did not fit. */
static void put_buf(struct sink *s, char c)
{
  if (s->len + 1 < s->size)
    s->buf[s->len] = c;
  s->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
  struct sink s = {.put = put_buf, .buf = buf, .size = size};

  format(&s, fmt, ap);
  if (size)
    buf[s.len < size ? s.len : size - 1] = '\0';
  return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

/* Console sink: collects into a buffer and writes it with one hypercall
 * when full and at the end, so a line normally reaches the hypervisor in
 * one piece (and is not interleaved with another domain's output). */
#define CONSOLE_CHUNK 256

static void console_flush(struct sink *s)
{
  if (s->len)
    xen_console_write(s->buf, s->len);
  s->len = 0;
}

static void put_console(struct sink *s, char c)
{
  s->buf[s->len++] = c;
  s->total++;
  if (s->len == s->size)
    console_flush(s);
}

int printf(const char *fmt, ...)
{
  char chunk[CONSOLE_CHUNK];
  struct sink s = {.put = put_console, .buf = chunk, .size = sizeof(chunk)};
  va_list ap;

  va_start(ap, fmt);
  format(&s, fmt, ap);
  va_end(ap);
  console_flush(&s);
  return (int)s.total;
}

int puts(const char *s) { return printf("%s\n", s); }
