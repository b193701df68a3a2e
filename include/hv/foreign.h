/* Foreign mappings (hv/foreign.c): a frame of one domain, the owner,
 * shown at a gfn of another, the mapper, by XENMEM_add_to_physmap_batch
 * with XENMAPSPACE_gmfn_foreign (what a toolstack in dom0 uses to load
 * and inspect a guest).  The owner's frame cannot be freed while it is
 * mapped, and when the owner ends every mapping of its frames is revoked
 * first. */
#ifndef HV_FOREIGN_H
#define HV_FOREIGN_H

#include <hv/domain.h>

/* The most foreign mappings one domain may hold at a time (its table is
 * one heap block of twice as many 16-byte slots at most). */
#define FOREIGN_MAX_MAPPINGS (1U << 18)

/* Map the frame at fgfn of owner at gpfn of mapper, writable, as Xen
 * 4.19's p2m_add_foreign does once the domains are checked (the caller
 * checks them: owner != mapper, permissions).  What was at gpfn goes:
 * mapper's RAM is freed (guestmem_remove_page), a special page is
 * unhooked.  Returns 0, -EINVAL (either domain has stopped; fgfn is not
 * owner's RAM or special page; gpfn beyond 36 bits), -ENXIO (gpfn holds a
 * frame mapper does not own: a grant or foreign mapping), -EBUSY (gpfn
 * holds mapper's RAM that a grant or foreign mapping shows elsewhere) or
 * -ENOMEM (no room in mapper's table, FOREIGN_MAX_MAPPINGS reached, or no
 * frame to split a 2 MiB page). */
int foreign_map(struct domain *mapper, struct domain *owner, uint64_t fgfn, uint64_t gpfn);
/* Take the foreign mapping at gpfn of mapper away: gpfn becomes a hole
 * and the owner's count drops.  Returns 0, or -ENOENT when gpfn holds no
 * foreign mapping. */
int foreign_unmap(struct domain *mapper, uint64_t gpfn);
/* Whether some domain maps owner's frame hpa now.  Answers at once, with
 * no scan, when none of owner's frames are mapped (the common case). */
bool foreign_frame_in_use(struct domain *owner, paddr_t hpa);
/* d ends (domain_release, before its grant frames and RAM are freed):
 * the mappings it made are forgotten (their entries go with its p2m,
 * which never frees a P2M_FOREIGN frame) and other domains' mappings of
 * its frames are revoked: holes in their p2m, flushed, so nobody keeps a
 * window on frames about to be freed.  Logs what it did; nothing to do
 * costs no scan. */
void foreign_release(struct domain *d);

#endif
