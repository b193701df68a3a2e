/* The hardware domain's memory: its RAM 1:1 from the host's, its memory
 * map from the firmware's, and which host addresses it may reach 1:1 (see
 * include/hv/hwdom.h).  Xen's PVH dom0 builder (xen/arch/x86/hvm/
 * dom0_build.c, pvh_setup_e820 and pvh_populate_p2m) is the model for the
 * map; the 1:1 RAM is ours, because mica has no IOMMU to translate DMA. */
#include <arch/mm.h>
#include <hv/bootmod.h>
#include <hv/domain.h>
#include <hv/dombuild.h>
#include <hv/elf.h>
#include <hv/errno.h>
#include <hv/heap.h>
#include <hv/hwdom.h>
#include <hv/printk.h>
#include <hv/string.h>
#include <public/memory.h>

/* The plan hwdom_plan made, and the host's map it was made from. */
static struct {
  bool made;
  uint64_t lo, hi; /* the RAM kept for dom0: [lo, hi), 2 MiB aligned */
  const struct boot_mem_region *map;
  unsigned int nr_map;
} plan;

static bool overlap(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { return a < d && c < b; }

/* A place of size bytes (page aligned) in RAM below 4 GiB that overlaps
 * none of the nr ranges in ex: the highest one, away from the kept range
 * and low memory.  0 if there is none. */
static uint64_t find_room(const struct boot_info *bi, uint64_t size, const struct mem_range *ex,
                          unsigned int nr)
{
  uint64_t best = 0;
  for (unsigned int i = 0; i < bi->nr_mem; i++) {
    const struct boot_mem_region *r = &bi->mem[i];
    if (r->type != BOOT_MEM_RAM)
      continue;
    uint64_t lo = ALIGN_UP(r->start, PAGE_SIZE),
             hi = ALIGN_DOWN(MIN(r->start + r->len, GiB(4)), PAGE_SIZE);
    while (hi > lo && hi - lo >= size) {
      uint64_t at = hi - size;
      unsigned int k;
      for (k = 0; k < nr && !overlap(at, at + size, ex[k].start, ex[k].end); k++)
        ;
      if (k == nr) {
        best = MAX(best, at);
        break;
      }
      hi = ALIGN_DOWN(MIN(ex[k].start, hi), PAGE_SIZE); /* below what was in the way */
    }
  }
  return best;
}

bool hwdom_plan(struct boot_info *bi, struct mem_range *keep)
{
  struct bootmod bm;
  plan.made = false;
  const struct boot_module *kernel = NULL;
  for (unsigned int i = 0; i < bi->nr_mods && !kernel; i++)
    if (strstr(bi->mods[i].string, "devices=host") && !bootmod_parse(i, bi->mods[i].string, &bm) &&
        bm.domain == 0 && bm.kind == BOOTMOD_KERNEL && bm.devices_host)
      kernel = &bi->mods[i];
  if (!kernel)
    return false;

  /* Where the kernel loads: its RAM starts there (rounded down to 2 MiB
   * for large EPT pages) and runs for mem MiB. */
  struct elf_image img;
  const char *why;
  if (elf_open(&img, phys_to_virt(kernel->start), kernel->end - kernel->start, &why))
    return false; /* the builder says why */
  uint64_t kstart = ~0ULL;
  for (unsigned int i = 0; i < img.nr_segments; i++) {
    struct elf_segment s = elf_segment(&img, i);
    if (s.type == ELF_PT_LOAD && s.memsz)
      kstart = MIN(kstart, s.paddr);
  }
  uint64_t mem = (uint64_t)(bm.mem_mib ? bm.mem_mib : DOMBUILD_DEFAULT_MEM_MIB) << 20;
  uint64_t lo = ALIGN_DOWN(kstart, MiB(2)), hi = lo + ALIGN_UP(mem, MiB(2));
  if (kstart == ~0ULL || lo < MiB(1) || hi > GiB(4) || hi < lo) {
    pr_err("dom0: devices=host: its kernel's RAM 0x%llx-0x%llx is not below 4 GiB above 1 MiB",
           (unsigned long long)lo, (unsigned long long)hi);
    return false;
  }

  /* Nothing of ours may be there; the modules are moved away. */
  struct mem_range ex[BOOT_MAX_MODS + 4];
  unsigned int nr = 0;
  ex[nr++] = (struct mem_range){0, MiB(1)};
  arch_image_range(&ex[nr].start, &ex[nr].end);
  nr++;
  ex[nr++] = (struct mem_range){bi->info_start, bi->info_end};
  for (unsigned int k = 1; k < nr; k++) {
    if (overlap(lo, hi, ex[k].start, ex[k].end)) {
      pr_err("dom0: devices=host: its RAM 0x%llx-0x%llx would cover the hypervisor's %s at "
             "0x%llx-0x%llx",
             (unsigned long long)lo, (unsigned long long)hi, k == 1 ? "image" : "boot information",
             (unsigned long long)ex[k].start, (unsigned long long)ex[k].end);
      return false;
    }
  }
  ex[nr++] = (struct mem_range){lo, hi};
  unsigned int first_mod = nr;
  for (unsigned int i = 0; i < bi->nr_mods; i++)
    ex[nr++] = (struct mem_range){ALIGN_DOWN(bi->mods[i].start, PAGE_SIZE),
                                  ALIGN_UP(bi->mods[i].end, PAGE_SIZE)};
  for (unsigned int i = 0; i < bi->nr_mods; i++) {
    struct boot_module *m = &bi->mods[i];
    if (!overlap(lo, hi, m->start, m->end))
      continue;
    uint64_t size = m->end - m->start, room = ALIGN_UP(size, PAGE_SIZE);
    uint64_t to = find_room(bi, room, ex, nr);
    if (!to) {
      pr_err("dom0: devices=host: no room to move module %u (%llu bytes) out of its RAM", i,
             (unsigned long long)size);
      return false;
    }
    memcpy(phys_to_virt(to), phys_to_virt(m->start), size);
    pr_info("module %u moved to 0x%llx: dom0's RAM is 0x%llx-0x%llx 1:1", i, (unsigned long long)to,
            (unsigned long long)lo, (unsigned long long)hi);
    m->start = to;
    m->end = to + size;
    ex[first_mod + i] = (struct mem_range){to, to + room};
  }
  plan.made = true;
  plan.lo = lo;
  plan.hi = hi;
  plan.map = bi->mem;
  plan.nr_map = bi->nr_mem;
  *keep = (struct mem_range){lo, hi};
  return true;
}

/* Is [a, b) inside host RAM that is dom0's: below 1 MiB but page 0, or
 * in the planned range? */
static bool dom0_ram(uint64_t a, uint64_t b)
{
  return (a >= PAGE_SIZE && b <= MiB(1)) || (a >= plan.lo && b <= plan.hi);
}

/* The host map's type at pa (BOOT_MEM_*), 0 where it says nothing. */
static uint32_t host_type(uint64_t pa)
{
  for (unsigned int i = 0; i < plan.nr_map; i++)
    if (pa >= plan.map[i].start && pa - plan.map[i].start < plan.map[i].len)
      return plan.map[i].type;
  return 0;
}

bool hwdom_is_ram(uint64_t gpa, uint64_t size)
{
  if (!plan.made || size > ~0ULL - gpa)
    return false;
  for (uint64_t a = ALIGN_DOWN(gpa, PAGE_SIZE); a < gpa + size; a += PAGE_SIZE)
    if (!dom0_ram(a, a + PAGE_SIZE) || host_type(a) != BOOT_MEM_RAM)
      return false;
  return true;
}

bool hwdom_firmware_area(uint64_t pa, uint64_t len)
{
  if (!len || len > ~0ULL - pa)
    return false;
  for (uint64_t a = ALIGN_DOWN(pa, PAGE_SIZE); a < pa + len; a += PAGE_SIZE) {
    uint32_t t = host_type(a);
    if (t != BOOT_MEM_RESERVED && t != BOOT_MEM_ACPI)
      return false;
  }
  return true;
}

enum p2m_type hwdom_direct_type(uint64_t gpa)
{
  const char *what;
  if (!plan.made || gpa >= (1ULL << 46) || arch_hwdom_mmio_kept(gpa, &what))
    return P2M_NONE;
  switch (host_type(gpa)) {
  case 0:
  case BOOT_MEM_RESERVED: return P2M_MMIO;
  case BOOT_MEM_ACPI:
  case BOOT_MEM_NVS: return P2M_DIRECT;
  default: return P2M_NONE; /* RAM (ours, other domains'), bad memory */
  }
}

/* Append [addr, addr + size) of type to the map, merged with the last
 * entry when they touch and agree. */
static void emit(struct e820entry *map, unsigned int *n, unsigned int max, uint64_t addr,
                 uint64_t size, uint32_t type)
{
  if (!size)
    return;
  struct e820entry *last = *n ? &map[*n - 1] : NULL;
  if (last && last->type == type && last->addr + last->size == addr) {
    last->size += size;
    return;
  }
  if (*n < max)
    map[(*n)++] = (struct e820entry){addr, size, type};
}

/* Map [lo, hi) of host RAM into d 1:1 as its own frames (2 MiB leaves
 * where aligned).  Returns 0 or -ENOMEM. */
static int map_ram(struct domain *d, uint64_t lo, uint64_t hi)
{
  while (lo < hi) {
    uint64_t step = IS_ALIGNED(lo, MiB(2)) && hi - lo >= MiB(2) ? MiB(2) : PAGE_SIZE;
    int err = frame_adopt(lo, step / PAGE_SIZE);
    if (err) {
      pr_warn("dom0: host RAM at 0x%llx is not the allocator's (%d): left out",
              (unsigned long long)lo, err);
    } else if (arch_p2m_map(d, lo, lo, step)) {
      frame_free_contig(lo, step / PAGE_SIZE);
      return -ENOMEM;
    } else {
      d->nr_frames += step / PAGE_SIZE;
    }
    lo += step;
  }
  return 0;
}

/* Map [lo, hi) 1:1 as type (P2M_DIRECT or P2M_MMIO), page by page. */
static int map_direct(struct domain *d, uint64_t lo, uint64_t hi, enum p2m_type type)
{
  paddr_t old;
  for (; lo < hi; lo += PAGE_SIZE)
    if (arch_p2m_set_type(d, lo, lo, type, &old, NULL))
      return -ENOMEM;
  return 0;
}

int hwdom_populate(struct domain *d, uint64_t *acpi_gpa)
{
  if (!plan.made)
    return -ENOENT;
  /* Each host entry once, and a few more for the splits: page 0, the
   * ends of the first MiB and of the planned range, the ACPI page. */
  unsigned int max = plan.nr_map + 8, n = 0;
  struct e820entry *map = heap_alloc(max * sizeof(*map));
  if (!map)
    return -ENOMEM;
  uint64_t top = 0; /* the end of dom0's highest RAM */
  int err = 0;
  for (unsigned int i = 0; i < plan.nr_map && !err; i++) {
    const struct boot_mem_region *r = &plan.map[i];
    uint64_t s = r->start, e = r->start + r->len;
    if (r->type != BOOT_MEM_RAM) {
      /* Firmware areas below 1 MiB are mapped now, the rest on demand. */
      if (s < MiB(1))
        err =
            map_direct(d, ALIGN_DOWN(s, PAGE_SIZE), ALIGN_UP(MIN(e, MiB(1)), PAGE_SIZE), P2M_MMIO);
      emit(map, &n, max, s, r->len, r->type == BOOT_MEM_BAD ? E820_UNUSABLE : r->type);
      continue;
    }
    /* RAM: dom0's pieces (whole pages) and the rest unusable, so that
     * dom0 puts no BAR there (Xen's pvh_setup_e820). */
    uint64_t pieces[2][2] = {{0, MiB(1)}, {plan.lo, plan.hi}};
    uint64_t at = s;
    for (unsigned int k = 0; k < 2 && !err; k++) {
      uint64_t a = MAX(ALIGN_UP(s, PAGE_SIZE), pieces[k][0]);
      uint64_t b = MIN(ALIGN_DOWN(e, PAGE_SIZE), pieces[k][1]);
      if (a >= b)
        continue;
      emit(map, &n, max, at, a - at, E820_UNUSABLE);
      err = k ? map_ram(d, a, b) : map_direct(d, a, b, P2M_DIRECT);
      emit(map, &n, max, a, b - a, E820_RAM);
      top = MAX(top, b);
      at = b;
    }
    emit(map, &n, max, at, e - at, E820_UNUSABLE);
  }
  if (!err && top <= plan.lo)
    err = -ENOMEM; /* none of the planned range is RAM */
  if (err) {
    heap_free(map);
    return err;
  }
  /* The last page of its RAM holds its ACPI tables (Xen steals RAM for
   * them in the same way and marks it E820_ACPI). */
  *acpi_gpa = top - PAGE_SIZE;
  for (unsigned int i = 0; i < n; i++) {
    struct e820entry *m = &map[i];
    if (m->type == E820_RAM && m->addr + m->size == top) {
      m->size -= PAGE_SIZE;
      memmove(m + 2, m + 1, (n - i - 1) * sizeof(*m));
      m[1] = (struct e820entry){top - PAGE_SIZE, PAGE_SIZE, E820_ACPI};
      n++;
      break;
    }
  }
  d->memmap = map;
  d->nr_memmap = n;
  d->mem_bytes = d->nr_frames << PAGE_SHIFT;
  d->ram_below_4g = top;
  d->max_pages = d->nr_frames;
  return 0;
}
