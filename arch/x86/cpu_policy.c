/* The CPUID policy as a Xen toolstack sees it: sysctl get_cpu_featureset
 * and get_cpu_policy, domctl set_cpu_policy (Xen 4.17's
 * arch/x86/sysctl.c, arch/x86/domctl.c and lib/x86/cpuid.c).  libxl reads
 * the HVM default policy, adjusts it and gives it back for each guest it
 * builds.  mica's CPUID view is vmx_cpuid()'s, the same for every domain;
 * the policies here are that view (hvm ones) or the CPU's own (raw and
 * host), serialised in Xen's leaf order.  A policy set by the toolstack
 * is checked as Xen checks it (shape, range, maximum leaves) and not
 * applied: the guest keeps mica's view.  There are no PV policies. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/string.h>
#include <public/cpuid.h>
#include <public/domctl.h>
#include <public/sysctl.h>

_Static_assert(sizeof(struct xen_cpuid_leaf) == 24, "xen_cpuid_leaf");
_Static_assert(sizeof(struct xen_sysctl_cpu_policy) == 32, "cpu_policy");
_Static_assert(sizeof(struct xen_sysctl_cpu_featureset) == 16, "cpu_featureset");

/* Xen 4.17's limits (include/xen/lib/x86/cpu-policy.h): what its
 * structures hold, so what its toolstack accepts. */
#define NR_BASIC 0xeU   /* leaves 0 to 0xd */
#define NR_CACHE 6U     /* leaf 4 subleaves */
#define NR_FEAT 3U      /* leaf 7 subleaves */
#define NR_TOPO 2U      /* leaf 0xb subleaves */
#define NR_XSTATE 63U   /* leaf 0xd subleaves */
#define NR_EXTD 0x22U   /* 0x80000000 to 0x80000021 */
#define MAX_LEAVES 120U /* CPUID_MAX_SERIALISED_LEAVES of the 4.17.7 tools */
#define MAX_MSRS 2U     /* MSR_MAX_SERIALISED_ENTRIES */

/* One leaf of a policy: the guest view (hvm) or the CPU's (raw, host). */
static struct cpuid_regs leaf_of(const struct vcpu *v, bool guest, uint32_t leaf, uint32_t sub)
{
  struct cpuid_regs r;
  if (guest)
    vmx_cpuid(v, leaf, sub, &r);
  else
    r = cpuid(leaf, sub);
  return r;
}

/* Which policy an index names: 1 guest view, 0 the CPU's, -errno. */
static int policy_kind(uint32_t index, bool featureset)
{
  /* The two ABIs number their policies differently. */
  uint32_t pv1 = featureset ? XEN_SYSCTL_cpu_featureset_pv : XEN_SYSCTL_cpu_policy_pv_max;
  uint32_t pv2 = featureset ? XEN_SYSCTL_cpu_featureset_pv_max : XEN_SYSCTL_cpu_policy_pv_default;
  if (index > 5)
    return -EINVAL;
  if (index == pv1 || index == pv2)
    return -EOPNOTSUPP; /* Xen built without CONFIG_PV */
  return index >= 2;
}

void cpu_featureset_words(const struct vcpu *v, bool g, uint32_t words[CPU_FEATURESET_WORDS])
{
  uint32_t max = leaf_of(v, g, 0, 0).eax, xmax = leaf_of(v, g, 0x80000000, 0).eax;
  struct cpuid_regs l1 = leaf_of(v, g, 1, 0), l7 = {0}, ld = {0}, x1 = {0}, x7 = {0}, x8 = {0};
  if (max >= 7)
    l7 = leaf_of(v, g, 7, 0);
  if (max >= 0xd)
    ld = leaf_of(v, g, 0xd, 1);
  if (xmax >= 0x80000001)
    x1 = leaf_of(v, g, 0x80000001, 0);
  if (xmax >= 0x80000007)
    x7 = leaf_of(v, g, 0x80000007, 0);
  if (xmax >= 0x80000008)
    x8 = leaf_of(v, g, 0x80000008, 0);
  const uint32_t w[CPU_FEATURESET_WORDS] = {l1.edx, l1.ecx, x1.edx, x1.ecx, ld.eax,
                                            l7.ebx, l7.ecx, x7.edx, x8.ebx, l7.edx};
  memcpy(words, w, sizeof(w));
}

