/* hv.efi: the hypervisor as a UEFI application (GNU-EFI).  The firmware
 * starts it; it reads hv.cfg beside itself, loads the modules it names and
 * the hypervisor image it carries (build/hv.elf, stripped, linked in by
 * hv_image.S) at that image's link address, gathers what only the
 * firmware knows (ACPI RSDP, GOP framebuffer, memory map), calls
 * ExitBootServices and jumps to the image's efi_start64 with a
 * struct efi_handover.  From there the start-up is the multiboot2 one.
 *
 * Every problem is said on the firmware's console (the screen, and the
 * serial line where the firmware mirrors it) and kept for the
 * hypervisor's log.  When nothing can start (no hv.cfg, no such section,
 * no room for the image) it waits for a key and returns to the firmware.
 * No boot service is called after ExitBootServices; runtime services are
 * never used. */
#include <efi.h>

#include <hv/efi.h>
#include <hv/efi_cfg.h>
#include <hv/errno.h>
#include <hv/string.h>

#include "hv_entry.h" /* HV_EFI_ENTRY: efi_start64's address (generated) */

extern const uint8_t hv_image[], hv_image_end[];

#define CFG_DEFAULT "hv.cfg"
#define CFG_MAX (256 * 1024) /* a config file bigger than this is a mistake */
#define BELOW_4G 0xffffffffULL
#define KEY_WAIT_S 30
#define CR4_LA57 (1ULL << 12)

static EFI_HANDLE image_handle;
static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;
static struct efi_handover *ho;
static char cfg_path[EFI_CFG_PATH_MAX];

/* Messages for the hypervisor's log: in early_msg until the hand-over
 * exists, then in it. */
static char early_msg[1024];
static char *msg_buf = early_msg;
static size_t msg_max = sizeof(early_msg), msg_len;

static void msg_keep(int level, const char *line, size_t n)
{
  if (msg_len + n + 2 > msg_max)
    return; /* the log is full: the screen still shows it */
  msg_buf[msg_len++] = (char)('0' + level);
  memcpy(msg_buf + msg_len, line, n);
  msg_len += n;
  msg_buf[msg_len++] = '\n';
}

static void con_write(const char *s)
{
  CHAR16 out[128];
  size_t k = 0;
  for (; *s; s++) {
    if (*s == '\n')
      out[k++] = L'\r';
    out[k++] = (unsigned char)*s < 0x80 ? (CHAR16)*s : L'?';
    if (k >= ARRAY_SIZE(out) - 3 || !s[1]) {
      out[k] = 0;
      uefi_call_wrapper(st->ConOut->OutputString, 2, st->ConOut, out);
      k = 0;
    }
  }
}

/* Say one line (level: 0 error .. 3 debug) and keep it for the hypervisor's
 * log, which shows it again a moment later.  Only problems (errors and
 * warnings) go to the firmware's console at once: under emulation each
 * character there costs thousands of instructions of the boot. */
static void say(int level, const char *fmt, ...) __printf(2, 3);

static void say(int level, const char *fmt, ...)
{
  char line[240];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  n = MIN(n, (int)sizeof(line) - 1);
  msg_keep(level, line, (size_t)n);
  if (level <= 1) {
    con_write(line);
    con_write("\n");
  }
}

/* Every allocation is remembered, so that hv.efi leaves nothing behind
 * when it gives control back to the firmware. */
static struct {
  EFI_PHYSICAL_ADDRESS pa;
  UINTN pages;
} allocs[BOOT_MAX_MODS + 8];
static unsigned int nr_allocs;

static void *alloc_pages(EFI_ALLOCATE_TYPE how, EFI_MEMORY_TYPE type, uint64_t addr, uint64_t bytes)
{
  EFI_PHYSICAL_ADDRESS pa = addr;
  UINTN pages = (UINTN)((bytes + 4095) / 4096);
  if (nr_allocs == ARRAY_SIZE(allocs) ||
      uefi_call_wrapper(bs->AllocatePages, 4, how, type, pages, &pa) != EFI_SUCCESS)
    return NULL;
  allocs[nr_allocs].pa = pa;
  allocs[nr_allocs++].pages = pages;
  return (void *)(uintptr_t)pa;
}

