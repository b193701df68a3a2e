/* domctl (hypercall 36): a control domain manages other domains.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/domctl.h, xen.h's xenctl_bitmap, arch-x86/xen.h's
 * xen_arch_domainconfig).  Only the commands mica answers have their
 * argument structures here; the union is padded to Xen's 128 bytes so the
 * whole structure has Xen's size.
 *
 * Call: domctl(&op).  The hypervisor reads op.cmd, op.interface_version
 * (a different version is -EACCES) and op.domain (an exact id: DOMID_SELF
 * is not accepted), and writes results back into op. */
#ifndef MICA_PUBLIC_DOMCTL_H
#define MICA_PUBLIC_DOMCTL_H

#include "xen.h"

/* The version of this interface in Xen 4.19; each Xen release may change
 * it.  Xen 4.17's (Debian 12's toolstack) is accepted too: of the
 * commands here only createdomain's structure differs between the two. */
#define XEN_DOMCTL_INTERFACE_VERSION 0x00000017
#define XEN_DOMCTL_INTERFACE_VERSION_4_17 0x00000015

/* An opaque handle a toolstack gives a domain (a UUID). */
typedef uint8_t xen_domain_handle_t[16];

/* A bitmap in guest memory (CPU masks): bit n is bit n % 8 of byte n / 8. */
struct xenctl_bitmap {
  XEN_GUEST_HANDLE(uint8_t) bitmap;
  uint32_t nr_bits; /* bits the caller's buffer holds */
};                  /* 16 bytes */

/* ---- Commands: those mica answers (every other is -ENOSYS) ---- */
#define XEN_DOMCTL_createdomain 1
#define XEN_DOMCTL_destroydomain 2
#define XEN_DOMCTL_pausedomain 3
#define XEN_DOMCTL_unpausedomain 4
#define XEN_DOMCTL_getdomaininfo 5
#define XEN_DOMCTL_setvcpuaffinity 9
#define XEN_DOMCTL_max_mem 11
#define XEN_DOMCTL_max_vcpus 15
#define XEN_DOMCTL_scheduler_op 16
#define XEN_DOMCTL_setdomainhandle 17
#define XEN_DOMCTL_getvcpuaffinity 25
#define XEN_DOMCTL_gethvmcontext 33
#define XEN_DOMCTL_sethvmcontext 34
#define XEN_DOMCTL_getvcpuinfo 14
#define XEN_DOMCTL_settimeoffset 24
#define XEN_DOMCTL_gettscinfo 59
#define XEN_DOMCTL_settscinfo 60
#define XEN_DOMCTL_setnodeaffinity 68
#define XEN_DOMCTL_getnodeaffinity 69
#define XEN_DOMCTL_get_cpu_policy 82
#define XEN_DOMCTL_set_cpu_policy 83
#define XEN_DOMCTL_get_paging_mempool_size 85
#define XEN_DOMCTL_set_paging_mempool_size 86

/* ---- XEN_DOMCTL_createdomain ----
 * op.domain: the id wanted (1..DOMID_FIRST_RESERVED-1; -EEXIST if taken),
 * or 0 or a reserved id for the next free one; the id made comes back in
 * op.domain.  The new domain is paused once by its controller (unpause it
 * when built) and has no memory (XEN_DOMCTL_max_mem, then
 * XENMEM_populate_physmap). */
#define XEN_DOMCTL_CDF_hvm (1U << 0)          /* an HVM (here: PVH) guest */
#define XEN_DOMCTL_CDF_hap (1U << 1)          /* hardware-assisted paging (EPT) */
#define XEN_DOMCTL_CDF_s3_integrity (1U << 2) /* tboot: refused */
#define XEN_DOMCTL_CDF_oos_off (1U << 3)      /* shadow paging only: ignored */
#define XEN_DOMCTL_CDF_xs_domain (1U << 4)    /* a xenstore domain */
#define XEN_DOMCTL_CDF_iommu (1U << 5)        /* no IOMMU here: refused */
#define XEN_DOMCTL_CDF_nested_virt (1U << 6)  /* refused */
#define XEN_DOMCTL_CDF_vpmu (1U << 7)         /* refused */

