/* EPT: a domain's guest-physical to host-physical translation (SDM vol. 3,
 * 29.3 "The extended page table mechanism").  Four levels; leaves of 4 KiB
 * or 2 MiB, all write-back; RWX except read-only grant mappings (R+X).
 * What a guest may reach is exactly what its domain was given or lent
 * through a grant, so the hypervisor and other domains are never in the
 * tables.  Bits 54:52 of a leaf (ignored by the CPU, SDM vol. 3, 29.3.2,
 * table 29-6) hold its enum p2m_type, so teardown knows what it owns. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <arch/p2m_cache.h>
#include <arch/vmx.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/percpu.h>

#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_UC (0ULL << 3)
#define EPT_MT_WB (6ULL << 3)
#define EPT_LEAF_2M (1ULL << 7)
#define EPT_ADDR 0x000ffffffffff000ULL
/* Software-available bits 54:52: 0 RAM, 1 special, 2 grant rw, 3 grant ro,
 * 4 foreign, 5 MMIO, 6 direct (7 unused). */
#define EPT_SW_SHIFT 52
#define EPT_SW_MASK (7ULL << EPT_SW_SHIFT)

static enum p2m_type entry_type(uint64_t e)
{
  static const enum p2m_type types[8] = {P2M_RAM,     P2M_SPECIAL, P2M_GRANT_RW, P2M_GRANT_RO,
                                         P2M_FOREIGN, P2M_MMIO,    P2M_DIRECT};
  if (!(e & EPT_RWX))
    return P2M_NONE;
  return types[(e & EPT_SW_MASK) >> EPT_SW_SHIFT];
}

/* The leaf bits for a 4 KiB page of type t at hpa. */
static uint64_t leaf_bits(paddr_t hpa, enum p2m_type t)
{
  switch (t) {
  case P2M_RAM: return hpa | EPT_RWX | EPT_MT_WB;
  case P2M_SPECIAL: return hpa | EPT_RWX | EPT_MT_WB | (1ULL << EPT_SW_SHIFT);
  case P2M_GRANT_RW: return hpa | EPT_RWX | EPT_MT_WB | (2ULL << EPT_SW_SHIFT);
  case P2M_GRANT_RO: return hpa | EPT_R | EPT_X | EPT_MT_WB | (3ULL << EPT_SW_SHIFT);
  case P2M_FOREIGN: return hpa | EPT_RWX | EPT_MT_WB | (4ULL << EPT_SW_SHIFT);
  /* Device memory is uncached whatever the guest's PAT says (the EPT
   * type UC wins, SDM vol. 3, 29.3.7.2), as Xen gives direct MMIO. */
  case P2M_MMIO: return hpa | EPT_RWX | EPT_MT_UC | (5ULL << EPT_SW_SHIFT);
  case P2M_DIRECT: return hpa | EPT_RWX | EPT_MT_WB | (6ULL << EPT_SW_SHIFT);
  default: return 0;
  }
}

static uint64_t *table(uint64_t entry) { return phys_to_virt(entry & EPT_ADDR); }

/* The entry for gpa at level (3 = PML4 ... 0 = PT), creating tables on
 * the way down when create is set.  NULL if absent or out of memory. */
static uint64_t *walk(struct domain *d, uint64_t gpa, int level, bool create)
{
  if (!d->arch.ept_root) {
    if (!create || !(d->arch.ept_root = frame_alloc_zeroed()))
      return NULL;
    d->arch.ept_tables++;
  }
  uint64_t *t = phys_to_virt(d->arch.ept_root);
  for (int l = 3; l > level; l--) {
    uint64_t *e = &t[(gpa >> (12 + 9 * l)) & 511];
    if (!*e) {
      paddr_t pa;
      if (!create || !(pa = frame_alloc_zeroed()))
        return NULL;
      d->arch.ept_tables++;
      *e = pa | EPT_RWX;
    } else if (*e & EPT_LEAF_2M) {
      return NULL; /* a large page sits where a table would be */
    }
    t = table(*e);
  }
  return &t[(gpa >> (12 + 9 * level)) & 511];
}

int arch_p2m_map(struct domain *d, uint64_t gpa, paddr_t hpa, uint64_t size)
{
  if ((size != PAGE_SIZE && size != MiB(2)) || !IS_ALIGNED(gpa | hpa, size) || gpa >= (1ULL << 48))
    return -EINVAL;
  uint64_t *e = walk(d, gpa, size == MiB(2) ? 1 : 0, true);
  if (!e)
    return -ENOMEM;
  if (*e)
    return -EEXIST;
  *e = hpa | EPT_RWX | EPT_MT_WB | (size == MiB(2) ? EPT_LEAF_2M : 0);
  return 0;
}

/* Forget every cached translation (the p2m is destroyed).  The vcpus'
 * guest walk caches (guest_walk.c) see it by the generation. */
static void cache_clear(struct domain *d)
{
  d->arch.p2m_gen++;
  d->arch.p2m_changed = P2M_CHANGED_ALL;
  for (unsigned int i = 0; i < P2M_CACHE_SIZE; i++)
    d->arch.p2m_cache[i].tag = 0;
  for (unsigned int i = 0; i < P2M_CACHE_4K_SIZE; i++)
    d->arch.p2m_cache_4k[i].tag = 0;
  d->arch.pt_tag = 0;
}

