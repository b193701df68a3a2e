/* Unit tests of the 2-level event ABI (evtchn/evtchn_2l.c) through its
 * port operations: port by port, what a send and an unmask do to pending,
 * mask, the selector and upcall_pending, and when the vcpu must be told.
 * Every test runs twice: on the 64-bit layout (evtchn_port_ops_2l,
 * struct shared_info) and on the 32-bit one (evtchn_port_ops_2l_32,
 * struct compat_shared_info: 32-bit words, 1,024 ports, the selector at
 * offset 4).  The expectations are written from port numbers and the
 * width W, and read back through the layout's own structure; the whole
 * page is compared too, so a bit written in the other layout's place
 * fails. */
#include "unit.h"

#include <arch/mm.h>
#include <hv/domain.h>
#include <hv/evtchn.h>

#define SHINFO_PA 0x200000 /* where the fake RAM holds the shared_info page */

/* The layout under test: set by the group's setup. */
static unsigned int W; /* bits per word: 64 or 32 */
static const struct evtchn_port_ops *ops;

static struct domain dom;
static struct vcpu vcpu0, vcpu1;
static struct shared_info *si;
static struct compat_shared_info *csi; /* the same page, 32-bit layout */
static uint8_t want[PAGE_SIZE];        /* what the page should hold */

static int group64(void **state)
{
  (void)state;
  W = 64;
  ops = &evtchn_port_ops_2l;
  return 0;
}

static int group32(void **state)
{
  (void)state;
  W = 32;
  ops = &evtchn_port_ops_2l_32;
  return 0;
}

static int setup(void **state)
{
  (void)state;
  _Static_assert(sizeof(struct shared_info) <= PAGE_SIZE, "one page");
  fake_ram_init(SHINFO_PA, PAGE_SIZE);
  fake_ram_fill(SHINFO_PA, PAGE_SIZE, 0);
  memset(want, 0, sizeof(want));
  dom.shared_info = SHINFO_PA;
  dom.has_32bit_shinfo = W == 32;
  si = phys_to_virt(SHINFO_PA);
  csi = phys_to_virt(SHINFO_PA);
  vcpu0.vi = &si->vcpu_info[0];
  vcpu1.vi = &si->vcpu_info[1];
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  fake_ram_free();
  return 0;
}

/* ---- The layout under test, by its own structures ---- */

/* Word i of the pending (mask) bits. */
static uint64_t pending_word(unsigned int i)
{
  return W == 64 ? si->evtchn_pending[i] : csi->evtchn_pending[i];
}

static uint64_t mask_word(unsigned int i)
{
  return W == 64 ? si->evtchn_mask[i] : csi->evtchn_mask[i];
}

static void set_mask(unsigned int port)
{
  if (W == 64)
    si->evtchn_mask[port / 64] |= 1UL << port % 64;
  else
    csi->evtchn_mask[port / 32] |= 1U << port % 32;
}

/* vcpu n's selector and upcall_pending; clear_sel is the guest's scan. */
static uint64_t sel(unsigned int n)
{
  return W == 64 ? si->vcpu_info[n].evtchn_pending_sel : csi->vcpu_info[n].evtchn_pending_sel;
}

static void clear_sel(unsigned int n)
{
  if (W == 64)
    si->vcpu_info[n].evtchn_pending_sel = 0;
  else
    csi->vcpu_info[n].evtchn_pending_sel = 0;
  si->vcpu_info[n].evtchn_upcall_pending = 0;
}

static unsigned int upcall_pending(unsigned int n)
{
  return si->vcpu_info[n].evtchn_upcall_pending;
}

/* The bit of port p in its word, and the selector bit of its word. */
#define PBIT(p) ((uint64_t)1 << (p) % W)
#define SEL(p) ((uint64_t)1 << (p) / W)

/* Mark in want[] what the layout under test says a notice of port to
 * vcpu n writes (pending; the selector and upcall_pending when not
 * masked). */
static void want_port(unsigned int port, unsigned int n, bool masked)
{
  struct shared_info *ws = (struct shared_info *)want;
  struct compat_shared_info *wc = (struct compat_shared_info *)want;
  if (W == 64) {
    ws->evtchn_pending[port / 64] |= 1UL << port % 64;
    if (!masked)
      ws->vcpu_info[n].evtchn_pending_sel |= 1UL << port / 64;
  } else {
    wc->evtchn_pending[port / 32] |= 1U << port % 32;
    if (!masked)
      wc->vcpu_info[n].evtchn_pending_sel |= 1U << port / 32;
  }
  if (!masked)
    ws->vcpu_info[n].evtchn_upcall_pending = 1;
}

