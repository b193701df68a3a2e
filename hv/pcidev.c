/* The machine's PCI devices as the hypervisor accounts for them: those
 * it keeps for itself (hidden from the hardware domain), the hardware
 * domain's reports of devices and of ECAM regions.  See
 * include/hv/pcidev.h for the rules, which are Xen 4.19's.
 *
 * Xen finds every function of segment 0 at boot (scan_pci_devices) and
 * gives it to the hardware domain; mica does not scan, and asks
 * configuration space instead when a device it has no entry for is
 * reported (present(): Xen's scan rule), which gives the same
 * answers without a boot-time cost.  The table keeps what differs from
 * that: devices reported (for the log), removed, or known but nobody's. */
#include <arch/pci.h>
#include <hv/errno.h>
#include <hv/pcidev.h>
#include <hv/printk.h>
#include <hv/string.h>
#include <public/physdev.h>

#define DEVFN_DEV(devfn) ((unsigned int)(devfn) >> 3)
#define DEVFN_FN(devfn) ((unsigned int)(devfn)&7)

struct hidden {
  uint8_t bus, devfn;
  const char *why;
};

enum report_state {
  REPORT_FREE,    /* an empty slot */
  REPORT_DOM0,    /* reported, and the hardware domain's */
  REPORT_GONE,    /* removed: the hypervisor forgot it */
  REPORT_UNOWNED, /* reported, but Xen's vPCI refused it: known, nobody's */
};

struct report {
  uint8_t state; /* enum report_state */
  uint8_t bus, devfn;
  uint16_t seg;
  uint32_t flags; /* XEN_PCI_DEV_* of its last add */
};

static struct hidden hidden[PCIDEV_HIDDEN_MAX];
static unsigned int nr_hidden;
static struct report reports[PCIDEV_REPORTS_MAX];
static struct pcidev_mmcfg mmcfg[PCIDEV_MMCFG_MAX];
static bool mmcfg_registered[PCIDEV_MMCFG_MAX]; /* from MCFG, or reported
                                                 * reserved once: Xen's
                                                 * vPCI emulates it */
static unsigned int nr_mmcfg;
static bool have_mcfg; /* the MCFG table listed some: reports must match */

void pcidev_reset(void)
{
  memset(hidden, 0, sizeof(hidden));
  nr_hidden = 0;
  memset(reports, 0, sizeof(reports));
  memset(mmcfg, 0, sizeof(mmcfg));
  memset(mmcfg_registered, 0, sizeof(mmcfg_registered));
  nr_mmcfg = 0;
  have_mcfg = false;
}

/* "SSSS:BB:DD.F" */
static char *name(char *buf, size_t size, uint16_t seg, uint8_t bus, uint8_t devfn)
{
  snprintf(buf, size, "%04x:%02x:%02x.%u", seg, bus, DEVFN_DEV(devfn), DEVFN_FN(devfn));
  return buf;
}

/* The vendor and device dword, as Xen's pci_device_detect judges it:
 * all ones, all zeros and either half of each mean no function there
 * (some boards answer an empty slot so). */
static bool detect(uint8_t bus, unsigned int dev, unsigned int fn)
{
  uint32_t id = pci_conf_read32(bus, (uint8_t)dev, (uint8_t)fn, PCI_VENDOR_ID);
  return id != 0xffffffffu && id != 0 && id != 0x0000ffffu && id != 0xffff0000u;
}

static uint8_t header_type(uint8_t bus, unsigned int dev, unsigned int fn)
{
  uint32_t v = pci_conf_read32(bus, (uint8_t)dev, (uint8_t)fn, PCI_HEADER_TYPE & ~3);
  return (uint8_t)(v >> 8 * (PCI_HEADER_TYPE & 3));
}

/* Would Xen's boot scan (_scan_pci_devices) have found segment 0's
 * bus:devfn?  A function answers, and a function other than 0 belongs to
 * a device whose function 0 answers and says it has several. */
static bool present(uint8_t bus, uint8_t devfn)
{
  unsigned int dev = DEVFN_DEV(devfn), fn = DEVFN_FN(devfn);
  if (!detect(bus, dev, fn))
    return false;
  return fn == 0 || (detect(bus, dev, 0) && (header_type(bus, dev, 0) & 0x80));
}

static struct report *report_find(uint16_t seg, uint8_t bus, uint8_t devfn)
{
  for (unsigned int i = 0; i < PCIDEV_REPORTS_MAX; i++)
    if (reports[i].state != REPORT_FREE && reports[i].seg == seg && reports[i].bus == bus &&
        reports[i].devfn == devfn)
      return &reports[i];
  return NULL;
}

static struct report *report_new(uint16_t seg, uint8_t bus, uint8_t devfn)
{
  for (unsigned int i = 0; i < PCIDEV_REPORTS_MAX; i++)
    if (reports[i].state == REPORT_FREE) {
      reports[i] = (struct report){.seg = seg, .bus = bus, .devfn = devfn};
      return &reports[i];
    }
  return NULL;
}

