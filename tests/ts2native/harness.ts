// Test harness: builds wasm modules (asc, wat2wasm), compiles them with `ts2native exe`, drives
// the executables through the --serve protocol, and runs the same calls in V8
// (new WebAssembly.Instance) to produce the replies the native code must match.

import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const OUT = join(ROOT, "build/ts2native-tests");
const BIN = join(ROOT, "node_modules/.bin");
const CLI = join(ROOT, "tools/ts2native/src/cli.ts");

export function outPath(name: string): string {
  mkdirSync(OUT, { recursive: true });
  return join(OUT, name);
}

/**
 * asc with the options the VMM core uses (DESIGN.md §2). AssemblyScript sources are kept as
 * files named .as (the root tsconfig type-checks every .ts file under tests/ as TypeScript) and
 * are copied to a .ts name for asc.
 */
export function buildAS(src: string): string {
  const name = basename(src, ".as");
  const ts = outPath(name + ".ts");
  copyFileSync(src, ts);
  const wasm = outPath(name + ".wasm");
  execFileSync(join(BIN, "asc"), [ts, "--runtime", "stub", "-O3", "--memoryBase", "16777216", "--use", "abort=", "-o", wasm], { cwd: ROOT, stdio: "pipe" });
  return wasm;
}

export function buildWat(src: string, extra: string[] = []): string {
  const wasm = outPath(basename(src, ".wat") + ".wasm");
  execFileSync("wat2wasm", [...extra, src, "-o", wasm], { stdio: "pipe" });
  return wasm;
}

