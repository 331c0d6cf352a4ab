// Ranges of loop counters on the lowered form (after webs.ts). A counter is an i32 vreg whose
// definitions are all constants or steps of itself (v = v + c, v = v - c); its value at a point
// comes from a forward interval analysis over the blocks, narrowed by the compares with constants
// the branches test (the loop test `j < 96`, signed or unsigned). ranges.ts asks it for the range
// of `i` in `i * 96 + j`, and addrfold.ts for the index of `a[j]`: AssemblyScript counts with
// signed i32, so the unsigned loop tests alone rarely prove an index non-negative.
//
// Values are signed i32s, as intervals (bounds may be ±Infinity while widening; a step that may
// wrap gives any i32). At the head of a loop that steps v, a bound that keeps growing is widened
// to the next constant v is compared with (give or take the step), else to infinity; narrowing
// passes then tighten what they can. A counter that can wrap somewhere, or whose loop bound is a
// variable, comes out negative-or-unbounded there and is not used.

import type { Cond, Inst, LoweredFunc } from "./ir.ts";
import { forEachDef, type Block } from "./liveness.ts";
import type { Range } from "./ranges.ts";

const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const MIN = -(2 ** 31);
const MAX = 2 ** 31 - 1;
/** [lo, hi] over the integers (bounds may be ±Infinity), or null: no value reaches here */
type Iv = [number, number] | null;

export interface Counters {
  /** The range of counter v just before instruction n, when known and non-negative. */
  at(v: number, n: number): Range | null;
}

/** What a definition does to counter v: set it, step it, or anything else (null). */
function effect(i: Inst, v: number): { set: number } | { step: number } | null {
  if (i.k === "mov" && i.t === "i32" && i.src.k === "c") return { set: Number(BigInt.asIntN(32, i.src.bits)) };
  if (i.k !== "num" || !i.b || (i.op !== I32_ADD && i.op !== I32_SUB)) return null;
  const [x, c] = i.a.k === "v" ? [i.a, i.b] : [i.b, i.a];
  if (x.k !== "v" || x.v !== v || c.k !== "c" || (i.op === I32_SUB && x !== i.a)) return null;
  const s = Number(BigInt.asIntN(32, c.bits));
  return { step: i.op === I32_SUB ? -s : s };
}

/** The counters of fn (set up on the first question: most functions never ask). */
export function loopCounters(fn: LoweredFunc, blocks: Block[]): Counters {
  let c: Counters | null = null;
  return { at: (v, n) => (c ??= analyseCounters(fn, blocks)).at(v, n) };
}

function analyseCounters(fn: LoweredFunc, blocks: Block[]): Counters {
  const insts = fn.insts;
  const bad = new Set<number>();
  const defs = new Map<number, number[]>();
  insts.forEach((i, n) =>
    forEachDef(i, (v) => {
      if (bad.has(v)) return;
      if (v < fn.numParams || !effect(i, v)) bad.add(v);
      else if (defs.has(v)) defs.get(v)!.push(n);
      else defs.set(v, [n]);
    }),
  );
  // a stepped counter is worth the analysis only if some branch compares it with a constant
  // (and the constants it is compared with are where widening stops first)
  const tested = new Map<number, number[]>();
  for (const i of insts) {
    if (i.k !== "jcc" || i.cond.t !== "i32") continue;
    const { a, b } = i.cond;
    const [x, k] = a.k === "v" ? [a, b] : [b, a];
    if (x.k === "v" && k.k === "c") tested.set(x.v, [...(tested.get(x.v) ?? []), Number(BigInt.asIntN(32, k.bits))]);
  }
  const blockOf = new Int32Array(insts.length);
  blocks.forEach((b, k) => blockOf.fill(k, b.first, b.last + 1));
  const pred: number[][] = blocks.map(() => []);
  blocks.forEach((b, k) => b.succ.forEach((s) => pred[s]!.push(k)));
  const states = new Map<number, Iv[] | null>();

  /** Block k's entry state for v, carried to just before instruction `to` (defs: v's, in order). */
  const walk = (v: number, k: number, entry: Iv, to: number): Iv => {
    let s = entry;
    for (const n of defs.get(v)!) {
      if (n < blocks[k]!.first) continue;
      if (n >= to) break;
      const e = effect(insts[n]!, v)!;
      if ("set" in e) s = [e.set, e.set];
      // a step that may wrap can give any i32
      else if (s) s = s[0] + e.step >= MIN && s[1] + e.step <= MAX ? [s[0] + e.step, s[1] + e.step] : [MIN, MAX];
    }
    return s;
  };
  /** The state v has on the edge from block k to block s. */
  const out = (v: number, k: number, s: number, entry: Iv[]): Iv => {
    const b = blocks[k]!;
    const st = walk(v, k, entry[k]!, b.last + 1);
    const last = insts[b.last]!;
    if (!st || last.k !== "jcc" || b.succ.length !== 2) return st;
    const target = insts[blocks[s]!.first];
    const taken = target?.k === "label" && target.id === last.target;
    return refine(st, last.cond, v, taken);
  };
  const analyse = (v: number, consts: number[]): Iv[] | null => {
    const entry: Iv[] = blocks.map(() => null);
    const grew = new Int32Array(blocks.length);
    // widening only at the heads of loops that step v (a back edge from block p to k, a step in
    // between): a loop that only carries v around keeps what flows in, which narrowing can lower
    const steps = defs.get(v)!.filter((n) => "step" in effect(insts[n]!, v)!);
    const widens = blocks.map((b, k) => pred[k]!.some((p) => p >= k && steps.some((n) => b.first <= n && n <= blocks[p]!.last)));
    // thresholds: around each compared constant K, before and after each step s
    const th = new Set<number>();
    for (const K of consts) for (const s of [0, ...steps.map((n) => (effect(insts[n]!, v) as { step: number }).step)]) for (const d of [-1, 0, 1]) th.add(K + d + s);
    const ts = [...th].sort((x, y) => x - y);
    const up = (x: number): number => ts.find((t) => t >= x) ?? Infinity;
    const down = (x: number): number => [...ts].reverse().find((t) => t <= x) ?? -Infinity;
    const inflow = (k: number): Iv => pred[k]!.reduce<Iv>((m, p) => join(m, out(v, p, k, entry)), null);
    // ascending passes with widening, then narrowing passes from that post-fixpoint
    for (let pass = 0, changed = true; changed; pass++) {
      if (pass > 50) return null;
      changed = false;
      for (let k = 0; k < blocks.length; k++) {
        const old = entry[k]!;
        let s = join(old, inflow(k));
        if (same(s, old)) continue;
        if (old && s && widens[k] && ++grew[k]! > 2) s = [s[0] < old[0] ? down(s[0]) : s[0], s[1] > old[1] ? up(s[1]) : s[1]];
        entry[k] = s;
        changed = true;
      }
    }
    for (let pass = 0; pass < 3; pass++) for (let k = 0; k < blocks.length; k++) entry[k] = inflow(k);
    return entry;
  };
  return {
    at(v, n) {
      const ds = defs.get(v);
      if (!ds || bad.has(v)) return null;
      let st = states.get(v);
      if (st === undefined) {
        const stepped = ds.some((d) => "step" in effect(insts[d]!, v)!);
        st = stepped && !tested.has(v) ? null : analyse(v, tested.get(v) ?? []);
        states.set(v, st);
      }
      if (!st) return null;
      const s = walk(v, blockOf[n]!, st[blockOf[n]!]!, n);
      return s && s[0] >= 0 && s[1] <= MAX ? [BigInt(s[0]), BigInt(s[1])] : null;
    },
  };
}

