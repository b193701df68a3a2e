/* The domain builder that runs in dom0: a PVH guest from an ELF image,
 * made through the hypercalls Xen's toolstack (libxl and libxenguest)
 * uses, in its order: XEN_DOMCTL_createdomain, max_mem, populate_physmap
 * on the new domain, its frames mapped into dom0's physical space
 * (XENMEM_add_to_physmap_batch with XENMAPSPACE_gmfn_foreign) to load the
 * kernel, the initrd, struct hvm_start_info and the ACPI tables,
 * XENMEM_set_memory_map, the first vcpu's state by sethvmcontext, and
 * unpause.  The guest's layout is the one the hypervisor's boot-time
 * builder gives (hv/dombuild.c), and the ELF checks and the ACPI tables
 * are the same source files (hv/elf.c, hv/acpi_build.c), built into dom0
 * too.  Before it starts, the guest gets its xenstore (give_store,
 * xsdomain.c) in a page just below its console ring. */
#include <hv/acpi_build.h>
#include <hv/elf.h>
#include <public/errno.h>
#include <public/hvm.h>
#include <public/hvm_save.h>
#include <public/memory.h>

#include "dom0.h"
#include "guest.h"
#include "hypercall.h"

/* The guest's physical layout (as hv/dombuild.c's): RAM from 0 up to at
 * most LOWMEM_END, the rest at 4 GiB; its ACPI tables in a page of RAM
 * at ACPI_GPA (libxl's place for a PVH guest's), marked ACPI. */
#define LOWMEM_END 0xf0000000ULL
#define ACPI_GPA 0xfc000000ULL
#define GIB4 (1ULL << 32)
#define PAGE 4096ULL

/* Where dom0 sees the new guest's frames while it loads them: WINDOW_PAGES
 * gfns of its own physical space, above its RAM, inside the 4 GiB the
 * runtime maps. */
#define WINDOW_GPA 0xe0000000ULL
#define WINDOW_PAGES 1024
/* The guest's xenstore page: the gfn below its console ring's, as
 * libxl's special pages sit together below the end of the low hole. */
#define STORE_GFN(console_gfn) ((console_gfn)-1)
/* Extents per populate_physmap call. */
#define POPULATE_BATCH 256

struct build {
  domid_t id;
  bool created;
  uint64_t low, high;    /* RAM below LOWMEM_END, and at 4 GiB */
  unsigned int window_n; /* pages queued for the window, or mapped there */
  char *why;
  size_t why_size;
  struct build_times *t; /* where the TSC ticks went */
};

static xen_ulong_t idxs[WINDOW_PAGES];
static xen_pfn_t gpfns[WINDOW_PAGES];
static int errs[WINDOW_PAGES];

static int fail(struct build *b, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct build *b, int err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->why, b->why_size, fmt, ap);
  va_end(ap);
  return err;
}

static long memory_op(unsigned int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, PTR(arg));
}

static long domctl(struct xen_domctl *op) { return hypercall1(__HYPERVISOR_domctl, PTR(op)); }

/* Whether the 4 KiB at p are all zeros (REPE SCASQ stops at the first
 * other quadword, so a page with data costs a few instructions). */
static bool zero_page(const void *p)
{
  const void *q = p;
  size_t n = PAGE / 8;
  bool z;
  __asm__ volatile("repe scasq" : "+D"(q), "+c"(n), "=@ccz"(z) : "a"(0ULL) : "memory");
  return z;
}

/* Copies n bytes 8 at a time (REP MOVSQ): the kernel is tens of MB. */
static void copy(void *dst, const void *src, size_t n)
{
  size_t q = n / 8, r = n % 8;
  __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(r) : : "memory");
}

/* Drop what the window shows: one XENMEM_remove_from_physmap per page, as
 * Linux's privcmd does, but in one multicall (a mapping cannot be
 * replaced in place: Xen refuses a foreign frame over another, -ENXIO). */
