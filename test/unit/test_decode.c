/* Unit tests of the x86 decoder and emulator (arch/x86/decode.c,
 * emulate.c): a table of encodings (made with GNU as) in 64-, 32- and
 * 16-bit code with prefixes, REX, ModRM/SIB, RIP-relative operands and
 * every address size; every truncation of each; the arithmetic flags
 * against the host CPU's own; string instructions with rep in batches;
 * and random byte strings, each in a buffer of its exact size so that
 * AddressSanitizer sees any read past it. */
#include "unit.h"

#include <arch/decode.h>

/* ---- fake memory: reads give a chosen value, writes are logged ---- */

#define MAX_LOG 4096
static struct access {
  uint64_t la, val;
  unsigned int size;
  bool write;
} log_[MAX_LOG];
static unsigned int nlog;
static uint64_t read_value = ~0ULL; /* a hole reads all ones */
static int fail_read, fail_write;   /* an errno to return, or 0 */

static int fake_read(void *ctx, uint64_t la, void *buf, unsigned int size)
{
  (void)ctx;
  assert_true(size >= 1 && size <= 8);
  if (fail_read)
    return fail_read;
  memcpy(buf, &read_value, size);
  if (nlog < MAX_LOG)
    log_[nlog++] = (struct access){la, read_value, size, false};
  return 0;
}

static int fake_write(void *ctx, uint64_t la, const void *buf, unsigned int size)
{
  (void)ctx;
  assert_true(size >= 1 && size <= 8);
  if (fail_write)
    return fail_write;
  uint64_t v = 0;
  memcpy(&v, buf, size);
  if (nlog < MAX_LOG)
    log_[nlog++] = (struct access){la, v, size, true};
  return 0;
}

static const struct x86_mem_ops fake_ops = {fake_read, fake_write};

static void reset_mem(uint64_t value)
{
  nlog = 0;
  read_value = value;
  fail_read = fail_write = 0;
}

/* Registers 0x1000 * (n + 1), RIP 0x400000; bases matter outside 64-bit
 * mode (and FS/GS in it). */
static struct x86_state state(unsigned int mode)
{
  struct x86_state s = {.rip = 0x400000, .rflags = 0x2, .mode = mode};
  for (unsigned int n = 0; n < 16; n++)
    s.gpr[n] = 0x1000ULL * (n + 1);
  s.seg_base[X86_ES] = 0x100000;
  s.seg_base[X86_SS] = 0x200000;
  s.seg_base[X86_DS] = 0x300000;
  s.seg_base[X86_FS] = mode == X86_MODE_64 ? 0x7f0000000000ULL : 0x400000;
  s.seg_base[X86_GS] = mode == X86_MODE_64 ? 0x7f1000000000ULL : 0x500000;
  return s;
}

/* Decode from a heap buffer of exactly n bytes (ASan's red zone follows). */
static int decode_exact(const uint8_t *bytes, size_t n, unsigned int mode, struct x86_insn *i)
{
  uint8_t *buf = malloc(n ? n : 1);
  memcpy(buf, bytes, n);
  int rc = x86_decode(buf, n, mode, i);
  free(buf);
  return rc;
}

/* ---- the table ---- */

struct row {
  const char *as; /* what GNU as was given */
  unsigned int mode;
  uint8_t bytes[X86_MAX_INSN_LEN];
  uint8_t len, op, size, mem_size, addr_size, seg, reg, flags;
  uint64_t la; /* the operand's linear address in state(mode); 0 for strings */
  uint64_t imm;
};

#define M64 X86_MODE_64
#define M32 X86_MODE_32
#define M16 X86_MODE_16
#define DST X86_INSN_MEM_DST
#define IMM X86_INSN_IMM
#define REX X86_INSN_REX
#define REP X86_INSN_REP
#define RIP X86_INSN_RIPREL
#define LCK X86_INSN_LOCK
#define MOF X86_INSN_MOFFS

/* One row per line: as, mode, bytes, len, op, size, mem_size, addr_size,
 * seg, reg, flags, la, imm. */
