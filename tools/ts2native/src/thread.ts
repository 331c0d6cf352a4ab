// Jump threading through known constants, on the lowered form (before jumps.ts).
//
// Inlined code returns status codes and flags through block results: `mov v, 3; jmp L` and
// `L: jcc (v == 0) X` (or `L: mov w, v; jcc (w != 0) X`). When a branch to L knows the value the
// test at L reads (a constant moved into it earlier in the same block), the outcome is known, and
// the branch goes straight to the test's target, or past the test. The copies between L and the
// test still happen on the new path: a `jmp` takes copies of them along; a conditional branch is
// threaded only when nothing reads their destinations after the new target. A block that falls
// into L with a known outcome gets a `jmp` to where the test would go. No new branch enters a
// loop other than at its head by falling in (loop-invariant code motion relies on that).
// Movs left without a reader are removed later (dce.ts).

import type { Cond, Inst, LoweredFunc, Opnd } from "./ir.ts";
import { blockLiveness, forEachDef, type Bits } from "./liveness.ts";
import { findLoops } from "./loops.ts";

/** Copies allowed between a label and its test. */
const MAX_PREFIX = 4;
/** Successive tests one branch may be threaded through. */
const MAX_HOPS = 4;

type Known = Map<number, bigint>;

/** The outcome of an integer condition on constants, or null when it cannot be decided. */
export function evalCond(c: Cond, a: bigint, b: bigint): boolean | null {
  if (c.t !== "i32" && c.t !== "i64") return null;
  const w = c.t === "i32" ? 32 : 64;
  const ua = BigInt.asUintN(w, a);
  const ub = BigInt.asUintN(w, b);
  const sa = BigInt.asIntN(w, a);
  const sb = BigInt.asIntN(w, b);
  let r: boolean;
  switch (c.cc) {
    case "eq": r = ua === ub; break;
    case "ne": r = ua !== ub; break;
    case "lt_s": r = sa < sb; break;
    case "lt_u": r = ua < ub; break;
    case "gt_s": r = sa > sb; break;
    case "gt_u": r = ua > ub; break;
    case "le_s": r = sa <= sb; break;
    case "le_u": r = ua <= ub; break;
    case "ge_s": r = sa >= sb; break;
    case "ge_u": r = ua >= ub; break;
    case "test": r = (ua & ub) !== 0n; break;
    default: return null;
  }
  return r !== c.neg;
}

function valueOf(o: Opnd, known: Known): bigint | undefined {
  return o.k === "c" ? o.bits : known.get(o.v);
}

export function threadJumps(fn: LoweredFunc): void {
  const insts = fn.insts;
  /** where each label's code starts (labels made here: the instruction after a test) */
  const labelAt = new Map<number, number>();
  insts.forEach((i, n) => {
    if (i.k === "label") labelAt.set(i.id, n);
  });
  // a loop is entered only by falling into its head (licm.ts and jumps.ts rely on it): no new
  // branch from outside a loop may land inside it
  const { loops } = findLoops(insts, fn.numLabels);
  const enters = (from: number, label: number): boolean => {
    const to = labelAt.get(label)!;
    return loops.some((l) => to >= l.head && to <= l.end && (from < l.head || from > l.end));
  };
  // liveness only when a conditional branch would skip copies (rare): computed on first need
  let liveAt: Map<number, Bits> | null = null;
  const liveIn = (n: number): Bits | undefined => {
    if (!liveAt) {
      liveAt = new Map();
      for (const b of blockLiveness(fn)) liveAt.set(b.first, b.liveIn);
    }
    return liveAt.get(n);
  };
  /** labels to insert after instruction n (the fall-through of a test) */
  const after = new Map<number, number>();
  const labelAfter = (n: number): number => {
    const next = insts[n + 1];
    if (next && next.k === "label") return next.id;
    let id = after.get(n);
    if (id === undefined) {
      id = fn.numLabels++;
      after.set(n, id);
      labelAt.set(id, n + 1);
    }
    return id;
  };

  /** Where a branch to `label` with constants `known` ends up, and the copies it skips; null: unknown. */
  const resolve = (label: number, known: Known): { target: number; copies: (Inst & { k: "mov" })[] } | null => {
    let target = label;
    const copies: (Inst & { k: "mov" })[] = [];
    let k = known;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      let n = labelAt.get(target);
      if (n === undefined) break;
      while (insts[n]?.k === "label") n++;
      const prefix: (Inst & { k: "mov" })[] = [];
      const k2 = new Map(k);
      for (let m = insts[n]; prefix.length < MAX_PREFIX && m?.k === "mov"; m = insts[++n]) {
        const v = valueOf(m.src, k2);
        if (v === undefined || (m.t !== "i32" && m.t !== "i64")) break;
        k2.set(m.dst, v);
        prefix.push(m);
      }
      const t = insts[n];
      if (!t || t.k !== "jcc") break;
      const a = valueOf(t.cond.a, k2);
      const b = valueOf(t.cond.b, k2);
      const taken = a === undefined || b === undefined ? null : evalCond(t.cond, a, b);
      if (taken === null) break;
      target = taken ? t.target : labelAfter(n);
      copies.push(...prefix);
      k = k2;
    }
    return target === label ? null : { target, copies };
  };

  const before = new Map<number, Inst[]>();
  const fall = new Map<number, Inst[]>();
  let known: Known = new Map();
  insts.forEach((i, n) => {
    if (i.k === "label") {
      known = new Map();
      return;
    }
    if (i.k === "jmp") {
      const r = resolve(i.target, known);
      if (r && !enters(n, r.target)) {
        if (r.copies.length) before.set(n, r.copies.map((c) => ({ ...c })));
        i.target = r.target;
      }
    } else if (i.k === "jcc") {
      const r = resolve(i.target, known);
      if (r && !enters(n, r.target)) {
        const live = r.copies.length ? liveIn(labelAt.get(r.target)!) : undefined;
        if (r.copies.length === 0 || (live && r.copies.every((c) => !live.has(c.dst)))) i.target = r.target;
      }
    }
    forEachDef(i, (v) => known.delete(v));
    if (i.k === "mov" && (i.t === "i32" || i.t === "i64")) {
      const v = valueOf(i.src, known);
      if (v !== undefined) known.set(i.dst, v);
    }
    // a block falling into a label whose test is decided: jump where the test would go
    const next = insts[n + 1];
    if (next?.k === "label" && !["jmp", "jcc", "ret", "trap", "brtable"].includes(i.k) && known.size) {
      const r = resolve(next.id, known);
      if (r && !enters(n, r.target) && !enters(n, next.id)) fall.set(n, [...r.copies.map((c) => ({ ...c })), { k: "jmp", target: r.target }]);
    }
  });
  if (before.size === 0 && after.size === 0 && fall.size === 0) return;
  const out: Inst[] = [];
  insts.forEach((i, n) => {
    out.push(...(before.get(n) ?? []), i, ...(fall.get(n) ?? []));
    const id = after.get(n);
    if (id !== undefined) out.push({ k: "label", id });
  });
  fn.insts = out;
}
