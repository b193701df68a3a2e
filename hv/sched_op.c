/* sched_op: a vcpu gives up the CPU, waits for events, or its domain
 * shuts down (Xen 4.19 common/sched/core.c do_sched_op, do_poll). */
#include <arch/arch.h>
#include <hv/compat.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <hv/upcall.h>
#include <public/sched.h>

#define POLL_MAX_PORTS 128 /* Xen's "fairly arbitrary limit" */

/* SCHEDOP_poll: wait until one of the ports is pending, an upcall is
 * due, or the timeout (absolute system time; 0: none) passes. */
static long poll(struct vcpu *v, uint64_t arg)
{
  struct sched_poll p;
  struct compat_sched_poll c; /* a 32-bit caller's, widened */
  evtchn_port_t port = 0;

  if (v->hcall_compat) {
    if (arch_copy_from_guest(v, &c, arg, sizeof(c)))
      return -EFAULT;
    p = (struct sched_poll){c.ports, c.nr_ports, c.timeout};
  } else if (arch_copy_from_guest(v, &p, arg, sizeof(p)))
    return -EFAULT;
  if (p.nr_ports > POLL_MAX_PORTS)
    return -EINVAL;
  if (evtchn_upcall_due(v))
    return 0;
  for (unsigned int i = 0; i < p.nr_ports; i++) {
    if (arch_copy_from_guest(v, &port, p.ports + i * sizeof(port), sizeof(port)))
      return -EFAULT;
    int rc = evtchn_port_poll(v->dom, port);
    if (rc)
      return rc > 0 ? 0 : rc; /* pending already, or not a port */
  }
  sched_poll(v, p.nr_ports == 1 ? (int)port : -1, p.timeout);
  return 0;
}

long do_sched_op(struct vcpu *v, int cmd, uint64_t arg)
{
  struct sched_shutdown sd;

  switch (cmd) {
  case SCHEDOP_yield: sched_vcpu_yield(v); return 0;
  case SCHEDOP_block:
    /* Blocking turns upcalls on (Xen's vcpu_block_enable_events), so a
     * guest cannot sleep through the event that should wake it. */
    v->vi->evtchn_upcall_mask = 0;
    sched_block(v);
    return 0;
  case SCHEDOP_poll: return poll(v, arg);
  case SCHEDOP_shutdown:
  case SCHEDOP_shutdown_code:
    /* Like Xen, neither checks the reason: an unknown one still ends the
     * domain, and is reported as "unknown". */
    if (arch_copy_from_guest(v, &sd, arg, sizeof(sd)))
      return -EFAULT;
    if (cmd == SCHEDOP_shutdown_code) {
      if (!v->dom->has_shutdown_code) { /* the first one counts */
        v->dom->shutdown_code = sd.reason;
        v->dom->has_shutdown_code = true;
      }
      return 0;
    }
    domain_shutdown(v->dom, sd.reason);
    sched_resched_local();
    return 0;
  default: return -ENOSYS;
  }
}
