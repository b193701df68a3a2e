/* netcon=PORT: the interactive console over TCP, the same console as the
 * serial line (every domain's output, input to the domain with the focus,
 * three Ctrl-A to move it), for telnet, nc or socat.
 *
 * It types into dom0, so: a password first (netcon_pw=, a salted PBKDF2
 * hash from tools/mica-passwd, checked in constant time); a failed login
 * is answered after a pause and LOCK_AFTER of them in a row lock the
 * console for LOCK_NS; one session at a time (a second connection is told
 * who has it and closed); a login must finish within LOGIN_NS (or
 * netcon_idle=, when shorter) and a session idle for netcon_idle= seconds
 * is closed.  Every connection,
 * login, failure and logout is logged with the peer's address.
 *
 * Input reaches the guest no faster than the guest takes it: received
 * bytes stay in lwIP's pbufs, and the TCP window opens again (tcp_recved)
 * only as the multiplexer reads them, so a peer pasting a megabyte holds
 * nothing of ours but one window.  Output reads the shared ring at the
 * pace of the connection; what a stalled peer misses is replaced by a
 * "[mica: N bytes dropped]" marker. */
#include "lwip/tcp.h"
#include "net_priv.h"
#include <hv/printk.h>
#include <hv/pwhash.h>
#include <hv/string.h>
#include <hv/timer.h>

#define LOGIN_NS (60ULL * 1000000000ULL)     /* time to type the password (at most) */
#define FAIL_DELAY_NS (2ULL * 1000000000ULL) /* before "login incorrect" */
#define LOCK_AFTER 3                         /* failures in a row */
#define LOCK_NS (60ULL * 1000000000ULL)
#define PW_MAX 128
#define IN_MAX 256 /* input bytes decoded ahead of the multiplexer */
#define OUT_CHUNK 1024
#define FIN_GRACE_NS (2ULL * 1000000000ULL) /* output after the peer's FIN */
#define CHECK_ROUNDS 200                    /* PBKDF2 rounds a poll: ~1.7M instructions */

enum state { IDLE, LOGIN, CHECKING, LIVE };

static struct tcp_pcb *listener, *sess;
static enum state state;
static struct pwhash pw_hash;
static uint64_t idle_ns;
static char peer[32];
static struct telnet tn;
static struct pbuf *held;  /* received, not yet decoded */
static size_t held_off;    /* bytes of held already decoded */
static uint8_t in[IN_MAX]; /* decoded input for the multiplexer */
static size_t in_len, in_off;
static char pw[PW_MAX];
static size_t pw_len;
static bool pw_long;       /* more than PW_MAX typed: fails */
static unsigned int fails; /* failed logins in a row */
static uint64_t locked_until, deadline, answer_at, last_input;
static struct net_reader reader;
static bool fin; /* the peer has closed its side (it may still read) */
static uint64_t fin_at;
static struct pwhash_job job; /* the password being checked */
/* The session's figures, logged at its end: bytes sent, and from a key
 * taken by the multiplexer to the next output sent (its echo, mostly). */
static uint64_t bytes_out, key_at, echo_sum, echo_max;
static unsigned int echoes;
static bool job_long; /* it was too long: fails whatever the hash says */

/* Queue s for the peer if there is room; output that does not fit is
 * left out (banners and prompts are short, and the stream has its own
 * accounting). */
static void say(struct tcp_pcb *pcb, const char *s)
{
  size_t n = strlen(s);
  if (tcp_sndbuf(pcb) >= n && tcp_write(pcb, s, (u16_t)n, TCP_WRITE_FLAG_COPY) == ERR_OK)
    tcp_output(pcb);
}

static void wipe_pw(void)
{
  secure_wipe(pw, sizeof(pw));
  pw_len = 0;
  pw_long = false;
}

static void peer_name(struct tcp_pcb *pcb, char *buf, size_t size)
{
  uint32_t a = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
  snprintf(buf, size, "%u.%u.%u.%u:%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255,
           pcb->remote_port);
}

/* Close pcb: gracefully if lwIP can, else by reset (then true: a
 * callback must return ERR_ABRT).  Its callbacks are gone first, so
 * nothing of ours is called for it afterwards. */
