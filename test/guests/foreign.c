/* foreign: dom0 maps another domain's frames, as a toolstack does to load
 * a guest (XENMEM_add_to_physmap_batch with XENMAPSPACE_gmfn_foreign, and
 * XENMEM_remove_from_physmap; hv/physmap.c, hv/foreign.c), each answer
 * compared with what Xen 4.19 gives (common/memory.c, arch/x86/mm/p2m.c
 * p2m_add_foreign, xsm/dummy.h).
 *
 * The domains all run this image, so a page-aligned variable (the
 * marker) is at the same guest-physical address in each: that is where
 * dom0 looks in the others.
 *
 * role=dom0 (the default; domu1 runs role=domu, domu2 role=keep): maps
 *   domu1's marker and sees what domu1 wrote there, writes to it and sees
 *   domu1 answer, maps domu1's first kernel page (the same bytes as its
 *   own) and its start info; removes mappings; checks every refusal
 *   (errs[] and the call's errno); sees that domu1 cannot give back a
 *   mapped frame; populates and decreases domu1's memory while domu1 is
 *   paused; maps over its own RAM (which goes back), 300 frames in one
 *   continued call, shared_info through the batch; then destroys domu1
 *   while it maps domu1's marker (the gfn then reads all ones, the
 *   hypervisor logs the revocation), and ends with domu2's marker still
 *   mapped (the hypervisor drops the entry; domu2 runs on).
 * role=domu: the refusals a domU gets, then fills its marker and answers
 *   dom0's writes until it is destroyed.
 * role=keep: fills its marker and waits for dom0's "leaving" mark, then
 *   for dom0 to have gone, checks its marker and powers off.
 * Each check prints "foreign: FAIL ..." when it fails; the last line is
 * "foreign: N checks, F failed". */
#include <stdbool.h>

#include <public/domctl.h>
#include <public/errno.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define MS 1000000ULL
#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define DOMU 1            /* destroyed by dom0 while mapped */
#define KEEP 2            /* mapped by dom0 when dom0 ends */
#define MAGIC 0x464f524eu /* "FORN" */
#define AREA 0x20000ULL   /* dom0's gfns for mappings: 512 MiB, above its RAM */
#define SCRATCH 0x2000ULL /* a RAM gfn nobody uses, in each domain (32 MiB) */

struct marker {
  uint32_t magic;              /* MAGIC once the domain has written it */
  uint32_t domid;              /* its own id */
  volatile uint32_t from_dom0; /* dom0 writes here through its mapping */
  volatile uint32_t ack;       /* ... and the domain answers with from_dom0 + 1 */
  volatile uint32_t leaving;   /* dom0 is about to end (role=keep waits for it) */
};

static union {
  struct marker m;
  uint8_t page[4096];
} marker __attribute__((aligned(4096)));

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const s = (volatile struct shared_info *)shinfo_page;
static int checks, failures;

static void check(const char *what, long got, long want)
{
  checks++;
  if (got == want)
    return;
  failures++;
  printf("foreign: FAIL %s: got %ld (0x%lx) want %ld (0x%lx)\n", what, got, got, want, want);
}

static void check_true(const char *what, bool ok) { check(what, ok, 1); }

static long memory_op(unsigned long cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, PTR(arg));
}

static long sched_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, PTR(arg));
}

static uint64_t now_ns(void) { return pvclock_ns(&s->vcpu_info[0].time); }

/* Let ns of system time pass, the CPU given to the others. */
static void sleep_ns(uint64_t ns)
{
  uint64_t end = now_ns() + ns;
  while (now_ns() < end) {
    struct sched_poll sp = {.ports = 0, .nr_ports = 0, .timeout = end};
    sched_op(SCHEDOP_poll, &sp);
  }
}

/* Wait up to limit_ns for *p to become want. */
static bool wait_for(volatile uint32_t *p, uint32_t want, uint64_t limit_ns)
{
  uint64_t end = now_ns() + limit_ns;
  while (*p != want && now_ns() < end)
    sleep_ns(MS);
  return *p == want;
}

