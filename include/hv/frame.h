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
 * allocator's bitmaps to 64 MiB. */
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

/* One frame, not zeroed.  Returns its physical address, or 0 when none is
 * free (0 is never a usable frame). */
paddr_t frame_alloc(void);

/* One frame filled with zeros, or 0 when none is free. */
paddr_t frame_alloc_zeroed(void);

/* nr physically contiguous frames, not zeroed, the first one's frame number
 * a multiple of align_frames (a power of two; 0 means 1).  Returns the
 * first frame's address, or 0 (nr == 0, bad alignment, no such run). */
paddr_t frame_alloc_contig(unsigned long nr, unsigned long align_frames);

/* Give back one frame from frame_alloc*().  Panics, naming the address, on
 * an unaligned address, a frame the allocator does not own, or a frame that
 * is already free: those are our own bugs. */
void frame_free(paddr_t pa);

/* Give back nr frames starting at pa (any nr frames allocated earlier,
 * not necessarily by one call).  Checks every frame first and panics as
 * frame_free() does; nr == 0 does nothing. */
void frame_free_contig(paddr_t pa, unsigned long nr);

/* Frames free now; frames managed in all (free or allocated). */
unsigned long frame_nr_free(void);
unsigned long frame_nr_total(void);
/* The highest frame number the allocator covers (0 before frame_init). */
unsigned long frame_max_pfn(void);

#endif
