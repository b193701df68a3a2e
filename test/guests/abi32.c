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
 * (the "!" lines of xen/include/xlat.lst), and so does mica: the "xlat"
 * checks pass each in its 32-bit layout inside a pattern a 64-bit reading
 * or writing would touch; the "32-bit:" checks use the shared_info and
 * vcpu_info layout a 32-bit guest latches.
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
#include <public/grant_table.h>
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

/* A buffer to pass, filled with a pattern. */
static uint8_t pattern_buf[256];

static void *pattern(void)
{
  memset(pattern_buf, 0xa5, sizeof(pattern_buf));
  return pattern_buf;
}

/* ---- Structures laid out differently for a 32-bit guest ----
 * Xen translates them (xen/common/compat/, xen/arch/x86/x86_64/compat/
 * and the "!" lines of xen/include/xlat.lst); here each is passed in the
 * layout the public headers give a 32-bit build, surrounded by a pattern
 * where a 64-bit reading or writing would reach. */

#define XEN_GNTST_address_too_big (-11)
#define XEN_GNTST_bad_virt_addr (-5)
#define XEN_GNTST_bad_copy_arg (-10)
#define HOLE 0xfffff000u /* no RAM behind it */

/* Pages of our own: data for copies, shared_info's first and last homes
 * (the first a hole once it moved on), our grant table's frame 0. */
static uint8_t xl_page[4][4096] __attribute__((aligned(4096)));
#define XL_DATA xl_page[0]
#define XL_SHINFO_OLD xl_page[1]
#define XL_SHINFO xl_page[2]
#define XL_GRANT xl_page[3]
#define PFN(p) ((uint32_t)(uintptr_t)(p) >> 12)

static long memory_op(unsigned long cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, (unsigned long)arg);
}

static long xatp(unsigned int space, unsigned long idx, void *page)
{
  struct xen_add_to_physmap x = {DOMID_SELF, 0, space, idx, PFN(page)};
  return memory_op(XENMEM_add_to_physmap, &x);
}

static int all_a5(const void *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (((const uint8_t *)p)[i] != 0xa5)
      return 0;
  return 1;
}

