/* The PCI module's x86 side: configuration mechanism #1 (the address port
 * 0xCF8 selects a dword of a function's configuration space and the data
 * port 0xCFC moves it, PCI Local Bus Specification 3.0, 3.2.2.3.2) and the
 * mapping of memory BARs.  arch/x86/pci.c builds on it. */
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/paging.h>
#include <arch/pci.h>

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc
#define PCI_CONF_ENABLE 0x80000000u

static uint32_t conf_address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  return PCI_CONF_ENABLE | (uint32_t)bus << 16 | (uint32_t)(dev & 31) << 11 |
         (uint32_t)(fn & 7) << 8 | (off & 0xfc);
}

uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  outl(PCI_CONF_ADDR, conf_address(bus, dev, fn, off));
  return inl(PCI_CONF_DATA);
}

void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
  outl(PCI_CONF_ADDR, conf_address(bus, dev, fn, off));
  outl(PCI_CONF_DATA, v);
}

/* The 1:1 map reaches 64 TiB (as the screen console assumes). */
#define PCI_MMIO_LIMIT (1ULL << 46)

volatile void *pci_map_bar(const struct pci_bar *bar)
{
  if ((bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64) || !bar->base || !bar->size ||
      bar->base + bar->size > PCI_MMIO_LIMIT || bar->base + bar->size < bar->base)
    return NULL;
  paging_set_uncached(bar->base, bar->base + bar->size);
  return phys_to_virt(bar->base);
}
