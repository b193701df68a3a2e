/* console= device lists: names separated by commas ("com1,vga", "none"),
 * decoded against the arch's table of device names before anything is
 * switched (hv/console_list.c). */
#ifndef HV_CONSOLE_LIST_H
#define HV_CONSOLE_LIST_H

#include <hv/types.h>

/* Decode list into *devs: bit i for each element equal to names[i]
 * (n <= 32); "none" names no device, and a name may come twice.  Returns
 * 0, or -EINVAL when an element is empty or names no device: *devs is
 * then left alone and, when bad is not NULL, *bad and *bad_len give the
 * first such element (*bad_len 0: an empty one). */
int console_list_parse(const char *list, const char *const names[], unsigned int n,
                       unsigned int *devs, const char **bad, size_t *bad_len);

#endif
