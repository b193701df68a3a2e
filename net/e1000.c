/* The Intel 8254x (e1000) driver: reset, MAC address, link, and one legacy
 * receive and one legacy transmit ring, polled (no interrupts).  Handles
 * the 82540EM/EP (what QEMU and Bochs emulate as "e1000"), the 82545EM/GM
 * and the 82546EB/GB, copper only: they share the register set and the
 * EERD layout used here.  Not handled: the 82541 and 82547 (EERD moves
 * DONE to bit 1 and the address to bits 15:2; their IGP PHYs want an init
 * script, and the 82547 a transmit FIFO errata workaround), the 82544 (no
 * EERD), fiber and SerDes parts (no copper link set-up).  Section numbers
 * are those of Intel's 8254x Software Developer's Manual (317453).
 *
 * Memory ordering: descriptors and buffers are write-back RAM the NIC
 * reads and writes by DMA (snooped: x86 keeps DMA coherent); the registers
 * are uncached MMIO.  x86 keeps stores in program order, WB and UC alike,
 * and loads in program order (SDM vol. 3, "Memory Ordering in P6 and More
 * Recent Processor Families"), so only the compiler
 * must be kept from reordering: a compiler barrier before the tail write
 * that hands descriptors to the NIC, and after reading a descriptor's DD
 * bit before reading the rest of it. */
#include "e1000.h"
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>

#define compiler_barrier() asm volatile("" ::: "memory")

static const struct e1000_model models[] = {
    {0x100e, "82540EM", false}, {0x1015, "82540EM", false}, /* LOM */
    {0x1016, "82540EP", false},                             /* LOM */
    {0x1017, "82540EP", false}, {0x101e, "82540EP", false}, /* low profile */
    {0x100f, "82545EM", false},                             /* copper */
    {0x1026, "82545GM", false},                             /* copper */
    {0x1010, "82546EB", true},                              /* copper */
    {0x101d, "82546EB", true},                              /* quad copper */
    {0x1079, "82546GB", true},                              /* copper */
};

const struct e1000_model *e1000_match(uint16_t vendor, uint16_t device)
{
  if (vendor != 0x8086)
    return NULL;
  for (unsigned int i = 0; i < ARRAY_SIZE(models); i++)
    if (models[i].device == device)
      return &models[i];
  return NULL;
}

/* Wait up to timeout_ns for (reg & mask) == want.  The iteration bound
 * keeps it finite even if the clock did not run. */
static bool wait_reg(struct e1000 *hw, uint32_t reg, uint32_t mask, uint32_t want,
                     uint64_t timeout_ns)
{
  uint64_t end = arch_now_ns() + timeout_ns;
  for (unsigned long i = 0; i < 10000000ul; i++) {
    if ((e1000_read(hw, reg) & mask) == want)
      return true;
    if (arch_now_ns() > end)
      break;
    arch_cpu_relax();
  }
  return (e1000_read(hw, reg) & mask) == want;
}

/* Let ns pass (bounded as wait_reg). */
static void delay_ns(uint64_t ns)
{
  uint64_t end = arch_now_ns() + ns;
  for (unsigned long i = 0; i < 10000000ul && arch_now_ns() < end; i++)
    arch_cpu_relax();
}

/* One 16-bit EEPROM word through EERD; -EIO when DONE never comes. */
static int eeprom_read(struct e1000 *hw, unsigned int addr, uint16_t *out)
{
  e1000_write(hw, E1000_EERD, E1000_EERD_START | addr << E1000_EERD_ADDR_SHIFT);
  if (!wait_reg(hw, E1000_EERD, E1000_EERD_DONE, E1000_EERD_DONE, 10000000))
    return -EIO;
  *out = (uint16_t)(e1000_read(hw, E1000_EERD) >> E1000_EERD_DATA_SHIFT);
  return 0;
}

static bool mac_valid(const uint8_t *mac)
{
  static const uint8_t zero[6];
  return !(mac[0] & 1) && memcmp(mac, zero, 6); /* not multicast, not zero */
}

/* The MAC address: what the NIC loaded from its EEPROM into RAL0/RAH0 at
 * reset (SDM 13, "Receive Address"), else the EEPROM's words 0..2 read
 * through EERD, which then go into RAL0/RAH0.  The two are compared when
 * both are there. */
