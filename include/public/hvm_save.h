/* The saved state of an HVM/PVH domain (XEN_DOMCTL_gethvmcontext and
 * sethvmcontext): a stream of records, each a descriptor and then
 * `length` bytes, starting with a HEADER record and ending with an END
 * record (length 0).
 *
 * Written for mica from the numbers and layouts of the Xen 4.19 interface
 * (xen/include/public/hvm/save.h and arch-x86/hvm/save.h).  Only the
 * records mica reads or writes are here: HEADER, CPU (one per vcpu,
 * instance = vcpu id) and MTRR (one per vcpu).  A toolstack starting a
 * PVH guest reads the whole context, keeps its HEADER and MTRR records,
 * and writes back HEADER, CPU for vcpu 0 (the start state) and MTRR. */
#ifndef MICA_PUBLIC_HVM_SAVE_H
#define MICA_PUBLIC_HVM_SAVE_H

#include "xen.h"

struct hvm_save_descriptor {
  uint16_t typecode; /* HVM_SAVE_CODE_* */
  uint16_t instance; /* which one: the vcpu id for per-vcpu records */
  uint32_t length;   /* bytes after this descriptor */
};                   /* 8 bytes */

#define HVM_SAVE_CODE_END 0
#define HVM_SAVE_CODE_HEADER 1
#define HVM_SAVE_CODE_CPU 2
#define HVM_SAVE_CODE_MTRR 14

#define HVM_FILE_MAGIC 0x54381286
#define HVM_FILE_VERSION 1

struct hvm_save_header {
  uint32_t magic;     /* HVM_FILE_MAGIC */
  uint32_t version;   /* HVM_FILE_VERSION */
  uint64_t changeset; /* the saving hypervisor's version: informational */
  uint32_t cpuid;     /* CPUID.1:EAX of the saving machine: informational */
  uint32_t gtsc_khz;  /* the guest's TSC rate, kHz */
};                    /* 24 bytes */

/* A vcpu's register state.  Segment attributes (*_arbytes) are in Xen's
 * 12-bit form: bits 0-7 type, S, DPL, P; bits 8-11 AVL, L, D/B, G. */
#define XEN_X86_FPU_INITIALISED (1U << 0) /* flags: fpu_regs holds an FXSAVE image */

struct hvm_hw_cpu {
  uint8_t fpu_regs[512]; /* FXSAVE layout */
  uint64_t rax, rbx, rcx, rdx, rbp, rsi, rdi, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags;
  uint64_t cr0, cr2, cr3, cr4;
  uint64_t dr0, dr1, dr2, dr3, dr6, dr7;
  uint32_t cs_sel, ds_sel, es_sel, fs_sel, gs_sel, ss_sel, tr_sel, ldtr_sel;
  uint32_t cs_limit, ds_limit, es_limit, fs_limit, gs_limit, ss_limit, tr_limit, ldtr_limit;
  uint32_t idtr_limit, gdtr_limit;
  uint64_t cs_base, ds_base, es_base, fs_base, gs_base, ss_base, tr_base, ldtr_base;
  uint64_t idtr_base, gdtr_base;
  uint32_t cs_arbytes, ds_arbytes, es_arbytes, fs_arbytes, gs_arbytes, ss_arbytes;
  uint32_t tr_arbytes, ldtr_arbytes;
  uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
  uint64_t shadow_gs; /* MSR_KERNEL_GS_BASE */
  uint64_t msr_flags; /* obsolete, ignored */
  uint64_t msr_lstar, msr_star, msr_cstar, msr_syscall_mask, msr_efer, msr_tsc_aux;
  uint64_t tsc;           /* the guest's TSC */
  uint32_t pending_event; /* an event to inject: bit 31 valid, 7:0 vector, 10:8 type,
                           * 11 error code valid */
  uint32_t error_code;
  uint32_t flags; /* XEN_X86_FPU_INITIALISED */
  uint32_t pad0;
}; /* 1032 bytes */

#define HVM_MTRR_VCNT 8   /* variable ranges */
#define HVM_MTRR_FIXED 11 /* fixed-range MSRs */

struct hvm_hw_mtrr {
  uint64_t msr_pat_cr;
  uint64_t msr_mtrr_var[HVM_MTRR_VCNT * 2]; /* base, mask pairs */
  uint64_t msr_mtrr_fixed[HVM_MTRR_FIXED];  /* 0x250, 0x258, 0x259, 0x268..0x26f */
  uint64_t msr_mtrr_cap;
  uint64_t msr_mtrr_def_type;
}; /* 240 bytes */

#endif
