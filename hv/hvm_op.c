/* hvm_op: HVM parameters (set/get) and the per-vcpu event upcall vector.
 * HVM_PARAM_CALLBACK_IRQ of type vector switches event upcalls on; the
 * other values are kept for what reads them.  Who may read or write which
 * parameter follows Xen 4.19 (xen/arch/x86/hvm/hvm.c,
 * hvm_allow_set/get_param, hvmop_set_evtchn_upcall_vector). */
#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/hypercall.h>
#include <public/hvm.h>

/* Parameters that exist only for old toolstacks: -EINVAL either way. */
static bool deprecated(uint32_t index)
{
  return index == HVM_PARAM_PAE_ENABLED || index == HVM_PARAM_DM_DOMAIN ||
         (index >= 20 && index <= 26) || index == 30;
}

/* What a domain may do to its own parameters (another privileged domain
 * may do anything but touch deprecated ones). */
static long allowed(uint32_t index, bool set, bool self)
{
  if (deprecated(index))
    return -EINVAL;
  switch (index) {
  case HVM_PARAM_CALLBACK_IRQ:
  case HVM_PARAM_VM86_TSS:
  case HVM_PARAM_VM86_TSS_SIZED:
  case HVM_PARAM_ACPI_IOPORTS_LOCATION:
  case HVM_PARAM_VM_GENERATION_ID_ADDR:
  case HVM_PARAM_STORE_EVTCHN:
  case HVM_PARAM_CONSOLE_EVTCHN:
  case HVM_PARAM_X87_FIP_WIDTH: return 0;
  case HVM_PARAM_STORE_PFN:
  case HVM_PARAM_CONSOLE_PFN: return set && self ? -EPERM : 0; /* readable, set by the builder */
  case HVM_PARAM_ALTP2M:
    /* Xen 4.19 refuses every set (altp2m is chosen at createdomain);
     * 4.17's toolstack sets it once, to 0 ("disabled") for a guest
     * without altp2m, which 4.17 accepts: so does mica, and any other
     * value gets 4.17's -EINVAL for a machine without altp2m. */
    return set && self ? -EPERM : 0;
  default: return self ? -EPERM : 0;
  }
}

#define CALLBACK_TYPE_VECTOR 2 /* HVM_PARAM_CALLBACK_IRQ bits 63:56 */

/* The domain-wide callback: only the vector type is delivered (there is
 * no emulated interrupt controller for the GSI and PCI INTx types; their
 * value is kept and no upcall comes).  Vcpus with events already pending
 * hear of them now. */
static void set_callback(struct domain *d, uint64_t value)
{
  d->callback_vector = (value >> 56) == CALLBACK_TYPE_VECTOR ? (uint8_t)value : 0;
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    if (d->vcpus[i]->vi->evtchn_upcall_pending)
      evtchn_kick(d->vcpus[i]);
}

static long set_upcall_vector(struct vcpu *v, uint64_t arg)
{
  struct xen_hvm_evtchn_upcall_vector u;

  if (arch_copy_from_guest(v, &u, arg, sizeof(u)))
    return -EFAULT;
  if (u.vector < 0x10)
    return -EINVAL; /* the exception vectors */
  if (u.vcpu >= v->dom->nr_vcpus)
    return -ENOENT;
  struct vcpu *t = v->dom->vcpus[u.vcpu];
  t->upcall_vector = u.vector;
  if (t->vi->evtchn_upcall_pending)
    evtchn_kick(t); /* Xen asserts it at once */
  return 0;
}

/* HVMOP_pagetable_dying: a hint for shadow paging that a process's page
 * tables are going away.  With EPT there is nothing to drop, and Xen with
 * HAP answers -EINVAL for the caller itself (-EOPNOTSUPP for another
 * domain, -ESRCH for none); Linux then says "HVMOP_pagetable_dying not
 * supported" and stops asking. */
static long pagetable_dying(struct vcpu *v, uint64_t arg)
{
  struct xen_hvm_pagetable_dying a;

  if (arch_copy_from_guest(v, &a, arg, sizeof(a)))
    return -EFAULT;
  if (a.domid == DOMID_SELF || a.domid == v->dom->id)
    return -EINVAL;
  return domain_find(a.domid) ? -EOPNOTSUPP : -ESRCH;
}

long do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg)
{
  struct xen_hvm_param p;
  struct domain *d;

  if (op == HVMOP_set_evtchn_upcall_vector)
    return set_upcall_vector(v, arg);
  if (op == HVMOP_pagetable_dying)
    return pagetable_dying(v, arg);
  if (op != HVMOP_set_param && op != HVMOP_get_param)
    return -ENOSYS;
  if (arch_copy_from_guest(v, &p, arg, sizeof(p)))
    return -EFAULT;
  if (p.index >= HVM_NR_PARAMS)
    return -EINVAL;
  long err = domain_lookup(v->dom, p.domid, &d);
  if (err)
    return err;
  err = allowed(p.index, op == HVMOP_set_param, d == v->dom);
  if (err)
    return err;
  if (op == HVMOP_set_param) {
    if (p.index == HVM_PARAM_ALTP2M && p.value)
      return -EINVAL;
    d->hvm_params[p.index] = p.value;
    if (p.index == HVM_PARAM_CALLBACK_IRQ) {
      set_callback(d, p.value);
      /* Xen latches the layout here, from the mode of d's own caller. */
      if (d == v->dom)
        domain_latch_shinfo_size(d, v->hcall_compat);
    }
    return 0;
  }
  p.value = d->hvm_params[p.index];
  return arch_copy_to_guest(v, arg, &p, sizeof(p)) ? -EFAULT : 0;
}
