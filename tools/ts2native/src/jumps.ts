// Jump optimizations on the lowered form, before register allocation:
// - loop rotation: wasm loops compiled from `while` put the exit test at the top
//   (`L: jcc exit; body; jmp L`); the back edge gets a copy of the test instead
//   (`L: jcc exit; B: body; jcc !exit B`), one taken branch per iteration instead of two. A few
//   simple instructions before the test (`i*i < n`) are copied along with it;
// - jump threading: a jump to a label whose code starts with `jmp M` goes to M directly;
// - `jcc c X; jmp Y; X:` becomes `jcc !c Y; X:`, and a jump to the label right after it vanishes.
// Conditions are side-effect free (they read vregs and constants), so duplicating one is safe.

import type { Inst, LoweredFunc } from "./ir.ts";

/** Instructions a rotated loop may copy from its head to its back edge (no effect but a trap). */
const COPYABLE = new Set<Inst["k"]>(["mov", "num", "load", "gget", "setcc", "select"]);
const MAX_PREFIX = 4;

/** Index of the first instruction after `at` that is not a label. */
function skipLabels(insts: Inst[], at: number): number {
  while (at < insts.length && insts[at]!.k === "label") at++;
  return at;
}

function labelIndex(insts: Inst[], numLabels: number): number[] {
  const at = new Array<number>(numLabels).fill(-1);
  insts.forEach((i, n) => {
    if (i.k === "label") at[i.id] = n;
  });
  return at;
}

/** Whether label `id` is among the labels that directly follow instruction n. */
function labelFollows(insts: Inst[], n: number, id: number): boolean {
  for (let k = n + 1; k < insts.length && insts[k]!.k === "label"; k++) if ((insts[k] as { id: number }).id === id) return true;
  return false;
}

export function optimizeJumps(fn: LoweredFunc): void {
  let insts = fn.insts;
  // jump threading (bounded, so a cycle of jumps cannot loop forever)
  const at = labelIndex(insts, fn.numLabels);
  const final = (label: number): number => {
    for (let hops = 0; hops < 8; hops++) {
      const n = at[label]!;
      if (n < 0) break;
      const first = insts[skipLabels(insts, n)];
      if (!first || first.k !== "jmp" || first.target === label) break;
      label = first.target;
    }
    return label;
  };
  for (const i of insts) {
    if (i.k === "jmp" || i.k === "jcc") i.target = final(i.target);
    else if (i.k === "brtable") i.targets = i.targets.map(final);
  }
  // loop rotation of backward jumps onto a test
  const out: Inst[] = [];
  const bodyLabel = new Map<number, number>();
  insts.forEach((i, n) => {
    if (i.k === "jmp" && at[i.target]! >= 0 && at[i.target]! < n) {
      // the loop head: up to MAX_PREFIX simple instructions, then the exit test
      const start = skipLabels(insts, at[i.target]!);
      let head = start;
      while (head < n && head - start < MAX_PREFIX && COPYABLE.has(insts[head]!.k)) head++;
      const test = insts[head];
      if (test && test.k === "jcc" && head < n) {
        let b = bodyLabel.get(head);
        if (b === undefined) {
          b = fn.numLabels++;
          bodyLabel.set(head, b);
        }
        // copies: later passes rename destinations in place
        for (let k = start; k < head; k++) out.push({ ...insts[k]! } as Inst);
        out.push({ k: "jcc", cond: { ...test.cond }, target: test.target }, { k: "jmp", target: b });
        return;
      }
    }
    out.push(i);
  });
  // place the body labels after their heads' tests
  insts = [];
  const heads = new Map<Inst, number>();
  for (const [head, b] of bodyLabel) heads.set(fn.insts[head]!, b);
  for (const i of out) {
    insts.push(i);
    const b = heads.get(i);
    if (b !== undefined) insts.push({ k: "label", id: b });
  }
  // `jcc c X; jmp Y; X:` -> `jcc !c Y; X:`; `jmp X; X:` -> `X:`
  const simplified: Inst[] = [];
  for (let n = 0; n < insts.length; n++) {
    const i = insts[n]!;
    const next = insts[n + 1];
    if (i.k === "jcc" && next?.k === "jmp" && labelFollows(insts, n + 1, i.target)) {
      simplified.push({ k: "jcc", cond: { ...i.cond, neg: !i.cond.neg }, target: next.target });
      n++;
      continue;
    }
    if (i.k === "jmp" && labelFollows(insts, n, i.target)) continue;
    simplified.push(i);
  }
  fn.insts = simplified;
}
