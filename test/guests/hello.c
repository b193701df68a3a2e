/* hello: the smallest complete PVH guest.  Prints its command line, the
 * start info it was given and the hypervisor's version, then powers off.
 * Passes if xen_version(XENVER_version) succeeds.  "flood=N" first writes
 * N lines of 64 bytes as fast as it can (the console rate limit's test).
 * "regs=N" first runs N rounds of: put values of its own (from its name)
 * in the CPU state that VMX does not switch or switches only when asked
 * (CR2, KERNEL_GS_BASE, XMM0, DR0, DR7), yield the CPU, and read them
 * back; two of these on one CPU see each other's values unless the
 * hypervisor switches that state with the vcpu.  It fails on any value
 * not its own, and says how long it waited for the CPU (its runstate's
 * runnable time: the other guest ran).  "spin=N cr8=V" first spins N
 * million rounds with CR8 at V and says how long it waited meanwhile (two
 * spinners on one CPU take turns, unless one can keep the hypervisor's
 * timer out). */
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>

#include "guest.h"
#include "hypercall.h"

#define MSR_KERNEL_GS_BASE 0xc0000102
#define CR4_OSFXSR (1UL << 9)

/* name_get() and name_set(): the register reg, moved by insn. */
#define DEFINE_REG(name, insn, reg)                                                                \
  static uint64_t name##_get(void)                                                                 \
  {                                                                                                \
    uint64_t v;                                                                                    \
    asm volatile(insn " %%" reg ", %0" : "=r"(v));                                                 \
    return v;                                                                                      \
  }                                                                                                \
  static void name##_set(uint64_t v) { asm volatile(insn " %0, %%" reg ::"r"(v)); }
DEFINE_REG(cr2, "mov", "cr2")
DEFINE_REG(cr4, "mov", "cr4")
DEFINE_REG(cr8, "mov", "cr8")
DEFINE_REG(dr0, "mov", "dr0")
DEFINE_REG(dr7, "mov", "dr7")
DEFINE_REG(xmm0, "movq", "xmm0")
#undef DEFINE_REG

/* The time v has waited for the CPU so far (ns), or 0. */
static uint64_t waited_ns(void)
{
  struct vcpu_runstate_info rs;
  if (hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (unsigned long)&rs))
    return 0;
  return rs.time[RUNSTATE_runnable];
}

/* Returns the number of values that were not this guest's. */
static unsigned long regs_rounds(const char *name, unsigned long rounds)
{
  uint64_t tag = 0;
  for (const char *p = name; *p; p++)
    tag = tag * 131 + (unsigned char)*p;
  /* SSE needs CR4.OSFXSR (CR0.EM and TS are clear in a PVH start). */
  cr4_set(cr4_get() | CR4_OSFXSR);
  unsigned long bad = 0;
  for (unsigned long i = 0; i < rounds; i++) {
    /* Canonical kernel-half addresses, different in each round. */
    uint64_t want = 0xffff800000000000ULL | ((tag & 0xffffff) << 20) | (i << 4);
    /* DR7 (bit 10 reads 1) enables an instruction breakpoint at DR0,
     * which nothing runs: locally (L0) or globally (G0), to differ. */
    uint64_t want7 = 0x400 | ((tag >> 1) & 1 ? 0x1 : 0x2);
    uint64_t gs;
    cr2_set(want);
    guest_wrmsr_safe(MSR_KERNEL_GS_BASE, want + 1);
    xmm0_set(want + 2);
    dr0_set(want + 3);
    dr7_set(want7);
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    uint64_t cr2 = cr2_get(), xmm0 = xmm0_get(), dr0 = dr0_get(), dr7 = dr7_get();
    guest_rdmsr_safe(MSR_KERNEL_GS_BASE, &gs);
    const uint64_t got[] = {cr2, gs, xmm0, dr0, dr7};
    const uint64_t exp[] = {want, want + 1, want + 2, want + 3, want7};
    static const char *const what[] = {"CR2", "KERNEL_GS_BASE", "XMM0", "DR0", "DR7"};
    for (unsigned int k = 0; k < sizeof(got) / sizeof(got[0]); k++)
      if (got[k] != exp[k] && bad++ < 10)
        printf("hello: regs round %lu: %s 0x%llx, not 0x%llx\n", i, what[k],
               (unsigned long long)got[k], (unsigned long long)exp[k]);
  }
  dr7_set(0x400);
  printf("hello: regs: %lu rounds, %lu values not its own, %llu ns waiting for the CPU\n", rounds,
         bad, (unsigned long long)waited_ns());
  return bad;
}

/* "spin=N": N million rounds of a busy loop, with CR8 (the task priority)
 * at "cr8=V" meanwhile; says how long it waited for the CPU during the
 * loop (another guest spinning beside it takes turns with it, unless one
 * of them can keep the hypervisor's own interrupts out). */
static void spin(unsigned long millions, uint64_t cr8)
{
  uint64_t was = waited_ns();
  cr8_set(cr8);
  uint64_t got = cr8_get();
  for (volatile unsigned long i = 0; i < millions * 1000000; i++)
    ;
  cr8_set(0);
  printf("hello: spin: CR8 %llu read back as %llu, %lu million rounds, %llu ns waiting for "
         "the CPU\n",
         (unsigned long long)cr8, (unsigned long long)got, millions,
         (unsigned long long)(waited_ns() - was));
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  char name[32];

  if (!cmdline_get(cmdline, "name", name, sizeof(name)))
    memcpy(name, "hello", sizeof("hello"));
  printf("hello from %s\n", name);
  printf("hello: cmdline '%s'\n", cmdline);
  printf("hello: start info at %p: version %u flags 0x%x modules %u memmap entries %u\n",
         (const void *)si, si->version, si->flags, si->nr_modules,
         si->version >= 1 ? si->memmap_entries : 0);

  if (cmdline_get(cmdline, "flood", NULL, 0)) {
    unsigned long lines = cmdline_num(cmdline, "flood", 0);
    for (unsigned long i = 0; i < lines; i++)
      printf("flood %06lu: the quick brown fox jumps over the lazy dog\n", i);
    printf("hello: flood of %lu lines done\n", lines);
  }

  if (cmdline_get(cmdline, "spin", NULL, 0))
    spin(cmdline_num(cmdline, "spin", 0), cmdline_num(cmdline, "cr8", 0));
  if (cmdline_get(cmdline, "regs", NULL, 0) && regs_rounds(name, cmdline_num(cmdline, "regs", 0)))
    return 1;

  long ver = xen_version(XENVER_version, NULL);
  if (ver < 0) {
    printf("hello: xen_version(XENVER_version) failed: %ld\n", ver);
    return 1;
  }
  printf("hello: xen version %lu.%lu\n", (unsigned long)ver >> 16, (unsigned long)ver & 0xffff);
  return 0;
}
