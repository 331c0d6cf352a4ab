// If-conversion of small conditional blocks on the lowered form (after dce.ts):
//
//     jcc c L; d1 = e1; d2 = e2; L:      ->      t1 = e1; t2 = e2'; d1 = c ? d1 : t1; d2 = c ? d2 : t2
//
// when the skipped block is at most MAX_INSTS pure, non-trapping integer instructions (copies,
// arithmetic, LEAs: nothing that reads memory, traps, calls or writes a global). The selects are
// CMOVs, so a branch that the predictor cannot learn (sieve's `if (flags[i]) { count++; last = i }`,
// taken for 1 number in 12) costs nothing. The block's instructions now run on both paths, into
// fresh vregs (later ones read the fresh vregs of earlier ones); the old values stay the vregs'
// values when the branch would have skipped. Only integer conditions (a float condition would
// need branches again in the select).

import type { Inst, LoweredFunc, Opnd } from "./ir.ts";
import { forEachDef } from "./liveness.ts";
import { NUM_OPS } from "./opcodes.ts";
import { mapOperands, renameDefs } from "./webs.ts";

const MAX_INSTS = 3;
const TRAPPING = /\.(div_[su]|rem_[su]|trunc_f(32|64)_[su])$/;

function convertible(i: Inst, fn: LoweredFunc): boolean {
  let intDefs = true;
  forEachDef(i, (v) => (intDefs &&= fn.vregs[v]!.cls === "int"));
  if (!intDefs) return false;
  if (i.k === "mov") return i.t === "i32" || i.t === "i64";
  if (i.k === "lea") return true;
  if (i.k === "num") {
    const info = NUM_OPS.get(i.op)!;
    return !TRAPPING.test(info.name) && (info.result === "i32" || info.result === "i64");
  }
  return false;
}

export function convertIfs(fn: LoweredFunc): void {
  const insts = fn.insts;
  const out: Inst[] = [];
  let changed = false;
  for (let n = 0; n < insts.length; n++) {
    const j = insts[n]!;
    if (j.k !== "jcc" || (j.cond.t !== "i32" && j.cond.t !== "i64")) {
      out.push(j);
      continue;
    }
    // the skipped block: up to MAX_INSTS convertible instructions, then the jcc's label
    let end = n + 1;
    while (end < insts.length && end - n - 1 < MAX_INSTS && convertible(insts[end]!, fn)) end++;
    const l = insts[end];
    if (end === n + 1 || !l || l.k !== "label" || l.id !== j.target) {
      out.push(j);
      continue;
    }
    // the block's results into fresh vregs (a copy just names its source); later instructions
    // read those
    const fresh = new Map<number, Opnd>();
    const at = (o: Opnd): Opnd => (o.k === "v" ? fresh.get(o.v) ?? o : o);
    const tys = new Map<number, "i32" | "i64">();
    const start = out.length;
    for (let k = n + 1; k < end; k++) {
      const i = mapOperands(insts[k]!, at);
      if (i.k === "mov") {
        fresh.set(i.dst, i.src);
        tys.set(i.dst, i.t === "i64" ? "i64" : "i32");
        continue;
      }
      renameDefs(i, (v) => {
        const t = fn.vregs.length;
        fn.vregs.push({ cls: "int" });
        fresh.set(v, { k: "v", v: t });
        tys.set(v, typeOf(i));
        return t;
      });
      out.push(i);
    }
    // the selects read the condition after the block, which wrote only fresh vregs; a select
    // writing one of the condition's operands must come last (and there may be only one)
    const condVregs = [j.cond.a, j.cond.b].flatMap((o: Opnd) => (o.k === "v" ? [o.v] : []));
    const dsts = [...fresh.keys()];
    const last = dsts.filter((v) => condVregs.includes(v));
    if (last.length > 1) {
      out.length = start;
      for (let k = n; k < end; k++) out.push(insts[k]!);
      n = end - 1;
      continue;
    }
    for (const v of [...dsts.filter((x) => !last.includes(x)), ...last]) {
      out.push({ k: "select", t: tys.get(v)!, dst: v, a: { k: "v", v }, b: fresh.get(v)!, cond: j.cond });
    }
    changed = true;
    n = end - 1; // the label is pushed by the next iteration
  }
  if (changed) fn.insts = out;
}

function typeOf(i: Inst): "i32" | "i64" {
  if (i.k === "mov" || i.k === "lea") return i.t === "i64" ? "i64" : "i32";
  if (i.k === "num") return NUM_OPS.get(i.op)!.result === "i64" ? "i64" : "i32";
  return "i64";
}
