/* VMX bring-up: capability checks, and VMXON on each CPU.  What mica
 * needs of VT-x is listed once, in vmx_init(); a CPU that lacks any of it
 * gets one clear line and the hypervisor runs on without domains. */
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/vmx.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/percpu.h>
#include <hv/printk.h>
#include <hv/string.h>

/* VMXON: returns 0, or -EIO when the CPU refused (CF or ZF set). */
static inline int vmxon(paddr_t region)
{
  uint8_t fail;
  asm volatile("vmxon %1\n\tsetbe %0" : "=q"(fail) : "m"(region) : "cc", "memory");
  return fail ? -EIO : 0;
}

struct vmx_caps vmx_caps;
static bool usable; /* the boot CPU found everything mica needs */

bool vmx_enabled(void) { return this_cpu()->arch.vmxon != 0; }

void vmx_shutdown(void)
{
  if (!this_cpu()->arch.vmxon)
    return;
  asm volatile("vmxoff" ::: "cc", "memory");
  write_cr4(read_cr4() & ~X86_CR4_VMXE);
  frame_free(this_cpu()->arch.vmxon);
  this_cpu()->arch.vmxon = 0;
}

/* Enable VMX in IA32_FEATURE_CONTROL if nobody locked it (SDM 23.7);
 * false if the firmware locked it off. */
static bool feature_control_ok(void)
{
  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
    return true;
  }
  return fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX;
}

/* VMXON on this CPU: the fixed CR0/CR4 bits (SDM A.7, A.8), a VMXON region
 * of its own.  Returns 0, -ENOMEM or -EIO. */
static int vmx_cpu_on(void)
{
  vmx_switch_cpu_init();
  write_cr4(read_cr4() | X86_CR4_VMXE);
  uint64_t cr0 = (read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1);
  uint64_t cr4 = (read_cr4() | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) & rdmsr(MSR_IA32_VMX_CR4_FIXED1);
  write_cr0(cr0);
  write_cr4(cr4);

  paddr_t region = frame_alloc_zeroed();
  if (!region)
    return -ENOMEM;
  *(uint32_t *)phys_to_virt(region) = vmx_caps.vmcs_revision;
  if (vmxon(region)) {
    frame_free(region);
    write_cr4(read_cr4() & ~X86_CR4_VMXE);
    return -EIO;
  }
  this_cpu()->arch.vmxon = region;
  return 0;
}

int vmx_init_ap(void)
{
  if (!usable)
    return -ENODEV;
  if (!feature_control_ok())
    return -ENODEV;
  return vmx_cpu_on();
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

  if (!feature_control_ok())
    return unavailable("VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked)");

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

  if (vmx_msr_init())
    return unavailable("out of memory for the MSR bitmap");
  usable = true;
  int err = vmx_cpu_on();
  if (err) {
    usable = false;
    return unavailable(err == -ENOMEM ? "out of memory for the VMXON region" : "VMXON failed");
  }
  pr_info("vmx: VT-x on: EPT (%s pages), unrestricted guest, VPID; VMCS revision %u",
          vmx_caps.ept_2mb ? "4 KiB and 2 MiB" : "4 KiB", vmx_caps.vmcs_revision);
  return 0;
}
