/* domctl: the control domain (dom0) manages the others: creation
 * (hv/createdomain.c), domain info, pause and unpause, destroy, max_mem,
 * max_vcpus, the toolstack's handle, the saved vcpu state a builder sets
 * (arch/x86/vmx/context.c), vcpu affinity and the credit scheduler's
 * weight and cap.  Checks, their order and errnos follow Xen
 * 4.19 (common/domctl.c do_domctl, common/domain.c, common/sched/core.c
 * and credit.c, xsm/dummy.h). */
#include <arch/arch.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <public/domctl.h>
#include <public/vcpu.h>

_Static_assert(sizeof(struct xen_domctl) == 16 + 128, "xen_domctl: header + 128-byte union");
_Static_assert(offsetof(struct xen_domctl, u) == 16, "xen_domctl.u at 16");
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 112, "getdomaininfo");
_Static_assert(offsetof(struct xen_domctl_getdomaininfo, cpu_time) == 56, "cpu_time");
_Static_assert(offsetof(struct xen_domctl_getdomaininfo, arch_config) == 104, "arch_config");
_Static_assert(sizeof(struct xen_domctl_vcpuaffinity) == 40, "vcpuaffinity");
_Static_assert(sizeof(struct xen_domctl_scheduler_op) == 24, "scheduler_op");

/* Xen limits the controller's pause count (domain_pause_by_systemcontroller). */
#define PAUSE_MAX 255
/* Bytes of a CPU mask we keep (SCHED_MAX_CPUS bits). */
#define MASK_BYTES (SCHED_MAX_CPUS / 8)

void domctl_getdomaininfo(const struct domain *d, struct xen_domctl_getdomaininfo *info)
{
  /* Xen (getdomaininfo): "blocked" only if every online vcpu waits,
   * "running" if any is on a CPU; neither when no vcpu is online. */
  uint32_t flags = XEN_DOMINF_blocked;
  uint64_t cpu_time = 0;

  memset(info, 0, sizeof(*info));
  info->domain = d->id;
  info->max_vcpu_id = d->nr_vcpus ? d->nr_vcpus - 1 : XEN_INVALID_MAX_VCPU_ID;
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    const struct vcpu *v = d->vcpus[i];
    struct vcpu_runstate_info rs;
    sched_runstate_get(v, &rs);
    cpu_time += rs.time[RUNSTATE_running];
    if (!v->online)
      continue;
    if (!v->blocked)
      flags &= ~XEN_DOMINF_blocked;
    if (rs.state == RUNSTATE_running)
      flags |= XEN_DOMINF_running;
    info->nr_online_vcpus++;
  }
  if (!info->nr_online_vcpus)
    flags = 0;
  /* Xen's shutdown code is ~0 until one is set (SCHEDOP_shutdown_code or
   * the shutdown itself), and it goes into bits 16 up as it is: a running
   * domain without a code shows 0xffff there. */
  uint32_t code = d->state != DOMAIN_RUNNING ? d->shutdown_reason
                  : d->has_shutdown_code     ? d->shutdown_code
                                             : ~0U;
  info->flags = flags | (d->state != DOMAIN_RUNNING ? XEN_DOMINF_shutdown : 0) |
                (d->pause_count ? XEN_DOMINF_paused : 0) | XEN_DOMINF_hvm_guest | XEN_DOMINF_hap |
                code << XEN_DOMINF_shutdownshift;
  info->cpu_time = cpu_time;
  info->tot_pages = d->nr_frames + d->nr_spare; /* as XENMEM_current_reservation */
  info->max_pages = d->max_pages;
  info->shared_info_frame = d->shared_info_gfn; /* ~0 until the guest maps it */
  info->gpaddr_bits = arch_guest_paddr_bits();
  /* Every domain has an emulated local APIC and nothing else emulated (a
   * PVH domU's flags in Xen; Xen's PVH dom0 also has IO-APIC and vPCI). */
  info->arch_config.emulation_flags = XEN_X86_EMU_LAPIC;
  memcpy(info->handle, d->handle, sizeof(info->handle));
  /* ssidref and cpupool stay 0 (no XSM labels, one pool). */
}

/* CPU and node masks go through the caller's buffers, not through the
 * domctl structure, which is not copied back. */
