/* Arch memory interface used by generic code: how the hypervisor reaches
 * physical memory.  The hypervisor maps all RAM 1:1, so this is an identity
 * cast; host unit tests provide their own version over a fake RAM buffer
 * (test/unit/include/arch/mm.h). */
#ifndef ARCH_MM_H
#define ARCH_MM_H

#include <hv/types.h>

static inline void *phys_to_virt(paddr_t pa) { return (void *)(uintptr_t)pa; }
static inline paddr_t virt_to_phys(const void *va) { return (paddr_t)(uintptr_t)va; }

#endif
