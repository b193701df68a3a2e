/* Unit tests of the reservation ops (hv/memory_reservation.c) over the
 * real frame allocator, with the page-by-page work (mm/guestmem.c), the
 * domain lookup and guest memory faked: the extents done and where they
 * stop, the refusals of a request as a whole (0 extents, not an errno),
 * max_pages and the order limits, the 32-bit caller's layout, and the
 * continuation after a turn. */
#include "unit.h"

#include <hv/compat.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/guestmem.h>
#include <hv/memory_reservation.h>
#include <public/memory.h>

#define FAKE_GFNS 4096

static struct domain dom, other;
static struct vcpu vcpu;
static bool present[FAKE_GFNS];   /* the fake p2m: RAM at gfn or not */
static uint64_t bad_from, bad_to; /* guest addresses [bad_from, bad_to) fault */
/* Guest addresses [LOW_GVA, LOW_GVA + 4096) reach low_page: where a 32-bit
 * caller's handle can point. */
#define LOW_GVA 0x1000u
static uint8_t low_page[4096];

/* ---- fakes ---- */

int guestmem_add_page(struct domain *d, uint64_t gfn)
{
  if (gfn >= FAKE_GFNS)
    return -EINVAL;
  if (!present[gfn])
    d->nr_frames++;
  present[gfn] = true;
  return 0;
}

/* The 2 MiB path: a hole of 512 pages becomes one mapping; anything
 * there makes the caller go page by page. */
static unsigned int twomeg_maps;

int guestmem_add_2m(struct domain *d, uint64_t gfn)
{
  if ((gfn & 511) || gfn + 512 > FAKE_GFNS)
    return -EINVAL;
  for (unsigned int i = 0; i < 512; i++)
    if (present[gfn + i])
      return -EEXIST;
  for (unsigned int i = 0; i < 512; i++)
    present[gfn + i] = true;
  d->nr_frames += 512;
  twomeg_maps++;
  return 0;
}

/* Pages given back whose batch has not ended: every op must end its
 * batch (the flush, then the frees) before it returns. */
static unsigned int unflushed;

int guestmem_batch_remove(struct guestmem_batch *b, uint64_t gfn)
{
  if (gfn >= FAKE_GFNS || !present[gfn])
    return -ENOENT;
  present[gfn] = false;
  b->d->nr_frames--;
  unflushed++;
  return 0;
}

void guestmem_batch_end(struct guestmem_batch *b)
{
  (void)b;
  unflushed = 0;
}

int domain_lookup(struct domain *caller, uint16_t id, struct domain **out)
{
  if (id == DOMID_SELF || id == caller->id) {
    *out = caller;
    return 0;
  }
  if (id != other.id)
    return -ESRCH;
  if (!caller->privileged)
    return -EPERM;
  *out = &other;
  return 0;
}

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  (void)v;
  if (gva < bad_to && gva + len > bad_from)
    return -EFAULT;
  if (gva >= LOW_GVA && gva < LOW_GVA + sizeof(low_page)) /* a 32-bit guest's address */
    gva = (uint64_t)(uintptr_t)low_page + (gva - LOW_GVA);
  memcpy(dst, (const void *)(uintptr_t)gva, len);
  return 0;
}

/* ---- set-up ---- */