#define XEN_DOMCTL_IOMMU_no_sharept (1U << 0)
#define XEN_DOMCTL_GRANT_version_mask 0xfU /* grant_opts: the highest version */
#define XEN_DOMCTL_ALTP2M_mode_mask 0x3U   /* altp2m_opts */

/* What is emulated for the domain (arch.emulation_flags).  A PVH domU has
 * the local APIC only; an HVM guest with a device model has the others
 * (mica has no device model: refused, -EOPNOTSUPP as Xen without one). */
#define XEN_X86_EMU_LAPIC (1U << 0)
#define XEN_X86_EMU_HPET (1U << 1)
#define XEN_X86_EMU_PM (1U << 2)
#define XEN_X86_EMU_RTC (1U << 3)
#define XEN_X86_EMU_IOAPIC (1U << 4)
#define XEN_X86_EMU_PIC (1U << 5)
#define XEN_X86_EMU_VGA (1U << 6)
#define XEN_X86_EMU_IOMMU (1U << 7)
#define XEN_X86_EMU_PIT (1U << 8)
#define XEN_X86_EMU_USE_PIRQ (1U << 9)
#define XEN_X86_EMU_VPCI (1U << 10)
#define XEN_X86_EMU_ALL 0x7ffU
#define XEN_X86_MSR_RELAXED (1U << 0) /* arch.misc_flags */

/* The x86 part of a domain's configuration. */
struct xen_arch_domainconfig {
  uint32_t emulation_flags; /* XEN_X86_EMU_*: devices the hypervisor emulates */
  uint32_t misc_flags;      /* XEN_X86_MSR_RELAXED */
};                          /* 8 bytes */

/* Xen 4.19's layout (interface version 0x17). */
struct xen_domctl_createdomain {
  uint32_t ssidref;           /* XSM label: ignored (no XSM) */
  xen_domain_handle_t handle; /* the toolstack's UUID for it */
  uint32_t flags;             /* XEN_DOMCTL_CDF_*: hvm and hap for a PVH guest */
  uint32_t iommu_opts;        /* 0 (no IOMMU) */
  uint32_t max_vcpus;         /* 1..32 */
  uint32_t max_evtchn_port;   /* the highest port it may bind */
  int32_t max_grant_frames;   /* < 0: the default */
  int32_t max_maptrack_frames;
  uint32_t grant_opts;   /* XEN_DOMCTL_GRANT_version_mask: 1 (v2 is not offered) */
  uint32_t altp2m_opts;  /* 0 */
  uint32_t vmtrace_size; /* 0 (no Processor Trace) */
  uint32_t cpupool_id;   /* 0: the one pool */
  struct xen_arch_domainconfig arch;
}; /* 68 bytes */

/* Xen 4.17's (interface version 0x15): no altp2m_opts. */
struct xen_domctl_createdomain_4_17 {
  uint32_t ssidref;
  xen_domain_handle_t handle;
  uint32_t flags;
  uint32_t iommu_opts;
  uint32_t max_vcpus;
  uint32_t max_evtchn_port;
  int32_t max_grant_frames;
  int32_t max_maptrack_frames;
  uint32_t grant_opts;
  uint32_t vmtrace_size;
  uint32_t cpupool_id;
  struct xen_arch_domainconfig arch;
}; /* 64 bytes */

/* ---- XEN_DOMCTL_setdomainhandle ---- */
struct xen_domctl_setdomainhandle {
  xen_domain_handle_t handle;
}; /* 16 bytes */

/* ---- XEN_DOMCTL_gethvmcontext / sethvmcontext ----
 * The domain's saved state as a stream of records (public/hvm_save.h).
 * get with a null buffer: size OUT is the size needed; otherwise size IN
 * is the buffer's and OUT the bytes written.  set: size bytes IN. */
struct xen_domctl_hvmcontext {
  uint32_t size;
  uint32_t pad;
  uint64_t buffer; /* a guest virtual address, 64 bits for every caller */
};                 /* 16 bytes */

