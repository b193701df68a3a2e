/* Unit tests of the 2-level event ABI (evtchn/evtchn_2l.c) through its
 * port operations: port by port, what a send and an unmask do to pending,
 * mask, the selector and upcall_pending, and when the vcpu must be told. */
#include "unit.h"

#include <arch/mm.h>
#include <hv/domain.h>
#include <hv/evtchn.h>

#define SHINFO_PA 0x200000 /* where the fake RAM holds the shared_info page */

static const struct evtchn_port_ops *ops = &evtchn_port_ops_2l;
static struct domain dom;
static struct vcpu vcpu0, vcpu1;
static struct shared_info *si;
static struct vcpu_info *vi;

static int setup(void **state)
{
  (void)state;
  _Static_assert(sizeof(struct shared_info) <= PAGE_SIZE, "one page");
  fake_ram_init(SHINFO_PA, PAGE_SIZE);
  fake_ram_fill(SHINFO_PA, PAGE_SIZE, 0);
  dom.shared_info = SHINFO_PA;
  si = phys_to_virt(SHINFO_PA);
  vcpu0.vi = vi = &si->vcpu_info[0];
  vcpu1.vi = &si->vcpu_info[1];
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  fake_ram_free();
  return 0;
}

static void test_unmasked_send_sets_pending_selector_upcall(void **state)
{
  (void)state;
  assert_true(ops->set_pending(&dom, &vcpu0, 70)); /* word 1, bit 6 */
  assert_int_equal(si->evtchn_pending[1], 1UL << 6);
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 1);
  assert_int_equal(vi->evtchn_upcall_pending, 1);
  assert_true(ops->is_pending(&dom, 70));
  assert_false(ops->is_pending(&dom, 69));
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
  assert_int_equal(si->evtchn_pending[0], (1UL << 5) | (1UL << 6));
}

static void test_upcall_pending_already_set_means_no_kick(void **state)
{
  (void)state;
  vi->evtchn_upcall_pending = 1; /* the guest has not taken the last one */
  assert_false(ops->set_pending(&dom, &vcpu0, 200));
  /* ... but the selector still says where to look. */
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 3);
}

static void test_masked_port_raises_nothing_until_unmask(void **state)
{
  (void)state;
  si->evtchn_mask[2] = 1UL << 1; /* port 129 */
  assert_false(ops->set_pending(&dom, &vcpu0, 129));
  assert_true(ops->is_pending(&dom, 129));
  assert_int_equal(vi->evtchn_pending_sel, 0);
  assert_int_equal(vi->evtchn_upcall_pending, 0);
  assert_true(ops->is_masked(&dom, 129));
  /* Unmask re-runs the check: now the selector and the upcall. */
  assert_true(ops->unmask(&dom, &vcpu0, 129));
  assert_false(ops->is_masked(&dom, 129));
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 2);
  assert_int_equal(vi->evtchn_upcall_pending, 1);
}

static void test_unmask_without_pending_or_mask_is_quiet(void **state)
{
  (void)state;
  si->evtchn_mask[0] = 1UL << 9;
  assert_false(ops->unmask(&dom, &vcpu0, 9)); /* masked, not pending */
  assert_false(ops->is_masked(&dom, 9));
  assert_int_equal(vi->evtchn_upcall_pending, 0);
  /* Not masked at all but pending: the notice went out with the send. */
  assert_true(ops->set_pending(&dom, &vcpu0, 10));
  vi->evtchn_upcall_pending = 0;
  vi->evtchn_pending_sel = 0;
  assert_false(ops->unmask(&dom, &vcpu0, 10));
  assert_int_equal(vi->evtchn_upcall_pending, 0);
}

static void test_clear_pending_and_last_port(void **state)
{
  (void)state;
  unsigned int last = EVTCHN_2L_NR_CHANNELS - 1;
  assert_true(ops->set_pending(&dom, &vcpu0, last));
  assert_int_equal(si->evtchn_pending[63], 1UL << 63);
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 63);
  ops->clear_pending(&dom, last);
  assert_false(ops->is_pending(&dom, last));
  /* The guest's scan clears selector and upcall; a new send is news. */
  vi->evtchn_pending_sel = 0;
  vi->evtchn_upcall_pending = 0;
  assert_true(ops->set_pending(&dom, &vcpu0, last));
}

static void test_other_vcpus_selector_untouched(void **state)
{
  (void)state;
  struct vcpu_info *v1 = vcpu1.vi;
  assert_true(ops->set_pending(&dom, &vcpu1, 64));
  assert_int_equal(v1->evtchn_pending_sel, 1UL << 1);
  assert_int_equal(vi->evtchn_pending_sel, 0);
  assert_int_equal(vi->evtchn_upcall_pending, 0);
}

static void test_ops_name_the_abi(void **state)
{
  (void)state;
  assert_int_equal(ops->nr_ports, 4096); /* 64 words of 64 bits for a 64-bit guest */
  assert_string_equal(ops->name, "2-level");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_unmasked_send_sets_pending_selector_upcall, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_second_send_is_no_news, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upcall_pending_already_set_means_no_kick, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_masked_port_raises_nothing_until_unmask, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_unmask_without_pending_or_mask_is_quiet, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_clear_pending_and_last_port, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_vcpus_selector_untouched, setup, teardown),
      cmocka_unit_test(test_ops_name_the_abi),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
