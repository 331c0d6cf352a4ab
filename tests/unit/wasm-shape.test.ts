// The shape of the core's wasm against the contracts around it: the `hw` imports are exactly the
// ABI table's (docs/native-abi.md), declared only in src/hw.ts; build/vmm.wasm exports vmm_main
// alone; and the core never reaches the allocator, memory.grow or floating point (DESIGN.md §2:
// the back end takes the integer subset first; src/README.md: no allocation).

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CORE_WASM, TEST_WASM } from "./support/fake-machine.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (p: string): string => readFileSync(resolve(ROOT, p), "utf8");

/** AssemblyScript type in the ABI table → wasm value type (wasm32: usize is i32). */
const WASM_TYPE: Record<string, string> = { u32: "i32", usize: "i32", u64: "i64" };

interface Sig {
  params: string[];
  result: string; // "" for void
}

function asSig(params: string, result: string): Sig {
  const ps = params.trim() === "" ? [] : params.split(",").map((p) => p.split(":")[1]!.trim());
  const toWasm = (t: string): string => {
    const w = WASM_TYPE[t];
    if (w === undefined) throw new Error(`type ${t} not in the ABI's vocabulary`);
    return w;
  };
  return { params: ps.map(toWasm), result: result.trim() === "void" ? "" : toWasm(result.trim()) };
}

/** `hw_*` rows of the ABI table: `| \`hw_outb/outw/outl\` | \`(port: u32, value: u32): void\` | … |`. */
function abiTable(): Map<string, Sig> {
  const table = new Map<string, Sig>();
  for (const m of read("docs/native-abi.md").matchAll(/^\| `(hw_[a-z0-9_/]+)` \| `\(([^)]*)\): (\w+)` \|/gm)) {
    // `hw_read_cr0/cr3/cr4` = hw_read_cr0, hw_read_cr3, hw_read_cr4: alternatives replace the
    // part after the last underscore.
    const [first, ...rest] = m[1]!.split("/");
    const prefix = first!.slice(0, first!.lastIndexOf("_") + 1);
    const sig = asSig(m[2]!, m[3]!);
    for (const name of [first!, ...rest.map((r) => prefix + r)]) {
      expect(table.has(name), `${name} listed twice`).toBe(false);
      table.set(name, sig);
    }
  }
  return table;
}

/** `@external("hw", "F") export declare function hw_F(...): T;` lines of src/hw.ts. */
function hwDeclarations(): Map<string, Sig> {
  const decls = new Map<string, Sig>();
  const re = /@external\("hw", "(\w+)"\) export declare function (\w+)\(([^)]*)\): (\w+);/g;
  for (const m of read("src/hw.ts").matchAll(re)) {
    expect(m[2], "the AssemblyScript name is the symbol name").toBe(`hw_${m[1]}`);
    decls.set(m[2]!, asSig(m[3]!, m[4]!));
  }
  return decls;
}

