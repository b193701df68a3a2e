/* Unit tests of platform_op (hv/platform_op.c), physdev_op
 * (hv/physdev_op.c) and the wall clock (hv/wallclock.c), with the real
 * device accounting (hv/pcidev.c) and a fake guest, CPUs, RTC and
 * configuration space: Xen 4.19's order of checks (-EFAULT, -EACCES,
 * -EPERM), settime32/64 and their arithmetic into every domain's
 * shared_info in either layout (and a domain made later), get_cpuinfo
 * and get_cpu_version (a CPU past the last), firmware_info's answers
 * without firmware data, only the command's part written back; the
 * physdev filter for the hardware domain and for others, each call's
 * argument reading (-EFAULT, the proximity domain after the structure, a
 * virtual function's physical function). */
#include "unit.h"

#include <arch/arch.h>
#include <arch/pci.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/pcidev.h>
#include <hv/wallclock.h>
#include <public/physdev.h>
#include <public/platform.h>

#define GUEST_SIZE 8192
#define SHINFO0 0x10000 /* dom0's shared_info frame in the fake RAM */
#define SHINFO1 0x11000 /* domU's */
#define SHINFO2 0x12000 /* a domain made later */

/* ---- fakes: the guest's memory (gva = offset), CPUs, RTC, PCI ---- */
static uint8_t guest[GUEST_SIZE];
static unsigned int copies_to; /* arch_copy_to_guest calls */
static uint64_t last_to_gva, last_to_len;
static bool writes_fault; /* the guest's memory is read-only */

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  (void)v;
  if (gva > GUEST_SIZE || len > GUEST_SIZE - gva)
    return -EFAULT;
  memcpy(dst, guest + gva, len);
  return 0;
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  (void)v;
  copies_to++;
  last_to_gva = gva, last_to_len = len;
  if (writes_fault || gva > GUEST_SIZE || len > GUEST_SIZE - gva)
    return -EFAULT;
  memcpy(guest + gva, src, len);
  return 0;
}

/* Two CPUs: APIC ids 0 and 2, ACPI UIDs 0x10 and 0x11. */
bool arch_pcpu_info(unsigned int cpu, struct arch_pcpu *p)
{
  if (cpu > 1)
    return false;
  *p = (struct arch_pcpu){.apic_id = cpu * 2,
                          .acpi_id = 0x10 + cpu,
                          .online = true,
                          .family = 6,
                          .model = 0x55,
                          .stepping = 4};
  memcpy(p->vendor, "GenuineIntel", 12);
  return true;
}
unsigned int arch_pcpu_last(void) { return 1; }

void arch_wallclock(uint64_t *sec, uint32_t *nsec)
{
  *sec = 1700000000;
  *nsec = 5;
}

/* Configuration space: the host bridge at 00:00.0 and nothing else. */
uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  if (bus || dev || fn)
    return 0xffffffffu;
  return off == 0 ? 0x12378086u : 0;
}
void pci_conf_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
  (void)bus, (void)dev, (void)fn, (void)off, (void)v;
}

/* ---- two domains on the list (hv/domain.c is not linked) ---- */
struct domain *domain_list;
static struct domain dom0, domu, later;
static struct vcpu v0, vu;

static int setup(void **state)
{
  (void)state;
  fake_ram_init(SHINFO0, 3 * PAGE_SIZE);
  memset(fake_ram, 0, 3 * PAGE_SIZE);
  memset(guest, 0, sizeof(guest));
  memset(&dom0, 0, sizeof(dom0));
  memset(&domu, 0, sizeof(domu));
  memset(&later, 0, sizeof(later));
  strcpy(dom0.name, "dom0");
  strcpy(domu.name, "domu1");
  dom0.privileged = true;
  domu.id = 1;
  dom0.shared_info = SHINFO0;
  domu.shared_info = SHINFO1;
  later.shared_info = SHINFO2;
  dom0.next = &domu;
  domain_list = &dom0;
  v0 = (struct vcpu){.dom = &dom0};
  vu = (struct vcpu){.dom = &domu, .id = 0};
  copies_to = 0;
  writes_fault = false;
  pcidev_reset();
  shim_log_clear();
  return 0;
}

static struct xen_platform_op *op_at(uint64_t gva, uint32_t cmd)
{
  struct xen_platform_op *op = (struct xen_platform_op *)(guest + gva);
  memset(op, 0, sizeof(*op));
  op->cmd = cmd;
  op->interface_version = XENPF_INTERFACE_VERSION;
  return op;
}

