/* platform: the hardware domain's platform_op and physdev_op, and Xen
 * 4.19's answers (xen/arch/x86/platform_hypercall.c do_platform_op,
 * xen/common/time.c do_settime, xen/arch/x86/hvm/hypercall.c
 * hvm_physdev_op, xen/arch/x86/physdev.c, xen/drivers/pci/physdev.c,
 * xen/drivers/passthrough/pci.c pci_add_device/pci_remove_device,
 * xen/drivers/vpci/header.c init_header,
 * xen/arch/x86/x86_64/mmconfig-shared.c pci_mmcfg_reserved).
 *
 * role=dom0 (the default; run as dom0): platform_op's version check,
 * unknown and left-out commands, get_cpuinfo of each CPU and of one past
 * the last (cpus=N on the command line: how many the machine has),
 * get_cpu_version against our own CPUID, firmware_info without firmware
 * data, settime32 and settime64 into our own shared_info (the last one
 * sets the clock a domU waits for: 0x123456789 s and 987654321 ns at
 * system time 0); physdev_op's PCI reports: the host bridge 00:00.0
 * (0), a function that is not there 00:1f.7 (-EOPNOTSUPP: vPCI refuses
 * its header), segment 1, removes and their -ENODEV, the ECAM reports,
 * dbgp_op, the PIRQ calls; with nic=BB:DD.F the hypervisor's own NIC,
 * which it keeps hidden (0 as Xen answers for a device it owns).
 * role=domu: platform_op is -EPERM (-EACCES first for a wrong version),
 * every physdev_op -ENOSYS; then it waits (yielding) for dom0's settime64
 * to show in its own shared_info.
 * Each failed check prints "platform: FAIL ..."; the last line is
 * "platform: N checks, F failed". */
#include <stdbool.h>

#include <public/errno.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/physdev.h>
#include <public/platform.h>
#include <public/sched.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define PTR(p) ((unsigned long)(uintptr_t)(p))
#define DEVFN(d, f) ((uint8_t)((d) << 3 | (f)))
/* The time dom0 sets last, which the domU waits for. */
#define SET_SEC 0x123456789ULL
#define SET_NSEC 987654321U

static int failures, checks;
static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static volatile struct shared_info *const shinfo = (volatile struct shared_info *)shinfo_page;

static void check(const char *what, long got, long want)
{
  checks++;
  if (got == want)
    return;
  failures++;
  printf("platform: FAIL %s: got %ld (0x%lx) want %ld (0x%lx)\n", what, got, got, want, want);
}

static long platform_op(struct xen_platform_op *op)
{
  return hypercall1(__HYPERVISOR_platform_op, PTR(op));
}

static void op_init(struct xen_platform_op *op, uint32_t cmd)
{
  memset(op, 0, sizeof(*op));
  op->cmd = cmd;
  op->interface_version = XENPF_INTERFACE_VERSION;
}

static long physdev_op(int cmd, void *arg)
{
  return hypercall2(__HYPERVISOR_physdev_op, (unsigned long)cmd, PTR(arg));
}

static int map_shared_info(void)
{
  struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                 .space = XENMAPSPACE_shared_info,
                                 .idx = 0,
                                 .gpfn = PTR(shinfo_page) >> 12};
  return hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, PTR(&x)) ? -1 : 0;
}

/* The wall clock in our shared_info, read with the version protocol. */
static void wallclock(uint64_t *sec, uint32_t *nsec, uint32_t *version)
{
  uint32_t v;
  do {
    v = shinfo->wc_version;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *sec = (uint64_t)shinfo->wc_sec_hi << 32 | shinfo->wc_sec;
    *nsec = shinfo->wc_nsec;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
  } while ((v & 1) || v != shinfo->wc_version);
  *version = v;
}

struct regs4 {
  uint32_t a, b, c, d;
};

static struct regs4 cpuid(uint32_t leaf)
{
  struct regs4 r;
  __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
  return r;
}

/* ---- dom0: platform_op ---- */

