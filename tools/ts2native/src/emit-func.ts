// x86-64 emission of one lowered, register-allocated function: frame, prologue/epilogue,
// control flow, calls, and dispatch of the other instructions to emit-int/float/mem.
//
// Frame (rsp 16-byte aligned in the body, System V): [rsp+0 ...] outgoing area of calls
// (stack arguments, extra results), then spill slots, padding, saved callee-saved registers,
// the return address, then the caller's outgoing area (our stack arguments / extra results).

import { callLayout, type ArgLoc } from "./callconv.ts";
import { FnCtx, widthOf } from "./emit-ctx.ts";
import { emitCondJump, emitCondValue } from "./emit-cond.ts";
import { emitSelect } from "./emit-select.ts";
import { emitIntNum, emitLea } from "./emit-int.ts";
import { emitElemDrop, emitTableCopy, emitTableInit } from "./emit-table.ts";
import { emitFloatNum } from "./emit-float.ts";
import { emitAtomic, emitDataDrop, emitLoad, emitMemCopy, emitMemFill, emitMemInit, emitStore } from "./emit-mem.ts";
import type { Inst, LoweredFunc, Opnd } from "./ir.ts";
import type { Allocation } from "./regalloc.ts";
import type { Module, NumType, ValType } from "./module.ts";
import { fitsS32, hex64, imm, reg } from "./x86.ts";
import { opName } from "./opcodes.ts";
import { parallelMove, type Move } from "./parmove.ts";
import { findLoops } from "./loops.ts";

export interface SymbolNames {
  func(index: number): string;
  global(index: number): string;
  nameLabel(index: number): string;
  table(index: number): string;
  tableSize(index: number): string;
  typeId(typeIndex: number): number;
}

/** Frames above this size are checked against the stack limit even in leaf functions. */
const BIG_FRAME = 4096;
const LOOP_ALIGN = Number(process.env["T2N_LOOP_ALIGN"] ?? 64);

function asNum(t: ValType): NumType {
  return t as NumType;
}