/** Imports of a .wat as binaryen prints them: `(import "hw" "outb" (func $… (param i32 i32) (result i32)))`. */
function watImports(wat: string): Map<string, Sig> {
  const imports = new Map<string, Sig>();
  for (const m of wat.matchAll(/^ \(import "hw" "(\w+)" \(func \$\S+((?: \(param[^)]*\))?)((?: \(result \w+\))?)\)\)$/gm)) {
    const params = /\(param ([^)]*)\)/.exec(m[2]!)?.[1]?.split(" ") ?? [];
    const result = /\(result (\w+)\)/.exec(m[3]!)?.[1] ?? "";
    imports.set(`hw_${m[1]}`, { params, result });
  }
  return imports;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("core wasm shape", () => {
  it("src/hw.ts declares exactly the ABI table's intrinsics, with its signatures", () => {
    const table = abiTable();
    expect(table.size).toBeGreaterThanOrEqual(20); // the table parsed (outb … image_end at least)
    expect(hwDeclarations()).toEqual(table);
  });

  it("no other file declares hw externals", () => {
    const offenders = tsFiles(resolve(ROOT, "src")).filter(
      (f) => !f.endsWith(join("src", "hw.ts")) && readFileSync(f, "utf8").includes("@external("),
    );
    expect(offenders).toEqual([]);
  });

  for (const [name, wasm] of [["vmm.wasm", CORE_WASM], ["vmm-test.wasm", TEST_WASM]] as const) {
    it(`${name}: every import is an ABI intrinsic with the ABI's wasm signature`, () => {
      const wat = readFileSync(wasm.replace(/\.wasm$/, ".wat"), "utf8");
      const imports = watImports(wat);
      const mod = new WebAssembly.Module(readFileSync(wasm));
      const binaryImports = WebAssembly.Module.imports(mod).filter((i) => i.kind === "function");
      // The .wat is printed from the same module: it must list the same imports as the binary.
      expect([...imports.keys()].sort()).toEqual(binaryImports.map((i) => `${i.module}_${i.name}`).sort());
      const table = abiTable();
      for (const [sym, sig] of imports) expect(sig, sym).toEqual(table.get(sym));
      expect(imports.size).toBeGreaterThan(0);
    });

    it(`${name}: no allocator, no memory.grow, no floating point`, () => {
      const wat = readFileSync(wasm.replace(/\.wasm$/, ".wat"), "utf8");
      expect(wat).toMatch(/\(func \$src\/vmm\/main\/vmm_main/); // the printout names functions
      expect(wat.match(/\$~lib\/rt\/[\w/]+/g) ?? []).toEqual([]);
      expect(wat).not.toMatch(/\b(__new|__alloc|__renew|memory\.grow)\b/);
      expect(wat.match(/\bf(32|64)\b/g) ?? []).toEqual([]);
    });
  }

  it("vmm.wasm exports vmm_main(i32, i32), vmm_exit(i32) -> i32 and its lite entries only; its memory stays internal", () => {
    const mod = new WebAssembly.Module(readFileSync(CORE_WASM));
    const names = WebAssembly.Module.exports(mod).map((e) => `${e.kind} ${e.name}`).sort();
    expect(names).toEqual(["function vmm_exit", "function vmm_exit_cpuid", "function vmm_exit_io", "function vmm_main"]);
    expect(WebAssembly.Module.imports(mod).every((i) => i.module === "hw")).toBe(true);
    const wat = readFileSync(CORE_WASM.replace(/\.wasm$/, ".wat"), "utf8");
    expect(wat).toMatch(/^ \(func \$src\/vmm\/main\/vmm_main \(param \$0 i32\) \(param \$1 i32\)$/m);
    expect(wat).toMatch(/^ \(export "vmm_exit" \(func \$src\/vmm\/exit-fast\/vmmExit\)\)$/m);
    expect(wat).toMatch(/^ \(func \$src\/vmm\/exit-fast\/vmmExit \(param \$0 i32\) \(result i32\)$/m);
    // boot/vmrun.asm calls these with rdi = the block (and rsi = the I/O exit qualification, an i64).
    expect(wat).toMatch(/^ \(func \$src\/vmm\/exit-lite\/vmmExitCpuid \(param \$0 i32\) \(result i32\)$/m);
    expect(wat).toMatch(/^ \(func \$src\/vmm\/exit-lite\/vmmExitIo \(param \$0 i32\) \(param \$1 i64\) \(result i32\)$/m);
  });

  it("vmm.wasm's data starts at 16 MiB (asc --memoryBase, docs/native-abi.md layout)", () => {
    const wat = readFileSync(CORE_WASM.replace(/\.wasm$/, ".wat"), "utf8");
    const offsets = [...wat.matchAll(/^ \(data \S+ \(i32\.const (\d+)\)/gm)].map((m) => Number(m[1]));
    expect(offsets.length).toBeGreaterThan(0);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0x1000000);
    expect(Math.max(...offsets)).toBeLessThan(0x2000000);
  });
});