long domctl_bitmap_read(struct vcpu *v, const struct xenctl_bitmap *b, uint64_t *mask)
{
  /* Xen's xenctl_bitmap_to_bitmap: the bytes both sides have; bits past
   * nr_bits in the last byte are ignored. */
  uint8_t bytes[MASK_BYTES] = {0};
  uint64_t guest_bytes = ((uint64_t)b->nr_bits + 7) / 8; /* no wrap at 2^32 bits */
  uint64_t n = MIN(guest_bytes, (uint64_t)MASK_BYTES);
  if (n && arch_copy_from_guest(v, bytes, b->bitmap, n))
    return -EFAULT;
  if ((b->nr_bits & 7) && guest_bytes == n)
    bytes[n - 1] &= (uint8_t) ~(0xff << (b->nr_bits & 7));
  *mask = 0;
  for (unsigned int i = 0; i < MASK_BYTES; i++)
    *mask |= (uint64_t)bytes[i] << (8 * i);
  return 0;
}

long domctl_bitmap_write(struct vcpu *v, const struct xenctl_bitmap *b, uint64_t mask)
{
  /* Xen's bitmap_to_xenctl_bitmap: our bytes, then zeros to the end of
   * the caller's buffer.  nr_bits is the caller's (up to 2^32 bits), so
   * the zeros go a chunk per copy, and the first fault ends them. */
  static const uint8_t zeros[256];
  uint8_t bytes[MASK_BYTES];
  uint64_t guest_bytes = ((uint64_t)b->nr_bits + 7) / 8;
  uint64_t n = MIN(guest_bytes, (uint64_t)MASK_BYTES);
  for (unsigned int i = 0; i < MASK_BYTES; i++)
    bytes[i] = (uint8_t)(mask >> (8 * i));
  if (n && arch_copy_to_guest(v, b->bitmap, bytes, n))
    return -EFAULT;
  for (uint64_t at = n; at < guest_bytes; at += sizeof(zeros))
    if (arch_copy_to_guest(v, b->bitmap + at, zeros, MIN(guest_bytes - at, sizeof(zeros))))
      return -EFAULT;
  return 0;
}

/* XEN_DOMCTL_setvcpuaffinity / getvcpuaffinity (Xen's
 * vcpu_affinity_domctl). */
static long vcpu_affinity(struct vcpu *caller, struct domain *d, uint32_t cmd,
                          const struct xen_domctl_vcpuaffinity *a)
{
  if (a->vcpu >= d->nr_vcpus)
    return -EINVAL;
  uint32_t f = a->flags;
  if (!f || ((f & XEN_VCPUAFFINITY_HARD) && !a->cpumap_hard.bitmap) ||
      ((f & XEN_VCPUAFFINITY_SOFT) && !a->cpumap_soft.bitmap))
    return -EINVAL;
  struct vcpu *t = d->vcpus[a->vcpu];
  long err = 0;

  if (cmd == XEN_DOMCTL_getvcpuaffinity) {
    if (f & XEN_VCPUAFFINITY_HARD)
      err = domctl_bitmap_write(caller, &a->cpumap_hard, t->hard_affinity);
    if (!err && (f & XEN_VCPUAFFINITY_SOFT))
      err = domctl_bitmap_write(caller, &a->cpumap_soft, t->soft_affinity);
    return err;
  }
  /* Set: read both masks before changing anything, then report the
   * effective masks (what the scheduler may use: hard within the CPUs
   * that run vcpus; soft within that too). */
  uint64_t hard = t->hard_affinity, soft = t->soft_affinity;
  if ((f & XEN_VCPUAFFINITY_HARD) && (err = domctl_bitmap_read(caller, &a->cpumap_hard, &hard)))
    return err;
  if ((f & XEN_VCPUAFFINITY_SOFT) && (err = domctl_bitmap_read(caller, &a->cpumap_soft, &soft)))
    return err;
  if ((f & XEN_VCPUAFFINITY_HARD) && (err = sched_set_hard_affinity(t, hard)))
    return err;
  if (f & XEN_VCPUAFFINITY_SOFT)
    sched_set_soft_affinity(t, soft);
  /* XEN_VCPUAFFINITY_FORCE undoes SCHEDOP_pin_override, which we do not
   * offer: nothing to undo. */
  if (f & XEN_VCPUAFFINITY_HARD)
    err = domctl_bitmap_write(caller, &a->cpumap_hard, t->hard_affinity & sched_cpus());
  if (!err && (f & XEN_VCPUAFFINITY_SOFT))
    err = domctl_bitmap_write(caller, &a->cpumap_soft,
                              t->soft_affinity & t->hard_affinity & sched_cpus());
  return err;
}

/* XEN_DOMCTL_scheduler_op with the credit scheduler's domain-wide
 * weight and cap (Xen's sched_adjust and csched_dom_cntl). */
