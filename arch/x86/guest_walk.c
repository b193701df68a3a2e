/* Guest virtual addresses: the walk through a guest's own page tables,
 * then its p2m.  Guest pointers are never dereferenced: each piece of a
 * copy is translated, checked and moved here.  Every paging mode a guest
 * can be in: none (the address is guest-physical), 32-bit paging, PAE
 * paging and 4-level paging (SDM vol. 3, 4.3 to 4.5).  Each vcpu
 * remembers its last 4-level walk (struct gwalk_cache): hypercall
 * arguments mostly sit in one page, on the guest's stack.  A 32-bit
 * guest's walks are not cached: its hypercalls are not the ones timed. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <arch/p2m_cache.h>
#include <arch/vmcs.h>
#include <arch/x86_bits.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/string.h>

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

/* The paging modes, as walk_mode tells them. */
enum {
  WALK_4LEVEL = 0, /* IA-32e mode: 4-level paging, cached */
  WALK_NONE = 1,   /* paging off: gva is the guest-physical address */
  WALK_32BIT = 2,  /* CR0.PG without CR4.PAE: 32-bit paging */
  WALK_PAE = 3,    /* CR4.PAE outside IA-32e mode: PAE paging */
};

/* The checks of a walk that do not depend on the page tables, and the
 * mode (WALK_*): gva canonical in IA-32e mode, 32 bits wide outside it.
 * Returns -EFAULT or the mode; *cr3 and *check_w (a write, with CR0.WP
 * on: every level must allow it, as the guest kernel would see it) are
 * set when paging is on. */
static inline __attribute__((always_inline)) int walk_mode(uint64_t gva, bool write, uint64_t *cr3,
                                                           bool *check_w)
{
  uint64_t cr0 = vmcs_read(VMCS_GUEST_CR0);

  if (!(cr0 & X86_CR0_PG))
    return gva >> 32 ? -EFAULT : WALK_NONE; /* no paging: 32-bit addresses only */
  *check_w = write && (cr0 & X86_CR0_WP);
  if (unlikely(!(vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA))) {
    if (gva >> 32)
      return -EFAULT;
    *cr3 = vmcs_read(VMCS_GUEST_CR3);
    return vmcs_read(VMCS_GUEST_CR4) & X86_CR4_PAE ? WALK_PAE : WALK_32BIT;
  }
  if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
    return -EFAULT; /* not canonical: bits 63..47 must all be equal */
  *cr3 = vmcs_read(VMCS_GUEST_CR3) & PTE_ADDR;
  return WALK_4LEVEL;
}

/* One page-table entry of 4 or 8 bytes at guest-physical gpa (entries
 * are aligned, so never split across pages), or -EFAULT. */
static int read_entry(struct vcpu *v, uint64_t gpa, unsigned int size, uint64_t *e)
{
  uint64_t len;
  enum p2m_type type;
  paddr_t hpa = p2m_query_fast(v->dom, gpa, &len, &type);
  if (!hpa)
    return -EFAULT;
  if (size == 4)
    *e = *(volatile uint32_t *)phys_to_virt(hpa);
  else
    *e = *(volatile uint64_t *)phys_to_virt(hpa);
  return 0;
}

/* The walks outside IA-32e mode (not cached).  32-bit paging (SDM 4.3):
 * a directory of 1,024 4-byte entries at CR3, then a table, or a 4 MiB
 * page with CR4.PSE (its address bits 39:32 in the entry's bits 20:13).
 * PAE paging (SDM 4.4): the four PDPTEs the CPU loaded with CR3 (with
 * EPT, the VMCS holds them after each exit, SDM 27.3.4), then a
 * directory and a table of 8-byte entries, or a 2 MiB page.  A PDPTE
 * has no R/W bit.  Returns 0 with *gpa, or -EFAULT. */
static __attribute__((noinline)) int walk32(struct vcpu *v, uint64_t gva, int mode, uint64_t cr3,
                                            bool check_w, uint64_t *gpa)
{
  uint64_t e;
  if (mode == WALK_32BIT) {
    uint64_t pde_at = (cr3 & 0xfffff000) + ((gva >> 22) & 1023) * 4;
    if (read_entry(v, pde_at, 4, &e) || !(e & PTE_P) || (check_w && !(e & PTE_W)))
      return -EFAULT;
    if ((e & PTE_PS) && (vmcs_read(VMCS_GUEST_CR4) & X86_CR4_PSE)) {
      *gpa = (e & 0xffc00000) | ((e >> 13) & 0xff) << 32 | (gva & 0x3fffff);
      return 0;
    }
    uint64_t pte_at = (e & 0xfffff000) + ((gva >> 12) & 1023) * 4;
    if (read_entry(v, pte_at, 4, &e) || !(e & PTE_P) || (check_w && !(e & PTE_W)))
      return -EFAULT;
    *gpa = (e & 0xfffff000) | (gva & 0xfff);
    return 0;
  }
  e = vmcs_read(VMCS_GUEST_PDPTE0 + ((gva >> 30) & 3) * 2);
  if (!(e & PTE_P))
    return -EFAULT;
  uint64_t table = e & PTE_ADDR;
  for (unsigned int shift = 21;; shift -= 9) {
    if (read_entry(v, table + ((gva >> shift) & 511) * 8, 8, &e) || !(e & PTE_P) ||
        (check_w && !(e & PTE_W)))
      return -EFAULT;
    uint64_t size = 1ULL << shift;
    if (shift == 12 || (e & PTE_PS)) {
      *gpa = (e & PTE_ADDR & ~(size - 1)) | (gva & (size - 1));
      return 0;
    }
    table = e & PTE_ADDR;
  }
}

