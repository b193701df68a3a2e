/* The x86 instruction decoder of arch/decode.h: legacy prefixes, REX,
 * the one-byte and 0F opcodes of the forms device memory sees, ModRM and
 * SIB in 16-, 32- and 64-bit addressing, RIP-relative operands,
 * displacements and immediates (SDM vol. 2, chapter 2 and appendix A).
 * Anything else is X86_DECODE_UNSUPPORTED: the caller says so with the
 * bytes rather than guess. */
#include <arch/decode.h>

/* A cursor over the bytes that never reads past the end or past the
 * 15-byte limit (an instruction longer than that is #GP on the CPU). */
struct cursor {
  const uint8_t *p;
  size_t n, at;
  bool short_;
};

static uint64_t take(struct cursor *c, unsigned int bytes)
{
  uint64_t v = 0;
  for (unsigned int i = 0; i < bytes; i++) {
    if (c->at >= c->n || c->at >= X86_MAX_INSN_LEN) {
      c->short_ = true;
      return 0;
    }
    v |= (uint64_t)c->p[c->at++] << (8 * i);
  }
  return v;
}

/* Why the bytes ran out: the caller's buffer (X86_DECODE_SHORT), or the
 * 15-byte limit, which no valid instruction passes. */
static int ended(const struct cursor *c)
{
  return c->at >= X86_MAX_INSN_LEN ? X86_DECODE_UNSUPPORTED : X86_DECODE_SHORT;
}

/* A little-endian value of bytes (1, 2, 4) sign-extended to 64 bits. */
static int64_t take_signed(struct cursor *c, unsigned int bytes)
{
  uint64_t v = take(c, bytes);
  unsigned int shift = 64 - 8 * bytes;
  return (int64_t)(v << shift) >> shift;
}

/* 16-bit addressing (SDM vol. 2, table 2-1): base and index by ModRM.rm;
 * BP-based forms default to SS. */
static void modrm16(struct x86_insn *i, struct cursor *c, unsigned int mod, unsigned int rm)
{
  static const int8_t base[8] = {X86_RBX, X86_RBX, X86_RBP, X86_RBP, -1, -1, X86_RBP, X86_RBX};
  static const int8_t index[8] = {X86_RSI, X86_RDI, X86_RSI, X86_RDI, X86_RSI, X86_RDI, -1, -1};
  i->base = base[rm];
  i->index = index[rm];
  i->scale = 1;
  if (mod == 0 && rm == 6) {
    i->base = -1; /* disp16 alone */
    i->disp = take_signed(c, 2);
    return;
  }
  if (i->base == X86_RBP)
    i->seg = X86_SS;
  if (i->base < 0 && i->index >= 0) { /* [SI] and [DI]: the register as base */
    i->base = i->index;
    i->index = -1;
  }
  i->disp = mod == 1 ? take_signed(c, 1) : mod == 2 ? take_signed(c, 2) : 0;
}

/* 32- and 64-bit addressing (SDM vol. 2, tables 2-2, 2-3 and 2.2.1.6):
 * rm 4 brings a SIB byte, mod 0 rm 5 a bare disp32 (RIP-relative in
 * 64-bit mode), SIB base 5 with mod 0 a disp32 without base, SIB index 4
 * (without REX.X) no index.  rSP- and rBP-based forms default to SS. */
static void modrm32(struct x86_insn *i, struct cursor *c, unsigned int mod, unsigned int rm,
                    unsigned int rex, unsigned int mode)
{
  i->index = -1;
  i->scale = 1;
  if (rm == 4) {
    unsigned int sib = (unsigned int)take(c, 1);
    unsigned int idx = ((sib >> 3) & 7) | ((rex & 2) << 2), b = sib & 7;
    i->scale = (uint8_t)(1 << (sib >> 6));
    if (idx != 4)
      i->index = (int8_t)idx;
    if (b == 5 && mod == 0) {
      i->base = -1;
      i->disp = take_signed(c, 4);
      return;
    }
    i->base = (int8_t)(b | ((rex & 1) << 3));
  } else if (rm == 5 && mod == 0) {
    i->base = -1;
    i->disp = take_signed(c, 4);
    if (mode == X86_MODE_64)
      i->flags |= X86_INSN_RIPREL;
    return;
  } else {
    i->base = (int8_t)(rm | ((rex & 1) << 3));
  }
  if (i->base == X86_RSP || i->base == X86_RBP)
    i->seg = X86_SS;
  i->disp = mod == 1 ? take_signed(c, 1) : mod == 2 ? take_signed(c, 4) : 0;
}

/* What an opcode is, for the forms with a ModRM memory operand. */
enum form {
  F_NONE,
  F_RM_R,   /* op r/m, reg: memory is the destination */
  F_R_RM,   /* op reg, r/m: memory is the source */
  F_RM_IMM, /* op r/m, imm */
};

/* The ALU group's ModRM.reg (SDM vol. 2, table A-6, group 1): add, or,
 * adc, sbb, and, sub, xor, cmp; adc and sbb are not emulated. */
