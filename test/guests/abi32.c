/* abi32: a 32-bit guest (built with -m32, no long mode: it stays in the
 * 32-bit protected mode with paging off that a PVH guest starts in) makes
 * its hypercalls with the ABI's x86_32 convention: EAX = vector, EBX, ECX,
 * EDX, ESI, EDI = arguments, result in EAX; pointers are its 32-bit
 * (here: guest-physical) addresses.  Each answer is compared with what Xen
 * 4.19 gives a 32-bit HVM/PVH guest (xen/arch/x86/hvm/hypercall.c,
 * hvm_hypercall's compat branch, and the hvm32 column of
 * xen/include/hypercall-defs.c).
 *
 * Xen translates every structure whose layout differs for a 32-bit guest
 * (the "!" lines of xen/include/xlat.lst); mica does not yet, and refuses
 * those calls with -ENOSYS.  The "refused" checks hold mica to that (the
 * buffer must stay untouched: no misread, no stray write) and run only
 * under mica.
 *
 * Output: "abi32: ok <name>" or "abi32: FAIL <name>: got X want Y" per
 * check, 100 numbered lines written by one console_io call (a
 * continuation), "abi32: N checks, M failed", then TEST PASS or TEST FAIL.
 *
 * Command line: "bench" (calls=N, default 10000) times N null hypercalls
 * instead (xen_version by VMCALL in a loop, as test/guests/bench.c does
 * in 64-bit mode) and prints "abi32: null hypercall: N calls, T ticks,
 * X.Y per call". */
#include <public/cpuid.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define XEN_VERSION_4_19 ((4 << 16) | 19)
/* Xen errno values (public/errno.h), as a guest sees them. */
#define XEN_ENOENT 2
#define XEN_EFAULT 14
#define XEN_EINVAL 22
#define XEN_ENOSYS 38

static unsigned int nr_checks, nr_failed;

static int check(const char *name, long got, long want)
{
  nr_checks++;
  if (got == want) {
    printf("abi32: ok %s\n", name);
    return 1;
  }
  nr_failed++;
  printf("abi32: FAIL %s: got %ld (0x%lx) want %ld (0x%lx)\n", name, got, (unsigned long)got, want,
         (unsigned long)want);
  return 0;
}

struct regs4 {
  uint32_t a, b, c, d;
};

/* Is there a NUL in the first n bytes of p? */
static int memchr_nul(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!p[i])
      return 1;
  return 0;
}

static struct regs4 cpuid(uint32_t leaf)
{
  struct regs4 r;
  __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
  return r;
}

static long evtchn_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, (unsigned long)arg);
}

/* ---- xen_version, console_io, sched_op, set_timer_op, vcpu_op ---- */

static void check_plain_calls(void)
{
  char extra[XEN_EXTRAVERSION_LEN + 4];
  struct xen_compile_info ci;
  struct xen_feature_info fi = {.submap_idx = 0};
  uint32_t pp[2] = {0xaaaaaaaa, 0xaaaaaaaa};

  check("xen_version version is 4.19", xen_version(XENVER_version, NULL), XEN_VERSION_4_19);
  memset(extra, 0x55, sizeof(extra));
  check("xen_version extraversion", xen_version(XENVER_extraversion, extra), 0);
  check("extraversion NUL-terminated in 16 bytes", memchr_nul(extra, XEN_EXTRAVERSION_LEN), 1);
  check("extraversion wrote 16 bytes, no more", extra[XEN_EXTRAVERSION_LEN] == 0x55, 1);
  memset(&ci, 0, sizeof(ci));
  check("xen_version compile_info", xen_version(XENVER_compile_info, &ci), 0);
  check("compile_info names a compiler", ci.compiler[0] != 0, 1);
  check("xen_version get_features", xen_version(XENVER_get_features, &fi), 0);
  check("features: auto_translated_physmap", (fi.submap >> XENFEAT_auto_translated_physmap) & 1, 1);
  check("xen_version pagesize", xen_version(XENVER_pagesize, NULL), 4096);
  /* compat_platform_parameters_t: a 32-bit virt_start, 0 for HVM
   * (common/kernel.c, XENVER_platform_parameters with hcall_compat). */
  check("xen_version platform_parameters", xen_version(XENVER_platform_parameters, pp), 0);
  check("platform_parameters virt_start 0", pp[0], 0);
  check("platform_parameters wrote 4 bytes, no more", pp[1], 0xaaaaaaaa);
  /* A pointer with no RAM behind it, below 4 GiB. */
  check("xen_version extraversion into a hole",
        xen_version(XENVER_extraversion, (void *)0xfffff000), -XEN_EFAULT);

  static const char msg[] = "abi32: console_io write from 32-bit code\n";
  check("console_io write", xen_console_write(msg, sizeof(msg) - 1), 0);

  check("sched_op yield", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0), 0);
  /* set_timer_op's 64-bit timeout in two registers (compat_set_timer_op:
   * EBX low, ECX high); 0 cancels the timer. */
  check("set_timer_op 0 (cancel)", hypercall2(__HYPERVISOR_set_timer_op, 0, 0), 0);
  check("vcpu_op is_up vcpu 0", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
  check("vcpu_op is_up vcpu 1 of 1", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0),
        -XEN_ENOENT);
}

