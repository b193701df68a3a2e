/* mmio: reads and writes at guest-physical addresses with nothing behind
 * them (the HPET's 0xfed00000 and the I/O APIC's 0xfec00000, which a PVH
 * guest here does not have, and a hole above RAM), with the instruction
 * forms compilers and kernels use on device memory.  Each is completed as
 * Xen completes it: reads give all ones, writes vanish, the guest goes on
 * (Xen 4.19: xen/arch/x86/hvm/emulate.c, hvmemul_do_io: "If there is no
 * suitable backing DM, just ignore accesses", through null_handler, whose
 * null_read gives ~0 and null_write does nothing).
 *
 * Command line:
 *   (nothing)     the checks; "mmio: N checks, M failed", then TEST PASS
 *                 or TEST FAIL
 *   crash=1       an instruction the hypervisor does not emulate (adc) on
 *                 a hole: the domain must be crashed with its bytes in
 *                 the message; "mmio: ... survived" if not
 *   bench=N       N reads of the HPET's address (at=ioapic: the I/O
 *                 APIC's; at=above: the hole above RAM), timed with the
 *                 TSC: one emulated MMIO read's round trip */
#include "guest.h"

#define HPET 0xfed00000ULL
#define IOAPIC 0xfec00000ULL
#define FLAGS_CF (1ULL << 0)
#define FLAGS_ZF (1ULL << 6)
#define FLAGS_SF (1ULL << 7)
#define FLAGS_OF (1ULL << 11)
#define MSR_FS_BASE 0xc0000100

static unsigned checks, failed;

static void check(const char *what, uint64_t got, uint64_t want)
{
  checks++;
  if (got == want)
    return;
  failed++;
  printf("mmio: FAIL %s: 0x%llx, expected 0x%llx\n", what, (unsigned long long)got,
         (unsigned long long)want);
}

static uint64_t rflags(void)
{
  uint64_t f;
  __asm__ volatile("pushfq; popq %0" : "=r"(f));
  return f;
}

/* Flags after "insn" run on memory at p with register r (in and out). */
#define RUN_FLAGS(insn, p, r, f)                                                                   \
  __asm__ volatile(insn "\n\tpushfq\n\tpopq %1" : "+r"(r), "=r"(f) : "r"(p) : "memory", "cc")

