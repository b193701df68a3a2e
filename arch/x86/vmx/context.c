/* A domain's saved state as records (XEN_DOMCTL_gethvmcontext and
 * sethvmcontext, public/hvm_save.h): what a toolstack's domain builder
 * reads and writes to start a PVH guest's first vcpu (Xen's libxenguest
 * reads the whole context, keeps its HEADER and MTRR records and writes
 * back HEADER, CPU and MTRR).  The stream's rules, the checks and their
 * errnos follow Xen 4.19 (arch/x86/hvm/save.c hvm_save/hvm_load and
 * arch_hvm_check, hvm.c hvm_load_cpu_ctxt, mtrr.c); like Xen 4.19, every
 * record is checked before any is loaded.
 *
 * Records offered: HEADER, CPU, MTRR, END.  A vcpu's CPU record can be
 * read only before it first runs (a context saved from a running guest,
 * i.e. save/restore and migration, is not offered: -EOPNOTSUPP); other
 * record types Xen knows are refused (-EOPNOTSUPP, said in the log). */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/hwdom.h>
#include <arch/lapic.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <arch/x86_bits.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/printk.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <public/hvm_save.h>

_Static_assert(sizeof(struct hvm_save_descriptor) == 8, "descriptor");
_Static_assert(sizeof(struct hvm_save_header) == 24, "HEADER");
_Static_assert(sizeof(struct hvm_hw_cpu) == 1032, "CPU");
_Static_assert(offsetof(struct hvm_hw_cpu, rip) == 512 + 16 * 8, "CPU rip");
_Static_assert(offsetof(struct hvm_hw_cpu, cs_sel) == 512 + 28 * 8, "CPU cs_sel");
_Static_assert(offsetof(struct hvm_hw_cpu, cs_base) == 512 + 28 * 8 + 18 * 4, "CPU cs_base");
_Static_assert(offsetof(struct hvm_hw_cpu, tsc) == 1008, "CPU tsc");
_Static_assert(offsetof(struct hvm_hw_cpu, flags) == 1024, "CPU flags");
_Static_assert(sizeof(struct hvm_hw_mtrr) == 240, "MTRR");

/* The largest stream sethvmcontext takes: every record of a domain with
 * the most vcpus, and room for Xen's other records (refused, but said). */
#define CONTEXT_MAX (64 * 1024)
/* Record types Xen 4.19 knows and mica does not load (PIC ... TSC_ADJUST,
 * CPU_XSAVE 16, CPU_MSR 20): refused as not offered rather than unknown. */
#define XEN_LAST_SAVE_CODE 20

#define CR0_KNOWN                                                                                  \
  (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |      \
   X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
#define EFER_KNOWN (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* A vcpu whose state lives in its VMCS (it has run, or the boot-time
 * builder set it): its CPU record cannot be read here. */
static bool has_run(const struct vcpu *v) { return v->initialised && !v->arch.load_ctx; }

/* ---- get ---- */

static uint32_t context_size(const struct domain *d)
{
  uint32_t n = 2 * sizeof(struct hvm_save_descriptor) + sizeof(struct hvm_save_header);
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    if (d->vcpus[i]->arch.load_ctx)
      n += sizeof(struct hvm_save_descriptor) + sizeof(struct hvm_hw_cpu);
    n += sizeof(struct hvm_save_descriptor) + sizeof(struct hvm_hw_mtrr);
  }
  return n;
}

static uint8_t *put(uint8_t *p, uint16_t code, uint16_t instance, const void *rec, uint32_t len)
{
  struct hvm_save_descriptor desc = {code, instance, len};
  memcpy(p, &desc, sizeof(desc));
  memcpy(p + sizeof(desc), rec, len);
  return p + sizeof(desc) + len;
}

