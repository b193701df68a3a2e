/* events: event channels, guest time and the scheduler, seen from a guest.
 *
 * mode=local (the default): port-by-port 2-level semantics through the HVM
 *   callback vector (pending, mask, selector, upcall_mask), IPI, loopback
 *   interdomain channels, close and no use after close, VIRQ_TIMER from
 *   the singleshot, set_timer_op and periodic timers, SCHEDOP_poll with a
 *   timeout, run-state accounting, pvclock and wall clock, per-vcpu upcall
 *   vectors (through the local APIC: they need it enabled, and an EOI, as
 *   Linux gives them), and the errnos of bad arguments (Xen 4.19's).
 * mode=ping / mode=pong: dom0 (ping) offers port 1 to domain 1 (pong),
 *   which binds it; then rounds=N round trips, each side waiting in HLT.
 *   Prints "events: ping-pong: N round trips, T ticks, X per round trip".
 * mode=spin until=MS: run flat out until system time MS, then print the
 *   run-state times ("events: spin: running R us, runnable Q us").
 * mode=sleep ms=MS: SCHEDOP_poll with no ports for MS, then print the
 *   run-state times the same way.
 * mode=bench: send-to-upcall on the same vcpu, rounds=N times.
 * mode=yield rounds=N: SCHEDOP_yield N times (two domains doing this
 *   switch back and forth), after N/10 untimed; prints ticks per yield. */
#include <stdbool.h>

#include <public/errno.h>
#include <public/event_channel.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define CALLBACK_VECTOR 0xf3
#define UPCALL_VECTOR 0xe1
#define MS 1000000ULL
#define PTR(p) ((unsigned long)(uintptr_t)(p))

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static uint8_t vcpu_info_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const s = (volatile struct shared_info *)shinfo_page;
static volatile struct vcpu_info *vi = (volatile struct vcpu_info *)shinfo_page;
static volatile unsigned int got[EVTCHN_2L_NR_CHANNELS]; /* upcalls seen, per port */
static volatile unsigned int upcalls, last_vector;
static volatile bool skip_eoi; /* the upcall handler leaves the vector in service */
static int failures, checks;

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1ULL << 10)
#define MSR_X2APIC_SVR 0x80f
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_ISR7 0x817 /* in-service bits of vectors 0xe0-0xff */
#define MSR_X2APIC_IRR7 0x827

static void wrmsr(uint32_t msr, uint64_t val)
{
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

static uint64_t rdmsr(uint32_t msr)
{
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t)hi << 32 | lo;
}

static long evtchn_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, PTR(arg));
}
static long sched_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, PTR(arg));
}
static long vcpu_op(int cmd, unsigned int id, void *arg)
{
  return hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)cmd, id, PTR(arg));
}
static long hvm_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_hvm_op, (unsigned long)cmd, PTR(arg));
}

static void check(const char *what, long got_v, long want)
{
  checks++;
  if (got_v == want)
    return;
  failures++;
  printf("events: FAIL %s: got %ld want %ld\n", what, got_v, want);
}

/* System time from the pvclock in our vcpu_info. */
static uint64_t now_ns(void) { return pvclock_ns(&vi->time); }

