/* The 2-level event ABI, the first implementation of the port operations
 * (struct evtchn_port_ops): one pending and one mask bit per port in
 * shared_info, one selector bit per word of them in each vcpu_info, and
 * evtchn_upcall_pending above all.  The guest changes the same words
 * concurrently (it clears pending bits and the selector, and owns the
 * mask), so every change is one atomic read-modify-write, in the order the
 * ABI gives: pending, then selector, then upcall_pending (Xen's
 * common/event_2l.c does the same).
 *
 * The words are the guest's longs: 64 bits, or 32 for a domain whose
 * shared info is latched 32-bit (d->has_32bit_shinfo; struct
 * compat_shared_info: 32 words, so 1,024 ports, and a 32-bit selector).
 * Each operation below is written once for a word width w and made into
 * two sets of port operations with w a constant, so the 64-bit set is the
 * code it was before 32-bit guests; domain_latch_shinfo_size picks the
 * set, as Xen's evtchn_port_ops would. */
#include <arch/mm.h>
#include <hv/domain.h>
#include <hv/evtchn.h>

#define INLINE static inline __attribute__((always_inline))

/* ---- Bit b (< w) of one word of w bits, as the guest sees it ---- */

INLINE bool test_and_set(void *word, unsigned int b, unsigned int w)
{
  if (w == 64) {
    xen_ulong_t m = (xen_ulong_t)1 << b;
    return __atomic_fetch_or((xen_ulong_t *)word, m, __ATOMIC_SEQ_CST) & m;
  }
  uint32_t m = 1U << b;
  return __atomic_fetch_or((uint32_t *)word, m, __ATOMIC_SEQ_CST) & m;
}

INLINE bool test_and_clear(void *word, unsigned int b, unsigned int w)
{
  if (w == 64) {
    xen_ulong_t m = (xen_ulong_t)1 << b;
    return __atomic_fetch_and((xen_ulong_t *)word, ~m, __ATOMIC_SEQ_CST) & m;
  }
  uint32_t m = 1U << b;
  return __atomic_fetch_and((uint32_t *)word, ~m, __ATOMIC_SEQ_CST) & m;
}

INLINE bool test(const void *word, unsigned int b, unsigned int w)
{
  if (w == 64)
    return (__atomic_load_n((const xen_ulong_t *)word, __ATOMIC_SEQ_CST) >> b) & 1;
  return (__atomic_load_n((const uint32_t *)word, __ATOMIC_SEQ_CST) >> b) & 1;
}

/* ---- Where the words are, in the layout of width w ---- */

static struct shared_info *shinfo(const struct domain *d) { return phys_to_virt(d->shared_info); }

/* The word of port's pending (mask) bit; the bit is port % w. */
INLINE void *pending_word(struct shared_info *s, unsigned int port, unsigned int w)
{
  if (w == 64)
    return &s->evtchn_pending[port / 64];
  return &((struct compat_shared_info *)s)->evtchn_pending[port / 32];
}

INLINE void *mask_word(struct shared_info *s, unsigned int port, unsigned int w)
{
  if (w == 64)
    return &s->evtchn_mask[port / 64];
  return &((struct compat_shared_info *)s)->evtchn_mask[port / 32];
}

/* The selector; port's bit in it is port / w. */
INLINE void *selector(struct vcpu_info *vi, unsigned int w)
{
  if (w == 64)
    return &vi->evtchn_pending_sel;
  return &((struct compat_vcpu_info *)vi)->evtchn_pending_sel;
}

/* A port the layout cannot name: a domain that latched 32-bit may still
 * hold ports above 1,023 made before.  They stay silent (pending never,
 * masked always, as Xen's is_pending and is_masked answer), and nothing
 * is written past the 32-bit arrays. */
INLINE bool beyond(unsigned int port, unsigned int w) { return w == 32 && port >= 32 * 32; }

/* ---- The operations, for width w ---- */

/* Set the selector bit of port's word, then upcall_pending; true when
 * upcall_pending was clear (the vcpu needs a kick). */
INLINE bool mark_selector(struct vcpu_info *vi, unsigned int port, unsigned int w)
{
  if (test_and_set(selector(vi, w), port / w, w))
    return false; /* the guest has not scanned that word yet: it will see it */
  return !__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

/* On a 0 -> 1 change of an unmasked port, the selector and upcall_pending
 * of v follow. */
INLINE bool set_pending(struct domain *d, struct vcpu *v, unsigned int port, unsigned int w)
{
  struct shared_info *s = shinfo(d);
  if (beyond(port, w) || test_and_set(pending_word(s, port, w), port % w, w))
    return false; /* already pending: no 0 -> 1 change, nothing to say */
  if (test(mask_word(s, port, w), port % w, w))
    return false; /* masked: it waits for EVTCHNOP_unmask */
  return mark_selector(v->vi, port, w);
}

/* A masked port that is pending tells v now, as the send would have. */
INLINE bool unmask(struct domain *d, struct vcpu *v, unsigned int port, unsigned int w)
{
  struct shared_info *s = shinfo(d);
  if (beyond(port, w) || !test_and_clear(mask_word(s, port, w), port % w, w))
    return false; /* was not masked: any notice went out when it was sent */
  if (!test(pending_word(s, port, w), port % w, w))
    return false;
  return mark_selector(v->vi, port, w);
}

INLINE void clear_pending(struct domain *d, unsigned int port, unsigned int w)
{
  if (!beyond(port, w))
    test_and_clear(pending_word(shinfo(d), port, w), port % w, w);
}

INLINE bool is_pending(const struct domain *d, unsigned int port, unsigned int w)
{
  return !beyond(port, w) && test(pending_word(shinfo(d), port, w), port % w, w);
}

INLINE bool is_masked(const struct domain *d, unsigned int port, unsigned int w)
{
  return beyond(port, w) || test(mask_word(shinfo(d), port, w), port % w, w);
}

/* The port operations of width w: evtchn_port_ops_2l (64) and
 * evtchn_port_ops_2l_32. */
#define PORT_OPS(w, ops, abi_name)                                                                 \
  static bool set_pending##w(struct domain *d, struct vcpu *v, unsigned int port)                  \
  {                                                                                                \
    return set_pending(d, v, port, w);                                                             \
  }                                                                                                \
  static bool unmask##w(struct domain *d, struct vcpu *v, unsigned int port)                       \
  {                                                                                                \
    return unmask(d, v, port, w);                                                                  \
  }                                                                                                \
  static void clear_pending##w(struct domain *d, unsigned int port) { clear_pending(d, port, w); } \
  static bool is_pending##w(const struct domain *d, unsigned int port)                             \
  {                                                                                                \
    return is_pending(d, port, w);                                                                 \
  }                                                                                                \
  static bool is_masked##w(const struct domain *d, unsigned int port)                              \
  {                                                                                                \
    return is_masked(d, port, w);                                                                  \
  }                                                                                                \
  const struct evtchn_port_ops ops = {                                                             \
      .name = abi_name,                                                                            \
      .nr_ports = w * w,                                                                           \
      .set_pending = set_pending##w,                                                               \
      .clear_pending = clear_pending##w,                                                           \
      .unmask = unmask##w,                                                                         \
      .is_pending = is_pending##w,                                                                 \
      .is_masked = is_masked##w,                                                                   \
  }

PORT_OPS(64, evtchn_port_ops_2l, "2-level");
PORT_OPS(32, evtchn_port_ops_2l_32, "2-level, 32-bit");
