// Entry points into compiled code from System V callers:
// - named export thunks (docs/native-abi.md: global symbol = export name; they set r15 from
//   __ts2n_membase around the call);
// - generic thunks for the Linux runtime, one per function export:
//   __ts2n_gx<K>(rdi = args: u64[], rsi = results: u64[]) calls any signature, values as raw bits;
// - the export table the runtime walks (__ts2n_exports, Linux target only).

import { callLayout, sysvCompatible } from "./callconv.ts";
import type { Module, ValType } from "./module.ts";
import { asmSym } from "./symbols.ts";
import { reg } from "./x86.ts";

export function typeCode(t: ValType): number {
  return { i32: 0, i64: 1, f32: 2, f64: 3, v128: 4, funcref: 5, externref: 6 }[t];
}

/** Named System V thunk for a function export, or null if the signature has several results. */
export function exportThunk(m: Module, symbol: string, funcIndex: number, target: string): string[] | null {
  const t = m.types[m.funcs[funcIndex]!.type]!;
  if (!sysvCompatible(t)) return null;
  const layout = callLayout(t);
  const out: string[] = [`${asmSym(symbol)}:`, "    push r15"];
  // entry rsp = 8 mod 16; after push r15 it is aligned. Stack arguments are copied below.
  const area = layout.areaSlots * 8 + ((layout.areaSlots * 8) % 16);
  if (area) {
    out.push(`    sub rsp, ${area}`);
    for (let j = 0; j < layout.areaSlots; j++) {
      out.push(`    mov rax, [rsp+${area + 16 + 8 * j}]`, `    mov [rsp+${8 * j}], rax`);
    }
  }
  out.push("    mov r15, [rel __ts2n_membase]", `    call ${target}`);
  if (area) out.push(`    add rsp, ${area}`);
  out.push("    pop r15", "    ret");
  return out;
}

/** Generic thunk: args and results are arrays of 8-byte raw values. */
export function genericThunk(m: Module, label: string, funcIndex: number, target: string): string[] {
  const t = m.types[m.funcs[funcIndex]!.type]!;
  const layout = callLayout(t);
  let area = layout.areaSlots * 8;
  // entry 8 mod 16, three pushes -> 0 mod 16; keep the area a multiple of 16
  if (area % 16) area += 8;
  const out = [`${label}:`, "    push rbx", "    push r12", "    push r15"];
  out.push("    sub rsp, " + (area + 8), "    mov rbx, rsi", "    mov r12, rdi", "    mov r15, [rel __ts2n_membase]");
  // stack arguments first, then registers (rdi/rsi are argument registers themselves)
  layout.params.forEach((p, k) => {
    if (p.k === "stack") out.push(`    mov rax, [r12+${8 * k}]`, `    mov [rsp+${8 * p.slot}], rax`);
  });
  layout.params.forEach((p, k) => {
    if (p.k !== "reg") return;
    const pt = t.params[k]!;
    if (pt === "f32") out.push(`    movd ${p.reg}, [r12+${8 * k}]`);
    else if (pt === "f64") out.push(`    movq ${p.reg}, [r12+${8 * k}]`);
    else if (pt === "i32") out.push(`    mov ${reg(p.reg, 32)}, [r12+${8 * k}]`);
    else out.push(`    mov ${p.reg}, [r12+${8 * k}]`);
  });
  out.push(`    call ${target}`);
  t.results.forEach((r, k) => {
    const loc = layout.results[k]!;
    if (loc.k === "reg") {
      if (r === "f32") out.push("    movd eax, xmm0");
      else if (r === "f64") out.push("    movq rax, xmm0");
      else if (r === "i32") out.push("    mov eax, eax");
    } else {
      out.push(`    mov rax, [rsp+${8 * loc.slot}]`);
      if (r === "i32" || r === "f32") out.push("    mov eax, eax");
    }
    out.push(`    mov [rbx+${8 * k}], rax`);
  });
  out.push(`    add rsp, ${area + 8}`, "    pop r15", "    pop r12", "    pop rbx", "    ret");
  return out;
}

/**
 * The export table (Linux target): qword count, then per export 4 qwords:
 * kind (0 func, 1 table, 2 memory, 3 global), pointer (generic thunk / global cell / 0),
 * signature (dword nparams, dword nresults, then one type-code byte per param and result; a
 * global is described as 0 params and 1 result of its type), name (NUL-terminated bytes).
 */
export function exportTable(m: Module, gthunk: (k: number) => string, global: (i: number) => string): string[] {
  const out = ["align 8", "__ts2n_exports:", `    dq ${m.exports.length}`];
  const strs: string[] = [];
  m.exports.forEach((e, k) => {
    const kind = { func: 0, table: 1, memory: 2, global: 3 }[e.kind];
    const ptr = e.kind === "func" ? gthunk(k) : e.kind === "global" ? global(e.index) : "0";
    out.push(`    dq ${kind}, ${ptr}, __ts2n_esig${k}, __ts2n_ename${k}`);
    let params: ValType[] = [];
    let results: ValType[] = [];
    if (e.kind === "func") ({ params, results } = m.types[m.funcs[e.index]!.type]!);
    else if (e.kind === "global") results = [m.globals[e.index]!.type];
    const codes = [...params, ...results].map(typeCode);
    strs.push(`__ts2n_esig${k}: dd ${params.length}, ${results.length}` + (codes.length ? `\n    db ${codes.join(", ")}` : ""));
    strs.push(`__ts2n_ename${k}: db ${[...new TextEncoder().encode(e.name), 0].join(", ")}`);
  });
  return [...out, ...strs];
}
