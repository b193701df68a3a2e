/* Unit tests of the hypercall table (hv/hypercall.c) with every handler
 * faked: each vector reaches its handler with the arguments typed as the
 * ABI says, empty slots and vectors past the table answer -ENOSYS, the
 * -ENOSYS report is said once per domain and (vector, sub-op) and stops
 * after 32, and multicall runs its entries, writes their results back,
 * refuses a nested multicall, and continues after a turn or a handler's
 * continuation. */
#include "unit.h"

#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/hypercall.h>
#include <hv/vtime.h>
#include <public/xen.h>

/* ---- the handlers, faked: which ran, with what ---- */
static const char *called;
static uint64_t got[4];
static long answer;          /* what every faked handler returns */
static int restart_at = -1;  /* the multicall entry whose handler asks to continue */
static int shutdown_at = -1; /* the entry whose handler shuts the domain down */
static unsigned int calls_n;
static bool got_compat; /* vcpu.hcall_compat as the handler saw it */
static struct domain dom;
static struct vcpu vcpu;

static long fake(const char *name, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
  called = name;
  got_compat = vcpu.hcall_compat;
  got[0] = a, got[1] = b, got[2] = c, got[3] = d;
  int i = (int)calls_n++;
  if (i == shutdown_at)
    dom.state = DOMAIN_SHUTDOWN;
  return i == restart_at ? -ERESTART : answer;
}

long do_xen_version(struct vcpu *v, int cmd, uint64_t arg)
{
  (void)v;
  return fake("xen_version", (uint64_t)(int64_t)cmd, arg, 0, 0);
}
long do_console_io(struct vcpu *v, unsigned int cmd, unsigned int count, uint64_t buf,
                   uint64_t args[6])
{
  (void)v, (void)args;
  return fake("console_io", cmd, count, buf, 0);
}
long do_sched_op(struct vcpu *v, int cmd, uint64_t arg)
{
  (void)v;
  return fake("sched_op", (uint64_t)(int64_t)cmd, arg, 0, 0);
}
long do_memory_op(struct vcpu *v, unsigned long cmd, uint64_t arg, uint64_t args[6])
{
  (void)v;
  (void)args;
  return fake("memory_op", cmd, arg, 0, 0);
}
long do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg)
{
  (void)v;
  return fake("hvm_op", op, arg, 0, 0);
}
long do_vcpu_op(struct vcpu *v, int cmd, unsigned int vcpuid, uint64_t arg)
{
  (void)v;
  return fake("vcpu_op", (uint64_t)(int64_t)cmd, vcpuid, arg, 0);
}
long do_vm_assist(struct vcpu *v, unsigned int cmd, unsigned int type)
{
  (void)v;
  return fake("vm_assist", cmd, type, 0, 0);
}
long do_grant_table_op(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count,
                       uint64_t args[6])
{
  (void)v, (void)args;
  return fake("grant_table_op", cmd, arg, count, 0);
}
long do_domctl(struct vcpu *v, uint64_t arg)
{
  (void)v;
  return fake("domctl", arg, 0, 0, 0);
}
long do_sysctl(struct vcpu *v, uint64_t arg)
{
  (void)v;
  return fake("sysctl", arg, 0, 0, 0);
}
long do_platform_op(struct vcpu *v, uint64_t arg)
{
  (void)v;
  return fake("platform_op", arg, 0, 0, 0);
}
long do_physdev_op(struct vcpu *v, int cmd, uint64_t arg)
{
  (void)v;
  return fake("physdev_op", (uint64_t)(int64_t)cmd, arg, 0, 0);
}
long do_event_channel_op(struct vcpu *v, int cmd, uint64_t arg)
{
  (void)v;
  return fake("event_channel_op", (uint64_t)(int64_t)cmd, arg, 0, 0);
}
long do_set_timer_op(struct vcpu *v, uint64_t timeout_ns)
{
  (void)v;
  return fake("set_timer_op", timeout_ns, 0, 0, 0);
}

