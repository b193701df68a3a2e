/* The Xen ELF notes of a test guest, in section .note.Xen, which guest.ld
 * puts in a PT_NOTE segment.  XEN_ELFNOTE_PHYS32_ENTRY tells a PVH domain
 * builder where to enter (pvh_start in head.S).
 *
 * Written as top-level asm from C because the note type numbers come from
 * <public/xen.h>, which only C can include, and a C initialiser cannot
 * hold a symbol's address truncated to the 32 bits the note carries.
 *
 * Note layout (ELF gABI): namesz, descsz, type (4 bytes each), the name
 * "Xen\0", then desc, each padded to 4 bytes.  descsz is exact. */
#include <public/xen.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* One assembler directive per line. */
/* clang-format off */
#define XEN_NOTE(type, desc)                                                                       \
  __asm__(".pushsection .note.Xen, \"a\", @note\n"                                                 \
          "\t.balign 4\n"                                                                          \
          "\t.long 4, 2f - 1f, " STR(type) "\n"                                                    \
          "\t.asciz \"Xen\"\n"                                                                     \
          "1:\t" desc "\n"                                                                         \
          "2:\t.balign 4\n"                                                                        \
          "\t.popsection")
/* clang-format on */

/* A 32-bit physical address, like Linux's note, which builders expect. */
XEN_NOTE(XEN_ELFNOTE_PHYS32_ENTRY, ".long pvh_start");
XEN_NOTE(XEN_ELFNOTE_GUEST_OS, ".asciz \"mica-test\"");
XEN_NOTE(XEN_ELFNOTE_XEN_VERSION, ".asciz \"xen-3.0\"");
XEN_NOTE(XEN_ELFNOTE_LOADER, ".asciz \"generic\"");
