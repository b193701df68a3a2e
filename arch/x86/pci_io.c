/* The PCI module's x86 side: configuration mechanism #1 (the address port
 * 0xCF8 selects a dword of a function's configuration space and the data
 * port 0xCFC moves it, PCI Local Bus Specification 3.0, 3.2.2.3.2), the
 * ECAM for the rest of a PCI Express function's 4 KiB (PCIe 3.0, 7.2.2),
 * device memory through the I/O window, and the mapping of memory BARs.
 * arch/x86/pci.c and vpci.c build on it. */
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/paging.h>
#include <arch/pci.h>
#include <arch/vpci.h>

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

uint64_t pci_mmio_read(uint64_t pa, unsigned int size)
{
  volatile void *p = paging_io_window(pa);
  switch (size) {
  case 1: return *(volatile uint8_t *)p;
  case 2: return *(volatile uint16_t *)p;
  case 4: return *(volatile uint32_t *)p;
  default: return *(volatile uint64_t *)p;
  }
}

void pci_mmio_write(uint64_t pa, unsigned int size, uint64_t v)
{
  volatile void *p = paging_io_window(pa);
  switch (size) {
  case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
  case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
  case 4: *(volatile uint32_t *)p = (uint32_t)v; break;
  default: *(volatile uint64_t *)p = v; break;
  }
}

uint32_t pci_conf_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size)
{
  uint16_t port = (uint16_t)(PCI_CONF_DATA + (reg & 3));
  if (reg >= 256) {
    uint64_t pa = vpci_ecam_pa(bus, devfn, reg);
    return pa ? (uint32_t)pci_mmio_read(pa, size) : ~0U;
  }
  outl(PCI_CONF_ADDR, conf_address(bus, devfn >> 3, devfn & 7, (uint16_t)reg));
  return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void pci_conf_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t v)
{
  uint16_t port = (uint16_t)(PCI_CONF_DATA + (reg & 3));
  if (reg >= 256) {
    uint64_t pa = vpci_ecam_pa(bus, devfn, reg);
    if (pa)
      pci_mmio_write(pa, size, v);
    return;
  }
  outl(PCI_CONF_ADDR, conf_address(bus, devfn >> 3, devfn & 7, (uint16_t)reg));
  if (size == 1)
    outb(port, (uint8_t)v);
  else if (size == 2)
    outw(port, (uint16_t)v);
  else
    outl(port, v);
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
