/* The x86 emulator of arch/decode.h: performs one decoded instruction on
 * a vcpu's registers and RFLAGS, with its memory operand read and written
 * through the caller's struct x86_mem_ops.  The flags follow each
 * instruction's "Flags Affected" in SDM vol. 2; where the SDM leaves a
 * flag undefined (AF after a logical op; OF SF AF PF after bt*) it is
 * cleared or left alone as said at each. */
#include <arch/decode.h>

static uint64_t mask(unsigned int size) { return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1; }

/* A register operand of size bytes.  Without REX, byte registers 4-7 are
 * AH CH DH BH (SDM vol. 2, 2.1.5 table 2-2, note). */
static uint64_t reg_get(const struct x86_state *s, unsigned int reg, unsigned int size, bool rex)
{
  if (size == 1 && !rex && reg >= 4 && reg < 8)
    return (s->gpr[reg - 4] >> 8) & 0xff;
  return s->gpr[reg & 15] & mask(size);
}

/* Write a register operand: 8 and 16 bits keep the rest of the register,
 * 32 bits zero the upper half (SDM vol. 1, 3.4.1.1). */
static void reg_set(struct x86_state *s, unsigned int reg, unsigned int size, bool rex, uint64_t v)
{
  if (size == 1 && !rex && reg >= 4 && reg < 8) {
    s->gpr[reg - 4] = (s->gpr[reg - 4] & ~0xff00ULL) | ((v & 0xff) << 8);
    return;
  }
  uint64_t *r = &s->gpr[reg & 15];
  *r = size == 4 ? (uint32_t)v : (*r & ~mask(size)) | (v & mask(size));
}

/* A segment base plus an offset: outside 64-bit mode every base counts and
 * the sum wraps at 4 GiB; in it only FS and GS have one (SDM vol. 3, 3.4.4). */
static uint64_t linear(const struct x86_state *s, unsigned int seg, uint64_t offset)
{
  if (s->mode == X86_MODE_64)
    return seg == X86_FS || seg == X86_GS ? offset + s->seg_base[seg] : offset;
  return (uint32_t)(offset + s->seg_base[seg % X86_NR_SEGS]);
}

uint64_t x86_insn_linear(const struct x86_insn *i, const struct x86_state *s)
{
  uint64_t ea = (uint64_t)i->disp;
  if (i->flags & X86_INSN_RIPREL)
    ea += s->rip + i->len;
  if (i->base >= 0)
    ea += s->gpr[i->base & 15];
  if (i->index >= 0)
    ea += s->gpr[i->index & 15] * i->scale;
  return linear(s, i->seg, ea & mask(i->addr_size));
}

/* Even parity of the low byte: PF (SDM vol. 1, 3.4.3.1). */
static bool parity_even(uint64_t r)
{
  uint8_t x = (uint8_t)r;
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return !(x & 1);
}

/* a op b at size bytes, with CF PF AF ZF SF OF set in *rflags as add,
 * sub/cmp and the logical ops (and/test, or, xor: CF OF clear, AF
 * undefined, here clear) set them. */
static uint64_t alu(unsigned int op, uint64_t a, uint64_t b, unsigned int size, uint64_t *rflags)
{
  uint64_t m = mask(size), sign = 1ULL << (8 * size - 1), r, f = 0;
  a &= m;
  b &= m;
  switch (op) {
  case X86_OP_ADD:
    r = (a + b) & m;
    f |= (r < a ? X86_FLAG_CF : 0) | ((a ^ r) & (b ^ r) & sign ? X86_FLAG_OF : 0);
    f |= (a ^ b ^ r) & X86_FLAG_AF;
    break;
  case X86_OP_SUB:
  case X86_OP_CMP:
  case X86_OP_CMPXCHG:
    r = (a - b) & m;
    f |= (a < b ? X86_FLAG_CF : 0) | ((a ^ b) & (a ^ r) & sign ? X86_FLAG_OF : 0);
    f |= (a ^ b ^ r) & X86_FLAG_AF;
    break;
  case X86_OP_OR: r = a | b; break;
  case X86_OP_XOR: r = a ^ b; break;
  default: r = a & b; break; /* and, test */
  }
  f |= (r ? 0 : X86_FLAG_ZF) | (r & sign ? X86_FLAG_SF : 0) | (parity_even(r) ? X86_FLAG_PF : 0);
  *rflags = (*rflags & ~X86_FLAGS_ARITH) | f;
  return r;
}

