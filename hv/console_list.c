/* console= device lists, decoded before any device is switched: a value
 * with one bad element changes nothing, so the devices that are on can
 * still say what was wrong. */
#include <hv/console_list.h>
#include <hv/errno.h>
#include <hv/string.h>

/* The index in names of the n-byte element at p, n_names for "none", or
 * -1 when it is empty or no name. */
static int lookup(const char *p, size_t len, const char *const names[], unsigned int n_names)
{
  if (len == 4 && !strncmp(p, "none", 4))
    return (int)n_names;
  for (unsigned int i = 0; i < n_names; i++)
    if (len && strlen(names[i]) == len && !strncmp(p, names[i], len))
      return (int)i;
  return -1;
}

int console_list_parse(const char *list, const char *const names[], unsigned int n,
                       unsigned int *devs, const char **bad, size_t *bad_len)
{
  unsigned int set = 0;
  const char *p = list;

  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    int i = lookup(p, len, names, n);
    if (i < 0) {
      if (bad) {
        *bad = p;
        *bad_len = len;
      }
      return -EINVAL;
    }
    if ((unsigned int)i < n)
      set |= 1u << i;
    if (!end)
      break;
    p = end + 1; /* a comma at the end leaves an empty element: refused */
  }
  *devs = set;
  return 0;
}
