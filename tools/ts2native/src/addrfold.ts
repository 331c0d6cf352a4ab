// Address folding on the lowered form (after peephole.ts and consts.ts). A wasm address is an
// i32 that wraps around; x86 computes r15 + index*scale + disp in 64 bits. So an i32 LEA
// `index*scale + disp` (no base register: r15 takes that place) feeding a load or store can become
// its addressing mode only when the sum provably stays in [0, 2^32): then wrapping changes nothing.
// The proof is the range of the index: from its definition (ranges.ts), as in crc32's
// `TABLE + (x & 0xff) * 4`, through loop counters (induction.ts), as in matmul's
// `C + ((i * 96 + j) << 3)`, or from the loop test every way into the block passes, as in
// `for (let j: u32 = 0; j < N; j++) FLAGS[j]` (j <u N on the guard's fall-through and the back edge).
// An address used by several accesses in its block (`p[0] = p[0] + v`) is folded into all of them.

import type { Cond, Inst, LoweredFunc, Opnd } from "./ir.ts";
import { buildBlocks, forEachDef, forEachUse, type Block } from "./liveness.ts";
import { loopCounters } from "./induction.ts";
import { valueRanges } from "./ranges.ts";

const LIMIT = 1n << 32n;
const I32_ADD = 0x6a;

export function foldAddresses(fn: LoweredFunc): void {
  const insts = fn.insts;
  const defs = new Int32Array(fn.vregs.length);
  for (const i of insts) forEachDef(i, (v) => (defs[v] = defs[v]! + 1));
  // candidates first (cheap): index computations whose every use is the address of a load or
  // store later in the block (the address and the value of `p[0] = p[0] + v`)
  const cands = new Map<number, { at: number; d: NonNullable<ReturnType<typeof asIndex>>; users: number[] }>();
  insts.forEach((i, at) => {
    const d = asIndex(i);
    if (d && defs[d.dst] === 1) cands.set(d.dst, { at, d, users: [] });
  });
  if (cands.size === 0) return;
  insts.forEach((i, n) =>
    forEachUse(i, (v) => {
      const c = cands.get(v);
      if (c && c.users[c.users.length - 1] !== n) c.users.push(n);
    }),
  );
  const ok = [...cands.values()].filter(({ at, d, users }) => {
    if (users.length === 0 || users.length > 4 || users.some((n) => n <= at || !addressOnly(insts[n]!, d.dst))) return false;
    // the index still holds its value at the last use
    for (let k = at + 1; k < users[users.length - 1]!; k++) {
      const y = insts[k]!;
      if (y.k === "label" || y.k === "jmp" || y.k === "jcc" || y.k === "brtable") return false;
      let hit = false;
      forEachDef(y, (v) => (hit ||= v === d.index));
      if (hit) return false;
    }
    return true;
  });
  if (ok.length === 0) return;

  const facts = entryBounds(fn);
  const blockOf = new Int32Array(insts.length);
  facts.blocks.forEach((b, k) => blockOf.fill(k, b.first, b.last + 1));
  const range = valueRanges(fn, loopCounters(fn, facts.blocks));
  const removed = new Set<number>();
  for (const { at, d, users } of ok) {
    const x = d.index;
    let [lo, hi] = range({ k: "v", v: x }, at);
    // a bound the block starts with (a loop test on every way in), if x is not written before `at`
    const b = facts.blocks[blockOf[at]!]!;
    const f = facts.bound[blockOf[at]!];
    if (f && f.v === x && hi >= f.below && !writtenIn(insts, b.first, at, x)) hi = f.below - 1n;
    const scale = BigInt(d.scale);
    if (lo * scale + d.disp < 0n || hi * scale + d.disp >= LIMIT) continue;
    const disp = (n: number): bigint => d.disp + BigInt((insts[n] as { offset: number }).offset);
    if (users.some((n) => disp(n) < -(1n << 31n) || disp(n) >= 1n << 31n)) continue;
    for (const n of users) insts[n] = { ...(insts[n] as Inst & { k: "load" | "store" }), addr: { k: "v", v: x }, offset: Number(disp(n)), scale: d.scale };
    removed.add(at);
  }
  if (removed.size) fn.insts = insts.filter((_, n) => !removed.has(n));
}

