/* Domains: creation, shutdown, crash and destruction.  A fault a guest
 * causes ends that domain only. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/foreign.h>
#include <hv/frame.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/heap.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <hv/vtime.h>
#include <hv/wallclock.h>
#include <public/sched.h>
#include <public/xen.h>

struct domain *domain_list;

static const char *reason_name(unsigned int reason)
{
  static const char *const names[] = {"poweroff", "reboot",   "suspend",
                                      "crash",    "watchdog", "soft_reset"};
  return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}

struct domain *domain_create(domid_t id, const char *name, bool privileged, uint64_t mem_bytes,
                             unsigned int nr_vcpus)
{
  if (!nr_vcpus || nr_vcpus > DOMAIN_MAX_VCPUS) {
    pr_err("%s: %u vcpus: a domain has 1 to %u", name, nr_vcpus, DOMAIN_MAX_VCPUS);
    return NULL;
  }
  struct domain *d = heap_zalloc(sizeof(*d));
  if (!d)
    goto nomem;
  d->id = id;
  strlcpy(d->name, name, sizeof(d->name));
  d->privileged = privileged;
  d->state = DOMAIN_RUNNING;
  d->mem_bytes = mem_bytes;
  d->max_pages = mem_bytes >> PAGE_SHIFT; /* Xen's toolstack: maxmem = memory */
  d->nr_vcpus = nr_vcpus;
  d->shared_info_gfn = ~0ULL;
  d->weight = privileged ? SCHED_DOM0_WEIGHT : SCHED_DEFAULT_WEIGHT;
  d->shared_info = frame_alloc_zeroed();
  if (!d->shared_info || gnttab_init(d))
    goto nomem;
  struct shared_info *si = phys_to_virt(d->shared_info);
  for (unsigned int i = 0; i < nr_vcpus; i++) {
    struct vcpu *v = heap_zalloc(sizeof(*v));
    if (!v)
      goto nomem;
    v->id = i;
    v->dom = d;
    /* Past the legacy slots a vcpu has no vcpu_info until it registers
     * one; events for it collect in a private one meanwhile. */
    v->vi = i < XEN_LEGACY_MAX_VCPUS ? &si->vcpu_info[i] : &v->dummy_vi;
    d->vcpus[i] = v;
    sched_vcpu_init(v);
    vtime_vcpu_init(v);
    arch_vcpu_create(v);
  }
  if (evtchn_domain_init(d))
    goto nomem;
  wallclock_write(d);
  struct domain **p = &domain_list;
  while (*p)
    p = &(*p)->next;
  *p = d;
  return d;

nomem:
  pr_err("%s: out of memory for the domain's structures", name);
  if (d) {
    for (unsigned int i = 0; i < nr_vcpus; i++)
      heap_free(d->vcpus[i]);
    evtchn_domain_destroy(d);
    if (d->shared_info)
      frame_free(d->shared_info);
    gnttab_release(d);
    heap_free(d);
  }
  return NULL;
}

/* VIRQ_DOM_EXC to the control domain: some domain shut down, crashed or
 * was destroyed (Xen sends it to the hardware domain unless
 * XEN_DOMCTL_set_virq_handler chose another). */
static void notify_controller(void)
{
  for (struct domain *c = domain_list; c; c = c->next)
    if (c->privileged)
      evtchn_send_global_virq(c, VIRQ_DOM_EXC);
}

/* What a stopped domain used goes back to the allocator.  None of its
 * vcpus may be on another CPU: a guest still running there would use the
 * memory and the VMCS freed here. */
static void domain_release(struct domain *d)
{
  static const char *const how[] = {
      [DOMAIN_SHUTDOWN] = "shut down", [DOMAIN_CRASHED] = "crashed", [DOMAIN_DYING] = "destroyed"};
  d->release_pending = false;
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    vtime_vcpu_stop(d->vcpus[i]);
    arch_vcpu_destroy(d->vcpus[i]);
  }
  evtchn_domain_destroy(d); /* peers' ports go back to unbound */
  /* vcpu_info may live in guest RAM about to be freed: point it at the
   * private copy so nothing writes into freed frames. */
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    d->vcpus[i]->vi = &d->vcpus[i]->dummy_vi;
  /* Foreign and grant mappings first: grant mappings put back the RAM
   * pages they covered, and no other domain may keep a window on frames
   * about to be freed (its grant frames among them). */
  foreign_release(d);
  gnttab_release(d);
  /* Its RAM and the spare frames increase_reservation gave it: what
   * XENMEM_current_reservation said it held. */
  unsigned long frames = d->nr_frames + d->nr_spare;
  guestmem_release(d);
  pr_info("%s: %s (%lu frames given back)", d->name, how[d->state], frames);
  unsigned long left = d->nr_frames + d->nr_spare;
  if (left)
    pr_err("%s: %lu RAM frames not given back", d->name, left);
}

/* The domain stops running; what it used goes back to the allocator, now
 * or, if one of its vcpus is on another CPU, once that vcpu has left it
 * (domain_vcpu_left_cpu).  Returns false if it had stopped already. */
bool domain_machine_reboot;

static bool domain_stop(struct domain *d, enum domain_state state, unsigned int reason);

/* The hardware domain stopped: the machine goes down with it, as with
 * Xen (hwdom_shutdown), the others first, one by one, each console's last
 * output printed (domain_stop); then a reboot if that is what dom0 asked. */