/* Forget what the caches may hold of the 4 KiB page at gpa, whose entry
 * changed: its 4 KiB leaf, and the 2 MiB leaf around it when that was
 * split (no other entry changed).  The walk caches see the generation. */
static void cache_forget(struct domain *d, uint64_t gpa, bool split)
{
  d->arch.p2m_gen++;
  d->arch.p2m_changed = gpa & ~(uint64_t)(PAGE_SIZE - 1); /* a split changes no translation */
  d->arch.p2m_cache_4k[(gpa >> 12) % P2M_CACHE_4K_SIZE].tag = 0;
  if (split)
    d->arch.p2m_cache[(gpa >> 21) % P2M_CACHE_SIZE].tag = 0;
}

/* Guest pointers walk guest page tables, each level a p2m lookup, so
 * leaves are remembered in two small direct-mapped caches, cleared
 * whenever a mapping changes: 2 MiB leaves (where most guest RAM lives),
 * and 4 KiB ones (a 2 MiB page split by a special page, such as the one a
 * small guest maps shared_info into, holding its stack and page tables). */
paddr_t arch_p2m_query(struct domain *d, uint64_t gpa, uint64_t *page_size, enum p2m_type *type)
{
  uint64_t hit_size;
  enum p2m_type hit_type;
  paddr_t hit = p2m_cache_hit(d, gpa, &hit_size, &hit_type);
  if (hit) {
    if (page_size)
      *page_size = hit_size;
    if (type)
      *type = hit_type;
    return hit;
  }
  struct p2m_cache_entry *c = &d->arch.p2m_cache[(gpa >> 21) % P2M_CACHE_SIZE];
  struct p2m_cache_entry *c4 = &d->arch.p2m_cache_4k[(gpa >> 12) % P2M_CACHE_4K_SIZE];
  if (type)
    *type = P2M_NONE;
  uint64_t e;
  int l = 0;
  if (d->arch.pt_tag == (gpa >> 21) + 1) {
    e = d->arch.pt_table[(gpa >> 12) & 511]; /* pages given or taken one by one */
  } else {
    if (gpa >= (1ULL << 48) || !d->arch.ept_root)
      return 0;
    uint64_t *t = phys_to_virt(d->arch.ept_root);
    for (l = 3;; l--) {
      if (l == 0) {
        d->arch.pt_tag = (gpa >> 21) + 1;
        d->arch.pt_table = t;
      }
      e = t[(gpa >> (12 + 9 * l)) & 511];
      if (!(e & EPT_RWX) || l == 0 || (l == 1 && (e & EPT_LEAF_2M)))
        break;
      t = table(e);
    }
  }
  if (!(e & EPT_RWX))
    return 0;
  uint64_t size = l ? MiB(2) : PAGE_SIZE;
  if (page_size)
    *page_size = size;
  if (type)
    *type = entry_type(e);
  if (l)
    *c = (struct p2m_cache_entry){(gpa >> 21) + 1, e & EPT_ADDR & ~(size - 1), entry_type(e)};
  else
    *c4 = (struct p2m_cache_entry){(gpa >> 12) + 1, e & EPT_ADDR, entry_type(e)};
  return (e & EPT_ADDR & ~(size - 1)) | (gpa & (size - 1));
}

paddr_t arch_p2m_lookup(struct domain *d, uint64_t gpa, uint64_t *page_size)
{
  return arch_p2m_query(d, gpa, page_size, NULL);
}

void ept_invept_local(uint64_t eptp)
{
  /* Outside VMX operation INVEPT is #UD (SDM vol. 3, INVEPT), and a CPU
   * that never ran a guest caches no EPT translations: nothing to drop.
   * The domain builder changes a p2m (special pages) before it knows
   * whether VT-x is there. */
  if (!vmx_enabled())
    return;
  struct {
    uint64_t eptp, reserved;
  } desc = {eptp, 0};
  asm volatile("invept %0, %1" ::"m"(desc), "r"(1ULL) : "cc", "memory");
}

/* Drop every CPU's cached translations for d's EPT (SDM vol. 3,
 * 29.4.3.1).  Needed whenever a present entry changes: another CPU may
 * run a vcpu of d right now, or have run one before. */
static void ept_flush(struct domain *d)
{
  uint64_t eptp = d->arch.ept_root | (3 << 3) | 6; /* as vmcs_init_pvh writes it */
  d->arch.flush_pending = false;
  ept_invept_local(eptp);
  smp_flush_ept(eptp);
}

void arch_p2m_flush(struct domain *d)
{
  if (d->arch.flush_pending)
    ept_flush(d);
}

/* Replace the 2 MiB leaf *pde by a table of 512 4 KiB leaves. */
static int split_2m(struct domain *d, uint64_t *pde)
{
  paddr_t pt = frame_alloc_zeroed();
  if (!pt)
    return -ENOMEM;
  d->arch.ept_tables++;
  uint64_t *t = phys_to_virt(pt), base = *pde & EPT_ADDR & ~(MiB(2) - 1);
  for (unsigned int i = 0; i < 512; i++)
    t[i] = (base + (uint64_t)i * PAGE_SIZE) | EPT_RWX | EPT_MT_WB;
  *pde = pt | EPT_RWX;
  return 0;
}

