/* Unit tests of the guest ACPI tables (hv/acpi_build.c): every checksum,
 * every link from the RSDP down inside the area and at the right address,
 * one MADT local APIC per vcpu, the hardware-reduced FADT, and refused
 * arguments.  The tables are read back by byte offsets from the ACPI
 * specification (chapter 5.2), not through the builder's structs, so a
 * slip in those would show here. */
#include "unit.h"

#include <hv/acpi_build.h>
#include <hv/errno.h>

#define AREA 4096
#define GPA 0xfc000000ULL

static uint8_t area[AREA];

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t len)
{
  uint8_t s = 0;
  while (len--)
    s += *p++;
  return s;
}

/* The buffer byte a guest-physical address of the tables names; the
 * whole [addr, addr + len) must lie inside the len_written bytes. */
static const uint8_t *at(uint64_t gpa, int written, uint64_t addr, uint64_t len)
{
  assert_true(addr >= gpa);
  assert_true(addr + len <= gpa + (uint64_t)written);
  return area + (addr - gpa);
}

/* The table with this signature at addr: inside the area, its length at
 * least a header, its checksum right.  Returns it; *len is its length. */
static const uint8_t *table(uint64_t gpa, int written, uint64_t addr, const char *sig,
                            uint32_t *len)
{
  const uint8_t *t = at(gpa, written, addr, 36);
  assert_memory_equal(t, sig, 4);
  *len = rd32(t + 4);
  assert_true(*len >= 36);
  t = at(gpa, written, addr, *len);
  assert_int_equal(sum(t, *len), 0);
  assert_memory_equal(t + 10, "MICA", 4); /* OEM ID */
  assert_memory_equal(t + 28, "MICA", 4); /* creator ID */
  return t;
}

/* Build for n vcpus at gpa and check everything. */
static void check_tables(uint64_t gpa, unsigned int n)
{
  memset(area, 0xaa, sizeof(area));
  int written = acpi_build(area, sizeof(area), gpa, n);
  assert_int_equal(written, ACPI_BUILD_SIZE(n));
  assert_int_equal(written, 492 + 8 * n);
  assert_int_equal(area[written], 0xaa); /* nothing past the end */

  /* RSDP at the start (5.2.5.3). */
  const uint8_t *rsdp = area;
  assert_memory_equal(rsdp, "RSD PTR ", 8);
  assert_int_equal(sum(rsdp, 20), 0);
  assert_int_equal(sum(rsdp, 36), 0);
  assert_memory_equal(rsdp + 9, "MICA", 4);
  assert_int_equal(rsdp[15], 2);         /* revision */
  assert_int_equal(rd32(rsdp + 16), 0);  /* no RSDT */
  assert_int_equal(rd32(rsdp + 20), 36); /* length */
  uint64_t xsdt_addr = rd64(rsdp + 24);
  assert_int_equal(xsdt_addr % 16, 0);

  /* XSDT (5.2.8): the FADT and the MADT. */
  uint32_t len;
  const uint8_t *xsdt = table(gpa, written, xsdt_addr, "XSDT", &len);
  assert_int_equal(xsdt[8], 1);
  assert_int_equal(len, 36 + 2 * 8);
  const uint8_t *fadt = NULL, *madt = NULL;
  uint32_t fadt_len = 0, madt_len = 0;
  for (unsigned int i = 0; i < (len - 36) / 8; i++) {
    uint64_t a = rd64(xsdt + 36 + 8 * i);
    const uint8_t *t = at(gpa, written, a, 4);
    if (!memcmp(t, "FACP", 4)) {
      assert_null(fadt);
      fadt = table(gpa, written, a, "FACP", &fadt_len);
    } else {
      assert_null(madt);
      madt = table(gpa, written, a, "APIC", &madt_len);
    }
  }
  assert_non_null(fadt);
  assert_non_null(madt);

  /* FADT (5.2.9), revision 6: hardware-reduced, pointing at the DSDT. */
  assert_int_equal(fadt_len, 276);
  assert_int_equal(fadt[8], 6);
  assert_int_equal(fadt[131], 0); /* minor version */
  uint32_t flags = rd32(fadt + 112);
  assert_true(flags & (1U << 20));                           /* HW_REDUCED_ACPI */
  assert_int_equal(rd32(fadt + 36), 0);                      /* FIRMWARE_CTRL: no FACS */
  assert_int_equal(rd64(fadt + 132), 0);                     /* X_FIRMWARE_CTRL */
  assert_int_equal(rd16(fadt + 46), 0);                      /* SCI_INT */
  assert_int_equal(rd32(fadt + 48), 0);                      /* SMI_CMD */
  assert_int_equal(rd32(fadt + 56), 0);                      /* PM1a_EVT_BLK */
  assert_int_equal(rd32(fadt + 64), 0);                      /* PM1a_CNT_BLK */
  assert_int_equal(rd32(fadt + 76), 0);                      /* PM_TMR_BLK */
  assert_int_equal(rd64(fadt + 208 + 4), 0);                 /* X_PM_TMR_BLK address */
  assert_int_equal(rd16(fadt + 109), (1U << 2) | (1U << 5)); /* no VGA, no CMOS RTC */
  uint64_t dsdt_addr = rd64(fadt + 140);                     /* X_DSDT */
  assert_int_equal(rd32(fadt + 40), dsdt_addr);              /* DSDT, the same */
  const uint8_t *dsdt = table(gpa, written, dsdt_addr, "DSDT", &len);
  assert_int_equal(len, 36);
  assert_int_equal(dsdt[8], 2);

  /* MADT (5.2.12): the LAPIC address, no PC-AT 8259s, and one enabled
   * Processor Local APIC per vcpu with UID = APIC ID = vcpu id. */
  assert_int_equal(madt_len, 44 + 8 * n);
  assert_int_equal(rd32(madt + 36), 0xfee00000U);
  assert_int_equal(rd32(madt + 40), 0);
  unsigned int lapics = 0;
  for (uint32_t off = 44; off < madt_len; off += madt[off + 1]) {
    assert_true(madt[off + 1] >= 2);
    assert_int_equal(madt[off], 0); /* type: Processor Local APIC */
    assert_int_equal(madt[off + 1], 8);
    assert_int_equal(madt[off + 2], lapics);   /* ACPI processor UID */
    assert_int_equal(madt[off + 3], lapics);   /* APIC ID */
    assert_int_equal(rd32(madt + off + 4), 1); /* enabled */
    lapics++;
  }
  assert_int_equal(lapics, n);

  /* No two tables overlap: sorted by address, each ends before the next. */
  uint64_t starts[5] = {gpa, xsdt_addr, (uint64_t)(fadt - area) + gpa, dsdt_addr,
                        (uint64_t)(madt - area) + gpa};
  uint64_t lens[5] = {36, 52, fadt_len, 36, madt_len};
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      if (i != j)
        assert_true(starts[i] + lens[i] <= starts[j] || starts[j] + lens[j] <= starts[i]);
}

