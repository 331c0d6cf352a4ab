// Loads this part's unit-test wasm modules (build/apic-acpi/{apic,acpi}.wasm, built by
// `make build/apic-acpi/<which>.wasm`, see mk/apic-acpi-unit.mk) and gives typed access to their exports
// and linear memory. Shared by tests/apic and tests/acpi.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = resolve(root, process.env["APIC_ACPI_DIR"] ?? "build/apic-acpi");

type Arg = number | bigint | boolean;
export interface Wasm {
  /** A call returning i32, as an unsigned number (bool → 0/1). */
  u32(name: string, ...args: Arg[]): number;
  /** A call returning i32 as a signed number. */
  i32(name: string, ...args: Arg[]): number;
  /** A call returning i64, as an unsigned bigint. */
  u64(name: string, ...args: Arg[]): bigint;
  call(name: string, ...args: Arg[]): void;
  mem: DataView;
  bytes: Uint8Array;
}

/** Parameter types of every exported function (so that tests may pass numbers for i64). */
function exportParams(bin: Uint8Array): Map<string, string[]> {
  let p = 8;
  const leb = (): number => { let r = 0, sh = 0, b: number; do { b = bin[p++]!; r += (b & 0x7f) * 2 ** sh; sh += 7; } while (b & 0x80); return r; };
  const name = (): string => { const n = leb(); const s = new TextDecoder().decode(bin.subarray(p, p + n)); p += n; return s; };
  const VT: Record<number, string> = { 0x7f: "i32", 0x7e: "i64" };
  const types: string[][] = [];
  const funcTypes: number[] = [];
  const out = new Map<string, string[]>();
  while (p < bin.length) {
    const id = bin[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        p++;
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

const cache = new Map<string, Wasm>();

/** Builds (make skips fresh outputs) and instantiates `build/apic-acpi/<which>.wasm` once. */
export function load(which: "apic" | "acpi"): Wasm {
  const hit = cache.get(which);
  if (hit) return hit;
  if (!process.env["APIC_ACPI_DIR"]) {
    mkdirSync(resolve(root, "build"), { recursive: true });
    execFileSync("flock", [resolve(root, "build/.apic-acpi-unit.lock"), "make", "--no-print-directory", "-s", `build/apic-acpi/${which}.wasm`],
      { cwd: root, stdio: "inherit" });
  }
  const bin = readFileSync(resolve(dir, `${which}.wasm`));
  const params = exportParams(new Uint8Array(bin));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bin), {
    env: { abort: (): never => { throw new Error("wasm abort()"); } },
  });
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports["memory"] as WebAssembly.Memory;
  const raw = (name: string, args: Arg[]): number | bigint => {
    const f = exports[name];
    const types = params.get(name);
    if (typeof f !== "function" || !types) throw new Error(`no export ${name}`);
    if (args.length !== types.length) throw new Error(`${name}: ${types.length} args, got ${args.length}`);
    return (f as (...a: (number | bigint)[]) => number | bigint)(
      ...args.map((a, i) => types[i] === "i64" ? BigInt.asIntN(64, BigInt(a)) : Number(a)));
  };
  const w: Wasm = {
    u32: (name, ...args) => Number(raw(name, args)) >>> 0,
    i32: (name, ...args) => Number(raw(name, args)) | 0,
    u64: (name, ...args) => BigInt.asUintN(64, BigInt(raw(name, args) ?? 0)),
    call: (name, ...args) => { raw(name, args); },
    mem: new DataView(memory.buffer),
    bytes: new Uint8Array(memory.buffer),
  };
  cache.set(which, w);
  return w;
}