static void check_xlat_memory(const struct hvm_start_info *si)
{
  /* compat_memory_map: a 32-bit handle at 4, 8 bytes in all. */
  uint8_t *b = pattern();
  struct xen_memory_map *mm = (struct xen_memory_map *)b;
  struct e820entry *map = (struct e820entry *)(b + 64);
  mm->nr_entries = 8;
  mm->buffer = (uint32_t)(uintptr_t)map;
  check("memory_op memory_map", memory_op(XENMEM_memory_map, mm), 0);
  uint32_t n = mm->nr_entries;
  check("memory_map: 1 to 8 entries", n >= 1 && n <= 8, 1);
  check("memory_map: wrote 8 bytes of its structure, no more", all_a5(b + 8, 56), 1);
  check("memory_map: first entry is RAM at 0", map[0].addr == 0 && map[0].type == 1, 1);
  check("memory_map: nothing past the entries", all_a5(&map[n], 20), 1);
  const struct hvm_memmap_table_entry *sm =
      (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
  int same = n == (si->memmap_entries < 8 ? si->memmap_entries : 8); /* Xen's may be longer */
  for (uint32_t i = 0; same && i < n; i++)
    same = sm[i].addr == map[i].addr && sm[i].size == map[i].size && sm[i].type == map[i].type;
  check("memory_map equals the start info's map (its first 8)", same, 1);
  mm->nr_entries = 1;
  memset(map, 0xa5, 2 * sizeof(*map));
  check("memory_op memory_map into 1 entry", memory_op(XENMEM_memory_map, mm), 0);
  check("memory_map into 1 entry: nr_entries 1, one written",
        mm->nr_entries == 1 && map[0].type == 1 && all_a5(&map[1], sizeof(*map)), 1);
  mm->nr_entries = 8;
  mm->buffer = HOLE;
  check("memory_op memory_map bad buffer", memory_op(XENMEM_memory_map, mm), -XEN_EFAULT);
  check("memory_op memory_map bad argument", memory_op(XENMEM_memory_map, (void *)HOLE),
        -XEN_EFAULT);

  /* compat_add_to_physmap: idx and gpfn 32 bits (16 bytes in all). */
  check("add_to_physmap bad pointer", memory_op(XENMEM_add_to_physmap, (void *)HOLE), -XEN_EFAULT);
  check("add_to_physmap shared_info idx 1", xatp(XENMAPSPACE_shared_info, 1, XL_SHINFO_OLD),
        -XEN_EINVAL);
  check("add_to_physmap space 99", xatp(99, 0, XL_SHINFO_OLD), -XEN_EINVAL);
  memset(XL_SHINFO_OLD, 0xa5, 4096);
  check("add_to_physmap shared_info", xatp(XENMAPSPACE_shared_info, 0, XL_SHINFO_OLD), 0);
  check("shared_info is at that gfn", all_a5(XL_SHINFO_OLD, 4096), 0);
  volatile uint32_t *mark = (volatile uint32_t *)(XL_SHINFO_OLD + 4092);
  *mark = 0x6d696361; /* past the end of shared_info in either layout */
  check("add_to_physmap shared_info moved", xatp(XENMAPSPACE_shared_info, 0, XL_SHINFO), 0);
  check("shared_info keeps its contents across the move", *(volatile uint32_t *)(XL_SHINFO + 4092),
        0x6d696361);
}

static void check_xlat_vcpu(void)
{
  /* compat_vcpu_runstate_info: state_entry_time at 4, time[] at 12, 44
   * bytes in all. */
  uint8_t *b = pattern();
  uint32_t st;
  uint64_t entry, t[4];
  check("vcpu_op get_runstate_info",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (unsigned long)b), 0);
  memcpy(&st, b, 4);
  memcpy(&entry, b + 4, 8);
  memcpy(t, b + 12, sizeof(t));
  check("runstate: running", st, RUNSTATE_running);
  check("runstate: 44 bytes, no more", all_a5(b + 44, 64), 1);
  /* Nanoseconds since boot: well under 2^44 (4.8 hours), where a 64-bit
   * layout read at these offsets would not be. */
  check("runstate: entry time at 4", entry != 0 && entry < 1ULL << 44, 1);
  check("runstate: time running at 12",
        t[RUNSTATE_running] != 0 && t[RUNSTATE_running] < 1ULL << 44, 1);
  check("vcpu_op get_runstate_info bad pointer",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, HOLE), -XEN_EFAULT);
  check("vcpu_op get_runstate_info vcpu 1 of 1",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 1, (unsigned long)b),
        -XEN_ENOENT);

  /* register_runstate_memory_area: the 32-bit handle alone counts (the
   * union's other half is junk); the area gets the 32-bit layout (and
   * keeps it when the vcpu is scheduled again: test_sched_core's
   * test_runstate_published_32bit). */
  static uint8_t area[64];
  uint32_t reg[2] = {(uint32_t)(uintptr_t)area, 0xdeadbeef};
  memset(area, 0xa5, sizeof(area));
  check(
      "vcpu_op register_runstate_memory_area",
      hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (unsigned long)reg),
      0);
  uint64_t entry0;
  memcpy(&st, area, 4);
  memcpy(&entry0, area + 4, 8);
  check("runstate area: running, its entry time at 4", st == RUNSTATE_running && entry0 != 0, 1);
  check("runstate area: 44 bytes, no more", all_a5(area + 44, 20), 1);
  check("vcpu_op register_runstate_memory_area bad pointer",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, HOLE),
        -XEN_EFAULT);
  /* compat_vcpu_set_singleshot_timer: 12 bytes.  A timeout already past
   * fires VIRQ_TIMER at once, so a poll of its port returns at once. */
  struct evtchn_bind_virq bv = {.virq = VIRQ_TIMER, .vcpu = 0};
  if (!check("evtchn bind_virq VIRQ_TIMER", evtchn_op(EVTCHNOP_bind_virq, &bv), 0))
    return;
  struct vcpu_set_singleshot_timer ss = {.timeout_abs_ns = 1, .flags = 0};
  check("vcpu_op set_singleshot_timer, past",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (unsigned long)&ss), 0);
  evtchn_port_t port = bv.port;
  struct sched_poll p = {.ports = (uint32_t)(uintptr_t)&port, .nr_ports = 1, .timeout = 0};
  check("sched_op poll of the fired timer's port",
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&p), 0);
  ss.timeout_abs_ns = ~0ULL >> 1; /* far away */
  check("vcpu_op set_singleshot_timer, far",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (unsigned long)&ss), 0);
  check("vcpu_op stop_singleshot_timer",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0), 0);
  check("vcpu_op set_singleshot_timer bad pointer",
        hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, HOLE), -XEN_EFAULT);
  reg[0] = 0; /* none: the area is not written again */
  hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (unsigned long)reg);
  struct evtchn_close cl = {.port = bv.port};
  check("evtchn close VIRQ_TIMER's port", evtchn_op(EVTCHNOP_close, &cl), 0);

  /* compat_sched_poll: nr_ports at 4, the timeout at 8. */
  p = (struct sched_poll){.ports = (uint32_t)(uintptr_t)&port, .nr_ports = 129, .timeout = 1};
  check("sched_op poll of 129 ports",
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&p), -XEN_EINVAL);
  port = 4000; /* no such port */
  p.nr_ports = 1;
  check("sched_op poll of no port",
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&p), -XEN_EINVAL);
  p.ports = HOLE;
  check("sched_op poll, ports unreadable",
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&p), -XEN_EFAULT);
  check("sched_op poll, argument unreadable", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, HOLE),
        -XEN_EFAULT);
}

