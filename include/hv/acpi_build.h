/* ACPI tables for a guest, as Xen's toolstack gives a PVH domU: an RSDP,
 * an XSDT, a hardware-reduced FADT, an empty DSDT and a MADT with one
 * local APIC per vcpu.  Generic code: the tables are written into a
 * buffer that the caller maps into the guest. */
#ifndef HV_ACPI_BUILD_H
#define HV_ACPI_BUILD_H

#include <hv/types.h>

#define ACPI_BUILD_LAPIC_ADDR 0xfee00000U /* the local APIC's MMIO base */
/* MADT type-0 entries carry 8-bit APIC IDs and 0xff is the broadcast ID,
 * so vcpus 0..254. */
#define ACPI_BUILD_MAX_VCPUS 255

/* Bytes the tables take for nr_vcpus vcpus: a fixed part and 8 bytes of
 * MADT per vcpu (hv/acpi_build.c checks this against its layout). */
#define ACPI_BUILD_FIXED_SIZE 492
#define ACPI_BUILD_SIZE(nr_vcpus) (ACPI_BUILD_FIXED_SIZE + 8 * (nr_vcpus))

/* Write the tables for a guest with nr_vcpus vcpus (vcpu i has ACPI
 * processor UID i and APIC ID i) into buf, which the guest will see at
 * guest-physical address gpa; every address in them is gpa-based.  The
 * RSDP is at the start of buf (so at gpa), then the XSDT, FADT, DSDT and
 * MADT, each 16-byte aligned; bytes between them are zeroed.
 * Needs gpa 16-byte aligned and the tables below 4 GiB (the FADT's DSDT
 * field is 32 bits).  Returns the number of bytes written
 * (ACPI_BUILD_SIZE(nr_vcpus)), -EINVAL (nr_vcpus not 1..255, gpa
 * unsuitable) or -ENOSPC (size too small); on an error nothing is
 * written. */
int acpi_build(void *buf, size_t size, uint64_t gpa, unsigned int nr_vcpus);

#define ACPI_HWDOM_MAX_IOAPICS 8
#define ACPI_HWDOM_MAX_ISOS 16
#define ACPI_HWDOM_MAX_TABLES 64

/* What the hardware domain's tables are made of: the firmware's tables it
 * keeps (their host addresses, in the order the XSDT lists them), and for
 * its MADT the host's I/O APICs and ISA interrupt overrides. */
struct acpi_hwdom {
  char oem_id[6]; /* the firmware's RSDP's */
  unsigned int nr_vcpus;
  unsigned int nr_ioapics;
  struct {
    uint8_t id;
    uint32_t addr, gsi_base;
  } ioapic[ACPI_HWDOM_MAX_IOAPICS];
  unsigned int nr_isos;
  struct {
    uint8_t source; /* ISA IRQ */
    uint32_t gsi;
    uint16_t flags; /* MPS INTI flags */
  } iso[ACPI_HWDOM_MAX_ISOS];
  unsigned int nr_tables;
  uint64_t tables[ACPI_HWDOM_MAX_TABLES];
};

/* Write the hardware domain's RSDP (at buf, so at gpa), XSDT and MADT,
 * as Xen builds them for a PVH dom0 (xen/arch/x86/hvm/dom0_build.c): the
 * XSDT lists the new MADT first and then h->tables; the MADT has one
 * local APIC per vcpu (APIC ID = vcpu id), h's I/O APICs and overrides,
 * and no PCAT_COMPAT (the 8259s are not dom0's).  Returns the bytes
 * written, -EINVAL (no vcpus or more than 255, too many of anything,
 * gpa unaligned or above 4 GiB) or -ENOSPC (size too small). */
int acpi_build_hwdom(void *buf, size_t size, uint64_t gpa, const struct acpi_hwdom *h);

#endif
