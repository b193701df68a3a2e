/* Unit tests of dom0's xenstore (dom0/xenstore.c): the tree, paths,
 * permissions, the pools' bounds, and the ring protocol as a guest's
 * xenbus speaks it (over a fake shared page), including garbage. */
#include "unit.h"

#include <public/errno.h>
#include <public/xs_wire.h>

#include "../../dom0/dom0.h"

static struct xenstore_domain_interface page1, page2;
static struct xs_conn *c1, *c2;

/* The store as xsdomain.c leaves it for guests 1 and 2: homes readable
 * by their guest, control/shutdown and data the guest's own. */
static int setup(void **state)
{
  (void)state;
  xs_init();
  memset(&page1, 0, sizeof(page1));
  memset(&page2, 0, sizeof(page2));
  for (domid_t id = 1; id <= 2; id++) {
    char home[32], path[64];
    struct xs_perm ro[2] = {{0, 'n'}, {id, 'r'}}, rw[1] = {{id, 'n'}};
    snprintf(home, sizeof(home), "/local/domain/%u", id);
    assert_int_equal(xs_mkdir(0, home), 0);
    assert_int_equal(xs_set_perms(0, home, ro, 2), 0);
    snprintf(path, sizeof(path), "%s/memory/target", home);
    assert_int_equal(xs_write(0, path, "262144", 6), 0);
    snprintf(path, sizeof(path), "%s/control/shutdown", home);
    assert_int_equal(xs_write(0, path, "", 0), 0);
    assert_int_equal(xs_set_perms(0, path, rw, 1), 0);
    snprintf(path, sizeof(path), "%s/data", home);
    assert_int_equal(xs_mkdir(0, path), 0);
    assert_int_equal(xs_set_perms(0, path, rw, 1), 0);
  }
  c1 = xs_conn_open(1, &page1);
  c2 = xs_conn_open(2, &page2);
  assert_non_null(c1);
  assert_non_null(c2);
  return 0;
}

/* xs_read into a string. */
static int rd(domid_t caller, const char *path, char *buf)
{
  size_t n = 0;
  int err = xs_read(caller, path, buf, 4095, &n);
  buf[err ? 0 : n] = '\0';
  return err;
}

/* ---- The guest's side of the ring ---- */

static uint32_t next_req = 100;

/* Put raw bytes into the request ring (there must be room). */
static void put_raw(struct xenstore_domain_interface *p, const void *data, uint32_t n)
{
  const uint8_t *d = data;
  assert_true(p->req_prod - p->req_cons + n <= XENSTORE_RING_SIZE);
  for (uint32_t i = 0; i < n; i++)
    p->req[MASK_XENSTORE_IDX(p->req_prod + i)] = (char)d[i];
  p->req_prod += n;
}

/* A request of type with payload[len]; its req_id. */
static uint32_t send_msg(struct xenstore_domain_interface *p, uint32_t type, uint32_t tx,
                         const void *payload, uint32_t len)
{
  struct xsd_sockmsg h = {type, next_req++, tx, len};
  put_raw(p, &h, sizeof(h));
  put_raw(p, payload, len);
  return h.req_id;
}

/* Take the next message from the answer ring: its header, payload into
 * buf (NUL added); false when none is there. */
static bool recv_msg(struct xenstore_domain_interface *p, struct xsd_sockmsg *h, char *buf)
{
  uint32_t avail = p->rsp_prod - p->rsp_cons;
  if (avail < sizeof(*h))
    return false;
  uint8_t *hb = (uint8_t *)h;
  for (uint32_t i = 0; i < sizeof(*h); i++)
    hb[i] = (uint8_t)p->rsp[MASK_XENSTORE_IDX(p->rsp_cons + i)];
  assert_true(avail >= sizeof(*h) + h->len);
  for (uint32_t i = 0; i < h->len; i++)
    buf[i] = p->rsp[MASK_XENSTORE_IDX(p->rsp_cons + sizeof(*h) + i)];
  buf[h->len] = '\0';
  p->rsp_cons += sizeof(*h) + h->len;
  return true;
}

/* One request with a string payload (its NUL included), served; the
 * answer's type, its payload in buf. */