/** `loopHeads`: the labels to align (layout.ts finds them before it moves blocks), else found here. */
export function emitFunction(m: Module, fn: LoweredFunc, alloc: Allocation, sym: SymbolNames, loopHeads?: Set<number>): string[] {
  const type = m.types[m.funcs[fn.index]!.type]!;
  const ctx = new FnCtx(alloc);
  // outgoing area: the largest over all calls
  let area = 0;
  for (const i of fn.insts) {
    if (i.k !== "call") continue;
    const t = i.callee.k === "func" ? m.types[m.funcs[i.callee.index]!.type]! : m.types[i.callee.type]!;
    area = Math.max(area, callLayout(t).areaSlots);
  }
  ctx.slotBase = 8 * area;
  let frame = 8 * area + 8 * alloc.numSlots;
  const pushes = alloc.saved.length;
  // System V: rsp is 16-byte aligned at every call; functions that call nothing skip the padding
  if (fn.clobbersCallerSaved && (8 + 8 * pushes + frame) % 16 !== 0) frame += 8;
  const incoming = frame + 8 * pushes + 8; // [rsp+incoming] = caller's outgoing area
  const layout = callLayout(type);

  const epilogue = (): void => {
    if (frame) ctx.ins(`add rsp, ${frame}`);
    for (const r of [...alloc.saved].reverse()) ctx.ins(`pop ${r}`);
    ctx.ins("ret");
  };

  // prologue
  ctx.label(sym.func(fn.index));
  if (fn.callsWasm || frame + 8 * pushes > BIG_FRAME) {
    if (frame + 8 * pushes > BIG_FRAME) {
      ctx.ins(`lea rax, [rsp-${frame + 8 * pushes}]`);
      ctx.ins("cmp rax, [gs:abs 0]");
    } else ctx.ins("cmp rsp, [gs:abs 0]");
    ctx.ins(`jb ${ctx.trap(9)}`);
  }
  for (const r of alloc.saved) ctx.ins(`push ${r}`);
  if (frame) ctx.ins(`sub rsp, ${frame}`);
  // parameters: register arrivals move home in parallel (a home may be another's arrival
  // register), then stack arrivals are loaded (their homes are not arrival registers of live ones)
  const moves: Move[] = [];
  layout.params.forEach((p, idx) => {
    const l = alloc.locs[idx]!;
    if (l.k === "none" || p.k !== "reg") return;
    moves.push({ t: asNum(type.params[idx]!), dst: l.k === "reg" ? l.reg : ctx.slotMem(l.index), src: { k: "reg", reg: p.reg } });
  });
  parallelMove(ctx, moves);
  layout.params.forEach((p, idx) => {
    const l = alloc.locs[idx]!;
    if (l.k === "none" || p.k !== "stack") return;
    const t = asNum(type.params[idx]!);
    const float = t === "f32" || t === "f64";
    const src = `[rsp+${incoming + 8 * p.slot}]`;
    if (float) {
      ctx.ins(`movsd xmm15, ${src}`);
      ctx.fromReg(idx, "xmm15", t);
    } else {
      ctx.ins(t === "i32" ? `mov eax, ${src.replace("[", "dword [")}` : `mov rax, ${src}`);
      ctx.fromReg(idx, "rax", t);
    }
  });

  // an i32 parameter homed in a frame slot: the slot holds the zero-extended 64-bit value (the
  // caller's upper half is not part of the value; pmov moves slots as 64-bit words)
  layout.params.forEach((p, idx) => {
    const l = alloc.locs[idx]!;
    if (l.k === "slot" && p.k === "reg" && type.params[idx] === "i32") ctx.ins(`mov dword ${ctx.slotMem(l.index).replace("]", "+4]")}, 0`);
  });

  // Loop heads start on a 32-byte boundary: the loop's instructions then span as few fetch
  // blocks as they can, and timing does not depend on where the code before them ended.
  const heads = loopHeads ?? new Set(findLoops(fn.insts, fn.numLabels).loops.map((l) => (fn.insts[l.head] as { id: number }).id));
  fn.insts.forEach((i) => {
    if (i.k === "label" && heads.has(i.id) && LOOP_ALIGN > 1) ctx.ins(`align ${LOOP_ALIGN}`);
    emitInst(i);
  });

  function emitInst(i: Inst): void {
    switch (i.k) {
      case "label": ctx.label(`.L${i.id}`); break;
      case "jmp": ctx.ins(`jmp .L${i.target}`); break;
      case "jcc": emitCondJump(ctx, i.cond, `.L${i.target}`); break;
      case "brtable": emitBrTable(ctx, i); break;
      case "mov": ctx.move(i.t, i.dst, i.src); break;
      case "num":
        if (!emitIntNum(ctx, i) && !emitFloatNum(ctx, i)) throw new Error(`internal: no emitter for ${opName(i.op)}`);
        break;
      case "setcc": {
        const l = ctx.loc(i.dst);
        const r = l.k === "reg" ? l.reg : "rax";
        emitCondValue(ctx, i.cond, r);
        ctx.fromReg(i.dst, r, "i32");
        break;
      }
      case "select": emitSelect(ctx, i); break;
      case "lea": emitLea(ctx, i); break;
      case "load": emitLoad(ctx, i); break;
      case "store": emitStore(ctx, i); break;
      case "gget": {
        const t = asNum(m.globals[i.g]!.type);
        const src = `[rel ${sym.global(i.g)}]`;
        const l = ctx.loc(i.dst);
        if (t === "f32" || t === "f64") {
          const x = l.k === "reg" ? l.reg : "xmm15";
          ctx.ins(`${t === "f32" ? "movss" : "movsd"} ${x}, ${src}`);
          ctx.fromReg(i.dst, x, t);
        } else {
          const r = l.k === "reg" ? l.reg : "rax";
          ctx.ins(`mov ${reg(r, widthOf(t))}, ${src}`);
          ctx.fromReg(i.dst, r, t);
        }
        break;
      }
      case "gset": {
        const t = asNum(m.globals[i.g]!.type);
        const dst = `[rel ${sym.global(i.g)}]`;
        if (i.src.k === "c" && fitsS32(i.src.bits)) ctx.ins(`mov qword ${dst}, ${imm(i.src.bits, 64)}`);
        else if (t === "f32" || t === "f64") {
          ctx.floatToReg(i.src, "xmm15", t);
          ctx.ins(`movq rax, xmm15`);
          if (t === "f32") ctx.ins("mov eax, eax");
          ctx.ins(`mov ${dst}, rax`);
        } else {
          ctx.intToReg(i.src, "rax", widthOf(t));
          ctx.ins(`mov ${dst}, rax`);
        }
        break;
      }
      case "call": emitCall(m, ctx, i, sym); break;
      case "ret":
        // extra results first: they go through rax/xmm15, which would clobber result 0
        for (let k = i.vals.length - 1; k >= 0; k--) storeResult(ctx, layout.results[k]!, i.vals[k]!, asNum(type.results[k]!), incoming);
        epilogue();
        break;
      case "trap": ctx.ins(`jmp ${ctx.trap(i.code)}`); break;
      case "memsize":
        ctx.ins("mov rax, [rel __ts2n_mem_pages]");
        ctx.fromReg(i.dst, "rax", "i32");
        break;
      case "memgrow":
        ctx.intToReg(i.a, "rdi", 32);
        ctx.ins("call __ts2n_memory_grow");
        ctx.ins("mov eax, eax");
        ctx.fromReg(i.dst, "rax", "i32");
        break;
      case "memcopy": emitMemCopy(ctx, i); break;
      case "memfill": emitMemFill(ctx, i); break;
      case "meminit": emitMemInit(ctx, i); break;
      case "datadrop": emitDataDrop(ctx, i); break;
      case "tableinit": emitTableInit(ctx, i, sym); break;
      case "elemdrop": emitElemDrop(ctx, i); break;
      case "tablecopy": emitTableCopy(ctx, i, sym); break;
      case "atomic": emitAtomic(ctx, i); break;
      case "fence": ctx.ins("mfence"); break;
      case "pmov":
        parallelMove(ctx, i.moves.flatMap((mv): Move[] => {
          const l = alloc.locs[mv.dst]!;
          if (l.k === "none") return [];
          const dst = l.k === "reg" ? l.reg : ctx.slotMem(l.index);
          return [{ t: mv.float ? "f64" : "i64", dst, src: { k: "opnd", o: { k: "v", v: mv.src } } }];
        }));
        break;
    }
  }
  // trap stubs: __ts2n_trap(code, name) never returns
  for (const code of [...ctx.trapsUsed].sort((a, b) => a - b)) {
    ctx.label(`.trap${code}`);
    ctx.ins(`mov edi, ${code}`);
    ctx.ins(`lea rsi, [rel ${sym.nameLabel(fn.index)}]`);
    ctx.ins("call __ts2n_trap");
  }
  if (ctx.consts.size) ctx.ins("align 8");
  for (const [label, [dx, v]] of ctx.consts) ctx.out.push(`${label}: ${dx} 0x${v.toString(16)}`);
  ctx.label(`${sym.func(fn.index)}.end`);
  return ctx.out;
}