static void platform_checks(unsigned int cpus)
{
  struct xen_platform_op op;
  char what[96];

  /* The version is checked first, for any command. */
  op_init(&op, XENPF_get_cpuinfo);
  op.interface_version = 0;
  check("platform_op with interface version 0", platform_op(&op), -XEN_EACCES);
  op.interface_version = XENPF_INTERFACE_VERSION + 1;
  check("platform_op with interface version + 1", platform_op(&op), -XEN_EACCES);
  op_init(&op, 1000);
  check("platform_op unknown command 1000", platform_op(&op), -XEN_ENOSYS);
  static const uint32_t left_out[] = {XENPF_set_processor_pminfo, XENPF_core_parking,
                                      XENPF_enter_acpi_sleep, XENPF_get_symbol,
                                      XENPF_efi_runtime_call};
  for (unsigned int i = 0; i < sizeof(left_out) / sizeof(left_out[0]); i++) {
    op_init(&op, left_out[i]);
    snprintf(what, sizeof(what), "platform_op %u (left out) is -ENOSYS", left_out[i]);
    check(what, platform_op(&op), -XEN_ENOSYS);
  }
  op_init(&op, XENPF_get_dom0_console);
  check("get_dom0_console: the screen is the hypervisor's", platform_op(&op), -XEN_ENODEV);

  /* get_cpuinfo: every CPU up, its APIC id, an ACPI id; one past the
   * last is INVALID, the rest as we left it. */
  for (unsigned int cpu = 0; cpu <= cpus; cpu++) {
    op_init(&op, XENPF_get_cpuinfo);
    op.u.pcpu_info.xen_cpuid = cpu;
    op.u.pcpu_info.apic_id = 0xaaaa;
    op.u.pcpu_info.acpi_id = 0xbbbb;
    snprintf(what, sizeof(what), "get_cpuinfo of CPU %u", cpu);
    check(what, platform_op(&op), 0);
    printf("platform: cpu %u: flags %u apic %u acpi %u max_present %u\n", cpu, op.u.pcpu_info.flags,
           op.u.pcpu_info.apic_id, op.u.pcpu_info.acpi_id, op.u.pcpu_info.max_present);
    check("  max_present is the last CPU", op.u.pcpu_info.max_present, cpus - 1);
    if (cpu < cpus) {
      check("  online", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_ONLINE);
      /* Bochs numbers its CPUs' APIC ids and ACPI UIDs 0, 1, ... */
      check("  APIC id", op.u.pcpu_info.apic_id, cpu);
      check("  ACPI id", op.u.pcpu_info.acpi_id, cpu);
    } else {
      check("  past the last: INVALID", op.u.pcpu_info.flags, XEN_PCPU_FLAGS_INVALID);
      check("  apic_id as it was", op.u.pcpu_info.apic_id, 0xaaaa);
      check("  acpi_id as it was", op.u.pcpu_info.acpi_id, 0xbbbb);
    }
  }
  /* A write of the answer only: the rest of the union as we left it. */
  op_init(&op, XENPF_get_cpuinfo);
  op.u.pad[100] = 0x5a;
  platform_op(&op);
  check("get_cpuinfo writes only its own structure", op.u.pad[100], 0x5a);

  /* get_cpu_version: what our CPUID says (the host's leaf 0 and 1). */
  struct regs4 l0 = cpuid(0), l1 = cpuid(1);
  char vendor[12];
  memcpy(vendor, &l0.b, 4);
  memcpy(vendor + 4, &l0.d, 4);
  memcpy(vendor + 8, &l0.c, 4);
  uint32_t family = (l1.a >> 8) & 0xf, model = (l1.a >> 4) & 0xf;
  if (family == 0xf)
    family += (l1.a >> 20) & 0xff;
  if (family >= 6)
    model |= ((l1.a >> 16) & 0xf) << 4;
  op_init(&op, XENPF_get_cpu_version);
  check("get_cpu_version of CPU 0", platform_op(&op), 0);
  check("  vendor", memcmp(op.u.pcpu_version.vendor_id, vendor, 12), 0);
  check("  family", op.u.pcpu_version.family, family);
  check("  model", op.u.pcpu_version.model, model);
  check("  stepping", op.u.pcpu_version.stepping, l1.a & 0xf);
  check("  max_present", op.u.pcpu_version.max_present, cpus - 1);
  char v13[13] = {0};
  memcpy(v13, op.u.pcpu_version.vendor_id, 12);
  printf("platform: cpu 0: %s family %u model 0x%x stepping %u\n", v13, op.u.pcpu_version.family,
         op.u.pcpu_version.model, op.u.pcpu_version.stepping);
  op_init(&op, XENPF_get_cpu_version);
  op.u.pcpu_version.xen_cpuid = cpus;
  memset(op.u.pcpu_version.vendor_id, 'x', 12);
  op.u.pcpu_version.family = 9;
  check("get_cpu_version past the last CPU", platform_op(&op), 0);
  check("  zeros", op.u.pcpu_version.vendor_id[0] | op.u.pcpu_version.family, 0);

  /* firmware_info without BIOS or EFI data. */
  static const struct {
    const char *what;
    uint32_t type, index;
    long want;
  } fw[] = {
      {"firmware_info disk 0 (no EDD data)", XEN_FW_DISK_INFO, 0, -XEN_ESRCH},
      {"firmware_info MBR signature 0", XEN_FW_DISK_MBR_SIGNATURE, 0, -XEN_ESRCH},
      {"firmware_info VBE EDID", XEN_FW_VBEDDC_INFO, 0, -XEN_ESRCH},
      {"firmware_info EFI version (no EFI)", XEN_FW_EFI_INFO, XEN_FW_EFI_VERSION, -XEN_ENOSYS},
      {"firmware_info EFI config table", XEN_FW_EFI_INFO, XEN_FW_EFI_CONFIG_TABLE, -XEN_ENOSYS},
      {"firmware_info keyboard flags index 1", XEN_FW_KBD_SHIFT_FLAGS, 1, -XEN_ESRCH},
      {"firmware_info type 99", 99, 0, -XEN_EINVAL},
  };
  for (unsigned int i = 0; i < sizeof(fw) / sizeof(fw[0]); i++) {
    op_init(&op, XENPF_firmware_info);
    op.u.firmware_info.type = fw[i].type;
    op.u.firmware_info.index = fw[i].index;
    check(fw[i].what, platform_op(&op), fw[i].want);
  }
  op_init(&op, XENPF_firmware_info);
  op.u.firmware_info.type = XEN_FW_KBD_SHIFT_FLAGS;
  op.u.firmware_info.u.kbd_shift_flags = 0xff;
  check("firmware_info keyboard shift flags", platform_op(&op), 0);
  check("  none held", op.u.firmware_info.u.kbd_shift_flags, 0);

  /* settime: our own wall clock follows at once. */
  uint64_t sec;
  uint32_t nsec, ver0, ver;
  wallclock(&sec, &nsec, &ver0);
  printf("platform: wall clock from the RTC: %lu.%09u\n", (unsigned long)sec, nsec);
  op_init(&op, XENPF_settime32);
  op.u.settime32.secs = 1000000000;
  op.u.settime32.nsecs = 1500000000; /* 1.5 s: carried, as in Xen */
  op.u.settime32.system_time = 500000000;
  check("settime32", platform_op(&op), 0);
  wallclock(&sec, &nsec, &ver);
  check("  wall clock seconds", (long)sec, 1000000001);
  check("  nanoseconds", nsec, 0);
  check("  wc_version moved on by 2", ver, ver0 + 2);
  op_init(&op, XENPF_settime64);
  op.u.settime64.secs = SET_SEC;
  op.u.settime64.nsecs = SET_NSEC;
  op.u.settime64.mbz = 1;
  check("settime64 with mbz 1", platform_op(&op), -XEN_EINVAL);
  wallclock(&sec, &nsec, &ver);
  check("  wall clock untouched", (long)sec, 1000000001);
  op.u.settime64.mbz = 0;
  check("settime64", platform_op(&op), 0);
  wallclock(&sec, &nsec, &ver);
  check("  wall clock seconds, wc_sec_hi too", (long)sec, (long)SET_SEC);
  check("  nanoseconds", nsec, SET_NSEC);
}

