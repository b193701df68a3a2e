/* The hardware domain's PCI configuration space: the filter both ways in
 * share, and the ECAM windows (see include/arch/vpci.h). */
#include <arch/pci.h>
#include <arch/vmsi.h>
#include <arch/vpci.h>
#include <hv/errno.h>
#include <hv/pcidev.h>
#include <hv/string.h>

#define ECAM_BUS_SHIFT 20 /* PCIe 3.0, table 7-1: bus 27:20, dev 19:15, fn 14:12 */
#define CFG_SIZE 4096     /* a PCI Express function's configuration space */
#define MMIO_LIMIT (1ULL << 46)

struct ecam {
  uint64_t base; /* the ECAM of start_bus */
  uint64_t size;
  uint16_t seg;
  uint8_t start_bus, end_bus;
};

static struct ecam ecams[VPCI_ECAM_MAX];
static unsigned int nr_ecams;

void vpci_reset(void)
{
  nr_ecams = 0;
  vmsi_reset();
}

int vpci_ecam_add(uint64_t address, uint16_t seg, uint8_t start_bus, uint8_t end_bus)
{
  uint64_t base = address + ((uint64_t)start_bus << ECAM_BUS_SHIFT);
  uint64_t size = (uint64_t)(end_bus - start_bus + 1) << ECAM_BUS_SHIFT;
  if (end_bus < start_bus || !address || base + size > MMIO_LIMIT)
    return -EINVAL;
  if (nr_ecams == VPCI_ECAM_MAX)
    return -ENOSPC;
  ecams[nr_ecams++] = (struct ecam){base, size, seg, start_bus, end_bus};
  return 0;
}

bool vpci_ecam_decode(uint64_t pa, uint16_t *seg, uint8_t *bus, uint8_t *devfn, unsigned int *reg)
{
  for (unsigned int i = 0; i < nr_ecams; i++) {
    const struct ecam *e = &ecams[i];
    if (pa < e->base || pa - e->base >= e->size)
      continue;
    uint64_t off = pa - e->base;
    *seg = e->seg;
    *bus = (uint8_t)(e->start_bus + (off >> ECAM_BUS_SHIFT));
    *devfn = (uint8_t)(off >> 12);
    *reg = (unsigned int)(off & (CFG_SIZE - 1));
    return true;
  }
  return false;
}

uint64_t vpci_ecam_pa(uint8_t bus, uint8_t devfn, unsigned int reg)
{
  for (unsigned int i = 0; i < nr_ecams; i++) {
    const struct ecam *e = &ecams[i];
    if (!e->seg && bus >= e->start_bus && bus <= e->end_bus && reg < CFG_SIZE)
      return e->base + ((uint64_t)(bus - e->start_bus) << ECAM_BUS_SHIFT) +
             ((uint64_t)devfn << 12) + reg;
  }
  return 0;
}

uint32_t vpci_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size)
{
  uint32_t ones = size >= 4 ? ~0U : (1U << (8 * size)) - 1, val;
  if (reg & (size - 1)) {
    val = 0;
    for (unsigned int i = 0; i < size; i++)
      val |= vpci_read(bus, devfn, reg + i, 1) << (8 * i);
    return val;
  }
  if (reg + size > CFG_SIZE || pcidev_hidden(bus, devfn))
    return ones;
  if (reg < 256 && vmsi_conf_read(bus, devfn, reg, size, &val))
    return val & ones;
  return pci_conf_read(bus, devfn, reg, size) & ones;
}

void vpci_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t val)
{
  if (reg & (size - 1)) {
    for (unsigned int i = 0; i < size; i++)
      vpci_write(bus, devfn, reg + i, 1, val >> (8 * i));
    return;
  }
  if (reg + size > CFG_SIZE || pcidev_hidden(bus, devfn))
    return;
  if (reg < 256 && vmsi_conf_write(bus, devfn, reg, size, val))
    return;
  pci_conf_write(bus, devfn, reg, size, val);
}

/* An access to an ECAM window: served as one (or two) of configuration
 * space; false when pa is in none. */
static bool ecam_mmio(uint64_t pa, void *buf, unsigned int n, bool write)
{
  uint16_t seg;
  uint8_t bus, devfn;
  unsigned int reg;
  if (!vpci_ecam_decode(pa, &seg, &bus, &devfn, &reg))
    return false;
  bool ok = !seg && (n == 1 || n == 2 || n == 4 || n == 8) && !(reg & (n - 1));
  uint64_t v = ~0ULL;
  if (write)
    memcpy(&v, buf, MIN(n, 8U));
  for (unsigned int i = 0; ok && i < n; i += 4) {
    if (write) {
      vpci_write(bus, devfn, reg + i, MIN(n, 4U), (uint32_t)(v >> (8 * i)));
      continue;
    }
    v &= ~(0xffffffffULL << (8 * i));
    v |= (uint64_t)vpci_read(bus, devfn, reg + i, MIN(n, 4U)) << (8 * i);
  }
  if (!write) {
    memset(buf, 0xff, n);
    memcpy(buf, &v, MIN(n, 8U));
  }
  return true;
}

bool vpci_mmio(uint64_t pa, void *buf, unsigned int n, bool write)
{
  return ecam_mmio(pa, buf, n, write) || vmsi_mmio(pa, buf, n, write);
}

bool vpci_mmio_kept(uint64_t pa, const char **what)
{
  uint16_t seg;
  uint8_t bus, devfn;
  unsigned int reg;
  if (vpci_ecam_decode(pa, &seg, &bus, &devfn, &reg)) {
    *what = "PCI configuration space (ECAM)";
    return true;
  }
  if (vmsi_mmio_kept(pa)) {
    *what = "an MSI-X table";
    return true;
  }
  return false;
}
