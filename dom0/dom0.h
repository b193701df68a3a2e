/* Our dom0: what its files share (control.c the console commands,
 * images.c the builder's boot modules, builder.c the domain builder,
 * xenstore.c the store, xsdomain.c its guests' pages and ports). */
#ifndef DOM0_DOM0_H
#define DOM0_DOM0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/domctl.h>
#include <public/hvm.h>
#include <public/xen.h>

#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define IMAGE_NAME_MAX 32

/* ---- images.c: the files dom0 was given for its builder ---- */
struct image {
  char name[IMAGE_NAME_MAX];
  bool ramdisk; /* "ramdisk name=..." (else "image name=...") */
  const uint8_t *data;
  size_t size;
};

/* Find the modules of the start info whose command line is "image
 * name=NAME" or "ramdisk name=NAME"; others (an initrd of dom0's own) are
 * skipped.  Says what it found, and what it ignored. */
void images_init(const struct hvm_start_info *si);
/* The image or ramdisk named name, or NULL. */
const struct image *images_find(const char *name, bool ramdisk);
/* Image i (i < images_count()). */
const struct image *images_get(unsigned int i);
unsigned int images_count(void);
/* dom0's RAM that nothing uses (after its own image, the start info and
 * the modules, up to the end of that RAM, below 4 GiB): where the builder
 * unpacks a bzImage.  *size 0 when there is none. */
uint8_t *images_scratch(size_t *size);
/* Where dom0's RAM ends (its highest RAM entry). */
uint64_t images_dom0_ram_end(void);

/* ---- bzimage.c: a Linux bzImage's vmlinux ---- */
/* Whether data holds a bzImage ("HdrS" at 0x202). */
bool bzimage_is(const uint8_t *data, size_t size);
/* Unpack the ELF vmlinux of bzImage data into out (max bytes): 0 with
 * *len, or -1 with *why (one line): an old boot protocol, a payload
 * outside the file, a compression other than LZ4, a damaged payload, or
 * not enough room. */
int bzimage_unpack(const uint8_t *data, size_t size, uint8_t *out, size_t max, size_t *len,
                   const char **why);

/* ---- builder.c: a PVH guest from an image, through the hypercalls
 * Xen's libxenguest uses ---- */
struct build_request {
  const char *image;    /* an image's name */
  unsigned int mem_mib; /* its RAM; 0: the default */
  unsigned int vcpus;   /* 0: one */
  const char *cmdline;  /* the guest's command line ("" for none) */
};

#define BUILDER_DEFAULT_MEM_MIB 64
#define BUILDER_MAX_VCPUS 32

/* TSC ticks of the builder's stages (under Bochs: instructions). */
struct build_times {
  uint64_t populate; /* populate_physmap of its RAM */
  uint64_t map;      /* add_to_physmap_batch calls */
  uint64_t copy;     /* copying kernel, ramdisk, start info, ACPI tables */
  uint64_t unmap;    /* remove_from_physmap multicalls */
};

/* Build and start a domain.  On success returns 0 with its id in *id;
 * on failure returns a negative Xen errno after writing why (one line,
 * no newline) into why[size], having destroyed any domain it made, so
 * that nothing is left behind.  *t says where the time went. */
int builder_create(const struct build_request *r, domid_t *id, char *why, size_t size,
                   struct build_times *t);

/* ---- xenstore.c: the store, an in-memory tree served to guests over
 * their ring pages.  No hypercall in it (the host unit test builds it);
 * functions return 0 or a negative Xen errno.  Bounds, each one an error
 * when reached (-ENOSPC, or -E2BIG for a size): ---- */
#define XS_MAX_NODES 1024      /* nodes in the tree */
#define XS_NAME_MAX 64         /* a node's name, with its NUL */
#define XS_SMALL_VALUE 64      /* values this long live in their node... */
#define XS_BIG_VALUES 32       /* ...longer ones (to 4096) in one of these */
#define XS_MAX_PERMS 4         /* entries of a node's permissions */
#define XS_MAX_WATCHES 128     /* in all */
#define XS_MAX_CONN_WATCHES 32 /* per guest */
#define XS_WATCH_PATH_MAX 256  /* a watched absolute path, with its NUL */
#define XS_TOKEN_MAX 128       /* a watch's token, with its NUL */
#define XS_MAX_TX 8            /* open transactions per guest */
#define XS_MAX_CONNS 16        /* guests with a ring */
#define XS_OUT_SIZE 16384      /* a guest's queue of answers (power of 2) */
#define XS_PATH_BUF 3073       /* XENSTORE_ABS_PATH_MAX + 1 */

/* One entry of a node's permissions: a domain and what it may do ('n'
 * nothing, 'r' read, 'w' write, 'b' both).  The first entry names the
 * owner (who may do anything) and what the domains not named may do. */
struct xs_perm {
  uint16_t id;
  char perm;
};

