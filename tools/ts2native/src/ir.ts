// The register-based intermediate form between the wasm stack machine and x86-64.
//
// Values live in virtual registers (vregs). Vregs 0..L-1 are the function's locals (parameters
// first); the lowering adds one vreg per (operand-stack depth, register class), so the operand
// stack of wasm becomes named registers. Operands are vregs or constants (raw bit patterns).
// The register allocator (regalloc.ts) maps vregs to machine registers or frame slots.

import type { NumType } from "./module.ts";

export type RegClass = "int" | "float";

export function classOf(t: NumType): RegClass {
  return t === "f32" || t === "f64" ? "float" : "int";
}

export type Opnd = { k: "v"; v: number } | { k: "c"; bits: bigint };

export const vr = (v: number): Opnd => ({ k: "v", v });
export const cst = (bits: bigint): Opnd => ({ k: "c", bits });

/**
 * A comparison, kept symbolic so branches can test flags directly (fused compare-and-branch).
 * cc: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u (integers); eq ne lt gt le ge (floats);
 * test (integers: a & b != 0, the AND folded into a TEST).
 * `neg` inverts the outcome (not the same as swapping the predicate for floats and NaN).
 */
export interface Cond {
  t: NumType;
  cc: string;
  a: Opnd;
  b: Opnd;
  neg: boolean;
  /** `a` is the address of a load folded into the compare (loadfold.ts): compare memory */
  mem?: MemRef;
}

/**
 * A load folded into the instruction reading its value (loadfold.ts): the load's opcode, offset
 * and scale; the operand in the value's place holds the load's address.
 */
export interface MemRef {
  op: number;
  offset: number;
  scale?: number;
}

/** Extra call targets resolved by the emitter. */
export type Callee = { k: "func"; index: number } | { k: "indirect"; type: number; table: number; idx: Opnd };

export type Inst =
  | { k: "label"; id: number }
  | { k: "jmp"; target: number }
  | { k: "jcc"; cond: Cond; target: number }
  | { k: "brtable"; idx: Opnd; targets: number[] }
  | { k: "mov"; t: NumType; dst: number; src: Opnd }
  /**
   * numeric instruction `op` (opcodes.ts NUM_OPS) with one or two operands; `narrow` (i32 xor/or
   * only, combine.ts): a < 2^narrow, and the result is (a op b) & (2^narrow - 1), computed on the
   * low byte/word registers; `mem`: b is the address of a folded load (loadfold.ts), a memory operand
   */
  | { k: "num"; op: number; dst: number; a: Opnd; b: Opnd | null; narrow?: 8 | 16; mem?: MemRef }
  | { k: "setcc"; cond: Cond; dst: number }
  /** dst := base + index*scale + disp in t's width (peephole.ts; LEA wraps like i32/i64.add) */
  | { k: "lea"; t: NumType; dst: number; base: Opnd | null; index: Opnd; scale: number; disp: bigint }
  | { k: "select"; t: NumType; dst: number; a: Opnd; b: Opnd; cond: Cond }
  /** address = addr + offset; with `scale`, addr*scale + offset, not wrapping (addrfold.ts) */
  | { k: "load"; op: number; dst: number; addr: Opnd; offset: number; scale?: number }
  /**
   * with `rmw` (a NUM_OPS add/sub/and/or/xor, memfold.ts): memory := memory rmw val in the store's
   * width, one memory-destination instruction
   */
  | { k: "store"; op: number; addr: Opnd; val: Opnd; offset: number; scale?: number; rmw?: number }
  | { k: "gget"; g: number; dst: number }
  | { k: "gset"; g: number; src: Opnd }
  | { k: "call"; callee: Callee; args: Opnd[]; results: number[] }
  | { k: "ret"; vals: Opnd[] }
  | { k: "trap"; code: number }
  | { k: "memsize"; dst: number }
  | { k: "memgrow"; dst: number; a: Opnd }
  | { k: "memcopy"; d: Opnd; s: Opnd; n: Opnd }
  | { k: "memfill"; d: Opnd; v: Opnd; n: Opnd }
  | { k: "meminit"; seg: number; d: Opnd; s: Opnd; n: Opnd }
  | { k: "datadrop"; seg: number }
  | { k: "tableinit"; seg: number; table: number; d: Opnd; s: Opnd; n: Opnd }
  | { k: "elemdrop"; seg: number }
  | { k: "tablecopy"; dst: number; src: number; d: Opnd; s: Opnd; n: Opnd }
  | { k: "atomic"; op: number; dst: number | null; addr: Opnd; offset: number; a: Opnd | null; b: Opnd | null }
  | { k: "fence" }
  /** parallel move between vregs (inserted by the register allocator, resolve.ts) */
  | { k: "pmov"; moves: PMove[] };

/** One move of a `pmov`: dst := src, 64-bit integer or 64-bit float. */
export interface PMove {
  dst: number;
  src: number;
  float: boolean;
}

export interface VRegInfo {
  cls: RegClass;
}

export interface LoweredFunc {
  index: number;
  insts: Inst[];
  vregs: VRegInfo[];
  numParams: number;
  /** the function calls other code (calls, memory.grow, bulk memory helpers): caller-saved registers do not survive */
  clobbersCallerSaved: boolean;
  /** the function calls wasm functions (recursion possible): its prologue checks the stack limit */
  callsWasm: boolean;
  numLabels: number;
}