/* Walk the guest's page tables for gva from cr3 (SDM 4.5); for a write
 * with check_w, every level must allow writing (CR0.WP honoured as the
 * guest kernel would see it).  Remembers the walk in v's cache.  Returns
 * 0 with the guest-physical address in *gpa, or -EFAULT. */
static int walk(struct vcpu *v, uint64_t gva, uint64_t cr3, bool check_w, uint64_t *gpa)
{
  struct gwalk_cache *c = &v->arch.gwalk;
  uint64_t table = cr3;
  bool writable = true;

  c->tag = 0;
  for (int level = 3; level >= 0; level--) {
    unsigned int shift = 12 + 9 * (unsigned int)level;
    /* An entry is 8 aligned bytes: never split across pages, so one p2m
     * lookup and a load. */
    uint64_t size;
    enum p2m_type type;
    paddr_t hpa = p2m_query_fast(v->dom, table + ((gva >> shift) & 511) * 8, &size, &type);
    if (!hpa)
      return -EFAULT;
    volatile uint64_t *pte = phys_to_virt(hpa);
    uint64_t e = *pte;
    if (!(e & PTE_P) || (check_w && !(e & PTE_W)))
      return -EFAULT;
    c->pte[3 - level] = pte;
    c->val[3 - level] = e;
    c->gpa[3 - level] = table & PTE_ADDR;
    writable = writable && (e & PTE_W);
    if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
      uint64_t size = 1ULL << shift;
      *gpa = (e & PTE_ADDR & ~(size - 1)) | (gva & (size - 1));
      /* A large page ends the walk early: the levels below repeat the
       * leaf, so the check reads four entries whatever the size. */
      for (int i = 4 - level; i < GWALK_LEVELS; i++) {
        c->pte[i] = pte;
        c->val[i] = e;
        c->gpa[i] = c->gpa[3 - level];
      }
      c->writable = writable;
      c->cr3 = cr3;
      return 0;
    }
    table = e & PTE_ADDR;
  }
  return -EFAULT;
}

/* The accessed and dirty bits: the guest's CPU sets them as it goes, and
 * they change no translation. */
#define PTE_AD ((1ULL << 5) | (1ULL << 6))

/* Whether v's cache holds gva's page for this walk: the same page, CR3
 * and p2m, write permission if check_w, and every entry on the way as it
 * was (so a new walk would find the same page).  gen is the p2m
 * generation the walk must have been cached at. */
static inline __attribute__((always_inline)) bool
cache_valid(const struct vcpu *v, uint64_t gva, uint64_t cr3, bool check_w, uint64_t gen)
{
  const struct gwalk_cache *c = &v->arch.gwalk;
  if (c->tag != (gva >> 12) + 1 || c->cr3 != cr3 || c->p2m_gen != gen || (check_w && !c->writable))
    return false;
  /* Unrolled: the compiler keeps it as four loads and compares. */
  return !(((*c->pte[0] ^ c->val[0]) | (*c->pte[1] ^ c->val[1]) | (*c->pte[2] ^ c->val[2]) |
            (*c->pte[3] ^ c->val[3])) &
           ~PTE_AD);
}

/* The p2m changed once since v's walk was cached (off the fast path, in
 * translate()): the walk still holds when the page whose translation
 * changed is none of those it read (its tables and the data page), and
 * is then brought up to date.  A toolstack's loop of mappings, each
 * changing one page, keeps its arguments' walk so. */
static bool cache_survives(struct vcpu *v, uint64_t gva, uint64_t cr3, bool check_w)
{
  struct gwalk_cache *c = &v->arch.gwalk;
  const struct arch_domain *a = &v->dom->arch;
  if (a->p2m_changed == P2M_CHANGED_ALL || !cache_valid(v, gva, cr3, check_w, a->p2m_gen - 1))
    return false;
  for (unsigned int i = 0; i < ARRAY_SIZE(c->gpa); i++)
    if (c->gpa[i] == a->p2m_changed)
      return false;
  c->p2m_gen = a->p2m_gen;
  return true;
}

/* Translate gva without the cache (a walk when paging is on; gva itself
 * otherwise) and the p2m; a 4-level walk fills v's cache.  The host
 * address of gva, with its p2m type, or 0. */
