/* Domains and their vcpus. */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <arch/domain.h>
#include <hv/types.h>

#define DOMAIN_MAX_VCPUS 32
#define DOMAIN_NAME_MAX 16

typedef uint16_t domid_t;

enum domain_state {
  DOMAIN_RUNNING,  /* has vcpus that may run */
  DOMAIN_SHUTDOWN, /* asked to stop (SCHEDOP_shutdown); reason says why */
  DOMAIN_CRASHED,  /* killed for a fault it caused */
};

struct domain;
struct grant_table;

struct vcpu {
  unsigned int id;
  struct domain *dom;
  bool online;          /* started (vcpu 0 at boot; others by VCPUOP_up) */
  bool blocked;         /* waiting (HLT, SCHEDOP_block) */
  uint64_t vcpu_info_gpa; /* VCPUOP_register_vcpu_info; 0: in shared_info */
  uint64_t exits;         /* times the guest stopped for the hypervisor */
  uint64_t hv_cycles;     /* clock cycles the hypervisor spent on them */
  struct vcpu *next;    /* in the scheduler's run list */
  struct arch_vcpu arch;
};

struct domain {
  domid_t id;
  char name[DOMAIN_NAME_MAX];
  bool privileged;      /* dom0 */
  enum domain_state state;
  unsigned int shutdown_reason; /* SHUTDOWN_* of the ABI, when not running */
  unsigned int shutdown_code;   /* SCHEDOP_shutdown_code: the reason of a later shutdown */
  bool has_shutdown_code;
  uint64_t mem_bytes;   /* guest RAM */
  uint64_t ram_below_4g; /* guest RAM [0, ram_below_4g) and the rest at 4 GiB */
  unsigned int nr_vcpus;
  struct vcpu *vcpus[DOMAIN_MAX_VCPUS];
  unsigned long nr_frames;  /* frames backing guest RAM */
  paddr_t shared_info;      /* the domain's struct shared_info page */
  uint64_t shared_info_gfn; /* where the guest mapped it; ~0 if nowhere */
  uint64_t hvm_params[39];  /* HVM_PARAM_* values (HVM_NR_PARAMS) */
  struct grant_table *grant; /* hv/grant_table.c; NULL once the domain ended */
  /* Console output collected until a newline (CONSOLEIO_write, port 0xE9). */
  char con_buf[128];
  unsigned int con_len;
  unsigned long io_dropped; /* port writes dropped */
  uint64_t con_tokens;      /* console_io rate limit for domUs: bytes allowed now */
  uint64_t con_refill_ns;   /* when the tokens were last topped up */
  unsigned long con_dropped; /* console bytes dropped by the rate limit */
  struct domain *next;      /* all domains, by creation */
  struct arch_domain arch;
};

extern struct domain *domain_list;

/* The domain a hypercall names: DOMID_SELF or the caller's own id gives
 * the caller; another id needs an existing domain (-ESRCH) and then a
 * privileged caller (-EPERM), in that order as in Xen.  Returns 0 and
 * sets *out. */
int domain_lookup(struct domain *caller, uint16_t id, struct domain **out);

/* A new domain with nr_vcpus vcpus and mem_bytes of RAM (not yet filled).
 * Returns NULL (after a printk) when memory runs out. */
struct domain *domain_create(domid_t id, const char *name, bool privileged,
                             uint64_t mem_bytes, unsigned int nr_vcpus);
/* Stop the domain: it no longer runs; its memory is given back. */
void domain_shutdown(struct domain *d, unsigned int reason);
/* Kill the domain for a fault it caused; prints why.  The others go on. */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
/* Give a domain's memory and structures back (it must not be running). */
void domain_destroy(struct domain *d);
/* "running", "crashed", or the shutdown reason ("poweroff", "reboot", ...). */
const char *domain_exit_reason(const struct domain *d);
/* One character of the domain's console output (line buffered, printed
 * with the domain's name in front). */
void domain_console_putc(struct domain *d, char c);

#endif
