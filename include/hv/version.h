/* Version strings. */
#ifndef HV_VERSION_H
#define HV_VERSION_H

#define MICA_VERSION "0.1"
#define MICA_XEN_INTERFACE "4.19"

#endif
