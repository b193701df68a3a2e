/* VMX bring-up: capability checks and VMXON on the boot CPU.  What mica
 * needs of VT-x is listed once, in vmx_init(); a CPU that lacks any of it
 * gets one clear line and the hypervisor runs on without domains. */
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/vmx.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>

struct vmx_caps vmx_caps;
static bool enabled;
static paddr_t vmxon_region;

bool vmx_enabled(void) { return enabled; }

void vmx_shutdown(void)
{
  if (!enabled)
    return;
  asm volatile("vmxoff" ::: "cc", "memory");
  write_cr4(read_cr4() & ~X86_CR4_VMXE);
  enabled = false;
}

/* VMXON: returns 0, or -EIO when the CPU refused (CF or ZF set). */
static inline int vmxon(paddr_t region)
{
  uint8_t fail;
  asm volatile("vmxon %1\n\tsetbe %0" : "=q"(fail) : "m"(region) : "cc", "memory");
  return fail ? -EIO : 0;
}

static int unavailable(const char *why)
{
  pr_warn("vmx: unavailable: %s; no domain can run", why);
  return -ENODEV;
}

/* The allowed-1 half of a VMX control capability MSR (SDM A.3). */
static uint32_t allowed1(uint32_t msr) { return (uint32_t)(rdmsr(msr) >> 32); }

int vmx_init(void)
{
  if (!(cpuid(1, 0).ecx & (1U << 5)))
    return unavailable("this CPU has no VT-x (CPUID.1:ECX.VMX is clear)");

  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    /* Nobody locked it: enable VMX outside SMX ourselves (SDM 23.7). */
    fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
  } else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
    return unavailable("VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked)");
  }

  uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
  vmx_caps.vmcs_revision = (uint32_t)basic & 0x7fffffff;
  if (!(allowed1(MSR_IA32_VMX_PROCBASED_CTLS) & CPU_BASED_ACTIVATE_SECONDARY))
    return unavailable("no secondary processor-based controls");
  uint32_t ctls2 = allowed1(MSR_IA32_VMX_PROCBASED_CTLS2);
  if (!(ctls2 & SECONDARY_ENABLE_EPT))
    return unavailable("no EPT");
  if (!(ctls2 & SECONDARY_UNRESTRICTED_GUEST))
    return unavailable("no unrestricted guest");
  if (!(ctls2 & SECONDARY_ENABLE_VPID))
    return unavailable("no VPID");
  uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
  vmx_caps.ept_vpid_cap = cap;
  if (!(cap & EPT_CAP_WALK_4) || !(cap & EPT_CAP_WB))
    return unavailable("EPT lacks 4-level walks or write-back memory");
  if (!(cap & EPT_CAP_INVEPT) || !(cap & VPID_CAP_INVVPID))
    return unavailable("no INVEPT or INVVPID");
  vmx_caps.ept_2mb = cap & EPT_CAP_2MB;

  /* CR0 and CR4 must honour the fixed bits in VMX operation (SDM A.7, A.8). */
  write_cr4(read_cr4() | X86_CR4_VMXE);
  uint64_t cr0 = (read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1);
  uint64_t cr4 = (read_cr4() | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) & rdmsr(MSR_IA32_VMX_CR4_FIXED1);
  write_cr0(cr0);
  write_cr4(cr4);

  vmxon_region = frame_alloc_zeroed();
  if (!vmxon_region)
    return unavailable("out of memory for the VMXON region");
  *(uint32_t *)phys_to_virt(vmxon_region) = vmx_caps.vmcs_revision;
  if (vmxon(vmxon_region)) {
    frame_free(vmxon_region);
    write_cr4(read_cr4() & ~X86_CR4_VMXE);
    return unavailable("VMXON failed");
  }
  enabled = true;
  pr_info("vmx: VT-x on: EPT (%s pages), unrestricted guest, VPID; VMCS revision %u",
          vmx_caps.ept_2mb ? "4 KiB and 2 MiB" : "4 KiB", vmx_caps.vmcs_revision);
  return 0;
}
