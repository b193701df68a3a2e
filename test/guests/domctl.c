/* domctl: domain control from dom0, and its refusal to others.
 *
 * role=dom0 (the default; run as dom0 with domu1 spinning, e.g. the
 *   events guest in mode=spin, and domu2 running this guest with
 *   role=domu): waits for domu2 to power off and sees VIRQ_DOM_EXC; then
 *   getdomaininfo of itself and domu1, getdomaininfolist, pause (domu1's
 *   cpu_time stands still, XEN_DOMINF_paused), unpause (it runs again),
 *   getvcpuinfo, the credit weight and cap, max_vcpus, vcpu affinity, sysctl sched_id,
 *   physinfo and readconsole (its clear and incremental index), every
 *   errno Xen 4.19 gives for bad requests; then destroys domu1, sees
 *   VIRQ_DOM_EXC again and -ESRCH for domu1, and powers off.
 * role=domu: domctl and sysctl are refused: -EPERM (after -EACCES for a
 *   wrong version and -ESRCH for a domain that does not exist).
 * Each check prints "domctl: FAIL ..." when it fails; the last line is
 * "domctl: N checks, F failed". */
#include <stdbool.h>

#include <public/domctl.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define MS 1000000ULL
#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define DOMU 1       /* the spinning domain dom0 pauses and destroys */
#define DOMU_EPERM 2 /* the domain that checks the refusals */
#define DOMINF_BASE (XEN_DOMINF_hvm_guest | XEN_DOMINF_hap)
/* No shutdown code yet: Xen shifts its ~0 "invalid" code in whole, so
 * bits 16..31 are all set (and the masked code reads 255). */
#define NO_CODE (~0U << XEN_DOMINF_shutdownshift)

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const s = (volatile struct shared_info *)shinfo_page;
static char log_buf[65536];
static int failures, checks;

static void check(const char *what, long got, long want)
{
  checks++;
  if (got == want)
    return;
  failures++;
  printf("domctl: FAIL %s: got %ld (0x%lx) want %ld (0x%lx)\n", what, got, got, want, want);
}

static void check_true(const char *what, bool ok) { check(what, ok, 1); }

/* System time from the pvclock in vcpu 0's slot of shared_info. */
static uint64_t now_ns(void) { return pvclock_ns(&s->vcpu_info[0].time); }

static long sched_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, PTR(arg));
}
static long evtchn_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, PTR(arg));
}

/* Let ns of system time pass, the CPU given to the others. */
static void sleep_ns(uint64_t ns)
{
  uint64_t end = now_ns() + ns;
  while (now_ns() < end) {
    struct sched_poll sp = {.ports = 0, .nr_ports = 0, .timeout = end};
    sched_op(SCHEDOP_poll, &sp);
  }
}

static long domctl(struct xen_domctl *op) { return hypercall1(__HYPERVISOR_domctl, PTR(op)); }
static long sysctl(struct xen_sysctl *op) { return hypercall1(__HYPERVISOR_sysctl, PTR(op)); }

static long domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op)
{
  memset(op, 0, sizeof(*op));
  op->cmd = cmd;
  op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op->domain = dom;
  return domctl(op);
}

static long info(domid_t dom, struct xen_domctl_getdomaininfo *out)
{
  struct xen_domctl op;
  long rc = domctl_cmd(XEN_DOMCTL_getdomaininfo, dom, &op);
  *out = op.u.getdomaininfo;
  if (!rc && op.domain != dom)
    check("getdomaininfo echoes the domain in xen_domctl.domain", op.domain, dom);
  return rc;
}

static long sysctl_cmd(uint32_t cmd, struct xen_sysctl *op)
{
  op->cmd = cmd;
  op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
  return sysctl(op);
}

static bool contains(const char *hay, size_t n, const char *needle)
{
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; i++)
    if (!memcmp(hay + i, needle, m))
      return true;
  return false;
}

