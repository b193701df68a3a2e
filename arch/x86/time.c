/* Time: the TSC as the clock, the LAPIC timer (one-shot) for interrupts,
 * both calibrated against PIT channel 2 at boot.  Under Bochs with
 * `clock: sync=none` the TSC ticks once per instruction, so the calibrated
 * TSC rate equals the configured ips. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/traps.h>
#include <hv/console.h>
#include <hv/timer.h>

#define PIT_HZ 1193182ULL
#define PIT_CAL_TICKS 11932 /* 10 ms */

uint64_t time_tsc_hz, time_lapic_hz;
extern uint64_t boot_tsc; /* TSC at the first instruction (boot/head.S) */

/* ns = ((tsc - boot_tsc) << shift) * mul >> 32 (shift < 0: right), the
 * pvclock formula, so that guests compute exactly the hypervisor's time. */
static uint32_t ns_mul;
static int8_t ns_shift;
/* ns_shift as two shift counts, one of them 0: no branch on its sign in
 * arch_now_ns, which the scheduler calls several times a switch. */
static uint8_t ns_lshift, ns_rshift;
static uint64_t lapic_mult; /* ticks = ns * lapic_mult >> 32 */

/* mul and shift for hz ticks per second: mul in [2^31, 2^32) for the
 * best precision. */
static void set_scale(uint64_t hz)
{
  int shift = 0;
  unsigned __int128 mul = ((unsigned __int128)1000000000ULL << 32) / hz;
  while (mul >= (1ULL << 32)) {
    shift++;
    mul = ((unsigned __int128)1000000000ULL << (32 - shift)) / hz;
  }
  while (mul < (1ULL << 31) && shift > -31) {
    shift--;
    mul = ((unsigned __int128)1000000000ULL << (32 - shift)) / hz;
  }
  ns_mul = (uint32_t)mul;
  ns_shift = (int8_t)shift;
  ns_lshift = (uint8_t)(shift > 0 ? shift : 0);
  ns_rshift = (uint8_t)(shift < 0 ? -shift : 0);
}

void arch_time_scale(uint64_t *tsc_base, uint32_t *mul, int8_t *shift)
{
  *tsc_base = boot_tsc;
  *mul = ns_mul;
  *shift = ns_shift;
}

uint64_t arch_now_ns(void)
{
  /* Before calibration ns_mul is 0, and so is the time. */
  uint64_t delta = (rdtsc() - boot_tsc) << ns_lshift >> ns_rshift;
  return (uint64_t)(((unsigned __int128)delta * ns_mul) >> 32);
}

uint64_t time_tsc_to_ns(uint64_t tsc)
{
  if (!ns_mul || tsc <= boot_tsc)
    return 0;
  /* arch_now_ns's formula, in 128 bits: a deadline years ahead must not
   * wrap to the past. */
  unsigned __int128 delta = tsc - boot_tsc;
  delta = ns_shift >= 0 ? delta << ns_shift : delta >> -ns_shift;
  unsigned __int128 ns = (delta * ns_mul) >> 32;
  return ns >= ~0ULL ? ~0ULL - 1 : (uint64_t)ns;
}

void arch_timer_program(uint64_t deadline_ns)
{
  if (!deadline_ns || !lapic_mult) {
    lapic_write(LAPIC_TIMER_INIT, 0); /* 0 stops the one-shot timer */
    return;
  }
  uint64_t now = arch_now_ns();
  uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
  uint64_t ticks = (uint64_t)(((unsigned __int128)delta * lapic_mult) >> 32);
  if (ticks == 0)
    ticks = 1;
  if (ticks > 0xffffffffULL)
    ticks = 0xffffffffULL; /* the timer fires early; timer_run re-arms */
  lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

static void timer_irq(struct cpu_regs *regs)
{
  (void)regs;
  lapic_eoi();
  timer_raise(); /* the callbacks run at the next safe point */
  console_kick();
}

/* Count TSC ticks and LAPIC timer ticks over PIT_CAL_TICKS of PIT channel 2
 * in mode 0 (interrupt on terminal count: OUT2, port 0x61 bit 5, goes high
 * when the count reaches zero). */
static void calibrate(void)
{
  lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
  lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);

  outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
  outb(0x43, 0xb0);                                  /* ch 2, lo/hi, mode 0 */
  outb(0x42, PIT_CAL_TICKS & 0xff);
  outb(0x42, PIT_CAL_TICKS >> 8);
  lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
  uint64_t t0 = rdtsc();
  uint32_t l0 = lapic_read(LAPIC_TIMER_CUR);
  while (!(inb(0x61) & 0x20))
    ;
  uint64_t t1 = rdtsc();
  uint32_t l1 = lapic_read(LAPIC_TIMER_CUR);
  lapic_write(LAPIC_TIMER_INIT, 0);

  time_tsc_hz = (t1 - t0) * PIT_HZ / PIT_CAL_TICKS;
  time_lapic_hz = (uint64_t)(l0 - l1) * PIT_HZ / PIT_CAL_TICKS;
}

void time_init(void)
{
  calibrate();
  if (!time_tsc_hz || !time_lapic_hz)
    panic("time: calibration failed (TSC %llu Hz, LAPIC %llu Hz)", (unsigned long long)time_tsc_hz,
          (unsigned long long)time_lapic_hz);
  set_scale(time_tsc_hz);
  lapic_mult = (time_lapic_hz << 32) / 1000000000ULL;
  traps_set_irq_handler(VEC_TIMER, timer_irq);
  lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
  pr_info("time: TSC %llu kHz, LAPIC timer %llu kHz (calibrated against the PIT)",
          (unsigned long long)(time_tsc_hz / 1000), (unsigned long long)(time_lapic_hz / 1000));
}

void time_init_ap(void)
{
  lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1, as calibrated */
  lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
}

void udelay(uint64_t us)
{
  uint64_t end = rdtsc() + us * (time_tsc_hz / 1000000);
  while (rdtsc() < end)
    cpu_relax();
}
