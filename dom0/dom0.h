/* Our dom0: what its files share (control.c the console commands,
 * images.c the builder's boot modules, builder.c the domain builder). */
#ifndef DOM0_DOM0_H
#define DOM0_DOM0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/domctl.h>
#include <public/hvm.h>
#include <public/xen.h>

#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define IMAGE_NAME_MAX 32

/* ---- images.c: the files dom0 was given for its builder ---- */
struct image {
  char name[IMAGE_NAME_MAX];
  bool ramdisk; /* "ramdisk name=..." (else "image name=...") */
  const uint8_t *data;
  size_t size;
};

/* Find the modules of the start info whose command line is "image
 * name=NAME" or "ramdisk name=NAME"; others (an initrd of dom0's own) are
 * skipped.  Says what it found, and what it ignored. */
void images_init(const struct hvm_start_info *si);
/* The image or ramdisk named name, or NULL. */
const struct image *images_find(const char *name, bool ramdisk);
/* Image i (i < images_count()). */
const struct image *images_get(unsigned int i);
unsigned int images_count(void);
/* dom0's RAM that nothing uses (after its own image, the start info and
 * the modules, up to the end of that RAM, below 4 GiB): where the builder
 * unpacks a bzImage.  *size 0 when there is none. */
uint8_t *images_scratch(size_t *size);
/* Where dom0's RAM ends (its highest RAM entry). */
uint64_t images_dom0_ram_end(void);

/* ---- bzimage.c: a Linux bzImage's vmlinux ---- */
/* Whether data holds a bzImage ("HdrS" at 0x202). */
bool bzimage_is(const uint8_t *data, size_t size);
/* Unpack the ELF vmlinux of bzImage data into out (max bytes): 0 with
 * *len, or -1 with *why (one line): an old boot protocol, a payload
 * outside the file, a compression other than LZ4, a damaged payload, or
 * not enough room. */
int bzimage_unpack(const uint8_t *data, size_t size, uint8_t *out, size_t max, size_t *len,
                   const char **why);

/* ---- builder.c: a PVH guest from an image, through the hypercalls
 * Xen's libxenguest uses ---- */
struct build_request {
  const char *image;    /* an image's name */
  unsigned int mem_mib; /* its RAM; 0: the default */
  unsigned int vcpus;   /* 0: one */
  const char *cmdline;  /* the guest's command line ("" for none) */
};

#define BUILDER_DEFAULT_MEM_MIB 64
#define BUILDER_MAX_VCPUS 32

/* TSC ticks of the builder's stages (under Bochs: instructions). */
struct build_times {
  uint64_t populate; /* populate_physmap of its RAM */
  uint64_t map;      /* add_to_physmap_batch calls */
  uint64_t copy;     /* copying kernel, ramdisk, start info, ACPI tables */
  uint64_t unmap;    /* remove_from_physmap multicalls */
};

/* Build and start a domain.  On success returns 0 with its id in *id;
 * on failure returns a negative Xen errno after writing why (one line,
 * no newline) into why[size], having destroyed any domain it made, so
 * that nothing is left behind.  *t says where the time went. */
int builder_create(const struct build_request *r, domid_t *id, char *why, size_t size,
                   struct build_times *t);

/* ---- control.c ---- */
long domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op);
/* "EINVAL (invalid)" and so on, for a negative Xen errno. */
const char *errno_name(long rc);

#endif
