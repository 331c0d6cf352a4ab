// Splitting of block-local values into vregs of their own, and the allocator's weights.
//
// The lowering names every operand-stack depth with one vreg for the whole function, and asc /
// binaryen reuse locals for unrelated values; one interval per vreg (regalloc.ts) would then
// span most of the function. A value whose definition and every use lie in one basic block
// (another definition follows in the block, or the vreg is not live out of it) cannot be seen
// elsewhere, so it gets a fresh vreg: its interval covers just those instructions.
//
// Weights (the spill priority) are recomputed afterwards: each occurrence counts 8^depth, where
// depth is the number of loops around it, a loop being the span from a label back to the last
// branch that jumps backward to it.

import type { Cond, Inst, LoweredFunc, Opnd } from "./ir.ts";
import { blockLiveness, forEachDef, forEachUse } from "./liveness.ts";

type Ren = (v: number) => number;

function mapOpnd(o: Opnd, f: Ren): Opnd {
  return o.k === "v" ? { k: "v", v: f(o.v) } : o;
}
function mapCond(c: Cond, f: Ren): Cond {
  return { ...c, a: mapOpnd(c.a, f), b: mapOpnd(c.b, f) };
}

/** A copy of the instruction with its operands (uses) renamed. */
export function mapUses(i: Inst, f: Ren): Inst {
  const o = (x: Opnd): Opnd => mapOpnd(x, f);
  const on = (x: Opnd | null): Opnd | null => (x ? mapOpnd(x, f) : null);
  switch (i.k) {
    case "jcc": return { ...i, cond: mapCond(i.cond, f) };
    case "brtable": return { ...i, idx: o(i.idx) };
    case "mov": return { ...i, src: o(i.src) };
    case "num": return { ...i, a: o(i.a), b: on(i.b) };
    case "setcc": return { ...i, cond: mapCond(i.cond, f) };
    case "lea": return { ...i, base: on(i.base), index: o(i.index) };
    case "select": return { ...i, a: o(i.a), b: o(i.b), cond: mapCond(i.cond, f) };
    case "load": return { ...i, addr: o(i.addr) };
    case "store": return { ...i, addr: o(i.addr), val: o(i.val) };
    case "gset": return { ...i, src: o(i.src) };
    case "call": {
      const callee = i.callee.k === "indirect" ? { ...i.callee, idx: o(i.callee.idx) } : i.callee;
      return { ...i, callee, args: i.args.map(o) };
    }
    case "ret": return { ...i, vals: i.vals.map(o) };
    case "memgrow": return { ...i, a: o(i.a) };
    case "memcopy": return { ...i, d: o(i.d), s: o(i.s), n: o(i.n) };
    case "memfill": return { ...i, d: o(i.d), v: o(i.v), n: o(i.n) };
    case "meminit": case "tableinit": case "tablecopy": return { ...i, d: o(i.d), s: o(i.s), n: o(i.n) };
    case "atomic": return { ...i, addr: o(i.addr), a: on(i.a), b: on(i.b) };
    default: return i;
  }
}

/** Renames the destinations of an instruction (a fresh copy already made by mapUses). */
function renameDefs(i: Inst, f: Ren): void {
  switch (i.k) {
    case "mov": case "num": case "setcc": case "lea": case "select": case "load": case "gget": case "memsize": case "memgrow":
      i.dst = f(i.dst);
      break;
    case "atomic": if (i.dst !== null) i.dst = f(i.dst); break;
    case "call": i.results = i.results.map(f); break;
    default: break;
  }
}

export function splitLocalValues(fn: LoweredFunc): void {
  const blocks = blockLiveness(fn);
  const insts = fn.insts.slice();
  for (const b of blocks) {
    // the last definition of each vreg in the block: an earlier one is redefined later
    const lastDef = new Map<number, number>();
    for (let n = b.first; n <= b.last; n++) forEachDef(insts[n]!, (v) => lastDef.set(v, n));
    const cur = new Map<number, number>();
    const name = (v: number): number => cur.get(v) ?? v;
    for (let n = b.first; n <= b.last; n++) {
      const i = mapUses(insts[n]!, name);
      const defs: number[] = [];
      forEachDef(i, (v) => defs.push(v));
      const fresh = new Map<number, number>();
      for (const v of defs) {
        // redefined later in the block, or dead at its end: this value cannot leave the block
        if (lastDef.get(v)! > n || !b.liveOut.has(v)) {
          const w = fn.vregs.length;
          fn.vregs.push({ cls: fn.vregs[v]!.cls, weight: 0 });
          fresh.set(v, w);
          cur.set(v, w);
        } else cur.delete(v);
      }
      if (fresh.size) renameDefs(i, (v) => fresh.get(v) ?? v);
      insts[n] = i;
    }
  }
  fn.insts = insts;
  recomputeWeights(fn);
}

/** Weights: 8^(loop depth, at most 5) per occurrence (see the header). */
export function recomputeWeights(fn: LoweredFunc): void {
  const at = new Array<number>(fn.numLabels).fill(-1);
  fn.insts.forEach((i, n) => {
    if (i.k === "label") at[i.id] = n;
  });
  const loopEnd = new Map<number, number>();
  const back = (n: number, target: number): void => {
    const h = at[target]!;
    if (h >= 0 && h <= n) loopEnd.set(h, Math.max(loopEnd.get(h) ?? 0, n));
  };
  fn.insts.forEach((i, n) => {
    if (i.k === "jmp" || i.k === "jcc") back(n, i.target);
    else if (i.k === "brtable") i.targets.forEach((t) => back(n, t));
  });
  const delta = new Array<number>(fn.insts.length + 1).fill(0);
  for (const [h, e] of loopEnd) {
    delta[h]!++;
    delta[e + 1]!--;
  }
  for (const v of fn.vregs) v.weight = 0;
  let depth = 0;
  fn.insts.forEach((i, n) => {
    depth += delta[n]!;
    const w = 8 ** Math.min(depth, 5);
    const add = (v: number): void => {
      fn.vregs[v]!.weight += w;
    };
    forEachUse(i, add);
    forEachDef(i, add);
  });
}