/* Add d to an address register at the address size (rSI, rDI, rCX of the
 * string instructions): 16 bits keep the rest, 32 bits zero-extend. */
static void addr_reg_add(struct x86_state *s, unsigned int reg, unsigned int asz, int64_t d)
{
  uint64_t v = s->gpr[reg] + (uint64_t)d;
  s->gpr[reg] = asz == 8 ? v : asz == 4 ? (uint32_t)v : (s->gpr[reg] & ~0xffffULL) | (v & 0xffff);
}

static void next_rip(const struct x86_insn *i, struct x86_state *s)
{
  s->rip = (s->rip + i->len) & mask(s->mode == X86_MODE_64 ? 8 : s->mode == X86_MODE_32 ? 4 : 2);
}

/* movs, stos, lods: one element per iteration at rSI/rDI, which move by
 * the size the way RFLAGS.DF says; with rep, rCX counts down and at most
 * X86_REP_BATCH iterations are done before RIP moves on (SDM vol. 2,
 * MOVS/STOS/LODS and REP). */
static int string_op(const struct x86_insn *i, struct x86_state *s, const struct x86_mem_ops *ops,
                     void *ctx)
{
  unsigned int size = i->size, asz = i->addr_size;
  bool rep = i->flags & X86_INSN_REP;
  uint64_t count = rep ? s->gpr[X86_RCX] & mask(asz) : 1;
  int64_t step = s->rflags & X86_FLAG_DF ? -(int64_t)size : (int64_t)size;

  for (unsigned int k = 0; count && k < X86_REP_BATCH; k++) {
    uint64_t v = reg_get(s, X86_RAX, size, true);
    uint64_t src = linear(s, i->seg, s->gpr[X86_RSI] & mask(asz));
    uint64_t dst = linear(s, X86_ES, s->gpr[X86_RDI] & mask(asz));
    int err = 0;
    if (i->op != X86_OP_STOS)
      err = ops->read(ctx, src, &v, size);
    if (!err && i->op != X86_OP_LODS)
      err = ops->write(ctx, dst, &v, size);
    if (err)
      return err;
    if (i->op == X86_OP_LODS)
      reg_set(s, X86_RAX, size, true, v);
    if (i->op != X86_OP_STOS)
      addr_reg_add(s, X86_RSI, asz, step);
    if (i->op != X86_OP_LODS)
      addr_reg_add(s, X86_RDI, asz, step);
    count--;
    if (rep)
      addr_reg_add(s, X86_RCX, asz, -1);
  }
  if (!count)
    next_rip(i, s);
  return 0;
}

/* bt bts btr btc: the bit's offset from an immediate (modulo the operand's
 * bits) or a register (signed, and it may reach outside the operand: the
 * address moves by whole operands, SDM vol. 2, BT "bit base/offset"). */