/* One add_to_physmap_batch; the call's result. */
static long batch(domid_t domid, uint16_t space, domid_t foreign, xen_ulong_t *idxs,
                  xen_pfn_t *gpfns, int *errs, uint16_t size)
{
  struct xen_add_to_physmap_batch b = {domid,     space,      size,     {foreign},
                                       PTR(idxs), PTR(gpfns), PTR(errs)};
  return memory_op(XENMEM_add_to_physmap_batch, &b);
}

/* Map one frame; errs[0], or the call's errno when it fails as a whole
 * (then reported as such). */
static long map1(domid_t domid, domid_t foreign, uint64_t fgfn, uint64_t gpfn)
{
  xen_ulong_t idx = fgfn;
  xen_pfn_t g = gpfn;
  int err = 12345;
  long rc = batch(domid, XENMAPSPACE_gmfn_foreign, foreign, &idx, &g, &err, 1);
  if (rc) {
    printf("foreign: the call itself answered %ld\n", rc);
    return 1000 + rc;
  }
  return err;
}

static long remove(domid_t domid, uint64_t gpfn)
{
  struct xen_remove_from_physmap r = {domid, gpfn};
  return memory_op(XENMEM_remove_from_physmap, &r);
}

static long reservation(unsigned long op, xen_pfn_t gfn, domid_t dom)
{
  struct xen_memory_reservation r = {
      .extent_start = PTR(&gfn), .nr_extents = 1, .extent_order = 0, .domid = dom};
  return memory_op(op, &r);
}

static long current_pages(domid_t dom) { return memory_op(XENMEM_current_reservation, &dom); }

static long domctl(uint32_t cmd, domid_t dom)
{
  struct xen_domctl op;
  memset(&op, 0, sizeof(op));
  op.cmd = cmd;
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op.domain = dom;
  return hypercall1(__HYPERVISOR_domctl, PTR(&op));
}

static volatile uint32_t *at(uint64_t gfn) { return (volatile uint32_t *)(uintptr_t)(gfn << 12); }

static bool all_ones(uint64_t gfn)
{
  for (unsigned int i = 0; i < 1024; i++)
    if (at(gfn)[i] != 0xffffffffu)
      return false;
  return true;
}

static int map_shared_info(void)
{
  xen_ulong_t idx = 0;
  xen_pfn_t g = PTR(shinfo_page) >> 12;
  int err = 1;
  /* Through the batch: the other spaces of add_to_physmap work there too. */
  if (batch(DOMID_SELF, XENMAPSPACE_shared_info, 0, &idx, &g, &err, 1) || err) {
    printf("foreign: shared_info not mapped (%d)\n", err);
    return -1;
  }
  return 0;
}

static unsigned int my_domid(void)
{
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000004), "c"(0));
  return c;
}

static uint64_t marker_gfn(void) { return PTR(&marker) >> 12; }

/* ---- role=domu ---- */

