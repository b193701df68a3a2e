/* The CMOS real-time clock, read once at boot for the guests' wall clock
 * (shared_info wc_sec/wc_nsec).  Registers per the MC146818 data sheet:
 * 0 seconds, 2 minutes, 4 hours, 7 day, 8 month, 9 year, 0x32 century
 * (when ACPI's FADT names it; we assume 20xx otherwise), status A bit 7
 * update in progress, status B bit 2 binary (else BCD), bit 1 24-hour. */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <hv/printk.h>
#include <hv/string.h>

static uint64_t boot_wall_sec; /* wall clock at system time 0 */
static uint32_t boot_wall_nsec;

static uint8_t cmos(uint8_t reg)
{
  outb(0x70, reg);
  return inb(0x71);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned int yoe = (unsigned int)(y - era * 400);
  unsigned int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void rtc_init(void)
{
  uint8_t r[6], again[6];
  static const uint8_t regs[6] = {0, 2, 4, 7, 8, 9};

  /* Read until two reads agree outside an update (at most a few tries). */
  for (int tries = 0; tries < 5; tries++) {
    for (unsigned long spin = 0; (cmos(0x0a) & 0x80) && spin < 1000000; spin++)
      cpu_relax();
    for (int i = 0; i < 6; i++)
      r[i] = cmos(regs[i]);
    for (int i = 0; i < 6; i++)
      again[i] = cmos(regs[i]);
    if (!memcmp(r, again, sizeof(r)))
      break;
  }
  uint8_t b = cmos(0x0b);
  bool pm = !(b & 0x02) && (r[2] & 0x80);
  r[2] &= 0x7f;
  if (!(b & 0x04))
    for (int i = 0; i < 6; i++)
      r[i] = (uint8_t)((r[i] & 0x0f) + (r[i] >> 4) * 10);
  if (!(b & 0x02))
    r[2] = (uint8_t)(r[2] % 12 + (pm ? 12 : 0));
  if (r[4] < 1 || r[4] > 12 || r[3] < 1 || r[3] > 31 || r[2] > 23 || r[1] > 59 || r[0] > 59) {
    pr_warn("rtc: unreadable (%02x-%02x %02x:%02x:%02x): guests get wall clock 0", r[4], r[3], r[2],
            r[1], r[0]);
    return;
  }
  int64_t days = days_from_civil(2000 + r[5], r[4], r[3]);
  uint64_t now_sec = (uint64_t)days * 86400 + r[2] * 3600U + r[1] * 60U + r[0];
  uint64_t ns = arch_now_ns(); /* subtract the time since boot */
  uint64_t total = now_sec * 1000000000ULL - ns;
  boot_wall_sec = total / 1000000000ULL;
  boot_wall_nsec = (uint32_t)(total % 1000000000ULL);
  pr_info("rtc: 20%02u-%02u-%02u %02u:%02u:%02u UTC", r[5], r[4], r[3], r[2], r[1], r[0]);
}

void arch_wallclock(uint64_t *sec, uint32_t *nsec)
{
  *sec = boot_wall_sec;
  *nsec = boot_wall_nsec;
}
