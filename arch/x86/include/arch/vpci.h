/* The hardware domain's PCI configuration space (arch/x86/vpci.c): one
 * filter for both ways in, ports 0xCF8/0xCFC (hwdom.c) and the ECAM
 * windows of the host's MCFG table, which are emulated and never mapped
 * (as Xen's vPCI serves a PVH dom0: xen/drivers/vpci/vpci.c,
 * xen/arch/x86/hvm/io.c).  The filter: a function the hypervisor keeps
 * (pcidev_hidden) reads all ones and ignores writes; the MSI and MSI-X
 * registers are dom0's view (vmsi.c); every other register of segment 0
 * is the device's own, reached at the size dom0 used (pci_conf_read and
 * pci_conf_write; registers 256 to 4095 only through an ECAM window).
 * Code without an x86 instruction: the host unit test runs it on fakes.
 * Callers hold hv_lock. */
#ifndef ARCH_VPCI_H
#define ARCH_VPCI_H

#include <hv/types.h>

#define VPCI_ECAM_MAX 8 /* ECAM windows kept (MCFG allocation entries) */

/* An ECAM window of the MCFG table (PCI Firmware Specification 3.0,
 * 4.1.2): bus start_bus..end_bus of segment seg; the function bus:dev.fn's
 * 4 KiB at address + (bus << 20 | dev << 15 | fn << 12) (PCIe 3.0,
 * table 7-1).  Returns 0, -EINVAL (end_bus below start_bus, no address,
 * a window beyond what the hypervisor maps into dom0 at all) or -ENOSPC
 * (VPCI_ECAM_MAX windows already). */
int vpci_ecam_add(uint64_t address, uint16_t seg, uint8_t start_bus, uint8_t end_bus);

/* Which function and register host address pa is in an ECAM window:
 * true with them filled in, false outside every window. */
bool vpci_ecam_decode(uint64_t pa, uint16_t *seg, uint8_t *bus, uint8_t *devfn, unsigned int *reg);
/* Where segment 0's bus:devfn register reg (below 4096) is in an ECAM
 * window; 0 when no window has that bus. */
uint64_t vpci_ecam_pa(uint8_t bus, uint8_t devfn, unsigned int reg);

/* dom0 reads (writes) size bytes (1, 2, 4) at register reg (below 4096)
 * of segment 0's bus:devfn, through the filter.  An access that is not
 * aligned to its size is taken a byte at a time. */
uint32_t vpci_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size);
void vpci_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t val);

/* dom0 accessed n bytes at host address pa (one page at most), where
 * nothing is mapped: an ECAM window (Xen's vpci_ecam_read/write: 1, 2, 4
 * or 8 bytes aligned, 8 as two 4; anything else reads all ones and is
 * dropped, and so is all of a segment other than 0) or an MSI-X table's
 * page (vmsi_mmio).  Returns true when served. */
bool vpci_mmio(uint64_t pa, void *buf, unsigned int n, bool write);

/* Whether host page pa must never be mapped into dom0 (an ECAM window, an
 * MSI-X table or PBA): emulated by vpci_mmio.  *what names it. */
bool vpci_mmio_kept(uint64_t pa, const char **what);

/* Forget every window and device (the unit tests start from nothing). */
void vpci_reset(void);

#endif