bool pcidev_hidden(uint8_t bus, uint8_t devfn)
{
  for (unsigned int i = 0; i < nr_hidden; i++)
    if (hidden[i].bus == bus && hidden[i].devfn == devfn)
      return true;
  return false;
}

void pcidev_hide(uint8_t bus, uint8_t devfn, const char *why)
{
  char n[16];
  if (pcidev_hidden(bus, devfn))
    return;
  if (nr_hidden == PCIDEV_HIDDEN_MAX) {
    pr_err("pcidev: %s (%s) cannot be hidden from dom0: %u devices are already",
           name(n, sizeof(n), 0, bus, devfn), why, PCIDEV_HIDDEN_MAX);
    return;
  }
  hidden[nr_hidden++] = (struct hidden){.bus = bus, .devfn = devfn, .why = why};
  pr_info("pcidev: %s hidden from dom0: %s", name(n, sizeof(n), 0, bus, devfn), why);
}

/* Xen's vPCI, which takes every device the hardware domain is given
 * (vpci_assign_device), sets up the device's header only for header
 * type 0 (a device) and 1 (a bridge), and answers -EOPNOTSUPP for the
 * rest (init_header).  A segment mica cannot reach reads all ones, as
 * Xen reads one it has no ECAM for. */
static int vpci_takes(uint16_t seg, uint8_t bus, uint8_t devfn)
{
  uint8_t type = seg ? 0xff : header_type(bus, DEVFN_DEV(devfn), DEVFN_FN(devfn));
  return (type & 0x7f) <= 1 ? 0 : -EOPNOTSUPP;
}

int pcidev_add(uint16_t seg, uint8_t bus, uint8_t devfn, uint32_t flags)
{
  char n[16];
  struct report *r = report_find(seg, bus, devfn);

  name(n, sizeof(n), seg, bus, devfn);
  if (seg == 0 && pcidev_hidden(bus, devfn)) {
    /* Xen: the device is dom_xen's, pci_add_device only enables it in
     * the IOMMU and answers 0.  It stays the hypervisor's. */
    pr_info("pcidev: dom0 reported %s, which the hypervisor keeps: it stays hidden", n);
    return 0;
  }
  bool dom0s = r ? r->state == REPORT_DOM0 : seg == 0 && present(bus, devfn);
  if (dom0s) {
    /* Xen: already the hardware domain's; nothing changes.  Recorded
     * for the log if there is room (nothing depends on it). */
    if (!r)
      r = report_new(seg, bus, devfn);
    if (r) {
      r->state = REPORT_DOM0;
      r->flags = flags;
    }
    pr_debug("pcidev: dom0 added %s (flags 0x%x)", n, flags);
    return 0;
  }
  /* New to the hypervisor: it goes to the hardware domain, through vPCI. */
  if (!r && !(r = report_new(seg, bus, devfn)))
    return -ENOMEM; /* Xen: alloc_pdev failed */
  r->flags = flags;
  int err = vpci_takes(seg, bus, devfn);
  if (err) {
    r->state = REPORT_UNOWNED;
    pr_info("pcidev: dom0 added %s: no device header vPCI takes there (-EOPNOTSUPP, as Xen)", n);
    return err;
  }
  r->state = REPORT_DOM0;
  pr_debug("pcidev: dom0 added %s (flags 0x%x), new since boot", n, flags);
  return 0;
}

int pcidev_remove(uint16_t seg, uint8_t bus, uint8_t devfn)
{
  char n[16];
  struct report *r = report_find(seg, bus, devfn);

  name(n, sizeof(n), seg, bus, devfn);
  if (seg == 0 && pcidev_hidden(bus, devfn)) {
    /* Xen would forget a dom_xen device too (pci_remove_device takes it
     * off whatever list it is on): 0.  Here it stays the hypervisor's. */
    pr_info("pcidev: dom0 removed %s, which the hypervisor keeps: it stays hidden", n);
    return 0;
  }
  if (r ? r->state == REPORT_GONE : !(seg == 0 && present(bus, devfn)))
    return -ENODEV; /* Xen: no such pdev (or no such segment) */
  /* Forgotten: a device configuration space shows stays as GONE, so a
   * second remove is -ENODEV; any other slot is freed. */
  if (seg == 0 && present(bus, devfn)) {
    if (!r)
      r = report_new(seg, bus, devfn);
    if (r)
      r->state = REPORT_GONE;
    /* No room: a second remove would answer 0, a later add 0 as Xen. */
  } else {
    r->state = REPORT_FREE;
  }
  pr_debug("pcidev: dom0 removed %s", n);
  return 0;
}

/* A new region at the end of the table, or NULL when it is full. */
static struct pcidev_mmcfg *mmcfg_new(uint64_t address, uint16_t seg, uint8_t start_bus,
                                      uint8_t end_bus)
{
  if (nr_mmcfg == PCIDEV_MMCFG_MAX)
    return NULL;
  struct pcidev_mmcfg *m = &mmcfg[nr_mmcfg++];
  *m = (struct pcidev_mmcfg){.address = address,
                             .base = address + ((uint64_t)start_bus << 20),
                             .size = (uint64_t)(end_bus - start_bus + 1) << 20,
                             .seg = seg,
                             .start_bus = start_bus,
                             .end_bus = end_bus};
  return m;
}

