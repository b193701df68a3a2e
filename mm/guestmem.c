/* Guest RAM: frames from the allocator, mapped by the arch's second-level
 * tables (EPT).  Everything a domain owns is reachable only through them,
 * and every copy goes through arch_p2m_lookup, page by page. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/foreign.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/printk.h>
#include <hv/string.h>

__cold int guestmem_populate(struct domain *d, uint64_t gpa, uint64_t size)
{
  uint64_t end = gpa + size;

  if (!IS_ALIGNED(gpa | size, PAGE_SIZE) || end < gpa)
    return -EINVAL;
  while (gpa < end) {
    paddr_t hpa = 0;
    uint64_t step = PAGE_SIZE;
    if (IS_ALIGNED(gpa, MiB(2)) && end - gpa >= MiB(2)) {
      hpa = frame_alloc_contig_zeroed(512, 512);
      if (hpa)
        step = MiB(2);
    }
    if (!hpa)
      hpa = frame_alloc_zeroed();
    if (!hpa)
      return -ENOMEM;
    int err = arch_p2m_map(d, gpa, hpa, step);
    if (err) {
      if (step == MiB(2))
        frame_free_contig(hpa, 512);
      else
        frame_free(hpa);
      return err;
    }
    d->nr_frames += step / PAGE_SIZE;
    gpa += step;
  }
  return 0;
}

/* Free one RAM mapping's frames (arch_p2m_each).  Only P2M_RAM is the
 * domain's: special pages are freed by their owner (domain, grant table)
 * and granted frames belong to the granter. */
static void release_leaf(struct domain *d, uint64_t gpa, paddr_t hpa, uint64_t size,
                         enum p2m_type type, void *arg)
{
  (void)gpa;
  (void)arg;
  if (type != P2M_RAM)
    return;
  if (size == MiB(2))
    frame_free_contig(hpa, 512);
  else
    frame_free(hpa);
  d->nr_frames -= size / PAGE_SIZE;
}

/* Whether d's RAM frame hpa is shown elsewhere (a grant mapping, a
 * foreign mapping), so that it may not be freed now.  Xen frees such a
 * page when the last reference goes; we refuse (-EBUSY). */
static bool shown_elsewhere(struct domain *d, paddr_t hpa)
{
  return gnttab_frame_in_use(d, hpa) || foreign_frame_in_use(d, hpa);
}

void guestmem_special_unhooked(struct domain *d, paddr_t hpa)
{
  if (hpa == d->shared_info)
    d->shared_info_gfn = ~0ULL;
  else
    gnttab_frame_unhooked(d, hpa);
}

int guestmem_map_special(struct domain *d, uint64_t gfn, paddr_t hpa, uint64_t *where)
{
  uint64_t gpa = gfn << PAGE_SHIFT;
  enum p2m_type type;
  paddr_t old;

  if (gfn >= (1ULL << 36))
    return -EINVAL;
  /* A granted frame there is not the domain's to free: Xen's
   * guest_remove_page (common/memory.c) refuses it with -ENXIO. */
  paddr_t there = arch_p2m_query(d, gpa, NULL, &type);
  if (type == P2M_GRANT_RW || type == P2M_GRANT_RO || type == P2M_FOREIGN)
    return -ENXIO;
  /* Its own RAM page that a grant or foreign mapping shows elsewhere
   * cannot be freed now; Xen frees it when the last mapping goes (page
   * references), we refuse. */
  if (type == P2M_RAM && shown_elsewhere(d, there & PAGE_MASK))
    return -EBUSY;
  /* Unhook the page from where it was, if it is still there (a grant
   * mapping may have taken that slot since). */
  if (*where != ~0ULL && *where != gfn && arch_p2m_lookup(d, *where << PAGE_SHIFT, NULL) == hpa) {
    if (arch_p2m_set_type(d, *where << PAGE_SHIFT, 0, P2M_NONE, &old, NULL))
      return -ENOMEM;
  }
  if (arch_p2m_set_type(d, gpa, hpa, P2M_SPECIAL, &old, &type))
    return -ENOMEM;
  /* What was at gfn: RAM is freed (Xen's xenmem_add_to_physmap_one);
   * another special page is only unhooked. */
  if (type == P2M_RAM) {
    /* A vcpu_info registered in that page stays where it is (Xen keeps
     * its reference to the page): the frame then goes with the domain. */
    if (!domain_keep_vcpu_info_frame(d, old))
      frame_free(old);
    d->nr_frames--;
  } else if (type == P2M_SPECIAL && old != hpa) {
    guestmem_special_unhooked(d, old);
  }
  *where = gfn;
  return 0;
}

__cold void guestmem_release(struct domain *d)
{
  /* Wherever its RAM is: populate_physmap may have put some anywhere. */
  arch_p2m_each(d, release_leaf, NULL);
  arch_p2m_destroy(d);
  while (d->spare) {
    paddr_t next = *(paddr_t *)phys_to_virt(d->spare);
    frame_free(d->spare);
    d->spare = next;
    d->nr_spare--;
  }
}

int guestmem_add_2m(struct domain *d, uint64_t gfn)
{
  if ((gfn & 511) || gfn >= (1ULL << 36))
    return -EINVAL;
  /* The hardware domain's RAM is 1:1 (hv/hwdom.c): the frames its
   * address names, or none. */
  paddr_t hpa =
      d->hwdom ? frame_claim_zeroed(gfn << PAGE_SHIFT, 512) : frame_alloc_contig_zeroed(512, 512);
  if (!hpa)
    return -ENOMEM;
  /* A new leaf where there was none: no CPU holds a translation to flush. */
  int err = arch_p2m_map(d, gfn << PAGE_SHIFT, hpa, MiB(2));
  if (err) {
    frame_free_contig(hpa, 512);
    return err;
  }
  d->nr_frames += 512;
  return 0;
}

