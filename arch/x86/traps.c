/* GDT, TSS and IDT; exception handling and the crash dump. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/traps.h>
#include <hv/console.h>
#include <hv/percpu.h>
#include <hv/string.h>

enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3 };

struct idt_entry {
  uint16_t offset_lo;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_hi;
  uint32_t reserved;
} __packed;

struct desc_ptr {
  uint16_t limit;
  uint64_t base;
} __packed;

/* The boot CPU's per-CPU state is static: it exists before any allocator,
 * and per_cpu(0) finds it from the first instruction on. */
static struct per_cpu bsp_cpu;
struct per_cpu *cpus[MAX_CPUS] = {&bsp_cpu};
unsigned int nr_cpus_online = 1;

static struct idt_entry idt[256] __aligned(16);
static void (*irq_handlers[256])(struct cpu_regs *);

extern char trap_stubs[];
extern char boot_stack[], boot_stack_top[];

static const char *const exc_names[32] = {
    "DE",  "DB",  "NMI", "BP",  "OF",       "BR",  "UD", "NM", "DF", "CSO", "TS",
    "NP",  "SS",  "GP",  "PF",  "SPURIOUS", "MF",  "AC", "MC", "XM", "VE",  "CP",
    "?22", "?23", "?24", "?25", "?26",      "?27", "HV", "VC", "SX", "?31",
};

const void *traps_bsp_guard(unsigned int i) { return bsp_cpu.arch.stacks.ist[i].guard; }

static void set_gate(unsigned int vec, unsigned int ist)
{
  uint64_t addr = (uint64_t)(uintptr_t)trap_stubs + 16 * vec;
  idt[vec] = (struct idt_entry){
      .offset_lo = (uint16_t)addr,
      .selector = GDT_CODE,
      .ist = (uint8_t)ist,
      .type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
      .offset_mid = (uint16_t)(addr >> 16),
      .offset_hi = (uint32_t)(addr >> 32),
  };
}

/* Load this CPU's GDT (null, 64-bit code, data, its TSS), TSS (IST stacks
 * for #DF, NMI, #MC) and the shared IDT, and point GS at pc. */
