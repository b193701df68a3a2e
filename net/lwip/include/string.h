/* <string.h> for lwIP: the hypervisor's own string functions. */
#include <hv/string.h>
