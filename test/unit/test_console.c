/* Unit tests of printk, the log ring and the console queue (hv/console.c),
 * with the console devices, the clock and halting faked here. */
#define _GNU_SOURCE /* memmem */
#include "unit.h"

#include <arch/arch.h>
#include <hv/console.h>
#include <hv/net.h>
#include "../../net/net_priv.h"

/* ---- fakes of the arch side ---- */
static char sent[256 * 1024]; /* everything the "devices" were given */
static size_t nsent;
static unsigned long busy_calls; /* tx_room answers 0 this many more times */
static unsigned long room_calls, drains;
static uint64_t fake_ns;
static unsigned long irq_depth;
static jmp_buf halt_jmp;

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
void arch_cpu_relax(void) {}
uint64_t arch_now_ns(void) { return fake_ns; }
unsigned long arch_irq_save(void) { return irq_depth++; }
void arch_irq_restore(unsigned long flags) { irq_depth = flags; }
void arch_halt_forever(void) { longjmp(halt_jmp, 1); }

static int setup(void **state)
{
  (void)state;
  console_flush(); /* nothing left over from the previous test */
  nsent = 0;
  busy_calls = room_calls = drains = 0;
  fake_ns = 0;
  console_loglvl = LOG_INFO;
  return 0;
}

static bool sent_contains(const char *s)
{
  return memmem(sent, nsent, s, strlen(s)) != NULL;
}

static void test_line_format(void **state)
{
  (void)state;
  fake_ns = 1000002999ULL; /* 1.000002999 s */
  printk(LOG_INFO, "hello %d %s\n", 42, "world");
  const char want[] = "[    1.000002] hello 42 world\r\n";
  assert_int_equal(nsent, strlen(want));
  assert_memory_equal(sent, want, strlen(want));
  assert_int_equal(irq_depth, 0);
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
    /* Last: after a panic the console stays in panic mode. */
    cmocka_unit_test_setup(test_panic_prints_flushes_and_halts, setup),
  };
  return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
