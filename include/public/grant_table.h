/* grant_table_op (hypercall 20) and the grant table itself: how a domain
 * lets another map or copy one of its pages.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/grant_table.h).
 *
 * Call: grant_table_op(cmd, arg, count): arg points at an array of count
 * structures of the kind cmd names.  Each structure's own status field
 * reports its result as a GNTST_* value; the hypercall's return value
 * reports errors in the call itself (a bad cmd, a bad arg address). */
#ifndef MICA_PUBLIC_GRANT_TABLE_H
#define MICA_PUBLIC_GRANT_TABLE_H

#include "xen.h"

typedef uint32_t grant_ref_t;    /* index into a domain's grant table */
typedef uint32_t grant_handle_t; /* names one mapping made from a grant */

/* ---- The table: an array of entries in frames the granting domain maps
 * (XENMAPSPACE_grant_table) ----
 * To grant: write domid and frame, then (after a write barrier) flags.
 * To revoke: atomically clear flags, but only while neither GTF_reading
 * nor GTF_writing is set. */
struct grant_entry_v1 {
  uint16_t flags; /* GTF_*; written by guest and hypervisor */
  domid_t domid;  /* the domain being granted access */
  uint32_t frame; /* the granted gfn (or, for a transfer, the slot) */
};                /* 8 bytes, every guest: 512 per 4 KiB frame */

/* Version 2 (GNTTABOP_set_version 2): 16-byte entries with a shared
 * header, plus a separate array of grant_status_t. */
struct grant_entry_header {
  uint16_t flags;
  domid_t domid;
}; /* 4 bytes */

union grant_entry_v2 {
  struct grant_entry_header hdr;
  struct {
    struct grant_entry_header hdr;
    uint32_t pad0;
    uint64_t frame;
  } full_page;
  struct {
    struct grant_entry_header hdr;
    uint16_t page_off;
    uint16_t length;
    uint64_t frame;
  } sub_page; /* GTF_sub_page: bytes [page_off, page_off + length) */
  struct {
    struct grant_entry_header hdr;
    domid_t trans_domid;
    uint16_t pad0;
    grant_ref_t gref;
  } transitive; /* GTF_transitive */
  uint32_t __spacer[4];
}; /* 16 bytes */

typedef uint16_t grant_status_t;

/* Entries the toolstack may fill before the guest starts. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE 0
#define GNTTAB_RESERVED_XENSTORE 1

/* flags, bits 1..0: the entry's type. */
#define GTF_invalid (0U << 0)
#define GTF_permit_access (1U << 0)   /* domid may map/copy frame */
#define GTF_accept_transfer (2U << 0) /* domid may transfer a page into frame */
#define GTF_transitive (3U << 0)      /* v2: domid may use another grant */
#define GTF_type_mask (3U << 0)
/* permit_access and transitive. */
#define _GTF_readonly (2)
#define GTF_readonly (1U << _GTF_readonly) /* guest: read-only grant */
#define _GTF_reading (3)
#define GTF_reading (1U << _GTF_reading) /* hypervisor: mapped for reading */
#define _GTF_writing (4)
#define GTF_writing (1U << _GTF_writing) /* hypervisor: mapped for writing */
/* permit_access only. */
#define _GTF_PWT (5)
#define GTF_PWT (1U << _GTF_PWT)
#define _GTF_PCD (6)
#define GTF_PCD (1U << _GTF_PCD)
#define _GTF_PAT (7)
#define GTF_PAT (1U << _GTF_PAT)
#define _GTF_sub_page (8)
#define GTF_sub_page (1U << _GTF_sub_page) /* v2 only */
/* accept_transfer. */
#define _GTF_transfer_committed (2)
#define GTF_transfer_committed (1U << _GTF_transfer_committed)
#define _GTF_transfer_completed (3)
#define GTF_transfer_completed (1U << _GTF_transfer_completed)

/* ---- Sub-operations ---- */
#define GNTTABOP_map_grant_ref 0     /* struct gnttab_map_grant_ref */
#define GNTTABOP_unmap_grant_ref 1   /* struct gnttab_unmap_grant_ref */
#define GNTTABOP_setup_table 2       /* struct gnttab_setup_table */
#define GNTTABOP_dump_table 3        /* struct gnttab_dump_table */
#define GNTTABOP_transfer 4          /* struct gnttab_transfer (PV only) */
#define GNTTABOP_copy 5              /* struct gnttab_copy */
#define GNTTABOP_query_size 6        /* struct gnttab_query_size */
#define GNTTABOP_unmap_and_replace 7 /* struct gnttab_unmap_and_replace */
#define GNTTABOP_set_version 8       /* struct gnttab_set_version */
#define GNTTABOP_get_status_frames 9 /* struct gnttab_get_status_frames */
#define GNTTABOP_get_version 10      /* struct gnttab_get_version */
#define GNTTABOP_swap_grant_ref 11   /* struct gnttab_swap_grant_ref */
#define GNTTABOP_cache_flush 12      /* struct gnttab_cache_flush (Arm) */

/* Map grant ref of domain dom at host_addr (GNTMAP_host_map) and/or for
 * device DMA (GNTMAP_device_map). */