static bool drop_pcb(struct tcp_pcb *pcb)
{
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, NULL);
  tcp_err(pcb, NULL);
  tcp_sent(pcb, NULL);
  if (tcp_close(pcb) == ERR_OK)
    return false;
  tcp_abort(pcb);
  return true;
}

/* The session is over (why: for the log); frees everything it held. */
static void end_session(const char *why)
{
  char figures[160];
  snprintf(figures, sizeof(figures),
           "%llu bytes sent, %u keys echoed after %llu us on average, %llu us at most",
           (unsigned long long)bytes_out, echoes,
           (unsigned long long)(echoes ? echo_sum / echoes / 1000 : 0),
           (unsigned long long)(echo_max / 1000));
  if (sess && state == LIVE) { /* the peer may still read */
    say(sess, "\r\nmica: session over (");
    say(sess, why);
    say(sess, "): ");
    say(sess, figures);
    say(sess, "\r\n");
  }
  if (sess) {
    drop_pcb(sess);
    sess = NULL;
  }
  if (held)
    pbuf_free(held);
  held = NULL;
  held_off = in_len = in_off = 0;
  wipe_pw();
  secure_wipe(&job, sizeof(job));
  if (state == LIVE)
    printk(LOG_ALWAYS, "netcon: %s logged out (%s; %s)", peer, why, figures);
  else
    pr_info("netcon: connection from %s closed (%s)", peer, why);
  state = IDLE;
  fin = false;
}

/* The connection died under us (reset, or lwIP gave up): lwIP has freed
 * the pcb already. */
static void on_err(void *arg, err_t err)
{
  (void)arg;
  sess = NULL;
  end_session(err == ERR_RST ? "reset by the peer" : "connection lost");
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
  (void)arg;
  if (!p) { /* the peer closed its side: what it sent is still taken */
    if (!fin)
      fin_at = timer_now();
    fin = true;
    return ERR_OK;
  }
  if (err != ERR_OK || pcb != sess) {
    pbuf_free(p);
    return ERR_OK;
  }
  if (held)
    pbuf_cat(held, p); /* bounded by the window we have not reopened */
  else
    held = p;
  return ERR_OK;
}

/* Decode up to max input bytes from held through telnet into dst; answer
 * the peer's option requests; reopen the window for what was decoded.
 * Returns the data bytes. */
static size_t decode(uint8_t *dst, size_t max)
{
  size_t done = 0, used = 0;
  while (held && done < max) {
    uint8_t raw[64], reply[48];
    size_t take = MIN(MIN(max - done, sizeof(raw)), (size_t)held->tot_len - held_off);
    pbuf_copy_partial(held, raw, (u16_t)take, (u16_t)held_off);
    size_t nreply;
    done += telnet_rx(&tn, raw, take, dst + done, reply, sizeof(reply), &nreply);
    if (nreply && tcp_sndbuf(sess) >= nreply)
      tcp_write(sess, reply, (u16_t)nreply, TCP_WRITE_FLAG_COPY);
    if (state != LIVE)
      secure_wipe(raw, sizeof(raw)); /* it may hold the password */
    held_off += take;
    used += take;
    /* Free the pbufs of the chain that are wholly decoded. */
    while (held && held_off >= held->len) {
      struct pbuf *next = held->next;
      held_off -= held->len;
      if (next)
        pbuf_ref(next);
      pbuf_free(held);
      held = next;
    }
  }
  if (used) {
    tcp_recved(sess, (u16_t)used);
    tcp_output(sess);
  }
  return done;
}

static void start_login_prompt(void) { say(sess, "\r\npassword: "); }

/* The password line is complete: start checking it.  PBKDF2 runs a few
 * hundred rounds a poll (CHECK_ROUNDS), so a login never holds up the
 * hypervisor for long; the typed password is wiped once it keyed the
 * HMAC. */
static void check_password(void)
{
  pwhash_begin(&job, &pw_hash, pw, pw_long ? 0 : pw_len);
  job_long = pw_long;
  wipe_pw();
  state = CHECKING;
  answer_at = 0;
}