static bool port_pending(unsigned int port)
{
  return (s->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void port_clear(unsigned int port)
{
  __atomic_fetch_and(&s->evtchn_pending[port / 64], ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
}

static unsigned int my_domid(void)
{
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000004), "c"(0));
  return c;
}

/* ---- role=domu ---- */

static int role_domu(void)
{
  struct xen_domctl op;
  struct xen_sysctl sop;
  unsigned int self = my_domid();

  memset(&op, 0, sizeof(op));
  op.cmd = XEN_DOMCTL_getdomaininfo;
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION - 1;
  op.domain = 0;
  check("domU: domctl with a wrong version", domctl(&op), -XEN_EACCES);
  check("domU: getdomaininfo of a domain that does not exist",
        domctl_cmd(XEN_DOMCTL_getdomaininfo, 77, &op), -XEN_ESRCH);
  check("domU: getdomaininfo of dom0", domctl_cmd(XEN_DOMCTL_getdomaininfo, 0, &op), -XEN_EPERM);
  check("domU: getdomaininfo of itself", domctl_cmd(XEN_DOMCTL_getdomaininfo, (domid_t)self, &op),
        -XEN_EPERM);
  check("domU: pause dom0", domctl_cmd(XEN_DOMCTL_pausedomain, 0, &op), -XEN_EPERM);
  check("domU: destroy dom0", domctl_cmd(XEN_DOMCTL_destroydomain, 0, &op), -XEN_EPERM);
  check("domU: an unknown domctl", domctl_cmd(999, 0, &op), -XEN_EPERM);
  memset(&sop, 0, sizeof(sop));
  sop.cmd = XEN_SYSCTL_physinfo;
  sop.interface_version = XEN_SYSCTL_INTERFACE_VERSION + 1;
  check("domU: sysctl with a wrong version", sysctl(&sop), -XEN_EACCES);
  memset(&sop, 0, sizeof(sop));
  check("domU: sysctl physinfo", sysctl_cmd(XEN_SYSCTL_physinfo, &sop), -XEN_EPERM);
  check("domU: physinfo left untouched", sop.u.physinfo.nr_cpus, 0);
  memset(&sop, 0, sizeof(sop));
  sop.u.readconsole.buffer = PTR(log_buf);
  sop.u.readconsole.count = sizeof(log_buf);
  check("domU: sysctl readconsole", sysctl_cmd(XEN_SYSCTL_readconsole, &sop), -XEN_EPERM);
  check("domU: sysctl sched_id", sysctl_cmd(XEN_SYSCTL_sched_id, &sop), -XEN_EPERM);
  printf("domctl: domU %u refused\n", self);
  return 0;
}

/* ---- role=dom0 ---- */

static void errnos(void)
{
  struct xen_domctl op;

  memset(&op, 0, sizeof(op));
  op.cmd = XEN_DOMCTL_getdomaininfo;
  op.interface_version = 0x16; /* Xen 4.18's */
  check("domctl with Xen 4.18's version", domctl(&op), -XEN_EACCES);
  check("getdomaininfo of a domain that does not exist",
        domctl_cmd(XEN_DOMCTL_getdomaininfo, 77, &op), -XEN_ESRCH);
  check("getdomaininfo of DOMID_SELF (an exact id is wanted)",
        domctl_cmd(XEN_DOMCTL_getdomaininfo, DOMID_SELF, &op), -XEN_ESRCH);
  check("an unknown domctl", domctl_cmd(999, 0, &op), -XEN_ENOSYS);
  check("createdomain with no vcpus (test/guests/toolstack.c does the rest)",
        domctl_cmd(XEN_DOMCTL_createdomain, 5, &op), -XEN_EINVAL);
  check("pause itself", domctl_cmd(XEN_DOMCTL_pausedomain, 0, &op), -XEN_EINVAL);
  check("unpause a domain not paused", domctl_cmd(XEN_DOMCTL_unpausedomain, DOMU, &op),
        -XEN_EINVAL);
  check("destroy itself", domctl_cmd(XEN_DOMCTL_destroydomain, 0, &op), -XEN_EINVAL);

  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  sop.cmd = XEN_SYSCTL_sched_id;
  sop.interface_version = 0x14;
  check("sysctl with Xen 4.18's version", sysctl(&sop), -XEN_EACCES);
  memset(&sop, 0, sizeof(sop));
  check("an unknown sysctl", sysctl_cmd(999, &sop), -XEN_ENOSYS);
}

/* The CPUs that run vcpus (sysctl physinfo): with more than one, the
 * spinning domU has a CPU of its own and shows as running. */
static uint32_t nr_cpus(void)
{
  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  return sysctl_cmd(XEN_SYSCTL_physinfo, &sop) ? 1 : sop.u.physinfo.nr_cpus;
}

static void domain_info(void)
{
  struct xen_domctl_getdomaininfo di;

  check("getdomaininfo of dom0", info(0, &di), 0);
  check("dom0 flags: running (this vcpu), no shutdown code", di.flags,
        DOMINF_BASE | XEN_DOMINF_running | NO_CODE);
  check("dom0 nr_online_vcpus", di.nr_online_vcpus, 1);
  check("dom0 max_vcpu_id", di.max_vcpu_id, 0);
  check("dom0 max_pages (64 MiB)", (long)di.max_pages, 16384);
  check_true("dom0 tot_pages near max_pages",
             di.tot_pages <= di.max_pages && di.tot_pages >= 16380);
  check("dom0 shared_info_frame", (long)di.shared_info_frame, (long)(PTR(shinfo_page) >> 12));
  check_true("dom0 cpu_time > 0", di.cpu_time > 0);
  check("dom0 ssidref", di.ssidref, 0);
  check("dom0 cpupool", di.cpupool, 0);
  check("dom0 emulation_flags: the local APIC", di.arch_config.emulation_flags, XEN_X86_EMU_LAPIC);
  check_true("dom0 gpaddr_bits in 32..48", di.gpaddr_bits >= 32 && di.gpaddr_bits <= 48);
  printf("domctl: dom0: flags 0x%x tot_pages %lu cpu_time %lu ns gpaddr_bits %u\n", di.flags,
         (unsigned long)di.tot_pages, (unsigned long)di.cpu_time, di.gpaddr_bits);

  check("getdomaininfo of domU", info(DOMU, &di), 0);
  check("domU domain", di.domain, DOMU);
  /* One CPU runs dom0 (the caller): the domU is runnable, not running;
   * with two it runs on the other. */
  uint32_t domu_running = nr_cpus() > 1 ? XEN_DOMINF_running : 0;
  check("domU flags: runnable (running with 2+ CPUs), not blocked", di.flags,
        DOMINF_BASE | NO_CODE | domu_running);
  check("domU nr_online_vcpus", di.nr_online_vcpus, 1);
  check_true("domU has run", di.cpu_time > 0);

  check("getdomaininfo of the domU that powered off", info(DOMU_EPERM, &di), 0);
  check("powered-off domU flags: shutdown, code poweroff", di.flags,
        DOMINF_BASE | XEN_DOMINF_shutdown | (SHUTDOWN_poweroff << XEN_DOMINF_shutdownshift));

  /* The list: ids from first_domain up, in order. */
  struct xen_domctl_getdomaininfo list[4];
  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  memset(list, 0xaa, sizeof(list));
  sop.u.getdomaininfolist.first_domain = 0;
  sop.u.getdomaininfolist.max_domains = 4;
  sop.u.getdomaininfolist.buffer = PTR(list);
  check("getdomaininfolist from 0", sysctl_cmd(XEN_SYSCTL_getdomaininfolist, &sop), 0);
  check("getdomaininfolist: 3 domains", sop.u.getdomaininfolist.num_domains, 3);
  check("list[0] is dom0", list[0].domain, 0);
  check("list[1] is domU", list[1].domain, DOMU);
  check("list[2] is the other domU", list[2].domain, DOMU_EPERM);
  check("list[3] untouched", list[3].domain, 0xaaaa);
  sop.u.getdomaininfolist.first_domain = 1;
  sop.u.getdomaininfolist.max_domains = 1;
  check("getdomaininfolist from 1, at most 1", sysctl_cmd(XEN_SYSCTL_getdomaininfolist, &sop), 0);
  check("one domain", sop.u.getdomaininfolist.num_domains, 1);
  check("it is domU", list[0].domain, DOMU);
}

static uint64_t cpu_time(domid_t dom)
{
  struct xen_domctl_getdomaininfo di;
  return info(dom, &di) ? 0 : di.cpu_time;
}

static void pause_unpause(void)
{
  struct xen_domctl op;
  struct xen_domctl_getdomaininfo di;

  check("pause domU", domctl_cmd(XEN_DOMCTL_pausedomain, DOMU, &op), 0);
  info(DOMU, &di);
  check("paused domU flags", di.flags, DOMINF_BASE | XEN_DOMINF_paused | NO_CODE);
  uint64_t t0 = cpu_time(DOMU);
  sleep_ns(50 * MS);
  uint64_t t1 = cpu_time(DOMU);
  check("paused domU's cpu_time stands still over 50 ms", (long)(t1 - t0), 0);
  check("pause again (nests)", domctl_cmd(XEN_DOMCTL_pausedomain, DOMU, &op), 0);
  check("unpause once", domctl_cmd(XEN_DOMCTL_unpausedomain, DOMU, &op), 0);
  info(DOMU, &di);
  check_true("still paused after one of two unpauses", di.flags & XEN_DOMINF_paused);
  sleep_ns(20 * MS);
  check("still no cpu_time", (long)(cpu_time(DOMU) - t1), 0);
  check("unpause again", domctl_cmd(XEN_DOMCTL_unpausedomain, DOMU, &op), 0);
  info(DOMU, &di);
  /* With 2+ CPUs it may be on its CPU already, or not yet. */
  check("unpaused domU flags", di.flags & ~(uint32_t)XEN_DOMINF_running, DOMINF_BASE | NO_CODE);
  sleep_ns(50 * MS);
  uint64_t t2 = cpu_time(DOMU);
  /* dom0 sleeps, so domU has the CPU nearly all of the 50 ms. */
  check_true("unpaused domU's cpu_time advances by 30 ms or more", t2 - t1 >= 30 * MS);
  printf("domctl: domU cpu_time: %lu us paused 70 ms, then %lu us in 50 ms\n",
         (unsigned long)((t1 - t0) / 1000), (unsigned long)((t2 - t1) / 1000));
}

/* XEN_DOMCTL_getvcpuinfo of the spinning domU: online, never blocked,
 * on a CPU that runs vcpus (running there when it has one of its own). */
static long vcpu_info(uint32_t vcpu, struct xen_domctl_getvcpuinfo *out)
{
  struct xen_domctl op;
  memset(&op, 0, sizeof(op));
  op.cmd = XEN_DOMCTL_getvcpuinfo;
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op.domain = DOMU;
  op.u.getvcpuinfo.vcpu = vcpu;
  long rc = domctl(&op);
  *out = op.u.getvcpuinfo;
  return rc;
}

static void vcpu_infos(void)
{
  struct xen_domctl_getvcpuinfo vi;
  uint32_t cpus = nr_cpus();
  check("getvcpuinfo of domU's vcpu 0", vcpu_info(0, &vi), 0);
  check("... online, not blocked (it spins)", vi.online << 1 | vi.blocked, 2);
  check("... running only with a CPU of its own", vi.running, cpus > 1);
  check_true("... on a CPU that runs vcpus", vi.cpu < cpus);
  uint64_t t = cpu_time(DOMU);
  check_true("... its cpu_time: the domain's (one vcpu)", vi.cpu_time > 0 && vi.cpu_time <= t);
  check("getvcpuinfo of domU's vcpu 1 (it has one)", vcpu_info(1, &vi), -XEN_EINVAL);
}

static long sched(domid_t dom, uint32_t id, uint32_t cmd, uint16_t weight, uint16_t cap,
                  struct xen_domctl_sched_credit *out)
{
  struct xen_domctl op;
  memset(&op, 0, sizeof(op));
  op.cmd = XEN_DOMCTL_scheduler_op;
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op.domain = dom;
  op.u.scheduler_op.sched_id = id;
  op.u.scheduler_op.cmd = cmd;
  op.u.scheduler_op.u.credit.weight = weight;
  op.u.scheduler_op.u.credit.cap = cap;
  long rc = domctl(&op);
  if (out)
    *out = op.u.scheduler_op.u.credit;
  return rc;
}

static void scheduler(void)
{
  struct xen_domctl_sched_credit c;
  struct xen_sysctl sop;

  memset(&sop, 0, sizeof(sop));
  check("sysctl sched_id", sysctl_cmd(XEN_SYSCTL_sched_id, &sop), 0);
  check("sched_id is credit", sop.u.sched_id.sched_id, XEN_SCHEDULER_CREDIT);

  check("getinfo dom0", sched(0, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, &c), 0);
  check("dom0 weight", c.weight, 512);
  check("getinfo domU", sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, &c), 0);
  check("domU weight", c.weight, 256);
  check("domU cap", c.cap, 0);
  check("putinfo weight 1000, cap kept",
        sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo, 1000, 0xffff, NULL), 0);
  sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, &c);
  check("weight now 1000", c.weight, 1000);
  check("cap still 0", c.cap, 0);
  check("putinfo cap 50, weight kept",
        sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo, 0, 50, NULL), 0);
  sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, &c);
  check("weight still 1000", c.weight, 1000);
  check("cap now 50", c.cap, 50);
  check("putinfo back to 256, no cap",
        sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo, 256, 0, NULL), 0);
  sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, &c);
  check("weight 256 again", c.weight, 256);
  check("cap 0 again", c.cap, 0);
  check("another scheduler's id",
        sched(DOMU, XEN_SCHEDULER_CREDIT2, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, NULL), -XEN_EINVAL);
  check("putvcpuinfo (credit has none)",
        sched(DOMU, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putvcpuinfo, 0, 0, NULL), -XEN_EINVAL);
  check("an unknown SCHEDOP", sched(DOMU, XEN_SCHEDULER_CREDIT, 7, 0, 0, NULL), -XEN_EINVAL);

  struct xen_domctl op;
  domctl_cmd(XEN_DOMCTL_max_vcpus, DOMU, &op);
  op.u.max_vcpus.max = 1;
  check("max_vcpus 1 (as built)", domctl(&op), 0);
  op.u.max_vcpus.max = 2;
  check("max_vcpus 2 (not as built)", domctl(&op), -XEN_EINVAL);
  domctl_cmd(XEN_DOMCTL_max_vcpus, 0, &op);
  op.u.max_vcpus.max = 1;
  check("max_vcpus of itself", domctl(&op), -XEN_EINVAL);
}