/* ---- guest memory, faked: gva is an offset into it ---- */
static uint8_t guest[64 * 1024];
static uint64_t fault_from = ~0ULL; /* copies touching this or above fail */

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  (void)v;
  if (gva + len > sizeof(guest) || gva + len > fault_from)
    return -EFAULT;
  memcpy(dst, guest + gva, len);
  return 0;
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  (void)v;
  if (gva + len > sizeof(guest) || gva + len > fault_from)
    return -EFAULT;
  memcpy(guest + gva, src, len);
  return 0;
}

static int setup(void **state)
{
  (void)state;
  memset(&dom, 0, sizeof(dom));
  memset(&vcpu, 0, sizeof(vcpu));
  strcpy(dom.name, "domu1");
  dom.state = DOMAIN_RUNNING;
  vcpu.dom = &dom;
  called = NULL;
  answer = 0;
  restart_at = shutdown_at = -1;
  calls_n = 0;
  got_compat = false;
  fault_from = ~0ULL;
  memset(guest, 0, sizeof(guest));
  shim_log_clear();
  return 0;
}

static long call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
  uint64_t a[6] = {a0, a1, a2, 0x44, 0x55, 0x66};
  return hypercall_dispatch(&vcpu, nr, a);
}

static void test_each_vector_reaches_its_handler_typed(void **state)
{
  (void)state;
  static const struct {
    uint64_t nr;
    const char *name;
  } table[] = {
      {__HYPERVISOR_set_timer_op, "set_timer_op"},
      {__HYPERVISOR_event_channel_op, "event_channel_op"},
      {__HYPERVISOR_memory_op, "memory_op"},
      {__HYPERVISOR_vcpu_op, "vcpu_op"},
      {__HYPERVISOR_vm_assist, "vm_assist"},
      {__HYPERVISOR_hvm_op, "hvm_op"},
      {__HYPERVISOR_xen_version, "xen_version"},
      {__HYPERVISOR_console_io, "console_io"},
      {__HYPERVISOR_sched_op, "sched_op"},
      {__HYPERVISOR_grant_table_op, "grant_table_op"},
      {__HYPERVISOR_sysctl, "sysctl"},
      {__HYPERVISOR_domctl, "domctl"},
      {__HYPERVISOR_platform_op, "platform_op"},
      {__HYPERVISOR_physdev_op, "physdev_op"},
  };
  answer = 1234;
  for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
    called = NULL;
    assert_int_equal(call(table[i].nr, 7, 8, 9), 1234);
    assert_non_null(called);
    assert_string_equal(called, table[i].name);
  }
  /* int commands are sign-extended from the low 32 bits of the register. */
  call(__HYPERVISOR_sched_op, 0xffffffff00000002ULL, 0xabc, 0);
  assert_int_equal(got[0], 2);
  assert_int_equal(got[1], 0xabc);
  call(__HYPERVISOR_xen_version, 0x1ffffffffULL, 0, 0);
  assert_int_equal((int64_t)got[0], -1);
  /* vcpu_op(cmd, vcpuid, arg); grant_table_op(cmd, arg, count). */
  call(__HYPERVISOR_vcpu_op, 3, 0x100000001ULL, 0x5000);
  assert_int_equal(got[0], 3);
  assert_int_equal(got[1], 1); /* unsigned int */
  assert_int_equal(got[2], 0x5000);
  call(__HYPERVISOR_grant_table_op, 1, 0x6000, 0x200000003ULL);
  assert_int_equal(got[0], 1);
  assert_int_equal(got[1], 0x6000);
  assert_int_equal(got[2], 3);
  /* memory_op keeps the whole command (its continuation lives above bit 5). */
  call(__HYPERVISOR_memory_op, 0x1234500ULL | 6, 0x7000, 0);
  assert_int_equal(got[0], 0x1234506ULL);
  /* physdev_op(int cmd, arg). */
  call(__HYPERVISOR_physdev_op, 0xffffffff00000019ULL, 0x8000, 0);
  assert_int_equal(got[0], 25);
  assert_int_equal(got[1], 0x8000);
}