/** dst := `index*scale + disp`, computed by an i32 LEA without base or an i32.add of a constant. */
function asIndex(d: Inst): { dst: number; index: number; scale: number; disp: bigint } | null {
  if (d.k === "lea" && d.t === "i32" && d.base === null && d.index.k === "v") return { dst: d.dst, index: d.index.v, scale: d.scale, disp: d.disp };
  if (d.k === "num" && d.op === I32_ADD && d.b) {
    if (d.a.k === "v" && d.b.k === "c") return { dst: d.dst, index: d.a.v, scale: 1, disp: BigInt.asIntN(32, d.b.bits) };
    if (d.b.k === "v" && d.a.k === "c") return { dst: d.dst, index: d.b.v, scale: 1, disp: BigInt.asIntN(32, d.a.bits) };
  }
  return null;
}

/** Whether instruction i is a load or store (not yet scaled) that reads vreg a as its address only. */
function addressOnly(i: Inst, a: number): boolean {
  if (i.k === "load") return i.scale === undefined && i.addr.k === "v" && i.addr.v === a;
  if (i.k === "store") return i.scale === undefined && i.addr.k === "v" && i.addr.v === a && !(i.val.k === "v" && i.val.v === a);
  return false;
}

function writtenIn(insts: Inst[], from: number, to: number, x: number): boolean {
  let hit = false;
  for (let k = from; k < to && !hit; k++) forEachDef(insts[k]!, (v) => (hit ||= v === x));
  return hit;
}

/** v <u below, from an unsigned comparison of v with a constant, on the taken or the other edge. */
function edgeBound(c: Cond, taken: boolean): { v: number; below: bigint } | null {
  if (c.t !== "i32") return null;
  let cc = c.cc;
  let v: Opnd = c.a;
  let k: Opnd = c.b;
  if (v.k === "c") {
    [v, k] = [k, v];
    cc = ({ lt_u: "gt_u", le_u: "ge_u", gt_u: "lt_u", ge_u: "le_u" } as Record<string, string>)[cc] ?? cc;
  }
  if (v.k !== "v" || k.k !== "c") return null;
  const K = BigInt.asUintN(32, k.bits);
  // the predicate that holds on this edge, as v < bound
  const holds = taken !== c.neg;
  if ((cc === "lt_u" && holds) || (cc === "ge_u" && !holds)) return { v: v.v, below: K };
  if ((cc === "le_u" && holds) || (cc === "gt_u" && !holds)) return { v: v.v, below: K + 1n };
  return null;
}

/** Per block: a bound v <u K that every edge into it establishes (loop tests), if any. */
function entryBounds(fn: LoweredFunc): { blocks: Block[]; bound: ({ v: number; below: bigint } | null)[] } {
  const blocks = buildBlocks(fn.insts, fn.numLabels);
  const edges: ({ v: number; below: bigint } | null)[][] = blocks.map(() => []);
  blocks.forEach((b, k) => {
    const last = fn.insts[b.last]!;
    for (const s of b.succ) {
      let e: { v: number; below: bigint } | null = null;
      if (last.k === "jcc") {
        const t = blocks[s]!;
        const target = fn.insts[t.first];
        const isTarget = target?.k === "label" && target.id === last.target;
        const isFall = s === k + 1;
        // an edge that is both (jcc to the next label) establishes nothing
        if (isTarget !== isFall) e = edgeBound(last.cond, isTarget);
      }
      edges[s]!.push(e);
    }
  });
  const bound = edges.map((es, k) => {
    if (k === 0 || es.length === 0 || es.some((e) => !e) || es.some((e) => e!.v !== es[0]!.v)) return null;
    return { v: es[0]!.v, below: es.reduce((m, e) => (e!.below > m ? e!.below : m), 0n) };
  });
  return { blocks, bound };
}