long arch_cpu_featureset(struct vcpu *v, struct xen_sysctl_cpu_featureset *fs)
{
  if (!fs->features) {
    fs->nr_features = CPU_FEATURESET_WORDS;
    return 0;
  }
  int kind = policy_kind(fs->index, true);
  if (kind < 0)
    return kind;
  uint32_t words[CPU_FEATURESET_WORDS];
  cpu_featureset_words(v, kind, words);
  uint32_t n = MIN(fs->nr_features, CPU_FEATURESET_WORDS);
  if (n && arch_copy_to_guest(v, fs->features, words, n * sizeof(words[0])))
    return -EFAULT;
  fs->nr_features = n;
  return n < CPU_FEATURESET_WORDS ? -ENOBUFS : 0;
}

/* Serialisation into the caller's buffer, as Xen's
 * x86_cpuid_copy_to_buffer: -ENOBUFS when it does not fit. */
struct leaf_out {
  struct vcpu *v;
  uint64_t buf;
  uint32_t room, n;
  long err;
};

static void put_leaf(struct leaf_out *o, uint32_t leaf, uint32_t sub, struct cpuid_regs r)
{
  if (o->err)
    return;
  if (o->n >= o->room) {
    o->err = -ENOBUFS;
    return;
  }
  struct xen_cpuid_leaf e = {leaf, sub, r.eax, r.ebx, r.ecx, r.edx};
  if (arch_copy_to_guest(o->v, o->buf + (uint64_t)o->n * sizeof(e), &e, sizeof(e)))
    o->err = -EFAULT;
  o->n++;
}

static long serialise(struct vcpu *v, bool g, uint64_t buf, uint32_t *nr)
{
  struct leaf_out o = {v, buf, *nr, 0, 0};
  uint32_t max = MIN(leaf_of(v, g, 0, 0).eax, NR_BASIC - 1);
  for (uint32_t leaf = 0; leaf <= max; leaf++) {
    switch (leaf) {
    case 4:
      for (uint32_t s = 0; s < NR_CACHE; s++) {
        struct cpuid_regs r = leaf_of(v, g, 4, s);
        put_leaf(&o, 4, s, r);
        if (!(r.eax & 0x1f))
          break; /* type 0: no more caches */
      }
      break;
    case 7: {
      struct cpuid_regs r = leaf_of(v, g, 7, 0);
      uint32_t subs = MIN(r.eax, NR_FEAT - 1);
      for (uint32_t s = 0; s <= subs; s++)
        put_leaf(&o, 7, s, s ? leaf_of(v, g, 7, s) : r);
      break;
    }
    case 0xb:
      for (uint32_t s = 0; s < NR_TOPO; s++) {
        struct cpuid_regs r = leaf_of(v, g, 0xb, s);
        put_leaf(&o, 0xb, s, r);
        if (!((r.ecx >> 8) & 0xff))
          break; /* level type 0: the last */
      }
      break;
    case 0xd: {
      /* Subleaves 0 and 1, then one for each state component from 2 up
       * to the highest the policy has (XCR0's and XSS's); the guest view
       * has no XSAVE, and these leaves read as zeros there. */
      struct cpuid_regs s0 = leaf_of(v, g, 0xd, 0), s1 = leaf_of(v, g, 0xd, 1);
      uint64_t states = ((uint64_t)s0.edx << 32 | s0.eax | (uint64_t)s1.edx << 32 | s1.ecx) >> 2;
      put_leaf(&o, 0xd, 0, s0);
      put_leaf(&o, 0xd, 1, s1);
      for (uint32_t sub = 2; states && sub < NR_XSTATE; states >>= 1, sub++)
        put_leaf(&o, 0xd, sub, leaf_of(v, g, 0xd, sub));
      break;
    }
    default: put_leaf(&o, leaf, XEN_CPUID_NO_SUBLEAF, leaf_of(v, g, leaf, 0)); break;
    }
  }
  /* Of the hypervisor ranges only their maximum leaves are in Xen's
   * policy (Viridian's, the second, is not here: 0); the CPU's own
   * policies have none. */
  struct cpuid_regs hv = {g ? leaf_of(v, g, XEN_CPUID_FIRST_LEAF, 0).eax : 0, 0, 0, 0};
  struct cpuid_regs hv2 = {0, 0, 0, 0};
  put_leaf(&o, XEN_CPUID_FIRST_LEAF, XEN_CPUID_NO_SUBLEAF, hv);
  put_leaf(&o, XEN_CPUID_FIRST_LEAF + 0x100, XEN_CPUID_NO_SUBLEAF, hv2);
  uint32_t xmax = leaf_of(v, g, 0x80000000, 0).eax;
  if ((xmax >> 16) == 0x8000)
    for (uint32_t l = 0; l <= MIN(xmax & 0xffff, NR_EXTD - 1); l++)
      put_leaf(&o, 0x80000000 + l, XEN_CPUID_NO_SUBLEAF, leaf_of(v, g, 0x80000000 + l, 0));
  if (!o.err)
    *nr = o.n;
  return o.err;
}

