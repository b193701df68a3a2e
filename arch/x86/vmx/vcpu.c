/* vcpus on VT-x: their VMCS, and the run loop that enters the guest and
 * hands each VM exit to arch/x86/vmx/exit.c.
 *
 * A VMCS is active on one CPU at a time (SDM 24.11.1): a CPU keeps the
 * VMCS of the vcpu it runs, and of the one it ran last until it loads
 * another or parks (arch_vcpu_park, before it idles): then VMCLEAR writes
 * it back to memory.  So whenever a CPU lets go of hv_lock, the only VMCS
 * active on it is its current vcpu's, and a vcpu that is not running can
 * be freed, or run next on any CPU: VMPTRLD there, the per-CPU host state
 * rewritten, VMLAUNCH (a cleared VMCS must be launched again), and the
 * vcpu's VPID flushed, since that CPU may hold its translations from an
 * earlier stay.  vcpus move only when their hard affinity says so
 * (sched/core.c). */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/hwdom.h>
#include <arch/mm.h>
#include <arch/vlapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/percpu.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/timer.h>
#include <hv/upcall.h>

static uint16_t next_vpid = 2; /* 0 is the host's, 1 the self-test's */

/* Drop this CPU's translations tagged with vpid (INVVPID single-context,
 * SDM 30.3.3.3; all-context where single is not offered). */