static void test_empty_slots_and_out_of_range(void **state)
{
  (void)state;
  static const uint64_t none[] = {0, 1, 2, 22, 26, 30, 55, 56, 57, 1000, ~0ULL};
  for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
    called = NULL;
    assert_int_equal(call(none[i], 0, 0, 0), -ENOSYS);
    assert_null(called);
  }
}

static void test_enosys_said_once_and_named(void **state)
{
  (void)state;
  uint64_t a[6] = {0};
  hypercall_note_enosys(&vcpu, __HYPERVISOR_mmu_update, a);
  assert_true(shim_log_contains("domu1: hypercall 1 (mmu_update) is not for PVH guests"));
  hypercall_note_enosys(&vcpu, __HYPERVISOR_xenoprof_op, a);
  assert_true(shim_log_contains("hypercall 31 (xenoprof_op) is not for PVH guests"));
  hypercall_note_enosys(&vcpu, __HYPERVISOR_xenpmu_op, a);
  assert_true(shim_log_contains("hypercall 40 (xenpmu_op): not provided here: -ENOSYS"));
  hypercall_note_enosys(&vcpu, 56, a);
  assert_true(shim_log_contains("hypercall 56: no such hypercall: -ENOSYS"));
  a[0] = 11;
  hypercall_note_enosys(&vcpu, __HYPERVISOR_event_channel_op, a);
  assert_true(shim_log_contains("domu1: event_channel_op op 11: not provided here: -ENOSYS"));
  /* memory_op's sub-op is its low 6 bits: 0x40 | 11 is op 11 again. */
  a[0] = 0x40 | 11;
  hypercall_note_enosys(&vcpu, __HYPERVISOR_memory_op, a);
  assert_true(shim_log_contains("memory_op op 11: not provided"));
  shim_log_clear();
  hypercall_note_enosys(&vcpu, __HYPERVISOR_memory_op, a);
  a[0] = 11;
  hypercall_note_enosys(&vcpu, __HYPERVISOR_memory_op, a);
  hypercall_note_enosys(&vcpu, __HYPERVISOR_event_channel_op, a);
  hypercall_note_enosys(&vcpu, __HYPERVISOR_mmu_update, a);
  hypercall_note_enosys(&vcpu, 57, a); /* past the table: all one key */
  assert_string_equal(shim_log(), "");
  /* Another domain has its own record. */
  struct domain other = {.state = DOMAIN_RUNNING};
  struct vcpu ov = {.dom = &other};
  strcpy(other.name, "dom0");
  hypercall_note_enosys(&ov, __HYPERVISOR_mmu_update, a);
  assert_true(shim_log_contains("dom0: hypercall 1 (mmu_update)"));
}

/* sysctl, domctl and platform_op take a pointer: the report names the
 * cmd in the structure (once per cmd), not the pointer. */
static void test_enosys_names_sysctl_and_domctl_cmd(void **state)
{
  (void)state;
  uint64_t a[6] = {0};
  uint32_t cmd = 14; /* XEN_SYSCTL_cpupool_op */
  memcpy(guest + 256, &cmd, sizeof(cmd));
  memcpy(guest + 512, &cmd, sizeof(cmd));
  a[0] = 256;
  hypercall_note_enosys(&vcpu, __HYPERVISOR_sysctl, a);
  assert_true(shim_log_contains("domu1: sysctl op 14: not provided here: -ENOSYS"));
  shim_log_clear();
  a[0] = 512; /* the same cmd from another buffer: said already */
  hypercall_note_enosys(&vcpu, __HYPERVISOR_sysctl, a);
  assert_string_equal(shim_log(), "");
  cmd = 79;
  memcpy(guest + 512, &cmd, sizeof(cmd));
  hypercall_note_enosys(&vcpu, __HYPERVISOR_domctl, a);
  assert_true(shim_log_contains("domu1: domctl op 79: not provided here: -ENOSYS"));
  shim_log_clear();
  a[0] = sizeof(guest); /* unreadable: no line at all */
  hypercall_note_enosys(&vcpu, __HYPERVISOR_domctl, a);
  assert_string_equal(shim_log(), "");
  /* platform_op too: struct xen_platform_op starts with cmd. */
  cmd = 61; /* XENPF_resource_op */
  memcpy(guest + 768, &cmd, sizeof(cmd));
  a[0] = 768;
  hypercall_note_enosys(&vcpu, __HYPERVISOR_platform_op, a);
  assert_true(shim_log_contains("domu1: platform_op op 61: not provided here: -ENOSYS"));
}

