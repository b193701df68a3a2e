/* A domain's physical map as memory_op changes it (hv/physmap.c):
 * XENMEM_add_to_physmap, XENMEM_add_to_physmap_batch and
 * XENMEM_remove_from_physmap. */
#ifndef HV_PHYSMAP_H
#define HV_PHYSMAP_H

#include <hv/domain.h>

/* The batch's entries handled before the call continues after a turn. */
#define PHYSMAP_BATCH_TURN 64

/* XENMEM_add_to_physmap of v for the struct xen_add_to_physmap at arg
 * (the 32-bit layout for a 32-bit caller).  Returns 0 or a Xen errno:
 * -EFAULT, -ENOSYS (XENMAPSPACE_gmfn_foreign, batch only, and the gmfn
 * spaces mica lacks), -ESRCH, -EACCES (dev_mmio), -EPERM, -EINVAL (gpfn
 * ~0, idx, a domain that stopped), then guestmem_map_special's and
 * gnttab_map_frame's. */
long physmap_add(struct vcpu *v, uint64_t arg);
/* XENMEM_add_to_physmap_batch of v for the struct
 * xen_add_to_physmap_batch at arg, from entry start on.  Each entry's
 * result goes to errs[i]; the call returns 0 when all are done, -ERESTART
 * with args[0] rewritten to go on after a turn, or a Xen errno for the
 * call itself (-EDOM, -EFAULT, -EOPNOTSUPP, -ESRCH, -EACCES, -EPERM,
 * -EILSEQ, -EINVAL for a gpfn of ~0), in Xen 4.19's order; entries
 * before a failure stay done. */
long physmap_add_batch(struct vcpu *v, uint64_t start, uint64_t arg, uint64_t args[6]);
/* XENMEM_remove_from_physmap of v for the struct xen_remove_from_physmap
 * at arg: whatever is at gpfn goes (a foreign mapping is unmapped, RAM is
 * freed, a special page unhooked).  Returns 0, -EFAULT, -ESRCH, -EPERM,
 * -ENOENT (a hole, or a domain that stopped), -EBUSY (RAM a grant or
 * foreign mapping shows elsewhere; a grant mapping, which
 * GNTTABOP_unmap_grant_ref undoes) or -ENOMEM. */
long physmap_remove(struct vcpu *v, uint64_t arg);

#endif