static void unmap_window(struct build *b)
{
  static struct multicall_entry mc[WINDOW_PAGES];
  unsigned int n = b->window_n;
  /* Each call's argument lives in its own entry (args[2] and args[3] hold
   * a struct xen_remove_from_physmap): the hypervisor then reads both from
   * one guest page, not from two arrays. */
  _Static_assert(sizeof(struct xen_remove_from_physmap) == 2 * sizeof(xen_ulong_t),
                 "a remove_from_physmap argument fits in two multicall args");
  for (unsigned int i = 0; i < n; i++) {
    struct xen_remove_from_physmap rm = {.domid = DOMID_SELF, .gpfn = WINDOW_GPA / PAGE + i};
    mc[i] = (struct multicall_entry){.op = __HYPERVISOR_memory_op,
                                     .args = {XENMEM_remove_from_physmap, PTR(&mc[i].args[2])}};
    memcpy(&mc[i].args[2], &rm, sizeof(rm));
  }
  uint64_t t0 = rdtsc_ordered();
  if (n)
    hypercall2(__HYPERVISOR_multicall, PTR(mc), n);
  b->window_n = 0;
  b->t->unmap += rdtsc_ordered() - t0;
}

/* The pages queued for the window: guest page gfn gets len bytes from
 * src at offset off.  Written when the window is full and at the end
 * (flush). */
struct pending {
  const uint8_t *src;
  uint32_t off, len;
};
static struct pending queued[WINDOW_PAGES];

/* Map the queued pages into the window (one batch), copy them, unmap. */
static int flush(struct build *b)
{
  unsigned int n = b->window_n;
  if (!n)
    return 0;
  for (unsigned int i = 0; i < n; i++) {
    gpfns[i] = WINDOW_GPA / PAGE + i;
    errs[i] = 0;
  }
  struct xen_add_to_physmap_batch m = {.domid = DOMID_SELF,
                                       .space = XENMAPSPACE_gmfn_foreign,
                                       .size = (uint16_t)n,
                                       .u.foreign_domid = b->id,
                                       .idxs = PTR(idxs),
                                       .gpfns = PTR(gpfns),
                                       .errs = PTR(errs)};
  uint64_t t0 = rdtsc_ordered();
  long rc = memory_op(XENMEM_add_to_physmap_batch, &m);
  b->t->map += rdtsc_ordered() - t0;
  unsigned int bad = 0;
  for (; !rc && bad < n; bad++)
    rc = errs[bad];
  if (!rc) {
    t0 = rdtsc_ordered();
    for (unsigned int i = 0; i < n; i++)
      copy((uint8_t *)(uintptr_t)(WINDOW_GPA + i * PAGE + queued[i].off), queued[i].src,
           queued[i].len);
    b->t->copy += rdtsc_ordered() - t0;
  }
  unmap_window(b); /* what was mapped, also after a refusal half way */
  if (rc)
    return fail(b, (int)rc, "cannot map its frame at 0x%llx",
                (unsigned long long)(idxs[bad ? bad - 1 : 0] * PAGE));
  return 0;
}

/* Queue len bytes from src for the guest at gpa.  skip_zero: a whole page
 * of zeros is left out (fresh RAM is zeroed already), which spares the
 * map, copy and unmap of a third of Linux's pages. */
static int guest_write(struct build *b, uint64_t gpa, const void *src, size_t len, bool skip_zero)
{
  const uint8_t *s = src;
  while (len) {
    uint32_t off = (uint32_t)(gpa % PAGE);
    uint32_t chunk = (uint32_t)(len < PAGE - off ? len : PAGE - off);
    if (!(skip_zero && chunk == PAGE && zero_page(s))) {
      idxs[b->window_n] = gpa / PAGE;
      queued[b->window_n++] = (struct pending){s, off, chunk};
      if (b->window_n == WINDOW_PAGES) {
        int err = flush(b);
        if (err)
          return err;
      }
    }
    s += chunk;
    gpa += chunk;
    len -= chunk;
  }
  return 0;
}

