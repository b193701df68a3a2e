/* MSI and MSI-X of the hardware domain's devices (see include/arch/vmsi.h).
 * Layouts: PCI Local Bus Specification 3.0, 6.8.1 (MSI) and 6.8.2
 * (MSI-X); the message format: SDM vol. 3, 11.11.  Xen 4.19's rules
 * (xen/drivers/vpci/msi.c, msix.c, xen/arch/x86/hvm/vmsi.c) where it has
 * one, with one simplification: the device always holds the hypervisor's
 * message, and dom0's is read when the host vector fires, so a change of
 * dom0's address or data needs nothing done at the device. */
#include <arch/hwdom.h>
#include <arch/irq_bind.h>
#include <arch/pci.h>
#include <arch/vmsi.h>
#include <hv/errno.h>
#include <hv/heap.h>
#include <hv/printk.h>
#include <hv/string.h>

#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST BIT(4)
#define PCI_CAP_PTR 0x34      /* header types 0 and 1 */
#define PCI_CB_CAP_PTR 0x14   /* type 2, CardBus */
#define HEADER_WATCH_END 0x28 /* command register to the last BAR */
#define CAP_MSI 0x05
#define CAP_MSIX 0x11

#define MSI_ENABLE BIT(0)
#define MSI_MMC(c) (((c) >> 1) & 7) /* log2 of the vectors the device has */
#define MSI_MME_SHIFT 4             /* log2 of those enabled */
#define MSI_MME (7U << MSI_MME_SHIFT)
#define MSI_64BIT BIT(7)
#define MSI_PVM BIT(8) /* per-vector masking */

#define MSIX_SIZE(c) (((c)&0x7ff) + 1)
#define MSIX_MASKALL BIT(14)
#define MSIX_ENABLE BIT(15)
#define MSIX_BIR(r) ((r)&7)
#define MSIX_OFFSET(r) ((r) & ~7U)
#define MSIX_ENTRY 16 /* address low, high, data, vector control */
#define MSIX_CTRL_MASKED 1U

#define MSI_ADDR_BASE 0xfee00000U /* SDM vol. 3, 11.11.1 */
#define MSI_ADDR_DEST(a) (((a) >> 12) & 0xff)
#define MSI_ADDR_LOGICAL BIT(2)
#define MSI_DATA_VECTOR(d) ((d)&0xff)
#define MSI_DATA_MODE(d) (((d) >> 8) & 7) /* 0 fixed, 1 lowest priority */

#define MMIO_LIMIT (1ULL << 46)
#define MSI_IDX 0xffffU /* irq_bind's idx for the MSI message, else the MSI-X entry */

/* The registers intercepted, by their place in the capability. */
enum vreg { R_MSI_CTRL, R_MSI_ADDR, R_MSI_ADDR_HI, R_MSI_DATA, R_MSI_MASK, R_MSIX_CTRL, NR_VREGS };

struct ventry { /* an MSI-X table entry as dom0 wrote it */
  uint64_t addr;
  uint32_t data;
  bool masked;
  uint8_t vec; /* the host vector the device's entry has; 0: none */
};

struct vdev {
  struct vdev *next;
  uint8_t bus, devfn;
  uint16_t off[NR_VREGS]; /* where each register is */
  uint8_t len[NR_VREGS];  /* its size; 0: absent */
  /* MSI: dom0's view, and the host vector while enabled */
  uint16_t msi_ro; /* the control register's bits dom0 cannot change */
  bool msi_enabled;
  uint8_t msi_mme;
  uint64_t msi_addr;
  uint32_t msi_data, msi_mask;
  uint8_t msi_vec;
  uint8_t said;    /* SAID_*: what was logged once */
  uint8_t nr_bars; /* 6 for a device, 2 for a bridge, else 0 */
  /* MSI-X */
  uint16_t msix_ro;
  bool msix_enabled, msix_maskall;
  uint16_t nr_entries;
  uint32_t table_reg, pba_reg; /* BIR and offset, as the capability has them */
  uint64_t table, pba;         /* host addresses now (0: the BAR has none) */
  struct ventry *entries;
};

