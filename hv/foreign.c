/* Foreign mappings: frames of one domain (the owner) shown in another's
 * physical space (the mapper) as P2M_FOREIGN entries, made by
 * XENMEM_add_to_physmap_batch with XENMAPSPACE_gmfn_foreign and taken
 * away by XENMEM_remove_from_physmap (hv/physmap.c).
 *
 * Xen keeps the owner's page alive with a page reference while it is
 * mapped, so a domain that ends with its pages mapped stays a zombie
 * until the mapper lets go.  mica has no page references: instead each
 * mapper keeps a table of the mappings it made (gfn -> frame, owner), and
 * each owner counts how many of its frames are mapped.  While that count
 * is not 0 the owner may not free a mapped frame (guestmem's checks answer
 * -EBUSY, as for a frame a grant mapping shows), and when the owner ends
 * its frames are taken out of every mapper's p2m first.  With the count
 * at 0, which is the common case, nothing is scanned.
 *
 * Hypervisor code runs under hv_lock and is not preempted: no lock here. */
#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/foreign.h>
#include <hv/guestmem.h>
#include <hv/heap.h>
#include <hv/printk.h>

#define GFN_LIMIT (1ULL << 36) /* the gfns a p2m holds (4-level EPT, 48 bits) */
#define FIRST_SIZE 64          /* slots of a new table */

/* One mapping: key 0 is a free slot, else gfn + 1 in bits 0..47 and the
 * owner's domid in bits 48..63. */
struct foreign_slot {
  uint64_t key;
  paddr_t frame; /* the owner's frame */
};

/* An open-addressing hash table keyed by gfn (linear probing), at most
 * half full. */
struct foreign_table {
  unsigned int size; /* slots, a power of two */
  unsigned int used;
  struct foreign_slot slot[];
};

static uint64_t make_key(uint64_t gfn, domid_t owner) { return (gfn + 1) | (uint64_t)owner << 48; }
static uint64_t key_gfn(uint64_t key) { return (key & ((1ULL << 48) - 1)) - 1; }
static domid_t key_owner(uint64_t key) { return (domid_t)(key >> 48); }

static unsigned int home(const struct foreign_table *t, uint64_t gfn)
{
  return (unsigned int)((gfn * 0x9e3779b97f4a7c15ULL) >> 32) & (t->size - 1);
}

/* The slot holding gfn, or -1. */
static long find(const struct foreign_table *t, uint64_t gfn)
{
  if (!t)
    return -1;
  for (unsigned int i = home(t, gfn);; i = (i + 1) & (t->size - 1)) {
    if (!t->slot[i].key)
      return -1;
    if (key_gfn(t->slot[i].key) == gfn)
      return i;
  }
}

static void put(struct foreign_table *t, uint64_t key, paddr_t frame)
{
  unsigned int i = home(t, key_gfn(key));
  while (t->slot[i].key)
    i = (i + 1) & (t->size - 1);
  t->slot[i] = (struct foreign_slot){key, frame};
  t->used++;
}

/* Empty slot i, moving back the entries after it that would no longer be
 * found past the gap (deletion without tombstones).  Entries only move
 * into slots at or after i (cyclically), so a scan that deletes at i and
 * looks at i again sees every entry once or more. */
static void take(struct foreign_table *t, unsigned int i)
{
  unsigned int mask = t->size - 1;
  t->slot[i].key = 0;
  t->used--;
  for (unsigned int j = (i + 1) & mask; t->slot[j].key; j = (j + 1) & mask) {
    unsigned int h = home(t, key_gfn(t->slot[j].key));
    /* j's entry may fill the gap at i unless its home lies cyclically in
     * (i, j]. */
    if (((j - h) & mask) >= ((j - i) & mask)) {
      t->slot[i] = t->slot[j];
      t->slot[j].key = 0;
      i = j;
    }
  }
}

/* Room in d's table for one more mapping: 0 or -ENOMEM. */
static int reserve(struct domain *d)
{
  struct foreign_table *t = d->foreign;
  if (t && (t->used + 1) * 2 <= t->size)
    return 0;
  if (t && t->used >= FOREIGN_MAX_MAPPINGS)
    return -ENOMEM;
  unsigned int size = t ? t->size * 2 : FIRST_SIZE;
  struct foreign_table *n = heap_zalloc(sizeof(*n) + size * sizeof(n->slot[0]));
  if (!n)
    return -ENOMEM;
  n->size = size;
  for (unsigned int i = 0; t && i < t->size; i++)
    if (t->slot[i].key)
      put(n, t->slot[i].key, t->slot[i].frame);
  heap_free(t);
  d->foreign = n;
  return 0;
}

