/* xenstore: a small store server for dom0, enough for Linux's xenbus
 * (its frontends, balloon driver and shutdown watch).
 *
 * The store is a tree of nodes in static pools (XS_MAX_NODES nodes, values
 * of up to XS_SMALL_VALUE bytes inline and XS_BIG_VALUES slots for longer
 * ones): when a pool is used up the request fails with ENOSPC and nothing
 * changes.  Each node has a value and permissions ("n0", "r1"...: the
 * first entry names the owner and what everyone else may do, the others
 * grant a domain more or less), inherited by the nodes created under it,
 * the creator (if not dom0) becoming their owner, as in xenstored.  On top
 * of the permissions a guest may only touch /local/domain/<its id> and
 * below (its relative paths resolve there).  dom0 may do anything.
 *
 * Guests talk to it through their ring page (struct
 * xenstore_domain_interface); xs_conn_service() reads their requests and
 * writes the answers and watch events.  Transactions are accepted but
 * isolate nothing: every write applies at once and TRANSACTION_END never
 * fails, not even with "F" (abort), which undoes nothing.  With dom0 the
 * single writer of what guests read, no conflict can be missed that
 * xenstored would have reported to Linux's users of transactions.
 *
 * No hypercall is made here (dom0/xsdomain.c is the glue), so the file
 * builds into a host unit test (test/unit/test_xenstore.c). */
#include <hv/string.h>
#include <public/errno.h>
#include <public/xs_wire.h>

#include "dom0.h"

_Static_assert(XS_PATH_BUF == XENSTORE_ABS_PATH_MAX + 1, "a path and its NUL");
_Static_assert((XS_OUT_SIZE & (XS_OUT_SIZE - 1)) == 0 &&
                   XS_OUT_SIZE >= 3 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX),
               "the answer queue: a power of 2 with room for a request's answers");
_Static_assert(XS_MAX_NODES <= 32767 && XS_MAX_CONNS <= 255, "indices in int16_t and uint8_t");

#define NIL (-1)
#define HDR ((uint32_t)sizeof(struct xsd_sockmsg))

/* Permission bits, from the letters n, r, w, b (both). */
#define P_READ 1
#define P_WRITE 2

struct node {
  bool used;
  uint8_t nperms;
  int16_t parent, child, next; /* node indices, or NIL */
  int16_t big;                 /* slot of bigs[] with the value, or NIL */
  uint16_t len;                /* the value's length */
  char name[XS_NAME_MAX];      /* "" for the root */
  char small[XS_SMALL_VALUE];  /* the value when len <= XS_SMALL_VALUE */
  struct xs_perm perms[XS_MAX_PERMS];
};

struct watch {
  bool used;
  bool relative;                /* given relative: events name paths relative to the home */
  uint8_t conn;                 /* index in conns[] */
  char path[XS_WATCH_PATH_MAX]; /* absolute, or "@releaseDomain"... */
  char token[XS_TOKEN_MAX];
};

struct xs_conn {
  bool used;
  bool broken; /* the guest broke the protocol: no longer served */
  bool served; /* it has sent a request */
  domid_t domid;
  volatile struct xenstore_domain_interface *intf;
  const char *why; /* why it broke */
  uint32_t in_len; /* bytes of the request being read */
  uint8_t in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
  uint32_t out_head, out_tail; /* queued answers: out[head..tail) mod size */
  uint8_t out[XS_OUT_SIZE];
  uint32_t tx[XS_MAX_TX]; /* open transactions' ids (0: free) */
  unsigned int nwatches;
  unsigned long dropped; /* watch events that found the queue full */
};

static struct node nodes[XS_MAX_NODES];
static char bigs[XS_BIG_VALUES][XENSTORE_PAYLOAD_MAX];
static bool big_used[XS_BIG_VALUES];
static unsigned int nodes_free;
static struct watch watches[XS_MAX_WATCHES];
static struct xs_conn conns[XS_MAX_CONNS];
static uint32_t next_tx;

/* ---- Small helpers ---- */

/* The decimal digits of v at buf (no NUL); their count. */
static size_t utoa(char *buf, unsigned long v)
{
  char tmp[24];
  size_t n = 0, i = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n)
    buf[i++] = tmp[--n];
  return i;
}

/* "/local/domain/<id>" into buf (at least 24 bytes); its length. */
static size_t home_of(domid_t id, char *buf)
{
  memcpy(buf, "/local/domain/", 14);
  size_t n = 14 + utoa(buf + 14, id);
  buf[n] = '\0';
  return n;
}

