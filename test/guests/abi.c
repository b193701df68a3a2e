/* abi: the ABI conformance guest.  Calls every hypercall mica implements,
 * with good and bad arguments, and compares each result with what Xen 4.19
 * gives a 64-bit PVH guest (checked in Xen's source, RELEASE-4.19.0; the
 * file and function are named beside each check that mica once got wrong).
 *
 * Output: one line per check, "abi: ok <name>" or "abi: FAIL <name>: got X
 * want Y"; "abi: skip <name>: <why>" for what cannot be checked here; then
 * "abi: N checks, M failed" and TEST PASS (M == 0) or TEST FAIL.
 *
 * Command line (all optional):
 *   vcpus=N    the domain has N vcpus (default 1).  With 2 or more, the
 *              vcpu_op checks that would spoil vcpu 0 use vcpu 1.
 *   domid=N    the domain id to expect (default: what CPUID 0x40000004
 *              says, which must then be 0 exactly when we are privileged).
 *   only=G,... run only these groups of checks: version console sched
 *              memory shinfo hvm vcpu multicall vectors page user compat faults grant
 *              (cpuid
 *              and the shutdown_code checks always run).
 *   codetest   end with SCHEDOP_shutdown_code(poweroff, or crash if a
 *              check failed) followed by SCHEDOP_shutdown(reboot).  In Xen the first code recorded
 *              wins, so the domain is reported powered off; the system
 *              test checks that.  (Not for dom0: Xen reboots the machine.)
 *
 * The guest runs with the runtime's identity map of the first 4 GiB.  It
 * takes three 2 MiB regions near the top of its RAM (a hole in its own
 * page tables, with buffers that run into it just below; a read-only
 * region; scratch pages for shared_info, vcpu_info, the hypercall page and
 * a long console buffer), so it needs 32 MiB of RAM or more.  For the #GP and ring-3 checks it
 * briefly points IDT vectors 3 and 13 at handlers of its own and loads a GDT with user segments and
 * a TSS. */
#include <public/cpuid.h>
#include <public/errno.h>
#include <public/grant_table.h>
#include <public/hvm.h>
#include <public/memory.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/version.h>
#include <public/xen.h>

#include "guest.h"
#include "hypercall.h"

#define PAGE_SIZE 4096UL
#define MiB (1UL << 20)

/* ---- Where mica and Xen have disagreed ----
 * Each entry is a check whose expected value is Xen's and which mica got
 * wrong when this file was written.  `xen` is what the check expects; to
 * accept mica's answer for a while instead, set it to `mica` (and say so
 * in the commit).  `where` is the Xen 4.19 source that decides it. */
enum div_id {
  D_VER_PAGESIZE_ARG,
  D_VER_CMDLINE_DOMU,
  D_VER_BUILDID_DOMU,
  D_VER_BUILDID_LEN0,
  D_VER_BUILDID_FAULT,
  D_FEAT_SUPERVISOR_MODE_KERNEL,
  D_FEAT_WRITABLE_PAGE_TABLES,
  D_FEAT_NOT_DIRECT_MAPPED,
  D_CON_WRITE_NEG_COUNT,
  D_CON_WRITE_HUGE,
  D_CON_READ_DOM0,
  D_CON_READ_NEG_COUNT,
  D_CON_UNKNOWN_DOMU,
  D_SCHED_CODE_BAD_REASON,
  D_MEM_EXTENT_BITS,
  D_MEM_ESRCH_BEFORE_EPERM,
  D_MEM_XATP_ESRCH_BEFORE_EPERM,
  D_MEM_XATP_FOREIGN,
  D_MEM_XATP_DEV_MMIO_DOMU,
  D_MEM_RESERVATION_DROPS,
  D_SHINFO_TIME,
  D_HVM_ESRCH_BEFORE_EPERM,
  D_HVM_SET_STORE_PFN_SELF,
  D_HVM_SET_TIMER_MODE,
  D_HVM_SET_STORE_EVTCHN,
  D_HVM_GET_TIMER_MODE,
  D_HVM_GET_DEPRECATED,
  D_VCPU_OFFSET_PAGE,
  D_VCPU_UNALIGNED,
  D_VCPU_PENDING_SEL,
  D_VCPU_UPCALL_PENDING,
  D_CPUID_MAX_LEAF,
  D_CPUID_40000100,
  D_MSR_READ_HYPERCALL_MSR,
  D_HCPAGE_IRET_UD2,
  D_HCPAGE_128_STUBS,
  D_NR
};

static const struct divergence {
  const char *name;
  long xen;  /* expected */
  long mica; /* what mica returned when the check was written */
  const char *where;
} divs[D_NR] = {
    /* Sources are under xen/ in xen-project/xen, tag RELEASE-4.19.0. */
    [D_VER_PAGESIZE_ARG] = {"xen_version pagesize with arg != NULL", -XEN_EINVAL, 4096,
                            "common/kernel.c do_xen_version: XENVER_pagesize, arg not NULL"},
    [D_VER_CMDLINE_DOMU] = {"xen_version commandline as domU", 0, -XEN_EPERM,
                            "common/kernel.c do_xen_version + xsm/dummy.h xsm_xen_version: "
                            "\"<denied>\", 0"},
    [D_VER_BUILDID_DOMU] = {"xen_version build_id as domU", -XEN_EPERM, -XEN_ENODATA,
                            "common/kernel.c do_xen_version: XENVER_build_id, deny -> -EPERM"},
    [D_VER_BUILDID_LEN0] = {"xen_version build_id len 0", -XEN_EINVAL, -XEN_ENODATA,
                            "common/kernel.c do_xen_version: build_id.len == 0 -> -EINVAL"},
    [D_VER_BUILDID_FAULT] = {"xen_version build_id bad pointer", -XEN_EFAULT, -XEN_ENODATA,
                             "common/kernel.c do_xen_version: build_id copy_from_guest first"},
    [D_FEAT_SUPERVISOR_MODE_KERNEL] = {"features: no supervisor_mode_kernel", 0, 1,
                                       "common/kernel.c do_xen_version: get_features never "
                                       "sets bit 3"},
    [D_FEAT_WRITABLE_PAGE_TABLES] = {"features: writable_page_tables", 1, 0,
                                     "common/kernel.c do_xen_version: get_features, "
                                     "paging_mode_translate"},
    [D_FEAT_NOT_DIRECT_MAPPED] = {"features: not_direct_mapped", 1, 0,
                                  "common/kernel.c do_xen_version: get_features, translated, "
                                  "not direct-mapped"},
    [D_CON_WRITE_NEG_COUNT] = {"console_io write count -1 (unsigned) into a hole", -XEN_EFAULT,
                               -XEN_EINVAL,
                               "drivers/char/console.c do_console_io: count is unsigned int"},
    [D_CON_WRITE_HUGE] = {"console_io write 17000 bytes", 0, -XEN_EINVAL,
                          "drivers/char/console.c guest_console_write: no limit, continuation"},
    [D_CON_READ_DOM0] = {"console_io read as dom0: no serial input pending", 0, 1 /* > 0 */,
                         "drivers/char/console.c do_console_io: CONSOLEIO_read reads "
                         "serial_rx_ring, not the log"},
    [D_CON_READ_NEG_COUNT] = {"console_io read count -1", -XEN_E2BIG, -XEN_EINVAL,
                              "drivers/char/console.c do_console_io: count > INT_MAX -> -E2BIG"},
    [D_CON_UNKNOWN_DOMU] = {"console_io unknown cmd as domU", -XEN_EPERM, -XEN_ENOSYS,
                            "xsm/dummy.h xsm_console_io: XSM_PRIV, before the switch"},
    [D_SCHED_CODE_BAD_REASON] = {"sched_op shutdown_code reason 99", 0, -XEN_EINVAL,
                                 "common/sched/core.c do_sched_op: SCHEDOP_shutdown_code, no "
                                 "range check"},
    [D_MEM_EXTENT_BITS] = {"memory_op current_reservation with extent bits", -XEN_EINVAL, 1,
                           "common/memory.c do_memory_op: start_extent != 0 -> -EINVAL"},
    [D_MEM_ESRCH_BEFORE_EPERM] = {"memory_op current_reservation absent domid as domU", -XEN_ESRCH,
                                  -XEN_EPERM,
                                  "common/memory.c do_memory_op: lookup (-ESRCH) before XSM "
                                  "(-EPERM)"},
    [D_MEM_XATP_ESRCH_BEFORE_EPERM] = {"add_to_physmap absent domid as domU", -XEN_ESRCH,
                                       -XEN_EPERM,
                                       "common/memory.c do_memory_op: lookup before "
                                       "xatp_permission_check"},
    [D_MEM_XATP_FOREIGN] = {"add_to_physmap space gmfn_foreign", -XEN_ENOSYS, -XEN_EINVAL,
                            "common/memory.c do_memory_op: XENMAPSPACE_gmfn_foreign -> -ENOSYS"},
    [D_MEM_XATP_DEV_MMIO_DOMU] = {"add_to_physmap space dev_mmio as domU", -XEN_EACCES, -XEN_EINVAL,
                                  "common/memory.c xatp_permission_check: dev_mmio -> -EACCES"},
    [D_MEM_RESERVATION_DROPS] = {"current_reservation drops by 1 when shared_info replaces RAM", 1,
                                 0,
                                 "arch/x86/mm/p2m.c xenmem_add_to_physmap_one: "
                                 "guest_remove_page"},
    /* Xen: 1, and mica too since the pvclock landed. */
    [D_SHINFO_TIME] = {"shared_info vcpu_info[0].time filled in", 1, 1,
                       "arch/x86/domain.c context_switch: update_vcpu_system_time"},
    [D_HVM_ESRCH_BEFORE_EPERM] = {"hvm_op get_param absent domid as domU", -XEN_ESRCH, -XEN_EPERM,
                                  "arch/x86/hvm/hvm.c hvmop_get_param: lookup before XSM"},
    [D_HVM_SET_STORE_PFN_SELF] = {"hvm_op set STORE_PFN on itself", -XEN_EPERM, 0,
                                  "arch/x86/hvm/hvm.c hvm_allow_set_param: default, "
                                  "d == current -> -EPERM"},
    [D_HVM_SET_TIMER_MODE] = {"hvm_op set TIMER_MODE on itself", -XEN_EPERM, 0,
                              "arch/x86/hvm/hvm.c hvm_allow_set_param: default, d == current"},
    [D_HVM_SET_STORE_EVTCHN] = {"hvm_op set STORE_EVTCHN on itself", 0, -XEN_EPERM,
                                "arch/x86/hvm/hvm.c hvm_allow_set_param: a guest may set it"},
    [D_HVM_GET_TIMER_MODE] = {"hvm_op get TIMER_MODE of itself", -XEN_EPERM, 0,
                              "arch/x86/hvm/hvm.c hvm_allow_get_param: default, d == current"},
    [D_HVM_GET_DEPRECATED] = {"hvm_op get PAE_ENABLED (deprecated)", -XEN_EINVAL, 0,
                              "arch/x86/hvm/hvm.c hvm_allow_get_param: deprecated -> -EINVAL"},
    [D_VCPU_OFFSET_PAGE] = {"register_vcpu_info offset 4096", -XEN_EINVAL, -XEN_ENXIO,
                            "common/domain.c common_vcpu_op: gaddr_to_gfn(gaddr) != mfn"},
    [D_VCPU_UNALIGNED] = {"register_vcpu_info offset 4 (unaligned)", -XEN_ENXIO, 0,
                          "common/domain.c map_guest_area: !IS_ALIGNED(gaddr, 8) -> -ENXIO"},
    [D_VCPU_PENDING_SEL] = {"register_vcpu_info sets evtchn_pending_sel to ~0", 1, 0,
                            "common/domain.c map_guest_area: write_atomic(pending_sel, ~0)"},
    [D_VCPU_UPCALL_PENDING] = {"register_vcpu_info sets evtchn_upcall_pending", 1, 0,
                               "common/domain.c map_guest_area: vcpu_mark_events_pending"},
    [D_CPUID_MAX_LEAF] = {"cpuid 0x40000000 eax (largest leaf)", 0x40000005, 0x40000004,
                          "arch/x86/traps.c cpuid_hypervisor_leaves: base + "
                          "XEN_CPUID_MAX_NUM_LEAVES"},
    [D_CPUID_40000100] = {"cpuid 0x40000100 all zero", 1, 0,
                          "arch/x86/cpuid.c guest_cpuid -> cpuid_hypervisor_leaves: zeros"},
    [D_MSR_READ_HYPERCALL_MSR] = {"rdmsr 0x40000000 raises no #GP", 0, 1,
                                  "arch/x86/traps.c guest_rdmsr_xen: \"Read as zero\""},
    [D_HCPAGE_IRET_UD2] = {"hypercall page stub 23 (iret) is ud2", 1, 0,
                           "arch/x86/hvm/vmx/vmx.c vmx_init_hypercall_page"},
    [D_HCPAGE_128_STUBS] = {"hypercall page has all 128 stubs", 1, 0,
                            "arch/x86/hvm/vmx/vmx.c vmx_init_hypercall_page: PAGE_SIZE / 32"},
};

/* ---- Reporting ---- */

static unsigned int nr_checks, nr_failed;

