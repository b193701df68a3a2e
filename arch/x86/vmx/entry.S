/* Enter a guest; return to C on the next VM exit (the OpenBSD vmm shape:
 * the run loop stays plain C).
 *
 *   int vmx_enter(struct guest_regs *regs, int launched)
 *
 * Loads the guest's general registers from regs, VMLAUNCHes (launched == 0)
 * or VMRESUMEs, and on VM exit stores them back and returns 0.  Returns -5
 * (-EIO) if the CPU refused the entry (VMfail); the VM-instruction error
 * field says why.  struct guest_regs is rax rbx rcx rdx rsi rdi rbp r8..r15
 * (offsets 0..112). */

#define VMCS_HOST_RSP 0x6c14

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
        mov     $VMCS_HOST_RSP, %eax
        vmwrite %rsp, %rax
        test    %esi, %esi
        mov     0x08(%rdi), %rbx
        mov     0x10(%rdi), %rcx
        mov     0x18(%rdi), %rdx
        mov     0x20(%rdi), %rsi
        mov     0x30(%rdi), %rbp
        mov     0x38(%rdi), %r8
        mov     0x40(%rdi), %r9
        mov     0x48(%rdi), %r10
        mov     0x50(%rdi), %r11
        mov     0x58(%rdi), %r12
        mov     0x60(%rdi), %r13
        mov     0x68(%rdi), %r14
        mov     0x70(%rdi), %r15
        mov     0x00(%rdi), %rax
        mov     0x28(%rdi), %rdi        /* last: it held regs (flags survive movs) */
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
        mov     %rax, 0x00(%rdi)
        mov     %rbx, 0x08(%rdi)
        mov     %rcx, 0x10(%rdi)
        mov     %rdx, 0x18(%rdi)
        mov     %rsi, 0x20(%rdi)
        pop     0x28(%rdi)
        mov     %rbp, 0x30(%rdi)
        mov     %r8, 0x38(%rdi)
        mov     %r9, 0x40(%rdi)
        mov     %r10, 0x48(%rdi)
        mov     %r11, 0x50(%rdi)
        mov     %r12, 0x58(%rdi)
        mov     %r13, 0x60(%rdi)
        mov     %r14, 0x68(%rdi)
        mov     %r15, 0x70(%rdi)
        add     $8, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        xor     %eax, %eax
        ret
