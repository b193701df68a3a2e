/* Unit tests of the frame allocator (mm/frame.c) against an independent
 * statement of which frames are usable (usable_oracle). */
#include "fake_arch.h"
#include "unit.h"
#include <hv/errno.h>
#include <hv/frame.h>

#define RAM BOOT_MEM_RAM
#define RSV BOOT_MEM_RESERVED
#define ACPI BOOT_MEM_ACPI

/* Fake RAM for the allocator's bitmaps (and the frames tests touch). */
#define FAKE_BASE MiB(1)
#define FAKE_SIZE MiB(128)

/* One frame_init() input. */
struct input {
  const struct boot_mem_region *map;
  unsigned int n;
  const struct mem_range *res;
  unsigned int nr_res;
  paddr_t limit;
};

/* A PC-like map: low RAM, BIOS holes, ACPI, partial pages at both ends of
 * one entry, RAM above 4 GiB (outside the fake RAM: never touched). */
static const struct boot_mem_region pc_map[] = {
    {0x0, 0x9fc00, RAM},
    {0x9fc00, 0x400, RSV},
    {0xf0000, 0x10000, RSV},
    {MiB(1), MiB(63), RAM},                          /* [1M, 64M) */
    {MiB(64), MiB(1), ACPI},                         /* [64M, 65M) */
    {MiB(65) + 0x800, MiB(47) - 0x800 + 0x123, RAM}, /* frames [65M+4K, 112M) */
    {MiB(112), MiB(16), RSV},
    {GiB(4), MiB(256), RAM},
};
static const struct mem_range pc_res[] = {
    {0, MiB(1)},                        /* the first MiB */
    {MiB(1), MiB(3) + 0x345},           /* "image", partial last page */
    {MiB(8) + 0x10, MiB(9) + 0x10},     /* a module across page edges */
    {MiB(70) + 0x100, MiB(70) + 0x900}, /* boot info inside one page */
    {MiB(80), MiB(80)},                 /* empty: excludes nothing */
};
static const struct input pc = {pc_map, ARRAY_SIZE(pc_map), pc_res, ARRAY_SIZE(pc_res), 0};

/* ---- the oracle: the contract of frame_init(), written plainly ---- */

static bool overlaps(paddr_t f, uint64_t s, uint64_t e) { return f < e && f + PAGE_SIZE > s; }

static bool usable_oracle(const struct input *in, paddr_t f)
{
  paddr_t top = in->limit && in->limit < FRAME_MAX_ADDR ? in->limit : FRAME_MAX_ADDR;
  bool ram = false;

  if (f == 0 || f + PAGE_SIZE > top)
    return false;
  for (unsigned int i = 0; i < in->n; i++) {
    const struct boot_mem_region *r = &in->map[i];
    bool wraps = r->len > UINT64_MAX - r->start;
    uint64_t end = wraps ? UINT64_MAX : r->start + r->len;
    if (r->len == 0)
      continue;
    if (r->type != RAM && overlaps(f, r->start, end))
      return false;
    if (r->type == RAM && !wraps && r->start <= f && f + PAGE_SIZE <= end)
      ram = true;
  }
  for (unsigned int k = 0; k < in->nr_res; k++)
    if (in->res[k].start < in->res[k].end && overlaps(f, in->res[k].start, in->res[k].end))
      return false;
  return ram;
}

/* Frames of the bitmaps for RAM frames spanning [lo, hi): three maps of
 * whole 64-bit words, rounded up to whole frames. */
