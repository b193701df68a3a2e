/* The PCI devices of the machine as the hypervisor keeps account of them
 * (hv/pcidev.c): the few the hypervisor drives itself and hides from the
 * hardware domain (its network console's NIC), the devices the hardware
 * domain reports (PHYSDEVOP_pci_device_add / _remove) and the ECAM
 * regions it reports (PHYSDEVOP_pci_mmcfg_reserved).  The answers are
 * Xen 4.19's (xen/drivers/passthrough/pci.c pci_add_device and
 * pci_remove_device, xen/drivers/vpci/header.c init_header,
 * xen/arch/x86/x86_64/mmconfig-shared.c pci_mmcfg_reserved,
 * xen/arch/x86/hvm/io.c register_vpci_mmcfg_handler).
 *
 * Generic code: configuration space is read through the arch's
 * pci_conf_read32 (segment 0 only: the hypervisor reaches no other).
 * Callers hold hv_lock, or run at boot on the one CPU up. */
#ifndef HV_PCIDEV_H
#define HV_PCIDEV_H

#include <hv/types.h>

#define PCIDEV_HIDDEN_MAX 8    /* devices the hypervisor may keep */
#define PCIDEV_REPORTS_MAX 256 /* devices the hardware domain's reports are kept for */
#define PCIDEV_MMCFG_MAX 16    /* ECAM regions kept */

/* The hardware domain reports a device (XEN_PCI_DEV_* flags, kept for the
 * log).  As Xen, which found every device of segment 0 at boot and gave
 * it to the hardware domain: a device it has already (seen in
 * configuration space, or reported before) is 0, nothing changes; a
 * device the hypervisor hid is 0 too, and stays hidden (Xen's
 * pci_add_device leaves a device dom_xen owns where it is).  Any other
 * device becomes the hardware domain's if its configuration header is
 * one Xen's vPCI takes (header type 0 or 1): 0; else -EOPNOTSUPP, and it
 * is known but nobody's (a function that is not there reads header type
 * 0x7f; so does every function of a segment other than 0).  -ENOMEM when
 * PCIDEV_REPORTS_MAX devices are kept already and this one needs an
 * entry. */
int pcidev_add(uint16_t seg, uint8_t bus, uint8_t devfn, uint32_t flags);

/* The hardware domain says the device is gone: 0, the hypervisor forgets
 * it (a later pcidev_add finds it new); -ENODEV for a device it does not
 * know (never there, or removed before).  A device the hypervisor hid is
 * 0 as in Xen, but it stays hidden. */
int pcidev_remove(uint16_t seg, uint8_t bus, uint8_t devfn);

/* The hypervisor drives segment 0's device bus:devfn itself (why says
 * what it is: "the network console's NIC"); logged once.  A device
 * hidden twice is logged once; past PCIDEV_HIDDEN_MAX devices the hiding
 * fails loudly (pr_err). */
void pcidev_hide(uint8_t bus, uint8_t devfn, const char *why);
/* Whether segment 0's bus:devfn is one the hypervisor hid. */
bool pcidev_hidden(uint8_t bus, uint8_t devfn);

/* The host's MCFG table lists an ECAM window (arch_hwdom_init, before
 * any report): from now on reports are checked against the windows so
 * listed, and each is emulated for the hardware domain from the start
 * (Xen's pvh_setup_mmcfg).  Returns 0, -EINVAL (end_bus below start_bus)
 * or -ENOMEM (PCIDEV_MMCFG_MAX regions already). */
int pcidev_mcfg(uint64_t address, uint16_t seg, uint8_t start_bus, uint8_t end_bus);

/* The hardware domain reports an ECAM region (see public/physdev.h).
 * Checked as Xen checks it: flags other than XEN_PCI_MMCFG_RESERVED:
 * -EINVAL; end_bus below start_bus: -ENODEV; with an MCFG table
 * (pcidev_mcfg), a segment and bus range it does not list: -ENODEV, and
 * one it lists at another address: -EIO; without one (mica's stand-in,
 * where Xen would answer -ENODEV to every report) the first report of a
 * segment and bus range stands for the table, and the range reported
 * again at another address is -EIO; reserved and overlapping another
 * region that is emulated (from MCFG, or reported reserved): -EEXIST;
 * the same region again: 0.  Kept (PCIDEV_MMCFG_MAX at most: then
 * -ENOMEM) and logged. */
int pcidev_mmcfg_reserved(uint64_t address, uint16_t seg, uint8_t start_bus, uint8_t end_bus,
                          uint32_t flags);

/* One ECAM region the hardware domain reported. */
struct pcidev_mmcfg {
  uint64_t address; /* as reported: where bus 0's ECAM would be */
  uint64_t base;    /* the ECAM of start_bus: address + (start_bus << 20) */
  uint64_t size;    /* (end_bus - start_bus + 1) << 20 */
  uint16_t seg;
  uint8_t start_bus, end_bus;
  bool reserved; /* its last report said XEN_PCI_MMCFG_RESERVED */
  bool mcfg;     /* listed by the MCFG table (pcidev_mcfg) */
};
/* The i-th region kept (the MCFG's, then those reported, in order);
 * NULL past the last. */
const struct pcidev_mmcfg *pcidev_mmcfg_at(unsigned int i);

/* Log every device the hypervisor hid, every report the hardware domain
 * made and every ECAM region, one line each; one line when there are
 * none. */
void pcidev_log(void);

/* Forget everything (the unit tests start each case from nothing). */
void pcidev_reset(void);

#endif