static long affinity(uint32_t cmd, uint32_t vcpu, uint32_t flags, uint8_t *hard, uint8_t *soft,
                     uint32_t nr_bits)
{
  struct xen_domctl op;
  memset(&op, 0, sizeof(op));
  op.cmd = cmd;
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op.domain = DOMU;
  op.u.vcpuaffinity.vcpu = vcpu;
  op.u.vcpuaffinity.flags = flags;
  op.u.vcpuaffinity.cpumap_hard.bitmap = PTR(hard);
  op.u.vcpuaffinity.cpumap_hard.nr_bits = nr_bits;
  op.u.vcpuaffinity.cpumap_soft.bitmap = PTR(soft);
  op.u.vcpuaffinity.cpumap_soft.nr_bits = nr_bits;
  return domctl(&op);
}

static void vcpu_affinity(void)
{
  uint8_t hard[16], soft[16];
  const uint32_t set = XEN_DOMCTL_setvcpuaffinity, get = XEN_DOMCTL_getvcpuaffinity;
  const uint32_t both = XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT;
  /* Every online CPU runs vcpus: the effective masks are within them. */
  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  check("physinfo for the CPU count", sysctl_cmd(XEN_SYSCTL_physinfo, &sop), 0);
  uint32_t nr = sop.u.physinfo.nr_cpus;
  check_true("a CPU count the checks below can use (1..7)", nr >= 1 && nr <= 7);
  uint8_t online = (uint8_t)((1U << nr) - 1);

  memset(hard, 0x5a, sizeof(hard));
  check("get the default affinity", affinity(get, 0, both, hard, soft, 128), 0);
  check("default hard: every CPU", hard[0] == 0xff && hard[7] == 0xff, 1);
  check("past our 64 CPUs: zeros", hard[8] | hard[15], 0);
  /* With 2 CPUs the domU's vcpu was placed on CPU 1: {0} moves it. */
  hard[0] = 0x01;
  check("set hard {0}", affinity(set, 0, XEN_VCPUAFFINITY_HARD, hard, soft, 8), 0);
  check("effective hard {0}", hard[0], 0x01);
  uint64_t t0 = cpu_time(DOMU);
  sleep_ns(20 * MS);
  check_true("the domU runs on after the move (its cpu_time grows)", cpu_time(DOMU) > t0 + 5 * MS);
  hard[0] = (uint8_t)(1U << nr);
  check("set hard {first CPU past the online ones}: no CPU that runs vcpus",
        affinity(set, 0, XEN_VCPUAFFINITY_HARD, hard, soft, 8), -XEN_EINVAL);
  hard[0] = 0xff;
  soft[0] = 0x06;
  check("set hard {0-7}, soft {1,2}", affinity(set, 0, both, hard, soft, 8), 0);
  check("effective hard: the online CPUs", hard[0], online);
  check("effective soft: soft & hard & online", soft[0], 0x06 & online);
  memset(hard, 0, sizeof(hard));
  memset(soft, 0, sizeof(soft));
  check("get both", affinity(get, 0, both, hard, soft, 16), 0);
  check("hard as set", hard[0] | hard[1] << 8, 0xff);
  check("soft as set", soft[0] | soft[1] << 8, 0x06);
  hard[0] = 0xff;
  check("set hard with nr_bits 3", affinity(set, 0, XEN_VCPUAFFINITY_HARD, hard, soft, 3), 0);
  check("get hard with nr_bits 8", affinity(get, 0, XEN_VCPUAFFINITY_HARD, hard, soft, 8), 0);
  check("bits past nr_bits were ignored", hard[0], 0x07);
  check("vcpu out of range", affinity(get, 1, both, hard, soft, 8), -XEN_EINVAL);
  check("no flags", affinity(get, 0, 0, hard, soft, 8), -XEN_EINVAL);
  check("null hard bitmap", affinity(get, 0, XEN_VCPUAFFINITY_HARD, NULL, soft, 8), -XEN_EINVAL);
  check("bad hard bitmap pointer",
        affinity(set, 0, XEN_VCPUAFFINITY_HARD, (uint8_t *)0x7000000000, soft, 8), -XEN_EFAULT);
}

