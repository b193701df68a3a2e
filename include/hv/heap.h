/* The hypervisor heap: small objects of any size, on top of the frames. */
#ifndef HV_HEAP_H
#define HV_HEAP_H

#include <hv/types.h>

/* Forget every block and free list (the frames they used are not given
 * back).  The heap works from zeroed static state without it; call it after
 * frame_init() when the frame allocator is re-initialised (tests). */
void heap_init(void);

/* size bytes, 16-byte aligned, not zeroed.  Returns NULL for size 0, for
 * absurd sizes and when memory is exhausted. */
void *heap_alloc(size_t size);

/* As heap_alloc, with the size bytes zeroed. */
void *heap_zalloc(size_t size);

/* Give back a block from heap_alloc/heap_zalloc; NULL does nothing.
 * Panics on a pointer heap_alloc never returned, a double free or a write
 * past the end of the block (caught by a canary at free time). */
void heap_free(void *p);

struct heap_stats {
  unsigned long nr_blocks;    /* live blocks */
  size_t bytes;               /* bytes asked for by the live blocks */
  unsigned long small_frames; /* frames carved into small blocks (kept) */
  unsigned long large_frames; /* frames held by live large blocks */
};

/* A snapshot of the counters above. */
void heap_stats(struct heap_stats *st);

#endif
