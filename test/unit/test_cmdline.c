/* Unit tests of the hypervisor command-line parser (hv/cmdline.c). */
#include "unit.h"

#include <hv/cmdline.h>
#include <hv/errno.h>

static struct hv_config cfg;

static int parse(const char *line)
{
  cmdline_defaults(&cfg);
  shim_log_clear();
  return cmdline_parse(line, &cfg);
}

static void test_defaults(void **state)
{
  (void)state;
  assert_int_equal(parse(""), 0);
  assert_string_equal(cfg.console, "com1");
  assert_int_equal(cfg.loglvl, LOG_INFO);
  assert_int_equal(cfg.mem_limit, 0);
  assert_false(cfg.noreboot);
  assert_int_equal(cfg.crash, CRASH_NONE);
  assert_int_equal(parse("     "), 0);
}

/* The console rule: without console= com1 and the screen when there is
 * one; console= as given otherwise (com1 alone turns the screen off). */
static void test_console_default(void **state)
{
  (void)state;
  parse("");
  assert_string_equal(cmdline_console(&cfg, true), "com1,vga");
  assert_string_equal(cmdline_console(&cfg, false), "com1");
  parse("loglvl=warn");
  assert_string_equal(cmdline_console(&cfg, true), "com1,vga");
  parse("console=com1");
  assert_string_equal(cmdline_console(&cfg, true), "com1");
  parse("console=vga");
  assert_string_equal(cmdline_console(&cfg, true), "vga");
  assert_string_equal(cmdline_console(&cfg, false), "vga"); /* the arch warns */
  parse("console=com1,vga");
  assert_string_equal(cmdline_console(&cfg, false), "com1,vga");
  parse("console="); /* a bad value is ignored: the default stands */
  assert_string_equal(cmdline_console(&cfg, true), "com1,vga");
  /* What hv_start falls back to when the arch refuses a console= list. */
  assert_string_equal(cmdline_console_default(true), "com1,vga");
  assert_string_equal(cmdline_console_default(false), "com1");
}

static void test_all_options(void **state)
{
  (void)state;
  assert_int_equal(parse("console=com2,e9 loglvl=debug mem=512M noreboot crash=pf"), 0);
  assert_string_equal(cfg.console, "com2,e9");
  assert_int_equal(cfg.loglvl, LOG_DEBUG);
  assert_int_equal(cfg.mem_limit, 512ULL << 20);
  assert_true(cfg.noreboot);
  assert_int_equal(cfg.crash, CRASH_PF);

  assert_int_equal(parse("loglvl=0  mem=2G crash=stack reboot"), 0);
  assert_true(cfg.reboot);
  assert_false(cfg.noreboot);
  assert_int_equal(cfg.loglvl, LOG_ERR);
  assert_int_equal(cfg.mem_limit, 2ULL << 30);
  assert_int_equal(cfg.crash, CRASH_STACK);
}

static void test_net_options(void **state)
{
  (void)state;
  assert_int_equal(parse("loglvl=info"), 0);
  assert_false(cfg.net.on);
  assert_string_equal(cfg.net.dev, "");
  assert_int_equal(parse("net=dhcp netdev=00:03.0 netconsole=10.0.2.2:6666 netcon=23"), 0);
  assert_true(cfg.net.on && cfg.net.dhcp);
  assert_string_equal(cfg.net.dev, "00:03.0");
  assert_int_equal(cfg.net.udp_port, 6666);
  assert_int_equal(cfg.net.tcp_port, 23);
  /* Each bad one is reported and leaves the defaults (net/net_config.c
   * has the details; test_net.c tests them). */
  assert_int_equal(parse("net netdev= netdev=0123456789abcdef net=10.0.2.15 netcon=0"), 5);
  assert_false(cfg.net.on);
  assert_string_equal(cfg.net.dev, "");
  assert_int_equal(cfg.net.tcp_port, 0);
  assert_true(shim_log_contains("bad value for option 'net': '(none)'"));
}

static void test_unknown_is_reported_not_fatal(void **state)
{
  (void)state;
  assert_int_equal(parse("frobnicate=1 loglvl=warn bogus"), 2);
  assert_int_equal(cfg.loglvl, LOG_WARN); /* the good option still applies */
  assert_true(shim_log_contains("unknown option 'frobnicate'"));
  assert_true(shim_log_contains("unknown option 'bogus'"));
}

static void test_bad_values(void **state)
{
  (void)state;
  const char *bad[] = {
      "loglvl=loud",
      "loglvl=4",
      "loglvl",
      "mem=",
      "mem=12Q",
      "mem=abc",
      "mem=1M",
      "mem=99999999999999999999",
      "mem=99999999999G",
      "crash=sometimes",
      "noreboot=1",
      "reboot=yes",
      "console=",
      "console=0123456789012345678901234567890123456789012345678901234567890123456789",
      "console_timestamps=yes",
      "console_timestamps=",
      "console_timestamps=Boot",
      "console_focus",
      "console_focus=rawish",
  };
  for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
    assert_int_equal(parse(bad[i]), 1);
    assert_true(shim_log_contains("bad value for option"));
    /* The value keeps its default. */
    assert_int_equal(cfg.loglvl, LOG_INFO);
    assert_int_equal(cfg.mem_limit, 0);
    assert_int_equal(cfg.crash, CRASH_NONE);
    assert_false(cfg.noreboot);
    assert_string_equal(cfg.console, "com1");
    assert_int_equal(cfg.timestamps, CONSOLE_TS_BOOT);
    assert_true(cfg.focus_raw);
  }
  /* The warning says what would have been right and what stays. */
  parse("console_timestamps=sometimes");
  assert_true(shim_log_contains("'console_timestamps': 'sometimes' (none, date, datems, boot or "
                                "raw); keeping boot"));
  parse("console_focus=both");
  assert_true(shim_log_contains("'console_focus': 'both' (raw or prefixed); keeping raw"));
}

