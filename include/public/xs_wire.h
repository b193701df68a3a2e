/* The xenstore wire protocol: the messages a guest's xenbus exchanges with
 * the store server, and the shared page that carries them.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/io/xs_wire.h, docs/misc/xenstore.txt and
 * xenstore-ring.txt).
 *
 * A message is a struct xsd_sockmsg header and len bytes of payload
 * (len <= XENSTORE_PAYLOAD_MAX): usually NUL-terminated strings; a value
 * written (XS_WRITE) follows its path without a terminator.  The answer
 * carries the request's type, req_id and tx_id, or is an XS_ERROR whose
 * payload is an errno's name ("ENOENT\0").  Watch events (XS_WATCH_EVENT:
 * "path\0token\0") come unasked, with req_id 0. */
#ifndef MICA_PUBLIC_XS_WIRE_H
#define MICA_PUBLIC_XS_WIRE_H

#include <stdint.h>

/* ---- Message types (struct xsd_sockmsg.type) ---- */
#define XS_CONTROL 0 /* (was XS_DEBUG) privileged */
#define XS_DIRECTORY 1
#define XS_READ 2
#define XS_GET_PERMS 3
#define XS_WATCH 4
#define XS_UNWATCH 5
#define XS_TRANSACTION_START 6
#define XS_TRANSACTION_END 7
#define XS_INTRODUCE 8 /* privileged */
#define XS_RELEASE 9   /* privileged */
#define XS_GET_DOMAIN_PATH 10
#define XS_WRITE 11
#define XS_MKDIR 12
#define XS_RM 13
#define XS_SET_PERMS 14
#define XS_WATCH_EVENT 15
#define XS_ERROR 16
#define XS_IS_DOMAIN_INTRODUCED 17 /* privileged */
#define XS_RESUME 18               /* privileged */
#define XS_SET_TARGET 19           /* privileged */
#define XS_RESTRICT 20             /* gone; never answered but with an error */
#define XS_RESET_WATCHES 21
#define XS_DIRECTORY_PART 22
#define XS_GET_FEATURE 23
#define XS_SET_FEATURE 24
#define XS_GET_QUOTA 25
#define XS_SET_QUOTA 26
#define XS_INVALID 0xffff

struct xsd_sockmsg {
  uint32_t type;   /* XS_* */
  uint32_t req_id; /* chosen by the client, echoed in the answer */
  uint32_t tx_id;  /* a transaction's id, or 0 */
  uint32_t len;    /* bytes of payload that follow */
};                 /* 16 bytes */

#define XENSTORE_PAYLOAD_MAX 4096
/* Longer paths get an error answer. */
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048

/* ---- The shared page (HVM_PARAM_STORE_PFN; HVM_PARAM_STORE_EVTCHN
 * signals either way) ----
 * Two byte rings.  Indices count bytes forever and wrap at 2^32; a slot
 * is MASK_XENSTORE_IDX(index).  The guest produces requests and consumes
 * answers; the server the other way round.  Each side writes the data,
 * then (after a write barrier) its index, then signals. */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
  char req[XENSTORE_RING_SIZE]; /* guest -> server */
  char rsp[XENSTORE_RING_SIZE]; /* server -> guest: answers and watch events */
  XENSTORE_RING_IDX req_cons, req_prod;
  XENSTORE_RING_IDX rsp_cons, rsp_prod;
  uint32_t server_features; /* XENSTORE_SERVER_FEATURE_*, set by the server */
  uint32_t connection;      /* XENSTORE_CONNECTED / _RECONNECT */
  uint32_t error;           /* XENSTORE_ERROR_*, set by the server */
  uint32_t evtchn_port;     /* Xen 4.19: the guest's port, for late set-up */
};                          /* 2,080 bytes, at offset 0 of the page */

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1 /* the guest may ask to reconnect */
#define XENSTORE_SERVER_FEATURE_ERROR 2        /* the error field is set */

#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1

#define XENSTORE_ERROR_NONE 0
#define XENSTORE_ERROR_COMM 1    /* bad message header */
#define XENSTORE_ERROR_RINGIDX 2 /* ring indices out of range */
#define XENSTORE_ERROR_PROTO 3   /* protocol broken */

#endif
