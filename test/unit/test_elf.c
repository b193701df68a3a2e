/* Unit tests of the ELF checks (hv/elf.c): kernels come from boot modules
 * and are untrusted; every offset and size must be bounded by the image.
 * The images are built here in the shapes other tools make (objcopy -O
 * elf32-x86-64, strip, hand-written linker scripts), which Xen's libelf
 * accepts, then broken one field at a time.  Each image lives in a
 * malloc'd buffer of exactly its size (ASan). */
#include "unit.h"

#include <hv/elf.h>
#include <hv/errno.h>

static void put(uint8_t *p, uint64_t v, int n)
{
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Where a shaped image keeps its notes. */
enum note_place {
  NOTES_IN_SEGMENT,       /* a PT_NOTE over the Xen note (and a SHT_NOTE) */
  NOTES_IN_SECTION,       /* a SHT_NOTE only, no PT_NOTE at all */
  NOTES_FOREIGN_SEGMENT,  /* the PT_NOTE holds a GNU note only; Xen's is in a section */
  NOTES_SEGMENT_OFFSET_0, /* a PT_NOTE with p_offset 0 (binutils' bug), Xen's in a section */
};

struct shape {
  bool is64;
  unsigned int machine;
  bool phdrs_at_end; /* program headers after everything, not after the ELF header */
  bool no_sections;  /* e_shnum 0 (and e_shoff 0) */
  enum note_place notes;
};

/* Layout: ELF header; code at 0x100 (PT_LOAD to 1 MiB); a GNU note at
 * 0x180, the Xen PHYS32_ENTRY note at 0x1a0; program headers after the
 * ELF header or at 0x200; section headers (null, .text, the two notes) at
 * 0x280.  Returns the size. */
#define SHAPE_GNU_NOTE 0x180
#define SHAPE_XEN_NOTE 0x1a0
#define SHAPE_SHDRS 0x280
#define SHAPE_SIZE 0x380

static size_t make_shape(uint8_t *b, const struct shape *sh)
{
  memset(b, 0, SHAPE_SIZE);
  bool w = sh->is64;
  unsigned int ehsize = w ? 64 : 52, phsize = w ? 56 : 32, shsize = w ? 64 : 40;
  memcpy(b,
         "\x7f"
         "ELF",
         4);
  b[4] = w ? 2 : 1;
  b[5] = 1;
  b[6] = 1;
  put(b + 16, 2, 2);
  put(b + 18, sh->machine, 2);
  put(b + 20, 1, 4);
  put(b + 24, 0x100000, w ? 8 : 4);
  unsigned int phoff = sh->phdrs_at_end ? 0x200 : ehsize;
  put(b + (w ? 32 : 28), phoff, w ? 8 : 4);
  put(b + (w ? 52 : 40), ehsize, 2);
  put(b + (w ? 54 : 42), phsize, 2);
  put(b + (w ? 58 : 46), shsize, 2);
  if (!sh->no_sections) {
    put(b + (w ? 40 : 32), SHAPE_SHDRS, w ? 8 : 4);
    put(b + (w ? 60 : 48), 4, 2);
  }

  memcpy(b + 0x100, "\xf4\xeb\xfd", 3);
  uint8_t *n = b + SHAPE_GNU_NOTE; /* NT_GNU_BUILD_ID, 8 bytes */
  put(n, 4, 4);
  put(n + 4, 8, 4);
  put(n + 8, 3, 4);
  memcpy(n + 12, "GNU", 4);
  memcpy(n + 16, "buildid!", 8);
  n = b + SHAPE_XEN_NOTE;
  put(n, 4, 4);
  put(n + 4, 4, 4);
  put(n + 8, 18, 4);
  memcpy(n + 12, "Xen", 4);
  put(n + 16, 0x100000, 4);

  /* Program headers: PT_LOAD, then the PT_NOTE if any. */
  unsigned int nph = 1;
  uint8_t *ph = b + phoff;
  put(ph, 1, 4);
  if (w) {
    put(ph + 8, 0x100, 8);
    put(ph + 16, 0x100000, 8);
    put(ph + 24, 0x100000, 8);
    put(ph + 32, 0x40, 8);
    put(ph + 40, 0x1000, 8);
  } else {
    put(ph + 4, 0x100, 4);
    put(ph + 8, 0x100000, 4);
    put(ph + 12, 0x100000, 4);
    put(ph + 16, 0x40, 4);
    put(ph + 20, 0x1000, 4);
  }
  uint64_t note_off = 0, note_len = 0;
  switch (sh->notes) {
  case NOTES_IN_SEGMENT: note_off = SHAPE_XEN_NOTE, note_len = 20; break;
  case NOTES_IN_SECTION: break;
  case NOTES_FOREIGN_SEGMENT: note_off = SHAPE_GNU_NOTE, note_len = 24; break;
  case NOTES_SEGMENT_OFFSET_0: note_off = 0, note_len = 24; break;
  }
  if (sh->notes != NOTES_IN_SECTION) {
    ph += phsize;
    nph++;
    put(ph, 4, 4);
    put(ph + (w ? 8 : 4), note_off, w ? 8 : 4);
    put(ph + (w ? 32 : 16), note_len, w ? 8 : 4);
    put(ph + (w ? 40 : 20), note_len, w ? 8 : 4);
  }
  put(b + (w ? 56 : 44), nph, 2);

  /* Section headers: null, .text, the GNU note, the Xen note. */
  static const struct {
    uint32_t type;
    uint64_t off, len;
  } sec[] = {{0, 0, 0}, {1, 0x100, 0x40}, {7, SHAPE_GNU_NOTE, 24}, {7, SHAPE_XEN_NOTE, 20}};
  for (unsigned int i = 0; i < ARRAY_SIZE(sec) && !sh->no_sections; i++) {
    uint8_t *s = b + SHAPE_SHDRS + i * shsize;
    put(s + 4, sec[i].type, 4);
    put(s + (w ? 24 : 16), sec[i].off, w ? 8 : 4);
    put(s + (w ? 32 : 20), sec[i].len, w ? 8 : 4);
  }
  return SHAPE_SIZE;
}

static int open_copy(const void *src, size_t size, struct elf_image *img, const char **why)
{
  static void *copy;
  free(copy);
  copy = malloc(size ? size : 1);
  memcpy(copy, src, size);
  return elf_open(img, copy, size, why);
}

/* Every note elf_for_each_note passes for "Xen", in order. */
static unsigned int xen_types[8], nr_xen;
static uint32_t note_entry; /* the last PHYS32_ENTRY's value */

static int record_note(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                       uint32_t descsz, void *arg)
{
  (void)arg;
  assert_true(namesz >= 4 && !memcmp(name, "Xen", 4));
  if (nr_xen < ARRAY_SIZE(xen_types))
    xen_types[nr_xen] = type;
  nr_xen++;
  if (type == 18 && descsz == 4)
    memcpy(&note_entry, desc, 4);
  return 0;
}

/* As record_note, and stops the walk. */
static int record_note_stop(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                            uint32_t descsz, void *arg)
{
  record_note(name, namesz, type, desc, descsz, arg);
  return 7;
}

/* Open the size-byte image b, which must be accepted, and count the Xen
 * notes elf_for_each_note passes. */
static unsigned int xen_notes_in(const uint8_t *b, size_t size)
{
  struct elf_image img;
  const char *why = "";
  if (open_copy(b, size, &img, &why))
    fail_msg("refused: %s", why);
  nr_xen = 0;
  assert_int_equal(elf_for_each_note(&img, "Xen", record_note, NULL), 0);
  return nr_xen;
}

static const struct shape good_shapes[] = {
    {true, 62, false, false, NOTES_IN_SEGMENT},
    /* objcopy -O elf32-x86-64 of a 64-bit kernel */
    {false, 62, false, false, NOTES_IN_SEGMENT},
    {false, 3, false, false, NOTES_IN_SEGMENT},
    /* no section headers */
    {true, 62, false, true, NOTES_IN_SEGMENT},
    {false, 62, false, true, NOTES_IN_SEGMENT},
    /* program headers at the end of the file */
    {true, 62, true, false, NOTES_IN_SEGMENT},
    {false, 62, true, true, NOTES_IN_SEGMENT},
    /* notes in a section only, or behind a segment without Xen's */
    {true, 62, false, false, NOTES_IN_SECTION},
    {false, 62, true, false, NOTES_IN_SECTION},
    {true, 62, false, false, NOTES_FOREIGN_SEGMENT},
    {false, 62, false, false, NOTES_FOREIGN_SEGMENT},
    {true, 62, true, false, NOTES_SEGMENT_OFFSET_0},
};

static void test_shapes_accepted(void **state)
{
  (void)state;
  for (unsigned int i = 0; i < ARRAY_SIZE(good_shapes); i++) {
    const struct shape *sh = &good_shapes[i];
    uint8_t b[SHAPE_SIZE];
    size_t size = make_shape(b, sh);
    struct elf_image img;
    const char *why = "";
    if (open_copy(b, size, &img, &why))
      fail_msg("shape %u refused: %s", i, why);
    assert_int_equal(img.is64, sh->is64);
    assert_int_equal(img.machine, sh->machine);
    assert_int_equal(img.entry, 0x100000);
    assert_int_equal(img.nr_segments, sh->notes == NOTES_IN_SECTION ? 1 : 2);
    struct elf_segment s = elf_segment(&img, 0);
    assert_int_equal(s.type, ELF_PT_LOAD);
    assert_int_equal(s.offset, 0x100);
    assert_int_equal(s.paddr, 0x100000);
    assert_int_equal(s.filesz, 0x40);
    assert_int_equal(s.memsz, 0x1000);
    nr_xen = 0;
    note_entry = 0;
    assert_int_equal(elf_for_each_note(&img, "Xen", record_note, NULL), 0);
    if (nr_xen != 1 || xen_types[0] != 18 || note_entry != 0x100000)
      fail_msg("shape %u: %u Xen notes seen, want the PHYS32_ENTRY once", i, nr_xen);
    /* The walk can be stopped, and says so. */
    assert_int_equal(elf_for_each_note(&img, "Xen", record_note_stop, NULL), 7);
  }
}

/* No notes anywhere: nothing is passed, nothing is read out of bounds. */
static void test_shape_without_notes(void **state)
{
  (void)state;
  uint8_t b[SHAPE_SIZE];
  struct shape sh = {false, 62, false, true, NOTES_IN_SECTION};
  size_t size = make_shape(b, &sh);
  assert_int_equal(xen_notes_in(b, size), 0);
}

/* A note named "Xenophon" or "Xe" is not a Xen note. */
static void test_owner_is_matched_whole(void **state)
{
  (void)state;
  uint8_t b[SHAPE_SIZE];
  struct shape sh = {true, 62, false, false, NOTES_IN_SEGMENT};
  size_t size = make_shape(b, &sh);
  memcpy(b + SHAPE_XEN_NOTE + 12, "XenX", 4); /* no NUL within namesz */
  assert_int_equal(xen_notes_in(b, size), 0);
  memcpy(b + SHAPE_XEN_NOTE + 12, "Xe\0\0", 4);
  put(b + SHAPE_XEN_NOTE, 3, 4);
  assert_int_equal(xen_notes_in(b, size), 0);
}

/* One change to a shaped image, and the reason elf_open must give. */
struct bad_shape {
  struct shape sh;
  unsigned int off;
  uint64_t val;
  int width;
  const char *why;
};

#define S64                                                                                        \
  {                                                                                                \
    true, 62, false, false, NOTES_IN_SEGMENT                                                       \
  }
#define S32                                                                                        \
  {                                                                                                \
    false, 62, false, false, NOTES_IN_SEGMENT                                                      \
  }
/* Section header i's field at off64 (ELF64) or off32 (ELF32). */
#define SH64(i, off) (SHAPE_SHDRS + (i)*64 + (off))
#define SH32(i, off) (SHAPE_SHDRS + (i)*40 + (off))

static void test_bad_shapes_refused(void **state)
{
  (void)state;
  static const struct bad_shape bad[] = {
      {S64, 0, 0x7e, 1, "not an ELF file"},
      {S64, 4, 3, 1, "unknown ELF class"},
      {S64, 5, 2, 1, "not little-endian"},
      {S64, 18, 40, 2, "not an x86 image"}, /* EM_ARM */
      {S64, 16, 3, 2, "not an executable"},
      {S64, 32, 0x1000, 8, "program headers outside"},        /* phoff past the end */
      {S64, 56, 0x4000, 2, "program headers outside"},        /* phnum huge */
      {S64, 54, 32, 2, "too small (e_phentsize)"},            /* phentsize < 56 */
      {S64, 64 + 8, 0x1000, 8, "contents lie outside"},       /* LOAD offset past end */
      {S64, 64 + 32, ~0ULL, 8, "contents lie outside"},       /* filesz wraps */
      {S64, 64 + 40, 0x10, 8, "impossible sizes"},            /* memsz < filesz */
      {S64, 64 + 24, ~0ULL - 0x10, 8, "impossible sizes"},    /* paddr + memsz wraps */
      {S64, 64 + 56 + 32, 0x1000, 8, "contents lie outside"}, /* NOTE filesz past end */
      {S64, 18, 3, 2, "EM_386 is ELF32 only"},
      {S32, 18, 40, 2, "not an x86 image"}, /* EM_ARM */
      {S32, 18, 0, 2, "not an x86 image"},
      {S32, 16, 3, 2, "not an executable"}, /* ET_DYN */
      {S32, 4, 0, 1, "unknown ELF class"},
      {S32, 28, 0x1000, 4, "program headers outside"},
      {S32, 44, 0x100, 2, "program headers outside"},
      {S32, 42, 31, 2, "e_phentsize"},
      {S64, 40, SHAPE_SIZE - 0x40, 8, "section headers outside"}, /* shoff: table past the end */
      {S64, 40, ~0ULL - 8, 8, "section headers outside"},         /* shoff wraps */
      {S64, 60, 0x4000, 2, "section headers outside"},            /* shnum huge */
      {S64, 58, 40, 2, "e_shentsize"},
      {S32, 32, SHAPE_SIZE, 4, "section headers outside"},
      {S32, 48, 30, 2, "section headers outside"},
      {S32, 46, 39, 2, "e_shentsize"},
      {S64, SH64(3, 24), SHAPE_SIZE, 8, "note section's contents lie outside"},
      {S64, SH64(3, 32), ~0ULL, 8, "note section's contents lie outside"}, /* size wraps */
      {S32, SH32(2, 16), 0x10000, 4, "note section's contents lie outside"},
      {S32, SH32(3, 20), 0xfffffff0, 4, "note section's contents lie outside"},
      {S32, 52 + 4, SHAPE_SIZE, 4, "contents lie outside"},   /* LOAD p_offset */
      {S32, 52 + 20, 0x10, 4, "impossible sizes"},            /* memsz < filesz */
      {S32, 52 + 32 + 16, 0x1000, 4, "contents lie outside"}, /* NOTE p_filesz */
  };
  for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
    uint8_t b[SHAPE_SIZE];
    size_t size = make_shape(b, &bad[i].sh);
    put(b + bad[i].off, bad[i].val, bad[i].width);
    struct elf_image img;
    const char *why = "";
    if (open_copy(b, size, &img, &why) != -ENOEXEC || !strstr(why, bad[i].why))
      fail_msg("bad shape %u: got \"%s\", want \"%s\"", i, why, bad[i].why);
  }
}

