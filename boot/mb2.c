/* Parses the multiboot2 information block into struct boot_info.  The block
 * comes from the boot loader and is checked like any other input: every
 * size against the block, every string for its terminator. */
#include <hv/errno.h>
#include <hv/mb2.h>
#include <hv/printk.h>
#include <hv/string.h>

#define MB2_MMAP_RAW_MAX 512

struct mb2_tag {
  uint32_t type;
  uint32_t size;
};

struct mb2_mmap_entry {
  uint64_t base;
  uint64_t len;
  uint32_t type;
  uint32_t reserved;
};

const char *boot_mem_type_name(uint32_t type)
{
  switch (type) {
  case BOOT_MEM_RAM: return "RAM";
  case BOOT_MEM_ACPI: return "ACPI";
  case BOOT_MEM_NVS: return "NVS";
  case BOOT_MEM_BAD: return "bad";
  default: return "reserved";
  }
}

/* Which type wins where regions overlap: anything beats RAM. */
static unsigned int type_rank(uint32_t type)
{
  switch (type) {
  case BOOT_MEM_RAM: return 0;
  case BOOT_MEM_ACPI: return 1;
  case BOOT_MEM_NVS: return 2;
  case BOOT_MEM_BAD: return 4;
  default: return 3;
  }
}

static uint32_t type_normalise(uint32_t type)
{
  return type >= BOOT_MEM_RAM && type <= BOOT_MEM_BAD ? type : BOOT_MEM_RESERVED;
}

static uint64_t region_end(const struct boot_mem_region *r)
{
  /* Clip at the top of the address space rather than wrap. */
  return r->start + r->len < r->start ? UINT64_MAX : r->start + r->len;
}

unsigned int boot_mem_sanitize(const struct boot_mem_region *raw, unsigned int n,
                               struct boot_info *bi)
{
  /* Elementary intervals between all region edges, each given the type
   * of the highest-ranked region covering it.  n is small (bounded by the
   * caller), so the quadratic work is fine. */
  static uint64_t edges[2 * MB2_MMAP_RAW_MAX];
  unsigned int nedges = 0, dropped = 0;

  bi->nr_mem = 0;
  for (unsigned int i = 0; i < n && i < MB2_MMAP_RAW_MAX; i++) {
    if (!raw[i].len)
      continue;
    edges[nedges++] = raw[i].start;
    edges[nedges++] = region_end(&raw[i]);
  }
  /* Insertion sort: at most 1024 edges, once per boot. */
  for (unsigned int i = 1; i < nedges; i++) {
    uint64_t e = edges[i];
    unsigned int j = i;
    for (; j > 0 && edges[j - 1] > e; j--)
      edges[j] = edges[j - 1];
    edges[j] = e;
  }
  for (unsigned int i = 0; i + 1 < nedges; i++) {
    uint64_t lo = edges[i], hi = edges[i + 1];
    if (lo == hi)
      continue;
    int best = -1;
    for (unsigned int k = 0; k < n && k < MB2_MMAP_RAW_MAX; k++) {
      if (!raw[k].len || raw[k].start > lo || region_end(&raw[k]) < hi)
        continue;
      uint32_t t = type_normalise(raw[k].type);
      if (best < 0 || type_rank(t) > type_rank((uint32_t)best))
        best = (int)t;
    }
    if (best < 0)
      continue; /* a hole */
    struct boot_mem_region *last = bi->nr_mem ? &bi->mem[bi->nr_mem - 1] : NULL;
    if (last && last->type == (uint32_t)best && region_end(last) == lo) {
      last->len += hi - lo;
      continue;
    }
    if (bi->nr_mem == BOOT_MAX_MEM) {
      dropped++;
      continue;
    }
    bi->mem[bi->nr_mem++] = (struct boot_mem_region){lo, hi - lo, (uint32_t)best};
  }
  return dropped;
}

static void parse_mmap(const uint8_t *tag, uint32_t size, struct boot_info *bi)
{
  static struct boot_mem_region raw[MB2_MMAP_RAW_MAX];
  unsigned int n = 0;

  if (size < 16) {
    pr_err("mb2: memory map tag too short (%u bytes), ignored", size);
    return;
  }
  uint32_t esize, eversion;
  memcpy(&esize, tag + 8, 4);
  memcpy(&eversion, tag + 12, 4);
  if (esize < sizeof(struct mb2_mmap_entry) || esize % 8) {
    pr_err("mb2: memory map entry size %u is invalid, map ignored", esize);
    return;
  }
  if (eversion != 0)
    pr_warn("mb2: memory map entry version %u, reading it as version 0", eversion);
  if ((size - 16) % esize)
    pr_warn("mb2: memory map tag has %u stray bytes at its end", (size - 16) % esize);
  unsigned int count = (size - 16) / esize;
  if (count > MB2_MMAP_RAW_MAX) {
    pr_err("mb2: memory map has %u entries, only the first %u are used", count, MB2_MMAP_RAW_MAX);
    count = MB2_MMAP_RAW_MAX;
  }
  for (unsigned int i = 0; i < count; i++) {
    struct mb2_mmap_entry e;
    memcpy(&e, tag + 16 + (size_t)i * esize, sizeof(e));
    if (e.base + e.len < e.base)
      pr_warn("mb2: memory map entry %u wraps past 2^64, clipped", i);
    raw[n++] = (struct boot_mem_region){e.base, e.len, e.type};
  }
  unsigned int dropped = boot_mem_sanitize(raw, n, bi);
  if (dropped)
    pr_err("mb2: memory map too fragmented, %u regions dropped", dropped);
}