static void invvpid_single(uint16_t vpid)
{
  struct {
    uint64_t vpid, addr;
  } desc = {vpid, 0};
  uint64_t type = (vmx_caps.ept_vpid_cap & (1ULL << 41)) ? 1 : 2;
  asm volatile("invvpid %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}

/* VMCLEAR the VMCS this CPU holds: it goes back to memory, launch state
 * clear. */
static void unload(struct arch_per_cpu *pc)
{
  struct vcpu *old = pc->vmcs_vcpu;
  vmx_switch_out(old); /* its FPU and MSRs go with its VMCS */
  vmcs_clear(old->arch.vmcs);
  old->arch.launched = false;
  pc->vmcs_vcpu = NULL;
}

static int make_current(struct vcpu *v)
{
  struct arch_per_cpu *pc = &this_cpu()->arch;
  if (pc->vmcs_vcpu == v)
    return 0;
  if (pc->vmcs_vcpu)
    unload(pc);
  int err = vmcs_load(v->arch.vmcs);
  if (err)
    return err;
  pc->vmcs_vcpu = v;
  vmx_switch_in(v);
  if (v->arch.host_cpu != pc->id) {
    err = vmcs_set_host_cpu();
    invvpid_single(v->arch.vpid);
    ept_invept_local(vmcs_read(VMCS_EPT_POINTER));
    v->arch.host_cpu = pc->id;
  }
  return err;
}

void arch_vcpu_park(void)
{
  struct arch_per_cpu *pc = &this_cpu()->arch;
  if (pc->vmcs_vcpu)
    unload(pc);
}

void arch_vcpu_create(struct vcpu *v)
{
  vlapic_init(v);
  vmx_switch_vcpu_init(v);
  vmx_msr_vcpu_init(v);
}

/* A VMCS region and a VPID for v, the region VMCLEARed (launch state
 * clear; the VMCS current on this CPU, if any, stays current). */
static int vmcs_alloc(struct vcpu *v)
{
  paddr_t vmcs = frame_alloc_zeroed();
  if (!vmcs)
    return -ENOMEM;
  *(uint32_t *)phys_to_virt(vmcs) = vmx_caps.vmcs_revision;
  v->arch.vmcs = vmcs;
  v->arch.vpid = next_vpid++;
  if (!next_vpid)
    next_vpid = 2; /* wrapped: VPIDs get shared, which is correct but slower */
  return vmcs_clear(vmcs);
}

int arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t start_info)
{
  if (!vmx_enabled())
    return -ENODEV;
  int err = vmcs_alloc(v);
  if (err == -ENOMEM)
    return err;
  v->arch.regs.rbx = start_info;          /* the PVH ABI: EBX = struct hvm_start_info */
  v->arch.host_cpu = this_cpu()->arch.id; /* vmcs_init_pvh writes this CPU's */
  err = err ?: make_current(v) ?: vmcs_init_pvh(v->dom->arch.ept_root, v->arch.vpid, entry)
                                 ?: hwdom_vmcs_setup(v);
  /* Not left active here: the vcpu may first run on another CPU. */
  arch_vcpu_park();
  if (err) {
    arch_vcpu_destroy(v);
    return -EIO;
  }
  return 0;
}

int vmx_vcpu_prepare(struct vcpu *v)
{
  if (!vmx_enabled())
    return -ENODEV;
  if (v->arch.vmcs)
    return 0;
  int err = vmcs_alloc(v);
  if (err && v->arch.vmcs) {
    frame_free(v->arch.vmcs);
    v->arch.vmcs = 0;
  }
  return err;
}

int vmx_vcpu_start_real(struct vcpu *v, uint8_t vector)
{
  if (!vmx_enabled())
    return -ENODEV;
  if (!v->arch.vmcs) {
    int err = vmcs_alloc(v);
    if (err) {
      if (v->arch.vmcs)
        frame_free(v->arch.vmcs);
      v->arch.vmcs = 0;
      return err;
    }
  }
  /* The VMCS is written on the CPU that runs v next (arch_vcpu_run):
   * here the sender's VMCS is the current one. */
  memset(&v->arch.regs, 0, sizeof(v->arch.regs));
  vmx_switch_vcpu_init(v); /* INIT's x87 and SSE state (SDM table 9-1) */
  v->arch.start_vector = vector;
  v->arch.start_pending = true;
  return 0;
}

/* The state of a vcpu that got INIT and then STARTUP (SDM 9.1.1, table
 * 9-1; 9.4.4): real mode at CS = vector << 8, IP 0.  v's VMCS is
 * current on this CPU; it is written whole, as for a new vcpu. */
static int start_real(struct vcpu *v)
{
  v->arch.start_pending = false;
  v->arch.intr_window = false;  /* the controls are written afresh */
  invvpid_single(v->arch.vpid); /* it may have run before, with other mappings */
  return vmcs_init_pvh(v->dom->arch.ept_root, v->arch.vpid, 0) ?: hwdom_vmcs_setup(v)
             ?: vmcs_set_real_mode((uint16_t)(v->arch.start_vector << 8));
}

void arch_vcpu_destroy(struct vcpu *v)
{
  vlapic_destroy(v);
  heap_free(v->arch.load_ctx); /* a saved state it never ran with */
  v->arch.load_ctx = NULL;
  if (!v->arch.vmcs)
    return;
  /* Active on this CPU, it must be flushed out before the frame goes;
   * otherwise it is active nowhere (see the top of this file). */
  if (this_cpu()->arch.vmcs_vcpu == v)
    unload(&this_cpu()->arch);
  frame_free(v->arch.vmcs);
  v->arch.vmcs = 0;
  v->online = false;
}

void arch_vcpu_run(struct vcpu *v)
{
  if (make_current(v)) {
    domain_crash(v->dom, "cannot load the VMCS of vcpu %u", v->id);
    return;
  }
  if (v->arch.start_pending && start_real(v)) {
    domain_crash(v->dom, "cannot set up vcpu %u for its STARTUP IPI", v->id);
    return;
  }
  if (v->arch.load_ctx && vmx_context_apply(v)) {
    if (v->dom->state == DOMAIN_RUNNING) /* not crashed already (bad PDPTEs) */
      domain_crash(v->dom, "cannot start vcpu %u in the state its builder gave", v->id);
    return;
  }
  sched_vcpu_on_cpu(v);
  if (!v->dom->first_entry_tsc) { /* here, not in the loop below: it runs once */
    v->dom->first_entry_tsc = rdtsc();
    pr_info("%s: first entry at TSC %llu", v->dom->name,
            (unsigned long long)v->dom->first_entry_tsc);
  }
  struct per_cpu *pc = this_cpu();
  for (;;) {
    irq_disable(); /* an interrupt now makes a VM exit, handled below */
    if (pc->timer_raised) {
      irq_enable(); /* the timers run here, between exits, never inside one */
      timer_softirq();
      continue;
    }
    /* Whatever stops v from running (block, pause, shutdown, its slice,
     * another CPU's request) sets this CPU's resched flag (sched/core.c),
     * so one flag says it all. */
    if (pc->shared.resched) {
      irq_enable();
      return; /* the scheduler's turn */
    }
    /* evtchn_upcall_due(v), its two parts apart: the callback first. */
    if (evtchn_callback_due(v))
      vmx_inject_callback(v);
    else if (arch_intr_pending(&v->arch))
      vmx_inject_lapic(v);
    /* The guest runs without hv_lock (include/hv/spinlock.h).  A flag
     * another CPU sets from now on comes with a kick: the interrupt,
     * pending while interrupts are off here, makes the entry exit at
     * once. */
    hv_lock_drop();
    int err = vmx_enter(&v->arch.regs, v->arch.launched);
    irq_enable();   /* ... here, by the host's own handler */
    hv_lock_take(); /* interrupts on: a CPU waiting for our answer to an IPI gets it */
    if (err) {
      domain_crash(v->dom, "VM entry failed, VM-instruction error %llu",
                   (unsigned long long)vmcs_read(VMCS_VM_INSTRUCTION_ERROR));
      return;
    }
    v->arch.launched = true;
    v->exits++;
    if (vmx_handle_exit(v))
      return; /* the scheduler's turn */
  }
}
