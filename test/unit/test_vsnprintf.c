/* Unit tests of the hypervisor's printf (hv/lib/vsnprintf.c) against the C
 * library's: every format the compiler's printf check lets through must
 * print as C prints it and take its arguments in step.  The hypervisor's
 * functions are built here under other names (hv_vsnprintf, hv_snprintf),
 * beside the C library's. */
#include "unit.h"

#include <hv/string.h>
#include <limits.h>

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __printf(3, 0);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
#define vsnprintf hv_vsnprintf
#define snprintf hv_snprintf
#include "../../hv/lib/vsnprintf.c"
#undef vsnprintf
#undef snprintf

/* fmt with the arguments prints the same, and counts the same, through
 * both. */
static void same_as_libc(const char *fmt, ...)
{
  char want[256], got[256];
  va_list a, b;
  va_start(a, fmt);
  va_copy(b, a);
  int wn = vsnprintf(want, sizeof(want), fmt, a);
  int gn = hv_vsnprintf(got, sizeof(got), fmt, b);
  va_end(b);
  va_end(a);
  if (wn != gn || strcmp(want, got))
    fail_msg("\"%s\": got \"%s\" (%d), want \"%s\" (%d)", fmt, got, gn, want, wn);
}

static const long long values[] = {
    0,
    1,
    -1,
    7,
    8,
    9,
    15,
    16,
    255,
    256,
    -128,
    0x1234,
    32767,
    -32768,
    65535,
    65536,
    INT_MAX,
    INT_MIN,
    (long long)UINT_MAX,
    LLONG_MAX,
    LLONG_MIN,
    -0x123456789LL,
};

/* Flags, widths, precisions and lengths in every combination, for every
 * integer conversion, against the C library.  '#' only where C defines it
 * (o x X). */
static void test_integers_as_libc(void **state)
{
  (void)state;
  static const char *const flags[] = {"", "-", "0", "#", "+", " ", "-#", "0#", "+0", " -", "#0-+ "};
  static const char *const widths[] = {"", "1", "5", "20"};
  static const char *const precs[] = {"", ".0", ".1", ".3", ".20"};
  static const char *const lens[] = {"hh", "h", "", "l", "ll", "z", "j", "t"};
  static const char convs[] = "diuoxX";
  char f[32];
  unsigned int n = 0;
  for (unsigned int c = 0; convs[c]; c++)
    for (unsigned int fl = 0; fl < ARRAY_SIZE(flags); fl++) {
      if (strchr(flags[fl], '#') && strchr("diu", convs[c]))
        continue;
      for (unsigned int w = 0; w < ARRAY_SIZE(widths); w++)
        for (unsigned int p = 0; p < ARRAY_SIZE(precs); p++)
          for (unsigned int l = 0; l < ARRAY_SIZE(lens); l++) {
            snprintf(f, sizeof(f), "[%%%s%s%s%s%c]", flags[fl], widths[w], precs[p], lens[l],
                     convs[c]);
            for (unsigned int v = 0; v < ARRAY_SIZE(values); v++) {
              long long x = values[v];
              if (lens[l][0] == 'l' && lens[l][1] == 'l')
                same_as_libc(f, x);
              else if (lens[l][0] == 'z' || lens[l][0] == 'j')
                same_as_libc(f, (long long)x);
              else if (lens[l][0] == 'l' || lens[l][0] == 't')
                same_as_libc(f, (long)x);
              else
                same_as_libc(f, (int)x);
              n++;
            }
          }
    }
  assert_true(n > 10000);
}

/* Width and precision from arguments (*), negative ones included. */
static void test_star_as_libc(void **state)
{
  (void)state;
  for (int w = -12; w <= 12; w += 3)
    for (int p = -2; p <= 6; p += 2) {
      same_as_libc("[%*.*d]", w, p, -42);
      same_as_libc("[%#*.*x]", w, p, 0xbeef);
      same_as_libc("[%*.*s]", w, p, "hello");
      same_as_libc("[%-*c]", w, 'z');
    }
}

static void test_strings_and_chars_as_libc(void **state)
{
  (void)state;
  same_as_libc("%s|%5s|%-5s|%.2s|%8.3s|%-8.3s|%.0s|%s", "abc", "abc", "abc", "abc", "abcdef",
               "abcdef", "abc", "");
  same_as_libc("%c|%3c|%-3c|%%", 'x', 'y', 'z');
}

/* The lines that showed the fault: each must read as meant, and the
 * arguments after a '#' conversion must stay in step (a %s after a skipped
 * %#llx would take the number for a pointer). */
static void test_alternate_forms(void **state)
{
  (void)state;
  char b[160];
  assert_int_equal(hv_snprintf(b, sizeof(b), "%#llx", 0x1234ULL), 6);
  assert_string_equal(b, "0x1234");
  hv_snprintf(b, sizeof(b), "%#x|%#X|%#o|%#o|%#.0o|%#x|%#010x|%#-8x|", 0xabu, 0xabu, 8u, 0u, 0u, 0u,
              0xabu, 0x1u);
  assert_string_equal(b, "0xab|0XAB|010|0|0|0|0x000000ab|0x1     |");
  hv_snprintf(b, sizeof(b), "grant: cannot restore gfn %#llx of %s", 0xfee00ULL, "domu1");
  assert_string_equal(b, "grant: cannot restore gfn 0xfee00 of domu1");
  hv_snprintf(b, sizeof(b), "grant map over the grant mapping at gfn %#llx", 0x42ULL);
  assert_string_equal(b, "grant map over the grant mapping at gfn 0x42");
  hv_snprintf(b, sizeof(b), "%+d % d %+d % d", 5, 5, -5, -5);
  assert_string_equal(b, "+5  5 -5 -5");
}

/* Ours, not C's: %p is 0x and 16 digits; %n writes nothing but takes its
 * argument, so the next conversion gets the right one. */
static void test_pointer_and_n(void **state)
{
  (void)state;
  char b[64];
  hv_snprintf(b, sizeof(b), "%p", (void *)0x1234);
  assert_string_equal(b, "0x0000000000001234");
  int count = -7;
  hv_snprintf(b, sizeof(b), "a%nb%s", &count, "c");
  assert_string_equal(b, "abc");
  assert_int_equal(count, -7);
}

/* Output is cut at size - 1, NUL-terminated, and the full length is
 * returned; size 0 writes nothing. */
static void test_truncation(void **state)
{
  (void)state;
  char b[8];
  memset(b, 'Q', sizeof(b));
  assert_int_equal(hv_snprintf(b, 5, "%#x-%s", 0x1234u, "tail"), 11);
  assert_string_equal(b, "0x12");
  assert_int_equal(b[5], 'Q');
  assert_int_equal(hv_snprintf(b, 0, "%d", 12345), 5);
  assert_int_equal(b[0], '0');
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alternate_forms), cmocka_unit_test(test_integers_as_libc),
      cmocka_unit_test(test_star_as_libc),    cmocka_unit_test(test_strings_and_chars_as_libc),
      cmocka_unit_test(test_pointer_and_n),   cmocka_unit_test(test_truncation),
  };
  return cmocka_run_group_tests_name("vsnprintf", tests, NULL, NULL);
}
