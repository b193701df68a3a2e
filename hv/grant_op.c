/* grant_table_op (hypercall 20), version 1 grants for PVH guests: query
 * and grow a table, map and unmap another domain's granted frame in the
 * caller's physical space, copy between grants and the caller's frames,
 * swap two of the caller's grants, and the version calls.  Every result follows Xen 4.19
 * (common/grant_table.c, function named beside each rule); the per-entry
 * GNTST_* codes go in each structure's status field, and the hypercall's
 * return value reports only errors in the call itself. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/errno.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <hv/string.h>

/* Entries handled before the call continues (-ERESTART with arg and count
 * moved on), so a guest's count cannot hold the CPU; Xen stops where
 * hypercall_preempt_check says. */
#define GNTTAB_TURN 64

static bool map_readonly(uint32_t flags) { return flags & GNTMAP_readonly; }

/* The domain a query names, for the calls Xen resolves with
 * rcu_lock_domain_by_any_id and checks with XSM_TARGET: DOMID_SELF or
 * itself, else a privileged caller.  GNTST_okay, or the status to report. */
static int16_t target_domain(struct domain *caller, domid_t id, struct domain **out)
{
  int err = domain_lookup(caller, id, out);
  if (err == -EPERM)
    return GNTST_permission_denied;
  if (err || (*out)->state != DOMAIN_RUNNING || !(*out)->grant)
    return GNTST_bad_domain;
  return GNTST_okay;
}

/* ---- map_grant_ref (Xen: map_grant_ref, create_grant_p2m_mapping) ---- */

static int16_t map_one(struct domain *ld, struct gnttab_map_grant_ref *op)
{
  struct grant_table *lgt = ld->grant;
  bool ro = map_readonly(op->flags);

  if (!(op->flags & (GNTMAP_host_map | GNTMAP_device_map)))
    return GNTST_bad_gntref; /* nothing to pin: Xen's "Bad flags" */
  /* A PVH domain gets no device, application or PTE mappings. */
  if (op->flags & (GNTMAP_device_map | GNTMAP_application_map | GNTMAP_contains_pte))
    return GNTST_general_error;
  struct domain *rd = gnttab_domain(op->dom);
  if (!rd)
    return GNTST_bad_domain;
  uint32_t handle = gnttab_get_handle(lgt);
  if (handle == ~0U)
    return GNTST_no_space;
  struct grant_table *rgt = rd->grant;
  int16_t rc = GNTST_bad_gntref;
  if (op->ref >= rgt->nr_frames * GNTTAB_PER_FRAME)
    goto put_handle;
  struct grant_entry_v1 *e = gnttab_entry(rgt, op->ref);
  struct grant_active *act = gnttab_active(rgt, op->ref);
  rc = grant_pin_begin(e, act, ld->id, ro, true);
  if (rc != GNTST_okay)
    goto put_handle;
  paddr_t frame = act->pin ? act->frame : gnttab_own_frame(rd, e->frame);
  rc = GNTST_bad_page;
  if (!frame)
    goto abort;
  /* create_grant_p2m_mapping: no cache attributes, host_map only. */
  rc = GNTST_general_error;
  if ((e->flags & (GTF_PAT | GTF_PWT | GTF_PCD)) ||
      (op->flags & ~(uint32_t)GNTMAP_readonly) != GNTMAP_host_map)
    goto abort;
  uint64_t gfn = op->host_addr >> PAGE_SHIFT;
  enum p2m_type type;
  arch_p2m_query(ld, gfn << PAGE_SHIFT, NULL, &type);
  if (type == P2M_GRANT_RW || type == P2M_GRANT_RO || type == P2M_FOREIGN) {
    /* p2m_add_page will not replace a grant or foreign mapping and
     * crashes the domain that asks ("not permitted"). */
    grant_pin_abort(e, act, ro);
    gnttab_put_handle(lgt, handle);
    domain_crash(ld, "grant map over the %s mapping at gfn %#llx",
                 type == P2M_FOREIGN ? "foreign" : "grant", (unsigned long long)gfn);
    return GNTST_general_error;
  }
  paddr_t old;
  if (gfn >= (1ULL << 36) || arch_p2m_set_type(ld, gfn << PAGE_SHIFT, frame,
                                               ro ? P2M_GRANT_RO : P2M_GRANT_RW, &old, &type))
    goto abort;
  /* The page it covers comes back on unmap if it is the mapper's RAM; a
   * special page is only unhooked, as Xen's p2m_add_page does. */
  if (type == P2M_SPECIAL) {
    guestmem_special_unhooked(ld, old);
    old = 0;
  }
  grant_pin_commit(act, ld->id, ro, frame);
  rgt->nr_mapped++;
  *gnttab_maptrack(lgt, handle) = (struct grant_mapping){
      .flags = op->flags,
      .domid = rd->id,
      .ref = op->ref,
      .gfn = gfn,
      .frame = frame,
      .old = type == P2M_RAM ? old : 0,
  };
  op->handle = handle;
  /* Xen hands back the machine address; a PVH guest has no use for it
   * and we reveal no host addresses. */
  op->dev_bus_addr = 0;
  return GNTST_okay;

abort:
  grant_pin_abort(e, act, ro);
put_handle:
  gnttab_put_handle(lgt, handle);
  return rc;
}

