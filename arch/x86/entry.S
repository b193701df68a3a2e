/* Interrupt and exception entry: one stub per vector pushes the vector
 * (and a zero where the CPU pushes no error code), then the common path
 * saves the registers as struct cpu_regs and calls trap_dispatch(). */

/* Exceptions that push an error code (SDM vol. 3, table 6-1). */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

        .text
        .align 16
        .global trap_stubs
trap_stubs:
        vec = 0
        .rept 256
        .align 16
        .if !HAS_ERROR(vec)
        pushq   $0
        .endif
        pushq   $vec
        jmp     trap_common
        vec = vec + 1
        .endr

trap_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rdi
        cld
        call    trap_dispatch
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp               /* vector and error code */
        iretq
