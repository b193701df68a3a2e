/* Checks of the guest ABI headers (include/public/) at compile time: the
 * size and field offsets of every structure a guest shares with us, and
 * the numbers guests hard-code, each compared with the value of the Xen
 * 4.19 interface for x86_64 guests. */
#include "unit.h"

#include <hv/errno.h>
#include <public/console.h>
#include <public/cpuid.h>
#include <public/domctl.h>
#include <public/errno.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

/* Every value is checked when this file compiles (_Static_assert): a
 * mismatch stops the build of the unit tests, and so `make check`, with
 * the expression and the ABI's value in the message (gcc's note points at
 * the line).  The functions below group the checks by header; running
 * them checks nothing more. */
#define SIZE(type, n) _Static_assert(sizeof(type) == (n), "sizeof(" #type ") is not " #n)
#define OFF(type, field, n)                                                                        \
  _Static_assert(offsetof(type, field) == (n), "offsetof(" #type ", " #field ") is not " #n)
#define VAL(expr, n) _Static_assert((expr) == (n), #expr " is not " #n)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- xen.h ---- */

static void test_hypercall_vectors(void **state)
{
  (void)state;
  VAL(__HYPERVISOR_set_trap_table, 0);
  VAL(__HYPERVISOR_mmu_update, 1);
  VAL(__HYPERVISOR_set_gdt, 2);
  VAL(__HYPERVISOR_stack_switch, 3);
  VAL(__HYPERVISOR_set_callbacks, 4);
  VAL(__HYPERVISOR_fpu_taskswitch, 5);
  VAL(__HYPERVISOR_sched_op_compat, 6);
  VAL(__HYPERVISOR_platform_op, 7);
  VAL(__HYPERVISOR_set_debugreg, 8);
  VAL(__HYPERVISOR_get_debugreg, 9);
  VAL(__HYPERVISOR_update_descriptor, 10);
  VAL(__HYPERVISOR_memory_op, 12);
  VAL(__HYPERVISOR_multicall, 13);
  VAL(__HYPERVISOR_update_va_mapping, 14);
  VAL(__HYPERVISOR_set_timer_op, 15);
  VAL(__HYPERVISOR_event_channel_op_compat, 16);
  VAL(__HYPERVISOR_xen_version, 17);
  VAL(__HYPERVISOR_console_io, 18);
  VAL(__HYPERVISOR_physdev_op_compat, 19);
  VAL(__HYPERVISOR_grant_table_op, 20);
  VAL(__HYPERVISOR_vm_assist, 21);
  VAL(__HYPERVISOR_update_va_mapping_otherdomain, 22);
  VAL(__HYPERVISOR_iret, 23);
  VAL(__HYPERVISOR_vcpu_op, 24);
  VAL(__HYPERVISOR_set_segment_base, 25);
  VAL(__HYPERVISOR_mmuext_op, 26);
  VAL(__HYPERVISOR_xsm_op, 27);
  VAL(__HYPERVISOR_nmi_op, 28);
  VAL(__HYPERVISOR_sched_op, 29);
  VAL(__HYPERVISOR_callback_op, 30);
  VAL(__HYPERVISOR_xenoprof_op, 31);
  VAL(__HYPERVISOR_event_channel_op, 32);
  VAL(__HYPERVISOR_physdev_op, 33);
  VAL(__HYPERVISOR_hvm_op, 34);
  VAL(__HYPERVISOR_sysctl, 35);
  VAL(__HYPERVISOR_domctl, 36);
  VAL(__HYPERVISOR_kexec_op, 37);
  VAL(__HYPERVISOR_tmem_op, 38);
  VAL(__HYPERVISOR_argo_op, 39);
  VAL(__HYPERVISOR_xenpmu_op, 40);
  VAL(__HYPERVISOR_dm_op, 41);
  VAL(__HYPERVISOR_hypfs_op, 42);
  VAL(__HYPERVISOR_arch_0, 48);
  VAL(__HYPERVISOR_arch_1, 49);
  VAL(__HYPERVISOR_arch_2, 50);
  VAL(__HYPERVISOR_arch_3, 51);
  VAL(__HYPERVISOR_arch_4, 52);
  VAL(__HYPERVISOR_arch_5, 53);
  VAL(__HYPERVISOR_arch_6, 54);
  VAL(__HYPERVISOR_arch_7, 55);
  VAL(__HYPERVISOR_mca, 48);
  VAL(__XEN_LATEST_INTERFACE_VERSION__, 0x00041300);
}

static void test_xen_constants(void **state)
{
  (void)state;
  VAL(CONSOLEIO_write, 0);
  VAL(CONSOLEIO_read, 1);
  VAL(VMASST_CMD_enable, 0);
  VAL(VMASST_CMD_disable, 1);
  VAL(VMASST_TYPE_writable_pagetables, 2);
  VAL(VMASST_TYPE_runstate_update_flag, 5);
  VAL(VMASST_TYPE_m2p_strict, 32);
  VAL(DOMID_FIRST_RESERVED, 0x7FF0);
  VAL(DOMID_SELF, 0x7FF0);
  VAL(DOMID_IO, 0x7FF1);
  VAL(DOMID_XEN, 0x7FF2);
  VAL(DOMID_COW, 0x7FF3);
  VAL(DOMID_INVALID, 0x7FF4);
  VAL(DOMID_IDLE, 0x7FFF);
  VAL(DOMID_MASK, 0x7FFF);
  VAL(VIRQ_TIMER, 0);
  VAL(VIRQ_DEBUG, 1);
  VAL(VIRQ_CONSOLE, 2);
  VAL(VIRQ_DOM_EXC, 3);
  VAL(VIRQ_TBUF, 4);
  VAL(VIRQ_DEBUGGER, 6);
  VAL(VIRQ_XENOPROF, 7);
  VAL(VIRQ_CON_RING, 8);
  VAL(VIRQ_PCPU_STATE, 9);
  VAL(VIRQ_MEM_EVENT, 10);
  VAL(VIRQ_ARGO, 11);
  VAL(VIRQ_ENOMEM, 12);
  VAL(VIRQ_XENPMU, 13);
  VAL(VIRQ_ARCH_0, 16);
  VAL(VIRQ_ARCH_7, 23);
  VAL(NR_VIRQS, 24);
  VAL(XEN_LEGACY_MAX_VCPUS, 32);
  VAL(MAX_VIRT_CPUS, 32);
  VAL(XEN_PVCLOCK_TSC_STABLE_BIT, 1);
  VAL(XEN_PVCLOCK_GUEST_STOPPED, 2);
  VAL(SIF_PRIVILEGED, 1);
  VAL(SIF_INITDOMAIN, 2);
  VAL(SIF_MULTIBOOT_MOD, 4);
  VAL(SIF_MOD_START_PFN, 8);
  VAL(SIF_VIRT_P2M_4TOOLS, 16);
  VAL(SIF_PM_MASK, 0xFF00);
  VAL(XEN_ELFNOTE_INFO, 0);
  VAL(XEN_ELFNOTE_ENTRY, 1);
  VAL(XEN_ELFNOTE_HYPERCALL_PAGE, 2);
  VAL(XEN_ELFNOTE_VIRT_BASE, 3);
  VAL(XEN_ELFNOTE_PADDR_OFFSET, 4);
  VAL(XEN_ELFNOTE_XEN_VERSION, 5);
  VAL(XEN_ELFNOTE_GUEST_OS, 6);
  VAL(XEN_ELFNOTE_GUEST_VERSION, 7);
  VAL(XEN_ELFNOTE_LOADER, 8);
  VAL(XEN_ELFNOTE_PAE_MODE, 9);
  VAL(XEN_ELFNOTE_FEATURES, 10);
  VAL(XEN_ELFNOTE_BSD_SYMTAB, 11);
  VAL(XEN_ELFNOTE_HV_START_LOW, 12);
  VAL(XEN_ELFNOTE_L1_MFN_VALID, 13);
  VAL(XEN_ELFNOTE_SUSPEND_CANCEL, 14);
  VAL(XEN_ELFNOTE_INIT_P2M, 15);
  VAL(XEN_ELFNOTE_MOD_START_PFN, 16);
  VAL(XEN_ELFNOTE_SUPPORTED_FEATURES, 17);
  VAL(XEN_ELFNOTE_PHYS32_ENTRY, 18);
  VAL(XEN_ELFNOTE_PHYS32_RELOC, 19);
  VAL(XEN_ELFNOTE_MAX, 19);
  /* Scalar ABI types. */
  VAL(sizeof(xen_ulong_t), 8);
  VAL(sizeof(xen_pfn_t), 8);
  VAL(sizeof(domid_t), 2);
  VAL(sizeof(XEN_GUEST_HANDLE(void)), 8);
}

static void test_xen_structs(void **state)
{
  (void)state;
  SIZE(struct vcpu_time_info, 32);
  OFF(struct vcpu_time_info, version, 0);
  OFF(struct vcpu_time_info, tsc_timestamp, 8);
  OFF(struct vcpu_time_info, system_time, 16);
  OFF(struct vcpu_time_info, tsc_to_system_mul, 24);
  OFF(struct vcpu_time_info, tsc_shift, 28);
  OFF(struct vcpu_time_info, flags, 29);

  SIZE(struct arch_vcpu_info, 16);
  OFF(struct arch_vcpu_info, cr2, 0);

  SIZE(struct vcpu_info, 64);
  OFF(struct vcpu_info, evtchn_upcall_pending, 0);
  OFF(struct vcpu_info, evtchn_upcall_mask, 1);
  OFF(struct vcpu_info, evtchn_pending_sel, 8);
  OFF(struct vcpu_info, arch, 16);
  OFF(struct vcpu_info, arch.cr2, 16);
  OFF(struct vcpu_info, time, 32);
  OFF(struct vcpu_info, time.version, 32);
  OFF(struct vcpu_info, time.system_time, 48);

  SIZE(struct arch_shared_info, 48);
  OFF(struct arch_shared_info, max_pfn, 0);
  OFF(struct arch_shared_info, pfn_to_mfn_frame_list_list, 8);
  OFF(struct arch_shared_info, nmi_reason, 16);
  OFF(struct arch_shared_info, p2m_cr3, 24);
  OFF(struct arch_shared_info, p2m_vaddr, 32);
  OFF(struct arch_shared_info, p2m_generation, 40);

  SIZE(struct shared_info, 3136);
  OFF(struct shared_info, vcpu_info, 0);
  OFF(struct shared_info, vcpu_info[1], 64);
  OFF(struct shared_info, vcpu_info[31], 1984);
  OFF(struct shared_info, evtchn_pending, 2048);
  OFF(struct shared_info, evtchn_mask, 2560);
  OFF(struct shared_info, wc_version, 3072);
  OFF(struct shared_info, wc_sec, 3076);
  OFF(struct shared_info, wc_nsec, 3080);
  OFF(struct shared_info, wc_sec_hi, 3084);
  OFF(struct shared_info, arch, 3088);
  VAL(ARRAY_LEN(((struct shared_info *)0)->evtchn_pending), 64);
  VAL(ARRAY_LEN(((struct shared_info *)0)->evtchn_mask), 64);
  VAL(sizeof(((struct shared_info *)0)->evtchn_pending[0]), 8);

  /* The x86_32 layouts (arch-x86/xen-x86_32.h and xen.h for i386). */
  SIZE(struct compat_vcpu_info, 64);
  OFF(struct compat_vcpu_info, evtchn_upcall_pending, 0);
  OFF(struct compat_vcpu_info, evtchn_upcall_mask, 1);
  OFF(struct compat_vcpu_info, evtchn_pending_sel, 4);
  VAL(sizeof(((struct compat_vcpu_info *)0)->evtchn_pending_sel), 4);
  OFF(struct compat_vcpu_info, arch.cr2, 8);
  SIZE(struct compat_arch_vcpu_info, 24);
  OFF(struct compat_vcpu_info, time, 32);
  OFF(struct compat_vcpu_info, time.system_time, 48);
  SIZE(struct compat_arch_shared_info, 28);
  SIZE(struct compat_shared_info, 2344);
  OFF(struct compat_shared_info, vcpu_info[31], 1984);
  OFF(struct compat_shared_info, evtchn_pending, 2048);
  OFF(struct compat_shared_info, evtchn_mask, 2176);
  VAL(sizeof(((struct compat_shared_info *)0)->evtchn_pending[0]), 4);
  VAL(ARRAY_LEN(((struct compat_shared_info *)0)->evtchn_mask), 32);
  OFF(struct compat_shared_info, wc_version, 2304);
  OFF(struct compat_shared_info, wc_sec, 2308);
  OFF(struct compat_shared_info, wc_nsec, 2312);
  OFF(struct compat_shared_info, arch, 2316);
  OFF(struct compat_shared_info, arch.p2m_generation, 2336);
  OFF(struct compat_shared_info, arch.wc_sec_hi, 2340);

  SIZE(struct multicall_entry, 64);
  OFF(struct multicall_entry, op, 0);
  OFF(struct multicall_entry, result, 8);
  OFF(struct multicall_entry, args, 16);
  OFF(struct multicall_entry, args[5], 56);
}

/* ---- errno.h ---- */

static void test_errno(void **state)
{
  (void)state;
  VAL(XEN_EPERM, 1);
  VAL(XEN_ENOENT, 2);
  VAL(XEN_ESRCH, 3);
  VAL(XEN_EINTR, 4);
  VAL(XEN_EIO, 5);
  VAL(XEN_ENXIO, 6);
  VAL(XEN_E2BIG, 7);
  VAL(XEN_ENOEXEC, 8);
  VAL(XEN_EBADF, 9);
  VAL(XEN_ECHILD, 10);
  VAL(XEN_EAGAIN, 11);
  VAL(XEN_EWOULDBLOCK, 11);
  VAL(XEN_ENOMEM, 12);
  VAL(XEN_EACCES, 13);
  VAL(XEN_EFAULT, 14);
  VAL(XEN_EBUSY, 16);
  VAL(XEN_EEXIST, 17);
  VAL(XEN_EXDEV, 18);
  VAL(XEN_ENODEV, 19);
  VAL(XEN_ENOTDIR, 20);
  VAL(XEN_EISDIR, 21);
  VAL(XEN_EINVAL, 22);
  VAL(XEN_ENFILE, 23);
  VAL(XEN_EMFILE, 24);
  VAL(XEN_ENOSPC, 28);
  VAL(XEN_EROFS, 30);
  VAL(XEN_EMLINK, 31);
  VAL(XEN_EDOM, 33);
  VAL(XEN_ERANGE, 34);
  VAL(XEN_EDEADLK, 35);
  VAL(XEN_EDEADLOCK, 35);
  VAL(XEN_ENAMETOOLONG, 36);
  VAL(XEN_ENOLCK, 37);
  VAL(XEN_ENOSYS, 38);
  VAL(XEN_ENOTEMPTY, 39);
  VAL(XEN_ENODATA, 61);
  VAL(XEN_ETIME, 62);
  VAL(XEN_EBADMSG, 74);
  VAL(XEN_EOVERFLOW, 75);
  VAL(XEN_EILSEQ, 84);
  VAL(XEN_ERESTART, 85);
  VAL(XEN_ENOTSOCK, 88);
  VAL(XEN_EMSGSIZE, 90);
  VAL(XEN_EOPNOTSUPP, 95);
  VAL(XEN_EADDRINUSE, 98);
  VAL(XEN_EADDRNOTAVAIL, 99);
  VAL(XEN_ENOBUFS, 105);
  VAL(XEN_EISCONN, 106);
  VAL(XEN_ENOTCONN, 107);
  VAL(XEN_ETIMEDOUT, 110);
  VAL(XEN_ECONNREFUSED, 111);
  /* The hypervisor's names (hv/errno.h), here the C library's: the same. */
  VAL(EPERM, XEN_EPERM);
  VAL(ENOENT, XEN_ENOENT);
  VAL(ESRCH, XEN_ESRCH);
  VAL(EINTR, XEN_EINTR);
  VAL(EIO, XEN_EIO);
  VAL(ENXIO, XEN_ENXIO);
  VAL(E2BIG, XEN_E2BIG);
  VAL(ENOEXEC, XEN_ENOEXEC);
  VAL(EBADF, XEN_EBADF);
  VAL(ECHILD, XEN_ECHILD);
  VAL(EAGAIN, XEN_EAGAIN);
  VAL(ENOMEM, XEN_ENOMEM);
  VAL(EACCES, XEN_EACCES);
  VAL(EFAULT, XEN_EFAULT);
  VAL(EBUSY, XEN_EBUSY);
  VAL(EEXIST, XEN_EEXIST);
  VAL(EXDEV, XEN_EXDEV);
  VAL(ENODEV, XEN_ENODEV);
  VAL(EINVAL, XEN_EINVAL);
  VAL(ENFILE, XEN_ENFILE);
  VAL(EMFILE, XEN_EMFILE);
  VAL(ENOSPC, XEN_ENOSPC);
  VAL(EROFS, XEN_EROFS);
  VAL(EMLINK, XEN_EMLINK);
  VAL(EDOM, XEN_EDOM);
  VAL(ERANGE, XEN_ERANGE);
  VAL(EDEADLK, XEN_EDEADLK);
  VAL(ENAMETOOLONG, XEN_ENAMETOOLONG);
  VAL(ENOLCK, XEN_ENOLCK);
  VAL(ENOSYS, XEN_ENOSYS);
  VAL(ENOTEMPTY, XEN_ENOTEMPTY);
  VAL(ENODATA, XEN_ENODATA);
  VAL(ETIME, XEN_ETIME);
  VAL(EBADMSG, XEN_EBADMSG);
  VAL(EOVERFLOW, XEN_EOVERFLOW);
  VAL(EILSEQ, XEN_EILSEQ);
  VAL(ERESTART, XEN_ERESTART);
  VAL(ENOTSOCK, XEN_ENOTSOCK);
  VAL(EOPNOTSUPP, XEN_EOPNOTSUPP);
  VAL(EADDRINUSE, XEN_EADDRINUSE);
  VAL(EADDRNOTAVAIL, XEN_EADDRNOTAVAIL);
  VAL(ENOBUFS, XEN_ENOBUFS);
  VAL(EISCONN, XEN_EISCONN);
  VAL(ENOTCONN, XEN_ENOTCONN);
  VAL(ETIMEDOUT, XEN_ETIMEDOUT);
}

/* ---- version.h ---- */

static void test_version(void **state)
{
  (void)state;
  VAL(XENVER_version, 0);
  VAL(XENVER_extraversion, 1);
  VAL(XENVER_compile_info, 2);
  VAL(XENVER_capabilities, 3);
  VAL(XENVER_changeset, 4);
  VAL(XENVER_platform_parameters, 5);
  VAL(XENVER_get_features, 6);
  VAL(XENVER_pagesize, 7);
  VAL(XENVER_guest_handle, 8);
  VAL(XENVER_commandline, 9);
  VAL(XENVER_build_id, 10);
  VAL(XENVER_extraversion2, 11);
  VAL(XENVER_capabilities2, 12);
  VAL(XENVER_changeset2, 13);
  VAL(XENVER_commandline2, 14);
  VAL(XEN_EXTRAVERSION_LEN, 16);
  VAL(XEN_CAPABILITIES_INFO_LEN, 1024);
  VAL(XEN_CHANGESET_INFO_LEN, 64);
  VAL(XEN_DOMAIN_HANDLE_LEN, 16);
  VAL(XEN_COMMANDLINE_LEN, 1024);

  SIZE(struct xen_compile_info, 144);
  OFF(struct xen_compile_info, compiler, 0);
  OFF(struct xen_compile_info, compile_by, 64);
  OFF(struct xen_compile_info, compile_domain, 80);
  OFF(struct xen_compile_info, compile_date, 112);
  SIZE(struct xen_platform_parameters, 8);
  SIZE(struct xen_feature_info, 8);
  OFF(struct xen_feature_info, submap_idx, 0);
  OFF(struct xen_feature_info, submap, 4);
  SIZE(struct xen_build_id, 4);
  OFF(struct xen_build_id, buf, 4);
  SIZE(struct xen_varbuf, 4);
  OFF(struct xen_varbuf, buf, 4);

  VAL(XENFEAT_writable_page_tables, 0);
  VAL(XENFEAT_writable_descriptor_tables, 1);
  VAL(XENFEAT_auto_translated_physmap, 2);
  VAL(XENFEAT_supervisor_mode_kernel, 3);
  VAL(XENFEAT_pae_pgdir_above_4gb, 4);
  VAL(XENFEAT_mmu_pt_update_preserve_ad, 5);
  VAL(XENFEAT_highmem_assist, 6);
  VAL(XENFEAT_gnttab_map_avail_bits, 7);
  VAL(XENFEAT_hvm_callback_vector, 8);
  VAL(XENFEAT_hvm_safe_pvclock, 9);
  VAL(XENFEAT_hvm_pirqs, 10);
  VAL(XENFEAT_dom0, 11);
  VAL(XENFEAT_memory_op_vnode_supported, 13);
  VAL(XENFEAT_ARM_SMCCC_supported, 14);
  VAL(XENFEAT_linux_rsdp_unrestricted, 15);
  VAL(XENFEAT_not_direct_mapped, 16);
  VAL(XENFEAT_direct_mapped, 17);
  VAL(XENFEAT_runstate_phys_area, 18);
  VAL(XENFEAT_vcpu_time_phys_area, 19);
  VAL(XENFEAT_dm_msix_all_writes, 20);
  VAL(XENFEAT_NR_SUBMAPS, 1);
}

/* ---- sched.h ---- */

static void test_sched(void **state)
{
  (void)state;
  VAL(SCHEDOP_yield, 0);
  VAL(SCHEDOP_block, 1);
  VAL(SCHEDOP_shutdown, 2);
  VAL(SCHEDOP_poll, 3);
  VAL(SCHEDOP_remote_shutdown, 4);
  VAL(SCHEDOP_shutdown_code, 5);
  VAL(SCHEDOP_watchdog, 6);
  VAL(SCHEDOP_pin_override, 7);
  VAL(SHUTDOWN_poweroff, 0);
  VAL(SHUTDOWN_reboot, 1);
  VAL(SHUTDOWN_suspend, 2);
  VAL(SHUTDOWN_crash, 3);
  VAL(SHUTDOWN_watchdog, 4);
  VAL(SHUTDOWN_soft_reset, 5);
  VAL(SHUTDOWN_MAX, 5);

  SIZE(struct sched_shutdown, 4);
  OFF(struct sched_shutdown, reason, 0);
  SIZE(struct sched_poll, 24);
  OFF(struct sched_poll, ports, 0);
  OFF(struct sched_poll, nr_ports, 8);
  OFF(struct sched_poll, timeout, 16);
  SIZE(struct sched_remote_shutdown, 8);
  OFF(struct sched_remote_shutdown, domain_id, 0);
  OFF(struct sched_remote_shutdown, reason, 4);
  SIZE(struct sched_watchdog, 8);
  OFF(struct sched_watchdog, id, 0);
  OFF(struct sched_watchdog, timeout, 4);
  SIZE(struct sched_pin_override, 4);
}

/* ---- memory.h ---- */

static void test_memory(void **state)
{
  (void)state;
  VAL(XENMEM_increase_reservation, 0);
  VAL(XENMEM_decrease_reservation, 1);
  VAL(XENMEM_maximum_ram_page, 2);
  VAL(XENMEM_current_reservation, 3);
  VAL(XENMEM_maximum_reservation, 4);
  VAL(XENMEM_machphys_mfn_list, 5);
  VAL(XENMEM_populate_physmap, 6);
  VAL(XENMEM_add_to_physmap, 7);
  VAL(XENMEM_memory_map, 9);
  VAL(XENMEM_machine_memory_map, 10);
  VAL(XENMEM_exchange, 11);
  VAL(XENMEM_machphys_mapping, 12);
  VAL(XENMEM_set_memory_map, 13);
  VAL(XENMEM_maximum_gpfn, 14);
  VAL(XENMEM_remove_from_physmap, 15);
  VAL(XENMEM_set_pod_target, 16);
  VAL(XENMEM_get_pod_target, 17);
  VAL(XENMEM_get_sharing_freed_pages, 18);
  VAL(XENMEM_get_sharing_shared_pages, 19);
  VAL(XENMEM_paging_op, 20);
  VAL(XENMEM_access_op, 21);
  VAL(XENMEM_sharing_op, 22);
  VAL(XENMEM_add_to_physmap_batch, 23);
  VAL(XENMEM_claim_pages, 24);
  VAL(XENMEM_machphys_compat_mfn_list, 25);
  VAL(XENMEM_get_vnumainfo, 26);
  VAL(XENMEM_reserved_device_memory_map, 27);
  VAL(XENMEM_acquire_resource, 28);
  VAL(XENMAPSPACE_shared_info, 0);
  VAL(XENMAPSPACE_grant_table, 1);
  VAL(XENMAPSPACE_gmfn, 2);
  VAL(XENMAPSPACE_gmfn_range, 3);
  VAL(XENMAPSPACE_gmfn_foreign, 4);
  VAL(XENMAPSPACE_dev_mmio, 5);
  VAL(XENMAPIDX_grant_table_status, 0x80000000LL);
  VAL(XENMEMF_node(0), 0x100);
  VAL(XENMEMF_get_node(XENMEMF_node(3)), 3);
  VAL(XENMEMF_populate_on_demand, 1 << 16);
  VAL(XENMEMF_exact_node_request, 1 << 17);
  VAL(XENMEMF_vnode, 1 << 18);
  VAL(E820_RAM, 1);
  VAL(E820_RESERVED, 2);
  VAL(E820_ACPI, 3);
  VAL(E820_NVS, 4);
  VAL(E820_UNUSABLE, 5);

  VAL(XENMEM_set_pod_target, 16);
  VAL(XENMEM_get_pod_target, 17);
  SIZE(struct xen_pod_target, 40);
  OFF(struct xen_pod_target, tot_pages, 8);
  OFF(struct xen_pod_target, pod_entries, 24);
  OFF(struct xen_pod_target, domid, 32);
  SIZE(struct xen_memory_reservation, 32);
  OFF(struct xen_memory_reservation, extent_start, 0);
  OFF(struct xen_memory_reservation, nr_extents, 8);
  OFF(struct xen_memory_reservation, extent_order, 16);
  OFF(struct xen_memory_reservation, mem_flags, 20);
  OFF(struct xen_memory_reservation, domid, 24);
  SIZE(struct xen_add_to_physmap, 24);
  OFF(struct xen_add_to_physmap, domid, 0);
  OFF(struct xen_add_to_physmap, size, 2);
  OFF(struct xen_add_to_physmap, space, 4);
  OFF(struct xen_add_to_physmap, idx, 8);
  OFF(struct xen_add_to_physmap, gpfn, 16);
  SIZE(struct xen_add_to_physmap_batch, 32);
  OFF(struct xen_add_to_physmap_batch, domid, 0);
  OFF(struct xen_add_to_physmap_batch, space, 2);
  OFF(struct xen_add_to_physmap_batch, size, 4);
  OFF(struct xen_add_to_physmap_batch, u.foreign_domid, 6);
  OFF(struct xen_add_to_physmap_batch, idxs, 8);
  OFF(struct xen_add_to_physmap_batch, gpfns, 16);
  OFF(struct xen_add_to_physmap_batch, errs, 24);
  SIZE(struct xen_remove_from_physmap, 16);
  OFF(struct xen_remove_from_physmap, gpfn, 8);
  SIZE(struct xen_memory_map, 16);
  OFF(struct xen_memory_map, nr_entries, 0);
  OFF(struct xen_memory_map, buffer, 8);
  SIZE(struct xen_foreign_memory_map, 24);
  OFF(struct xen_foreign_memory_map, map, 8);
  SIZE(struct xen_memory_domain, 2);
  SIZE(struct e820entry, 20);
  OFF(struct e820entry, addr, 0);
  OFF(struct e820entry, size, 8);
  OFF(struct e820entry, type, 16);
}

/* ---- hvm.h ---- */

static void test_hvm(void **state)
{
  (void)state;
  VAL(HVMOP_set_param, 0);
  VAL(HVMOP_get_param, 1);
  VAL(HVMOP_set_pci_intx_level, 2);
  VAL(HVMOP_set_isa_irq_level, 3);
  VAL(HVMOP_set_pci_link_route, 4);
  VAL(HVMOP_flush_tlbs, 5);
  VAL(HVMOP_pagetable_dying, 9);
  VAL(HVMOP_get_time, 10);
  VAL(HVMOP_xentrace, 11);
  VAL(HVMOP_set_mem_access, 12);
  VAL(HVMOP_get_mem_access, 13);
  VAL(HVMOP_get_mem_type, 15);
  VAL(HVMOP_set_evtchn_upcall_vector, 23);
  VAL(HVMOP_guest_request_vm_event, 24);
  VAL(HVMOP_altp2m, 25);

  VAL(HVM_PARAM_CALLBACK_IRQ, 0);
  VAL(HVM_PARAM_CALLBACK_TYPE_GSI, 0);
  VAL(HVM_PARAM_CALLBACK_TYPE_PCI_INTX, 1);
  VAL(HVM_PARAM_CALLBACK_TYPE_VECTOR, 2);
  VAL(HVM_PARAM_CALLBACK_TYPE_SHIFT, 56);
  VAL(HVM_PARAM_CALLBACK_IRQ_TYPE_MASK, 0xFF00000000000000ULL);
  VAL(HVM_PARAM_CALLBACK_VECTOR(0xf3), 0x02000000000000f3ULL);
  VAL(HVM_PARAM_STORE_PFN, 1);
  VAL(HVM_PARAM_STORE_EVTCHN, 2);
  VAL(HVM_PARAM_PAE_ENABLED, 4);
  VAL(HVM_PARAM_IOREQ_PFN, 5);
  VAL(HVM_PARAM_BUFIOREQ_PFN, 6);
  VAL(HVM_PARAM_VIRIDIAN, 9);
  VAL(HVM_PARAM_TIMER_MODE, 10);
  VAL(HVM_PARAM_HPET_ENABLED, 11);
  VAL(HVM_PARAM_IDENT_PT, 12);
  VAL(HVM_PARAM_DM_DOMAIN, 13);
  VAL(HVM_PARAM_ACPI_S_STATE, 14);
  VAL(HVM_PARAM_VM86_TSS, 15);
  VAL(HVM_PARAM_VPT_ALIGN, 16);
  VAL(HVM_PARAM_CONSOLE_PFN, 17);
  VAL(HVM_PARAM_CONSOLE_EVTCHN, 18);
  VAL(HVM_PARAM_ACPI_IOPORTS_LOCATION, 19);
  VAL(HVM_PARAM_PAGING_RING_PFN, 27);
  VAL(HVM_PARAM_MONITOR_RING_PFN, 28);
  VAL(HVM_PARAM_SHARING_RING_PFN, 29);
  VAL(HVM_PARAM_TRIPLE_FAULT_REASON, 31);
  VAL(HVM_PARAM_IOREQ_SERVER_PFN, 32);
  VAL(HVM_PARAM_NR_IOREQ_SERVER_PAGES, 33);
  VAL(HVM_PARAM_VM_GENERATION_ID_ADDR, 34);
  VAL(HVM_PARAM_ALTP2M, 35);
  VAL(HVM_PARAM_X87_FIP_WIDTH, 36);
  VAL(HVM_PARAM_VM86_TSS_SIZED, 37);
  VAL(HVM_PARAM_MCA_CAP, 38);
  VAL(HVM_NR_PARAMS, 39);
  VAL(HVMPTM_delay_for_missed_ticks, 0);
  VAL(HVMPTM_one_missed_tick_pending, 3);

  SIZE(struct xen_hvm_param, 16);
  OFF(struct xen_hvm_param, domid, 0);
  OFF(struct xen_hvm_param, index, 4);
  OFF(struct xen_hvm_param, value, 8);
  SIZE(struct xen_hvm_evtchn_upcall_vector, 8);
  OFF(struct xen_hvm_evtchn_upcall_vector, vcpu, 0);
  OFF(struct xen_hvm_evtchn_upcall_vector, vector, 4);
  SIZE(struct xen_hvm_get_time, 8);
  SIZE(struct xen_hvm_pagetable_dying, 16);
  OFF(struct xen_hvm_pagetable_dying, gpa, 8);

  VAL(XEN_HVM_START_MAGIC_VALUE, 0x336ec578);
  SIZE(struct hvm_start_info, 56);
  OFF(struct hvm_start_info, magic, 0);
  OFF(struct hvm_start_info, version, 4);
  OFF(struct hvm_start_info, flags, 8);
  OFF(struct hvm_start_info, nr_modules, 12);
  OFF(struct hvm_start_info, modlist_paddr, 16);
  OFF(struct hvm_start_info, cmdline_paddr, 24);
  OFF(struct hvm_start_info, rsdp_paddr, 32);
  OFF(struct hvm_start_info, memmap_paddr, 40);
  OFF(struct hvm_start_info, memmap_entries, 48);
  OFF(struct hvm_start_info, reserved, 52);
  SIZE(struct hvm_modlist_entry, 32);
  OFF(struct hvm_modlist_entry, paddr, 0);
  OFF(struct hvm_modlist_entry, size, 8);
  OFF(struct hvm_modlist_entry, cmdline_paddr, 16);
  OFF(struct hvm_modlist_entry, reserved, 24);
  SIZE(struct hvm_memmap_table_entry, 24);
  OFF(struct hvm_memmap_table_entry, addr, 0);
  OFF(struct hvm_memmap_table_entry, size, 8);
  OFF(struct hvm_memmap_table_entry, type, 16);
  OFF(struct hvm_memmap_table_entry, reserved, 20);
  VAL(XEN_HVM_MEMMAP_TYPE_RAM, 1);
  VAL(XEN_HVM_MEMMAP_TYPE_RESERVED, 2);
  VAL(XEN_HVM_MEMMAP_TYPE_ACPI, 3);
  VAL(XEN_HVM_MEMMAP_TYPE_NVS, 4);
  VAL(XEN_HVM_MEMMAP_TYPE_UNUSABLE, 5);
  VAL(XEN_HVM_MEMMAP_TYPE_DISABLED, 6);
  VAL(XEN_HVM_MEMMAP_TYPE_PMEM, 7);
}

/* The magic is "xEn3" with the top bit of the 'E' set, little-endian. */
static void test_hvm_start_magic_bytes(void **state)
{
  (void)state;
  uint32_t magic = XEN_HVM_START_MAGIC_VALUE;
  unsigned char b[4];
  memcpy(b, &magic, sizeof(b));
  assert_int_equal(b[0], 'x');
  assert_int_equal(b[1], 'E' | 0x80);
  assert_int_equal(b[2], 'n');
  assert_int_equal(b[3], '3');
}

/* ---- vcpu.h ---- */

static void test_vcpu(void **state)
{
  (void)state;
  VAL(VCPUOP_initialise, 0);
  VAL(VCPUOP_up, 1);
  VAL(VCPUOP_down, 2);
  VAL(VCPUOP_is_up, 3);
  VAL(VCPUOP_get_runstate_info, 4);
  VAL(VCPUOP_register_runstate_memory_area, 5);
  VAL(VCPUOP_set_periodic_timer, 6);
  VAL(VCPUOP_stop_periodic_timer, 7);
  VAL(VCPUOP_set_singleshot_timer, 8);
  VAL(VCPUOP_stop_singleshot_timer, 9);
  VAL(VCPUOP_register_vcpu_info, 10);
  VAL(VCPUOP_send_nmi, 11);
  VAL(VCPUOP_get_physid, 12);
  VAL(VCPUOP_register_vcpu_time_memory_area, 13);
  VAL(VCPUOP_register_runstate_phys_area, 14);
  VAL(VCPUOP_register_vcpu_time_phys_area, 15);
  VAL(RUNSTATE_running, 0);
  VAL(RUNSTATE_runnable, 1);
  VAL(RUNSTATE_blocked, 2);
  VAL(RUNSTATE_offline, 3);
  VAL(XEN_RUNSTATE_UPDATE, 1ULL << 63);
  VAL(VCPU_SSHOTTMR_future, 1);

  SIZE(struct vcpu_runstate_info, 48);
  OFF(struct vcpu_runstate_info, state, 0);
  OFF(struct vcpu_runstate_info, state_entry_time, 8);
  OFF(struct vcpu_runstate_info, time, 16);
  OFF(struct vcpu_runstate_info, time[3], 40);
  SIZE(struct vcpu_register_runstate_memory_area, 8);
  SIZE(struct vcpu_register_time_memory_area, 8);
  SIZE(struct vcpu_set_periodic_timer, 8);
  SIZE(struct vcpu_set_singleshot_timer, 16);
  OFF(struct vcpu_set_singleshot_timer, timeout_abs_ns, 0);
  OFF(struct vcpu_set_singleshot_timer, flags, 8);
  SIZE(struct vcpu_register_vcpu_info, 16);
  OFF(struct vcpu_register_vcpu_info, mfn, 0);
  OFF(struct vcpu_register_vcpu_info, offset, 8);
  OFF(struct vcpu_register_vcpu_info, rsvd, 12);
  SIZE(struct vcpu_get_physid, 8);
}

/* ---- event_channel.h ---- */

static void test_event_channel(void **state)
{
  (void)state;
  VAL(EVTCHNOP_bind_interdomain, 0);
  VAL(EVTCHNOP_bind_virq, 1);
  VAL(EVTCHNOP_bind_pirq, 2);
  VAL(EVTCHNOP_close, 3);
  VAL(EVTCHNOP_send, 4);
  VAL(EVTCHNOP_status, 5);
  VAL(EVTCHNOP_alloc_unbound, 6);
  VAL(EVTCHNOP_bind_ipi, 7);
  VAL(EVTCHNOP_bind_vcpu, 8);
  VAL(EVTCHNOP_unmask, 9);
  VAL(EVTCHNOP_reset, 10);
  VAL(EVTCHNOP_init_control, 11);
  VAL(EVTCHNOP_expand_array, 12);
  VAL(EVTCHNOP_set_priority, 13);
  VAL(EVTCHNSTAT_closed, 0);
  VAL(EVTCHNSTAT_unbound, 1);
  VAL(EVTCHNSTAT_interdomain, 2);
  VAL(EVTCHNSTAT_pirq, 3);
  VAL(EVTCHNSTAT_virq, 4);
  VAL(EVTCHNSTAT_ipi, 5);
  VAL(BIND_PIRQ__WILL_SHARE, 1);
  VAL(EVTCHN_2L_NR_CHANNELS, 4096);
  VAL(NR_EVENT_CHANNELS, 4096);
  VAL(EVTCHN_FIFO_LINK_BITS, 17);
  VAL(EVTCHN_FIFO_NR_CHANNELS, 131072);
  VAL(EVTCHN_FIFO_PENDING, 31);
  VAL(EVTCHN_FIFO_MASKED, 30);
  VAL(EVTCHN_FIFO_LINKED, 29);
  VAL(EVTCHN_FIFO_BUSY, 28);
  VAL(EVTCHN_FIFO_PRIORITY_DEFAULT, 7);
  VAL(EVTCHN_FIFO_MAX_QUEUES, 16);
  VAL(sizeof(evtchn_port_t), 4);

  SIZE(struct evtchn_alloc_unbound, 8);
  OFF(struct evtchn_alloc_unbound, dom, 0);
  OFF(struct evtchn_alloc_unbound, remote_dom, 2);
  OFF(struct evtchn_alloc_unbound, port, 4);
  SIZE(struct evtchn_bind_interdomain, 12);
  OFF(struct evtchn_bind_interdomain, remote_dom, 0);
  OFF(struct evtchn_bind_interdomain, remote_port, 4);
  OFF(struct evtchn_bind_interdomain, local_port, 8);
  SIZE(struct evtchn_bind_virq, 12);
  OFF(struct evtchn_bind_virq, virq, 0);
  OFF(struct evtchn_bind_virq, vcpu, 4);
  OFF(struct evtchn_bind_virq, port, 8);
  SIZE(struct evtchn_bind_pirq, 12);
  OFF(struct evtchn_bind_pirq, flags, 4);
  OFF(struct evtchn_bind_pirq, port, 8);
  SIZE(struct evtchn_bind_ipi, 8);
  OFF(struct evtchn_bind_ipi, vcpu, 0);
  OFF(struct evtchn_bind_ipi, port, 4);
  SIZE(struct evtchn_close, 4);
  SIZE(struct evtchn_send, 4);
  SIZE(struct evtchn_status, 24);
  OFF(struct evtchn_status, dom, 0);
  OFF(struct evtchn_status, port, 4);
  OFF(struct evtchn_status, status, 8);
  OFF(struct evtchn_status, vcpu, 12);
  OFF(struct evtchn_status, u, 16);
  OFF(struct evtchn_status, u.unbound.dom, 16);
  OFF(struct evtchn_status, u.interdomain.dom, 16);
  OFF(struct evtchn_status, u.interdomain.port, 20);
  OFF(struct evtchn_status, u.pirq, 16);
  OFF(struct evtchn_status, u.virq, 16);
  SIZE(struct evtchn_bind_vcpu, 8);
  OFF(struct evtchn_bind_vcpu, port, 0);
  OFF(struct evtchn_bind_vcpu, vcpu, 4);
  SIZE(struct evtchn_unmask, 4);
  SIZE(struct evtchn_reset, 2);
  SIZE(struct evtchn_init_control, 24);
  OFF(struct evtchn_init_control, control_gfn, 0);
  OFF(struct evtchn_init_control, offset, 8);
  OFF(struct evtchn_init_control, vcpu, 12);
  OFF(struct evtchn_init_control, link_bits, 16);
  SIZE(struct evtchn_expand_array, 8);
  SIZE(struct evtchn_set_priority, 8);
  OFF(struct evtchn_set_priority, priority, 4);
  SIZE(struct evtchn_op, 28);
  OFF(struct evtchn_op, u, 4);
  SIZE(struct evtchn_fifo_control_block, 72);
  OFF(struct evtchn_fifo_control_block, head, 8);
}

/* ---- grant_table.h ---- */

static void test_grant_table(void **state)
{
  (void)state;
  VAL(GNTTABOP_map_grant_ref, 0);
  VAL(GNTTABOP_unmap_grant_ref, 1);
  VAL(GNTTABOP_setup_table, 2);
  VAL(GNTTABOP_dump_table, 3);
  VAL(GNTTABOP_transfer, 4);
  VAL(GNTTABOP_copy, 5);
  VAL(GNTTABOP_query_size, 6);
  VAL(GNTTABOP_unmap_and_replace, 7);
  VAL(GNTTABOP_set_version, 8);
  VAL(GNTTABOP_get_status_frames, 9);
  VAL(GNTTABOP_get_version, 10);
  VAL(GNTTABOP_swap_grant_ref, 11);
  VAL(GNTTABOP_cache_flush, 12);
  VAL(GTF_invalid, 0);
  VAL(GTF_permit_access, 1);
  VAL(GTF_accept_transfer, 2);
  VAL(GTF_transitive, 3);
  VAL(GTF_type_mask, 3);
  VAL(GTF_readonly, 1 << 2);
  VAL(GTF_reading, 1 << 3);
  VAL(GTF_writing, 1 << 4);
  VAL(GTF_PWT, 1 << 5);
  VAL(GTF_PCD, 1 << 6);
  VAL(GTF_PAT, 1 << 7);
  VAL(GTF_sub_page, 1 << 8);
  VAL(GTF_transfer_committed, 1 << 2);
  VAL(GTF_transfer_completed, 1 << 3);
  VAL(GNTTAB_NR_RESERVED_ENTRIES, 8);
  VAL(GNTTAB_RESERVED_CONSOLE, 0);
  VAL(GNTTAB_RESERVED_XENSTORE, 1);
  VAL(GNTMAP_device_map, 1);
  VAL(GNTMAP_host_map, 2);
  VAL(GNTMAP_readonly, 4);
  VAL(GNTMAP_application_map, 8);
  VAL(GNTMAP_contains_pte, 16);
  VAL(GNTMAP_guest_avail_mask, 0xFFFF0000LL);
  VAL(GNTCOPY_source_gref, 1);
  VAL(GNTCOPY_dest_gref, 2);
  VAL(GNTST_okay, 0);
  VAL(GNTST_general_error, -1);
  VAL(GNTST_bad_domain, -2);
  VAL(GNTST_bad_gntref, -3);
  VAL(GNTST_bad_handle, -4);
  VAL(GNTST_bad_virt_addr, -5);
  VAL(GNTST_bad_dev_addr, -6);
  VAL(GNTST_no_device_space, -7);
  VAL(GNTST_permission_denied, -8);
  VAL(GNTST_bad_page, -9);
  VAL(GNTST_bad_copy_arg, -10);
  VAL(GNTST_address_too_big, -11);
  VAL(GNTST_eagain, -12);
  VAL(GNTST_no_space, -13);
  VAL(sizeof(grant_ref_t), 4);
  VAL(sizeof(grant_handle_t), 4);
  VAL(sizeof(grant_status_t), 2);

  SIZE(struct grant_entry_v1, 8);
  OFF(struct grant_entry_v1, flags, 0);
  OFF(struct grant_entry_v1, domid, 2);
  OFF(struct grant_entry_v1, frame, 4);
  SIZE(struct grant_entry_header, 4);
  SIZE(union grant_entry_v2, 16);
  OFF(union grant_entry_v2, full_page.frame, 8);
  OFF(union grant_entry_v2, sub_page.page_off, 4);
  OFF(union grant_entry_v2, sub_page.length, 6);
  OFF(union grant_entry_v2, sub_page.frame, 8);
  OFF(union grant_entry_v2, transitive.trans_domid, 4);
  OFF(union grant_entry_v2, transitive.gref, 8);
  SIZE(struct gnttab_map_grant_ref, 32);
  OFF(struct gnttab_map_grant_ref, host_addr, 0);
  OFF(struct gnttab_map_grant_ref, flags, 8);
  OFF(struct gnttab_map_grant_ref, ref, 12);
  OFF(struct gnttab_map_grant_ref, dom, 16);
  OFF(struct gnttab_map_grant_ref, status, 18);
  OFF(struct gnttab_map_grant_ref, handle, 20);
  OFF(struct gnttab_map_grant_ref, dev_bus_addr, 24);
  SIZE(struct gnttab_unmap_grant_ref, 24);
  OFF(struct gnttab_unmap_grant_ref, host_addr, 0);
  OFF(struct gnttab_unmap_grant_ref, dev_bus_addr, 8);
  OFF(struct gnttab_unmap_grant_ref, handle, 16);
  OFF(struct gnttab_unmap_grant_ref, status, 20);
  SIZE(struct gnttab_setup_table, 24);
  OFF(struct gnttab_setup_table, dom, 0);
  OFF(struct gnttab_setup_table, nr_frames, 4);
  OFF(struct gnttab_setup_table, status, 8);
  OFF(struct gnttab_setup_table, frame_list, 16);
  SIZE(struct gnttab_dump_table, 4);
  OFF(struct gnttab_dump_table, status, 2);
  SIZE(struct gnttab_transfer, 24);
  OFF(struct gnttab_transfer, domid, 8);
  OFF(struct gnttab_transfer, ref, 12);
  OFF(struct gnttab_transfer, status, 16);
  SIZE(struct gnttab_copy_ptr, 16);
  OFF(struct gnttab_copy_ptr, domid, 8);
  OFF(struct gnttab_copy_ptr, offset, 10);
  SIZE(struct gnttab_copy, 40);
  OFF(struct gnttab_copy, source, 0);
  OFF(struct gnttab_copy, dest, 16);
  OFF(struct gnttab_copy, len, 32);
  OFF(struct gnttab_copy, flags, 34);
  OFF(struct gnttab_copy, status, 36);
  SIZE(struct gnttab_query_size, 16);
  OFF(struct gnttab_query_size, nr_frames, 4);
  OFF(struct gnttab_query_size, max_nr_frames, 8);
  OFF(struct gnttab_query_size, status, 12);
  SIZE(struct gnttab_unmap_and_replace, 24);
  OFF(struct gnttab_unmap_and_replace, new_addr, 8);
  OFF(struct gnttab_unmap_and_replace, handle, 16);
  OFF(struct gnttab_unmap_and_replace, status, 20);
  SIZE(struct gnttab_set_version, 4);
  SIZE(struct gnttab_get_status_frames, 16);
  OFF(struct gnttab_get_status_frames, dom, 4);
  OFF(struct gnttab_get_status_frames, status, 6);
  OFF(struct gnttab_get_status_frames, frame_list, 8);
  SIZE(struct gnttab_get_version, 8);
  OFF(struct gnttab_get_version, version, 4);
  SIZE(struct gnttab_swap_grant_ref, 12);
  OFF(struct gnttab_swap_grant_ref, status, 8);
  SIZE(struct gnttab_cache_flush, 16);
  OFF(struct gnttab_cache_flush, offset, 8);
  OFF(struct gnttab_cache_flush, length, 10);
  OFF(struct gnttab_cache_flush, op, 12);
}

/* ---- console.h ---- */

static void test_console(void **state)
{
  (void)state;
  VAL(sizeof(((struct xencons_interface *)0)->in), 1024);
  VAL(sizeof(((struct xencons_interface *)0)->out), 2048);
  OFF(struct xencons_interface, in, 0);
  OFF(struct xencons_interface, out, 1024);
  OFF(struct xencons_interface, in_cons, 3072);
  OFF(struct xencons_interface, in_prod, 3076);
  OFF(struct xencons_interface, out_cons, 3080);
  OFF(struct xencons_interface, out_prod, 3084);
  OFF(struct xencons_interface, connection, 3088);
  VAL(sizeof(XENCONS_RING_IDX), 4);
  VAL(XENCONSOLE_CONNECTED, 0);
  VAL(XENCONSOLE_DISCONNECTED, 1);

  /* The index wraps through the ring by masking. */
  struct xencons_interface intf;
  assert_int_equal(MASK_XENCONS_IDX(2047u, intf.out), 2047);
  assert_int_equal(MASK_XENCONS_IDX(2048u, intf.out), 0);
  assert_int_equal(MASK_XENCONS_IDX(1025u, intf.in), 1);
  assert_int_equal(MASK_XENCONS_IDX(0xffffffffu, intf.in), 1023);
}

/* ---- cpuid.h ---- */

static void test_cpuid(void **state)
{
  (void)state;
  VAL(XEN_CPUID_FIRST_LEAF, 0x40000000);
  VAL(XEN_CPUID_LEAF(4), 0x40000004);
  VAL(XEN_CPUID_SIGNATURE_EBX, 0x566e6558);
  VAL(XEN_CPUID_SIGNATURE_ECX, 0x65584d4d);
  VAL(XEN_CPUID_SIGNATURE_EDX, 0x4d4d566e);
  VAL(XEN_CPUID_MAX_NUM_LEAVES, 5);
  VAL(XEN_CPUID_HYPERCALL_MSR, 0x40000000);
  VAL(XEN_CPUID_HYPERCALL_MSR_VIRIDIAN, 0x40000200);
  VAL(XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD, 1);
  VAL(XEN_CPUID_TSC_EMULATED, 1);
  VAL(XEN_CPUID_HOST_TSC_RELIABLE, 2);
  VAL(XEN_CPUID_RDTSCP_INSTR_AVAIL, 4);
  VAL(XEN_CPUID_TSC_MODE_PVRDTSCP, 3);
  VAL(XEN_HVM_CPUID_APIC_ACCESS_VIRT, 1 << 0);
  VAL(XEN_HVM_CPUID_X2APIC_VIRT, 1 << 1);
  VAL(XEN_HVM_CPUID_IOMMU_MAPPINGS, 1 << 2);
  VAL(XEN_HVM_CPUID_VCPU_ID_PRESENT, 1 << 3);
  VAL(XEN_HVM_CPUID_DOMID_PRESENT, 1 << 4);
  VAL(XEN_HVM_CPUID_EXT_DEST_ID, 1 << 5);
  VAL(XEN_HVM_CPUID_UPCALL_VECTOR, 1 << 6);

  /* EBX, ECX, EDX spell "XenVMMXenVMM". */
  uint32_t sig[3] = {XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX};
  char text[13] = {0};
  memcpy(text, sig, 12);
  assert_string_equal(text, "XenVMMXenVMM");
}

/* ---- domctl.h and sysctl.h ---- */

static void test_domctl(void **state)
{
  (void)state;
  VAL(XEN_DOMCTL_INTERFACE_VERSION, 0x17);
  VAL(XEN_DOMCTL_createdomain, 1);
  VAL(XEN_DOMCTL_destroydomain, 2);
  VAL(XEN_DOMCTL_pausedomain, 3);
  VAL(XEN_DOMCTL_unpausedomain, 4);
  VAL(XEN_DOMCTL_getdomaininfo, 5);
  VAL(XEN_DOMCTL_setvcpuaffinity, 9);
  VAL(XEN_DOMCTL_max_vcpus, 15);
  VAL(XEN_DOMCTL_scheduler_op, 16);
  VAL(XEN_DOMCTL_getvcpuaffinity, 25);
  VAL(XEN_DOMINF_dying, 1 << 0);
  VAL(XEN_DOMINF_hvm_guest, 1 << 1);
  VAL(XEN_DOMINF_shutdown, 1 << 2);
  VAL(XEN_DOMINF_paused, 1 << 3);
  VAL(XEN_DOMINF_blocked, 1 << 4);
  VAL(XEN_DOMINF_running, 1 << 5);
  VAL(XEN_DOMINF_debugged, 1 << 6);
  VAL(XEN_DOMINF_xs_domain, 1 << 7);
  VAL(XEN_DOMINF_hap, 1 << 8);
  VAL(XEN_DOMINF_shutdownmask, 255);
  VAL(XEN_DOMINF_shutdownshift, 16);
  VAL(XEN_INVALID_MAX_VCPU_ID, 0xffffffffu);
  VAL(XEN_VCPUAFFINITY_HARD, 1);
  VAL(XEN_VCPUAFFINITY_SOFT, 2);
  VAL(XEN_VCPUAFFINITY_FORCE, 4);
  VAL(XEN_SCHEDULER_CREDIT, 5);
  VAL(XEN_SCHEDULER_CREDIT2, 6);
  VAL(XEN_SCHEDULER_ARINC653, 7);
  VAL(XEN_SCHEDULER_RTDS, 8);
  VAL(XEN_SCHEDULER_NULL, 9);
  VAL(XEN_DOMCTL_SCHEDOP_putinfo, 0);
  VAL(XEN_DOMCTL_SCHEDOP_getinfo, 1);
  VAL(XEN_DOMCTL_SCHEDOP_putvcpuinfo, 2);
  VAL(XEN_DOMCTL_SCHEDOP_getvcpuinfo, 3);
  VAL(XEN_X86_EMU_LAPIC, 1);
  VAL(sizeof(xen_domain_handle_t), 16);
  SIZE(struct xenctl_bitmap, 16);
  OFF(struct xenctl_bitmap, nr_bits, 8);
  SIZE(struct xen_domctl_getdomaininfo, 112);
  OFF(struct xen_domctl_getdomaininfo, flags, 4);
  OFF(struct xen_domctl_getdomaininfo, tot_pages, 8);
  OFF(struct xen_domctl_getdomaininfo, max_pages, 16);
  OFF(struct xen_domctl_getdomaininfo, outstanding_pages, 24);
  OFF(struct xen_domctl_getdomaininfo, shr_pages, 32);
  OFF(struct xen_domctl_getdomaininfo, paged_pages, 40);
  OFF(struct xen_domctl_getdomaininfo, shared_info_frame, 48);
  OFF(struct xen_domctl_getdomaininfo, cpu_time, 56);
  OFF(struct xen_domctl_getdomaininfo, nr_online_vcpus, 64);
  OFF(struct xen_domctl_getdomaininfo, max_vcpu_id, 68);
  OFF(struct xen_domctl_getdomaininfo, ssidref, 72);
  OFF(struct xen_domctl_getdomaininfo, handle, 76);
  OFF(struct xen_domctl_getdomaininfo, cpupool, 92);
  OFF(struct xen_domctl_getdomaininfo, gpaddr_bits, 96);
  OFF(struct xen_domctl_getdomaininfo, arch_config, 104);
  SIZE(struct xen_arch_domainconfig, 8);
  SIZE(struct xen_domctl_vcpuaffinity, 40);
  OFF(struct xen_domctl_vcpuaffinity, flags, 4);
  OFF(struct xen_domctl_vcpuaffinity, cpumap_hard, 8);
  OFF(struct xen_domctl_vcpuaffinity, cpumap_soft, 24);
  SIZE(struct xen_domctl_max_vcpus, 4);
  SIZE(struct xen_domctl_sched_credit, 4);
  OFF(struct xen_domctl_sched_credit, cap, 2);
  SIZE(struct xen_domctl_scheduler_op, 24);
  OFF(struct xen_domctl_scheduler_op, cmd, 4);
  OFF(struct xen_domctl_scheduler_op, u, 8);
  OFF(struct xen_domctl_scheduler_op, u.v.nr_vcpus, 16);
  /* The toolstack's commands of issue 18 (Xen 4.17's numbers and layouts). */
  VAL(XEN_DOMCTL_getvcpuinfo, 14);
  VAL(XEN_DOMCTL_settimeoffset, 24);
  VAL(XEN_DOMCTL_gettscinfo, 59);
  VAL(XEN_DOMCTL_settscinfo, 60);
  VAL(XEN_DOMCTL_setnodeaffinity, 68);
  VAL(XEN_DOMCTL_getnodeaffinity, 69);
  VAL(XEN_DOMCTL_get_cpu_policy, 82);
  VAL(XEN_DOMCTL_set_cpu_policy, 83);
  VAL(XEN_DOMCTL_get_paging_mempool_size, 85);
  VAL(XEN_DOMCTL_set_paging_mempool_size, 86);
  VAL(XEN_TSC_MODE_NEVER_EMULATE, 2);
  SIZE(struct xen_domctl_getvcpuinfo, 24);
  OFF(struct xen_domctl_getvcpuinfo, online, 4);
  OFF(struct xen_domctl_getvcpuinfo, blocked, 5);
  OFF(struct xen_domctl_getvcpuinfo, running, 6);
  OFF(struct xen_domctl_getvcpuinfo, cpu_time, 8);
  OFF(struct xen_domctl_getvcpuinfo, cpu, 16);
  SIZE(struct xen_domctl_tsc_info, 24);
  OFF(struct xen_domctl_tsc_info, gtsc_khz, 4);
  OFF(struct xen_domctl_tsc_info, incarnation, 8);
  OFF(struct xen_domctl_tsc_info, elapsed_nsec, 16);
  SIZE(struct xen_domctl_nodeaffinity, 16);
  SIZE(struct xen_domctl_cpu_policy, 40);
  OFF(struct xen_domctl_cpu_policy, leaves, 8);
  OFF(struct xen_domctl_cpu_policy, msrs, 16);
  OFF(struct xen_domctl_cpu_policy, err_leaf, 24);
  OFF(struct xen_domctl_cpu_policy, err_subleaf, 28);
  OFF(struct xen_domctl_cpu_policy, err_msr, 32);
  SIZE(struct xen_domctl_paging_mempool, 8);
  SIZE(struct xen_domctl_settimeoffset, 8);
  SIZE(struct xen_domctl, 144);
  OFF(struct xen_domctl, interface_version, 4);
  OFF(struct xen_domctl, domain, 8);
  OFF(struct xen_domctl, u, 16);
}

static void test_sysctl(void **state)
{
  (void)state;
  VAL(XEN_SYSCTL_INTERFACE_VERSION, 0x15);
  VAL(XEN_SYSCTL_readconsole, 1);
  VAL(XEN_SYSCTL_physinfo, 3);
  VAL(XEN_SYSCTL_sched_id, 4);
  VAL(XEN_SYSCTL_getdomaininfolist, 6);
  VAL(XEN_SYSCTL_PHYSCAP_hvm, 1 << 0);
  VAL(XEN_SYSCTL_PHYSCAP_pv, 1 << 1);
  VAL(XEN_SYSCTL_PHYSCAP_directio, 1 << 2);
  VAL(XEN_SYSCTL_PHYSCAP_hap, 1 << 3);
  VAL(XEN_SYSCTL_PHYSCAP_shadow, 1 << 4);
  VAL(XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share, 1 << 5);
  VAL(XEN_SYSCTL_PHYSCAP_vmtrace, 1 << 6);
  VAL(XEN_SYSCTL_PHYSCAP_vpmu, 1 << 7);
  VAL(XEN_SYSCTL_PHYSCAP_gnttab_v1, 1 << 8);
  VAL(XEN_SYSCTL_PHYSCAP_gnttab_v2, 1 << 9);
  VAL(XEN_SYSCTL_cputopoinfo, 16);
  VAL(XEN_SYSCTL_numainfo, 17);
  VAL(XEN_SYSCTL_cpupool_op, 18);
  VAL(XEN_SYSCTL_get_cpu_featureset, 26);
  VAL(XEN_SYSCTL_get_cpu_policy, 29);
  VAL(XEN_SYSCTL_CPUPOOL_OP_INFO, 3);
  VAL(XEN_SYSCTL_CPUPOOL_OP_FREEINFO, 7);
  VAL(XEN_SYSCTL_cpu_featureset_host, 1);
  VAL(XEN_SYSCTL_cpu_policy_hvm_default, 5);
  SIZE(struct xen_sysctl_cputopo, 12);
  SIZE(struct xen_sysctl_cputopoinfo, 16);
  OFF(struct xen_sysctl_cputopoinfo, cputopo, 8);
  SIZE(struct xen_sysctl_meminfo, 16);
  SIZE(struct xen_sysctl_numainfo, 24);
  OFF(struct xen_sysctl_numainfo, meminfo, 8);
  OFF(struct xen_sysctl_numainfo, distance, 16);
  SIZE(struct xen_sysctl_cpupool_op, 40);
  OFF(struct xen_sysctl_cpupool_op, sched_id, 8);
  OFF(struct xen_sysctl_cpupool_op, n_dom, 20);
  OFF(struct xen_sysctl_cpupool_op, cpumap, 24);
  SIZE(struct xen_sysctl_cpu_featureset, 16);
  OFF(struct xen_sysctl_cpu_featureset, features, 8);
  SIZE(struct xen_sysctl_cpu_policy, 32);
  OFF(struct xen_sysctl_cpu_policy, nr_msrs, 8);
  OFF(struct xen_sysctl_cpu_policy, leaves, 16);
  OFF(struct xen_sysctl_cpu_policy, msrs, 24);
  SIZE(struct xen_cpuid_leaf, 24);
  SIZE(struct xen_msr_entry, 16);
  OFF(struct xen_msr_entry, val, 8);
  SIZE(struct xen_sysctl_readconsole, 24);
  OFF(struct xen_sysctl_readconsole, incremental, 1);
  OFF(struct xen_sysctl_readconsole, index, 4);
  OFF(struct xen_sysctl_readconsole, buffer, 8);
  OFF(struct xen_sysctl_readconsole, count, 16);
  SIZE(struct xen_sysctl_physinfo, 112);
  OFF(struct xen_sysctl_physinfo, nr_cpus, 8);
  OFF(struct xen_sysctl_physinfo, max_cpu_id, 12);
  OFF(struct xen_sysctl_physinfo, cpu_khz, 24);
  OFF(struct xen_sysctl_physinfo, capabilities, 28);
  OFF(struct xen_sysctl_physinfo, arch_capabilities, 32);
  OFF(struct xen_sysctl_physinfo, total_pages, 40);
  OFF(struct xen_sysctl_physinfo, free_pages, 48);
  OFF(struct xen_sysctl_physinfo, scrub_pages, 56);
  OFF(struct xen_sysctl_physinfo, outstanding_pages, 64);
  OFF(struct xen_sysctl_physinfo, max_mfn, 72);
  OFF(struct xen_sysctl_physinfo, hw_cap, 80);
  SIZE(struct xen_sysctl_sched_id, 4);
  SIZE(struct xen_sysctl_getdomaininfolist, 24);
  OFF(struct xen_sysctl_getdomaininfolist, max_domains, 4);
  OFF(struct xen_sysctl_getdomaininfolist, buffer, 8);
  OFF(struct xen_sysctl_getdomaininfolist, num_domains, 16);
  SIZE(struct xen_sysctl, 136);
  OFF(struct xen_sysctl, interface_version, 4);
  OFF(struct xen_sysctl, u, 8);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hypercall_vectors),
      cmocka_unit_test(test_xen_constants),
      cmocka_unit_test(test_xen_structs),
      cmocka_unit_test(test_errno),
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_sched),
      cmocka_unit_test(test_memory),
      cmocka_unit_test(test_hvm),
      cmocka_unit_test(test_hvm_start_magic_bytes),
      cmocka_unit_test(test_vcpu),
      cmocka_unit_test(test_event_channel),
      cmocka_unit_test(test_grant_table),
      cmocka_unit_test(test_console),
      cmocka_unit_test(test_cpuid),
      cmocka_unit_test(test_domctl),
      cmocka_unit_test(test_sysctl),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
