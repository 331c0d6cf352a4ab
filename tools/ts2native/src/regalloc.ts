// Register allocation for one lowered function: linear scan over live intervals (Poletto &
// Sarkar, "Linear Scan Register Allocation", TOPLAS 1999), one home per interval (no splitting).
//
// - Intervals come from liveness.ts (the hull of the live positions of each vreg).
// - Integer registers: caller-saved rsi rdi r8 r9 r10 and callee-saved rbx r12 r13 r14 rbp;
//   floats: xmm0-xmm13 (all caller-saved in System V). rax rcx rdx r11 xmm14 xmm15 are the
//   emitter's scratch registers and r15 is the memory base (README "Register usage").
// - A value live across a call or a helper sequence (memory.grow, bulk memory/table ops: both
//   clobber caller-saved registers) prefers a callee-saved register; when none is free it takes a
//   caller-saved one that the emitter stores into a frame slot before each such instruction and
//   reloads after it (`saves`). Floats always do that: System V has no callee-saved xmm registers.
// - Values not live across calls prefer caller-saved registers (no push/pop in the prologue).
// - Parameters prefer the register they arrive in; the prologue moves them home in parallel.
// - A destination prefers the register of an operand that dies at its instruction (copies,
//   two-address operations, loads), which saves the copy.
// - When no register is free, the interval with the smallest weight (uses weighted 8x per loop
//   level, divided by the interval's length) among the current one and the active ones of its
//   class goes to a frame slot; frame slots are reused once their interval has ended.

import { callLayout } from "./callconv.ts";
import type { LoweredFunc, Opnd } from "./ir.ts";
import { liveIntervals, type Clobber, type Interval } from "./liveness.ts";
import type { FuncType } from "./module.ts";
import { NUM_OPS } from "./opcodes.ts";

export type Loc = { k: "reg"; reg: string } | { k: "slot"; index: number } | { k: "none" };

/** A caller-saved register whose value lives across a call: stored before it, reloaded after. */
export interface Save {
  reg: string;
  slot: number;
  float: boolean;
}

export interface Allocation {
  locs: Loc[];
  numSlots: number;
  /** callee-saved registers the function uses (to push/pop) */
  saved: string[];
  /** per instruction index (calls and helper sequences): the registers to save around it */
  saves: Map<number, Save[]>;
}

export const CALLEE_SAVED = ["rbx", "r12", "r13", "r14", "rbp"];
const CALLER_SAVED_INT = ["rsi", "rdi", "r8", "r9", "r10"];
const FLOAT_REGS = Array.from({ length: 14 }, (_, i) => `xmm${i}`);
const CALLEE_SET = new Set(CALLEE_SAVED);

/**
 * Positions of the clobbering instructions an interval is live across (sorted clobbers): live
 * before and after, and not written by the instruction (a result is not saved around its call).
 */
function crossed(iv: Interval, clobbers: Clobber[]): number[] {
  let lo = 0;
  let hi = clobbers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (clobbers[mid]!.pos <= iv.start) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let k = lo; k < clobbers.length && clobbers[k]!.pos < iv.end; k++) {
    if (!clobbers[k]!.defs.includes(iv.v)) out.push(clobbers[k]!.pos);
  }
  return out;
}

/**
 * Vregs whose register would suit an instruction's destination best: the source of a copy, the
 * first operand of a two-address operation (or the second, when commutative), a load's address.
 */
const COMMUTATIVE = /\.(add|mul|and|or|xor)$/;

function operandHints(fn: LoweredFunc): Map<number, number[]> {
  const hints = new Map<number, number[]>();
  const add = (dst: number, ...os: (Opnd | null)[]): void => {
    const vs = os.flatMap((o) => (o && o.k === "v" && o.v !== dst ? [o.v] : []));
    if (vs.length) hints.set(dst, [...(hints.get(dst) ?? []), ...vs]);
  };
  for (const i of fn.insts) {
    if (i.k === "mov") add(i.dst, i.src);
    else if (i.k === "num") add(i.dst, i.a, COMMUTATIVE.test(NUM_OPS.get(i.op)!.name) ? i.b : null);
    else if (i.k === "load") add(i.dst, i.addr);
    else if (i.k === "lea") add(i.dst, i.base, i.index);
  }
  return hints;
}

