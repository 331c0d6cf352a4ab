// Comparisons: flag-setting sequences and fused compare-and-branch.
// Integer predicates map to one condition code (Intel SDM Vol. 1 Appendix B, "EFLAGS Condition
// Codes"). Float predicates use UCOMISS/UCOMISD, which report "unordered" (a NaN operand) as
// ZF=PF=CF=1; wasm comparisons are false on NaN except `ne` (Core Specification §4.3.3, feq/flt):
// lt/le are computed with swapped operands so that "above"/"above or equal" exclude unordered,
// and eq/ne also test PF.

import { widthOf, type FnCtx } from "./emit-ctx.ts";
import { effAddr } from "./emit-mem.ts";
import type { Cond, Opnd } from "./ir.ts";
import { MEM_OPS } from "./opcodes.ts";
import { fitsS32, imm, reg, sizeWord } from "./x86.ts";

const INT_CC: Record<string, string> = {
  eq: "e", ne: "ne", lt_s: "l", lt_u: "b", gt_s: "g", gt_u: "a", le_s: "le", le_u: "be", ge_s: "ge", ge_u: "ae",
};
const SWAP: Record<string, string> = {
  eq: "eq", ne: "ne", lt_s: "gt_s", lt_u: "gt_u", gt_s: "lt_s", gt_u: "lt_u", le_s: "ge_s", le_u: "ge_u", ge_s: "le_s", ge_u: "le_u",
};
const INVERSE: Record<string, string> = {
  e: "ne", ne: "e", l: "ge", ge: "l", g: "le", le: "g", b: "ae", ae: "b", a: "be", be: "a",
};

export type Flags = { cc: string } | { special: "feq" | "fne" };

/**
 * Emits the flag-setting instructions for `c`; returns what to test. Scratch: rax (a constant or
 * memory left operand), r11 (a 64-bit constant), xmm14, xmm15 — not rcx/rdx, which the
 * allocator hands out (regalloc.ts `scratchOf` lists what each instruction does use).
 */
export function emitFlags(ctx: FnCtx, c: Cond): Flags {
  if (c.t === "f32" || c.t === "f64") return floatFlags(ctx, c);
  if (c.mem) return memFlags(ctx, c);
  if (c.cc === "test") return testFlags(ctx, c);
  const w = widthOf(c.t);
  let cc = c.cc;
  let a: Opnd = c.a;
  let b: Opnd = c.b;
  if (a.k === "c" && b.k !== "c") {
    [a, b] = [b, a];
    cc = SWAP[cc]!;
  }
  let left: string;
  if (a.k === "c") {
    ctx.intToReg(a, "rax", w);
    left = reg("rax", w);
  } else left = ctx.intRM(a, w);
  const leftIsMem = left.includes("[");
  // TEST r,r sets ZF and SF like CMP r,0 and clears CF and OF as it does: valid for every predicate
  if (b.k === "c" && BigInt.asUintN(w, b.bits) === 0n && !leftIsMem) {
    // the flags of the ADD/SUB/logic op that just computed `left` give the same ZF
    if (ctx.flagsFrom !== left || (cc !== "eq" && cc !== "ne")) ctx.ins(`test ${left}, ${left}`);
  } else {
    let right: string;
    if (b.k === "c") right = ctx.intSrc(b, w, "r11");
    else {
      right = ctx.intRM(b, w);
      if (leftIsMem && right.includes("[")) {
        ctx.intToReg(a, "rax", w);
        left = reg("rax", w);
      }
    }
    ctx.ins(`cmp ${left}, ${right}`);
  }
  const x = INT_CC[cc]!;
  return { cc: c.neg ? INVERSE[x]! : x };
}

/**
 * A folded load on the left (loadfold.ts: `a` is its address): `cmp size [A], b` / `test size
 * [A], b` in the access's width. b: an immediate (narrow accesses: loadfold.ts checked that the
 * constant fits, or, for TEST, only its low bits matter), else a register, through rax from a
 * slot or for a 64-bit constant (effAddr may need r11).
 */
