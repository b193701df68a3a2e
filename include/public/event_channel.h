/* event_channel_op (hypercall 32): allocate, bind, send on, close and
 * query event channels; the 2-level limits.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/event_channel.h).
 *
 * Call: event_channel_op(cmd, arg).  The pending and mask bits of the
 * 2-level ABI live in struct shared_info (xen.h); the per-vcpu selector in
 * struct vcpu_info. */
#ifndef MICA_PUBLIC_EVENT_CHANNEL_H
#define MICA_PUBLIC_EVENT_CHANNEL_H

#include "xen.h"

typedef uint32_t evtchn_port_t;

/* ---- Sub-operations ---- */
#define EVTCHNOP_bind_interdomain 0 /* struct evtchn_bind_interdomain */
#define EVTCHNOP_bind_virq 1        /* struct evtchn_bind_virq */
#define EVTCHNOP_bind_pirq 2        /* struct evtchn_bind_pirq */
#define EVTCHNOP_close 3            /* struct evtchn_close */
#define EVTCHNOP_send 4             /* struct evtchn_send */
#define EVTCHNOP_status 5           /* struct evtchn_status */
#define EVTCHNOP_alloc_unbound 6    /* struct evtchn_alloc_unbound */
#define EVTCHNOP_bind_ipi 7         /* struct evtchn_bind_ipi */
#define EVTCHNOP_bind_vcpu 8        /* struct evtchn_bind_vcpu */
#define EVTCHNOP_unmask 9           /* struct evtchn_unmask */
#define EVTCHNOP_reset 10           /* struct evtchn_reset */
#define EVTCHNOP_init_control 11    /* struct evtchn_init_control (FIFO) */
#define EVTCHNOP_expand_array 12    /* struct evtchn_expand_array (FIFO) */
#define EVTCHNOP_set_priority 13    /* struct evtchn_set_priority (FIFO) */

/* Allocate a port in dom that remote_dom may later bind to.  An
 * unprivileged caller may only name DOMID_SELF as dom; remote_dom may be
 * DOMID_SELF (a loopback channel). */
struct evtchn_alloc_unbound {
  domid_t dom;        /* IN */
  domid_t remote_dom; /* IN */
  evtchn_port_t port; /* OUT */
};                    /* 8 bytes */

/* Connect a fresh local port to remote_dom's unbound remote_port, which
 * must have been allocated for the caller.  The new local port is left
 * pending, in case the peer signalled before the bind. */
struct evtchn_bind_interdomain {
  domid_t remote_dom;        /* IN */
  evtchn_port_t remote_port; /* IN */
  evtchn_port_t local_port;  /* OUT */
};                           /* 12 bytes */

/* Bind a fresh port to a VIRQ_* on vcpu.  Per-vcpu VIRQs bind once per
 * vcpu and stay there; global VIRQs are bound on vcpu 0 and may be moved
 * with EVTCHNOP_bind_vcpu. */
struct evtchn_bind_virq {
  uint32_t virq;      /* IN: VIRQ_* */
  uint32_t vcpu;      /* IN */
  evtchn_port_t port; /* OUT */
};                    /* 12 bytes */

/* Bind a fresh port to a physical IRQ (privileged domains). */
struct evtchn_bind_pirq {
  uint32_t pirq;      /* IN */
  uint32_t flags;     /* IN: BIND_PIRQ__* */
  evtchn_port_t port; /* OUT */
};                    /* 12 bytes */
#define BIND_PIRQ__WILL_SHARE 1

/* Bind a fresh port for inter-vcpu notification; sends on it notify vcpu,
 * for good. */
struct evtchn_bind_ipi {
  uint32_t vcpu;      /* IN */
  evtchn_port_t port; /* OUT */
};                    /* 8 bytes */

/* Close a local port; an interdomain peer goes back to unbound. */
struct evtchn_close {
  evtchn_port_t port; /* IN */
};                    /* 4 bytes */

/* Notify the other end of the channel whose local end is port. */
struct evtchn_send {
  evtchn_port_t port; /* IN */
};                    /* 4 bytes */

/* Report the state of port in dom (others than DOMID_SELF: privileged). */
struct evtchn_status {
  domid_t dom;        /* IN */
  evtchn_port_t port; /* IN */
  uint32_t status;    /* OUT: EVTCHNSTAT_* */
  uint32_t vcpu;      /* OUT: the vcpu notified */
  union {
    struct {
      domid_t dom;
    } unbound; /* EVTCHNSTAT_unbound: who may bind */
    struct {
      domid_t dom;
      evtchn_port_t port;
    } interdomain; /* EVTCHNSTAT_interdomain: the peer */
    uint32_t pirq; /* EVTCHNSTAT_pirq */
    uint32_t virq; /* EVTCHNSTAT_virq */
  } u;             /* OUT */
};                 /* 24 bytes */

