/* ACPI tables for a guest: what an OS needs to find its CPUs (the MADT)
 * on a machine with no legacy hardware (a hardware-reduced FADT).
 *
 * The set follows what Xen's toolstack gives a PVH domU (libacpi: RSDP,
 * XSDT, FADT, DSDT, MADT without IO-APIC), with three differences: the
 * FADT says HW_REDUCED_ACPI (we emulate no PM1 blocks, PM timer or SCI, so
 * there is no FACS either); the APIC ID of vcpu i is i (Xen uses 2i); and
 * there is no RSDT or ACPI 1.0 FADT, only the XSDT.  Layouts are in
 * include/hv/acpi_tables.h; revisions are ACPI 6.0's (FADT 6.0, MADT 4). */
#include <hv/acpi_build.h>
#include <hv/acpi_tables.h>
#include <hv/errno.h>
#include <hv/string.h>

/* Where each table sits in the buffer: 16-byte aligned, MADT last as the
 * only one whose length depends on the guest. */
#define RSDP_OFF 0
#define XSDT_OFF 48
#define XSDT_ENTRIES 2 /* FADT, MADT */
#define FADT_OFF 112
#define DSDT_OFF 400
#define MADT_OFF 448

_Static_assert(RSDP_OFF + sizeof(struct acpi_rsdp) <= XSDT_OFF, "RSDP overlaps the XSDT");
_Static_assert(XSDT_OFF + sizeof(struct acpi_xsdt) + 8 * XSDT_ENTRIES <= FADT_OFF,
               "XSDT overlaps the FADT");
_Static_assert(FADT_OFF + sizeof(struct acpi_fadt) <= DSDT_OFF, "FADT overlaps the DSDT");
_Static_assert(DSDT_OFF + sizeof(struct acpi_sdt_header) <= MADT_OFF, "DSDT overlaps the MADT");
_Static_assert(MADT_OFF + sizeof(struct acpi_madt) == ACPI_BUILD_FIXED_SIZE,
               "ACPI_BUILD_FIXED_SIZE is not the layout's");
_Static_assert((XSDT_OFF | FADT_OFF | DSDT_OFF | MADT_OFF) % 16 == 0, "tables 16-byte aligned");

/* Our names in the tables' OEM fields (space-padded, as is usual). */
static const char OEM_ID[6] = {'M', 'I', 'C', 'A', ' ', ' '};
static const char OEM_TABLE_ID[8] = {'M', 'I', 'C', 'A', 'P', 'V', 'H', ' '};
static const char CREATOR_ID[4] = {'M', 'I', 'C', 'A'};
#define OEM_REVISION 1
#define CREATOR_REVISION 1

/* The byte that makes len bytes at p sum to 0 mod 256 (5.2.5.3, 5.2.6),
 * given that the checksum byte itself is still 0. */
static uint8_t checksum(const void *p, size_t len)
{
  const uint8_t *b = p;
  uint8_t sum = 0;
  while (len--)
    sum += *b++;
  return (uint8_t)-sum;
}

/* Fill a table header; the checksum comes last, once the body is in. */
static void header(struct acpi_sdt_header *h, const char sig[4], uint32_t len, uint8_t rev)
{
  memcpy(h->signature, sig, 4);
  h->length = len;
  h->revision = rev;
  memcpy(h->oem_id, OEM_ID, sizeof(h->oem_id));
  memcpy(h->oem_table_id, OEM_TABLE_ID, sizeof(h->oem_table_id));
  h->oem_revision = OEM_REVISION;
  memcpy(h->creator_id, CREATOR_ID, sizeof(h->creator_id));
  h->creator_revision = CREATOR_REVISION;
}

static void seal(struct acpi_sdt_header *h)
{
  h->checksum = 0;
  h->checksum = checksum(h, h->length);
}