/* ---- XEN_DOMCTL_getdomaininfo ---- */
#define XEN_DOMINF_dying (1U << 0)     /* destroyed, waiting for the last references */
#define XEN_DOMINF_hvm_guest (1U << 1) /* HVM (PVH counts as HVM) */
#define XEN_DOMINF_shutdown (1U << 2)  /* the guest has shut down */
#define XEN_DOMINF_paused (1U << 3)    /* paused by its controller */
#define XEN_DOMINF_blocked (1U << 4)   /* every online vcpu waits for an event */
#define XEN_DOMINF_running (1U << 5)   /* some vcpu is on a CPU now */
#define XEN_DOMINF_debugged (1U << 6)
#define XEN_DOMINF_xs_domain (1U << 7) /* the xenstore domain */
#define XEN_DOMINF_hap (1U << 8)       /* hardware-assisted paging (EPT) */
/* Bits 16..23: the shutdown code (SHUTDOWN_*).  While no code is set,
 * Xen shifts its "no code" value (~0) in whole: bits 16..31 are all set
 * and the masked code reads 255. */
#define XEN_DOMINF_shutdownmask 255
#define XEN_DOMINF_shutdownshift 16

#define XEN_INVALID_MAX_VCPU_ID (~0U) /* max_vcpu_id of a domain with no vcpus */

struct xen_domctl_getdomaininfo {
  domid_t domain; /* also written to xen_domctl.domain */
  uint16_t pad1;
  uint32_t flags; /* XEN_DOMINF_* */
  uint64_t tot_pages;
  uint64_t max_pages;
  uint64_t outstanding_pages;
  uint64_t shr_pages;
  uint64_t paged_pages;
  uint64_t shared_info_frame; /* guest frame of shared_info (~0: not mapped) */
  uint64_t cpu_time;          /* ns the vcpus have run, summed */
  uint32_t nr_online_vcpus;
  uint32_t max_vcpu_id;
  uint32_t ssidref;
  xen_domain_handle_t handle;
  uint32_t cpupool;
  uint8_t gpaddr_bits; /* width of the guest-physical address space */
  uint8_t pad2[7];
  struct xen_arch_domainconfig arch_config;
}; /* 112 bytes */

/* ---- XEN_DOMCTL_setvcpuaffinity / getvcpuaffinity ---- */
#define XEN_VCPUAFFINITY_HARD (1U << 0)  /* the CPUs the vcpu may run on */
#define XEN_VCPUAFFINITY_SOFT (1U << 1)  /* the CPUs it prefers */
#define XEN_VCPUAFFINITY_FORCE (1U << 2) /* undo SCHEDOP_pin_override */

struct xen_domctl_vcpuaffinity {
  uint32_t vcpu;
  uint32_t flags; /* XEN_VCPUAFFINITY_*: which maps to set or get */
  /* set: IN the new mask, OUT (written into the caller's buffer) the
   * effective one; get: OUT the mask as set. */
  struct xenctl_bitmap cpumap_hard;
  struct xenctl_bitmap cpumap_soft;
}; /* 40 bytes */

/* ---- XEN_DOMCTL_max_mem ---- */
struct xen_domctl_max_mem {
  uint64_t max_memkb; /* the most memory the domain may have, in KiB */
};                    /* 8 bytes */

/* ---- XEN_DOMCTL_max_vcpus ---- */
struct xen_domctl_max_vcpus {
  uint32_t max; /* must equal the count the domain was created with */
};              /* 4 bytes */

/* ---- XEN_DOMCTL_scheduler_op ---- */
#define XEN_SCHEDULER_CREDIT 5
#define XEN_SCHEDULER_CREDIT2 6
#define XEN_SCHEDULER_ARINC653 7
#define XEN_SCHEDULER_RTDS 8
#define XEN_SCHEDULER_NULL 9

#define XEN_DOMCTL_SCHEDOP_putinfo 0
#define XEN_DOMCTL_SCHEDOP_getinfo 1
#define XEN_DOMCTL_SCHEDOP_putvcpuinfo 2
#define XEN_DOMCTL_SCHEDOP_getvcpuinfo 3

/* The credit scheduler's parameters.  putinfo leaves weight alone when it
 * is 0 and cap alone when it is 0xffff. */
struct xen_domctl_sched_credit {
  uint16_t weight; /* relative share of the CPU */
  uint16_t cap;    /* percent of one CPU at most; 0: no cap */
};                 /* 4 bytes */

