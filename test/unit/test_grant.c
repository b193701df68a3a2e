/* Unit tests of grant tables v1: the flag and pin rules (hv/grant_pin.c)
 * alone, then grant_table_op as a guest sees it (hv/grant_op.c,
 * hv/grant_table.c) over the real frame allocator and heap, with a fake
 * p2m (an array of gfn slots per domain) and guest pointers that are host
 * pointers.  Expected values are Xen 4.19's (common/grant_table.c). */
#include "unit.h"

#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/heap.h>
#include <hv/hypercall.h>

/* ---- The pin rules alone ---- */

static void test_pin_checks_type_domid_readonly(void **state)
{
  (void)state;
  struct grant_entry_v1 e = {GTF_permit_access, 1, 42};
  struct grant_active act = {0};

  assert_int_equal(grant_pin_begin(&e, &act, 2, true, true), GNTST_general_error); /* not dom 2 */
  e.flags = GTF_accept_transfer;
  assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_general_error);
  e.flags = GTF_permit_access | GTF_sub_page; /* a map may not take a sub-page grant ... */
  assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_general_error);
  assert_int_equal(grant_pin_begin(&e, &act, 1, true, false), GNTST_okay); /* ... a copy may */
  e.flags = GTF_permit_access | GTF_readonly;
  assert_int_equal(grant_pin_begin(&e, &act, 1, false, true), GNTST_general_error);
  assert_int_equal(e.flags, GTF_permit_access | GTF_readonly); /* refused: untouched */
  assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_okay);
  assert_int_equal(e.flags, GTF_permit_access | GTF_readonly | GTF_reading);
}

static void test_pin_flags_follow_pins(void **state)
{
  (void)state;
  struct grant_entry_v1 e = {GTF_permit_access, 1, 42};
  struct grant_active act = {0};

  assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_okay);
  grant_pin_commit(&act, 1, true, 0x5000);
  assert_int_equal(e.flags, GTF_permit_access | GTF_reading);
  assert_int_equal(act.pin, GRANT_PIN_R_INC);
  /* Once pinned, the granter's changes do not matter to more pins ... */
  e.domid = 7;
  assert_int_equal(grant_pin_begin(&e, &act, 1, false, true), GNTST_okay);
  grant_pin_commit(&act, 1, false, 0x9000);
  assert_int_equal(act.frame, 0x5000); /* the frame of the first pin stays */
  assert_int_equal(e.flags, GTF_permit_access | GTF_reading | GTF_writing);
  /* ... but another domain cannot share the pins. */
  assert_int_equal(grant_pin_begin(&e, &act, 7, true, true), GNTST_general_error);
  grant_unpin(&e, &act, false);
  assert_int_equal(e.flags, GTF_permit_access | GTF_reading);
  grant_unpin(&e, &act, true);
  assert_int_equal(e.flags, GTF_permit_access);
  assert_int_equal(act.pin, 0);
}

static void test_pin_abort_clears_what_begin_set(void **state)
{
  (void)state;
  struct grant_entry_v1 e = {GTF_permit_access, 1, 42};
  struct grant_active act = {0};
  assert_int_equal(grant_pin_begin(&e, &act, 1, false, true), GNTST_okay);
  assert_int_equal(e.flags, GTF_permit_access | GTF_reading | GTF_writing);
  grant_pin_abort(&e, &act, false);
  assert_int_equal(e.flags, GTF_permit_access);
  /* With a read pin held, aborting a write pin keeps GTF_reading. */
  assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_okay);
  grant_pin_commit(&act, 1, true, 0x5000);
  assert_int_equal(grant_pin_begin(&e, &act, 1, false, true), GNTST_okay);
  grant_pin_abort(&e, &act, false);
  assert_int_equal(e.flags, GTF_permit_access | GTF_reading);
}

static void test_pin_limit_is_128_per_kind(void **state)
{
  (void)state;
  struct grant_entry_v1 e = {GTF_permit_access, 1, 42};
  struct grant_active act = {0};
  for (int i = 0; i < 128; i++) {
    assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_okay);
    grant_pin_commit(&act, 1, true, 0x5000);
  }
  assert_int_equal(grant_pin_begin(&e, &act, 1, true, true), GNTST_general_error);
  /* The writable counter is separate. */
  assert_int_equal(grant_pin_begin(&e, &act, 1, false, true), GNTST_okay);
}

