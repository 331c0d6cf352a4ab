// Combining of conditions and of widths on the lowered form (after peephole.ts, webs.ts: temporaries
// have one definition).
// - Two equality tests of one value against constants joined by AND / OR are one test of
//   membership in {c1, c2}: (x - c) <u 2 when the constants are c and c+1, (x | b) == (c1 | b)
//   when they differ in the single bit b. `x != c1 && x != c2` is its negation (branch-free: the
//   lowering computes both 0/1 values and ANDs them), `x == c1 || x == c2` is it.
// - A 0/1 value from a comparison read only by a branch (or by the TEST of a branch) on it: the
//   branch tests the comparison itself; a branch on the AND / OR of two such values: two branches.
// - i32.wrap_i64 of a single-use i64 add/sub/mul/and/or/xor/shl (by < 32) or LEA: the operation in 32 bits
//   (the low 32 bits of the result depend only on the low 32 bits of the operands), which also
//   saves the zero-extension.
// - `(a ^ b) & 0xff` with a < 256: a byte XOR (narrowBytes).

import { cst, type Cond, type Inst, type LoweredFunc, type Opnd } from "./ir.ts";
import { forEachDef, forEachUse } from "./liveness.ts";
import { valueRanges } from "./ranges.ts";

const WRAP = 0xa7;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
// i64 add sub mul and or xor shl -> the i32 ones (Core Specification §5.4.7)
const NARROW = new Map<number, number>([[0x7c, 0x6a], [0x7d, 0x6b], [0x7e, 0x6c], [0x83, 0x71], [0x84, 0x72], [0x85, 0x73], [0x86, 0x74]]);
const ADD = { i32: 0x6a, i64: 0x7c } as const;
const OR = { i32: 0x72, i64: 0x84 } as const;

const ENDS_BLOCK = new Set<Inst["k"]>(["label", "jmp", "jcc", "brtable", "ret", "trap"]);

/** Per vreg: its (last) defining instruction, how many definitions and uses it has. */
interface Uses {
  defAt: Int32Array;
  defs: Int32Array;
  uses: Int32Array;
}

function count(fn: LoweredFunc): Uses {
  // room for the vregs the transformations add while a table is in use (never looked up)
  const size = fn.vregs.length + 1;
  const u: Uses = { defAt: new Int32Array(size), defs: new Int32Array(size), uses: new Int32Array(size) };
  let n = 0;
  const onDef = (v: number): void => {
    u.defAt[v] = n;
    u.defs[v]!++;
  };
  const onUse = (v: number): void => void u.uses[v]!++;
  for (; n < fn.insts.length; n++) {
    forEachDef(fn.insts[n]!, onDef);
    forEachUse(fn.insts[n]!, onUse);
  }
  return u;
}

/** Whether instructions (from, to) neither end a block nor write any of `vs`. */
function straight(insts: Inst[], from: number, to: number, vs: number[]): boolean {
  for (let k = from + 1; k < to; k++) {
    const i = insts[k]!;
    if (ENDS_BLOCK.has(i.k)) return false;
    let hit = false;
    forEachDef(i, (v) => (hit ||= vs.includes(v)));
    if (hit) return false;
  }
  return true;
}

const vregsOf = (...os: (Opnd | null)[]): number[] => os.flatMap((o) => (o && o.k === "v" ? [o.v] : []));

/** The single-use definition of operand o before n in the same block, if its operands still hold at n. */
function defBefore(insts: Inst[], u: Uses, o: Opnd, n: number): { at: number; i: Inst } | null {
  if (o.k !== "v" || o.v >= u.defs.length || u.defs[o.v] !== 1 || u.uses[o.v] !== 1) return null;
  const at = u.defAt[o.v]!;
  if (at >= n) return null;
  const i = insts[at]!;
  const reads: number[] = [];
  forEachUse(i, (v) => reads.push(v));
  return straight(insts, at, n, [...reads, o.v]) ? { at, i } : null;
}

