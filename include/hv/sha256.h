/* SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104), PBKDF2-HMAC-SHA-256
 * (RFC 8018), a constant-time compare and a wipe the compiler keeps. */
#ifndef HV_SHA256_H
#define HV_SHA256_H

#include <hv/types.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

/* A running hash.  Opaque: use the functions below. */
struct sha256 {
  uint32_t h[8];                  /* chaining value */
  uint64_t bytes;                 /* message length so far */
  uint8_t buf[SHA256_BLOCK_SIZE]; /* the partial block */
  size_t used;                    /* bytes in buf */
};

/* A running HMAC: the inner hash, and the outer one already keyed. */
struct hmac_sha256 {
  struct sha256 inner, outer;
};

/* Start a hash. */
void sha256_init(struct sha256 *s);

/* Hash len more bytes of data (data may be NULL when len is 0). */
void sha256_update(struct sha256 *s, const void *data, size_t len);

/* Finish: write the 32-byte digest to out and wipe s (start again with
 * sha256_init). */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE]);

/* The digest of one buffer. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

/* Start an HMAC with a key of any length (a key longer than a block is
 * hashed first, RFC 2104 section 2).  No copy of the key is left behind
 * apart from the keyed states inside h, which hmac_sha256_final wipes. */
void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t keylen);

/* Authenticate len more bytes of data. */
void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t len);

/* Finish: write the 32-byte MAC to out and wipe h. */
void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[SHA256_DIGEST_SIZE]);

/* The MAC of one message. */
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                 uint8_t out[SHA256_DIGEST_SIZE]);

/* PBKDF2 with HMAC-SHA-256 as the PRF (RFC 8018 section 5.2): derive
 * dklen bytes into dk from the password and the salt with `iterations`
 * rounds (>= 1; 0 is taken as 1).  Costs two SHA-256 blocks a round for
 * each 32 bytes of dk, plus a few.  Wipes every temporary it made; the
 * caller wipes dk when done with it. */
void pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                   uint32_t iterations, uint8_t *dk, size_t dklen);

/* PBKDF2's steps, for a caller that derives in parts (hv/lib/pwhash.c):
 * keyed is an HMAC state keyed with the password.  _first computes U_1 of
 * output block `block` into u and t; _rounds does n more rounds, u = U_j
 * and t ^= u. */
void pbkdf2_sha256_first(const struct hmac_sha256 *keyed, const void *salt, size_t saltlen,
                         uint32_t block, uint8_t u[SHA256_DIGEST_SIZE],
                         uint8_t t[SHA256_DIGEST_SIZE]);
void pbkdf2_sha256_rounds(const struct hmac_sha256 *keyed, uint8_t u[SHA256_DIGEST_SIZE],
                          uint8_t t[SHA256_DIGEST_SIZE], uint32_t n);

/* Whether the n bytes at a and b are equal, in a time that depends on n
 * only: every byte is read, with no branch on the data. */
bool ct_equal(const void *a, const void *b, size_t n);

/* Zero n bytes at p in a way the compiler may not drop even when p is
 * never read again (a plain memset before a return may be removed). */
void secure_wipe(void *p, size_t n);

#endif
