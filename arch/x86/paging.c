/* The hypervisor's own page tables: all of physical memory mapped 1:1 with
 * 2 MiB pages, read-write and never executable; the hypervisor image split
 * into 4 KiB pages with W^X rights (text RX, rodata and symbols R, data and
 * bss RW); page 0 and the guard page below each stack left unmapped so a
 * NULL dereference or a stack overflow faults (SDM vol. 3, 4.5). */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/mm.h>
#include <arch/paging.h>
#include <arch/traps.h>
#include <hv/frame.h>
#include <hv/printk.h>
#include <hv/string.h>

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PWT_PCD (PTE_PWT | PTE_PCD)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

extern char __image_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[],
    __data_start[], __data_end[], __syms_start[], __syms_end[], __image_end[], boot_stack_guard[];

static uint64_t nx; /* PTE_NX when the CPU has NX, else 0 */

/* The I/O window's page: PML4 slot 511, far above the 1:1 map (64 TiB
 * at most, slots 0..127); its page table entry is made by paging_init. */
#define IO_WINDOW 0xffffff8000000000ULL
static volatile uint64_t *io_window_pte;

static uint64_t *table_alloc(void)
{
  paddr_t pa = frame_alloc();
  if (!pa)
    panic("paging: out of memory for page tables");
  uint64_t *t = phys_to_virt(pa);
  memset(t, 0, PAGE_SIZE);
  return t;
}

static uint64_t *next_table(uint64_t *entry)
{
  if (!(*entry & PTE_P))
    *entry = virt_to_phys(table_alloc()) | PTE_P | PTE_W;
  return phys_to_virt(*entry & PTE_ADDR);
}

static bool is_guard(uint64_t pa)
{
  if (pa == (uint64_t)(uintptr_t)boot_stack_guard)
    return true;
  for (unsigned int i = 0; i < 3; i++)
    if (pa == (uint64_t)(uintptr_t)traps_bsp_guard(i))
      return true;
  return false;
}

#define IN(pa, a, b) ((pa) >= (uint64_t)(uintptr_t)(a) && (pa) < (uint64_t)(uintptr_t)(b))

/* The rights of one 4 KiB page inside a split 2 MiB page. */
static uint64_t page_rights(uint64_t pa)
{
  if (pa == 0 || is_guard(pa))
    return 0;
  if (IN(pa, __text_start, __text_end))
    return PTE_P;
  if (IN(pa, __rodata_start, __rodata_end) || IN(pa, __syms_start, __syms_end))
    return PTE_P | nx;
  return PTE_P | PTE_W | nx;
}

/* Map [0, top) 1:1 and switch to the new tables.  1 GiB pages where the
 * CPU has them and nothing in the GiB needs finer rights, else 2 MiB pages,
 * and 4 KiB pages for the 2 MiB pages that hold page 0 or the image. */
void paging_init(uint64_t top)
{
  nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
  if (!nx)
    pr_warn("paging: the CPU has no NX: data pages stay executable");
  bool gbpages = cpuid(0x80000001, 0).edx & (1U << 26);

  uint64_t *pml4 = table_alloc();
  uint64_t img_lo = ALIGN_DOWN((uint64_t)(uintptr_t)__image_start, MiB(2));
  uint64_t img_hi = ALIGN_UP((uint64_t)(uintptr_t)__image_end, MiB(2));

  top = ALIGN_UP(top, MiB(2));
  for (uint64_t va = 0; va < top;) {
    uint64_t *pdpt = next_table(&pml4[(va >> 39) & 511]);
    uint64_t *pdpte = &pdpt[(va >> 30) & 511];
    bool fine = va == 0 || (va < img_hi && va + GiB(1) > img_lo);
    if (gbpages && IS_ALIGNED(va, GiB(1)) && va + GiB(1) <= top && !fine) {
      *pdpte = va | PTE_P | PTE_W | PTE_PS | nx;
      va += GiB(1);
      continue;
    }
    uint64_t *pde = &next_table(pdpte)[(va >> 21) & 511];
    if (va != 0 && (va < img_lo || va >= img_hi)) {
      *pde = va | PTE_P | PTE_W | PTE_PS | nx;
      va += MiB(2);
      continue;
    }
    uint64_t *pt = table_alloc();
    for (unsigned int i = 0; i < 512; i++) {
      uint64_t pa = va + (uint64_t)i * PAGE_SIZE;
      uint64_t rights = page_rights(pa);
      pt[i] = rights ? pa | rights : 0;
    }
    *pde = virt_to_phys(pt) | PTE_P | PTE_W;
    va += MiB(2);
  }
  io_window_pte = &next_table(&next_table(&next_table(&pml4[511])[0])[0])[0];
  write_cr3(virt_to_phys(pml4));
  pr_info("paging: 0x%llx bytes mapped 1:1 (%s pages), image W^X, NX %s", (unsigned long long)top,
          gbpages ? "1 GiB" : "2 MiB", nx ? "on" : "off");
}