/** x == c / x != c as (x, c, equal), or null. */
function equality(c: Cond): { x: number; k: bigint; eq: boolean } | null {
  if ((c.t !== "i32" && c.t !== "i64") || (c.cc !== "eq" && c.cc !== "ne")) return null;
  const eq = (c.cc === "eq") !== c.neg;
  if (c.a.k === "v" && c.b.k === "c") return { x: c.a.v, k: c.b.bits, eq };
  if (c.b.k === "v" && c.a.k === "c") return { x: c.b.v, k: c.a.bits, eq };
  return null;
}

/** x ∈ {c1, c2} as one instruction and a condition, or null. */
function membership(fn: LoweredFunc, c1: Cond, c2: Cond): { pre: Inst; cond: Cond } | null {
  const e1 = equality(c1);
  const e2 = equality(c2);
  if (!e1 || !e2 || e1.x !== e2.x || c1.t !== c2.t) return null;
  const t = c1.t as "i32" | "i64";
  const w = t === "i32" ? 32 : 64;
  const a = BigInt.asUintN(w, e1.k);
  const b = BigInt.asUintN(w, e2.k);
  const tmp = fn.vregs.length;
  const x = { k: "v", v: e1.x } as const;
  const d = BigInt.asUintN(w, a - b);
  if (d === 1n || d === BigInt.asUintN(w, -1n)) {
    const lo = d === 1n ? b : a;
    fn.vregs.push({ cls: "int" });
    return { pre: { k: "num", op: ADD[t], dst: tmp, a: x, b: cst(BigInt.asUintN(w, -lo)) }, cond: { t, cc: "lt_u", a: { k: "v", v: tmp }, b: cst(2n), neg: false } };
  }
  const bit = a ^ b;
  if (bit !== 0n && (bit & (bit - 1n)) === 0n) {
    fn.vregs.push({ cls: "int" });
    return { pre: { k: "num", op: OR[t], dst: tmp, a: x, b: cst(bit) }, cond: { t, cc: "eq", a: { k: "v", v: tmp }, b: cst(a | bit), neg: false } };
  }
  return null;
}

export function combine(fn: LoweredFunc): void {
  narrow(fn);
  joinEqualities(fn);
  splitLogicalBranches(fn);
  fuseBranches(fn);
  narrowBytes(fn);
}

/**
 * A branch on `c1 & c2` or `c1 | c2` of two 0/1 comparison results (binaryen turns `a && b` of
 * cheap operands into an AND of both) becomes two branches on the comparisons, as the source's
 * short-circuit was: `jcc !c1 skip; jcc c2 T; skip:`, or `jcc c1 T; jcc c2 T`. Two compare-and-
 * branch pairs instead of SETcc, MOVZX, SETcc, MOVZX, AND and a branch; the first test is often
 * the predictable one (pagewalk's `l <= 3 && (e & PS) != 0`: 5% faster than the AND).
 */
