/* Unit tests of foreign mappings and the physical map ops: hv/physmap.c
 * (add_to_physmap_batch, remove_from_physmap) and hv/foreign.c over the
 * real guest RAM code (mm/guestmem.c), grant tables, frame allocator and
 * heap, with a fake p2m (an array of gfn slots per domain) and guest
 * pointers that are host pointers.  What is checked: Xen 4.19's errnos
 * and their order (common/memory.c, arch/x86/mm/p2m.c p2m_add_foreign,
 * xsm/dummy.h), the owner's frames kept while mapped, revocation when the
 * owner ends, the mapper's entries dropped (never freed) when it ends,
 * the 32-bit layout and the continuation, the hash table under churn, and
 * every frame and heap block back at the end. */
#include "unit.h"

#include <arch/arch.h>
#include <hv/compat.h>
#include <hv/errno.h>
#include <hv/foreign.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/memory_reservation.h>
#include <hv/physmap.h>
#include <public/memory.h>

/* ---- the fake p2m and domains ---- */

#define FAKE_GFNS 4096
#define FAKE_RAM_GFNS 64 /* gfn 0..63 of each domain is RAM */
#define NDOMS 3          /* dom0 (privileged), domu1, domu2 */

struct fake_dom {
  struct domain d;
  struct vcpu v;
  paddr_t hpa[FAKE_GFNS];
  enum p2m_type type[FAKE_GFNS];
};

static struct fake_dom doms[NDOMS];
struct domain *domain_list;
static unsigned int crashes;

static struct fake_dom *fake_of(struct domain *d) { return (struct fake_dom *)(void *)d; }

paddr_t arch_p2m_query(struct domain *d, uint64_t gpa, uint64_t *page_size, enum p2m_type *type)
{
  uint64_t gfn = gpa >> PAGE_SHIFT;
  bool in = gfn < FAKE_GFNS;
  if (page_size)
    *page_size = PAGE_SIZE;
  if (type)
    *type = in ? fake_of(d)->type[gfn] : P2M_NONE;
  return in && fake_of(d)->hpa[gfn] ? fake_of(d)->hpa[gfn] + (gpa & 0xfff) : 0;
}

paddr_t arch_p2m_lookup(struct domain *d, uint64_t gpa, uint64_t *page_size)
{
  return arch_p2m_query(d, gpa, page_size, NULL);
}

int arch_p2m_set_type(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type, paddr_t *old,
                      enum p2m_type *old_type)
{
  uint64_t gfn = gpa >> PAGE_SHIFT;
  *old = 0;
  if (old_type)
    *old_type = P2M_NONE;
  if ((type == P2M_NONE) != !hpa)
    return -EINVAL;
  if (gfn >= FAKE_GFNS)
    return -ENOMEM; /* as if the tables ran out */
  *old = fake_of(d)->hpa[gfn];
  if (old_type)
    *old_type = fake_of(d)->type[gfn];
  fake_of(d)->hpa[gfn] = hpa;
  fake_of(d)->type[gfn] = type;
  return 0;
}

/* The same without the flush: the fake has no translations to drop. */
int arch_p2m_set_type_noflush(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type,
                              paddr_t *old, enum p2m_type *old_type)
{
  return arch_p2m_set_type(d, gpa, hpa, type, old, old_type);
}

void arch_p2m_flush(struct domain *d) { (void)d; }

/* 4 KiB entries for every page of the mapping (a 2 MiB one too). */
int arch_p2m_map(struct domain *d, uint64_t gpa, paddr_t hpa, uint64_t size)
{
  paddr_t old;
  for (uint64_t off = 0; off < size; off += PAGE_SIZE)
    if (arch_p2m_query(d, gpa + off, NULL, NULL))
      return -EEXIST;
  for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
    int err = arch_p2m_set_type(d, gpa + off, hpa + off, P2M_RAM, &old, NULL);
    if (err)
      return err;
  }
  return 0;
}

void arch_p2m_each(struct domain *d, arch_p2m_leaf_fn *fn, void *arg)
{
  for (uint64_t g = 0; g < FAKE_GFNS; g++)
    if (fake_of(d)->type[g] != P2M_NONE)
      fn(d, g << PAGE_SHIFT, fake_of(d)->hpa[g], PAGE_SIZE, fake_of(d)->type[g], arg);
}

void arch_p2m_destroy(struct domain *d)
{
  memset(fake_of(d)->hpa, 0, sizeof(fake_of(d)->hpa));
  memset(fake_of(d)->type, 0, sizeof(fake_of(d)->type));
}

