/* A Linux bzImage's ELF vmlinux, for the builder.  The boot header
 * (protocol 2.08 and later, Linux's Documentation/arch/x86/boot.rst) says
 * where the compressed vmlinux is: payload_offset and payload_length,
 * counted from the protected-mode part after the setup sectors; the
 * kernel's build appends the uncompressed size, 4 bytes little endian.
 * LZ4 is decompressed here (the legacy frame Linux uses: magic
 * 0x184C2102, then blocks, each its compressed size and an LZ4 block of
 * at most 8 MiB); other compressions are named and refused.  The image
 * is untrusted: every read and write is bounded. */
#include "dom0.h"
#include "guest.h"

#define LZ4_LEGACY_MAGIC 0x184c2102U
#define LZ4_LEGACY_BLOCK (8U << 20)

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool bzimage_is(const uint8_t *data, size_t size)
{
  return size >= 0x250 && !memcmp(data + 0x202, "HdrS", 4);
}

/* Copy n bytes forward from src to dst, dst at least 8 bytes after src
 * or not overlapping: 8 bytes a load and a store (REP MOVSQ would read
 * ahead of what an overlapping run has written). */
static void copy8(uint8_t *dst, const uint8_t *src, size_t n)
{
  size_t q = n / 8;
  for (size_t i = 0; i < q; i++) {
    uint64_t w;
    __builtin_memcpy(&w, src + 8 * i, 8);
    __builtin_memcpy(dst + 8 * i, &w, 8);
  }
  for (size_t i = q * 8; i < n; i++)
    dst[i] = src[i];
}

/* A length's extension bytes (255 each, then the last): -1 past the end. */
static long more_len(const uint8_t **ip, const uint8_t *end, long n)
{
  uint8_t b;
  do {
    if (*ip >= end)
      return -1;
    b = *(*ip)++;
    n += b;
  } while (b == 255 && n < (1L << 30));
  return b == 255 ? -1 : n;
}

/* One LZ4 block [ip, iend) into [out + done, out + max): the bytes it
 * gave, or -1 when it is malformed or would not fit. */
static long lz4_block(const uint8_t *ip, const uint8_t *iend, uint8_t *out, size_t done, size_t max)
{
  uint8_t *op = out + done, *oend = out + max;
  while (ip < iend) {
    uint8_t token = *ip++;
    long lit = token >> 4;
    if (lit == 15 && (lit = more_len(&ip, iend, lit)) < 0)
      return -1;
    if (lit > iend - ip || lit > oend - op)
      return -1;
    copy8(op, ip, (size_t)lit);
    ip += lit;
    op += lit;
    if (ip == iend)
      break; /* the last sequence is literals only */
    if (iend - ip < 2)
      return -1;
    size_t offset = (size_t)ip[0] | (size_t)ip[1] << 8;
    ip += 2;
    if (!offset || offset > (size_t)(op - out))
      return -1;
    long len = token & 15;
    if (len == 15 && (len = more_len(&ip, iend, len)) < 0)
      return -1;
    len += 4;
    if (len > oend - op)
      return -1;
    /* The copy may overlap what it writes (a run): 8 bytes at a time
     * only when it reaches back 8 or more. */
    const uint8_t *from = op - offset;
    if (offset >= 8)
      copy8(op, from, (size_t)len);
    else
      for (long i = 0; i < len; i++)
        op[i] = from[i];
    op += len;
  }
  return op - (out + done);
}

int bzimage_unpack(const uint8_t *data, size_t size, uint8_t *out, size_t max, size_t *len,
                   const char **why)
{
  uint16_t version = (uint16_t)(data[0x206] | data[0x207] << 8);
  if (version < 0x208) {
    *why = "its boot protocol is older than 2.08 (no payload field)";
    return -1;
  }
  unsigned int setup = data[0x1f1] ? data[0x1f1] : 4;
  uint64_t start = (uint64_t)(setup + 1) * 512 + le32(data + 0x248);
  uint64_t plen = le32(data + 0x24c);
  if (plen < 8 || start > size || plen > size - start) {
    *why = "its payload is not inside the file (truncated?)";
    return -1;
  }
  const uint8_t *p = data + start, *end = p + plen - 4; /* the size is last */
  uint32_t want = le32(end);
  if (le32(p) != LZ4_LEGACY_MAGIC) {
    static const struct {
      uint8_t magic[4];
      const char *name;
    } known[] = {
        {{0x1f, 0x8b}, "gzip"}, {{0xfd, '7', 'z', 'X'}, "xz"},      {{'B', 'Z', 'h'}, "bzip2"},
        {{0x5d, 0, 0}, "lzma"}, {{0x28, 0xb5, 0x2f, 0xfd}, "zstd"}, {{0x89, 'L', 'Z', 'O'}, "lzo"}};
    *why = "its payload's compression is unknown";
    for (unsigned int i = 0; i < sizeof(known) / sizeof(known[0]); i++)
      if (!memcmp(p, known[i].magic, known[i].magic[2] || known[i].magic[3] ? 3 : 2)) {
        static char msg[64];
        snprintf(msg, sizeof(msg), "it is %s-compressed: dom0 unpacks LZ4 only", known[i].name);
        *why = msg;
      }
    return -1;
  }
  if (want > max) {
    *why = "its vmlinux is bigger than dom0's free memory";
    return -1;
  }
  size_t done = 0;
  p += 4;
  while (p < end) {
    if (end - p < 4)
      goto bad;
    uint32_t n = le32(p);
    p += 4;
    if (n == LZ4_LEGACY_MAGIC)
      continue; /* another frame follows */
    if (n > (size_t)(end - p))
      goto bad;
    long got = lz4_block(p, p + n, out, done, want);
    if (got < 0 || got > LZ4_LEGACY_BLOCK)
      goto bad;
    done += (size_t)got;
    p += n;
  }
  if (done != want)
    goto bad;
  *len = done;
  return 0;
bad:
  *why = "its LZ4 payload is damaged";
  return -1;
}