/* console_timestamps= takes Xen's values; the word alone is date, as in
 * Xen.  console_focus= is raw or prefixed. */
static void test_console_options(void **state)
{
  (void)state;
  static const struct {
    const char *line;
    enum console_ts ts;
  } cases[] = {
      {"", CONSOLE_TS_BOOT},
      {"console_timestamps=none", CONSOLE_TS_NONE},
      {"console_timestamps=date", CONSOLE_TS_DATE},
      {"console_timestamps=datems", CONSOLE_TS_DATEMS},
      {"console_timestamps=boot", CONSOLE_TS_BOOT},
      {"console_timestamps=raw", CONSOLE_TS_RAW},
      {"console_timestamps", CONSOLE_TS_DATE},
      {"console_timestamps=raw console_timestamps=none", CONSOLE_TS_NONE}, /* the last wins */
  };
  for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
    assert_int_equal(parse(cases[i].line), 0);
    assert_int_equal(cfg.timestamps, cases[i].ts);
  }
  assert_int_equal(parse("console_focus=prefixed"), 0);
  assert_false(cfg.focus_raw);
  assert_int_equal(parse("console_focus=prefixed console_focus=raw"), 0);
  assert_true(cfg.focus_raw);
}

static void test_overlong_word(void **state)
{
  (void)state;
  char line[600];
  memset(line, 'a', sizeof(line) - 1);
  line[sizeof(line) - 1] = '\0';
  memcpy(line + 500, " loglvl=err", 12); /* with its NUL */
  assert_int_equal(parse(line), 1);
  assert_true(shim_log_contains("too long"));
  assert_int_equal(cfg.loglvl, LOG_ERR);
}

static void test_parse_size(void **state)
{
  (void)state;
  uint64_t v;
  assert_int_equal(cmdline_parse_size("4096", &v), 0);
  assert_int_equal(v, 4096);
  assert_int_equal(cmdline_parse_size("4k", &v), 0);
  assert_int_equal(v, 4096);
  assert_int_equal(cmdline_parse_size("3G", &v), 0);
  assert_int_equal(v, 3ULL << 30);
  assert_int_equal(cmdline_parse_size("18446744073709551615", &v), 0);
  assert_int_equal(v, UINT64_MAX);
  assert_int_equal(cmdline_parse_size("18446744073709551616", &v), -EINVAL);
  assert_int_equal(cmdline_parse_size("17179869184G", &v), -EINVAL); /* 2^34 G */
  assert_int_equal(cmdline_parse_size("", &v), -EINVAL);
  assert_int_equal(cmdline_parse_size("M", &v), -EINVAL);
  assert_int_equal(cmdline_parse_size("12MB", &v), -EINVAL);
  assert_int_equal(cmdline_parse_size("-1", &v), -EINVAL);
}

/* GRUB's encoding of words: quotes group, backslashes escape. */
static void test_next_word_decodes_grub_encoding(void **state)
{
  (void)state;
  const char *line = "  plain \\\"esc\\\" \"two words\" a=\"b c\"d back\\\\slash $x;y 'q' ";
  const char *want[] = {"plain", "\"esc\"", "two words", "a=b cd", "back\\slash", "$x;y", "'q'"};
  char word[64];
  for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
    long n = cmdline_next_word(&line, word, sizeof(word));
    assert_int_equal(n, strlen(want[i]));
    assert_string_equal(word, want[i]);
  }
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), -1);
  assert_string_equal(word, "");
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), -1); /* stays at the end */
}

static void test_next_word_truncates_safely(void **state)
{
  (void)state;
  const char *line = "abcdefghij k";
  char word[4];
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), 10); /* full length */
  assert_string_equal(word, "abc");
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), 1);
  assert_string_equal(word, "k");
  /* A trailing backslash or an unclosed quote ends the word, no overrun. */
  line = "x\\";
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), 2);
  assert_string_equal(word, "x\\");
  line = "\"open quote";
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), 10);
  assert_int_equal(cmdline_next_word(&line, word, sizeof(word)), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_all_options),
      cmocka_unit_test(test_net_options),
      cmocka_unit_test(test_unknown_is_reported_not_fatal),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_console_options),
      cmocka_unit_test(test_overlong_word),
      cmocka_unit_test(test_console_default),
      cmocka_unit_test(test_parse_size),
      cmocka_unit_test(test_next_word_decodes_grub_encoding),
      cmocka_unit_test(test_next_word_truncates_safely),
  };
  return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
