/* The physical frame allocator: three bitmaps over the 4 KiB frames of RAM.
 *
 * The frames [base_pfn, base_pfn + nr_frames) are tracked by three bitmaps
 * that sit side by side in RAM we take from ourselves:
 *   usable_map  set once at init: the frame is ours to hand out;
 *   free_map    the frame is free now (always a subset of usable_map);
 *   dirty_map   the frame is free and may hold old data (a subset of
 *               free_map); a free frame not in it is clean: all zeros.
 * Keeping the first two lets frame_free() tell a double free from the free
 * of a frame we never owned (a hole, a module, our image).  Allocation is
 * next-fit from a hint that starts at the lowest frame, so the first frames
 * handed out (the page tables built before the full 1:1 map exists) come
 * from low memory, which the boot page tables map.
 *
 * Scrubbing (as Xen's idle scrubber): every freed frame is dirty (a
 * domain's old data, our own), and so is every frame at boot (firmware
 * leaves RAM as it likes).  frame_scrub(), run by idle CPUs, zeroes dirty
 * frames and makes them clean; frame_alloc_zeroed() takes a clean frame
 * when there is one and zeroes a dirty one only when there is not, while
 * frame_alloc() (no zeroing asked) takes dirty frames first and so leaves
 * the clean ones to those who need zeros. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>

#define WORD_BITS 64UL
#define NO_RUN (~0UL)

/* No locking yet: a single CPU.  With SMP, frame_lock (a spinlock) will
 * guard everything below, taken in the alloc/free/count functions. */
static uint64_t *free_map;
static uint64_t *usable_map;
static uint64_t *dirty_map;
static unsigned long base_pfn;  /* the frame number of bit 0 */
static unsigned long nr_frames; /* bits in each map */
static unsigned long nr_total;  /* usable frames */
static unsigned long nr_free;
static unsigned long nr_dirty;   /* free frames in dirty_map */
static unsigned long hint;       /* next-fit: the bit where the next search starts */
static unsigned long clean_hint; /* ... for a clean frame */
static unsigned long scrub_hint; /* ... for a dirty one to scrub */

/* What frame_init() works from, passed around while it runs. */
struct layout {
  const struct boot_mem_region *map;
  unsigned int n;
  const struct mem_range *res;
  unsigned int nr_res;
  unsigned long top_pfn; /* frames at or above this one are ignored */
};

static unsigned long div_round_up(unsigned long x, unsigned long d) { return (x + d - 1) / d; }

/* ---- bit helpers: all indices are bits, [from, to) ---- */

