/* Unit tests of the PCI module (arch/x86/pci.c) over a fake configuration
 * space: BAR decoding and sizing (I/O, 32-bit and 64-bit memory, absent
 * BARs, a 64-bit BAR in the last slot, a bridge), the command register
 * around a probe, the bus scan with multi-function devices, names. */
#include "unit.h"
#include <arch/pci.h>
#include <hv/errno.h>

/* One fake function: its 64 dwords, and per BAR the bits software can
 * write (the rest read back as they are: the type bits, the low address
 * bits that give the size). */
struct fake_fn {
  bool present;
  uint8_t bus, dev, fn;
  uint32_t cfg[64];
  uint32_t bar_wmask[6];
};

#define NR_FAKE 8
static struct fake_fn fakes[NR_FAKE];
static unsigned int nr_fakes;
static unsigned int reads;
static bool decode_on_while_sizing; /* all ones written with decode on */

static struct fake_fn *lookup(uint8_t bus, uint8_t dev, uint8_t fn)
{
  for (unsigned int i = 0; i < nr_fakes; i++)
    if (fakes[i].present && fakes[i].bus == bus && fakes[i].dev == dev && fakes[i].fn == fn)
      return &fakes[i];
  return NULL;
}

uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  reads++;
  assert_true(off < 256 && (off & 3) == 0);
  struct fake_fn *f = lookup(bus, dev, fn);
  return f ? f->cfg[off / 4] : 0xffffffffu;
}

