/* ACPI tables: find the RSDP, walk the XSDT or RSDT, and take from the
 * MADT the CPUs and IO-APICs, from the FADT the power-management ports and
 * the reset register, and from the AML of the DSDT the \_S5 sleep type.
 * Every table is firmware input: signature, length and checksum are checked
 * and every read stays inside a checked length and inside mapped memory.
 * Section numbers cite the ACPI 6.5 specification. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/string.h>

struct acpi_info acpi_info;

/* 5.2.6 System Description Table Header */
#define HDR_LEN 36
#define HDR_LENGTH 4
#define HDR_REVISION 8
#define HDR_OEM_ID 10

/* Upper bounds on a table's length: nothing sane is larger.  AML tables
 * get more room: real DSDTs reach several hundred KiB. */
#define TABLE_MAX MiB(1)
#define AML_MAX MiB(4)

/* 5.2.5.3 RSDP */
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define RSDP_OEM_ID 9
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24

/* 5.2.12 MADT */
#define MADT_LAPIC_ADDR 36
#define MADT_ENTRIES 44
#define MADT_LAPIC 0          /* 5.2.12.2 Processor Local APIC, 8 bytes */
#define MADT_IOAPIC 1         /* 5.2.12.3 I/O APIC, 12 bytes */
#define MADT_ISO 2            /* 5.2.12.5 Interrupt Source Override, 10 bytes */
#define MADT_LAPIC_OVERRIDE 5 /* 5.2.12.8 Local APIC Address Override, 12 bytes */
#define MADT_X2APIC 9         /* 5.2.12.12 Processor Local x2APIC, 16 bytes */
#define MADT_ENABLED (1U << 0)
#define MADT_ONLINE_CAPABLE (1U << 1)

/* 5.2.9 FADT: byte offsets of the fields we use */
#define FADT_DSDT 40
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_PM_TMR 76
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT 172
#define FADT_X_PM1B_CNT 184
#define FADT_X_PM_TMR 208
#define FADT_V1_LEN 116 /* ACPI 1.0: everything up to and including Flags */
#define FADT_TMR_VAL_EXT (1U << 8)
#define FADT_RESET_REG_SUP (1U << 10)
#define FADT_HW_REDUCED (1U << 20)

/* MCFG (PCI Firmware Specification 3.0, 4.1.2): after the header and 8
 * reserved bytes, 16-byte entries: base address, segment, start and end
 * bus, 4 reserved bytes. */
#define MCFG_ENTRIES 44
#define MCFG_ENTRY_LEN 16

/* 5.2.3.2 Generic Address Structure: 12 bytes */
#define GAS_LEN 12
#define GAS_SPACE_MEMORY 0
#define GAS_SPACE_IO 1
#define GAS_SPACE_PCI 2

/* PM1 Control register bits ("PM1 Control Registers", chapter 4) */
#define PM1_SCI_EN (1U << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7U << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN (1U << 13)

#define PM_TMR_HZ 3579545ULL /* the ACPI PM timer's fixed rate */

/* 20.2 AML opcodes */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_QWORD 0x0e
#define AML_PACKAGE 0x12
#define AML_ROOT '\\'

#define MAX_SSDTS 32

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t checksum(const uint8_t *p, size_t len)
{
  uint8_t sum = 0;
  while (len--)
    sum = (uint8_t)(sum + *p++);
  return sum;
}

/* A printable copy of n bytes of firmware text (signatures, OEM ids). */
static void printable(char *dst, const uint8_t *src, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
  dst[n] = '\0';
}

#define PTE_P (1ULL << 0)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Is every byte of [pa, pa + len) mapped in the current page tables?
 * Firmware pointers may point anywhere, and the hypervisor maps only the
 * first 4 GiB and RAM (never page 0), so every table is checked against
 * the page tables themselves before it is read (SDM vol. 3, 4.5). */
