/* A domain's physical map as memory_op changes it: XENMEM_add_to_physmap
 * (one page: shared_info or a grant table frame), XENMEM_add_to_physmap_batch
 * (a list of pages, another domain's frames among them: what a toolstack
 * in dom0 uses to load a guest) and XENMEM_remove_from_physmap.  Each
 * check, errno and their order follow Xen 4.19 (common/memory.c:
 * do_memory_op, xenmem_add_to_physmap_batch, xatp_permission_check;
 * arch/x86/mm/p2m.c: xenmem_add_to_physmap_one, p2m_add_foreign; the
 * dummy XSM policy, xsm/dummy.h). */
#include <arch/arch.h>
#include <hv/compat.h>
#include <hv/errno.h>
#include <hv/foreign.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <hv/memory_reservation.h>
#include <hv/physmap.h>
#include <public/memory.h>

#define GFN_LIMIT (1ULL << 36)

/* The domain an id names, as Xen's rcu_lock_domain_by_any_id: DOMID_SELF
 * is the caller; no permission check.  -ESRCH if there is none. */
static long any_domain(struct vcpu *v, domid_t id, struct domain **d)
{
  *d = id == DOMID_SELF ? v->dom : domain_find(id);
  return *d ? 0 : -ESRCH;
}

/* xatp_permission_check: dev_mmio is for the hardware domain on itself
 * (-EACCES), then the dummy policy's XSM_TARGET: the domain itself or
 * the control domain (-EPERM). */
static long may_add(struct vcpu *v, struct domain *d, unsigned int space)
{
  if (space == XENMAPSPACE_dev_mmio && (!d->privileged || d != v->dom))
    return -EACCES;
  return d == v->dom || v->dom->privileged ? 0 : -EPERM;
}

/* XENMAPSPACE_gmfn_foreign, p2m_add_foreign's checks: the foreign
 * domain by its exact id (rcu_lock_remote_domain_by_id: -ESRCH, and
 * -EPERM for the caller itself), not the mapper itself (-EINVAL), and a
 * mapper that may map it (xsm_map_gmfn_foreign, XSM_TARGET with the
 * mapper as subject: only the control domain). */
static long add_foreign(struct vcpu *v, struct domain *d, uint64_t fgfn, uint64_t gpfn, domid_t fid)
{
  /* Xen's own pages (dom_xen): mica offers none, so there is no frame
   * at any index, after the same permission check. */
  if (fid == DOMID_XEN)
    return d->privileged ? -EINVAL : -EPERM;
  struct domain *f = domain_find(fid);
  if (!f)
    return -ESRCH;
  if (f == v->dom)
    return -EPERM;
  if (f == d)
    return -EINVAL;
  if (!d->privileged)
    return -EPERM;
  return foreign_map(d, f, fgfn, gpfn);
}

/* One page of space at gpfn of d (xenmem_add_to_physmap_one). */
static long add_one(struct vcpu *v, struct domain *d, unsigned int space, uint64_t idx,
                    uint64_t gpfn, domid_t fid)
{
  /* A domain that stopped has no p2m left to change (Xen tears a dying
   * domain's p2m down after the call; mica has done it already). */
  if (d->state != DOMAIN_RUNNING)
    return -EINVAL;
  switch (space) {
  case XENMAPSPACE_shared_info:
    if (idx != 0)
      return -EINVAL;
    /* The RAM page at gpfn goes back to the allocator; an earlier
     * location of shared_info becomes a hole. */
    return guestmem_map_special(d, gpfn, d->shared_info, &d->shared_info_gfn);
  case XENMAPSPACE_grant_table: return gnttab_map_frame(d, idx, gpfn);
  case XENMAPSPACE_gmfn_foreign: return add_foreign(v, d, idx, gpfn, fid);
  case XENMAPSPACE_gmfn: return -ENOSYS; /* page moves come later */
  default: return -EINVAL;               /* dev_mmio is Arm's */
  }
}

long physmap_add(struct vcpu *v, uint64_t arg)
{
  struct xen_add_to_physmap x;
  struct compat_add_to_physmap c; /* a 32-bit caller's, widened */
  struct domain *d;

  if (v->hcall_compat) {
    if (arch_copy_from_guest(v, &c, arg, sizeof(c)))
      return -EFAULT;
    x = (struct xen_add_to_physmap){c.domid, c.size, c.space, c.idx, c.gpfn};
  } else if (arch_copy_from_guest(v, &x, arg, sizeof(x)))
    return -EFAULT;
  /* Foreign frames come through the batch only, refused before the
   * domain is looked up. */
  if (x.space == XENMAPSPACE_gmfn_foreign)
    return -ENOSYS;
  long err = any_domain(v, x.domid, &d);
  if (!err)
    err = may_add(v, d, x.space);
  if (err)
    return err;
  if (x.gpfn == ~0ULL)
    return -EINVAL; /* INVALID_GFN */
  if (x.space == XENMAPSPACE_gmfn_range)
    return -ENOSYS; /* page moves come later */
  return add_one(v, d, x.space, x.idx, x.gpfn, DOMID_INVALID);
}

/* The batch, whichever layout the caller used. */
struct batch {
  struct xen_add_to_physmap_batch b;
  size_t ulong_size; /* idxs' and gpfns' elements: 8, or 4 for a 32-bit caller */
};

static int read_batch(struct vcpu *v, uint64_t arg, struct batch *r)
{
  if (v->hcall_compat) {
    struct compat_add_to_physmap_batch c;
    if (arch_copy_from_guest(v, &c, arg, sizeof(c)))
      return -EFAULT;
    r->b = (struct xen_add_to_physmap_batch){c.domid, c.space, c.size, {c.u.foreign_domid},
                                             c.idxs,  c.gpfns, c.errs};
    r->ulong_size = 4;
    return 0;
  }
  r->ulong_size = 8;
  return arch_copy_from_guest(v, &r->b, arg, sizeof(r->b)) ? -EFAULT : 0;
}

