// The decoded form of an MMIO-accessing MOV (decoder.ts), written into caller-owned memory (one
// per vCPU). Layout, 72 bytes:
//
//   0 status   4 length   8 kind   12 size   16 reg   20 regHigh8   24 regSize   28 extend
//  32 segment 36 addrSize 40 base  44 index  48 scale 52 mode      56 imm (u64) 64 disp (u64)

export const enum DecodeStatus {
  OK = 0,
  /** More bytes are needed than were fetched (the caller may fetch more and retry, or stop). */
  TRUNCATED = 1,
  /** Not one of the MOV forms we emulate (the caller injects #UD or stops the VM). */
  UNSUPPORTED = 2,
  /** LOCK on a MOV: the CPU raises #UD (SDM Vol 2 §2.1.1, LOCK is valid only with RMW forms). */
  LOCK_PREFIX = 3,
  /** ModRM names a register (mod = 3), but an MMIO access needs a memory operand. */
  REGISTER_OPERAND = 4,
  /** Longer than 15 bytes: the CPU raises #GP(0) (SDM Vol 2 §2.3.11; Vol 3A §6.15, #GP). */
  TOO_LONG = 5,
  /** The mode is not 16, 32 or 64. */
  BAD_MODE = 6,
}

export const enum AccessKind {
  /** Register → memory (88, 89, A2, A3). */
  STORE_REG = 0,
  /** Immediate → memory (C6, C7). */
  STORE_IMM = 1,
  /** Memory → register (8A, 8B, A0, A1, MOVZX, MOVSX). */
  LOAD = 2,
}

export const enum Extend { NONE = 0, ZERO = 1, SIGN = 2 }

/** Segment registers in the sreg3 field order (SDM Vol 2 Appendix B.1.4): ES CS SS DS FS GS. */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** `base`/`index` value for "none"; `base` value for RIP-relative addressing. */
export const REG_NONE: u32 = 0xFF;
export const REG_RIP: u32 = 0x10;

@unmanaged export class MmioInsn {
  status: u32;
  /** Bytes the instruction occupies: RIP advances by this much after emulation. */
  length: u32;
  kind: u32;
  /** Bytes of memory accessed: 1, 2, 4 or 8. */
  size: u32;
  /** General register (0 = rAX … 15 = r15): source for stores, destination for loads. */
  reg: u32;
  /** 1 when the register is AH/CH/DH/BH: bits 15:8 of register reg (0–3). */
  regHigh8: u32;
  /**
   * Width of the register written by a load (the operand size; = size except for MOVZX/MOVSX).
   * A 4-byte write in 64-bit mode zero-extends into bits 63:32 (SDM Vol 1 §3.4.1.1); 1- and
   * 2-byte writes keep the other bits.
   */
  regSize: u32;
  extend: u32;
  /** Segment of the memory operand (after overrides; in 64-bit mode only FS/GS matter). */
  segment: u32;
  /** Address size: 2, 4 or 8 bytes. */
  addrSize: u32;
  base: u32;
  index: u32;
  scale: u32;
  /** The code mode it was decoded for (16, 32, 64: decodeMmio's `mode`): RIP wraps accordingly. */
  mode: u32;
  /** Immediate for STORE_IMM, already sign-extended to `size` bytes (C7 with REX.W: to 64 bits). */
  imm: u64;
  /** Displacement (sign-extended), or the moffs address for A0–A3. RIP-relative: from next RIP. */
  disp: u64;
}
