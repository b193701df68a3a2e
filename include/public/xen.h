/* The core of the guest ABI: hypercall vectors, domain ids, the shared_info
 * and vcpu_info pages, VIRQs and the ELF notes a guest kernel carries.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/xen.h, arch-x86/xen.h, arch-x86/xen-x86_64.h,
 * elfnote.h, xen-compat.h, arch-x86/xen-x86_32.h).  The x86_64 layout is
 * described; where a 32-bit guest sees a different layout, the field's
 * comment says so, and vcpu_info and shared_info have theirs written out
 * too (struct compat_vcpu_info, compat_shared_info).
 *
 * Every header in include/public/ builds freestanding (only <stdint.h> and
 * <stddef.h>) and on the host, and includes nothing from include/hv/. */
#ifndef MICA_PUBLIC_XEN_H
#define MICA_PUBLIC_XEN_H

#include <stddef.h>
#include <stdint.h>

/* The interface version Xen 4.19 declares as its latest.  (Xen 4.14 to
 * 4.18 still declared 0x00040e00; 4.19 moved it to 0x00041300.) */
#define __XEN_LATEST_INTERFACE_VERSION__ 0x00041300

/* ---- Scalar ABI types ---- */

/* A guest's "unsigned long": 64 bits here, 32 bits for a 32-bit guest. */
typedef unsigned long xen_ulong_t;
/* A guest frame number, the width of a guest long. */
typedef unsigned long xen_pfn_t;
/* A domain id; values from DOMID_FIRST_RESERVED up have special meanings. */
typedef uint16_t domid_t;

/* A guest handle is a pointer into the guest's own (virtual) address
 * space, carried in an argument structure.  On x86_64 it is a plain 64-bit
 * guest virtual address, so a handle field is just a uint64_t; the type
 * argument only documents what it points at.  A 32-bit guest's handles
 * are 32 bits wide (Xen's are pointers): compiled for i386 (a 32-bit
 * guest, or the layout test test/unit/compat_layout.sh), these headers
 * describe the x86_32 layouts.  The hypervisor never dereferences one: it
 * goes through copy_from_guest/copy_to_guest. */
#ifdef __i386__
#define XEN_GUEST_HANDLE(type) uint32_t
#else
#define XEN_GUEST_HANDLE(type) uint64_t
#endif

/* ---- Hypercall vectors ----
 * A guest calls vector N through its hypercall page (N * 32 bytes in), or
 * with VMCALL and RAX = N.  11 and 43..47 are not assigned. */
#define __HYPERVISOR_set_trap_table 0
#define __HYPERVISOR_mmu_update 1
#define __HYPERVISOR_set_gdt 2
#define __HYPERVISOR_stack_switch 3
#define __HYPERVISOR_set_callbacks 4
#define __HYPERVISOR_fpu_taskswitch 5
#define __HYPERVISOR_sched_op_compat 6 /* superseded by sched_op (29) */
#define __HYPERVISOR_platform_op 7
#define __HYPERVISOR_set_debugreg 8
#define __HYPERVISOR_get_debugreg 9
#define __HYPERVISOR_update_descriptor 10
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_update_va_mapping 14
#define __HYPERVISOR_set_timer_op 15
#define __HYPERVISOR_event_channel_op_compat 16 /* superseded by 32 */
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_physdev_op_compat 19 /* superseded by 33 */
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vm_assist 21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret 23 /* x86 PV only */
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_set_segment_base 25 /* x86_64 PV only */
#define __HYPERVISOR_mmuext_op 26
#define __HYPERVISOR_xsm_op 27
#define __HYPERVISOR_nmi_op 28
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_callback_op 30
#define __HYPERVISOR_xenoprof_op 31 /* removed from Xen in 4.22 */
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_physdev_op 33
#define __HYPERVISOR_hvm_op 34
#define __HYPERVISOR_sysctl 35
#define __HYPERVISOR_domctl 36
#define __HYPERVISOR_kexec_op 37
#define __HYPERVISOR_tmem_op 38 /* tmem itself is gone; the slot stays */
#define __HYPERVISOR_argo_op 39
#define __HYPERVISOR_xenpmu_op 40
#define __HYPERVISOR_dm_op 41
#define __HYPERVISOR_hypfs_op 42