static const struct shared_info *shinfo(paddr_t pa) { return phys_to_virt(pa); }
static const struct compat_shared_info *shinfo32(paddr_t pa) { return phys_to_virt(pa); }

/* -EFAULT, then the version (-EACCES), then the caller (-EPERM): a domU
 * with a wrong version hears -EACCES. */
static void test_platform_op_checks_in_order(void **state)
{
  (void)state;
  struct xen_platform_op *op = op_at(0, XENPF_get_cpuinfo);
  assert_int_equal(do_platform_op(&v0, GUEST_SIZE - 100), -EFAULT);
  op->interface_version = XENPF_INTERFACE_VERSION - 1;
  assert_int_equal(do_platform_op(&v0, 0), -EACCES);
  assert_int_equal(do_platform_op(&vu, 0), -EACCES);
  op->interface_version = 0;
  assert_int_equal(do_platform_op(&v0, 0), -EACCES);
  op->interface_version = XENPF_INTERFACE_VERSION;
  assert_int_equal(do_platform_op(&vu, 0), -EPERM);
  op->cmd = 9999;
  assert_int_equal(do_platform_op(&vu, 0), -EPERM);
  assert_int_equal(do_platform_op(&v0, 0), -ENOSYS);
  assert_int_equal(copies_to, 0);
  /* Xen's commands mica leaves out. */
  static const uint32_t out[] = {XENPF_add_memtype,        XENPF_microcode_update,
                                 XENPF_enter_acpi_sleep,   XENPF_set_processor_pminfo,
                                 XENPF_cpu_online,         XENPF_core_parking,
                                 XENPF_resource_op,        XENPF_get_symbol,
                                 XENPF_get_ucode_revision, XENPF_efi_runtime_call};
  for (size_t i = 0; i < ARRAY_SIZE(out); i++) {
    op->cmd = out[i];
    assert_int_equal(do_platform_op(&v0, 0), -ENOSYS);
  }
  op->cmd = XENPF_get_dom0_console;
  assert_int_equal(do_platform_op(&v0, 0), -ENODEV);
  assert_int_equal(copies_to, 0);
}

/* settime64: the clock reads secs.nsecs at system_time; every domain's
 * wall clock (of system time 0) follows, with wc_sec_hi and an even
 * wc_version moved on. */
static void test_settime64(void **state)
{
  (void)state;
  wallclock_write(&dom0);
  wallclock_write(&domu);
  assert_int_equal(shinfo(SHINFO0)->wc_sec, 1700000000);
  assert_int_equal(shinfo(SHINFO0)->wc_nsec, 5);
  uint32_t ver = shinfo(SHINFO1)->wc_version;
  assert_int_equal(ver % 2, 0);

  struct xen_platform_op *op = op_at(64, XENPF_settime64);
  op->u.settime64.secs = 0x123456789ull;
  op->u.settime64.nsecs = 250;
  op->u.settime64.system_time = 3000000100ull; /* 3 s and 100 ns since boot */
  op->u.settime64.mbz = 1;
  assert_int_equal(do_platform_op(&v0, 64), -EINVAL);
  assert_int_equal(shinfo(SHINFO1)->wc_version, ver); /* nothing written */
  op->u.settime64.mbz = 0;
  assert_int_equal(do_platform_op(&v0, 64), 0);
  assert_int_equal(copies_to, 0); /* nothing comes back */
  for (paddr_t pa = SHINFO0; pa <= SHINFO1; pa += PAGE_SIZE) {
    assert_int_equal(shinfo(pa)->wc_sec_hi, 0x1);
    assert_int_equal(shinfo(pa)->wc_sec, 0x23456789u - 3);
    assert_int_equal(shinfo(pa)->wc_nsec, 150);
  }
  assert_int_equal(shinfo(SHINFO1)->wc_version, ver + 2);
  uint64_t sec;
  uint32_t nsec;
  wallclock_get(&sec, &nsec);
  assert_int_equal(sec, 0x123456789ull - 3);
  assert_int_equal(nsec, 150);

  /* A domain made afterwards gets the set time, not the RTC's. */
  wallclock_write(&later);
  assert_int_equal(shinfo(SHINFO2)->wc_sec, 0x23456789u - 3);
  assert_int_equal(shinfo(SHINFO2)->wc_sec_hi, 1);
  assert_int_equal(shinfo(SHINFO2)->wc_version, 2);
}

/* settime32, and Xen's unchecked arithmetic: nsecs past a second carry,
 * a system time past the date wraps; a domain with 32-bit shared_info
 * has wc_sec_hi in its arch part. */