/* clang-format off */
static const struct row rows[] = {
    /* 64-bit code */
    {"movl (%rax),%ecx", M64, {0x8b, 0x08}, 2, X86_OP_MOV, 4, 4, 8, X86_DS, 1, 0, 0x1000, 0},
    {"movl %ecx,8(%rbx)", M64, {0x89, 0x4b, 0x08}, 3, X86_OP_MOV, 4, 4, 8, X86_DS, 1, DST, 0x4008, 0},
    {"movb %ah,(%rdx)", M64, {0x88, 0x22}, 2, X86_OP_MOV, 1, 1, 8, X86_DS, 4, DST, 0x3000, 0},
    {"movb %sil,(%rdx)", M64, {0x40, 0x88, 0x32}, 3, X86_OP_MOV, 1, 1, 8, X86_DS, 6, DST | REX, 0x3000, 0},
    {"movw $0x1234,0x10(%rsp)", M64, {0x66, 0xc7, 0x44, 0x24, 0x10, 0x34, 0x12}, 7, X86_OP_MOV, 2, 2, 8, X86_SS, 0, DST | IMM, 0x5010, 0x1234},
    {"movq $-1,(%r8,%r9,4)", M64, {0x4b, 0xc7, 0x04, 0x88, 0xff, 0xff, 0xff, 0xff}, 8, X86_OP_MOV, 8, 8, 8, X86_DS, 0, DST | IMM | REX, 0x9000 + 4 * 0xa000, ~0ULL},
    {"movq 0x100(%rip),%r10", M64, {0x4c, 0x8b, 0x15, 0x00, 0x01, 0x00, 0x00}, 7, X86_OP_MOV, 8, 8, 8, X86_DS, 10, REX | RIP, 0x400107, 0},
    {"movl 0x100(%eip),%eax", M64, {0x67, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00}, 7, X86_OP_MOV, 4, 4, 4, X86_DS, 0, RIP, 0x400107, 0},
    {"movl 0x40(%ebx,%esi,8),%edx", M64, {0x67, 0x8b, 0x54, 0xf3, 0x40}, 5, X86_OP_MOV, 4, 4, 4, X86_DS, 2, 0, 0x4000 + 8 * 0x7000 + 0x40, 0},
    {"movabs 0xfed00000,%eax", M64, {0xa1, 0x00, 0x00, 0xd0, 0xfe, 0, 0, 0, 0}, 9, X86_OP_MOV, 4, 4, 8, X86_DS, 0, MOF, 0xfed00000, 0},
    {"movabs %al,0xfed000f0", M64, {0xa2, 0xf0, 0x00, 0xd0, 0xfe, 0, 0, 0, 0}, 9, X86_OP_MOV, 1, 1, 8, X86_DS, 0, MOF | DST, 0xfed000f0, 0},
    {"movzbl (%rdi),%eax", M64, {0x0f, 0xb6, 0x07}, 3, X86_OP_MOVZX, 4, 1, 8, X86_DS, 0, 0, 0x8000, 0},
    {"movzwq (%r13),%r11", M64, {0x4d, 0x0f, 0xb7, 0x5d, 0x00}, 5, X86_OP_MOVZX, 8, 2, 8, X86_DS, 11, REX, 0xe000, 0},
    {"movsbw 0x7f(%rbp),%cx", M64, {0x66, 0x0f, 0xbe, 0x4d, 0x7f}, 5, X86_OP_MOVSX, 2, 1, 8, X86_SS, 1, 0, 0x607f, 0},
    {"movslq -8(%r12),%rax", M64, {0x49, 0x63, 0x44, 0x24, 0xf8}, 5, X86_OP_MOVSX, 8, 4, 8, X86_DS, 0, REX, 0xcff8, 0},
    {"addl %eax,(%rcx)", M64, {0x01, 0x01}, 2, X86_OP_ADD, 4, 4, 8, X86_DS, 0, DST, 0x2000, 0},
    {"orq (%rdx),%rbx", M64, {0x48, 0x0b, 0x1a}, 3, X86_OP_OR, 8, 8, 8, X86_DS, 3, REX, 0x3000, 0},
    {"andb $0xf0,(%rsi)", M64, {0x80, 0x26, 0xf0}, 3, X86_OP_AND, 1, 1, 8, X86_DS, 4, DST | IMM, 0x7000, (uint64_t)-16},
    {"subw $-2,2(%rdi)", M64, {0x66, 0x83, 0x6f, 0x02, 0xfe}, 5, X86_OP_SUB, 2, 2, 8, X86_DS, 5, DST | IMM, 0x8002, (uint64_t)-2},
    {"xorl $0x80000000,(%r15)", M64, {0x41, 0x81, 0x37, 0x00, 0x00, 0x00, 0x80}, 7, X86_OP_XOR, 4, 4, 8, X86_DS, 6, DST | IMM | REX, 0x10000, 0xffffffff80000000ULL},
    {"cmpq $5,(%rax,%rcx)", M64, {0x48, 0x83, 0x3c, 0x08, 0x05}, 5, X86_OP_CMP, 8, 8, 8, X86_DS, 7, DST | IMM | REX, 0x3000, 5},
    {"testl $0x100,(%rax)", M64, {0xf7, 0x00, 0x00, 0x01, 0x00, 0x00}, 6, X86_OP_TEST, 4, 4, 8, X86_DS, 0, DST | IMM, 0x1000, 0x100},
    {"testb %cl,(%rbx)", M64, {0x84, 0x0b}, 2, X86_OP_TEST, 1, 1, 8, X86_DS, 1, DST, 0x4000, 0},
    {"lock btsl $3,(%rax)", M64, {0xf0, 0x0f, 0xba, 0x28, 0x03}, 5, X86_OP_BTS, 4, 4, 8, X86_DS, 5, DST | IMM | LCK, 0x1000, 3},
    {"btl %edx,(%rax)", M64, {0x0f, 0xa3, 0x10}, 3, X86_OP_BT, 4, 4, 8, X86_DS, 2, DST, 0x1000, 0},
    {"btrq %rcx,(%rbx)", M64, {0x48, 0x0f, 0xb3, 0x0b}, 4, X86_OP_BTR, 8, 8, 8, X86_DS, 1, DST | REX, 0x4000, 0},
    {"xchgl %eax,(%rbx)", M64, {0x87, 0x03}, 2, X86_OP_XCHG, 4, 4, 8, X86_DS, 0, DST, 0x4000, 0},
    {"lock cmpxchgq %rcx,(%rdx)", M64, {0xf0, 0x48, 0x0f, 0xb1, 0x0a}, 5, X86_OP_CMPXCHG, 8, 8, 8, X86_DS, 1, DST | REX | LCK, 0x3000, 0},
    {"rep movsl", M64, {0xf3, 0xa5}, 2, X86_OP_MOVS, 4, 4, 8, X86_DS, 0, REP, 0, 0},
    {"rep stosq", M64, {0xf3, 0x48, 0xab}, 3, X86_OP_STOS, 8, 8, 8, X86_DS, 0, REP | REX, 0, 0},
    {"movsb", M64, {0xa4}, 1, X86_OP_MOVS, 1, 1, 8, X86_DS, 0, 0, 0, 0},
    {"lodsw %fs:(%rsi)", M64, {0x64, 0x66, 0xad}, 3, X86_OP_LODS, 2, 2, 8, X86_FS, 0, 0, 0, 0},
    {"movl %fs:0x10,%eax", M64, {0x64, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0}, 8, X86_OP_MOV, 4, 4, 8, X86_FS, 0, 0, 0x7f0000000010ULL, 0},
    {"movl %gs:(%rax),%eax", M64, {0x65, 0x8b, 0x00}, 3, X86_OP_MOV, 4, 4, 8, X86_GS, 0, 0, 0x7f1000001000ULL, 0},
    {"addr32 rep stosb", M64, {0x67, 0xf3, 0xaa}, 3, X86_OP_STOS, 1, 1, 4, X86_DS, 0, REP, 0, 0},
    /* A REX before a legacy prefix is ignored (SDM vol. 2, 2.2.1). */
    {"rex.w data16 mov %cx,(%rax)", M64, {0x48, 0x66, 0x89, 0x08}, 4, X86_OP_MOV, 2, 2, 8, X86_DS, 1, DST, 0x1000, 0},
    /* SIB base 5 with mod 0 has no base, REX.B or not; disp32 is signed. */
    {"movl 0xfed00000(,%riz),%eax (rex.b)", M64, {0x41, 0x8b, 0x04, 0x25, 0x00, 0x00, 0xd0, 0xfe}, 8, X86_OP_MOV, 4, 4, 8, X86_DS, 0, REX, 0xfffffffffed00000ULL, 0},
    /* ModRM rm 5 with mod 0 is RIP-relative, REX.B or not. */
    {"movl 0x10(%rip),%eax (rex.b)", M64, {0x41, 0x8b, 0x05, 0x10, 0, 0, 0}, 7, X86_OP_MOV, 4, 4, 8, X86_DS, 0, REX | RIP, 0x400017, 0},
    {"movl 0(%r13),%eax", M64, {0x41, 0x8b, 0x45, 0x00}, 4, X86_OP_MOV, 4, 4, 8, X86_DS, 0, REX, 0xe000, 0},
    /* 32-bit code: every segment's base counts, sums wrap at 4 GiB */
    {"movl (%eax),%ecx", M32, {0x8b, 0x08}, 2, X86_OP_MOV, 4, 4, 4, X86_DS, 1, 0, 0x301000, 0},
    {"movl %ecx,8(%ebp)", M32, {0x89, 0x4d, 0x08}, 3, X86_OP_MOV, 4, 4, 4, X86_SS, 1, DST, 0x206008, 0},
    {"movl %es:8(%ebp),%ecx", M32, {0x26, 0x8b, 0x4d, 0x08}, 4, X86_OP_MOV, 4, 4, 4, X86_ES, 1, 0, 0x106008, 0},
    {"movw $7,(%esp)", M32, {0x66, 0xc7, 0x04, 0x24, 0x07, 0x00}, 6, X86_OP_MOV, 2, 2, 4, X86_SS, 0, DST | IMM, 0x205000, 7},
    {"movl 0xfec00000,%eax", M32, {0xa1, 0x00, 0x00, 0xc0, 0xfe}, 5, X86_OP_MOV, 4, 4, 4, X86_DS, 0, MOF, 0xfef00000, 0},
    {"movl 0xfec00000,%ecx", M32, {0x8b, 0x0d, 0x00, 0x00, 0xc0, 0xfe}, 6, X86_OP_MOV, 4, 4, 4, X86_DS, 1, 0, 0xfef00000, 0},
    {"movl 0xfff00000,%eax (wraps)", M32, {0x8b, 0x05, 0x00, 0x00, 0xf0, 0xff}, 6, X86_OP_MOV, 4, 4, 4, X86_DS, 0, 0, 0x200000, 0},
    {"addr16 movl (%bx,%si),%eax", M32, {0x67, 0x8b, 0x00}, 3, X86_OP_MOV, 4, 4, 2, X86_DS, 0, 0, 0x30b000, 0},
    {"rep movsw", M32, {0x66, 0xf3, 0xa5}, 3, X86_OP_MOVS, 2, 2, 4, X86_DS, 0, REP, 0, 0},
    /* 16-bit code */
    {"movw (%bx,%si),%ax", M16, {0x8b, 0x00}, 2, X86_OP_MOV, 2, 2, 2, X86_DS, 0, 0, 0x30b000, 0},
    {"movw 4(%bp,%di),%ax", M16, {0x8b, 0x43, 0x04}, 3, X86_OP_MOV, 2, 2, 2, X86_SS, 0, 0, 0x20e004, 0},
    {"movl (%di),%eax", M16, {0x66, 0x8b, 0x05}, 3, X86_OP_MOV, 4, 4, 2, X86_DS, 0, 0, 0x308000, 0},
    {"movw 0x1234,%ax", M16, {0xa1, 0x34, 0x12}, 3, X86_OP_MOV, 2, 2, 2, X86_DS, 0, MOF, 0x301234, 0},
    {"addr32 movw (%eax,%ebx,2),%cx", M16, {0x67, 0x8b, 0x0c, 0x58}, 4, X86_OP_MOV, 2, 2, 4, X86_DS, 1, 0, 0x309000, 0},
    {"movw 0xf000(%bx),%ax (wraps)", M16, {0x8b, 0x87, 0x00, 0xf0}, 4, X86_OP_MOV, 2, 2, 2, X86_DS, 0, 0, 0x303000, 0},
    {"stosw", M16, {0xab}, 1, X86_OP_STOS, 2, 2, 2, X86_DS, 0, 0, 0, 0},
};
/* clang-format on */

