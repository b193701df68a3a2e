/* Domains and their vcpus. */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <arch/domain.h>
#include <hv/evtchn.h>
#include <hv/timer.h>
#include <hv/types.h>
#include <public/vcpu.h>
#include <public/xen.h>

#define DOMAIN_MAX_VCPUS 32
#define DOMAIN_NAME_MAX 16

enum domain_state {
  DOMAIN_RUNNING,  /* has vcpus that may run */
  DOMAIN_SHUTDOWN, /* asked to stop (SCHEDOP_shutdown); reason says why */
  DOMAIN_CRASHED,  /* killed for a fault it caused */
  DOMAIN_DYING,    /* being destroyed (domain_destroy) while it ran */
};

struct domain;
struct foreign_table;
struct grant_table;

struct vcpu {
  unsigned int id;
  struct domain *dom;
  bool initialised;       /* has a register state to start from (Xen's is_initialised) */
  bool online;            /* started (vcpu 0 at boot; others by VCPUOP_up) */
  bool blocked;           /* waiting (HLT, SCHEDOP_block, SCHEDOP_poll) */
  bool hcall_compat;      /* the hypercall being served came from 32-bit code
                           * (hypercall_dispatch_compat; Xen's hcall_compat) */
  uint64_t vcpu_info_gpa; /* VCPUOP_register_vcpu_info; 0: in shared_info */
  /* Where the hypervisor reads and writes this vcpu's struct vcpu_info:
   * its slot in shared_info, the registered guest page, or dummy_vi (a
   * vcpu above XEN_LEGACY_MAX_VCPUS that has registered none: events for
   * it wait there, as in Xen). */
  struct vcpu_info *vi;
  struct vcpu_info dummy_vi;
  paddr_t vi_frame; /* the vcpu_info page, when the guest mapped something
                     * else over it: kept (and freed) with the domain */

  /* Events (evtchn/) */
  uint32_t virq_port[NR_VIRQS]; /* port bound to each VIRQ, 0 if none */
  uint8_t upcall_vector;        /* HVMOP_set_evtchn_upcall_vector; 0: none.
                                 * It fires through the arch's interrupt
                                 * controller (arch_vcpu_assert_upcall). */
  bool polling;                 /* in SCHEDOP_poll */
  int poll_port;                /* the one port polled, or -1 for any */
  struct timer poll_timer;      /* SCHEDOP_poll timeout */

  /* Time (hv/vtime.c) */
  struct timer singleshot_timer; /* set_timer_op, VCPUOP_set_singleshot_timer */
  struct timer periodic_timer;   /* VCPUOP_set_periodic_timer */
  uint64_t periodic_period_ns;
  uint64_t runstate_gva; /* VCPUOP_register_runstate_memory_area; 0: none */
  struct vcpu_runstate_info runstate;

  /* Scheduler (sched/) */
  unsigned int processor; /* the physical CPU whose runqueue holds it, and
                           * the only one it runs on */
  unsigned int move_to;   /* 1 + the CPU it moves to when its turn ends; 0: none */
  bool on_runq;
  bool yielded;           /* SCHEDOP_yield: let the others go first once */
  uint64_t vtime;         /* weighted run time (sched/credit.c) */
  uint64_t hard_affinity; /* CPUs it may run on (domctl setvcpuaffinity) */
  uint64_t soft_affinity; /* CPUs it prefers */
  struct vcpu *runq_next;

  uint64_t exits; /* times the guest stopped for the hypervisor */
  struct arch_vcpu arch;
};

