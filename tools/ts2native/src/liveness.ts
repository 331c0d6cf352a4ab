// Liveness of vregs over a lowered function, and one live interval per vreg for the linear-scan
// allocator (regalloc.ts).
//
// Positions: instruction i reads its operands at 2i and writes its result at 2i+1, so a value
// whose last use is instruction i and the result of i may share a register (every emitter reads
// all operands before it writes the destination). Parameters are defined at -1 (function entry).
// Liveness is the classic backward data-flow over basic blocks (labels start blocks; jumps,
// br_table, return and trap end them); a vreg's interval is the hull of every position where it
// is live, so a value live around a loop's back edge covers the whole loop.

import type { Cond, Inst, LoweredFunc, Opnd } from "./ir.ts";

export interface Interval {
  v: number;
  start: number;
  end: number;
}

/** A call or helper sequence (caller-saved registers do not survive it) and the vregs it writes. */
export type Clobber = { pos: number; defs: number[] };

/** Visits the vregs an instruction reads. */
export function forEachUse(i: Inst, f: (v: number) => void): void {
  const o = (x: Opnd | null | undefined): void => {
    if (x && x.k === "v") f(x.v);
  };
  const c = (x: Cond): void => {
    o(x.a);
    o(x.b);
  };
  switch (i.k) {
    case "jcc": c(i.cond); break;
    case "brtable": o(i.idx); break;
    case "mov": o(i.src); break;
    case "num": o(i.a); o(i.b); break;
    case "setcc": c(i.cond); break;
    case "lea": o(i.base); o(i.index); break;
    case "select": o(i.a); o(i.b); c(i.cond); break;
    case "load": o(i.addr); break;
    case "store": o(i.addr); o(i.val); break;
    case "gset": o(i.src); break;
    case "call":
      i.args.forEach(o);
      if (i.callee.k === "indirect") o(i.callee.idx);
      break;
    case "ret": i.vals.forEach(o); break;
    case "memgrow": o(i.a); break;
    case "memcopy": o(i.d); o(i.s); o(i.n); break;
    case "memfill": o(i.d); o(i.v); o(i.n); break;
    case "meminit": case "tableinit": case "tablecopy": o(i.d); o(i.s); o(i.n); break;
    case "atomic": o(i.addr); o(i.a); o(i.b); break;
    default: break;
  }
}

/** Visits the vregs an instruction writes. */
export function forEachDef(i: Inst, f: (v: number) => void): void {
  switch (i.k) {
    case "mov": case "num": case "setcc": case "lea": case "select": case "load": case "gget": case "memsize": case "memgrow":
      f(i.dst);
      break;
    case "atomic": if (i.dst !== null) f(i.dst); break;
    case "call": i.results.forEach(f); break;
    default: break;
  }
}

const HELPERS = new Set(["memgrow", "memcopy", "memfill", "meminit", "tableinit", "tablecopy"]);

export interface Block {
  first: number;
  last: number;
  succ: number[];
  liveIn: Set<number>;
  liveOut: Set<number>;
}

function buildBlocks(insts: Inst[], numLabels: number): Block[] {
  const blocks: Block[] = [];
  const blockOfLabel = new Array<number>(numLabels).fill(-1);
  let start = 0;
  const close = (last: number): void => {
    if (last >= start) blocks.push({ first: start, last, succ: [], liveIn: new Set(), liveOut: new Set() });
    start = last + 1;
  };
  insts.forEach((i, n) => {
    if (i.k === "label" && n > start) close(n - 1);
    if (i.k === "label") blockOfLabel[i.id] = blocks.length;
    if (i.k === "jmp" || i.k === "jcc" || i.k === "brtable" || i.k === "ret" || i.k === "trap") close(n);
  });
  close(insts.length - 1);
  blocks.forEach((b, k) => {
    const i = insts[b.last]!;
    const to = (label: number): void => {
      const t = blockOfLabel[label]!;
      if (t >= 0 && !b.succ.includes(t)) b.succ.push(t);
    };
    if (i.k === "jmp") to(i.target);
    else if (i.k === "brtable") i.targets.forEach(to);
    else if (i.k !== "ret" && i.k !== "trap") {
      if (i.k === "jcc") to(i.target);
      if (k + 1 < blocks.length && !b.succ.includes(k + 1)) b.succ.push(k + 1);
    }
  });
  return blocks;
}

