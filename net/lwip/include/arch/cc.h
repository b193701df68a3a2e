/* lwIP's compiler and platform port for mica: freestanding, no libc. */
#ifndef MICA_LWIP_ARCH_CC_H
#define MICA_LWIP_ARCH_CC_H

#include <hv/types.h>

/* gcc's own stddef.h and stdint.h are there (-nostdinc keeps gcc's
 * include directory); inttypes.h and ctype.h are not, and gcc's limits.h
 * wants the C library's. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1
#define INT_MAX __INT_MAX__
#define X8_F "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

/* An lwIP assertion is a broken invariant of the stack (never something a
 * peer can cause by itself): report it and stop, as panic() does for ours. */
void net_lwip_assert(const char *msg, const char *file, int line) __noreturn;
#define LWIP_PLATFORM_ASSERT(x) net_lwip_assert((x), __FILE__, __LINE__)
/* Diagnostics (only with LWIP_DEBUG): x is a parenthesised printf list. */
void net_lwip_diag(const char *fmt, ...) __printf(1, 2);
#define LWIP_PLATFORM_DIAG(x)                                                                      \
  do {                                                                                             \
    net_lwip_diag x;                                                                               \
  } while (0)

/* Initial sequence numbers, DHCP transaction ids and local ports. */
uint32_t net_rand(void);
#define LWIP_RAND() net_rand()

#endif