static void check_xlat_multicall(void)
{
  long ver = xen_version(XENVER_version, NULL);
  /* compat_multicall_entry: op, result and args 32 bits each. */
  static struct multicall_entry mc[100];
  static uint8_t rs[64];
  memset(mc, 0, sizeof(mc));
  memset(rs, 0xa5, sizeof(rs));
  mc[0] = (struct multicall_entry){__HYPERVISOR_xen_version, 0x5555, {XENVER_version}};
  mc[1] = (struct multicall_entry){__HYPERVISOR_xen_version, 0x5555, {12345}};
  mc[2] = (struct multicall_entry){__HYPERVISOR_multicall, 0x5555, {(uintptr_t)mc, 1}};
  mc[3] = (struct multicall_entry){__HYPERVISOR_set_timer_op, 0x5555, {0, 0}};
  mc[4] = (struct multicall_entry){
      __HYPERVISOR_vcpu_op, 0x5555, {VCPUOP_get_runstate_info, 0, (uintptr_t)rs}};
  mc[5].op = 0x77777777;
  check("multicall of 5", hypercall2(__HYPERVISOR_multicall, (unsigned long)mc, 5), 0);
  check("multicall: xen_version", mc[0].result, ver);
  check("multicall: bad xen_version", (long)mc[1].result, -XEN_ENOSYS);
  check("multicall: no multicall in a multicall", (long)mc[2].result, -XEN_EINVAL);
  check("multicall: set_timer_op (its two halves)", mc[3].result, 0);
  check("multicall: get_runstate_info", mc[4].result, 0);
  uint64_t entry;
  memcpy(&entry, rs + 4, 8);
  check("multicall: get_runstate_info wrote the 32-bit layout", entry != 0 && all_a5(rs + 44, 20),
        1);
  check("multicall: the entry after the list untouched", mc[5].op == 0x77777777 && !mc[5].result,
        1);
  check("multicall: arguments untouched", mc[0].args[0] == XENVER_version && mc[2].args[1] == 1, 1);

  for (unsigned int i = 0; i < 100; i++)
    mc[i] = (struct multicall_entry){
        __HYPERVISOR_xen_version, 0x5555, {i % 2 ? XENVER_version : 12345}};
  check("multicall of 100 (continued)", hypercall2(__HYPERVISOR_multicall, (unsigned long)mc, 100),
        0);
  long bad = 0;
  for (unsigned int i = 0; i < 100; i++)
    bad += (long)mc[i].result != (i % 2 ? ver : -XEN_ENOSYS);
  check("multicall of 100: every result right", bad, 0);
  check("multicall from a hole", hypercall2(__HYPERVISOR_multicall, HOLE, 1), -XEN_EFAULT);
  /* Two entries, the second in the hole shared_info left: the first is
   * done (Xen reads one entry at a time), then -EFAULT. */
  struct multicall_entry *last = (struct multicall_entry *)(XL_DATA + 4096) - 1;
  *last = (struct multicall_entry){__HYPERVISOR_xen_version, 0x5555, {XENVER_version}};
  check("multicall running into a hole", hypercall2(__HYPERVISOR_multicall, (unsigned long)last, 2),
        -XEN_EFAULT);
  check("multicall running into a hole: the first done", last->result, ver);
}