static void test_enosys_reports_stop_after_32(void **state)
{
  (void)state;
  uint64_t a[6] = {0};
  for (unsigned int op = 0; op < 40; op++) {
    a[0] = op;
    hypercall_note_enosys(&vcpu, __HYPERVISOR_hvm_op, a);
  }
  assert_true(shim_log_contains("hvm_op op 31: not provided here"));
  assert_false(shim_log_contains("hvm_op op 32:"));
  assert_true(shim_log_contains("domu1: further -ENOSYS hypercalls are not reported"));
  assert_int_equal(dom.enosys_reported_n, 32);
}

/* A multicall list of n entries at gva 0x1000. */
static void put_entries(unsigned int n, uint64_t op)
{
  for (unsigned int i = 0; i < n; i++) {
    struct multicall_entry e = {.op = op, .args = {i, 100 + i, 0, 0, 0, 0}};
    memcpy(guest + 0x1000 + i * sizeof(e), &e, sizeof(e));
  }
}

static struct multicall_entry entry(unsigned int i)
{
  struct multicall_entry e;
  memcpy(&e, guest + 0x1000 + i * sizeof(e), sizeof(e));
  return e;
}

static void test_multicall_runs_and_writes_results(void **state)
{
  (void)state;
  put_entries(3, __HYPERVISOR_sched_op);
  struct multicall_entry nested = {.op = __HYPERVISOR_multicall};
  memcpy(guest + 0x1000 + 3 * sizeof(nested), &nested, sizeof(nested));
  struct multicall_entry missing = {.op = 2}; /* set_gdt: PV only */
  memcpy(guest + 0x1000 + 4 * sizeof(missing), &missing, sizeof(missing));
  answer = 77;
  assert_int_equal(call(__HYPERVISOR_multicall, 0x1000, 5, 0), 0);
  assert_int_equal(calls_n, 3);
  for (unsigned int i = 0; i < 3; i++)
    assert_int_equal(entry(i).result, 77);
  assert_int_equal((long)entry(3).result, -EINVAL); /* no multicall in a multicall */
  assert_int_equal((long)entry(4).result, -ENOSYS);
  assert_true(shim_log_contains("hypercall 2 (set_gdt) is not for PVH guests"));
}

static void test_multicall_continues_after_a_turn(void **state)
{
  (void)state;
  put_entries(100, __HYPERVISOR_xen_version);
  uint64_t a[6] = {0x1000, 100};
  assert_int_equal(hypercall_dispatch(&vcpu, __HYPERVISOR_multicall, a), -ERESTART);
  assert_int_equal(calls_n, 64);
  assert_int_equal(a[0], 0x1000 + 64 * sizeof(struct multicall_entry));
  assert_int_equal(a[1], 36);
  assert_int_equal(hypercall_dispatch(&vcpu, __HYPERVISOR_multicall, a), 0);
  assert_int_equal(calls_n, 100);
}

static void test_multicall_entry_continuation(void **state)
{
  (void)state;
  put_entries(4, __HYPERVISOR_memory_op);
  restart_at = 2; /* the third entry's handler does part of its work */
  uint64_t a[6] = {0x1000, 4};
  assert_int_equal(hypercall_dispatch(&vcpu, __HYPERVISOR_multicall, a), -ERESTART);
  assert_int_equal(calls_n, 3);
  /* The multicall resumes at that entry, with its arguments as they are. */
  assert_int_equal(a[0], 0x1000 + 2 * sizeof(struct multicall_entry));
  assert_int_equal(a[1], 2);
  assert_int_equal(entry(2).args[1], 102);
}

