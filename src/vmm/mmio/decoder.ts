// The MMIO instruction decoder's entry point (SDM Vol 2A/2B "MOV"; instruction format Vol 2 §2.1,
// ModRM Table 2-2, REX §2.2.1). decoder-general.ts decodes every MOV form guests use on MMIO
// registers; this file decodes the most common ones itself, without its prefix loop and tables —
// what drivers use for device registers in 64-bit code, e.g. Linux's readl/writel and the test
// guests' `mov [rbx+8], eax`:
//
//   [REX] 88 /r  MOV r/m8, r8          [REX] 89 /r  MOV r/m32/64, r32/64
//   [REX] 8A /r  MOV r8, r/m8          [REX] 8B /r  MOV r32/64, r/m32/64
//   [REX] C6 /0 ib  MOV r/m8, imm8     [REX] C7 /0 id  MOV r/m32/64, imm32 (REX.W: sign-extended)
//
// with at most one REX prefix and no other prefix, and a ModRM without SIB byte: mod 00 (register
// indirect), 01 (+disp8) or 10 (+disp32), rm ≠ 100 (SIB) and not mod 00 rm 101 (RIP-relative) —
// Vol 2 Table 2-2. Anything else, and all 16- and 32-bit code, goes to the general decoder. For
// what it accepts, the result is exactly the general decoder's (every field of MmioInsn;
// tests/vtx/decoder.test.ts compares both over all such encodings).

import { MmioInsn, DecodeStatus, AccessKind, Extend, Seg, REG_NONE } from "./insn";
import { decodeMmioGeneral } from "./decoder-general";

export { decodeMmioGeneral };

/**
 * Bytes the longest accepted form needs: REX, opcode, ModRM, disp32, imm32. With fewer fetched,
 * the general decoder decides (it knows which bytes are truly needed: TRUNCATED is its answer).
 */
export const FAST_MAX_LENGTH: u32 = 11;

// OPCODES[b]: 0 when b is not one of the six opcodes, else 0x80 | bits that say how to decode it:
//   bit 0 (OP_W): the operand is not 8-bit (the opcode's w bit)
//   bits 2:1: AccessKind (88/89 STORE_REG 0, C6/C7 STORE_IMM 1, 8A/8B LOAD 2)
//   bits 5:3 (OP_REG0): set for C6/C7, whose ModRM reg field must be 0 (/0)
//   bit 6 (OP_HIGH8): 88/8A, whose 8-bit register operand may be AH/CH/DH/BH (no REX)
const OP_W: u32 = 1;
const OP_REG0: u32 = 0x38;
const OP_HIGH8: u32 = 0x40;
const OPCODES: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // 80-8F: 88 89 8A 8B
  0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0x81, 0xC4, 0x85, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // C0-CF: C6 C7
  0, 0, 0, 0, 0, 0, 0xBA, 0xBB, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

