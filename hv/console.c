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
 * interrupt handlers never take), held with interrupts off. */
#include <arch/arch.h>
#include <hv/console.h>
#include <hv/net.h>
#include <hv/spinlock.h>
#include <hv/string.h>

static struct spinlock console_lock = SPINLOCK_INIT;

enum log_level console_loglvl = LOG_INFO;

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

static const void *line_owner; /* whose line is unfinished on the devices */

/* End the unfinished line, if any; console_lock held. */
static void end_line_locked(void)
{
  if (!line_owner)
    return;
  log_put("\n", 1);
  tx_put("\r\n", 2);
  line_owner = NULL;
}

/* "[seconds.micros] ", the start of every line. */
static int timestamp(char *buf, size_t size)
{
  uint64_t ns = arch_now_ns();
  return snprintf(buf, size, "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000ULL),
                  (unsigned long long)(ns % 1000000000ULL / 1000));
}

void console_put_partial(const void *owner, const char *prefix, const char *s, size_t n)
{
  char head[64];
  int h;
  unsigned long flags = arch_irq_save();
  spin_lock(&console_lock);
  if (line_owner != owner) {
    end_line_locked();
    h = timestamp(head, sizeof(head));
    h += snprintf(head + h, sizeof(head) - (size_t)h, "%s", prefix);
    h = MIN(h, (int)sizeof(head) - 1);
    log_put(head, (size_t)h);
    tx_put(head, (size_t)h);
    line_owner = owner;
  }
  log_put(s, n);
  tx_put(s, n);
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

/* Write one line: timestamp, text, CR LF (serial terminals want CR). */
void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
  char line[512];
  int n = timestamp(line, sizeof(line));
  int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
  size_t len = (size_t)n + MIN((size_t)m, sizeof(line) - n - 1);
  while (len > (size_t)n && line[len - 1] == '\n')
    len--; /* we add the line end ourselves */

  unsigned long flags = arch_irq_save(); /* one line stays in one piece */
  spin_lock(&console_lock);
  end_line_locked(); /* a guest's unfinished line ends first */
  log_put(line, len);
  log_put("\n", 1);
  if (lvl <= console_loglvl || in_panic) {
    tx_put(line, len);
    tx_put("\r\n", 2);
    kick_locked();
  }
  spin_unlock(&console_lock);
  arch_irq_restore(flags);
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