/* ---- unmap_grant_ref (Xen: unmap_common, replace_grant_p2m_mapping) ---- */

static int16_t unmap_one(struct domain *ld, const struct gnttab_unmap_grant_ref *op)
{
  struct grant_mapping *m = gnttab_maptrack(ld->grant, op->handle);

  if (!m || !m->flags)
    return GNTST_bad_handle;
  /* Without host_addr the host mapping stays and the handle lives on
   * (unmap_common does nothing, successfully). */
  if (!op->host_addr)
    return GNTST_okay;
  /* The granter went away and the slot holds the mapper's own page
   * again: only the handle is left to free. */
  if (m->flags & GNTMAP_MICA_REVOKED) {
    if (op->host_addr >> PAGE_SHIFT != m->gfn)
      return GNTST_general_error;
    gnttab_put_handle(ld->grant, op->handle);
    return GNTST_okay;
  }
  /* The slot must hold this grant's frame as a grant mapping; Xen also
   * accepts another slot holding the same frame, but each of our slots
   * remembers the page it covers, so it must be the handle's own. */
  uint64_t gfn = op->host_addr >> PAGE_SHIFT;
  enum p2m_type type;
  paddr_t hpa = arch_p2m_query(ld, gfn << PAGE_SHIFT, NULL, &type);
  if (gfn != m->gfn || hpa != m->frame || (type != P2M_GRANT_RW && type != P2M_GRANT_RO))
    return GNTST_general_error;
  gnttab_undo_mapping(ld, op->handle);
  return GNTST_okay;
}

/* ---- copy (Xen: gnttab_copy_one, acquire_grant_for_copy) ---- */

struct copy_end {
  struct domain *d;
  grant_ref_t ref; /* pinned grant, if gref */
  bool gref;
  paddr_t frame;
};

/* Only the caller itself (DOMID_SELF) may be named by frame
 * (gnttab_copy_lock_domain). */
static int16_t copy_domain(struct domain *ld, const struct gnttab_copy_ptr *p, bool gref,
                           struct copy_end *end)
{
  if (!gref && p->domid != DOMID_SELF)
    return GNTST_permission_denied;
  end->gref = gref;
  end->d = p->domid == DOMID_SELF || p->domid == ld->id ? ld : gnttab_domain(p->domid);
  return end->d ? GNTST_okay : GNTST_bad_domain;
}

static int16_t copy_claim(struct domain *ld, const struct gnttab_copy_ptr *p, bool ro,
                          struct copy_end *end)
{
  if (!end->gref) {
    end->frame = gnttab_own_frame(end->d, p->u.gmfn);
    return end->frame ? GNTST_okay : GNTST_bad_page;
  }
  struct grant_table *gt = end->d->grant;
  if (p->u.ref >= gt->nr_frames * GNTTAB_PER_FRAME)
    return GNTST_bad_gntref;
  struct grant_entry_v1 *e = gnttab_entry(gt, p->u.ref);
  struct grant_active *act = gnttab_active(gt, p->u.ref);
  int16_t rc = grant_pin_begin(e, act, ld->id, ro, false);
  if (rc != GNTST_okay)
    return rc;
  end->frame = act->pin ? act->frame : gnttab_own_frame(end->d, e->frame);
  if (!end->frame) {
    grant_pin_abort(e, act, ro);
    return GNTST_bad_page;
  }
  grant_pin_commit(act, ld->id, ro, end->frame);
  end->ref = p->u.ref;
  return GNTST_okay;
}

static void copy_release(struct copy_end *end, bool ro)
{
  if (end->gref && end->frame) {
    struct grant_table *gt = end->d->grant;
    grant_unpin(gnttab_entry(gt, end->ref), gnttab_active(gt, end->ref), ro);
  }
}

static int16_t copy_one(struct domain *ld, const struct gnttab_copy *op)
{
  struct copy_end src = {0}, dst = {0};
  int16_t rc;

  if (!op->len)
    return GNTST_okay; /* before any check, as in Xen */
  if ((rc = copy_domain(ld, &op->source, op->flags & GNTCOPY_source_gref, &src)) ||
      (rc = copy_domain(ld, &op->dest, op->flags & GNTCOPY_dest_gref, &dst)))
    return rc;
  if ((rc = copy_claim(ld, &op->source, true, &src)))
    return rc;
  if ((rc = copy_claim(ld, &op->dest, false, &dst)))
    goto out;
  /* gnttab_copy_buf: checked once both ends are claimed. */
  rc = GNTST_bad_copy_arg;
  if (op->source.offset + op->len > PAGE_SIZE || op->dest.offset + op->len > PAGE_SIZE)
    goto out;
  memmove((char *)phys_to_virt(dst.frame) + op->dest.offset,
          (const char *)phys_to_virt(src.frame) + op->source.offset, op->len);
  rc = GNTST_okay;
out:
  copy_release(&dst, false);
  copy_release(&src, true);
  return rc;
}