/* Guest pointers are host pointers; [LOW_GVA, LOW_GVA + sizeof(low)) is
 * where a 32-bit caller's handles point; NULL and [bad, bad + 4096)
 * fault. */
#define LOW_GVA 0x10000u
static uint8_t low[16384] __attribute__((aligned(16)));
static uint64_t bad;

static void *host(uint64_t gva, size_t len)
{
  if (!gva || (bad && gva < bad + 4096 && gva + len > bad))
    return NULL;
  if (gva >= LOW_GVA && gva < LOW_GVA + sizeof(low))
    return low + (gva - LOW_GVA);
  return (void *)(uintptr_t)gva;
}

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  (void)v;
  void *p = host(gva, len);
  if (!p)
    return -EFAULT;
  memcpy(dst, p, len);
  return 0;
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  (void)v;
  void *p = host(gva, len);
  if (!p)
    return -EFAULT;
  memcpy(p, src, len);
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

/* The hypervisor's console ring is not in these tests' domains. */
bool console_ring_yield(struct domain *d, paddr_t hpa)
{
  (void)d;
  (void)hpa;
  return false;
}

bool domain_keep_vcpu_info_frame(struct domain *d, paddr_t hpa)
{
  (void)d;
  (void)hpa;
  return false;
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
  (void)fmt;
  crashes++;
  d->state = DOMAIN_CRASHED;
}

/* ---- set-up: three domains with RAM and a grant table each ---- */

