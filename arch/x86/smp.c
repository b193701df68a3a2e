/* Starting the other CPUs (SDM vol. 3, 9.4): INIT, then STARTUP twice,
 * into the trampoline on a free page below 1 MiB; each comes up with its own
 * per-CPU state, LAPIC, timer and VMX, reports, and waits halted until
 * the scheduler starts them (arch_start_cpus).  Also what generic code
 * asks about CPUs (arch.h): ids, the mask, kicks, and the EPT flush IPI. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/mm.h>
#include <arch/paging.h>
#include <arch/traps.h>
#include <arch/vmx.h>
#include <hv/boot_info.h>
#include <hv/frame.h>
#include <hv/percpu.h>
#include <hv/printk.h>
#include <hv/string.h>

extern char smp_tramp_start[], smp_tramp_end[], smp_tramp_cr3[], smp_tramp_efer[],
    smp_tramp_stack[], smp_tramp_cpu[], smp_tramp_entry[], smp_tramp_gdt_base[], smp_tramp_far32[],
    smp_tramp_far64[];
static paddr_t tramp_base; /* the page the trampoline is copied to */
extern char boot_pml4[];

static uint64_t final_cr3;                  /* the boot CPU's page tables, for the others */
static void (*volatile ap_main)(void);      /* set by arch_start_cpus */
static volatile uint64_t flush_eptp;        /* smp_flush_ept's request... */
static volatile unsigned int flush_waiting; /* ...and the CPUs yet to answer */

unsigned int arch_cpu_id(void) { return this_cpu()->arch.id; }

void arch_cpu_relax(void) { cpu_relax(); }

uint64_t arch_cpu_mask(void)
{
  uint64_t mask = 0;
  for (unsigned int i = 0; i < nr_cpus_online; i++)
    if (per_cpu(i)->arch.vmxon)
      mask |= 1ULL << i;
  return mask;
}

void arch_cpu_kick(unsigned int cpu)
{
  if (cpu < nr_cpus_online)
    lapic_send_ipi(per_cpu(cpu)->arch.apic_id, LAPIC_ICR_FIXED | VEC_KICK);
}

/* The kick's work is the interrupt itself: it ended guest mode or HLT. */
static void kick_irq(struct cpu_regs *regs)
{
  (void)regs;
  lapic_eoi();
}

static void ept_flush_irq(struct cpu_regs *regs)
{
  (void)regs;
  ept_invept_local(flush_eptp);
  lapic_eoi();
  __atomic_sub_fetch(&flush_waiting, 1, __ATOMIC_RELEASE);
}

void smp_flush_ept(uint64_t eptp)
{
  struct per_cpu *self = this_cpu();
  unsigned int n = 0;
  for (unsigned int i = 0; i < nr_cpus_online; i++)
    n += per_cpu(i) != self && per_cpu(i)->arch.in_sched;
  if (!n)
    return;
  flush_eptp = eptp;
  __atomic_store_n(&flush_waiting, n, __ATOMIC_RELEASE);
  for (unsigned int i = 0; i < nr_cpus_online; i++)
    if (per_cpu(i) != self && per_cpu(i)->arch.in_sched)
      lapic_send_ipi(per_cpu(i)->arch.apic_id, LAPIC_ICR_FIXED | VEC_EPT_FLUSH);
  /* Each answers from its handler, even one waiting for hv_lock (taken
   * with interrupts on); one in guest mode exits first. */
  while (__atomic_load_n(&flush_waiting, __ATOMIC_ACQUIRE))
    cpu_relax();
}

void arch_start_cpus(void (*fn)(void))
{
  this_cpu()->arch.in_sched = true;
  ap_main = fn;
  for (unsigned int i = 1; i < nr_cpus_online; i++)
    if (per_cpu(i)->arch.vmxon)
      arch_cpu_kick(i);
}