static const int8_t group1[8] = {X86_OP_ADD, X86_OP_OR,  -1,         -1,
                                 X86_OP_AND, X86_OP_SUB, X86_OP_XOR, X86_OP_CMP};

/* Classify a one-byte opcode (no 0F) with a ModRM byte: its operation,
 * form, whether it works on bytes, its immediate's size (0, 1, or 4 =
 * "16 or 32 by operand size").  Returns false for what is not emulated. */
static bool classify(unsigned int b, unsigned int reg, int *op, enum form *form, bool *byte,
                     unsigned int *imm)
{
  *imm = 0;
  *byte = !(b & 1);
  if (b < 0x40 && (b & 7) < 4) { /* 00-3F: add or adc sbb and sub xor cmp */
    *op = group1[b >> 3];
    *form = (b & 2) ? F_R_RM : F_RM_R;
    return *op >= 0;
  }
  switch (b) {
  case 0x80:
  case 0x81:
  case 0x83: /* group 1 with imm8, imm16/32, sign-extended imm8 */
    *op = group1[reg];
    *form = F_RM_IMM;
    *byte = b == 0x80;
    *imm = b == 0x81 ? 4 : 1;
    return *op >= 0;
  case 0x84:
  case 0x85:
    *op = X86_OP_TEST;
    *form = F_RM_R;
    return true;
  case 0x86:
  case 0x87:
    *op = X86_OP_XCHG;
    *form = F_RM_R;
    return true;
  case 0x88:
  case 0x89:
    *op = X86_OP_MOV;
    *form = F_RM_R;
    return true;
  case 0x8a:
  case 0x8b:
    *op = X86_OP_MOV;
    *form = F_R_RM;
    return true;
  case 0xc6:
  case 0xc7: /* group 11: mov r/m, imm (/0 only) */
    *op = X86_OP_MOV;
    *form = F_RM_IMM;
    *imm = b == 0xc6 ? 1 : 4;
    return reg == 0;
  case 0xf6:
  case 0xf7: /* group 3: test r/m, imm is /0 (and /1, an alias) */
    *op = X86_OP_TEST;
    *form = F_RM_IMM;
    *imm = b == 0xf6 ? 1 : 4;
    return reg <= 1;
  default: return false;
  }
}

/* The same for an opcode after 0F. */
static bool classify_0f(unsigned int b, unsigned int reg, int *op, enum form *form, bool *byte,
                        unsigned int *imm)
{
  static const int8_t bt_group[4] = {X86_OP_BT, X86_OP_BTS, X86_OP_BTR, X86_OP_BTC};
  *imm = 0;
  *byte = false;
  switch (b) {
  case 0xa3:
  case 0xab:
  case 0xb3:
  case 0xbb: /* bt bts btr btc r/m, reg */
    *op = bt_group[(b >> 3) & 3];
    *form = F_RM_R;
    return true;
  case 0xba: /* group 8: bt bts btr btc r/m, imm8 (/4../7) */
    *op = reg >= 4 ? bt_group[reg - 4] : -1;
    *form = F_RM_IMM;
    *imm = 1;
    return reg >= 4;
  case 0xb0:
  case 0xb1:
    *op = X86_OP_CMPXCHG;
    *form = F_RM_R;
    *byte = b == 0xb0;
    return true;
  case 0xb6:
  case 0xb7:
  case 0xbe:
  case 0xbf:
    *op = b & 8 ? X86_OP_MOVSX : X86_OP_MOVZX;
    *form = F_R_RM;
    *byte = !(b & 1); /* the source's size; the destination's is the operand size */
    return true;
  default: return false;
  }
}

/* The string instructions (no ModRM): movs, stos, lods. */
static bool classify_string(unsigned int b, int *op)
{
  switch (b & ~1U) {
  case 0xa4: *op = X86_OP_MOVS; return true;
  case 0xaa: *op = X86_OP_STOS; return true;
  case 0xac: *op = X86_OP_LODS; return true;
  default: return false;
  }
}