/* The upcall: what a Xen guest's handler does with the 2-level ABI. */
static void upcall(unsigned int vector)
{
  upcalls++;
  last_vector = vector;
  vi->evtchn_upcall_pending = 0;
  unsigned long sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
  while (sel) {
    unsigned int w = (unsigned int)__builtin_ctzl(sel);
    sel &= sel - 1;
    unsigned long bits = s->evtchn_pending[w] & ~s->evtchn_mask[w];
    while (bits) {
      unsigned int b = (unsigned int)__builtin_ctzl(bits);
      bits &= bits - 1;
      __atomic_fetch_and(&s->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
      got[w * 64 + b]++;
    }
  }
}

/* The per-vcpu vector comes through the local APIC: the same, then the
 * EOI, as Linux's sysvec_xen_hvm_callback (the callback vector needs
 * none). */
static void upcall_lapic(unsigned int vector)
{
  upcall(vector);
  if (!skip_eoi)
    wrmsr(MSR_X2APIC_EOI, 0);
}

static void irq_on(void) { __asm__ volatile("sti; nop; nop" ::: "memory"); }
static void irq_off(void) { __asm__ volatile("cli" ::: "memory"); }

/* Sleep in HLT (interrupts on) until port has had n upcalls, or give up
 * after limit_ns of system time. */
static bool wait_for(unsigned int port, unsigned int n, uint64_t limit_ns)
{
  uint64_t end = now_ns() + limit_ns;
  while (got[port] < n && now_ns() < end)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  return got[port] >= n;
}

/* Wait for ns without a timer event: SCHEDOP_poll with no ports and a
 * timeout (an HLT with no timer armed would sleep for good, as on Xen).
 * Interrupts stay off: an event that comes meanwhile stays pending. */
static void sleep_ns(uint64_t ns)
{
  uint64_t end = now_ns() + ns;
  while (now_ns() < end) {
    struct sched_poll sp = {.ports = 0, .nr_ports = 0, .timeout = end};
    sched_op(SCHEDOP_poll, &sp);
  }
}

static bool port_pending(unsigned int port)
{
  return (s->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static int map_shared_info(void)
{
  struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                 .space = XENMAPSPACE_shared_info,
                                 .idx = 0,
                                 .gpfn = PTR(shinfo_page) >> 12};
  if (hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, PTR(&x))) {
    printf("events: cannot map shared_info\n");
    return -1;
  }
  guest_set_irq_vector(CALLBACK_VECTOR, upcall);
  struct xen_hvm_param p = {.domid = DOMID_SELF,
                            .index = HVM_PARAM_CALLBACK_IRQ,
                            .value = (2ULL << 56) | CALLBACK_VECTOR};
  return hvm_op(HVMOP_set_param, &p) ? -1 : 0;
}

static int bind_ipi(void)
{
  struct evtchn_bind_ipi b = {.vcpu = 0};
  long rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
  return rc ? (int)rc : (int)b.port;
}

static long send(unsigned int port)
{
  struct evtchn_send sd = {.port = port};
  return evtchn_op(EVTCHNOP_send, &sd);
}

static void runstate(const char *what)
{
  struct vcpu_runstate_info r;
  vcpu_op(VCPUOP_get_runstate_info, 0, &r);
  printf("events: %s: running %llu us, runnable %llu us, blocked %llu us\n", what,
         (unsigned long long)(r.time[RUNSTATE_running] / 1000),
         (unsigned long long)(r.time[RUNSTATE_runnable] / 1000),
         (unsigned long long)(r.time[RUNSTATE_blocked] / 1000));
}

/* ---- mode=local ---- */

static void local_semantics(void)
{
  /* The lowest free port: 1, or 2 in a domU whose console ring has 1. */
  struct xen_hvm_param cp = {.domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_EVTCHN};
  check("get CONSOLE_EVTCHN", hvm_op(HVMOP_get_param, &cp), 0);
  int p = bind_ipi();
  check("bind_ipi gives the lowest free port", p, cp.value == 1 ? 2 : 1);
  unsigned int w = (unsigned int)p / 64, bit = (unsigned int)p % 64;

  /* Interrupts off: the send leaves pending, selector and upcall_pending
   * set; the upcall comes when interrupts go on. */
  check("send on an IPI port", send((unsigned int)p), 0);
  check("pending bit set", (long)((s->evtchn_pending[w] >> bit) & 1), 1);
  check("selector bit set", (long)((vi->evtchn_pending_sel >> w) & 1), 1);
  check("upcall_pending set", vi->evtchn_upcall_pending, 1);
  check("no upcall while interrupts are off", got[p], 0);
  irq_on();
  irq_off();
  check("upcall once interrupts are on", got[p], 1);
  check("upcall by the callback vector", last_vector, CALLBACK_VECTOR);
  check("handler cleared the pending bit", (long)((s->evtchn_pending[w] >> bit) & 1), 0);

  /* Masked: pending without selector or upcall, until EVTCHNOP_unmask. */
  __atomic_fetch_or(&s->evtchn_mask[w], 1UL << bit, __ATOMIC_SEQ_CST);
  irq_on();
  check("send on a masked port", send((unsigned int)p), 0);
  check("masked: pending bit set", (long)((s->evtchn_pending[w] >> bit) & 1), 1);
  check("masked: no selector", (long)vi->evtchn_pending_sel, 0);
  check("masked: no upcall_pending", vi->evtchn_upcall_pending, 0);
  check("masked: no upcall", got[p], 1);
  struct evtchn_unmask um = {.port = (unsigned int)p};
  check("unmask", evtchn_op(EVTCHNOP_unmask, &um), 0);
  check("unmask delivers the pending event", got[p], 2);
  check("unmask cleared the mask bit", (long)((s->evtchn_mask[w] >> bit) & 1), 0);

  /* upcall_mask: the event waits; clearing it and making any hypercall
   * (as Xen guests do) delivers it. */
  vi->evtchn_upcall_mask = 1;
  check("send with upcall_mask set", send((unsigned int)p), 0);
  hypercall2(__HYPERVISOR_xen_version, 0, 0);
  check("upcall_mask holds the upcall", got[p], 2);
  check("upcall_pending stays set", vi->evtchn_upcall_pending, 1);
  vi->evtchn_upcall_mask = 0;
  hypercall2(__HYPERVISOR_xen_version, 0, 0);
  check("upcall after upcall_mask is cleared", got[p], 3);
  irq_off();

  /* Loopback interdomain channel; the bound end starts pending. */
  struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  check("alloc_unbound self", evtchn_op(EVTCHNOP_alloc_unbound, &au), 0);
  struct evtchn_bind_interdomain bi = {.remote_dom = DOMID_SELF, .remote_port = au.port};
  check("bind_interdomain loopback", evtchn_op(EVTCHNOP_bind_interdomain, &bi), 0);
  unsigned int a = au.port, b = bi.local_port;
  irq_on();
  check("bound port starts pending", got[b], 1);
  check("send a -> b", send(a), 0);
  check("b got it", got[b], 2);
  check("send b -> a", send(b), 0);
  check("a got it", got[a], 1);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = a};
  check("status a", evtchn_op(EVTCHNOP_status, &st), 0);
  check("status a interdomain", st.status, EVTCHNSTAT_interdomain);
  check("status a peer port", st.u.interdomain.port, b);
  struct evtchn_close cl = {.port = b};
  check("close b", evtchn_op(EVTCHNOP_close, &cl), 0);
  st.port = a;
  evtchn_op(EVTCHNOP_status, &st);
  check("a back to unbound", st.status, EVTCHNSTAT_unbound);
  check("send on unbound a is dropped", send(a), 0);
  check("send on closed b", send(b), -XEN_EINVAL);
  check("close b again", evtchn_op(EVTCHNOP_close, &cl), -XEN_EINVAL);
  st.port = b;
  evtchn_op(EVTCHNOP_status, &st);
  check("status closed", st.status, EVTCHNSTAT_closed);
  irq_off();
}

