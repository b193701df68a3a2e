/* toolstack: the hypercalls a toolstack in dom0 builds a PVH guest with,
 * and Xen 4.19's answers to bad requests.
 *
 * role=dom0 (the default; run as dom0 with domu1 running this guest with
 *   role=domu): XEN_DOMCTL_createdomain with every refused configuration
 *   (errno checked, no domain left behind), then good ones in 4.19's and
 *   4.17's layouts (ids chosen and asked for, -EEXIST); getdomaininfo of
 *   the new domain (paused, no memory, the handle), setdomainhandle,
 *   max_mem, XENMEM_populate_physmap on it (up to max_mem, then
 *   -ENOMEM), set_memory_map and its errnos, gethvmcontext (size, the
 *   records) and sethvmcontext's refusals, then a CPU record that starts
 *   vcpu 0 in 32-bit protected mode at 1 MiB in zeroed RAM: unpaused, it
 *   runs the zeros (ADD [EAX], AL) up to the end of its RAM and stops on
 *   an EPT violation at the first gfn it has not got, which the test reads
 *   in the hypervisor's log (RIP, the CPU record applied).  Destroying
 *   every domain it made gives back every frame (physinfo free pages).
 *   Between these, what Debian's Xen 4.17 toolstack (libxl/xl) asks:
 *   sysctl cpupool_op, numainfo, cputopoinfo, get_cpu_featureset and
 *   get_cpu_policy (each against this guest's own CPUID, in Xen's
 *   serialisation order), and of a domain just made: set_cpu_policy,
 *   settscinfo/gettscinfo, node affinity, the paging pool, getvcpuinfo,
 *   the PoD target, acquire_resource, HVM_PARAM_ALTP2M, and its own page
 *   at 0xfefff, which the hypervisor's console ring gives up (neither the
 *   policy nor that page once the domain has been unpaused).
 *   getdomaininfo in 4.17's version walks up to the next domain.
 * role=domu: every toolstack call is refused (-EPERM), set_memory_map of
 *   its own domain allowed (as Xen's XSM_TARGET), the PoD target not
 *   (XSM_PRIV even for itself).
 * Each failed check prints "toolstack: FAIL ..."; the last line is
 * "toolstack: N checks, F failed". */
#include <stdbool.h>

#include <public/cpuid.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <public/hvm.h>
#include <public/hvm_save.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define DOMU 1 /* this guest with role=domu */

static int failures, checks;
static uint8_t ctx_buf[16384] __attribute__((aligned(8)));

static void check(const char *what, long got, long want)
{
  checks++;
  if (got == want)
    return;
  failures++;
  printf("toolstack: FAIL %s: got %ld (0x%lx) want %ld (0x%lx)\n", what, got, got, want, want);
}

static void check_true(const char *what, bool ok) { check(what, ok, 1); }

static long domctl(struct xen_domctl *op) { return hypercall1(__HYPERVISOR_domctl, PTR(op)); }

static void domctl_init(struct xen_domctl *op, uint32_t cmd, domid_t dom)
{
  memset(op, 0, sizeof(*op));
  op->cmd = cmd;
  op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
  op->domain = dom;
}

static long domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op)
{
  domctl_init(op, cmd, dom);
  return domctl(op);
}

static long memory_op(unsigned int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, PTR(arg));
}

/* A PVH domU's configuration, as libxl gives it. */
static struct xen_domctl_createdomain pvh_config(uint32_t vcpus)
{
  struct xen_domctl_createdomain c;
  memset(&c, 0, sizeof(c));
  c.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
  c.max_vcpus = vcpus;
  c.max_evtchn_port = 1023;
  c.max_grant_frames = 32;
  c.max_maptrack_frames = 1024;
  c.grant_opts = 1;
  c.arch.emulation_flags = XEN_X86_EMU_LAPIC;
  for (unsigned int i = 0; i < sizeof(c.handle); i++)
    c.handle[i] = (uint8_t)(0xa0 + i);
  return c;
}

static long create(domid_t want, const struct xen_domctl_createdomain *c, domid_t *got)
{
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_createdomain, want);
  op.u.createdomain = *c;
  long rc = domctl(&op);
  if (got)
    *got = op.domain;
  return rc;
}

static unsigned int nr_domains(void)
{
  static struct xen_domctl_getdomaininfo list[16];
  struct xen_sysctl op = {.cmd = XEN_SYSCTL_getdomaininfolist,
                          .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
  op.u.getdomaininfolist.max_domains = 16;
  op.u.getdomaininfolist.buffer = PTR(list);
  check("getdomaininfolist", hypercall1(__HYPERVISOR_sysctl, PTR(&op)), 0);
  return op.u.getdomaininfolist.num_domains;
}

/* Each refused configuration: its errno, and no domain made. */
static const char *const refused[] = {"unknown flag",
                                      "unknown grant option",
                                      "no vcpus",
                                      "hap without hvm",
                                      "an IOMMU",
                                      "IOMMU options without one",
                                      "vmtrace",
                                      "vPMU",
                                      "a PV guest",
                                      "129 vcpus",
                                      "s3 integrity",
                                      "nested virt",
                                      "unknown misc flag",
                                      "unknown altp2m option",
                                      "altp2m",
                                      "shadow paging",
                                      "33 vcpus (beyond mica's 32)",
                                      "an HVM guest's devices",
                                      "no local APIC",
                                      "grant version 0",
                                      "grant version 2",
                                      "0 grant frames",
                                      "cpupool 1"};

/* Case i of refused[] made of a good configuration; its errno. */
static long spoil(unsigned int i, struct xen_domctl_createdomain *c)
{
  switch (i) {
  case 0: c->flags |= 1U << 8; return -XEN_EINVAL;
  case 1: c->grant_opts |= 1U << 4; return -XEN_EINVAL;
  case 2: c->max_vcpus = 0; return -XEN_EINVAL;
  case 3: c->flags = XEN_DOMCTL_CDF_hap; return -XEN_EINVAL;
  case 4: c->flags |= XEN_DOMCTL_CDF_iommu; return -XEN_EINVAL;
  case 5: c->iommu_opts = 1; return -XEN_EINVAL;
  case 6: c->vmtrace_size = 4096; return -XEN_EINVAL;
  case 7: c->flags |= XEN_DOMCTL_CDF_vpmu; return -XEN_EINVAL;
  case 8: c->flags = 0; return -XEN_EINVAL;
  case 9: c->max_vcpus = 129; return -XEN_EINVAL;
  case 10: c->flags |= XEN_DOMCTL_CDF_s3_integrity; return -XEN_EINVAL;
  case 11: c->flags |= XEN_DOMCTL_CDF_nested_virt; return -XEN_EINVAL;
  case 12: c->arch.misc_flags = 2; return -XEN_EINVAL;
  case 13: c->altp2m_opts = 4; return -XEN_EINVAL;
  case 14: c->altp2m_opts = 1; return -XEN_EINVAL;
  case 15: c->flags = XEN_DOMCTL_CDF_hvm; return -XEN_EINVAL;
  case 16: c->max_vcpus = 33; return -XEN_EINVAL;
  case 17:
    c->arch.emulation_flags = XEN_X86_EMU_ALL & ~(XEN_X86_EMU_VPCI | XEN_X86_EMU_USE_PIRQ);
    return -XEN_EOPNOTSUPP;
  case 18: c->arch.emulation_flags = 0; return -XEN_EOPNOTSUPP;
  case 19: c->grant_opts = 0; return -XEN_EINVAL;
  case 20: c->grant_opts = 2; return -XEN_EINVAL;
  case 21: c->max_grant_frames = 0; return -XEN_EINVAL;
  default: c->cpupool_id = 1; return -XEN_ENOENT;
  }
}

static void refusals(void)
{
  unsigned int before = nr_domains();
  for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    struct xen_domctl_createdomain c = pvh_config(1);
    long err = spoil(i, &c);
    char what[96];
    snprintf(what, sizeof(what), "createdomain refuses %s", refused[i]);
    check(what, create(0, &c, NULL), err);
  }
  check("no domain is left by a refused createdomain", nr_domains(), before);
  /* The version check comes first (-EACCES), then the caller's right. */
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_createdomain, 0);
  op.interface_version = 0x16;
  check("createdomain with interface version 0x16", domctl(&op), -XEN_EACCES);
}

