// Register allocation for one lowered function: live intervals with lifetime holes
// (intervals.ts), linear scan with interval splitting (lsra.ts), then resolution (resolve.ts):
// each piece of an interval becomes a vreg of its own with one location, and `pmov` instructions
// move values where their location changes. The emitter sees one location per vreg.
//
// - Integer registers: caller-saved rsi rdi r8 r9 r10 rdx rcx and callee-saved rbx r12 r14 r13
//   rbp; floats: xmm0-xmm13 (all caller-saved in System V). rax r11 xmm14 xmm15 are the
//   emitter's scratch registers, and rcx/rdx where `scratchOf` says so; r15 is the memory base.
// - Hints: a parameter prefers the register it arrives in, a call argument the register it is
//   passed in, a result the register of the operand it is computed from (copies, two-address
//   operations, loads, LEAs) when that operand dies there, which saves the copy.

import { callLayout } from "./callconv.ts";
import { ENTRY, buildIntervals, clobberPos, defPos, instAt, usePos, type Interval } from "./intervals.ts";
import type { Callee, Inst, LoweredFunc, Opnd } from "./ir.ts";
import { findLoops } from "./loops.ts";
import { CALLEE_SAVED, linearScan, type ScratchBlocks } from "./lsra.ts";
import type { FuncType } from "./module.ts";
import { NUM_OPS } from "./opcodes.ts";
import { resolve, type Loc } from "./resolve.ts";

export type { Loc } from "./resolve.ts";
export { CALLEE_SAVED };

export interface Allocation {
  locs: Loc[];
  numSlots: number;
  /** callee-saved registers the function uses (to push/pop) */
  saved: string[];
}

const COMMUTATIVE = /\.(add|mul|and|or|xor)$/;

/**
 * How an instruction's emitter uses rcx/rdx: `full` registers hold none of its operands, results
 * or values live across it (except the vreg `except`, a shift count already in cl); `clobber`
 * registers only lose values live across it (it reads its operands before and writes its result
 * after using them, like a call). Variable shift counts go in cl; clz/ctz and the SWAR popcount
 * use rcx; division by a variable (IDIV/DIV) clobbers rdx, division by a constant
 * (emit-divconst.ts: MUL, then reads its operand again) uses it; float eq/ne into a value uses
 * dl; atomics use both; float operations (conversions, copysign, saturating truncation) are given
 * both, conservatively. Calls and helper sequences clobber every caller-saved register anyway.
 */
export interface Scratch {
  full: readonly string[];
  clobber: readonly string[];
  except?: number;
}

const NONE: Scratch = { full: [], clobber: [] };
const FLOAT_OP: Scratch = { full: ["rcx", "rdx"], clobber: [] };

export function scratchOf(i: Inst): Scratch {
  switch (i.k) {
    case "num": {
      const info = NUM_OPS.get(i.op)!;
      if (isFloatType(info.result) || info.params.some(isFloatType)) return FLOAT_OP;
      const name = info.name.slice(4);
      if (name === "shl" || name === "shr_s" || name === "shr_u" || name === "rotl" || name === "rotr") {
        return i.b?.k === "v" ? { full: ["rcx"], clobber: [], except: i.b.v } : NONE;
      }
      if (name === "clz" || name === "ctz" || name === "popcnt") return { full: [], clobber: ["rcx"] };
      if (name.startsWith("div") || name.startsWith("rem")) return i.b?.k === "c" ? { full: ["rdx"], clobber: [] } : { full: [], clobber: ["rdx"] };
      return NONE;
    }
    case "setcc": case "select": case "jcc": return isFloatType(i.cond.t) ? { full: ["rdx"], clobber: [] } : NONE;
    case "atomic": return FLOAT_OP;
    default: return NONE;
  }
}

const isFloatType = (t: string): boolean => t === "f32" || t === "f64";

