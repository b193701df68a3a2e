/* A small x86 instruction decoder and emulator for the memory-operand
 * forms that compilers and kernels use on device memory (mov, movzx/movsx,
 * the ALU ops, test, bt*, xchg, cmpxchg, movs/stos/lods), so that an
 * access the hypervisor traps (a guest-physical address with nothing
 * behind it; later the xAPIC page) can be completed instead of killing the
 * domain.  Pure C with no instruction of its own: the same files build
 * into the host unit tests (test/unit/test_decode.c).
 *
 * Two steps, as seL4 splits decode from invoke: x86_decode() turns bytes
 * into a struct x86_insn (a function of the bytes and the CPU mode only),
 * then x86_emulate() performs it on a struct x86_state (registers, RFLAGS,
 * RIP, segment bases) through a struct x86_mem_ops, which reads and writes
 * guest linear addresses; the caller decides what is behind each one (RAM,
 * a hole that reads all ones, an emulated device). */
#ifndef ARCH_DECODE_H
#define ARCH_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest x86 instruction (SDM vol. 2, 2.3.11). */
#define X86_MAX_INSN_LEN 15

/* General registers by their encoding (SDM vol. 2, table 2-2). */
enum x86_reg {
  X86_RAX,
  X86_RCX,
  X86_RDX,
  X86_RBX,
  X86_RSP,
  X86_RBP,
  X86_RSI,
  X86_RDI,
  X86_R8,
  X86_R9,
  X86_R10,
  X86_R11,
  X86_R12,
  X86_R13,
  X86_R14,
  X86_R15,
};
/* Segment registers by their encoding (SDM vol. 2, 3.4.2.1 "Sreg"). */
enum x86_seg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_NR_SEGS };

/* RFLAGS bits (SDM vol. 1, 3.4.3). */
#define X86_FLAG_CF (1ULL << 0)
#define X86_FLAG_PF (1ULL << 2)
#define X86_FLAG_AF (1ULL << 4)
#define X86_FLAG_ZF (1ULL << 6)
#define X86_FLAG_SF (1ULL << 7)
#define X86_FLAG_DF (1ULL << 10)
#define X86_FLAG_OF (1ULL << 11)
#define X86_FLAGS_ARITH                                                                            \
  (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

enum x86_op {
  X86_OP_MOV,   /* mov: memory = source, or register = memory */
  X86_OP_MOVZX, /* register = zero-extended memory (mem_size < size) */
  X86_OP_MOVSX, /* register = sign-extended memory (movsx, movsxd) */
  X86_OP_ADD,
  X86_OP_OR,
  X86_OP_AND,
  X86_OP_SUB,
  X86_OP_XOR,
  X86_OP_CMP,  /* sub without the result */
  X86_OP_TEST, /* and without the result */
  X86_OP_XCHG,
  X86_OP_CMPXCHG,
  X86_OP_BT,
  X86_OP_BTS,
  X86_OP_BTR,
  X86_OP_BTC,
  X86_OP_MOVS, /* [ES:rDI] = [seg:rSI] */
  X86_OP_STOS, /* [ES:rDI] = rAX */
  X86_OP_LODS, /* rAX = [seg:rSI] */
};

/* struct x86_insn.flags */
#define X86_INSN_MEM_DST (1U << 0) /* the memory operand is the destination */
#define X86_INSN_IMM (1U << 1)     /* the source is imm, not a register */
#define X86_INSN_REX (1U << 2)     /* a REX prefix: byte registers 4-7 are SPL..DIL */
#define X86_INSN_REP (1U << 3)     /* F3 (or F2) on a string instruction */
#define X86_INSN_RIPREL (1U << 4)  /* disp is relative to the next instruction */
#define X86_INSN_LOCK (1U << 5)
#define X86_INSN_MOFFS (1U << 6) /* mov with moffs (A0-A3): disp is the address */

/* One decoded instruction.  Its memory operand is seg:(base + index *
 * scale + disp), each register at addr_size (base or index -1: none); a
 * string instruction has none (its operands are rSI and rDI). */
struct x86_insn {
  uint8_t len;       /* bytes, prefixes included */
  uint8_t op;        /* enum x86_op */
  uint8_t size;      /* operand size in bytes: 1, 2, 4 or 8 */
  uint8_t mem_size;  /* the memory operand's size (movzx/movsx: the source's) */
  uint8_t addr_size; /* 2, 4 or 8 */
  uint8_t seg;       /* enum x86_seg of the memory operand (movs: its source) */
  uint8_t reg;       /* the register operand (ModRM.reg with REX.R) */
  uint8_t flags;     /* X86_INSN_* */
  int8_t base, index;
  uint8_t scale; /* 1, 2, 4 or 8 */
  int64_t disp;
  uint64_t imm; /* sign-extended to 64 bits as the instruction does */
};

/* Modes: the default operand/address size of the code segment, in bytes.
 * 2 for real mode and 16-bit code, 4 for 32-bit code (CS.D), 8 for
 * 64-bit mode (IA-32e with CS.L). */
enum { X86_MODE_16 = 2, X86_MODE_32 = 4, X86_MODE_64 = 8 };

#define X86_DECODE_SHORT (-1)       /* the bytes end inside the instruction */
#define X86_DECODE_UNSUPPORTED (-2) /* not one of the forms above, or no memory operand */

/* Decode the instruction at bytes[0..n) for a CPU in mode.  Reads no byte
 * at or past bytes[n].  Returns 0 with *insn filled, X86_DECODE_SHORT when
 * n bytes (n < 15) end before the instruction does (fetch more and try
 * again), or X86_DECODE_UNSUPPORTED. */
int x86_decode(const uint8_t *bytes, size_t n, unsigned int mode, struct x86_insn *insn);

/* A vcpu's state as the emulator sees it. */
struct x86_state {
  uint64_t gpr[16]; /* enum x86_reg order */
  uint64_t rip, rflags;
  uint64_t seg_base[X86_NR_SEGS];
  unsigned int mode; /* X86_MODE_* */
};

/* Memory as the emulated instruction sees it: size bytes (1 to 8) at the
 * guest linear address la.  Each returns 0, or a negative errno that ends
 * the instruction (x86_emulate passes it back). */
struct x86_mem_ops {
  int (*read)(void *ctx, uint64_t la, void *buf, unsigned int size);
  int (*write)(void *ctx, uint64_t la, const void *buf, unsigned int size);
};

/* String instructions with rep do at most this many iterations in one
 * call; RIP then stays on the instruction, which runs again for the rest
 * (as the CPU lets interrupts in between iterations, SDM vol. 2, REP). */
#define X86_REP_BATCH 256

/* Perform insn (from x86_decode with s->mode) on s: memory through ops,
 * registers, RFLAGS (CF PF AF ZF SF OF as the SDM gives them for each
 * instruction) and RIP (past the instruction, unless a rep batch leaves
 * iterations to do).  Returns 0, or the first error of ops (s then holds
 * what was done before it: whole iterations of a string instruction). */
int x86_emulate(const struct x86_insn *insn, struct x86_state *s, const struct x86_mem_ops *ops,
                void *ctx);

/* The linear address of insn's memory operand in state s (not for string
 * instructions): segment base plus effective address, the effective
 * address wrapped to the address size and the sum to 32 bits outside
 * 64-bit mode, where only FS and GS have a base (SDM vol. 3, 3.4.4). */
uint64_t x86_insn_linear(const struct x86_insn *insn, const struct x86_state *s);

#endif
