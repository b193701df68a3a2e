/* PCI devices for the hypervisor's own drivers: bus scan, BAR decoding and
 * sizing, command register (PCI Local Bus Specification 3.0, chapter 6).
 * No x86 instruction here: configuration space is reached through
 * pci_conf_read32/pci_conf_write32 (pci_io.c), which the host unit test
 * replaces with a fake configuration space. */
#include <arch/pci.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/string.h>

#define PCI_BAR_SPACE_IO BIT(0)              /* bit 0: 1 = I/O, 0 = memory */
#define PCI_BAR_MEM_TYPE(v) (((v) >> 1) & 3) /* 0: 32-bit, 1: below 1 MiB, 2: 64-bit */
#define PCI_BAR_PREFETCH BIT(3)
#define PCI_BAR_IO_MASK 0xfffffffcu
#define PCI_BAR_MEM_MASK 0xfffffff0u

static uint32_t read32(const struct pci_dev *d, uint16_t off)
{
  return pci_conf_read32(d->bus, d->dev, d->fn, off);
}

static void write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
  pci_conf_write32(d->bus, d->dev, d->fn, off, v);
}

uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
  return (uint16_t)(read32(d, off & ~3) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
  return (uint8_t)(read32(d, off & ~3) >> (8 * (off & 3)));
}

/* The command register is the low half of dword 4; the high half is the
 * status register, whose error bits are write-one-to-clear, so writing
 * zeros there leaves it alone (PCI 3.0, 6.2.3). */
static void write_command(const struct pci_dev *d, uint16_t cmd) { write32(d, PCI_COMMAND, cmd); }

uint16_t pci_command(const struct pci_dev *d, uint16_t mask, bool on)
{
  uint16_t old = pci_read16(d, PCI_COMMAND);
  write_command(d, on ? (uint16_t)(old | mask) : (uint16_t)(old & ~mask));
  return old;
}

char *pci_name(const struct pci_dev *d, char *buf, size_t size)
{
  snprintf(buf, size, "%02x:%02x.%u", d->bus, d->dev, d->fn);
  return buf;
}

int pci_parse_name(const char *s, uint8_t *bus, uint8_t *dev, uint8_t *fn)
{
  /* Exactly "hh:hh.d": checked character by character, so a short string
   * stops at its NUL (which matches nothing below). */
  static const char form[] = "xx:xx.d";
  int v[7];

  for (unsigned int i = 0; i < 7; i++) {
    if (form[i] == 'x')
      v[i] = hex_digit(s[i]);
    else if (form[i] == 'd')
      v[i] = s[i] >= '0' && s[i] <= '7' ? s[i] - '0' : -1;
    else
      v[i] = s[i] == form[i] ? 0 : -1;
    if (v[i] < 0)
      return -EINVAL;
  }
  if (s[7] || v[3] * 16 + v[4] > 31)
    return -EINVAL;
  *bus = (uint8_t)(v[0] * 16 + v[1]);
  *dev = (uint8_t)(v[3] * 16 + v[4]);
  *fn = (uint8_t)v[6];
  return 0;
}

/* Read the header of bus:dev.fn into d; false when nothing answers there
 * (a read of an absent function returns all ones, PCI 3.0, 6.1). */
static bool read_header(uint8_t bus, uint8_t dev, uint8_t fn, struct pci_dev *d, bool *multi)
{
  uint32_t id = pci_conf_read32(bus, dev, fn, PCI_VENDOR_ID);
  if ((id & 0xffff) == 0xffff)
    return false;
  *d = (struct pci_dev){.bus = bus, .dev = dev, .fn = fn};
  d->vendor = (uint16_t)id;
  d->device = (uint16_t)(id >> 16);
  uint32_t cr = read32(d, PCI_CLASS_REV);
  d->revision = (uint8_t)cr;
  d->progif = (uint8_t)(cr >> 8);
  d->subclass = (uint8_t)(cr >> 16);
  d->class = (uint8_t)(cr >> 24);
  uint8_t ht = pci_read8(d, PCI_HEADER_TYPE);
  d->header_type = ht & 0x7f;
  *multi = ht & 0x80;
  d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
  d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
  return true;
}

int pci_dev_at(uint8_t bus, uint8_t dev, uint8_t fn, struct pci_dev *d)
{
  bool multi;
  return read_header(bus, dev & 31, fn & 7, d, &multi) ? 0 : -ENODEV;
}

