/* Unit tests of printk, the log ring and the console queue (hv/console.c)
 * and of what domains' output becomes there (hv/domain_console.c), with
 * the console devices, the clocks, the input focus and halting faked here. */
#define _GNU_SOURCE /* memmem */
#include "unit.h"

#include "../../net/net_priv.h"
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/net.h>

#include "fake_arch.h"

/* ---- fakes of the arch side (the clock and interrupts: fake_arch.c) ---- */
static char sent[256 * 1024]; /* everything the "devices" were given */
static size_t nsent;
static unsigned long busy_calls; /* tx_room answers 0 this many more times */
static unsigned long room_calls, drains;
static jmp_buf halt_jmp;
static uint64_t fake_wall_sec, fake_cycles;
static uint32_t fake_wall_nsec;
static const struct domain *fake_focus;

unsigned int arch_console_tx_room(void)
{
  room_calls++;
  if (busy_calls) {
    busy_calls--;
    return 0;
  }
  return 16; /* like a 16550 FIFO */
}

void arch_console_tx(const char *s, unsigned int n)
{
  assert_true(n <= 16);
  assert_true(nsent + n <= sizeof(sent));
  memcpy(sent + nsent, s, n);
  nsent += n;
}

void arch_console_drain(void) { drains++; }
void arch_halt_forever(void) { longjmp(halt_jmp, 1); }
void arch_wallclock(uint64_t *sec, uint32_t *nsec)
{
  *sec = fake_wall_sec;
  *nsec = fake_wall_nsec;
}
uint64_t arch_cycles(void) { return fake_cycles; }

/* hv/console_mux.c's side. */
bool console_focus_raw = true;
bool console_mux_has_focus(const struct domain *d) { return d == fake_focus; }

static int setup(void **state)
{
  (void)state;
  console_flush(); /* nothing left over from the previous test */
  nsent = 0;
  busy_calls = room_calls = drains = 0;
  fake_now_ns = 0;
  fake_wall_sec = fake_cycles = 0;
  fake_wall_nsec = 0;
  fake_focus = NULL;
  console_focus_raw = true;
  console_loglvl = LOG_INFO;
  console_timestamps = CONSOLE_TS_BOOT;
  return 0;
}

/* What the devices got, as a string (setup empties it). */
static const char *sent_str(void)
{
  static char buf[sizeof(sent) + 1];
  memcpy(buf, sent, nsent);
  buf[nsent] = '\0';
  return buf;
}

/* What the log ring got since *pos, as a string; advances *pos. */
static const char *log_since(uint64_t *pos)
{
  static char buf[4096];
  size_t n = console_log_read(pos, buf, sizeof(buf) - 1);
  buf[n] = '\0';
  return buf;
}

static void write_str(struct domain *d, const char *s) { domain_console_write(d, s, strlen(s)); }

static struct domain dom1 = {.name = "domu1"}, dom2 = {.name = "domu2"};

/* The domains start each test with nothing held. */
static int setup_domains(void **state)
{
  setup(state);
  dom1.con_len = dom1.con_shown_len = 0;
  dom2.con_len = dom2.con_shown_len = 0;
  console_end_line(&dom1);
  console_end_line(&dom2);
  console_flush();
  nsent = 0;
  return 0;
}

static bool sent_contains(const char *s) { return memmem(sent, nsent, s, strlen(s)) != NULL; }

static void test_line_format(void **state)
{
  (void)state;
  fake_now_ns = 1000002999ULL; /* 1.000002999 s */
  printk(LOG_INFO, "hello %d %s\n", 42, "world");
  const char want[] = "[    1.000002] hello 42 world\r\n";
  assert_int_equal(nsent, strlen(want));
  assert_memory_equal(sent, want, strlen(want));
  assert_int_equal(fake_irq_depth, 0);
}

/* The network console gets the devices' stream, byte for byte, once it
 * is enabled; a stalled network peer never holds up the devices. */
