/* Unit tests of the PCI device accounting (hv/pcidev.c) over a fake
 * configuration space: Xen 4.19's answers to the hardware domain's
 * reports (a device present at boot, one that is not there, one with a
 * header vPCI does not take, other segments, functions Xen's boot scan
 * skips, hidden devices), removal and its -ENODEV, the table's limit, and
 * the ECAM reports with their checks, without an MCFG table and with one. */
#include "unit.h"
#include <arch/pci.h>
#include <hv/errno.h>
#include <hv/pcidev.h>
#include <public/physdev.h>

#define DEVFN(d, f) ((uint8_t)((d) << 3 | (f)))

/* ---- the fake configuration space ----
 * Each function listed answers with its vendor/device dword and header
 * type; every other one reads all ones, as an empty slot does.  Bus 5
 * (and bus 6) is a rule instead: every device there has functions 1..7
 * only, header type 0, and no function 0 (which Xen's boot scan needs
 * before it looks further), so each is a device Xen did not find at
 * boot. */
struct fake_fn {
  uint8_t bus, devfn;
  uint32_t id;
  uint8_t header;
};
static struct fake_fn fakes[16];
static unsigned int nr_fakes;
static unsigned int reads;

uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  reads++;
  assert_true(off < 256 && (off & 3) == 0 && dev < 32 && fn < 8);
  if ((bus == 5 || bus == 6) && fn != 0)
    return off == 0 ? 0x10008086u : 0;
  for (unsigned int i = 0; i < nr_fakes; i++)
    if (fakes[i].bus == bus && fakes[i].devfn == DEVFN(dev, fn))
      return off == 0 ? fakes[i].id : off == 0xc ? (uint32_t)fakes[i].header << 16 : 0;
  return 0xffffffffu;
}

void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
  (void)bus, (void)dev, (void)fn, (void)off, (void)v;
  fail_msg("pcidev writes no configuration space");
}

static void fake(uint8_t bus, uint8_t devfn, uint32_t id, uint8_t header)
{
  assert_true(nr_fakes < ARRAY_SIZE(fakes));
  fakes[nr_fakes++] = (struct fake_fn){bus, devfn, id, header};
}

static int setup(void **state)
{
  (void)state;
  pcidev_reset();
  nr_fakes = 0;
  reads = 0;
  /* Bochs' i440FX: the host bridge, the PIIX3 (multi-function: ISA
   * bridge, IDE, USB, ACPI), a VGA card, the e1000. */
  fake(0, DEVFN(0, 0), 0x12378086, 0x00);
  fake(0, DEVFN(1, 0), 0x70008086, 0x80);
  fake(0, DEVFN(1, 1), 0x70108086, 0x00);
  fake(0, DEVFN(1, 3), 0x71138086, 0x00);
  fake(0, DEVFN(2, 0), 0x11111234, 0x00);
  fake(0, DEVFN(3, 0), 0x100e8086, 0x00);
  /* A device whose function 0 says it has one function, and yet answers
   * at function 2; a bridge; a CardBus bridge found at boot. */
  fake(0, DEVFN(4, 0), 0x29188086, 0x00);
  fake(0, DEVFN(4, 2), 0x29308086, 0x00);
  fake(0, DEVFN(7, 0), 0x24488086, 0x01);
  fake(2, DEVFN(0, 0), 0x7a001180, 0x02);
  shim_log_clear();
  return 0;
}

/* A device present at boot is the hardware domain's: adding it changes
 * nothing (0, twice); removing it is 0 once, then -ENODEV; adding it
 * again brings it back. */
