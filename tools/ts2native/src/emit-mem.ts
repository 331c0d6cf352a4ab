// Memory instructions (Core Specification §4.4.7 "Memory Instructions"; bulk memory §4.4.7.8-12;
// threads proposal atomics). Effective address = r15 + zero-extended i32 index + u32 offset,
// computed in 64 bits (docs/native-abi.md "Memory"): on Linux the guard reservation turns any
// out-of-bounds access into a fault (trap 5); bulk operations check bounds explicitly before
// writing anything, as the spec requires.

import { widthOf, type FnCtx } from "./emit-ctx.ts";
import type { Inst, Opnd } from "./ir.ts";
import { ATOMIC_OPS, MEM_OPS, NUM_OPS } from "./opcodes.ts";
import { loadI32s } from "./parmove.ts";
import { fitsS32, imm, reg, sizeWord } from "./x86.ts";

export const TRAP_UNALIGNED_ATOMIC = 12;

/**
 * Returns the NASM memory operand for wasm address `addr` + `offset` (uses r11). With `scale`
 * (addrfold.ts), the address is addr*scale + offset, proven not to wrap in 32 bits; the offset
 * then fits in a signed 32-bit displacement and may be negative.
 */
export function effAddr(ctx: FnCtx, addr: Opnd, offset: number, scale?: number): string {
  if (scale !== undefined) {
    let index = ctx.regOf(addr);
    if (!index) {
      ctx.intToReg(addr, "r11", 32);
      index = "r11";
    }
    const disp = offset === 0 ? "" : offset < 0 ? `-${-offset}` : `+${offset}`;
    return `[r15+${index}${scale > 1 ? `*${scale}` : ""}${disp}]`;
  }
  if (addr.k === "c") {
    const ea = BigInt.asUintN(32, addr.bits) + BigInt(offset);
    if (ea < 1n << 31n) return `[r15+${ea}]`;
    ctx.ins(`mov r11, ${ea}`);
    return "[r15+r11]";
  }
  let base = ctx.regOf(addr);
  if (!base) {
    ctx.intToReg(addr, "r11", 32);
    base = "r11";
  }
  if (offset === 0) return `[r15+${base}]`;
  if (offset < 2 ** 31) return `[r15+${base}+${offset}]`;
  ctx.ins(`mov r11d, ${offset}`);
  ctx.ins(`add r11, ${base}`);
  return "[r15+r11]";
}

export function emitLoad(ctx: FnCtx, i: Inst & { k: "load" }): void {
  const op = MEM_OPS.get(i.op)!;
  const ea = effAddr(ctx, i.addr, i.offset, i.scale);
  const m = `${sizeWord(op.bytes)} ${ea}`;
  if (op.type === "f32" || op.type === "f64") {
    const l = ctx.loc(i.dst);
    const x = l.k === "reg" ? l.reg : "xmm15";
    ctx.ins(`${op.type === "f32" ? "movss" : "movsd"} ${x}, ${m}`);
    ctx.fromReg(i.dst, x, op.type);
    return;
  }
  const l = ctx.loc(i.dst);
  const r = l.k === "reg" ? l.reg : "rax";
  const w = widthOf(op.type);
  if (op.bytes === 8) ctx.ins(`mov ${r}, ${m}`);
  else if (op.bytes === 4) ctx.ins(op.signed && w === 64 ? `movsxd ${r}, ${m}` : `mov ${reg(r, 32)}, ${m}`);
  else ctx.ins(`${op.signed ? "movsx" : "movzx"} ${reg(r, op.signed ? w : 32)}, ${m}`);
  ctx.fromReg(i.dst, r, op.type);
}

export function emitStore(ctx: FnCtx, i: Inst & { k: "store" }): void {
  const op = MEM_OPS.get(i.op)!;
  const bits = (op.bytes * 8) as 8 | 16 | 32 | 64;
  if (i.rmw !== undefined) return emitReadModifyWrite(ctx, i, i.rmw, bits);
  if (op.type === "f32" || op.type === "f64") {
    if (i.val.k === "c") {
      const ea = effAddr(ctx, i.addr, i.offset, i.scale);
      if (op.bytes === 4) ctx.ins(`mov dword ${ea}, ${imm(i.val.bits, 32)}`);
      else if (fitsS32(i.val.bits)) ctx.ins(`mov qword ${ea}, ${imm(i.val.bits, 64)}`);
      else {
        ctx.ins(`mov rax, 0x${i.val.bits.toString(16)}`);
        ctx.ins(`mov ${ea}, rax`);
      }
      return;
    }
    const x = ctx.regOf(i.val) ?? (ctx.floatToReg(i.val, "xmm15", op.type), "xmm15");
    const ea = effAddr(ctx, i.addr, i.offset, i.scale);
    ctx.ins(`${op.type === "f32" ? "movss" : "movsd"} ${sizeWord(op.bytes)} ${ea}, ${x}`);
    return;
  }
  if (i.val.k === "c" && (bits < 64 || fitsS32(i.val.bits))) {
    const ea = effAddr(ctx, i.addr, i.offset, i.scale);
    ctx.ins(`mov ${sizeWord(op.bytes)} ${ea}, ${imm(i.val.bits, bits === 64 ? 64 : bits)}`);
    return;
  }
  let r = ctx.regOf(i.val);
  if (!r) {
    ctx.intToReg(i.val, "rax", widthOf(op.type));
    r = "rax";
  }
  const ea = effAddr(ctx, i.addr, i.offset, i.scale);
  ctx.ins(`mov ${ea}, ${reg(r, bits)}`);
}

