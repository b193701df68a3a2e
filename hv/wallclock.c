/* The wall clock of every domain: shared_info's wc_sec, wc_nsec and
 * wc_sec_hi give the UTC time of system time 0, so a guest adds its
 * pvclock's system time to get the date.  It comes from the RTC at boot
 * (arch_wallclock) until the hardware domain sets it (XENPF_settime32/64,
 * hv/platform_op.c), as in Xen 4.19 (xen/common/time.c do_settime and
 * update_domain_wallclock_time). */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/compat.h>
#include <hv/domain.h>
#include <hv/wallclock.h>

#define NSEC_PER_SEC 1000000000ULL

static bool wc_set;      /* set by the hardware domain; else the RTC's */
static uint64_t wc_sec;  /* then: the seconds of system time 0 */
static uint32_t wc_nsec; /* and the nanoseconds */

static void barrier_release(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

void wallclock_get(uint64_t *sec, uint32_t *nsec)
{
  if (!wc_set) {
    arch_wallclock(sec, nsec);
    return;
  }
  *sec = wc_sec;
  *nsec = wc_nsec;
}

void wallclock_set(uint64_t secs, uint32_t nsecs, uint64_t system_time)
{
  /* Xen's arithmetic, wrap-around included. */
  uint64_t ns = secs * NSEC_PER_SEC + nsecs - system_time;
  wc_sec = ns / NSEC_PER_SEC;
  wc_nsec = (uint32_t)(ns % NSEC_PER_SEC);
  wc_set = true;
  for (struct domain *d = domain_list; d; d = d->next)
    wallclock_write(d);
}

void wallclock_write(struct domain *d)
{
  if (!d->shared_info)
    return; /* not made yet, or gone */
  struct shared_info *s = phys_to_virt(d->shared_info);
  struct compat_shared_info *c = phys_to_virt(d->shared_info);
  /* The fields of the layout d has latched (domain_latch_shinfo_size). */
  bool compat = d->has_32bit_shinfo;
  uint32_t *version = compat ? &c->wc_version : &s->wc_version;
  uint32_t *wc = compat ? &c->wc_sec : &s->wc_sec; /* wc_sec, then wc_nsec */
  uint32_t *sec_hi = compat ? &c->arch.wc_sec_hi : &s->wc_sec_hi;
  uint64_t sec;
  uint32_t nsec;

  wallclock_get(&sec, &nsec);
  *version = (*version + 1) | 1; /* odd: being written */
  barrier_release();
  wc[0] = (uint32_t)sec;
  *sec_hi = (uint32_t)(sec >> 32);
  wc[1] = nsec;
  barrier_release();
  ++*version;
}
