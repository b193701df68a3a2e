/* crash: a guest that misbehaves on purpose, so a test can check that the
 * hypervisor contains it (the domain dies or is refused, nothing else
 * does).  What it does is chosen by "crash=<how>" on its command line:
 *
 *   crash=triple  empty IDT, then int3: a triple fault.  Expect the domain
 *                 crashed.
 *   crash=ept     jump to a guest-physical address far above the
 *                 domain's memory: an instruction fetch from a hole, an
 *                 EPT violation that is never emulated (a read or write
 *                 there is: see the mmio guest).  Expect the domain
 *                 crashed.
 *   crash=io      a burst of port I/O to ports the guest does not own,
 *                 including ones that would reset or power off the
 *                 machine.  Expect the writes dropped and "TEST PASS".
 *
 * Any line "crash: ... survived" means the hypervisor let the guest run
 * on after what should have stopped it; the guest then fails. */
#include "guest.h"

#define DEBUGCON_PORT 0xe9

static void crash_triple(void)
{
  puts("crash: triple fault now");
  guest_triple_fault();
}

/* The highest guest-physical address bit the CPU allows (CPUID 0x80000008
 * EAX[7:0], SDM vol. 2 CPUID); 36 if the leaf is missing. */
static unsigned phys_addr_bits(void)
{
  uint32_t eax, ebx, ecx, edx;

  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000000));
  if (eax < 0x80000008)
    return 36;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000008));
  return eax & 0xff;
}

static int crash_ept(void)
{
  /* 448 GiB, or the top 2 MiB the CPU can address if that is lower: an
   * address above MAXPHYADDR would be a reserved-bit #PF in the guest,
   * never reaching EPT. */
  uint64_t gpa = 0x7000000000ULL;
  uint64_t top = (1ULL << phys_addr_bits()) - (1ULL << 21);
  if (gpa > top)
    gpa = top;

  if (paging_map_2m(gpa) != 0) {
    printf("crash: cannot map 0x%llx\n", (unsigned long long)gpa);
    return 1;
  }
  printf("crash: EPT violation now: running guest-physical 0x%llx\n", (unsigned long long)gpa);
  ((void (*)(void))(uintptr_t)gpa)();
  printf("crash: a call to 0x%llx survived\n", (unsigned long long)gpa);
  return 1;
}

/* A small linear congruential generator: the same "random" ports on
 * every run, so a failure can be reproduced. */
static uint32_t lcg_state = 12345;

static uint32_t lcg_next(void)
{
  lcg_state = lcg_state * 1103515245 + 12345;
  return lcg_state >> 8;
}

static int crash_io(void)
{
  /* Ports whose real devices would end the run if a write got through:
   * each one resets, powers off, or silences the machine. */
  static const struct {
    uint16_t port;
    uint8_t value;
    const char *what;
  } dangerous[] = {
      {0xcf9, 0x06, "reset control: hard reset"},
      {0x64, 0xfe, "keyboard controller: pulse reset line"},
      {0x92, 0x01, "system control port A: fast reset"},
      {0x70, 0x80, "CMOS index: disable NMI"},
      {0x21, 0xff, "PIC master: mask all"},
      {0x43, 0x30, "PIT: reprogram channel 0"},
      {0x3f9, 0x00, "COM1 interrupt enable"},
  };
  unsigned writes = 0, reads = 0;
  uint32_t seen = 0;

  puts("crash: wild port I/O now");
  for (size_t i = 0; i < sizeof(dangerous) / sizeof(dangerous[0]); i++) {
    printf("crash: outb 0x%02x -> port 0x%x (%s)\n", dangerous[i].value, dangerous[i].port,
           dangerous[i].what);
    outb(dangerous[i].port, dangerous[i].value);
    writes++;
  }

  /* Bochs and QEMU power off on these: a string to 0x8900, ACPI S5 to
   * the PM1a control block QEMU puts at 0x604. */
  puts("crash: emulator power-off ports 0x8900 and 0x604");
  for (const char *p = "Shutdown"; *p; p++, writes++)
    outb(0x8900, (uint8_t)*p);
  outw(0x604, 0x2000);
  writes++;

  /* PCI configuration space: an address, then a write of its data. */
  puts("crash: PCI config 0xcf8/0xcfc");
  outl(0xcf8, 0x80000004); /* bus 0 device 0, command register */
  outl(0xcfc, 0);
  writes += 2;
  seen ^= inl(0xcfc);
  reads++;

  /* Then a pseudo-random burst over 0x80..0xff (DMA pages, PIC 2,
   * POST codes, ...) and a few anywhere in the 64 KiB port space.  Port
   * 0xe9 is skipped: it is Xen's HVM debug console, where a byte written
   * is guest output (legitimate, and it would garble the log). */
  puts("crash: 256 random writes to 0x80..0xff, 64 anywhere, reads between");
  for (int i = 0; i < 256; i++) {
    uint32_t r = lcg_next();
    uint16_t port = (uint16_t)(0x80 + (r & 0x7f));
    if (port == DEBUGCON_PORT)
      continue;
    outb(port, (uint8_t)(r >> 8));
    writes++;
    if ((i & 7) == 0) {
      seen ^= inb((uint16_t)(0x80 + ((r >> 16) & 0x7f)));
      reads++;
    }
  }
  for (int i = 0; i < 64; i++) {
    uint32_t r = lcg_next();
    if ((uint16_t)r == DEBUGCON_PORT)
      continue;
    outb((uint16_t)r, (uint8_t)(r >> 16));
    writes++;
  }

  printf("crash: port I/O survived: %u writes, %u reads (xor of reads 0x%x)\n", writes, reads,
         seen);
  return 0;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  char how[16];

  printf("crash: cmdline '%s'\n", cmdline);
  if (cmdline_get(cmdline, "crash", how, sizeof(how))) {
    if (strcmp(how, "triple") == 0)
      crash_triple();
    if (strcmp(how, "ept") == 0)
      return crash_ept();
    if (strcmp(how, "io") == 0)
      return crash_io();
  }
  puts("crash: usage: crash=triple|ept|io; crashing anyway");
  return 1;
}
