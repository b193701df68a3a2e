/* Unit tests of the UEFI boot path's generic parts: the hv.cfg parser
 * (boot/efi_cfg.c) and the memory map conversion (boot/efi_mmap.c).  Every
 * config text lives in a malloc'd buffer of exactly its length, without a
 * terminator, so ASan catches any read past it. */
#include "unit.h"

#include <hv/efi.h>
#include <hv/efi_cfg.h>
#include <hv/errno.h>

/* ---- hv.cfg ---- */

struct reports {
  unsigned int n;
  unsigned int line[16];
  char msg[16][200];
};

static void record(void *ctx, unsigned int line, const char *msg)
{
  struct reports *r = ctx;
  if (r->n < 16) {
    r->line[r->n] = line;
    snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", msg);
  }
  r->n++;
}

static struct efi_cfg cfg;
static struct reports rep;

static int parse(const char *text, const char *want)
{
  size_t len = strlen(text);
  char *buf = malloc(len ? len : 1);
  memcpy(buf, text, len);
  memset(&rep, 0, sizeof(rep));
  int r = efi_cfg_parse(buf, len, want, &cfg, record, &rep);
  free(buf);
  return r;
}

/* The report on line `line` mentions text. */
static bool reported(unsigned int line, const char *text)
{
  for (unsigned int i = 0; i < rep.n && i < 16; i++)
    if (rep.line[i] == line && strstr(rep.msg[i], text))
      return true;
  return false;
}

static void test_cfg_plain_file(void **state)
{
  (void)state;
  assert_int_equal(parse("# mica\n"
                         "options=console=com1 loglvl=debug\n"
                         "module=vmlinux dom0 kernel mem=512 -- console=hvc0 quiet\n"
                         "  module = boot/initrd.img   dom0 initrd  \n",
                         NULL),
                   0);
  assert_string_equal(cfg.section, "");
  assert_true(cfg.has_options);
  assert_string_equal(cfg.options, "console=com1 loglvl=debug");
  assert_int_equal(cfg.nr_mods, 2);
  assert_string_equal(cfg.mods[0].path, "vmlinux");
  assert_string_equal(cfg.mods[0].string, "dom0 kernel mem=512 -- console=hvc0 quiet");
  assert_int_equal(cfg.mods[0].line, 3);
  assert_string_equal(cfg.mods[1].path, "boot\\initrd.img"); /* / becomes \ */
  assert_string_equal(cfg.mods[1].string, "dom0 initrd");
  assert_int_equal(cfg.mods[1].line, 4);
}

static const char sections[] = "[global]\n"
                               "default=small\n"
                               "\n"
                               "[big]\n"
                               "options=loglvl=info\n"
                               "module=\\linux\\vmlinux dom0 kernel mem=2048\n"
                               "[small]   \n"
                               "options=mem=64M\n"
                               "module=hello.elf dom0 kernel\n";

static void test_cfg_default_section(void **state)
{
  (void)state;
  assert_int_equal(parse(sections, NULL), 0);
  assert_string_equal(cfg.section, "small");
  assert_string_equal(cfg.options, "mem=64M");
  assert_int_equal(cfg.nr_mods, 1);
  assert_string_equal(cfg.mods[0].path, "hello.elf");
  assert_int_equal(cfg.mods[0].line, 9);
}

static void test_cfg_section_asked_for(void **state)
{
  (void)state;
  assert_int_equal(parse(sections, "big"), 0);
  assert_string_equal(cfg.section, "big");
  assert_string_equal(cfg.options, "loglvl=info");
  assert_int_equal(cfg.nr_mods, 1);
  assert_string_equal(cfg.mods[0].path, "\\linux\\vmlinux");

  assert_int_equal(parse(sections, "huge"), -ENOENT);
  assert_true(reported(0, "no section [huge]"));
  assert_int_equal(cfg.nr_mods, 0);
  assert_false(cfg.has_options);
}

static void test_cfg_default_names_nothing(void **state)
{
  (void)state;
  /* A default= that names no section: said, and the first one is used. */
  assert_int_equal(parse("[global]\ndefault=gone\n[one]\noptions=a\n[two]\noptions=b\n", NULL), 1);
  assert_true(reported(0, "default=gone names no section"));
  assert_string_equal(cfg.section, "one");
  assert_string_equal(cfg.options, "a");
  /* Without default=, the first section. */
  assert_int_equal(parse("[one]\noptions=a\n[two]\noptions=b\n", NULL), 0);
  assert_string_equal(cfg.section, "one");
  /* Keys above the first section win over named sections. */
  assert_int_equal(parse("options=top\n[one]\noptions=a\n", NULL), 0);
  assert_string_equal(cfg.section, "");
  assert_string_equal(cfg.options, "top");
}

