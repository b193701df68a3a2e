/* The hypercall table: one slot per vector of the ABI, filled by vector
 * number; an empty slot returns -ENOSYS, as Xen does for PVH guests for
 * the PV-only calls (set_trap_table, mmu_update, ...). */
#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/hypercall.h>
#include <hv/vtime.h>
#include <public/xen.h>

typedef long (*hypercall_fn)(struct vcpu *v, uint64_t a[6]);

/* Thin adapters from the six registers to each handler's typed arguments. */
static long hc_xen_version(struct vcpu *v, uint64_t a[6])
{
  return do_xen_version(v, (int)a[0], a[1]);
}

static long hc_console_io(struct vcpu *v, uint64_t a[6])
{
  return do_console_io(v, (unsigned int)a[0], (unsigned int)a[1], a[2], a);
}

static long hc_sched_op(struct vcpu *v, uint64_t a[6])
{
  return do_sched_op(v, (int)a[0], a[1]);
}

static long hc_multicall(struct vcpu *v, uint64_t a[6])
{
  return do_multicall(v, a[0], (unsigned int)a[1], a);
}

static long hc_memory_op(struct vcpu *v, uint64_t a[6])
{
  return do_memory_op(v, (unsigned long)a[0], a[1]);
}

static long hc_hvm_op(struct vcpu *v, uint64_t a[6])
{
  return do_hvm_op(v, (unsigned long)a[0], a[1]);
}

static long hc_vcpu_op(struct vcpu *v, uint64_t a[6])
{
  return do_vcpu_op(v, (int)a[0], (unsigned int)a[1], a[2]);
}

static long hc_set_timer_op(struct vcpu *v, uint64_t a[6])
{
  return do_set_timer_op(v, a[0]);
}

static long hc_event_channel_op(struct vcpu *v, uint64_t a[6])
{
  return do_event_channel_op(v, (int)a[0], a[1]);
}

static long hc_grant_table_op(struct vcpu *v, uint64_t a[6])
{
  return do_grant_table_op(v, (unsigned int)a[0], a[1], (unsigned int)a[2], a);
}

static long hc_sysctl(struct vcpu *v, uint64_t a[6])
{
  return do_sysctl(v, a[0]);
}

static long hc_domctl(struct vcpu *v, uint64_t a[6])
{
  return do_domctl(v, a[0]);
}

static const hypercall_fn hypercall_table[HYPERCALL_NR] = {
  [__HYPERVISOR_set_timer_op] = hc_set_timer_op,
  [__HYPERVISOR_event_channel_op] = hc_event_channel_op,
  [__HYPERVISOR_memory_op] = hc_memory_op,
  [__HYPERVISOR_multicall] = hc_multicall,
  [__HYPERVISOR_vcpu_op] = hc_vcpu_op,
  [__HYPERVISOR_hvm_op] = hc_hvm_op,
  [__HYPERVISOR_xen_version] = hc_xen_version,
  [__HYPERVISOR_console_io] = hc_console_io,
  [__HYPERVISOR_sched_op] = hc_sched_op,
  [__HYPERVISOR_grant_table_op] = hc_grant_table_op,
  [__HYPERVISOR_sysctl] = hc_sysctl,
  [__HYPERVISOR_domctl] = hc_domctl,
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t args[6])
{
  if (nr >= HYPERCALL_NR || !hypercall_table[nr])
    return -ENOSYS;
  return hypercall_table[nr](v, args);
}

/* Each entry is run as its own hypercall; its result is written back.
 * A multicall inside a multicall is refused (-EINVAL in its result).  The
 * guest chooses nr_calls, so the work is cut in turns: after
 * MULTICALL_TURN entries, or when an entry itself asks for a continuation
 * (its updated arguments are written back into its entry), the multicall
 * continues from there (-ERESTART with args moved on), as in Xen. */
#define MULTICALL_TURN 64

long do_multicall(struct vcpu *v, uint64_t calls, unsigned int nr_calls, uint64_t args[6])
{
  for (unsigned int i = 0; i < nr_calls; i++) {
    struct multicall_entry e;
    uint64_t at = calls + (uint64_t)i * sizeof(e);
    if (i == MULTICALL_TURN)
      goto more;
    if (arch_copy_from_guest(v, &e, at, sizeof(e)))
      return -EFAULT;
    long r = -EINVAL;
    if (e.op != __HYPERVISOR_multicall)
      r = hypercall_dispatch(v, e.op, (uint64_t *)e.args);
    if (v->dom->state != DOMAIN_RUNNING)
      return 0; /* it shut itself down part way */
    if (r == -ERESTART) {
      if (arch_copy_to_guest(v, at + offsetof(struct multicall_entry, args), e.args,
                             sizeof(e.args)))
        return -EFAULT;
      goto more;
    }
    e.result = (xen_ulong_t)r;
    if (arch_copy_to_guest(v, at + offsetof(struct multicall_entry, result), &e.result,
                           sizeof(e.result)))
      return -EFAULT;
    continue;
  more:
    args[0] = at;
    args[1] = nr_calls - i;
    return -ERESTART;
  }
  return 0;
}
