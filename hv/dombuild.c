/* The domain builder (PVH): ELF kernels from boot modules into fresh guest
 * RAM, with struct hvm_start_info (version 1) after the kernel and ACPI
 * tables in a page outside RAM. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/acpi_build.h>
#include <hv/bootmod.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/dombuild.h>
#include <hv/elf.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/guestmem.h>
#include <hv/heap.h>
#include <hv/hwdom.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/xen.h>

/* What the modules say about one domain. */
struct domcfg {
  bool used;
  const struct boot_module *kernel, *initrd;
  unsigned int kernel_idx;
  struct bootmod km; /* the kernel's settings */
  bool bad;
  /* dom0's: images and ramdisks for its own domain builder */
  unsigned int nr_images;
  const struct boot_module *images[BOOTMOD_MAX_IMAGES];
  struct bootmod image_bm[BOOTMOD_MAX_IMAGES];
};

/* What the Xen ELF notes of a kernel say. */
struct notes {
  bool have_entry;
  uint32_t entry;
  char summary[160];
};

/* One Xen note (elf_for_each_note passes no other owner's) into *arg. */
static int note_fn(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                   uint32_t descsz, void *arg)
{
  struct notes *n = arg;
  (void)name;
  (void)namesz;
  size_t len = strlen(n->summary);
  if (type == XEN_ELFNOTE_PHYS32_ENTRY && descsz >= 4) {
    memcpy(&n->entry, desc, 4);
    n->have_entry = true;
    snprintf(n->summary + len, sizeof(n->summary) - len, " PHYS32_ENTRY=0x%x", n->entry);
  } else if ((type == XEN_ELFNOTE_GUEST_OS || type == XEN_ELFNOTE_XEN_VERSION ||
              type == XEN_ELFNOTE_LOADER || type == XEN_ELFNOTE_GUEST_VERSION) &&
             descsz > 0 && descsz < 32 && memchr(desc, '\0', descsz)) {
    snprintf(n->summary + len, sizeof(n->summary) - len, " %u=\"%s\"", type, (const char *)desc);
  } else {
    snprintf(n->summary + len, sizeof(n->summary) - len, " %u", type);
  }
  return 0;
}

/* Where guest RAM is: [0, low) and [4 GiB, 4 GiB + high). */
static void ram_layout(struct domain *d)
{
  d->ram_below_4g = MIN(d->mem_bytes, DOMBUILD_LOWMEM_END);
}

/* Load the PT_LOAD segments; returns the end of the highest one, or 0
 * after a message when the image does not fit. */
static uint64_t load_segments(struct domain *d, const struct elf_image *img)
{
  uint64_t end = 0;
  for (unsigned int i = 0; i < img->nr_segments; i++) {
    struct elf_segment s = elf_segment(img, i);
    if (s.type != ELF_PT_LOAD || !s.memsz)
      continue;
    bool fits = d->hwdom ? hwdom_is_ram(s.paddr, s.memsz)
                         : s.paddr >= MiB(1) && s.paddr + s.memsz <= d->ram_below_4g;
    if (!fits) {
      pr_err("%s: refused: segment 0x%llx-0x%llx is outside its %llu MiB of RAM "
             "(or below 1 MiB)",
             d->name, (unsigned long long)s.paddr, (unsigned long long)(s.paddr + s.memsz),
             (unsigned long long)(d->mem_bytes >> 20));
      return 0;
    }
    /* The RAM is fresh and zeroed, so only the file part is copied;
     * but the hardware domain's is the host's as the firmware left it. */
    if (guestmem_write(d, s.paddr, img->data + s.offset, s.filesz) ||
        (d->hwdom && s.memsz > s.filesz &&
         guestmem_zero(d, s.paddr + s.filesz, s.memsz - s.filesz)))
      return 0;
    end = MAX(end, s.paddr + s.memsz);
  }
  if (!end)
    pr_err("%s: refused: the kernel has nothing to load", d->name);
  return end;
}

unsigned int dombuild_memmap(const struct domain *d,
                             struct hvm_memmap_table_entry map[DOMBUILD_MEMMAP_MAX])
{
  unsigned int n = 0;
  map[n++] = (struct hvm_memmap_table_entry){0, d->ram_below_4g, XEN_HVM_MEMMAP_TYPE_RAM, 0};
  if (d->acpi_page) /* ACPI data: the OS may read it, never use it as RAM */
    map[n++] =
        (struct hvm_memmap_table_entry){DOMBUILD_ACPI_GPA, PAGE_SIZE, XEN_HVM_MEMMAP_TYPE_ACPI, 0};
  if (d->con_page) /* not RAM, and nothing the guest should put there */
    map[n++] = (struct hvm_memmap_table_entry){CONSOLE_RING_GFN << PAGE_SHIFT, PAGE_SIZE,
                                               XEN_HVM_MEMMAP_TYPE_RESERVED, 0};
  if (d->mem_bytes > d->ram_below_4g)
    map[n++] = (struct hvm_memmap_table_entry){GiB(4), d->mem_bytes - d->ram_below_4g,
                                               XEN_HVM_MEMMAP_TYPE_RAM, 0};
  return n;
}

