/* Host unit tests' arch/mm.h: "physical memory" is one buffer, fake_ram,
 * standing for [fake_ram_base, fake_ram_base + fake_ram_size).  It replaces
 * the hypervisor's 1:1 version (test/unit/include comes first on the include
 * path).  A translation outside the buffer aborts the test binary; an access
 * that runs off the buffer's end is caught by AddressSanitizer. */
#ifndef ARCH_MM_H
#define ARCH_MM_H

#include <hv/types.h>

extern uint8_t *fake_ram;
extern paddr_t fake_ram_base;
extern size_t fake_ram_size;

/* Print what went wrong and abort(). */
__noreturn void fake_ram_bad(const char *what, uint64_t addr);

static inline void *phys_to_virt(paddr_t pa)
{
  if (!fake_ram || pa < fake_ram_base || pa - fake_ram_base >= fake_ram_size)
    fake_ram_bad("phys_to_virt outside the fake RAM", pa);
  return fake_ram + (pa - fake_ram_base);
}

static inline paddr_t virt_to_phys(const void *va)
{
  uintptr_t v = (uintptr_t)va, r = (uintptr_t)fake_ram;
  if (!fake_ram || v < r || v - r >= fake_ram_size)
    fake_ram_bad("virt_to_phys of a pointer outside the fake RAM", v);
  return fake_ram_base + (v - r);
}

/* Make size bytes (a multiple of PAGE_SIZE) of fake RAM at physical base
 * (page aligned), filled with garbage (FAKE_RAM_GARBAGE), replacing any
 * earlier one. */
void fake_ram_init(paddr_t base, size_t size);

/* Fill [pa, pa + len) of the fake RAM with byte c (must lie inside it). */
void fake_ram_fill(paddr_t pa, size_t len, uint8_t c);

/* True when all of [pa, pa + len) holds byte c. */
bool fake_ram_all(paddr_t pa, size_t len, uint8_t c);

/* Release the fake RAM. */
void fake_ram_free(void);

#define FAKE_RAM_GARBAGE 0xa5

#endif
