/* ELF images: just enough of the format to check and load a kernel
 * (ELF32 or ELF64, x86, little-endian; the System V gABI layouts). */
#ifndef HV_ELF_H
#define HV_ELF_H

#include <hv/types.h>

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4
#define ELF_SHT_NOTE 7

/* One program header, widened to 64 bits whatever the ELF class. */
struct elf_segment {
  uint32_t type;
  uint64_t offset, paddr, filesz, memsz;
};

struct elf_image {
  const uint8_t *data;
  size_t size;
  bool is64;
  unsigned int machine; /* EM_386 (3) or EM_X86_64 (62) */
  uint64_t entry;
  unsigned int nr_segments;
  uint64_t phoff;
  unsigned int phentsize;
  unsigned int nr_sections; /* 0 when the image has no section headers */
  uint64_t shoff;
  unsigned int shentsize;
};

/* Check the ELF header, every program header and every note section
 * against the image size.  Accepted: ELF64 for x86-64, ELF32 for i386 or
 * x86-64 (objcopy -O elf32-x86-64), with the program and section header
 * tables anywhere in the image, or no section headers at all.  Returns 0,
 * or -ENOEXEC with *why set to a short reason. */
int elf_open(struct elf_image *img, const void *data, size_t size, const char **why);
/* Program header i (i < img->nr_segments), already checked by elf_open. */
struct elf_segment elf_segment(const struct elf_image *img, unsigned int i);
/* Call fn for every note whose name is owner (a NUL-terminated string
 * within namesz): those in the PT_NOTE segments or, when these hold none
 * of owner's notes, those in the SHT_NOTE sections, as Xen's libelf looks
 * for its notes.  Name and desc are bounded by their segment or section.
 * Stops early and returns fn's value if it is non-zero; otherwise 0. */
int elf_for_each_note(const struct elf_image *img, const char *owner,
                      int (*fn)(const char *name, uint32_t namesz, uint32_t type,
                                const uint8_t *desc, uint32_t descsz, void *arg),
                      void *arg);

#endif
