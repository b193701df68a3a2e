/* Zeroing a whole frame: the frame allocator's scrubbing (idle CPUs) and
 * its zeroed allocations (mm/frame.c). */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/x86_bits.h>

void arch_zero_page(void *page)
{
  /* Before a CPU turns SSE on (vmx_switch_cpu_init sets CR4.OSFXSR and
   * clears CR0.TS on each CPU that runs guests) an SSE instruction is
   * #UD: eight bytes a store, REP STOSQ (fast strings, SDM vol. 1,
   * 7.3.9.3).  Bochs counts each iteration as one instruction: 512. */
  if (!(read_cr4() & X86_CR4_OSFXSR)) {
    size_t q = PAGE_SIZE / 8;
    asm volatile("rep stosq" : "+D"(page), "+c"(q) : "a"(0ULL) : "memory");
    return;
  }
  /* Sixteen bytes a store (MOVDQA), sixteen stores a round: about 310
   * instructions under Bochs; on hardware both ways run at the speed of
   * the stores.  The hypervisor uses no SSE register of its own (it is
   * built with -mgeneral-regs-only), so XMM0 may hold a guest's value
   * (vmx/switch.c keeps the guest's x87/SSE state loaded across exits):
   * it is saved and put back (unaligned moves: the stack's alignment is
   * not relied on).  Interrupt handlers touch no SSE state. */
  uint8_t saved[16];
  char *p = page, *end = p + PAGE_SIZE;
  asm volatile("movdqu %%xmm0, %[saved]\n\t"
               "pxor %%xmm0, %%xmm0\n"
               "1:\n\t"
               "movdqa %%xmm0, 0(%[p])\n\t"
               "movdqa %%xmm0, 16(%[p])\n\t"
               "movdqa %%xmm0, 32(%[p])\n\t"
               "movdqa %%xmm0, 48(%[p])\n\t"
               "movdqa %%xmm0, 64(%[p])\n\t"
               "movdqa %%xmm0, 80(%[p])\n\t"
               "movdqa %%xmm0, 96(%[p])\n\t"
               "movdqa %%xmm0, 112(%[p])\n\t"
               "movdqa %%xmm0, 128(%[p])\n\t"
               "movdqa %%xmm0, 144(%[p])\n\t"
               "movdqa %%xmm0, 160(%[p])\n\t"
               "movdqa %%xmm0, 176(%[p])\n\t"
               "movdqa %%xmm0, 192(%[p])\n\t"
               "movdqa %%xmm0, 208(%[p])\n\t"
               "movdqa %%xmm0, 224(%[p])\n\t"
               "movdqa %%xmm0, 240(%[p])\n\t"
               "add $256, %[p]\n\t"
               "cmp %[end], %[p]\n\t"
               "jne 1b\n\t"
               "movdqu %[saved], %%xmm0"
               : [p] "+r"(p), [saved] "+m"(saved)
               : [end] "r"(end)
               : "cc", "memory");
}
