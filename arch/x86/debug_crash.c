/* crash=ud|pf|gp|de: fault on purpose so the tests can check the crash
 * dump.  Kept in its own function so the dump names it. */
#include <arch/arch.h>
#include <hv/cmdline.h>
#include <hv/printk.h>

__attribute__((noinline)) void debug_crash(int kind)
{
  pr_info("debug: crash=%d requested, faulting on purpose", kind);
  switch (kind) {
  case CRASH_UD:
    asm volatile("ud2");
    break;
  case CRASH_PF:
    /* Page 0 is never mapped; asm so the compiler sees no NULL store. */
    asm volatile("movq $1, (%0)" ::"r"((uint64_t)8) : "memory");
    break;
  case CRASH_GP: {
    uint64_t noncanonical = 0x8000000000000000ULL;
    asm volatile("movq (%0), %%rax" ::"r"(noncanonical) : "rax");
    break;
  }
  case CRASH_DE: {
    volatile unsigned int zero = 0;
    asm volatile("divl %1" ::"a"(1), "r"(zero), "d"(0));
    break;
  }
  }
  panic("debug: crash=%d did not fault", kind);
}