static uint32_t call(struct xs_conn *c, struct xenstore_domain_interface *p, uint32_t type,
                     const char *arg, char *buf)
{
  uint32_t id = send_msg(p, type, 0, arg, (uint32_t)strlen(arg) + 1);
  unsigned int did = xs_conn_service(c);
  assert_true(did & XS_SERVED_NOTIFY);
  assert_int_equal(p->req_cons, p->req_prod);
  struct xsd_sockmsg h;
  assert_true(recv_msg(p, &h, buf));
  assert_int_equal(h.req_id, id);
  return h.type;
}

/* A request whose payload is two strings. */
static uint32_t call2(struct xs_conn *c, struct xenstore_domain_interface *p, uint32_t type,
                      const char *a, const char *b, bool nul_b, char *buf)
{
  char msg[256];
  size_t al = strlen(a) + 1, bl = strlen(b) + (nul_b ? 1 : 0);
  memcpy(msg, a, al);
  memcpy(msg + al, b, bl);
  uint32_t id = send_msg(p, type, 0, msg, (uint32_t)(al + bl));
  xs_conn_service(c);
  struct xsd_sockmsg h;
  assert_true(recv_msg(p, &h, buf));
  assert_int_equal(h.req_id, id);
  return h.type;
}

/* ---- The tree, as dom0 uses it ---- */

static void test_tree_read_write_rm(void **state)
{
  char buf[4096];
  (void)state;
  assert_int_equal(xs_write(0, "/a/b/c", "hello", 5), 0);
  assert_int_equal(rd(0, "/a/b/c", buf), 0);
  assert_string_equal(buf, "hello");
  assert_int_equal(rd(0, "/a/b", buf), 0); /* made on the way, empty */
  assert_string_equal(buf, "");
  assert_int_equal(xs_write(0, "/a/b/c", "bye", 3), 0); /* overwritten */
  assert_int_equal(rd(0, "/a/b/c", buf), 0);
  assert_string_equal(buf, "bye");
  assert_int_equal(rd(0, "/a/x", buf), -XEN_ENOENT);
  assert_int_equal(xs_mkdir(0, "/a/b"), 0); /* exists: fine */
  unsigned int before = xs_nodes_free();
  assert_int_equal(xs_rm(0, "/a"), 0);
  assert_int_equal(xs_nodes_free(), before + 3);
  assert_int_equal(rd(0, "/a/b/c", buf), -XEN_ENOENT);
  assert_int_equal(xs_rm(0, "/a"), 0);             /* missing, parent there */
  assert_int_equal(xs_rm(0, "/a/b"), -XEN_ENOENT); /* parent missing */
  assert_int_equal(xs_rm(0, "/"), -XEN_EINVAL);
  /* Relative paths of dom0 are under /local/domain/0. */
  assert_int_equal(xs_write(0, "rel", "1", 1), 0);
  assert_int_equal(rd(0, "/local/domain/0/rel", buf), 0);
  /* A value as long as a message allows, and back. */
  memset(buf, 'v', sizeof(buf));
  assert_int_equal(xs_write(0, "/big", buf, sizeof(buf)), 0);
  size_t n;
  char back[4096];
  assert_int_equal(xs_read(0, "/big", back, sizeof(back), &n), 0);
  assert_int_equal(n, sizeof(buf));
  assert_memory_equal(back, buf, n);
  assert_int_equal(xs_read(0, "/big", back, 10, &n), -XEN_E2BIG);
  assert_int_equal(xs_write(0, "/big", buf, 4097), -XEN_E2BIG);
}

static void test_paths(void **state)
{
  char buf[4096], path[4000];
  (void)state;
  assert_int_equal(xs_write(0, "", "x", 1), -XEN_EINVAL);
  assert_int_equal(xs_write(0, "/a//b", "x", 1), -XEN_EINVAL);
  assert_int_equal(xs_write(0, "/a/", "x", 1), -XEN_EINVAL);
  assert_int_equal(xs_write(0, "/a/../b", "x", 1), -XEN_EINVAL);
  assert_int_equal(xs_write(0, "/a b", "x", 1), -XEN_EINVAL);
  assert_int_equal(xs_write(0, "/a-b_c@d/E9", "x", 1), 0);
  memset(path, 'n', sizeof(path));
  path[0] = '/';
  path[XS_NAME_MAX] = '\0'; /* a name of XS_NAME_MAX - 1 characters: fine */
  assert_int_equal(xs_write(0, path, "x", 1), 0);
  path[XS_NAME_MAX] = 'n';
  path[XS_NAME_MAX + 1] = '\0';
  assert_int_equal(xs_write(0, path, "x", 1), -XEN_E2BIG);
  for (int i = 0; i < 3990; i++)
    path[i] = i % 2 ? 'n' : '/';
  path[3073] = '\0';
  assert_int_equal(xs_write(0, path, "x", 1), -XEN_E2BIG);
  assert_int_equal(rd(0, "/", buf), 0); /* the root exists */
}