static void free_pages(void *p)
{
  for (unsigned int i = 0; i < nr_allocs; i++) {
    if (allocs[i].pa == (EFI_PHYSICAL_ADDRESS)(uintptr_t)p) {
      uefi_call_wrapper(bs->FreePages, 2, allocs[i].pa, allocs[i].pages);
      allocs[i] = allocs[--nr_allocs];
      return;
    }
  }
}

/* Wait for a key (or KEY_WAIT_S seconds), free what hv.efi took and give
 * control back. */
static EFI_STATUS give_up(EFI_STATUS why)
{
  EFI_EVENT ev[2];
  UINTN idx;
  EFI_INPUT_KEY key;

  /* Keys typed before the question are not its answer. */
  for (unsigned int i = 0; i < 64; i++)
    if (uefi_call_wrapper(st->ConIn->ReadKeyStroke, 2, st->ConIn, &key) != EFI_SUCCESS)
      break;
  say(0, "hv.efi: nothing can start; press a key to return to the firmware (%u s)", KEY_WAIT_S);
  ev[0] = st->ConIn->WaitForKey;
  if (uefi_call_wrapper(bs->CreateEvent, 5, EVT_TIMER, 0, NULL, NULL, &ev[1]) == EFI_SUCCESS &&
      uefi_call_wrapper(bs->SetTimer, 3, ev[1], TimerRelative, (UINT64)KEY_WAIT_S * 10000000) ==
          EFI_SUCCESS) {
    uefi_call_wrapper(bs->WaitForEvent, 3, 2, ev, &idx);
    uefi_call_wrapper(bs->CloseEvent, 1, ev[1]);
  }
  uefi_call_wrapper(st->ConIn->ReadKeyStroke, 2, st->ConIn, &key);
  msg_buf = early_msg; /* the log may live in what is freed now */
  msg_max = sizeof(early_msg);
  msg_len = 0;
  while (nr_allocs)
    free_pages((void *)(uintptr_t)allocs[nr_allocs - 1].pa);
  say(0, "hv.efi: returning to the firmware");
  return why;
}

/* ASCII to UCS-2 for the file protocol (false when it does not fit). */
static bool to_ucs2(const char *s, CHAR16 *out, size_t max)
{
  size_t n = strlen(s);
  if (n + 1 > max)
    return false;
  for (size_t i = 0; i <= n; i++)
    out[i] = (unsigned char)s[i];
  return true;
}

/* Below 4 GiB if there is room there, else anywhere. */
static void *alloc_low(uint64_t bytes)
{
  void *p = alloc_pages(AllocateMaxAddress, EfiLoaderData, BELOW_4G, bytes);
  return p ? p : alloc_pages(AllocateAnyPages, EfiLoaderData, 0, bytes);
}

/* The directory hv.efi was loaded from ("\EFI\BOOT\"), from the file path
 * nodes of its device path; "\" when it has none. */
static void image_dir(EFI_LOADED_IMAGE *li, char *dir, size_t size)
{
  size_t n = 0;
  EFI_DEVICE_PATH *dp = li->FilePath;

  for (unsigned int guard = 0; dp && guard < 64; guard++) {
    unsigned int len = (unsigned int)dp->Length[0] | (unsigned int)dp->Length[1] << 8;
    if (dp->Type == END_DEVICE_PATH_TYPE || len < 4)
      break;
    if (dp->Type == MEDIA_DEVICE_PATH && dp->SubType == MEDIA_FILEPATH_DP) {
      const CHAR16 *name = ((FILEPATH_DEVICE_PATH *)dp)->PathName;
      for (unsigned int i = 0; i < (len - 4) / 2 && name[i]; i++) {
        if (n && dir[n - 1] == '\\' && name[i] == L'\\')
          continue;
        if (n + 1 < size)
          dir[n++] = name[i] < 0x80 ? (char)(name[i] == L'/' ? '\\' : name[i]) : '?';
      }
      if (n + 1 < size && (!n || dir[n - 1] != '\\'))
        dir[n++] = '\\'; /* nodes join with a separator */
    }
    dp = (EFI_DEVICE_PATH *)((uint8_t *)dp + len);
  }
  /* Drop the file name: keep up to the last separator before the end. */
  if (n)
    n--; /* the separator added after the last node */
  while (n && dir[n - 1] != '\\')
    n--;
  if (!n)
    dir[n++] = '\\';
  if (dir[0] != '\\' && n + 1 < size) {
    memmove(dir + 1, dir, n);
    dir[0] = '\\';
    n++;
  }
  dir[n] = '\0';
}

