/* SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104) and PBKDF2-HMAC-SHA-256
 * (RFC 8018): enough to check a password against a salted hash without a
 * heap, leaving no key material behind on the stack. */
#include <hv/sha256.h>
#include <hv/string.h>

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes. */
static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 section 5.3.3: the square roots of the first 8 primes. */
static const uint32_t h256_init[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

void secure_wipe(void *p, size_t n)
{
  memset(p, 0, n);
  /* Tell the compiler the zeroed memory may be read after all, so the
   * memset is not a dead store it can drop.  Emits no instruction. */
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

bool ct_equal(const void *a, const void *b, size_t n)
{
  /* Volatile loads and a volatile accumulator: every byte is read and
   * folded in, so the compiler can neither stop at the first difference
   * nor turn the loop into memcmp. */
  const volatile uint8_t *x = a, *y = b;
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < n; i++)
    diff |= x[i] ^ y[i];
  /* diff is 0..255: diff - 1 has bit 8 set exactly when diff was 0. */
  return (((uint32_t)diff - 1) >> 8) & 1;
}

static inline uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Word t >= 16 of the message schedule (FIPS 180-4 6.2.2 step 1), kept
 * in a ring of 16: w[t & 15] still holds W[t-16] and becomes W[t]. */
static inline uint32_t schedule(uint32_t w[16], unsigned t)
{
  uint32_t w2 = w[(t - 2) & 15], w15 = w[(t - 15) & 15];
  uint32_t s0 = ror(w15, 7) ^ ror(w15, 18) ^ (w15 >> 3);
  uint32_t s1 = ror(w2, 17) ^ ror(w2, 19) ^ (w2 >> 10);
  return w[t & 15] += s1 + w[(t - 7) & 15] + s0;
}

/* One round (6.2.2 step 3) with schedule word wt, the eight working
 * variables renamed instead of moved: the caller rotates the arguments. */
#define ROUND(a, b, c, d, e, f, g, h, t, wt)                                                       \
  do {                                                                                             \
    uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + k256[t] + wt; \
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));           \
    d += t1;                                                                                       \
    h = t1 + t2;                                                                                   \
  } while (0)

/* Eight rounds from t, each with schedule word W(t + i). */
#define ROUNDS8(t, W)                                                                              \
  do {                                                                                             \
    ROUND(a, b, c, d, e, f, g, hh, t, W(t));                                                       \
    ROUND(hh, a, b, c, d, e, f, g, t + 1, W(t + 1));                                               \
    ROUND(g, hh, a, b, c, d, e, f, t + 2, W(t + 2));                                               \
    ROUND(f, g, hh, a, b, c, d, e, t + 3, W(t + 3));                                               \
    ROUND(e, f, g, hh, a, b, c, d, t + 4, W(t + 4));                                               \
    ROUND(d, e, f, g, hh, a, b, c, t + 5, W(t + 5));                                               \
    ROUND(c, d, e, f, g, hh, a, b, t + 6, W(t + 6));                                               \
    ROUND(b, c, d, e, f, g, hh, a, t + 7, W(t + 7));                                               \
  } while (0)
#define W_LOADED(t) w[t]
#define W_SCHED(t) schedule(w, t)

/* Fold one 64-byte block into the chaining value h. */
static void compress(uint32_t h[8], const uint8_t *block)
{
  uint32_t w[16];
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];

  for (unsigned i = 0; i < 16; i++)
    w[i] = load_be32(block + 4 * i);
  ROUNDS8(0, W_LOADED);
  ROUNDS8(8, W_LOADED);
  for (unsigned t = 16; t < 64; t += 8)
    ROUNDS8(t, W_SCHED);
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
  /* The last 16 schedule words give back the whole block (the schedule
   * runs backwards), and the block may hold a key. */
  secure_wipe(w, sizeof(w));
}

void sha256_init(struct sha256 *s)
{
  memcpy(s->h, h256_init, sizeof(s->h));
  s->bytes = 0;
  s->used = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
  const uint8_t *p = data;

  if (!len) /* data may be NULL: keep it away from memcpy */
    return;
  s->bytes += len;
  if (s->used) {
    size_t n = MIN(len, SHA256_BLOCK_SIZE - s->used);
    memcpy(s->buf + s->used, p, n);
    s->used += n;
    p += n;
    len -= n;
    if (s->used < SHA256_BLOCK_SIZE)
      return;
    compress(s->h, s->buf);
    s->used = 0;
  }
  for (; len >= SHA256_BLOCK_SIZE; p += SHA256_BLOCK_SIZE, len -= SHA256_BLOCK_SIZE)
    compress(s->h, p);
  if (len) {
    memcpy(s->buf, p, len);
    s->used = len;
  }
}

/* sha256_final without the wipe, for callers that reuse s in a loop and
 * wipe it once at the end. */
