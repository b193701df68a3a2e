/* sysctl: the control domain asks about the machine: physinfo, the
 * scheduler's id, the hypervisor's log (readconsole) and every domain's
 * info (getdomaininfolist).  Checks, their order and errnos follow Xen
 * 4.19 (common/sysctl.c do_sysctl, drivers/char/console.c
 * read_console_ring). */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <public/sysctl.h>

_Static_assert(sizeof(struct xen_sysctl) == 8 + 128, "xen_sysctl: header + 128-byte union");
_Static_assert(offsetof(struct xen_sysctl, u) == 8, "xen_sysctl.u at 8");
_Static_assert(sizeof(struct xen_sysctl_readconsole) == 24, "readconsole");
_Static_assert(sizeof(struct xen_sysctl_physinfo) == 112, "physinfo");
_Static_assert(sizeof(struct xen_sysctl_getdomaininfolist) == 24, "getdomaininfolist");

/* Where readconsole's reader starts: bytes before it were cleared
 * (Xen's conringc).  The ring itself forgets the oldest bytes on its own
 * when it wraps, and console_log_read skips those. */
static uint64_t log_cleared;

/* Xen's read_console_ring over our log ring.  Positions are 64-bit byte
 * counts here and the ABI's index is their low 32 bits; the ring (64 KiB)
 * is far smaller than 2^32, so an index names one position. */
static long readconsole(struct vcpu *v, struct xen_sysctl_readconsole *rc)
{
  uint64_t end = console_log_total();
  uint64_t pos = log_cleared;
  uint64_t oldest = end > CONSOLE_LOG_SIZE ? end - CONSOLE_LOG_SIZE : 0;
  if (pos < oldest)
    pos = oldest;
  if (rc->incremental) {
    /* A start after pos and no later than end, as Xen's (c, p] test. */
    uint32_t ahead = rc->index - (uint32_t)pos;
    if (ahead && ahead <= end - pos)
      pos += ahead;
  }
  uint32_t done = 0;
  char chunk[256];
  while (done < rc->count && pos < end) {
    size_t want = rc->count - done < sizeof(chunk) ? rc->count - done : sizeof(chunk);
    size_t n = console_log_read(&pos, chunk, want);
    if (!n)
      break;
    if (arch_copy_to_guest(v, rc->buffer + done, chunk, n))
      return -EFAULT;
    done += (uint32_t)n;
  }
  if (rc->clear)
    log_cleared = pos;
  rc->count = done;
  rc->index = (uint32_t)pos;
  return 0;
}

static void physinfo(struct xen_sysctl_physinfo *pi)
{
  struct arch_physinfo a;

  arch_physinfo(&a);
  memset(pi, 0, sizeof(*pi));
  pi->threads_per_core = a.threads_per_core;
  pi->cores_per_socket = a.cores_per_socket;
  pi->nr_cpus = a.nr_cpus;
  pi->max_cpu_id = a.max_cpu_id;
  pi->nr_nodes = 1; /* no NUMA information: one node */
  pi->max_node_id = 0;
  pi->cpu_khz = a.cpu_khz;
  /* PVH guests only (no PV), on EPT; grant tables v1. */
  pi->capabilities =
      XEN_SYSCTL_PHYSCAP_gnttab_v1 | (a.hvm ? XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_hap : 0);
  pi->total_pages = frame_nr_total();
  pi->free_pages = frame_nr_free();
  /* What the idle CPUs have yet to zero (mm/frame.c); Xen 4.19 says 0,
   * older Xen its own scrubber's list, as here. */
  pi->scrub_pages = frame_nr_dirty();
  pi->max_mfn = frame_max_pfn();
  for (unsigned int i = 0; i < 8; i++)
    pi->hw_cap[i] = a.hw_cap[i];
}

/* The domain with the smallest id >= from, or NULL. */
static struct domain *domain_from(unsigned int from)
{
  struct domain *best = NULL;
  for (struct domain *d = domain_list; d; d = d->next)
    if (d->id >= from && (!best || d->id < best->id))
      best = d;
  return best;
}

static long getdomaininfolist(struct vcpu *v, struct xen_sysctl_getdomaininfolist *l)
{
  uint32_t n = 0;
  for (struct domain *d = domain_from(l->first_domain); d && n < l->max_domains;
       d = domain_from(d->id + 1u)) {
    struct xen_domctl_getdomaininfo info;
    domctl_getdomaininfo(d, &info);
    if (arch_copy_to_guest(v, l->buffer + (uint64_t)n * sizeof(info), &info, sizeof(info)))
      return -EFAULT;
    n++;
  }
  l->num_domains = n;
  return 0;
}

long do_sysctl(struct vcpu *v, uint64_t arg)
{
  struct xen_sysctl op;
  long ret;

  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
    return -EACCES;
  if (!v->dom->privileged)
    return -EPERM; /* XSM dummy: XSM_PRIV for every command */

  switch (op.cmd) {
  case XEN_SYSCTL_readconsole: ret = readconsole(v, &op.u.readconsole); break;
  case XEN_SYSCTL_physinfo:
    physinfo(&op.u.physinfo);
    ret = 0;
    break;
  case XEN_SYSCTL_sched_id:
    op.u.sched_id.sched_id = sched_policy_id();
    ret = 0;
    break;
  case XEN_SYSCTL_getdomaininfolist: ret = getdomaininfolist(v, &op.u.getdomaininfolist); break;
  default: return -ENOSYS;
  }
  /* Results go back only on success (Xen's copyback of -1). */
  if (!ret && arch_copy_to_guest(v, arg, &op, sizeof(op)))
    ret = -EFAULT;
  return ret;
}
