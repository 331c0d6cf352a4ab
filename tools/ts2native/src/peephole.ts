// Peephole rewrites on the lowered form (after splitLocalValues: temporaries have one definition).
// - Rotates written as shifts: (x << c) | (x >>> (w - c)) — also with ^ or +, as the two shifted
//   parts have no bit in common — is rotl(x, c): one ROL instead of two copies, two shifts and an
//   OR. asc and binaryen leave the pattern as written; the source is often a hand-written rotr.

import { cst, type Inst, type LoweredFunc, type Opnd } from "./ir.ts";
import { forEachDef, forEachUse } from "./liveness.ts";

// opcodes (Core Specification §5.4.7): i32.shl 0x74, i32.shr_u 0x76, i32.rotl 0x77, i64 +0x12
const I32 = { add: 0x6a, or: 0x72, xor: 0x73, shl: 0x74, shrU: 0x76, rotl: 0x77 };
const I64 = { add: 0x7c, or: 0x84, xor: 0x85, shl: 0x86, shrU: 0x88, rotl: 0x89 };

export function peephole(fn: LoweredFunc): void {
  const insts = fn.insts;
  const defAt = new Map<number, number>();
  const defCount = new Map<number, number>();
  const useCount = new Map<number, number>();
  insts.forEach((i, n) => {
    forEachDef(i, (v) => {
      defAt.set(v, n);
      defCount.set(v, (defCount.get(v) ?? 0) + 1);
    });
    forEachUse(i, (v) => useCount.set(v, (useCount.get(v) ?? 0) + 1));
  });
  const removed = new Set<number>();
  /** The shift defining vreg operand o (its only definition, read only here), or null. */
  const shiftOf = (o: Opnd, n: number): (Inst & { k: "num" }) | null => {
    if (o.k !== "v" || defCount.get(o.v) !== 1 || useCount.get(o.v) !== 1) return null;
    const at = defAt.get(o.v)!;
    const i = insts[at]!;
    return at < n && i.k === "num" && i.b?.k === "c" && i.a.k === "v" ? i : null;
  };
  /** Whether vreg x is written by no instruction in (from, to). */
  const unchanged = (x: number, from: number, to: number): boolean => {
    for (let k = from + 1; k < to; k++) {
      let hit = false;
      forEachDef(insts[k]!, (v) => (hit ||= v === x));
      if (hit) return false;
    }
    return true;
  };
  insts.forEach((i, n) => {
    if (i.k !== "num" || !i.b) return;
    const ops = i.op === I32.or || i.op === I32.xor || i.op === I32.add ? I32 : i.op === I64.or || i.op === I64.xor || i.op === I64.add ? I64 : null;
    if (!ops) return;
    const w = ops === I32 ? 32n : 64n;
    const sa = shiftOf(i.a, n);
    const sb = shiftOf(i.b, n);
    if (!sa || !sb) return;
    const [l, r] = sa.op === ops.shrU && sb.op === ops.shl ? [sb, sa] : [sa, sb];
    if (l.op !== ops.shl || r.op !== ops.shrU || l.a.k !== "v" || r.a.k !== "v" || l.a.v !== r.a.v) return;
    const c1 = (l.b as { bits: bigint }).bits & (w - 1n);
    const c2 = (r.b as { bits: bigint }).bits & (w - 1n);
    if (c1 === 0n || c1 + c2 !== w) return;
    const x = l.a.v;
    const first = Math.min(defAt.get((i.a as { v: number }).v)!, defAt.get((i.b as { v: number }).v)!);
    if (!unchanged(x, first, n)) return;
    removed.add(defAt.get((i.a as { v: number }).v)!);
    removed.add(defAt.get((i.b as { v: number }).v)!);
    insts[n] = { k: "num", op: ops.rotl, dst: i.dst, a: { k: "v", v: x }, b: cst(c1) };
  });
  if (removed.size) fn.insts = insts.filter((_, n) => !removed.has(n));
}
