// Memory operands folded into the instructions that use them, on the lowered form. The VMM's
// exit paths count retired instructions, and AssemblyScript's field updates (`this.count++`,
// `this.flags |= F`) and truncated 64-bit fields (`<u32>this.qual`) cost one instruction each
// that x86 can do without:
//
// - `foldWrappedLoads`: `i32.wrap_i64 (i64.load A)` → `i32.load A` (the low half: little-endian,
//   same address). With bounds checks (Linux executables: the guard reservation faults on any byte
//   past the memory), an 8-byte load at the memory's last 4 bytes traps where a 4-byte one does
//   not, so there it folds only when that cannot happen: an address that is a multiple of 8 (the
//   memory size is one of 64 KiB), or a constant one below the memory's initial size (memory does
//   not shrink). Narrower i64 loads read the same bytes as their i32 forms and always fold.
// - `foldReadModifyWrite`: `v = load A; w = v op x; store A, w` (op: add/sub/and/or/xor, v and w
//   used only there) → `op [A], x` (the store carries `rmw`). The low bytes of add/sub/and/or/xor
//   depend only on the operands' low bytes, so narrow loads and stores (i32.load8_u + i32.store8)
//   fold as byte/word operations. The x86 instruction reads before it writes and faults before
//   writing anything, like the load that traps first; in between, only instructions that neither
//   write memory nor trap other than as that load would (other loads: the same trap code, and
//   memory is unchanged in both orders) may stand, and none may redefine the address or x.
//   Those conditions also keep the three in one block: a label or branch between them is not
//   harmless. It runs inside loadfold.ts's `foldMemoryOperands`, which shares the counts.

import type { Inst, LoweredFunc, Opnd } from "./ir.ts";
import { forEachDef, forEachUse } from "./liveness.ts";
import { MEM_OPS, NUM_OPS } from "./opcodes.ts";

/** The NUM_OPS opcodes whose names match (sets: no regular expression per instruction). */
export function opsNamed(re: RegExp): ReadonlySet<number> {
  return new Set([...NUM_OPS].filter(([, o]) => re.test(o.name)).map(([op]) => op));
}

const I32_WRAP_I64 = 0xa7;
/** an i64 load and its i32 form reading the same bytes (i64.load: 8 bytes → the low 4) */
const WRAPPED: ReadonlyMap<number, number> = new Map([
  [0x29, 0x28], [0x34, 0x28], [0x35, 0x28], [0x30, 0x2c], [0x31, 0x2d], [0x32, 0x2e], [0x33, 0x2f],
]);
const I64_LOAD = 0x29;
const RMW_OPS = opsNamed(/^i(32|64)\.(add|sub|and|or|xor)$/);
const COMMUTATIVE = opsNamed(/^i(32|64)\.(add|and|or|xor)$/);
const TRAPPING = opsNamed(/\.(div_[su]|rem_[su]|trunc_f(32|64)_[su])$/);
const MAX_SPAN = 64;

export interface Counts {
  defs: Int32Array;
  uses: Int32Array;
  /** the index of a vreg's (last) definition */
  at: Int32Array;
}

export function counts(fn: LoweredFunc): Counts {
  const defs = new Int32Array(fn.vregs.length);
  const uses = new Int32Array(fn.vregs.length);
  const at = new Int32Array(fn.vregs.length).fill(-1);
  let n = 0;
  const onDef = (v: number): void => {
    defs[v]!++;
    at[v] = n;
  };
  const onUse = (v: number): void => void uses[v]!++;
  for (; n < fn.insts.length; n++) {
    forEachDef(fn.insts[n]!, onDef);
    forEachUse(fn.insts[n]!, onUse);
  }
  return { defs, uses, at };
}

/** v is defined once, by an instruction of the function (not a parameter), and read `n` times */
export function single(c: Counts, fn: LoweredFunc, v: number, n = 1): boolean {
  return v >= fn.numParams && c.defs[v] === 1 && c.uses[v] === n;
}

/**
 * `checked`: out-of-bounds accesses must trap (Linux target); `minBytes`: the memory's initial
 * size in bytes (no access below it traps).
 */
export function foldWrappedLoads(fn: LoweredFunc, checked: boolean, minBytes: number): void {
  if (!fn.insts.some((i) => i.k === "num" && i.op === I32_WRAP_I64)) return;
  const c = counts(fn);
  // vregs read only by wraps, with the number of those wraps
  const wraps = new Int32Array(fn.vregs.length);
  for (const i of fn.insts) if (i.k === "num" && i.op === I32_WRAP_I64 && i.a.k === "v") wraps[i.a.v]!++;
  const folded = new Set<number>();
  fn.insts.forEach((i, n) => {
    if (i.k !== "load") return;
    const to = WRAPPED.get(i.op);
    if (to === undefined || wraps[i.dst] === 0 || !single(c, fn, i.dst, wraps[i.dst]!)) return;
    if (checked && i.op === I64_LOAD && !noHighTrap(i, minBytes)) return;
    fn.insts[n] = { ...i, op: to };
    folded.add(i.dst);
  });
  if (folded.size === 0) return;
  // the value is the zero-extended i32 now: each wrap becomes a copy (coalesced by the allocator)
  fn.insts.forEach((i, n) => {
    if (i.k === "num" && i.op === I32_WRAP_I64 && i.a.k === "v" && folded.has(i.a.v)) fn.insts[n] = { k: "mov", t: "i32", dst: i.dst, src: i.a };
  });
}

