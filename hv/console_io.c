/* console_io: guests write to the hypervisor console; dom0 reads the
 * hypervisor's log ring. */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <public/xen.h>

#define CONSOLE_IO_MAX 16384 /* bytes per call; a guest loops for more */

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
      for (int i = 0; i < n; i++)
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
