/* The network console (net/): the hypervisor's own NIC, lwIP, the UDP log
 * stream (netconsole=) and the interactive TCP console (netcon=).  Guests
 * never see any of it. */
#ifndef HV_NET_H
#define HV_NET_H

#include <hv/types.h>

#define NET_DEV_MAX 16
#define NET_PW_MAX 160

/* What the command line asks of the network (net=, netdev=, netconsole=,
 * netcon=, netcon_pw=, netcon_idle=).  Addresses are in host byte order. */
struct net_config {
  bool on;         /* net= was given */
  bool dhcp;       /* net=dhcp; else ip/prefix/gw are static */
  uint32_t ip, gw; /* net=IP/PREFIX[,gw=IP]; gw 0 = none */
  uint8_t prefix;
  char dev[NET_DEV_MAX]; /* netdev=BB:DD.F, "" = the first NIC found */
  uint32_t udp_ip;       /* netconsole=IP:PORT; udp_port 0 = off */
  uint16_t udp_port;
  uint16_t tcp_port;   /* netcon=PORT; 0 = off */
  char pw[NET_PW_MAX]; /* netcon_pw=: a salted hash (hv/lib/pwhash.c) */
  uint32_t idle_s;     /* netcon_idle=SECONDS: close an idle session; 0 = never */
};

/* Defaults: everything off, an idle session closed after 15 minutes. */
void net_config_defaults(struct net_config *cfg);

/* Apply one command line option if it is a network one.  Returns 1 when
 * key is not a network option, 0 when applied, -EINVAL for a bad value
 * (cfg unchanged). */
int net_config_apply(struct net_config *cfg, const char *key, const char *val);

/* Parse "a.b.c.d" into *ip (host order); 0 or -EINVAL. */
int net_parse_ip(const char *s, uint32_t *ip);

/* Bring the network up as cfg says (nothing when !cfg->on): find the NIC,
 * start lwIP, DHCP or the static address, and the consoles asked for.
 * Problems are reported and leave the network off; never fatal. */
void net_start(const struct net_config *cfg);

/* Run the network once: received frames, lwIP's timers, console output
 * to the peers.  Called from the console multiplexer's poll, under
 * hv_lock; cheap when there is nothing to do. */
void net_poll(void);

/* The machine is going down: send what the peers have not had yet, for
 * at most max_ns, then close the TCP session.  Called without hv_lock,
 * when no other CPU runs hypervisor code. */
void net_flush(uint64_t max_ns);

/* Whether output waits for the network (the caller polls sooner). */
bool net_busy(void);

/* The console's output stream, as the serial line gets it: copied into a
 * bounded buffer for the network peers; never waits.  Called with the
 * console lock held, from any CPU. */
void net_console_put(const char *s, size_t n);
/* Whether net_console_put keeps anything: set once the command line asks
 * for a network console, so that the boot log is there for it. */
extern bool net_out_enabled;

/* A domain's output has just reached the console: send it to the TCP
 * session now (its echo should not wait for the next poll).  Under
 * hv_lock, never from inside net/. */
void net_console_kick(void);

/* One byte typed on the TCP console, or -1 when none waits. */
int net_console_getc(void);

#endif
