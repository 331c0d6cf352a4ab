// `ts2native exe`: a static Linux x86-64 executable of any module: the emitted module, the NASM
// runtime (runtime/linux*.asm), the spectest host module when imported, and runtime/<M>.asm for
// imports from any other module M. Assembled with nasm -f elf64, linked with ld.lld, no libc.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./errors.ts";
import type { Limits, Module } from "./module.ts";

export const RUNTIME_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "runtime");
const CORE_RUNTIME = ["linux.asm", "linux-io.asm", "linux-serve.asm"];

const SPECTEST_FUNCS = new Set(["print", "print_i32", "print_i64", "print_f32", "print_f64", "print_i32_f32", "print_f64_f64"]);
const SPECTEST_GLOBALS = new Set(["global_i32", "global_i64", "global_f32", "global_f64"]);

/**
 * The spectest table (10..20 funcref) and memory (1..2 pages) become the module's own, with the
 * spectest sizes; an import declaring limits they do not satisfy is incompatible (§4.5.3
 * "Import matching": min >= declared min, max <= declared max).
 */
export function bindSpectestObjects(m: Module): void {
  const match = (what: string, declared: Limits, actual: Limits): Limits => {
    if (actual.min < declared.min || (declared.max !== null && (actual.max === null || actual.max > declared.max))) {
      throw new UsageError(`import "spectest"."${what}": incompatible import type (limits ${declared.min}..${declared.max ?? ""} do not match ${actual.min}..${actual.max})`);
    }
    return { ...actual, shared: declared.shared };
  };
  for (const t of m.tables) if (t.imported?.module === "spectest") t.limits = match(t.imported.field, t.limits, { min: 10, max: 20, shared: false });
  for (const mem of m.memories) if (mem.imported?.module === "spectest") mem.limits = match(mem.imported.field, mem.limits, { min: 1, max: 2, shared: false });
}

/** Runtime sources the module needs; throws naming the first import nothing provides. */
export function runtimeSources(m: Module): string[] {
  const files = new Set(CORE_RUNTIME.map((f) => join(RUNTIME_DIR, f)));
  const check = (module: string, field: string, kind: string): void => {
    if (module === "spectest") {
      const ok = kind === "func" ? SPECTEST_FUNCS.has(field)
        : kind === "global" ? SPECTEST_GLOBALS.has(field)
        : field === kind; // spectest exports exactly one table, "table", and one memory, "memory"
      if (!ok) throw new UsageError(`import "${module}"."${field}" (${kind}): the spectest module has no such ${kind}`);
      if (kind === "func" || kind === "global") files.add(join(RUNTIME_DIR, "spectest.asm"));
      return;
    }
    if (kind === "table" || kind === "memory") return; // becomes the module's own
    if (!/^[A-Za-z0-9_-]+$/.test(module) || module.startsWith("linux")) {
      throw new UsageError(`import "${module}"."${field}" (${kind}): no runtime provides module "${module}"`);
    }
    const f = join(RUNTIME_DIR, `${module}.asm`);
    if (!existsSync(f)) throw new UsageError(`import "${module}"."${field}" (${kind}): no runtime provides module "${module}" (tools/ts2native/runtime/${module}.asm does not exist)`);
    files.add(f);
  };
  m.funcs.forEach((f) => f.imported && check(f.imported.module, f.imported.field, "func"));
  m.globals.forEach((g) => g.imported && check(g.imported.module, g.imported.field, "global"));
  m.tables.forEach((t) => t.imported && check(t.imported.module, t.imported.field, "table"));
  m.memories.forEach((mem) => mem.imported && check(mem.imported.module, mem.imported.field, "memory"));
  return [...files];
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new UsageError(`${cmd} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** Assembles and links; writes `output` only when everything succeeded. */
export function linkExecutable(asm: string, m: Module, output: string, keepAsm: string | null): void {
  const sources = runtimeSources(m);
  const dir = mkdtempSync(join(tmpdir(), "ts2native-"));
  try {
    const modAsm = join(dir, "module.asm");
    writeFileSync(modAsm, asm);
    if (keepAsm) writeFileSync(keepAsm, asm);
    const objs: string[] = [];
    [modAsm, ...sources].forEach((src, k) => {
      const obj = join(dir, `${k}.o`);
      run("nasm", ["-f", "elf64", "-w-all", "-o", obj, src]);
      objs.push(obj);
    });
    const tmpOut = join(dir, "a.out");
    run("ld.lld", ["-static", "--no-pie", "-e", "__ts2n_entry", "-z", "noexecstack", "-o", tmpOut, ...objs]);
    // rename is atomic within a file system; the temp dir may be elsewhere, so copy then rename
    const staged = `${output}.tmp-${process.pid}`;
    execFileSync("cp", [tmpOut, staged]);
    execFileSync("mv", ["-f", staged, output]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
