/* Unit tests of the hardware domain's configuration space filter
 * (arch/x86/vpci.c) and its MSI and MSI-X interception (arch/x86/vmsi.c)
 * over a fake configuration space, fake device memory (a BAR with an
 * MSI-X table and PBA) and a fake host-vector allocator: Bochs has no
 * device with MSI, so this is where they are proven.  Covered: the
 * capability walk; MSI with 32- and 64-bit addresses, with and without
 * per-vector masking, several vectors refused as Xen refuses them
 * without interrupt remapping; MSI-X entries written in 4- and 8-byte
 * pieces, the vector control mask, the function mask, enable and disable
 * taking and giving back host vectors, running out of them; the device
 * always holding the hypervisor's message while dom0 reads its own; a
 * delivery going to the vcpu dom0 named; the table's pages trapped and
 * following the BAR; a hidden device untouched; everything else passed
 * through at its size; ECAM decoding and its limits. */
#include "unit.h"
#include <arch/hwdom.h>
#include <arch/irq_bind.h>
#include <arch/pci.h>
#include <arch/vmsi.h>
#include <arch/vpci.h>
#include <hv/errno.h>
#include <hv/heap.h>
#include <hv/pcidev.h>

#define DEVFN(d, f) ((uint8_t)((d) << 3 | (f)))

/* ---- the fake configuration space ----
 * Each function has 4 KiB and a mask of the bits software may write; the
 * others keep their value (read-only registers). */
struct fake_fn {
  bool present;
  uint8_t bus, devfn;
  uint8_t cfg[4096], wmask[4096];
};
static struct fake_fn fns[6];
static unsigned int nr_fns;

struct cfg_write {
  uint8_t bus, devfn;
  unsigned int reg, size;
  uint32_t val;
};
static struct cfg_write writes[256];
static unsigned int nr_writes, nr_reads;

static struct fake_fn *fn_at(uint8_t bus, uint8_t devfn)
{
  for (unsigned int i = 0; i < nr_fns; i++)
    if (fns[i].present && fns[i].bus == bus && fns[i].devfn == devfn)
      return &fns[i];
  return NULL;
}

uint32_t pci_conf_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size)
{
  assert_true(size == 1 || size == 2 || size == 4);
  assert_true(!(reg & (size - 1)) && reg + size <= 4096);
  nr_reads++;
  struct fake_fn *f = fn_at(bus, devfn);
  uint32_t v = 0;
  if (!f)
    return size == 4 ? ~0U : (1U << (8 * size)) - 1;
  memcpy(&v, &f->cfg[reg], size);
  return v;
}

void pci_conf_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t v)
{
  assert_true(size == 1 || size == 2 || size == 4);
  assert_true(!(reg & (size - 1)) && reg + size <= 4096);
  assert_true(nr_writes < ARRAY_SIZE(writes));
  writes[nr_writes++] = (struct cfg_write){bus, devfn, reg, size, v};
  struct fake_fn *f = fn_at(bus, devfn);
  for (unsigned int i = 0; f && i < size; i++) {
    uint8_t b = (uint8_t)(v >> (8 * i)), m = f->wmask[reg + i];
    f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~m) | (b & m));
  }
}

/* pcidev.c's own reads (pcidev_hidden needs none; the MCFG check none). */
uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  return pci_conf_read(bus, DEVFN(dev, fn), off, 4);
}

static void put(struct fake_fn *f, unsigned int reg, unsigned int size, uint32_t v, uint32_t wm)
{
  for (unsigned int i = 0; i < size; i++) {
    f->cfg[reg + i] = (uint8_t)(v >> (8 * i));
    f->wmask[reg + i] = (uint8_t)(wm >> (8 * i));
  }
}

static uint32_t get(const struct fake_fn *f, unsigned int reg, unsigned int size)
{
  uint32_t v = 0;
  memcpy(&v, &f->cfg[reg], size);
  return v;
}

static struct fake_fn *add_fn(uint8_t bus, uint8_t devfn, uint32_t id)
{
  struct fake_fn *f = &fns[nr_fns++];
  memset(f, 0, sizeof(*f));
  *f = (struct fake_fn){.present = true, .bus = bus, .devfn = devfn};
  put(f, 0, 4, id, 0);
  put(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, 0x0007);
  return f;
}

/* An MSI capability at pos: 64-bit or not, per-vector masking or not,
 * 1 << mmc vectors; next is the next capability. */
static void add_msi(struct fake_fn *f, unsigned int pos, bool is64, bool pvm, unsigned int mmc,
                    unsigned int next)
{
  unsigned int wide = is64 ? 4 : 0;
  put(f, 0x06, 2, 0x10, 0); /* status: capability list */
  if (!f->cfg[0x34])
    put(f, 0x34, 1, pos, 0);
  put(f, pos, 2, 0x05 | next << 8, 0);
  put(f, pos + 2, 2, (is64 ? 0x80 : 0) | (pvm ? 0x100 : 0) | mmc << 1, 0x71);
  put(f, pos + 4, 4, 0, 0xfffffffc);
  if (is64)
    put(f, pos + 8, 4, 0, ~0U);
  put(f, pos + 8 + wide, 2, 0, 0xffff);
  if (pvm) {
    put(f, pos + 12 + wide, 4, 0, ~0U);
    put(f, pos + 16 + wide, 4, 0x1, 0); /* pending bits: read-only */
  }
}