static int role_domu(void)
{
  xen_ulong_t idx = 5;
  xen_pfn_t g = SCRATCH;
  int err = 12345;

  /* A domU may name only itself as the mapper, and may map nobody's
   * frames: the call answers 0 and the entry -EPERM
   * (xsm_map_gmfn_foreign). */
  check("domU: map dom0's frame into itself: the call",
        batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 0, &idx, &g, &err, 1), 0);
  check("domU: ... the entry", err, -XEN_EPERM);
  check("domU: map into dom0", batch(0, XENMAPSPACE_gmfn_foreign, 1, &idx, &g, &err, 1),
        -XEN_EPERM);
  check("domU: map into a domain that does not exist",
        batch(77, XENMAPSPACE_gmfn_foreign, 0, &idx, &g, &err, 1), -XEN_ESRCH);
  check("domU: remove_from_physmap of dom0's", remove(0, SCRATCH), -XEN_EPERM);
  check("domU: remove_from_physmap of a domain that does not exist", remove(77, SCRATCH),
        -XEN_ESRCH);
  /* The reservation ops refuse a request as a whole with "0 done". */
  check("domU: populate_physmap for dom0: none done",
        reservation(XENMEM_populate_physmap, 0x30000, 0), 0);
  check("domU: decrease_reservation for dom0: none done",
        reservation(XENMEM_decrease_reservation, SCRATCH, 0), 0);
  check("domU: decrease_reservation for a domain that does not exist: none done",
        reservation(XENMEM_decrease_reservation, SCRATCH, 77), 0);

  marker.m.domid = my_domid();
  __atomic_store_n(&marker.m.magic, MAGIC, __ATOMIC_SEQ_CST);
  printf("foreign: domU %u: %d checks, %d failed; marker at gfn 0x%lx\n", my_domid(), checks,
         failures, (unsigned long)marker_gfn());
  /* Answer dom0's writes until destroyed (60 s of system time at most). */
  uint64_t end = now_ns() + 60000 * MS;
  uint32_t seen = 0;
  while (now_ns() < end) {
    uint32_t v = marker.m.from_dom0;
    if (v != seen) {
      seen = v;
      printf("foreign: domU saw dom0's write 0x%x\n", v);
      marker.m.ack = v + 1;
    }
    sleep_ns(MS);
  }
  printf("foreign: FAIL domU was not destroyed\n");
  return 1;
}

/* ---- role=keep ---- */

static int role_keep(void)
{
  marker.m.domid = my_domid();
  __atomic_store_n(&marker.m.magic, MAGIC, __ATOMIC_SEQ_CST);
  check_true("keep: dom0 says it is leaving", wait_for(&marker.m.leaving, 1, 60000 * MS));
  sleep_ns(200 * MS); /* dom0 is gone by then */
  marker.m.magic = 0;
  check("keep: its marker page is still its own", marker.m.magic, 0);
  printf("foreign: keep: dom0 has left\n");
  return failures != 0;
}

/* ---- role=dom0 ---- */