static long context_get(domid_t dom, void *buf, uint32_t *size)
{
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_gethvmcontext, dom);
  op.u.hvmcontext.size = *size;
  op.u.hvmcontext.buffer = PTR(buf);
  long rc = domctl(&op);
  *size = op.u.hvmcontext.size;
  return rc;
}

static long context_set(domid_t dom, const void *buf, uint32_t size)
{
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_sethvmcontext, dom);
  op.u.hvmcontext.size = size;
  op.u.hvmcontext.buffer = PTR(buf);
  return domctl(&op);
}

/* Append one record to a context being built at *p. */
static uint8_t *rec(uint8_t *p, uint16_t code, uint16_t inst, const void *body, uint32_t len)
{
  struct hvm_save_descriptor d = {code, inst, len};
  memcpy(p, &d, sizeof(d));
  memcpy(p + sizeof(d), body, len);
  return p + sizeof(d) + len;
}

/* vcpu 0 in the PVH start state (as libxenguest sets it): 32-bit
 * protected mode, flat segments, paging off, at rip. */
static struct hvm_hw_cpu pvh_cpu(uint64_t rip)
{
  struct hvm_hw_cpu c;
  memset(&c, 0, sizeof(c));
  c.cs_limit = c.ds_limit = c.es_limit = c.ss_limit = c.fs_limit = c.gs_limit = ~0U;
  c.cs_arbytes = 0xc9b;
  c.ds_arbytes = c.es_arbytes = c.ss_arbytes = c.fs_arbytes = c.gs_arbytes = 0xc93;
  c.tr_arbytes = 0x8b;
  c.tr_limit = 0x67;
  c.cr0 = 0x11; /* PE | ET */
  c.rip = rip;
  c.rflags = 2;
  return c;
}

static void context(domid_t dom, uint32_t vcpus)
{
  static uint8_t buf[8192] __attribute__((aligned(8)));
  uint32_t size = 0;
  check("gethvmcontext size", context_get(dom, NULL, &size), 0);
  uint32_t want = 8 + 24 + vcpus * (8 + 240) + 8;
  check("gethvmcontext: HEADER, MTRR per vcpu, END", size, want);
  uint32_t small = size - 1;
  check("gethvmcontext into a short buffer", context_get(dom, ctx_buf, &small), -XEN_ENOSPC);
  size = sizeof(ctx_buf);
  check("gethvmcontext", context_get(dom, ctx_buf, &size), 0);
  struct hvm_save_descriptor d;
  struct hvm_save_header h;
  memcpy(&d, ctx_buf, sizeof(d));
  memcpy(&h, ctx_buf + 8, sizeof(h));
  check("first record is HEADER", d.typecode, HVM_SAVE_CODE_HEADER);
  check("HEADER magic", h.magic, HVM_FILE_MAGIC);
  check("HEADER version", h.version, HVM_FILE_VERSION);
  memcpy(&d, ctx_buf + 32, sizeof(d));
  check("then MTRR", d.typecode, HVM_SAVE_CODE_MTRR);
  struct hvm_hw_mtrr mtrr;
  memcpy(&mtrr, ctx_buf + 40, sizeof(mtrr));
  check("MTRRcap: 8 ranges, fixed, WC", mtrr.msr_mtrr_cap, 8 | 1 << 8 | 1 << 10);
  check("MTRRdefType: on, WB", mtrr.msr_mtrr_def_type, 0xc06);
  memcpy(&d, ctx_buf + size - 8, sizeof(d));
  check("last record is END", d.typecode, HVM_SAVE_CODE_END);

  /* Refusals, each changing nothing. */
  struct hvm_hw_cpu cpu = pvh_cpu(0x100000);
  uint8_t *p;
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  check("sethvmcontext without END", context_set(dom, buf, (uint32_t)(p - buf)), -XEN_ENODATA);
  check("sethvmcontext without HEADER", context_set(dom, buf + 32, 8), -XEN_ENODATA);
  struct hvm_save_header bad = h;
  bad.magic ^= 1;
  p = rec(rec(buf, HVM_SAVE_CODE_HEADER, 0, &bad, sizeof(bad)), 0, 0, NULL, 0);
  check("sethvmcontext with a bad magic", context_set(dom, buf, (uint32_t)(p - buf)), -XEN_EINVAL);
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, 99, 0, &cpu, 16), 0, 0, NULL, 0);
  check("sethvmcontext with an unknown record", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EINVAL);
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, 5 /* LAPIC */, 0, &cpu, 16), 0, 0, NULL, 0);
  check("sethvmcontext with a LAPIC record", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EOPNOTSUPP);
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, HVM_SAVE_CODE_CPU, (uint16_t)vcpus, &cpu, sizeof(cpu)), 0, 0, NULL, 0);
  check("sethvmcontext for a vcpu it has not", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EINVAL);
  struct hvm_hw_cpu badcpu = cpu;
  badcpu.cr0 = 0x80000010; /* PG | ET without PE */
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, HVM_SAVE_CODE_CPU, 0, &badcpu, sizeof(badcpu)), 0, 0, NULL, 0);
  check("sethvmcontext with paging but no protection", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EINVAL);
  badcpu = cpu;
  badcpu.cr4 = 1U << 13; /* VMXE */
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, HVM_SAVE_CODE_CPU, 0, &badcpu, sizeof(badcpu)), 0, 0, NULL, 0);
  check("sethvmcontext with CR4.VMXE", context_set(dom, buf, (uint32_t)(p - buf)), -XEN_EINVAL);
  badcpu = cpu;
  badcpu.msr_efer = 0x500; /* LME | LMA without paging */
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, HVM_SAVE_CODE_CPU, 0, &badcpu, sizeof(badcpu)), 0, 0, NULL, 0);
  check("sethvmcontext with LMA but no paging", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EINVAL);
  struct hvm_hw_mtrr badm = mtrr;
  badm.msr_mtrr_def_type = 0xc02; /* type 2 is reserved */
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(rec(p, HVM_SAVE_CODE_MTRR, 0, &badm, sizeof(badm)), 0, 0, NULL, 0);
  check("sethvmcontext with a reserved MTRR type", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EINVAL);
  /* A good CPU record and a bad MTRR one: nothing is loaded. */
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(p, HVM_SAVE_CODE_CPU, 0, &cpu, sizeof(cpu));
  p = rec(rec(p, HVM_SAVE_CODE_MTRR, 0, &badm, sizeof(badm)), 0, 0, NULL, 0);
  check("sethvmcontext, good CPU and bad MTRR", context_set(dom, buf, (uint32_t)(p - buf)),
        -XEN_EINVAL);
  size = 0;
  check("gethvmcontext after the refusals", context_get(dom, NULL, &size), 0);
  check("... still no CPU record", size, want);

  /* The start state, as libxenguest writes it: HEADER, CPU, MTRR, END. */
  p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  p = rec(p, HVM_SAVE_CODE_CPU, 0, &cpu, sizeof(cpu));
  p = rec(rec(p, HVM_SAVE_CODE_MTRR, 0, &mtrr, sizeof(mtrr)), 0, 0, NULL, 0);
  check("sethvmcontext: vcpu 0's start", context_set(dom, buf, (uint32_t)(p - buf)), 0);
  size = 0;
  check("gethvmcontext size with vcpu 0 set", context_get(dom, NULL, &size), 0);
  check("... one CPU record more", size, want + 8 + (uint32_t)sizeof(cpu));
}

