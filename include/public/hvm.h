/* hvm_op (hypercall 34) and the PVH start of day: HVM parameters, the
 * event-channel callback, per-vcpu upcall vectors and struct
 * hvm_start_info.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/hvm/hvm_op.h, hvm/params.h,
 * arch-x86/hvm/start_info.h).
 *
 * Call: hvm_op(cmd, arg). */
#ifndef MICA_PUBLIC_HVM_H
#define MICA_PUBLIC_HVM_H

#include "xen.h"

/* ---- Sub-operations ---- */
#define HVMOP_set_param 0 /* arg -> struct xen_hvm_param */
#define HVMOP_get_param 1 /* arg -> struct xen_hvm_param */
/* 2..4 (PCI INTx / ISA IRQ level, PCI link route) left hvm_op for dm_op
 * in interface 0x00040900. */
#define HVMOP_set_pci_intx_level 2
#define HVMOP_set_isa_irq_level 3
#define HVMOP_set_pci_link_route 4
#define HVMOP_flush_tlbs 5      /* arg must be NULL */
#define HVMOP_pagetable_dying 9 /* arg -> struct xen_hvm_pagetable_dying */
#define HVMOP_get_time 10       /* arg -> struct xen_hvm_get_time */
#define HVMOP_xentrace 11
#define HVMOP_set_mem_access 12 /* toolstack only, deprecated */
#define HVMOP_get_mem_access 13 /* toolstack only, deprecated */
#define HVMOP_get_mem_type 15
#define HVMOP_set_evtchn_upcall_vector 23 /* arg -> struct xen_hvm_evtchn_upcall_vector */
#define HVMOP_guest_request_vm_event 24
#define HVMOP_altp2m 25

/* HVMOP_set_param / HVMOP_get_param. */
struct xen_hvm_param {
  domid_t domid; /* DOMID_SELF for the caller */
  uint16_t pad;
  uint32_t index; /* HVM_PARAM_* */
  uint64_t value;
}; /* 16 bytes, every guest */

/* HVMOP_set_evtchn_upcall_vector: deliver vcpu's event upcalls as this
 * vector, in preference to the domain-wide HVM_PARAM_CALLBACK_IRQ.  Unlike
 * the callback vector it is raised through the virtual LAPIC, so the
 * guest's handler EOIs it.  Vectors below 0x10 are refused (-EINVAL), an
 * unknown vcpu gets -ENOENT. */
struct xen_hvm_evtchn_upcall_vector {
  uint32_t vcpu;
  uint8_t vector; /* 0x10..0xff */
};                /* 8 bytes */

struct xen_hvm_get_time {
  uint64_t now; /* OUT: system time in ns */
};              /* 8 bytes */

struct xen_hvm_pagetable_dying {
  domid_t domid;
  uint16_t pad[3];
  uint64_t gpa; /* top-level page table about to be freed */
};              /* 16 bytes */

/* ---- HVM parameters (xen_hvm_param.index) ---- */

/* How event-channel upcalls are delivered (a GSI or PCI INTx reaches
 * vcpu 0 only; a vector reaches every vcpu).  0 = not at all; otherwise
 * bits 63..56 hold the type and the rest its argument. */
#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_PARAM_CALLBACK_TYPE_SHIFT 56 /* Linux: HVM_CALLBACK_VIA_TYPE_SHIFT */
#define HVM_PARAM_CALLBACK_IRQ_TYPE_MASK 0xFF00000000000000ULL
#define HVM_PARAM_CALLBACK_TYPE_GSI 0 /* bits 55..0: a GSI other than 0 */
/* Bits 47..32 PCI segment, 31..16 bus, 15..8 devfn, 1..0 INTx pin. */
#define HVM_PARAM_CALLBACK_TYPE_PCI_INTX 1
/* Bits 7..0: an IDT vector.  Xen injects it directly, not through the
 * virtual LAPIC (so the guest sends no EOI), on any vcpu whose
 * evtchn_upcall_pending is set; it is offered when XENFEAT_hvm_callback_vector
 * is reported. */
