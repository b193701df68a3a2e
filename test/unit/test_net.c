/* Unit tests of the network console's parts that need no network: the
 * command line's network options (net/net_config.c), the output ring and
 * its drop accounting (net/net_out.c), and the telnet decoder
 * (net/telnet.c) with the negotiations and abuse a peer can send. */
#include "unit.h"

#include "../../net/net_priv.h"
#include <hv/errno.h>

/* ---- net_config ---- */

static void test_config_defaults_off(void **state)
{
  (void)state;
  struct net_config c;
  net_config_defaults(&c);
  assert_false(c.on);
  assert_int_equal(c.udp_port, 0);
  assert_int_equal(c.tcp_port, 0);
  assert_int_equal(c.idle_s, 900);
  assert_int_equal(net_config_apply(&c, "console", "com1"), 1); /* not ours */
}

static void test_config_dhcp_and_static(void **state)
{
  (void)state;
  struct net_config c;
  net_config_defaults(&c);
  assert_int_equal(net_config_apply(&c, "net", "dhcp"), 0);
  assert_true(c.on && c.dhcp);
  assert_int_equal(net_config_apply(&c, "net", "10.0.2.15/24,gw=10.0.2.2"), 0);
  assert_true(c.on && !c.dhcp);
  assert_int_equal(c.ip, 0x0a00020f);
  assert_int_equal(c.prefix, 24);
  assert_int_equal(c.gw, 0x0a000202);
  assert_int_equal(net_config_apply(&c, "net", "192.168.1.7/32"), 0);
  assert_int_equal(c.ip, 0xc0a80107);
  assert_int_equal(c.prefix, 32);
  assert_int_equal(c.gw, 0);
}

static void test_config_bad_values_change_nothing(void **state)
{
  (void)state;
  static const char *const bad_net[] = {
      "",
      "dhcpx",
      "10.0.2.15",
      "10.0.2.15/",
      "10.0.2.15/33",
      "10.0.2.15/0",
      "10.0.2/24",
      "10.0.2.256/24",
      "10.0.2.15/24,gw=",
      "10.0.2.15/24,gw=1.2.3",
      "10.0.2.15/24,via=1.2.3.4",
      "10.0.2.15/24gw=1.2.3.4",
      "0.0.0.0/8",
      "1.2.3.4.5/8",
      "-1.2.3.4/8",
      "10.0.2.15/24,gw=0.0.0.0",
  };
  struct net_config c, before;
  net_config_defaults(&c);
  assert_int_equal(net_config_apply(&c, "net", "10.0.2.15/24,gw=10.0.2.2"), 0);
  before = c;
  for (size_t i = 0; i < sizeof(bad_net) / sizeof(bad_net[0]); i++) {
    assert_int_equal(net_config_apply(&c, "net", bad_net[i]), -EINVAL);
    assert_memory_equal(&c, &before, sizeof(c));
  }
  assert_int_equal(net_config_apply(&c, "net", NULL), -EINVAL);
  static const char *const bad_udp[] = {"10.0.2.2", "10.0.2.2:",    "10.0.2.2:0",  "10.0.2.2:65536",
                                        ":6666",    "0.0.0.0:6666", "10.0.2.2:66x"};
  for (size_t i = 0; i < sizeof(bad_udp) / sizeof(bad_udp[0]); i++)
    assert_int_equal(net_config_apply(&c, "netconsole", bad_udp[i]), -EINVAL);
  assert_int_equal(net_config_apply(&c, "netcon", "0"), -EINVAL);
  assert_int_equal(net_config_apply(&c, "netcon", "70000"), -EINVAL);
  assert_int_equal(net_config_apply(&c, "netcon", "23a"), -EINVAL);
  assert_int_equal(net_config_apply(&c, "netcon_idle", "-1"), -EINVAL);
  assert_int_equal(net_config_apply(&c, "netcon_idle", "99999999999"), -EINVAL);
  assert_int_equal(net_config_apply(&c, "netdev", "00:03.0-too-long-for-it"), -EINVAL);
  assert_memory_equal(&c, &before, sizeof(c));
}

static void test_config_consoles(void **state)
{
  (void)state;
  struct net_config c;
  net_config_defaults(&c);
  assert_int_equal(net_config_apply(&c, "netconsole", "10.0.2.2:6666"), 0);
  assert_int_equal(c.udp_ip, 0x0a000202);
  assert_int_equal(c.udp_port, 6666);
  assert_int_equal(net_config_apply(&c, "netcon", "23"), 0);
  assert_int_equal(c.tcp_port, 23);
  assert_int_equal(net_config_apply(&c, "netcon_idle", "0"), 0);
  assert_int_equal(c.idle_s, 0);
  assert_int_equal(net_config_apply(&c, "netdev", "00:04.0"), 0);
  assert_string_equal(c.dev, "00:04.0");
  assert_int_equal(net_config_apply(&c, "netcon_pw", "pbkdf2-sha256:1:00:00"), 0);
  assert_string_equal(c.pw, "pbkdf2-sha256:1:00:00");
}