static void test_present_device(void **state)
{
  (void)state;
  assert_int_equal(pcidev_add(0, 0, DEVFN(0, 0), 0), 0);
  assert_int_equal(pcidev_add(0, 0, DEVFN(0, 0), 0), 0);
  assert_int_equal(pcidev_add(0, 0, DEVFN(7, 0), XEN_PCI_DEV_EXTFN), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0, 0)), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0, 0)), -ENODEV);
  assert_int_equal(pcidev_add(0, 0, DEVFN(0, 0), 0), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0, 0)), 0);
  /* Removed without being reported first: Xen had it from its scan. */
  assert_int_equal(pcidev_remove(0, 0, DEVFN(2, 0)), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(2, 0)), -ENODEV);
  /* A function of a multi-function device. */
  assert_int_equal(pcidev_remove(0, 0, DEVFN(1, 3)), 0);
  assert_int_equal(pcidev_add(0, 0, DEVFN(1, 3), 0), 0);
  /* A CardBus bridge present at boot is dom0's too (no vPCI check). */
  assert_int_equal(pcidev_add(0, 2, DEVFN(0, 0), 0), 0);
  assert_false(shim_log_contains("-EOPNOTSUPP"));
}

/* A function that is not there reads header type 0x7f: Xen's vPCI
 * refuses it (-EOPNOTSUPP); the device stays known, nobody's, so a
 * remove is 0 (and then -ENODEV), and a second add is refused again. */
static void test_absent_device(void **state)
{
  (void)state;
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0x1f, 7)), -ENODEV);
  assert_int_equal(pcidev_add(0, 0, DEVFN(0x1f, 7), 0), -EOPNOTSUPP);
  assert_true(shim_log_contains("0000:00:1f.7: no device header vPCI takes there"));
  assert_int_equal(pcidev_add(0, 0, DEVFN(0x1f, 7), 0), -EOPNOTSUPP);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0x1f, 7)), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0x1f, 7)), -ENODEV);
  /* Vendor ids some boards answer for an empty slot are no device
   * either (Xen's pci_device_detect): never found, so never removed. */
  fake(0, DEVFN(9, 0), 0x00000000, 0x00);
  fake(0, DEVFN(10, 0), 0xffff0000, 0x00);
  fake(0, DEVFN(11, 0), 0x0000ffff, 0x00);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(9, 0)), -ENODEV);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(10, 0)), -ENODEV);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(11, 0)), -ENODEV);
  /* Their headers say type 0, so vPCI takes them when reported. */
  assert_int_equal(pcidev_add(0, 0, DEVFN(9, 0), 0), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(9, 0)), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(9, 0)), -ENODEV);
}

/* Function 2 of a device whose function 0 has no multi-function bit:
 * Xen's scan never looked, so it is new when reported (and taken: its
 * header is type 0); before that a remove is -ENODEV. */
static void test_function_the_scan_skips(void **state)
{
  (void)state;
  assert_int_equal(pcidev_remove(0, 0, DEVFN(4, 2)), -ENODEV);
  assert_int_equal(pcidev_add(0, 0, DEVFN(4, 2), 0), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(4, 2)), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(4, 2)), -ENODEV);
}

/* A device that came after boot with a CardBus header: vPCI takes only
 * types 0 and 1. */
static void test_new_device_header_types(void **state)
{
  (void)state;
  fake(3, DEVFN(0, 0), 0x7a001180, 0x82); /* type 2, multi-function bit */
  fake(3, DEVFN(1, 0), 0x7a001180, 0x01); /* a bridge */
  /* Present in configuration space, hence dom0's already: nothing to
   * check.  To be new it must have been removed first. */
  assert_int_equal(pcidev_remove(0, 3, DEVFN(0, 0)), 0);
  assert_int_equal(pcidev_add(0, 3, DEVFN(0, 0), 0), -EOPNOTSUPP);
  assert_int_equal(pcidev_remove(0, 3, DEVFN(1, 0)), 0);
  assert_int_equal(pcidev_add(0, 3, DEVFN(1, 0), 0), 0);
}

/* Segments other than 0: the hypervisor reaches none, Xen has no ECAM for
 * one it was not told of: all ones, header type 0x7f. */
