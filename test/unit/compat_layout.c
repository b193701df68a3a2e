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
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>
