// Division and remainder by a constant without DIV/IDIV (tens of cycles): multiplication by a
// "magic" reciprocal and shifts (T. Granlund, P. Montgomery, "Division by Invariant Integers
// using Multiplication", PLDI 1994; H. Warren, "Hacker's Delight", 2nd ed., chapter 10).
// Powers of two become shifts and masks (signed: with the bias that rounds toward zero). The
// remainder is n - q*d in the operation's width. A zero divisor and INT_MIN / -1 keep the
// trapping path in emit-int.ts; so do d = -1 and constant dividends.
// Scratch: rax, rdx (the MUL/IMUL pair), r11. The dividend is read from its home (never rax,
// r11, nor rdx: the allocator keeps rdx free around division by a constant, regalloc.ts scratchOf).

import type { FnCtx, Width } from "./emit-ctx.ts";
import type { Opnd } from "./ir.ts";
import { fitsS32, hex64, reg } from "./x86.ts";

interface MagicU {
  m: bigint;
  shift: number;
  /** m needs N+1 bits: q = (t + ((n - t) >> 1)) >> shift with t = mulhi(m, n) */
  add: boolean;
}

/** Unsigned magic for 2 <= d < 2^(N-1), d not a power of two (Granlund-Montgomery §4). */
export function magicUnsigned(d: bigint, N: number): MagicU {
  const one = 1n;
  for (let p = N; p < 2 * N; p++) {
    const P = one << BigInt(p);
    const m = (P + d - one) / d;
    // 2^p <= m*d <= 2^p + 2^(p-N) makes floor(n*m / 2^p) = floor(n/d) for every n < 2^N (Thm 4.2)
    if (m < one << BigInt(N) && m * d - P <= one << BigInt(p - N)) return { m, shift: p - N, add: false };
  }
  let l = 0;
  while (one << BigInt(l) < d) l++;
  const m = ((one << BigInt(N)) * ((one << BigInt(l)) - d)) / d + one;
  return { m, shift: l - 1, add: true };
}

/** Signed magic for 2 <= |d| < 2^(N-1) (Hacker's Delight, Figure 10-1). */
export function magicSigned(d: bigint, N: number): { m: bigint; shift: number } {
  const two = 1n << BigInt(N - 1);
  const ad = d < 0n ? -d : d;
  const t = two + (d < 0n ? 1n : 0n);
  const anc = t - 1n - (t % ad);
  let p = N - 1;
  let q1 = two / anc;
  let r1 = two - q1 * anc;
  let q2 = two / ad;
  let r2 = two - q2 * ad;
  let delta: bigint;
  do {
    p++;
    q1 *= 2n;
    r1 *= 2n;
    if (r1 >= anc) {
      q1++;
      r1 -= anc;
    }
    q2 *= 2n;
    r2 *= 2n;
    if (r2 >= ad) {
      q2++;
      r2 -= ad;
    }
    delta = ad - r2;
  } while (q1 < delta || (q1 === delta && r1 === 0n));
  let m = BigInt.asIntN(N, q2 + 1n);
  if (d < 0n) m = BigInt.asIntN(N, -m);
  return { m, shift: p - N };
}

const isPow2 = (x: bigint): boolean => x > 0n && (x & (x - 1n)) === 0n;
const log2 = (x: bigint): number => x.toString(2).length - 1;