/* ---- Fakes for grant_table.c and grant_op.c ---- */

#define FAKE_GFNS 256
#define FAKE_RAM_GFNS 16 /* gfn 0..15 of each domain is RAM */

struct fake_dom {
  struct domain d;
  struct vcpu v;
  paddr_t hpa[FAKE_GFNS];
  enum p2m_type type[FAKE_GFNS];
};

static struct fake_dom doms[3];
struct domain *domain_list;
static unsigned int crashes;

static struct fake_dom *fake_of(struct domain *d) { return (struct fake_dom *)(void *)d; }

paddr_t arch_p2m_query(struct domain *d, uint64_t gpa, uint64_t *page_size, enum p2m_type *type)
{
  uint64_t gfn = gpa >> PAGE_SHIFT;
  if (page_size)
    *page_size = PAGE_SIZE;
  if (type)
    *type = gfn < FAKE_GFNS ? fake_of(d)->type[gfn] : P2M_NONE;
  return gfn < FAKE_GFNS && fake_of(d)->hpa[gfn] ? fake_of(d)->hpa[gfn] + (gpa & 0xfff) : 0;
}

int arch_p2m_set_type(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type, paddr_t *old,
                      enum p2m_type *old_type)
{
  uint64_t gfn = gpa >> PAGE_SHIFT;
  *old = 0;
  if (gfn >= FAKE_GFNS || (type == P2M_NONE) != !hpa)
    return -EINVAL;
  *old = fake_of(d)->hpa[gfn];
  if (old_type)
    *old_type = fake_of(d)->type[gfn];
  fake_of(d)->hpa[gfn] = hpa;
  fake_of(d)->type[gfn] = type;
  return 0;
}

int guestmem_map_special(struct domain *d, uint64_t gfn, paddr_t hpa, uint64_t *where)
{
  paddr_t old;
  if (*where != ~0ULL)
    arch_p2m_set_type(d, *where << PAGE_SHIFT, 0, P2M_NONE, &old, NULL);
  *where = gfn;
  return arch_p2m_set_type(d, gfn << PAGE_SHIFT, hpa, P2M_SPECIAL, &old, NULL);
}

void guestmem_special_unhooked(struct domain *d, paddr_t hpa) { gnttab_frame_unhooked(d, hpa); }

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  (void)v;
  if (!gva)
    return -EFAULT;
  memcpy(dst, (const void *)(uintptr_t)gva, len);
  return 0;
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  (void)v;
  if (!gva)
    return -EFAULT;
  memcpy((void *)(uintptr_t)gva, src, len);
  return 0;
}

/* hv/domain.c's domain_find and domain_lookup, on this file's list. */
struct domain *domain_find(domid_t id)
{
  for (struct domain *d = domain_list; d; d = d->next)
    if (d->id == id)
      return d;
  return NULL;
}

int domain_lookup(struct domain *caller, uint16_t id, struct domain **out)
{
  if (id == DOMID_SELF || id == caller->id) {
    *out = caller;
    return 0;
  }
  struct domain *d = domain_find(id);
  if (!d)
    return -ESRCH;
  if (!caller->privileged)
    return -EPERM;
  *out = d;
  return 0;
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
  (void)fmt;
  crashes++;
  d->state = DOMAIN_CRASHED;
  gnttab_release(d);
}