int guestmem_add_page(struct domain *d, uint64_t gfn)
{
  uint64_t gpa = gfn << PAGE_SHIFT;
  enum p2m_type type;
  paddr_t old;

  if (gfn >= (1ULL << 36))
    return -EINVAL;
  paddr_t there = arch_p2m_query(d, gpa, NULL, &type) & PAGE_MASK;
  /* A Xen toolstack building the domain puts its console page where the
   * hypervisor's console ring is (both use Xen's special-page gfns). */
  if (type == P2M_SPECIAL && console_ring_yield(d, there))
    there = arch_p2m_query(d, gpa, NULL, &type) & PAGE_MASK;
  if (type != P2M_NONE && type != P2M_RAM)
    return -EBUSY; /* a special page, a grant or foreign mapping: not RAM to replace */
  if (type == P2M_RAM && shown_elsewhere(d, there))
    return -EBUSY;
  paddr_t hpa = d->hwdom ? frame_claim_zeroed(gpa, 1) : frame_alloc_zeroed();
  if (!hpa)
    return -ENOMEM;
  if (arch_p2m_set_type(d, gpa, hpa, P2M_RAM, &old, &type)) {
    frame_free(hpa);
    return -ENOMEM;
  }
  if (type == P2M_RAM) {
    /* RAM was there: the new frame replaces it (flushed from the CPUs'
     * translations by arch_p2m_set_type before it is freed). */
    if (!domain_keep_vcpu_info_frame(d, old))
      frame_free(old);
  } else {
    d->nr_frames++;
  }
  return 0;
}

/* Take d's RAM page at gfn out of its p2m (the checks and errors are
 * guestmem_remove_page's), flushing the CPUs' translations now or leaving
 * that to the caller (arch_p2m_flush).  *frame gets the frame to free once
 * no CPU can reach it, or 0 when it stays (a vcpu_info is in it). */
static int unmap_ram(struct domain *d, uint64_t gfn, bool flush, paddr_t *frame)
{
  uint64_t gpa = gfn << PAGE_SHIFT;
  enum p2m_type type;
  paddr_t old;

  if (gfn >= (1ULL << 36))
    return -ENOENT;
  paddr_t hpa = arch_p2m_query(d, gpa, NULL, &type) & PAGE_MASK;
  if (type == P2M_NONE)
    return -ENOENT;
  if (type != P2M_RAM)
    return -ENXIO; /* not RAM the domain owns (a foreign frame among them) */
  if (shown_elsewhere(d, hpa))
    return -EBUSY;
  int err = flush ? arch_p2m_set_type(d, gpa, 0, P2M_NONE, &old, NULL)
                  : arch_p2m_set_type_noflush(d, gpa, 0, P2M_NONE, &old, NULL);
  if (err)
    return -ENOMEM; /* no frame to split a 2 MiB page with */
  d->nr_frames--;
  /* A vcpu_info there stays where it is (Xen keeps its reference to the
   * page): the frame then goes with the domain. */
  *frame = domain_keep_vcpu_info_frame(d, old) ? 0 : old;
  return 0;
}

int guestmem_remove_page(struct domain *d, uint64_t gfn)
{
  paddr_t frame;
  int err = unmap_ram(d, gfn, true, &frame);
  if (!err && frame)
    frame_free(frame);
  return err;
}

int guestmem_batch_remove(struct guestmem_batch *b, uint64_t gfn)
{
  paddr_t frame;
  if (b->n == GUESTMEM_BATCH)
    guestmem_batch_end(b);
  int err = unmap_ram(b->d, gfn, false, &frame);
  if (!err && frame)
    b->frames[b->n++] = frame;
  return err;
}

void guestmem_batch_end(struct guestmem_batch *b)
{
  /* No vcpu of the domain, on any CPU, reaches them after this. */
  arch_p2m_flush(b->d);
  for (unsigned int i = 0; i < b->n; i++)
    frame_free(b->frames[i]);
  b->n = 0;
}

/* Apply fn to each piece of [gpa, gpa+len) that lies within one page;
 * write: refuse pages the guest itself may not write (read-only grants). */
static int each_page(struct domain *d, uint64_t gpa, size_t len, bool write,
                     void (*fn)(void *host, size_t n, size_t done, void *arg), void *arg)
{
  size_t done = 0;
  while (done < len) {
    uint64_t size;
    enum p2m_type type;
    paddr_t hpa = arch_p2m_query(d, gpa + done, &size, &type);
    if (!hpa || (write && type == P2M_GRANT_RO))
      return -EFAULT;
    size_t n = MIN(len - done, (size_t)(size - ((gpa + done) & (size - 1))));
    fn(phys_to_virt(hpa), n, done, arg);
    done += n;
  }
  return 0;
}

static void do_write(void *host, size_t n, size_t done, void *arg)
{
  memcpy(host, (const char *)arg + done, n);
}

static void do_read(void *host, size_t n, size_t done, void *arg)
{
  memcpy((char *)arg + done, host, n);
}

static void do_zero(void *host, size_t n, size_t done, void *arg)
{
  (void)done;
  (void)arg;
  memset(host, 0, n);
}

int guestmem_write(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
  return each_page(d, gpa, len, true, do_write, (void *)src);
}

int guestmem_read(struct domain *d, uint64_t gpa, void *dst, size_t len)
{
  return each_page(d, gpa, len, false, do_read, dst);
}

int guestmem_zero(struct domain *d, uint64_t gpa, size_t len)
{
  return each_page(d, gpa, len, true, do_zero, NULL);
}
