// Parallel moves: several values moved at once between registers (and frame slots), as at a
// call (arguments into rdi, rsi, ..., xmm0...) or in the prologue (parameters from the registers
// they arrive in to their allocated homes). Any order of sequential moves may overwrite a
// source not yet read, so moves are emitted only once nothing else still reads their destination;
// a cycle (rdi <-> rsi) is broken with XCHG (integers) or through xmm15 (floats), so the integer
// scratch registers rax and r11 are not used (call_indirect keeps its target in r11).
// Only registers can be read and written by the same parallel move (slots are only read or only
// written), so only registers form cycles.

import { widthOf, type FnCtx } from "./emit-ctx.ts";
import type { Opnd } from "./ir.ts";
import type { NumType } from "./module.ts";
import { reg } from "./x86.ts";

/** A source: an operand (constant or vreg at its home) or a register holding the value. */
export type MoveSrc = { k: "opnd"; o: Opnd } | { k: "reg"; reg: string };

export interface Move {
  t: NumType;
  /** destination register, or a memory operand without size word (`[rsp+8]`) */
  dst: string;
  src: MoveSrc;
}

const isFloat = (t: NumType): boolean => t === "f32" || t === "f64";

function srcReg(ctx: FnCtx, s: MoveSrc): string | null {
  return s.k === "reg" ? s.reg : ctx.regOf(s.o);
}

function emitOne(ctx: FnCtx, m: Move): void {
  const w = widthOf(m.t);
  const toMem = m.dst.startsWith("[");
  if (isFloat(m.t)) {
    const mov = w === 32 ? "movss" : "movsd";
    if (toMem) {
      const r = srcReg(ctx, m.src) ?? (m.src.k === "opnd" ? (ctx.floatToReg(m.src.o, "xmm15", m.t), "xmm15") : "xmm15");
      ctx.ins(`${mov} ${m.dst}, ${r}`);
    } else if (m.src.k === "reg") {
      if (m.src.reg !== m.dst) ctx.ins(`movaps ${m.dst}, ${m.src.reg}`);
    } else ctx.floatToReg(m.src.o, m.dst, m.t);
    return;
  }
  if (toMem) {
    let r = srcReg(ctx, m.src);
    if (!r && m.src.k === "opnd") {
      ctx.intToReg(m.src.o, "rax", w);
      r = "rax";
    }
    ctx.ins(`mov ${m.dst}, ${reg(r!, w)}`);
  } else if (m.src.k === "reg") {
    if (m.src.reg !== m.dst) ctx.ins(`mov ${reg(m.dst, w)}, ${reg(m.src.reg, w)}`);
  } else ctx.intToReg(m.src.o, m.dst, w);
}

/** Emits the moves so that every destination receives the value its source had before. */
export function parallelMove(ctx: FnCtx, moves: Move[]): void {
  const pending = moves.filter((m) => srcReg(ctx, m.src) !== m.dst);
  const readByOther = (m: Move): boolean => pending.some((o) => o !== m && srcReg(ctx, o.src) === m.dst);
  while (pending.length) {
    const k = pending.findIndex((m) => !readByOther(m));
    if (k >= 0) {
      emitOne(ctx, pending.splice(k, 1)[0]!);
      continue;
    }
    // every destination is still read: a cycle. Integer registers swap (no scratch needed, so
    // r11 and rax stay free for the caller); xmm registers go through xmm15.
    const m = pending.shift()!;
    const d = m.dst;
    const s = srcReg(ctx, m.src)!;
    if (isFloat(m.t)) {
      ctx.ins(`movaps xmm15, ${d}`);
      emitOne(ctx, m);
      for (const o of pending) if (srcReg(ctx, o.src) === d) o.src = { k: "reg", reg: "xmm15" };
    } else {
      ctx.ins(`xchg ${d}, ${s}`);
      // d now holds s's old value (final) and s holds d's old value
      for (const o of pending) {
        const r = srcReg(ctx, o.src);
        if (r === d) o.src = { k: "reg", reg: s };
        else if (r === s) o.src = { k: "reg", reg: d };
      }
    }
  }
}

/** Loads i32 operands into fixed registers at once (helper sequences: rdi, rsi, rdx, ...). */
export function loadI32s(ctx: FnCtx, pairs: [Opnd, string][]): void {
  parallelMove(ctx, pairs.map(([o, r]) => ({ t: "i32", dst: r, src: { k: "opnd", o } })));
}