static void check_xlat_grant(void)
{
  /* compat_gnttab_setup_table: the frame list's handle at 12 and its
   * entries (xen_pfn_t) 32 bits. */
  uint32_t frames[4] = {0xa5a5a5a5, 0xa5a5a5a5, 0xa5a5a5a5, 0xa5a5a5a5};
  struct gnttab_setup_table st = {DOMID_SELF, 1, 0x5555, (uint32_t)(uintptr_t)frames};
  /* compat_grant_table_op runs count of them: none is nothing, 0 (a
   * 64-bit caller gets -EINVAL). */
  check("grant setup_table count 0",
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (unsigned long)&st, 0), 0);
  check("grant setup_table count 0: nothing written", st.status == 0x5555, 1);
  /* Frame 0 is not in our physical space yet: INVALID_GFN, which no
   * 32-bit frame number can say. */
  check("grant setup_table",
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (unsigned long)&st, 1), 0);
  check("grant setup_table, frame not placed: address too big", st.status,
        XEN_GNTST_address_too_big);
  check("grant add_to_physmap frame 0", xatp(XENMAPSPACE_grant_table, 0, XL_GRANT), 0);
  check("grant setup_table again",
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (unsigned long)&st, 1), 0);
  check("grant setup_table status okay", st.status, 0);
  check("grant setup_table: frame 0 where we put it, 4 bytes",
        frames[0] == PFN(XL_GRANT) && frames[1] == 0xa5a5a5a5, 1);
  st.nr_frames = 2;
  frames[0] = 0xa5a5a5a5;
  hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (unsigned long)&st, 1);
  check("grant setup_table of 2: frame 1 not placed: address too big",
        st.status == XEN_GNTST_address_too_big && frames[0] == PFN(XL_GRANT) &&
            frames[1] == 0xa5a5a5a5,
        1);
  st.nr_frames = 1;
  st.frame_list = HOLE;
  hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (unsigned long)&st, 1);
  check("grant setup_table into a hole: bad_virt_addr", st.status, XEN_GNTST_bad_virt_addr);
  check("grant setup_table from a hole",
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, HOLE, 1), -XEN_EFAULT);

  /* compat_gnttab_copy: 24 bytes, status at 20.  One copy by frame, one
   * from a grant of ours to ourselves, one crossing the page's end. */
  struct regs4 r = cpuid(XEN_CPUID_FIRST_LEAF + 4);
  domid_t self = r.a & XEN_HVM_CPUID_DOMID_PRESENT ? (domid_t)r.c : 0;
  struct grant_entry_v1 *gt = (struct grant_entry_v1 *)XL_GRANT;
  gt[8] = (struct grant_entry_v1){GTF_permit_access, self, PFN(XL_DATA)};
  for (int i = 0; i < 64; i++)
    XL_DATA[i] = (uint8_t)i;
  memset(XL_DATA + 1024, 0, 256);
  struct gnttab_copy c[4];
  memset(c, 0xa5, sizeof(c));
  c[0] = (struct gnttab_copy){{{.gmfn = PFN(XL_DATA)}, DOMID_SELF, 0},
                              {{.gmfn = PFN(XL_DATA)}, DOMID_SELF, 1024},
                              16,
                              0,
                              0x5555};
  c[1] = (struct gnttab_copy){{{.ref = 8}, self, 16},
                              {{.gmfn = PFN(XL_DATA)}, DOMID_SELF, 1040},
                              16,
                              GNTCOPY_source_gref,
                              0x5555};
  c[2] = (struct gnttab_copy){{{.gmfn = PFN(XL_DATA)}, DOMID_SELF, 4090},
                              {{.gmfn = PFN(XL_DATA)}, DOMID_SELF, 1056},
                              16,
                              0,
                              0x5555};
  check("grant copy of 3",
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_copy, (unsigned long)c, 3), 0);
  check("grant copy: statuses okay, okay, bad_copy_arg",
        c[0].status == 0 && c[1].status == 0 && c[2].status == XEN_GNTST_bad_copy_arg, 1);
  int copied = 1;
  for (int i = 0; i < 32; i++)
    copied &= XL_DATA[1024 + i] == i;
  check("grant copy: 32 bytes copied, by frame and by grant", copied && XL_DATA[1056] == 0, 1);
  check("grant copy: the entry after the list untouched", all_a5(&c[3], sizeof(c[3])), 1);
  check("grant copy: the grant free again", gt[8].flags, GTF_permit_access);
  /* Two copies, the second in the hole: Xen reads a batch in before it
   * copies, so neither is done. */
  struct gnttab_copy *e = (struct gnttab_copy *)(XL_DATA + 4096) - 1;
  *e = c[0];
  e->status = 0x5555;
  XL_DATA[1024] = 0xee;
  check("grant copy running into a hole",
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_copy, (unsigned long)e, 2), -XEN_EFAULT);
  check("grant copy running into a hole: none done", e->status == 0x5555 && XL_DATA[1024] == 0xee,
        1);
  check("grant copy count 0", hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_copy, HOLE, 0), 0);
  gt[8].flags = 0;
}