static void want_mask(unsigned int port)
{
  if (W == 64)
    ((struct shared_info *)want)->evtchn_mask[port / 64] |= 1UL << port % 64;
  else
    ((struct compat_shared_info *)want)->evtchn_mask[port / 32] |= 1U << port % 32;
}

static void assert_page_is_want(void) { assert_memory_equal(si, want, PAGE_SIZE); }

/* ---- The tests, for either width ---- */

static void test_unmasked_send_sets_pending_selector_upcall(void **state)
{
  (void)state;
  assert_true(ops->set_pending(&dom, &vcpu0, 70)); /* word 1 (64) or 2 (32), bit 6 */
  assert_int_equal(pending_word(70 / W), PBIT(70));
  assert_int_equal(sel(0), SEL(70));
  assert_int_equal(upcall_pending(0), 1);
  assert_true(ops->is_pending(&dom, 70));
  assert_false(ops->is_pending(&dom, 69));
  want_port(70, 0, false);
  assert_page_is_want();
}

static void test_second_send_is_no_news(void **state)
{
  (void)state;
  assert_true(ops->set_pending(&dom, &vcpu0, 5));
  /* Pending already: no 0 -> 1 change, nothing to tell. */
  assert_false(ops->set_pending(&dom, &vcpu0, 5));
  /* Another port in the same word while the guest has not scanned it:
   * the selector bit is set already, so no new upcall. */
  assert_false(ops->set_pending(&dom, &vcpu0, 6));
  assert_int_equal(pending_word(0), PBIT(5) | PBIT(6));
}

static void test_upcall_pending_already_set_means_no_kick(void **state)
{
  (void)state;
  si->vcpu_info[0].evtchn_upcall_pending = 1; /* the guest has not taken the last one */
  assert_false(ops->set_pending(&dom, &vcpu0, 200));
  /* ... but the selector still says where to look. */
  assert_int_equal(sel(0), SEL(200));
}

static void test_masked_port_raises_nothing_until_unmask(void **state)
{
  (void)state;
  set_mask(129);
  want_mask(129);
  assert_false(ops->set_pending(&dom, &vcpu0, 129));
  assert_true(ops->is_pending(&dom, 129));
  assert_int_equal(sel(0), 0);
  assert_int_equal(upcall_pending(0), 0);
  assert_true(ops->is_masked(&dom, 129));
  want_port(129, 0, true);
  assert_page_is_want();
  /* Unmask re-runs the check: now the selector and the upcall. */
  assert_true(ops->unmask(&dom, &vcpu0, 129));
  assert_false(ops->is_masked(&dom, 129));
  assert_int_equal(mask_word(129 / W), 0);
  assert_int_equal(sel(0), SEL(129));
  assert_int_equal(upcall_pending(0), 1);
  memset(want, 0, sizeof(want));
  want_port(129, 0, false);
  assert_page_is_want();
}

static void test_unmask_without_pending_or_mask_is_quiet(void **state)
{
  (void)state;
  set_mask(9);
  assert_false(ops->unmask(&dom, &vcpu0, 9)); /* masked, not pending */
  assert_false(ops->is_masked(&dom, 9));
  assert_int_equal(upcall_pending(0), 0);
  /* Not masked at all but pending: the notice went out with the send. */
  assert_true(ops->set_pending(&dom, &vcpu0, 10));
  clear_sel(0);
  assert_false(ops->unmask(&dom, &vcpu0, 10));
  assert_int_equal(upcall_pending(0), 0);
}

static void test_clear_pending_and_last_port(void **state)
{
  (void)state;
  unsigned int last = ops->nr_ports - 1;
  assert_int_equal(last, W * W - 1);
  assert_true(ops->set_pending(&dom, &vcpu0, last));
  assert_int_equal(pending_word(W - 1), PBIT(W - 1));
  assert_int_equal(sel(0), SEL(last));
  want_port(last, 0, false);
  assert_page_is_want();
  ops->clear_pending(&dom, last);
  assert_false(ops->is_pending(&dom, last));
  assert_int_equal(pending_word(W - 1), 0);
  /* The guest's scan clears selector and upcall; a new send is news. */
  clear_sel(0);
  assert_true(ops->set_pending(&dom, &vcpu0, last));
}

