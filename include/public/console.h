/* The PV console ring: one shared page per domain, located by
 * HVM_PARAM_CONSOLE_PFN and signalled on HVM_PARAM_CONSOLE_EVTCHN.
 *
 * Written for mica from the layout of the Xen 4.19 interface
 * (xen/include/public/io/console.h); the connection field is from 4.21.
 *
 * Two byte rings.  Indices count bytes forever and wrap only at 2^32; a
 * ring slot is index & (size - 1).  Each side advances only its own index
 * and publishes data before the index (write barrier), then signals the
 * event channel. */
#ifndef MICA_PUBLIC_CONSOLE_H
#define MICA_PUBLIC_CONSOLE_H

#include <stdint.h>

typedef uint32_t XENCONS_RING_IDX;

/* The slot of index idx in ring (an array, whose size is a power of 2). */
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

#define XENCONS_IN_SIZE 1024
#define XENCONS_OUT_SIZE 2048

struct xencons_interface {
  char in[XENCONS_IN_SIZE];   /* to the guest: written by the backend */
  char out[XENCONS_OUT_SIZE]; /* from the guest: written by the guest */
  XENCONS_RING_IDX in_cons;   /* guest */
  XENCONS_RING_IDX in_prod;   /* backend */
  XENCONS_RING_IDX out_cons;  /* backend */
  XENCONS_RING_IDX out_prod;  /* guest */
  /* Xen 4.21: set by the backend.  Zero, its value on a page nobody wrote,
   * means connected, so a backend that predates it reads as connected. */
  uint8_t connection; /* XENCONSOLE_* */
};

#define XENCONSOLE_CONNECTED 0
#define XENCONSOLE_DISCONNECTED 1

#endif
