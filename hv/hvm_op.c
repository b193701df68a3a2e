/* hvm_op: HVM parameters (set/get).  The values are kept; what they
 * switch on (the callback vector, consoles, the store) arrives with the
 * event-channel and console work. */
#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <public/hvm.h>

/* May the domain itself write this parameter?  The rings and event
 * channels are set up by the builder or the toolstack, never the guest. */
static bool guest_may_set(uint32_t index)
{
  switch (index) {
  case HVM_PARAM_CALLBACK_IRQ:
  case HVM_PARAM_TIMER_MODE:
  case HVM_PARAM_TRIPLE_FAULT_REASON:
    return true;
  default:
    return false;
  }
}

long do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg)
{
  struct xen_hvm_param p;
  struct domain *d;

  if (op != HVMOP_set_param && op != HVMOP_get_param)
    return -ENOSYS;
  if (arch_copy_from_guest(v, &p, arg, sizeof(p)))
    return -EFAULT;
  if (p.index >= HVM_NR_PARAMS)
    return -EINVAL;
  long err = domain_lookup(v->dom, p.domid, &d);
  if (err)
    return err;
  if (op == HVMOP_set_param) {
    if (d == v->dom && !v->dom->privileged && !guest_may_set(p.index))
      return -EPERM;
    d->hvm_params[p.index] = p.value;
    return 0;
  }
  p.value = d->hvm_params[p.index];
  return arch_copy_to_guest(v, arg, &p, sizeof(p)) ? -EFAULT : 0;
}