struct gnttab_map_grant_ref {
  uint64_t host_addr;    /* IN */
  uint32_t flags;        /* IN: GNTMAP_* */
  grant_ref_t ref;       /* IN */
  domid_t dom;           /* IN: the granting domain */
  int16_t status;        /* OUT: GNTST_* */
  grant_handle_t handle; /* OUT: for unmapping */
  uint64_t dev_bus_addr; /* OUT: with GNTMAP_device_map */
};                       /* 32 bytes, every guest */

struct gnttab_unmap_grant_ref {
  uint64_t host_addr;    /* IN */
  uint64_t dev_bus_addr; /* IN */
  grant_handle_t handle; /* IN */
  int16_t status;        /* OUT */
};                       /* 24 bytes */

/* Grow dom's (v1) grant table to at least nr_frames frames and list their
 * frame numbers in frame_list. */
struct gnttab_setup_table {
  domid_t dom;                            /* IN */
  uint32_t nr_frames;                     /* IN */
  int16_t status;                         /* OUT */
  XEN_GUEST_HANDLE(xen_pfn_t) frame_list; /* OUT: nr_frames entries */
};                                        /* 24 bytes (16 for a 32-bit guest) */

struct gnttab_dump_table {
  domid_t dom;    /* IN */
  int16_t status; /* OUT */
};                /* 4 bytes */

struct gnttab_transfer {
  xen_pfn_t mfn;   /* IN */
  domid_t domid;   /* IN */
  grant_ref_t ref; /* IN */
  int16_t status;  /* OUT */
};                 /* 24 bytes (16 for a 32-bit guest) */

/* Copy len bytes from source to dest; each end is a grant (the matching
 * GNTCOPY_*_gref flag) or a gfn of domid.  Neither end may cross a page. */
struct gnttab_copy_ptr {
  union {
    grant_ref_t ref;
    xen_pfn_t gmfn;
  } u;
  domid_t domid;
  uint16_t offset;
}; /* 16 bytes (8 for a 32-bit guest) */

struct gnttab_copy {
  struct gnttab_copy_ptr source; /* IN */
  struct gnttab_copy_ptr dest;   /* IN */
  uint16_t len;                  /* IN */
  uint16_t flags;                /* IN: GNTCOPY_* */
  int16_t status;                /* OUT */
};                               /* 40 bytes (24 for a 32-bit guest) */

#define _GNTCOPY_source_gref (0)
#define GNTCOPY_source_gref (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref (1)
#define GNTCOPY_dest_gref (1 << _GNTCOPY_dest_gref)

struct gnttab_query_size {
  domid_t dom;            /* IN */
  uint32_t nr_frames;     /* OUT: current size */
  uint32_t max_nr_frames; /* OUT: limit */
  int16_t status;         /* OUT */
};                        /* 16 bytes */

struct gnttab_unmap_and_replace {
  uint64_t host_addr;    /* IN */
  uint64_t new_addr;     /* IN */
  grant_handle_t handle; /* IN */
  int16_t status;        /* OUT */
};                       /* 24 bytes */

/* Choose table version 1 or 2; returns the version now in force. */
struct gnttab_set_version {
  uint32_t version; /* IN/OUT */
};                  /* 4 bytes */

/* v2: list the frames of dom's status array. */
struct gnttab_get_status_frames {
  uint32_t nr_frames;                    /* IN */
  domid_t dom;                           /* IN */
  int16_t status;                        /* OUT */
  XEN_GUEST_HANDLE(uint64_t) frame_list; /* OUT */
};                                       /* 16 bytes */

struct gnttab_get_version {
  domid_t dom; /* IN */
  uint16_t pad;
  uint32_t version; /* OUT */
};                  /* 8 bytes */

struct gnttab_swap_grant_ref {
  grant_ref_t ref_a; /* IN */
  grant_ref_t ref_b; /* IN */
  int16_t status;    /* OUT */
};                   /* 12 bytes */

struct gnttab_cache_flush {
  union {
    uint64_t dev_bus_addr;
    grant_ref_t ref;
  } a;
  uint16_t offset;
  uint16_t length;
  uint32_t op; /* GNTTAB_CACHE_* */
};             /* 16 bytes */
#define GNTTAB_CACHE_CLEAN (1u << 0)
#define GNTTAB_CACHE_INVAL (1u << 1)
#define GNTTAB_CACHE_SOURCE_GREF (1u << 31)

/* gnttab_map_grant_ref.flags. */
#define _GNTMAP_device_map (0)
#define GNTMAP_device_map (1 << _GNTMAP_device_map)
#define _GNTMAP_host_map (1)
#define GNTMAP_host_map (1 << _GNTMAP_host_map)
#define _GNTMAP_readonly (2)
#define GNTMAP_readonly (1 << _GNTMAP_readonly)
#define _GNTMAP_application_map (3)
#define GNTMAP_application_map (1 << _GNTMAP_application_map)
#define _GNTMAP_contains_pte (4) /* PV: host_addr is a PTE's machine address */
#define GNTMAP_contains_pte (1 << _GNTMAP_contains_pte)
#define _GNTMAP_guest_avail0 (16) /* bits 16..31: PTE available bits (PV) */
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-entry results (the status fields). */
#define GNTST_okay (0)
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10) /* a copy crosses a page boundary */
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
#define GNTST_no_space (-13)

#endif