static const char *errno_name(long v)
{
  static const struct {
    int e;
    const char *name;
  } names[] = {
      {XEN_EPERM, "EPERM"},     {XEN_ENOENT, "ENOENT"},         {XEN_ESRCH, "ESRCH"},
      {XEN_ENXIO, "ENXIO"},     {XEN_E2BIG, "E2BIG"},           {XEN_EAGAIN, "EAGAIN"},
      {XEN_ENOMEM, "ENOMEM"},   {XEN_EACCES, "EACCES"},         {XEN_EFAULT, "EFAULT"},
      {XEN_EBUSY, "EBUSY"},     {XEN_EEXIST, "EEXIST"},         {XEN_EINVAL, "EINVAL"},
      {XEN_EDOM, "EDOM"},       {XEN_ERANGE, "ERANGE"},         {XEN_ENOSYS, "ENOSYS"},
      {XEN_ENODATA, "ENODATA"}, {XEN_EOPNOTSUPP, "EOPNOTSUPP"}, {XEN_ENOBUFS, "ENOBUFS"},
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (v == -names[i].e)
      return names[i].name;
  return NULL;
}

/* "-22 (EINVAL)", "4096", or "0x40013" for big values. */
static void format_value(char *buf, size_t size, long v)
{
  const char *e = errno_name(v);
  if (e)
    snprintf(buf, size, "%ld (%s)", v, e);
  else if (v > 0xffff || v < -0xffff)
    snprintf(buf, size, "0x%lx", (unsigned long)v);
  else
    snprintf(buf, size, "%ld", v);
}

static int report(const char *name, long got, long want, const char *where)
{
  nr_checks++;
  if (got == want) {
    printf("abi: ok %s\n", name);
    return 1;
  }
  char g[40], w[40];
  format_value(g, sizeof(g), got);
  format_value(w, sizeof(w), want);
  nr_failed++;
  printf("abi: FAIL %s: got %s want %s\n", name, g, w);
  if (where)
    printf("abi:   Xen 4.19: %s\n", where);
  return 0;
}

/* One check: got must equal want.  Returns 1 if it did. */
static int check(const char *name, long got, long want) { return report(name, got, want, NULL); }

/* A condition that must hold.  When it does not, the FAIL line shows
 * detail (what was seen) as "got", or 0 if detail happens to be 1. */
static int check_true(const char *name, int cond, long detail)
{
  return report(name, cond ? 1 : detail == 1 ? 0 : detail, 1, NULL);
}

/* A check where mica has differed from Xen: the table says what to expect. */
static int check_div(enum div_id id, long got)
{
  return report(divs[id].name, got, divs[id].xen, divs[id].where);
}

static void skip(const char *name, const char *why) { printf("abi: skip %s: %s\n", name, why); }

/* Is there a NUL in the first n bytes of p? */
static int memchr_nul(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!p[i])
      return 1;
  return 0;
}

/* Does s contain word? */
static int strstr_(const char *s, const char *word)
{
  size_t n = strlen(word);
  for (; *s; s++)
    if (!strncmp(s, word, n))
      return 1;
  return 0;
}

/* ---- Guest memory layout ---- */

#define PTE_W 0x002ULL
#define PTE_U 0x004ULL
#define PTE_PS 0x080ULL
#define PTE_ADDR 0x000ffffffffff000ULL

extern uint64_t boot_pml4[512]; /* runtime/head.S */

/* Guest virtual addresses that must fail as hypercall buffers. */
#define VA_UNMAPPED 0x100000000ULL            /* 4 GiB: no PDPT entry */
#define VA_NONCANONICAL 0x8000000100000000ULL /* its low 48 bits are unmapped too */
#define VA_NOT_RAM 0xc0000000ULL              /* mapped by us; no RAM behind it */

/* Regions at the top of RAM below 4 GiB, set by layout_init(). */
static uint64_t ram_end; /* end of the RAM range starting at 0 */
static uint64_t va_hole; /* 2 MiB not present in our page tables */
static uint64_t va_ro;   /* 2 MiB mapped read-only */
static uint64_t scratch; /* 2 MiB of RAM for the pages below */
#define SHINFO_GPA_1 (scratch)
#define SHINFO_GPA_2 (scratch + 1 * PAGE_SIZE)
#define VCPU_INFO_GPA (scratch + 2 * PAGE_SIZE)
#define VCPU_INFO_GPA_1 (scratch + 3 * PAGE_SIZE) /* vcpu 1's, if any */
#define HCALL_PAGE_GPA (scratch + 4 * PAGE_SIZE)
#define BIG_BUF_GPA (scratch + 8 * PAGE_SIZE) /* 17000 bytes */

/* The page-directory entry mapping va (< 4 GiB) in the runtime's map. */
static uint64_t *pd_entry(uint64_t va)
{
  uint64_t *pdpt = (uint64_t *)(uintptr_t)(boot_pml4[0] & PTE_ADDR);
  uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[(va >> 30) & 511] & PTE_ADDR);
  return &pd[(va >> 21) & 511];
}

static void flush_tlb(void)
{
  uint64_t cr3;
  __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static uint64_t read_cr0(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }

/* ---- Hypercall helpers ---- */

static long xen_ver(int cmd, uint64_t arg)
{
  return hypercall2(__HYPERVISOR_xen_version, (unsigned long)cmd, arg);
}

static long console_io(long cmd, long count, uint64_t buf)
{
  return hypercall3(__HYPERVISOR_console_io, (unsigned long)cmd, (unsigned long)count, buf);
}

static long sched_op(long cmd, uint64_t arg)
{
  return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, arg);
}

static long memory_op(unsigned long cmd, uint64_t arg)
{
  return hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static long hvm_op(unsigned long op, uint64_t arg)
{
  return hypercall2(__HYPERVISOR_hvm_op, op, arg);
}

static long vcpu_op(long cmd, unsigned long vcpu, uint64_t arg)
{
  return hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)cmd, vcpu, arg);
}

#define PTR(p) ((uint64_t)(uintptr_t)(p))

/* ---- CPUID ---- */

struct regs4 {
  uint32_t a, b, c, d;
};

static struct regs4 cpuid2(uint32_t leaf, uint32_t sub)
{
  struct regs4 r;
  __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
  return r;
}

/* ---- Ring 3 (assembly) ----
 * abi_user_vmcall(nr) drops to CPL 3 (iretq to the user segments of our
 * GDT), runs VMCALL with RAX = nr there, and comes back to CPL 0 through
 * int3, whose gate (vector 3, DPL 3) is abi_user_back while the check
 * runs.  It returns what VMCALL left in RAX. */
long abi_user_vmcall(unsigned long nr);
void abi_user_back(void);

uint64_t abi_kernel_rsp;
uint8_t abi_user_stack[4096] __attribute__((aligned(16)));

#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS 0x28

/* clang-format off */
__asm__(
    ".pushsection .text\n"
    ".global abi_user_vmcall\n"
    "abi_user_vmcall:\n"
    "  push %rbx\n"
    "  push %rbp\n"
    "  push %r12\n"
    "  push %r13\n"
    "  push %r14\n"
    "  push %r15\n"
    "  mov %rsp, abi_kernel_rsp(%rip)\n"
    "  mov %rdi, %rax\n"
    "  mov $abi_user_code, %edi\n"
    /* abi_user_iret(rip): to CPL 3 at rip, on abi_user_stack. */
    "abi_user_iret:\n"
    "  pushq $0x1b\n"                         /* SS: SEL_UDATA | 3 */
    "  pushq $(abi_user_stack + 4096)\n"      /* RSP */
    "  pushq $0x2\n"                          /* RFLAGS: IF = 0 */
    "  pushq $0x23\n"                         /* CS: SEL_UCODE | 3 */
    "  push %rdi\n"                           /* RIP */
    "  iretq\n"
    ".global abi_user_code\n"
    "abi_user_code:\n"
    "  xor %edi, %edi\n"
    "  xor %esi, %esi\n"
    "  vmcall\n"
    "  int3\n"
    ".global abi_user_back\n"
    "abi_user_back:\n"
    "  mov abi_kernel_rsp(%rip), %rsp\n"
    "  mov $0x10, %ecx\n"
    "  mov %ecx, %ds\n"
    "  mov %ecx, %es\n"
    "  mov %ecx, %fs\n"
    "  mov %ecx, %gs\n"
    "  mov %ecx, %ss\n"
    "  pop %r15\n"
    "  pop %r14\n"
    "  pop %r13\n"
    "  pop %r12\n"
    "  pop %rbp\n"
    "  pop %rbx\n"
    "  ret\n"
    ".popsection\n");
/* clang-format on */

/* A 64-bit IDT gate (SDM vol. 3 figure 6-8). */
struct idt_gate {
  uint16_t offset_lo;
  uint16_t selector;
  uint8_t ist;
  uint8_t type;
  uint16_t offset_mid;
  uint32_t offset_hi;
  uint32_t reserved;
};

static struct idt_gate *idt_gate(unsigned int vector)
{
  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) d;
  __asm__ volatile("sidt %0" : "=m"(d));
  return (struct idt_gate *)(uintptr_t)d.base + vector;
}

static void gate_set(struct idt_gate *g, void (*fn)(void), uint8_t type)
{
  uint64_t a = (uint64_t)(uintptr_t)fn;
  g->offset_lo = (uint16_t)a;
  g->offset_mid = (uint16_t)(a >> 16);
  g->offset_hi = (uint32_t)(a >> 32);
  g->type = type;
}

/* ---- xen_version ---- */

static void test_xen_version(int privileged)
{
  static char buf[XEN_COMMANDLINE_LEN + 16];
  long r;

  check("xen_version version is 4.19", xen_ver(XENVER_version, 0), (4 << 16) | 19);

  memset(buf, 0x55, sizeof(buf));
  r = xen_ver(XENVER_extraversion, PTR(buf));
  if (check("xen_version extraversion", r, 0))
    check_true("xen_version extraversion NUL-terminated in 16 bytes",
               memchr_nul(buf, XEN_EXTRAVERSION_LEN), 0);
  check("xen_version extraversion leaves byte 16 alone", (unsigned char)buf[16], 0x55);

  struct xen_compile_info ci;
  memset(&ci, 0x55, sizeof(ci));
  if (check("xen_version compile_info", xen_ver(XENVER_compile_info, PTR(&ci)), 0))
    check_true("xen_version compile_info compiler set",
               ci.compiler[0] != 0 && memchr_nul(ci.compiler, sizeof(ci.compiler)), 0);

  memset(buf, 0x55, sizeof(buf));
  if (check("xen_version capabilities", xen_ver(XENVER_capabilities, PTR(buf)), 0))
    check_true("xen_version capabilities has hvm-3.0-x86_64",
               memchr_nul(buf, XEN_CAPABILITIES_INFO_LEN) && strstr_(buf, "hvm-3.0-x86_64"), 0);

  memset(buf, 0x55, sizeof(buf));
  if (check("xen_version changeset", xen_ver(XENVER_changeset, PTR(buf)), 0))
    check_true("xen_version changeset NUL-terminated in 64 bytes",
               memchr_nul(buf, XEN_CHANGESET_INFO_LEN), 0);

  struct xen_platform_parameters pp;
  memset(&pp, 0x55, sizeof(pp));
  if (check("xen_version platform_parameters", xen_ver(XENVER_platform_parameters, PTR(&pp)), 0))
    check("xen_version platform_parameters virt_start 0 (not PV)", (long)pp.virt_start, 0);

  check("xen_version pagesize", xen_ver(XENVER_pagesize, 0), 4096);
  check_div(D_VER_PAGESIZE_ARG, xen_ver(XENVER_pagesize, PTR(buf)));

  uint8_t handle[XEN_DOMAIN_HANDLE_LEN + 1];
  memset(handle, 0x55, sizeof(handle));
  check("xen_version guest_handle", xen_ver(XENVER_guest_handle, PTR(handle)), 0);
  check("xen_version guest_handle writes 16 bytes", handle[XEN_DOMAIN_HANDLE_LEN], 0x55);
  check("xen_version guest_handle bad pointer", xen_ver(XENVER_guest_handle, VA_UNMAPPED),
        -XEN_EFAULT);

  /* Features, word 0: what Xen 4.19 sets for a PVH (translated HVM)
   * domain, and what it never sets. */
  struct xen_feature_info fi = {.submap_idx = 0, .submap = 0x55555555};
  if (check("xen_version get_features 0", xen_ver(XENVER_get_features, PTR(&fi)), 0)) {
    uint32_t f = fi.submap;
    printf("abi: features word 0 = 0x%x\n", f);
    check("features: auto_translated_physmap", (f >> XENFEAT_auto_translated_physmap) & 1, 1);
    check("features: dom0 iff privileged", (f >> XENFEAT_dom0) & 1, privileged ? 1 : 0);
    check_div(D_FEAT_SUPERVISOR_MODE_KERNEL, (f >> XENFEAT_supervisor_mode_kernel) & 1);
    check_div(D_FEAT_WRITABLE_PAGE_TABLES, (f >> XENFEAT_writable_page_tables) & 1);
    check_div(D_FEAT_NOT_DIRECT_MAPPED, (f >> XENFEAT_not_direct_mapped) & 1);
    /* PV-only bits Xen never gives an HVM domain. */
    uint32_t pv_only = 1U << XENFEAT_mmu_pt_update_preserve_ad | 1U << XENFEAT_highmem_assist |
                       1U << XENFEAT_gnttab_map_avail_bits | 1U << XENFEAT_direct_mapped |
                       1U << XENFEAT_writable_descriptor_tables;
    check("features: no PV-only bits", (long)(f & pv_only), 0);
  }
  fi = (struct xen_feature_info){.submap_idx = 1};
  check("xen_version get_features submap 1", xen_ver(XENVER_get_features, PTR(&fi)), -XEN_EINVAL);
  fi = (struct xen_feature_info){.submap_idx = 0xffffffff};
  check("xen_version get_features submap ~0", xen_ver(XENVER_get_features, PTR(&fi)), -XEN_EINVAL);
  check("xen_version get_features bad pointer", xen_ver(XENVER_get_features, VA_UNMAPPED),
        -XEN_EFAULT);

  memset(buf, 0x55, sizeof(buf));
  r = xen_ver(XENVER_commandline, PTR(buf));
  if (privileged) {
    if (check("xen_version commandline as dom0", r, 0))
      check_true("xen_version commandline NUL-terminated", memchr_nul(buf, XEN_COMMANDLINE_LEN), 0);
  } else if (check_div(D_VER_CMDLINE_DOMU, r)) {
    check("xen_version commandline as domU reads \"<denied>\"", strcmp(buf, "<denied>"), 0);
  }

  /* build_id: a hypervisor without one answers -ENODATA to a size query. */
  struct {
    struct xen_build_id h;
    uint8_t space[64];
  } bid;
  if (privileged) {
    r = xen_ver(XENVER_build_id, 0);
    check_true("xen_version build_id size query (> 0 or -ENODATA)", r > 0 || r == -XEN_ENODATA, r);
    bid.h.len = 0;
    check_div(D_VER_BUILDID_LEN0, xen_ver(XENVER_build_id, PTR(&bid)));
    check_div(D_VER_BUILDID_FAULT, xen_ver(XENVER_build_id, VA_UNMAPPED));
  } else {
    bid.h.len = sizeof(bid.space);
    check_div(D_VER_BUILDID_DOMU, xen_ver(XENVER_build_id, PTR(&bid)));
  }

  /* 11 is extraversion2, new in Xen 4.20: 4.19 has no such sub-op. */
  check("xen_version 11 (4.20's extraversion2)", xen_ver(11, PTR(buf)), -XEN_ENOSYS);
  check("xen_version unknown 1000", xen_ver(1000, PTR(buf)), -XEN_ENOSYS);
  check("xen_version unknown -1", xen_ver(-1, PTR(buf)), -XEN_ENOSYS);

  /* Bad buffers: a guest pointer goes through the guest's page tables
   * and then the p2m; any gap is -EFAULT. */
  check("xen_version extraversion unmapped", xen_ver(XENVER_extraversion, VA_UNMAPPED),
        -XEN_EFAULT);
  /* Xen walks only bits 47..0 of a pointer (arch/x86/mm/guest_walk.c has
   * no canonical check), so use one whose low bits are unmapped as well. */
  check("xen_version extraversion non-canonical", xen_ver(XENVER_extraversion, VA_NONCANONICAL),
        -XEN_EFAULT);
  check("xen_version extraversion no RAM behind", xen_ver(XENVER_extraversion, VA_NOT_RAM),
        -XEN_EFAULT);
  check("xen_version extraversion across into a hole", xen_ver(XENVER_extraversion, va_hole - 8),
        -XEN_EFAULT);
  check("xen_version compile_info unmapped", xen_ver(XENVER_compile_info, VA_UNMAPPED),
        -XEN_EFAULT);
  check("xen_version capabilities unmapped", xen_ver(XENVER_capabilities, VA_UNMAPPED),
        -XEN_EFAULT);
  check("xen_version changeset unmapped", xen_ver(XENVER_changeset, VA_UNMAPPED), -XEN_EFAULT);
  check("xen_version platform_parameters unmapped",
        xen_ver(XENVER_platform_parameters, VA_UNMAPPED), -XEN_EFAULT);
  if (privileged)
    check("xen_version commandline unmapped", xen_ver(XENVER_commandline, VA_UNMAPPED),
          -XEN_EFAULT);

  /* A read-only page: with CR0.WP the hypervisor must not write it (it
   * writes "as the guest kernel would"), without CR0.WP it may.  Xen:
   * arch/x86/mm/guest_walk.c guest_walk_tables, guest_wp_enabled(). */
  uint64_t cr0 = read_cr0();
  write_cr0(cr0 | (1ULL << 16));
  check("xen_version extraversion into read-only page, CR0.WP=1",
        xen_ver(XENVER_extraversion, va_ro), -XEN_EFAULT);
  write_cr0(cr0 & ~(1ULL << 16));
  check("xen_version extraversion into read-only page, CR0.WP=0",
        xen_ver(XENVER_extraversion, va_ro), 0);
  write_cr0(cr0);
}