/* ---- the fake device memory: BAR 0 of device A, 16 KiB ---- */
#define BAR_BASE 0xfebf0000ULL
#define BAR_SIZE 0x4000
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000
#define NR_ENTRIES 8
static uint8_t bar_mem[BAR_SIZE];
static uint64_t bar_base = BAR_BASE; /* where the fake decodes it */

static uint8_t *mem_at(uint64_t pa, unsigned int size)
{
  assert_true(size == 1 || size == 2 || size == 4 || size == 8);
  assert_true(!(pa & (size - 1)));
  assert_true(pa >= bar_base && pa + size <= bar_base + BAR_SIZE);
  return &bar_mem[pa - bar_base];
}

uint64_t pci_mmio_read(uint64_t pa, unsigned int size)
{
  uint64_t v = 0;
  memcpy(&v, mem_at(pa, size), size);
  return v;
}

void pci_mmio_write(uint64_t pa, unsigned int size, uint64_t v)
{
  memcpy(mem_at(pa, size), &v, size);
}

static uint32_t hw_entry(unsigned int i, unsigned int off)
{
  uint32_t v;
  memcpy(&v, &bar_mem[TABLE_OFF + 16 * i + off], 4);
  return v;
}

/* ---- the fake host vectors: a pool of nr_vectors from 0x50 ---- */
static const struct irq_bind_ops *bound_ops[256];
static void *bound_arg[256];
static unsigned int bound_idx[256], nr_vectors, dest_apic;

struct injected {
  uint8_t vector;
  uint32_t dest;
  bool logical, level;
};
static struct injected inj[16];
static unsigned int nr_inj;

int irq_bind_alloc(const struct irq_bind_ops *ops, void *arg, unsigned int idx)
{
  for (unsigned int v = IRQ_BIND_FIRST; v < IRQ_BIND_FIRST + nr_vectors; v++)
    if (!bound_ops[v]) {
      bound_ops[v] = ops;
      bound_arg[v] = arg;
      bound_idx[v] = idx;
      return (int)v;
    }
  return -ENOSPC;
}

void irq_bind_free(unsigned int vector)
{
  assert_non_null(bound_ops[vector]); /* never twice */
  bound_ops[vector] = NULL;
}

uint32_t irq_bind_dest(void) { return dest_apic; }

void irq_bind_inject(uint8_t vector, uint32_t dest, bool logical, bool level)
{
  assert_true(nr_inj < ARRAY_SIZE(inj));
  inj[nr_inj++] = (struct injected){vector, dest, logical, level};
}

static unsigned int nr_bound(void)
{
  unsigned int n = 0;
  for (unsigned int v = 0; v < 256; v++)
    n += bound_ops[v] != NULL;
  return n;
}

/* The host vector fired: what arch_irq_work does with it. */
static void fire(unsigned int vector)
{
  assert_non_null(bound_ops[vector]);
  bound_ops[vector]->deliver(bound_arg[vector], bound_idx[vector]);
}

/* ---- the rest: pages taken from dom0, the heap ---- */
static uint64_t revoked[32];
static unsigned int nr_revoked;
static bool heap_fails;

void hwdom_mmio_revoke(uint64_t pa)
{
  assert_true(!(pa & (PAGE_SIZE - 1)));
  if (nr_revoked < ARRAY_SIZE(revoked))
    revoked[nr_revoked++] = pa;
}

static bool was_revoked(uint64_t pa)
{
  for (unsigned int i = 0; i < nr_revoked; i++)
    if (revoked[i] == pa)
      return true;
  return false;
}

void *heap_zalloc(size_t size) { return heap_fails ? NULL : calloc(1, size); }
void heap_free(void *p) { free(p); }

/* Device A, 00:04.0: a 64-bit MSI with per-vector masking at 0x40, MSI-X
 * (8 entries, table and PBA in its 64-bit BAR 0) at 0x60, a vendor
 * capability at 0x80.  Device B, 00:05.0: a 32-bit MSI without masking,
 * 4 vectors.  00:03.0: the hypervisor's NIC, with MSI, hidden.  00:06.0:
 * no capabilities. */
static struct fake_fn *dev_a, *dev_b, *nic, *plain;
#define A DEVFN(4, 0)
#define B DEVFN(5, 0)
#define NIC DEVFN(3, 0)
#define PLAIN DEVFN(6, 0)

static int setup(void **state)
{
  (void)state;
  vpci_reset();
  pcidev_reset();
  nr_fns = nr_writes = nr_reads = nr_inj = nr_revoked = 0;
  memset(bound_ops, 0, sizeof(bound_ops));
  nr_vectors = 8;
  dest_apic = 0;
  heap_fails = false;
  memset(bar_mem, 0, sizeof(bar_mem));
  bar_base = BAR_BASE;

  dev_a = add_fn(0, A, 0x10d38086);
  put(dev_a, 0x10, 4, (uint32_t)BAR_BASE | 0x4, 0xffffc000); /* 64-bit memory BAR */
  put(dev_a, 0x14, 4, 0, ~0U);
  add_msi(dev_a, 0x40, true, true, 0, 0x60);
  put(dev_a, 0x60, 2, 0x11 | 0x80 << 8, 0);
  put(dev_a, 0x62, 2, NR_ENTRIES - 1, 0xc000);
  put(dev_a, 0x64, 4, TABLE_OFF | 0, 0); /* BIR 0 */
  put(dev_a, 0x68, 4, PBA_OFF | 0, 0);
  put(dev_a, 0x80, 4, 0x09 | 0x00 << 8 | 0x1234u << 16, 0xffff0000);

  dev_b = add_fn(0, B, 0x12345678);
  add_msi(dev_b, 0x50, false, false, 2, 0);
  put(dev_b, 0x5c, 4, 0xcafe0000, ~0U); /* what follows the capability */

  nic = add_fn(0, NIC, 0x100e8086);
  add_msi(nic, 0x40, true, false, 0, 0);
  pcidev_hide(0, NIC, "the network console's NIC");

  plain = add_fn(0, PLAIN, 0x70008086);
  put(plain, 0x06, 2, 0x0280, 0xf900); /* status, error bits write-one-to-clear (not modelled) */
  put(plain, 0x3c, 1, 0x0b, 0xff);
  shim_log_clear();
  return 0;
}

