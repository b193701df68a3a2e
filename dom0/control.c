/* control: a small interactive control domain, run as dom0 (the demo of
 * `make run`, and the test of several guests side by side).
 *
 * It reads lines typed on its console (CONSOLEIO_read, woken by
 * VIRQ_CONSOLE) and answers:
 *   list          one line per domain: id, state, vcpus, memory, CPU time;
 *                 then the free memory (sysctl physinfo)
 *   images        the images dom0 was given for its builder (boot modules
 *                 "dom0 image name=NAME", "dom0 ramdisk name=NAME")
 *   create NAME [mem=MIB] [vcpus=N] [-- CMDLINE]
 *                 builds a PVH guest from image NAME (and ramdisk NAME if
 *                 there is one) and starts it (builder.c)
 *   settle        waits until the hypervisor has zeroed all free memory
 *                 (what an idle machine does; for make bench)
 *   wait N        waits until domain N has ended (for exec= scripts)
 *   mem N MIB     sets domain N's balloon target: memory/target in the
 *                 store (KiB), which Linux's balloon driver follows, after
 *                 raising its maximum (XEN_DOMCTL_max_mem) if it is lower
 *   shutdown N    asks domain N to power off: control/shutdown =
 *                 "poweroff" in the store, which Linux's shutdown watch
 *                 answers with an orderly power-off
 *   store [PATH]  the store's nodes from PATH (/local/domain) down
 *   pause N       XEN_DOMCTL_pausedomain
 *   unpause N     XEN_DOMCTL_unpausedomain
 *   destroy N     XEN_DOMCTL_destroydomain
 *   help          the commands, and how to move the console focus
 *   quit          this domain powers off (the others run on)
 * Each answer is one or more lines "control: ..."; an error gives the
 * errno's name.  Its prompt is "control> "; typed bytes are echoed (the
 * serial line does not echo), backspace takes one back.
 * Domains that end are announced as they go ("control: domain N has
 * ended"), from VIRQ_DOM_EXC.  exec=CMD;CMD;... on dom0's command line
 * (the rest of the line after it) runs those commands first, as typed.
 *
 * It is also the guests' xenstore (xenstore.c; xsdomain.c gives each
 * domain that create builds its ring and event channel): it waits on the
 * console, VIRQ_DOM_EXC and every guest's store port, serves the rings,
 * and drops a domain's connection and subtree when the domain ends. */
#include <stdbool.h>

#include <public/domctl.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/xen.h>

#include "dom0.h"
#include "guest.h"
#include "hypercall.h"

#define MAX_DOMAINS 16

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const s = (volatile struct shared_info *)shinfo_page;
static unsigned int console_port, dom_exc_port;
static struct xen_domctl_getdomaininfo known[MAX_DOMAINS]; /* the last list seen */
static unsigned int nr_known;

long evtchn_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, PTR(arg));
}

void domctl_init(struct xen_domctl *op, uint32_t cmd, domid_t dom)
{
  memset(op, 0, sizeof(*op));
  op->cmd = cmd;
  op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op->domain = dom;
}

long domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op)
{
  domctl_init(op, cmd, dom);
  return hypercall1(__HYPERVISOR_domctl, PTR(op));
}

const char *errno_name(long rc)
{
  switch (-rc) {
  case XEN_EPERM: return "EPERM (not allowed)";
  case XEN_ENOENT: return "ENOENT (no such thing)";
  case XEN_ESRCH: return "ESRCH (no such domain)";
  case XEN_E2BIG: return "E2BIG (too long)";
  case XEN_ENOEXEC: return "ENOEXEC (not an image it can run)";
  case XEN_ENOMEM: return "ENOMEM (not enough memory)";
  case XEN_EINVAL: return "EINVAL (invalid)";
  case XEN_EBUSY: return "EBUSY";
  case XEN_EFAULT: return "EFAULT";
  case XEN_EEXIST: return "EEXIST (exists already)";
  case XEN_ENOSPC: return "ENOSPC (no room)";
  case XEN_ENOSYS: return "ENOSYS (not offered)";
  case XEN_EOPNOTSUPP: return "EOPNOTSUPP (not supported)";
  default: return "an error";
  }
}

