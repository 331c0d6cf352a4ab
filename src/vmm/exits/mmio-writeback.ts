// Register side of an emulated MMIO MOV (the EPT-violation handler, ept.ts): what is stored for a
// store, and how a load's value lands in the destination register. Pure; the decoded instruction
// comes from src/vmm/mmio/decoder.ts (MmioInsn). Rules, SDM Vol 1 §3.4.1.1 "General-Purpose
// Registers in 64-Bit Mode" and Vol 2B MOV/MOVZX/MOVSX:
//   - an 8-bit destination replaces bits 7:0 (AL…) or, for AH/CH/DH/BH, bits 15:8; the rest stays;
//   - a 16-bit destination replaces bits 15:0; the rest stays;
//   - a 32-bit destination is zero-extended into bits 63:32;
//   - a 64-bit destination is replaced;
//   - MOVZX/MOVSX first zero-/sign-extend the `size`-byte value to the destination width.

import { MmioInsn, Extend, AccessKind } from "../mmio/insn";

/** All-ones of 0…8 bytes (then all-ones up to 15): one load instead of a shift and a compare. */
const WIDTH_MASKS: usize = memory.data<u64>([
  0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFF_FFFFFFFF, 0xFFFF_FFFFFFFF, 0xFFFFFF_FFFFFFFF,
  0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF,
  0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF,
]);

/**
 * The low `bytes` bytes set. MmioInsn sizes are 1, 2, 4 or 8; the `& 15` only keeps the load
 * inside the table whatever the value.
 */
@inline function widthMask(bytes: u32): u64 {
  return load<u64>(WIDTH_MASKS + (<usize>(bytes & 15) << 3));
}

/** `v` (its low `from` bytes) sign-extended to 64 bits. */
@inline function signExtend(v: u64, from: u32): u64 {
  if (from >= 8) return v;
  const shift = <u64>(64 - 8 * from);
  return <u64>((<i64>(v << shift)) >> shift);
}

/** The value a load of `insn` writes to its destination register, whose old value is `old`. */
export function loadResult(insn: MmioInsn, old: u64, loaded: u64): u64 {
  let v = loaded & widthMask(insn.size);
  if (insn.extend == Extend.SIGN) v = signExtend(v, insn.size) & widthMask(insn.regSize);
  const w = insn.regSize;
  if (w == 1) {
    if (insn.regHigh8 != 0) return (old & ~(<u64>0xFF00)) | ((v & 0xFF) << 8);
    return (old & ~(<u64>0xFF)) | (v & 0xFF);
  }
  if (w == 2) return (old & ~(<u64>0xFFFF)) | (v & 0xFFFF);
  if (w == 4) return v & 0xFFFFFFFF;
  return v;
}

/**
 * The value a store of `insn` writes to memory (its low `insn.size` bytes), given the source
 * register's value `reg` (ignored for STORE_IMM).
 */
export function storeValue(insn: MmioInsn, reg: u64): u64 {
  const size = insn.size;
  if (insn.kind == AccessKind.STORE_IMM) return insn.imm & widthMask(size);
  // AH…BH (regHigh8, 1 or 0; only with 1-byte accesses) are bits 15:8: shifted down by 8. Other
  // sizes take no shift at all (not a shift by 0: one instruction less on every MMIO store).
  if (size == 1) return (reg >> (<u64>insn.regHigh8 << 3)) & 0xFF;
  return reg & widthMask(size);
}