static __attribute__((noinline)) paddr_t translate(struct vcpu *v, uint64_t gva, int mode,
                                                   uint64_t cr3, bool check_w, enum p2m_type *type)
{
  uint64_t gpa, size;
  if (mode == WALK_4LEVEL && cache_survives(v, gva, cr3, check_w)) {
    *type = v->arch.gwalk.type;
    return v->arch.gwalk.hpa | (gva & (PAGE_SIZE - 1));
  }
  if (mode == WALK_NONE)
    gpa = gva;
  else if (mode != WALK_4LEVEL ? walk32(v, gva, mode, cr3, check_w, &gpa)
                               : walk(v, gva, cr3, check_w, &gpa))
    return 0;
  paddr_t hpa = p2m_query_fast(v->dom, gpa, &size, type);
  if (hpa && mode == WALK_4LEVEL) {
    struct gwalk_cache *c = &v->arch.gwalk;
    c->hpa = hpa & ~(paddr_t)(PAGE_SIZE - 1);
    c->type = *type;
    c->gpa[GWALK_LEVELS] = gpa & ~(uint64_t)(PAGE_SIZE - 1);
    c->p2m_gen = v->dom->arch.p2m_gen;
    c->tag = (gva >> 12) + 1;
  }
  return hpa;
}

/* The cache's answer for gva (after walk_mode said mode, cr3, check_w):
 * the host pointer, good to the end of its guest page, or NULL when the
 * cache does not hold it (or holds a read-only grant and this is a
 * write: translate() then says no). */
static inline __attribute__((always_inline)) void *
cache_ptr(struct vcpu *v, uint64_t gva, bool write, int mode, uint64_t cr3, bool check_w)
{
  const struct gwalk_cache *c = &v->arch.gwalk;
  if (mode != WALK_4LEVEL || !cache_valid(v, gva, cr3, check_w, v->dom->arch.p2m_gen) ||
      (write && c->type == P2M_GRANT_RO))
    return NULL;
  return phys_to_virt(c->hpa | (gva & (PAGE_SIZE - 1)));
}

/* The host pointer for gva, good to the end of its guest page, through
 * v's cache or translate().  NULL when gva does not translate, or for a
 * write into a read-only grant (the rules are guestmem_write's). */
static void *guest_ptr(struct vcpu *v, uint64_t gva, bool write)
{
  uint64_t cr3 = 0;
  bool check_w = false;
  enum p2m_type type;
  int mode = walk_mode(gva, write, &cr3, &check_w);
  if (mode < 0)
    return NULL;
  void *p = cache_ptr(v, gva, write, mode, cr3, check_w);
  if (p)
    return p;
  paddr_t hpa = translate(v, gva, mode, cr3, check_w, &type);
  if (!hpa || (write && type == P2M_GRANT_RO))
    return NULL;
  return phys_to_virt(hpa);
}

int arch_guest_translate(struct vcpu *v, uint64_t gva, bool write, uint64_t *gpa)
{
  uint64_t cr3 = 0;
  bool check_w = false;
  int mode = walk_mode(gva, write, &cr3, &check_w);
  if (mode < 0)
    return -EFAULT;
  if (mode == WALK_NONE) {
    *gpa = gva;
    return 0;
  }
  if (mode != WALK_4LEVEL)
    return walk32(v, gva, mode, cr3, check_w, gpa);
  return walk(v, gva, cr3, check_w, gpa);
}

/* Move n bytes: the small fixed sizes of most hypercall arguments as one
 * load and store each, the rest by memcpy. */
static inline void move(void *dst, const void *src, size_t n)
{
  if (n == 4) /* most event channel ops' arguments, tested first */
    __builtin_memcpy(dst, src, 4);
  else if (n == 8)
    __builtin_memcpy(dst, src, 8);
  else if (n == 16)
    __builtin_memcpy(dst, src, 16);
  else
    memcpy(dst, src, n);
}

/* Move len bytes, one guest page at a time (a buffer may span pages that
 * are far apart in guest-physical memory). */
static __attribute__((noinline)) int copy(struct vcpu *v, uint64_t gva, void *buf, size_t len,
                                          bool write)
{
  while (len) {
    void *p = guest_ptr(v, gva, write);
    if (!p)
      return -EFAULT;
    size_t n = MIN(len, (size_t)(PAGE_SIZE - (gva & (PAGE_SIZE - 1))));
    if (write)
      move(p, buf, n);
    else
      move(buf, p, n);
    gva += n;
    buf = (char *)buf + n;
    len -= n;
  }
  return 0;
}

/* A copy within one guest page that v's cache holds: the host pointer
 * (the hypercall arguments' fast path, inline and without a call), else
 * NULL and copy() does the rest (the mode checks then run again, which
 * costs little beside a walk). */
static inline __attribute__((always_inline)) void *fast_ptr(struct vcpu *v, uint64_t gva,
                                                            size_t len, bool write)
{
  uint64_t cr3 = 0;
  bool check_w = false;
  if ((gva & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
    return NULL;
  int mode = walk_mode(gva, write, &cr3, &check_w);
  return cache_ptr(v, gva, write, mode, cr3, check_w);
}

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  const void *src = fast_ptr(v, gva, len, false);
  if (!src)
    return copy(v, gva, dst, len, false);
  move(dst, src, len);
  return 0;
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  void *dst = fast_ptr(v, gva, len, true);
  if (!dst)
    return copy(v, gva, (void *)src, len, true);
  move(dst, src, len);
  return 0;
}