/* 48..55 are left to each architecture.  x86 gives arch_0 to the machine
 * check interface (__HYPERVISOR_mca); Xen uses arch_1 internally for a
 * paging domctl continuation, which is not a guest-callable operation. */
#define __HYPERVISOR_arch_0 48
#define __HYPERVISOR_arch_1 49
#define __HYPERVISOR_arch_2 50
#define __HYPERVISOR_arch_3 51
#define __HYPERVISOR_arch_4 52
#define __HYPERVISOR_arch_5 53
#define __HYPERVISOR_arch_6 54
#define __HYPERVISOR_arch_7 55
#define __HYPERVISOR_mca __HYPERVISOR_arch_0

/* ---- console_io (vector 18): console_io(cmd, count, buffer) ---- */
#define CONSOLEIO_write 0
#define CONSOLEIO_read 1

/* ---- vm_assist (vector 21): vm_assist(cmd, type) ---- */
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_4gb_segments 0        /* 32-bit PV only */
#define VMASST_TYPE_4gb_segments_notify 1 /* 32-bit PV only */
#define VMASST_TYPE_writable_pagetables 2
#define VMASST_TYPE_pae_extended_cr3 3
#define VMASST_TYPE_architectural_iopl 4
/* Set bit 63 of vcpu_runstate_info.state_entry_time while updating it. */
#define VMASST_TYPE_runstate_update_flag 5
#define VMASST_TYPE_m2p_strict 32

/* ---- Domain ids ---- */
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF 0x7FF0U    /* "the calling domain" */
#define DOMID_IO 0x7FF1U      /* owner of I/O memory and unowned frames */
#define DOMID_XEN 0x7FF2U     /* the hypervisor itself */
#define DOMID_COW 0x7FF3U     /* owner of shared copy-on-write frames */
#define DOMID_INVALID 0x7FF4U /* owner unknown */
#define DOMID_IDLE 0x7FFFU
#define DOMID_MASK 0x7FFFU

/* ---- Virtual IRQs, bound with EVTCHNOP_bind_virq ----
 * "Per-vcpu" VIRQs are bound once on each vcpu; the others are global and
 * are first bound on vcpu 0. */
#define VIRQ_TIMER 0      /* per-vcpu: timer expired */
#define VIRQ_DEBUG 1      /* per-vcpu: dump debug state */
#define VIRQ_CONSOLE 2    /* global: input on the hypervisor console */
#define VIRQ_DOM_EXC 3    /* global: some domain needs attention */
#define VIRQ_TBUF 4       /* global: trace records ready */
#define VIRQ_DEBUGGER 6   /* global: a domain paused for a debugger */
#define VIRQ_XENOPROF 7   /* per-vcpu: profiling sample */
#define VIRQ_CON_RING 8   /* global: hypervisor log ring has new bytes */
#define VIRQ_PCPU_STATE 9 /* global: a physical CPU changed state */
#define VIRQ_MEM_EVENT 10 /* global: memory event */
#define VIRQ_ARGO 11      /* Argo message arrived */
#define VIRQ_ENOMEM 12    /* global: hypervisor heap is low */
#define VIRQ_XENPMU 13    /* per-vcpu: PMU interrupt */
#define VIRQ_ARCH_0 16    /* 16..23: architecture-specific */
#define VIRQ_ARCH_1 17
#define VIRQ_ARCH_2 18
#define VIRQ_ARCH_3 19
#define VIRQ_ARCH_4 20
#define VIRQ_ARCH_5 21
#define VIRQ_ARCH_6 22
#define VIRQ_ARCH_7 23
#define NR_VIRQS 24

/* ---- multicall (vector 13): an array of these, run in order ---- */
struct multicall_entry {
  xen_ulong_t op;      /* hypercall vector */
  xen_ulong_t result;  /* OUT: its return value */
  xen_ulong_t args[6]; /* only the first five are ever passed on */
};                     /* 64 bytes (32 for a 32-bit guest) */