static void local_errnos(void)
{
  struct evtchn_close c0 = {.port = 0};
  check("close port 0 (reserved)", evtchn_op(EVTCHNOP_close, &c0), -XEN_EINVAL);
  check("send on port 0", send(0), -XEN_EINVAL);
  /* 2-level: no priorities (Xen: -ENOSYS), after -EINVAL for no such port. */
  struct evtchn_set_priority pr = {.port = 1, .priority = 0};
  check("set_priority on a port of 2-level events", evtchn_op(EVTCHNOP_set_priority, &pr),
        -XEN_ENOSYS);
  pr.port = 100000;
  check("set_priority on port 100000", evtchn_op(EVTCHNOP_set_priority, &pr), -XEN_EINVAL);
  check("send on port 4000 (no bucket)", send(4000), -XEN_EINVAL);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = 4000};
  check("status port 4000", evtchn_op(EVTCHNOP_status, &st), -XEN_EINVAL);
  st.port = 60;
  check("status free port 60 in the first bucket", evtchn_op(EVTCHNOP_status, &st), 0);
  check("  ... is closed", st.status, EVTCHNSTAT_closed);
  struct evtchn_bind_virq bv = {.virq = NR_VIRQS, .vcpu = 0};
  check("bind_virq 24", evtchn_op(EVTCHNOP_bind_virq, &bv), -XEN_EINVAL);
  bv = (struct evtchn_bind_virq){.virq = VIRQ_DOM_EXC, .vcpu = 1};
  check("bind global virq on vcpu 1", evtchn_op(EVTCHNOP_bind_virq, &bv), -XEN_EINVAL);
  bv = (struct evtchn_bind_virq){.virq = VIRQ_DEBUG, .vcpu = 99};
  check("bind_virq on vcpu 99", evtchn_op(EVTCHNOP_bind_virq, &bv), -XEN_ENOENT);
  bv = (struct evtchn_bind_virq){.virq = VIRQ_DEBUG, .vcpu = 0};
  check("bind_virq debug", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
  check("bind_virq debug twice", evtchn_op(EVTCHNOP_bind_virq, &bv), -XEN_EEXIST);
  struct evtchn_bind_vcpu bvc = {.port = bv.port, .vcpu = 0};
  check("bind_vcpu a per-vcpu virq", evtchn_op(EVTCHNOP_bind_vcpu, &bvc), -XEN_EINVAL);
  struct evtchn_bind_ipi bip = {.vcpu = 7};
  check("bind_ipi vcpu 7", evtchn_op(EVTCHNOP_bind_ipi, &bip), -XEN_ENOENT);
  struct evtchn_alloc_unbound au = {.dom = 77, .remote_dom = 0};
  check("alloc_unbound absent domain", evtchn_op(EVTCHNOP_alloc_unbound, &au), -XEN_ESRCH);
  struct evtchn_bind_interdomain bi = {.remote_dom = 77, .remote_port = 1};
  check("bind_interdomain absent domain", evtchn_op(EVTCHNOP_bind_interdomain, &bi), -XEN_ESRCH);
  bi = (struct evtchn_bind_interdomain){.remote_dom = DOMID_SELF, .remote_port = 1};
  check("bind_interdomain to an IPI port", evtchn_op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);
  struct evtchn_init_control ic = {0};
  check("init_control (FIFO) is not offered", evtchn_op(EVTCHNOP_init_control, &ic), -XEN_ENOSYS);
  check("event_channel_op 99", evtchn_op(99, &ic), -XEN_ENOSYS);
  check("event_channel_op bad pointer",
        hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, 0x7ff000000000UL), -XEN_EFAULT);
  struct evtchn_unmask um = {.port = 5000};
  check("unmask port 5000", evtchn_op(EVTCHNOP_unmask, &um), -XEN_EINVAL);
  struct sched_poll sp = {.ports = 0, .nr_ports = 129, .timeout = 0};
  check("poll 129 ports", sched_op(SCHEDOP_poll, &sp), -XEN_EINVAL);
  evtchn_port_t bad = 4000;
  sp = (struct sched_poll){.ports = PTR(&bad), .nr_ports = 1, .timeout = 0};
  check("poll a port that does not exist", sched_op(SCHEDOP_poll, &sp), -XEN_EINVAL);
  struct vcpu_set_periodic_timer per = {.period_ns = 999999};
  check("periodic timer under 1 ms", vcpu_op(VCPUOP_set_periodic_timer, 0, &per), -XEN_EINVAL);
  struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = 0, .vector = 0x0f};
  check("upcall vector 0x0f", hvm_op(HVMOP_set_evtchn_upcall_vector, &uv), -XEN_EINVAL);
  uv = (struct xen_hvm_evtchn_upcall_vector){.vcpu = 9, .vector = 0x40};
  check("upcall vector for vcpu 9", hvm_op(HVMOP_set_evtchn_upcall_vector, &uv), -XEN_ENOENT);
}

