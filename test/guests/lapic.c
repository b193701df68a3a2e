/* lapic: the emulated local APIC, seen from a guest, through the x2APIC
 * MSRs only (as Linux uses it when it finds x2APIC already on).
 *
 * Checks, in order: CPUID (x2APIC, TSC-deadline, the x2APIC ID in leaf
 * 0xb, the timer's clock in leaf 0x15 against the pvclock), IA32_APIC_BASE
 * and the read-only registers (ID, version, LDR); #GP for registers that
 * do not exist, the wrong direction and reserved bits; the software
 * enable (SVR); self-IPIs (SELF IPI register and the ICR's shorthands and
 * destinations), IRR / ISR / PPR / EOI and TPR masking of lower classes;
 * ESR and the error interrupt; the timer in one-shot (count rate,
 * arrival time, masked, stopped), periodic (ticks 1 ms apart) and
 * TSC-deadline mode (not before the TSC reaches the deadline, disarm, a
 * deadline in the past); HLT ended by the timer; the APIC base
 * transitions of the SDM (x2APIC -> disabled -> xAPIC -> x2APIC).
 *
 * With vcpus=2 (the domain's vcpu count): vcpu 0 starts vcpu 1 by INIT
 * and STARTUP into a real-mode trampoline that brings it to 64-bit C,
 * then they exchange fixed IPIs, vcpu 1 waiting in HLT; vcpu 1 goes down
 * (HLT with interrupts off), INIT and STARTUP start it again, and an
 * INIT to it while it runs is ignored.
 *
 * Times are measured with the pvclock (shared_info mapped) and the TSC;
 * under Bochs with `clock: sync=none` both are deterministic.  Prints
 * "lapic: N checks, F failed". */
#include <stdbool.h>

#include <public/memory.h>
#include <public/vcpu.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define X2APIC(reg) (0x800U + (reg))
#define APIC_ID X2APIC(0x02)
#define APIC_VERSION X2APIC(0x03)
#define APIC_TPR X2APIC(0x08)
#define APIC_PPR X2APIC(0x0a)
#define APIC_EOI X2APIC(0x0b)
#define APIC_LDR X2APIC(0x0d)
#define APIC_SVR X2APIC(0x0f)
#define APIC_ISR(n) X2APIC(0x10 + (n))
#define APIC_TMR(n) X2APIC(0x18 + (n))
#define APIC_IRR(n) X2APIC(0x20 + (n))
#define APIC_ESR X2APIC(0x28)
#define APIC_LVT_CMCI X2APIC(0x2f)
#define APIC_ICR X2APIC(0x30)
#define APIC_LVT_TIMER X2APIC(0x32)
#define APIC_LVT_ERROR X2APIC(0x37)
#define APIC_TIMER_INIT X2APIC(0x38)
#define APIC_TIMER_CUR X2APIC(0x39)
#define APIC_TIMER_DCR X2APIC(0x3e)
#define APIC_SELF_IPI X2APIC(0x3f)

#define BASE_X2APIC 0xfee00c00ULL /* EN | EXTD at the default base */
#define BASE_BSP 0x100ULL
#define LVT_MASKED 0x10000U
#define TIMER_PERIODIC (1U << 17)
#define TIMER_DEADLINE (2U << 17)
#define ICR_SELF (1U << 18)
#define ICR_ALL (2U << 18)
#define ICR_OTHERS (3U << 18)
#define ICR_LOGICAL (1U << 11)
#define ICR_LOWEST (1U << 8)
#define ICR_NMI (4U << 8)
#define ICR_INIT (5U << 8)
#define ICR_STARTUP (6U << 8)
#define ICR_ASSERT (1U << 14)
#define ICR_LEVEL (1U << 15)

#define TIMER_VECTOR 0x60
#define ERROR_VECTOR 0x3f
#define US 1000ULL
#define MS 1000000ULL
#define LATE_NS (500 * US) /* how late an interrupt may be under Bochs */

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const s = (volatile struct shared_info *)shinfo_page;
static int failures, checks;
static uint64_t tsc_hz, bus_hz;

/* What the interrupt handler saw. */
#define LOG_MAX 64
static volatile unsigned int count[256];
static volatile unsigned int log_len;
static volatile uint8_t log_vec[LOG_MAX];
static volatile uint64_t last_ns[256], last_tsc[256];
static volatile uint64_t isr_seen[256], ppr_seen[256]; /* ISR word and PPR inside the handler */
static volatile uint64_t no_eoi[4]; /* vectors whose handler leaves them in service */

static void check(const char *what, long long got, long long want)
{
  checks++;
  if (got == want)
    return;
  failures++;
  printf("lapic: FAIL %s: got %lld (0x%llx) want %lld (0x%llx)\n", what, got,
         (unsigned long long)got, want, (unsigned long long)want);
}

