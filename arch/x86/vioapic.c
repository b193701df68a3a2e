/* The hardware domain's I/O APICs: one emulated I/O APIC (82093AA
 * register set, version 0x11 as Xen shows it) at each host I/O
 * APIC's address, with as many pins, each bound to the real line of the
 * same GSI, as Xen binds a PVH dom0's vIOAPIC to the host's GSIs
 * (xen/arch/x86/hvm/vioapic.c, hvm/irq.c).  Only the hypervisor programs
 * the real I/O APICs: a pin dom0 unmasks gets a host vector of ours on
 * the boot CPU; the interrupt handler passes it on as dom0's vector to
 * the vcpu the entry names.  A level-triggered line is masked at the real
 * I/O APIC from its interrupt until dom0's EOI (its local APIC's EOI of a
 * vector whose TMR bit is set, or a write to this I/O APIC's EOI
 * register), so it neither storms nor is lost: if the device still
 * asserts it, it fires again once unmasked.  The lines of the devices the
 * hypervisor keeps (its UARTs) are never bound. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/ioapic.h>
#include <arch/irq_bind.h>
#include <arch/vioapic.h>
#include <hv/domain.h>
#include <hv/printk.h>
#include <hv/string.h>

/* Registers (82093AA datasheet 3.0; EOI from the version 0x20 parts). */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOEOI 0x40
#define REG_ID 0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define REG_RTE 0x10
#define VIOAPIC_VERSION 0x11 /* what Xen 4.17 shows a PVH dom0 (an EOI register regardless) */

/* Redirection entry bits. */
#define RTE_VECTOR 0xffULL
#define RTE_DELIVERY_MODE (7ULL << 8)
#define RTE_DEST_LOGICAL (1ULL << 11)
#define RTE_DELIVERY_STATUS (1ULL << 12) /* read-only */
#define RTE_POLARITY_LOW (1ULL << 13)
#define RTE_REMOTE_IRR (1ULL << 14) /* read-only: a level interrupt awaits its EOI */
#define RTE_LEVEL (1ULL << 15)
#define RTE_MASKED (1ULL << 16)
#define RTE_RO (RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)
#define RTE_WRITABLE                                                                               \
  (0xff000000000000ffULL | RTE_DELIVERY_MODE | RTE_DEST_LOGICAL | RTE_POLARITY_LOW | RTE_LEVEL |   \
   RTE_MASKED)

#define MAX_PINS 120
#define MAX_GSI 256

struct vioapic {
  uint32_t base, gsi_base;
  uint8_t id;
  unsigned int nr_pins;
  uint32_t ioregsel;
  uint64_t rte[MAX_PINS];
};

static struct vioapic vioapics[ACPI_MAX_IOAPICS];
static unsigned int nr_vioapics;
static struct domain *owner;
static uint8_t gsi_vector[MAX_GSI]; /* host vector bound to a GSI; 0: none */

/* The GSIs of the devices the hypervisor keeps: its UARTs' ISA IRQs 3
 * and 4.  The PIT's line (IRQ 0) is dom0's: mica does not use the PIT
 * after calibrating its clock, and Linux, finding 8259s, checks at boot
 * that IRQ 0 ticks, which the PIT does as the firmware left it. */
static bool gsi_kept(uint32_t gsi)
{
  return gsi == acpi_info.isa_gsi[3] || gsi == acpi_info.isa_gsi[4];
}

/* The pin of gsi and its vioapic, or NULL. */
static struct vioapic *pin_of(uint32_t gsi, unsigned int *pin)
{
  for (unsigned int i = 0; i < nr_vioapics; i++) {
    struct vioapic *a = &vioapics[i];
    if (gsi >= a->gsi_base && gsi - a->gsi_base < a->nr_pins) {
      *pin = gsi - a->gsi_base;
      return a;
    }
  }
  return NULL;
}

/* A host interrupt of one of dom0's lines (in the handler): a level one
 * is masked until dom0's EOI. */
static void line_irq(void *arg, unsigned int gsi)
{
  unsigned int pin;
  struct vioapic *a = pin_of(gsi, &pin);
  (void)arg;
  if (a && (a->rte[pin] & RTE_LEVEL))
    ioapic_mask(gsi, true);
}

static void deliver(void *arg, unsigned int gsi);
static const struct irq_bind_ops line_ops = {line_irq, deliver};

/* Make the real entry of a's pin follow dom0's: bound to a host vector of
 * ours when dom0 opens it, masked when dom0 masks it or while a level
 * interrupt awaits dom0's EOI. */
static void sync_pin(struct vioapic *a, unsigned int pin)
{
  uint32_t gsi = a->gsi_base + pin;
  uint64_t rte = a->rte[pin];
  if (gsi >= MAX_GSI || gsi_kept(gsi))
    return;
  /* Only fixed and lowest-priority delivery are offered (deliver() says
   * so); a pin dom0 sets up for ExtINT, NMI or the like stays shut at the
   * real I/O APIC, so no 8259 vector ever reaches the hypervisor. */
  bool masked =
      (rte & RTE_MASKED) || (rte & RTE_REMOTE_IRR) || ((rte & RTE_DELIVERY_MODE) >> 8) > 1;
  if (!gsi_vector[gsi]) {
    if (masked)
      return; /* never opened: nothing to bind yet */
    int vec = irq_bind_alloc(&line_ops, NULL, gsi);
    if (vec < 0) {
      pr_err("vioapic: no host vector left for GSI %u: dom0's device there gets no interrupts",
             gsi);
      return;
    }
    gsi_vector[gsi] = (uint8_t)vec;
    pr_debug("vioapic: GSI %u is host vector 0x%x", gsi, gsi_vector[gsi]);
  }
  ioapic_program(gsi, gsi_vector[gsi], rte & RTE_LEVEL, rte & RTE_POLARITY_LOW, masked,
                 irq_bind_dest());
}

