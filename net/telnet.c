/* The receive side of telnet (RFC 854, 855, 857 ECHO, 858 SGA), just enough
 * for a console: the server echoes and suppresses go-ahead, so a telnet
 * client sends each key as it is typed and does not echo it itself.
 * Every other option is refused; subnegotiations and commands (NOP, AYT,
 * BRK...) are skipped.  RFC 1143's rule that no request for the current
 * state is answered keeps a hostile or confused peer from making us loop. */
#include "net_priv.h"
#include <hv/string.h>

#define IAC 255
#define DONT 254
#define DO 253
#define WONT 252
#define WILL 251
#define SB 250
#define SE 240
#define OPT_ECHO 1
#define OPT_SGA 3

enum { S_DATA, S_IAC, S_OPT, S_SB, S_SB_IAC };

static size_t put3(uint8_t *out, size_t at, size_t max, uint8_t verb, uint8_t opt)
{
  if (at + 3 > max)
    return at; /* no room: leave the reply out */
  out[at] = IAC;
  out[at + 1] = verb;
  out[at + 2] = opt;
  return at + 3;
}

size_t telnet_start(struct telnet *t, uint8_t *out)
{
  memset(t, 0, sizeof(*t));
  t->us[OPT_ECHO] = t->us[OPT_SGA] = 1;
  t->him[OPT_SGA] = 1;
  size_t n = put3(out, 0, 9, WILL, OPT_ECHO);
  n = put3(out, n, 9, WILL, OPT_SGA);
  return put3(out, n, 9, DO, OPT_SGA);
}

/* What we want of option opt: we do ECHO and SGA, the peer may do SGA. */
static bool want_us(uint8_t opt) { return opt == OPT_ECHO || opt == OPT_SGA; }
static bool want_him(uint8_t opt) { return opt == OPT_SGA; }

/* One WILL/WONT/DO/DONT for opt; returns the new reply length. */
static size_t negotiate(struct telnet *t, uint8_t verb, uint8_t opt, uint8_t *reply, size_t at,
                        size_t max)
{
  bool known = opt < sizeof(t->us);
  switch (verb) {
  case WILL: /* the peer will do opt */
    if (known && t->him[opt])
      return at; /* already so: no answer (RFC 1143) */
    if (want_him(opt)) {
      t->him[opt] = 1;
      return put3(reply, at, max, DO, opt);
    }
    return put3(reply, at, max, DONT, opt);
  case WONT:
    if (!known || !t->him[opt])
      return at;
    t->him[opt] = 0;
    return put3(reply, at, max, DONT, opt);
  case DO: /* the peer asks us to do opt */
    if (known && t->us[opt])
      return at;
    if (want_us(opt)) {
      t->us[opt] = 1;
      return put3(reply, at, max, WILL, opt);
    }
    return put3(reply, at, max, WONT, opt);
  default: /* DONT */
    if (!known || !t->us[opt])
      return at;
    t->us[opt] = 0;
    return put3(reply, at, max, WONT, opt);
  }
}

size_t telnet_rx(struct telnet *t, const uint8_t *in, size_t n, uint8_t *data, uint8_t *reply,
                 size_t reply_max, size_t *nreply)
{
  size_t nd = 0, nr = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = in[i];
    switch (t->state) {
    case S_DATA:
      if (c == IAC) {
        t->state = S_IAC;
        break;
      }
      /* A telnet client ends a line with CR LF or CR NUL; a terminal (and
       * the serial line) sends CR alone, which is what a guest expects. */
      if (t->cr && (c == '\n' || c == '\0')) {
        t->cr = false;
        break;
      }
      t->cr = c == '\r';
      data[nd++] = c;
      break;
    case S_IAC:
      t->state = S_DATA;
      if (c == IAC) { /* an escaped 255 is data */
        t->cr = false;
        data[nd++] = c;
      } else if (c >= WILL && c <= DONT) {
        t->verb = c;
        t->state = S_OPT;
      } else if (c == SB) {
        t->state = S_SB;
      } /* other commands (NOP, DM, BRK, IP, AO, AYT, EC, EL, GA) are skipped */
      break;
    case S_OPT:
      nr = negotiate(t, t->verb, c, reply, nr, reply_max);
      t->state = S_DATA;
      break;
    case S_SB: /* skip to IAC SE, however long */
      if (c == IAC)
        t->state = S_SB_IAC;
      break;
    default: /* S_SB_IAC */ t->state = c == SE ? S_DATA : S_SB; break;
    }
  }
  *nreply = nr;
  return nd;
}