/* ---- Time: one of these per vcpu, inside vcpu_info ----
 * The hypervisor makes version odd, updates the rest, then makes it even
 * again; a reader retries while version is odd or changed under it.
 *   now_ns = system_time +
 *            ((((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32)
 * (a negative tsc_shift shifts right). */
struct vcpu_time_info {
  uint32_t version;
  uint32_t pad0;
  uint64_t tsc_timestamp;     /* TSC when the fields were last written */
  uint64_t system_time;       /* ns since the domain's time base */
  uint32_t tsc_to_system_mul; /* 32.32 fixed-point ns per (shifted) tick */
  int8_t tsc_shift;
  uint8_t flags; /* XEN_PVCLOCK_* */
  uint8_t pad1[2];
}; /* 32 bytes, every guest */

#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0) /* TSC is the same on all vcpus */
#define XEN_PVCLOCK_GUEST_STOPPED (1 << 1)

/* ---- vcpu_info: per-vcpu event and time state ----
 * The first MAX_VIRT_CPUS live in shared_info; VCPUOP_register_vcpu_info
 * moves one into a page of the guest's choosing. */
struct arch_vcpu_info {
  unsigned long cr2;
#ifdef __i386__
  unsigned long pad[5]; /* 24 bytes for a 32-bit guest: vcpu_info stays 64 */
#else
  unsigned long pad;
#endif
};

struct vcpu_info {
  /* Set by the hypervisor when an event is pending for this vcpu; the
   * guest clears it before scanning evtchn_pending_sel. */
  uint8_t evtchn_upcall_pending;
  /* Set by the guest to hold off upcalls (its "interrupts off"). */
  uint8_t evtchn_upcall_mask;
  /* One bit per word of shared_info.evtchn_pending that may have news.
   * At offset 8 here; at offset 4, and 32 bits wide, for a 32-bit guest. */
  xen_ulong_t evtchn_pending_sel;
  struct arch_vcpu_info arch;
  struct vcpu_time_info time; /* at offset 32 for every guest */
};                            /* 64 bytes, every guest */

/* ---- shared_info: the page a guest maps with XENMAPSPACE_shared_info ---- */

/* vcpu_info slots in shared_info (later vcpus must register their own). */
#define XEN_LEGACY_MAX_VCPUS 32
#define MAX_VIRT_CPUS XEN_LEGACY_MAX_VCPUS

struct arch_shared_info {
  /* PV guests' physical-to-machine table description; unused by PVH. */
  unsigned long max_pfn;
  xen_pfn_t pfn_to_mfn_frame_list_list;
  unsigned long nmi_reason;
  unsigned long p2m_cr3;
  unsigned long p2m_vaddr;
  unsigned long p2m_generation;
#ifdef __i386__
  unsigned long wc_sec_hi; /* a 32-bit guest's, after p2m_generation */
#endif
};

struct shared_info {
  struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
  /* 2-level event channels: bit p of evtchn_pending is port p's pending
   * flag, the same bit of evtchn_mask its mask.  64 words of 64 bits
   * here; 32 words of 32 bits for a 32-bit guest. */
  xen_ulong_t evtchn_pending[sizeof(xen_ulong_t) * 8];
  xen_ulong_t evtchn_mask[sizeof(xen_ulong_t) * 8];
  /* Wall-clock time of the domain's system-time zero, versioned like
   * vcpu_time_info.  Seconds are wc_sec_hi:wc_sec. */
  uint32_t wc_version;
  uint32_t wc_sec;
  uint32_t wc_nsec;
#ifndef __i386__
  uint32_t wc_sec_hi; /* 64-bit guests; a 32-bit guest's is in arch */
#endif
  struct arch_shared_info arch;
};

/* ---- The x86_32 layouts ----
 * What a guest whose shared info is latched 32-bit sees (Xen latches it
 * from the mode of the vcpu that fills its hypercall page or sets
 * HVM_PARAM_CALLBACK_IRQ).  The fields are those above, with 32-bit
 * words: the selector at offset 4, 32 words of 32 pending and mask bits
 * (1,024 ports), the wall clock right after them.  Fixed-width types, so
 * every compiler lays them out alike (a 32-bit guest's own struct
 * vcpu_info and shared_info, above, are these). */