static bool wrote(uint8_t devfn, unsigned int reg, unsigned int size, uint32_t val)
{
  for (unsigned int i = 0; i < nr_writes; i++)
    if (writes[i].devfn == devfn && writes[i].reg == reg && writes[i].size == size &&
        writes[i].val == val)
      return true;
  return false;
}

/* 64-bit MSI with masking: dom0's address, data and mask are its own; the
 * device gets the hypervisor's message (boot CPU, host vector) when dom0
 * enables it, and the mask follows dom0's; the host vector delivers dom0's
 * vector to the vcpu dom0 named; disabling gives it back. */
static void test_msi_64bit_masking(void **state)
{
  (void)state;
  /* The capability as dom0 reads it: id, next, control (64-bit, PVM). */
  assert_int_equal(vpci_read(0, A, 0x40, 4), 0x05 | 0x60 << 8 | 0x180u << 16);
  vpci_write(0, A, 0x44, 4, 0xfee02000); /* vcpu 2, physical */
  vpci_write(0, A, 0x48, 4, 0);
  vpci_write(0, A, 0x4c, 2, 0x0041); /* vector 0x41, fixed, edge */
  vpci_write(0, A, 0x50, 4, 0);
  /* Nothing reached the device yet: MSI is off. */
  assert_int_equal(get(dev_a, 0x44, 4), 0);
  assert_int_equal(get(dev_a, 0x4c, 2), 0);
  assert_int_equal(nr_bound(), 0);

  vpci_write(0, A, 0x42, 2, 0x0001);
  assert_int_equal(nr_bound(), 1);
  assert_int_equal(get(dev_a, 0x44, 4), 0xfee00000); /* the boot CPU, physical */
  assert_int_equal(get(dev_a, 0x48, 4), 0);
  assert_int_equal(get(dev_a, 0x4c, 2), IRQ_BIND_FIRST);
  assert_int_equal(get(dev_a, 0x42, 2) & 1, 1);
  /* dom0 reads its own message back, not ours. */
  assert_int_equal(vpci_read(0, A, 0x44, 4), 0xfee02000);
  assert_int_equal(vpci_read(0, A, 0x4c, 2), 0x41);
  assert_int_equal(vpci_read(0, A, 0x42, 2), 0x181);
  /* A 4-byte read across the data and its neighbour: merged. */
  assert_int_equal(vpci_read(0, A, 0x4c, 4), 0x41);

  fire(IRQ_BIND_FIRST);
  assert_int_equal(nr_inj, 1);
  assert_int_equal(inj[0].vector, 0x41);
  assert_int_equal(inj[0].dest, 2);
  assert_false(inj[0].logical);
  assert_false(inj[0].level);

  /* dom0 changes its vector and destination: the device is not touched,
   * the next interrupt goes where dom0 says now. */
  unsigned int before = nr_writes;
  vpci_write(0, A, 0x44, 4, 0xfee0100c); /* vcpu 1, logical, redirection hint */
  vpci_write(0, A, 0x4c, 2, 0x0142);     /* vector 0x42, lowest priority */
  assert_int_equal(nr_writes, before);
  fire(IRQ_BIND_FIRST);
  assert_int_equal(inj[1].vector, 0x42);
  assert_true(inj[1].logical);

  /* The mask: at the device at once; dom0 reads its own; the pending
   * bits after it are the device's. */
  vpci_write(0, A, 0x50, 4, 1);
  assert_int_equal(get(dev_a, 0x50, 4), 1);
  assert_int_equal(vpci_read(0, A, 0x50, 4), 1);
  assert_int_equal(vpci_read(0, A, 0x54, 4), 1);
  vpci_write(0, A, 0x50, 1, 0);
  assert_int_equal(get(dev_a, 0x50, 4), 0);

  /* Disabled: off at the device, the vector given back. */
  vpci_write(0, A, 0x42, 2, 0);
  assert_int_equal(get(dev_a, 0x42, 2) & 1, 0);
  assert_int_equal(nr_bound(), 0);
  assert_int_equal(vpci_read(0, A, 0x42, 2), 0x180);
  /* Masking while off only records it (Xen's mask_write). */
  before = nr_writes;
  vpci_write(0, A, 0x50, 4, 1);
  assert_int_equal(nr_writes, before);
  /* On again: the mask comes with it. */
  vpci_write(0, A, 0x42, 2, 1);
  assert_int_equal(get(dev_a, 0x50, 4), 1);
  assert_int_equal(nr_bound(), 1);
}

/* 32-bit MSI without masking: the data right after the address; the
 * register after the capability is the device's; several vectors are
 * refused (Xen without interrupt remapping), one works. */
