/* When a vcpu must be interrupted: the one test, read before every VM
 * entry (arch/x86/vmx/vcpu.c), before a vcpu blocks (sched/core.c) and
 * before it polls (hv/sched_op.c).  Inline: it is on the hottest path. */
#ifndef HV_UPCALL_H
#define HV_UPCALL_H

#include <hv/domain.h>

/* The domain's callback vector is asserted for v: a level, held while
 * evtchn_upcall_pending is set and evtchn_upcall_mask clear, that
 * bypasses the local APIC (no IRR, no ISR, no EOI; Xen's
 * hvm_intsrc_vector).  A vcpu with its own upcall vector
 * (HVMOP_set_evtchn_upcall_vector) takes its events there instead. */
static inline bool evtchn_callback_due(const struct vcpu *v)
{
  return v->vi->evtchn_upcall_pending && !v->vi->evtchn_upcall_mask && !v->upcall_vector &&
         v->dom->callback_vector;
}

/* An interrupt is due for v: the callback vector, or one waiting in v's
 * own interrupt controller, a per-vcpu upcall vector among them
 * (arch_intr_pending; Xen's local_events_need_delivery looks at the
 * LAPIC the same way).  Whether v can take it now (RFLAGS.IF, an
 * interrupt shadow) is the arch's to see when it injects. */
static inline bool evtchn_upcall_due(const struct vcpu *v)
{
  return arch_intr_pending(&v->arch) || evtchn_callback_due(v);
}

#endif
