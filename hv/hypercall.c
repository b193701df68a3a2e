/* The hypercall table: one slot per vector of the ABI, filled by vector
 * number; an empty slot returns -ENOSYS, as Xen does for PVH guests for
 * the PV-only calls (set_trap_table, mmu_update, ...). */
#include <arch/arch.h>
#include <hv/compat.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/vtime.h>
#include <public/xen.h>

/* Thin adapters from the six registers to each handler's typed arguments. */
static long hc_xen_version(struct vcpu *v, uint64_t a[6])
{
  return do_xen_version(v, (int)a[0], a[1]);
}

static long hc_console_io(struct vcpu *v, uint64_t a[6])
{
  return do_console_io(v, (unsigned int)a[0], (unsigned int)a[1], a[2], a);
}

static long hc_sched_op(struct vcpu *v, uint64_t a[6]) { return do_sched_op(v, (int)a[0], a[1]); }

static long hc_multicall(struct vcpu *v, uint64_t a[6])
{
  return do_multicall(v, a[0], (unsigned int)a[1], a);
}

static long hc_memory_op(struct vcpu *v, uint64_t a[6])
{
  return do_memory_op(v, (unsigned long)a[0], a[1], a);
}

static long hc_hvm_op(struct vcpu *v, uint64_t a[6])
{
  return do_hvm_op(v, (unsigned long)a[0], a[1]);
}

static long hc_vcpu_op(struct vcpu *v, uint64_t a[6])
{
  return do_vcpu_op(v, (int)a[0], (unsigned int)a[1], a[2]);
}

static long hc_vm_assist(struct vcpu *v, uint64_t a[6])
{
  return do_vm_assist(v, (unsigned int)a[0], (unsigned int)a[1]);
}

static long hc_set_timer_op(struct vcpu *v, uint64_t a[6]) { return do_set_timer_op(v, a[0]); }

static long hc_event_channel_op(struct vcpu *v, uint64_t a[6])
{
  return do_event_channel_op(v, (int)a[0], a[1]);
}

static long hc_grant_table_op(struct vcpu *v, uint64_t a[6])
{
  return do_grant_table_op(v, (unsigned int)a[0], a[1], (unsigned int)a[2], a);
}

static long hc_sysctl(struct vcpu *v, uint64_t a[6]) { return do_sysctl(v, a[0]); }

static long hc_domctl(struct vcpu *v, uint64_t a[6]) { return do_domctl(v, a[0]); }

static long hc_platform_op(struct vcpu *v, uint64_t a[6]) { return do_platform_op(v, a[0]); }

static long hc_physdev_op(struct vcpu *v, uint64_t a[6])
{
  return do_physdev_op(v, (int)a[0], a[1]);
}

/* The empty slots' handler: the table has no NULL, so the dispatch on
 * the hypercall path tests the range alone. */
long hypercall_nosys(struct vcpu *v, uint64_t a[6])
{
  (void)v, (void)a;
  return -ENOSYS;
}