long arch_hvm_context_get(struct vcpu *caller, struct domain *d, uint64_t buf, uint32_t *size)
{
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    if (has_run(d->vcpus[i])) {
      pr_info("%s: gethvmcontext: vcpu %u has run; its state cannot be saved here", d->name, i);
      return -EOPNOTSUPP;
    }
  uint32_t need = context_size(d);
  if (!buf) {
    *size = need; /* the caller asks how big a buffer to bring */
    return 0;
  }
  if (*size < need)
    return -ENOSPC;
  uint8_t *data = heap_alloc(need);
  if (!data)
    return -ENOMEM;
  /* Xen's order: HEADER, then each type by code, every vcpu's in turn. */
  struct hvm_save_header h = {.magic = HVM_FILE_MAGIC,
                              .version = HVM_FILE_VERSION,
                              .cpuid = cpuid(1, 0).eax,
                              .gtsc_khz = (uint32_t)(time_tsc_hz / 1000)};
  uint8_t *p = put(data, HVM_SAVE_CODE_HEADER, 0, &h, sizeof(h));
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    if (d->vcpus[i]->arch.load_ctx) /* a vcpu that is down has no CPU record */
      p = put(p, HVM_SAVE_CODE_CPU, (uint16_t)i, d->vcpus[i]->arch.load_ctx,
              sizeof(struct hvm_hw_cpu));
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    struct hvm_hw_mtrr m;
    vmx_mtrr_record_save(d->vcpus[i], &m);
    p = put(p, HVM_SAVE_CODE_MTRR, (uint16_t)i, &m, sizeof(m));
  }
  p = put(p, HVM_SAVE_CODE_END, 0, NULL, 0);
  long err = arch_copy_to_guest(caller, buf, data, need) ? -EFAULT : 0;
  heap_free(data);
  *size = need;
  return err;
}

/* ---- set ---- */

/* Xen's 12-bit segment attributes to VMX access rights (SDM 24.4.1): bits
 * 8-11 move up to 12-15, and a segment that is not present is unusable. */
static uint32_t vmx_ar(uint32_t attr)
{
  /* Old Xen saved the VMX form itself: unfold it first, as Xen does. */
  if ((attr & 0xf000) && !(attr & 0x0f00))
    attr = (attr & 0xff) | ((attr >> 4) & 0xf00);
  return (attr & 0xff) | ((attr & 0xf00) << 4) | ((attr & 0x80) ? 0 : 1U << 16);
}

/* The checks of Xen's hvm_load_cpu_ctxt, in its order (and TR, which a
 * VM entry needs usable).  0 or -EINVAL / -EOPNOTSUPP. */
static long check_cpu(const struct domain *d, unsigned int vcpu, const struct hvm_hw_cpu *c)
{
  bool pg = c->cr0 & X86_CR0_PG;
  if (c->pad0)
    return -EINVAL;
  if ((c->cr0 & ~CR0_KNOWN) || !(c->cr0 & X86_CR0_ET) ||
      (c->cr0 & (X86_CR0_PE | X86_CR0_PG)) == X86_CR0_PG) {
    pr_info("%s: sethvmcontext: vcpu %u: bad CR0 0x%llx", d->name, vcpu,
            (unsigned long long)c->cr0);
    return -EINVAL;
  }
  if (c->cr4 & (VMX_CR4_NEVER_VALID | X86_CR4_VMXE)) {
    pr_info("%s: sethvmcontext: vcpu %u: bad CR4 0x%llx", d->name, vcpu,
            (unsigned long long)c->cr4);
    return -EINVAL;
  }
  /* hvm_efer_valid: known bits; LMA only with LME and paging; long mode
   * with paging needs LMA and PAE. */
  uint64_t efer = c->msr_efer;
  if ((efer & ~EFER_KNOWN) || ((efer & EFER_LMA) && (!(efer & EFER_LME) || !pg)) ||
      (pg && (efer & EFER_LME) && (!(efer & EFER_LMA) || !(c->cr4 & X86_CR4_PAE)))) {
    pr_info("%s: sethvmcontext: vcpu %u: bad EFER 0x%llx", d->name, vcpu, (unsigned long long)efer);
    return -EINVAL;
  }
  if (c->dr6 >> 32 || c->dr7 >> 32)
    return -EINVAL;
  if (c->cr3 >> arch_guest_paddr_bits())
    return -EINVAL;
  if (c->flags & ~XEN_X86_FPU_INITIALISED)
    return -EINVAL;
  if (c->msr_tsc_aux >> 32)
    return -EINVAL;
  uint32_t tr = vmx_ar(c->tr_arbytes);
  if ((tr & (1U << 16)) || ((tr & 0xf) != 3 && (tr & 0xf) != 11)) {
    pr_info("%s: sethvmcontext: vcpu %u: TR is not a busy TSS (0x%x)", d->name, vcpu,
            c->tr_arbytes);
    return -EINVAL; /* the VM entry would fail */
  }
  if (c->pending_event & (1U << 31)) {
    pr_info("%s: sethvmcontext: vcpu %u: a pending event is not taken here", d->name, vcpu);
    return -EOPNOTSUPP;
  }
  return 0;
}