/* Every plain load and store size, and the register parts they keep. */
static void loads_and_stores(const char *where, uint64_t a)
{
  volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)a;
  volatile uint16_t *w = (volatile uint16_t *)(uintptr_t)a;
  volatile uint32_t *l = (volatile uint32_t *)(uintptr_t)a;
  volatile uint64_t *q = (volatile uint64_t *)(uintptr_t)a;
  char what[64];
  uint64_t r;

  snprintf(what, sizeof(what), "%s: 8-bit read", where);
  check(what, *b, 0xff);
  snprintf(what, sizeof(what), "%s: 16-bit read", where);
  check(what, w[1], 0xffff);
  snprintf(what, sizeof(what), "%s: 32-bit read", where);
  check(what, l[2], 0xffffffff);
  snprintf(what, sizeof(what), "%s: 64-bit read", where);
  check(what, q[3], ~0ULL);
  /* Writes vanish: the value read back is still all ones. */
  *b = 0x12;
  *w = 0x1234;
  l[1] = 0x12345678;
  q[1] = 0x1122334455667788ULL;
  snprintf(what, sizeof(what), "%s: after writes", where);
  check(what, *b & w[0] & l[1] & q[1], 0xff);
  check(what, q[1], ~0ULL);
  /* mov imm to memory (C6/C7), then loads into part of a register. */
  __asm__ volatile("movl $0x5a5a5a5a, (%0); movb $0x5a, 4(%0)" : : "r"(a) : "memory");
  r = 0x1122334455667788ULL;
  __asm__ volatile("movb (%1), %%ah" : "+a"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movb to %%ah", where);
  check(what, r, 0x112233445566ff88ULL);
  r = 0x1122334455667788ULL;
  __asm__ volatile("movw 2(%1), %w0" : "+r"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movw keeps the upper bits", where);
  check(what, r, 0x112233445566ffffULL);
  __asm__ volatile("movl 8(%1), %k0" : "+r"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movl zero-extends", where);
  check(what, r, 0xffffffffULL);
  /* movzx, movsx, movsxd */
  __asm__ volatile("movzbl (%1), %k0" : "=r"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movzbl", where);
  check(what, r, 0xff);
  __asm__ volatile("movzwq (%1), %0" : "=r"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movzwq", where);
  check(what, r, 0xffff);
  __asm__ volatile("movsbq (%1), %0" : "=r"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movsbq", where);
  check(what, r, ~0ULL);
  __asm__ volatile("movslq (%1), %0" : "=r"(r) : "r"(a) : "memory");
  snprintf(what, sizeof(what), "%s: movslq", where);
  check(what, r, ~0ULL);
}

/* The arithmetic forms and their flags, with the memory as destination
 * (where the write must vanish) and as source. */
static void arithmetic(uint64_t a)
{
  uint64_t r, f;
  volatile uint32_t *l = (volatile uint32_t *)(uintptr_t)a;

  r = 0;
  RUN_FLAGS("cmpl $-1, (%2)", a, r, f);
  check("cmpl $-1: ZF", f & (FLAGS_ZF | FLAGS_CF), FLAGS_ZF);
  RUN_FLAGS("cmpb $1, (%2)", a, r, f);
  check("cmpb $1: SF, no CF", f & (FLAGS_ZF | FLAGS_CF | FLAGS_SF), FLAGS_SF);
  RUN_FLAGS("testl $0x100, (%2)", a, r, f);
  check("testl: ZF clear", f & FLAGS_ZF, 0);
  RUN_FLAGS("addl $1, (%2)", a, r, f);
  check("addl $1: CF and ZF", f & (FLAGS_ZF | FLAGS_CF | FLAGS_OF), FLAGS_ZF | FLAGS_CF);
  check("addl $1: memory unchanged", *l, 0xffffffff);
  r = 1;
  RUN_FLAGS("addl (%2), %k0", a, r, f);
  check("addl to a register", r, 0);
  check("addl to a register: CF", f & FLAGS_CF, FLAGS_CF);
  r = 0;
  RUN_FLAGS("subq (%2), %0", a, r, f);
  check("subq from a register", r, 1);
  check("subq: CF", f & (FLAGS_CF | FLAGS_ZF), FLAGS_CF);
  r = 0x5a;
  RUN_FLAGS("orb %b0, (%2)", a, r, f);
  check("orb: SF", f & (FLAGS_SF | FLAGS_ZF | FLAGS_CF), FLAGS_SF);
  r = 0x0f0f;
  RUN_FLAGS("andw (%2), %w0", a, r, f);
  check("andw", r, 0x0f0f);
  r = 0x12345678;
  RUN_FLAGS("xorl (%2), %k0", a, r, f);
  check("xorl", r, 0xedcba987);
  RUN_FLAGS("lock xorl $0xffff, (%2)", a, r, f);
  check("lock xorl: memory unchanged", *l, 0xffffffff);

  /* bt family: the bit is 1; bts/btr write, which vanishes. */
  RUN_FLAGS("btl $5, (%2)", a, r, f);
  check("btl: CF", f & FLAGS_CF, FLAGS_CF);
  RUN_FLAGS("lock btrl $5, (%2)", a, r, f);
  check("btrl: CF", f & FLAGS_CF, FLAGS_CF);
  RUN_FLAGS("btl $5, (%2)", a, r, f);
  check("btl after btrl: still set", f & FLAGS_CF, FLAGS_CF);
  r = 70; /* a register offset past the operand: the next qword's bit 6 */
  RUN_FLAGS("btsq %0, (%2)", a, r, f);
  check("btsq: CF", f & FLAGS_CF, FLAGS_CF);

  /* xchg and cmpxchg */
  r = 0x1234;
  __asm__ volatile("xchgl %k0, (%1)" : "+r"(r) : "r"(a) : "memory");
  check("xchgl: register", r, 0xffffffff);
  check("xchgl: memory unchanged", *l, 0xffffffff);
  uint64_t ax = 0;
  __asm__ volatile("lock cmpxchgl %k2, (%3)\n\tpushfq\n\tpopq %1"
                   : "+a"(ax), "=r"(f)
                   : "r"(7ULL), "r"(a)
                   : "memory", "cc");
  check("cmpxchgl, not equal: ZF clear", f & FLAGS_ZF, 0);
  check("cmpxchgl, not equal: eax", ax, 0xffffffff);
  __asm__ volatile("lock cmpxchgl %k2, (%3)\n\tpushfq\n\tpopq %1"
                   : "+a"(ax), "=r"(f)
                   : "r"(7ULL), "r"(a)
                   : "memory", "cc");
  check("cmpxchgl, equal: ZF", f & FLAGS_ZF, FLAGS_ZF);
  check("cmpxchgl, equal: memory unchanged", *l, 0xffffffff);
}

/* Addressing: SIB with an index, a 32-bit address size, FS's base, an
 * access that crosses from one hole page to the next. */
static void addressing(uint64_t a)
{
  uint64_t r, idx = 3;

  __asm__ volatile("movl (%1,%2,4), %k0" : "=r"(r) : "r"(a), "r"(idx) : "memory");
  check("SIB base+index*4", r, 0xffffffff);
  uint32_t a32 = (uint32_t)a;
  __asm__ volatile("movl 0x10(%k1), %k0" : "=r"(r) : "r"(a32) : "memory");
  check("32-bit address size", r, 0xffffffff);
  if (guest_wrmsr_safe(MSR_FS_BASE, a) == 0) {
    __asm__ volatile("movq %%fs:0x20, %0" : "=r"(r) : : "memory");
    check("FS segment override", r, ~0ULL);
    guest_wrmsr_safe(MSR_FS_BASE, 0);
  } else {
    check("FS base MSR writable", 1, 0);
  }
  __asm__ volatile("movq 0xffc(%1), %0" : "=r"(r) : "r"(a) : "memory");
  check("8 bytes across two hole pages", r, ~0ULL);
}

/* String instructions: from a hole into RAM, from RAM into a hole, rep
 * stos over 1,000 qwords (several rounds in the hypervisor), backwards. */
static void strings(uint64_t a)
{
  static uint32_t buf[16];
  uint64_t si = a, di = (uint64_t)(uintptr_t)buf, cx = 16;

  memset(buf, 0, sizeof(buf));
  __asm__ volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  unsigned ones = 0;
  for (int i = 0; i < 16; i++)
    ones += buf[i] == 0xffffffff;
  check("rep movsl from a hole: dwords all ones", ones, 16);
  check("rep movsl: rcx", cx, 0);
  check("rep movsl: rsi moved", si, a + 64);
  check("rep movsl: rdi moved", di, (uint64_t)(uintptr_t)buf + 64);

  for (int i = 0; i < 16; i++)
    buf[i] = (uint32_t)i;
  si = (uint64_t)(uintptr_t)buf, di = a, cx = 64;
  __asm__ volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  check("rep movsb into a hole: rcx", cx, 0);
  check("rep movsb into a hole: then reads all ones", *(volatile uint32_t *)(uintptr_t)a,
        0xffffffff);
  check("rep movsb into a hole: source intact", buf[15], 15);

  uint64_t ax = 0x0123456789abcdefULL;
  di = a, cx = 1000;
  __asm__ volatile("rep stosq" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
  check("rep stosq x1000: rcx", cx, 0);
  check("rep stosq x1000: rdi", di, a + 8000);

  di = a + 0x100, cx = 10;
  __asm__ volatile("std; rep stosb; cld" : "+D"(di), "+c"(cx) : "a"(ax) : "memory");
  check("std; rep stosb: rdi went down", di, a + 0x100 - 10);

  si = a;
  ax = 0;
  __asm__ volatile("lodsl" : "+S"(si), "+a"(ax) : : "memory");
  check("lodsl", ax, 0xffffffff);
  check("lodsl: rsi", si, a + 4);
  check("DF clear again", rflags() & (1ULL << 10), 0);
}

/* An 8-byte read whose low half is the last RAM below a hole and whose
 * high half is the hole. */
static void across_ram_and_hole(uint64_t ram_end)
{
  volatile uint32_t *last = (volatile uint32_t *)(uintptr_t)(ram_end - 4);
  *last = 0x600dcafe;
  uint64_t r;
  __asm__ volatile("movq (%1), %0" : "=r"(r) : "r"(ram_end - 4) : "memory");
  check("8 bytes across RAM and a hole", r, 0xffffffff600dcafeULL);
  __asm__ volatile("movq %1, (%0)" : : "r"(ram_end - 4), "r"(0x1111111122222222ULL) : "memory");
  check("a write across RAM and a hole: RAM half written", *last, 0x22222222);
}

/* The end of the RAM that holds the guest (the map entry with 1 MiB). */
static uint64_t ram_end_of(const struct hvm_start_info *si)
{
  const struct hvm_memmap_table_entry *e =
      (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
  for (uint32_t i = 0; i < si->memmap_entries; i++)
    if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM && e[i].addr <= 0x100000 &&
        e[i].addr + e[i].size > 0x100000)
      return e[i].addr + e[i].size;
  return 0;
}

static int bench(unsigned long n, uint64_t a)
{
  volatile uint32_t *hole = (volatile uint32_t *)(uintptr_t)a;
  uint32_t all = 0xffffffff;
  (void)*hole; /* the first one says its line */
  uint64_t t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < n; i++)
    all &= *hole;
  uint64_t t = rdtsc_ordered() - t0;
  printf("mmio: hole read at 0x%llx: %lu reads, %llu ticks, %llu per read\n", (unsigned long long)a,
         n, (unsigned long long)t, (unsigned long long)(t / n));
  if (all != 0xffffffff)
    printf("mmio: the reads gave 0x%x, not all ones\n", all);
  return all != 0xffffffff;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  unsigned long n = cmdline_num(cmdline, "bench", 0);

  if (cmdline_num(cmdline, "crash", 0)) {
    /* adc is not among the emulated forms: 83 10 5a with RAX the address. */
    printf("mmio: adcl $0x5a, (%%rax) at 0x%llx now\n", HPET);
    __asm__ volatile("adcl $0x5a, (%0)" : : "a"(HPET) : "memory", "cc");
    puts("mmio: adc on a hole survived");
    return 1;
  }

  char at[16] = "";
  cmdline_get(cmdline, "at", at, sizeof(at));
  if (n && strcmp(at, "above")) /* the HPET's or the I/O APIC's address */
    return bench(n, strcmp(at, "ioapic") ? HPET : IOAPIC);
  uint64_t ram_end = ram_end_of(si);
  /* A hole above RAM: 256 MiB past its end, rounded to 2 MiB, mapped in. */
  uint64_t above = (ram_end + (256ULL << 20)) & ~((2ULL << 20) - 1);
  if (!ram_end || paging_map_2m(above) != 0) {
    printf("mmio: no RAM end (0x%llx) or cannot map 0x%llx\n", (unsigned long long)ram_end,
           (unsigned long long)above);
    return 1;
  }
  if (n)
    return bench(n, above);
  loads_and_stores("HPET", HPET);
  loads_and_stores("I/O APIC", IOAPIC);
  loads_and_stores("above RAM", above);
  arithmetic(HPET);
  arithmetic(above);
  addressing(IOAPIC);
  strings(HPET);
  if (ram_end < 0xfc000000ULL)
    across_ram_and_hole(ram_end);
  printf("mmio: %u checks, %u failed\n", checks, failed);
  return failed != 0;
}
