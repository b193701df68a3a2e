/* The hardware domain's machine, x86 side (arch/x86/hwdom.c): its I/O
 * ports, PCI configuration space, power requests, and the devices the
 * hypervisor keeps from it. */
#ifndef ARCH_HWDOM_H
#define ARCH_HWDOM_H

#include <arch/pci.h>
#include <hv/types.h>

struct vcpu;

/* The VMCS of v (current) lets a hardware domain's vcpu reach the ports
 * it owns without an exit (I/O bitmaps); other vcpus are left as they
 * are.  Returns 0, -ENOMEM or -EIO. */
int hwdom_vmcs_setup(struct vcpu *v);

/* An IN or OUT of size bytes (1, 2, 4) at port by the hardware domain's
 * vcpu v that exited: done here (a kept port answered, or the access
 * passed on), *val in or out.  Returns false for the debug console port,
 * which the caller serves. */
bool hwdom_io(struct vcpu *v, unsigned int port, unsigned int size, bool in, uint32_t *val);

/* dom0 asked for a power off or reboot (SHUTDOWN_*) by hardware means
 * (how says which): it shuts down through the hypervisor instead. */
void hwdom_power(unsigned int reason, const char *how);

/* The hypervisor drives PCI function d itself (why names it): the
 * hardware domain never sees it (pcidev_hide: its configuration space
 * reads as absent; and its BARs are never mapped, its I/O ports kept). */
void hwdom_keep_pci(const struct pci_dev *d, const char *why);

/* Host page pa became something dom0 must not have mapped (an MSI-X
 * table's page): if dom0 has it mapped 1:1 (it touched it before), the
 * mapping goes; the next access is emulated. */
void hwdom_mmio_revoke(uint64_t pa);

#endif