static const struct boot_mem_region ram_map[] = {{MiB(1), MiB(32), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};
static unsigned long free_before;

static int setup(void **state)
{
  (void)state;
  fake_ram_init(MiB(1), MiB(32));
  if (frame_init(ram_map, ARRAY_SIZE(ram_map), res, ARRAY_SIZE(res), 0))
    return -1;
  heap_init();
  free_before = frame_nr_free();
  memset(doms, 0, sizeof(doms));
  memset(low, 0, sizeof(low));
  bad = 0;
  domain_list = NULL;
  crashes = 0;
  for (int i = NDOMS - 1; i >= 0; i--) {
    struct fake_dom *f = &doms[i];
    f->d.id = (domid_t)i;
    f->d.privileged = i == 0;
    f->d.state = DOMAIN_RUNNING;
    f->d.shared_info_gfn = ~0ULL;
    f->d.shared_info = frame_alloc_zeroed();
    f->v.dom = &f->d;
    for (int g = 0; g < FAKE_RAM_GFNS; g++) {
      f->hpa[g] = frame_alloc_zeroed();
      f->type[g] = P2M_RAM;
      *(uint32_t *)phys_to_virt(f->hpa[g]) = 0xd0000000u | (uint32_t)i << 16 | (uint32_t)g;
    }
    f->d.nr_frames = FAKE_RAM_GFNS;
    if (gnttab_init(&f->d))
      return -1;
    f->d.next = domain_list;
    domain_list = &f->d;
  }
  return 0;
}

/* What hv/domain.c's domain_release and domain_destroy give back, in
 * their order. */
static void release(int i)
{
  struct domain *d = &doms[i].d;
  if (d->state == DOMAIN_DYING)
    return;
  d->state = DOMAIN_DYING;
  foreign_release(d);
  gnttab_release(d);
  guestmem_release(d);
  frame_free(d->shared_info);
}

/* Every domain goes: every frame and heap block must come back (a frame
 * freed twice panics in frame_free). */
static int teardown(void **state)
{
  (void)state;
  for (int i = 0; i < NDOMS; i++)
    release(i);
  struct heap_stats st;
  heap_stats(&st);
  bool ok = frame_nr_free() + st.small_frames == free_before && st.nr_blocks == 0;
  if (!ok)
    fprintf(stderr, "teardown: %lu frames free + %lu heap, %lu before; %lu heap blocks\n",
            frame_nr_free(), st.small_frames, free_before, st.nr_blocks);
  fake_ram_free();
  return ok ? 0 : -1;
}

/* Frames free, less those the heap holds for large blocks: what giving
 * back a domain's frames moves by exactly. */
static unsigned long free_frames(void)
{
  struct heap_stats st;
  heap_stats(&st);
  return frame_nr_free() + st.large_frames;
}

static uint32_t word(int dom, uint64_t gfn)
{
  return *(uint32_t *)phys_to_virt(doms[dom].hpa[gfn]);
}

/* One add_to_physmap_batch call by dom `caller` (64-bit layout), every
 * continuation followed.  Returns the last result. */
static long batch_full(int caller, domid_t domid, uint16_t space, domid_t foreign,
                       const xen_ulong_t *idxs, const xen_pfn_t *gpfns, int *errs, uint16_t size,
                       unsigned int *turns)
{
  struct xen_add_to_physmap_batch b = {domid,
                                       space,
                                       size,
                                       {foreign},
                                       (uint64_t)(uintptr_t)idxs,
                                       (uint64_t)(uintptr_t)gpfns,
                                       (uint64_t)(uintptr_t)errs};
  uint64_t args[6] = {XENMEM_add_to_physmap_batch, (uint64_t)(uintptr_t)&b};
  long rc;
  unsigned int n = 0;
  do {
    n++;
    rc = physmap_add_batch(&doms[caller].v, args[0] >> MEMOP_EXTENT_SHIFT, args[1], args);
  } while (rc == -ERESTART);
  if (turns)
    *turns = n;
  return rc;
}

/* Map one foreign frame: the call's result, and errs[0] in *err. */
static long map1(int caller, domid_t domid, domid_t foreign, uint64_t fgfn, uint64_t gpfn, int *err)
{
  xen_ulong_t idx = fgfn;
  xen_pfn_t gpfn_ = gpfn;
  *err = 12345;
  return batch_full(caller, domid, XENMAPSPACE_gmfn_foreign, foreign, &idx, &gpfn_, err, 1, NULL);
}

/* errs[0] of a one-entry foreign map that the call itself accepts. */
static int map_err(int caller, domid_t domid, domid_t foreign, uint64_t fgfn, uint64_t gpfn)
{
  int err;
  assert_int_equal(map1(caller, domid, foreign, fgfn, gpfn, &err), 0);
  return err;
}

static long remove_(int caller, domid_t domid, uint64_t gpfn)
{
  struct xen_remove_from_physmap r = {domid, gpfn};
  return physmap_remove(&doms[caller].v, (uint64_t)(uintptr_t)&r);
}

/* ---- tests ---- */

static void test_map_read_write_unmap(void **state)
{
  (void)state;
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 200), 0);
  assert_int_equal(doms[0].type[200], P2M_FOREIGN);
  assert_int_equal(doms[0].hpa[200], doms[1].hpa[5]);
  assert_int_equal(word(0, 200), 0xd0010005u); /* dom0 sees domu1's page */
  *(uint32_t *)phys_to_virt(doms[0].hpa[200]) = 0x1234;
  assert_int_equal(word(1, 5), 0x1234);
  assert_int_equal(doms[1].d.nr_foreign_mapped, 1);
  assert_int_equal(doms[0].d.nr_frames, FAKE_RAM_GFNS); /* a hole was there */
  /* dom0 naming itself explicitly is the same. */
  assert_int_equal(map_err(0, 0, 1, 6, 201), 0);
  /* The same frame twice, and a special page of the owner (its
   * shared_info: RAM to Xen's p2m). */
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 202), 0);
  assert_int_equal(
      guestmem_map_special(&doms[1].d, 300, doms[1].d.shared_info, &doms[1].d.shared_info_gfn), 0);
  assert_int_equal(map_err(0, DOMID_SELF, 1, 300, 203), 0);
  assert_int_equal(doms[0].hpa[203], doms[1].d.shared_info);
  assert_int_equal(doms[1].d.nr_foreign_mapped, 4);

  assert_int_equal(remove_(0, DOMID_SELF, 200), 0);
  assert_int_equal(doms[0].type[200], P2M_NONE);
  assert_int_equal(doms[1].type[5], P2M_RAM); /* the owner keeps it */
  assert_int_equal(remove_(0, DOMID_SELF, 200), -ENOENT);
  assert_int_equal(remove_(0, 0, 201), 0);
  assert_int_equal(remove_(0, DOMID_SELF, 202), 0);
  assert_int_equal(remove_(0, DOMID_SELF, 203), 0);
  assert_int_equal(doms[1].d.nr_foreign_mapped, 0);
}