/* ---- console_io ---- */

static void test_console_io(int privileged)
{
  static const char msg[] = "abi: (this line is a console_io write)\n";
  static char buf[256];
  long r;

  check("console_io write", console_io(CONSOLEIO_write, sizeof(msg) - 1, PTR(msg)), 0);
  check("console_io write count 0", console_io(CONSOLEIO_write, 0, PTR(msg)), 0);
  check("console_io write count 0, bad buffer", console_io(CONSOLEIO_write, 0, VA_UNMAPPED), 0);
  check("console_io write bad buffer", console_io(CONSOLEIO_write, 16, VA_UNMAPPED), -XEN_EFAULT);
  check("console_io write non-canonical buffer", console_io(CONSOLEIO_write, 16, VA_NONCANONICAL),
        -XEN_EFAULT);
  check("console_io write across into a hole", console_io(CONSOLEIO_write, 100, va_hole - 50),
        -XEN_EFAULT);
  /* Xen's count is unsigned: -1 asks for 4 GiB - 1 bytes, and the first
   * chunk already runs into the hole, so nothing is written. */
  check_div(D_CON_WRITE_NEG_COUNT, console_io(CONSOLEIO_write, -1, va_hole - 64));

  if (privileged) {
    /* 17000 bytes: carriage returns (which print nothing) and one line. */
    static const char tail[] = "abi: (end of a 17000-byte console_io write)\n";
    char *big = (char *)(uintptr_t)BIG_BUF_GPA;
    memset(big, '\r', 17000);
    memcpy(big + 17000 - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    check_div(D_CON_WRITE_HUGE, console_io(CONSOLEIO_write, 17000, PTR(big)));

    /* The console's input, not the hypervisor's log; the runner types
     * nothing, so there is nothing to read. */
    memset(buf, 0, sizeof(buf));
    r = console_io(CONSOLEIO_read, sizeof(buf) - 1, PTR(buf));
    /* Only the count: echoing what mica returns (its log, banner first)
     * would look like a second boot to tools/hvrun. */
    if (r > 0)
      printf("abi: console_io read gave %ld bytes\n", r);
    check_div(D_CON_READ_DOM0, r);
    check("console_io read count 0", console_io(CONSOLEIO_read, 0, PTR(buf)), 0);
    check_div(D_CON_READ_NEG_COUNT, console_io(CONSOLEIO_read, -1, PTR(buf)));
    check("console_io unknown cmd 99", console_io(99, 16, PTR(buf)), -XEN_ENOSYS);
  } else {
    skip("console_io write 17000 bytes", "a domU's console is rate-limited by mica; this "
                                         "guest's own report would be dropped");
    check("console_io read as domU", console_io(CONSOLEIO_read, sizeof(buf), PTR(buf)), -XEN_EPERM);
    check_div(D_CON_UNKNOWN_DOMU, console_io(99, 16, PTR(buf)));
  }
}

/* Guest pointers always follow the guest's page tables as they are now
 * (Xen walks them on every copy).  mica remembers each vcpu's last walk,
 * so check that it notices every change: the page moved to another frame
 * (with and without a TLB flush of ours) and the page made read-only. */
static void test_walk_cache(void)
{
  uint64_t a = ram_end - 18 * MiB, b = scratch, off = MiB; /* 2 MiB frames of free RAM */
  volatile char *in_a = (volatile char *)(uintptr_t)(a + off);
  volatile char *in_b = (volatile char *)(uintptr_t)(b + off);
  uint64_t va = va_hole + off; /* va_hole's 2 MiB, pointed at a or b below */
  long r[5];
  char seen[6];

  /* No other hypercall between these (a check's printf is one): each
   * copy must find the walk the one before it left. */
  in_a[0] = in_b[0] = 0x55;
  *pd_entry(va_hole) = a | 1 | PTE_W | PTE_PS;
  flush_tlb();
  r[0] = xen_ver(XENVER_extraversion, va);
  seen[0] = in_a[0];
  in_a[0] = 0x55;
  *pd_entry(va_hole) = b | 1 | PTE_W | PTE_PS; /* the page moves */
  flush_tlb();
  r[1] = xen_ver(XENVER_extraversion, va);
  seen[1] = in_b[0];
  seen[2] = in_a[0];
  in_b[0] = 0x55;
  *pd_entry(va_hole) = a | 1 | PTE_W | PTE_PS; /* back, and no flush: our TLB is ours */
  r[2] = xen_ver(XENVER_extraversion, va);
  seen[3] = in_a[0];
  seen[4] = in_b[0];
  uint64_t cr0 = read_cr0();
  write_cr0(cr0 | (1ULL << 16)); /* CR0.WP: read-only binds the kernel too */
  *pd_entry(va_hole) = a | 1 | PTE_PS;
  flush_tlb();
  r[3] = xen_ver(XENVER_extraversion, va);
  write_cr0(cr0);
  *pd_entry(va_hole) = 0;
  flush_tlb();
  r[4] = xen_ver(XENVER_extraversion, va);

  check("walk: a copy through a new mapping", r[0], 0);
  check("walk: ... reaches the frame mapped", seen[0], '-');
  check("walk: the same address after the page moved", r[1], 0);
  check("walk: ... reaches the new frame", seen[1], '-');
  check("walk: ... and not the old one", seen[2], 0x55);
  check("walk: moved back without a TLB flush", r[2], 0);
  check("walk: ... reaches the frame now mapped", seen[3], '-');
  check("walk: ... and not the one before", seen[4], 0x55);
  check("walk: a write to the page made read-only", r[3], -XEN_EFAULT);
  check("walk: the page unmapped", r[4], -XEN_EFAULT);
}

/* ---- sched_op (the shutdown_code checks come last, in guest_main) ---- */

static void test_sched_op(void)
{
  check("sched_op yield", sched_op(SCHEDOP_yield, 0), 0);
  check("sched_op unknown 100", sched_op(100, 0), -XEN_ENOSYS);
  check("sched_op unknown -1", sched_op(-1, 0), -XEN_ENOSYS);
  check("sched_op shutdown bad pointer", sched_op(SCHEDOP_shutdown, VA_UNMAPPED), -XEN_EFAULT);
  check("sched_op shutdown_code bad pointer", sched_op(SCHEDOP_shutdown_code, VA_UNMAPPED),
        -XEN_EFAULT);
  /* Xen: common/sched/core.c do_sched_op hands (u8)reason to
   * domain_shutdown(), which ends the domain with it. */
  skip("sched_op shutdown reason 99", "Xen accepts any reason and ends the domain");
}

/* ---- memory_op ---- */

#define ABSENT_DOMID 99

static void test_memory_op(const struct hvm_start_info *si, int privileged, domid_t self)
{
  static struct e820entry map[9];
  struct xen_memory_map mm;
  unsigned int n;
  long r;

  memset(map, 0xaa, sizeof(map));
  mm = (struct xen_memory_map){.nr_entries = 8, .buffer = PTR(map)};
  if (!check("memory_op memory_map", memory_op(XENMEM_memory_map, PTR(&mm)), 0))
    return;
  n = mm.nr_entries;
  check_true("memory_op memory_map: 1 to 8 entries", n >= 1 && n <= 8, n);
  check("memory_op memory_map: first entry is RAM at 0",
        map[0].addr == 0 && map[0].type == E820_RAM, 1);
  check("memory_op memory_map: nothing past the entries", ((uint8_t *)&map[n])[0], 0xaa);
  if (si->version >= 1 && si->memmap_entries) {
    const struct hvm_memmap_table_entry *e =
        (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
    int same = si->memmap_entries == n;
    for (unsigned int i = 0; same && i < n; i++)
      same = e[i].addr == map[i].addr && e[i].size == map[i].size && e[i].type == map[i].type;
    check("memory_op memory_map equals the start info's map", same, 1);
  }

  struct e820entry first = map[0];
  memset(map, 0xaa, sizeof(map));
  mm = (struct xen_memory_map){.nr_entries = 1, .buffer = PTR(map)};
  check("memory_op memory_map into 1 entry", memory_op(XENMEM_memory_map, PTR(&mm)), 0);
  check("memory_op memory_map into 1 entry: nr_entries 1", mm.nr_entries, 1);
  check("memory_op memory_map into 1 entry: the first",
        !memcmp(&map[0], &first, sizeof(first)) && ((uint8_t *)&map[1])[0] == 0xaa, 1);
  memset(map, 0xaa, sizeof(map));
  mm = (struct xen_memory_map){.nr_entries = 0, .buffer = PTR(map)};
  check("memory_op memory_map into 0 entries", memory_op(XENMEM_memory_map, PTR(&mm)), 0);
  check("memory_op memory_map into 0 entries: nr_entries 0, buffer untouched",
        mm.nr_entries == 0 && ((uint8_t *)map)[0] == 0xaa, 1);
  mm = (struct xen_memory_map){.nr_entries = 8, .buffer = VA_UNMAPPED};
  check("memory_op memory_map bad buffer", memory_op(XENMEM_memory_map, PTR(&mm)), -XEN_EFAULT);
  check("memory_op memory_map bad argument", memory_op(XENMEM_memory_map, VA_UNMAPPED),
        -XEN_EFAULT);

  /* Reservations.  Xen: current = pages the domain holds, maximum = its
   * limit, maximum_gpfn = the highest gfn mapped. */
  uint64_t ram = 0, ram_top = 0;
  mm = (struct xen_memory_map){.nr_entries = 8, .buffer = PTR(map)}; /* map[] again */
  memory_op(XENMEM_memory_map, PTR(&mm));
  for (unsigned int i = 0; i < mm.nr_entries; i++)
    if (map[i].type == E820_RAM) {
      ram += map[i].size;
      if (map[i].addr + map[i].size > ram_top)
        ram_top = map[i].addr + map[i].size;
    }

  domid_t d = DOMID_SELF;
  long cur = memory_op(XENMEM_current_reservation, PTR(&d));
  long max = memory_op(XENMEM_maximum_reservation, PTR(&d));
  long gpfn = memory_op(XENMEM_maximum_gpfn, PTR(&d));
  printf("abi: reservation %ld pages, maximum %ld, maximum gpfn 0x%lx, RAM %llu pages\n", cur, max,
         gpfn, (unsigned long long)(ram / PAGE_SIZE));
  check_true("memory_op current_reservation covers the RAM in the map",
             cur > 0 && (uint64_t)cur >= ram / PAGE_SIZE, cur);
  check_true("memory_op maximum_reservation >= current", max >= cur, max);
  check_true("memory_op maximum_gpfn >= the last RAM gfn",
             gpfn >= 0 && (uint64_t)gpfn >= ram_top / PAGE_SIZE - 1, gpfn);
  d = self;
  check("memory_op current_reservation by own domid",
        memory_op(XENMEM_current_reservation, PTR(&d)), cur);
  check("memory_op maximum_reservation by own domid",
        memory_op(XENMEM_maximum_reservation, PTR(&d)), max);
  check("memory_op maximum_gpfn by own domid", memory_op(XENMEM_maximum_gpfn, PTR(&d)), gpfn);
  check("memory_op current_reservation bad pointer",
        memory_op(XENMEM_current_reservation, VA_UNMAPPED), -XEN_EFAULT);
  check("memory_op maximum_reservation bad pointer",
        memory_op(XENMEM_maximum_reservation, VA_UNMAPPED), -XEN_EFAULT);
  check("memory_op maximum_gpfn bad pointer", memory_op(XENMEM_maximum_gpfn, VA_UNMAPPED),
        -XEN_EFAULT);
  d = DOMID_SELF;
  r = memory_op(XENMEM_current_reservation | (1UL << 6), PTR(&d));
  check_div(D_MEM_EXTENT_BITS, r);

  d = ABSENT_DOMID;
  r = memory_op(XENMEM_current_reservation, PTR(&d));
  if (privileged) {
    check("memory_op current_reservation of an absent domain", r, -XEN_ESRCH);
    check("memory_op maximum_gpfn of an absent domain", memory_op(XENMEM_maximum_gpfn, PTR(&d)),
          -XEN_ESRCH);
  } else {
    check_div(D_MEM_ESRCH_BEFORE_EPERM, r);
    d = 0;
    check("memory_op current_reservation of dom0 as domU",
          memory_op(XENMEM_current_reservation, PTR(&d)), -XEN_EPERM);
    check("memory_op maximum_reservation of dom0 as domU",
          memory_op(XENMEM_maximum_reservation, PTR(&d)), -XEN_EPERM);
    check("memory_op maximum_gpfn of dom0 as domU", memory_op(XENMEM_maximum_gpfn, PTR(&d)),
          -XEN_EPERM);
  }

  /* Xen returns the host's max_page here (common/memory.c); only its sign
   * is ours to check. */
  r = memory_op(XENMEM_maximum_ram_page, 0);
  check_true("memory_op maximum_ram_page > 0", r > 0, r);

  check("memory_op unknown 63", memory_op(63, 0), -XEN_ENOSYS);
  check("memory_op 8 (removed translate_gpfn_list)", memory_op(8, 0), -XEN_ENOSYS);
}

/* ---- add_to_physmap and the shared_info page ---- */

static int all_zero(const volatile void *p, size_t n)
{
  const volatile uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i])
      return 0;
  return 1;
}