static void wrmsr(uint32_t msr, uint64_t val)
{
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

static uint64_t rdmsr(uint32_t msr)
{
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
  return (uint64_t)hi << 32 | lo;
}

static void cpuid2(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t now_ns(void) { return pvclock_ns(&s->vcpu_info[0].time); }
static void irq_on(void) { __asm__ volatile("sti; nop" ::: "memory"); }
static void irq_off(void) { __asm__ volatile("cli" ::: "memory"); }
/* Open a window for whatever is due: the hypervisor injects at entry. */
static void window(void)
{
  irq_on();
  __asm__ volatile("nop; nop; nop" ::: "memory");
  irq_off();
}
static unsigned int vcpu_id(void) { return (unsigned int)rdmsr(APIC_ID); }

static bool irr_bit(unsigned int v) { return (rdmsr(APIC_IRR(v / 32)) >> (v % 32)) & 1; }
static bool isr_bit(unsigned int v) { return (rdmsr(APIC_ISR(v / 32)) >> (v % 32)) & 1; }

static void on_irq(unsigned int vector)
{
  uint64_t tsc = rdtsc_ordered();
  last_tsc[vector] = tsc;
  last_ns[vector] = now_ns();
  isr_seen[vector] = rdmsr(APIC_ISR(vector / 32));
  ppr_seen[vector] = rdmsr(APIC_PPR);
  if (log_len < LOG_MAX)
    log_vec[log_len] = (uint8_t)vector;
  log_len++;
  count[vector]++;
  if (!((no_eoi[vector / 64] >> (vector % 64)) & 1))
    wrmsr(APIC_EOI, 0);
}

/* Run with interrupts on until count[vector] reaches n or limit_ns of
 * system time passes; true if it did. */
static bool wait_count(unsigned int vector, unsigned int n, uint64_t limit_ns)
{
  uint64_t end = now_ns() + limit_ns;
  irq_on();
  while (count[vector] < n && now_ns() < end)
    __asm__ volatile("pause");
  irq_off();
  return count[vector] >= n;
}

/* Run with interrupts on for ns. */
static void spin_ns(uint64_t ns)
{
  uint64_t end = now_ns() + ns;
  irq_on();
  while (now_ns() < end)
    __asm__ volatile("pause");
  irq_off();
}

static int map_shared_info(void)
{
  struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                 .space = XENMAPSPACE_shared_info,
                                 .idx = 0,
                                 .gpfn = (unsigned long)(uintptr_t)shinfo_page >> 12};
  if (hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)(uintptr_t)&x)) {
    printf("lapic: cannot map shared_info\n");
    return -1;
  }
  return 0;
}

/* ---- What the APIC says about itself ---- */

static void identity(unsigned int nr_vcpus)
{
  uint32_t r[4];
  cpuid2(1, 0, r);
  check("CPUID.1:ECX x2APIC", (r[2] >> 21) & 1, 1);
  check("CPUID.1:ECX TSC-deadline", (r[2] >> 24) & 1, 1);
  check("CPUID.1:EDX APIC", (r[3] >> 9) & 1, 1);
  check("CPUID.1:EBX initial APIC ID", r[1] >> 24, 0);
  cpuid2(0xb, 0, r);
  check("CPUID.b.0 x2APIC ID", r[3], 0);
  check("CPUID.b.0 level type SMT", (r[2] >> 8) & 0xff, 1);
  check("CPUID.b.0 one thread", r[1] & 0xffff, 1);
  cpuid2(0xb, 1, r);
  check("CPUID.b.1 level type core", (r[2] >> 8) & 0xff, 2);
  check("CPUID.b.1 a core per vcpu", r[1] & 0xffff, nr_vcpus);
  cpuid2(0x15, 0, r);
  bus_hz = r[2];
  check("CPUID.15 crystal (timer clock) 100 MHz", (long long)bus_hz, 100000000);
  tsc_hz = r[0] ? (uint64_t)r[2] * r[1] / r[0] : 0;
  /* The TSC rate it gives against the pvclock's, over 2 ms. */
  uint64_t t0 = now_ns(), c0 = rdtsc_ordered();
  while (now_ns() - t0 < 2 * MS)
    ;
  uint64_t t1 = now_ns(), c1 = rdtsc_ordered();
  uint64_t measured = (c1 - c0) * 1000000000ULL / (t1 - t0);
  printf("lapic: TSC %llu Hz by CPUID.15, %llu Hz by the pvclock\n", (unsigned long long)tsc_hz,
         (unsigned long long)measured);
  check("CPUID.15 TSC rate within 1% of the pvclock's",
        tsc_hz > measured * 99 / 100 && tsc_hz < measured * 101 / 100, 1);

  check("APIC base: x2APIC, BSP", (long long)rdmsr(MSR_APIC_BASE), BASE_X2APIC | BASE_BSP);
  check("ID", (long long)rdmsr(APIC_ID), 0);
  uint64_t ver = rdmsr(APIC_VERSION);
  check("version 0x14", ver & 0xff, 0x14);
  check("max LVT entry 6 (CMCI)", (ver >> 16) & 0xff, 6);
  check("no EOI-broadcast suppression", (ver >> 24) & 1, 0);
  check("LDR of ID 0: cluster 0, bit 0", (long long)rdmsr(APIC_LDR), 1);
  check("SVR at reset", (long long)rdmsr(APIC_SVR), 0xff);
  check("TPR at reset", (long long)rdmsr(APIC_TPR), 0);
  check("PPR at reset", (long long)rdmsr(APIC_PPR), 0);
  check("LVT timer masked at reset", (long long)rdmsr(APIC_LVT_TIMER), LVT_MASKED);
  check("LVT error masked at reset", (long long)rdmsr(APIC_LVT_ERROR), LVT_MASKED);
  check("LVT CMCI masked at reset", (long long)rdmsr(APIC_LVT_CMCI), LVT_MASKED);
  check("divide config at reset", (long long)rdmsr(APIC_TIMER_DCR), 0);
  check("TSC deadline at reset", (long long)rdmsr(MSR_TSC_DEADLINE), 0);
}

