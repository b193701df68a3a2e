/* PCI configuration space: the devices on the buses, their BARs, command
 * register and interrupt line, for the few devices the hypervisor drives
 * itself (the network console's NIC).  Boot time, one CPU: nothing here
 * takes a lock.  dom0 owns every other device; when PCI passthrough to
 * dom0 comes, the devices the hypervisor claims must be hidden from it. */
#ifndef ARCH_PCI_H
#define ARCH_PCI_H

#include <hv/types.h>

/* Configuration header offsets (PCI Local Bus Specification 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO BIT(0)
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)

#define PCI_NR_BARS 6 /* in a type 0 header; a bridge (type 1) has 2 */

/* One function found on a bus. */
struct pci_dev {
  uint8_t bus, dev, fn;
  uint16_t vendor, device;
  uint8_t class, subclass, progif, revision;
  uint8_t header_type; /* bits 6:0; bit 7 (multi-function) masked off */
  uint8_t irq_line;    /* what the firmware wrote there; 0xff: none */
  uint8_t irq_pin;     /* 0: none, 1..4: INTA#..INTD# */
};

enum pci_bar_type {
  PCI_BAR_NONE,  /* not implemented, or the upper half of a 64-bit BAR */
  PCI_BAR_IO,    /* I/O ports */
  PCI_BAR_MEM32, /* memory below 4 GiB */
  PCI_BAR_MEM64, /* memory anywhere; takes this slot and the next */
};

struct pci_bar {
  enum pci_bar_type type;
  uint64_t base; /* port number or physical address */
  uint64_t size; /* bytes (a power of two), 0 when type is PCI_BAR_NONE */
  bool prefetchable;
};

/* Configuration mechanism #1 (ports 0xCF8/0xCFC), the two primitives the
 * rest is built on (arch/x86/pci_io.c; host unit tests supply a fake).
 * off must be 4-byte aligned and below 256; wider values are masked. */
uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off);
void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v);

/* The hardware domain's accesses, at their own size (1, 2 or 4 bytes,
 * reg a multiple of it): reg below 256 through mechanism #1, reg 256 to
 * 4095 through the ECAM window the MCFG table gives bus's segment 0
 * (vpci_ecam_pa), where there is none all ones and a write dropped.  A
 * narrow write is never widened, so a status register's write-one-to-clear
 * bits beside it are left alone (PCI 3.0, 6.2.3).  devfn is dev << 3 | fn. */
uint32_t pci_conf_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size);
void pci_conf_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t v);

/* One uncached access of size bytes (1, 2, 4, 8; pa a multiple of it) to
 * device memory at host address pa (below 1 << 46), through the
 * hypervisor's I/O window (paging_io_window): for the MSI-X tables and the
 * ECAM of dom0's devices.  Under hv_lock. */
uint64_t pci_mmio_read(uint64_t pa, unsigned int size);
void pci_mmio_write(uint64_t pa, unsigned int size, uint64_t v);

/* Narrower reads of d's configuration space, from the aligned dword. */
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);

/* Call fn for every function present (vendor ID not 0xffff) on buses
 * 0..255, devices 0..31, functions 0..7 when function 0's header type has
 * bit 7 (multi-function) set, else function 0 alone.  Stops at the first
 * non-zero return of fn and returns it; returns 0 after the last device.
 * Logs every function at debug level. */
int pci_for_each(int (*fn)(const struct pci_dev *d, void *arg), void *arg);

/* The function at bus:dev.fn into *d: 0, or -ENODEV when none answers. */
int pci_dev_at(uint8_t bus, uint8_t dev, uint8_t fn, struct pci_dev *d);

/* Decode BAR idx (0..5) of d, probing its size: the command register's I/O
 * and memory decode are off while all-ones is written and read back, and
 * the BAR and command are restored after (PCI 3.0, 6.2.5.1).  A 64-bit
 * memory BAR takes idx and idx + 1; decoding idx + 1 on its own gives
 * garbage, so callers go from BAR 0 up (pci_bars does).  Returns 0,
 * -EINVAL (idx out of range for the header type, a 64-bit BAR in the last
 * slot) or -ENODEV (type bits reserved). */
int pci_bar_decode(const struct pci_dev *d, unsigned int idx, struct pci_bar *bar);

/* Decode all of d's BARs into bars[PCI_NR_BARS] (the slots a header type 1
 * lacks, the upper halves of 64-bit BARs and bad BARs are PCI_BAR_NONE).
 * Returns how many BARs are implemented. */
unsigned int pci_bars(const struct pci_dev *d, struct pci_bar bars[PCI_NR_BARS]);

/* Set the bits of mask (PCI_COMMAND_*) in d's command register (or clear
 * them, on == false).  Returns the command register as it was. */
uint16_t pci_command(const struct pci_dev *d, uint16_t mask, bool on);

/* Map a memory BAR for the hypervisor: uncached, read-write, never
 * executable (device registers must not be cached or combined, PCI 3.0,
 * 6.2.5.1).  Boot time only.  Returns its address, or NULL for an I/O or
 * unimplemented BAR, base 0 (the firmware assigned none) or one beyond
 * what the hypervisor can map. */
volatile void *pci_map_bar(const struct pci_bar *bar);

/* "BB:DD.F" for d into buf (at least 8 bytes); returns buf. */
char *pci_name(const struct pci_dev *d, char *buf, size_t size);

/* Parse "BB:DD.F" (hex bus and device, a function digit 0..7).  Returns 0,
 * or -EINVAL for anything else. */
int pci_parse_name(const char *s, uint8_t *bus, uint8_t *dev, uint8_t *fn);

#endif