static long xatp(domid_t domid, unsigned int space, unsigned long idx, uint64_t gpa)
{
  struct xen_add_to_physmap x = {
      .domid = domid, .space = space, .idx = idx, .gpfn = gpa / PAGE_SIZE};
  return memory_op(XENMEM_add_to_physmap, PTR(&x));
}

static void test_shared_info(int privileged, domid_t self)
{
  domid_t d = DOMID_SELF;

  check("add_to_physmap bad pointer", memory_op(XENMEM_add_to_physmap, VA_UNMAPPED), -XEN_EFAULT);
  check("add_to_physmap shared_info idx 1",
        xatp(DOMID_SELF, XENMAPSPACE_shared_info, 1, SHINFO_GPA_1), -XEN_EINVAL);
  check("add_to_physmap space 99", xatp(DOMID_SELF, 99, 0, SHINFO_GPA_1), -XEN_EINVAL);
  struct xen_add_to_physmap inv = {
      .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = ~0UL};
  check("add_to_physmap shared_info at gfn ~0 (INVALID_GFN)",
        memory_op(XENMEM_add_to_physmap, PTR(&inv)), -XEN_EINVAL);
  check_div(D_MEM_XATP_FOREIGN, xatp(DOMID_SELF, XENMAPSPACE_gmfn_foreign, 0, SHINFO_GPA_1));
  if (privileged) {
    /* x86 has no dev_mmio space: the hardware domain passes the
     * permission check and gets -EINVAL from xenmem_add_to_physmap_one. */
    check("add_to_physmap space dev_mmio as dom0",
          xatp(DOMID_SELF, XENMAPSPACE_dev_mmio, 0, SHINFO_GPA_1), -XEN_EINVAL);
    check("add_to_physmap absent domain",
          xatp(ABSENT_DOMID, XENMAPSPACE_shared_info, 0, SHINFO_GPA_1), -XEN_ESRCH);
  } else {
    check_div(D_MEM_XATP_DEV_MMIO_DOMU, xatp(DOMID_SELF, XENMAPSPACE_dev_mmio, 0, SHINFO_GPA_1));
    check_div(D_MEM_XATP_ESRCH_BEFORE_EPERM,
              xatp(ABSENT_DOMID, XENMAPSPACE_shared_info, 0, SHINFO_GPA_1));
    check("add_to_physmap into dom0 as domU", xatp(0, XENMAPSPACE_shared_info, 0, SHINFO_GPA_1),
          -XEN_EPERM);
  }

  long cur0 = memory_op(XENMEM_current_reservation, PTR(&d));
  if (!check("add_to_physmap shared_info over RAM",
             xatp(DOMID_SELF, XENMAPSPACE_shared_info, 0, SHINFO_GPA_1), 0))
    return;
  long cur1 = memory_op(XENMEM_current_reservation, PTR(&d));
  check_div(D_MEM_RESERVATION_DROPS, cur0 - cur1);

  /* What a fresh shared_info holds: zeros, except what Xen keeps there
   * (vcpu 0's time, refreshed whenever it is scheduled, and the wall
   * clock).  One vcpu has run: every other vcpu_info slot is zero. */
  volatile struct shared_info *s = (volatile struct shared_info *)(uintptr_t)SHINFO_GPA_1;
  volatile struct vcpu_info *v0 = &s->vcpu_info[0];
  check("shared_info evtchn_pending all clear",
        all_zero(s->evtchn_pending, sizeof(s->evtchn_pending)), 1);
  check("shared_info evtchn_mask all clear", all_zero(s->evtchn_mask, sizeof(s->evtchn_mask)), 1);
  check("shared_info vcpu_info[1..31] zero",
        all_zero(&s->vcpu_info[1], sizeof(s->vcpu_info) - sizeof(s->vcpu_info[0])), 1);
  check("shared_info vcpu_info[0] no event pending",
        v0->evtchn_upcall_pending == 0 && v0->evtchn_pending_sel == 0, 1);
  check("shared_info vcpu_info[0] upcalls not masked", v0->evtchn_upcall_mask, 0);
  check("shared_info vcpu_info[0] arch zero", all_zero(&v0->arch, sizeof(v0->arch)), 1);
  check("shared_info arch (PV p2m fields) zero", all_zero(&s->arch, sizeof(s->arch)), 1);
  check("shared_info vcpu_info[0].time version even", v0->time.version & 1, 0);
  printf("abi: vcpu_info[0].time version %u system_time %llu mul %u shift %d; wc_sec %u\n",
         v0->time.version, (unsigned long long)v0->time.system_time, v0->time.tsc_to_system_mul,
         v0->time.tsc_shift, s->wc_sec);
  check_div(D_SHINFO_TIME, v0->time.tsc_to_system_mul != 0);

  /* Move it: the page (and what we wrote in it) shows up at the new gfn;
   * the old gfn becomes a hole, so it is not touched again. */
  s->evtchn_mask[63] = 0x6d696361ULL;
  check("add_to_physmap shared_info again at the same gfn",
        xatp(DOMID_SELF, XENMAPSPACE_shared_info, 0, SHINFO_GPA_1), 0);
  check("add_to_physmap shared_info moved", xatp(self, XENMAPSPACE_shared_info, 0, SHINFO_GPA_2),
        0);
  s = (volatile struct shared_info *)(uintptr_t)SHINFO_GPA_2;
  check("shared_info keeps its contents across the move", (long)s->evtchn_mask[63], 0x6d696361);
  s->evtchn_mask[63] = 0;
  long gpfn = memory_op(XENMEM_maximum_gpfn, PTR(&d));
  check_true("memory_op maximum_gpfn covers shared_info", gpfn >= (long)(SHINFO_GPA_2 / PAGE_SIZE),
             gpfn);
}

/* ---- hvm_op ---- */

static long hvm_param(unsigned long op, domid_t domid, uint32_t index, uint64_t *value)
{
  struct xen_hvm_param p = {.domid = domid, .index = index, .value = *value};
  long r = hvm_op(op, PTR(&p));
  *value = p.value;
  return r;
}

static void test_hvm_op(int privileged)
{
  uint64_t v;

  v = HVM_PARAM_CALLBACK_VECTOR(0xf3);
  check("hvm_op set CALLBACK_IRQ",
        hvm_param(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &v), 0);
  v = 0x5555;
  if (check("hvm_op get CALLBACK_IRQ",
            hvm_param(HVMOP_get_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &v), 0))
    check("hvm_op CALLBACK_IRQ round trip", (long)v, (long)HVM_PARAM_CALLBACK_VECTOR(0xf3));
  v = 0;
  check("hvm_op set CALLBACK_IRQ back to none",
        hvm_param(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &v), 0);
  v = 0x5555;
  if (check("hvm_op get STORE_PFN", hvm_param(HVMOP_get_param, DOMID_SELF, HVM_PARAM_STORE_PFN, &v),
            0))
    check("hvm_op STORE_PFN is 0 (no xenstore)", (long)v, 0);
  v = 0x5555;
  check("hvm_op get CONSOLE_PFN", hvm_param(HVMOP_get_param, DOMID_SELF, HVM_PARAM_CONSOLE_PFN, &v),
        0);
  v = 0;
  check("hvm_op get index HVM_NR_PARAMS", hvm_param(HVMOP_get_param, DOMID_SELF, HVM_NR_PARAMS, &v),
        -XEN_EINVAL);
  check("hvm_op set index HVM_NR_PARAMS", hvm_param(HVMOP_set_param, DOMID_SELF, HVM_NR_PARAMS, &v),
        -XEN_EINVAL);
  check("hvm_op get index ~0", hvm_param(HVMOP_get_param, DOMID_SELF, 0xffffffff, &v), -XEN_EINVAL);
  check("hvm_op get bad pointer", hvm_op(HVMOP_get_param, VA_UNMAPPED), -XEN_EFAULT);
  check("hvm_op set bad pointer", hvm_op(HVMOP_set_param, VA_UNMAPPED), -XEN_EFAULT);
  check("hvm_op unknown op 0x1000", hvm_op(0x1000, 0), -XEN_ENOSYS);
  check("hvm_op 2 (moved to dm_op)", hvm_op(2, 0), -XEN_ENOSYS);

  /* Which parameters a domain may set or read on itself: Xen's lists in
   * hvm_allow_set_param / hvm_allow_get_param, the same for dom0.  The
   * values written are the current ones, so a wrong "yes" changes
   * nothing. */
  v = 0;
  check_div(D_HVM_SET_STORE_PFN_SELF,
            hvm_param(HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_PFN, &v));
  v = 0;
  check_div(D_HVM_SET_TIMER_MODE, hvm_param(HVMOP_set_param, DOMID_SELF, HVM_PARAM_TIMER_MODE, &v));
  v = 0;
  check_div(D_HVM_SET_STORE_EVTCHN,
            hvm_param(HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_EVTCHN, &v));
  v = 0;
  check_div(D_HVM_GET_TIMER_MODE, hvm_param(HVMOP_get_param, DOMID_SELF, HVM_PARAM_TIMER_MODE, &v));
  v = 0;
  check_div(D_HVM_GET_DEPRECATED,
            hvm_param(HVMOP_get_param, DOMID_SELF, HVM_PARAM_PAE_ENABLED, &v));

  v = 0;
  if (privileged) {
    check("hvm_op get_param of an absent domain",
          hvm_param(HVMOP_get_param, ABSENT_DOMID, HVM_PARAM_CALLBACK_IRQ, &v), -XEN_ESRCH);
  } else {
    check_div(D_HVM_ESRCH_BEFORE_EPERM,
              hvm_param(HVMOP_get_param, ABSENT_DOMID, HVM_PARAM_CALLBACK_IRQ, &v));
    check("hvm_op get_param of dom0 as domU",
          hvm_param(HVMOP_get_param, 0, HVM_PARAM_CALLBACK_IRQ, &v), -XEN_EPERM);
    check("hvm_op set_param of dom0 as domU",
          hvm_param(HVMOP_set_param, 0, HVM_PARAM_CALLBACK_IRQ, &v), -XEN_EPERM);
  }
}

/* ---- HVMOP_pagetable_dying (Xen with HAP: nothing to do, so refused) ---- */