static void test_batch_refusals(void **state)
{
  (void)state;
  xen_ulong_t idx = 5;
  xen_pfn_t gpfn = 200;
  int err = 0;
  struct domain *d1 = &doms[1].d;

  /* The call itself, in Xen's order. */
  struct xen_add_to_physmap_batch b = {DOMID_SELF,
                                       XENMAPSPACE_gmfn_foreign,
                                       1,
                                       {1},
                                       (uint64_t)(uintptr_t)&idx,
                                       (uint64_t)(uintptr_t)&gpfn,
                                       (uint64_t)(uintptr_t)&err};
  uint64_t args[6] = {0};
  assert_int_equal(physmap_add_batch(&doms[0].v, 1U << 16, (uint64_t)(uintptr_t)&b, args), -EDOM);
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, 0, args), -EFAULT);
  b.space = XENMAPSPACE_gmfn_range;
  b.domid = 77; /* the space is refused before the domain is looked up */
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), -EOPNOTSUPP);
  b.space = XENMAPSPACE_gmfn_foreign;
  assert_int_equal(physmap_add_batch(&doms[1].v, 0, (uint64_t)(uintptr_t)&b, args), -ESRCH);
  b.domid = 0; /* a domU for dom0: XSM_TARGET */
  assert_int_equal(physmap_add_batch(&doms[1].v, 0, (uint64_t)(uintptr_t)&b, args), -EPERM);
  b.space = XENMAPSPACE_dev_mmio; /* -EACCES before -EPERM */
  assert_int_equal(physmap_add_batch(&doms[1].v, 0, (uint64_t)(uintptr_t)&b, args), -EACCES);
  b.domid = DOMID_SELF;
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), -EOPNOTSUPP);
  b.u.res0 = 0; /* dom0 on itself: each entry -EINVAL (no dev_mmio on x86) */
  err = 1;
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), 0);
  assert_int_equal(err, -EINVAL);
  b.space = XENMAPSPACE_gmfn_foreign;
  b.u.foreign_domid = 1;
  assert_int_equal(physmap_add_batch(&doms[0].v, 2, (uint64_t)(uintptr_t)&b, args), -EILSEQ);
  assert_int_equal(physmap_add_batch(&doms[0].v, 1, (uint64_t)(uintptr_t)&b, args), -EILSEQ);
  b.size = 0;
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), 0);
  b.size = 1;
  gpfn = ~0ULL; /* INVALID_GFN ends the call */
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), -EINVAL);
  gpfn = 200;
  b.idxs = 0;
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), -EFAULT);
  b.idxs = (uint64_t)(uintptr_t)&idx;
  b.errs = 0; /* the entry is done, its result cannot be written */
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, (uint64_t)(uintptr_t)&b, args), -EFAULT);
  assert_int_equal(doms[0].type[200], P2M_FOREIGN);
  assert_int_equal(remove_(0, DOMID_SELF, 200), 0);

  /* Each entry's own (p2m_add_foreign), the call returning 0. */
  assert_int_equal(map_err(1, DOMID_SELF, 0, 5, 200), -EPERM); /* a domU may not map */
  assert_int_equal(map_err(1, DOMID_SELF, 77, 5, 200), -ESRCH);
  assert_int_equal(map_err(1, DOMID_SELF, 1, 5, 200), -EPERM); /* itself, by id */
  assert_int_equal(map_err(0, DOMID_SELF, DOMID_SELF, 5, 200), -ESRCH);
  assert_int_equal(map_err(0, DOMID_SELF, 0, 5, 200), -EPERM);  /* dom0's own frames */
  assert_int_equal(map_err(0, DOMID_SELF, 77, 5, 200), -ESRCH); /* no such domain */
  assert_int_equal(map_err(0, DOMID_SELF, DOMID_XEN, 5, 200), -EINVAL);
  assert_int_equal(map_err(0, 1, 1, 5, 200), -EINVAL); /* into the owner itself */
  assert_int_equal(map_err(0, 1, 2, 5, 200), -EPERM);  /* the mapper is no control domain */
  assert_int_equal(map_err(0, 1, 0, 5, 200), -EPERM);  /* the caller's own frames */
  assert_int_equal(map_err(0, DOMID_SELF, 1, 100, 200), -EINVAL);        /* a hole */
  assert_int_equal(map_err(0, DOMID_SELF, 1, 1ULL << 36, 200), -EINVAL); /* beyond the p2m */
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 1ULL << 36), -EINVAL);
  d1->state = DOMAIN_SHUTDOWN;
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 200), -EINVAL);
  d1->state = DOMAIN_RUNNING;
  assert_int_equal(doms[0].type[200], P2M_NONE);
  assert_int_equal(d1->nr_foreign_mapped, 0);
  /* A foreign mapping of the owner's is not its RAM either. */
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 200), 0);
  d1->privileged = true; /* (pretend) */
  assert_int_equal(map_err(1, DOMID_SELF, 2, 7, 210), 0);
  d1->privileged = false;
  assert_int_equal(map_err(0, DOMID_SELF, 1, 210, 211), -EINVAL);
  assert_int_equal(remove_(1, DOMID_SELF, 210), 0);
  assert_int_equal(remove_(0, DOMID_SELF, 200), 0);
}