/* ---- #GP where the SDM says ---- */

static void gp_checks(void)
{
  static const uint32_t no_read[] = {X2APIC(0x00),  X2APIC(0x01), X2APIC(0x04), X2APIC(0x09),
                                     APIC_EOI,      X2APIC(0x0c), X2APIC(0x0e), X2APIC(0x29),
                                     X2APIC(0x2e),  X2APIC(0x31), X2APIC(0x3a), X2APIC(0x3d),
                                     APIC_SELF_IPI, X2APIC(0x40), X2APIC(0xff)};
  for (unsigned int i = 0; i < sizeof(no_read) / sizeof(no_read[0]); i++) {
    uint64_t v;
    char what[48];
    snprintf(what, sizeof(what), "rdmsr 0x%x raises #GP", no_read[i]);
    check(what, guest_rdmsr_safe(no_read[i], &v), -1);
  }
  static const struct {
    uint32_t msr;
    uint64_t val;
    const char *why;
  } no_write[] = {
      {APIC_ID, 0, "ID is read-only"},
      {APIC_VERSION, 0x14, "version is read-only"},
      {APIC_PPR, 0, "PPR is read-only"},
      {APIC_LDR, 1, "LDR is read-only in x2APIC mode"},
      {APIC_ISR(0), 0, "ISR is read-only"},
      {APIC_TMR(3), 0, "TMR is read-only"},
      {APIC_IRR(7), 0, "IRR is read-only"},
      {APIC_TIMER_CUR, 0, "current count is read-only"},
      {APIC_EOI, 1, "EOI takes 0 only"},
      {APIC_ESR, 1, "ESR takes 0 only"},
      {APIC_TPR, 0x100, "TPR bit 8 is reserved"},
      {APIC_TPR, 1ULL << 32, "bits 63:32 are reserved"},
      {APIC_SVR, 0x10ff, "SVR bit 12 (no EOI-broadcast suppression)"},
      {APIC_LVT_TIMER, (3U << 17) | LVT_MASKED, "timer mode 11b is reserved"},
      {APIC_LVT_TIMER, 0x400 | LVT_MASKED, "the timer LVT has no delivery mode"},
      {APIC_LVT_ERROR, 1U << 17, "LVT error bit 17 is reserved"},
      {APIC_TIMER_DCR, 0x4, "divide config bit 2 is reserved"},
      {APIC_ICR, 0x1000 | 0x40, "ICR delivery status bit is reserved in x2APIC mode"},
      {APIC_ICR, (1U << 20) | 0x40, "ICR bit 20 is reserved"},
      {APIC_SELF_IPI, 0x140, "SELF IPI takes a vector only"},
      {X2APIC(0x31), 0, "no ICR2 in x2APIC mode"},
      {X2APIC(0x0e), 0, "no DFR in x2APIC mode"},
      {MSR_APIC_BASE, 0xfee00400 | BASE_BSP, "APIC base: EXTD without EN is invalid"},
      {MSR_APIC_BASE, 0xfee00800 | BASE_BSP, "APIC base: x2APIC to xAPIC is invalid"},
      {MSR_APIC_BASE, 0xfed00c00 | BASE_BSP, "APIC base: the base does not move"},
      {MSR_APIC_BASE, (1ULL << 40) | BASE_X2APIC | BASE_BSP, "APIC base: reserved bit 40"},
  };
  for (unsigned int i = 0; i < sizeof(no_write) / sizeof(no_write[0]); i++) {
    char what[96];
    snprintf(what, sizeof(what), "wrmsr 0x%x #GP: %s", no_write[i].msr, no_write[i].why);
    check(what, guest_wrmsr_safe(no_write[i].msr, no_write[i].val), -1);
  }
  check("nothing changed: TPR", (long long)rdmsr(APIC_TPR), 0);
  check("nothing changed: timer LVT", (long long)rdmsr(APIC_LVT_TIMER), LVT_MASKED);
  check("nothing changed: APIC base", (long long)rdmsr(MSR_APIC_BASE), BASE_X2APIC | BASE_BSP);
  check("writing the APIC base unchanged is fine",
        guest_wrmsr_safe(MSR_APIC_BASE, BASE_X2APIC | BASE_BSP), 0);
  check("EOI with nothing in service is fine", guest_wrmsr_safe(APIC_EOI, 0), 0);
}

/* ---- Software enable ---- */

static void enable(void)
{
  /* Software-disabled: interrupts are not accepted, LVTs stay masked. */
  wrmsr(APIC_SELF_IPI, 0x40);
  check("disabled: a self-IPI is not accepted", irr_bit(0x40), 0);
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR);
  check("disabled: an LVT write stays masked", (long long)rdmsr(APIC_LVT_TIMER),
        LVT_MASKED | TIMER_VECTOR);
  wrmsr(APIC_SVR, 0x1ff);
  check("SVR software enable", (long long)rdmsr(APIC_SVR), 0x1ff);
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR);
  check("enabled: LVT unmasked", (long long)rdmsr(APIC_LVT_TIMER), TIMER_VECTOR);
  wrmsr(APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
}