/* n times: a 2-vcpu domain made, given 64 pages and a start state, run
 * into the end of its RAM, destroyed. */
static void cycles(unsigned int n)
{
  static xen_pfn_t gfns[64];
  struct xen_domctl op;
  struct xen_domctl_createdomain c = pvh_config(2);
  static uint8_t buf[2048] __attribute__((aligned(8)));
  for (unsigned int k = 0; k < n; k++) {
    domid_t d;
    if (create(0, &c, &d)) {
      check("cycle: createdomain", create(0, &c, &d), 0);
      return;
    }
    domctl_init(&op, XEN_DOMCTL_max_mem, d);
    op.u.max_mem.max_memkb = 64 * 4;
    domctl(&op);
    for (unsigned int j = 0; j < 64; j++)
      gfns[j] = 0x100 + j;
    struct xen_memory_reservation r = {
        .extent_start = PTR(gfns), .nr_extents = 64, .extent_order = 0, .domid = d};
    long got = memory_op(XENMEM_populate_physmap, &r);
    struct hvm_save_header h = {.magic = HVM_FILE_MAGIC, .version = HVM_FILE_VERSION};
    struct hvm_hw_cpu cpu = pvh_cpu(0x13f000); /* the last page: a short run */
    uint8_t *p = rec(buf, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
    p = rec(rec(p, HVM_SAVE_CODE_CPU, 0, &cpu, sizeof(cpu)), 0, 0, NULL, 0);
    long set = context_set(d, buf, (uint32_t)(p - buf));
    long unpause = domctl_cmd(XEN_DOMCTL_unpausedomain, d, &op);
    for (unsigned int j = 0; j < 100; j++) {
      domctl_cmd(XEN_DOMCTL_getdomaininfo, d, &op);
      if (op.u.getdomaininfo.flags & XEN_DOMINF_shutdown)
        break;
      hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    long destroy = domctl_cmd(XEN_DOMCTL_destroydomain, d, &op);
    if (got != 64 || set || unpause || destroy) {
      check("cycle: populate", got, 64);
      check("cycle: sethvmcontext", set, 0);
      check("cycle: unpause", unpause, 0);
      check("cycle: destroy", destroy, 0);
      return;
    }
  }
  checks++;
}

/* ---- Xen 4.17 toolstack sub-ops (libxl/xl): sysctl ---- */

static long sysctl(uint32_t cmd, struct xen_sysctl *op)
{
  op->cmd = cmd;
  op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
  return hypercall1(__HYPERVISOR_sysctl, PTR(op));
}

static struct xen_sysctl_physinfo physinfo(void)
{
  struct xen_sysctl op;
  memset(&op, 0, sizeof(op));
  check("sysctl physinfo", sysctl(XEN_SYSCTL_physinfo, &op), 0);
  return op.u.physinfo;
}

static uint64_t free_pages(void) { return physinfo().free_pages; }

struct regs {
  uint32_t a, b, c, d;
};

static struct regs cpuid(uint32_t leaf, uint32_t sub)
{
  struct regs r;
  __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
  return r;
}

/* cpupool_op: one pool, 0, with the credit scheduler, every domain and
 * every CPU; no free CPU; no pool 1, and pools cannot be made. */
static void cpupools(uint32_t nr_cpus)
{
  static const struct {
    uint32_t op, id;
    long want;
    const char *what;
  } t[] = {{XEN_SYSCTL_CPUPOOL_OP_INFO, 0, 0, "cpupool INFO from 0"},
           {XEN_SYSCTL_CPUPOOL_OP_INFO, XEN_SYSCTL_CPUPOOL_PAR_ANY, 0, "cpupool INFO from any"},
           {XEN_SYSCTL_CPUPOOL_OP_FREEINFO, 0, 0, "cpupool FREEINFO"},
           {XEN_SYSCTL_CPUPOOL_OP_INFO, 1, -XEN_ENOENT, "cpupool INFO from 1"},
           {XEN_SYSCTL_CPUPOOL_OP_CREATE, XEN_SYSCTL_CPUPOOL_PAR_ANY, -XEN_EOPNOTSUPP,
            "cpupool CREATE"}};
  uint64_t map[2];
  struct xen_sysctl op;
  struct xen_sysctl_cpupool_op *c = &op.u.cpupool_op;
  for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    memset(&op, 0, sizeof(op));
    memset(map, 0xee, sizeof(map));
    c->op = t[i].op;
    c->cpupool_id = t[i].id;
    c->cpumap.bitmap = PTR(map);
    c->cpumap.nr_bits = 8 * sizeof(map);
    check(t[i].what, sysctl(XEN_SYSCTL_cpupool_op, &op), t[i].want);
    if (t[i].op == XEN_SYSCTL_CPUPOOL_OP_FREEINFO) {
      check("... no CPU is free (all-zero map)", (long)(map[0] | map[1]), 0);
    } else if (!t[i].want) {
      check("... pool 0", c->cpupool_id, 0);
      check("... credit scheduler", c->sched_id, XEN_SCHEDULER_CREDIT);
      check("... every domain", c->n_dom, nr_domains());
      check("... every CPU, zeros past them", (long)map[0] | map[1], (long)((1ULL << nr_cpus) - 1));
    }
  }
}

/* numainfo and cputopoinfo: one node (distance 10 to itself) with all
 * the memory; CPU 0 is core 0 of socket 0 on node 0.  NULL handles ask
 * for the count; a smaller count gets that many entries and no error. */
static void topology(const struct xen_sysctl_physinfo *pi)
{
  static struct xen_sysctl_meminfo mem[4];
  static uint32_t dist[16];
  static struct xen_sysctl_cputopo topo[65];
  struct xen_sysctl op;
  struct xen_sysctl_numainfo *ni = &op.u.numainfo;
  memset(&op, 0, sizeof(op));
  ni->num_nodes = 7;
  check("numainfo, NULL handles", sysctl(XEN_SYSCTL_numainfo, &op), 0);
  check("... 1 node", ni->num_nodes, 1);
  for (unsigned int room = 0; room < 5; room += 4) {
    memset(mem, 0xee, sizeof(mem));
    memset(dist, 0xee, sizeof(dist));
    memset(&op, 0, sizeof(op));
    *ni = (struct xen_sysctl_numainfo){room, PTR(mem), PTR(dist)};
    check(room ? "numainfo into room for 4" : "numainfo into room for 0",
          sysctl(XEN_SYSCTL_numainfo, &op), 0);
    check("... num_nodes", ni->num_nodes, room ? 1 : 0);
    check("... distance 10 (untouched with no room)", dist[0], room ? 10 : 0xeeeeeeee);
    check("... node 1 untouched", mem[1].memsize == ~0ULL / 0xff * 0xee && dist[1] == 0xeeeeeeee,
          1);
  }
  check("memsize: physinfo's total pages", (long)mem[0].memsize, (long)pi->total_pages * 4096);
  uint64_t free_now = physinfo().free_pages * 4096;
  check_true("memfree: physinfo's free pages", mem[0].memfree <= mem[0].memsize &&
                                                   mem[0].memfree + 64 * 4096 >= free_now &&
                                                   mem[0].memfree <= free_now + 64 * 4096);

  struct xen_sysctl_cputopoinfo *ti = &op.u.cputopoinfo;
  memset(&op, 0, sizeof(op));
  check("cputopoinfo, NULL handle", sysctl(XEN_SYSCTL_cputopoinfo, &op), 0);
  check("... num_cpus: the CPUs", ti->num_cpus, pi->nr_cpus);
  for (unsigned int room = 0; room <= 64; room += 64) {
    memset(topo, 0xee, sizeof(topo));
    *ti = (struct xen_sysctl_cputopoinfo){room, PTR(topo)};
    check(room ? "cputopoinfo into room for 64" : "cputopoinfo into room for 0",
          sysctl(XEN_SYSCTL_cputopoinfo, &op), 0);
    check("... num_cpus", ti->num_cpus, room ? pi->nr_cpus : 0);
    check("... the entry after them untouched", topo[ti->num_cpus].core, 0xeeeeeeee);
  }
  check("CPU 0: core, socket, node 0", topo[0].core | topo[0].socket | topo[0].node, 0);
  for (unsigned int i = 1; i < pi->nr_cpus; i++)
    check_true("other CPUs: node 0, a plausible core and socket",
               topo[i].node == 0 && topo[i].core < 64 && topo[i].socket < 64);
}

/* Xen's feature words, in its featureset order: where each comes from. */
static const struct {
  uint32_t leaf, sub, reg; /* reg: 0 eax .. 3 edx */
} fs_words[] = {{1, 0, 3}, {1, 0, 2}, {0x80000001, 0, 3}, {0x80000001, 0, 2}, {0xd, 1, 0},
                {7, 0, 1}, {7, 0, 2}, {0x80000007, 0, 3}, {0x80000008, 0, 1}, {7, 0, 3}};
#define NR_WORDS (sizeof(fs_words) / sizeof(fs_words[0]))

static long featureset(uint32_t index, uint32_t *nr, uint32_t *w)
{
  struct xen_sysctl op;
  memset(&op, 0, sizeof(op));
  op.u.cpu_featureset = (struct xen_sysctl_cpu_featureset){index, *nr, PTR(w)};
  long rc = sysctl(XEN_SYSCTL_get_cpu_featureset, &op);
  *nr = op.u.cpu_featureset.nr_features;
  return rc;
}

static void featuresets(void)
{
  uint32_t hvm[16], host[16], nr = 5;
  check("featureset size (NULL handle)", featureset(XEN_SYSCTL_cpu_featureset_hvm, &nr, NULL), 0);
  check("... 10 words", nr, NR_WORDS);
  memset(hvm, 0xee, sizeof(hvm));
  nr = 16;
  check("featureset hvm", featureset(XEN_SYSCTL_cpu_featureset_hvm, &nr, hvm), 0);
  check("... 10 words written", nr, NR_WORDS);
  check("... not more", hvm[NR_WORDS], 0xeeeeeeee);
  for (unsigned int i = 0; i < NR_WORDS; i++) {
    struct regs r = cpuid(fs_words[i].leaf, fs_words[i].sub);
    uint32_t reg[4] = {r.a, r.b, r.c, r.d}, want = reg[fs_words[i].reg];
    char what[64];
    snprintf(what, sizeof(what), "hvm feature word %u: this guest's CPUID", i);
    check(what, hvm[i], want);
  }
  nr = 16;
  check("featureset host", featureset(XEN_SYSCTL_cpu_featureset_host, &nr, host), 0);
  check_true("... FPU, and the hvm words within the host's (1d less HTT, 7b0)",
             (host[0] & 1) && !(hvm[0] & ~host[0] & ~(1U << 28)) && !(hvm[5] & ~host[5]));
  uint32_t part[16];
  memset(part, 0xee, sizeof(part));
  nr = 3;
  check("featureset hvm into 3 words", featureset(XEN_SYSCTL_cpu_featureset_hvm, &nr, part),
        -XEN_ENOBUFS);
  check("... nr_features 3", nr, 3);
  check_true("... the 3 words that fit", !memcmp(part, hvm, 12) && part[3] == 0xeeeeeeee);
  static const struct {
    uint32_t index;
    long want;
  } bad[] = {{XEN_SYSCTL_cpu_featureset_pv, -XEN_EOPNOTSUPP},
             {XEN_SYSCTL_cpu_featureset_pv_max, -XEN_EOPNOTSUPP},
             {6, -XEN_EINVAL}};
  for (unsigned int i = 0; i < 3; i++) {
    nr = 16;
    char what[48];
    snprintf(what, sizeof(what), "featureset index %u", bad[i].index);
    check(what, featureset(bad[i].index, &nr, part), bad[i].want);
  }
}

static struct xen_cpuid_leaf policy[128];
static uint32_t nr_policy;

static long cpu_policy(uint32_t index, uint32_t rsvd, uint32_t *nr_leaves, void *leaves,
                       uint32_t *nr_msrs, void *msrs)
{
  struct xen_sysctl op;
  memset(&op, 0, sizeof(op));
  op.u.cpu_policy =
      (struct xen_sysctl_cpu_policy){index, *nr_leaves, *nr_msrs, rsvd, PTR(leaves), PTR(msrs)};
  long rc = sysctl(XEN_SYSCTL_get_cpu_policy, &op);
  *nr_leaves = op.u.cpu_policy.nr_leaves;
  *nr_msrs = op.u.cpu_policy.nr_msrs;
  return rc;
}

/* Entry i of the policy against this guest's CPUID for its leaf (the APIC
 * ids in leaves 1 and 0xb are each vcpu's own; of the hypervisor ranges
 * Xen's policy has only the maximum leaf).  A mask of the registers that
 * differ. */
static unsigned int leaf_differs(const struct xen_cpuid_leaf *e)
{
  struct regs r = cpuid(e->leaf, e->subleaf == XEN_CPUID_NO_SUBLEAF ? 0 : e->subleaf);
  struct regs p = {e->a, e->b, e->c, e->d};
  if (e->leaf == 1)
    r.b &= 0xffffff, p.b &= 0xffffff;
  if (e->leaf == 0xb)
    r.d = p.d = 0;
  if ((e->leaf & 0xffff0000) == XEN_CPUID_FIRST_LEAF)
    r.b = r.c = r.d = 0;
  return (r.a != p.a) | (r.b != p.b) << 1 | (r.c != p.c) << 2 | (r.d != p.d) << 3;
}

/* How many subleaves Xen's policy has of leaf (0: not indexed), from
 * this guest's CPUID (x86_cpuid_copy_to_buffer's rules): leaf 4 up to
 * the first cache of type 0, 7 up to the maximum in 7.0 EAX, 0xb up to
 * the first level of type 0 (at most 2 of each), 0xd two and one for each
 * state component past them. */
static uint32_t nr_subleaves(uint32_t leaf)
{
  uint32_t n = 0;
  switch (leaf) {
  case 4:
    while (n < 6 && (cpuid(4, n++).a & 0x1f))
      ;
    return n;
  case 7: return (cpuid(7, 0).a < 2 ? cpuid(7, 0).a : 2) + 1;
  case 0xb:
    while (n < 2 && ((cpuid(0xb, n++).c >> 8) & 0xff))
      ;
    return n;
  case 0xd: {
    struct regs s0 = cpuid(0xd, 0), s1 = cpuid(0xd, 1);
    uint64_t states = ((uint64_t)(s0.d | s1.d) << 32 | s0.a | s1.c) >> 2;
    for (n = 2; states && n < 63; states >>= 1)
      n++;
    return n;
  }
  default: return 0;
  }
}

/* The hvm_default policy's nr entries in Xen's order, each as this
 * guest's CPUID has it; stops at the first entry out of place. */
static void policy_walk(uint32_t nr)
{
  uint32_t max = cpuid(0, 0).a, xmax = cpuid(0x80000000, 0).a, i = 0;
  uint32_t last_basic = max < 0xd ? max : 0xd;
  uint32_t nr_ext = (xmax >> 16) == 0x8000 ? (xmax & 0xffff) + 1 : 0;
  nr_ext = nr_ext > 0x22 ? 0x22 : nr_ext;
  check("... leaf 0 first", policy[0].leaf | (policy[0].subleaf ^ XEN_CPUID_NO_SUBLEAF), 0);
  for (uint32_t k = 0; k <= last_basic + 2 + nr_ext; k++) {
    uint32_t leaf = k <= last_basic       ? k
                    : k == last_basic + 1 ? XEN_CPUID_FIRST_LEAF
                    : k == last_basic + 2 ? XEN_CPUID_FIRST_LEAF + 0x100
                                          : 0x80000000 + (k - last_basic - 3);
    uint32_t subs = nr_subleaves(leaf);
    for (uint32_t sub = 0; sub < (subs ? subs : 1); sub++, i++) {
      char what[80];
      uint32_t want_sub = subs ? sub : XEN_CPUID_NO_SUBLEAF;
      snprintf(what, sizeof(what), "policy entry %u is leaf 0x%x subleaf 0x%x", i, leaf, want_sub);
      if (i >= nr || policy[i].leaf != leaf || policy[i].subleaf != want_sub) {
        check(what, i < nr ? (long)policy[i].leaf << 32 | policy[i].subleaf : -1,
              (long)leaf << 32 | want_sub);
        return;
      }
      snprintf(what, sizeof(what), "policy leaf 0x%x/0x%x as CPUID (registers differing)", leaf,
               want_sub);
      check(what, leaf_differs(&policy[i]), 0);
    }
  }
  check("... and no other entry", i, nr);
}

/* The hvm_default policy, serialised as Xen does: basic leaves 0 up to
 * the maximum (at most 0xd), leaves 4, 7, 0xb, 0xd by subleaf, then
 * 0x40000000 and 0x40000100, then the extended leaves. */
static void cpu_policies(void)
{
  static struct xen_msr_entry msrs[2];
  uint32_t nr = 0, nm = 0;
  check("cpu_policy sizes (NULL handles)",
        cpu_policy(XEN_SYSCTL_cpu_policy_hvm_default, 0, &nr, NULL, &nm, NULL), 0);
  check("... 120 leaves", nr, 120);
  check("... 2 MSRs", nm, 2);
  memset(policy, 0xee, sizeof(policy));
  nr = 128;
  nm = 2;
  check("cpu_policy hvm_default",
        cpu_policy(XEN_SYSCTL_cpu_policy_hvm_default, 0, &nr, policy, &nm, msrs), 0);
  check_true("... some leaves, fewer than 120", nr > 10 && nr < 120);
  check("... no MSR", nm, 0);
  nr_policy = nr;
  policy_walk(nr);

  /* The host's: the CPU's leaf 0 (the vendor a guest sees too). */
  static struct xen_cpuid_leaf host[128];
  nr = 128;
  nm = 0;
  check("cpu_policy host", cpu_policy(XEN_SYSCTL_cpu_policy_host, 0, &nr, host, &nm, NULL), 0);
  struct regs l0 = cpuid(0, 0);
  check_true("... leaf 0 with the vendor",
             host[0].leaf == 0 && host[0].b == l0.b && host[0].c == l0.c && host[0].d == l0.d);

  static struct xen_cpuid_leaf part[4];
  memset(part, 0xee, sizeof(part));
  nr = 3;
  check("cpu_policy into room for 3 leaves",
        cpu_policy(XEN_SYSCTL_cpu_policy_hvm_default, 0, &nr, part, &nm, NULL), -XEN_ENOBUFS);
  check_true("... the 3 that fit",
             !memcmp(part, policy, 3 * sizeof(part[0])) && part[3].leaf == 0xeeeeeeee);
  static const struct {
    uint32_t index, rsvd;
    long want;
  } bad[] = {{XEN_SYSCTL_cpu_policy_hvm_default, 1, -XEN_EINVAL},
             {XEN_SYSCTL_cpu_policy_pv_max, 0, -XEN_EOPNOTSUPP},
             {XEN_SYSCTL_cpu_policy_pv_default, 0, -XEN_EOPNOTSUPP},
             {6, 0, -XEN_EINVAL}};
  for (unsigned int k = 0; k < 4; k++) {
    char what[48];
    nr = 3; /* -ENOBUFS if it were served */
    snprintf(what, sizeof(what), "cpu_policy index %u, _rsvd %u", bad[k].index, bad[k].rsvd);
    check(what, cpu_policy(bad[k].index, bad[k].rsvd, &nr, part, &nm, NULL), bad[k].want);
  }
}

/* ---- Xen 4.17 toolstack sub-ops: domctl, memory_op, hvm_op ---- */

static long set_cpu_policy(domid_t dom, const struct xen_cpuid_leaf *leaves, uint32_t nr,
                           struct xen_domctl *op)
{
  domctl_init(op, XEN_DOMCTL_set_cpu_policy, dom);
  op->u.cpu_policy.nr_leaves = nr;
  op->u.cpu_policy.leaves = PTR(leaves);
  return domctl(op);
}

/* set_cpu_policy on dom, made and not yet run: the hvm_default policy
 * read above is taken; a leaf out of Xen's range is -ERANGE, named in
 * err_leaf/err_subleaf. */
static void cpu_policy_set(domid_t dom)
{
  static struct xen_cpuid_leaf p[130];
  struct xen_domctl op;
  memcpy(p, policy, nr_policy * sizeof(p[0]));
  check("set_cpu_policy: hvm_default", set_cpu_policy(dom, p, nr_policy, &op), 0);
  static const struct xen_cpuid_leaf out[] = {{0x20, XEN_CPUID_NO_SUBLEAF, 0, 0, 0, 0},
                                              {4, 9, 0, 0, 0, 0},
                                              {0x80000022, XEN_CPUID_NO_SUBLEAF, 0, 0, 0, 0}};
  for (unsigned int i = 0; i < 3; i++) {
    char what[64];
    p[nr_policy] = out[i];
    snprintf(what, sizeof(what), "set_cpu_policy with leaf 0x%x/0x%x", out[i].leaf, out[i].subleaf);
    check(what, set_cpu_policy(dom, p, nr_policy + 1, &op), -XEN_ERANGE);
    check("... err_leaf", op.u.cpu_policy.err_leaf, out[i].leaf);
    check("... err_subleaf", op.u.cpu_policy.err_subleaf, out[i].subleaf);
    check("... err_msr none", op.u.cpu_policy.err_msr, ~0U);
  }
  p[0].a++; /* a maximum basic leaf beyond the guest view's */
  check("set_cpu_policy with leaf 0 beyond the maximum", set_cpu_policy(dom, p, nr_policy, &op),
        -XEN_EINVAL);
  check("... err_leaf 0", op.u.cpu_policy.err_leaf, 0);
  p[0].a--;
  check("set_cpu_policy of 121 leaves", set_cpu_policy(dom, p, 121, &op), -XEN_E2BIG);
  check("set_cpu_policy of itself", set_cpu_policy(0, p, nr_policy, &op), -XEN_EINVAL);
}

static long tscinfo(uint32_t cmd, domid_t dom, uint32_t mode, struct xen_domctl_tsc_info *out)
{
  struct xen_domctl op;
  domctl_init(&op, cmd, dom);
  op.u.tsc_info.tsc_mode = mode;
  long rc = domctl(&op);
  if (out)
    *out = op.u.tsc_info;
  return rc;
}

static long nodeaffinity(uint32_t cmd, domid_t dom, uint8_t *map, uint32_t nr_bits)
{
  struct xen_domctl op;
  domctl_init(&op, cmd, dom);
  op.u.nodeaffinity.nodemap.bitmap = PTR(map);
  op.u.nodeaffinity.nodemap.nr_bits = nr_bits;
  return domctl(&op);
}

static long vcpuinfo(domid_t dom, uint32_t vcpu, struct xen_domctl_getvcpuinfo *out)
{
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_getvcpuinfo, dom);
  op.u.getvcpuinfo.vcpu = vcpu;
  long rc = domctl(&op);
  *out = op.u.getvcpuinfo;
  return rc;
}

