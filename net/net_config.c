/* The network options of the hypervisor's command line:
 *   net=dhcp | net=IP/PREFIX[,gw=IP]   netdev=BB:DD.F
 *   netconsole=IP:PORT   netcon=PORT   netcon_pw=HASH   netcon_idle=SECONDS */
#include "net_priv.h"
#include <hv/errno.h>
#include <hv/string.h>

#define IDLE_DEFAULT_S (15 * 60)

void net_config_defaults(struct net_config *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->idle_s = IDLE_DEFAULT_S;
}

/* A decimal number no larger than max, ending at *end (NUL or one of
 * stop); advances *s past it. */
static int parse_uint(const char **s, uint32_t max, const char *stop, uint32_t *out)
{
  const char *p = *s;
  uint64_t v = 0;
  if (*p < '0' || *p > '9')
    return -EINVAL;
  for (; *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > max)
      return -EINVAL;
  }
  if (*p && !strchr(stop, *p))
    return -EINVAL;
  *s = p;
  *out = (uint32_t)v;
  return 0;
}

/* "a.b.c.d" up to the end or one of stop; advances *s. */
static int parse_ip(const char **s, const char *stop, uint32_t *ip)
{
  uint32_t v = 0, part;
  for (int i = 0; i < 4; i++) {
    if (parse_uint(s, 255, i < 3 ? "." : stop, &part))
      return -EINVAL;
    if (i < 3 && *(*s)++ != '.')
      return -EINVAL;
    v = v << 8 | part;
  }
  *ip = v;
  return 0;
}

int net_parse_ip(const char *s, uint32_t *ip) { return parse_ip(&s, "", ip); }

/* net=dhcp or net=IP/PREFIX[,gw=IP] */
static int parse_net(struct net_config *cfg, const char *v)
{
  struct net_config c = *cfg;
  uint32_t prefix;
  c.on = true;
  if (!strcmp(v, "dhcp")) {
    c.dhcp = true;
    c.ip = c.gw = 0;
    c.prefix = 0;
    *cfg = c;
    return 0;
  }
  c.dhcp = false;
  c.gw = 0;
  if (parse_ip(&v, "/", &c.ip) || *v++ != '/' || parse_uint(&v, 32, ",", &prefix) || prefix == 0)
    return -EINVAL;
  c.prefix = (uint8_t)prefix;
  if (*v) {
    if (strncmp(v, ",gw=", 4))
      return -EINVAL;
    v += 4;
    if (parse_ip(&v, "", &c.gw) || !c.gw)
      return -EINVAL;
  }
  if (!c.ip)
    return -EINVAL;
  *cfg = c;
  return 0;
}

int net_config_apply(struct net_config *cfg, const char *key, const char *val)
{
  uint32_t n;
  if (!strcmp(key, "net"))
    return val ? parse_net(cfg, val) : -EINVAL;
  if (!strcmp(key, "netdev")) {
    if (!val || !*val || strlen(val) >= sizeof(cfg->dev))
      return -EINVAL;
    strlcpy(cfg->dev, val, sizeof(cfg->dev));
    return 0;
  }
  if (!strcmp(key, "netconsole")) {
    uint32_t ip;
    if (!val || parse_ip(&val, ":", &ip) || *val++ != ':' || parse_uint(&val, 65535, "", &n) ||
        !n || !ip)
      return -EINVAL;
    cfg->udp_ip = ip;
    cfg->udp_port = (uint16_t)n;
    return 0;
  }
  if (!strcmp(key, "netcon")) {
    if (!val || parse_uint(&val, 65535, "", &n) || !n)
      return -EINVAL;
    cfg->tcp_port = (uint16_t)n;
    return 0;
  }
  if (!strcmp(key, "netcon_pw")) {
    if (!val || !*val || strlen(val) >= sizeof(cfg->pw))
      return -EINVAL;
    strlcpy(cfg->pw, val, sizeof(cfg->pw));
    return 0;
  }
  if (!strcmp(key, "netcon_idle")) {
    if (!val || parse_uint(&val, 7 * 24 * 3600, "", &n))
      return -EINVAL;
    cfg->idle_s = n;
    return 0;
  }
  return 1;
}
