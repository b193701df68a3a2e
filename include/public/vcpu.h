/* vcpu_op (hypercall 24): bring vcpus up and down, their timers, and the
 * guest-chosen homes of vcpu_info, runstate and time information.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/vcpu.h).
 *
 * Call: vcpu_op(cmd, vcpuid, arg). */
#ifndef MICA_PUBLIC_VCPU_H
#define MICA_PUBLIC_VCPU_H

#include "xen.h"

/* ---- Sub-operations ---- */
#define VCPUOP_initialise 0        /* arg -> initial register state (PVH: x86 HVM context) */
#define VCPUOP_up 1                /* arg unused: make an initialised vcpu runnable */
#define VCPUOP_down 2              /* arg unused */
#define VCPUOP_is_up 3             /* arg unused; returns 1 if up */
#define VCPUOP_get_runstate_info 4 /* arg -> struct vcpu_runstate_info */
/* arg -> struct vcpu_register_runstate_memory_area */
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_set_periodic_timer 6    /* arg -> struct vcpu_set_periodic_timer */
#define VCPUOP_stop_periodic_timer 7   /* arg unused */
#define VCPUOP_set_singleshot_timer 8  /* arg -> struct vcpu_set_singleshot_timer */
#define VCPUOP_stop_singleshot_timer 9 /* arg unused */
#define VCPUOP_register_vcpu_info 10   /* arg -> struct vcpu_register_vcpu_info */
#define VCPUOP_send_nmi 11             /* arg unused */
#define VCPUOP_get_physid 12           /* arg -> struct vcpu_get_physid */
/* arg -> struct vcpu_register_time_memory_area */
#define VCPUOP_register_vcpu_time_memory_area 13
/* As 5 and 13, but addr is a guest physical address and ~0 unregisters;
 * the area must not cross a page.  Since Xen 4.18. */
#define VCPUOP_register_runstate_phys_area 14
#define VCPUOP_register_vcpu_time_phys_area 15

/* ---- Runstate ---- */
#define RUNSTATE_running 0  /* on a physical CPU */
#define RUNSTATE_runnable 1 /* wants a CPU */
#define RUNSTATE_blocked 2  /* waiting for an event */
#define RUNSTATE_offline 3  /* neither: down, paused, ... */

struct vcpu_runstate_info {
  int state;                 /* RUNSTATE_* */
  uint64_t state_entry_time; /* system time (ns) the state was entered */
  uint64_t time[4];          /* ns spent in each RUNSTATE_* */
};                           /* 48 bytes (44 for a 32-bit guest: no padding after state) */

/* With VMASST_TYPE_runstate_update_flag enabled, set in state_entry_time
 * while the hypervisor rewrites the guest's copy. */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

/* VCPUOP_register_runstate_memory_area names a guest virtual address
 * (VCPUOP_register_runstate_phys_area a guest physical one) that receives
 * a struct vcpu_runstate_info, rewritten whenever the vcpu is scheduled.
 * Xen's header spells addr as a union of a handle, a pointer and a
 * uint64_t; all of them are these 64 bits. */
struct vcpu_register_runstate_memory_area {
  uint64_t addr;
}; /* 8 bytes, every guest */

/* VCPUOP_register_vcpu_time_memory_area (and its _phys_area form): a
 * second copy of this vcpu's struct vcpu_time_info, kept in step with the
 * one in vcpu_info. */
struct vcpu_register_time_memory_area {
  uint64_t addr;
}; /* 8 bytes, every guest */

/* ---- Timers (times in ns of system time) ---- */
struct vcpu_set_periodic_timer {
  uint64_t period_ns;
}; /* 8 bytes */

struct vcpu_set_singleshot_timer {
  uint64_t timeout_abs_ns; /* absolute system time */
  uint32_t flags;          /* VCPU_SSHOTTMR_* */
};                         /* 16 bytes (12 for a 32-bit guest) */

/* Fail with -ETIME if timeout_abs_ns has already passed (advisory: the
 * hypervisor may ignore it and fire at once). */
#define VCPU_SSHOTTMR_future (1U << 0)

/* ---- VCPUOP_register_vcpu_info: move this vcpu's struct vcpu_info into
 * a guest page.  The structure must not cross a page boundary; it may be
 * done once per vcpu. ---- */
struct vcpu_register_vcpu_info {
  uint64_t mfn;    /* the page's frame number (a gfn for PVH) */
  uint32_t offset; /* of the vcpu_info within the page */
  uint32_t rsvd;   /* 0 */
};                 /* 16 bytes, every guest */

/* ---- VCPUOP_get_physid: bits 31..0 APIC id, 63..32 ACPI id ---- */
struct vcpu_get_physid {
  uint64_t phys_id;
}; /* 8 bytes */

#endif
