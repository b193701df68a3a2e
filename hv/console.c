/* printk, the in-memory log ring and the queue to the console devices.
 *
 * Every message goes into the log ring (kept for CONSOLEIO_read and the
 * crash dump).  Messages at or below console_loglvl also go into the tx
 * queue, which is drained into the serial ports as fast as they accept bytes
 * without waiting: a 115200-baud UART takes ~87 us a byte, so waiting for
 * each byte during boot would cost more than booting itself.  The queue is
 * drained from printk, the timer interrupt and the idle loop; when it is
 * full printk waits, so nothing is ever dropped.  The timer interrupt of
 * any CPU drains it, so it has a lock of its own (not hv_lock, which
 * interrupt handlers never take), held with interrupts off.
 *
 * What goes where (one formatted stream feeds every device, so a device
 * added later, such as a network console, sees what the serial line sees):
 *   hypervisor line     log ring and devices: timestamp, text
 *   guest line          log ring always: timestamp, "(name) ", text made
 *                       plain (control bytes but TAB become '?'); the
 *                       devices get the same unless the guest has the input
 *                       focus (console_focus=raw)
 *   focused guest       devices only, raw as it wrote them (console_put_raw),
 *                       as a terminal on its console would show them
 * The log ring therefore holds whole, attributable lines only; only the
 * devices can be in the middle of a line (line_owner's raw output), and
 * any other line there first ends it. */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/net.h>
#include <hv/spinlock.h>
#include <hv/string.h>

static struct spinlock console_lock = SPINLOCK_INIT;

enum log_level console_loglvl = LOG_INFO;
/* Today's format by default: the system tests and hvrun tell a raw
 * focused guest's lines from the hypervisor's by it (README). */
enum console_ts console_timestamps = CONSOLE_TS_BOOT;

static char log_ring[CONSOLE_LOG_SIZE];
static uint64_t log_total; /* bytes ever logged; ring index = total % size */

static char tx_ring[CONSOLE_TX_SIZE];
static uint64_t tx_head, tx_tail; /* bytes ever queued / ever sent */

static bool in_panic;

static void log_put(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    log_ring[(log_total + i) % CONSOLE_LOG_SIZE] = s[i];
  log_total += n;
}

/* Move queued bytes to the devices; console_lock held. */
static void kick_locked(void)
{
  while (tx_tail != tx_head) {
    unsigned int room = arch_console_tx_room();
    if (!room)
      break;
    size_t at = tx_tail % CONSOLE_TX_SIZE;
    /* One contiguous piece of the ring at a time. */
    size_t n = MIN((size_t)room, (size_t)(tx_head - tx_tail));
    n = MIN(n, CONSOLE_TX_SIZE - at);
    arch_console_tx(&tx_ring[at], (unsigned int)n);
    tx_tail += n;
  }
}

void console_kick(void)
{
  /* The timer interrupt kicks too; a CPU that finds the lock taken
   * leaves the work to its holder, who drains before letting go. */
  unsigned long flags = arch_irq_save();
  if (spin_trylock(&console_lock)) {
    kick_locked();
    spin_unlock(&console_lock);
  }
  arch_irq_restore(flags);
}

void console_flush(void)
{
  while (tx_tail != tx_head)
    console_kick();
  arch_console_drain();
}

static void tx_put(const char *s, size_t n)
{
  net_console_put(s, n); /* the network's copy never waits (net/net_out.c) */
  for (size_t i = 0; i < n; i++) {
    while (tx_head - tx_tail == CONSOLE_TX_SIZE)
      kick_locked(); /* full: wait for the devices rather than drop */
    tx_ring[tx_head % CONSOLE_TX_SIZE] = s[i];
    tx_head++;
  }
}

size_t console_log_read(uint64_t *pos, char *buf, size_t n)
{
  uint64_t oldest = log_total > CONSOLE_LOG_SIZE ? log_total - CONSOLE_LOG_SIZE : 0;
  if (*pos < oldest)
    *pos = oldest;
  size_t done = 0;
  while (done < n && *pos < log_total) {
    buf[done++] = log_ring[*pos % CONSOLE_LOG_SIZE];
    (*pos)++;
  }
  return done;
}

uint64_t console_log_total(void) { return log_total; }

size_t console_tx_queued(void) { return (size_t)(tx_head - tx_tail); }

/* 1970-01-01 + days -> year, month (1..12), day (1..31) in the proleptic
 * Gregorian calendar: count 400-year eras of 146097 days from 0000-03-01,
 * so that the leap day is the last day of a year. */
