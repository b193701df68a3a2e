/* Module strings: which domain a boot module belongs to and its settings.
 *
 *   <domain> <kind> [key=value ...] [-- <guest command line>]
 *
 * <domain> is dom0 or domuN (N = 1..BOOTMOD_MAX_DOMU), <kind> is kernel,
 * initrd, image or ramdisk; kernels take mem=MIB, vcpus=N, weight=W
 * (1..65535, the scheduler's share) and cap=PERCENT (1..3200, CPU time at
 * most).  image and ramdisk are dom0's only: files for the domain builder
 * in dom0 (its `create NAME`), a guest kernel and the initrd that goes
 * with it, both named by name=NAME (1..BOOTMOD_NAME_MAX - 1 of a-z 0-9 .
 * _ -); dom0 finds them in its start info's module list, each with the
 * command line "image name=NAME" or "ramdisk name=NAME".  The string
 * arrives encoded by GRUB and is decoded with cmdline_next_word(). */
#ifndef HV_BOOTMOD_H
#define HV_BOOTMOD_H

#include <hv/boot_info.h>

#define BOOTMOD_MAX_DOMU 64
#define BOOTMOD_MAX_VCPUS 32
#define BOOTMOD_MAX_WEIGHT 65535
#define BOOTMOD_MAX_CAP 3200
#define BOOTMOD_NAME_MAX 32
#define BOOTMOD_MAX_IMAGES 16 /* images and ramdisks for dom0, together */

enum bootmod_kind {
  BOOTMOD_KERNEL,
  BOOTMOD_INITRD,
  BOOTMOD_IMAGE,   /* a kernel for dom0's builder */
  BOOTMOD_RAMDISK, /* an initrd for dom0's builder */
};

struct bootmod {
  unsigned int domain; /* 0 for dom0, N for domuN */
  enum bootmod_kind kind;
  unsigned int mem_mib;          /* 0: not given */
  unsigned int vcpus;            /* 0: not given */
  unsigned int weight;           /* scheduler weight; 0: not given (the default) */
  unsigned int cap;              /* percent of one CPU at most; 0: not given (none) */
  char name[BOOTMOD_NAME_MAX];   /* image and ramdisk: name= */
  bool devices_host;             /* dom0's kernel: devices=host, it owns the machine */
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
