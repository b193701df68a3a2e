/* platform_op (hypercall 7): the privileged domain asks about, or sets,
 * things of the whole machine: the wall clock, the physical CPUs, what
 * the firmware told the hypervisor.
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/platform.h).  Its interface version is the same in
 * Xen 4.17 (Debian 12's), and so are the layouts of the commands here.
 * Only the commands mica answers have their structures here; the union
 * is padded to Xen's 128 bytes so the whole structure has Xen's size.
 *
 * Call: platform_op(&op).  The hypervisor reads op.cmd and
 * op.interface_version (another version is -EACCES), then a caller that
 * is not the privileged domain gets -EPERM; results come back in the
 * command's part of op.u only. */
#ifndef MICA_PUBLIC_PLATFORM_H
#define MICA_PUBLIC_PLATFORM_H

#include "xen.h"

#define XENPF_INTERFACE_VERSION 0x03000001

/* ---- Commands mica answers (every other one is -ENOSYS) ---- */
#define XENPF_settime32 17
#define XENPF_get_cpu_version 48
#define XENPF_efi_runtime_call 49 /* -ENOSYS: not booted with EFI runtime services */
#define XENPF_firmware_info 50
#define XENPF_get_cpuinfo 55
#define XENPF_settime64 62
#define XENPF_get_dom0_console 64 /* Xen 4.19; -ENODEV: the screen is the hypervisor's */

/* Commands Xen has that mica answers -ENOSYS, for the record. */
#define XENPF_add_memtype 31
#define XENPF_del_memtype 32
#define XENPF_read_memtype 33
#define XENPF_microcode_update 35
#define XENPF_platform_quirk 39
#define XENPF_enter_acpi_sleep 51
#define XENPF_change_freq 52
#define XENPF_getidletime 53
#define XENPF_set_processor_pminfo 54
#define XENPF_cpu_online 56
#define XENPF_cpu_offline 57
#define XENPF_cpu_hotadd 58
#define XENPF_mem_hotadd 59
#define XENPF_core_parking 60
#define XENPF_resource_op 61
#define XENPF_get_symbol 63
#define XENPF_get_ucode_revision 65 /* Xen 4.19 */

/* ---- XENPF_settime32, XENPF_settime64: set the wall clock ----
 * The clock is set so that it reads secs.nsecs (UTC, since 1970) when
 * system time (the pvclock's nanoseconds) is system_time.  Every
 * domain's shared_info then holds the new wall-clock time of system time
 * 0 (wc_sec, wc_nsec, wc_sec_hi), and so do domains made later.
 * settime64: mbz must be 0 (-EINVAL otherwise). */
struct xenpf_settime32 {
  uint32_t secs;
  uint32_t nsecs;
  uint64_t system_time;
}; /* 16 bytes */

struct xenpf_settime64 {
  uint64_t secs;
  uint32_t nsecs;
  uint32_t mbz;
  uint64_t system_time;
}; /* 24 bytes */

/* ---- XENPF_firmware_info: what the BIOS or EFI told the hypervisor ----
 * type picks the kind, index the item.  A kind the hypervisor has no
 * data of answers -ESRCH (EFI: -ENOSYS); an unknown type -EINVAL. */
#define XEN_FW_DISK_INFO 1          /* EDD (int 13h) data of BIOS disk index */
#define XEN_FW_DISK_MBR_SIGNATURE 2 /* the MBR signature of BIOS disk index */
#define XEN_FW_VBEDDC_INFO 3        /* the screen's EDID (int 10h AX=4F15h) */
#define XEN_FW_EFI_INFO 4           /* index: one of XEN_FW_EFI_* */
#define XEN_FW_KBD_SHIFT_FLAGS 5    /* int 16h AH=02h at boot; index 0 */

#define XEN_FW_EFI_VERSION 0
#define XEN_FW_EFI_CONFIG_TABLE 1
#define XEN_FW_EFI_VENDOR 2
#define XEN_FW_EFI_MEM_INFO 3
#define XEN_FW_EFI_RT_VERSION 4
#define XEN_FW_EFI_PCI_ROM 5
#define XEN_FW_EFI_APPLE_PROPERTIES 6

