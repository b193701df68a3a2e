/* The machine-check MSRs of a guest, as Xen 4.19's vMCE offers them to
 * every HVM (and PVH) guest (xen/arch/x86/cpu/mcheck/vmce.c vmce_rdmsr,
 * vmce_wrmsr, bank_mce_rdmsr/wrmsr; mce_intel.c vmce_intel_rdmsr/wrmsr;
 * msr.c guest_rdmsr/guest_wrmsr for the ranges that reach them).  Two
 * banks that never report an error (the hypervisor injects no machine
 * check): their state is only what the guest wrote, and a guest may
 * write only zeros to STATUS, ADDR and MISC.  CPUID shows MCE and MCA
 * (cpuid.c), as Xen's default policy does.  MSR numbers: SDM vol. 4,
 * table 2-2; the bank layout: SDM vol. 3B, 16.3. */
#include <arch/cpu.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/string.h>

#define MSR_P5_MC_ADDR 0x000
#define MSR_P5_MC_TYPE 0x001
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MCG_CTL 0x17b
#define MSR_MC0_CTL2 0x280 /* MCi_CTL2 at 0x280 + i, i < 32 */
#define MSR_MC0_CTL 0x400  /* MCi_CTL, STATUS, ADDR, MISC at 0x400 + 4i, i < 32 */
#define MSR_MCG_EXT_CTL 0x4d0

/* MCG_CAP (SDM vol. 3B, 16.3.1.1): the bank count in bits 7:0; CMCI_P,
 * TES_P and SER_P for an Intel host (Xen's INTEL_GUEST_MCG_CAP: CMCI
 * offered but never signalled, the status bits' meaning architectural,
 * software error recovery); no MCG_CTL (CTL_P) and no local machine
 * checks (LMCE_P), so MCG_CTL reads 0 and MCG_EXT_CTL does not exist. */
#define MCG_CMCI_P (1ULL << 10)
#define MCG_TES_P (1ULL << 11)
#define MCG_SER_P (1ULL << 24)

static int host_intel = -1; /* the host's vendor, once: -1 not looked yet */

static bool intel(void)
{
  if (host_intel < 0) {
    struct cpuid_regs r = cpuid(0, 0);
    host_intel =
        !memcmp(&r.ebx, "Genu", 4) && !memcmp(&r.edx, "ineI", 4) && !memcmp(&r.ecx, "ntel", 4);
  }
  return host_intel;
}

/* Xen's vmce_init_vcpu: the capabilities by the host's vendor (other
 * vendors get the bank count alone). */
static uint64_t mcg_cap(void)
{
  return VMCE_BANKS | (intel() ? MCG_CMCI_P | MCG_TES_P | MCG_SER_P : 0);
}

/* Is msr one of Xen's machine-check ranges?  Those it reads through the
 * vMCE: all of them answer, the MSRs of banks past the count reading 0
 * and taking any write (vmce_rdmsr's "not handled", which guest_rdmsr
 * turns into 0). */
static bool in_range(uint32_t msr, bool write)
{
  return (!write && msr <= MSR_P5_MC_TYPE) || (msr >= MSR_MCG_CAP && msr <= MSR_MCG_CTL) ||
         (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + 32) ||
         (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * 32) || msr == MSR_MCG_EXT_CTL;
}

int vmce_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
  const struct vmx_guest_msrs *m = &v->arch.msrs;
  unsigned int bank = (msr - MSR_MC0_CTL) / 4;

  if (!in_range(msr, false))
    return 0;
  *val = 0;
  switch (msr) {
  case MSR_MCG_CAP: *val = mcg_cap(); return 1;
  case MSR_MCG_STATUS: *val = m->mcg_status; return 1;
  case MSR_MCG_CTL: return 1; /* no CTL_P: 0 */
  case MSR_MCG_EXT_CTL: return -1;
  case MSR_P5_MC_ADDR: /* the Pentium's bank, which Xen maps to bank 1 */
    *val = m->mc_bank[1].addr;
    return 1;
  case MSR_P5_MC_TYPE: *val = m->mc_bank[1].status; return 1;
  }
  if (msr < MSR_MC0_CTL) { /* MCi_CTL2: Intel's */
    if (intel() && msr - MSR_MC0_CTL2 < VMCE_BANKS)
      *val = m->mc_bank[msr - MSR_MC0_CTL2].ctl2;
    return 1;
  }
  if (bank >= VMCE_BANKS)
    return 1;
  switch ((msr - MSR_MC0_CTL) % 4) {
  case 0: *val = ~0ULL; break; /* MCi_CTL: every error reported */
  case 1: *val = m->mc_bank[bank].status; break;
  case 2: *val = m->mc_bank[bank].addr; break;
  default: *val = m->mc_bank[bank].misc; break;
  }
  return 1;
}

int vmce_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
  struct vmx_guest_msrs *m = &v->arch.msrs;
  unsigned int bank = (msr - MSR_MC0_CTL) / 4;

  if (!in_range(msr, true))
    return 0;
  switch (msr) {
  case MSR_MCG_CAP: /* read-only: the write changes nothing (Xen: no #GP) */
  case MSR_MCG_CTL: /* no CTL_P: ignored */ return 1;
  case MSR_MCG_STATUS: m->mcg_status = val; return 1;
  case MSR_MCG_EXT_CTL: return -1;
  }
  if (msr < MSR_MC0_CTL) { /* MCi_CTL2 of Intel's banks: any value */
    if (intel() && msr - MSR_MC0_CTL2 < VMCE_BANKS)
      m->mc_bank[msr - MSR_MC0_CTL2].ctl2 = val;
    return 1;
  }
  if (bank >= VMCE_BANKS || (msr - MSR_MC0_CTL) % 4 == 0)
    return 1; /* MCi_CTL keeps all ones; past the count: dropped */
  if (val)
    return -1; /* STATUS, ADDR, MISC: only clearing them */
  switch ((msr - MSR_MC0_CTL) % 4) {
  case 1: m->mc_bank[bank].status = 0; break;
  case 2: m->mc_bank[bank].addr = 0; break;
  default: m->mc_bank[bank].misc = 0; break;
  }
  return 1;
}