/* Notes with sizes that run past their segment (or section) end the walk,
 * no overrun. */
static void test_bad_notes(void **state)
{
  (void)state;
  uint8_t b[SHAPE_SIZE];
  struct shape sh = S64;
  size_t size = make_shape(b, &sh);
  put(b + SHAPE_XEN_NOTE + 4, 0x7fffffff, 4); /* descsz huge */
  assert_int_equal(xen_notes_in(b, size), 0);
  put(b + SHAPE_XEN_NOTE + 4, 4, 4);
  put(b + SHAPE_XEN_NOTE, 0xfffffffd, 4); /* namesz that wraps when padded */
  assert_int_equal(xen_notes_in(b, size), 0);
}

/* Section headers that are not read are not checked: e_shoff means nothing
 * when e_shnum is 0, and only note sections are opened. */
static void test_unread_sections_not_checked(void **state)
{
  (void)state;
  uint8_t b[SHAPE_SIZE];
  struct shape sh = {true, 62, false, true, NOTES_IN_SEGMENT};
  size_t size = make_shape(b, &sh);
  put(b + 40, ~0ULL, 8); /* e_shoff garbage, e_shnum 0 */
  put(b + 58, 0, 2);     /* e_shentsize 0 */
  assert_int_equal(xen_notes_in(b, size), 1);
  sh.no_sections = false;
  make_shape(b, &sh);
  put(b + SH64(1, 24), ~0ULL, 8); /* .text's (PROGBITS) offset: never read */
  assert_int_equal(xen_notes_in(b, size), 1);
}

