/* memory_op: what a PVH guest asks about and of its memory.  The
 * reservation ops are in memory_reservation.c, the physical map's in
 * physmap.c. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/dombuild.h>
#include <hv/errno.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/memory_reservation.h>
#include <hv/physmap.h>
#include <public/memory.h>

/* The most entries XENMEM_set_memory_map takes (Xen's E820MAX is 1024;
 * a guest's map has a handful). */
#define SET_MEMMAP_MAX 128

/* The guest's memory map as E820 entries: the map hvm_start_info carries
 * (the type numbers are the same). */
static unsigned int memory_map(const struct domain *d, struct e820entry *e)
{
  struct hvm_memmap_table_entry map[DOMBUILD_MEMMAP_MAX];
  unsigned int n = dombuild_memmap(d, map);
  for (unsigned int i = 0; i < n; i++)
    e[i] = (struct e820entry){map[i].addr, map[i].size, map[i].type};
  return n;
}

/* The entries are laid out the same for both kinds of caller; a 32-bit
 * caller's structure has a 32-bit handle (compat_memory_map). */
static long get_memory_map(struct vcpu *v, uint64_t arg)
{
  struct xen_memory_map m;
  struct compat_memory_map c;
  struct e820entry e[DOMBUILD_MEMMAP_MAX];
  bool compat = v->hcall_compat;
  void *raw = compat ? (void *)&c : &m;
  size_t size = compat ? sizeof(c) : sizeof(m);

  if (arch_copy_from_guest(v, raw, arg, size))
    return -EFAULT;
  if (compat)
    m = (struct xen_memory_map){c.nr_entries, c.buffer};
  struct domain *d = v->dom;
  const struct e820entry *src = e;
  unsigned int n;
  if (d->memmap) { /* its toolstack's */
    src = d->memmap;
    n = d->nr_memmap;
  } else if (d->toolstack_built) {
    return -ENOSYS; /* Xen: no map was set */
  } else {
    n = memory_map(d, e); /* the boot-time builder's */
  }
  if (m.nr_entries > n)
    m.nr_entries = n; /* like Xen: a short buffer gets the first entries */
  c.nr_entries = m.nr_entries;
  if (arch_copy_to_guest(v, m.buffer, src, m.nr_entries * sizeof(e[0])) ||
      arch_copy_to_guest(v, arg, raw, size))
    return -EFAULT;
  return 0;
}

/* XENMEM_set_memory_map: a toolstack gives the domain it builds (or a
 * domain itself) its E820 map, which XENMEM_memory_map then returns.
 * Xen 4.19's order (arch/x86/mm.c): the count, the domain, the right to
 * it (itself or privileged), the entries. */
static long set_memory_map(struct vcpu *v, uint64_t arg)
{
  struct xen_foreign_memory_map f;
  struct compat_foreign_memory_map c;
  if (v->hcall_compat) {
    if (arch_copy_from_guest(v, &c, arg, sizeof(c)))
      return -EFAULT;
    f = (struct xen_foreign_memory_map){c.domid, {c.map.nr_entries, c.map.buffer}};
  } else if (arch_copy_from_guest(v, &f, arg, sizeof(f))) {
    return -EFAULT;
  }
  if (f.map.nr_entries > SET_MEMMAP_MAX)
    return -EINVAL;
  struct domain *d;
  long err = domain_lookup(v->dom, f.domid, &d);
  if (err)
    return err;
  struct e820entry *e = heap_alloc(f.map.nr_entries ? f.map.nr_entries * sizeof(*e) : 1);
  if (!e)
    return -ENOMEM;
  if (arch_copy_from_guest(v, e, f.map.buffer, f.map.nr_entries * sizeof(*e))) {
    heap_free(e);
    return -EFAULT;
  }
  heap_free(d->memmap);
  d->memmap = e;
  d->nr_memmap = f.map.nr_entries;
  /* Where its RAM ends, for maximum_gpfn and maximum_ram_page. */
  if (d->toolstack_built) {
    uint64_t low = 0, high = 0;
    for (unsigned int i = 0; i < f.map.nr_entries; i++) {
      /* The map is the caller's: an entry that wraps counts for nothing. */
      if (e[i].type != E820_RAM || e[i].size > ~0ULL - e[i].addr)
        continue;
      uint64_t end = e[i].addr + e[i].size;
      if (end <= GiB(4))
        low = MAX(low, end);
      else
        high = MAX(high, end - GiB(4));
    }
    d->ram_below_4g = low;
    d->mem_bytes = low + high;
  }
  return 0;
}

