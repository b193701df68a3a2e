/* What sysctl physinfo reports of this machine: CPUs and their topology,
 * the TSC rate, VT-x, CPUID feature words, the guest address width. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/vmx.h>
#include <hv/percpu.h>
#include <hv/string.h>

#define EPT_PADDR_BITS 48 /* a 4-level EPT maps 48-bit guest addresses (SDM 29.3.2) */

/* The APIC-id shifts that separate threads of a core (*smt) and cores of
 * a package (*pkg), from CPUID leaf 0xB (SDM vol. 2A, CPUID "Extended
 * Topology Enumeration Leaf").  Without the leaf: one thread per core and
 * one package, which is what the counts then say. */
static void topology_shifts(unsigned int *smt, unsigned int *pkg)
{
  *smt = 0;
  *pkg = 32;
  if (cpuid(0, 0).eax < 0xb)
    return;
  for (uint32_t sub = 0; sub < 8; sub++) {
    struct cpuid_regs r = cpuid(0xb, sub);
    unsigned int type = (r.ecx >> 8) & 0xff; /* 1: SMT, 2: core; 0 ends */
    if (!type)
      break;
    if (type == 1)
      *smt = r.eax & 0x1f;
    *pkg = r.eax & 0x1f; /* the last level's shift gives the package id */
  }
}

void arch_physinfo(struct arch_physinfo *pi)
{
  unsigned int smt, pkg;
  topology_shifts(&smt, &pkg);
  /* Like Xen: count the online CPUs that share the boot CPU's core, and
   * its package, by their APIC ids (the caller may run on any CPU). */
  uint32_t id0 = per_cpu(0)->arch.apic_id;
  unsigned int threads = 0, in_pkg = 0;
  for (unsigned int i = 0; i < nr_cpus_online; i++) {
    uint32_t id = per_cpu(i)->arch.apic_id;
    if (pkg >= 32 || id >> pkg == id0 >> pkg) {
      in_pkg++;
      if (id >> smt == id0 >> smt)
        threads++;
    }
  }
  pi->nr_cpus = nr_cpus_online;
  pi->max_cpu_id = MAX_CPUS - 1;
  pi->threads_per_core = threads;
  pi->cores_per_socket = in_pkg / threads;
  pi->cpu_khz = (uint32_t)(time_tsc_hz / 1000);
  pi->hvm = vmx_enabled(); /* VT-x is only turned on with EPT */

  /* Xen's featureset words 0 to 7, the CPU's own. */
  uint32_t words[CPU_FEATURESET_WORDS];
  cpu_featureset_words(NULL, false, words);
  for (unsigned int i = 0; i < 8; i++)
    pi->hw_cap[i] = words[i];
}

unsigned int arch_pcpu_last(void) { return nr_cpus_online - 1; }

bool arch_pcpu_info(unsigned int cpu, struct arch_pcpu *p)
{
  if (cpu >= nr_cpus_online)
    return false;
  *p = (struct arch_pcpu){.apic_id = per_cpu(cpu)->arch.apic_id, .acpi_id = ~0U, .online = true};
  unsigned int smt, pkg;
  topology_shifts(&smt, &pkg);
  p->socket = pkg >= 32 ? 0 : p->apic_id >> pkg;
  p->core = pkg >= 32 ? p->apic_id >> smt : (p->apic_id & ((1U << pkg) - 1)) >> smt;
  /* Xen's acpi_get_processor_id: the UID the MADT lists with this APIC
   * id (mica keeps one entry per APIC id, the first). */
  for (unsigned int i = 0; i < acpi_info.nr_cpus; i++)
    if (acpi_info.apic_ids[i] == p->apic_id) {
      p->acpi_id = acpi_info.acpi_uids[i];
      break;
    }
  /* Identity from this CPU's CPUID: the hypervisor runs on CPUs of one
   * model (Xen keeps each CPU's; they are the same on such a machine). */
  struct cpuid_regs l0 = cpuid(0, 0), l1 = cpuid(1, 0);
  memcpy(p->vendor, &l0.ebx, 4);
  memcpy(p->vendor + 4, &l0.edx, 4);
  memcpy(p->vendor + 8, &l0.ecx, 4);
  /* SDM vol. 2A, CPUID leaf 1 EAX; Xen's get_cpu_family. */
  p->family = (l1.eax >> 8) & 0xf;
  p->model = (l1.eax >> 4) & 0xf;
  if (p->family == 0xf)
    p->family += (l1.eax >> 20) & 0xff;
  if (p->family >= 6)
    p->model |= ((l1.eax >> 16) & 0xf) << 4;
  p->stepping = l1.eax & 0xf;
  return true;
}

unsigned int arch_guest_paddr_bits(void)
{
  unsigned int bits = 36; /* the SDM's default without leaf 0x80000008 */
  if (cpuid(0x80000000, 0).eax >= 0x80000008) {
    uint32_t eax = cpuid(0x80000008, 0).eax;
    /* Bits 23:16 give the guest-physical width when it differs. */
    bits = (eax >> 16) & 0xff ? (eax >> 16) & 0xff : eax & 0xff;
  }
  return bits < EPT_PADDR_BITS ? bits : EPT_PADDR_BITS;
}
