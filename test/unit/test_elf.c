/* Unit tests of the ELF checks (hv/elf.c): kernels come from boot modules
 * and are untrusted; every offset and size must be bounded by the image.
 * Each image lives in a malloc'd buffer of exactly its size (ASan). */
#include "unit.h"

#include <hv/elf.h>
#include <hv/errno.h>

/* An ELF64 image: header, 2 program headers (LOAD, NOTE), a note, data. */
struct img64 {
  uint8_t b[512];
};

static void put(uint8_t *p, uint64_t v, int n)
{
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static size_t make64(struct img64 *m)
{
  memset(m, 0, sizeof(*m));
  uint8_t *h = m->b;
  memcpy(h,
         "\x7f"
         "ELF",
         4);
  h[4] = 2; /* ELFCLASS64 */
  h[5] = 1; /* little-endian */
  h[6] = 1;
  put(h + 16, 2, 2);        /* ET_EXEC */
  put(h + 18, 62, 2);       /* EM_X86_64 */
  put(h + 24, 0x100000, 8); /* entry */
  put(h + 32, 64, 8);       /* phoff */
  put(h + 54, 56, 2);       /* phentsize */
  put(h + 56, 2, 2);        /* phnum */
  uint8_t *ph = h + 64;     /* PT_LOAD: file 0x100..0x140 -> 1 MiB, 0x1000 in memory */
  put(ph, 1, 4);
  put(ph + 8, 0x100, 8);
  put(ph + 24, 0x100000, 8);
  put(ph + 32, 0x40, 8);
  put(ph + 40, 0x1000, 8);
  ph += 56; /* PT_NOTE: file 0x180, one Xen note: PHYS32_ENTRY */
  put(ph, 4, 4);
  put(ph + 8, 0x180, 8);
  put(ph + 32, 20, 8);
  put(ph + 40, 20, 8);
  uint8_t *n = h + 0x180;
  put(n, 4, 4);     /* namesz */
  put(n + 4, 4, 4); /* descsz */
  put(n + 8, 18, 4);
  memcpy(n + 12, "Xen", 4);
  put(n + 16, 0x100000, 4);
  return 0x1a0;
}

static int open_copy(const void *src, size_t size, struct elf_image *img, const char **why)
{
  static void *copy;
  free(copy);
  copy = malloc(size ? size : 1);
  memcpy(copy, src, size);
  return elf_open(img, copy, size, why);
}

static int notes_seen;
static uint32_t note_entry;

static int count_note(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                      uint32_t descsz, void *arg)
{
  (void)arg;
  notes_seen++;
  if (namesz == 4 && !memcmp(name, "Xen", 4) && type == 18 && descsz == 4)
    memcpy(&note_entry, desc, 4);
  return 0;
}

static void test_good_elf64(void **state)
{
  (void)state;
  struct img64 m;
  size_t size = make64(&m);
  struct elf_image img;
  const char *why = NULL;
  assert_int_equal(open_copy(m.b, size, &img, &why), 0);
  assert_true(img.is64);
  assert_int_equal(img.entry, 0x100000);
  assert_int_equal(img.nr_segments, 2);
  struct elf_segment s = elf_segment(&img, 0);
  assert_int_equal(s.type, ELF_PT_LOAD);
  assert_int_equal(s.paddr, 0x100000);
  assert_int_equal(s.filesz, 0x40);
  assert_int_equal(s.memsz, 0x1000);
  notes_seen = 0;
  note_entry = 0;
  assert_int_equal(elf_for_each_note(&img, count_note, NULL), 0);
  assert_int_equal(notes_seen, 1);
  assert_int_equal(note_entry, 0x100000);
}

static void test_good_elf32(void **state)
{
  (void)state;
  uint8_t b[256] = {0};
  memcpy(b,
         "\x7f"
         "ELF",
         4);
  b[4] = 1;
  b[5] = 1;
  put(b + 16, 2, 2);
  put(b + 18, 3, 2); /* EM_386 */
  put(b + 24, 0x200000, 4);
  put(b + 28, 52, 4); /* phoff */
  put(b + 42, 32, 2);
  put(b + 44, 1, 2);
  uint8_t *ph = b + 52;
  put(ph, 1, 4);
  put(ph + 4, 0x80, 4);
  put(ph + 12, 0x200000, 4);
  put(ph + 16, 0x10, 4);
  put(ph + 20, 0x20, 4);
  struct elf_image img;
  const char *why;
  assert_int_equal(open_copy(b, 0x90, &img, &why), 0);
  assert_false(img.is64);
  assert_int_equal(img.entry, 0x200000);
  struct elf_segment s = elf_segment(&img, 0);
  assert_int_equal(s.paddr, 0x200000);
  assert_int_equal(s.memsz, 0x20);
}

/* One corruption of a good image, and the reason elf_open must give. */
struct bad {
  unsigned int off;
  uint64_t val;
  int width;
  const char *why;
};

static void test_corruptions_refused(void **state)
{
  (void)state;
  static const struct bad bad[] = {
      {0, 0x7e, 1, "not an ELF file"},
      {4, 3, 1, "unknown ELF class"},
      {5, 2, 1, "not little-endian"},
      {18, 3, 2, "not an x86 image"},
      {16, 3, 2, "not an executable"},
      {32, 0x1000, 8, "program headers outside"},        /* phoff past the end */
      {56, 0x4000, 2, "program headers outside"},        /* phnum huge */
      {54, 32, 2, "program headers outside"},            /* wrong phentsize */
      {64 + 8, 0x1000, 8, "contents lie outside"},       /* LOAD offset past end */
      {64 + 32, ~0ULL, 8, "contents lie outside"},       /* filesz wraps */
      {64 + 40, 0x10, 8, "impossible sizes"},            /* memsz < filesz */
      {64 + 24, ~0ULL - 0x10, 8, "impossible sizes"},    /* paddr + memsz wraps */
      {64 + 56 + 32, 0x1000, 8, "contents lie outside"}, /* NOTE filesz past end */
  };
  for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
    struct img64 m;
    size_t size = make64(&m);
    put(m.b + bad[i].off, bad[i].val, bad[i].width);
    struct elf_image img;
    const char *why = "";
    if (open_copy(m.b, size, &img, &why) != -ENOEXEC || !strstr(why, bad[i].why))
      fail_msg("corruption %u: got \"%s\", want \"%s\"", i, why, bad[i].why);
  }
  /* Every truncation of the image is refused or, if the headers still fit,
   * accepted without reading past the end. */
  struct img64 m;
  size_t size = make64(&m);
  for (size_t cut = 0; cut < size; cut++) {
    struct elf_image img;
    const char *why;
    if (open_copy(m.b, cut, &img, &why) == 0)
      elf_for_each_note(&img, count_note, NULL);
  }
}

/* Notes with sizes that run past their segment end the walk, no overrun. */
static void test_bad_notes(void **state)
{
  (void)state;
  struct img64 m;
  size_t size = make64(&m);
  put(m.b + 0x180 + 4, 0x7fffffff, 4); /* descsz huge */
  struct elf_image img;
  const char *why;
  assert_int_equal(open_copy(m.b, size, &img, &why), 0);
  notes_seen = 0;
  assert_int_equal(elf_for_each_note(&img, count_note, NULL), 0);
  assert_int_equal(notes_seen, 0);
  put(m.b + 0x180 + 4, 4, 4);
  put(m.b + 0x180, 0xfffffffd, 4); /* namesz that wraps when padded */
  assert_int_equal(open_copy(m.b, size, &img, &why), 0);
  notes_seen = 0;
  assert_int_equal(elf_for_each_note(&img, count_note, NULL), 0);
  assert_int_equal(notes_seen, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_elf64),
      cmocka_unit_test(test_good_elf32),
      cmocka_unit_test(test_corruptions_refused),
      cmocka_unit_test(test_bad_notes),
  };
  return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
