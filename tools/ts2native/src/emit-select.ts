// Integer and float `select`: CMOV straight into the destination where the locations allow it,
// through rax/r11 otherwise; float values and float conditions on integers take branches.
// The condition's compare is shared by consecutive selects on it (if-conversion, ifconv.ts).

import { widthOf, type FnCtx } from "./emit-ctx.ts";
import { emitCondJump, emitFlags } from "./emit-cond.ts";
import type { Cond, Inst, Opnd } from "./ir.ts";
import { hex64, reg } from "./x86.ts";

function sameOpnd(a: Opnd, b: Opnd): boolean {
  return a.k === "v" ? b.k === "v" && a.v === b.v : b.k === "c" && a.bits === b.bits;
}
function sameCond(a: Cond, b: Cond): boolean {
  // a folded load (loadfold.ts) is read by its own compare
  return !a.mem && !b.mem && a.t === b.t && a.cc === b.cc && a.neg === b.neg && sameOpnd(a.a, b.a) && sameOpnd(a.b, b.b);
}

/** Loads an integer operand into r64 with MOVs only (no XOR for 0): the flags survive. */
function movKeepFlags(ctx: FnCtx, o: Opnd, r64: string, w: 32 | 64): void {
  if (o.k === "c") {
    const v = BigInt.asUintN(w, o.bits);
    ctx.ins(v < 1n << 32n ? `mov ${reg(r64, 32)}, ${v}` : `mov ${r64}, ${hex64(v)}`);
  } else if (ctx.regOf(o) !== r64) ctx.ins(`mov ${reg(r64, w)}, ${ctx.intRM(o, w)}`);
}

export function emitSelect(ctx: FnCtx, i: Inst & { k: "select" }): void {
  const float = i.t === "f32" || i.t === "f64";
  const w = widthOf(i.t);
  const inv: Record<string, string> = { e: "ne", ne: "e", l: "ge", ge: "l", g: "le", le: "g", b: "ae", ae: "b", a: "be", be: "a" };
  const l = ctx.loc(i.dst);
  const D = l.k === "reg" ? l.reg : null;
  const intCond = i.cond.t === "i32" || i.cond.t === "i64";
  // a CMOV source: a constant goes into r11 after the flags (emitFlags may use r11 itself)
  const cmovSrc = (o: Opnd): string => (o.k === "c" ? (movKeepFlags(ctx, o, "r11", w), reg("r11", w)) : ctx.intRM(o, w));
  if (!float && D && intCond && ctx.regOf(i.cond.a) !== D && ctx.regOf(i.cond.b) !== D) {
    // straight into the destination: D := b; cmov(cond) D, a — or cmov(!cond) D, b when D holds a.
    // D is loaded before the flags are set (a move of 0 is an XOR); the condition does not read D.
    if (ctx.regOf(i.a) === D) {
      // the same condition as the select just emitted, whose CMOV wrote none of its operands:
      // the flags are still those of the condition
      const prev = ctx.flagsCond;
      const reuse = prev && sameCond(prev.cond, i.cond) && ctx.regOf(i.cond.a) !== prev.dst && ctx.regOf(i.cond.b) !== prev.dst;
      const f = reuse ? { cc: prev.cc } : (emitFlags(ctx, i.cond) as { cc: string });
      ctx.ins(`cmov${inv[f.cc]} ${reg(D, w)}, ${cmovSrc(i.b)}`);
      ctx.flagsCond = { cond: i.cond, cc: f.cc, dst: D };
    } else {
      ctx.intToReg(i.b, D, w);
      const f = emitFlags(ctx, i.cond) as { cc: string };
      ctx.ins(`cmov${f.cc} ${reg(D, w)}, ${cmovSrc(i.a)}`);
    }
    return;
  }
  if (!float && D && intCond && ctx.regOf(i.a) !== D && ctx.regOf(i.b) !== D) {
    // the condition reads D (its operand dies here): flags first, then D := b with a MOV (which
    // keeps the flags), then cmov(cond) D, a
    const f = emitFlags(ctx, i.cond) as { cc: string };
    movKeepFlags(ctx, i.b, D, w);
    ctx.ins(`cmov${f.cc} ${reg(D, w)}, ${cmovSrc(i.a)}`);
    return;
  }
  if (!float) {
    // flags first (scratch rax, r11), then the values with MOVs, which keep them
    const f = emitFlags(ctx, i.cond);
    movKeepFlags(ctx, i.b, "rax", w);
    movKeepFlags(ctx, i.a, "r11", w);
    if ("cc" in f) {
      ctx.ins(`cmov${f.cc} ${reg("rax", w)}, ${reg("r11", w)}`);
      ctx.fromReg(i.dst, "rax", i.t);
      return;
    }
    // float eq/ne condition on integer values: branch
    const pickB = ctx.local();
    if (f.special === "feq") {
      ctx.ins(`jp ${pickB}`);
      ctx.ins(`jne ${pickB}`);
    } else {
      const pickA = ctx.local();
      ctx.ins(`jp ${pickA}`);
      ctx.ins(`je ${pickB}`);
      ctx.label(pickA);
    }
    ctx.ins("mov rax, r11");
    ctx.label(pickB);
    ctx.fromReg(i.dst, "rax", i.t);
    return;
  }
  const yes = ctx.local();
  const done = ctx.local();
  emitCondJump(ctx, i.cond, yes);
  ctx.floatToReg(i.b, "xmm15", i.t);
  ctx.ins(`jmp ${done}`);
  ctx.label(yes);
  ctx.floatToReg(i.a, "xmm15", i.t);
  ctx.label(done);
  ctx.fromReg(i.dst, "xmm15", i.t);
}