/* RAM [gpa, gpa + size) for the guest, in 2 MiB extents where aligned. */
static int populate(struct build *b, uint64_t gpa, uint64_t size)
{
  static xen_pfn_t list[POPULATE_BATCH];
  uint64_t end = gpa + size;
  while (gpa < end) {
    unsigned int order = 0, n = 0;
    /* One order per call: the 2 MiB run, or the 4 KiB pages up to it. */
    if (!(gpa & ((2ULL << 20) - 1)) && end - gpa >= (2ULL << 20))
      order = 9;
    uint64_t step = PAGE << order;
    while (n < POPULATE_BATCH && gpa + step <= end &&
           (order == 9 || (gpa & ((2ULL << 20) - 1)) || end - gpa < (2ULL << 20))) {
      list[n++] = gpa / PAGE;
      gpa += step;
    }
    struct xen_memory_reservation r = {
        .extent_start = PTR(list), .nr_extents = n, .extent_order = order, .domid = b->id};
    long got = memory_op(XENMEM_populate_physmap, &r);
    if (got != (long)n)
      return fail(b, got < 0 ? (int)got : -XEN_ENOMEM,
                  "not enough free memory for its RAM (at 0x%llx)",
                  (unsigned long long)(gpa - (n - (got > 0 ? got : 0)) * step));
  }
  return 0;
}

/* What the image's Xen notes say: the PVH entry point. */
struct notes {
  bool have_entry;
  uint32_t entry;
};

static int note_fn(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                   uint32_t descsz, void *arg)
{
  struct notes *n = arg;
  (void)name;
  (void)namesz;
  if (type == 18 /* XEN_ELFNOTE_PHYS32_ENTRY */ && descsz >= 4) {
    memcpy(&n->entry, desc, 4);
    n->have_entry = true;
  }
  return 0;
}

/* Kernel, initrd, start info and ACPI tables into the guest, and its
 * memory map; *si_gpa is where the start info went. */