static void test_other_spaces_in_a_batch(void **state)
{
  (void)state;
  xen_ulong_t idxs[3] = {0, 1, 0};
  xen_pfn_t gpfns[3] = {300, 301, 302};
  int errs[3];
  /* shared_info at 300, idx 1 refused, then moved to 302. */
  assert_int_equal(
      batch_full(0, DOMID_SELF, XENMAPSPACE_shared_info, 0, idxs, gpfns, errs, 3, NULL), 0);
  assert_int_equal(errs[0], 0);
  assert_int_equal(errs[1], -EINVAL);
  assert_int_equal(errs[2], 0);
  assert_int_equal(doms[0].d.shared_info_gfn, 302);
  assert_int_equal(doms[0].type[300], P2M_NONE);
  /* Grant frames, for another domain by dom0. */
  xen_ulong_t g[2] = {0, 1};
  xen_pfn_t at[2] = {310, 311};
  assert_int_equal(batch_full(0, 1, XENMAPSPACE_grant_table, 0, g, at, errs, 2, NULL), 0);
  assert_int_equal(errs[0] | errs[1], 0);
  assert_int_equal(doms[1].type[311], P2M_SPECIAL);
  assert_int_equal(doms[1].hpa[311], doms[1].d.grant->frames[1]);
  /* A domain that stopped: nothing changes there. */
  doms[1].d.state = DOMAIN_CRASHED;
  assert_int_equal(batch_full(0, 1, XENMAPSPACE_grant_table, 0, g, at, errs, 1, NULL), 0);
  assert_int_equal(errs[0], -EINVAL);
  assert_int_equal(remove_(0, 1, 310), -ENOENT);
  doms[1].d.state = DOMAIN_RUNNING;
  /* Removal unhooks special pages. */
  assert_int_equal(remove_(0, DOMID_SELF, 302), 0);
  assert_int_equal(doms[0].d.shared_info_gfn, ~0ULL);
  assert_int_equal(remove_(0, 1, 311), 0);
  assert_int_equal(doms[1].d.grant->frame_gfn[1], ~0ULL);
}

static void test_owner_keeps_mapped_frames(void **state)
{
  (void)state;
  struct domain *d1 = &doms[1].d;
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 200), 0);
  /* The frame may not go while mapped: -EBUSY (Xen would take it out of
   * the owner's p2m and free it when the mapping goes). */
  assert_int_equal(guestmem_remove_page(d1, 5), -EBUSY);
  assert_int_equal(guestmem_add_page(d1, 5), -EBUSY);
  assert_int_equal(guestmem_map_special(d1, 5, d1->shared_info, &d1->shared_info_gfn), -EBUSY);
  assert_int_equal(remove_(1, DOMID_SELF, 5), -EBUSY);
  assert_int_equal(remove_(0, 1, 5), -EBUSY);
  assert_int_equal(doms[1].type[5], P2M_RAM);
  /* Other frames are free to go. */
  assert_int_equal(guestmem_remove_page(d1, 6), 0);
  assert_int_equal(remove_(0, 1, 7), 0); /* dom0 for domu1: freed */
  assert_int_equal(d1->nr_frames, FAKE_RAM_GFNS - 2);
  /* The mapper's foreign entry is not its RAM: -ENXIO. */
  assert_int_equal(guestmem_remove_page(&doms[0].d, 200), -ENXIO);
  assert_int_equal(
      guestmem_map_special(&doms[0].d, 200, doms[0].d.shared_info, &doms[0].d.shared_info_gfn),
      -ENXIO);
  assert_int_equal(guestmem_add_page(&doms[0].d, 200), -EBUSY);
  /* Once unmapped, the owner may free it. */
  assert_int_equal(remove_(0, DOMID_SELF, 200), 0);
  assert_int_equal(guestmem_remove_page(d1, 5), 0);
}

