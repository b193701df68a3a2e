/* A salted password hash given on the command line, and the check of a
 * typed password against it (the network console's login). */
#ifndef HV_PWHASH_H
#define HV_PWHASH_H

#include <hv/sha256.h>

/* The scheme, the one part of the spec before the first ':'. */
#define PWHASH_SCHEME "pbkdf2-sha256"
#define PWHASH_SALT_MIN 8 /* bytes */
#define PWHASH_SALT_MAX 32
#define PWHASH_HASH_SIZE SHA256_DIGEST_SIZE
#define PWHASH_ITER_MIN 1
#define PWHASH_ITER_MAX 1000000

/* A parsed spec: PBKDF2-HMAC-SHA-256(password, salt, iterations, 32). */
struct pwhash {
  uint32_t iterations;
  uint8_t salt[PWHASH_SALT_MAX];
  size_t salt_len;
  uint8_t hash[PWHASH_HASH_SIZE];
};

/* Parse "pbkdf2-sha256:ITERATIONS:SALTHEX:HASHHEX" (tools/mica-passwd
 * prints it): ITERATIONS decimal in 1..1000000, SALTHEX 8..32 bytes and
 * HASHHEX exactly 32 bytes in hex digits (either case), nothing after.
 * The spec holds only [a-z0-9:-] so that it passes GRUB and hv.cfg as is.
 * Returns 0 with *out filled, or -EINVAL with *out zeroed and, when why
 * is not NULL, *why pointing at a static sentence saying what is wrong. */
int pwhash_parse(const char *spec, struct pwhash *out, const char **why);

/* Whether the len bytes at pw (need not be NUL-terminated; may be NULL
 * when len is 0) are the password h was made from.  The comparison takes
 * constant time; the derivation's cost depends on h->iterations (two
 * SHA-256 blocks each) and hardly on len.  Leaves no derived key on the
 * stack.  False for a struct pwhash that pwhash_parse did not fill. */
bool pwhash_check(const struct pwhash *h, const char *pw, size_t len);

/* The same check in steps, for a caller that must not stop for the whole
 * derivation (the network console runs it in its poll, a few hundred
 * rounds at a time).  pwhash_begin keys the HMAC with pw (which may then
 * be wiped) and does the first round; pwhash_step does up to rounds more
 * and returns true when no round is left; pwhash_end says whether the
 * password matched (false before every round is done) and wipes the job.
 * h must stay valid until pwhash_end. */
struct pwhash_job {
  const struct pwhash *h;
  struct hmac_sha256 keyed; /* the HMAC state keyed with the password */
  uint8_t u[PWHASH_HASH_SIZE], t[PWHASH_HASH_SIZE];
  uint32_t done; /* rounds done */
  bool valid;    /* h is a parsed spec */
};
void pwhash_begin(struct pwhash_job *j, const struct pwhash *h, const char *pw, size_t len);
bool pwhash_step(struct pwhash_job *j, uint32_t rounds);
bool pwhash_end(struct pwhash_job *j);

#endif