static void check_xlat(const struct hvm_start_info *si)
{
  check_xlat_memory(si); /* first: it makes the hole the others use */
  check_xlat_vcpu();
  check_xlat_multicall();
  check_xlat_grant();
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

/* ---- Hypercall buffers through the guest's page tables ---- */

/* Both paging modes a 32-bit guest has (SDM 4.3, 4.4): the low memory
 * this guest lives in mapped 1:1 (4 MiB pages; 2 MiB pages with PAE),
 * and at ALIAS a window whose pages are not 1:1: a 4 KiB page of
 * pg_data, the same page read-only, a page not present, then the two
 * other pages of pg_data in the reverse order (a buffer across them is two pieces
 * far apart), and at ALIAS_BIG the large page that holds pg_data, moved.
 * Xen walks them too, so this runs under both. */
#define ALIAS 0xc0000000u
#define ALIAS_BIG 0xc0400000u
#define X86_CR0_PG 0x80000000u
#define X86_CR0_WP 0x00010000u
#define X86_CR0_NE 0x00000020u
#define X86_CR4_PSE 0x00000010u
#define X86_CR4_PAE 0x00000020u

static uint32_t pg_dir32[1024] __attribute__((aligned(4096)));
static uint32_t pg_table32[1024] __attribute__((aligned(4096)));
static uint64_t pg_pdpt[4] __attribute__((aligned(32)));
static uint64_t pg_dir_low[512] __attribute__((aligned(4096)));
static uint64_t pg_dir_high[512] __attribute__((aligned(4096)));
static uint64_t pg_table_pae[512] __attribute__((aligned(4096)));
static uint8_t pg_data[3][4096] __attribute__((aligned(4096)));

/* The 4 KiB pages of the window, as (physical address | flags) for
 * page i, 0 when not present. */
static uint32_t window_page(unsigned int i)
{
  uint32_t d0 = (uint32_t)(uintptr_t)pg_data[0], d1 = (uint32_t)(uintptr_t)pg_data[1],
           d2 = (uint32_t)(uintptr_t)pg_data[2];
  switch (i) {
  case 0: return d0 | 3; /* present, writable */
  case 1: return d0 | 1; /* present, read-only */
  case 3: return d2 | 3;
  case 4: return d1 | 3;
  default: return 0;
  }
}

/* What the hypercalls below gave, checked once paging is off again. */
struct paging_results {
  long alias, ro, absent, big, across;
};

/* The calls, with paging on: extraversion into the window's first page,
 * its read-only alias and its absent page, through the moved large page,
 * and compile_info (144 bytes) across the two reversed pages. */
static void paging_calls(struct paging_results *r, uint32_t big_off)
{
  r->alias = xen_version(XENVER_extraversion, (void *)(uintptr_t)(ALIAS + 16));
  r->ro = xen_version(XENVER_extraversion, (void *)(uintptr_t)(ALIAS + 0x1000 + 32));
  r->absent = xen_version(XENVER_extraversion, (void *)(uintptr_t)(ALIAS + 0x2000));
  r->big = xen_version(XENVER_extraversion, (void *)(uintptr_t)(ALIAS_BIG + big_off + 48));
  r->across = xen_version(XENVER_compile_info, (void *)(uintptr_t)(ALIAS + 0x4000 - 40));
}

/* Switch paging on with cr4_bits and cr3, make the calls (big_off: where
 * pg_data sits in its large page), switch it off.
 * The CR0 write also flips CR0.NE, which the hypervisor owns, so it is
 * emulated (and with PAE must load the PDPTEs from cr3 as the CPU would);
 * NE is put back after. */
static void with_paging(uint32_t cr4_bits, uint32_t cr3, uint32_t big_off, struct paging_results *r)
{
  uint32_t cr0, cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | cr4_bits));
  __asm__ volatile("mov %0, %%cr3" : : "r"(cr3));
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0"
                   :
                   : "r"((cr0 ^ X86_CR0_NE) | X86_CR0_PG | X86_CR0_WP)
                   : "memory");
  paging_calls(r, big_off);
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
}