static void test_table(void **st)
{
  (void)st;
  for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
    const struct row *w = &rows[r];
    struct x86_insn i;
    int rc = decode_exact(w->bytes, w->len, w->mode, &i);
    if (rc)
      fail_msg("%s: decode %d", w->as, rc);
    if (i.len != w->len || i.op != w->op || i.size != w->size || i.mem_size != w->mem_size ||
        i.addr_size != w->addr_size || i.seg != w->seg || i.flags != w->flags)
      fail_msg("%s: len %u op %u size %u/%u addr %u seg %u flags 0x%x", w->as, i.len, i.op, i.size,
               i.mem_size, i.addr_size, i.seg, i.flags);
    if ((w->flags & IMM) && i.imm != w->imm)
      fail_msg("%s: imm 0x%llx", w->as, (unsigned long long)i.imm);
    bool string = w->op == X86_OP_MOVS || w->op == X86_OP_STOS || w->op == X86_OP_LODS;
    if (!string && !(w->flags & (IMM | MOF)) && i.reg != w->reg)
      fail_msg("%s: reg %u", w->as, i.reg);
    if ((w->flags & IMM) && w->op >= X86_OP_ADD && w->op <= X86_OP_CMP && i.reg != w->reg)
      fail_msg("%s: group reg %u", w->as, i.reg);
    struct x86_state s = state(w->mode);
    if (!string && x86_insn_linear(&i, &s) != w->la)
      fail_msg("%s: linear 0x%llx, not 0x%llx", w->as, (unsigned long long)x86_insn_linear(&i, &s),
               (unsigned long long)w->la);
    /* Every shorter prefix of the bytes is X86_DECODE_SHORT; trailing
     * bytes change nothing. */
    for (size_t n = 0; n < w->len; n++)
      if (decode_exact(w->bytes, n, w->mode, &i) != X86_DECODE_SHORT)
        fail_msg("%s: %zu bytes not short", w->as, n);
    uint8_t more[X86_MAX_INSN_LEN];
    memset(more, 0x90, sizeof(more));
    memcpy(more, w->bytes, w->len);
    assert_int_equal(decode_exact(more, sizeof(more), w->mode, &i), 0);
    assert_int_equal(i.len, w->len);
  }
}

