/* vm_assist(cmd, type): optional behaviours a guest turns on for its whole
 * domain.  A PVH guest may have only VMASST_TYPE_runstate_update_flag (as
 * Xen's HVM_VM_ASSIST_MASK): the hypervisor then sets XEN_RUNSTATE_UPDATE
 * in state_entry_time while it rewrites the guest's runstate area, so a
 * reader on another vcpu can tell a torn copy (sched/core.c). */
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <public/xen.h>

#define VM_ASSIST_VALID (1UL << VMASST_TYPE_runstate_update_flag)

long do_vm_assist(struct vcpu *v, unsigned int cmd, unsigned int type)
{
  struct domain *d = v->dom;

  /* The type is checked before the command, as in Xen. */
  if (type >= 64 || !(VM_ASSIST_VALID & (1UL << type)))
    return -EINVAL;
  switch (cmd) {
  case VMASST_CMD_enable: d->vm_assist |= 1UL << type; return 0;
  case VMASST_CMD_disable: d->vm_assist &= ~(1UL << type); return 0;
  default: return -ENOSYS;
  }
}
