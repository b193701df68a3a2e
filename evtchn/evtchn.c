/* Event channel ports: allocation, binding (unbound, interdomain, VIRQ,
 * IPI), send, close, status, unmask and reset, with the checks and errnos
 * of Xen 4.19's common/event_channel.c.  The state a send sets lives in
 * the guest's pages, kept by the domain's event ABI (d->evtchn_ops,
 * evtchn_2l.c); here is who gets told. */
#include <arch/arch.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/percpu.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>

/* Ports with a bucket are "valid" in Xen's sense: a free one among them
 * answers EVTCHNSTAT_closed, one beyond them -EINVAL. */
static struct evtchn *port_chn(struct domain *d, unsigned int port)
{
  if (port >= d->evtchn_valid)
    return NULL;
  return &d->evtchn_bucket[port / EVTCHN_BUCKET][port % EVTCHN_BUCKET];
}

/* A port that may be used for a new binding: the lowest free one, making
 * a bucket when the free ones run out.  -ENOSPC past the domain's limit
 * or what its event ABI can name (1,024 ports for 32-bit words), -ENOMEM
 * without memory, -EINVAL for a dying domain. */
static int get_free_port(struct domain *d)
{
  if (d->state != DOMAIN_RUNNING)
    return -EINVAL;
  for (unsigned int port = 0; port <= d->evtchn_max_port && port < d->evtchn_ops->nr_ports;
       port++) {
    if (port >= d->evtchn_valid) {
      struct evtchn *b = heap_zalloc(EVTCHN_BUCKET * sizeof(*b));
      if (!b)
        return -ENOMEM;
      d->evtchn_bucket[port / EVTCHN_BUCKET] = b;
      d->evtchn_valid += EVTCHN_BUCKET;
    }
    if (port_chn(d, port)->state == ECS_FREE)
      return (int)port;
  }
  return -ENOSPC;
}

int evtchn_domain_init(struct domain *d)
{
  d->evtchn_ops = &evtchn_port_ops_2l; /* until the guest asks for another ABI */
  d->evtchn_max_port = d->privileged ? d->evtchn_ops->nr_ports - 1 : EVTCHN_DEFAULT_MAX_DOMU;
  int port = get_free_port(d);
  if (port < 0)
    return port;
  port_chn(d, 0)->state = ECS_RESERVED; /* port 0 means "no port" in the ABI */
  return 0;
}

/* Wake the vcpus of d that poll port (or any port).  Out of line: a
 * domain rarely has a vcpu in SCHEDOP_poll. */
static __attribute__((noinline)) void wake_pollers(struct domain *d, unsigned int port)
{
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    struct vcpu *p = d->vcpus[i];
    if (p->polling && (p->poll_port < 0 || p->poll_port == (int)port))
      sched_wake(p);
  }
}

/* Make port pending for its vcpu and tell whoever waits: the vcpu's
 * upcall, and any vcpu of d polling this port. */
static void set_pending(struct domain *d, unsigned int port, struct evtchn *chn)
{
  struct vcpu *v = d->vcpus[chn->notify_vcpu];
  if (d->evtchn_ops->set_pending(d, v, port))
    evtchn_kick(v); /* wakes v, so a poll of v's ends there */
  if (unlikely(d->nr_polling))
    wake_pollers(d, port);
}

void evtchn_kick(struct vcpu *v)
{
  /* A per-vcpu upcall vector is an IRR bit (once per 0 -> 1, it needs an
   * EOI): the vcpu's interrupt controller wakes v when the vector can be
   * taken.  The callback vector needs no controller: wake v here. */
  if (v->upcall_vector)
    arch_vcpu_assert_upcall(v);
  else if (v->blocked || per_cpu(v->processor) != this_cpu())
    sched_wake(v); /* else it runs here or waits its turn here: no kick */
}

static void free_port(struct domain *d, unsigned int port, struct evtchn *chn)
{
  d->evtchn_ops->clear_pending(d, port); /* no stale event on re-bind */
  memset(chn, 0, sizeof(*chn));          /* ECS_FREE, vcpu 0 */
}

static bool virq_is_global(unsigned int virq)
{
  return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF && virq != VIRQ_XENPMU;
}

/* Close port of d (Xen's evtchn_close): an interdomain peer goes back to
 * unbound, waiting for d to bind again. */