static void test_pagetable_dying(domid_t self)
{
  struct xen_hvm_pagetable_dying a = {.domid = DOMID_SELF, .gpa = 0};
  check("pagetable_dying of DOMID_SELF (HAP: -EINVAL, as Xen)",
        hvm_op(HVMOP_pagetable_dying, PTR(&a)), -XEN_EINVAL);
  a.domid = self;
  check("pagetable_dying of its own id", hvm_op(HVMOP_pagetable_dying, PTR(&a)), -XEN_EINVAL);
  a.domid = ABSENT_DOMID;
  check("pagetable_dying of an absent domain", hvm_op(HVMOP_pagetable_dying, PTR(&a)), -XEN_ESRCH);
  a.domid = self == 0 ? 1 : 0;
  check("pagetable_dying of another domain", hvm_op(HVMOP_pagetable_dying, PTR(&a)),
        -XEN_EOPNOTSUPP);
  check("pagetable_dying bad pointer", hvm_op(HVMOP_pagetable_dying, VA_UNMAPPED), -XEN_EFAULT);
}

/* ---- vm_assist: only runstate_update_flag for an HVM guest (Xen's
 * HVM_VM_ASSIST_MASK); the type is checked before the command ---- */

static long vm_assist(unsigned long cmd, unsigned long type)
{
  return hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

static void test_vm_assist(void)
{
  check("vm_assist enable runstate_update_flag",
        vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag), 0);
  check("vm_assist disable runstate_update_flag",
        vm_assist(VMASST_CMD_disable, VMASST_TYPE_runstate_update_flag), 0);
  check("vm_assist enable writable_pagetables (PV only)",
        vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), -XEN_EINVAL);
  check("vm_assist enable m2p_strict (PV only)",
        vm_assist(VMASST_CMD_enable, VMASST_TYPE_m2p_strict), -XEN_EINVAL);
  check("vm_assist type 64", vm_assist(VMASST_CMD_enable, 64), -XEN_EINVAL);
  check("vm_assist unknown command 7", vm_assist(7, VMASST_TYPE_runstate_update_flag), -XEN_ENOSYS);
  check("vm_assist unknown command and type: the type first", vm_assist(7, 2), -XEN_EINVAL);
  /* Only the low 32 bits are the type (an unsigned int). */
  check("vm_assist type 2^32 + 5", vm_assist(VMASST_CMD_enable, (1UL << 32) | 5), 0);
}

/* ---- vcpu_op ---- */

static long register_vcpu_info(unsigned int vcpu, uint64_t mfn, uint32_t offset)
{
  struct vcpu_register_vcpu_info r = {.mfn = mfn, .offset = offset};
  return vcpu_op(VCPUOP_register_vcpu_info, vcpu, PTR(&r));
}

static void test_vcpu_op(unsigned int nvcpus)
{
  check("vcpu_op is_up vcpu 0", vcpu_op(VCPUOP_is_up, 0, 0), 1);
  if (nvcpus > 1)
    check("vcpu_op is_up vcpu 1 (never brought up)", vcpu_op(VCPUOP_is_up, 1, 0), 0);
  check("vcpu_op is_up vcpu past the last", vcpu_op(VCPUOP_is_up, nvcpus, 0), -XEN_ENOENT);
  check("vcpu_op is_up vcpu 1000", vcpu_op(VCPUOP_is_up, 1000, 0), -XEN_ENOENT);
  check("vcpu_op is_up vcpu 0xffffffff", vcpu_op(VCPUOP_is_up, 0xffffffff, 0), -XEN_ENOENT);
  check("vcpu_op unknown 100", vcpu_op(100, 0, 0), -XEN_ENOSYS);
  check("vcpu_op unknown 100 on an absent vcpu: -ENOENT first", vcpu_op(100, nvcpus, 0),
        -XEN_ENOENT);

  uint64_t mfn = VCPU_INFO_GPA / PAGE_SIZE;
  check("register_vcpu_info bad pointer", vcpu_op(VCPUOP_register_vcpu_info, 0, VA_UNMAPPED),
        -XEN_EFAULT);
  check("register_vcpu_info crossing the page (offset 4040)", register_vcpu_info(0, mfn, 4040),
        -XEN_ENXIO);
  check_div(D_VCPU_OFFSET_PAGE, register_vcpu_info(0, mfn, 4096));
  check("register_vcpu_info gfn with no RAM", register_vcpu_info(0, VA_NOT_RAM / PAGE_SIZE, 0),
        -XEN_EINVAL);
  check("register_vcpu_info gfn 2^52", register_vcpu_info(0, 1ULL << 52, 0), -XEN_EINVAL);
  if (nvcpus > 1)
    check_div(D_VCPU_UNALIGNED, register_vcpu_info(1, VCPU_INFO_GPA_1 / PAGE_SIZE, 4));
  else
    skip("register_vcpu_info offset 4 (unaligned)",
         "needs vcpus=2: on vcpu 0 a wrong success would spoil the checks after it");

  uint8_t *page = (uint8_t *)(uintptr_t)VCPU_INFO_GPA;
  memset(page, 0x5a, PAGE_SIZE);
  if (!check("register_vcpu_info at offset 64", register_vcpu_info(0, mfn, 64), 0))
    return;
  volatile struct vcpu_info *vi = (volatile struct vcpu_info *)(page + 64);
  check_div(D_VCPU_PENDING_SEL, vi->evtchn_pending_sel == ~0UL);
  check_div(D_VCPU_UPCALL_PENDING, vi->evtchn_upcall_pending == 1);
  check("register_vcpu_info carries evtchn_upcall_mask over", vi->evtchn_upcall_mask, 0);
  int around = 1;
  for (unsigned int i = 0; i < PAGE_SIZE; i++)
    if ((i < 64 || i >= 64 + sizeof(struct vcpu_info)) && page[i] != 0x5a)
      around = 0;
  check("register_vcpu_info writes only its 64 bytes", around, 1);
  check("register_vcpu_info a second time", register_vcpu_info(0, mfn, 64), -XEN_EBUSY);
  check("register_vcpu_info a second time, elsewhere", register_vcpu_info(0, mfn, 128), -XEN_EBUSY);
}

/* ---- multicall ---- */

static void test_multicall(void)
{
  static struct multicall_entry mc[4];
  static const char line[] = "abi: (this line is a console_io write inside a multicall)\n";
  static char ev[XEN_EXTRAVERSION_LEN];

  memset(mc, 0, sizeof(mc));
  mc[0].op = __HYPERVISOR_xen_version;
  mc[0].args[0] = XENVER_version;
  mc[1].op = 1000;
  mc[2].op = __HYPERVISOR_console_io;
  mc[2].args[0] = CONSOLEIO_write;
  mc[2].args[1] = sizeof(line) - 1;
  mc[2].args[2] = PTR(line);
  mc[0].result = mc[1].result = mc[2].result = 0x5555;
  check("multicall of 3", hypercall2(__HYPERVISOR_multicall, PTR(mc), 3), 0);
  check("multicall entry 0: xen_version", (long)mc[0].result, (4 << 16) | 19);
  check("multicall entry 1: hypercall 1000", (long)mc[1].result, -XEN_ENOSYS);
  check("multicall entry 2: console_io write", (long)mc[2].result, 0);

  memset(mc, 0, sizeof(mc));
  mc[0].op = __HYPERVISOR_multicall;
  mc[0].args[0] = PTR(&mc[1]);
  mc[0].args[1] = 1;
  mc[1].op = __HYPERVISOR_xen_version;
  mc[1].result = 0x5555;
  check("multicall with a nested multicall", hypercall2(__HYPERVISOR_multicall, PTR(mc), 1), 0);
  check("multicall nested entry refused", (long)mc[0].result, -XEN_EINVAL);
  check("multicall nested entries not run", (long)mc[1].result, 0x5555);

  memset(mc, 0, sizeof(mc));
  mc[0].op = __HYPERVISOR_xen_version;
  mc[0].args[0] = XENVER_extraversion;
  mc[0].args[1] = VA_UNMAPPED;
  mc[1].op = (1ULL << 32) | __HYPERVISOR_xen_version; /* not 17: all 64 bits count */
  mc[2].op = __HYPERVISOR_xen_version;
  mc[2].args[0] = XENVER_extraversion;
  mc[2].args[1] = PTR(ev);
  mc[2].result = 0x5555;
  check("multicall with failing entries", hypercall2(__HYPERVISOR_multicall, PTR(mc), 3), 0);
  check("multicall entry with a bad pointer", (long)mc[0].result, -XEN_EFAULT);
  check("multicall entry op 2^32 + 17", (long)mc[1].result, -XEN_ENOSYS);
  check("multicall runs on after failing entries", (long)mc[2].result, 0);

  check("multicall bad pointer", hypercall2(__HYPERVISOR_multicall, VA_UNMAPPED, 1), -XEN_EFAULT);
  check("multicall of 0 entries, bad pointer", hypercall2(__HYPERVISOR_multicall, VA_UNMAPPED, 0),
        0);
  /* Two entries, the second in the hole: the first runs, then -EFAULT. */
  struct multicall_entry *last = (struct multicall_entry *)(uintptr_t)(va_hole - sizeof(*last));
  memset(last, 0, sizeof(*last));
  last->op = __HYPERVISOR_xen_version;
  last->args[0] = XENVER_version;
  check("multicall array running into a hole", hypercall2(__HYPERVISOR_multicall, PTR(last), 2),
        -XEN_EFAULT);
  check("multicall array running into a hole: first entry ran", (long)last->result, (4 << 16) | 19);

  /* More entries than the hypervisor runs in one turn (it continues the
   * multicall, Xen-style): every one must run, once, in order. */
  static struct multicall_entry many[200];
  for (unsigned int i = 0; i < 200; i++) {
    memset(&many[i], 0, sizeof(many[i]));
    many[i].op = __HYPERVISOR_xen_version;
    many[i].args[0] = i % 2 ? XENVER_version : 12345; /* odd: a version, even: -ENOSYS */
    many[i].result = 0x5555;
  }
  check("multicall of 200 entries", hypercall2(__HYPERVISOR_multicall, PTR(many), 200), 0);
  long bad = 0;
  for (unsigned int i = 0; i < 200; i++)
    if ((long)many[i].result != (i % 2 ? (4 << 16) | 19 : -XEN_ENOSYS))
      bad++;
  check("multicall of 200 entries: every result right", bad, 0);
}

/* ---- Hypercall vectors Xen 4.19 does not offer 64-bit HVM guests ----
 * (xen/include/hypercall-defs.c, the hvm64 column), the unassigned ones,
 * and some beyond the table.  All must be -ENOSYS, whatever the arguments. */

static void test_empty_vectors(void)
{
  /* clang-format off */
  static const unsigned long vectors[] = {
      0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 14, 16, 19, 22, 23, 25, 28, 30, 31, 37, 38, 48, /* not for HVM */
      11, 43, 44, 45, 46, 47, 50, 51, 52, 53, 54, 55, /* unassigned */
      56, 63, 64, 1000, (1UL << 32) | __HYPERVISOR_xen_version, ~0UL, /* past the table */
  };
  /* clang-format on */
  char name[64];

  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    snprintf(name, sizeof(name), "hypercall 0x%lx is -ENOSYS", vectors[i]);
    check(name, hypercall5(vectors[i], 1, 2, 3, 4, 5), -XEN_ENOSYS);
  }
}

/* ---- grant_table_op: errors in the call itself (the per-entry GNTST
 * codes are the grant guest's) ---- */

static long gnttab_op(unsigned long cmd, uint64_t arg, unsigned long count)
{
  return hypercall3(__HYPERVISOR_grant_table_op, cmd, arg, count);
}

static void test_grant_table_op(domid_t self)
{
  struct gnttab_query_size q = {DOMID_SELF, 0, 0, 99};
  check("grant query_size", gnttab_op(GNTTABOP_query_size, PTR(&q), 1), 0);
  check("grant query_size: 1 frame of 64", q.nr_frames == 1 && q.max_nr_frames == 64, 1);
  check("grant query_size count 2", gnttab_op(GNTTABOP_query_size, PTR(&q), 2), -XEN_EINVAL);
  check("grant query_size count -1", gnttab_op(GNTTABOP_query_size, PTR(&q), ~0UL), -XEN_EINVAL);
  check("grant query_size into a hole", gnttab_op(GNTTABOP_query_size, va_hole, 1), -XEN_EFAULT);
  /* arch/x86/hvm/hypercall.c hvm_grant_table_op: a PVH guest gets eight
   * sub-ops; the rest, and continuation bits in cmd, are -ENOSYS. */
  check("grant query_size with continuation bits",
        gnttab_op(GNTTABOP_query_size | 0x1000, PTR(&q), 1), -XEN_ENOSYS);
  check("grant transfer", gnttab_op(GNTTABOP_transfer, PTR(&q), 0), -XEN_ENOSYS);
  check("grant unmap_and_replace", gnttab_op(GNTTABOP_unmap_and_replace, PTR(&q), 0), -XEN_ENOSYS);
  check("grant get_status_frames", gnttab_op(GNTTABOP_get_status_frames, PTR(&q), 1), -XEN_ENOSYS);
  check("grant cache_flush", gnttab_op(GNTTABOP_cache_flush, PTR(&q), 0), -XEN_ENOSYS);
  check("grant sub-op 13", gnttab_op(13, PTR(&q), 0), -XEN_ENOSYS);
  check("grant map count 0", gnttab_op(GNTTABOP_map_grant_ref, va_hole, 0), 0);
  check("grant map from a hole", gnttab_op(GNTTABOP_map_grant_ref, va_hole, 1), -XEN_EFAULT);
  check("grant copy from a hole", gnttab_op(GNTTABOP_copy, va_hole, 1), -XEN_EFAULT);
  check("grant setup_table count 0", gnttab_op(GNTTABOP_setup_table, PTR(&q), 0), -XEN_EINVAL);

  struct gnttab_set_version sv = {2};
  check("grant set_version 2 (v1 only)", gnttab_op(GNTTABOP_set_version, PTR(&sv), 1), -XEN_ENOSYS);
  check("grant set_version 2 reports 1", sv.version, 1);
  sv.version = 0;
  check("grant set_version 0", gnttab_op(GNTTABOP_set_version, PTR(&sv), 1), -XEN_EINVAL);
  sv.version = 1;
  check("grant set_version 1", gnttab_op(GNTTABOP_set_version, PTR(&sv), 1), 0);
  struct gnttab_get_version gv = {self, 0, 0};
  check("grant get_version", gnttab_op(GNTTABOP_get_version, PTR(&gv), 1), 0);
  check("grant get_version is 1", gv.version, 1);
  gv.dom = 0x7fef;
  check("grant get_version of no domain", gnttab_op(GNTTABOP_get_version, PTR(&gv), 1), -XEN_ESRCH);

  /* XENMAPSPACE_grant_table: frame 64 is past the limit; v1 has no status
   * frames (common/grant_table.c gnttab_map_frame). */
  struct xen_add_to_physmap x = {DOMID_SELF, 0, XENMAPSPACE_grant_table, 64, scratch >> 12};
  check("add_to_physmap grant frame 64", memory_op(XENMEM_add_to_physmap, PTR(&x)), -XEN_EINVAL);
  x.idx = XENMAPIDX_grant_table_status;
  check("add_to_physmap grant status frame", memory_op(XENMEM_add_to_physmap, PTR(&x)),
        -XEN_EINVAL);
}

