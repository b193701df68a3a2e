/* xsdomain: each guest's store, the hypercall side of xenstore.c.
 *
 * As libxl and libxenguest give an HVM guest its store: a page of the
 * guest's RAM (the gfn below its console ring, marked reserved in its
 * memory map), mapped into dom0's physical space for the guest's life
 * (XENMEM_add_to_physmap_batch, XENMAPSPACE_gmfn_foreign, at a gpfn of
 * dom0's own per slot), an event channel made in the guest for dom0
 * (EVTCHNOP_alloc_unbound) that dom0 binds (EVTCHNOP_bind_interdomain),
 * HVM_PARAM_STORE_PFN and HVM_PARAM_STORE_EVTCHN set on the guest, and
 * the keys libxl writes for a PVH guest that Linux reads. */
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/hvm.h>
#include <public/memory.h>

#include "dom0.h"
#include "guest.h"
#include "hypercall.h"

/* dom0's gpfns for the rings: slot i at STORE_GPA + i pages (above the
 * builder's window, inside the 4 GiB the runtime maps). */
#define STORE_GPA 0xe0800000ULL
#define PAGE 4096ULL

struct store {
  bool used;
  bool mapped;
  domid_t id;
  uint32_t port; /* dom0's end */
  struct xs_conn *conn;
};

static struct store stores[XS_MAX_CONNS];

static long memory_op(unsigned int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, PTR(arg));
}

static long set_param(domid_t id, uint32_t index, uint64_t value)
{
  struct xen_hvm_param p = {.domid = id, .index = index, .value = value};
  return hypercall2(__HYPERVISOR_hvm_op, HVMOP_set_param, PTR(&p));
}

static struct store *find(domid_t id)
{
  for (unsigned int i = 0; i < XS_MAX_CONNS; i++)
    if (stores[i].used && stores[i].id == id)
      return &stores[i];
  return NULL;
}

static volatile void *page_of(const struct store *s)
{
  return (volatile void *)(uintptr_t)(STORE_GPA + (uint64_t)(s - stores) * PAGE);
}

