/* xen_version (hypercall 17): what a guest may learn about the hypervisor,
 * and the XENFEAT_* feature bits it reports.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/version.h, features.h); the *2 sub-ops are from
 * Xen 4.20.
 *
 * Call: xen_version(cmd, arg).  Every sub-op returns 0 on success except
 * XENVER_version and XENVER_pagesize (which return the value itself) and
 * XENVER_build_id (which returns a length).  The fixed-size string
 * buffers of the original sub-ops are copied whole, zero-padded, and may
 * truncate; the *2 sub-ops exist to avoid that. */
#ifndef MICA_PUBLIC_VERSION_H
#define MICA_PUBLIC_VERSION_H

#include "xen.h"

/* arg unused; returns (major << 16) | minor. */
#define XENVER_version 0

/* arg -> char[XEN_EXTRAVERSION_LEN], e.g. ".0" or "-rc". */
#define XENVER_extraversion 1
#define XEN_EXTRAVERSION_LEN 16

/* arg -> struct xen_compile_info. */
#define XENVER_compile_info 2
struct xen_compile_info {
  char compiler[64];
  char compile_by[16];
  char compile_domain[32];
  char compile_date[32];
}; /* 144 bytes */

/* arg -> char[XEN_CAPABILITIES_INFO_LEN]: space-separated guest types the
 * host can run, e.g. "xen-3.0-x86_64 hvm-3.0-x86_64". */
#define XENVER_capabilities 3
#define XEN_CAPABILITIES_INFO_LEN 1024

/* arg -> char[XEN_CHANGESET_INFO_LEN]: the source revision. */
#define XENVER_changeset 4
#define XEN_CHANGESET_INFO_LEN 64

/* arg -> struct xen_platform_parameters.  Only meaningful to PV guests
 * sharing page tables with the hypervisor; others get 0 and success. */
#define XENVER_platform_parameters 5
struct xen_platform_parameters {
  xen_ulong_t virt_start; /* lowest hypervisor virtual address */
};                        /* 8 bytes (4 for a 32-bit guest) */

/* arg -> struct xen_feature_info: one 32-bit word of the XENFEAT_* map. */
#define XENVER_get_features 6
struct xen_feature_info {
  uint32_t submap_idx; /* IN: which word (bits 32*idx .. 32*idx+31) */
  uint32_t submap;     /* OUT */
};                     /* 8 bytes */

/* arg unused; returns the page size in bytes. */
#define XENVER_pagesize 7

/* arg -> uint8_t[XEN_DOMAIN_HANDLE_LEN]: the domain's handle (its UUID),
 * as set by the toolstack. */
#define XENVER_guest_handle 8
#define XEN_DOMAIN_HANDLE_LEN 16

/* arg -> char[XEN_COMMANDLINE_LEN]: the hypervisor's command line. */
#define XENVER_commandline 9
#define XEN_COMMANDLINE_LEN 1024

/* arg -> struct xen_build_id; returns the number of bytes written, or
 * with arg == NULL the size the build id needs. */
#define XENVER_build_id 10
struct xen_build_id {
  uint32_t len;        /* IN: size of buf */
  unsigned char buf[]; /* OUT */
};                     /* 4-byte header */

/* Xen 4.20 added non-truncating versions of 1, 3, 4 and 9: arg -> struct
 * xen_varbuf (the same layout as xen_build_id).  With arg == NULL they
 * return the size needed; otherwise the number of bytes written. */
#define XENVER_extraversion2 11
#define XENVER_capabilities2 12
#define XENVER_changeset2 13
#define XENVER_commandline2 14
struct xen_varbuf {
  uint32_t len;        /* IN: size of buf */
  unsigned char buf[]; /* OUT: not NUL-terminated */
};

/* ---- Feature bits reported by XENVER_get_features (word 0) ----
 * A guest also lists the ones it needs in XEN_ELFNOTE_FEATURES /
 * XEN_ELFNOTE_SUPPORTED_FEATURES. */
#define XENFEAT_writable_page_tables 0
#define XENFEAT_writable_descriptor_tables 1
#define XENFEAT_auto_translated_physmap 2 /* the hypervisor does p2m (PVH) */
#define XENFEAT_supervisor_mode_kernel 3  /* the guest kernel runs in ring 0 */
#define XENFEAT_pae_pgdir_above_4gb 4
#define XENFEAT_mmu_pt_update_preserve_ad 5
#define XENFEAT_highmem_assist 6
#define XENFEAT_gnttab_map_avail_bits 7
#define XENFEAT_hvm_callback_vector 8 /* HVM_PARAM_CALLBACK_TYPE_VECTOR works */
#define XENFEAT_hvm_safe_pvclock 9    /* vcpu_time_info is usable */
#define XENFEAT_hvm_pirqs 10
#define XENFEAT_dom0 11
/* 12 (grant_map_identity) is deprecated and must not be reused. */
#define XENFEAT_memory_op_vnode_supported 13
#define XENFEAT_ARM_SMCCC_supported 14
#define XENFEAT_linux_rsdp_unrestricted 15 /* RSDP may be above 1 MiB */
#define XENFEAT_not_direct_mapped 16
#define XENFEAT_direct_mapped 17
#define XENFEAT_runstate_phys_area 18  /* VCPUOP_register_runstate_phys_area */
#define XENFEAT_vcpu_time_phys_area 19 /* VCPUOP_register_vcpu_time_phys_area */
#define XENFEAT_dm_msix_all_writes 20
#define XENFEAT_NR_SUBMAPS 1

#endif