static unsigned long map_frames(unsigned long lo, unsigned long hi)
{
  unsigned long words = (hi - lo + 63) / 64;
  return (3 * words * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Usable frames by the oracle, and the span [lo, hi) of the RAM entries'
 * whole frames (what the bitmaps cover).  Scans frame by frame up to
 * scan_top: only for small maps. */
static unsigned long oracle_count(const struct input *in, paddr_t scan_top, unsigned long *lo,
                                  unsigned long *hi)
{
  unsigned long n = 0;

  *lo = ~0UL;
  *hi = 0;
  for (paddr_t f = PAGE_SIZE; f < scan_top; f += PAGE_SIZE) {
    if (!usable_oracle(in, f))
      continue;
    n++;
  }
  for (unsigned int i = 0; i < in->n; i++) {
    const struct boot_mem_region *r = &in->map[i];
    if (r->type != RAM || !r->len || r->len > UINT64_MAX - r->start)
      continue;
    paddr_t top = in->limit ? MIN(in->limit, FRAME_MAX_ADDR) : FRAME_MAX_ADDR;
    unsigned long s = MAX(ALIGN_UP(r->start, PAGE_SIZE) >> PAGE_SHIFT, 1UL);
    unsigned long e = MIN(r->start + r->len, top) >> PAGE_SHIFT;
    if (s < e) {
      *lo = MIN(*lo, s);
      *hi = MAX(*hi, e);
    }
  }
  return n;
}

static int init(const struct input *in)
{
  return frame_init(in->map, in->n, in->res, in->nr_res, in->limit);
}

/* ---- draining: allocate every frame, check each, give all back ---- */

struct drained {
  paddr_t *pa;
  unsigned long n;
};

static int cmp_pa(const void *a, const void *b)
{
  paddr_t x = *(const paddr_t *)a, y = *(const paddr_t *)b;
  return x < y ? -1 : x > y;
}

/* Allocate until frame_alloc() says no: as many frames as were free, each
 * usable by the oracle and handed out once.  A fresh allocator (next-fit
 * from the bottom) hands them out in ascending order.  Returns them
 * sorted. */
static struct drained drain(const struct input *in, bool fresh)
{
  unsigned long want = frame_nr_free();
  struct drained d = {calloc(want + 1, sizeof(paddr_t)), 0};
  paddr_t pa;

  assert_non_null(d.pa);
  while ((pa = frame_alloc()) != 0) {
    assert_true(d.n < want);
    assert_true(IS_ALIGNED(pa, PAGE_SIZE));
    if (!usable_oracle(in, pa))
      fail_msg("frame 0x%llx is not usable RAM", (unsigned long long)pa);
    if (fresh && d.n)
      assert_true(pa > d.pa[d.n - 1]);
    d.pa[d.n++] = pa;
  }
  assert_int_equal(d.n, want);
  assert_int_equal(frame_nr_free(), 0);
  qsort(d.pa, d.n, sizeof(paddr_t), cmp_pa);
  for (unsigned long i = 1; i < d.n; i++)
    if (d.pa[i] == d.pa[i - 1])
      fail_msg("frame 0x%llx handed out twice", (unsigned long long)d.pa[i]);
  return d;
}

/* Free what drain() took. */
static void undrain(struct drained *d)
{
  for (unsigned long i = 0; i < d->n; i++)
    frame_free(d->pa[i]);
  free(d->pa);
  d->pa = NULL;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
  (void)state;
  fake_ram_init(FAKE_BASE, FAKE_SIZE);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  fake_ram_free();
  return 0;
}

static int test_setup(void **state)
{
  (void)state;
  shim_log_clear();
  return 0;
}

/* ---- tests ---- */

/* Holes, reserved ranges and partial pages are never handed out; every
 * usable frame but the bitmaps' is; exhaustion returns 0. */
static void test_holes_and_reserved(void **state)
{
  (void)state;
  unsigned long lo, hi;
  unsigned long usable = oracle_count(&pc, GiB(4) + MiB(512), &lo, &hi);

  /* Mark the fake RAM, and what the reserved ranges cover: the bitmaps
   * must not land there, and init must write nothing but the bitmaps. */
  fake_ram_fill(FAKE_BASE, FAKE_SIZE, 0x77);
  fake_ram_fill(MiB(1), MiB(2) + 0x345, 0x5a);
  fake_ram_fill(MiB(8) + 0x10, MiB(1), 0x5b);

  assert_int_equal(init(&pc), 0);
  /* The lowest fit: the first frame after the image. */
  paddr_t maps = MiB(3) + PAGE_SIZE, maps_end = maps + map_frames(lo, hi) * PAGE_SIZE;
  assert_true(fake_ram_all(MiB(3) + 0x345, maps - (MiB(3) + 0x345), 0x77));
  assert_false(fake_ram_all(maps, PAGE_SIZE, 0x77));
  assert_true(fake_ram_all(maps_end, MiB(8) + 0x10 - maps_end, 0x77));
  assert_true(fake_ram_all(MiB(9) + 0x10, FAKE_BASE + FAKE_SIZE - MiB(9) - 0x10, 0x77));
  assert_int_equal(frame_nr_total(), usable - map_frames(lo, hi));
  assert_int_equal(frame_nr_free(), frame_nr_total());

  struct drained d = drain(&pc, true);
  assert_true(d.pa[0] < GiB(4)); /* low memory first: the boot map covers it */
  assert_true(d.pa[d.n - 1] >= GiB(4));
  assert_int_equal(frame_alloc(), 0);
  assert_int_equal(frame_alloc_zeroed(), 0);
  assert_int_equal(frame_alloc_contig(1, 1), 0);
  undrain(&d);
  assert_int_equal(frame_nr_free(), frame_nr_total());

  assert_true(fake_ram_all(MiB(1), MiB(2) + 0x345, 0x5a));
  assert_true(fake_ram_all(MiB(8) + 0x10, MiB(1), 0x5b));
}

/* A freed frame comes back; next-fit moves on before it wraps around. */
static void test_free_and_realloc(void **state)
{
  (void)state;
  assert_int_equal(init(&pc), 0);
  unsigned long total = frame_nr_total();

  paddr_t a = frame_alloc(), b = frame_alloc();
  assert_true(a && b && a != b);
  assert_int_equal(frame_nr_free(), total - 2);
  frame_free(a);
  assert_int_equal(frame_nr_free(), total - 1);
  paddr_t c = frame_alloc();
  assert_true(c != a && c != b); /* next-fit: a is behind the hint */

  struct drained d = drain(&pc, false); /* wraps around and finds a */
  bool found = false;
  for (unsigned long i = 0; i < d.n; i++)
    found |= d.pa[i] == a;
  assert_true(found);

  /* Exhausted: a freed frame is the only one to be had, again and again. */
  paddr_t x = d.pa[d.n / 2];
  for (int i = 0; i < 3; i++) {
    frame_free(x);
    assert_int_equal(frame_alloc(), x);
    assert_int_equal(frame_alloc(), 0);
  }
  frame_free(b);
  frame_free(c);
  undrain(&d);
  assert_int_equal(frame_nr_free(), total);
}

static void test_alloc_zeroed(void **state)
{
  (void)state;
  static const struct boot_mem_region map[] = {{MiB(1), MiB(16), RAM}};
  static const struct mem_range res[] = {{0, MiB(2)}};
  fake_ram_fill(FAKE_BASE, MiB(32), FAKE_RAM_GARBAGE);
  assert_int_equal(frame_init(map, 1, res, 1, 0), 0);

  paddr_t pa = frame_alloc();
  assert_true(fake_ram_all(pa, PAGE_SIZE, FAKE_RAM_GARBAGE)); /* frame_alloc does not zero */
  frame_free(pa);
  paddr_t z = frame_alloc_zeroed();
  assert_true(z);
  assert_true(fake_ram_all(z, PAGE_SIZE, 0));
  /* Only that frame: the next one is untouched. */
  assert_true(fake_ram_all(z + PAGE_SIZE, PAGE_SIZE, FAKE_RAM_GARBAGE));
}

/* frame_claim_zeroed: exactly the frames asked for, zeroed, only when all
 * are free; adopted frames (frame_adopt) are owned and in use. */
static void test_claim_and_adopt(void **state)
{
  (void)state;
  static const struct boot_mem_region map[] = {{MiB(1), MiB(16), RAM}};
  static const struct mem_range res[] = {{0, MiB(2)}, {MiB(8), MiB(9)}};
  fake_ram_fill(FAKE_BASE, MiB(32), FAKE_RAM_GARBAGE);
  assert_int_equal(frame_init(map, 1, res, 2, 0), 0);
  unsigned long free0 = frame_nr_free(), total0 = frame_nr_total();

  paddr_t at = MiB(4);
  assert_int_equal(frame_claim_zeroed(at, 2), at);
  assert_true(fake_ram_all(at, 2 * PAGE_SIZE, 0));
  assert_true(fake_ram_all(at + 2 * PAGE_SIZE, PAGE_SIZE, FAKE_RAM_GARBAGE));
  assert_int_equal(frame_nr_free(), free0 - 2);
  assert_int_equal(frame_claim_zeroed(at, 1), 0);             /* in use now */
  assert_int_equal(frame_claim_zeroed(at + PAGE_SIZE, 2), 0); /* half in use: nothing taken */
  assert_int_equal(frame_nr_free(), free0 - 2);
  assert_int_equal(frame_claim_zeroed(MiB(8), 1), 0);  /* reserved: not ours */
  assert_int_equal(frame_claim_zeroed(at + 1, 1), 0);  /* unaligned */
  assert_int_equal(frame_claim_zeroed(MiB(30), 1), 0); /* beyond RAM */
  assert_int_equal(frame_claim_zeroed(MiB(5), 0), 0);
  frame_free_contig(at, 2);
  assert_int_equal(frame_nr_free(), free0);

  /* Reserved RAM adopted: owned, in use, and free once given back. */
  assert_int_equal(frame_adopt(MiB(8), 256), 0);
  assert_int_equal(frame_nr_total(), total0 + 256);
  assert_int_equal(frame_nr_free(), free0);
  assert_int_equal(frame_adopt(MiB(8), 1), -EBUSY); /* owned already */
  assert_int_equal(frame_adopt(MiB(4), 1), -EBUSY); /* always was */
  assert_int_equal(frame_adopt(MiB(40), 1), -EINVAL);
  frame_free_contig(MiB(8), 256);
  assert_int_equal(frame_nr_free(), free0 + 256);
  assert_int_equal(frame_claim_zeroed(MiB(8), 256), MiB(8));
}

/* Contiguous runs: aligned, inside one RAM run, exclusive, reusable. */
static void test_contig(void **state)
{
  (void)state;
  assert_int_equal(init(&pc), 0);
  unsigned long total = frame_nr_total();

  paddr_t a = frame_alloc_contig(16, 16);
  assert_true(a && IS_ALIGNED(a, 16 * PAGE_SIZE));
  paddr_t b = frame_alloc_contig(512, 512); /* 2 MiB aligned */
  assert_true(b && IS_ALIGNED(b, MiB(2)));
  paddr_t g = frame_alloc_contig(1UL << 16, 1UL << 16); /* 256 MiB: only at 4 GiB */
  assert_int_equal(g, GiB(4));
  paddr_t odd = frame_alloc_contig(3, 0); /* align 0 means 1 */
  assert_true(odd);
  for (unsigned long i = 0; i < 16; i++)
    assert_true(usable_oracle(&pc, a + i * PAGE_SIZE));
  for (unsigned long i = 0; i < 512; i++)
    assert_true(usable_oracle(&pc, b + i * PAGE_SIZE));
  assert_int_equal(frame_nr_free(), total - 16 - 512 - (1UL << 16) - 3);

  /* None of them is handed out again. */
  struct drained d = drain(&pc, false);
  for (unsigned long i = 0; i < d.n; i++) {
    assert_false(d.pa[i] >= a && d.pa[i] < a + 16 * PAGE_SIZE);
    assert_false(d.pa[i] >= b && d.pa[i] < b + MiB(2));
    assert_false(d.pa[i] >= g && d.pa[i] < g + MiB(256));
    assert_false(d.pa[i] >= odd && d.pa[i] < odd + 3 * PAGE_SIZE);
  }
  /* With everything taken, a freed run is the only one to be had. */
  frame_free_contig(b, 512);
  assert_int_equal(frame_alloc_contig(512, 512), b);
  frame_free_contig(b + PAGE_SIZE, 511);
  assert_int_equal(frame_alloc_contig(511, 1), b + PAGE_SIZE);
  assert_int_equal(frame_alloc_contig(1, 1), 0);
  undrain(&d);

  frame_free_contig(b, 512);
  frame_free_contig(a, 16);
  frame_free_contig(g, 1UL << 16);
  frame_free_contig(odd, 3);
  frame_free_contig(odd, 0); /* nothing */
  assert_int_equal(frame_nr_free(), total);

  /* Bad requests. */
  assert_int_equal(frame_alloc_contig(0, 1), 0);
  assert_int_equal(frame_alloc_contig(4, 3), 0);
  assert_int_equal(frame_alloc_contig(total + 1, 1), 0);
  assert_int_equal(frame_alloc_contig(~0UL, 1), 0);
  assert_int_equal(frame_alloc_contig(1, 1UL << 63), 0);
  assert_int_equal(frame_nr_free(), total);
}

/* A run never bridges a hole or a reserved frame. */
static void test_contig_respects_holes(void **state)
{
  (void)state;
  static const struct boot_mem_region map[] = {
      {MiB(4), 10 * PAGE_SIZE, RAM},
      {MiB(4) + 10 * PAGE_SIZE, PAGE_SIZE, RSV},
      {MiB(4) + 11 * PAGE_SIZE, 10 * PAGE_SIZE, RAM},
      {MiB(8), 8 * PAGE_SIZE, RAM}, /* one reserved frame in the middle */
      {MiB(2), MiB(1), RAM},        /* the bitmaps (1 frame) and 255 more */
  };
  static const struct mem_range res[] = {{MiB(8) + 4 * PAGE_SIZE, MiB(8) + 5 * PAGE_SIZE}};
  assert_int_equal(frame_init(map, ARRAY_SIZE(map), res, 1, 0), 0);
  assert_int_equal(frame_nr_total(), 10 + 10 + 7 + 256 - 1);

  assert_int_equal(frame_alloc_contig(255, 1), MiB(2) + PAGE_SIZE);
  assert_int_equal(frame_alloc_contig(11, 1), 0);
  paddr_t r1 = frame_alloc_contig(10, 1), r2 = frame_alloc_contig(10, 1);
  assert_int_equal(MIN(r1, r2), MiB(4));
  assert_int_equal(MAX(r1, r2), MiB(4) + 11 * PAGE_SIZE);
  assert_int_equal(frame_alloc_contig(5, 1), 0);
  assert_int_equal(frame_alloc_contig(4, 1), MiB(8));
  assert_int_equal(frame_alloc_contig(3, 1), MiB(8) + 5 * PAGE_SIZE);
  assert_int_equal(frame_nr_free(), 0);
}

/* mem= clips the usable RAM; an unaligned limit drops the partial page. */
static void test_limit(void **state)
{
  (void)state;
  struct input in = pc;
  in.limit = MiB(32) + 0x800;
  unsigned long lo, hi;
  unsigned long usable = oracle_count(&in, MiB(40), &lo, &hi);

  assert_int_equal(init(&in), 0);
  assert_int_equal(hi, MiB(32) >> PAGE_SHIFT);
  assert_int_equal(frame_nr_total(), usable - map_frames(lo, hi));
  struct drained d = drain(&in, true);
  assert_true(d.pa[d.n - 1] == MiB(32) - PAGE_SIZE);
  undrain(&d);
  assert_true(shim_log_contains("mem= leaves"));

  /* A limit below all RAM: nothing left. */
  in.limit = MiB(1);
  assert_int_equal(init(&in), -ENOMEM);
  in.limit = 1;
  assert_int_equal(init(&in), -ENOMEM);
}

static void test_double_free_panics(void **state)
{
  (void)state;
  assert_int_equal(init(&pc), 0);
  unsigned long total = frame_nr_total();
  paddr_t pa = frame_alloc();
  frame_free(pa);
  char addr[32];
  snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)pa);
  EXPECT_PANIC_MSG(frame_free(pa), "double free");
  assert_non_null(strstr(shim_panic_msg, addr));
  assert_int_equal(frame_nr_free(), total);

  /* A run whose last frame is free: panics and changes nothing. */
  paddr_t run = frame_alloc_contig(4, 4);
  frame_free(run + 3 * PAGE_SIZE);
  EXPECT_PANIC_MSG(frame_free_contig(run, 4), "double free");
  assert_int_equal(frame_nr_free(), total - 3);
  frame_free_contig(run, 3);
  assert_int_equal(frame_nr_free(), total);
}