static void test_settime32_and_layouts(void **state)
{
  (void)state;
  domu.has_32bit_shinfo = true;
  struct xen_platform_op *op = op_at(0, XENPF_settime32);
  op->u.settime32.secs = 1000;
  op->u.settime32.nsecs = 2500000000u; /* 2.5 s */
  op->u.settime32.system_time = 500000000;
  assert_int_equal(do_platform_op(&v0, 0), 0);
  assert_int_equal(shinfo(SHINFO0)->wc_sec, 1002);
  assert_int_equal(shinfo(SHINFO0)->wc_nsec, 0);
  assert_int_equal(shinfo(SHINFO0)->wc_sec_hi, 0);
  assert_int_equal(shinfo32(SHINFO1)->wc_sec, 1002);
  assert_int_equal(shinfo32(SHINFO1)->wc_nsec, 0);
  assert_int_equal(shinfo32(SHINFO1)->wc_version % 2, 0);
  assert_int_equal(shinfo32(SHINFO1)->arch.wc_sec_hi, 0);

  op->u.settime32.secs = 0;
  op->u.settime32.nsecs = 0;
  op->u.settime32.system_time = 1; /* -1 ns: wraps, as in Xen */
  assert_int_equal(do_platform_op(&v0, 0), 0);
  uint64_t ns = (uint64_t)0 - 1;
  assert_int_equal(shinfo(SHINFO0)->wc_sec, (uint32_t)(ns / 1000000000u));
  assert_int_equal(shinfo(SHINFO0)->wc_sec_hi, (uint32_t)(ns / 1000000000u >> 32));
  assert_int_equal(shinfo(SHINFO0)->wc_nsec, ns % 1000000000u);
  assert_int_equal(shinfo32(SHINFO1)->arch.wc_sec_hi, (uint32_t)(ns / 1000000000u >> 32));

  /* A domU may not. */
  op->u.settime32.secs = 7;
  assert_int_equal(do_platform_op(&vu, 0), -EPERM);
  assert_int_equal(shinfo(SHINFO0)->wc_nsec, ns % 1000000000u);
}

/* get_cpuinfo: CPU 1's ids and online; past the last, INVALID and the
 * caller's own apic_id/acpi_id back; only u.pcpu_info is written. */
static void test_get_cpuinfo(void **state)
{
  (void)state;
  struct xen_platform_op *op = op_at(128, XENPF_get_cpuinfo);
  op->u.pcpu_info.xen_cpuid = 1;
  op->u.pad[100] = 0x5a; /* past pcpu_info: left alone */
  assert_int_equal(do_platform_op(&v0, 128), 0);
  assert_int_equal(op->u.pcpu_info.apic_id, 2);
  assert_int_equal(op->u.pcpu_info.acpi_id, 0x11);
  assert_int_equal(op->u.pcpu_info.flags, XEN_PCPU_FLAGS_ONLINE);
  assert_int_equal(op->u.pcpu_info.max_present, 1);
  assert_int_equal(last_to_gva, 128 + 8);
  assert_int_equal(last_to_len, sizeof(struct xenpf_pcpuinfo));
  assert_int_equal(op->u.pad[100], 0x5a);

  op->u.pcpu_info = (struct xenpf_pcpuinfo){.xen_cpuid = 2, .apic_id = 77, .acpi_id = 88};
  assert_int_equal(do_platform_op(&v0, 128), 0);
  assert_int_equal(op->u.pcpu_info.flags, XEN_PCPU_FLAGS_INVALID);
  assert_int_equal(op->u.pcpu_info.max_present, 1);
  assert_int_equal(op->u.pcpu_info.apic_id, 77);
  assert_int_equal(op->u.pcpu_info.acpi_id, 88);
  op->u.pcpu_info.xen_cpuid = ~0u;
  assert_int_equal(do_platform_op(&v0, 128), 0);
  assert_int_equal(op->u.pcpu_info.flags, XEN_PCPU_FLAGS_INVALID);

  /* Its write back faults: -EFAULT (each command that writes). */
  writes_fault = true;
  assert_int_equal(do_platform_op(&v0, 128), -EFAULT);
  op->cmd = XENPF_get_cpu_version;
  assert_int_equal(do_platform_op(&v0, 128), -EFAULT);
  op->cmd = XENPF_firmware_info;
  op->u.firmware_info = (struct xenpf_firmware_info){.type = XEN_FW_KBD_SHIFT_FLAGS};
  assert_int_equal(do_platform_op(&v0, 128), -EFAULT);
  writes_fault = false;
  /* From a 32-bit caller: the same layout, the same answer. */
  uint64_t at = GUEST_SIZE - sizeof(struct xen_platform_op);
  op = op_at(at, XENPF_get_cpuinfo);
  v0.hcall_compat = true;
  assert_int_equal(do_platform_op(&v0, at), 0);
  assert_int_equal(op->u.pcpu_info.flags, XEN_PCPU_FLAGS_ONLINE);
  assert_int_equal(op->u.pcpu_info.acpi_id, 0x10);
  v0.hcall_compat = false;
}

