// Linear-scan register allocation with interval splitting (Wimmer & Mössenböck, VEE 2005) over
// the intervals of intervals.ts. Intervals are taken in order of start; active ones hold their
// register at the current position, inactive ones hold it but are in a lifetime hole there.
// - A register free for the whole interval is taken: a hint first (the register of the operand
//   a result is computed from, a parameter's arrival register, a call argument's register, the
//   register of the previous child), then caller-saved registers (no push/pop), then callee-saved.
// - A register free only for a while (another interval or a call needs it later) is taken up to
//   there: the interval is split and the rest allocated later.
// - Otherwise the register whose occupant is used furthest ahead is taken from it — a value used
//   again only after the loop being allocated counts as used at the loop's end when it is used
//   in the loop — unless this interval's own next use is further still, in which case it waits in
//   its frame slot until its next use.
// - Calls and helper sequences clobber the caller-saved registers: a value live across one gets
//   a callee-saved register or is split around the call (stored before, reloaded before its next
//   use). Floats have no callee-saved registers (System V).
// Split positions move to the block boundary of the lowest loop depth in their allowed span, so
// that spill stores and reloads land outside loops; resolve.ts inserts the moves.

import { INF, IntervalHeap, gapAtOrBefore, gapPos, instAt, lowerBound, type Interval, type IntervalSet } from "./intervals.ts";
import { loopTree, type LoopInfo } from "./loops.ts";

// rbp and r13 come last: as the base of an address they need a displacement byte, which makes an
// LEA a three-component one (slower on current x86 cores); emit-int.ts swaps them out of the base
// where it can.
export const CALLEE_SAVED = ["rbx", "r12", "r14", "r13", "rbp"];
// rdx and rcx last: instructions whose emitters use them (shifts by a variable, division,
// atomics, float conversions, see regalloc.ts `scratchOf`) block them
export const CALLER_SAVED_INT = ["rsi", "rdi", "r8", "r9", "r10", "rdx", "rcx"];
export const FLOAT_REGS = Array.from({ length: 14 }, (_, i) => `xmm${i}`);
const INT_REGS = [...CALLER_SAVED_INT, ...CALLEE_SAVED];
const CALLER_SET = new Set([...CALLER_SAVED_INT, ...FLOAT_REGS]);
const ALL_REGS = [...INT_REGS, ...FLOAT_REGS];
const REG_INDEX = new Map(ALL_REGS.map((r, k) => [r, k]));

export interface ScanInput {
  set: IntervalSet;
  loops: LoopInfo;
  /** preferred registers of an interval (parameters, operands it is computed from, call arguments) */
  hints: (iv: Interval, regAt: (v: number, p: number) => string | null) => string[];
  /** vregs used as the base of a scaled-index address: rbp and r13 would need a displacement there */
  scaledBase: Set<number>;
  /** per register: the instructions whose emitters use it as scratch (regalloc.ts scratchOf) */
  scratch: ScratchBlocks;
}

/**
 * Per register: `full`, ascending instruction indices whose every position is blocked (but not
 * for the vreg in `except`); `clobber`, ascending clobber positions (intervals.ts), like calls.
 */
export type ScratchBlocks = Map<string, { full: number[]; clobber: number[]; except: Map<number, number> }>;

const NEEDS_DISP = new Set(["rbp", "r13"]);
/** A spilled value is reloaded for a use followed by another within this many instructions. */
const RELOAD_WINDOW = 4;