/** Emits n op d for a constant d; returns false when the general path must handle it. */
export function emitDivConst(ctx: FnCtx, name: string, w: Width, dst: number, a: Opnd, dConst: bigint): boolean {
  if (a.k === "c") return false;
  const signed = name.endsWith("_s");
  const isDiv = name.startsWith("div");
  const t = w === 32 ? "i32" : "i64";
  const R = (r: string): string => reg(r, w);
  const n = ctx.intRM(a, w);
  const d = signed ? BigInt.asIntN(w, dConst) : BigInt.asUintN(w, dConst);
  if (d === 0n || d === -1n) return false;
  const result = (r: string): true => {
    ctx.fromReg(dst, r, t);
    return true;
  };
  /** r11 := n - q*d, with q in register `q` (clobbered) */
  const remainder = (q: string): true => {
    if (fitsS32(d)) ctx.ins(`imul ${R(q)}, ${R(q)}, ${BigInt.asIntN(w, d)}`);
    else {
      ctx.ins(`mov r11, ${hex64(d)}`);
      ctx.ins(`imul ${R(q)}, ${R("r11")}`);
    }
    // into the destination register when there is one (it is never q: rax is not allocated, rdx not here)
    const l = ctx.loc(dst);
    const r = l.k === "reg" ? l.reg : "r11";
    if (R(r) !== n) ctx.ins(`mov ${R(r)}, ${n}`);
    ctx.ins(`sub ${R(r)}, ${R(q)}`);
    return result(r);
  };
  if (d === 1n) {
    if (isDiv) ctx.ins(`mov ${R("rax")}, ${n}`);
    else ctx.ins("xor eax, eax");
    return result("rax");
  }
  if (!signed) {
    if (isPow2(d)) {
      ctx.ins(`mov ${R("rax")}, ${n}`);
      if (isDiv) ctx.ins(`shr ${R("rax")}, ${log2(d)}`);
      else if (fitsS32(d - 1n)) ctx.ins(`and ${R("rax")}, ${d - 1n}`);
      else {
        ctx.ins(`mov r11, ${hex64(d - 1n)}`);
        ctx.ins("and rax, r11");
      }
      return result("rax");
    }
    if (d >= 1n << BigInt(w - 1)) {
      // the quotient is 0 or 1
      ctx.ins(w === 32 ? `mov r11d, ${d}` : `mov r11, ${hex64(d)}`);
      ctx.ins("xor eax, eax");
      ctx.ins(`cmp ${n}, ${R("r11")}`);
      ctx.ins("setae al");
      if (isDiv) return result("rax");
      return remainder("rax");
    }
    const mg = magicUnsigned(d, w);
    ctx.ins(w === 32 ? `mov eax, ${mg.m}` : `mov rax, ${hex64(mg.m)}`);
    ctx.ins(`mul ${n}`);
    let q = "rdx";
    if (mg.add) {
      ctx.ins(`mov ${R("rax")}, ${n}`);
      ctx.ins(`sub ${R("rax")}, ${R("rdx")}`);
      ctx.ins(`shr ${R("rax")}, 1`);
      ctx.ins(`add ${R("rax")}, ${R("rdx")}`);
      q = "rax";
    }
    if (mg.shift) ctx.ins(`shr ${R(q)}, ${mg.shift}`);
    return isDiv ? result(q) : remainder(q);
  }
  const ad = d < 0n ? -d : d;
  if (isPow2(ad)) {
    // bias = 2^k - 1 for negative n, 0 otherwise: (n + bias) >> k rounds toward zero
    const k = log2(ad);
    ctx.ins(`mov ${R("rax")}, ${n}`);
    ctx.ins(`mov ${R("rdx")}, ${R("rax")}`);
    ctx.ins(`sar ${R("rdx")}, ${w - 1}`);
    ctx.ins(`shr ${R("rdx")}, ${w - k}`);
    ctx.ins(`add ${R("rdx")}, ${R("rax")}`);
    if (isDiv) {
      ctx.ins(`sar ${R("rdx")}, ${k}`);
      if (d < 0n) ctx.ins(`neg ${R("rdx")}`);
      return result("rdx");
    }
    if (k < 32) ctx.ins(`and ${R("rdx")}, ${-(1n << BigInt(k))}`);
    else {
      ctx.ins(`mov r11, ${hex64(-(1n << BigInt(k)))}`);
      ctx.ins("and rdx, r11");
    }
    ctx.ins(`sub ${R("rax")}, ${R("rdx")}`);
    return result("rax");
  }
  const mg = magicSigned(d, w);
  ctx.ins(w === 32 ? `mov eax, ${mg.m}` : `mov rax, ${hex64(mg.m)}`);
  ctx.ins(`imul ${n}`);
  if (d > 0n && mg.m < 0n) ctx.ins(`add ${R("rdx")}, ${n}`);
  if (d < 0n && mg.m > 0n) ctx.ins(`sub ${R("rdx")}, ${n}`);
  if (mg.shift) ctx.ins(`sar ${R("rdx")}, ${mg.shift}`);
  ctx.ins(`mov ${R("rax")}, ${R("rdx")}`);
  ctx.ins(`shr ${R("rax")}, ${w - 1}`);
  ctx.ins(`add ${R("rdx")}, ${R("rax")}`);
  return isDiv ? result("rdx") : remainder("rdx");
}
