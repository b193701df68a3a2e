/* Bits of the control registers and EFER, for C and for the assembly
 * (boot/head.S, arch/x86/smp_tramp.S) alike: in C each is an unsigned
 * 64-bit constant, so that ~BIT clears only that bit of a 64-bit value.
 * SDM vol. 3, 2.5 (CR0, CR4) and vol. 4 (MSRs). */
#ifndef ARCH_X86_BITS_H
#define ARCH_X86_BITS_H

#ifdef __ASSEMBLY__
#define X86_C(x) x
#else
#define X86_C(x) x##ULL
#endif

#define X86_CR0_PE X86_C(0x00000001) /* protected mode */
#define X86_CR0_MP X86_C(0x00000002) /* monitor coprocessor */
#define X86_CR0_EM X86_C(0x00000004) /* x87 emulation */
#define X86_CR0_TS X86_C(0x00000008) /* task switched (lazy FPU) */
#define X86_CR0_ET X86_C(0x00000010) /* extension type (reads as 1) */
#define X86_CR0_NE X86_C(0x00000020) /* native x87 errors */
#define X86_CR0_WP X86_C(0x00010000) /* write protect in ring 0 */
#define X86_CR0_AM X86_C(0x00040000) /* alignment mask */
#define X86_CR0_NW X86_C(0x20000000) /* not write-through */
#define X86_CR0_CD X86_C(0x40000000) /* cache disable */
#define X86_CR0_PG X86_C(0x80000000) /* paging */

#define X86_CR4_VME X86_C(0x00000001)        /* virtual-8086 mode extensions */
#define X86_CR4_PVI X86_C(0x00000002)        /* protected-mode virtual interrupts */
#define X86_CR4_TSD X86_C(0x00000004)        /* RDTSC at CPL 0 only */
#define X86_CR4_DE X86_C(0x00000008)         /* debugging extensions */
#define X86_CR4_PSE X86_C(0x00000010)        /* 4 MiB pages */
#define X86_CR4_PAE X86_C(0x00000020)        /* physical address extension */
#define X86_CR4_MCE X86_C(0x00000040)        /* machine-check enable */
#define X86_CR4_PGE X86_C(0x00000080)        /* global pages */
#define X86_CR4_PCE X86_C(0x00000100)        /* RDPMC at any CPL */
#define X86_CR4_OSFXSR X86_C(0x00000200)     /* FXSAVE/FXRSTOR, SSE */
#define X86_CR4_OSXMMEXCPT X86_C(0x00000400) /* SIMD exceptions */
#define X86_CR4_UMIP X86_C(0x00000800)       /* user-mode instruction prevention */
#define X86_CR4_VMXE X86_C(0x00002000)       /* VMX enable */
#define X86_CR4_FSGSBASE X86_C(0x00010000)   /* RDFSBASE and friends */
#define X86_CR4_PCIDE X86_C(0x00020000)      /* process-context identifiers */
#define X86_CR4_OSXSAVE X86_C(0x00040000)    /* XSAVE and XSETBV */
#define X86_CR4_SMEP X86_C(0x00100000)       /* supervisor-mode execution prevention */
#define X86_CR4_SMAP X86_C(0x00200000)       /* supervisor-mode access prevention */
#define X86_CR4_PKE X86_C(0x00400000)        /* protection keys */

#define MSR_EFER X86_C(0xc0000080)
#define EFER_SCE X86_C(0x00000001) /* SYSCALL enable */
#define EFER_LME X86_C(0x00000100) /* long mode enable */
#define EFER_LMA X86_C(0x00000400) /* long mode active */
#define EFER_NXE X86_C(0x00000800) /* no-execute enable */

#endif
