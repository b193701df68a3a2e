/* Error numbers hypercalls return (negated) to guests.
 *
 * Written for mica from the values of the Xen 4.19 interface
 * (xen/include/public/errno.h).  They are the same numbers Linux uses on
 * x86, so a Linux guest passes them straight through.  Prefixed XEN_ so
 * that they sit beside a host's <errno.h>.  Xen's header hides EINTR and
 * ERESTART from guests; they are here for the hypervisor's own use. */
#ifndef MICA_PUBLIC_ERRNO_H
#define MICA_PUBLIC_ERRNO_H

#define XEN_EPERM 1   /* not permitted */
#define XEN_ENOENT 2  /* no such entry */
#define XEN_ESRCH 3   /* no such domain / vcpu */
#define XEN_EINTR 4   /* hypervisor-internal: never returned to a guest */
#define XEN_EIO 5     /* I/O error */
#define XEN_ENXIO 6   /* no such device or address */
#define XEN_E2BIG 7   /* argument too big */
#define XEN_ENOEXEC 8 /* bad executable format */
#define XEN_EBADF 9   /* bad handle */
#define XEN_ECHILD 10
#define XEN_EAGAIN 11 /* try again */
#define XEN_EWOULDBLOCK XEN_EAGAIN
#define XEN_ENOMEM 12 /* out of memory */
#define XEN_EACCES 13 /* permission denied */
#define XEN_EFAULT 14 /* bad guest address */
#define XEN_EBUSY 16  /* busy */
#define XEN_EEXIST 17 /* already exists */
#define XEN_EXDEV 18
#define XEN_ENODEV 19 /* no such device */
#define XEN_ENOTDIR 20
#define XEN_EISDIR 21
#define XEN_EINVAL 22 /* invalid argument */
#define XEN_ENFILE 23
#define XEN_EMFILE 24
#define XEN_ENOSPC 28 /* no space (e.g. no free port) */
#define XEN_EROFS 30
#define XEN_EMLINK 31
#define XEN_EDOM 33
#define XEN_ERANGE 34 /* out of range */
#define XEN_EDEADLK 35
#define XEN_EDEADLOCK XEN_EDEADLK
#define XEN_ENAMETOOLONG 36
#define XEN_ENOLCK 37
#define XEN_ENOSYS 38 /* no such hypercall or sub-operation */
#define XEN_ENOTEMPTY 39
#define XEN_ENODATA 61
#define XEN_ETIME 62 /* timer deadline already passed */
#define XEN_EBADMSG 74
#define XEN_EOVERFLOW 75
#define XEN_EILSEQ 84
/* Hypervisor-internal ("continue this hypercall"): never returned to a guest. */
#define XEN_ERESTART 85
#define XEN_ENOTSOCK 88
#define XEN_EMSGSIZE 90
#define XEN_EOPNOTSUPP 95 /* operation not supported */
#define XEN_EADDRINUSE 98
#define XEN_EADDRNOTAVAIL 99
#define XEN_ENOBUFS 105
#define XEN_EISCONN 106
#define XEN_ENOTCONN 107
#define XEN_ETIMEDOUT 110
#define XEN_ECONNREFUSED 111

#endif
