/* Module strings: which domain a boot module belongs to and its settings.
 *
 *   <domain> <kind> [key=value ...] [-- <guest command line>]
 *
 * <domain> is dom0 or domuN (N = 1..BOOTMOD_MAX_DOMU), <kind> is kernel or
 * initrd; kernels take mem=MIB, vcpus=N, weight=W (1..65535, the
 * scheduler's share) and cap=PERCENT (1..3200, CPU time at most).  The string arrives encoded by
 * GRUB and is decoded with cmdline_next_word(). */
#ifndef HV_BOOTMOD_H
#define HV_BOOTMOD_H

#include <hv/boot_info.h>

#define BOOTMOD_MAX_DOMU 64
#define BOOTMOD_MAX_VCPUS 32
#define BOOTMOD_MAX_WEIGHT 65535
#define BOOTMOD_MAX_CAP 3200

enum bootmod_kind {
  BOOTMOD_KERNEL,
  BOOTMOD_INITRD,
};

struct bootmod {
  unsigned int domain; /* 0 for dom0, N for domuN */
  enum bootmod_kind kind;
  unsigned int mem_mib;          /* 0: not given */
  unsigned int vcpus;            /* 0: not given */
  unsigned int weight;           /* scheduler weight; 0: not given (the default) */
  unsigned int cap;              /* percent of one CPU at most; 0: not given (none) */
  bool has_cmdline;              /* a "--" was present */
  char cmdline[BOOT_STRING_MAX]; /* the guest's command line, decoded */
};

/* Decode and check one module string.  Returns 0, or -EINVAL after a
 * printk naming the module (index idx) and what is wrong with it. */
int bootmod_parse(unsigned int idx, const char *raw, struct bootmod *m);

/* The decoded text of a module string, words joined by single spaces
 * (what a user wrote in grub.cfg, without GRUB's quoting).  Always
 * NUL-terminated; cut at size - 1. */
void bootmod_decode(const char *raw, char *out, size_t size);

#endif
