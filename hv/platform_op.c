/* platform_op (hypercall 7): the privileged domain sets the wall clock
 * and asks about the physical CPUs and the firmware.  The checks, their
 * order and the errnos are Xen 4.19's (xen/arch/x86/platform_hypercall.c
 * do_platform_op; its compat twin for 32-bit callers, whose structures
 * here have the 64-bit layout, see public/platform.h).  Commands Linux 6.1
 * as a PVH dom0 makes and mica leaves out, and Xen's others, are -ENOSYS
 * (README: "platform_op"). */
#include <arch/arch.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/string.h>
#include <hv/wallclock.h>
#include <public/platform.h>

_Static_assert(sizeof(struct xen_platform_op) == 136, "xen_platform_op: 8 + a 128-byte union");
_Static_assert(offsetof(struct xen_platform_op, u) == 8, "xen_platform_op.u at 8");
_Static_assert(sizeof(struct xenpf_settime32) == 16, "settime32");
_Static_assert(sizeof(struct xenpf_settime64) == 24, "settime64");
_Static_assert(sizeof(struct xenpf_pcpuinfo) == 20, "pcpuinfo");
_Static_assert(sizeof(struct xenpf_pcpu_version) == 32, "pcpu_version");
_Static_assert(offsetof(struct xenpf_firmware_info, u.kbd_shift_flags) == 8, "kbd_shift_flags");

/* The part of op that holds field f, as Xen's __copy_field_to_guest. */
#define COPY_FIELD_BACK(v, arg, op, f)                                                             \
  arch_copy_to_guest(v, (arg) + offsetof(struct xen_platform_op, f), &(op)->f, sizeof((op)->f))

/* XENPF_firmware_info.  What Xen gives comes from the BIOS, read by its
 * real-mode boot code (EDD, MBR signatures, VBE EDID, the keyboard's
 * shift state), or from EFI.  mica calls no BIOS service and keeps no EFI
 * service past its boot, so it answers as Xen does when it has none of
 * that data: -ESRCH for the disks and the EDID, -ENOSYS for EFI (Xen's
 * efi_get_info when not booted from EFI: so Linux does not look for EFI
 * runtime services), and for the shift flags Xen's value when nothing
 * read them (its EFI boot path): 0 at index 0. */
static long firmware_info(struct vcpu *v, uint64_t arg, struct xen_platform_op *op)
{
  struct xenpf_firmware_info *fw = &op->u.firmware_info;

  switch (fw->type) {
  case XEN_FW_DISK_INFO:          /* no EDD data: index >= 0 entries */
  case XEN_FW_DISK_MBR_SIGNATURE: /* no signatures */
  case XEN_FW_VBEDDC_INFO: /* no EDID (Xen's 0x13131313 "none") */ return -ESRCH;
  case XEN_FW_EFI_INFO: return -ENOSYS;
  case XEN_FW_KBD_SHIFT_FLAGS:
    if (fw->index != 0)
      return -ESRCH;
    fw->u.kbd_shift_flags = 0;
    return COPY_FIELD_BACK(v, arg, op, u.firmware_info.u.kbd_shift_flags) ? -EFAULT : 0;
  default: return -EINVAL;
  }
}

/* XENPF_get_cpuinfo: a number with no CPU gets XEN_PCPU_FLAGS_INVALID and
 * otherwise what the caller put there; the call succeeds either way. */
static long get_cpuinfo(struct vcpu *v, uint64_t arg, struct xen_platform_op *op)
{
  struct xenpf_pcpuinfo *info = &op->u.pcpu_info;
  struct arch_pcpu p;

  if (!arch_pcpu_info(info->xen_cpuid, &p)) {
    info->flags = XEN_PCPU_FLAGS_INVALID;
  } else {
    info->apic_id = p.apic_id;
    info->acpi_id = p.acpi_id;
    info->flags = p.online ? XEN_PCPU_FLAGS_ONLINE : 0;
  }
  info->max_present = arch_pcpu_last();
  return COPY_FIELD_BACK(v, arg, op, u.pcpu_info) ? -EFAULT : 0;
}

/* XENPF_get_cpu_version: zeros for a number with no CPU online. */
static long get_cpu_version(struct vcpu *v, uint64_t arg, struct xen_platform_op *op)
{
  struct xenpf_pcpu_version *ver = &op->u.pcpu_version;
  struct arch_pcpu p;

  if (!arch_pcpu_info(ver->xen_cpuid, &p) || !p.online) {
    memset(ver->vendor_id, 0, sizeof(ver->vendor_id));
    ver->family = ver->model = ver->stepping = 0;
  } else {
    memcpy(ver->vendor_id, p.vendor, sizeof(ver->vendor_id));
    ver->family = p.family;
    ver->model = p.model;
    ver->stepping = p.stepping;
  }
  ver->max_present = arch_pcpu_last();
  return COPY_FIELD_BACK(v, arg, op, u.pcpu_version) ? -EFAULT : 0;
}

long do_platform_op(struct vcpu *v, uint64_t arg)
{
  struct xen_platform_op op;

  if (arch_copy_from_guest(v, &op, arg, sizeof(op)))
    return -EFAULT;
  if (op.interface_version != XENPF_INTERFACE_VERSION)
    return -EACCES;
  if (!v->dom->privileged)
    return -EPERM; /* the XSM dummy policy: XSM_PRIV for every command */

  switch (op.cmd) {
  case XENPF_settime32:
    wallclock_set(op.u.settime32.secs, op.u.settime32.nsecs, op.u.settime32.system_time);
    return 0;
  case XENPF_settime64:
    if (op.u.settime64.mbz)
      return -EINVAL;
    wallclock_set(op.u.settime64.secs, op.u.settime64.nsecs, op.u.settime64.system_time);
    return 0;
  case XENPF_firmware_info: return firmware_info(v, arg, &op);
  case XENPF_get_cpuinfo: return get_cpuinfo(v, arg, &op);
  case XENPF_get_cpu_version: return get_cpu_version(v, arg, &op);
  case XENPF_efi_runtime_call:
    /* Xen's efi_runtime_call when not booted from EFI (see above). */
    return -ENOSYS;
  case XENPF_get_dom0_console:
    /* Xen 4.19 hands dom0 the screen it was given; mica keeps the screen
     * for its own console, so it answers as Xen with no screen to give. */
    return -ENODEV;
  default: return -ENOSYS;
  }
}
