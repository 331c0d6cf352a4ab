// Loads the exits unit-test wasm (mk/exits-unit.mk) and calls its exports with numbers or bigints:
// i64 parameters are converted from the parameter types read out of the binary, results come back
// unsigned (u32 as number, u64 as bigint). Linear memory is the tests' scratch space.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const wasmPath = resolve(root, process.env["EXITS_UNIT_WASM"] ?? "build/exits-unit/exits.wasm");

type Arg = number | bigint | boolean;
export interface Exits {
  u32(name: string, ...args: Arg[]): number;
  i32(name: string, ...args: Arg[]): number;
  u64(name: string, ...args: Arg[]): bigint;
  bool(name: string, ...args: Arg[]): boolean;
  mem: DataView;
  bytes: Uint8Array;
}

/** Parameter and result types of every exported function (type, import, function, export sections). */
function signatures(bin: Uint8Array): Map<string, { params: string[]; result: string }> {
  let p = 8;
  const leb = (): number => { let r = 0, sh = 0, b: number; do { b = bin[p++]!; r += (b & 0x7f) * 2 ** sh; sh += 7; } while (b & 0x80); return r; };
  const name = (): string => { const n = leb(); const s = new TextDecoder().decode(bin.subarray(p, p + n)); p += n; return s; };
  const VT: Record<number, string> = { 0x7f: "i32", 0x7e: "i64" };
  const types: { params: string[]; result: string }[] = [];
  const funcTypes: number[] = [];
  const out = new Map<string, { params: string[]; result: string }>();
  while (p < bin.length) {
    const id = bin[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        p++;
        const params: string[] = [];
        for (let k = leb(); k > 0; k--) params.push(VT[bin[p++]!] ?? "?");
        let result = "";
        for (let k = leb(); k > 0; k--) result = VT[bin[p++]!] ?? "?";
        types.push({ params, result });
      }
    } else if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        name(); name();
        const kind = bin[p++]!;
        if (kind === 0) funcTypes.push(leb());
        else if (kind === 1) { p++; const f = leb(); leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
        else p += 2;
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) funcTypes.push(leb());
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const nm = name();
        const kind = bin[p++]!;
        const idx = leb();
        const t = types[funcTypes[idx]!];
        if (kind === 0 && t) out.set(nm, t);
      }
    }
    p = end;
  }
  return out;
}

let cached: Exits | undefined;

export function exits(): Exits {
  if (cached) return cached;
  if (!process.env["EXITS_UNIT_WASM"]) {
    mkdirSync(resolve(root, "build"), { recursive: true });
    execFileSync("flock", [resolve(root, "build/.exits-unit.lock"), "make", "--no-print-directory", "-s", "exits-unit-wasm"],
      { cwd: root, stdio: "inherit" });
  }
  const bin = readFileSync(wasmPath);
  const sigs = signatures(new Uint8Array(bin));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bin), {
    env: { abort: (): never => { throw new Error("wasm abort()"); } },
  });
  const ex = instance.exports as Record<string, unknown>;
  const memory = ex["memory"] as WebAssembly.Memory;
  const call = (name: string, args: Arg[]): number | bigint => {
    const f = ex[name];
    const sig = sigs.get(name);
    if (typeof f !== "function" || !sig) throw new Error(`no export ${name}`);
    if (args.length !== sig.params.length) throw new Error(`${name}: ${sig.params.length} args, got ${args.length}`);
    return (f as (...a: (number | bigint)[]) => number | bigint)(
      ...args.map((a, i) => sig.params[i] === "i64" ? BigInt.asIntN(64, BigInt(a)) : Number(a)));
  };
  cached = {
    u32: (n, ...a) => Number(call(n, a)) >>> 0,
    i32: (n, ...a) => Number(call(n, a)) | 0,
    u64: (n, ...a) => BigInt.asUintN(64, BigInt(call(n, a))),
    bool: (n, ...a) => Number(call(n, a)) !== 0,
    mem: new DataView(memory.buffer),
    bytes: new Uint8Array(memory.buffer),
  };
  return cached;
}

/** Scratch addresses well above asc's static data (the module has 4 MiB of memory). */
export const A = { SNAP: 0x100000, CFG: 0x101000, OUT: 0x101100, STATE: 0x102000, PAGE: 0x103000,
  PAGE_B: 0x104000, BUS: 0x105000, RANGES: 0x105100, DEV: 0x106000, EV: 0x106100, DEC: 0x106200,
  CRUP: 0x106300, INSN: 0x106400 } as const;
