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
#include <public/console.h>
#include <public/cpuid.h>
#include <public/event_channel.h>
#include <public/hvm.h>
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
#define XEN_ENXIO 6
#define XEN_EINVAL 22
#define XEN_ENOSPC 28
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

/* ---- Events in the 32-bit layout ----
 * Filling the hypercall page from 32-bit code latched this domain's
 * shared info 32-bit (Xen 4.19 hvm_latch_shinfo_size, from
 * hvm_init_hypercall_page and HVM_PARAM_CALLBACK_IRQ): its vcpu_info has
 * a 32-bit selector at offset 4, its shared_info 32 words of 32 pending
 * and mask bits (1,024 ports), and the wall clock after them.  This
 * guest's own struct vcpu_info and shared_info (public/xen.h built for
 * i386) are that layout. */
_Static_assert(sizeof(struct vcpu_info) == sizeof(struct compat_vcpu_info), "vcpu_info");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) ==
                   offsetof(struct compat_vcpu_info, evtchn_pending_sel),
               "evtchn_pending_sel");
_Static_assert(offsetof(struct vcpu_info, time) == offsetof(struct compat_vcpu_info, time), "time");
_Static_assert(offsetof(struct shared_info, evtchn_mask) ==
                   offsetof(struct compat_shared_info, evtchn_mask),
               "evtchn_mask");
_Static_assert(offsetof(struct shared_info, wc_version) ==
                   offsetof(struct compat_shared_info, wc_version),
               "wc_version");
_Static_assert(offsetof(struct shared_info, arch.wc_sec_hi) ==
                   offsetof(struct compat_shared_info, arch.wc_sec_hi),
               "wc_sec_hi");
_Static_assert(sizeof(struct shared_info) == sizeof(struct compat_shared_info), "shared_info");
_Static_assert(EVTCHN_2L_NR_CHANNELS == 1024, "1,024 ports");

#define EV_VECTOR 0xf3
#define MS 1000000ULL

static uint8_t ev_shinfo_page[4096] __attribute__((aligned(4096)));
static uint8_t ev_vi_page[4096] __attribute__((aligned(4096)));
/* shared_info once mapped (NULL while mica refuses add_to_physmap from a
 * 32-bit caller: the checks that need it wait for its translation). */
static volatile struct shared_info *ev_sh;
static volatile struct vcpu_info *ev_vi;
static volatile unsigned int ev_upcalls, ev_sel, ev_got[EVTCHN_2L_NR_CHANNELS];
static uint64_t ev_idt[256];
/* Null, then flat 32-bit code (0x08) and data (0x10). */
static const uint64_t ev_gdt[3] = {0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL};

/* The callback vector's handler, in 32-bit code: the ABI's scan. */
void ev_upcall(void);
void ev_upcall_entry(void);
__asm__(".text\n"
        "ev_upcall_entry:\n"
        "  pushal\n"
        "  cld\n"
        "  call ev_upcall\n"
        "  popal\n"
        "  iret\n");