static const struct boot_mem_region ram_map[] = {{MiB(1), MiB(16), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};
static unsigned long free_before;

/* dom0 (privileged, id 0), domu1 (id 1), domu2 (id 2), each with RAM at
 * gfn 0..15 and a grant table. */
static int dom_setup(void **state)
{
  (void)state;
  fake_ram_init(MiB(1), MiB(16));
  if (frame_init(ram_map, ARRAY_SIZE(ram_map), res, ARRAY_SIZE(res), 0))
    return -1;
  heap_init();
  free_before = frame_nr_free();
  memset(doms, 0, sizeof(doms));
  domain_list = NULL;
  crashes = 0;
  for (int i = 2; i >= 0; i--) {
    struct fake_dom *f = &doms[i];
    f->d.id = (domid_t)i;
    f->d.privileged = i == 0;
    f->d.state = DOMAIN_RUNNING;
    f->v.dom = &f->d;
    for (int g = 0; g < FAKE_RAM_GFNS; g++) {
      f->hpa[g] = frame_alloc_zeroed();
      f->type[g] = P2M_RAM;
    }
    if (gnttab_init(&f->d))
      return -1;
    f->d.next = domain_list;
    domain_list = &f->d;
  }
  return 0;
}

/* Every domain goes away: nothing of the grant code may stay allocated,
 * and the RAM each domain owns must be back at its own gfns. */
static int dom_teardown(void **state)
{
  (void)state;
  for (int i = 0; i < 3; i++)
    gnttab_release(&doms[i].d);
  for (int i = 0; i < 3; i++)
    for (int g = 0; g < FAKE_GFNS; g++)
      if (doms[i].type[g] == P2M_RAM)
        frame_free(doms[i].hpa[g]);
  struct heap_stats st;
  heap_stats(&st);
  bool ok = frame_nr_free() + st.small_frames == free_before && st.nr_blocks == 0;
  fake_ram_free();
  return ok ? 0 : -1;
}

static long gntop(int dom, unsigned int cmd, void *arg, unsigned int count)
{
  uint64_t args[6] = {cmd, (uint64_t)(uintptr_t)arg, count, 0, 0, 0};
  return do_grant_table_op(&doms[dom].v, cmd, args[1], count, args);
}

/* dom `granter` grants ref to `to`, for its gfn, with flags. */
static struct grant_entry_v1 *grant(int granter, grant_ref_t ref, domid_t to, uint32_t gfn,
                                    uint16_t flags)
{
  struct grant_entry_v1 *e = gnttab_entry(doms[granter].d.grant, ref);
  e->domid = to;
  e->frame = gfn;
  e->flags = flags;
  return e;
}

static int16_t map(int mapper, domid_t dom, grant_ref_t ref, uint64_t gfn, uint32_t flags,
                   grant_handle_t *handle)
{
  struct gnttab_map_grant_ref op = {gfn << PAGE_SHIFT, flags, ref, dom, 99, 0, 0};
  assert_int_equal(gntop(mapper, GNTTABOP_map_grant_ref, &op, 1), 0);
  if (handle)
    *handle = op.handle;
  return op.status;
}

static int16_t unmap(int mapper, uint64_t gfn, grant_handle_t handle)
{
  struct gnttab_unmap_grant_ref op = {gfn << PAGE_SHIFT, 0, handle, 99};
  assert_int_equal(gntop(mapper, GNTTABOP_unmap_grant_ref, &op, 1), 0);
  return op.status;
}

static uint8_t *page(int dom, uint64_t gfn) { return phys_to_virt(doms[dom].hpa[gfn]); }

/* ---- grant_table_op as a guest sees it ---- */

static void test_query_setup_version(void **state)
{
  (void)state;
  struct gnttab_query_size q = {DOMID_SELF, 0, 0, 99};
  assert_int_equal(gntop(1, GNTTABOP_query_size, &q, 1), 0);
  assert_int_equal(q.status, GNTST_okay);
  assert_int_equal(q.nr_frames, 1);
  assert_int_equal(q.max_nr_frames, 64);
  assert_int_equal(gntop(1, GNTTABOP_query_size, &q, 2), -EINVAL);
  assert_int_equal(gntop(1, GNTTABOP_query_size, NULL, 1), -EFAULT);
  q.dom = 0; /* a domU asks about dom0: XSM_TARGET says no */
  assert_int_equal(gntop(1, GNTTABOP_query_size, &q, 1), 0);
  assert_int_equal(q.status, GNTST_permission_denied);
  q.dom = 9;
  assert_int_equal(gntop(0, GNTTABOP_query_size, &q, 1), 0);
  assert_int_equal(q.status, GNTST_bad_domain);

  /* setup_table grows the table and lists where its frames are. */
  assert_int_equal(gnttab_map_frame(&doms[1].d, 2, 200), 0); /* grows to 3 */
  xen_pfn_t list[5] = {1, 1, 1, 1, 1};
  struct gnttab_setup_table s = {DOMID_SELF, 4, 99, (uint64_t)(uintptr_t)list};
  assert_int_equal(gntop(1, GNTTABOP_setup_table, &s, 1), 0);
  assert_int_equal(s.status, GNTST_okay);
  assert_true(list[0] == ~0UL && list[1] == ~0UL && list[2] == 200 && list[3] == ~0UL);
  assert_int_equal(list[4], 1);
  assert_int_equal(doms[1].d.grant->nr_frames, 4);
  assert_int_equal(doms[1].type[200], P2M_SPECIAL);
  s.nr_frames = 65;
  assert_int_equal(gntop(1, GNTTABOP_setup_table, &s, 1), 0);
  assert_int_equal(s.status, GNTST_general_error);
  assert_int_equal(gnttab_map_frame(&doms[1].d, 64, 201), -EINVAL);
  /* Xen keeps only idx's low 32 bits. */
  assert_int_equal(gnttab_map_frame(&doms[1].d, (1ULL << 32) | 3, 201), 0);
  assert_int_equal(doms[1].hpa[201], doms[1].d.grant->frames[3]);

  struct gnttab_set_version sv = {2};
  assert_int_equal(gntop(1, GNTTABOP_set_version, &sv, 1), -ENOSYS);
  assert_int_equal(sv.version, 1);
  sv.version = 3;
  assert_int_equal(gntop(1, GNTTABOP_set_version, &sv, 1), -EINVAL);
  sv.version = 1;
  assert_int_equal(gntop(1, GNTTABOP_set_version, &sv, 1), 0);
  struct gnttab_get_version gv = {DOMID_SELF, 0, 0};
  assert_int_equal(gntop(1, GNTTABOP_get_version, &gv, 1), 0);
  assert_int_equal(gv.version, 1);
  gv.dom = 0;
  assert_int_equal(gntop(1, GNTTABOP_get_version, &gv, 1), -EPERM);
  gv.dom = 9;
  assert_int_equal(gntop(1, GNTTABOP_get_version, &gv, 1), -ESRCH);
  assert_int_equal(gntop(1, GNTTABOP_transfer, &gv, 1), -ENOSYS);
  /* A PVH guest has only eight sub-ops (hvm_grant_table_op). */
  assert_int_equal(gntop(1, GNTTABOP_query_size | 0x1000, &q, 1), -ENOSYS);
  assert_int_equal(gntop(1, GNTTABOP_get_status_frames, &q, 1), -ENOSYS);
  assert_int_equal(gntop(1, GNTTABOP_unmap_and_replace, &q, 1), -ENOSYS);
  assert_int_equal(gntop(1, GNTTABOP_query_size, &q, 0x80000000u), -EINVAL);
}

static void test_map_write_unmap(void **state)
{
  (void)state;
  struct grant_entry_v1 *e = grant(0, 10, 1, 3, GTF_permit_access);
  memset(page(0, 3), 0x5a, PAGE_SIZE);
  paddr_t mine = doms[1].hpa[5];
  grant_handle_t h;

  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map, &h), GNTST_okay);
  assert_int_equal(doms[1].hpa[5], doms[0].hpa[3]);
  assert_int_equal(doms[1].type[5], P2M_GRANT_RW);
  assert_int_equal(e->flags, GTF_permit_access | GTF_reading | GTF_writing);
  /* The same grant again, read-only, elsewhere. */
  grant_handle_t h2;
  assert_int_equal(map(1, 0, 10, 6, GNTMAP_host_map | GNTMAP_readonly, &h2), GNTST_okay);
  assert_int_equal(doms[1].type[6], P2M_GRANT_RO);
  assert_int_not_equal(h, h2);
  /* The granter's frame is in use while mapped (decrease_reservation and
   * add_to_physmap must not free it). */
  assert_int_equal(doms[0].d.grant->nr_mapped, 2);
  assert_true(gnttab_frame_in_use(&doms[0].d, doms[0].hpa[3]));
  assert_false(gnttab_frame_in_use(&doms[0].d, doms[0].hpa[4]));
  /* Another domain may not use a grant pinned for domu1 (nor its own). */
  assert_int_equal(map(2, 0, 10, 5, GNTMAP_host_map, NULL), GNTST_general_error);

  assert_int_equal(unmap(1, 7, h), GNTST_general_error); /* not where it is */
  assert_int_equal(unmap(1, 5, 999), GNTST_bad_handle);
  struct gnttab_unmap_grant_ref u0 = {0, 0, h, 99}; /* host_addr 0: a no-op */
  assert_int_equal(gntop(1, GNTTABOP_unmap_grant_ref, &u0, 1), 0);
  assert_int_equal(u0.status, GNTST_okay);
  assert_int_equal(doms[1].type[5], P2M_GRANT_RW);
  assert_int_equal(unmap(1, 5, h), GNTST_okay);
  assert_int_equal(doms[1].hpa[5], mine); /* its own page is back */
  assert_int_equal(doms[1].type[5], P2M_RAM);
  assert_int_equal(e->flags, GTF_permit_access | GTF_reading);
  assert_int_equal(unmap(1, 5, h), GNTST_bad_handle);
  assert_int_equal(unmap(1, 6, h2), GNTST_okay);
  assert_int_equal(e->flags, GTF_permit_access);
  assert_int_equal(doms[1].d.grant->maptrack_used, 0);
  assert_int_equal(doms[0].d.grant->nr_mapped, 0);
  assert_false(gnttab_frame_in_use(&doms[0].d, doms[0].hpa[3]));
}

