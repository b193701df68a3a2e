/* The hypervisor's network: the NIC (net/e1000.c) as lwIP's one netif, an
 * address by DHCP or from the command line, and the consoles on top.
 * lwIP runs with NO_SYS=1: every call into it comes from net_poll (the
 * console multiplexer's soft timer) or net_start, under hv_lock, so it
 * needs no lock of its own. */
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "net_priv.h"
#include "netif/ethernet.h"
#include <hv/errno.h>
#include <hv/nic.h>
#include <hv/printk.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/timer.h>

#define RX_BUDGET 32                /* frames taken per poll (the rx ring's size) */
#define LINK_CHECK_NS 1000000000ULL /* how often the link state is read */
#define SETTLE_NS 50000000ULL       /* at most, sending the boot log at start */

static struct netif netif;
static struct nic *nic;
static bool running;
static uint64_t link_checked_ns;
static uint8_t frame[NIC_FRAME_MAX]; /* one frame in or out; under hv_lock */

/* lwIP hands a frame to send (a pbuf chain): copied out in one piece. */
static err_t link_output(struct netif *n, struct pbuf *p)
{
  (void)n;
  if (p->tot_len > sizeof(frame))
    return ERR_BUF;
  pbuf_copy_partial(p, frame, p->tot_len, 0);
  int err = nic_tx(nic, frame, p->tot_len);
  return err == -EAGAIN ? ERR_MEM : err ? ERR_IF : ERR_OK;
}

static err_t netif_setup(struct netif *n)
{
  n->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(n->hwaddr, nic->mac, ETH_HWADDR_LEN);
  n->mtu = 1500;
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  n->output = etharp_output;
  n->linkoutput = link_output;
  n->name[0] = 'e';
  n->name[1] = 'n';
  netif_set_hostname(n, "mica");
  return ERR_OK;
}

static void say_address(struct netif *n)
{
  const ip4_addr_t *ip = netif_ip4_addr(n), *gw = netif_ip4_gw(n);
  if (ip4_addr_isany(ip))
    return;
  pr_info("net: %s address %u.%u.%u.%u/%u, gateway %u.%u.%u.%u",
          dhcp_supplied_address(n) ? "DHCP" : "static", ip4_addr1(ip), ip4_addr2(ip), ip4_addr3(ip),
          ip4_addr4(ip), __builtin_popcount(ip4_addr_get_u32(netif_ip4_netmask(n))), ip4_addr1(gw),
          ip4_addr2(gw), ip4_addr3(gw), ip4_addr4(gw));
}

static void status_changed(struct netif *n) { say_address(n); }

static void link_changed(struct netif *n)
{
  pr_info("net: link %s", netif_is_link_up(n) ? "up" : "down");
}

static void ip_of(uint32_t host, ip4_addr_t *out) { ip4_addr_set_u32(out, lwip_htonl(host)); }

void net_start(const struct net_config *cfg)
{
  if (!cfg->on) {
    if (cfg->udp_port || cfg->tcp_port || cfg->dev[0])
      pr_warn("net: netconsole=, netcon= and netdev= need net= (dhcp or an address): the "
              "network stays off");
    return;
  }
  if (net_hw_init(cfg->dev[0] ? cfg->dev : NULL))
    return; /* net_hw_init said why */
  nic = nic_get();
  lwip_init();
  ip4_addr_t ip, mask, gw;
  ip_of(cfg->dhcp ? 0 : cfg->ip, &ip);
  ip_of(cfg->dhcp || !cfg->prefix ? 0 : ~0u << (32 - cfg->prefix), &mask);
  ip_of(cfg->dhcp ? 0 : cfg->gw, &gw);
  if (!netif_add(&netif, &ip, &mask, &gw, NULL, netif_setup, ethernet_input)) {
    pr_err("net: lwIP refused the interface; the network stays off");
    return;
  }
  netif_set_default(&netif);
  netif_set_status_callback(&netif, status_changed);
  netif_set_link_callback(&netif, link_changed);
  netif_set_up(&netif);
  if (nic_link_up(nic))
    netif_set_link_up(&netif);
  if (cfg->dhcp) {
    err_t err = dhcp_start(&netif);
    if (err != ERR_OK)
      pr_err("net: DHCP could not start (lwIP error %d)", err);
    else
      pr_info("net: asking for an address by DHCP");
  }
  running = true;
  if (cfg->udp_port)
    netconsole_start(cfg->udp_ip, cfg->udp_port);
  if (cfg->tcp_port)
    netcon_start(cfg);
  /* With an address already (a static one), send the boot log now, before
   * the domains run (the multiplexer's poll starts with them): a little
   * longer boot rather than a burst inside the guests' first moments. */
  uint64_t end = timer_now() + SETTLE_NS;
  while (net_busy() && timer_now() < end)
    net_poll();
}

void net_poll(void)
{
  if (!running)
    return;
  for (unsigned int i = 0; i < RX_BUDGET; i++) {
    int len = nic_rx(nic, frame, sizeof(frame));
    if (len <= 0)
      break;
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p)
      break; /* out of buffers: the frame is dropped, as on a busy wire */
    pbuf_take(p, frame, (u16_t)len);
    if (netif.input(p, &netif) != ERR_OK)
      pbuf_free(p);
  }
  uint64_t now = timer_now();
  if (now - link_checked_ns >= LINK_CHECK_NS) {
    link_checked_ns = now;
    bool up = nic_link_up(nic);
    if (up != !!netif_is_link_up(&netif))
      (up ? netif_set_link_up : netif_set_link_down)(&netif);
  }
  sys_check_timeouts();
  netconsole_poll();
  netcon_poll();
}

void net_flush(uint64_t max_ns)
{
  if (!running)
    return;
  hv_lock_take(); /* the one CPU left, but lwIP's rule is kept */
  uint64_t end = timer_now() + max_ns;
  do
    net_poll();
  while (timer_now() < end && (net_busy() || netcon_unacked()));
  netcon_stop();
  /* The session's last words and its FIN: a few more polls, bounded. */
  end = timer_now() + max_ns / 8;
  while (timer_now() < end)
    net_poll();
  hv_lock_drop();
}

bool net_busy(void) { return running && (netconsole_busy() || netcon_busy()); }

void net_console_kick(void)
{
  if (running)
    netcon_kick();
}

int net_console_getc(void) { return running ? netcon_getc() : -1; }
