/* Hypercalls from 32-bit code: the ABI's x86_32 convention, Xen's
 * "compat" path (xen/arch/x86/hvm/hypercall.c, hvm_hypercall, and the
 * hvm32 column of xen/include/hypercall-defs.c).  The arch reads the
 * vector and arguments from the 32-bit registers; here each call is either
 * answered by the same handler as a 64-bit caller's (its arguments are
 * plain integers, or structures laid out the same for both, the "?" lines
 * of Xen's xen/include/xlat.lst), or refused because its structure differs
 * for a 32-bit guest (the "!" lines) and mica has no translation of it
 * yet.  A refusal is -ENOSYS, said once per domain and (vector, sub-op):
 * the guest learns the call is not there instead of having its memory
 * misread. */
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/vtime.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/xen.h>

/* Whether (nr, op) takes a structure whose 32-bit layout differs and is
 * not translated yet.  Sub-ops no handler has (-ENOSYS for every caller)
 * are left out; whoever adds a handler for one of Xen's "!" structures
 * adds it here until it is translated. */
static bool untranslated(uint32_t nr, uint64_t op)
{
  switch (nr) {
  case __HYPERVISOR_multicall: return true; /* compat_multicall_entry: 32-bit op, result, args */
  case __HYPERVISOR_memory_op:
    switch (op & 0x3f) {        /* MEMOP_CMD_MASK */
    case XENMEM_add_to_physmap: /* xen_ulong_t idx, xen_pfn_t gpfn */
    case XENMEM_memory_map: /* a handle */ return true;
    default: return false;
    }
  case __HYPERVISOR_vcpu_op:
    switch (op) {
    case VCPUOP_get_runstate_info:             /* uint64_t at offset 4 on x86_32 */
    case VCPUOP_register_runstate_memory_area: /* the same runstate, written later */
    case VCPUOP_set_singleshot_timer: /* 12 bytes on x86_32 */ return true;
    default: return false;
    }
  case __HYPERVISOR_sched_op: return op == SCHEDOP_poll; /* a handle, then uint64_t at 8 */
  case __HYPERVISOR_grant_table_op:
    return op == GNTTABOP_setup_table || op == GNTTABOP_transfer || op == GNTTABOP_copy ||
           op == GNTTABOP_get_status_frames; /* handles and xen_pfn_t */
  default: return false;
  }
}

long hypercall_compat_other(struct vcpu *v, uint32_t nr, uint64_t a[6])
{
  /* A 64-bit argument comes in two registers (Xen's compat_set_timer_op:
   * EBX the low half, ECX the high). */
  if (nr == __HYPERVISOR_set_timer_op)
    return do_set_timer_op(v, a[0] | a[1] << 32);
  if (untranslated(nr, a[0])) {
    struct domain *d = v->dom;
    /* Keys of their own (bit 62), apart from the -ENOSYS log's. */
    if (nr == __HYPERVISOR_multicall) {
      if (hypercall_note_once(d, 1ULL << 62 | (uint64_t)nr << 32)) {
        pr_info("%s: 32-bit caller: multicall not translated yet", d->name);
        hypercall_note_said(d);
      }
    } else if (hypercall_note_once(d, 1ULL << 62 | (uint64_t)nr << 32 | (uint32_t)a[0])) {
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