function join(a: Iv, b: Iv): Iv {
  if (!a) return b;
  if (!b) return a;
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

function same(a: Iv, b: Iv): boolean {
  return a === b || (!!a && !!b && a[0] === b[0] && a[1] === b[1]);
}

const SWAP: Record<string, string> = { lt_s: "gt_s", le_s: "ge_s", gt_s: "lt_s", ge_s: "le_s", lt_u: "gt_u", le_u: "ge_u", gt_u: "lt_u", ge_u: "le_u" };
const NOT: Record<string, string> = { eq: "ne", ne: "eq", lt_s: "ge_s", ge_s: "lt_s", gt_s: "le_s", le_s: "gt_s", lt_u: "ge_u", ge_u: "lt_u", gt_u: "le_u", le_u: "gt_u" };

/** s narrowed by what holds on this edge of a branch on c, if c compares v with a constant. */
function refine(s: [number, number], c: Cond, v: number, taken: boolean): Iv {
  if (c.t !== "i32") return s;
  let cc = c.cc;
  let k = c.b;
  if (c.a.k === "c" && c.b.k === "v" && c.b.v === v) {
    cc = SWAP[cc] ?? cc;
    k = c.a;
  } else if (c.a.k !== "v" || c.a.v !== v) return s;
  if (k.k !== "c" || !(cc in NOT)) return s;
  if (taken === c.neg) cc = NOT[cc]!;
  const K = Number(BigInt.asIntN(32, k.bits));
  const U = Number(BigInt.asUintN(32, k.bits));
  let [lo, hi] = s;
  switch (cc) {
    case "eq": [lo, hi] = [Math.max(lo, K), Math.min(hi, K)]; break;
    case "ne": if (lo === K) lo++; if (hi === K) hi--; break;
    case "lt_s": hi = Math.min(hi, K - 1); break;
    case "le_s": hi = Math.min(hi, K); break;
    case "gt_s": lo = Math.max(lo, K + 1); break;
    case "ge_s": lo = Math.max(lo, K); break;
    // unsigned: v <u U with U <= 2^31 means 0 <= v < U; v >u U, for v known non-negative, v > U
    case "lt_u": if (U <= 2 ** 31) [lo, hi] = [Math.max(lo, 0), Math.min(hi, U - 1)]; break;
    case "le_u": if (U < 2 ** 31) [lo, hi] = [Math.max(lo, 0), Math.min(hi, U)]; break;
    case "gt_u": if (lo >= 0 && U < 2 ** 31) lo = Math.max(lo, U + 1); break;
    case "ge_u": if (lo >= 0 && U < 2 ** 31) lo = Math.max(lo, U); break;
  }
  return lo <= hi ? [lo, hi] : null;
}