int foreign_map(struct domain *mapper, struct domain *owner, uint64_t fgfn, uint64_t gpfn)
{
  enum p2m_type type;
  paddr_t old;

  /* A domain that stopped gave its memory back (or is about to). */
  if (mapper->state != DOMAIN_RUNNING || owner->state != DOMAIN_RUNNING)
    return -EINVAL;
  /* Xen's get_page_from_gfn takes the owner's RAM, its special pages
   * (shared_info and grant frames are RAM to Xen's p2m) included, and
   * refuses holes, grant and foreign mappings: -EINVAL. */
  if (fgfn >= GFN_LIMIT)
    return -EINVAL;
  paddr_t frame = arch_p2m_query(owner, fgfn << PAGE_SHIFT, NULL, &type) & PAGE_MASK;
  if (type != P2M_RAM && type != P2M_SPECIAL)
    return -EINVAL;
  /* Beyond the p2m's width: Xen's ept_set_entry refuses it with -EINVAL. */
  if (gpfn >= GFN_LIMIT)
    return -EINVAL;
  if (reserve(mapper))
    return -ENOMEM;
  /* What the mapper has at gpfn goes first, as in p2m_add_foreign: its
   * own RAM is freed (guest_remove_page, with its -ENXIO for a frame it
   * does not own and mica's -EBUSY for one shown elsewhere); a special
   * page is only unhooked, below. */
  uint64_t gpa = gpfn << PAGE_SHIFT;
  arch_p2m_query(mapper, gpa, NULL, &type);
  if (type == P2M_RAM) {
    int err = guestmem_remove_page(mapper, gpfn);
    if (err)
      return err;
  } else if (type != P2M_NONE && type != P2M_SPECIAL && type != P2M_MMIO && type != P2M_DIRECT) {
    return -ENXIO;
  }
  /* The hardware domain's 1:1 device windows (P2M_MMIO, P2M_DIRECT) are
   * made the first time it touches a hole (hv/hwdom.c), so Linux's
   * unpopulated pages for foreign and grant mappings can hold one: a
   * mapping that lost its frame when its owner died was still read
   * (xenconsoled reads a dead guest's ring).  Xen keeps that frame until
   * the unmap, so it never meets this; here the window simply gives way,
   * as it does for a grant mapping, and comes back on the next touch. */
  if (arch_p2m_set_type(mapper, gpa, frame, P2M_FOREIGN, &old, &type))
    return -ENOMEM; /* no frame to split a 2 MiB page with */
  if (type == P2M_SPECIAL)
    guestmem_special_unhooked(mapper, old);
  put(mapper->foreign, make_key(gpfn, owner->id), frame);
  owner->nr_foreign_mapped++;
  return 0;
}

/* Make gfn of d a hole again after its foreign mapping went from the
 * table.  The entry is a 4 KiB leaf, so no table is needed and this
 * cannot fail for want of memory; if it did, d would keep a window on a
 * frame that may be freed, so that is our bug: panic. */
static void unmap_slot(struct domain *d, uint64_t gfn, paddr_t frame)
{
  paddr_t was;
  enum p2m_type type;
  if (arch_p2m_set_type(d, gfn << PAGE_SHIFT, 0, P2M_NONE, &was, &type) || type != P2M_FOREIGN ||
      was != frame)
    panic("foreign: %s gfn %#llx was not the mapping of %#llx", d->name, (unsigned long long)gfn,
          (unsigned long long)frame);
}

int foreign_unmap(struct domain *mapper, uint64_t gpfn)
{
  long i = find(mapper->foreign, gpfn);
  if (i < 0)
    return -ENOENT;
  struct foreign_slot s = mapper->foreign->slot[i];
  struct domain *owner = domain_find(key_owner(s.key));
  take(mapper->foreign, (unsigned int)i);
  unmap_slot(mapper, gpfn, s.frame);
  if (owner)
    owner->nr_foreign_mapped--;
  return 0;
}

bool foreign_frame_in_use(struct domain *owner, paddr_t hpa)
{
  if (!owner->nr_foreign_mapped)
    return false;
  for (struct domain *o = domain_list; o; o = o->next) {
    struct foreign_table *t = o->foreign;
    for (unsigned int i = 0; t && i < t->size; i++)
      if (t->slot[i].key && key_owner(t->slot[i].key) == owner->id && t->slot[i].frame == hpa)
        return true;
  }
  return false;
}

void foreign_release(struct domain *d)
{
  struct foreign_table *t = d->foreign;
  unsigned int made = 0;

  /* The mappings d made: the owners' counts drop.  The entries stay in
   * d's p2m, which goes next and frees only P2M_RAM. */
  for (unsigned int i = 0; t && i < t->size; i++) {
    if (!t->slot[i].key)
      continue;
    struct domain *owner = domain_find(key_owner(t->slot[i].key));
    if (owner)
      owner->nr_foreign_mapped--;
    made++;
  }
  heap_free(t);
  d->foreign = NULL;
  if (made)
    pr_info("%s: %u foreign mappings it made dropped", d->name, made);

  /* Other domains' mappings of d's frames: holes from now on. */
  for (struct domain *o = domain_list; o && d->nr_foreign_mapped; o = o->next) {
    struct foreign_table *ot = o->foreign;
    unsigned int revoked = 0;
    for (unsigned int i = 0; ot && i < ot->size;) {
      struct foreign_slot s = ot->slot[i];
      if (!s.key || key_owner(s.key) != d->id) {
        i++;
        continue;
      }
      take(ot, i); /* slot i may now hold another entry: look again */
      unmap_slot(o, key_gfn(s.key), s.frame);
      d->nr_foreign_mapped--;
      revoked++;
    }
    if (revoked)
      pr_info("%s: %u foreign mappings of its frames revoked in %s", d->name, revoked, o->name);
  }
  if (d->nr_foreign_mapped)
    pr_err("%s: %lu foreign mappings of its frames not found", d->name, d->nr_foreign_mapped);
  d->nr_foreign_mapped = 0;
}
