/* vcpu_op: a vcpu's state and where its vcpu_info lives. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <public/vcpu.h>
#include <public/xen.h>

/* Move vcpu t's struct vcpu_info into the guest page mfn at offset: it
 * must fit in the page (-ENXIO, Xen's answer), the page must be RAM
 * (-EINVAL), and it may move only once (-EBUSY). */
static long register_vcpu_info(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
  struct vcpu_register_vcpu_info r;

  if (arch_copy_from_guest(v, &r, arg, sizeof(r)))
    return -EFAULT;
  if (r.mfn >= (1ULL << 36))
    return -EINVAL;
  if (t->vcpu_info_gpa)
    return -EBUSY;
  if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info))
    return -ENXIO;
  uint64_t gpa = (r.mfn << PAGE_SHIFT) + r.offset;
  if (!arch_p2m_lookup(v->dom, gpa, NULL) || v->dom->shared_info_gfn == r.mfn)
    return -EINVAL;
  /* Carry over what the legacy slot held, as the guest expects. */
  struct vcpu_info vi = { 0 };
  if (t->id < XEN_LEGACY_MAX_VCPUS)
    vi = ((struct shared_info *)phys_to_virt(v->dom->shared_info))->vcpu_info[t->id];
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