export function ts2native(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(join(BIN, "tsx"), [CLI, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function buildExe(wasm: string): string {
  const exe = wasm.replace(/\.wasm$/, ".exe");
  const r = ts2native(["exe", wasm, "-o", exe]);
  if (r.status !== 0) throw new Error(`ts2native exe ${wasm} failed:\n${r.stderr}`);
  return exe;
}

/** Runs `exe --serve` with the commands; returns the reply lines. */
export function serve(exe: string, commands: string[]): string[] {
  const r = spawnSync(exe, ["--serve"], { input: commands.join("\n") + "\nQ\n", encoding: "utf8", timeout: 20000 });
  if (r.status !== 0) throw new Error(`${exe} --serve exited with ${r.status} (signal ${r.signal}): ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l.length > 0);
}

// ---- the reference: V8 ----

type T = "i32" | "i64" | "f32" | "f64";
const hexOf = (t: T, bits: bigint): string => BigInt.asUintN(t === "i32" || t === "f32" ? 32 : 64, bits).toString(16).padStart(t === "i32" || t === "f32" ? 8 : 16, "0");
const buf = new DataView(new ArrayBuffer(8));

function toJS(t: T, hex: string): number | bigint {
  const b = BigInt("0x" + hex);
  if (t === "i32") return Number(BigInt.asIntN(32, b));
  if (t === "i64") return BigInt.asIntN(64, b);
  if (t === "f32") {
    buf.setUint32(0, Number(b));
    return buf.getFloat32(0);
  }
  buf.setBigUint64(0, b);
  return buf.getFloat64(0);
}

function fromJS(t: T, v: unknown): string {
  if (t === "i32") return hexOf(t, BigInt(v as number));
  if (t === "i64") return hexOf(t, v as bigint);
  if (t === "f32") {
    buf.setFloat32(0, v as number);
    return hexOf(t, BigInt(buf.getUint32(0)));
  }
  buf.setFloat64(0, v as number);
  return hexOf(t, buf.getBigUint64(0));
}

/** V8 trap messages and the ABI trap codes (docs/native-abi.md; hex, as the serve protocol writes them) each may mean. */
const V8_TRAPS: [RegExp, string][] = [
  [/unreachable/, "1"],
  [/divide by zero|remainder by zero/, "2"],
  [/divide result unrepresentable|integer overflow/, "3"],
  [/float unrepresentable/, "3|4"],
  [/memory access out of bounds|out of bounds memory access/, "5"],
  [/table index is out of bounds/, "6|a"], // call_indirect (6) or table.init/copy (10)
  [/null function or function signature mismatch/, "7|8"],
  [/function signature mismatch/, "8"],
  [/Maximum call stack size exceeded/, "9"],
  [/element segment out of bounds/, "a"],
  [/data segment.*out of bounds/, "5"],
  [/unaligned access/, "c"],
];

export function v8TrapCode(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  for (const [re, code] of V8_TRAPS) if (re.test(msg)) return code;
  throw new Error(`unexpected exception from V8: ${msg}`);
}

/** Replays serve commands against V8, producing the expected replies (trap lines as "T a|b"). */
export function v8Serve(wasm: string, commands: string[]): string[] {
  const mod = new WebAssembly.Module(readFileSync(wasm));
  const out: string[] = [];
  const p = (types: T[]) => (...args: unknown[]) => void out.push("P" + types.map((t, k) => ` ${t} ${fromJS(t, args[k])}`).join(""));
  const spectest = {
    print: () => void out.push("P"), print_i32: p(["i32"]), print_i64: p(["i64"]), print_f32: p(["f32"]), print_f64: p(["f64"]),
    print_i32_f32: p(["i32", "f32"]), print_f64_f64: p(["f64", "f64"]),
    global_i32: 666, global_i64: 666n, global_f32: 666.6, global_f64: 666.6,
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: "anyfunc" }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  };
  let inst: WebAssembly.Instance;
  try {
    inst = new WebAssembly.Instance(mod, { spectest } as unknown as WebAssembly.Imports);
    out.push("I ok");
  } catch (e) {
    out.push(`I T ${v8TrapCode(e)}`);
    return out;
  }
  const exps = WebAssembly.Module.exports(mod);
  const sigs = exportSignatures(readFileSync(wasm));
  for (const c of commands) {
    const [cmd, idxHex, ...args] = c.split(" ");
    const e = exps[parseInt(idxHex!, 16)]!;
    const value = inst.exports[e.name] as unknown;
    const sig = sigs[parseInt(idxHex!, 16)]!;
    if (cmd === "G") {
      out.push(`R ${fromJS(sig.results[0]!, (value as WebAssembly.Global).value)}`);
      continue;
    }
    try {
      const r = (value as (...a: unknown[]) => unknown)(...args.map((a, k) => toJS(sig.params[k]!, a)));
      const rs = sig.results.length === 1 ? [r] : sig.results.length ? (r as unknown[]) : [];
      out.push(["R", ...rs.map((v, k) => fromJS(sig.results[k]!, v))].join(" "));
    } catch (e) {
      out.push(`T ${v8TrapCode(e)}`);
    }
  }
  return out;
}

/** Parameter/result types of exports, from our own decoder (the JS API does not expose them). */
function exportSignatures(bytes: Uint8Array): { params: T[]; results: T[] }[] {
  // imported lazily to keep the harness usable on its own
  const { decodeModule } = require_decoder();
  const m = decodeModule(bytes);
  return m.exports.map((e) => {
    if (e.kind === "func") {
      const t = m.types[m.funcs[e.index]!.type]!;
      return { params: t.params as T[], results: t.results as T[] };
    }
    if (e.kind === "global") return { params: [], results: [m.globals[e.index]!.type as T] };
    return { params: [], results: [] };
  });
}

import * as decoder from "../../tools/ts2native/src/decoder.ts";
function require_decoder(): typeof decoder {
  return decoder;
}

function isNaNBits(t: T, hex: string): "qnan" | "snan" | null {
  const b = BigInt("0x" + hex);
  const [exp, quiet, mant] = t === "f32" ? [0x7f800000n, 0x400000n, 0x7fffffn] : [0x7ff0000000000000n, 0x8000000000000n, 0xfffffffffffffn];
  if ((b & exp) !== exp || (b & mant) === 0n) return null;
  return (b & quiet) !== 0n ? "qnan" : "snan";
}

/**
 * Replaces float NaN results by their class: wasm lets arithmetic produce any quiet NaN
 * (Core Specification §4.3.3, "NaN propagation"), so sign and payload may differ from V8's.
 */
export function normalizeNaNs(wasm: string, cmds: string[], lines: string[]): string[] {
  const sigs = exportSignatures(readFileSync(wasm));
  let k = 0;
  return lines.map((l) => {
    if (l.startsWith("I ")) return l;
    if (l.startsWith("P")) {
      const parts = l.split(" ");
      for (let i = 1; i + 1 < parts.length; i += 2) {
        const t = parts[i] as T;
        if (t === "f32" || t === "f64") parts[i + 1] = isNaNBits(t, parts[i + 1]!) ?? parts[i + 1]!;
      }
      return parts.join(" ");
    }
    const cmd = cmds[k++];
    if (!l.startsWith("R ") || !cmd) return l;
    const sig = sigs[parseInt(cmd.split(" ")[1]!, 16)];
    if (!sig) return l;
    const vals = l.split(" ").slice(1);
    return ["R", ...vals.map((v, i) => {
      const t = sig.results[i];
      return (t === "f32" || t === "f64") ? (isNaNBits(t, v) ?? v) : v;
    })].join(" ");
  });
}

/** Runs the commands natively and in V8; returns the differences (empty when they agree). */
export function diffAgainstV8(wasm: string, exe: string, cmds: string[]): string[] {
  const native = normalizeNaNs(wasm, cmds, serve(exe, cmds));
  const expected = normalizeNaNs(wasm, cmds, v8Serve(wasm, cmds));
  const problems = compareReplies(native, expected);
  if (native.length < cmds.length + 1) problems.push(`only ${native.length} reply lines for ${cmds.length} commands`);
  return problems;
}

/** Native and V8 replies must agree line by line; NaNs agree with NaNs, traps with any mapped code. */
export function compareReplies(native: string[], expected: string[]): string[] {
  const problems: string[] = [];
  const n = Math.max(native.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = native[i];
    const b = expected[i];
    if (a === b) continue;
    if (a !== undefined && b !== undefined && b.startsWith("T ") && a.startsWith("T ") && b.slice(2).split("|").includes(a.slice(2))) continue;
    if (a !== undefined && b !== undefined && b.startsWith("I T ") && a.startsWith("I T ") && b.slice(4).split("|").includes(a.slice(4))) continue;
    problems.push(`line ${i + 1}: native ${JSON.stringify(a)} expected ${JSON.stringify(b)}`);
  }
  return problems;
}