struct xen_domctl_scheduler_op {
  uint32_t sched_id; /* XEN_SCHEDULER_*: must be the domain's scheduler */
  uint32_t cmd;      /* XEN_DOMCTL_SCHEDOP_* */
  union {
    struct xen_domctl_sched_credit credit;
    struct {
      XEN_GUEST_HANDLE(xen_domctl_schedparam_vcpu_t) vcpus;
      uint32_t nr_vcpus;
      uint32_t padding;
    } v; /* put/getvcpuinfo, for schedulers with per-vcpu parameters */
  } u;
}; /* 24 bytes */

/* ---- XEN_DOMCTL_getvcpuinfo ---- */
struct xen_domctl_getvcpuinfo {
  uint32_t vcpu;   /* IN */
  uint8_t online;  /* OUT: started */
  uint8_t blocked; /* OUT: waiting for an event */
  uint8_t running; /* OUT: on a CPU now */
  uint8_t pad;
  uint64_t cpu_time; /* OUT: ns it has run */
  uint32_t cpu;      /* OUT: the CPU it runs or last ran on */
  uint32_t pad2;
}; /* 24 bytes */

/* ---- XEN_DOMCTL_settimeoffset: the emulated RTC's offset ---- */
struct xen_domctl_settimeoffset {
  int64_t time_offset_seconds;
}; /* 8 bytes */

/* ---- XEN_DOMCTL_settscinfo / gettscinfo ---- */
#define XEN_TSC_MODE_DEFAULT 0
#define XEN_TSC_MODE_ALWAYS_EMULATE 1
#define XEN_TSC_MODE_NEVER_EMULATE 2
struct xen_domctl_tsc_info {
  uint32_t tsc_mode; /* XEN_TSC_MODE_* */
  uint32_t gtsc_khz; /* the guest's TSC rate; 0: the host's */
  uint32_t incarnation;
  uint32_t pad;
  uint64_t elapsed_nsec;
}; /* 24 bytes */

/* ---- XEN_DOMCTL_setnodeaffinity / getnodeaffinity ---- */
struct xen_domctl_nodeaffinity {
  struct xenctl_bitmap nodemap; /* bit n: NUMA node n */
};                              /* 16 bytes */

/* ---- XEN_DOMCTL_get_cpu_policy / set_cpu_policy ---- */
struct xen_domctl_cpu_policy {
  uint32_t nr_leaves; /* IN: entries in leaves (get: room; OUT written) */
  uint32_t nr_msrs;
  XEN_GUEST_HANDLE(struct xen_cpuid_leaf) leaves;
  XEN_GUEST_HANDLE(struct xen_msr_entry) msrs;
  uint32_t err_leaf, err_subleaf, err_msr; /* OUT (set): what was refused */
};                                         /* 40 bytes */

/* ---- XEN_DOMCTL_get/set_paging_mempool_size: the p2m's pool ---- */
struct xen_domctl_paging_mempool {
  uint64_t size; /* bytes, a multiple of the page size */
};               /* 8 bytes */

/* ---- The argument of every command ---- */
struct xen_domctl {
  uint32_t cmd;               /* XEN_DOMCTL_* */
  uint32_t interface_version; /* XEN_DOMCTL_INTERFACE_VERSION */
  domid_t domain;             /* the domain it acts on */
  uint16_t pad[3];
  union {
    struct xen_domctl_getdomaininfo getdomaininfo;
    struct xen_domctl_vcpuaffinity vcpuaffinity;
    struct xen_domctl_max_mem max_mem;
    struct xen_domctl_max_vcpus max_vcpus;
    struct xen_domctl_scheduler_op scheduler_op;
    struct xen_domctl_createdomain createdomain;
    struct xen_domctl_createdomain_4_17 createdomain_4_17;
    struct xen_domctl_setdomainhandle setdomainhandle;
    struct xen_domctl_hvmcontext hvmcontext;
    struct xen_domctl_getvcpuinfo getvcpuinfo;
    struct xen_domctl_settimeoffset settimeoffset;
    struct xen_domctl_tsc_info tsc_info;
    struct xen_domctl_nodeaffinity nodeaffinity;
    struct xen_domctl_cpu_policy cpu_policy;
    struct xen_domctl_paging_mempool paging_mempool;
    uint8_t pad[128];
  } u; /* at offset 16 */
};     /* 144 bytes */

#endif