/* Where a trampoline parameter lives in the copy at tramp_base. */
static void *tramp_param(char *sym)
{
  return phys_to_virt(tramp_base + (uint64_t)(sym - smp_tramp_start));
}

/* The first C code on another CPU; pc is its per-CPU state. */
static __noreturn void ap_entry(struct per_cpu *pc)
{
  write_cr3(final_cr3); /* off the boot page tables, onto W^X */
  traps_init_cpu(pc);
  lapic_init();
  time_init_ap();
  int err = vmx_init_ap();
  if (err)
    pc->arch.vmxon = 0;
  __atomic_store_n(&pc->arch.online, true, __ATOMIC_RELEASE);
  /* Wait for the scheduler; interrupts on so that its kick wakes us. */
  for (;;) {
    irq_disable();
    if (ap_main && pc->arch.vmxon)
      break;
    safe_halt();
  }
  pc->arch.in_sched = true;
  irq_enable();
  ap_main();
  /* Nothing left to run.  Interrupts stay on: an EPT flush may still ask
   * for our answer. */
  for (;;)
    safe_halt();
}

/* Is the page at lo RAM that nothing else (a module, the boot
 * information) uses? */
static bool tramp_page_free(const struct boot_info *bi, paddr_t lo)
{
  paddr_t hi = lo + PAGE_SIZE;
  bool ram = false;
  for (unsigned int i = 0; i < bi->nr_mem; i++)
    if (bi->mem[i].type == BOOT_MEM_RAM && bi->mem[i].start <= lo &&
        bi->mem[i].start + bi->mem[i].len >= hi)
      ram = true;
  if (!ram || (bi->info_start < hi && lo < bi->info_end))
    return false;
  for (unsigned int i = 0; i < bi->nr_mods; i++)
    if (bi->mods[i].start < hi && lo < bi->mods[i].end)
      return false;
  return true;
}

/* The highest free RAM page below the legacy video hole (0xA0000), as
 * Linux and Xen place theirs: the frame allocator leaves the first MiB
 * alone, and a STARTUP IPI can only start a CPU there.  0 when there is
 * none (a firmware that keeps all low memory for itself). */
static paddr_t tramp_page_find(const struct boot_info *bi)
{
  for (paddr_t pa = 0xa0000 - PAGE_SIZE; pa >= PAGE_SIZE; pa -= PAGE_SIZE)
    if (tramp_page_free(bi, pa))
      return pa;
  return 0;
}

/* Per-CPU state with its stacks for CPU id, zeroed, below 4 GiB (the
 * trampoline's page tables map only that much), guard pages unmapped.
 * NULL if out of memory. */
static struct per_cpu *percpu_alloc(unsigned int id, uint32_t apic_id)
{
  unsigned long pages = ALIGN_UP(sizeof(struct per_cpu), PAGE_SIZE) / PAGE_SIZE;
  paddr_t pa = frame_alloc_contig(pages, 1);
  if (!pa || pa + sizeof(struct per_cpu) > GiB(4)) {
    if (pa)
      frame_free_contig(pa, pages);
    return NULL;
  }
  struct per_cpu *pc = phys_to_virt(pa);
  memset(pc, 0, sizeof(*pc));
  struct cpu_stacks *st = &pc->arch.stacks;
  for (unsigned int i = 0; i < NR_IST; i++)
    paging_unmap_page((uint64_t)(uintptr_t)st->ist[i].guard);
  paging_unmap_page((uint64_t)(uintptr_t)st->guard);
  pc->arch.id = id;
  pc->arch.apic_id = apic_id;
  return pc;
}

/* STARTUP, 200 us, STARTUP (the MP spec's sequence, after the INIT all
 * CPUs got together); wait up to 100 ms for the CPU to say it is online.
 * One CPU at a time: they share the trampoline's parameters. */