/* The check is done: log in, or count the failure and answer later. */
static void checked(bool ok)
{
  uint64_t now = timer_now();
  if (ok) {
    fails = 0;
    state = LIVE;
    last_input = now;
    net_out_attach(&reader);
    bytes_out = key_at = echo_sum = echo_max = 0;
    echoes = 0;
    say(sess, "\r\nmica: logged in.  Three Ctrl-A move the input focus; closing the "
              "connection ends the session.\r\n");
    printk(LOG_ALWAYS, "netcon: login from %s", peer);
    return;
  }
  fails++;
  printk(LOG_WARN, "netcon: failed login from %s (%u in a row)", peer, fails);
  answer_at = now + FAIL_DELAY_NS; /* the answer comes after a pause */
}

/* Login input: the password, up to CR or LF; BS/DEL edit it. */
static void login_input(void)
{
  uint8_t buf[64];
  size_t n;
  while (state == LOGIN && (n = decode(buf, sizeof(buf))) > 0) {
    for (size_t i = 0; i < n && state == LOGIN; i++) {
      uint8_t c = buf[i];
      if (c == '\r' || c == '\n') {
        check_password();
      } else if (c == 0x7f || c == '\b') {
        if (pw_len)
          pw_len--;
      } else if (pw_len < PW_MAX) {
        pw[pw_len++] = (char)c;
      } else {
        pw_long = true;
      }
    }
  }
  secure_wipe(buf, sizeof(buf));
}

/* When a login begun at now must be done: LOGIN_NS, or the idle limit
 * when that is shorter; never when idle sessions are kept (0). */
static uint64_t login_deadline(uint64_t now)
{
  if (!idle_ns)
    return UINT64_MAX;
  return now + MIN(idle_ns, LOGIN_NS);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
  (void)arg;
  char who[32];
  if (err != ERR_OK || !pcb)
    return ERR_VAL;
  peer_name(pcb, who, sizeof(who));
  uint64_t now = timer_now();
  if (state != IDLE) {
    pr_info("netcon: connection from %s refused: busy (%s has the console)", who, peer);
    say(pcb, "mica: the console is busy: another session has it.\r\n");
    return drop_pcb(pcb) ? ERR_ABRT : ERR_OK;
  }
  if (now < locked_until) {
    pr_info("netcon: connection from %s refused: locked after failed logins", who);
    say(pcb, "mica: the console is locked after failed logins; try again later.\r\n");
    return drop_pcb(pcb) ? ERR_ABRT : ERR_OK;
  }
  sess = pcb;
  strlcpy(peer, who, sizeof(peer));
  state = LOGIN;
  deadline = login_deadline(now);
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, on_recv);
  tcp_err(pcb, on_err);
  tcp_nagle_disable(pcb); /* keystrokes and echoes go at once */
  ip_set_option(pcb, SOF_KEEPALIVE);
  pcb->keep_idle = 60000; /* ms: a peer that vanished is noticed in ~100 s */
  pcb->keep_intvl = 10000;
  pcb->keep_cnt = 4;
  uint8_t neg[9];
  size_t n = telnet_start(&tn, neg);
  tcp_write(pcb, neg, (u16_t)n, TCP_WRITE_FLAG_COPY);
  /* nc shows the negotiation as two odd characters: go back over them. */
  say(pcb, "\r\033[Kmica network console");
  start_login_prompt();
  pr_info("netcon: connection from %s", who);
  return ERR_OK;
}

void netcon_start(const struct net_config *cfg)
{
  const char *why = "no netcon_pw= given (make one with tools/mica-passwd)";
  if (!cfg->pw[0] || pwhash_parse(cfg->pw, &pw_hash, &why)) {
    pr_err("netcon: %s: the TCP console stays closed", why);
    return;
  }
  idle_ns = (uint64_t)cfg->idle_s * 1000000000ULL;
  struct tcp_pcb *pcb = tcp_new();
  if (!pcb || tcp_bind(pcb, IP_ADDR_ANY, cfg->tcp_port) != ERR_OK) {
    pr_err("netcon: cannot listen on TCP port %u", cfg->tcp_port);
    if (pcb)
      tcp_abort(pcb);
    return;
  }
  listener = tcp_listen_with_backlog(pcb, 2);
  if (!listener) {
    pr_err("netcon: cannot listen on TCP port %u (lwIP out of memory)", cfg->tcp_port);
    tcp_abort(pcb);
    return;
  }
  tcp_accept(listener, on_accept);
  pr_info("netcon: TCP console on port %u (password required; not encrypted)", cfg->tcp_port);
}