static void test_other_segments(void **state)
{
  (void)state;
  assert_int_equal(pcidev_remove(1, 0, DEVFN(0, 0)), -ENODEV);
  unsigned int before = reads;
  assert_int_equal(pcidev_add(1, 0, DEVFN(0, 0), 0), -EOPNOTSUPP);
  assert_int_equal(reads, before); /* segment 0's space is not asked */
  assert_int_equal(pcidev_add(0xffff, 0xff, 0xff, 0), -EOPNOTSUPP);
  assert_int_equal(pcidev_remove(1, 0, DEVFN(0, 0)), 0);
  assert_int_equal(pcidev_remove(1, 0, DEVFN(0, 0)), -ENODEV);
}

/* The hypervisor's own device: said once; the hardware domain's add and
 * remove are 0, as Xen answers for a dom_xen device, and it stays hidden. */
static void test_hidden_device(void **state)
{
  (void)state;
  assert_false(pcidev_hidden(0, DEVFN(3, 0)));
  pcidev_hide(0, DEVFN(3, 0), "the network console's NIC");
  pcidev_hide(0, DEVFN(3, 0), "the network console's NIC");
  const char *line = "pcidev: 0000:00:03.0 hidden from dom0: the network console's NIC";
  const char *log = shim_log(), *first = strstr(log, line);
  assert_non_null(first);
  assert_null(strstr(first + 1, line));
  assert_true(pcidev_hidden(0, DEVFN(3, 0)));
  assert_false(pcidev_hidden(0, DEVFN(3, 1)));
  assert_false(pcidev_hidden(1, DEVFN(3, 0)));
  assert_int_equal(pcidev_add(0, 0, DEVFN(3, 0), 0), 0);
  assert_true(shim_log_contains("dom0 reported 0000:00:03.0, which the hypervisor keeps"));
  assert_true(pcidev_hidden(0, DEVFN(3, 0)));
  assert_int_equal(pcidev_remove(0, 0, DEVFN(3, 0)), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(3, 0)), 0);
  assert_true(pcidev_hidden(0, DEVFN(3, 0)));
  /* The same bus:devfn on another segment is not the hidden one. */
  assert_int_equal(pcidev_add(1, 0, DEVFN(3, 0), 0), -EOPNOTSUPP);
  /* At most PCIDEV_HIDDEN_MAX, loudly. */
  for (unsigned int i = 1; i < PCIDEV_HIDDEN_MAX; i++)
    pcidev_hide(1, DEVFN(i, 0), "a test device");
  assert_false(shim_log_contains("cannot be hidden"));
  pcidev_hide(9, 0, "one too many");
  assert_true(shim_log_contains("0000:09:00.0 (one too many) cannot be hidden from dom0"));
  assert_false(pcidev_hidden(9, 0));
}

/* Entries are made for what differs from boot; past PCIDEV_REPORTS_MAX a
 * new device is -ENOMEM (Xen's failed allocation), while a device dom0
 * has already is still 0. */
static void test_table_limit(void **state)
{
  (void)state;
  unsigned int n = 0;
  for (unsigned int bus = 5; bus <= 6 && n < PCIDEV_REPORTS_MAX; bus++)
    for (unsigned int dev = 0; dev < 32 && n < PCIDEV_REPORTS_MAX; dev++)
      for (unsigned int fn = 1; fn < 8 && n < PCIDEV_REPORTS_MAX; fn++, n++)
        assert_int_equal(pcidev_add(0, (uint8_t)bus, DEVFN(dev, fn), 0), 0);
  assert_int_equal(n, PCIDEV_REPORTS_MAX);
  assert_int_equal(pcidev_add(0, 6, DEVFN(31, 7), 0), -ENOMEM);
  assert_int_equal(pcidev_add(0, 0x1f, DEVFN(0, 0), 0), -ENOMEM);
  assert_int_equal(pcidev_add(0, 0, DEVFN(0, 0), 0), 0); /* present: no entry needed */
  assert_int_equal(pcidev_remove(0, 0, DEVFN(0, 0)), 0); /* not kept: no room */
  /* A removal frees the entry of a device not present at boot. */
  assert_int_equal(pcidev_remove(0, 5, DEVFN(0, 1)), 0);
  assert_int_equal(pcidev_add(0, 6, DEVFN(31, 7), 0), 0);
  assert_int_equal(pcidev_add(0, 6, DEVFN(31, 6), 0), -ENOMEM);
}