function splitLogicalBranches(fn: LoweredFunc): void {
  const insts = fn.insts;
  const u = count(fn);
  const removed = new Set<number>();
  const replace = new Map<number, Inst[]>();
  insts.forEach((i, n) => {
    if (i.k !== "jcc" || i.cond.t !== "i32") return;
    const c = i.cond;
    // the two 0/1 values and whether they are ANDed; `taken` is the jcc's outcome on a nonzero result
    let pair: [Opnd, Opnd] | null = null;
    let isAnd = true;
    let def = -1;
    let onNonzero = true;
    if (c.cc === "test" && c.a.k === "v" && c.b.k === "v" && c.a.v !== c.b.v) pair = [c.a, c.b];
    else if ((c.cc === "eq" || c.cc === "ne") && c.a.k === "v" && c.b.k === "c" && BigInt.asUintN(32, c.b.bits) === 0n) {
      const d = defBefore(insts, u, c.a, n);
      if (!d || d.i.k !== "num" || (d.i.op !== I32_AND && d.i.op !== I32_OR) || !d.i.b || removed.has(d.at)) return;
      pair = [d.i.a, d.i.b];
      isAnd = d.i.op === I32_AND;
      def = d.at;
      onNonzero = c.cc === "ne";
    }
    if (!pair) return;
    const s1 = defBefore(insts, u, pair[0], def >= 0 ? def : n);
    const s2 = defBefore(insts, u, pair[1], def >= 0 ? def : n);
    if (!s1 || !s2 || s1.i.k !== "setcc" || s2.i.k !== "setcc" || removed.has(s1.at) || removed.has(s2.at)) return;
    // the comparisons' operands must still hold at the branch
    const reads = vregsOf(s1.i.cond.a, s1.i.cond.b, s2.i.cond.a, s2.i.cond.b);
    if (!straight(insts, Math.min(s1.at, s2.at), n, reads)) return;
    const c1 = s1.i.cond;
    const c2 = s2.i.cond;
    const not = (x: Cond): Cond => ({ ...x, neg: !x.neg });
    // branch when (c1 op c2) == want
    const want = onNonzero !== c.neg;
    const t = i.target;
    let seq: Inst[];
    if (isAnd === want) {
      // branch when both hold (AND, want) or when neither holds (OR, !want)
      const skip = fn.numLabels++;
      const [a, b] = want ? [c1, c2] : [not(c1), not(c2)];
      seq = [{ k: "jcc", cond: not(a), target: skip }, { k: "jcc", cond: b, target: t }, { k: "label", id: skip }];
    } else {
      // branch when either holds (OR, want) or when either fails (AND, !want)
      const [a, b] = want ? [c1, c2] : [not(c1), not(c2)];
      seq = [{ k: "jcc", cond: a, target: t }, { k: "jcc", cond: b, target: t }];
    }
    removed.add(s1.at).add(s2.at);
    if (def >= 0) removed.add(def);
    replace.set(n, seq);
  });
  if (replace.size === 0) return;
  const out: Inst[] = [];
  insts.forEach((i, n) => {
    if (removed.has(n)) return;
    const r = replace.get(n);
    if (r) out.push(...r);
    else out.push(i);
  });
  fn.insts = out;
}

/**
 * `(a ^ b) & 0xff` (or `|`, or 0xffff) with a known to be below 256 (65536): a byte (word) XOR
 * on a copy of a, whose upper bits are already zero — one operation less on the path from b to
 * the result (table-driven CRCs and hashes: `TABLE[(c ^ byte) & 0xff]`).
 */
function narrowBytes(fn: LoweredFunc): void {
  const insts = fn.insts;
  const u = count(fn);
  const range = valueRanges(fn);
  const removed = new Set<number>();
  insts.forEach((i, n) => {
    if (i.k !== "num" || i.op !== I32_AND || !i.b || i.b.k !== "c") return;
    const mask = BigInt.asUintN(32, i.b.bits);
    const bits = mask === 0xffn ? 8 : mask === 0xffffn ? 16 : 0;
    if (!bits) return;
    const d = defBefore(insts, u, i.a, n);
    if (!d || d.i.k !== "num" || (d.i.op !== I32_XOR && d.i.op !== I32_OR) || !d.i.b || d.i.narrow || removed.has(d.at)) return;
    let [a, b] = [d.i.a, d.i.b];
    if (range(a)[1] > mask) [a, b] = [b, a];
    if (range(a)[1] > mask) return;
    removed.add(d.at);
    insts[n] = { k: "num", op: d.i.op, dst: i.dst, a, b, narrow: bits };
  });
  rebuild(fn, removed, new Map());
}

function rebuild(fn: LoweredFunc, removed: Set<number>, insertBefore: Map<number, Inst>): void {
  if (removed.size === 0 && insertBefore.size === 0) return;
  const out: Inst[] = [];
  fn.insts.forEach((i, n) => {
    const pre = insertBefore.get(n);
    if (pre) out.push(pre);
    if (!removed.has(n)) out.push(i);
  });
  fn.insts = out;
}

function narrow(fn: LoweredFunc): void {
  const insts = fn.insts;
  const u = count(fn);
  const removed = new Set<number>();
  insts.forEach((i, n) => {
    if (i.k !== "num" || i.op !== WRAP) return;
    const d = defBefore(insts, u, i.a, n);
    if (!d || removed.has(d.at)) return;
    // shl narrows only for counts below 32 (i64 masks the count to 6 bits, i32 to 5)
    if (d.i.k === "num" && d.i.op === 0x86 && (d.i.b?.k !== "c" || (d.i.b.bits & 63n) >= 32n)) return;
    if (d.i.k === "num" && d.i.b && NARROW.has(d.i.op)) insts[n] = { ...d.i, op: NARROW.get(d.i.op)!, dst: i.dst };
    else if (d.i.k === "lea" && d.i.t === "i64") insts[n] = { ...d.i, t: "i32", dst: i.dst };
    else return;
    removed.add(d.at);
  });
  rebuild(fn, removed, new Map());
}

