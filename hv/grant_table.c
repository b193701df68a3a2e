/* Grant tables: each domain's table of grant entries (frames the
 * hypervisor owns and the domain maps with XENMAPSPACE_grant_table), the
 * pins on grants in use, the maptrack of mappings a domain made, and the
 * teardown that drops every mapping involving a domain that goes away.
 * The hypercall itself is in grant_op.c.
 *
 * Hypervisor code runs under hv_lock on whichever CPU and is not
 * preempted, so these structures need no lock of their own; the entries shared with guests are
 * still changed atomically (grant_pin.c), because the guest writes them too. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/heap.h>
#include <hv/printk.h>
#include <hv/string.h>

/* Grow gt to n frames (n <= GNTTAB_MAX_FRAMES): zeroed entry frames and
 * their active entries.  On -ENOMEM the table keeps its old size. */
static int grow(struct grant_table *gt, unsigned int n)
{
  unsigned int i;
  for (i = gt->nr_frames; i < n; i++) {
    gt->frames[i] = frame_alloc_zeroed();
    gt->active[i] = heap_zalloc(GNTTAB_PER_FRAME * sizeof(struct grant_active));
    if (!gt->frames[i] || !gt->active[i])
      goto nomem;
  }
  gt->nr_frames = n;
  return 0;

nomem:
  for (; i >= gt->nr_frames && i < n; i--) {
    if (gt->frames[i])
      frame_free(gt->frames[i]);
    heap_free(gt->active[i]);
    gt->frames[i] = 0;
    gt->active[i] = NULL;
  }
  return -ENOMEM;
}

int gnttab_init(struct domain *d)
{
  struct grant_table *gt = heap_zalloc(sizeof(*gt));
  if (!gt)
    return -ENOMEM;
  for (unsigned int i = 0; i < GNTTAB_MAX_FRAMES; i++)
    gt->frame_gfn[i] = ~0ULL;
  gt->maptrack_free = ~0U;
  gt->max_frames = GNTTAB_MAX_FRAMES;
  if (grow(gt, GNTTAB_INITIAL_FRAMES)) {
    heap_free(gt);
    return -ENOMEM;
  }
  d->grant = gt;
  return 0;
}

void gnttab_set_max_frames(struct domain *d, unsigned int n)
{
  struct grant_table *gt = d->grant;
  gt->max_frames = MAX(MIN(n, GNTTAB_MAX_FRAMES), gt->nr_frames);
}

int gnttab_grow(struct grant_table *gt, unsigned int n)
{
  if (n > gt->max_frames)
    return -EINVAL;
  return n <= gt->nr_frames ? 0 : grow(gt, n);
}

struct grant_entry_v1 *gnttab_entry(struct grant_table *gt, grant_ref_t ref)
{
  struct grant_entry_v1 *f = phys_to_virt(gt->frames[ref / GNTTAB_PER_FRAME]);
  return &f[ref % GNTTAB_PER_FRAME];
}

struct grant_active *gnttab_active(struct grant_table *gt, grant_ref_t ref)
{
  return &gt->active[ref / GNTTAB_PER_FRAME][ref % GNTTAB_PER_FRAME];
}

struct grant_mapping *gnttab_maptrack(struct grant_table *gt, uint32_t handle)
{
  if (handle >= gt->maptrack_limit)
    return NULL;
  return &gt->maptrack[handle / GNTTAB_MAPTRACK_CHUNK][handle % GNTTAB_MAPTRACK_CHUNK];
}

uint32_t gnttab_get_handle(struct grant_table *gt)
{
  if (gt->maptrack_free == ~0U) {
    /* No free handle: add a chunk of them, up to the limit. */
    unsigned int c = gt->maptrack_limit / GNTTAB_MAPTRACK_CHUNK;
    if (c == ARRAY_SIZE(gt->maptrack))
      return ~0U;
    gt->maptrack[c] = heap_zalloc(GNTTAB_MAPTRACK_CHUNK * sizeof(struct grant_mapping));
    if (!gt->maptrack[c])
      return ~0U;
    gt->maptrack_limit += GNTTAB_MAPTRACK_CHUNK;
    for (uint32_t h = gt->maptrack_limit; h-- > c * GNTTAB_MAPTRACK_CHUNK;) {
      gnttab_maptrack(gt, h)->next_free = gt->maptrack_free;
      gt->maptrack_free = h;
    }
  }
  uint32_t h = gt->maptrack_free;
  gt->maptrack_free = gnttab_maptrack(gt, h)->next_free;
  gt->maptrack_used++;
  return h;
}

void gnttab_put_handle(struct grant_table *gt, uint32_t handle)
{
  struct grant_mapping *m = gnttab_maptrack(gt, handle);
  *m = (struct grant_mapping){.next_free = gt->maptrack_free};
  gt->maptrack_free = handle;
  gt->maptrack_used--;
}

struct domain *gnttab_domain(domid_t id)
{
  struct domain *d = domain_find(id);
  return d && d->state == DOMAIN_RUNNING && d->grant ? d : NULL;
}

paddr_t gnttab_own_frame(struct domain *d, uint64_t gfn)
{
  enum p2m_type type;
  if (gfn >= (1ULL << 36))
    return 0;
  paddr_t hpa = arch_p2m_query(d, gfn << PAGE_SHIFT, NULL, &type);
  /* Xen's get_paged_frame takes RAM (and the special pages, which are RAM
   * to it) and refuses grant and foreign mappings: they are not d's. */
  return type == P2M_RAM || type == P2M_SPECIAL ? hpa : 0;
}