struct domain {
  domid_t id;
  char name[DOMAIN_NAME_MAX];
  bool privileged;    /* dom0 */
  bool hwdom;         /* dom0 with devices=host: owns the machine (hv/hwdom.c) */
  uint8_t handle[16]; /* the toolstack's UUID (XEN_DOMCTL_setdomainhandle) */
  enum domain_state state;
  unsigned int shutdown_reason; /* SHUTDOWN_* of the ABI, when not running */
  unsigned int shutdown_code;   /* SCHEDOP_shutdown_code: the reason of a later shutdown */
  bool has_shutdown_code;
  uint64_t mem_bytes;       /* guest RAM */
  uint64_t ram_below_4g;    /* guest RAM [0, ram_below_4g) and the rest at 4 GiB */
  bool toolstack_built;     /* made by XEN_DOMCTL_createdomain, not at boot */
  bool creation_finished;   /* a toolstack-built domain unpaused once by its
                             * controller (Xen's creation_finished; boot-built
                             * domains count as finished by toolstack_built) */
  bool cpu_policy_said;     /* the toolstack's CPUID policy was logged */
  uint8_t tsc_mode;         /* XEN_DOMCTL_settscinfo: XEN_TSC_MODE_* */
  uint64_t paging_pool;     /* XEN_DOMCTL_set_paging_mempool_size (bytes) */
  struct e820entry *memmap; /* XENMEM_set_memory_map's map (heap); NULL: none */
  unsigned int nr_memmap;
  unsigned int nr_vcpus;
  struct vcpu *vcpus[DOMAIN_MAX_VCPUS];
  unsigned long nr_frames;  /* frames backing guest RAM */
  unsigned long max_pages;  /* frames it may have: XENMEM_maximum_reservation */
  paddr_t spare;            /* XENMEM_increase_reservation's frames, at no gfn
                             * (each holds the next's address; 0 ends) */
  unsigned long nr_spare;   /* ... and how many */
  paddr_t shared_info;      /* the domain's struct shared_info page */
  uint64_t shared_info_gfn; /* where the guest mapped it; ~0 if nowhere */
  uint64_t hvm_params[39];  /* HVM_PARAM_* values (HVM_NR_PARAMS) */
  uint8_t callback_vector;  /* HVM_PARAM_CALLBACK_IRQ of type vector; 0: none */
  bool has_32bit_shinfo;    /* shared_info and vcpu_info in the x86_32 layout
                             * (domain_latch_shinfo_size) */
  unsigned long vm_assist;  /* 1 << VMASST_TYPE_*: what vm_assist turned on */

  /* Events (evtchn/): ports in buckets of EVTCHN_BUCKET, made on demand. */
  struct evtchn *evtchn_bucket[EVTCHN_MAX_PORTS / EVTCHN_BUCKET];
  unsigned int evtchn_valid;                /* ports [0, evtchn_valid) have a bucket */
  unsigned int evtchn_max_port;             /* highest port this domain may use */
  unsigned int nr_polling;                  /* its vcpus in SCHEDOP_poll (sched/core.c) */
  const struct evtchn_port_ops *evtchn_ops; /* its event ABI (2-level) */

  /* Scheduler (sched/) */
  unsigned int pause_count;  /* domctl pause: no vcpu runs while > 0 */
  bool destroy_paused;       /* domctl destroy paused it, waiting for its
                              * vcpus to leave the other CPUs */
  uint64_t first_entry_tsc;  /* TSC at its first VM entry (0: none yet); the
                              * start of the Linux boot figure in make bench */
  bool release_pending;      /* stopped, but a vcpu was still on another
                              * CPU: what it used goes when the vcpu leaves */
  unsigned int weight;       /* share of the CPU relative to others */
  unsigned int cap;          /* percent of one CPU at most; 0: no cap */
  uint64_t cap_period_start; /* the cap's accounting period */
  uint64_t cap_used_ns;      /* CPU time used in it */
  struct grant_table *grant; /* hv/grant_table.c; NULL once the domain ended */
  /* Foreign mappings (hv/foreign.c): those it made of other domains'
   * frames (NULL: none yet), and how many of its own frames other
   * domains map now. */
  struct foreign_table *foreign;
  unsigned long nr_foreign_mapped;
  /* Console output (CONSOLEIO_write, port 0xE9, the ring) collected until
   * a newline, for the log ring's line.  The first con_shown_len bytes
   * went to the devices raw (it had the focus): they are shown again when
   * other output cut that line. */
  char con_buf[128];
  unsigned int con_len;
  unsigned int con_shown_len;
  unsigned long io_dropped;  /* port writes dropped */
  uint64_t con_tokens;       /* console_io rate limit for domUs: bytes allowed now */
  uint64_t con_refill_ns;    /* when the tokens were last topped up */
  unsigned long con_dropped; /* console bytes dropped by the rate limit */
  /* Console ring (hv/console_ring.c): domUs only. */
  paddr_t con_page;       /* the struct xencons_interface frame; 0: none */
  uint64_t con_page_gfn;  /* where the guest sees it; ~0 if nowhere */
  uint32_t con_port;      /* its event channel, whose other end is us */
  struct timer con_timer; /* comes back for output the queue had no room for */
  bool con_broken;        /* the guest's indices are impossible (warned) */
  paddr_t acpi_page;      /* its ACPI tables (hv/dombuild.c); 0: none */
  /* Hypercalls that answered -ENOSYS, each said once (hv/hypercall.c);
   * when the list is full, that is said and nothing more. */
  uint64_t enosys_reported[32];
  unsigned int enosys_reported_n;
  struct domain *next; /* all domains, by creation */
  struct arch_domain arch;
};