/* The ECAM reports: Xen's checks, the first report standing for MCFG. */
static void test_mmcfg(void **state)
{
  (void)state;
  assert_null(pcidev_mmcfg_at(0));
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0xff, 2), -EINVAL);
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0xff, 3), -EINVAL);
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0x10, 0x0f, 1), -ENODEV);
  assert_null(pcidev_mmcfg_at(0));
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x7f, XEN_PCI_MMCFG_RESERVED), 0);
  assert_true(shim_log_contains(
      "pcidev: dom0 reports MMCFG of segment 0000 buses 00-7f at 0xe0000000 (reserved)"));
  const struct pcidev_mmcfg *m = pcidev_mmcfg_at(0);
  assert_non_null(m);
  assert_int_equal(m->address, 0xe0000000);
  assert_int_equal(m->base, 0xe0000000);
  assert_int_equal(m->size, 0x80ull << 20);
  assert_int_equal(m->seg, 0);
  assert_int_equal(m->start_bus, 0);
  assert_int_equal(m->end_bus, 0x7f);
  assert_true(m->reserved);
  assert_null(pcidev_mmcfg_at(1));
  /* Again: 0.  The same range elsewhere: -EIO. */
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x7f, XEN_PCI_MMCFG_RESERVED), 0);
  assert_int_equal(pcidev_mmcfg_reserved(0xd0000000, 0, 0, 0x7f, XEN_PCI_MMCFG_RESERVED), -EIO);
  assert_true(shim_log_contains("reported 0xe0000000 before: -EIO"));
  /* Overlapping it, another range: -EEXIST when reserved, kept when not. */
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0x40, 0xff, XEN_PCI_MMCFG_RESERVED),
                   -EEXIST);
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0x40, 0xff, 0), 0);
  assert_false(pcidev_mmcfg_at(1)->reserved);
  assert_int_equal(pcidev_mmcfg_at(1)->base, 0xe0000000ull + (0x40ull << 20));
  /* Beside it, and another segment at the next address: 0. */
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0x80, 0x80, XEN_PCI_MMCFG_RESERVED), 0);
  assert_int_equal(pcidev_mmcfg_reserved(0xf0000000, 1, 0, 0xff, XEN_PCI_MMCFG_RESERVED), 0);
  /* Not reserved any more: kept, marked; still registered for overlaps. */
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x7f, 0), 0);
  assert_false(pcidev_mmcfg_at(0)->reserved);
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x3f, XEN_PCI_MMCFG_RESERVED), -EEXIST);
  /* At most PCIDEV_MMCFG_MAX regions. */
  unsigned int i = 4;
  for (; i < PCIDEV_MMCFG_MAX; i++)
    assert_int_equal(pcidev_mmcfg_reserved(0x100000000ull * i, (uint16_t)i, 0, 0, 1), 0);
  assert_int_equal(pcidev_mmcfg_reserved(0x100000000ull * i, (uint16_t)i, 0, 0, 1), -ENOMEM);
  assert_null(pcidev_mmcfg_at(PCIDEV_MMCFG_MAX));
}

/* With an MCFG table the reports are checked against it, as Xen's
 * pci_mmcfg_reserved does: the range it lists at its address is 0 (no
 * new region: the window is emulated from the start), at another address
 * -EIO, a range it does not list -ENODEV, even one inside a window or one
 * the first report would have made the reference without the table. */
