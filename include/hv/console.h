/* The hypervisor console: the log ring and the queue to the console devices. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/printk.h>

#define CONSOLE_LOG_SIZE (64 * 1024)
#define CONSOLE_TX_SIZE (32 * 1024)

/* Messages at or below this level reach the console devices. */
extern enum log_level console_loglvl;

/* Send queued bytes that the devices can take now; never waits. */
void console_kick(void);
/* Send every queued byte and wait until the devices have sent them. */
void console_flush(void);
/* Copy up to n bytes of the log ring starting at absolute position *pos
 * (bytes ever logged, 0 = oldest still kept) into buf; advances *pos.
 * Returns the number of bytes copied. */
size_t console_log_read(uint64_t *pos, char *buf, size_t n);
/* Total number of bytes ever written to the log ring. */
uint64_t console_log_total(void);

#endif
