/* Grant tables (version 1): a domain's table of grants, the hypervisor's
 * record of which grants are in use (pins), and the mappings a domain made
 * of other domains' grants (maptrack).  The guest ABI is in
 * include/public/grant_table.h. */
#ifndef HV_GRANT_TABLE_H
#define HV_GRANT_TABLE_H

#include <hv/domain.h>
#include <public/grant_table.h>

/* Sizes as in Xen 4.19 (common/grant_table.c: opt_max_grant_frames = 64;
 * x86 INITIAL_NR_GRANT_FRAMES = 1).  Xen allows up to 1024 maptrack
 * frames (256 Ki mappings) per domain; we allow GNTTAB_MAPTRACK_MAX, made
 * a chunk (12 KiB) at a time as they are needed.  A backend domain holds
 * many: Linux's blkback keeps up to 1,056 persistent grants per ring, and
 * netback maps up to 256 per queue, for each guest.  (The chunk pointers
 * keep struct grant_table within the heap's 2 KiB blocks.) */
#define GNTTAB_MAX_FRAMES 64
#define GNTTAB_INITIAL_FRAMES 1
#define GNTTAB_PER_FRAME (PAGE_SIZE / sizeof(struct grant_entry_v1)) /* 512 */
#define GNTTAB_MAPTRACK_CHUNK 256
#define GNTTAB_MAPTRACK_MAX 8192

/* Pin counters of one grant in use, Xen's layout for host mappings: 8
 * bits of writable pins, 8 bits of read-only pins.  A map or a copy takes
 * one; a kind whose counter reaches 128 takes no more (Xen's
 * GNTPIN_incr2oflow_mask), which bounds how often one grant is mapped. */
#define GRANT_PIN_W_INC 0x0001u
#define GRANT_PIN_R_INC 0x0100u
#define GRANT_PIN_W_MASK 0x00ffu
#define GRANT_PIN_R_MASK 0xff00u

/* The hypervisor's state of one grant (Xen's active entry). */
struct grant_active {
  uint32_t pin;  /* GRANT_PIN_* counters; 0: not in use */
  domid_t domid; /* the domain holding the pins */
  paddr_t frame; /* the granted frame (host address) while pinned */
};

/* One mapping a domain made (GNTTABOP_map_grant_ref); the handle is its
 * index.  flags == 0: a free slot. */
/* A mapping whose granter went away: the mapper's page is back in its
 * slot, and the handle waits for the mapper's unmap, which then succeeds
 * as in Xen (where the granter lingers, dying, until it is unmapped). */
#define GNTMAP_MICA_REVOKED (1U << 31)

struct grant_mapping {
  uint32_t flags;     /* GNTMAP_host_map [| GNTMAP_readonly] [| GNTMAP_MICA_REVOKED] */
  domid_t domid;      /* the granting domain */
  grant_ref_t ref;    /* its grant */
  uint64_t gfn;       /* where the mapper sees the frame */
  paddr_t frame;      /* the granted frame */
  paddr_t old;        /* the mapper's RAM frame the mapping covers (0: none) */
  uint32_t next_free; /* free list link */
};

struct grant_table {
  unsigned int nr_frames;                         /* frames of entries now */
  unsigned int max_frames;                        /* it may grow to (<= GNTTAB_MAX_FRAMES) */
  paddr_t frames[GNTTAB_MAX_FRAMES];              /* hypervisor-owned, zeroed */
  uint64_t frame_gfn[GNTTAB_MAX_FRAMES];          /* where the domain put each; ~0: nowhere */
  struct grant_active *active[GNTTAB_MAX_FRAMES]; /* GNTTAB_PER_FRAME each */
  struct grant_mapping *maptrack[GNTTAB_MAPTRACK_MAX / GNTTAB_MAPTRACK_CHUNK];
  unsigned int maptrack_limit; /* handles that exist */
  uint32_t maptrack_free;      /* first free handle, or ~0 */
  unsigned int maptrack_used;  /* mappings held now */
  unsigned int nr_mapped;      /* mappings other domains (or it) hold of its grants */
};

/* ---- Flag and pin transitions (hv/grant_pin.c; pure, unit-tested) ---- */