/** The operands whose register would suit the result of `i` best. */
function sameAs(i: Inst): (Opnd | null)[] {
  switch (i.k) {
    case "mov": return [i.src];
    // b of a folded load (loadfold.ts) is its address: the result there would need a detour
    case "num": return [i.a, !i.mem && COMMUTATIVE.test(NUM_OPS.get(i.op)!.name) ? i.b : null];
    case "load": return [i.addr];
    case "lea": return [i.base, i.index];
    default: return [];
  }
}

export function allocate(fn: LoweredFunc, type: FuncType, calleeType: (c: Callee) => FuncType): Allocation {
  const loops = findLoops(fn.insts, fn.numLabels);
  const set = buildIntervals(fn, loops.depth);
  const fixed = new Map<number, string>();
  callLayout(type).params.forEach((p, v) => {
    if (p.k === "reg") fixed.set(v, p.reg);
  });
  // call arguments: the register they are passed in
  for (const i of fn.insts) {
    if (i.k !== "call") continue;
    const layout = callLayout(calleeType(i.callee));
    i.args.forEach((a, k) => {
      const l = layout.params[k]!;
      if (a.k === "v" && l.k === "reg" && !fixed.has(a.v)) fixed.set(a.v, l.reg);
    });
  }
  const insts = fn.insts;
  const hints = (iv: Interval, regAt: (v: number, p: number) => string | null): string[] => {
    const out: string[] = [];
    const n = instAt(iv.start);
    if (iv.start !== ENTRY && n >= 0 && iv.start === defPos(n)) {
      for (const o of sameAs(insts[n]!)) {
        if (!o || o.k !== "v" || o.v === iv.v) continue;
        const r = regAt(o.v, usePos(n));
        if (r) out.push(r);
      }
    }
    const f = fixed.get(iv.v);
    if (f) out.push(f);
    return out;
  };
  const scaledBase = new Set<number>();
  for (const i of insts) if (i.k === "lea" && i.scale > 1 && i.base?.k === "v") scaledBase.add(i.base.v);
  const scratch: ScratchBlocks = new Map([["rcx", { full: [], clobber: [], except: new Map() }], ["rdx", { full: [], clobber: [], except: new Map() }]]);
  insts.forEach((i, n) => {
    const sc = scratchOf(i);
    for (const r of sc.full) {
      const b = scratch.get(r)!;
      b.full.push(n);
      if (sc.except !== undefined) b.except.set(n, sc.except);
    }
    for (const r of sc.clobber) scratch.get(r)!.clobber.push(clobberPos(n));
  });
  const children = linearScan({ set, loops, hints, scaledBase, scratch });
  renameCalleeSaved(insts, children, loops.depth);
  return resolve(fn, set, children);
}

/**
 * rbp and r13 as the base of a scaled-index LEA need a displacement byte: a three-component LEA,
 * markedly slower in loops on current cores. Callee-saved registers are interchangeable (all are
 * saved in the prologue, none has a role at calls), so the function's callee-saved registers are
 * renamed: the ones most used as such bases (weighted by loop depth) become rbx, r12, r14.
 */
function renameCalleeSaved(insts: Inst[], children: Interval[][], depth: Int32Array): void {
  const cost = new Map<string, number>(CALLEE_SAVED.map((r) => [r, 0]));
  insts.forEach((i, n) => {
    if (i.k !== "lea" || i.scale === 1 || i.base?.k !== "v") return;
    const p = usePos(n);
    const c = children[i.base.v]?.find((x) => x.covers(p));
    if (c?.reg && cost.has(c.reg)) cost.set(c.reg, cost.get(c.reg)! + 8 ** Math.min(depth[n]!, 5));
  });
  const order = [...CALLEE_SAVED].sort((a, b) => cost.get(b)! - cost.get(a)!);
  if (order.every((r, k) => r === CALLEE_SAVED[k])) return;
  const rename = new Map(order.map((r, k) => [r, CALLEE_SAVED[k]!]));
  for (const list of children) for (const c of list) if (c.reg && rename.has(c.reg)) c.reg = rename.get(c.reg)!;
}
