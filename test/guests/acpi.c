/* acpi: the ACPI tables a guest is given, checked as an OS would walk them.
 *
 * From hvm_start_info.rsdp_paddr: the RSDP (signature, both checksums,
 * revision 2, an XSDT), the XSDT and every table it lists (signature,
 * length, checksum), the FADT (HW_REDUCED_ACPI, a DSDT by X_DSDT and DSDT
 * alike), the DSDT, and the MADT: its enabled local APICs (type 0, or
 * x2APIC type 9) must number vcpus=N of the command line, with ACPI
 * processor UID and APIC ID 0..N-1 in order, and vcpu 0's APIC ID (CPUID
 * leaf 1) must be the first one's.  Every table must lie inside one
 * memory-map entry of type ACPI or reserved, never RAM; nothing is read
 * before that is checked.  The layouts are read by the byte offsets of
 * the ACPI specification (chapter 5.2), independently of the hypervisor's
 * structs.  Prints one "acpi: FAIL ..." line per failed check and a
 * summary line, then TEST PASS or TEST FAIL. */
#include <stdbool.h>

#include <public/hvm.h>

#include "guest.h"

#define TABLE_MAX 65536 /* larger than anything we expect: a broken length */

static const struct hvm_start_info *si;
static int failures;

static void fail(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
static void fail(const char *fmt, ...)
{
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  printf("acpi: FAIL %s\n", buf);
  failures++;
}

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* n (at most 8) bytes of a signature or ID as a string: the runtime's
 * printf has no precision. */
static const char *str(const uint8_t *p, unsigned int n)
{
  static char buf[2][9];
  static int which;
  char *b = buf[which ^= 1];
  for (unsigned int i = 0; i < n && i < 8; i++)
    b[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
  b[n < 8 ? n : 8] = '\0';
  return b;
}

static uint8_t sum(const uint8_t *p, uint32_t len)
{
  uint8_t s = 0;
  while (len--)
    s += *p++;
  return s;
}

/* The memory-map entry holding all of [addr, addr + len), or NULL. */
static const struct hvm_memmap_table_entry *map_entry(uint64_t addr, uint64_t len)
{
  const struct hvm_memmap_table_entry *e =
      (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
  for (unsigned int i = 0; i < si->memmap_entries; i++)
    if (addr >= e[i].addr && addr + len >= addr && addr + len <= e[i].addr + e[i].size)
      return &e[i];
  return NULL;
}

/* [addr, addr + len) is ACPI data or reserved in the memory map, and
 * below 4 GiB (what the runtime maps).  Says why not. */
static bool in_acpi_memory(const char *what, uint64_t addr, uint64_t len)
{
  const struct hvm_memmap_table_entry *e = map_entry(addr, len);
  if (!e) {
    fail("%s at 0x%llx (%llu bytes) is in no memory-map entry", what, (unsigned long long)addr,
         (unsigned long long)len);
    return false;
  }
  if (e->type != XEN_HVM_MEMMAP_TYPE_ACPI && e->type != XEN_HVM_MEMMAP_TYPE_RESERVED) {
    fail("%s at 0x%llx lies in a memory-map entry of type %u (want ACPI 3 or reserved 2)", what,
         (unsigned long long)addr, e->type);
    return false;
  }
  if (addr + len > (1ULL << 32)) {
    fail("%s at 0x%llx is above 4 GiB", what, (unsigned long long)addr);
    return false;
  }
  return true;
}

/* The table at addr with signature sig (5.2.6 header), checked: where it
 * lies, its length and its checksum.  NULL (after a FAIL) if it is not
 * one; *len gets its length. */
static const uint8_t *table(uint64_t addr, const char *sig, uint32_t *len)
{
  if (!in_acpi_memory(sig, addr, 36))
    return NULL;
  const uint8_t *t = (const uint8_t *)(uintptr_t)addr;
  if (memcmp(t, sig, 4)) {
    fail("table at 0x%llx: signature '%s', want '%s'", (unsigned long long)addr, str(t, 4), sig);
    return NULL;
  }
  *len = rd32(t + 4);
  if (*len < 36 || *len > TABLE_MAX) {
    fail("%s: length %u", sig, *len);
    return NULL;
  }
  if (!in_acpi_memory(sig, addr, *len))
    return NULL;
  if (sum(t, *len)) {
    fail("%s: checksum: the bytes sum to 0x%02x, not 0", sig, sum(t, *len));
    return NULL;
  }
  return t;
}

/* The RSDP (5.2.5.3); returns the XSDT's address, or 0 after a FAIL. */
static uint64_t check_rsdp(void)
{
  uint64_t addr = si->rsdp_paddr;
  if (!addr) {
    fail("hvm_start_info.rsdp_paddr is 0");
    return 0;
  }
  if (!in_acpi_memory("RSDP", addr, 36))
    return 0;
  const uint8_t *r = (const uint8_t *)(uintptr_t)addr;
  if (memcmp(r, "RSD PTR ", 8)) {
    fail("RSDP signature '%s'", str(r, 8));
    return 0;
  }
  if (sum(r, 20))
    fail("RSDP checksum (first 20 bytes) sums to 0x%02x", sum(r, 20));
  if (r[15] < 2) {
    fail("RSDP revision %u: no XSDT", r[15]);
    return 0;
  }
  uint32_t len = rd32(r + 20);
  if (len < 36 || !in_acpi_memory("RSDP", addr, len)) {
    fail("RSDP length %u", len);
    return 0;
  }
  if (sum(r, len))
    fail("RSDP extended checksum sums to 0x%02x", sum(r, len));
  printf("acpi: RSDP at 0x%llx: revision %u, OEM '%s', XSDT at 0x%llx\n", (unsigned long long)addr,
         r[15], str(r + 9, 6), (unsigned long long)rd64(r + 24));
  return rd64(r + 24);
}

/* The FADT (5.2.9): hardware-reduced, and its DSDT. */
static void check_fadt(const uint8_t *f, uint32_t len)
{
  if (len < 116) {
    fail("FACP: length %u leaves out the flags", len);
    return;
  }
  uint32_t flags = rd32(f + 112);
  if (!(flags & (1U << 20)))
    fail("FACP: HW_REDUCED_ACPI (flags bit 20) is clear: flags 0x%x", flags);
  uint64_t dsdt = rd32(f + 40);
  if (len >= 148) {
    uint64_t x_dsdt = rd64(f + 140);
    if (dsdt && x_dsdt && dsdt != x_dsdt)
      fail("FACP: DSDT 0x%llx and X_DSDT 0x%llx differ", (unsigned long long)dsdt,
           (unsigned long long)x_dsdt);
    if (x_dsdt)
      dsdt = x_dsdt;
  }
  uint32_t dlen;
  if (!dsdt)
    fail("FACP: no DSDT");
  else if (table(dsdt, "DSDT", &dlen))
    printf("acpi: FACP revision %u, flags 0x%x, boot flags 0x%x; DSDT at 0x%llx, %u bytes\n", f[8],
           flags, rd16(f + 109), (unsigned long long)dsdt, dlen);
}

/* The MADT (5.2.12): returns the number of enabled local APICs. */
static unsigned int check_madt(const uint8_t *m, uint32_t len)
{
  unsigned int n = 0;
  if (len < 44) {
    fail("APIC: length %u", len);
    return 0;
  }
  printf("acpi: MADT: local APIC address 0x%x, flags 0x%x\n", rd32(m + 36), rd32(m + 40));
  if (rd32(m + 36) != 0xfee00000U)
    fail("APIC: local APIC address 0x%x, want 0xfee00000", rd32(m + 36));
  for (uint32_t off = 44; off < len;) {
    uint8_t type = m[off], elen = off + 1 < len ? m[off + 1] : 0;
    if (elen < 2 || off + elen > len) {
      fail("APIC: entry at offset %u: length %u runs past the table", off, elen);
      break;
    }
    uint32_t uid = 0, apic_id = 0, flags = 0;
    bool lapic = false;
    if (type == 0 && elen >= 8) { /* Processor Local APIC */
      uid = m[off + 2];
      apic_id = m[off + 3];
      flags = rd32(m + off + 4);
      lapic = true;
    } else if (type == 9 && elen >= 16) { /* Processor Local x2APIC */
      apic_id = rd32(m + off + 4);
      flags = rd32(m + off + 8);
      uid = rd32(m + off + 12);
      lapic = true;
    }
    if (lapic && (flags & 1)) {
      if (uid != n || apic_id != n)
        fail("APIC: local APIC %u has processor UID %u and APIC ID %u", n, uid, apic_id);
      n++;
    }
    off += elen;
  }
  return n;
}

int guest_main(const struct hvm_start_info *start_info)
{
  si = start_info;
  const char *cmdline = guest_cmdline(si);
  unsigned long want = cmdline_num(cmdline, "vcpus", 1);

  if (si->version < 1 || !si->memmap_entries) {
    printf("acpi: FAIL the start info has no memory map (version %u)\n", si->version);
    return 1;
  }
  uint64_t xsdt_addr = check_rsdp();
  uint32_t len;
  const uint8_t *xsdt = xsdt_addr ? table(xsdt_addr, "XSDT", &len) : NULL;
  unsigned int fadts = 0, madts = 0, lapics = 0;
  if (xsdt) {
    for (uint32_t off = 36; off + 8 <= len; off += 8) {
      uint64_t a = rd64(xsdt + off);
      uint32_t tlen;
      if (!in_acpi_memory("an XSDT entry", a, 36))
        continue;
      const uint8_t *t = (const uint8_t *)(uintptr_t)a;
      printf("acpi: XSDT entry: '%s' at 0x%llx\n", str(t, 4), (unsigned long long)a);
      if (!memcmp(t, "FACP", 4) && (t = table(a, "FACP", &tlen))) {
        fadts++;
        check_fadt(t, tlen);
      } else if (!memcmp(t, "APIC", 4) && (t = table(a, "APIC", &tlen))) {
        madts++;
        lapics += check_madt(t, tlen);
      } else {
        table(a, str(t, 4), &tlen);
      }
    }
    if (fadts != 1)
      fail("%u FADTs in the XSDT, want 1", fadts);
    if (madts != 1)
      fail("%u MADTs in the XSDT, want 1", madts);
  }
  if (lapics != want)
    fail("%u enabled local APICs in the MADT, want vcpus=%lu", lapics, want);

  /* What this vcpu (0) reads as its APIC ID must be the MADT's first. */
  uint32_t eax = 1, ebx, ecx = 0, edx;
  __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
  if (ebx >> 24 != 0)
    fail("vcpu 0 has APIC ID %u (CPUID leaf 1), the MADT says 0", ebx >> 24);

  printf("acpi: %s: %u local APIC(s) for vcpus=%lu, %d failure(s)\n", failures ? "FAIL" : "PASS",
         lapics, want, failures);
  return failures != 0;
}