static void physinfo(void)
{
  struct xen_sysctl sop;
  memset(&sop, 0xee, sizeof(sop));
  check("sysctl physinfo", sysctl_cmd(XEN_SYSCTL_physinfo, &sop), 0);
  struct xen_sysctl_physinfo *p = &sop.u.physinfo;
  check_true("nr_cpus >= 1", p->nr_cpus >= 1 && p->nr_cpus <= 64);
  check_true("threads x cores within nr_cpus",
             p->threads_per_core >= 1 && p->cores_per_socket >= 1 &&
                 p->threads_per_core * p->cores_per_socket <= p->nr_cpus);
  check("max_cpu_id", p->max_cpu_id, 63);
  check("nr_nodes", p->nr_nodes, 1);
  check_true("cpu_khz plausible", p->cpu_khz >= 10000 && p->cpu_khz < 10000000);
  check("capabilities: hvm, hap, grant v1", p->capabilities,
        XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_hap | XEN_SYSCTL_PHYSCAP_gnttab_v1);
  check_true("free_pages < total_pages", p->free_pages > 0 && p->free_pages < p->total_pages);
  check_true("max_mfn >= total_pages", p->max_mfn >= p->total_pages);
  check_true("CPUID 1 EDX in hw_cap[0]: FPU", p->hw_cap[0] & 1);
  check("pad zeroed", p->pad, 0);
  printf("domctl: physinfo: %u CPUs (%u threads/core, %u cores/socket), %u kHz, %lu of %lu pages "
         "free\n",
         p->nr_cpus, p->threads_per_core, p->cores_per_socket, p->cpu_khz,
         (unsigned long)p->free_pages, (unsigned long)p->total_pages);
}