static void test_msi_32bit_multi(void **state)
{
  (void)state;
  assert_int_equal(vpci_read(0, B, 0x52, 2), 2 << 1); /* 4 vectors capable, 32-bit, no PVM */
  vpci_write(0, B, 0x54, 4, 0xfee00000);
  vpci_write(0, B, 0x58, 2, 0x0033);
  assert_int_equal(vpci_read(0, B, 0x58, 2), 0x33);
  assert_int_equal(get(dev_b, 0x58, 2), 0);
  /* 0x5c is not a mask register here: straight to the device. */
  vpci_write(0, B, 0x5c, 4, 0x12345678);
  assert_int_equal(get(dev_b, 0x5c, 4), 0x12345678);
  assert_int_equal(vpci_read(0, B, 0x5c, 4), 0x12345678);

  /* Four vectors: refused, nothing changes, said once. */
  vpci_write(0, B, 0x52, 2, 2 << 4 | 1);
  assert_int_equal(get(dev_b, 0x52, 2) & 1, 0);
  assert_int_equal(nr_bound(), 0);
  assert_int_equal(vpci_read(0, B, 0x52, 2) & 1, 0);
  assert_true(shim_log_contains("MSI with several vectors refused"));
  shim_log_clear();
  vpci_write(0, B, 0x52, 2, 1 << 4 | 1);
  assert_false(shim_log_contains("several vectors"));
  /* The number alone, MSI off: kept (at most what the device has). */
  vpci_write(0, B, 0x52, 2, 7 << 4);
  assert_int_equal(vpci_read(0, B, 0x52, 2), 2 << 4 | 2 << 1);
  /* One vector: on. */
  vpci_write(0, B, 0x52, 2, 1);
  assert_int_equal(get(dev_b, 0x52, 2) & 0x71, 1);
  assert_int_equal(get(dev_b, 0x54, 4), 0xfee00000);
  assert_int_equal(get(dev_b, 0x58, 2), IRQ_BIND_FIRST);
  fire(IRQ_BIND_FIRST);
  assert_int_equal(inj[0].vector, 0x33);
  assert_int_equal(inj[0].dest, 0);
}

/* What dom0 cannot have delivered: an address outside the local APICs'
 * range, SMI or NMI delivery; dropped, said once.  The boot CPU's APIC id
 * is the device's destination. */
static void test_msi_delivery(void **state)
{
  (void)state;
  dest_apic = 3;
  vpci_write(0, B, 0x54, 4, 0xfec00000);
  vpci_write(0, B, 0x58, 2, 0x0040);
  vpci_write(0, B, 0x52, 2, 1);
  assert_int_equal(get(dev_b, 0x54, 4), 0xfee03000);
  fire(IRQ_BIND_FIRST);
  assert_int_equal(nr_inj, 0);
  assert_true(shim_log_contains("addressed to no local APIC"));
  vpci_write(0, B, 0x54, 4, 0xfee01000);
  vpci_write(0, B, 0x58, 2, 0x0240); /* SMI */
  fire(IRQ_BIND_FIRST);
  assert_int_equal(nr_inj, 0);
  vpci_write(0, B, 0x58, 2, 0x0040);
  fire(IRQ_BIND_FIRST);
  assert_int_equal(nr_inj, 1);
  assert_int_equal(inj[0].dest, 1);
}

/* dom0's MSI-X table entry access: entry index and offset. */
static void entry_write(unsigned int i, unsigned int off, unsigned int n, uint64_t v)
{
  assert_true(vpci_mmio(BAR_BASE + TABLE_OFF + 16 * i + off, &v, n, true));
}

static uint64_t entry_read(unsigned int i, unsigned int off, unsigned int n)
{
  uint64_t v = 0;
  assert_true(vpci_mmio(BAR_BASE + TABLE_OFF + 16 * i + off, &v, n, false));
  return v;
}

/* MSI-X: entries written in 4-byte pieces are dom0's; enabling gives the
 * unmasked ones host vectors and the device our message; the vector
 * control mask and the function mask reach the device; disabling gives
 * the vectors back and masks the entries. */
