/* The other CPUs' first instructions (SDM vol. 3, 9.4 "Multiple-processor
 * initialization"): a STARTUP IPI starts them in real mode at
 * SMP_TRAMP_BASE, where smp.c copies this code.  It goes to protected mode,
 * then long mode on the boot page tables (1:1 and executable, unlike the
 * final ones, which keep this low page non-executable), and jumps to
 * ap_entry(per_cpu) on the CPU's own stack.  smp.c fills in the
 * parameters at the end before each start. */

#define SMP_TRAMP_BASE 0x8000
#define T(sym) ((sym) - smp_tramp_start + SMP_TRAMP_BASE)

        .section .rodata
        .global smp_tramp_start, smp_tramp_end
        .global smp_tramp_cr3, smp_tramp_efer, smp_tramp_stack, smp_tramp_cpu, smp_tramp_entry
        .code16
smp_tramp_start:
        cli
        cld
        xorw    %ax, %ax
        movw    %ax, %ds
        lgdtl   T(tramp_gdtr)
        movl    %cr0, %eax
        orl     $1, %eax                /* PE */
        movl    %eax, %cr0
        ljmpl   $0x08, $T(tramp32)

        .code32
tramp32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    %cr4, %eax
        orl     $0x20, %eax             /* PAE */
        movl    %eax, %cr4
        movl    T(smp_tramp_cr3), %eax
        movl    %eax, %cr3
        movl    $0xc0000080, %ecx       /* EFER: LME, and NXE as on the boot CPU */
        rdmsr
        orl     T(smp_tramp_efer), %eax
        wrmsr
        movl    %cr0, %eax
        orl     $0x80010001, %eax       /* PG | WP | PE */
        movl    %eax, %cr0
        ljmp    $0x18, $T(tramp64)

        .code64
tramp64:
        movq    T(smp_tramp_stack), %rsp
        movq    T(smp_tramp_cpu), %rdi
        xorl    %ebp, %ebp              /* ends the frame-pointer chain */
        movq    T(smp_tramp_entry), %rax
        jmp     *%rax

        .align 8
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: 32-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00af9a000000ffff      /* 0x18: 64-bit code */
tramp_gdtr:
        .short  31
        .long   T(tramp_gdt)

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
