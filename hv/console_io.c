/* console_io: guests write to the hypervisor console; dom0 reads the
 * hypervisor's log ring. */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/timer.h>
#include <public/xen.h>

#define CONSOLE_IO_MAX 16384 /* bytes per call; a guest loops for more */
/* domUs share the serial line with everyone: each may write a burst of
 * 16 KiB, then 8 KiB a second (about two thirds of a 115200-baud line for
 * all of them together is the budget of a few busy domUs). */
#define DOMU_CON_BURST 16384
#define DOMU_CON_RATE 8192 /* bytes per second */

/* How many of n bytes domain d may write now. */
static size_t rate_limit(struct domain *d, size_t n)
{
  if (d->privileged)
    return n;
  uint64_t now = timer_now();
  if (!d->con_refill_ns) { /* first write: a full burst */
    d->con_tokens = DOMU_CON_BURST;
    d->con_refill_ns = now;
  }
  uint64_t add = (now - d->con_refill_ns) * DOMU_CON_RATE / 1000000000ULL;
  if (add) {
    d->con_tokens = MIN(d->con_tokens + add, (uint64_t)DOMU_CON_BURST);
    d->con_refill_ns = now;
  }
  size_t ok = (size_t)MIN((uint64_t)n, d->con_tokens);
  d->con_tokens -= ok;
  d->con_dropped += n - ok;
  return ok;
}

long do_console_io(struct vcpu *v, int cmd, int count, uint64_t buf)
{
  char chunk[128];
  static uint64_t dom0_read_pos; /* where dom0's reading of the log is */

  if (count < 0)
    return -EINVAL;
  switch (cmd) {
  case CONSOLEIO_write:
    if (count > CONSOLE_IO_MAX)
      return -EINVAL;
    for (int done = 0; done < count;) {
      int n = MIN(count - done, (int)sizeof(chunk));
      if (arch_copy_from_guest(v, chunk, buf + (uint64_t)done, (size_t)n))
        return -EFAULT;
      size_t allowed = rate_limit(v->dom, (size_t)n);
      for (size_t i = 0; i < allowed; i++)
        domain_console_putc(v->dom, chunk[i]);
      done += n;
    }
    return 0;
  case CONSOLEIO_read: {
    if (!v->dom->privileged)
      return -EPERM;
    int done = 0;
    while (done < count) {
      uint64_t pos = dom0_read_pos;
      size_t n = console_log_read(&pos, chunk, (size_t)MIN(count - done, (int)sizeof(chunk)));
      if (!n)
        break;
      if (arch_copy_to_guest(v, buf + (uint64_t)done, chunk, n))
        return -EFAULT;
      dom0_read_pos = pos;
      done += (int)n;
    }
    return done;
  }
  default:
    return -ENOSYS;
  }
}