/* Send what the stream holds for the session, as the connection allows;
 * 0xFF is doubled (telnet's IAC). */
static void live_output(void)
{
  char buf[OUT_CHUNK], out[2 * OUT_CHUNK];
  uint64_t dropped;
  for (;;) {
    size_t room = tcp_sndbuf(sess);
    if (room < 64 || tcp_sndqueuelen(sess) > TCP_SND_QUEUELEN / 2)
      break;
    size_t n = net_out_read(&reader, buf, MIN(sizeof(buf), (room - 48) / 2), &dropped);
    size_t m = 0;
    if (dropped)
      m = (size_t)net_drop_marker(out, sizeof(out), dropped);
    for (size_t i = 0; i < n; i++) {
      out[m++] = buf[i];
      if ((uint8_t)buf[i] == 0xff)
        out[m++] = buf[i];
    }
    if (!m)
      break;
    if (tcp_write(sess, out, (u16_t)m, TCP_WRITE_FLAG_COPY) != ERR_OK)
      break; /* lwIP out of memory: those bytes are lost to this peer */
    bytes_out += m;
    if (key_at && n) {
      uint64_t took = timer_now() - key_at;
      echo_sum += took;
      echo_max = MAX(echo_max, took);
      echoes++;
      key_at = 0;
    }
  }
  tcp_output(sess);
}

/* After the peer's FIN: whether the session can end.  What the peer sent
 * is still taken (a password checked and answered); a logged-in session
 * gets FIN_GRACE_NS more for its input to reach the guest and the answer
 * to come back, so `printf 'PW\ncommand\n' | socat -t 5 - TCP:...` works. */
static bool peer_done(uint64_t now)
{
  if (state == LIVE)
    return now - fin_at >= FIN_GRACE_NS;
  return state != CHECKING && !held;
}

void netcon_poll(void)
{
  if (state == IDLE)
    return;
  uint64_t now = timer_now();
  if (fin && peer_done(now)) {
    end_session("closed by the peer");
    return;
  }
  switch (state) {
  case LOGIN:
    if (now >= deadline) {
      say(sess, "\r\nmica: no password in time.\r\n");
      end_session("login timed out");
      return;
    }
    login_input();
    break;
  case CHECKING:
    decode(in, IN_MAX); /* typed ahead during the check: ignored */
    in_len = 0;
    if (!answer_at) { /* still hashing */
      if (!pwhash_step(&job, CHECK_ROUNDS))
        break;
      bool ok = pwhash_end(&job) && !job_long;
      checked(ok);
      if (ok || now < answer_at)
        break;
    }
    if (now < answer_at)
      break;
    if (fails >= LOCK_AFTER) {
      locked_until = now + LOCK_NS;
      printk(LOG_WARN, "netcon: %u failed logins in a row: console locked for %llu s", fails,
             (unsigned long long)(LOCK_NS / 1000000000ULL));
      fails = 0;
      say(sess, "\r\nlogin incorrect; the console is locked for a while.\r\n");
      end_session("too many failed logins");
      return;
    }
    say(sess, "\r\nlogin incorrect");
    state = LOGIN;
    deadline = login_deadline(now);
    start_login_prompt();
    break;
  case LIVE:
    if (idle_ns && now - last_input >= idle_ns) {
      end_session("idle");
      return;
    }
    live_output();
    break;
  default: break;
  }
}

bool netcon_busy(void)
{
  return (state == CHECKING && !answer_at) ||
         (state == LIVE && (net_out_pending(&reader) || held || in_off < in_len));
}

void netcon_kick(void)
{
  if (state == LIVE && sess)
    live_output();
}

bool netcon_unacked(void) { return sess && tcp_sndqueuelen(sess); }

void netcon_stop(void)
{
  if (state != IDLE) {
    end_session("the machine is going down");
  }
  if (listener) {
    tcp_close(listener);
    listener = NULL;
  }
}

int netcon_getc(void)
{
  if (state != LIVE)
    return -1;
  if (in_off == in_len) {
    in_off = 0;
    in_len = decode(in, IN_MAX);
    if (!in_len)
      return -1;
  }
  last_input = timer_now();
  if (!key_at)
    key_at = last_input;
  return in[in_off++];
}
