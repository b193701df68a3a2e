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
#define X86_CR0_NE X86_C(0x00000020) /* native x87 errors */
#define X86_CR0_WP X86_C(0x00010000) /* write protect in ring 0 */
#define X86_CR0_PG X86_C(0x80000000) /* paging */

#define X86_CR4_PAE X86_C(0x00000020)        /* physical address extension */
#define X86_CR4_PGE X86_C(0x00000080)        /* global pages */
#define X86_CR4_OSFXSR X86_C(0x00000200)     /* FXSAVE/FXRSTOR, SSE */
#define X86_CR4_OSXMMEXCPT X86_C(0x00000400) /* SIMD exceptions */
#define X86_CR4_VMXE X86_C(0x00002000)       /* VMX enable */

#define MSR_EFER X86_C(0xc0000080)
#define EFER_LME X86_C(0x00000100) /* long mode enable */
#define EFER_LMA X86_C(0x00000400) /* long mode active */
#define EFER_NXE X86_C(0x00000800) /* no-execute enable */

#endif
