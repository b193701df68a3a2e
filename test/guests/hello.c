/* hello: the smallest complete PVH guest.  Prints its command line, the
 * start info it was given and the hypervisor's version, then powers off.
 * Passes if xen_version(XENVER_version) succeeds. */
#include <public/version.h>

#include "guest.h"
#include "hypercall.h"

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  char name[32];

  if (!cmdline_get(cmdline, "name", name, sizeof(name)))
    memcpy(name, "hello", sizeof("hello"));
  printf("hello from %s\n", name);
  printf("hello: cmdline '%s'\n", cmdline);
  printf("hello: start info at %p: version %u flags 0x%x modules %u memmap entries %u\n",
         (const void *)si, si->version, si->flags, si->nr_modules,
         si->version >= 1 ? si->memmap_entries : 0);

  long ver = xen_version(XENVER_version, NULL);
  if (ver < 0) {
    printf("hello: xen_version(XENVER_version) failed: %ld\n", ver);
    return 1;
  }
  printf("hello: xen version %lu.%lu\n", (unsigned long)ver >> 16, (unsigned long)ver & 0xffff);
  return 0;
}