static long close_port(struct domain *d, unsigned int port)
{
  struct evtchn *chn = port_chn(d, port);
  if (!chn)
    return -EINVAL;
  switch (chn->state) {
  case ECS_FREE:
  case ECS_RESERVED: return -EINVAL;
  case ECS_VIRQ: {
    unsigned int owner = virq_is_global(chn->u.virq) ? 0 : chn->notify_vcpu;
    d->vcpus[owner]->virq_port[chn->u.virq] = 0;
    break;
  }
  case ECS_INTERDOMAIN: {
    struct evtchn *peer = port_chn(chn->u.inter.dom, chn->u.inter.port);
    peer->state = ECS_UNBOUND;
    peer->u.unbound_remote = d->id;
    break;
  }
  default: break;
  }
  free_port(d, port, chn);
  return 0;
}

void evtchn_domain_destroy(struct domain *d)
{
  for (unsigned int port = 1; port < d->evtchn_valid; port++)
    close_port(d, port);
  for (unsigned int i = 0; i < ARRAY_SIZE(d->evtchn_bucket); i++) {
    heap_free(d->evtchn_bucket[i]);
    d->evtchn_bucket[i] = NULL;
  }
  d->evtchn_valid = 0;
}

/* A domain named by a hypercall: DOMID_SELF, itself, or (privileged
 * callers) another; Xen's rcu_lock_domain_by_any_id plus the XSM target
 * check.  Dying domains do not count. */
static long lookup(struct vcpu *v, domid_t id, struct domain **out)
{
  long err = domain_lookup(v->dom, id, out);
  if (!err && (*out)->state != DOMAIN_RUNNING)
    return -ESRCH;
  return err;
}

static long alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
  struct domain *d;
  long err = lookup(v, a->dom, &d);
  if (err)
    return err;
  int port = get_free_port(d);
  if (port < 0)
    return port;
  struct evtchn *chn = port_chn(d, (unsigned int)port);
  chn->state = ECS_UNBOUND;
  chn->u.unbound_remote = a->remote_dom == DOMID_SELF ? v->dom->id : a->remote_dom;
  a->port = (evtchn_port_t)port;
  return 0;
}

static long bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
  struct domain *ld = v->dom;

  /* Any existing domain may be named: the unbound port's owner decided
   * who may bind (Xen does not check privilege here). */
  struct domain *rd = b->remote_dom == DOMID_SELF ? ld : domain_find(b->remote_dom);
  if (!rd || rd->state != DOMAIN_RUNNING)
    return -ESRCH;
  int lport = get_free_port(ld);
  if (lport < 0)
    return lport;
  struct evtchn *rchn = port_chn(rd, b->remote_port);
  if (!rchn || rchn->state != ECS_UNBOUND || rchn->u.unbound_remote != ld->id)
    return -EINVAL;
  struct evtchn *lchn = port_chn(ld, (unsigned int)lport);
  lchn->state = ECS_INTERDOMAIN;
  lchn->u.inter.dom = rd;
  lchn->u.inter.port = b->remote_port;
  rchn->state = ECS_INTERDOMAIN;
  rchn->u.inter.dom = ld;
  rchn->u.inter.port = (uint32_t)lport;
  /* The peer may have sent while the port was unbound; such sends were
   * dropped, so the new port starts pending, as in Xen. */
  set_pending(ld, (unsigned int)lport, lchn);
  b->local_port = (evtchn_port_t)lport;
  return 0;
}

static long bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
  struct domain *d = v->dom;
  if (b->virq >= NR_VIRQS)
    return -EINVAL;
  if (virq_is_global(b->virq) && b->vcpu != 0)
    return -EINVAL;
  if (b->vcpu >= d->nr_vcpus)
    return -ENOENT;
  struct vcpu *t = d->vcpus[b->vcpu];
  if (t->virq_port[b->virq])
    return -EEXIST;
  int port = get_free_port(d);
  if (port < 0)
    return port;
  struct evtchn *chn = port_chn(d, (unsigned int)port);
  chn->state = ECS_VIRQ;
  chn->notify_vcpu = (uint16_t)b->vcpu;
  chn->u.virq = b->virq;
  t->virq_port[b->virq] = (uint32_t)port;
  b->port = (evtchn_port_t)port;
  return 0;
}

static long bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
  struct domain *d = v->dom;
  if (b->vcpu >= d->nr_vcpus)
    return -ENOENT;
  int port = get_free_port(d);
  if (port < 0)
    return port;
  struct evtchn *chn = port_chn(d, (unsigned int)port);
  chn->state = ECS_IPI;
  chn->notify_vcpu = (uint16_t)b->vcpu;
  b->port = (evtchn_port_t)port;
  return 0;
}

static long send(struct domain *d, unsigned int port)
{
  struct evtchn *chn = port_chn(d, port);
  if (!chn)
    return -EINVAL;
  switch (chn->state) {
  case ECS_INTERDOMAIN: {
    struct domain *rd = chn->u.inter.dom;
    set_pending(rd, chn->u.inter.port, port_chn(rd, chn->u.inter.port));
    return 0;
  }
  case ECS_IPI: set_pending(d, port, chn); return 0;
  case ECS_HV: chn->u.hv(d, port); return 0;
  case ECS_UNBOUND: return 0; /* nobody listens yet: dropped, as in Xen */
  default: return -EINVAL;
  }
}

