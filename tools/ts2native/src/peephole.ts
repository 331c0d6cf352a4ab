// Peephole rewrites on the lowered form (after splitWebs: temporaries have one definition).
// - Add trees of temporaries (a + (b << 2) + 16, x*9 + 3, ...) become one LEA, which wraps like
//   the adds.
// - A right shift of a masked i64 masks after the shift, when only then the mask fits an imm32.
// - i32.wrap_i64 of a value below 2^32 (masked, shifted right, loaded narrow) is a copy.
// - Rotates written as shifts: (x << c) | (x >>> (w - c)) — also with ^ or +, as the two shifted
//   parts have no bit in common — is rotl(x, c): one ROL instead of two copies, two shifts and an
//   OR. asc and binaryen leave the pattern as written; the source is often a hand-written rotr.

import { cst, type Inst, type LoweredFunc, type Opnd } from "./ir.ts";
import { forEachDef, forEachUse } from "./liveness.ts";
import { MEM_OPS, NUM_OPS } from "./opcodes.ts";

// opcodes (Core Specification §5.4.7): i32.shl 0x74, i32.shr_u 0x76, i32.rotl 0x77, i64 +0x12
const I32 = { add: 0x6a, mul: 0x6c, or: 0x72, xor: 0x73, shl: 0x74, shrU: 0x76, rotl: 0x77 };
const I64 = { add: 0x7c, mul: 0x7e, and: 0x83, or: 0x84, xor: 0x85, shl: 0x86, shrU: 0x88, rotl: 0x89 };
const I64_SHR_U = I64.shrU;
const I32_WRAP_I64 = 0xa7;
const I64_EXTEND_I32_U = 0xad;

