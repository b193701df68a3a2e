/* console_io: guests write to the hypervisor console. */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/net.h>
#include <hv/timer.h>
#include <public/xen.h>

#define CONSOLE_IO_TURN 4096 /* bytes per turn; more is a continuation */
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

/* Xen 4.19's do_console_io and xsm_console_io: dom0 may do anything; a
 * domU may write (as a debug Xen allows) and nothing else (-EPERM, before
 * the command is even looked at).  The count is unsigned; a write has no
 * limit but goes 4 KiB per turn (a continuation); a read returns what was
 * typed on the serial line while dom0 had the focus (0 bytes if none). */
long do_console_io(struct vcpu *v, unsigned int cmd, unsigned int count, uint64_t buf,
                   uint64_t args[6])
{
  char chunk[128];

  if (!v->dom->privileged && cmd != CONSOLEIO_write)
    return -EPERM;
  switch (cmd) {
  case CONSOLEIO_write: {
    unsigned int turn = MIN(count, (unsigned int)CONSOLE_IO_TURN);
    for (unsigned int done = 0; done < turn;) {
      unsigned int n = MIN(turn - done, (unsigned int)sizeof(chunk));
      if (arch_copy_from_guest(v, chunk, buf + done, n))
        return -EFAULT;
      domain_console_write(v->dom, chunk, rate_limit(v->dom, n));
      done += n;
    }
    net_console_kick(); /* to the TCP console now, not at the next poll */
    if (turn < count) {
      args[1] = count - turn;
      args[2] = buf + turn;
      return -ERESTART;
    }
    return 0;
  }
  case CONSOLEIO_read: {
    if (count > 0x7fffffffU)
      return -E2BIG; /* the result must not look like an error */
    /* What was typed while dom0 had the focus (hv/console_mux.c). */
    unsigned int done = 0;
    while (done < count) {
      size_t n = console_mux_read(chunk, MIN(count - done, (unsigned int)sizeof(chunk)));
      if (!n)
        break;
      if (arch_copy_to_guest(v, buf + done, chunk, n))
        return -EFAULT; /* those bytes are lost, as in Xen */
      done += (unsigned int)n;
    }
    return (long)done;
  }
  default: return -ENOSYS;
  }
}
