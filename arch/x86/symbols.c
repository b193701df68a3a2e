/* Symbol lookup for crash dumps.  The table is generated from the linked
 * image by tools/gensyms.sh and linked in a second pass into .hvsyms, which
 * the linker script places after everything else so adding it moves no
 * code.  Until then (first pass) the weak references are NULL. */
#include <arch/arch.h>

struct hv_sym {
  uint64_t addr;
  uint32_t name; /* offset into hv_sym_names */
  uint32_t reserved;
};

extern const struct hv_sym hv_syms[] __attribute__((weak));
extern const uint64_t hv_syms_count __attribute__((weak));
extern const char hv_sym_names[] __attribute__((weak));
extern char __text_start[], __text_end[];

const char *arch_symbol(uint64_t addr, uint64_t *offset)
{
  if (!&hv_syms_count || !hv_syms_count)
    return NULL;
  if (addr < (uint64_t)(uintptr_t)__text_start || addr >= (uint64_t)(uintptr_t)__text_end)
    return NULL;
  /* Binary search for the last symbol at or below addr (sorted by nm -n). */
  uint64_t lo = 0, hi = hv_syms_count;
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (hv_syms[mid].addr <= addr)
      lo = mid;
    else
      hi = mid;
  }
  if (hv_syms[lo].addr > addr)
    return NULL;
  *offset = addr - hv_syms[lo].addr;
  return &hv_sym_names[hv_syms[lo].name];
}
