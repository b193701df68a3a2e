/* Checks ELF images from boot modules (untrusted input: every offset and
 * size is bounded by the image) and hands out their segments and notes.
 * What is accepted follows Xen's PVH builders (xen/common/libelf): the
 * class says the layouts, the PHYS32 entry note says how to start. */
#include <hv/elf.h>
#include <hv/errno.h>
#include <hv/string.h>

#define EM_386 3
#define EM_X86_64 62
#define ET_EXEC 2

/* Sizes of the ELF header, one program header and one section header
 * (gABI), ELF32 then ELF64. */
#define EHDR_SIZE(is64) ((is64) ? 64u : 52u)
#define PHDR_SIZE(is64) ((is64) ? 56u : 32u)
#define SHDR_SIZE(is64) ((is64) ? 64u : 40u)

static uint64_t rd(const uint8_t *p, unsigned int n)
{
  uint64_t v = 0;
  for (unsigned int i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* a + b <= limit, without overflow. */
static bool fits(uint64_t a, uint64_t b, uint64_t limit) { return a <= limit && b <= limit - a; }

/* A header field: at off32 (n32 bytes) in ELF32, at off64 (n64) in ELF64. */
static uint64_t field(const struct elf_image *img, const uint8_t *p, unsigned int off32,
                      unsigned int n32, unsigned int off64, unsigned int n64)
{
  return img->is64 ? rd(p + off64, n64) : rd(p + off32, n32);
}

/* Section header i (i < img->nr_sections): its type, and where its
 * contents are in the file. */
static uint32_t section(const struct elf_image *img, unsigned int i, uint64_t *offset,
                        uint64_t *size)
{
  const uint8_t *p = img->data + img->shoff + (uint64_t)i * img->shentsize;
  *offset = field(img, p, 16, 4, 24, 8);
  *size = field(img, p, 20, 4, 32, 8);
  return (uint32_t)rd(p + 4, 4);
}

/* The ELF header: identification, machine, type, and where the header
 * tables are (each inside the image). */
static int check_header(struct elf_image *img, const uint8_t *h, size_t size, const char **why)
{
  if (size < EHDR_SIZE(false) || memcmp(h,
                                        "\x7f"
                                        "ELF",
                                        4)) {
    *why = "not an ELF file";
    return -ENOEXEC;
  }
  if (h[4] != 1 && h[4] != 2) {
    *why = "unknown ELF class";
    return -ENOEXEC;
  }
  img->is64 = h[4] == 2;
  if (h[5] != 1) {
    *why = "not little-endian";
    return -ENOEXEC;
  }
  if (size < EHDR_SIZE(img->is64)) {
    *why = "truncated ELF header";
    return -ENOEXEC;
  }
  /* ELF32 with EM_X86_64 is what objcopy -O elf32-x86-64 makes of a
   * 64-bit kernel entered in 32-bit mode (and the x32 ABI's class). */
  img->machine = (unsigned int)rd(h + 18, 2);
  if (img->machine != EM_X86_64 && img->machine != EM_386) {
    *why = "not an x86 image";
    return -ENOEXEC;
  }
  if (img->is64 && img->machine == EM_386) {
    *why = "an ELF64 image for i386 (EM_386 is ELF32 only)";
    return -ENOEXEC;
  }
  if (rd(h + 16, 2) != ET_EXEC) {
    *why = "not an executable (ET_EXEC) image";
    return -ENOEXEC;
  }
  img->entry = field(img, h, 24, 4, 24, 8);
  img->phoff = field(img, h, 28, 4, 32, 8);
  img->phentsize = (unsigned int)field(img, h, 42, 2, 54, 2);
  img->nr_segments = (unsigned int)field(img, h, 44, 2, 56, 2);
  /* An entry may be longer than the gABI's layout (the header says its
   * size), never shorter. */
  if (img->nr_segments && img->phentsize < PHDR_SIZE(img->is64)) {
    *why = "program header entries are too small (e_phentsize)";
    return -ENOEXEC;
  }
  if (!fits(img->phoff, (uint64_t)img->phentsize * img->nr_segments, size)) {
    *why = "program headers outside the image";
    return -ENOEXEC;
  }
  /* No section headers (e_shnum 0) is a valid image: e_shoff and
   * e_shentsize then mean nothing. */
  img->nr_sections = (unsigned int)field(img, h, 48, 2, 60, 2);
  if (!img->nr_sections)
    return 0;
  img->shoff = field(img, h, 32, 4, 40, 8);
  img->shentsize = (unsigned int)field(img, h, 46, 2, 58, 2);
  if (img->shentsize < SHDR_SIZE(img->is64)) {
    *why = "section header entries are too small (e_shentsize)";
    return -ENOEXEC;
  }
  if (!fits(img->shoff, (uint64_t)img->shentsize * img->nr_sections, size)) {
    *why = "section headers outside the image";
    return -ENOEXEC;
  }
  return 0;
}

int elf_open(struct elf_image *img, const void *data, size_t size, const char **why)
{
  memset(img, 0, sizeof(*img));
  int err = check_header(img, data, size, why);
  if (err)
    return err;
  img->data = data;
  img->size = size;
  for (unsigned int i = 0; i < img->nr_segments; i++) {
    struct elf_segment s = elf_segment(img, i);
    if (s.type != ELF_PT_LOAD && s.type != ELF_PT_NOTE)
      continue;
    if (!fits(s.offset, s.filesz, size)) {
      *why = "a segment's contents lie outside the image";
      return -ENOEXEC;
    }
    if (s.filesz > s.memsz || !fits(s.paddr, s.memsz, UINT64_MAX)) {
      *why = "a segment has impossible sizes";
      return -ENOEXEC;
    }
  }
  /* Section 0 is the gABI's null entry; only note sections are read. */
  for (unsigned int i = 1; i < img->nr_sections; i++) {
    uint64_t offset, len;
    if (section(img, i, &offset, &len) == ELF_SHT_NOTE && !fits(offset, len, size)) {
      *why = "a note section's contents lie outside the image";
      return -ENOEXEC;
    }
  }
  return 0;
}

struct elf_segment elf_segment(const struct elf_image *img, unsigned int i)
{
  const uint8_t *p = img->data + img->phoff + (uint64_t)i * img->phentsize;
  struct elf_segment s;
  s.type = (uint32_t)rd(p, 4);
  s.offset = field(img, p, 4, 4, 8, 8);
  s.paddr = field(img, p, 12, 4, 24, 8);
  s.filesz = field(img, p, 16, 4, 32, 8);
  s.memsz = field(img, p, 20, 4, 40, 8);
  return s;
}

/* What elf_for_each_note passes along to each walk. */
struct note_walk {
  const char *owner;
  size_t owner_len;
  int (*fn)(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc, uint32_t descsz,
            void *arg);
  void *arg;
  unsigned int seen; /* owner's notes found so far */
};

/* The notes in [p, p + left): each is namesz, descsz, type, then name and
 * desc, each padded to 4 bytes (the 12-byte header is the same in both
 * classes).  A truncated note ends the walk.  Returns fn's first non-zero
 * value, or 0. */
static int walk_notes(struct note_walk *w, const uint8_t *p, uint64_t left)
{
  while (left >= 12) {
    uint32_t namesz = (uint32_t)rd(p, 4), descsz = (uint32_t)rd(p + 4, 4);
    uint32_t type = (uint32_t)rd(p + 8, 4);
    uint64_t name_len = ALIGN_UP((uint64_t)namesz, 4), desc_len = ALIGN_UP((uint64_t)descsz, 4);
    if (!fits(12 + name_len, desc_len, left))
      break;
    const char *name = (const char *)p + 12;
    if (namesz > w->owner_len && !memcmp(name, w->owner, w->owner_len + 1)) {
      w->seen++;
      int r = w->fn(name, namesz, type, p + 12 + name_len, descsz, w->arg);
      if (r)
        return r;
    }
    p += 12 + name_len + desc_len;
    left -= 12 + name_len + desc_len;
  }
  return 0;
}

int elf_for_each_note(const struct elf_image *img, const char *owner,
                      int (*fn)(const char *name, uint32_t namesz, uint32_t type,
                                const uint8_t *desc, uint32_t descsz, void *arg),
                      void *arg)
{
  struct note_walk w = {owner, strlen(owner), fn, arg, 0};
  int r;
  for (unsigned int i = 0; i < img->nr_segments; i++) {
    struct elf_segment s = elf_segment(img, i);
    /* Offset 0 is the ELF header: some binutils leave a note segment's
     * p_offset unset, and Xen skips those too. */
    if (s.type != ELF_PT_NOTE || !s.offset)
      continue;
    r = walk_notes(&w, img->data + s.offset, s.filesz);
    if (r)
      return r;
  }
  if (w.seen)
    return 0;
  /* A note section in no segment (a linker script that gave it no
   * PT_NOTE, or a segment whose notes are all someone else's). */
  for (unsigned int i = 1; i < img->nr_sections; i++) {
    uint64_t offset, len;
    if (section(img, i, &offset, &len) != ELF_SHT_NOTE)
      continue;
    r = walk_notes(&w, img->data + offset, len);
    if (r)
      return r;
  }
  return 0;
}
