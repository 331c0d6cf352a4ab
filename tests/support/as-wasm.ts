// Loads an AssemblyScript unit-test wasm (pure core code built by asc from a tests/<area>/entry.ts)
// and gives typed access to its exports and linear memory. Every unit-test area (tests/vtx,
// tests/exits, tests/loader, tests/platform, tests/apic, tests/acpi) goes through this one loader;
// each area's wasm.ts only names its module and make target.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Exports are typed loosely (numbers and bigints as wasm gives them); each test names its own. */
export type Arg = number | bigint | boolean;
export type Fn = (...args: Arg[]) => number | bigint;

export interface AsWasm {
  fn(name: string): Fn;
  /** A call returning i32, as an unsigned number (bool → 0/1). */
  u32(name: string, ...args: Arg[]): number;
  /** A call returning i32, as a signed number. */
  i32(name: string, ...args: Arg[]): number;
  /** A call returning i64, as an unsigned bigint. */
  u64(name: string, ...args: Arg[]): bigint;
  /** A call returning a bool (i32 ≠ 0). */
  bool(name: string, ...args: Arg[]): boolean;
  /** A call whose result, if any, is not needed. */
  call(name: string, ...args: Arg[]): void;
  mem: DataView;
  bytes: Uint8Array;
}

export interface AsWasmSource {
  /** The wasm file, relative to the repository root. */
  path: string;
  /** The make target that builds it; skipped when `skipBuildEnv` is set (a prebuilt file). */
  makeTarget: string;
  /** Name of the lock file under build/ that serializes builds between vitest workers. */
  lock: string;
  /** Environment variable whose presence means "use the file as it is, do not run make". */
  skipBuildEnv: string;
}

/**
 * Parameter types ("i32"/"i64") of every exported function, read from the binary's type, import,
 * function and export sections (wasm spec §5.5), so callers may pass numbers for i64 params.
 */
export function exportParams(bin: Uint8Array): Map<string, string[]> {
  let p = 8;
  const leb = (): number => { let r = 0, sh = 0, b: number; do { b = bin[p++]!; r += (b & 0x7f) * 2 ** sh; sh += 7; } while (b & 0x80); return r; };
  const name = (): string => { const n = leb(); const s = new TextDecoder().decode(bin.subarray(p, p + n)); p += n; return s; };
  const VT: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };
  const types: string[][] = [];
  const funcTypes: number[] = [];
  const out = new Map<string, string[]>();
  while (p < bin.length) {
    const id = bin[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        p++; // 0x60, the function type's form
        const params: string[] = [];
        for (let k = leb(); k > 0; k--) params.push(VT[bin[p++]!] ?? "?");
        for (let k = leb(); k > 0; k--) p++;
        types.push(params);
      }
    } else if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        name(); name();
        const kind = bin[p++]!;
        if (kind === 0) funcTypes.push(leb());
        else if (kind === 1) { p++; const f = leb(); leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
        else { p += 2; }
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) funcTypes.push(leb());
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const nm = name();
        const kind = bin[p++]!;
        const idx = leb();
        if (kind === 0) out.set(nm, types[funcTypes[idx]!] ?? []);
      }
    }
    p = end;
  }
  return out;
}

const loaded = new Map<string, AsWasm>();

/** Builds (make decides whether anything changed) and instantiates the module once per worker. */
export function loadAsWasm(src: AsWasmSource): AsWasm {
  const hit = loaded.get(src.path);
  if (hit) return hit;
  if (!process.env[src.skipBuildEnv]) {
    // Test files run in parallel workers: one build at a time (make itself skips a fresh wasm).
    mkdirSync(resolve(root, "build"), { recursive: true });
    execFileSync("flock", [resolve(root, `build/.${src.lock}.lock`), "make", "--no-print-directory", "-s", src.makeTarget],
      { cwd: root, stdio: "inherit" });
  }
  const bin = readFileSync(resolve(root, src.path));
  const params = exportParams(new Uint8Array(bin));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bin), {
    env: { abort: (): never => { throw new Error("wasm abort()"); } },
  });
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports["memory"] as WebAssembly.Memory;
  const fn = (name: string): Fn => {
    const f = exports[name];
    const types = params.get(name);
    if (typeof f !== "function" || !types) throw new Error(`no export ${name}`);
    const raw = f as (...a: (number | bigint)[]) => number | bigint;
    return (...args) => {
      if (args.length !== types.length) throw new Error(`${name}: ${types.length} args, got ${args.length}`);
      return raw(...args.map((a, i) => types[i] === "i64" ? BigInt.asIntN(64, BigInt(a)) : Number(a)));
    };
  };
  const w: AsWasm = {
    fn,
    u32: (name, ...args) => Number(fn(name)(...args)) >>> 0,
    i32: (name, ...args) => Number(fn(name)(...args)) | 0,
    u64: (name, ...args) => BigInt.asUintN(64, BigInt(fn(name)(...args) ?? 0)),
    bool: (name, ...args) => Number(fn(name)(...args)) !== 0,
    call: (name, ...args) => { fn(name)(...args); },
    mem: new DataView(memory.buffer),
    bytes: new Uint8Array(memory.buffer),
  };
  loaded.set(src.path, w);
  return w;
}