static void test_map_over_what_the_mapper_had(void **state)
{
  (void)state;
  struct domain *d0 = &doms[0].d;
  unsigned long free0 = frame_nr_free();
  /* Its RAM: freed (guest_remove_page). */
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 10), 0);
  assert_int_equal(d0->nr_frames, FAKE_RAM_GFNS - 1);
  assert_int_equal(frame_nr_free(), free0 + 1);
  /* Another foreign mapping: not its own page (-ENXIO). */
  assert_int_equal(map_err(0, DOMID_SELF, 2, 5, 10), -ENXIO);
  assert_int_equal(doms[0].hpa[10], doms[1].hpa[5]);
  /* A special page: unhooked. */
  assert_int_equal(guestmem_map_special(d0, 400, d0->shared_info, &d0->shared_info_gfn), 0);
  assert_int_equal(map_err(0, DOMID_SELF, 1, 6, 400), 0);
  assert_int_equal(d0->shared_info_gfn, ~0ULL);
  /* A grant mapping: -ENXIO. */
  struct grant_entry_v1 *e = gnttab_entry(doms[2].d.grant, 3);
  *e = (struct grant_entry_v1){GTF_permit_access, 0, 9};
  struct gnttab_map_grant_ref op = {500ULL << PAGE_SHIFT, GNTMAP_host_map, 3, 2, 0, 0, 0};
  uint64_t args[6] = {GNTTABOP_map_grant_ref, (uint64_t)(uintptr_t)&op, 1};
  assert_int_equal(do_grant_table_op(&doms[0].v, GNTTABOP_map_grant_ref, args[1], 1, args), 0);
  assert_int_equal(op.status, GNTST_okay);
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 500), -ENXIO);
  assert_int_equal(remove_(0, DOMID_SELF, 500), -EBUSY); /* the grant's own unmap undoes it */
  /* RAM of the mapper's that a grant mapping shows elsewhere: -EBUSY. */
  e = gnttab_entry(doms[0].d.grant, 4);
  *e = (struct grant_entry_v1){GTF_permit_access, 2, 20};
  struct gnttab_map_grant_ref op2 = {600ULL << PAGE_SHIFT, GNTMAP_host_map, 4, 0, 0, 0, 0};
  args[1] = (uint64_t)(uintptr_t)&op2;
  assert_int_equal(do_grant_table_op(&doms[2].v, GNTTABOP_map_grant_ref, args[1], 1, args), 0);
  assert_int_equal(op2.status, GNTST_okay);
  assert_int_equal(map_err(0, DOMID_SELF, 1, 5, 20), -EBUSY);
  assert_int_equal(doms[0].type[20], P2M_RAM);
  /* A grant map over a foreign entry crashes the mapper (p2m_add_page). */
  *gnttab_entry(doms[2].d.grant, 5) = (struct grant_entry_v1){GTF_permit_access, 0, 11};
  struct gnttab_map_grant_ref op3 = {10ULL << PAGE_SHIFT, GNTMAP_host_map, 5, 2, 0, 0, 0};
  args[1] = (uint64_t)(uintptr_t)&op3;
  assert_int_equal(do_grant_table_op(&doms[0].v, GNTTABOP_map_grant_ref, args[1], 1, args), 0);
  assert_int_equal(crashes, 1); /* (no status written: the domain is gone) */
  assert_int_equal(doms[0].type[10], P2M_FOREIGN);
}

static void test_owner_death_revokes(void **state)
{
  (void)state;
  unsigned long free0 = free_frames();
  for (uint64_t i = 0; i < 3; i++)
    assert_int_equal(map_err(0, DOMID_SELF, 1, 8 + i, 200 + i), 0);
  assert_int_equal(map_err(0, DOMID_SELF, 2, 8, 210), 0);
  assert_int_equal(map_err(0, DOMID_SELF, 1, 9, 11), 0); /* over dom0's RAM: freed */
  assert_int_equal(doms[1].d.nr_foreign_mapped, 4);
  shim_log_clear();
  release(1);
  assert_true(shim_log_contains("4 foreign mappings of its frames revoked in"));
  for (uint64_t i = 0; i < 3; i++)
    assert_int_equal(doms[0].type[200 + i], P2M_NONE);
  assert_int_equal(doms[0].type[11], P2M_NONE);
  assert_int_equal(doms[1].d.nr_foreign_mapped, 0);
  /* domu1's RAM, grant frame and shared_info went back, and the page of
   * dom0's that the mapping replaced. */
  assert_int_equal(free_frames(), free0 + FAKE_RAM_GFNS + 1 + 1 + 1);
  /* domu2's mapping is untouched and can still go. */
  assert_int_equal(doms[0].type[210], P2M_FOREIGN);
  assert_int_equal(word(0, 210), 0xd0020008u);
  assert_int_equal(remove_(0, DOMID_SELF, 200), -ENOENT);
  assert_int_equal(remove_(0, DOMID_SELF, 210), 0);
}

