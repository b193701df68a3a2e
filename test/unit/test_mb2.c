/* Unit tests of the multiboot2 parser (boot/mb2.c): well-formed blocks,
 * and malformed ones that must give a clear error and never read out of
 * bounds (ASan checks the latter: every block lives in a malloc'd buffer of
 * exactly its size). */
#include "unit.h"

#include <hv/errno.h>
#include <hv/mb2.h>
#include <stdlib.h>

/* A little builder for multiboot2 information blocks. */
struct mb2_builder {
  uint8_t buf[8192];
  size_t len;
};

static void mb_begin(struct mb2_builder *b)
{
  memset(b, 0, sizeof(*b));
  b->len = 8; /* total_size and reserved, filled by mb_end */
}

static uint8_t *mb_tag(struct mb2_builder *b, uint32_t type, uint32_t size)
{
  uint8_t *t = b->buf + b->len;
  memcpy(t, &type, 4);
  memcpy(t + 4, &size, 4);
  b->len += (size + 7) & ~7u;
  return t;
}

static void mb_mmap(struct mb2_builder *b, const uint64_t (*e)[3], unsigned int n)
{
  uint8_t *t = mb_tag(b, MB2_TAG_MMAP, 16 + 24 * n);
  uint32_t esize = 24, ever = 0;
  memcpy(t + 8, &esize, 4);
  memcpy(t + 12, &ever, 4);
  for (unsigned int i = 0; i < n; i++) {
    uint32_t type = (uint32_t)e[i][2], zero = 0;
    memcpy(t + 16 + 24 * i, &e[i][0], 8);
    memcpy(t + 24 + 24 * i, &e[i][1], 8);
    memcpy(t + 32 + 24 * i, &type, 4);
    memcpy(t + 36 + 24 * i, &zero, 4);
  }
}

static void mb_module(struct mb2_builder *b, uint32_t start, uint32_t end, const char *s)
{
  uint8_t *t = mb_tag(b, MB2_TAG_MODULE, 16 + (uint32_t)strlen(s) + 1);
  memcpy(t + 8, &start, 4);
  memcpy(t + 12, &end, 4);
  memcpy(t + 16, s, strlen(s) + 1);
}

static void mb_string(struct mb2_builder *b, uint32_t type, const char *s)
{
  uint8_t *t = mb_tag(b, type, 8 + (uint32_t)strlen(s) + 1);
  memcpy(t + 8, s, strlen(s) + 1);
}

/* Close the block with an end tag; returns a malloc'd copy of exactly the
 * block's size so any read past it trips ASan. */
static void *mb_end(struct mb2_builder *b, size_t *size)
{
  mb_tag(b, MB2_TAG_END, 8);
  uint32_t total = (uint32_t)b->len;
  memcpy(b->buf, &total, 4);
  void *copy = malloc(b->len);
  memcpy(copy, b->buf, b->len);
  *size = b->len;
  return copy;
}

static struct boot_info bi;

static const uint64_t qemu_map[][3] = {
    {0x0, 0x9fc00, BOOT_MEM_RAM},
    {0x9fc00, 0x400, BOOT_MEM_RESERVED},
    {0xf0000, 0x10000, BOOT_MEM_RESERVED},
    {0x100000, 0xfee0000, BOOT_MEM_RAM},
    {0xffe0000, 0x20000, BOOT_MEM_RESERVED},
};

