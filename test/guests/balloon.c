/* balloon: a domain gives memory back and takes it again while it runs
 * (XENMEM_decrease_reservation, XENMEM_populate_physmap,
 * XENMEM_increase_reservation; hv/memory_reservation.c), each answer
 * compared with what Xen 4.19's common/memory.c gives a translated guest:
 * the count of extents done, stopping at the first one that fails, and
 * "start" (0 here) for a request refused as a whole.
 *
 * Its RAM from 32 MiB up is not used by anything of its own, so that is
 * where it balloons.  It needs at least 64 MiB (hvrun's default).
 *
 * Command line:
 *   (nothing)    the checks; "balloon: N checks, M failed", then TEST PASS
 *                or TEST FAIL
 *   bench=MIB    give MIB back in one decrease_reservation of 4 KiB
 *                extents, then take it again at once in one
 *                populate_physmap, each timed with the TSC ("balloon:
 *                decrease N MiB: T ticks", "balloon: increase N MiB at
 *                once (unscrubbed): T ticks"); then give it back again,
 *                wait (blocked, as dom0: physinfo's scrub_pages says
 *                when) until the hypervisor's idle loop has zeroed the
 *                free frames, and take it again ("balloon: increase N
 *                MiB: T ticks").  The domain needs MIB + 40 MiB */
#include <public/domctl.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#include <stdbool.h>

#define MiB(x) ((uint64_t)(x) << 20)
#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define GFN_AREA (MiB(32) >> 12) /* the first gfn it balloons */

static unsigned int checks, failed;

static void check(const char *what, long got, long want)
{
  checks++;
  if (got == want) {
    printf("balloon: ok %s\n", what);
    return;
  }
  failed++;
  printf("balloon: FAIL %s: got %ld, want %ld\n", what, got, want);
}

static long memory_op(unsigned long cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, PTR(arg));
}

/* One reservation op on nr extents of order at list (the gfns). */
static long reservation(unsigned long op, xen_pfn_t *list, unsigned long nr, unsigned int order,
                        domid_t dom)
{
  struct xen_memory_reservation r = {
      .extent_start = PTR(list), .nr_extents = nr, .extent_order = order, .domid = dom};
  return memory_op(op, &r);
}

static long current_pages(domid_t dom) { return memory_op(XENMEM_current_reservation, &dom); }
static long maximum_pages(domid_t dom) { return memory_op(XENMEM_maximum_reservation, &dom); }

/* The hypervisor's free pages (sysctl physinfo: dom0 only), or -1. */
static long free_pages(void)
{
  struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo,
                          .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
  if (hypercall1(__HYPERVISOR_sysctl, PTR(&op)))
    return -1;
  return (long)op.u.physinfo.free_pages;
}

static volatile uint8_t *page(xen_pfn_t gfn) { return (volatile uint8_t *)(uintptr_t)(gfn << 12); }

static bool all(xen_pfn_t gfn, uint8_t v)
{
  for (unsigned int i = 0; i < 4096; i++)
    if (page(gfn)[i] != v)
      return false;
  return true;
}

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));

