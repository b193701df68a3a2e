/* The hardware domain's view of the machine, x86 side: which I/O ports it
 * reaches directly (VMX I/O bitmaps) and how the ports the hypervisor
 * keeps are answered; PCI configuration space through ports 0xCF8/0xCFC
 * and the ECAM windows (both through vpci.c's filter); power and reset
 * requests turned into a shutdown of dom0 through the hypervisor; the
 * host addresses it never gets; its ACPI tables' ingredients.  The ports
 * kept are Xen's (dom0_setup_permissions in xen/arch/x86/dom0_build.c)
 * but the 8259s, which mica never uses (they stay masked at every local
 * APIC's LINT0 and I/O APIC pin): the PIT, ports 0x61, 0x92 and 0xF0, the
 * ACPI PM timer, PCI configuration data, and the hypervisor's UARTs.  With
 * the 8259s there, Linux keeps its 16 legacy IRQs, whose trigger mode the
 * first PCI user may set; under Xen it finds none ("Using NULL legacy
 * PIC") and cannot give a PCI device a level-triggered ISA IRQ ("failed
 * to register GSI").  It then also checks that IRQ 0 ticks: the PIT's
 * line is dom0's (vioapic.c), and the PIT ticks as the firmware left it,
 * dom0 being refused its ports. */
#include <arch/acpi.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/hwdom.h>
#include <arch/irq_bind.h>
#include <arch/mm.h>
#include <arch/vioapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/vpci.h>
#include <hv/acpi_build.h>
#include <hv/domain.h>
#include <hv/frame.h>
#include <hv/hwdom.h>
#include <hv/pcidev.h>
#include <hv/printk.h>
#include <hv/string.h>
#include <public/sched.h>

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc
#define PCI_CONF_ENABLE 0x80000000u
#define PORT_RESET_CONTROL 0xcf9 /* PIIX/ICH reset control register */
#define RCR_SYS_RST (1U << 1)
#define RCR_RST_CPU (1U << 2)
#define PORT_KBC_CMD 0x64
#define KBC_PULSE_RESET 0xfe
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1U << 13)

/* What a kept port is. */
enum port_kind {
  PORT_PASS,  /* not kept: the bitmap lets it through */
  PORT_HOLE,  /* the hypervisor's: reads give all ones, writes are dropped */
  PORT_PCI,   /* PCI configuration address and data */
  PORT_PM1,   /* ACPI PM1 control: sleep requests come to us */
  PORT_KBC,   /* the keyboard controller's command port: its reset pulse */
  PORT_DEBUG, /* 0xE9: dom0's debug console */
};

struct kept {
  uint16_t first, last;
  enum port_kind kind;
  const char *name;
};

/* The BARs of the PCI functions the hypervisor drives itself. */
static struct {
  const char *why;
  struct pci_bar bars[PCI_NR_BARS];
} kept_devs[4];
static unsigned int nr_kept_devs;

void hwdom_keep_pci(const struct pci_dev *d, const char *why)
{
  pcidev_hide(d->bus, (uint8_t)(d->dev << 3 | d->fn), why);
  if (nr_kept_devs == ARRAY_SIZE(kept_devs)) {
    pr_err("hwdom: more than %u devices of the hypervisor's: the BARs of %02x:%02x.%u are "
           "not kept from dom0",
           (unsigned int)ARRAY_SIZE(kept_devs), d->bus, d->dev, d->fn);
    return;
  }
  kept_devs[nr_kept_devs].why = why;
  pci_bars(d, kept_devs[nr_kept_devs++].bars);
}

/* Whether pa is in a memory BAR of one of those functions. */
static bool mmio_kept_device(uint64_t pa, const char **what)
{
  for (unsigned int i = 0; i < nr_kept_devs; i++)
    for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
      const struct pci_bar *bar = &kept_devs[i].bars[b];
      if ((bar->type == PCI_BAR_MEM32 || bar->type == PCI_BAR_MEM64) && pa >= bar->base &&
          pa - bar->base < bar->size) {
        *what = kept_devs[i].why;
        return true;
      }
    }
  return false;
}

/* Filled by io_init from the hardware and the hypervisor's use. */
static struct kept kept[24];
static unsigned int nr_kept;
static uint8_t *io_bitmap; /* 8 KiB: bitmap A (0-0x7fff), then B */
static uint32_t pci_cf8;   /* dom0's configuration address */

static void keep(uint16_t first, uint16_t last, enum port_kind kind, const char *name)
{
  if (nr_kept == ARRAY_SIZE(kept) || !first)
    return;
  kept[nr_kept++] = (struct kept){first, last, kind, name};
  for (unsigned int p = first; p <= last; p++)
    io_bitmap[p / 8] |= (uint8_t)(1U << (p % 8));
}

