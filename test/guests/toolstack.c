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
 * role=domu: every toolstack call is refused (-EPERM), set_memory_map of
 *   its own domain allowed (as Xen's XSM_TARGET).
 * Each failed check prints "toolstack: FAIL ..."; the last line is
 * "toolstack: N checks, F failed". */
#include <stdbool.h>

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

static uint64_t free_pages(void)
{
  struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo,
                          .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
  long rc = hypercall1(__HYPERVISOR_sysctl, PTR(&op));
  check("sysctl physinfo", rc, 0);
  return op.u.physinfo.free_pages;
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
  printf("toolstack: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}

int guest_main(const struct hvm_start_info *si)
{
  char role[16] = "dom0";
  cmdline_get(guest_cmdline(si), "role", role, sizeof(role));
  return strcmp(role, "domu") ? role_dom0() : role_domu();
}