static void test_msix(void **state)
{
  (void)state;
  /* Before dom0 looks at the device, its table page is not known. */
  assert_false(vmsi_mmio_kept(BAR_BASE + TABLE_OFF));
  /* The firmware (or dom0 through a mapping made earlier) left entry 5
   * unmasked with a message of its own. */
  memset(&bar_mem[TABLE_OFF + 16 * 5], 0x41, 12);
  assert_int_equal(vpci_read(0, A, 0x62, 2), NR_ENTRIES - 1);
  assert_int_equal(hw_entry(5, 12), 1); /* masked when the device was looked at */
  for (unsigned int i = 0; i < NR_ENTRIES; i++)
    assert_int_equal(entry_read(i, 12, 4), 1); /* dom0's view: masked, as at reset */

  entry_write(0, 0, 4, 0xfee01000);
  entry_write(0, 4, 4, 0);
  entry_write(0, 8, 4, 0x51);
  entry_write(0, 12, 4, 0);
  entry_write(1, 0, 4, 0xfee00000);
  entry_write(1, 8, 4, 0x52); /* stays masked */
  assert_int_equal(entry_read(0, 0, 4), 0xfee01000);
  assert_int_equal(entry_read(0, 8, 4), 0x51);
  assert_int_equal(entry_read(0, 12, 4), 0);
  assert_int_equal(hw_entry(0, 12), 1); /* MSI-X off: nothing at the device */
  assert_int_equal(hw_entry(0, 8), 0);
  assert_int_equal(nr_bound(), 0);

  vpci_write(0, A, 0x62, 2, 0x8000);
  assert_int_equal(get(dev_a, 0x62, 2) & 0xc000, 0x8000);
  assert_int_equal(nr_bound(), 1);
  assert_int_equal(hw_entry(0, 0), 0xfee00000);
  assert_int_equal(hw_entry(0, 4), 0);
  assert_int_equal(hw_entry(0, 8), IRQ_BIND_FIRST);
  assert_int_equal(hw_entry(0, 12), 0);
  assert_int_equal(hw_entry(1, 12), 1);
  assert_int_equal(hw_entry(1, 8), 0);
  assert_int_equal(vpci_read(0, A, 0x62, 2), 0x8000 | (NR_ENTRIES - 1));
  assert_int_equal(entry_read(0, 8, 4), 0x51); /* still dom0's */
  fire(IRQ_BIND_FIRST);
  assert_int_equal(inj[0].vector, 0x51);
  assert_int_equal(inj[0].dest, 1);

  /* The entry's mask, both ways; the vector stays. */
  entry_write(0, 12, 4, 1);
  assert_int_equal(hw_entry(0, 12), 1);
  assert_int_equal(entry_read(0, 12, 4), 1);
  entry_write(0, 12, 4, 0);
  assert_int_equal(hw_entry(0, 12), 0);
  assert_int_equal(hw_entry(0, 8), IRQ_BIND_FIRST);
  assert_int_equal(nr_bound(), 1);
  /* Entry 1 unmasked while on: a vector of its own. */
  entry_write(1, 12, 4, 0);
  assert_int_equal(nr_bound(), 2);
  assert_int_equal(hw_entry(1, 8), IRQ_BIND_FIRST + 1);
  assert_int_equal(hw_entry(1, 12), 0);
  fire(IRQ_BIND_FIRST + 1);
  assert_int_equal(inj[1].vector, 0x52);

  /* The function mask: at the device, the entries as they were. */
  vpci_write(0, A, 0x63, 1, 0xc0);
  assert_int_equal(get(dev_a, 0x62, 2) & 0xc000, 0xc000);
  assert_int_equal(vpci_read(0, A, 0x62, 2), 0xc000 | (NR_ENTRIES - 1));
  assert_int_equal(hw_entry(0, 12), 0);
  vpci_write(0, A, 0x62, 2, 0x8000);
  assert_int_equal(get(dev_a, 0x62, 2) & 0xc000, 0x8000);

  /* Off: every vector back, every entry masked at the device. */
  vpci_write(0, A, 0x60, 4, 0);
  assert_int_equal(get(dev_a, 0x62, 2) & 0xc000, 0);
  assert_int_equal(get(dev_a, 0x60, 2), 0x11 | 0x80 << 8); /* read-only bytes untouched */
  assert_int_equal(nr_bound(), 0);
  assert_int_equal(hw_entry(0, 12), 1);
  assert_int_equal(hw_entry(1, 12), 1);
  assert_int_equal(entry_read(0, 12, 4), 0); /* dom0's view stays */
  /* On again: new vectors for the unmasked ones. */
  vpci_write(0, A, 0x62, 2, 0x8000);
  assert_int_equal(nr_bound(), 2);
  assert_int_equal(hw_entry(0, 12), 0);
}

/* The table's access sizes (Xen's: 4 or 8 bytes aligned), 8-byte entry
 * writes, the PBA and the rest of the pages passed through. */
static void test_msix_sizes(void **state)
{
  (void)state;
  vpci_read(0, A, 0, 4); /* dom0 looks at the device */
  entry_write(2, 0, 8, 0x00000000fee03000ULL);
  assert_int_equal(entry_read(2, 0, 8), 0xfee03000);
  assert_int_equal(entry_read(2, 4, 4), 0);
  entry_write(2, 8, 8, 0x0000000000000061ULL); /* data 0x61, unmasked */
  assert_int_equal(entry_read(2, 8, 4), 0x61);
  assert_int_equal(entry_read(2, 12, 4), 0);
  assert_int_equal(entry_read(2, 8, 8), 0x61);
  entry_write(2, 8, 8, 0x0000000100000062ULL); /* masked again */
  assert_int_equal(entry_read(2, 8, 8), 0x0000000100000062ULL);
  /* 2-byte and unaligned accesses: all ones, dropped. */
  entry_write(2, 8, 2, 0x99);
  assert_int_equal(entry_read(2, 8, 4), 0x62);
  assert_int_equal(entry_read(2, 8, 2), 0xffff);
  assert_int_equal(entry_read(2, 4, 8), ~0ULL);
  /* The PBA and a register beside the table: the device's. */
  bar_mem[PBA_OFF] = 0x24;
  uint64_t v = 0;
  assert_true(vpci_mmio(BAR_BASE + PBA_OFF, &v, 8, false));
  assert_int_equal(v, 0x24);
  v = 0x5a;
  assert_true(vpci_mmio(BAR_BASE + TABLE_OFF + 16 * NR_ENTRIES + 1, &v, 1, true));
  assert_int_equal(bar_mem[TABLE_OFF + 16 * NR_ENTRIES + 1], 0x5a);
  v = 0;
  assert_true(vpci_mmio(BAR_BASE + TABLE_OFF + 16 * NR_ENTRIES + 1, &v, 2, false));
  assert_int_equal(v, 0x5a); /* unaligned: a byte at a time */
  /* Outside the table's and PBA's pages: not served here. */
  assert_false(vpci_mmio(BAR_BASE, &v, 4, false));
}

/* The pages of the table and PBA are kept from dom0 (taken away if it had
 * them), and follow the BAR when dom0 moves it. */