static long readconsole(uint8_t clear, uint8_t incremental, uint32_t *index, uint32_t *count)
{
  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  sop.u.readconsole.clear = clear;
  sop.u.readconsole.incremental = incremental;
  sop.u.readconsole.index = *index;
  sop.u.readconsole.buffer = PTR(log_buf);
  sop.u.readconsole.count = *count;
  long rc = sysctl_cmd(XEN_SYSCTL_readconsole, &sop);
  *index = sop.u.readconsole.index;
  *count = sop.u.readconsole.count;
  return rc;
}

static void console_log(void)
{
  uint32_t index = 0, count = sizeof(log_buf);
  check("readconsole everything", readconsole(0, 0, &index, &count), 0);
  check_true("it holds the boot line", contains(log_buf, count, "mica: ready (boot took "));
  check_true("and the domain builder's", contains(log_buf, count, "dom0: built: 64 MiB"));
  check_true("index is where it stopped", index >= count);
  printf("domctl: readconsole: %u bytes, index %u\n", count, index);
  uint32_t end = index;

  /* Incremental from there: only what was logged since. */
  count = sizeof(log_buf);
  check("readconsole incremental", readconsole(0, 1, &index, &count), 0);
  check_true("only the new bytes", count < 4096 && !contains(log_buf, count, "mica: ready"));
  check_true("index moved on by them", index - end == count);

  /* Small buffer: count bytes, index moves by as many. */
  index = 0;
  count = 10;
  check("readconsole 10 bytes", readconsole(0, 0, &index, &count), 0);
  check("10 bytes", count, 10);
  uint32_t first = index - 10;
  count = 10;
  check("readconsole the next 10", readconsole(0, 1, &index, &count), 0);
  check("index after 20 bytes", index - first, 20);

  /* Clear: a later full read starts after what was read. */
  index = 0;
  count = sizeof(log_buf);
  check("readconsole and clear", readconsole(1, 0, &index, &count), 0);
  index = 0;
  count = sizeof(log_buf);
  check("readconsole after clear", readconsole(0, 0, &index, &count), 0);
  check_true("the boot lines are gone", !contains(log_buf, count, "mica: ready"));
}

