/* xen_version: the hypervisor's version, capabilities and features. */
#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/string.h>
#include <hv/version.h>
#include <public/version.h>

#define MICA_XEN_MAJOR 4
#define MICA_XEN_MINOR 19

const char *hv_cmdline = "";

/* Copy a string into a fixed-size guest buffer, NUL-padded. */
static long put_string(struct vcpu *v, uint64_t arg, const char *s, size_t size)
{
  char buf[XEN_COMMANDLINE_LEN];
  memset(buf, 0, size);
  strlcpy(buf, s, size);
  return arch_copy_to_guest(v, arg, buf, size) ? -EFAULT : 0;
}

/* The XENFEAT_* bits of word 0 that mica really provides (Xen 4.19 sets
 * a few more for HVM guests: hvm_pirqs with an emulated IO-APIC, and
 * others that come with grant-table and memory work). */
static uint32_t features(const struct domain *d)
{
  uint32_t f = 1U << XENFEAT_auto_translated_physmap; /* EPT does the p2m */
  f |= 1U << XENFEAT_writable_page_tables;            /* and so its page tables are its own */
  f |= 1U << XENFEAT_not_direct_mapped;               /* gfn != mfn */
  f |= 1U << XENFEAT_hvm_callback_vector;             /* HVM_PARAM_CALLBACK_IRQ type vector */
  f |= 1U << XENFEAT_hvm_safe_pvclock;                /* vcpu_time_info is kept exact */
  if (d->privileged)
    f |= 1U << XENFEAT_dom0;
  return f;
}

/* Every sub-op but XENVER_version.  Out of line: its buffers make a large
 * stack frame that the version query, which guests ask often, should not
 * pay for. */
static __attribute__((noinline)) long version_info(struct vcpu *v, int cmd, uint64_t arg)
{
  bool deny = !v->dom->privileged && (cmd == XENVER_commandline || cmd == XENVER_build_id);

  switch (cmd) {
  case XENVER_extraversion: return put_string(v, arg, "-mica" MICA_VERSION, XEN_EXTRAVERSION_LEN);
  case XENVER_compile_info: {
    struct xen_compile_info ci;
    memset(&ci, 0, sizeof(ci));
    strlcpy(ci.compiler, "gcc " __VERSION__, sizeof(ci.compiler));
    strlcpy(ci.compile_by, "mica", sizeof(ci.compile_by));
    strlcpy(ci.compile_domain, "mica", sizeof(ci.compile_domain));
    strlcpy(ci.compile_date, __DATE__ " " __TIME__, sizeof(ci.compile_date));
    return arch_copy_to_guest(v, arg, &ci, sizeof(ci)) ? -EFAULT : 0;
  }
  case XENVER_capabilities:
    return put_string(v, arg, "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64",
                      XEN_CAPABILITIES_INFO_LEN);
  case XENVER_changeset: return put_string(v, arg, "mica " MICA_VERSION, XEN_CHANGESET_INFO_LEN);
  case XENVER_platform_parameters: {
    struct xen_platform_parameters p = {0}; /* PVH: nothing shared */
    /* A 32-bit caller's virt_start is 32 bits wide (Xen 4.19 kernel.c:
     * compat_platform_parameters_t, 0 for an HVM vcpu too). */
    size_t size = v->hcall_compat ? sizeof(uint32_t) : sizeof(p);
    return arch_copy_to_guest(v, arg, &p, size) ? -EFAULT : 0;
  }
  case XENVER_get_features: {
    struct xen_feature_info fi;
    if (arch_copy_from_guest(v, &fi, arg, sizeof(fi)))
      return -EFAULT;
    if (fi.submap_idx != 0)
      return -EINVAL;
    fi.submap = features(v->dom);
    return arch_copy_to_guest(v, arg, &fi, sizeof(fi)) ? -EFAULT : 0;
  }
  case XENVER_pagesize: return arg ? -EINVAL : (long)PAGE_SIZE;
  case XENVER_guest_handle: {
    uint8_t handle[XEN_DOMAIN_HANDLE_LEN] = {0}; /* no toolstack sets one */
    return arch_copy_to_guest(v, arg, handle, sizeof(handle)) ? -EFAULT : 0;
  }
  case XENVER_commandline:
    return put_string(v, arg, deny ? "<denied>" : hv_cmdline, XEN_COMMANDLINE_LEN);
  case XENVER_build_id: {
    if (deny)
      return -EPERM;
    if (arg) {
      struct xen_build_id b;
      if (arch_copy_from_guest(v, &b, arg, sizeof(b)))
        return -EFAULT;
      if (b.len == 0)
        return -EINVAL;
    }
    return -ENODATA; /* the image carries no build id */
  }
  default: return -ENOSYS;
  }
}

/* Sub-ops and their permissions follow Xen 4.19 (common/kernel.c
 * do_xen_version, xsm/dummy.h xsm_xen_version): the command line and the
 * build id are for dom0; a domU asking for the first gets "<denied>". */
long do_xen_version(struct vcpu *v, int cmd, uint64_t arg)
{
  if (cmd == XENVER_version)
    return (MICA_XEN_MAJOR << 16) | MICA_XEN_MINOR;
  return version_info(v, cmd, arg);
}