/* Empty the store (no guests, no watches) and make /local/domain. */
void xs_init(void);
/* The operations as domain caller makes them (0: dom0, who may do
 * anything; a guest only in /local/domain/<caller> and as the nodes'
 * permissions allow; a relative path is under that home).  Paths are
 * checked as xenstored checks them (-EINVAL, -E2BIG); a missing node is
 * -ENOENT, a forbidden one -EACCES.  Watches fire on every change. */
/* Node path's value into buf[size], its length in *len (no NUL added). */
int xs_read(domid_t caller, const char *path, char *buf, size_t size, size_t *len);
/* Node path (and the missing nodes above it) gets value val[len]
 * (len <= 4096). */
int xs_write(domid_t caller, const char *path, const void *val, size_t len);
/* Node path exists afterwards (0 if it did). */
int xs_mkdir(domid_t caller, const char *path);
/* Node path and all below it go.  0 also when it is missing but its
 * parent is not; the root cannot go (-EINVAL). */
int xs_rm(domid_t caller, const char *path);
/* Node path's permissions become perms[n] (1 <= n <= XS_MAX_PERMS);
 * only dom0 may change the owner. */
int xs_set_perms(domid_t caller, const char *path, const struct xs_perm *perms, unsigned int n);
/* Node path's permissions into perms[XS_MAX_PERMS], their count in *n. */
int xs_get_perms(domid_t caller, const char *path, struct xs_perm *perms, unsigned int *n);
/* fn for node path and every node below it, parents first, each with
 * its absolute path and value; -ENOENT when path is missing. */
int xs_walk(const char *path,
            void (*fn)(const char *path, const char *value, size_t len, void *arg), void *arg);
unsigned int xs_nodes_free(void);
/* "ENOENT" and so on: the name xenbus understands for a negative Xen
 * errno ("EINVAL" for one it does not know). */
const char *xs_error_name(int err);

/* A guest's connection: its ring page (page, a struct
 * xenstore_domain_interface that dom0 maps) and what is half read or not
 * yet written.  NULL when there are XS_MAX_CONNS already, or domid has
 * one (or is dom0). */
struct xs_conn;
struct xs_conn *xs_conn_open(domid_t domid, volatile void *page);
struct xs_conn *xs_conn_find(domid_t domid);
/* Forget the connection and its watches (its nodes stay: xs_rm them). */
void xs_conn_close(struct xs_conn *c);
domid_t xs_conn_domid(const struct xs_conn *c);
/* Why the guest's connection is no longer served (it broke the
 * protocol: ring indices out of range, a request too long), or NULL. */
const char *xs_conn_why(const struct xs_conn *c);
/* Watch events lost because the guest did not read its ring. */
unsigned long xs_conn_dropped(const struct xs_conn *c);
/* Serve c's ring: read its requests and answer them, move queued answers
 * and watch events into the ring as room allows.  What happened: */
#define XS_SERVED_NOTIFY 1 /* the ring changed: signal the guest */
#define XS_SERVED_FIRST 2  /* its first request came */
#define XS_SERVED_BROKE 4  /* it is broken (xs_conn_why) */
unsigned int xs_conn_service(struct xs_conn *c);

/* ---- xsdomain.c: each guest's store, set up by the builder ---- */

/* Give the domain being built (id, named name, with mem_kib of RAM and
 * vcpus vcpus) its
 * store: a page of its RAM at gfn (marked reserved in its memory map by
 * the caller) mapped into dom0, an event channel it is told of by
 * HVM_PARAM_STORE_PFN/EVTCHN, a connection, and its keys under
 * /local/domain/<id>.  0, or a negative Xen errno with why[size] said;
 * on failure xsdomain_release() undoes what was done. */
int xsdomain_setup(domid_t id, const char *name, uint64_t mem_kib, unsigned int vcpus, uint64_t gfn,
                   char *why, size_t size);
/* Drop domain id's store: its connection, mapping, port and subtree. */
void xsdomain_release(domid_t id);
/* The local ports of the guests' stores into ports[max]; how many. */
unsigned int xsdomain_ports(uint32_t *ports, unsigned int max);
/* Serve every guest's ring (after any event: one guest's write may fire
 * another's watch); takes the pending bits of their ports.  Returns how
 * many lines it printed (a guest connected, or broke the protocol). */
unsigned int xsdomain_service(void);
/* Release the stores of the domains that are not running in d[n] (gone,
 * shut down or dying). */
void xsdomain_prune(const struct xen_domctl_getdomaininfo *d, unsigned int n);

/* ---- control.c ---- */
/* A zeroed domctl for cmd on dom in this interface version; and the same
 * made at once (the caller's op holds what comes back). */
void domctl_init(struct xen_domctl *op, uint32_t cmd, domid_t dom);
long domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op);
long evtchn_op(int cmd, void *arg);
/* Take port p's pending bit in dom0's shared_info; whether it was set. */
bool take_pending(unsigned int p);
/* "EINVAL (invalid)" and so on, for a negative Xen errno. */
const char *errno_name(long rc);

#endif