void ev_upcall(void)
{
  ev_upcalls++;
  ev_vi->evtchn_upcall_pending = 0;
  unsigned long sel = __atomic_exchange_n(&ev_vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
  ev_sel = (unsigned int)sel;
  for (unsigned int w = 0; ev_sh && w < 32; w++) {
    if (!(sel >> w & 1))
      continue;
    unsigned long bits = ev_sh->evtchn_pending[w] & ~ev_sh->evtchn_mask[w];
    for (unsigned int b = 0; b < 32; b++)
      if (bits >> b & 1) {
        __atomic_fetch_and(&ev_sh->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
        ev_got[w * 32 + b]++;
      }
  }
}

/* System time from the pvclock in our vcpu_info: the 64 x 32-bit product
 * in two halves (no 128-bit arithmetic on i386). */
static uint64_t ev_now_ns(void)
{
  volatile struct vcpu_time_info *t = &ev_vi->time;
  uint32_t version;
  uint64_t ns;
  do {
    version = t->version;
    __asm__ volatile("" ::: "memory");
    uint64_t d = rdtsc_ordered() - t->tsc_timestamp;
    d = t->tsc_shift >= 0 ? d << t->tsc_shift : d >> -t->tsc_shift;
    uint64_t mul = t->tsc_to_system_mul;
    ns = t->system_time + (d >> 32) * mul + (((d & 0xffffffff) * mul) >> 32);
    __asm__ volatile("" ::: "memory");
  } while ((version & 1) || version != t->version);
  return ns;
}

static void irq_window(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }

/* Wait with interrupts on until an upcall after the n-th, or the pvclock
 * passes limit; whether it came.  Spinning, not HLT: when nothing is
 * due, nothing would end a HLT. */
static int ev_wait(unsigned int n, uint64_t limit)
{
  while (ev_upcalls <= n && ev_now_ns() < limit)
    irq_window();
  return ev_upcalls > n;
}

static long ev_send(unsigned int port)
{
  struct evtchn_send snd = {.port = port};
  return evtchn_op(EVTCHNOP_send, &snd);
}

static unsigned int ev_pending(unsigned int port)
{
  return ev_sh->evtchn_pending[port / 32] >> port % 32 & 1;
}

static long ev_hvm_param(int op, uint32_t index, uint64_t *value)
{
  struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index, .value = *value};
  long rc = hypercall2(__HYPERVISOR_hvm_op, (unsigned long)op, (unsigned long)&p);
  *value = p.value;
  return rc;
}

/* Every free port taken (alloc_unbound): the last is 1,023, then
 * -ENOSPC (Xen's max_evtchns: 32 x 32 for a 32-bit shared info); the
 * ports from 1,000 up are given back for the checks that follow. */
static uint16_t ev_taken[EVTCHN_2L_NR_CHANNELS];
static unsigned int ev_ntaken;

static void ev_fill_ports(void)
{
  struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  long rc;
  unsigned int last = 0;
  while (!(rc = evtchn_op(EVTCHNOP_alloc_unbound, &au)) && ev_ntaken < EVTCHN_2L_NR_CHANNELS)
    ev_taken[ev_ntaken++] = (uint16_t)(last = au.port);
  check("32-bit: alloc_unbound until none is left: -ENOSPC", rc, -XEN_ENOSPC);
  check("32-bit: the last port is 1023", last, 1023);
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  check("32-bit: bind_ipi with every port taken: -ENOSPC", evtchn_op(EVTCHNOP_bind_ipi, &ipi),
        -XEN_ENOSPC);
  struct evtchn_bind_virq bv = {.virq = VIRQ_TIMER, .vcpu = 0};
  check("32-bit: bind_virq with every port taken: -ENOSPC", evtchn_op(EVTCHNOP_bind_virq, &bv),
        -XEN_ENOSPC);
  check("32-bit: send on port 1024: -EINVAL", ev_send(1024), -XEN_EINVAL);
  struct evtchn_unmask um = {.port = 1024};
  check("32-bit: unmask port 1024: -EINVAL", evtchn_op(EVTCHNOP_unmask, &um), -XEN_EINVAL);
  struct evtchn_status st;
  check("32-bit: status port 1023", port_status(1023, &st), 0);
  check("32-bit: port 1023 unbound", st.status, EVTCHNSTAT_unbound);
  unsigned int bad = 0;
  for (unsigned int i = 0; i < ev_ntaken; i++) {
    struct evtchn_close cl = {.port = ev_taken[i]};
    if (ev_taken[i] >= 1000)
      bad += evtchn_op(EVTCHNOP_close, &cl) != 0;
  }
  check("32-bit: ports 1000 to 1023 closed", bad, 0);
}

static void ev_close_taken(void)
{
  unsigned int bad = 0;
  for (unsigned int i = 0; i < ev_ntaken; i++) {
    struct evtchn_close cl = {.port = ev_taken[i]};
    if (ev_taken[i] < 1000)
      bad += evtchn_op(EVTCHNOP_close, &cl) != 0;
  }
  check("32-bit: the other ports closed", bad, 0);
}

/* A line through the console ring (a domU's: HVM_PARAM_CONSOLE_PFN),
 * written as the 64-bit console guest writes its own, and its port. */
static void ev_console_ring(void)
{
  uint64_t pfn = 0, port = 0;
  check("32-bit: hvm_op get CONSOLE_PFN",
        ev_hvm_param(HVMOP_get_param, HVM_PARAM_CONSOLE_PFN, &pfn), 0);
  check("32-bit: hvm_op get CONSOLE_EVTCHN",
        ev_hvm_param(HVMOP_get_param, HVM_PARAM_CONSOLE_EVTCHN, &port), 0);
  if (!pfn) {
    printf("abi32: skip console ring: none (dom0 has none)\n");
    return;
  }
  volatile struct xencons_interface *r =
      (volatile struct xencons_interface *)(uintptr_t)(pfn << 12);
  static const char line[] = "abi32: a line through the console ring from 32-bit code\n";
  XENCONS_RING_IDX prod = r->out_prod;
  for (size_t i = 0; i < sizeof(line) - 1; i++)
    r->out[(prod + i) % sizeof(r->out)] = line[i];
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  r->out_prod = prod + (XENCONS_RING_IDX)(sizeof(line) - 1);
  check("32-bit: send on the console port", ev_send((unsigned int)port), 0);
}

static void check_events32(void)
{
  /* shared_info: mica refuses add_to_physmap from 32-bit code until
   * its structure is translated; Xen maps it. */
  struct xen_add_to_physmap xatp = {.domid = DOMID_SELF,
                                    .space = XENMAPSPACE_shared_info,
                                    .idx = 0,
                                    .gpfn = (uintptr_t)ev_shinfo_page >> 12};
  long rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&xatp);
  check("32-bit: add_to_physmap shared_info (mica: -ENOSYS until translated)",
        rc == 0 || (guest_on_mica() && rc == -XEN_ENOSYS), 1);
  if (rc == 0) {
    ev_sh = (volatile struct shared_info *)ev_shinfo_page;
    uint32_t v = ev_sh->wc_version, sec = ev_sh->wc_sec;
    check("32-bit: wc_version even", v & 1, 0);
    check("32-bit: wc_sec (at offset 2308) after 2020", sec > 1577836800U, 1);
    check("32-bit: wc_sec_hi (in arch, offset 2340) is 0", ev_sh->arch.wc_sec_hi, 0);
  } else {
    printf("abi32: skip shared_info's words (pending, mask, wall clock): not mapped\n");
  }

  /* vcpu_info into our page: 4-byte alignment is enough for the 32-bit
   * layout (Xen: alignof(compat_ulong_t)). */
  struct vcpu_register_vcpu_info r = {.mfn = (uintptr_t)ev_vi_page >> 12, .offset = 2};
  check("32-bit: register_vcpu_info at offset 2: -ENXIO",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (unsigned long)&r),
        -XEN_ENXIO);
  r.offset = 4;
  if (!check("32-bit: register_vcpu_info at offset 4",
             hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (unsigned long)&r), 0))
    return;
  ev_vi = (volatile struct vcpu_info *)(ev_vi_page + 4);
  const volatile uint32_t *w = (const volatile uint32_t *)ev_vi;
  check("32-bit: vcpu_info upcall_pending set (every event marked)", ev_vi->evtchn_upcall_pending,
        1);
  check("32-bit: selector at offset 4 is all ones", w[1], 0xffffffff);
  check("32-bit: the word after it untouched (no 64-bit selector)", w[3], 0);
  check("32-bit: pvclock at offset 32 is set", ev_vi->time.tsc_to_system_mul != 0, 1);
  check("32-bit: pvclock version even", ev_vi->time.version & 1, 0);

  /* The callback vector, taken in 32-bit code: a GDT of our own first
   * (PVH starts us with flat segments but promises no GDT, and taking an
   * interrupt loads CS from it), then an IDT with one interrupt gate. */
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {sizeof(ev_gdt) - 1, (uint32_t)(uintptr_t)ev_gdt};
  __asm__ volatile("lgdt %0\n\t"
                   "ljmp $0x08, $1f\n"
                   "1:\tmov $0x10, %%eax\n\t"
                   "mov %%eax, %%ds\n\t"
                   "mov %%eax, %%es\n\t"
                   "mov %%eax, %%ss\n\t"
                   "mov %%eax, %%fs\n\t"
                   "mov %%eax, %%gs"
                   :
                   : "m"(gdtr)
                   : "eax", "memory");
  uint32_t entry = (uint32_t)(uintptr_t)ev_upcall_entry;
  ev_idt[EV_VECTOR] = (entry & 0xffff) | 0x08U << 16 |
                      (uint64_t)((entry & 0xffff0000) | 0x8e00) << 32; /* interrupt gate */
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) idtr = {sizeof(ev_idt) - 1, (uint32_t)(uintptr_t)ev_idt};
  __asm__ volatile("lidt %0" : : "m"(idtr));
  uint64_t cb = HVM_PARAM_CALLBACK_VECTOR(EV_VECTOR);
  check("32-bit: set CALLBACK_IRQ (vector)",
        ev_hvm_param(HVMOP_set_param, HVM_PARAM_CALLBACK_IRQ, &cb), 0);
  check("32-bit: no upcall while interrupts are off", ev_upcalls, 0);
  irq_window();
  check("32-bit: upcall once interrupts are on", ev_upcalls, 1);
  check("32-bit: the handler took the all-ones selector", ev_sel, 0xffffffff);

  ev_fill_ports();

  /* Port 1000: pending word 31, bit 8; selector bit 31 (64-bit words
   * would give word 15, bit 40, selector bit 15). */
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  check("32-bit: bind_ipi", evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0);
  check("32-bit: ipi on port 1000", ipi.port, 1000);
  unsigned int before = ev_upcalls;
  check("32-bit: send on the ipi port", ev_send(ipi.port), 0);
  check("32-bit: selector bit 31 set", w[1], 1U << 31);
  check("32-bit: upcall_pending set", ev_vi->evtchn_upcall_pending, 1);
  check("32-bit: no upcall with interrupts off", ev_upcalls, before);
  if (ev_sh)
    check("32-bit: pending word 31 bit 8", ev_sh->evtchn_pending[31], 1U << 8);
  irq_window();
  check("32-bit: upcall by the callback vector", ev_upcalls, before + 1);
  check("32-bit: the handler's selector was bit 31", ev_sel, 1U << 31);
  if (ev_sh) {
    check("32-bit: the handler found port 1000", ev_got[1000], 1);
    check("32-bit: and cleared its pending bit", ev_pending(1000), 0);
  }

  /* The same send through the hypercall page. */
  struct evtchn_send snd = {.port = ipi.port};
  before = ev_upcalls;
  check("32-bit: page: evtchn send",
        page_call2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (unsigned long)&snd), 0);
  irq_window();
  if (ev_sh) {
    check("32-bit: page: the send's upcall came", ev_upcalls, before + 1);
    check("32-bit: page: for port 1000", ev_got[1000], 2);

    /* Masked: pending, and no more; unmask tells. */
    ev_sh->evtchn_mask[31] |= 1UL << 8;
    before = ev_upcalls;
    check("32-bit: send on a masked port", ev_send(ipi.port), 0);
    check("32-bit: masked: pending bit set", ev_pending(1000), 1);
    check("32-bit: masked: no selector", w[1], 0);
    check("32-bit: masked: no upcall_pending", ev_vi->evtchn_upcall_pending, 0);
    irq_window();
    check("32-bit: masked: no upcall", ev_upcalls, before);
    struct evtchn_unmask um = {.port = ipi.port};
    check("32-bit: unmask", evtchn_op(EVTCHNOP_unmask, &um), 0);
    check("32-bit: unmask cleared the mask bit", ev_sh->evtchn_mask[31] >> 8 & 1, 0);
    irq_window();
    check("32-bit: unmask delivered the pending event", ev_got[1000], 3);
  } else {
    /* Port 1000's pending bit stays set (only shared_info clears it):
     * no 0 -> 1 change, no news. */
    check("32-bit: page: a send on a pending port tells nothing", ev_upcalls, before);
    printf("abi32: skip mask and unmask: shared_info not mapped\n");
  }

  /* VIRQ_TIMER on port 1001 and set_timer_op (EBX low, ECX high). */
  struct evtchn_bind_virq bv = {.virq = VIRQ_TIMER, .vcpu = 0};
  check("32-bit: bind_virq VIRQ_TIMER", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
  check("32-bit: VIRQ_TIMER on port 1001", bv.port, 1001);
  before = ev_upcalls;
  uint64_t deadline = ev_now_ns() + 2 * MS;
  check("32-bit: set_timer_op +2 ms",
        hypercall2(__HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32)), 0);
  check("32-bit: VIRQ_TIMER came", ev_wait(before, deadline + 50 * MS), 1);
  check("32-bit: not before the deadline", ev_now_ns() >= deadline, 1);
  check("32-bit: timer's selector bit 31", ev_sel, 1U << 31);
  if (ev_sh) {
    check("32-bit: the handler found port 1001", ev_got[1001], 1);
    before = ev_upcalls;
    deadline = ev_now_ns() + 2 * MS;
    check("32-bit: set_timer_op +2 ms again",
          hypercall2(__HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32)), 0);
    check("32-bit: set_timer_op 0 cancels", hypercall2(__HYPERVISOR_set_timer_op, 0, 0), 0);
    check("32-bit: and nothing fires", ev_wait(before, deadline + 5 * MS), 0);
  }

  ev_console_ring();
  ev_close_taken();
  /* Quiet again: no callback vector. */
  cb = 0;
  check("32-bit: CALLBACK_IRQ back to none",
        ev_hvm_param(HVMOP_set_param, HVM_PARAM_CALLBACK_IRQ, &cb), 0);
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
  check_events32();
  check_paging();
  check_continuation();
  printf("abi32: %u checks, %u failed\n", nr_checks, nr_failed);
  return nr_failed != 0;
}
