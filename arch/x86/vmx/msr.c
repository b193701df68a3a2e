/* Guest MSRs.  Three kinds:
 * - passed through (the MSR bitmap lets RDMSR/WRMSR run without an exit):
 *   FS/GS base and SYSENTER, which the VMCS switches itself, and
 *   KERNEL_GS_BASE, which arch/x86/vmx/switch.c switches between vcpus;
 * - read directly, written through an exit: the SYSCALL MSRs and TSC_AUX
 *   (switch.c's "sticky" ones, set once by a kernel);
 * - emulated here, from per-vcpu state: PAT, the MTRRs, and the
 *   identification and feature MSRs Linux reads while it boots; the
 *   machine-check MSRs in vmce.c;
 * - everything else: #GP, as Xen gives for an MSR it does not know (and
 *   as a CPU without that MSR does).  Each one is reported once per
 *   domain, so a guest's probing shows in the log without flooding it.
 * Numbers and layouts: SDM vol. 4 (MSRs) and vol. 3A, 11.11 (MTRRs),
 * 11.12 (PAT). */
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>
#include <public/cpuid.h>
#include <public/hvm_save.h>

#define MSR_IA32_TSC 0x010
#define MSR_IA32_PLATFORM_ID 0x017
#define MSR_IA32_UCODE_REV 0x08b
#define MSR_PLATFORM_INFO 0x0ce
#define MSR_MTRRCAP 0x0fe
#define MSR_MISC_FEATURES_ENABLES 0x140
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_DEBUGCTL 0x1d9
#define DEBUGCTL_LBR (1ULL << 0) /* record branches (SDM vol. 3B, 18.4.1) */
#define DEBUGCTL_BTF (1ULL << 1) /* single-step on branches */
#define PLATFORM_INFO_CPUID_FAULTING (1ULL << 31)
#define MSR_MTRR_PHYS_FIRST 0x200 /* base/mask pairs up to 0x20f */
#define MSR_MTRR_FIX_64K 0x250
#define MSR_MTRR_FIX_16K_80000 0x258
#define MSR_MTRR_FIX_16K_A0000 0x259
#define MSR_MTRR_FIX_4K_FIRST 0x268 /* to 0x26f */
#define MSR_IA32_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* Bits 63:47 all equal (48-bit linear addresses). */
static bool is_canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* MTRRcap: 8 variable ranges, the fixed ranges, write-combining. */
#define MTRR_VCNT 8
#define MTRRCAP_VALUE (MTRR_VCNT | (1ULL << 8) | (1ULL << 10))
/* MTRRdefType: enabled, fixed ranges enabled, default write-back: what
 * Xen gives a PVH guest, which has no firmware to set them. */
#define MTRR_DEF_ENABLED ((1ULL << 11) | (1ULL << 10) | 6)
#define MTRR_FIX_WB 0x0606060606060606ULL
#define PAT_POWER_ON 0x0007040600070406ULL
/* MISC_ENABLE: fast strings; BTS and PEBS unavailable (as Xen says). */
#define MISC_ENABLE_VALUE (1ULL | (1ULL << 11) | (1ULL << 12))

paddr_t vmx_msr_bitmap;
bool vmx_has_rdtscp;

/* The bitmap (SDM 24.6.9): read-low, read-high, write-low, write-high,
 * 1 KiB each; a clear bit lets the access through. */
static void pass_read(uint8_t *bm, uint32_t msr)
{
  unsigned int off = (msr >= 0xc0000000) ? 1024 : 0, bit = msr & 0x1fff;
  bm[off + bit / 8] &= (uint8_t) ~(1U << (bit % 8));
}

static void pass_through(uint8_t *bm, uint32_t msr)
{
  unsigned int off = (msr >= 0xc0000000) ? 1024 : 0, bit = msr & 0x1fff;
  pass_read(bm, msr);
  bm[off + 2048 + bit / 8] &= (uint8_t) ~(1U << (bit % 8));
}

