// The general decoder for the MOV forms guests use on MMIO registers (SDM Vol 2A/2B, "MOV", "MOVZX", "MOVSX";
// instruction format Vol 2 §2.1, 16-bit ModRM Table 2-1, 32/64-bit ModRM and SIB Tables 2-2 and
// 2-3, REX §2.2.1, RIP-relative §2.2.1.6):
//
//   88 /r  MOV r/m8, r8        89 /r  MOV r/m16/32/64, r     (store register)
//   8A /r  MOV r8, r/m8        8B /r  MOV r, r/m16/32/64     (load)
//   C6 /0 ib  MOV r/m8, imm8   C7 /0 iw/id  MOV r/m, imm16/32 (REX.W: imm32 sign-extended)
//   A0–A3  MOV AL/rAX <-> moffs (offset of address size, no ModRM)
//   0F B6 / 0F B7  MOVZX r, r/m8 / r/m16      0F BE / 0F BF  MOVSX r, r/m8 / r/m16
//
// Prefixes: 66 (operand size), 67 (address size), segment overrides, REX (64-bit mode only, must
// come last to count, §2.2.1). LOCK → LOCK_PREFIX (#UD); F2/F3 → UNSUPPORTED. Anything else is
// UNSUPPORTED, mod = 3 is REGISTER_OPERAND. The code bytes come in a host buffer (the caller
// fetched them with guestFetch); nothing here touches guest state. The entry point is decodeMmio
// (decoder.ts), which decodes the most common forms itself and calls this for the rest.

import {
  MmioInsn, DecodeStatus, AccessKind, Extend, Seg, REG_NONE, REG_RIP,
} from "./insn";

const MAX_LENGTH: u32 = 15;

/** Byte `i` of the code buffer. Invariant: the caller checked i < avail with `need`. */
@inline function byteAt(code: usize, i: u32): u32 { return <u32>load<u8>(code + <usize>i); }

/**
 * Little-endian value of `n` (1, 2, 4 or 8) bytes at `i`: one load of that width (wasm loads are
 * little-endian and need no alignment). Invariant: as for byteAt, for all n bytes.
 */
@inline function bytesAt(code: usize, i: u32, n: u32): u64 {
  const p = code + <usize>i;
  if (n == 1) return <u64>load<u8>(p);
  if (n == 2) return <u64>load<u16>(p);
  if (n == 4) return <u64>load<u32>(p);
  return load<u64>(p);
}

@inline function signExtend(v: u64, bytes: u32): u64 {
  const shift = 64 - 8 * bytes;
  return <u64>((<i64>(v << shift)) >> shift);
}

/** Status for reading `n` more bytes at `p`, or OK. */
@inline function need(p: u32, n: u32, avail: u32): DecodeStatus {
  if (p + n > MAX_LENGTH) return DecodeStatus.TOO_LONG;
  if (p + n > avail) return DecodeStatus.TRUNCATED;
  return DecodeStatus.OK;
}

function done(out: MmioInsn, status: DecodeStatus): DecodeStatus {
  out.status = status;
  return status;
}

// Prefix state, packed in one u32 while scanning:
//  bit 0 66   bit 1 67   bit 2 LOCK   bit 3 F2/F3   bits 7:4 REX low nibble (W R X B)   bit 8 REX seen
//  bits 12:9 segment segOverride + 1 (0 = none)
const P_OPSIZE: u32 = 1;
const P_ADDRSIZE: u32 = 2;
const P_LOCK: u32 = 4;
const P_REP: u32 = 8;
const P_REX: u32 = 0x100;
const REX_B: u32 = 1 << 4;
const REX_X: u32 = 2 << 4;
const REX_R: u32 = 4 << 4;
const REX_W: u32 = 8 << 4;

// What each byte means as the first byte of an instruction, so that the prefix scan and the
// opcode check are one table load each instead of chains of compares (this runs on every MMIO
// exit). Prefixes and the opcodes we emulate are disjoint sets of bytes:
//   0 anything else (UNSUPPORTED)   1..6 segment override, Seg + 1 (26 2E 36 3E 64 65)
//   7 66   8 67   9 F0 (LOCK)   10 F2/F3   11 40-4F (REX in 64-bit mode; INC/DEC elsewhere)
//  16 88/89 MOV r/m, r   17 8A/8B MOV r, r/m   18 C6/C7 MOV r/m, imm
//  19 A0/A1 MOV AL/rAX, moffs   20 A2/A3 MOV moffs, AL/rAX   21 0F (two-byte opcode)
const C_SEG_LAST: u32 = 6;
const C_OPSIZE: u32 = 7;
const C_REX: u32 = 11;
const C_FIRST_OPCODE: u32 = 16;
const C_LOAD: u32 = 17;
const C_STORE_IMM: u32 = 18;
const C_MOFFS_LOAD: u32 = 19;
const C_MOFFS_STORE: u32 = 20;
const C_ESCAPE: u32 = 21;
const BYTE_CLASS: usize = memory.data<u8>([
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, 21,  // 00-0F
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // 10-1F
   0,  0,  0,  0,  0,  0,  1,  0,  0,  0,  0,  0,  0,  0,  2,  0,  // 20-2F
   0,  0,  0,  0,  0,  0,  3,  0,  0,  0,  0,  0,  0,  0,  4,  0,  // 30-3F
  11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  // 40-4F
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // 50-5F
   0,  0,  0,  0,  5,  6,  7,  8,  0,  0,  0,  0,  0,  0,  0,  0,  // 60-6F
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // 70-7F
   0,  0,  0,  0,  0,  0,  0,  0, 16, 16, 17, 17,  0,  0,  0,  0,  // 80-8F
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // 90-9F
  19, 19, 20, 20,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // A0-AF
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // B0-BF
   0,  0,  0,  0,  0,  0, 18, 18,  0,  0,  0,  0,  0,  0,  0,  0,  // C0-CF
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // D0-DF
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // E0-EF
   9,  0, 10, 10,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  // F0-FF
]);