int pci_for_each(int (*fn)(const struct pci_dev *d, void *arg), void *arg)
{
  struct pci_dev d;
  char name[16];

  for (unsigned int bus = 0; bus < 256; bus++) {
    for (unsigned int dev = 0; dev < 32; dev++) {
      bool multi = false;
      for (unsigned int f = 0; f < 8; f++) {
        bool m;
        if (!read_header((uint8_t)bus, (uint8_t)dev, (uint8_t)f, &d, &m)) {
          if (f == 0)
            break;  /* no function 0: no device */
          continue; /* functions need not be contiguous */
        }
        if (f == 0)
          multi = m;
        pr_debug("pci: %s %04x:%04x class %02x.%02x.%02x type %u irq %u pin %u",
                 pci_name(&d, name, sizeof(name)), d.vendor, d.device, d.class, d.subclass,
                 d.progif, d.header_type, d.irq_line, d.irq_pin);
        int rc = fn(&d, arg);
        if (rc)
          return rc;
        if (!multi)
          break;
      }
    }
  }
  return 0;
}

/* Write v to the BAR dword at off and read back what sticks; the caller
 * has turned decoding off. */
static uint32_t probe_dword(const struct pci_dev *d, uint16_t off, uint32_t v)
{
  write32(d, off, v);
  return read32(d, off);
}

int pci_bar_decode(const struct pci_dev *d, unsigned int idx, struct pci_bar *bar)
{
  unsigned int nr = d->header_type == 1 ? 2 : d->header_type == 0 ? PCI_NR_BARS : 0;
  uint16_t off = (uint16_t)(PCI_BAR0 + 4 * idx);

  *bar = (struct pci_bar){.type = PCI_BAR_NONE};
  if (idx >= nr)
    return -EINVAL;
  uint32_t lo = read32(d, off);
  bool io = lo & PCI_BAR_SPACE_IO;
  unsigned int mtype = PCI_BAR_MEM_TYPE(lo);
  if (!io && mtype == 3)
    return -ENODEV; /* reserved encoding */
  bool is64 = !io && mtype == 2;
  if (is64 && idx + 1 >= nr)
    return -EINVAL;
  uint32_t hi = is64 ? read32(d, off + 4) : 0;

  /* Decoding off while the BAR holds all ones: the device would otherwise
   * answer at whatever address that is (PCI 3.0, 6.2.5.1, implementation
   * note "Sizing a 32-bit Base Address Register"). */
  uint16_t cmd = pci_command(d, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, false);
  uint32_t mlo = probe_dword(d, off, 0xffffffffu);
  uint32_t mhi = is64 ? probe_dword(d, off + 4, 0xffffffffu) : 0;
  write32(d, off, lo);
  if (is64)
    write32(d, off + 4, hi);
  write_command(d, cmd);

  if (io) {
    uint32_t mask = mlo & PCI_BAR_IO_MASK;
    if (!mask)
      return 0;
    /* The upper 16 bits of an I/O BAR may read back as zero (x86 has 64 Ki
     * ports); treat them as all ones. */
    if (!(mask & 0xffff0000u))
      mask |= 0xffff0000u;
    *bar = (struct pci_bar){
        .type = PCI_BAR_IO, .base = lo & PCI_BAR_IO_MASK, .size = (uint32_t)(~mask + 1)};
    return 0;
  }
  uint64_t mask = ((uint64_t)mhi << 32) | (mlo & PCI_BAR_MEM_MASK);
  if (!is64)
    mask |= 0xffffffff00000000ull;
  if (!(mask & 0xffffffffull) && !(is64 && mhi))
    return 0; /* nothing sticks: not implemented */
  *bar = (struct pci_bar){
      .type = is64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32,
      .base = ((uint64_t)hi << 32) | (lo & PCI_BAR_MEM_MASK),
      .size = ~mask + 1,
      .prefetchable = lo & PCI_BAR_PREFETCH,
  };
  return 0;
}

unsigned int pci_bars(const struct pci_dev *d, struct pci_bar bars[PCI_NR_BARS])
{
  unsigned int n = 0;

  for (unsigned int i = 0; i < PCI_NR_BARS; i++)
    bars[i] = (struct pci_bar){.type = PCI_BAR_NONE};
  for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
    if (pci_bar_decode(d, i, &bars[i]) || bars[i].type == PCI_BAR_NONE)
      continue;
    n++;
    if (bars[i].type == PCI_BAR_MEM64)
      i++; /* its upper half stays PCI_BAR_NONE */
  }
  return n;
}