static void test_multicall_faults_and_shutdown(void **state)
{
  (void)state;
  put_entries(4, __HYPERVISOR_sched_op);
  /* The third entry cannot be read: -EFAULT, the first two done. */
  fault_from = 0x1000 + 2 * sizeof(struct multicall_entry) + 8;
  assert_int_equal(call(__HYPERVISOR_multicall, 0x1000, 4, 0), -EFAULT);
  assert_int_equal(calls_n, 2);
  /* An entry shuts its domain down: nothing after it runs or is written. */
  fault_from = ~0ULL;
  calls_n = 0;
  shutdown_at = 1;
  answer = 5;
  put_entries(4, __HYPERVISOR_sched_op);
  assert_int_equal(call(__HYPERVISOR_multicall, 0x1000, 4, 0), 0);
  assert_int_equal(calls_n, 2);
  assert_int_equal(entry(0).result, 5);
  assert_int_equal(entry(1).result, 0);
  /* A list past the end of guest memory. */
  dom.state = DOMAIN_RUNNING;
  assert_int_equal(call(__HYPERVISOR_multicall, sizeof(guest) - 8, 1, 0), -EFAULT);
}

/* ---- 32-bit callers ---- */

/* As the arch's exit path calls it: -ENOSYS goes to the report. */
static long call32(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
  uint64_t a[6] = {a0, a1, a2, 0x44, 0x55, 0x66};
  long ret = hypercall_dispatch_compat(&vcpu, nr, a);
  if (ret == -ENOSYS)
    hypercall_note_enosys(&vcpu, nr, a);
  return ret;
}

