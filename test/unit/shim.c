/* Host stand-ins for the hypervisor's printk and panic, for unit tests. */
#include "unit.h"
#include <hv/printk.h>

/* What hv/console.c decides from loglvl=: here everything is printed, so
 * code that formats debug lines only on request formats them. */
enum log_level console_loglvl = LOG_DEBUG;

jmp_buf shim_panic_jmp;
volatile bool shim_panic_armed;
char shim_panic_msg[512];

/* The log: messages since the last shim_log_clear(); the tail is dropped
 * when full, which no test comes near. */
static char log_buf[64 * 1024];
static size_t log_len;

void shim_log_clear(void)
{
  log_len = 0;
  log_buf[0] = '\0';
}

const char *shim_log(void) { return log_buf; }

bool shim_log_contains(const char *text) { return strstr(log_buf, text) != NULL; }

static void log_line(const char *prefix, const char *msg)
{
  int n = snprintf(log_buf + log_len, sizeof(log_buf) - log_len, "%s%s\n", prefix, msg);
  if (n > 0)
    log_len = MIN(log_len + (size_t)n, sizeof(log_buf) - 1);
  const char *v = getenv("UNIT_VERBOSE");
  if (v && *v == '1')
    printf("  | %s%s\n", prefix, msg);
}

void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
  static const char *const prefix[] = {"(err) ", "(warn) ", "(info) ", "(debug) "};
  char msg[1024];

  vsnprintf(msg, sizeof(msg), fmt, ap);
  log_line((unsigned int)lvl < ARRAY_SIZE(prefix) ? prefix[lvl] : "", msg);
}

void printk(enum log_level lvl, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprintk(lvl, fmt, ap);
  va_end(ap);
}

void panic(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(shim_panic_msg, sizeof(shim_panic_msg), fmt, ap);
  va_end(ap);
  log_line("PANIC: ", shim_panic_msg);
  if (shim_panic_armed) {
    shim_panic_armed = false;
    longjmp(shim_panic_jmp, 1);
  }
  /* Fails the running test (cmocka longjmps back into its runner). */
  fail_msg("unexpected panic: %s", shim_panic_msg);
  abort();
}

/* hv/setup.c asks the arch about the screen before choosing consoles. */
#include <arch/arch.h>
bool arch_screen_init(const struct boot_fb *fb)
{
  (void)fb;
  return false;
}
