/* Unit tests of SHA-256, HMAC, PBKDF2 (hv/lib/sha256.c) and the
 * command line's password spec (hv/lib/pwhash.c), on published vectors.
 * Every expected value was also checked with Python's hashlib/hmac. */
#include "unit.h"

#include <hv/errno.h>
#include <hv/pwhash.h>
#include <hv/sha256.h>

/* Compare bytes with a hex string: failures print both in hex. */
static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
  char buf[2 * 64 + 1];
  assert_true(n <= 64);
  for (size_t i = 0; i < n; i++)
    snprintf(buf + 2 * i, 3, "%02x", got[i]);
  buf[2 * n] = '\0';
  assert_string_equal(buf, want);
}

static void sha_is(const void *msg, size_t len, const char *want)
{
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256(msg, len, d);
  assert_hex(d, sizeof(d), want);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"). */
static void test_sha256_nist(void **state)
{
  (void)state;
  sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_is(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

  /* One million 'a': fed in uneven pieces to exercise the buffering. */
  static char a[1000];
  struct sha256 s;
  uint8_t d[SHA256_DIGEST_SIZE];
  size_t left = 1000000, piece = 1;
  memset(a, 'a', sizeof(a));
  sha256_init(&s);
  while (left) {
    size_t n = MIN(left, piece);
    sha256_update(&s, a, n);
    left -= n;
    piece = piece % 983 + 13; /* 1..995, within a */
  }
  sha256_final(&s, d);
  assert_hex(d, sizeof(d), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The padding's edges: 55 bytes fit one block with the length, 56 need a
 * second; likewise around 64 and 120. */
static void test_sha256_padding_edges(void **state)
{
  (void)state;
  static const struct {
    size_t n;
    const char *want;
  } v[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  char a[120];
  memset(a, 'a', sizeof(a));
  for (size_t i = 0; i < ARRAY_SIZE(v); i++)
    sha_is(a, v[i].n, v[i].want);
}

/* Any split of a message into two updates gives the one-shot digest. */
static void test_sha256_splits(void **state)
{
  (void)state;
  uint8_t msg[200], whole[SHA256_DIGEST_SIZE], split[SHA256_DIGEST_SIZE];
  for (size_t i = 0; i < sizeof(msg); i++)
    msg[i] = i * 7 + 3;
  sha256(msg, sizeof(msg), whole);
  for (size_t cut = 0; cut <= sizeof(msg); cut++) {
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, msg, cut);
    sha256_update(&s, NULL, 0);
    sha256_update(&s, msg + cut, sizeof(msg) - cut);
    sha256_final(&s, split);
    assert_memory_equal(split, whole, sizeof(whole));
  }
}

static void hmac_is(const void *key, size_t keylen, const void *msg, size_t len, const char *want)
{
  uint8_t mac[SHA256_DIGEST_SIZE];
  hmac_sha256(key, keylen, msg, len, mac);
  assert_hex(mac, sizeof(mac), want);
}

/* RFC 4231 section 4, test cases 1-4, 6 and 7 (5 truncates the output). */
static void test_hmac_rfc4231(void **state)
{
  (void)state;
  uint8_t k0b[20], kaa[131], k25[25], dd[50], cd[50];
  memset(k0b, 0x0b, sizeof(k0b));
  memset(kaa, 0xaa, sizeof(kaa));
  memset(dd, 0xdd, sizeof(dd));
  memset(cd, 0xcd, sizeof(cd));
  for (unsigned i = 0; i < sizeof(k25); i++)
    k25[i] = i + 1;

  hmac_is(k0b, 20, "Hi There", 8,
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  hmac_is("Jefe", 4, "what do ya want for nothing?", 28,
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  hmac_is(kaa, 20, dd, sizeof(dd),
          "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  hmac_is(k25, sizeof(k25), cd, sizeof(cd),
          "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  hmac_is(kaa, 131, m6, strlen(m6),
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const char *m7 = "This is a test using a larger than block-size key and a larger than "
                   "block-size data. The key needs to be hashed before being used by the "
                   "HMAC algorithm.";
  hmac_is(kaa, 131, m7, strlen(m7),
          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

  /* The streaming interface, fed byte by byte, agrees. */
  struct hmac_sha256 h;
  uint8_t mac[SHA256_DIGEST_SIZE];
  hmac_sha256_init(&h, kaa, 131);
  for (size_t i = 0; i < strlen(m7); i++)
    hmac_sha256_update(&h, m7 + i, 1);
  hmac_sha256_final(&h, mac);
  assert_hex(mac, sizeof(mac), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void pbkdf2_is(const char *pw, size_t pwlen, const void *salt, size_t saltlen, uint32_t c,
                      size_t dklen, const char *want)
{
  uint8_t dk[64];
  assert_true(dklen <= sizeof(dk));
  pbkdf2_sha256(pw, pwlen, salt, saltlen, c, dk, dklen);
  assert_hex(dk, dklen, want);
}

/* "password"/"salt" with c = 1, 2, 4096 (the SHA-256 versions of RFC
 * 6070's cases, as widely published), RFC 7914 section 11's 64-byte key
 * (two PBKDF2 blocks), and keys that hashlib derived for this test. */
static void test_pbkdf2(void **state)
{
  (void)state;
  pbkdf2_is("password", 8, "salt", 4, 1, 32,
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  pbkdf2_is("password", 8, "salt", 4, 2, 32,
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
  pbkdf2_is("password", 8, "salt", 4, 4096, 32,
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  pbkdf2_is("passwd", 6, "salt", 4, 1, 64,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  /* A shorter key is the start of the longer one. */
  pbkdf2_is("passwd", 6, "salt", 4, 1, 20, "55ac046e56e3089fec1691c22544b605f9418521");
  /* A NUL inside the password counts. */
  uint8_t salt8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  pbkdf2_is("a\0b", 3, salt8, sizeof(salt8), 3, 32,
            "7f6d0b3bef4a93d8d617d1d383878f70360849e9e79017a46cdc8d60f1c0c7d6");
}

static void test_ct_equal(void **state)
{
  (void)state;
  uint8_t a[40], b[40];
  for (unsigned i = 0; i < sizeof(a); i++)
    a[i] = b[i] = i * 37;
  assert_true(ct_equal(a, b, sizeof(a)));
  assert_true(ct_equal(a, b, 0));
  assert_true(ct_equal(NULL, NULL, 0));
  /* A difference in any byte and any bit, first to last, is seen. */
  for (unsigned i = 0; i < sizeof(a); i++) {
    for (unsigned bit = 0; bit < 8; bit++) {
      b[i] ^= 1 << bit;
      assert_false(ct_equal(a, b, sizeof(a)));
      assert_false(ct_equal(b, a, sizeof(a)));
      b[i] ^= 1 << bit;
    }
  }
  /* Bytes past n do not count. */
  b[39] ^= 0xff;
  assert_true(ct_equal(a, b, 39));
  assert_false(ct_equal(a, b, 40));
}

static void test_secure_wipe(void **state)
{
  (void)state;
  uint8_t buf[33], zero[33] = {0};
  memset(buf, 0xa5, sizeof(buf));
  secure_wipe(buf, sizeof(buf));
  assert_memory_equal(buf, zero, sizeof(buf));
  secure_wipe(buf, 0);
}

/* The hashes are PBKDF2-HMAC-SHA-256 with 1000 rounds and this salt
 * (from hashlib) of "correct horse", "" and 100 'x' (a key longer than
 * a block, so HMAC hashes it). */
#define SALT16 "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define SPEC_HORSE                                                                                 \
  "pbkdf2-sha256:1000:" SALT16 ":ab583f9a0dbc3052498ab1da5f5f047dd701d8a18f7baf1b777917f1ada17e19"
#define SPEC_EMPTY                                                                                 \
  "pbkdf2-sha256:1000:" SALT16 ":1f089929807706f0b361d7db88863b4218612bd5d2141424b80969a790999f01"
#define SPEC_LONG                                                                                  \
  "pbkdf2-sha256:1000:" SALT16 ":3453da328d0c68d45d6e5bc483bcd2bc9ee669ef5e385e9d1a00bab07fdd3ae7"
#define HASH64 "ab583f9a0dbc3052498ab1da5f5f047dd701d8a18f7baf1b777917f1ada17e19"

static void test_parse_good(void **state)
{
  (void)state;
  struct pwhash h;
  const char *why = "untouched";

  assert_int_equal(pwhash_parse(SPEC_HORSE, &h, &why), 0);
  assert_string_equal(why, "untouched");
  assert_int_equal(h.iterations, 1000);
  assert_int_equal(h.salt_len, 16);
  assert_hex(h.salt, h.salt_len, SALT16);
  assert_hex(h.hash, sizeof(h.hash), HASH64);

  /* The limits, upper-case hex, and why may be NULL. */
  assert_int_equal(pwhash_parse("pbkdf2-sha256:1:0011223344556677:" HASH64, &h, NULL), 0);
  assert_int_equal(h.iterations, 1);
  assert_int_equal(h.salt_len, 8);
  assert_int_equal(pwhash_parse("pbkdf2-sha256:1000000:"
                                "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff:"
                                "AB583F9A0DBC3052498AB1DA5F5F047DD701D8A18F7BAF1B777917F1ADA17E19",
                                &h, NULL),
                   0);
  assert_int_equal(h.iterations, 1000000);
  assert_int_equal(h.salt_len, 32);
  assert_int_equal(h.salt[10], 0xaa);
  assert_hex(h.hash, sizeof(h.hash), HASH64);
  assert_int_equal(pwhash_parse("pbkdf2-sha256:0002000:" SALT16 ":" HASH64, &h, NULL), 0);
  assert_int_equal(h.iterations, 2000);
}

static void test_parse_bad(void **state)
{
  (void)state;
  static const struct {
    const char *spec, *why;
  } bad[] = {
      {"", "empty"},
      {"pbkdf2-sha1:1000:" SALT16 ":" HASH64, "unknown scheme"},
      {"pbkdf2-sha2566:1000:" SALT16 ":" HASH64, "unknown scheme"},
      {"pbkdf2-sha25:1000:" SALT16 ":" HASH64, "unknown scheme"},
      {"PBKDF2-SHA256:1000:" SALT16 ":" HASH64, "unknown scheme"},
      {"$6$salt$hash", "unknown scheme"},
      {"pbkdf2-sha256", "no iteration count"},
      {"pbkdf2-sha256:", "no iteration count"},
      {"pbkdf2-sha256::" SALT16 ":" HASH64, "no iteration count"},
      {"pbkdf2-sha256:0:" SALT16 ":" HASH64, "iteration count is 0"},
      {"pbkdf2-sha256:000:" SALT16 ":" HASH64, "iteration count is 0"},
      {"pbkdf2-sha256:1000001:" SALT16 ":" HASH64, "above 1000000"},
      {"pbkdf2-sha256:99999999999999999999999:" SALT16 ":" HASH64, "above 1000000"},
      {"pbkdf2-sha256:4294967297:" SALT16 ":" HASH64, "above 1000000"},
      {"pbkdf2-sha256:-1:" SALT16 ":" HASH64, "not a decimal"},
      {"pbkdf2-sha256:+1:" SALT16 ":" HASH64, "not a decimal"},
      {"pbkdf2-sha256:1e3:" SALT16 ":" HASH64, "not a decimal"},
      {"pbkdf2-sha256:0x10:" SALT16 ":" HASH64, "not a decimal"},
      {"pbkdf2-sha256: 100:" SALT16 ":" HASH64, "not a decimal"},
      {"pbkdf2-sha256:1000", "no salt"},
      {"pbkdf2-sha256:1000:", "salt is not 8 to 32 bytes"},
      {"pbkdf2-sha256:1000::" HASH64, "salt is not 8 to 32 bytes"},
      {"pbkdf2-sha256:1000:00112233445566:" HASH64, "salt is not 8 to 32 bytes"},
      {"pbkdf2-sha256:1000:001122334455667:" HASH64, "salt is not 8 to 32 bytes"},
      {"pbkdf2-sha256:1000:"
       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00:" HASH64,
       "salt is not 8 to 32 bytes"},
      {"pbkdf2-sha256:1000:0f1e2d3c4b5a6978879g:" HASH64, "salt is not hex"},
      {"pbkdf2-sha256:1000:0x1e2d3c4b5a697887:" HASH64, "salt is not hex"},
      {"pbkdf2-sha256:1000:" SALT16, "no hash"},
      {"pbkdf2-sha256:1000:" SALT16 ":", "hash is not 32 bytes"},
      {"pbkdf2-sha256:1000:" SALT16 ":ab583f9a", "hash is not 32 bytes"},
      {"pbkdf2-sha256:1000:" SALT16 ":" HASH64 "00", "hash is not 32 bytes"},
      {"pbkdf2-sha256:1000:" SALT16 ":" HASH64 " ", "hash is not 32 bytes"},
      {"pbkdf2-sha256:1000:" SALT16 ":" HASH64 ":", "a ':' after the hash"},
      {"pbkdf2-sha256:1000:" SALT16 ":" HASH64 ":extra", "a ':' after the hash"},
      {"pbkdf2-sha256:1000:" SALT16
       ":ab583f9a0dbc3052498ab1da5f5f047dd701d8a18f7baf1b777917f1ada17e1z",
       "hash is not hex"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct pwhash h;
    const char *why = NULL;
    memset(&h, 0x5a, sizeof(h));
    int rc = pwhash_parse(bad[i].spec, &h, &why);
    if (rc != -EINVAL || !why || !strstr(why, bad[i].why))
      fail_msg("'%s': rc %d, why '%s', want -EINVAL and '%s'", bad[i].spec, rc,
               why ? why : "(null)", bad[i].why);
    /* Nothing half-parsed is left: a refused spec checks no password. */
    assert_int_equal(h.iterations, 0);
    assert_int_equal(h.salt_len, 0);
    assert_false(pwhash_check(&h, "", 0));
  }
  struct pwhash h;
  assert_int_equal(pwhash_parse(NULL, &h, NULL), -EINVAL);
}

static void test_check(void **state)
{
  (void)state;
  struct pwhash h;
  char x100[100];
  memset(x100, 'x', sizeof(x100));

  assert_int_equal(pwhash_parse(SPEC_HORSE, &h, NULL), 0);
  assert_true(pwhash_check(&h, "correct horse", 13));
  /* The length counts, not a NUL: the same bytes with more after. */
  assert_true(pwhash_check(&h, "correct horse battery", 13));
  assert_false(pwhash_check(&h, "correct horse battery", 21));
  assert_false(pwhash_check(&h, "correct horse", 12));
  assert_false(pwhash_check(&h, "correct horsf", 13));
  assert_false(pwhash_check(&h, "Correct horse", 13));
  assert_false(pwhash_check(&h, "", 0));
  assert_false(pwhash_check(&h, NULL, 0));

  assert_int_equal(pwhash_parse(SPEC_EMPTY, &h, NULL), 0);
  assert_true(pwhash_check(&h, NULL, 0));
  assert_true(pwhash_check(&h, "", 0));
  assert_false(pwhash_check(&h, " ", 1));

  assert_int_equal(pwhash_parse(SPEC_LONG, &h, NULL), 0);
  assert_true(pwhash_check(&h, x100, sizeof(x100)));
  assert_false(pwhash_check(&h, x100, sizeof(x100) - 1));

  /* In steps: the same answer, and none before the last round. */
  assert_int_equal(pwhash_parse(SPEC_HORSE, &h, NULL), 0);
  struct pwhash_job j;
  unsigned int steps = 0;
  pwhash_begin(&j, &h, "correct horse", 13);
  while (!pwhash_step(&j, 7))
    steps++;
  assert_int_equal(steps, (h.iterations - 1) / 7 - ((h.iterations - 1) % 7 == 0));
  assert_true(pwhash_end(&j));
  pwhash_begin(&j, &h, "correct horsf", 13);
  pwhash_step(&j, 100);
  assert_false(pwhash_end(&j)); /* unfinished: never a match */
  pwhash_begin(&j, &h, "correct horse", 13);
  pwhash_step(&j, 10);
  assert_false(pwhash_end(&j));
  pwhash_begin(&j, &h, "correct horse", 13);
  pwhash_step(&j, UINT32_MAX);
  assert_true(pwhash_end(&j));
  assert_int_equal(j.done, 0); /* wiped */

  /* One round fewer is another key. */
  assert_int_equal(pwhash_parse(SPEC_HORSE, &h, NULL), 0);
  h.iterations = 999;
  assert_false(pwhash_check(&h, "correct horse", 13));

  /* A zeroed struct (never parsed) accepts nothing. */
  struct pwhash z;
  memset(&z, 0, sizeof(z));
  assert_false(pwhash_check(&z, "", 0));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_nist),   cmocka_unit_test(test_sha256_padding_edges),
      cmocka_unit_test(test_sha256_splits), cmocka_unit_test(test_hmac_rfc4231),
      cmocka_unit_test(test_pbkdf2),        cmocka_unit_test(test_ct_equal),
      cmocka_unit_test(test_secure_wipe),   cmocka_unit_test(test_parse_good),
      cmocka_unit_test(test_parse_bad),     cmocka_unit_test(test_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
