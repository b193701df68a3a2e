/* The physical frame allocator: hands out 4 KiB frames of usable RAM. */
#ifndef HV_FRAME_H
#define HV_FRAME_H

#include <hv/boot_info.h>
#include <hv/types.h>

/* A physical range [start, end). */
struct mem_range {
  paddr_t start, end;
};

/* RAM at or above this address is ignored (and reported): it bounds the
 * allocator's bitmaps to 96 MiB. */
#define FRAME_MAX_ADDR GiB(1024)

/* Take ownership of the usable RAM: the whole 4 KiB frames of the map's
 * BOOT_MEM_RAM entries, minus every frame that a reserved range or a
 * non-RAM entry touches, minus frame 0, below `limit` (0: no limit, else
 * the mem= option) and below FRAME_MAX_ADDR.  The map is not trusted:
 * unsorted, overlapping, empty or wrapping entries cost memory, never
 * safety.  The allocator's bitmaps are placed in the lowest usable frames
 * that hold them (so below 4 GiB on any sane machine: the boot page tables
 * map only that much).  Forgets any earlier state (tests call it often).
 * Returns 0, -EINVAL (a NULL array with a count, a reserved range with
 * end < start) or -ENOMEM (no usable frame left once the bitmaps are in). */
int frame_init(const struct boot_mem_region *map, unsigned int n, const struct mem_range *reserved,
               unsigned int nr_reserved, paddr_t limit);

/* One frame, not zeroed (a dirty one first: see frame_scrub).  Returns
 * its physical address, or 0 when none is free (0 is never a usable
 * frame). */
paddr_t frame_alloc(void);

/* One frame filled with zeros, or 0 when none is free: a clean frame
 * (scrubbed) as it is, else a dirty one zeroed now. */
paddr_t frame_alloc_zeroed(void);

/* nr physically contiguous frames, not zeroed, the first one's frame number
 * a multiple of align_frames (a power of two; 0 means 1).  Returns the
 * first frame's address, or 0 (nr == 0, bad alignment, no such run). */
paddr_t frame_alloc_contig(unsigned long nr, unsigned long align_frames);

/* The same, all zeros: the dirty frames of the run are zeroed now, the
 * clean ones are already. */
paddr_t frame_alloc_contig_zeroed(unsigned long nr, unsigned long align_frames);

/* The nr frames at pa exactly, zeroed, if every one is free (the
 * hardware domain's 1:1 RAM wants the frame its address names).  Returns
 * pa, or 0 (one is in use or not the allocator's, pa unaligned, nr 0). */
paddr_t frame_claim_zeroed(paddr_t pa, unsigned long nr);

/* Take nr frames at pa that the allocator tracks but never owned (RAM
 * reserved at frame_init, such as the hardware domain's 1:1 memory) as
 * owned and allocated: frame_free gives them to the pool later.  Returns
 * 0; -EINVAL outside the tracked frames or unaligned; -EBUSY if one of
 * them is owned already (nothing changes then). */
int frame_adopt(paddr_t pa, unsigned long nr);

/* Give back one frame from frame_alloc*(), as dirty: whatever it holds
 * stays until frame_scrub or an allocation that wants zeros clears it.
 * Panics, naming the address, on an unaligned address, a frame the
 * allocator does not own, or a frame that is already free: those are our
 * own bugs. */
void frame_free(paddr_t pa);

/* Give back nr frames starting at pa (any nr frames allocated earlier,
 * not necessarily by one call), as dirty.  Checks every frame first and
 * panics as frame_free() does; nr == 0 does nothing. */
void frame_free_contig(paddr_t pa, unsigned long nr);

/* Zero up to max dirty free frames, which become clean: the idle CPUs'
 * work (sched/core.c), as Xen's idle scrubbing.  stop (if not NULL) is
 * asked before each frame and ends the batch early when it says true
 * (someone waits).  Returns the frames zeroed. */
unsigned long frame_scrub(unsigned long max, bool (*stop)(void));
/* Free frames that are dirty (not known to be zeros). */
unsigned long frame_nr_dirty(void);

/* Frames free now; frames managed in all (free or allocated). */
unsigned long frame_nr_free(void);
unsigned long frame_nr_total(void);
/* The highest frame number the allocator covers (0 before frame_init). */
unsigned long frame_max_pfn(void);

#endif
