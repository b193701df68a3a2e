/* What CPUID tells a guest: Xen's leaves at 0x40000000, then the host's
 * leaves passed through a list of what we have vetted.  A feature is shown
 * only when the guest can use it here: its instructions do not fault
 * under our VMX controls, its MSRs are handled (arch/x86/vmx/msr.c) and
 * its state is switched between vcpus (arch/x86/vmx/switch.c).  Leaves
 * not on the list read as zeros, which is how a CPU without them answers.
 * Xen's policy (xen/arch/x86/cpu-policy.c) works the same way, by
 * feature masks; the bit numbers are the SDM's (vol. 2A, CPUID). */
#include <arch/cpu.h>
#include <arch/vlapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/version.h>
#include <public/cpuid.h>

/* Leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 CX16 PCID SSE4.1 SSE4.2 MOVBE POPCNT
 * AES RDRAND.  Left out: MONITOR (no MWAIT emulation), VMX/SMX, the
 * thermal, debug-store and perfmon bits (their MSRs are not there),
 * XSAVE/OSXSAVE and the VEX families AVX, FMA, F16C (only the FXSAVE
 * state is switched between vcpus). */
#define L1_ECX_KEEP                                                                                \
  (BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(17) | BIT(19) | BIT(20) | BIT(22) | BIT(23) |          \
   BIT(25) | BIT(30))
#define L1_ECX_HYPERVISOR BIT(31)
/* Leaf 1 EDX: FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA
 * CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2.  MCE and MCA as in Xen's
 * default policy for every guest (its featureset marks both 'A'): the
 * banks are vmce.c's.  Left out: PSN, DS, ACPI thermal, SS, TM, PBE.
 * HTT is set by count. */
#define L1_EDX_KEEP                                                                                \
  (BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) |       \
   BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) |       \
   BIT(24) | BIT(25) | BIT(26))
#define L1_EDX_HTT BIT(28)
/* Leaf 7.0 EBX: FSGSBASE BMI1 FDP_EXCPTN_ONLY SMEP BMI2 ERMS FCS/FDS
 * deprecation RDSEED ADX SMAP CLFLUSHOPT CLWB SHA.  INVPCID is added when
 * its VMX control is on.  Left out: TSC_ADJUST, SGX, TSX (HLE, RTM),
 * AVX2 and AVX-512, MPX, resource director, processor trace. */
#define L7_EBX_KEEP                                                                                \
  (BIT(0) | BIT(3) | BIT(6) | BIT(7) | BIT(8) | BIT(9) | BIT(13) | BIT(18) | BIT(19) | BIT(20) |   \
   BIT(23) | BIT(24) | BIT(29))
#define L7_EBX_INVPCID BIT(10)
/* Leaf 7.0 ECX: PREFETCHWT1 UMIP GFNI.  Left out: PKU (PKRU is not
 * switched), WAITPKG, the AVX-512 and VEX crypto families, LA57, RDPID
 * (needs the RDTSCP control and TSC_AUX), CET. */
#define L7_ECX_KEEP (BIT(0) | BIT(2) | BIT(8))
/* Leaf 7.0 EDX: FSRM, MD_CLEAR (VERW only).  Left out: the speculation
 * controls and ARCH_CAPABILITIES (their MSRs are not there; Linux then
 * assumes the worst and turns its own mitigations on). */
#define L7_EDX_KEEP (BIT(4) | BIT(10))
/* 0x80000001 ECX: LAHF/SAHF, LZCNT, PREFETCHW.  EDX: SYSCALL, NX,
 * 1 GiB pages, LM; RDTSCP when its control is on. */
#define LX1_ECX_KEEP (BIT(0) | BIT(5) | BIT(8))
#define LX1_EDX_KEEP (BIT(11) | BIT(20) | BIT(26) | BIT(29))
#define LX1_EDX_RDTSCP BIT(27)

