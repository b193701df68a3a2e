/* vcpu_op: a vcpu's state and where its vcpu_info lives. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <public/vcpu.h>
#include <public/xen.h>

/* Move vcpu t's struct vcpu_info into the guest page mfn at offset, with
 * Xen 4.19's checks in its order (common/domain.c, common_vcpu_op and
 * map_guest_area): an address that is not inside page mfn is -EINVAL; a
 * second registration -EBUSY; crossing the page or misaligned -ENXIO; a
 * page that is not RAM -EINVAL.  The old contents move with it, and every
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
  if (((gpa + sizeof(struct vcpu_info) - 1) >> PAGE_SHIFT) != r.mfn || (gpa & 7))
    return -ENXIO;
  if (!arch_p2m_lookup(v->dom, gpa, NULL) || v->dom->shared_info_gfn == r.mfn)
    return -EINVAL;
  struct vcpu_info vi = { 0 };
  if (t->id < XEN_LEGACY_MAX_VCPUS)
    vi = ((struct shared_info *)phys_to_virt(v->dom->shared_info))->vcpu_info[t->id];
  vi.evtchn_pending_sel = ~(xen_ulong_t)0;
  vi.evtchn_upcall_pending = 1;
  if (guestmem_write(v->dom, gpa, &vi, sizeof(vi)))
    return -EINVAL;
  t->vcpu_info_gpa = gpa;
  return 0;
}

long do_vcpu_op(struct vcpu *v, int cmd, unsigned int vcpuid, uint64_t arg)
{
  struct domain *d = v->dom;

  if (vcpuid >= d->nr_vcpus || !d->vcpus[vcpuid])
    return -ENOENT;
  struct vcpu *t = d->vcpus[vcpuid];
  switch (cmd) {
  case VCPUOP_is_up:
    return t->online ? 1 : 0;
  case VCPUOP_register_vcpu_info:
    return register_vcpu_info(v, t, arg);
  default:
    return -ENOSYS;
  }
}