static void build_fadt(struct acpi_fadt *f, uint64_t dsdt)
{
  header(&f->h, "FACP", sizeof(*f), 6);
  f->minor_version = 0;
  /* No FACS: hardware-reduced ACPI has no global lock or waking vector
   * (5.2.10).  No SCI, PM1 blocks, PM timer or GPEs: all zero. */
  f->dsdt = (uint32_t)dsdt;
  f->x_dsdt = dsdt;
  /* HW_REDUCED_ACPI: the OS must not look for fixed ACPI hardware
   * (4.1); with it Linux also leaves the 8259s and the PIT alone.  The
   * button bits say there are no fixed buttons, as Xen's PVH FADT does. */
  f->flags = ACPI_FADT_F_HW_REDUCED_ACPI | ACPI_FADT_F_PWR_BUTTON | ACPI_FADT_F_SLP_BUTTON;
  /* As Xen's toolstack says for PVH: no VGA, no CMOS RTC (the guest
   * keeps time through the PV clock), no 8042. */
  f->iapc_boot_arch = ACPI_FADT_BOOT_NO_VGA | ACPI_FADT_BOOT_NO_CMOS_RTC;
  seal(&f->h);
}

static void build_madt(struct acpi_madt *m, unsigned int nr_vcpus)
{
  uint32_t len = sizeof(*m) + nr_vcpus * sizeof(struct acpi_madt_lapic);
  header(&m->h, "APIC", len, 4);
  m->lapic_addr = ACPI_BUILD_LAPIC_ADDR;
  m->flags = 0; /* no PCAT_COMPAT: there are no 8259s */
  struct acpi_madt_lapic *l = (struct acpi_madt_lapic *)(m + 1);
  for (unsigned int i = 0; i < nr_vcpus; i++) {
    /* The APIC ID is what CPUID leaf 1 EBX[31:24] and the emulated
     * LAPIC's ID register say for vcpu i: i itself. */
    l[i] = (struct acpi_madt_lapic){.type = ACPI_MADT_TYPE_LAPIC,
                                    .length = sizeof(struct acpi_madt_lapic),
                                    .acpi_processor_uid = (uint8_t)i,
                                    .apic_id = (uint8_t)i,
                                    .flags = ACPI_MADT_LAPIC_ENABLED};
  }
  seal(&m->h);
}

int acpi_build(void *buf, size_t size, uint64_t gpa, unsigned int nr_vcpus)
{
  if (nr_vcpus < 1 || nr_vcpus > ACPI_BUILD_MAX_VCPUS)
    return -EINVAL;
  size_t len = ACPI_BUILD_SIZE(nr_vcpus);
  if (!IS_ALIGNED(gpa, 16) || gpa >= GiB(4) || GiB(4) - gpa < len)
    return -EINVAL;
  if (size < len)
    return -ENOSPC;

  uint8_t *b = buf;
  memset(b, 0, len);

  /* The DSDT: a header and no AML.  The OS needs no device objects to
   * find the CPUs (the MADT lists them); revision 2 means 64-bit
   * integers in AML. */
  struct acpi_sdt_header *dsdt = (struct acpi_sdt_header *)(b + DSDT_OFF);
  header(dsdt, "DSDT", sizeof(*dsdt), 2);
  seal(dsdt);

  build_fadt((struct acpi_fadt *)(b + FADT_OFF), gpa + DSDT_OFF);
  build_madt((struct acpi_madt *)(b + MADT_OFF), nr_vcpus);

  struct acpi_xsdt *xsdt = (struct acpi_xsdt *)(b + XSDT_OFF);
  header(&xsdt->h, "XSDT", sizeof(*xsdt) + 8 * XSDT_ENTRIES, 1);
  xsdt->entry[0] = gpa + FADT_OFF;
  xsdt->entry[1] = gpa + MADT_OFF;
  seal(&xsdt->h);

  struct acpi_rsdp *rsdp = (struct acpi_rsdp *)(b + RSDP_OFF);
  memcpy(rsdp->signature, "RSD PTR ", 8);
  memcpy(rsdp->oem_id, OEM_ID, sizeof(rsdp->oem_id));
  rsdp->revision = 2;
  rsdp->rsdt_addr = 0; /* XSDT only: ACPI 2.0+ OSes use it when present */
  rsdp->length = sizeof(*rsdp);
  rsdp->xsdt_addr = gpa + XSDT_OFF;
  rsdp->checksum = checksum(rsdp, ACPI_RSDP_V1_LEN);
  rsdp->ext_checksum = checksum(rsdp, sizeof(*rsdp));
  return (int)len;
}

