/* The 2-level event ABI, the first implementation of the port operations
 * (struct evtchn_port_ops): one pending and one mask bit per port in
 * shared_info, one selector bit per word of them in each vcpu_info, and
 * evtchn_upcall_pending above all.  The guest changes the same words
 * concurrently (it clears pending bits and the selector, and owns the
 * mask), so every change is one atomic read-modify-write, in the order the
 * ABI gives: pending, then selector, then upcall_pending (Xen's
 * common/event_2l.c does the same). */
#include <arch/mm.h>
#include <hv/domain.h>
#include <hv/evtchn.h>

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

static struct shared_info *shinfo(const struct domain *d) { return phys_to_virt(d->shared_info); }

static bool test_and_set(xen_ulong_t *word, unsigned int bit)
{
  xen_ulong_t m = (xen_ulong_t)1 << bit;
  return __atomic_fetch_or(word, m, __ATOMIC_SEQ_CST) & m;
}

static bool test_and_clear(xen_ulong_t *word, unsigned int bit)
{
  xen_ulong_t m = (xen_ulong_t)1 << bit;
  return __atomic_fetch_and(word, ~m, __ATOMIC_SEQ_CST) & m;
}

static bool test(const xen_ulong_t *word, unsigned int bit)
{
  return (__atomic_load_n(word, __ATOMIC_SEQ_CST) >> bit) & 1;
}

/* Set the selector bit of port's word, then upcall_pending; true when
 * upcall_pending was clear (the vcpu needs a kick). */
static bool mark_selector(struct vcpu_info *vi, unsigned int port)
{
  if (test_and_set(&vi->evtchn_pending_sel, port / BITS_PER_WORD))
    return false; /* the guest has not scanned that word yet: it will see it */
  return !__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

/* On a 0 -> 1 change of an unmasked port, the selector and upcall_pending
 * of v follow. */
static bool set_pending(struct domain *d, struct vcpu *v, unsigned int port)
{
  struct shared_info *s = shinfo(d);
  if (test_and_set(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD))
    return false; /* already pending: no 0 -> 1 change, nothing to say */
  if (test(&s->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD))
    return false; /* masked: it waits for EVTCHNOP_unmask */
  return mark_selector(v->vi, port);
}

/* A masked port that is pending tells v now, as the send would have. */
static bool unmask(struct domain *d, struct vcpu *v, unsigned int port)
{
  struct shared_info *s = shinfo(d);
  unsigned int w = port / BITS_PER_WORD, b = port % BITS_PER_WORD;
  if (!test_and_clear(&s->evtchn_mask[w], b))
    return false; /* was not masked: any notice went out when it was sent */
  if (!test(&s->evtchn_pending[w], b))
    return false;
  return mark_selector(v->vi, port);
}

static void clear_pending(struct domain *d, unsigned int port)
{
  test_and_clear(&shinfo(d)->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD);
}

static bool is_pending(const struct domain *d, unsigned int port)
{
  return test(&shinfo(d)->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD);
}

static bool is_masked(const struct domain *d, unsigned int port)
{
  return test(&shinfo(d)->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD);
}

const struct evtchn_port_ops evtchn_port_ops_2l = {
    .name = "2-level",
    .nr_ports = EVTCHN_2L_NR_CHANNELS,
    .set_pending = set_pending,
    .clear_pending = clear_pending,
    .unmask = unmask,
    .is_pending = is_pending,
    .is_masked = is_masked,
};