static void test_unsupported(void **st)
{
  (void)st;
  static const struct {
    const char *what;
    uint8_t bytes[16];
    uint8_t n;
    unsigned int mode;
  } bad[] = {
      {"mov %eax,%ecx (no memory)", {0x8b, 0xc8}, 2, M64},
      {"ud2", {0x0f, 0x0b}, 2, M64},
      {"nop", {0x90}, 1, M64},
      {"lock mov", {0xf0, 0x8b, 0x08}, 3, M64},
      {"lock cmp", {0xf0, 0x39, 0x08}, 3, M64},
      {"adc %ecx,(%rax)", {0x11, 0x08}, 2, M64},
      {"adcl $5,(%rax)", {0x83, 0x10, 0x05}, 3, M64},
      {"c6 /1", {0xc6, 0x08, 0x05}, 3, M64},
      {"notl (%rax)", {0xf7, 0x10}, 2, M64},
      {"0f ba /0", {0x0f, 0xba, 0x00, 0x01}, 4, M64},
      {"arpl in 32-bit code", {0x63, 0x08}, 2, M32},
      {"lock rep stosb", {0xf0, 0xf3, 0xaa}, 3, M64},
      {"fxsave (%rax)", {0x0f, 0xae, 0x00}, 3, M64},
      {"movdqa (%rax),%xmm0", {0x66, 0x0f, 0x6f, 0x00}, 4, M64},
      {"15 bytes of prefixes, then mov",
       {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x8b,
        0x00},
       16,
       M64},
      {"16 bytes long",
       {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xc7, 0x00, 0x01,
        0x00},
       16,
       M64},
  };
  for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
    struct x86_insn i;
    int rc = decode_exact(bad[k].bytes, bad[k].n, bad[k].mode, &i);
    if (rc != X86_DECODE_UNSUPPORTED)
      fail_msg("%s: %d", bad[k].what, rc);
  }
}

/* Decode and emulate bytes in s against the fake memory; 0 or an error. */
static int run(const uint8_t *bytes, size_t n, struct x86_state *s)
{
  struct x86_insn i;
  assert_int_equal(decode_exact(bytes, n, s->mode, &i), 0);
  return x86_emulate(&i, s, &fake_ops, NULL);
}
#define RUN(s, ...)                                                                                \
  ({                                                                                               \
    static const uint8_t b_[] = {__VA_ARGS__};                                                     \
    run(b_, sizeof(b_), (s));                                                                      \
  })

/* Loads from a hole: the register takes all ones at its size, as the CPU
 * writes registers (32 bits zero-extend, 8 and 16 keep the rest). */
