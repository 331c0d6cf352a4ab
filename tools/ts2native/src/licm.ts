// Loop-invariant code motion on the lowered form (after splitWebs, before allocation).
//
// A loop is a label with branches back to it; its span runs to the last such branch. Wasm's
// structured control flow enters a loop only by falling into its label (every branch to it comes
// from inside), so code placed right before the label runs once per entry: the preheader. Spans
// that other code jumps into (the body label of a rotated loop, see jumps.ts) are skipped.
// An instruction moves there when
// - it is a pure, non-trapping numeric operation (no integer div/rem, no trapping float->int
//   truncation) or an LEA, whose vreg operands are not written inside the loop (or were moved out), or a
//   read of a "stable" global (one that only the start function writes: it cannot change while
//   any other code runs, on any CPU) that the loop does not write;
// - its destination has this one definition in the whole function and is not a parameter: such
//   vregs (block-local values, see webs.ts) are read only after their definition, so computing
//   the value earlier, even on a path that would not have, changes nothing but timing.
// Outer loops are processed first, so a value invariant in a loop nest leaves the whole nest.
// Equal computations moved to the same preheader are computed once (the others become aliases).

import type { Inst, LoweredFunc, Opnd } from "./ir.ts";
import { forEachDef } from "./liveness.ts";
import { NUM_OPS } from "./opcodes.ts";
import { mapUses } from "./webs.ts";
import { fitsS32 } from "./x86.ts";

const TRAPPING = /\.(div_[su]|rem_[su]|trunc_f(32|64)_[su])$/;

export function hoistInvariants(fn: LoweredFunc, stableGlobal: (g: number) => boolean): void {
  const insts = fn.insts;
  const labelAt = new Array<number>(fn.numLabels).fill(-1);
  insts.forEach((i, n) => {
    if (i.k === "label") labelAt[i.id] = n;
  });
  const loopEnd = new Map<number, number>();
  const back = (n: number, target: number): void => {
    const h = labelAt[target]!;
    if (h >= 0 && h <= n) loopEnd.set(h, Math.max(loopEnd.get(h) ?? h, n));
  };
  insts.forEach((i, n) => {
    if (i.k === "jmp" || i.k === "jcc") back(n, i.target);
    else if (i.k === "brtable") i.targets.forEach((t) => back(n, t));
  });
  if (loopEnd.size === 0) return;
  // Spans that overlap without nesting belong to one loop (a rotated loop's head label and its
  // body label, see jumps.ts): extend each span over every span that starts inside it.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [h, e] of loopEnd) {
      for (const [h2, e2] of loopEnd) {
        if (h < h2 && h2 <= e && e2 > e) {
          loopEnd.set(h, e2);
          changed = true;
          break;
        }
      }
    }
  }
  const defsOf = new Map<number, number[]>();
  insts.forEach((i, n) =>
    forEachDef(i, (v) => {
      const l = defsOf.get(v);
      if (l) l.push(n);
      else defsOf.set(v, [n]);
    }),
  );

  const moved = new Set<number>(); // instruction positions moved out
  const alias = new Map<number, number>(); // vreg -> the vreg of the same hoisted computation
  const movedVreg = new Set<number>();
  const preheader = new Map<number, Inst[]>();
  // A preheader is valid only if the loop is entered by falling into its label: no branch from
  // outside [h, e] may target a label inside it (a rotated loop's body label, say, is also
  // entered by its head's test jumping past it).
  const branches: [number, number[]][] = [];
  insts.forEach((i, n) => {
    if (i.k === "jmp" || i.k === "jcc") branches.push([n, [labelAt[i.target]!]]);
    else if (i.k === "brtable") branches.push([n, i.targets.map((t) => labelAt[t]!)]);
  });
  const enteredOnlyAtTop = (h: number, e: number): boolean =>
    branches.every(([n, ts]) => (n >= h && n <= e) || ts.every((t) => t < h || t > e));
  for (const [h, e] of [...loopEnd].sort((a, b) => a[0] - b[0])) {
    if (!enteredOnlyAtTop(h, e)) continue;
    const writesGlobal = new Set<number>();
    for (let n = h; n <= e; n++) {
      const i = insts[n]!;
      if (i.k === "gset") writesGlobal.add(i.g);
    }
    const invariant = (o: Opnd | null): boolean => {
      if (!o || o.k === "c" || movedVreg.has(o.v)) return true;
      return !(defsOf.get(o.v) ?? []).some((d) => d >= h && d <= e && !moved.has(d));
    };
    const hoisted: Inst[] = [];
    /** hoisted computations of this preheader by what they compute, for reuse */
    const same = new Map<string, number>();
    for (let n = h; n <= e; n++) {
      if (moved.has(n)) continue;
      const i = insts[n]!;
      let ok = false;
      if (i.k === "gget") ok = stableGlobal(i.g) && !writesGlobal.has(i.g);
      else if (i.k === "num") ok = !TRAPPING.test(NUM_OPS.get(i.op)!.name) && invariant(i.a) && invariant(i.b);
      else if (i.k === "lea") ok = invariant(i.base) && invariant(i.index);
      if (!ok || (i.k !== "gget" && i.k !== "num" && i.k !== "lea") || i.dst < fn.numParams || defsOf.get(i.dst)?.length !== 1) continue;
      moved.add(n);
      movedVreg.add(i.dst);
      const key =
        i.k === "gget" ? `g${i.g}`
        : i.k === "lea" ? `l${i.t},${i.base ? opndKey(i.base, alias) : ""},${opndKey(i.index, alias)},${i.scale},${i.disp}`
        : `n${i.op},${opndKey(i.a, alias)},${i.b ? opndKey(i.b, alias) : ""}`;
      const prev = same.get(key);
      if (prev !== undefined) alias.set(i.dst, prev);
      else {
        same.set(key, i.dst);
        hoisted.push(i);
      }
    }
    const innermost = ![...loopEnd].some(([h2, e2]) => h2 > h && e2 <= e);
    if (innermost) hoistConstants(fn, insts, h, e, hoisted);
    if (hoisted.length) preheader.set(h, hoisted);
  }
  if (moved.size === 0 && preheader.size === 0) return;
  const out: Inst[] = [];
  const rename = (v: number): number => alias.get(v) ?? v;
  insts.forEach((i, n) => {
    for (const x of preheader.get(n) ?? []) out.push(alias.size ? mapUses(x, rename) : x);
    if (!moved.has(n)) out.push(alias.size ? mapUses(i, rename) : i);
  });
  fn.insts = out;
}

