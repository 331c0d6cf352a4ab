// Reading wast2json output (tools/wasm-spec/script.ts): typed commands, and errors naming file:line.
import { describe, expect, it } from "vitest";
import { parseScript } from "../../tools/wasm-spec/script.ts";

const wrap = (commands: unknown[]) => JSON.stringify({ source_filename: "a.wast", commands });

describe("parseScript", () => {
  it("types commands and values", () => {
    const s = parseScript(
      wrap([
        { type: "module", line: 1, filename: "a.0.wasm", name: "$M" },
        { type: "assert_return", line: 2, action: { type: "invoke", module: "$M", field: "f", args: [{ type: "i64", value: "18446744073709551615" }] }, expected: [{ type: "f32", value: "nan:canonical" }] },
        { type: "assert_trap", line: 3, action: { type: "get", field: "g" }, text: "unreachable" },
        { type: "assert_invalid", line: 4, filename: "a.1.wasm", text: "type mismatch", module_type: "binary" },
      ]),
      "a.json",
    );
    expect(s.sourceFile).toBe("a.wast");
    expect(s.commands[0]).toEqual({ line: 1, type: "module", filename: "a.0.wasm", name: "$M" });
    expect(s.commands[1]).toEqual({
      line: 2,
      type: "assert_return",
      action: { kind: "invoke", module: "$M", field: "f", args: [{ type: "i64", bits: 2n ** 64n - 1n }] },
      expected: [{ type: "f32", kind: "nan", nan: "canonical" }],
    });
    expect(s.commands[2]).toMatchObject({ type: "assert_trap", action: { kind: "get", field: "g" }, text: "unreachable" });
    expect(s.commands[3]).toMatchObject({ type: "assert_invalid", moduleType: "binary" });
  });

  it("marks SIMD and reference values unsupported instead of failing", () => {
    const s = parseScript(wrap([{ type: "action", line: 9, action: { type: "invoke", field: "f", args: [{ type: "v128", lane_type: "i32", value: ["0", "0", "0", "0"] }] } }]), "a.json");
    expect(s.commands[0]).toMatchObject({ unsupported: "SIMD value (v128) outside ts2native's scope" });
  });

  it("names file and line of malformed input", () => {
    expect(() => parseScript("{", "b.json")).toThrow(/^b\.json: not JSON/);
    expect(() => parseScript(wrap([{ type: "assert_magic", line: 12 }]), "b.json")).toThrow("b.json:12: unknown command type 'assert_magic'");
    expect(() => parseScript(wrap([{ type: "module", line: 5 }]), "b.json")).toThrow("b.json:5: field 'filename' missing or not a string");
    expect(() => parseScript(wrap([{ type: "assert_return", line: 6, action: { type: "invoke", field: "f", args: [{ type: "i32", value: "x" }] }, expected: [] }]), "b.json")).toThrow(/b\.json:6: i32 value 'x'/);
  });
});