static void test_get_cpu_version(void **state)
{
  (void)state;
  struct xen_platform_op *op = op_at(0, XENPF_get_cpu_version);
  op->u.pcpu_version.xen_cpuid = 0;
  assert_int_equal(do_platform_op(&v0, 0), 0);
  assert_memory_equal(op->u.pcpu_version.vendor_id, "GenuineIntel", 12);
  assert_int_equal(op->u.pcpu_version.family, 6);
  assert_int_equal(op->u.pcpu_version.model, 0x55);
  assert_int_equal(op->u.pcpu_version.stepping, 4);
  assert_int_equal(op->u.pcpu_version.max_present, 1);
  assert_int_equal(last_to_len, sizeof(struct xenpf_pcpu_version));
  op->u.pcpu_version.xen_cpuid = 5;
  assert_int_equal(do_platform_op(&v0, 0), 0);
  assert_int_equal(op->u.pcpu_version.vendor_id[0], 0);
  assert_int_equal(
      op->u.pcpu_version.family | op->u.pcpu_version.model | op->u.pcpu_version.stepping, 0);
  assert_int_equal(op->u.pcpu_version.max_present, 1);
}

/* No BIOS or EFI data: -ESRCH, -ENOSYS for EFI, the shift flags 0 at
 * index 0; an unknown type -EINVAL; nothing written but the flags. */
static void test_firmware_info(void **state)
{
  (void)state;
  struct xen_platform_op *op = op_at(0, XENPF_firmware_info);
  static const struct {
    uint32_t type, index;
    long want;
  } cases[] = {
      {XEN_FW_DISK_INFO, 0, -ESRCH},
      {XEN_FW_DISK_INFO, 0x80, -ESRCH},
      {XEN_FW_DISK_MBR_SIGNATURE, 0, -ESRCH},
      {XEN_FW_VBEDDC_INFO, 0, -ESRCH},
      {XEN_FW_EFI_INFO, XEN_FW_EFI_VERSION, -ENOSYS},
      {XEN_FW_EFI_INFO, XEN_FW_EFI_CONFIG_TABLE, -ENOSYS},
      {XEN_FW_KBD_SHIFT_FLAGS, 1, -ESRCH},
      {0, 0, -EINVAL},
      {6, 0, -EINVAL},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    op->u.firmware_info.type = cases[i].type;
    op->u.firmware_info.index = cases[i].index;
    assert_int_equal(do_platform_op(&v0, 0), cases[i].want);
  }
  assert_int_equal(copies_to, 0);
  op->u.firmware_info.type = XEN_FW_KBD_SHIFT_FLAGS;
  op->u.firmware_info.index = 0;
  op->u.firmware_info.u.kbd_shift_flags = 0xff;
  op->u.pad[9] = 0x77;
  assert_int_equal(do_platform_op(&v0, 0), 0);
  assert_int_equal(op->u.firmware_info.u.kbd_shift_flags, 0);
  assert_int_equal(last_to_gva, 16);
  assert_int_equal(last_to_len, 1);
  assert_int_equal(op->u.pad[9], 0x77);
}

/* physdev_op: for a domU everything is -ENOSYS, before its argument is
 * read; for dom0 the PIRQ and other calls are -ENOSYS too. */
static void test_physdev_filter(void **state)
{
  (void)state;
  static const int cmds[] = {PHYSDEVOP_pci_mmcfg_reserved, PHYSDEVOP_pci_device_add,
                             PHYSDEVOP_pci_device_remove, PHYSDEVOP_dbgp_op};
  for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
    assert_int_equal(do_physdev_op(&vu, cmds[i], GUEST_SIZE), -ENOSYS);
  static const int others[] = {PHYSDEVOP_eoi,
                               PHYSDEVOP_map_pirq,
                               PHYSDEVOP_unmap_pirq,
                               PHYSDEVOP_irq_status_query,
                               PHYSDEVOP_get_free_pirq,
                               PHYSDEVOP_manage_pci_add,
                               PHYSDEVOP_manage_pci_remove,
                               PHYSDEVOP_manage_pci_add_ext,
                               PHYSDEVOP_setup_gsi,
                               PHYSDEVOP_restore_msi_ext,
                               PHYSDEVOP_set_iopl,
                               PHYSDEVOP_apic_read,
                               32,
                               -1};
  for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
    assert_int_equal(do_physdev_op(&v0, others[i], 0), -ENOSYS);
    assert_int_equal(do_physdev_op(&vu, others[i], 0), -ENOSYS);
  }
  for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
    assert_int_equal(do_physdev_op(&v0, cmds[i], GUEST_SIZE), -EFAULT);
}

