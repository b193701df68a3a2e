/* The console ring backend: each domU's xencons_interface page, with the
 * hypervisor at the other end (Xen leaves that to xenconsoled in dom0).
 *
 * Output: a send on the ring's port (or the retry timer) moves what the
 * guest wrote into the console queue, line by line with the domain's name
 * in front, and tells the guest the space is free again.  Only as much is
 * taken as the queue holds without waiting; the rest stays in the guest's
 * ring and a timer comes back for it.  So a guest that floods its ring
 * waits for the serial line like anyone else, and loses nothing.
 *
 * Input: console_ring_input puts bytes from the serial line (hv/console_mux.c
 * decides whose) into `in` and signals the port. */
#include <arch/mm.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/frame.h>
#include <hv/guestmem.h>
#include <hv/net.h>
#include <hv/printk.h>
#include <public/hvm.h>

/* Room kept in the console queue for one whole line of a domain (its
 * 128-byte buffer, the timestamp and the name): a take never makes the
 * queue wait. */
#define LINE_ROOM 256
#define RETRY_NS 2000000ULL /* 2 ms: ~230 bytes leave a 115200-baud line */

static struct xencons_interface *ring(struct domain *d) { return phys_to_virt(d->con_page); }

static void ring_event(struct domain *d, unsigned int port);

static void notify(struct domain *d) { evtchn_notify_hv(d, d->con_port, ring_event); }

/* A guest that wrote impossible indices: say so once, touch nothing. */
static void broken(struct domain *d)
{
  if (!d->con_broken)
    pr_warn("%s: console ring indices are inconsistent; the ring is ignored until they are sane",
            d->name);
  d->con_broken = true;
}

/* Move output to the console queue while it has room for it; with
 * `all`, wait for room instead (the domain is ending). */
static void drain(struct domain *d, bool all)
{
  char buf[64];
  bool took = false;

  for (;;) {
    size_t room = CONSOLE_TX_SIZE - console_tx_queued();
    if (!all && room < LINE_ROOM + sizeof(buf))
      break;
    int n = xencons_take(ring(d), buf, sizeof(buf));
    if (n < 0) {
      broken(d);
      return;
    }
    d->con_broken = false;
    if (!n)
      break;
    domain_console_write(d, buf, (size_t)n);
    took = true;
  }
  if (took && !all) {
    notify(d);          /* the guest may wait for space */
    net_console_kick(); /* an echo goes to the TCP console now, not at the next poll */
  }
  /* What is left is picked up when the queue has drained a bit. */
  if (!all && ring(d)->out_prod != ring(d)->out_cons)
    timer_set(&d->con_timer, timer_now() + RETRY_NS);
}

static void ring_event(struct domain *d, unsigned int port)
{
  (void)port;
  drain(d, false);
}

static void retry(struct timer *t, void *data)
{
  (void)t;
  struct domain *d = data;
  if (d->state == DOMAIN_RUNNING)
    drain(d, false);
}

int console_ring_create(struct domain *d)
{
  d->con_page_gfn = ~0ULL;
  timer_init(&d->con_timer, retry, d);
  d->con_page = frame_alloc_zeroed();
  if (!d->con_page)
    return -ENOMEM;
  int err = guestmem_map_special(d, CONSOLE_RING_GFN, d->con_page, &d->con_page_gfn);
  if (err)
    return err;
  int port = evtchn_alloc_hv(d, ring_event);
  if (port < 0)
    return port;
  d->con_port = (uint32_t)port;
  d->hvm_params[HVM_PARAM_CONSOLE_PFN] = CONSOLE_RING_GFN;
  d->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] = (uint32_t)port;
  return 0;
}

bool console_ring_yield(struct domain *d, paddr_t hpa)
{
  if (!d->con_page || hpa != d->con_page || !d->toolstack_built || d->creation_finished)
    return false;
  paddr_t old;
  if (arch_p2m_set_type(d, d->con_page_gfn << PAGE_SHIFT, 0, P2M_NONE, &old, NULL))
    return false;
  pr_info("%s: its toolstack puts a page of its own at 0x%llx: the hypervisor's console ring "
          "there is given up",
          d->name, (unsigned long long)d->con_page_gfn);
  evtchn_free_hv(d, d->con_port, ring_event);
  if (d->hvm_params[HVM_PARAM_CONSOLE_PFN] == d->con_page_gfn)
    d->hvm_params[HVM_PARAM_CONSOLE_PFN] = 0;
  if (d->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] == d->con_port)
    d->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] = 0;
  d->con_page_gfn = ~0ULL;
  console_ring_free(d);
  return true;
}

size_t console_ring_input(struct domain *d, const char *buf, size_t len)
{
  if (!d->con_page || d->state != DOMAIN_RUNNING)
    return 0;
  int n = xencons_put(ring(d), buf, len);
  if (n < 0) {
    broken(d);
    return 0;
  }
  if (n)
    notify(d);
  return (size_t)n;
}

size_t console_ring_room(struct domain *d)
{
  if (!d->con_page || d->state != DOMAIN_RUNNING)
    return 0;
  int r = xencons_room(ring(d));
  return r > 0 ? (size_t)r : 0;
}

void console_ring_stop(struct domain *d)
{
  if (!d->con_page)
    return;
  timer_stop(&d->con_timer);
  drain(d, true); /* its last words, however slow the line */
}

void console_ring_free(struct domain *d)
{
  if (!d->con_page)
    return;
  timer_stop(&d->con_timer);
  frame_free(d->con_page);
  d->con_page = 0;
}
