/* physdev_op (hypercall 33): the hardware domain tells the hypervisor
 * about the machine's devices.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/physdev.h); the same in Xen 4.17.  A PVH guest has
 * no PIRQs, so of Xen's commands only those an HVM hardware domain may
 * make are answered (Xen's hvm_physdev_op): pci_mmcfg_reserved,
 * pci_device_add, pci_device_remove and dbgp_op, for the hardware domain
 * alone.  Every other command, and these from any other domain, is
 * -ENOSYS, as Xen answers.  Every structure here has one layout for
 * 64-bit and 32-bit callers.
 *
 * Call: physdev_op(cmd, &arg). */
#ifndef MICA_PUBLIC_PHYSDEV_H
#define MICA_PUBLIC_PHYSDEV_H

#include "xen.h"

/* ---- Commands ---- */
#define PHYSDEVOP_IRQ_UNMASK_NOTIFY 4
#define PHYSDEVOP_irq_status_query 5
#define PHYSDEVOP_set_iopl 6
#define PHYSDEVOP_set_iobitmap 7
#define PHYSDEVOP_apic_read 8
#define PHYSDEVOP_apic_write 9
#define PHYSDEVOP_alloc_irq_vector 10
#define PHYSDEVOP_free_irq_vector 11
#define PHYSDEVOP_eoi 12
#define PHYSDEVOP_map_pirq 13
#define PHYSDEVOP_unmap_pirq 14
#define PHYSDEVOP_manage_pci_add 15
#define PHYSDEVOP_manage_pci_remove 16
#define PHYSDEVOP_pirq_eoi_gmfn_v1 17
#define PHYSDEVOP_restore_msi 19
#define PHYSDEVOP_manage_pci_add_ext 20
#define PHYSDEVOP_setup_gsi 21
#define PHYSDEVOP_get_free_pirq 23
#define PHYSDEVOP_pci_mmcfg_reserved 24 /* answered */
#define PHYSDEVOP_pci_device_add 25     /* answered */
#define PHYSDEVOP_pci_device_remove 26  /* answered */
#define PHYSDEVOP_restore_msi_ext 27
#define PHYSDEVOP_pirq_eoi_gmfn_v2 28
#define PHYSDEVOP_dbgp_op 29 /* answered */
#define PHYSDEVOP_prepare_msix 30
#define PHYSDEVOP_release_msix 31

/* ---- PHYSDEVOP_pci_mmcfg_reserved: where the PCIe ECAM of a segment
 * is, and whether the firmware reserved it (E820 or ACPI), as the
 * hardware domain learnt it.  address is the ECAM base of bus 0; the
 * buses start_bus..end_bus of segment are in it at address + (bus << 20).
 * flags: XEN_PCI_MMCFG_RESERVED, or 0 (not reserved: not to be used). */
#define XEN_PCI_MMCFG_RESERVED 0x1
struct physdev_pci_mmcfg_reserved {
  uint64_t address;
  uint16_t segment;
  uint8_t start_bus;
  uint8_t end_bus;
  uint32_t flags;
}; /* 16 bytes */

/* ---- PHYSDEVOP_pci_device_add: the hardware domain found a device ----
 * flags: XEN_PCI_DEV_EXTFN (an ARI extended function), XEN_PCI_DEV_VIRTFN
 * (an SR-IOV virtual function of physfn, which is added first),
 * XEN_PCI_DEV_PXM (optarr[0], read from just after the structure, is its
 * ACPI proximity domain). */
#define XEN_PCI_DEV_EXTFN 0x1
#define XEN_PCI_DEV_VIRTFN 0x2
#define XEN_PCI_DEV_PXM 0x4
struct physdev_pci_device_add {
  uint16_t seg;
  uint8_t bus;
  uint8_t devfn; /* device << 3 | function */
  uint32_t flags;
  struct {
    uint8_t bus;
    uint8_t devfn;
  } physfn;
  uint32_t optarr[]; /* by flags: [0] the proximity domain */
};                   /* 12 bytes before optarr */

/* ---- PHYSDEVOP_pci_device_remove (and restore_msi_ext, prepare_msix,
 * release_msix): one device ---- */
struct physdev_pci_device {
  uint16_t seg;
  uint8_t bus;
  uint8_t devfn;
}; /* 4 bytes */

/* ---- PHYSDEVOP_dbgp_op: the hardware domain is about to reset (or has
 * reset) a USB host controller that may hold the hypervisor's EHCI debug
 * port.  mica drives no debug port: the answer is always 0. */
#define PHYSDEVOP_DBGP_RESET_PREPARE 1
#define PHYSDEVOP_DBGP_RESET_DONE 2
#define PHYSDEVOP_DBGP_BUS_UNKNOWN 0
#define PHYSDEVOP_DBGP_BUS_PCI 1
struct physdev_dbgp_op {
  uint8_t op;  /* PHYSDEVOP_DBGP_RESET_* */
  uint8_t bus; /* PHYSDEVOP_DBGP_BUS_* */
  union {
    struct physdev_pci_device pci;
  } u;
}; /* 6 bytes */

/* ---- PHYSDEVOP_manage_pci_add/_remove, PHYSDEVOP_manage_pci_add_ext:
 * the older forms of pci_device_add/remove (segment 0 only), which a Xen
 * HVM guest, PVH included, cannot make (-ENOSYS); Linux falls back to
 * them only when pci_device_add is -ENOSYS. */
struct physdev_manage_pci {
  uint8_t bus;
  uint8_t devfn;
}; /* 2 bytes */

struct physdev_manage_pci_ext {
  uint8_t bus;
  uint8_t devfn;
  uint32_t is_extfn;
  uint32_t is_virtfn;
  struct {
    uint8_t bus;
    uint8_t devfn;
  } physfn;
}; /* 16 bytes */

#endif
