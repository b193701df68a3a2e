/* The hypervisor image hv.efi carries: build/hv.elf, stripped (the Makefile
 * passes its path as HV_IMAGE).  boot/efi/efi_main.c loads its segments. */
        .section .rodata
        .balign 64
        .global hv_image, hv_image_end
hv_image:
        .incbin HV_IMAGE
hv_image_end:
        .section .note.GNU-stack, "", @progbits