static bool phys_mapped(paddr_t pa, uint64_t len)
{
  /* The map is 1:1, so the address must also be a lower-half virtual one. */
  if (len == 0 || pa + len < pa || pa + len > (1ULL << 47))
    return false;
  const uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR);
  for (uint64_t va = ALIGN_DOWN(pa, PAGE_SIZE); va < pa + len;) {
    uint64_t e = pml4[(va >> 39) & 511];
    if (!(e & PTE_P))
      return false;
    e = ((const uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> 30) & 511];
    if (!(e & PTE_P))
      return false;
    if (e & PTE_PS) {
      va = ALIGN_DOWN(va, GiB(1)) + GiB(1);
      continue;
    }
    e = ((const uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> 21) & 511];
    if (!(e & PTE_P))
      return false;
    if (e & PTE_PS) {
      va = ALIGN_DOWN(va, MiB(2)) + MiB(2);
      continue;
    }
    e = ((const uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> 12) & 511];
    if (!(e & PTE_P))
      return false;
    va += PAGE_SIZE;
  }
  return true;
}

/* Validate the table at pa: mapped, signature sig, length
 * between the header and max, checksum zero.  Returns the table with its
 * length in *len, or NULL (after a pr_warn naming what was wrong). */
static const uint8_t *table_get(paddr_t pa, const char *sig, uint32_t max, uint32_t *len)
{
  char name[5];
  if (!pa || !phys_mapped(pa, HDR_LEN)) {
    pr_warn("acpi: %s at 0x%llx is outside mapped memory: skipped", sig, (unsigned long long)pa);
    return NULL;
  }
  const uint8_t *t = phys_to_virt(pa);
  printable(name, t, 4);
  if (memcmp(t, sig, 4) != 0) {
    pr_warn("acpi: expected %s at 0x%llx, found \"%s\": skipped", sig, (unsigned long long)pa,
            name);
    return NULL;
  }
  /* Read the length once: everything after uses this copy. */
  uint32_t n = rd32(t + HDR_LENGTH);
  if (n < HDR_LEN || n > max) {
    pr_warn("acpi: %s at 0x%llx has a bad length %u: skipped", name, (unsigned long long)pa, n);
    return NULL;
  }
  if (!phys_mapped(pa, n)) {
    pr_warn("acpi: %s at 0x%llx (%u bytes) runs outside mapped memory: skipped", name,
            (unsigned long long)pa, n);
    return NULL;
  }
  if (checksum(t, n) != 0) {
    pr_warn("acpi: %s at 0x%llx has a bad checksum: skipped", name, (unsigned long long)pa);
    return NULL;
  }
  char oem[7];
  printable(oem, t + HDR_OEM_ID, 6);
  pr_debug("acpi: %s at 0x%llx, %u bytes, revision %u, OEM %s", name, (unsigned long long)pa, n,
           t[HDR_REVISION], oem);
  *len = n;
  return t;
}

/* ---- MADT ---- */

/* Online-capable (bit 1) exists from MADT revision 5 (ACPI 6.3); older
 * tables leave it reserved, so it counts only there, as in Linux. */
static void madt_add_cpu(uint32_t apic_id, uint32_t uid, uint32_t flags, uint8_t revision)
{
  struct acpi_info *ai = &acpi_info;
  if (revision < 5)
    flags &= ~MADT_ONLINE_CAPABLE;
  if (!(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)))
    return;
  /* Firmwares may list a CPU both as a local APIC and as an x2APIC. */
  for (unsigned int i = 0; i < ai->nr_cpus; i++)
    if (ai->apic_ids[i] == apic_id)
      return;
  if (ai->nr_cpus == ACPI_MAX_CPUS) {
    pr_warn("acpi: MADT: more than %u CPUs: APIC id %u ignored", ACPI_MAX_CPUS, apic_id);
    return;
  }
  /* Xen keeps the UID of enabled processors only (acpi_parse_lapic,
   * acpi_parse_x2apic): XENPF_get_cpuinfo reports it. */
  ai->acpi_uids[ai->nr_cpus] = flags & MADT_ENABLED ? uid : ~0U;
  ai->apic_ids[ai->nr_cpus++] = apic_id;
  pr_debug("acpi: MADT: CPU with APIC id %u%s", apic_id,
           flags & MADT_ENABLED ? "" : " (online-capable)");
}