#define LEAF_MAX_BASIC 0x16U /* 0xc-0x14 read as zeros (no XSAVE, no PT, no SGX) */
#define LEAF_MAX_EXT 0x80000008U

/* log2 of the smallest power of two >= n: the width of the core field in
 * an APIC id (SDM vol. 3A, 10.12.8.1). */
static unsigned int core_bits(unsigned int n)
{
  unsigned int b = 0;
  while ((1U << b) < n)
    b++;
  return b;
}

static void xen_leaf(const struct vcpu *v, uint32_t leaf, struct cpuid_regs *c)
{
  switch (leaf - XEN_CPUID_FIRST_LEAF) {
  case 0:
    *c = (struct cpuid_regs){XEN_CPUID_LEAF(XEN_CPUID_MAX_NUM_LEAVES), XEN_CPUID_SIGNATURE_EBX,
                             XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX};
    break;
  case 1:
    c->eax = (4U << 16) | 19U; /* the Xen interface version we speak */
    break;
  case 2:
    c->eax = 1; /* one hypercall page */
    c->ebx = XEN_CPUID_HYPERCALL_MSR;
    break;
  case 4:
    c->eax = XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT |
             XEN_HVM_CPUID_UPCALL_VECTOR; /* HVMOP_set_evtchn_upcall_vector */
    c->ebx = v->id;
    c->ecx = v->dom->id;
    break;
  default: break; /* 3 (time) and the rest: zeros */
  }
}

void vmx_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *out)
{
  struct cpuid_regs c = {0, 0, 0, 0};
  unsigned int bits = core_bits(v->dom->nr_vcpus);

  /* Xen answers the whole 0x40000000-0x400001ff range (the second half is
   * Viridian's, all zeros without it). */
  if (leaf >= XEN_CPUID_FIRST_LEAF && leaf < XEN_CPUID_FIRST_LEAF + 0x200) {
    xen_leaf(v, leaf, &c);
    *out = c;
    return;
  }
  uint32_t ctl2 = (uint32_t)vmcs_read(VMCS_PROC_CONTROLS2);
  switch (leaf) {
  case 0:
    c = cpuid(0, 0);
    if (c.eax > LEAF_MAX_BASIC)
      c.eax = LEAF_MAX_BASIC;
    break;
  case 1:
    c = cpuid(1, 0);
    c.ecx = (c.ecx & L1_ECX_KEEP) | L1_ECX_HYPERVISOR;
    c.edx &= L1_EDX_KEEP;
    /* One package of 2^bits logical processors, this one with APIC id =
     * vcpu id; HTT says the count field means something. */
    c.ebx = (c.ebx & 0xffff) | ((1U << bits) << 16) | (v->id << 24);
    if (v->dom->nr_vcpus > 1)
      c.edx |= L1_EDX_HTT;
    vlapic_cpuid(leaf, &c); /* APIC, x2APIC, TSC-deadline */
    break;
  case 2:
    c = cpuid(2, 0); /* cache descriptors */
    break;
  case 4:
    /* Caches: the host's, each shared by one vcpu, in a package of
     * 2^bits cores. */
    c = cpuid(4, sub);
    if (c.eax & 0x1f)
      c.eax = (c.eax & 0x3fff) | (((1U << bits) - 1) << 26);
    break;
  case 7:
    if (sub == 0) {
      c = cpuid(7, 0);
      c.eax = 0; /* no subleaf 1 */
      c.ebx &= L7_EBX_KEEP | ((ctl2 & PROC2_ENABLE_INVPCID) ? L7_EBX_INVPCID : 0);
      c.ecx &= L7_ECX_KEEP;
      c.edx &= L7_EDX_KEEP;
    }
    break;
  case 0xb:
    /* x2APIC topology (SDM vol. 3A, 10.12.8.2): one thread per core,
     * 2^bits cores per package; EDX is the x2APIC id (= vcpu id) at every
     * level, which Linux checks against the APIC's own. */
    if (sub == 0)
      c = (struct cpuid_regs){0, 1, (1U << 8) | sub, v->id};
    else if (sub == 1)
      c = (struct cpuid_regs){bits, v->dom->nr_vcpus, (2U << 8) | sub, v->id};
    else
      c = (struct cpuid_regs){0, 0, sub & 0xff, v->id};
    break;
  case 0x15: /* TSC and crystal (the APIC timer's clock) */
  case 0x16: /* frequencies */ vlapic_cpuid(leaf, &c); break;
  case 0x80000000:
    c = cpuid(leaf, 0);
    if (c.eax > LEAF_MAX_EXT)
      c.eax = LEAF_MAX_EXT;
    break;
  case 0x80000001:
    c = cpuid(leaf, 0);
    c.eax = c.ebx = 0;
    c.ecx &= LX1_ECX_KEEP;
    c.edx &= LX1_EDX_KEEP | ((ctl2 & PROC2_ENABLE_RDTSCP) ? LX1_EDX_RDTSCP : 0);
    break;
  case 0x80000002:
  case 0x80000003:
  case 0x80000004: /* the brand string */
  case 0x80000006: /* L2 cache */ c = cpuid(leaf, 0); break;
  case 0x80000007:
    c.edx = cpuid(leaf, 0).edx & BIT(8); /* invariant TSC */
    break;
  case 0x80000008:
    c.eax = cpuid(leaf, 0).eax & 0xffff; /* physical and linear address sizes */
    break;
  default: break; /* not vetted: zeros */
  }
  *out = c;
}