static void test_one_vcpu(void **state)
{
  (void)state;
  check_tables(GPA, 1);
}

static void test_two_vcpus(void **state)
{
  (void)state;
  check_tables(GPA, 2);
}

static void test_32_vcpus(void **state)
{
  (void)state;
  check_tables(GPA, 32);
  /* The most a domain may have fits in the page the domain builder maps. */
  assert_true(ACPI_BUILD_SIZE(32) <= 4096);
}

static void test_most_vcpus(void **state)
{
  (void)state;
  check_tables(GPA, ACPI_BUILD_MAX_VCPUS);
}

static void test_other_addresses(void **state)
{
  (void)state;
  check_tables(0x1000, 3);
  check_tables(0xfeffe000ULL, 4);
  /* The last address below 4 GiB that still holds them. */
  check_tables(0x100000000ULL - ALIGN_UP(ACPI_BUILD_SIZE(5), 16), 5);
}

/* An error writes nothing. */
static void expect_refused(size_t size, uint64_t gpa, unsigned int n, int err)
{
  memset(area, 0xaa, sizeof(area));
  assert_int_equal(acpi_build(area, size, gpa, n), err);
  for (size_t i = 0; i < sizeof(area); i++)
    assert_int_equal(area[i], 0xaa);
}

static void test_too_small_buffer(void **state)
{
  (void)state;
  expect_refused(ACPI_BUILD_SIZE(1) - 1, GPA, 1, -ENOSPC);
  expect_refused(ACPI_BUILD_SIZE(32) - 1, GPA, 32, -ENOSPC);
  expect_refused(0, GPA, 1, -ENOSPC);
  /* Exactly enough is enough. */
  assert_int_equal(acpi_build(area, ACPI_BUILD_SIZE(32), GPA, 32), ACPI_BUILD_SIZE(32));
}

