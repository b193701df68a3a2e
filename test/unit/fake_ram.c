/* The fake physical memory behind test/unit/include/arch/mm.h. */
#include <arch/mm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *fake_ram;
paddr_t fake_ram_base;
size_t fake_ram_size;

void fake_ram_bad(const char *what, uint64_t addr)
{
  fprintf(stderr, "fake RAM: %s: 0x%llx (fake RAM is 0x%llx-0x%llx)\n", what,
          (unsigned long long)addr, (unsigned long long)fake_ram_base,
          (unsigned long long)(fake_ram_base + fake_ram_size));
  abort();
}

void fake_ram_init(paddr_t base, size_t size)
{
  if (!IS_ALIGNED(base, PAGE_SIZE) || !size || !IS_ALIGNED(size, PAGE_SIZE))
    fake_ram_bad("fake_ram_init: base and size must be page multiples", base);
  fake_ram_free();
  /* Page aligned, so alignment in the buffer is alignment in "physical". */
  fake_ram = aligned_alloc(PAGE_SIZE, size);
  if (!fake_ram)
    fake_ram_bad("fake_ram_init: out of host memory", size);
  fake_ram_base = base;
  fake_ram_size = size;
  memset(fake_ram, FAKE_RAM_GARBAGE, size);
}

/* The host pointer for [pa, pa + len), which must lie in the fake RAM. */
static uint8_t *span(paddr_t pa, size_t len, const char *who)
{
  uint8_t *p = phys_to_virt(pa);
  if (len > fake_ram_size - (pa - fake_ram_base))
    fake_ram_bad(who, pa + len);
  return p;
}

void fake_ram_fill(paddr_t pa, size_t len, uint8_t c)
{
  if (len)
    memset(span(pa, len, "fake_ram_fill past the end"), c, len);
}

bool fake_ram_all(paddr_t pa, size_t len, uint8_t c)
{
  const uint8_t *p = len ? span(pa, len, "fake_ram_all past the end") : NULL;
  for (size_t i = 0; i < len; i++)
    if (p[i] != c)
      return false;
  return true;
}

void fake_ram_free(void)
{
  free(fake_ram);
  fake_ram = NULL;
  fake_ram_base = 0;
  fake_ram_size = 0;
}