/* ---- CPUID ---- */

/* Returns the domain id the hypervisor says we have. */
static domid_t test_cpuid(int privileged, long want_domid)
{
  struct regs4 r = cpuid2(XEN_CPUID_FIRST_LEAF, 0);
  check("cpuid 0x40000000 signature XenVMMXenVMM",
        r.b == XEN_CPUID_SIGNATURE_EBX && r.c == XEN_CPUID_SIGNATURE_ECX &&
            r.d == XEN_CPUID_SIGNATURE_EDX,
        1);
  check_div(D_CPUID_MAX_LEAF, r.a);

  r = cpuid2(XEN_CPUID_FIRST_LEAF + 1, 0);
  check("cpuid 0x40000001 version 4.19", r.a, (4 << 16) | 19);
  r = cpuid2(XEN_CPUID_FIRST_LEAF + 2, 0);
  check("cpuid 0x40000002 one hypercall page", r.a, 1);
  check("cpuid 0x40000002 hypercall MSR", r.b, XEN_CPUID_HYPERCALL_MSR);
  check("cpuid 0x40000002 no PV features", r.c, 0);

  r = cpuid2(XEN_CPUID_FIRST_LEAF + 4, 0);
  printf("abi: cpuid 0x40000004 eax 0x%x ebx %u ecx %u\n", r.a, r.b, r.c);
  uint32_t ids = XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT;
  check("cpuid 0x40000004 vcpu id and domid present", r.a & ids, ids);
  check("cpuid 0x40000004 vcpu id 0", r.b, 0);
  if (want_domid >= 0)
    check("cpuid 0x40000004 domid as expected", r.c, want_domid);
  else
    check("cpuid 0x40000004 domid 0 iff privileged", r.c == 0, privileged ? 1 : 0);
  domid_t domid = (domid_t)r.c;

  r = cpuid2(XEN_CPUID_FIRST_LEAF + 5, 0);
  check("cpuid 0x40000005 zero for HVM", (r.a | r.b | r.c | r.d) == 0, 1);
  r = cpuid2(XEN_CPUID_FIRST_LEAF + 0x100, 0);
  if (r.a | r.b | r.c | r.d)
    printf("abi: cpuid 0x40000100 gave %08x %08x %08x %08x\n", r.a, r.b, r.c, r.d);
  check_div(D_CPUID_40000100, (r.a | r.b | r.c | r.d) == 0);

  r = cpuid2(1, 0);
  check("cpuid 1 ecx hypervisor bit set", (r.c >> 31) & 1, 1);
  check("cpuid 1 ecx VMX bit clear", (r.c >> 5) & 1, 0);
  return domid;
}

/* ---- MSRs and the hypercall page ---- */

/* Does the 32 bytes at p hold Xen's stub for vector nr? */
static int is_stub(const uint8_t *p, unsigned int nr)
{
  const uint8_t want[9] = {0xb8, (uint8_t)nr, (uint8_t)(nr >> 8), 0, 0, 0x0f, 0x01, 0xc1, 0xc3};
  if (memcmp(p, want, sizeof(want)))
    return 0;
  for (unsigned int i = sizeof(want); i < 32; i++)
    if (p[i] != 0xcc)
      return 0;
  return 1;
}

static void test_hypercall_page(void)
{
  uint8_t *page = (uint8_t *)(uintptr_t)HCALL_PAGE_GPA;
  uint64_t v;
  int gp;

  memset(page, 0, PAGE_SIZE);
  /* The runtime's safe MSR accessors answer -1 for a #GP. */
  v = 0x5555;
  check("rdmsr 0x12345 raises #GP", guest_rdmsr_safe(0x12345, &v), -1);
  check("wrmsr 0x12345 raises #GP", guest_wrmsr_safe(0x12345, 0), -1);
  check("wrmsr 0x40000001 raises #GP", guest_wrmsr_safe(XEN_CPUID_HYPERCALL_MSR + 1, 0), -1);
  check("wrmsr hypercall MSR page index 1 raises #GP",
        guest_wrmsr_safe(XEN_CPUID_HYPERCALL_MSR, HCALL_PAGE_GPA | 1), -1);
  check("wrmsr hypercall MSR with no RAM raises #GP",
        guest_wrmsr_safe(XEN_CPUID_HYPERCALL_MSR, VA_NOT_RAM), -1);
  int ok =
      check("wrmsr hypercall MSR", guest_wrmsr_safe(XEN_CPUID_HYPERCALL_MSR, HCALL_PAGE_GPA), 0);
  v = 0x5555;
  gp = guest_rdmsr_safe(XEN_CPUID_HYPERCALL_MSR, &v) != 0;
  check_div(D_MSR_READ_HYPERCALL_MSR, gp);
  if (!gp)
    check("rdmsr 0x40000000 value", (long)v, 0);
  if (!ok)
    return;

  check("hypercall page stub 17 (xen_version)", is_stub(page + 17 * 32, 17), 1);
  check("hypercall page stub 0", is_stub(page, 0), 1);
  check("hypercall page stub 55", is_stub(page + 55 * 32, 55), 1);
  check_div(D_HCPAGE_IRET_UD2, page[23 * 32] == 0x0f && page[23 * 32 + 1] == 0x0b);
  int all = 1;
  for (unsigned int nr = 56; nr < PAGE_SIZE / 32; nr++)
    all &= is_stub(page + nr * 32, nr);
  check_div(D_HCPAGE_128_STUBS, all);

  /* Call through it as a guest kernel does.  The stubs clobber only what
   * the C calling convention lets a callee clobber. */
  long (*hc2)(unsigned long, unsigned long) =
      (long (*)(unsigned long, unsigned long))(uintptr_t)(page + 17 * 32);
  if (is_stub(page + 17 * 32, 17))
    check("xen_version through the hypercall page", hc2(XENVER_version, 0), (4 << 16) | 19);
  static const char msg[] = "abi: (this line came through the hypercall page)\n";
  long (*hc3)(unsigned long, unsigned long, unsigned long) =
      (long (*)(unsigned long, unsigned long, unsigned long))(uintptr_t)(page + 18 * 32);
  if (is_stub(page + 18 * 32, 18))
    check("console_io through the hypercall page", hc3(CONSOLEIO_write, sizeof(msg) - 1, PTR(msg)),
          0);
  long (*hc0)(void) = (long (*)(void))(uintptr_t)(page + 100 * 32);
  if (is_stub(page + 100 * 32, 100))
    check("hypercall page stub 100 is -ENOSYS", hc0(), -XEN_ENOSYS);
  else
    skip("hypercall page stub 100 is -ENOSYS", "the stub is missing (see above)");
}

/* ---- A hypercall from CPL 3 ----
 * Xen: arch/x86/hvm/hypercall.c hvm_hypercall returns -EPERM when
 * hvm_get_cpl() != 0, before looking at the vector. */

struct tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
} __attribute__((packed));

static void user_mode_setup(void)
{
  static uint64_t gdt[8] __attribute__((aligned(16)));
  static struct tss64 tss;
  static uint8_t rsp0_stack[4096] __attribute__((aligned(16)));
  static int done;

  if (done)
    return;
  done = 1;
  tss.rsp[0] = PTR(rsp0_stack + sizeof(rsp0_stack));
  tss.iomap_base = sizeof(tss); /* no I/O bitmap */
  uint64_t base = PTR(&tss), limit = sizeof(tss) - 1;
  gdt[0] = 0;
  gdt[1] = 0x00af9b000000ffffULL; /* 0x08: 64-bit code, DPL 0 (as head.S) */
  gdt[2] = 0x00cf93000000ffffULL; /* 0x10: data, DPL 0 (as head.S) */
  gdt[3] = 0x00cff3000000ffffULL; /* 0x18: data, DPL 3 */
  gdt[4] = 0x00affb000000ffffULL; /* 0x20: 64-bit code, DPL 3 */
  /* 0x28: available 64-bit TSS (type 9), present (SDM vol. 3 figure 8-4) */
  gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
           ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
  gdt[6] = base >> 32;
  gdt[7] = 0x00cf9b000000ffffULL; /* 0x38: 32-bit code, DPL 0 (compatibility mode) */
  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) desc = {sizeof(gdt) - 1, PTR(gdt)};
  __asm__ volatile("lgdt %0; ltr %w1" : : "m"(desc), "r"(SEL_TSS) : "memory");
}

/* User access to code and to abi_user_stack: the U bit at every level
 * of their mappings, the old entries kept in u for user_pages_close. */
struct user_pages {
  uint64_t *entries[5];
  uint64_t saved[5];
};

static void user_pages_open(struct user_pages *u, const void *code)
{
  user_mode_setup();
  uint64_t *pdpt = (uint64_t *)(uintptr_t)(boot_pml4[0] & PTE_ADDR);
  uint64_t *e[5] = {
      &boot_pml4[0],       &pdpt[(PTR(code) >> 30) & 511], &pdpt[(PTR(abi_user_stack) >> 30) & 511],
      pd_entry(PTR(code)), pd_entry(PTR(abi_user_stack)),
  };
  for (int i = 0; i < 5; i++) {
    u->entries[i] = e[i];
    u->saved[i] = *e[i];
  }
  for (int i = 0; i < 5; i++)
    *e[i] |= PTE_U;
  flush_tlb();
}

static void user_pages_close(const struct user_pages *u)
{
  for (int i = 4; i >= 0; i--)
    *u->entries[i] = u->saved[i];
  flush_tlb();
}

static void test_user_mode(void)
{
  extern char abi_user_code[];
  struct user_pages u;
  user_pages_open(&u, abi_user_code);

  struct idt_gate *g = idt_gate(3), old = *g;
  gate_set(g, abi_user_back, 0xee); /* interrupt gate, DPL 3 */
  long r = abi_user_vmcall(__HYPERVISOR_xen_version);
  long r2 = abi_user_vmcall(1000);
  *g = old;
  user_pages_close(&u);
  check("xen_version from CPL 3", r, -XEN_EPERM);
  check("hypercall 1000 from CPL 3", r2, -XEN_EPERM);
}

/* ---- Compatibility mode (assembly) ----
 * abi_compat_vmcall(nr, a1, a2, junk) far-jumps to a 32-bit code segment
 * (0x38 in user_mode_setup's GDT: IA-32e mode stays on, CS.L is 0), runs
 * VMCALL there with EAX = nr, EBX = a1, ECX = a2 and junk in the upper
 * halves of RAX, RBX and RCX (and XENVER_version in RDI, which a 64-bit
 * reading of the call would take), and far-jumps back.  Returns RAX. */
long abi_compat_vmcall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long junk);

#define SEL_CODE32 0x38

/* clang-format off */
__asm__(
    ".pushsection .text\n"
    ".global abi_compat_vmcall\n"
    "abi_compat_vmcall:\n"
    "  push %rbx\n"
    "  push %rbp\n"
    "  shl $32, %rcx\n"
    "  mov %rcx, %rax\n"
    "  or %rdi, %rax\n"                     /* junk << 32 | nr */
    "  mov %rcx, %rbx\n"
    "  or %rsi, %rbx\n"                     /* junk << 32 | a1 */
    "  or %rdx, %rcx\n"                     /* junk << 32 | a2 */
    "  xor %edi, %edi\n"                    /* XENVER_version, for a misreading */
    "  xor %esi, %esi\n"
    "  pushq $0x38\n"                       /* SEL_CODE32 */
    "  lea 1f(%rip), %rdx\n"
    "  push %rdx\n"
    "  lretq\n"
    ".code32\n"
    "1: vmcall\n"
    "  ljmp $0x08, $2f\n"
    ".code64\n"
    "2: pop %rbp\n"
    "  pop %rbx\n"
    "  ret\n"
    ".popsection\n");
/* clang-format on */

/* A 64-bit kernel's VMCALL from compatibility mode takes the 32-bit
 * convention (Xen 4.19 arch/x86/hvm/vmx/vmx.c vmx_guest_x86_mode: mode 8
 * only with CS.L; hvm/hypercall.c hvm_hypercall reads EAX, EBX, ECX):
 * the low halves alone, whatever the upper ones hold. */