/* ---- dom0: physdev_op ---- */

static long dev_add(uint16_t seg, uint8_t bus, uint8_t devfn, uint32_t flags)
{
  struct {
    struct physdev_pci_device_add add;
    uint32_t pxm; /* optarr[0], as Linux passes it */
  } a = {{.seg = seg, .bus = bus, .devfn = devfn, .flags = flags}, 0};
  return physdev_op(PHYSDEVOP_pci_device_add, &a);
}

static long dev_remove(uint16_t seg, uint8_t bus, uint8_t devfn)
{
  struct physdev_pci_device d = {.seg = seg, .bus = bus, .devfn = devfn};
  return physdev_op(PHYSDEVOP_pci_device_remove, &d);
}

static long mmcfg(uint64_t address, uint16_t seg, uint8_t start, uint8_t end, uint32_t flags)
{
  struct physdev_pci_mmcfg_reserved r = {
      .address = address, .segment = seg, .start_bus = start, .end_bus = end, .flags = flags};
  return physdev_op(PHYSDEVOP_pci_mmcfg_reserved, &r);
}

static void physdev_checks(const char *nic)
{
  check("pci_device_add 00:00.0 (the host bridge)", dev_add(0, 0, DEVFN(0, 0), 0), 0);
  check("pci_device_add 00:00.0 again", dev_add(0, 0, DEVFN(0, 0), 0), 0);
  check("pci_device_add 00:00.0 with a proximity domain", dev_add(0, 0, DEVFN(0, 0), 4), 0);
  check("pci_device_add 00:1f.7 (nothing there): vPCI refuses it", dev_add(0, 0, DEVFN(0x1f, 7), 0),
        -XEN_EOPNOTSUPP);
  check("pci_device_remove of segment 2 (none)", dev_remove(2, 0, 0), -XEN_ENODEV);
  check("pci_device_add on segment 1", dev_add(1, 0, DEVFN(0, 0), 0), -XEN_EOPNOTSUPP);
  check("pci_device_remove 00:00.0", dev_remove(0, 0, DEVFN(0, 0)), 0);
  check("pci_device_remove 00:00.0 again", dev_remove(0, 0, DEVFN(0, 0)), -XEN_ENODEV);
  check("pci_device_add 00:00.0 after its removal", dev_add(0, 0, DEVFN(0, 0), 0), 0);
  check("pci_device_remove 00:1f.7 (known, nobody's)", dev_remove(0, 0, DEVFN(0x1f, 7)), 0);
  check("pci_device_remove 00:1f.7 again", dev_remove(0, 0, DEVFN(0x1f, 7)), -XEN_ENODEV);
  check("pci_device_remove 00:1e.0 (never there)", dev_remove(0, 0, DEVFN(0x1e, 0)), -XEN_ENODEV);
  check("pci_device_add with an unreadable argument",
        physdev_op(PHYSDEVOP_pci_device_add, (void *)0x100000000000ULL), -XEN_EFAULT);

  uint8_t bus, dev, fn;
  if (nic && nic[0] && nic[2] == ':' && nic[5] == '.') {
    int v[5];
    const char idx[5] = {0, 1, 3, 4, 6};
    for (int i = 0; i < 5; i++) {
      char c = nic[(int)idx[i]];
      v[i] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    }
    bus = (uint8_t)(v[0] * 16 + v[1]);
    dev = (uint8_t)(v[2] * 16 + v[3]);
    fn = (uint8_t)v[4];
    printf("platform: the hypervisor's NIC at %02x:%02x.%u\n", bus, dev, fn);
    check("pci_device_add of the hypervisor's NIC: 0, it stays its",
          dev_add(0, bus, DEVFN(dev, fn), 0), 0);
    check("pci_device_remove of it: 0, it stays hidden", dev_remove(0, bus, DEVFN(dev, fn)), 0);
  }

  check("pci_mmcfg_reserved with flags 2", mmcfg(0xe0000000, 0, 0, 0xff, 2), -XEN_EINVAL);
  check("pci_mmcfg_reserved buses ff-00", mmcfg(0xe0000000, 0, 0xff, 0, 1), -XEN_ENODEV);
  check("pci_mmcfg_reserved 0xe0000000 segment 0 buses 00-ff",
        mmcfg(0xe0000000, 0, 0, 0xff, XEN_PCI_MMCFG_RESERVED), 0);
  check("  again", mmcfg(0xe0000000, 0, 0, 0xff, XEN_PCI_MMCFG_RESERVED), 0);
  check("  at another address", mmcfg(0xd0000000, 0, 0, 0xff, XEN_PCI_MMCFG_RESERVED), -XEN_EIO);
  check("  not reserved any more", mmcfg(0xe0000000, 0, 0, 0xff, 0), 0);
  check("pci_mmcfg_reserved overlapping it", mmcfg(0xe0000000, 0, 0, 0x7f, 1), -XEN_EEXIST);

  struct physdev_dbgp_op d = {.op = PHYSDEVOP_DBGP_RESET_PREPARE, .bus = PHYSDEVOP_DBGP_BUS_PCI};
  d.u.pci.devfn = DEVFN(0x1d, 7);
  check("dbgp_op reset prepare (no debug port)", physdev_op(PHYSDEVOP_dbgp_op, &d), 0);
  d.op = PHYSDEVOP_DBGP_RESET_DONE;
  check("dbgp_op reset done", physdev_op(PHYSDEVOP_dbgp_op, &d), 0);

  /* No PIRQs in a PVH domain; the older PCI calls are PV's. */
  static const struct {
    const char *what;
    int cmd;
  } nosys[] = {{"map_pirq", PHYSDEVOP_map_pirq},
               {"eoi", PHYSDEVOP_eoi},
               {"irq_status_query", PHYSDEVOP_irq_status_query},
               {"get_free_pirq", PHYSDEVOP_get_free_pirq},
               {"manage_pci_add", PHYSDEVOP_manage_pci_add},
               {"manage_pci_add_ext", PHYSDEVOP_manage_pci_add_ext},
               {"manage_pci_remove", PHYSDEVOP_manage_pci_remove},
               {"setup_gsi", PHYSDEVOP_setup_gsi},
               {"restore_msi_ext", PHYSDEVOP_restore_msi_ext},
               {"prepare_msix", PHYSDEVOP_prepare_msix}};
  char what[64];
  uint8_t zeros[32] = {0};
  for (unsigned int i = 0; i < sizeof(nosys) / sizeof(nosys[0]); i++) {
    snprintf(what, sizeof(what), "physdev_op %s is -ENOSYS", nosys[i].what);
    check(what, physdev_op(nosys[i].cmd, zeros), -XEN_ENOSYS);
  }
}