static int load(struct build *b, const struct elf_image *img, uint32_t entry,
                const struct image *ramdisk, const struct build_request *r, unsigned int vcpus,
                uint64_t console_gfn, uint64_t *si_gpa)
{
  uint64_t end = 0;
  for (unsigned int i = 0; i < img->nr_segments; i++) {
    struct elf_segment s = elf_segment(img, i);
    if (s.type != ELF_PT_LOAD || !s.memsz)
      continue;
    /* Fresh RAM is zeroed: only the file part is copied. */
    int err = guest_write(b, s.paddr, img->data + s.offset, s.filesz, true);
    if (err)
      return err;
    if (s.paddr + s.memsz > end)
      end = s.paddr + s.memsz;
  }
  struct {
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry map[4];
    char cmdline[1024];
  } __attribute__((aligned(8))) blk;
  memset(&blk, 0, sizeof(blk));
  uint64_t si = (end + PAGE - 1) & ~(PAGE - 1);
  uint64_t rd = si + PAGE;
  uint64_t need = rd + (ramdisk ? ramdisk->size : 0);
  if (need > b->low)
    return fail(b, -XEN_ENOMEM, "kernel%s and start info need %llu MiB: give it more (mem=)",
                ramdisk ? ", ramdisk" : "", (unsigned long long)((need + (1 << 20) - 1) >> 20));
  if (entry < 0x100000 || entry >= end)
    return fail(b, -XEN_EINVAL, "entry 0x%x is not inside the loaded kernel", entry);
  if (ramdisk) {
    int err = guest_write(b, rd, ramdisk->data, ramdisk->size, false);
    if (err)
      return err;
    blk.mod.paddr = rd;
    blk.mod.size = ramdisk->size;
    blk.si.nr_modules = 1;
    blk.si.modlist_paddr = si + offsetof(__typeof__(blk), mod);
  }
  unsigned int n = 0;
  blk.map[n++] = (struct hvm_memmap_table_entry){0, b->low, XEN_HVM_MEMMAP_TYPE_RAM, 0};
  blk.map[n++] = (struct hvm_memmap_table_entry){ACPI_GPA, PAGE, XEN_HVM_MEMMAP_TYPE_ACPI, 0};
  /* The store page (give_store) and the console ring. */
  blk.map[n++] = (struct hvm_memmap_table_entry){STORE_GFN(console_gfn) * PAGE, 2 * PAGE,
                                                 XEN_HVM_MEMMAP_TYPE_RESERVED, 0};
  if (b->high)
    blk.map[n++] = (struct hvm_memmap_table_entry){GIB4, b->high, XEN_HVM_MEMMAP_TYPE_RAM, 0};
  blk.si.magic = XEN_HVM_START_MAGIC_VALUE;
  blk.si.version = 1;
  size_t len = strlen(r->cmdline);
  if (len >= sizeof(blk.cmdline))
    return fail(b, -XEN_E2BIG, "the command line is longer than %zu bytes",
                sizeof(blk.cmdline) - 1);
  memcpy(blk.cmdline, r->cmdline, len + 1);
  blk.si.cmdline_paddr = si + offsetof(__typeof__(blk), cmdline);
  blk.si.rsdp_paddr = ACPI_GPA;
  blk.si.memmap_paddr = si + offsetof(__typeof__(blk), map);
  blk.si.memmap_entries = n;
  int err = guest_write(b, si, &blk, sizeof(blk), false);
  if (err)
    return err;

  static uint8_t acpi[PAGE] __attribute__((aligned(16)));
  memset(acpi, 0, sizeof(acpi));
  int size = acpi_build(acpi, sizeof(acpi), ACPI_GPA, vcpus);
  if (size < 0)
    return fail(b, size, "cannot make its ACPI tables (%d)", size);
  err = guest_write(b, ACPI_GPA, acpi, (size_t)size, false);
  if (!err)
    err = flush(b);
  if (err)
    return err;

  /* XENMEM_memory_map answers with the same map. */
  static struct e820entry e820[4];
  for (unsigned int i = 0; i < n; i++)
    e820[i] = (struct e820entry){blk.map[i].addr, blk.map[i].size, blk.map[i].type};
  struct xen_foreign_memory_map fm = {.domid = b->id, .map = {n, PTR(e820)}};
  long rc = memory_op(XENMEM_set_memory_map, &fm);
  if (rc)
    return fail(b, (int)rc, "set_memory_map failed");
  *si_gpa = si;
  return 0;
}

/* vcpu 0's start: the saved context's HEADER as the hypervisor gives it,
 * a CPU record in the PVH start state (32-bit protected mode, flat
 * segments, paging off, EBX the start info), END: what libxenguest's
 * vcpu_hvm writes. */