/* ---- Self-IPIs, priority, EOI ---- */

static void self_ipis(void)
{
  for (unsigned int v = 0x40; v <= 0x48; v++)
    guest_set_irq_vector(v, on_irq);

  wrmsr(APIC_SELF_IPI, 0x40);
  check("SELF IPI: in IRR while interrupts are off", irr_bit(0x40), 1);
  check("  not taken yet", count[0x40], 0);
  window();
  check("  taken once interrupts are on", count[0x40], 1);
  check("  in service inside the handler", (long long)(isr_seen[0x40] & 1), 1);
  check("  PPR is its class inside the handler", (long long)ppr_seen[0x40], 0x40);
  check("  IRR clear after", irr_bit(0x40), 0);
  check("  ISR clear after the EOI", isr_bit(0x40), 0);
  check("  PPR back to 0", (long long)rdmsr(APIC_PPR), 0);

  /* Each IPI, then the count its vector should have reached. */
  static const struct {
    uint64_t icr;
    unsigned int vector;
    unsigned long want;
    const char *what;
  } ipis[] = {
      {ICR_SELF | 0x41, 0x41, 1, "ICR shorthand self"},
      {0x42, 0x42, 1, "ICR physical destination = our ID"}, /* destination 0: us */
      {ICR_ALL | 0x43, 0x43, 1, "ICR all including self"},
      {ICR_OTHERS | 0x44, 0x44, 0, "ICR all excluding self does not reach us"},
      {(5ULL << 32) | 0x44, 0x44, 0, "ICR to an ID nobody has"},
      {(0xffffffffULL << 32) | 0x45, 0x45, 1, "ICR physical broadcast"},
      {(1ULL << 32) | ICR_LOGICAL | 0x46, 0x46, 1, "ICR logical: cluster 0, bit 0"},
      {(0x10001ULL << 32) | ICR_LOGICAL | 0x46, 0x46, 1, "ICR logical: cluster 1 is not us"},
      {ICR_LOWEST | 0x47, 0x47, 1, "ICR lowest priority to us"},
      {ICR_NMI | 0x48, 0x48, 0, "ICR NMI (not supported) changes nothing"},
  };
  for (unsigned int i = 0; i < sizeof(ipis) / sizeof(ipis[0]); i++) {
    wrmsr(APIC_ICR, ipis[i].icr);
    window();
    check(ipis[i].what, count[ipis[i].vector], ipis[i].want);
    if (i == 0)
      check("ICR reads back", (long long)rdmsr(APIC_ICR), ICR_SELF | 0x41);
  }
}