static void civil_from_days(int64_t days, int64_t *y, unsigned int *m, unsigned int *d)
{
  days += 719468; /* days from 0000-03-01 to 1970-01-01 */
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned int doe = (unsigned int)(days - era * 146097);                   /* 0..146096 */
  unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
  unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
  unsigned int mp = (5 * doy + 2) / 153;                                    /* 0 = March */
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "[YYYY-MM-DD HH:MM:SS] " (with_ms: ".mmm" before the ']') for the wall
 * clock now; 0 (nothing written) when there is none. */
static int date_stamp(char *buf, size_t size, uint64_t ns, bool with_ms)
{
  uint64_t wall_sec;
  uint32_t wall_nsec;
  arch_wallclock(&wall_sec, &wall_nsec);
  if (!wall_sec)
    return 0;
  uint64_t t = wall_nsec + ns;
  uint64_t sec = wall_sec + t / 1000000000ULL;
  unsigned int s = (unsigned int)(sec % 86400), mon, day;
  int64_t year;
  civil_from_days((int64_t)(sec / 86400), &year, &mon, &day);
  int n = snprintf(buf, size, "[%04lld-%02u-%02u %02u:%02u:%02u", (long long)year, mon, day,
                   s / 3600, s / 60 % 60, s % 60);
  if (with_ms)
    n += snprintf(buf + n, size - (size_t)n, ".%03u", (unsigned int)(t % 1000000000ULL / 1000000));
  return n + snprintf(buf + n, size - (size_t)n, "] ");
}

/* The start of a line as console_timestamps asks (Xen's formats), with
 * the blank after it; nothing for none.  buf holds at least 64 bytes.
 * Returns the length. */
static int timestamp(char *buf, size_t size)
{
  uint64_t ns = arch_now_ns();
  int n;

  buf[0] = '\0';
  switch (console_timestamps) {
  case CONSOLE_TS_NONE: return 0;
  case CONSOLE_TS_DATE:
  case CONSOLE_TS_DATEMS:
    /* Without a wall clock (the RTC was unreadable, or is not read yet:
     * the first lines of a boot) seconds since boot, as Xen does. */
    n = date_stamp(buf, size, ns, console_timestamps == CONSOLE_TS_DATEMS);
    if (n)
      return n;
    break;
  case CONSOLE_TS_RAW:
    /* Xen's raw stamp is get_cycles(), on x86 the TSC as it is (not since
     * boot), in 16 hex digits: ours is the same counter. */
    return snprintf(buf, size, "[%016llx] ", (unsigned long long)arch_cycles());
  case CONSOLE_TS_BOOT: break;
  }
  return snprintf(buf, size, "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000ULL),
                  (unsigned long long)(ns % 1000000000ULL / 1000));
}

static const void *line_owner; /* whose raw line is unfinished on the devices */

/* End the unfinished raw line on the devices, if any; console_lock held.
 * The log ring never has one: it takes whole lines only. */
static void end_line_locked(void)
{
  if (!line_owner)
    return;
  tx_put("\r\n", 2);
  line_owner = NULL;
}

void console_put_raw(const void *owner, const char *s, size_t n)
{
  if (!n)
    return;
  unsigned long flags = arch_irq_save();
  spin_lock(&console_lock);
  if (line_owner != owner)
    end_line_locked(); /* another guest's raw line (the focus moved) */
  tx_put(s, n);
  /* A line end leaves the devices at the start of a line: nothing needs
   * ending before the next line of someone else. */
  line_owner = s[n - 1] == '\n' ? NULL : owner;
  kick_locked();
  spin_unlock(&console_lock);
  arch_irq_restore(flags);
}

void console_end_line(const void *owner)
{
  unsigned long flags = arch_irq_save();
  spin_lock(&console_lock);
  if (line_owner == owner) {
    end_line_locked();
    kick_locked();
  }
  spin_unlock(&console_lock);
  arch_irq_restore(flags);
}

bool console_line_is(const void *owner) { return line_owner == owner; }

/* Put one whole line (len bytes, no line end) into the log ring with
 * `ring` and onto the devices with `devices`, ending a raw line there
 * first.  The log gets "\n", the devices "\r\n" (serial terminals want CR). */
static void put_line(const char *line, size_t len, bool devices, bool ring)
{
  unsigned long flags = arch_irq_save(); /* one line stays in one piece */
  spin_lock(&console_lock);
  if (ring) {
    log_put(line, len);
    log_put("\n", 1);
  }
  if (devices) {
    end_line_locked(); /* a guest's unfinished raw line ends first */
    tx_put(line, len);
    tx_put("\r\n", 2);
    kick_locked();
  }
  spin_unlock(&console_lock);
  arch_irq_restore(flags);
}

bool console_to_ring;

void console_guest_line(const char *name, const char *text, size_t n, bool devices, bool ring)
{
  char line[CONSOLE_LINE_MAX];
  int h = timestamp(line, sizeof(line));
  h += snprintf(line + h, sizeof(line) - (size_t)h, "(%s) ", name);
  size_t len = MIN((size_t)h, sizeof(line) - 1);
  /* A prefixed line is a log line: no byte of it may move the cursor or
   * restyle the terminal, or an unfocused guest could draw over the one
   * being typed to, or pass for the hypervisor after a CR. */
  for (size_t i = 0; i < n && len < sizeof(line); i++) {
    unsigned char c = (unsigned char)text[i];
    line[len++] = c == '\t' || (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  put_line(line, len, devices, ring);
}

/* Write one line: timestamp, text. */
void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
  char line[CONSOLE_LINE_MAX];
  int n = timestamp(line, sizeof(line));
  int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
  size_t len = (size_t)n + MIN((size_t)m, sizeof(line) - n - 1);
  while (len > (size_t)n && line[len - 1] == '\n')
    len--; /* we add the line end ourselves */
  /* A message the devices do not show leaves a guest's raw line alone. */
  put_line(line, len, lvl <= console_loglvl || in_panic, true);
}

void printk(enum log_level lvl, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprintk(lvl, fmt, ap);
  va_end(ap);
}

void panic(const char *fmt, ...)
{
  char msg[256];
  va_list ap;

  if (in_panic) /* a panic while panicking: just stop */
    arch_halt_forever();
  in_panic = true;
  /* A panic may come from inside printk on this CPU: the message matters
   * more than the lock, so take it over. */
  __atomic_store_n(&console_lock.owner, __atomic_load_n(&console_lock.next, __ATOMIC_RELAXED),
                   __ATOMIC_RELEASE);
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  printk(LOG_ERR, "PANIC: %s", msg);
  printk(LOG_ERR, "mica: halted");
  console_flush();
  arch_halt_forever();
}