/* ---- net_out ---- */

extern bool net_out_enabled;

static void put(const char *s) { net_console_put(s, strlen(s)); }

static void test_out_readers_keep_their_own_pace(void **state)
{
  (void)state;
  struct net_reader a, b;
  char buf[64];
  uint64_t dropped;
  net_out_enabled = true;
  net_out_attach(&a);
  put("hello ");
  net_out_attach(&b);
  put("world");
  assert_int_equal(net_out_pending(&a), 11);
  assert_int_equal(net_out_read(&a, buf, 3, &dropped), 3);
  assert_memory_equal(buf, "hel", 3);
  assert_int_equal(dropped, 0);
  assert_int_equal(net_out_read(&a, buf, sizeof(buf), &dropped), 8);
  assert_memory_equal(buf, "lo world", 8);
  assert_int_equal(net_out_read(&b, buf, sizeof(buf), &dropped), 5);
  assert_memory_equal(buf, "world", 5);
  assert_int_equal(net_out_read(&b, buf, sizeof(buf), &dropped), 0);
}

static void test_out_slow_reader_told_what_it_lost(void **state)
{
  (void)state;
  struct net_reader r;
  static char big[NET_OUT_SIZE];
  char buf[32];
  uint64_t dropped;
  net_out_enabled = true;
  net_out_attach(&r);
  put("0123456789");
  memset(big, 'x', sizeof(big));
  big[sizeof(big) - 1] = 'E';
  net_console_put(big, sizeof(big)); /* overruns the reader by the 10 bytes */
  assert_int_equal(net_out_read(&r, buf, 4, &dropped), 4);
  assert_int_equal(dropped, 10);
  assert_memory_equal(buf, "xxxx", 4);
  assert_int_equal(net_out_pending(&r), NET_OUT_SIZE - 4);
  /* One write larger than the ring keeps its tail. */
  static char huge[NET_OUT_SIZE + 100];
  memset(huge, 'y', sizeof(huge));
  huge[sizeof(huge) - 1] = 'Z';
  net_console_put(huge, sizeof(huge));
  net_out_read(&r, buf, 1, &dropped);
  assert_int_equal(dropped, NET_OUT_SIZE - 4 + 100);
  r.pos = r.pos + NET_OUT_SIZE - 2;
  assert_int_equal(net_out_read(&r, buf, sizeof(buf), &dropped), 1);
  assert_int_equal(buf[0], 'Z');
  char m[64];
  net_drop_marker(m, sizeof(m), 1234);
  assert_non_null(strstr(m, "[mica: 1234 bytes dropped]"));
}

static void test_out_off_keeps_nothing(void **state)
{
  (void)state;
  struct net_reader r;
  net_out_enabled = true;
  net_out_attach(&r);
  net_out_enabled = false;
  put("unseen");
  assert_int_equal(net_out_pending(&r), 0);
  net_out_enabled = true;
}

/* ---- telnet ---- */

#define IAC 255
#define WILL 251
#define WONT 252
#define DO 253
#define DONT 254

struct rx {
  uint8_t data[4096], reply[4096];
  size_t nd, nr;
};

static void feed(struct telnet *t, struct rx *r, const uint8_t *in, size_t n)
{
  size_t nr;
  r->nd += telnet_rx(t, in, n, r->data + r->nd, r->reply + r->nr, sizeof(r->reply) - r->nr, &nr);
  r->nr += nr;
}

static void test_telnet_start_asks_for_char_mode(void **state)
{
  (void)state;
  struct telnet t;
  uint8_t out[9];
  assert_int_equal(telnet_start(&t, out), 9);
  const uint8_t want[] = {IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 3};
  assert_memory_equal(out, want, 9);
}

