/* PVH entry of the 32-bit test guests: they stay in the state the PVH boot
 * ABI starts them in (32-bit protected mode, paging off, flat segments;
 * Xen docs/misc/pvh.pandoc), so their pointers are guest-physical
 * addresses and their hypercalls take the ABI's x86_32 convention.  Sets
 * up a stack and calls runtime_start(start_info_paddr), cdecl. */

#include "pvh_entry.inc"

#define STACK_SIZE 16384

        PVH_ENTRY_START
        xor     %ebp, %ebp      /* ends the frame-pointer chain */
        push    %esi            /* runtime_start(start info) */
        call    runtime_start
        ud2                     /* runtime_start does not return */

        .data
        PVH_ENTRY_DATA

        .bss
        .balign 16
boot_stack:
        .skip   STACK_SIZE
boot_stack_top:
