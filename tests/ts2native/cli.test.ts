// CLI behaviour on bad input: a precise message naming section/function and byte offset,
// exit status 1, and no output file.

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { outPath, ts2native } from "./harness.ts";

function wat(name: string, text: string, flags: string[] = []): string {
  const src = outPath(`${name}.wat`);
  writeFileSync(src, text);
  const wasm = outPath(`${name}.wasm`);
  execFileSync("wat2wasm", [...flags, src, "-o", wasm], { stdio: "pipe" });
  return wasm;
}

function expectFailure(cmd: "compile" | "exe", wasm: string, message: RegExp): void {
  const out = outPath(`${cmd}-fail.out`);
  const r = ts2native([cmd, wasm, "-o", out]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.startsWith(`ts2native: ${wasm}: `)).toBe(true);
  expect(existsSync(out)).toBe(false);
}

describe("ts2native CLI errors", () => {
  it("rejects a file that is not wasm", () => {
    const f = outPath("notwasm.wasm");
    writeFileSync(f, "hello world, not wasm");
    expectFailure("compile", f, /module header, offset 0x0: bad magic number/);
  });

  it("names the section and offset of a truncated section", () => {
    const f = outPath("truncated.wasm");
    // header + type section claiming 16 bytes with only 4 present
    writeFileSync(f, Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 16, 1, 0x60, 0, 0]));
    expectFailure("compile", f, /module, offset 0x8: section 1 size 16 runs past the end of the file/);
  });

  it("names the function and the SIMD opcode it does not support", () => {
    const wasm = wat("simd", `(module (func $ok) (func $foo (export "foo") (drop (v128.const i32x4 0 0 0 0))))`, ["--debug-names"]);
    expectFailure("compile", wasm, /code section, function 1 \(\$foo\), offset 0x[0-9a-f]+: unsupported opcode 0xfd 0x0c \(SIMD\)/);
  });

  it("reports validation errors with their offset", () => {
    const wasm = wat("badtype", `(module (func (result i32) (i32.add (i64.const 1) (i32.const 2))))`, ["--no-check"]);
    expectFailure("compile", wasm, /code section, function 0, offset 0x[0-9a-f]+: type mismatch: expected i32, found i64/);
  });

  it("refuses an executable whose imports no runtime provides", () => {
    const wasm = wat("envimport", `(module (import "env" "log" (func (param i32))) (func (export "_start") (call 0 (i32.const 1))))`);
    expectFailure("exe", wasm, /import "env"\."log" \(func\): no runtime provides module "env"/);
  });

  it("fails with usage on bad arguments", () => {
    const r = ts2native(["compile", "x.wasm"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing -o OUTPUT/);
  });
});

describe("executable run mode", () => {
  it("runs _start, prints through imports and reports traps with exit status 3", () => {
    const ok = wat("runok", `(module (import "spectest" "print_i32" (func $p (param i32)))
      (func (export "_start") (call $p (i32.const 7))))`);
    const okExe = outPath("runok.exe");
    expect(ts2native(["exe", ok, "-o", okExe]).status).toBe(0);
    expect(execFileSync(okExe, { encoding: "utf8" })).toBe("P i32 00000007\n");
    const bad = wat("runtrap", `(module (func $inner (export "main") (i32.div_u (i32.const 1) (i32.const 0)) (drop)))`, ["--debug-names"]);
    const badExe = outPath("runtrap.exe");
    expect(ts2native(["exe", bad, "-o", badExe]).status).toBe(0);
    let status = 0;
    let stderr = "";
    try {
      execFileSync(badExe, { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      const err = e as { status: number; stderr: string };
      status = err.status;
      stderr = err.stderr;
    }
    expect(status).toBe(3);
    expect(stderr).toBe("trap: integer divide by zero in inner\n"); // the name section's name, verbatim
  });
});