void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
  assert_true(off < 256 && (off & 3) == 0);
  struct fake_fn *f = lookup(bus, dev, fn);
  if (!f)
    return;
  if (off == PCI_COMMAND) { /* status is RW1C: zeros leave it alone */
    f->cfg[1] = (f->cfg[1] & 0xffff0000u) | (v & 0xffff);
    return;
  }
  if (off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
    unsigned int i = (off - PCI_BAR0) / 4;
    if (v == 0xffffffffu && (f->cfg[1] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
      decode_on_while_sizing = true;
    f->cfg[off / 4] = (v & f->bar_wmask[i]) | (f->cfg[off / 4] & ~f->bar_wmask[i]);
    return;
  }
  f->cfg[off / 4] = v;
}

static struct fake_fn *add(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device,
                           uint8_t header)
{
  assert_true(nr_fakes < NR_FAKE);
  struct fake_fn *f = &fakes[nr_fakes++];
  *f = (struct fake_fn){.present = true, .bus = bus, .dev = dev, .fn = fn};
  f->cfg[0] = (uint32_t)device << 16 | vendor;
  f->cfg[1] = 0x02900007; /* status bits set, I/O + memory + master on */
  f->cfg[2] = 0x02000003; /* class 02.00.00, revision 3 */
  f->cfg[3] = (uint32_t)header << 16;
  f->cfg[15] = 0x0000010b; /* pin INTA#, line 11 */
  return f;
}

/* A BAR of size bytes at base: I/O (io), else memory, 64-bit (is64) or
 * 32-bit, prefetchable or not. */
static void set_bar(struct fake_fn *f, unsigned int i, bool io, bool is64, bool prefetch,
                    uint64_t base, uint64_t size)
{
  if (io) {
    f->cfg[4 + i] = (uint32_t)base | 1;
    f->bar_wmask[i] = (uint32_t) ~(size - 1) & 0x0000fffcu; /* upper half reads 0 */
    return;
  }
  uint32_t type = (is64 ? 4u : 0u) | (prefetch ? 8u : 0u);
  uint64_t mask = ~(size - 1);
  f->cfg[4 + i] = (uint32_t)base | type;
  f->bar_wmask[i] = (uint32_t)mask & 0xfffffff0u;
  if (is64) {
    f->cfg[5 + i] = (uint32_t)(base >> 32);
    f->bar_wmask[i + 1] = (uint32_t)(mask >> 32);
  }
}

static int setup(void **state)
{
  (void)state;
  memset(fakes, 0, sizeof(fakes));
  nr_fakes = 0;
  reads = 0;
  decode_on_while_sizing = false;
  shim_log_clear();
  return 0;
}

static struct pci_dev dev_of(const struct fake_fn *f)
{
  struct pci_dev d;
  assert_int_equal(pci_dev_at(f->bus, f->dev, f->fn, &d), 0);
  return d;
}

static void test_bar_kinds(void **state)
{
  (void)state;
  struct fake_fn *f = add(0, 3, 0, 0x8086, 0x100e, 0);
  set_bar(f, 0, false, false, false, 0xfebc0000, KiB(128)); /* mem32 */
  set_bar(f, 1, true, false, false, 0xc000, 0x40);          /* I/O */
  set_bar(f, 2, false, true, true, 0x800000000ull, MiB(1)); /* mem64, 2 and 3 */
  /* 4: nothing implemented (reads 0, nothing sticks) */
  set_bar(f, 5, false, false, false, 0xfe000000, 16); /* the smallest mem BAR */
  uint32_t saved[6];
  memcpy(saved, &f->cfg[4], sizeof(saved));
  struct pci_dev d = dev_of(f);
  struct pci_bar b[PCI_NR_BARS];

  assert_int_equal(pci_bars(&d, b), 4);
  assert_int_equal(b[0].type, PCI_BAR_MEM32);
  assert_int_equal(b[0].base, 0xfebc0000);
  assert_int_equal(b[0].size, KiB(128));
  assert_false(b[0].prefetchable);
  assert_int_equal(b[1].type, PCI_BAR_IO);
  assert_int_equal(b[1].base, 0xc000);
  assert_int_equal(b[1].size, 0x40);
  assert_int_equal(b[2].type, PCI_BAR_MEM64);
  assert_int_equal(b[2].base, 0x800000000ull);
  assert_int_equal(b[2].size, MiB(1));
  assert_true(b[2].prefetchable);
  assert_int_equal(b[3].type, PCI_BAR_NONE); /* the upper half */
  assert_int_equal(b[4].type, PCI_BAR_NONE);
  assert_int_equal(b[4].size, 0);
  assert_int_equal(b[5].type, PCI_BAR_MEM32);
  assert_int_equal(b[5].size, 16);

  /* Every BAR and the command register are back as they were, and no BAR
   * held all ones while the device decoded. */
  assert_memory_equal(&f->cfg[4], saved, sizeof(saved));
  assert_int_equal(f->cfg[1] & 0xffff, 0x0007);
  assert_int_equal(f->cfg[1] >> 16, 0x0290);
  assert_false(decode_on_while_sizing);
}

static void test_bar_bad(void **state)
{
  (void)state;
  struct fake_fn *f = add(0, 4, 0, 0x1234, 0x5678, 0);
  f->cfg[4 + 5] = 0x4; /* a 64-bit BAR in the last slot */
  f->bar_wmask[5] = 0xfffff000u;
  f->cfg[4 + 0] = 0x6; /* reserved memory type 3 */
  struct pci_dev d = dev_of(f);
  struct pci_bar b;

  assert_int_equal(pci_bar_decode(&d, 5, &b), -EINVAL);
  assert_int_equal(b.type, PCI_BAR_NONE);
  assert_int_equal(pci_bar_decode(&d, 0, &b), -ENODEV);
  assert_int_equal(pci_bar_decode(&d, 6, &b), -EINVAL);
  struct pci_bar all[PCI_NR_BARS];
  assert_int_equal(pci_bars(&d, all), 0);
}

static void test_bar_bridge(void **state)
{
  (void)state;
  struct fake_fn *f = add(0, 1, 0, 0x8086, 0x7191, 1); /* PCI-to-PCI bridge */
  set_bar(f, 0, false, false, false, 0xf0000000, MiB(1));
  struct pci_dev d = dev_of(f);
  struct pci_bar b;

  assert_int_equal(d.header_type, 1);
  assert_int_equal(pci_bar_decode(&d, 0, &b), 0);
  assert_int_equal(b.size, MiB(1));
  assert_int_equal(pci_bar_decode(&d, 2, &b), -EINVAL); /* a bridge has two */
}

static void test_command(void **state)
{
  (void)state;
  struct fake_fn *f = add(0, 3, 0, 0x8086, 0x100e, 0);
  f->cfg[1] = 0x02900000;
  struct pci_dev d = dev_of(f);

  assert_int_equal(pci_command(&d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, true), 0);
  assert_int_equal(f->cfg[1], 0x02900006);
  assert_int_equal(pci_command(&d, PCI_COMMAND_MASTER, false), 6);
  assert_int_equal(f->cfg[1], 0x02900002);
  assert_int_equal(pci_read16(&d, PCI_COMMAND), 2);
  assert_int_equal(pci_read8(&d, PCI_INTERRUPT_LINE), 11);
  assert_int_equal(pci_read8(&d, PCI_INTERRUPT_PIN), 1);
}

struct seen {
  char names[16][16];
  unsigned int n;
  unsigned int stop_at; /* return 7 at this visit (0: never) */
};

static int visit(const struct pci_dev *d, void *arg)
{
  struct seen *s = arg;
  assert_true(s->n < 16);
  pci_name(d, s->names[s->n], sizeof(s->names[0]));
  s->n++;
  return s->n == s->stop_at ? 7 : 0;
}

static void test_scan(void **state)
{
  (void)state;
  add(0, 0, 0, 0x8086, 0x1237, 0);
  add(0, 1, 0, 0x8086, 0x7000, 0x80); /* multi-function: 0, 2 and 7 */
  add(0, 1, 2, 0x8086, 0x7010, 0);
  add(0, 1, 7, 0x8086, 0x7113, 0);
  add(0, 2, 0, 0x1234, 0x1111, 0); /* single function: its fn 1 is not */
  add(0, 2, 1, 0x1234, 0x2222, 0); /* looked at (some devices alias) */
  add(0, 5, 1, 0x1234, 0x3333, 0); /* no function 0: no device */
  add(0xab, 0x1f, 0, 0x8086, 0x100f, 0);
  struct seen s = {0};

  assert_int_equal(pci_for_each(visit, &s), 0);
  assert_int_equal(s.n, 6);
  assert_string_equal(s.names[0], "00:00.0");
  assert_string_equal(s.names[1], "00:01.0");
  assert_string_equal(s.names[2], "00:01.2");
  assert_string_equal(s.names[3], "00:01.7");
  assert_string_equal(s.names[4], "00:02.0");
  assert_string_equal(s.names[5], "ab:1f.0");
  assert_true(shim_log_contains("pci: 00:01.2 8086:7010 class 02.00.00"));

  struct seen stop = {.stop_at = 2};
  assert_int_equal(pci_for_each(visit, &stop), 7);
  assert_int_equal(stop.n, 2);

  struct pci_dev d;
  assert_int_equal(pci_dev_at(0, 9, 0, &d), -ENODEV);
  assert_int_equal(pci_dev_at(0xab, 0x1f, 0, &d), 0);
  assert_int_equal(d.device, 0x100f);
  assert_int_equal(d.class, 2);
  assert_int_equal(d.revision, 3);
  assert_int_equal(d.irq_line, 11);
}

static void test_names(void **state)
{
  (void)state;
  uint8_t b, d, f;

  assert_int_equal(pci_parse_name("00:03.0", &b, &d, &f), 0);
  assert_true(b == 0 && d == 3 && f == 0);
  assert_int_equal(pci_parse_name("Ab:1F.7", &b, &d, &f), 0);
  assert_true(b == 0xab && d == 0x1f && f == 7);
  static const char *const bad[] = {"",        "0:03.0",   "00:3.0",  "00:03",   "00:03.8",
                                    "00:20.0", "00:03.0x", "g0:03.0", "00-03.0", "00:03:0"};
  for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
    assert_int_equal(pci_parse_name(bad[i], &b, &d, &f), -EINVAL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_bar_kinds, setup),  cmocka_unit_test_setup(test_bar_bad, setup),
      cmocka_unit_test_setup(test_bar_bridge, setup), cmocka_unit_test_setup(test_command, setup),
      cmocka_unit_test_setup(test_scan, setup),       cmocka_unit_test_setup(test_names, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