static void refusals(void)
{
  xen_ulong_t idx = marker_gfn();
  xen_pfn_t g = AREA + 9;
  int err = 12345;

  /* The call as a whole, in Xen's order. */
  check("start extent above 16 bits",
        memory_op(XENMEM_add_to_physmap_batch | (1UL << 16) << 6,
                  &(struct xen_add_to_physmap_batch){.size = 1}),
        -XEN_EDOM);
  check("an unreadable batch", memory_op(XENMEM_add_to_physmap_batch, (void *)0x800000000000ULL),
        -XEN_EFAULT);
  check("gmfn_range in a batch", batch(DOMID_SELF, XENMAPSPACE_gmfn_range, 0, &idx, &g, &err, 1),
        -XEN_EOPNOTSUPP);
  check("a mapper that does not exist",
        batch(77, XENMAPSPACE_gmfn_foreign, DOMU, &idx, &g, &err, 1), -XEN_ESRCH);
  check("size 0", batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, DOMU, &idx, &g, &err, 0), 0);
  check("a start extent at size",
        memory_op(XENMEM_add_to_physmap_batch | 1UL << 6,
                  &(struct xen_add_to_physmap_batch){.domid = DOMID_SELF,
                                                     .space = XENMAPSPACE_gmfn_foreign,
                                                     .size = 1,
                                                     .u.foreign_domid = DOMU,
                                                     .idxs = PTR(&idx),
                                                     .gpfns = PTR(&g),
                                                     .errs = PTR(&err)}),
        -XEN_EILSEQ);
  xen_pfn_t invalid = ~0UL;
  check("gpfn INVALID_GFN",
        batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, DOMU, &idx, &invalid, &err, 1), -XEN_EINVAL);
  check("unreadable idxs",
        batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, DOMU, (void *)0x800000000000ULL, &g, &err, 1),
        -XEN_EFAULT);
  check("dev_mmio with res0 set", batch(DOMID_SELF, XENMAPSPACE_dev_mmio, 1, &idx, &g, &err, 1),
        -XEN_EOPNOTSUPP);

  /* Each entry's own (p2m_add_foreign): the call answers 0. */
  check("foreign domain DOMID_SELF (not a domain id)", map1(DOMID_SELF, DOMID_SELF, idx, g),
        -XEN_ESRCH);
  check("foreign domain dom0 itself", map1(DOMID_SELF, 0, idx, g), -XEN_EPERM);
  check("foreign domain that does not exist", map1(DOMID_SELF, 77, idx, g), -XEN_ESRCH);
  check("foreign domain DOMID_XEN (no pages of Xen offered)", map1(DOMID_SELF, DOMID_XEN, idx, g),
        -XEN_EINVAL);
  check("into domu1 its own frame", map1(DOMU, DOMU, idx, SCRATCH + 1), -XEN_EINVAL);
  check("into domu1 domu2's frame (domu1 is no control domain)", map1(DOMU, KEEP, idx, SCRATCH + 1),
        -XEN_EPERM);
  check("into domu1 dom0's frame", map1(DOMU, 0, idx, SCRATCH + 1), -XEN_EPERM);
  check("a hole of domu1 (above its RAM)", map1(DOMID_SELF, DOMU, 0x30000, g), -XEN_EINVAL);
  check("a gfn of domu1 beyond 36 bits", map1(DOMID_SELF, DOMU, 1ULL << 36, g), -XEN_EINVAL);
  check("at a gpfn beyond 36 bits", map1(DOMID_SELF, DOMU, idx, 1ULL << 36), -XEN_EINVAL);
  check_true("  nothing mapped by them", all_ones(g));

  /* remove_from_physmap. */
  check("remove_from_physmap with a start extent",
        memory_op(XENMEM_remove_from_physmap | 1UL << 6,
                  &(struct xen_remove_from_physmap){DOMID_SELF, g}),
        -XEN_EINVAL);
  check("remove_from_physmap unreadable",
        memory_op(XENMEM_remove_from_physmap, (void *)0x800000000000ULL), -XEN_EFAULT);
  check("remove_from_physmap of a domain that does not exist", remove(77, g), -XEN_ESRCH);
  check("remove_from_physmap of a hole", remove(DOMID_SELF, g), -XEN_ENOENT);
}

/* dom0 acts on domu1's memory while it is paused (construct_memop_from_
 * reservation and the XSM_TARGET check let the control domain), and
 * domu1 may not give back a frame dom0 maps. */
static void domu_memory(void)
{
  long cur = current_pages(DOMU);
  check("pause domu1", domctl(XEN_DOMCTL_pausedomain, DOMU), 0);
  check("map domu1's scratch page", map1(DOMID_SELF, DOMU, SCRATCH, AREA + 2), 0);
  at(AREA + 2)[0] = 0x5ca7c4;
  check("decrease_reservation of domu1's mapped page: none done (Xen would take it out of "
        "the p2m and free it when unmapped)",
        reservation(XENMEM_decrease_reservation, SCRATCH, DOMU), 0);
  check("  domu1's pages unchanged", current_pages(DOMU), cur);
  check("remove_from_physmap of domu1's mapped page", remove(DOMU, SCRATCH), -XEN_EBUSY);
  check("  still there", at(AREA + 2)[0], 0x5ca7c4);
  check("unmap it", remove(DOMID_SELF, AREA + 2), 0);
  check("decrease_reservation of domu1's page now",
        reservation(XENMEM_decrease_reservation, SCRATCH, DOMU), 1);
  check("  domu1 one page less", current_pages(DOMU), cur - 1);
  check("  the page is not RAM of domu1 any more", map1(DOMID_SELF, DOMU, SCRATCH, AREA + 2),
        -XEN_EINVAL);
  check("populate_physmap of it for domu1", reservation(XENMEM_populate_physmap, SCRATCH, DOMU), 1);
  check("  domu1's pages as before", current_pages(DOMU), cur);
  check("map the new page", map1(DOMID_SELF, DOMU, SCRATCH, AREA + 2), 0);
  check("  zeroed", at(AREA + 2)[0], 0);
  check("unmap it again", remove(DOMID_SELF, AREA + 2), 0);
  check("remove_from_physmap of domu1's RAM (freed)", remove(DOMU, SCRATCH + 1), 0);
  check("  domu1 one page less", current_pages(DOMU), cur - 1);
  check("  and a hole", reservation(XENMEM_decrease_reservation, SCRATCH + 1, DOMU), 0);
  check("populate it again", reservation(XENMEM_populate_physmap, SCRATCH + 1, DOMU), 1);
  check("populate_physmap for a domain that does not exist: none done",
        reservation(XENMEM_populate_physmap, SCRATCH, 77), 0);
  check("unpause domu1", domctl(XEN_DOMCTL_unpausedomain, DOMU), 0);
}

