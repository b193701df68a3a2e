/* The hypervisor console: the log ring and the queue to the console devices. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/printk.h>
#include <public/console.h>

struct domain;

#define CONSOLE_LOG_SIZE (64 * 1024)
#define CONSOLE_TX_SIZE (32 * 1024)
#define CONSOLE_LINE_MAX 512 /* one line with its timestamp; longer is cut */

/* Messages at or below this level reach the console devices. */
extern enum log_level console_loglvl;

/* How each line starts (console_timestamps=, Xen's values).  Guests' raw
 * output (console_put_raw) has none. */
enum console_ts {
  CONSOLE_TS_NONE,   /* nothing */
  CONSOLE_TS_DATE,   /* "[YYYY-MM-DD HH:MM:SS] " from the RTC's wall clock */
  CONSOLE_TS_DATEMS, /* "[YYYY-MM-DD HH:MM:SS.mmm] " */
  CONSOLE_TS_BOOT,   /* "[SSSSS.uuuuuu] " since boot (the default) */
  CONSOLE_TS_RAW,    /* "[XXXXXXXXXXXXXXXX] " the TSC in hex, as Xen prints */
};
extern enum console_ts console_timestamps;

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

/* A guest's output as it wrote it (the guest with the input focus):
 * n bytes go to the devices only, with no timestamp or prefix and no line
 * end added.  An unfinished line of another owner is ended first; one of
 * owner's ends when its bytes end with '\n', or when any other line comes
 * (printk starts on a fresh line).  The caller filters the bytes. */
void console_put_raw(const void *owner, const char *s, size_t n);
/* One whole line of a guest's output (n bytes, no line end), as
 * "<timestamp>(name) text": into the log ring when `ring`, and onto the
 * devices when `devices` (a guest without the focus; the focused one's
 * went out raw).
 * Control bytes but TAB become '?' in it. */
void console_guest_line(const char *name, const char *text, size_t n, bool devices, bool ring);
/* End owner's unfinished raw line on the devices, if it has one. */
void console_end_line(const void *owner);
/* Whether owner's raw line is unfinished on the devices. */
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
/* A toolstack building d (created by XEN_DOMCTL_createdomain, not yet
 * unpaused) populates the gfn where d's ring is, with the frame hpa
 * there: a Xen toolstack puts its own console page at the same special
 * gfn, and xenconsoled serves it.  Then d's ring is unmapped, its port
 * closed, the HVM params that named it cleared, and true returned; else
 * nothing changes and false. */
bool console_ring_yield(struct domain *d, paddr_t hpa);
/* Give the ring page back (domain_destroy). */
void console_ring_free(struct domain *d);

/* ---- Serial input and the focus (hv/console_mux.c) ---- */
/* console_focus=raw (true, the default): the domain with the focus has
 * its output on the devices as it wrote it; prefixed (false): as a
 * line with its name like any other domain's, for a log nobody types in. */
extern bool console_focus_raw;
/* Whether dom0's console output goes into the log ring too (Xen's
 * console_to_ring, off by default: the log ring that `xl dmesg` reads
 * holds the hypervisor's messages and the other domains' output; with
 * dom0's own in it, an `xl dmesg` on dom0's console would read its own
 * output back for ever). */
extern bool console_to_ring;
/* Give the focus to the first domain that takes input and start polling
 * the serial line (after the domains are built). */
void console_mux_start(void);
void console_mux_stop(void);
/* Whether d has the input focus (its unfinished lines are shown). */
bool console_mux_has_focus(const struct domain *d);
/* CONSOLEIO_read for dom0: up to n bytes typed while it had the focus. */
size_t console_mux_read(char *buf, size_t n);

#endif
