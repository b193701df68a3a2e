/* Hypercalls from 32-bit code: the ABI's x86_32 convention, Xen's
 * "compat" path (xen/arch/x86/hvm/hypercall.c, hvm_hypercall, and the
 * hvm32 column of xen/include/hypercall-defs.c).  The arch reads the
 * vector and arguments from the 32-bit registers; each call is answered
 * by the same handler as a 64-bit caller's, with v->hcall_compat set.  A
 * handler whose structure differs for a 32-bit guest (the "!" lines of
 * Xen's xen/include/xlat.lst) reads it in its 32-bit layout
 * (hv/compat.h) and widens it, and shared_info and vcpu_info take the
 * layout the domain latched (hv/domain.c).  What is left here is
 * set_timer_op, whose 64-bit argument comes in two registers. */
#include <hv/hypercall.h>
#include <hv/vtime.h>
#include <public/xen.h>

long hypercall_compat_other(struct vcpu *v, uint64_t a[6], uint32_t nr)
{
  /* Xen's compat_set_timer_op: EBX the low half, ECX the high. */
  if (nr == __HYPERVISOR_set_timer_op)
    return do_set_timer_op(v, a[0] | a[1] << 32);
  v->hcall_compat = true;
  long ret = hypercall_dispatch(v, nr, a);
  v->hcall_compat = false;
  return ret;
}
