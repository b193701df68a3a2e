/* memset and memcpy with the string instructions: zeroing a domain's RAM
 * is the biggest job at boot, and "rep stos"/"rep movs" do it at the
 * CPU's best speed (fast strings, SDM vol. 1, 7.3.9.3). */
#include <hv/string.h>

void *memset(void *s, int c, size_t n)
{
  void *d = s;
  if (!(((uintptr_t)d | n) & 7)) {
    uint64_t pattern = 0x0101010101010101ULL * (uint8_t)c;
    size_t q = n / 8;
    asm volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(pattern) : "memory");
  } else {
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  }
  return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
  void *d = dst;
  if (!(((uintptr_t)d | (uintptr_t)src) & 7)) {
    size_t q = n / 8, r = n & 7;
    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) : : "memory");
  } else {
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  }
  return dst;
}