int vmx_msr_init(void)
{
  static const uint32_t through[] = {MSR_IA32_SYSENTER_CS,  MSR_IA32_SYSENTER_ESP,
                                     MSR_IA32_SYSENTER_EIP, MSR_FS_BASE,
                                     MSR_GS_BASE,           MSR_KERNEL_GS_BASE};
  paddr_t f = frame_alloc_zeroed();
  if (!f)
    return -ENOMEM;
  uint8_t *bm = phys_to_virt(f);
  memset(bm, 0xff, PAGE_SIZE);
  for (unsigned int i = 0; i < sizeof(through) / sizeof(through[0]); i++)
    pass_through(bm, through[i]);
  vmx_has_rdtscp = cpuid(0x80000001, 0).edx & (1U << 27); /* so TSC_AUX exists */
  /* The sticky ones: read directly, written through an exit (rare: a
   * kernel sets them once per CPU), so switch.c needs no RDMSR for them. */
  for (unsigned int i = 0; i < VMX_NR_STICKY; i++)
    if (i != VMX_STICKY_TSC_AUX || vmx_has_rdtscp)
      pass_read(bm, vmx_sticky_msr[i]);
  vmx_msr_bitmap = f;
  return 0;
}

void vmx_msr_vcpu_init(struct vcpu *v)
{
  struct vmx_guest_msrs *m = &v->arch.msrs;
  m->pat = PAT_POWER_ON;
  m->mtrr_def = MTRR_DEF_ENABLED;
  for (unsigned int i = 0; i < MTRR_FIXED; i++)
    m->mtrr_fixed[i] = MTRR_FIX_WB;
}

/* Memory types an MTRR may hold: UC WC WT WP WB. */
static bool mtrr_type_ok(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

/* PAT entries may also be UC- (7). */
static bool pat_ok(uint64_t pat)
{
  for (unsigned int i = 0; i < 8; i++) {
    uint64_t t = (pat >> (8 * i)) & 0xff;
    if (!mtrr_type_ok(t) && t != 7)
      return false;
  }
  return true;
}

static bool fixed_ok(uint64_t val)
{
  for (unsigned int i = 0; i < 8; i++)
    if (!mtrr_type_ok((val >> (8 * i)) & 0xff))
      return false;
  return true;
}

/* Index into mtrr_fixed[] of a fixed-range MTRR, or -1. */
static int fixed_index(uint32_t msr)
{
  if (msr == MSR_MTRR_FIX_64K)
    return 0;
  if (msr == MSR_MTRR_FIX_16K_80000 || msr == MSR_MTRR_FIX_16K_A0000)
    return 1 + (int)(msr - MSR_MTRR_FIX_16K_80000);
  if (msr >= MSR_MTRR_FIX_4K_FIRST && msr < MSR_MTRR_FIX_4K_FIRST + 8)
    return 3 + (int)(msr - MSR_MTRR_FIX_4K_FIRST);
  return -1;
}

/* Bits above the CPU's physical address width are reserved in the
 * variable-range registers. */
static uint64_t phys_mask(void)
{
  unsigned int bits = cpuid(0x80000008, 0).eax & 0xff;
  return ((1ULL << (bits ? bits : 36)) - 1) & ~0xfffULL;
}

/* Say once per domain and MSR that the guest touched one we do not have. */
static void report(struct vcpu *v, uint32_t msr, bool write)
{
  struct domain *d = v->dom;
  for (unsigned int i = 0; i < d->arch.msr_reported_n; i++)
    if (d->arch.msr_reported[i] == msr)
      return;
  if (d->arch.msr_reported_n == ARRAY_SIZE(d->arch.msr_reported))
    return;
  d->arch.msr_reported[d->arch.msr_reported_n++] = msr;
  pr_info("%s: %s of MSR 0x%x: no such MSR here, #GP (as in Xen)", d->name,
          write ? "write" : "read", msr);
}

int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
  const struct vmx_guest_msrs *m = &v->arch.msrs;
  int fix;

  switch (msr) {
  case MSR_EFER: *val = vmcs_read(VMCS_GUEST_IA32_EFER); return 0;
  case MSR_FS_BASE: *val = vmcs_read(VMCS_GUEST_FS_BASE); return 0;
  case MSR_GS_BASE: *val = vmcs_read(VMCS_GUEST_GS_BASE); return 0;
  case MSR_IA32_TSC:
    *val = rdtsc(); /* guests see the host's TSC (no offset) */
    return 0;
  case MSR_IA32_PLATFORM_ID:
  case MSR_IA32_UCODE_REV: *val = 0; return 0;
  case MSR_PLATFORM_INFO:
    /* CPUID faulting, which every CPUID exit can honour (exit.c); no
     * ratios.  What Xen offers an HVM guest (its cpu_policy). */
    *val = PLATFORM_INFO_CPUID_FAULTING;
    return 0;
  case MSR_MISC_FEATURES_ENABLES: *val = m->misc_features; return 0;
  case MSR_IA32_DEBUGCTL: *val = vmcs_read(VMCS_GUEST_IA32_DEBUGCTL); return 0;
  case MSR_IA32_FEATURE_CONTROL:
    *val = FEATURE_CONTROL_LOCK; /* locked, VMX off: no nested VMX */
    return 0;
  case MSR_IA32_MISC_ENABLE: *val = MISC_ENABLE_VALUE; return 0;
  case MSR_MTRRCAP: *val = MTRRCAP_VALUE; return 0;
  case MSR_MTRR_DEF_TYPE: *val = m->mtrr_def; return 0;
  case MSR_IA32_PAT: *val = m->pat; return 0;
  case XEN_CPUID_HYPERCALL_MSR:
    *val = 0; /* as Xen answers */
    return 0;
  }
  if (msr >= MSR_MTRR_PHYS_FIRST && msr < MSR_MTRR_PHYS_FIRST + 2 * MTRR_VCNT) {
    *val = m->mtrr_var[msr - MSR_MTRR_PHYS_FIRST];
    return 0;
  }
  if ((fix = fixed_index(msr)) >= 0) {
    *val = m->mtrr_fixed[fix];
    return 0;
  }
  int mc = vmce_msr_read(v, msr, val);
  if (mc)
    return mc > 0 ? 0 : -1;
  report(v, msr, false);
  return -1;
}

