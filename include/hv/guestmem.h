/* A domain's RAM: frames behind its guest-physical addresses. */
#ifndef HV_GUESTMEM_H
#define HV_GUESTMEM_H

#include <hv/domain.h>

/* Back guest-physical [gpa, gpa + size) with fresh zeroed frames, 2 MiB
 * pages where alignment and free memory allow, else 4 KiB.  Returns 0 or
 * -ENOMEM (what was mapped stays mapped; guestmem_release frees it). */
int guestmem_populate(struct domain *d, uint64_t gpa, uint64_t size);
/* Put the hypervisor frame hpa (shared_info, a grant table frame) at gfn
 * of d as a special page (XENMEM_add_to_physmap).  *where is where it was
 * (~0: nowhere); that slot becomes a hole if it still holds hpa, and
 * *where becomes gfn.  RAM at gfn goes back to the allocator; another
 * special page there is unhooked (its record says nowhere).  Returns 0,
 * -EINVAL (gfn beyond 36 bits), -ENXIO (gfn holds a granted or foreign
 * frame, which d does not own), -EBUSY (gfn holds d's RAM that a grant or
 * foreign mapping shows) or -ENOMEM. */
int guestmem_map_special(struct domain *d, uint64_t gfn, paddr_t hpa, uint64_t *where);
/* The special page hpa of d lost its place in d's physical space: forget
 * where it was. */
void guestmem_special_unhooked(struct domain *d, paddr_t hpa);
/* Give back every frame of d's RAM (P2M_RAM entries only, wherever they
 * are), its spare frames and its translation tables. */
void guestmem_release(struct domain *d);
/* One fresh zeroed 4 KiB frame of RAM at gfn (XENMEM_populate_physmap);
 * RAM already there is replaced and freed.  The caller checks d's
 * max_pages.  Returns 0, -EINVAL (gfn beyond 36 bits), -EBUSY (gfn holds
 * a special page, a grant or foreign mapping, or RAM that a grant or
 * foreign mapping shows elsewhere) or -ENOMEM. */
int guestmem_add_page(struct domain *d, uint64_t gfn);
/* 512 fresh zeroed frames, physically contiguous, at gfn (2 MiB aligned)
 * of d as one 2 MiB mapping, when [gfn, gfn + 512) is all hole.  The
 * caller checks max_pages.  Returns 0, -EINVAL (gfn unaligned or beyond
 * 36 bits), -EEXIST (something is mapped in the range: map its pages one
 * by one) or -ENOMEM (no free 2 MiB run). */
int guestmem_add_2m(struct domain *d, uint64_t gfn);
/* Give the RAM page at gfn back to the allocator (XENMEM_decrease_
 * reservation): gfn becomes a hole.  Returns 0, -ENOENT (nothing there),
 * -ENXIO (not d's RAM: a special page, a granted or foreign frame),
 * -EBUSY (a grant or foreign mapping shows it elsewhere: Xen would free
 * it when the last mapping goes, mica refuses) or -ENOMEM (a 2 MiB page
 * could not be split). */
int guestmem_remove_page(struct domain *d, uint64_t gfn);
/* Pages given back in a run (decrease_reservation) with one flush of the
 * CPUs' translations for many of them: each page leaves the p2m at once
 * (so nothing in the hypervisor reaches it), its frame is freed only
 * after the flush.  Start with {.d = d}; end with guestmem_batch_end
 * before the hypervisor lets the domain run again. */
#define GUESTMEM_BATCH 64
struct guestmem_batch {
  struct domain *d;
  unsigned int n;                 /* frames waiting for the flush */
  paddr_t frames[GUESTMEM_BATCH]; /* ... and which */
};
/* As guestmem_remove_page, within batch b (b->d's page at gfn); may end
 * the batch first when it is full. */
int guestmem_batch_remove(struct guestmem_batch *b, uint64_t gfn);
/* Flush b->d's translations on every CPU if a page left since the last
 * flush, then free b's frames (as dirty: see frame.h); b may go on. */
void guestmem_batch_end(struct guestmem_batch *b);
/* Copy between hypervisor memory and guest-physical memory.  Returns 0,
 * or -EFAULT when part of the range is not guest RAM (nothing is copied
 * past that point). */
int guestmem_write(struct domain *d, uint64_t gpa, const void *src, size_t len);
int guestmem_read(struct domain *d, uint64_t gpa, void *dst, size_t len);
/* Fill guest-physical memory with zeros; 0 or -EFAULT. */
int guestmem_zero(struct domain *d, uint64_t gpa, size_t len);

#endif
