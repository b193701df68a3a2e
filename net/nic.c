/* The hypervisor's NIC: finds an Intel 8254x on PCI, maps and enables it,
 * hands it to the e1000 driver and hides it from dom0 (nic_probe);
 * net_hw_init is the one call the start-up sequence makes.  One NIC at
 * most. */
#include "e1000.h"
#include <arch/arch.h>
#include <arch/hwdom.h>
#include <arch/pci.h>
#include <hv/errno.h>
#include <hv/pcidev.h>
#include <hv/printk.h>
#include <hv/string.h>

static struct nic nic0;
static struct e1000 nic0_hw;
static struct nic *started;

/* How long net_hw_init waits for a link before it reports one down:
 * auto-negotiation after a reset takes QEMU's e1000 about half a second. */
#define NET_LINK_WAIT_NS 2000000000ull

struct find {
  struct pci_dev dev;
  const struct e1000_model *model;
};

static int find_first(const struct pci_dev *d, void *arg)
{
  struct find *f = arg;
  f->model = e1000_match(d->vendor, d->device);
  if (!f->model)
    return 0;
  f->dev = *d;
  return 1;
}

/* The device which names (NULL: the first 8254x) into *f, or an errno
 * with one line logged. */
static int find_device(const char *which, struct find *f)
{
  uint8_t bus, dev, fn;
  char name[16];

  if (!which) {
    if (pci_for_each(find_first, f))
      return 0;
    pr_warn("net: no NIC found (no Intel 8254x on PCI)");
    return -ENODEV;
  }
  if (pci_parse_name(which, &bus, &dev, &fn)) {
    pr_err("net: netdev=%s is not a PCI address BB:DD.F", which);
    return -EINVAL;
  }
  if (pci_dev_at(bus, dev, fn, &f->dev)) {
    pr_err("net: netdev=%s: no PCI device there", which);
    return -ENODEV;
  }
  f->model = e1000_match(f->dev.vendor, f->dev.device);
  if (!f->model) {
    pr_err("net: netdev=%s: %04x:%04x class %02x.%02x is not an Intel 8254x this driver handles",
           pci_name(&f->dev, name, sizeof(name)), f->dev.vendor, f->dev.device, f->dev.class,
           f->dev.subclass);
    return -ENODEV;
  }
  return 0;
}

int nic_probe(const char *which, struct nic **out)
{
  struct find f = {0};
  struct pci_bar bar;

  if (started)
    return -EBUSY;
  int err = find_device(which, &f);
  if (err)
    return err;

  memset(&nic0, 0, sizeof(nic0));
  pci_name(&f.dev, nic0.name, sizeof(nic0.name));
  nic0.vendor = f.dev.vendor;
  nic0.device = f.dev.device;
  /* BAR 0 holds the registers, 128 KiB of memory (32- or 64-bit). */
  volatile void *regs = NULL;
  if (pci_bar_decode(&f.dev, 0, &bar) == 0 && bar.size >= E1000_REGS_SIZE)
    regs = pci_map_bar(&bar);
  if (!regs) {
    pr_err("net: %s: BAR 0 is no usable memory BAR (type %u, base 0x%llx, size 0x%llx)", nic0.name,
           bar.type, (unsigned long long)bar.base, (unsigned long long)bar.size);
    return -EIO;
  }
  /* Memory decode for the registers, bus mastering for the rings' DMA. */
  pci_command(&f.dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, true);
  err = e1000_start(&nic0, &nic0_hw, regs, f.model, f.dev.fn);
  if (err) {
    pci_command(&f.dev, PCI_COMMAND_MASTER, false);
    return err;
  }
  hwdom_keep_pci(&f.dev, "the network console's NIC");
  started = &nic0;
  /* Ours from now on: dom0 must not drive it too (DESIGN.md, "Two kinds
   * of dom0"). */
  *out = started;
  return 0;
}

struct nic *nic_get(void) { return started; }

int net_hw_init(const char *which)
{
  struct nic *nic;
  int err = nic_probe(which, &nic);
  if (err)
    return err; /* nic_probe said why */

  uint64_t start = arch_now_ns();
  for (unsigned long i = 0; i < 100000000ul && !nic_link_up(nic); i++) {
    if (arch_now_ns() - start >= NET_LINK_WAIT_NS)
      break;
    arch_cpu_relax();
  }
  bool up = nic_link_up(nic);
  const uint8_t *m = nic->mac;
  pr_info("net: e1000 %s (%04x:%04x, %s) mac %02x:%02x:%02x:%02x:%02x:%02x, link %s%s", nic->name,
          nic->vendor, nic->device, nic->model, m[0], m[1], m[2], m[3], m[4], m[5],
          up ? "up" : "down", up ? "" : " (none after 2 s; it may come later)");
  return 0;
}
