// Host modules as data: what `spectest` (the spec suite's conventional host module, spec
// interpreter README "spectest host module") and binaryen's `fuzzing-support` provide. The V8
// driver builds them from this description; the native runtime implements the same in NASM
// (tools/ts2native/runtime/spectest.asm, fuzzing-support.asm).

import { type NumType, type WasmValue, f32Bits, f64Bits, makeValue } from "./values.ts";

export type HostItem =
  /** A function that records its arguments as a print event and returns nothing. */
  | { readonly kind: "print"; readonly params: readonly NumType[] }
  /** A function computing a result from its arguments, without printing. */
  | {
      readonly kind: "func";
      readonly params: readonly NumType[];
      readonly results: readonly NumType[];
      readonly impl: (args: readonly WasmValue[]) => WasmValue | undefined;
    }
  | { readonly kind: "global"; readonly value: WasmValue }
  | { readonly kind: "table"; readonly initial: number; readonly maximum: number }
  | { readonly kind: "memory"; readonly initial: number; readonly maximum: number };

export type HostModule = ReadonlyMap<string, HostItem>;

/** spectest: print functions, globals 666 / 666.6, a funcref table 10..20, a memory of 1..2 pages. */
export const SPECTEST: HostModule = new Map<string, HostItem>([
  ["print", { kind: "print", params: [] }],
  ["print_i32", { kind: "print", params: ["i32"] }],
  ["print_i64", { kind: "print", params: ["i64"] }],
  ["print_f32", { kind: "print", params: ["f32"] }],
  ["print_f64", { kind: "print", params: ["f64"] }],
  ["print_i32_f32", { kind: "print", params: ["i32", "f32"] }],
  ["print_f64_f64", { kind: "print", params: ["f64", "f64"] }],
  ["global_i32", { kind: "global", value: makeValue("i32", 666n) }],
  ["global_i64", { kind: "global", value: makeValue("i64", 666n) }],
  ["global_f32", { kind: "global", value: makeValue("f32", f32Bits(666.6)) }],
  ["global_f64", { kind: "global", value: makeValue("f64", f64Bits(666.6)) }],
  ["table", { kind: "table", initial: 10, maximum: 20 }],
  ["memory", { kind: "memory", initial: 1, maximum: 2 }],
]);

/**
 * binaryen's fuzzing-support imports that ts2native supports (binaryen
 * src/tools/execution-results.h, LoggingExternalInterface): the log-* functions print their
 * argument; `sleep(ms, id)` does not sleep and returns `id`. `call-export` and `call-export-catch`
 * need JS exceptions and calls back into exports by index; tools/fuzz/generate.ts replaces them in
 * the generated modules before any engine sees them.
 */
export const FUZZING_SUPPORT: HostModule = new Map<string, HostItem>([
  ["log-i32", { kind: "print", params: ["i32"] }],
  ["log-i64", { kind: "print", params: ["i64"] }],
  ["log-f32", { kind: "print", params: ["f32"] }],
  ["log-f64", { kind: "print", params: ["f64"] }],
  ["sleep", { kind: "func", params: ["i32", "i32"], results: ["i32"], impl: (args) => args[1] }],
]);