/* The hardware domain's MADT at m; returns its length. */
static uint32_t build_hwdom_madt(struct acpi_madt *m, const struct acpi_hwdom *h)
{
  uint8_t *p = (uint8_t *)(m + 1);
  for (unsigned int i = 0; i < h->nr_ioapics; i++, p += sizeof(struct acpi_madt_ioapic))
    *(struct acpi_madt_ioapic *)p =
        (struct acpi_madt_ioapic){.type = ACPI_MADT_TYPE_IOAPIC,
                                  .length = sizeof(struct acpi_madt_ioapic),
                                  .id = h->ioapic[i].id,
                                  .addr = h->ioapic[i].addr,
                                  .gsi_base = h->ioapic[i].gsi_base};
  for (unsigned int i = 0; i < h->nr_vcpus; i++, p += sizeof(struct acpi_madt_lapic))
    *(struct acpi_madt_lapic *)p =
        (struct acpi_madt_lapic){.type = ACPI_MADT_TYPE_LAPIC,
                                 .length = sizeof(struct acpi_madt_lapic),
                                 .acpi_processor_uid = (uint8_t)i,
                                 .apic_id = (uint8_t)i,
                                 .flags = ACPI_MADT_LAPIC_ENABLED};
  for (unsigned int i = 0; i < h->nr_isos; i++, p += sizeof(struct acpi_madt_iso))
    *(struct acpi_madt_iso *)p = (struct acpi_madt_iso){.type = ACPI_MADT_TYPE_ISO,
                                                        .length = sizeof(struct acpi_madt_iso),
                                                        .bus = 0,
                                                        .source = h->iso[i].source,
                                                        .gsi = h->iso[i].gsi,
                                                        .flags = h->iso[i].flags};
  uint32_t len = (uint32_t)(p - (uint8_t *)m);
  header(&m->h, "APIC", len, 4);
  m->lapic_addr = ACPI_BUILD_LAPIC_ADDR;
  m->flags = 0;
  seal(&m->h);
  return len;
}

int acpi_build_hwdom(void *buf, size_t size, uint64_t gpa, const struct acpi_hwdom *h)
{
  if (h->nr_vcpus < 1 || h->nr_vcpus > ACPI_BUILD_MAX_VCPUS ||
      h->nr_ioapics > ACPI_HWDOM_MAX_IOAPICS || h->nr_isos > ACPI_HWDOM_MAX_ISOS ||
      h->nr_tables > ACPI_HWDOM_MAX_TABLES || !IS_ALIGNED(gpa, 16) || gpa >= GiB(4))
    return -EINVAL;
  size_t xsdt_off = ALIGN_UP(sizeof(struct acpi_rsdp), 16);
  size_t xsdt_len = sizeof(struct acpi_xsdt) + 8 * (1 + h->nr_tables);
  size_t madt_off = ALIGN_UP(xsdt_off + xsdt_len, 16);
  size_t madt_len = sizeof(struct acpi_madt) + h->nr_ioapics * sizeof(struct acpi_madt_ioapic) +
                    h->nr_vcpus * sizeof(struct acpi_madt_lapic) +
                    h->nr_isos * sizeof(struct acpi_madt_iso);
  size_t len = madt_off + madt_len;
  if (GiB(4) - gpa < len)
    return -EINVAL;
  if (size < len)
    return -ENOSPC;

  uint8_t *b = buf;
  memset(b, 0, len);
  build_hwdom_madt((struct acpi_madt *)(b + madt_off), h);

  struct acpi_xsdt *xsdt = (struct acpi_xsdt *)(b + xsdt_off);
  header(&xsdt->h, "XSDT", (uint32_t)xsdt_len, 1);
  xsdt->entry[0] = gpa + madt_off;
  for (unsigned int i = 0; i < h->nr_tables; i++)
    xsdt->entry[1 + i] = h->tables[i];
  seal(&xsdt->h);

  /* Xen's: the firmware's OEM ID, revision 2, the XSDT only. */
  struct acpi_rsdp *rsdp = (struct acpi_rsdp *)b;
  memcpy(rsdp->signature, "RSD PTR ", 8);
  memcpy(rsdp->oem_id, h->oem_id, sizeof(rsdp->oem_id));
  rsdp->revision = 2;
  rsdp->length = sizeof(*rsdp);
  rsdp->xsdt_addr = gpa + xsdt_off;
  rsdp->checksum = checksum(rsdp, ACPI_RSDP_V1_LEN);
  rsdp->ext_checksum = checksum(rsdp, sizeof(*rsdp));
  return (int)len;
}
