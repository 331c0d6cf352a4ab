// Loops of a lowered function, from its backward branches: a loop is the span from a label to
// the last branch that jumps back to it. Wasm's structured control flow makes every loop such a
// span; spans that overlap without nesting (a rotated loop's head and body labels, jumps.ts) are
// merged into one. Used for use weights and split positions (intervals.ts, lsra.ts), loop
// alignment (emit-func.ts) and threading (thread.ts).

import type { Inst } from "./ir.ts";

export interface Loop {
  /** first instruction (the label) */
  head: number;
  /** last instruction (the last backward branch to the head) */
  end: number;
}

export interface LoopInfo {
  /** loops, outer ones before the loops they contain */
  loops: Loop[];
  /** loop nesting depth of each instruction */
  depth: Int32Array;
}

export function findLoops(insts: Inst[], numLabels: number): LoopInfo {
  const at = new Array<number>(numLabels).fill(-1);
  insts.forEach((i, n) => {
    if (i.k === "label") at[i.id] = n;
  });
  const loopEnd = new Map<number, number>();
  const back = (n: number, target: number): void => {
    const h = at[target]!;
    if (h >= 0 && h <= n) loopEnd.set(h, Math.max(loopEnd.get(h) ?? h, n));
  };
  insts.forEach((i, n) => {
    if (i.k === "jmp" || i.k === "jcc") back(n, i.target);
    else if (i.k === "brtable") i.targets.forEach((t) => back(n, t));
  });
  // a span starting inside another and ending after it belongs to the same loop
  const spans = [...loopEnd].sort((a, b) => a[0] - b[0]);
  const loops: Loop[] = [];
  for (const [h, e] of spans) {
    const outer = loops.find((l) => l.head < h && h <= l.end && e > l.end);
    if (outer) outer.end = e;
    else loops.push({ head: h, end: e });
  }
  const depth = new Int32Array(insts.length);
  const delta = new Int32Array(insts.length + 1);
  for (const l of loops) {
    delta[l.head]!++;
    delta[l.end + 1]!--;
  }
  let d = 0;
  for (let n = 0; n < insts.length; n++) {
    d += delta[n]!;
    depth[n] = d;
  }
  return { loops, depth };
}

/** The loop tree: each loop's enclosing loop (-1: none) and each instruction's innermost loop. */
export function loopTree(info: LoopInfo, numInsts: number): { parent: number[]; innermost: Int32Array } {
  const loops = info.loops;
  const parent = loops.map(() => -1);
  const innermost = new Int32Array(numInsts).fill(-1);
  loops.forEach((l, k) => {
    for (let j = k - 1; j >= 0; j--) {
      const o = loops[j]!;
      if (o.head <= l.head && l.end <= o.end) {
        parent[k] = j;
        break;
      }
    }
    for (let n = l.head; n <= l.end; n++) innermost[n] = k; // inner loops come later and overwrite
  });
  return { parent, innermost };
}
