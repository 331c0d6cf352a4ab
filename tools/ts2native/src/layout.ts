// Block placement after register allocation (resolve.ts has put every move in the instruction
// list, so whole blocks can move). `jmp L` over blocks that nothing falls into or out of (an
// `else` that returns or breaks, an early exit, a miss path ending in `jmp` back into the loop):
// those blocks go to the end of the function and the jump disappears. The path through the jump
// runs one instruction less; the moved blocks run the same instructions, reached by the same
// branches, from farther away. Loop heads are found before the move (emit-func.ts aligns them),
// since a moved block's jump back looks like a loop.

import type { Inst, LoweredFunc } from "./ir.ts";
import { findLoops } from "./loops.ts";

const ends = (i: Inst): boolean => i.k === "jmp" || i.k === "ret" || i.k === "trap" || i.k === "brtable";

/** Moves closed blocks jumped over to the end; returns the loop-head labels (before the move). */
export function sinkJumpedBlocks(fn: LoweredFunc): Set<number> {
  const insts = fn.insts;
  const info = findLoops(insts, fn.numLabels);
  const heads = new Set(info.loops.map((l) => (insts[l.head] as { id: number }).id));
  if (insts.length === 0 || !ends(insts[insts.length - 1]!)) return heads;
  const at = new Map<number, number>();
  insts.forEach((i, n) => {
    if (i.k === "label") at.set(i.id, n);
  });
  const sunk: Inst[][] = [];
  const drop = new Set<number>();
  for (let n = 0; n < insts.length; n++) {
    const j = insts[n]!;
    if (j.k !== "jmp") continue;
    const to = at.get(j.target)!;
    if (to <= n + 1) continue;
    // every instruction in between: closed blocks (a label first, a jump or return last), and no
    // loop head among them
    let ok = true;
    let open = false;
    for (let k = n + 1; k < to && ok; k++) {
      const i = insts[k]!;
      if (!open) ok = i.k === "label";
      if (i.k === "label" && heads.has(i.id)) ok = false;
      open = !ends(i);
    }
    if (!ok || open) continue;
    drop.add(n);
    sunk.push(insts.slice(n + 1, to));
    for (let k = n + 1; k < to; k++) drop.add(k);
    n = to - 1;
  }
  if (drop.size) fn.insts = [...insts.filter((_, n) => !drop.has(n)), ...sunk.flat()];
  return heads;
}