/* idx: the module's position among the loader's module tags, which is
 * what a user counts in grub.cfg. */
static void parse_module(const uint8_t *tag, uint32_t size, struct boot_info *bi, unsigned int idx)
{
  uint32_t start, end;

  if (size < 17) { /* header, two addresses, at least the NUL */
    pr_err("mb2: module tag too short (%u bytes), ignored", size);
    return;
  }
  memcpy(&start, tag + 8, 4);
  memcpy(&end, tag + 12, 4);
  const char *str = (const char *)tag + 16;
  size_t maxlen = size - 16;
  size_t len = strnlen(str, maxlen);

  if (len == maxlen) {
    pr_err("mb2: module %u: string not terminated, module ignored", idx);
    return;
  }
  if (end <= start) {
    pr_err("mb2: module %u (\"%s\"): empty or inverted range 0x%x-0x%x, ignored", idx, str, start,
           end);
    return;
  }
  for (unsigned int i = 0; i < bi->nr_mods; i++) {
    if (start < bi->mods[i].end && bi->mods[i].start < end) {
      pr_err("mb2: module %u (\"%s\") overlaps module \"%s\", ignored", idx, str,
             bi->mods[i].string);
      return;
    }
  }
  if (bi->nr_mods == BOOT_MAX_MODS) {
    pr_err("mb2: more than %u modules, \"%s\" ignored", BOOT_MAX_MODS, str);
    return;
  }
  if (len >= BOOT_STRING_MAX) {
    pr_err("mb2: module %u string longer than %u bytes, ignored", idx, BOOT_STRING_MAX - 1);
    return;
  }
  struct boot_module *m = &bi->mods[bi->nr_mods++];
  m->start = start;
  m->end = end;
  memcpy(m->string, str, len + 1);
}

/* Copy a NUL-terminated string tag into dst; report a missing terminator
 * or truncation. */
static void parse_string(const uint8_t *tag, uint32_t size, char *dst, size_t dstsize,
                         const char *what)
{
  const char *s = (const char *)tag + 8;
  size_t maxlen = size - 8;
  size_t len = strnlen(s, maxlen);
  if (len == maxlen) {
    pr_err("mb2: %s not terminated, ignored", what);
    return;
  }
  if (len >= dstsize)
    pr_warn("mb2: %s longer than %zu bytes, truncated", what, dstsize - 1);
  size_t n = MIN(len, dstsize - 1);
  memcpy(dst, s, n);
  dst[n] = '\0';
}

static void parse_rsdp(const uint8_t *tag, uint32_t size, struct boot_info *bi, bool is_new)
{
  size_t len = size - 8;
  if (len < 20) {
    pr_err("mb2: ACPI RSDP tag too short (%zu bytes), ignored", len);
    return;
  }
  /* Prefer the ACPI 2.0 copy when both are given. */
  if (!is_new && bi->rsdp_len > 20)
    return;
  len = MIN(len, (size_t)BOOT_RSDP_MAX);
  memcpy(bi->rsdp, tag + 8, len);
  bi->rsdp_len = (unsigned int)len;
}

/* Framebuffer info tag (multiboot2 spec 3.6.12): address u64 at 8, pitch,
 * width, height u32 at 16, 20, 24, bpp u8 at 28, type u8 at 29, reserved
 * u16 at 30, then for RGB the red, green and blue field position and size
 * (u8 each) at 32..37.  Indexed colour is not drawn; EGA text must be 2
 * bytes a cell. */
#define MB2_FB_INDEXED 0
#define MB2_FB_RGB 1
#define MB2_FB_EGA_TEXT 2
#define MB2_FB_MAX_DIM 16384

static bool fb_colour_ok(uint8_t pos, uint8_t size, uint8_t bpp)
{
  return size >= 1 && size <= 8 && pos + size <= bpp;
}