static void test_bad_free_panics(void **state)
{
  (void)state;
  assert_int_equal(init(&pc), 0);
  unsigned long total = frame_nr_total();

  EXPECT_PANIC_MSG(frame_free(MiB(2)), "never owned");  /* the image */
  EXPECT_PANIC_MSG(frame_free(MiB(8)), "0x800000");     /* a module */
  EXPECT_PANIC_MSG(frame_free(MiB(64)), "never owned"); /* ACPI */
  EXPECT_PANIC_MSG(frame_free(MiB(65)), "never owned"); /* partial page */
  EXPECT_PANIC_MSG(frame_free(GiB(2)), "never owned");  /* a hole */
  EXPECT_PANIC_MSG(frame_free(MiB(16) + 8), "unaligned");
  EXPECT_PANIC_MSG(frame_free(0), "outside"); /* below the bitmaps */
  EXPECT_PANIC_MSG(frame_free(GiB(5)), "outside");
  EXPECT_PANIC_MSG(frame_free(~0ULL & PAGE_MASK), "outside");
  EXPECT_PANIC_MSG(frame_free_contig(GiB(4), ~0UL), "outside"); /* no overflow */
  assert_int_equal(frame_nr_free(), total);

  /* Before any successful init the allocator owns nothing. */
  assert_int_equal(frame_init(NULL, 0, NULL, 0, 0), -ENOMEM);
  EXPECT_PANIC_MSG(frame_free(MiB(16)), "outside");
  assert_int_equal(frame_alloc(), 0);
}