long arch_cpu_policy_get(struct vcpu *v, struct xen_sysctl_cpu_policy *p)
{
  if (p->_rsvd || p->index > 5)
    return -EINVAL;
  int kind = policy_kind(p->index, false);
  if (kind < 0)
    return kind;
  long err = 0;
  if (!p->leaves)
    p->nr_leaves = MAX_LEAVES;
  else if ((err = serialise(v, kind, p->leaves, &p->nr_leaves)))
    return err;
  /* No MSR in the policy: mica has neither MSR_INTEL_PLATFORM_INFO's
   * CPUID faulting nor ARCH_CAPABILITIES to show. */
  if (!p->msrs)
    p->nr_msrs = MAX_MSRS;
  else
    p->nr_msrs = 0;
  return 0;
}

/* Is a serialised leaf one Xen's policy can hold (x86_cpuid_copy_from_buffer)? */
static bool leaf_in_range(const struct xen_cpuid_leaf *e)
{
  if (e->leaf < NR_BASIC) {
    switch (e->leaf) {
    case 4: return e->subleaf < NR_CACHE;
    case 7: return e->subleaf < NR_FEAT;
    case 0xb: return e->subleaf < NR_TOPO;
    case 0xd: return e->subleaf < NR_XSTATE;
    default: return e->subleaf == XEN_CPUID_NO_SUBLEAF;
    }
  }
  if (e->leaf == XEN_CPUID_FIRST_LEAF || e->leaf == XEN_CPUID_FIRST_LEAF + 0x100)
    return e->subleaf == XEN_CPUID_NO_SUBLEAF;
  if (e->leaf >= 0x80000000 && e->leaf < 0x80000000 + NR_EXTD)
    return e->subleaf == XEN_CPUID_NO_SUBLEAF;
  return false;
}

long arch_cpu_policy_set(struct vcpu *v, struct domain *d, struct xen_domctl_cpu_policy *s)
{
  s->err_leaf = s->err_subleaf = s->err_msr = ~0U;
  if (s->nr_leaves > MAX_LEAVES || s->nr_msrs > MAX_MSRS)
    return -E2BIG;
  /* Xen's x86_cpu_policies_are_compatible: the maximum leaves may not
   * exceed the HVM maximum policy's (here: the guest view). */
  struct cpuid_regs l0, x0;
  vmx_cpuid(v, 0, 0, &l0);
  vmx_cpuid(v, 0x80000000, 0, &x0);
  for (uint32_t i = 0; i < s->nr_leaves; i++) {
    struct xen_cpuid_leaf e;
    if (arch_copy_from_guest(v, &e, s->leaves + (uint64_t)i * sizeof(e), sizeof(e)))
      return -EFAULT;
    if (!leaf_in_range(&e)) {
      s->err_leaf = e.leaf;
      s->err_subleaf = e.subleaf;
      return -ERANGE;
    }
    if ((e.leaf == 0 && e.a > l0.eax) || (e.leaf == 0x80000000 && e.a > x0.eax)) {
      s->err_leaf = e.leaf;
      return -EINVAL;
    }
  }
  for (uint32_t i = 0; i < s->nr_msrs; i++) {
    struct xen_msr_entry m;
    if (arch_copy_from_guest(v, &m, s->msrs + (uint64_t)i * sizeof(m), sizeof(m)))
      return -EFAULT;
    /* Xen's x86_msr_copy_from_buffer: flags must be 0, and only the two
     * MSRs of the policy exist; mica keeps neither, so none may be set
     * to anything but 0. */
    if (m.flags || (m.idx != 0xce && m.idx != 0x10a)) {
      s->err_msr = m.idx;
      return -ERANGE;
    }
    if (m.val) {
      s->err_msr = m.idx; /* more than the maximum policy has */
      return -EINVAL;
    }
  }
  if (!d->cpu_policy_said) {
    pr_info("%s: the toolstack's CPUID policy (%u leaves) is compatible; the guest sees mica's "
            "CPUID",
            d->name, s->nr_leaves);
    d->cpu_policy_said = true;
  }
  return 0;
}