/** The class of byte `b` (< 256) in BYTE_CLASS. */
@inline function classOf(b: u32): u32 { return <u32>load<u8>(BYTE_CLASS + <usize>(b & 0xFF)); }

/**
 * Decodes the instruction at `code` (`avail` bytes fetched, at most 15 used) for a guest running
 * 16-, 32- or 64-bit code (`mode`: the CS.D/CS.L-derived default operand size, 16 also for real
 * and virtual-8086 mode). Fills `out` and returns its status. Every form of the header comment,
 * every status: decodeMmio (decoder.ts) answers the common forms itself, the same way, and hands
 * everything else to this.
 */
export function decodeMmioGeneral(code: usize, avail: u32, mode: u32, out: MmioInsn): DecodeStatus {
  out.mode = mode;
  out.length = 0;
  out.base = REG_NONE;
  out.index = REG_NONE;
  out.scale = 1;
  out.imm = 0;
  out.disp = 0;
  out.regHigh8 = 0;
  out.extend = Extend.NONE;
  if (mode != 16 && mode != 32 && mode != 64) return done(out, DecodeStatus.BAD_MODE);
  const long = mode == 64;

  // ---- prefixes (§2.1.1); a REX followed by a legacy prefix is ignored (§2.2.1)
  let p: u32 = 0;
  let pf: u32 = 0;
  let b: u32 = 0;
  let c: u32 = 0;
  while (true) {
    const st = need(p, 1, avail);
    if (st != DecodeStatus.OK) return done(out, st);
    b = byteAt(code, p);
    c = classOf(b);
    if (c == 0 || c >= C_FIRST_OPCODE) break;
    if (c == C_REX) {
      if (!long) break; // INC/DEC: unsupported opcode below
      pf = (pf & ~0xF0) | P_REX | ((b & 0xF) << 4);
    } else if (c <= C_SEG_LAST) {
      pf = (pf & ~(0xF << 9) & ~(P_REX | 0xF0)) | (c << 9);
    } else {
      pf = (pf & ~(P_REX | 0xF0)) | (<u32>1 << (c - C_OPSIZE)); // P_OPSIZE … P_REP, in class order
    }
    p++;
  }
  if ((pf & P_LOCK) != 0) return done(out, DecodeStatus.LOCK_PREFIX);
  if ((pf & P_REP) != 0) return done(out, DecodeStatus.UNSUPPORTED);

  // ---- opcode
  p++;
  const twoByte = c == C_ESCAPE;
  if (twoByte) {
    const st = need(p, 1, avail);
    if (st != DecodeStatus.OK) return done(out, st);
    b = byteAt(code, p);
    p++;
    if ((b & 0xF6) != 0xB6) return done(out, DecodeStatus.UNSUPPORTED); // B6 B7 BE BF only
  } else if (c < C_FIRST_OPCODE) {
    return done(out, DecodeStatus.UNSUPPORTED);
  }

  // ---- sizes (§2.2.1.2 operand size in 64-bit mode; Vol 1 §3.6 for 16/32-bit code)
  const opSize: u32 = long && (pf & REX_W) != 0 ? 8 : ((pf & P_OPSIZE) != 0) != (mode == 16) ? 2 : 4;
  const addrSize: u32 = long ? ((pf & P_ADDRSIZE) != 0 ? 4 : 8) : ((pf & P_ADDRSIZE) != 0) != (mode == 16) ? 2 : 4;
  out.addrSize = addrSize;
  const segOverride = (pf >> 9) & 0xF;

  if (twoByte) {
    out.kind = AccessKind.LOAD;
    out.size = (b & 1) != 0 ? 2 : 1;
    out.regSize = opSize;
    out.extend = b >= 0xBE ? Extend.SIGN : Extend.ZERO;
  } else {
    const size = (b & 1) == 0 ? 1 : opSize; // 88, 8A, C6, A0, A2: the w bit is 0
    out.size = size;
    out.regSize = size;
    out.kind = c == C_LOAD || c == C_MOFFS_LOAD ? AccessKind.LOAD
      : c == C_STORE_IMM ? AccessKind.STORE_IMM : AccessKind.STORE_REG;
  }

  // ---- moffs forms: AL/rAX and an absolute offset of address size, default segment DS
  if (c == C_MOFFS_LOAD || c == C_MOFFS_STORE) {
    const st = need(p, addrSize, avail);
    if (st != DecodeStatus.OK) return done(out, st);
    out.disp = bytesAt(code, p, addrSize);
    p += addrSize;
    out.reg = 0;
    out.segment = segOverride != 0 ? segOverride - 1 : Seg.DS;
    return finish(out, p, long);
  }

  // ---- ModRM, SIB, displacement
  const st = decodeModrm(code, avail, p, pf, addrSize, long, out);
  if (st != DecodeStatus.OK) return done(out, st);
  p = out.length;
  const regField = out.reg;
  if (out.kind == AccessKind.STORE_IMM) {
    if ((regField & 7) != 0) return done(out, DecodeStatus.UNSUPPORTED); // C6/C7 /0 only
    out.reg = 0;
    const immBytes: u32 = out.size == 8 ? 4 : out.size;
    const ist = need(p, immBytes, avail);
    if (ist != DecodeStatus.OK) return done(out, ist);
    out.imm = bytesAt(code, p, immBytes);
    if (out.size == 8) out.imm = signExtend(out.imm, 4);
    p += immBytes;
  } else if (out.size == 1 && !twoByte && (pf & P_REX) == 0 && regField >= 4 && regField < 8) {
    // 8-bit register without REX: codes 4–7 are AH, CH, DH, BH (SDM Vol 2 Table 3-1, §2.2.1)
    out.reg = regField - 4;
    out.regHigh8 = 1;
  }
  if (segOverride != 0) out.segment = segOverride - 1;
  return finish(out, p, long);
}