static void test_telnet_acks_not_answered_unknown_refused(void **state)
{
  (void)state;
  struct telnet t;
  uint8_t out[9];
  struct rx r = {0};
  telnet_start(&t, out);
  /* The client agrees to what we asked: nothing to answer. */
  const uint8_t agree[] = {IAC, DO, 1, IAC, DO, 3, IAC, WILL, 3};
  feed(&t, &r, agree, sizeof(agree));
  assert_int_equal(r.nr, 0);
  /* It offers NAWS (31) and terminal type (24), asks for LINEMODE (34). */
  const uint8_t offers[] = {IAC, WILL, 31, IAC, WILL, 24, IAC, DO, 34};
  feed(&t, &r, offers, sizeof(offers));
  const uint8_t refuse[] = {IAC, DONT, 31, IAC, DONT, 24, IAC, WONT, 34};
  assert_int_equal(r.nr, sizeof(refuse));
  assert_memory_equal(r.reply, refuse, sizeof(refuse));
  assert_int_equal(r.nd, 0);
  /* WONT/DONT for what is already off: no answer (no loop). */
  r.nr = 0;
  const uint8_t offs[] = {IAC, WONT, 31, IAC, DONT, 34, IAC, WONT, 200};
  feed(&t, &r, offs, sizeof(offs));
  assert_int_equal(r.nr, 0);
  /* DONT ECHO turns it off once, answered once. */
  const uint8_t dont_echo[] = {IAC, DONT, 1, IAC, DONT, 1};
  feed(&t, &r, dont_echo, sizeof(dont_echo));
  const uint8_t wont_echo[] = {IAC, WONT, 1};
  assert_int_equal(r.nr, 3);
  assert_memory_equal(r.reply, wont_echo, 3);
}

static void test_telnet_data_crlf_iac_and_split_sequences(void **state)
{
  (void)state;
  struct telnet t;
  uint8_t out[9];
  struct rx r = {0};
  telnet_start(&t, out);
  const uint8_t in[] = {'l',          's', '\r', '\n', 'a', '\r',          0,   'b',
                        IAC,          IAC, 'c',  '\n', IAC, 241 /* NOP */, 'd', IAC,
                        250 /* SB */, 24,  0,    'x',  'y', IAC,           240, 'e'};
  /* Byte by byte: every sequence is split across calls. */
  for (size_t i = 0; i < sizeof(in); i++)
    feed(&t, &r, &in[i], 1);
  const uint8_t want[] = {'l', 's', '\r', 'a', '\r', 'b', IAC, 'c', '\n', 'd', 'e'};
  assert_int_equal(r.nd, sizeof(want));
  assert_memory_equal(r.data, want, sizeof(want));
  assert_int_equal(r.nr, 0);
}

static void test_telnet_storm_bounded(void **state)
{
  (void)state;
  struct telnet t;
  uint8_t out[9];
  static uint8_t storm[30000];
  static struct rx r;
  memset(&r, 0, sizeof(r));
  telnet_start(&t, out);
  /* 10,000 requests for unknown options: every answer fits the room
   * given, or is left out; no data comes out. */
  for (size_t i = 0; i < sizeof(storm); i += 3) {
    storm[i] = IAC;
    storm[i + 1] = (uint8_t)(WILL + (i / 3) % 4);
    storm[i + 2] = (uint8_t)(i / 3);
  }
  size_t nr;
  uint8_t data[sizeof(storm)], reply[30];
  assert_int_equal(telnet_rx(&t, storm, sizeof(storm), data, reply, sizeof(reply), &nr), 0);
  assert_true(nr <= sizeof(reply) && nr % 3 == 0);
  /* A subnegotiation that never ends swallows everything, harmlessly. */
  const uint8_t sb[] = {IAC, 250, 1};
  assert_int_equal(telnet_rx(&t, sb, 3, data, reply, sizeof(reply), &nr), 0);
  memset(storm, 'A', sizeof(storm));
  assert_int_equal(telnet_rx(&t, storm, sizeof(storm), data, reply, sizeof(reply), &nr), 0);
  const uint8_t se[] = {IAC, 240, 'k'};
  assert_int_equal(telnet_rx(&t, se, 3, data, reply, sizeof(reply), &nr), 1);
  assert_int_equal(data[0], 'k');
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_defaults_off),
      cmocka_unit_test(test_config_dhcp_and_static),
      cmocka_unit_test(test_config_bad_values_change_nothing),
      cmocka_unit_test(test_config_consoles),
      cmocka_unit_test(test_out_readers_keep_their_own_pace),
      cmocka_unit_test(test_out_slow_reader_told_what_it_lost),
      cmocka_unit_test(test_out_off_keeps_nothing),
      cmocka_unit_test(test_telnet_start_asks_for_char_mode),
      cmocka_unit_test(test_telnet_acks_not_answered_unknown_refused),
      cmocka_unit_test(test_telnet_data_crlf_iac_and_split_sequences),
      cmocka_unit_test(test_telnet_storm_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
