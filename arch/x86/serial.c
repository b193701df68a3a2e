/* Console devices: 16550 UARTs (COM1, COM2), the 0xE9 debug port and the
 * screen (screen_con.c, "vga").
 * Output is polled (hv/console.c decides when to send).  Input comes by
 * the receive interrupt, through the I/O APIC, into a ring: the 16-byte
 * FIFO fills in 1.4 ms at 115200 baud, far sooner than the console mux
 * polls, so a pasted line would otherwise lose all but its first 16 bytes.
 * Without an I/O APIC the UARTs are polled (and long input is cut). */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <arch/screen.h>
#include <arch/traps.h>
#include <hv/console_list.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/string.h>

/* 16550 registers (offsets from the base port) and bits. */
#define UART_THR 0
#define UART_RBR 0
#define UART_IER 1
#define UART_DLL 0
#define UART_DLM 1
#define UART_FCR 2
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_DR 0x01   /* a received byte waits */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter completely empty */
#define FCR_ENABLE_CLEAR 0x07
#define IIR_FIFO_ON 0xc0 /* both bits: a working 16-byte FIFO (16550A) */
#define FIFO_16550A 16
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the UART's interrupt line on a PC */
#define IER_RX 0x01           /* interrupt when a received byte waits */

#define DEBUGCON_PORT 0xe9

struct uart {
  const char *name;
  uint16_t port;
  bool enabled;
  bool present;      /* initialised once; reprogramming would cut a byte in flight */
  unsigned int fifo; /* bytes it takes at once when THRE says it is empty */
  unsigned int irq;  /* its ISA interrupt */
  bool rx_irq;       /* its input arrives by interrupt, into rx_ring */
};

static struct uart uarts[] = {
    {"com1", 0x3f8, false, false, 1, 4, false},
    {"com2", 0x2f8, false, false, 1, 3, false},
};
static bool e9_enabled;

/* Received bytes: written only by serial_rx_irq (on the CPU the I/O APIC
 * sends to), read only by arch_console_getc, so no lock is needed; the
 * indices run free and are taken modulo the size. */
#define RX_RING 4096
static volatile uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_prod, rx_cons;
static volatile unsigned long rx_lost; /* bytes that found the ring full */
static unsigned long rx_lost_said;     /* how many of them were reported */

/* 115200 8N1, FIFOs on, interrupts off.  Returns false when no UART
 * answers at the port (the scratch register does not hold a value). */
static bool uart_init(struct uart *u)
{
  if (u->present)
    return true;
  outb(u->port + UART_SCR, 0x5a);
  if (inb(u->port + UART_SCR) != 0x5a)
    return false;
  outb(u->port + UART_IER, 0);
  outb(u->port + UART_LCR, LCR_DLAB);
  outb(u->port + UART_DLL, 1); /* 115200 baud: divisor 1 */
  outb(u->port + UART_DLM, 0);
  outb(u->port + UART_LCR, LCR_8N1);
  outb(u->port + UART_FCR, FCR_ENABLE_CLEAR);
  outb(u->port + UART_MCR, MCR_DTR_RTS_OUT2);
  /* THRE on a 16550A means its whole transmit FIFO is empty: 16 bytes
   * may go at once (an 8250 or 16550 without FIFO takes one). */
  u->fifo = (inb(u->port + UART_IIR) & IIR_FIFO_ON) == IIR_FIFO_ON ? FIFO_16550A : 1;
  u->present = true;
  return true;
}

/* console= names: bit i of a device set is names[i]; the UARTs first, in
 * uarts[]'s order. */
static const char *const console_names[] = {"com1", "com2", "e9", "vga"};
#define DEV_E9 (1u << 2)
#define DEV_VGA (1u << 3)
_Static_assert(ARRAY_SIZE(uarts) == 2, "console_names lists the UARTs first");