/* ---- Event channels: every structure is the same for both modes ---- */

/* EVTCHNOP_status of our own port into *st. */
static long port_status(evtchn_port_t port, struct evtchn_status *st)
{
  memset(st, 0, sizeof(*st));
  st->dom = DOMID_SELF;
  st->port = port;
  return evtchn_op(EVTCHNOP_status, st);
}

static void check_events(void)
{
  uint32_t domid = cpuid(XEN_CPUID_FIRST_LEAF + 4).c;
  struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  struct evtchn_bind_interdomain bi = {.remote_dom = DOMID_SELF};
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  struct evtchn_bind_virq bv = {.virq = VIRQ_DEBUG, .vcpu = 0};
  struct evtchn_status st;

  check("evtchn alloc_unbound", evtchn_op(EVTCHNOP_alloc_unbound, &au), 0);
  check("alloc_unbound gave a port", au.port != 0, 1);
  check("evtchn status of the unbound port", port_status(au.port, &st), 0);
  check("status: unbound", st.status, EVTCHNSTAT_unbound);
  check("status: unbound for ourselves", st.u.unbound.dom, domid);

  bi.remote_port = au.port;
  check("evtchn bind_interdomain to ourselves", evtchn_op(EVTCHNOP_bind_interdomain, &bi), 0);
  check("bind_interdomain gave another port", bi.local_port != au.port && bi.local_port != 0, 1);
  check("evtchn status of the bound port", port_status(au.port, &st), 0);
  check("status: interdomain", st.status, EVTCHNSTAT_interdomain);
  check("status: peer domain is us", st.u.interdomain.dom, domid);
  check("status: peer port", st.u.interdomain.port, bi.local_port);
  check("status: vcpu 0", st.vcpu, 0);

  struct evtchn_send snd = {.port = bi.local_port};
  check("evtchn send", evtchn_op(EVTCHNOP_send, &snd), 0);
  snd.port = au.port;
  check("evtchn send back", evtchn_op(EVTCHNOP_send, &snd), 0);
  snd.port = 0xfffff;
  check("evtchn send to no port", evtchn_op(EVTCHNOP_send, &snd), -XEN_EINVAL);
  struct evtchn_unmask um = {.port = au.port};
  check("evtchn unmask", evtchn_op(EVTCHNOP_unmask, &um), 0);

  check("evtchn bind_ipi", evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0);
  check("evtchn status of the ipi port", port_status(ipi.port, &st), 0);
  check("status: ipi", st.status, EVTCHNSTAT_ipi);
  snd.port = ipi.port;
  check("evtchn send ipi", evtchn_op(EVTCHNOP_send, &snd), 0);

  check("evtchn bind_virq VIRQ_DEBUG", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
  check("evtchn status of the virq port", port_status(bv.port, &st), 0);
  check("status: virq", st.status, EVTCHNSTAT_virq);
  check("status: VIRQ_DEBUG", st.u.virq, VIRQ_DEBUG);

  struct evtchn_close cl = {.port = ipi.port};
  check("evtchn close", evtchn_op(EVTCHNOP_close, &cl), 0);
  check("evtchn status of the closed port", port_status(ipi.port, &st), 0);
  check("status: closed", st.status, EVTCHNSTAT_closed);
}

/* ---- Calls whose structures differ for a 32-bit guest ---- */

/* A buffer to pass, filled with a pattern; whether it is still whole. */
static uint8_t pattern_buf[256];

static void *pattern(void)
{
  memset(pattern_buf, 0xa5, sizeof(pattern_buf));
  return pattern_buf;
}

static int pattern_whole(void)
{
  for (size_t i = 0; i < sizeof(pattern_buf); i++)
    if (pattern_buf[i] != 0xa5)
      return 0;
  return 1;
}

static void check_refused(void)
{
  /* Xen translates these (compat_memory_op, compat_vcpu_op,
   * compat_sched_op, compat_multicall); mica refuses them for now. */
  static const struct {
    const char *name;
    unsigned long nr, a1, a2;
    int a2_buf;
  } calls[] = {
      {"memory_op memory_map", __HYPERVISOR_memory_op, XENMEM_memory_map, 0, 0},
      {"memory_op add_to_physmap", __HYPERVISOR_memory_op, XENMEM_add_to_physmap, 0, 0},
      {"vcpu_op get_runstate_info", __HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, 1},
      {"sched_op poll", __HYPERVISOR_sched_op, SCHEDOP_poll, 0, 0},
      {"multicall", __HYPERVISOR_multicall, 0, 1, 0},
  };
  char name[80];

  if (!guest_on_mica()) {
    printf("abi32: skip refused calls: not mica (Xen translates them)\n");
    return;
  }
  for (int round = 0; round < 2; round++) /* the log says it once */
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
      unsigned long buf = (unsigned long)pattern();
      long r = calls[i].a2_buf ? hypercall3(calls[i].nr, calls[i].a1, calls[i].a2, buf)
               : calls[i].nr == __HYPERVISOR_multicall ? hypercall2(calls[i].nr, buf, calls[i].a2)
                                                       : hypercall2(calls[i].nr, calls[i].a1, buf);
      snprintf(name, sizeof(name), "%s refused: not translated yet", calls[i].name);
      check(name, r, -XEN_ENOSYS);
      snprintf(name, sizeof(name), "%s left the buffer alone", calls[i].name);
      check(name, pattern_whole(), 1);
    }
}