/* Outside guest RAM, below the console page, in one page however many
 * vcpus. */
_Static_assert(DOMBUILD_ACPI_GPA >= DOMBUILD_LOWMEM_END &&
                   DOMBUILD_ACPI_GPA + PAGE_SIZE <= CONSOLE_RING_GFN << PAGE_SHIFT,
               "the ACPI page overlaps RAM or the console page");
_Static_assert(ACPI_BUILD_SIZE(DOMAIN_MAX_VCPUS) <= PAGE_SIZE, "ACPI tables exceed their page");

/* d's ACPI tables (one local APIC per vcpu) in a page of their own at
 * DOMBUILD_ACPI_GPA.  The frame is the domain's, as the console page is:
 * it stays the domain's if the guest maps something else over it, and
 * domain_destroy frees it.  Returns 0, -ENOMEM or an error of
 * acpi_build. */
static int place_acpi(struct domain *d)
{
  uint64_t where = ~0ULL;
  d->acpi_page = frame_alloc_zeroed();
  if (!d->acpi_page)
    return -ENOMEM;
  int n = acpi_build(phys_to_virt(d->acpi_page), PAGE_SIZE, DOMBUILD_ACPI_GPA, d->nr_vcpus);
  if (n < 0)
    return n;
  return guestmem_map_special(d, DOMBUILD_ACPI_GPA >> PAGE_SHIFT, d->acpi_page, &where);
}

/* Where the hardware domain's RSDP is (hwdom_populate chose the page). */
static uint64_t hwdom_acpi_gpa;

/* The hardware domain's RSDP, XSDT and MADT in the page at
 * hwdom_acpi_gpa, from the firmware's tables (arch_hwdom_acpi). */
static int place_hwdom_acpi(struct domain *d)
{
  static struct acpi_hwdom h;
  static uint8_t page[PAGE_SIZE];
  memset(&h, 0, sizeof(h));
  arch_hwdom_acpi(&h);
  h.nr_vcpus = d->nr_vcpus;
  int n = acpi_build_hwdom(page, sizeof(page), hwdom_acpi_gpa, &h);
  if (n < 0)
    return n;
  return guestmem_write(d, hwdom_acpi_gpa, page, (size_t)n);
}

/* Copy module m into d's RAM at *gpa (page aligned) and describe it in
 * *e; *gpa moves past it.  -ENOSPC (after a message) when it does not fit
 * below the end of d's low RAM. */
static int place_module(struct domain *d, const struct boot_module *m, uint64_t *gpa,
                        struct hvm_modlist_entry *e)
{
  uint64_t size = m->end - m->start;
  if (d->hwdom ? !hwdom_is_ram(*gpa, size) : *gpa + size > d->ram_below_4g) {
    pr_err("%s: refused: its kernel and modules (%llu bytes more) do not fit in %llu MiB", d->name,
           (unsigned long long)size, (unsigned long long)(d->mem_bytes >> 20));
    return -ENOSPC;
  }
  if (guestmem_write(d, *gpa, phys_to_virt(m->start), size))
    return -EFAULT;
  e->paddr = *gpa;
  e->size = size;
  *gpa = ALIGN_UP(*gpa + size, PAGE_SIZE);
  return 0;
}

/* struct hvm_start_info and what it points to, in the page at si_gpa;
 * the initrd (if any) goes in the pages after it, and then dom0's images
 * for its builder (modules 1.., each with its "image name=..." or
 * "ramdisk name=..." command line). */