function joinEqualities(fn: LoweredFunc): void {
  const insts = fn.insts;
  const u = count(fn);
  const removed = new Set<number>();
  const pre = new Map<number, Inst>();
  const pair = (a: Opnd, b: Opnd, n: number): [number, number, Cond, Cond] | null => {
    const s1 = defBefore(insts, u, a, n);
    const s2 = defBefore(insts, u, b, n);
    if (!s1 || !s2 || s1.at === s2.at || s1.i.k !== "setcc" || s2.i.k !== "setcc" || removed.has(s1.at) || removed.has(s2.at)) return null;
    // the tested value must still hold at n
    const x = vregsOf(s1.i.cond.a, s1.i.cond.b);
    if (!straight(insts, Math.min(s1.at, s2.at), n, x)) return null;
    return [s1.at, s2.at, s1.i.cond, s2.i.cond];
  };
  insts.forEach((i, n) => {
    if (i.k === "jcc" && i.cond.cc === "test" && i.cond.t === "i32") {
      // branch on s1 && s2 (TEST of two 0/1 values): both must be inequalities
      const p = pair(i.cond.a, i.cond.b, n);
      if (!p || equality(p[2])?.eq !== false || equality(p[3])?.eq !== false) return;
      const m = membership(fn, p[2], p[3]);
      if (!m) return;
      removed.add(p[0]).add(p[1]);
      pre.set(n, m.pre);
      insts[n] = { k: "jcc", cond: { ...m.cond, neg: !i.cond.neg }, target: i.target };
    } else if (i.k === "num" && (i.op === I32_AND || i.op === I32_OR) && i.b) {
      const p = pair(i.a, i.b, n);
      const want = i.op === I32_OR; // OR of equalities, AND of inequalities
      if (!p || equality(p[2])?.eq !== want || equality(p[3])?.eq !== want) return;
      const m = membership(fn, p[2], p[3]);
      if (!m) return;
      removed.add(p[0]).add(p[1]);
      pre.set(n, m.pre);
      insts[n] = { k: "setcc", cond: { ...m.cond, neg: !want }, dst: i.dst };
    }
  });
  rebuild(fn, removed, pre);
}

/** Also run after branch simplification (compile.ts), which merges blocks and so exposes more. */
export function fuseBranches(fn: LoweredFunc): void {
  const insts = fn.insts;
  const u = count(fn);
  const removed = new Set<number>();
  insts.forEach((i, n) => {
    if (i.k !== "jcc" || (i.cond.t !== "i32" && i.cond.t !== "i64")) return;
    const c = i.cond;
    let v: Opnd | null = null;
    let onZero = false; // taken when the value is 0 (before neg)
    if ((c.cc === "eq" || c.cc === "ne") && c.b.k === "c" && BigInt.asUintN(64, c.b.bits) === 0n) [v, onZero] = [c.a, c.cc === "eq"];
    else if ((c.cc === "eq" || c.cc === "ne") && c.a.k === "c" && BigInt.asUintN(64, c.a.bits) === 0n) [v, onZero] = [c.b, c.cc === "eq"];
    else if (c.cc === "test" && c.a.k === "v" && c.b.k === "v" && c.a.v === c.b.v) v = c.a;
    if (!v || v.k !== "v") return;
    // a test of v against itself reads it twice
    if (c.cc === "test") u.uses[v.v]!--;
    const d = defBefore(insts, u, v, n);
    if (c.cc === "test") u.uses[v.v]!++;
    if (!d || d.i.k !== "setcc" || removed.has(d.at)) return;
    removed.add(d.at);
    insts[n] = { k: "jcc", cond: { ...d.i.cond, neg: d.i.cond.neg !== (onZero !== c.neg) }, target: i.target };
  });
  rebuild(fn, removed, new Map());
}