/* Inputs that leave nothing to manage, or make no sense. */
static void test_no_memory(void **state)
{
  (void)state;
  static const struct boot_mem_region only_rsv[] = {{MiB(1), MiB(64), RSV},
                                                    {MiB(65), MiB(1), ACPI}};
  static const struct boot_mem_region ram[] = {{MiB(1), MiB(64), RAM}};
  static const struct boot_mem_region one_frame[] = {{MiB(1), PAGE_SIZE, RAM}};
  static const struct boot_mem_region tiny[] = {{MiB(1) + 1, PAGE_SIZE, RAM}, {MiB(2), 100, RAM}};
  static const struct mem_range all[] = {{0, MiB(65)}};
  static const struct mem_range inverted[] = {{MiB(10), MiB(9)}};

  assert_int_equal(frame_init(pc_map, 0, NULL, 0, 0), -ENOMEM);
  assert_int_equal(frame_init(only_rsv, 2, NULL, 0, 0), -ENOMEM);
  assert_int_equal(frame_init(ram, 1, all, 1, 0), -ENOMEM);
  assert_int_equal(frame_init(one_frame, 1, NULL, 0, 0), -ENOMEM); /* the bitmaps take it */
  assert_int_equal(frame_init(tiny, 2, NULL, 0, 0), -ENOMEM);      /* no whole page */
  assert_int_equal(frame_nr_total(), 0);
  assert_int_equal(frame_nr_free(), 0);
  assert_int_equal(frame_alloc(), 0);

  assert_int_equal(frame_init(NULL, 3, NULL, 0, 0), -EINVAL);
  assert_int_equal(frame_init(ram, 1, NULL, 2, 0), -EINVAL);
  assert_int_equal(frame_init(ram, 1, inverted, 1, 0), -EINVAL);
  assert_int_equal(frame_alloc(), 0);

  /* Two frames: one for the bitmaps, one to hand out. */
  static const struct boot_mem_region two[] = {{MiB(1), 2 * PAGE_SIZE, RAM}};
  assert_int_equal(frame_init(two, 1, NULL, 0, 0), 0);
  assert_int_equal(frame_nr_total(), 1);
  assert_int_equal(frame_alloc(), MiB(1) + PAGE_SIZE);
  assert_int_equal(frame_alloc(), 0);
}

