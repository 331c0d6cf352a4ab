// Live intervals with lifetime holes for the linear-scan allocator (lsra.ts), after Wimmer &
// Mössenböck, "Optimized Interval Splitting in a Linear Scan Register Allocator" (VEE 2005).
//
// Positions: instruction n owns four, so that what happens "between" its steps can be told apart:
//   gapPos(n)     = 4n+4  moves inserted before n (split and resolution moves; block starts)
//   usePos(n)     = 4n+5  n reads its operands
//   clobberPos(n) = 4n+6  a call or helper sequence destroys the caller-saved registers
//   defPos(n)     = 4n+7  n writes its results
// A value dying at n (range ends at usePos+1) and the result of n (from defPos) may share a
// register; a value live across a call covers its clobber position, its operands and results do
// not. Parameters are defined at ENTRY (3), before instruction 0. Ranges are half-open [from, to).
//
// An interval lists the ranges where its vreg is live (holes where it is dead: between the last
// use of one value and the next definition, blocks it is not live in) and its use positions
// (reads and writes, weighted 8^loop depth). The allocator splits intervals into children, each
// with one location.

import type { LoweredFunc, RegClass } from "./ir.ts";
import { blockLiveness, forEachDef, forEachUse, type Block } from "./liveness.ts";

export const ENTRY = 3;
/** Beyond every position (4 per instruction); small enough for 32-bit bit operations. */
export const INF = 0x3fffffff;
export const gapPos = (n: number): number => 4 * n + 4;
export const usePos = (n: number): number => 4 * n + 5;
export const clobberPos = (n: number): number => 4 * n + 6;
export const defPos = (n: number): number => 4 * n + 7;
/** The instruction a position belongs to (-1: the entry). */
export const instAt = (p: number): number => (p >> 2) - 1;
/** The gap of the instruction a position belongs to: moves placed there happen before p. */
export const gapAtOrBefore = (p: number): number => p & ~3;

/** First index k in ascending `a` with a[k] >= x (a.length if none). */
export function lowerBound(a: ArrayLike<number>, x: number, lo = 0): number {
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Interval {
  /** range starts and ends, ascending */
  from: number[] = [];
  to: number[] = [];
  /** use positions (reads and writes), ascending, and their weights */
  uses: number[] = [];
  weights: number[] = [];
  /** the register holding this child, or null: a frame slot (the vreg's) */
  reg: string | null = null;
  /** the gap position where this child was split off the previous child of its vreg (-1: first) */
  splitAt = -1;

  constructor(readonly v: number, readonly cls: RegClass) {}

  get start(): number {
    return this.from[0]!;
  }
  get end(): number {
    return this.to[this.to.length - 1]!;
  }

  covers(p: number): boolean {
    const k = lowerBound(this.to, p + 1); // first range ending after p
    return k < this.to.length && this.from[k]! <= p;
  }

  /** First position >= p covered by both intervals, or INF. */
  nextIntersection(o: Interval, p: number): number {
    let i = lowerBound(this.to, p + 1);
    let j = lowerBound(o.to, p + 1);
    while (i < this.from.length && j < o.from.length) {
      const lo = Math.max(this.from[i]!, o.from[j]!, p);
      if (lo < this.to[i]! && lo < o.to[j]!) return lo;
      if (this.to[i]! <= o.to[j]!) i++;
      else j++;
    }
    return INF;
  }

  /** First use position >= p, or INF. */
  nextUse(p: number): number {
    const k = lowerBound(this.uses, p);
    return k < this.uses.length ? this.uses[k]! : INF;
  }

  /** Last use position < p, or -1. */
  lastUseBefore(p: number): number {
    const k = lowerBound(this.uses, p);
    return k > 0 ? this.uses[k - 1]! : -1;
  }

  /** Whether some use lies in [lo, hi). */
  usedIn(lo: number, hi: number): boolean {
    return this.nextUse(lo) < hi;
  }

  /** First range start >= p, or INF. */
  nextRangeStart(p: number): number {
    const k = lowerBound(this.from, p);
    return k < this.from.length ? this.from[k]! : INF;
  }

  /** Splits at gap position `at` (start < at < end): this keeps what is before, the result the rest. */
  split(at: number): Interval {
    const c = new Interval(this.v, this.cls);
    c.splitAt = at;
    const k = lowerBound(this.to, at + 1); // first range ending after `at`
    if (this.from[k]! < at) {
      c.from = [at, ...this.from.slice(k + 1)];
      c.to = this.to.slice(k);
      this.from = this.from.slice(0, k + 1);
      this.to = [...this.to.slice(0, k), at];
    } else {
      c.from = this.from.slice(k);
      c.to = this.to.slice(k);
      this.from = this.from.slice(0, k);
      this.to = this.to.slice(0, k);
    }
    const u = lowerBound(this.uses, at);
    c.uses = this.uses.slice(u);
    c.weights = this.weights.slice(u);
    this.uses = this.uses.slice(0, u);
    this.weights = this.weights.slice(0, u);
    return c;
  }
}

/** Intervals by start (then vreg): the allocator's unhandled queue. */
export class IntervalHeap {
  private a: Interval[] = [];
  get size(): number {
    return this.a.length;
  }
  private less(x: Interval, y: Interval): boolean {
    return x.start < y.start || (x.start === y.start && x.v < y.v);
  }
  push(x: Interval): void {
    const a = this.a;
    a.push(x);
    let k = a.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(a[k]!, a[p]!)) break;
      [a[k], a[p]] = [a[p]!, a[k]!];
      k = p;
    }
  }
  pop(): Interval {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === k) break;
        [a[k], a[m]] = [a[m]!, a[k]!];
        k = m;
      }
    }
    return top;
  }
}