static void test_compat_mode(void)
{
  char extra[XEN_EXTRAVERSION_LEN];
  const unsigned long junk = 0xdead5a5a;

  user_mode_setup();
  memset(extra, 0, sizeof(extra));
  long r = abi_compat_vmcall(__HYPERVISOR_xen_version, XENVER_extraversion, PTR(extra), junk);
  check("compat mode: xen_version extraversion, junk upper halves", (uint32_t)r, 0);
  check("compat mode: extraversion written", extra[0] != 0, 1);
  r = abi_compat_vmcall(__HYPERVISOR_xen_version, XENVER_version, 0, junk);
  check("compat mode: xen_version version in EAX", (uint32_t)r, (4 << 16) | 19);
  /* A 64-bit caller right after gets the 64-bit convention again. */
  check("64-bit mode again: xen_version version", xen_version(XENVER_version, 0), (4 << 16) | 19);
}

/* ---- Faults, not dead domains ----
 * What a guest executes or writes that Xen answers with an exception in
 * the guest (and the guest carries on), each run under guest_catch: the
 * check is the vector (-1: no exception).  Xen 4.19 without nested
 * virtualisation: arch/x86/hvm/vmx/vmx.c vmx_vmexit_handler, vvmx.c
 * nvmx_handle_vmx_insn (#UD for every VMX instruction), hvm.c
 * hvm_set_cr0/hvm_set_cr4/hvm_set_efer (#GP), msr.c guest_rdmsr and
 * guest_wrmsr (MISC_FEATURES_ENABLES, PLATFORM_INFO), vmx.c
 * vmx_msr_write_intercept (DEBUGCTL), hvm.c hvm_check_cpuid_faulting. */

#define VEC_UD 6
#define VEC_GP 13
#define MSR_EFER_ 0xc0000080
#define MSR_PLATFORM_INFO 0xce
#define MSR_MISC_FEATURES_ENABLES 0x140
#define MSR_DEBUGCTL 0x1d9

static uint64_t vmx_mem[2] __attribute__((aligned(16)));

static void do_vmxon(void *a)
{
  (void)a;
  __asm__ volatile("vmxon %0" : : "m"(vmx_mem[0]));
}
static void do_vmxoff(void *a)
{
  (void)a;
  __asm__ volatile("vmxoff");
}
static void do_vmclear(void *a)
{
  (void)a;
  __asm__ volatile("vmclear %0" : : "m"(vmx_mem[0]));
}
static void do_vmptrld(void *a)
{
  (void)a;
  __asm__ volatile("vmptrld %0" : : "m"(vmx_mem[0]));
}
static void do_vmptrst(void *a)
{
  (void)a;
  __asm__ volatile("vmptrst %0" : "=m"(vmx_mem[0]));
}
static void do_vmread(void *a)
{
  (void)a;
  uint64_t v, f = 0x681e;
  __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(f));
}
static void do_vmwrite(void *a)
{
  (void)a;
  uint64_t f = 0x681e;
  __asm__ volatile("vmwrite %0, %1" : : "r"(f), "r"(f));
}
static void do_vmlaunch(void *a)
{
  (void)a;
  __asm__ volatile("vmlaunch");
}
static void do_vmresume(void *a)
{
  (void)a;
  __asm__ volatile("vmresume");
}
static void do_invept(void *a)
{
  (void)a;
  uint64_t t = 1;
  __asm__ volatile("invept %0, %1" : : "m"(vmx_mem), "r"(t));
}
static void do_invvpid(void *a)
{
  (void)a;
  uint64_t t = 1;
  __asm__ volatile("invvpid %0, %1" : : "m"(vmx_mem), "r"(t));
}
static void do_vmfunc(void *a)
{
  (void)a;
  __asm__ volatile("xor %%eax, %%eax; vmfunc" : : : "rax");
}
static void do_monitor(void *a)
{
  (void)a;
  __asm__ volatile("monitor" : : "a"(vmx_mem), "c"(0), "d"(0));
}
static void do_mwait(void *a)
{
  (void)a;
  __asm__ volatile("mwait" : : "a"(0), "c"(0));
}
static void do_invd(void *a)
{
  (void)a;
  __asm__ volatile("invd" : : : "memory");
}
static void do_wbinvd(void *a)
{
  (void)a;
  __asm__ volatile("wbinvd" : : : "memory");
}

static void do_write_cr0(void *a) { __asm__ volatile("mov %0, %%cr0" : : "r"(*(uint64_t *)a)); }
static void do_write_cr4(void *a) { __asm__ volatile("mov %0, %%cr4" : : "r"(*(uint64_t *)a)); }

