/* Typed wrappers for the few hypercalls every test guest uses. */
#include <public/sched.h>
#include <public/version.h>
#include <public/xen.h>

#include "hypercall.h"

long xen_console_write(const char *buf, size_t len)
{
  return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, (unsigned long)buf);
}

long xen_sched_shutdown(unsigned int reason)
{
  struct sched_shutdown arg = {.reason = reason};

  return hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&arg);
}

long xen_version(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_xen_version, (unsigned long)cmd, (unsigned long)arg);
}

int guest_on_mica(void)
{
  char extra[XEN_EXTRAVERSION_LEN] = "";

  if (xen_version(XENVER_extraversion, extra))
    return 0;
  return extra[0] == '-' && extra[1] == 'm' && extra[2] == 'i' && extra[3] == 'c' &&
         extra[4] == 'a';
}