static void machine_down(struct domain *hw)
{
  domain_machine_reboot = hw->shutdown_reason == SHUTDOWN_reboot;
  for (struct domain *o = domain_list; o; o = o->next) {
    if (o == hw || o->state != DOMAIN_RUNNING)
      continue;
    pr_info("%s: stopped: the machine goes down with %s (%s)", o->name, hw->name,
            domain_exit_reason(hw));
    domain_stop(o, DOMAIN_SHUTDOWN, SHUTDOWN_poweroff);
  }
}

static bool domain_stop(struct domain *d, enum domain_state state, unsigned int reason)
{
  if (d->state != DOMAIN_RUNNING)
    return false;
  console_ring_stop(d);  /* what it wrote before it stopped is printed */
  domain_console_end(d); /* a partial last line ends */
  d->state = state;
  /* A SCHEDOP_shutdown_code latched earlier replaces the reason (Xen's
   * domain_shutdown). */
  d->shutdown_reason = d->has_shutdown_code ? d->shutdown_code : reason;
  sched_domain_stopped(d); /* vcpus on other CPUs are asked to leave */
  if (sched_domain_on_cpu(d))
    d->release_pending = true;
  else
    domain_release(d);
  if (d->hwdom)
    machine_down(d);
  return true;
}

void domain_latch_shinfo_size(struct domain *d, bool compat)
{
  d->has_32bit_shinfo = compat;
  /* The event words take the width too; a domain starts with the 64-bit
   * set (evtchn_domain_init).  Nothing else offers another ABI. */
  d->evtchn_ops = compat ? &evtchn_port_ops_2l_32 : &evtchn_port_ops_2l;
  wallclock_write(d);
}

void domain_vcpu_left_cpu(struct domain *d)
{
  if (d->release_pending && !sched_domain_on_cpu(d))
    domain_release(d);
}

bool domain_keep_vcpu_info_frame(struct domain *d, paddr_t hpa)
{
  bool kept = false;
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    struct vcpu *t = d->vcpus[i];
    if (t->vcpu_info_gpa && (uintptr_t)t->vi - (uintptr_t)phys_to_virt(hpa) < PAGE_SIZE) {
      t->vi_frame = hpa;
      kept = true;
    }
  }
  return kept;
}

void domain_vcpu_down(struct vcpu *v)
{
  struct domain *d = v->dom;
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    if (i != v->id && d->vcpus[i]->online) {
      v->online = false;
      sched_wake(v);         /* leaves any wait */
      sched_vcpu_changed(v); /* and, offline, leaves the run queue */
      return;
    }
  }
  pr_info("%s: all vcpus offline", d->name);
  domain_shutdown(d, SHUTDOWN_poweroff);
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
  pr_info("%s: shutdown requested: %s", d->name, reason_name(reason));
  if (domain_stop(d, DOMAIN_SHUTDOWN, reason))
    notify_controller();
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
  char why[192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  pr_err("%s: domain crashed: %s", d->name, why);
  if (domain_stop(d, DOMAIN_CRASHED, SHUTDOWN_crash))
    notify_controller();
}

void domain_destroy(struct domain *d)
{
  if (sched_domain_on_cpu(d) || d->release_pending)
    panic("%s: destroyed while one of its vcpus runs", d->name);
  if (!domain_stop(d, DOMAIN_DYING, SHUTDOWN_crash))
    pr_info("%s: destroyed (after its exit: %s)", d->name, domain_exit_reason(d));
  for (struct domain **p = &domain_list; *p; p = &(*p)->next) {
    if (*p == d) {
      *p = d->next;
      break;
    }
  }
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    struct vcpu *v = d->vcpus[i];
    /* A vcpu_info page the guest replaced in its p2m stayed ours. */
    if (v->vi_frame) {
      for (unsigned int j = i + 1; j < d->nr_vcpus; j++)
        if (d->vcpus[j]->vi_frame == v->vi_frame)
          d->vcpus[j]->vi_frame = 0;
      frame_free(v->vi_frame);
    }
    heap_free(v);
  }
  frame_free(d->shared_info);
  console_ring_free(d);
  if (d->acpi_page)
    frame_free(d->acpi_page);
  gnttab_release(d); /* done already unless it never ran */
  heap_free(d->memmap);
  heap_free(d);
  notify_controller();
}

int domain_lookup(struct domain *caller, uint16_t id, struct domain **out)
{
  if (id == DOMID_SELF || id == caller->id) {
    *out = caller;
    return 0;
  }
  /* Like Xen: a domain that does not exist is -ESRCH even for a caller
   * that could not have touched it. */
  struct domain *d = domain_find(id);
  if (!d)
    return -ESRCH;
  if (!caller->privileged)
    return -EPERM;
  *out = d;
  return 0;
}

struct domain *domain_find(domid_t id)
{
  for (struct domain *d = domain_list; d; d = d->next)
    if (d->id == id)
      return d;
  return NULL;
}

struct domain *domain_find_from(unsigned int from)
{
  struct domain *best = NULL;
  for (struct domain *d = domain_list; d; d = d->next)
    if (d->id >= from && (!best || d->id < best->id))
      best = d;
  return best;
}

const char *domain_exit_reason(const struct domain *d)
{
  if (d->state == DOMAIN_RUNNING)
    return "running";
  if (d->state == DOMAIN_DYING)
    return "destroyed";
  return d->state == DOMAIN_CRASHED ? "crashed" : reason_name(d->shutdown_reason);
}
