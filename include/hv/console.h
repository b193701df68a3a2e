/* The hypervisor console: the log ring and the queue to the console devices. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/printk.h>
#include <public/console.h>

struct domain;

#define CONSOLE_LOG_SIZE (64 * 1024)
#define CONSOLE_TX_SIZE (32 * 1024)

/* Messages at or below this level reach the console devices. */
extern enum log_level console_loglvl;

/* Send queued bytes that the devices can take now; never waits. */
void console_kick(void);
/* Send every queued byte and wait until the devices have sent them. */
void console_flush(void);
/* Copy up to n bytes of the log ring starting at absolute position *pos
 * (bytes ever logged, 0 = oldest still kept) into buf; advances *pos.
 * Returns the number of bytes copied. */
size_t console_log_read(uint64_t *pos, char *buf, size_t n);
/* Total number of bytes ever written to the log ring. */
uint64_t console_log_total(void);
/* Bytes waiting in the queue to the console devices. */
size_t console_tx_queued(void);

/* An unfinished line, for a guest whose shell prompt must show before its
 * line ends.  console_put_partial writes n bytes of owner's line: when
 * the serial line is not already in the middle of owner's line, it first
 * starts a new one with a timestamp and `prefix`.  Any other output ends
 * the unfinished line first (printk starts on a fresh line), so lines
 * never mix.  console_end_line ends owner's line if it is unfinished. */
void console_put_partial(const void *owner, const char *prefix, const char *s, size_t n);
void console_end_line(const void *owner);
bool console_line_is(const void *owner);

/* ---- The backend's side of a console ring page (hv/xencons.c) ----
 * Each reads the guest's index once and returns -EIO, changing nothing,
 * when it claims more bytes than the ring holds. */
/* Take up to max bytes of output from intf->out; the number taken. */
int xencons_take(struct xencons_interface *intf, char *buf, size_t max);
/* Free bytes in intf->in. */
int xencons_room(struct xencons_interface *intf);
/* Put up to len bytes into intf->in (as many as fit); the number put. */
int xencons_put(struct xencons_interface *intf, const char *buf, size_t len);

/* ---- Console rings of domUs (hv/console_ring.c) ---- */
/* Where a domU's ring page is in its physical space: Xen's PVH special
 * page for the console (just below 0xff000000, outside RAM). */
#define CONSOLE_RING_GFN 0xfefffULL
/* Give d a ring page at CONSOLE_RING_GFN and an event channel to the
 * hypervisor, and publish both in HVM_PARAM_CONSOLE_PFN/_EVTCHN.
 * Returns 0, -ENOMEM or -ENOSPC; console_ring_free undoes a part done. */
int console_ring_create(struct domain *d);
/* Put input into d's ring and signal it; the number of bytes put (0 when
 * the ring is full, broken, or d has none). */
size_t console_ring_input(struct domain *d, const char *buf, size_t len);
/* Free bytes in d's input ring (0 without a usable ring). */
size_t console_ring_room(struct domain *d);
/* d stops: print what is still in its output ring (waiting for the line
 * if it must) and stop its timer. */
void console_ring_stop(struct domain *d);
/* Give the ring page back (domain_destroy). */
void console_ring_free(struct domain *d);

/* ---- Serial input and the focus (hv/console_mux.c) ---- */
/* Give the focus to the first domain that takes input and start polling
 * the serial line (after the domains are built). */
void console_mux_start(void);
void console_mux_stop(void);
/* Whether d has the input focus (its unfinished lines are shown). */
bool console_mux_has_focus(const struct domain *d);
/* CONSOLEIO_read for dom0: up to n bytes typed while it had the focus. */
size_t console_mux_read(char *buf, size_t n);

#endif
