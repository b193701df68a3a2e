/* console: the PV console ring and console input, seen from a guest.
 *
 * mode=ring (a domU): checks what a domU is told about its ring
 *   (HVM_PARAM_CONSOLE_PFN/_EVTCHN, STORE_PFN 0, the port's status, the
 *   reserved page in the memory map), writes a greeting through the ring,
 *   then lines=N numbered lines as fast as the ring takes them (waiting on
 *   the port when it is full), then reads echo=K lines of input from the
 *   ring and prints each one's bytes in hex (prompt=1: after a prompt
 *   without a line end, as a shell does).  broken=1 first claims more
 *   output than the ring holds, then repairs the index.
 * mode=read (dom0): binds VIRQ_CONSOLE and reads lines=K lines with
 *   CONSOLEIO_read, printing each one's bytes in hex.
 * Lines of input end at CR or LF. */
#include <stdbool.h>

#include <public/console.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define CONSOLE_GFN 0xfefffULL /* where mica puts a domU's ring */

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const s = (volatile struct shared_info *)shinfo_page;
static volatile struct xencons_interface *ring;
static unsigned int port;
static int failures;
static unsigned long waits; /* times the output ring was full */

static long evtchn_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, PTR(arg));
}
static long sched_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, PTR(arg));
}

static void check(const char *what, long got, long want)
{
  if (got == want)
    return;
  failures++;
  printf("console: FAIL %s: got %ld want %ld\n", what, got, want);
}

static long get_param(unsigned int index, uint64_t *value)
{
  struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
  long rc = hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, PTR(&p));
  *value = p.value;
  return rc;
}

/* Wait until port p is pending (SCHEDOP_poll), then clear it. */
static void wait_port(unsigned int p)
{
  evtchn_port_t ports[1] = {p};
  struct sched_poll sp = {.ports = PTR(ports), .nr_ports = 1, .timeout = 0};
  sched_op(SCHEDOP_poll, &sp);
  __atomic_fetch_and(&s->evtchn_pending[p / 64], ~(1UL << (p % 64)), __ATOMIC_SEQ_CST);
}

static void notify(void)
{
  struct evtchn_send sd = {.port = port};
  evtchn_op(EVTCHNOP_send, &sd);
}

/* Write len bytes to the output ring, waiting for room when it is full. */
static void ring_write(const char *buf, unsigned int len)
{
  while (len) {
    uint32_t prod = ring->out_prod;
    uint32_t cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
    if (prod - cons == XENCONS_OUT_SIZE) {
      waits++;
      wait_port(port);
      continue;
    }
    while (len && prod - cons < XENCONS_OUT_SIZE) {
      ring->out[MASK_XENCONS_IDX(prod, ring->out)] = *buf++;
      prod++;
      len--;
    }
    __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
    notify();
  }
}

static void ring_printf(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
static void ring_printf(const char *fmt, ...)
{
  char line[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  ring_write(line, (unsigned int)n);
}

/* Wait until the backend has taken everything (so console_io lines that
 * follow come after it). */
static void ring_flush(void)
{
  while (__atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE) != ring->out_prod)
    wait_port(port);
}

/* One byte of input from the ring, waiting for it. */
static char ring_getc(void)
{
  for (;;) {
    uint32_t cons = ring->in_cons;
    if (cons != __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE)) {
      char c = ring->in[MASK_XENCONS_IDX(cons, ring->in)];
      __atomic_store_n(&ring->in_cons, cons + 1, __ATOMIC_RELEASE);
      notify();
      return c;
    }
    wait_port(port);
  }
}

/* One byte typed for dom0, waiting on VIRQ_CONSOLE's port. */
static unsigned int virq_port;
static char io_getc(void)
{
  for (;;) {
    char c;
    long n = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, 1, PTR(&c));
    if (n == 1)
      return c;
    check("console_io read", n, 0);
    wait_port(virq_port);
  }
}

/* A line (up to CR or LF, which is not kept) as hex bytes in `text`; a
 * line of more than LONG_LINE bytes as its length and the sum of its
 * bytes instead (a pasted line: the test compares both). */
#define LONG_LINE 48
static void read_line(char (*getc)(void), char *text, unsigned int size)
{
  unsigned int n = 0, len = 0, sum = 0;
  text[0] = '\0';
  for (;;) {
    char c = getc();
    if (c == '\r' || c == '\n') {
      if (!len)
        continue; /* the LF after a CR, or an empty line */
      if (len > LONG_LINE)
        snprintf(text, size, "%u bytes, sum %u", len, sum);
      return;
    }
    len++;
    sum += (uint8_t)c;
    if (n + 4 < size)
      n += (unsigned int)snprintf(text + n, size - n, "%s%02x", n ? " " : "", (uint8_t)c);
  }
}

static int map_shared_info(void)
{
  struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                 .space = XENMAPSPACE_shared_info,
                                 .idx = 0,
                                 .gpfn = PTR(shinfo_page) >> 12};
  return (int)hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, PTR(&x));
}