static void local_time(void)
{
  check("pvclock version even", vi->time.version & 1, 0);
  check("pvclock mul set", vi->time.tsc_to_system_mul != 0, 1);
  uint64_t t0 = now_ns(), t1 = now_ns();
  check("pvclock moves forward", t1 >= t0, 1);
  printf("events: system time %llu ns, wall clock %u.%09u\n", (unsigned long long)t0, s->wc_sec,
         s->wc_nsec);
  check("wall clock is after 2020", s->wc_sec > 1577836800U, 1);
  check("wc_version even", s->wc_version & 1, 0);

  struct evtchn_bind_virq bv = {.virq = VIRQ_TIMER, .vcpu = 0};
  check("bind VIRQ_TIMER", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
  unsigned int tp = bv.port;

  /* Singleshot: fires once, not before its time, and soon after. */
  uint64_t at = now_ns() + 5 * MS;
  struct vcpu_set_singleshot_timer ss = {.timeout_abs_ns = at, .flags = 0};
  check("singleshot in 5 ms", vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), 0);
  check("VIRQ_TIMER came", wait_for(tp, 1, 50 * MS), 1);
  uint64_t late = now_ns() - at;
  printf("events: singleshot fired %llu ns after its deadline\n", (unsigned long long)late);
  check("not before the deadline", (int64_t)late >= 0, 1);
  check("within 1 ms of the deadline", late < 1 * MS, 1);
  check("singleshot for another vcpu", vcpu_op(VCPUOP_set_singleshot_timer, 1, &ss), -XEN_ENOENT);

  /* A deadline already past fires at once. */
  ss.timeout_abs_ns = 1;
  check("singleshot in the past", vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), 0);
  check("  fires at once", wait_for(tp, 2, 1 * MS), 1);

  /* set_timer_op, then cancelled: no event. */
  check("set_timer_op +2 ms", hypercall1(__HYPERVISOR_set_timer_op, now_ns() + 2 * MS), 0);
  check("  fires", wait_for(tp, 3, 50 * MS), 1);
  check("set_timer_op +2 ms again", hypercall1(__HYPERVISOR_set_timer_op, now_ns() + 2 * MS), 0);
  check("set_timer_op 0 cancels", hypercall1(__HYPERVISOR_set_timer_op, 0), 0);
  sleep_ns(6 * MS);
  check("  and nothing fires", got[tp] == 3 && !port_pending(tp), 1);

  /* Periodic, 1 ms: three ticks, then stopped. */
  struct vcpu_set_periodic_timer per = {.period_ns = 1 * MS};
  uint64_t p0 = now_ns();
  check("periodic 1 ms", vcpu_op(VCPUOP_set_periodic_timer, 0, &per), 0);
  check("  three ticks", wait_for(tp, 3 + 3, 50 * MS), 1);
  uint64_t took = now_ns() - p0;
  check("stop periodic", vcpu_op(VCPUOP_stop_periodic_timer, 0, 0), 0);
  check("  ticks took 2 to 3 ms", took >= 2 * MS && took < 3 * MS + MS / 2, 1);
  unsigned int after = got[tp];
  sleep_ns(4 * MS);
  check("  no tick after stop", got[tp] == after && !port_pending(tp), 1);

  /* SCHEDOP_poll on an unbound port: back after the timeout, blocked
   * meanwhile. */
  struct vcpu_runstate_info r0, r1;
  vcpu_op(VCPUOP_get_runstate_info, 0, &r0);
  check("runstate: running now", r0.state, RUNSTATE_running);
  struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = 0};
  evtchn_op(EVTCHNOP_alloc_unbound, &au);
  evtchn_port_t pp = au.port;
  uint64_t deadline = now_ns() + 4 * MS;
  struct sched_poll sp = {.ports = PTR(&pp), .nr_ports = 1, .timeout = deadline};
  check("poll with a 4 ms timeout", sched_op(SCHEDOP_poll, &sp), 0);
  uint64_t back = now_ns();
  check("poll returned after its timeout", back >= deadline, 1);
  check("poll returned within 1 ms of it", back - deadline < 1 * MS, 1);
  vcpu_op(VCPUOP_get_runstate_info, 0, &r1);
  uint64_t blocked = r1.time[RUNSTATE_blocked] - r0.time[RUNSTATE_blocked];
  check("runstate: the poll counted as blocked (>= 3.5 ms)", blocked >= 7 * MS / 2, 1);
  check("runstate entry time moves", r1.state_entry_time > r0.state_entry_time, 1);

  /* A pending polled port: back at once. */
  struct evtchn_bind_ipi bi = {.vcpu = 0};
  evtchn_op(EVTCHNOP_bind_ipi, &bi);
  __atomic_fetch_or(&s->evtchn_mask[bi.port / 64], 1UL << (bi.port % 64), __ATOMIC_SEQ_CST);
  send(bi.port);
  pp = bi.port;
  sp.timeout = now_ns() + 50 * MS;
  uint64_t t = now_ns();
  check("poll on a pending (masked) port", sched_op(SCHEDOP_poll, &sp), 0);
  check("  returns at once", now_ns() - t < 1 * MS, 1);

  /* Run-state area: written when the vcpu is next scheduled. */
  static struct vcpu_runstate_info area;
  struct vcpu_register_runstate_memory_area ra = {.addr = PTR(&area)};
  check("register runstate area", vcpu_op(VCPUOP_register_runstate_memory_area, 0, &ra), 0);
  check("  filled at once", area.state_entry_time != 0, 1);
  sched_op(SCHEDOP_yield, 0);
  check("  says running", area.state, RUNSTATE_running);
}