static long status(struct vcpu *v, struct evtchn_status *st)
{
  struct domain *d;
  long err = domain_lookup(v->dom, st->dom, &d);
  if (err)
    return err;
  struct evtchn *chn = port_chn(d, st->port);
  if (!chn)
    return -EINVAL;
  memset(&st->u, 0, sizeof(st->u));
  switch (chn->state) {
  case ECS_UNBOUND:
    st->status = EVTCHNSTAT_unbound;
    st->u.unbound.dom = chn->u.unbound_remote;
    break;
  case ECS_INTERDOMAIN:
    st->status = EVTCHNSTAT_interdomain;
    st->u.interdomain.dom = chn->u.inter.dom->id;
    st->u.interdomain.port = chn->u.inter.port;
    break;
  case ECS_VIRQ:
    st->status = EVTCHNSTAT_virq;
    st->u.virq = chn->u.virq;
    break;
  case ECS_IPI: st->status = EVTCHNSTAT_ipi; break;
  case ECS_HV:
    /* Xen has no such port (its console backend is a daemon in dom0); we
     * say what is true: connected to the hypervisor. */
    st->status = EVTCHNSTAT_interdomain;
    st->u.interdomain.dom = DOMID_XEN;
    st->u.interdomain.port = 0;
    break;
  default: st->status = EVTCHNSTAT_closed; break;
  }
  st->vcpu = chn->notify_vcpu;
  return 0;
}

static long bind_vcpu(struct vcpu *v, struct evtchn_bind_vcpu *b)
{
  struct domain *d = v->dom;
  if (b->vcpu >= d->nr_vcpus)
    return -ENOENT;
  struct evtchn *chn = port_chn(d, b->port);
  if (!chn)
    return -EINVAL;
  switch (chn->state) {
  case ECS_VIRQ:
    if (!virq_is_global(chn->u.virq))
      return -EINVAL; /* a per-vcpu VIRQ stays on its vcpu */
    /* fall through */
  case ECS_UNBOUND:
  case ECS_INTERDOMAIN:
  case ECS_HV: chn->notify_vcpu = (uint16_t)b->vcpu; return 0;
  default: return -EINVAL;
  }
}

static long unmask(struct domain *d, unsigned int port)
{
  struct evtchn *chn = port_chn(d, port);
  if (!chn)
    return -EINVAL;
  struct vcpu *v = d->vcpus[chn->notify_vcpu];
  if (d->evtchn_ops->unmask(d, v, port))
    evtchn_kick(v);
  return 0;
}

/* EVTCHNOP_reset: close every port.  Xen allows it on the caller itself
 * or on a domain its controller paused. */
static long reset(struct vcpu *v, struct evtchn_reset *r)
{
  struct domain *d;
  long err = domain_lookup(v->dom, r->dom, &d);
  if (err)
    return err;
  if (d != v->dom && !d->pause_count)
    return -EINVAL;
  for (unsigned int port = 1; port < d->evtchn_valid; port++)
    close_port(d, port);
  return 0;
}

void evtchn_send_vcpu_virq(struct vcpu *v, unsigned int virq)
{
  unsigned int port = v->virq_port[virq];
  if (port && v->dom->state == DOMAIN_RUNNING)
    set_pending(v->dom, port, port_chn(v->dom, port));
}

void evtchn_send_global_virq(struct domain *d, unsigned int virq)
{
  unsigned int port = d->vcpus[0]->virq_port[virq];
  if (port && d->state == DOMAIN_RUNNING)
    set_pending(d, port, port_chn(d, port));
}

int evtchn_alloc_hv(struct domain *d, evtchn_hv_fn fn)
{
  int port = get_free_port(d);
  if (port < 0)
    return port;
  struct evtchn *chn = port_chn(d, (unsigned int)port);
  chn->state = ECS_HV;
  chn->u.hv = fn;
  return port;
}

void evtchn_free_hv(struct domain *d, unsigned int port, evtchn_hv_fn fn)
{
  struct evtchn *chn = port_chn(d, port);
  if (chn && chn->state == ECS_HV && chn->u.hv == fn)
    close_port(d, port);
}

void evtchn_notify_hv(struct domain *d, unsigned int port, evtchn_hv_fn fn)
{
  struct evtchn *chn = port_chn(d, port);
  if (chn && chn->state == ECS_HV && chn->u.hv == fn && d->state == DOMAIN_RUNNING)
    set_pending(d, port, chn);
}

