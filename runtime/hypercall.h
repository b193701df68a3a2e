/* Hypercalls from a test guest: VMCALL with the Xen convention of the
 * mode the guest is built for.
 *
 * 64-bit: RAX = hypercall vector (__HYPERVISOR_*), arguments in RDI, RSI,
 * RDX, R10, R8, result (>= 0, or -XEN_E*) back in RAX.
 * 32-bit (-m32, the 32-bit guests): EAX = vector, arguments in EBX, ECX,
 * EDX, ESI, EDI, result in EAX.
 * The guest must be at CPL 0.  The hypervisor may change every argument
 * register (Xen's debug builds poison them), so every wrapper declares all
 * five as in/out, not only the ones it uses.  The "memory" clobber is
 * because the hypervisor reads and writes guest memory through the pointer
 * arguments. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stddef.h>

#ifdef __x86_64__
static inline long hypercall5(unsigned long nr, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4, unsigned long a5)
{
  register unsigned long rax __asm__("rax") = nr;
  register unsigned long rdi __asm__("rdi") = a1;
  register unsigned long rsi __asm__("rsi") = a2;
  register unsigned long rdx __asm__("rdx") = a3;
  register unsigned long r10 __asm__("r10") = a4;
  register unsigned long r8 __asm__("r8") = a5;

  __asm__ volatile("vmcall"
                   : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                   :
                   : "memory");
  return (long)rax;
}
#else
static inline long hypercall5(unsigned long nr, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4, unsigned long a5)
{
  __asm__ volatile("vmcall"
                   : "+a"(nr), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
                   :
                   : "memory");
  return (long)nr;
}
#endif

/* Fewer arguments: the unused registers are passed as 0, so what the
 * hypervisor sees is the same on every call. */
static inline long hypercall4(unsigned long nr, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4)
{
  return hypercall5(nr, a1, a2, a3, a4, 0);
}

static inline long hypercall3(unsigned long nr, unsigned long a1, unsigned long a2,
                              unsigned long a3)
{
  return hypercall5(nr, a1, a2, a3, 0, 0);
}

static inline long hypercall2(unsigned long nr, unsigned long a1, unsigned long a2)
{
  return hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long hypercall1(unsigned long nr, unsigned long a1)
{
  return hypercall5(nr, a1, 0, 0, 0, 0);
}

static inline long hypercall0(unsigned long nr) { return hypercall5(nr, 0, 0, 0, 0, 0); }

/* console_io(CONSOLEIO_write, len, buf): len bytes to the hypervisor
 * console.  Returns what the hypervisor returns (Xen: 0, or -XEN_EFAULT). */
long xen_console_write(const char *buf, size_t len);

/* sched_op(SCHEDOP_shutdown, &(struct sched_shutdown){reason}).  Returns
 * only if the hypervisor refused (a negative Xen errno) or did not stop
 * this vcpu; callers treat a return as a hypervisor bug. */
long xen_sched_shutdown(unsigned int reason);

/* xen_version(cmd, arg): XENVER_version returns (major << 16) | minor. */
long xen_version(int cmd, void *arg);

/* 1 when the hypervisor is mica (XENVER_extraversion starts "-mica"),
 * 0 under another one (real Xen: make bench boots the guests there too,
 * and some checks take its own legitimate answers). */
int guest_on_mica(void);

#endif
