/* Grant flags and pins: the rules for taking and dropping a grant in use,
 * kept apart from the tables so the host unit tests can run them.
 *
 * The entry (flags, domid, frame) lives in a page the granting guest
 * writes at any time, so it is read once per attempt and changed with a
 * compare-and-swap of flags and domid together: a guest that revokes the
 * grant while we pin it either sees GTF_reading set (and must wait), or
 * we see the grant gone.  The guest may race us on purpose; after five
 * lost races we give up, as Xen does (common/grant_table.c
 * _set_status_v1). */
#include <hv/grant_table.h>

#define PIN_TRIES 5

/* Flags and domid as one 32-bit word, as the ABI lays them out. */
union grant_combo {
  uint32_t raw;
  struct {
    uint16_t flags;
    domid_t domid;
  };
};

static uint32_t *combo_word(struct grant_entry_v1 *e) { return (uint32_t *)(void *)&e->flags; }

int grant_pin_begin(struct grant_entry_v1 *e, const struct grant_active *act, domid_t ldom,
                    bool readonly, bool map)
{
  uint32_t inc = readonly ? GRANT_PIN_R_INC : GRANT_PIN_W_INC;
  /* A mapping of a sub-page grant would expose the whole page (Xen adds
   * GTF_sub_page to the type mask for maps). */
  uint16_t mask = GTF_type_mask | (map ? GTF_sub_page : 0);

  /* Pinned already: only by the same domain, and never past 127 pins of
   * a kind (Xen: "Bad domain ... or risk of counter overflow"). */
  if (act->pin && (act->domid != ldom || (act->pin & (inc << 7))))
    return GNTST_general_error;
  /* A read-only pin, or a writable one beside another writable pin,
   * needs nothing new in the entry. */
  if (act->pin && (readonly || (act->pin & GRANT_PIN_W_MASK)))
    return GNTST_okay;

  uint32_t *word = combo_word(e);
  union grant_combo cur = {.raw = __atomic_load_n(word, __ATOMIC_ACQUIRE)};
  for (int tries = 0;; tries++) {
    if (!act->pin && ((cur.flags & mask) != GTF_permit_access || cur.domid != ldom))
      return GNTST_general_error;
    union grant_combo next = cur;
    next.flags |= GTF_reading;
    if (!readonly) {
      if (cur.flags & GTF_readonly)
        return GNTST_general_error; /* a write pin of a read-only grant */
      next.flags |= GTF_writing;
    }
    if (__atomic_compare_exchange_n(word, &cur.raw, next.raw, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
      return GNTST_okay;
    if (tries == PIN_TRIES - 1)
      return GNTST_general_error; /* the guest keeps changing it */
  }
}

void grant_pin_commit(struct grant_active *act, domid_t ldom, bool readonly, paddr_t frame)
{
  if (!act->pin) {
    act->domid = ldom;
    act->frame = frame;
  }
  act->pin += readonly ? GRANT_PIN_R_INC : GRANT_PIN_W_INC;
}

/* Clear the flags the pins no longer justify (Xen's reduce_status_for_pin):
 * GTF_reading with the last pin, GTF_writing with the last writable pin
 * when the pin being given up (or refused) was a writable one. */
static void reduce_flags(struct grant_entry_v1 *e, const struct grant_active *act, bool readonly)
{
  uint16_t clear = act->pin ? 0 : GTF_reading;
  if (!readonly && !(act->pin & GRANT_PIN_W_MASK))
    clear |= GTF_writing;
  if (clear)
    __atomic_fetch_and(&e->flags, (uint16_t)~clear, __ATOMIC_RELEASE);
}

void grant_pin_abort(struct grant_entry_v1 *e, const struct grant_active *act, bool readonly)
{
  reduce_flags(e, act, readonly);
}

void grant_unpin(struct grant_entry_v1 *e, struct grant_active *act, bool readonly)
{
  act->pin -= readonly ? GRANT_PIN_R_INC : GRANT_PIN_W_INC;
  reduce_flags(e, act, readonly);
}