/* Garbage in the map costs memory, never safety. */
static void test_bizarre_map(void **state)
{
  (void)state;
  static const struct boot_mem_region map[] = {
      {MiB(32), MiB(4), RAM}, /* unsorted */
      {MiB(2), 0, RAM},       /* empty */
      {MiB(3) + 5, 100, RAM}, /* no whole page */
      {MiB(4), MiB(8), RAM},
      {MiB(6), MiB(4), RAM},                       /* overlaps the one above */
      {MiB(9), PAGE_SIZE + 1, BOOT_MEM_BAD},       /* RAM and bad at once: bad wins */
      {~0ULL - PAGE_SIZE + 1, 2 * PAGE_SIZE, RAM}, /* wraps around */
      {~0ULL, 1, RAM},                             /* the very last byte */
      {MiB(40), ~0ULL, RSV},                       /* wraps: excludes to the end */
      {MiB(48), MiB(8), RAM},                      /* under that */
      {GiB(2000), GiB(1), RAM},                    /* above FRAME_MAX_ADDR */
      {0, 0, 0},                                   /* type 0, empty */
      {MiB(20), MiB(1), 77},                       /* unknown type: not RAM */
  };
  struct input in = {map, ARRAY_SIZE(map), NULL, 0, 0};
  unsigned long lo, hi;
  unsigned long usable = oracle_count(&in, MiB(64), &lo, &hi);

  assert_int_equal(init(&in), 0);
  assert_int_equal(frame_nr_total(), usable - map_frames(lo, hi));
  assert_true(shim_log_contains("wraps around"));
  assert_true(shim_log_contains("ignoring 1024 MiB of RAM above"));
  struct drained d = drain(&in, true);
  assert_true(d.pa[0] >= MiB(4));
  assert_true(d.pa[d.n - 1] < MiB(36));
  undrain(&d);

  /* The same map under a limit that cuts an entry in two. */
  in.limit = MiB(7) + 123;
  usable = oracle_count(&in, MiB(64), &lo, &hi);
  assert_int_equal(init(&in), 0);
  assert_int_equal(frame_nr_total(), usable - map_frames(lo, hi));
  d = drain(&in, true);
  assert_true(d.pa[d.n - 1] == MiB(7) - PAGE_SIZE);
  undrain(&d);
}