/* Whether abs is prefix itself or below it ("/a/b" is below "/a"). */
static bool below(const char *abs, const char *prefix)
{
  size_t n = strlen(prefix);
  if (strncmp(abs, prefix, n))
    return false;
  return abs[n] == '\0' || abs[n] == '/' || (n == 1 && prefix[0] == '/');
}

static bool has_slash(const char *s)
{
  while (*s && *s != '/')
    s++;
  return *s == '/';
}

static bool in_home(domid_t id, const char *abs)
{
  char home[24];
  home_of(id, home);
  return below(abs, home);
}

const char *xs_error_name(int err)
{
  switch (-err) {
  case XEN_EACCES: return "EACCES";
  case XEN_EEXIST: return "EEXIST";
  case XEN_EISDIR: return "EISDIR";
  case XEN_ENOENT: return "ENOENT";
  case XEN_ENOMEM: return "ENOMEM";
  case XEN_ENOSPC: return "ENOSPC";
  case XEN_EIO: return "EIO";
  case XEN_ENOTEMPTY: return "ENOTEMPTY";
  case XEN_ENOSYS: return "ENOSYS";
  case XEN_EROFS: return "EROFS";
  case XEN_EBUSY: return "EBUSY";
  case XEN_EAGAIN: return "EAGAIN";
  case XEN_EISCONN: return "EISCONN";
  case XEN_E2BIG: return "E2BIG";
  case XEN_EPERM: return "EPERM";
  default: return "EINVAL";
  }
}

/* ---- Paths ---- */

static bool path_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '/' || c == '_' || c == '@';
}

/* The absolute path of in as domain id names it (relative paths resolve
 * under its home) into abs[XS_PATH_BUF]: 0, -EINVAL for a malformed
 * path (empty, a character xenstored refuses, "//", a trailing '/'),
 * -E2BIG for one too long (XENSTORE_*_PATH_MAX, or a name longer than
 * XS_NAME_MAX - 1). */
static int resolve(domid_t id, const char *in, char *abs)
{
  size_t n = strlen(in), at = 0;
  if (!n)
    return -XEN_EINVAL;
  if (in[0] != '/') {
    if (n > XENSTORE_REL_PATH_MAX)
      return -XEN_E2BIG;
    at = home_of(id, abs);
    abs[at++] = '/';
  } else if (n > XENSTORE_ABS_PATH_MAX) {
    return -XEN_E2BIG;
  }
  if (at + n > XENSTORE_ABS_PATH_MAX)
    return -XEN_E2BIG;
  memcpy(abs + at, in, n + 1);
  n += at;
  size_t name = 0; /* length of the name being read */
  for (size_t i = 1; i < n; i++) {
    if (!path_char(abs[i]))
      return -XEN_EINVAL;
    if (abs[i] != '/') {
      if (++name >= XS_NAME_MAX)
        return -XEN_E2BIG;
    } else if (!name) {
      return -XEN_EINVAL; /* "//" */
    } else {
      name = 0;
    }
  }
  if (n > 1 && abs[n - 1] == '/')
    return -XEN_EINVAL;
  return 0;
}

/* The child of node p named by the n bytes at s, or NIL. */
static int child_named(int p, const char *s, size_t n)
{
  for (int c = nodes[p].child; c != NIL; c = nodes[c].next)
    if (!strncmp(nodes[c].name, s, n) && !nodes[c].name[n])
      return c;
  return NIL;
}

/* The deepest existing node on abs's way (the root at least), and in
 * *rest what of abs is left below it ("" when abs exists). */
static int deepest(const char *abs, const char **rest)
{
  int cur = 0;
  const char *p = abs + 1;
  while (*p) {
    size_t n = 0;
    while (p[n] && p[n] != '/')
      n++;
    int c = child_named(cur, p, n);
    if (c == NIL)
      break;
    cur = c;
    p += n + (p[n] == '/');
  }
  *rest = p;
  return cur;
}

static int lookup(const char *abs)
{
  const char *rest;
  int n = deepest(abs, &rest);
  return *rest ? NIL : n;
}

/* ---- Permissions ---- */

static int perm_bits(char c)
{
  return c == 'r' ? P_READ : c == 'w' ? P_WRITE : c == 'b' ? P_READ | P_WRITE : 0;
}

/* What domain id may do to node i (P_* bits), as xenstored's
 * perm_for_conn: dom0 and the owner everything, a domain named in a
 * later entry what it says, the others what the first entry says; and a
 * guest nothing outside its home. */