static long scheduler_op(struct domain *d, struct xen_domctl_scheduler_op *s)
{
  if (s->sched_id != sched_policy_id())
    return -EINVAL;
  switch (s->cmd) {
  case XEN_DOMCTL_SCHEDOP_getinfo:
    s->u.credit.weight = (uint16_t)d->weight;
    s->u.credit.cap = (uint16_t)d->cap;
    return 0;
  case XEN_DOMCTL_SCHEDOP_putinfo: {
    /* 0 keeps the weight and 0xffff the cap, as in Xen. */
    unsigned int weight = s->u.credit.weight ? s->u.credit.weight : d->weight;
    unsigned int cap = s->u.credit.cap != 0xffff ? s->u.credit.cap : d->cap;
    return sched_set_params(d, weight, cap);
  }
  default: return -EINVAL; /* credit has no per-vcpu parameters */
  }
}

/* XEN_DOMCTL_getvcpuinfo (Xen's common/domctl.c). */
static long getvcpuinfo(struct domain *d, struct xen_domctl_getvcpuinfo *g)
{
  if (g->vcpu >= d->nr_vcpus)
    return -EINVAL;
  const struct vcpu *t = d->vcpus[g->vcpu];
  struct vcpu_runstate_info rs;
  sched_runstate_get(t, &rs);
  g->online = t->online;
  g->blocked = t->blocked;
  g->running = rs.state == RUNSTATE_running;
  g->cpu_time = rs.time[RUNSTATE_running];
  g->cpu = t->processor;
  return 0;
}

/* XEN_DOMCTL_settscinfo / gettscinfo (Xen 4.17's tsc_set_info): a PVH
 * guest reads the host's TSC here, unscaled and never emulated, which is
 * Xen's "default" and "never emulate" modes; "always emulate" and another
 * rate are not offered. */
static long tsc_info(struct domain *d, uint32_t cmd, struct xen_domctl_tsc_info *t)
{
  if (cmd == XEN_DOMCTL_gettscinfo) {
    struct arch_physinfo pi;
    arch_physinfo(&pi);
    *t = (struct xen_domctl_tsc_info){.tsc_mode = d->tsc_mode, .gtsc_khz = pi.cpu_khz};
    return 0;
  }
  if (t->tsc_mode > XEN_TSC_MODE_NEVER_EMULATE)
    return -EINVAL;
  if (t->tsc_mode == XEN_TSC_MODE_ALWAYS_EMULATE || t->gtsc_khz) {
    pr_warn("%s: TSC mode %u at %u kHz refused: guests read the host's TSC here", d->name,
            t->tsc_mode, t->gtsc_khz);
    return -EOPNOTSUPP;
  }
  d->tsc_mode = (uint8_t)t->tsc_mode;
  return 0;
}

