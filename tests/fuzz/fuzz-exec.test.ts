// fuzz-exec on V8 against binaryen's interpreter on a hand-written module that exercises logs of
// every type, multi-value results, globals, traps (with state kept across them) and sleep; and
// the generator's determinism and import replacement.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { fuzzExecLines } from "../../tools/fuzz/fuzz-exec.ts";
import { binaryenFuzzExec, generateModule, replaceUnsupportedImports, seedBytes } from "../../tools/fuzz/generate.ts";
import { firstDifference, normalizeBinaryen, protocolLines } from "../../tools/fuzz/normalize.ts";
import { FUZZING_SUPPORT } from "../../tools/wasm-spec/hosts.ts";
import { V8Engine } from "../../tools/wasm-spec/v8-engine.ts";
import { readModuleInfo } from "../../tools/wasm-spec/wasm-info.ts";
import { wat } from "../wasm-spec/wat.ts";

const MODULE = `(module
  (import "fuzzing-support" "log-i32" (func $li (param i32)))
  (import "fuzzing-support" "log-i64" (func $lj (param i64)))
  (import "fuzzing-support" "log-f32" (func $lf (param f32)))
  (import "fuzzing-support" "log-f64" (func $ld (param f64)))
  (import "fuzzing-support" "sleep" (func $sleep (param i32 i32) (result i32)))
  (memory 1 1)
  (global $g (mut i64) (i64.const -5))
  (export "g" (global $g))
  (func (export "logs") (param i32 f64)
    (call $li (i32.const -7)) (call $lj (i64.const 0x123456789)) (call $lf (f32.const 0.1)) (call $ld (local.get 1)))
  (func (export "multi") (result f32 i64 f64) (f32.const -0) (i64.const 9223372036854775807) (f64.const 1e300))
  (func (export "store-then-trap") (i32.store (i32.const 8) (i32.const 99)) (global.set $g (i64.const 7)) (unreachable))
  (func (export "load") (result i32) (i32.load (i32.const 8)))
  (func (export "oob") (result i32) (i32.load (i32.const 65535)))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func (export "sleep") (result i32) (call $sleep (i32.const 10) (i32.const 33)))
  (export "g-after" (global $g)))`;

describe("fuzz-exec", () => {
  it("prints what binaryen prints for the same module (after trap-name normalization)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "fuzz-exec-")), "m.wasm");
    writeFileSync(file, wat(MODULE));
    const ref = normalizeBinaryen(protocolLines(binaryenFuzzExec(file)));
    const ours = await fuzzExecLines(new V8Engine(new Map([["fuzzing-support", FUZZING_SUPPORT]])), new Uint8Array(readFileSync(file)), file);
    expect(ref.inconclusive).toBeUndefined();
    expect(ours).toContain("[LoggingExternalInterface logging 591751049 1]");
    // V8's "memory access out of bounds" also stands for a memory.init past its segment (code 11).
    expect(ours).toContain("[trap out of bounds memory access | out of bounds data segment access]");
    expect(ours).toContain("[fuzz-exec] note result: load => 99");
    expect(ours).toHaveLength(ref.lines.length);
    expect(firstDifference(ref.lines, ours)).toBe(-1);
  });
});

describe("generator", () => {
  it("derives the same 1-4 KiB input from a seed every time, different across seeds", () => {
    const a = seedBytes(42);
    expect(a).toEqual(seedBytes(42));
    expect(a.length).toBeGreaterThanOrEqual(1024);
    expect(a.length).toBeLessThan(4096);
    expect(seedBytes(43)).not.toEqual(a);
  });

  it("replaces call-export imports with plain functions", async () => {
    const m = binaryen.parseText(`(module
      (import "fuzzing-support" "call-export" (func $ce (param i32 i32)))
      (import "fuzzing-support" "call-export-catch" (func $cc (param i32) (result i32)))
      (import "fuzzing-support" "log-i32" (func $li (param i32)))
      (func (export "f") (result i32) (call $ce (i32.const 0) (i32.const 0)) (call $li (i32.const 1)) (call $cc (i32.const 0))))`);
    const bytes = m.emitBinary();
    m.dispose();
    const r = await replaceUnsupportedImports(bytes);
    expect(r.replaced.sort()).toEqual(["call-export", "call-export-catch"]);
    expect(readModuleInfo(r.bytes).imports.map((i) => i.field)).toEqual(["log-i32"]);
  });

  it("generates a module with only supported imports from a seed", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "fuzz-gen-")), "s.wasm");
    await generateModule(7, file);
    const info = readModuleInfo(new Uint8Array(readFileSync(file)));
    for (const i of info.imports) expect(FUZZING_SUPPORT.has(i.field) && i.module === "fuzzing-support").toBe(true);
    expect(info.exports.length).toBeGreaterThan(0);
  });
});