static void test_guest_permissions(void **state)
{
  char buf[4096];
  struct xs_perm p[XS_MAX_PERMS];
  unsigned int n;
  (void)state;
  /* Its home: readable, not writable; its own nodes writable. */
  assert_int_equal(rd(1, "memory/target", buf), 0);
  assert_string_equal(buf, "262144");
  assert_int_equal(rd(1, "/local/domain/1/memory/target", buf), 0);
  assert_int_equal(xs_write(1, "memory/target", "1", 1), -XEN_EACCES);
  assert_int_equal(xs_write(1, "newkey", "1", 1), -XEN_EACCES);
  assert_int_equal(xs_rm(1, "/local/domain/1"), -XEN_EACCES);
  assert_int_equal(xs_write(1, "control/shutdown", "", 0), 0);
  assert_int_equal(xs_write(1, "data/x/y", "mine", 4), 0);
  assert_int_equal(xs_get_perms(1, "data/x/y", p, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(p[0].id, 1); /* created by the guest: its own */
  /* Not another guest's, not the rest of the tree. */
  assert_int_equal(rd(2, "/local/domain/1/data/x/y", buf), -XEN_EACCES);
  assert_int_equal(xs_write(2, "/local/domain/1/data/x/y", "z", 1), -XEN_EACCES);
  assert_int_equal(xs_rm(2, "/local/domain/1/data"), -XEN_EACCES);
  assert_int_equal(rd(1, "/local/domain", buf), -XEN_EACCES);
  assert_int_equal(xs_write(1, "/tool", "z", 1), -XEN_EACCES);
  assert_int_equal(rd(1, "/local/domain/10", buf), -XEN_EACCES); /* not its home */
  assert_int_equal(rd(1, "/local/domain/1/nothing", buf), -XEN_ENOENT);
  /* Permissions: the guest may set its own node's, not give it away. */
  struct xs_perm mine[2] = {{1, 'n'}, {2, 'r'}}, away[1] = {{2, 'n'}};
  assert_int_equal(xs_set_perms(1, "data/x/y", mine, 2), 0);
  assert_int_equal(xs_set_perms(1, "data/x/y", away, 1), -XEN_EACCES);
  assert_int_equal(xs_set_perms(1, "memory/target", mine, 2), -XEN_EACCES);
  struct xs_perm bad[1] = {{1, 'x'}};
  assert_int_equal(xs_set_perms(1, "data/x/y", bad, 1), -XEN_EINVAL);
  assert_int_equal(xs_set_perms(1, "data/x/y", mine, 0), -XEN_EINVAL);
  assert_int_equal(xs_set_perms(0, "data/x/y", mine, XS_MAX_PERMS + 1), -XEN_E2BIG);
  /* A node dom0 keeps from its guest. */
  struct xs_perm hidden[1] = {{0, 'n'}};
  assert_int_equal(xs_write(0, "/local/domain/1/secret", "s", 1), 0);
  assert_int_equal(xs_set_perms(0, "/local/domain/1/secret", hidden, 1), 0);
  assert_int_equal(rd(1, "secret", buf), -XEN_EACCES);
}

static void test_pools_are_bounded(void **state)
{
  char path[64], big[200];
  (void)state;
  unsigned int n = 0;
  int err;
  while (!(err = xs_write(0, (snprintf(path, sizeof(path), "/fill/%u", n), path), "", 0)))
    n++;
  assert_int_equal(err, -XEN_ENOSPC);
  assert_int_equal(xs_nodes_free(), 0);
  /* Nothing half made: a path of two new nodes when there is room for
   * one. */
  assert_int_equal(xs_rm(0, "/fill/0"), 0);
  assert_int_equal(xs_write(0, "/fill/new/deeper", "", 0), -XEN_ENOSPC);
  assert_int_equal(xs_nodes_free(), 1);
  assert_int_equal(xs_rm(0, "/fill"), 0);
  /* Big values: XS_BIG_VALUES of them. */
  memset(big, 'b', sizeof(big));
  for (n = 0; n < XS_BIG_VALUES; n++) {
    snprintf(path, sizeof(path), "/big/%u", n);
    assert_int_equal(xs_write(0, path, big, sizeof(big)), 0);
  }
  unsigned int before = xs_nodes_free();
  assert_int_equal(xs_write(0, "/big/more/x", big, sizeof(big)), -XEN_ENOSPC);
  assert_int_equal(xs_nodes_free(), before);
  assert_int_equal(xs_write(0, "/big/0", "small", 5), 0); /* gives its slot back */
  assert_int_equal(xs_write(0, "/big/more/x", big, sizeof(big)), 0);
}

/* ---- The ring ---- */

static void test_ring_requests(void **state)
{
  char buf[4096];
  (void)state;
  assert_int_equal(call(c1, &page1, XS_READ, "memory/target", buf), XS_READ);
  assert_string_equal(buf, "262144");
  assert_int_equal(call2(c1, &page1, XS_WRITE, "data/k", "value", false, buf), XS_WRITE);
  assert_string_equal(buf, "OK");
  assert_int_equal(rd(0, "/local/domain/1/data/k", buf), 0);
  assert_string_equal(buf, "value");
  assert_int_equal(call(c1, &page1, XS_MKDIR, "data/dir", buf), XS_MKDIR);
  struct xsd_sockmsg h;
  /* The directory: names each with its NUL. */
  uint32_t id = send_msg(&page1, XS_DIRECTORY, 0, "data", 5);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.req_id, id);
  assert_int_equal(h.len, 6);
  assert_memory_equal(buf, "k\0dir\0", 6);
  assert_int_equal(call(c1, &page1, XS_GET_DOMAIN_PATH, "7", buf), XS_GET_DOMAIN_PATH);
  assert_string_equal(buf, "/local/domain/7");
  assert_int_equal(call(c1, &page1, XS_GET_PERMS, "memory/target", buf), XS_GET_PERMS);
  assert_memory_equal(buf, "n0\0r1\0", 6);
  assert_int_equal(call(c1, &page1, XS_RM, "data/k", buf), XS_RM);
  assert_int_equal(rd(0, "/local/domain/1/data/k", buf), -XEN_ENOENT);
  /* Set permissions: "path\0perm\0perm\0". */
  send_msg(&page1, XS_SET_PERMS, 0, "data/dir\0n1\0r2\0", 15);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_SET_PERMS);
  assert_int_equal(rd(2, "/local/domain/1/data/dir", buf), -XEN_EACCES); /* not home */
  /* Errors come as XS_ERROR with the errno's name. */
  assert_int_equal(call(c1, &page1, XS_READ, "/local/domain/2/memory/target", buf), XS_ERROR);
  assert_string_equal(buf, "EACCES");
  assert_int_equal(call(c1, &page1, XS_READ, "nothing", buf), XS_ERROR);
  assert_string_equal(buf, "ENOENT");
  assert_int_equal(call(c1, &page1, 99, "x", buf), XS_ERROR);
  assert_string_equal(buf, "EINVAL");
  assert_int_equal(call(c1, &page1, XS_INTRODUCE, "x", buf), XS_ERROR);
  assert_string_equal(buf, "EACCES");
  assert_int_equal(call(c1, &page1, XS_GET_DOMAIN_PATH, "12x", buf), XS_ERROR);
  /* A payload without its NUL, or with two strings where one is due. */
  id = send_msg(&page1, XS_READ, 0, "data", 4);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_ERROR);
  send_msg(&page1, XS_READ, 0, "data\0data", 10);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_ERROR);
  send_msg(&page1, XS_WRITE, 0, "data/nonul", 10);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_string_equal(buf, "EINVAL");
  assert_null(xs_conn_why(c1));
}

