/* The wall clock every domain reads in its shared_info (hv/wallclock.c):
 * the UTC time of system time 0, from the RTC at boot, set by the
 * hardware domain through XENPF_settime (Xen's do_settime,
 * xen/common/time.c). */
#ifndef HV_WALLCLOCK_H
#define HV_WALLCLOCK_H

#include <hv/types.h>

struct domain;

/* The wall-clock time of system time 0: seconds and nanoseconds (below
 * 10^9) since 1970. */
void wallclock_get(uint64_t *sec, uint32_t *nsec);
/* Set the clock so that it reads secs.nsecs when system time is
 * system_time (nanoseconds), as Xen's do_settime does it: in unsigned
 * 64-bit nanoseconds, so nsecs above 10^9 carry into the seconds and a
 * system_time past secs.nsecs wraps (no check, no error).  Then every
 * domain's shared_info gets the new time (wallclock_write). */
void wallclock_set(uint64_t secs, uint32_t nsecs, uint64_t system_time);
/* Write the wall clock into d's shared_info (wc_sec, wc_nsec and
 * wc_sec_hi, with the wc_version protocol: odd while the fields change),
 * in the layout d has latched: when d is made, when it latches a layout,
 * and when the clock is set. */
void wallclock_write(struct domain *d);

#endif
