/* Parses the hypervisor command line into struct hv_config. */
#include <hv/cmdline.h>
#include <hv/errno.h>
#include <hv/string.h>

void cmdline_defaults(struct hv_config *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  strlcpy(cfg->console, "com1", sizeof(cfg->console));
  cfg->loglvl = LOG_INFO;
  cfg->timestamps = CONSOLE_TS_BOOT;
  cfg->focus_raw = true;
  cfg->mem_limit = 0;
  cfg->noreboot = false;
  cfg->reboot = false;
  cfg->crash = CRASH_NONE;
  net_config_defaults(&cfg->net);
}

const char *cmdline_console_default(bool screen) { return screen ? "com1,vga" : "com1"; }

const char *cmdline_console(const struct hv_config *cfg, bool screen)
{
  return cfg->console_given ? cfg->console : cmdline_console_default(screen);
}

int cmdline_parse_size(const char *s, uint64_t *out)
{
  uint64_t v = 0;
  const char *p = s;

  if (*p < '0' || *p > '9')
    return -EINVAL;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t digit = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return -EINVAL;
    v = v * 10 + digit;
  }
  unsigned int shift = 0;
  switch (*p) {
  case '\0': break;
  case 'k':
  case 'K':
    shift = 10;
    p++;
    break;
  case 'm':
  case 'M':
    shift = 20;
    p++;
    break;
  case 'g':
  case 'G':
    shift = 30;
    p++;
    break;
  default: return -EINVAL;
  }
  if (*p != '\0' || (shift && v > (UINT64_MAX >> shift)))
    return -EINVAL;
  *out = v << shift;
  return 0;
}

long cmdline_next_word(const char **p, char *out, size_t size)
{
  const char *s = *p;
  size_t len = 0;
  bool quoted = false;

  while (*s == ' ')
    s++;
  if (!*s) {
    *p = s;
    out[0] = '\0';
    return -1;
  }
  for (; *s && (quoted || *s != ' '); s++) {
    char c = *s;
    if (c == '\\' && s[1]) {
      c = *++s;
    } else if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (len + 1 < size)
      out[len] = c;
    len++;
  }
  out[MIN(len, size - 1)] = '\0';
  *p = s;
  return (long)len;
}

static int parse_loglvl(const char *v, enum log_level *out)
{
  static const char *const names[] = {"err", "warn", "info", "debug"};
  for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
    if (!strcmp(v, names[i]) || (v[0] == (char)('0' + i) && !v[1])) {
      *out = (enum log_level)i;
      return 0;
    }
  }
  return -EINVAL;
}

static int parse_crash(const char *v, enum debug_crash *out)
{
  static const char *const names[] = {"none", "ud", "pf", "gp", "de", "wx", "stack"};
  for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
    if (!strcmp(v, names[i])) {
      *out = (enum debug_crash)i;
      return 0;
    }
  }
  return -EINVAL;
}

/* console_timestamps=: Xen's names, in enum console_ts's order. */
static int parse_timestamps(const char *v, enum console_ts *out)
{
  static const char *const names[] = {"none", "date", "datems", "boot", "raw"};
  for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
    if (!strcmp(v, names[i])) {
      *out = (enum console_ts)i;
      return 0;
    }
  }
  return -EINVAL;
}

/* Apply one option; key and value are NUL-terminated (value NULL: none). */
static int apply(struct hv_config *cfg, const char *key, const char *val)
{
  if (!strcmp(key, "noreboot") || !strcmp(key, "reboot") || !strcmp(key, "console_to_ring")) {
    if (val)
      goto bad;
    *(key[0] == 'n' ? &cfg->noreboot : key[0] == 'r' ? &cfg->reboot : &cfg->to_ring) = true;
    return 0;
  }
  if (!strcmp(key, "console")) {
    if (!val || !*val || strlen(val) >= sizeof(cfg->console))
      goto bad;
    strlcpy(cfg->console, val, sizeof(cfg->console));
    cfg->console_given = true;
    return 0;
  }
  if (!strcmp(key, "loglvl")) {
    if (!val || parse_loglvl(val, &cfg->loglvl))
      goto bad;
    return 0;
  }
  if (!strcmp(key, "console_timestamps")) {
    /* The word alone means date, as in Xen (its old boolean form). */
    if (!val) {
      cfg->timestamps = CONSOLE_TS_DATE;
      return 0;
    }
    if (parse_timestamps(val, &cfg->timestamps)) {
      pr_err("cmdline: bad value for option 'console_timestamps': '%s' (none, date, datems, "
             "boot or raw); keeping %s",
             val, cfg->timestamps == CONSOLE_TS_BOOT ? "boot" : "the earlier value");
      return 1;
    }
    return 0;
  }
  if (!strcmp(key, "console_focus")) {
    if (!val || (strcmp(val, "raw") && strcmp(val, "prefixed"))) {
      pr_err("cmdline: bad value for option 'console_focus': '%s' (raw or prefixed); keeping %s",
             val ? val : "(none)", cfg->focus_raw ? "raw" : "prefixed");
      return 1;
    }
    cfg->focus_raw = val[0] == 'r';
    return 0;
  }
  if (!strcmp(key, "mem")) {
    uint64_t size;
    if (!val || cmdline_parse_size(val, &size) || size < CMDLINE_MEM_MIN)
      goto bad;
    cfg->mem_limit = size;
    return 0;
  }
  if (!strcmp(key, "crash")) {
    if (!val || parse_crash(val, &cfg->crash))
      goto bad;
    return 0;
  }
  int net = net_config_apply(&cfg->net, key, val);
  if (net < 0)
    goto bad;
  if (net == 0)
    return 0;
  pr_warn("cmdline: unknown option '%s' ignored", key);
  return 1;
bad:
  pr_err("cmdline: bad value for option '%s': '%s'", key, val ? val : "(none)");
  return 1;
}

enum log_level cmdline_early_loglvl(const char *line)
{
  enum log_level lvl = LOG_INFO;
  char word[64];
  long len;

  while ((len = cmdline_next_word(&line, word, sizeof(word))) >= 0)
    if ((size_t)len < sizeof(word) && !strncmp(word, "loglvl=", 7))
      parse_loglvl(word + 7, &lvl); /* a bad value leaves lvl alone */
  return lvl;
}

int cmdline_parse(const char *line, struct hv_config *cfg)
{
  int problems = 0;
  char word[256];
  long len;

  while ((len = cmdline_next_word(&line, word, sizeof(word))) >= 0) {
    if ((size_t)len >= sizeof(word)) {
      pr_err("cmdline: option too long (%ld bytes) ignored", len);
      problems++;
      continue;
    }
    char *eq = strchr(word, '=');
    if (eq)
      *eq = '\0';
    problems += apply(cfg, word, eq ? eq + 1 : NULL);
  }
  return problems;
}