static void test_map_errors(void **state)
{
  (void)state;
  struct grant_entry_v1 *e = grant(0, 10, 1, 3, GTF_permit_access);

  assert_int_equal(map(1, 0, 10, 5, 0, NULL), GNTST_bad_gntref);
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map | GNTMAP_device_map, NULL),
                   GNTST_general_error);
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map | GNTMAP_contains_pte, NULL),
                   GNTST_general_error);
  assert_int_equal(map(1, 7, 10, 5, GNTMAP_host_map, NULL), GNTST_bad_domain);
  assert_int_equal(map(1, DOMID_SELF, 10, 5, GNTMAP_host_map, NULL), GNTST_bad_domain);
  assert_int_equal(map(1, 0, 512, 5, GNTMAP_host_map, NULL), GNTST_bad_gntref);
  assert_int_equal(map(1, 0, 11, 5, GNTMAP_host_map, NULL), GNTST_general_error); /* invalid */
  assert_int_equal(map(2, 0, 10, 5, GNTMAP_host_map, NULL), GNTST_general_error); /* not for 2 */
  e->flags = GTF_permit_access | GTF_readonly;
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map, NULL), GNTST_general_error);
  e->flags = GTF_permit_access | GTF_PCD;
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map, NULL), GNTST_general_error);
  assert_int_equal(e->flags, GTF_permit_access | GTF_PCD); /* no pin left behind */
  e->flags = GTF_permit_access;
  e->frame = 100; /* not RAM of the granter */
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map, NULL), GNTST_bad_page);
  e->frame = 3;
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map | (1u << 20), NULL), GNTST_general_error);
  assert_int_equal(e->flags, GTF_permit_access);
  assert_int_equal(doms[1].type[5], P2M_RAM);
  assert_int_equal(doms[1].d.grant->maptrack_used, 0);
  assert_int_equal(crashes, 0);
}