static void priority(void)
{
  static const unsigned int vecs[] = {0x30, 0x45, 0x50, 0x51, 0x61, 0x65};
  for (unsigned int i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
    guest_set_irq_vector(vecs[i], on_irq);
  unsigned int c45 = count[0x45];

  /* TPR 0x50 holds back class 4 (and 5), not class 6. */
  wrmsr(APIC_TPR, 0x50);
  check("TPR reads back", (long long)rdmsr(APIC_TPR), 0x50);
  check("PPR follows TPR", (long long)rdmsr(APIC_PPR), 0x50);
  log_len = 0;
  wrmsr(APIC_SELF_IPI, 0x45);
  wrmsr(APIC_SELF_IPI, 0x65);
  window();
  check("TPR 0x50: class 6 taken", count[0x65], 1);
  check("TPR 0x50: class 4 held", count[0x45], c45);
  check("  and still in IRR", irr_bit(0x45), 1);
  wrmsr(APIC_TPR, 0x4f);
  window();
  check("TPR 0x4f: class 4 still held (same class)", count[0x45], c45);
  wrmsr(APIC_TPR, 0x30);
  window();
  check("TPR 0x30: class 4 taken", count[0x45], c45 + 1);
  wrmsr(APIC_TPR, 0);

  /* Highest first; one in service holds back its own class until EOI. */
  log_len = 0;
  no_eoi[0x51 / 64] |= 1ULL << (0x51 % 64);
  wrmsr(APIC_SELF_IPI, 0x30);
  wrmsr(APIC_SELF_IPI, 0x51);
  window();
  check("two pending: the higher first", log_len >= 1 ? log_vec[0] : 0, 0x51);
  check("  the lower waits: 0x51 is in service, PPR 0x50", (long long)rdmsr(APIC_PPR), 0x50);
  check("  0x30 not taken", count[0x30], 0);
  wrmsr(APIC_SELF_IPI, 0x50);
  window();
  check("same class as the one in service waits", count[0x50], 0);
  wrmsr(APIC_SELF_IPI, 0x61);
  window();
  check("a higher class nests", count[0x61], 1);
  check("  0x51 still in service", isr_bit(0x51), 1);
  no_eoi[0x51 / 64] = 0;
  wrmsr(APIC_EOI, 0); /* ends 0x51: then 0x50, then 0x30 */
  window();
  check("after the EOI: 0x50", count[0x50], 1);
  check("  then 0x30", count[0x30], 1);
  check("order 0x51 0x61 0x50 0x30",
        log_len == 4 && log_vec[0] == 0x51 && log_vec[1] == 0x61 && log_vec[2] == 0x50 &&
            log_vec[3] == 0x30,
        1);
  check("nothing in service at the end", isr_bit(0x30) | isr_bit(0x50) | isr_bit(0x51), 0);
}

static void errors(void)
{
  guest_set_irq_vector(ERROR_VECTOR, on_irq);
  wrmsr(APIC_ESR, 0);
  check("ESR clear", (long long)rdmsr(APIC_ESR), 0);
  wrmsr(APIC_LVT_ERROR, ERROR_VECTOR);
  wrmsr(APIC_SELF_IPI, 5); /* a vector below 16: illegal */
  window();
  check("an illegal vector raises the error interrupt", count[ERROR_VECTOR], 1);
  check("ESR reads 0 until written", (long long)rdmsr(APIC_ESR), 0);
  wrmsr(APIC_ESR, 0);
  check("ESR: send illegal vector", (long long)rdmsr(APIC_ESR), 0x20);
  wrmsr(APIC_ESR, 0);
  check("ESR clear again", (long long)rdmsr(APIC_ESR), 0);
  wrmsr(APIC_LVT_ERROR, LVT_MASKED | ERROR_VECTOR);
}

/* ---- Timer ---- */

static void timer_oneshot(void)
{
  guest_set_irq_vector(TIMER_VECTOR, on_irq);
  unsigned int n = count[TIMER_VECTOR];

  wrmsr(APIC_TIMER_DCR, 0xb); /* divide by 1: 100 MHz, 10 ns a count */
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR);
  uint64_t t0 = now_ns();
  wrmsr(APIC_TIMER_INIT, 100000); /* 1 ms */
  uint64_t c1 = rdmsr(APIC_TIMER_CUR), t1 = now_ns();
  spin_ns(200 * US);
  irq_off();
  uint64_t c2 = rdmsr(APIC_TIMER_CUR), t2 = now_ns();
  check("one-shot: initial count reads back", (long long)rdmsr(APIC_TIMER_INIT), 100000);
  check("  current count below the initial", c1 > 0 && c1 <= 100000, 1);
  check("  counts down", c2 < c1, 1);
  uint64_t expect = (t2 - t1) / 10;
  printf("lapic: one-shot counted %llu in %llu ns (expected %llu)\n", (unsigned long long)(c1 - c2),
         (unsigned long long)(t2 - t1), (unsigned long long)expect);
  check("  at 100 MHz (within 2%)", (c1 - c2) * 100 > expect * 98 && (c1 - c2) * 100 < expect * 102,
        1);
  check("  the interrupt came", wait_count(TIMER_VECTOR, n + 1, 10 * MS), 1);
  uint64_t at = last_ns[TIMER_VECTOR] - t0;
  printf("lapic: one-shot 1 ms fired after %llu ns\n", (unsigned long long)at);
  check("  not before 1 ms", at >= 1 * MS, 1);
  check("  less than 0.5 ms late", at < 1 * MS + LATE_NS, 1);
  check("  current count 0 after", (long long)rdmsr(APIC_TIMER_CUR), 0);
  spin_ns(2 * MS);
  check("  once only", count[TIMER_VECTOR], n + 1);

  /* Divide by 16: 10000 counts are 1.6 ms. */
  wrmsr(APIC_TIMER_DCR, 0x3);
  t0 = now_ns();
  wrmsr(APIC_TIMER_INIT, 10000);
  check("divide by 16: fired", wait_count(TIMER_VECTOR, n + 2, 10 * MS), 1);
  at = last_ns[TIMER_VECTOR] - t0;
  check("  not before 1.6 ms", at >= 1600 * US, 1);
  check("  less than 0.5 ms late", at < 1600 * US + LATE_NS, 1);

  /* Masked: it counts, no interrupt. */
  wrmsr(APIC_TIMER_DCR, 0xb);
  wrmsr(APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
  wrmsr(APIC_TIMER_INIT, 20000); /* 0.2 ms */
  check("masked: counting", rdmsr(APIC_TIMER_CUR) > 0, 1);
  spin_ns(1 * MS);
  check("masked: no interrupt", count[TIMER_VECTOR], n + 2);
  check("masked: the count ran out", (long long)rdmsr(APIC_TIMER_CUR), 0);

  /* Initial count 0 stops it. */
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR);
  wrmsr(APIC_TIMER_INIT, 100000);
  wrmsr(APIC_TIMER_INIT, 0);
  spin_ns(2 * MS);
  check("initial count 0 stops it", count[TIMER_VECTOR], n + 2);
  check("  current count 0", (long long)rdmsr(APIC_TIMER_CUR), 0);
}