/* The bitmaps, made once for the one hardware domain. */
static int io_init(void)
{
  if (io_bitmap)
    return 0;
  paddr_t pa = frame_alloc_contig_zeroed(2, 1);
  if (!pa)
    return -ENOMEM;
  io_bitmap = phys_to_virt(pa);
  keep(0x40, 0x43, PORT_HOLE, "the PIT");
  keep(0x61, 0x61, PORT_HOLE, "the PIT's channel 2 gate");
  keep(0x92, 0x92, PORT_HOLE, "INIT and A20");
  keep(0xf0, 0xf0, PORT_HOLE, "IGNNE");
  keep(0x3f8, 0x3ff, PORT_HOLE, "the hypervisor's UART (com1)");
  keep(0x2f8, 0x2ff, PORT_HOLE, "the hypervisor's UART (com2)");
  keep(0x8900, 0x8900, PORT_HOLE, "the emulator's power-off port");
  keep(0xe9, 0xe9, PORT_DEBUG, "the debug console");
  keep(PCI_CONF_ADDR, PCI_CONF_DATA + 3, PORT_PCI, "PCI configuration");
  keep(PORT_KBC_CMD, PORT_KBC_CMD, PORT_KBC, "the keyboard controller");
  const struct acpi_info *ai = &acpi_info;
  if (ai->pm_tmr)
    keep((uint16_t)ai->pm_tmr, (uint16_t)(ai->pm_tmr + 3), PORT_HOLE, "the ACPI PM timer");
  if (ai->pm1a_cnt)
    keep((uint16_t)ai->pm1a_cnt, (uint16_t)(ai->pm1a_cnt + 1), PORT_PM1, "ACPI PM1a control");
  if (ai->pm1b_cnt)
    keep((uint16_t)ai->pm1b_cnt, (uint16_t)(ai->pm1b_cnt + 1), PORT_PM1, "ACPI PM1b control");
  for (unsigned int i = 0; i < nr_kept_devs; i++)
    for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
      const struct pci_bar *bar = &kept_devs[i].bars[b];
      if (bar->type == PCI_BAR_IO && bar->size && bar->base + bar->size <= 0x10000)
        keep((uint16_t)bar->base, (uint16_t)(bar->base + bar->size - 1), PORT_HOLE,
             kept_devs[i].why);
    }
  return 0;
}

int hwdom_vmcs_setup(struct vcpu *v)
{
  if (!v->dom->hwdom)
    return 0;
  int err = io_init();
  if (err)
    return err;
  uint64_t proc = vmcs_read(VMCS_PROC_CONTROLS);
  proc = (proc & ~(uint64_t)PROC_UNCOND_IO_EXITING) | PROC_USE_IO_BITMAPS;
  err |= vmcs_write(VMCS_PROC_CONTROLS, proc);
  err |= vmcs_write(VMCS_IO_BITMAP_A, virt_to_phys(io_bitmap));
  err |= vmcs_write(VMCS_IO_BITMAP_B, virt_to_phys(io_bitmap + PAGE_SIZE));
  return err ? -EIO : 0;
}

static const struct kept *find_kept(unsigned int port)
{
  for (unsigned int i = 0; i < nr_kept; i++)
    if (port >= kept[i].first && port <= kept[i].last)
      return &kept[i];
  return NULL;
}

/* Say once per range that dom0 reached for something kept. */
static void said(const struct kept *k, unsigned int port, bool in)
{
  static uint32_t reported; /* a bit per kept[] entry */
  unsigned int i = (unsigned int)(k - kept);
  if (reported & (1U << i))
    return;
  reported |= 1U << i;
  pr_info("dom0: %s of port 0x%x (%s, the hypervisor's): %s (said once)", in ? "read" : "write",
          port, k->name, in ? "all ones" : "dropped");
}

static uint32_t port_in(unsigned int port, unsigned int size)
{
  switch (size) {
  case 1: return inb((uint16_t)port);
  case 2: return inw((uint16_t)port);
  default: return inl((uint16_t)port);
  }
}

static void port_out(unsigned int port, unsigned int size, uint32_t val)
{
  switch (size) {
  case 1: outb((uint16_t)port, (uint8_t)val); break;
  case 2: outw((uint16_t)port, (uint16_t)val); break;
  default: outl((uint16_t)port, val); break;
  }
}

/* PCI configuration mechanism #1 for dom0 (PCI Local Bus Specification
 * 3.0, 3.2.2.3.2): its address register is its own; a data access goes
 * through the filter (vpci.c) to the register it names. */
