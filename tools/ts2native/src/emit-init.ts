// __ts2n_init (docs/native-abi.md): instantiation steps of the Core Specification §4.5.4 that
// happen at run time, in the spec's order: globals initialized from imported globals, active
// element segments copied into tables, active data segments copied into memory (each bounds
// checked before it is written; earlier segments stay written, bulk-memory semantics), active
// segments then dropped, and finally the start function.

import type { ConstExpr, Module } from "./module.ts";
import type { SymbolNames } from "./emit-func.ts";

function offsetToEax(e: ConstExpr, sym: SymbolNames): string {
  if (e.k === "i32") return `    mov eax, ${e.bits}`;
  if (e.k === "global") return `    mov eax, [rel ${sym.global(e.index)}]`;
  throw new Error(`internal: offset expression ${e.k}`);
}

export function emitInit(m: Module, sym: SymbolNames): string[] {
  const o: string[] = ["__ts2n_init:", "    push rbx", "    push r15", "    sub rsp, 8", "    mov r15, [rel __ts2n_membase]"];
  m.globals.forEach((g, i) => {
    if (g.init?.k === "global") o.push(`    mov rax, [rel ${sym.global(g.init.index)}]`, `    mov [rel ${sym.global(i)}], rax`);
  });
  m.elems.forEach((s, k) => {
    if (s.mode !== "active") return;
    o.push(offsetToEax(s.offset!, sym));
    o.push(`    lea rcx, [rax+${s.items.length}]`, `    cmp rcx, [rel ${sym.tableSize(s.table)}]`, "    ja .trap10");
    if (s.items.length) {
      o.push("    shl rax, 4", `    lea rdi, [rel ${sym.table(s.table)}]`, "    add rdi, rax");
      o.push(`    lea rsi, [rel __ts2n_elem${k}]`, `    mov ecx, ${16 * s.items.length}`, "    rep movsb");
    }
  });
  m.datas.forEach((s, k) => {
    if (s.mode !== "active") return;
    o.push(offsetToEax(s.offset!, sym));
    o.push(`    lea rcx, [rax+${s.bytes.length}]`, "    mov r11, [rel __ts2n_mem_pages]", "    shl r11, 16", "    cmp rcx, r11", "    ja .trap5");
    if (s.bytes.length) {
      o.push("    lea rdi, [r15+rax]", `    lea rsi, [rel __ts2n_data${k}]`, `    mov ecx, ${s.bytes.length}`, "    rep movsb");
    }
    o.push(`    mov qword [rel __ts2n_dlen${k}], 0`);
  });
  if (m.start !== null) o.push(`    call ${sym.func(m.start)}`);
  o.push("    add rsp, 8", "    pop r15", "    pop rbx", "    ret");
  for (const code of [5, 10]) {
    o.push(`.trap${code}:`, `    mov edi, ${code}`, "    lea rsi, [rel __ts2n_init_name]", "    call __ts2n_trap");
  }
  return o;
}
