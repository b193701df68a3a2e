/* netconsole=IP:PORT: the console's stream as UDP datagrams, the way
 * Linux's netconsole sends its log (plain text, lines ending in "\n", from
 * local port 6665), so `nc -u -l PORT` and existing collectors read it.
 * The stream since boot is sent once the address is known (what the ring
 * still holds of it); a datagram ends at a line end where it can. */
#include "lwip/netif.h"
#include "lwip/udp.h"
#include "net_priv.h"
#include <hv/printk.h>
#include <hv/string.h>

#define LOCAL_PORT 6665
#define DGRAM_MAX 1000 /* what Linux's netconsole sends at most */
#define BURST 16       /* datagrams per poll */

static struct udp_pcb *pcb;
static ip_addr_t dest;
static uint16_t dest_port;
static struct net_reader reader;
static char pend[DGRAM_MAX + 64]; /* the next datagram, kept when sending fails */
static size_t pend_len;

void netconsole_start(uint32_t ip, uint16_t port)
{
  pcb = udp_new();
  if (!pcb || udp_bind(pcb, IP_ADDR_ANY, LOCAL_PORT) != ERR_OK) {
    pr_err("netconsole: no UDP endpoint (lwIP out of memory); not started");
    if (pcb)
      udp_remove(pcb);
    pcb = NULL;
    return;
  }
  ip_addr_set_ip4_u32(&dest, lwip_htonl(ip));
  dest_port = port;
  net_out_attach_oldest(&reader); /* the boot log, as much as the ring kept */
  pr_info("netconsole: sending the console to %u.%u.%u.%u:%u by UDP", ip >> 24, ip >> 16 & 255,
          ip >> 8 & 255, ip & 255, port);
}

/* Fill pend with the next datagram: a drop marker, or up to DGRAM_MAX
 * bytes of the stream ending at its last line end, "\r\n" made "\n". */
static void next_datagram(void)
{
  char buf[DGRAM_MAX];
  uint64_t dropped;
  size_t n = net_out_read(&reader, buf, sizeof(buf), &dropped);
  if (dropped) {
    reader.pos -= n; /* the marker goes alone, the text next time */
    pend_len = (size_t)snprintf(pend, sizeof(pend), "[mica: %llu bytes dropped]\n",
                                (unsigned long long)dropped);
    return;
  }
  size_t keep = n;
  while (n == sizeof(buf) && keep && buf[keep - 1] != '\n')
    keep--;
  if (!keep)
    keep = n; /* one line longer than a datagram goes in pieces */
  reader.pos -= n - keep;
  pend_len = 0;
  for (size_t i = 0; i < keep; i++)
    if (!(buf[i] == '\r' && i + 1 < keep && buf[i + 1] == '\n'))
      pend[pend_len++] = buf[i];
}

/* Whether datagrams can go out: an address and a link. */
static bool can_send(void)
{
  return pcb && netif_default && !ip4_addr_isany(netif_ip4_addr(netif_default)) &&
         netif_is_link_up(netif_default);
}

void netconsole_poll(void)
{
  if (!can_send())
    return;
  for (unsigned int i = 0; i < BURST; i++) {
    if (!pend_len)
      next_datagram();
    if (!pend_len)
      return;
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)pend_len, PBUF_RAM);
    if (!p)
      return; /* out of memory now: the same datagram next time */
    pbuf_take(p, pend, (u16_t)pend_len);
    err_t err = udp_sendto(pcb, p, &dest, dest_port);
    pbuf_free(p);
    if (err != ERR_OK)
      return;
    pend_len = 0;
  }
}

bool netconsole_busy(void) { return can_send() && (pend_len || net_out_pending(&reader)); }
