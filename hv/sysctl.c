/* sysctl: the control domain asks about the machine: physinfo, the
 * scheduler's id, the hypervisor's log (readconsole), every domain's
 * info (getdomaininfolist), the CPU topology, NUMA nodes and CPU pools
 * (one of each here) and the CPUID policy (arch/x86/cpu_policy.c).
 * Checks, their order and errnos follow Xen 4.19 (common/sysctl.c
 * do_sysctl, drivers/char/console.c read_console_ring). */
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

static long getdomaininfolist(struct vcpu *v, struct xen_sysctl_getdomaininfolist *l)
{
  uint32_t n = 0;
  for (struct domain *d = domain_find_from(l->first_domain); d && n < l->max_domains;
       d = domain_find_from(d->id + 1u)) {
    struct xen_domctl_getdomaininfo info;
    domctl_getdomaininfo(d, &info);
    if (arch_copy_to_guest(v, l->buffer + (uint64_t)n * sizeof(info), &info, sizeof(info)))
      return -EFAULT;
    n++;
  }
  l->num_domains = n;
  return 0;
}

/* XEN_SYSCTL_cputopoinfo (Xen's common/sysctl.c): each CPU slot's core,
 * socket and node; slots without a CPU are invalid.  All CPUs are node 0. */
static long cputopoinfo(struct vcpu *v, struct xen_sysctl_cputopoinfo *ti)
{
  unsigned int n = arch_pcpu_last() + 1;
  if (ti->cputopo) {
    n = MIN(n, ti->num_cpus);
    for (unsigned int i = 0; i < n; i++) {
      struct arch_pcpu p;
      struct xen_sysctl_cputopo t = {XEN_INVALID_CORE_ID, XEN_INVALID_SOCKET_ID,
                                     XEN_INVALID_NODE_ID};
      if (arch_pcpu_info(i, &p))
        t = (struct xen_sysctl_cputopo){p.core, p.socket, 0};
      if (arch_copy_to_guest(v, ti->cputopo + (uint64_t)i * sizeof(t), &t, sizeof(t)))
        return -EFAULT;
    }
  }
  ti->num_cpus = n;
  return 0;
}

/* XEN_SYSCTL_numainfo: one node with all the memory, distance 10 to
 * itself (ACPI SLIT's local distance, which Xen reports too). */
static long numainfo(struct vcpu *v, struct xen_sysctl_numainfo *ni)
{
  unsigned int n = 1;
  if (ni->meminfo || ni->distance) {
    n = MIN(n, ni->num_nodes);
    if (n && ni->meminfo) {
      struct xen_sysctl_meminfo m = {frame_nr_total() * PAGE_SIZE, frame_nr_free() * PAGE_SIZE};
      if (arch_copy_to_guest(v, ni->meminfo, &m, sizeof(m)))
        return -EFAULT;
    }
    uint32_t local = 10;
    if (n && ni->distance && arch_copy_to_guest(v, ni->distance, &local, sizeof(local)))
      return -EFAULT;
  }
  ni->num_nodes = n;
  return 0;
}

/* XEN_SYSCTL_cpupool_op: mica has one pool, 0, with every CPU that runs
 * vcpus and every domain; it cannot be changed.  INFO and FREEINFO answer
 * as Xen's cpupool_do_sysctl; MOVEDOMAIN to pool 0 is already done; the
 * rest is -EOPNOTSUPP (Xen's answer when pools cannot be reconfigured). */
static long cpupool_op(struct vcpu *v, struct xen_sysctl_cpupool_op *op)
{
  switch (op->op) {
  case XEN_SYSCTL_CPUPOOL_OP_INFO: {
    if (op->cpupool_id != 0 && op->cpupool_id != XEN_SYSCTL_CPUPOOL_PAR_ANY)
      return -ENOENT; /* no pool at or after that id */
    unsigned int n = 0;
    for (struct domain *d = domain_list; d; d = d->next)
      n++;
    op->cpupool_id = 0;
    op->sched_id = sched_policy_id();
    op->n_dom = n;
    return domctl_bitmap_write(v, &op->cpumap, sched_cpus());
  }
  case XEN_SYSCTL_CPUPOOL_OP_FREEINFO: return domctl_bitmap_write(v, &op->cpumap, 0);
  case XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN:
    if (!domain_find((domid_t)op->domid) || op->domid >= DOMID_FIRST_RESERVED)
      return -ESRCH;
    return op->cpupool_id == 0 ? 0 : -ENOENT;
  case XEN_SYSCTL_CPUPOOL_OP_CREATE:
  case XEN_SYSCTL_CPUPOOL_OP_DESTROY:
  case XEN_SYSCTL_CPUPOOL_OP_ADDCPU:
  case XEN_SYSCTL_CPUPOOL_OP_RMCPU: return -EOPNOTSUPP;
  default: return -ENOSYS;
  }
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
  case XEN_SYSCTL_cputopoinfo: ret = cputopoinfo(v, &op.u.cputopoinfo); break;
  case XEN_SYSCTL_numainfo: ret = numainfo(v, &op.u.numainfo); break;
  case XEN_SYSCTL_cpupool_op: ret = cpupool_op(v, &op.u.cpupool_op); break;
  case XEN_SYSCTL_get_cpu_featureset:
    ret = arch_cpu_featureset(v, &op.u.cpu_featureset);
    if (ret == -ENOBUFS && arch_copy_to_guest(v, arg, &op, sizeof(op)))
      ret = -EFAULT; /* Xen tells how many words it wrote, and that more exist */
    break;
  case XEN_SYSCTL_get_cpu_policy: ret = arch_cpu_policy_get(v, &op.u.cpu_policy); break;
  default: return -ENOSYS;
  }
  /* Results go back only on success (Xen's copyback of -1). */
  if (!ret && arch_copy_to_guest(v, arg, &op, sizeof(op)))
    ret = -EFAULT;
  return ret;
}