/* Take a pin of grant e (shared with the granter, which may change it at
 * any time) for domain ldom, readonly or not; map: for a mapping (then a
 * GTF_sub_page entry does not qualify), else for a copy.  Checks, as
 * Xen's _set_status_v1 and map_grant_ref/acquire_grant_for_copy do: a
 * grant pinned by another domain, or whose counter would overflow, is
 * GNTST_general_error; an unpinned grant must be GTF_permit_access for
 * ldom; a writable pin needs no GTF_readonly.  Sets GTF_reading (and
 * GTF_writing for a writable pin) in e.  Does not count the pin: call
 * grant_pin_commit once the frame is known, or grant_pin_abort.  Returns
 * GNTST_okay or GNTST_general_error (nothing changed). */
int grant_pin_begin(struct grant_entry_v1 *e, const struct grant_active *act, domid_t ldom,
                    bool readonly, bool map);
/* Count the pin taken by grant_pin_begin; frame is the granted frame
 * (recorded when this is the first pin). */
void grant_pin_commit(struct grant_active *act, domid_t ldom, bool readonly, paddr_t frame);
/* Undo grant_pin_begin's flags when the pin cannot be completed. */
void grant_pin_abort(struct grant_entry_v1 *e, const struct grant_active *act, bool readonly);
/* Drop one committed pin; GTF_writing goes when no writable pin is left,
 * GTF_reading when no pin is left (Xen's reduce_status_for_pin). */
void grant_unpin(struct grant_entry_v1 *e, struct grant_active *act, bool readonly);

/* ---- The table (hv/grant_table.c) ---- */

/* Give d a grant table with its initial frame.  Returns 0 or -ENOMEM. */
/* (The functions up to gnttab_release serve grant_op.c.) */
int gnttab_init(struct domain *d);
/* The most frames d's table may grow to (XEN_DOMCTL_createdomain's
 * max_grant_frames): n, but at most GNTTAB_MAX_FRAMES and at least what
 * it has. */
void gnttab_set_max_frames(struct domain *d, unsigned int n);
/* Grow gt to n frames; 0, -EINVAL (n > gt->max_frames) or -ENOMEM. */
int gnttab_grow(struct grant_table *gt, unsigned int n);
/* Entry and active entry of ref; ref must be below nr_frames * GNTTAB_PER_FRAME. */
struct grant_entry_v1 *gnttab_entry(struct grant_table *gt, grant_ref_t ref);
struct grant_active *gnttab_active(struct grant_table *gt, grant_ref_t ref);
/* The maptrack slot of handle, or NULL if no such handle exists. */
struct grant_mapping *gnttab_maptrack(struct grant_table *gt, uint32_t handle);
/* A free handle (its slot has flags 0), or ~0 when GNTTAB_MAPTRACK_MAX
 * are in use or memory runs out. */
uint32_t gnttab_get_handle(struct grant_table *gt);
/* Free a handle; its slot is cleared. */
void gnttab_put_handle(struct grant_table *gt, uint32_t handle);
/* The running domain with this exact id (DOMID_SELF is no id), or NULL. */
struct domain *gnttab_domain(domid_t id);
/* The host frame behind gfn of d if d owns it (RAM or a special page), or
 * 0 (a hole, a granted frame, gfn beyond 36 bits). */
paddr_t gnttab_own_frame(struct domain *d, uint64_t gfn);
/* Undo mapping handle of ld: ld's own page (or a hole) comes back at its
 * gfn, the granter's pin is dropped, the handle is freed. */
void gnttab_undo_mapping(struct domain *ld, uint32_t handle);
/* d is going away: every mapping it made is undone (its own pages come
 * back where the mappings were) and every mapping other domains made of
 * its grants is undone in their physical space (their own pages come
 * back), then its table's frames are freed.  Call before d's RAM is
 * released; safe to call twice. */
void gnttab_release(struct domain *d);
/* XENMAPSPACE_grant_table: put frame idx of d's table at gfn, growing the
 * table to idx + 1 frames (up to GNTTAB_MAX_FRAMES).  Returns 0, -EINVAL
 * (idx too big, the table cannot grow, or a status frame: v1 has none),
 * -ENXIO or -ENOMEM (see guestmem_map_special). */
long gnttab_map_frame(struct domain *d, uint64_t idx, uint64_t gfn);
/* Is hpa (a frame of d's) pinned by one of d's grants, i.e. mapped by
 * some domain?  Then it must not be freed. */
bool gnttab_frame_in_use(struct domain *d, paddr_t hpa);
/* The grant frame at hpa (if it is one of d's) is no longer in d's
 * physical space. */
void gnttab_frame_unhooked(struct domain *d, paddr_t hpa);

#endif
