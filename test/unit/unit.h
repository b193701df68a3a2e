/* What every host unit test includes: cmocka, the printk/panic shim and
 * the fake RAM.  A test file is test/unit/test_<module>.c; see unit.mk. */
#ifndef UNIT_H
#define UNIT_H

/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arch/mm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- panic: test/unit/shim.c ----
 * panic() longjmps to shim_panic_jmp while EXPECT_PANIC arms it; an
 * unexpected panic fails the running test with the panic's message. */
extern jmp_buf shim_panic_jmp;
extern volatile bool shim_panic_armed;
extern char shim_panic_msg[512]; /* the last panic's message */

/* Run stmt, which must panic; fail the test if it returns. */
#define EXPECT_PANIC(stmt)                                                                         \
  do {                                                                                             \
    shim_panic_msg[0] = '\0';                                                                      \
    shim_panic_armed = true;                                                                       \
    if (setjmp(shim_panic_jmp) == 0) {                                                             \
      stmt;                                                                                        \
      shim_panic_armed = false;                                                                    \
      fail_msg("%s:%d: expected a panic from: %s", __FILE__, __LINE__, #stmt);                     \
    }                                                                                              \
    shim_panic_armed = false;                                                                      \
  } while (0)

/* As EXPECT_PANIC, and the panic message must contain the string text. */
#define EXPECT_PANIC_MSG(stmt, text)                                                               \
  do {                                                                                             \
    EXPECT_PANIC(stmt);                                                                            \
    if (!strstr(shim_panic_msg, (text)))                                                           \
      fail_msg("%s:%d: panic \"%s\" does not mention \"%s\"", __FILE__, __LINE__, shim_panic_msg,  \
               (text));                                                                            \
  } while (0)

/* ---- printk: everything printed is kept in a buffer (and echoed to stdout
 * when the environment has UNIT_VERBOSE=1), one message a line. ---- */
void shim_log_clear(void);
const char *shim_log(void);
bool shim_log_contains(const char *text);

#endif
