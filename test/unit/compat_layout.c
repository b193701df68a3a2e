/* The guest ABI headers, for test/unit/compat_layout.sh: compiled once for
 * x86_64 and once for i386 with every type in the debug information, so
 * the script can compare each structure's layout between a 64-bit and a
 * 32-bit guest, and the hypervisor's 32-bit layouts (hv/compat.h) with
 * the latter. */
#include <hv/compat.h>
#include <public/console.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/physdev.h>
#include <public/platform.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

/* What hv/platform_op.c touches of firmware_info, for a caller of either
 * width: type, index and the keyboard flags, at the same offsets. */
_Static_assert(offsetof(struct xen_platform_op, u) == 8, "platform_op.u");
_Static_assert(sizeof(struct xen_platform_op) == 136, "platform_op size");
_Static_assert(offsetof(struct xenpf_firmware_info, index) == 4, "firmware_info.index");
_Static_assert(offsetof(struct xenpf_firmware_info, u.kbd_shift_flags) == 8,
               "firmware_info.u.kbd_shift_flags");
