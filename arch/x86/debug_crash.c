/* crash=ud|pf|gp|de: fault on purpose so the tests can check the crash
 * dump.  Kept in its own function so the dump names it. */
#include <arch/arch.h>
#include <hv/cmdline.h>
#include <hv/printk.h>

/* Recurse until the stack runs into its guard page; the #PF cannot push
 * its frame there, so the CPU raises #DF, which runs on its own IST stack. */
__attribute__((noinline)) static uint64_t recurse(volatile uint64_t *p)
{
  volatile uint64_t pad[64];
  pad[0] = p ? p[0] + 1 : 0;
  if (pad[0] == UINT64_MAX) /* never true; keeps the compiler from calling it infinite */
    return 0;
  return recurse(pad) + pad[0];
}

__attribute__((noinline)) void debug_crash(int kind)
{
  pr_info("debug: crash=%d requested, faulting on purpose", kind);
  switch (kind) {
  case CRASH_UD: asm volatile("ud2"); break;
  case CRASH_PF:
    /* Page 0 is never mapped; asm so the compiler sees no NULL store. */
    asm volatile("movq $1, (%0)" ::"r"((uint64_t)8) : "memory");
    break;
  case CRASH_GP: {
    uint64_t noncanonical = 0x8000000000000000ULL;
    asm volatile("movq (%0), %%rax" ::"r"(noncanonical) : "rax");
    break;
  }
  case CRASH_WX: *(volatile uint8_t *)(uintptr_t)debug_crash = 0xc3; break;
  case CRASH_STACK: recurse(NULL); break;
  case CRASH_DE: {
    volatile unsigned int zero = 0;
    asm volatile("divl %1" ::"a"(1), "r"(zero), "d"(0));
    break;
  }
  }
  panic("debug: crash=%d did not fault", kind);
}