/**
 * `op size [ea], src` (memfold.ts): the operation in the access width; add/sub/and/or/xor give
 * the same low bytes whatever the upper bits, so a byte or word store needs only the low bytes.
 */
function emitReadModifyWrite(ctx: FnCtx, i: Inst & { k: "store" }, rmw: number, bits: 8 | 16 | 32 | 64): void {
  const mnem = NUM_OPS.get(rmw)!.name.slice(4);
  let src: string;
  if (i.val.k === "c" && (bits < 64 || fitsS32(i.val.bits))) src = imm(i.val.bits, bits);
  else {
    const r = ctx.regOf(i.val) ?? (ctx.intToReg(i.val, "rax", bits === 64 ? 64 : 32), "rax");
    src = reg(r, bits);
  }
  ctx.ins(`${mnem} ${sizeWord(bits / 8)} ${effAddr(ctx, i.addr, i.offset, i.scale)}, ${src}`);
}

/** Loads the memory size in bytes into r11. */
function memBytes(ctx: FnCtx): void {
  ctx.ins("mov r11, [rel __ts2n_mem_pages]");
  ctx.ins("shl r11, 16");
}

/** Traps with code 5 unless r64 + rdx <= r11 (64-bit arithmetic: no wrap-around). */
function checkRange(ctx: FnCtx, r64: string, limit = "r11", code = 5): void {
  ctx.ins(`lea rax, [${r64}+rdx]`);
  ctx.ins(`cmp rax, ${limit}`);
  ctx.ins(`ja ${ctx.trap(code)}`);
}

/** memory.copy (§4.4.7.11): bounds of both ranges checked first; overlapping ranges copy backward. */
export function emitMemCopy(ctx: FnCtx, i: Inst & { k: "memcopy" }): void {
  loadI32s(ctx, [[i.d, "rdi"], [i.s, "rsi"], [i.n, "rdx"]]);
  memBytes(ctx);
  checkRange(ctx, "rdi");
  checkRange(ctx, "rsi");
  ctx.ins("mov rcx, rdx");
  ctx.ins("add rdi, r15");
  ctx.ins("add rsi, r15");
  emitOverlappingCopy(ctx);
}

/**
 * Copies rcx bytes from [rsi] to [rdi] (host addresses, bounds already checked) with memmove
 * semantics: forward unless the destination overlaps the source from above, then backward.
 * Shared by memory.copy and table.copy. Clobbers rax, rcx, rsi, rdi.
 */
export function emitOverlappingCopy(ctx: FnCtx): void {
  const fwd = ctx.local();
  const done = ctx.local();
  ctx.ins("cmp rdi, rsi");
  ctx.ins(`jbe ${fwd}`);
  ctx.ins("lea rax, [rsi+rcx]");
  ctx.ins("cmp rdi, rax");
  ctx.ins(`jae ${fwd}`);
  // destination overlaps the source from above: copy from the end (DF=1), then restore DF=0 (System V)
  ctx.ins("lea rsi, [rsi+rcx-1]");
  ctx.ins("lea rdi, [rdi+rcx-1]");
  ctx.ins("std");
  ctx.ins("rep movsb");
  ctx.ins("cld");
  ctx.ins(`jmp ${done}`);
  ctx.label(fwd);
  ctx.ins("rep movsb");
  ctx.label(done);
}

/** memory.fill (§4.4.7.10). */
export function emitMemFill(ctx: FnCtx, i: Inst & { k: "memfill" }): void {
  loadI32s(ctx, [[i.d, "rdi"], [i.n, "rdx"], [i.v, "rcx"]]);
  memBytes(ctx);
  checkRange(ctx, "rdi");
  ctx.ins("mov eax, ecx");
  ctx.ins("mov rcx, rdx");
  ctx.ins("add rdi, r15");
  ctx.ins("rep stosb");
}