function storeResult(ctx: FnCtx, loc: ArgLoc, v: Opnd, t: NumType, incoming: number): void {
  const float = t === "f32" || t === "f64";
  if (loc.k === "reg") {
    if (float) ctx.floatToReg(v, loc.reg, t);
    else ctx.intToReg(v, loc.reg, widthOf(t));
    return;
  }
  const mem = `[rsp+${incoming + 8 * loc.slot}]`;
  if (float) {
    ctx.floatToReg(v, "xmm15", t);
    ctx.ins(`movsd ${mem}, xmm15`);
  } else {
    ctx.intToReg(v, "rax", widthOf(t));
    ctx.ins(`mov ${mem}, rax`);
  }
}

function emitBrTable(ctx: FnCtx, i: Inst & { k: "brtable" }): void {
  const n = i.targets.length - 1;
  const def = `.L${i.targets[n]!}`;
  ctx.intToReg(i.idx, "rax", 32);
  if (n <= 4) {
    i.targets.slice(0, n).forEach((t, k) => {
      ctx.ins(`cmp eax, ${k}`);
      ctx.ins(`je .L${t}`);
    });
    ctx.ins(`jmp ${def}`);
    return;
  }
  const table = ctx.local();
  ctx.ins(`cmp eax, ${n}`);
  ctx.ins(`jae ${def}`);
  ctx.ins(`lea r11, [rel ${table}]`);
  ctx.ins("movsxd rax, dword [r11+rax*4]");
  ctx.ins("add rax, r11");
  ctx.ins("jmp rax");
  ctx.ins("align 4");
  ctx.label(table);
  for (let k = 0; k < n; k++) ctx.ins(`dd .L${i.targets[k]!} - ${table}`);
}

