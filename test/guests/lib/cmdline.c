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
