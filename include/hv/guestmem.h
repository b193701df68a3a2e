/* A domain's RAM: frames behind its guest-physical addresses. */
#ifndef HV_GUESTMEM_H
#define HV_GUESTMEM_H

#include <hv/domain.h>

/* Back guest-physical [gpa, gpa + size) with fresh zeroed frames, 2 MiB
 * pages where alignment and free memory allow, else 4 KiB.  Returns 0 or
 * -ENOMEM (what was mapped stays mapped; guestmem_release frees it). */
int guestmem_populate(struct domain *d, uint64_t gpa, uint64_t size);
/* Give back every frame of d's RAM and its translation tables. */
void guestmem_release(struct domain *d);
/* Copy between hypervisor memory and guest-physical memory.  Returns 0,
 * or -EFAULT when part of the range is not guest RAM (nothing is copied
 * past that point). */
int guestmem_write(struct domain *d, uint64_t gpa, const void *src, size_t len);
int guestmem_read(struct domain *d, uint64_t gpa, void *dst, size_t len);
/* Fill guest-physical memory with zeros; 0 or -EFAULT. */
int guestmem_zero(struct domain *d, uint64_t gpa, size_t len);

#endif