/* Entries [i, i + n) (n <= PHYSMAP_BATCH_TURN) of idxs and gpfns, read
 * in one copy each: a guest copy after a p2m change walks the guest's
 * page tables again, so one per array and turn rather than per entry. */
static int read_entries(struct vcpu *v, const struct batch *r, uint64_t i, unsigned int n,
                        uint64_t *idx, uint64_t *gpfn)
{
  if (r->ulong_size == 8)
    return arch_copy_from_guest(v, idx, r->b.idxs + i * 8, n * 8) ||
                   arch_copy_from_guest(v, gpfn, r->b.gpfns + i * 8, n * 8)
               ? -EFAULT
               : 0;
  uint32_t a[PHYSMAP_BATCH_TURN], g[PHYSMAP_BATCH_TURN];
  if (arch_copy_from_guest(v, a, r->b.idxs + i * 4, n * 4) ||
      arch_copy_from_guest(v, g, r->b.gpfns + i * 4, n * 4))
    return -EFAULT;
  for (unsigned int k = 0; k < n; k++) {
    idx[k] = a[k];
    gpfn[k] = g[k];
  }
  return 0;
}

long physmap_add_batch(struct vcpu *v, uint64_t start, uint64_t arg, uint64_t args[6])
{
  struct batch r;
  struct domain *d;

  /* A start beyond what size can hold is no continuation of ours. */
  if (start > UINT16_MAX)
    return -EDOM;
  if (read_batch(v, arg, &r))
    return -EFAULT;
  struct xen_add_to_physmap_batch *b = &r.b;
  if (b->space == XENMAPSPACE_gmfn_range)
    return -EOPNOTSUPP;
  long err = any_domain(v, b->domid, &d);
  if (!err)
    err = may_add(v, d, b->space);
  if (err)
    return err;
  if (b->size < start)
    return -EILSEQ;
  if (b->size == start)
    return start ? -EILSEQ : 0;
  if (b->space == XENMAPSPACE_dev_mmio && b->u.res0)
    return -EOPNOTSUPP;

  /* One turn of entries; the rest comes back as a continuation. */
  unsigned int n = MIN(b->size - start, (uint64_t)PHYSMAP_BATCH_TURN);
  uint64_t idx[PHYSMAP_BATCH_TURN], gpfn[PHYSMAP_BATCH_TURN];
  int32_t rc[PHYSMAP_BATCH_TURN];
  if (read_entries(v, &r, start, n, idx, gpfn))
    return -EFAULT;
  unsigned int done = 0;
  for (; done < n; done++) {
    /* INVALID_GFN stops the call; a 32-bit gpfn, widened, is never it. */
    if (gpfn[done] == ~0ULL) {
      err = -EINVAL;
      break;
    }
    rc[done] = (int32_t)add_one(v, d, b->space, idx[done], gpfn[done], b->u.foreign_domid);
  }
  /* What was done is said, as Xen writes each entry's errs after it. */
  if (done && arch_copy_to_guest(v, b->errs + start * sizeof(rc[0]), rc, done * sizeof(rc[0])))
    return -EFAULT;
  if (err)
    return err;
  if (start + n < b->size) {
    args[0] = XENMEM_add_to_physmap_batch | (start + n) << MEMOP_EXTENT_SHIFT;
    return -ERESTART;
  }
  return 0;
}

long physmap_remove(struct vcpu *v, uint64_t arg)
{
  struct xen_remove_from_physmap x;
  struct domain *d;
  enum p2m_type type;
  paddr_t old;

  if (v->hcall_compat) {
    struct compat_remove_from_physmap c;
    if (arch_copy_from_guest(v, &c, arg, sizeof(c)))
      return -EFAULT;
    x = (struct xen_remove_from_physmap){c.domid, c.gpfn};
  } else if (arch_copy_from_guest(v, &x, arg, sizeof(x)))
    return -EFAULT;
  /* rcu_lock_domain_by_any_id (-ESRCH), then XSM_TARGET (-EPERM). */
  long err = domain_lookup(v->dom, x.domid, &d);
  if (err)
    return err;
  /* Nothing left in a domain that stopped, nor beyond the p2m's width
   * (Xen's get_page_from_gfn finds no page: -ENOENT). */
  if (d->state != DOMAIN_RUNNING || x.gpfn >= GFN_LIMIT)
    return -ENOENT;
  uint64_t gpa = x.gpfn << PAGE_SHIFT;
  paddr_t hpa = arch_p2m_query(d, gpa, NULL, &type) & PAGE_MASK;
  switch (type) {
  case P2M_FOREIGN: return foreign_unmap(d, x.gpfn);
  case P2M_RAM:
    /* Xen takes the page out of the p2m and leaves it allocated to the
     * domain, counted, until it dies; mica gives it back as
     * decrease_reservation does (and refuses, -EBUSY, a page shown
     * elsewhere). */
    return guestmem_remove_page(d, x.gpfn);
  case P2M_SPECIAL:
    /* Unhooked, as add_to_physmap over it does: a 4 KiB leaf, so no
     * table is needed. */
    if (arch_p2m_set_type(d, gpa, 0, P2M_NONE, &old, NULL))
      return -ENOMEM;
    guestmem_special_unhooked(d, hpa);
    return 0;
  case P2M_GRANT_RW:
  case P2M_GRANT_RO:
    /* Xen drops the entry and leaves the grant's handle behind; here the
     * maptrack owns the slot: GNTTABOP_unmap_grant_ref undoes it. */
    return -EBUSY;
  default: return -ENOENT;
  }
}