static int read_mac(struct nic *nic, struct e1000 *hw, const struct e1000_model *model,
                    unsigned int fn)
{
  uint32_t ral = e1000_read(hw, E1000_RAL0), rah = e1000_read(hw, E1000_RAH0);
  uint8_t ra[6] = {(uint8_t)ral,         (uint8_t)(ral >> 8), (uint8_t)(ral >> 16),
                   (uint8_t)(ral >> 24), (uint8_t)rah,        (uint8_t)(rah >> 8)};
  uint8_t ee[6] = {0};
  bool ra_ok = (rah & E1000_RAH_AV) && mac_valid(ra), ee_read = true;

  for (unsigned int i = 0; i < 3 && ee_read; i++) {
    uint16_t w = 0;
    ee_read = eeprom_read(hw, i, &w) == 0;
    ee[2 * i] = (uint8_t)w;
    ee[2 * i + 1] = (uint8_t)(w >> 8);
  }
  if (ee_read && model->dual_port && (fn & 1))
    ee[5] ^= 1;
  bool ee_ok = ee_read && mac_valid(ee);

  if (ra_ok) {
    if (ee_ok && memcmp(ra, ee, 6))
      pr_warn("net: %s: RAL0/RAH0 and the EEPROM give different MACs; using RAL0/RAH0", nic->name);
    memcpy(nic->mac, ra, 6);
    return 0;
  }
  if (!ee_ok) {
    pr_err("net: %s: no valid MAC address (RAL0/RAH0 %08x/%08x, EEPROM %s)", nic->name, ral, rah,
           ee_read ? "invalid" : "unreadable");
    return -EIO;
  }
  memcpy(nic->mac, ee, 6);
  e1000_write(hw, E1000_RAL0,
              (uint32_t)ee[0] | (uint32_t)ee[1] << 8 | (uint32_t)ee[2] << 16 |
                  (uint32_t)ee[3] << 24);
  e1000_write(hw, E1000_RAH0, (uint32_t)ee[4] | (uint32_t)ee[5] << 8 | E1000_RAH_AV);
  return 0;
}

/* Frames for the rings and their buffers; 0 or -ENOMEM (nothing kept). */
static int alloc_rings(struct e1000 *hw)
{
  paddr_t rx = frame_alloc_zeroed(), tx = frame_alloc_zeroed();
  paddr_t rxb = frame_alloc_contig(E1000_NR_RX * E1000_BUF_SIZE / PAGE_SIZE, 1);
  paddr_t txb = frame_alloc_contig(E1000_NR_TX * E1000_BUF_SIZE / PAGE_SIZE, 1);

  if (!rx || !tx || !rxb || !txb) {
    if (rx)
      frame_free(rx);
    if (tx)
      frame_free(tx);
    if (rxb)
      frame_free_contig(rxb, E1000_NR_RX * E1000_BUF_SIZE / PAGE_SIZE);
    if (txb)
      frame_free_contig(txb, E1000_NR_TX * E1000_BUF_SIZE / PAGE_SIZE);
    return -ENOMEM;
  }
  hw->rx_ring = phys_to_virt(rx);
  hw->tx_ring = phys_to_virt(tx);
  hw->rx_buf = phys_to_virt(rxb);
  hw->tx_buf = phys_to_virt(txb);
  return 0;
}

void e1000_stop(struct nic *nic)
{
  struct e1000 *hw = nic->hw;

  e1000_write(hw, E1000_RCTL, 0);
  e1000_write(hw, E1000_TCTL, 0);
  frame_free(virt_to_phys((const void *)hw->rx_ring));
  frame_free(virt_to_phys((const void *)hw->tx_ring));
  frame_free_contig(virt_to_phys(hw->rx_buf), E1000_NR_RX * E1000_BUF_SIZE / PAGE_SIZE);
  frame_free_contig(virt_to_phys(hw->tx_buf), E1000_NR_TX * E1000_BUF_SIZE / PAGE_SIZE);
  nic->hw = NULL;
}

/* Receive set-up (SDM 14.4): every descriptor but one given to the NIC
 * (RDT one behind RDH: the ring is full when they meet), 2048-byte
 * buffers, broadcasts accepted, the CRC stripped. */
