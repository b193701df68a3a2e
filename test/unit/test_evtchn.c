/* Unit tests of the 2-level event bit logic (evtchn/evtchn_2l.c): port by
 * port, what a send and an unmask do to pending, mask, the selector and
 * upcall_pending, and when the vcpu must be told. */
#include "unit.h"

#include <hv/evtchn.h>

static struct shared_info si;
static struct vcpu_info *vi = &si.vcpu_info[0];

static int setup(void **state)
{
  (void)state;
  memset(&si, 0, sizeof(si));
  return 0;
}

static void test_unmasked_send_sets_pending_selector_upcall(void **state)
{
  (void)state;
  assert_true(evtchn_2l_set_pending(&si, vi, 70)); /* word 1, bit 6 */
  assert_int_equal(si.evtchn_pending[1], 1UL << 6);
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 1);
  assert_int_equal(vi->evtchn_upcall_pending, 1);
  assert_true(evtchn_2l_is_pending(&si, 70));
  assert_false(evtchn_2l_is_pending(&si, 69));
}

static void test_second_send_is_no_news(void **state)
{
  (void)state;
  assert_true(evtchn_2l_set_pending(&si, vi, 5));
  /* Pending already: no 0 -> 1 change, nothing to tell. */
  assert_false(evtchn_2l_set_pending(&si, vi, 5));
  /* Another port in the same word while the guest has not scanned it:
   * the selector bit is set already, so no new upcall. */
  assert_false(evtchn_2l_set_pending(&si, vi, 6));
  assert_int_equal(si.evtchn_pending[0], (1UL << 5) | (1UL << 6));
}

static void test_upcall_pending_already_set_means_no_kick(void **state)
{
  (void)state;
  vi->evtchn_upcall_pending = 1; /* the guest has not taken the last one */
  assert_false(evtchn_2l_set_pending(&si, vi, 200));
  /* ... but the selector still says where to look. */
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 3);
}

static void test_masked_port_raises_nothing_until_unmask(void **state)
{
  (void)state;
  si.evtchn_mask[2] = 1UL << 1; /* port 129 */
  assert_false(evtchn_2l_set_pending(&si, vi, 129));
  assert_true(evtchn_2l_is_pending(&si, 129));
  assert_int_equal(vi->evtchn_pending_sel, 0);
  assert_int_equal(vi->evtchn_upcall_pending, 0);
  assert_true(evtchn_2l_is_masked(&si, 129));
  /* Unmask re-runs the check: now the selector and the upcall. */
  assert_true(evtchn_2l_unmask(&si, vi, 129));
  assert_false(evtchn_2l_is_masked(&si, 129));
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 2);
  assert_int_equal(vi->evtchn_upcall_pending, 1);
}

static void test_unmask_without_pending_or_mask_is_quiet(void **state)
{
  (void)state;
  si.evtchn_mask[0] = 1UL << 9;
  assert_false(evtchn_2l_unmask(&si, vi, 9)); /* masked, not pending */
  assert_false(evtchn_2l_is_masked(&si, 9));
  assert_int_equal(vi->evtchn_upcall_pending, 0);
  /* Not masked at all but pending: the notice went out with the send. */
  assert_true(evtchn_2l_set_pending(&si, vi, 10));
  vi->evtchn_upcall_pending = 0;
  vi->evtchn_pending_sel = 0;
  assert_false(evtchn_2l_unmask(&si, vi, 10));
  assert_int_equal(vi->evtchn_upcall_pending, 0);
}

static void test_clear_pending_and_last_port(void **state)
{
  (void)state;
  unsigned int last = EVTCHN_2L_NR_CHANNELS - 1;
  assert_true(evtchn_2l_set_pending(&si, vi, last));
  assert_int_equal(si.evtchn_pending[63], 1UL << 63);
  assert_int_equal(vi->evtchn_pending_sel, 1UL << 63);
  evtchn_2l_clear_pending(&si, last);
  assert_false(evtchn_2l_is_pending(&si, last));
  /* The guest's scan clears selector and upcall; a new send is news. */
  vi->evtchn_pending_sel = 0;
  vi->evtchn_upcall_pending = 0;
  assert_true(evtchn_2l_set_pending(&si, vi, last));
}

static void test_other_vcpus_selector_untouched(void **state)
{
  (void)state;
  struct vcpu_info *v1 = &si.vcpu_info[1];
  assert_true(evtchn_2l_set_pending(&si, v1, 64));
  assert_int_equal(v1->evtchn_pending_sel, 1UL << 1);
  assert_int_equal(vi->evtchn_pending_sel, 0);
  assert_int_equal(vi->evtchn_upcall_pending, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_unmasked_send_sets_pending_selector_upcall, setup),
      cmocka_unit_test_setup(test_second_send_is_no_news, setup),
      cmocka_unit_test_setup(test_upcall_pending_already_set_means_no_kick, setup),
      cmocka_unit_test_setup(test_masked_port_raises_nothing_until_unmask, setup),
      cmocka_unit_test_setup(test_unmask_without_pending_or_mask_is_quiet, setup),
      cmocka_unit_test_setup(test_clear_pending_and_last_port, setup),
      cmocka_unit_test_setup(test_other_vcpus_selector_untouched, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