/* One pass over the records after the HEADER: checking (load false) or
 * loading (load true, after a checking pass said 0). */
static long walk(struct domain *d, const uint8_t *data, uint32_t size, uint32_t pos, bool load)
{
  for (;;) {
    struct hvm_save_descriptor desc;
    if (size - pos < sizeof(desc))
      return -ENODATA; /* no END record */
    memcpy(&desc, data + pos, sizeof(desc));
    pos += sizeof(desc);
    if (desc.typecode == HVM_SAVE_CODE_END)
      return 0;
    if (desc.length > size - pos)
      return -ENODATA;
    const uint8_t *rec = data + pos;
    pos += desc.length;
    if (desc.typecode != HVM_SAVE_CODE_CPU && desc.typecode != HVM_SAVE_CODE_MTRR) {
      if (desc.typecode > HVM_SAVE_CODE_HEADER && desc.typecode <= XEN_LAST_SAVE_CODE) {
        pr_info("%s: sethvmcontext: record type %u is not offered here", d->name, desc.typecode);
        return -EOPNOTSUPP;
      }
      return -EINVAL; /* Xen: "unknown entry typecode" */
    }
    if (desc.instance >= d->nr_vcpus)
      return -EINVAL; /* "has no vcpu" */
    struct vcpu *v = d->vcpus[desc.instance];
    long err;
    if (desc.typecode == HVM_SAVE_CODE_CPU) {
      /* Shorter records (older Xen) are zero-extended, longer refused. */
      struct hvm_hw_cpu c;
      if (desc.length > sizeof(c))
        return -EINVAL;
      memset(&c, 0, sizeof(c));
      memcpy(&c, rec, desc.length);
      if (!load) {
        if ((err = check_cpu(d, desc.instance, &c)))
          return err;
        continue;
      }
      /* What VMX does not switch goes in now (v is on no CPU); the VMCS
       * is written when v next runs (vmx_context_apply). */
      if (!v->arch.load_ctx && !(v->arch.load_ctx = heap_alloc(sizeof(c))))
        return -ENOMEM; /* reserved in the checking pass: cannot happen */
      *v->arch.load_ctx = c;
      if (c.flags & XEN_X86_FPU_INITIALISED)
        memcpy(v->arch.fpu, c.fpu_regs, sizeof(v->arch.fpu));
      else
        vmx_switch_vcpu_init(v);
      v->arch.cr2 = c.cr2;
      const uint64_t dr[] = {c.dr0, c.dr1, c.dr2, c.dr3, c.dr6};
      memcpy(v->arch.dr, dr, sizeof(v->arch.dr));
      struct guest_regs *r = &v->arch.regs;
      *r = (struct guest_regs){.rdi = c.rdi,
                               .rsi = c.rsi,
                               .rdx = c.rdx,
                               .r10 = c.r10,
                               .r8 = c.r8,
                               .r9 = c.r9,
                               .rax = c.rax,
                               .rbx = c.rbx,
                               .rcx = c.rcx,
                               .rbp = c.rbp,
                               .r11 = c.r11,
                               .r12 = c.r12,
                               .r13 = c.r13,
                               .r14 = c.r14,
                               .r15 = c.r15};
      uint64_t *s = v->arch.msrs.sticky;
      s[VMX_STICKY_STAR] = c.msr_star;
      s[VMX_STICKY_LSTAR] = c.msr_lstar;
      s[VMX_STICKY_CSTAR] = c.msr_cstar;
      s[VMX_STICKY_SFMASK] = c.msr_syscall_mask;
      s[VMX_STICKY_TSC_AUX] = vmx_has_rdtscp ? c.msr_tsc_aux : 0;
      v->arch.msrs.kernel_gs_base = c.shadow_gs;
      v->initialised = true;
      if (!v->online)
        sched_vcpu_start(v); /* it runs when its domain is unpaused */
    } else {
      struct hvm_hw_mtrr m;
      if (desc.length != sizeof(m))
        return -EINVAL;
      memcpy(&m, rec, sizeof(m));
      if (!load && (err = vmx_mtrr_record_check(&m)))
        return err;
      if (load)
        vmx_mtrr_record_load(v, &m);
    }
  }
}

