/* Checks ELF images from boot modules (untrusted input: every offset and
 * size is bounded by the image) and hands out their segments and notes. */
#include <hv/elf.h>
#include <hv/errno.h>
#include <hv/string.h>

#define EM_386 3
#define EM_X86_64 62
#define ET_EXEC 2

static uint64_t rd(const uint8_t *p, unsigned int n)
{
  uint64_t v = 0;
  for (unsigned int i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* a + b <= limit, without overflow. */
static bool fits(uint64_t a, uint64_t b, uint64_t limit) { return a <= limit && b <= limit - a; }

int elf_open(struct elf_image *img, const void *data, size_t size, const char **why)
{
  const uint8_t *h = data;

  memset(img, 0, sizeof(*img));
  if (size < 52 || memcmp(h,
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
  if (img->is64 && size < 64) {
    *why = "truncated ELF header";
    return -ENOEXEC;
  }
  unsigned int machine = (unsigned int)rd(h + 18, 2);
  if (machine != (img->is64 ? EM_X86_64 : EM_386)) {
    *why = "not an x86 image";
    return -ENOEXEC;
  }
  if (rd(h + 16, 2) != ET_EXEC) {
    *why = "not an executable (ET_EXEC) image";
    return -ENOEXEC;
  }
  img->entry = img->is64 ? rd(h + 24, 8) : rd(h + 24, 4);
  img->phoff = img->is64 ? rd(h + 32, 8) : rd(h + 28, 4);
  img->phentsize = (unsigned int)rd(h + (img->is64 ? 54 : 42), 2);
  img->nr_segments = (unsigned int)rd(h + (img->is64 ? 56 : 44), 2);
  if (img->phentsize != (img->is64 ? 56u : 32u) ||
      !fits(img->phoff, (uint64_t)img->phentsize * img->nr_segments, size)) {
    *why = "program headers outside the image";
    return -ENOEXEC;
  }
  img->data = h;
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
  return 0;
}

struct elf_segment elf_segment(const struct elf_image *img, unsigned int i)
{
  const uint8_t *p = img->data + img->phoff + (uint64_t)i * img->phentsize;
  struct elf_segment s;
  s.type = (uint32_t)rd(p, 4);
  if (img->is64) {
    s.offset = rd(p + 8, 8);
    s.paddr = rd(p + 24, 8);
    s.filesz = rd(p + 32, 8);
    s.memsz = rd(p + 40, 8);
  } else {
    s.offset = rd(p + 4, 4);
    s.paddr = rd(p + 12, 4);
    s.filesz = rd(p + 16, 4);
    s.memsz = rd(p + 20, 4);
  }
  return s;
}

int elf_for_each_note(const struct elf_image *img,
                      int (*fn)(const char *name, uint32_t namesz, uint32_t type,
                                const uint8_t *desc, uint32_t descsz, void *arg),
                      void *arg)
{
  for (unsigned int i = 0; i < img->nr_segments; i++) {
    struct elf_segment s = elf_segment(img, i);
    if (s.type != ELF_PT_NOTE)
      continue;
    const uint8_t *p = img->data + s.offset;
    uint64_t left = s.filesz;
    /* Each note: namesz, descsz, type, then name and desc, each padded to 4. */
    while (left >= 12) {
      uint32_t namesz = (uint32_t)rd(p, 4), descsz = (uint32_t)rd(p + 4, 4);
      uint32_t type = (uint32_t)rd(p + 8, 4);
      uint64_t name_len = ALIGN_UP((uint64_t)namesz, 4), desc_len = ALIGN_UP((uint64_t)descsz, 4);
      if (!fits(12 + name_len, desc_len, left))
        break; /* a truncated note ends the segment */
      int r = fn((const char *)p + 12, namesz, type, p + 12 + name_len, descsz, arg);
      if (r)
        return r;
      p += 12 + name_len + desc_len;
      left -= 12 + name_len + desc_len;
    }
  }
  return 0;
}