/** Collects ranges and uses while walking the function backwards (lowest range last). */
class Builder {
  rf: number[] = [];
  rt: number[] = [];
  ru: number[] = [];
  rw: number[] = [];

  addRange(from: number, to: number): void {
    const k = this.rf.length - 1;
    if (k >= 0 && to >= this.rf[k]!) {
      this.rf[k] = Math.min(from, this.rf[k]!);
      this.rt[k] = Math.max(to, this.rt[k]!);
    } else {
      this.rf.push(from);
      this.rt.push(to);
    }
  }
  addUse(p: number, w: number): void {
    const k = this.ru.length - 1;
    if (k >= 0 && this.ru[k] === p) this.rw[k]! += w;
    else {
      this.ru.push(p);
      this.rw.push(w);
    }
  }
  build(v: number, cls: RegClass): Interval {
    const iv = new Interval(v, cls);
    iv.from = this.rf.reverse();
    iv.to = this.rt.reverse();
    iv.uses = this.ru.reverse();
    iv.weights = this.rw.reverse();
    return iv;
  }
}

const HELPERS = new Set(["memgrow", "memcopy", "memfill", "meminit", "tableinit", "tablecopy"]);

export interface IntervalSet {
  /** the interval of each vreg that is live somewhere (null: none) */
  byVreg: (Interval | null)[];
  /** clobber positions of calls and helper sequences, ascending */
  calls: number[];
  blocks: Block[];
  blockOfInst: Int32Array;
}

export function buildIntervals(fn: LoweredFunc, depth: Int32Array): IntervalSet {
  const blocks = blockLiveness(fn);
  const bs: (Builder | null)[] = new Array<Builder | null>(fn.vregs.length).fill(null);
  const get = (v: number): Builder => (bs[v] ??= new Builder());
  const blockOfInst = new Int32Array(fn.insts.length);
  for (let k = blocks.length - 1; k >= 0; k--) {
    const b = blocks[k]!;
    const bFrom = gapPos(b.first);
    const live = b.liveOut.copy();
    const bTo = gapPos(b.last + 1);
    live.forEach((v) => get(v).addRange(bFrom, bTo));
    for (let n = b.last; n >= b.first; n--) {
      blockOfInst[n] = k;
      const i = fn.insts[n]!;
      const w = 8 ** Math.min(depth[n]!, 5);
      forEachDef(i, (v) => {
        const x = get(v);
        if (live.has(v)) {
          x.rf[x.rf.length - 1] = defPos(n);
          live.delete(v);
        } else x.addRange(defPos(n), defPos(n) + 1);
        x.addUse(defPos(n), w);
      });
      forEachUse(i, (v) => {
        const x = get(v);
        x.addRange(bFrom, usePos(n) + 1);
        x.addUse(usePos(n), w);
        live.add(v);
      });
    }
  }
  // values live at the entry (parameters) are defined there
  if (blocks.length > 0) {
    blocks[0]!.liveIn.forEach((v) => {
      const x = get(v);
      x.rf[x.rf.length - 1] = ENTRY;
      if (v < fn.numParams) x.addUse(ENTRY, 1);
    });
  }
  const calls: number[] = [];
  fn.insts.forEach((i, n) => {
    if (i.k === "call" || HELPERS.has(i.k)) calls.push(clobberPos(n));
  });
  const byVreg = bs.map((b, v) => (b ? b.build(v, fn.vregs[v]!.cls) : null));
  return { byVreg, calls, blocks, blockOfInst };
}
