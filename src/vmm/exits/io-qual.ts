// Decoding of the exit qualification of an I/O-instruction VM exit (SDM Vol 3C §28.2.1,
// Table 28-5 "Exit Qualification for I/O Instructions") and of the VM-exit instruction-
// information field for INS/OUTS (§28.2.5, Table 28-8). Pure.
//
// Exit qualification:
//   63   32 31        16 15   7  6   5   4   3  2    0
//  +-------+------------+------+---+---+---+---+------+
//  |   0   |    port    |  0   |imm|rep|str|in | size |   size: 0 = 1 byte, 1 = 2, 3 = 4
//  +-------+------------+------+---+---+---+---+------+
//
// Instruction information (INS/OUTS; valid when IA32_VMX_BASIC[54] = 1):
//   bits 9:7 address size (0 = 16-bit, 1 = 32-bit, 2 = 64-bit), bits 17:15 segment register of
//   the source (OUTS: ES CS SS DS FS GS = 0..5; INS always writes ES:rDI).

/** Bytes of the access (1, 2 or 4); 0 for the reserved encoding 2 (never produced by the CPU). */
@inline export function ioSize(q: u64): u32 {
  const s = <u32>q & 7;
  return s == 0 ? 1 : s == 1 ? 2 : s == 3 ? 4 : 0;
}
/**
 * The size of an IN/OUT (1, 2, 4) for the exit path's lite entry (src/vmm/exit-lite.ts); 0 for
 * INS/OUTS (bit 4; REP is only ever set with it) and for the reserved size encoding, which the
 * full handler deals with.
 */
@inline export function ioLiteSize(q: u64): u32 {
  if ((q & (1 << 4)) != 0) return 0;
  return ioSize(q);
}
/** IN/INS (true) or OUT/OUTS (false). */
@inline export function ioIsIn(q: u64): bool { return (q & (1 << 3)) != 0; }
/** INS/OUTS. */
@inline export function ioIsString(q: u64): bool { return (q & (1 << 4)) != 0; }
/** REP prefix. */
@inline export function ioIsRep(q: u64): bool { return (q & (1 << 5)) != 0; }
/** Port from an immediate operand (true) or DX (false). Informational. */
@inline export function ioIsImmediate(q: u64): bool { return (q & (1 << 6)) != 0; }
@inline export function ioPort(q: u64): u32 { return <u32>(q >> 16) & 0xFFFF; }

/** Address size in bytes (2, 4, 8) from the instruction information; 0 for a reserved value. */
@inline export function ioAddrSize(info: u32): u32 {
  const a = (info >> 7) & 7;
  return a == 0 ? 2 : a == 1 ? 4 : a == 2 ? 8 : 0;
}
/** Segment register (0 ES … 5 GS) from the instruction information. */
@inline export function ioSegment(info: u32): u32 { return (info >> 15) & 7; }

/** Mask of an address-size-wide register: 0xFFFF, 0xFFFFFFFF or all ones. */
@inline export function addrMask(addrSize: u32): u64 {
  return addrSize == 2 ? 0xFFFF : addrSize == 4 ? 0xFFFFFFFF : 0xFFFFFFFFFFFFFFFF;
}

/**
 * The new value of a register after an address-size-wide update to `v` (SDM Vol 1 §3.4.1.1):
 * 16-bit: only bits 15:0 change; 32-bit: the result is zero-extended to 64 bits; 64-bit: all.
 */
@inline export function addrRegUpdate(old: u64, v: u64, addrSize: u32): u64 {
  if (addrSize == 2) return (old & ~(<u64>0xFFFF)) | (v & 0xFFFF);
  if (addrSize == 4) return v & 0xFFFFFFFF;
  return v;
}

/** The IN result merged into RAX: 1 byte → AL, 2 → AX (the rest kept); 4 → EAX, zero-extended. */
@inline export function inMerge(rax: u64, value: u64, size: u32): u64 {
  if (size == 1) return (rax & ~(<u64>0xFF)) | (value & 0xFF);
  if (size == 2) return (rax & ~(<u64>0xFFFF)) | (value & 0xFFFF);
  return value & 0xFFFFFFFF;
}
