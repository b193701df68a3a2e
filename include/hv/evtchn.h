/* Event channels: ports, their bindings, and the event ABIs that keep
 * their pending and mask state (evtchn/). */
#ifndef HV_EVTCHN_H
#define HV_EVTCHN_H

#include <hv/types.h>
#include <public/event_channel.h>
#include <public/xen.h>

#define EVTCHN_MAX_PORTS 4096        /* the most any ABI offered has (64-bit 2-level's) */
#define EVTCHN_BUCKET 64             /* ports are made in groups of this many */
#define EVTCHN_DEFAULT_MAX_DOMU 1023 /* xl's default max_event_channels */

struct domain;
struct vcpu;

/* A port's state (Xen's ECS_*; RESERVED is port 0, never usable). */
enum evtchn_state {
  ECS_FREE,
  ECS_RESERVED,
  ECS_UNBOUND,
  ECS_INTERDOMAIN,
  ECS_VIRQ,
  ECS_IPI,
  ECS_HV, /* the other end is the hypervisor itself (a console ring) */
};

/* What the hypervisor does when a guest sends on one of its ECS_HV ports. */
typedef void (*evtchn_hv_fn)(struct domain *d, unsigned int port);

struct evtchn {
  uint8_t state;        /* enum evtchn_state */
  uint16_t notify_vcpu; /* the vcpu told when it becomes pending */
  union {
    domid_t unbound_remote; /* UNBOUND: the domain allowed to bind */
    struct {
      struct domain *dom;
      uint32_t port;
    } inter;         /* INTERDOMAIN: the other end */
    uint32_t virq;   /* VIRQ */
    evtchn_hv_fn hv; /* HV: called on each send */
  } u;
};

/* ---- Port operations: how an event ABI keeps a port's state ----
 * A domain's ports live in one event ABI at a time (d->evtchn_ops), as
 * Xen's struct evtchn_port_ops: the 2-level ABI (evtchn/evtchn_2l.c) is
 * the one every domain starts with; a FIFO ABI would be another instance,
 * chosen by EVTCHNOP_init_control.  Each works on the guest's own pages,
 * which the guest changes concurrently.  Called with hv_lock held. */
struct evtchn_port_ops {
  const char *name;
  unsigned int nr_ports; /* ports the ABI can name */
  /* Make port of d pending; v is the vcpu the port notifies.  True when v
   * must be told: its evtchn_upcall_pending went 0 -> 1 (the caller then
   * kicks it, evtchn_kick). */
  bool (*set_pending)(struct domain *d, struct vcpu *v, unsigned int port);
  /* Clear port's pending state (it is closed, or bound afresh). */
  void (*clear_pending)(struct domain *d, unsigned int port);
  /* EVTCHNOP_unmask: a port that was masked and is pending tells v as
   * set_pending would have; true when v must be told. */
  bool (*unmask)(struct domain *d, struct vcpu *v, unsigned int port);
  bool (*is_pending)(const struct domain *d, unsigned int port);
  bool (*is_masked)(const struct domain *d, unsigned int port);
};

/* The 2-level ABI in the 64-bit layout, and in the 32-bit one (1,024
 * ports) for a domain whose shared info is latched 32-bit. */
extern const struct evtchn_port_ops evtchn_port_ops_2l;
extern const struct evtchn_port_ops evtchn_port_ops_2l_32;

/* ---- Ports (evtchn/evtchn.c) ---- */

/* Prepare d's port table (port 0 reserved); 0 or -ENOMEM. */
int evtchn_domain_init(struct domain *d);
/* Close every port of d (interdomain peers go back to unbound) and free
 * the table; the domain no longer receives or sends events. */
void evtchn_domain_destroy(struct domain *d);
/* event_channel_op (hypercall 32). */
long do_event_channel_op(struct vcpu *v, int cmd, uint64_t arg);
/* Raise a per-vcpu VIRQ (VIRQ_TIMER, VIRQ_DEBUG) on v; nothing happens
 * if the guest has not bound it. */
void evtchn_send_vcpu_virq(struct vcpu *v, unsigned int virq);
/* Raise a global VIRQ (VIRQ_CONSOLE, VIRQ_DOM_EXC, ...) in d. */
void evtchn_send_global_virq(struct domain *d, unsigned int virq);
/* A new port of d whose other end is the hypervisor: a send on it calls
 * fn(d, port); evtchn_notify_hv tells the guest.  The guest may close it
 * like any port.  Returns the port, or -ENOSPC/-ENOMEM/-EINVAL as
 * EVTCHNOP_alloc_unbound would. */
int evtchn_alloc_hv(struct domain *d, evtchn_hv_fn fn);
/* Close port of d, if it is still an ECS_HV port of fn. */
void evtchn_free_hv(struct domain *d, unsigned int port, evtchn_hv_fn fn);
/* Make port of d pending, if it is still an ECS_HV port of fn (the guest
 * may have closed it or bound something else there since). */
void evtchn_notify_hv(struct domain *d, unsigned int port, evtchn_hv_fn fn);
/* Whether port of d is pending (for SCHEDOP_poll): 1, 0, or -EINVAL for
 * a port that does not exist. */
int evtchn_port_poll(struct domain *d, unsigned int port);
/* Tell v that its evtchn_upcall_pending is set: raise its per-vcpu upcall
 * vector (arch_vcpu_assert_upcall) and wake it if it waits. */
void evtchn_kick(struct vcpu *v);

#endif