static void test_mapper_death_drops(void **state)
{
  (void)state;
  assert_int_equal(map_err(0, DOMID_SELF, 1, 8, 200), 0);
  assert_int_equal(map_err(0, DOMID_SELF, 2, 8, 201), 0);
  unsigned long free0 = free_frames();
  shim_log_clear();
  release(0); /* a double free of domu1's or domu2's frame would panic */
  assert_true(shim_log_contains("2 foreign mappings it made dropped"));
  assert_int_equal(doms[1].d.nr_foreign_mapped + doms[2].d.nr_foreign_mapped, 0);
  assert_int_equal(free_frames(), free0 + FAKE_RAM_GFNS + 1 + 1);
  assert_int_equal(word(1, 8), 0xd0010008u); /* the owners' frames live on */
  assert_int_equal(guestmem_remove_page(&doms[1].d, 8), 0);
}

static void test_continuation_and_32bit(void **state)
{
  (void)state;
  static xen_ulong_t idxs[150];
  static xen_pfn_t gpfns[150];
  static int errs[150];
  for (unsigned int i = 0; i < 150; i++) {
    idxs[i] = i % FAKE_RAM_GFNS;
    gpfns[i] = 1000 + i;
    errs[i] = 99;
  }
  unsigned int turns;
  assert_int_equal(
      batch_full(0, DOMID_SELF, XENMAPSPACE_gmfn_foreign, 1, idxs, gpfns, errs, 150, &turns), 0);
  assert_int_equal(turns, 3); /* 64 + 64 + 22 */
  for (unsigned int i = 0; i < 150; i++) {
    assert_int_equal(errs[i], 0);
    assert_int_equal(doms[0].hpa[1000 + i], doms[1].hpa[i % FAKE_RAM_GFNS]);
  }
  assert_int_equal(doms[1].d.nr_foreign_mapped, 150);
  /* The first turn's continuation: the op and the next entry. */
  struct xen_add_to_physmap_batch b = {DOMID_SELF,
                                       XENMAPSPACE_gmfn_foreign,
                                       150,
                                       {1},
                                       (uint64_t)(uintptr_t)idxs,
                                       (uint64_t)(uintptr_t)gpfns,
                                       (uint64_t)(uintptr_t)errs};
  uint64_t args[6] = {XENMEM_add_to_physmap_batch, (uint64_t)(uintptr_t)&b};
  assert_int_equal(physmap_add_batch(&doms[0].v, 0, args[1], args), -ERESTART);
  assert_int_equal(args[0], XENMEM_add_to_physmap_batch | 64 << MEMOP_EXTENT_SHIFT);
  for (unsigned int i = 0; i < 64; i++)
    assert_int_equal(errs[i], -ENXIO); /* already foreign there */
  for (unsigned int i = 0; i < 150; i++)
    assert_int_equal(remove_(0, DOMID_SELF, 1000 + i), 0);
  assert_int_equal(doms[1].d.nr_foreign_mapped, 0);

  /* A 32-bit caller: 20-byte structure, 32-bit idxs and gpfns. */
  struct compat_add_to_physmap_batch *c = (void *)low;
  uint32_t *cidx = (uint32_t *)(low + 64), *cgpfn = (uint32_t *)(low + 1024);
  int32_t *cerr = (int32_t *)(low + 2048);
  for (unsigned int i = 0; i < 100; i++) {
    cidx[i] = i % 10;
    cgpfn[i] = 2000 + i;
    cerr[i] = 99;
  }
  cgpfn[99] = 0xffffffffu; /* a gfn, not INVALID_GFN, but beyond the fake p2m */
  *c = (struct compat_add_to_physmap_batch){
      DOMID_SELF, XENMAPSPACE_gmfn_foreign, 100, {2}, LOW_GVA + 64, LOW_GVA + 1024, LOW_GVA + 2048};
  doms[0].v.hcall_compat = true;
  uint64_t a32[6] = {XENMEM_add_to_physmap_batch, LOW_GVA};
  long rc;
  turns = 0;
  do {
    turns++;
    rc = physmap_add_batch(&doms[0].v, a32[0] >> MEMOP_EXTENT_SHIFT, a32[1], a32);
  } while (rc == -ERESTART);
  assert_int_equal(rc, 0);
  assert_int_equal(turns, 2);
  for (unsigned int i = 0; i < 99; i++) {
    assert_int_equal(cerr[i], 0);
    assert_int_equal(doms[0].hpa[2000 + i], doms[2].hpa[i % 10]);
  }
  assert_int_equal(cerr[99], -ENOMEM); /* the fake's tables end at 4096 */
  struct compat_remove_from_physmap *cr = (void *)(low + 4096);
  *cr = (struct compat_remove_from_physmap){DOMID_SELF, 2005};
  assert_int_equal(physmap_remove(&doms[0].v, LOW_GVA + 4096), 0);
  assert_int_equal(doms[0].type[2005], P2M_NONE);
  doms[0].v.hcall_compat = false;
  assert_int_equal(doms[2].d.nr_foreign_mapped, 98);
}

