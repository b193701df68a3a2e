/* A 32-bit guest's layouts of the hypercall structures that differ from
 * a 64-bit guest's (Xen's compat_* types, the "!" lines of
 * xen/include/xlat.lst), as the hypervisor reads and writes them: handles,
 * xen_ulong_t and xen_pfn_t are 32 bits, and a uint64_t is aligned to 4.
 * Each handler that takes one reads it when v->hcall_compat is set and
 * widens it into the native structure its code works on (and narrows
 * what goes back).  test/unit/compat_layout.sh checks each against the
 * public header compiled for i386. */
#ifndef HV_COMPAT_H
#define HV_COMPAT_H

#include <hv/string.h>
#include <hv/types.h>
#include <public/grant_table.h>
#include <public/vcpu.h>
#include <public/xen.h>

typedef uint64_t compat_u64 __attribute__((aligned(4))); /* i386's uint64_t in a struct */

struct compat_multicall_entry {
  uint32_t op;
  uint32_t result;
  uint32_t args[6];
};

struct compat_add_to_physmap {
  domid_t domid;
  uint16_t size;
  uint32_t space;
  uint32_t idx;
  uint32_t gpfn;
};

struct compat_add_to_physmap_batch {
  domid_t domid;
  uint16_t space;
  uint16_t size;
  union {
    domid_t foreign_domid;
    uint16_t res0;
  } u;
  uint32_t idxs;  /* a handle to 32-bit xen_ulong_t */
  uint32_t gpfns; /* a handle to 32-bit xen_pfn_t */
  uint32_t errs;  /* a handle to int */
};

struct compat_remove_from_physmap {
  domid_t domid;
  uint32_t gpfn;
};

struct compat_memory_reservation {
  uint32_t extent_start; /* a handle to 32-bit xen_pfn_t */
  uint32_t nr_extents;
  unsigned int extent_order;
  unsigned int mem_flags;
  domid_t domid;
};

struct compat_memory_map {
  uint32_t nr_entries;
  uint32_t buffer;
};

struct compat_foreign_memory_map {
  domid_t domid;
  uint16_t pad;
  struct compat_memory_map map;
};

struct compat_vcpu_runstate_info {
  int state;
  compat_u64 state_entry_time;
  compat_u64 time[4];
};

/* Lay rs out in place as a 32-bit guest's compat_vcpu_runstate_info;
 * returns its size. */
static inline size_t compat_runstate(struct vcpu_runstate_info *rs)
{
  struct compat_vcpu_runstate_info c = {
      rs->state, rs->state_entry_time, {rs->time[0], rs->time[1], rs->time[2], rs->time[3]}};
  memcpy(rs, &c, sizeof(c));
  return sizeof(c);
}

/* The same as a 64-bit guest's but for the padding at its end: a 32-bit
 * caller's is read into the native structure, 12 bytes. */
struct compat_vcpu_set_singleshot_timer {
  compat_u64 timeout_abs_ns;
  uint32_t flags;
};

struct compat_sched_poll {
  uint32_t ports;
  uint32_t nr_ports;
  compat_u64 timeout;
};

struct compat_gnttab_setup_table {
  domid_t dom;
  uint32_t nr_frames;
  int16_t status;
  uint32_t frame_list;
};

struct compat_gnttab_copy_ptr {
  union {
    grant_ref_t ref;
    uint32_t gmfn;
  } u;
  domid_t domid;
  uint16_t offset;
};

struct compat_gnttab_copy {
  struct compat_gnttab_copy_ptr source;
  struct compat_gnttab_copy_ptr dest;
  uint16_t len;
  uint16_t flags;
  int16_t status;
};

#endif
