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
#define XEN_SYSCTL_cputopoinfo 16
#define XEN_SYSCTL_numainfo 17
#define XEN_SYSCTL_cpupool_op 18
#define XEN_SYSCTL_get_cpu_featureset 26
#define XEN_SYSCTL_get_cpu_policy 29

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

/* ---- XEN_SYSCTL_cputopoinfo: each CPU's core, socket and node ----
 * With a NULL cputopo, num_cpus comes back as the number of CPU slots;
 * else at most num_cpus entries are written and num_cpus says how many. */
#define XEN_INVALID_CORE_ID (~0U)
#define XEN_INVALID_SOCKET_ID (~0U)
#define XEN_INVALID_NODE_ID (~0U)
struct xen_sysctl_cputopo {
  uint32_t core;
  uint32_t socket;
  uint32_t node;
}; /* 12 bytes */
struct xen_sysctl_cputopoinfo {
  uint32_t num_cpus;
  XEN_GUEST_HANDLE(struct xen_sysctl_cputopo) cputopo;
}; /* 16 bytes */

/* ---- XEN_SYSCTL_numainfo: each node's memory and the distances ----
 * As cputopoinfo: NULL handles ask for the number of nodes. */
#define XEN_INVALID_MEM_SZ (~0ULL)
#define XEN_INVALID_NODE_DIST (~0U)
struct xen_sysctl_meminfo {
  uint64_t memsize; /* bytes */
  uint64_t memfree;
}; /* 16 bytes */
struct xen_sysctl_numainfo {
  uint32_t num_nodes;
  XEN_GUEST_HANDLE(struct xen_sysctl_meminfo) meminfo;
  XEN_GUEST_HANDLE(uint32_t) distance; /* num_nodes x num_nodes */
};                                     /* 24 bytes */

/* ---- XEN_SYSCTL_cpupool_op: CPU pools (mica has one, pool 0) ---- */
#define XEN_SYSCTL_CPUPOOL_OP_CREATE 1
#define XEN_SYSCTL_CPUPOOL_OP_DESTROY 2
#define XEN_SYSCTL_CPUPOOL_OP_INFO 3 /* the first pool with id >= cpupool_id */
#define XEN_SYSCTL_CPUPOOL_OP_ADDCPU 4
#define XEN_SYSCTL_CPUPOOL_OP_RMCPU 5
#define XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN 6
#define XEN_SYSCTL_CPUPOOL_OP_FREEINFO 7 /* the CPUs in no pool */
#define XEN_SYSCTL_CPUPOOL_PAR_ANY 0xFFFFFFFFU
struct xen_sysctl_cpupool_op {
  uint32_t op;
  uint32_t cpupool_id;         /* IN and OUT (INFO) */
  uint32_t sched_id;           /* OUT (INFO): XEN_SCHEDULER_* */
  uint32_t domid;              /* IN (MOVEDOMAIN) */
  uint32_t cpu;                /* IN (ADDCPU, RMCPU) */
  uint32_t n_dom;              /* OUT (INFO): domains in the pool */
  struct xenctl_bitmap cpumap; /* OUT (INFO, FREEINFO) */
};                             /* 40 bytes */

/* ---- XEN_SYSCTL_get_cpu_featureset: Xen's CPUID feature words ----
 * A NULL features handle asks how many words there are; a smaller
 * buffer gets what fits and -ENOBUFS. */
#define XEN_SYSCTL_cpu_featureset_raw 0
#define XEN_SYSCTL_cpu_featureset_host 1
#define XEN_SYSCTL_cpu_featureset_pv 2
#define XEN_SYSCTL_cpu_featureset_hvm 3
#define XEN_SYSCTL_cpu_featureset_pv_max 4
#define XEN_SYSCTL_cpu_featureset_hvm_max 5
struct xen_sysctl_cpu_featureset {
  uint32_t index;       /* XEN_SYSCTL_cpu_featureset_* */
  uint32_t nr_features; /* IN: words the buffer holds; OUT: words written */
  XEN_GUEST_HANDLE(uint32_t) features;
}; /* 16 bytes */

/* ---- XEN_SYSCTL_get_cpu_policy: a CPUID policy, serialised ----
 * NULL handles ask for the most entries there can be. */
#define XEN_SYSCTL_cpu_policy_raw 0
#define XEN_SYSCTL_cpu_policy_host 1
#define XEN_SYSCTL_cpu_policy_pv_max 2
#define XEN_SYSCTL_cpu_policy_hvm_max 3
#define XEN_SYSCTL_cpu_policy_pv_default 4
#define XEN_SYSCTL_cpu_policy_hvm_default 5
#define XEN_CPUID_NO_SUBLEAF 0xffffffffU
struct xen_cpuid_leaf {
  uint32_t leaf, subleaf; /* subleaf XEN_CPUID_NO_SUBLEAF: not indexed */
  uint32_t a, b, c, d;
}; /* 24 bytes */
struct xen_msr_entry {
  uint32_t idx;
  uint32_t flags; /* 0 */
  uint64_t val;
}; /* 16 bytes */
struct xen_sysctl_cpu_policy {
  uint32_t index;     /* XEN_SYSCTL_cpu_policy_* */
  uint32_t nr_leaves; /* IN: room; OUT: entries written */
  uint32_t nr_msrs;   /* IN: room; OUT: entries written */
  uint32_t _rsvd;     /* 0 */
  XEN_GUEST_HANDLE(struct xen_cpuid_leaf) leaves;
  XEN_GUEST_HANDLE(struct xen_msr_entry) msrs;
}; /* 32 bytes */

/* ---- The argument of every command ---- */
struct xen_sysctl {
  uint32_t cmd;               /* XEN_SYSCTL_* */
  uint32_t interface_version; /* XEN_SYSCTL_INTERFACE_VERSION */
  union {
    struct xen_sysctl_readconsole readconsole;
    struct xen_sysctl_physinfo physinfo;
    struct xen_sysctl_sched_id sched_id;
    struct xen_sysctl_getdomaininfolist getdomaininfolist;
    struct xen_sysctl_cputopoinfo cputopoinfo;
    struct xen_sysctl_numainfo numainfo;
    struct xen_sysctl_cpupool_op cpupool_op;
    struct xen_sysctl_cpu_featureset cpu_featureset;
    struct xen_sysctl_cpu_policy cpu_policy;
    uint8_t pad[128];
  } u; /* at offset 8 */
};     /* 136 bytes */

#endif