static int may(domid_t id, const char *abs, int i)
{
  if (id == 0)
    return P_READ | P_WRITE;
  if (!in_home(id, abs))
    return 0;
  const struct node *n = &nodes[i];
  if (n->perms[0].id == id)
    return P_READ | P_WRITE;
  for (unsigned int k = 1; k < n->nperms; k++)
    if (n->perms[k].id == id)
      return perm_bits(n->perms[k].perm);
  return perm_bits(n->perms[0].perm);
}

/* ---- Nodes ---- */

static void set_value_small(struct node *n, const void *val, size_t len)
{
  if (n->big != NIL)
    big_used[n->big] = false;
  n->big = NIL;
  memcpy(n->small, val, len);
  n->len = (uint16_t)len;
}

static int free_big(void)
{
  for (int i = 0; i < XS_BIG_VALUES; i++)
    if (!big_used[i])
      return i;
  return NIL;
}

/* Node i's value becomes val[len] (len <= XENSTORE_PAYLOAD_MAX); -ENOSPC
 * (and no change) when it needs a big slot and none is free. */
static int set_value(int i, const void *val, size_t len)
{
  struct node *n = &nodes[i];
  if (len <= XS_SMALL_VALUE) {
    set_value_small(n, val, len);
    return 0;
  }
  if (n->big == NIL) {
    int b = free_big();
    if (b == NIL)
      return -XEN_ENOSPC;
    big_used[b] = true;
    n->big = (int16_t)b;
  }
  memcpy(bigs[n->big], val, len);
  n->len = (uint16_t)len;
  return 0;
}

static const char *value_of(int i)
{
  return nodes[i].big == NIL ? nodes[i].small : bigs[nodes[i].big];
}

/* A new empty child of p named by the n bytes at s (a free node must
 * exist), last among p's children; the parent's permissions, with owner
 * as owner unless it is dom0. */
static int new_node(int p, const char *s, size_t n, domid_t owner)
{
  int i = 0;
  while (nodes[i].used)
    i++;
  struct node *c = &nodes[i];
  memset(c, 0, sizeof(*c));
  c->used = true;
  c->parent = (int16_t)p;
  c->child = c->next = c->big = NIL;
  memcpy(c->name, s, n);
  c->name[n] = '\0';
  c->nperms = nodes[p].nperms;
  memcpy(c->perms, nodes[p].perms, sizeof(c->perms));
  if (owner)
    c->perms[0].id = owner;
  int16_t *link = &nodes[p].child;
  while (*link != NIL)
    link = &nodes[*link].next;
  *link = (int16_t)i;
  nodes_free--;
  return i;
}

/* abs, and the nodes above it that are missing, for domain id, who must
 * be allowed to write the deepest one that exists; *node is abs's.  All
 * or nothing: -ENOSPC when the pool lacks room for them (or a big value
 * slot, when need_big says the value to come wants one), -EACCES. */
static int create(domid_t id, char *abs, bool need_big, int *node)
{
  const char *rest0;
  int cur = deepest(abs, &rest0);
  char *rest = abs + (rest0 - abs);
  if (!*rest) {
    if (!(may(id, abs, cur) & P_WRITE))
      return -XEN_EACCES;
    if (need_big && nodes[cur].big == NIL && free_big() == NIL)
      return -XEN_ENOSPC;
    *node = cur;
    return 0;
  }
  /* The permission of the deepest existing node rules (its own path may
   * be outside a guest's home: /local/domain for a new home).  abs is cut
   * there for a moment. */
  char *cut = rest - 1 > abs ? rest - 1 : NULL;
  if (cut)
    *cut = '\0';
  bool ok = may(id, cut ? abs : "/", cur) & P_WRITE;
  if (cut)
    *cut = '/';
  if (!ok || (id && !in_home(id, abs)))
    return -XEN_EACCES;
  unsigned int missing = 1;
  for (const char *p = rest; *p; p++)
    missing += *p == '/';
  if (missing > nodes_free || (need_big && free_big() == NIL))
    return -XEN_ENOSPC;
  while (*rest) {
    size_t n = 0;
    while (rest[n] && rest[n] != '/')
      n++;
    cur = new_node(cur, rest, n, id);
    rest += n + (rest[n] == '/');
  }
  *node = cur;
  return 0;
}

/* Free node i and everything below it, without recursion (a path may be
 * 1,500 names deep); i is unlinked from its parent first. */
static void free_subtree(int i)
{
  int16_t *link = &nodes[nodes[i].parent].child;
  while (*link != i)
    link = &nodes[*link].next;
  *link = nodes[i].next;
  nodes[i].next = NIL;
  int cur = i;
  for (;;) {
    while (nodes[cur].child != NIL)
      cur = nodes[cur].child;
    int up = nodes[cur].parent;
    if (nodes[cur].big != NIL)
      big_used[nodes[cur].big] = false;
    nodes[cur].used = false;
    nodes_free++;
    if (cur == i)
      return;
    nodes[up].child = nodes[cur].next; /* cur was up's first child */
    cur = up;
  }
}