static void test_network_copy_is_the_device_stream(void **state)
{
  (void)state;
  struct net_reader r;
  char got[4096];
  uint64_t dropped;
  pr_info("before the network");
  net_out_enabled = true;
  net_out_attach(&r);
  size_t from = nsent;
  pr_info("one %d", 1);
  pr_warn("two");
  printk(LOG_DEBUG, "not on the devices, not on the network");
  size_t n = net_out_read(&r, got, sizeof(got), &dropped);
  assert_int_equal(dropped, 0);
  assert_int_equal(n, nsent - from);
  assert_memory_equal(got, sent + from, n);
  /* Nobody reads the network's copy: the devices still get every line. */
  for (int i = 0; i < 300; i++)
    pr_info("%04d %0100d", i, 0);
  console_flush();
  assert_true(sent_contains("0299 0000"));
  net_out_read(&r, got, 1, &dropped);
  assert_true(dropped > 0);
  net_out_enabled = false;
}

static void test_loglvl_filters_console_not_ring(void **state)
{
  (void)state;
  console_loglvl = LOG_WARN;
  uint64_t pos = console_log_total();
  pr_info("quiet info");
  pr_debug("quiet debug");
  pr_err("loud error");
  assert_false(sent_contains("quiet"));
  assert_true(sent_contains("loud error"));

  char buf[256];
  size_t n = console_log_read(&pos, buf, sizeof(buf) - 1);
  buf[n] = '\0';
  assert_non_null(strstr(buf, "quiet info\n"));
  assert_non_null(strstr(buf, "quiet debug\n"));
  assert_non_null(strstr(buf, "loud error\n"));
  assert_int_equal(pos, console_log_total());
  assert_int_equal(console_log_read(&pos, buf, sizeof(buf)), 0); /* nothing new */
}

static void test_log_ring_wraps_and_keeps_newest(void **state)
{
  (void)state;
  console_loglvl = LOG_ERR; /* keep the devices out of it */
  for (int i = 0; i < 5000; i++)
    pr_info("line %05d", i); /* 5000 * 29 bytes > 64 KiB */
  uint64_t total = console_log_total();
  assert_true(total > CONSOLE_LOG_SIZE);

  uint64_t pos = 0; /* long gone: reading starts at the oldest kept byte */
  static char buf[CONSOLE_LOG_SIZE + 1];
  size_t n = console_log_read(&pos, buf, sizeof(buf));
  assert_int_equal(n, CONSOLE_LOG_SIZE);
  assert_int_equal(pos, total);
  buf[n] = '\0';
  const char *last = "line 04999\n";
  assert_memory_equal(buf + n - strlen(last), last, strlen(last));
  assert_null(strstr(buf, "line 00000")); /* overwritten */

  /* A reader in the middle gets exactly what follows. */
  pos = total - 11;
  char small[32];
  n = console_log_read(&pos, small, sizeof(small));
  assert_int_equal(n, 11);
  assert_memory_equal(small, last, 11);
}

/* A slow device: printk waits rather than drop when the queue is full, and
 * the bytes come out complete and in order. */
static void test_full_queue_loses_nothing(void **state)
{
  (void)state;
  busy_calls = 1000000; /* the device is busy for a long time */
  char line[100];
  memset(line, 'x', sizeof(line) - 1);
  line[sizeof(line) - 1] = '\0';
  for (int i = 0; i < 500; i++) /* ~60 KiB, more than the 32 KiB queue */
    pr_info("%04d %s", i, line);
  console_flush();
  assert_int_equal(busy_calls, 0);
  assert_true(drains >= 1);
  size_t per_line = strlen("[    0.000000] 0000 ") + 99 + 2;
  assert_int_equal(nsent, 500 * per_line);
  for (int i = 0; i < 500; i++) {
    char want[32];
    snprintf(want, sizeof(want), "[    0.000000] %04d x", i);
    assert_memory_equal(sent + i * per_line, want, strlen(want));
  }
}

