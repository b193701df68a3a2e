/* XENMEM_increase_reservation, XENMEM_decrease_reservation and
 * XENMEM_populate_physmap (hv/memory_reservation.c). */
#ifndef HV_MEMORY_RESERVATION_H
#define HV_MEMORY_RESERVATION_H

#include <hv/domain.h>

/* The extent count's place in memory_op's command (Xen's
 * MEMOP_EXTENT_SHIFT): bits above it say where a continued call goes on. */
#define MEMOP_EXTENT_SHIFT 6

/* Reservation op (XENMEM_increase_reservation, decrease_reservation or
 * populate_physmap) of v for the struct xen_memory_reservation at arg
 * (the 32-bit layout for a 32-bit caller), from extent start on.  Returns
 * the extents done (counting those before start), or -ERESTART with
 * args[0] rewritten to continue from where it stopped. */
long memory_reservation(struct vcpu *v, unsigned int op, uint64_t start, uint64_t arg,
                        uint64_t args[6]);

#endif
