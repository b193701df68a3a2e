/* Guest virtual addresses: the walk through a guest's own page tables
 * (SDM vol. 3, 4.5 "4-level paging"), then its p2m.  Guest pointers are
 * never dereferenced: each piece of a copy is translated, checked and
 * moved here. */
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

/* Translate gva; for a write, every level must allow writing (CR0.WP is
 * honoured as the guest kernel would see it).  Returns 0 or -EFAULT. */
static int translate(struct vcpu *v, uint64_t gva, bool write, uint64_t *gpa)
{
  uint64_t cr0 = vmcs_read(VMCS_GUEST_CR0);

  if (!(cr0 & X86_CR0_PG)) {
    if (gva >> 32)
      return -EFAULT; /* no paging: 32-bit addresses only */
    *gpa = gva;
    return 0;
  }
  if (!(vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA))
    return -EFAULT; /* 32-bit paging modes are not supported for guest pointers */
  /* Canonical: bits 63..47 all equal. */
  if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
    return -EFAULT;

  uint64_t table = vmcs_read(VMCS_GUEST_CR3) & PTE_ADDR;
  bool check_w = write && (cr0 & X86_CR0_WP);
  for (int level = 3; level >= 0; level--) {
    unsigned int shift = 12 + 9 * (unsigned int)level;
    /* An entry is 8 aligned bytes: never split across pages, so one p2m
     * lookup and a load. */
    uint64_t size;
    enum p2m_type type;
    paddr_t hpa = p2m_query_fast(v->dom, table + ((gva >> shift) & 511) * 8, &size, &type);
    if (!hpa)
      return -EFAULT;
    uint64_t e = *(volatile uint64_t *)phys_to_virt(hpa);
    if (!(e & PTE_P) || (check_w && !(e & PTE_W)))
      return -EFAULT;
    if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
      uint64_t size = 1ULL << shift;
      *gpa = (e & PTE_ADDR & ~(size - 1)) | (gva & (size - 1));
      return 0;
    }
    table = e & PTE_ADDR;
  }
  return -EFAULT;
}

/* Move len bytes, one guest page at a time (a buffer may span pages that
 * are far apart in guest-physical memory).  A piece never crosses a guest
 * page, so one p2m lookup covers it; the rules are guestmem_write's: any
 * mapped page, but no writing into a read-only grant. */
static int copy(struct vcpu *v, uint64_t gva, void *buf, size_t len, bool write)
{
  while (len) {
    uint64_t gpa, size;
    enum p2m_type type;
    if (translate(v, gva, write, &gpa))
      return -EFAULT;
    size_t n = MIN(len, (size_t)(PAGE_SIZE - (gva & (PAGE_SIZE - 1))));
    paddr_t hpa = p2m_query_fast(v->dom, gpa, &size, &type);
    if (!hpa || (write && type == P2M_GRANT_RO))
      return -EFAULT;
    if (write)
      memcpy(phys_to_virt(hpa), buf, n);
    else
      memcpy(buf, phys_to_virt(hpa), n);
    gva += n;
    buf = (char *)buf + n;
    len -= n;
  }
  return 0;
}

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  return copy(v, gva, dst, len, false);
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  return copy(v, gva, (void *)src, len, true);
}