long do_domctl(struct vcpu *v, uint64_t arg)
{
  struct xen_domctl op;
  bool copyback = false;
  long ret = 0;

  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  /* Xen's order: the version, then the domain (an exact id: DOMID_SELF
   * names no domain here), then the XSM check, which for a caller that
   * is not privileged is -EPERM whatever the command. */
  if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION &&
      op.interface_version != XEN_DOMCTL_INTERFACE_VERSION_4_17)
    return -EACCES;
  struct domain *d = op.cmd == XEN_DOMCTL_createdomain ? NULL : domain_find(op.domain);
  if (!d && op.cmd == XEN_DOMCTL_getdomaininfo &&
      op.interface_version == XEN_DOMCTL_INTERFACE_VERSION_4_17) {
    /* Xen 4.17 answers for the next domain up (xenconsoled walks the
     * domains so); 4.19 wants the exact id. */
    if (op.domain >= DOMID_FIRST_RESERVED)
      return -EINVAL;
    d = domain_find_from(op.domain);
  }
  if (!d && op.cmd != XEN_DOMCTL_createdomain)
    return -ESRCH;
  if (!v->dom->privileged)
    return -EPERM;

  switch (op.cmd) {
  case XEN_DOMCTL_getdomaininfo:
    domctl_getdomaininfo(d, &op.u.getdomaininfo);
    op.domain = op.u.getdomaininfo.domain;
    copyback = true;
    break;

  case XEN_DOMCTL_pausedomain:
    if (d == v->dom)
      return -EINVAL; /* it could never unpause itself */
    if (d->pause_count >= PAUSE_MAX)
      return -EOVERFLOW;
    sched_pause(d);
    /* As Xen's vcpu_sleep_sync: when the call returns, no vcpu of d runs
     * (its cpu_time stands still). */
    sched_wait_off_cpu(d);
    break;

  case XEN_DOMCTL_unpausedomain:
    if (!d->pause_count)
      return -EINVAL;
    d->creation_finished = true;
    sched_unpause(d);
    break;

  case XEN_DOMCTL_destroydomain:
    if (d == v->dom)
      return -EINVAL;
    /* A vcpu of d running on another CPU must leave it before d's
     * memory goes (Xen's domain_kill pauses first, too): pause d once,
     * kick it off, and come back as a continuation until it has left. */
    if (sched_domain_on_cpu(d) || d->release_pending) {
      if (!d->destroy_paused) {
        pr_info("%s: destroy waits for its vcpus to leave the other CPUs", d->name);
        d->destroy_paused = true;
        sched_pause(d);
      }
      return -ERESTART;
    }
    pr_info("%s: destroyed by %s", d->name, v->dom->name);
    domain_destroy(d);
    break;

  case XEN_DOMCTL_max_mem:
    /* Xen 4.19: no check against what the domain has now; above the new
     * maximum it gets nothing more until it has given enough back. */
    d->max_pages = op.u.max_mem.max_memkb >> (PAGE_SHIFT - 10);
    break;

  case XEN_DOMCTL_max_vcpus:
    /* Xen wants the count given at creation, and not for the caller
     * itself; ours are all made when the domain is built, so nothing is
     * left to do. */
    if (d == v->dom || op.u.max_vcpus.max != d->nr_vcpus)
      return -EINVAL;
    break;

  case XEN_DOMCTL_setvcpuaffinity:
  case XEN_DOMCTL_getvcpuaffinity: ret = vcpu_affinity(v, d, op.cmd, &op.u.vcpuaffinity); break;

  case XEN_DOMCTL_scheduler_op:
    ret = scheduler_op(d, &op.u.scheduler_op);
    copyback = true; /* even on failure, as in Xen */
    break;

  case XEN_DOMCTL_createdomain:
    ret = domctl_createdomain(v, &op);
    copyback = !ret;
    break;

  case XEN_DOMCTL_setdomainhandle:
    memcpy(d->handle, op.u.setdomainhandle.handle, sizeof(d->handle));
    break;

  case XEN_DOMCTL_gethvmcontext:
    /* Xen: its own context is not for the caller (no domain_pause). */
    if (d == v->dom)
      return -EINVAL;
    ret = arch_hvm_context_get(v, d, op.u.hvmcontext.buffer, &op.u.hvmcontext.size);
    copyback = true;
    break;

  case XEN_DOMCTL_sethvmcontext:
    if (d == v->dom)
      return -EINVAL;
    ret = arch_hvm_context_set(v, d, op.u.hvmcontext.buffer, op.u.hvmcontext.size);
    break;

  case XEN_DOMCTL_getvcpuinfo:
    ret = getvcpuinfo(d, &op.u.getvcpuinfo);
    copyback = !ret;
    break;

  case XEN_DOMCTL_settscinfo:
  case XEN_DOMCTL_gettscinfo:
    if (d == v->dom)
      return -EINVAL; /* Xen: not for the caller itself */
    ret = tsc_info(d, op.cmd, &op.u.tsc_info);
    copyback = op.cmd == XEN_DOMCTL_gettscinfo && !ret;
    break;

  case XEN_DOMCTL_setnodeaffinity: {
    /* One NUMA node, 0: a map without it has no online node (Xen's
     * -EINVAL); with it, every domain already lives there. */
    uint64_t nodes;
    ret = domctl_bitmap_read(v, &op.u.nodeaffinity.nodemap, &nodes);
    if (!ret && !(nodes & 1))
      ret = -EINVAL;
    break;
  }
  case XEN_DOMCTL_getnodeaffinity:
    ret = domctl_bitmap_write(v, &op.u.nodeaffinity.nodemap, 1);
    break;

  case XEN_DOMCTL_set_cpu_policy:
    if (d == v->dom)
      return -EINVAL;
    if (d->creation_finished || !d->toolstack_built)
      return -EEXIST; /* Xen: not once the domain has run */
    ret = arch_cpu_policy_set(v, d, &op.u.cpu_policy);
    copyback = ret != 0; /* the err_* fields */
    break;

  case XEN_DOMCTL_set_paging_mempool_size:
  case XEN_DOMCTL_get_paging_mempool_size:
    /* The toolstack sizes the pool its p2m pages come from (Xen 4.17,
     * XSA-409).  mica's EPT tables come from the frame allocator as they
     * are needed and are counted against nothing, so the size is only
     * kept for get, after Xen's own check. */
    if (op.cmd == XEN_DOMCTL_get_paging_mempool_size) {
      op.u.paging_mempool.size = d->paging_pool;
      copyback = true;
    } else if (op.u.paging_mempool.size & (PAGE_SIZE - 1)) {
      return -EINVAL;
    } else {
      d->paging_pool = op.u.paging_mempool.size;
    }
    break;

  default: return -ENOSYS;
  }
  if (copyback && arch_copy_to_guest(v, arg, &op, sizeof(op)))
    ret = -EFAULT;
  return ret;
}
