// Floating-point numeric instructions and conversions (Core Specification §4.3.3 "Floating-Point
// Operations", §4.3.4 "Conversions"). SSE2 scalar arithmetic is IEEE 754 binary32/binary64 with
// round-to-nearest-even, as wasm requires. Where wasm differs from the x86 instruction:
// - min/max: wasm propagates NaN and orders -0 < +0; MINSD/MAXSD return the second operand for
//   NaN and equal inputs, so NaN and equality are handled first.
// - abs/neg/copysign are sign-bit operations (they must not touch NaN payloads).
// - ceil/floor/trunc/nearest use ROUNDSS/ROUNDSD (SSE4.1) with imm8 bit 3 set (no precision
//   exception); mode 0 = nearest-even.
// - float->int truncation traps on NaN (code 4) and out of range (code 3); the _sat forms
//   saturate and give 0 for NaN. u64 <-> float go through the 2^63 split.

import { widthOf, type FnCtx } from "./emit-ctx.ts";
import type { Inst, Opnd } from "./ir.ts";
import { NUM_OPS } from "./opcodes.ts";
import type { NumType } from "./module.ts";

const ARITH: Record<string, string> = { add: "add", sub: "sub", mul: "mul", div: "div" };
const ROUND: Record<string, number> = { nearest: 8, floor: 9, ceil: 10, trunc: 11 };

// Bit patterns of the range limits used by the truncations.
const F64 = {
  m2p31m1: 0xc1e0000000200000n, // -2147483649
  p2p31: 0x41e0000000000000n, // 2^31
  m1: 0xbff0000000000000n, // -1
  p2p32: 0x41f0000000000000n, // 2^32
  m2p63: 0xc3e0000000000000n, // -2^63
  p2p63: 0x43e0000000000000n, // 2^63
  p2p64: 0x43f0000000000000n, // 2^64
};
const F32 = {
  m2p31: 0xcf000000n, p2p31: 0x4f000000n, m1: 0xbf800000n, p2p32: 0x4f800000n, m2p63: 0xdf000000n,
  p2p63: 0x5f000000n, p2p64: 0x5f800000n,
};

export function emitFloatNum(ctx: FnCtx, i: Inst & { k: "num" }): boolean {
  const info = NUM_OPS.get(i.op)!;
  const dot = info.name.indexOf(".");
  const name = info.name.slice(dot + 1);
  const t = info.result;
  const src = info.params[0]!;
  const sfx = (x: NumType): string => (x === "f32" ? "ss" : "sd");
  if ((t === "f32" || t === "f64") && src === t) {
    const s = sfx(t);
    if (ARITH[name] && i.b) return arith(ctx, ARITH[name] + s, name === "add" || name === "mul", t, i.dst, i.a, i.b), true;
    if (name === "min" || name === "max") minMax(ctx, name, t, i.a, i.b!);
    else if (name === "sqrt") ctx.ins(`sqrt${s} xmm15, ${ctx.floatSrc(i.a, t, "xmm15")}`);
    else if (ROUND[name] !== undefined) {
      ctx.floatToReg(i.a, "xmm15", t);
      ctx.ins(`round${s} xmm15, xmm15, ${ROUND[name]}`);
    } else if (name === "abs" || name === "neg" || name === "copysign") signOp(ctx, name, t, i.a, i.b);
    else return false;
    ctx.fromReg(i.dst, "xmm15", t);
    return true;
  }
  switch (name) {
    case "demote_f64": ctx.ins(`cvtsd2ss xmm15, ${ctx.floatSrc(i.a, "f64", "xmm15")}`); break;
    case "promote_f32": ctx.ins(`cvtss2sd xmm15, ${ctx.floatSrc(i.a, "f32", "xmm15")}`); break;
    case "convert_i32_s": ctx.intToReg(i.a, "rax", 32); ctx.ins(`cvtsi2${sfx(t)} xmm15, eax`); break;
    case "convert_i32_u": case "convert_i64_s":
      // a zero-extended u32 is exact as a signed 64-bit input
      ctx.intToReg(i.a, "rax", name === "convert_i64_s" ? 64 : 32);
      ctx.ins(`cvtsi2${sfx(t)} xmm15, rax`);
      break;
    case "convert_i64_u": {
      const big = ctx.local();
      const done = ctx.local();
      ctx.intToReg(i.a, "rax", 64);
      ctx.ins("test rax, rax");
      ctx.ins(`js ${big}`);
      ctx.ins(`cvtsi2${sfx(t)} xmm15, rax`);
      ctx.ins(`jmp ${done}`);
      ctx.label(big);
      // halve with the low bit kept sticky so the final rounding is the same (round to odd)
      ctx.ins("mov rcx, rax");
      ctx.ins("shr rcx, 1");
      ctx.ins("and eax, 1");
      ctx.ins("or rcx, rax");
      ctx.ins(`cvtsi2${sfx(t)} xmm15, rcx`);
      ctx.ins(`add${sfx(t)} xmm15, xmm15`);
      ctx.label(done);
      break;
    }
    case "reinterpret_f32": case "reinterpret_f64": {
      const w = widthOf(src);
      ctx.floatToReg(i.a, "xmm15", src);
      ctx.ins(w === 32 ? "movd eax, xmm15" : "movq rax, xmm15");
      ctx.fromReg(i.dst, "rax", t);
      return true;
    }
    case "reinterpret_i32": case "reinterpret_i64": {
      const w = widthOf(src);
      ctx.intToReg(i.a, "rax", w);
      ctx.ins(w === 32 ? "movd xmm15, eax" : "movq xmm15, rax");
      break;
    }
    default:
      if (name.startsWith("trunc_sat_")) return truncSat(ctx, i, t, src, name.endsWith("_u")), true;
      if (name.startsWith("trunc_")) return trunc(ctx, i, t, src, name.endsWith("_u")), true;
      return false;
  }
  ctx.fromReg(i.dst, "xmm15", t);
  return true;
}

