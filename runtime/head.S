/* PVH entry of the test guests: from the 32-bit start state of the PVH boot
 * ABI to 64-bit C.  Builds an identity map of the first 4 GiB, enters long
 * mode and calls runtime_start(start_info_paddr).
 *
 * Entry state (PVH boot ABI, Xen docs/misc/pvh.pandoc): 32-bit protected
 * mode, paging off, CS flat 32-bit code, DS/ES/SS flat data, EFLAGS.IF = 0,
 * EBX = guest-physical address of struct hvm_start_info; every other
 * register, the GDT and the IDT are undefined.  The Xen note naming this
 * entry is in notes.c (its type number comes from a C-only header); the
 * first steps, shared with head32.S, are in pvh_entry.inc. */

#include "pvh_entry.inc"

#define X86_CR0_PG 0x80000000
#define X86_CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define EFER_NXE 0x00000800
#define CPUID_EXT_LM (1 << 29)  /* CPUID 0x80000001 EDX */
#define CPUID_EXT_NX (1 << 20)

#define SEL_CODE64 0x08
#define SEL_DATA 0x10

#define PTE_PRESENT_RW 0x003
#define PTE_PS 0x080            /* a 2 MiB page in a page directory */
#define STACK_SIZE 16384

        PVH_ENTRY_START

        /* Long mode is required; without it there is no way to report, so
         * triple fault and let the hypervisor crash the domain. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        test    $CPUID_EXT_LM, %edx
        jz      no_long_mode
        mov     %edx, %ebp      /* keep the NX bit for EFER below */

        /* Identity map [0, 4 GiB) with 2 MiB pages: PML4[0] -> PDPT,
         * PDPT[0..3] -> four page directories.  4 GiB rather than 1 so
         * that anything EBX can point at (start info, cmdline, modules,
         * all placed below 4 GiB) is reachable without more mappings. */
        mov     $boot_pdpt + PTE_PRESENT_RW, %eax
        mov     %eax, boot_pml4
        mov     $boot_pd + PTE_PRESENT_RW, %eax
        xor     %ecx, %ecx
2:      mov     %eax, boot_pdpt(, %ecx, 8)
        add     $4096, %eax
        inc     %ecx
        cmp     $4, %ecx
        jb      2b
        /* PD entry i maps i * 2 MiB; the high dwords stay 0 from the bss
         * clear (the physical addresses are below 4 GiB). */
        mov     $PTE_PRESENT_RW + PTE_PS, %eax
        xor     %ecx, %ecx
3:      mov     %eax, boot_pd(, %ecx, 8)
        add     $0x200000, %eax
        inc     %ecx
        cmp     $2048, %ecx
        jb      3b

        /* SDM vol. 3 10.8.5 "Initializing IA-32e Mode": PAE, CR3, EFER.LME,
         * then CR0.PG; a far jump to a 64-bit code segment leaves
         * compatibility mode. */
        lgdt    boot_gdt_desc
        mov     %cr4, %eax
        or      $X86_CR4_PAE, %eax
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        mov     $MSR_EFER, %ecx
        rdmsr
        or      $EFER_LME, %eax
        test    $CPUID_EXT_NX, %ebp
        jz      4f
        or      $EFER_NXE, %eax
4:      wrmsr
        mov     %cr0, %eax
        or      $X86_CR0_PG, %eax
        mov     %eax, %cr0
        ljmp    $SEL_CODE64, $start64

no_long_mode:
        lidt    null_idt_desc   /* no IDT: ud2 -> #UD -> #DF -> triple fault */
        ud2

        .code64
start64:
        mov     $SEL_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
        mov     $boot_stack_top, %rsp
        xor     %ebp, %ebp      /* ends the frame-pointer chain */
        mov     %esi, %edi      /* runtime_start(start info), zero-extended */
        call    runtime_start
        ud2                     /* runtime_start does not return */

        /* Descriptors in .data: loading a segment register sets the
         * accessed bit in its descriptor, so the CPU may write here.  The
         * bit is preset (0x9b, 0x93) so it never needs to. */
        .data
        .balign 8
boot_gdt:
        .quad   0
        .quad   0x00af9b000000ffff      /* 0x08: 64-bit code, DPL 0 */
        .quad   0x00cf93000000ffff      /* 0x10: flat data, DPL 0 */
boot_gdt_end:
boot_gdt_desc:
        .short  boot_gdt_end - boot_gdt - 1
        .quad   boot_gdt
null_idt_desc:
        .short  0
        .quad   0

        PVH_ENTRY_DATA

        .bss
        .balign 4096
        .global boot_pml4
boot_pml4:
        .skip   4096
boot_pdpt:
        .skip   4096
boot_pd:
        .skip   4 * 4096
        .balign 16
boot_stack:
        .skip   STACK_SIZE
boot_stack_top:
