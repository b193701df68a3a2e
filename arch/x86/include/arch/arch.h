/* The arch interface: everything generic code (hv/ sched/ evtchn/ mm/) may
 * ask of the machine.  Implemented in arch/x86; host unit tests share one
 * fake of the clock, interrupts and CPU number (test/unit/fake_arch.c) and
 * fake the rest where a test needs it. */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <hv/types.h>

struct boot_fb;

/* Console devices (serial ports, the 0xE9 debug port, the screen).
 * arch_console_tx_room: how many bytes the devices accept now without
 * waiting (0 when busy).  arch_console_tx: send bytes; the caller never
 * sends more than the room it was given. */
unsigned int arch_console_tx_room(void);
void arch_console_tx(const char *s, unsigned int n);
/* Select the console devices from a `console=` value (com1, com2, e9,
 * vga, none).  Returns 0, or -EINVAL when an element is empty or names no
 * device: then nothing is switched and, when bad is not NULL, *bad and
 * *bad_len give that element (see console_list_parse). */
int arch_console_select(const char *list, const char **bad, size_t *bad_len);
/* The screen the boot path found (fb->type BOOT_FB_NONE: none).  Called
 * before arch_console_select, which may then name it ("vga"); returns
 * true when the arch can show the console there. */
bool arch_screen_init(const struct boot_fb *fb);
/* Wait until the devices have sent every byte they hold. */
void arch_console_drain(void);
/* One byte received on a console UART, or -1 when none waits. */
int arch_console_getc(void);

/* Nanoseconds since boot (0 until the clock is calibrated). */
uint64_t arch_now_ns(void);
/* The clock in the pvclock ABI's terms: arch_now_ns() is
 * ((tsc - tsc_base) << shift) * mul >> 32 (a negative shift shifts right). */
void arch_time_scale(uint64_t *tsc_base, uint32_t *mul, int8_t *shift);
/* Wall-clock time at system time 0: seconds and nanoseconds since 1970
 * (from the RTC at boot; 0 when it could not be read). */
void arch_wallclock(uint64_t *sec, uint32_t *nsec);
/* Ask for a timer interrupt at or after deadline_ns (0 cancels). */
void arch_timer_program(uint64_t deadline_ns);
/* What device interrupt handlers left to do under hv_lock (the hardware
 * domain's interrupts into its vcpus); they raise the timer flag for it
 * and timer_softirq calls this first. */
void arch_irq_work(void);

/* CPUs.  arch_cpu_id: this CPU's number (0 is the boot CPU, the others
 * follow without gaps; less than HV_MAX_CPUS).  arch_cpu_mask: the CPUs
 * that can run vcpus (online, VT-x on), bit n for CPU n.
 * arch_cpu_relax: a hint inside a spin loop.  arch_cpu_kick: an interrupt
 * to CPU cpu (not this one) whose only effect is to end its guest mode or
 * its halt, so that it looks at its flags (per_cpu(cpu)->shared.resched);
 * the flags must be set before the kick.  arch_start_cpus: every other CPU
 * in arch_cpu_mask calls fn once, then halts for good when fn returns. */
unsigned int arch_cpu_id(void);
uint64_t arch_cpu_mask(void);
void arch_cpu_relax(void);
void arch_cpu_kick(unsigned int cpu);
void arch_start_cpus(void (*fn)(void));

/* Interrupts off on this CPU; returns the previous state for
 * arch_irq_restore.  Guards data shared with interrupt handlers. */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);

/* Power control; they do not return. */
__noreturn void arch_power_off(void);
__noreturn void arch_reboot(void);
__noreturn void arch_halt_forever(void);

/* Where the crash dump and the backtrace find symbols: name of the function
 * containing addr and the offset into it, or NULL. */
const char *arch_symbol(uint64_t addr, uint64_t *offset);

struct boot_info;
struct hv_config;
struct domain;
struct vcpu;

/* Fill the 4 KiB page at page (page aligned, mapped writable) with zeros
 * (the frame allocator's scrubbing and zeroed allocations). */
void arch_zero_page(void *page);

/* Guest physical memory (EPT on x86).  arch_p2m_map maps guest-physical
 * [gpa, gpa + size) to host [hpa, hpa + size), readable, writable and
 * executable, write-back; size is 4 KiB or 2 MiB and both addresses are
 * aligned to it.  Returns 0 or -ENOMEM (no frame for a table), -EEXIST (gpa
 * already mapped), -EINVAL (bad size or alignment). */
int arch_p2m_map(struct domain *d, uint64_t gpa, paddr_t hpa, uint64_t size);
/* The host address backing gpa (with its offset), or 0 when unmapped;
 * *page_size (if not NULL) gets the size of the mapping page. */
paddr_t arch_p2m_lookup(struct domain *d, uint64_t gpa, uint64_t *page_size);
/* Point the 4 KiB page at gpa to hpa (0: unmap it) as RAM, whatever was there;
 * a 2 MiB page around it is split first.  *old gets the host page that
 * was mapped there (0 if none).  The CPU's cached translations are
 * flushed.  Returns 0, -ENOMEM or -EINVAL. */
