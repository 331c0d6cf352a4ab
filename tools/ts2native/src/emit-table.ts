// Table instructions of bulk memory (Core Specification §4.4.6: table.init, elem.drop,
// table.copy). Table entries are 16 bytes {code pointer, canonical type id}; element segments
// are arrays of such entries in .rodata with their current length in .data (0 once dropped).
// Bounds are checked before anything is written; out of bounds traps with code 10.

import type { FnCtx } from "./emit-ctx.ts";
import type { SymbolNames } from "./emit-func.ts";
import type { Inst } from "./ir.ts";
import { emitOverlappingCopy } from "./emit-mem.ts";
import { loadI32s } from "./parmove.ts";

/** Traps with code 10 unless r64 + rdx <= the qword at `limit`. */
function check(ctx: FnCtx, r64: string, limit: string): void {
  ctx.ins(`lea rax, [${r64}+rdx]`);
  ctx.ins(`cmp rax, ${limit}`);
  ctx.ins(`ja ${ctx.trap(10)}`);
}

export function emitTableInit(ctx: FnCtx, i: Inst & { k: "tableinit" }, sym: SymbolNames): void {
  loadI32s(ctx, [[i.d, "rdi"], [i.s, "rsi"], [i.n, "rdx"]]);
  check(ctx, "rdi", `[rel ${sym.tableSize(i.table)}]`);
  check(ctx, "rsi", `[rel __ts2n_elen${i.seg}]`);
  ctx.ins("mov rcx, rdx");
  ctx.ins("shl rcx, 4");
  ctx.ins("shl rdi, 4");
  ctx.ins("shl rsi, 4");
  ctx.ins(`lea rax, [rel ${sym.table(i.table)}]`);
  ctx.ins("add rdi, rax");
  ctx.ins(`lea rax, [rel __ts2n_elem${i.seg}]`);
  ctx.ins("add rsi, rax");
  ctx.ins("rep movsb");
}

export function emitElemDrop(ctx: FnCtx, i: Inst & { k: "elemdrop" }): void {
  ctx.ins(`mov qword [rel __ts2n_elen${i.seg}], 0`);
}

/** table.copy: like memory.copy, overlapping ranges within one table copy backward. */
export function emitTableCopy(ctx: FnCtx, i: Inst & { k: "tablecopy" }, sym: SymbolNames): void {
  loadI32s(ctx, [[i.d, "rdi"], [i.s, "rsi"], [i.n, "rdx"]]);
  check(ctx, "rdi", `[rel ${sym.tableSize(i.dst)}]`);
  check(ctx, "rsi", `[rel ${sym.tableSize(i.src)}]`);
  ctx.ins("mov rcx, rdx");
  ctx.ins("shl rcx, 4");
  ctx.ins("shl rdi, 4");
  ctx.ins("shl rsi, 4");
  ctx.ins(`lea rax, [rel ${sym.table(i.dst)}]`);
  ctx.ins("add rdi, rax");
  ctx.ins(`lea rax, [rel ${sym.table(i.src)}]`);
  ctx.ins("add rsi, rax");
  emitOverlappingCopy(ctx);
}