/* Split the 1 GiB (level 2) or 2 MiB (level 1) page entry e into a table
 * of 512 pages one level down with the same rights and caching; what
 * another CPU's TLB still holds of it translates the same way. */
static void split_large(uint64_t *e, int level)
{
  uint64_t *sub = table_alloc();
  uint64_t size = 1ULL << (12 + 9 * (level - 1));
  uint64_t flags = *e & (PTE_W | nx | PTE_P | PTE_PWT_PCD);
  for (unsigned int i = 0; i < 512; i++)
    sub[i] = ((*e & PTE_ADDR & ~((size << 9) - 1)) + i * size) | flags | (level > 1 ? PTE_PS : 0);
  *e = virt_to_phys(sub) | PTE_P | PTE_W;
}

/* Make the 4 KiB page at va (1:1, so also its physical address) absent,
 * splitting the 1 GiB or 2 MiB page around it; for guard pages of stacks
 * allocated after boot.  Like the rest of this file it panics when no
 * frame is left for a table (boot time only). */
void paging_unmap_page(uint64_t va)
{
  uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR);
  for (int level = 3; level > 0; level--) {
    uint64_t *e = &t[(va >> (12 + 9 * level)) & 511];
    if (!(*e & PTE_P))
      return; /* already absent */
    if (level < 3 && (*e & PTE_PS))
      split_large(e, level);
    t = phys_to_virt(*e & PTE_ADDR);
  }
  t[(va >> 12) & 511] = 0;
  asm volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* Map [start, end) 1:1, read-write, never executable and uncached (PCD and
 * PWT: PAT entry 3, UC at reset, SDM vol. 3, 12.12.3), with 2 MiB pages,
 * wherever nothing is mapped yet; what paging_init mapped stays as it is.
 * For device memory the 1:1 map leaves out, such as a framebuffer in a
 * 64-bit PCI window.  Boot time only (it panics without a frame). */
void paging_map_uncached(uint64_t start, uint64_t end)
{
  uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR);

  for (uint64_t va = ALIGN_DOWN(start, MiB(2)); va < end; va += MiB(2)) {
    uint64_t *pdpte = &next_table(&pml4[(va >> 39) & 511])[(va >> 30) & 511];
    if ((*pdpte & PTE_P) && (*pdpte & PTE_PS))
      continue; /* inside a 1 GiB page of the 1:1 map */
    uint64_t *pde = &next_table(pdpte)[(va >> 21) & 511];
    if (*pde & PTE_P)
      continue;
    *pde = va | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | nx;
    asm volatile("invlpg (%0)" ::"r"(va) : "memory");
  }
}

/* Make [start, end) 1:1, read-write, never executable and uncached (PCD
 * and PWT, as above) in 4 KiB pages, splitting the 1:1 map's 1 GiB and
 * 2 MiB pages around it, or mapping it where nothing is mapped: for a
 * device's registers, which the 1:1 map below 4 GiB covers write-back.
 * (The firmware's MTRRs make a PCI window UC anyway, so no line of it sits
 * in a cache that would need flushing first, SDM vol. 3, 12.11.4.1.)
 * Only this CPU's TLB is flushed: no other CPU has touched the range.
 * Boot time only (it panics without a frame for a table). */
void paging_set_uncached(uint64_t start, uint64_t end)
{
  uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR);

  for (uint64_t va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE) {
    uint64_t *t = pml4;
    for (int level = 3; level > 0; level--) {
      uint64_t *e = &t[(va >> (12 + 9 * level)) & 511];
      if (!(*e & PTE_P))
        *e = virt_to_phys(table_alloc()) | PTE_P | PTE_W;
      else if (level < 3 && (*e & PTE_PS))
        split_large(e, level);
      t = phys_to_virt(*e & PTE_ADDR);
    }
    t[(va >> 12) & 511] = va | PTE_P | PTE_W | PTE_PWT_PCD | nx;
    asm volatile("invlpg (%0)" ::"r"(va) : "memory");
  }
}

void *paging_io_window(uint64_t pa)
{
  *io_window_pte = (pa & PTE_ADDR) | PTE_P | PTE_W | PTE_PWT_PCD | nx;
  asm volatile("invlpg (%0)" ::"r"(IO_WINDOW) : "memory");
  return (void *)(uintptr_t)(IO_WINDOW | (pa & (PAGE_SIZE - 1)));
}
