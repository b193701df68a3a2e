/* The other CPUs' first instructions (SDM vol. 3, 9.4 "Multiple-processor
 * initialization"): a STARTUP IPI starts them in real mode at the page
 * below 1 MiB where smp.c copies this code.  It goes to protected mode,
 * then long mode on the boot page tables (1:1 and executable, unlike the
 * final ones, which keep this low page non-executable), and jumps to
 * ap_entry(per_cpu) on the CPU's own stack.  smp.c fills in the
 * parameters at the end before each start. */

#include <arch/x86_bits.h>

/* Offsets from the start: the copy may sit at any page below 1 MiB, so
 * nothing here uses an absolute address.  Real mode runs with CS = base/16
 * (the STARTUP vector), protected and long mode with EBX = base; the two
 * far jumps go through pointers smp.c fills in (smp_tramp_far32/64). */
#define O(sym) ((sym) - smp_tramp_start)

        .section .rodata
        .global smp_tramp_start, smp_tramp_end, smp_tramp_gdt_base
        .global smp_tramp_far32, smp_tramp_far64
        .global smp_tramp_cr3, smp_tramp_efer, smp_tramp_stack, smp_tramp_cpu, smp_tramp_entry
        .code16
smp_tramp_start:
        cli
        cld
        movw    %cs, %ax
        movw    %ax, %ds
        xorl    %ebx, %ebx
        movw    %ax, %bx
        shll    $4, %ebx                /* EBX = the trampoline's base */
        lgdtl   O(tramp_gdtr)
        movl    %cr0, %eax
        orl     $X86_CR0_PE, %eax
        movl    %eax, %cr0
        ljmpl   *O(smp_tramp_far32)

        .code32
tramp32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    %cr4, %eax
        orl     $X86_CR4_PAE, %eax
        movl    %eax, %cr4
        movl    O(smp_tramp_cr3)(%ebx), %eax
        movl    %eax, %cr3
        movl    $MSR_EFER, %ecx         /* LME, and NXE as on the boot CPU */
        rdmsr
        orl     O(smp_tramp_efer)(%ebx), %eax
        wrmsr
        movl    %cr0, %eax
        orl     $(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE), %eax
        movl    %eax, %cr0
        ljmp    *O(smp_tramp_far64)(%ebx)

        .code64
tramp64:
        movl    %ebx, %ebx              /* the upper half is undefined after the switch */
        movq    O(smp_tramp_stack)(%rbx), %rsp
        movq    O(smp_tramp_cpu)(%rbx), %rdi
        xorl    %ebp, %ebp              /* ends the frame-pointer chain */
        movq    O(smp_tramp_entry)(%rbx), %rax
        jmp     *%rax

        .align 8
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: 32-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00af9a000000ffff      /* 0x18: 64-bit code */
tramp_gdtr:
        .short  31
smp_tramp_gdt_base:                     /* base + O(tramp_gdt) */
        .long   O(tramp_gdt)

        .align 8
smp_tramp_far32:                        /* base + O(tramp32), selector 0x08 */
        .long   O(tramp32)
        .short  0x08
        .align 8
smp_tramp_far64:                        /* base + O(tramp64), selector 0x18 */
        .long   O(tramp64)
        .short  0x18
        .align 8
smp_tramp_cr3:
        .long   0
smp_tramp_efer:
        .long   0
smp_tramp_stack:
        .quad   0
smp_tramp_cpu:
        .quad   0
smp_tramp_entry:
        .quad   0
smp_tramp_end:
