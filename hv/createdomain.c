/* XEN_DOMCTL_createdomain: a toolstack in dom0 makes a new, empty domain
 * (its domain builder then gives it memory, loads it through foreign
 * mappings, sets its first vcpu's state and unpauses it).  Checks, their
 * order and errnos follow Xen 4.19 (common/domctl.c, common/domain.c
 * sanitise_domain_config and domain_create, arch/x86/domain.c
 * arch_sanitise_domain_config and emulation_flags_ok, common/
 * grant_table.c grant_table_init); what mica does not have (PV guests,
 * shadow paging, an IOMMU, nested virtualisation, altp2m, vPMU,
 * Processor Trace, a device model) is refused as Xen refuses it when
 * built or booted without it. */
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/grant_table.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <public/domctl.h>
#include <public/hvm.h>

_Static_assert(sizeof(struct xen_domctl_createdomain) == 68, "createdomain (4.19)");
_Static_assert(sizeof(struct xen_domctl_createdomain_4_17) == 64, "createdomain (4.17)");
_Static_assert(offsetof(struct xen_domctl_createdomain, vmtrace_size) == 52, "vmtrace_size");
_Static_assert(offsetof(struct xen_domctl_createdomain_4_17, vmtrace_size) == 48, "vmtrace 4.17");

#define CDF_KNOWN                                                                                  \
  (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_s3_integrity |                         \
   XEN_DOMCTL_CDF_oos_off | XEN_DOMCTL_CDF_xs_domain | XEN_DOMCTL_CDF_iommu |                      \
   XEN_DOMCTL_CDF_nested_virt | XEN_DOMCTL_CDF_vpmu)
/* Xen's HVM_MAX_VCPUS: beyond it Xen says -EINVAL; below it and beyond
 * what mica gives a domain, mica says -EINVAL too (with a message). */
#define XEN_HVM_MAX_VCPUS 128
/* The grant table version a domain may ask for at most (v2 is not here). */
#define GNTTAB_MAX_VERSION 1

/* The checks Xen makes before it allocates anything, in its order. */
static long sanitise(const struct xen_domctl_createdomain *c)
{
  uint32_t f = c->flags;
  if (f & ~CDF_KNOWN)
    return -EINVAL;
  if (c->grant_opts & ~XEN_DOMCTL_GRANT_version_mask)
    return -EINVAL;
  if (c->max_vcpus < 1)
    return -EINVAL;
  if ((f & XEN_DOMCTL_CDF_hap) && !(f & XEN_DOMCTL_CDF_hvm))
    return -EINVAL;
  if (f & XEN_DOMCTL_CDF_iommu)
    return -EINVAL; /* Xen: "IOMMU requested but not available" */
  if (c->iommu_opts)
    return -EINVAL; /* options without the IOMMU */
  if (c->vmtrace_size)
    return -EINVAL; /* no Processor Trace */
  if (f & XEN_DOMCTL_CDF_vpmu)
    return -EINVAL; /* no vPMU */
  /* arch_sanitise_domain_config */
  if (!(f & XEN_DOMCTL_CDF_hvm))
    return -EINVAL; /* PV: Xen built without CONFIG_PV says the same */
  if (c->max_vcpus > XEN_HVM_MAX_VCPUS)
    return -EINVAL;
  if (f & XEN_DOMCTL_CDF_s3_integrity)
    return -EINVAL; /* no tboot */
  if (f & XEN_DOMCTL_CDF_nested_virt)
    return -EINVAL; /* "Nested virt requested but not available" */
  if (c->arch.misc_flags & ~XEN_X86_MSR_RELAXED)
    return -EINVAL;
  if (c->altp2m_opts & ~XEN_DOMCTL_ALTP2M_mode_mask)
    return -EINVAL;
  if (c->altp2m_opts & XEN_DOMCTL_ALTP2M_mode_mask)
    return -EINVAL; /* no altp2m (Xen: -EINVAL when HVM lacks it) */
  return 0;
}

/* The checks of domain_create's later steps, before mica allocates: the
 * emulated devices (arch_domain_create), the grant table's size and
 * version (grant_table_init), the CPU pool (sched_init_domain). */
