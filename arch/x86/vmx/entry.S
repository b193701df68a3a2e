/* Enter a guest; return to C on the next VM exit (the OpenBSD vmm shape:
 * the run loop stays plain C).
 *
 *   int vmx_enter(struct guest_regs *regs, int launched)
 *
 * Loads the guest's general registers from regs, VMLAUNCHes (launched == 0)
 * or VMRESUMEs, and on VM exit stores them back and returns 0.  Returns -5
 * (-EIO) if the CPU refused the entry (VMfail); the VM-instruction error
 * field says why.  The offsets of struct guest_regs (arch/domain.h) and the
 * VMCS field number come from C through asm-offsets.h. */

#include <asm-offsets.h>

        .text
        .global vmx_enter, vmx_exit
vmx_enter:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdi                    /* regs: found at (%rsp) on exit */
        mov     $ASM_VMCS_HOST_RSP, %eax
        vmwrite %rsp, %rax
        test    %esi, %esi
        mov     GREGS_RBX(%rdi), %rbx
        mov     GREGS_RCX(%rdi), %rcx
        mov     GREGS_RDX(%rdi), %rdx
        mov     GREGS_RSI(%rdi), %rsi
        mov     GREGS_RBP(%rdi), %rbp
        mov     GREGS_R8(%rdi), %r8
        mov     GREGS_R9(%rdi), %r9
        mov     GREGS_R10(%rdi), %r10
        mov     GREGS_R11(%rdi), %r11
        mov     GREGS_R12(%rdi), %r12
        mov     GREGS_R13(%rdi), %r13
        mov     GREGS_R14(%rdi), %r14
        mov     GREGS_R15(%rdi), %r15
        mov     GREGS_RAX(%rdi), %rax
        mov     GREGS_RDI(%rdi), %rdi        /* last: it held regs (flags survive movs) */
        jnz     1f
        vmlaunch
        jmp     2f
1:      vmresume
2:      /* VMfail: we are still on our stack, regs pointer on top. */
        pop     %rdi
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        mov     $-5, %eax
        ret

        /* VM exit: the CPU loads HOST_RSP (regs pointer on top) and RIP. */
vmx_exit:
        push    %rdi
        mov     8(%rsp), %rdi
        mov     %rax, GREGS_RAX(%rdi)
        mov     %rbx, GREGS_RBX(%rdi)
        mov     %rcx, GREGS_RCX(%rdi)
        mov     %rdx, GREGS_RDX(%rdi)
        mov     %rsi, GREGS_RSI(%rdi)
        pop     GREGS_RDI(%rdi)
        mov     %rbp, GREGS_RBP(%rdi)
        mov     %r8, GREGS_R8(%rdi)
        mov     %r9, GREGS_R9(%rdi)
        mov     %r10, GREGS_R10(%rdi)
        mov     %r11, GREGS_R11(%rdi)
        mov     %r12, GREGS_R12(%rdi)
        mov     %r13, GREGS_R13(%rdi)
        mov     %r14, GREGS_R14(%rdi)
        mov     %r15, GREGS_R15(%rdi)
        add     $8, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        xor     %eax, %eax
        ret