static long hvm_param(unsigned int cmd, domid_t dom, uint32_t index, uint64_t *value)
{
  struct xen_hvm_param p = {.domid = dom, .index = index, .value = *value};
  long rc = hypercall2(__HYPERVISOR_hvm_op, cmd, PTR(&p));
  *value = p.value;
  return rc;
}

static long pod_target(unsigned int cmd, domid_t dom, uint64_t target, struct xen_pod_target *t)
{
  memset(t, 0xee, sizeof(*t));
  t->target_pages = target;
  t->domid = dom;
  return memory_op(cmd, t);
}

static long populate_one(domid_t dom, xen_pfn_t gfn)
{
  static xen_pfn_t g;
  g = gfn;
  struct xen_memory_reservation r = {.extent_start = PTR(&g), .nr_extents = 1, .domid = dom};
  return memory_op(XENMEM_populate_physmap, &r);
}

static long max_mem_pages(domid_t dom, uint64_t pages)
{
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_max_mem, dom);
  op.u.max_mem.max_memkb = pages * 4;
  return domctl(&op);
}

/* What libxl does to a domain it has just made (dom, 2 vcpus, no memory
 * yet, never run): TSC mode, node affinity, paging pool, vcpu info, the
 * PoD target, ALTP2M off; and it puts its own console page at 0xfefff,
 * where the hypervisor's ring is, which the ring yields. */