static long check_resources(const struct xen_domctl_createdomain *c)
{
  if (!(c->flags & XEN_DOMCTL_CDF_hap)) {
    pr_warn("createdomain: refused: shadow paging is not offered (ask for HAP)");
    return -EINVAL;
  }
  if (c->max_vcpus > DOMAIN_MAX_VCPUS) {
    pr_warn("createdomain: refused: %u vcpus (a domain here has at most %u)", c->max_vcpus,
            DOMAIN_MAX_VCPUS);
    return -EINVAL;
  }
  uint32_t emu = c->arch.emulation_flags;
  if (emu != XEN_X86_EMU_LAPIC) {
    /* A PVH domU has the local APIC alone; Xen's full HVM set needs a
     * device model, which mica does not have. */
    pr_warn("createdomain: refused: emulation flags 0x%x (only a PVH guest's, 0x%x, are offered)",
            emu, XEN_X86_EMU_LAPIC);
    return -EOPNOTSUPP;
  }
  unsigned int version = c->grant_opts & XEN_DOMCTL_GRANT_version_mask;
  if (!version || version > GNTTAB_MAX_VERSION)
    return -EINVAL;
  if (c->max_grant_frames >= 0 && c->max_grant_frames < 1)
    return -EINVAL;
  if (c->cpupool_id != 0)
    return -ENOENT; /* one pool, 0 */
  return 0;
}

/* The id of the new domain: the one asked for, or the next free one
 * after the last given (Xen's rover). */
static long choose_id(domid_t want, domid_t *out)
{
  static domid_t rover;
  if (want > 0 && want < DOMID_FIRST_RESERVED) {
    if (domain_find(want))
      return -EEXIST;
    *out = want;
    return 0;
  }
  for (domid_t id = (domid_t)(rover + 1); id != rover; id++) {
    if (id >= DOMID_FIRST_RESERVED)
      id = 1;
    if (!domain_find(id)) {
      *out = rover = id;
      return 0;
    }
  }
  return -ENOMEM;
}

long domctl_createdomain(struct vcpu *caller, struct xen_domctl *op)
{
  struct xen_domctl_createdomain c;
  if (op->interface_version == XEN_DOMCTL_INTERFACE_VERSION_4_17) {
    const struct xen_domctl_createdomain_4_17 *o = &op->u.createdomain_4_17;
    memset(&c, 0, sizeof(c));
    c.ssidref = o->ssidref;
    memcpy(c.handle, o->handle, sizeof(c.handle));
    c.flags = o->flags;
    c.iommu_opts = o->iommu_opts;
    c.max_vcpus = o->max_vcpus;
    c.max_evtchn_port = o->max_evtchn_port;
    c.max_grant_frames = o->max_grant_frames;
    c.max_maptrack_frames = o->max_maptrack_frames;
    c.grant_opts = o->grant_opts;
    c.vmtrace_size = o->vmtrace_size;
    c.cpupool_id = o->cpupool_id;
    c.arch = o->arch;
  } else {
    c = op->u.createdomain;
  }

  domid_t id;
  long err = choose_id(op->domain, &id) ?: sanitise(&c) ?: check_resources(&c);
  if (err)
    return err;

  char name[DOMAIN_NAME_MAX];
  snprintf(name, sizeof(name), "domu%u", id);
  /* No memory yet: max_pages is 0 until XEN_DOMCTL_max_mem, as in Xen. */
  struct domain *d = domain_create(id, name, false, 0, c.max_vcpus);
  if (!d)
    return -ENOMEM;
  d->max_pages = 0;
  d->toolstack_built = true;
  memcpy(d->handle, c.handle, sizeof(d->handle));
  /* Paused once by its controller until the toolstack has built it. */
  sched_pause(d);
  /* Xen keeps what was asked; the ABI's own limit stops it anyway. */
  d->evtchn_max_port = MIN(c.max_evtchn_port, EVTCHN_MAX_PORTS - 1);
  if (c.max_grant_frames > 0)
    gnttab_set_max_frames(d, (unsigned int)c.max_grant_frames);
  /* The console a domU has here: a ring the hypervisor serves (console
   * input focus, the serial line), at the same place as a boot-time
   * domU's. */
  err = console_ring_create(d);
  if (err) {
    pr_err("%s: refused: cannot give it a console ring (%ld)", name, err);
    domain_destroy(d);
    return -ENOMEM;
  }
  pr_info("%s: created by %s: %u vcpu(s), paused, no memory yet", name, caller->dom->name,
          c.max_vcpus);
  op->domain = id;
  return 0;
}