static void test_cfg_bad_lines_are_reported_and_skipped(void **state)
{
  (void)state;
  int n = parse("options=loglvl=info\n"                   /* 1 */
                "this line has no equals sign\n"          /* 2 */
                "kernel=vmlinux\n"                        /* 3: xen.cfg's key, not ours */
                "module=\n"                               /* 4 */
                "module=\"no end dom0 kernel\n"           /* 5 */
                "module=\"my files/k.elf\" dom0 kernel\n" /* 6: good */
                "[broken\n"                               /* 7 */
                "options=again\n"                         /* 8: in the broken section, unused */
                "[]\n"                                    /* 9 */
                "[global]\n"                              /* 10 */
                "colour=blue\n",                          /* 11 */
                NULL);
  assert_int_equal(n, 7);
  assert_true(reported(2, "expected key=value"));
  assert_true(reported(3, "unknown key 'kernel'"));
  assert_true(reported(4, "module= needs a file"));
  assert_true(reported(5, "no closing"));
  assert_true(reported(7, "must end with ']'"));
  assert_true(reported(9, "section name must have 1 to"));
  assert_true(reported(11, "[global] takes only default="));
  /* What was good is used. */
  assert_string_equal(cfg.options, "loglvl=info");
  assert_int_equal(cfg.nr_mods, 1);
  assert_string_equal(cfg.mods[0].path, "my files\\k.elf");
  assert_string_equal(cfg.mods[0].string, "dom0 kernel");
}

static void test_cfg_limits(void **state)
{
  (void)state;
  char *text = malloc(64 * 40 + 2000);
  size_t n = 0;
  for (unsigned int i = 0; i < BOOT_MAX_MODS + 2; i++)
    n += (size_t)sprintf(text + n, "module=m%u.elf domu%u kernel\n", i, i + 1);
  text[n] = '\0';
  assert_int_equal(parse(text, NULL), 2);
  assert_int_equal(cfg.nr_mods, BOOT_MAX_MODS);
  assert_true(reported(BOOT_MAX_MODS + 1, "more than 32 modules"));
  assert_true(reported(BOOT_MAX_MODS + 2, "more than 32 modules"));

  /* options= of BOOT_CMDLINE_MAX characters does not fit; one less does. */
  memcpy(text, "options=", 8);
  memset(text + 8, 'x', BOOT_CMDLINE_MAX);
  text[8 + BOOT_CMDLINE_MAX] = '\0';
  assert_int_equal(parse(text, NULL), 1);
  assert_true(reported(1, "options= is longer than 1023"));
  assert_false(cfg.has_options);
  text[8 + BOOT_CMDLINE_MAX - 1] = '\0';
  assert_int_equal(parse(text, NULL), 0);
  assert_int_equal(strlen(cfg.options), BOOT_CMDLINE_MAX - 1);

  /* A module string of BOOT_STRING_MAX characters does not fit. */
  n = (size_t)sprintf(text, "module=k.elf ");
  memset(text + n, 'y', BOOT_STRING_MAX);
  text[n + BOOT_STRING_MAX] = '\0';
  assert_int_equal(parse(text, NULL), 1);
  assert_true(reported(1, "module string is longer"));
  assert_int_equal(cfg.nr_mods, 0);
  free(text);
}

static void test_cfg_text_forms(void **state)
{
  (void)state;
  /* A UTF-8 byte order mark, CR LF line ends, comment lines, a '#' inside
   * a value (text: a guest command line may hold one), a last line without
   * its end. */
  assert_int_equal(parse("\xef\xbb\xbf[global]\r\n  # the usual\r\ndefault = a\r\n[a]\r\n"
                         "options=x y\t#not a comment\r\nmodule=k dom0 kernel",
                         NULL),
                   0);
  assert_string_equal(cfg.section, "a");
  assert_string_equal(cfg.options, "x y\t#not a comment");
  assert_int_equal(cfg.nr_mods, 1);
  assert_string_equal(cfg.mods[0].string, "dom0 kernel");

  /* Empty and comment-only files: nothing to do, nothing wrong. */
  assert_int_equal(parse("", NULL), 0);
  assert_int_equal(cfg.nr_mods, 0);
  assert_int_equal(parse("# nothing\n\n   \n", NULL), 0);

  /* UTF-16 (what Notepad may save): refused as a whole. */
  static const char utf16[] = {'\xff', '\xfe', 'o', 0, 'p', 0, '=', 0};
  char *buf = malloc(sizeof(utf16));
  memcpy(buf, utf16, sizeof(utf16));
  memset(&rep, 0, sizeof(rep));
  assert_int_equal(efi_cfg_parse(buf, sizeof(utf16), NULL, &cfg, record, &rep), -EINVAL);
  assert_true(reported(0, "not a text file"));
  free(buf);
}

