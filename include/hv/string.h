/* String and memory functions.  The hypervisor has its own (hv/lib/string.c);
 * host unit tests use the C library's. */
#ifndef HV_STRING_H
#define HV_STRING_H

#include <hv/types.h>
#include <stdarg.h>

#if __STDC_HOSTED__
#include <stdio.h>
#include <string.h>
#else
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
void *memchr(const void *s, int c, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __printf(3, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
#endif

/* The value of hex digit c (either case), or -1 (hv/lib/hex.c). */
int hex_digit(char c);

/* Copy at most size-1 bytes and always NUL-terminate (size > 0).
 * Returns strlen(src) so truncation can be detected. */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