static void checks_self(bool dom0)
{
  xen_pfn_t g = GFN_AREA, list[4];
  static xen_pfn_t many[600];
  for (unsigned int i = 0; i < 600; i++)
    many[i] = g + 64 + i;

  /* Once through first: a page given back from a 2 MiB mapping splits
   * it, which takes a frame for the new table; from then on the free
   * pool moves by exactly the pages given and taken. */
  list[0] = g;
  reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF);
  reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF);
  reservation(XENMEM_decrease_reservation, many, 600, 0, DOMID_SELF);
  reservation(XENMEM_populate_physmap, many, 600, 0, DOMID_SELF);

  long cur = current_pages(DOMID_SELF), max = maximum_pages(DOMID_SELF);
  long free0 = dom0 ? free_pages() : -1;

  printf("balloon: %ld pages of %ld\n", cur, max);
  check("current_reservation is at most the maximum", cur <= max && cur > 0, 1);

  /* One page back, and again: the second finds nothing (Xen's
   * guest_remove_page: -ENOENT, so no extent done). */
  page(g)[0] = 0x5a;
  list[0] = g;
  check("decrease_reservation of one page",
        reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF), 1);
  check("  current_reservation one less", current_pages(DOMID_SELF), cur - 1);
  if (dom0)
    check("  the free pool one more (sysctl physinfo)", free_pages(), free0 + 1);
  check("  the page is a hole: reads give all ones", all(g, 0xff), 1);
  check("the same page again: nothing there, none done",
        reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF), 0);

  /* And back: a fresh page, zeroed. */
  check("populate_physmap of that page",
        reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF), 1);
  check("  current_reservation as before", current_pages(DOMID_SELF), cur);
  if (dom0)
    check("  the free pool as before", free_pages(), free0);
  check("  the page is zeroed", all(g, 0), 1);
  page(g)[7] = 0x77;
  check("  and is RAM: a write stays", page(g)[7], 0x77);

  /* A populate over RAM replaces it: it needs room for a new page (as in
   * Xen), but mica frees the old frame, where Xen keeps it counted. */
  list[0] = g + 1;
  reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF);
  list[0] = g;
  check("populate_physmap over RAM", reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF),
        1);
  check("  gives a zeroed page", all(g, 0), 1);
  check("  current_reservation unchanged", current_pages(DOMID_SELF), cur - 1);
  list[0] = g + 1;
  reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF);
  list[0] = g;

  /* Up to the maximum and no further: room for one page, then none.
   * Below the maximum by k pages (the shared_info page took one RAM
   * page's place, and the builder may have kept a few), fill exactly
   * those first. */
  long room = max - cur;
  xen_pfn_t high = (MiB(4096) >> 12) + 16; /* above all its RAM */
  for (long i = 0; i < room; i++) {
    xen_pfn_t h = high + 1 + (xen_pfn_t)i;
    reservation(XENMEM_populate_physmap, &h, 1, 0, DOMID_SELF);
  }
  check("filled to the maximum", current_pages(DOMID_SELF), max);
  list[0] = high;
  check("populate_physmap beyond the maximum: none done",
        reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF), 0);
  check("increase_reservation beyond the maximum: none done",
        reservation(XENMEM_increase_reservation, NULL, 1, 0, DOMID_SELF), 0);
  list[0] = g;
  reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF);
  list[0] = high;
  check("a page given back makes room: populate above 4 GiB",
        reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF), 1);
  check("  at the maximum again", current_pages(DOMID_SELF), max);
  check("  and back", reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF), 1);
  check("increase_reservation takes the room (a page at no gfn)",
        reservation(XENMEM_increase_reservation, NULL, 1, 0, DOMID_SELF), 1);
  check("  counted in current_reservation", current_pages(DOMID_SELF), max);
  for (long i = 0; i < room; i++) {
    xen_pfn_t h = high + 1 + (xen_pfn_t)i;
    reservation(XENMEM_decrease_reservation, &h, 1, 0, DOMID_SELF);
  }
  check("the pages above 4 GiB given back", current_pages(DOMID_SELF), max - room);

  /* Extents of 2 pages: the second extent's second page is a hole, so
   * one extent is done and the second's first page is gone too (Xen
   * does not undo a half-done extent). */
  long before = current_pages(DOMID_SELF);
  xen_pfn_t a = g + 16, b = g + 32;
  xen_pfn_t hole = b + 1;
  list[0] = hole;
  reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF);
  list[0] = a;
  list[1] = b;
  check("decrease of order 1 into a hole: one extent done",
        reservation(XENMEM_decrease_reservation, list, 2, 1, DOMID_SELF), 1);
  check("  three pages gone (the hole's neighbour too)", current_pages(DOMID_SELF), before - 4);
  check("populate of order 1: both extents",
        reservation(XENMEM_populate_physmap, list, 2, 1, DOMID_SELF), 2);
  check("  all back", current_pages(DOMID_SELF), before);

  /* Refused as a whole: 0 extents done, not an errno. */
  check("order 10 from a domU, 13 from dom0: none done",
        reservation(XENMEM_decrease_reservation, list, 1, dom0 ? 13 : 10, DOMID_SELF), 0);
  check("populate on demand for itself: none done",
        memory_op(XENMEM_populate_physmap,
                  &(struct xen_memory_reservation){.extent_start = PTR(list),
                                                   .nr_extents = 1,
                                                   .mem_flags = XENMEMF_populate_on_demand,
                                                   .domid = DOMID_SELF}),
        0);
  check("address bits 12 (no page fits): none done",
        memory_op(XENMEM_populate_physmap,
                  &(struct xen_memory_reservation){.extent_start = PTR(list),
                                                   .nr_extents = 1,
                                                   .mem_flags = XENMEMF_address_bits(12),
                                                   .domid = DOMID_SELF}),
        0);
  check("a NUMA node that is not there: none done",
        memory_op(XENMEM_populate_physmap,
                  &(struct xen_memory_reservation){.extent_start = PTR(list),
                                                   .nr_extents = 1,
                                                   .mem_flags = XENMEMF_node(3),
                                                   .domid = DOMID_SELF}),
        0);
  check("a domain that does not exist: none done",
        reservation(XENMEM_decrease_reservation, list, 1, 0, 77), 0);
  if (!dom0)
    check("a domU for dom0: none done", reservation(XENMEM_decrease_reservation, list, 1, 0, 0), 0);
  check("an unreadable reservation: none done",
        memory_op(XENMEM_decrease_reservation, (void *)0xfff0000000000000ULL), 0);
  check("an unreadable extent list: none done",
        reservation(XENMEM_decrease_reservation, (xen_pfn_t *)0x800000000000ULL, 1, 0, DOMID_SELF),
        0);
  check("  current_reservation unchanged by all of them", current_pages(DOMID_SELF), before);

  /* Not RAM of its own: the shared_info page (Xen would take it out of
   * the p2m; mica refuses it). */
  struct xen_add_to_physmap x = {
      .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = PTR(shinfo_page) >> 12};
  check("shared_info mapped", memory_op(XENMEM_add_to_physmap, &x), 0);
  list[0] = PTR(shinfo_page) >> 12;
  check("decrease of the shared_info page: none done",
        reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF), 0);

  /* A long list continues after a turn (more than 256 extents). */
  before = current_pages(DOMID_SELF);
  long free1 = dom0 ? free_pages() : -1;
  check("decrease of 600 pages in one call (continued)",
        reservation(XENMEM_decrease_reservation, many, 600, 0, DOMID_SELF), 600);
  check("  600 fewer", current_pages(DOMID_SELF), before - 600);
  if (dom0)
    check("  600 more in the free pool", free_pages(), free1 + 600);
  check("populate of the 600", reservation(XENMEM_populate_physmap, many, 600, 0, DOMID_SELF), 600);
  check("  all back", current_pages(DOMID_SELF), before);
  if (dom0)
    check("  the free pool as before", free_pages(), free1);
}

