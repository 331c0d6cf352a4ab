// Per-function emission context: output lines, labels, trap stubs, the frame layout and the
// primitive moves between operand locations (registers, frame slots, constants).
// Scratch registers (never allocated): rax r11 xmm14 xmm15, and rcx/rdx in the instructions
// regalloc.ts `scratchOf` lists; r15 = memory base.

import type { Allocation, Loc } from "./regalloc.ts";
import type { Cond, Opnd } from "./ir.ts";
import type { NumType } from "./module.ts";
import { fitsS32, hex64, imm, reg } from "./x86.ts";

export type Width = 32 | 64;

export function widthOf(t: NumType): Width {
  return t === "i32" || t === "f32" ? 32 : 64;
}

export class FnCtx {
  readonly out: string[] = [];
  private nextLocal = 0;
  readonly trapsUsed = new Set<number>();
  /** byte offset of slot 0 from rsp in the function body */
  slotBase = 0;

  constructor(readonly alloc: Allocation) {}

  /**
   * The register operand (as written) whose value set ZF/SF through the last emitted instruction
   * (an ADD/SUB/AND/OR/XOR into it), so that a following test of it against zero for eq/ne can
   * reuse the flags. Any other instruction or a label clears it.
   */
  flagsFrom: string | null = null;

  /**
   * The condition whose flags the last emitted instruction (a CMOV of a select) left in place, so
   * that a following select on the same condition (if-conversion's, ifconv.ts) skips the compare.
   * Any other instruction or a label clears it.
   */
  flagsCond: { cond: Cond; cc: string; dst: string } | null = null;

  ins(s: string): void {
    this.out.push("    " + s);
    this.flagsFrom = null;
    this.flagsCond = null;
  }
  label(l: string): void {
    this.out.push(l + ":");
    this.flagsFrom = null;
    this.flagsCond = null;
  }
  local(): string {
    return `.X${this.nextLocal++}`;
  }
  /** float constants of this function, emitted after its code: label -> [dd|dq, bits] */
  readonly consts = new Map<string, [string, bigint]>();

  /** A memory operand holding the float constant `bits` of width w (a per-function pool). */
  constMem(bits: bigint, w: Width): string {
    const v = BigInt.asUintN(w, bits);
    const label = `.K${w}_${v.toString(16)}`;
    this.consts.set(label, [w === 32 ? "dd" : "dq", v]);
    return `${w === 32 ? "dword" : "qword"} [rel ${label}]`;
  }

  trap(code: number): string {
    this.trapsUsed.add(code);
    return `.trap${code}`;
  }

  loc(v: number): Loc {
    return this.alloc.locs[v]!;
  }
  slotMem(index: number): string {
    return `[rsp+${this.slotBase + 8 * index}]`;
  }

  /** Register holding the operand, or null. */
  regOf(o: Opnd): string | null {
    if (o.k !== "v") return null;
    const l = this.loc(o.v);
    return l.k === "reg" ? l.reg : null;
  }

  /** Memory operand text of a vreg living in a slot, or null. */
  memOf(o: Opnd, bytesWord: string): string | null {
    if (o.k !== "v") return null;
    const l = this.loc(o.v);
    return l.k === "slot" ? `${bytesWord} ${this.slotMem(l.index)}` : null;
  }

  /** Integer operand as register or memory text of width w; constants are the caller's job. */
  intRM(o: Opnd, w: Width): string {
    const r = this.regOf(o);
    if (r) return reg(r, w);
    const m = this.memOf(o, w === 32 ? "dword" : "qword");
    if (m) return m;
    if (o.k === "v") throw new Error(`internal: vreg ${o.v} has no location`);
    throw new Error("internal: constant where register/memory expected");
  }

  /** Integer operand usable as the source of a w-bit ALU op: reg, mem, or an imm that fits. */
  intSrc(o: Opnd, w: Width, scratch = "r11"): string {
    if (o.k === "c") {
      if (w === 32) return imm(o.bits, 32);
      if (fitsS32(o.bits)) return imm(o.bits, 64);
      this.ins(`mov ${scratch}, ${hex64(o.bits)}`);
      return scratch;
    }
    return this.intRM(o, w);
  }