/* ---- Watches ---- */

static uint32_t out_free(const struct xs_conn *c)
{
  return XS_OUT_SIZE - (c->out_tail - c->out_head);
}

/* Queue a message to c: the header and a payload of two parts (a[an],
 * b[bn]); false (nothing queued) when the queue has no room. */
static bool queue2(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
                   uint32_t an, const void *b, uint32_t bn)
{
  struct xsd_sockmsg h = {type, req_id, tx_id, an + bn};
  if (out_free(c) < HDR + an + bn)
    return false;
  const uint8_t *parts[3] = {(const uint8_t *)&h, a, b};
  uint32_t sizes[3] = {HDR, an, bn};
  for (int k = 0; k < 3; k++)
    for (uint32_t j = 0; j < sizes[k]; j++)
      c->out[c->out_tail++ % XS_OUT_SIZE] = parts[k][j];
  return true;
}

static bool queue(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                  const void *payload, uint32_t len)
{
  return queue2(c, type, req_id, tx_id, payload, len, "", 0);
}

/* Tell watch w that path (absolute) changed. */
static void send_event(struct watch *w, const char *path)
{
  struct xs_conn *c = &conns[w->conn];
  char home[24];
  size_t hl = home_of(c->domid, home);
  if (w->relative && !strncmp(path, home, hl) && path[hl] == '/')
    path += hl + 1;
  if (!queue2(c, XS_WATCH_EVENT, 0, 0, path, (uint32_t)strlen(path) + 1, w->token,
              (uint32_t)strlen(w->token) + 1))
    c->dropped++;
}

/* abs (node i) was written, or (recursive) is about to be removed with
 * what is below it: the watches on it or above it fire with abs, those
 * below it (recursive) with their own path, for the domains that may
 * read node i. */
static void fire(const char *abs, int i, bool recursive)
{
  for (unsigned int k = 0; k < XS_MAX_WATCHES; k++) {
    struct watch *w = &watches[k];
    if (!w->used || w->path[0] != '/')
      continue;
    const char *ev;
    if (below(abs, w->path))
      ev = abs;
    else if (recursive && below(w->path, abs))
      ev = w->path;
    else
      continue;
    domid_t id = conns[w->conn].domid;
    if (may(id, ev, i) & P_READ)
      send_event(w, ev);
  }
}

/* ---- The operations, for any caller ---- */

int xs_read(domid_t caller, const char *path, char *buf, size_t size, size_t *len)
{
  char abs[XS_PATH_BUF];
  int err = resolve(caller, path, abs);
  if (err)
    return err;
  if (caller && !in_home(caller, abs))
    return -XEN_EACCES;
  int i = lookup(abs);
  if (i == NIL)
    return -XEN_ENOENT;
  if (!(may(caller, abs, i) & P_READ))
    return -XEN_EACCES;
  if (nodes[i].len > size)
    return -XEN_E2BIG;
  memcpy(buf, value_of(i), nodes[i].len);
  *len = nodes[i].len;
  return 0;
}

int xs_write(domid_t caller, const char *path, const void *val, size_t len)
{
  char abs[XS_PATH_BUF];
  int err = resolve(caller, path, abs), i;
  if (err)
    return err;
  if (len > XENSTORE_PAYLOAD_MAX)
    return -XEN_E2BIG;
  if (caller && !in_home(caller, abs))
    return -XEN_EACCES;
  if ((err = create(caller, abs, len > XS_SMALL_VALUE, &i)))
    return err;
  if ((err = set_value(i, val, len))) /* cannot fail: create() checked */
    return err;
  fire(abs, i, false);
  return 0;
}

int xs_mkdir(domid_t caller, const char *path)
{
  char abs[XS_PATH_BUF];
  int err = resolve(caller, path, abs), i;
  if (err)
    return err;
  if (caller && !in_home(caller, abs))
    return -XEN_EACCES;
  if (lookup(abs) != NIL)
    return 0;
  if ((err = create(caller, abs, false, &i)))
    return err;
  fire(abs, i, false);
  return 0;
}