/* XEN_DOMCTL_max_mem (dom0, on itself): the maximum follows, at once and
 * without a check against what the domain has (Xen 4.19: above it the
 * domain gets nothing more until it has given enough back). */
static void checks_max_mem(void)
{
  struct xen_domctl op = {
      .cmd = XEN_DOMCTL_max_mem, .interface_version = XEN_DOMCTL_INTERFACE_VERSION, .domain = 0};
  long cur = current_pages(DOMID_SELF), max = maximum_pages(DOMID_SELF);
  xen_pfn_t list[1] = {GFN_AREA + 2000};

  op.u.max_mem.max_memkb = (uint64_t)(cur - 2) * 4;
  check("max_mem two pages below what it has", hypercall1(__HYPERVISOR_domctl, PTR(&op)), 0);
  check("  maximum_reservation follows", maximum_pages(DOMID_SELF), cur - 2);
  check("  current_reservation unchanged", current_pages(DOMID_SELF), cur);
  check("decrease one page", reservation(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF), 1);
  check("  still above the maximum: populate gets none",
        reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF), 0);
  op.u.max_mem.max_memkb = (uint64_t)max * 4 + 3; /* KiB round down to pages */
  check("max_mem back", hypercall1(__HYPERVISOR_domctl, PTR(&op)), 0);
  check("  maximum_reservation back", maximum_pages(DOMID_SELF), max);
  check("  populate again", reservation(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF), 1);
}