/* Every truncation and many random byte changes of every shape: refused
 * with a reason, or accepted and walked without reading out of bounds
 * (AddressSanitizer watches the exact-size copy). */
static void test_shapes_fuzzed(void **state)
{
  (void)state;
  uint32_t seed = 12345;
  for (unsigned int i = 0; i < ARRAY_SIZE(good_shapes); i++) {
    uint8_t b[SHAPE_SIZE];
    size_t size = make_shape(b, &good_shapes[i]);
    for (size_t cut = 0; cut < size; cut++) {
      struct elf_image img;
      const char *why = NULL;
      int r = open_copy(b, cut, &img, &why);
      if (r == 0)
        elf_for_each_note(&img, "Xen", record_note, NULL);
      else
        assert_true(r == -ENOEXEC && why && *why);
    }
    for (unsigned int round = 0; round < 2000; round++) {
      uint8_t m[SHAPE_SIZE];
      memcpy(m, b, size);
      for (unsigned int k = 0; k < 4; k++) {
        seed = seed * 1103515245 + 12345;
        /* Mostly the headers, where the offsets and sizes are. */
        unsigned int at = (seed >> 8) % (k & 1 ? size : 0x80);
        if (k == 3)
          at = SHAPE_SHDRS + (seed >> 12) % (size - SHAPE_SHDRS);
        m[at] = (uint8_t)(seed >> 24);
      }
      struct elf_image img;
      const char *why = NULL;
      int r = open_copy(m, size, &img, &why);
      if (r == 0) {
        for (unsigned int s = 0; s < img.nr_segments; s++)
          (void)elf_segment(&img, s);
        elf_for_each_note(&img, "Xen", record_note, NULL);
      } else {
        assert_true(r == -ENOEXEC && why && *why);
      }
    }
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shapes_accepted),
      cmocka_unit_test(test_shape_without_notes),
      cmocka_unit_test(test_owner_is_matched_whole),
      cmocka_unit_test(test_bad_shapes_refused),
      cmocka_unit_test(test_bad_notes),
      cmocka_unit_test(test_unread_sections_not_checked),
      cmocka_unit_test(test_shapes_fuzzed),
  };
  return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
