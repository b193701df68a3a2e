/* memory_op (hypercall 12): a domain's memory reservation, its physical
 * map (where shared_info and grant frames appear) and its memory map.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/memory.h; E820 entry and types from Xen's x86
 * e820.h).
 *
 * Call: memory_op(cmd, arg).  Only the low 6 bits of cmd select the
 * operation: Xen keeps a continuation's progress in the bits above. */
#ifndef MICA_PUBLIC_MEMORY_H
#define MICA_PUBLIC_MEMORY_H

#include "xen.h"

/* ---- Sub-operations ---- */
#define XENMEM_increase_reservation 0 /* arg -> struct xen_memory_reservation */
#define XENMEM_decrease_reservation 1 /* arg -> struct xen_memory_reservation */
#define XENMEM_maximum_ram_page 2     /* arg unused; returns highest RAM frame */
#define XENMEM_current_reservation 3  /* arg -> domid_t; returns pages */
#define XENMEM_maximum_reservation 4  /* arg -> domid_t; returns pages */
#define XENMEM_machphys_mfn_list 5    /* PV only */
#define XENMEM_populate_physmap 6     /* arg -> struct xen_memory_reservation */
#define XENMEM_add_to_physmap 7       /* arg -> struct xen_add_to_physmap */
/* 8 was translate_gpfn_list, since removed. */
#define XENMEM_memory_map 9           /* arg -> struct xen_memory_map */
#define XENMEM_machine_memory_map 10  /* arg -> struct xen_memory_map; dom0 */
#define XENMEM_exchange 11            /* PV only */
#define XENMEM_machphys_mapping 12    /* PV only */
#define XENMEM_set_memory_map 13      /* arg -> struct xen_foreign_memory_map */
#define XENMEM_maximum_gpfn 14        /* arg -> domid_t; returns highest gfn */
#define XENMEM_remove_from_physmap 15 /* arg -> struct xen_remove_from_physmap */
#define XENMEM_set_pod_target 16
#define XENMEM_get_pod_target 17
#define XENMEM_get_sharing_freed_pages 18
#define XENMEM_get_sharing_shared_pages 19
#define XENMEM_paging_op 20
#define XENMEM_access_op 21
#define XENMEM_sharing_op 22
#define XENMEM_add_to_physmap_batch 23 /* arg -> struct xen_add_to_physmap_batch */
#define XENMEM_claim_pages 24
#define XENMEM_machphys_compat_mfn_list 25 /* PV only */
#define XENMEM_get_vnumainfo 26
#define XENMEM_reserved_device_memory_map 27
#define XENMEM_acquire_resource 28

/* ---- Reservations: increase/decrease_reservation, populate_physmap ----
 * Each returns the number of extents it handled (which may be fewer than
 * asked for), or a negative errno. */
struct xen_memory_reservation {
  /* Array of nr_extents frame numbers.  populate_physmap: IN, the gfns
   * to fill; decrease_reservation: IN, the gfns to free;
   * increase_reservation: OUT, the frames allocated. */
  XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
  xen_ulong_t nr_extents;
  unsigned int extent_order; /* each extent is 2^extent_order pages */
  unsigned int mem_flags;    /* XENMEMF_* */
  domid_t domid;             /* unprivileged callers: DOMID_SELF only */
};                           /* 32 bytes (20 for a 32-bit guest) */

/* mem_flags: bits 0..7 limit the address width (0 = no limit), bits 8..15
 * hold a NUMA node plus one (0 = any node). */
#define XENMEMF_address_bits(x) (x)
#define XENMEMF_get_address_bits(x) ((x)&0xffu)
#define XENMEMF_node(x) (((x) + 1) << 8)
#define XENMEMF_get_node(x) ((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand (1 << 16)
#define XENMEMF_exact_node_request (1 << 17)
#define XENMEMF_exact_node(n) (XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode (1 << 18)

/* ---- Physical map: add_to_physmap ---- */

/* Which kind of page xen_add_to_physmap.idx names. */
#define XENMAPSPACE_shared_info 0  /* idx 0: the shared_info page */
#define XENMAPSPACE_grant_table 1  /* idx: grant frame (| XENMAPIDX_grant_table_status) */
#define XENMAPSPACE_gmfn 2         /* idx: a gfn of the domain, moved to gpfn */
#define XENMAPSPACE_gmfn_range 3   /* as gmfn, for size pages */
#define XENMAPSPACE_gmfn_foreign 4 /* another domain's gfn; batch only */
#define XENMAPSPACE_dev_mmio 5     /* Arm only */

/* In idx for XENMAPSPACE_grant_table: a status frame (v2), not a shared one. */
#define XENMAPIDX_grant_table_status 0x80000000U

/* Make page idx of space appear at gfn gpfn in domain domid. */
struct xen_add_to_physmap {
  domid_t domid;
  uint16_t size;      /* XENMAPSPACE_gmfn_range: number of pages */
  unsigned int space; /* XENMAPSPACE_* */
  xen_ulong_t idx;
  xen_pfn_t gpfn;
}; /* 24 bytes (16 for a 32-bit guest) */

/* Batched add_to_physmap; errs[i] receives each page's result. */
struct xen_add_to_physmap_batch {
  domid_t domid;
  uint16_t space; /* XENMAPSPACE_* */
  uint16_t size;  /* number of entries in idxs, gpfns, errs */
  union {
    domid_t foreign_domid; /* XENMAPSPACE_gmfn_foreign */
    uint16_t res0;         /* other spaces: 0 */
  } u;
  XEN_GUEST_HANDLE(xen_ulong_t) idxs;
  XEN_GUEST_HANDLE(xen_pfn_t) gpfns;
  XEN_GUEST_HANDLE(int) errs;
}; /* 32 bytes */

/* Remove whatever page is mapped at gpfn. */
struct xen_remove_from_physmap {
  domid_t domid;
  xen_pfn_t gpfn;
}; /* 16 bytes */

/* ---- Memory map: memory_map, machine_memory_map, set_memory_map ---- */

/* buffer holds nr_entries E820 entries (struct e820entry). */
struct xen_memory_map {
  unsigned int nr_entries; /* IN: buffer capacity; OUT: entries written */
  XEN_GUEST_HANDLE(struct e820entry) buffer;
}; /* 16 bytes */

struct xen_foreign_memory_map {
  domid_t domid;
  struct xen_memory_map map;
}; /* 24 bytes */

/* One memory-map entry, in the BIOS INT 15h E820 format: packed, 20 bytes. */
struct e820entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type; /* E820_* */
} __attribute__((packed));

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_UNUSABLE 5

/* ---- Queries that take a domain id ---- */
struct xen_memory_domain {
  domid_t domid;
}; /* 2 bytes */

/* ---- XENMEM_set_pod_target / get_pod_target ----
 * Populate-on-demand's target for a domain (Xen's xen_pod_target).  mica
 * has no populate-on-demand: there is never a PoD entry or cache, and a
 * target only has to be within the domain's maximum. */
struct xen_pod_target {
  uint64_t target_pages;    /* IN (set) */
  uint64_t tot_pages;       /* OUT */
  uint64_t pod_cache_pages; /* OUT */
  uint64_t pod_entries;     /* OUT */
  domid_t domid;            /* IN */
};                          /* 40 bytes */

#endif
