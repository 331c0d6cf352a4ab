// Tiny wasm binary encoder for the V8 driver's glue modules (spec §5: binary format).
//
// Why glue at all: a value crossing the JS boundary as a JS number may lose a NaN payload (f32
// widened to double, doubles canonicalized by the engine). The glue modules move floats across as
// integer bit patterns: a wasm function imported from another instance is called wasm-to-wasm,
// without any JS conversion, so every bit survives.

import { type NumType } from "./values.ts";
import { type FuncType, type GlobalType, type ValType } from "./wasm-info.ts";

const VALTYPE_BYTE: Record<NumType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };

const OP = {
  localGet: 0x20,
  localSet: 0x21,
  globalGet: 0x23,
  call: 0x10,
  end: 0x0b,
  i32ReinterpretF32: 0xbc,
  i64ReinterpretF64: 0xbd,
  f32ReinterpretI32: 0xbe,
  f64ReinterpretI64: 0xbf,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function vec(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function numType(t: ValType, what: string): NumType {
  if (t === "i32" || t === "i64" || t === "f32" || t === "f64") return t;
  throw new Error(`${what}: type ${t} cannot be passed as a bit pattern`);
}

/** The integer type that carries a value's bits: f32 → i32, f64 → i64. */
export function carrierOf(t: NumType): "i32" | "i64" {
  return t === "i32" || t === "f32" ? "i32" : "i64";
}

function funcTypeBytes(params: readonly NumType[], results: readonly NumType[]): number[] {
  return [0x60, ...vec(params.map((t) => [VALTYPE_BYTE[t]])), ...vec(results.map((t) => [VALTYPE_BYTE[t]]))];
}

/** Code to turn the value on top of the stack into its integer carrier (a no-op for integers). */
function toCarrier(t: NumType): number[] {
  return t === "f32" ? [OP.i32ReinterpretF32] : t === "f64" ? [OP.i64ReinterpretF64] : [];
}

function fromCarrier(t: NumType): number[] {
  return t === "f32" ? [OP.f32ReinterpretI32] : t === "f64" ? [OP.f64ReinterpretI64] : [];
}

function moduleBytes(sections: number[][]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

function codeEntry(locals: readonly NumType[], body: number[]): number[] {
  const localDecls = vec(locals.map((t) => [1, VALTYPE_BYTE[t]]));
  const fn = [...localDecls, ...body, OP.end];
  return [...uleb(fn.length), ...fn];
}

/**
 * `(import "m" "f" (func SIG))` and `(export "w" (func))` taking and returning every value as its
 * integer carrier: `w` reinterprets its float arguments, calls `f`, and reinterprets the results.
 */
export function callWrapperModule(sig: FuncType): Uint8Array {
  const params = sig.params.map((t) => numType(t, "call wrapper parameter"));
  const results = sig.results.map((t) => numType(t, "call wrapper result"));
  const body: number[] = [];
  params.forEach((t, i) => body.push(OP.localGet, ...uleb(i), ...fromCarrier(t)));
  body.push(OP.call, 0);
  // The results lie on the stack in order; park them in locals (last first) to convert each.
  const firstLocal = params.length;
  for (let i = results.length - 1; i >= 0; i--) body.push(OP.localSet, ...uleb(firstLocal + i));
  results.forEach((t, i) => body.push(OP.localGet, ...uleb(firstLocal + i), ...toCarrier(t)));
  return moduleBytes([
    section(1, vec([funcTypeBytes(params, results), funcTypeBytes(params.map(carrierOf), results.map(carrierOf))])),
    section(2, vec([[...name("m"), ...name("f"), 0x00, 0]])),
    section(3, vec([[1]])),
    section(7, vec([[...name("w"), 0x00, 1]])),
    section(10, vec([codeEntry(results, body)])),
  ]);
}

/** `(import "m" "g" (global T))` and `(export "w" (func (result carrier(T))))` returning its bits. */
export function globalReaderModule(g: GlobalType): Uint8Array {
  const t = numType(g.type, "global reader");
  return moduleBytes([
    section(1, vec([funcTypeBytes([], [carrierOf(t)])])),
    section(2, vec([[...name("m"), ...name("g"), 0x03, VALTYPE_BYTE[t], g.mutable ? 1 : 0]])),
    section(3, vec([[0]])),
    section(7, vec([[...name("w"), 0x00, 0]])),
    section(10, vec([codeEntry([], [OP.globalGet, 0, ...toCarrier(t)])])),
  ]);
}

/**
 * A host-function shim: `(export "f" (func (param PARAMS)))` that hands its arguments, floats as
 * bit patterns, to the JS import `(import "js" "f" (func (param carriers)))`.
 */
export function hostShimModule(params: readonly NumType[], results: readonly NumType[] = []): Uint8Array {
  const body: number[] = [];
  params.forEach((t, i) => body.push(OP.localGet, ...uleb(i), ...toCarrier(t)));
  body.push(OP.call, 0, ...results.flatMap((t) => fromCarrier(t)));
  if (results.length > 1) throw new Error("host shims return at most one value");
  return moduleBytes([
    section(1, vec([funcTypeBytes(params, results), funcTypeBytes(params.map(carrierOf), results.map(carrierOf))])),
    section(2, vec([[...name("js"), ...name("f"), 0x00, 1]])),
    section(3, vec([[0]])),
    section(7, vec([[...name("f"), 0x00, 1]])),
    section(10, vec([codeEntry([], body)])),
  ]);
}