/* path relative to dir unless it starts with a separator. */
static void join_path(const char *dir, const char *path, char *out, size_t size)
{
  if (path[0] == '\\')
    snprintf(out, size, "%s", path);
  else
    snprintf(out, size, "%s%s", dir, path);
}

/* Read a whole file into pages (below 4 GiB when possible); *buf is the
 * caller's, or NULL on error, which has been said. */
static EFI_STATUS read_file(EFI_FILE_HANDLE root, const char *path, uint64_t max, void **buf,
                            uint64_t *size, const char *what, unsigned int line)
{
  CHAR16 wpath[EFI_CFG_PATH_MAX];
  EFI_FILE_HANDLE f;
  EFI_GUID info_id = EFI_FILE_INFO_ID;
  union {
    EFI_FILE_INFO info;
    uint8_t raw[SIZE_OF_EFI_FILE_INFO + 512];
  } fi;
  UINTN fisize = sizeof(fi);
  char where[40] = "";

  *buf = NULL;
  if (line)
    snprintf(where, sizeof(where), "%s line %u: ", cfg_path, line);
  if (!to_ucs2(path, wpath, ARRAY_SIZE(wpath))) {
    say(0, "hv.efi: %s%s %s: the path is too long", where, what, path);
    return EFI_INVALID_PARAMETER;
  }
  EFI_STATUS s = uefi_call_wrapper(root->Open, 5, root, &f, wpath, EFI_FILE_MODE_READ, 0);
  if (s != EFI_SUCCESS) {
    say(0, "hv.efi: %s%s %s: %s", where, what, path,
        s == EFI_NOT_FOUND ? "no such file" : "cannot be opened");
    return s;
  }
  s = uefi_call_wrapper(f->GetInfo, 4, f, &info_id, &fisize, &fi);
  if (s != EFI_SUCCESS || (fi.info.Attribute & EFI_FILE_DIRECTORY)) {
    say(0, "hv.efi: %s%s %s: %s", where, what, path,
        s != EFI_SUCCESS ? "its size cannot be read" : "is a directory");
    goto out;
  }
  *size = fi.info.FileSize;
  if (!*size || *size > max) {
    say(0, "hv.efi: %s%s %s: %s (%llu bytes)", where, what, path, *size ? "is too big" : "is empty",
        (unsigned long long)*size);
    s = EFI_BAD_BUFFER_SIZE;
    goto out;
  }
  *buf = alloc_low(*size);
  if (!*buf) {
    say(0, "hv.efi: %s%s %s: no memory for its %llu bytes", where, what, path,
        (unsigned long long)*size);
    s = EFI_OUT_OF_RESOURCES;
    goto out;
  }
  UINTN got = (UINTN)*size;
  s = uefi_call_wrapper(f->Read, 3, f, &got, *buf);
  if (s != EFI_SUCCESS || got != *size) {
    say(0, "hv.efi: %s%s %s: read failed (%llu of %llu bytes)", where, what, path,
        (unsigned long long)got, (unsigned long long)*size);
    free_pages(*buf);
    *buf = NULL;
    s = EFI_DEVICE_ERROR;
  }
out:
  uefi_call_wrapper(f->Close, 1, f);
  return s;
}

/* The load options: [hv.efi] [-cfg=FILE] [SECTION].  The firmware passes
 * them as UCS-2 text; a boot entry may pass anything, so what is not
 * printable ASCII text is ignored with a warning. */
