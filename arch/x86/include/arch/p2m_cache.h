/* The p2m leaf caches of a domain (ept.c fills and clears them): the hit
 * path, inline for the guest page walker, where every level of a guest
 * pointer's walk is one lookup. */
#ifndef ARCH_P2M_CACHE_H
#define ARCH_P2M_CACHE_H

#include <hv/domain.h>

/* The host address of gpa if a cache remembers its leaf (0 otherwise),
 * with the leaf's size and type. */
static inline paddr_t p2m_cache_hit(const struct domain *d, uint64_t gpa, uint64_t *size,
                                    enum p2m_type *type)
{
  const struct p2m_cache_entry *c = &d->arch.p2m_cache[(gpa >> 21) % P2M_CACHE_SIZE];
  if (c->tag == (gpa >> 21) + 1) {
    *size = MiB(2);
    *type = (enum p2m_type)c->type;
    return c->hpa | (gpa & (MiB(2) - 1));
  }
  c = &d->arch.p2m_cache_4k[(gpa >> 12) % P2M_CACHE_4K_SIZE];
  if (c->tag == (gpa >> 12) + 1) {
    *size = PAGE_SIZE;
    *type = (enum p2m_type)c->type;
    return c->hpa | (gpa & (PAGE_SIZE - 1));
  }
  return 0;
}

/* arch_p2m_query with the hit path inline. */
static inline paddr_t p2m_query_fast(struct domain *d, uint64_t gpa, uint64_t *size,
                                     enum p2m_type *type)
{
  paddr_t hpa = p2m_cache_hit(d, gpa, size, type);
  return hpa ? hpa : arch_p2m_query(d, gpa, size, type);
}

#endif
