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
import { clear, counts, defIn, foldReadModifyWrite, opsNamed, sameOpnd, single, type Counts } from "./memfold.ts";
import { MEM_OPS, NUM_OPS } from "./opcodes.ts";

const ALU = opsNamed(/^i(32|64)\.(add|sub|mul|and|or|xor)$/);
const COMMUTATIVE = opsNamed(/^i(32|64)\.(add|mul|and|or|xor)$/);
const FULL: Record<string, number> = { i32: 0x28, i64: 0x29 };
const SWAP: Record<string, string> = {
  eq: "eq", ne: "ne", test: "test", lt_s: "gt_s", lt_u: "gt_u", gt_s: "lt_s", gt_u: "lt_u", le_s: "ge_s", le_u: "ge_u", ge_s: "le_s", ge_u: "le_u",
};
const UNSIGNED: Record<string, string> = { eq: "eq", ne: "ne", lt_u: "lt_u", gt_u: "gt_u", le_u: "le_u", ge_u: "ge_u", lt_s: "lt_u", gt_s: "gt_u", le_s: "le_u", ge_s: "ge_u" };

/** Read-modify-writes (memfold.ts), then loads as operands; one count of defs and uses for both. */
export function foldMemoryOperands(fn: LoweredFunc): void {
  let loads = false;
  let stores = false;
  for (const i of fn.insts) {
    if (i.k === "load") loads = true;
    else if (i.k === "store") stores = true;
  }
  if (!loads) return;
  const c = counts(fn);
  const gone = new Set<number>();
  if (stores) foldReadModifyWrite(fn, c, gone);
  foldLoadOperands(fn, c, gone);
  if (gone.size) fn.insts = fn.insts.filter((_, n) => !gone.has(n));
}

/** `gone`: instructions already folded away (marked, not yet removed: indices stay). */
function foldLoadOperands(fn: LoweredFunc, c: Counts, gone: Set<number>): void {
  const insts = fn.insts;
  /** the index of the load of o's value, if it can move to n; -1 if none */
  const find = (o: Opnd, n: number): number => {
    if (o.k !== "v" || !single(c, fn, o.v)) return -1;
    const l = defIn(c, o.v, 0, n);
    const ld = l < 0 || gone.has(l) ? null : insts[l]!;
    return ld && ld.k === "load" && clear(insts, l, -1, n, ld.addr, null) ? l : -1;
  };
  const loadAt = (l: number): Load => insts[l] as Load;
  for (let n = 0; n < insts.length; n++) {
    const i = insts[n]!;
    let r: Inst | null = null;
    let l = -1;
    if (i.k === "num") {
      if (i.b && ALU.has(i.op) && !gone.has(n)) [r, l] = foldSource(i, (o) => find(o, n), loadAt);
    } else if ((i.k === "jcc" || i.k === "setcc" || i.k === "select") && (i.cond.t === "i32" || i.cond.t === "i64") && !i.cond.mem) {
      const [cond, at] = foldCompare(i.cond, (o) => find(o, n), loadAt);
      if (cond) [r, l] = [{ ...i, cond }, at];
    }
    if (r) {
      insts[n] = r;
      gone.add(l);
    }
  }
}

type Load = Inst & { k: "load" };
type Find = (o: Opnd) => number;

const memRef = (ld: Load): MemRef => ({ op: ld.op, offset: ld.offset, ...(ld.scale !== undefined ? { scale: ld.scale } : {}) });

/** `a op load` → `a op [A]` (b holds the address), with the load's index. */
function foldSource(i: Inst & { k: "num" }, find: Find, loadAt: (l: number) => Load): [Inst | null, number] {
  if (!i.b || i.narrow || i.mem || sameOpnd(i.a, i.b)) return [null, -1];
  const info = NUM_OPS.get(i.op)!;
  // only a load of the operation's full width is a memory operand of it
  const full = (o: Opnd): number => {
    const l = find(o);
    return l >= 0 && loadAt(l).op === FULL[info.result] ? l : -1;
  };
  let l = full(i.b);
  if (l >= 0) return [{ ...i, b: loadAt(l).addr, mem: memRef(loadAt(l)) }, l];
  if (!COMMUTATIVE.has(i.op) || (l = full(i.a)) < 0) return [null, -1];
  return [{ ...i, a: i.b, b: loadAt(l).addr, mem: memRef(loadAt(l)) }, l];
}

/** The compare with a load on the left as memory (`a` holds the address), with the load's index. */
function foldCompare(c: Cond, find: Find, loadAt: (l: number) => Load): [Cond | null, number] {
  return side(c, c.a, c.b, c.cc, find, loadAt) ?? side(c, c.b, c.a, SWAP[c.cc], find, loadAt) ?? [null, -1];
}

/** c with v (a load) compared as `v cc other`, or null. */
function side(c: Cond, v: Opnd, other: Opnd, cc: string | undefined, find: Find, loadAt: (l: number) => Load): [Cond, number] | null {
  if (cc === undefined || v.k !== "v" || sameOpnd(v, other)) return null;
  const l = find(v);
  if (l < 0) return null;
  const ld = loadAt(l);
  const to = compareForm(c.t, ld.op, cc, other);
  return to === null ? null : [{ ...c, a: ld.addr, b: other, cc: to, mem: memRef(ld) }, l];
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