static void local_upcall_vector(void)
{
  /* The local APIC starts in xAPIC mode, as a Xen vcpu's (vlapic_reset):
   * into x2APIC mode for its MSRs, as Linux does. */
  check("local APIC into x2APIC mode",
        guest_wrmsr_safe(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD), 0);
  /* Move vcpu_info out of shared_info, then a per-vcpu upcall vector. */
  struct vcpu_register_vcpu_info r = {.mfn = PTR(vcpu_info_page) >> 12, .offset = 64};
  check("register vcpu_info", vcpu_op(VCPUOP_register_vcpu_info, 0, &r), 0);
  vi = (volatile struct vcpu_info *)(vcpu_info_page + 64);
  check("pvclock follows vcpu_info", vi->time.tsc_to_system_mul != 0, 1);
  /* Registration marks everything pending so nothing is lost: take that. */
  irq_on();
  irq_off();
  guest_set_irq_vector(UPCALL_VECTOR, upcall_lapic);
  struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = 0, .vector = UPCALL_VECTOR};
  check("set upcall vector", hvm_op(HVMOP_set_evtchn_upcall_vector, &uv), 0);
  int p = bind_ipi();
  unsigned int before = upcalls;
  /* The local APIC starts software-disabled: the vector is dropped, and
   * raised again when the APIC is switched on with upcall_pending still
   * set (Xen's vlapic_reg_write, APIC_SPIV). */
  check("send with a per-vcpu vector", send((unsigned int)p), 0);
  irq_on();
  irq_off();
  check("no upcall while the local APIC is off", upcalls, before);
  check("  upcall_pending stays set", vi->evtchn_upcall_pending, 1);
  wrmsr(MSR_X2APIC_SVR, 0x1ff);
  irq_on();
  irq_off();
  check("upcall came once the local APIC is on", upcalls, before + 1);
  check("  by the per-vcpu vector", last_vector, UPCALL_VECTOR);
  check("  for the port", got[p], 1);
  check("  and the EOI left nothing in service", (long)rdmsr(MSR_X2APIC_ISR7), 0);

  /* An IRR bit, then in service until the EOI: the next upcall waits. */
  skip_eoi = true;
  send((unsigned int)p);
  irq_on();
  irq_off();
  check("second upcall", upcalls, before + 2);
  check("  in service (ISR) without an EOI", (long)((rdmsr(MSR_X2APIC_ISR7) >> 1) & 1), 1);
  send((unsigned int)p);
  irq_on();
  irq_off();
  check("third send waits for the EOI", upcalls, before + 2);
  check("  in IRR meanwhile", (long)((rdmsr(MSR_X2APIC_IRR7) >> 1) & 1), 1);
  skip_eoi = false;
  wrmsr(MSR_X2APIC_EOI, 0);
  irq_on();
  irq_off();
  check("after the EOI it comes", upcalls, before + 3);
  check("  for the port", got[p], 3);
  check("  nothing left in IRR or ISR", (long)(rdmsr(MSR_X2APIC_IRR7) | rdmsr(MSR_X2APIC_ISR7)), 0);
}