static void check_paging_results(const char *mode, const struct paging_results *r)
{
  char name[96], extra[XEN_EXTRAVERSION_LEN];
  struct xen_compile_info ci;
  uint8_t want[sizeof(ci)];

  xen_version(XENVER_extraversion, extra);
  memset(&ci, 0, sizeof(ci));
  xen_version(XENVER_compile_info, &ci);
  memcpy(want, &ci, sizeof(ci));

#define PCHECK(what, got, wanted)                                                                  \
  do {                                                                                             \
    snprintf(name, sizeof(name), "%s: %s", mode, what);                                            \
    check(name, got, wanted);                                                                      \
  } while (0)
  PCHECK("extraversion through a 4 KiB alias", r->alias, 0);
  PCHECK("  landed in the aliased page", memcmp(pg_data[0] + 16, extra, XEN_EXTRAVERSION_LEN), 0);
  PCHECK("read-only page (CR0.WP): -EFAULT", r->ro, -XEN_EFAULT);
  PCHECK("  wrote nothing", pg_data[0][0x20], 0);
  PCHECK("page not present: -EFAULT", r->absent, -XEN_EFAULT);
  PCHECK("extraversion through a moved large page", r->big, 0);
  PCHECK("  landed at its offset", memcmp(pg_data[0] + 48, extra, XEN_EXTRAVERSION_LEN), 0);
  PCHECK("compile_info across two pages far apart", r->across, 0);
  PCHECK("  first piece at the end of the first page", memcmp(pg_data[2] + 4096 - 40, want, 40), 0);
  PCHECK("  the rest at the start of the second", memcmp(pg_data[1], want + 40, sizeof(ci) - 40),
         0);
#undef PCHECK
}

static void check_paging(void)
{
  struct paging_results r;
  uint32_t d0 = (uint32_t)(uintptr_t)pg_data[0];

  /* 32-bit paging: 4 MiB pages 1:1, the window's table at ALIAS, and the
   * 4 MiB page that holds pg_data again at ALIAS_BIG. */
  for (uint32_t i = 0; i < 1024; i++)
    pg_dir32[i] = i << 22 | 0x83; /* present, writable, 4 MiB */
  for (uint32_t i = 0; i < 1024; i++)
    pg_table32[i] = window_page(i);
  pg_dir32[ALIAS >> 22] = (uint32_t)(uintptr_t)pg_table32 | 3;
  pg_dir32[ALIAS_BIG >> 22] = (d0 & 0xffc00000) | 0x83;
  memset(pg_data, 0, sizeof(pg_data));
  with_paging(X86_CR4_PSE, (uint32_t)(uintptr_t)pg_dir32, d0 & 0x3fffff, &r);
  check_paging_results("32-bit paging", &r);

  /* PAE paging: the first GiB 1:1 in 2 MiB pages; the last GiB holds
   * the window (its table) and the 2 MiB page of pg_data at ALIAS_BIG. */
  for (uint32_t i = 0; i < 512; i++)
    pg_dir_low[i] = (uint64_t)i << 21 | 0x83;
  memset(pg_dir_high, 0, sizeof(pg_dir_high));
  for (uint32_t i = 0; i < 512; i++)
    pg_table_pae[i] = window_page(i);
  pg_dir_high[(ALIAS >> 21) & 511] = (uint32_t)(uintptr_t)pg_table_pae | 3;
  pg_dir_high[(ALIAS_BIG >> 21) & 511] = (d0 & 0xffe00000) | 0x83;
  pg_pdpt[0] = (uint32_t)(uintptr_t)pg_dir_low | 1; /* a PDPTE has no R/W bit */
  pg_pdpt[1] = pg_pdpt[2] = 0;
  pg_pdpt[3] = (uint32_t)(uintptr_t)pg_dir_high | 1;
  memset(pg_data, 0, sizeof(pg_data));
  with_paging(X86_CR4_PAE, (uint32_t)(uintptr_t)pg_pdpt, d0 & 0x1fffff, &r);
  check_paging_results("PAE paging", &r);
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
  check_hypercall_page();
  check_xlat(si); /* after the hypercall page: Xen then takes us for 32-bit (its shinfo latch) */
  check_events32();
  check_paging();
  check_continuation();
  printf("abi32: %u checks, %u failed\n", nr_checks, nr_failed);
  return nr_failed != 0;
}
