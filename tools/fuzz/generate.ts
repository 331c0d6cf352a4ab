// Generates a fuzz module from a seed: deterministic random bytes → `wasm-opt -ttf` (binaryen's
// translate-to-fuzz, npm binaryen 132) with `--denan` and only the features ts2native supports,
// then replaces the fuzzing-support imports ts2native cannot provide.
//
// Features: MVP + mutable-globals, sign-ext, nontrapping-float-to-int, multivalue, bulk-memory
// (and bulk-memory-opt, binaryen's name for memory.copy/fill). No SIMD, reference types, GC,
// exceptions, tail calls, threads or memory64.
//
// Post-processing (the same module then goes to every engine, binaryen's interpreter included):
// `-ttf` may import `call-export(index, flags)` and `call-export-catch(index) → i32`, which call
// back into an export by index through JS and report JS exceptions. A native executable has no
// JS and no exceptions, so both imports become ordinary functions: call-export does nothing and
// call-export-catch returns 0 ("no exception"). log-i32/i64/f32/f64 and sleep stay imports.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Binaryen from "binaryen";
import { REPO_ROOT } from "../wasm-spec/native-compiler.ts";

export const WASM_OPT = join(REPO_ROOT, "node_modules", ".bin", "wasm-opt");

export const FUZZ_FEATURE_FLAGS: readonly string[] = [
  "--mvp-features",
  "--enable-mutable-globals",
  "--enable-sign-ext",
  "--enable-nontrapping-float-to-int",
  "--enable-multivalue",
  "--enable-bulk-memory",
  "--enable-bulk-memory-opt",
];

type BinaryenApi = typeof Binaryen;
let binaryenApi: Promise<BinaryenApi> | undefined;

/**
 * binaryen.js, loaded on first use only: under tsx's loader its 14 MB module takes tens of
 * seconds to import on a busy machine, and most runs find their modules in the cache (cache.ts).
 */
function loadBinaryen(): Promise<BinaryenApi> {
  binaryenApi ??= import("binaryen").then((m) => m.default);
  return binaryenApi;
}

/** Seed → the random input `-ttf` turns into a module: SHA-256 in counter mode, 1–4 KiB. */
export function seedBytes(seed: number): Uint8Array {
  const block = (i: number): Buffer => createHash("sha256").update(`ts2native-fuzz:${seed}:${i}`).digest();
  const size = 1024 + (block(-1).readUInt16LE(0) % 3072);
  const out = new Uint8Array(size);
  for (let i = 0; i * 32 < size; i++) out.set(block(i).subarray(0, Math.min(32, size - i * 32)), i * 32);
  return out;
}

/** Replaces call-export / call-export-catch imports (see above); returns the new binary. */
export async function replaceUnsupportedImports(wasm: Uint8Array): Promise<{ bytes: Uint8Array; replaced: string[] }> {
  const binaryen = await loadBinaryen();
  const F = binaryen.Features;
  const m = binaryen.readBinary(wasm);
  try {
    m.setFeatures(F.MutableGlobals | F.SignExt | F.NontrappingFPToInt | F.Multivalue | F.BulkMemory | F.BulkMemoryOpt);
    const replaced: string[] = [];
    for (let i = m.getNumFunctions() - 1; i >= 0; i--) {
      const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
      if (f.module !== "fuzzing-support" || (f.base !== "call-export" && f.base !== "call-export-catch")) continue;
      m.removeFunction(f.name);
      m.addFunction(f.name, f.params, f.results, [], f.base === "call-export" ? m.nop() : m.i32.const(0));
      replaced.push(f.base);
    }
    if (replaced.length > 0 && !m.validate()) throw new Error("module invalid after replacing call-export imports");
    return { bytes: replaced.length > 0 ? m.emitBinary() : wasm, replaced };
  } finally {
    m.dispose();
  }
}

/** Generates the module for `seed` into `outFile`. Throws with wasm-opt's message on failure. */
export async function generateModule(seed: number, outFile: string): Promise<void> {
  const input = `${outFile}.input`;
  const raw = `${outFile}.raw.wasm`;
  writeFileSync(input, seedBytes(seed));
  try {
    const r = spawnSync(WASM_OPT, [input, "-ttf", "--denan", ...FUZZ_FEATURE_FLAGS, "-o", raw], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
      throw new Error(`wasm-opt -ttf (seed ${seed}) failed: ${r.error?.message ?? r.stderr.trim().slice(-500)}`);
    }
    writeFileSync(outFile, (await replaceUnsupportedImports(new Uint8Array(readFileSync(raw)))).bytes);
  } finally {
    rmSync(input, { force: true });
    rmSync(raw, { force: true });
  }
}

/** binaryen's reference output: `wasm-opt FILE --fuzz-exec-before` (stdout only). */
export function binaryenFuzzExec(file: string): string {
  const r = spawnSync(WASM_OPT, [file, ...FUZZ_FEATURE_FLAGS, "--fuzz-exec-before", "-q"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new Error(`wasm-opt --fuzz-exec-before ${file} failed: ${r.error?.message ?? r.stderr.trim().slice(-500)}`);
  return r.stdout;
}
