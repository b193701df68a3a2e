/* Hypercalls from 32-bit code: the ABI's x86_32 convention, Xen's
 * "compat" path (xen/arch/x86/hvm/hypercall.c, hvm_hypercall, and the
 * hvm32 column of xen/include/hypercall-defs.c).  The arch reads the
 * vector and arguments from the 32-bit registers; each call is answered
 * by the same handler as a 64-bit caller's, with v->hcall_compat set.  A
 * handler whose structure differs for a 32-bit guest (the "!" lines of
 * Xen's xen/include/xlat.lst) reads it in its 32-bit layout
 * (hv/compat.h) and widens it; what is left here is set_timer_op's two
 * halves and the one call mica has no 32-bit layout for yet, which is
 * refused: -ENOSYS, said once per domain and (vector, sub-op), so the
 * guest learns the call is not there instead of having its memory
 * misread. */
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/vtime.h>
#include <public/vcpu.h>
#include <public/xen.h>

/* Whether (nr, op) is refused to a 32-bit caller as not translated. */
static bool untranslated(uint32_t nr, uint64_t op)
{
  /* The structure is the same, but what it registers is not: a 32-bit
   * guest's vcpu_info has 32-bit words, which mica does not keep yet. */
  return nr == __HYPERVISOR_vcpu_op && op == VCPUOP_register_vcpu_info;
}

long hypercall_compat_other(struct vcpu *v, uint64_t a[6], uint32_t nr)
{
  /* A 64-bit argument comes in two registers (Xen's compat_set_timer_op:
   * EBX the low half, ECX the high). */
  if (nr == __HYPERVISOR_set_timer_op)
    return do_set_timer_op(v, a[0] | a[1] << 32);
  if (untranslated(nr, a[0])) {
    struct domain *d = v->dom;
    /* Keys of their own (bit 62), apart from the -ENOSYS log's. */
    if (hypercall_note_once(d, 1ULL << 62 | (uint64_t)nr << 32 | (uint32_t)a[0])) {
      pr_info("%s: 32-bit caller: %s op %u not translated yet", d->name, hypercall_name(nr),
              (unsigned int)a[0]);
      hypercall_note_said(d);
    }
    return -ENOSYS;
  }
  v->hcall_compat = true;
  long ret = hypercall_dispatch(v, nr, a);
  v->hcall_compat = false;
  return ret;
}

void hypercall_compat_note_enosys(struct vcpu *v, uint32_t nr, const uint64_t args[6])
{
  if (!untranslated(nr, args[0]))
    hypercall_note_enosys(v, nr, args);
}