#define SAID_MULTI 1
#define SAID_NOVEC 2
#define SAID_DROP 4

static struct vdev *devs;
static uint64_t probed[256 * 256 / 64]; /* a bit per bus:devfn looked at */

static void say(const struct vdev *d, const char *what, int err)
{
  pr_warn("vmsi: %02x:%02x.%u: %s (%d)", d->bus, d->devfn >> 3, d->devfn & 7, what, err);
}

/* Whether bus:devfn was looked at; marked so if mark. */
static bool probed_once(uint8_t bus, uint8_t devfn, bool mark)
{
  unsigned int n = (unsigned int)bus << 8 | devfn;
  bool was = probed[n / 64] & (1ULL << (n % 64));
  if (mark)
    probed[n / 64] |= 1ULL << (n % 64);
  return was;
}

/* Log what about d once (SAID_*). */
static void say_once(struct vdev *d, uint8_t what, const char *msg, int err)
{
  if (d->said & what)
    return;
  d->said |= what;
  say(d, msg, err);
}

static void deliver(void *arg, unsigned int idx);
static const struct irq_bind_ops msi_ops = {NULL, deliver};

static uint32_t cfg_read(const struct vdev *d, unsigned int reg, unsigned int size)
{
  return pci_conf_read(d->bus, d->devfn, reg, size);
}

static void cfg_write(const struct vdev *d, unsigned int reg, unsigned int size, uint32_t v)
{
  pci_conf_write(d->bus, d->devfn, reg, size, v);
}

/* ---- the host vectors and what the device holds ---- */

/* The address of every message the device is given: the boot CPU,
 * physical destination, fixed delivery, edge. */
static uint32_t host_addr(void) { return MSI_ADDR_BASE | irq_bind_dest() << 12; }

/* A host vector for message idx of d, or 0 (said why). */
static uint8_t vec_get(struct vdev *d, unsigned int idx)
{
  int vec = irq_bind_dest() > 0xff ? -ERANGE : irq_bind_alloc(&msi_ops, d, idx);
  if (vec > 0)
    return (uint8_t)vec;
  say_once(d, SAID_NOVEC, "no host vector for a message: it stays masked at the device", vec);
  return 0;
}

static void vec_put(uint8_t *vec)
{
  if (*vec)
    irq_bind_free(*vec);
  *vec = 0;
}

/* The host address of BAR bir's memory, 0 if it has none (an I/O BAR,
 * one the firmware did not place, one the hypervisor cannot reach). */
static uint64_t bar_addr(const struct vdev *d, unsigned int bir)
{
  if (bir >= d->nr_bars)
    return 0;
  uint32_t lo = cfg_read(d, 0x10 + 4 * bir, 4);
  uint64_t a = lo & ~0xfULL;
  if (lo & 1)
    return 0;
  if (((lo >> 1) & 3) == 2 && bir + 1 < d->nr_bars)
    a |= (uint64_t)cfg_read(d, 0x14 + 4 * bir, 4) << 32;
  return a < MMIO_LIMIT ? a : 0;
}

/* The device's table entry i may be written: its BAR is placed and
 * decoded (a write while dom0 sizes a BAR would go who knows where). */
static uint64_t entry_hw(const struct vdev *d, unsigned int i)
{
  if (!d->table || !(cfg_read(d, 0x04, 2) & PCI_COMMAND_MEMORY))
    return 0;
  return d->table + (uint64_t)i * MSIX_ENTRY;
}

/* Make the device's entry i follow dom0's: a host vector while MSI-X is
 * enabled and dom0 unmasked it once; masked at the device whenever dom0
 * has it masked or there is no vector.  The entry is masked while its
 * message is written (PCI 3.0, 6.8.3.5). */