static void test_transactions(void **state)
{
  char buf[4096];
  struct xsd_sockmsg h;
  (void)state;
  assert_int_equal(call(c1, &page1, XS_TRANSACTION_START, "", buf), XS_TRANSACTION_START);
  uint32_t tx = (uint32_t)atoi(buf);
  assert_true(tx > 0);
  /* Inside it: applied at once. */
  send_msg(&page1, XS_WRITE, tx, "data/t\0in", 9);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_WRITE);
  assert_int_equal(h.tx_id, tx);
  send_msg(&page1, XS_TRANSACTION_END, tx, "T", 2);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_TRANSACTION_END);
  /* Ended: unknown now, as is one never started. */
  send_msg(&page1, XS_READ, tx, "data/t", 7);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_string_equal(buf, "ENOENT");
  send_msg(&page1, XS_TRANSACTION_END, 0, "T", 2);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_string_equal(buf, "EINVAL");
  /* Another guest cannot use this guest's. */
  assert_int_equal(call(c1, &page1, XS_TRANSACTION_START, "", buf), XS_TRANSACTION_START);
  tx = (uint32_t)atoi(buf);
  send_msg(&page2, XS_READ, tx, "memory/target", 14);
  xs_conn_service(c2);
  assert_true(recv_msg(&page2, &h, buf));
  assert_string_equal(buf, "ENOENT");
  /* At most XS_MAX_TX open. */
  for (int i = 1; i < XS_MAX_TX; i++)
    assert_int_equal(call(c1, &page1, XS_TRANSACTION_START, "", buf), XS_TRANSACTION_START);
  assert_int_equal(call(c1, &page1, XS_TRANSACTION_START, "", buf), XS_ERROR);
  assert_string_equal(buf, "ENOSPC");
}

