// The compilation pipeline: decode -> validate -> lower -> allocate -> emit, per function, with
// every error located as "<section>, function N ($name), offset 0x...: ...".

import { decodeBody } from "./body.ts";
import { decodeModule } from "./decoder.ts";
import { emitFunction } from "./emit-func.ts";
import { sinkJumpedBlocks } from "./layout.ts";
import { eliminateLoads } from "./loadelim.ts";
import { bindSpectestObjects } from "./exe.ts";
import { emitModule, symbolNames, type Target } from "./emit-module.ts";
import { CompileError } from "./errors.ts";
import { optimizeJumps, simplifyBranches } from "./jumps.ts";
import { threadJumps } from "./thread.ts";
import { splitWebs } from "./webs.ts";
import { lowerFunction } from "./lower.ts";
import { hoistInvariants } from "./licm.ts";
import { peephole } from "./peephole.ts";
import { combine, fuseBranches } from "./combine.ts";
import { constantGlobals, substituteGlobals } from "./consts.ts";
import { foldAddresses } from "./addrfold.ts";
import { foldWrappedLoads } from "./memfold.ts";
import { foldMemoryOperands } from "./loadfold.ts";
import { convertIfs } from "./ifconv.ts";
import { removeDeadCode } from "./dce.ts";
import type { LoweredFunc } from "./ir.ts";
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

/**
 * Export names become global symbols (symbols.ts). A name that cannot be one (empty, the
 * reserved prefix, the same symbol as an import or another export) is an error for the bare
 * target; Linux executables reach exports through their export table, so there the symbol is
 * simply omitted. Returns the symbol of each export (null: none).
 */
function exportSymbols(m: Module, target: Target): (string | null)[] {
  const taken = new Map<string, string>();
  m.funcs.forEach((f) => f.imported && taken.set(importSymbol(f.imported.module, f.imported.field), "an import"));
  m.globals.forEach((g) => g.imported && taken.set(importSymbol(g.imported.module, g.imported.field), "an import"));
  return m.exports.map((e) => {
    if (e.kind !== "func") return null;
    const s = exportSymbol(e.name);
    let problem: string | null = null;
    if (s === "") problem = "an empty name cannot be a symbol";
    else if (s.startsWith(RESERVED_PREFIX)) problem = `it uses the reserved symbol prefix ${RESERVED_PREFIX}`;
    else if (taken.has(s)) problem = `its symbol ${s} is already ${taken.get(s)}`;
    if (problem === null) {
      taken.set(s, `export "${e.name}"`);
      return s;
    }
    if (target === "linux") return null;
    throw new CompileError("export section", 0, `export "${e.name}": ${problem}`);
  });
}

/**
 * Globals whose value cannot change once the start function has run: immutable ones, and
 * mutable ones that are neither imported nor exported and that only the start function writes
 * (licm.ts may read them once before a loop).
 */
function stableGlobals(m: Module, fns: LoweredFunc[]): Set<number> {
  // the start function's writes count only if it can run again (called, exported or in a table)
  const start = m.start;
  const startAgain =
    start !== null &&
    (m.exports.some((e) => e.kind === "func" && e.index === start) ||
      m.elems.some((e) => e.items.includes(start)) ||
      fns.some((fn) => fn.insts.some((i) => i.k === "call" && i.callee.k === "func" && i.callee.index === start)));
  const written = new Set<number>();
  for (const fn of fns) {
    if (fn.index === start && !startAgain) continue;
    for (const i of fn.insts) if (i.k === "gset") written.add(i.g);
  }
  for (const e of m.exports) if (e.kind === "global") written.add(e.index);
  const stable = new Set<number>();
  m.globals.forEach((g, k) => {
    if (!g.mutable || (!g.imported && !written.has(k))) stable.add(k);
  });
  return stable;
}

/** Compiles a module; for the Linux target, spectest's table and memory are bound first (exe.ts). */
export function compileModule(bytes: Uint8Array, target: Target): CompileResult {
  const m = decodeModule(bytes);
  if (target === "linux") bindSpectestObjects(m);
  const symbols = exportSymbols(m, target);
  const refs = declaredFuncRefs(m);
  const sym = symbolNames(m);
  const lowered: LoweredFunc[] = [];
  m.funcs.forEach((f, i) => {
    if (!f.body) return;
    const where = functionWhere(m, i);
    const r = new Reader(bytes, f.body.codeStart, f.body.codeEnd);
    r.where = where;
    const code = decodeBody(r);
    validateBody(m, i, f.body.locals, code, where, refs);
    lowered.push(lowerFunction(m, i, f.body.locals, code, where));
  });
  const stable = stableGlobals(m, lowered);
  const consts = constantGlobals(m, lowered, stable);
  const minBytes = (m.memories[0]?.limits.min ?? 0) * 65536;
  const bodies = lowered.map((fn) => {
    substituteGlobals(m, fn, consts);
    threadJumps(fn);
    optimizeJumps(fn);
    splitWebs(fn);
    peephole(fn);
    combine(fn);
    foldAddresses(fn);
    eliminateLoads(fn);
    foldWrappedLoads(fn, target === "linux", minBytes);
    removeDeadCode(fn);
    simplifyBranches(fn);
    fuseBranches(fn);
    convertIfs(fn);
    hoistInvariants(fn, (g) => stable.has(g));
    simplifyBranches(fn);
    foldMemoryOperands(fn);
    const alloc = allocate(fn, m.types[m.funcs[fn.index]!.type]!, (c) => m.types[c.k === "func" ? m.funcs[c.index]!.type : c.type]!);
    const heads = sinkJumpedBlocks(fn);
    return emitFunction(m, fn, alloc, sym, heads);
  });
  return { module: m, asm: emitModule(m, bodies, target, symbols) };
}