int arch_p2m_set(struct domain *d, uint64_t gpa, paddr_t hpa, paddr_t *old);
/* What a guest-physical page holds.  The type lives in the translation
 * entry itself (EPT software bits on x86), so whoever tears a domain down
 * frees exactly the frames the domain owns and nothing it was lent. */
enum p2m_type {
  P2M_NONE,     /* nothing mapped */
  P2M_RAM,      /* the domain's own RAM: freed with the domain */
  P2M_SPECIAL,  /* a hypervisor frame given to the domain (shared_info, a
                 * grant table frame): never freed as RAM */
  P2M_GRANT_RW, /* a granted frame (another domain's, or its own) mapped
                 * by GNTTABOP_map_grant_ref, writable */
  P2M_GRANT_RO, /* the same, read-only: guest writes fault, and
                 * arch_copy_to_guest refuses to write there */
  P2M_FOREIGN,  /* another domain's frame mapped by XENMAPSPACE_gmfn_foreign
                 * (hv/foreign.c), writable: never freed as this domain's */
  P2M_MMIO,     /* the hardware domain's window on a host address that is
                 * not RAM (device memory, firmware areas), uncached: not
                 * a frame, never freed */
  P2M_DIRECT,   /* the hardware domain's window on host RAM that no
                 * allocator owns (below 1 MiB, ACPI tables), write-back:
                 * never freed */
};
/* As arch_p2m_set, with the type of the new entry (P2M_NONE unmaps; hpa
 * must then be 0) and, in *old_type if not NULL, the type of the entry it
 * replaced.  Returns 0, -ENOMEM or -EINVAL. */
int arch_p2m_set_type(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type, paddr_t *old,
                      enum p2m_type *old_type);
/* As arch_p2m_set_type, but the CPUs may keep translations through the
 * entry it replaced (a vcpu of d may still reach *old) until
 * arch_p2m_flush(d): the caller must not free or reuse *old before that.
 * The hypervisor's own lookups and guest copies see the change at once.
 * For many changes in a row, one flush for all. */
int arch_p2m_set_type_noflush(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type,
                              paddr_t *old, enum p2m_type *old_type);
/* Drop the translations of d's p2m that every CPU may cache, if an entry
 * changed since the last flush (arch_p2m_set_type_noflush); returns when
 * no CPU can use them any more. */
void arch_p2m_flush(struct domain *d);
/* As arch_p2m_lookup (host address of gpa, 0 when unmapped), with the
 * entry's type in *type (P2M_NONE when unmapped) if not NULL. */
paddr_t arch_p2m_query(struct domain *d, uint64_t gpa, uint64_t *page_size, enum p2m_type *type);
/* Each mapping of d's p2m, in address order: fn gets the guest-physical
 * and host addresses, the size (4 KiB or 2 MiB) and the type.  fn must
 * not change d's p2m. */
typedef void arch_p2m_leaf_fn(struct domain *d, uint64_t gpa, paddr_t hpa, uint64_t size,
                              enum p2m_type type, void *arg);
void arch_p2m_each(struct domain *d, arch_p2m_leaf_fn *fn, void *arg);
/* Free d's translation tables (not the frames they map). */
void arch_p2m_destroy(struct domain *d);

/* Guest pointers: copy len bytes between the hypervisor and the guest
 * virtual address gva of v (v must be the vcpu whose exit is being
 * handled), translated through the guest's own page tables (none, or
 * 4-level with 4 KiB, 2 MiB and 1 GiB pages) and then its p2m.  Returns 0,
 * or -EFAULT if any byte is unmapped, not RAM, or (for writes) read-only. */
int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len);
int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len);
/* The guest-physical address of gva of v, by the same walk and checks as
 * those copies (write: every level must allow writing), whatever is
 * behind it in the p2m.  Returns 0, or -EFAULT. */
int arch_guest_translate(struct vcpu *v, uint64_t gva, bool write, uint64_t *gpa);

/* vcpus: the arch state of a new vcpu that needs no hardware (on x86 its
 * emulated local APIC, at power-on); called once, before anything else
 * of v, and undone by arch_vcpu_destroy. */
void arch_vcpu_create(struct vcpu *v);
/* Interrupts of a vcpu's own interrupt controller (x86: the emulated
 * LAPIC).  arch_vcpu_assert_upcall: v's per-vcpu upcall vector
 * (v->upcall_vector, HVMOP_set_evtchn_upcall_vector) fires, as Xen's
 * hvm_assert_evtchn_irq: an IRR bit the guest acknowledges with an EOI.
 * Whether an interrupt waits that v would take as soon as its interrupts
 * are on (so HLT or SCHEDOP_block must not sleep) is
 * arch_intr_pending(&v->arch), an inline in arch/domain.h. */
