// Integer numeric instructions (Core Specification §4.3.2 "Integer Operations").
// i32 values are kept zero-extended in 64-bit registers: 32-bit x86 operations write the
// register's upper half with zeros (Intel SDM Vol. 1 §3.4.1.1), which gives wasm's wrap-around
// for free. Shift and rotate counts are masked by the hardware to 5/6 bits, as wasm requires.
// clz/ctz/popcnt avoid LZCNT/TZCNT/POPCNT (not in baseline x86-64): BSR/BSF with CMOV for the
// zero input, and a SWAR population count.

import { widthOf, type FnCtx, type Width } from "./emit-ctx.ts";
import { effAddr } from "./emit-mem.ts";
import type { Inst, MemRef, Opnd } from "./ir.ts";
import { NUM_OPS } from "./opcodes.ts";
import { emitDivConst } from "./emit-divconst.ts";
import { fitsS32, reg } from "./x86.ts";

const ALU: Record<string, [string, boolean]> = {
  add: ["add", true], sub: ["sub", false], mul: ["imul", true], and: ["and", true], or: ["or", true], xor: ["xor", true],
};
const SHIFT: Record<string, string> = { shl: "shl", shr_s: "sar", shr_u: "shr", rotl: "rol", rotr: "ror" };

export function emitIntNum(ctx: FnCtx, i: Inst & { k: "num" }): boolean {
  const info = NUM_OPS.get(i.op)!;
  const name = info.name.slice(4);
  const t = info.result;
  if (t !== "i32" && t !== "i64") return false;
  if (info.params[0] !== "i32" && info.params[0] !== "i64") return false;
  const w = widthOf(t);
  const alu = ALU[name];
  if (i.mem) return memSource(ctx, alu![0], w, i.dst, i.a, i.b!, i.mem), true;
  // a constant first operand of a commutative operation goes second (imm forms, LEA a+c)
  if (alu?.[1] && i.b && i.a.k === "c" && i.b.k !== "c") i = { ...i, a: i.b, b: i.a };
  if (i.narrow && i.b) return narrowOp(ctx, alu![0], i.narrow, i.dst, i.a, i.b), true;
  if ((name === "add" || name === "sub" || name === "shl") && i.b && leaForm(ctx, name, w, i.dst, i.a, i.b)) return true;
  if (name === "mul" && i.b && mulImm(ctx, w, i.dst, i.a, i.b)) return true;
  if ((name === "or" || name === "and" || name === "xor") && i.b && bitOp(ctx, name, w, i.dst, i.a, i.b)) return true;
  if (alu && i.b) return twoAddr(ctx, alu[0], alu[1], w, i.dst, i.a, i.b), true;
  const sh = SHIFT[name];
  if (sh && i.b) return shift(ctx, sh, w, i.dst, i.a, i.b), true;
  if (name.startsWith("div") || name.startsWith("rem")) return divRem(ctx, name, w, i.dst, i.a, i.b!), true;
  const aw = widthOf(info.params[0]!);
  const ext = { extend8_s: 8, extend16_s: 16, extend32_s: 32, extend_i32_s: 32 }[name] as 8 | 16 | 32 | undefined;
  const dl = ctx.loc(i.dst);
  const A = ctx.regOf(i.a);
  if (ext && dl.k === "reg" && A) {
    // MOVSX/MOVSXD from the operand's register straight into the destination's
    ctx.ins(`${ext === 32 ? "movsxd" : "movsx"} ${reg(dl.reg, w)}, ${reg(A, ext)}`);
    return true;
  }
  switch (name) {
    case "clz":
      ctx.intToReg(i.a, "rcx", w);
      ctx.ins(`mov r11d, ${w === 32 ? 63 : 127}`);
      ctx.ins(`bsr ${reg("rax", w)}, ${reg("rcx", w)}`);
      ctx.ins(`cmovz ${reg("rax", w)}, ${reg("r11", w)}`);
      ctx.ins(`xor eax, ${w - 1}`);
      break;
    case "ctz":
      ctx.intToReg(i.a, "rcx", w);
      ctx.ins(`mov r11d, ${w}`);
      ctx.ins(`bsf ${reg("rax", w)}, ${reg("rcx", w)}`);
      ctx.ins(`cmovz ${reg("rax", w)}, ${reg("r11", w)}`);
      break;
    case "popcnt": popcnt(ctx, w, i.a); break;
    case "extend8_s": ctx.intToReg(i.a, "rax", w); ctx.ins(`movsx ${reg("rax", w)}, al`); break;
    case "extend16_s": ctx.intToReg(i.a, "rax", w); ctx.ins(`movsx ${reg("rax", w)}, ax`); break;
    case "extend32_s": ctx.intToReg(i.a, "rax", 32); ctx.ins("movsxd rax, eax"); break;
    case "extend_i32_s": ctx.intToReg(i.a, "rax", 32); ctx.ins("movsxd rax, eax"); break;
    case "extend_i32_u": case "wrap_i64": {
      // an i32 is kept zero-extended, and a 32-bit move zero-extends: one copy is the conversion
      const l = ctx.loc(i.dst);
      if (l.k === "reg") {
        // wrap_i64 must clear bits 63:32 even when the operand already sits in the destination
        const A = ctx.regOf(i.a);
        if (A === l.reg && name === "wrap_i64") ctx.ins(`mov ${reg(A, 32)}, ${reg(A, 32)}`);
        else ctx.intToReg(i.a, l.reg, 32);
        return true;
      }
      ctx.intToReg(i.a, "rax", 32);
      break;
    }
    default: {
      void aw;
      return false;
    }
  }
  ctx.fromReg(i.dst, "rax", t);
  return true;
}

