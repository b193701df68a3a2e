/* What the 32-bit test guests need beside the portable runtime files:
 * no exception handlers, and the 64-bit division gcc calls for on i386
 * (there is no 32-bit libgcc on the build machines). */
#include "guest.h"
#include "runtime.h"

/* No handlers: an empty IDT makes any exception a triple fault, which the
 * hypervisor reports with the guest's RIP as it crashes the domain. */
void trap_init(void) { runtime_empty_idt(); }

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
  uint64_t q = 0, r = 0;

  if (d == 0)
    guest_triple_fault(); /* as a divide error would end it */
  for (int i = 63; i >= 0; i--) {
    r = r << 1 | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= 1ULL << i;
    }
  }
  *rem = r;
  return q;
}

/* The other libgcc entry points gcc may emit for unsigned 64-bit / and %. */
uint64_t __udivdi3(uint64_t n, uint64_t d)
{
  uint64_t r;
  return __udivmoddi4(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
  uint64_t r;
  __udivmoddi4(n, d, &r);
  return r;
}