long arch_hvm_context_set(struct vcpu *caller, struct domain *d, uint64_t buf, uint32_t size)
{
  if (d->state != DOMAIN_RUNNING)
    return -EINVAL; /* Xen: a dying domain */
  if (size > CONTEXT_MAX)
    return -ENOMEM;
  uint8_t *data = heap_alloc(size ? size : 1);
  if (!data)
    return -ENOMEM;
  long err = -EFAULT;
  if (arch_copy_from_guest(caller, data, buf, size))
    goto out;
  /* The HEADER comes first and has its exact size (Xen's hvm_get_entry). */
  struct hvm_save_descriptor desc;
  struct hvm_save_header h;
  err = -ENODATA;
  if (size < sizeof(desc) + sizeof(h))
    goto out;
  memcpy(&desc, data, sizeof(desc));
  memcpy(&h, data + sizeof(desc), sizeof(h));
  if (desc.typecode != HVM_SAVE_CODE_HEADER || desc.length != sizeof(h))
    goto out;
  err = -EINVAL;
  if (h.magic != HVM_FILE_MAGIC || h.version != HVM_FILE_VERSION)
    goto out;
  /* The vcpus' state is about to change under them: none may be on a
   * CPU (the toolstack has the new domain paused). */
  err = -EBUSY;
  if (sched_domain_on_cpu(d))
    goto out;
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    if (has_run(d->vcpus[i]))
      goto out_run;
  uint32_t first = sizeof(desc) + sizeof(h);
  err = walk(d, data, size, first, false);
  if (err)
    goto out;
  /* Every CPU record's buffer first, so that loading cannot fail half
   * way. */
  for (uint32_t pos = first; size - pos >= sizeof(desc);) {
    memcpy(&desc, data + pos, sizeof(desc));
    if (desc.typecode == HVM_SAVE_CODE_END)
      break;
    struct vcpu *v = d->vcpus[desc.instance];
    if (desc.typecode == HVM_SAVE_CODE_CPU && !v->arch.load_ctx &&
        !(v->arch.load_ctx = heap_zalloc(sizeof(struct hvm_hw_cpu)))) {
      err = -ENOMEM;
      goto out;
    }
    pos += sizeof(desc) + desc.length;
  }
  for (unsigned int i = 0; i < d->nr_vcpus; i++) {
    err = vmx_vcpu_prepare(d->vcpus[i]);
    if (err)
      goto out;
  }
  err = walk(d, data, size, first, true);
out:
  heap_free(data);
  return err;
out_run:
  pr_info("%s: sethvmcontext: its vcpus have run; loading a saved state is not offered", d->name);
  heap_free(data);
  return -EOPNOTSUPP;
}