export function allocate(fn: LoweredFunc, type: FuncType): Allocation {
  const locs: Loc[] = fn.vregs.map(() => ({ k: "none" }));
  const { intervals, clobbers } = liveIntervals(fn);
  intervals.sort((a, b) => a.start - b.start || a.v - b.v);
  const hint = new Map<number, string>();
  callLayout(type).params.forEach((p, i) => {
    if (p.k === "reg") hint.set(i, p.reg);
  });
  const sameAs = operandHints(fn);

  // spill priority: weighted uses per unit of length, so a long, sparsely used interval is spilled
  // before the short temporaries that would otherwise each need a store and a load
  const weight = (iv: Interval): number => fn.vregs[iv.v]!.weight / (iv.end - iv.start + 2);
  const free = new Set<string>([...CALLER_SAVED_INT, ...CALLEE_SAVED, ...FLOAT_REGS]);
  /** intervals holding a register */
  let active: { iv: Interval; reg: string }[] = [];
  /** intervals holding a frame slot (as home or as save area), to recycle slots */
  let inSlots: { iv: Interval; slot: number }[] = [];
  const freeSlots: number[] = [];
  let numSlots = 0;
  const usedCallee = new Set<string>();
  const saveSlot = new Map<number, number>();

  // A displaced interval started earlier than the current one, so it may overlap intervals whose
  // slots were recycled since: it takes a fresh slot.
  const newSlot = (iv: Interval, fresh: boolean): number => {
    const slot = freeSlots.length && !fresh ? freeSlots.pop()! : numSlots++;
    inSlots.push({ iv, slot });
    return slot;
  };
  const toSlot = (iv: Interval, fresh = false): void => {
    locs[iv.v] = { k: "slot", index: newSlot(iv, fresh) };
    saveSlot.delete(iv.v);
  };
  const take = (iv: Interval, reg: string, crosses: boolean): void => {
    free.delete(reg);
    locs[iv.v] = { k: "reg", reg };
    if (CALLEE_SET.has(reg)) usedCallee.add(reg);
    else if (crosses) saveSlot.set(iv.v, newSlot(iv, false));
    active.push({ iv, reg });
  };

  for (const iv of intervals) {
    // expire what ended before this interval starts
    active = active.filter((a) => {
      if (a.iv.end < iv.start) {
        free.add(a.reg);
        return false;
      }
      return true;
    });
    inSlots = inSlots.filter((s) => {
      if (s.iv.end < iv.start) {
        freeSlots.push(s.slot);
        return false;
      }
      return true;
    });
    const float = fn.vregs[iv.v]!.cls === "float";
    const crosses = crossed(iv, clobbers).length > 0;
    // live across calls: callee-saved first, else a caller-saved register saved around the calls
    const candidates = float ? FLOAT_REGS : crosses ? [...CALLEE_SAVED, ...CALLER_SAVED_INT] : [...CALLER_SAVED_INT, ...CALLEE_SAVED];
    let reg: string | undefined;
    const h = hint.get(iv.v);
    if (h !== undefined && !crosses && free.has(h)) reg = h;
    // the register of an operand that dies here saves the copy of a two-address instruction
    for (const o of sameAs.get(iv.v) ?? []) {
      const l = locs[o]!;
      if (reg === undefined && l.k === "reg" && free.has(l.reg) && candidates.includes(l.reg)) reg = l.reg;
    }
    reg ??= candidates.find((r) => free.has(r));
    if (reg !== undefined) {
      take(iv, reg, crosses);
      continue;
    }
    // no register: spill the lightest of this interval and the active ones of its class
    let victim = -1;
    for (let k = 0; k < active.length; k++) {
      const a = active[k]!;
      if (!candidates.includes(a.reg)) continue;
      if (victim < 0 || weight(a.iv) < weight(active[victim]!.iv)) victim = k;
    }
    if (victim >= 0 && weight(active[victim]!.iv) < weight(iv)) {
      const a = active.splice(victim, 1)[0]!;
      reg = a.reg;
      free.add(reg);
      toSlot(a.iv, true);
      take(iv, reg, crosses);
    } else toSlot(iv);
  }

  const saves = new Map<number, Save[]>();
  for (const iv of intervals) {
    const slot = saveSlot.get(iv.v);
    const l = locs[iv.v]!;
    if (slot === undefined || l.k !== "reg") continue;
    for (const pos of crossed(iv, clobbers)) {
      const at = pos >> 1;
      let list = saves.get(at);
      if (!list) saves.set(at, (list = []));
      list.push({ reg: l.reg, slot, float: fn.vregs[iv.v]!.cls === "float" });
    }
  }
  return { locs, numSlots, saved: CALLEE_SAVED.filter((r) => usedCallee.has(r)), saves };
}
