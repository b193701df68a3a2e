/* The Intel 8254x (e1000) driver's registers, descriptors and state.
 * Section numbers are those of Intel's "PCI/PCI-X Family of Gigabit
 * Ethernet Controllers Software Developer's Manual" (317453, the 8254x
 * SDM).  Internal to net/ and to its unit test. */
#ifndef NET_E1000_H
#define NET_E1000_H

#include <hv/nic.h>

/* Registers: byte offsets into BAR 0 (SDM chapter 13, register summary). */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EERD 0x0014
#define E1000_FCAL 0x0028
#define E1000_FCAH 0x002c
#define E1000_FCT 0x0030
#define E1000_ICR 0x00c0
#define E1000_IMC 0x00d8
#define E1000_RCTL 0x0100
#define E1000_FCTTV 0x0170
#define E1000_TCTL 0x0400
#define E1000_TIPG 0x0410
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_RDTR 0x2820
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_RXCSUM 0x5000
#define E1000_MTA 0x5200 /* 128 dwords */
#define E1000_RAL0 0x5400
#define E1000_RAH0 0x5404
/* The registers this driver touches all lie below this. */
#define E1000_REGS_SIZE 0x5800

/* CTRL, device control (SDM 13, "Device Control Register"). */
#define E1000_CTRL_LRST BIT(3)
#define E1000_CTRL_ASDE BIT(5)
#define E1000_CTRL_SLU BIT(6)
#define E1000_CTRL_ILOS BIT(7)
#define E1000_CTRL_RST BIT(26)
#define E1000_CTRL_VME BIT(30)
#define E1000_CTRL_PHY_RST BIT(31)
/* STATUS, device status. */
#define E1000_STATUS_LU BIT(1)
/* EERD, EEPROM read, on the 82540/82545/82546 (SDM 13, "EEPROM Read
 * Register"; chapter 5 for the EEPROM's words): START, DONE, address 15:8, data
 * 31:16.  (The 82541 and 82547 move DONE to bit 1 and the address to
 * 15:2; they are not driven here.) */
#define E1000_EERD_START BIT(0)
#define E1000_EERD_DONE BIT(4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16
/* RAH, receive address high: address valid. */
#define E1000_RAH_AV BIT(31)
/* RCTL, receive control: BSIZE 00 with BSEX 0 is 2048-byte buffers. */
#define E1000_RCTL_EN BIT(1)
#define E1000_RCTL_BAM BIT(15)
#define E1000_RCTL_SECRC BIT(26)
/* TCTL, transmit control: CT (collision threshold) 11:4, COLD (collision
 * distance) 21:12, with the values the SDM recommends for full duplex
 * (14.5, transmit initialization); the NIC uses them only in half duplex. */
#define E1000_TCTL_EN BIT(1)
#define E1000_TCTL_PSP BIT(3)
#define E1000_TCTL_CT (0x0fu << 4)
#define E1000_TCTL_COLD (0x40u << 12)
/* TIPG, transmit inter-packet gap, for copper: IPGT 10, IPGR1 8, IPGR2 6
 * (the SDM's recommended values for the 82540/82545/82546). */
#define E1000_TIPG_COPPER (10u | 8u << 10 | 6u << 20)

/* Legacy receive descriptor (SDM 3.2.3), 16 bytes. */
struct e1000_rx_desc {
  uint64_t addr;
  uint16_t length;
  uint16_t csum;
  uint8_t status;
  uint8_t errors;
  uint16_t special;
};
#define E1000_RXD_DD BIT(0)
#define E1000_RXD_EOP BIT(1)
/* Frame errors (the descriptor's errors field): CE, SE, SEQ, CXE, RXE.  The checksum error bits
 * (TCPE, IPE) stay unused: RXCSUM is off and the stack checks sums. */
#define E1000_RXE_FRAME 0x97u

/* Legacy transmit descriptor (SDM 3.3.3), 16 bytes. */
struct e1000_tx_desc {
  uint64_t addr;
  uint16_t length;
  uint8_t cso;
  uint8_t cmd;
  uint8_t status;
  uint8_t css;
  uint16_t special;
};
#define E1000_TXD_EOP BIT(0)
#define E1000_TXD_IFCS BIT(1)
#define E1000_TXD_RS BIT(3)
#define E1000_TXD_DD BIT(0)

/* Ring sizes: a multiple of 8 descriptors (RDLEN and TDLEN are multiples
 * of 128 bytes), one 2048-byte buffer each. */
#define E1000_NR_RX 32
#define E1000_NR_TX 32
#define E1000_BUF_SIZE 2048

/* A device this driver handles. */
struct e1000_model {
  uint16_t device;
  const char *name;
  bool dual_port; /* 82546: function 1's MAC is function 0's with bit 0 of
                   * its last byte inverted (SDM 5, EEPROM map) */
};

struct e1000 {
  volatile uint32_t *regs; /* BAR 0, uncached */
  volatile struct e1000_rx_desc *rx_ring;
  volatile struct e1000_tx_desc *tx_ring;
  uint8_t *rx_buf, *tx_buf; /* E1000_NR_* buffers of E1000_BUF_SIZE each */
  unsigned int rx_next;     /* the next descriptor the NIC fills */
  bool rx_discard;          /* dropping the rest of a frame that did not fit */
  unsigned int tx_tail;     /* the next descriptor to fill (TDT) */
  unsigned int tx_clean;    /* the oldest descriptor not yet seen done */
};

/* Register access: hw->regs points at the uncached mapping of BAR 0 (or,
 * in the unit test, at plain memory). */
static inline uint32_t e1000_read(const struct e1000 *hw, uint32_t reg)
{
  return hw->regs[reg / 4];
}

static inline void e1000_write(struct e1000 *hw, uint32_t reg, uint32_t v)
{
  hw->regs[reg / 4] = v;
}

/* The model for an Intel device ID, or NULL when this driver does not
 * handle it. */
const struct e1000_model *e1000_match(uint16_t vendor, uint16_t device);

/* Start the NIC whose registers are at regs (BAR 0, mapped; memory decode
 * and bus mastering on), PCI function fn: reset it, mask its interrupts,
 * read its MAC into nic->mac, set the link up and give it fresh receive
 * and transmit rings.  hw is the driver's state (zeroed here); nic->hw is
 * set to it.  Waits are bounded (reset 50 ms, each EEPROM word 10 ms).
 * Returns 0, -ENOMEM (no frames for the rings) or -EIO (reset never
 * completes, no valid MAC), with one line logged. */
int e1000_start(struct nic *nic, struct e1000 *hw, volatile uint32_t *regs,
                const struct e1000_model *model, unsigned int fn);

/* Undo e1000_start's allocations after the NIC is stopped (receive and
 * transmit off, so it no longer reads or writes the rings). */
void e1000_stop(struct nic *nic);

#endif
