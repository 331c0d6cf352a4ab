// Instruction selection and register allocation (wat/isel.wat): rotates recognized in shift
// pairs, AND folded into TEST, LEA/IMUL forms, conditions into registers, argument permutations
// at calls (parallel moves), values across calls, more live values than registers. Against V8.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, buildExe, buildWat, compareReplies, serve, v8Serve } from "./harness.ts";

const I32 = ["00000000", "00000001", "00000008", "7fffffff", "80000000", "ffffffff", "12345678", "fffffff7"];
const I64 = ["0000000000000000", "0000000100000000", "000000007fffffff", "8000000000000000", "ffffffffffffffff", "0123456789abcdef"];

describe("instruction selection and register allocation", () => {
  const wasm = buildWat(join(ROOT, "tests/ts2native/wat/isel.wat"));
  const exe = buildExe(wasm);

  it("matches V8", () => {
    const cmds: string[] = [];
    for (const x of I32) cmds.push(`C 0 ${x}`);
    for (const x of I64) cmds.push(`C 1 ${x}`);
    for (const x of I32) for (const y of I32) cmds.push(`C 2 ${x} ${y}`, `C 5 ${x} ${y}`);
    for (const x of I32) for (const y of I64) cmds.push(`C 3 ${x} ${y}`);
    for (const x of I32.slice(0, 4)) for (const y of I32.slice(3)) for (const z of I64.slice(0, 4)) cmds.push(`C 4 ${x} ${y} ${z}`);
    for (const x of I32) cmds.push(`C 6 ${x} 00000003 ${x} 00000005 00000006 ${x}`);
    for (const n of ["00000001", "00000002", "00000011", "000003e8"]) cmds.push(`C 7 ${n}`);
    for (const x of I32.slice(2, 6)) for (const y of I32.slice(4)) for (const z of I64.slice(2)) cmds.push(`C 8 ${x} ${y} ${z} ${z}`);
    for (const x of I32) for (const y of I64) cmds.push(`C 9 ${x} ${y}`);
    for (const n of ["00000000", "00000001", "00000005", "00000064"]) cmds.push(`C a ${n}`);
    expect(compareReplies(serve(exe, cmds), v8Serve(wasm, cmds))).toEqual([]);
  });
});
