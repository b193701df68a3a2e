/* memory_op: what a PVH guest asks about and of its memory.  The
 * reservation ops are in memory_reservation.c, the physical map's in
 * physmap.c. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/dombuild.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/memory_reservation.h>
#include <hv/physmap.h>
#include <public/memory.h>

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
  unsigned int n = memory_map(v->dom, e);
  if (m.nr_entries > n)
    m.nr_entries = n; /* like Xen: a short buffer gets the first entries */
  c.nr_entries = m.nr_entries;
  if (arch_copy_to_guest(v, m.buffer, e, m.nr_entries * sizeof(e[0])) ||
      arch_copy_to_guest(v, arg, raw, size))
    return -EFAULT;
  return 0;
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
  case XENMEM_maximum_ram_page:
    /* The guest's own highest RAM frame: PVH guests see no host frames. */
    return (long)((d->mem_bytes > d->ram_below_4g ? GiB(4) + d->mem_bytes - d->ram_below_4g
                                                  : d->ram_below_4g) >>
                  PAGE_SHIFT) -
           1;
  default: return -ENOSYS;
  }
}
