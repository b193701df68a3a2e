/* sched_op (hypercall 29): yield, block, poll and shut down.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/sched.h).
 *
 * Call: sched_op(cmd, arg).  The older sched_op_compat (hypercall 6) takes
 * the same cmd with an integer arg: 0 for yield/block, a SHUTDOWN_* reason
 * for shutdown. */
#ifndef MICA_PUBLIC_SCHED_H
#define MICA_PUBLIC_SCHED_H

#include "xen.h"

#define SCHEDOP_yield 0 /* arg unused: give up the CPU */
/* arg unused: sleep until an event is pending.  Called with upcalls masked,
 * it unmasks them and re-checks for pending events before sleeping, so a
 * wakeup arriving in between is not lost. */
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2        /* arg -> struct sched_shutdown */
#define SCHEDOP_poll 3            /* arg -> struct sched_poll */
#define SCHEDOP_remote_shutdown 4 /* arg -> struct sched_remote_shutdown */
/* arg -> struct sched_shutdown: record the reason a later shutdown reports. */
#define SCHEDOP_shutdown_code 5
#define SCHEDOP_watchdog 6     /* arg -> struct sched_watchdog */
#define SCHEDOP_pin_override 7 /* arg -> struct sched_pin_override */

/* Shut the calling domain down.  For SHUTDOWN_suspend, a PV guest also
 * passes its start_info frame as the third argument, and the call returns
 * (1 if the suspend was cancelled, 0 when resumed in a new domain). */
struct sched_shutdown {
  unsigned int reason; /* SHUTDOWN_* */
};                     /* 4 bytes */

/* Block until one of the ports is pending or the timeout passes. */
struct sched_poll {
  XEN_GUEST_HANDLE(evtchn_port_t) ports; /* array of nr_ports ports */
  unsigned int nr_ports;
  uint64_t timeout; /* absolute system time in ns; 0 = none */
};                  /* 24 bytes (16 for a 32-bit guest) */

/* Record a shutdown for another domain (used by device models). */
struct sched_remote_shutdown {
  domid_t domain_id;
  unsigned int reason; /* SHUTDOWN_* */
};                     /* 8 bytes */

/* id == 0: create a watchdog that shuts the domain down after timeout
 * seconds, returning its id; id != 0: re-arm it with timeout, or destroy
 * it if timeout == 0. */
struct sched_watchdog {
  uint32_t id;
  uint32_t timeout;
}; /* 8 bytes */

/* Hardware domain only: pin the calling vcpu to pcpu; negative undoes it. */
struct sched_pin_override {
  int32_t pcpu;
}; /* 4 bytes */

/* Shutdown reasons. */
#define SHUTDOWN_poweroff 0   /* exited normally */
#define SHUTDOWN_reboot 1     /* restart it */
#define SHUTDOWN_suspend 2    /* save it for later */
#define SHUTDOWN_crash 3      /* it crashed */
#define SHUTDOWN_watchdog 4   /* its watchdog expired */
#define SHUTDOWN_soft_reset 5 /* reset hypervisor state, keep memory */
#define SHUTDOWN_MAX 5

#endif