static void timer_periodic(void)
{
  unsigned int n = count[TIMER_VECTOR];
  uint64_t at[6];

  wrmsr(APIC_TIMER_DCR, 0x0); /* divide by 2 */
  wrmsr(APIC_LVT_TIMER, TIMER_PERIODIC | TIMER_VECTOR);
  at[0] = now_ns();
  wrmsr(APIC_TIMER_INIT, 50000); /* 1 ms */
  bool all = true;
  for (int i = 1; i <= 5; i++) {
    all = all && wait_count(TIMER_VECTOR, n + (unsigned int)i, 10 * MS);
    at[i] = last_ns[TIMER_VECTOR];
    uint64_t c = rdmsr(APIC_TIMER_CUR);
    if (c == 0 || c > 50000)
      all = false;
  }
  check("periodic: five ticks, the count always in 1..initial", all, 1);
  printf("lapic: periodic 1 ms ticks at +%llu +%llu +%llu +%llu +%llu ns\n",
         (unsigned long long)(at[1] - at[0]), (unsigned long long)(at[2] - at[1]),
         (unsigned long long)(at[3] - at[2]), (unsigned long long)(at[4] - at[3]),
         (unsigned long long)(at[5] - at[4]));
  check("  first not before 1 ms", at[1] - at[0] >= 1 * MS, 1);
  check("  five take 5 ms (+0.5 ms)", at[5] - at[0] >= 5 * MS && at[5] - at[0] < 5 * MS + LATE_NS,
        1);
  bool spaced = true;
  for (int i = 2; i <= 5; i++)
    if (at[i] - at[i - 1] < 1 * MS - LATE_NS || at[i] - at[i - 1] > 1 * MS + LATE_NS)
      spaced = false;
  check("  each 1 ms after the last (+-0.5 ms)", spaced, 1);

  /* Periodic to one-shot on the fly: the count finishes once more. */
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR);
  unsigned int m = count[TIMER_VECTOR];
  spin_ns(3 * MS);
  check("periodic switched to one-shot: one more tick, then none", count[TIMER_VECTOR], m + 1);
  check("  count 0", (long long)rdmsr(APIC_TIMER_CUR), 0);

  wrmsr(APIC_LVT_TIMER, TIMER_PERIODIC | TIMER_VECTOR);
  wrmsr(APIC_TIMER_INIT, 50000);
  check("periodic again", wait_count(TIMER_VECTOR, m + 2, 10 * MS), 1);
  wrmsr(APIC_TIMER_INIT, 0);
  m = count[TIMER_VECTOR];
  spin_ns(3 * MS);
  check("periodic stopped by initial count 0", count[TIMER_VECTOR], m);
}

static void timer_deadline(void)
{
  unsigned int n = count[TIMER_VECTOR];
  wrmsr(APIC_LVT_TIMER, TIMER_DEADLINE | TIMER_VECTOR);
  check("TSC-deadline mode: LVT reads back", (long long)rdmsr(APIC_LVT_TIMER),
        TIMER_DEADLINE | TIMER_VECTOR);
  check("  deadline 0", (long long)rdmsr(MSR_TSC_DEADLINE), 0);
  wrmsr(APIC_TIMER_INIT, 1000);
  check("  initial count writes ignored", (long long)rdmsr(APIC_TIMER_INIT), 0);
  check("  current count 0", (long long)rdmsr(APIC_TIMER_CUR), 0);

  uint64_t deadline = rdtsc_ordered() + tsc_hz / 1000; /* 1 ms */
  wrmsr(MSR_TSC_DEADLINE, deadline);
  check("  deadline reads back", (long long)rdmsr(MSR_TSC_DEADLINE), (long long)deadline);
  check("  fired", wait_count(TIMER_VECTOR, n + 1, 10 * MS), 1);
  uint64_t late = last_tsc[TIMER_VECTOR] - deadline;
  printf("lapic: TSC deadline fired %lld TSC ticks after it\n", (long long)late);
  check("  not before the TSC reached it", last_tsc[TIMER_VECTOR] >= deadline, 1);
  check("  less than 0.5 ms late", late < tsc_hz / 2000, 1);
  check("  the MSR reads 0 after", (long long)rdmsr(MSR_TSC_DEADLINE), 0);

  wrmsr(MSR_TSC_DEADLINE, rdtsc_ordered() + tsc_hz / 1000);
  wrmsr(MSR_TSC_DEADLINE, 0);
  spin_ns(2 * MS);
  check("a deadline of 0 disarms", count[TIMER_VECTOR], n + 1);

  deadline = rdtsc_ordered() - 1;
  wrmsr(MSR_TSC_DEADLINE, deadline);
  check("a deadline already past fires at once", wait_count(TIMER_VECTOR, n + 2, 200 * US), 1);

  wrmsr(MSR_TSC_DEADLINE, rdtsc_ordered() + tsc_hz / 1000);
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR); /* back to one-shot */
  check("leaving TSC-deadline mode clears the deadline", (long long)rdmsr(MSR_TSC_DEADLINE), 0);
  spin_ns(2 * MS);
  check("  and disarms it", count[TIMER_VECTOR], n + 2);
}

/* The timer ends HLT: the vcpu sleeps in the scheduler until it fires. */
static void timer_hlt(void)
{
  unsigned int n = count[TIMER_VECTOR];
  wrmsr(APIC_TIMER_DCR, 0xb);
  wrmsr(APIC_LVT_TIMER, TIMER_VECTOR);
  uint64_t t0 = now_ns();
  wrmsr(APIC_TIMER_INIT, 200000); /* 2 ms */
  while (count[TIMER_VECTOR] == n)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  uint64_t at = now_ns() - t0;
  printf("lapic: HLT ended by the timer after %llu ns\n", (unsigned long long)at);
  check("HLT ended by the timer, not before 2 ms", at >= 2 * MS, 1);
  check("  less than 0.5 ms late", at < 2 * MS + LATE_NS, 1);
}