extern struct domain *domain_list;
/* The hardware domain stopped asking for a reboot (SHUTDOWN_reboot): the
 * machine reboots once every domain is down. */
extern bool domain_machine_reboot;

/* The domain a hypercall names: DOMID_SELF or the caller's own id gives
 * the caller; another id needs an existing domain (-ESRCH) and then a
 * privileged caller (-EPERM), in that order as in Xen.  Returns 0 and
 * sets *out. */
int domain_lookup(struct domain *caller, uint16_t id, struct domain **out);
/* The domain with this id (in any state), or NULL; no permission check. */
struct domain *domain_find(domid_t id);
/* The domain with the smallest id >= from, or NULL. */
struct domain *domain_find_from(unsigned int from);

/* A new domain with nr_vcpus vcpus and mem_bytes of RAM (not yet filled).
 * Returns NULL (after a printk) when memory runs out. */
struct domain *domain_create(domid_t id, const char *name, bool privileged, uint64_t mem_bytes,
                             unsigned int nr_vcpus);
/* Latch the layout of d's shared_info and vcpu_infos (and so of its
 * 2-level event words), 32-bit when compat, as Xen 4.19's
 * hvm_latch_shinfo_size does: from the mode of d's own vcpu when it fills
 * its hypercall page or sets HVM_PARAM_CALLBACK_IRQ (the caller checks
 * that the vcpu is d's).  Nothing is converted; the wall clock is written
 * again in the layout latched. */
void domain_latch_shinfo_size(struct domain *d, bool compat);
/* Stop the domain: it no longer runs; its memory is given back.  The
 * control domain hears of it (VIRQ_DOM_EXC), as with a crash. */
void domain_shutdown(struct domain *d, unsigned int reason);
/* v goes offline (VCPUOP_down, HLT with interrupts off); when it was the
 * last online vcpu the domain shuts down with reason poweroff, as in Xen. */
void domain_vcpu_down(struct vcpu *v);
/* The RAM frame hpa leaves d's p2m: if a vcpu_info registered there
 * still lives in it, keep the frame (freed by domain_destroy) and return
 * true; else false (the caller frees it). */
bool domain_keep_vcpu_info_frame(struct domain *d, paddr_t hpa);
/* Kill the domain for a fault it caused; prints why.  The others go on. */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
/* The scheduler took a vcpu of d off its CPU: if d stopped while that
 * vcpu ran there, and no other vcpu of d is on a CPU, what d used goes
 * back now (domain_shutdown and domain_crash defer it). */
void domain_vcpu_left_cpu(struct domain *d);
/* Stop d if it still runs, take it off the domain list and give back
 * everything it had; then tell the control domain (VIRQ_DOM_EXC).  None
 * of d's vcpus may be on a CPU (sched_domain_on_cpu), so d is not the
 * caller's own domain.  Other domains' event channels to d go back to
 * unbound and their grant mappings of d's pages are undone. */
void domain_destroy(struct domain *d);
/* "running", "crashed", "destroyed", or the shutdown reason ("poweroff",
 * "reboot", ...). */
const char *domain_exit_reason(const struct domain *d);
/* A domain's console output (hv/domain.c).  Bytes a terminal could
 * misread become '?' (console_filter).  The domain with the input focus
 * (console_focus=raw) has its bytes on the devices as it wrote them, at
 * once; every domain's output goes to the log ring line by line as
 * "(name) text", and an unfocused domain's lines go to the devices so too
 * (hv/console.c says what goes where).  putc is write of one byte. */
void domain_console_putc(struct domain *d, char c);
void domain_console_write(struct domain *d, const char *buf, size_t n);
/* If d has the focus (raw), show now what of its unfinished line the
 * devices lack: the part other output cut, then what it wrote while
 * unfocused (a prompt).  console_mux calls it when the focus comes to d. */
void domain_console_show_partial(struct domain *d);
/* d stops: its unfinished line goes to the log, and its raw line on the
 * devices is ended. */
void domain_console_end(struct domain *d);

#endif
