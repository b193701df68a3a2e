/* The console multiplexer: one soft timer that keeps the serial line busy,
 * reads what is typed on it and gives it to the domain with the input
 * focus.  Three Ctrl-A in a row move the focus to the next domain that
 * takes input (dom0, then the domUs with a console ring), as in Xen.
 *
 * dom0 reads its input with CONSOLEIO_read and hears of it by VIRQ_CONSOLE
 * (both from the ring here); a domU gets it in its console ring.  A byte is
 * only read from the UART when the focused domain has room for it, so
 * nothing typed is lost: a domain that does not read holds the line.
 *
 * The focused domain's output goes to the devices raw (hv/domain.c), as
 * `xl console` shows a guest's console under Xen. */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/evtchn.h>
#include <hv/net.h>
#include <hv/printk.h>
#include <hv/timer.h>

#define SWITCH_CODE 0x01 /* Ctrl-A */
#define SWITCH_COUNT 3
#define POLL_BUSY_NS 1000000ULL  /* 1 ms while output waits (16 bytes ~ 1.4 ms) */
#define POLL_IDLE_NS 10000000ULL /* 10 ms otherwise: typing speed */
#define RX_SIZE 1024             /* dom0's input ring, read by CONSOLEIO_read */

bool console_focus_raw = true;

static struct timer poll_timer;
static domid_t focus;
static bool have_focus;
static unsigned int switch_count;
static char rx_ring[RX_SIZE];
static uint64_t rx_prod, rx_cons; /* bytes ever put / ever read */

/* Whether d takes input from the serial line. */
static bool takes_input(const struct domain *d)
{
  return d->state == DOMAIN_RUNNING && (d->privileged || d->con_page);
}

/* The next domain after id (by creation order, wrapping) that takes
 * input; NULL if none does. */
static struct domain *next_after(domid_t id)
{
  struct domain *cur = domain_find(id);
  struct domain *d = cur ? cur->next : NULL;
  for (unsigned int pass = 0; pass < 2; pass++, d = domain_list) {
    for (; d; d = d->next)
      if (takes_input(d))
        return d;
  }
  return NULL;
}

static void set_focus(struct domain *d)
{
  focus = d->id;
  have_focus = true;
  printk(LOG_ALWAYS, "mica: console input goes to %s (Ctrl-A three times to switch)", d->name);
  domain_console_show_partial(d); /* its prompt, held back while unfocused */
}

bool console_mux_has_focus(const struct domain *d) { return have_focus && focus == d->id; }

/* The domain with the focus; moves it on when that one ended. */
static struct domain *focused(void)
{
  if (!have_focus)
    return NULL;
  struct domain *d = domain_find(focus);
  if (d && takes_input(d))
    return d;
  d = next_after(focus);
  if (d)
    set_focus(d);
  else
    have_focus = false;
  return d;
}

/* How many bytes d can take now. */
static size_t room(struct domain *d)
{
  if (d->privileged)
    return RX_SIZE - (size_t)(rx_prod - rx_cons);
  return console_ring_room(d);
}

static void deliver(struct domain *d, char c)
{
  if (d->privileged) {
    rx_ring[rx_prod++ % RX_SIZE] = c;
    evtchn_send_global_virq(d, VIRQ_CONSOLE);
  } else {
    console_ring_input(d, &c, 1);
  }
}

/* Read what the focused domain has room for.  Ctrl-As short of three are
 * the guest's after all: they go through before the byte that broke the
 * run (only when there is room for all of them).  Returns whether a byte
 * went to a domain. */
static bool read_input(void)
{
  bool took = false;
  for (;;) {
    struct domain *d = focused();
    if (!d || room(d) < switch_count + 1)
      return took;
    int c = arch_console_getc();
    if (c < 0)
      c = net_console_getc(); /* the TCP console (net/netcon.c) */
    if (c < 0)
      return took;
    if (c == SWITCH_CODE && ++switch_count == SWITCH_COUNT) {
      switch_count = 0;
      struct domain *n = next_after(d->id);
      if (n && n != d)
        set_focus(n);
      continue;
    }
    if (c == SWITCH_CODE)
      continue;
    for (; switch_count; switch_count--)
      deliver(d, SWITCH_CODE);
    deliver(d, (char)c);
    took = true;
  }
}

static void poll(struct timer *t, void *data)
{
  (void)data;
  console_kick();
  net_poll();
  /* A key just delivered is likely echoed soon: look again sooner. */
  bool busy = read_input() || console_tx_queued() || net_busy();
  timer_set(t, timer_now() + (busy ? POLL_BUSY_NS : POLL_IDLE_NS));
}

void console_mux_start(void)
{
  struct domain *d = next_after(DOMID_INVALID);
  if (d)
    set_focus(d);
  timer_init(&poll_timer, poll, NULL);
  timer_set(&poll_timer, timer_now() + POLL_IDLE_NS);
}

void console_mux_stop(void) { timer_stop(&poll_timer); }

size_t console_mux_read(char *buf, size_t n)
{
  size_t done = 0;
  while (done < n && rx_cons != rx_prod)
    buf[done++] = rx_ring[rx_cons++ % RX_SIZE];
  return done;
}