static void madt_parse(const uint8_t *t, uint32_t len)
{
  struct acpi_info *ai = &acpi_info;
  if (len < MADT_ENTRIES) {
    pr_warn("acpi: MADT is too short (%u bytes): skipped", len);
    return;
  }
  ai->have_madt = true;
  ai->lapic_addr = rd32(t + MADT_LAPIC_ADDR);
  for (uint32_t off = MADT_ENTRIES; off < len;) {
    if (len - off < 2) {
      pr_warn("acpi: MADT: stray byte at offset %u", off);
      break;
    }
    const uint8_t *e = t + off;
    uint8_t type = e[0], elen = e[1];
    if (elen < 2 || elen > len - off) {
      pr_warn("acpi: MADT: entry type %u at offset %u has a bad length %u: rest skipped", type, off,
              elen);
      break;
    }
    off += elen;
    static const uint8_t need[] = {
        [MADT_LAPIC] = 8,           [MADT_IOAPIC] = 12, [MADT_ISO] = 10,
        [MADT_LAPIC_OVERRIDE] = 12, [MADT_X2APIC] = 16,
    };
    if (type < ARRAY_SIZE(need) && elen < need[type]) {
      pr_warn("acpi: MADT: entry type %u is too short (%u bytes): skipped", type, elen);
      continue;
    }
    switch (type) {
    case MADT_LAPIC:
      if (e[3] == 0xff) /* 5.2.12.2: an unused slot */
        break;
      madt_add_cpu(e[3], e[2], rd32(e + 4), t[HDR_REVISION]);
      break;
    case MADT_X2APIC:
      if (rd32(e + 4) == 0xffffffff)
        break;
      madt_add_cpu(rd32(e + 4), rd32(e + 12), rd32(e + 8), t[HDR_REVISION]);
      break;
    case MADT_IOAPIC:
      if (ai->nr_ioapics == ACPI_MAX_IOAPICS) {
        pr_warn("acpi: MADT: more than %u IO-APICs: id %u ignored", ACPI_MAX_IOAPICS, e[2]);
        break;
      }
      ai->ioapics[ai->nr_ioapics] = (struct acpi_ioapic){
          .id = e[2],
          .addr = rd32(e + 4),
          .gsi_base = rd32(e + 8),
      };
      pr_debug("acpi: MADT: IO-APIC id %u at 0x%x, GSI base %u", e[2], rd32(e + 4), rd32(e + 8));
      ai->nr_ioapics++;
      break;
    case MADT_ISO:
      /* Bus 0 is ISA, the only bus the table defines. */
      if (e[2] != 0 || e[3] >= ARRAY_SIZE(ai->isa_gsi)) {
        pr_warn("acpi: MADT: override of bus %u IRQ %u: skipped", e[2], e[3]);
        break;
      }
      ai->isa_gsi[e[3]] = rd32(e + 4);
      ai->isa_flags[e[3]] = rd16(e + 8);
      pr_debug("acpi: MADT: ISA IRQ %u is GSI %u, flags 0x%x", e[3], rd32(e + 4), rd16(e + 8));
      break;
    case MADT_LAPIC_OVERRIDE:
      ai->lapic_addr = rd64(e + 4);
      pr_debug("acpi: MADT: local APIC address override 0x%llx",
               (unsigned long long)ai->lapic_addr);
      break;
    default: break;
    }
  }
}

/* ---- FADT ---- */

/* An I/O port from the FADT: the 64-bit GAS at xoff when the table holds
 * it and it names I/O space, else the 32-bit block at off (of at least
 * minlen bytes, per its length field at lenoff).  0 if absent or unusable. */
static uint32_t fadt_port(const uint8_t *t, uint32_t len, uint32_t xoff, uint32_t off,
                          uint32_t lenoff, unsigned int minlen, const char *what)
{
  uint32_t legacy = rd32(t + off);
  if (legacy && t[lenoff] < minlen) {
    pr_warn("acpi: FADT: %s block is %u bytes, needs %u: ignored", what, t[lenoff], minlen);
    legacy = 0;
  }
  if (len >= xoff + GAS_LEN) {
    const uint8_t *gas = t + xoff;
    uint64_t addr = rd64(gas + 4);
    if (addr && gas[0] == GAS_SPACE_IO && addr <= 0xffff) {
      if (legacy && legacy != addr)
        pr_warn("acpi: FADT: %s is 0x%x but X_%s is 0x%llx: using X_%s", what, legacy, what,
                (unsigned long long)addr, what);
      return (uint32_t)addr;
    }
    if (addr)
      pr_debug("acpi: FADT: X_%s (space %u, 0x%llx) unusable; trying %s", what, gas[0],
               (unsigned long long)addr, what);
  }
  if (legacy > 0xffff) {
    pr_warn("acpi: FADT: %s 0x%x is not an I/O port: ignored", what, legacy);
    return 0;
  }
  return legacy;
}