static bool pci_io(unsigned int port, unsigned int size, bool in, uint32_t *val)
{
  if (port == PCI_CONF_ADDR && size == 4) {
    if (in)
      *val = pci_cf8;
    else
      pci_cf8 = *val;
    return true;
  }
  if (port < PCI_CONF_DATA) {
    /* 0xCF9 is the chipset's reset control: a reset is ours to do. */
    if (!in && port == PORT_RESET_CONTROL && size == 1 && (*val & (RCR_SYS_RST | RCR_RST_CPU)) &&
        (*val & RCR_RST_CPU)) {
      hwdom_power(SHUTDOWN_reboot, "reset control port 0xcf9");
      return true;
    }
    if (in)
      *val = port_in(port, size);
    else
      port_out(port, size, *val);
    return true;
  }
  if (!(pci_cf8 & PCI_CONF_ENABLE))
    return false;
  uint8_t bus = (uint8_t)(pci_cf8 >> 16), devfn = (uint8_t)(pci_cf8 >> 8);
  unsigned int reg = (pci_cf8 & 0xfc) | (port & 3);
  size = MIN(size, PCI_CONF_DATA + 4 - port); /* what lies past 0xCFF is no register */
  if (in)
    *val = vpci_read(bus, devfn, reg, size);
  else
    vpci_write(bus, devfn, reg, size, *val);
  return true;
}

/* PM1 control: a write with SLP_EN asks for a sleep state.  S5 (the
 * \_S5 value the hypervisor found) powers off through the hypervisor;
 * the others (suspend) are not offered and are dropped. */
static void pm1_write(unsigned int port, unsigned int size, uint32_t val)
{
  if (!(val & PM1_SLP_EN)) {
    port_out(port, size, val);
    return;
  }
  uint8_t typ = (val >> PM1_SLP_TYP_SHIFT) & 7;
  const struct acpi_info *ai = &acpi_info;
  uint8_t s5 = port == ai->pm1b_cnt ? ai->slp_typb : ai->slp_typa;
  if (ai->s5_valid && typ == s5) {
    hwdom_power(SHUTDOWN_poweroff, "ACPI S5 through PM1 control");
    return;
  }
  pr_warn("dom0: ACPI sleep type %u through PM1 control refused: only S5 (power off) is offered",
          typ);
}

bool hwdom_io(struct vcpu *v, unsigned int port, unsigned int size, bool in, uint32_t *val)
{
  const struct kept *k = find_kept(port);
  (void)v;
  if (!k)
    k = find_kept(port + size - 1); /* an access that reaches into a kept range */
  bool done = false;
  if (k) {
    switch (k->kind) {
    case PORT_PCI: done = pci_io(port, size, in, val); break;
    case PORT_PM1:
      if (in)
        *val = port_in(port, size);
      else
        pm1_write(port, size, *val);
      done = true;
      break;
    case PORT_KBC:
      if (in)
        *val = port_in(port, size);
      else if (size == 1 && (uint8_t)*val == KBC_PULSE_RESET)
        hwdom_power(SHUTDOWN_reboot, "the keyboard controller's reset pulse");
      else
        port_out(port, size, *val);
      done = true;
      break;
    case PORT_DEBUG: return false; /* the caller's debug console */
    case PORT_HOLE:
    case PORT_PASS: said(k, port, in); break;
    }
  } else {
    /* Not kept, yet it exited: the bitmap is not in use; pass it on. */
    if (in)
      *val = port_in(port, size);
    else
      port_out(port, size, *val);
    done = true;
  }
  if (!done && in)
    *val = ~0U;
  return true;
}

void hwdom_power(unsigned int reason, const char *how)
{
  struct domain *d = domain_list;
  while (d && !d->hwdom)
    d = d->next;
  if (!d)
    return;
  pr_info("dom0: %s by %s: through the hypervisor",
          reason == SHUTDOWN_reboot ? "reboot" : "power off", how);
  domain_shutdown(d, reason);
}

/* The MCFG's ECAM windows are dom0's configuration space too, emulated
 * from the start as Xen's pvh_setup_mmcfg registers them. */
static void ecam_init(void)
{
  for (unsigned int i = 0; i < acpi_info.nr_mcfg; i++) {
    const struct acpi_mcfg *m = &acpi_info.mcfg[i];
    int err = vpci_ecam_add(m->address, m->seg, m->start_bus, m->end_bus);
    if (!err)
      err = pcidev_mcfg(m->address, m->seg, m->start_bus, m->end_bus);
    if (err) /* at 64 TiB or beyond: never mapped into dom0 either */
      pr_err("dom0: ECAM of segment %u buses %u-%u at 0x%llx is not emulated (%d)", m->seg,
             m->start_bus, m->end_bus, (unsigned long long)m->address, err);
    else
      pr_info("dom0: ECAM of segment %u buses %u-%u at 0x%llx: emulated%s", m->seg, m->start_bus,
              m->end_bus, (unsigned long long)m->address,
              m->seg ? " (all ones: the hypervisor reaches segment 0 only)" : "");
  }
}