function opndKey(o: Opnd, alias: Map<number, number>): string {
  return o.k === "c" ? `c${o.bits}` : `v${alias.get(o.v) ?? o.v}`;
}

/** Whether an operand is a 64-bit constant that no instruction can take as an immediate. */
function wide(o: Opnd | null, t: string): o is Opnd & { k: "c" } {
  return o !== null && o.k === "c" && t === "i64" && !fitsS32(o.bits);
}

/**
 * 64-bit constants that no immediate can hold (address masks like 0x000ffffffffff000) are loaded
 * with a 10-byte MOVABS at every use; used twice or more in an innermost loop, one load in the
 * preheader into a vreg serves them all (the allocator keeps it in a register or, under
 * pressure, the uses read its frame slot).
 */
function hoistConstants(fn: LoweredFunc, insts: Inst[], h: number, e: number, hoisted: Inst[]): void {
  const count = new Map<bigint, number>();
  const seen = (bits: bigint): void => void count.set(bits, (count.get(bits) ?? 0) + 1);
  for (let n = h; n <= e; n++) {
    const i = insts[n]!;
    if (i.k === "num" && wide(i.b, NUM_OPS.get(i.op)!.params[1] ?? "")) seen(i.b.bits);
    else if ((i.k === "jcc" || i.k === "setcc" || i.k === "select") && wide(i.cond.b, i.cond.t)) seen(i.cond.b.bits);
  }
  const vreg = new Map<bigint, number>();
  for (const [bits, c] of count) {
    if (c < 2) continue;
    const v = fn.vregs.length;
    fn.vregs.push({ cls: "int" });
    vreg.set(bits, v);
    hoisted.push({ k: "mov", t: "i64", dst: v, src: { k: "c", bits } });
  }
  if (vreg.size === 0) return;
  const sub = (o: Opnd): Opnd => (o.k === "c" && vreg.has(o.bits) ? { k: "v", v: vreg.get(o.bits)! } : o);
  for (let n = h; n <= e; n++) {
    const i = insts[n]!;
    if (i.k === "num" && wide(i.b, NUM_OPS.get(i.op)!.params[1] ?? "")) insts[n] = { ...i, b: sub(i.b!) };
    else if ((i.k === "jcc" || i.k === "setcc" || i.k === "select") && wide(i.cond.b, i.cond.t)) insts[n] = { ...i, cond: { ...i.cond, b: sub(i.cond.b) } };
  }
}