/* The FADT reset register (5.2.9, "Reset Register" in chapter 4), usable only as 8 bits at bit
 * offset 0 in memory or I/O space, as Linux also requires. */
static void fadt_reset_reg(const uint8_t *t, uint32_t len, uint32_t flags)
{
  struct acpi_info *ai = &acpi_info;
  if (!(flags & FADT_RESET_REG_SUP) || t[HDR_REVISION] < 2 || len < FADT_RESET_VALUE + 1)
    return;
  const uint8_t *gas = t + FADT_RESET_REG;
  uint64_t addr = rd64(gas + 4);
  if (!addr || gas[1] != 8 || gas[2] != 0) {
    pr_warn("acpi: FADT: reset register (space %u, %u bits at bit %u, 0x%llx) unusable", gas[0],
            gas[1], gas[2], (unsigned long long)addr);
    return;
  }
  switch (gas[0]) {
  case GAS_SPACE_IO:
    if (addr > 0xffff) {
      pr_warn("acpi: FADT: reset register 0x%llx is not an I/O port", (unsigned long long)addr);
      return;
    }
    break;
  case GAS_SPACE_MEMORY:
    if (!phys_mapped(addr, 1)) {
      pr_warn("acpi: FADT: reset register 0x%llx is outside mapped memory",
              (unsigned long long)addr);
      return;
    }
    break;
  default: /* PCI configuration space and others: not supported */
    pr_debug("acpi: FADT: reset register in address space %u: not used", gas[0]);
    return;
  }
  ai->reset_valid = true;
  ai->reset_space = gas[0];
  ai->reset_addr = addr;
  ai->reset_value = t[FADT_RESET_VALUE];
  pr_debug("acpi: FADT: reset register %s 0x%llx, value 0x%x", gas[0] ? "port" : "memory",
           (unsigned long long)addr, ai->reset_value);
}

/* Fill the FADT fields of acpi_info.  Returns the DSDT address to use
 * (X_DSDT when set, else DSDT; 0 if none) and the 32-bit one in *dsdt32. */
static paddr_t fadt_parse(const uint8_t *t, uint32_t len, paddr_t *dsdt32)
{
  struct acpi_info *ai = &acpi_info;
  if (len < FADT_V1_LEN) {
    pr_warn("acpi: FADT is too short (%u bytes): skipped", len);
    return 0;
  }
  ai->have_fadt = true;
  uint32_t flags = rd32(t + FADT_FLAGS);
  if (flags & FADT_HW_REDUCED)
    pr_debug("acpi: FADT: hardware-reduced ACPI: no PM1 blocks");

  uint32_t smi = rd32(t + FADT_SMI_CMD);
  if (smi > 0xffff) {
    pr_warn("acpi: FADT: SMI_CMD 0x%x is not an I/O port: ignored", smi);
    smi = 0;
  }
  ai->smi_cmd = smi;
  ai->acpi_enable = t[FADT_ACPI_ENABLE];
  ai->pm1a_cnt = fadt_port(t, len, FADT_X_PM1A_CNT, FADT_PM1A_CNT, FADT_PM1_CNT_LEN, 2, "PM1a_CNT");
  ai->pm1b_cnt = fadt_port(t, len, FADT_X_PM1B_CNT, FADT_PM1B_CNT, FADT_PM1_CNT_LEN, 2, "PM1b_CNT");
  ai->pm_tmr = fadt_port(t, len, FADT_X_PM_TMR, FADT_PM_TMR, FADT_PM_TMR_LEN, 4, "PM_TMR");
  ai->pm_tmr_32bit = flags & FADT_TMR_VAL_EXT;
  pr_debug("acpi: FADT: SMI_CMD 0x%x (enable 0x%x), PM1a_CNT 0x%x, PM1b_CNT 0x%x, PM_TMR 0x%x "
           "(%u bits)",
           ai->smi_cmd, ai->acpi_enable, ai->pm1a_cnt, ai->pm1b_cnt, ai->pm_tmr,
           ai->pm_tmr_32bit ? 32 : 24);
  fadt_reset_reg(t, len, flags);

  *dsdt32 = rd32(t + FADT_DSDT);
  if (len >= FADT_X_DSDT + 8 && rd64(t + FADT_X_DSDT))
    return rd64(t + FADT_X_DSDT);
  return *dsdt32;
}