int arch_hwdom_init(struct domain *d)
{
  irq_bind_init(d);
  ecam_init();
  return vioapic_init(d);
}

void hwdom_mmio_revoke(uint64_t pa)
{
  struct domain *d = irq_bind_owner();
  enum p2m_type t;
  paddr_t old;
  pa &= ~(uint64_t)(PAGE_SIZE - 1);
  if (d && pa < (1ULL << 46) && arch_p2m_query(d, pa, NULL, &t) == pa && t == P2M_MMIO)
    arch_p2m_set_type(d, pa, 0, P2M_NONE, &old, NULL);
}

bool arch_hwdom_mmio_kept(uint64_t pa, const char **what)
{
  const struct acpi_info *ai = &acpi_info;
  /* The local APICs' page and the MSI address range (SDM vol. 3, 11.11.1):
   * every vcpu's APIC is emulated there. */
  if (pa >= 0xfee00000ULL && pa < 0xfef00000ULL) {
    *what = "the local APIC and MSI range";
    return true;
  }
  if (pa >> PAGE_SHIFT == ai->lapic_addr >> PAGE_SHIFT) {
    *what = "the local APIC";
    return true;
  }
  for (unsigned int i = 0; i < ai->nr_ioapics; i++) {
    if (pa >> PAGE_SHIFT == ai->ioapics[i].addr >> PAGE_SHIFT) {
      *what = "an I/O APIC";
      return true;
    }
  }
  return vpci_mmio_kept(pa, what) || mmio_kept_device(pa, what);
}

/* The firmware tables Xen gives a PVH dom0 (pvh_acpi_table_allowed): the
 * AML, FADT, FACS, MCFG and tables no hypervisor cares about.  The MADT is
 * replaced; HPET, SRAT, SLIT, DMAR and the rest are left out.  DSDT and
 * FACS are reached through the FADT, so the XSDT does not list them. */
static bool table_allowed(const char sig[4])
{
  static const char allowed[][4] = {
      {'F', 'A', 'C', 'P'}, {'S', 'S', 'D', 'T'}, {'P', 'S', 'D', 'T'}, {'S', 'B', 'S', 'T'},
      {'M', 'C', 'F', 'G'}, {'S', 'L', 'I', 'C'}, {'M', 'S', 'D', 'M'}, {'W', 'D', 'A', 'T'},
      {'F', 'P', 'D', 'T'}, {'S', '3', 'P', 'T'}, {'V', 'F', 'C', 'T'}};
  for (unsigned int i = 0; i < ARRAY_SIZE(allowed); i++)
    if (!memcmp(sig, allowed[i], 4))
      return true;
  return false;
}

void arch_hwdom_acpi(struct acpi_hwdom *h)
{
  const struct acpi_info *ai = &acpi_info;
  memcpy(h->oem_id, ai->oem_id, sizeof(h->oem_id));
  for (unsigned int i = 0; i < ai->nr_ioapics && i < ACPI_HWDOM_MAX_IOAPICS; i++) {
    h->ioapic[i].id = ai->ioapics[i].id;
    h->ioapic[i].addr = ai->ioapics[i].addr;
    h->ioapic[i].gsi_base = ai->ioapics[i].gsi_base;
    h->nr_ioapics++;
  }
  for (unsigned int irq = 0; irq < ARRAY_SIZE(ai->isa_gsi); irq++) {
    if (ai->isa_gsi[irq] == irq && !ai->isa_flags[irq])
      continue;
    h->iso[h->nr_isos].source = (uint8_t)irq;
    h->iso[h->nr_isos].gsi = ai->isa_gsi[irq];
    h->iso[h->nr_isos].flags = ai->isa_flags[irq];
    h->nr_isos++;
  }
  for (unsigned int i = 0; i < ai->nr_tables && h->nr_tables < ACPI_HWDOM_MAX_TABLES; i++) {
    const struct acpi_table_ref *t = &ai->tables[i];
    if (!table_allowed(t->sig))
      continue;
    if (!hwdom_firmware_area(t->addr, t->len)) {
      pr_warn("dom0: ACPI table %.4s at 0x%llx is outside the firmware's reserved and ACPI "
              "areas: left out, as Xen does",
              t->sig, (unsigned long long)t->addr);
      continue;
    }
    h->tables[h->nr_tables++] = t->addr;
  }
}
