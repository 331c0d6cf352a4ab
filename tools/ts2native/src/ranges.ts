// Unsigned ranges of i32 values on the lowered form (after webs.ts: a vreg with one definition
// has that definition reaching every use). Known from the defining instruction: an AND with a
// constant, an unsigned shift right, a remainder by a constant, a zero-extending narrow load,
// constants, copies, loop counters (induction.ts), and non-wrapping sums and products of those.
// Anything else: [0, 2^32).

import type { Inst, LoweredFunc, Opnd } from "./ir.ts";
import type { Counters } from "./induction.ts";
import { forEachDef } from "./liveness.ts";
import { MEM_OPS, NUM_OPS } from "./opcodes.ts";

export type Range = [bigint, bigint];
export const FULL: Range = [0n, (1n << 32n) - 1n];
const LIMIT = 1n << 32n;
const MAX_DEPTH = 6;

/**
 * The range of an i32 operand (memoized per vreg); with `counters` (induction.ts), also of a loop
 * counter read at instruction `at`.
 */
export function valueRanges(fn: LoweredFunc, counters?: Counters): (o: Opnd, at?: number) => Range {
  const insts = fn.insts;
  const defAt = new Map<number, number>();
  const defs = new Map<number, number>();
  insts.forEach((i, n) =>
    forEachDef(i, (v) => {
      defAt.set(v, n);
      defs.set(v, (defs.get(v) ?? 0) + 1);
    }),
  );
  const memo = new Map<number, Range>();
  const rangeAt = (o: Opnd, depth: number, at: number | undefined): Range => {
    if (o.k === "c") {
      const c = BigInt.asUintN(32, o.bits);
      return [c, c];
    }
    if (defs.get(o.v)! > 1 && counters && at !== undefined) return counters.at(o.v, at) ?? FULL;
    if (defs.get(o.v) !== 1 || o.v < fn.numParams || depth > MAX_DEPTH) return FULL;
    const m = memo.get(o.v);
    if (m) return m;
    memo.set(o.v, FULL); // a cycle through a loop: unknown
    const r = rangeOfDef(defAt.get(o.v)!, depth + 1);
    const ok = r[0] >= 0n && r[1] < LIMIT && r[0] <= r[1] ? r : FULL;
    memo.set(o.v, ok);
    return ok;
  };
  /** The range of what instruction n defines, from its operands' ranges there. */
  const rangeOfDef = (n: number, depth: number): Range => {
    const i = insts[n]!;
    const range = (o: Opnd, d: number): Range => rangeAt(o, d, n);
    if (i.k === "mov" && i.t === "i32") return range(i.src, depth);
    if (i.k === "load" && i.scale === undefined) {
      const op = MEM_OPS.get(i.op)!;
      if (op.type === "i32" && !op.signed && op.bytes < 4) return [0n, (1n << BigInt(8 * op.bytes)) - 1n];
      return FULL;
    }
    if (i.k === "lea" && i.t === "i32") {
      const b = i.base ? range(i.base, depth) : ([0n, 0n] as Range);
      const x = range(i.index, depth);
      return [b[0] + x[0] * BigInt(i.scale) + i.disp, b[1] + x[1] * BigInt(i.scale) + i.disp];
    }
    if (i.k === "num" && i.narrow) return [0n, (1n << BigInt(i.narrow)) - 1n];
    if (i.k !== "num" || !i.b) return FULL;
    const name = NUM_OPS.get(i.op)!.name;
    const a = (): Range => range(i.a, depth);
    const b = (): Range => range(i.b!, depth);
    switch (name) {
      case "i32.and": return [0n, a()[1] < b()[1] ? a()[1] : b()[1]];
      case "i32.shr_u": return i.b.k === "c" ? [0n, a()[1] >> (i.b.bits & 31n)] : FULL;
      case "i32.rem_u": return i.b.k === "c" && BigInt.asUintN(32, i.b.bits) > 0n ? [0n, BigInt.asUintN(32, i.b.bits) - 1n] : FULL;
      // x + c and x - c with c read as signed (`w[i - 7]`): the sum stays in range or it is FULL
      case "i32.add": return i.b.k === "c" ? shift(a(), BigInt.asIntN(32, i.b.bits)) : [a()[0] + b()[0], a()[1] + b()[1]];
      case "i32.sub": return i.b.k === "c" ? shift(a(), -BigInt.asIntN(32, i.b.bits)) : FULL;
      case "i32.mul": return [a()[0] * b()[0], a()[1] * b()[1]];
      case "i32.shl": return i.b.k === "c" ? [a()[0] << (i.b.bits & 31n), a()[1] << (i.b.bits & 31n)] : FULL;
      default: return FULL;
    }
  };
  return (o, at) => rangeAt(o, 0, at);
}

function shift(r: Range, c: bigint): Range {
  return r[0] + c >= 0n && r[1] + c < LIMIT ? [r[0] + c, r[1] + c] : FULL;
}