static void load_options(EFI_LOADED_IMAGE *li, char *cfg, size_t cfgsize, char *section,
                         size_t secsize)
{
  char text[512];
  const CHAR16 *w = li->LoadOptions;
  size_t n = li->LoadOptionsSize / 2;

  if (!w || !n)
    return;
  if (n >= sizeof(text) || li->LoadOptionsSize % 2) {
    say(1, "hv.efi: load options ignored: not short UCS-2 text");
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < n && w[i]; i++) {
    if (w[i] < 0x20 || w[i] > 0x7e) {
      say(1, "hv.efi: load options ignored: not printable text");
      return;
    }
    text[k++] = (char)w[i];
  }
  text[k] = '\0';
  const char *p = text;
  bool first = true;
  while (*p) {
    while (*p == ' ' || *p == '\t')
      p++;
    const char *e = p;
    while (*e && *e != ' ' && *e != '\t')
      e++;
    size_t len = (size_t)(e - p);
    if (!len)
      break;
    bool is_prog = first && len > 4 && (!strncmp(e - 4, ".efi", 4) || !strncmp(e - 4, ".EFI", 4));
    first = false;
    if (is_prog) {
      /* the shell passes the program's own name first */
    } else if (len > 5 && !strncmp(p, "-cfg=", 5)) {
      if (len - 5 < cfgsize) {
        memcpy(cfg, p + 5, len - 5);
        cfg[len - 5] = '\0';
      } else {
        say(1, "hv.efi: load options: -cfg= name too long, using %s", cfg);
      }
    } else if (*p == '-') {
      say(1, "hv.efi: load options: unknown option %.*s ignored", (int)len, p);
    } else if (len < secsize) {
      memcpy(section, p, len);
      section[len] = '\0';
    } else {
      say(1, "hv.efi: load options: section name %.*s too long, ignored", (int)len, p);
    }
    p = e;
  }
}

static void cfg_report(void *ctx, unsigned int line, const char *msg)
{
  (void)ctx;
  if (line)
    say(0, "hv.efi: %s line %u: %s", cfg_path, line, msg);
  else
    say(0, "hv.efi: %s: %s", cfg_path, msg);
}

/* Copy the hypervisor's loadable segments to their physical addresses,
 * which must be free.  Returns false (said) when they are not. */
static bool load_image(void)
{
  const uint8_t *img = hv_image;
  uint64_t size = (uint64_t)(hv_image_end - hv_image);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */};
  uint64_t phoff;
  uint16_t phentsize, phnum;

  if (size < 64 || memcmp(img, ident, sizeof(ident))) {
    say(0, "hv.efi: the hypervisor image it carries is not an ELF64 file (a broken build)");
    return false;
  }
  memcpy(&phoff, img + 32, 8);
  memcpy(&phentsize, img + 54, 2);
  memcpy(&phnum, img + 56, 2);
  if (phentsize < 56 || phoff > size || (uint64_t)phnum * phentsize > size - phoff) {
    say(0, "hv.efi: the hypervisor image's program headers are broken");
    return false;
  }
  uint64_t lo = UINT64_MAX, hi = 0;
  for (unsigned int pass = 0; pass < 2; pass++) {
    for (unsigned int i = 0; i < phnum; i++) {
      const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
      uint32_t type;
      uint64_t off, paddr, filesz, memsz;
      memcpy(&type, ph, 4);
      memcpy(&off, ph + 8, 8);
      memcpy(&paddr, ph + 24, 8);
      memcpy(&filesz, ph + 32, 8);
      memcpy(&memsz, ph + 40, 8);
      if (type != 1 /* PT_LOAD */ || !memsz)
        continue;
      if (filesz > memsz || off > size || filesz > size - off || paddr + memsz < paddr) {
        say(0, "hv.efi: the hypervisor image's segment %u is broken", i);
        return false;
      }
      if (pass == 0) {
        lo = MIN(lo, paddr);
        hi = MAX(hi, paddr + memsz);
        continue;
      }
      memcpy((void *)(uintptr_t)paddr, img + off, filesz);
      memset((void *)(uintptr_t)(paddr + filesz), 0, memsz - filesz);
    }
    if (pass == 0) {
      if (hi <= lo || lo % 4096 || hi > BELOW_4G) {
        say(0, "hv.efi: the hypervisor image has no loadable segment below 4 GiB");
        return false;
      }
      /* Loader code: the firmware's page tables keep it executable
       * until efi_start64 switches to the hypervisor's own. */
      if (!alloc_pages(AllocateAddress, EfiLoaderCode, lo, hi - lo)) {
        say(0,
            "hv.efi: the memory at 0x%llx-0x%llx, where the hypervisor runs, is not free "
            "(the firmware uses it)",
            (unsigned long long)lo, (unsigned long long)hi);
        return false;
      }
    }
  }
  say(3, "hv.efi: hypervisor image at 0x%llx-0x%llx", (unsigned long long)lo,
      (unsigned long long)hi);
  return true;
}