/* ---- The hypercall page ---- */

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

/* Call stub nr of the page with two arguments, the 32-bit convention. */
static long page_call2(unsigned int nr, unsigned long a1, unsigned long a2)
{
  void *stub = hypercall_page + nr * 32;
  long ret;
  unsigned long b = a1, c = a2, d = 0, s = 0, di = 0;
  __asm__ volatile("call *%[stub]"
                   : "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(di)
                   : [stub] "m"(stub)
                   : "memory");
  return ret;
}

static void check_hypercall_page(void)
{
  struct regs4 r = cpuid(XEN_CPUID_FIRST_LEAF + 2);
  check("cpuid 0x40000002 one hypercall page", r.a, 1);
  uint32_t page = (uint32_t)(uintptr_t)hypercall_page;
  __asm__ volatile("wrmsr" : : "c"(r.b), "a"(page), "d"(0) : "memory");

  /* Xen's stubs (arch/x86/hvm/vmx/vmx.c, vmx_init_hypercall_page):
   * "mov $nr, %eax; vmcall; ret", the same bytes in 32- and 64-bit code
   * (B8 id is MOV r32, imm32 in both; RET pops the mode's return
   * address); iret's is ud2. */
  static const uint8_t want[9] = {0xb8, 17, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3};
  check("hypercall page stub 17 bytes", memcmp(hypercall_page + 17 * 32, want, sizeof(want)), 0);
  check("hypercall page iret stub is ud2",
        hypercall_page[23 * 32] == 0x0f && hypercall_page[23 * 32 + 1] == 0x0b, 1);

  check("page: xen_version version", page_call2(__HYPERVISOR_xen_version, XENVER_version, 0),
        XEN_VERSION_4_19);
  check("page: sched_op yield", page_call2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0), 0);
  struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  check("page: evtchn alloc_unbound",
        page_call2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (unsigned long)&au), 0);
  check("page: alloc_unbound gave a port", au.port != 0, 1);
}