static int mode_local(void)
{
  if (map_shared_info())
    return 1;
  local_semantics();
  local_errnos();
  local_time();
  local_upcall_vector();
  printf("events: %d checks, %d failed\n", checks, failures);
  return failures;
}

/* ---- two domains ---- */

static int mode_ping(unsigned long rounds)
{
  if (map_shared_info())
    return 1;
  struct evtchn_alloc_unbound au = {.dom = DOMID_SELF, .remote_dom = 1};
  check("alloc_unbound for domain 1", evtchn_op(EVTCHNOP_alloc_unbound, &au), 0);
  check("  is port 1", au.port, 1);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = au.port};
  for (int i = 0; i < 10000; i++) {
    evtchn_op(EVTCHNOP_status, &st);
    if (st.status == EVTCHNSTAT_interdomain)
      break;
    sched_op(SCHEDOP_yield, 0);
  }
  check("domain 1 bound our port", st.status, EVTCHNSTAT_interdomain);
  check("  from domain 1", st.u.interdomain.dom, 1);
  if (failures)
    return 1;
  unsigned int p = au.port;
  uint64_t t0 = rdtsc_ordered();
  for (unsigned long i = 1; i <= rounds; i++) {
    send(p);
    if (!wait_for(p, (unsigned int)i, 1000 * MS)) {
      printf("events: FAIL no answer to ping %lu\n", i);
      return 1;
    }
  }
  uint64_t t = rdtsc_ordered() - t0;
  /* The last ping lets domain 1 go: its print and its end (the teardown
   * of a 64 MiB domain) stay out of the measured window. */
  send(p);
  printf("events: ping-pong: %lu round trips, %llu ticks, %llu per round trip\n", rounds,
         (unsigned long long)t, (unsigned long long)(t / rounds));
  return failures;
}