int xs_rm(domid_t caller, const char *path)
{
  char abs[XS_PATH_BUF];
  int err = resolve(caller, path, abs);
  if (err)
    return err;
  if (!strcmp(abs, "/"))
    return -XEN_EINVAL;
  if (caller && !in_home(caller, abs))
    return -XEN_EACCES;
  const char *rest;
  int i = deepest(abs, &rest);
  if (*rest) /* absent: fine when its parent exists, as in xenstored */
    return has_slash(rest) ? -XEN_ENOENT : 0;
  if (!(may(caller, abs, i) & P_WRITE))
    return -XEN_EACCES;
  fire(abs, i, true);
  free_subtree(i);
  return 0;
}

int xs_set_perms(domid_t caller, const char *path, const struct xs_perm *perms, unsigned int n)
{
  char abs[XS_PATH_BUF];
  int err = resolve(caller, path, abs);
  if (err)
    return err;
  if (!n)
    return -XEN_EINVAL;
  if (n > XS_MAX_PERMS)
    return -XEN_E2BIG;
  for (unsigned int k = 0; k < n; k++)
    if (perms[k].id >= DOMID_FIRST_RESERVED || (perms[k].perm != 'n' && !perm_bits(perms[k].perm)))
      return -XEN_EINVAL;
  if (caller && !in_home(caller, abs))
    return -XEN_EACCES;
  int i = lookup(abs);
  if (i == NIL)
    return -XEN_ENOENT;
  /* Only dom0 gives a node away. */
  if (!(may(caller, abs, i) & P_WRITE) || (caller && perms[0].id != nodes[i].perms[0].id))
    return -XEN_EACCES;
  memset(nodes[i].perms, 0, sizeof(nodes[i].perms));
  memcpy(nodes[i].perms, perms, n * sizeof(*perms));
  nodes[i].nperms = (uint8_t)n;
  fire(abs, i, false);
  return 0;
}

int xs_get_perms(domid_t caller, const char *path, struct xs_perm *perms, unsigned int *n)
{
  char abs[XS_PATH_BUF];
  int err = resolve(caller, path, abs);
  if (err)
    return err;
  if (caller && !in_home(caller, abs))
    return -XEN_EACCES;
  int i = lookup(abs);
  if (i == NIL)
    return -XEN_ENOENT;
  if (!(may(caller, abs, i) & P_READ))
    return -XEN_EACCES;
  memcpy(perms, nodes[i].perms, nodes[i].nperms * sizeof(*perms));
  *n = nodes[i].nperms;
  return 0;
}

int xs_walk(const char *path,
            void (*fn)(const char *path, const char *value, size_t len, void *arg), void *arg)
{
  char abs[XS_PATH_BUF];
  int err = resolve(0, path, abs);
  if (err)
    return err;
  int top = lookup(abs), cur = top;
  if (top == NIL)
    return -XEN_ENOENT;
  size_t len = strlen(abs);
  for (;;) {
    fn(abs, value_of(cur), nodes[cur].len, arg);
    if (nodes[cur].child != NIL) {
      cur = nodes[cur].child;
    } else {
      /* Up until a node with a next sibling (not above top). */
      while (cur != top && nodes[cur].next == NIL) {
        cur = nodes[cur].parent;
        while (len > 1 && abs[len - 1] != '/')
          len--;
        len -= len > 1;
      }
      if (cur == top)
        return 0;
      cur = nodes[cur].next;
      while (abs[len - 1] != '/') /* drop the sibling's name */
        len--;
      len--;
    }
    /* Append cur's name. */
    size_t n = strlen(nodes[cur].name);
    if (len > 1)
      abs[len++] = '/';
    memcpy(abs + len, nodes[cur].name, n + 1);
    len += n;
  }
}

unsigned int xs_nodes_free(void) { return nodes_free; }

void xs_init(void)
{
  memset(nodes, 0, sizeof(nodes));
  memset(big_used, 0, sizeof(big_used));
  memset(watches, 0, sizeof(watches));
  memset(conns, 0, sizeof(conns));
  next_tx = 0;
  struct node *root = &nodes[0];
  root->used = true;
  root->parent = root->child = root->next = root->big = NIL;
  root->nperms = 1;
  root->perms[0] = (struct xs_perm){0, 'n'};
  nodes_free = XS_MAX_NODES - 1;
  xs_mkdir(0, "/local/domain");
}

/* ---- Connections: a guest's ring ---- */

struct xs_conn *xs_conn_open(domid_t domid, volatile void *page)
{
  if (!domid || xs_conn_find(domid))
    return NULL;
  for (unsigned int i = 0; i < XS_MAX_CONNS; i++) {
    struct xs_conn *c = &conns[i];
    if (c->used)
      continue;
    memset(c, 0, sizeof(*c));
    c->used = true;
    c->domid = domid;
    c->intf = page;
    return c;
  }
  return NULL;
}