static void test_well_formed(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;

  mb_begin(&b);
  mb_string(&b, MB2_TAG_CMDLINE, "loglvl=debug mem=64M");
  mb_string(&b, MB2_TAG_LOADER, "GRUB 2.06");
  mb_mmap(&b, qemu_map, 5);
  mb_module(&b, 0x200000, 0x300000, "dom0 kernel mem=128 -- console=hvc0");
  mb_module(&b, 0x300000, 0x300001, "dom0 initrd");
  uint8_t *t = mb_tag(&b, MB2_TAG_ACPI_NEW, 8 + 36);
  memcpy(t + 8, "RSD PTR ", 8);
  void *info = mb_end(&b, &size);

  assert_int_equal(mb2_parse(info, size, &bi), 0);
  assert_string_equal(bi.cmdline, "loglvl=debug mem=64M");
  assert_string_equal(bi.loader, "GRUB 2.06");
  assert_int_equal(bi.nr_mem, 5);
  assert_int_equal(bi.mem[3].start, 0x100000);
  assert_int_equal(bi.mem[3].len, 0xfee0000);
  assert_int_equal(bi.mem[3].type, BOOT_MEM_RAM);
  assert_int_equal(bi.nr_mods, 2);
  assert_int_equal(bi.mods[0].start, 0x200000);
  assert_int_equal(bi.mods[0].end, 0x300000);
  assert_string_equal(bi.mods[0].string, "dom0 kernel mem=128 -- console=hvc0");
  assert_string_equal(bi.mods[1].string, "dom0 initrd");
  assert_int_equal(bi.rsdp_len, 36);
  assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
  assert_int_equal(bi.info_end - bi.info_start, size);
  free(info);
}

/* Every truncation of a valid block must fail cleanly: no tag may be read
 * past the shortened end (ASan), and the result is -EINVAL. */
static void test_truncated_everywhere(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;

  mb_begin(&b);
  mb_string(&b, MB2_TAG_CMDLINE, "console=com1");
  mb_mmap(&b, qemu_map, 5);
  mb_module(&b, 0x200000, 0x300000, "dom0 kernel");
  void *info = mb_end(&b, &size);

  for (size_t cut = 0; cut < size; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, info, cut);
    if (cut >= 4) {
      uint32_t total = (uint32_t)cut; /* a loader that lies consistently */
      memcpy(copy, &total, 4);
    }
    assert_int_equal(mb2_parse(copy, cut, &bi), -EINVAL);
    free(copy);
  }
  free(info);
}

static void test_total_size_lies(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;

  mb_begin(&b);
  mb_mmap(&b, qemu_map, 5);
  uint8_t *info = mb_end(&b, &size);

  uint32_t total = (uint32_t)size + 64; /* claims more than there is */
  memcpy(info, &total, 4);
  assert_int_equal(mb2_parse(info, size, &bi), -EINVAL);
  assert_true(shim_log_contains("information block size"));

  total = 4; /* less than a header */
  memcpy(info, &total, 4);
  assert_int_equal(mb2_parse(info, size, &bi), -EINVAL);
  free(info);
}

static void test_bad_tag_sizes(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;

  /* A tag whose size runs past the block. */
  mb_begin(&b);
  uint8_t *t = mb_tag(&b, MB2_TAG_CMDLINE, 16);
  memcpy(t + 8, "abc", 4);
  uint8_t *info = mb_end(&b, &size);
  uint32_t huge = 0x10000;
  memcpy(info + 12, &huge, 4);
  shim_log_clear();
  assert_int_equal(mb2_parse(info, size, &bi), -EINVAL);
  assert_true(shim_log_contains("bad size"));
  free(info);

  /* A tag of size < 8 would loop forever if accepted. */
  mb_begin(&b);
  mb_tag(&b, 42, 8);
  info = mb_end(&b, &size);
  uint32_t tiny = 4;
  memcpy(info + 12, &tiny, 4);
  assert_int_equal(mb2_parse(info, size, &bi), -EINVAL);
  free(info);

  /* No end tag at all. */
  mb_begin(&b);
  mb_string(&b, MB2_TAG_CMDLINE, "x");
  info = mb_end(&b, &size);
  uint32_t total = (uint32_t)size - 8; /* drop the end tag */
  memcpy(info, &total, 4);
  shim_log_clear();
  assert_int_equal(mb2_parse(info, total, &bi), -EINVAL);
  assert_true(shim_log_contains("no end tag"));
  free(info);
}

