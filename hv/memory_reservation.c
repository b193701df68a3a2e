/* A domain's memory while it runs: XENMEM_increase_reservation,
 * XENMEM_decrease_reservation and XENMEM_populate_physmap (ballooning), as
 * Xen 4.19's common/memory.c answers them for a translated (PVH) guest.
 * Each takes a list of extents (2^extent_order pages each) and returns how
 * many it handled: it stops at the first one it cannot handle, and a
 * request it refuses as a whole handles none.  Long lists continue after
 * a turn of the other vcpus (a continuation, as Xen's, with the extents
 * done in the command's upper bits).  A domain's pages stay within its
 * max_pages; the frames go to and come from the hypervisor's free pool.
 * The page-by-page work is mm/guestmem.c's. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/guestmem.h>
#include <hv/hypercall.h>
#include <hv/memory_reservation.h>
#include <hv/string.h>
#include <public/memory.h>

/* Extents handled before the call continues after a turn. */
#define RESERVATION_TURN 256
/* The largest extent_order a caller may use (Xen's max_order with its
 * default CONFIG_DOMU_MAX_ORDER and CONFIG_CTLDOM/HWDOM_MAX_ORDER). */
#define DOMU_MAX_ORDER 9
#define DOM0_MAX_ORDER 12

/* The request, whichever layout the caller used. */
struct request {
  uint64_t extents; /* the guest's array of frame numbers */
  size_t pfn_size;  /* its elements: 8 bytes, 4 for a 32-bit caller */
  uint64_t nr_extents;
  unsigned int order;
  unsigned int flags;
  domid_t domid;
};

static int read_request(struct vcpu *v, uint64_t arg, struct request *r)
{
  if (v->hcall_compat) {
    struct compat_memory_reservation c;
    if (arch_copy_from_guest(v, &c, arg, sizeof(c)))
      return -EFAULT;
    *r = (struct request){c.extent_start, 4, c.nr_extents, c.extent_order, c.mem_flags, c.domid};
    return 0;
  }
  struct xen_memory_reservation n;
  if (arch_copy_from_guest(v, &n, arg, sizeof(n)))
    return -EFAULT;
  *r = (struct request){n.extent_start, 8, n.nr_extents, n.extent_order, n.mem_flags, n.domid};
  return 0;
}

/* The extents read ahead: a run of the guest's array, read in one copy
 * (each page given or taken changes the p2m, which makes the next read
 * walk the guest's page tables afresh). */
#define READ_AHEAD 32
struct extents {
  uint64_t first, n; /* extents [first, first + n) are in raw */
  uint8_t raw[READ_AHEAD * 8];
};

/* Extent i's frame number, read ahead up to end.  A run that cannot be
 * read whole is read one by one, so a fault stops at the extent it is in,
 * as in Xen. */
static int read_extent(struct vcpu *v, const struct request *r, struct extents *x, uint64_t i,
                       uint64_t end, uint64_t *gfn)
{
  if (i < x->first || i >= x->first + x->n) {
    uint64_t n = MIN(end - i, (uint64_t)READ_AHEAD);
    if (arch_copy_from_guest(v, x->raw, r->extents + i * r->pfn_size, n * r->pfn_size)) {
      n = 1;
      if (arch_copy_from_guest(v, x->raw, r->extents + i * r->pfn_size, r->pfn_size))
        return -EFAULT;
    }
    x->first = i;
    x->n = n;
  }
  *gfn = 0;
  memcpy(gfn, x->raw + (i - x->first) * r->pfn_size, r->pfn_size);
  return 0;
}

/* The flags Xen's construct_memop_from_reservation refuses: an address
 * width that leaves no page (a width is otherwise met: a translated guest
 * never sees the host addresses it would limit), or a NUMA node other
 * than the one there is (a virtual node: this domain has no vNUMA). */
static bool flags_ok(unsigned int flags)
{
  unsigned int bits = XENMEMF_get_address_bits(flags), node = XENMEMF_get_node(flags);
  if (bits && bits <= PAGE_SHIFT)
    return false;
  if (flags & XENMEMF_vnode)
    return true; /* no vNUMA: Xen ignores the node then */
  return node == 0xff || node == 0;
}

