/* Unit tests of the e1000 driver (net/e1000.c) against a fake register
 * file (plain memory where BAR 0 would be) and the real frame allocator
 * over fake RAM: start-up (reset, MAC from RAL0/RAH0 or the EEPROM, the
 * rings' registers), a reset that never completes, transmit (copy, ring
 * wrap, full ring, too long), receive (frames handed out and descriptors
 * recycled through RDT, errored and oversized frames dropped and
 * counted). */
#include "../../net/e1000.h"
#include "unit.h"

#include "fake_arch.h"
#include <hv/errno.h>
#include <hv/frame.h>

#define FAKE_BASE MiB(1)
#define FAKE_SIZE MiB(8)

static const struct boot_mem_region map[] = {{MiB(1), MiB(8), BOOT_MEM_RAM}};

static uint32_t *regs;    /* the fake BAR 0 */
static bool reset_works;  /* the "device" clears CTRL.RST */
static bool eeprom_works; /* the "device" answers EERD */
static uint16_t eeprom[64];
static struct nic nic;
static struct e1000 hw;

#define REG(r) regs[(r) / 4]

/* The driver relaxes while it waits (fake_arch.c's arch_cpu_relax calls
 * this): the fake device acts then. */
static void device_acts(void)
{
  if (reset_works)
    REG(E1000_CTRL) &= ~(uint32_t)E1000_CTRL_RST;
  uint32_t eerd = REG(E1000_EERD);
  if (eeprom_works && (eerd & E1000_EERD_START) && !(eerd & E1000_EERD_DONE)) {
    unsigned int addr = (eerd >> E1000_EERD_ADDR_SHIFT) & 0xff;
    REG(E1000_EERD) = eerd | E1000_EERD_DONE | (uint32_t)eeprom[addr % 64] << 16;
  }
}

static int group_setup(void **state)
{
  (void)state;
  fake_ram_init(FAKE_BASE, FAKE_SIZE);
  regs = calloc(1, KiB(128));
  return regs ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  free(regs);
  fake_ram_free();
  return 0;
}

static int setup(void **state)
{
  (void)state;
  shim_log_clear();
  if (frame_init(map, ARRAY_SIZE(map), NULL, 0, 0))
    return -1;
  fake_arch_reset();
  fake_now_step = 1000; /* every look at the clock moves it on 1 us */
  fake_relax_hook = device_acts;
  memset(regs, 0, KiB(128));
  memset(&nic, 0, sizeof(nic));
  strcpy(nic.name, "00:03.0");
  reset_works = eeprom_works = true;
  memset(eeprom, 0, sizeof(eeprom));
  /* What the NIC loaded from its EEPROM at power-on: 52:54:00:12:34:56. */
  REG(E1000_RAL0) = 0x12005452;
  REG(E1000_RAH0) = 0x5634 | E1000_RAH_AV;
  eeprom[0] = 0x5452;
  eeprom[1] = 0x1200;
  eeprom[2] = 0x5634;
  return 0;
}

static const struct e1000_model *m82540(void)
{
  const struct e1000_model *m = e1000_match(0x8086, 0x100e);
  assert_non_null(m);
  return m;
}

static void start(void)
{
  assert_int_equal(e1000_start(&nic, &hw, regs, m82540(), 0), 0);
  assert_ptr_equal(nic.hw, &hw);
}

static void test_match(void **state)
{
  (void)state;
  assert_string_equal(e1000_match(0x8086, 0x100e)->name, "82540EM");
  assert_string_equal(e1000_match(0x8086, 0x100f)->name, "82545EM");
  assert_true(e1000_match(0x8086, 0x1010)->dual_port);
  assert_null(e1000_match(0x8086, 0x1013)); /* 82541EI: another EERD layout */
  assert_null(e1000_match(0x8086, 0x1019)); /* 82547EI */
  assert_null(e1000_match(0x8086, 0x1011)); /* 82545EM fiber */
  assert_null(e1000_match(0x8086, 0x10d3)); /* 82574L: not an 8254x */
  assert_null(e1000_match(0x10ec, 0x100e));
}