#define EVTCHNSTAT_closed 0      /* not in use */
#define EVTCHNSTAT_unbound 1     /* waiting for a peer */
#define EVTCHNSTAT_interdomain 2 /* connected to a peer */
#define EVTCHNSTAT_pirq 3        /* bound to a physical IRQ */
#define EVTCHNSTAT_virq 4        /* bound to a VIRQ */
#define EVTCHNSTAT_ipi 5         /* bound for IPIs */

/* Notify vcpu instead when port becomes pending.  IPI and per-vcpu VIRQ
 * ports cannot be moved; every other port starts on vcpu 0. */
struct evtchn_bind_vcpu {
  evtchn_port_t port; /* IN */
  uint32_t vcpu;      /* IN */
};                    /* 8 bytes */

/* Clear port's mask bit; if it is pending, notify as if it had just been
 * sent. */
struct evtchn_unmask {
  evtchn_port_t port; /* IN */
};                    /* 4 bytes */

/* Close every port of dom (DOMID_SELF, or any if privileged); for
 * DOMID_SELF this also returns a FIFO domain to the 2-level ABI. */
struct evtchn_reset {
  domid_t dom; /* IN */
};             /* 2 bytes */

/* Switch to the FIFO ABI: control_gfn/offset locate vcpu's control block
 * (struct evtchn_fifo_control_block). */
struct evtchn_init_control {
  uint64_t control_gfn; /* IN */
  uint32_t offset;      /* IN */
  uint32_t vcpu;        /* IN */
  uint8_t link_bits;    /* OUT: EVTCHN_FIFO_LINK_BITS */
  uint8_t _pad[7];
}; /* 24 bytes */

/* FIFO ABI: add a page of event words. */
struct evtchn_expand_array {
  uint64_t array_gfn; /* IN */
};                    /* 8 bytes */

/* FIFO ABI: set a port's priority (EVTCHN_FIFO_PRIORITY_*). */
struct evtchn_set_priority {
  evtchn_port_t port; /* IN */
  uint32_t priority;  /* IN */
};                    /* 8 bytes */

/* event_channel_op_compat (hypercall 16) takes one of these instead. */
struct evtchn_op {
  uint32_t cmd; /* EVTCHNOP_*, up to EVTCHNOP_unmask */
  union {
    struct evtchn_alloc_unbound alloc_unbound;
    struct evtchn_bind_interdomain bind_interdomain;
    struct evtchn_bind_virq bind_virq;
    struct evtchn_bind_pirq bind_pirq;
    struct evtchn_bind_ipi bind_ipi;
    struct evtchn_close close;
    struct evtchn_send send;
    struct evtchn_status status;
    struct evtchn_bind_vcpu bind_vcpu;
    struct evtchn_unmask unmask;
  } u;
}; /* 28 bytes */

/* ---- 2-level ABI: one bit per port in shared_info, so a guest long
 * squared times 64 ports: 4096 here, 1024 for a 32-bit guest. ---- */
#define EVTCHN_2L_NR_CHANNELS (sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64)
#define NR_EVENT_CHANNELS EVTCHN_2L_NR_CHANNELS

/* ---- FIFO ABI constants ---- */
#define EVTCHN_FIFO_PRIORITY_MAX 0 /* highest */
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN 15 /* lowest */
#define EVTCHN_FIFO_MAX_QUEUES (EVTCHN_FIFO_PRIORITY_MIN + 1)
/* Bits of a 32-bit event word; the low EVTCHN_FIFO_LINK_BITS link ports. */
#define EVTCHN_FIFO_PENDING 31
#define EVTCHN_FIFO_MASKED 30
#define EVTCHN_FIFO_LINKED 29
#define EVTCHN_FIFO_BUSY 28
#define EVTCHN_FIFO_LINK_BITS 17
#define EVTCHN_FIFO_LINK_MASK ((1 << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS (1 << EVTCHN_FIFO_LINK_BITS)

struct evtchn_fifo_control_block {
  uint32_t ready; /* bit q: queue q is non-empty */
  uint32_t _rsvd;
  uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
}; /* 72 bytes */

#endif