/* Extent i of populate_physmap: 2^order fresh pages from gfn on. */
static bool populate(struct domain *d, uint64_t gfn, unsigned int order)
{
  uint64_t n = 1ULL << order;
  if (d->nr_frames + d->nr_spare + n > d->max_pages)
    return false; /* Xen's assign_pages: "Over-allocation" */
  /* A 2 MiB extent into a hole is one 2 MiB mapping (what a domain
   * builder asks for); otherwise, and if no 2 MiB run is free, page by
   * page. */
  if (order == 9 && !guestmem_add_2m(d, gfn))
    return true;
  for (uint64_t j = 0; j < n; j++)
    if (guestmem_add_page(d, gfn + j))
      return false;
  return true;
}

/* Extent i of decrease_reservation: the pages from gfn on go back, their
 * frames freed once the batch's flush is done.  As in Xen, the pages of
 * a half-done extent stay given back. */
static bool decrease(struct guestmem_batch *b, uint64_t gfn, unsigned int order)
{
  for (uint64_t j = 0; j < 1ULL << order; j++)
    if (guestmem_batch_remove(b, gfn + j))
      return false;
  return true;
}

/* Extent i of increase_reservation: for a translated guest Xen gives it
 * pages that have no frame number in its physical space (only a PV guest
 * is told their machine addresses), counted in its reservation until it
 * dies.  So here: spare frames on d's list. */
static bool increase(struct domain *d, unsigned int order)
{
  uint64_t n = 1ULL << order;
  if (d->nr_frames + d->nr_spare + n > d->max_pages)
    return false;
  for (uint64_t j = 0; j < n; j++) {
    paddr_t f = frame_alloc();
    if (!f)
      return false;
    *(paddr_t *)phys_to_virt(f) = d->spare;
    d->spare = f;
    d->nr_spare++;
  }
  return true;
}

long memory_reservation(struct vcpu *v, unsigned int op, uint64_t start, uint64_t arg,
                        uint64_t args[6])
{
  struct request r;
  struct domain *d;

  /* Xen's order; each refusal of the whole request is "start extents
   * done", not an errno. */
  if (read_request(v, arg, &r))
    return (long)start;
  if (r.nr_extents > (UINT32_MAX >> MEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
    return (long)start;
  if (domain_lookup(v->dom, r.domid, &d) || !flags_ok(r.flags))
    return (long)start;
  /* A domain that has stopped gave its memory back already (Xen refuses
   * to assign pages to a dying domain). */
  if (d->state != DOMAIN_RUNNING)
    return (long)start;
  unsigned int max_order = v->dom->privileged ? DOM0_MAX_ORDER : DOMU_MAX_ORDER;
  bool pod = op == XENMEM_populate_physmap && (r.flags & XENMEMF_populate_on_demand);
  if (r.order > max_order || pod) /* populate-on-demand is not there */
    return (long)start;

  uint64_t i = start, end = MIN(r.nr_extents, start + RESERVATION_TURN);
  struct extents x = {.n = 0};
  /* The pages given back: one flush of the CPUs' translations for many
   * (GUESTMEM_BATCH), and always one before the guest runs again. */
  struct guestmem_batch b = {.d = d};
  for (; i < r.nr_extents; i++) {
    if (i == end) {
      guestmem_batch_end(&b);
      args[0] = op | i << MEMOP_EXTENT_SHIFT;
      return -ERESTART;
    }
    uint64_t gfn = 0;
    if (op != XENMEM_increase_reservation && read_extent(v, &r, &x, i, end, &gfn))
      break;
    bool done = op == XENMEM_populate_physmap       ? populate(d, gfn, r.order)
                : op == XENMEM_decrease_reservation ? decrease(&b, gfn, r.order)
                                                    : increase(d, r.order);
    if (!done)
      break;
  }
  guestmem_batch_end(&b);
  return (long)i;
}