/**
 * Three-address forms through LEA when the destination register differs from the operands:
 * a+b, a+c, a-c, a<<1..3 in one instruction instead of a copy and the operation. A 32-bit LEA
 * truncates its result to 32 bits and zero-extends it, which is i32 wrap-around.
 */
function leaForm(ctx: FnCtx, name: string, w: Width, dst: number, a: Opnd, b: Opnd): boolean {
  const l = ctx.loc(dst);
  const A = ctx.regOf(a);
  if (l.k !== "reg" || !A || A === l.reg) return false;
  const D = reg(l.reg, w);
  if (name === "shl") {
    if (b.k !== "c") return false;
    const k = Number(BigInt.asUintN(64, b.bits) & BigInt(w - 1));
    if (k < 1 || k > 3) return false;
    ctx.ins(k === 1 ? `lea ${D}, [${A}+${A}]` : `lea ${D}, [${A}*${1 << k}]`);
    return true;
  }
  if (b.k === "c") {
    const c = BigInt.asIntN(w, name === "sub" ? -b.bits : b.bits);
    if (!fitsS32(c)) return false;
    ctx.ins(`lea ${D}, [${A}${c < 0n ? "-" : "+"}${c < 0n ? -c : c}]`);
    return true;
  }
  const B = ctx.regOf(b);
  if (name !== "add" || !B || B === l.reg) return false;
  ctx.ins(NEEDS_DISP.has(A) ? `lea ${D}, [${B}+${A}]` : `lea ${D}, [${A}+${B}]`);
  return true;
}

/**
 * (a op b) & (2^bits - 1) for a < 2^bits (combine.ts): copy a (its upper bits are zero), then
 * the byte/word operation, which leaves those upper bits alone.
 */
function narrowOp(ctx: FnCtx, op: string, bits: 8 | 16, dst: number, a: Opnd, b: Opnd): void {
  const l = ctx.loc(dst);
  const B = ctx.regOf(b);
  // the destination must not hold b while a is copied in
  const D = l.k === "reg" && l.reg !== B ? l.reg : "rax";
  ctx.intToReg(a, D, 32);
  let src: string;
  if (b.k === "c") src = String(BigInt.asUintN(bits, b.bits));
  else if (B) src = reg(B, bits);
  else src = ctx.memOf(b, bits === 8 ? "byte" : "word")!;
  ctx.ins(`${op} ${reg(D, bits)}, ${src}`);
  ctx.fromReg(dst, D, "i32");
}

/**
 * OR, AND-NOT and XOR of one bit above bit 30 of an i64 (`e | (1 << 53)`, flag bits in page-table
 * entries): no immediate holds it, so BTS/BTR/BTC with the bit number instead of a MOVABS into
 * r11 and the operation. They set only CF, so the result's flags are not recorded.
 */
function bitOp(ctx: FnCtx, name: string, w: Width, dst: number, a: Opnd, b: Opnd): boolean {
  const l = ctx.loc(dst);
  if (w !== 64 || b.k !== "c" || a.k === "c" || l.k !== "reg") return false;
  const c = BigInt.asUintN(64, name === "and" ? ~b.bits : b.bits);
  if (c < 1n << 31n || (c & (c - 1n)) !== 0n) return false;
  const k = c.toString(2).length - 1;
  ctx.move("i64", dst, a);
  ctx.ins(`${name === "or" ? "bts" : name === "and" ? "btr" : "btc"} ${reg(l.reg, 64)}, ${k}`);
  return true;
}