static void test_msix_pages_follow_the_bar(void **state)
{
  (void)state;
  const char *what = NULL;
  vpci_read(0, A, 0x62, 2);
  assert_true(was_revoked(BAR_BASE + TABLE_OFF));
  assert_true(was_revoked(BAR_BASE + PBA_OFF));
  assert_true(vpci_mmio_kept(BAR_BASE + TABLE_OFF + 0x10, &what));
  assert_string_equal(what, "an MSI-X table");
  assert_true(vpci_mmio_kept(BAR_BASE + PBA_OFF, &what));
  assert_false(vpci_mmio_kept(BAR_BASE, &what));
  assert_false(vpci_mmio_kept(BAR_BASE + 0x1000, &what));

  entry_write(0, 8, 4, 0x51);
  entry_write(0, 12, 4, 0);
  vpci_write(0, A, 0x62, 2, 0x8000);
  assert_int_equal(hw_entry(0, 8), IRQ_BIND_FIRST);
  /* dom0 sizes the BAR with decoding off, then moves it. */
  vpci_write(0, A, PCI_COMMAND, 2, 0);
  vpci_write(0, A, 0x10, 4, ~0U);
  assert_true(wrote(A, 0x10, 4, ~0U));
  assert_int_equal(get(dev_a, 0x10, 4), 0xffffc004);
  vpci_write(0, A, 0x10, 4, 0xfeb00004);
  assert_false(vpci_mmio_kept(BAR_BASE + TABLE_OFF, &what));
  assert_true(vpci_mmio_kept(0xfeb00000 + TABLE_OFF, &what));
  assert_true(was_revoked(0xfeb00000 + TABLE_OFF));
  assert_true(was_revoked(0xfeb00000 + PBA_OFF));
  /* The device's memory is there now (its table went with it), but
   * decoding is off: dom0's mask and unmask reach dom0's view only. */
  bar_base = 0xfeb00000;
  memset(&bar_mem[TABLE_OFF], 0, 16);
  assert_true(vpci_mmio(0xfeb00000 + TABLE_OFF + 12, &(uint32_t){1}, 4, true));
  assert_true(vpci_mmio(0xfeb00000 + TABLE_OFF + 12, &(uint32_t){0}, 4, true));
  assert_int_equal(hw_entry(0, 8), 0);
  /* Decoding back on: the entry is written again. */
  vpci_write(0, A, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
  assert_int_equal(hw_entry(0, 0), 0xfee00000);
  assert_int_equal(hw_entry(0, 8), IRQ_BIND_FIRST);
  assert_int_equal(hw_entry(0, 12), 0);
  assert_int_equal(nr_bound(), 1);
}

/* Running out of host vectors: the entry stays masked at the device,
 * said once; the others work. */
static void test_msix_out_of_vectors(void **state)
{
  (void)state;
  nr_vectors = 1;
  vpci_read(0, A, 0, 4);
  for (unsigned int i = 0; i < 3; i++) {
    entry_write(i, 8, 4, 0x60 + i);
    entry_write(i, 12, 4, 0);
  }
  vpci_write(0, A, 0x62, 2, 0x8000);
  assert_int_equal(nr_bound(), 1);
  assert_int_equal(hw_entry(0, 12), 0);
  assert_int_equal(hw_entry(1, 12), 1);
  assert_int_equal(hw_entry(2, 12), 1);
  assert_true(shim_log_contains("no host vector for a message"));
  vpci_write(0, A, 0x62, 2, 0);
  assert_int_equal(nr_bound(), 0);
}

/* Firmware left MSI and MSI-X on: off at the device when dom0 first
 * looks, and dom0 sees them off. */
static void test_left_on(void **state)
{
  (void)state;
  dev_a->cfg[0x42] |= 1;
  dev_a->cfg[0x63] |= 0x80;
  assert_int_equal(vpci_read(0, A, 0x42, 2) & 1, 0);
  assert_int_equal(get(dev_a, 0x42, 2) & 1, 0);
  assert_int_equal(get(dev_a, 0x62, 2) & 0x8000, 0);
  assert_int_equal(vpci_read(0, A, 0x62, 2) & 0x8000, 0);
}

/* A hidden device: all ones everywhere (its MSI capability too), writes
 * dropped, nothing of it asked. */
static void test_hidden(void **state)
{
  (void)state;
  assert_int_equal(vpci_read(0, NIC, 0, 4), 0xffffffff);
  assert_int_equal(vpci_read(0, NIC, 0x42, 2), 0xffff);
  assert_int_equal(vpci_read(0, NIC, 0x40, 1), 0xff);
  vpci_write(0, NIC, 0x42, 2, 1);
  vpci_write(0, NIC, 0x44, 4, 0xfee00000);
  vpci_write(0, NIC, 0x04, 2, 0);
  assert_int_equal(nr_reads, 0);
  assert_int_equal(nr_writes, 0);
  assert_int_equal(nr_bound(), 0);
  assert_int_equal(get(nic, 0x04, 2), PCI_COMMAND_MEMORY);
}

/* Everything else goes to the device at the size dom0 used; an access
 * mixing intercepted and other bytes is split. */
static void test_passthrough(void **state)
{
  (void)state;
  assert_int_equal(vpci_read(0, PLAIN, 0, 4), 0x70008086);
  assert_int_equal(vpci_read(0, PLAIN, 0x06, 2), 0x0280);
  vpci_write(0, PLAIN, PCI_COMMAND, 2, 0x0006);
  assert_int_equal(nr_writes, 1);
  assert_true(wrote(PLAIN, PCI_COMMAND, 2, 0x0006)); /* never widened over the status */
  vpci_write(0, PLAIN, 0x3c, 1, 0x0a);
  assert_true(wrote(PLAIN, 0x3c, 1, 0x0a));
  assert_int_equal(vpci_read(0, PLAIN, 0x3c, 1), 0x0a);
  /* Unaligned: a byte at a time. */
  assert_int_equal(vpci_read(0, PLAIN, 0x01, 2), 0x0080);
  /* Extended space passes through too (the device's own ECAM). */
  put(plain, 0x100, 4, 0x00010001, ~0U);
  assert_int_equal(vpci_read(0, PLAIN, 0x100, 4), 0x00010001);
  vpci_write(0, PLAIN, 0x100, 2, 0xbeef);
  assert_int_equal(get(plain, 0x100, 4), 0x0001beef);
  assert_int_equal(vpci_read(0, PLAIN, 0xffe, 4),
                   0xffff0000); /* a byte at a time, past the end ones */

  /* A 4-byte write over the MSI capability's id, next and control: the
   * first two bytes to the device as one 2-byte write, the control to
   * dom0's view (and its effect). */
  nr_writes = 0;
  vpci_write(0, A, 0x40, 4, 0x0001ffff);
  assert_true(wrote(A, 0x40, 2, 0xffff));
  assert_int_equal(get(dev_a, 0x40, 2), 0x6005); /* read-only */
  assert_int_equal(get(dev_a, 0x42, 2) & 1, 1);
  assert_int_equal(vpci_read(0, A, 0x40, 4), 0x05 | 0x60 << 8 | 0x181u << 16);
  /* The vendor capability after MSI-X: the device's. */
  vpci_write(0, A, 0x82, 2, 0x4321);
  assert_int_equal(vpci_read(0, A, 0x80, 4), 0x09 | 0x4321u << 16);
  /* A function that is not there reads all ones and is asked again. */
  assert_int_equal(vpci_read(0, DEVFN(9, 0), 0x42, 2), 0xffff);
  unsigned int reads = nr_reads;
  assert_int_equal(vpci_read(0, DEVFN(9, 0), 0x42, 2), 0xffff);
  assert_true(nr_reads > reads + 1);
  /* A device with no capabilities is looked at once. */
  vpci_read(0, PLAIN, 0x40, 4);
  reads = nr_reads;
  vpci_read(0, PLAIN, 0x40, 4);
  assert_int_equal(nr_reads, reads + 1);
}

/* No memory to follow a device's MSI: its capabilities stay as they are
 * (dom0's writes above the header dropped), asked again later. */
static void test_no_memory(void **state)
{
  (void)state;
  heap_fails = true;
  vpci_write(0, A, 0x42, 2, 1);
  assert_int_equal(get(dev_a, 0x42, 2) & 1, 0);
  assert_true(shim_log_contains("no memory to follow its MSI"));
  vpci_write(0, A, PCI_COMMAND, 2, 0x6);
  assert_int_equal(get(dev_a, PCI_COMMAND, 2), 0x6);
  heap_fails = false;
  vpci_write(0, A, 0x42, 2, 1);
  assert_int_equal(get(dev_a, 0x42, 2) & 1, 1);
}

/* ECAM windows: decoding bus, device, function and register; the window
 * of a range not starting at bus 0; what is outside; bad windows. */
static void test_ecam_decode(void **state)
{
  (void)state;
  uint16_t seg;
  uint8_t bus, devfn;
  unsigned int reg;
  assert_false(vpci_ecam_decode(0xe0000000, &seg, &bus, &devfn, &reg));
  assert_int_equal(vpci_ecam_add(0xe0000000, 0, 0, 0x3f), 0);
  assert_int_equal(vpci_ecam_add(0xf0000000, 1, 0x10, 0x1f), 0);
  assert_true(vpci_ecam_decode(0xe0000000 + (1 << 20) + (2 << 15) + (3 << 12) + 0x104, &seg, &bus,
                               &devfn, &reg));
  assert_int_equal(seg, 0);
  assert_int_equal(bus, 1);
  assert_int_equal(devfn, DEVFN(2, 3));
  assert_int_equal(reg, 0x104);
  assert_true(vpci_ecam_decode(0xe0000000 + (0x40ULL << 20) - 1, &seg, &bus, &devfn, &reg));
  assert_int_equal(bus, 0x3f);
  assert_int_equal(devfn, DEVFN(31, 7));
  assert_int_equal(reg, 0xfff);
  assert_false(vpci_ecam_decode(0xe0000000 + (0x40ULL << 20), &seg, &bus, &devfn, &reg));
  assert_false(vpci_ecam_decode(0xdfffffff, &seg, &bus, &devfn, &reg));
  /* Segment 1 from bus 0x10: its window starts at address + 0x10 MiB. */
  assert_false(vpci_ecam_decode(0xf0000000, &seg, &bus, &devfn, &reg));
  assert_true(vpci_ecam_decode(0xf1000000 + 0x8, &seg, &bus, &devfn, &reg));
  assert_int_equal(seg, 1);
  assert_int_equal(bus, 0x10);
  assert_int_equal(reg, 8);
  /* Where segment 0's registers are; 0 for buses no window has. */
  assert_int_equal(vpci_ecam_pa(1, DEVFN(2, 3), 0x104),
                   0xe0000000 + (1 << 20) + (2 << 15) + (3 << 12) + 0x104);
  assert_int_equal(vpci_ecam_pa(0x40, 0, 0), 0);
  assert_int_equal(vpci_ecam_pa(0x10, 0, 0), 0xe1000000); /* segment 0's, not 1's */
  /* Bad windows. */
  assert_int_equal(vpci_ecam_add(0xe0000000, 0, 5, 4), -EINVAL);
  assert_int_equal(vpci_ecam_add(0, 0, 0, 0), -EINVAL);
  assert_int_equal(vpci_ecam_add(1ULL << 46, 0, 0, 0), -EINVAL);
  for (unsigned int i = 2; i < VPCI_ECAM_MAX; i++)
    assert_int_equal(vpci_ecam_add(0x100000000ULL * i, (uint16_t)i, 0, 0), 0);
  assert_int_equal(vpci_ecam_add(0x100000000ULL * 9, 9, 0, 0), -ENOSPC);
}

/* An ECAM access at (bus, dev, fn, reg) is the same filter as the ports:
 * the hidden device reads all ones, MSI is intercepted, extended space
 * passes through; sizes as Xen takes them; another segment all ones. */
static void test_ecam_mmio(void **state)
{
  (void)state;
  const char *what;
  uint64_t w0 = 0xe0000000, v;
  assert_int_equal(vpci_ecam_add(w0, 0, 0, 0xff), 0);
  assert_int_equal(vpci_ecam_add(0xd0000000, 1, 0, 0), 0);
  assert_true(vpci_mmio_kept(w0 + 0x1234, &what));
  assert_string_equal(what, "PCI configuration space (ECAM)");
  assert_false(vpci_mmio_kept(w0 - 1, &what));

  uint64_t a = w0 + ((uint64_t)A << 12), nicp = w0 + ((uint64_t)NIC << 12);
  v = 0;
  assert_true(vpci_mmio(a, &v, 4, false));
  assert_int_equal(v, 0x10d38086);
  assert_true(vpci_mmio(a, &v, 8, false)); /* two dwords */
  assert_int_equal(v, 0x10d38086 | (uint64_t)(PCI_COMMAND_MEMORY | 0x10 << 16) << 32);
  assert_true(vpci_mmio(a + 2, &v, 2, false));
  assert_int_equal(v & 0xffff, 0x10d3);
  assert_true(vpci_mmio(a + 1, &v, 2, false)); /* unaligned: all ones */
  assert_int_equal(v & 0xffff, 0xffff);
  uint8_t three[3] = {0};
  assert_true(vpci_mmio(a, three, 3, false));
  assert_int_equal(three[2], 0xff);
  /* The hidden NIC through ECAM: all ones, writes dropped. */
  assert_true(vpci_mmio(nicp, &v, 4, false));
  assert_int_equal(v & 0xffffffff, 0xffffffff);
  v = 0;
  assert_true(vpci_mmio(nicp + PCI_COMMAND, &v, 2, true));
  assert_int_equal(get(nic, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
  /* MSI through ECAM: dom0's view, and enabling programs the device. */
  v = 0xfee00000;
  assert_true(vpci_mmio(a + 0x44, &v, 4, true));
  v = 0x45;
  assert_true(vpci_mmio(a + 0x4c, &v, 2, true));
  v = 1;
  assert_true(vpci_mmio(a + 0x42, &v, 2, true));
  assert_int_equal(get(dev_a, 0x4c, 2), IRQ_BIND_FIRST);
  assert_true(vpci_mmio(a + 0x4c, &v, 2, false));
  assert_int_equal(v & 0xffff, 0x45);
  /* Extended space of a visible device: its own. */
  put(dev_a, 0x100, 4, 0x0001000b, 0);
  assert_true(vpci_mmio(a + 0x100, &v, 4, false));
  assert_int_equal(v & 0xffffffff, 0x0001000b);
  /* An 8-byte write: two 4-byte writes. */
  put(dev_a, 0x200, 4, 0, ~0U);
  put(dev_a, 0x204, 4, 0, ~0U);
  v = 0x1122334455667788ULL;
  assert_true(vpci_mmio(a + 0x200, &v, 8, true));
  assert_true(wrote(A, 0x200, 4, 0x55667788));
  assert_true(wrote(A, 0x204, 4, 0x11223344));
  /* Segment 1: all ones, writes dropped, nothing asked. */
  unsigned int r = nr_reads, wr = nr_writes;
  assert_true(vpci_mmio(0xd0000000, &v, 4, false));
  assert_int_equal(v & 0xffffffff, 0xffffffff);
  assert_true(vpci_mmio(0xd0000004, &v, 4, true));
  assert_int_equal(nr_reads, r);
  assert_int_equal(nr_writes, wr);
  /* Outside every window and table: not served here. */
  assert_false(vpci_mmio(0xc0000000, &v, 4, false));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_msi_64bit_masking, setup),
      cmocka_unit_test_setup(test_msi_32bit_multi, setup),
      cmocka_unit_test_setup(test_msi_delivery, setup),
      cmocka_unit_test_setup(test_msix, setup),
      cmocka_unit_test_setup(test_msix_sizes, setup),
      cmocka_unit_test_setup(test_msix_pages_follow_the_bar, setup),
      cmocka_unit_test_setup(test_msix_out_of_vectors, setup),
      cmocka_unit_test_setup(test_left_on, setup),
      cmocka_unit_test_setup(test_hidden, setup),
      cmocka_unit_test_setup(test_passthrough, setup),
      cmocka_unit_test_setup(test_no_memory, setup),
      cmocka_unit_test_setup(test_ecam_decode, setup),
      cmocka_unit_test_setup(test_ecam_mmio, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vpci_reset();
  return rc;
}