static void test_loads(void **st)
{
  (void)st;
  struct x86_state s = state(M64);
  reset_mem(~0ULL);
  s.gpr[X86_RCX] = 0x1122334455667788ULL;
  assert_int_equal(RUN(&s, 0x8b, 0x08), 0); /* movl (%rax),%ecx */
  assert_int_equal(s.gpr[X86_RCX], 0xffffffffULL);
  assert_int_equal(s.rip, 0x400002);
  assert_true(nlog == 1 && !log_[0].write && log_[0].la == 0x1000 && log_[0].size == 4);

  s.gpr[X86_RCX] = 0x1122334455667788ULL;
  assert_int_equal(RUN(&s, 0x66, 0x8b, 0x08), 0); /* movw (%rax),%cx */
  assert_int_equal(s.gpr[X86_RCX], 0x112233445566ffffULL);
  s.gpr[X86_RAX] = 0x1122334455667788ULL;
  s.gpr[X86_RDX] = 0x1000;
  assert_int_equal(RUN(&s, 0x8a, 0x22), 0); /* movb (%rdx),%ah */
  assert_int_equal(s.gpr[X86_RAX], 0x112233445566ff88ULL);
  s.gpr[X86_RSI] = 0x1122334455667788ULL;
  assert_int_equal(RUN(&s, 0x40, 0x8a, 0x32), 0); /* movb (%rdx),%sil */
  assert_int_equal(s.gpr[X86_RSI], 0x11223344556677ffULL);

  reset_mem(0x80);
  s.gpr[X86_RCX] = 0x1122334455667788ULL;
  assert_int_equal(RUN(&s, 0x66, 0x0f, 0xbe, 0x0a), 0); /* movsbw (%rdx),%cx */
  assert_int_equal(s.gpr[X86_RCX], 0x112233445566ff80ULL);
  assert_int_equal(RUN(&s, 0x0f, 0xb6, 0x0a), 0); /* movzbl (%rdx),%ecx */
  assert_int_equal(s.gpr[X86_RCX], 0x80);
  reset_mem(0x80000000);
  assert_int_equal(RUN(&s, 0x48, 0x63, 0x0a), 0); /* movslq (%rdx),%rcx */
  assert_int_equal(s.gpr[X86_RCX], 0xffffffff80000000ULL);
  reset_mem(0x8000);
  assert_int_equal(RUN(&s, 0x48, 0x0f, 0xbf, 0x0a), 0); /* movswq (%rdx),%rcx */
  assert_int_equal(s.gpr[X86_RCX], 0xffffffffffff8000ULL);
  assert_int_equal(RUN(&s, 0x0f, 0xb7, 0x0a), 0); /* movzwl (%rdx),%ecx */
  assert_int_equal(s.gpr[X86_RCX], 0x8000);

  /* A failed read changes nothing and passes the error on. */
  reset_mem(0);
  fail_read = -14;
  s.gpr[X86_RCX] = 7;
  uint64_t rip = s.rip;
  assert_int_equal(RUN(&s, 0x8b, 0x08), -14);
  assert_int_equal(s.gpr[X86_RCX], 7);
  assert_int_equal(s.rip, rip);
}

static void test_stores(void **st)
{
  (void)st;
  struct x86_state s = state(M64);
  reset_mem(0);
  s.gpr[X86_RCX] = 0x1122334455667788ULL;
  assert_int_equal(RUN(&s, 0x89, 0x4b, 0x08), 0); /* movl %ecx,8(%rbx) */
  assert_true(nlog == 1 && log_[0].write && log_[0].la == 0x4008 && log_[0].size == 4 &&
              log_[0].val == 0x55667788);
  s.gpr[X86_RAX] = 0xabcd;
  reset_mem(0);
  assert_int_equal(RUN(&s, 0x88, 0x22), 0); /* movb %ah,(%rdx) */
  assert_true(nlog == 1 && log_[0].val == 0xab && log_[0].size == 1);
  reset_mem(0);
  assert_int_equal(RUN(&s, 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff), 0); /* movq $-2,(%rax) */
  assert_true(nlog == 1 && log_[0].val == 0xfffffffffffffffeULL && log_[0].size == 8);
  reset_mem(0);
  s.gpr[X86_RAX] = 0x1234;
  assert_int_equal(RUN(&s, 0xa2, 0xf0, 0x00, 0xd0, 0xfe, 0, 0, 0, 0),
                   0); /* movabs %al,0xfed000f0 */
  assert_true(nlog == 1 && log_[0].val == 0x34 && log_[0].la == 0xfed000f0);
  assert_int_equal(s.rip, 0x400000 + 3 + 2 + 7 + 9);
}

/* ---- the flags against the host CPU ---- */

#define HOST_OP(name, insn, type, keep)                                                            \
  static uint64_t host_##name(uint64_t a, uint64_t b, uint64_t *flags)                             \
  {                                                                                                \
    type x = (type)a, y = (type)b;                                                                 \
    uint64_t f;                                                                                    \
    __asm__(insn " %2, %0\n\tpushfq\n\tpopq %1" : "+q"(x), "=r"(f) : "q"(y) : "cc");               \
    *flags = f;                                                                                    \
    return keep ? a : (uint64_t)x;                                                                 \
  }
