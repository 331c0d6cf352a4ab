// Liveness of vregs over a lowered function: basic blocks with live-in and live-out sets, the
// classic backward data-flow (labels start blocks; jumps, br_table, return and trap end them).
// Used by the passes before allocation and by the live intervals of intervals.ts.

import type { Inst, LoweredFunc, Opnd } from "./ir.ts";

// (no closures inside these hot helpers: tsx's esbuild names every closure it creates, a
// property definition per call)
function use(x: Opnd | null | undefined, f: (v: number) => void): void {
  if (x && x.k === "v") f(x.v);
}

/** Visits the vregs an instruction reads. */
export function forEachUse(i: Inst, f: (v: number) => void): void {
  switch (i.k) {
    case "jcc": case "setcc": use(i.cond.a, f); use(i.cond.b, f); break;
    case "brtable": use(i.idx, f); break;
    case "mov": use(i.src, f); break;
    case "num": use(i.a, f); use(i.b, f); break;
    case "lea": use(i.base, f); use(i.index, f); break;
    case "select": use(i.a, f); use(i.b, f); use(i.cond.a, f); use(i.cond.b, f); break;
    case "load": use(i.addr, f); break;
    case "store": use(i.addr, f); use(i.val, f); break;
    case "gset": use(i.src, f); break;
    case "call":
      for (const a of i.args) use(a, f);
      if (i.callee.k === "indirect") use(i.callee.idx, f);
      break;
    case "ret": for (const a of i.vals) use(a, f); break;
    case "memgrow": use(i.a, f); break;
    case "memcopy": case "meminit": case "tableinit": case "tablecopy": use(i.d, f); use(i.s, f); use(i.n, f); break;
    case "memfill": use(i.d, f); use(i.v, f); use(i.n, f); break;
    case "atomic": use(i.addr, f); use(i.a, f); use(i.b, f); break;
    case "pmov": for (const m of i.moves) f(m.src); break;
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
    case "call": for (const r of i.results) f(r); break;
    case "pmov": for (const m of i.moves) f(m.dst); break;
    default: break;
  }
}

/** A set of vregs as a bit vector (one bit per vreg). */
export class Bits {
  constructor(readonly w: Uint32Array) {}
  has(v: number): boolean {
    return (this.w[v >>> 5]! & (1 << (v & 31))) !== 0;
  }
  add(v: number): void {
    this.w[v >>> 5]! |= 1 << (v & 31);
  }
  delete(v: number): void {
    this.w[v >>> 5]! &= ~(1 << (v & 31));
  }
  copy(): Bits {
    return new Bits(this.w.slice());
  }
  forEach(f: (v: number) => void): void {
    const w = this.w;
    for (let k = 0; k < w.length; k++) {
      let x = w[k]!;
      while (x !== 0) {
        const low = x & -x;
        f(k * 32 + 31 - Math.clz32(low));
        x ^= low;
      }
    }
  }
}

export interface Block {
  first: number;
  last: number;
  succ: number[];
  liveIn: Bits;
  liveOut: Bits;
}

const NONE = new Bits(new Uint32Array(0));

function isBranch(i: Inst): boolean {
  return i.k === "jmp" || i.k === "jcc" || i.k === "brtable" || i.k === "ret" || i.k === "trap";
}

function addSucc(b: Block, t: number): void {
  if (t >= 0 && !b.succ.includes(t)) b.succ.push(t);
}

export function buildBlocks(insts: Inst[], numLabels: number): Block[] {
  const blocks: Block[] = [];
  const blockOfLabel = new Int32Array(numLabels).fill(-1);
  let start = 0;
  for (let n = 0; n < insts.length; n++) {
    const i = insts[n]!;
    if (i.k === "label") {
      if (n > start) {
        blocks.push({ first: start, last: n - 1, succ: [], liveIn: NONE, liveOut: NONE });
        start = n;
      }
      blockOfLabel[i.id] = blocks.length;
    }
    if (isBranch(i)) {
      blocks.push({ first: start, last: n, succ: [], liveIn: NONE, liveOut: NONE });
      start = n + 1;
    }
  }
  if (insts.length > start) blocks.push({ first: start, last: insts.length - 1, succ: [], liveIn: NONE, liveOut: NONE });
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k]!;
    const i = insts[b.last]!;
    if (i.k === "jmp") addSucc(b, blockOfLabel[i.target]!);
    else if (i.k === "brtable") for (const t of i.targets) addSucc(b, blockOfLabel[t]!);
    else if (i.k !== "ret" && i.k !== "trap") {
      if (i.k === "jcc") addSucc(b, blockOfLabel[i.target]!);
      if (k + 1 < blocks.length) addSucc(b, k + 1);
    }
  }
  return blocks;
}

/**
 * Basic blocks with their live-in and live-out sets: backward data-flow to a fixed point over
 * bit sets (one bit per vreg), visiting blocks in reverse order (few passes for structured code).
 */
export function blockLiveness(fn: LoweredFunc): Block[] {
  const blocks = buildBlocks(fn.insts, fn.numLabels);
  const W = (fn.vregs.length + 31) >>> 5;
  const use = blocks.map(() => new Bits(new Uint32Array(W)));
  const def = blocks.map(() => new Bits(new Uint32Array(W)));
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k]!;
    const u = use[k]!;
    const d = def[k]!;
    const onUse = (v: number): void => {
      if (!d.has(v)) u.add(v);
    };
    const onDef = (v: number): void => d.add(v);
    for (let n = b.first; n <= b.last; n++) {
      forEachUse(fn.insts[n]!, onUse);
      forEachDef(fn.insts[n]!, onDef);
    }
    b.liveIn = new Bits(new Uint32Array(W));
    b.liveOut = new Bits(new Uint32Array(W));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = blocks.length - 1; k >= 0; k--) {
      const b = blocks[k]!;
      const out = b.liveOut.w;
      for (const s of b.succ) {
        const sin = blocks[s]!.liveIn.w;
        for (let w = 0; w < W; w++) out[w]! |= sin[w]!;
      }
      const inn = b.liveIn.w;
      const u = use[k]!.w;
      const d = def[k]!.w;
      for (let w = 0; w < W; w++) {
        const x = (u[w]! | (out[w]! & ~d[w]!)) >>> 0; // unsigned, as the array stores it
        if (x !== inn[w]) {
          inn[w] = x;
          changed = true;
        }
      }
    }
  }
  return blocks;
}
