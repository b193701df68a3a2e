/* physdev_op (hypercall 33) for PVH domains, which have no PIRQs: what
 * Xen 4.19's filter for HVM callers lets through (xen/arch/x86/hvm/
 * hypercall.c hvm_physdev_op), for the hardware domain only: the PCI
 * devices and ECAM regions it reports, kept by hv/pcidev.c, and the EHCI
 * debug port's resets.  Everything else is -ENOSYS, for every domain, as
 * in Xen.  The argument checks are Xen's (xen/arch/x86/physdev.c
 * do_physdev_op, xen/drivers/pci/physdev.c pci_physdev_op); the
 * structures have one layout for 64-bit and 32-bit callers (Xen's
 * xlat.lst checks them, public/physdev.h). */
#include <arch/arch.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/pcidev.h>
#include <public/physdev.h>

_Static_assert(sizeof(struct physdev_pci_device_add) == 12, "pci_device_add before optarr");
_Static_assert(sizeof(struct physdev_pci_mmcfg_reserved) == 16, "pci_mmcfg_reserved");
_Static_assert(sizeof(struct physdev_pci_device) == 4, "pci_device");
_Static_assert(sizeof(struct physdev_dbgp_op) == 6, "dbgp_op");

static long pci_device_add(struct vcpu *v, uint64_t arg)
{
  struct physdev_pci_device_add add;
  uint32_t pxm;

  if (arch_copy_from_guest(v, &add, arg, sizeof(add)))
    return -EFAULT;
  /* The proximity domain follows the structure; read as Xen reads it,
   * then unused (one NUMA node here). */
  if ((add.flags & XEN_PCI_DEV_PXM) &&
      arch_copy_from_guest(v, &pxm, arg + offsetof(struct physdev_pci_device_add, optarr),
                           sizeof(pxm)))
    return -EFAULT;
  /* A virtual function's physical function is added first if it is new;
   * what that answers is not the caller's (Xen's pci_add_device). */
  if (add.flags & XEN_PCI_DEV_VIRTFN)
    (void)pcidev_add(add.seg, add.physfn.bus, add.physfn.devfn, 0);
  return pcidev_add(add.seg, add.bus, add.devfn, add.flags);
}

static long pci_device_remove(struct vcpu *v, uint64_t arg)
{
  struct physdev_pci_device dev;

  if (arch_copy_from_guest(v, &dev, arg, sizeof(dev)))
    return -EFAULT;
  return pcidev_remove(dev.seg, dev.bus, dev.devfn);
}

static long pci_mmcfg_reserved(struct vcpu *v, uint64_t arg)
{
  struct physdev_pci_mmcfg_reserved info;

  if (arch_copy_from_guest(v, &info, arg, sizeof(info)))
    return -EFAULT;
  return pcidev_mmcfg_reserved(info.address, info.segment, info.start_bus, info.end_bus,
                               info.flags);
}

/* Xen's dbgp_op with no EHCI debug port in use answers 0 to everything;
 * mica has none. */
static long dbgp_op(struct vcpu *v, uint64_t arg)
{
  struct physdev_dbgp_op op;

  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  return 0;
}

long do_physdev_op(struct vcpu *v, int cmd, uint64_t arg)
{
  /* Xen's hvm_physdev_op: the PIRQ calls are -ENOSYS for a domain without
   * PIRQs (every PVH domain), the PCI ones for any but the hardware
   * domain, and the rest for everyone. */
  switch (cmd) {
  case PHYSDEVOP_pci_mmcfg_reserved:
  case PHYSDEVOP_pci_device_add:
  case PHYSDEVOP_pci_device_remove:
  case PHYSDEVOP_dbgp_op:
    if (!v->dom->privileged)
      return -ENOSYS;
    break;
  default: return -ENOSYS;
  }
  switch (cmd) {
  case PHYSDEVOP_pci_mmcfg_reserved: return pci_mmcfg_reserved(v, arg);
  case PHYSDEVOP_pci_device_add: return pci_device_add(v, arg);
  case PHYSDEVOP_pci_device_remove: return pci_device_remove(v, arg);
  default: return dbgp_op(v, arg);
  }
}