function memFlags(ctx: FnCtx, c: Cond): Flags {
  const m = c.mem!;
  const bits = (MEM_OPS.get(m.op)!.bytes * 8) as 8 | 16 | 32 | 64;
  let right: string;
  if (c.b.k === "c" && (bits < 64 || fitsS32(c.b.bits))) right = imm(c.b.bits, bits);
  else right = reg(ctx.regOf(c.b) ?? (ctx.intToReg(c.b, "rax", bits === 64 ? 64 : 32), "rax"), bits);
  const ea = `${sizeWord(bits / 8)} ${effAddr(ctx, c.a, m.offset, m.scale)}`;
  if (c.cc === "test") {
    ctx.ins(`test ${ea}, ${right}`);
    return { cc: c.neg ? "e" : "ne" };
  }
  ctx.ins(`cmp ${ea}, ${right}`);
  const x = INT_CC[c.cc]!;
  return { cc: c.neg ? INVERSE[x]! : x };
}

/** cc "test": (a & b) != 0 through TEST (commutative; an immediate must be the second operand). */
function testFlags(ctx: FnCtx, c: Cond): Flags {
  const w = widthOf(c.t);
  const [a, b] = c.a.k === "c" ? [c.b, c.a] : [c.a, c.b];
  let left: string;
  if (a.k === "c") {
    ctx.intToReg(a, "rax", w);
    left = reg("rax", w);
  } else left = ctx.intRM(a, w);
  let right: string;
  if (b.k === "c") right = ctx.intSrc(b, w, "r11");
  else {
    right = ctx.intRM(b, w);
    if (right.includes("[")) {
      if (left.includes("[")) {
        ctx.intToReg(a, "rax", w);
        left = reg("rax", w);
      }
      [left, right] = [right, left];
    }
  }
  ctx.ins(`test ${left}, ${right}`);
  return { cc: c.neg ? "e" : "ne" };
}

function floatFlags(ctx: FnCtx, c: Cond): Flags {
  const ucom = c.t === "f32" ? "ucomiss" : "ucomisd";
  let { cc } = c;
  if (cc === "eq" || cc === "ne") {
    const left = ctx.regOf(c.a) ?? (ctx.floatToReg(c.a, "xmm15", c.t), "xmm15");
    ctx.ins(`${ucom} ${left}, ${ctx.floatSrc(c.b, c.t, "xmm14")}`);
    const isEq = (cc === "eq") !== c.neg;
    return { special: isEq ? "feq" : "fne" };
  }
  let a = c.a;
  let b = c.b;
  if (cc === "lt" || cc === "le") {
    [a, b] = [b, a];
    cc = cc === "lt" ? "gt" : "ge";
  }
  const left = ctx.regOf(a) ?? (ctx.floatToReg(a, "xmm15", c.t), "xmm15");
  ctx.ins(`${ucom} ${left}, ${ctx.floatSrc(b, c.t, "xmm14")}`);
  const x = cc === "gt" ? "a" : "ae";
  return { cc: c.neg ? INVERSE[x]! : x };
}

/** Jumps to `target` when the condition holds. */
export function emitCondJump(ctx: FnCtx, c: Cond, target: string): void {
  const f = emitFlags(ctx, c);
  if ("cc" in f) {
    ctx.ins(`j${f.cc} ${target}`);
  } else if (f.special === "feq") {
    const skip = ctx.local();
    ctx.ins(`jp ${skip}`);
    ctx.ins(`je ${target}`);
    ctx.label(skip);
  } else {
    ctx.ins(`jp ${target}`);
    ctx.ins(`jne ${target}`);
  }
}

/** Sets register r64 (not rdx: float eq/ne use dl, regalloc.ts blocks rdx there) to the condition's 0/1 value. */
export function emitCondValue(ctx: FnCtx, c: Cond, r64 = "rax"): void {
  const f = emitFlags(ctx, c);
  const b = reg(r64, 8);
  if ("cc" in f) ctx.ins(`set${f.cc} ${b}`);
  else if (f.special === "feq") {
    ctx.ins(`sete ${b}`);
    ctx.ins("setnp dl");
    ctx.ins(`and ${b}, dl`);
  } else {
    ctx.ins(`setne ${b}`);
    ctx.ins("setp dl");
    ctx.ins(`or ${b}, dl`);
  }
  ctx.ins(`movzx ${reg(r64, 32)}, ${b}`);
}
