// The --serve line protocol (tools/wasm-spec/protocol.ts) and trap-text mapping (traps.ts).
import { describe, expect, it } from "vitest";
import { formatCall, formatGet, parseResponse } from "../../tools/wasm-spec/protocol.ts";
import { codesForScriptText, codesForV8Message } from "../../tools/wasm-spec/traps.ts";
import { makeValue } from "../../tools/wasm-spec/values.ts";

describe("requests", () => {
  it("formats calls and global reads with hex index and raw bits", () => {
    expect(formatCall(26, [makeValue("i32", 1n), makeValue("f64", 0x3ff0000000000000n)])).toBe("C 1a 00000001 3ff0000000000000");
    expect(formatCall(0, [])).toBe("C 0");
    expect(formatGet(11)).toBe("G b");
  });
});

describe("responses", () => {
  it("reads startup lines", () => {
    expect(parseResponse("I ok", [])).toEqual({ kind: "ready" });
    expect(parseResponse("I T b", [])).toEqual({ kind: "init-trap", code: 11 });
  });
  it("types results from the signature and checks their count and width", () => {
    expect(parseResponse("R 0000002a ffffffffffffffff", ["i32", "i64"])).toEqual({
      kind: "return",
      values: [makeValue("i32", 42n), makeValue("i64", -1n)],
    });
    expect(parseResponse("R", [])).toEqual({ kind: "return", values: [] });
    expect(() => parseResponse("R", ["i32"])).toThrow(/expected 1 result/);
    expect(() => parseResponse("R 0000002a", ["i64"])).toThrow(/16 lowercase hex digits/);
  });
  it("reads traps and prints", () => {
    expect(parseResponse("T 5", [])).toEqual({ kind: "trap", code: 5 });
    expect(parseResponse("P", [])).toEqual({ kind: "print", values: [] });
    expect(parseResponse("P i32 0000002a f32 3f800000", [])).toEqual({
      kind: "print",
      values: [makeValue("i32", 42n), makeValue("f32", 0x3f800000n)],
    });
  });
  it("rejects anything outside the protocol", () => {
    expect(() => parseResponse("hello", [])).toThrow("not a protocol line: 'hello'");
    expect(() => parseResponse("T", [])).toThrow(/not a protocol line/);
    expect(() => parseResponse("T x", [])).toThrow(/bad trap code/);
    expect(() => parseResponse("P v128 00", [])).toThrow(/unknown print type 'v128'/);
    expect(() => parseResponse("P i32", [])).toThrow(/not a protocol line/);
  });
});

describe("trap texts", () => {
  it("maps the suite's texts by longest prefix", () => {
    expect(codesForScriptText("uninitialized element 2")).toEqual([7]);
    expect(codesForScriptText("undefined")).toEqual([6]);
    expect(codesForScriptText("undefined element")).toEqual([6]);
    expect(codesForScriptText("indirect call type mismatch")).toEqual([8]);
    expect(codesForScriptText("out of bounds memory access")).toEqual([5, 11]);
    expect(codesForScriptText("something else")).toBeUndefined();
  });
  it("maps V8 messages, with or without the API prefix", () => {
    expect(codesForV8Message("divide by zero")).toEqual([2]);
    expect(codesForV8Message("WebAssembly.Instance(): data segment is out of bounds")).toEqual([5, 11]);
    expect(codesForV8Message("null function or function signature mismatch")).toEqual([7, 8]);
    expect(codesForV8Message("no such message")).toBeUndefined();
  });
});
