/* Where a vcpu runs: the least loaded CPU it may use.  Placement happens
 * when a vcpu is made and when its hard affinity leaves out its CPU;
 * otherwise vcpus stay put (their VMCS stays on one CPU, see
 * arch/x86/vmx/vcpu.c), so "load" counts the vcpus placed on a CPU. */
#include <hv/sched.h>

unsigned int sched_place(uint64_t online, uint64_t hard, const unsigned int load[HV_MAX_CPUS])
{
  uint64_t may = online & hard;
  unsigned int best = HV_MAX_CPUS;
  for (unsigned int cpu = 0; cpu < HV_MAX_CPUS; cpu++)
    if ((may >> cpu & 1) && (best == HV_MAX_CPUS || load[cpu] < load[best]))
      best = cpu;
  return best;
}
