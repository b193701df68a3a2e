/* bench: the null hypercall benchmark.  Times 10,000 xen_version
 * (XENVER_version) calls made with VMCALL, the same loop with a 3-byte NOP
 * where the VMCALL was (the loop's own cost), and the same calls through
 * the hypercall page, by reading the TSC before and after each loop.
 *
 * Under Bochs with `clock: sync=none` the TSC advances one tick per
 * emulated instruction, so a tick count is an instruction count for the
 * whole round trip (guest exit, hypervisor, entry) and repeats from run to
 * run.  On hardware it is time.  Prints, then passes if every call
 * returned the version:
 *   bench: null hypercall: N calls, T ticks, T/N per call
 *   bench: empty loop: N iterations, T ticks, T/N per iteration
 *   bench: null hypercall minus loop: X per call
 *   bench: null hypercall via page: N calls, T ticks, T/N per call
 * ("T/N" is printed with one decimal.)  "calls=N" on the command line
 * changes N.  Then it prints the TSC at its own first instruction
 * ("bench: entry TSC N").
 *
 * Under mica every call must return 4.19, the version mica reports.  Under
 * another hypervisor (real Xen, which make bench measures too; told apart
 * by XENVER_extraversion, "-mica..." under mica) every call must return
 * what the first one did. */
#include <public/cpuid.h>
#include <public/version.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define DEFAULT_CALLS 10000
#define XEN_VERSION_4_19 ((4 << 16) | 19)

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

/* One xen_version(XENVER_version) by VMCALL: hypercall.h's convention,
 * inlined so the loop is nothing but the call. */
static inline long null_hypercall(void)
{
  register unsigned long rax __asm__("rax") = __HYPERVISOR_xen_version;
  register unsigned long rdi __asm__("rdi") = XENVER_version;
  register unsigned long rsi __asm__("rsi") = 0;

  __asm__ volatile("vmcall" : "+r"(rax), "+r"(rdi), "+r"(rsi) : : "rdx", "r10", "r8", "memory");
  return (long)rax;
}

/* The same instructions with a 3-byte NOP (0f 1f 00) for the VMCALL
 * (0f 01 c1), returning what the hypercall would. */
static inline long null_nop(void)
{
  register unsigned long rax __asm__("rax") = XEN_VERSION_4_19;
  register unsigned long rdi __asm__("rdi") = XENVER_version;
  register unsigned long rsi __asm__("rsi") = 0;

  __asm__ volatile("nopl (%%rax)"
                   : "+r"(rax), "+r"(rdi), "+r"(rsi)
                   :
                   : "rdx", "r10", "r8", "memory");
  return (long)rax;
}

/* "T/N" with one decimal, e.g. "1234.5". */
static void ratio(char *buf, size_t size, uint64_t t, uint64_t n)
{
  uint64_t tenths = n ? (t * 10 + n / 2) / n : 0;
  snprintf(buf, size, "%llu.%llu", (unsigned long long)(tenths / 10),
           (unsigned long long)(tenths % 10));
}

int guest_main(const struct hvm_start_info *si)
{
  char val[16], r1[32], r2[32], r3[32];
  unsigned long calls = DEFAULT_CALLS, bad = 0;
  long want = 0;

  if (cmdline_get(guest_cmdline(si), "calls", val, sizeof(val))) {
    calls = 0;
    for (const char *p = val; *p >= '0' && *p <= '9'; p++)
      calls = calls * 10 + (unsigned long)(*p - '0');
    if (!calls)
      calls = DEFAULT_CALLS;
  }

  /* Warm up: the first exits fault in the hypervisor's own paths.  The
   * answer the loops must get is the warm-up's (checked after them, so
   * that nothing new runs before the loops). */
  for (int i = 0; i < 16; i++)
    want = null_hypercall();

  uint64_t t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < calls; i++)
    bad += null_hypercall() != want;
  uint64_t t_call = rdtsc_ordered() - t0;

  t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < calls; i++)
    bad += null_nop() != XEN_VERSION_4_19;
  uint64_t t_loop = rdtsc_ordered() - t0;

  ratio(r1, sizeof(r1), t_call, calls);
  ratio(r2, sizeof(r2), t_loop, calls);
  ratio(r3, sizeof(r3), t_call > t_loop ? t_call - t_loop : 0, calls);
  printf("bench: null hypercall: %lu calls, %llu ticks, %s per call\n", calls,
         (unsigned long long)t_call, r1);
  printf("bench: empty loop: %lu iterations, %llu ticks, %s per iteration\n", calls,
         (unsigned long long)t_loop, r2);
  printf("bench: null hypercall minus loop: %s per call\n", r3);

  /* Through the hypercall page, as Linux calls: MSR 0x40000000 (CPUID
   * 0x40000002 EBX) takes the page's address; stub 17 is xen_version. */
  uint32_t eax, ebx, ecx, edx;
  __asm__ volatile("cpuid"
                   : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
                   : "a"(XEN_CPUID_FIRST_LEAF + 2), "c"(0));
  uint64_t page = (uint64_t)(uintptr_t)hypercall_page;
  __asm__ volatile("wrmsr"
                   :
                   : "c"(ebx), "a"((uint32_t)page), "d"((uint32_t)(page >> 32))
                   : "memory");
  long (*hc)(unsigned long, unsigned long) =
      (long (*)(unsigned long, unsigned long))(uintptr_t)(hypercall_page + 17 * 32);
  t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < calls; i++)
    bad += hc(XENVER_version, 0) != want;
  uint64_t t_page = rdtsc_ordered() - t0;
  ratio(r1, sizeof(r1), t_page, calls);
  printf("bench: null hypercall via page: %lu calls, %llu ticks, %s per call\n", calls,
         (unsigned long long)t_page, r1);

  printf("bench: entry TSC %llu\n", (unsigned long long)guest_entry_tsc);
  if (!guest_on_mica())
    printf("bench: not mica: every call must return %ld.%ld\n", want >> 16, want & 0xffff);
  else if (want != XEN_VERSION_4_19) {
    printf("bench: xen_version says 0x%lx, not 4.19\n", (unsigned long)want);
    return 1;
  }
  if (bad) {
    printf("bench: %lu calls did not return the version\n", bad);
    return 1;
  }
  return 0;
}
