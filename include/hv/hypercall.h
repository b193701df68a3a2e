/* The hypercall table and the handlers in it. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <hv/domain.h>
#include <hv/errno.h>
#include <public/xen.h>

#define HYPERCALL_NR 56 /* vectors 0..55 of the ABI */

/* Run hypercall vector nr for v with the guest's six argument registers;
 * returns the value for the guest's RAX (>= 0, or a negative Xen errno;
 * -ENOSYS for an empty slot or a vector out of range), or -ERESTART: the
 * handler did part of the work and rewrote args for the rest, and the
 * caller must re-issue the hypercall with them (a continuation, as in Xen:
 * for the guest, the VMCALL runs again with the new registers). */
typedef long (*hypercall_fn)(struct vcpu *v, uint64_t a[6]);
extern const hypercall_fn hypercall_table[HYPERCALL_NR]; /* hv/hypercall.c */
/* What the table's empty slots hold: returns -ENOSYS. */
long hypercall_nosys(struct vcpu *v, uint64_t a[6]);

static inline long hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t args[6])
{
  /* Inline: one call from the exit handler to the handler's adapter.
   * The -ENOSYS report is the caller's, off this path. */
  if (nr >= HYPERCALL_NR)
    return -ENOSYS;
  return hypercall_table[nr](v, args);
}
/* Log, once per domain and (vector, sub-op), that hypercall nr with these
 * arguments answered -ENOSYS; after 32 such calls, that the log stops.
 * For whoever called hypercall_dispatch and got -ENOSYS. */
void hypercall_note_enosys(struct vcpu *v, uint64_t nr, const uint64_t args[6]);

/* Record key in d's list of things said once (the -ENOSYS log's); true
 * when it is new and there was room, so the caller says it now and then
 * calls hypercall_note_said, which says so when the list is full and
 * nothing more will be reported. */
bool hypercall_note_once(struct domain *d, uint64_t key);
void hypercall_note_said(struct domain *d);

/* The ABI's name of vector nr, for the log ("?" for none). */
const char *hypercall_name(uint64_t nr);

/* The vectors whose 32-bit calls hv/hypercall_compat.c looks at before
 * a handler runs: set_timer_op (two halves). */
#define HYPERCALL_COMPAT_LOOK (1ULL << __HYPERVISOR_set_timer_op)

/* The vectors of HYPERCALL_COMPAT_LOOK (hv/hypercall_compat.c). */
long hypercall_compat_other(struct vcpu *v, uint64_t args[6], uint32_t nr);

/* A hypercall from 32-bit code: vector nr with the arguments the arch read
 * from EBX, ECX, EDX, ESI, EDI, each zero-extended (the sixth is 0).
 * Answers as hypercall_dispatch, with v->hcall_compat set while the
 * handler runs (Xen's flag of the same name): each handler reads and
 * writes its structures in the 32-bit layout then.  On -ERESTART the
 * caller writes args back into the 32-bit registers.  Inline: the common
 * calls cost one test more than a 64-bit caller's. */
static inline long hypercall_dispatch_compat(struct vcpu *v, uint32_t nr, uint64_t args[6])
{
  if (nr >= HYPERCALL_NR)
    return -ENOSYS;
  if (HYPERCALL_COMPAT_LOOK >> nr & 1)
    return hypercall_compat_other(v, args, nr);
  v->hcall_compat = true;
  long ret = hypercall_table[nr](v, args);
  v->hcall_compat = false;
  return ret;
}

/* Handlers: arguments as the ABI types them; guest pointers are guest
 * virtual addresses (uint64_t), reached only through copy_*_guest. */
long do_xen_version(struct vcpu *v, int cmd, uint64_t arg);
long do_console_io(struct vcpu *v, unsigned int cmd, unsigned int count, uint64_t buf,
                   uint64_t args[6]);