static void test_mcfg(void **state)
{
  (void)state;
  assert_int_equal(pcidev_mcfg(0xe0000000, 0, 0, 0x3f), 0);
  assert_int_equal(pcidev_mcfg(0xe0000000, 0, 5, 4), -EINVAL);
  const struct pcidev_mmcfg *m = pcidev_mmcfg_at(0);
  assert_non_null(m);
  assert_true(m->mcfg);
  assert_false(m->reserved);
  assert_int_equal(m->size, 0x40ull << 20);
  assert_null(pcidev_mmcfg_at(1));
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x3f, XEN_PCI_MMCFG_RESERVED), 0);
  assert_true(m->reserved);
  assert_null(pcidev_mmcfg_at(1));
  assert_int_equal(pcidev_mmcfg_reserved(0xd0000000, 0, 0, 0x3f, XEN_PCI_MMCFG_RESERVED), -EIO);
  assert_true(shim_log_contains("but the MCFG table says 0xe0000000: -EIO"));
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x1f, XEN_PCI_MMCFG_RESERVED), -ENODEV);
  assert_true(shim_log_contains("buses 00-1f, which the MCFG table does not list: -ENODEV"));
  assert_int_equal(pcidev_mmcfg_reserved(0xf0000000, 1, 0, 0xff, XEN_PCI_MMCFG_RESERVED), -ENODEV);
  assert_int_equal(pcidev_mmcfg_reserved(0xf0000000, 1, 0, 0xff, 0), -ENODEV);
  assert_null(pcidev_mmcfg_at(1));
  /* Not reserved any more: 0, marked. */
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0x3f, 0), 0);
  assert_false(m->reserved);
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0x40, 0x40, 1), -ENODEV);
  shim_log_clear();
  pcidev_log();
  assert_true(shim_log_contains(
      "pcidev: MMCFG segment 0000 buses 00-3f at 0xe0000000, from MCFG, not reserved"));
}

/* One line per hidden device, report and region. */
static void test_log(void **state)
{
  (void)state;
  pcidev_log();
  assert_true(shim_log_contains("pcidev: no device hidden, none reported by dom0, no MMCFG"));
  pcidev_hide(0, DEVFN(3, 0), "the network console's NIC");
  assert_int_equal(pcidev_add(0, 0, DEVFN(0, 0), XEN_PCI_DEV_PXM), 0);
  assert_int_equal(pcidev_remove(0, 0, DEVFN(2, 0)), 0);
  assert_int_equal(pcidev_add(0, 0, DEVFN(0x1f, 7), 0), -EOPNOTSUPP);
  assert_int_equal(pcidev_mmcfg_reserved(0xe0000000, 0, 0, 0xff, 1), 0);
  shim_log_clear();
  pcidev_log();
  assert_true(shim_log_contains("pcidev: 0000:00:03.0 hidden: the network console's NIC"));
  assert_true(shim_log_contains("pcidev: 0000:00:00.0 dom0's (flags 0x4)"));
  assert_true(shim_log_contains("pcidev: 0000:00:02.0 removed (flags 0x0)"));
  assert_true(shim_log_contains("pcidev: 0000:00:1f.7 refused (flags 0x0)"));
  assert_true(shim_log_contains("pcidev: MMCFG segment 0000 buses 00-ff at 0xe0000000, reserved"));
  assert_false(shim_log_contains("no device hidden"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_present_device, setup),
      cmocka_unit_test_setup(test_absent_device, setup),
      cmocka_unit_test_setup(test_function_the_scan_skips, setup),
      cmocka_unit_test_setup(test_new_device_header_types, setup),
      cmocka_unit_test_setup(test_other_segments, setup),
      cmocka_unit_test_setup(test_hidden_device, setup),
      cmocka_unit_test_setup(test_table_limit, setup),
      cmocka_unit_test_setup(test_mmcfg, setup),
      cmocka_unit_test_setup(test_mcfg, setup),
      cmocka_unit_test_setup(test_log, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
