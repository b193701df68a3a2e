/* fuzz: hypercalls with made-up arguments, to show that nothing a guest
 * passes can bring the hypervisor down.  "seed=S calls=N" makes N calls
 * (default 20,000) from a generator seeded with S (default 1): the same
 * seed gives the same calls on every run.
 *
 * Each call takes a vector (mostly a hypercall a PVH guest has, with a
 * sub-op number it knows; else any of the 64 slots, now and then one
 * beyond) and five arguments, each drawn from kinds that reach past the
 * first checks:
 * small numbers (sub-op numbers, ports, vcpu ids, domain ids), the domain's
 * own DOMID_SELF and its neighbours, frame numbers and addresses in a
 * region the guest gives up to the calls, pointers into a scratch area
 * filled with more such values (so a structure the hypervisor reads
 * through a pointer is made of them too), edge values (0, ~0, 2^31,
 * 2^32, 2^63, page bounds) and plain random 64-bit numbers.
 *
 * The guest keeps itself alive so that the calls can go on: it runs with
 * interrupts off throughout (an upcall on a made-up vector is never
 * taken), its image is linked at 48 MiB (test/guests/guests.mk), far
 * above the frames and addresses it passes (a small frame number with an
 * order of 9 reaches 2 MiB further), with holes below and above what the
 * calls may touch (0 to 1 MiB, 20 to 21 MiB: see guest_main), and it
 * leaves out the calls whose very purpose is to stop it
 * (sched_op's shutdown, block, poll, watchdog; the old sched_op; taking a
 * vcpu down).  Whatever a call does to the sacrificial region (8 MiB up:
 * pages given back, shared_info or grant frames mapped there) or to the
 * scratch area (16 MiB up) is fine.  console_io writes are kept short.
 *
 * Prints "fuzz: N calls, seed S: ..." with counts of the answers (0,
 * positive, each errno), and the pages it holds at the end, then passes:
 * the test (test/system/test_fuzz.py) is that the hypervisor and the
 * other domain are still there, and that every page comes back. */
#include <stdbool.h>

#include <public/domctl.h>
#include <public/memory.h>
#include <public/platform.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/vcpu.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define MIB (1024UL * 1024)
#define SACRIFICE_BASE (8 * MIB) /* frames and addresses the calls may use up */
#define SACRIFICE_SIZE (8 * MIB)
#define SCRATCH_BASE (16 * MIB) /* what pointer arguments point at */
#define SCRATCH_SIZE (4 * MIB)
#define SCRATCH_REACH (SCRATCH_SIZE - 64 * 1024) /* pointers stay this far in */
#define FILL_BYTES 512       /* scratch made anew behind each pointer argument */
#define HOLE_BASE (20 * MIB) /* 1 MiB given back above the scratch area */

static uint64_t state;

/* xorshift64*: small, and good enough to pick among the kinds. */
static uint64_t rnd(void)
{
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545f4914f6cdd1dULL;
}

static const uint64_t edges[] = {
    0,          1,      ~0ULL,  0x7fffffffULL, 0x80000000ULL, 0xffffffffULL,       1ULL << 32,
    1ULL << 63, 0xfff,  0x1000, 0xfffff000ULL, DOMID_SELF,    DOMID_SELF + 1,      DOMID_IO,
    DOMID_XEN,  0x7fff, 0xffff, ~0xfffULL,     1ULL << 52,    (1ULL << 47) - 4096,
};

/* The hypercalls a PVH guest may make (Xen's HVM table). */
static const unsigned long implemented[] = {
    __HYPERVISOR_memory_op,        __HYPERVISOR_multicall,   __HYPERVISOR_set_timer_op,
    __HYPERVISOR_xen_version,      __HYPERVISOR_console_io,  __HYPERVISOR_grant_table_op,
    __HYPERVISOR_vm_assist,        __HYPERVISOR_vcpu_op,     __HYPERVISOR_sched_op,
    __HYPERVISOR_event_channel_op, __HYPERVISOR_physdev_op,  __HYPERVISOR_hvm_op,
    __HYPERVISOR_sysctl,           __HYPERVISOR_domctl,      __HYPERVISOR_platform_op,
    __HYPERVISOR_xsm_op,           __HYPERVISOR_callback_op, __HYPERVISOR_event_channel_op_compat,
};

