/* MSI and MSI-X of the hardware domain's devices (arch/x86/vmsi.c), the
 * part of the configuration space filter (vpci.c) that Xen's vPCI does in
 * xen/drivers/vpci/msi.c and msix.c.  dom0 writes its messages (address:
 * its vector's destination; data: its vector) into a device's MSI
 * capability or MSI-X table; the hypervisor keeps them as dom0's view,
 * which is what dom0 reads back, and gives the device a host vector of
 * its own (arch/x86/irq_bind.c) aimed at the boot CPU, physical and
 * fixed.  When that vector fires, dom0's vector goes to the vcpu its
 * address names.  Masks follow dom0's at once (a masked message is
 * masked at the device); disabling MSI or MSI-X gives the vectors back.
 * Devices are looked at when dom0 first reaches their configuration
 * space.  No x86 instruction here: the host unit test runs it over a fake
 * configuration space, fake device memory and a fake vector allocator.
 * Callers hold hv_lock. */
#ifndef ARCH_VMSI_H
#define ARCH_VMSI_H

#include <hv/types.h>

/* dom0 reads size bytes (1, 2, 4, aligned) at register reg (below 256) of
 * segment 0's bus:devfn, a function the hypervisor does not keep.  If the
 * access touches an MSI or MSI-X register the hypervisor intercepts,
 * *val is dom0's view there and the device's own bytes elsewhere: true.
 * false when it touches none (the caller asks the device). */
bool vmsi_conf_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t *val);
/* The same for a write: the intercepted registers' bytes go to dom0's
 * view (and what that changes to the device), the others to the device
 * at their own sizes; a write to the command register or a BAR of a
 * device with MSI-X goes to the device and then moves the table's trap.
 * true when done here, false when the caller writes it to the device. */
bool vmsi_conf_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t val);

/* dom0 accessed n bytes at host address pa: if pa is in a page of an
 * MSI-X table or PBA, served (true): an entry's registers are dom0's
 * view (4 or 8 bytes aligned, as Xen takes them; other sizes read all
 * ones and are dropped), the rest of those pages the device's own. */
bool vmsi_mmio(uint64_t pa, void *buf, unsigned int n, bool write);
/* Whether host page pa holds an MSI-X table or PBA of a device looked at
 * (never mapped into dom0). */
bool vmsi_mmio_kept(uint64_t pa);

/* Forget every device (their vectors freed; for the unit tests). */
void vmsi_reset(void);

#endif