struct xenpf_firmware_info {
  uint32_t type;  /* IN: XEN_FW_* */
  uint32_t index; /* IN */
  union {         /* OUT, by type */
    struct {
      uint8_t device;                   /* BIOS drive number */
      uint8_t version;                  /* EDD major version */
      uint16_t interface_support;       /* EDD support bitmap */
      uint16_t legacy_max_cylinder;     /* int 13h AH=08h geometry */
      uint8_t legacy_max_head;          /* ... */
      uint8_t legacy_sectors_per_track; /* ... */
      /* IN: a buffer whose first 16 bits give its size; OUT: what int
       * 13h AH=48h wrote. */
      XEN_GUEST_HANDLE(uint8_t) edd_params;
    } disk_info; /* XEN_FW_DISK_INFO */
    struct {
      uint8_t device;         /* BIOS drive number */
      uint32_t mbr_signature; /* the 4 bytes at 0x1b8 of its first sector */
    } disk_mbr_signature;     /* XEN_FW_DISK_MBR_SIGNATURE */
    struct {
      uint8_t capabilities;
      uint8_t edid_transfer_time;
      XEN_GUEST_HANDLE(uint8_t) edid; /* IN: a 128-byte buffer */
    } vbeddc_info;                    /* XEN_FW_VBEDDC_INFO */
    union {
      uint32_t version; /* XEN_FW_EFI_VERSION, XEN_FW_EFI_RT_VERSION */
      struct {
        uint64_t addr; /* the EFI configuration table */
        uint32_t nent;
      } cfg;
      struct {
        uint32_t revision;
        uint32_t bufsz;                  /* IN: bytes at name */
        XEN_GUEST_HANDLE(uint16_t) name; /* IN: a buffer for the UCS-2 vendor name */
      } vendor;
      struct {
        uint64_t addr;
        uint64_t size;
        uint64_t attr;
        uint32_t type;
      } mem;
      struct {
        uint16_t segment; /* IN */
        uint8_t bus;      /* IN */
        uint8_t devfn;    /* IN */
        uint16_t vendor;  /* IN */
        uint16_t devid;   /* IN */
        uint64_t address; /* OUT */
        xen_ulong_t size; /* OUT */
      } pci_rom;
      struct {
        uint64_t address;
        xen_ulong_t size;
      } apple_properties;
    } efi_info;              /* XEN_FW_EFI_INFO */
    uint8_t kbd_shift_flags; /* XEN_FW_KBD_SHIFT_FLAGS */
  } u;
};

/* ---- XENPF_get_cpuinfo: one physical CPU ----
 * xen_cpuid is the hypervisor's CPU number (0 the boot CPU).  A number
 * with no CPU present gets flags XEN_PCPU_FLAGS_INVALID (the call still
 * succeeds; apic_id and acpi_id come back as they went in); max_present
 * is the highest number with a CPU either way. */
#define XEN_PCPU_FLAGS_ONLINE 1  /* the CPU is up */
#define XEN_PCPU_FLAGS_INVALID 2 /* no CPU has this number */
struct xenpf_pcpuinfo {
  uint32_t xen_cpuid;   /* IN */
  uint32_t max_present; /* OUT */
  uint32_t flags;       /* OUT: XEN_PCPU_FLAGS_* */
  uint32_t apic_id;     /* OUT: its local APIC id */
  uint32_t acpi_id;     /* OUT: its ACPI processor UID (MADT), ~0 if none */
};                      /* 20 bytes */

/* ---- XENPF_get_cpu_version: one physical CPU's identity ----
 * For a number with no online CPU: vendor_id, family, model and stepping
 * are zeros; max_present as for get_cpuinfo. */
struct xenpf_pcpu_version {
  uint32_t xen_cpuid;   /* IN */
  uint32_t max_present; /* OUT */
  char vendor_id[12];   /* OUT: CPUID leaf 0's EBX, EDX, ECX ("GenuineIntel") */
  uint32_t family;      /* OUT: with the extended family added */
  uint32_t model;       /* OUT: with the extended model (families 6 and 15) */
  uint32_t stepping;    /* OUT */
};                      /* 32 bytes */

struct xen_platform_op {
  uint32_t cmd;               /* XENPF_* */
  uint32_t interface_version; /* XENPF_INTERFACE_VERSION */
  union {
    struct xenpf_settime32 settime32;
    struct xenpf_settime64 settime64;
    struct xenpf_firmware_info firmware_info;
    struct xenpf_pcpuinfo pcpu_info;
    struct xenpf_pcpu_version pcpu_version;
    uint8_t pad[128];
  } u;
}; /* 136 bytes, for 64-bit and 32-bit callers alike */

#endif
