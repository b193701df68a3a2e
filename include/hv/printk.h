/* printk with log levels, panic and assertions.
 *
 * Hypervisor build: console/printk.c.  Host unit tests: test/unit/shim.c
 * provides the same functions (panic longjmps back into the test). */
#ifndef HV_PRINTK_H
#define HV_PRINTK_H

#include <hv/types.h>
#include <stdarg.h>

enum log_level {
  LOG_ALWAYS = -1, /* status lines shown whatever loglvl says (banner, ready, power off) */
  LOG_ERR = 0,
  LOG_WARN = 1,
  LOG_INFO = 2,
  LOG_DEBUG = 3,
};

/* Print at a level; messages above the current loglvl are kept in the log
 * ring but not written to the console. */
void printk(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void vprintk(enum log_level lvl, const char *fmt, va_list ap) __printf(2, 0);

#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/* For our own broken invariants only, never for bad input. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define BUG_ON(cond)                                                                               \
  do {                                                                                             \
    if (unlikely(cond))                                                                            \
      panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                                        \
  } while (0)

#ifdef NDEBUG
#define ASSERT(cond) ((void)0)
#else
#define ASSERT(cond)                                                                               \
  do {                                                                                             \
    if (unlikely(!(cond)))                                                                         \
      panic("ASSERT failed at %s:%d: %s", __FILE__, __LINE__, #cond);                              \
  } while (0)
#endif

#endif