  /** Loads an integer operand into register r64 (zero-extending i32 values). */
  intToReg(o: Opnd, r64: string, w: Width): void {
    if (o.k === "c") {
      const v = w === 32 ? BigInt.asUintN(32, o.bits) : BigInt.asUintN(64, o.bits);
      if (v === 0n) this.ins(`xor ${reg(r64, 32)}, ${reg(r64, 32)}`);
      else if (v < 1n << 32n) this.ins(`mov ${reg(r64, 32)}, ${v}`);
      else if (fitsS32(v)) this.ins(`mov ${r64}, ${imm(v, 64)}`);
      else this.ins(`mov ${r64}, ${hex64(v)}`);
      return;
    }
    const src = this.intRM(o, w);
    if (src !== reg(r64, w)) this.ins(`mov ${reg(r64, w)}, ${src}`);
  }

  /** Loads a float operand into xmm register x. */
  floatToReg(o: Opnd, x: string, t: NumType): void {
    const w = widthOf(t);
    if (o.k === "c") {
      if (BigInt.asUintN(w, o.bits) === 0n) this.ins(`xorps ${x}, ${x}`);
      else this.ins(`${w === 32 ? "movss" : "movsd"} ${x}, ${this.constMem(o.bits, w)}`);
      return;
    }
    const r = this.regOf(o);
    if (r) {
      if (r !== x) this.ins(`movaps ${x}, ${r}`);
      return;
    }
    this.ins(`${w === 32 ? "movss" : "movsd"} ${x}, ${this.memOf(o, w === 32 ? "dword" : "qword")}`);
  }

  /** Float operand as xmm register or memory text (loading constants into `scratch`). */
  floatSrc(o: Opnd, t: NumType, scratch: string): string {
    const r = this.regOf(o);
    if (r) return r;
    if (o.k === "c") return this.constMem(o.bits, widthOf(t));
    const m = this.memOf(o, widthOf(t) === 32 ? "dword" : "qword");
    if (m) return m;
    this.floatToReg(o, scratch, t);
    return scratch;
  }

  /** Stores scratch register r64 (integer) or xmm (float) into vreg v. */
  fromReg(v: number, src: string, t: NumType): void {
    const l = this.loc(v);
    const w = widthOf(t);
    const float = t === "f32" || t === "f64";
    if (l.k === "none") return;
    if (float) {
      if (l.k === "reg") {
        if (l.reg !== src) this.ins(`movaps ${l.reg}, ${src}`);
      } else this.ins(`${w === 32 ? "movss" : "movsd"} ${this.slotMem(l.index)}, ${src}`);
      return;
    }
    if (l.k === "reg") {
      if (l.reg !== src) this.ins(`mov ${reg(l.reg, w)}, ${reg(src, w)}`);
    } else this.ins(`mov ${this.slotMem(l.index)}, ${src}`); // the whole zero-extended value (see move)
  }

  /** dst := src for a value of type t. */
  move(t: NumType, dst: number, src: Opnd): void {
    const l = this.loc(dst);
    if (l.k === "none") return;
    if (src.k === "v" && src.v === dst) return;
    const float = t === "f32" || t === "f64";
    const w = widthOf(t);
    if (l.k === "reg") {
      if (float) this.floatToReg(src, l.reg, t);
      else this.intToReg(src, l.reg, w);
      return;
    }
    // Integer slots always hold 64 bits, an i32 zero-extended (registers hold i32 values that
    // way too), so the allocator's moves (pmov) can copy any integer slot as a 64-bit word.
    const mem = this.slotMem(l.index);
    if (src.k === "c") {
      const v = float ? src.bits : w === 32 ? BigInt.asUintN(32, src.bits) : src.bits;
      if (fitsS32(v)) this.ins(`mov qword ${mem}, ${imm(v, 64)}`);
      else {
        this.ins(`mov rax, ${hex64(v)}`);
        this.ins(`mov ${mem}, rax`);
      }
      return;
    }
    const r = this.regOf(src);
    if (r) {
      if (float) this.ins(`${w === 32 ? "movss" : "movsd"} ${mem}, ${r}`);
      else this.ins(`mov ${mem}, ${r}`);
      return;
    }
    this.ins(`mov rax, ${this.memOf(src, "qword")}`);
    this.ins(`mov ${mem}, rax`);
  }
}