/** memory.init (§4.4.7.12): segment bytes live in .rodata, the current length in .data (0 once dropped). */
export function emitMemInit(ctx: FnCtx, i: Inst & { k: "meminit" }): void {
  loadI32s(ctx, [[i.d, "rdi"], [i.s, "rsi"], [i.n, "rdx"]]);
  memBytes(ctx);
  checkRange(ctx, "rdi");
  ctx.ins(`mov r11, [rel __ts2n_dlen${i.seg}]`);
  checkRange(ctx, "rsi");
  ctx.ins("mov rcx, rdx");
  ctx.ins("add rdi, r15");
  ctx.ins(`lea rax, [rel __ts2n_data${i.seg}]`);
  ctx.ins("add rsi, rax");
  ctx.ins("rep movsb");
}

export function emitDataDrop(ctx: FnCtx, i: Inst & { k: "datadrop" }): void {
  ctx.ins(`mov qword [rel __ts2n_dlen${i.seg}], 0`);
}

/**
 * Atomics (threads proposal): a misaligned effective address traps; on x86-64 (TSO) aligned
 * MOV loads are sequentially consistent when stores use XCHG (Intel SDM Vol. 3 §9.2.3.3);
 * read-modify-write ops are LOCK-prefixed (Vol. 3 §9.1.2.2).
 */
export function emitAtomic(ctx: FnCtx, i: Inst & { k: "atomic" }): void {
  const op = ATOMIC_OPS.get(i.op)!;
  const bits = (op.bytes * 8) as 8 | 16 | 32 | 64;
  const sz = sizeWord(op.bytes);
  const w = widthOf(op.type);
  // effective wasm address in r11
  if (i.addr.k === "c") ctx.ins(`mov r11, ${BigInt.asUintN(32, i.addr.bits) + BigInt(i.offset)}`);
  else {
    ctx.intToReg(i.addr, "r11", 32);
    if (i.offset) {
      ctx.ins(`mov eax, ${i.offset}`);
      ctx.ins("add r11, rax");
    }
  }
  if (op.bytes > 1) {
    ctx.ins(`test r11, ${op.bytes - 1}`);
    ctx.ins(`jnz ${ctx.trap(TRAP_UNALIGNED_ATOMIC)}`);
  }
  const m = `${sz} [r15+r11]`;
  const loadZx = (dst: string): string => (op.bytes === 8 ? `mov ${dst}, ${m}` : op.bytes === 4 ? `mov ${reg(dst, 32)}, ${m}` : `movzx ${reg(dst, 32)}, ${m}`);
  switch (op.kind) {
    case "load":
      ctx.ins(loadZx("rax"));
      break;
    case "store":
      ctx.intToReg(i.a!, "rax", w);
      ctx.ins(`xchg ${m}, ${reg("rax", bits)}`);
      return;
    case "add": case "sub": case "xchg":
      ctx.intToReg(i.a!, "rax", w);
      if (op.kind === "sub") ctx.ins(`neg ${reg("rax", bits === 64 ? 64 : 32)}`);
      ctx.ins(op.kind === "xchg" ? `xchg ${m}, ${reg("rax", bits)}` : `lock xadd ${m}, ${reg("rax", bits)}`);
      if (bits < 32) ctx.ins(`movzx eax, ${reg("rax", bits)}`);
      else if (bits === 32) ctx.ins("mov eax, eax");
      break;
    case "and": case "or": case "xor": {
      const again = ctx.local();
      ctx.intToReg(i.a!, "rdx", w);
      ctx.ins(loadZx("rax"));
      ctx.label(again);
      ctx.ins(`mov rcx, rax`);
      ctx.ins(`${op.kind} rcx, rdx`);
      ctx.ins(`lock cmpxchg ${m}, ${reg("rcx", bits)}`);
      ctx.ins(`jnz ${again}`);
      if (bits < 32) ctx.ins(`movzx eax, ${reg("rax", bits)}`);
      else if (bits === 32) ctx.ins("mov eax, eax");
      break;
    }
    case "cmpxchg":
      ctx.intToReg(i.b!, "rdx", w);
      ctx.intToReg(i.a!, "rax", w);
      ctx.ins(`lock cmpxchg ${m}, ${reg("rdx", bits)}`);
      if (bits < 32) ctx.ins(`movzx eax, ${reg("rax", bits)}`);
      else if (bits === 32) ctx.ins("mov eax, eax");
      break;
  }
  if (i.dst !== null) ctx.fromReg(i.dst, "rax", op.type);
}