/* Put back in m's domain ld what the mapping covered: its own RAM frame,
 * or a hole.  The entry is a 4 KiB leaf already, so this cannot fail for
 * want of memory; if it did, the mapper would keep a window on a frame
 * about to be freed, so that is a panic (our bug, not the guest's). */
static void restore_slot(struct domain *ld, const struct grant_mapping *m)
{
  paddr_t was;
  enum p2m_type type;
  if (arch_p2m_set_type(ld, m->gfn << PAGE_SHIFT, m->old, m->old ? P2M_RAM : P2M_NONE, &was, &type))
    panic("grant: cannot restore gfn %#llx of %s", (unsigned long long)m->gfn, ld->name);
  if (was != m->frame || (type != P2M_GRANT_RW && type != P2M_GRANT_RO))
    panic("grant: %s gfn %#llx held %#llx, not the granted %#llx", ld->name,
          (unsigned long long)m->gfn, (unsigned long long)was, (unsigned long long)m->frame);
}

void gnttab_undo_mapping(struct domain *ld, uint32_t handle)
{
  struct grant_mapping *m = gnttab_maptrack(ld->grant, handle);
  struct domain *rd = ld->id == m->domid ? ld : gnttab_domain(m->domid);

  restore_slot(ld, m);
  /* The granter's pins go too, unless its table is already gone (then
   * nobody looks at them again). */
  if (rd && rd->grant) {
    grant_unpin(gnttab_entry(rd->grant, m->ref), gnttab_active(rd->grant, m->ref),
                m->flags & GNTMAP_readonly);
    rd->grant->nr_mapped--;
  }
  gnttab_put_handle(ld->grant, handle);
}

void gnttab_release(struct domain *d)
{
  struct grant_table *gt = d->grant;
  unsigned int own = 0, others = 0;

  if (!gt)
    return;
  /* Mappings d made: its own pages come back; the granters' pins drop. */
  for (uint32_t h = 0; h < gt->maptrack_limit; h++) {
    uint32_t f = gnttab_maptrack(gt, h)->flags;
    if (f & GNTMAP_MICA_REVOKED) {
      gnttab_put_handle(gt, h); /* its granter is gone, its slot restored */
    } else if (f) {
      gnttab_undo_mapping(d, h);
      own++;
    }
  }
  /* Mappings other domains made of d's grants: undone in their physical
   * space before d's frames can be freed.  Their handles stay, revoked,
   * for the mapper's own unmap (xenstored and xenconsoled unmap a dead
   * guest's rings after it is gone; Xen answers them GNTST_okay).  A
   * domain that already went away has no table and no mappings left. */
  for (struct domain *o = domain_list; o; o = o->next) {
    struct grant_table *ot = o->grant;
    if (o == d || !ot)
      continue;
    for (uint32_t h = 0; h < ot->maptrack_limit; h++) {
      struct grant_mapping *m = gnttab_maptrack(ot, h);
      if (m->flags && !(m->flags & GNTMAP_MICA_REVOKED) && m->domid == d->id) {
        restore_slot(o, m);
        m->flags |= GNTMAP_MICA_REVOKED;
        m->domid = DOMID_INVALID;
        others++;
      }
    }
  }
  if (own || others)
    pr_info("%s: grant mappings undone: %u it made, %u of its grants in other domains", d->name,
            own, others);
  /* d's physical space may still show its table frames (as special pages,
   * which guestmem_release leaves alone); d never runs again. */
  for (unsigned int i = 0; i < gt->nr_frames; i++) {
    frame_free(gt->frames[i]);
    heap_free(gt->active[i]);
  }
  for (unsigned int c = 0; c < ARRAY_SIZE(gt->maptrack); c++)
    heap_free(gt->maptrack[c]);
  heap_free(gt);
  d->grant = NULL;
}

long gnttab_map_frame(struct domain *d, uint64_t idx, uint64_t gfn)
{
  struct grant_table *gt = d->grant;
  /* Xen passes idx on as an unsigned int (gnttab_get_shared_frame_mfn), so
   * only its low 32 bits count; v1 has no status frames, so
   * XENMAPIDX_grant_table_status just makes idx too big. */
  uint32_t i = (uint32_t)idx;

  if (!gt)
    return -EINVAL;
  /* Frames up to idx appear on demand, as in Xen; a failed growth is
   * -EINVAL there too. */
  if (i >= gt->nr_frames && (i >= gt->max_frames || gnttab_grow(gt, i + 1)))
    return -EINVAL;
  return guestmem_map_special(d, gfn, gt->frames[i], &gt->frame_gfn[i]);
}

bool gnttab_frame_in_use(struct domain *d, paddr_t hpa)
{
  struct grant_table *gt = d->grant;
  /* Only a mapping's pin outlives a hypercall (a copy's goes with it):
   * with none, no scan (a balloon driver asks this for every page). */
  if (!gt || !gt->nr_mapped)
    return false;
  for (unsigned int f = 0; f < gt->nr_frames; f++)
    for (unsigned int i = 0; i < GNTTAB_PER_FRAME; i++)
      if (gt->active[f][i].pin && gt->active[f][i].frame == hpa)
        return true;
  return false;
}

void gnttab_frame_unhooked(struct domain *d, paddr_t hpa)
{
  struct grant_table *gt = d->grant;
  for (unsigned int i = 0; gt && i < gt->nr_frames; i++)
    if (gt->frames[i] == hpa)
      gt->frame_gfn[i] = ~0ULL;
}