static void parse_framebuffer(const uint8_t *tag, uint32_t size, struct boot_info *bi)
{
  struct boot_fb fb = {0};
  uint8_t type;

  if (size < 32) {
    pr_err("mb2: framebuffer tag too short (%u bytes), ignored", size);
    return;
  }
  memcpy(&fb.addr, tag + 8, 8);
  memcpy(&fb.pitch, tag + 16, 4);
  memcpy(&fb.width, tag + 20, 4);
  memcpy(&fb.height, tag + 24, 4);
  fb.bpp = tag[28];
  type = tag[29];
  switch (type) {
  case MB2_FB_EGA_TEXT:
    fb.type = BOOT_FB_TEXT;
    if (fb.bpp != 16) {
      pr_err("mb2: EGA text framebuffer with %u bits a cell (not 16), ignored", fb.bpp);
      return;
    }
    break;
  case MB2_FB_RGB:
    fb.type = BOOT_FB_RGB;
    if (size < 38) {
      pr_err("mb2: RGB framebuffer tag too short for its colours (%u bytes), ignored", size);
      return;
    }
    fb.red_pos = tag[32];
    fb.red_size = tag[33];
    fb.green_pos = tag[34];
    fb.green_size = tag[35];
    fb.blue_pos = tag[36];
    fb.blue_size = tag[37];
    if (fb.bpp != 16 && fb.bpp != 24 && fb.bpp != 32) {
      pr_err("mb2: RGB framebuffer with %u bits a pixel (not 16, 24 or 32), ignored", fb.bpp);
      return;
    }
    if (!fb_colour_ok(fb.red_pos, fb.red_size, fb.bpp) ||
        !fb_colour_ok(fb.green_pos, fb.green_size, fb.bpp) ||
        !fb_colour_ok(fb.blue_pos, fb.blue_size, fb.bpp)) {
      pr_err("mb2: RGB framebuffer colour fields %u:%u %u:%u %u:%u do not fit %u bits, ignored",
             fb.red_pos, fb.red_size, fb.green_pos, fb.green_size, fb.blue_pos, fb.blue_size,
             fb.bpp);
      return;
    }
    break;
  case MB2_FB_INDEXED:
    pr_info("mb2: indexed-colour framebuffer %ux%u: not supported, no screen console", fb.width,
            fb.height);
    return;
  default: pr_err("mb2: framebuffer of unknown type %u, ignored", type); return;
  }
  if (!fb.addr || !fb.width || !fb.height || fb.width > MB2_FB_MAX_DIM ||
      fb.height > MB2_FB_MAX_DIM || fb.pitch < (uint64_t)fb.width * (fb.bpp / 8)) {
    pr_err("mb2: framebuffer %ux%u, pitch %u, %u bpp at 0x%llx is inconsistent, ignored", fb.width,
           fb.height, fb.pitch, fb.bpp, (unsigned long long)fb.addr);
    return;
  }
  fb.size = (uint64_t)fb.pitch * fb.height;
  if (fb.addr + fb.size < fb.addr) {
    pr_err("mb2: framebuffer at 0x%llx wraps past 2^64, ignored", (unsigned long long)fb.addr);
    return;
  }
  bi->fb = fb;
}

int mb2_parse(const void *info, size_t avail, struct boot_info *bi)
{
  const uint8_t *base = info;
  uint32_t total;

  memset(bi, 0, sizeof(*bi));
  if (avail < 8) {
    pr_err("mb2: information block missing");
    return -EINVAL;
  }
  memcpy(&total, base, 4);
  if (total < 16 || total > avail || total > MB2_INFO_MAX) {
    pr_err("mb2: information block size %u is invalid", total);
    return -EINVAL;
  }
  bi->info_start = (uint64_t)(uintptr_t)info;
  bi->info_end = bi->info_start + total;

  size_t off = 8;
  unsigned int nr_module_tags = 0;
  for (;;) {
    struct mb2_tag tag;
    if (off + sizeof(tag) > total) {
      pr_err("mb2: no end tag within the %u-byte block", total);
      return -EINVAL;
    }
    memcpy(&tag, base + off, sizeof(tag));
    if (tag.size < 8 || tag.size > total - off) {
      pr_err("mb2: tag type %u at offset %zu has bad size %u", tag.type, off, tag.size);
      return -EINVAL;
    }
    const uint8_t *t = base + off;
    switch (tag.type) {
    case MB2_TAG_END: return 0;
    case MB2_TAG_CMDLINE:
      parse_string(t, tag.size, bi->cmdline, sizeof(bi->cmdline), "command line");
      break;
    case MB2_TAG_LOADER:
      parse_string(t, tag.size, bi->loader, sizeof(bi->loader), "boot loader name");
      break;
    case MB2_TAG_MODULE: parse_module(t, tag.size, bi, nr_module_tags++); break;
    case MB2_TAG_MMAP: parse_mmap(t, tag.size, bi); break;
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW: parse_rsdp(t, tag.size, bi, tag.type == MB2_TAG_ACPI_NEW); break;
    case MB2_TAG_FRAMEBUFFER: parse_framebuffer(t, tag.size, bi); break;
    default: break; /* tags we do not need */
    }
    off += ALIGN_UP((size_t)tag.size, (size_t)8);
  }
}
