/* What lwIP asks of its platform (NO_SYS=1): the time in milliseconds,
 * random numbers, and what to do with an assertion or a diagnostic. */
#include "lwip/sys.h"
#include <arch/arch.h>
#include <hv/printk.h>
#include <hv/string.h>
#include <hv/timer.h>
#include <stdlib.h>

u32_t sys_now(void) { return (u32_t)(timer_now() / 1000000ULL); }

/* xorshift64*, seeded from the clock at the first call and stirred by it
 * at every call.  Good enough for DHCP transaction ids, local ports and
 * initial sequence numbers on a management network; not a secret. */
uint32_t net_rand(void)
{
  static uint64_t x;
  x ^= timer_now() * 0x9e3779b97f4a7c15ULL;
  if (!x)
    x = 0x2545f4914f6cdd1dULL;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

void net_lwip_assert(const char *msg, const char *file, int line)
{
  panic("lwIP assertion at %s:%d: %s", file, line, msg);
}

void net_lwip_diag(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprintk(LOG_DEBUG, fmt, ap);
  va_end(ap);
}

/* netif_find() reads an interface number with it. */
int atoi(const char *s)
{
  int v = 0;
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return v;
}