static void test_bad_arguments(void **state)
{
  (void)state;
  expect_refused(AREA, GPA, 0, -EINVAL);
  expect_refused(AREA, GPA, ACPI_BUILD_MAX_VCPUS + 1, -EINVAL);
  expect_refused(AREA, GPA + 8, 1, -EINVAL);              /* not 16-byte aligned */
  expect_refused(AREA, 0x100000000ULL, 1, -EINVAL);       /* not below 4 GiB */
  expect_refused(AREA, 0x100000000ULL - 256, 1, -EINVAL); /* crosses 4 GiB */
  expect_refused(AREA, ~0ULL & ~15ULL, 1, -EINVAL);
}

/* The hardware domain's tables: an RSDP with the firmware's OEM ID, an
 * XSDT listing the new MADT first and then the firmware's tables, a MADT
 * with the I/O APICs, the vcpus and the overrides, every checksum right. */
static void test_hwdom_tables(void **state)
{
  (void)state;
  static struct acpi_hwdom h;
  memset(&h, 0, sizeof(h));
  memcpy(h.oem_id, "BOCHS ", 6);
  h.nr_vcpus = 3;
  h.nr_ioapics = 2;
  h.ioapic[0].id = 1;
  h.ioapic[0].addr = 0xfec00000;
  h.ioapic[1].id = 2;
  h.ioapic[1].addr = 0xfec01000;
  h.ioapic[1].gsi_base = 24;
  h.nr_isos = 1;
  h.iso[0].source = 0;
  h.iso[0].gsi = 2;
  h.iso[0].flags = 0xd;
  h.nr_tables = 2;
  h.tables[0] = 0x3fff0034;
  h.tables[1] = 0x3fff0f38;
  uint64_t gpa = 0x20fff000;
  memset(area, 0xaa, sizeof(area));
  int n = acpi_build_hwdom(area, sizeof(area), gpa, &h);
  assert_true(n > 0);
  const uint8_t *rsdp = area;
  assert_memory_equal(rsdp, "RSD PTR ", 8);
  assert_memory_equal(rsdp + 9, "BOCHS ", 6);
  assert_int_equal(rsdp[15], 2);
  assert_int_equal(sum(rsdp, 20), 0);
  assert_int_equal(sum(rsdp, 36), 0);
  uint32_t len;
  const uint8_t *xsdt = table(gpa, n, rd64(rsdp + 24), "XSDT", &len);
  assert_int_equal(len, 36 + 8 * 3);
  assert_int_equal(rd64(xsdt + 44), 0x3fff0034);
  assert_int_equal(rd64(xsdt + 52), 0x3fff0f38);
  const uint8_t *madt = table(gpa, n, rd64(xsdt + 36), "APIC", &len);
  assert_int_equal(len, 44 + 2 * 12 + 3 * 8 + 10);
  assert_int_equal(rd32(madt + 36), 0xfee00000);
  assert_int_equal(rd32(madt + 40), 0); /* no PCAT_COMPAT */
  const uint8_t *e = madt + 44;
  assert_int_equal(e[0], 1); /* I/O APIC */
  assert_int_equal(e[2], 1);
  assert_int_equal(rd32(e + 4), 0xfec00000);
  e += 12;
  assert_int_equal(rd32(e + 8), 24);
  e += 12;
  for (unsigned int i = 0; i < 3; i++, e += 8) {
    assert_int_equal(e[0], 0); /* local APIC: UID i, APIC ID i, enabled */
    assert_int_equal(e[2], i);
    assert_int_equal(e[3], i);
    assert_int_equal(rd32(e + 4), 1);
  }
  assert_int_equal(e[0], 2); /* the override */
  assert_int_equal(e[3], 0);
  assert_int_equal(rd32(e + 4), 2);
  assert_int_equal(rd16(e + 8), 0xd);
  /* Refusals: no vcpu, too many tables, above 4 GiB, a small buffer. */
  h.nr_vcpus = 0;
  assert_int_equal(acpi_build_hwdom(area, sizeof(area), gpa, &h), -EINVAL);
  h.nr_vcpus = 1;
  h.nr_tables = ACPI_HWDOM_MAX_TABLES + 1;
  assert_int_equal(acpi_build_hwdom(area, sizeof(area), gpa, &h), -EINVAL);
  h.nr_tables = 0;
  assert_int_equal(acpi_build_hwdom(area, sizeof(area), GiB(4), &h), -EINVAL);
  assert_int_equal(acpi_build_hwdom(area, 64, gpa, &h), -ENOSPC);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_vcpu),        cmocka_unit_test(test_two_vcpus),
      cmocka_unit_test(test_32_vcpus),        cmocka_unit_test(test_most_vcpus),
      cmocka_unit_test(test_other_addresses), cmocka_unit_test(test_too_small_buffer),
      cmocka_unit_test(test_bad_arguments),   cmocka_unit_test(test_hwdom_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