static uint64_t read_cr4(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

/* The vector a write of val to CR0 (or CR4) raises, -1 for none. */
static int write_cr(int cr, uint64_t val)
{
  return guest_catch(cr == 0 ? do_write_cr0 : do_write_cr4, &val);
}

/* ---- Ring 3 under guest_catch ----
 * abi_user_enter drops to CPL 3 at abi_user_cpuid, which runs CPUID and
 * then UD2: #GP means CPUID faulted, #UD that it ran. */
void abi_user_enter(void *unused);
/* clang-format off */
__asm__(
    ".pushsection .text\n"
    ".global abi_user_enter\n"
    "abi_user_enter:\n"
    "  mov $abi_user_cpuid, %edi\n"
    "  jmp abi_user_iret\n"
    ".global abi_user_cpuid\n"
    "abi_user_cpuid:\n"
    "  xor %eax, %eax\n"
    "  cpuid\n"
    "  ud2\n"
    ".popsection\n");
/* clang-format on */

static int user_cpuid(void)
{
  extern char abi_user_cpuid[];
  struct user_pages u;
  user_pages_open(&u, abi_user_cpuid);
  int vec = guest_catch(abi_user_enter, NULL);
  user_pages_close(&u);
  /* Back in ring 0 through the catch: the data segments as head.S. */
  __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs" : : "r"(SEL_KDATA));
  return vec;
}

/* Machine checks: Xen 4.19's vMCE, which every HVM guest has
 * (cpu/mcheck/vmce.c vmce_rdmsr/vmce_wrmsr, mce_intel.c
 * vmce_intel_rdmsr/wrmsr, msr.c guest_rdmsr/guest_wrmsr): two banks that
 * report nothing, MCG_CAP with CMCI_P, TES_P and SER_P on an Intel host,
 * no MCG_CTL and no LMCE; CPUID shows MCE and MCA as the host does
 * (featureset 'A').  The vcpu's state is left as it was found. */
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MCG_CTL 0x17b
#define MSR_MC0_CTL2 0x280
#define MSR_MC0_CTL 0x400
#define MSR_MCG_EXT_CTL 0x4d0
#define MSR_FEATURE_CONTROL 0x3a

static void test_machine_check(void)
{
  struct regs4 l0 = cpuid2(0, 0), l1 = cpuid2(1, 0);
  /* "GenuineIntel": what Bochs' Skylake-X is; Xen's caps for another
   * vendor are the bank count alone, and CTL2 is Intel's. */
  int intel = l0.b == 0x756e6547 && l0.d == 0x49656e69 && l0.c == 0x6c65746e;
  uint64_t v = 0;

  printf("abi: cpuid 1 edx 0x%x: MCE %u MCA %u\n", l1.d, (l1.d >> 7) & 1, (l1.d >> 14) & 1);
  check("cpuid 1 MCE and MCA together (the host's, passed on)",
        ((l1.d >> 7) & 1) == ((l1.d >> 14) & 1), 1);
  check("rdmsr MCG_CAP", guest_rdmsr_safe(MSR_MCG_CAP, &v), 0);
  check("  2 banks, CMCI_P TES_P SER_P on Intel", (long)v, intel ? 0x1000c02 : 2);
  check("wrmsr MCG_CAP: ignored, no #GP", guest_wrmsr_safe(MSR_MCG_CAP, 0xffff), 0);
  guest_rdmsr_safe(MSR_MCG_CAP, &v);
  check("  MCG_CAP unchanged", (long)v, intel ? 0x1000c02 : 2);
  v = 1;
  check("rdmsr MCG_STATUS", guest_rdmsr_safe(MSR_MCG_STATUS, &v), 0);
  check("  0", (long)v, 0);
  check("wrmsr MCG_STATUS 5 (any value kept)", guest_wrmsr_safe(MSR_MCG_STATUS, 5), 0);
  guest_rdmsr_safe(MSR_MCG_STATUS, &v);
  check("  reads back 5", (long)v, 5);
  check("wrmsr MCG_STATUS 0", guest_wrmsr_safe(MSR_MCG_STATUS, 0), 0);
  v = 1;
  check("rdmsr MCG_CTL (no CTL_P)", guest_rdmsr_safe(MSR_MCG_CTL, &v), 0);
  check("  0", (long)v, 0);
  check("wrmsr MCG_CTL all ones: ignored", guest_wrmsr_safe(MSR_MCG_CTL, ~0ULL), 0);
  guest_rdmsr_safe(MSR_MCG_CTL, &v);
  check("  still 0", (long)v, 0);
  check("rdmsr MCG_EXT_CTL is #GP (no LMCE)", guest_rdmsr_safe(MSR_MCG_EXT_CTL, &v), -1);
  check("wrmsr MCG_EXT_CTL is #GP", guest_wrmsr_safe(MSR_MCG_EXT_CTL, 0), -1);
  guest_rdmsr_safe(MSR_FEATURE_CONTROL, &v);
  check("FEATURE_CONTROL without LMCE_ON", (long)((v >> 20) & 1), 0);

  /* Bank 0 and 1: CTL all ones, whatever is written; STATUS, ADDR, MISC
   * take only zeros. */
  v = 0;
  check("rdmsr MC0_CTL", guest_rdmsr_safe(MSR_MC0_CTL, &v), 0);
  check("  all ones", (long)v, -1L);
  check("wrmsr MC0_CTL 0: ignored", guest_wrmsr_safe(MSR_MC0_CTL, 0), 0);
  guest_rdmsr_safe(MSR_MC0_CTL, &v);
  check("  still all ones", (long)v, -1L);
  v = 1;
  check("rdmsr MC0_STATUS", guest_rdmsr_safe(MSR_MC0_CTL + 1, &v), 0);
  check("  0 (no error)", (long)v, 0);
  check("wrmsr MC0_STATUS 0", guest_wrmsr_safe(MSR_MC0_CTL + 1, 0), 0);
  check("wrmsr MC0_STATUS 1 is #GP", guest_wrmsr_safe(MSR_MC0_CTL + 1, 1), -1);
  check("wrmsr MC0_ADDR 0x1000 is #GP", guest_wrmsr_safe(MSR_MC0_CTL + 2, 0x1000), -1);
  check("wrmsr MC0_MISC 0", guest_wrmsr_safe(MSR_MC0_CTL + 3, 0), 0);
  check("wrmsr MC1_STATUS 0", guest_wrmsr_safe(MSR_MC0_CTL + 5, 0), 0);
  check("wrmsr MC1_MISC 1 is #GP", guest_wrmsr_safe(MSR_MC0_CTL + 7, 1), -1);
  v = 1;
  check("rdmsr MC1_ADDR", guest_rdmsr_safe(MSR_MC0_CTL + 6, &v), 0);
  check("  0", (long)v, 0);
  /* Banks past the count, up to Xen's 32: read 0, writes dropped. */
  v = 1;
  check("rdmsr MC2_CTL (past the banks) reads 0", guest_rdmsr_safe(MSR_MC0_CTL + 8, &v), 0);
  check("  0", (long)v, 0);
  check("wrmsr MC2_STATUS 5: dropped, no #GP", guest_wrmsr_safe(MSR_MC0_CTL + 9, 5), 0);
  v = 1;
  guest_rdmsr_safe(MSR_MC0_CTL + 9, &v);
  check("  reads 0", (long)v, 0);
  check("rdmsr MC31_MISC (0x47f) reads", guest_rdmsr_safe(MSR_MC0_CTL + 0x7f, &v), 0);
  check("rdmsr 0x480 (past Xen's range, IA32_VMX_BASIC) is #GP", guest_rdmsr_safe(0x480, &v), -1);
  if (intel) {
    /* CTL2: any value kept for the two banks; beyond them read 0. */
    v = 1;
    check("rdmsr MC0_CTL2", guest_rdmsr_safe(MSR_MC0_CTL2, &v), 0);
    check("  0", (long)v, 0);
    check("wrmsr MC1_CTL2 CMCI_EN | 1", guest_wrmsr_safe(MSR_MC0_CTL2 + 1, (1ULL << 30) | 1), 0);
    guest_rdmsr_safe(MSR_MC0_CTL2 + 1, &v);
    check("  reads back", (long)v, (1L << 30) | 1);
    check("wrmsr MC1_CTL2 0", guest_wrmsr_safe(MSR_MC0_CTL2 + 1, 0), 0);
    check("wrmsr MC2_CTL2 7: dropped", guest_wrmsr_safe(MSR_MC0_CTL2 + 2, 7), 0);
    v = 1;
    guest_rdmsr_safe(MSR_MC0_CTL2 + 2, &v);
    check("  reads 0", (long)v, 0);
    /* The Pentium's MSRs 0 and 1 read bank 1's ADDR and STATUS. */
    v = 1;
    check("rdmsr P5_MC_ADDR (MSR 0)", guest_rdmsr_safe(0, &v), 0);
    check("  bank 1's ADDR, 0", (long)v, 0);
    check("rdmsr P5_MC_TYPE (MSR 1)", guest_rdmsr_safe(1, &v), 0);
    check("wrmsr P5_MC_ADDR is #GP", guest_wrmsr_safe(0, 0), -1);
  }
}

static void test_faults(void)
{
  static const struct {
    const char *name;
    void (*fn)(void *);
  } ud[] = {
      {"VMXON is #UD", do_vmxon},       {"VMXOFF is #UD", do_vmxoff},
      {"VMCLEAR is #UD", do_vmclear},   {"VMPTRLD is #UD", do_vmptrld},
      {"VMPTRST is #UD", do_vmptrst},   {"VMREAD is #UD", do_vmread},
      {"VMWRITE is #UD", do_vmwrite},   {"VMLAUNCH is #UD", do_vmlaunch},
      {"VMRESUME is #UD", do_vmresume}, {"INVEPT is #UD", do_invept},
      {"INVVPID is #UD", do_invvpid},   {"VMFUNC is #UD", do_vmfunc},
      {"MONITOR is #UD", do_monitor},   {"MWAIT is #UD", do_mwait},
  };
  for (unsigned int i = 0; i < sizeof(ud) / sizeof(ud[0]); i++)
    check(ud[i].name, guest_catch(ud[i].fn, NULL), VEC_UD);
  check("INVD runs (no fault)", guest_catch(do_invd, NULL), -1);
  check("WBINVD runs (no fault)", guest_catch(do_wbinvd, NULL), -1);

  /* CR4: a bit whose feature CPUID hides, a reserved bit, VMXE. */
  uint64_t cr4 = read_cr4();
  check("CR4.VMXE set is #GP (no VMX in CPUID)", write_cr(4, cr4 | (1ULL << 13)), VEC_GP);
  check("CR4.OSXSAVE set is #GP (no XSAVE in CPUID)", write_cr(4, cr4 | (1ULL << 18)), VEC_GP);
  check("CR4.PKE set is #GP (no PKU in CPUID)", write_cr(4, cr4 | (1ULL << 22)), VEC_GP);
  check("CR4 reserved bit 15 set is #GP", write_cr(4, cr4 | (1ULL << 15)), VEC_GP);
  check("CR4 bit 40 set is #GP", write_cr(4, cr4 | (1ULL << 40)), VEC_GP);
  check("CR4 rewritten as it is", write_cr(4, cr4), -1);
  check("  CR4 unchanged by the refused writes", (long)read_cr4(), (long)cr4);
  /* CR4.MCE: allowed exactly when CPUID shows MCE, which Xen's default
   * policy passes on from the host (hvm.c hvm_cr4_guest_valid_bits). */
  if (cpuid2(1, 0).d & (1U << 7)) {
    check("CR4.MCE set (MCE in CPUID)", write_cr(4, cr4 | (1ULL << 6)), -1);
    check("  reads back", (long)(read_cr4() & (1ULL << 6)), 1L << 6);
    check("  and clear again", write_cr(4, cr4), -1);
  } else {
    check("CR4.MCE set is #GP (no MCE in CPUID)", write_cr(4, cr4 | (1ULL << 6)), VEC_GP);
  }
  /* A write that exits is checked against the CR4 the guest sees, bits it
   * owns included: with PCIDE on and a PCID in CR3, a write that sets a
   * bit the hypervisor owns (VMXE's neighbour OSXSAVE is refused for its
   * own reason, so an allowed one: MCE, or PCE's owned twin) keeps PCIDE
   * without the check for turning it on (SDM 4.10.1: CR3[11:0] = 0). */
  if ((cpuid2(1, 0).c & (1U << 17)) && (cpuid2(1, 0).d & (1U << 7))) {
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    check("CR4.PCIDE set", write_cr(4, cr4 | (1ULL << 17)), -1);
    __asm__ volatile("mov %0, %%cr3" : : "r"(cr3 | 1) : "memory"); /* PCID 1 */
    check("  then CR4.MCE set with PCID 1 in CR3 (PCIDE kept, not turned on)",
          write_cr(4, cr4 | (1ULL << 17) | (1ULL << 6)), -1);
    check("  then CR4.MCE clear", write_cr(4, cr4 | (1ULL << 17)), -1);
    __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
    check("  CR4 back as it was", write_cr(4, cr4), -1);
  }

  /* CR0: each write flips NE, which the hypervisor owns, so it exits and
   * is checked there rather than by the CPU. */
  uint64_t cr0 = read_cr0(), ne = 1ULL << 5;
  check("CR0 bit 32 set is #GP", write_cr(0, (cr0 ^ ne) | (1ULL << 32)), VEC_GP);
  check("CR0.NW without CD is #GP", write_cr(0, ((cr0 ^ ne) | (1ULL << 29)) & ~(1ULL << 30)),
        VEC_GP);
  check("CR0.PG clear in 64-bit code is #GP", write_cr(0, (cr0 ^ ne) & ~(1ULL << 31)), VEC_GP);
  check("  CR0 unchanged by the refused writes", (long)read_cr0(), (long)cr0);
  check("CR0 reserved bit 6 set is ignored", write_cr(0, (cr0 ^ ne) | (1ULL << 6)), -1);
  check("  and reads as 0", (long)(read_cr0() & (1ULL << 6)), 0);
  check("  NE flipped", (long)(read_cr0() & ne), (long)((cr0 ^ ne) & ne));
  check("CR0 back as it was", write_cr(0, cr0), -1);
  check("  CR0 reads as before", (long)read_cr0(), (long)cr0);

  /* EFER: reserved bits, SVME without nested SVM, LME with paging on. */
  uint64_t efer = 0, v = 0;
  guest_rdmsr_safe(MSR_EFER_, &efer);
  check("EFER reserved bit 1 set is #GP", guest_wrmsr_safe(MSR_EFER_, efer | 2), -1);
  check("EFER.SVME set is #GP", guest_wrmsr_safe(MSR_EFER_, efer | (1ULL << 12)), -1);
  check("EFER.LME clear with paging on is #GP", guest_wrmsr_safe(MSR_EFER_, efer & ~(1ULL << 8)),
        -1);
  check("EFER written with LMA clear: LMA ignored",
        guest_wrmsr_safe(MSR_EFER_, efer & ~(1ULL << 10)), 0);
  guest_rdmsr_safe(MSR_EFER_, &v);
  check("  EFER as before", (long)v, (long)efer);

  /* DEBUGCTL: LBR and BTF taken (LBR reads as 0: no LBR MSRs), TR #GP. */
  check("DEBUGCTL.BTF write", guest_wrmsr_safe(MSR_DEBUGCTL, 2), 0);
  v = 0;
  guest_rdmsr_safe(MSR_DEBUGCTL, &v);
  check("  reads back BTF", (long)v, 2);
  check("DEBUGCTL.LBR write", guest_wrmsr_safe(MSR_DEBUGCTL, 1), 0);
  v = 5;
  guest_rdmsr_safe(MSR_DEBUGCTL, &v);
  check("  LBR reads as 0 (dropped)", (long)v, 0);
  check("DEBUGCTL.TR write is #GP", guest_wrmsr_safe(MSR_DEBUGCTL, 1ULL << 6), -1);

  /* CPUID faulting. */
  v = 0;
  check("PLATFORM_INFO reads", guest_rdmsr_safe(MSR_PLATFORM_INFO, &v), 0);
  check("  offers CPUID faulting (bit 31)", (long)((v >> 31) & 1), 1);
  check("PLATFORM_INFO write is #GP", guest_wrmsr_safe(MSR_PLATFORM_INFO, v), -1);
  check("MISC_FEATURES_ENABLES bit 1 is #GP", guest_wrmsr_safe(MSR_MISC_FEATURES_ENABLES, 2), -1);
  check("CPUID at CPL 3 runs", user_cpuid(), VEC_UD);
  check("MISC_FEATURES_ENABLES.CPUID_FAULTING set", guest_wrmsr_safe(MSR_MISC_FEATURES_ENABLES, 1),
        0);
  v = 0;
  guest_rdmsr_safe(MSR_MISC_FEATURES_ENABLES, &v);
  check("  reads back 1", (long)v, 1);
  check("  CPUID at CPL 0 still runs", (long)(cpuid2(0, 0).a != 0), 1);
  check("  CPUID at CPL 3 is #GP", user_cpuid(), VEC_GP);
  check("MISC_FEATURES_ENABLES cleared", guest_wrmsr_safe(MSR_MISC_FEATURES_ENABLES, 0), 0);
  check("  CPUID at CPL 3 runs again", user_cpuid(), VEC_UD);

  test_machine_check();
}

/* ---- The end: shutdown_code ---- */

static void test_shutdown_code(void)
{
  struct sched_shutdown sd;

  /* The first code recorded is the one the domain ends with: record the
   * outcome so far; the later calls must not change it. */
  sd.reason = nr_failed ? SHUTDOWN_crash : SHUTDOWN_poweroff;
  check("sched_op shutdown_code", sched_op(SCHEDOP_shutdown_code, PTR(&sd)), 0);
  sd.reason = 99;
  check_div(D_SCHED_CODE_BAD_REASON, sched_op(SCHEDOP_shutdown_code, PTR(&sd)));
  sd.reason = SHUTDOWN_reboot;
  check("sched_op shutdown_code again", sched_op(SCHEDOP_shutdown_code, PTR(&sd)), 0);
}

/* ---- Layout and main ---- */

/* Find the end of RAM below 4 GiB and set up the regions at its top.
 * Returns 0, or -1 (said why) if there is too little RAM. */
static int layout_init(const struct hvm_start_info *si)
{
  extern char __image_end[];
  const struct hvm_memmap_table_entry *e =
      (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;

  if (si->version >= 1)
    for (unsigned int i = 0; i < si->memmap_entries; i++)
      if (e[i].addr == 0 && e[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
        ram_end = e[i].size;
  if (!ram_end) {
    static struct e820entry map[8];
    struct xen_memory_map mm = {.nr_entries = 8, .buffer = PTR(map)};
    if (memory_op(XENMEM_memory_map, PTR(&mm)) == 0 && map[0].addr == 0)
      ram_end = map[0].size;
  }
  if (ram_end > (1ULL << 32))
    ram_end = 1ULL << 32;
  ram_end &= ~(2 * MiB - 1);
  if (ram_end < 32 * MiB || ram_end - 18 * MiB < PTR(__image_end)) {
    printf("abi: needs 32 MiB of RAM or more (RAM from 0 ends at 0x%llx)\n",
           (unsigned long long)ram_end);
    return -1;
  }
  va_hole = ram_end - 16 * MiB;
  va_ro = ram_end - 14 * MiB;
  scratch = ram_end - 12 * MiB;
  *pd_entry(va_hole) = 0;
  *pd_entry(va_ro) &= ~PTE_W;
  flush_tlb();
  printf("abi: RAM ends at 0x%llx: hole 0x%llx, read-only 0x%llx, scratch 0x%llx\n",
         (unsigned long long)ram_end, (unsigned long long)va_hole, (unsigned long long)va_ro,
         (unsigned long long)scratch);
  return 0;
}

static long number(const char *s)
{
  long v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  return v;
}

/* "only=a,b,c" on the command line runs just those groups of checks (and
 * always cpuid and shutdown_code): for finding which one upsets a
 * hypervisor. */
static char only[128];

static int wanted(const char *group)
{
  if (!only[0])
    return 1;
  size_t n = strlen(group);
  for (const char *p = only; *p;) {
    if (!strncmp(p, group, n) && (p[n] == ',' || p[n] == '\0'))
      return 1;
    while (*p && *p != ',')
      p++;
    if (*p == ',')
      p++;
  }
  return 0;
}

int guest_main(const struct hvm_start_info *si)
{
  const char *cmdline = guest_cmdline(si);
  int privileged = !!(si->flags & SIF_PRIVILEGED);
  unsigned int nvcpus = 1;
  long want_domid = -1;
  char val[16];

  if (cmdline_get(cmdline, "vcpus", val, sizeof(val)))
    nvcpus = (unsigned int)number(val);
  if (cmdline_get(cmdline, "domid", val, sizeof(val)))
    want_domid = number(val);
  int codetest = cmdline_get(cmdline, "codetest", val, sizeof(val));
  printf("abi: %s domain, %u vcpu(s), cmdline '%s'\n", privileged ? "privileged" : "unprivileged",
         nvcpus, cmdline);
  if (layout_init(si))
    return 1;

  if (!cmdline_get(cmdline, "only", only, sizeof(only)))
    only[0] = '\0';
  domid_t self = test_cpuid(privileged, want_domid);
  if (wanted("version")) {
    test_xen_version(privileged);
    test_walk_cache();
  }
  if (wanted("console"))
    test_console_io(privileged);
  if (wanted("sched"))
    test_sched_op();
  if (wanted("memory"))
    test_memory_op(si, privileged, self);
  if (wanted("shinfo"))
    test_shared_info(privileged, self);
  if (wanted("hvm")) {
    test_hvm_op(privileged);
    test_pagetable_dying(self);
    test_vm_assist();
  }
  if (wanted("vcpu"))
    test_vcpu_op(nvcpus);
  if (wanted("multicall"))
    test_multicall();
  if (wanted("vectors"))
    test_empty_vectors();
  if (wanted("page"))
    test_hypercall_page();
  if (wanted("user"))
    test_user_mode();
  if (wanted("compat"))
    test_compat_mode();
  if (wanted("faults"))
    test_faults();
  if (wanted("grant"))
    test_grant_table_op(self);
  test_shutdown_code();

  printf("abi: %u checks, %u failed\n", nr_checks, nr_failed);
  if (codetest) {
    /* The shutdown_code recorded above decides how the domain ends. */
    puts(nr_failed ? "TEST FAIL" : "TEST PASS");
    xen_sched_shutdown(SHUTDOWN_reboot);
    puts("abi: SCHEDOP_shutdown returned");
    guest_triple_fault();
  }
  return nr_failed ? 1 : 0;
}