static int role_dom0(void)
{
  struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                 .space = XENMAPSPACE_shared_info,
                                 .idx = 0,
                                 .gpfn = PTR(shinfo_page) >> 12};
  if (hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, PTR(&x))) {
    printf("domctl: cannot map shared_info\n");
    return 1;
  }
  struct evtchn_bind_virq bv = {.virq = VIRQ_DOM_EXC, .vcpu = 0};
  check("bind VIRQ_DOM_EXC", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
  unsigned int exc = bv.port;

  /* The refusing domU powers off by itself: wait for it (5 s at most). */
  struct xen_domctl_getdomaininfo di;
  uint64_t limit = now_ns() + 5000 * MS;
  while (!(info(DOMU_EPERM, &di) == 0 && (di.flags & XEN_DOMINF_shutdown)) && now_ns() < limit)
    sleep_ns(5 * MS);
  check_true("the refusing domU shut down", di.flags & XEN_DOMINF_shutdown);
  check_true("VIRQ_DOM_EXC pending after its shutdown", port_pending(exc));
  port_clear(exc);

  errnos();
  domain_info();
  pause_unpause();
  vcpu_infos();
  scheduler();
  vcpu_affinity();
  physinfo();
  console_log();
  check_true("no VIRQ_DOM_EXC meanwhile", !port_pending(exc));

  /* With 2+ CPUs, put the domU back on CPU 1 so that it runs there when
   * destroyed: the hypervisor must take it off that CPU first. */
  if (nr_cpus() > 1) {
    uint8_t hard[8] = {0x02}, soft[8] = {0};
    check("set hard {1} before the destroy",
          affinity(XEN_DOMCTL_setvcpuaffinity, 0, XEN_VCPUAFFINITY_HARD, hard, soft, 8), 0);
    sleep_ns(5 * MS);
    check("domU running on CPU 1", info(DOMU, &di) == 0 && (di.flags & XEN_DOMINF_running), 1);
    struct xen_domctl_getvcpuinfo vi;
    check("getvcpuinfo: domU's vcpu runs on CPU 1",
          vcpu_info(0, &vi) == 0 && vi.running && vi.cpu == 1, 1);
  }

  /* Destroy domU: it goes, dom0 hears of it, the id names nothing. */
  struct xen_domctl op;
  check("destroy domU", domctl_cmd(XEN_DOMCTL_destroydomain, DOMU, &op), 0);
  check_true("VIRQ_DOM_EXC pending after the destroy", port_pending(exc));
  check("getdomaininfo of the destroyed domU", info(DOMU, &di), -XEN_ESRCH);
  check("pause the destroyed domU", domctl_cmd(XEN_DOMCTL_pausedomain, DOMU, &op), -XEN_ESRCH);
  struct xen_domctl_getdomaininfo list[4];
  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  sop.u.getdomaininfolist.max_domains = 4;
  sop.u.getdomaininfolist.buffer = PTR(list);
  check("getdomaininfolist after the destroy", sysctl_cmd(XEN_SYSCTL_getdomaininfolist, &sop), 0);
  check("2 domains left", sop.u.getdomaininfolist.num_domains, 2);
  check("dom0, then the other domU", list[0].domain * 100 + list[1].domain, DOMU_EPERM);
  sleep_ns(20 * MS); /* the hypervisor and dom0 go on without it */
  check("dom0 still running", info(0, &di), 0);
  return 0;
}

int guest_main(const struct hvm_start_info *si)
{
  char role[16] = "dom0";
  cmdline_get(guest_cmdline(si), "role", role, sizeof(role));
  int rc;
  if (!strcmp(role, "dom0")) {
    rc = role_dom0();
  } else if (!strcmp(role, "domu")) {
    rc = role_domu();
  } else {
    printf("domctl: unknown role '%s'\n", role);
    return 1;
  }
  printf("domctl: %d checks, %d failed\n", checks, failures);
  return rc || failures;
}
