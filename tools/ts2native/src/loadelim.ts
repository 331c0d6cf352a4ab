// Redundant load elimination on the lowered form (after addrfold.ts: addresses are final). A load
// from the address a store just wrote, or a load just read, becomes a copy of that value:
// AssemblyScript writes a struct's fields and reads them back (`out.perms = ...` in an inlined
// callee, `out.perms` in the caller), and reads `this.field` again and again. Memory is this
// module's alone, so only its own stores, bulk operations and calls change it.
//
// Known values live through a block and into a block whose only way in is from a block already
// seen (the branch targets of an if, a block reached by a single jump): an extended basic block.
// A store forgets what it may overlap: the same base and scale with intersecting bytes, or any
// other base (another pointer may alias). Writing the base or the value's vreg forgets it too.
// A load at an address known to have been read or written does not trap either (memory does not
// shrink), so removing it keeps the traps.

import { cst, type Inst, type LoweredFunc, type Opnd } from "./ir.ts";
import { buildBlocks } from "./liveness.ts";
import type { NumType } from "./module.ts";
import { MEM_OPS } from "./opcodes.ts";

const I32_AND = 0x71;
const I64_AND = 0x83;
const I32_WRAP_I64 = 0xa7;
const I64_EXTEND_I32_S = 0xac;
const I64_EXTEND_I32_U = 0xad;
/** sign extension of the low 1, 2 or 4 bytes, by type: i32.extend8_s ... i64.extend32_s */
const EXTEND_S: Record<string, number> = { "i32/1": 0xc0, "i32/2": 0xc1, "i64/1": 0xc2, "i64/2": 0xc3, "i64/4": 0xc4 };
const WIDTH: Record<NumType, number> = { i32: 4, i64: 8, f32: 4, f64: 8 };
/** instructions that do not write memory: known values stay (but not what they write) */
const PURE = new Set(["mov", "num", "setcc", "lea", "select", "gget", "gset", "label", "jmp", "jcc", "brtable", "ret", "trap"]);

interface Known {
  /** address: base vreg (null: a constant address, in `off`), scale, byte range */
  base: number | null;
  scale: number;
  off: number;
  bytes: number;
  /** what reading it gives: the value stored or the vreg loaded, as memory op `op` */
  op: number;
  val: Opnd;
}

export function eliminateLoads(fn: LoweredFunc): void {
  const insts = fn.insts;
  if (!insts.some((i) => i.k === "load")) return;
  const blocks = buildBlocks(insts, fn.numLabels);
  const preds = new Int32Array(blocks.length);
  const single = new Int32Array(blocks.length).fill(-1);
  blocks.forEach((b, k) =>
    b.succ.forEach((s) => {
      preds[s]!++;
      single[s] = k;
    }),
  );
  const outs: (Known[] | null)[] = blocks.map(() => null);
  const replaced = new Map<number, Inst[]>();
  const tmp = (): number => fn.vregs.push({ cls: "int" }) - 1;
  /** Drops what mentions vreg v (as base or value), in place. */
  const forget = (known: Known[], v: number): void => {
    for (let j = known.length - 1; j >= 0; j--) {
      const e = known[j]!;
      if (e.base === v || (e.val.k === "v" && e.val.v === v)) known.splice(j, 1);
    }
  };
  blocks.forEach((b, k) => {
    const p = single[k]!;
    let known: Known[] = k > 0 && preds[k] === 1 && p < k && outs[p] ? outs[p]!.slice() : [];
    for (let n = b.first; n <= b.last; n++) {
      const i = insts[n]!;
      if (i.k === "load") {
        const a = addressOf(i);
        let hit: Known | null = null;
        for (const e of known) if (a && e.base === a.base && e.scale === a.scale && e.off === a.off) hit = e;
        const rep = hit ? reuse(hit, i, tmp) : null;
        forget(known, i.dst);
        if (rep) replaced.set(n, rep);
        else if (a && a.base !== i.dst) known.push({ ...a, op: i.op, val: { k: "v", v: i.dst } });
      } else if (i.k === "store") {
        const a = addressOf(i);
        known = a ? known.filter((e) => e.base === a.base && e.scale === a.scale && (e.off + e.bytes <= a.off || a.off + a.bytes <= e.off)) : [];
        if (a) known.push({ ...a, op: i.op, val: i.val });
      } else if (PURE.has(i.k)) {
        // their one definition, if any, is `dst`
        const d = (i as { dst?: number }).dst;
        if (d !== undefined && known.length > 0) forget(known, d);
      } else known = []; // calls, bulk memory, atomics: anything may have changed
      // a long straight run keeps the most recent (the search is linear)
      if (known.length > 32) known.shift();
    }
    outs[k] = known;
  });
  if (replaced.size) fn.insts = insts.flatMap((i, n) => replaced.get(n) ?? [i]);
}

/** A load's or store's address as base, scale and offset; null when the offset is out of reach. */
function addressOf(i: Inst & { k: "load" | "store" }): Omit<Known, "op" | "val"> | null {
  const bytes = MEM_OPS.get(i.op)!.bytes;
  const scale = i.scale ?? 1;
  if (i.addr.k === "c") {
    const off = Number(BigInt.asUintN(32, i.addr.bits)) * scale + i.offset;
    return { base: null, scale: 1, off, bytes };
  }
  return { base: i.addr.v, scale, off: i.offset, bytes };
}

/**
 * Load i as a copy of what e knows, when the same bytes are read: a load again, a store read back
 * whole, or a store of the low bytes of a value read back zero- or sign-extended (one operation on
 * the stored value; `tmp` makes a vreg for the two-step i64.store32 read as i64.load32_u).
 */
function reuse(e: Known, i: Inst & { k: "load" }, tmp: () => number): Inst[] | null {
  const from = MEM_OPS.get(e.op)!;
  const to = MEM_OPS.get(i.op)!;
  if (from.bytes !== to.bytes) return null;
  const bits = BigInt(8 * to.bytes);
  const v = e.val;
  const num = (op: number, b: Opnd | null = null, dst = i.dst, a: Opnd = v): Inst => ({ k: "num", op, dst, a, b });
  if (v.k === "c") {
    // a stored constant: what the load would read
    if (!from.store && e.op !== i.op) return null;
    const c = to.signed ? BigInt.asIntN(Number(bits), v.bits) : BigInt.asUintN(Number(bits), v.bits);
    return [{ k: "mov", t: to.type, dst: i.dst, src: cst(BigInt.asUintN(8 * WIDTH[to.type], c)) }];
  }
  if (e.op === i.op || (from.store && from.type === to.type && WIDTH[to.type] === to.bytes)) return [{ k: "mov", t: to.type, dst: i.dst, src: v }];
  if (!from.store) return null;
  if (from.type === "i32" && to.type === "i64" && to.bytes === 4) return [num(to.signed ? I64_EXTEND_I32_S : I64_EXTEND_I32_U)];
  if (from.type === "i64" && to.type === "i32" && to.bytes === 4) return [num(I32_WRAP_I64)];
  if (from.type !== to.type) return null;
  if (to.signed) return [num(EXTEND_S[`${to.type}/${to.bytes}`]!)];
  if (to.bytes < 4) return [num(to.type === "i32" ? I32_AND : I64_AND, cst((1n << bits) - 1n))];
  const t = tmp();
  return [num(I32_WRAP_I64, null, t), num(I64_EXTEND_I32_U, null, i.dst, { k: "v", v: t })];
}