/* xs_write as dom0 of a formatted value at home/key. */
static int put(const char *home, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int put(const char *home, const char *key, const char *fmt, ...)
{
  char path[96], val[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(val, sizeof(val), fmt, ap);
  va_end(ap);
  snprintf(path, sizeof(path), "%s/%s", home, key);
  return xs_write(0, path, val, (size_t)n);
}

/* The nodes libxl makes (libxl__domain_make, libxl__build_post): the home
 * readable by the guest, some nodes the guest's own (it writes
 * control/feature-* and answers control/shutdown there), and what Linux
 * reads: memory/target and static-max (KiB) for its balloon driver,
 * control/platform-feature-xs_reset_watches for XS_RESET_WATCHES,
 * cpu/N/availability for its vcpu hotplug watch. */
static int keys(domid_t id, const char *name, uint64_t mem_kib, unsigned int vcpus, uint64_t gfn,
                uint32_t port)
{
  static const char *const own[] = {"control/shutdown",
                                    "control/feature-poweroff",
                                    "control/feature-reboot",
                                    "control/feature-suspend",
                                    "control/sysrq",
                                    "data",
                                    "drivers",
                                    "feature",
                                    "attr",
                                    "error"};
  char home[32], path[96];
  snprintf(home, sizeof(home), "/local/domain/%u", id);
  struct xs_perm ro[2] = {{0, 'n'}, {id, 'r'}}, rw[1] = {{id, 'n'}};
  int err = xs_mkdir(0, home);
  if (!err)
    err = xs_set_perms(0, home, ro, 2);
  if (!err)
    err = put(home, "name", "%s", name);
  if (!err)
    err = put(home, "domid", "%u", id);
  if (!err)
    err = put(home, "memory/static-max", "%lu", (unsigned long)mem_kib);
  if (!err)
    err = put(home, "memory/target", "%lu", (unsigned long)mem_kib);
  if (!err)
    err = put(home, "store/port", "%u", port);
  if (!err)
    err = put(home, "store/ring-ref", "%lu", (unsigned long)gfn);
  if (!err)
    err = put(home, "control/platform-feature-multiprocessor-suspend", "1");
  if (!err)
    err = put(home, "control/platform-feature-xs_reset_watches", "1");
  /* Linux reads each vcpu's (drivers/xen/cpu_hotplug.c). */
  for (unsigned int i = 0; !err && i < vcpus; i++) {
    snprintf(path, sizeof(path), "cpu/%u/availability", i);
    err = put(home, path, "online");
  }
  if (!err) {
    snprintf(path, sizeof(path), "%s/device", home);
    err = xs_mkdir(0, path);
  }
  for (unsigned int i = 0; !err && i < sizeof(own) / sizeof(own[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", home, own[i]);
    err = xs_write(0, path, "", 0);
    if (!err)
      err = xs_set_perms(0, path, rw, 1);
  }
  return err;
}

int xsdomain_setup(domid_t id, const char *name, uint64_t mem_kib, unsigned int vcpus, uint64_t gfn,
                   char *why, size_t size)
{
  struct store *s = NULL;
  for (unsigned int i = 0; i < XS_MAX_CONNS && !s; i++)
    if (!stores[i].used)
      s = &stores[i];
  if (!s || find(id)) {
    snprintf(why, size, "no room for its store (%u guests have one)", XS_MAX_CONNS);
    return -XEN_ENOSPC;
  }
  memset(s, 0, sizeof(*s));
  s->used = true;
  s->id = id;

  /* Its page. */
  xen_pfn_t pfn = gfn;
  struct xen_memory_reservation r = {
      .extent_start = PTR(&pfn), .nr_extents = 1, .extent_order = 0, .domid = id};
  long rc = memory_op(XENMEM_populate_physmap, &r);
  if (rc != 1) {
    snprintf(why, size, "cannot populate its store page at gfn 0x%lx", (unsigned long)gfn);
    return rc < 0 ? (int)rc : -XEN_ENOMEM;
  }
  xen_ulong_t idx = gfn;
  xen_pfn_t gpfn = (uintptr_t)page_of(s) / PAGE;
  int e = 0;
  struct xen_add_to_physmap_batch m = {.domid = DOMID_SELF,
                                       .space = XENMAPSPACE_gmfn_foreign,
                                       .size = 1,
                                       .u.foreign_domid = id,
                                       .idxs = PTR(&idx),
                                       .gpfns = PTR(&gpfn),
                                       .errs = PTR(&e)};
  rc = memory_op(XENMEM_add_to_physmap_batch, &m);
  if (rc || e) {
    snprintf(why, size, "cannot map its store page into dom0");
    return (int)(rc ? rc : e);
  }
  s->mapped = true;
  memset((void *)page_of(s), 0, PAGE);

  /* Its event channel: the guest's end made for dom0, bound here. */
  struct evtchn_alloc_unbound a = {.dom = id, .remote_dom = 0};
  if ((rc = evtchn_op(EVTCHNOP_alloc_unbound, &a))) {
    snprintf(why, size, "alloc_unbound for its store failed");
    return (int)rc;
  }
  struct evtchn_bind_interdomain b = {.remote_dom = id, .remote_port = a.port};
  if ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &b))) {
    snprintf(why, size, "bind_interdomain to its store port failed");
    return (int)rc;
  }
  s->port = b.local_port;
  if ((rc = set_param(id, HVM_PARAM_STORE_PFN, gfn)) ||
      (rc = set_param(id, HVM_PARAM_STORE_EVTCHN, a.port))) {
    snprintf(why, size, "set_param STORE_PFN/STORE_EVTCHN failed");
    return (int)rc;
  }

  s->conn = xs_conn_open(id, page_of(s));
  int err = s->conn ? keys(id, name, mem_kib, vcpus, gfn, a.port) : -XEN_ENOSPC;
  if (err)
    snprintf(why, size, "cannot write its keys to the store (%s)", xs_error_name(err));
  return err;
}

void xsdomain_release(domid_t id)
{
  struct store *s = find(id);
  if (!s)
    return;
  char home[32];
  snprintf(home, sizeof(home), "/local/domain/%u", id);
  if (s->conn) /* first: its own watches need not hear of the removal */
    xs_conn_close(s->conn);
  xs_rm(0, home);
  if (s->port) {
    struct evtchn_close c = {.port = s->port};
    evtchn_op(EVTCHNOP_close, &c);
  }
  if (s->mapped) {
    /* Gone already when the hypervisor revoked it (the guest ended). */
    struct xen_remove_from_physmap rm = {.domid = DOMID_SELF, .gpfn = (uintptr_t)page_of(s) / PAGE};
    memory_op(XENMEM_remove_from_physmap, &rm);
  }
  memset(s, 0, sizeof(*s));
}

unsigned int xsdomain_ports(uint32_t *ports, unsigned int max)
{
  unsigned int n = 0;
  for (unsigned int i = 0; i < XS_MAX_CONNS && n < max; i++)
    if (stores[i].used && stores[i].port)
      ports[n++] = stores[i].port;
  return n;
}

unsigned int xsdomain_service(void)
{
  unsigned int said = 0;
  for (unsigned int i = 0; i < XS_MAX_CONNS; i++)
    if (stores[i].used && stores[i].port)
      take_pending(stores[i].port);
  /* Twice over: a request of one guest may queue an event for another
   * served before it. */
  for (int round = 0; round < 2; round++)
    for (unsigned int i = 0; i < XS_MAX_CONNS; i++) {
      struct store *s = &stores[i];
      if (!s->used || !s->conn)
        continue;
      unsigned int did = xs_conn_service(s->conn);
      if (did & XS_SERVED_NOTIFY) {
        struct evtchn_send send = {.port = s->port};
        evtchn_op(EVTCHNOP_send, &send);
      }
      if (did & XS_SERVED_FIRST)
        printf("%scontrol: xenstore: domain %u connected\n", said++ ? "" : "\n", s->id);
      if (did & XS_SERVED_BROKE)
        printf("%scontrol: xenstore: domain %u: %s; it is served no more\n", said++ ? "" : "\n",
               s->id, xs_conn_why(s->conn));
    }
  return said;
}

void xsdomain_prune(const struct xen_domctl_getdomaininfo *d, unsigned int n)
{
  for (unsigned int i = 0; i < XS_MAX_CONNS; i++) {
    bool alive = false;
    for (unsigned int j = 0; stores[i].used && j < n; j++)
      if (d[j].domain == stores[i].id)
        alive = !(d[j].flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying));
    if (stores[i].used && !alive)
      xsdomain_release(stores[i].id);
  }
}
