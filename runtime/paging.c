/* Extra identity mappings beyond the 4 GiB head.S maps, for guests that
 * must touch a far-away guest-physical address (e.g. to provoke an EPT
 * violation rather than a guest page fault). */
#include "guest.h"

#define PTE_PRESENT_RW 0x003ULL
#define PTE_PS 0x080ULL
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define PAGE_2M (1ULL << 21)
#define POOL_PAGES 4

extern uint64_t boot_pml4[512]; /* head.S; CR3 points at it */

/* Page tables for the new mappings.  Never freed: guests map a handful. */
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static int pool_used;

/* The table entry e points at, made present (from the pool) if it is not.
 * NULL if the pool is empty or e maps a large page already. */
static uint64_t *next_table(uint64_t *e)
{
  if (!(*e & 1)) {
    if (pool_used == POOL_PAGES)
      return NULL;
    /* Identity mapped, so the table's address is its physical address. */
    *e = (uint64_t)(uintptr_t)pool[pool_used++] | PTE_PRESENT_RW;
  } else if (*e & PTE_PS) {
    return NULL;
  }
  return (uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK);
}

int paging_map_2m(uint64_t paddr)
{
  /* One PML4 entry covers 512 GiB; boot_pml4[0] is the only one head.S
   * fills, and the pool is sized for a new PD under it. */
  if (paddr & (PAGE_2M - 1) || paddr >= (1ULL << 39))
    return -1;

  uint64_t *pdpt = next_table(&boot_pml4[(paddr >> 39) & 511]);
  if (!pdpt)
    return -1;
  uint64_t *pd = next_table(&pdpt[(paddr >> 30) & 511]);
  if (!pd)
    return -1;
  pd[(paddr >> 21) & 511] = paddr | PTE_PRESENT_RW | PTE_PS;
  /* Not-present entries are never cached, but say what we mean. */
  __asm__ volatile("invlpg (%0)" : : "r"(paddr) : "memory");
  return 0;
}