long do_sched_op(struct vcpu *v, int cmd, uint64_t arg);
long do_multicall(struct vcpu *v, uint64_t calls, unsigned int nr_calls, uint64_t args[6]);
long do_memory_op(struct vcpu *v, unsigned long cmd, uint64_t arg, uint64_t args[6]);
long do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg);
long do_vcpu_op(struct vcpu *v, int cmd, unsigned int vcpuid, uint64_t arg);
long do_vm_assist(struct vcpu *v, unsigned int cmd, unsigned int type);
/* grant_table_op(cmd, arg, count): map, unmap and copy continue after a
 * turn of entries (-ERESTART, args[1] and args[2] moved on). */
long do_grant_table_op(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count,
                       uint64_t args[6]);
/* domctl(arg) and sysctl(arg): arg points at a struct xen_domctl /
 * xen_sysctl (public/domctl.h, sysctl.h).  A wrong interface version is
 * -EACCES; a caller that is not privileged gets -EPERM (domctl: after
 * -ESRCH for a domain id that names none); unknown commands -ENOSYS.
 * domctl destroydomain may return -ERESTART (tried again later). */
long do_domctl(struct vcpu *v, uint64_t arg);
long do_sysctl(struct vcpu *v, uint64_t arg);
/* platform_op(arg) (hv/platform_op.c): arg points at a struct
 * xen_platform_op (public/platform.h).  A wrong interface version is
 * -EACCES, then a caller that is not privileged gets -EPERM; unknown
 * commands -ENOSYS. */
long do_platform_op(struct vcpu *v, uint64_t arg);
/* physdev_op(cmd, arg) (hv/physdev_op.c): the PCI reports of the
 * privileged domain (public/physdev.h); every other command, and these
 * from other domains, -ENOSYS. */
long do_physdev_op(struct vcpu *v, int cmd, uint64_t arg);

struct xen_domctl_getdomaininfo;
/* Fill *info for d as XEN_DOMCTL_getdomaininfo reports it (also one
 * entry of XEN_SYSCTL_getdomaininfolist). */
void domctl_getdomaininfo(const struct domain *d, struct xen_domctl_getdomaininfo *info);

struct xenctl_bitmap;
/* A CPU mask (bit n: CPU n) from and into a caller's xenctl_bitmap, as
 * Xen's xenctl_bitmap_to_bitmap and bitmap_to_xenctl_bitmap: the bytes
 * both sides have; writing zeros the rest of the caller's buffer.
 * 0 or -EFAULT. */
long domctl_bitmap_read(struct vcpu *v, const struct xenctl_bitmap *b, uint64_t *mask);
long domctl_bitmap_write(struct vcpu *v, const struct xenctl_bitmap *b, uint64_t mask);

struct xen_domctl;
/* XEN_DOMCTL_createdomain (hv/createdomain.c) for a privileged caller:
 * op holds the request in the layout of op->interface_version (4.19's or
 * 4.17's).  A new domain, paused once, without memory, with a console
 * ring; its id goes into op->domain.  Returns 0, -EEXIST (the id asked
 * for is taken), -EINVAL / -EOPNOTSUPP / -ENOENT (a configuration mica
 * cannot give: Xen's errnos) or -ENOMEM. */
long domctl_createdomain(struct vcpu *caller, struct xen_domctl *op);
/* XEN_DOMCTL_gethvmcontext / sethvmcontext on d (arch/x86/vmx/context.c):
 * get writes d's records into the caller's buffer at buf (size bytes;
 * buf 0 asks for the size), *size becomes the bytes written or needed;
 * set reads size bytes of records from buf, checks them all, then loads
 * them.  Return 0 or a Xen errno. */
long arch_hvm_context_get(struct vcpu *caller, struct domain *d, uint64_t buf, uint32_t *size);
long arch_hvm_context_set(struct vcpu *caller, struct domain *d, uint64_t buf, uint32_t size);

/* The hypervisor's command line, for XENVER_commandline (dom0 only). */
extern const char *hv_cmdline;

#endif