void traps_init_cpu(struct per_cpu *cpu)
{
  struct arch_per_cpu *pc = &cpu->arch;
  uint64_t base = (uint64_t)(uintptr_t)&pc->tss, limit = sizeof(pc->tss) - 1;
  pc->self = cpu;
  pc->gdt[0] = 0;
  pc->gdt[1] = 0x00af9a000000ffffULL;
  pc->gdt[2] = 0x00cf92000000ffffULL;
  pc->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
               (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  pc->gdt[4] = base >> 32;

  for (unsigned int i = 0; i < NR_IST; i++)
    pc->tss.ist[i] = (uint64_t)(uintptr_t)(pc->stacks.ist[i].stack + IST_STACK_SIZE);
  pc->tss.iomap_base = sizeof(pc->tss); /* no I/O bitmap */

  struct desc_ptr gdtr = {sizeof(pc->gdt) - 1, (uint64_t)(uintptr_t)pc->gdt};
  asm volatile("lgdt %0\n\t"
               "pushq %1\n\t"
               "leaq 1f(%%rip), %%rax\n\t"
               "pushq %%rax\n\t"
               "lretq\n"
               "1:\n\t"
               "mov %2, %%ds\n\t"
               "mov %2, %%es\n\t"
               "mov %2, %%ss"
               :
               : "m"(gdtr), "i"(GDT_CODE), "r"((uint64_t)GDT_DATA)
               : "rax", "memory");
  asm volatile("ltr %w0" ::"r"(GDT_TSS));
  wrmsr(0xc0000101, (uint64_t)(uintptr_t)cpu); /* IA32_GS_BASE */

  struct desc_ptr idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
  asm volatile("lidt %0" ::"m"(idtr));
}

void traps_init(void)
{
  for (unsigned int v = 0; v < 256; v++)
    set_gate(v, v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0);
  traps_init_cpu(&bsp_cpu);
}

void traps_set_irq_handler(unsigned int vector, void (*fn)(struct cpu_regs *))
{
  if (vector >= 32 && vector < 256)
    irq_handlers[vector] = fn;
}

bool traps_on_stack(uint64_t addr, uint64_t len)
{
  uint64_t end = addr + len;
  if (end < addr)
    return false;
  if (addr >= (uint64_t)(uintptr_t)boot_stack && end <= (uint64_t)(uintptr_t)boot_stack_top)
    return true;
  for (unsigned int c = 0; c < nr_cpus_online; c++) {
    const struct cpu_stacks *st = &per_cpu(c)->arch.stacks;
    for (unsigned int i = 0; i < NR_IST; i++) {
      uint64_t lo = (uint64_t)(uintptr_t)st->ist[i].stack;
      if (addr >= lo && end <= lo + IST_STACK_SIZE)
        return true;
    }
    uint64_t lo = (uint64_t)(uintptr_t)st->stack;
    if (addr >= lo && end <= lo + CPU_STACK_SIZE)
      return true;
  }
  return false;
}

static void print_addr(const char *label, uint64_t addr)
{
  uint64_t off;
  const char *name = arch_symbol(addr, &off);
  if (name)
    printk(LOG_ERR, "%s0x%016llx <%s+0x%llx>", label, (unsigned long long)addr, name,
           (unsigned long long)off);
  else
    printk(LOG_ERR, "%s0x%016llx", label, (unsigned long long)addr);
}

void traps_dump(const struct cpu_regs *r)
{
  unsigned int v = (unsigned int)r->vector;
  pr_err("*** CPU EXCEPTION vector %u (#%s) error 0x%llx on CPU %u", v,
         v < 32 ? exc_names[v] : "IRQ", (unsigned long long)r->error, this_cpu()->arch.id);
  print_addr("RIP: ", r->rip);
  pr_err("RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx", (unsigned long long)r->rax,
         (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx);
  pr_err("RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx", (unsigned long long)r->rsi,
         (unsigned long long)r->rdi, (unsigned long long)r->rbp, (unsigned long long)r->rsp);
  pr_err("R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx", (unsigned long long)r->r8,
         (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11);
  pr_err("R12=%016llx R13=%016llx R14=%016llx R15=%016llx", (unsigned long long)r->r12,
         (unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
  pr_err("CS=%04llx SS=%04llx RFLAGS=%016llx", (unsigned long long)r->cs, (unsigned long long)r->ss,
         (unsigned long long)r->rflags);
  pr_err("CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx", (unsigned long long)read_cr0(),
         (unsigned long long)read_cr2(), (unsigned long long)read_cr3(),
         (unsigned long long)read_cr4());

  /* Frame-pointer backtrace: [rbp] = caller's rbp, [rbp+8] = return
   * address.  Only follow frames that lie on one of our stacks, so a
   * corrupt chain cannot fault inside the dump. */
  pr_err("Backtrace:");
  print_addr("  ", r->rip);
  uint64_t fp = r->rbp, last = r->rip;
  unsigned int repeats = 0;
  for (unsigned int depth = 0; depth < 4096; depth++) {
    if (!fp || (fp & 7) || !traps_on_stack(fp, 16))
      break;
    const uint64_t *frame = (const uint64_t *)(uintptr_t)fp;
    if (!frame[1])
      break;
    if (frame[1] == last) {
      repeats++; /* deep recursion: one line for the run */
    } else {
      if (repeats)
        pr_err("  (the frame above repeated %u more times)", repeats);
      repeats = 0;
      print_addr("  ", frame[1]);
      last = frame[1];
    }
    if (frame[0] <= fp)
      break; /* stacks grow down: the caller's frame is above */
    fp = frame[0];
  }
  if (repeats)
    pr_err("  (the frame above repeated %u more times)", repeats);
}

void trap_dispatch(struct cpu_regs *regs)
{
  unsigned int v = (unsigned int)regs->vector;

  if (v >= 32) {
    if (irq_handlers[v])
      irq_handlers[v](regs);
    else if (v != VEC_SPURIOUS)
      pr_warn("traps: unexpected interrupt vector %u", v);
    return;
  }
  /* Any exception in the hypervisor itself is fatal. */
  traps_dump(regs);
  panic("unhandled exception #%s (vector %u) at 0x%llx", exc_names[v], v,
        (unsigned long long)regs->rip);
}