export function peephole(fn: LoweredFunc): void {
  const insts = fn.insts;
  const defAt = new Map<number, number>();
  const defCount = new Map<number, number>();
  const useCount = new Map<number, number>();
  insts.forEach((i, n) => {
    forEachDef(i, (v) => {
      defAt.set(v, n);
      defCount.set(v, (defCount.get(v) ?? 0) + 1);
    });
    forEachUse(i, (v) => useCount.set(v, (useCount.get(v) ?? 0) + 1));
  });
  const removed = new Set<number>();
  /** The `v op constant` defining vreg operand o (its only definition, read only here), or null. */
  const constOpOf = (o: Opnd, n: number): (Inst & { k: "num" }) | null => {
    if (o.k !== "v" || defCount.get(o.v) !== 1 || useCount.get(o.v) !== 1) return null;
    const at = defAt.get(o.v)!;
    const i = insts[at]!;
    return at < n && i.k === "num" && i.b?.k === "c" && i.a.k === "v" ? i : null;
  };
  /** Whether vreg x is written by no instruction in (from, to). */
  const unchanged = (x: number, from: number, to: number): boolean => {
    for (let k = from + 1; k < to; k++) {
      let hit = false;
      forEachDef(insts[k]!, (v) => (hit ||= v === x));
      if (hit) return false;
    }
    return true;
  };
  insts.forEach((i, n) => {
    if (i.k !== "num" || !i.b) return;
    const ops = i.op === I32.or || i.op === I32.xor || i.op === I32.add ? I32 : i.op === I64.or || i.op === I64.xor || i.op === I64.add ? I64 : null;
    if (!ops) return;
    const w = ops === I32 ? 32n : 64n;
    const sa = constOpOf(i.a, n);
    const sb = constOpOf(i.b, n);
    if (!sa || !sb) return;
    const [l, r] = sa.op === ops.shrU && sb.op === ops.shl ? [sb, sa] : [sa, sb];
    if (l.op !== ops.shl || r.op !== ops.shrU || l.a.k !== "v" || r.a.k !== "v" || l.a.v !== r.a.v) return;
    const c1 = (l.b as { bits: bigint }).bits & (w - 1n);
    const c2 = (r.b as { bits: bigint }).bits & (w - 1n);
    if (c1 === 0n || c1 + c2 !== w) return;
    const x = l.a.v;
    const first = Math.min(defAt.get((i.a as { v: number }).v)!, defAt.get((i.b as { v: number }).v)!);
    if (!unchanged(x, first, n)) return;
    removed.add(defAt.get((i.a as { v: number }).v)!);
    removed.add(defAt.get((i.b as { v: number }).v)!);
    insts[n] = { k: "num", op: ops.rotl, dst: i.dst, a: { k: "v", v: x }, b: cst(c1) };
  });
  // (x & C) >> k is (x >> k) & (C >> k) (a logical shift right distributes over AND): for a
  // field mask C no immediate holds (`(e & 0x30000000000000) >> 52`, an EPT entry's memory type),
  // the mask after the shift fits one and saves a MOVABS
  insts.forEach((i, n) => {
    if (i.k !== "num" || i.op !== I64_SHR_U || i.b?.k !== "c" || i.a.k !== "v") return;
    const m = constOpOf(i.a, n);
    if (!m || m.op !== I64.and || m.a.k !== "v" || m.b?.k !== "c") return;
    const k = i.b.bits & 63n;
    const c = BigInt.asUintN(64, m.b.bits);
    const at = defAt.get(i.a.v)!;
    if (c < 1n << 31n || c >> k >= 1n << 31n || !unchanged(m.a.v, at, n)) return;
    insts[at] = { k: "num", op: I64_SHR_U, dst: m.dst, a: m.a, b: cst(k) };
    insts[n] = { k: "num", op: I64.and, dst: i.dst, a: i.a, b: cst(c >> k) };
  });
  // i32.wrap_i64 of a value whose upper half is known zero is a copy (the emitter's wrap clears
  // the upper half even in place: `mov ebx, ebx` after `shr rbx, 52; and rbx, 3`)
  const small = (o: Opnd, depth: number): boolean => {
    if (o.k === "c") return BigInt.asUintN(64, o.bits) < 1n << 32n;
    if (defCount.get(o.v) !== 1 || depth > 4) return false;
    const d = insts[defAt.get(o.v)!]!;
    if (d.k === "load") return MEM_OPS.get(d.op)!.type === "i64" && MEM_OPS.get(d.op)!.bytes < 8 && !MEM_OPS.get(d.op)!.signed;
    if (d.k === "mov") return d.t === "i32" || (d.t === "i64" && small(d.src, depth + 1));
    if (d.k !== "num") return false;
    const info = NUM_OPS.get(d.op)!;
    if (info.result === "i32" || d.op === I64_EXTEND_I32_U) return true;
    if (d.op === I64.and) return small(d.a, depth + 1) || small(d.b!, depth + 1);
    if (d.op === I64_SHR_U) return (d.b!.k === "c" && (d.b!.bits & 63n) >= 32n) || small(d.a, depth + 1);
    return false;
  };
  insts.forEach((i, n) => {
    if (i.k === "num" && i.op === I32_WRAP_I64 && small(i.a, 0)) insts[n] = { k: "mov", t: "i32", dst: i.dst, src: i.a };
  });
  // outermost adds first (they come last), so a tree is taken whole
  for (let n = insts.length - 1; n >= 0; n--) {
    const i = insts[n]!;
    if (i.k !== "num" || !i.b || (i.op !== I32.add && i.op !== I64.add) || removed.has(n)) continue;
    const lea = addressOf(i, n);
    if (lea) insts[n] = lea;
  }
  if (removed.size) fn.insts = insts.filter((_, n) => !removed.has(n));

  /**
   * An add tree (adds, shifts by 1..3, constants; inner nodes single-use temporaries whose
   * operands do not change before `n`) as one LEA: base + index*scale + disp. Only when it
   * absorbs at least one instruction (a lone add is the emitter's job).
   */
  function addressOf(root: Inst & { k: "num" }, n: number): Inst | null {
    const ops = root.op === I32.add ? I32 : I64;
    const w = ops === I32 ? 32 : 64;
    const regs: { o: Opnd; scale: number }[] = [];
    let disp = 0n;
    const consumed: number[] = [];
    const inner = (o: Opnd): (Inst & { k: "num" }) | null => {
      if (o.k !== "v" || defCount.get(o.v) !== 1 || useCount.get(o.v) !== 1) return null;
      const at = defAt.get(o.v)!;
      const d = insts[at]!;
      if (at >= n || removed.has(at) || d.k !== "num" || !d.b) return null;
      const reads = [d.a, d.b].flatMap((x) => (x.k === "v" ? [x.v] : []));
      return reads.every((x) => unchanged(x, at, n)) ? d : null;
    };
    const walk = (o: Opnd, depth: number): void => {
      if (o.k === "c") {
        disp += o.bits;
        return;
      }
      const d = depth < 3 ? inner(o) : null;
      if (d && d.op === ops.add) {
        consumed.push(defAt.get(o.v)!);
        walk(d.a, depth + 1);
        walk(d.b!, depth + 1);
        return;
      }
      if (d && d.op === ops.shl && d.b!.k === "c" && d.a.k === "v") {
        const k = Number(d.b!.bits & BigInt(w - 1));
        if (k >= 1 && k <= 3) {
          consumed.push(defAt.get(o.v)!);
          // (x + c) << k is (x << k) + (c << k) in modular arithmetic: `a[i + 1]`
          const s = depth < 3 ? inner(d.a) : null;
          if (s && s.op === ops.add && s.a.k === "v" && s.b!.k === "c") {
            consumed.push(defAt.get(d.a.v)!);
            regs.push({ o: s.a, scale: 1 << k });
            disp += s.b!.bits << BigInt(k);
            return;
          }
          regs.push({ o: d.a, scale: 1 << k });
          return;
        }
      }
      // x * 2|4|8 is a scaled index; x * 3|5|9 is x + x*2|4|8
      if (d && d.op === ops.mul && d.b!.k === "c" && d.a.k === "v") {
        const c = Number(BigInt.asUintN(w, d.b!.bits) & 0xfn);
        if (BigInt.asUintN(w, d.b!.bits) === BigInt(c) && [2, 3, 4, 5, 8, 9].includes(c)) {
          consumed.push(defAt.get(o.v)!);
          if (c & 1) regs.push({ o: d.a, scale: 1 });
          regs.push({ o: d.a, scale: c & ~1 });
          return;
        }
      }
      regs.push({ o, scale: 1 });
    };
    walk(root.a, 0);
    walk(root.b!, 0);
    const scaled = regs.filter((r) => r.scale > 1);
    const d = BigInt.asIntN(w, disp);
    if (d < -(1n << 31n) || d >= 1n << 31n) return null;
    const t = ops === I32 ? "i32" : "i64";
    if (consumed.length === 0 || regs.length === 0 || regs.length > 2 || scaled.length > 1) return null;
    const index = scaled[0] ?? regs[regs.length - 1]!;
    const base = regs.find((r) => r !== index) ?? null;
    for (const at of consumed) removed.add(at);
    return { k: "lea", t, dst: root.dst, base: base ? base.o : null, index: index.o, scale: index.scale, disp: d };
  }
}
