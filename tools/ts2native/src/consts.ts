// Constants on the lowered form:
// - constant globals: immutable integer globals with a constant initializer, and mutable ones
//   that only the start function sets, to a constant, among its first instructions (nothing that
//   could trap before them: only local initializations), when the start function calls nothing
//   (so no other code runs before it has set them) and nothing exports, imports or writes them
//   elsewhere. AssemblyScript compiles `const TABLE: usize = HEAP + 4096` to exactly that. Their
//   reads become the constant everywhere but in the start function (__ts2n_init runs it first).
// (Constant propagation into uses is part of webs.ts.)

import { cst, type LoweredFunc } from "./ir.ts";
import type { Module } from "./module.ts";

/** Globals whose value is a known integer constant once the start function has run. */
export function constantGlobals(m: Module, fns: LoweredFunc[], stable: Set<number>): Map<number, bigint> {
  const out = new Map<number, bigint>();
  m.globals.forEach((g, k) => {
    if (g.mutable || g.imported || !g.init || (g.type !== "i32" && g.type !== "i64")) return;
    if (g.init.k === "i32") out.set(k, BigInt(g.init.bits >>> 0));
    else if (g.init.k === "i64") out.set(k, BigInt.asUintN(64, g.init.bits));
  });
  const start = fns.find((fn) => fn.index === m.start);
  if (!start || start.insts.some((i) => i.k === "call")) return out;
  const writes = new Map<number, number>();
  for (const fn of fns) for (const i of fn.insts) if (i.k === "gset") writes.set(i.g, (writes.get(i.g) ?? 0) + 1);
  for (const i of start.insts) {
    // labels and the zero-initialization of locals cannot trap: look past them
    if (i.k === "label" || (i.k === "mov" && i.src.k === "c")) continue;
    if (i.k !== "gset" || i.src.k !== "c") break;
    const g = m.globals[i.g]!;
    if (stable.has(i.g) && g.mutable && writes.get(i.g) === 1 && (g.type === "i32" || g.type === "i64")) {
      out.set(i.g, BigInt.asUintN(g.type === "i32" ? 32 : 64, i.src.bits));
    }
  }
  return out;
}

/** Reads of constant globals become moves of the constant (not in the start function). */
export function substituteGlobals(m: Module, fn: LoweredFunc, consts: Map<number, bigint>): void {
  if (consts.size === 0 || fn.index === m.start) return;
  fn.insts = fn.insts.map((i) => {
    if (i.k !== "gget") return i;
    const c = consts.get(i.g);
    const t = m.globals[i.g]!.type;
    return c === undefined || (t !== "i32" && t !== "i64") ? i : { k: "mov", t, dst: i.dst, src: cst(c) };
  });
}
