/* vsnprintf for the hypervisor: C99's printf without floating point.
 * Conversions d i u x X o p s c % (n takes its argument and writes
 * nothing); flags - 0 # + space; width and precision (number or *); length
 * modifiers hh h l ll z j t.  Every format the compiler's printf check
 * accepts is therefore printed as C prints it, and takes its arguments in
 * step (a conversion we skipped would shift every later one: a number
 * read as a %s pointer).  Always NUL-terminates (size > 0) and returns the
 * length the full output would have had. */
#include <hv/string.h>

struct out {
  char *buf;
  size_t size;
  size_t len;
};

/* One conversion's flags, width and precision (-1: none given). */
struct spec {
  bool left, zero, alt, plus, space;
  int width, prec;
};

static void put(struct out *o, char c)
{
  if (o->len + 1 < o->size)
    o->buf[o->len] = c;
  o->len++;
}

static void pad(struct out *o, char c, int n)
{
  while (n-- > 0)
    put(o, c);
}

/* An integer as C prints it: sign or 0x prefix, zeros up to the
 * precision (which turns the 0 flag off), padding up to the width. */
static void put_num(struct out *o, unsigned long long v, bool neg, int base, bool upper,
                    const struct spec *sp)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  char prefix[2];
  int n = 0, np = 0;

  /* A precision of 0 prints the value 0 as no digits at all. */
  if (v || sp->prec != 0) {
    do {
      tmp[n++] = digits[v % base];
      v /= base;
    } while (v);
  }
  if (neg)
    prefix[np++] = '-';
  else if (sp->plus)
    prefix[np++] = '+';
  else if (sp->space)
    prefix[np++] = ' ';
  int zeros = sp->prec > n ? sp->prec - n : 0;
  if (sp->alt && base == 16 && n && !(n == 1 && tmp[0] == '0')) {
    prefix[np++] = '0';
    prefix[np++] = upper ? 'X' : 'x';
  } else if (sp->alt && base == 8 && !zeros && (!n || tmp[n - 1] != '0')) {
    zeros = 1; /* # on o: the first digit is a 0 */
  }
  int len = np + zeros + n;
  bool zero_pad = sp->zero && !sp->left && sp->prec < 0;
  if (!sp->left && !zero_pad)
    pad(o, ' ', sp->width - len);
  for (int i = 0; i < np; i++)
    put(o, prefix[i]);
  if (zero_pad)
    pad(o, '0', sp->width - len);
  pad(o, '0', zeros);
  while (n)
    put(o, tmp[--n]);
  if (sp->left)
    pad(o, ' ', sp->width - len);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
  struct out o = {buf, size, 0};

  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    struct spec sp = {false, false, false, false, false, 0, -1};
    int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */

    for (fmt++;; fmt++) {
      if (*fmt == '-')
        sp.left = true;
      else if (*fmt == '0')
        sp.zero = true;
      else if (*fmt == '#')
        sp.alt = true;
      else if (*fmt == '+')
        sp.plus = true;
      else if (*fmt == ' ')
        sp.space = true;
      else
        break;
    }
    if (*fmt == '*') {
      sp.width = va_arg(ap, int);
      if (sp.width < 0) {
        sp.left = true;
        sp.width = -sp.width;
      }
      fmt++;
    } else {
      while (*fmt >= '0' && *fmt <= '9')
        sp.width = sp.width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      sp.prec = 0;
      if (*fmt == '*') {
        sp.prec = va_arg(ap, int); /* negative: as if none was given */
        sp.prec = sp.prec < 0 ? -1 : sp.prec;
        fmt++;
      } else {
        while (*fmt >= '0' && *fmt <= '9')
          sp.prec = sp.prec * 10 + (*fmt++ - '0');
      }
    }
    for (;; fmt++) {
      if (*fmt == 'l')
        lng = lng < 0 ? 1 : lng + 1;
      else if (*fmt == 'z' || *fmt == 'j')
        lng = 2; /* size_t, intmax_t: 64 bits */
      else if (*fmt == 't')
        lng = 1; /* ptrdiff_t: long */
      else if (*fmt == 'h')
        lng = lng < 0 ? -2 : -1;
      else
        break;
    }

    unsigned long long u;
    long long s;
    switch (*fmt) {
    case 'd':
    case 'i':
      s = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
      /* hh and h: the int argument converted back to its own type. */
      s = lng == -2 ? (signed char)s : lng == -1 ? (short)s : s;
      put_num(&o, s < 0 ? -(unsigned long long)s : (unsigned long long)s, s < 0, 10, false, &sp);
      break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
      u = lng >= 2   ? va_arg(ap, unsigned long long)
          : lng == 1 ? va_arg(ap, unsigned long)
                     : va_arg(ap, unsigned int);
      u = lng == -2 ? (unsigned char)u : lng == -1 ? (unsigned short)u : u;
      sp.plus = sp.space = false; /* signs are for signed conversions only */
      put_num(&o, u, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16, *fmt == 'X', &sp);
      break;
    case 'p': {
      /* Ours: 0x and 16 digits, whatever the flags. */
      struct spec ptr = {false, true, false, false, false, 16, -1};
      put(&o, '0');
      put(&o, 'x');
      put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &ptr);
      break;
    }
    case 'c':
      pad(&o, ' ', sp.left ? 0 : sp.width - 1);
      put(&o, (char)va_arg(ap, int));
      pad(&o, ' ', sp.left ? sp.width - 1 : 0);
      break;
    case 's': {
      const char *str = va_arg(ap, const char *);
      if (!str)
        str = "(null)";
      int len = (int)strnlen(str, sp.prec < 0 ? (size_t)-1 : (size_t)sp.prec);
      pad(&o, ' ', sp.left ? 0 : sp.width - len);
      for (int i = 0; i < len; i++)
        put(&o, str[i]);
      pad(&o, ' ', sp.left ? sp.width - len : 0);
      break;
    }
    case 'n': (void)va_arg(ap, void *); break; /* nothing here wants a count written */
    case '%': put(&o, '%'); break;
    case '\0':
      fmt--; /* a lone '%' at the end: stop at the NUL */
      break;
    default:
      put(&o, '%');
      put(&o, *fmt);
      break;
    }
  }
  if (size)
    buf[o.len < size ? o.len : size - 1] = '\0';
  return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