/* WRMSR to EFER, checked as Xen's hvm_set_efer checks it: only the bits
 * whose feature CPUID shows, and LME not changed while paging is on.  LMA
 * follows CR0.PG (SDM 10.8.5): its written value is ignored. */
static int write_efer(struct vcpu *v, uint64_t val)
{
  uint64_t cur = vmcs_read(VMCS_GUEST_IA32_EFER);

  val &= ~EFER_LMA;
  if (val & ~vmx_efer_guest_valid(v))
    return -1;
  if (((val ^ cur) & EFER_LME) && (vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PG))
    return -1;
  if ((val & EFER_LME) && !(cur & EFER_LME)) {
    /* CS.L may have been loaded in legacy mode, where it means nothing;
     * with LME on and paging still off it would fail the next VM entry,
     * so it goes, until the guest loads CS itself (as in Xen). */
    uint64_t ar = vmcs_read(VMCS_GUEST_CS_AR);
    if (ar & CS_AR_L)
      vmcs_write(VMCS_GUEST_CS_AR, ar & ~(uint64_t)CS_AR_L);
  }
  vmcs_write(VMCS_GUEST_IA32_EFER, val | (cur & EFER_LMA));
  return 0;
}

int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
  struct vmx_guest_msrs *m = &v->arch.msrs;
  int fix;

  switch (msr) {
  case MSR_EFER: return write_efer(v, val);
  case MSR_FS_BASE:
  case MSR_GS_BASE:
    if (!is_canonical(val))
      return -1;
    vmcs_write(msr == MSR_FS_BASE ? VMCS_GUEST_FS_BASE : VMCS_GUEST_GS_BASE, val);
    return 0;
  case MSR_STAR: vmx_switch_write_sticky(v, VMX_STICKY_STAR, val); return 0;
  case MSR_LSTAR:
  case MSR_CSTAR:
    if (!is_canonical(val))
      return -1; /* #GP, as the CPU gives (SDM vol. 4, table 2-2) */
    vmx_switch_write_sticky(v, msr == MSR_LSTAR ? VMX_STICKY_LSTAR : VMX_STICKY_CSTAR, val);
    return 0;
  case MSR_SFMASK:
    if (val >> 32)
      return -1; /* bits 63:32 are reserved */
    vmx_switch_write_sticky(v, VMX_STICKY_SFMASK, val);
    return 0;
  case MSR_TSC_AUX:
    if (!vmx_has_rdtscp || val >> 32)
      return -1; /* no such MSR, or a reserved bit */
    vmx_switch_write_sticky(v, VMX_STICKY_TSC_AUX, val);
    return 0;
  case MSR_IA32_UCODE_REV: return 0; /* Linux writes 0 before it reads the revision */
  case MSR_MISC_FEATURES_ENABLES:
    if (val & ~MISC_FEATURES_CPUID_FAULTING)
      return -1;
    m->misc_features = val;
    return 0;
  case MSR_IA32_DEBUGCTL:
    /* LBR and BTF, as Xen takes them without a vPMU.  BTF goes to the
     * CPU (the VMCS loads DEBUGCTL at entry).  LBR is dropped and reads
     * as 0, as Xen does on a CPU whose LBR MSRs it does not know (the
     * architectural-LBR rule, vmx_msr_write_intercept): none are offered
     * here. */
    if (val & ~(DEBUGCTL_LBR | DEBUGCTL_BTF))
      return -1;
    vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, val & DEBUGCTL_BTF);
    return 0;
  case MSR_IA32_MISC_ENABLE: return val == MISC_ENABLE_VALUE ? 0 : -1;
  case MSR_MTRR_DEF_TYPE:
    if ((val & ~0xcffULL) || !mtrr_type_ok(val & 0xff))
      return -1;
    m->mtrr_def = val;
    return 0;
  case MSR_IA32_PAT:
    if (!pat_ok(val))
      return -1;
    m->pat = val;
    if (vmcs_read(VMCS_ENTRY_CONTROLS) & ENTRY_LOAD_IA32_PAT)
      vmcs_write(VMCS_GUEST_IA32_PAT, val);
    return 0;
  case XEN_CPUID_HYPERCALL_MSR:
    /* The guest-physical page to fill; the low bits pick a page of
     * several, and we offer one. */
    if ((val & (PAGE_SIZE - 1)) || vmx_fill_hypercall_page(v, val))
      return -1;
    return 0;
  }
  if (msr >= MSR_MTRR_PHYS_FIRST && msr < MSR_MTRR_PHYS_FIRST + 2 * MTRR_VCNT) {
    bool is_mask = (msr - MSR_MTRR_PHYS_FIRST) & 1;
    uint64_t allowed = phys_mask() | (is_mask ? (1ULL << 11) : 0xff);
    if ((val & ~allowed) || (!is_mask && !mtrr_type_ok(val & 0xff)))
      return -1;
    m->mtrr_var[msr - MSR_MTRR_PHYS_FIRST] = val;
    return 0;
  }
  if ((fix = fixed_index(msr)) >= 0) {
    if (!fixed_ok(val))
      return -1;
    m->mtrr_fixed[fix] = val;
    return 0;
  }
  int mc = vmce_msr_write(v, msr, val);
  if (mc)
    return mc > 0 ? 0 : -1;
  report(v, msr, true);
  return -1;
}