static int start_state(struct build *b, uint32_t entry, uint64_t si)
{
  static uint8_t ctx[8192] __attribute__((aligned(8)));
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_gethvmcontext, b->id);
  op.u.hvmcontext.size = sizeof(ctx);
  op.u.hvmcontext.buffer = PTR(ctx);
  long rc = domctl(&op);
  if (rc)
    return fail(b, (int)rc, "gethvmcontext failed");
  struct hvm_save_descriptor d;
  struct hvm_save_header h;
  memcpy(&d, ctx, sizeof(d));
  memcpy(&h, ctx + sizeof(d), sizeof(h));
  if (d.typecode != HVM_SAVE_CODE_HEADER || d.length != sizeof(h))
    return fail(b, -XEN_EINVAL, "gethvmcontext: no HEADER record first");

  struct hvm_hw_cpu c;
  memset(&c, 0, sizeof(c));
  c.cs_limit = c.ds_limit = c.es_limit = c.ss_limit = c.fs_limit = c.gs_limit = ~0U;
  c.cs_arbytes = 0xc9b; /* code, present, 32-bit, 4 KiB granular */
  c.ds_arbytes = c.es_arbytes = c.ss_arbytes = c.fs_arbytes = c.gs_arbytes = 0xc93;
  c.tr_arbytes = 0x8b; /* a busy 32-bit TSS */
  c.tr_limit = 0x67;
  c.cr0 = 0x11; /* PE | ET */
  c.rip = entry;
  c.rbx = si;
  c.rflags = 2;
  uint8_t *p = ctx;
  struct hvm_save_descriptor dh = {HVM_SAVE_CODE_HEADER, 0, sizeof(h)};
  struct hvm_save_descriptor dc = {HVM_SAVE_CODE_CPU, 0, sizeof(c)};
  struct hvm_save_descriptor de = {HVM_SAVE_CODE_END, 0, 0};
  memcpy(p, &dh, sizeof(dh));
  memcpy(p += sizeof(dh), &h, sizeof(h));
  memcpy(p += sizeof(h), &dc, sizeof(dc));
  memcpy(p += sizeof(dc), &c, sizeof(c));
  memcpy(p += sizeof(c), &de, sizeof(de));
  p += sizeof(de);
  domctl_init(&op, XEN_DOMCTL_sethvmcontext, b->id);
  op.u.hvmcontext.size = (uint32_t)(p - ctx);
  op.u.hvmcontext.buffer = PTR(ctx);
  rc = domctl(&op);
  return rc ? fail(b, (int)rc, "sethvmcontext failed") : 0;
}

/* The guest's xenstore (xsdomain.c) in its page at STORE_GFN, with
 * memory/target its RAM. */
static int give_store(struct build *b, const struct build_request *r, uint64_t mem,
                      uint64_t console_gfn)
{
  char why[96];
  int err = xsdomain_setup(b->id, r->image, mem >> 10, r->vcpus ? r->vcpus : 1,
                           STORE_GFN(console_gfn), why, sizeof(why));
  return err ? fail(b, err, "%s", why) : 0;
}