/* One argument value, of the kinds above. */
static uint64_t value(void)
{
  uint64_t r = rnd(), k = r % 100;
  r = rnd();
  if (k < 25)
    return r % 16;
  if (k < 35)
    return 16 + r % 240; /* below 1 MiB: real-mode memory, a hole by now */
  if (k < 50)
    return (SACRIFICE_BASE >> 12) + r % (SACRIFICE_SIZE >> 12); /* a frame number */
  if (k < 58)
    return SACRIFICE_BASE + r % SACRIFICE_SIZE;
  if (k < 73)
    return SCRATCH_BASE + (r % SCRATCH_REACH & ~7ULL);
  if (k < 85)
    return edges[r % (sizeof(edges) / sizeof(edges[0]))];
  return r;
}

/* Scratch values: never the number of a hypercall left out (see
 * stops_us) or of console_io, so that a multicall whose list is in
 * scratch cannot make one either (an entry's op is one 64-bit word):
 * dom0's console writes are not rate limited, and a long one takes
 * minutes on an emulated serial line. */
static void fill(uint64_t at, unsigned int bytes)
{
  uint64_t *p = (uint64_t *)(uintptr_t)at;
  for (unsigned int i = 0; i < bytes / 8; i++) {
    uint64_t v;
    do
      v = value();
    while (v == __HYPERVISOR_sched_op_compat || v == __HYPERVISOR_sched_op ||
           v == __HYPERVISOR_vcpu_op || v == __HYPERVISOR_console_io);
    p[i] = v;
  }
}

/* Give back the 256 pages (1 MiB) from gfn first: a hole, where a call
 * that walks into it stops.  Returns what decrease_reservation answers:
 * 256 if all went. */
static long give_back(xen_pfn_t first)
{
  static xen_pfn_t list[256];
  for (unsigned int i = 0; i < 256; i++)
    list[i] = first + i;
  struct xen_memory_reservation r = {
      .extent_start = (uintptr_t)list, .nr_extents = 256, .extent_order = 0, .domid = DOMID_SELF};
  return hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, (unsigned long)&r);
}

static bool is_scratch(uint64_t a) { return a >= SCRATCH_BASE && a < SCRATCH_BASE + SCRATCH_REACH; }

/* Whether the call would stop this guest on purpose (see the top). */
static bool stops_us(unsigned long nr, const uint64_t *a)
{
  switch (nr) {
  case __HYPERVISOR_sched_op_compat: return true;
  case __HYPERVISOR_sched_op:
    return (int)a[0] != SCHEDOP_yield && (int)a[0] >= 0 && (int)a[0] <= SCHEDOP_pin_override;
  case __HYPERVISOR_vcpu_op: return (int)a[0] == VCPUOP_down;
  default: return false;
  }
}

/* Call i, as made: the vector, the arguments and what follows. */
static void print_call(unsigned long i, unsigned long nr, const uint64_t *a, const char *then)
{
  printf("fuzz: call %lu: %lu(%llx, %llx, %llx, %llx, %llx)%s\n", i, nr, (unsigned long long)a[0],
         (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)a[3],
         (unsigned long long)a[4], then);
}

/* The answers seen, by kind, and the calls left out. */
static unsigned long n_zero, n_positive, n_errno[128], n_other, n_skipped;