static void test_modules_rejected(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;

  mb_begin(&b);
  mb_mmap(&b, qemu_map, 5);
  mb_module(&b, 0x200000, 0x200000, "empty");    /* zero length */
  mb_module(&b, 0x300000, 0x200000, "inverted"); /* end < start */
  mb_module(&b, 0x400000, 0x500000, "good");
  mb_module(&b, 0x480000, 0x580000, "overlaps good"); /* overlap */
  /* A module string without its terminator: the tag ends first. */
  uint8_t *t = mb_tag(&b, MB2_TAG_MODULE, 16 + 4);
  uint32_t s = 0x600000, e = 0x700000;
  memcpy(t + 8, &s, 4);
  memcpy(t + 12, &e, 4);
  memcpy(t + 16, "abcd", 4);
  void *info = mb_end(&b, &size);

  shim_log_clear();
  assert_int_equal(mb2_parse(info, size, &bi), 0);
  assert_int_equal(bi.nr_mods, 1);
  assert_string_equal(bi.mods[0].string, "good");
  assert_true(shim_log_contains("module 0 (\"empty\"): empty or inverted range"));
  assert_true(shim_log_contains("module 1 (\"inverted\"): empty or inverted range"));
  assert_true(shim_log_contains("module 3 (\"overlaps good\") overlaps module \"good\""));
  assert_true(shim_log_contains("module 4: string not terminated"));
  free(info);
}

static void test_overlapping_regions(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;
  /* Out of order, overlapping, zero-length and wrapping entries. */
  static const uint64_t map[][3] = {
      {0x100000, 0x1000000, BOOT_MEM_RAM}, /* 1 MiB .. 17 MiB */
      {0x0, 0x9f000, BOOT_MEM_RAM},
      {0x800000, 0x100000, BOOT_MEM_RESERVED},       /* inside the RAM */
      {0x1000000, 0x200000, BOOT_MEM_ACPI},          /* straddles its end */
      {0x5000000, 0, BOOT_MEM_RAM},                  /* zero length */
      {0xfffffffffffff000ULL, 0x2000, BOOT_MEM_RAM}, /* wraps 2^64 */
      {0x9f000, 0x1000, 77},                         /* unknown type */
  };

  mb_begin(&b);
  mb_mmap(&b, map, 7);
  void *info = mb_end(&b, &size);
  assert_int_equal(mb2_parse(info, size, &bi), 0);

  /* Sorted, non-overlapping, non-empty. */
  for (unsigned int i = 0; i < bi.nr_mem; i++) {
    assert_true(bi.mem[i].len > 0);
    if (i)
      assert_true(bi.mem[i].start >= bi.mem[i - 1].start + bi.mem[i - 1].len);
  }
  /* The reserved hole wins over RAM; ACPI wins where it overlaps RAM. */
  const struct boot_mem_region want[] = {
      {0x0, 0x9f000, BOOT_MEM_RAM},
      {0x9f000, 0x1000, BOOT_MEM_RESERVED},
      {0x100000, 0x700000, BOOT_MEM_RAM},
      {0x800000, 0x100000, BOOT_MEM_RESERVED},
      {0x900000, 0x700000, BOOT_MEM_RAM},
      {0x1000000, 0x200000, BOOT_MEM_ACPI},
      {0xfffffffffffff000ULL, 0xfff, BOOT_MEM_RAM}, /* clipped at 2^64 - 1 */
  };
  assert_int_equal(bi.nr_mem, ARRAY_SIZE(want));
  for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
    assert_int_equal(bi.mem[i].start, want[i].start);
    assert_int_equal(bi.mem[i].len, want[i].len);
    assert_int_equal(bi.mem[i].type, want[i].type);
  }
  free(info);
}

static void test_bad_mmap_entry_size(void **state)
{
  (void)state;
  struct mb2_builder b;
  size_t size;

  mb_begin(&b);
  mb_mmap(&b, qemu_map, 5);
  uint8_t *info = mb_end(&b, &size);
  uint32_t esize = 8; /* smaller than an entry */
  memcpy(info + 16, &esize, 4);
  shim_log_clear();
  assert_int_equal(mb2_parse(info, size, &bi), 0);
  assert_int_equal(bi.nr_mem, 0);
  assert_true(shim_log_contains("entry size 8 is invalid"));

  esize = 0; /* would divide by zero */
  memcpy(info + 16, &esize, 4);
  assert_int_equal(mb2_parse(info, size, &bi), 0);
  assert_int_equal(bi.nr_mem, 0);
  free(info);
}

