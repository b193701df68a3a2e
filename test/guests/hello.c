/* hello: the smallest complete PVH guest.  Prints its command line, the
 * start info it was given and the hypervisor's version, then powers off.
 * Passes if xen_version(XENVER_version) succeeds.  "flood=N" first writes
 * N lines of 64 bytes as fast as it can (the console rate limit's test). */
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

  char flood[16];
  if (cmdline_get(cmdline, "flood", flood, sizeof(flood))) {
    unsigned long lines = 0;
    for (const char *p = flood; *p >= '0' && *p <= '9'; p++)
      lines = lines * 10 + (unsigned long)(*p - '0');
    for (unsigned long i = 0; i < lines; i++)
      printf("flood %06lu: the quick brown fox jumps over the lazy dog\n", i);
    printf("hello: flood of %lu lines done\n", lines);
  }

  long ver = xen_version(XENVER_version, NULL);
  if (ver < 0) {
    printf("hello: xen_version(XENVER_version) failed: %ld\n", ver);
    return 1;
  }
  printf("hello: xen version %lu.%lu\n", (unsigned long)ver >> 16, (unsigned long)ver & 0xffff);
  return 0;
}
