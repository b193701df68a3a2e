/* The guest runtime: what a guest's guest_main() can call.  Our dom0
 * (dom0/) and the test guests (test/guests/) are built on it.
 *
 * A guest defines guest_main(); the runtime (runtime/) enters it
 * in 64-bit mode on a 16 KiB stack with interrupts off, the first 4 GiB of
 * guest-physical memory identity mapped (so a physical address from the
 * start info is a usable pointer) and an IDT that reports any exception
 * and crashes the domain. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <public/hvm.h>

/* ---- Provided by each guest ---- */

/* The test.  si is the start info the domain builder passed (its magic is
 * already checked).  Return 0 for a pass, anything else for a fail;
 * guest_exit() is called with the outcome. */
int guest_main(const struct hvm_start_info *si);

/* ---- Start and end ---- */

/* Print "TEST PASS" (ok != 0) or "TEST FAIL" on a line of its own, then
 * shut the domain down with SHUTDOWN_poweroff (pass) or SHUTDOWN_crash
 * (fail).  If the hypervisor lets the vcpu run on, it triple faults. */
__attribute__((noreturn)) void guest_exit(int ok);

/* End the domain by triple fault: an empty IDT and an exception.  For
 * when no hypercall can be trusted to stop us. */
__attribute__((noreturn)) void guest_triple_fault(void);

/* The TSC at the guest's first instruction (head.S reads it before
 * anything else). */
extern uint64_t guest_entry_tsc;

/* The command line from the start info ("" when there is none). */
const char *guest_cmdline(const struct hvm_start_info *si);

/* ---- Interrupts (trap.c) ----
 * Route interrupt vector (32..255) to fn, called with the vector and
 * interrupts off; each vector has its own (a new call for the same vector
 * replaces it). */
void guest_set_irq_vector(unsigned int vector, void (*fn)(unsigned int vector));

/* ---- MSRs that may not exist (trap.c) ----
 * RDMSR / WRMSR that return -1 instead of crashing the guest when the
 * access raises #GP, else 0 (and *val for a read). */
int guest_rdmsr_safe(uint32_t msr, uint64_t *val);
int guest_wrmsr_safe(uint32_t msr, uint64_t val);

/* ---- Exceptions on purpose (trap.c) ----
 * Call fn(arg); if it raises an exception (in ring 0, or in ring 3 where
 * fn may go), abandon it and return the vector; -1 when fn returns.  Not
 * nested; the exception's error code is not kept. */
int guest_catch(void (*fn)(void *), void *arg);

/* ---- Command line (cmdline.c) ---- */

/* Find word "key=value" in the space-separated cmdline and copy value
 * (NUL-terminated, truncated to size - 1) into val.  A bare "key" gives
 * "".  Returns 1 if found, 0 if not. */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size);

/* ---- Console (printf.c) ---- */

/* The usual formats: %d %i %u %x %X %p %s %c %%, the l, ll and z length
 * modifiers, a field width and the '0' and '-' flags.  printf() and puts()
 * write through console_io and return the number of bytes formatted. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
int puts(const char *s); /* s and a newline */

/* The number in word "key=N" of the cmdline (decimal), or def when
 * the word is absent; digits stop at the first non-digit. */
unsigned long cmdline_num(const char *cmdline, const char *key, unsigned long def);

/* ---- Time (time.c) ---- */

/* The TSC, read after everything before it (LFENCE): under Bochs with
 * `clock: sync=none`, a count of emulated instructions. */
static inline uint64_t rdtsc_ordered(void)
{
  uint32_t lo, hi;
  __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
  return (uint64_t)hi << 32 | lo;
}

/* System time in ns from a pvclock, retried while the hypervisor
 * updates it (odd version, or a version that changed meanwhile). */
struct vcpu_time_info;
uint64_t pvclock_ns(const volatile struct vcpu_time_info *t);

/* ---- Memory (paging.c) ---- */

/* Identity map the 2 MiB page at paddr (2 MiB aligned, below 512 GiB),
 * read/write.  For touching guest-physical addresses above the boot map.
 * Returns 0, or -1 if paddr is unsuitable or the table pool is used up. */
int paging_map_2m(uint64_t paddr);

/* ---- Strings (string.c) ---- */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- Port I/O ---- */
static inline void outb(uint16_t port, uint8_t v)
{
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
  uint8_t v;

  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
  __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
  __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
  uint32_t v;

  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

#endif