static int place_start_info(struct domain *d, uint64_t si_gpa, const struct domcfg *c)
{
  struct {
    struct hvm_start_info si;
    struct hvm_modlist_entry mod[1 + BOOTMOD_MAX_IMAGES];
    struct hvm_memmap_table_entry map[DOMBUILD_MEMMAP_MAX];
    char cmdline[BOOT_STRING_MAX];
    char mod_cmdline[BOOTMOD_MAX_IMAGES][16 + BOOTMOD_NAME_MAX];
  } __attribute__((aligned(8))) blk;
  _Static_assert(sizeof(blk) <= PAGE_SIZE, "the start info block fits its page");
  memset(&blk, 0, sizeof(blk));

  uint64_t gpa = si_gpa + PAGE_SIZE;
  unsigned int n = 0;
  if (c->initrd && place_module(d, c->initrd, &gpa, &blk.mod[n++]))
    return -ENOSPC;
  for (unsigned int i = 0; i < c->nr_images; i++) {
    struct hvm_modlist_entry *e = &blk.mod[n++];
    if (place_module(d, c->images[i], &gpa, e))
      return -ENOSPC;
    snprintf(blk.mod_cmdline[i], sizeof(blk.mod_cmdline[i]), "%s name=%s",
             c->image_bm[i].kind == BOOTMOD_IMAGE ? "image" : "ramdisk", c->image_bm[i].name);
    e->cmdline_paddr = si_gpa + offsetof(__typeof__(blk), mod_cmdline[i]);
  }
  if (n) {
    blk.si.nr_modules = n;
    blk.si.modlist_paddr = si_gpa + offsetof(__typeof__(blk), mod);
  }
  blk.si.magic = XEN_HVM_START_MAGIC_VALUE;
  blk.si.version = 1;
  blk.si.flags = d->privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
  strlcpy(blk.cmdline, c->km.cmdline, sizeof(blk.cmdline));
  blk.si.cmdline_paddr = si_gpa + offsetof(__typeof__(blk), cmdline);
  blk.si.rsdp_paddr = d->acpi_page ? DOMBUILD_ACPI_GPA : 0;
  blk.si.memmap_paddr = si_gpa + offsetof(__typeof__(blk), map);
  blk.si.memmap_entries = dombuild_memmap(d, blk.map);
  if (d->hwdom) {
    /* The firmware's map, in the pages after the modules. */
    blk.si.rsdp_paddr = hwdom_acpi_gpa;
    blk.si.memmap_paddr = gpa;
    blk.si.memmap_entries = d->nr_memmap;
    for (unsigned int i = 0; i < d->nr_memmap; i++, gpa += sizeof(struct hvm_memmap_table_entry)) {
      struct hvm_memmap_table_entry e = {d->memmap[i].addr, d->memmap[i].size, d->memmap[i].type,
                                         0};
      if (!hwdom_is_ram(gpa, sizeof(e)) || guestmem_write(d, gpa, &e, sizeof(e))) {
        pr_err("%s: refused: no room for its memory map after its modules", d->name);
        return -ENOSPC;
      }
    }
  }
  return guestmem_write(d, si_gpa, &blk, sizeof(blk));
}

/* Build one domain from its modules; NULL after a message if refused. */
static struct domain *build(unsigned int id, const struct domcfg *c)
{
  uint64_t t0 = arch_cycles();
  char name[DOMAIN_NAME_MAX];
  snprintf(name, sizeof(name), id ? "domu%u" : "dom0", id);
  if (!c->kernel) {
    pr_err("%s: refused: it has no kernel module", name);
    return NULL;
  }

  struct elf_image img;
  const char *why;
  if (elf_open(&img, phys_to_virt(c->kernel->start), c->kernel->end - c->kernel->start, &why)) {
    pr_err("%s: refused: module %u: %s", name, c->kernel_idx, why);
    return NULL;
  }
  struct notes notes;
  memset(&notes, 0, sizeof(notes));
  elf_for_each_note(&img, "Xen", note_fn, &notes);
  if (!notes.have_entry) {
    pr_err("%s: refused: module %u has no XEN_ELFNOTE_PHYS32_ENTRY (not a PVH kernel)", name,
           c->kernel_idx);
    return NULL;
  }