/* The CR4 bits a guest may set: those whose feature its CPUID shows (Xen's
 * hvm_cr4_guest_valid_bits, without the ones we never show: VMXE without
 * nested VMX, OSXSAVE, PKE, CET).  PCE and the bits of the base features
 * are always there. */
uint64_t vmx_cr4_guest_valid(const struct vcpu *v)
{
  struct cpuid_regs l1, l7;
  vmx_cpuid(v, 1, 0, &l1);
  vmx_cpuid(v, 7, 0, &l7);
  return (l1.edx & BIT(1) ? X86_CR4_VME | X86_CR4_PVI : 0) | (l1.edx & BIT(4) ? X86_CR4_TSD : 0) |
         (l1.edx & BIT(2) ? X86_CR4_DE : 0) | (l1.edx & BIT(3) ? X86_CR4_PSE : 0) |
         (l1.edx & BIT(6) ? X86_CR4_PAE : 0) | (l1.edx & BIT(7) ? X86_CR4_MCE : 0) |
         (l1.edx & BIT(13) ? X86_CR4_PGE : 0) | X86_CR4_PCE |
         (l1.edx & BIT(24) ? X86_CR4_OSFXSR : 0) | (l1.edx & BIT(25) ? X86_CR4_OSXMMEXCPT : 0) |
         (l7.ecx & BIT(2) ? X86_CR4_UMIP : 0) | (l7.ebx & BIT(0) ? X86_CR4_FSGSBASE : 0) |
         (l1.ecx & BIT(17) ? X86_CR4_PCIDE : 0) | (l7.ebx & BIT(7) ? X86_CR4_SMEP : 0) |
         (l7.ebx & BIT(20) ? X86_CR4_SMAP : 0);
}

/* The EFER bits a guest may set: SCE, LME (and LMA, which follows CR0.PG)
 * and NXE when CPUID shows SYSCALL, LM and NX (Xen's hvm_efer_valid). */
uint64_t vmx_efer_guest_valid(const struct vcpu *v)
{
  struct cpuid_regs x1;
  vmx_cpuid(v, 0x80000001, 0, &x1);
  return (x1.edx & BIT(11) ? EFER_SCE : 0) | (x1.edx & BIT(29) ? EFER_LME | EFER_LMA : 0) |
         (x1.edx & BIT(20) ? EFER_NXE : 0);
}