static void test_start(void **state)
{
  (void)state;
  unsigned long before = frame_nr_free();
  start();
  static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  assert_memory_equal(nic.mac, mac, 6);
  assert_string_equal(nic.model, "82540EM");
  assert_int_equal(REG(E1000_IMC), 0xffffffffu);
  uint32_t ctrl = REG(E1000_CTRL);
  assert_true(ctrl & E1000_CTRL_SLU);
  assert_true(ctrl & E1000_CTRL_ASDE);
  assert_false(ctrl & (E1000_CTRL_RST | E1000_CTRL_LRST | E1000_CTRL_PHY_RST));
  assert_int_equal(REG(E1000_RCTL), E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
  assert_int_equal(REG(E1000_TCTL),
                   E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT | E1000_TCTL_COLD);
  assert_int_equal(REG(E1000_TIPG), 0x0060200a);
  assert_int_equal(REG(E1000_RDLEN), E1000_NR_RX * 16);
  assert_int_equal(REG(E1000_TDLEN), E1000_NR_TX * 16);
  assert_int_equal(REG(E1000_RDH), 0);
  assert_int_equal(REG(E1000_RDT), E1000_NR_RX - 1);
  assert_int_equal(REG(E1000_TDH), 0);
  assert_int_equal(REG(E1000_TDT), 0);
  uint64_t rdba = (uint64_t)REG(E1000_RDBAH) << 32 | REG(E1000_RDBAL);
  assert_int_equal(rdba, virt_to_phys((const void *)hw.rx_ring));
  assert_true(IS_ALIGNED(rdba, 16));
  for (unsigned int i = 0; i < E1000_NR_RX; i++)
    assert_int_equal(hw.rx_ring[i].addr, virt_to_phys(hw.rx_buf + i * E1000_BUF_SIZE));
  for (unsigned int i = 0; i < 128; i++)
    assert_int_equal(REG(E1000_MTA + 4 * i), 0);
  REG(E1000_STATUS) = E1000_STATUS_LU;
  assert_true(nic_link_up(&nic));
  REG(E1000_STATUS) = 0;
  assert_false(nic_link_up(&nic));

  e1000_stop(&nic);
  assert_int_equal(frame_nr_free(), before);
  assert_null(nic.hw);
}

static void test_reset_stuck(void **state)
{
  (void)state;
  reset_works = false;
  unsigned long before = frame_nr_free();
  assert_int_equal(e1000_start(&nic, &hw, regs, m82540(), 0), -EIO);
  assert_true(shim_log_contains("reset did not complete"));
  assert_null(nic.hw);
  assert_int_equal(frame_nr_free(), before);
}

static void test_mac_from_eeprom(void **state)
{
  (void)state;
  REG(E1000_RAL0) = 0;
  REG(E1000_RAH0) = 0;
  eeprom[0] = 0x1b00; /* 00:1b:21:aa:bb:cc */
  eeprom[1] = 0xaa21;
  eeprom[2] = 0xccbb;
  start();
  static const uint8_t mac[6] = {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc};
  assert_memory_equal(nic.mac, mac, 6);
  assert_int_equal(REG(E1000_RAL0), 0xaa211b00);
  assert_int_equal(REG(E1000_RAH0), 0xccbb | E1000_RAH_AV);
  e1000_stop(&nic);

  /* An 82546's second port: the last bit inverted. */
  REG(E1000_RAH0) = 0;
  assert_int_equal(e1000_start(&nic, &hw, regs, e1000_match(0x8086, 0x1010), 1), 0);
  assert_int_equal(nic.mac[5], 0xcd);
  e1000_stop(&nic);
}

static void test_no_mac(void **state)
{
  (void)state;
  REG(E1000_RAH0) = 0x5634; /* AV clear */
  eeprom_works = false;
  assert_int_equal(e1000_start(&nic, &hw, regs, m82540(), 0), -EIO);
  assert_true(shim_log_contains("no valid MAC address"));
  assert_true(shim_log_contains("unreadable"));
  assert_null(nic.hw);

  eeprom_works = true;
  memset(eeprom, 0xff, sizeof(eeprom)); /* blank: broadcast, not a MAC */
  shim_log_clear();
  assert_int_equal(e1000_start(&nic, &hw, regs, m82540(), 0), -EIO);
  assert_true(shim_log_contains("invalid"));
}

static void test_tx(void **state)
{
  (void)state;
  start();
  uint8_t frame[NIC_FRAME_MAX + 1];
  for (unsigned int i = 0; i < sizeof(frame); i++)
    frame[i] = (uint8_t)i;

  assert_int_equal(nic_tx(&nic, frame, 0), -EINVAL);
  assert_int_equal(nic_tx(&nic, frame, NIC_FRAME_MAX + 1), -EINVAL);
  assert_int_equal(nic_tx(&nic, frame, NIC_FRAME_MAX), 0);
  assert_int_equal(REG(E1000_TDT), 1);
  volatile struct e1000_tx_desc *d = &hw.tx_ring[0];
  assert_int_equal(d->length, NIC_FRAME_MAX);
  assert_int_equal(d->cmd, E1000_TXD_EOP | E1000_TXD_IFCS | E1000_TXD_RS);
  assert_memory_equal(phys_to_virt(d->addr), frame, NIC_FRAME_MAX);

  /* The ring holds NR_TX - 1 frames: one more is refused. */
  for (unsigned int i = 1; i < E1000_NR_TX - 1; i++)
    assert_int_equal(nic_tx(&nic, frame, 60), 0);
  assert_int_equal(REG(E1000_TDT), E1000_NR_TX - 1);
  assert_int_equal(nic_tx(&nic, frame, 60), -EAGAIN);
  assert_int_equal(nic.stats.tx_ring_full, 1);

  /* The NIC sends two: two more fit, and the tail wraps to 1. */
  hw.tx_ring[0].status = E1000_TXD_DD;
  hw.tx_ring[1].status = E1000_TXD_DD;
  assert_int_equal(nic_tx(&nic, frame + 1, 42), 0);
  assert_int_equal(REG(E1000_TDT), 0);
  assert_int_equal(nic_tx(&nic, frame + 2, 43), 0);
  assert_int_equal(REG(E1000_TDT), 1);
  assert_int_equal(nic_tx(&nic, frame, 60), -EAGAIN);
  d = &hw.tx_ring[E1000_NR_TX - 1];
  assert_int_equal(d->length, 42);
  assert_memory_equal(phys_to_virt(d->addr), frame + 1, 42);
  assert_int_equal(hw.tx_ring[0].length, 43);
  assert_int_equal(hw.tx_ring[0].status, 0); /* DD cleared for the NIC */
  assert_int_equal(nic.stats.tx_packets, E1000_NR_TX + 1);
  e1000_stop(&nic);
}

/* The "NIC" receives a frame into descriptor i. */
static void deliver(unsigned int i, const void *data, uint16_t len, uint8_t status, uint8_t errors)
{
  volatile struct e1000_rx_desc *d = &hw.rx_ring[i];
  memcpy(phys_to_virt(d->addr), data, len);
  d->length = len;
  d->errors = errors;
  d->status = status;
}

static void test_rx(void **state)
{
  (void)state;
  start();
  uint8_t in[E1000_BUF_SIZE], out[E1000_BUF_SIZE];
  for (unsigned int i = 0; i < sizeof(in); i++)
    in[i] = (uint8_t)(i * 7);

  assert_int_equal(nic_rx(&nic, out, sizeof(out)), 0); /* nothing yet */
  deliver(0, in, 64, E1000_RXD_DD | E1000_RXD_EOP, 0);
  deliver(1, in + 1, 1514, E1000_RXD_DD | E1000_RXD_EOP, 0);
  assert_int_equal(nic_rx(&nic, out, sizeof(out)), 64);
  assert_memory_equal(out, in, 64);
  assert_int_equal(REG(E1000_RDT), 0); /* descriptor 0 given back */
  assert_int_equal(hw.rx_ring[0].status, 0);
  assert_int_equal(nic_rx(&nic, out, sizeof(out)), 1514);
  assert_memory_equal(out, in + 1, 1514);
  assert_int_equal(REG(E1000_RDT), 1);
  assert_int_equal(nic_rx(&nic, out, sizeof(out)), 0);

  /* Errored (CRC), too long for the caller, spanning two buffers, then a
   * good one: nic_rx skips the three and hands out the fourth. */
  deliver(2, in, 100, E1000_RXD_DD | E1000_RXD_EOP, 0x01);
  deliver(3, in, 200, E1000_RXD_DD | E1000_RXD_EOP, 0);
  deliver(4, in, 2048, E1000_RXD_DD, 0);
  deliver(5, in, 10, E1000_RXD_DD | E1000_RXD_EOP, 0);
  deliver(6, in + 5, 60, E1000_RXD_DD | E1000_RXD_EOP, 0);
  assert_int_equal(nic_rx(&nic, out, 150), 60);
  assert_memory_equal(out, in + 5, 60);
  assert_int_equal(REG(E1000_RDT), 6);
  assert_int_equal(nic.stats.rx_errors, 1);
  assert_int_equal(nic.stats.rx_oversize, 2); /* the 200 and the 2048+10 */
  assert_int_equal(nic.stats.rx_packets, 3);

  /* Around the ring: descriptors 7 .. NR_RX-1, then 0 again. */
  for (unsigned int k = 0; k < E1000_NR_RX; k++) {
    unsigned int i = (7 + k) % E1000_NR_RX;
    deliver(i, in + k, (uint16_t)(60 + k), E1000_RXD_DD | E1000_RXD_EOP, 0);
    assert_int_equal(nic_rx(&nic, out, sizeof(out)), 60 + k);
    assert_memory_equal(out, in + k, 60 + k);
    assert_int_equal(REG(E1000_RDT), i);
  }
  e1000_stop(&nic);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_match, setup),
      cmocka_unit_test_setup(test_start, setup),
      cmocka_unit_test_setup(test_reset_stuck, setup),
      cmocka_unit_test_setup(test_mac_from_eeprom, setup),
      cmocka_unit_test_setup(test_no_mac, setup),
      cmocka_unit_test_setup(test_tx, setup),
      cmocka_unit_test_setup(test_rx, setup),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
