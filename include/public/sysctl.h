/* sysctl (hypercall 35): a control domain asks about the whole machine.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/sysctl.h).  Only the commands mica answers have
 * their argument structures here; the union is padded to Xen's 128 bytes.
 *
 * Call: sysctl(&op).  A different op.interface_version is -EACCES. */
#ifndef MICA_PUBLIC_SYSCTL_H
#define MICA_PUBLIC_SYSCTL_H

#include "domctl.h"
#include "xen.h"

#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015

/* ---- Commands mica answers (every other one is -ENOSYS) ---- */
#define XEN_SYSCTL_readconsole 1
#define XEN_SYSCTL_physinfo 3
#define XEN_SYSCTL_sched_id 4
#define XEN_SYSCTL_getdomaininfolist 6

/* ---- XEN_SYSCTL_readconsole: the hypervisor's log ----
 * Positions count bytes ever logged, modulo 2^32.  Reading starts at the
 * oldest byte not cleared, or at index when incremental is set and index
 * lies after that and no later than the newest byte. */
struct xen_sysctl_readconsole {
  uint8_t clear;       /* IN: forget what was read, so the next read starts after it */
  uint8_t incremental; /* IN: start at index */
  uint8_t pad0, pad1;
  uint32_t index;                /* IN: where to start; OUT: where reading stopped */
  XEN_GUEST_HANDLE(char) buffer; /* IN: where the text goes */
  uint32_t count;                /* IN: buffer size; OUT: bytes written */
};                               /* 24 bytes */

/* ---- XEN_SYSCTL_physinfo ---- */
#define XEN_SYSCTL_PHYSCAP_hvm (1U << 0)      /* HVM (and PVH) guests can run */
#define XEN_SYSCTL_PHYSCAP_pv (1U << 1)       /* PV guests can run */
#define XEN_SYSCTL_PHYSCAP_directio (1U << 2) /* devices can be passed through (IOMMU) */
#define XEN_SYSCTL_PHYSCAP_hap (1U << 3)      /* hardware-assisted paging */
#define XEN_SYSCTL_PHYSCAP_shadow (1U << 4)   /* shadow paging */
#define XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share (1U << 5)
#define XEN_SYSCTL_PHYSCAP_vmtrace (1U << 6)
#define XEN_SYSCTL_PHYSCAP_vpmu (1U << 7)
#define XEN_SYSCTL_PHYSCAP_gnttab_v1 (1U << 8) /* grant tables version 1 */
#define XEN_SYSCTL_PHYSCAP_gnttab_v2 (1U << 9)

struct xen_sysctl_physinfo {
  uint32_t threads_per_core;
  uint32_t cores_per_socket;
  uint32_t nr_cpus;    /* CPUs online */
  uint32_t max_cpu_id; /* highest CPU number there could be */
  uint32_t nr_nodes;   /* NUMA nodes online */
  uint32_t max_node_id;
  uint32_t cpu_khz;
  uint32_t capabilities;      /* XEN_SYSCTL_PHYSCAP_* */
  uint32_t arch_capabilities; /* none defined for x86 */
  uint32_t pad;
  uint64_t total_pages; /* RAM pages the hypervisor manages */
  uint64_t free_pages;
  uint64_t scrub_pages;
  uint64_t outstanding_pages;
  uint64_t max_mfn; /* highest machine frame there could be */
  uint32_t hw_cap[8];
}; /* 112 bytes */

/* ---- XEN_SYSCTL_sched_id ---- */
struct xen_sysctl_sched_id {
  uint32_t sched_id; /* OUT: XEN_SCHEDULER_* */
};                   /* 4 bytes */

/* ---- XEN_SYSCTL_getdomaininfolist ----
 * The domains with ids from first_domain up, in id order, at most
 * max_domains of them, one xen_domctl_getdomaininfo each. */
struct xen_sysctl_getdomaininfolist {
  domid_t first_domain;
  uint32_t max_domains;
  XEN_GUEST_HANDLE(struct xen_domctl_getdomaininfo) buffer;
  uint32_t num_domains; /* OUT */
};                      /* 24 bytes */

/* ---- The argument of every command ---- */
struct xen_sysctl {
  uint32_t cmd;               /* XEN_SYSCTL_* */
  uint32_t interface_version; /* XEN_SYSCTL_INTERFACE_VERSION */
  union {
    struct xen_sysctl_readconsole readconsole;
    struct xen_sysctl_physinfo physinfo;
    struct xen_sysctl_sched_id sched_id;
    struct xen_sysctl_getdomaininfolist getdomaininfolist;
    uint8_t pad[128];
  } u; /* at offset 8 */
};     /* 136 bytes */

#endif