static void msix_sync(struct vdev *d, unsigned int i)
{
  struct ventry *e = &d->entries[i];
  if (d->msix_enabled && !e->masked && !e->vec)
    e->vec = vec_get(d, i);
  uint64_t pa = entry_hw(d, i);
  if (!pa)
    return;
  pci_mmio_write(pa + 12, 4, MSIX_CTRL_MASKED);
  if (!e->vec)
    return;
  pci_mmio_write(pa, 4, host_addr());
  pci_mmio_write(pa + 4, 4, 0);
  pci_mmio_write(pa + 8, 4, e->vec);
  if (!e->masked)
    pci_mmio_write(pa + 12, 4, 0);
}

/* Where d's table and PBA are now; a page that became one is taken away
 * from dom0 if it had it mapped. */
static void msix_locate(struct vdev *d)
{
  uint64_t t = bar_addr(d, MSIX_BIR(d->table_reg)), p = bar_addr(d, MSIX_BIR(d->pba_reg));
  d->table = t ? t + MSIX_OFFSET(d->table_reg) : 0;
  d->pba = p ? p + MSIX_OFFSET(d->pba_reg) : 0;
  uint64_t ranges[2][2] = {{d->table, d->nr_entries * MSIX_ENTRY},
                           {d->pba, ALIGN_UP(d->nr_entries, 64U) / 8}};
  for (unsigned int r = 0; r < 2; r++)
    for (uint64_t a = ALIGN_DOWN(ranges[r][0], PAGE_SIZE);
         ranges[r][0] && a < ranges[r][0] + ranges[r][1]; a += PAGE_SIZE)
      hwdom_mmio_revoke(a);
}

/* ---- dom0's writes to the intercepted registers ---- */

static void msi_write_ctrl(struct vdev *d, uint32_t val)
{
  unsigned int mme = MIN((val & MSI_MME) >> MSI_MME_SHIFT, MSI_MMC(d->msi_ro));
  unsigned int ctrl = d->off[R_MSI_CTRL];
  if (!(val & MSI_ENABLE)) {
    if (d->msi_enabled)
      cfg_write(d, ctrl, 2, d->msi_ro);
    vec_put(&d->msi_vec);
    d->msi_enabled = false;
    d->msi_mme = (uint8_t)mme;
    return;
  }
  /* Several vectors need contiguous, aligned host vectors and, without
   * interrupt remapping, Xen refuses them (allocate_and_map_msi_pirq:
   * -EOPNOTSUPP, so vPCI's control_write leaves MSI off); so here:
   * nothing changes.  Linux asks one vector of x86 without remapping. */
  if (mme) {
    say_once(d, SAID_MULTI, "MSI with several vectors refused, as Xen without interrupt remapping",
             -EOPNOTSUPP);
    return;
  }
  if (!d->msi_vec && !(d->msi_vec = vec_get(d, MSI_IDX)))
    return;
  /* Written whole every time MSI is turned on, so a device reset since
   * gets its message back. */
  d->msi_enabled = true;
  d->msi_mme = 0;
  cfg_write(d, d->off[R_MSI_ADDR], 4, host_addr());
  if (d->len[R_MSI_ADDR_HI])
    cfg_write(d, d->off[R_MSI_ADDR_HI], 4, 0);
  cfg_write(d, d->off[R_MSI_DATA], 2, d->msi_vec);
  if (d->len[R_MSI_MASK])
    cfg_write(d, d->off[R_MSI_MASK], 4, d->msi_mask);
  cfg_write(d, ctrl, 2, d->msi_ro | MSI_ENABLE);
}

static void msix_write_ctrl(struct vdev *d, uint32_t val)
{
  bool en = val & MSIX_ENABLE;
  d->msix_maskall = val & MSIX_MASKALL;
  if (d->msix_enabled != en || en) {
    d->msix_enabled = en;
    for (unsigned int i = 0; i < d->nr_entries; i++) {
      struct ventry *e = &d->entries[i];
      if (!en)
        vec_put(&e->vec);
      if (!en || !e->masked || e->vec)
        msix_sync(d, i);
    }
  }
  cfg_write(d, d->off[R_MSIX_CTRL], 2,
            d->msix_ro | (en ? MSIX_ENABLE : 0) | (d->msix_maskall ? MSIX_MASKALL : 0));
}

