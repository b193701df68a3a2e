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
/* devices=host (dom0 owns the machine: its ACPI tables, PCI devices, I/O
 * ports and interrupts, RAM mapped 1:1) or devices=none (the default: a
 * synthetic machine with no devices). */
static int parse_devices(const char *s, bool *host)
{
  if (strcmp(s, "host") && strcmp(s, "none"))
    return -EINVAL;
  *host = !strcmp(s, "host");
  return 0;
}

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

/* An image's name: 1 to BOOTMOD_NAME_MAX - 1 of a-z 0-9 . _ - (what a
 * user types after dom0's `create`). */
static int parse_name(const char *s, char out[BOOTMOD_NAME_MAX])
{
  size_t n = strlen(s);
  if (!n || n >= BOOTMOD_NAME_MAX)
    return -EINVAL;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return -EINVAL;
  }
  memcpy(out, s, n + 1);
  return 0;
}

static const char *article(enum bootmod_kind k)
{
  return k == BOOTMOD_INITRD || k == BOOTMOD_IMAGE ? "an" : "a";
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
  static const char *const kinds[] = {[BOOTMOD_KERNEL] = "kernel",
                                      [BOOTMOD_INITRD] = "initrd",
                                      [BOOTMOD_IMAGE] = "image",
                                      [BOOTMOD_RAMDISK] = "ramdisk"};
  unsigned int k = ARRAY_SIZE(kinds);
  if (cmdline_next_word(&p, word, sizeof(word)) >= 0)
    for (k = 0; k < ARRAY_SIZE(kinds) && strcmp(word, kinds[k]); k++)
      ;
  if (k == ARRAY_SIZE(kinds)) {
    pr_err("module %u: kind \"%s\" is none of kernel, initrd, image, ramdisk", idx, word);
    return -EINVAL;
  }
  m->kind = (enum bootmod_kind)k;
  bool for_builder = m->kind == BOOTMOD_IMAGE || m->kind == BOOTMOD_RAMDISK;
  if (for_builder && m->domain != 0) {
    pr_err("module %u: %s %s is for dom0's domain builder: say dom0 %s name=NAME", idx,
           article(m->kind), word, word);
    return -EINVAL;
  }

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
    else if (m->kind == BOOTMOD_KERNEL && m->domain == 0 && !strcmp(word, "devices"))
      err = parse_devices(val, &m->devices_host);
    else if (for_builder && !strcmp(word, "name"))
      err = parse_name(val, m->name);
    else {
      pr_err("module %u: unknown key \"%s\" for %s %s", idx, word, article(m->kind),
             kinds[m->kind]);
      return -EINVAL;
    }
    if (err) {
      pr_err("module %u: bad value \"%s\" for %s", idx, val, word);
      return -EINVAL;
    }
  }
  if (for_builder && !m->name[0]) {
    pr_err("module %u: %s %s needs name=NAME", idx, article(m->kind), kinds[m->kind]);
    return -EINVAL;
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