static void domain_ops(domid_t dom, uint32_t cpu_khz)
{
  struct xen_domctl op;
  struct xen_domctl_tsc_info t;
  check("settscinfo mode 0 (default)", tscinfo(XEN_DOMCTL_settscinfo, dom, 0, NULL), 0);
  check("gettscinfo", tscinfo(XEN_DOMCTL_gettscinfo, dom, 9, &t), 0);
  check("... mode 0 at the host's rate", t.tsc_mode == 0 && t.gtsc_khz == cpu_khz, 1);
  check("settscinfo mode 2 (never emulate)", tscinfo(XEN_DOMCTL_settscinfo, dom, 2, NULL), 0);
  check("settscinfo mode 1 (always emulate)", tscinfo(XEN_DOMCTL_settscinfo, dom, 1, NULL),
        -XEN_EOPNOTSUPP);
  check("settscinfo mode 7", tscinfo(XEN_DOMCTL_settscinfo, dom, 7, NULL), -XEN_EINVAL);
  tscinfo(XEN_DOMCTL_gettscinfo, dom, 9, &t);
  check("gettscinfo: mode 2 kept through the refusals", t.tsc_mode, 2);
  check("settscinfo of itself", tscinfo(XEN_DOMCTL_settscinfo, 0, 0, NULL), -XEN_EINVAL);
  check("gettscinfo of itself", tscinfo(XEN_DOMCTL_gettscinfo, 0, 0, &t), -XEN_EINVAL);

  uint8_t map[2] = {0x01, 0};
  check("setnodeaffinity {0}", nodeaffinity(XEN_DOMCTL_setnodeaffinity, dom, map, 8), 0);
  map[0] = 0;
  check("setnodeaffinity {}", nodeaffinity(XEN_DOMCTL_setnodeaffinity, dom, map, 8), -XEN_EINVAL);
  map[0] = 0x02;
  check("setnodeaffinity {1} (no such node)", nodeaffinity(XEN_DOMCTL_setnodeaffinity, dom, map, 8),
        -XEN_EINVAL);
  map[0] = map[1] = 0xff;
  check("getnodeaffinity", nodeaffinity(XEN_DOMCTL_getnodeaffinity, dom, map, 16), 0);
  check("... node 0 only", map[0] | map[1] << 8, 1);

  static const struct {
    uint64_t size;
    long want;
  } pool[] = {{0x200000, 0}, {0x200001, -XEN_EINVAL}, {0x1ff800, -XEN_EINVAL}};
  for (unsigned int i = 0; i < 3; i++) {
    domctl_init(&op, XEN_DOMCTL_set_paging_mempool_size, dom);
    op.u.paging_mempool.size = pool[i].size;
    char what[64];
    snprintf(what, sizeof(what), "set_paging_mempool_size 0x%lx", (unsigned long)pool[i].size);
    check(what, domctl(&op), pool[i].want);
    check("get_paging_mempool_size", domctl_cmd(XEN_DOMCTL_get_paging_mempool_size, dom, &op), 0);
    check("... the size set (2 MiB)", (long)op.u.paging_mempool.size, 0x200000);
  }

  struct xen_domctl_getvcpuinfo vi;
  check("getvcpuinfo of dom0's vcpu 0", vcpuinfo(0, 0, &vi), 0);
  check("... online, running (the caller), not blocked",
        vi.online << 2 | vi.running << 1 | vi.blocked, 6);
  check_true("... on CPU 0, has run", vi.cpu == 0 && vi.cpu_time > 0);
  check("getvcpuinfo of dom0's vcpu 1", vcpuinfo(0, 1, &vi), -XEN_EINVAL);
  check("getvcpuinfo of the new domain's vcpu 1", vcpuinfo(dom, 1, &vi), 0);
  check("... not started, not running", vi.online | vi.running, 0);
  check("getvcpuinfo of its vcpu 2", vcpuinfo(dom, 2, &vi), -XEN_EINVAL);

  /* Its console: the hypervisor's ring at 0xfefff until the toolstack
   * populates that gfn with a page of its own. */
  uint64_t v = 0;
  check("get HVM_PARAM_CONSOLE_PFN", hvm_param(HVMOP_get_param, dom, HVM_PARAM_CONSOLE_PFN, &v), 0);
  check("... the ring's gfn", (long)v, 0xfefff);
  check("max_mem 8 pages", max_mem_pages(dom, 8), 0);
  check("populate_physmap 0xfefff (the ring yields)", populate_one(dom, 0xfefff), 1);
  v = 1;
  hvm_param(HVMOP_get_param, dom, HVM_PARAM_CONSOLE_PFN, &v);
  check("HVM_PARAM_CONSOLE_PFN cleared", (long)v, 0);
  v = 1;
  hvm_param(HVMOP_get_param, dom, HVM_PARAM_CONSOLE_EVTCHN, &v);
  check("HVM_PARAM_CONSOLE_EVTCHN cleared", (long)v, 0);
  printf("toolstack: domain %u took gfn 0xfefff from its console ring\n", dom);
  check("populate_physmap 0x100", populate_one(dom, 0x100), 1);
  domid_t d = dom;
  check("current_reservation: 2 pages", memory_op(XENMEM_current_reservation, &d), 2);

  struct xen_pod_target pt;
  check("set_pod_target above max_pages", pod_target(XENMEM_set_pod_target, dom, 9, &pt),
        -XEN_EINVAL);
  for (unsigned int cmd = XENMEM_set_pod_target; cmd <= XENMEM_get_pod_target; cmd++) {
    check(cmd == XENMEM_set_pod_target ? "set_pod_target 8 (max_pages)" : "get_pod_target",
          pod_target(cmd, dom, 8, &pt), 0);
    check("... tot_pages: the reservation", (long)pt.tot_pages, 2);
    check("... no PoD cache or entries", (long)(pt.pod_cache_pages | pt.pod_entries), 0);
  }
  static uint8_t res[64];
  check("acquire_resource", memory_op(XENMEM_acquire_resource, res), -XEN_EOPNOTSUPP);

  v = 0;
  check("set HVM_PARAM_ALTP2M 0", hvm_param(HVMOP_set_param, dom, HVM_PARAM_ALTP2M, &v), 0);
  v = 1;
  check("set HVM_PARAM_ALTP2M 1", hvm_param(HVMOP_set_param, dom, HVM_PARAM_ALTP2M, &v),
        -XEN_EINVAL);
  hvm_param(HVMOP_get_param, dom, HVM_PARAM_ALTP2M, &v);
  check("... still 0", (long)v, 0);
}

