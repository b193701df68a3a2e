/* Looking up "key=value" words in a guest's command line. */
#include "guest.h"

int cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
  size_t klen = strlen(key);
  const char *p = cmdline;

  while (*p) {
    while (*p == ' ')
      p++;
    const char *word = p;
    while (*p && *p != ' ')
      p++;
    size_t wlen = (size_t)(p - word);

    /* "key" alone or "key=..."; "keyboard=1" is not "key". */
    if (wlen < klen || strncmp(word, key, klen) != 0)
      continue;
    if (wlen > klen && word[klen] != '=')
      continue;

    const char *v = wlen > klen ? word + klen + 1 : word + wlen;
    size_t n = (size_t)(p - v);
    if (size) {
      if (n > size - 1)
        n = size - 1;
      memcpy(val, v, n);
      val[n] = '\0';
    }
    return 1;
  }
  return 0;
}

unsigned long cmdline_num(const char *cmdline, const char *key, unsigned long def)
{
  char val[24];
  if (!cmdline_get(cmdline, key, val, sizeof(val)))
    return def;
  unsigned long n = 0;
  for (const char *p = val; *p >= '0' && *p <= '9'; p++)
    n = n * 10 + (unsigned long)(*p - '0');
  return n;
}
