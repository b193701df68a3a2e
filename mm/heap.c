/* The hypervisor heap: heap_alloc/heap_free of any size over the frames.
 *
 * Every block is laid out as [header | payload | canary]: a 16-byte header
 * (magic, state, class, requested size), the caller's bytes (16-byte
 * aligned), then 8 canary bytes right after the requested size.  Blocks of
 * up to 2048 bytes, header and canary included, come from power-of-two
 * size classes (32..2048): a frame is carved into equal blocks that go on
 * the class's free list, and frames are never given back (the hypervisor's
 * small objects live as long as domains, and it keeps this simple).
 * Bigger blocks get their own run of contiguous frames, returned on free.
 * A bad magic, a double free or a trampled canary is our own bug: panic. */
#include <arch/mm.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/printk.h>
#include <hv/string.h>

#define HEAP_MAGIC 0x68656170u /* "heap" */
#define STATE_USED 0x75        /* 'u' */
#define STATE_FREE 0x66        /* 'f' */
#define MIN_SHIFT 5            /* 32-byte blocks */
#define MAX_SHIFT 11           /* 2048-byte blocks */
#define NR_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define CLASS_LARGE 0xff /* a block with frames of its own */
#define CANARY_SIZE 8
#define POISON 0x6b /* fills free small blocks: stale reads stand out */

struct heap_hdr {
  uint32_t magic;
  uint8_t state;
  uint8_t cls;
  uint16_t unused;
  uint64_t size; /* bytes the caller asked for */
};
_Static_assert(sizeof(struct heap_hdr) == 16, "the header keeps payloads 16-byte aligned");

/* A free small block keeps its header and links through its payload. */
struct free_block {
  struct heap_hdr hdr;
  struct free_block *next;
};

static const uint8_t canary[CANARY_SIZE] = {0xca, 0xfe, 0xf0, 0x0d, 0xde, 0xad, 0xbe, 0xef};

/* No locking yet: a single CPU.  With SMP, heap_lock (a spinlock) will
 * guard the free lists and the counters. */
static struct free_block *free_lists[NR_CLASSES];
static struct heap_stats stats;

void heap_init(void)
{
  memset(free_lists, 0, sizeof(free_lists));
  memset(&stats, 0, sizeof(stats));
}

static size_t class_bytes(unsigned int cls) { return (size_t)1 << (cls + MIN_SHIFT); }

/* The smallest class whose blocks hold `need` bytes (need <= 2048). */
static unsigned int class_of(size_t need)
{
  unsigned int cls = 0;

  while (class_bytes(cls) < need)
    cls++;
  return cls;
}

/* Carve one frame into blocks of class cls.  False when out of frames. */
static bool refill(unsigned int cls)
{
  paddr_t pa = frame_alloc();
  if (!pa)
    return false;
  uint8_t *page = phys_to_virt(pa);
  size_t bytes = class_bytes(cls);

  /* Push from the top so the list hands out ascending addresses. */
  for (size_t off = PAGE_SIZE; off >= bytes; off -= bytes) {
    struct free_block *b = (struct free_block *)(page + off - bytes);
    memset(b, POISON, bytes);
    b->hdr = (struct heap_hdr){.magic = HEAP_MAGIC, .state = STATE_FREE, .cls = (uint8_t)cls};
    b->next = free_lists[cls];
    free_lists[cls] = b;
  }
  stats.small_frames++;
  return true;
}

static struct heap_hdr *small_alloc(unsigned int cls)
{
  if (!free_lists[cls] && !refill(cls))
    return NULL;
  struct free_block *b = free_lists[cls];
  /* Someone wrote to a block after freeing it, or ran off the one before. */
  if (b->hdr.magic != HEAP_MAGIC || b->hdr.state != STATE_FREE || b->hdr.cls != cls)
    panic("heap: free list of %zu-byte blocks corrupted at %p (use after free?)", class_bytes(cls),
          (void *)b);
  free_lists[cls] = b->next;
  return &b->hdr;
}

static struct heap_hdr *large_alloc(size_t need)
{
  unsigned long nr = (unsigned long)((need + PAGE_SIZE - 1) / PAGE_SIZE);
  paddr_t pa = frame_alloc_contig(nr, 1);

  if (!pa)
    return NULL;
  struct heap_hdr *h = phys_to_virt(pa);
  h->cls = CLASS_LARGE;
  stats.large_frames += nr;
  return h;
}

void *heap_alloc(size_t size)
{
  /* The bound keeps `need` and the frame count below from overflowing;
   * no machine has that much memory anyway. */
  if (size == 0 || size > SIZE_MAX / 2)
    return NULL;
  size_t need = sizeof(struct heap_hdr) + size + CANARY_SIZE;
  struct heap_hdr *h =
      need <= class_bytes(NR_CLASSES - 1) ? small_alloc(class_of(need)) : large_alloc(need);
  if (!h)
    return NULL;

  h->magic = HEAP_MAGIC;
  h->state = STATE_USED;
  h->size = size;
  uint8_t *p = (uint8_t *)(h + 1);
  memcpy(p + size, canary, CANARY_SIZE);
  stats.nr_blocks++;
  stats.bytes += size;
  return p;
}

void *heap_zalloc(size_t size)
{
  void *p = heap_alloc(size);

  if (p)
    memset(p, 0, size);
  return p;
}

void heap_free(void *p)
{
  if (!p)
    return;
  if (!IS_ALIGNED((uintptr_t)p, 16))
    panic("heap: free of %p, which heap_alloc never returned (misaligned)", p);
  struct heap_hdr *h = (struct heap_hdr *)p - 1;
  if (h->magic != HEAP_MAGIC)
    panic("heap: free of %p, which heap_alloc never returned (bad magic)", p);
  if (h->state == STATE_FREE)
    panic("heap: double free of %p", p);

  bool large = h->cls == CLASS_LARGE;
  if (h->state != STATE_USED || (!large && h->cls >= NR_CLASSES) || h->size == 0 ||
      h->size > SIZE_MAX / 2 ||
      (!large && sizeof(*h) + h->size + CANARY_SIZE > class_bytes(h->cls)))
    panic("heap: free of %p: its header is corrupted", p);
  size_t size = (size_t)h->size;
  if (memcmp((uint8_t *)p + size, canary, CANARY_SIZE))
    panic("heap: write past the end of the %zu-byte block %p", size, p);

  stats.nr_blocks--;
  stats.bytes -= size;
  h->state = STATE_FREE;
  if (large) {
    unsigned long nr =
        (unsigned long)((sizeof(*h) + size + CANARY_SIZE + PAGE_SIZE - 1) / PAGE_SIZE);
    stats.large_frames -= nr;
    frame_free_contig(virt_to_phys(h), nr);
    return;
  }
  struct free_block *b = (struct free_block *)h;
  memset(b + 1, POISON, class_bytes(h->cls) - sizeof(*b));
  b->next = free_lists[h->cls];
  free_lists[h->cls] = b;
}

void heap_stats(struct heap_stats *st) { *st = stats; }