static void rx_init(struct e1000 *hw)
{
  for (unsigned int i = 0; i < E1000_NR_RX; i++) {
    hw->rx_ring[i].addr = virt_to_phys(hw->rx_buf + i * E1000_BUF_SIZE);
    hw->rx_ring[i].status = 0;
  }
  paddr_t ring = virt_to_phys((const void *)hw->rx_ring);
  e1000_write(hw, E1000_RDBAL, (uint32_t)ring);
  e1000_write(hw, E1000_RDBAH, (uint32_t)(ring >> 32));
  e1000_write(hw, E1000_RDLEN, E1000_NR_RX * sizeof(struct e1000_rx_desc));
  e1000_write(hw, E1000_RDH, 0);
  e1000_write(hw, E1000_RDT, E1000_NR_RX - 1);
  e1000_write(hw, E1000_RDTR, 0);   /* no receive interrupt delay */
  e1000_write(hw, E1000_RXCSUM, 0); /* no checksum offload */
  hw->rx_next = 0;
  hw->rx_discard = false;
  compiler_barrier(); /* the ring is in memory before receive is on */
  e1000_write(hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
}

/* Transmit set-up (SDM 14.5): an empty ring (TDH == TDT), short frames
 * padded, the copper inter-packet gap. */
static void tx_init(struct e1000 *hw)
{
  paddr_t ring = virt_to_phys((const void *)hw->tx_ring);
  e1000_write(hw, E1000_TDBAL, (uint32_t)ring);
  e1000_write(hw, E1000_TDBAH, (uint32_t)(ring >> 32));
  e1000_write(hw, E1000_TDLEN, E1000_NR_TX * sizeof(struct e1000_tx_desc));
  e1000_write(hw, E1000_TDH, 0);
  e1000_write(hw, E1000_TDT, 0);
  hw->tx_tail = hw->tx_clean = 0;
  e1000_write(hw, E1000_TIPG, E1000_TIPG_COPPER);
  e1000_write(hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT | E1000_TCTL_COLD);
}

int e1000_start(struct nic *nic, struct e1000 *hw, volatile uint32_t *regs,
                const struct e1000_model *model, unsigned int fn)
{
  memset(hw, 0, sizeof(*hw));
  hw->regs = regs;
  nic->hw = hw;
  nic->model = model->name;

  /* Quiesce, then a global reset (SDM 14.2 and 14.3): interrupts masked,
   * receive and transmit off and given time to finish their DMA. */
  e1000_write(hw, E1000_IMC, 0xffffffffu);
  e1000_write(hw, E1000_RCTL, 0);
  e1000_write(hw, E1000_TCTL, E1000_TCTL_PSP);
  (void)e1000_read(hw, E1000_STATUS); /* flush the posted writes */
  delay_ns(10000000);
  e1000_write(hw, E1000_CTRL, e1000_read(hw, E1000_CTRL) | E1000_CTRL_RST);
  /* RST clears itself; no register access for 1 us after setting it, and
   * the 8254x reloads its EEPROM words after the reset (a few ms). */
  delay_ns(1000);
  if (!wait_reg(hw, E1000_CTRL, E1000_CTRL_RST, 0, 50000000)) {
    pr_err("net: %s: %s reset did not complete (CTRL 0x%08x after 50 ms)", nic->name, model->name,
           e1000_read(hw, E1000_CTRL));
    nic->hw = NULL;
    return -EIO;
  }
  delay_ns(5000000);
  e1000_write(hw, E1000_IMC, 0xffffffffu); /* the reset unmasked nothing, but be sure */
  (void)e1000_read(hw, E1000_ICR);         /* reading clears what is pending */

  int err = read_mac(nic, hw, model, fn);
  if (err) {
    nic->hw = NULL;
    return err;
  }

  /* Link (SDM 14.3): set link up, speed and duplex from auto-negotiation
   * (ASDE), no forced loss of signal inversion, no VLAN mode, the PHY and
   * link out of reset. */
  uint32_t ctrl = e1000_read(hw, E1000_CTRL);
  ctrl |= E1000_CTRL_SLU | E1000_CTRL_ASDE;
  ctrl &= ~(uint32_t)(E1000_CTRL_LRST | E1000_CTRL_ILOS | E1000_CTRL_VME | E1000_CTRL_PHY_RST);
  e1000_write(hw, E1000_CTRL, ctrl);
  /* No flow control (14.3: zero FCAL, FCAH, FCT and FCTTV when unused). */
  e1000_write(hw, E1000_FCAL, 0);
  e1000_write(hw, E1000_FCAH, 0);
  e1000_write(hw, E1000_FCT, 0);
  e1000_write(hw, E1000_FCTTV, 0);
  /* No multicast (the table is not cleared by reset, 14.4). */
  for (unsigned int i = 0; i < 128; i++)
    e1000_write(hw, E1000_MTA + 4 * i, 0);

  err = alloc_rings(hw);
  if (err) {
    pr_err("net: %s: no memory for the descriptor rings", nic->name);
    nic->hw = NULL;
    return err;
  }
  rx_init(hw);
  tx_init(hw);
  return 0;
}

bool nic_link_up(struct nic *nic) { return e1000_read(nic->hw, E1000_STATUS) & E1000_STATUS_LU; }

/* Move tx_clean past the descriptors the NIC has sent (DD written back,
 * since every descriptor asks for it with RS). */
static void tx_reclaim(struct e1000 *hw)
{
  while (hw->tx_clean != hw->tx_tail && (hw->tx_ring[hw->tx_clean].status & E1000_TXD_DD))
    hw->tx_clean = (hw->tx_clean + 1) % E1000_NR_TX;
}

int nic_tx(struct nic *nic, const void *frame, size_t len)
{
  struct e1000 *hw = nic->hw;

  if (!len || len > NIC_FRAME_MAX)
    return -EINVAL;
  tx_reclaim(hw);
  unsigned int i = hw->tx_tail, next = (i + 1) % E1000_NR_TX;
  if (next == hw->tx_clean) { /* one slot stays empty: TDT == TDH means empty */
    nic->stats.tx_ring_full++;
    return -EAGAIN;
  }
  uint8_t *buf = hw->tx_buf + i * E1000_BUF_SIZE;
  memcpy(buf, frame, len);
  volatile struct e1000_tx_desc *d = &hw->tx_ring[i];
  d->addr = virt_to_phys(buf);
  d->length = (uint16_t)len;
  d->cso = 0;
  d->css = 0;
  d->special = 0;
  d->status = 0;
  d->cmd = E1000_TXD_EOP | E1000_TXD_IFCS | E1000_TXD_RS;
  compiler_barrier(); /* descriptor and buffer before the tail (see the top) */
  hw->tx_tail = next;
  e1000_write(hw, E1000_TDT, next);
  nic->stats.tx_packets++;
  return 0;
}

int nic_rx(struct nic *nic, void *buf, size_t max)
{
  struct e1000 *hw = nic->hw;

  /* At most one ring's worth of dropped frames per call. */
  for (unsigned int n = 0; n < E1000_NR_RX; n++) {
    unsigned int i = hw->rx_next;
    volatile struct e1000_rx_desc *d = &hw->rx_ring[i];
    uint8_t status = d->status;
    if (!(status & E1000_RXD_DD))
      return 0;
    compiler_barrier(); /* the rest of the descriptor after DD */
    size_t len = d->length;
    uint8_t errors = d->errors;
    int got = -1;

    if (hw->rx_discard || !(status & E1000_RXD_EOP)) {
      /* A frame spanning buffers: longer than we let the NIC store (no
       * long packets), counted once, dropped to its last piece. */
      if (!hw->rx_discard)
        nic->stats.rx_oversize++;
      hw->rx_discard = !(status & E1000_RXD_EOP);
    } else if ((errors & E1000_RXE_FRAME) || len == 0) {
      nic->stats.rx_errors++;
    } else if (len > max || len > E1000_BUF_SIZE) {
      nic->stats.rx_oversize++;
    } else {
      memcpy(buf, hw->rx_buf + i * E1000_BUF_SIZE, len);
      nic->stats.rx_packets++;
      got = (int)len;
    }
    /* Give the descriptor back: it becomes the one held back, so the
     * NIC may fill up to the one before it. */
    d->status = 0;
    compiler_barrier();
    hw->rx_next = (i + 1) % E1000_NR_RX;
    e1000_write(hw, E1000_RDT, i);
    if (got >= 0)
      return got;
  }
  return 0;
}
