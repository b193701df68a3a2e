/* vcpu_op: a vcpu's state, its timers, its run-state area and where its
 * vcpu_info lives; checks and errnos as Xen 4.19's common_vcpu_op
 * (common/domain.c). */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <hv/vtime.h>
#include <public/vcpu.h>
#include <public/xen.h>

/* Move vcpu t's struct vcpu_info into the guest page mfn at offset, with
 * Xen 4.19's checks in its order (common/domain.c, common_vcpu_op and
 * map_guest_area): an address that is not inside page mfn is -EINVAL; a
 * second registration -EBUSY; crossing the page or misaligned -ENXIO; a
 * page that is not RAM -EINVAL.  The domain's latched layout gives the
 * alignment and the selector's width.  The old contents move with it, and every
 * event is marked pending so none is lost in the move. */
static long register_vcpu_info(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
  struct vcpu_register_vcpu_info r;

  if (arch_copy_from_guest(v, &r, arg, sizeof(r)))
    return -EFAULT;
  uint64_t gpa = (r.mfn << PAGE_SHIFT) + r.offset;
  if (r.mfn >= (1ULL << 40) || (gpa >> PAGE_SHIFT) != r.mfn)
    return -EINVAL;
  if (t->vcpu_info_gpa)
    return -EBUSY;
  /* Aligned for the guest's long: 4 bytes in the 32-bit layout. */
  bool compat = v->dom->has_32bit_shinfo;
  if (((gpa + sizeof(struct vcpu_info) - 1) >> PAGE_SHIFT) != r.mfn || (gpa & (compat ? 3 : 7)))
    return -ENXIO;
  enum p2m_type type;
  paddr_t hpa = arch_p2m_query(v->dom, gpa, NULL, &type);
  if (!hpa || type != P2M_RAM) /* shared_info, a grant table or grant mapping */
    return -EINVAL;
  struct vcpu_info *vi = phys_to_virt(hpa);
  *vi = *t->vi; /* 64 bytes in either layout */
  if (compat)
    ((struct compat_vcpu_info *)vi)->evtchn_pending_sel = ~0U;
  else
    vi->evtchn_pending_sel = ~(xen_ulong_t)0;
  bool was_pending = vi->evtchn_upcall_pending;
  vi->evtchn_upcall_pending = 1;
  t->vi = vi;
  t->vcpu_info_gpa = gpa;
  vtime_publish(t);
  if (!was_pending)
    evtchn_kick(t); /* as Xen's vcpu_mark_events_pending: a per-vcpu vector fires */
  return 0;
}

/* VCPUOP_register_runstate_memory_area: a guest virtual address, written
 * whenever the vcpu is scheduled, and now; a 32-bit caller's is its
 * 32-bit handle alone (the union's first 4 bytes, as Xen's
 * compat_vcpu_op reads it). */
static long register_runstate(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
  struct vcpu_register_runstate_memory_area area = {0};
  struct vcpu_runstate_info now;

  if (arch_copy_from_guest(v, &area, arg, v->hcall_compat ? sizeof(uint32_t) : sizeof(area)))
    return -EFAULT;
  t->runstate_gva = area.addr;
  sched_runstate_get(t, &now);
  /* Now through the caller's page tables and in its layout, as Xen's
   * (compat_)vcpu_op; later in the layout the domain latched. */
  sched_runstate_publish(t, v, &now, v->hcall_compat);
  return 0;
}

long do_vcpu_op(struct vcpu *v, int cmd, unsigned int vcpuid, uint64_t arg)
{
  struct domain *d = v->dom;
  struct vcpu_runstate_info rs;

  if (vcpuid >= d->nr_vcpus || !d->vcpus[vcpuid])
    return -ENOENT;
  struct vcpu *t = d->vcpus[vcpuid];
  switch (cmd) {
  case VCPUOP_up:
    /* Only an initialised vcpu (vcpu 0, from the builder) may come up:
     * VCPUOP_initialise (PVH register state) is not offered yet. */
    if (!t->initialised)
      return -EINVAL;
    if (!t->online)
      sched_vcpu_start(t);
    return 0;
  case VCPUOP_down:
    domain_vcpu_down(t); /* the last one down powers the domain off */
    return 0;
  case VCPUOP_is_up: return t->online ? 1 : 0;
  case VCPUOP_get_runstate_info:
    sched_runstate_get(t, &rs);
    return arch_copy_to_guest(v, arg, &rs, v->hcall_compat ? compat_runstate(&rs) : sizeof(rs))
               ? -EFAULT
               : 0;
  case VCPUOP_register_runstate_memory_area: return register_runstate(v, t, arg);
  case VCPUOP_set_periodic_timer: return vtime_set_periodic(v, t, arg);
  case VCPUOP_stop_periodic_timer: return vtime_stop_periodic(t);
  case VCPUOP_set_singleshot_timer: return vtime_set_singleshot(v, t, arg);
  case VCPUOP_stop_singleshot_timer: return vtime_stop_singleshot(v, t);
  case VCPUOP_register_vcpu_info: return register_vcpu_info(v, t, arg);
  default: return -ENOSYS;
  }
}
