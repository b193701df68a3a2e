/* The two ways in.  The multiboot2 header and the 32-bit entry (_start):
 * check the CPU, build an identity map of the first 4 GiB, enter long mode
 * and call mb2_entry() in C.  GRUB enters here in 32-bit protected mode,
 * paging off, EAX = magic, EBX = physical address of the multiboot2
 * information (multiboot2 spec, section 3.3 "I386 machine state").
 * And efi_start64, which hv.efi jumps to in long mode (boot/efi/): the
 * same identity map and GDT, then efi_entry() in C. */

#include <arch/x86_bits.h>

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0

        .section .text.head, "ax"
        .code32
        .align 8
mb2_header:
        .long MB2_MAGIC
        .long MB2_ARCH_I386
        .long mb2_header_end - mb2_header
        .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        /* Information request tag (type 1), optional (flags bit 0): command
         * line (1), modules (3), memory map (6), framebuffer (8), ACPI old
         * (14) and new (15) RSDP.  No framebuffer header tag (type 5): with
         * one GRUB switches video modes, which the Bochs term display cannot
         * show; we take the screen as the firmware or GRUB left it. */
        .align 8
mb2_tag_info:
        .short 1, 1
        .long mb2_tag_info_end - mb2_tag_info
        .long 1, 3, 6, 8, 14, 15
mb2_tag_info_end:
        /* End tag. */
        .align 8
        .short 0, 0
        .long 8
mb2_header_end:

        .global _start
_start:
        cli
        cld
        mov     %eax, %ebp              /* magic, kept while .bss is zeroed */
        mov     %ebx, %esi              /* info: second argument of mb2_entry */
        rdtsc                           /* boot cost starts counting here */
        mov     %eax, boot_tsc
        mov     %edx, boot_tsc + 4
        mov     $boot_stack_top, %esp

        /* Zero .bss (the boot page tables and stacks live there) with one
         * string instruction: a loop of four instructions a word cost a
         * fifth of the boot (Bochs counts REP STOS once a word). */
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        shr     $2, %ecx
        xor     %eax, %eax
        rep stosl
        mov     %ebp, %edi              /* magic: first argument of mb2_entry */

        /* Long mode and CPUID leaf 0x80000001 are required. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        test    $(1 << 29), %edx        /* LM */
        jz      no_long_mode
        mov     %edx, %ebp              /* keep: bit 20 is NX */

        /* Identity map [0, 4 GiB) with 2 MiB pages: PML4[0] -> PDPT,
         * PDPT[0..3] -> four page directories. Present|RW (0x3), PS (0x80). */
        mov     $boot_pdpt, %eax
        or      $0x3, %eax
        mov     %eax, boot_pml4
        mov     $boot_pd, %eax
        or      $0x3, %eax
        xor     %ecx, %ecx
1:      mov     %eax, boot_pdpt(, %ecx, 8)
        add     $4096, %eax
        inc     %ecx
        cmp     $4, %ecx
        jb      1b
        mov     $0x83, %eax
        xor     %ecx, %ecx
2:      mov     %eax, boot_pd(, %ecx, 8)
        add     $0x200000, %eax
        inc     %ecx
        cmp     $2048, %ecx
        jb      2b

        mov     %cr4, %eax
        or      $X86_CR4_PAE, %eax
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $EFER_LME, %eax
        test    $(1 << 20), %ebp
        jz      3f
        or      $EFER_NXE, %eax
3:      wrmsr
        mov     %cr0, %eax
        or      $(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE), %eax
        mov     %eax, %cr0

        lgdt    boot_gdt_desc
        ljmp    $0x08, $long_mode_entry

no_long_mode:
        mov     $msg_no_lm, %esi
4:      lodsb
        test    %al, %al
        jz      5f
        mov     %al, %bl
        mov     $0x3fd, %dx             /* COM1 LSR: wait for THRE */