/* ---- swap_grant_ref (Xen: swap_grant_ref) ---- */

static int16_t swap_one(struct domain *d, const struct gnttab_swap_grant_ref *op)
{
  struct grant_table *gt = d->grant;
  unsigned int n = gt->nr_frames * GNTTAB_PER_FRAME;

  if (op->ref_a >= n || op->ref_b >= n)
    return GNTST_bad_gntref;
  if (op->ref_a == op->ref_b)
    return GNTST_okay;
  /* A grant in use stays where it is; the guest may try again later. */
  if (gnttab_active(gt, op->ref_a)->pin || gnttab_active(gt, op->ref_b)->pin)
    return GNTST_eagain;
  struct grant_entry_v1 *a = gnttab_entry(gt, op->ref_a), *b = gnttab_entry(gt, op->ref_b);
  struct grant_entry_v1 t = *a;
  *a = *b;
  *b = t;
  return GNTST_okay;
}

/* ---- the batched sub-ops ---- */

/* Run one of map/unmap/copy/swap over count structures of size bytes at arg,
 * writing back the whole structure (map) or only its status field.
 * After GNTTAB_TURN entries the call continues (-ERESTART, args moved
 * on). */
static long batch(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count,
                  uint64_t args[6])
{
  union {
    struct gnttab_map_grant_ref map;
    struct gnttab_unmap_grant_ref unmap;
    struct gnttab_copy copy;
    struct gnttab_swap_grant_ref swap;
  } op;
  /* Of these only copy has a layout of its own for a 32-bit caller
   * (compat_gnttab_copy): read in that, widened, its status put back. */
  struct compat_gnttab_copy c;
  bool compat = v->hcall_compat && cmd == GNTTABOP_copy;
  size_t size = compat                            ? sizeof(c)
                : cmd == GNTTABOP_map_grant_ref   ? sizeof(op.map)
                : cmd == GNTTABOP_unmap_grant_ref ? sizeof(op.unmap)
                : cmd == GNTTABOP_copy            ? sizeof(op.copy)
                                                  : sizeof(op.swap);
  struct domain *ld = v->dom;

  /* Xen's compat_grant_table_op reads all of a batch in before it copies
   * anything: one bad entry is -EFAULT with none done. */
  for (unsigned int i = 0; compat && i < count && i < GNTTAB_TURN; i++)
    if (arch_copy_from_guest(v, &c, arg + (uint64_t)i * size, size))
      return -EFAULT;
  for (unsigned int i = 0; i < count; i++) {
    uint64_t at = arg + (uint64_t)i * size;
    if (i == GNTTAB_TURN) {
      args[1] = at;
      args[2] = count - i;
      return -ERESTART;
    }
    if (arch_copy_from_guest(v, compat ? (void *)&c : &op, at, size))
      return -EFAULT;
    if (compat)
      op.copy = (struct gnttab_copy){
          .source = {{.gmfn = c.source.u.gmfn}, c.source.domid, c.source.offset},
          .dest = {{.gmfn = c.dest.u.gmfn}, c.dest.domid, c.dest.offset},
          .len = c.len,
          .flags = c.flags};
    int16_t *status;
    if (cmd == GNTTABOP_map_grant_ref) {
      op.map.status = map_one(ld, &op.map);
      status = &op.map.status;
    } else if (cmd == GNTTABOP_unmap_grant_ref) {
      op.unmap.status = unmap_one(ld, &op.unmap);
      status = &op.unmap.status;
    } else if (cmd == GNTTABOP_copy) {
      op.copy.status = copy_one(ld, &op.copy);
      status = &op.copy.status;
    } else {
      op.swap.status = swap_one(ld, &op.swap);
      status = &op.swap.status;
    }
    if (ld->state != DOMAIN_RUNNING)
      return 0; /* crashed by its own request; its memory is gone */
    size_t off = compat ? offsetof(struct compat_gnttab_copy, status)
                        : (size_t)((char *)status - (char *)&op);
    int err = cmd == GNTTABOP_map_grant_ref
                  ? arch_copy_to_guest(v, at, &op, size)
                  : arch_copy_to_guest(v, at + off, status, sizeof(*status));
    if (err)
      return -EFAULT;
  }
  return 0;
}