/* dom after its first unpause (it has no vcpu started, so nothing
 * runs): its CPUID policy is settled, and its console ring stays. */
static void after_unpause(domid_t dom)
{
  struct xen_domctl op;
  check("set_cpu_policy after the first unpause", set_cpu_policy(dom, policy, nr_policy, &op),
        -XEN_EEXIST);
  check("max_mem 4 pages", max_mem_pages(dom, 4), 0);
  check("populate_physmap 0x100 of the running domain", populate_one(dom, 0x100), 1);
  check("populate_physmap 0xfefff (its ring) refused", populate_one(dom, 0xfefff), 0);
  uint64_t v = 0;
  hvm_param(HVMOP_get_param, dom, HVM_PARAM_CONSOLE_PFN, &v);
  check("... HVM_PARAM_CONSOLE_PFN still the ring's", (long)v, 0xfefff);
}

/* getdomaininfo in Xen 4.17's version walks up to the next domain; in
 * 4.19's the id must exist. */
static void getdomaininfo_walk(domid_t gap, domid_t next)
{
  struct xen_domctl op;
  domctl_init(&op, XEN_DOMCTL_getdomaininfo, gap);
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION_4_17;
  check("getdomaininfo (4.17) of a missing id", domctl(&op), 0);
  check("... answers for the next one up", op.domain << 16 | op.u.getdomaininfo.domain,
        next << 16 | next);
  check("getdomaininfo (4.19) of the missing id", domctl_cmd(XEN_DOMCTL_getdomaininfo, gap, &op),
        -XEN_ESRCH);
  static const struct {
    domid_t id;
    long want;
  } edge[] = {{0x7000, -XEN_ESRCH}, {DOMID_FIRST_RESERVED, -XEN_EINVAL}, {0x7ff5, -XEN_EINVAL}};
  for (unsigned int i = 0; i < 3; i++) {
    char what[48];
    domctl_init(&op, XEN_DOMCTL_getdomaininfo, edge[i].id);
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION_4_17;
    snprintf(what, sizeof(what), "getdomaininfo (4.17) of id 0x%x", edge[i].id);
    check(what, domctl(&op), edge[i].want);
  }
}

