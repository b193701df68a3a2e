/* Zeroing a whole frame: the frame allocator's scrubbing (idle CPUs) and
 * its zeroed allocations (mm/frame.c). */
#include <arch/arch.h>

void arch_zero_page(void *page)
{
  /* Eight bytes a store; fast strings make it the CPU's best speed on
   * hardware (SDM vol. 1, 7.3.9.3).  Bochs counts each iteration as one
   * instruction: 512 per page. */
  size_t q = PAGE_SIZE / 8;
  asm volatile("rep stosq" : "+D"(page), "+c"(q) : "a"(0ULL) : "memory");
}