/* RAM far above 4 GiB, and more than the allocator tracks: capped at
 * FRAME_MAX_ADDR with a warning; the bitmaps (96 MiB) still fit below. */
static void test_huge_map(void **state)
{
  (void)state;
  static const struct boot_mem_region map[] = {
      {MiB(1), MiB(128), RAM}, {GiB(4), GiB(2044), RAM}, /* to 2 TiB */
  };
  static const struct mem_range res[] = {{0, MiB(1)}};
  assert_int_equal(frame_init(map, 2, res, 1, 0), 0);
  unsigned long maps = map_frames(MiB(1) >> PAGE_SHIFT, FRAME_MAX_ADDR >> PAGE_SHIFT);
  assert_int_equal(maps, MiB(96) / PAGE_SIZE);
  assert_int_equal(frame_nr_total(), (MiB(128) + FRAME_MAX_ADDR - GiB(4)) / PAGE_SIZE - maps);
  assert_true(shim_log_contains("ignoring 1048576 MiB of RAM above 0x10000000000"));

  /* Low memory first, then above 4 GiB; the last frame is just below 1 TiB. */
  assert_int_equal(frame_alloc(), MiB(97));
  assert_int_equal(frame_alloc_contig(MiB(32) / PAGE_SIZE - 1, 1), MiB(97) + PAGE_SIZE);
  assert_int_equal(frame_alloc(), GiB(4));
  paddr_t top = frame_alloc_contig(1, 1UL << 27); /* 512 GiB aligned */
  assert_int_equal(top, GiB(512));
  frame_free(top);
  /* Next-fit: the search goes on from there. */
  assert_int_equal(frame_alloc_contig(GiB(1) / PAGE_SIZE, GiB(1) / PAGE_SIZE), GiB(513));
  EXPECT_PANIC_MSG(frame_free(FRAME_MAX_ADDR), "outside");
}

/* A stray RAM entry far above the rest would make the bitmaps bigger than
 * the RAM: the allocator drops it, warns, and manages the rest. */
static void test_stray_high_entry(void **state)
{
  (void)state;
  static const struct boot_mem_region map[] = {
      {MiB(1), MiB(8), RAM},
      {MiB(8), GiB(512) - MiB(8), RAM}, /* overlaps, and straddles the final top */
      {GiB(512), PAGE_SIZE, RAM},
      {GiB(600), MiB(1), RAM},
  };
  /* Reserve all of the straddler above 9 MiB, so the bitmaps find no room
   * until the top comes down to 9 MiB. */
  static const struct mem_range res[] = {{MiB(9), GiB(700)}};
  fake_ram_fill(FAKE_BASE, MiB(32), 0x77);
  assert_int_equal(frame_init(map, ARRAY_SIZE(map), res, 1, 0), 0);
  assert_true(shim_log_contains("no room for the bitmaps"));
  assert_true(shim_log_contains("ignoring RAM above 0x900000"));
  assert_int_equal(frame_nr_total(),
                   MiB(8) / PAGE_SIZE - map_frames(MiB(1) / PAGE_SIZE, MiB(9) / PAGE_SIZE));
  /* The bitmaps took the frame at 1 MiB; nothing else was written. */
  assert_true(fake_ram_all(MiB(1) + PAGE_SIZE, MiB(32) - PAGE_SIZE, 0x77));
  struct input in = {map, ARRAY_SIZE(map), res, 1, 0};
  struct drained d = drain(&in, true);
  assert_int_equal(d.pa[0], MiB(1) + PAGE_SIZE);
  assert_int_equal(d.pa[d.n - 1], MiB(9) - PAGE_SIZE);
  undrain(&d);
}

/* ---- clean and dirty frames (scrubbing) ---- */

