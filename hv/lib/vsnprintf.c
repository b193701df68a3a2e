/* vsnprintf for the hypervisor: the subset of C99 printf that we use.
 * Conversions d i u x X o p s c %; flags - 0; width and precision (number
 * or *); length modifiers hh h l ll z.  Always NUL-terminates (size > 0) and
 * returns the length the full output would have had. */
#include <hv/string.h>

struct out {
  char *buf;
  size_t size;
  size_t len;
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

static void put_num(struct out *o, unsigned long long v, bool neg, int base, bool upper, int width,
                    bool left, bool zero)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int n = 0;

  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  int len = n + (neg ? 1 : 0);
  if (!left && !zero)
    pad(o, ' ', width - len);
  if (neg)
    put(o, '-');
  if (!left && zero)
    pad(o, '0', width - len);
  while (n)
    put(o, tmp[--n]);
  if (left)
    pad(o, ' ', width - len);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
  struct out o = {buf, size, 0};

  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    bool left = false, zero = false;
    int width = 0, prec = -1, lng = 0;

    for (fmt++;; fmt++) {
      if (*fmt == '-')
        left = true;
      else if (*fmt == '0')
        zero = true;
      else
        break;
    }
    if (*fmt == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        left = true;
        width = -width;
      }
      fmt++;
    } else {
      while (*fmt >= '0' && *fmt <= '9')
        width = width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      prec = 0;
      if (*fmt == '*') {
        prec = va_arg(ap, int);
        fmt++;
      } else {
        while (*fmt >= '0' && *fmt <= '9')
          prec = prec * 10 + (*fmt++ - '0');
      }
    }
    for (;; fmt++) {
      if (*fmt == 'l')
        lng++;
      else if (*fmt == 'z')
        lng = 2;
      else if (*fmt == 'h')
        lng = lng > 0 ? lng : -1; /* promoted to int anyway */
      else
        break;
    }

    unsigned long long u;
    long long s;
    switch (*fmt) {
    case 'd':
    case 'i':
      s = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
      put_num(&o, s < 0 ? -(unsigned long long)s : (unsigned long long)s, s < 0, 10, false, width,
              left, zero);
      break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
      u = lng >= 2   ? va_arg(ap, unsigned long long)
          : lng == 1 ? va_arg(ap, unsigned long)
                     : va_arg(ap, unsigned int);
      put_num(&o, u, false,
              *fmt == 'u'   ? 10
              : *fmt == 'o' ? 8
                            : 16,
              *fmt == 'X', width, left, zero);
      break;
    case 'p':
      put(&o, '0');
      put(&o, 'x');
      put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, 16, false, true);
      break;
    case 'c':
      pad(&o, ' ', left ? 0 : width - 1);
      put(&o, (char)va_arg(ap, int));
      pad(&o, ' ', left ? width - 1 : 0);
      break;
    case 's': {
      const char *str = va_arg(ap, const char *);
      if (!str)
        str = "(null)";
      int len = (int)strnlen(str, prec < 0 ? (size_t)-1 : (size_t)prec);
      pad(&o, ' ', left ? 0 : width - len);
      for (int i = 0; i < len; i++)
        put(&o, str[i]);
      pad(&o, ' ', left ? width - len : 0);
      break;
    }
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