static void test_map_limit_and_self(void **state)
{
  (void)state;
  grant(0, 10, 1, 3, GTF_permit_access);
  grant_handle_t h;
  for (int i = 0; i < 128; i++)
    assert_int_equal(map(1, 0, 10, 16 + i, GNTMAP_host_map | GNTMAP_readonly, NULL), GNTST_okay);
  assert_int_equal(map(1, 0, 10, 200, GNTMAP_host_map | GNTMAP_readonly, NULL),
                   GNTST_general_error);
  /* A domain may map its own grant. */
  grant(1, 20, 1, 4, GTF_permit_access);
  assert_int_equal(map(1, 1, 20, 201, GNTMAP_host_map, &h), GNTST_okay);
  assert_int_equal(doms[1].hpa[201], doms[1].hpa[4]);
  /* The pin limit comes first (Xen's order) ... */
  assert_int_equal(map(1, 0, 10, 16, GNTMAP_host_map | GNTMAP_readonly, NULL), GNTST_general_error);
  assert_int_equal(crashes, 0);
  /* ... then mapping over a grant mapping crashes the mapper, as in Xen
   * (the status is not written back into a dead domain). */
  map(1, 1, 20, 16, GNTMAP_host_map, NULL);
  assert_int_equal(crashes, 1);
  /* Its death undid all 129 mappings: gfn 16..143 and 201 are holes again. */
  assert_int_equal(doms[1].type[16], P2M_NONE);
  assert_int_equal(doms[1].type[143], P2M_NONE);
  assert_int_equal(doms[1].type[201], P2M_NONE);
  assert_int_equal(gnttab_active(doms[0].d.grant, 10)->pin, 0);
  assert_int_equal(gnttab_entry(doms[0].d.grant, 10)->flags, GTF_permit_access);
  assert_null(doms[1].d.grant);
}