/* A small machine inside the fake RAM: [2 MiB, 3 MiB), the bitmaps in its
 * first frame, 255 frames to hand out. */
static const struct boot_mem_region scrub_map[] = {{MiB(2), MiB(1), RAM}};
#define SCRUB_FRAMES 255UL
#define PATTERN 0xd1 /* what a domain leaves in a frame it gives back */

/* What a domain does before it gives a frame back: fills it with data. */
static void free_used(paddr_t pa)
{
  fake_ram_fill(pa, PAGE_SIZE, PATTERN);
  frame_free(pa);
}

static unsigned long nr_clean(void) { return frame_nr_free() - frame_nr_dirty(); }

/* At boot every frame is dirty (RAM as the firmware left it); a zeroed
 * allocation zeroes then, a plain one does not. */
static void test_boot_frames_dirty(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_ram_fill(FAKE_BASE, MiB(8), FAKE_RAM_GARBAGE);
  assert_int_equal(frame_init(scrub_map, 1, NULL, 0, 0), 0);
  assert_int_equal(frame_nr_free(), SCRUB_FRAMES);
  assert_int_equal(frame_nr_dirty(), SCRUB_FRAMES);

  paddr_t z = frame_alloc_zeroed();
  assert_true(fake_ram_all(z, PAGE_SIZE, 0));
  assert_int_equal(fake_zeroed_pages, 1);
  paddr_t a = frame_alloc();
  assert_true(fake_ram_all(a, PAGE_SIZE, FAKE_RAM_GARBAGE));
  assert_int_equal(fake_zeroed_pages, 1);
  assert_int_equal(frame_nr_dirty(), SCRUB_FRAMES - 2);
  assert_int_equal(nr_clean(), 0);
  /* Given back, each is dirty again whatever it was. */
  frame_free(z);
  free_used(a);
  assert_int_equal(frame_nr_dirty(), SCRUB_FRAMES);
}

/* frame_scrub zeroes dirty frames, a bounded batch at a time, and the
 * zeroed allocations then take them as they are. */
static unsigned int stop_calls, stop_at;
static bool stop_after(void) { return ++stop_calls > stop_at; }

static void test_scrub_then_clean_allocations(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_ram_fill(FAKE_BASE, MiB(8), FAKE_RAM_GARBAGE);
  assert_int_equal(frame_init(scrub_map, 1, NULL, 0, 0), 0);

  assert_int_equal(frame_scrub(10, NULL), 10);
  assert_int_equal(frame_nr_dirty(), SCRUB_FRAMES - 10);
  assert_int_equal(nr_clean(), 10);
  stop_calls = 0, stop_at = 3;
  assert_int_equal(frame_scrub(10, stop_after), 3); /* asked before each frame */
  assert_int_equal(nr_clean(), 13);
  assert_int_equal(frame_scrub(~0UL, NULL), SCRUB_FRAMES - 13);
  assert_int_equal(frame_nr_dirty(), 0);
  assert_int_equal(frame_scrub(5, NULL), 0); /* nothing left */
  assert_true(fake_ram_all(MiB(2) + PAGE_SIZE, SCRUB_FRAMES * PAGE_SIZE, 0));
  assert_int_equal(fake_zeroed_pages, SCRUB_FRAMES);

  /* Clean frames need no zeroing when taken. */
  fake_zeroed_pages = 0;
  paddr_t z[4];
  for (unsigned int i = 0; i < 4; i++) {
    z[i] = frame_alloc_zeroed();
    assert_true(fake_ram_all(z[i], PAGE_SIZE, 0));
  }
  assert_int_equal(fake_zeroed_pages, 0);
  assert_int_equal(frame_nr_free(), SCRUB_FRAMES - 4);

  /* A frame given back is dirty: frame_alloc takes it first (it is the
   * only dirty one), and so keeps the clean ones. */
  free_used(z[0]);
  assert_int_equal(frame_nr_dirty(), 1);
  assert_int_equal(frame_alloc(), z[0]);
  assert_int_equal(frame_nr_dirty(), 0);
  assert_int_equal(nr_clean(), SCRUB_FRAMES - 4);

  /* A zeroed allocation never returns the dirty one unzeroed, even
   * next to clean ones. */
  free_used(z[0]);
  free_used(z[1]);
  for (unsigned long n = frame_nr_free(); n; n--) {
    paddr_t pa = frame_alloc_zeroed();
    assert_true(pa);
    assert_true(fake_ram_all(pa, PAGE_SIZE, 0));
  }
  /* The clean ones went first; the two dirty ones were zeroed last. */
  assert_int_equal(fake_zeroed_pages, 2);
  assert_int_equal(frame_alloc_zeroed(), 0);
  assert_int_equal(frame_nr_free(), 0);
  assert_int_equal(frame_nr_dirty(), 0);
}

/* A contiguous zeroed run zeroes only its dirty frames; a plain run
 * takes dirty and clean alike and the counts follow. */