/* The 4 KiB leaf table that covers gpa (below 2^48), remembered for the
 * next call: pages are given and taken in runs.  The tables on the way
 * are made when missing, and a 2 MiB leaf there is split (*split then
 * set).  NULL when there is no frame for a table. */
static uint64_t *leaf_table(struct domain *d, uint64_t gpa, bool *split)
{
  uint64_t tag = (gpa >> 21) + 1;
  if (d->arch.pt_tag == tag)
    return d->arch.pt_table;
  uint64_t *pde = walk(d, gpa, 1, true);
  if (!pde)
    return NULL;
  if (*pde & EPT_LEAF_2M) {
    if (split_2m(d, pde))
      return NULL;
    *split = true;
  } else if (!*pde) {
    paddr_t pa = frame_alloc_zeroed();
    if (!pa)
      return NULL;
    d->arch.ept_tables++;
    *pde = pa | EPT_RWX;
  }
  d->arch.pt_tag = tag;
  d->arch.pt_table = table(*pde);
  return d->arch.pt_table;
}

/* arch_p2m_set_type, the INVEPT done now (flush) or left to
 * arch_p2m_flush. */
static int set_entry(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type, paddr_t *old,
                     enum p2m_type *old_type, bool flush)
{
  *old = 0;
  if (old_type)
    *old_type = P2M_NONE;
  /* Frame 0 is no domain's frame, only the hardware domain's window on
   * the host's page 0. */
  if (!IS_ALIGNED(gpa | hpa, PAGE_SIZE) || gpa >= (1ULL << 48) ||
      (type == P2M_NONE ? hpa != 0 : !hpa && type != P2M_DIRECT))
    return -EINVAL;
  bool split = false;
  uint64_t *t = leaf_table(d, gpa, &split);
  if (!t)
    return -ENOMEM;
  uint64_t *pte = &t[(gpa >> 12) & 511];
  bool was_present = *pte & EPT_RWX;
  if (was_present) {
    *old = *pte & EPT_ADDR;
    if (old_type)
      *old_type = entry_type(*pte);
  }
  *pte = leaf_bits(hpa, type);
  cache_forget(d, gpa, split);
  /* A CPU caches no translation through an entry that was not present
   * (SDM vol. 3, 29.4.2): filling a hole needs no flush.  (A split
   * leaves every entry present.) */
  if (was_present) {
    d->arch.flush_pending = true;
    if (flush)
      ept_flush(d);
  }
  return 0;
}

int arch_p2m_set_type(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type, paddr_t *old,
                      enum p2m_type *old_type)
{
  return set_entry(d, gpa, hpa, type, old, old_type, true);
}

int arch_p2m_set_type_noflush(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type,
                              paddr_t *old, enum p2m_type *old_type)
{
  return set_entry(d, gpa, hpa, type, old, old_type, false);
}

int arch_p2m_set(struct domain *d, uint64_t gpa, paddr_t hpa, paddr_t *old)
{
  return arch_p2m_set_type(d, gpa, hpa, hpa ? P2M_RAM : P2M_NONE, old, NULL);
}

/* Call fn for each leaf of the tables at t (level 3 = PML4), gpa the
 * address the table starts at. */
static void each_leaf(struct domain *d, uint64_t *t, int level, uint64_t gpa, arch_p2m_leaf_fn *fn,
                      void *arg)
{
  for (unsigned int i = 0; i < 512; i++) {
    uint64_t e = t[i], at = gpa + ((uint64_t)i << (12 + 9 * level));
    if (!(e & EPT_RWX))
      continue;
    if (level == 0 || (level == 1 && (e & EPT_LEAF_2M)))
      fn(d, at, e & EPT_ADDR & ~((level ? MiB(2) : PAGE_SIZE) - 1), level ? MiB(2) : PAGE_SIZE,
         entry_type(e), arg);
    else
      each_leaf(d, table(e), level - 1, at, fn, arg);
  }
}

void arch_p2m_each(struct domain *d, arch_p2m_leaf_fn *fn, void *arg)
{
  if (d->arch.ept_root)
    each_leaf(d, phys_to_virt(d->arch.ept_root), 3, 0, fn, arg);
}

static void free_level(uint64_t *t, int level)
{
  for (unsigned int i = 0; level > 0 && i < 512; i++)
    if ((t[i] & EPT_RWX) && !(t[i] & EPT_LEAF_2M))
      free_level(table(t[i]), level - 1);
  frame_free(virt_to_phys(t));
}

void arch_p2m_destroy(struct domain *d)
{
  if (d->arch.ept_root)
    free_level(phys_to_virt(d->arch.ept_root), 3);
  d->arch.ept_root = 0;
  d->arch.ept_tables = 0;
  d->arch.flush_pending = false; /* no CPU runs d's vcpus any more */
  cache_clear(d);
}
