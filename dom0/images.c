/* The files dom0 was given for its domain builder: boot modules the
 * hypervisor placed in dom0's RAM and listed in its start info, each with
 * the command line "image name=NAME" (a guest kernel) or "ramdisk
 * name=NAME" (the initrd that goes with the image of the same name). */
#include "dom0.h"
#include "guest.h"

#define MAX_IMAGES 16

static struct image images[MAX_IMAGES];
static unsigned int nr_images;
/* dom0's RAM nobody uses (after its image and the modules), below 4 GiB. */
static uint64_t scratch_start, scratch_end;
static uint64_t ram_end; /* the end of dom0's highest RAM */

extern char __image_end[]; /* runtime/guest.ld: the end of dom0's .bss */

/* "image name=NAME" or "ramdisk name=NAME" into *img (name and kind). */
static bool parse(const char *s, struct image *img)
{
  const char *name;
  if (!strncmp(s, "image name=", 11)) {
    img->ramdisk = false;
    name = s + 11;
  } else if (!strncmp(s, "ramdisk name=", 13)) {
    img->ramdisk = true;
    name = s + 13;
  } else {
    return false;
  }
  size_t n = strlen(name);
  if (!n || n >= IMAGE_NAME_MAX)
    return false;
  memcpy(img->name, name, n + 1);
  return true;
}

void images_init(const struct hvm_start_info *si)
{
  const struct hvm_modlist_entry *mods =
      (const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;
  nr_images = 0;
  uint64_t used = (uint64_t)(uintptr_t)__image_end;
  for (unsigned int i = 0; i < si->nr_modules; i++)
    if (mods[i].paddr + mods[i].size > used)
      used = mods[i].paddr + mods[i].size;
  /* The start info itself sits after the kernel, before the modules. */
  if (si->memmap_paddr > used)
    used = si->memmap_paddr + 4096;
  used = (used + 4095) & ~4095ULL;
  const struct hvm_memmap_table_entry *map =
      (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
  for (unsigned int i = 0; si->memmap_paddr && i < si->memmap_entries; i++) {
    uint64_t end = map[i].addr + map[i].size;
    if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && map[i].addr <= used && used < end &&
        end <= (1ULL << 32)) {
      scratch_start = used;
      scratch_end = end;
    }
    if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && end > ram_end)
      ram_end = end;
  }
  for (unsigned int i = 0; i < si->nr_modules; i++) {
    const struct hvm_modlist_entry *m = &mods[i];
    const char *s = m->cmdline_paddr ? (const char *)(uintptr_t)m->cmdline_paddr : "";
    struct image img;
    /* The runtime maps the first 4 GiB: the hypervisor puts them below. */
    if (!parse(s, &img) || m->paddr + m->size > (1ULL << 32)) {
      printf("control: module %u (\"%s\") is not an image for the builder; ignored\n", i, s);
      continue;
    }
    if (nr_images == MAX_IMAGES) {
      printf("control: more than %u images; %s ignored\n", MAX_IMAGES, img.name);
      continue;
    }
    img.data = (const uint8_t *)(uintptr_t)m->paddr;
    img.size = m->size;
    images[nr_images++] = img;
  }
}

const struct image *images_find(const char *name, bool ramdisk)
{
  for (unsigned int i = 0; i < nr_images; i++)
    if (images[i].ramdisk == ramdisk && !strcmp(images[i].name, name))
      return &images[i];
  return NULL;
}

const struct image *images_get(unsigned int i) { return i < nr_images ? &images[i] : NULL; }

unsigned int images_count(void) { return nr_images; }

uint8_t *images_scratch(size_t *size)
{
  *size = (size_t)(scratch_end - scratch_start);
  return (uint8_t *)(uintptr_t)scratch_start;
}

uint64_t images_dom0_ram_end(void) { return ram_end; }
