/* tscmark: print the time stamp counter in decimal, for the Linux test
 * initramfs (tools/linux-assets puts it in as /bin/tscmark).
 *
 * usage: tscmark [LABEL]     prints "LABEL: N\n" (LABEL defaults to "tsc")
 *
 * Under Bochs with `clock: sync=none` and a fixed ips the TSC advances one
 * tick per emulated instruction (and per tick of a halted CPU), so the
 * number /init prints right before it starts the shell is what the boot
 * cost up to there.  No libc: raw Linux system calls, a _start of our own,
 * built with -nostdlib -static -ffreestanding. */

#define SYS_write 1
#define SYS_exit 60

static long sys_call3(long nr, long a, long b, long c)
{
  long ret;

  asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

/* The whole buffer, retrying short writes; gives up on an error. */
static void write_all(int fd, const char *p, unsigned long n)
{
  while (n > 0) {
    long w = sys_call3(SYS_write, fd, (long)p, (long)n);

    if (w <= 0)
      return;
    p += w;
    n -= (unsigned long)w;
  }
}

/* rdtsc after lfence, so earlier instructions are done (SDM vol. 2B, RDTSC). */
static unsigned long long read_tsc(void)
{
  unsigned int lo, hi;

  asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
  return ((unsigned long long)hi << 32) | lo;
}

/* Called from _start with the initial stack: argc, argv[], NULL, envp[]. */
__attribute__((noreturn, used)) void tscmark_main(long *sp)
{
  unsigned long long tsc = read_tsc();
  const char *label = sp[0] > 1 ? (const char *)sp[2] : "tsc";
  char buf[128];
  char digits[24];
  unsigned long n = 0;
  int d = 0;

  while (label[n] != '\0' && n < sizeof(buf) - sizeof(digits) - 3) {
    buf[n] = label[n];
    n++;
  }
  buf[n++] = ':';
  buf[n++] = ' ';
  do {
    digits[d++] = (char)('0' + tsc % 10);
    tsc /= 10;
  } while (tsc != 0);
  while (d > 0)
    buf[n++] = digits[--d];
  buf[n++] = '\n';
  write_all(1, buf, n);
  sys_call3(SYS_exit, 0, 0, 0);
  __builtin_unreachable();
}

/* The kernel enters with %rsp at argc, 16-byte aligned; the call pushes a
 * return address as the ABI expects at a function's entry. */
asm(".globl _start\n"
    "_start:\n"
    "	xor %ebp, %ebp\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call tscmark_main\n"
    "	ud2\n");