static int build(struct build *b, const struct build_request *r, const struct image *kernel,
                 const struct image *ramdisk)
{
  struct elf_image img;
  const char *why;
  const uint8_t *data = kernel->data;
  size_t size = kernel->size;
  if (images_dom0_ram_end() > WINDOW_GPA)
    return fail(b, -XEN_ENOMEM, "dom0's RAM reaches its builder's window at 0x%llx: give it less",
                (unsigned long long)WINDOW_GPA);
  if (bzimage_is(data, size)) {
    /* The vmlinux inside, unpacked into dom0's free RAM (slow under an
     * emulator: every byte is an instruction or more; an ELF image is
     * copied as it is). */
    size_t room;
    uint8_t *scratch = images_scratch(&room);
    if (bzimage_unpack(data, size, scratch, room, &size, &why))
      return fail(b, -XEN_ENOEXEC, "image %s is a bzImage, but %s", kernel->name, why);
    data = scratch;
  }
  if (elf_open(&img, data, size, &why))
    return fail(b, -XEN_ENOEXEC, "image %s is not a kernel dom0 can build: %s", kernel->name, why);
  struct notes notes = {false, 0};
  elf_for_each_note(&img, "Xen", note_fn, &notes);
  if (!notes.have_entry)
    return fail(b, -XEN_ENOEXEC, "image %s is not a PVH kernel (no XEN_ELFNOTE_PHYS32_ENTRY note)",
                kernel->name);

  uint64_t mem = (uint64_t)(r->mem_mib ? r->mem_mib : BUILDER_DEFAULT_MEM_MIB) << 20;
  unsigned int vcpus = r->vcpus ? r->vcpus : 1;
  b->low = mem < LOWMEM_END ? mem : LOWMEM_END;
  b->high = mem - b->low;
  for (unsigned int i = 0; i < img.nr_segments; i++) {
    struct elf_segment s = elf_segment(&img, i);
    if (s.type == ELF_PT_LOAD && s.memsz && (s.paddr < 0x100000 || s.paddr + s.memsz > b->low))
      return fail(b, -XEN_ENOMEM,
                  "image %s: segment 0x%llx-0x%llx is outside %llu MiB of RAM (or below 1 MiB)",
                  kernel->name, (unsigned long long)s.paddr,
                  (unsigned long long)(s.paddr + s.memsz), (unsigned long long)(mem >> 20));
  }

  /* The domain, as libxl makes a PVH domU. */
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_createdomain, 0);
  struct xen_domctl_createdomain *c = &op.u.createdomain;
  c->flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
  c->max_vcpus = vcpus;
  c->max_evtchn_port = 1023;
  c->max_grant_frames = -1;
  c->max_maptrack_frames = -1;
  c->grant_opts = 1;
  c->arch.emulation_flags = XEN_X86_EMU_LAPIC;
  long rc = domctl(&op);
  if (rc)
    return fail(b, (int)rc, "createdomain failed");
  b->id = op.domain;
  b->created = true;

  domctl_init(&op, XEN_DOMCTL_max_vcpus, b->id);
  op.u.max_vcpus.max = vcpus;
  if ((rc = domctl(&op)))
    return fail(b, (int)rc, "max_vcpus failed");
  domctl_init(&op, XEN_DOMCTL_max_mem, b->id);
  op.u.max_mem.max_memkb = (mem + 2 * PAGE) >> 10; /* and the ACPI and store pages */
  if ((rc = domctl(&op)))
    return fail(b, (int)rc, "max_mem failed");
  /* Its memory: the RAM, the ACPI page (and the store's, xsdomain.c). */
  uint64_t t0 = rdtsc_ordered();
  int err = populate(b, 0, b->low);
  if (!err && b->high)
    err = populate(b, GIB4, b->high);
  if (!err)
    err = populate(b, ACPI_GPA, PAGE);
  b->t->populate = rdtsc_ordered() - t0;
  if (err)
    return err;

  /* The console ring the hypervisor gave it: marked reserved in its map. */
  struct xen_hvm_param p = {.domid = b->id, .index = HVM_PARAM_CONSOLE_PFN};
  rc = hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, PTR(&p));
  if (rc)
    return fail(b, (int)rc, "get_param CONSOLE_PFN failed");

  if ((err = give_store(b, r, mem, p.value)))
    return err;
  uint64_t si = 0;
  err = load(b, &img, notes.entry, ramdisk, r, vcpus, p.value, &si);
  unmap_window(b);
  if (err)
    return err;
  err = start_state(b, notes.entry, si);
  if (err)
    return err;
  rc = domctl_cmd(XEN_DOMCTL_unpausedomain, b->id, &op);
  return rc ? fail(b, (int)rc, "unpause failed") : 0;
}

int builder_create(const struct build_request *r, domid_t *id, char *why, size_t size,
                   struct build_times *t)
{
  struct build b;
  memset(&b, 0, sizeof(b));
  memset(t, 0, sizeof(*t));
  b.t = t;
  b.why = why;
  b.why_size = size;
  why[0] = '\0';
  const struct image *kernel = images_find(r->image, false);
  if (!kernel)
    return fail(&b, -XEN_ENOENT, "no image named %s (`images` lists them)", r->image);
  if (r->vcpus > BUILDER_MAX_VCPUS)
    return fail(&b, -XEN_EINVAL, "%u vcpus: at most %u", r->vcpus, BUILDER_MAX_VCPUS);
  int err = build(&b, r, kernel, images_find(r->image, true));
  if (err && b.created) {
    /* Nothing half-built is left behind. */
    unmap_window(&b);
    xsdomain_release(b.id);
    struct xen_domctl op;
    domctl_cmd(XEN_DOMCTL_destroydomain, b.id, &op);
  }
  if (!err)
    *id = b.id;
  return err;
}
