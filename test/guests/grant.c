/* grant: two domains share a page through grant tables v1.
 *
 *   role=granter  (dom0)  puts its grant table frame 0 in its physical
 *                 space, grants page P to domu1 as ref 10 (writable) and
 *                 page Q as ref 11 (read-only), fills both with patterns,
 *                 then follows the mapper through the steps in P.
 *   role=mapper   (domu1) maps ref 10 (retrying, with SCHEDOP_yield, until
 *                 the grant appears), checks the pattern, writes back, copies
 *                 both ways, checks that bad requests get Xen 4.19's exact
 *                 GNTST codes (common/grant_table.c), unmaps and checks that
 *                 its own page came back.
 *
 * The two meet in page P: word STEP is written by the mapper (1: mapped
 * and written, 2: unmapped, through a grant copy), word ACK by the granter.
 * Variants (die=...): "granter" makes the granter end while the page is
 * mapped (the mapper must see its own page again and its handle gone);
 * "mapper" makes the mapper crash with the mapping held (the granter must
 * see GTF_reading/GTF_writing cleared).  Domains run round-robin on one
 * CPU, so waiting is a loop of yields with a bound. */
#include <public/errno.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <public/sched.h>

#include "guest.h"
#include "hypercall.h"

#define REF_RW 10
#define REF_RO 11
#define GNT_GFN 0x3000UL /* where the granter puts its table (48 MiB, RAM) */
#define MAP_GFN 0x2800UL /* where the mapper maps ref 10 (40 MiB, RAM) */
#define RO_GFN 0x2801UL
#define STEP 4000 /* offsets in P */
#define ACK 4004
#define COPIED 3000
#define WAIT_TRIES 20000

static uint8_t page_p[4096] __attribute__((aligned(4096)));
static uint8_t page_q[4096] __attribute__((aligned(4096)));
static uint8_t buf[4096] __attribute__((aligned(4096)));
static unsigned int failed;

static long gntop(unsigned int cmd, void *arg, unsigned int count)
{
  return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)arg, count);
}

static void yield(void) { hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0); }

static void check(const char *what, long got, long want)
{
  if (got == want) {
    printf("grant: ok %s\n", what);
    return;
  }
  printf("grant: FAIL %s: got %ld want %ld\n", what, got, want);
  failed++;
}

static volatile uint32_t *word(void *page, unsigned int off)
{
  return (volatile uint32_t *)((uint8_t *)page + off);
}

/* Wait (yielding) until *w == v; 0 when it did. */
static int wait_for(volatile uint32_t *w, uint32_t v)
{
  for (int i = 0; i < WAIT_TRIES; i++) {
    if (*w == v)
      return 0;
    yield();
  }
  printf("grant: FAIL timed out waiting for %u (have %u)\n", v, *w);
  failed++;
  return -1;
}

static void fill(uint8_t *p, uint8_t seed)
{
  for (int i = 0; i < 2048; i++)
    p[i] = (uint8_t)(seed + i * 7);
}

static int filled(const uint8_t *p, uint8_t seed, int n)
{
  for (int i = 0; i < n; i++)
    if (p[i] != (uint8_t)(seed + i * 7))
      return 0;
  return 1;
}

static int16_t map(domid_t dom, grant_ref_t ref, unsigned long gfn, uint32_t flags,
                   grant_handle_t *handle)
{
  struct gnttab_map_grant_ref op = {gfn << 12, flags, ref, dom, 99, 0, 0};
  long rc = gntop(GNTTABOP_map_grant_ref, &op, 1);
  if (rc)
    return (int16_t)rc;
  if (handle)
    *handle = op.handle;
  return op.status;
}

static int16_t unmap(unsigned long gfn, grant_handle_t handle)
{
  struct gnttab_unmap_grant_ref op = {gfn << 12, 0, handle, 99};
  long rc = gntop(GNTTABOP_unmap_grant_ref, &op, 1);
  return rc ? (int16_t)rc : op.status;
}

static int16_t copy(struct gnttab_copy op)
{
  op.status = 99;
  long rc = gntop(GNTTABOP_copy, &op, 1);
  return rc ? (int16_t)rc : op.status;
}