/* Over dom0's own RAM: it is freed (p2m_add_foreign's guest_remove_page). */
static void over_own_ram(void)
{
  long cur = current_pages(DOMID_SELF);
  at(SCRATCH)[0] = 0xd0d0;
  check("map over its own RAM", map1(DOMID_SELF, DOMU, marker_gfn(), SCRATCH), 0);
  check("  its pages one less", current_pages(DOMID_SELF), cur - 1);
  check("  the gfn shows domu1's marker", at(SCRATCH)[0], MAGIC);
  check("decrease_reservation of the foreign entry: none done (-ENXIO: not its page)",
        reservation(XENMEM_decrease_reservation, SCRATCH, DOMID_SELF), 0);
  check("remove it", remove(DOMID_SELF, SCRATCH), 0);
  check_true("  a hole now", all_ones(SCRATCH));
  check("populate it back", reservation(XENMEM_populate_physmap, SCRATCH, DOMID_SELF), 1);
  check("  its pages as before", current_pages(DOMID_SELF), cur);
}

/* 300 frames in one call: continued after a turn, each entry 0. */
static void many(void)
{
  static xen_ulong_t idxs[300];
  static xen_pfn_t gpfns[300];
  static int errs[300];
  for (unsigned int i = 0; i < 300; i++) {
    idxs[i] = SCRATCH + 16 + i;
    gpfns[i] = AREA + 0x100 + i;
    errs[i] = 12345;
  }
  check("300 frames in one batch",
        batch(DOMID_SELF, XENMAPSPACE_gmfn_foreign, DOMU, idxs, gpfns, errs, 300), 0);
  int bad = 0;
  for (unsigned int i = 0; i < 300; i++)
    bad += errs[i] != 0;
  check("  every entry 0", bad, 0);
  at(AREA + 0x100 + 299)[0] = 0xfeed;
  bad = 0;
  for (unsigned int i = 0; i < 300; i++)
    bad += remove(DOMID_SELF, AREA + 0x100 + i) != 0;
  check("  each removed", bad, 0);
  check("  the last one wrote domu1's page: mapped again, it shows",
        map1(DOMID_SELF, DOMU, SCRATCH + 16 + 299, AREA + 3), 0);
  check("  ... 0xfeed", at(AREA + 3)[0], 0xfeed);
  check("  ... and goes", remove(DOMID_SELF, AREA + 3), 0);
}

