/* sched_op: a vcpu gives up the CPU, or its domain shuts down. */
#include <arch/arch.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/sched.h>
#include <public/sched.h>

long do_sched_op(struct vcpu *v, int cmd, uint64_t arg)
{
  struct sched_shutdown sd;

  switch (cmd) {
  case SCHEDOP_yield:
  case SCHEDOP_block: /* no events yet to wait for: a yield */
    sched_resched = true;
    return 0;
  case SCHEDOP_shutdown:
  case SCHEDOP_shutdown_code:
    /* Like Xen, neither checks the reason: an unknown one still ends the
     * domain, and is reported as "unknown". */
    if (arch_copy_from_guest(v, &sd, arg, sizeof(sd)))
      return -EFAULT;
    if (cmd == SCHEDOP_shutdown_code) {
      if (!v->dom->has_shutdown_code) { /* the first one counts */
        v->dom->shutdown_code = sd.reason;
        v->dom->has_shutdown_code = true;
      }
      return 0;
    }
    domain_shutdown(v->dom, sd.reason);
    sched_resched = true;
    return 0;
  default:
    return -ENOSYS;
  }
}