static void test_overlong_message_is_cut(void **state)
{
  (void)state;
  static char big[4096];
  memset(big, 'y', sizeof(big) - 1);
  pr_info("%s", big);
  assert_true(nsent > 400 && nsent < 520);
  assert_memory_equal(sent + nsent - 2, "\r\n", 2);
}

/* Each console_timestamps value starts a line as Xen's does. */
static void test_timestamp_formats(void **state)
{
  (void)state;
  fake_now_ns = 1500250999ULL; /* 1.500250999 s since boot */
  fake_wall_sec = 1709251199;  /* 2024-02-29 23:59:59 UTC at boot */
  fake_wall_nsec = 600000000;  /* + 0.6 s: boot + 1.5 s is 2024-03-01 00:00:01.1 */
  fake_cycles = 0x123456789abcULL;
  static const struct {
    enum console_ts ts;
    const char *want;
  } cases[] = {
      {CONSOLE_TS_NONE, "x\r\n"},
      {CONSOLE_TS_DATE, "[2024-03-01 00:00:01] x\r\n"},
      {CONSOLE_TS_DATEMS, "[2024-03-01 00:00:01.100] x\r\n"},
      {CONSOLE_TS_BOOT, "[    1.500250] x\r\n"},
      {CONSOLE_TS_RAW, "[0000123456789abc] x\r\n"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    nsent = 0;
    uint64_t pos = console_log_total();
    console_timestamps = cases[i].ts;
    pr_info("x");
    assert_string_equal(sent_str(), cases[i].want);
    /* The log ring has the same line, with "\n" alone. */
    char want_log[64];
    snprintf(want_log, sizeof(want_log), "%.*s\n", (int)strlen(cases[i].want) - 2, cases[i].want);
    assert_string_equal(log_since(&pos), want_log);
  }
}

/* Dates far from the epoch, a leap day, and no wall clock at all. */
static void test_timestamp_dates(void **state)
{
  (void)state;
  console_timestamps = CONSOLE_TS_DATE;
  static const struct {
    uint64_t sec;
    const char *want;
  } cases[] = {
      {951782400, "[2000-02-29 00:00:00] x\r\n"},
      {4107542399ULL, "[2100-02-28 23:59:59] x\r\n"},
      {4107542400ULL, "[2100-03-01 00:00:00] x\r\n"}, /* 2100 is no leap year */
      {1, "[1970-01-01 00:00:01] x\r\n"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    nsent = 0;
    fake_wall_sec = cases[i].sec;
    pr_info("x");
    assert_string_equal(sent_str(), cases[i].want);
  }
  /* No wall clock (RTC unreadable, or not read yet): time since boot. */
  nsent = 0;
  fake_wall_sec = 0;
  fake_now_ns = 2000000000ULL;
  console_timestamps = CONSOLE_TS_DATEMS;
  pr_info("x");
  assert_string_equal(sent_str(), "[    2.000000] x\r\n");
}

/* The focused domain's bytes reach the devices as it wrote them, at once;
 * the log ring gets its lines with its name. */
static void test_focused_output_is_raw(void **state)
{
  (void)state;
  fake_now_ns = 3000000000ULL;
  fake_focus = &dom1;
  uint64_t pos = console_log_total();
  write_str(&dom1, "/ # ");
  assert_string_equal(sent_str(), "/ # "); /* a prompt: no line end needed */
  write_str(&dom1, "l");
  write_str(&dom1, "s\r\n\x1b[1;34mbin\x1b[0m\tetc\x07\b\r\n");
  assert_string_equal(sent_str(), "/ # ls\r\n\x1b[1;34mbin\x1b[0m\tetc\x07\b\r\n");
  /* Bytes a terminal could take for something else become '?'. */
  nsent = 0;
  write_str(&dom1, "a\x01\x7f\x9b\xff"
                   "b\n");
  assert_string_equal(sent_str(), "a????b\n"); /* LF as it came: no CR added */
  /* The log: whole lines, prefixed, plain text (ESC, BEL, BS as '?'). */
  assert_string_equal(log_since(&pos), "[    3.000000] (domu1) / # ls\n"
                                       "[    3.000000] (domu1) ?[1;34mbin?[0m\tetc??\n"
                                       "[    3.000000] (domu1) a????b\n");
}

/* A domain without the focus: whole lines with its name, plain text, on
 * the devices and in the log alike; an unfinished line is held. */
static void test_unfocused_output_is_prefixed(void **state)
{
  (void)state;
  fake_focus = &dom1;
  uint64_t pos = console_log_total();
  write_str(&dom2, "hi\r\nthere \x1b[2J\rX");
  assert_string_equal(sent_str(), "[    0.000000] (domu2) hi\r\n");
  write_str(&dom2, "\n");
  assert_string_equal(sent_str(), "[    0.000000] (domu2) hi\r\n"
                                  "[    0.000000] (domu2) there ?[2J?X\r\n");
  assert_string_equal(log_since(&pos), "[    0.000000] (domu2) hi\n"
                                       "[    0.000000] (domu2) there ?[2J?X\n");
  /* console_focus=prefixed: the focused domain is shown like the others. */
  nsent = 0;
  console_focus_raw = false;
  write_str(&dom1, "/ # ");
  assert_int_equal(nsent, 0);
  write_str(&dom1, "ls\r\n");
  assert_string_equal(sent_str(), "[    0.000000] (domu1) / # ls\r\n");
  /* A line longer than the buffer goes out in pieces, none lost. */
  nsent = 0;
  char longl[300];
  memset(longl, 'z', sizeof(longl));
  domain_console_write(&dom2, longl, sizeof(longl));
  write_str(&dom2, "\n");
  size_t zs = 0;
  for (size_t i = 0; i < nsent; i++)
    zs += sent[i] == 'z';
  assert_int_equal(zs, sizeof(longl));
}

/* dom0's lines reach the devices but not the log ring (Xen's
 * console_to_ring off), so `xl dmesg` on its console does not read its
 * own output back; with console_to_ring they go into the ring too. */
static void test_dom0_output_not_in_ring(void **state)
{
  (void)state;
  static struct domain dom0 = {.name = "dom0", .privileged = true};
  uint64_t pos = console_log_total();
  write_str(&dom0, "from dom0\n");
  write_str(&dom1, "from domu1\n");
  assert_true(sent_contains("(dom0) from dom0\r\n"));
  assert_string_equal(log_since(&pos), "[    0.000000] (domu1) from domu1\n");
  console_to_ring = true;
  write_str(&dom0, "again\n");
  console_to_ring = false;
  assert_string_equal(log_since(&pos), "[    0.000000] (dom0) again\n");
}

/* Other output while the focused domain is in the middle of a line: the
 * line ends first, the other line comes whole, then the focused domain's
 * line is shown again and continues. */
static void test_mid_line_interleaving(void **state)
{
  (void)state;
  fake_focus = &dom1;
  write_str(&dom1, "/ # ");
  pr_info("hv says");
  write_str(&dom2, "other\n");
  pr_debug("not shown: leaves the line alone");
  write_str(&dom1, "ls\r\n");
  assert_string_equal(sent_str(), "/ # \r\n"
                                  "[    0.000000] hv says\r\n"
                                  "[    0.000000] (domu2) other\r\n"
                                  "/ # ls\r\n");
  /* A printk the devices do not show does not cut the line. */
  nsent = 0;
  write_str(&dom1, "$ ");
  pr_debug("quiet");
  write_str(&dom1, "x");
  assert_string_equal(sent_str(), "$ x");
  console_end_line(&dom1);
  assert_string_equal(sent_str(), "$ x\r\n");
  dom1.con_len = dom1.con_shown_len = 0;
}

/* The focus moves: the message ends the old line, the new focused
 * domain's held prompt is shown raw, the old one's line goes out whole
 * with its name when it ends. */
static void test_focus_moves_mid_line(void **state)
{
  (void)state;
  fake_focus = &dom1;
  write_str(&dom1, "abc");
  write_str(&dom2, "p> "); /* held: dom2 has no focus */
  fake_focus = &dom2;
  printk(LOG_ALWAYS, "mica: console input goes to domu2");
  domain_console_show_partial(&dom2);
  write_str(&dom2, "y");
  write_str(&dom1, "def\n");
  write_str(&dom2, "\r\n");
  assert_string_equal(sent_str(), "abc\r\n"
                                  "[    0.000000] mica: console input goes to domu2\r\n"
                                  "p> y\r\n"
                                  "[    0.000000] (domu1) abcdef\r\n"
                                  "p> y\r\n");
  /* It comes back after a cut: its unfinished line is shown again. */
  nsent = 0;
  write_str(&dom2, "q> ");
  pr_info("cut");
  domain_console_show_partial(&dom2);
  assert_string_equal(sent_str(), "q> \r\n[    0.000000] cut\r\nq> ");
}

/* A domain that stops mid-line: the devices get a line end, the log its
 * last line. */
static void test_domain_end_mid_line(void **state)
{
  (void)state;
  fake_focus = &dom1;
  uint64_t pos = console_log_total();
  write_str(&dom1, "last words");
  domain_console_end(&dom1);
  write_str(&dom2, "held");
  domain_console_end(&dom2);
  assert_string_equal(sent_str(), "last words\r\n[    0.000000] (domu2) held\r\n");
  assert_string_equal(log_since(&pos), "[    0.000000] (domu1) last words\n"
                                       "[    0.000000] (domu2) held\n");
  nsent = 0;
  domain_console_end(&dom1); /* nothing left: nothing more */
  assert_int_equal(nsent, 0);
}

static void test_panic_prints_flushes_and_halts(void **state)
{
  (void)state;
  console_loglvl = LOG_ERR;
  busy_calls = 50;
  if (setjmp(halt_jmp) == 0) {
    panic("broken invariant %d", 7);
    fail_msg("panic returned");
  }
  assert_true(sent_contains("PANIC: broken invariant 7\r\n"));
  assert_true(sent_contains("mica: halted\r\n"));
  assert_true(drains >= 1);
  assert_int_equal(busy_calls, 0); /* everything was pushed out first */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_line_format, setup),
      cmocka_unit_test_setup(test_network_copy_is_the_device_stream, setup),
      cmocka_unit_test_setup(test_loglvl_filters_console_not_ring, setup),
      cmocka_unit_test_setup(test_log_ring_wraps_and_keeps_newest, setup),
      cmocka_unit_test_setup(test_full_queue_loses_nothing, setup),
      cmocka_unit_test_setup(test_overlong_message_is_cut, setup),
      cmocka_unit_test_setup(test_timestamp_formats, setup),
      cmocka_unit_test_setup(test_timestamp_dates, setup),
      cmocka_unit_test_setup(test_focused_output_is_raw, setup_domains),
      cmocka_unit_test_setup(test_unfocused_output_is_prefixed, setup_domains),
      cmocka_unit_test_setup(test_mid_line_interleaving, setup_domains),
      cmocka_unit_test_setup(test_focus_moves_mid_line, setup_domains),
      cmocka_unit_test_setup(test_domain_end_mid_line, setup_domains),
      cmocka_unit_test_setup(test_dom0_output_not_in_ring, setup_domains),
      /* Last: after a panic the console stays in panic mode. */
      cmocka_unit_test_setup(test_panic_prints_flushes_and_halts, setup),
  };
  return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