void arch_vcpu_assert_upcall(struct vcpu *v);
/* vcpus: set up the hardware state of v to start at the PVH entry point
 * (32-bit protected mode, paging off, EBX = start_info).  Returns 0 or
 * -ENOMEM / -EIO. */
int arch_vcpu_init(struct vcpu *v, uint32_t entry, uint32_t start_info);
/* Free v's hardware state and stop its arch timers.  v must not be
 * running on another CPU (if it is this CPU's current vcpu, its state
 * leaves this CPU first). */
void arch_vcpu_destroy(struct vcpu *v);
/* This CPU will run no vcpu for a while (idle, or leaving the scheduler):
 * the state of the vcpu it ran last leaves it (VMCLEAR), so that any CPU
 * may run or free that vcpu next.  The scheduler calls it before it lets
 * go of hv_lock other than to enter a guest. */
void arch_vcpu_park(void);
/* Run v on this CPU until something needs the scheduler (it blocked, its
 * domain ended, or it has run a timeslice); handles the VM exits in
 * between.  Called and returns with hv_lock held; drops it while in the
 * guest.  v may have run on another CPU before (its state moves here). */
void arch_vcpu_run(struct vcpu *v);

/* Early set-up before anything else: descriptor tables and exception
 * handlers, so a fault in the rest of boot gives a crash dump. */
void arch_early_init(void);
/* Build the hypervisor's page tables (W^X) once frames can be allocated. */
void arch_paging_init(const struct boot_info *bi);
/* Platform: ACPI tables, the local APIC, clock and timer calibration;
 * interrupts are on afterwards. */
void arch_platform_init(const struct boot_info *bi);
/* Physical range of the hypervisor image. */
void arch_image_range(paddr_t *start, paddr_t *end);
/* Clock ticks (TSC) since the first instruction of the hypervisor; under
 * Bochs with `clock: sync=none` these are emulated instructions. */
uint64_t arch_cycles_since_boot(void);
/* The clock tick counter itself (the TSC), for console_timestamps=raw. */
uint64_t arch_cycles(void);
/* The machine as sysctl physinfo reports it. */
struct arch_physinfo {
  unsigned int nr_cpus;          /* CPUs online */
  unsigned int max_cpu_id;       /* highest CPU number there could be */
  unsigned int threads_per_core; /* online siblings of the boot CPU's core */
  unsigned int cores_per_socket; /* online cores in the boot CPU's package */
  uint32_t cpu_khz;              /* the calibrated TSC rate */
  bool hvm;                      /* guests can run (VT-x with EPT is on) */
  uint32_t hw_cap[8];            /* CPUID feature words, Xen's first eight */
};
void arch_physinfo(struct arch_physinfo *pi);
/* A physical CPU as platform_op's get_cpuinfo and get_cpu_version report
 * it.  The hypervisor numbers only the CPUs that came up (0 the boot CPU,
 * the others without gaps), so every CPU with a number is present and
 * online.  arch_pcpu_info fills *p for CPU cpu and returns true, or
 * returns false when no CPU has that number; arch_pcpu_last is the
 * highest number a CPU has. */
struct arch_pcpu {
  uint32_t apic_id;
  uint32_t acpi_id; /* the ACPI processor UID the MADT gives it; ~0U if none */
  uint32_t core;    /* its core's number in its package (APIC id fields) */
  uint32_t socket;  /* its package's number */
  bool online;
  char vendor[12]; /* CPUID leaf 0: EBX, EDX, ECX */
  uint32_t family; /* CPUID leaf 1, with the extended family and model */
  uint32_t model;
  uint32_t stepping;
};
bool arch_pcpu_info(unsigned int cpu, struct arch_pcpu *p);
/* The CPUID policy for a Xen toolstack (arch/x86/cpu_policy.c): sysctl
 * get_cpu_featureset and get_cpu_policy fill the caller's buffers (v is
 * the caller) and the counts in *fs / *p; domctl set_cpu_policy checks
 * the toolstack's policy for d as Xen does (the guest keeps mica's CPUID
 * view).  0 or a Xen errno (-ENOBUFS: the buffer was too small, with
 * what fits written; -ERANGE/-EINVAL with err_* set). */
struct xen_sysctl_cpu_featureset;
struct xen_sysctl_cpu_policy;
struct xen_domctl_cpu_policy;
long arch_cpu_featureset(struct vcpu *v, struct xen_sysctl_cpu_featureset *fs);
long arch_cpu_policy_get(struct vcpu *v, struct xen_sysctl_cpu_policy *p);
long arch_cpu_policy_set(struct vcpu *v, struct domain *d, struct xen_domctl_cpu_policy *s);
unsigned int arch_pcpu_last(void);
/* Width of a guest's physical address space (the CPU's, at most what a
 * 4-level EPT maps). */
unsigned int arch_guest_paddr_bits(void);

/* Wait for an interrupt (idle). */
void arch_idle(void);
/* Fault on purpose (crash= option, for the tests); does not return. */
void debug_crash(int kind);

#endif