/* ---- IA32_APIC_BASE transitions (SDM 11.12.5) ---- */

static void base_transitions(void)
{
  check("x2APIC -> disabled", guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00000 | BASE_BSP), 0);
  uint64_t v;
  check("  disabled: x2APIC MSRs #GP", guest_rdmsr_safe(APIC_ID, &v), -1);
  check("  disabled -> x2APIC is invalid", guest_wrmsr_safe(MSR_APIC_BASE, BASE_X2APIC | BASE_BSP),
        -1);
  check("  disabled -> xAPIC", guest_wrmsr_safe(MSR_APIC_BASE, 0xfee00800 | BASE_BSP), 0);
  check("  xAPIC: x2APIC MSRs #GP", guest_rdmsr_safe(APIC_ID, &v), -1);
  check("  xAPIC -> x2APIC", guest_wrmsr_safe(MSR_APIC_BASE, BASE_X2APIC | BASE_BSP), 0);
  check("  back in x2APIC: reset state (SVR 0xff)", (long long)rdmsr(APIC_SVR), 0xff);
  check("  ID unchanged", (long long)rdmsr(APIC_ID), 0);
}

/* ---- Two vcpus: INIT, STARTUP and IPIs ---- */

/* The real-mode trampoline vcpu 1 starts in, copied to AP_PAGE: real
 * mode, 32-bit protected mode and long mode with head.S's page tables,
 * on a GDT of its own (kept at AP_PAGE: 0x08 is 64-bit code, the
 * selector of the runtime's IDT gates), then ap_main on its own stack
 * with vcpu 0's IDT. */
#define AP_PAGE 0x8000
#define IPI_TO_1 0x70
#define IPI_TO_0 0x71
extern const char ap_tramp_start[], ap_tramp_end[];
static volatile unsigned int ap_alive, ap_got, ap_life;
uint8_t ap_stack[16384] __attribute__((aligned(16)));
struct {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed)) ap_idtr;

__attribute__((noreturn)) void ap_main(void);

/* vcpu 1.  First life: switch on its APIC, wait in HLT for vcpu 0's
 * IPIs and answer each one, then go down (HLT with interrupts off).
 * Second life (INIT and STARTUP again): sleep in HLT for good. */
void ap_main(void)
{
  wrmsr(APIC_SVR, 0x1ff);
  ap_life++;
  ap_alive = vcpu_id() + 1;
  if (ap_life == 1) {
    while (ap_got < 3) {
      while (count[IPI_TO_1] <= ap_got)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
      ap_got++;
      wrmsr(APIC_ICR, (0ULL << 32) | IPI_TO_0);
    }
    for (;;)
      __asm__ volatile("cli; hlt");
  }
  for (;;)
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

static long vcpu_is_up(unsigned int id)
{
  return hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, id, 0);
}

static void start_ap(void)
{
  /* INIT (assert, then the level de-assert Linux still sends), then
   * STARTUP twice, as in the MultiProcessor Specification. */
  wrmsr(APIC_ICR, (1ULL << 32) | ICR_INIT | ICR_ASSERT | ICR_LEVEL);
  wrmsr(APIC_ICR, (1ULL << 32) | ICR_INIT | ICR_LEVEL);
  wrmsr(APIC_ICR, (1ULL << 32) | ICR_STARTUP | (AP_PAGE >> 12));
  wrmsr(APIC_ICR, (1ULL << 32) | ICR_STARTUP | (AP_PAGE >> 12));
  uint64_t end = now_ns() + 100 * MS;
  irq_on();
  while (!ap_alive && now_ns() < end)
    __asm__ volatile("pause");
  irq_off();
}

/* clang-format off */
__asm__(
    ".pushsection .text\n"
    ".code16\n"
    ".global ap_tramp_start\n"
    "ap_tramp_start:\n"
    "  cli\n"
    "  xor %ax, %ax\n"
    "  mov %ax, %ds\n"
    "  mov %ax, %ss\n"
    "  mov $0x7000, %sp\n"
    /* An unknown MSR in real mode: #GP, without an error code (there is
     * none in real mode), to the IVT's handler, which skips it. */
    "  mov $0x12345, %ecx\n"
    "  rdmsr\n"
    "  lgdtl 0x8000 + (ap_gdt_desc - ap_tramp_start)\n"
    "  mov %cr0, %eax\n"
    "  or $1, %eax\n"                /* PE */
    "  mov %eax, %cr0\n"
    "  ljmpl $0x18, $(0x8000 + (ap_pm32 - ap_tramp_start))\n"
    ".code32\n"
    "ap_pm32:\n"
    "  mov $0x10, %ax\n"
    "  mov %ax, %ds\n"
    "  mov %ax, %es\n"
    "  mov %ax, %ss\n"
    "  mov $boot_pml4, %eax\n"
    "  mov %eax, %cr3\n"
    "  mov %cr4, %eax\n"
    "  or $0x20, %eax\n"             /* PAE */
    "  mov %eax, %cr4\n"
    "  mov $0xc0000080, %ecx\n"
    "  rdmsr\n"
    "  or $0x100, %eax\n"            /* EFER.LME */
    "  wrmsr\n"
    "  mov %cr0, %eax\n"
    "  or $0x80000000, %eax\n"       /* PG */
    "  mov %eax, %cr0\n"
    "  ljmpl $0x08, $(0x8000 + (ap_lm64 - ap_tramp_start))\n"
    ".code64\n"
    "ap_lm64:\n"
    "  movabs $ap_long, %rax\n"
    "  jmp *%rax\n"
    "  .balign 8\n"
    "ap_gdt:\n"
    "  .quad 0\n"
    "  .quad 0x00af9b000000ffff\n"   /* 0x08: 64-bit code */
    "  .quad 0x00cf93000000ffff\n"   /* 0x10: flat data */
    "  .quad 0x00cf9b000000ffff\n"   /* 0x18: 32-bit code */
    "ap_gdt_desc:\n"
    "  .short ap_gdt_desc - ap_gdt - 1\n"
    "  .long 0x8000 + (ap_gdt - ap_tramp_start)\n"
    ".code16\n"
    ".global ap_gp16\n"
    "ap_gp16:\n"                       /* IVT vector 13: past the RDMSR */
    "  push %bp\n"
    "  mov %sp, %bp\n"
    "  addw $2, 2(%bp)\n"
    "  pop %bp\n"
    "  incb 0x8000 + (ap_gp_seen - ap_tramp_start)\n"
    "  iret\n"
    ".global ap_gp_seen\n"
    "ap_gp_seen:\n"
    "  .byte 0\n"
    ".code64\n"
    ".global ap_tramp_end\n"
    "ap_tramp_end:\n"
    /* Not copied: runs where it was linked. */
    "ap_long:\n"
    "  lea ap_stack + 16384(%rip), %rsp\n"
    "  lidt ap_idtr(%rip)\n"
    "  call ap_main\n"
    "  ud2\n"
    ".popsection\n");