/* ---- the single-structure sub-ops ---- */

/* gnttab_query_size: the whole structure goes back. */
static long query_size(struct vcpu *v, uint64_t arg, unsigned int count)
{
  struct gnttab_query_size op;
  struct domain *d;

  if (count != 1)
    return -EINVAL;
  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  op.status = target_domain(v->dom, op.dom, &d);
  if (op.status == GNTST_okay) {
    op.nr_frames = d->grant->nr_frames;
    op.max_nr_frames = d->grant->max_frames;
  }
  return arch_copy_to_guest(v, arg, &op, sizeof(op)) ? -EFAULT : 0;
}

/* gnttab_setup_table: grow the table, list where each frame is in the
 * domain's physical space (~0 where it is not mapped: Xen's mfn_to_gfn of
 * a frame with no M2P entry); only status goes back. */
static long setup_table(struct vcpu *v, uint64_t arg, unsigned int count)
{
  struct gnttab_setup_table op;
  struct compat_gnttab_setup_table c;
  bool compat = v->hcall_compat;
  unsigned int w = compat ? 4 : 8; /* xen_pfn_t's width for the caller */
  struct domain *d;

  if (count != 1) /* Xen's compat path does count of them: none is 0 */
    return compat && !count ? 0 : -EINVAL;
  if (arch_copy_from_guest(v, compat ? (void *)&c : &op, arg, compat ? sizeof(c) : sizeof(op)))
    return -EFAULT;
  if (compat)
    op = (struct gnttab_setup_table){
        .dom = c.dom, .nr_frames = c.nr_frames, .frame_list = c.frame_list};
  op.status = target_domain(v->dom, op.dom, &d);
  if (op.status == GNTST_okay && gnttab_grow(d->grant, op.nr_frames))
    op.status = GNTST_general_error; /* beyond the limit, or no memory */
  for (uint32_t i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
    uint64_t gfn = d->grant->frame_gfn[i];
    if (compat && gfn >> 32) /* not mapped yet (~0) is too big too, as in Xen */
      op.status = GNTST_address_too_big;
    else if (arch_copy_to_guest(v, op.frame_list + i * w, &gfn, w))
      op.status = GNTST_bad_virt_addr;
  }
  _Static_assert(offsetof(struct gnttab_setup_table, status) ==
                     offsetof(struct compat_gnttab_setup_table, status),
                 "status is at 8 for both");
  if (arch_copy_to_guest(v, arg + offsetof(struct gnttab_setup_table, status), &op.status,
                         sizeof(op.status)))
    return -EFAULT;
  return 0;
}

/* gnttab_set_version: only 1 exists here, which is Xen with max_version
 * 1 ("behave as before set_version was introduced": 2 is -ENOSYS); the
 * version in force is written back even on error. */
static long set_version(struct vcpu *v, uint64_t arg)
{
  struct gnttab_set_version op;
  long rc;

  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  rc = op.version == 1 ? 0 : op.version == 2 ? -ENOSYS : -EINVAL;
  op.version = 1;
  return arch_copy_to_guest(v, arg, &op, sizeof(op)) ? -EFAULT : rc;
}

/* gnttab_get_version: errors as -errno here, not a status field. */
static long get_version(struct vcpu *v, uint64_t arg)
{
  struct gnttab_get_version op;
  struct domain *d;

  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  long err = domain_lookup(v->dom, op.dom, &d);
  if (err)
    return err;
  op.version = 1;
  return arch_copy_to_guest(v, arg + offsetof(struct gnttab_get_version, version), &op.version,
                            sizeof(op.version))
             ? -EFAULT
             : 0;
}

long do_grant_table_op(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count,
                       uint64_t args[6])
{
  /* A PVH guest reaches only these sub-ops; everything else, and any cmd
   * with continuation bits, is -ENOSYS before anything is looked at (Xen:
   * arch/x86/hvm/hypercall.c hvm_grant_table_op, "need auditing"). */
  switch (cmd) {
  case GNTTABOP_query_size:
  case GNTTABOP_setup_table:
  case GNTTABOP_set_version:
  case GNTTABOP_get_version:
  case GNTTABOP_copy:
  case GNTTABOP_map_grant_ref:
  case GNTTABOP_unmap_grant_ref:
  case GNTTABOP_swap_grant_ref: break;
  default: return -ENOSYS;
  }
  if ((int)count < 0)
    return -EINVAL;
  if (!v->dom->grant)
    return -EINVAL; /* cannot happen while it runs */
  switch (cmd) {
  case GNTTABOP_setup_table: return setup_table(v, arg, count);
  case GNTTABOP_query_size: return query_size(v, arg, count);
  case GNTTABOP_set_version: return set_version(v, arg);
  case GNTTABOP_get_version: return get_version(v, arg);
  default: return batch(v, cmd, arg, count, args);
  }
}
