/* Module strings: decoding and checking, the one place that reads them. */
#include <hv/bootmod.h>
#include <hv/cmdline.h>
#include <hv/errno.h>
#include <hv/printk.h>
#include <hv/string.h>

void bootmod_decode(const char *raw, char *out, size_t size)
{
  char word[BOOT_STRING_MAX];
  size_t len = 0;
  long n;

  out[0] = '\0';
  while ((n = cmdline_next_word(&raw, word, sizeof(word))) >= 0) {
    int w = snprintf(out + len, size - len, "%s%s", len ? " " : "", word);
    len += (size_t)w;
    if (len >= size) {
      out[size - 1] = '\0';
      return;
    }
  }
}

/* A decimal number in [min, max], nothing else. */
static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
  uint64_t v = 0;
  if (!*s)
    return -EINVAL;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -EINVAL;
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > max)
      return -EINVAL;
  }
  if (v < min)
    return -EINVAL;
  *out = (unsigned int)v;
  return 0;
}

static int parse_domain(const char *w, unsigned int *dom)
{
  if (!strcmp(w, "dom0")) {
    *dom = 0;
    return 0;
  }
  if (!strncmp(w, "domu", 4) && w[4] != '0')
    return parse_uint(w + 4, 1, BOOTMOD_MAX_DOMU, dom);
  return -EINVAL;
}

int bootmod_parse(unsigned int idx, const char *raw, struct bootmod *m)
{
  char word[BOOT_STRING_MAX];
  const char *p = raw;

  memset(m, 0, sizeof(*m));
  if (cmdline_next_word(&p, word, sizeof(word)) < 0 || parse_domain(word, &m->domain)) {
    pr_err("module %u: \"%s\" does not start with dom0 or domu1..domu%u", idx, word,
           BOOTMOD_MAX_DOMU);
    return -EINVAL;
  }
  if (cmdline_next_word(&p, word, sizeof(word)) < 0 ||
      (strcmp(word, "kernel") && strcmp(word, "initrd"))) {
    pr_err("module %u: kind \"%s\" is neither kernel nor initrd", idx, word);
    return -EINVAL;
  }
  m->kind = strcmp(word, "kernel") ? BOOTMOD_INITRD : BOOTMOD_KERNEL;

  long n;
  while ((n = cmdline_next_word(&p, word, sizeof(word))) >= 0) {
    if (!strcmp(word, "--")) {
      m->has_cmdline = true;
      break;
    }
    char *eq = strchr(word, '=');
    const char *val = eq ? eq + 1 : "";
    if (eq)
      *eq = '\0';
    int err = -EINVAL;
    if (m->kind == BOOTMOD_KERNEL && !strcmp(word, "mem"))
      err = parse_uint(val, 1, 1U << 20, &m->mem_mib);
    else if (m->kind == BOOTMOD_KERNEL && !strcmp(word, "vcpus"))
      err = parse_uint(val, 1, BOOTMOD_MAX_VCPUS, &m->vcpus);
    else if (m->kind == BOOTMOD_KERNEL && !strcmp(word, "weight"))
      err = parse_uint(val, 1, BOOTMOD_MAX_WEIGHT, &m->weight);
    else if (m->kind == BOOTMOD_KERNEL && !strcmp(word, "cap"))
      err = parse_uint(val, 1, BOOTMOD_MAX_CAP, &m->cap);
    else {
      pr_err("module %u: unknown key \"%s\" for a%s", idx, word,
             m->kind == BOOTMOD_KERNEL ? " kernel" : "n initrd");
      return -EINVAL;
    }
    if (err) {
      pr_err("module %u: bad value \"%s\" for %s", idx, val, word);
      return -EINVAL;
    }
  }
  if (m->has_cmdline) {
    if (m->kind != BOOTMOD_KERNEL) {
      pr_err("module %u: a command line (after --) is only for a kernel", idx);
      return -EINVAL;
    }
    bootmod_decode(p, m->cmdline, sizeof(m->cmdline));
  }
  return 0;
}
