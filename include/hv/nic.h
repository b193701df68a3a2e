/* The hypervisor's own network interface (for the network console): one
 * Intel 8254x NIC found on PCI, frames copied in and out, no interrupts
 * (the network stack polls nic_rx from a soft timer).  Nothing here
 * blocks or waits on the hardware for long.  The NIC belongs to the
 * hypervisor: guests never see it (when dom0 gets PCI passthrough, this
 * device must be hidden from it).
 *
 * Concurrency: nic_tx, nic_rx and nic_link_up touch the rings without a
 * lock; the caller runs them on one CPU at a time (the network stack,
 * NO_SYS, from its timer). */
#ifndef HV_NIC_H
#define HV_NIC_H

#include <hv/types.h>

/* The largest frame nic_tx takes: an Ethernet header, 1500 bytes of
 * payload and a VLAN tag, without the FCS (the NIC appends it). */
#define NIC_FRAME_MAX 1518

struct nic_stats {
  uint64_t rx_packets;   /* frames handed out by nic_rx */
  uint64_t rx_errors;    /* dropped: the NIC flagged an error (CRC, symbol, ...) */
  uint64_t rx_oversize;  /* dropped: longer than the caller's buffer or one rx buffer */
  uint64_t tx_packets;   /* frames queued by nic_tx */
  uint64_t tx_ring_full; /* nic_tx calls refused with -EAGAIN */
};

struct e1000;

struct nic {
  uint8_t mac[6];
  char name[16];     /* PCI address, "00:03.0" */
  const char *model; /* "82540EM" */
  uint16_t vendor, device;
  struct nic_stats stats;
  struct e1000 *hw; /* the driver's state (net/e1000.h) */
};

/* Find an Intel 8254x on PCI and start it: which is NULL (the first one
 * found) or "BB:DD.F".  On success *out is the NIC, up and receiving
 * (the link may still be down: see nic_link_up).  Boot time, once.
 * Returns 0, -EINVAL (which is not BB:DD.F), -ENODEV (no such device, or
 * not an 8254x this driver handles), -EBUSY (a NIC is started already),
 * -ENOMEM (no memory for the rings) or -EIO (the device misbehaves: no
 * usable BAR, reset never completes, no valid MAC address).  Each failure
 * is logged in one line. */
int nic_probe(const char *which, struct nic **out);

/* The NIC nic_probe started, or NULL. */
struct nic *nic_get(void);

/* Queue one Ethernet frame (header and payload, no FCS) for sending; it is
 * copied, so frame may be reused at once.  Returns 0, -EINVAL (len 0 or
 * above NIC_FRAME_MAX) or -EAGAIN (the transmit ring is full: try again
 * after the NIC has sent some). */
int nic_tx(struct nic *nic, const void *frame, size_t len);

/* Take one received frame (without FCS) into buf.  Returns its length, or
 * 0 when none waits.  Frames the NIC flagged as bad, and frames longer
 * than max, are dropped and counted in nic->stats on the way. */
int nic_rx(struct nic *nic, void *buf, size_t max);

/* Whether the NIC reports a link (carrier) now. */
bool nic_link_up(struct nic *nic);

/* Bring up the hypervisor's NIC for the network console: nic_probe(which)
 * and one line saying what came of it (the NIC, its MAC and link, or why
 * there is none).  The hypervisor carries on either way.  Returns what
 * nic_probe returned. */
int net_hw_init(const char *which);

#endif
