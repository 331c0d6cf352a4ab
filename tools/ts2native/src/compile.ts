// The compilation pipeline: decode -> validate -> lower -> allocate -> emit, per function, with
// every error located as "<section>, function N ($name), offset 0x...: ...".

import { decodeBody } from "./body.ts";
import { decodeModule } from "./decoder.ts";
import { emitFunction } from "./emit-func.ts";
import { bindSpectestObjects } from "./exe.ts";
import { emitModule, symbolNames, type Target } from "./emit-module.ts";
import { CompileError } from "./errors.ts";
import { lowerFunction } from "./lower.ts";
import type { Module } from "./module.ts";
import { Reader } from "./reader.ts";
import { allocate } from "./regalloc.ts";
import { RESERVED_PREFIX, exportSymbol, importSymbol } from "./symbols.ts";
import { declaredFuncRefs, validateBody } from "./validate.ts";

export interface CompileResult {
  module: Module;
  asm: string;
}

function functionWhere(m: Module, i: number): string {
  const n = m.funcs[i]!.name;
  return `code section, function ${i}` + (n !== null ? ` (${n.startsWith("$") ? n : "$" + n})` : "");
}

/** Export names become global symbols: they must not collide with each other or with ours. */
function checkSymbols(m: Module): void {
  const taken = new Map<string, string>();
  m.funcs.forEach((f) => f.imported && taken.set(importSymbol(f.imported.module, f.imported.field), "an import"));
  m.globals.forEach((g) => g.imported && taken.set(importSymbol(g.imported.module, g.imported.field), "an import"));
  for (const e of m.exports) {
    if (e.kind !== "func") continue;
    const s = exportSymbol(e.name);
    if (s.startsWith(RESERVED_PREFIX)) throw new CompileError("export section", 0, `export "${e.name}" uses the reserved symbol prefix ${RESERVED_PREFIX}`);
    const other = taken.get(s);
    if (other) throw new CompileError("export section", 0, `export "${e.name}" has the same symbol (${s}) as ${other}`);
    taken.set(s, "another export");
  }
}

/** Compiles a module; for the Linux target, spectest's table and memory are bound first (exe.ts). */
export function compileModule(bytes: Uint8Array, target: Target): CompileResult {
  const m = decodeModule(bytes);
  if (target === "linux") bindSpectestObjects(m);
  checkSymbols(m);
  const refs = declaredFuncRefs(m);
  const sym = symbolNames(m);
  const bodies: string[][] = [];
  m.funcs.forEach((f, i) => {
    if (!f.body) return;
    const where = functionWhere(m, i);
    const r = new Reader(bytes, f.body.codeStart, f.body.codeEnd);
    r.where = where;
    const code = decodeBody(r);
    validateBody(m, i, f.body.locals, code, where, refs);
    const lowered = lowerFunction(m, i, f.body.locals, code, where);
    const alloc = allocate(lowered, m.types[f.type]!);
    bodies.push(emitFunction(m, lowered, alloc, sym));
  });
  return { module: m, asm: emitModule(m, bodies, target) };
}