/* What a domU is told about its console. */
static void check_setup(const struct hvm_start_info *si)
{
  uint64_t v;
  check("get CONSOLE_PFN", get_param(HVM_PARAM_CONSOLE_PFN, &v), 0);
  check("CONSOLE_PFN", (long)v, (long)CONSOLE_GFN);
  check("get CONSOLE_EVTCHN", get_param(HVM_PARAM_CONSOLE_EVTCHN, &v), 0);
  port = (unsigned int)v;
  check("CONSOLE_EVTCHN is a port", port > 0 && port < 64, 1);
  check("get STORE_PFN", get_param(HVM_PARAM_STORE_PFN, &v), 0);
  check("STORE_PFN reads 0 (no store)", (long)v, 0);

  struct xen_hvm_param p = {.domid = DOMID_SELF, .index = HVM_PARAM_CONSOLE_PFN, .value = 5};
  check("set CONSOLE_PFN itself", hypercall2(__HYPERVISOR_hvm_op, HVMOP_set_param, PTR(&p)),
        -XEN_EPERM);

  struct evtchn_status st = {.dom = DOMID_SELF, .port = port};
  check("status of the console port", evtchn_op(EVTCHNOP_status, &st), 0);
  check("console port: interdomain", st.status, EVTCHNSTAT_interdomain);
  check("console port: to the hypervisor", st.u.interdomain.dom, DOMID_XEN);

  bool reserved = false;
  const struct hvm_memmap_table_entry *e =
      (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
  for (unsigned int i = 0; i < si->memmap_entries; i++)
    if (e[i].addr == CONSOLE_GFN << 12 && e[i].size == 4096 &&
        e[i].type == XEN_HVM_MEMMAP_TYPE_RESERVED)
      reserved = true;
  check("ring page reserved in the memory map", reserved, 1);
  ring = (volatile struct xencons_interface *)(uintptr_t)(CONSOLE_GFN << 12);
  check("ring starts empty", ring->out_prod | ring->out_cons | ring->in_prod | ring->in_cons, 0);
}

static int mode_ring(const struct hvm_start_info *si)
{
  check_setup(si);
  if (failures)
    return 1;
  ring_printf("console: hello through the ring\n");

  unsigned long lines = cmdline_num(guest_cmdline(si), "lines", 0);
  for (unsigned long i = 0; i < lines; i++) {
    /* Each line's text follows from its number, so the test can check
     * every byte of it. */
    unsigned long x = i * 2654435761UL % 1000000007UL;
    ring_printf("flood %05lu %010lu %010lu abcdefghijklmnopqrstuvwxyz\n", i, x, x ^ 0x5a5a5a5aUL);
  }
  ring_flush();
  if (lines)
    printf("console: flood done: %lu lines, the ring was full %lu times\n", lines, waits);

  if (cmdline_num(guest_cmdline(si), "broken", 0)) {
    /* Claim more output than the ring holds: the backend must refuse it
     * (and say so), and take the ring back once the indices are sane. */
    uint32_t prod = ring->out_prod;
    __atomic_store_n(&ring->out_prod, prod + XENCONS_OUT_SIZE + 1, __ATOMIC_RELEASE);
    notify();
    check("broken ring: nothing taken", (long)(ring->out_cons - prod), 0);
    __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
    ring_printf("console: the ring works again\n");
    ring_flush();
  }

  unsigned long echo = cmdline_num(guest_cmdline(si), "echo", 0);
  bool prompt = cmdline_num(guest_cmdline(si), "prompt", 0);
  for (unsigned long i = 0; i < echo; i++) {
    char hex[200];
    if (prompt) /* a shell's prompt: no line end before the input */
      ring_printf("console: line %lu> ", i + 1);
    else
      ring_printf("console: reading line %lu\n", i + 1);
    read_line(ring_getc, hex, sizeof(hex));
    ring_printf("console: got %s\n", hex);
  }
  ring_flush();
  return failures != 0;
}

static int mode_read(const struct hvm_start_info *si)
{
  struct evtchn_bind_virq b = {.virq = VIRQ_CONSOLE, .vcpu = 0};
  check("bind VIRQ_CONSOLE", evtchn_op(EVTCHNOP_bind_virq, &b), 0);
  virq_port = b.port;
  unsigned long lines = cmdline_num(guest_cmdline(si), "lines", 1);
  for (unsigned long i = 0; i < lines; i++) {
    char hex[200];
    printf("console: dom0 reading line %lu\n", i + 1);
    read_line(io_getc, hex, sizeof(hex));
    printf("console: dom0 got %s\n", hex);
  }
  return failures != 0;
}

int guest_main(const struct hvm_start_info *si)
{
  char mode[16] = "ring";
  cmdline_get(guest_cmdline(si), "mode", mode, sizeof(mode));
  if (map_shared_info()) {
    printf("console: cannot map shared_info\n");
    return 1;
  }
  if (!strcmp(mode, "ring"))
    return mode_ring(si);
  if (!strcmp(mode, "read"))
    return mode_read(si);
  printf("console: unknown mode '%s'\n", mode);
  return 1;
}
