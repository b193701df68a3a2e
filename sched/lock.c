/* hv_lock, the lock every CPU holds while it runs hypervisor code (the
 * model is described in include/hv/spinlock.h), and the slow path of
 * every spinlock. */
#include <arch/arch.h>
#include <hv/spinlock.h>

struct spinlock hv_lock = SPINLOCK_INIT;

void spin_lock_wait(struct spinlock *l, uint32_t me)
{
  while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
    arch_cpu_relax();
}