struct compat_arch_vcpu_info {
  uint32_t cr2;
  uint32_t pad[5];
}; /* 24 bytes */

struct compat_vcpu_info {
  uint8_t evtchn_upcall_pending; /* as in struct vcpu_info */
  uint8_t evtchn_upcall_mask;
  uint8_t pad0[2];
  uint32_t evtchn_pending_sel; /* one bit per 32-bit word of evtchn_pending */
  struct compat_arch_vcpu_info arch;
  struct vcpu_time_info time; /* at offset 32, as for every guest */
};                            /* 64 bytes */

struct compat_arch_shared_info {
  uint32_t max_pfn;
  uint32_t pfn_to_mfn_frame_list_list;
  uint32_t nmi_reason;
  uint32_t p2m_cr3;
  uint32_t p2m_vaddr;
  uint32_t p2m_generation;
  uint32_t wc_sec_hi; /* no room for it beside wc_nsec in this layout */
};

struct compat_shared_info {
  struct compat_vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
  uint32_t evtchn_pending[32]; /* at offset 2048, as in struct shared_info */
  uint32_t evtchn_mask[32];
  uint32_t wc_version;
  uint32_t wc_sec;
  uint32_t wc_nsec;
  struct compat_arch_shared_info arch;
};

/* ---- Start-of-day flags (hvm_start_info.flags, start_info.flags) ---- */
#define SIF_PRIVILEGED (1 << 0)      /* the domain is privileged */
#define SIF_INITDOMAIN (1 << 1)      /* the domain is the initial domain */
#define SIF_MULTIBOOT_MOD (1 << 2)   /* the module is a multiboot module */
#define SIF_MOD_START_PFN (1 << 3)   /* PV: mod_start is a frame number */
#define SIF_VIRT_P2M_4TOOLS (1 << 4) /* PV: tools understand a virtual p2m */
#define SIF_PM_MASK (0xFF << 8)      /* reserved for power management */

/* ---- ELF notes: type numbers of the "Xen" notes in a guest kernel ---- */
#define XEN_ELFNOTE_INFO 0
#define XEN_ELFNOTE_ENTRY 1          /* PV entry point (virtual) */
#define XEN_ELFNOTE_HYPERCALL_PAGE 2 /* where to write the hypercall page */
#define XEN_ELFNOTE_VIRT_BASE 3
#define XEN_ELFNOTE_PADDR_OFFSET 4
#define XEN_ELFNOTE_XEN_VERSION 5
#define XEN_ELFNOTE_GUEST_OS 6 /* string, e.g. "linux" */
#define XEN_ELFNOTE_GUEST_VERSION 7
#define XEN_ELFNOTE_LOADER 8
#define XEN_ELFNOTE_PAE_MODE 9
#define XEN_ELFNOTE_FEATURES 10 /* string of XENFEAT names, '|'-separated */
#define XEN_ELFNOTE_BSD_SYMTAB 11
#define XEN_ELFNOTE_HV_START_LOW 12
#define XEN_ELFNOTE_L1_MFN_VALID 13
#define XEN_ELFNOTE_SUSPEND_CANCEL 14
#define XEN_ELFNOTE_INIT_P2M 15
#define XEN_ELFNOTE_MOD_START_PFN 16
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17 /* 32-bit bitmap of XENFEAT_* */
/* PVH: 32-bit physical entry point, entered in 32-bit protected mode with
 * paging off and EBX = physical address of struct hvm_start_info. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
/* PVH: the kernel may be loaded elsewhere; up to three 32-bit values
 * (alignment, lowest start, highest end).  New in Xen 4.19. */
#define XEN_ELFNOTE_PHYS32_RELOC 19
#define XEN_ELFNOTE_MAX XEN_ELFNOTE_PHYS32_RELOC /* was 18 before 4.19 */

#endif