static bool start_cpu(struct per_cpu *pc)
{
  *(uint64_t *)tramp_param(smp_tramp_stack) =
      (uint64_t)(uintptr_t)(pc->arch.stacks.stack + CPU_STACK_SIZE);
  *(uint64_t *)tramp_param(smp_tramp_cpu) = (uint64_t)(uintptr_t)pc;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  for (int i = 0; i < 2 && !__atomic_load_n(&pc->arch.online, __ATOMIC_ACQUIRE); i++) {
    lapic_send_ipi(pc->arch.apic_id, LAPIC_ICR_STARTUP | (uint32_t)(tramp_base >> PAGE_SHIFT));
    udelay(200);
  }
  for (int i = 0; i < 1000 && !__atomic_load_n(&pc->arch.online, __ATOMIC_ACQUIRE); i++)
    udelay(100);
  return __atomic_load_n(&pc->arch.online, __ATOMIC_ACQUIRE);
}

void smp_init(const struct boot_info *bi)
{
  traps_set_irq_handler(VEC_KICK, kick_irq);
  traps_set_irq_handler(VEC_EPT_FLUSH, ept_flush_irq);
  this_cpu()->arch.apic_id = lapic_id(); /* the boot CPU's, for physinfo and kicks */
  if (acpi_info.nr_cpus <= 1)
    return;
  tramp_base = tramp_page_find(bi);
  if (!tramp_base) {
    pr_warn("smp: no free RAM page below 0xa0000 for the start-up code: running on one CPU");
    return;
  }
  pr_debug("smp: start-up code at 0x%llx", (unsigned long long)tramp_base);
  memcpy(phys_to_virt(tramp_base), smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
  /* Its three absolute addresses: the GDT's and the two far jumps'. */
  *(uint32_t *)tramp_param(smp_tramp_gdt_base) += (uint32_t)tramp_base;
  *(uint32_t *)tramp_param(smp_tramp_far32) += (uint32_t)tramp_base;
  *(uint32_t *)tramp_param(smp_tramp_far64) += (uint32_t)tramp_base;
  final_cr3 = read_cr3();
  *(uint32_t *)tramp_param(smp_tramp_cr3) = (uint32_t)virt_to_phys(boot_pml4);
  *(uint32_t *)tramp_param(smp_tramp_efer) = (uint32_t)(rdmsr(MSR_EFER) & 0x900); /* LME, NXE */
  *(uint64_t *)tramp_param(smp_tramp_entry) = (uint64_t)(uintptr_t)ap_entry;

  /* Every CPU gets INIT, then one 10 ms wait for all of them. */
  static struct per_cpu *pcs[MAX_CPUS];
  unsigned int n = 0;
  uint32_t self = lapic_id();
  for (unsigned int i = 0; i < acpi_info.nr_cpus; i++) {
    uint32_t apic = acpi_info.apic_ids[i];
    if (apic == self)
      continue;
    if (1 + n == MAX_CPUS) {
      pr_warn("smp: more than %u CPUs: the rest stay off", MAX_CPUS);
      break;
    }
    struct per_cpu *pc = percpu_alloc(1 + n, apic);
    if (!pc) {
      pr_err("smp: no memory below 4 GiB for CPU with APIC id %u", apic);
      continue;
    }
    pcs[n++] = pc;
    lapic_send_ipi(apic, LAPIC_ICR_INIT);
  }
  if (n)
    udelay(10000);

  unsigned int vmx_on = vmx_enabled() ? 1 : 0;
  for (unsigned int i = 0; i < n; i++) {
    struct per_cpu *pc = pcs[i];
    pc->arch.id = nr_cpus_online; /* ids without gaps, in the order CPUs answer */
    if (!start_cpu(pc)) {
      pr_err("smp: CPU with APIC id %u did not start", pc->arch.apic_id);
      continue; /* its memory stays: it might still wake up and use it */
    }
    cpus[nr_cpus_online++] = pc;
    vmx_on += pc->arch.vmxon ? 1 : 0;
  }
  pr_info("smp: %u CPU(s) online, VMX on %u", nr_cpus_online, vmx_on);
}
