// Dead code elimination on the lowered form: an instruction without side effects whose result
// is not live afterwards is removed (twice: removing one can kill its operands). Side
// effects include traps: loads, integer division and trapping truncations stay. Typical
// victims: the zero-initialization of locals that are written before they are read, values
// computed for a `drop`.

import type { Inst, LoweredFunc } from "./ir.ts";
import { blockLiveness, forEachDef, forEachUse } from "./liveness.ts";
import { NUM_OPS } from "./opcodes.ts";

const TRAPPING = /\.(div_[su]|rem_[su]|trunc_f(32|64)_[su])$/;

function pure(i: Inst): boolean {
  switch (i.k) {
    case "mov": case "setcc": case "lea": case "select": case "gget": case "memsize": return true;
    case "num": return !TRAPPING.test(NUM_OPS.get(i.op)!.name);
    default: return false;
  }
}

export function removeDeadCode(fn: LoweredFunc): void {
  for (let round = 0; round < 2; round++) {
    const dead = new Set<number>();
    for (const b of blockLiveness(fn)) {
      const live = b.liveOut.copy();
      for (let n = b.last; n >= b.first; n--) {
        const i = fn.insts[n]!;
        let used = false;
        forEachDef(i, (v) => (used ||= live.has(v)));
        if (pure(i) && !used) {
          dead.add(n);
          continue;
        }
        forEachDef(i, (v) => live.delete(v));
        forEachUse(i, (v) => live.add(v));
      }
    }
    if (dead.size === 0) return;
    fn.insts = fn.insts.filter((_, n) => !dead.has(n));
  }
}