/* ---- \_S5 in AML ---- */

/* Decode an AML integer constant (ZeroOp, OneOp, Byte/Word/DWord/QWordPrefix)
 * at aml[*p], before end. */
static bool aml_integer(const uint8_t *aml, uint32_t *p, uint32_t end, uint64_t *v)
{
  if (*p >= end)
    return false;
  uint8_t op = aml[(*p)++];
  unsigned int n;
  switch (op) {
  case AML_ZERO: *v = 0; return true;
  case AML_ONE: *v = 1; return true;
  case AML_BYTE: n = 1; break;
  case AML_WORD: n = 2; break;
  case AML_DWORD: n = 4; break;
  case AML_QWORD: n = 8; break;
  default: return false;
  }
  if (end - *p < n)
    return false;
  *v = 0;
  for (unsigned int i = 0; i < n; i++)
    *v |= (uint64_t)aml[*p + i] << (8 * i);
  *p += n;
  return true;
}

/* Parse the package after the name "_S5_" at aml[i] (i: offset of '_'):
 * PackageOp PkgLength NumElements SLP_TYPa SLP_TYPb ... (\_Sx in chapter 7;
 * the encodings in 20.2). */
static bool aml_s5_package(const uint8_t *aml, uint32_t len, uint32_t i, uint8_t *a, uint8_t *b)
{
  uint32_t p = i + 4;
  if (p >= len || aml[p] != AML_PACKAGE)
    return false;
  uint32_t start = ++p; /* PkgLength counts from its own first byte */
  if (p >= len)
    return false;
  unsigned int extra = aml[p] >> 6; /* PkgLength: 0..3 further bytes */
  if (len - p < 1 + extra)
    return false;
  uint32_t pkglen = extra ? aml[p] & 0x0f : aml[p] & 0x3f;
  for (unsigned int k = 1; k <= extra; k++)
    pkglen |= (uint32_t)aml[p + k] << (4 + 8 * (k - 1));
  p += 1 + extra;
  if (pkglen < 1 + extra + 1 || pkglen > len - start)
    return false;
  uint32_t end = start + pkglen;
  uint8_t count = aml[p++];
  uint64_t va, vb;
  if (count == 0 || !aml_integer(aml, &p, end, &va))
    return false;
  if (count == 1) {
    /* One integer holding both (as ACPICA accepts): a in bits 0-7, b in 8-15. */
    vb = (va >> 8) & 0xff;
    va &= 0xff;
  } else if (!aml_integer(aml, &p, end, &vb)) {
    return false;
  }
  if (va > 7 || vb > 7) {
    pr_warn("acpi: \\_S5 sleep types %llu/%llu do not fit SLP_TYP", (unsigned long long)va,
            (unsigned long long)vb);
    return false;
  }
  *a = (uint8_t)va;
  *b = (uint8_t)vb;
  return true;
}

/* Search an AML table for Name(_S5_, Package(){a, b, ...}), optionally
 * written \_S5_; fills acpi_info.slp_typa/b and returns true if found. */
static bool aml_find_s5(const uint8_t *t, uint32_t len)
{
  const uint8_t *aml = t + HDR_LEN;
  uint32_t n = len - HDR_LEN;
  for (uint32_t i = 1; i + 4 <= n; i++) {
    if (aml[i] != '_' || memcmp(aml + i, "_S5_", 4) != 0)
      continue;
    bool named =
        aml[i - 1] == AML_NAME || (aml[i - 1] == AML_ROOT && i >= 2 && aml[i - 2] == AML_NAME);
    if (!named)
      continue;
    if (aml_s5_package(aml, n, i, &acpi_info.slp_typa, &acpi_info.slp_typb)) {
      acpi_info.s5_valid = true;
      pr_debug("acpi: \\_S5: SLP_TYPa %u, SLP_TYPb %u", acpi_info.slp_typa, acpi_info.slp_typb);
      return true;
    }
    pr_warn("acpi: \\_S5 at AML offset %u is malformed: skipped", i);
  }
  return false;
}

