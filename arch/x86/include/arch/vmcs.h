/* VMCS field encodings, exit reasons and the VMX instructions as small
 * functions that return a status (SDM vol. 3, appendix B "Field encoding in
 * VMCS", appendix C "VMX basic exit reasons", 30.2 "Conventions"). */
#ifndef ARCH_VMCS_H
#define ARCH_VMCS_H

#include <hv/errno.h>
#include <hv/types.h>

/* 16-bit fields (B.1). */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SEL 0x0800
#define VMCS_GUEST_CS_SEL 0x0802
#define VMCS_GUEST_SS_SEL 0x0804
#define VMCS_GUEST_DS_SEL 0x0806
#define VMCS_GUEST_FS_SEL 0x0808
#define VMCS_GUEST_GS_SEL 0x080a
#define VMCS_GUEST_LDTR_SEL 0x080c
#define VMCS_GUEST_TR_SEL 0x080e
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c

/* 64-bit fields (B.2). */
#define VMCS_EPT_POINTER 0x201a
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_IA32_PAT 0x2804
#define VMCS_IO_BITMAP_A 0x2000 /* ports 0x0000-0x7fff */
#define VMCS_IO_BITMAP_B 0x2002 /* ports 0x8000-0xffff */
#define VMCS_MSR_BITMAP 0x2004
#define MSR_IA32_PAT 0x277
#define VMCS_GUEST_IA32_EFER 0x2806
#define VMCS_GUEST_PDPTE0 0x280a /* PDPTE1 to 3 follow, 2 apart (B.2.3) */
#define VMCS_GUEST_IA32_DEBUGCTL 0x2802
#define VMCS_HOST_IA32_PAT 0x2c00
#define VMCS_HOST_IA32_EFER 0x2c02

/* 32-bit fields (B.3). */
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CONTROLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSTRUCTION_LEN 0x401a
#define VMCS_PROC_CONTROLS2 0x401e
#define VMCS_VM_INSTRUCTION_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSTRUCTION_LEN 0x440c
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_CS_LIMIT 0x4802
#define VMCS_GUEST_SS_LIMIT 0x4804
#define VMCS_GUEST_DS_LIMIT 0x4806
#define VMCS_GUEST_FS_LIMIT 0x4808
#define VMCS_GUEST_GS_LIMIT 0x480a
#define VMCS_GUEST_LDTR_LIMIT 0x480c
#define VMCS_GUEST_TR_LIMIT 0x480e
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_CS_AR 0x4816
/* Segment access-rights bits (SDM vol. 3, 24.4.1). */
#define CS_AR_L (1U << 13)  /* 64-bit code segment */
#define CS_AR_DB (1U << 14) /* default operation size 32 bits */
#define VMCS_GUEST_SS_AR 0x4818
#define VMCS_GUEST_DS_AR 0x481a
#define VMCS_GUEST_FS_AR 0x481c
#define VMCS_GUEST_GS_AR 0x481e
#define VMCS_GUEST_LDTR_AR 0x4820
#define VMCS_GUEST_TR_AR 0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY_STATE 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_PREEMPTION_TIMER 0x482e
#define VMCS_HOST_SYSENTER_CS 0x4c00