/* Every slot first gets hypercall_nosys, then the ABI's vectors their
 * handlers: the later initialisers win (C11 6.7.9). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const hypercall_fn hypercall_table[HYPERCALL_NR] = {
    [0 ... HYPERCALL_NR - 1] = hypercall_nosys,
    [__HYPERVISOR_set_timer_op] = hc_set_timer_op,
    [__HYPERVISOR_event_channel_op] = hc_event_channel_op,
    [__HYPERVISOR_memory_op] = hc_memory_op,
    [__HYPERVISOR_multicall] = hc_multicall,
    [__HYPERVISOR_vcpu_op] = hc_vcpu_op,
    [__HYPERVISOR_vm_assist] = hc_vm_assist,
    [__HYPERVISOR_hvm_op] = hc_hvm_op,
    [__HYPERVISOR_xen_version] = hc_xen_version,
    [__HYPERVISOR_console_io] = hc_console_io,
    [__HYPERVISOR_sched_op] = hc_sched_op,
    [__HYPERVISOR_grant_table_op] = hc_grant_table_op,
    [__HYPERVISOR_sysctl] = hc_sysctl,
    [__HYPERVISOR_domctl] = hc_domctl,
    [__HYPERVISOR_platform_op] = hc_platform_op,
    [__HYPERVISOR_physdev_op] = hc_physdev_op,
};
#pragma GCC diagnostic pop

/* Names for the log, from the ABI's list of vectors. */
static const char *const hypercall_name_of[HYPERCALL_NR] = {
    [__HYPERVISOR_set_trap_table] = "set_trap_table",
    [__HYPERVISOR_mmu_update] = "mmu_update",
    [__HYPERVISOR_set_gdt] = "set_gdt",
    [__HYPERVISOR_stack_switch] = "stack_switch",
    [__HYPERVISOR_set_callbacks] = "set_callbacks",
    [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
    [__HYPERVISOR_sched_op_compat] = "sched_op_compat",
    [__HYPERVISOR_platform_op] = "platform_op",
    [__HYPERVISOR_set_debugreg] = "set_debugreg",
    [__HYPERVISOR_get_debugreg] = "get_debugreg",
    [__HYPERVISOR_update_descriptor] = "update_descriptor",
    [__HYPERVISOR_memory_op] = "memory_op",
    [__HYPERVISOR_multicall] = "multicall",
    [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
    [__HYPERVISOR_set_timer_op] = "set_timer_op",
    [__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
    [__HYPERVISOR_xen_version] = "xen_version",
    [__HYPERVISOR_console_io] = "console_io",
    [__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
    [__HYPERVISOR_grant_table_op] = "grant_table_op",
    [__HYPERVISOR_vm_assist] = "vm_assist",
    [__HYPERVISOR_update_va_mapping_otherdomain] = "update_va_mapping_otherdomain",
    [__HYPERVISOR_iret] = "iret",
    [__HYPERVISOR_vcpu_op] = "vcpu_op",
    [__HYPERVISOR_set_segment_base] = "set_segment_base",
    [__HYPERVISOR_mmuext_op] = "mmuext_op",
    [__HYPERVISOR_xsm_op] = "xsm_op",
    [__HYPERVISOR_nmi_op] = "nmi_op",
    [__HYPERVISOR_sched_op] = "sched_op",
    [__HYPERVISOR_callback_op] = "callback_op",
    [__HYPERVISOR_xenoprof_op] = "xenoprof_op",
    [__HYPERVISOR_event_channel_op] = "event_channel_op",
    [__HYPERVISOR_physdev_op] = "physdev_op",
    [__HYPERVISOR_hvm_op] = "hvm_op",
    [__HYPERVISOR_sysctl] = "sysctl",
    [__HYPERVISOR_domctl] = "domctl",
    [__HYPERVISOR_kexec_op] = "kexec_op",
    [__HYPERVISOR_tmem_op] = "tmem_op",
    [__HYPERVISOR_argo_op] = "argo_op",
    [__HYPERVISOR_xenpmu_op] = "xenpmu_op",
    [__HYPERVISOR_dm_op] = "dm_op",
    [__HYPERVISOR_hypfs_op] = "hypfs_op",
    [__HYPERVISOR_mca] = "mca",
};

/* The vectors Xen 4.19 does not offer 64-bit HVM guests
 * (xen/include/hypercall-defs.c, its hvm64 column): the PV-only calls. */
static const uint64_t xen_not_for_hvm = BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) |
                                        BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(14) | BIT(16) |
                                        BIT(19) | BIT(22) | BIT(23) | BIT(25) | BIT(28) | BIT(30) |
                                        BIT(31) | BIT(37) | BIT(38) | BIT(48);

const char *hypercall_name(uint64_t nr)
{
  return nr < HYPERCALL_NR && hypercall_name_of[nr] ? hypercall_name_of[nr] : "?";
}

bool hypercall_note_once(struct domain *d, uint64_t key)
{
  for (unsigned int i = 0; i < d->enosys_reported_n; i++)
    if (d->enosys_reported[i] == key)
      return false;
  if (d->enosys_reported_n == ARRAY_SIZE(d->enosys_reported))
    return false;
  d->enosys_reported[d->enosys_reported_n++] = key;
  return true;
}

void hypercall_note_said(struct domain *d)
{
  if (d->enosys_reported_n == ARRAY_SIZE(d->enosys_reported))
    pr_info("%s: further -ENOSYS hypercalls are not reported", d->name);
}

/* Say once per domain and (vector, sub-op) that a hypercall got -ENOSYS:
 * a guest probing for something we do not offer shows up in the log, a
 * guest retrying it in a loop does not flood it.  The sub-op is the first
 * argument, the command of every hypercall that has one (memory_op's
 * command is its low 6 bits, the rest is a continuation start). */
void hypercall_note_enosys(struct vcpu *v, uint64_t nr, const uint64_t args[6])
{
  struct domain *d = v->dom;
  bool handled = nr < HYPERCALL_NR && hypercall_table[nr] != hypercall_nosys;
  uint64_t op = handled ? args[0] : 0;
  if (nr == __HYPERVISOR_memory_op)
    op &= 0x3f; /* MEMOP_CMD_MASK */
  if (handled &&
      (nr == __HYPERVISOR_sysctl || nr == __HYPERVISOR_domctl || nr == __HYPERVISOR_platform_op)) {
    /* Their argument is a pointer: the sub-op is the structure's first
     * field (cmd), which the handler has read once already. */
    uint32_t cmd;
    if (arch_copy_from_guest(v, &cmd, args[0], sizeof(cmd)))
      return; /* the guest took it away: nothing sensible to name */
    op = cmd;
  }
  /* The key: vector << 32 | sub-op when a handler answered; for an empty
   * slot one per vector (all vectors past the table share one), from the
   * top down, where no handler's key reaches. */
  uint64_t key =
      handled ? nr << 32 | (uint32_t)op : ~0ULL - (nr < HYPERCALL_NR ? nr : HYPERCALL_NR);
  if (!hypercall_note_once(d, key))
    return;
  if (handled)
    pr_info("%s: %s op %llu: not provided here: -ENOSYS", d->name, hypercall_name(nr),
            (unsigned long long)(uint32_t)op);
  else if (nr < HYPERCALL_NR && (xen_not_for_hvm & BIT(nr)))
    pr_info("%s: hypercall %llu (%s) is not for PVH guests: -ENOSYS (as in Xen)", d->name,
            (unsigned long long)nr, hypercall_name(nr));
  else if (nr < HYPERCALL_NR && hypercall_name_of[nr])
    pr_info("%s: hypercall %llu (%s): not provided here: -ENOSYS", d->name, (unsigned long long)nr,
            hypercall_name(nr));
  else
    pr_info("%s: hypercall %llu: no such hypercall: -ENOSYS", d->name, (unsigned long long)nr);
  hypercall_note_said(d);
}

/* Each entry is run as its own hypercall; its result is written back.
 * A multicall inside a multicall is refused (-EINVAL in its result).  The
 * guest chooses nr_calls, so the work is cut in turns: after
 * MULTICALL_TURN entries, or when an entry itself asks for a continuation
 * (its updated arguments are written back into its entry), the multicall
 * continues from there (-ERESTART with args moved on), as in Xen.  From a
 * 32-bit caller the entries are compat_multicall_entry (every field 32
 * bits), each run as a 32-bit call (Xen's compat_multicall). */
#define MULTICALL_TURN 64

long do_multicall(struct vcpu *v, uint64_t calls, unsigned int nr_calls, uint64_t args[6])
{
  bool compat = v->hcall_compat;   /* each 32-bit entry's dispatch clears it */
  unsigned int w = compat ? 4 : 8; /* the width of every field */

  for (unsigned int i = 0; i < nr_calls; i++) {
    struct multicall_entry e;
    struct compat_multicall_entry c;
    uint64_t at = calls + (uint64_t)i * 8 * w;
    if (i == MULTICALL_TURN)
      goto more;
    if (arch_copy_from_guest(v, compat ? (void *)&c : &e, at, 8 * w))
      return -EFAULT;
    if (compat) {
      e.op = c.op;
      for (unsigned int k = 0; k < 6; k++)
        e.args[k] = c.args[k];
    }
    long r = -EINVAL;
    if (e.op != __HYPERVISOR_multicall)
      r = compat ? hypercall_dispatch_compat(v, (uint32_t)e.op, (uint64_t *)e.args)
                 : hypercall_dispatch(v, e.op, (uint64_t *)e.args);
    if (r == -ENOSYS)
      hypercall_note_enosys(v, e.op, (uint64_t *)e.args);
    if (v->dom->state != DOMAIN_RUNNING)
      return 0; /* it shut itself down part way */
    if (r == -ERESTART) {
      for (unsigned int k = 0; compat && k < 6; k++)
        c.args[k] = (uint32_t)e.args[k];
      if (arch_copy_to_guest(v, at + 2 * w, compat ? (void *)c.args : e.args, 6 * w))
        return -EFAULT;
      goto more;
    }
    /* A 32-bit result is the low half (little-endian: its first bytes). */
    e.result = (xen_ulong_t)r;
    if (arch_copy_to_guest(v, at + w, &e.result, w))
      return -EFAULT;
    continue;
  more:
    args[0] = at;
    args[1] = nr_calls - i;
    return -ERESTART;
  }
  return 0;
}