static bool guid_eq(const EFI_GUID *a, const EFI_GUID *b) { return !memcmp(a, b, sizeof(*a)); }

/* The ACPI RSDP from the configuration table (2.0 preferred). */
static void find_rsdp(struct boot_info *bi)
{
  EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
  const uint8_t *found = NULL;
  bool v2 = false;

  for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
    EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
    if (guid_eq(&t->VendorGuid, &acpi20)) {
      found = t->VendorTable;
      v2 = true;
    } else if (!found && guid_eq(&t->VendorGuid, &acpi10)) {
      found = t->VendorTable;
    }
  }
  if (!found || memcmp(found, "RSD PTR ", 8)) {
    say(1, "hv.efi: the firmware gives no ACPI RSDP");
    return;
  }
  /* ACPI 6.5, 5.2.5.3: revision 2 and later are 36 bytes long. */
  unsigned int len = v2 && found[15] >= 2 ? 36 : 20;
  memcpy(bi->rsdp, found, len);
  bi->rsdp_len = len;
}

static void mask_bits(uint32_t mask, uint8_t *pos, uint8_t *size)
{
  *pos = *size = 0;
  if (!mask)
    return;
  while (!(mask & 1)) {
    mask >>= 1;
    (*pos)++;
  }
  while (mask & 1) {
    mask >>= 1;
    (*size)++;
  }
}

/* The GOP framebuffer, if the firmware has one we can draw in. */
static void find_screen(struct boot_fb *fb)
{
  EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
  EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;

  if (uefi_call_wrapper(bs->LocateProtocol, 3, &gop_guid, NULL, (void **)&gop) != EFI_SUCCESS ||
      !gop || !gop->Mode || !gop->Mode->Info) {
    say(3, "hv.efi: no graphics output protocol");
    return;
  }
  EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
  fb->addr = gop->Mode->FrameBufferBase;
  fb->size = gop->Mode->FrameBufferSize;
  fb->width = mi->HorizontalResolution;
  fb->height = mi->VerticalResolution;
  fb->pitch = mi->PixelsPerScanLine * 4;
  fb->bpp = 32;
  switch (mi->PixelFormat) {
  case PixelRedGreenBlueReserved8BitPerColor:
    fb->red_pos = 0, fb->green_pos = 8, fb->blue_pos = 16;
    fb->red_size = fb->green_size = fb->blue_size = 8;
    break;
  case PixelBlueGreenRedReserved8BitPerColor:
    fb->blue_pos = 0, fb->green_pos = 8, fb->red_pos = 16;
    fb->red_size = fb->green_size = fb->blue_size = 8;
    break;
  case PixelBitMask: {
    EFI_PIXEL_BITMASK *m = &mi->PixelInformation;
    mask_bits(m->RedMask, &fb->red_pos, &fb->red_size);
    mask_bits(m->GreenMask, &fb->green_pos, &fb->green_size);
    mask_bits(m->BlueMask, &fb->blue_pos, &fb->blue_size);
    uint32_t all = m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask;
    fb->bpp = all >> 24 ? 32 : all >> 16 ? 24 : 16;
    fb->pitch = mi->PixelsPerScanLine * (fb->bpp / 8);
    break;
  }
  default: /* PixelBltOnly: no framebuffer to draw in */
    say(2, "hv.efi: the screen has no linear framebuffer (blt only): no screen console");
    return;
  }
  if (!fb->addr || !fb->width || !fb->height || (uint64_t)fb->pitch * fb->height > fb->size) {
    say(1,
        "hv.efi: the GOP framebuffer is inconsistent (0x%llx, %ux%u, pitch %u, %llu bytes): "
        "not used",
        (unsigned long long)fb->addr, fb->width, fb->height, fb->pitch,
        (unsigned long long)fb->size);
    return;
  }
  fb->type = BOOT_FB_RGB;
}

static void load_modules(EFI_FILE_HANDLE root, const char *dir, const struct efi_cfg *cfg,
                         struct boot_info *bi)
{
  char path[EFI_CFG_PATH_MAX];