static void test_too_many_regions(void **state)
{
  (void)state;
  static struct mb2_builder b;
  static uint64_t map[300][3];
  size_t size;

  /* 300 alternating RAM/reserved pages: more than BOOT_MAX_MEM survive. */
  for (unsigned int i = 0; i < 300; i++) {
    map[i][0] = 0x100000 + (uint64_t)i * 0x1000;
    map[i][1] = 0x1000;
    map[i][2] = i % 2 ? BOOT_MEM_RESERVED : BOOT_MEM_RAM;
  }
  mb_begin(&b);
  mb_mmap(&b, (const uint64_t(*)[3])map, 300);
  void *info = mb_end(&b, &size);
  shim_log_clear();
  assert_int_equal(mb2_parse(info, size, &bi), 0);
  assert_int_equal(bi.nr_mem, BOOT_MAX_MEM);
  assert_true(shim_log_contains("regions dropped"));
  free(info);
}

static void test_long_strings(void **state)
{
  (void)state;
  static struct mb2_builder b;
  size_t size;
  char longstr[2000];

  memset(longstr, 'x', sizeof(longstr) - 1);
  longstr[sizeof(longstr) - 1] = '\0';
  mb_begin(&b);
  mb_string(&b, MB2_TAG_CMDLINE, longstr);
  mb_module(&b, 0x200000, 0x300000, longstr);
  void *info = mb_end(&b, &size);
  shim_log_clear();
  assert_int_equal(mb2_parse(info, size, &bi), 0);
  assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
  assert_true(shim_log_contains("truncated"));
  assert_int_equal(bi.nr_mods, 0);
  assert_true(shim_log_contains("string longer than"));
  free(info);
}

/* A framebuffer tag (multiboot2 spec 3.6.12) of `size` bytes; rgb holds
 * the six colour bytes (position, size for red, green, blue). */
static void mb_fb(struct mb2_builder *b, uint32_t size, uint64_t addr, uint32_t pitch,
                  uint32_t width, uint32_t height, uint8_t bpp, uint8_t type, const uint8_t rgb[6])
{
  uint8_t *t = mb_tag(b, MB2_TAG_FRAMEBUFFER, size);
  uint8_t head[38] = {0};
  memcpy(head + 8, &addr, 8);
  memcpy(head + 16, &pitch, 4);
  memcpy(head + 20, &width, 4);
  memcpy(head + 24, &height, 4);
  head[28] = bpp;
  head[29] = type;
  if (rgb)
    memcpy(head + 32, rgb, 6);
  memcpy(t + 8, head + 8, MIN(size, sizeof(head)) - 8);
}

/* Parse a block holding one framebuffer tag; returns the log. */
static const char *parse_fb(uint32_t size, uint64_t addr, uint32_t pitch, uint32_t width,
                            uint32_t height, uint8_t bpp, uint8_t type, const uint8_t rgb[6])
{
  struct mb2_builder b;
  size_t total;
  mb_begin(&b);
  mb_fb(&b, size, addr, pitch, width, height, bpp, type, rgb);
  void *info = mb_end(&b, &total);
  shim_log_clear();
  assert_int_equal(mb2_parse(info, total, &bi), 0);
  free(info);
  return shim_log();
}

static const uint8_t xrgb8888[6] = {16, 8, 8, 8, 0, 8};