struct xs_conn *xs_conn_find(domid_t domid)
{
  for (unsigned int i = 0; i < XS_MAX_CONNS; i++)
    if (conns[i].used && conns[i].domid == domid)
      return &conns[i];
  return NULL;
}

static void drop_watches(struct xs_conn *c)
{
  for (unsigned int k = 0; k < XS_MAX_WATCHES; k++)
    if (watches[k].used && &conns[watches[k].conn] == c)
      watches[k].used = false;
  c->nwatches = 0;
}

void xs_conn_close(struct xs_conn *c)
{
  drop_watches(c);
  c->used = false;
}

domid_t xs_conn_domid(const struct xs_conn *c) { return c->domid; }

const char *xs_conn_why(const struct xs_conn *c) { return c->broken ? c->why : NULL; }

unsigned long xs_conn_dropped(const struct xs_conn *c) { return c->dropped; }

/* ---- Requests ---- */

static char rbuf[XENSTORE_PAYLOAD_MAX]; /* the answer being made */
static uint32_t rlen;

static int answer(const void *s, size_t n)
{
  if (rlen + n > sizeof(rbuf))
    return -XEN_E2BIG;
  memcpy(rbuf + rlen, s, n);
  rlen += (uint32_t)n;
  return 0;
}

/* Split payload p[len] (p[len] is a NUL) into NUL-terminated strings:
 * exactly want of them, or -1. */
static int strings(char *p, uint32_t len, const char **v, int want)
{
  int n = 0;
  uint32_t at = 0;
  if (!len || p[len - 1])
    return -1;
  while (at < len) {
    if (n == want)
      return -1;
    v[n++] = p + at;
    at += (uint32_t)strlen(p + at) + 1;
  }
  return n == want ? 0 : -1;
}