static int granter(const char *die)
{
  struct gnttab_query_size q = {DOMID_SELF, 0, 0, 99};
  check("query_size", gntop(GNTTABOP_query_size, &q, 1), 0);
  check("query_size status", q.status, GNTST_okay);
  check("query_size max_nr_frames is Xen's default", q.max_nr_frames, 64);
  struct xen_add_to_physmap xatp = {DOMID_SELF, 0, XENMAPSPACE_grant_table, 0, GNT_GFN};
  check("add_to_physmap grant_table frame 0",
        hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&xatp), 0);
  xen_pfn_t frames[2] = {1, 1};
  struct gnttab_setup_table s = {DOMID_SELF, 2, 99, (unsigned long)frames};
  check("setup_table", gntop(GNTTABOP_setup_table, &s, 1), 0);
  check("setup_table status", s.status, GNTST_okay);
  check("setup_table frame 0 is where we put it", (long)frames[0], GNT_GFN);
  check("setup_table frame 1 is nowhere", (long)frames[1], -1);

  struct grant_entry_v1 *gt = (struct grant_entry_v1 *)(GNT_GFN << 12);
  fill(page_p, 3);
  fill(page_q, 5);
  gt[REF_RW].domid = 1;
  gt[REF_RW].frame = (uint32_t)((unsigned long)page_p >> 12);
  gt[REF_RO].domid = 1;
  gt[REF_RO].frame = (uint32_t)((unsigned long)page_q >> 12);
  __atomic_thread_fence(__ATOMIC_RELEASE); /* the ABI: domid and frame before flags */
  gt[REF_RO].flags = GTF_permit_access | GTF_readonly;
  gt[REF_RW].flags = GTF_permit_access;
  printf("grant: granted ref %u and %u to domu1\n", REF_RW, REF_RO);

  if (wait_for(word(page_p, STEP), 1))
    return 1;
  check("mapped writable: GTF_reading|GTF_writing set", gt[REF_RW].flags,
        GTF_permit_access | GTF_reading | GTF_writing);
  check("mapper's write seen", memcmp(page_p + 2048, "mapper was here", 16), 0);
  /* The mapped page cannot go back to the allocator under the mapper
   * (mica refuses; Xen would free it after the unmap). */
  struct xen_add_to_physmap over = {DOMID_SELF, 0, XENMAPSPACE_shared_info, 0,
                                    (unsigned long)page_p >> 12};
  check("shared_info over the mapped page is refused",
        hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&over),
        -XEN_EBUSY);
  if (!strcmp(die, "granter")) {
    printf("grant: granter ends with its page mapped\n");
    return 0;
  }
  *word(page_p, ACK) = 1;
  if (!strcmp(die, "mapper")) {
    /* It crashes with the page mapped: its mapping must go with it. */
    for (int i = 0; i < WAIT_TRIES && gt[REF_RW].flags != GTF_permit_access; i++)
      yield();
    check("mapper died: flags back to GTF_permit_access", gt[REF_RW].flags, GTF_permit_access);
    return failed != 0;
  }
  if (wait_for(word(page_p, STEP), 2))
    return 1;
  check("unmapped: flags back to GTF_permit_access", gt[REF_RW].flags, GTF_permit_access);
  check("unmapped: read-only grant untouched", gt[REF_RO].flags, GTF_permit_access | GTF_readonly);
  check("mapper's grant copy arrived", memcmp(page_p + COPIED, "copied in", 10), 0);
  return failed != 0;
}

/* The bad requests: each gets Xen's exact code. */
static void mapper_errors(void)
{
  grant_handle_t h;
  check("map from a domain that does not exist", map(7, REF_RW, RO_GFN, GNTMAP_host_map, &h),
        GNTST_bad_domain);
  check("map DOMID_SELF", map(DOMID_SELF, REF_RW, RO_GFN, GNTMAP_host_map, &h), GNTST_bad_domain);
  check("map a ref beyond the table", map(0, 5000, RO_GFN, GNTMAP_host_map, &h), GNTST_bad_gntref);
  check("map without GNTMAP_host_map", map(0, REF_RW, RO_GFN, 0, &h), GNTST_bad_gntref);
  check("map with GNTMAP_device_map",
        map(0, REF_RW, RO_GFN, GNTMAP_host_map | GNTMAP_device_map, &h), GNTST_general_error);
  check("map a ref not granted", map(0, 12, RO_GFN, GNTMAP_host_map, &h), GNTST_general_error);
  check("map a read-only grant writable", map(0, REF_RO, RO_GFN, GNTMAP_host_map, &h),
        GNTST_general_error);
  check("unmap a bad handle", unmap(RO_GFN, 777), GNTST_bad_handle);
  struct gnttab_query_size q = {0, 0, 0, 99};
  check("query_size of dom0", gntop(GNTTABOP_query_size, &q, 1), 0);
  check("query_size of dom0: permission denied", q.status, GNTST_permission_denied);
  struct gnttab_set_version sv = {2};
  check("set_version 2", gntop(GNTTABOP_set_version, &sv, 1), -XEN_ENOSYS);
  check("set_version 2 leaves version 1", sv.version, 1);
  check("transfer is not here", gntop(GNTTABOP_transfer, &sv, 1), -XEN_ENOSYS);

  unsigned long mine = (unsigned long)buf >> 12;
  struct gnttab_copy c = {
      {{.ref = REF_RO}, 0, 0}, {{.gmfn = mine}, DOMID_SELF, 0}, 16, GNTCOPY_source_gref, 0};
  check("copy from the read-only grant", copy(c), GNTST_okay);
  check("copy from the read-only grant: data", filled(buf, 5, 16), 1);
  struct gnttab_copy w = {
      {{.gmfn = mine}, DOMID_SELF, 0}, {{.ref = REF_RO}, 0, 0}, 16, GNTCOPY_dest_gref, 0};
  check("copy into the read-only grant", copy(w), GNTST_general_error);
  w.dest.u.ref = 5000; /* the granter has 2 frames: refs 0..1023 */
  check("copy into a bad ref", copy(w), GNTST_bad_gntref);
  w.dest.u.ref = REF_RW;
  w.dest.domid = 9;
  check("copy into a bad domain", copy(w), GNTST_bad_domain);
  w.dest.domid = 0;
  w.dest.offset = 4090;
  check("copy across the page end", copy(w), GNTST_bad_copy_arg);
  w.dest.offset = 0;
  w.source.domid = 0;
  check("copy from a frame not named DOMID_SELF", copy(w), GNTST_permission_denied);
}