/* ---- RSDP and the root table ---- */

/* Check an RSDP of avail bytes; returns false if it is not one.  *xsdt is
 * 0 unless the ACPI 2.0 part is present and valid. */
static bool rsdp_check(const uint8_t *p, unsigned int avail, uint64_t *xsdt, bool quiet)
{
  if (avail < RSDP_V1_LEN || memcmp(p, "RSD PTR ", 8) != 0 || checksum(p, RSDP_V1_LEN) != 0) {
    if (!quiet)
      pr_warn("acpi: the boot loader's RSDP is invalid");
    return false;
  }
  *xsdt = 0;
  if (p[RSDP_REVISION] < 2)
    return true;
  if (avail < RSDP_V2_LEN) {
    pr_debug("acpi: only the ACPI 1.0 part of the RSDP was given: using the RSDT");
    return true;
  }
  uint32_t n = rd32(p + RSDP_LENGTH);
  if (n < RSDP_V2_LEN || n > avail || checksum(p, n) != 0)
    pr_warn("acpi: RSDP revision %u without a valid extended part: using the RSDT",
            p[RSDP_REVISION]);
  else
    *xsdt = rd64(p + RSDP_XSDT);
  return true;
}

/* Scan [lo, hi) in 16-byte steps for the RSDP (5.2.5.1).  lo and hi are
 * page-aligned; whether a page is mapped is asked once per page (asking
 * per step made a fruitless scan cost a million instructions). */
static const uint8_t *rsdp_scan(paddr_t lo, paddr_t hi, uint64_t *xsdt)
{
  bool mapped = false;
  for (paddr_t pa = lo; pa + RSDP_V1_LEN <= hi; pa += 16) {
    if (IS_ALIGNED(pa, PAGE_SIZE))
      mapped = phys_mapped(pa, PAGE_SIZE);
    if (!mapped || (pa % PAGE_SIZE + RSDP_V2_LEN > PAGE_SIZE && !phys_mapped(pa, RSDP_V2_LEN)))
      continue;
    const uint8_t *p = phys_to_virt(pa);
    if (p[0] == 'R' && rsdp_check(p, RSDP_V2_LEN, xsdt, true)) {
      acpi_info.rsdp_addr = pa;
      return p;
    }
  }
  return NULL;
}

/* The MCFG's ECAM windows, those that make sense (a bus range, an
 * address with room for it) kept. */
static void mcfg_parse(const uint8_t *t, uint32_t len)
{
  struct acpi_info *ai = &acpi_info;
  for (uint32_t off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= len; off += MCFG_ENTRY_LEN) {
    const uint8_t *e = t + off;
    struct acpi_mcfg m = {rd64(e), rd16(e + 8), e[10], e[11]};
    if (!m.address || m.end_bus < m.start_bus || m.address >> 52 || ai->nr_mcfg == ACPI_MAX_MCFG) {
      pr_warn("acpi: MCFG entry for segment %u buses %u-%u at 0x%llx: ignored", m.seg, m.start_bus,
              m.end_bus, (unsigned long long)m.address);
      continue;
    }
    ai->mcfg[ai->nr_mcfg++] = m;
    pr_debug("acpi: MCFG: segment %u buses %u-%u at 0x%llx", m.seg, m.start_bus, m.end_bus,
             (unsigned long long)m.address);
  }
}