/* The MTRR record of a saved context (public/hvm_save.h), checked by the
 * rules the MSR writes above follow: what a WRMSR would refuse, the
 * record may not hold either.  MTRRcap must be ours (a vcpu cannot have
 * more ranges than we emulate). */
int vmx_mtrr_record_check(const struct hvm_hw_mtrr *r)
{
  if (r->msr_mtrr_cap != MTRRCAP_VALUE || !pat_ok(r->msr_pat_cr))
    return -EINVAL;
  if ((r->msr_mtrr_def_type & ~0xcffULL) || !mtrr_type_ok(r->msr_mtrr_def_type & 0xff))
    return -EINVAL;
  for (unsigned int i = 0; i < 2 * MTRR_VCNT; i++) {
    bool is_mask = i & 1;
    uint64_t val = r->msr_mtrr_var[i];
    if ((val & ~(phys_mask() | (is_mask ? (1ULL << 11) : 0xff))) ||
        (!is_mask && !mtrr_type_ok(val & 0xff)))
      return -EINVAL;
  }
  for (unsigned int i = 0; i < MTRR_FIXED; i++)
    if (!fixed_ok(r->msr_mtrr_fixed[i]))
      return -EINVAL;
  return 0;
}

void vmx_mtrr_record_load(struct vcpu *v, const struct hvm_hw_mtrr *r)
{
  struct vmx_guest_msrs *m = &v->arch.msrs;
  m->pat = r->msr_pat_cr; /* into the VMCS when the vcpu's context is applied */
  m->mtrr_def = r->msr_mtrr_def_type;
  memcpy(m->mtrr_var, r->msr_mtrr_var, sizeof(m->mtrr_var));
  memcpy(m->mtrr_fixed, r->msr_mtrr_fixed, sizeof(m->mtrr_fixed));
}

void vmx_mtrr_record_save(const struct vcpu *v, struct hvm_hw_mtrr *r)
{
  const struct vmx_guest_msrs *m = &v->arch.msrs;
  memset(r, 0, sizeof(*r));
  r->msr_pat_cr = m->pat;
  r->msr_mtrr_def_type = m->mtrr_def;
  memcpy(r->msr_mtrr_var, m->mtrr_var, sizeof(r->msr_mtrr_var));
  memcpy(r->msr_mtrr_fixed, m->mtrr_fixed, sizeof(r->msr_mtrr_fixed));
  r->msr_mtrr_cap = MTRRCAP_VALUE;
}