static void test_physdev_pci_device(void **state)
{
  (void)state;
  struct physdev_pci_device_add *add = (struct physdev_pci_device_add *)guest;
  *add = (struct physdev_pci_device_add){.seg = 0, .bus = 0, .devfn = 0};
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_add, 0), 0);
  add->devfn = 0x1f << 3 | 7;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_add, 0), -EOPNOTSUPP);
  add->seg = 1;
  add->devfn = 0;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_add, 0), -EOPNOTSUPP);
  /* The proximity domain is read from after the structure: -EFAULT when
   * it is not there, whatever the device. */
  uint64_t at = GUEST_SIZE - sizeof(*add);
  memcpy(guest + at, &(struct physdev_pci_device_add){.flags = XEN_PCI_DEV_PXM}, sizeof(*add));
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_add, at), -EFAULT);
  at -= 4;
  memcpy(guest + at, &(struct physdev_pci_device_add){.flags = XEN_PCI_DEV_PXM}, sizeof(*add));
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_add, at), 0);
  /* A virtual function: its physical function is added first; what that
   * answers does not matter. */
  *add = (struct physdev_pci_device_add){
      .bus = 0, .devfn = 0x10 << 3, .flags = XEN_PCI_DEV_VIRTFN, .physfn = {0, 0x1e << 3}};
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_add, 0), -EOPNOTSUPP);
  pcidev_log();
  assert_true(shim_log_contains("pcidev: 0000:00:1e.0 refused (flags 0x0)"));
  assert_true(shim_log_contains("pcidev: 0000:00:10.0 refused (flags 0x2)"));

  struct physdev_pci_device *dev = (struct physdev_pci_device *)guest;
  *dev = (struct physdev_pci_device){.seg = 0, .bus = 0, .devfn = 0};
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_remove, 0), 0);
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_remove, 0), -ENODEV);
  dev->seg = 2;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_remove, 0), -ENODEV);
  v0.hcall_compat = true; /* the same layout from 32-bit code */
  dev->seg = 1;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_device_remove, 0), 0);
  v0.hcall_compat = false;
}

static void test_physdev_mmcfg_and_dbgp(void **state)
{
  (void)state;
  struct physdev_pci_mmcfg_reserved *r = (struct physdev_pci_mmcfg_reserved *)guest;
  *r = (struct physdev_pci_mmcfg_reserved){
      .address = 0xb0000000, .start_bus = 0, .end_bus = 0xff, .flags = XEN_PCI_MMCFG_RESERVED};
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_mmcfg_reserved, 0), 0);
  assert_int_equal(pcidev_mmcfg_at(0)->address, 0xb0000000);
  r->flags = 4;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_mmcfg_reserved, 0), -EINVAL);
  r->flags = 1;
  r->address = 0xc0000000;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_pci_mmcfg_reserved, 0), -EIO);

  struct physdev_dbgp_op *d = (struct physdev_dbgp_op *)guest;
  *d = (struct physdev_dbgp_op){.op = PHYSDEVOP_DBGP_RESET_PREPARE,
                                .bus = PHYSDEVOP_DBGP_BUS_PCI,
                                .u.pci = {0, 0, 0x1d << 3}};
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_dbgp_op, 0), 0);
  d->op = 99;
  d->bus = 7;
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_dbgp_op, 0), 0);
  assert_int_equal(do_physdev_op(&v0, PHYSDEVOP_dbgp_op, GUEST_SIZE - 5), -EFAULT);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_platform_op_checks_in_order, setup),
      cmocka_unit_test_setup(test_settime64, setup),
      cmocka_unit_test_setup(test_settime32_and_layouts, setup),
      cmocka_unit_test_setup(test_get_cpuinfo, setup),
      cmocka_unit_test_setup(test_get_cpu_version, setup),
      cmocka_unit_test_setup(test_firmware_info, setup),
      cmocka_unit_test_setup(test_physdev_filter, setup),
      cmocka_unit_test_setup(test_physdev_pci_device, setup),
      cmocka_unit_test_setup(test_physdev_mmcfg_and_dbgp, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
