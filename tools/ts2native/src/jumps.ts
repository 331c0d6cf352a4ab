// Jump optimizations on the lowered form, before register allocation:
// - loop rotation: wasm loops compiled from `while` put the exit test at the top
//   (`L: jcc exit; body; jmp L`); the back edge gets a copy of the test instead
//   (`L: jcc exit; B: body; jcc !exit B`), one taken branch per iteration instead of two. A few
//   simple instructions before the test (`i*i < n`) are copied along with it;
// - jump threading: a jump to a label whose code starts with `jmp M` goes to M directly;
// - `jcc c X; jmp Y; X:` becomes `jcc !c Y; X:`, and a jump to the label right after it vanishes.
// Conditions are side-effect free (they read vregs and constants), so duplicating one is safe.

import type { Inst, LoweredFunc } from "./ir.ts";
import { forEachDef } from "./liveness.ts";
import { evalCond } from "./thread.ts";

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

/**
 * Retargets every jump at a label whose first instruction is a `jmp` (bounded: a cycle cannot
 * loop). Returns the label index it used (label → instruction position, -1 if absent).
 */
function threadJumps(insts: LoweredFunc["insts"], numLabels: number): ReturnType<typeof labelIndex> {
  const at = labelIndex(insts, numLabels);
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
  return at;
}

export function optimizeJumps(fn: LoweredFunc): void {
  let insts = fn.insts;
  // jump threading (bounded, so a cycle of jumps cannot loop forever)
  const at = threadJumps(insts, fn.numLabels);
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
  fn.insts = insts;
  simplifyBranches(fn);
}

/**
 * A test of values known in its block (constants moved into them since the block's label, as a
 * rotated loop's guard `mov i, 4; jcc (i == 0) exit` right after merging): always taken becomes
 * a `jmp`, never taken goes away.
 */
function foldKnownBranches(fn: LoweredFunc): void {
  let known = new Map<number, bigint>();
  let changed = false;
  const out: Inst[] = [];
  for (const i of fn.insts) {
    if (i.k === "label") known = new Map();
    if (i.k === "jcc") {
      const a = i.cond.a.k === "c" ? i.cond.a.bits : known.get(i.cond.a.v);
      const b = i.cond.b.k === "c" ? i.cond.b.bits : known.get(i.cond.b.v);
      const taken = a === undefined || b === undefined ? null : evalCond(i.cond, a, b);
      if (taken !== null) {
        changed = true;
        if (taken) out.push({ k: "jmp", target: i.target });
        continue;
      }
    }
    forEachDef(i, (v) => known.delete(v));
    if (i.k === "mov" && (i.t === "i32" || i.t === "i64") && i.src.k === "c") known.set(i.dst, i.src.bits);
    out.push(i);
  }
  if (changed) fn.insts = out;
}

/**
 * After threading and dead code removal: a branch to a label whose code is a `jmp M` goes to M;
 * `jcc c X; jmp Y; X:` -> `jcc !c Y; X:`; `jmp X; X:` -> `X:`; labels no branch targets any
 * more are dropped, so that their blocks merge with the code before them (combine.ts and
 * the allocator see longer blocks).
 */
export function simplifyBranches(fn: LoweredFunc): void {
  foldKnownBranches(fn);
  const insts = fn.insts;
  threadJumps(insts, fn.numLabels);
  const merged = dropUnusedLabels(insts);
  const simplified: Inst[] = [];
  for (let n = 0; n < merged.length; n++) {
    const i = merged[n]!;
    const next = merged[n + 1];
    if (i.k === "jcc" && next?.k === "jmp" && labelFollows(merged, n + 1, i.target)) {
      simplified.push({ k: "jcc", cond: { ...i.cond, neg: !i.cond.neg }, target: next.target });
      n++;
      continue;
    }
    if (i.k === "jmp" && labelFollows(merged, n, i.target)) continue;
    simplified.push(i);
  }
  fn.insts = dropUnusedLabels(simplified);
}

/** Drops labels no branch targets, and the code that nothing reaches: after a jump, return, trap or br_table up to the next label left. */
function dropUnusedLabels(insts: Inst[]): Inst[] {
  const used = new Set<number>();
  for (const i of insts) {
    if (i.k === "jmp" || i.k === "jcc") used.add(i.target);
    else if (i.k === "brtable") for (const t of i.targets) used.add(t);
  }
  const out: Inst[] = [];
  let reachable = true;
  for (const i of insts) {
    if (i.k === "label") {
      if (!used.has(i.id)) continue;
      reachable = true;
    }
    if (!reachable) continue;
    out.push(i);
    if (i.k === "jmp" || i.k === "ret" || i.k === "trap" || i.k === "brtable") reachable = false;
  }
  return out;
}
