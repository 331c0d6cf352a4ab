// Opcode tables (WebAssembly Core Specification §5.4 "Instructions"; threads proposal for 0xfe).
// Numeric and memory instructions are data here so that the validator, the lowering and the
// emitter share one definition of each instruction's name and type.

import type { NumType } from "./module.ts";

export interface NumOp {
  name: string;
  params: NumType[];
  result: NumType;
}

export interface MemOp {
  name: string;
  /** value type on the stack */
  type: NumType;
  /** access width in bytes */
  bytes: 1 | 2 | 4 | 8;
  signed: boolean;
  store: boolean;
}

/** Opcodes with a prefix byte are numbered (prefix << 8) | sub-opcode. */
export const PREFIX_FC = 0xfc00;
export const PREFIX_FE = 0xfe00;

const T: Record<string, NumType> = { i: "i32", I: "i64", f: "f32", F: "f64" };

export const NUM_OPS = new Map<number, NumOp>();
function def(first: number, sig: string, names: string): void {
  const [p, r] = sig.split(":") as [string, string];
  names.split(" ").forEach((name, i) => {
    NUM_OPS.set(first + i, { name, params: [...p].map((c) => T[c]!), result: T[r]! });
  });
}
def(0x45, "i:i", "i32.eqz");
def(0x46, "ii:i", "i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u");
def(0x50, "I:i", "i64.eqz");
def(0x51, "II:i", "i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u");
def(0x5b, "ff:i", "f32.eq f32.ne f32.lt f32.gt f32.le f32.ge");
def(0x61, "FF:i", "f64.eq f64.ne f64.lt f64.gt f64.le f64.ge");
def(0x67, "i:i", "i32.clz i32.ctz i32.popcnt");
def(0x6a, "ii:i", "i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr");
def(0x79, "I:I", "i64.clz i64.ctz i64.popcnt");
def(0x7c, "II:I", "i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr");
def(0x8b, "f:f", "f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt");
def(0x92, "ff:f", "f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign");
def(0x99, "F:F", "f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt");
def(0xa0, "FF:F", "f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign");
def(0xa7, "I:i", "i32.wrap_i64");
def(0xa8, "f:i", "i32.trunc_f32_s i32.trunc_f32_u");
def(0xaa, "F:i", "i32.trunc_f64_s i32.trunc_f64_u");
def(0xac, "i:I", "i64.extend_i32_s i64.extend_i32_u");
def(0xae, "f:I", "i64.trunc_f32_s i64.trunc_f32_u");
def(0xb0, "F:I", "i64.trunc_f64_s i64.trunc_f64_u");
def(0xb2, "i:f", "f32.convert_i32_s f32.convert_i32_u");
def(0xb4, "I:f", "f32.convert_i64_s f32.convert_i64_u");
def(0xb6, "F:f", "f32.demote_f64");
def(0xb7, "i:F", "f64.convert_i32_s f64.convert_i32_u");
def(0xb9, "I:F", "f64.convert_i64_s f64.convert_i64_u");
def(0xbb, "f:F", "f64.promote_f32");
def(0xbc, "f:i", "i32.reinterpret_f32");
def(0xbd, "F:I", "i64.reinterpret_f64");
def(0xbe, "i:f", "f32.reinterpret_i32");
def(0xbf, "I:F", "f64.reinterpret_i64");
def(0xc0, "i:i", "i32.extend8_s i32.extend16_s");
def(0xc2, "I:I", "i64.extend8_s i64.extend16_s i64.extend32_s");
def(PREFIX_FC | 0, "f:i", "i32.trunc_sat_f32_s i32.trunc_sat_f32_u");
def(PREFIX_FC | 2, "F:i", "i32.trunc_sat_f64_s i32.trunc_sat_f64_u");
def(PREFIX_FC | 4, "f:I", "i64.trunc_sat_f32_s i64.trunc_sat_f32_u");
def(PREFIX_FC | 6, "F:I", "i64.trunc_sat_f64_s i64.trunc_sat_f64_u");