/** An 8-byte load at this address traps only if its first 4 bytes are out of bounds too. */
function noHighTrap(i: Inst & { k: "load" }, minBytes: number): boolean {
  if (i.addr.k === "c") return Number(BigInt.asUintN(32, i.addr.bits)) * (i.scale ?? 1) + i.offset + 8 <= minBytes;
  // addr*8 + 8k is a multiple of 8; the memory size is a multiple of 8 too
  return i.scale !== undefined && i.scale % 8 === 0 && i.offset % 8 === 0;
}

export const sameOpnd = (a: Opnd, b: Opnd): boolean => (a.k === "v" ? b.k === "v" && a.v === b.v : b.k === "c" && a.bits === b.bits);

/** Neither writes memory nor traps otherwise than a load does (see the header). */
function harmless(i: Inst): boolean {
  switch (i.k) {
    case "mov": case "lea": case "setcc": case "select": case "gget": case "load": return true;
    case "num": return !TRAPPING.has(i.op);
    default: return false;
  }
}

/**
 * Marks read-modify-writes: the store gets `rmw` and x; the load and the operation go in `gone`
 * (the caller removes them). `c`: counts before any folding (never lower than the truth).
 */
export function foldReadModifyWrite(fn: LoweredFunc, c: Counts, gone: Set<number>): void {
  const insts = fn.insts;
  for (let s = 0; s < insts.length; s++) {
    const st = insts[s]!;
    if (st.k !== "store" || st.rmw !== undefined || st.val.k !== "v" || !single(c, fn, st.val.v)) continue;
    const sop = MEM_OPS.get(st.op)!;
    if (sop.type !== "i32" && sop.type !== "i64") continue;
    const nIdx = defIn(c, st.val.v, 0, s);
    const num = nIdx < 0 ? null : insts[nIdx]!;
    if (!num || num.k !== "num" || !num.b || num.narrow || !RMW_OPS.has(num.op)) continue;
    // v: the loaded operand; x: the other one
    let v = num.a;
    let x: Opnd = num.b;
    if (!loadedBy(insts, c, fn, v, nIdx) && COMMUTATIVE.has(num.op) && loadedBy(insts, c, fn, x, nIdx)) [v, x] = [x, v];
    if (!loadedBy(insts, c, fn, v, nIdx) || v.k !== "v" || sameOpnd(v, x)) continue;
    const lIdx = c.at[v.v]!;
    const ld = insts[lIdx] as Inst & { k: "load" };
    if (MEM_OPS.get(ld.op)!.bytes !== sop.bytes || !sameOpnd(ld.addr, st.addr) || ld.offset !== st.offset || ld.scale !== st.scale) continue;
    if (!clear(insts, lIdx, nIdx, s, st.addr, x)) continue;
    insts[s] = { ...st, val: x, rmw: num.op };
    gone.add(lIdx).add(nIdx);
  }
}

/** o is a value loaded once, read once, before instruction n. */
function loadedBy(insts: Inst[], c: Counts, fn: LoweredFunc, o: Opnd, n: number): boolean {
  return o.k === "v" && single(c, fn, o.v) && insts[defIn(c, o.v, 0, n)]?.k === "load";
}

/** The index of the definition of single-definition vreg v if it is in [first, before), or -1. */
export function defIn(c: Counts, v: number, first: number, before: number): number {
  const n = c.at[v]!;
  return n >= first && n < before ? n : -1;
}

/**
 * Between the load (l) and the instruction that takes its place (s): only harmless instructions
 * besides the operation (n), the address not redefined, and x (if any) not redefined after the
 * operation read it.
 */
export function clear(insts: Inst[], l: number, n: number, s: number, addr: Opnd, x: Opnd | null): boolean {
  // (a bound on the scan: the pairs worth folding are close together)
  if (s - l > MAX_SPAN) return false;
  for (let k = l + 1; k < s; k++) {
    if (k === n) continue;
    const i = insts[k]!;
    if (!harmless(i)) return false;
    let bad = false;
    forEachDef(i, (d) => (bad ||= (addr.k === "v" && d === addr.v) || (k > n && x?.k === "v" && d === x.v)));
    if (bad) return false;
  }
  return true;
}