static uint32_t vreg_get(const struct vdev *d, enum vreg r)
{
  switch (r) {
  case R_MSI_CTRL:
    return d->msi_ro | (uint32_t)d->msi_mme << MSI_MME_SHIFT | (d->msi_enabled ? MSI_ENABLE : 0);
  case R_MSI_ADDR: return (uint32_t)d->msi_addr;
  case R_MSI_ADDR_HI: return (uint32_t)(d->msi_addr >> 32);
  case R_MSI_DATA: return d->msi_data;
  case R_MSI_MASK: return d->msi_mask;
  case R_MSIX_CTRL:
    return d->msix_ro | (d->msix_enabled ? MSIX_ENABLE : 0) | (d->msix_maskall ? MSIX_MASKALL : 0);
  default: return 0;
  }
}

static void vreg_set(struct vdev *d, enum vreg r, uint32_t val)
{
  switch (r) {
  case R_MSI_CTRL: msi_write_ctrl(d, val); break;
  case R_MSI_ADDR: d->msi_addr = (d->msi_addr & ~0xffffffffULL) | val; break;
  case R_MSI_ADDR_HI: d->msi_addr = (uint32_t)d->msi_addr | (uint64_t)val << 32; break;
  case R_MSI_DATA: d->msi_data = val; break;
  case R_MSI_MASK:
    /* Only while enabled does the device hold our mask (Xen: mask_write). */
    d->msi_mask = val;
    if (d->msi_enabled)
      cfg_write(d, d->off[R_MSI_MASK], 4, val);
    break;
  case R_MSIX_CTRL: msix_write_ctrl(d, val); break;
  default: break;
  }
}

/* ---- finding a device's capabilities ---- */

static void vreg_place(struct vdev *d, enum vreg r, unsigned int off, unsigned int len)
{
  d->off[r] = (uint16_t)off;
  d->len[r] = (uint8_t)len;
}

/* Look at bus:devfn's capability list; a device with MSI or MSI-X gets
 * a struct vdev, dom0's view at reset values (MSI off, every MSI-X entry
 * masked), and whatever the firmware left on turned off at the device.
 * NULL for a device with neither, or not there (asked again next time);
 * NULL with *blocked when there is no memory to follow its MSI (asked
 * again next time; dom0's writes to its capabilities dropped till then). */