/* Walk the root table's entries (4 or 8 bytes each). */
static void root_walk(const uint8_t *root, uint32_t len, unsigned int esize)
{
  uint32_t n = (len - HDR_LEN) / esize;
  if ((len - HDR_LEN) % esize)
    pr_warn("acpi: %.4s length %u is not a whole number of entries", (const char *)root, len);
  paddr_t dsdt = 0, dsdt32 = 0, ssdts[MAX_SSDTS];
  unsigned int nr_ssdts = 0;

  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *e = root + HDR_LEN + i * esize;
    paddr_t pa = esize == 8 ? rd64(e) : rd32(e);
    if (!pa || !phys_mapped(pa, HDR_LEN)) {
      pr_warn("acpi: root entry %u (0x%llx) is outside mapped memory: skipped", i,
              (unsigned long long)pa);
      continue;
    }
    const uint8_t *sig = phys_to_virt(pa);
    uint32_t tlen;
    const uint8_t *t;
    tlen = rd32(sig + HDR_LENGTH);
    if (acpi_info.nr_tables < ACPI_MAX_TABLES && tlen >= HDR_LEN && phys_mapped(pa, tlen)) {
      struct acpi_table_ref *r = &acpi_info.tables[acpi_info.nr_tables++];
      memcpy(r->sig, sig, 4);
      r->addr = pa;
      r->len = tlen;
    }
    if (!memcmp(sig, "APIC", 4)) {
      if (acpi_info.have_madt) {
        pr_warn("acpi: a second MADT at 0x%llx: ignored", (unsigned long long)pa);
        continue;
      }
      if ((t = table_get(pa, "APIC", TABLE_MAX, &tlen)))
        madt_parse(t, tlen);
    } else if (!memcmp(sig, "FACP", 4)) {
      if (acpi_info.have_fadt) {
        pr_warn("acpi: a second FADT at 0x%llx: ignored", (unsigned long long)pa);
        continue;
      }
      if ((t = table_get(pa, "FACP", TABLE_MAX, &tlen)))
        dsdt = fadt_parse(t, tlen, &dsdt32);
    } else if (!memcmp(sig, "MCFG", 4)) {
      if ((t = table_get(pa, "MCFG", TABLE_MAX, &tlen)) && !acpi_info.nr_mcfg)
        mcfg_parse(t, tlen);
    } else if (!memcmp(sig, "SSDT", 4)) {
      if (nr_ssdts < MAX_SSDTS)
        ssdts[nr_ssdts++] = pa;
    } else {
      char name[5];
      printable(name, sig, 4);
      pr_debug("acpi: %s at 0x%llx (not used)", name, (unsigned long long)pa);
    }
  }

  /* \_S5 lives in the DSDT; a few firmwares put it in an SSDT. */
  if (!acpi_info.pm1a_cnt)
    return;
  uint32_t tlen;
  const uint8_t *t = dsdt ? table_get(dsdt, "DSDT", AML_MAX, &tlen) : NULL;
  if (!t && dsdt32 && dsdt32 != dsdt)
    t = table_get(dsdt32, "DSDT", AML_MAX, &tlen);
  if (t && aml_find_s5(t, tlen))
    return;
  for (unsigned int i = 0; i < nr_ssdts; i++)
    if ((t = table_get(ssdts[i], "SSDT", AML_MAX, &tlen)) && aml_find_s5(t, tlen))
      return;
  pr_warn("acpi: no usable \\_S5 object: ACPI power off unavailable");
}

int acpi_init(const uint8_t *rsdp, unsigned int rsdp_len, bool scan)
{
  struct acpi_info *ai = &acpi_info;
  memset(ai, 0, sizeof(*ai));
  ai->lapic_addr = 0xfee00000; /* the architectural default (SDM vol. 3, 11.4.1) */
  for (unsigned int i = 0; i < ARRAY_SIZE(ai->isa_gsi); i++)
    ai->isa_gsi[i] = i;

  uint64_t xsdt = 0;
  const uint8_t *p = NULL;
  if (rsdp_len && rsdp_check(rsdp, rsdp_len, &xsdt, false))
    p = rsdp;
  /* Without the boot loader's copy: the EBDA (somewhere in 0x80000-0x9ffff
   * on every PC; its pointer at 0x40e lies in the unmapped page 0) and the
   * BIOS read-only area. */
  if (!p && scan)
    p = rsdp_scan(0x80000, 0xa0000, &xsdt);
  if (!p && scan)
    p = rsdp_scan(0xe0000, 0x100000, &xsdt);
  if (!p) {
    pr_debug("acpi: no RSDP");
    return -ENOENT;
  }
  ai->revision = p[RSDP_REVISION];
  printable(ai->oem_id, p + RSDP_OEM_ID, 6);
  uint32_t rsdt = rd32(p + RSDP_RSDT);
  pr_debug("acpi: RSDP revision %u, OEM %s, %s, RSDT 0x%x, XSDT 0x%llx", ai->revision, ai->oem_id,
           ai->rsdp_addr ? "found by scan" : "from the boot loader", rsdt,
           (unsigned long long)xsdt);

  uint32_t len;
  const uint8_t *root = NULL;
  unsigned int esize = 8;
  if (xsdt && !(root = table_get(xsdt, "XSDT", TABLE_MAX, &len)))
    pr_warn("acpi: falling back to the RSDT");
  if (!root && rsdt) {
    esize = 4;
    root = table_get(rsdt, "RSDT", TABLE_MAX, &len);
  }
  if (!root) {
    pr_warn("acpi: no valid RSDT or XSDT");
    return -ENOENT;
  }
  ai->found = true;
  root_walk(root, len, esize);
  if (!ai->have_madt)
    pr_warn("acpi: no MADT: CPUs and IO-APICs unknown");
  if (!ai->have_fadt)
    pr_warn("acpi: no FADT: ACPI power control unavailable");
  return 0;
}