static void test_other_vcpus_selector_untouched(void **state)
{
  (void)state;
  assert_true(ops->set_pending(&dom, &vcpu1, 64));
  assert_int_equal(sel(1), SEL(64)); /* bit 1 (64) or 2 (32) */
  assert_int_equal(sel(0), 0);
  assert_int_equal(upcall_pending(0), 0);
  want_port(64, 1, false);
  assert_page_is_want();
}

/* Ports in many words, some masked, for both vcpus: the page holds
 * exactly what the layout says and nothing else. */
static void test_many_ports_exactly_the_layouts_bits(void **state)
{
  (void)state;
  static const unsigned int ports[] = {1, 31, 32, 63, 64, 95, 96, 300, 513, 1000, 1023};
  for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++) {
    unsigned int p = ports[i];
    bool masked = i % 3 == 2;
    if (masked) {
      set_mask(p);
      want_mask(p);
    }
    ops->set_pending(&dom, i & 1 ? &vcpu1 : &vcpu0, p);
    want_port(p, i & 1, masked);
  }
  assert_page_is_want();
  for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++) {
    assert_true(ops->is_pending(&dom, ports[i]));
    assert_int_equal(ops->is_masked(&dom, ports[i]), i % 3 == 2);
  }
}

static void test_ops_name_the_abi(void **state)
{
  (void)state;
  /* 64 words of 64 bits for a 64-bit guest, 32 of 32 for a 32-bit one. */
  assert_int_equal(ops->nr_ports, W == 64 ? 4096 : 1024);
  assert_string_equal(ops->name, W == 64 ? "2-level" : "2-level, 32-bit");
}

/* ---- The 32-bit layout alone ---- */

/* Ports from 1,024 up (a domain that latched 32-bit after making them)
 * have no bits in the 32-bit layout: nothing is written for them. */
static void test_32bit_ports_beyond_the_layout_stay_silent(void **state)
{
  (void)state;
  const struct evtchn_port_ops *o = &evtchn_port_ops_2l_32;
  W = 32;
  dom.has_32bit_shinfo = true;
  for (unsigned int p = 1024; p < 4096; p += 131) {
    assert_false(o->set_pending(&dom, &vcpu0, p));
    assert_false(o->is_pending(&dom, p));
    assert_true(o->is_masked(&dom, p));
    assert_false(o->unmask(&dom, &vcpu0, p));
    o->clear_pending(&dom, p);
  }
  assert_page_is_want(); /* all zero still */
  memset(si, 0xff, PAGE_SIZE);
  o->clear_pending(&dom, 1024); /* would clear mask bit 0 */
  assert_int_equal(csi->evtchn_mask[0], 0xffffffff);
}

#define BOTH_WIDTHS(name)                                                                          \
  const struct CMUnitTest name[] = {                                                               \
      cmocka_unit_test_setup_teardown(test_unmasked_send_sets_pending_selector_upcall, setup,      \
                                      teardown),                                                   \
      cmocka_unit_test_setup_teardown(test_second_send_is_no_news, setup, teardown),               \
      cmocka_unit_test_setup_teardown(test_upcall_pending_already_set_means_no_kick, setup,        \
                                      teardown),                                                   \
      cmocka_unit_test_setup_teardown(test_masked_port_raises_nothing_until_unmask, setup,         \
                                      teardown),                                                   \
      cmocka_unit_test_setup_teardown(test_unmask_without_pending_or_mask_is_quiet, setup,         \
                                      teardown),                                                   \
      cmocka_unit_test_setup_teardown(test_clear_pending_and_last_port, setup, teardown),          \
      cmocka_unit_test_setup_teardown(test_other_vcpus_selector_untouched, setup, teardown),       \
      cmocka_unit_test_setup_teardown(test_many_ports_exactly_the_layouts_bits, setup, teardown),  \
      cmocka_unit_test(test_ops_name_the_abi),                                                     \
  }

int main(void)
{
  BOTH_WIDTHS(tests64);
  BOTH_WIDTHS(tests32);
  const struct CMUnitTest only32[] = {
      cmocka_unit_test_setup_teardown(test_32bit_ports_beyond_the_layout_stay_silent, setup,
                                      teardown),
  };
  int failed = cmocka_run_group_tests_name("2-level, 64-bit words", tests64, group64, NULL);
  failed += cmocka_run_group_tests_name("2-level, 32-bit words", tests32, group32, NULL);
  failed += cmocka_run_group_tests_name("2-level, 32-bit words alone", only32, group32, NULL);
  return failed;
}
