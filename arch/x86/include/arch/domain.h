/* The x86 parts of a domain and a vcpu, embedded in struct domain and
 * struct vcpu (include/hv/domain.h). */
#ifndef ARCH_DOMAIN_H
#define ARCH_DOMAIN_H

#include <arch/vlapic.h>
#include <hv/types.h>

struct hvm_hw_cpu;

/* General registers not kept in the VMCS (arch/x86/vmx/entry.S saves and
 * loads them through asm-offsets.h).  The six argument registers of the
 * 64-bit hypercall convention come first, in the ABI's order, so that the
 * dispatcher reads them as one array and a continuation rewrites them in
 * place (hcall_args). */
struct guest_regs {
  union {
    uint64_t hcall_args[6];
    struct {
      uint64_t rdi, rsi, rdx, r10, r8, r9;
    };
  };
  uint64_t rax, rbx, rcx, rbp, r11, r12, r13, r14, r15;
};

#define P2M_CACHE_SIZE 8     /* 2 MiB leaves */
#define P2M_CACHE_4K_SIZE 16 /* 4 KiB leaves */

/* A remembered EPT leaf (ept.c): tag is the gpa's frame number at the
 * leaf's size (gpa >> 21 or gpa >> 12) plus one (0: empty). */
struct p2m_cache_entry {
  uint64_t tag;
  paddr_t hpa;
  unsigned int type; /* enum p2m_type */
};

struct arch_domain {
  uint32_t msr_reported[16]; /* MSRs it touched that we do not have, said once */
  unsigned int msr_reported_n;
  bool hole_said;           /* an access to a hole was reported (vmx/mmio.c) */
  paddr_t ept_root;         /* EPT PML4, 0 until the first mapping */
  unsigned long ept_tables; /* frames used by EPT tables */
  struct p2m_cache_entry p2m_cache[P2M_CACHE_SIZE];
  struct p2m_cache_entry p2m_cache_4k[P2M_CACHE_4K_SIZE];
  uint64_t p2m_gen; /* counts changes of the p2m (ept.c), for the walk caches */
  /* The page whose translation the last change (p2m_gen) altered, or
   * P2M_CHANGED_ALL: a walk cached one generation earlier that used
   * neither it nor its tables on it is still good (guest_walk.c). */
  uint64_t p2m_changed;
  /* The last 4 KiB leaf table used (ept.c): the one for gpa >> 21 ==
   * pt_tag - 1 (0: none).  A leaf table stays where it is until the p2m
   * is destroyed, so it is never stale. */
  uint64_t pt_tag;
  uint64_t *pt_table;
  bool flush_pending; /* an entry changed without a flush (arch_p2m_flush) */
};

#define GWALK_LEVELS 4

/* The last guest page a vcpu's guest pointers reached (guest_walk.c): the
 * walk that found it, to be checked rather than done again.  It is used
 * only while the guest's CR3, every page-table entry on the way and the
 * domain's p2m (p2m_gen) are what they were, so it can never answer
 * differently from a new walk. */
#define P2M_CHANGED_ALL (~0ULL)

struct gwalk_cache {
  uint64_t tag;                         /* (gva >> 12) + 1; 0: empty */
  uint64_t cr3;                         /* the guest's CR3 for it */
  uint64_t p2m_gen;                     /* the domain's p2m_gen for it */
  uint64_t gpa[GWALK_LEVELS + 1];       /* the guest pages it read: its tables'
                                         * and the data page */
  volatile uint64_t *pte[GWALK_LEVELS]; /* the entries the walk read (a
                                         * large page's leaf repeated) */
  uint64_t val[GWALK_LEVELS];           /* ... and what they held */
  bool writable;                        /* every level allows writes */
  paddr_t hpa;                          /* the page's host address */
  unsigned int type;                    /* its p2m type (enum p2m_type) */
};

#define MTRR_FIXED 11 /* 64K, 2 x 16K, 8 x 4K */

/* The guest MSRs a guest sets once and reads often (arch/x86/vmx/msr.c,
 * switch.c), in this order: STAR, LSTAR, CSTAR, SFMASK, TSC_AUX. */
enum {
  VMX_STICKY_STAR,
  VMX_STICKY_LSTAR,
  VMX_STICKY_CSTAR,
  VMX_STICKY_SFMASK,
  VMX_STICKY_TSC_AUX,
  VMX_NR_STICKY
};

#define VMCE_BANKS 2 /* machine-check banks a guest has (Xen's GUEST_MC_BANK_NUM) */

/* MSRs kept per vcpu (arch/x86/vmx/msr.c, switch.c, vmce.c). */
struct vmx_guest_msrs {
  uint64_t pat, mtrr_def;
  uint64_t mtrr_var[16]; /* base/mask pairs */
  uint64_t mtrr_fixed[MTRR_FIXED];
  /* SYSCALL's MSRs and TSC_AUX (VMX_STICKY_*): read directly, written
   * through an exit (msr.c), so these are always the guest's values. */
  uint64_t sticky[VMX_NR_STICKY];
  uint64_t kernel_gs_base; /* passed through (SWAPGS changes it); saved here
                            * while another vcpu has the CPU */
  uint64_t misc_features;  /* MISC_FEATURES_ENABLES: bit 0, CPUID faulting */
  /* Machine-check state of the vMCE (arch/x86/vmx/vmce.c): MCG_STATUS,
   * and each bank's STATUS, ADDR, MISC and CTL2 (Intel). */
  uint64_t mcg_status;
  struct {
    uint64_t status, addr, misc, ctl2;
  } mc_bank[VMCE_BANKS];
};

struct arch_vcpu {
  uint8_t fpu[512] __attribute__((aligned(16))); /* FXSAVE image, while not loaded */
  uint64_t cr2;   /* the page-fault address, while not loaded: the VMCS has no
                   * CR2 field (SDM 25.4.1), so it goes with the FPU (switch.c) */
  uint64_t dr[5]; /* DR0-DR3 and DR6 while not on the CPU (switch.c) */
  bool dr_loaded; /* they are on this CPU, and its MOV DRs do not exit */
  bool dr_eager;  /* its DR7 enables a breakpoint: they go on with it */
  struct vmx_guest_msrs msrs;
  paddr_t vmcs;                /* this vcpu's VMCS region */
  uint16_t vpid;               /* tags its TLB entries; never 0 (the host's) */
  bool launched;               /* VMLAUNCH done; VMRESUME from now on */
  unsigned int host_cpu;       /* the CPU whose host state the VMCS holds */
  bool intr_window;            /* interrupt-window exiting is on */
  bool start_pending;          /* a STARTUP IPI came: reset to real mode before it runs */
  uint8_t start_vector;        /* ... at CS = start_vector << 8, IP 0 */
  struct hvm_hw_cpu *load_ctx; /* sethvmcontext's state for it, applied
                                * when it next runs (context.c); heap */
  struct guest_regs regs;
  /* A 32-bit caller's hypercall arguments, zero-extended from EBX ECX EDX
   * ESI EDI (exit.c; the sixth stays 0): here rather than on the stack, so
   * the exit path reaches them through v after the handler, as the 64-bit
   * ones. */
  uint64_t hcall32_args[6];
  struct gwalk_cache gwalk; /* guest_walk.c */
  struct vlapic vlapic;     /* its emulated local APIC (arch/x86/vlapic.c) */
};

/* arch.h's interrupt query, inline because every HLT asks it: whether the
 * vcpu's local APIC holds an interrupt it would take as soon as its
 * interrupts are on. */
static inline bool arch_intr_pending(const struct arch_vcpu *a) { return a->vlapic.pending != 0; }

#endif