/** a * c with the three-operand IMUL r, r/m, imm32 (the low half of the product is the same signed or unsigned). */
function mulImm(ctx: FnCtx, w: Width, dst: number, a: Opnd, b: Opnd): boolean {
  if (a.k === "c") [a, b] = [b, a];
  const l = ctx.loc(dst);
  if (b.k !== "c" || a.k === "c" || l.k !== "reg") return false;
  const c = BigInt.asIntN(w, b.bits);
  if (!fitsS32(c)) return false;
  ctx.ins(`imul ${reg(l.reg, w)}, ${ctx.intRM(a, w)}, ${c}`);
  return true;
}

function twoAddr(ctx: FnCtx, op: string, commutative: boolean, w: Width, dst: number, a: Opnd, b: Opnd): void {
  const l = ctx.loc(dst);
  if (l.k === "none") return;
  const t = w === 32 ? "i32" : "i64";
  if (l.k === "reg") {
    const D = reg(l.reg, w);
    const bIsD = b.k === "v" && ctx.regOf(b) === l.reg;
    const aIsD = a.k === "v" && ctx.regOf(a) === l.reg;
    if (bIsD && !aIsD) {
      if (commutative) {
        ctx.ins(`${op} ${D}, ${ctx.intSrc(a, w)}`);
        return;
      }
      ctx.intToReg(b, "rax", w);
      ctx.move(t, dst, a);
      ctx.ins(`${op} ${D}, ${reg("rax", w)}`);
      return;
    }
    ctx.move(t, dst, a);
    ctx.ins(`${op} ${D}, ${ctx.intSrc(b, w)}`);
    if (op !== "imul") ctx.flagsFrom = D;
    return;
  }
  ctx.intToReg(a, "rax", w);
  ctx.ins(`${op} ${reg("rax", w)}, ${ctx.intSrc(b, w)}`);
  ctx.fromReg(dst, "rax", t);
}

/**
 * dst := a op [b's address] (loadfold.ts: a full-width load folded into the operation). Into the
 * destination register unless that register holds the address (a is written there first); the
 * memory is read even when the result is dead, as the load did (it may trap).
 */
function memSource(ctx: FnCtx, op: string, w: Width, dst: number, a: Opnd, addr: Opnd, m: MemRef): void {
  const t = w === 32 ? "i32" : "i64";
  const l = ctx.loc(dst);
  const src = (): string => `${w === 32 ? "dword" : "qword"} ${effAddr(ctx, addr, m.offset, m.scale)}`;
  if (l.k === "reg" && ctx.regOf(addr) !== l.reg) {
    const D = reg(l.reg, w);
    ctx.move(t, dst, a);
    ctx.ins(`${op} ${D}, ${src()}`);
    if (op !== "imul") ctx.flagsFrom = D;
    return;
  }
  if (l.k === "reg" && op !== "sub" && ctx.regOf(a) !== l.reg) {
    // the destination holds the address: load into it (the address is read first), then the
    // commutative operation with a — the unfolded sequence, no detour through rax
    const D = reg(l.reg, w);
    ctx.ins(`mov ${D}, ${src()}`);
    ctx.ins(`${op} ${D}, ${ctx.intSrc(a, w)}`);
    if (op !== "imul") ctx.flagsFrom = D;
    return;
  }
  ctx.intToReg(a, "rax", w);
  ctx.ins(`${op} ${reg("rax", w)}, ${src()}`);
  ctx.fromReg(dst, "rax", t);
}

function shift(ctx: FnCtx, op: string, w: Width, dst: number, a: Opnd, b: Opnd): void {
  const t = w === 32 ? "i32" : "i64";
  let count: string;
  if (b.k === "c") count = String(Number(BigInt.asUintN(64, b.bits) & BigInt(w - 1)));
  else {
    ctx.intToReg(b, "rcx", 32);
    count = "cl";
  }
  const l = ctx.loc(dst);
  if (l.k === "reg") {
    ctx.move(t, dst, a);
    ctx.ins(`${op} ${reg(l.reg, w)}, ${count}`);
    return;
  }
  ctx.intToReg(a, "rax", w);
  ctx.ins(`${op} ${reg("rax", w)}, ${count}`);
  ctx.fromReg(dst, "rax", t);
}

/**
 * Division (§4.3.2 idiv_s/idiv_u/irem): a zero divisor traps (code 2); INT_MIN / -1 traps with
 * integer overflow (code 3) while INT_MIN % -1 is 0 — x86 IDIV raises #DE for both, so -1 is
 * tested first.
 */