export const MEM_OPS = new Map<number, MemOp>();
function mem(op: number, name: string, type: NumType, bytes: 1 | 2 | 4 | 8, signed: boolean, store: boolean): void {
  MEM_OPS.set(op, { name, type, bytes, signed, store });
}
mem(0x28, "i32.load", "i32", 4, false, false);
mem(0x29, "i64.load", "i64", 8, false, false);
mem(0x2a, "f32.load", "f32", 4, false, false);
mem(0x2b, "f64.load", "f64", 8, false, false);
mem(0x2c, "i32.load8_s", "i32", 1, true, false);
mem(0x2d, "i32.load8_u", "i32", 1, false, false);
mem(0x2e, "i32.load16_s", "i32", 2, true, false);
mem(0x2f, "i32.load16_u", "i32", 2, false, false);
mem(0x30, "i64.load8_s", "i64", 1, true, false);
mem(0x31, "i64.load8_u", "i64", 1, false, false);
mem(0x32, "i64.load16_s", "i64", 2, true, false);
mem(0x33, "i64.load16_u", "i64", 2, false, false);
mem(0x34, "i64.load32_s", "i64", 4, true, false);
mem(0x35, "i64.load32_u", "i64", 4, false, false);
mem(0x36, "i32.store", "i32", 4, false, true);
mem(0x37, "i64.store", "i64", 8, false, true);
mem(0x38, "f32.store", "f32", 4, false, true);
mem(0x39, "f64.store", "f64", 8, false, true);
mem(0x3a, "i32.store8", "i32", 1, false, true);
mem(0x3b, "i32.store16", "i32", 2, false, true);
mem(0x3c, "i64.store8", "i64", 1, false, true);
mem(0x3d, "i64.store16", "i64", 2, false, true);
mem(0x3e, "i64.store32", "i64", 4, false, true);

/** Threads proposal atomic memory ops: loads, stores, and read-modify-write families. */
export interface AtomicOp {
  name: string;
  type: "i32" | "i64";
  bytes: 1 | 2 | 4 | 8;
  kind: "load" | "store" | "add" | "sub" | "and" | "or" | "xor" | "xchg" | "cmpxchg";
}
export const ATOMIC_OPS = new Map<number, AtomicOp>();
{
  const widths: ["i32" | "i64", 1 | 2 | 4 | 8, string][] = [
    ["i32", 4, "i32"], ["i64", 8, "i64"], ["i32", 1, "i32_8u"], ["i32", 2, "i32_16u"],
    ["i64", 1, "i64_8u"], ["i64", 2, "i64_16u"], ["i64", 4, "i64_32u"],
  ];
  const ls: ["i32" | "i64", 1 | 2 | 4 | 8, string][] = [
    ["i32", 4, "i32"], ["i64", 8, "i64"], ["i32", 1, "i32_8"], ["i32", 2, "i32_16"],
    ["i64", 1, "i64_8"], ["i64", 2, "i64_16"], ["i64", 4, "i64_32"],
  ];
  ls.forEach(([type, bytes, n], i) => {
    ATOMIC_OPS.set(PREFIX_FE | (0x10 + i), { name: `${n}.atomic.load`, type, bytes, kind: "load" });
    ATOMIC_OPS.set(PREFIX_FE | (0x17 + i), { name: `${n}.atomic.store`, type, bytes, kind: "store" });
  });
  (["add", "sub", "and", "or", "xor", "xchg", "cmpxchg"] as const).forEach((kind, k) => {
    widths.forEach(([type, bytes, n], i) => {
      ATOMIC_OPS.set(PREFIX_FE | (0x1e + 7 * k + i), { name: `${n}.atomic.rmw.${kind}`, type, bytes, kind });
    });
  });
}

export function opName(op: number): string {
  const n = NUM_OPS.get(op)?.name ?? MEM_OPS.get(op)?.name ?? ATOMIC_OPS.get(op)?.name;
  if (n) return n;
  return op > 0xff ? `0x${(op >> 8).toString(16)} 0x${(op & 0xff).toString(16)}` : `0x${op.toString(16)}`;
}
