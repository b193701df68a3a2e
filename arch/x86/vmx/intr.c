/* Events into the guest: the one place that injects interrupts and
 * exceptions through the VM-entry interruption-information field (SDM
 * 26.6) and opens the interrupt window when the guest cannot take one yet
 * (SDM 25.2).  Which interrupt is due is include/hv/upcall.h's question;
 * this file only answers how it gets in. */
#include <arch/vlapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/upcall.h>

#define RFLAGS_IF (1ULL << 9)

/* Ask for (or stop asking for) an exit when the guest can take an
 * interrupt (interrupt-window exiting). */
static void set_intr_window(struct vcpu *v, bool on)
{
  uint64_t ctl = vmcs_read(VMCS_PROC_CONTROLS);
  vmcs_write(VMCS_PROC_CONTROLS,
             on ? ctl | PROC_INTR_WINDOW_EXITING : ctl & ~(uint64_t)PROC_INTR_WINDOW_EXITING);
  v->arch.intr_window = on;
}

void vmx_intr_window_exit(struct vcpu *v) { set_intr_window(v, false); }

void vmx_inject_exception(unsigned int vector, bool has_error, uint32_t error)
{
  uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
  /* Real mode pushes no error code, and VM entry fails if one is asked
   * for while CR0.PE is clear (SDM 26.2.1.3): a real-mode WRMSR to an
   * unknown MSR must still end in the guest's #GP handler. */
  if (has_error && (vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE)) {
    info |= INTR_INFO_DELIVER_ERROR;
    vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error);
  }
  vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

void vmx_reinject_event(void)
{
  uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
  if (!(info & INTR_INFO_VALID))
    return;
  if (info & INTR_INFO_DELIVER_ERROR)
    vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmcs_read(VMCS_IDT_VECTORING_ERROR));
  vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
  vmcs_write(VMCS_ENTRY_INTR_INFO, info & ~(1U << 12)); /* bit 12 is undefined here */
}

/* Inject vector if v can take an interrupt now (RFLAGS.IF, no STI or
 * MOV SS shadow, no event already going in); else ask for an exit as soon
 * as it can.  True when injected. */
static inline __attribute__((always_inline)) bool inject_interrupt(struct vcpu *v, uint8_t vector)
{
  bool open = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
              !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) &
                (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) &&
              !(vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
  if (!open) {
    if (!v->arch.intr_window)
      set_intr_window(v, true);
    return false;
  }
  vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXTERNAL | vector);
  if (v->arch.intr_window)
    set_intr_window(v, false);
  return true;
}

void vmx_inject_callback(struct vcpu *v) { inject_interrupt(v, v->dom->callback_vector); }

void vmx_inject_lapic(struct vcpu *v)
{
  if (inject_interrupt(v, v->arch.vlapic.pending))
    vlapic_ack(v); /* IRR -> ISR: the next one waits for its EOI or a higher class */
}