  for (unsigned int i = 0; i < cfg->nr_mods; i++) {
    const struct efi_cfg_module *m = &cfg->mods[i];
    void *buf;
    uint64_t size;
    join_path(dir, m->path, path, sizeof(path));
    if (read_file(root, path, UINT64_MAX / 2, &buf, &size, "module", m->line) != EFI_SUCCESS) {
      say(0, "hv.efi: module %s left out", path);
      continue;
    }
    struct boot_module *bm = &bi->mods[bi->nr_mods++];
    bm->start = (uint64_t)(uintptr_t)buf;
    bm->end = bm->start + size;
    strlcpy(bm->string, m->string, sizeof(bm->string));
    say(2, "hv.efi: %s (%llu bytes) \"%s\"", path, (unsigned long long)size, m->string);
  }
}

/* GetMemoryMap into map (max bytes), then ExitBootServices with its key;
 * a map that changed in between (EFI_INVALID_PARAMETER) is read again and
 * the call retried once.  After the first attempt no other boot service
 * may be called, so nothing is said here. */
static EFI_STATUS exit_boot_services(void *map, UINTN max, UINTN *size, UINTN *desc_size,
                                     UINT32 *desc_version)
{
  EFI_STATUS s = EFI_INVALID_PARAMETER;
  for (unsigned int attempt = 0; attempt < 2 && s == EFI_INVALID_PARAMETER; attempt++) {
    UINTN key;
    *size = max;
    s = uefi_call_wrapper(bs->GetMemoryMap, 5, size, map, &key, desc_size, desc_version);
    if (s != EFI_SUCCESS)
      return s;
    s = uefi_call_wrapper(bs->ExitBootServices, 2, image_handle, key);
  }
  return s;
}

/* After ExitBootServices the console is gone; only COM1 can still say
 * why we stopped. */
static void __noreturn halt_com1(const char *s)
{
  for (; *s; s++) {
    uint8_t lsr;
    do
      asm volatile("inb %1, %0" : "=a"(lsr) : "Nd"((uint16_t)0x3fd));
    while (!(lsr & 0x20)); /* THRE */
    asm volatile("outb %0, %1" ::"a"((uint8_t)*s), "Nd"((uint16_t)0x3f8));
  }
  for (;;)
    asm volatile("cli; hlt");
}