static void test_contig_zeroed(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_ram_fill(FAKE_BASE, MiB(8), FAKE_RAM_GARBAGE);
  assert_int_equal(frame_init(scrub_map, 1, NULL, 0, 0), 0);
  paddr_t run = frame_alloc_contig(16, 16);
  assert_true(run);
  while (frame_nr_free()) /* the run will be the only free one */
    assert_true(frame_alloc());
  /* 14 of its frames clean, two dirty with a domain's data. */
  for (unsigned int i = 0; i < 16; i++)
    if (i != 3 && i != 9)
      frame_free(run + i * PAGE_SIZE);
  assert_int_equal(frame_scrub(~0UL, NULL), 14);
  free_used(run + 3 * PAGE_SIZE);
  free_used(run + 9 * PAGE_SIZE);
  assert_int_equal(frame_nr_dirty(), 2);
  fake_zeroed_pages = 0;
  assert_int_equal(frame_alloc_contig_zeroed(16, 16), run);
  assert_true(fake_ram_all(run, 16 * PAGE_SIZE, 0));
  assert_int_equal(fake_zeroed_pages, 2);
  assert_int_equal(frame_nr_dirty(), 0);
  assert_int_equal(frame_nr_free(), 0);
  /* Given back all dirty; a plain run takes them unzeroed. */
  free_used(run);
  frame_free_contig(run + PAGE_SIZE, 15);
  assert_int_equal(frame_nr_dirty(), 16);
  assert_int_equal(frame_alloc_contig(16, 16), run);
  assert_true(fake_ram_all(run, PAGE_SIZE, PATTERN));
  assert_int_equal(fake_zeroed_pages, 2);
  assert_int_equal(frame_nr_dirty(), 0);
}

/* Random alloc, zeroed alloc, free (of a frame a domain wrote) and
 * scrub: no frame is handed out twice, a zeroed allocation is always
 * zeros, the counts match what was done. */
static void test_scrub_random(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_ram_fill(FAKE_BASE, MiB(8), FAKE_RAM_GARBAGE);
  assert_int_equal(frame_init(scrub_map, 1, NULL, 0, 0), 0);
  static paddr_t held[SCRUB_FRAMES];
  static bool out[SCRUB_FRAMES + 1];
  unsigned long n = 0, seed = 12345;
  memset(out, 0, sizeof(out));
  for (unsigned int step = 0; step < 20000; step++) {
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    unsigned int what = (seed >> 33) % 8;
    if (what < 2 || (what < 4 && n < SCRUB_FRAMES / 2)) {
      bool zeroed = what & 1;
      paddr_t pa = zeroed ? frame_alloc_zeroed() : frame_alloc();
      if (n == SCRUB_FRAMES) {
        assert_int_equal(pa, 0);
        continue;
      }
      assert_true(pa);
      unsigned long f = (pa - MiB(2)) / PAGE_SIZE;
      assert_true(f >= 1 && f <= SCRUB_FRAMES);
      assert_false(out[f]); /* handed out twice */
      out[f] = true;
      if (zeroed)
        assert_true(fake_ram_all(pa, PAGE_SIZE, 0));
      held[n++] = pa;
    } else if (what < 7 && n) {
      unsigned long k = (seed >> 17) % n;
      out[(held[k] - MiB(2)) / PAGE_SIZE] = false;
      free_used(held[k]);
      held[k] = held[--n];
    } else {
      frame_scrub((seed >> 20) % 8, NULL);
    }
    assert_int_equal(frame_nr_free(), SCRUB_FRAMES - n);
    assert_true(frame_nr_dirty() <= frame_nr_free());
  }
  /* Every free frame the allocator calls clean is zeros. */
  while (n)
    free_used(held[--n]);
  frame_scrub(~0UL, NULL);
  for (unsigned long f = 1; f <= SCRUB_FRAMES; f++)
    assert_true(fake_ram_all(MiB(2) + f * PAGE_SIZE, PAGE_SIZE, 0));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_holes_and_reserved, test_setup),
      cmocka_unit_test_setup(test_free_and_realloc, test_setup),
      cmocka_unit_test_setup(test_alloc_zeroed, test_setup),
      cmocka_unit_test_setup(test_claim_and_adopt, test_setup),
      cmocka_unit_test_setup(test_contig, test_setup),
      cmocka_unit_test_setup(test_contig_respects_holes, test_setup),
      cmocka_unit_test_setup(test_limit, test_setup),
      cmocka_unit_test_setup(test_double_free_panics, test_setup),
      cmocka_unit_test_setup(test_bad_free_panics, test_setup),
      cmocka_unit_test_setup(test_no_memory, test_setup),
      cmocka_unit_test_setup(test_bizarre_map, test_setup),
      cmocka_unit_test_setup(test_huge_map, test_setup),
      cmocka_unit_test_setup(test_stray_high_entry, test_setup),
      cmocka_unit_test_setup(test_boot_frames_dirty, test_setup),
      cmocka_unit_test_setup(test_scrub_then_clean_allocations, test_setup),
      cmocka_unit_test_setup(test_contig_zeroed, test_setup),
      cmocka_unit_test_setup(test_scrub_random, test_setup),
  };
  return cmocka_run_group_tests_name("frame", tests, group_setup, group_teardown);
}
