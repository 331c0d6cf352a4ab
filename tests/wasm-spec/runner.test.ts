// The script runner on V8, end to end: each command kind is judged, failures say expected vs
// actual, and an engine without linking skips (and taints) what needs cross-module linking.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Engine } from "../../tools/wasm-spec/engine.ts";
import { SPECTEST } from "../../tools/wasm-spec/hosts.ts";
import { type Outcome, ScriptRunner } from "../../tools/wasm-spec/runner.ts";
import { parseScript } from "../../tools/wasm-spec/script.ts";
import { V8Engine } from "../../tools/wasm-spec/v8-engine.ts";
import { wat } from "./wat.ts";

const MAIN = `(module
  (memory (export "mem") 1)
  (global (export "g") f32 (f32.const nan:0x200000))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $rec (export "rec") (call $rec))
  (func (export "pair") (result f64 i64) (f64.const -0) (i64.const -1)))`;
const USER = `(module (import "M" "mem" (memory 1)) (func (export "f") (result i32) (i32.const 1)))`;
const TRAPPING_START = `(module (func $s unreachable) (start $s))`;
const UNKNOWN_IMPORT = `(module (import "spectest" "nope" (func)))`;

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), "wasm-spec-test-"));
  writeFileSync(join(dir, "main.wasm"), wat(MAIN));
  writeFileSync(join(dir, "user.wasm"), wat(USER));
  writeFileSync(join(dir, "start.wasm"), wat(TRAPPING_START));
  writeFileSync(join(dir, "unknown.wasm"), wat(UNKNOWN_IMPORT));
  writeFileSync(join(dir, "bad.wasm"), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x05, 0x01]));
  return dir;
}

const i32 = (v: number) => ({ type: "i32", value: String(v >>> 0) });
const invoke = (field: string, args: object[] = [], module?: string) => ({ type: "invoke", field, args, ...(module ? { module } : {}) });

const SCRIPT = {
  source_filename: "t.wast",
  commands: [
    { type: "module", line: 1, filename: "main.wasm", name: "$M" },
    { type: "assert_return", line: 2, action: invoke("add", [i32(1), i32(2)]), expected: [i32(3)] },
    { type: "assert_return", line: 3, action: invoke("add", [i32(1), i32(2)]), expected: [i32(4)] },
    { type: "assert_trap", line: 4, action: invoke("div", [i32(1), i32(0)]), text: "integer divide by zero" },
    { type: "assert_trap", line: 5, action: invoke("div", [i32(1), i32(0)]), text: "integer overflow" },
    { type: "assert_return", line: 6, action: { type: "get", field: "g" }, expected: [{ type: "f32", value: String(0x7fa00000) }] },
    { type: "assert_return", line: 7, action: invoke("pair"), expected: [{ type: "f64", value: (2n ** 63n).toString() }, { type: "i64", value: (2n ** 64n - 1n).toString() }] },
    { type: "assert_return", line: 8, action: invoke("add", [{ type: "externref", value: "1" }]), expected: [] },
    { type: "assert_exhaustion", line: 9, action: invoke("rec"), text: "call stack exhausted" },
    { type: "assert_malformed", line: 10, filename: "x.wat", text: "unexpected token", module_type: "text" },
    { type: "assert_malformed", line: 11, filename: "bad.wasm", text: "unexpected end", module_type: "binary" },
    { type: "assert_invalid", line: 12, filename: "main.wasm", text: "type mismatch", module_type: "binary" },
    { type: "assert_uninstantiable", line: 13, filename: "start.wasm", text: "unreachable", module_type: "binary" },
    { type: "assert_unlinkable", line: 14, filename: "unknown.wasm", text: "unknown import", module_type: "binary" },
    { type: "register", line: 15, name: "$M", as: "M" },
    { type: "module", line: 16, filename: "user.wasm" },
    { type: "assert_return", line: 17, action: invoke("f"), expected: [i32(1)] },
    { type: "assert_return", line: 18, action: invoke("add", [i32(2), i32(2)], "$M"), expected: [i32(4)] },
    { type: "assert_return", line: 19, action: invoke("nothere"), expected: [] },
  ],
};

async function run(engine: Engine): Promise<Map<number, Outcome>> {
  const dir = setup();
  const outcomes = await new ScriptRunner(engine, dir).run(parseScript(JSON.stringify(SCRIPT), "t.json"));
  return new Map(outcomes.map((o) => [o.line, o]));
}

const v8 = () => new V8Engine(new Map([["spectest", SPECTEST]]));

describe("ScriptRunner on V8", () => {
  it("judges every command kind", async () => {
    const r = await run(v8());
    const status = (line: number) => r.get(line)?.status;
    expect([1, 2, 4, 6, 7, 9, 11, 13, 14, 16, 17, 18].map(status)).toEqual(Array(12).fill("pass"));
    expect(r.get(3)).toMatchObject({ status: "fail", detail: "expected (i32:0x00000004 (4)), got returned (i32:0x00000003 (3))" });
    expect(r.get(5)?.status).toBe("fail");
    expect(r.get(5)?.detail).toMatch(/expected trap 3 \(integer overflow\).*got trap 2 \(integer divide by zero\)/);
    expect(r.get(8)).toMatchObject({ status: "skip", detail: expect.stringMatching(/reference-types value \(externref\)/) });
    expect(r.get(10)).toMatchObject({ status: "skip", detail: expect.stringMatching(/text-format module/) });
    expect(r.get(12)).toMatchObject({ status: "fail", detail: "expected the module to be rejected, but it compiled" });
    expect(r.get(19)).toMatchObject({ status: "fail", detail: 'module has no export "nothere"' });
    expect(r.has(15)).toBe(false); // register is bookkeeping, not a check
  });

  it("skips cross-module imports on an engine without linking, and taints the exporter", async () => {
    const inner = v8();
    const noLinking: Engine = { name: "no-linking", supportsLinking: false, compile: (b, o) => inner.compile(b, o), close: () => inner.close() };
    const r = await run(noLinking);
    expect(r.get(16)).toMatchObject({ status: "skip", detail: expect.stringMatching(/imports "M" "mem" from a registered module/) });
    expect(r.get(17)).toMatchObject({ status: "skip", detail: expect.stringMatching(/its module \(line 16\) was skipped/) });
    expect(r.get(18)).toMatchObject({ status: "skip", detail: expect.stringMatching(/shared with the module at line 16/) });
    expect(r.get(2)?.status).toBe("pass"); // before the register, $M is checked normally
  });
});