/**
 * Two-address SSE arithmetic computed in the destination register when it is one (else xmm15).
 * Swapping the operands of add/mul only changes which NaN payload comes out, which wasm leaves
 * open (§4.3.3, NaN propagation).
 */
function arith(ctx: FnCtx, op: string, commutative: boolean, t: NumType, dst: number, a: Opnd, b: Opnd): void {
  const l = ctx.loc(dst);
  const D = l.k === "reg" ? l.reg : null;
  const aR = ctx.regOf(a);
  const bR = ctx.regOf(b);
  if (D && bR === D && aR !== D && commutative) {
    ctx.ins(`${op} ${D}, ${ctx.floatSrc(a, t, "xmm14")}`);
    return;
  }
  const x = D && (bR !== D || aR === D) ? D : "xmm15";
  ctx.floatToReg(a, x, t);
  ctx.ins(`${op} ${x}, ${ctx.floatSrc(b, t, "xmm14")}`);
  ctx.fromReg(dst, x, t);
}

function minMax(ctx: FnCtx, name: string, t: NumType, a: Opnd, b: Opnd): void {
  const s = t === "f32" ? "ss" : "sd";
  const p = t === "f32" ? "ps" : "pd";
  const nan = ctx.local();
  const ne = ctx.local();
  const done = ctx.local();
  ctx.floatToReg(a, "xmm15", t);
  ctx.floatToReg(b, "xmm14", t);
  ctx.ins(`ucomi${s} xmm15, xmm14`);
  ctx.ins(`jp ${nan}`);
  ctx.ins(`jne ${ne}`);
  // equal: only the sign of zero can differ; min takes -0 (OR of sign bits), max +0 (AND)
  ctx.ins(`${name === "min" ? "or" : "and"}${p} xmm15, xmm14`);
  ctx.ins(`jmp ${done}`);
  ctx.label(ne);
  ctx.ins(`${name}${s} xmm15, xmm14`);
  ctx.ins(`jmp ${done}`);
  ctx.label(nan);
  ctx.ins(`add${s} xmm15, xmm14`); // yields a quiet NaN from the NaN operand(s)
  ctx.label(done);
}

function signOp(ctx: FnCtx, name: string, t: NumType, a: Opnd, b: Opnd | null): void {
  const w = widthOf(t);
  const ax = w === 32 ? "eax" : "rax";
  const mv = w === 32 ? "movd" : "movq";
  ctx.floatToReg(a, "xmm15", t);
  ctx.ins(`${mv} ${ax}, xmm15`);
  if (name === "abs") ctx.ins(`btr ${ax}, ${w - 1}`);
  else if (name === "neg") ctx.ins(`btc ${ax}, ${w - 1}`);
  else {
    const cx = w === 32 ? "ecx" : "rcx";
    ctx.floatToReg(b!, "xmm14", t);
    ctx.ins(`${mv} ${cx}, xmm14`);
    ctx.ins(`btr ${ax}, ${w - 1}`);
    ctx.ins(`shr ${cx}, ${w - 1}`);
    ctx.ins(`shl ${cx}, ${w - 1}`);
    ctx.ins(`or ${ax}, ${cx}`);
  }
  ctx.ins(`${mv} xmm15, ${ax}`);
}

/** Loads constant bits of type src into xmm14 and compares xmm15 with it. */
function cmpConst(ctx: FnCtx, src: NumType, bits: bigint): void {
  ctx.floatToReg({ k: "c", bits }, "xmm14", src);
  ctx.ins(`ucomi${src === "f32" ? "ss" : "sd"} xmm15, xmm14`);
}

