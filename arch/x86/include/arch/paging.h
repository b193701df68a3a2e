/* The hypervisor's own page tables (arch/x86/paging.c): the 1:1 map, W^X
 * for the image, and the few changes made to it at boot.  Every function
 * here is boot time only: it panics when no frame is left for a table. */
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

#endif
