// Loads the platform unit-test wasm (built by `make platform-unit-wasm`, see mk/platform-unit.mk)
// and gives typed access to its exports and linear memory, where the tests place device state.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const wasmPath = resolve(root, process.env["PLATFORM_UNIT_WASM"] ?? "build/platform-unit/platform.wasm");

export type Arg = number | bigint | boolean;
export type Fn = (...args: Arg[]) => number | bigint;
export interface Platform {
  fn(name: string): Fn;
  /** A call returning i32, as an unsigned number. */
  u32(name: string, ...args: Arg[]): number;
  /** A call returning i32, as a signed number. */
  i32(name: string, ...args: Arg[]): number;
  /** A call returning i64, as an unsigned bigint. */
  u64(name: string, ...args: Arg[]): bigint;
  /** A call returning nothing. */
  call(name: string, ...args: Arg[]): void;
  mem: DataView;
  bytes: Uint8Array;
}

let cached: Platform | undefined;

/**
 * Parameter types ("i32"/"i64") of every exported function, read from the binary's type,
 * import, function and export sections, so that callers may pass numbers for i64 params.
 */
function exportParams(bin: Uint8Array): Map<string, string[]> {
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
        p++; // 0x60
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

/** Builds (make decides whether anything changed) and instantiates the module once per worker. */
export function platform(): Platform {
  if (cached) return cached;
  if (!process.env["PLATFORM_UNIT_WASM"]) {
    // Test files run in parallel workers: one build at a time (make itself skips a fresh wasm).
    mkdirSync(resolve(root, "build"), { recursive: true });
    execFileSync("flock", [resolve(root, "build/.platform-unit.lock"), "make", "--no-print-directory", "-s", "platform-unit-wasm"],
      { cwd: root, stdio: "inherit" });
  }
  const bin = readFileSync(wasmPath);
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
    const raw = f as Fn;
    return (...args) => {
      if (args.length !== types.length) throw new Error(`${name}: ${types.length} args, got ${args.length}`);
      return raw(...args.map((a, i) => types[i] === "i64" ? BigInt.asIntN(64, BigInt(a)) : Number(a)));
    };
  };
  cached = {
    fn,
    u32: (name, ...args) => Number(fn(name)(...args)) >>> 0,
    i32: (name, ...args) => Number(fn(name)(...args)) | 0,
    u64: (name, ...args) => BigInt.asUintN(64, BigInt(fn(name)(...args))),
    call: (name, ...args) => { fn(name)(...args); },
    mem: new DataView(memory.buffer),
    bytes: new Uint8Array(memory.buffer),
  };
  return cached;
}

/** Scratch area for device state (above asc's static data; the module has 4 pages = 256 KiB). */
export const SCRATCH = 64 * 1024;
export const U64_MAX = 0xffffffffffffffffn;

/** A bump allocator over the scratch area, reset per test file: each device gets fresh, 64-byte
 *  aligned state, pre-filled with 0xA5 so nothing relies on zeroed memory. */
export function layout(p: Platform): (size: number) => number {
  let next = SCRATCH;
  return (size: number): number => {
    const at = next;
    next = (next + size + 63) & ~63;
    if (next > p.bytes.length) throw new Error("scratch exhausted");
    p.bytes.fill(0xa5, at, at + size);
    return at;
  };
}