/* ---- the memory map ---- */

static struct boot_info bi;

/* Descriptors desc_size bytes apart (the firmware may use more than the
 * structure's 40), in a buffer of exactly their size. */
static int convert(const struct efi_mem_desc *d, unsigned int n, size_t desc_size)
{
  uint8_t *buf = calloc(n ? n : 1, desc_size);
  for (unsigned int i = 0; i < n; i++)
    memcpy(buf + i * desc_size, &d[i], MIN(sizeof(d[i]), desc_size));
  memset(&bi, 0, sizeof(bi));
  shim_log_clear();
  int r = efi_mmap_convert(buf, (uint64_t)n * desc_size, desc_size, &bi);
  free(buf);
  return r;
}

static void expect_region(unsigned int i, uint64_t start, uint64_t end, uint32_t type)
{
  assert_true(i < bi.nr_mem);
  assert_int_equal(bi.mem[i].start, start);
  assert_int_equal(bi.mem[i].start + bi.mem[i].len, end);
  assert_int_equal(bi.mem[i].type, type);
}

#define PG(n) ((uint64_t)(n)*4096)

static void test_mmap_types(void **state)
{
  (void)state;
  const struct efi_mem_desc map[] = {
      {EFI_MT_BOOT_CODE, 0, 0, 0, 1, 0xf},
      {EFI_MT_CONVENTIONAL, 0, PG(1), 0, 0x9f, 0xf},
      {EFI_MT_LOADER_CODE, 0, PG(0x100), 0, 0x10, 0xf},
      {EFI_MT_LOADER_DATA, 0, PG(0x110), 0, 0x10, 0xf},
      {EFI_MT_BOOT_DATA, 0, PG(0x120), 0, 0x10, 0xf},
      {EFI_MT_RUNTIME_CODE, 0, PG(0x130), 0, 0x10, 0xf | EFI_ATTR_RUNTIME},
      {EFI_MT_RUNTIME_DATA, 0, PG(0x140), 0, 0x10, 0xf | EFI_ATTR_RUNTIME},
      {EFI_MT_ACPI_RECLAIM, 0, PG(0x150), 0, 0x10, 0xf},
      {EFI_MT_ACPI_NVS, 0, PG(0x160), 0, 0x10, 0xf},
      {EFI_MT_UNUSABLE, 0, PG(0x170), 0, 0x10, 0xf},
      {EFI_MT_MMIO, 0, 0xfec00000, 0, 1, 1 | EFI_ATTR_RUNTIME},
      /* Conventional memory the firmware marked for runtime use: kept away. */
      {EFI_MT_CONVENTIONAL, 0, PG(0x180), 0, 0x10, 0xf | EFI_ATTR_RUNTIME},
      {0x70000001 /* an OEM type */, 0, PG(0x190), 0, 0x10, 0xf},
      {EFI_MT_PERSISTENT, 0, PG(0x1a0), 0, 0x10, 0xf},
      {EFI_MT_CONVENTIONAL, 0, PG(0x1b0), 0, 0x50, 0xf},
  };
  assert_int_equal(convert(map, ARRAY_SIZE(map), sizeof(map[0])), 0);
  expect_region(0, 0, PG(0xa0), BOOT_MEM_RAM);
  expect_region(1, PG(0x100), PG(0x130), BOOT_MEM_RAM); /* loader and boot services */
  expect_region(2, PG(0x130), PG(0x150), BOOT_MEM_RESERVED);
  expect_region(3, PG(0x150), PG(0x160), BOOT_MEM_ACPI);
  expect_region(4, PG(0x160), PG(0x170), BOOT_MEM_NVS);
  expect_region(5, PG(0x170), PG(0x180), BOOT_MEM_BAD);
  expect_region(6, PG(0x180), PG(0x1b0), BOOT_MEM_RESERVED);
  expect_region(7, PG(0x1b0), PG(0x200), BOOT_MEM_RAM);
  expect_region(8, 0xfec00000, 0xfec01000, BOOT_MEM_RESERVED);
  assert_int_equal(bi.nr_mem, 9);
}

