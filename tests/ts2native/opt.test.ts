// Optimizations of the lowered form and the register allocator (wat/opt.wat), against V8: joined
// equality tests, narrowed operations, folded addresses (and ones that may wrap, which must not be),
// loop counters, loads of stored or loaded values,
// constant globals, jump threading on status codes, values across loops and calls, parameters
// overwritten before being read.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, buildExe, buildWat, diffAgainstV8 } from "./harness.ts";

const I32 = ["00000000", "00000001", "00000003", "00000004", "00000005", "00000006", "00000007", "00000008", "00000009",
  "0000000a", "000003e8", "000003e9", "7fffffff", "80000000", "fffffffe", "ffffffff", "12345678"];
const I64 = ["0000000000000000", "0000000000000001", "ffffffffffffffff", "fffffffffffffffe", "0000000100000000",
  "0000000100000001", "8000000000000000", "7fffffffffffffff", "0123456789abcdef"];

describe("optimizations", () => {
  const wasm = buildWat(join(ROOT, "tests/ts2native/wat/opt.wat"));
  const exe = buildExe(wasm);
  // export order: mem eq32 eq64 narrow crc word addr sum maybe ifconv logic shiftsum status pressure params counters loads bits narrowloads
  it("matches V8", () => {
    const cmds: string[] = [];
    for (const x of I32) cmds.push(`C 1 ${x}`, `C c ${x}`);
    for (const i of ["00000000", "00000001", "00000005", "000000ff", "00003fff", "40000000"]) cmds.push(`C b ${i}`);
    for (const x of I32) for (const y of I64) cmds.push(`C a ${x} ${y}`);
    for (const x of I32.slice(0, 6)) for (const y of I32.slice(4, 10)) cmds.push(`C 9 ${x} ${y}`);
    for (const x of I64) cmds.push(`C 2 ${x}`);
    for (const x of I64) for (const y of I64) cmds.push(`C 3 ${x} ${y}`);
    for (const c of ["00000000", "ffffffff", "12345678"]) for (const n of ["00000000", "00000001", "00000100", "00000400"]) cmds.push(`C 4 ${c} ${n}`);
    for (const a of ["00000000", "000000ff", "00001234"]) for (const x of ["00000000", "00000001", "000000ff", "00000100"]) cmds.push(`C 5 ${a} ${x}`);
    // d != 0: (x & 0xff) * 4 - 8 wraps for x & 0xff < 2 (out of bounds, trap), else in bounds
    for (const x of ["00000000", "00000001", "00000002", "000000ff", "00000103"]) cmds.push(`C 6 ${x} 00000001`, `C 6 ${x} 00000000`);
    for (const s of ["00000000", "00000002", "00000007", "000000ff"]) cmds.push(`C 7 ${s}`);
    // x < 16 reads 0xfffffff0 + x (out of bounds: trap); otherwise y + 0xfffffff0 wraps for y >= 16
    for (const [x, y] of [["00000003", "00000000"], ["00000064", "00000014"], ["00000064", "00000003"], ["00000010", "000003ff"]]) cmds.push(`C 8 ${x} ${y}`);
    for (const n of ["00000000", "00000001", "00000002", "00000011"]) cmds.push(`C d ${n}`);
    for (const [a, b, c, d] of [["00000000", "00000002", "0000000000000003", "00000004"], ["ffffffff", "ffffffff", "ffffffffffffffff", "00000007"]]) {
      cmds.push(`C e ${a} ${b} ${c} ${d}`);
    }
    for (const sel of ["00000000", "00000001", "00000002", "00000004", "00000005", "00000006"]) cmds.push(`C f ${sel} 00000000`);
    for (const n of ["00000000", "00000064", "0000fc00", "7fffffff"]) cmds.push(`C f 00000003 ${n}`);
    const ptrs = ["00000000", "00000004", "00000001", "00000008", "0000fff0", "00008000"];
    for (const p of ptrs) for (const q of ptrs) for (const v of ["00000000", "80000001", "12345678"]) cmds.push(`C 10 ${p} ${q} ${v}`);
    for (const x of I64) cmds.push(`C 11 ${x}`);
    for (const p of ["00000000", "00000003", "0000ff00", "0000fef0"]) for (const x of I64) cmds.push(`C 12 ${p} ${x}`);
    expect(diffAgainstV8(wasm, exe, cmds)).toEqual([]);
  });
});