static int mode_pong(unsigned long rounds)
{
  if (map_shared_info())
    return 1;
  struct evtchn_bind_interdomain bi = {.remote_dom = 0, .remote_port = 1};
  long rc = -1;
  for (int i = 0; i < 10000 && rc; i++) {
    rc = evtchn_op(EVTCHNOP_bind_interdomain, &bi);
    if (rc)
      sched_op(SCHEDOP_yield, 0);
  }
  check("bind to dom0's port 1", rc, 0);
  if (rc)
    return 1;
  unsigned int p = bi.local_port;
  /* The fresh port starts pending (Xen's conservative notification). */
  for (unsigned long i = 1; i <= rounds; i++) {
    if (!wait_for(p, (unsigned int)i + 1, 1000 * MS)) {
      printf("events: FAIL no ping %lu\n", i);
      return 1;
    }
    send(p);
  }
  if (!wait_for(p, (unsigned int)rounds + 2, 1000 * MS)) {
    printf("events: FAIL no last ping\n");
    return 1;
  }
  printf("events: pong: answered %lu pings\n", rounds);
  return failures;
}

static unsigned long arg_if;

static int mode_spin(unsigned long until_ms)
{
  if (map_shared_info())
    return 1;
  unsigned long loops = 0;
  if (arg_if)
    irq_on();
  while (now_ns() < until_ms * MS)
    loops++;
  irq_off();
  printf("events: spin: %lu loops\n", loops);
  runstate("spin");
  return 0;
}

static int mode_sleep(unsigned long ms)
{
  if (map_shared_info())
    return 1;
  struct sched_poll sp = {.ports = 0, .nr_ports = 0, .timeout = now_ns() + ms * MS};
  check("poll no ports with a timeout", sched_op(SCHEDOP_poll, &sp), 0);
  runstate("sleep");
  return failures;
}

static int mode_bench(unsigned long rounds)
{
  if (map_shared_info())
    return 1;
  int p = bind_ipi();
  irq_on();
  uint64_t t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < rounds; i++)
    send((unsigned int)p);
  uint64_t t = rdtsc_ordered() - t0;
  irq_off();
  check("every send made an upcall", got[p], (long)rounds);
  printf("events: send to upcall: %lu sends, %llu ticks, %llu per send\n", rounds,
         (unsigned long long)t, (unsigned long long)(t / rounds));
  return failures;
}

static int mode_yield(unsigned long rounds)
{
  /* Untimed rounds first: the other domain may still be starting (its
   * runtime's set-up between two of our yields is no switch). */
  for (unsigned long i = 0; i < rounds / 10; i++)
    sched_op(SCHEDOP_yield, 0);
  uint64_t t0 = rdtsc_ordered();
  for (unsigned long i = 0; i < rounds; i++)
    sched_op(SCHEDOP_yield, 0);
  uint64_t t = rdtsc_ordered() - t0;
  printf("events: yield: %lu yields, %llu ticks, %llu per yield\n", rounds, (unsigned long long)t,
         (unsigned long long)(t / rounds));
  return 0;
}

int guest_main(const struct hvm_start_info *si)
{
  char mode[16] = "local";
  cmdline_get(guest_cmdline(si), "mode", mode, sizeof(mode));
  unsigned long rounds = cmdline_num(guest_cmdline(si), "rounds", 1000);
  if (!strcmp(mode, "local"))
    return mode_local();
  if (!strcmp(mode, "ping"))
    return mode_ping(rounds);
  if (!strcmp(mode, "pong"))
    return mode_pong(rounds);
  arg_if = cmdline_num(guest_cmdline(si), "sti", 0);
  if (!strcmp(mode, "spin"))
    return mode_spin(cmdline_num(guest_cmdline(si), "until", 500));
  if (!strcmp(mode, "sleep"))
    return mode_sleep(cmdline_num(guest_cmdline(si), "ms", 300));
  if (!strcmp(mode, "bench"))
    return mode_bench(rounds);
  if (!strcmp(mode, "yield"))
    return mode_yield(rounds);
  printf("events: unknown mode '%s'\n", mode);
  return 1;
}
