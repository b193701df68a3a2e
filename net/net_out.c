/* The network console's output ring: the console's stream, kept for the
 * network peers, who read it at their own pace.  The writer never waits:
 * a peer that cannot keep up loses the oldest bytes, and learns how many
 * (the serial line and the log ring lose nothing; they are fed apart). */
#include "net_priv.h"
#include <arch/arch.h>
#include <hv/spinlock.h>
#include <hv/string.h>

static char ring[NET_OUT_SIZE];
static uint64_t prod; /* bytes ever written */
/* The writer runs under the console lock on any CPU; readers under
 * hv_lock.  This lock makes a read see whole writes only. */
static struct spinlock out_lock = SPINLOCK_INIT;

bool net_out_enabled;

void net_console_put(const char *s, size_t n)
{
  if (!net_out_enabled)
    return;
  unsigned long flags = arch_irq_save();
  spin_lock(&out_lock);
  if (n > NET_OUT_SIZE) { /* only the tail can be kept */
    prod += n - NET_OUT_SIZE;
    s += n - NET_OUT_SIZE;
    n = NET_OUT_SIZE;
  }
  size_t at = prod % NET_OUT_SIZE, first = MIN(n, NET_OUT_SIZE - at);
  memcpy(&ring[at], s, first);
  memcpy(ring, s + first, n - first);
  prod += n;
  spin_unlock(&out_lock);
  arch_irq_restore(flags);
}

void net_out_attach(struct net_reader *r)
{
  unsigned long flags = arch_irq_save();
  spin_lock(&out_lock);
  r->pos = prod;
  spin_unlock(&out_lock);
  arch_irq_restore(flags);
}

void net_out_attach_oldest(struct net_reader *r)
{
  unsigned long flags = arch_irq_save();
  spin_lock(&out_lock);
  r->pos = prod > NET_OUT_SIZE ? prod - NET_OUT_SIZE : 0;
  spin_unlock(&out_lock);
  arch_irq_restore(flags);
}

size_t net_out_pending(const struct net_reader *r)
{
  uint64_t p = __atomic_load_n(&prod, __ATOMIC_RELAXED);
  return (size_t)MIN(p - r->pos, (uint64_t)NET_OUT_SIZE);
}

size_t net_out_read(struct net_reader *r, char *buf, size_t max, uint64_t *dropped)
{
  unsigned long flags = arch_irq_save();
  spin_lock(&out_lock);
  *dropped = 0;
  if (prod - r->pos > NET_OUT_SIZE) {
    *dropped = prod - r->pos - NET_OUT_SIZE;
    r->pos = prod - NET_OUT_SIZE;
  }
  size_t n = (size_t)MIN((uint64_t)max, prod - r->pos);
  size_t at = r->pos % NET_OUT_SIZE, first = MIN(n, NET_OUT_SIZE - at);
  memcpy(buf, &ring[at], first);
  memcpy(buf + first, ring, n - first);
  r->pos += n;
  spin_unlock(&out_lock);
  arch_irq_restore(flags);
  return n;
}

int net_drop_marker(char *buf, size_t size, uint64_t dropped)
{
  return snprintf(buf, size, "\r\n[mica: %llu bytes dropped]\r\n", (unsigned long long)dropped);
}