int guest_main(const struct hvm_start_info *si)
{
  const char *cmd = guest_cmdline(si);
  unsigned long seed = cmdline_num(cmd, "seed", 1), calls = cmdline_num(cmd, "calls", 20000);
  unsigned long trace = cmdline_num(cmd, "trace", ~0UL); /* print each call from this one on */
  unsigned long every = cmdline_num(cmd, "every", 5000); /* a progress line each so many */
  state = seed * 0x9e3779b97f4a7c15ULL + 1;
  fill(SCRATCH_BASE, SCRATCH_SIZE);
  /* Holes below everything the calls use and right above it: a call
   * that takes a small number or a scratch pointer for where to start
   * and a large one for how far to go (a multicall's list from address
   * 6 once did) stops at a hole, where it would otherwise walk up into
   * the image and write its answers there. */
  long low = give_back(0), high = give_back(HOLE_BASE >> 12);
  if (low != 256 || high != 256) {
    printf("fuzz: giving back the holes answered %ld and %ld, not 256\n", low, high);
    return 1;
  }
  printf("fuzz: seed %lu, %lu calls\n", seed, calls);
  for (unsigned long i = 0; i < calls; i++) {
    uint64_t a[5];
    for (int j = 0; j < 5; j++)
      a[j] = value();
    /* Mostly the hypercalls a PVH guest has, with a sub-op they know;
     * then any slot of the table, and one call in 32 past its end. */
    unsigned long nr, k = rnd() % 32;
    if (k < 24) {
      nr = implemented[rnd() % (sizeof(implemented) / sizeof(implemented[0]))];
      if (rnd() % 4)
        a[0] = rnd() % 40;
    } else if (k < 31) {
      nr = rnd() % 64;
    } else {
      nr = rnd() % 2 ? 64 + rnd() % 64 : rnd();
    }
    if (stops_us(nr, a)) {
      n_skipped++;
      continue;
    }
    /* The serial line is slow under an emulator; the command and the
     * count are 32-bit (the hypervisor reads their low halves). */
    if (nr == __HYPERVISOR_console_io && (uint32_t)a[0] == CONSOLEIO_write)
      a[1] = (uint32_t)a[1] % 64;
    for (int j = 0; j < 5; j++)
      if (is_scratch(a[j]))
        fill(a[j], FILL_BYTES);
    /* The control calls read a command and an interface version first
     * (then, for domctl, a domain): mostly give them ones that pass. */
    uint32_t version = nr == __HYPERVISOR_domctl        ? XEN_DOMCTL_INTERFACE_VERSION
                       : nr == __HYPERVISOR_sysctl      ? XEN_SYSCTL_INTERFACE_VERSION
                       : nr == __HYPERVISOR_platform_op ? XENPF_INTERFACE_VERSION
                                                        : 0;
    if (version && rnd() % 4) {
      a[0] = SCRATCH_BASE + (rnd() % SCRATCH_REACH & ~7ULL);
      fill(a[0], FILL_BYTES);
      uint64_t *head = (uint64_t *)(uintptr_t)a[0];
      head[0] = (uint64_t)version << 32 | rnd() % 100;
      head[1] = rnd() % 4 ? rnd() % 4 : value(); /* a domain that exists, mostly */
    }
    if (i >= trace)
      print_call(i, nr, a, "");
    long rc = hypercall5(nr, a[0], a[1], a[2], a[3], a[4]);
    if (rc == 0)
      n_zero++;
    else if (rc > 0)
      n_positive++;
    else if (rc > -128)
      n_errno[-rc]++;
    else if (n_other++ < 8)
      print_call(i, nr, a, " answered below -127");
    if ((i + 1) % every == 0)
      printf("fuzz: %lu calls made\n", i + 1);
  }
  printf("fuzz: %lu calls, seed %lu: %lu answered 0, %lu positive, %lu other negatives, %lu left "
         "out\n",
         calls - n_skipped, seed, n_zero, n_positive, n_other, n_skipped);
  for (int e = 1; e < 128; e++)
    if (n_errno[e])
      printf("fuzz:   -%d: %lu\n", e, n_errno[e]);
  /* What the hypervisor says the domain holds now: all of it must come
   * back when the domain ends (the test compares). */
  domid_t self = DOMID_SELF;
  long pages = hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, (unsigned long)&self);
  printf("fuzz: %ld pages held at the end\n", pages);
  return pages > 0 ? 0 : 1;
}