function divRem(ctx: FnCtx, name: string, w: Width, dst: number, a: Opnd, b: Opnd): void {
  const t = w === 32 ? "i32" : "i64";
  const signed = name.endsWith("_s");
  const isDiv = name.startsWith("div");
  const R = (r: string): string => reg(r, w);
  const bConst = b.k === "c" ? BigInt.asIntN(w, b.bits) : null;
  if (bConst !== null && emitDivConst(ctx, name, w, dst, a, bConst)) return;
  ctx.intToReg(a, "rax", w);
  ctx.intToReg(b, "r11", w);
  if (bConst === 0n) {
    ctx.ins(`jmp ${ctx.trap(2)}`);
    return;
  }
  if (bConst === null) {
    ctx.ins(`test ${R("r11")}, ${R("r11")}`);
    ctx.ins(`jz ${ctx.trap(2)}`);
  }
  const done = ctx.local();
  if (signed && (bConst === null || bConst === -1n)) {
    const normal = ctx.local();
    ctx.ins(`cmp ${R("r11")}, -1`);
    ctx.ins(`jne ${normal}`);
    if (isDiv) {
      // x / -1 = -x, except INT_MIN which overflows
      ctx.ins(`neg ${R("rax")}`);
      ctx.ins(`jo ${ctx.trap(3)}`);
    } else ctx.ins("xor eax, eax");
    ctx.ins(`jmp ${done}`);
    ctx.label(normal);
  }
  if (signed) {
    ctx.ins(w === 32 ? "cdq" : "cqo");
    ctx.ins(`idiv ${R("r11")}`);
  } else {
    ctx.ins("xor edx, edx");
    ctx.ins(`div ${R("r11")}`);
  }
  if (!isDiv) ctx.ins(`mov ${R("rax")}, ${R("rdx")}`);
  ctx.label(done);
  ctx.fromReg(dst, "rax", t);
}

/** Population count without POPCNT (Hacker's Delight §5-1), result in rax. */
function popcnt(ctx: FnCtx, w: Width, a: Opnd): void {
  const R = (r: string): string => reg(r, w);
  const k = (x: string): string => (w === 32 ? "0x" + x.slice(0, 8) : "0x" + x);
  ctx.intToReg(a, "rax", w);
  ctx.ins(`mov ${R("rcx")}, ${R("rax")}`);
  ctx.ins(`shr ${R("rcx")}, 1`);
  ctx.ins(`mov ${R("r11")}, ${k("5555555555555555")}`);
  ctx.ins(`and ${R("rcx")}, ${R("r11")}`);
  ctx.ins(`sub ${R("rax")}, ${R("rcx")}`);
  ctx.ins(`mov ${R("r11")}, ${k("3333333333333333")}`);
  ctx.ins(`mov ${R("rcx")}, ${R("rax")}`);
  ctx.ins(`shr ${R("rcx")}, 2`);
  ctx.ins(`and ${R("rax")}, ${R("r11")}`);
  ctx.ins(`and ${R("rcx")}, ${R("r11")}`);
  ctx.ins(`add ${R("rax")}, ${R("rcx")}`);
  ctx.ins(`mov ${R("rcx")}, ${R("rax")}`);
  ctx.ins(`shr ${R("rcx")}, 4`);
  ctx.ins(`add ${R("rax")}, ${R("rcx")}`);
  ctx.ins(`mov ${R("r11")}, ${k("0f0f0f0f0f0f0f0f")}`);
  ctx.ins(`and ${R("rax")}, ${R("r11")}`);
  ctx.ins(`mov ${R("r11")}, ${k("0101010101010101")}`);
  ctx.ins(`imul ${R("rax")}, ${R("r11")}`);
  ctx.ins(`shr ${R("rax")}, ${w - 8}`);
}

/** Registers that as an address base are encoded with a displacement (ModRM base 101). */
const NEEDS_DISP = new Set(["rbp", "r13"]);

/** base + index*scale + disp (peephole.ts) with one LEA; operands in frame slots are loaded first. */
export function emitLea(ctx: FnCtx, i: Inst & { k: "lea" }): void {
  const w = widthOf(i.t);
  const l = ctx.loc(i.dst);
  if (l.k === "none") return;
  const inReg = (o: Opnd, scratch: string): string => {
    const r = ctx.regOf(o);
    if (r) return r;
    ctx.intToReg(o, scratch, w);
    return scratch;
  };
  let base = i.base ? inReg(i.base, "rax") : null;
  let I = inReg(i.index, "r11");
  // rbp/r13 as a base need a displacement byte (a three-component LEA): make it the index
  if (base && i.scale === 1 && i.disp === 0n && NEEDS_DISP.has(base) && !NEEDS_DISP.has(I)) [base, I] = [I, base];
  const B = base ? base + "+" : "";
  const D = l.k === "reg" ? l.reg : "rax";
  const disp = i.disp === 0n ? "" : i.disp < 0n ? `-${-i.disp}` : `+${i.disp}`;
  ctx.ins(`lea ${reg(D, w)}, [${B}${I}${i.scale > 1 ? `*${i.scale}` : ""}${disp}]`);
  ctx.fromReg(i.dst, D, i.t);
}
