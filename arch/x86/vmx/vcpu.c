/* vcpus on VT-x: their VMCS, and the run loop that enters the guest and
 * hands each VM exit to arch/x86/vmx/exit.c. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/frame.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <hv/timer.h>
#include <hv/printk.h>

int vmx_handle_exit(struct vcpu *v);

static paddr_t current_vmcs; /* the VMCS loaded on this CPU (one CPU for now) */
static uint16_t next_vpid = 2; /* 0 is the host's, 1 the self-test's */

static int make_current(struct vcpu *v)
{
  if (current_vmcs == v->arch.vmcs)
    return 0;
  int err = vmcs_load(v->arch.vmcs);
  if (!err)
    current_vmcs = v->arch.vmcs;
  return err;
}

/* The cheap test before every entry: could an upcall be due, or is an
 * interrupt window open that should be closed?  vmx_deliver_upcall
 * decides the rest. */
static inline bool upcall_may_be_due(const struct vcpu *v)
{
  if (v->arch.intr_window)
    return true;
  if (v->upcall_vector)
    return v->upcall_vector_raised;
  return v->dom->callback_vector && v->vi->evtchn_upcall_pending;
}

int arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t start_info)
{
  if (!vmx_enabled())
    return -ENODEV;
  paddr_t vmcs = frame_alloc_zeroed();
  if (!vmcs)
    return -ENOMEM;
  *(uint32_t *)phys_to_virt(vmcs) = vmx_caps.vmcs_revision;
  v->arch.vmcs = vmcs;
  v->arch.vpid = next_vpid++;
  if (!next_vpid)
    next_vpid = 2; /* wrapped: VPIDs get shared, which is correct but slower */
  v->arch.regs.rbx = start_info; /* the PVH ABI: EBX = struct hvm_start_info */
  int err = vmcs_clear(vmcs) ?: make_current(v) ?:
            vmcs_init_pvh(v->dom->arch.ept_root, v->arch.vpid, entry);
  if (err) {
    arch_vcpu_destroy(v);
    return -EIO;
  }
  return 0;
}

void arch_vcpu_destroy(struct vcpu *v)
{
  if (!v->arch.vmcs)
    return;
  vmcs_clear(v->arch.vmcs); /* flush it out of the CPU before the frame goes */
  if (current_vmcs == v->arch.vmcs)
    current_vmcs = 0;
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
  sched_vcpu_on_cpu(v);
  uint64_t exit_tsc = 0;
  for (;;) {
    irq_disable(); /* an interrupt now makes a VM exit, handled below */
    if (timer_due()) {
      irq_enable(); /* the timers run here, between exits, never inside one */
      timer_softirq();
      continue;
    }
    /* Whatever stops v from running (block, pause, shutdown, its slice)
     * sets sched_resched (sched/core.c), so one flag says it all. */
    if (sched_resched) {
      irq_enable();
      return; /* the scheduler's turn */
    }
    if (upcall_may_be_due(v))
      vmx_deliver_upcall(v);
    if (exit_tsc)  /* the time since the last exit was the hypervisor's */
      v->hv_cycles += rdtsc() - exit_tsc;
    int err = vmx_enter(&v->arch.regs, v->arch.launched);
    exit_tsc = rdtsc();
    irq_enable();  /* ... here, by the host's own handler */
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