/* Natural-width fields (B.4). */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_READ_SHADOW 0x6004
#define VMCS_CR4_READ_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDR 0x640a
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_CS_BASE 0x6808
#define VMCS_GUEST_SS_BASE 0x680a
#define VMCS_GUEST_DS_BASE 0x680c
#define VMCS_GUEST_FS_BASE 0x680e
#define VMCS_GUEST_GS_BASE 0x6810
#define VMCS_GUEST_LDTR_BASE 0x6812
#define VMCS_GUEST_TR_BASE 0x6814
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* Control bits (SDM 24.6, 24.7, 24.8). */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1U << 0)
#define PIN_NMI_EXITING (1U << 3)
#define PIN_PREEMPTION_TIMER (1U << 6)
#define PROC_INTR_WINDOW_EXITING (1U << 2) /* exit when the guest can take an interrupt */
#define PROC_HLT_EXITING (1U << 7)
#define PROC_MWAIT_EXITING (1U << 10)     /* MWAIT exits (CPUID hides it: #UD, as Xen) */
#define PROC_CR8_LOAD_EXITING (1U << 19)  /* MOV to CR8 (the TPR) exits */
#define PROC_CR8_STORE_EXITING (1U << 20) /* MOV from CR8 exits */
#define PROC_MOV_DR_EXITING (1U << 23)    /* MOV to or from DR0-DR7 exits */
#define PROC_UNCOND_IO_EXITING (1U << 24)
#define PROC_USE_IO_BITMAPS (1U << 25)
#define PROC_USE_MSR_BITMAPS (1U << 28)
#define PROC_MONITOR_EXITING (1U << 29) /* MONITOR exits (likewise) */
#define PROC_ACTIVATE_SECONDARY (1U << 31)
#define PROC2_ENABLE_EPT (1U << 1)
#define PROC2_ENABLE_RDTSCP (1U << 3) /* else RDTSCP is #UD */
#define PROC2_ENABLE_VPID (1U << 5)
#define PROC2_UNRESTRICTED_GUEST (1U << 7)
#define PROC2_ENABLE_INVPCID (1U << 12)    /* else INVPCID is #UD */
#define EXIT_SAVE_DEBUG_CONTROLS (1U << 2) /* DR7 and IA32_DEBUGCTL into the VMCS */
#define EXIT_HOST_ADDR_SPACE_SIZE (1U << 9)
#define EXIT_ACK_INTERRUPT (1U << 15)
#define EXIT_SAVE_IA32_PAT (1U << 18)
#define EXIT_LOAD_IA32_PAT (1U << 19)
#define EXIT_SAVE_IA32_EFER (1U << 20)
#define EXIT_LOAD_IA32_EFER (1U << 21)
#define ENTRY_LOAD_DEBUG_CONTROLS (1U << 2) /* ... and back from it */
#define ENTRY_IA32E_MODE (1U << 9)
#define ENTRY_LOAD_IA32_PAT (1U << 14)
#define ENTRY_LOAD_IA32_EFER (1U << 15)

/* Capability MSRs for the controls; the TRUE_ ones apply when
 * IA32_VMX_BASIC bit 55 is set (SDM A.2). */
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* Basic exit reasons (appendix C). */
#define EXIT_REASON_EXCEPTION_NMI 0
#define EXIT_REASON_EXTERNAL_INTERRUPT 1
#define EXIT_REASON_TRIPLE_FAULT 2
#define EXIT_REASON_INIT 3
#define EXIT_REASON_INTR_WINDOW 7
#define EXIT_REASON_CPUID 10
#define EXIT_REASON_HLT 12
#define EXIT_REASON_GETSEC 11
#define EXIT_REASON_INVD 13
#define EXIT_REASON_VMCALL 18
#define EXIT_REASON_VMCLEAR 19
#define EXIT_REASON_VMLAUNCH 20
#define EXIT_REASON_VMPTRLD 21
#define EXIT_REASON_VMPTRST 22
#define EXIT_REASON_VMREAD 23
#define EXIT_REASON_VMRESUME 24
#define EXIT_REASON_VMWRITE 25
#define EXIT_REASON_VMXOFF 26
#define EXIT_REASON_VMXON 27
#define EXIT_REASON_CR_ACCESS 28
#define EXIT_REASON_DR_ACCESS 29
#define EXIT_REASON_IO 30
#define EXIT_REASON_MSR_READ 31
#define EXIT_REASON_MSR_WRITE 32
#define EXIT_REASON_MWAIT 36
#define EXIT_REASON_MONITOR 39
#define EXIT_REASON_INVALID_GUEST_STATE 33
#define EXIT_REASON_EPT_VIOLATION 48
#define EXIT_REASON_EPT_MISCONFIG 49
#define EXIT_REASON_INVEPT 50
#define EXIT_REASON_PREEMPTION_TIMER 52
#define EXIT_REASON_INVVPID 53
#define EXIT_REASON_WBINVD 54
#define EXIT_REASON_XSETBV 55
#define EXIT_REASON_VMFUNC 59
#define EXIT_REASON_FAILED_ENTRY (1U << 31)