/* The handles grow a chunk at a time to GNTTAB_MAPTRACK_MAX (room for a
 * backend domain serving many guests), then there are no more; a handle
 * given back is the next one taken. */
static void test_maptrack_grows_to_its_limit(void **state)
{
  (void)state;
  struct grant_table *gt = doms[1].d.grant;
  for (uint32_t i = 0; i < GNTTAB_MAPTRACK_MAX; i++)
    if (gnttab_get_handle(gt) != i)
      fail_msg("handle %u not the next one", i);
  assert_int_equal(gt->maptrack_used, GNTTAB_MAPTRACK_MAX);
  assert_int_equal(gnttab_get_handle(gt), ~0U);
  gnttab_put_handle(gt, 1234);
  assert_int_equal(gnttab_get_handle(gt), 1234);
  for (uint32_t i = 0; i < GNTTAB_MAPTRACK_MAX; i++)
    gnttab_put_handle(gt, i);
  assert_int_equal(gt->maptrack_used, 0);
}

static void test_granter_death_revokes_mappings(void **state)
{
  (void)state;
  grant(0, 10, 1, 3, GTF_permit_access);
  grant(0, 11, 2, 4, GTF_permit_access);
  paddr_t mine1 = doms[1].hpa[5];
  grant_handle_t h;
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map, &h), GNTST_okay);
  assert_int_equal(map(2, 0, 11, 100, GNTMAP_host_map, NULL), GNTST_okay);
  doms[0].d.state = DOMAIN_CRASHED;
  gnttab_release(&doms[0].d);
  assert_int_equal(doms[1].hpa[5], mine1);
  assert_int_equal(doms[1].type[5], P2M_RAM);
  assert_int_equal(doms[2].type[100], P2M_NONE);
  /* The handles wait for their mappers' unmaps, which succeed (as in
   * Xen) and change nothing in the restored slots. */
  assert_int_equal(doms[1].d.grant->maptrack_used, 1);
  assert_int_equal(unmap(1, 6, h), GNTST_general_error);
  assert_int_equal(unmap(1, 5, h), GNTST_okay);
  assert_int_equal(doms[1].hpa[5], mine1);
  assert_int_equal(doms[1].type[5], P2M_RAM);
  assert_int_equal(doms[1].d.grant->maptrack_used, 0);
  assert_int_equal(unmap(1, 5, h), GNTST_bad_handle);
  assert_int_equal(map(1, 0, 10, 5, GNTMAP_host_map, NULL), GNTST_bad_domain);
}

static int16_t copy(int dom, struct gnttab_copy *op)
{
  op->status = 99;
  assert_int_equal(gntop(dom, GNTTABOP_copy, op, 1), 0);
  return op->status;
}