6:      in      %dx, %al
        test    $0x20, %al
        jz      6b
        mov     $0x3f8, %dx
        mov     %bl, %al
        out     %al, %dx
        jmp     4b
5:      hlt
        jmp     5b

        .code64
long_mode_entry:
        mov     %edi, %edi              /* zero-extend magic and info */
        mov     %esi, %esi
        mov     $mb2_entry, %eax

/* Both paths end here: our data segments, the boot stack, then the C entry
 * in RAX with its arguments in RDI and RSI.  It does not return. */
boot64_common:
        mov     $0x10, %cx
        mov     %cx, %ds
        mov     %cx, %es
        mov     %cx, %ss
        xor     %ecx, %ecx
        mov     %cx, %fs
        mov     %cx, %gs
        mov     $boot_stack_top, %rsp
        xor     %ebp, %ebp              /* ends the frame-pointer chain */
        call    *%rax
7:      cli
        hlt
        jmp     7b

/* hv.efi's jump, after ExitBootServices: long mode, interrupts off, the
 * firmware's page tables (identity, our image executable), RDI = the
 * physical address of its struct efi_handover (below 4 GiB).  The
 * firmware's tables live in memory that is about to be reused, so ours
 * (the 32-bit path's, built the same way) replace them at once. */
        .global efi_start64
efi_start64:
        cli
        cld
        mov     %rdi, %r12              /* the hand-over, kept for efi_entry */
        mov     $__bss_start, %edi      /* zero .bss */
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        shr     $3, %ecx
        xor     %eax, %eax
        rep stosq

        mov     $boot_pdpt + 0x3, %eax  /* PML4[0] -> PDPT */
        mov     %rax, boot_pml4
        mov     $boot_pd + 0x3, %eax    /* PDPT[0..3] -> four page directories */
        xor     %ecx, %ecx
1:      mov     %rax, boot_pdpt(, %rcx, 8)
        add     $4096, %rax
        inc     %ecx
        cmp     $4, %ecx
        jb      1b
        mov     $0x83, %eax             /* 2 MiB pages: Present|RW|PS */
        xor     %ecx, %ecx
2:      mov     %rax, boot_pd(, %rcx, 8)
        add     $0x200000, %rax
        inc     %ecx
        cmp     $2048, %ecx
        jb      2b

        mov     $0x80000001, %eax       /* NX as the 32-bit path sets it */
        cpuid
        test    $(1 << 20), %edx
        jz      3f
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $EFER_NXE, %eax
        wrmsr
3:      mov     %cr0, %rax
        or      $X86_CR0_WP, %eax
        mov     %rax, %cr0
        mov     $boot_pml4, %eax
        mov     %rax, %cr3

        lgdt    boot_gdt_desc64
        pushq   $0x08
        pushq   $long_mode_efi
        lretq
long_mode_efi:
        mov     %r12, %rdi
        mov     $efi_entry, %eax
        jmp     boot64_common

        .section .rodata
msg_no_lm:
        .asciz  "mica: this CPU has no long mode (x86-64); halting\r\n"

        .align 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
boot_gdt_end:
boot_gdt_desc:
        .short  boot_gdt_end - boot_gdt - 1
        .long   boot_gdt
boot_gdt_desc64:                        /* the same for LGDT in long mode */
        .short  boot_gdt_end - boot_gdt - 1
        .quad   boot_gdt

        .data
        .align 8
        .global boot_tsc
boot_tsc:
        .quad   0

        .bss
        .align 4096
        .global boot_pml4 /* the other CPUs start on these tables too */
boot_pml4:
        .skip   4096
boot_pdpt:
        .skip   4096
boot_pd:
        .skip   4 * 4096
        /* The boot stack (CPU 0's stack for good); the page below it is left
         * unmapped by the final page tables so an overflow faults. */
        .global boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
        .skip   4096
boot_stack:
        .skip   16384
boot_stack_top:
