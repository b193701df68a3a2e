/* The backend's side of a struct xencons_interface: take what the guest
 * wrote to `out`, put input into `in`.  Pure index arithmetic on the shared
 * page; who is told, and when, is hv/console_ring.c's business.
 *
 * The guest owns out_prod and in_cons and may write anything there at any
 * time, so every index it owns is read once into a local and checked: a
 * ring claiming more bytes than it holds is broken, and nothing is taken
 * from it or put into it. */
#include <hv/console.h>
#include <hv/errno.h>

/* The guest's index, read once; acquire: the bytes it covers were written
 * before it (the guest's write barrier pairs with this). */
static uint32_t load_guest(const XENCONS_RING_IDX *idx)
{
  return __atomic_load_n(idx, __ATOMIC_ACQUIRE);
}

/* Our index, published after the bytes or the slots it covers. */
static void store_ours(XENCONS_RING_IDX *idx, uint32_t val)
{
  __atomic_store_n(idx, val, __ATOMIC_RELEASE);
}

int xencons_take(struct xencons_interface *intf, char *buf, size_t max)
{
  uint32_t prod = load_guest(&intf->out_prod);
  uint32_t cons = intf->out_cons;
  if (prod - cons > XENCONS_OUT_SIZE)
    return -EIO;
  size_t n = 0;
  while (cons != prod && n < max)
    buf[n++] = intf->out[MASK_XENCONS_IDX(cons++, intf->out)];
  store_ours(&intf->out_cons, cons);
  return (int)n;
}

int xencons_room(struct xencons_interface *intf)
{
  uint32_t cons = load_guest(&intf->in_cons);
  uint32_t used = intf->in_prod - cons;
  if (used > XENCONS_IN_SIZE)
    return -EIO;
  return (int)(XENCONS_IN_SIZE - used);
}

int xencons_put(struct xencons_interface *intf, const char *buf, size_t len)
{
  int room = xencons_room(intf);
  if (room < 0)
    return room;
  uint32_t prod = intf->in_prod;
  size_t n = MIN(len, (size_t)room);
  for (size_t i = 0; i < n; i++)
    intf->in[MASK_XENCONS_IDX(prod++, intf->in)] = buf[i];
  store_ours(&intf->in_prod, prod);
  return (int)n;
}