// MODRMS[m]: 0 when ModRM byte m is not a fast form (mod 11, rm 100, mod 00 rm 101), else 1 +
// the displacement's size (1, 2 or 5: none, disp8, disp32; Vol 2 Table 2-2).
const MODRMS: usize = memory.data<u8>([
  // mod 00: rm 100 (SIB) and 101 (RIP/disp32) are not fast
  1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1,
  1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1,
  // mod 01: disp8, rm 100 (SIB) not fast
  2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2,
  2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2,
  // mod 10: disp32, rm 100 (SIB) not fast
  5, 5, 5, 5, 0, 5, 5, 5, 5, 5, 5, 5, 0, 5, 5, 5, 5, 5, 5, 5, 0, 5, 5, 5, 5, 5, 5, 5, 0, 5, 5, 5,
  5, 5, 5, 5, 0, 5, 5, 5, 5, 5, 5, 5, 0, 5, 5, 5, 5, 5, 5, 5, 0, 5, 5, 5, 5, 5, 5, 5, 0, 5, 5, 5,
  // mod 11: a register operand
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** Operand size by (w bit | REX.W >> 2) (Vol 2 §2.2.1.2): w = 0 is 8 bits, else REX.W 64, else 32. */
const SIZES: usize = memory.data<u8>([1, 4, 1, 8]);

/**
 * Decodes the instruction at `code` (`avail` bytes fetched, at most 15 used) for a guest running
 * 16-, 32- or 64-bit code (`mode`: the CS.D/CS.L-derived default operand size, 16 also for real
 * and virtual-8086 mode). Fills `out` and returns its status: the general decoder's answer in
 * every case, the common forms through decodeMovFast.
 */
export function decodeMmio(code: usize, avail: u32, mode: u32, out: MmioInsn): DecodeStatus {
  if (mode == 64) {
    if (avail >= FAST_MAX_LENGTH) {
      if (decodeMovFast(code, out)) return DecodeStatus.OK;
    }
  }
  return decodeMmioGeneral(code, avail, mode, out);
}

/**
 * The common forms of the header comment in 64-bit code: decodes the instruction at `code` into
 * `out` and returns true when it is one of them (exactly as decodeMmioGeneral would: status OK),
 * false (out untouched) otherwise. Invariant: FAST_MAX_LENGTH bytes at `code` were fetched. A
 * leaf with two arguments (the MMIO handler calls it before decodeMmio, so it has two callers and
 * stays a function of its own): table lookups and tests that each return at once, one load or
 * compare-and-branch each.
 */
export function decodeMovFast(code: usize, out: MmioInsn): bool {
  // A REX prefix (40-4F) or none: rex is the prefix byte or 0; the opcode is at p.
  const b0 = <u32>load<u8>(code);
  const rex: u32 = (b0 & 0xF0) == 0x40 ? b0 : 0;
  const p = code + <usize>(rex >> 6);
  const op = <u32>load<u8>(OPCODES + <usize>load<u8>(p));
  if (op == 0) return false;
  const modrm = <u32>load<u8>(p, 1);
  const dispInfo = <u32>load<u8>(MODRMS + <usize>modrm);
  if (dispInfo == 0) return false;
  if ((modrm & op & OP_REG0) != 0) return false; // C6/C7 /1…/7: not MOV

  // Accepted: what follows only fills `out`, each value stored as soon as it is known (so that
  // few are alive at once), mostly without branches.
  const size = <u32>load<u8>(SIZES + <usize>((op & OP_W) | ((rex >> 2) & 2)));
  out.size = size;
  out.regSize = size;
  // Displacement (dispInfo − 1 bytes after ModRM), then the immediate of C6/C7; the length:
  // REX, opcode, ModRM, displacement, immediate.
  if (dispInfo == 5) out.disp = <u64><i64>load<i32>(p, 2);
  else if (dispInfo == 2) out.disp = <u64><i64>load<i8>(p, 2);
  else out.disp = 0;
  const n = (rex >> 6) + 1 + dispInfo;
  out.length = n;
  out.imm = 0;
  if ((op & 2) != 0) immediate(p + <usize>(dispInfo + 1), size, out);
  out.kind = (op >> 1) & 3;
  out.base = (modrm & 7) | ((rex & 1) << 3); // REX.B
  // The register: ModRM.reg with REX.R; 0 for C6/C7 (whose reg field is 0: clear REX.R too). For
  // 88/8A without REX, codes 4–7 are AH, CH, DH, BH (Vol 2 Table 3-1): bits 15:8 of rAX … rBX.
  const regField = (modrm >> 3) & 7;
  const high8 = rex == 0 ? (regField >> 2) & (op >> 6) : 0;
  out.reg = ((regField | ((rex & 4) << 1)) & ~((op & 2) << 2)) - (high8 << 2);
  out.regHigh8 = high8;
  out.status = DecodeStatus.OK;
  out.extend = Extend.NONE;
  out.index = REG_NONE;
  out.scale = 1;
  out.mode = 64;
  out.addrSize = 8; // no 67 prefix
  // In 64-bit mode DS, SS, ES and CS all mean base 0 (Vol 1 §3.7.4.1): the decoder reports DS.
  out.segment = Seg.DS;
  return true;
}

/**
 * The immediate of C6/C7 at `q` (imm8, or imm32: sign-extended to 64 bits with REX.W) into
 * out.imm, its bytes added to out.length.
 */
@inline function immediate(q: usize, size: u32, out: MmioInsn): void {
  if (size == 1) {
    out.imm = <u64>load<u8>(q);
    out.length += 1;
  } else {
    out.imm = size == 8 ? <u64><i64>load<i32>(q) : <u64>load<u32>(q);
    out.length += 4;
  }
}
