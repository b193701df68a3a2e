/* Exception entry stubs for vectors 0..31.  Each stub makes the stack look
 * the same (a zero error code where the CPU pushes none, then the vector)
 * and jumps to trap_common, which hands that frame to trap_handler() in
 * trap.c.  Handlers never return: any exception ends the test guest,
 * except a #GP that trap_fixup expects (the *_safe MSR accessors).
 * Interrupt stubs for vectors 32..255 follow. */

/* Vectors for which the CPU pushes an error code (SDM vol. 3 table 6-1):
 * #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29,
 * #SX 30. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                           (v) == 21 || (v) == 29 || (v) == 30)

        .macro TRAP_STUB vec
        .balign 16
trap_stub_\vec:
        .if HAS_ERROR_CODE(\vec) == 0
        pushq   $0
        .endif
        pushq   $\vec
        jmp     trap_common
        .endm

        .text
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        TRAP_STUB \v
        .endr

/* Stack on arrival: vector, error code, then the CPU's RIP, CS, RFLAGS,
 * RSP, SS: struct trap_frame in trap.c.  The CPU aligned RSP to 16
 * before its 40-byte frame, so it is 8 off now.  trap_fixup may move RIP
 * to a fault exit and return 1: then the exception is done (the code it
 * interrupted expects no caller-saved register to survive). */
trap_common:
        mov     %rsp, %rdi
        sub     $8, %rsp
        call    trap_fixup
        add     $8, %rsp
        test    %eax, %eax
        jz      1f
        add     $16, %rsp       /* vector and error code */
        iretq
1:      mov     %rsp, %rdi
        and     $-16, %rsp      /* the C ABI wants a 16-byte aligned call */
        call    trap_handler
        ud2

/* Interrupt vectors 32..255: stub n (16 bytes each, from irq_stubs)
 * saves RDI, puts n there and jumps to irq_common, which saves the rest
 * of what a C call may change, calls irq_dispatch(n) and returns to the
 * interrupted code.  The CPU aligned RSP to 16 before its 40-byte frame;
 * nine registers make the call 16-byte aligned. */
        .balign 16
        .global irq_stubs
irq_stubs:
        .set    vec, 32
        .rept   224
        .balign 16
        push    %rdi
        mov     $vec, %edi
        jmp     irq_common
        .set    vec, vec + 1
        .endr

irq_common:
        push    %rax
        push    %rcx
        push    %rdx
        push    %rsi
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        call    irq_dispatch
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rax
        pop     %rdi
        iretq

        .section .rodata
        .balign 8
        .global trap_stubs
trap_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   trap_stub_\v
        .endr