static int bit_op(const struct x86_insn *i, struct x86_state *s, const struct x86_mem_ops *ops,
                  void *ctx, uint64_t la)
{
  unsigned int size = i->size, bits = 8 * size;
  uint64_t v = 0;
  int64_t off;
  if (i->flags & X86_INSN_IMM) {
    off = (int64_t)(i->imm & (bits - 1));
  } else {
    uint64_t r = reg_get(s, i->reg, size, true);
    off = (int64_t)(r << (64 - bits)) >> (64 - bits);                   /* sign-extended */
    int64_t units = off >= 0 ? off / bits : -((-(off + 1)) / bits) - 1; /* floor */
    la += (uint64_t)(units * (int64_t)size);
    if (s->mode != X86_MODE_64)
      la = (uint32_t)la;
    off -= units * (int64_t)bits;
  }
  int err = ops->read(ctx, la, &v, size);
  if (err)
    return err;
  uint64_t bit = 1ULL << off;
  s->rflags = (s->rflags & ~X86_FLAG_CF) | (v & bit ? X86_FLAG_CF : 0);
  if (i->op == X86_OP_BT)
    return 0;
  v = i->op == X86_OP_BTS ? v | bit : i->op == X86_OP_BTR ? v & ~bit : v ^ bit;
  return ops->write(ctx, la, &v, size);
}

/* The memory-operand forms (all but the string instructions). */
static int mem_op(const struct x86_insn *i, struct x86_state *s, const struct x86_mem_ops *ops,
                  void *ctx)
{
  unsigned int size = i->size;
  bool rex = i->flags & X86_INSN_REX, mem_dst = i->flags & X86_INSN_MEM_DST;
  uint64_t la = x86_insn_linear(i, s), m = 0, r;
  uint64_t src = i->flags & X86_INSN_IMM ? i->imm & mask(size) : reg_get(s, i->reg, size, rex);
  int err;

  switch (i->op) {
  case X86_OP_MOV:
    if (mem_dst)
      return ops->write(ctx, la, &src, size);
    __attribute__((fallthrough)); /* a load */
  case X86_OP_MOVZX:
  case X86_OP_MOVSX:
    if ((err = ops->read(ctx, la, &m, i->mem_size)))
      return err;
    if (i->op == X86_OP_MOVSX) {
      unsigned int shift = 64 - 8 * i->mem_size;
      m = (uint64_t)((int64_t)(m << shift) >> shift);
    }
    reg_set(s, i->reg, size, rex, m);
    return 0;
  case X86_OP_XCHG:
    if ((err = ops->read(ctx, la, &m, size)) || (err = ops->write(ctx, la, &src, size)))
      return err;
    reg_set(s, i->reg, size, rex, m);
    return 0;
  case X86_OP_CMPXCHG: {
    /* Compare rAX with the destination; equal: ZF and the source is
     * stored; else rAX takes the destination, which is written back
     * unchanged (SDM vol. 2, CMPXCHG: the CPU always writes). */
    if ((err = ops->read(ctx, la, &m, size)))
      return err;
    alu(X86_OP_CMP, reg_get(s, X86_RAX, size, true), m, size, &s->rflags);
    bool equal = s->rflags & X86_FLAG_ZF;
    if ((err = ops->write(ctx, la, equal ? &src : &m, size)))
      return err;
    if (!equal)
      reg_set(s, X86_RAX, size, true, m);
    return 0;
  }
  case X86_OP_BT:
  case X86_OP_BTS:
  case X86_OP_BTR:
  case X86_OP_BTC: return bit_op(i, s, ops, ctx, la);
  default: /* add or and sub xor cmp test */
    if ((err = ops->read(ctx, la, &m, size)))
      return err;
    r = mem_dst ? alu(i->op, m, src, size, &s->rflags) : alu(i->op, src, m, size, &s->rflags);
    if (i->op == X86_OP_CMP || i->op == X86_OP_TEST)
      return 0;
    if (mem_dst)
      return ops->write(ctx, la, &r, size);
    reg_set(s, i->reg, size, rex, r);
    return 0;
  }
}

int x86_emulate(const struct x86_insn *i, struct x86_state *s, const struct x86_mem_ops *ops,
                void *ctx)
{
  if (i->op == X86_OP_MOVS || i->op == X86_OP_STOS || i->op == X86_OP_LODS)
    return string_op(i, s, ops, ctx);
  int err = mem_op(i, s, ops, ctx);
  if (!err)
    next_rip(i, s);
  return err;
}