/* VM-entry interruption information (SDM 24.8.3). */
#define INTR_INFO_VALID (1U << 31)
#define INTR_INFO_DELIVER_ERROR (1U << 11)
#define INTR_TYPE_EXTERNAL (0U << 8)
#define INTR_TYPE_HW_EXCEPTION (3U << 8)
#define INTR_TYPE_MASK (7U << 8)
/* Guest interruptibility state (SDM 24.4.2): blocking by STI, MOV SS. */
#define INTERRUPTIBILITY_STI (1U << 0)
#define INTERRUPTIBILITY_MOV_SS (1U << 1)

/* Fill the current VMCS: controls (external interrupts, NMIs, HLT and all
 * port I/O exit; EPT, VPID, unrestricted guest), the host state (exits
 * land in vmx_exit, arch/x86/vmx/entry.S), and the guest state the PVH
 * boot ABI defines: 32-bit protected mode, paging off, flat 4 GiB
 * segments, TR loaded, EIP = entry.  Returns 0 or -EIO. */
int vmcs_init_pvh(paddr_t ept_root, uint16_t vpid, uint32_t entry);
/* Turn the guest state of the current VMCS (as vmcs_init_pvh left it)
 * into that of a processor after INIT and STARTUP (SDM 9.1.1, table 9-1):
 * real mode, CS = cs_sel (base cs_sel << 4), IP 0, 64 KiB segments,
 * paging and protection off (unrestricted guest).  Returns 0 or -EIO. */
int vmcs_set_real_mode(uint16_t cs_sel);
/* Write the host-state fields that differ between CPUs (GS base: the
 * per_cpu; TR base; GDTR and IDTR bases; SDM 24.5) into the current VMCS
 * for this CPU.  Needed when a VMCS moves to another CPU.  0 or -EIO. */
int vmcs_set_host_cpu(void);

/* Enter the guest whose VMCS is current with the registers in regs
 * (struct guest_regs, arch/domain.h); returns 0 at the next VM exit with
 * regs updated, or -EIO when the entry failed (VMCS_VM_INSTRUCTION_ERROR
 * says why).  arch/x86/vmx/entry.S. */
struct guest_regs;
int vmx_enter(struct guest_regs *regs, int launched);

/* VMX instructions: 0 on success, -EIO on VMfail (CF or ZF set). */
static inline int vmcs_clear(paddr_t vmcs)
{
  uint8_t fail;
  asm volatile("vmclear %1\n\tsetbe %0" : "=q"(fail) : "m"(vmcs) : "cc", "memory");
  return fail ? -EIO : 0;
}

static inline int vmcs_load(paddr_t vmcs)
{
  uint8_t fail;
  asm volatile("vmptrld %1\n\tsetbe %0" : "=q"(fail) : "m"(vmcs) : "cc", "memory");
  return fail ? -EIO : 0;
}

static inline int vmcs_write(uint64_t field, uint64_t value)
{
  bool fail; /* CF or ZF: VMfailInvalid or VMfailValid (SDM 30.2) */
  /* A flag output: callers that ignore the status pay no SETcc for it. */
  asm volatile("vmwrite %2, %1" : "=@ccbe"(fail) : "r"(field), "rm"(value));
  return fail ? -EIO : 0;
}

static inline uint64_t vmcs_read(uint64_t field)
{
  uint64_t value;
  asm volatile("vmread %1, %0" : "=rm"(value) : "r"(field) : "cc");
  return value;
}

#endif