int x86_decode(const uint8_t *bytes, size_t n, unsigned int mode, struct x86_insn *i)
{
  struct cursor c = {bytes, n, 0, false};
  unsigned int opsize = mode == X86_MODE_16 ? 2 : 4, addr = mode;
  unsigned int rex = 0, b;
  int seg = -1; /* a segment override prefix */
  bool rep = false;

  *i = (struct x86_insn){.seg = X86_DS, .base = -1, .index = -1, .scale = 1};
  /* Legacy prefixes in any order (SDM vol. 2, 2.1.1), then REX, which
   * counts only right before the opcode (2.2.1). */
  for (;;) {
    b = (unsigned int)take(&c, 1);
    if (c.short_)
      return ended(&c);
    if (mode == X86_MODE_64 && (b & 0xf0) == 0x40) {
      rex = b;
      continue;
    }
    unsigned int prefix_rex = rex;
    rex = 0; /* a REX followed by a legacy prefix is ignored */
    switch (b) {
    case 0x66: opsize = mode == X86_MODE_16 ? 4 : 2; continue;
    case 0x67: addr = mode == X86_MODE_64 ? 4 : mode == X86_MODE_32 ? 2 : 4; continue;
    case 0xf0: i->flags |= X86_INSN_LOCK; continue;
    case 0xf2:
    case 0xf3: rep = true; continue;
    case 0x26: seg = X86_ES; continue;
    case 0x2e: seg = X86_CS; continue;
    case 0x36: seg = X86_SS; continue;
    case 0x3e: seg = X86_DS; continue;
    case 0x64: seg = X86_FS; continue;
    case 0x65: seg = X86_GS; continue;
    }
    rex = prefix_rex;
    break;
  }
  if (rex & 8)
    opsize = 8; /* REX.W over 66 */
  if (rex)
    i->flags |= X86_INSN_REX;
  i->addr_size = (uint8_t)addr;

  int op = -1;
  enum form form = F_NONE;
  bool byte = false;
  unsigned int imm = 0;
  if (seg >= 0)
    i->seg = (uint8_t)seg; /* for movs, lods and moffs; ModRM forms redo it */
  if (classify_string(b, &op)) {
    if (i->flags & X86_INSN_LOCK)
      return X86_DECODE_UNSUPPORTED; /* #UD on the CPU */
    i->op = (uint8_t)op;
    i->size = i->mem_size = (uint8_t)(b & 1 ? opsize : 1);
    i->flags |= rep ? X86_INSN_REP : 0;
    i->len = (uint8_t)c.at;
    return 0;
  }
  if (b >= 0xa0 && b <= 0xa3) { /* mov between rAX and moffs (an address-size offset) */
    if (i->flags & X86_INSN_LOCK)
      return X86_DECODE_UNSUPPORTED;
    i->op = X86_OP_MOV;
    i->size = i->mem_size = (uint8_t)(b & 1 ? opsize : 1);
    i->flags |= X86_INSN_MOFFS | (b & 2 ? X86_INSN_MEM_DST : 0);
    i->reg = X86_RAX;
    i->disp = (int64_t)take(&c, addr);
    if (c.short_)
      return ended(&c);
    i->len = (uint8_t)c.at;
    return 0;
  }
  bool two = b == 0x0f;
  if (two) {
    b = (unsigned int)take(&c, 1);
    if (c.short_)
      return ended(&c);
  } else if (b == 0x63 && mode == X86_MODE_64) { /* movsxd reg, r/m32 */
    op = X86_OP_MOVSX;
    form = F_R_RM;
  }
  /* When the ModRM byte is missing, an opcode none of whose forms is
   * emulated is refused rather than asking for more (reg 4 passes every
   * group's test). */
  if (form == F_NONE && c.at >= c.n &&
      !(two ? classify_0f(b, 4, &op, &form, &byte, &imm)
            : classify(b, 0, &op, &form, &byte, &imm) || classify(b, 4, &op, &form, &byte, &imm)))
    return X86_DECODE_UNSUPPORTED;
  /* The ModRM byte; its reg field picks the operation in groups. */
  unsigned int modrm = (unsigned int)take(&c, 1);
  if (c.short_)
    return ended(&c);
  unsigned int mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
  if (form == F_NONE && !(two ? classify_0f(b, reg, &op, &form, &byte, &imm)
                              : classify(b, reg, &op, &form, &byte, &imm)))
    return X86_DECODE_UNSUPPORTED;
  if (mod == 3)
    return X86_DECODE_UNSUPPORTED; /* a register operand: no memory access */
  if (addr == 2)
    modrm16(i, &c, mod, rm);
  else
    modrm32(i, &c, mod, rm, rex, mode);
  if (seg >= 0) /* an override wins over the SS default of rBP and rSP */
    i->seg = (uint8_t)seg;
  i->op = (uint8_t)op;
  i->reg = (uint8_t)(reg | ((rex & 4) << 1));
  i->size = (uint8_t)(byte && op != X86_OP_MOVZX && op != X86_OP_MOVSX ? 1 : opsize);
  i->mem_size = i->size;
  if (op == X86_OP_MOVZX || op == X86_OP_MOVSX)
    i->mem_size = (uint8_t)(two ? (byte ? 1 : 2) : opsize < 4 ? opsize : 4);
  if (form != F_R_RM)
    i->flags |= X86_INSN_MEM_DST;
  if (form == F_RM_IMM) {
    i->flags |= X86_INSN_IMM;
    unsigned int bytes_imm = imm == 1 ? 1 : (i->size == 2 ? 2 : 4);
    i->imm = (uint64_t)take_signed(&c, bytes_imm);
  }
  if (c.short_)
    return ended(&c);
  /* LOCK only on read-modify-write forms (SDM vol. 2, LOCK): #UD else. */
  if ((i->flags & X86_INSN_LOCK) && (op == X86_OP_MOV || op == X86_OP_MOVZX || op == X86_OP_MOVSX ||
                                     op == X86_OP_CMP || op == X86_OP_TEST || op == X86_OP_BT))
    return X86_DECODE_UNSUPPORTED;
  i->len = (uint8_t)c.at;
  return 0;
}