static void test_remove_refusals(void **state)
{
  (void)state;
  assert_int_equal(physmap_remove(&doms[0].v, 0), -EFAULT);
  assert_int_equal(remove_(0, 77, 5), -ESRCH);
  assert_int_equal(remove_(1, 77, 5), -ESRCH); /* -ESRCH before -EPERM */
  assert_int_equal(remove_(1, 0, 5), -EPERM);
  assert_int_equal(remove_(0, DOMID_SELF, 100), -ENOENT);
  assert_int_equal(remove_(0, DOMID_SELF, 1ULL << 36), -ENOENT);
  unsigned long free0 = frame_nr_free();
  assert_int_equal(remove_(1, DOMID_SELF, 3), 0); /* its own RAM: freed */
  assert_int_equal(frame_nr_free(), free0 + 1);
  assert_int_equal(doms[1].d.nr_frames, FAKE_RAM_GFNS - 1);
}

/* The table under churn: many mappings made and taken in a scrambled
 * order, each found where it should be, through growth. */
static void test_table_churn(void **state)
{
  (void)state;
  enum { N = 1500 };
  static uint64_t gfn[N];
  for (unsigned int i = 0; i < N; i++)
    gfn[i] = 100 + (i * 7919u) % 3900u; /* distinct: 7919 and 3900 are coprime */
  for (unsigned int i = 0; i < N; i++)
    assert_int_equal(map_err(0, DOMID_SELF, 1 + i % 2, i % FAKE_RAM_GFNS, gfn[i]), 0);
  assert_int_equal(doms[1].d.nr_foreign_mapped + doms[2].d.nr_foreign_mapped, N);
  /* Take every third, then check the rest are all still found. */
  for (unsigned int i = 0; i < N; i += 3)
    assert_int_equal(remove_(0, DOMID_SELF, gfn[i]), 0);
  for (unsigned int i = 0; i < N; i++)
    assert_int_equal(foreign_unmap(&doms[0].d, gfn[i]) == 0, i % 3 != 0);
  assert_int_equal(doms[1].d.nr_foreign_mapped + doms[2].d.nr_foreign_mapped, 0);
  for (unsigned int i = 0; i < N; i++)
    assert_int_equal(doms[0].type[gfn[i]], P2M_NONE);
  /* And again, then one owner dies with half of them mapped. */
  for (unsigned int i = 0; i < N; i++)
    assert_int_equal(map_err(0, DOMID_SELF, 1 + i % 2, i % FAKE_RAM_GFNS, gfn[i]), 0);
  release(2);
  for (unsigned int i = 0; i < N; i++)
    assert_int_equal(doms[0].type[gfn[i]], i % 2 ? P2M_NONE : P2M_FOREIGN);
  assert_true(foreign_frame_in_use(&doms[1].d, doms[1].hpa[0]));
  assert_false(foreign_frame_in_use(&doms[1].d, doms[1].hpa[63] + 0x1000000));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_map_read_write_unmap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_batch_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_spaces_in_a_batch, setup, teardown),
      cmocka_unit_test_setup_teardown(test_owner_keeps_mapped_frames, setup, teardown),
      cmocka_unit_test_setup_teardown(test_map_over_what_the_mapper_had, setup, teardown),
      cmocka_unit_test_setup_teardown(test_owner_death_revokes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mapper_death_drops, setup, teardown),
      cmocka_unit_test_setup_teardown(test_continuation_and_32bit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_remove_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table_churn, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