/* Bind a VIRQ on vcpu 0; its port, or 0 on failure (said). */
static unsigned int bind_virq(uint32_t virq, const char *name)
{
  struct evtchn_bind_virq b = {.virq = virq, .vcpu = 0};
  long rc = evtchn_op(EVTCHNOP_bind_virq, &b);
  if (rc) {
    printf("control: cannot bind %s: %ld\n", name, rc);
    return 0;
  }
  return b.port;
}

bool take_pending(unsigned int p)
{
  if (!p)
    return false;
  uint64_t bit = 1UL << (p % 64);
  return __atomic_fetch_and(&s->evtchn_pending[p / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

/* The domains now, into known[]; returns how many (0 after an error). */
static unsigned int list_domains(void)
{
  struct xen_sysctl op = {.cmd = XEN_SYSCTL_getdomaininfolist,
                          .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
  op.u.getdomaininfolist.first_domain = 0;
  op.u.getdomaininfolist.max_domains = MAX_DOMAINS;
  op.u.getdomaininfolist.buffer = PTR(known);
  long rc = hypercall1(__HYPERVISOR_sysctl, PTR(&op));
  if (rc) {
    printf("control: getdomaininfolist: %s\n", errno_name(rc));
    return nr_known = 0;
  }
  return nr_known = op.u.getdomaininfolist.num_domains;
}

static const char *state(uint32_t flags)
{
  if (flags & XEN_DOMINF_dying)
    return "dying";
  if (flags & XEN_DOMINF_shutdown)
    return "shut down";
  if (flags & XEN_DOMINF_paused)
    return "paused";
  return "running";
}

static void cmd_list(void)
{
  unsigned int n = list_domains();
  printf("control: id  state      vcpus  memory    cpu time\n");
  for (unsigned int i = 0; i < n; i++) {
    const struct xen_domctl_getdomaininfo *d = &known[i];
    printf("control: %-3u %-10s %-6u %4lu MiB  %lu.%03lu s\n", d->domain, state(d->flags),
           d->nr_online_vcpus, (unsigned long)(d->tot_pages >> 8),
           (unsigned long)(d->cpu_time / 1000000000ULL),
           (unsigned long)(d->cpu_time / 1000000ULL % 1000));
  }
  /* The free pool, in pages (exact: a test compares it before and after). */
  struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo,
                          .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
  if (!hypercall1(__HYPERVISOR_sysctl, PTR(&op)))
    printf("control: free memory: %lu pages (%lu MiB) of %lu\n",
           (unsigned long)op.u.physinfo.free_pages, (unsigned long)(op.u.physinfo.free_pages >> 8),
           (unsigned long)op.u.physinfo.total_pages);
}

/* Domains that were in the last list and are gone or shut down now, each
 * on a line of its own; returns how many. */
static unsigned int announce_ended(void)
{
  unsigned int said = 0;
  struct xen_domctl_getdomaininfo before[MAX_DOMAINS];
  unsigned int n = nr_known;
  memcpy(before, known, sizeof(before));
  list_domains();
  for (unsigned int i = 0; i < n; i++) {
    if (before[i].flags & XEN_DOMINF_shutdown)
      continue; /* said already */
    bool alive = false;
    for (unsigned int j = 0; j < nr_known; j++)
      if (known[j].domain == before[i].domain && !(known[j].flags & XEN_DOMINF_shutdown))
        alive = true;
    if (!alive)
      printf("%scontrol: domain %u has ended\n", said++ ? "" : "\n", before[i].domain);
  }
  if (nr_known) /* (0: the list failed) */
    xsdomain_prune(known, nr_known);
  return said;
}

/* A decimal domain id after the command word, or -1. */
static long parse_id(const char *p)
{
  while (*p == ' ')
    p++;
  if (*p < '0' || *p > '9')
    return -1;
  long v = 0;
  while (*p >= '0' && *p <= '9' && v < 0x10000)
    v = v * 10 + (*p++ - '0');
  while (*p == ' ')
    p++;
  return *p || v >= DOMID_FIRST_RESERVED ? -1 : v;
}

static bool word(const char *line, const char *w, const char **rest)
{
  size_t n = strlen(w);
  if (strncmp(line, w, n) || (line[n] && line[n] != ' '))
    return false;
  *rest = line + n;
  return true;
}

static void cmd_domctl(uint32_t cmd, const char *name, const char *arg)
{
  long id = parse_id(arg);
  if (id < 0) {
    printf("control: usage: %s N (a domain id; `list` shows them)\n", name);
    return;
  }
  if (id == 0 && cmd != XEN_DOMCTL_unpausedomain) {
    printf("control: that is this domain: use quit\n");
    return;
  }
  struct xen_domctl op;
  long rc = domctl_cmd(cmd, (domid_t)id, &op);
  if (rc)
    printf("control: %s %ld: %s\n", name, id, errno_name(rc));
  else
    printf("control: %s %ld: done\n", name, id);
}

/* A decimal number in [1, max] after key= in word w; 0 when w is not
 * key=..., -1 when it is but the number is bad. */
static long key_num(const char *w, size_t wlen, const char *key, unsigned long max)
{
  size_t k = strlen(key);
  if (wlen <= k || strncmp(w, key, k) || w[k] != '=')
    return 0;
  unsigned long v = 0;
  for (size_t i = k + 1; i < wlen; i++) {
    if (w[i] < '0' || w[i] > '9' || (v = v * 10 + (unsigned long)(w[i] - '0')) > max)
      return -1;
  }
  return v && wlen > k + 1 ? (long)v : -1;
}

/* Two decimal numbers after the command word: a domain id and a count of
 * MiB (1..2^20); false when they are not there. */
static bool parse_id_mib(const char *p, long *id, unsigned long *mib)
{
  char idw[8];
  size_t n = 0;
  while (*p == ' ')
    p++;
  while (p[n] && p[n] != ' ' && n < sizeof(idw) - 1)
    n++;
  memcpy(idw, p, n);
  idw[n] = '\0';
  *id = parse_id(idw);
  p += n;
  while (*p == ' ')
    p++;
  unsigned long v = 0;
  size_t k = 0;
  for (; p[k] >= '0' && p[k] <= '9'; k++)
    if ((v = v * 10 + (unsigned long)(p[k] - '0')) > (1UL << 20))
      return false;
  for (p += k; *p == ' ';)
    p++;
  *mib = v;
  return *id >= 0 && k && v && !*p;
}

/* Domain id's store, or NULL (said). */
static bool has_store(const char *cmd, long id)
{
  if (id == 0) {
    printf("control: %s: that is this domain\n", cmd);
    return false;
  }
  if (!xs_conn_find((domid_t)id)) {
    printf("control: %s %ld: no such domain with a store (`create` gives one)\n", cmd, id);
    return false;
  }
  return true;
}

static void cmd_mem(const char *p)
{
  long id;
  unsigned long mib;
  if (!parse_id_mib(p, &id, &mib)) {
    printf("control: usage: mem N MIB (domain N's balloon target, 1..%lu MiB)\n", 1UL << 20);
    return;
  }
  if (!has_store("mem", id))
    return;
  /* Room for the target and the pages the builder adds (ACPI, store). */
  uint64_t kib = (uint64_t)mib << 10, max_kib = kib + 8;
  struct xen_domctl op;
  long rc = domctl_cmd(XEN_DOMCTL_getdomaininfo, (domid_t)id, &op);
  if (rc) {
    printf("control: mem %ld: getdomaininfo: %s\n", id, errno_name(rc));
    return;
  }
  if (op.u.getdomaininfo.max_pages * 4 < max_kib) {
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_max_mem;
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op.domain = (domid_t)id;
    op.u.max_mem.max_memkb = max_kib;
    if ((rc = hypercall1(__HYPERVISOR_domctl, PTR(&op)))) {
      printf("control: mem %ld: max_mem: %s\n", id, errno_name(rc));
      return;
    }
    printf("control: mem %ld: its maximum is now %lu KiB\n", id, (unsigned long)max_kib);
  }
  char path[48], val[24];
  snprintf(path, sizeof(path), "/local/domain/%ld/memory/target", id);
  int n = snprintf(val, sizeof(val), "%lu", (unsigned long)kib);
  int err = xs_write(0, path, val, (size_t)n);
  if (err)
    printf("control: mem %ld: %s\n", id, xs_error_name(err));
  else
    printf("control: mem %ld: memory/target = %lu KiB (its balloon driver follows)\n", id,
           (unsigned long)kib);
  xsdomain_service();
}

static void cmd_shutdown(const char *p)
{
  long id = parse_id(p);
  if (id < 0) {
    printf("control: usage: shutdown N (asks domain N to power off)\n");
    return;
  }
  if (!has_store("shutdown", id))
    return;
  char path[48];
  snprintf(path, sizeof(path), "/local/domain/%ld/control/shutdown", id);
  int err = xs_write(0, path, "poweroff", 8);
  if (err)
    printf("control: shutdown %ld: %s\n", id, xs_error_name(err));
  else
    printf("control: shutdown %ld: asked (control/shutdown = poweroff)\n", id);
  xsdomain_service();
}

/* One line of `store`: the path and its value (bytes that are not
 * printable as '.'). */
static void store_line(const char *path, const char *value, size_t len, void *arg)
{
  char v[68];
  size_t n = len < 64 ? len : 64;
  (void)arg;
  for (size_t i = 0; i < n; i++)
    v[i] = value[i] >= ' ' && value[i] < 0x7f && value[i] != '"' ? value[i] : '.';
  memcpy(v + n, len > n ? "..." : "", len > n ? 4 : 1);
  printf("control: %s = \"%s\"\n", path, v);
}

static void cmd_store(const char *p)
{
  while (*p == ' ')
    p++;
  int err = xs_walk(*p ? p : "/local/domain", store_line, NULL);
  if (err)
    printf("control: store %s: %s\n", p, xs_error_name(err));
  else
    printf("control: (%u of %u nodes free)\n", xs_nodes_free(), XS_MAX_NODES);
}

static void cmd_images(void)
{
  unsigned int n = images_count();
  if (!n)
    printf("control: no images (boot modules \"dom0 image name=NAME\")\n");
  for (unsigned int i = 0; i < n; i++) {
    const struct image *img = images_get(i);
    printf("control: %-8s %-16s %lu bytes\n", img->ramdisk ? "ramdisk" : "image", img->name,
           (unsigned long)img->size);
  }
}

static void cmd_create(const char *p)
{
  char name[IMAGE_NAME_MAX];
  struct build_request r = {.image = name, .cmdline = ""};
  size_t n = 0;
  while (*p == ' ')
    p++;
  while (p[n] && p[n] != ' ')
    n++;
  if (!n || n >= sizeof(name) || !strncmp(p, "--", 2)) {
    printf("control: usage: create NAME [mem=MIB] [vcpus=N] [-- CMDLINE]\n");
    return;
  }
  memcpy(name, p, n);
  name[n] = '\0';
  for (p += n;;) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    if (!strncmp(p, "--", 2) && (p[2] == ' ' || !p[2])) {
      r.cmdline = p[2] ? p + 3 : "";
      break;
    }
    size_t w = 0;
    while (p[w] && p[w] != ' ')
      w++;
    long mem = key_num(p, w, "mem", 1U << 20), vcpus = key_num(p, w, "vcpus", BUILDER_MAX_VCPUS);
    if (mem > 0)
      r.mem_mib = (unsigned int)mem;
    else if (vcpus > 0)
      r.vcpus = (unsigned int)vcpus;
    else {
      char bad[48];
      size_t k = w < sizeof(bad) - 1 ? w : sizeof(bad) - 1;
      memcpy(bad, p, k);
      bad[k] = '\0';
      printf("control: create: bad word '%s' (mem=MIB, vcpus=1..%u, then -- CMDLINE)\n", bad,
             BUILDER_MAX_VCPUS);
      return;
    }
    p += w;
  }
  char why[160];
  domid_t id;
  uint64_t t0 = rdtsc_ordered();
  printf("control: create %s: started at TSC %lu\n", name, (unsigned long)t0);
  struct build_times t;
  long rc = builder_create(&r, &id, why, sizeof(why), &t);
  if (rc) {
    printf("control: create %s: %s (%s)\n", name, why, errno_name(rc));
    return;
  }
  printf("control: create %s: domain %u, %u MiB, %u vcpu(s), running (%lu TSC ticks)\n", name, id,
         r.mem_mib ? r.mem_mib : BUILDER_DEFAULT_MEM_MIB, r.vcpus ? r.vcpus : 1,
         (unsigned long)(rdtsc_ordered() - t0));
  printf("control: create %s: populate %lu, map %lu, copy %lu, unmap %lu\n", name,
         (unsigned long)t.populate, (unsigned long)t.map, (unsigned long)t.copy,
         (unsigned long)t.unmap);
  list_domains(); /* so that its end is announced */
}

/* System time from the pvclock in vcpu 0's slot of shared_info. */
static uint64_t now_ns(void) { return pvclock_ns(&s->vcpu_info[0].time); }

/* Wait until the hypervisor has zeroed every free frame (physinfo's
 * scrub_pages is 0), as a machine left alone for a moment would be: the
 * time create takes then leaves out the zeroing an idle CPU does anyway. */
static void cmd_settle(void)
{
  struct xen_sysctl op;
  for (unsigned int i = 0;; i++) {
    op = (struct xen_sysctl){.cmd = XEN_SYSCTL_physinfo,
                             .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
    long rc = hypercall1(__HYPERVISOR_sysctl, PTR(&op));
    if (rc) {
      printf("control: settle: physinfo: %s\n", errno_name(rc));
      return;
    }
    if (!op.u.physinfo.scrub_pages)
      break;
    /* 10 ms at a time, the CPU left to the idle loop. */
    struct sched_poll sp = {.ports = 0, .nr_ports = 0, .timeout = now_ns() + 10000000ULL};
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, PTR(&sp));
  }
  printf("control: settle: every free frame is zeroed\n");
}

static void wait_ports(void);

/* Whether domain id has ended (shut down, crashed, or gone). */
static bool ended(domid_t id)
{
  struct xen_domctl op;
  return domctl_cmd(XEN_DOMCTL_getdomaininfo, id, &op) ||
         (op.u.getdomaininfo.flags & XEN_DOMINF_shutdown);
}

/* wait N: until domain N ends, serving the store meanwhile (a guest
 * booting needs it); typing waits too.  For scripts (exec=). */
static void cmd_wait(const char *arg)
{
  long id = parse_id(arg);
  if (id < 0) {
    printf("control: usage: wait N (a domain id)\n");
    return;
  }
  while (!ended((domid_t)id)) {
    take_pending(dom_exc_port);
    if (!xsdomain_service())
      wait_ports();
  }
  printf("control: wait %ld: it has ended\n", id);
}

static void help(void)
{
  printf("control: commands: list, images, create NAME [mem=MIB] [vcpus=N] [-- CMDLINE],\n");
  printf("control:   mem N MIB, shutdown N, store [PATH], pause N, unpause N, destroy N,\n");
  printf("control:   settle, wait N, help, quit\n");
  printf("control: Ctrl-A three times moves the console to the next domain\n");
}

/* Run one typed line; false for quit. */
static bool run(const char *line)
{
  const char *rest;
  if (!*line)
    return true;
  if (word(line, "list", &rest))
    cmd_list();
  else if (word(line, "images", &rest))
    cmd_images();
  else if (word(line, "settle", &rest))
    cmd_settle();
  else if (word(line, "wait", &rest))
    cmd_wait(rest);
  else if (word(line, "create", &rest))
    cmd_create(rest);
  else if (word(line, "mem", &rest))
    cmd_mem(rest);
  else if (word(line, "shutdown", &rest))
    cmd_shutdown(rest);
  else if (word(line, "store", &rest))
    cmd_store(rest);
  else if (word(line, "pause", &rest))
    cmd_domctl(XEN_DOMCTL_pausedomain, "pause", rest);
  else if (word(line, "unpause", &rest))
    cmd_domctl(XEN_DOMCTL_unpausedomain, "unpause", rest);
  else if (word(line, "destroy", &rest))
    cmd_domctl(XEN_DOMCTL_destroydomain, "destroy", rest);
  else if (word(line, "help", &rest))
    help();
  else if (word(line, "quit", &rest))
    return false;
  else
    printf("control: unknown command '%s' (try help)\n", line);
  return true;
}

/* Wait for the console, VIRQ_DOM_EXC or a guest's store port; the
 * console's bytes come in by CONSOLEIO_read. */
static void wait_ports(void)
{
  evtchn_port_t ports[2 + XS_MAX_CONNS] = {console_port};
  unsigned int n = 1;
  if (dom_exc_port)
    ports[n++] = dom_exc_port;
  n += xsdomain_ports(ports + n, XS_MAX_CONNS);
  struct sched_poll sp = {.ports = PTR(ports), .nr_ports = n, .timeout = 0};
  hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, PTR(&sp));
}

int guest_main(const struct hvm_start_info *si)
{
  struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                 .space = XENMAPSPACE_shared_info,
                                 .idx = 0,
                                 .gpfn = PTR(shinfo_page) >> 12};
  if (hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, PTR(&x))) {
    printf("control: cannot map shared_info\n");
    return 1;
  }
  console_port = bind_virq(VIRQ_CONSOLE, "VIRQ_CONSOLE");
  dom_exc_port = bind_virq(VIRQ_DOM_EXC, "VIRQ_DOM_EXC");
  if (!console_port)
    return 1;
  images_init(si);
  xs_init();
  list_domains();
  printf("control: the control domain (dom0); %u domain(s) running\n", nr_known);
  help();

  /* exec=...: the rest of the command line, commands split at ';'. */
  const char *cl = guest_cmdline(si), *ex = NULL;
  for (const char *q = cl; *q; q++)
    if ((q == cl || q[-1] == ' ') && !strncmp(q, "exec=", 5)) {
      ex = q + 5;
      break;
    }
  while (ex && *ex) {
    char cmd[256];
    size_t n = 0;
    while (ex[n] && ex[n] != ';')
      n++;
    if (n >= sizeof(cmd))
      n = sizeof(cmd) - 1;
    memcpy(cmd, ex, n);
    cmd[n] = '\0';
    printf("control> %s\n", cmd);
    if (!run(cmd))
      return 0;
    ex += n + (ex[n] == ';');
  }

  char line[256];
  unsigned int len = 0;
  printf("control> ");
  for (;;) {
    char c;
    take_pending(console_port);
    long n = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, 1, PTR(&c));
    bool said = take_pending(dom_exc_port) && announce_ended();
    said |= xsdomain_service() > 0;
    if (said) {
      line[len] = '\0';
      printf("control> %s", line); /* the prompt again, with what was typed */
    }
    if (n != 1) {
      wait_ports();
      continue;
    }
    if (c == '\r' || c == '\n') {
      printf("\n");
      line[len] = '\0';
      len = 0;
      if (!run(line))
        break;
      printf("control> ");
    } else if ((c == 0x7f || c == '\b') && len) {
      len--;
      printf("\b \b");
    } else if (c >= ' ' && c < 0x7f && len + 1 < sizeof(line)) {
      line[len++] = c;
      printf("%c", c);
    }
  }
  printf("control: quitting; the other domains run on\n");
  return 0;
}