static bool test_bit(const uint64_t *map, unsigned long i)
{
  return (map[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

static void fill_bits(uint64_t *map, unsigned long from, unsigned long to, bool set)
{
  while (from < to) {
    unsigned long bit = from % WORD_BITS;
    unsigned long n = MIN(WORD_BITS - bit, to - from);
    uint64_t mask = (n == WORD_BITS ? ~0ULL : (1ULL << n) - 1) << bit;

    if (set)
      map[from / WORD_BITS] |= mask;
    else
      map[from / WORD_BITS] &= ~mask;
    from += n;
  }
}

/* Bits set in v (the classic SWAR count: no libgcc call needed). */
static unsigned long popcount64(uint64_t v)
{
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return (unsigned long)((v * 0x0101010101010101ULL) >> 56);
}

/* Bits set in [from, to) of map. */
static unsigned long count_bits(const uint64_t *map, unsigned long from, unsigned long to)
{
  unsigned long n = 0;
  while (from < to) {
    unsigned long bit = from % WORD_BITS;
    unsigned long k = MIN(WORD_BITS - bit, to - from);
    uint64_t mask = (k == WORD_BITS ? ~0ULL : (1ULL << k) - 1) << bit;
    n += popcount64(map[from / WORD_BITS] & mask);
    from += k;
  }
  return n;
}

/* The first clean free frame's bit in [from, to) (set in free_map, clear
 * in dirty_map), or `to`. */
static unsigned long find_clean(unsigned long from, unsigned long to)
{
  while (from < to) {
    unsigned long w = from / WORD_BITS;
    uint64_t word = free_map[w] & ~dirty_map[w] & (~0ULL << (from % WORD_BITS));
    if (word)
      return MIN(w * WORD_BITS + (unsigned long)__builtin_ctzll(word), to);
    from = (w + 1) * WORD_BITS;
  }
  return to;
}

/* The first bit in [from, to) equal to `want`, or `to`; a word at a time. */
static unsigned long find_bit(const uint64_t *map, unsigned long from, unsigned long to, bool want)
{
  while (from < to) {
    unsigned long w = from / WORD_BITS;
    uint64_t word = want ? map[w] : ~map[w];

    word &= ~0ULL << (from % WORD_BITS);
    if (word)
      return MIN(w * WORD_BITS + (unsigned long)__builtin_ctzll(word), to);
    from = (w + 1) * WORD_BITS;
  }
  return to;
}

/* ---- reading the boot map defensively ---- */

/* Entry i's whole frames if it is RAM, clipped to [1, top_pfn): frame 0 is
 * never usable, so that 0 can mean "no frame".  False when there are none. */
static bool ram_frames(const struct layout *l, unsigned int i, unsigned long *s, unsigned long *e)
{
  const struct boot_mem_region *r = &l->map[i];

  /* A wrapping entry is garbage; frame_init() has reported it. */
  if (r->type != BOOT_MEM_RAM || r->len == 0 || r->len > UINT64_MAX - r->start)
    return false;
  if (r->start > UINT64_MAX - (PAGE_SIZE - 1))
    return false;
  *s = MAX(ALIGN_UP(r->start, PAGE_SIZE) >> PAGE_SHIFT, 1UL);
  *e = MIN((r->start + r->len) >> PAGE_SHIFT, l->top_pfn);
  return *s < *e;
}

/* Every frame touched by [start, end), rounded outwards. */
static void outer_frames(uint64_t start, uint64_t end, unsigned long *s, unsigned long *e)
{
  *s = start >> PAGE_SHIFT;
  *e = end > UINT64_MAX - (PAGE_SIZE - 1) ? (UINT64_MAX >> PAGE_SHIFT) + 1
                                          : ALIGN_UP(end, PAGE_SIZE) >> PAGE_SHIFT;
}

/* Exclusion k: the reserved ranges, then the non-RAM map entries (a broken
 * map may call the same bytes RAM and reserved: reserved wins).  False when
 * k excludes nothing. */
static bool excl_frames(const struct layout *l, unsigned int k, unsigned long *s, unsigned long *e)
{
  if (k < l->nr_res) {
    if (l->res[k].start == l->res[k].end)
      return false;
    outer_frames(l->res[k].start, l->res[k].end, s, e);
  } else {
    const struct boot_mem_region *r = &l->map[k - l->nr_res];
    if (r->type == BOOT_MEM_RAM || r->len == 0)
      return false;
    uint64_t end = r->len > UINT64_MAX - r->start ? UINT64_MAX : r->start + r->len;
    outer_frames(r->start, end, s, e);
  }
  return *s < *e;
}

/* The lowest run of len frames in [lo, hi) inside one RAM entry and clear
 * of every exclusion: its first frame number, or 0 when there is none. */
__cold static unsigned long place_maps(const struct layout *l, unsigned long lo, unsigned long hi,
                                       unsigned long len)
{
  unsigned long best = 0, s, e, xs, xe;

  for (unsigned int i = 0; i < l->n; i++) {
    if (!ram_frames(l, i, &s, &e))
      continue;
    s = MAX(s, lo);
    e = MIN(e, hi);
    /* Step the candidate past each exclusion it overlaps until a whole
     * pass moves it no more; every step moves it up, so this ends. */
    unsigned long c = s;
    bool moved = true;
    while (c < e && e - c >= len && moved) {
      moved = false;
      for (unsigned int k = 0; k < l->nr_res + l->n; k++) {
        if (excl_frames(l, k, &xs, &xe) && xs < c + len && xe > c) {
          c = xe;
          moved = true;
        }
      }
    }
    if (!moved && c < e && e - c >= len && (!best || c < best))
      best = c;
  }
  return best;
}

/* Bytes of [s, e) at or above t. */
static uint64_t bytes_above(uint64_t s, uint64_t e, uint64_t t)
{
  return e > t ? e - MAX(s, t) : 0;
}

/* Report the RAM that mem= and FRAME_MAX_ADDR leave out, and broken entries. */
__cold static void report_dropped(const struct layout *l, paddr_t limit)
{
  uint64_t over_cap = 0, over_limit = 0;

  for (unsigned int i = 0; i < l->n; i++) {
    const struct boot_mem_region *r = &l->map[i];
    if (r->type != BOOT_MEM_RAM || r->len == 0)
      continue;
    if (r->len > UINT64_MAX - r->start) {
      pr_warn("frame: ignoring RAM entry 0x%llx+0x%llx, which wraps around",
              (unsigned long long)r->start, (unsigned long long)r->len);
      continue;
    }
    uint64_t end = r->start + r->len;
    over_cap += bytes_above(r->start, end, FRAME_MAX_ADDR);
    if (limit && limit < FRAME_MAX_ADDR)
      over_limit += bytes_above(r->start, MIN(end, FRAME_MAX_ADDR), limit);
  }
  if (over_cap)
    pr_warn("frame: ignoring %llu MiB of RAM above 0x%llx (the allocator's limit)",
            (unsigned long long)(over_cap >> 20), (unsigned long long)FRAME_MAX_ADDR);
  if (over_limit)
    pr_info("frame: mem= leaves %llu KiB of RAM unused", (unsigned long long)(over_limit >> 10));
}

static void forget_all(void)
{
  free_map = usable_map = dirty_map = NULL;
  base_pfn = nr_frames = nr_total = nr_free = nr_dirty = hint = clean_hint = scrub_hint = 0;
}

__cold int frame_init(const struct boot_mem_region *map, unsigned int n,
                      const struct mem_range *reserved, unsigned int nr_reserved, paddr_t limit)
{
  forget_all();
  if ((!map && n) || (!reserved && nr_reserved))
    return -EINVAL;
  /* An inverted range might be a module we would otherwise hand out. */
  for (unsigned int k = 0; k < nr_reserved; k++)
    if (reserved[k].end < reserved[k].start)
      return -EINVAL;

  paddr_t top = limit && limit < FRAME_MAX_ADDR ? limit : FRAME_MAX_ADDR;
  struct layout l = {map, n, reserved, nr_reserved, top >> PAGE_SHIFT};
  report_dropped(&l, limit);

  /* The span of RAM to track. */
  unsigned long lo = ~0UL, hi = 0, s, e;
  for (unsigned int i = 0; i < n; i++) {
    if (ram_frames(&l, i, &s, &e)) {
      lo = MIN(lo, s);
      hi = MAX(hi, e);
    }
  }
  if (!hi)
    return -ENOMEM;

  /* The maps, whole words each, in the lowest run that holds them.  If a
   * stray RAM entry far above the rest makes them too big, give up the
   * highest entry and try again: a smaller machine beats no machine. */
  unsigned long words, map_frames, maps_pfn;
  for (;;) {
    words = div_round_up(hi - lo, WORD_BITS);
    map_frames = div_round_up(3 * words * sizeof(uint64_t), PAGE_SIZE);
    maps_pfn = place_maps(&l, lo, hi, map_frames);
    if (maps_pfn)
      break;
    unsigned long below = 0;
    for (unsigned int i = 0; i < n; i++)
      if (ram_frames(&l, i, &s, &e) && e < hi)
        below = MAX(below, e);
    if (below <= lo)
      return -ENOMEM;
    pr_warn("frame: no room for the bitmaps of 0x%llx-0x%llx; ignoring RAM above 0x%llx",
            (unsigned long long)lo << PAGE_SHIFT, (unsigned long long)hi << PAGE_SHIFT,
            (unsigned long long)below << PAGE_SHIFT);
    hi = below;
  }

  uint64_t *maps = phys_to_virt((paddr_t)maps_pfn << PAGE_SHIFT);
  memset(maps, 0, map_frames * PAGE_SIZE);
  usable_map = maps;
  free_map = maps + words;
  dirty_map = maps + 2 * words;
  base_pfn = lo;
  nr_frames = hi - lo;

  /* RAM in, then every exclusion and the maps themselves out; all clipped
   * to [lo, hi) so no write leaves the maps whatever the input. */
  for (unsigned int i = 0; i < n; i++)
    if (ram_frames(&l, i, &s, &e) && s < hi)
      fill_bits(usable_map, s - lo, MIN(e, hi) - lo, true);
  for (unsigned int k = 0; k < nr_reserved + n; k++)
    if (excl_frames(&l, k, &s, &e) && s < hi && e > lo)
      fill_bits(usable_map, MAX(s, lo) - lo, MIN(e, hi) - lo, false);
  fill_bits(usable_map, maps_pfn - lo, maps_pfn - lo + map_frames, false);

  /* Free, and dirty: nothing zeroed them (the firmware's, the boot
   * loader's, an earlier kernel's data may be there). */
  memcpy(free_map, usable_map, words * sizeof(uint64_t));
  memcpy(dirty_map, usable_map, words * sizeof(uint64_t));
  for (unsigned long w = 0; w < words; w++)
    nr_total += popcount64(usable_map[w]);
  if (!nr_total) {
    forget_all();
    return -ENOMEM;
  }
  nr_free = nr_dirty = nr_total;
  pr_debug("frame: tracking 0x%llx-0x%llx, bitmaps at 0x%llx (%lu KiB)",
           (unsigned long long)lo << PAGE_SHIFT, (unsigned long long)hi << PAGE_SHIFT,
           (unsigned long long)maps_pfn << PAGE_SHIFT, map_frames * (PAGE_SIZE / 1024));
  return 0;
}

/* The first run of nr free bits in [from, to) whose frame number is a
 * multiple of align (a power of two), or NO_RUN. */
static unsigned long find_run(unsigned long from, unsigned long to, unsigned long nr,
                              unsigned long align)
{
  while (from < to) {
    unsigned long i = find_bit(free_map, from, to, true);
    /* No overflow: frame numbers are below 2^28 and align <= 2^63. */
    i = ALIGN_UP(base_pfn + i, align) - base_pfn;
    if (i >= to || to - i < nr)
      return NO_RUN;
    unsigned long busy = find_bit(free_map, i, i + nr, false);
    if (busy == i + nr)
      return i;
    from = busy + 1;
  }
  return NO_RUN;
}

/* Take the free frames [i, i + nr): they leave free_map and dirty_map. */
static void take(unsigned long i, unsigned long nr)
{
  nr_dirty -= count_bits(dirty_map, i, i + nr);
  fill_bits(free_map, i, i + nr, false);
  fill_bits(dirty_map, i, i + nr, false);
  nr_free -= nr;
}

/* Find and take a run for frame_alloc_contig*: its first bit, or NO_RUN.
 * zero: zero its dirty frames first (while dirty_map still says which). */
static unsigned long alloc_run(unsigned long nr, unsigned long align_frames, bool zero)
{
  if (align_frames == 0)
    align_frames = 1;
  if (nr == 0 || nr > nr_free || (align_frames & (align_frames - 1)))
    return NO_RUN;
  unsigned long i = find_run(hint, nr_frames, nr, align_frames);
  if (i == NO_RUN)
    i = find_run(0, nr_frames, nr, align_frames);
  if (i == NO_RUN)
    return NO_RUN;
  for (unsigned long j = i; zero && j < i + nr; j++)
    if (test_bit(dirty_map, j))
      arch_zero_page(phys_to_virt((paddr_t)(base_pfn + j) << PAGE_SHIFT));
  take(i, nr);
  hint = i + nr < nr_frames ? i + nr : 0;
  return i;
}

paddr_t frame_alloc_contig(unsigned long nr, unsigned long align_frames)
{
  unsigned long i = alloc_run(nr, align_frames, false);
  return i == NO_RUN ? 0 : (paddr_t)(base_pfn + i) << PAGE_SHIFT;
}

paddr_t frame_alloc_contig_zeroed(unsigned long nr, unsigned long align_frames)
{
  unsigned long i = alloc_run(nr, align_frames, true);
  return i == NO_RUN ? 0 : (paddr_t)(base_pfn + i) << PAGE_SHIFT;
}

paddr_t frame_claim_zeroed(paddr_t pa, unsigned long nr)
{
  unsigned long pfn = pa >> PAGE_SHIFT;
  if (!nr || !IS_ALIGNED(pa, PAGE_SIZE) || pfn < base_pfn || pfn - base_pfn > nr_frames ||
      nr > nr_frames - (pfn - base_pfn))
    return 0;
  unsigned long i = pfn - base_pfn;
  if (count_bits(free_map, i, i + nr) != nr)
    return 0; /* one of them is in use, or not ours */
  for (unsigned long j = i; j < i + nr; j++)
    if (test_bit(dirty_map, j))
      arch_zero_page(phys_to_virt((paddr_t)(base_pfn + j) << PAGE_SHIFT));
  take(i, nr);
  return pa;
}

/* Take the first frame set in map (free_map or dirty_map) from the
 * next-fit hint on, round to the start: its bit, or nr_frames if none. */
static unsigned long take_one(const uint64_t *map)
{
  unsigned long i = find_bit(map, hint, nr_frames, true);
  if (i == nr_frames) {
    i = find_bit(map, 0, hint, true);
    if (i == hint)
      return nr_frames; /* none at all */
  }
  uint64_t bit = 1ULL << (i % WORD_BITS);
  free_map[i / WORD_BITS] &= ~bit;
  if (dirty_map[i / WORD_BITS] & bit) {
    dirty_map[i / WORD_BITS] &= ~bit;
    nr_dirty--;
  }
  nr_free--;
  hint = i + 1 < nr_frames ? i + 1 : 0;
  return i;
}

paddr_t frame_alloc(void)
{
  /* Dirty frames first: the clean ones are kept for frame_alloc_zeroed. */
  unsigned long i = take_one(nr_dirty ? dirty_map : free_map);
  return i < nr_frames ? (paddr_t)(base_pfn + i) << PAGE_SHIFT : 0;
}

paddr_t frame_alloc_zeroed(void)
{
  if (nr_free > nr_dirty) { /* there is a clean frame: find it */
    unsigned long i = find_clean(clean_hint, nr_frames);
    if (i == nr_frames)
      i = find_clean(0, nr_frames);
    if (i < nr_frames) {
      uint64_t bit = 1ULL << (i % WORD_BITS);
      free_map[i / WORD_BITS] &= ~bit;
      nr_free--;
      clean_hint = i + 1 < nr_frames ? i + 1 : 0;
      return (paddr_t)(base_pfn + i) << PAGE_SHIFT;
    }
  }
  /* No clean frame: a dirty one, zeroed now. */
  paddr_t pa = frame_alloc();
  if (pa)
    arch_zero_page(phys_to_virt(pa));
  return pa;
}

int frame_adopt(paddr_t pa, unsigned long nr)
{
  unsigned long pfn = pa >> PAGE_SHIFT;
  if (!IS_ALIGNED(pa, PAGE_SIZE) || pfn < base_pfn || pfn - base_pfn > nr_frames ||
      nr > nr_frames - (pfn - base_pfn))
    return -EINVAL;
  unsigned long i = pfn - base_pfn;
  for (unsigned long j = i; j < i + nr; j++)
    if (test_bit(usable_map, j))
      return -EBUSY;
  /* Owned and in use: not free, so neither dirty. */
  fill_bits(usable_map, i, i + nr, true);
  nr_total += nr;
  return 0;
}

void frame_free_contig(paddr_t pa, unsigned long nr)
{
  unsigned long pfn = pa >> PAGE_SHIFT;

  if (!IS_ALIGNED(pa, PAGE_SIZE))
    panic("frame: free of unaligned address 0x%llx", (unsigned long long)pa);
  if (pfn < base_pfn || pfn - base_pfn > nr_frames || nr > nr_frames - (pfn - base_pfn))
    panic("frame: free of %lu frame(s) at 0x%llx, outside the memory the allocator tracks", nr,
          (unsigned long long)pa);
  /* Check all before changing anything. */
  unsigned long i = pfn - base_pfn;
  for (unsigned long j = i; j < i + nr; j++) {
    paddr_t at = (paddr_t)(base_pfn + j) << PAGE_SHIFT;
    if (!test_bit(usable_map, j))
      panic("frame: free of 0x%llx, a frame the allocator never owned", (unsigned long long)at);
    if (test_bit(free_map, j))
      panic("frame: double free of 0x%llx", (unsigned long long)at);
  }
  fill_bits(free_map, i, i + nr, true);
  fill_bits(dirty_map, i, i + nr, true);
  nr_free += nr;
  nr_dirty += nr;
}

void frame_free(paddr_t pa)
{
  unsigned long i = (pa >> PAGE_SHIFT) - base_pfn, w = i / WORD_BITS;
  uint64_t bit = 1ULL << (i % WORD_BITS);

  /* The common case inline (a frame we own, allocated, aligned); anything
   * else goes the long way, which panics with the reason. */
  if (!IS_ALIGNED(pa, PAGE_SIZE) || (pa >> PAGE_SHIFT) < base_pfn || i >= nr_frames ||
      !(usable_map[w] & bit) || (free_map[w] & bit)) {
    frame_free_contig(pa, 1);
    return;
  }
  free_map[w] |= bit;
  dirty_map[w] |= bit;
  nr_free++;
  nr_dirty++;
}

unsigned long frame_scrub(unsigned long max, bool (*stop)(void))
{
  unsigned long done = 0;
  while (done < max && nr_dirty && !(stop && stop())) {
    unsigned long i = find_bit(dirty_map, scrub_hint, nr_frames, true);
    if (i == nr_frames)
      i = find_bit(dirty_map, 0, nr_frames, true);
    arch_zero_page(phys_to_virt((paddr_t)(base_pfn + i) << PAGE_SHIFT));
    dirty_map[i / WORD_BITS] &= ~(1ULL << (i % WORD_BITS));
    nr_dirty--;
    scrub_hint = i + 1 < nr_frames ? i + 1 : 0;
    done++;
  }
  return done;
}

unsigned long frame_nr_dirty(void) { return nr_dirty; }

unsigned long frame_nr_free(void) { return nr_free; }

unsigned long frame_max_pfn(void) { return nr_frames ? base_pfn + nr_frames - 1 : 0; }

unsigned long frame_nr_total(void) { return nr_total; }