static bool is_digits(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* The decimal s (digits only) if below limit, else -1. */
static long number(const char *s, unsigned long limit)
{
  unsigned long v = 0;
  if (!is_digits(s))
    return -1;
  for (; *s; s++)
    if ((v = v * 10 + (unsigned long)(*s - '0')) >= limit)
      return -1;
  return (long)v;
}

static int do_directory(struct xs_conn *c, const char *path)
{
  char abs[XS_PATH_BUF];
  int err = resolve(c->domid, path, abs);
  if (err)
    return err;
  if (!in_home(c->domid, abs))
    return -XEN_EACCES;
  int i = lookup(abs);
  if (i == NIL)
    return -XEN_ENOENT;
  if (!(may(c->domid, abs, i) & P_READ))
    return -XEN_EACCES;
  for (int k = nodes[i].child; k != NIL; k = nodes[k].next)
    if ((err = answer(nodes[k].name, strlen(nodes[k].name) + 1)))
      return err;
  return 0;
}

static int do_get_perms(struct xs_conn *c, const char *path)
{
  struct xs_perm p[XS_MAX_PERMS];
  unsigned int n;
  int err = xs_get_perms(c->domid, path, p, &n);
  for (unsigned int k = 0; !err && k < n; k++) {
    char s[8];
    s[0] = p[k].perm;
    size_t l = 1 + utoa(s + 1, p[k].id);
    s[l++] = '\0';
    err = answer(s, l);
  }
  return err;
}

/* "path\0" then one "<letter><domid>\0" per entry. */
static int do_set_perms(struct xs_conn *c, char *p, uint32_t len)
{
  struct xs_perm perms[XS_MAX_PERMS];
  unsigned int n = 0;
  if (!len || p[len - 1])
    return -XEN_EINVAL;
  const char *path = p;
  for (uint32_t at = (uint32_t)strlen(p) + 1; at < len; at += (uint32_t)strlen(p + at) + 1) {
    long id = number(p + at + 1, DOMID_FIRST_RESERVED);
    if (!p[at] || id < 0)
      return -XEN_EINVAL;
    if (n == XS_MAX_PERMS)
      return -XEN_E2BIG;
    perms[n++] = (struct xs_perm){(uint16_t)id, p[at]};
  }
  return xs_set_perms(c->domid, path, perms, n);
}

static int do_watch(struct xs_conn *c, const char *path, const char *token, bool add)
{
  char abs[XS_PATH_BUF];
  bool special = path[0] == '@';
  if (special) {
    if (strcmp(path, "@introduceDomain") && strcmp(path, "@releaseDomain"))
      return -XEN_EINVAL;
    memcpy(abs, path, strlen(path) + 1);
  } else {
    int err = resolve(c->domid, path, abs);
    if (err)
      return err;
  }
  if (strlen(abs) >= XS_WATCH_PATH_MAX || strlen(token) >= XS_TOKEN_MAX)
    return -XEN_E2BIG;
  unsigned int conn = (unsigned int)(c - conns), freew = XS_MAX_WATCHES;
  for (unsigned int k = 0; k < XS_MAX_WATCHES; k++) {
    struct watch *w = &watches[k];
    if (!w->used) {
      freew = freew < k ? freew : k;
      continue;
    }
    if (w->conn != conn || strcmp(w->path, abs) || strcmp(w->token, token))
      continue;
    if (add)
      return -XEN_EEXIST;
    w->used = false;
    c->nwatches--;
    return 0;
  }
  if (!add)
    return -XEN_ENOENT;
  if (freew == XS_MAX_WATCHES || c->nwatches >= XS_MAX_CONN_WATCHES)
    return -XEN_ENOSPC;
  struct watch *w = &watches[freew];
  w->used = true;
  w->relative = !special && path[0] != '/';
  w->conn = (uint8_t)conn;
  memcpy(w->path, abs, strlen(abs) + 1);
  memcpy(w->token, token, strlen(token) + 1);
  c->nwatches++;
  return 0;
}

/* The transaction tx_id of c's: its slot, or -1. */
static int tx_slot(struct xs_conn *c, uint32_t tx_id)
{
  for (int k = 0; k < XS_MAX_TX; k++)
    if (tx_id && c->tx[k] == tx_id)
      return k;
  return -1;
}

static int do_tx_start(struct xs_conn *c)
{
  int k;
  for (k = 0; k < XS_MAX_TX && c->tx[k]; k++)
    ;
  if (k == XS_MAX_TX)
    return -XEN_ENOSPC;
  if (!++next_tx) /* 0 means none */
    next_tx = 1;
  c->tx[k] = next_tx;
  char s[16];
  size_t l = utoa(s, next_tx);
  s[l++] = '\0';
  return answer(s, l);
}

/* Do what the request in c->in asks; the answer (or an error) is in
 * rbuf[rlen] and the return value. */
static int dispatch(struct xs_conn *c, const struct xsd_sockmsg *h, char *p)
{
  const char *v[2];
  int err;
  rlen = 0;
  if (h->tx_id && h->type != XS_TRANSACTION_START && tx_slot(c, h->tx_id) < 0)
    return -XEN_ENOENT;
  switch (h->type) {
  case XS_READ: {
    size_t n;
    if (strings(p, h->len, v, 1))
      return -XEN_EINVAL;
    if ((err = xs_read(c->domid, v[0], rbuf, sizeof(rbuf), &n)))
      return err;
    rlen = (uint32_t)n;
    return 0;
  }
  case XS_DIRECTORY: return strings(p, h->len, v, 1) ? -XEN_EINVAL : do_directory(c, v[0]);
  case XS_GET_PERMS: return strings(p, h->len, v, 1) ? -XEN_EINVAL : do_get_perms(c, v[0]);
  case XS_WRITE: {
    size_t pl = strlen(p);
    if (pl == h->len)
      return -XEN_EINVAL; /* no NUL after the path */
    err = xs_write(c->domid, p, p + pl + 1, h->len - pl - 1);
    break;
  }
  case XS_MKDIR: err = strings(p, h->len, v, 1) ? -XEN_EINVAL : xs_mkdir(c->domid, v[0]); break;
  case XS_RM: err = strings(p, h->len, v, 1) ? -XEN_EINVAL : xs_rm(c->domid, v[0]); break;
  case XS_SET_PERMS: err = do_set_perms(c, p, h->len); break;
  case XS_WATCH:
  case XS_UNWATCH:
    if (strings(p, h->len, v, 2))
      return -XEN_EINVAL;
    err = do_watch(c, v[0], v[1], h->type == XS_WATCH);
    break;
  case XS_TRANSACTION_START: return h->tx_id ? -XEN_EBUSY : do_tx_start(c);
  case XS_TRANSACTION_END:
    if (!h->tx_id || strings(p, h->len, v, 1) || (strcmp(v[0], "T") && strcmp(v[0], "F")))
      return -XEN_EINVAL;
    c->tx[tx_slot(c, h->tx_id)] = 0; /* "F" undoes nothing: see the top */
    err = 0;
    break;
  case XS_GET_DOMAIN_PATH: {
    long id;
    char home[24];
    if (strings(p, h->len, v, 1) || (id = number(v[0], DOMID_FIRST_RESERVED)) < 0)
      return -XEN_EINVAL;
    return answer(home, home_of((domid_t)id, home) + 1);
  }
  case XS_RESET_WATCHES:
    drop_watches(c);
    memset(c->tx, 0, sizeof(c->tx));
    err = 0;
    break;
  case XS_CONTROL:
  case XS_INTRODUCE:
  case XS_RELEASE:
  case XS_IS_DOMAIN_INTRODUCED:
  case XS_RESUME:
  case XS_SET_TARGET:
  case XS_SET_FEATURE:
  case XS_SET_QUOTA: return -XEN_EACCES; /* dom0's, and dom0 has no ring */
  case XS_DIRECTORY_PART:
  case XS_GET_FEATURE:
  case XS_GET_QUOTA: return -XEN_ENOSYS;
  default: return -XEN_EINVAL;
  }
  return err ? err : answer("OK", 3);
}

/* Mark c broken (it is served no more): why, and the error code its
 * page shows. */
static void broke(struct xs_conn *c, const char *why, uint32_t code)
{
  c->broken = true;
  c->why = why;
  c->intf->error = code;
}

/* Move queued bytes into the answer ring; whether any moved. */
static bool flush(struct xs_conn *c)
{
  volatile struct xenstore_domain_interface *r = c->intf;
  XENSTORE_RING_IDX cons = r->rsp_cons, prod = r->rsp_prod;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (prod - cons > XENSTORE_RING_SIZE) {
    broke(c, "answer ring indices out of range", XENSTORE_ERROR_RINGIDX);
    return false;
  }
  uint32_t n = 0;
  while (c->out_head != c->out_tail && prod - cons < XENSTORE_RING_SIZE) {
    r->rsp[MASK_XENSTORE_IDX(prod)] = (char)c->out[c->out_head++ % XS_OUT_SIZE];
    prod++;
    n++;
  }
  if (!n)
    return false;
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the bytes before the index */
  r->rsp_prod = prod;
  return true;
}

unsigned int xs_conn_service(struct xs_conn *c)
{
  unsigned int did = 0;
  if (!c->used || c->broken)
    return 0;
  for (;;) {
    if (flush(c))
      did |= XS_SERVED_NOTIFY;
    volatile struct xenstore_domain_interface *r = c->intf;
    XENSTORE_RING_IDX prod = r->req_prod, cons = r->req_cons, start = cons;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index before the bytes */
    if (c->broken)
      return did | XS_SERVED_BROKE;
    if (prod - cons > XENSTORE_RING_SIZE) {
      broke(c, "request ring indices out of range", XENSTORE_ERROR_RINGIDX);
      return did | XS_SERVED_BROKE;
    }
    /* A request is taken only when its longest answer fits the queue. */
    while (cons != prod && out_free(c) >= 2 * (HDR + XENSTORE_PAYLOAD_MAX)) {
      struct xsd_sockmsg h;
      memcpy(&h, c->in, HDR); /* meaningful once in_len >= HDR */
      uint32_t want = c->in_len < HDR ? HDR - c->in_len : HDR + h.len - c->in_len;
      uint32_t chunk = prod - cons;
      if (chunk > want)
        chunk = want;
      if (chunk > XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons))
        chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
      for (uint32_t j = 0; j < chunk; j++)
        c->in[c->in_len++] = (uint8_t)r->req[MASK_XENSTORE_IDX(cons + j)];
      cons += chunk;
      if (c->in_len < HDR)
        continue;
      memcpy(&h, c->in, HDR);
      if (h.len > XENSTORE_PAYLOAD_MAX) {
        broke(c, "a request longer than XENSTORE_PAYLOAD_MAX", XENSTORE_ERROR_COMM);
        break;
      }
      if (c->in_len < HDR + h.len)
        continue;
      char *p = (char *)c->in + HDR;
      p[h.len] = '\0';
      int err = dispatch(c, &h, p);
      const char *e = xs_error_name(err);
      if (err)
        queue(c, XS_ERROR, h.req_id, h.tx_id, e, (uint32_t)strlen(e) + 1);
      else
        queue(c, h.type, h.req_id, h.tx_id, rbuf, rlen);
      /* A new watch fires once at once, after its answer, with the path
       * as given: the request's own payload. */
      if (h.type == XS_WATCH && !err)
        queue(c, XS_WATCH_EVENT, 0, 0, p, h.len);
      c->in_len = 0;
      if (!c->served)
        did |= XS_SERVED_FIRST;
      c->served = true;
    }
    if (cons == start)
      return did | (c->broken ? XS_SERVED_BROKE : 0);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* done with the bytes */
    r->req_cons = cons;
    did |= XS_SERVED_NOTIFY;
    if (c->broken)
      return did | XS_SERVED_BROKE;
  }
}