int evtchn_port_poll(struct domain *d, unsigned int port)
{
  struct evtchn *chn = port_chn(d, port);
  if (!chn)
    return -EINVAL;
  return d->evtchn_ops->is_pending(d, port);
}

/* The argument structures, by sub-op; the size read and written back.
 * (EVTCHNOP_send has neither: do_event_channel_op takes it first.) */
union evtchn_arg {
  struct evtchn_alloc_unbound alloc_unbound;
  struct evtchn_bind_interdomain bind_interdomain;
  struct evtchn_bind_virq bind_virq;
  struct evtchn_bind_ipi bind_ipi;
  struct evtchn_close close;
  struct evtchn_status status;
  struct evtchn_bind_vcpu bind_vcpu;
  struct evtchn_unmask unmask;
  struct evtchn_reset reset;
  struct evtchn_init_control init_control;
  struct evtchn_set_priority set_priority;
};

static const uint8_t arg_size[] = {
    [EVTCHNOP_bind_interdomain] = sizeof(struct evtchn_bind_interdomain),
    [EVTCHNOP_bind_virq] = sizeof(struct evtchn_bind_virq),
    [EVTCHNOP_bind_pirq] = sizeof(struct evtchn_bind_pirq),
    [EVTCHNOP_close] = sizeof(struct evtchn_close),
    [EVTCHNOP_status] = sizeof(struct evtchn_status),
    [EVTCHNOP_alloc_unbound] = sizeof(struct evtchn_alloc_unbound),
    [EVTCHNOP_bind_ipi] = sizeof(struct evtchn_bind_ipi),
    [EVTCHNOP_bind_vcpu] = sizeof(struct evtchn_bind_vcpu),
    [EVTCHNOP_unmask] = sizeof(struct evtchn_unmask),
    [EVTCHNOP_reset] = sizeof(struct evtchn_reset),
    [EVTCHNOP_init_control] = sizeof(struct evtchn_init_control),
    [EVTCHNOP_expand_array] = sizeof(struct evtchn_expand_array),
    [EVTCHNOP_set_priority] = sizeof(struct evtchn_set_priority),
};

/* Every sub-op but send: out of line, so that the union of their
 * arguments makes no stack frame for the hot one. */
static __attribute__((noinline)) long event_channel_op(struct vcpu *v, int cmd, uint64_t arg)
{
  union evtchn_arg a;
  struct domain *d = v->dom;
  long rc;

  if (cmd < 0 || (unsigned int)cmd >= ARRAY_SIZE(arg_size) || !arg_size[cmd])
    return -ENOSYS;
  if (arch_copy_from_guest(v, &a, arg, arg_size[cmd]))
    return -EFAULT;
  switch (cmd) {
  case EVTCHNOP_alloc_unbound: rc = alloc_unbound(v, &a.alloc_unbound); break;
  case EVTCHNOP_bind_interdomain: rc = bind_interdomain(v, &a.bind_interdomain); break;
  case EVTCHNOP_bind_virq: rc = bind_virq(v, &a.bind_virq); break;
  case EVTCHNOP_bind_ipi: rc = bind_ipi(v, &a.bind_ipi); break;
  case EVTCHNOP_close: return close_port(d, a.close.port);
  case EVTCHNOP_status: rc = status(v, &a.status); break;
  case EVTCHNOP_bind_vcpu: return bind_vcpu(v, &a.bind_vcpu);
  case EVTCHNOP_unmask: return unmask(d, a.unmask.port);
  case EVTCHNOP_reset: return reset(v, &a.reset);
  case EVTCHNOP_bind_pirq:
    return -EPERM; /* no physical IRQs are given to guests (Xen: no pirq access) */
  case EVTCHNOP_set_priority:
    /* Only FIFO has priorities: Xen answers a 2-level domain -ENOSYS,
     * after -EINVAL for a port it does not have.  Linux asks for its
     * timer's port and goes on. */
    return port_chn(d, a.set_priority.port) ? -ENOSYS : -EINVAL;
  default:
    /* FIFO (init_control, expand_array): not offered, so guests stay
     * with the 2-level ABI (Xen would offer it). */
    return -ENOSYS;
  }
  if (!rc && arch_copy_to_guest(v, arg, &a, arg_size[cmd]))
    rc = -EFAULT;
  return rc;
}

long do_event_channel_op(struct vcpu *v, int cmd, uint64_t arg)
{
  if (cmd == EVTCHNOP_send) {
    struct evtchn_send a;
    if (arch_copy_from_guest(v, &a, arg, sizeof(a)))
      return -EFAULT;
    return send(v->dom, a.port);
  }
  return event_channel_op(v, cmd, arg);
}
