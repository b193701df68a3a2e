/* Unit tests of the heap (mm/heap.c) over the real frame allocator. */
#include "unit.h"
#include <hv/frame.h>
#include <hv/heap.h>

#define FAKE_BASE MiB(1)
#define FAKE_SIZE MiB(64)

/* 63 MiB of RAM, all inside the fake RAM, the first MiB of it reserved. */
static const struct boot_mem_region map[] = {{MiB(1), MiB(64), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};

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
  if (frame_init(map, ARRAY_SIZE(map), res, ARRAY_SIZE(res), 0))
    return -1;
  heap_init();
  return 0;
}

static struct heap_stats stats(void)
{
  struct heap_stats st;
  heap_stats(&st);
  return st;
}

/* A byte pattern that differs between blocks and along each block. */
static uint8_t pattern(unsigned int block, size_t i) { return (uint8_t)(block * 31 + i * 7 + 1); }

struct blk {
  uint8_t *p;
  size_t size;
};

static int cmp_blk(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)((const struct blk *)a)->p, y = (uintptr_t)((const struct blk *)b)->p;
  return x < y ? -1 : x > y;
}

/* Sizes around every class edge and into the large path. */
static size_t test_size(unsigned int i)
{
  static const size_t edges[] = {2024, 2025, 4072, 4073, 8192, 65536, 100000};
  if (i < 300)
    return i + 1;
  if (i < 300 + ARRAY_SIZE(edges))
    return edges[i - 300];
  return 300 + (i * 37) % 3000;
}

#define NR_BLOCKS 600

/* Many sizes at once: aligned, inside RAM, disjoint, contents kept; then
 * all freed in a scrambled order, and the memory reused by a second round. */
static void test_many_sizes(void **state)
{
  (void)state;
  static struct blk b[NR_BLOCKS];
  unsigned long frames0 = frame_nr_free();
  unsigned long small_after_round1 = 0;

  for (int round = 0; round < 2; round++) {
    size_t bytes = 0;
    for (unsigned int i = 0; i < NR_BLOCKS; i++) {
      b[i].size = test_size(i);
      b[i].p = heap_alloc(b[i].size);
      assert_non_null(b[i].p);
      assert_true(IS_ALIGNED((uintptr_t)b[i].p, 16));
      (void)virt_to_phys(b[i].p + b[i].size - 1); /* aborts outside the fake RAM */
      for (size_t j = 0; j < b[i].size; j++)
        b[i].p[j] = pattern(i, j);
      bytes += b[i].size;
    }
    assert_int_equal(stats().nr_blocks, NR_BLOCKS);
    assert_int_equal(stats().bytes, bytes);

    /* Every block still holds its own pattern: nothing overlapped. */
    for (unsigned int i = 0; i < NR_BLOCKS; i++)
      for (size_t j = 0; j < b[i].size; j++)
        if (b[i].p[j] != pattern(i, j))
          fail_msg("block %u (%zu bytes) changed at byte %zu", i, b[i].size, j);
    static struct blk sorted[NR_BLOCKS];
    memcpy(sorted, b, sizeof(b));
    qsort(sorted, NR_BLOCKS, sizeof(sorted[0]), cmp_blk);
    for (unsigned int i = 1; i < NR_BLOCKS; i++)
      assert_true(sorted[i - 1].p + sorted[i - 1].size <= sorted[i].p);

    /* Free in a scrambled order (i * 7 mod 600 visits every block). */
    for (unsigned int i = 0; i < NR_BLOCKS; i++)
      heap_free(b[(i * 7) % NR_BLOCKS].p);
    struct heap_stats st = stats();
    assert_int_equal(st.nr_blocks, 0);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.large_frames, 0);
    /* Small-block frames are kept; large ones went back. */
    assert_int_equal(frame_nr_free(), frames0 - st.small_frames);
    if (round == 0)
      small_after_round1 = st.small_frames;
    else
      assert_int_equal(st.small_frames, small_after_round1); /* all reused */
  }
}

/* Large blocks take whole frames (header and canary included) and give
 * them back. */
static void test_large_round_trip(void **state)
{
  (void)state;
  static const struct {
    size_t size;
    unsigned long frames;
  } cases[] = {{2025, 1}, {4072, 1}, {4073, 2}, {MiB(1), 257}, {MiB(8), 2049}};

  for (unsigned int c = 0; c < ARRAY_SIZE(cases); c++) {
    unsigned long before = frame_nr_free();
    uint8_t *p = heap_alloc(cases[c].size);
    assert_non_null(p);
    assert_true(IS_ALIGNED((uintptr_t)p, 16));
    assert_int_equal(before - frame_nr_free(), cases[c].frames);
    assert_int_equal(stats().large_frames, cases[c].frames);
    for (size_t j = 0; j < cases[c].size; j++)
      p[j] = pattern(c, j);
    for (size_t j = 0; j < cases[c].size; j++)
      assert_int_equal(p[j], pattern(c, j));
    heap_free(p);
    assert_int_equal(frame_nr_free(), before);
  }
  assert_int_equal(stats().large_frames, 0);
  assert_int_equal(stats().small_frames, 0);
}

static void test_zalloc_zeroes(void **state)
{
  (void)state;
  uint8_t *p = heap_alloc(100);
  memset(p, 0xff, 100);
  heap_free(p);
  uint8_t *q = heap_zalloc(100);
  assert_ptr_equal(q, p); /* the block just freed */
  for (int i = 0; i < 100; i++)
    assert_int_equal(q[i], 0);
  heap_free(q);

  /* Large: the frames it will get (after the bitmaps at 2 MiB, two
   * frames, and p's frame: a fresh allocator hands them out in order)
   * hold garbage first. */
  assert_int_equal(virt_to_phys(p) & PAGE_MASK, MiB(2) + 2 * PAGE_SIZE);
  fake_ram_fill(MiB(2) + 3 * PAGE_SIZE, MiB(16), FAKE_RAM_GARBAGE);
  uint8_t *l = heap_zalloc(3 * PAGE_SIZE);
  assert_non_null(l);
  assert_int_equal(virt_to_phys(l), MiB(2) + 3 * PAGE_SIZE + 16);
  for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
    assert_int_equal(l[i], 0);
  heap_free(l);
}

