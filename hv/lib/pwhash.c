/* The password spec of the command line, pbkdf2-sha256:ITER:SALT:HASH,
 * parsed and checked: the line is readable by guests (XENVER_commandline)
 * and lands in the log, so it carries a salted, stretched hash, never the
 * password. */
#include <hv/errno.h>
#include <hv/pwhash.h>
#include <hv/string.h>

/* Decode the hex field [s, end), of even length, into out.  Returns
 * false at a character that is not a hex digit. */
static bool hex_field(const char *s, const char *end, uint8_t *out)
{
  for (; s < end; s += 2) {
    int hi = hex_digit(s[0]), lo = hex_digit(s[1]);
    if (hi < 0 || lo < 0)
      return false;
    *out++ = hi << 4 | lo;
  }
  return true;
}

/* The end of the field starting at s: its ':' or the NUL. */
static const char *field_end(const char *s)
{
  while (*s && *s != ':')
    s++;
  return s;
}

static int fail(struct pwhash *out, const char **why, const char *reason)
{
  memset(out, 0, sizeof(*out));
  if (why)
    *why = reason;
  return -EINVAL;
}

int pwhash_parse(const char *spec, struct pwhash *out, const char **why)
{
  const char *p = spec, *end;
  uint32_t iter = 0;
  size_t n;

  memset(out, 0, sizeof(*out));
  if (!spec || !*spec)
    return fail(out, why, "empty");

  end = field_end(p);
  if ((size_t)(end - p) != strlen(PWHASH_SCHEME) || strncmp(p, PWHASH_SCHEME, end - p))
    return fail(out, why, "unknown scheme (want pbkdf2-sha256:ITERATIONS:SALT:HASH)");
  if (!*end)
    return fail(out, why, "no iteration count");

  p = end + 1;
  end = field_end(p);
  if (p == end)
    return fail(out, why, "no iteration count");
  for (; p < end; p++) {
    /* The bound is checked at each digit, so iter cannot overflow. */
    if (*p < '0' || *p > '9')
      return fail(out, why, "iteration count is not a decimal number");
    iter = iter * 10 + (*p - '0');
    if (iter > PWHASH_ITER_MAX)
      return fail(out, why, "iteration count above 1000000");
  }
  if (iter < PWHASH_ITER_MIN)
    return fail(out, why, "iteration count is 0");
  if (!*end)
    return fail(out, why, "no salt");

  p = end + 1;
  end = field_end(p);
  n = end - p;
  if (n % 2 || n < 2 * PWHASH_SALT_MIN || n > 2 * PWHASH_SALT_MAX)
    return fail(out, why, "salt is not 8 to 32 bytes (16 to 64 hex digits)");
  if (!hex_field(p, end, out->salt))
    return fail(out, why, "salt is not hex");
  out->salt_len = n / 2;
  if (!*end)
    return fail(out, why, "no hash");

  p = end + 1;
  end = field_end(p);
  if (*end)
    return fail(out, why, "a ':' after the hash");
  if (end - p != 2 * PWHASH_HASH_SIZE)
    return fail(out, why, "hash is not 32 bytes (64 hex digits)");
  if (!hex_field(p, end, out->hash))
    return fail(out, why, "hash is not hex");

  out->iterations = iter;
  return 0;
}

void pwhash_begin(struct pwhash_job *j, const struct pwhash *h, const char *pw, size_t len)
{
  memset(j, 0, sizeof(*j));
  j->h = h;
  j->valid = h->iterations >= PWHASH_ITER_MIN && h->iterations <= PWHASH_ITER_MAX &&
             h->salt_len >= PWHASH_SALT_MIN && h->salt_len <= PWHASH_SALT_MAX;
  if (!j->valid)
    return;
  /* A 32-byte key is PBKDF2's one output block (INT(1)). */
  hmac_sha256_init(&j->keyed, pw, len);
  pbkdf2_sha256_first(&j->keyed, h->salt, h->salt_len, 1, j->u, j->t);
  j->done = 1;
}

bool pwhash_step(struct pwhash_job *j, uint32_t rounds)
{
  if (!j->valid)
    return true;
  uint32_t n = MIN(rounds, j->h->iterations - j->done);
  pbkdf2_sha256_rounds(&j->keyed, j->u, j->t, n);
  j->done += n;
  return j->done >= j->h->iterations;
}

bool pwhash_end(struct pwhash_job *j)
{
  bool ok = j->valid && j->done >= j->h->iterations && ct_equal(j->t, j->h->hash, sizeof(j->t));
  secure_wipe(j, sizeof(*j));
  return ok;
}

bool pwhash_check(const struct pwhash *h, const char *pw, size_t len)
{
  struct pwhash_job j;

  pwhash_begin(&j, h, pw, len);
  pwhash_step(&j, UINT32_MAX);
  return pwhash_end(&j);
}