#define HOST_SIZES(op, keep)                                                                       \
  HOST_OP(op##1, #op "b", uint8_t, keep)                                                           \
  HOST_OP(op##2, #op "w", uint16_t, keep)                                                          \
  HOST_OP(op##4, #op "l", uint32_t, keep)                                                          \
  HOST_OP(op##8, #op "q", uint64_t, keep)
HOST_SIZES(add, 0)
HOST_SIZES(or, 0)
HOST_SIZES(and, 0)
HOST_SIZES(sub, 0)
HOST_SIZES(xor, 0)
HOST_SIZES(cmp, 1)
HOST_SIZES(test, 1)

typedef uint64_t (*host_fn)(uint64_t, uint64_t, uint64_t *);
static const struct {
  const char *name;
  uint8_t opcode; /* op r/m8, r8; +1 for the wider form */
  bool logic;     /* AF undefined */
  host_fn host[4];
} alu_ops[] = {
    {"add", 0x00, false, {host_add1, host_add2, host_add4, host_add8}},
    {"or", 0x08, true, {host_or1, host_or2, host_or4, host_or8}},
    {"and", 0x20, true, {host_and1, host_and2, host_and4, host_and8}},
    {"sub", 0x28, false, {host_sub1, host_sub2, host_sub4, host_sub8}},
    {"xor", 0x30, true, {host_xor1, host_xor2, host_xor4, host_xor8}},
    {"cmp", 0x38, false, {host_cmp1, host_cmp2, host_cmp4, host_cmp8}},
    {"test", 0x84, true, {host_test1, host_test2, host_test4, host_test8}},
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Operands that reach the edges: 0, 1, all ones, the sign bits, random. */
static uint64_t operand(void)
{
  static const uint64_t edge[] = {0,
                                  1,
                                  ~0ULL,
                                  0x80,
                                  0x7f,
                                  0x8000,
                                  0x7fff,
                                  0x80000000,
                                  0x7fffffff,
                                  0x8000000000000000ULL,
                                  0x7fffffffffffffffULL,
                                  0x0f,
                                  0x10};
  uint64_t r = next_random();
  return r % 3 ? next_random() >> (r % 64) : edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
}

static void test_alu_flags_match_the_cpu(void **st)
{
  (void)st;
  for (size_t o = 0; o < sizeof(alu_ops) / sizeof(alu_ops[0]); o++)
    for (unsigned int sz = 0; sz < 4; sz++)
      for (int iter = 0; iter < 2000; iter++) {
        unsigned int size = 1U << sz;
        uint64_t a = operand(), b = operand(), m = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
        /* op r/m, %ecx with [rax] holding a; then op %ecx, r/m (memory
         * as the source: "reg = reg op mem") where the op has that form. */
        uint8_t bytes[4];
        size_t n = 0;
        if (size == 2)
          bytes[n++] = 0x66;
        if (size == 8)
          bytes[n++] = 0x48;
        bytes[n++] = (uint8_t)(alu_ops[o].opcode + (size > 1));
        bytes[n++] = 0x08;
        struct x86_state s = state(M64);
        s.rflags = 0x2 | (next_random() & X86_FLAGS_ARITH);
        s.gpr[X86_RCX] = b;
        reset_mem(a);
        assert_int_equal(run(bytes, n, &s), 0);
        uint64_t want_flags, want = alu_ops[o].host[sz](a, b, &want_flags) & m;
        uint64_t fm = X86_FLAGS_ARITH & ~(alu_ops[o].logic ? X86_FLAG_AF : 0);
        if ((s.rflags & fm) != (want_flags & fm))
          fail_msg("%s%u 0x%llx, 0x%llx: flags 0x%llx, the CPU's 0x%llx", alu_ops[o].name, size,
                   (unsigned long long)a, (unsigned long long)b, (unsigned long long)s.rflags,
                   (unsigned long long)want_flags);
        bool writes = strcmp(alu_ops[o].name, "cmp") && strcmp(alu_ops[o].name, "test");
        assert_int_equal(nlog, writes ? 2 : 1);
        if (writes)
          assert_int_equal(log_[1].val & m, want);
        if (alu_ops[o].opcode == 0x84)
          continue;
        /* The other direction: the register is the destination. */
        bytes[n - 2] = (uint8_t)(alu_ops[o].opcode + 2 + (size > 1));
        s = state(M64);
        s.gpr[X86_RCX] = a;
        reset_mem(b);
        assert_int_equal(run(bytes, n, &s), 0);
        assert_int_equal(nlog, 1);
        assert_int_equal(s.rflags & fm, want_flags & fm);
        if (writes)
          assert_int_equal(s.gpr[X86_RCX] & m, want);
        /* With an immediate: 83 /n ib, sign-extended (not for bytes). */
        if (size == 1)
          continue;
        static const uint8_t group1_reg[] = {[0x00 / 8] = 0, [0x08 / 8] = 1, [0x20 / 8] = 4,
                                             [0x28 / 8] = 5, [0x30 / 8] = 6, [0x38 / 8] = 7};
        int8_t imm = (int8_t)next_random();
        bytes[n - 2] = 0x83;
        bytes[n - 1] = (uint8_t)(0x00 | group1_reg[alu_ops[o].opcode / 8] << 3);
        uint8_t with_imm[5];
        memcpy(with_imm, bytes, n);
        with_imm[n] = (uint8_t)imm;
        s = state(M64);
        reset_mem(a);
        assert_int_equal(run(with_imm, n + 1, &s), 0);
        want = alu_ops[o].host[sz](a, (uint64_t)(int64_t)imm, &want_flags) & m;
        assert_int_equal(s.rflags & fm, want_flags & fm);
        if (writes)
          assert_int_equal(log_[1].val & m, want);
      }
}

static void test_bits(void **st)
{
  (void)st;
  struct x86_state s = state(M64);
  reset_mem(0x10);
  assert_int_equal(RUN(&s, 0xf0, 0x0f, 0xba, 0x28, 0x04), 0); /* lock btsl $4,(%rax) */
  assert_true(s.rflags & X86_FLAG_CF);
  assert_true(nlog == 2 && log_[1].write && log_[1].val == 0x10);
  reset_mem(0x10);
  assert_int_equal(RUN(&s, 0x0f, 0xba, 0x30, 0x23), 0); /* btrl $35,(%rax): bit 3 */
  assert_false(s.rflags & X86_FLAG_CF);
  assert_true(nlog == 2 && log_[1].val == 0x10);
  reset_mem(0xffffffff);
  assert_int_equal(RUN(&s, 0x0f, 0xba, 0x38, 0x00), 0); /* btcl $0,(%rax) */
  assert_true(s.rflags & X86_FLAG_CF);
  assert_true(nlog == 2 && log_[1].val == 0xfffffffe);
  /* A register offset reaches outside the operand: -1 is bit 31 of the
   * dword below; 100 is bit 4 of the fourth dword on. */
  reset_mem(0x80000000);
  s.gpr[X86_RDX] = 0xffffffff;
  assert_int_equal(RUN(&s, 0x0f, 0xa3, 0x10), 0); /* btl %edx,(%rax) */
  assert_true(s.rflags & X86_FLAG_CF);
  assert_true(nlog == 1 && log_[0].la == 0x1000 - 4);
  reset_mem(0);
  s.gpr[X86_RDX] = 100;
  assert_int_equal(RUN(&s, 0x0f, 0xab, 0x10), 0); /* btsl %edx,(%rax) */
  assert_false(s.rflags & X86_FLAG_CF);
  assert_true(nlog == 2 && log_[1].la == 0x1000 + 12 && log_[1].val == 0x10);
  reset_mem(~0ULL);
  s.gpr[X86_RCX] = (uint64_t)-65;
  assert_int_equal(RUN(&s, 0x48, 0x0f, 0xb3, 0x0b),
                   0); /* btrq %rcx,(%rbx): bit 63, 2 qwords down */
  assert_true(nlog == 2 && log_[1].la == 0x4000 - 16 && log_[1].val == 0x7fffffffffffffffULL);
}

static void test_xchg_cmpxchg(void **st)
{
  (void)st;
  struct x86_state s = state(M64);
  reset_mem(~0ULL);
  s.gpr[X86_RAX] = 0x1122334455667788ULL;
  assert_int_equal(RUN(&s, 0x87, 0x03), 0); /* xchgl %eax,(%rbx) */
  assert_int_equal(s.gpr[X86_RAX], 0xffffffff);
  assert_true(nlog == 2 && log_[1].write && log_[1].val == 0x55667788);

  /* Not equal: rAX takes the memory value, which is written back. */
  reset_mem(~0ULL);
  s.gpr[X86_RAX] = 5;
  s.gpr[X86_RCX] = 9;
  assert_int_equal(RUN(&s, 0xf0, 0x48, 0x0f, 0xb1, 0x0a), 0); /* lock cmpxchgq %rcx,(%rdx) */
  assert_false(s.rflags & X86_FLAG_ZF);
  assert_int_equal(s.gpr[X86_RAX], ~0ULL);
  assert_true(nlog == 2 && log_[1].val == ~0ULL);
  /* Equal: ZF, and the source is stored. */
  reset_mem(~0ULL);
  assert_int_equal(RUN(&s, 0xf0, 0x48, 0x0f, 0xb1, 0x0a), 0);
  assert_true(s.rflags & X86_FLAG_ZF);
  assert_true(nlog == 2 && log_[1].val == 9);
  /* The byte form compares AL. */
  reset_mem(0xff);
  s.gpr[X86_RAX] = 0x12ff;
  assert_int_equal(RUN(&s, 0x0f, 0xb0, 0x0a), 0); /* cmpxchgb %cl,(%rdx) */
  assert_true(s.rflags & X86_FLAG_ZF);
  assert_true(nlog == 2 && log_[1].val == 9 && log_[1].size == 1);
}

static void test_strings(void **st)
{
  (void)st;
  /* rep stosl over 1000 dwords: batches of X86_REP_BATCH, RIP stays on
   * the instruction until rCX reaches 0. */
  struct x86_state s = state(M64);
  reset_mem(0);
  s.gpr[X86_RCX] = 1000;
  s.gpr[X86_RDI] = 0xfed00000;
  s.gpr[X86_RAX] = 0xdeadbeef;
  unsigned int calls = 0;
  while (s.rip == 0x400000) {
    assert_int_equal(RUN(&s, 0xf3, 0xab), 0);
    calls++;
    assert_true(calls <= 4);
  }
  assert_int_equal(calls, 4);
  assert_int_equal(nlog, 1000);
  assert_int_equal(s.gpr[X86_RCX], 0);
  assert_int_equal(s.gpr[X86_RDI], 0xfed00000 + 4000);
  assert_int_equal(s.rip, 0x400002);
  for (unsigned int k = 0; k < nlog; k++)
    assert_true(log_[k].write && log_[k].la == 0xfed00000 + 4 * k && log_[k].val == 0xdeadbeef);

  /* movsb backwards (DF) from a hole: read then write, both registers move. */
  s = state(M64);
  s.rflags |= X86_FLAG_DF;
  reset_mem(~0ULL);
  assert_int_equal(RUN(&s, 0xa4), 0);
  assert_true(nlog == 2 && log_[0].la == 0x7000 && !log_[0].write && log_[1].la == 0x8000 &&
              log_[1].write && log_[1].val == 0xff);
  assert_int_equal(s.gpr[X86_RSI], 0x7000 - 1);
  assert_int_equal(s.gpr[X86_RDI], 0x8000 - 1);

  /* rep with rCX 0 does nothing and moves on. */
  s = state(M64);
  s.gpr[X86_RCX] = 0;
  reset_mem(0);
  assert_int_equal(RUN(&s, 0xf3, 0x48, 0xab), 0);
  assert_int_equal(nlog, 0);
  assert_int_equal(s.rip, 0x400003);

  /* lodsw %fs:(%rsi): FS's base, AX only. */
  s = state(M64);
  reset_mem(0xabcd);
  assert_int_equal(RUN(&s, 0x64, 0x66, 0xad), 0);
  assert_true(nlog == 1 && log_[0].la == 0x7f0000007000ULL);
  assert_int_equal(s.gpr[X86_RAX], 0xabcd);

  /* addr32 in 64-bit mode: EDI wraps and is zero-extended, RCX's upper
   * half is not the count. */
  s = state(M64);
  s.gpr[X86_RDI] = 0x12fffffffeULL;
  s.gpr[X86_RCX] = 0x100000002ULL;
  reset_mem(0);
  assert_int_equal(RUN(&s, 0x67, 0xf3, 0xaa), 0);
  assert_true(nlog == 2 && log_[0].la == 0xfffffffe && log_[1].la == 0xffffffff);
  assert_int_equal(s.gpr[X86_RDI], 0);
  assert_int_equal(s.gpr[X86_RCX], 0);

  /* 32-bit code: ES's base for the destination, DS's for the source. */
  s = state(M32);
  s.gpr[X86_RCX] = 2;
  reset_mem(0x5555);
  assert_int_equal(RUN(&s, 0x66, 0xf3, 0xa5), 0); /* rep movsw */
  assert_true(nlog == 4 && log_[0].la == 0x307000 && log_[1].la == 0x108000 &&
              log_[3].la == 0x108002 && log_[3].val == 0x5555);

  /* 16-bit code: DI wraps at 64 KiB and keeps its upper bits. */
  s = state(M16);
  s.gpr[X86_RDI] = 0xabcdfffe;
  reset_mem(0);
  assert_int_equal(RUN(&s, 0xab), 0); /* stosw */
  assert_true(nlog == 1 && log_[0].la == 0x10fffe);
  assert_int_equal(s.gpr[X86_RDI], 0xabcd0000);

  /* A failed write in the middle: whole iterations stay done. */
  s = state(M64);
  s.gpr[X86_RCX] = 3;
  reset_mem(0);
  fail_write = -14;
  assert_int_equal(RUN(&s, 0xf3, 0xab), -14);
  assert_int_equal(s.gpr[X86_RCX], 3);
  assert_int_equal(s.rip, 0x400000);
}

/* RIP after the instruction wraps at the mode's size. */
static void test_rip_wraps(void **st)
{
  (void)st;
  struct x86_state s = state(M32);
  s.rip = 0xfffffffe;
  reset_mem(0);
  assert_int_equal(RUN(&s, 0x89, 0x4d, 0x08), 0);
  assert_int_equal(s.rip, 1);
  s = state(M16);
  s.rip = 0xffff;
  assert_int_equal(RUN(&s, 0x8b, 0x00), 0);
  assert_int_equal(s.rip, 1);
}

/* Random byte strings, half of them built from the bytes the decoder
 * knows (prefixes, opcodes, ModRM/SIB patterns) so that decoding gets
 * deep; each decoded one is emulated against the fake memory. */
static void test_fuzz(void **st)
{
  (void)st;
  static const uint8_t interesting[] = {
      0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x40, 0x41, 0x44, 0x48,
      0x4f, 0x0f, 0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa,
      0xab, 0xac, 0xad, 0x00, 0x01, 0x03, 0x09, 0x21, 0x29, 0x31, 0x39, 0x80, 0x81, 0x83, 0x84,
      0x85, 0x86, 0x87, 0xf6, 0xf7, 0xb0, 0xb1, 0xb6, 0xb7, 0xbe, 0xbf, 0xa3, 0xab, 0xb3, 0xbb,
      0xba, 0x63, 0x04, 0x05, 0x24, 0x25, 0x44, 0x84, 0x45, 0x85, 0x0c, 0xff, 0x80, 0x00};
  unsigned long decoded = 0, shorts = 0;
  rng = 12345;
  for (int iter = 0; iter < 300000; iter++) {
    size_t n = (size_t)(next_random() % 17);
    uint8_t *buf = malloc(n ? n : 1);
    bool biased = next_random() & 1;
    for (size_t k = 0; k < n; k++) {
      uint64_t r = next_random();
      buf[k] = biased && (r & 3) ? interesting[(r >> 8) % sizeof(interesting)] : (uint8_t)(r >> 16);
    }
    static const unsigned int modes[] = {M16, M32, M64};
    unsigned int mode = modes[next_random() % 3];
    struct x86_insn i;
    int rc = x86_decode(buf, n, mode, &i);
    assert_true(rc == 0 || rc == X86_DECODE_SHORT || rc == X86_DECODE_UNSUPPORTED);
    if (rc == X86_DECODE_SHORT) {
      assert_true(n < X86_MAX_INSN_LEN);
      shorts++;
    }
    if (rc == 0) {
      decoded++;
      assert_true(i.len >= 1 && i.len <= n && i.len <= X86_MAX_INSN_LEN);
      assert_true(i.size == 1 || i.size == 2 || i.size == 4 || i.size == 8);
      assert_true(i.mem_size >= 1 && i.mem_size <= i.size);
      assert_true(i.addr_size == 2 || i.addr_size == 4 || i.addr_size == 8);
      assert_true(i.seg < X86_NR_SEGS && i.reg < 16 && i.op <= X86_OP_LODS);
      assert_true(i.base < 16 && i.index < 16 && i.index != X86_RSP);
      /* The same bytes with any tail decode the same. */
      uint8_t tail[X86_MAX_INSN_LEN + 1];
      memset(tail, (int)next_random(), sizeof(tail));
      memcpy(tail, buf, i.len);
      struct x86_insn j;
      assert_int_equal(x86_decode(tail, sizeof(tail), mode, &j), 0);
      assert_memory_equal(&i, &j, sizeof(i));
      struct x86_state s = state(mode);
      for (unsigned int r = 0; r < 16; r++)
        s.gpr[r] = next_random() >> (next_random() % 64);
      s.gpr[X86_RCX] &= 0x3ff;
      s.rflags = next_random();
      reset_mem(next_random());
      assert_int_equal(x86_emulate(&i, &s, &fake_ops, NULL), 0);
      if (s.mode != X86_MODE_64)
        for (unsigned int k = 0; k < nlog; k++)
          assert_true(log_[k].la <= 0xffffffffULL);
    }
    free(buf);
  }
  print_message("fuzz: %lu of 300000 decoded, %lu short\n", decoded, shorts);
  assert_true(decoded > 20000 && shorts > 1000);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_unsupported),
      cmocka_unit_test(test_loads),
      cmocka_unit_test(test_stores),
      cmocka_unit_test(test_alu_flags_match_the_cpu),
      cmocka_unit_test(test_bits),
      cmocka_unit_test(test_xchg_cmpxchg),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_rip_wraps),
      cmocka_unit_test(test_fuzz),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