/** Completes a successful decode: length, and the 64-bit mode rule for CS/DS/ES/SS overrides. */
function finish(out: MmioInsn, length: u32, long: bool): DecodeStatus {
  out.length = length;
  // In 64-bit mode CS, DS, ES and SS overrides are ignored (their bases are treated as 0).
  if (long && out.segment != Seg.FS && out.segment != Seg.GS) out.segment = Seg.DS;
  return done(out, DecodeStatus.OK);
}

/**
 * ModRM at `p` (+ SIB + displacement): fills reg, base, index, scale, disp, segment and sets
 * out.length to the offset after the displacement.
 */
function decodeModrm(code: usize, avail: u32, p0: u32, pf: u32, addrSize: u32, long: bool, out: MmioInsn): DecodeStatus {
  let p = p0;
  let st = need(p, 1, avail);
  if (st != DecodeStatus.OK) return st;
  const modrm = byteAt(code, p++);
  const mod = modrm >> 6;
  const rm = modrm & 7;
  out.reg = ((modrm >> 3) & 7) | ((pf & REX_R) != 0 ? 8 : 0);
  if (mod == 3) return DecodeStatus.REGISTER_OPERAND;
  let dispBytes: u32 = 0;
  let segment: u32 = Seg.DS;

  if (addrSize == 2) {
    // 16-bit addressing, Table 2-1: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 if mod 0), BX
    const BX: u32 = 3, BP: u32 = 5, SI: u32 = 6, DI: u32 = 7;
    if (rm == 6 && mod == 0) {
      dispBytes = 2;
    } else {
      out.base = rm == 0 || rm == 1 || rm == 7 ? BX : rm == 2 || rm == 3 || rm == 6 ? BP : rm == 4 ? SI : DI;
      if (rm < 4) out.index = (rm & 1) != 0 ? DI : SI;
      if (out.base == BP) segment = Seg.SS;
      dispBytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
    }
  } else {
    // 32/64-bit addressing, Tables 2-2 and 2-3
    if (rm == 4) {
      st = need(p, 1, avail);
      if (st != DecodeStatus.OK) return st;
      const sib = byteAt(code, p++);
      out.scale = 1 << (sib >> 6);
      const index = ((sib >> 3) & 7) | ((pf & REX_X) != 0 ? 8 : 0);
      if (index != 4) out.index = index; // rSP cannot be an index; r12 can
      if ((sib & 7) == 5 && mod == 0) {
        dispBytes = 4;
      } else {
        out.base = (sib & 7) | ((pf & REX_B) != 0 ? 8 : 0);
      }
    } else if (rm == 5 && mod == 0) {
      dispBytes = 4;
      if (long) out.base = REG_RIP; // RIP-relative in 64-bit mode (§2.2.1.6)
    } else {
      out.base = rm | ((pf & REX_B) != 0 ? 8 : 0);
    }
    if (out.base == 4 || out.base == 5) segment = Seg.SS; // rSP/rBP-based (not r12/r13)
    if (mod == 1) dispBytes = 1;
    else if (mod == 2) dispBytes = 4;
  }
  if (dispBytes != 0) {
    st = need(p, dispBytes, avail);
    if (st != DecodeStatus.OK) return st;
    out.disp = signExtend(bytesAt(code, p, dispBytes), dispBytes);
    p += dispBytes;
  }
  out.segment = segment;
  out.length = p;
  return DecodeStatus.OK;
}