static void test_compat_same_layout_reaches_handlers(void **state)
{
  (void)state;
  /* Plain integers, byte buffers and structures of Xen's "?" lines
   * (xen/include/xlat.lst): the 64-bit handler serves them. */
  static const struct {
    uint32_t nr;
    uint64_t op;
    const char *name;
  } same[] = {
      {__HYPERVISOR_xen_version, 0 /* XENVER_version */, "xen_version"},
      {__HYPERVISOR_xen_version, 5 /* platform_parameters: the handler's 4 bytes */, "xen_version"},
      {__HYPERVISOR_console_io, 0 /* CONSOLEIO_write */, "console_io"},
      {__HYPERVISOR_sched_op, 0 /* yield */, "sched_op"},
      {__HYPERVISOR_sched_op, 2 /* shutdown */, "sched_op"},
      {__HYPERVISOR_event_channel_op, 4 /* send */, "event_channel_op"},
      {__HYPERVISOR_event_channel_op, 6 /* alloc_unbound */, "event_channel_op"},
      {__HYPERVISOR_event_channel_op, 5 /* status */, "event_channel_op"},
      {__HYPERVISOR_vcpu_op, 3 /* is_up */, "vcpu_op"},
      {__HYPERVISOR_vcpu_op, 6 /* set_periodic_timer */, "vcpu_op"},
      {__HYPERVISOR_vcpu_op, 10 /* register_vcpu_info: the layout latched */, "vcpu_op"},
      {__HYPERVISOR_memory_op, 3 /* current_reservation */, "memory_op"},
      {__HYPERVISOR_grant_table_op, 6 /* query_size */, "grant_table_op"},
      {__HYPERVISOR_grant_table_op, 0 /* map_grant_ref */, "grant_table_op"},
      {__HYPERVISOR_hvm_op, 0 /* set_param */, "hvm_op"},
      {__HYPERVISOR_vm_assist, 0, "vm_assist"},
      {__HYPERVISOR_domctl, 0x1000, "domctl"},
      {__HYPERVISOR_sysctl, 0x1000, "sysctl"},
      {__HYPERVISOR_platform_op, 0x1000, "platform_op"},
      {__HYPERVISOR_physdev_op, 25 /* pci_device_add */, "physdev_op"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
    called = NULL;
    got_compat = false;
    answer = (long)i + 1;
    assert_int_equal(call32(same[i].nr, same[i].op, 0x1000, 7), (long)i + 1);
    assert_non_null(called);
    assert_string_equal(called, same[i].name);
    assert_true(got_compat);
    assert_false(vcpu.hcall_compat); /* only while the handler runs */
  }
  assert_false(shim_log_contains("32-bit caller"));
}

static void test_compat_translated_reach_handlers(void **state)
{
  (void)state;
  /* Structures of Xen's "!" lines: the handler itself reads them in the
   * 32-bit layout (hv/compat.h), so they reach it with hcall_compat. */
  static const struct {
    uint32_t nr;
    uint64_t op;
    const char *name;
  } xlat[] = {
      {__HYPERVISOR_memory_op, 9 /* memory_map */, "memory_op"},
      {__HYPERVISOR_memory_op, 7 /* add_to_physmap */, "memory_op"},
      {__HYPERVISOR_vcpu_op, 4 /* get_runstate_info */, "vcpu_op"},
      {__HYPERVISOR_vcpu_op, 5 /* register_runstate_memory_area */, "vcpu_op"},
      {__HYPERVISOR_vcpu_op, 8 /* set_singleshot_timer */, "vcpu_op"},
      {__HYPERVISOR_sched_op, 3 /* poll */, "sched_op"},
      {__HYPERVISOR_grant_table_op, 2 /* setup_table */, "grant_table_op"},
      {__HYPERVISOR_grant_table_op, 5 /* copy */, "grant_table_op"},
      {__HYPERVISOR_vcpu_op, 10 /* register_vcpu_info: the latched layout */, "vcpu_op"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(xlat); i++) {
    called = NULL;
    got_compat = false;
    answer = (long)i + 1;
    assert_int_equal(call32(xlat[i].nr, xlat[i].op, 0x1000, 1), (long)i + 1);
    assert_string_equal(called, xlat[i].name);
    assert_true(got_compat);
    assert_false(vcpu.hcall_compat);
  }
  assert_false(shim_log_contains("32-bit caller"));
}

/* A 32-bit multicall list (compat_multicall_entry: every field 32 bits)
 * at gva 0x1000. */
static void put_entry32(unsigned int i, uint32_t op, uint32_t a0, uint32_t a1)
{
  uint32_t e[8] = {op, 0xeeeeeeee, a0, a1, 0xffffffff, 0, 0, 0};
  memcpy(guest + 0x1000 + i * sizeof(e), e, sizeof(e));
}

static uint32_t field32(unsigned int i, unsigned int k)
{
  uint32_t f;
  memcpy(&f, guest + 0x1000 + i * 32 + k * 4, sizeof(f));
  return f;
}

static void test_compat_multicall(void **state)
{
  (void)state;
  put_entry32(0, __HYPERVISOR_sched_op, 0 /* yield */, 0x2000);
  put_entry32(1, __HYPERVISOR_set_timer_op, 0x89abcdef, 0x01234567); /* two halves */
  put_entry32(2, __HYPERVISOR_multicall, 0x1000, 1);
  put_entry32(3, __HYPERVISOR_vcpu_op, 10 /* register_vcpu_info */, 0);
  put_entry32(4, __HYPERVISOR_event_channel_op, 4, 0x3000);
  answer = -EINVAL - 1;
  assert_int_equal(call32(__HYPERVISOR_multicall, 0x1000, 5, 0), 0);
  assert_int_equal(calls_n, 4);
  assert_string_equal(called, "event_channel_op");
  assert_true(got_compat); /* each entry runs as a 32-bit call */
  assert_int_equal(got[1], 0x3000);
  /* Results are 32 bits; the entry's other fields stay as they were. */
  assert_int_equal(field32(0, 1), (uint32_t)(-EINVAL - 1));
  assert_int_equal(field32(1, 1), (uint32_t)(-EINVAL - 1));
  assert_int_equal(field32(2, 1), (uint32_t)-EINVAL); /* no multicall in a multicall */
  assert_int_equal(field32(3, 1), (uint32_t)(-EINVAL - 1));
  assert_int_equal(field32(4, 1), (uint32_t)(-EINVAL - 1));
  assert_int_equal(field32(1, 0), __HYPERVISOR_set_timer_op);
  assert_int_equal(field32(1, 2), 0x89abcdef);
  assert_false(vcpu.hcall_compat);

  /* An entry's own continuation: its arguments go back as 32 bits, and
   * the multicall resumes there. */
  calls_n = 0;
  restart_at = 1;
  for (unsigned int i = 0; i < 3; i++)
    put_entry32(i, __HYPERVISOR_memory_op, i, 100 + i);
  uint64_t a[6] = {0x1000, 3};
  vcpu.hcall_compat = true; /* as hypercall_dispatch_compat sets it */
  assert_int_equal(hypercall_dispatch(&vcpu, __HYPERVISOR_multicall, a), -ERESTART);
  assert_int_equal(a[0], 0x1000 + 32);
  assert_int_equal(a[1], 2);
  assert_int_equal(field32(1, 2), 1);
  assert_int_equal(field32(1, 3), 101);
  assert_int_equal(field32(1, 4), 0xffffffff);
  assert_int_equal(field32(1, 1), 0xeeeeeeee); /* no result for it yet */
  assert_int_equal(field32(2, 0), __HYPERVISOR_memory_op);

  /* An entry that cannot be read. */
  vcpu.hcall_compat = false;
  fault_from = 0x1000 + 2 * 32 + 4;
  calls_n = 0;
  restart_at = -1;
  assert_int_equal(call32(__HYPERVISOR_multicall, 0x1000, 3, 0), -EFAULT);
  assert_int_equal(calls_n, 2);
}

static void test_compat_set_timer_op_two_halves(void **state)
{
  (void)state;
  /* Xen's compat_set_timer_op(lo, hi): EBX the low half, ECX the high. */
  assert_int_equal(call32(__HYPERVISOR_set_timer_op, 0x89abcdef, 0x01234567, 0), 0);
  assert_string_equal(called, "set_timer_op");
  assert_int_equal(got[0], 0x0123456789abcdefULL);
}

static void test_compat_handler_enosys_reported(void **state)
{
  (void)state;
  answer = -ENOSYS;
  assert_int_equal(call32(__HYPERVISOR_event_channel_op, 99, 0x1000, 0), -ENOSYS);
  assert_true(shim_log_contains("domu1: event_channel_op op 99: not provided here: -ENOSYS"));
  assert_int_equal(call32(50, 0, 0, 0), -ENOSYS); /* an empty slot */
  assert_true(shim_log_contains("domu1: hypercall 50: no such hypercall: -ENOSYS"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_each_vector_reaches_its_handler_typed, setup),
      cmocka_unit_test_setup(test_empty_slots_and_out_of_range, setup),
      cmocka_unit_test_setup(test_enosys_said_once_and_named, setup),
      cmocka_unit_test_setup(test_enosys_names_sysctl_and_domctl_cmd, setup),
      cmocka_unit_test_setup(test_enosys_reports_stop_after_32, setup),
      cmocka_unit_test_setup(test_multicall_runs_and_writes_results, setup),
      cmocka_unit_test_setup(test_multicall_continues_after_a_turn, setup),
      cmocka_unit_test_setup(test_multicall_entry_continuation, setup),
      cmocka_unit_test_setup(test_multicall_faults_and_shutdown, setup),
      cmocka_unit_test_setup(test_compat_same_layout_reaches_handlers, setup),
      cmocka_unit_test_setup(test_compat_translated_reach_handlers, setup),
      cmocka_unit_test_setup(test_compat_multicall, setup),
      cmocka_unit_test_setup(test_compat_set_timer_op_two_halves, setup),
      cmocka_unit_test_setup(test_compat_handler_enosys_reported, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
