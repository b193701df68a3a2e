/* The hypervisor CPUID leaves through which a guest finds Xen (or us) and
 * its hypercall page.
 *
 * Written for mica from the Xen 4.19 interface
 * (xen/include/public/arch-x86/cpuid.h; the values Xen puts in each leaf
 * from xen/arch/x86/traps.c, cpuid_hypervisor_leaves).
 *
 * The leaves start at XEN_CPUID_FIRST_LEAF, or at the next free 0x100
 * boundary (0x40000100) when the domain also sees Viridian leaves; a guest
 * scans for the signature.  Offsets from that base: */
#ifndef MICA_PUBLIC_CPUID_H
#define MICA_PUBLIC_CPUID_H

#define XEN_CPUID_FIRST_LEAF 0x40000000
#define XEN_CPUID_LEAF(i) (XEN_CPUID_FIRST_LEAF + (i))

/* base + 0: EAX = the highest leaf (base + XEN_CPUID_MAX_NUM_LEAVES by
 * default); EBX, ECX, EDX = "XenVMMXenVMM". */
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558 /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4d /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566e /* "nVMM" */
#define XEN_CPUID_MAX_NUM_LEAVES 5

/* base + 1: EAX = (major << 16) | minor version; EBX..EDX = 0. */

/* base + 2: EAX = number of hypercall pages (always 1); EBX = the MSR a
 * guest writes with the guest-physical address of a page to have the
 * hypercall page written there (0x40000000, or 0x40000200 with Viridian);
 * ECX = feature bits below; EDX = 0. */
/* (Xen publishes no names for these two MSR numbers; these are ours.) */
#define XEN_CPUID_HYPERCALL_MSR 0x40000000
#define XEN_CPUID_HYPERCALL_MSR_VIRIDIAN 0x40000200
#define _XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD 0
#define XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD (1u << 0) /* PV only */

/* base + 3: time.  Sub-leaf 0: EAX = XEN_CPUID_TSC_* / HOST_TSC / RDTSCP
 * flags, EBX = TSC mode, ECX = guest TSC kHz, EDX = incarnation.  Sub-leaf
 * 1: EAX:EBX = TSC offset, ECX = tsc-to-ns multiplier, EDX = shift.
 * Sub-leaf 2: EAX = host TSC kHz. */
#define XEN_CPUID_TSC_EMULATED (1u << 0)
#define XEN_CPUID_HOST_TSC_RELIABLE (1u << 1)
#define XEN_CPUID_RDTSCP_INSTR_AVAIL (1u << 2)
#define XEN_CPUID_TSC_MODE_DEFAULT (0)
#define XEN_CPUID_TSC_MODE_ALWAYS_EMULATE (1u)
#define XEN_CPUID_TSC_MODE_NEVER_EMULATE (2u)
#define XEN_CPUID_TSC_MODE_PVRDTSCP (3u)

/* base + 4: HVM/PVH guests, sub-leaf 0: EAX = the flags below; EBX = the
 * vcpu id if VCPU_ID_PRESENT; ECX = the domain id if DOMID_PRESENT. */
#define XEN_HVM_CPUID_APIC_ACCESS_VIRT (1u << 0) /* APIC registers virtualised */
#define XEN_HVM_CPUID_X2APIC_VIRT (1u << 1)      /* x2APIC MSRs do not exit */
#define XEN_HVM_CPUID_IOMMU_MAPPINGS (1u << 2)   /* foreign maps have IOMMU entries */
#define XEN_HVM_CPUID_VCPU_ID_PRESENT (1u << 3)
#define XEN_HVM_CPUID_DOMID_PRESENT (1u << 4)
#define XEN_HVM_CPUID_EXT_DEST_ID (1u << 5) /* 15-bit IO-APIC/MSI destinations */
/* Per-vcpu upcall vectors also work with physical IRQs bound to ports. */
#define XEN_HVM_CPUID_UPCALL_VECTOR (1u << 6)

/* base + 5: PV guests, sub-leaf 0: EAX = highest sub-leaf; EBX bits 7..0 =
 * the machine address width. */
#define XEN_CPUID_MACHINE_ADDRESS_WIDTH_MASK (0xffu << 0)

#endif