/* ---- A continuation ---- */

/* 100 numbered lines of 90 bytes in one console_io write: mica writes
 * 4 KiB per turn and continues with ECX and EDX moved on (Xen's
 * hypercall_create_continuation with hcall_compat). */
static char long_text[100 * 90 + 1];

static void check_continuation(void)
{
  char *p = long_text;
  for (int i = 0; i < 100; i++) {
    int n = snprintf(p, 91, "abi32: long write line %03d ", i);
    memset(p + n, '.', (size_t)(89 - n));
    p[89] = '\n';
    p += 90;
  }
  check("console_io write of 9000 bytes (continued)", xen_console_write(long_text, 9000), 0);
}

/* ---- 32-bit paging: out of reach for hypercall buffers yet ---- */

/* A page directory of 4 MiB pages mapping the first 4 GiB 1:1. */
static uint32_t page_dir[1024] __attribute__((aligned(4096)));

#define X86_CR0_PG 0x80000000u
#define X86_CR4_PSE 0x00000010u

/* With 32-bit paging on (CR4.PSE, identity map), mica cannot walk the
 * guest's tables yet (it walks 4-level tables only): a pointer argument
 * is -EFAULT, cleanly, and a call without one is unaffected.  Xen walks
 * them (the buffer would be filled); so this runs under mica only. */
static void check_paging(void)
{
  char extra[XEN_EXTRAVERSION_LEN];
  uint32_t cr0, cr4;
  long with_ptr, without;

  if (!guest_on_mica()) {
    printf("abi32: skip 32-bit paging: not mica (Xen walks the tables)\n");
    return;
  }
  for (uint32_t i = 0; i < 1024; i++)
    page_dir[i] = i << 22 | 0x83; /* present, writable, 4 MiB */
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_PSE));
  __asm__ volatile("mov %0, %%cr3" : : "r"((uint32_t)(uintptr_t)page_dir));
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | X86_CR0_PG) : "memory");
  with_ptr = xen_version(XENVER_extraversion, extra);
  without = xen_version(XENVER_version, NULL);
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
  check("32-bit paging: a buffer is -EFAULT (tables not walked yet)", with_ptr, -XEN_EFAULT);
  check("32-bit paging: xen_version version", without, XEN_VERSION_4_19);
}

/* ---- The null hypercall, timed ---- */

static inline long null_hypercall(void)
{
  long ret;
  unsigned long b = XENVER_version, c = 0;
  __asm__ volatile("vmcall"
                   : "=a"(ret), "+b"(b), "+c"(c)
                   : "a"(__HYPERVISOR_xen_version)
                   : "edx", "esi", "edi", "memory");
  return ret;
}

static int bench(const char *cmdline)
{
  unsigned long calls = cmdline_num(cmdline, "calls", 10000), bad = 0;
  long want = 0;

  for (int i = 0; i < 16; i++) /* warm up, as bench.c */
    want = null_hypercall();
  uint64_t t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < calls; i++)
    bad += null_hypercall() != want;
  uint64_t t = rdtsc_ordered() - t0;
  uint64_t tenths = calls ? (t * 10 + calls / 2) / calls : 0;
  printf("abi32: null hypercall: %lu calls, %llu ticks, %llu.%llu per call\n", calls,
         (unsigned long long)t, (unsigned long long)(tenths / 10),
         (unsigned long long)(tenths % 10));
  return bad != 0 || want != XEN_VERSION_4_19;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);

  if (cmdline_get(cmdline, "bench", NULL, 0))
    return bench(cmdline);
  printf("abi32: 32-bit protected mode, paging off, start info at %p\n", (const void *)si);
  check_plain_calls();
  check_events();
  check_refused();
  check_hypercall_page();
  check_paging();
  check_continuation();
  printf("abi32: %u checks, %u failed\n", nr_checks, nr_failed);
  return nr_failed != 0;
}
