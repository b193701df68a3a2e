/* Unit tests of the backend's side of a console ring (hv/xencons.c): what
 * is taken and put, index wrap-around at 2^32, and a guest's impossible
 * indices refused without a change. */
#include "unit.h"

#include <hv/console.h>
#include <hv/errno.h>

static struct xencons_interface r;

static int setup(void **state)
{
  (void)state;
  memset(&r, 0, sizeof(r));
  return 0;
}

/* The guest writes s at its out_prod. */
static void guest_writes(const char *s)
{
  for (; *s; s++)
    r.out[MASK_XENCONS_IDX(r.out_prod++, r.out)] = *s;
}

static void test_take_what_was_written(void **state)
{
  (void)state;
  char buf[16];
  guest_writes("hello");
  assert_int_equal(xencons_take(&r, buf, sizeof(buf)), 5);
  assert_memory_equal(buf, "hello", 5);
  assert_int_equal(r.out_cons, 5);
  assert_int_equal(xencons_take(&r, buf, sizeof(buf)), 0);
}

static void test_take_at_most_max(void **state)
{
  (void)state;
  char buf[4];
  guest_writes("abcdef");
  assert_int_equal(xencons_take(&r, buf, 4), 4);
  assert_memory_equal(buf, "abcd", 4);
  assert_int_equal(xencons_take(&r, buf, 4), 2);
  assert_memory_equal(buf, "ef", 2);
}

static void test_indices_wrap_at_2_32(void **state)
{
  (void)state;
  char buf[8];
  r.out_prod = r.out_cons = 0xfffffffeU;
  guest_writes("wxyz"); /* out_prod wraps to 2 */
  assert_int_equal(r.out_prod, 2);
  assert_int_equal(xencons_take(&r, buf, sizeof(buf)), 4);
  assert_memory_equal(buf, "wxyz", 4);
  assert_int_equal(r.out_cons, 2);

  r.in_prod = r.in_cons = 0xffffffffU;
  assert_int_equal(xencons_put(&r, "12", 2), 2);
  assert_int_equal(r.in_prod, 1);
  assert_int_equal(r.in[MASK_XENCONS_IDX(0xffffffffU, r.in)], '1');
  assert_int_equal(r.in[0], '2');
}

static void test_full_ring_is_taken_whole(void **state)
{
  (void)state;
  static char buf[XENCONS_OUT_SIZE];
  r.out_prod = XENCONS_OUT_SIZE; /* exactly full is legal */
  assert_int_equal(xencons_take(&r, buf, sizeof(buf)), XENCONS_OUT_SIZE);
}

static void test_impossible_out_prod_refused(void **state)
{
  (void)state;
  char buf[8];
  r.out_prod = XENCONS_OUT_SIZE + 1;
  assert_int_equal(xencons_take(&r, buf, sizeof(buf)), -EIO);
  assert_int_equal(r.out_cons, 0);
  r.out_cons = 10;
  r.out_prod = 9; /* behind us: as far ahead as 2^32 - 1 bytes */
  assert_int_equal(xencons_take(&r, buf, sizeof(buf)), -EIO);
  assert_int_equal(r.out_cons, 10);
}

static void test_put_fills_to_room_only(void **state)
{
  (void)state;
  static char big[XENCONS_IN_SIZE + 10];
  memset(big, 'q', sizeof(big));
  assert_int_equal(xencons_room(&r), XENCONS_IN_SIZE);
  assert_int_equal(xencons_put(&r, big, sizeof(big)), XENCONS_IN_SIZE);
  assert_int_equal(xencons_room(&r), 0);
  assert_int_equal(xencons_put(&r, "x", 1), 0);
  r.in_cons = 3; /* the guest read three */
  assert_int_equal(xencons_room(&r), 3);
  assert_int_equal(xencons_put(&r, "xyzw", 4), 3);
  assert_int_equal(r.in_prod, XENCONS_IN_SIZE + 3);
}

static void test_impossible_in_cons_refused(void **state)
{
  (void)state;
  r.in_prod = 5;
  r.in_cons = 6; /* the guest claims to have read more than there was */
  assert_int_equal(xencons_room(&r), -EIO);
  assert_int_equal(xencons_put(&r, "a", 1), -EIO);
  assert_int_equal(r.in_prod, 5);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_take_what_was_written, setup),
      cmocka_unit_test_setup(test_take_at_most_max, setup),
      cmocka_unit_test_setup(test_indices_wrap_at_2_32, setup),
      cmocka_unit_test_setup(test_full_ring_is_taken_whole, setup),
      cmocka_unit_test_setup(test_impossible_out_prod_refused, setup),
      cmocka_unit_test_setup(test_put_fills_to_room_only, setup),
      cmocka_unit_test_setup(test_impossible_in_cons_refused, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
