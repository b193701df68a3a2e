/* Inside net/: what its files share and nothing outside needs. */
#ifndef NET_PRIV_H
#define NET_PRIV_H

#include <hv/net.h>

/* ---- The output stream (net_out.c) ----
 * One ring that net_console_put fills with the console's stream; each
 * peer (the UDP stream, the TCP session) reads it at its own pace through
 * a reader.  A reader that falls more than the ring's size behind loses
 * the oldest bytes and is told how many. */
#define NET_OUT_SIZE (16 * 1024)
struct net_reader {
  uint64_t pos; /* the next byte to read, counted from boot */
};
/* Start r at the current end: it reads what is written from now on. */
void net_out_attach(struct net_reader *r);
/* Start r at the oldest byte the ring still holds. */
void net_out_attach_oldest(struct net_reader *r);
/* Copy up to max bytes for r into buf; the number copied.  *dropped gets
 * the bytes r lost since it last read (0 mostly). */
size_t net_out_read(struct net_reader *r, char *buf, size_t max, uint64_t *dropped);
/* Bytes waiting for r. */
size_t net_out_pending(const struct net_reader *r);
/* The marker put where bytes were dropped: "[mica: N bytes dropped]". */
int net_drop_marker(char *buf, size_t size, uint64_t dropped);

/* ---- Telnet (telnet.c) ----
 * The receive side of a telnet connection: data bytes out, option
 * negotiation answered (we echo and suppress go-ahead, refuse all else),
 * subnegotiations and commands skipped.  Works byte by byte, so a
 * sequence split across segments is fine, and never answers a request for
 * the state an option is already in, so option storms cannot loop. */
struct telnet {
  uint8_t state;   /* where in an IAC sequence we are */
  uint8_t verb;    /* WILL/WONT/DO/DONT being read */
  bool cr;         /* the last data byte was CR (CR LF and CR NUL are one CR) */
  uint8_t us[40];  /* per option: 1 = we do it (WILL sent / DO received) */
  uint8_t him[40]; /* per option: 1 = the peer does it */
};
/* The negotiation a server sends first: IAC WILL ECHO, IAC WILL SGA,
 * IAC DO SGA; records them as asked.  Returns the bytes written to out
 * (at least 9 bytes of room). */
size_t telnet_start(struct telnet *t, uint8_t *out);
/* Feed n received bytes.  Data bytes go to data[] (room for n), replies to
 * reply[] (room for up to reply_max bytes; replies that do not fit are
 * left out, which is safe: the peer asks again or does without).  Returns
 * the number of data bytes; *nreply the reply bytes. */
size_t telnet_rx(struct telnet *t, const uint8_t *in, size_t n, uint8_t *data, uint8_t *reply,
                 size_t reply_max, size_t *nreply);

/* ---- The peers (netconsole.c, netcon.c) ---- */
void netconsole_start(uint32_t ip, uint16_t port);
void netconsole_poll(void);
bool netconsole_busy(void);
void netcon_start(const struct net_config *cfg);
void netcon_poll(void);
bool netcon_busy(void);
int netcon_getc(void);
/* Send the session what the stream holds now (net_console_kick). */
void netcon_kick(void);
/* Whether the session has sent bytes its peer has not acknowledged. */
bool netcon_unacked(void);
/* End the session and stop listening (power-off, reboot). */
void netcon_stop(void);

#endif