/* GNU-EFI's crt0 calls this with the System V convention, not EFIAPI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
  uint64_t entry_tsc = __builtin_ia32_rdtsc();
  EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL, fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
  EFI_LOADED_IMAGE *li;
  EFI_FILE_IO_INTERFACE *fs;
  EFI_FILE_HANDLE root;
  char dir[EFI_CFG_PATH_MAX], cfg_name[EFI_CFG_PATH_MAX] = CFG_DEFAULT;
  char section[EFI_CFG_NAME_MAX] = "";
  static struct efi_cfg cfg;
  uint64_t cr4;

  image_handle = image;
  st = systab;
  bs = systab->BootServices;
  say(2, "hv.efi: mica's UEFI loader");
  uefi_call_wrapper(bs->SetWatchdogTimer, 4, 0, 0, 0, NULL);

  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  if (cr4 & CR4_LA57) {
    say(0, "hv.efi: the firmware runs with 5-level paging, which mica does not support yet");
    return give_up(EFI_UNSUPPORTED);
  }
  if (uefi_call_wrapper(bs->HandleProtocol, 3, image, &li_guid, (void **)&li) != EFI_SUCCESS) {
    say(0, "hv.efi: the firmware does not say where hv.efi was loaded from");
    return give_up(EFI_LOAD_ERROR);
  }
  load_options(li, cfg_name, sizeof(cfg_name), section, sizeof(section));
  image_dir(li, dir, sizeof(dir));
  join_path(dir, cfg_name, cfg_path, sizeof(cfg_path));
  if (uefi_call_wrapper(bs->HandleProtocol, 3, li->DeviceHandle, &fs_guid, (void **)&fs) !=
          EFI_SUCCESS ||
      uefi_call_wrapper(fs->OpenVolume, 2, fs, &root) != EFI_SUCCESS) {
    say(0, "hv.efi: the volume hv.efi was loaded from cannot be read (no file system)");
    return give_up(EFI_LOAD_ERROR);
  }

  void *text;
  uint64_t len;
  if (read_file(root, cfg_path, CFG_MAX, &text, &len, "configuration", 0) != EFI_SUCCESS)
    return give_up(EFI_LOAD_ERROR);
  int problems = efi_cfg_parse(text, (size_t)len, section, &cfg, cfg_report, NULL);
  free_pages(text);
  if (problems < 0)
    return give_up(EFI_LOAD_ERROR);
  say(2, "hv.efi: %s, section [%s]: %u module(s)%s", cfg_path,
      cfg.section[0] ? cfg.section : "(top)", cfg.nr_mods, problems ? ", problems above" : "");

  ho = alloc_pages(AllocateMaxAddress, EfiLoaderData, BELOW_4G, sizeof(*ho));
  if (!ho) {
    say(0, "hv.efi: no memory below 4 GiB for the hand-over");
    return give_up(EFI_OUT_OF_RESOURCES);
  }
  memset(ho, 0, sizeof(*ho));
  ho->magic = EFI_HANDOVER_MAGIC;
  ho->size = sizeof(*ho);
  ho->entry_tsc = entry_tsc;
  /* What was said so far goes first in the log. */
  memcpy(ho->msg, early_msg, msg_len);
  msg_buf = ho->msg;
  msg_max = EFI_HANDOVER_MSG_MAX;

  struct boot_info *bi = &ho->bi;
  bi->uefi = true;
  if (!load_image())
    return give_up(EFI_LOAD_ERROR);
  strlcpy(bi->cmdline, cfg.options, sizeof(bi->cmdline));
  {
    char vendor[40];
    size_t k = 0;
    for (const CHAR16 *v = st->FirmwareVendor; v && *v && k + 1 < sizeof(vendor); v++)
      vendor[k++] = *v < 0x80 ? (char)*v : '?';
    vendor[k] = '\0';
    snprintf(bi->loader, sizeof(bi->loader), "hv.efi on UEFI %u.%u (%s 0x%x)",
             st->Hdr.Revision >> 16, (st->Hdr.Revision & 0xffff) / 10, vendor,
             st->FirmwareRevision);
  }
  uint64_t tsc_cfg = __builtin_ia32_rdtsc();
  load_modules(root, dir, &cfg, bi);
  uefi_call_wrapper(root->Close, 1, root);
  uint64_t tsc_mods = __builtin_ia32_rdtsc();
  find_rsdp(bi);
  find_screen(&bi->fb);

  /* The memory map: room for what it holds now plus what our own
   * allocation of it adds. */
  UINTN size = 0, desc_size = 0, key;
  UINT32 desc_version;
  uefi_call_wrapper(bs->GetMemoryMap, 5, &size, NULL, &key, &desc_size, &desc_version);
  UINTN max = size + 16 * (desc_size ? desc_size : 64) + 4096;
  void *map = alloc_pages(AllocateMaxAddress, EfiLoaderData, BELOW_4G, max);
  if (!map) {
    say(0, "hv.efi: no memory below 4 GiB for the memory map");
    return give_up(EFI_OUT_OF_RESOURCES);
  }
  say(2, "hv.efi: starting the hypervisor");
  uint64_t tsc_ebs = __builtin_ia32_rdtsc();
  EFI_STATUS s = exit_boot_services(map, max, &size, &desc_size, &desc_version);
  if (s != EFI_SUCCESS)
    halt_com1("hv.efi: ExitBootServices failed twice: halted\r\n");
  asm volatile("cli");
  /* Where hv.efi's time went, for the boot cost (the hypervisor's log). */
  say(2,
      "hv.efi: TSC from entry: %llu to the image placed, %llu to the modules, %llu to "
      "ExitBootServices, %llu after it",
      (unsigned long long)(tsc_cfg - entry_tsc), (unsigned long long)(tsc_mods - entry_tsc),
      (unsigned long long)(tsc_ebs - entry_tsc),
      (unsigned long long)(__builtin_ia32_rdtsc() - entry_tsc));
  ho->msg_len = (uint32_t)msg_len;
  ho->mmap = (uint64_t)(uintptr_t)map;
  ho->mmap_size = size;
  ho->desc_size = desc_size;
  ho->desc_version = desc_version;
  ((void (*)(uint64_t))(uintptr_t)HV_EFI_ENTRY)((uint64_t)(uintptr_t)ho);
  halt_com1("hv.efi: the hypervisor returned: halted\r\n");
}
