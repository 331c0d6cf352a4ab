// Wasm values as raw bit patterns, shared by every engine driver and by the spec-script reader.
//
// Every value is kept as its bit pattern (a bigint) next to its type: the spec suite asserts on exact
// NaN payloads and signed zeros, which a JS number cannot carry (a f32 NaN widened to a double, or a
// double passed through JS, may lose its payload). Hex text matches the native executable's
// `--serve` protocol: lowercase, no 0x, i32/f32 8 digits and i64/f64 16 digits.

export type NumType = "i32" | "i64" | "f32" | "f64";

export const NUM_TYPES: readonly NumType[] = ["i32", "i64", "f32", "f64"];

export interface WasmValue {
  readonly type: NumType;
  /** Unsigned bit pattern, 0 ≤ bits < 2^width. */
  readonly bits: bigint;
}

/** An assert_return expectation: exact bits, or one of the spec's NaN classes (spec §A.6 "Results"). */
export type Expected =
  | { readonly type: NumType; readonly kind: "bits"; readonly bits: bigint }
  | { readonly type: NumType; readonly kind: "nan"; readonly nan: "canonical" | "arithmetic" };

export function isNumType(s: string): s is NumType {
  return (NUM_TYPES as readonly string[]).includes(s);
}

export function widthOf(type: NumType): 32 | 64 {
  return type === "i32" || type === "f32" ? 32 : 64;
}

export function hexDigitsOf(type: NumType): 8 | 16 {
  return widthOf(type) === 32 ? 8 : 16;
}

export function makeValue(type: NumType, bits: bigint): WasmValue {
  return { type, bits: BigInt.asUintN(widthOf(type), bits) };
}

/** Bit pattern → protocol hex (`0000002a`). */
export function toHex(v: WasmValue): string {
  return v.bits.toString(16).padStart(hexDigitsOf(v.type), "0");
}

/**
 * Protocol hex → value. The digit count must match the type exactly: a short or long field means
 * the two sides disagree on the type, which must not pass silently.
 */
export function fromHex(type: NumType, hex: string): WasmValue {
  const want = hexDigitsOf(type);
  if (hex.length !== want || !/^[0-9a-f]+$/.test(hex)) {
    throw new Error(`expected ${want} lowercase hex digits for ${type}, got '${hex}'`);
  }
  return { type, bits: BigInt("0x" + hex) };
}

/**
 * A value as wast2json writes it: the unsigned decimal of the bit pattern (floats too), e.g.
 * `{"type": "f32", "value": "2143289344"}`.
 */
export function parseJsonValue(type: string, value: string, where: string): WasmValue {
  if (!isNumType(type)) throw new Error(`${where}: unsupported value type '${type}'`);
  if (!/^[0-9]+$/.test(value)) throw new Error(`${where}: ${type} value '${value}' is not an unsigned decimal`);
  const bits = BigInt(value);
  if (bits >> BigInt(widthOf(type)) !== 0n) throw new Error(`${where}: ${type} value ${value} does not fit ${widthOf(type)} bits`);
  return { type, bits };
}

export function parseJsonExpected(type: string, value: string, where: string): Expected {
  if ((type === "f32" || type === "f64") && (value === "nan:canonical" || value === "nan:arithmetic")) {
    return { type, kind: "nan", nan: value === "nan:canonical" ? "canonical" : "arithmetic" };
  }
  const v = parseJsonValue(type, value, where);
  return { type: v.type, kind: "bits", bits: v.bits };
}

const F32_EXP = 0x7f800000n;
const F32_QUIET = 0x00400000n;
const F64_EXP = 0x7ff0000000000000n;
const F64_QUIET = 0x0008000000000000n;

/**
 * Spec §4.3.3 (NaN propagation): a canonical NaN has only the top payload bit set (either sign);
 * an arithmetic NaN has the top payload bit set and any other payload bits.
 */
export function isNanOfClass(v: WasmValue, cls: "canonical" | "arithmetic"): boolean {
  if (v.type === "f32") {
    const mag = v.bits & 0x7fffffffn;
    return cls === "canonical" ? mag === (F32_EXP | F32_QUIET) : (mag & (F32_EXP | F32_QUIET)) === (F32_EXP | F32_QUIET);
  }
  if (v.type === "f64") {
    const mag = v.bits & 0x7fffffffffffffffn;
    return cls === "canonical" ? mag === (F64_EXP | F64_QUIET) : (mag & (F64_EXP | F64_QUIET)) === (F64_EXP | F64_QUIET);
  }
  return false;
}

/** Does an actual value satisfy an expectation? Floats compare by bits (NaN payloads and -0 matter). */
export function matchesExpected(actual: WasmValue, want: Expected): boolean {
  if (actual.type !== want.type) return false;
  return want.kind === "bits" ? actual.bits === want.bits : isNanOfClass(actual, want.nan);
}

const scratch = new DataView(new ArrayBuffer(8));

export function f32FromBits(bits: bigint): number {
  scratch.setUint32(0, Number(bits & 0xffffffffn));
  return scratch.getFloat32(0);
}

export function f64FromBits(bits: bigint): number {
  scratch.setBigUint64(0, bits & 0xffffffffffffffffn);
  return scratch.getFloat64(0);
}

export function f32Bits(x: number): bigint {
  scratch.setFloat32(0, x);
  return BigInt(scratch.getUint32(0));
}

export function f64Bits(x: number): bigint {
  scratch.setFloat64(0, x);
  return scratch.getBigUint64(0);
}

/** Human-readable form for failure messages: `i32:0xffffffff (-1)`, `f32:0x7fc00000 (nan)`. */
export function describeValue(v: WasmValue): string {
  const hex = `${v.type}:0x${toHex(v)}`;
  switch (v.type) {
    case "i32":
      return `${hex} (${BigInt.asIntN(32, v.bits)})`;
    case "i64":
      return `${hex} (${BigInt.asIntN(64, v.bits)})`;
    case "f32":
      return `${hex} (${floatText(f32FromBits(v.bits), v.bits, 32)})`;
    case "f64":
      return `${hex} (${floatText(f64FromBits(v.bits), v.bits, 64)})`;
  }
}

function floatText(x: number, bits: bigint, width: 32 | 64): string {
  if (!Number.isNaN(x)) return Object.is(x, -0) ? "-0" : String(x);
  const sign = bits >> BigInt(width - 1) ? "-" : "";
  const payload = width === 32 ? bits & 0x7fffffn : bits & 0xfffffffffffffn;
  return `${sign}nan:0x${payload.toString(16)}`;
}

export function describeExpected(e: Expected): string {
  return e.kind === "nan" ? `${e.type}:nan:${e.nan}` : describeValue({ type: e.type, bits: e.bits });
}