static struct vdev *probe(uint8_t bus, uint8_t devfn, bool *blocked)
{
  struct vdev t = {.bus = bus, .devfn = devfn};
  if (cfg_read(&t, 0, 2) == 0xffff)
    return NULL;
  unsigned int msi = 0, msix = 0, type = cfg_read(&t, 0x0e, 1) & 0x7f, pos = 0;
  if (cfg_read(&t, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)
    pos = cfg_read(&t, type == 2 ? PCI_CB_CAP_PTR : PCI_CAP_PTR, 1);
  for (unsigned int ttl = 48; pos >= 0x40 && ttl--;) { /* 48 = (256 - 64) / 4: a loop ends */
    pos &= ~3U;
    unsigned int id = cfg_read(&t, pos, 1);
    if (id == CAP_MSI && !msi)
      msi = pos;
    if (id == CAP_MSIX && !msix)
      msix = pos;
    pos = cfg_read(&t, pos + 1, 1);
  }
  uint16_t xctrl = msix ? (uint16_t)cfg_read(&t, msix + 2, 2) : 0;
  unsigned int nr = msix ? MSIX_SIZE(xctrl) : 0;
  struct vdev *d = msi || msix ? heap_zalloc(sizeof(*d) + nr * sizeof(struct ventry)) : NULL;
  if ((msi || msix) && !d) {
    say(&t, "no memory to follow its MSI: dom0 cannot change its capabilities", -ENOMEM);
    *blocked = true;
    return NULL;
  }
  probed_once(bus, devfn, true);
  if (!d)
    return NULL;
  *d = t;
  d->nr_bars = type == 0 ? 6 : type == 1 ? 2 : 0;
  if (msi) {
    uint16_t c = (uint16_t)cfg_read(d, msi + 2, 2);
    unsigned int wide = c & MSI_64BIT ? 4 : 0;
    d->msi_ro = c & ~(MSI_ENABLE | MSI_MME);
    vreg_place(d, R_MSI_CTRL, msi + 2, 2);
    vreg_place(d, R_MSI_ADDR, msi + 4, 4);
    vreg_place(d, R_MSI_ADDR_HI, msi + 8, wide);
    vreg_place(d, R_MSI_DATA, msi + 8 + wide, 2);
    /* The pending bits after the mask stay the device's. */
    vreg_place(d, R_MSI_MASK, msi + 12 + wide, c & MSI_PVM ? 4 : 0);
    if (c & MSI_ENABLE)
      cfg_write(d, msi + 2, 2, d->msi_ro);
  }
  if (msix) {
    d->msix_ro = xctrl & ~(MSIX_ENABLE | MSIX_MASKALL);
    d->nr_entries = (uint16_t)nr;
    d->entries = (struct ventry *)(d + 1);
    d->table_reg = cfg_read(d, msix + 4, 4);
    d->pba_reg = cfg_read(d, msix + 8, 4);
    vreg_place(d, R_MSIX_CTRL, msix + 2, 2);
    if (xctrl & MSIX_ENABLE)
      cfg_write(d, msix + 2, 2, d->msix_ro);
    msix_locate(d);
    for (unsigned int i = 0; i < nr; i++) {
      d->entries[i].masked = true;
      msix_sync(d, i); /* as at reset: dom0 may have written it while it was mapped */
    }
  }
  d->next = devs;
  devs = d;
  pr_debug("vmsi: %02x:%02x.%u: MSI at 0x%x, MSI-X at 0x%x (%u entries)", bus, devfn >> 3,
           devfn & 7, msi, msix, nr);
  return d;
}

/* bus:devfn's struct vdev (looked at first if it is new), or NULL; see
 * probe for *blocked. */
static struct vdev *dev_get(uint8_t bus, uint8_t devfn, bool *blocked)
{
  *blocked = false;
  for (struct vdev *d = devs; d; d = d->next)
    if (d->bus == bus && d->devfn == devfn)
      return d;
  return probed_once(bus, devfn, false) ? NULL : probe(bus, devfn, blocked);
}

/* The register that byte reg of d is in, and where in it; NR_VREGS when
 * it is none. */
static enum vreg vreg_at(const struct vdev *d, unsigned int reg, unsigned int *byte)
{
  for (unsigned int r = 0; r < NR_VREGS; r++)
    if (d->len[r] && reg >= d->off[r] && reg < d->off[r] + d->len[r]) {
      *byte = reg - d->off[r];
      return r;
    }
  return NR_VREGS;
}

/* Whether the n bytes at reg of d are all the device's. */
static bool vreg_hw(const struct vdev *d, unsigned int reg, unsigned int n)
{
  unsigned int b;
  for (unsigned int i = 0; i < n; i++)
    if (vreg_at(d, reg + i, &b) != NR_VREGS)
      return false;
  return true;
}

bool vmsi_conf_read(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t *val)
{
  bool blocked, hw = false, hit = false;
  struct vdev *d = dev_get(bus, devfn, &blocked);
  uint32_t v = 0, from_hw = 0;
  if (!d)
    return false;
  for (unsigned int i = 0, b; i < size; i++) {
    enum vreg r = vreg_at(d, reg + i, &b);
    if (r == NR_VREGS) {
      hw = true;
      from_hw |= 0xffU << (8 * i);
      continue;
    }
    hit = true;
    v |= ((vreg_get(d, r) >> (8 * b)) & 0xff) << (8 * i);
  }
  if (!hit)
    return false;
  /* Configuration reads have no side effects: the access at its size. */
  if (hw)
    v |= cfg_read(d, reg, size) & from_hw;
  *val = v;
  return true;
}

bool vmsi_conf_write(uint8_t bus, uint8_t devfn, unsigned int reg, unsigned int size, uint32_t val)
{
  bool blocked;
  struct vdev *d = dev_get(bus, devfn, &blocked);
  if (!d)
    return blocked && reg >= 0x40; /* capabilities we cannot follow stay as they are */
  uint32_t nv[NR_VREGS];
  bool touched[NR_VREGS] = {false}, any = false;
  for (unsigned int i = 0, b; i < size; i++) {
    enum vreg r = vreg_at(d, reg + i, &b);
    if (r == NR_VREGS)
      continue;
    if (!touched[r])
      nv[r] = vreg_get(d, r);
    touched[r] = any = true;
    nv[r] = (nv[r] & ~(0xffU << (8 * b))) | ((val >> (8 * i)) & 0xff) << (8 * b);
  }
  bool watch = d->nr_entries && reg < HEADER_WATCH_END && reg + size > PCI_COMMAND;
  if (!any && !watch)
    return false;
  /* The other bytes go to the device, in the widest aligned pieces. */
  for (unsigned int i = 0, n; i < size; i += n) {
    n = 1;
    if (!vreg_hw(d, reg + i, 1))
      continue;
    while (n < 4 && i + 2 * n <= size && !((reg + i) & (2 * n - 1)) && vreg_hw(d, reg + i, 2 * n))
      n *= 2;
    cfg_write(d, reg + i, n, (uint32_t)(((uint64_t)val >> (8 * i)) & (~0ULL >> (64 - 8 * n))));
  }
  for (unsigned int r = 0; r < NR_VREGS; r++)
    if (touched[r])
      vreg_set(d, r, nv[r]);
  if (watch) {
    /* The table may have moved with its BAR or come back with decoding. */
    msix_locate(d);
    for (unsigned int i = 0; d->msix_enabled && i < d->nr_entries; i++)
      if (d->entries[i].vec)
        msix_sync(d, i);
  }
  return true;
}

/* ---- the MSI-X table's pages ---- */

static bool in(uint64_t pa, uint64_t base, uint64_t len)
{
  return base && pa >= base && pa - base < len;
}

static bool pages(uint64_t pa, uint64_t base, uint64_t len)
{
  return base && pa >> PAGE_SHIFT >= base >> PAGE_SHIFT &&
         pa >> PAGE_SHIFT <= (base + len - 1) >> PAGE_SHIFT;
}

static struct vdev *msix_at(uint64_t pa)
{
  for (struct vdev *d = devs; d; d = d->next)
    if (d->nr_entries && (pages(pa, d->table, d->nr_entries * MSIX_ENTRY) ||
                          pages(pa, d->pba, ALIGN_UP(d->nr_entries, 64U) / 8)))
      return d;
  return NULL;
}

bool vmsi_mmio_kept(uint64_t pa) { return msix_at(pa) != NULL; }

/* dom0's access to entry i's register at off (0, 4, 8, 12), n = 4 or 8. */
static void entry_access(struct vdev *d, unsigned int i, unsigned int off, uint64_t *v,
                         unsigned int n, bool write)
{
  struct ventry *e = &d->entries[i];
  if (!write) {
    switch (off) {
    case 0: *v = n == 8 ? e->addr : (uint32_t)e->addr; break;
    case 4: *v = e->addr >> 32; break;
    case 8: *v = e->data | (n == 8 && e->masked ? (uint64_t)MSIX_CTRL_MASKED << 32 : 0); break;
    default: *v = e->masked ? MSIX_CTRL_MASKED : 0; break;
    }
    return;
  }
  /* Address and data are dom0's alone (read when the vector fires);
   * only the mask reaches the device (Xen's msix_write). */
  switch (off) {
  case 0: e->addr = n == 8 ? *v : (e->addr & ~0xffffffffULL) | (uint32_t)*v; return;
  case 4: e->addr = (uint32_t)e->addr | *v << 32; return;
  case 8:
    e->data = (uint32_t)*v;
    if (n == 4)
      return;
    *v >>= 32;
    /* fall through */
  default:
    if (e->masked != (*v & MSIX_CTRL_MASKED)) {
      e->masked = *v & MSIX_CTRL_MASKED;
      msix_sync(d, i);
    }
  }
}

bool vmsi_mmio(uint64_t pa, void *buf, unsigned int n, bool write)
{
  struct vdev *d = msix_at(pa);
  uint64_t v = ~0ULL, tlen;
  if (!d)
    return false;
  tlen = d->nr_entries * MSIX_ENTRY;
  if (write)
    memcpy(&v, buf, MIN(n, 8U));
  bool aligned = (n == 1 || n == 2 || n == 4 || n == 8) && !(pa & (n - 1));
  if (in(pa, d->table, tlen) || in(pa + n - 1, d->table, tlen)) {
    if ((n == 4 || n == 8) && aligned) {
      uint64_t off = pa - d->table;
      entry_access(d, (unsigned int)(off / MSIX_ENTRY), off % MSIX_ENTRY, &v, n, write);
    }
  } else if (aligned) {
    /* The rest of the pages (the PBA, registers beside the table): the
     * device's, as Xen's adjacent_read/write give the hardware domain. */
    if (write)
      pci_mmio_write(pa, n, v);
    else
      v = pci_mmio_read(pa, n);
  } else {
    for (unsigned int i = 0; i < n; i++) {
      uint8_t *p = (uint8_t *)buf + i;
      if (write)
        pci_mmio_write(pa + i, 1, *p);
      else
        *p = (uint8_t)pci_mmio_read(pa + i, 1);
    }
    return true;
  }
  if (!write) {
    memset(buf, 0xff, n);
    memcpy(buf, &v, MIN(n, 8U));
  }
  return true;
}

/* ---- delivery ---- */

/* The host vector of message idx of d fired: dom0's vector, to the vcpu
 * dom0's address names (SDM vol. 3, 11.11.1-2), as Xen's vmsi_deliver;
 * an address outside 0xfeexxxxx or a delivery mode other than fixed and
 * lowest priority is dropped (Xen's vpci_msi_update refuses the former). */
static void deliver(void *arg, unsigned int idx)
{
  struct vdev *d = arg;
  uint64_t addr;
  uint32_t data;
  if (idx == MSI_IDX) {
    if (!d->msi_enabled)
      return;
    addr = d->msi_addr;
    data = d->msi_data;
  } else {
    if (!d->msix_enabled || idx >= d->nr_entries)
      return;
    addr = d->entries[idx].addr;
    data = d->entries[idx].data;
  }
  if ((addr & 0xfff00000ULL) != MSI_ADDR_BASE || MSI_DATA_MODE(data) > 1 ||
      MSI_DATA_VECTOR(data) < 16) {
    say_once(d, SAID_DROP, "a message dom0 addressed to no local APIC, or not fixed: dropped",
             -EINVAL);
    return;
  }
  irq_bind_inject((uint8_t)MSI_DATA_VECTOR(data), MSI_ADDR_DEST(addr), addr & MSI_ADDR_LOGICAL,
                  false);
}

void vmsi_reset(void)
{
  while (devs) {
    struct vdev *d = devs;
    devs = d->next;
    vec_put(&d->msi_vec);
    for (unsigned int i = 0; i < d->nr_entries; i++)
      vec_put(&d->entries[i].vec);
    heap_free(d);
  }
  memset(probed, 0, sizeof(probed));
}
