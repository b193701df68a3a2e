/* Host unit tests' arch/percpu.h: the arch part of struct per_cpu is a
 * stub, and this_cpu()/per_cpu(n) are fake_arch.c's, over one array of
 * HV_MAX_CPUS structs (this_cpu() is the one of fake_cpu).  It replaces
 * the hypervisor's GS-based version (test/unit/include comes first on the
 * include path). */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <hv/types.h>

struct per_cpu;

struct arch_per_cpu {
  unsigned int id; /* the CPU's number, as on x86 */
};

struct per_cpu *this_cpu(void);
struct per_cpu *per_cpu(unsigned int cpu);

#endif