static int role_dom0(const char *cmdline)
{
  unsigned int cpus = (unsigned int)cmdline_num(cmdline, "cpus", 1);
  char nic[16] = "";
  cmdline_get(cmdline, "nic", nic, sizeof(nic));

  if (map_shared_info())
    check("map shared_info", -1, 0);
  platform_checks(cpus);
  physdev_checks(nic);
  printf("platform: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}

/* ---- domU: refused, then the wall clock dom0 sets ---- */

static int role_domu(void)
{
  struct xen_platform_op op;

  if (map_shared_info())
    check("map shared_info", -1, 0);
  op_init(&op, XENPF_get_cpuinfo);
  op.interface_version = 0;
  check("domU: platform_op, wrong version: -EACCES first", platform_op(&op), -XEN_EACCES);
  op.interface_version = XENPF_INTERFACE_VERSION;
  check("domU: platform_op get_cpuinfo", platform_op(&op), -XEN_EPERM);
  op_init(&op, XENPF_settime64);
  op.u.settime64.secs = 42;
  check("domU: platform_op settime64", platform_op(&op), -XEN_EPERM);
  op_init(&op, 1000);
  check("domU: platform_op unknown command", platform_op(&op), -XEN_EPERM);

  struct physdev_pci_device_add add = {.seg = 0, .bus = 0, .devfn = 0};
  check("domU: pci_device_add 00:00.0", physdev_op(PHYSDEVOP_pci_device_add, &add), -XEN_ENOSYS);
  struct physdev_pci_device dev = {0};
  check("domU: pci_device_remove", physdev_op(PHYSDEVOP_pci_device_remove, &dev), -XEN_ENOSYS);
  struct physdev_pci_mmcfg_reserved r = {.address = 0xe0000000, .end_bus = 0xff, .flags = 1};
  check("domU: pci_mmcfg_reserved", physdev_op(PHYSDEVOP_pci_mmcfg_reserved, &r), -XEN_ENOSYS);
  struct physdev_dbgp_op d = {0};
  check("domU: dbgp_op", physdev_op(PHYSDEVOP_dbgp_op, &d), -XEN_ENOSYS);

  /* dom0's settime64 shows here: wait for it, yielding the CPU. */
  uint64_t sec = 0;
  uint32_t nsec = 0, ver = 0;
  unsigned long i;
  for (i = 0; i < 2000000; i++) {
    wallclock(&sec, &nsec, &ver);
    if (sec == SET_SEC)
      break;
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
  }
  printf("platform: domU's wall clock %lu.%09u (version %u) after %lu yields\n", (unsigned long)sec,
         nsec, ver, i);
  check("domU: dom0's settime64 in our shared_info: seconds", (long)sec, (long)SET_SEC);
  check("domU:   nanoseconds", nsec, SET_NSEC);
  check("domU:   wc_version even", ver & 1, 0);
  printf("platform: %d checks, %d failed\n", checks, failures);
  return failures != 0;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  char role[16] = "dom0";
  cmdline_get(cmdline, "role", role, sizeof(role));
  return strcmp(role, "domu") ? role_dom0(cmdline) : role_domu();
}