int pcidev_mcfg(uint64_t address, uint16_t seg, uint8_t start_bus, uint8_t end_bus)
{
  struct pcidev_mmcfg *m = end_bus < start_bus ? NULL : mmcfg_new(address, seg, start_bus, end_bus);
  if (!m)
    return end_bus < start_bus ? -EINVAL : -ENOMEM;
  m->mcfg = true;
  mmcfg_registered[m - mmcfg] = true; /* Xen's pvh_setup_mmcfg: emulated from the start */
  have_mcfg = true;
  return 0;
}

int pcidev_mmcfg_reserved(uint64_t address, uint16_t seg, uint8_t start_bus, uint8_t end_bus,
                          uint32_t flags)
{
  bool reserve = flags & XEN_PCI_MMCFG_RESERVED;
  struct pcidev_mmcfg *m = NULL;

  if (flags & ~XEN_PCI_MMCFG_RESERVED)
    return -EINVAL;
  if (end_bus < start_bus)
    return -ENODEV;
  uint64_t base = address + ((uint64_t)start_bus << 20);
  uint64_t size = (uint64_t)(end_bus - start_bus + 1) << 20;
  /* Xen's pci_mmcfg_reserved: the MCFG entry of this segment and range
   * must have this address (-EIO), and there must be one (-ENODEV).
   * Without an MCFG table the first report stands for it. */
  for (unsigned int i = 0; i < nr_mmcfg && !m; i++)
    if (mmcfg[i].seg == seg && mmcfg[i].start_bus == start_bus && mmcfg[i].end_bus == end_bus &&
        mmcfg[i].mcfg == have_mcfg)
      m = &mmcfg[i];
  if (have_mcfg && !m) {
    pr_warn("pcidev: dom0 reports MMCFG of segment %04x buses %02x-%02x, which the MCFG table "
            "does not list: -ENODEV",
            seg, start_bus, end_bus);
    return -ENODEV;
  }
  if (m && m->address != address) {
    pr_warn("pcidev: dom0 reports MMCFG of segment %04x buses %02x-%02x at 0x%llx, but %s "
            "0x%llx%s: -EIO",
            seg, start_bus, end_bus, (unsigned long long)address,
            m->mcfg ? "the MCFG table says" : "reported", (unsigned long long)m->address,
            m->mcfg ? "" : " before");
    return -EIO;
  }
  /* Xen's register_vpci_mmcfg_handler, for a reserved region: one that
   * overlaps a region registered before must be that region. */
  for (unsigned int k = 0; reserve && k < nr_mmcfg; k++) {
    const struct pcidev_mmcfg *o = &mmcfg[k];
    if (mmcfg_registered[k] && base < o->base + o->size && o->base < base + size && o != m)
      return -EEXIST;
  }
  if (!m && !(m = mmcfg_new(address, seg, start_bus, end_bus)))
    return -ENOMEM;
  m->reserved = reserve;
  if (reserve)
    mmcfg_registered[m - mmcfg] = true;
  pr_info("pcidev: dom0 reports MMCFG of segment %04x buses %02x-%02x at 0x%llx (%s)", seg,
          start_bus, end_bus, (unsigned long long)address, reserve ? "reserved" : "not reserved");
  return 0;
}

const struct pcidev_mmcfg *pcidev_mmcfg_at(unsigned int i)
{
  return i < nr_mmcfg ? &mmcfg[i] : NULL;
}

void pcidev_log(void)
{
  static const char *const what[] = {
      [REPORT_DOM0] = "dom0's", [REPORT_GONE] = "removed", [REPORT_UNOWNED] = "refused"};
  unsigned int n = 0;
  char nm[16];

  for (unsigned int i = 0; i < nr_hidden; i++, n++)
    pr_info("pcidev: %s hidden: %s", name(nm, sizeof(nm), 0, hidden[i].bus, hidden[i].devfn),
            hidden[i].why);
  for (unsigned int i = 0; i < PCIDEV_REPORTS_MAX; i++) {
    const struct report *r = &reports[i];
    if (r->state == REPORT_FREE)
      continue;
    pr_info("pcidev: %s %s (flags 0x%x)", name(nm, sizeof(nm), r->seg, r->bus, r->devfn),
            what[r->state], r->flags);
    n++;
  }
  for (unsigned int i = 0; i < nr_mmcfg; i++, n++)
    pr_info("pcidev: MMCFG segment %04x buses %02x-%02x at 0x%llx, %s%s", mmcfg[i].seg,
            mmcfg[i].start_bus, mmcfg[i].end_bus, (unsigned long long)mmcfg[i].address,
            mmcfg[i].mcfg ? "from MCFG, " : "", mmcfg[i].reserved ? "reserved" : "not reserved");
  if (!n)
    pr_info("pcidev: no device hidden, none reported by dom0, no MMCFG");
}
