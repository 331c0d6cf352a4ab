// Floating point: every float instruction, on values chosen for their edge cases (signed zeros,
// infinities, NaN, halfway cases for nearest, integer-range limits for truncations), against V8.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, buildExe, buildWat, diffAgainstV8 } from "./harness.ts";

const F64 = [
  "0000000000000000", "8000000000000000", "3ff0000000000000", "bff0000000000000", "4004000000000000", "c004000000000000",
  "3fe0000000000000", "bfe0000000000000", "3ff8000000000000", "4002000000000000", "7ff0000000000000", "fff0000000000000",
  "7ff8000000000000", "41dfffffffc00000", "41e0000000000000", "c1e0000000000000", "c1e0000000200000", "41efffffffe00000",
  "41f0000000000000", "43e0000000000000", "c3e0000000000000", "43f0000000000000", "43efffffffffffff", "0000000000000001",
  "bfefffffffffffff", "4330000000000001",
];
const F32 = [
  "00000000", "80000000", "3f800000", "bf800000", "40200000", "c0200000", "3f000000", "bf000000", "3fc00000", "7f800000",
  "ff800000", "7fc00000", "4effffff", "4f000000", "cf000000", "4f800000", "5f000000", "df000000", "5f800000", "00000001",
  "bf7fffff", "4b000001",
];

describe("floating point", () => {
  const wasm = buildWat(join(ROOT, "tests/ts2native/wat/float.wat"));
  const exe = buildExe(wasm);
  const names = ["f64_arith", "f32_arith", "f64_minmax", "f32_minmax", "f64_unary", "f32_unary", "f64_cmp", "f32_branch", "fselect",
    "convert", "promote", "trunc_i32_f64_s", "trunc_i32_f64_u", "trunc_i32_f32_s", "trunc_i32_f32_u", "trunc_i64_f64_s",
    "trunc_i64_f64_u", "trunc_i64_f32_s", "trunc_i64_f32_u", "sat_f64", "sat_f32", "fmem"];
  const ix = (n: string): string => names.indexOf(n).toString(16);

  it("binary operations and comparisons match V8", () => {
    const cmds: string[] = [];
    for (const a of F64) for (const b of F64.slice(0, 14)) {
      for (const f of ["f64_arith", "f64_minmax", "f64_cmp"]) cmds.push(`C ${ix(f)} ${a} ${b}`);
      cmds.push(`C ${ix("fselect")} ${a} ${b} ${a.slice(15)}`);
    }
    for (const a of F32) for (const b of F32.slice(0, 12)) {
      for (const f of ["f32_arith", "f32_minmax", "f32_branch"]) cmds.push(`C ${ix(f)} ${a} ${b}`);
    }
    expect(diffAgainstV8(wasm, exe, cmds)).toEqual([]);
  });

  it("unary operations, conversions and truncations (traps included) match V8", () => {
    const cmds: string[] = [];
    for (const a of F64) {
      cmds.push(`C ${ix("f64_unary")} ${a}`, `C ${ix("sat_f64")} ${a}`, `C ${ix("promote")} 3fc00000 ${a}`);
      for (const f of ["trunc_i32_f64_s", "trunc_i32_f64_u", "trunc_i64_f64_s", "trunc_i64_f64_u"]) cmds.push(`C ${ix(f)} ${a}`);
      cmds.push(`C ${ix("fmem")} 100 ${a}`);
    }
    for (const a of F32) {
      cmds.push(`C ${ix("f32_unary")} ${a}`, `C ${ix("sat_f32")} ${a}`, `C ${ix("promote")} ${a} 0`);
      for (const f of ["trunc_i32_f32_s", "trunc_i32_f32_u", "trunc_i64_f32_s", "trunc_i64_f32_u"]) cmds.push(`C ${ix(f)} ${a}`);
    }
    for (const [i, l] of [["0", "0"], ["ffffffff", "ffffffffffffffff"], ["80000000", "8000000000000000"], ["7fffffff", "7fffffffffffffff"],
      ["1000001", "20000000000001"], ["fffffffe", "fffffffffffff800"], ["12345678", "8000000000000401"]]) {
      cmds.push(`C ${ix("convert")} ${i} ${l}`);
    }
    cmds.push(`C ${ix("fmem")} fffffff0 3ff0000000000000`);
    expect(diffAgainstV8(wasm, exe, cmds)).toEqual([]);
  });
});