static void test_watches(void **state)
{
  char buf[4096];
  struct xsd_sockmsg h;
  (void)state;
  /* Relative: it fires at once, with the path as given, then on writes
   * at or below it with paths relative to the home. */
  assert_int_equal(call2(c1, &page1, XS_WATCH, "memory/target", "tok1", true, buf), XS_WATCH);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_WATCH_EVENT);
  assert_int_equal(h.len, 19);
  assert_memory_equal(buf, "memory/target\0tok1\0", 19);
  assert_false(recv_msg(&page1, &h, buf));
  assert_int_equal(call2(c1, &page1, XS_WATCH, "memory/target", "tok1", true, buf), XS_ERROR);
  assert_string_equal(buf, "EEXIST");
  /* Absolute: events name absolute paths. */
  assert_int_equal(call2(c1, &page1, XS_WATCH, "/local/domain/1/data", "tok2", true, buf),
                   XS_WATCH);
  assert_true(recv_msg(&page1, &h, buf));

  assert_int_equal(xs_write(0, "/local/domain/1/memory/target", "196608", 6), 0);
  assert_int_equal(xs_conn_service(c1) & XS_SERVED_NOTIFY, XS_SERVED_NOTIFY);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_WATCH_EVENT);
  assert_int_equal(h.req_id, 0);
  assert_memory_equal(buf, "memory/target\0tok1\0", 19);
  assert_false(recv_msg(&page1, &h, buf));
  /* Another guest's write in its own home tells guest 1 nothing. */
  assert_int_equal(xs_write(2, "data", "x", 1), 0);
  xs_conn_service(c1);
  assert_false(recv_msg(&page1, &h, buf));
  /* Below the watch: the deeper path. */
  assert_int_equal(xs_write(0, "/local/domain/1/data/a/b", "v", 1), 0);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_string_equal(buf, "/local/domain/1/data/a/b");
  assert_string_equal(buf + strlen(buf) + 1, "tok2");
  /* Removing a parent fires the watch below it, with its own path. */
  assert_int_equal(xs_rm(0, "/local/domain/1/memory"), 0);
  xs_conn_service(c1);
  assert_true(recv_msg(&page1, &h, buf));
  assert_string_equal(buf, "memory/target");
  assert_false(recv_msg(&page1, &h, buf));
  /* A node guest 1 may not read: no event. */
  struct xs_perm hidden[1] = {{0, 'n'}};
  assert_int_equal(xs_write(0, "/local/domain/1/data/h", "", 0), 0);
  assert_int_equal(xs_set_perms(0, "/local/domain/1/data/h", hidden, 1), 0);
  xs_conn_service(c1);
  while (recv_msg(&page1, &h, buf))
    ;
  assert_int_equal(xs_write(0, "/local/domain/1/data/h", "s", 1), 0);
  xs_conn_service(c1);
  assert_false(recv_msg(&page1, &h, buf));
  /* Unwatch, then nothing; an unknown one is ENOENT. */
  assert_int_equal(call2(c1, &page1, XS_UNWATCH, "/local/domain/1/data", "tok2", true, buf),
                   XS_UNWATCH);
  assert_int_equal(call2(c1, &page1, XS_UNWATCH, "/local/domain/1/data", "tok2", true, buf),
                   XS_ERROR);
  assert_string_equal(buf, "ENOENT");
  assert_int_equal(xs_write(0, "/local/domain/1/data/a", "w", 1), 0);
  xs_conn_service(c1);
  assert_false(recv_msg(&page1, &h, buf));
  /* Special paths are accepted; others starting with @ are not. */
  assert_int_equal(call2(c1, &page1, XS_WATCH, "@releaseDomain", "t", true, buf), XS_WATCH);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(call2(c1, &page1, XS_WATCH, "@other", "t", true, buf), XS_ERROR);
  /* Reset: every watch goes. */
  assert_int_equal(call2(c1, &page1, XS_WATCH, "data", "t3", true, buf), XS_WATCH);
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(call(c1, &page1, XS_RESET_WATCHES, "", buf), XS_RESET_WATCHES);
  assert_int_equal(xs_write(0, "/local/domain/1/data", "w", 1), 0);
  xs_conn_service(c1);
  assert_false(recv_msg(&page1, &h, buf));
  /* At most XS_MAX_CONN_WATCHES each. */
  int i;
  for (i = 0; i < XS_MAX_CONN_WATCHES; i++) {
    char tok[16];
    snprintf(tok, sizeof(tok), "w%d", i);
    assert_int_equal(call2(c1, &page1, XS_WATCH, "data", tok, true, buf), XS_WATCH);
    assert_true(recv_msg(&page1, &h, buf));
  }
  assert_int_equal(call2(c1, &page1, XS_WATCH, "data", "one-more", true, buf), XS_ERROR);
  assert_string_equal(buf, "ENOSPC");
  /* Closing the connection drops them. */
  xs_conn_close(c1);
  assert_null(xs_conn_find(1));
  c1 = xs_conn_open(1, &page1);
  assert_non_null(c1);
}

