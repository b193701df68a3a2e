/* ELF images: just enough of the format to check and load a kernel
 * (ELF32 or ELF64, x86, little-endian; the System V gABI layouts). */
#ifndef HV_ELF_H
#define HV_ELF_H

#include <hv/types.h>

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4

/* One program header, widened to 64 bits whatever the ELF class. */
struct elf_segment {
  uint32_t type;
  uint64_t offset, paddr, filesz, memsz;
};

struct elf_image {
  const uint8_t *data;
  size_t size;
  bool is64;
  uint64_t entry;
  unsigned int nr_segments;
  uint64_t phoff;
  unsigned int phentsize;
};

/* Check the ELF header and every program header against the image size.
 * Returns 0, or -ENOEXEC with *why set to a short reason. */
int elf_open(struct elf_image *img, const void *data, size_t size, const char **why);
/* Program header i (i < img->nr_segments), already checked by elf_open. */
struct elf_segment elf_segment(const struct elf_image *img, unsigned int i);
/* Call fn for every note in the PT_NOTE segments (name and desc bounded by
 * the segment).  Stops early and returns fn's value if it is non-zero. */
int elf_for_each_note(const struct elf_image *img,
                      int (*fn)(const char *name, uint32_t namesz, uint32_t type,
                                const uint8_t *desc, uint32_t descsz, void *arg),
                      void *arg);

#endif