static void test_copy(void **state)
{
  (void)state;
  grant(0, 10, 1, 3, GTF_permit_access);
  struct grant_entry_v1 *ro = grant(0, 12, 1, 4, GTF_permit_access | GTF_readonly);
  memcpy(page(0, 3) + 100, "granted", 8);
  memcpy(page(1, 2) + 7, "mapper!", 8);

  /* From the grant to the caller's gfn 1, and back into the grant. */
  struct gnttab_copy op = {
      {{.ref = 10}, 0, 100}, {{.gmfn = 1}, DOMID_SELF, 50}, 8, GNTCOPY_source_gref, 99};
  assert_int_equal(copy(1, &op), GNTST_okay);
  assert_memory_equal(page(1, 1) + 50, "granted", 8);
  op = (struct gnttab_copy){
      {{.gmfn = 2}, DOMID_SELF, 7}, {{.ref = 10}, 0, 4088}, 8, GNTCOPY_dest_gref, 99};
  assert_int_equal(copy(1, &op), GNTST_okay);
  assert_memory_equal(page(0, 3) + 4088, "mapper!", 8);
  assert_int_equal(gnttab_entry(doms[0].d.grant, 10)->flags, GTF_permit_access);

  op.dest.offset = 4089;
  assert_int_equal(copy(1, &op), GNTST_bad_copy_arg);
  op.dest.offset = 0;
  op.dest.u.ref = 12; /* read-only grant */
  assert_int_equal(copy(1, &op), GNTST_general_error);
  assert_int_equal(ro->flags, GTF_permit_access | GTF_readonly);
  op.dest.u.ref = 600;
  assert_int_equal(copy(1, &op), GNTST_bad_gntref);
  op.dest.u.ref = 10;
  op.dest.domid = 5;
  assert_int_equal(copy(1, &op), GNTST_bad_domain);
  op.dest.domid = 0;
  op.source.domid = 0; /* by frame, but not DOMID_SELF */
  assert_int_equal(copy(1, &op), GNTST_permission_denied);
  op.source.domid = DOMID_SELF;
  op.source.u.gmfn = 100; /* not RAM */
  assert_int_equal(copy(1, &op), GNTST_bad_page);
  op.len = 0; /* nothing to copy: nothing checked */
  assert_int_equal(copy(1, &op), GNTST_okay);
  op.len = 8;
  op.source.u.gmfn = 2;
  assert_int_equal(copy(2, &op), GNTST_general_error); /* grant 10 is not for domu2 */
  assert_int_equal(gnttab_active(doms[0].d.grant, 10)->pin, 0);
}

static void test_swap(void **state)
{
  (void)state;
  grant(1, 3, 0, 7, GTF_permit_access);
  grant(1, 4, 2, 8, GTF_permit_access);
  struct gnttab_swap_grant_ref sw[3] = {{3, 4, 99}, {3, 512, 99}, {4, 4, 99}};
  assert_int_equal(gntop(1, GNTTABOP_swap_grant_ref, sw, 3), 0);
  assert_int_equal(sw[0].status, GNTST_okay);
  assert_int_equal(gnttab_entry(doms[1].d.grant, 3)->domid, 2);
  assert_int_equal(gnttab_entry(doms[1].d.grant, 4)->frame, 7);
  assert_int_equal(sw[1].status, GNTST_bad_gntref);
  assert_int_equal(sw[2].status, GNTST_okay);
  /* A grant in use is not moved. */
  assert_int_equal(map(0, 1, 4, 9, GNTMAP_host_map, NULL), GNTST_okay);
  assert_int_equal(gntop(1, GNTTABOP_swap_grant_ref, sw, 1), 0);
  assert_int_equal(sw[0].status, GNTST_eagain);
}

static void test_copy_continues_after_a_turn(void **state)
{
  (void)state;
  static struct gnttab_copy ops[70];
  memset(ops, 0, sizeof(ops));
  uint64_t args[6] = {GNTTABOP_copy, (uint64_t)(uintptr_t)ops, 70, 0, 0, 0};
  assert_int_equal(do_grant_table_op(&doms[1].v, GNTTABOP_copy, args[1], 70, args), -ERESTART);
  assert_int_equal(args[1], (uint64_t)(uintptr_t)&ops[64]);
  assert_int_equal(args[2], 6);
  assert_int_equal(ops[63].status, GNTST_okay);
}

int main(void)
{
  const struct CMUnitTest pin[] = {
      cmocka_unit_test(test_pin_checks_type_domid_readonly),
      cmocka_unit_test(test_pin_flags_follow_pins),
      cmocka_unit_test(test_pin_abort_clears_what_begin_set),
      cmocka_unit_test(test_pin_limit_is_128_per_kind),
  };
  const struct CMUnitTest op[] = {
      cmocka_unit_test_setup_teardown(test_query_setup_version, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_map_write_unmap, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_map_errors, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_map_limit_and_self, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_maptrack_grows_to_its_limit, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_granter_death_revokes_mappings, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_copy, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_swap, dom_setup, dom_teardown),
      cmocka_unit_test_setup_teardown(test_copy_continues_after_a_turn, dom_setup, dom_teardown),
  };
  return cmocka_run_group_tests_name("grant pins", pin, NULL, NULL) |
         cmocka_run_group_tests_name("grant_table_op", op, NULL, NULL);
}
