/* The 2-level event ABI: one pending and one mask bit per port in
 * shared_info, one selector bit per word of them in each vcpu_info, and
 * evtchn_upcall_pending above all.  The guest changes the same words
 * concurrently (it clears pending bits and the selector, and owns the
 * mask), so every change is one atomic read-modify-write, in the order the
 * ABI gives: pending, then selector, then upcall_pending (Xen's
 * common/event_2l.c does the same). */
#include <hv/evtchn.h>

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

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

bool evtchn_2l_set_pending(struct shared_info *s, struct vcpu_info *vi, unsigned int port)
{
  xen_ulong_t *word = &s->evtchn_pending[port / BITS_PER_WORD];
  if (test_and_set(word, port % BITS_PER_WORD))
    return false; /* already pending: no 0 -> 1 change, nothing to say */
  if (test(&s->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD))
    return false; /* masked: it waits for EVTCHNOP_unmask */
  return mark_selector(vi, port);
}

bool evtchn_2l_unmask(struct shared_info *s, struct vcpu_info *vi, unsigned int port)
{
  unsigned int w = port / BITS_PER_WORD, b = port % BITS_PER_WORD;
  if (!test_and_clear(&s->evtchn_mask[w], b))
    return false; /* was not masked: any notice went out when it was sent */
  if (!test(&s->evtchn_pending[w], b))
    return false;
  return mark_selector(vi, port);
}

void evtchn_2l_clear_pending(struct shared_info *s, unsigned int port)
{
  test_and_clear(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD);
}

bool evtchn_2l_is_pending(const struct shared_info *s, unsigned int port)
{
  return test(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD);
}

bool evtchn_2l_is_masked(const struct shared_info *s, unsigned int port)
{
  return test(&s->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD);
}