/* ---- power control ---- */

/* Wait about us microseconds: the calibrated clock if it runs yet, else
 * the PM timer, else I/O reads of port 0x80 (about 1 us each on a PC). */
static void acpi_delay_us(uint64_t us)
{
  uint64_t t0 = arch_now_ns();
  if (t0) {
    while (arch_now_ns() - t0 < us * 1000)
      cpu_relax();
    return;
  }
  if (acpi_info.pm_tmr) {
    uint32_t mask = acpi_info.pm_tmr_32bit ? 0xffffffff : 0xffffff;
    uint64_t want = us * PM_TMR_HZ / 1000000, seen = 0;
    uint32_t last = inl((uint16_t)acpi_info.pm_tmr) & mask;
    /* Bounded even if the timer is stuck: at most 8 reads per tick wanted. */
    for (uint64_t reads = 0; seen < want && reads < 8 * want + 8; reads++) {
      uint32_t now = inl((uint16_t)acpi_info.pm_tmr) & mask;
      seen += (now - last) & mask;
      last = now;
    }
    return;
  }
  for (uint64_t i = 0; i < us; i++)
    (void)inb(0x80);
}

static void pm1_write_slp(uint32_t port, uint8_t typ, bool enable)
{
  uint16_t v = inw((uint16_t)port);
  v = (uint16_t)((v & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN)) | (uint32_t)typ << PM1_SLP_TYP_SHIFT);
  if (enable)
    v |= PM1_SLP_EN;
  outw((uint16_t)port, v);
}

void acpi_power_off(void)
{
  struct acpi_info *ai = &acpi_info;
  if (!ai->s5_valid || !ai->pm1a_cnt)
    return;
  /* Hand the hardware from SMM to ACPI mode if the firmware has
   * not (SCI_EN clear), and wait up to 3 s for it, as ACPICA does. */
  if (!(inw((uint16_t)ai->pm1a_cnt) & PM1_SCI_EN) && ai->smi_cmd && ai->acpi_enable) {
    outb((uint16_t)ai->smi_cmd, ai->acpi_enable);
    for (unsigned int ms = 0; ms < 3000 && !(inw((uint16_t)ai->pm1a_cnt) & PM1_SCI_EN); ms++)
      acpi_delay_us(1000);
    if (!(inw((uint16_t)ai->pm1a_cnt) & PM1_SCI_EN))
      pr_warn("acpi: the firmware did not enable ACPI mode; trying S5 anyway");
  }
  /* 16.1.7: SLP_TYP first, then SLP_TYP with SLP_EN, in PM1a and
   * PM1b (the two halves of one logical register). */
  pm1_write_slp(ai->pm1a_cnt, ai->slp_typa, false);
  if (ai->pm1b_cnt)
    pm1_write_slp(ai->pm1b_cnt, ai->slp_typb, false);
  pm1_write_slp(ai->pm1a_cnt, ai->slp_typa, true);
  if (ai->pm1b_cnt)
    pm1_write_slp(ai->pm1b_cnt, ai->slp_typb, true);
  acpi_delay_us(500000);
  pr_warn("acpi: still running 0.5 s after entering S5");
}

void acpi_reset(void)
{
  struct acpi_info *ai = &acpi_info;
  if (!ai->reset_valid)
    return;
  if (ai->reset_space == GAS_SPACE_IO)
    outb((uint16_t)ai->reset_addr, ai->reset_value);
  else
    *(volatile uint8_t *)phys_to_virt(ai->reset_addr) = ai->reset_value;
  acpi_delay_us(500000);
  pr_warn("acpi: still running 0.5 s after the reset register write");
}