static void test_zero_and_huge_sizes(void **state)
{
  (void)state;
  unsigned long free0 = frame_nr_free();

  assert_null(heap_alloc(0));
  assert_null(heap_zalloc(0));
  assert_null(heap_alloc(SIZE_MAX));
  assert_null(heap_alloc(SIZE_MAX - 8));
  assert_null(heap_alloc(SIZE_MAX - PAGE_SIZE));
  assert_null(heap_alloc(SIZE_MAX / 2 + 1));
  assert_null(heap_alloc(SIZE_MAX / 2)); /* passes the bound, no such memory */
  assert_null(heap_zalloc(SIZE_MAX));
  assert_null(heap_alloc(MiB(64))); /* more than the RAM */
  heap_free(NULL);
  assert_int_equal(frame_nr_free(), free0);
  assert_int_equal(stats().nr_blocks, 0);
}

/* Out of frames: NULL, cleanly, and a freed block is usable again. */
static void test_exhaustion(void **state)
{
  (void)state;
  static const struct boot_mem_region small[] = {{MiB(1), 20 * PAGE_SIZE, BOOT_MEM_RAM}};
  assert_int_equal(frame_init(small, 1, NULL, 0, 0), 0);
  heap_init();
  assert_int_equal(frame_nr_total(), 19); /* one frame holds the bitmaps */

  /* 64 bytes + header + canary: 128-byte blocks, 32 a frame. */
  static void *p[19 * 32];
  unsigned int n = 0;
  void *q;
  while ((q = heap_alloc(64)) != NULL) {
    assert_true(n < ARRAY_SIZE(p));
    p[n++] = q;
  }
  assert_int_equal(n, 19 * 32);
  assert_int_equal(frame_nr_free(), 0);
  assert_null(heap_alloc(16));   /* another class needs a frame */
  assert_null(heap_alloc(5000)); /* large */
  assert_null(heap_zalloc(64));

  heap_free(p[100]);
  q = heap_alloc(64);
  assert_ptr_equal(q, p[100]);
  for (unsigned int i = 0; i < n; i++)
    heap_free(p[i]);
  assert_int_equal(stats().nr_blocks, 0);
}

static void test_double_free_panics(void **state)
{
  (void)state;
  void *s = heap_alloc(24);
  heap_free(s);
  EXPECT_PANIC_MSG(heap_free(s), "double free");

  void *l = heap_alloc(3 * PAGE_SIZE);
  heap_free(l);
  EXPECT_PANIC_MSG(heap_free(l), "double free");
  assert_int_equal(stats().nr_blocks, 0);
}

static void test_bad_pointer_panics(void **state)
{
  (void)state;
  uint8_t *p = heap_zalloc(64);

  EXPECT_PANIC_MSG(heap_free(p + 16), "never returned"); /* inside a block */
  EXPECT_PANIC_MSG(heap_free(p + 1), "misaligned");
  paddr_t pa = frame_alloc_zeroed();
  EXPECT_PANIC_MSG(heap_free((uint8_t *)phys_to_virt(pa) + 16), "bad magic");

  /* The right magic but a state that is neither used nor free. */
  uint32_t *hdr = phys_to_virt(pa);
  hdr[0] = 0x68656170; /* the heap's magic */
  EXPECT_PANIC_MSG(heap_free((uint8_t *)phys_to_virt(pa) + 16), "corrupted");

  /* After all that, p is still a good block. */
  heap_free(p);
  assert_int_equal(stats().nr_blocks, 0);
}

/* A write past the requested size tramples the canary. */
static void test_overrun_panics(void **state)
{
  (void)state;
  uint8_t *p = heap_alloc(10);
  p[10] = 0;
  EXPECT_PANIC_MSG(heap_free(p), "write past the end");

  uint8_t *l = heap_alloc(5000);
  l[5003] ^= 1;
  EXPECT_PANIC_MSG(heap_free(l), "5000-byte block");

  /* Writes within the request are fine. */
  uint8_t *ok = heap_alloc(10);
  memset(ok, 0xca, 10);
  heap_free(ok);
}

/* Running off one block into the next free one is caught when that one
 * is handed out. */
static void test_corrupted_free_list_panics(void **state)
{
  (void)state;
  uint8_t *a = heap_alloc(40), *b = heap_alloc(40);
  assert_ptr_equal(b, a + 64); /* 64-byte blocks, handed out in order */
  heap_free(b);
  memset(a, 0, 64 + 4); /* over a's canary and into b's header */
  EXPECT_PANIC_MSG(heap_alloc(40), "corrupted");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_many_sizes, test_setup),
      cmocka_unit_test_setup(test_large_round_trip, test_setup),
      cmocka_unit_test_setup(test_zalloc_zeroes, test_setup),
      cmocka_unit_test_setup(test_zero_and_huge_sizes, test_setup),
      cmocka_unit_test_setup(test_exhaustion, test_setup),
      cmocka_unit_test_setup(test_double_free_panics, test_setup),
      cmocka_unit_test_setup(test_bad_pointer_panics, test_setup),
      cmocka_unit_test_setup(test_overrun_panics, test_setup),
      cmocka_unit_test_setup(test_corrupted_free_list_panics, test_setup),
  };
  return cmocka_run_group_tests_name("heap", tests, group_setup, group_teardown);
}
