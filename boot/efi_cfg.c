/* The hv.cfg parser (format in include/hv/efi_cfg.h).  Pure C over a byte
 * buffer: the EFI loader links it, and so do the host unit tests.  The file
 * comes from a user, so every line is checked and every problem reported
 * with its line number; nothing is read outside [text, text + len). */
#include <hv/efi_cfg.h>
#include <hv/errno.h>
#include <hv/string.h>

struct line {
  const char *s; /* without the line end, comments and outer blanks */
  size_t len;
  unsigned int no;
};

struct parser {
  const char *text, *end, *next;
  unsigned int no;
  efi_cfg_report_fn report;
  void *ctx;
  int problems;
};

static void problem(struct parser *p, unsigned int line, const char *fmt, ...) __printf(3, 4);

static void problem(struct parser *p, unsigned int line, const char *fmt, ...)
{
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  p->problems++;
  if (p->report)
    p->report(p->ctx, line, msg);
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* The next line without its end and outer blanks (a comment line comes out
 * empty); false at the end. */
static bool next_line(struct parser *p, struct line *l)
{
  if (p->next >= p->end)
    return false;
  const char *s = p->next, *e = s;
  while (e < p->end && *e != '\n')
    e++;
  p->next = e < p->end ? e + 1 : e;
  l->no = ++p->no;
  while (s < e && (is_blank(*s) || *s == '\r'))
    s++;
  while (e > s && (is_blank(e[-1]) || e[-1] == '\r'))
    e--;
  if (s < e && *s == '#')
    e = s; /* a comment line; a '#' later in a line is text (a command line may hold one) */
  l->s = s;
  l->len = (size_t)(e - s);
  return true;
}

static void rewind_lines(struct parser *p)
{
  p->next = p->text;
  p->no = 0;
}

/* A "[name]" line: its name in name (true), or false when the line is not
 * a section header.  A malformed header is reported and gives "". */
static bool section_header(struct parser *p, const struct line *l, char *name, bool report)
{
  if (!l->len || l->s[0] != '[')
    return false;
  name[0] = '\0';
  if (l->s[l->len - 1] != ']') {
    if (report)
      problem(p, l->no, "a section header must end with ']'");
    return true;
  }
  const char *s = l->s + 1, *e = l->s + l->len - 1;
  while (s < e && is_blank(*s))
    s++;
  while (e > s && is_blank(e[-1]))
    e--;
  size_t n = (size_t)(e - s);
  if (!n || n >= EFI_CFG_NAME_MAX) {
    if (report)
      problem(p, l->no, "a section name must have 1 to %u characters", EFI_CFG_NAME_MAX - 1);
    return true;
  }
  for (size_t i = 0; i < n; i++) {
    if (is_blank(s[i]) || s[i] == '[' || s[i] == ']') {
      if (report)
        problem(p, l->no, "a section name holds no blanks or brackets");
      return true;
    }
  }
  memcpy(name, s, n);
  name[n] = '\0';
  return true;
}

/* Split "key = value" (false when there is no '='). */
static bool key_value(const struct line *l, const char **key, size_t *klen, const char **val,
                      size_t *vlen)
{
  const char *eq = memchr(l->s, '=', l->len);
  if (!eq)
    return false;
  const char *k = l->s, *ke = eq, *v = eq + 1, *ve = l->s + l->len;
  while (ke > k && is_blank(ke[-1]))
    ke--;
  while (v < ve && is_blank(*v))
    v++;
  *key = k;
  *klen = (size_t)(ke - k);
  *val = v;
  *vlen = (size_t)(ve - v);
  return true;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
  return klen == strlen(name) && !memcmp(key, name, klen);
}

/* module=PATH STRING */
static void parse_module(struct parser *p, const struct line *l, const char *v, size_t vlen,
                         struct efi_cfg *cfg)
{
  const char *ve = v + vlen, *ps, *pe, *rest;

  if (!vlen) {
    problem(p, l->no, "module= needs a file and a module string, e.g. module=vmlinux dom0 kernel");
    return;
  }
  if (*v == '"') {
    ps = v + 1;
    pe = memchr(ps, '"', (size_t)(ve - ps));
    if (!pe) {
      problem(p, l->no, "the module's file name has no closing '\"'");
      return;
    }
    rest = pe + 1;
  } else {
    ps = v;
    pe = v;
    while (pe < ve && !is_blank(*pe))
      pe++;
    rest = pe;
  }
  size_t plen = (size_t)(pe - ps);
  if (!plen) {
    problem(p, l->no, "the module's file name is empty");
    return;
  }
  if (plen >= EFI_CFG_PATH_MAX) {
    problem(p, l->no, "the module's file name is longer than %u characters", EFI_CFG_PATH_MAX - 1);
    return;
  }
  while (rest < ve && is_blank(*rest))
    rest++;
  size_t slen = (size_t)(ve - rest);
  if (slen >= BOOT_STRING_MAX) {
    problem(p, l->no, "the module string is longer than %u characters", BOOT_STRING_MAX - 1);
    return;
  }
  if (cfg->nr_mods == BOOT_MAX_MODS) {
    problem(p, l->no, "more than %u modules: this one is left out", BOOT_MAX_MODS);
    return;
  }
  struct efi_cfg_module *m = &cfg->mods[cfg->nr_mods++];
  for (size_t i = 0; i < plen; i++)
    m->path[i] = ps[i] == '/' ? '\\' : ps[i];
  m->path[plen] = '\0';
  memcpy(m->string, rest, slen);
  m->string[slen] = '\0';
  m->line = l->no;
}

/* One key=value line of the section in use. */
static void parse_key(struct parser *p, const struct line *l, struct efi_cfg *cfg)
{
  const char *k, *v;
  size_t klen, vlen;

  if (!key_value(l, &k, &klen, &v, &vlen)) {
    problem(p, l->no, "expected key=value, [section] or a comment");
    return;
  }
  if (key_is(k, klen, "options")) {
    if (cfg->has_options)
      problem(p, l->no, "options= given again: this one is used");
    if (vlen >= BOOT_CMDLINE_MAX) {
      problem(p, l->no, "options= is longer than %u characters", BOOT_CMDLINE_MAX - 1);
      return;
    }
    memcpy(cfg->options, v, vlen);
    cfg->options[vlen] = '\0';
    cfg->has_options = true;
  } else if (key_is(k, klen, "module")) {
    parse_module(p, l, v, vlen, cfg);
  } else if (key_is(k, klen, "default")) {
    problem(p, l->no, "default= belongs in [global]");
  } else {
    problem(p, l->no, "unknown key '%.*s' (options=, module= or, in [global], default=)",
            (int)MIN(klen, (size_t)40), k);
  }
}

/* Whether a [name] section exists (a fresh pass over the lines). */
static bool section_exists(struct parser *p, const char *want)
{
  struct line l;
  char name[EFI_CFG_NAME_MAX];

  rewind_lines(p);
  while (next_line(p, &l))
    if (section_header(p, &l, name, false) && !strcmp(name, want))
      return true;
  return false;
}

/* Which section to use (into want, "" for the lines above the first
 * section): want as asked for, else [global]'s default=, else the top of
 * the file when it has keys or there is no named section, else the first
 * section.  Reports the problems that do not depend on the section: bad
 * headers, [global]'s own keys.  False when the section asked for does
 * not exist. */
static bool find_section(struct parser *p, char *want)
{
  struct line l;
  char name[EFI_CFG_NAME_MAX], def[EFI_CFG_NAME_MAX] = "", first[EFI_CFG_NAME_MAX] = "";
  bool in_global = false, in_top = true, top_keys = false;

  while (next_line(p, &l)) {
    if (!l.len)
      continue;
    if (section_header(p, &l, name, true)) {
      in_top = false;
      in_global = !strcmp(name, "global");
      if (name[0] && !in_global && !first[0])
        memcpy(first, name, sizeof(first));
      continue;
    }
    if (in_top) {
      top_keys = true;
      continue;
    }
    if (!in_global)
      continue;
    const char *k, *v;
    size_t klen, vlen;
    if (!key_value(&l, &k, &klen, &v, &vlen)) {
      problem(p, l.no, "expected key=value, [section] or a comment");
    } else if (!key_is(k, klen, "default")) {
      problem(p, l.no, "[global] takes only default=, not '%.*s'", (int)MIN(klen, (size_t)40), k);
    } else if (!vlen || vlen >= EFI_CFG_NAME_MAX) {
      problem(p, l.no, "default= needs a section name of 1 to %u characters", EFI_CFG_NAME_MAX - 1);
    } else {
      memcpy(def, v, vlen);
      def[vlen] = '\0';
    }
  }
  if (want[0])
    return section_exists(p, want);
  const char *fallback = top_keys || !first[0] ? "" : first;
  if (def[0] && section_exists(p, def))
    fallback = def;
  else if (def[0])
    problem(p, 0, "default=%s names no section; using %s", def,
            fallback[0] ? fallback : "the top of the file");
  memmove(want, fallback, strlen(fallback) + 1);
  return true;
}

int efi_cfg_parse(const char *text, size_t len, const char *want, struct efi_cfg *cfg,
                  efi_cfg_report_fn report, void *ctx)
{
  struct parser p = {text, text + len, text, 0, report, ctx, 0};
  char section[EFI_CFG_NAME_MAX] = "";

  memset(cfg, 0, sizeof(*cfg));
  if (memchr(text, '\0', len)) {
    problem(&p, 0, "not a text file (it holds NUL bytes; saved as UTF-16? use ASCII or UTF-8)");
    return -EINVAL;
  }
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
    p.text = p.next = text + 3; /* a UTF-8 byte order mark */
  if (want && strlen(want) >= EFI_CFG_NAME_MAX) {
    problem(&p, 0, "the section name asked for is longer than %u characters", EFI_CFG_NAME_MAX - 1);
    return -ENOENT;
  }
  if (want)
    memcpy(section, want, strlen(want) + 1);
  if (!find_section(&p, section)) {
    problem(&p, 0, "no section [%s]", section);
    return -ENOENT;
  }
  memcpy(cfg->section, section, sizeof(section));

  /* Pass 2: the keys of the section in use ("": those above the first
   * header). */
  struct line l;
  char name[EFI_CFG_NAME_MAX];
  bool in_use = !section[0];
  rewind_lines(&p);
  while (next_line(&p, &l)) {
    if (!l.len)
      continue;
    if (section_header(&p, &l, name, false)) {
      in_use = section[0] && !strcmp(name, section);
      continue;
    }
    if (in_use)
      parse_key(&p, &l, cfg);
  }
  return p.problems;
}
