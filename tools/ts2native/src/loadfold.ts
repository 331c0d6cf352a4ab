// Loads folded into the instruction that reads their value, on the lowered form right before
// allocation (after memfold.ts's read-modify-writes, which take whole load-op-store triples first):
// `v = load A; jcc (v == 0)` → `cmp dword [A], 0`; `w = x + load A` → `add x, [A]`. The value
// needs no register and the load no instruction of its own: the VMM's exit handlers test and
// compare fields of their structures (`if (this.pending)`, `exit.reason == r`) all the time.
//
// A folded load executes where its reader is, so the same conditions as memfold.ts's apply: the
// value read once (there), nothing in between that writes memory or traps otherwise than a load,
// the address not redefined. Forms:
// - ALU sources (add/sub/mul/and/or/xor): the load must read the operation's full width (i32.load
//   for i32, i64.load for i64); commutative operations take it from either side.
// - Compares (jcc/setcc/select, integer): a full-width load against anything; a zero-extending
//   narrow load (i32.load8_u, i64.load32_u, ...) against a constant that fits the access
//   (`cmp byte [A], 3`: the upper bits are zero on both sides), signed predicates becoming
//   unsigned ones (both sides are non-negative); TEST against any constant (its upper bits meet
//   zeros). The folded load goes on the left (`cmp [A], x`): the predicate is swapped if it was
//   on the right.

import type { Cond, Inst, LoweredFunc, MemRef, Opnd } from "./ir.ts";
import { buildBlocks } from "./liveness.ts";
import { clear, counts, defBefore, sameOpnd, single } from "./memfold.ts";
import { MEM_OPS, NUM_OPS } from "./opcodes.ts";

const ALU = /^i(32|64)\.(add|sub|mul|and|or|xor)$/;
const COMMUTATIVE = /\.(add|mul|and|or|xor)$/;
const FULL: Record<string, number> = { i32: 0x28, i64: 0x29 };
const SWAP: Record<string, string> = {
  eq: "eq", ne: "ne", test: "test", lt_s: "gt_s", lt_u: "gt_u", gt_s: "lt_s", gt_u: "lt_u", le_s: "ge_s", le_u: "ge_u", ge_s: "le_s", ge_u: "le_u",
};
const UNSIGNED: Record<string, string> = { eq: "eq", ne: "ne", lt_u: "lt_u", gt_u: "gt_u", le_u: "le_u", ge_u: "ge_u", lt_s: "lt_u", gt_s: "gt_u", le_s: "le_u", ge_s: "ge_u" };

export function foldLoadOperands(fn: LoweredFunc): void {
  if (!fn.insts.some((i) => i.k === "load")) return;
  const c = counts(fn);
  const insts = fn.insts;
  const gone = new Set<number>();
  for (const b of buildBlocks(insts, fn.numLabels)) {
    for (let n = b.first; n <= b.last; n++) {
      const i = insts[n]!;
      /** the index of the load of o's value, if it can move to n; -1 if none */
      const find = (o: Opnd): number => {
        if (o.k !== "v" || !single(c, fn, o.v)) return -1;
        const l = defBefore(insts, b.first, n, o.v);
        const ld = l < 0 || gone.has(l) ? null : insts[l]!;
        return ld && ld.k === "load" && clear(insts, l, -1, n, ld.addr, null) ? l : -1;
      };
      const loadAt = (l: number): Load => insts[l] as Load;
      let r: Inst | null = null;
      let l = -1;
      if (i.k === "num") [r, l] = foldSource(i, find, loadAt);
      else if ((i.k === "jcc" || i.k === "setcc" || i.k === "select") && (i.cond.t === "i32" || i.cond.t === "i64") && !i.cond.mem) {
        const [cond, at] = foldCompare(i.cond, find, loadAt);
        if (cond) [r, l] = [{ ...i, cond }, at];
      }
      if (r) {
        insts[n] = r;
        gone.add(l);
      }
    }
  }
  if (gone.size) fn.insts = insts.filter((_, n) => !gone.has(n));
}

type Load = Inst & { k: "load" };
type Find = (o: Opnd) => number;

const memRef = (ld: Load): MemRef => ({ op: ld.op, offset: ld.offset, ...(ld.scale !== undefined ? { scale: ld.scale } : {}) });

/** `a op load` → `a op [A]` (b holds the address), with the load's index. */
function foldSource(i: Inst & { k: "num" }, find: Find, loadAt: (l: number) => Load): [Inst | null, number] {
  if (!i.b || i.narrow || i.mem || sameOpnd(i.a, i.b)) return [null, -1];
  const info = NUM_OPS.get(i.op)!;
  if (!ALU.test(info.name)) return [null, -1];
  // only a load of the operation's full width is a memory operand of it
  const full = (o: Opnd): number => {
    const l = find(o);
    return l >= 0 && loadAt(l).op === FULL[info.result] ? l : -1;
  };
  let l = full(i.b);
  if (l >= 0) return [{ ...i, b: loadAt(l).addr, mem: memRef(loadAt(l)) }, l];
  if (!COMMUTATIVE.test(info.name) || (l = full(i.a)) < 0) return [null, -1];
  return [{ ...i, a: i.b, b: loadAt(l).addr, mem: memRef(loadAt(l)) }, l];
}

/** The compare with a load on the left as memory (`a` holds the address), with the load's index. */
function foldCompare(c: Cond, find: Find, loadAt: (l: number) => Load): [Cond | null, number] {
  for (const [v, other, cc] of [[c.a, c.b, c.cc], [c.b, c.a, SWAP[c.cc]]] as const) {
    if (cc === undefined || sameOpnd(v, other)) continue;
    const l = find(v);
    if (l < 0) continue;
    const ld = loadAt(l);
    const to = compareForm(c.t, ld.op, cc, other);
    if (to !== null) return [{ ...c, a: ld.addr, b: other, cc: to, mem: memRef(ld) }, l];
  }
  return [null, -1];
}

/** The predicate comparing load `op`'s bytes with `other` as a `t` compare did, or null. */
function compareForm(t: string, op: number, cc: string, other: Opnd): string | null {
  const m = MEM_OPS.get(op)!;
  if (m.type !== t) return null;
  if (op === FULL[t]) return cc;
  if (m.signed || other.k !== "c") return null;
  if (cc === "test") return cc;
  const w = t === "i32" ? 32 : 64;
  const bits = BigInt(8 * m.bytes);
  const u = BigInt.asUintN(w, other.bits);
  if (u >= 1n << bits) return null;
  // signed: the constant is non-negative (below 2^bits <= 2^32: an i32's 8 or 16 bits, an
  // i64's 8, 16 or 32), and so is the loaded value, zero-extended: the unsigned predicate agrees
  return UNSIGNED[cc] ?? null;
}