static int mapper(const char *die)
{
  volatile uint8_t *m = (volatile uint8_t *)(MAP_GFN << 12);
  grant_handle_t h = 0;
  int16_t st = GNTST_general_error;

  memcpy((void *)m, "my own page", 12);
  for (int i = 0; i < WAIT_TRIES && st == GNTST_general_error; i++) {
    st = map(0, REF_RW, MAP_GFN, GNTMAP_host_map, &h);
    if (st == GNTST_general_error)
      yield();
  }
  check("map ref 10 of dom0", st, GNTST_okay);
  if (st != GNTST_okay)
    return 1;
  check("pattern through the mapping", filled((const uint8_t *)m, 3, 2048), 1);
  memcpy((void *)(m + 2048), "mapper was here", 16);

  grant_handle_t hro = 0;
  check("map the read-only grant read-only",
        map(0, REF_RO, RO_GFN, GNTMAP_host_map | GNTMAP_readonly, &hro), GNTST_okay);
  check("read-only mapping reads", filled((const uint8_t *)(RO_GFN << 12), 5, 2048), 1);
  check("unmap the read-only mapping", unmap(RO_GFN, hro), GNTST_okay);
  mapper_errors();

  *word((void *)m, STEP) = 1;
  if (!strcmp(die, "granter")) {
    /* dom0 ends; its grants go, and our own page must come back. */
    for (int i = 0; i < WAIT_TRIES && memcmp((const void *)m, "my own page", 12); i++)
      yield();
    check("own page back after the granter died", memcmp((const void *)m, "my own page", 12), 0);
    /* The handle waits for our unmap, which succeeds as in Xen (the
     * hypervisor restored our page already), and then it is gone. */
    check("unmap after the granter died", unmap(MAP_GFN, h), GNTST_okay);
    check("own page still there", memcmp((const void *)m, "my own page", 12), 0);
    check("handle gone with the granter", unmap(MAP_GFN, h), GNTST_bad_handle);
    return failed != 0;
  }
  if (wait_for(word((void *)m, ACK), 1))
    return 1;
  if (!strcmp(die, "mapper")) {
    printf("grant: mapper crashes with the page mapped\n");
    xen_sched_shutdown(SHUTDOWN_crash);
  }
  check("unmap at the wrong address", unmap(MAP_GFN + 1, h), GNTST_general_error);
  check("unmap", unmap(MAP_GFN, h), GNTST_okay);
  check("own page back after unmap", memcmp((const void *)m, "my own page", 12), 0);
  check("unmap again", unmap(MAP_GFN, h), GNTST_bad_handle);

  /* Tell the granter through a grant copy: the page is no longer mapped. */
  memcpy(buf, "copied in", 10);
  *word(buf, 100) = 2;
  unsigned long mine = (unsigned long)buf >> 12;
  check(
      "copy into ref 10",
      copy((struct gnttab_copy){
          {{.gmfn = mine}, DOMID_SELF, 0}, {{.ref = REF_RW}, 0, COPIED}, 10, GNTCOPY_dest_gref, 0}),
      GNTST_okay);
  check(
      "copy the step into ref 10",
      copy((struct gnttab_copy){
          {{.gmfn = mine}, DOMID_SELF, 100}, {{.ref = REF_RW}, 0, STEP}, 4, GNTCOPY_dest_gref, 0}),
      GNTST_okay);
  return failed != 0;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  char role[16], die[16];

  if (!cmdline_get(cmdline, "die", die, sizeof(die)))
    die[0] = '\0';
  if (!cmdline_get(cmdline, "role", role, sizeof(role))) {
    printf("grant: FAIL no role= on the command line\n");
    return 1;
  }
  printf("grant: %s\n", role);
  int rc = !strcmp(role, "granter") ? granter(die) : mapper(die);
  printf("grant: %u checks failed\n", failed);
  return rc;
}
