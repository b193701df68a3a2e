/* <stdlib.h> for lwIP: netif.c's netif_find() parses a number with atoi. */
#ifndef MICA_LWIP_STDLIB_H
#define MICA_LWIP_STDLIB_H
int atoi(const char *s);
#endif
