// Bit-pattern values: hex protocol fields, wast2json values, NaN classes (spec §4.3.3).
import { describe, expect, it } from "vitest";
import {
  describeValue,
  f32Bits,
  fromHex,
  isNanOfClass,
  makeValue,
  matchesExpected,
  parseJsonExpected,
  parseJsonValue,
  toHex,
} from "../../tools/wasm-spec/values.ts";

describe("hex fields", () => {
  it("pads to the type's width and round-trips", () => {
    expect(toHex(makeValue("i32", 42n))).toBe("0000002a");
    expect(toHex(makeValue("f64", 0x7ff8000000000001n))).toBe("7ff8000000000001");
    expect(fromHex("i64", "ffffffffffffffff")).toEqual({ type: "i64", bits: 0xffffffffffffffffn });
  });
  it("wraps negative and oversized bit patterns into the type's width", () => {
    expect(makeValue("i32", -1n).bits).toBe(0xffffffffn);
    expect(makeValue("i32", 0x1_0000_0001n).bits).toBe(1n);
  });
  it("rejects fields of the wrong width or alphabet", () => {
    expect(() => fromHex("i32", "2a")).toThrow(/8 lowercase hex digits for i32, got '2a'/);
    expect(() => fromHex("f32", "0000002A")).toThrow(/lowercase/);
    expect(() => fromHex("i64", "0000002a")).toThrow(/16/);
  });
});

describe("wast2json values", () => {
  it("reads unsigned decimals of the bit pattern", () => {
    expect(parseJsonValue("i32", "4294967295", "x:1")).toEqual({ type: "i32", bits: 0xffffffffn });
    expect(parseJsonValue("f32", "2143289344", "x:1").bits).toBe(0x7fc00000n);
  });
  it("names the place of a bad value", () => {
    expect(() => parseJsonValue("i32", "4294967296", "a.json:7")).toThrow("a.json:7: i32 value 4294967296 does not fit 32 bits");
    expect(() => parseJsonValue("i32", "-1", "a.json:8")).toThrow(/a\.json:8: .*not an unsigned decimal/);
    expect(() => parseJsonValue("v128", "0", "a.json:9")).toThrow(/a\.json:9: unsupported value type 'v128'/);
  });
  it("reads NaN classes only for floats", () => {
    expect(parseJsonExpected("f64", "nan:arithmetic", "x")).toEqual({ type: "f64", kind: "nan", nan: "arithmetic" });
    expect(() => parseJsonExpected("i32", "nan:canonical", "x")).toThrow();
  });
});

describe("NaN classes", () => {
  const f32 = (bits: bigint) => makeValue("f32", bits);
  const f64 = (bits: bigint) => makeValue("f64", bits);
  it("canonical: only the quiet bit, either sign", () => {
    expect(isNanOfClass(f32(0x7fc00000n), "canonical")).toBe(true);
    expect(isNanOfClass(f32(0xffc00000n), "canonical")).toBe(true);
    expect(isNanOfClass(f32(0x7fc00001n), "canonical")).toBe(false);
    expect(isNanOfClass(f64(0xfff8000000000000n), "canonical")).toBe(true);
  });
  it("arithmetic: quiet bit set, any payload; signalling NaNs and infinities are not", () => {
    expect(isNanOfClass(f32(0x7fc00001n), "arithmetic")).toBe(true);
    expect(isNanOfClass(f32(0x7f800001n), "arithmetic")).toBe(false);
    expect(isNanOfClass(f32(0x7f800000n), "arithmetic")).toBe(false);
    expect(isNanOfClass(f64(0x7ff4000000000000n), "arithmetic")).toBe(false);
    expect(isNanOfClass(makeValue("i32", 0x7fc00000n), "arithmetic")).toBe(false);
  });
  it("exact expectations compare bits: -0 is not +0", () => {
    const minusZero = makeValue("f32", f32Bits(-0));
    expect(matchesExpected(minusZero, { type: "f32", kind: "bits", bits: 0n })).toBe(false);
    expect(matchesExpected(minusZero, { type: "f32", kind: "bits", bits: 0x80000000n })).toBe(true);
    expect(matchesExpected(makeValue("i32", 0n), { type: "i64", kind: "bits", bits: 0n })).toBe(false);
  });
  it("describes values for failure messages", () => {
    expect(describeValue(makeValue("i32", 0xffffffffn))).toBe("i32:0xffffffff (-1)");
    expect(describeValue(f32(0xffa00000n))).toBe("f32:0xffa00000 (-nan:0x200000)");
  });
});