static void finish(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE])
{
  uint64_t bits = s->bytes * 8;

  /* 5.1.1: a 1 bit, zeros up to 56 bytes into a block, the bit length. */
  s->buf[s->used++] = 0x80;
  if (s->used > SHA256_BLOCK_SIZE - 8) {
    memset(s->buf + s->used, 0, SHA256_BLOCK_SIZE - s->used);
    compress(s->h, s->buf);
    s->used = 0;
  }
  memset(s->buf + s->used, 0, SHA256_BLOCK_SIZE - 8 - s->used);
  store_be32(s->buf + 56, bits >> 32);
  store_be32(s->buf + 60, (uint32_t)bits);
  compress(s->h, s->buf);
  for (unsigned i = 0; i < 8; i++)
    store_be32(out + 4 * i, s->h[i]);
}

void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE])
{
  finish(s, out);
  secure_wipe(s, sizeof(*s));
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
  struct sha256 s;
  sha256_init(&s);
  sha256_update(&s, data, len);
  sha256_final(&s, out);
}

void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t keylen)
{
  uint8_t k[SHA256_BLOCK_SIZE];

  /* RFC 2104 section 2: K is hashed when longer than a block, then padded
   * with zeros; the inner hash starts with K ^ ipad, the outer K ^ opad. */
  memset(k, 0, sizeof(k));
  if (keylen > SHA256_BLOCK_SIZE)
    sha256(key, keylen, k);
  else if (keylen)
    memcpy(k, key, keylen);
  for (unsigned i = 0; i < SHA256_BLOCK_SIZE; i++)
    k[i] ^= 0x36;
  sha256_init(&h->inner);
  sha256_update(&h->inner, k, sizeof(k));
  for (unsigned i = 0; i < SHA256_BLOCK_SIZE; i++)
    k[i] ^= 0x36 ^ 0x5c;
  sha256_init(&h->outer);
  sha256_update(&h->outer, k, sizeof(k));
  secure_wipe(k, sizeof(k));
}

void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t len)
{
  sha256_update(&h->inner, data, len);
}

/* hmac_sha256_final without the wipe (see finish()). */
static void hmac_finish(struct hmac_sha256 *h, uint8_t out[SHA256_DIGEST_SIZE])
{
  finish(&h->inner, out);
  sha256_update(&h->outer, out, SHA256_DIGEST_SIZE);
  finish(&h->outer, out);
}

void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[SHA256_DIGEST_SIZE])
{
  hmac_finish(h, out);
  secure_wipe(h, sizeof(*h));
}

void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                 uint8_t out[SHA256_DIGEST_SIZE])
{
  struct hmac_sha256 h;
  hmac_sha256_init(&h, key, keylen);
  hmac_sha256_update(&h, data, len);
  hmac_sha256_final(&h, out);
}

/* RFC 8018 5.2: T_i = U_1 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)),
 * U_j = PRF(P, U_{j-1}).  The password is the HMAC key of every round:
 * keyed holds that state, copied for each round, so that a round costs
 * two SHA-256 blocks, not four. */
void pbkdf2_sha256_first(const struct hmac_sha256 *keyed, const void *salt, size_t saltlen,
                         uint32_t block, uint8_t u[SHA256_DIGEST_SIZE],
                         uint8_t t[SHA256_DIGEST_SIZE])
{
  struct hmac_sha256 h = *keyed;
  uint8_t be_i[4];
  store_be32(be_i, block);
  hmac_sha256_update(&h, salt, saltlen);
  hmac_sha256_update(&h, be_i, sizeof(be_i));
  hmac_finish(&h, u);
  memcpy(t, u, SHA256_DIGEST_SIZE);
  secure_wipe(&h, sizeof(h));
}

void pbkdf2_sha256_rounds(const struct hmac_sha256 *keyed, uint8_t u[SHA256_DIGEST_SIZE],
                          uint8_t t[SHA256_DIGEST_SIZE], uint32_t n)
{
  struct hmac_sha256 h;
  for (; n; n--) {
    h = *keyed;
    hmac_sha256_update(&h, u, SHA256_DIGEST_SIZE);
    hmac_finish(&h, u);
    for (unsigned int b = 0; b < SHA256_DIGEST_SIZE; b++)
      t[b] ^= u[b];
  }
  secure_wipe(&h, sizeof(h));
}

void pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                   uint32_t iterations, uint8_t *dk, size_t dklen)
{
  struct hmac_sha256 keyed;
  uint8_t u[SHA256_DIGEST_SIZE], t[SHA256_DIGEST_SIZE];

  hmac_sha256_init(&keyed, pw, pwlen);
  for (uint32_t i = 1; dklen; i++) {
    size_t n = MIN(dklen, (size_t)SHA256_DIGEST_SIZE);
    pbkdf2_sha256_first(&keyed, salt, saltlen, i, u, t);
    pbkdf2_sha256_rounds(&keyed, u, t, iterations > 1 ? iterations - 1 : 0);
    memcpy(dk, t, n);
    dk += n;
    dklen -= n;
  }
  secure_wipe(&keyed, sizeof(keyed));
  secure_wipe(u, sizeof(u));
  secure_wipe(t, sizeof(t));
}
