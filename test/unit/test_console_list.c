/* Unit tests of the console= list decoder (hv/console_list.c): a value is
 * taken whole or not at all, and a refusal says which element was bad. */
#include "unit.h"

#include <hv/console_list.h>
#include <hv/errno.h>

static const char *const names[] = {"com1", "com2", "e9", "vga"};

/* list decodes to want. */
static void good(const char *list, unsigned int want)
{
  unsigned int devs = 0xdead;
  const char *bad = NULL;
  size_t bad_len = 99;
  int r = console_list_parse(list, names, ARRAY_SIZE(names), &devs, &bad, &bad_len);
  if (r || devs != want)
    fail_msg("\"%s\": returned %d, devices 0x%x; want 0, 0x%x", list, r, devs, want);
  assert_null(bad);
  assert_int_equal(bad_len, 99);
}

/* list is refused, devs untouched, and the first bad element is the
 * want_len bytes at want_at. */
static void bad(const char *list, size_t want_at, size_t want_len)
{
  unsigned int devs = 0xdead;
  const char *bad = NULL;
  size_t bad_len = 99;
  int r = console_list_parse(list, names, ARRAY_SIZE(names), &devs, &bad, &bad_len);
  if (r != -EINVAL || devs != 0xdead)
    fail_msg("\"%s\": returned %d, devices 0x%x; want -EINVAL, untouched", list, r, devs);
  if (bad != list + want_at || bad_len != want_len)
    fail_msg("\"%s\": bad element at %td (%zu bytes), want at %zu (%zu bytes)", list,
             bad ? bad - list : -1, bad_len, want_at, want_len);
}

static void test_good_lists(void **state)
{
  (void)state;
  good("com1", 0x1);
  good("com2", 0x2);
  good("e9", 0x4);
  good("vga", 0x8);
  good("none", 0);
  good("com1,vga", 0x9);
  good("vga,com1", 0x9);
  good("com1,com2,e9,vga", 0xf);
  good("com1,com1", 0x1);
  good("none,com2", 0x2);
  good("e9,none", 0x4);
}

static void test_bad_lists(void **state)
{
  (void)state;
  bad("bogus", 0, 5);
  bad(",,,", 0, 0);
  bad("", 0, 0);
  bad(",com1", 0, 0);
  bad("com1,", 5, 0);
  bad("com1,,vga", 5, 0);
  bad("com1,bogus", 5, 5);
  bad("com1,bogus,vga", 5, 5);
  bad("bogus,alsobad", 0, 5);
  bad("COM1", 0, 4);  /* names are lower case, as in README */
  bad("com", 0, 3);   /* a prefix is not a name */
  bad("com11", 0, 5); /* nor is a name with more after it */
  bad("vga ", 0, 4);  /* nor one with a space */
  bad("nonee", 0, 5);
  bad("non", 0, 3);
}

/* The reason may be left out (the boot paths' fixed "com1"). */
static void test_reason_optional(void **state)
{
  (void)state;
  unsigned int devs = 7;
  assert_int_equal(console_list_parse("bogus", names, ARRAY_SIZE(names), &devs, NULL, NULL),
                   -EINVAL);
  assert_int_equal(devs, 7);
  assert_int_equal(console_list_parse("com2", names, ARRAY_SIZE(names), &devs, NULL, NULL), 0);
  assert_int_equal(devs, 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_lists),
      cmocka_unit_test(test_bad_lists),
      cmocka_unit_test(test_reason_optional),
  };
  return cmocka_run_group_tests_name("console_list", tests, NULL, NULL);
}