static void test_framebuffer_good(void **state)
{
  (void)state;
  /* What GRUB passes under BIOS: EGA text 80x25 at 0xb8000. */
  parse_fb(32, 0xb8000, 160, 80, 25, 16, 2, NULL);
  assert_int_equal(bi.fb.type, BOOT_FB_TEXT);
  assert_int_equal(bi.fb.addr, 0xb8000);
  assert_int_equal(bi.fb.width, 80);
  assert_int_equal(bi.fb.height, 25);
  assert_int_equal(bi.fb.pitch, 160);
  assert_int_equal(bi.fb.size, 4000);

  /* Under UEFI: a GOP framebuffer, 32 bpp, above 4 GiB for good measure. */
  parse_fb(40, 0x100080000000ULL, 4096, 1024, 768, 32, 1, xrgb8888);
  assert_int_equal(bi.fb.type, BOOT_FB_RGB);
  assert_int_equal(bi.fb.addr, 0x100080000000ULL);
  assert_int_equal(bi.fb.size, 4096 * 768);
  assert_int_equal(bi.fb.bpp, 32);
  assert_int_equal(bi.fb.red_pos, 16);
  assert_int_equal(bi.fb.green_pos, 8);
  assert_int_equal(bi.fb.blue_pos, 0);
  assert_int_equal(bi.fb.blue_size, 8);

  const uint8_t rgb565[6] = {11, 5, 5, 6, 0, 5};
  parse_fb(38, 0xe0000000, 1600, 800, 600, 16, 1, rgb565);
  assert_int_equal(bi.fb.type, BOOT_FB_RGB);
  assert_int_equal(bi.fb.green_size, 6);
}

/* Every bad tag is reported and leaves no screen; the block still parses. */
static void test_framebuffer_bad(void **state)
{
  (void)state;
  static const uint8_t wide[6] = {16, 8, 8, 8, 28, 8}; /* blue runs past 32 bits */
  static const uint8_t empty[6] = {16, 8, 8, 0, 0, 8}; /* green of 0 bits */
  static const struct {
    uint32_t size;
    uint64_t addr;
    uint32_t pitch, width, height;
    uint8_t bpp, type;
    const uint8_t *rgb;
    const char *msg;
  } cases[] = {
      {24, 0xb8000, 160, 80, 25, 16, 2, NULL, "framebuffer tag too short"},
      {34, 0xe0000000, 4096, 1024, 768, 32, 1, NULL, "too short for its colours"},
      {38, 0xe0000000, 4096, 1024, 768, 8, 1, xrgb8888, "bits a pixel"},
      {38, 0xe0000000, 4096, 1024, 768, 32, 1, wide, "do not fit"},
      {38, 0xe0000000, 4096, 1024, 768, 32, 1, empty, "do not fit"},
      {38, 0xe0000000, 4095, 1024, 768, 32, 1, xrgb8888, "inconsistent"},
      {38, 0, 4096, 1024, 768, 32, 1, xrgb8888, "inconsistent"},
      {38, 0xe0000000, 4096, 0, 768, 32, 1, xrgb8888, "inconsistent"},
      {38, 0xe0000000, 4096, 1024, 0, 32, 1, xrgb8888, "inconsistent"},
      {38, 0xe0000000, 0xffffffff, 100000, 768, 32, 1, xrgb8888, "inconsistent"},
      {38, 0xfffffffffff00000ULL, 4096, 1024, 768, 32, 1, xrgb8888, "wraps"},
      {32, 0xb8000, 160, 80, 25, 8, 2, NULL, "EGA text framebuffer with 8 bits"},
      {32, 0xb8000, 100, 80, 25, 16, 2, NULL, "inconsistent"},
      {40, 0xe0000000, 1024, 1024, 768, 8, 0, NULL, "indexed-colour"},
      {32, 0xe0000000, 1024, 1024, 768, 8, 7, NULL, "unknown type 7"},
  };
  for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
    const char *log = parse_fb(cases[i].size, cases[i].addr, cases[i].pitch, cases[i].width,
                               cases[i].height, cases[i].bpp, cases[i].type, cases[i].rgb);
    if (!strstr(log, cases[i].msg))
      fail_msg("case %u: expected \"%s\" in the log, got: %s", i, cases[i].msg, log);
    assert_int_equal(bi.fb.type, BOOT_FB_NONE);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_well_formed),         cmocka_unit_test(test_truncated_everywhere),
      cmocka_unit_test(test_total_size_lies),     cmocka_unit_test(test_bad_tag_sizes),
      cmocka_unit_test(test_modules_rejected),    cmocka_unit_test(test_overlapping_regions),
      cmocka_unit_test(test_bad_mmap_entry_size), cmocka_unit_test(test_too_many_regions),
      cmocka_unit_test(test_long_strings),        cmocka_unit_test(test_framebuffer_good),
      cmocka_unit_test(test_framebuffer_bad),
  };
  return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