/* Requests that straddle the ring's end and arrive in pieces; answers
 * larger than the ring come out as the guest makes room. */
static void test_ring_pieces(void **state)
{
  char buf[4096], val[3000];
  struct xsd_sockmsg h;
  (void)state;
  page1.req_cons = page1.req_prod = page1.rsp_cons = page1.rsp_prod = 1000;
  memset(val, 'q', sizeof(val));
  memcpy(val, "data/long", 10); /* path\0 then the value */
  struct xsd_sockmsg w = {XS_WRITE, 5, 0, sizeof(val)};
  put_raw(&page1, &w, sizeof(w));
  uint32_t sent = 0;
  while (sent < sizeof(val)) {
    uint32_t n = sizeof(val) - sent < 700 ? sizeof(val) - sent : 700;
    put_raw(&page1, val + sent, n);
    sent += n;
    xs_conn_service(c1);
    assert_int_equal(page1.req_cons, page1.req_prod);
  }
  assert_true(recv_msg(&page1, &h, buf));
  assert_int_equal(h.type, XS_WRITE);
  assert_int_equal(h.req_id, 5);
  /* Read it back: 2,990 bytes come in ring-sized parts. */
  send_msg(&page1, XS_READ, 0, "data/long", 10);
  xs_conn_service(c1);
  size_t got = 0;
  bool have_hdr = false;
  for (int round = 0; round < 10 && (!have_hdr || got < h.len); round++) {
    while (page1.rsp_cons != page1.rsp_prod) {
      char ch = page1.rsp[MASK_XENSTORE_IDX(page1.rsp_cons++)];
      if (!have_hdr) {
        ((char *)&h)[got++] = ch;
        if (got == sizeof(h))
          have_hdr = true, got = 0;
      } else {
        buf[got++] = ch;
      }
    }
    xs_conn_service(c1); /* the guest made room, and said so */
  }
  assert_int_equal(h.type, XS_READ);
  assert_int_equal(h.len, sizeof(val) - 10);
  assert_int_equal(got, h.len);
  assert_memory_equal(buf, val + 10, h.len);
}