/* clang-format on */

static void two_vcpus(void)
{
  guest_set_irq_vector(IPI_TO_1, on_irq);
  guest_set_irq_vector(IPI_TO_0, on_irq);
  __asm__ volatile("sidt %0" : "=m"(ap_idtr));
  memcpy((void *)AP_PAGE, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
  /* The real-mode IVT (at 0 after INIT): vector 13 to ap_gp16. */
  extern const char ap_gp16[], ap_gp_seen[];
  uintptr_t ivt_at = 13 * 4;
  __asm__("" : "+r"(ivt_at)); /* a real address, not a small constant to warn about */
  volatile uint16_t *ivt_gp = (volatile uint16_t *)ivt_at;
  ivt_gp[0] = (uint16_t)(AP_PAGE + (ap_gp16 - ap_tramp_start));
  ivt_gp[1] = 0;
  volatile uint8_t *gp_seen = (volatile uint8_t *)(AP_PAGE + (ap_gp_seen - ap_tramp_start));
  /* A STARTUP without INIT first is ignored. */
  wrmsr(APIC_ICR, (1ULL << 32) | ICR_STARTUP | (AP_PAGE >> 12));
  spin_ns(2 * MS);
  check("STARTUP without INIT is ignored", ap_alive, 0);
  check("  vcpu 1 is down", vcpu_is_up(1), 0);
  start_ap();
  check("vcpu 1 started by INIT/SIPI, its x2APIC ID is 1", ap_alive, 2);
  /* Xen: hvm_inject_hw_exception in real mode drops the error code
   * (vmx_inject_event); with one, the VM entry would fail. */
  check("  its real-mode #GP (unknown MSR) reached its handler", *gp_seen, 1);
  check("  and is up", vcpu_is_up(1), 1);
  if (!ap_alive)
    return;
  for (unsigned int i = 1; i <= 3; i++) {
    /* vcpu 1 waits in HLT; the IPI wakes it and it answers. */
    wrmsr(APIC_ICR, (1ULL << 32) | IPI_TO_1);
    check("IPI to vcpu 1 answered", wait_count(IPI_TO_0, i, 100 * MS), 1);
  }
  check("vcpu 1 got three", ap_got, 3);

  /* It goes down (HLT with interrupts off); INIT and STARTUP bring it
   * back from the trampoline. */
  uint64_t end = now_ns() + 100 * MS;
  while (vcpu_is_up(1) && now_ns() < end)
    spin_ns(100 * US);
  check("vcpu 1 went down", vcpu_is_up(1), 0);
  ap_alive = 0;
  start_ap();
  check("INIT/SIPI starts it again", ap_alive, 2);
  check("  second life", ap_life, 2);

  /* INIT to a vcpu that runs is not supported: ignored with a warning. */
  check("INIT to a running vcpu: no #GP",
        guest_wrmsr_safe(APIC_ICR, (1ULL << 32) | ICR_INIT | ICR_ASSERT), 0);
  spin_ns(1 * MS);
  check("  it is still up", vcpu_is_up(1), 1);
}

int guest_main(const struct hvm_start_info *si)
{
  unsigned int nr_vcpus = (unsigned int)cmdline_num(guest_cmdline(si), "vcpus", 1);
  if (map_shared_info())
    return 1;
  identity(nr_vcpus);
  gp_checks();
  enable();
  self_ipis();
  priority();
  errors();
  timer_oneshot();
  timer_periodic();
  timer_deadline();
  timer_hlt();
  if (nr_vcpus > 1)
    two_vcpus();
  base_transitions();
  printf("lapic: %d checks, %d failed\n", checks, failures);
  return failures;
}