/** Allocates every interval; returns each vreg's children in order (index: vreg). */
export function linearScan(input: ScanInput): Interval[][] {
  const { set, loops } = input;
  const { calls, blocks, blockOfInst } = set;
  const depth = loops.loops.length ? loops.depth : null;
  const children: Interval[][] = set.byVreg.map((iv) => (iv ? [iv] : []));
  const unhandled = new IntervalHeap();
  for (const iv of set.byVreg) if (iv) unhandled.push(iv);
  let active: Interval[] = [];
  let inactive: Interval[] = [];

  // innermost loop of each instruction and the loop tree, for loop-aware next uses
  const loopList = loops.loops;
  const { parent, innermost } = loopTree(loops, set.blockOfInst.length);

  const depthAt = (n: number): number => (depth ? depth[n]! : 0);
  const loopHead = new Set(loopList.map((l) => l.head));
  /**
   * How often moves at the start of the block beginning at instruction f run: a loop header's
   * are placed on its edges, and the back edge needs none when the child spans the loop, so they
   * count at the depth outside the loop.
   */
  const boundaryDepth = (f: number): number => depthAt(f) - (loopHead.has(f) ? 1 : 0);

  /** How often moves at gap g run: a block start counts as its boundary (see boundaryDepth). */
  const gapDepth = (g: number): number => {
    const n = instAt(g);
    if (n < 0 || n >= blockOfInst.length) return 0;
    return blocks[blockOfInst[n]!]!.first === n ? boundaryDepth(n) : depthAt(n);
  };

  /** A gap in [lo, hi] at the block boundary of the lowest loop depth (else hi's), or -1. */
  const optimalSplit = (lo: number, hi: number): number => {
    const gHi = gapAtOrBefore(hi);
    const gLo = gapAtOrBefore(lo + 3);
    if (gLo > gHi) return -1;
    if (!depth) return gHi;
    const nHi = Math.min(instAt(gHi), blockOfInst.length - 1);
    const bLo = blockOfInst[instAt(gLo)]!;
    let best = gHi;
    let bestDepth = blocks[blockOfInst[nHi]!]!.first === nHi ? boundaryDepth(nHi) : depthAt(nHi);
    for (let b = blockOfInst[nHi]!; b >= bLo && bestDepth > 0; b--) {
      const f = blocks[b]!.first;
      if (gapPos(f) < gLo || gapPos(f) > gHi) continue;
      if (boundaryDepth(f) < bestDepth) {
        best = gapPos(f);
        bestDepth = boundaryDepth(f);
      }
    }
    return best;
  };

  /** Next use of `it` at or after p; a value used in a loop around p and live around it counts as used at the loop's end. */
  const nextUseAware = (it: Interval, p: number): number => {
    const u = it.nextUse(p);
    const n = instAt(p);
    if (n < 0 || n >= innermost.length) return u;
    for (let k = innermost[n]!; k >= 0; k = parent[k]!) {
      const l = loopList[k]!;
      const lEnd = gapPos(l.end + 1);
      if (u < lEnd) return u;
      if (it.covers(lEnd - 1) && it.usedIn(gapPos(l.head), p)) return lEnd;
    }
    return u;
  };

  /** First call clobber at or after p inside the interval, or INF. */
  const nextCall = (it: Interval, p: number): number => {
    if (calls.length === 0) return INF;
    for (let k = lowerBound(it.to, p + 1); k < it.from.length; k++) {
      const lo = Math.max(it.from[k]!, p);
      const c = lowerBound(calls, lo);
      if (c < calls.length && calls[c]! < it.to[k]!) return calls[c]!;
    }
    return INF;
  };

  /**
   * First position at or after p where `it` cannot be in register r: a call clobber for the
   * caller-saved registers, or any position of an instruction using r as scratch. INF if none.
   */
  const blockedAt = (it: Interval, p: number, r: string, cp: number): number => {
    let at = CALLER_SET.has(r) ? cp : INF;
    const sb = input.scratch.get(r);
    if (!sb) return at;
    if (sb.clobber.length) at = Math.min(at, firstCovered(it, p, sb.clobber));
    const ns = sb.full;
    for (let k = lowerBound(it.to, p + 1); k < it.from.length && ns.length; k++) {
      const lo = Math.max(it.from[k]!, p);
      if (lo >= at) break;
      // instructions n whose positions [4n+4, 4n+8) reach past lo and start before the range ends
      for (let j = lowerBound(ns, Math.floor((lo - 8) / 4) + 1); j < ns.length && gapPos(ns[j]!) < it.to[k]!; j++) {
        if (sb.except.get(ns[j]!) === it.v) continue;
        return Math.min(at, Math.max(gapPos(ns[j]!), lo));
      }
    }
    return at;
  };

  /** First position of `ps` (ascending) at or after p covered by `it`, or INF. */
  const firstCovered = (it: Interval, p: number, ps: number[]): number => {
    for (let k = lowerBound(it.to, p + 1); k < it.from.length; k++) {
      const lo = Math.max(it.from[k]!, p);
      const c = lowerBound(ps, lo);
      if (c < ps.length && ps[c]! < it.to[k]!) return ps[c]!;
    }
    return INF;
  };

  /** the child a split child was cut from: its register is the first hint (no move) */
  const prevOf = new Map<Interval, Interval>();
  const split = (it: Interval, at: number): Interval => {
    const c = it.split(at);
    const list = children[it.v]!;
    list.splice(list.indexOf(it) + 1, 0, c);
    prevOf.set(c, it);
    return c;
  };
  const regAt = (v: number, p: number): string | null => {
    for (const c of children[v] ?? []) if (c.covers(p)) return c.reg;
    return null;
  };

  /**
   * Where to split `it` so that its first part ends at or before position `until` (the gap of
   * the instruction at `until`, or an earlier block boundary of lower loop depth, after the last
   * use before it); -1 when no gap after its start allows that.
   */
  const splitBefore = (it: Interval, until: number): number => {
    const hi = gapAtOrBefore(until);
    if (hi <= it.start) return -1;
    const g = optimalSplit(Math.max(it.lastUseBefore(hi), it.start) + 1, hi);
    return g > it.start && g < it.end ? g : -1;
  };

  /**
   * `it` waits in its frame slot from p on; the rest from a reload position on is requeued. Most
   * x86 operands can be memory, so a use reads the slot unless a reload pays: it moves out of a
   * loop (the reload runs less often than the use), or another use follows closely in the use's block.
   */
  const spillUntilNextUse = (it: Interval, p: number): void => {
    it.reg = null;
    const from = Math.max(it.start, p) + 1;
    for (let k = lowerBound(it.uses, p); k < it.uses.length; k++) {
      const u = it.uses[k]!;
      const g = optimalSplit(from, gapAtOrBefore(u));
      if (g <= it.start || g <= p || g >= it.end) continue;
      const n = instAt(u);
      const near = Math.min(gapPos(blocks[blockOfInst[n]!]!.last + 1), u + 4 * RELOAD_WINDOW);
      const more = k + 1 < it.uses.length && it.uses[k + 1]! < near;
      if (more || gapDepth(g) < depthAt(n)) {
        unhandled.push(split(it, g));
        return;
      }
    }
  };

  const regsOf = (it: Interval): string[] => (it.cls === "float" ? FLOAT_REGS : INT_REGS);

  // per-register scratch arrays of tryFree / allocBlocked, indexed by REG_INDEX
  const free = new Float64Array(ALL_REGS.length);
  const use = new Float64Array(ALL_REGS.length);
  const cost = new Float64Array(ALL_REGS.length);
  const blockPos = new Float64Array(ALL_REGS.length);

  /** Registers in order of preference: the previous piece's, the hints, then the class's order. */
  const preferences = (cur: Interval): string[] => {
    const prev = prevOf.get(cur)?.reg;
    const regs = regsOf(cur);
    const hints = input.hints(cur, regAt);
    if (!prev && hints.length === 0 && !input.scaledBase.has(cur.v)) return regs;
    const out: string[] = [];
    let taken = 0; // bit per REG_INDEX
    const add = (r: string): void => {
      const x = REG_INDEX.get(r);
      if (x === undefined || taken & (1 << x) || (cur.cls === "float") !== x >= INT_REGS.length) return;
      taken |= 1 << x;
      out.push(r);
    };
    if (prev) add(prev);
    for (const r of hints) add(r);
    for (const r of regs) add(r);
    // a scaled-index base: rbp and r13 last
    if (input.scaledBase.has(cur.v)) return [...out.filter((r) => !NEEDS_DISP.has(r)), ...out.filter((r) => NEEDS_DISP.has(r))];
    return out;
  };

  const tryFree = (cur: Interval): boolean => {
    const regs = regsOf(cur);
    for (const r of regs) free[REG_INDEX.get(r)!] = INF;
    for (const it of active) if (it.cls === cur.cls) free[REG_INDEX.get(it.reg!)!] = 0;
    for (const it of inactive) {
      if (it.cls !== cur.cls) continue;
      const x = REG_INDEX.get(it.reg!)!;
      if (free[x] === 0) continue;
      const q = it.nextIntersection(cur, cur.start);
      if (q < free[x]!) free[x] = q;
    }
    const cp = nextCall(cur, cur.start);
    for (const r of regs) {
      const x = REG_INDEX.get(r)!;
      free[x] = Math.min(free[x]!, blockedAt(cur, cur.start, r, cp));
      // usable only if some gap after the start comes before the register is needed
      if (gapAtOrBefore(free[x]!) <= cur.start) free[x] = 0;
    }
    const prefs = preferences(cur);
    for (const r of prefs) {
      if (free[REG_INDEX.get(r)!]! >= cur.end) {
        cur.reg = r;
        return true;
      }
    }
    let best: string | null = null;
    for (const r of prefs) if (best === null || free[REG_INDEX.get(r)!]! > free[REG_INDEX.get(best)!]!) best = r;
    const until = best === null ? 0 : free[REG_INDEX.get(best)!]!;
    if (best === null || until === 0) return false;
    const g = splitBefore(cur, until);
    // worth it only if a use falls before the register is needed elsewhere
    if (g < 0 || cur.nextUse(cur.start) >= g) return false;
    cur.reg = best;
    unhandled.push(split(cur, g));
    return true;
  };

  /**
   * A value live around a loop containing p and used there at most twice per iteration leaves
   * its register for the whole loop when it must leave it at p: split at the loop's head (its
   * uses in the loop read the frame slot) rather than at p, which would store it and reload it
   * on every iteration. The outermost such loop is taken. Returns the split position, 0 when
   * `it` begins there (spill it all), -1 when the rule does not apply.
   */
  const wholeLoopSplit = (it: Interval, p: number): number => {
    const n = instAt(p);
    let best = -1;
    for (let k = n >= 0 && n < innermost.length ? innermost[n]! : -1; k >= 0; k = parent[k]!) {
      const l = loopList[k]!;
      const head = gapPos(l.head);
      const end = gapPos(l.end + 1);
      if (head < it.start || !it.covers(head) || !it.covers(end - 1)) break;
      // uses weighted as in intervals.ts: at most two per iteration of this loop
      let w = 0;
      for (let u = lowerBound(it.uses, head); u < it.uses.length && it.uses[u]! < end; u++) w += it.weights[u]!;
      if (w > 2 * 8 ** Math.min(depthAt(l.head), 5)) break;
      best = head;
    }
    if (best < 0) return -1;
    return best === it.start ? 0 : best < it.end ? best : -1;
  };

  /** Whether `it` is used inside the innermost loop around p. */
  const usedInLoop = (it: Interval, p: number): boolean => {
    const n = instAt(p);
    const k = n >= 0 && n < innermost.length ? innermost[n]! : -1;
    if (k < 0) return true;
    return it.usedIn(gapPos(loopList[k]!.head), gapPos(loopList[k]!.end + 1));
  };

  /** Takes register r for cur: the active occupant is split and spilled, inactive ones split. */
  const evict = (cur: Interval, r: string): void => {
    const p = cur.start;
    for (const it of active) {
      if (it.reg !== r) continue;
      const h = wholeLoopSplit(it, p);
      if (h === 0) spillUntilNextUse(it, it.start);
      else if (h > 0) spillUntilNextUse(split(it, h), h);
      else {
        const g = splitBefore(it, p);
        if (g > 0) spillUntilNextUse(split(it, g), p);
        else spillUntilNextUse(it, p); // it began at this instruction: no part of it keeps r
      }
    }
    active = active.filter((it) => it.reg !== null && it.end > p);
    for (const it of inactive) {
      if (it.reg !== r || it.nextIntersection(cur, p) === INF) continue;
      const g = gapAtOrBefore(it.nextRangeStart(p));
      if (g > it.start && g < it.end) unhandled.push(split(it, g));
    }
    inactive = inactive.filter((it) => it.end > p);
  };

  const allocBlocked = (cur: Interval): void => {
    const regs = regsOf(cur);
    const cp = nextCall(cur, cur.start);
    for (const r of regs) {
      const x = REG_INDEX.get(r)!;
      use[x] = INF;
      cost[x] = 0;
      blockPos[x] = blockedAt(cur, cur.start, r, cp);
    }
    // cost per iteration of the loop around cur of taking the register: 0 for a value not used
    // in that loop, 1 for one that can leave its register for the whole loop (a memory operand
    // or two per iteration, no store), 2 otherwise (a store and a reload)
    for (const it of active) {
      if (it.cls !== cur.cls) continue;
      const x = REG_INDEX.get(it.reg!)!;
      // an occupant used by this very instruction cannot give its register up before it
      const stuck = splitBefore(it, cur.start) < 0 && it.start < gapAtOrBefore(cur.start);
      // (uses from the instruction's start: evicting an operand of it costs a memory operand)
      use[x] = stuck ? 0 : Math.min(use[x]!, nextUseAware(it, gapAtOrBefore(cur.start)));
      cost[x] = wholeLoopSplit(it, cur.start) < 0 ? 2 : usedInLoop(it, cur.start) ? 1 : 0;
    }
    for (const it of inactive) {
      if (it.cls !== cur.cls || it.nextIntersection(cur, cur.start) === INF) continue;
      const x = REG_INDEX.get(it.reg!)!;
      use[x] = Math.min(use[x]!, nextUseAware(it, gapAtOrBefore(cur.start)));
    }
    for (const r of regs) {
      const x = REG_INDEX.get(r)!;
      use[x] = Math.min(use[x]!, blockPos[x]!);
      if (gapAtOrBefore(use[x]!) <= cur.start) use[x] = 0;
    }
    let best = -1;
    for (const r of regs) {
      const x = REG_INDEX.get(r)!;
      if (use[x] === 0) continue;
      if (best < 0 || cost[x]! < cost[best]! || (cost[x] === cost[best] && use[x]! > use[best]!)) best = x;
    }
    const first = cur.nextUse(cur.start);
    if (best < 0 || first === INF || (cost[best]! > 0 && first > use[best]!)) {
      spillUntilNextUse(cur, cur.start);
      return;
    }
    if (blockPos[best]! < INF) {
      // the register does not survive a call (or an instruction needs it): cur keeps it until just before
      const g = splitBefore(cur, blockPos[best]!);
      if (g < 0) {
        spillUntilNextUse(cur, cur.start);
        return;
      }
      unhandled.push(split(cur, g));
    }
    cur.reg = ALL_REGS[best]!;
    evict(cur, cur.reg);
  };

  while (unhandled.size) {
    const cur = unhandled.pop();
    const p = cur.start;
    const stillActive: Interval[] = [];
    const stillInactive: Interval[] = [];
    for (const it of active) {
      if (it.end <= p) continue;
      (it.covers(p) ? stillActive : stillInactive).push(it);
    }
    for (const it of inactive) {
      if (it.end <= p) continue;
      (it.covers(p) ? stillActive : stillInactive).push(it);
    }
    active = stillActive;
    inactive = stillInactive;
    if (!tryFree(cur)) allocBlocked(cur);
    if (cur.reg !== null) {
      if (cur.covers(p)) active.push(cur);
      else inactive.push(cur);
    }
  }
  return children;
}