/* Garbage from one guest: it is cut off, dom0 and the other guest go on. */
static void test_garbage(void **state)
{
  char buf[4096];
  (void)state;
  struct xsd_sockmsg huge = {XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
  put_raw(&page1, &huge, sizeof(huge));
  assert_true(xs_conn_service(c1) & XS_SERVED_BROKE);
  assert_non_null(xs_conn_why(c1));
  assert_int_equal(page1.error, XENSTORE_ERROR_COMM);
  assert_int_equal(xs_conn_service(c1), 0); /* no longer served */
  assert_int_equal(call(c2, &page2, XS_READ, "memory/target", buf), XS_READ);

  /* Indices out of range. */
  page2.req_prod = page2.req_cons + XENSTORE_RING_SIZE + 1;
  assert_true(xs_conn_service(c2) & XS_SERVED_BROKE);
  assert_int_equal(page2.error, XENSTORE_ERROR_RINGIDX);
  xs_conn_close(c2);
  memset(&page2, 0, sizeof(page2));
  c2 = xs_conn_open(2, &page2);
  page2.rsp_cons = page2.rsp_prod + 5000; /* answers' consumer ahead */
  send_msg(&page2, XS_READ, 0, "memory/target", 14);
  assert_true(xs_conn_service(c2) & XS_SERVED_BROKE);

  /* Random bytes: whatever they are taken for, no crash, the store
   * outside the guests' homes untouched. */
  xs_conn_close(c2);
  memset(&page2, 0, sizeof(page2));
  c2 = xs_conn_open(2, &page2);
  assert_int_equal(xs_write(0, "/tool/keep", "k", 1), 0);
  srand(7);
  for (int round = 0; round < 2000 && !xs_conn_why(c2); round++) {
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof(junk); i++)
      junk[i] = (uint8_t)rand();
    if (round % 3 == 0) { /* a plausible header with a random type */
      struct xsd_sockmsg g = {(uint32_t)(rand() % 30), 1, 0, (uint32_t)(rand() % 48)};
      memcpy(junk, &g, sizeof(g));
    }
    uint32_t room = XENSTORE_RING_SIZE - (page2.req_prod - page2.req_cons);
    put_raw(&page2, junk, room < sizeof(junk) ? room : sizeof(junk));
    xs_conn_service(c2);
    page2.rsp_cons = page2.rsp_prod; /* the guest reads whatever came */
  }
  assert_int_equal(rd(0, "/tool/keep", buf), 0);
  assert_string_equal(buf, "k");
  assert_int_equal(rd(0, "/local/domain/1/memory/target", buf), 0);
  assert_string_equal(buf, "262144");
}

static void test_connections(void **state)
{
  (void)state;
  assert_null(xs_conn_open(1, &page2)); /* one per domain */
  assert_null(xs_conn_open(0, &page2)); /* dom0 has none */
  assert_ptr_equal(xs_conn_find(2), c2);
  assert_int_equal(xs_conn_domid(c2), 2);
  static struct xenstore_domain_interface more[XS_MAX_CONNS];
  int opened = 0;
  for (domid_t id = 3; id < 3 + XS_MAX_CONNS; id++)
    opened += xs_conn_open(id, &more[id - 3]) != NULL;
  assert_int_equal(opened, XS_MAX_CONNS - 2);
}

static void walk_count(const char *path, const char *value, size_t len, void *arg)
{
  (void)value;
  (void)len;
  (void)path;
  (*(int *)arg)++;
}

static void test_walk(void **state)
{
  int n = 0;
  (void)state;
  assert_int_equal(xs_walk("/local/domain/1", walk_count, &n), 0);
  assert_int_equal(n, 6); /* home, memory, target, control, shutdown, data */
  assert_int_equal(xs_walk("/none", walk_count, &n), -XEN_ENOENT);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_tree_read_write_rm, setup),
      cmocka_unit_test_setup(test_paths, setup),
      cmocka_unit_test_setup(test_guest_permissions, setup),
      cmocka_unit_test_setup(test_pools_are_bounded, setup),
      cmocka_unit_test_setup(test_ring_requests, setup),
      cmocka_unit_test_setup(test_transactions, setup),
      cmocka_unit_test_setup(test_watches, setup),
      cmocka_unit_test_setup(test_ring_pieces, setup),
      cmocka_unit_test_setup(test_garbage, setup),
      cmocka_unit_test_setup(test_connections, setup),
      cmocka_unit_test_setup(test_walk, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