  uint64_t mem = (uint64_t)(c->km.mem_mib ? c->km.mem_mib : DOMBUILD_DEFAULT_MEM_MIB) << 20;
  unsigned int vcpus = c->km.vcpus ? c->km.vcpus : 1;
  struct domain *d = domain_create((domid_t)id, name, id == 0, mem, vcpus);
  if (d && (c->km.weight || c->km.cap))
    sched_set_params(d, c->km.weight ? c->km.weight : d->weight, c->km.cap);
  if (!d)
    return NULL;
  int err;
  if (c->km.devices_host) {
    d->hwdom = true;
    err = hwdom_populate(d, &hwdom_acpi_gpa);
    if (!err)
      err = place_hwdom_acpi(d);
    if (!err)
      err = arch_hwdom_init(d);
    if (err) {
      pr_err("%s: refused: cannot give it the machine (%d)%s", name, err,
             err == -ENOENT ? ": see the devices=host message above" : "");
      goto fail;
    }
    mem = d->mem_bytes;
  } else {
    ram_layout(d);
    err = guestmem_populate(d, 0, d->ram_below_4g);
    if (!err && mem > d->ram_below_4g)
      err = guestmem_populate(d, GiB(4), mem - d->ram_below_4g);
    if (err) {
      pr_err("%s: refused: not enough free memory for %llu MiB", name,
             (unsigned long long)(mem >> 20));
      goto fail;
    }
  }
  if (!d->privileged) { /* dom0 keeps console_io, as in Xen */
    err = console_ring_create(d);
    if (err) {
      pr_err("%s: refused: cannot give it a console ring (%d)", name, err);
      goto fail;
    }
  }
  err = d->hwdom ? 0 : place_acpi(d);
  if (err) {
    pr_err("%s: refused: cannot give it ACPI tables (%d)", name, err);
    goto fail;
  }
  uint64_t end = load_segments(d, &img);
  if (!end)
    goto fail;
  uint64_t si_gpa = ALIGN_UP(end, PAGE_SIZE);
  if (d->hwdom ? !hwdom_is_ram(si_gpa, PAGE_SIZE) : si_gpa + PAGE_SIZE > d->ram_below_4g) {
    pr_err("%s: refused: no room for the start info after the kernel", name);
    goto fail;
  }
  if (notes.entry < MiB(1) || notes.entry >= end) {
    pr_err("%s: refused: entry 0x%x is not inside the loaded kernel", name, notes.entry);
    goto fail;
  }
  if (place_start_info(d, si_gpa, c))
    goto fail;
  err = arch_vcpu_init(d->vcpus[0], notes.entry, (uint32_t)si_gpa);
  if (err) {
    if (err == -ENODEV)
      pr_err("%s: refused: VT-x is unavailable (see the vmx: line above)", name);
    else
      pr_err("%s: refused: cannot set up its first vcpu (%d)", name, err);
    goto fail;
  }
  d->vcpus[0]->initialised = true;
  sched_vcpu_start(d->vcpus[0]);
  pr_info("%s: built: %llu MiB, %u vcpu(s), ELF%s notes:%s, start info at 0x%llx%s "
          "(%llu TSC ticks)",
          name, (unsigned long long)(mem >> 20), vcpus, img.is64 ? "64" : "32", notes.summary,
          (unsigned long long)si_gpa, c->initrd ? ", with initrd" : "",
          (unsigned long long)(arch_cycles() - t0));
  for (unsigned int i = 0; i < c->nr_images; i++)
    pr_info("%s: %s \"%s\" for its domain builder (%llu bytes)", name,
            c->image_bm[i].kind == BOOTMOD_IMAGE ? "image" : "ramdisk", c->image_bm[i].name,
            (unsigned long long)(c->images[i]->end - c->images[i]->start));
  return d;

fail:
  domain_destroy(d);
  return NULL;
}

unsigned int dombuild_all(const struct boot_info *bi)
{
  static struct domcfg cfg[BOOTMOD_MAX_DOMU + 1];
  unsigned int built = 0;

  memset(cfg, 0, sizeof(cfg));
  for (unsigned int i = 0; i < bi->nr_mods; i++) {
    struct bootmod bm;
    if (bootmod_parse(i, bi->mods[i].string, &bm))
      continue; /* reported; a domain missing its kernel is refused below */
    struct domcfg *c = &cfg[bm.domain];
    c->used = true;
    if (bm.kind == BOOTMOD_IMAGE || bm.kind == BOOTMOD_RAMDISK) {
      bool dup = c->nr_images == BOOTMOD_MAX_IMAGES;
      for (unsigned int j = 0; j < c->nr_images && !dup; j++)
        dup = c->image_bm[j].kind == bm.kind && !strcmp(c->image_bm[j].name, bm.name);
      if (dup) {
        pr_err("module %u: a second %s named %s, or more than %u images", i,
               bm.kind == BOOTMOD_IMAGE ? "image" : "ramdisk", bm.name, BOOTMOD_MAX_IMAGES);
        c->bad = true;
        continue;
      }
      c->image_bm[c->nr_images] = bm;
      c->images[c->nr_images++] = &bi->mods[i];
      continue;
    }
    if (bm.kind == BOOTMOD_KERNEL) {
      if (c->kernel) {
        pr_err("module %u: a second kernel for the same domain", i);
        c->bad = true;
        continue;
      }
      c->kernel = &bi->mods[i];
      c->kernel_idx = i;
      c->km = bm;
    } else {
      if (c->initrd) {
        pr_err("module %u: a second initrd for the same domain", i);
        c->bad = true;
        continue;
      }
      c->initrd = &bi->mods[i];
    }
  }
  if (!cfg[0].used) {
    for (unsigned int id = 1; id <= BOOTMOD_MAX_DOMU; id++)
      if (cfg[id].used) {
        pr_warn("no dom0 module: starting the other domains anyway");
        break;
      }
  }
  for (unsigned int id = 0; id <= BOOTMOD_MAX_DOMU; id++) {
    if (!cfg[id].used)
      continue;
    if (cfg[id].bad) {
      pr_err("%s%u: refused: its modules are inconsistent (see above)", id ? "domu" : "dom", id);
      continue;
    }
    if (build(id, &cfg[id]))
      built++;
  }
  return built;
}