static const struct boot_mem_region ram_map[] = {{MiB(1), MiB(8), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};

static int setup(void **state)
{
  (void)state;
  fake_ram_init(MiB(1), MiB(8));
  if (frame_init(ram_map, ARRAY_SIZE(ram_map), res, ARRAY_SIZE(res), 0))
    return -1;
  memset(&dom, 0, sizeof(dom));
  memset(&other, 0, sizeof(other));
  memset(present, 0, sizeof(present));
  unflushed = 0;
  twomeg_maps = 0;
  dom.id = 1;
  other.id = 2;
  dom.max_pages = other.max_pages = 100;
  dom.state = other.state = DOMAIN_RUNNING;
  vcpu.dom = &dom;
  vcpu.hcall_compat = false;
  bad_from = bad_to = 0;
  for (unsigned int g = 0; g < 50; g++)
    guestmem_add_page(&dom, g);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  while (dom.spare) {
    paddr_t next = *(paddr_t *)phys_to_virt(dom.spare);
    frame_free(dom.spare);
    dom.spare = next;
  }
  fake_ram_free();
  return 0;
}

static long op(unsigned int which, xen_pfn_t *list, uint64_t nr, unsigned int order,
               unsigned int flags, domid_t id, uint64_t start)
{
  struct xen_memory_reservation r = {
      .extent_start = (uint64_t)(uintptr_t)list,
      .nr_extents = nr,
      .extent_order = order,
      .mem_flags = flags,
      .domid = id,
  };
  uint64_t args[6] = {which | start << MEMOP_EXTENT_SHIFT, (uint64_t)(uintptr_t)&r};
  long ret = memory_reservation(&vcpu, which, start, (uint64_t)(uintptr_t)&r, args);
  assert_int_equal(unflushed, 0);
  return ret;
}

/* ---- tests ---- */

static void test_decrease_stops_at_a_hole(void **state)
{
  (void)state;
  xen_pfn_t list[] = {3, 4, 60, 5};
  assert_int_equal(op(XENMEM_decrease_reservation, list, 4, 0, 0, DOMID_SELF, 0), 2);
  assert_false(present[3]);
  assert_false(present[4]);
  assert_true(present[5]); /* after the hole: not reached */
  assert_int_equal(dom.nr_frames, 48);
  /* From a start extent: those before it are counted, not redone. */
  xen_pfn_t more[] = {3, 6, 7};
  assert_int_equal(op(XENMEM_decrease_reservation, more, 3, 0, 0, DOMID_SELF, 1), 3);
  assert_int_equal(dom.nr_frames, 46);
  assert_true(present[3] == false && present[6] == false && present[7] == false);
}

static void test_order_and_half_done_extents(void **state)
{
  (void)state;
  /* Order 1: the second extent's second page is missing; its first page
   * stays given back (Xen does not undo it). */
  present[11] = false, dom.nr_frames--;
  xen_pfn_t list[] = {20, 10};
  assert_int_equal(op(XENMEM_decrease_reservation, list, 2, 1, 0, DOMID_SELF, 0), 1);
  assert_false(present[20] || present[21] || present[10]);
  assert_int_equal(dom.nr_frames, 46);
  /* Order 10 is a domU's limit exceeded; dom0 may use 12, not 13. */
  assert_int_equal(op(XENMEM_populate_physmap, list, 1, 10, 0, DOMID_SELF, 0), 0);
  dom.privileged = true;
  dom.max_pages = 10000;
  xen_pfn_t big[] = {0};
  assert_int_equal(op(XENMEM_populate_physmap, big, 1, 13, 0, DOMID_SELF, 0), 0);
  assert_int_equal(op(XENMEM_decrease_reservation, big, 1, 12, 0, DOMID_SELF, 0),
                   0);                 /* hole at 10 */
  assert_int_equal(dom.nr_frames, 36); /* 0..9 went before the hole */
}

static void test_two_mib_extents(void **state)
{
  (void)state;
  dom.max_pages = 50 + 3 * 512;
  /* A hole: one 2 MiB mapping.  A range with a page in it already: page
   * by page, that page replaced, the count right. */
  present[1024 + 7] = true, dom.nr_frames++;
  xen_pfn_t list[] = {512, 1024};
  assert_int_equal(op(XENMEM_populate_physmap, list, 2, 9, 0, DOMID_SELF, 0), 2);
  assert_int_equal(twomeg_maps, 1);
  assert_int_equal(dom.nr_frames, 50 + 2 * 512);
  for (unsigned int g = 512; g < 1536; g++)
    assert_true(present[g]);
  /* max_pages is checked before either path: the third 2 MiB would pass
   * it by one page. */
  dom.max_pages = dom.nr_frames + 511;
  xen_pfn_t third[] = {2048};
  assert_int_equal(op(XENMEM_populate_physmap, third, 1, 9, 0, DOMID_SELF, 0), 0);
  assert_int_equal(twomeg_maps, 1);
}

static void test_max_pages(void **state)
{
  (void)state;
  xen_pfn_t list[60];
  for (unsigned int i = 0; i < 60; i++)
    list[i] = 100 + i;
  /* 50 pages, 100 at most: the 51st extent stops it. */
  assert_int_equal(op(XENMEM_populate_physmap, list, 60, 0, 0, DOMID_SELF, 0), 50);
  assert_int_equal(dom.nr_frames, 100);
  assert_false(present[150]);
  /* increase_reservation counts too. */
  assert_int_equal(op(XENMEM_increase_reservation, NULL, 1, 0, 0, DOMID_SELF, 0), 0);
  xen_pfn_t one[] = {100};
  assert_int_equal(op(XENMEM_decrease_reservation, one, 1, 0, 0, DOMID_SELF, 0), 1);
  assert_int_equal(op(XENMEM_increase_reservation, NULL, 3, 0, 0, DOMID_SELF, 0), 1);
  assert_int_equal(dom.nr_spare, 1);
  assert_int_equal(dom.nr_frames + dom.nr_spare, 100);
}

static void test_refused_as_a_whole(void **state)
{
  (void)state;
  xen_pfn_t list[] = {1};
  unsigned long before = dom.nr_frames;
  /* Each returns the start extent (here 0, then 5), never an errno. */
  assert_int_equal(
      op(XENMEM_populate_physmap, list, 1, 0, XENMEMF_populate_on_demand, DOMID_SELF, 0), 0);
  assert_int_equal(
      op(XENMEM_decrease_reservation, list, 1, 0, XENMEMF_address_bits(12), DOMID_SELF, 0), 0);
  assert_int_equal(op(XENMEM_decrease_reservation, list, 1, 0, XENMEMF_node(1), DOMID_SELF, 0), 0);
  assert_int_equal(op(XENMEM_decrease_reservation, list, 1, 0, 0, 9, 0), 0); /* no such domain */
  assert_int_equal(op(XENMEM_decrease_reservation, list, 1, 0, 0, other.id, 0),
                   0); /* not privileged */
  assert_int_equal(op(XENMEM_decrease_reservation, list, 1ULL << 26, 0, 0, DOMID_SELF, 0), 0);
  assert_int_equal(op(XENMEM_decrease_reservation, list, 5, 0, 0, DOMID_SELF, 5),
                   5);           /* start >= nr */
  other.state = DOMAIN_SHUTDOWN; /* a domain that has stopped */
  dom.privileged = true;
  assert_int_equal(op(XENMEM_populate_physmap, list, 1, 0, 0, other.id, 0), 0);
  other.state = DOMAIN_RUNNING;
  dom.privileged = false;
  assert_int_equal(dom.nr_frames, before);
  /* Flags that are met: an address width above a page, node 0, a vnode. */
  assert_int_equal(
      op(XENMEM_decrease_reservation, list, 1, 0, XENMEMF_address_bits(32), DOMID_SELF, 0), 1);
  list[0] = 2;
  assert_int_equal(op(XENMEM_decrease_reservation, list, 1, 0, XENMEMF_node(0), DOMID_SELF, 0), 1);
  list[0] = 3;
  assert_int_equal(
      op(XENMEM_decrease_reservation, list, 1, 0, XENMEMF_node(5) | XENMEMF_vnode, DOMID_SELF, 0),
      1);
  /* dom0 acts for another domain. */
  dom.privileged = true;
  assert_int_equal(op(XENMEM_populate_physmap, list, 1, 0, 0, other.id, 0), 1);
  assert_int_equal(other.nr_frames, 1);
}

static void test_unreadable_list(void **state)
{
  (void)state;
  static xen_pfn_t list[40];
  for (unsigned int i = 0; i < 40; i++)
    list[i] = i;
  /* The list ends in a fault after 35 readable extents: 35 done, read
   * ahead or not. */
  bad_from = (uint64_t)(uintptr_t)&list[35];
  bad_to = bad_from + 5 * sizeof(list[0]);
  assert_int_equal(op(XENMEM_decrease_reservation, list, 40, 0, 0, DOMID_SELF, 0), 35);
  assert_int_equal(dom.nr_frames, 15);
  bad_from = 0; /* the request itself (on the stack) */
  bad_to = ~0ULL;
  assert_int_equal(op(XENMEM_decrease_reservation, list, 40, 0, 0, DOMID_SELF, 0), 0);
  assert_int_equal(dom.nr_frames, 15);
}

static void test_continuation(void **state)
{
  (void)state;
  static xen_pfn_t list[600];
  for (unsigned int i = 0; i < 600; i++)
    list[i] = 1000 + i;
  dom.max_pages = 1000;
  struct xen_memory_reservation r = {
      .extent_start = (uint64_t)(uintptr_t)list, .nr_extents = 600, .domid = DOMID_SELF};
  uint64_t args[6] = {XENMEM_populate_physmap, (uint64_t)(uintptr_t)&r};
  long rc;
  unsigned int turns = 0;
  while ((rc = memory_reservation(&vcpu, args[0] & 63, args[0] >> MEMOP_EXTENT_SHIFT,
                                  (uint64_t)(uintptr_t)&r, args)) == -ERESTART)
    turns++;
  assert_int_equal(rc, 600);
  assert_int_equal(turns, 2); /* 256 a turn */
  assert_int_equal(args[0], XENMEM_populate_physmap | 512 << MEMOP_EXTENT_SHIFT);
  assert_int_equal(dom.nr_frames, 650);
}

static void test_compat_layout(void **state)
{
  (void)state;
  vcpu.hcall_compat = true;
  uint32_t list[] = {7, 8};
  memcpy(low_page, list, sizeof(list));
  struct compat_memory_reservation c = {
      .extent_start = LOW_GVA, .nr_extents = 2, .extent_order = 0, .domid = DOMID_SELF};
  uint64_t args[6] = {XENMEM_decrease_reservation, (uint64_t)(uintptr_t)&c};
  assert_int_equal(
      memory_reservation(&vcpu, XENMEM_decrease_reservation, 0, (uint64_t)(uintptr_t)&c, args), 2);
  assert_false(present[7] || present[8]);
  assert_true(present[6] && present[9]);
  vcpu.hcall_compat = false;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_decrease_stops_at_a_hole),
      T(test_order_and_half_done_extents),
      T(test_max_pages),
      T(test_two_mib_extents),
      T(test_refused_as_a_whole),
      T(test_unreadable_list),
      T(test_continuation),
      T(test_compat_layout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