/* The free pages the hypervisor has yet to zero (sysctl physinfo's
 * scrub_pages: dom0 only), or -1. */
static long scrub_pages(void)
{
  struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo,
                          .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
  if (hypercall1(__HYPERVISOR_sysctl, PTR(&op)))
    return -1;
  return (long)op.u.physinfo.scrub_pages;
}

/* Block until the hypervisor has zeroed every free page (its idle loop
 * does that while no vcpu runs), looking every ms, for at most 5 s of
 * system time.  Returns the pages still to zero then. */
static long wait_scrubbed(void)
{
  struct xen_add_to_physmap x = {
      .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = PTR(shinfo_page) >> 12};
  if (memory_op(XENMEM_add_to_physmap, &x))
    return scrub_pages();
  const volatile struct shared_info *si = (const volatile struct shared_info *)shinfo_page;
  uint64_t end = pvclock_ns(&si->vcpu_info[0].time) + 5000000000ULL;
  long left;
  while ((left = scrub_pages()) > 0) {
    uint64_t now = pvclock_ns(&si->vcpu_info[0].time);
    if (now >= end)
      break;
    /* No ports, a timeout: the vcpu blocks until then (1 ms). */
    struct sched_poll sp = {.nr_ports = 0, .timeout = now + 1000000};
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, PTR(&sp));
  }
  return left;
}

/* Give mib back in one call and take it again in another, timed: at
 * once (the frames taken must be zeroed then: nothing has run the idle
 * loop's scrubbing since boot), and again once the idle loop has zeroed
 * the free frames (as when a domain takes memory back some time after
 * giving it). */
static int bench(unsigned long mib)
{
  static xen_pfn_t list[MiB(256) >> 12];
  unsigned long n = MiB(mib) >> 12;
  if (n > sizeof(list) / sizeof(list[0])) {
    printf("balloon: bench=%lu: at most 256 MiB\n", mib);
    return 1;
  }
  for (unsigned long i = 0; i < n; i++)
    list[i] = GFN_AREA + i;
  long cur = current_pages(DOMID_SELF);
  uint64_t t0 = rdtsc_ordered();
  long down = reservation(XENMEM_decrease_reservation, list, n, 0, DOMID_SELF);
  uint64_t t1 = rdtsc_ordered();
  long up = reservation(XENMEM_populate_physmap, list, n, 0, DOMID_SELF);
  uint64_t t2 = rdtsc_ordered();
  printf("balloon: decrease %lu MiB: %llu ticks\n", mib, (unsigned long long)(t1 - t0));
  printf("balloon: increase %lu MiB at once (unscrubbed): %llu ticks\n", mib,
         (unsigned long long)(t2 - t1));
  check("bench: all given back", down, (long)n);
  check("bench: all taken again", up, (long)n);
  check("bench: as many pages as before", current_pages(DOMID_SELF), cur);

  check("bench: all given back again",
        reservation(XENMEM_decrease_reservation, list, n, 0, DOMID_SELF), (long)n);
  long left = wait_scrubbed();
  uint64_t t3 = rdtsc_ordered();
  up = reservation(XENMEM_populate_physmap, list, n, 0, DOMID_SELF);
  uint64_t t4 = rdtsc_ordered();
  printf("balloon: increase %lu MiB: %llu ticks\n", mib, (unsigned long long)(t4 - t3));
  check("bench: the free pages scrubbed meanwhile", left, 0);
  check("bench: all taken again after scrubbing", up, (long)n);
  check("bench: zeros", all(GFN_AREA, 0) && all(GFN_AREA + n - 1, 0), true);
  /* Less the RAM page shared_info took the place of. */
  check("bench: as many pages as before, again", current_pages(DOMID_SELF), cur - 1);
  return failed != 0;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  unsigned long mib = cmdline_num(cmdline, "bench", 0);
  if (mib)
    return bench(mib);
  bool dom0 = free_pages() >= 0;
  checks_self(dom0);
  if (dom0)
    checks_max_mem();
  printf("balloon: %u checks, %u failed\n", checks, failed);
  return failed != 0;
}
