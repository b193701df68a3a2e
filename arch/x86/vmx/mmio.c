/* EPT violations at guest-physical addresses with nothing behind them:
 * the xAPIC page of a vcpu's local APIC (arch/x86/vlapic.c serves it),
 * MMIO holes, the HPET and I/O APIC addresses of a guest without those
 * devices, a frame the guest gave back.  As in Xen, the access is
 * completed: a hole's reads give all ones, its writes are dropped, and
 * the guest goes on.  (Xen 4.19: an unpopulated gfn reads as p2m_mmio_dm in the p2m
 * (arch/x86/mm/p2m-ept.c, ept_get_entry), so hvm_hap_nested_page_fault
 * sends it to handle_mmio; hvmemul_do_io (arch/x86/hvm/emulate.c) finds
 * no ioreq server and runs it through null_handler, whose read is ~0 and
 * whose write does nothing.)  The instruction is fetched through the
 * guest's page tables with the checks of hypercall arguments, decoded
 * and emulated by arch/x86/decode.c and emulate.c.  What those cannot
 * decode crashes the domain with the bytes in the message (Xen logs them
 * and injects #GP). */
#include <arch/arch.h>
#include <arch/decode.h>
#include <arch/vioapic.h>
#include <arch/vlapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/vpci.h>
#include <arch/x86_bits.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/guestmem.h>
#include <hv/hwdom.h>
#include <hv/printk.h>
#include <hv/string.h>

/* EPT violation exit qualification (SDM vol. 3, 28.2.1, table 28-7). */
#define EPTQ_READ (1ULL << 0)
#define EPTQ_WRITE (1ULL << 1)
#define EPTQ_FETCH (1ULL << 2)
#define EPTQ_LA_VALID (1ULL << 7)  /* the guest linear address field is valid */
#define EPTQ_LA_ACCESS (1ULL << 8) /* ... and the access was to it, not a paging structure */

/* What the emulated instruction's accesses need: the vcpu, and the page
 * of the access that exited, whose translation the CPU already gave (used
 * only when the two addresses agree on the offset in the page: for an
 * access split across pages they need not be of the same byte). */
struct mmio_ctx {
  struct vcpu *v;
  uint64_t fault_la, fault_gpa;
  bool la_valid;
  bool hole; /* some access went to a hole (to say so once) */
};

/* An access to gpa, n bytes within one page, where the p2m has nothing:
 * the one place an emulated device claims its range (the vcpu's local
 * APIC its xAPIC page; for the hardware domain its I/O APICs, the ECAM
 * windows and the MSI-X tables); what nobody claims is a hole, as Xen's null
 * handler (emulate.c, null_read ~0, null_write nothing). */
static int unbacked(struct mmio_ctx *c, uint64_t gpa, void *buf, unsigned int n, bool write)
{
  if (vlapic_mmio(c->v, gpa, buf, n, write) || vioapic_mmio(c->v, gpa, buf, n, write) ||
      (c->v->dom->hwdom && vpci_mmio(gpa, buf, n, write)))
    return 0;
  c->hole = true;
  if (!write)
    memset(buf, 0xff, n);
  return 0;
}

/* One access of the emulated instruction at linear address la, a page at
 * a time: RAM (the other side of a movs, say) through the p2m as a guest
 * pointer would be, the rest unbacked(). */
static int access(struct mmio_ctx *c, uint64_t la, void *buf, unsigned int size, bool write)
{
  struct domain *d = c->v->dom;
  while (size) {
    unsigned int n = MIN(size, (unsigned int)(PAGE_SIZE - (la & (PAGE_SIZE - 1))));
    uint64_t gpa;
    /* The page that exited is the one vmx_handle_mmio found unbacked;
     * any other is translated and looked up. */
    bool known = c->la_valid && (la >> PAGE_SHIFT) == (c->fault_la >> PAGE_SHIFT) &&
                 !((c->fault_la ^ c->fault_gpa) & (PAGE_SIZE - 1));
    int err = 0;
    if (known)
      gpa = (c->fault_gpa & ~(uint64_t)(PAGE_SIZE - 1)) | (la & (PAGE_SIZE - 1));
    else if (arch_guest_translate(c->v, la, write, &gpa))
      return -EFAULT;
    if (!known && arch_p2m_query(d, gpa, NULL, NULL))
      err = write ? guestmem_write(d, gpa, buf, n) : guestmem_read(d, gpa, buf, n);
    else
      err = unbacked(c, gpa, buf, n, write);
    if (err)
      return err;
    la += n;
    buf = (char *)buf + n;
    size -= n;
  }
  return 0;
}

