/* The hypervisor's own page tables (arch/x86/paging.c): the 1:1 map, W^X
 * for the image, and the few changes made to it at boot.  Every function
 * here but paging_io_window is boot time only: it panics when no frame is
 * left for a table. */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <hv/types.h>

/* Build the 1:1 map of [0, top) and of the image, W^X, and switch to it. */
void paging_init(uint64_t top);
/* Make the 4 KiB page at va absent (a stack's guard page). */
void paging_unmap_page(uint64_t va);
/* Map [start, end) uncached where nothing is mapped yet (a framebuffer in
 * a 64-bit PCI window). */
void paging_map_uncached(uint64_t start, uint64_t end);
/* Make [start, end) uncached in 4 KiB pages, splitting larger ones (a
 * device's registers). */
void paging_set_uncached(uint64_t start, uint64_t end);
/* The I/O window: a virtual page outside the 1:1 map, made to show the
 * host page of pa uncached on this CPU (its TLB entry flushed every
 * time, so what another CPU made it show does not linger); returns the
 * address of pa in it.  For device memory anywhere (the 1:1 map may end
 * below it), at run time: callers hold hv_lock and are done with the
 * window before they let go of it. */
void *paging_io_window(uint64_t pa);

#endif
