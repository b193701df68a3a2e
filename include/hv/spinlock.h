/* Spinlocks for generic code, and hv_lock, the one lock that serialises
 * the hypervisor across CPUs (the first step of SMP; finer locks later).
 *
 * The model (see also sched/core.c):
 * - A CPU holds hv_lock whenever it runs hypervisor code that touches
 *   shared state: VM exit handling, hypercalls, the scheduler loop, soft
 *   timer callbacks.  It lets go only while it is in guest mode (released
 *   just before VM entry, taken again right after the exit) or halted in
 *   the idle loop.  So all of hv/ sched/ evtchn/ mm/ runs as if there were
 *   one CPU, and needs no locks of its own.
 * - Interrupt handlers never take it: they only raise per-CPU flags
 *   (timer_raise, the reschedule IPI) or do CPU-local work (the EPT flush
 *   IPI), so holding hv_lock with interrupts on cannot deadlock.
 * - hv_lock is taken with interrupts on, so a CPU spinning for it still
 *   answers IPIs (a synchronous flush waits for their answers).
 * - The console queue has its own lock (hv/console.c): the timer
 *   interrupt drains it.
 *
 * A ticket lock: CPUs get in in the order they asked, so no CPU starves. */
#ifndef HV_SPINLOCK_H
#define HV_SPINLOCK_H

#include <hv/types.h>

struct spinlock {
  uint32_t next;  /* the ticket the next CPU to ask gets */
  uint32_t owner; /* the ticket now allowed in */
};

#define SPINLOCK_INIT                                                                              \
  {                                                                                                \
    0, 0                                                                                           \
  }

/* Wait until ticket me is served (the contended path, out of line). */
void spin_lock_wait(struct spinlock *l, uint32_t me);

/* Take l; spins while another CPU holds it.  Not recursive. */
static inline void spin_lock(struct spinlock *l)
{
  uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
  if (__builtin_expect(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me, 0))
    spin_lock_wait(l, me);
}

/* Take l if nobody holds it; true when taken. */
static inline bool spin_trylock(struct spinlock *l)
{
  uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
  uint32_t expect = owner;
  return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED);
}

/* Let the next waiter in.  Only the holder may call it. */
static inline void spin_unlock(struct spinlock *l)
{
  __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* Whether some CPU holds l (for assertions). */
static inline bool spin_is_locked(const struct spinlock *l)
{
  return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
         __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

/* Whether a CPU waits for l, which this CPU holds (so it may let go
 * sooner: the idle CPUs' scrubbing). */
static inline bool spin_is_contended(const struct spinlock *l)
{
  return __atomic_load_n(&l->next, __ATOMIC_RELAXED) - l->owner > 1;
}

/* The hypervisor lock (model above); defined in sched/lock.c. */
extern struct spinlock hv_lock;
static inline void hv_lock_take(void) { spin_lock(&hv_lock); }
static inline void hv_lock_drop(void) { spin_unlock(&hv_lock); }

#endif