static int mem_read(void *ctx, uint64_t la, void *buf, unsigned int size)
{
  return access(ctx, la, buf, size, false);
}

static int mem_write(void *ctx, uint64_t la, const void *buf, unsigned int size)
{
  return access(ctx, la, (void *)buf, size, true);
}

static const struct x86_mem_ops hole_ops = {mem_read, mem_write};

/* The vcpu's code size: 64-bit with IA-32e and CS.L, else CS.D, and 16
 * bits in real mode (SDM vol. 3, 5.2.1 and 3.4.5). */
static unsigned int cpu_mode(void)
{
  uint64_t ar = vmcs_read(VMCS_GUEST_CS_AR);
  if ((vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (ar & CS_AR_L))
    return X86_MODE_64;
  if (!(vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE))
    return X86_MODE_16;
  return ar & CS_AR_DB ? X86_MODE_32 : X86_MODE_16;
}

static void state_in(struct vcpu *v, struct x86_state *s)
{
  const struct guest_regs *r = &v->arch.regs;
  *s = (struct x86_state){
      .gpr = {r->rax, r->rcx, r->rdx, r->rbx, vmcs_read(VMCS_GUEST_RSP), r->rbp, r->rsi, r->rdi,
              r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15},
      .rip = vmcs_read(VMCS_GUEST_RIP),
      .rflags = vmcs_read(VMCS_GUEST_RFLAGS),
      .mode = cpu_mode(),
  };
  /* The VMCS keeps the bases in the Sreg order (ES CS SS DS FS GS); in
   * 64-bit mode only FS's and GS's count. */
  for (unsigned int i = s->mode == X86_MODE_64 ? X86_FS : 0; i < X86_NR_SEGS; i++)
    s->seg_base[i] = vmcs_read(VMCS_GUEST_ES_BASE + 2 * i);
}

static void state_out(struct vcpu *v, const struct x86_state *s, const struct x86_state *was)
{
  struct guest_regs *r = &v->arch.regs;
  r->rax = s->gpr[X86_RAX];
  r->rcx = s->gpr[X86_RCX];
  r->rdx = s->gpr[X86_RDX];
  r->rbx = s->gpr[X86_RBX];
  r->rbp = s->gpr[X86_RBP];
  r->rsi = s->gpr[X86_RSI];
  r->rdi = s->gpr[X86_RDI];
  r->r8 = s->gpr[X86_R8];
  r->r9 = s->gpr[X86_R9];
  r->r10 = s->gpr[X86_R10];
  r->r11 = s->gpr[X86_R11];
  r->r12 = s->gpr[X86_R12];
  r->r13 = s->gpr[X86_R13];
  r->r14 = s->gpr[X86_R14];
  r->r15 = s->gpr[X86_R15];
  if (s->gpr[X86_RSP] != was->gpr[X86_RSP])
    vmcs_write(VMCS_GUEST_RSP, s->gpr[X86_RSP]);
  if (s->rflags != was->rflags)
    vmcs_write(VMCS_GUEST_RFLAGS, s->rflags);
  if (s->rip != was->rip)
    vmx_set_rip(s->rip);
}

/* Fetch and decode the instruction at CS:RIP: 15 bytes, or up to the end
 * of the page when the next one does not translate (then a short decode
 * fetches no more).  *n says how many bytes were fetched (0: none). */
static int fetch_decode(struct vcpu *v, const struct x86_state *s, uint8_t *bytes, size_t *n,
                        struct x86_insn *insn)
{
  uint64_t la = s->rip + (s->mode == X86_MODE_64 ? 0 : s->seg_base[X86_CS]);
  if (s->mode != X86_MODE_64)
    la = (uint32_t)la;
  *n = X86_MAX_INSN_LEN;
  if (arch_copy_from_guest(v, bytes, la, *n)) {
    *n = MIN((size_t)X86_MAX_INSN_LEN, (size_t)(PAGE_SIZE - (la & (PAGE_SIZE - 1))));
    if (arch_copy_from_guest(v, bytes, la, *n)) {
      *n = 0;
      return X86_DECODE_SHORT;
    }
  }
  return x86_decode(bytes, *n, s->mode, insn);
}

/* "8b 08 ..." for a message: at most 15 bytes, so 45 characters. */
static void hex_bytes(char *out, const uint8_t *bytes, size_t n)
{
  static const char digit[] = "0123456789abcdef";
  char *p = out;
  for (size_t i = 0; i < n; i++) {
    *p++ = digit[bytes[i] >> 4];
    *p++ = digit[bytes[i] & 15];
    *p++ = ' ';
  }
  if (p > out)
    p--;
  *p = '\0';
}

int vmx_handle_mmio(struct vcpu *v, uint64_t q)
{
  uint64_t gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
  const char *what = q & EPTQ_WRITE ? "write" : q & EPTQ_FETCH ? "instruction fetch" : "read";
  /* The hardware domain reaches the host's device memory and firmware
   * areas 1:1, mapped when first touched (Xen 4.19's hwdom_fixup_p2m);
   * the access then runs again, now mapped. */
  if (v->dom->hwdom && !arch_p2m_query(v->dom, gpa, NULL, NULL)) {
    enum p2m_type t = hwdom_direct_type(gpa);
    paddr_t old, page = gpa & ~(uint64_t)(PAGE_SIZE - 1);
    if (t != P2M_NONE && !arch_p2m_set_type(v->dom, page, page, t, &old, NULL))
      return 0;
  }
  struct x86_state s, was;
  struct x86_insn insn;
  uint8_t bytes[X86_MAX_INSN_LEN];
  char hex[3 * X86_MAX_INSN_LEN + 1];
  size_t n = 0;

  /* Only an instruction's data access to a hole is completed: code is
   * never run from one, a guest page-table walk through one is the
   * guest's bug, so is an access the CPU made delivering an event (its
   * IDT or stack in a hole: IDT-vectoring information valid, SDM vol. 3,
   * 28.2.4), and a write to a read-only grant mapping stays the crash it
   * was. */
  if ((q & EPTQ_FETCH) ||
      (q & (EPTQ_LA_VALID | EPTQ_LA_ACCESS)) != (EPTQ_LA_VALID | EPTQ_LA_ACCESS) ||
      (vmcs_read(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID) ||
      arch_p2m_query(v->dom, gpa, NULL, NULL))
    goto crash;
  state_in(v, &s);
  was = s;
  int rc = fetch_decode(v, &s, bytes, &n, &insn);
  if (rc) {
    hex_bytes(hex, bytes, n);
    domain_crash(v->dom, "EPT violation: %s at gpa 0x%llx, rip 0x%llx: %s instruction (%s)", what,
                 (unsigned long long)gpa, (unsigned long long)s.rip,
                 !n                       ? "cannot fetch the"
                 : rc == X86_DECODE_SHORT ? "a truncated"
                                          : "cannot emulate the",
                 n ? hex : "no bytes");
    return 1;
  }
  struct mmio_ctx c = {v, vmcs_read(VMCS_GUEST_LINEAR_ADDR), gpa, true, false};
  rc = x86_emulate(&insn, &s, &hole_ops, &c);
  if (rc) {
    hex_bytes(hex, bytes, insn.len);
    domain_crash(v->dom, "EPT violation: %s at gpa 0x%llx, rip 0x%llx: emulating (%s) failed: %d",
                 what, (unsigned long long)gpa, (unsigned long long)s.rip, hex, rc);
    return 1;
  }
  state_out(v, &s, &was);
  if (c.hole && !v->dom->arch.hole_said) {
    v->dom->arch.hole_said = true;
    pr_info("%s: %s at gpa 0x%llx: nothing there; reads give all ones and writes are dropped, "
            "as in Xen (said once)",
            v->dom->name, what, (unsigned long long)gpa);
  }
  return 0;

crash:
  domain_crash(v->dom, "EPT violation: %s at gpa 0x%llx, rip 0x%llx", what, (unsigned long long)gpa,
               (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
  return 1;
}