static int role_dom0(const struct hvm_start_info *si)
{
  uint64_t g = AREA;

  /* domu1's marker, mapped, shows what domu1 writes. */
  check("map domu1's marker", map1(DOMID_SELF, DOMU, marker_gfn(), g), 0);
  volatile struct marker *m = (volatile struct marker *)at(g);
  check_true("domu1's magic seen through the mapping", wait_for(&m->magic, MAGIC, 5000 * MS));
  check("domu1's id in its marker", m->domid, DOMU);
  m->from_dom0 = 0xd0d00001;
  check_true("domu1 answered dom0's write", wait_for(&m->ack, 0xd0d00002, 5000 * MS));
  printf("foreign: dom0 sees domu1's marker (magic 0x%x, domid %u, ack 0x%x)\n", m->magic, m->domid,
         m->ack);

  /* Its kernel at 1 MiB is this image: the same bytes; its start info is
   * where the builder put ours (same image, same place). */
  check("map domu1's gfn 0x100 (1 MiB)", map1(DOMID_SELF, DOMU, 0x100, g + 1), 0);
  check("  the same first page as dom0's own kernel",
        memcmp((const void *)(uintptr_t)((g + 1) << 12), (const void *)0x100000, 4096), 0);
  uint64_t si_gfn = PTR(si) >> 12;
  check("map domu1's start info page", map1(DOMID_SELF, DOMU, si_gfn, g + 4), 0);
  check("  its hvm_start_info magic",
        *(volatile uint32_t *)(uintptr_t)((g + 4) << 12 | (PTR(si) & 0xfff)),
        XEN_HVM_START_MAGIC_VALUE);
  check("unmap the start info", remove(0, g + 4), 0);
  check("unmap the kernel page", remove(DOMID_SELF, g + 1), 0);
  check_true("  a hole again: reads give all ones", all_ones(g + 1));
  check("unmap it again: nothing there", remove(DOMID_SELF, g + 1), -XEN_ENOENT);

  refusals();
  domu_memory();
  over_own_ram();
  many();

  /* shared_info through the batch; idx 1 is refused in errs. */
  xen_ulong_t idxs[2] = {0, 1};
  xen_pfn_t gpfns[2] = {PTR(shinfo_page) >> 12, AREA + 5};
  int errs[2] = {99, 99};
  check("shared_info again and idx 1 in one batch",
        batch(DOMID_SELF, XENMAPSPACE_shared_info, 0, idxs, gpfns, errs, 2), 0);
  check("  errs", errs[0] * 100 + errs[1], -XEN_EINVAL);
  check_true("  the clock still runs", now_ns() > 0);

  /* domu1 destroyed while dom0 maps its marker: the mapping is revoked,
   * the gfn reads as a hole (not the freed frame). */
  check_true("still mapped before the destroy", m->magic == MAGIC);
  check("destroy domu1", domctl(XEN_DOMCTL_destroydomain, DOMU), 0);
  check_true("after the destroy dom0's gfn reads all ones (revoked)", all_ones(g));
  m->from_dom0 = 0x12345678; /* dropped: a hole's write */
  check("  a write there is dropped", m->from_dom0, 0xffffffff);
  check("  nothing to remove", remove(DOMID_SELF, g), -XEN_ENOENT);
  check("  domu1 is gone", map1(DOMID_SELF, DOMU, marker_gfn(), g), -XEN_ESRCH);

  /* domu2's marker stays mapped when dom0 ends. */
  check("map domu2's marker", map1(DOMID_SELF, KEEP, marker_gfn(), AREA + 6), 0);
  volatile struct marker *k = (volatile struct marker *)at(AREA + 6);
  check_true("domu2's magic seen", wait_for(&k->magic, MAGIC, 5000 * MS));
  k->leaving = 1;
  return 0;
}

static int main_common(const char *role, const struct hvm_start_info *si)
{
  if (!strcmp(role, "dom0"))
    return role_dom0(si);
  if (!strcmp(role, "domu"))
    return role_domu();
  if (!strcmp(role, "keep"))
    return role_keep();
  printf("foreign: unknown role %s\n", role);
  return 1;
}

int guest_main(const struct hvm_start_info *si)
{
  char role[16] = "dom0";
  cmdline_get(guest_cmdline(si), "role", role, sizeof(role));
  if (map_shared_info())
    return 1;
  int rc = main_common(role, si);
  printf("foreign: %d checks, %d failed\n", checks, failures);
  return rc || failures;
}
