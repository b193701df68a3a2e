/* Time as a guest reads it: the TSC, and system time from a pvclock
 * (struct vcpu_time_info) with the ABI's version protocol. */
#include <public/xen.h>

#include "guest.h"

uint64_t pvclock_ns(const volatile struct vcpu_time_info *t)
{
  uint32_t ver;
  uint64_t r;
  do {
    ver = t->version;
    __asm__ volatile("" ::: "memory"); /* the fields after the version */
    uint64_t d = rdtsc_ordered() - t->tsc_timestamp;
    int8_t shift = t->tsc_shift;
    d = shift >= 0 ? d << shift : d >> -shift;
    r = t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_to_system_mul) >> 32);
    __asm__ volatile("" ::: "memory"); /* and the version after them */
  } while ((ver & 1) || ver != t->version);
  return r;
}
