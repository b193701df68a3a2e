/* hv.cfg, the configuration file hv.efi reads beside itself: its parser,
 * shared by the EFI loader (boot/efi/) and the host unit tests.
 *
 * The format (README "Booting from UEFI" documents it for users):
 *
 *   # a comment line; blank lines are ignored; CR LF line ends are fine
 *   [global]
 *   default=normal
 *   [normal]
 *   options=console=com1 loglvl=info
 *   module=vmlinux dom0 kernel mem=512 -- console=hvc0
 *   module=initrd.img dom0 initrd
 *
 * options= is the hypervisor's command line.  `module=PATH STRING`: PATH is
 * a file on hv.efi's volume, relative to hv.efi's directory unless it
 * starts with \ or / (both separators are accepted; a PATH holding spaces
 * goes in double quotes); STRING is the module string the hypervisor gets,
 * as GRUB would pass it (words apart by blanks; a word with a blank in
 * double quotes; a backslash before a " or \ that belongs to a word).
 * Only whole lines are comments: a '#' inside a value is kept.
 *
 * Which section is used: the one named in hv.efi's load options, else the
 * one [global]'s default= names, else the lines above the first [section]
 * when there are any, else the first section.
 */
#ifndef HV_EFI_CFG_H
#define HV_EFI_CFG_H

#include <hv/boot_info.h>

#define EFI_CFG_PATH_MAX 256
#define EFI_CFG_NAME_MAX 64

struct efi_cfg_module {
  char path[EFI_CFG_PATH_MAX]; /* as written, separators turned into \ */
  char string[BOOT_STRING_MAX];
  unsigned int line;
};

struct efi_cfg {
  char section[EFI_CFG_NAME_MAX]; /* the section used; "" for the top of the file */
  bool has_options;
  char options[BOOT_CMDLINE_MAX];
  unsigned int nr_mods;
  struct efi_cfg_module mods[BOOT_MAX_MODS];
};

/* Told of each problem: the line it is on (0: the file as a whole) and
 * what is wrong, as one sentence without a file name. */
typedef void (*efi_cfg_report_fn)(void *ctx, unsigned int line, const char *msg);

/* Parse the len bytes of text into cfg, taking the section named want (NULL
 * or "": the default, see above).  Every problem is reported; a bad line is
 * skipped and the rest used.  Returns the number of problems reported
 * (0: all good), or -EINVAL when the file is not text (a NUL byte, UTF-16)
 * and -ENOENT when the section wanted does not exist; cfg is then empty. */
int efi_cfg_parse(const char *text, size_t len, const char *want, struct efi_cfg *cfg,
                  efi_cfg_report_fn report, void *ctx);

#endif