int arch_console_select(const char *list, const char **bad, size_t *bad_len)
{
  unsigned int devs;
  int err = console_list_parse(list, console_names, ARRAY_SIZE(console_names), &devs, bad, bad_len);
  if (err)
    return err; /* nothing switched: the devices on now can say so */
  for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++)
    uarts[i].enabled = (devs & (1u << i)) && uart_init(&uarts[i]);
  e9_enabled = devs & DEV_E9;
  if (!screen_con_select(devs & DEV_VGA))
    pr_warn("console: vga: no screen known (the boot loader passed none this console can "
            "draw); not used");
  return 0;
}

unsigned int arch_console_tx_room(void)
{
  /* The slowest enabled UART decides; without one, output never waits
   * (the screen never does). */
  unsigned int room = 256;
  for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++) {
    if (!uarts[i].enabled)
      continue;
    if (!(inb(uarts[i].port + UART_LSR) & LSR_THRE))
      return 0;
    room = MIN(room, uarts[i].fifo);
  }
  return room;
}

/* The receive interrupt: move every waiting byte into the ring.  A UART
 * no longer selected is still emptied (its bytes dropped), or its line
 * would stay raised and, edge-triggered, never interrupt again. */
static void serial_rx_irq(struct cpu_regs *regs)
{
  (void)regs;
  for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++) {
    struct uart *u = &uarts[i];
    if (!u->rx_irq)
      continue;
    while (inb(u->port + UART_LSR) & LSR_DR) {
      uint8_t c = inb(u->port + UART_RBR);
      if (!u->enabled)
        continue;
      if (rx_prod - rx_cons == RX_RING) {
        rx_lost++;
        continue;
      }
      rx_ring[rx_prod % RX_RING] = c;
      barrier(); /* the byte before the index that publishes it */
      rx_prod = rx_prod + 1;
    }
  }
  lapic_eoi();
}

void serial_rx_irq_init(void)
{
  traps_set_irq_handler(VEC_SERIAL, serial_rx_irq);
  for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++) {
    struct uart *u = &uarts[i];
    if (!u->present)
      continue;
    int err = ioapic_route_isa(u->irq, VEC_SERIAL, lapic_id());
    if (err) {
      pr_warn("serial: %s: no interrupt (IRQ %u: error %d): input is polled, long input may "
              "lose bytes",
              u->name, u->irq, err);
      continue;
    }
    u->rx_irq = true;
    outb(u->port + UART_IER, IER_RX);
  }
}

int arch_console_getc(void)
{
  unsigned long lost = rx_lost;
  if (lost != rx_lost_said) {
    pr_warn("serial: %lu input bytes lost: the input ring (%u bytes) was full", lost - rx_lost_said,
            RX_RING);
    rx_lost_said = lost;
  }
  if (rx_cons != rx_prod) {
    int c = rx_ring[rx_cons % RX_RING];
    barrier(); /* read the byte before giving its slot back */
    rx_cons = rx_cons + 1;
    return c;
  }
  for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++)
    if (uarts[i].enabled && !uarts[i].rx_irq && (inb(uarts[i].port + UART_LSR) & LSR_DR))
      return inb(uarts[i].port + UART_RBR);
  return -1;
}

void arch_console_tx(const char *s, unsigned int n)
{
  for (unsigned int k = 0; k < n; k++) {
    for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++)
      if (uarts[i].enabled)
        outb(uarts[i].port + UART_THR, (uint8_t)s[k]);
    if (e9_enabled)
      outb(DEBUGCON_PORT, (uint8_t)s[k]);
  }
  screen_con_tx(s, n); /* the screen takes any amount at once */
}

void arch_console_drain(void)
{
  /* Emulated UARTs, like real ones, still shift the last byte out after
   * THRE: wait for TEMT so power-off does not cut it. */
  for (unsigned int i = 0; i < ARRAY_SIZE(uarts); i++)
    if (uarts[i].enabled)
      for (unsigned int spin = 0; spin < 10000000 && !(inb(uarts[i].port + UART_LSR) & LSR_TEMT);
           spin++)
        cpu_relax();
}