static void test_mmap_descriptor_size(void **state)
{
  (void)state;
  const struct efi_mem_desc map[] = {
      {EFI_MT_CONVENTIONAL, 0, PG(0x100), 0, 0x100, 0xf},
      {EFI_MT_RUNTIME_DATA, 0, PG(0x200), 0, 0x10, EFI_ATTR_RUNTIME},
  };
  /* OVMF and many firmwares use 48-byte descriptors. */
  assert_int_equal(convert(map, 2, 48), 0);
  assert_int_equal(bi.nr_mem, 2);
  expect_region(0, PG(0x100), PG(0x200), BOOT_MEM_RAM);
  expect_region(1, PG(0x200), PG(0x210), BOOT_MEM_RESERVED);
  /* Smaller than the structure, or not a multiple of 8: refused whole. */
  assert_int_equal(convert(map, 2, 32), -EINVAL);
  assert_int_equal(bi.nr_mem, 0);
  assert_true(shim_log_contains("descriptor size 32 is invalid"));
  assert_int_equal(convert(map, 2, 44), -EINVAL);
  /* Stray bytes after the last whole descriptor are said and ignored. */
  uint8_t *buf = calloc(1, 2 * 48 + 20);
  memcpy(buf, &map[0], sizeof(map[0]));
  memcpy(buf + 48, &map[1], sizeof(map[1]));
  shim_log_clear();
  assert_int_equal(efi_mmap_convert(buf, 2 * 48 + 20, 48, &bi), 0);
  assert_int_equal(bi.nr_mem, 2);
  assert_true(shim_log_contains("20 stray bytes"));
  free(buf);
}

static void test_mmap_bad_entries(void **state)
{
  (void)state;
  const struct efi_mem_desc map[] = {
      {EFI_MT_CONVENTIONAL, 0, PG(0x100), 0, 0, 0xf},      /* no pages */
      {EFI_MT_CONVENTIONAL, 0, PG(0x200) + 12, 0, 4, 0xf}, /* not aligned */
      /* RAM overlapping runtime data: the runtime part stays reserved. */
      {EFI_MT_CONVENTIONAL, 0, PG(0x300), 0, 0x100, 0xf},
      {EFI_MT_RUNTIME_DATA, 0, PG(0x380), 0, 0x10, EFI_ATTR_RUNTIME},
      /* Past the top of the address space: clipped, not wrapped. */
      {EFI_MT_RESERVED, 0, 0xfffffffffff00000ULL, 0, 0x1000, 0},
  };
  assert_int_equal(convert(map, ARRAY_SIZE(map), sizeof(map[0])), 0);
  assert_true(shim_log_contains("has no pages, skipped"));
  assert_true(shim_log_contains("is not page-aligned, skipped"));
  assert_true(shim_log_contains("runs past 2^64, clipped"));
  expect_region(0, PG(0x300), PG(0x380), BOOT_MEM_RAM);
  expect_region(1, PG(0x380), PG(0x390), BOOT_MEM_RESERVED);
  expect_region(2, PG(0x390), PG(0x400), BOOT_MEM_RAM);
  assert_int_equal(bi.mem[3].start, 0xfffffffffff00000ULL);
  assert_int_equal(bi.mem[3].type, BOOT_MEM_RESERVED);
  assert_int_equal(bi.nr_mem, 4);
  /* An empty map converts to nothing (efi_entry then refuses to go on). */
  assert_int_equal(convert(map, 0, sizeof(map[0])), 0);
  assert_int_equal(bi.nr_mem, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cfg_plain_file),
      cmocka_unit_test(test_cfg_default_section),
      cmocka_unit_test(test_cfg_section_asked_for),
      cmocka_unit_test(test_cfg_default_names_nothing),
      cmocka_unit_test(test_cfg_bad_lines_are_reported_and_skipped),
      cmocka_unit_test(test_cfg_limits),
      cmocka_unit_test(test_cfg_text_forms),
      cmocka_unit_test(test_mmap_types),
      cmocka_unit_test(test_mmap_descriptor_size),
      cmocka_unit_test(test_mmap_bad_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