int vioapic_init(struct domain *d)
{
  const struct acpi_info *ai = &acpi_info;
  owner = d;
  nr_vioapics = 0;
  for (unsigned int i = 0; i < ai->nr_ioapics; i++) {
    struct vioapic *a = &vioapics[nr_vioapics++];
    memset(a, 0, sizeof(*a));
    a->base = ai->ioapics[i].addr;
    a->gsi_base = ai->ioapics[i].gsi_base;
    a->id = ai->ioapics[i].id;
    a->nr_pins = MIN(ioapic_pins(i), (unsigned int)MAX_PINS);
    for (unsigned int p = 0; p < a->nr_pins; p++)
      a->rte[p] = RTE_MASKED;
    pr_info("vioapic: dom0's I/O APIC %u at 0x%x: GSIs %u-%u, bound to the host's", a->id, a->base,
            a->gsi_base, a->gsi_base + a->nr_pins - 1);
  }
  return 0;
}

/* Deliver gsi's interrupt to dom0 as its entry says (fixed or lowest
 * priority; physical destination = vcpu id, else vcpu 0). */
static void deliver(void *arg, unsigned int gsi)
{
  unsigned int pin;
  struct vioapic *a = pin_of(gsi, &pin);
  (void)arg;
  if (!a || !owner || owner->state != DOMAIN_RUNNING)
    return;
  uint64_t rte = a->rte[pin];
  if (rte & RTE_MASKED)
    return; /* masked since: a level line stays masked at the host until unmasked */
  unsigned int mode = (rte & RTE_DELIVERY_MODE) >> 8;
  if (mode > 1) {
    pr_warn("vioapic: GSI %u: delivery mode %u is not offered: dropped", gsi, mode);
    return;
  }
  if (rte & RTE_LEVEL)
    a->rte[pin] |= RTE_REMOTE_IRR;
  irq_bind_inject((uint8_t)(rte & RTE_VECTOR), (uint32_t)(rte >> 56), rte & RTE_DEST_LOGICAL,
                  rte & RTE_LEVEL);
}

void vioapic_eoi(struct domain *d, uint8_t vector)
{
  if (d != owner)
    return;
  for (unsigned int i = 0; i < nr_vioapics; i++) {
    struct vioapic *a = &vioapics[i];
    for (unsigned int p = 0; p < a->nr_pins; p++) {
      uint64_t rte = a->rte[p];
      if ((rte & RTE_REMOTE_IRR) && (rte & RTE_VECTOR) == vector) {
        a->rte[p] = rte & ~RTE_REMOTE_IRR;
        sync_pin(a, p);
      }
    }
  }
}

static uint32_t reg_read(const struct vioapic *a)
{
  uint32_t r = a->ioregsel & 0xff;
  switch (r) {
  case REG_ID:
  case REG_ARB: return (uint32_t)a->id << 24;
  case REG_VER: return VIOAPIC_VERSION | (a->nr_pins - 1) << 16;
  default:
    if (r >= REG_RTE && (r - REG_RTE) / 2 < a->nr_pins) {
      uint64_t rte = a->rte[(r - REG_RTE) / 2];
      return (r & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    return ~0U;
  }
}

static void reg_write(struct vioapic *a, uint32_t val)
{
  uint32_t r = a->ioregsel & 0xff;
  if (r == REG_ID) {
    a->id = (val >> 24) & 0xf;
    return;
  }
  if (r < REG_RTE || (r - REG_RTE) / 2 >= a->nr_pins)
    return; /* VER, ARB and what is not there are read-only */
  unsigned int pin = (r - REG_RTE) / 2;
  uint64_t rte = a->rte[pin];
  uint64_t w = (r & 1) ? (uint64_t)val << 32 | (uint32_t)rte : (rte & ~0xffffffffULL) | val;
  a->rte[pin] = (w & RTE_WRITABLE) | (rte & RTE_RO);
  /* An edge entry has no remote IRR (82093AA: undefined; Xen clears it). */
  if (!(a->rte[pin] & RTE_LEVEL))
    a->rte[pin] &= ~RTE_REMOTE_IRR;
  sync_pin(a, pin);
}

bool vioapic_mmio(struct vcpu *v, uint64_t gpa, void *buf, unsigned int n, bool write)
{
  if (v->dom != owner)
    return false;
  for (unsigned int i = 0; i < nr_vioapics; i++) {
    struct vioapic *a = &vioapics[i];
    if (gpa < a->base || gpa - a->base >= PAGE_SIZE)
      continue;
    unsigned int off = (unsigned int)(gpa - a->base);
    uint32_t val = 0;
    if (write) {
      memcpy(&val, buf, MIN(n, 4U));
      if (off == IOREGSEL)
        a->ioregsel = val;
      else if (off == IOWIN)
        reg_write(a, val);
      else if (off == IOEOI)
        vioapic_eoi(v->dom, (uint8_t)val);
    } else {
      if (off == IOREGSEL)
        val = a->ioregsel;
      else if (off == IOWIN)
        val = reg_read(a);
      memset(buf, 0, n);
      memcpy(buf, &val, MIN(n, 4U));
    }
    return true;
  }
  return false;
}