static int role_dom0(void)
{
  struct xen_domctl op;
  /* domu1 first finishes its checks: its frames go back when it ends. */
  for (unsigned int k = 0; k < 1000; k++) {
    if (domctl_cmd(XEN_DOMCTL_getdomaininfo, DOMU, &op) ||
        (op.u.getdomaininfo.flags & XEN_DOMINF_shutdown))
      break;
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
  }
  uint64_t free0 = free_pages();
  refusals();
  struct xen_sysctl_physinfo pi = physinfo();
  cpupools(pi.nr_cpus);
  topology(&pi);
  featuresets();
  cpu_policies();

  /* A domain made with the id asked for, one with the next free id, one
   * in 4.17's layout; the same id again is -EEXIST. */
  struct xen_domctl_createdomain c = pvh_config(2);
  domid_t a, b, old;
  check("createdomain domid 7", create(7, &c, &a), 0);
  check("... is 7", a, 7);
  check("createdomain domid 7 again", create(7, &c, NULL), -XEN_EEXIST);
  check("createdomain, id chosen", create(0, &c, &b), 0);
  check_true("... a new one", b != 7 && b != 0 && b != DOMU && b < DOMID_FIRST_RESERVED);
  domctl_init(&op, XEN_DOMCTL_createdomain, 0);
  op.interface_version = XEN_DOMCTL_INTERFACE_VERSION_4_17;
  struct xen_domctl_createdomain_4_17 *o = &op.u.createdomain_4_17;
  o->flags = c.flags;
  o->max_vcpus = 1;
  o->max_evtchn_port = 1023;
  o->max_grant_frames = -1;
  o->max_maptrack_frames = -1;
  o->grant_opts = 1;
  o->arch.emulation_flags = XEN_X86_EMU_LAPIC;
  check("createdomain in Xen 4.17's layout", domctl(&op), 0);
  old = op.domain;
  domid_t gap = 2, next = 7; /* present: 0, DOMU, 7, b, old */
  while (gap == b || gap == old)
    gap++;
  next = b > gap && b < next ? b : next;
  next = old > gap && old < next ? old : next;
  getdomaininfo_walk(gap, next);
  cpu_policy_set(b);
  domain_ops(b, pi.cpu_khz);

  check("getdomaininfo of the new domain", domctl_cmd(XEN_DOMCTL_getdomaininfo, a, &op), 0);
  struct xen_domctl_getdomaininfo *i = &op.u.getdomaininfo;
  check("... paused", i->flags & XEN_DOMINF_paused, XEN_DOMINF_paused);
  check("... no memory", (long)i->tot_pages, 0);
  check("... no maximum yet", (long)i->max_pages, 0);
  check("... 2 vcpus", i->max_vcpu_id, 1);
  check("... none online", i->nr_online_vcpus, 0);
  check("... its handle", i->handle[5], 0xa5);
  domctl_init(&op, XEN_DOMCTL_setdomainhandle, a);
  op.u.setdomainhandle.handle[0] = 0x42;
  check("setdomainhandle", domctl(&op), 0);
  domctl_cmd(XEN_DOMCTL_getdomaininfo, a, &op);
  check("... seen", i->handle[0], 0x42);
  check("max_vcpus (the created count)", ({
          domctl_init(&op, XEN_DOMCTL_max_vcpus, a);
          op.u.max_vcpus.max = 2;
          domctl(&op);
        }),
        0);

  /* Memory: none until max_mem; then up to it. */
  static xen_pfn_t gfns[4];
  struct xen_memory_reservation r = {.nr_extents = 1, .extent_order = 0, .domid = a};
  gfns[0] = 0x100;
  r.extent_start = PTR(gfns);
  check("populate_physmap before max_mem: none", memory_op(XENMEM_populate_physmap, &r), 0);
  domctl_init(&op, XEN_DOMCTL_max_mem, a);
  op.u.max_mem.max_memkb = 4 * 4;
  check("max_mem 4 pages", domctl(&op), 0);
  for (unsigned int k = 0; k < 4; k++)
    gfns[k] = 0x100 + k;
  r.nr_extents = 4;
  check("populate_physmap 4 pages at 1 MiB", memory_op(XENMEM_populate_physmap, &r), 4);
  gfns[0] = 0x104;
  r.nr_extents = 1;
  check("populate_physmap past max_mem", memory_op(XENMEM_populate_physmap, &r), 0);
  domid_t dom = a;
  check("current_reservation", memory_op(XENMEM_current_reservation, &dom), 4);

  /* Its memory map, as a toolstack sets it. */
  static struct e820entry map[2] = {{0x100000, 0x4000, 1}, {0xfc000000, 0x1000, 2}};
  struct xen_foreign_memory_map fm = {.domid = a, .map = {2, PTR(map)}};
  check("set_memory_map", memory_op(XENMEM_set_memory_map, &fm), 0);
  fm.map.nr_entries = 129;
  check("set_memory_map of 129 entries", memory_op(XENMEM_set_memory_map, &fm), -XEN_EINVAL);
  fm.map.nr_entries = 2;
  fm.domid = 200;
  check("set_memory_map of no domain", memory_op(XENMEM_set_memory_map, &fm), -XEN_ESRCH);

  context(a, 2);
  struct xen_domctl_getvcpuinfo vi;
  check("getvcpuinfo after sethvmcontext", vcpuinfo(a, 0, &vi), 0);
  check("... vcpu 0 online, not running (paused)", vi.online << 1 | vi.running, 2);
  check("gethvmcontext of itself", ({
          uint32_t sz = 0;
          context_get(DOMID_SELF, NULL, &sz);
        }),
        -XEN_ESRCH); /* DOMID_SELF names no domain in domctl */

  /* Run it: the zeros at 1 MiB up to the end of its 4 pages. */
  check("unpause the built domain", domctl_cmd(XEN_DOMCTL_unpausedomain, a, &op), 0);
  check("unpause it again", domctl_cmd(XEN_DOMCTL_unpausedomain, a, &op), -XEN_EINVAL);
  for (unsigned int k = 0; k < 200; k++) {
    domctl_cmd(XEN_DOMCTL_getdomaininfo, a, &op);
    if (op.u.getdomaininfo.flags & XEN_DOMINF_shutdown)
      break;
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
  }
  check("the domain ran into the end of its RAM and crashed",
        op.u.getdomaininfo.flags & (XEN_DOMINF_shutdown | 0xff << XEN_DOMINF_shutdownshift),
        XEN_DOMINF_shutdown | SHUTDOWN_crash << XEN_DOMINF_shutdownshift);

  check("set_cpu_policy after it ran", set_cpu_policy(a, policy, nr_policy, &op), -XEN_EEXIST);
  check("unpause the 4.17 one (no vcpu started)", domctl_cmd(XEN_DOMCTL_unpausedomain, old, &op),
        0);
  after_unpause(old);

  check("destroy 7", domctl_cmd(XEN_DOMCTL_destroydomain, a, &op), 0);
  check("destroy the second", domctl_cmd(XEN_DOMCTL_destroydomain, b, &op), 0);
  check("destroy the 4.17 one", domctl_cmd(XEN_DOMCTL_destroydomain, old, &op), 0);
  /* The heap keeps the frames its small blocks came from, so the first
   * domains may leave a few with it; after them, a create and destroy
   * gives back every frame. */
  uint64_t warm = free_pages();
  printf("toolstack: %ld frames with the heap after the first domains\n", (long)(free0 - warm));
  cycles(20);
  check("20 builds and destroys give every frame back", (long)free_pages(), (long)warm);
  printf("toolstack: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}

static int role_domu(void)
{
  struct xen_domctl op;
  struct xen_domctl_createdomain c = pvh_config(1);
  check("domU createdomain", create(0, &c, NULL), -XEN_EPERM);
  check("domU sethvmcontext of dom0", context_set(0, ctx_buf, 64), -XEN_EPERM);
  check("domU setdomainhandle of itself", domctl_cmd(XEN_DOMCTL_setdomainhandle, DOMU, &op),
        -XEN_EPERM);
  static struct e820entry map[1] = {{0, 0x1000, 1}};
  struct xen_foreign_memory_map fm = {.domid = 0, .map = {1, PTR(map)}};
  check("domU set_memory_map of dom0", memory_op(XENMEM_set_memory_map, &fm), -XEN_EPERM);
  struct xen_sysctl sop;
  memset(&sop, 0, sizeof(sop));
  check("domU cpupool_op", sysctl(XEN_SYSCTL_cpupool_op, &sop), -XEN_EPERM);
  check("domU get_cpu_policy", sysctl(XEN_SYSCTL_get_cpu_policy, &sop), -XEN_EPERM);
  check("domU settscinfo of dom0", tscinfo(XEN_DOMCTL_settscinfo, 0, 0, NULL), -XEN_EPERM);
  struct xen_pod_target pt;
  check("domU get_pod_target of itself", pod_target(XENMEM_get_pod_target, DOMID_SELF, 0, &pt),
        -XEN_EPERM);
  printf("toolstack: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}

int guest_main(const struct hvm_start_info *si)
{
  char role[16] = "dom0";
  cmdline_get(guest_cmdline(si), "role", role, sizeof(role));
  return strcmp(role, "domu") ? role_dom0() : role_domu();
}