function trunc(ctx: FnCtx, i: Inst & { k: "num" }, t: NumType, src: NumType, unsigned: boolean): void {
  const K = src === "f32" ? F32 : F64;
  const s = src === "f32" ? "ss" : "sd";
  ctx.floatToReg(i.a, "xmm15", src);
  ctx.ins(`ucomi${s} xmm15, xmm15`);
  ctx.ins(`jp ${ctx.trap(4)}`);
  // valid ranges (exclusive/inclusive bounds chosen so that every accepted value truncates in range)
  let lo: bigint;
  let loInclusive: boolean;
  let hi: bigint;
  if (t === "i32" && !unsigned) {
    lo = src === "f32" ? F32.m2p31 : F64.m2p31m1;
    loInclusive = src === "f32";
    hi = K.p2p31;
  } else if (t === "i32") {
    lo = K.m1; loInclusive = false; hi = K.p2p32;
  } else if (!unsigned) {
    lo = K.m2p63; loInclusive = true; hi = K.p2p63;
  } else {
    lo = K.m1; loInclusive = false; hi = K.p2p64;
  }
  cmpConst(ctx, src, lo);
  ctx.ins(`${loInclusive ? "jb" : "jbe"} ${ctx.trap(3)}`);
  cmpConst(ctx, src, hi);
  ctx.ins(`jae ${ctx.trap(3)}`);
  if (t === "i64" && unsigned) truncU64(ctx, src);
  else if (t === "i32" && !unsigned) ctx.ins(`cvtt${s}2si eax, xmm15`);
  else ctx.ins(`cvtt${s}2si rax, xmm15`);
  ctx.fromReg(i.dst, "rax", t);
}

/** xmm15 in [0, 2^64) -> rax. */
function truncU64(ctx: FnCtx, src: NumType): void {
  const s = src === "f32" ? "ss" : "sd";
  const K = src === "f32" ? F32 : F64;
  const big = ctx.local();
  const done = ctx.local();
  cmpConst(ctx, src, K.p2p63);
  ctx.ins(`jae ${big}`);
  ctx.ins(`cvtt${s}2si rax, xmm15`);
  ctx.ins(`jmp ${done}`);
  ctx.label(big);
  ctx.ins(`sub${s} xmm15, xmm14`);
  ctx.ins(`cvtt${s}2si rax, xmm15`);
  ctx.ins("btc rax, 63");
  ctx.label(done);
}

function truncSat(ctx: FnCtx, i: Inst & { k: "num" }, t: NumType, src: NumType, unsigned: boolean): void {
  const K = src === "f32" ? F32 : F64;
  const s = src === "f32" ? "ss" : "sd";
  const done = ctx.local();
  ctx.floatToReg(i.a, "xmm15", src);
  if (!unsigned) {
    const w = widthOf(t);
    const R = w === 32 ? "eax" : "rax";
    ctx.ins(`cvtt${s}2si ${R}, xmm15`);
    // the "integer indefinite" value INT_MIN marks NaN or out of range (Intel SDM CVTTSD2SI)
    if (w === 32) ctx.ins("cmp eax, 0x80000000");
    else {
      ctx.ins("mov rcx, 0x8000000000000000");
      ctx.ins("cmp rax, rcx");
    }
    ctx.ins(`jne ${done}`);
    const zero = ctx.local();
    ctx.ins(`ucomi${s} xmm15, xmm15`);
    ctx.ins(`jp ${zero}`);
    ctx.ins("xorps xmm14, xmm14");
    ctx.ins(`ucomi${s} xmm15, xmm14`);
    ctx.ins(`jb ${done}`); // negative overflow keeps INT_MIN
    if (w === 32) ctx.ins("mov eax, 0x7fffffff");
    else ctx.ins("mov rax, 0x7fffffffffffffff");
    ctx.ins(`jmp ${done}`);
    ctx.label(zero);
    ctx.ins("xor eax, eax");
  } else {
    const zero = ctx.local();
    const max = ctx.local();
    ctx.ins("xorps xmm14, xmm14");
    ctx.ins(`ucomi${s} xmm15, xmm14`);
    ctx.ins(`jbe ${zero}`); // NaN, negative, or zero -> 0
    cmpConst(ctx, src, t === "i32" ? K.p2p32 : K.p2p64);
    ctx.ins(`jae ${max}`);
    if (t === "i32") ctx.ins(`cvtt${s}2si rax, xmm15`);
    else truncU64(ctx, src);
    ctx.ins(`jmp ${done}`);
    ctx.label(max);
    ctx.ins(t === "i32" ? "mov eax, 0xffffffff" : "mov rax, -1");
    ctx.ins(`jmp ${done}`);
    ctx.label(zero);
    ctx.ins("xor eax, eax");
  }
  ctx.label(done);
  ctx.fromReg(i.dst, "rax", t);
}