function bitsToSet(bits: Uint32Array): Set<number> {
  const s = new Set<number>();
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w]!;
    while (x !== 0) {
      const low = x & -x;
      s.add(w * 32 + 31 - Math.clz32(low));
      x ^= low;
    }
  }
  return s;
}

/**
 * Basic blocks with their live-in and live-out sets: backward data-flow to a fixed point over
 * bit sets (one bit per vreg), visiting blocks in reverse order (few passes for structured code).
 */
export function blockLiveness(fn: LoweredFunc): Block[] {
  const blocks = buildBlocks(fn.insts, fn.numLabels);
  const W = (fn.vregs.length + 31) >>> 5;
  const set = (bits: Uint32Array, v: number): void => {
    bits[v >>> 5]! |= 1 << (v & 31);
  };
  const has = (bits: Uint32Array, v: number): boolean => (bits[v >>> 5]! & (1 << (v & 31))) !== 0;
  const use = blocks.map(() => new Uint32Array(W));
  const def = blocks.map(() => new Uint32Array(W));
  const liveIn = blocks.map(() => new Uint32Array(W));
  const liveOut = blocks.map(() => new Uint32Array(W));
  blocks.forEach((b, k) => {
    for (let n = b.first; n <= b.last; n++) {
      forEachUse(fn.insts[n]!, (v) => {
        if (!has(def[k]!, v)) set(use[k]!, v);
      });
      forEachDef(fn.insts[n]!, (v) => set(def[k]!, v));
    }
  });
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = blocks.length - 1; k >= 0; k--) {
      const out = liveOut[k]!;
      for (const s of blocks[k]!.succ) {
        const sin = liveIn[s]!;
        for (let w = 0; w < W; w++) out[w]! |= sin[w]!;
      }
      const inn = liveIn[k]!;
      const u = use[k]!;
      const d = def[k]!;
      for (let w = 0; w < W; w++) {
        const x = (u[w]! | (out[w]! & ~d[w]!)) >>> 0; // unsigned, as the array stores it
        if (x !== inn[w]) {
          inn[w] = x;
          changed = true;
        }
      }
    }
  }
  blocks.forEach((b, k) => {
    b.liveIn = bitsToSet(liveIn[k]!);
    b.liveOut = bitsToSet(liveOut[k]!);
  });
  return blocks;
}

/** Live intervals (only for vregs that are defined or used) and the clobbering instructions. */
export function liveIntervals(fn: LoweredFunc): { intervals: Interval[]; clobbers: Clobber[] } {
  const blocks = blockLiveness(fn);
  const lo = new Array<number>(fn.vregs.length).fill(Infinity);
  const hi = new Array<number>(fn.vregs.length).fill(-Infinity);
  const touch = (v: number, p: number): void => {
    if (p < lo[v]!) lo[v] = p;
    if (p > hi[v]!) hi[v] = p;
  };
  for (let p = 0; p < fn.numParams; p++) touch(p, -1);
  for (const b of blocks) {
    for (const v of b.liveIn) touch(v, 2 * b.first);
    for (const v of b.liveOut) touch(v, 2 * b.last + 1);
  }
  const clobbers: Clobber[] = [];
  fn.insts.forEach((i, n) => {
    forEachUse(i, (v) => touch(v, 2 * n));
    forEachDef(i, (v) => touch(v, 2 * n + 1));
    if (i.k === "call" || HELPERS.has(i.k)) {
      const defs: number[] = [];
      forEachDef(i, (v) => defs.push(v));
      clobbers.push({ pos: 2 * n, defs });
    }
  });
  const intervals: Interval[] = [];
  for (let v = 0; v < fn.vregs.length; v++) {
    // a parameter that is never read needs no home (its interval is just the entry point)
    if (hi[v]! === -Infinity || (v < fn.numParams && hi[v] === -1)) continue;
    intervals.push({ v, start: lo[v]!, end: hi[v]! });
  }
  return { intervals, clobbers };
}
