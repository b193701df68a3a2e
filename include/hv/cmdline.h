/* The hypervisor's command line: options and their parsed values. */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <hv/console.h>
#include <hv/net.h>
#include <hv/printk.h>

#define CMDLINE_CONSOLE_MAX 64
#define CMDLINE_MEM_MIN MiB(16)

enum debug_crash {
  CRASH_NONE,
  CRASH_UD,    /* invalid opcode, vector 6 */
  CRASH_PF,    /* page fault, vector 14 */
  CRASH_GP,    /* general protection, vector 13 */
  CRASH_DE,    /* divide error, vector 0 */
  CRASH_WX,    /* write to our own code: page fault, W^X at work */
  CRASH_STACK, /* run off the stack into its guard page: double fault */
};

struct hv_config {
  char console[CMDLINE_CONSOLE_MAX]; /* console=com1,com2,e9,vga,none */
  bool console_given;                /* console= was on the command line */
  enum log_level loglvl;             /* loglvl=err|warn|info|debug|0..3 */
  enum console_ts timestamps;        /* console_timestamps=none|date|datems|boot|raw */
  bool focus_raw;                    /* console_focus=raw|prefixed */
  bool to_ring;                      /* console_to_ring: dom0's output in the log ring */
  uint64_t mem_limit;                /* mem=SIZE[K|M|G]: RAM above is unused; 0 = all */
  bool noreboot;                     /* noreboot: stay up when the last domain ends */
  bool reboot;                       /* reboot: reboot (not power off) when it ends */
  enum debug_crash crash;            /* crash=ud|pf|gp|de|wx|stack: fault on purpose (tests) */
  struct net_config net;             /* net=, netdev=, netconsole=, netcon=... (net/) */
};

/* Defaults for every option. */
void cmdline_defaults(struct hv_config *cfg);

/* Parse a command line into cfg (which holds the defaults).  Options are
 * separated by spaces; an unknown option or a bad value is reported with
 * printk and skipped, never fatal.  Returns the number of problems. */
int cmdline_parse(const char *line, struct hv_config *cfg);

/* The loglvl= a command line asks for (LOG_INFO without one), found
 * without a word said: for a boot path whose own messages come before
 * hv_start() parses the line. */
enum log_level cmdline_early_loglvl(const char *line);

/* The console devices to use: console= as given, or without it com1 and
 * the screen when there is one (screen: the arch can draw on one). */
const char *cmdline_console(const struct hv_config *cfg, bool screen);
/* What cmdline_console gives without console=: also what a bad console=
 * value falls back to. */
const char *cmdline_console_default(bool screen);

/* Take the next word of a command line or module string as GRUB encodes
 * them (GRUB puts '\' before each '\', '\'' and '"' and double quotes
 * around a word holding a space): words are separated by unquoted spaces,
 * "\X" stands for X, an unescaped '"' only groups.  Writes the decoded word
 * to out (always NUL-terminated, size > 0) and advances *p past it.
 * Returns the decoded length, which is >= size when the word was cut, or
 * -1 when no word is left. */
long cmdline_next_word(const char **p, char *out, size_t size);

/* Parse "123", "64M", "2G", "4096K" into bytes.  Returns 0 or -EINVAL
 * (not a number, unknown suffix, overflow). */
int cmdline_parse_size(const char *s, uint64_t *out);

#endif