#define HVM_PARAM_CALLBACK_TYPE_VECTOR 2
/* The value a guest writes to take its upcalls on vector v. */
#define HVM_PARAM_CALLBACK_VECTOR(v)                                                               \
  (((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_TYPE_SHIFT) | (uint8_t)(v))

#define HVM_PARAM_STORE_PFN 1    /* xenstore ring page (gfn) */
#define HVM_PARAM_STORE_EVTCHN 2 /* xenstore event channel */
#define HVM_PARAM_PAE_ENABLED 4  /* deprecated, toolstack only */
#define HVM_PARAM_IOREQ_PFN 5
#define HVM_PARAM_BUFIOREQ_PFN 6
#define HVM_PARAM_VIRIDIAN 9
#define HVM_PARAM_TIMER_MODE 10
#define HVM_PARAM_HPET_ENABLED 11
#define HVM_PARAM_IDENT_PT 12
#define HVM_PARAM_DM_DOMAIN 13 /* deprecated, toolstack only */
#define HVM_PARAM_ACPI_S_STATE 14
#define HVM_PARAM_VM86_TSS 15
#define HVM_PARAM_VPT_ALIGN 16
#define HVM_PARAM_CONSOLE_PFN 17    /* console ring page (gfn) */
#define HVM_PARAM_CONSOLE_EVTCHN 18 /* console event channel */
#define HVM_PARAM_ACPI_IOPORTS_LOCATION 19
/* 20..26 and 30 are deprecated toolstack-only parameters. */
#define HVM_PARAM_PAGING_RING_PFN 27
#define HVM_PARAM_MONITOR_RING_PFN 28
#define HVM_PARAM_SHARING_RING_PFN 29
#define HVM_PARAM_TRIPLE_FAULT_REASON 31 /* SHUTDOWN_* on a triple fault */
#define HVM_PARAM_IOREQ_SERVER_PFN 32
#define HVM_PARAM_NR_IOREQ_SERVER_PAGES 33
#define HVM_PARAM_VM_GENERATION_ID_ADDR 34
#define HVM_PARAM_ALTP2M 35
#define HVM_PARAM_X87_FIP_WIDTH 36
#define HVM_PARAM_VM86_TSS_SIZED 37
#define HVM_PARAM_MCA_CAP 38
#define HVM_NR_PARAMS 39

/* HVM_PARAM_TIMER_MODE values. */
#define HVMPTM_delay_for_missed_ticks 0
#define HVMPTM_no_delay_for_missed_ticks 1
#define HVMPTM_no_missed_ticks_pending 2
#define HVMPTM_one_missed_tick_pending 3

/* ---- PVH start of day ----
 * The domain builder places a struct hvm_start_info in guest memory and
 * enters the XEN_ELFNOTE_PHYS32_ENTRY point in 32-bit protected mode,
 * paging off, with EBX = its physical address.  Addresses are guest
 * physical, 0 means "absent", and everything is little-endian.  Xen keeps
 * all of it below 4 GiB. */

#define XEN_HVM_START_MAGIC_VALUE 0x336ec578 /* "xEn3" with 0x80 set in the 'E' */

/* Version 0 ended after rsdp_paddr (40 bytes); version 1 adds the memory
 * map.  Newer versions only ever append. */
struct hvm_start_info {
  uint32_t magic;   /* XEN_HVM_START_MAGIC_VALUE */
  uint32_t version; /* 1 */
  uint32_t flags;   /* SIF_* */
  uint32_t nr_modules;
  uint64_t modlist_paddr;  /* array of nr_modules struct hvm_modlist_entry */
  uint64_t cmdline_paddr;  /* NUL-terminated command line */
  uint64_t rsdp_paddr;     /* ACPI RSDP */
  uint64_t memmap_paddr;   /* v1: array of struct hvm_memmap_table_entry */
  uint32_t memmap_entries; /* v1: 0 = no map given */
  uint32_t reserved;       /* v1: 0 */
};                         /* 56 bytes, every guest */

struct hvm_modlist_entry {
  uint64_t paddr;
  uint64_t size;          /* bytes */
  uint64_t cmdline_paddr; /* NUL-terminated, 0 = none */
  uint64_t reserved;
}; /* 32 bytes */

struct hvm_memmap_table_entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type; /* XEN_HVM_MEMMAP_TYPE_* */
  uint32_t reserved;
}; /* 24 bytes (unlike a packed 20-byte E820 entry) */

/* Memory types: the ACPI address range types. */
#define XEN_HVM_MEMMAP_TYPE_RAM 1
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2
#define XEN_HVM_MEMMAP_TYPE_ACPI 3
#define XEN_HVM_MEMMAP_TYPE_NVS 4
#define XEN_HVM_MEMMAP_TYPE_UNUSABLE 5
#define XEN_HVM_MEMMAP_TYPE_DISABLED 6
#define XEN_HVM_MEMMAP_TYPE_PMEM 7

#endif