/* XENMEM_set_pod_target / get_pod_target (Xen's arch_memory_op): with
 * no populate-on-demand here, set only checks the target against the
 * domain's maximum (xl mem-set sets both); both report the domain's
 * pages and an empty PoD cache. */
static long pod_target(struct vcpu *v, unsigned int op, uint64_t arg)
{
  struct xen_pod_target t;
  struct domain *d;
  if (arch_copy_from_guest(v, &t, arg, sizeof(t)))
    return -EFAULT;
  d = t.domid == DOMID_SELF ? v->dom : domain_find(t.domid);
  if (!d)
    return -ESRCH;
  if (!v->dom->privileged)
    return -EPERM; /* XSM_PRIV, even for itself */
  if (op == XENMEM_set_pod_target && t.target_pages > d->max_pages)
    return -EINVAL;
  t.tot_pages = d->nr_frames + d->nr_spare;
  t.pod_cache_pages = t.pod_entries = 0;
  return arch_copy_to_guest(v, arg, &t, sizeof(t)) ? -EFAULT : 0;
}

/* A domid argument (current/maximum_reservation, maximum_gpfn). */
static long domid_arg(struct vcpu *v, uint64_t arg, struct domain **d)
{
  domid_t id;
  if (arch_copy_from_guest(v, &id, arg, sizeof(id)))
    return -EFAULT;
  return domain_lookup(v->dom, id, d);
}

long do_memory_op(struct vcpu *v, unsigned long cmd, uint64_t arg, uint64_t args[6])
{
  struct domain *d = v->dom;
  long err;

  /* The reservation ops (hv/memory_reservation.c) take a start extent in
   * the bits above 6 (Xen's MEMOP_EXTENT_SHIFT), where a continuation
   * puts it. */
  unsigned int op = cmd & ((1U << MEMOP_EXTENT_SHIFT) - 1);
  if (op == XENMEM_increase_reservation || op == XENMEM_decrease_reservation ||
      op == XENMEM_populate_physmap)
    return memory_reservation(v, op, cmd >> MEMOP_EXTENT_SHIFT, arg, args);
  /* So does the batch (hv/physmap.c), where its next entry is. */
  if (op == XENMEM_add_to_physmap_batch)
    return physmap_add_batch(v, cmd >> MEMOP_EXTENT_SHIFT, arg, args);
  /* Anywhere else those bits are -EINVAL, as in Xen. */
  if (cmd >> MEMOP_EXTENT_SHIFT) {
    switch (op) {
    case XENMEM_memory_map:
    case XENMEM_add_to_physmap:
    case XENMEM_remove_from_physmap:
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
    case XENMEM_maximum_ram_page: return -EINVAL;
    default: return -ENOSYS;
    }
  }
  switch (cmd) {
  case XENMEM_memory_map: return get_memory_map(v, arg);
  case XENMEM_add_to_physmap: return physmap_add(v, arg);
  case XENMEM_remove_from_physmap: return physmap_remove(v, arg);
  case XENMEM_set_memory_map: return set_memory_map(v, arg);
  case XENMEM_current_reservation:
    if ((err = domid_arg(v, arg, &d)))
      return err;
    /* Less the RAM pages shared_info replaced; with its spare ones. */
    return (long)(d->nr_frames + d->nr_spare);
  case XENMEM_maximum_reservation:
    if ((err = domid_arg(v, arg, &d)))
      return err;
    return (long)d->max_pages;
  case XENMEM_maximum_gpfn: {
    if ((err = domid_arg(v, arg, &d)))
      return err;
    uint64_t top =
        d->mem_bytes > d->ram_below_4g ? GiB(4) + d->mem_bytes - d->ram_below_4g : d->ram_below_4g;
    uint64_t max = (top >> PAGE_SHIFT) - 1;
    if (d->shared_info_gfn != ~0ULL && d->shared_info_gfn > max)
      max = d->shared_info_gfn;
    return (long)max;
  }
  case XENMEM_set_pod_target:
  case XENMEM_get_pod_target: return pod_target(v, (unsigned int)cmd, arg);
  case XENMEM_acquire_resource:
    /* No resource can be mapped this way here (grant tables are mapped
     * through XENMEM_add_to_physmap, ioreq servers do not exist): Xen's
     * answer for a resource type it does not have, on which Xen's
     * libraries fall back to the older calls. */
    return -EOPNOTSUPP;
  case XENMEM_maximum_ram_page:
    /* The guest's own highest RAM frame: PVH guests see no host frames. */
    return (long)((d->mem_bytes > d->ram_below_4g ? GiB(4) + d->mem_bytes - d->ram_below_4g
                                                  : d->ram_below_4g) >>
                  PAGE_SHIFT) -
           1;
  default: return -ENOSYS;
  }
}