function emitCall(m: Module, ctx: FnCtx, i: Inst & { k: "call" }, sym: SymbolNames): void {
  const typeIndex = i.callee.k === "func" ? m.funcs[i.callee.index]!.type : i.callee.type;
  const t = m.types[typeIndex]!;
  const layout = callLayout(t);
  if (i.callee.k === "indirect") {
    // Table entries are 16 bytes {code pointer, canonical type id}; null has pointer 0
    // (call_indirect, §4.4.8: out of range -> trap 6, null -> 7, signature mismatch -> 8).
    // The target stays in r11, which the argument moves below do not touch.
    ctx.intToReg(i.callee.idx, "r11", 32);
    ctx.ins(`cmp r11, [rel ${sym.tableSize(i.callee.table)}]`);
    ctx.ins(`jae ${ctx.trap(6)}`);
    ctx.ins("shl r11, 4");
    ctx.ins(`lea rax, [rel ${sym.table(i.callee.table)}]`);
    ctx.ins("add rax, r11");
    ctx.ins("mov r11, [rax]");
    ctx.ins("test r11, r11");
    ctx.ins(`jz ${ctx.trap(7)}`);
    ctx.ins(`cmp dword [rax+8], ${sym.typeId(typeIndex)}`);
    ctx.ins(`jne ${ctx.trap(8)}`);
  }
  // Stack arguments first (they only read homes), then register arguments as one parallel move
  // (an argument may live in another argument's register).
  const moves: Move[] = [];
  i.args.forEach((a, k) => {
    const pt = asNum(t.params[k]!);
    const loc = layout.params[k]!;
    if (loc.k === "reg") {
      moves.push({ t: pt, dst: loc.reg, src: { k: "opnd", o: a } });
      return;
    }
    const float = pt === "f32" || pt === "f64";
    const mem = `[rsp+${8 * loc.slot}]`;
    if (a.k === "c" && fitsS32(a.bits)) ctx.ins(`mov qword ${mem}, ${imm(a.bits, 64)}`);
    else if (a.k === "c") {
      ctx.ins(`mov rax, ${hex64(a.bits)}`);
      ctx.ins(`mov ${mem}, rax`);
    } else if (float) {
      ctx.floatToReg(a, "xmm15", pt);
      ctx.ins(`movsd ${mem}, xmm15`);
    } else {
      ctx.intToReg(a, "rax", widthOf(pt));
      ctx.ins(`mov ${mem}, rax`);
    }
  });
  parallelMove(ctx, moves);
  if (i.callee.k === "indirect") ctx.ins("call r11");
  else ctx.ins(`call ${sym.func(i.callee.index)}`);
  i.results.forEach((v, k) => {
    const rt = asNum(t.results[k]!);
    const loc = layout.results[k]!;
    if (loc.k === "reg") {
      if (rt === "i32" && ctx.loc(v).k === "slot") ctx.ins(`mov ${reg(loc.reg, 32)}, ${reg(loc.reg, 32)}`);
      ctx.fromReg(v, loc.reg, rt);
    } else {
      const float = rt === "f32" || rt === "f64";
      if (float) {
        ctx.ins(`movsd xmm15, [rsp+${8 * loc.slot}]`);
        ctx.fromReg(v, "xmm15", rt);
      } else {
        ctx.ins(`mov rax, [rsp+${8 * loc.slot}]`);
        ctx.fromReg(v, "rax", rt);
      }
    }
  });
}