int vmx_context_apply(struct vcpu *v)
{
  struct hvm_hw_cpu *c = v->arch.load_ctx;
  int err = vmcs_init_pvh(v->dom->arch.ept_root, v->arch.vpid, 0) ?: hwdom_vmcs_setup(v);
  if (err)
    return err;
  if (c->cr4 & ~vmx_cr4_guest_valid(v))
    return -EIO; /* a feature its CPUID does not show */
  err |= vmcs_write(VMCS_GUEST_CR0, c->cr0 | X86_CR0_NE);
  err |= vmcs_write(VMCS_CR0_READ_SHADOW, c->cr0);
  err |= vmcs_write(VMCS_GUEST_CR4, c->cr4 | X86_CR4_VMXE);
  err |= vmcs_write(VMCS_CR4_READ_SHADOW, c->cr4);
  err |= vmcs_write(VMCS_GUEST_CR3, c->cr3);
  err |= vmcs_write(VMCS_GUEST_IA32_EFER, c->msr_efer);
  uint64_t entry = vmcs_read(VMCS_ENTRY_CONTROLS);
  err |= vmcs_write(VMCS_ENTRY_CONTROLS, (c->msr_efer & EFER_LMA) ? entry | ENTRY_IA32E_MODE
                                                                  : entry & ~ENTRY_IA32E_MODE);
  if (entry & ENTRY_LOAD_IA32_PAT)
    err |= vmcs_write(VMCS_GUEST_IA32_PAT, v->arch.msrs.pat);
  /* ES CS SS DS FS GS LDTR TR: the VMCS's order. */
  const uint32_t sel[] = {c->es_sel, c->cs_sel, c->ss_sel,   c->ds_sel,
                          c->fs_sel, c->gs_sel, c->ldtr_sel, c->tr_sel};
  const uint32_t limit[] = {c->es_limit, c->cs_limit, c->ss_limit,   c->ds_limit,
                            c->fs_limit, c->gs_limit, c->ldtr_limit, c->tr_limit};
  const uint64_t base[] = {c->es_base, c->cs_base, c->ss_base,   c->ds_base,
                           c->fs_base, c->gs_base, c->ldtr_base, c->tr_base};
  const uint32_t attr[] = {c->es_arbytes, c->cs_arbytes, c->ss_arbytes,   c->ds_arbytes,
                           c->fs_arbytes, c->gs_arbytes, c->ldtr_arbytes, c->tr_arbytes};
  for (unsigned int i = 0; i < 8; i++) {
    err |= vmcs_write(VMCS_GUEST_ES_SEL + 2 * i, sel[i] & 0xffff);
    err |= vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * i, limit[i]);
    err |= vmcs_write(VMCS_GUEST_ES_BASE + 2 * i, base[i]);
    err |= vmcs_write(VMCS_GUEST_ES_AR + 2 * i, vmx_ar(attr[i]));
  }
  err |= vmcs_write(VMCS_GUEST_GDTR_BASE, c->gdtr_base);
  err |= vmcs_write(VMCS_GUEST_GDTR_LIMIT, c->gdtr_limit);
  err |= vmcs_write(VMCS_GUEST_IDTR_BASE, c->idtr_base);
  err |= vmcs_write(VMCS_GUEST_IDTR_LIMIT, c->idtr_limit);
  err |= vmcs_write(VMCS_GUEST_RIP, c->rip);
  err |= vmcs_write(VMCS_GUEST_RSP, c->rsp);
  err |= vmcs_write(VMCS_GUEST_RFLAGS, c->rflags | 2); /* bit 1 is always set */
  err |= vmcs_write(VMCS_GUEST_DR7, c->dr7);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_CS, c->sysenter_cs);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_ESP, c->sysenter_esp);
  err |= vmcs_write(VMCS_GUEST_SYSENTER_EIP, c->sysenter_eip);
  if (err)
    return -EIO;
  /* A breakpoint its record enables watches its own addresses at once
   * (switch.c). */
  if (c->dr7 & DR7_ENABLES)
    vmx_switch_dr_access(v);
  heap_free(c);
  v->arch.load_ctx = NULL;
  return vmx_load_pdptes(v) ? -EIO : 0;
}
