// Control flow, calls, multi-value, globals, call_indirect traps and stack exhaustion, against V8.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, buildExe, buildWat, diffAgainstV8 } from "./harness.ts";

describe("control flow and calls", () => {
  const wasm = buildWat(join(ROOT, "tests/ts2native/wat/control.wat"));
  const exe = buildExe(wasm);
  // export order: gconst gmut indirect indirect1 multi brtable_values loop_params many depth globals selects
  // table_ops elem_drop nested
  it("matches V8, including traps and global state across commands", () => {
    const cmds: string[] = [];
    for (let k = 0; k <= 7; k++) cmds.push(`C 2 ${k.toString(16)} 7 3`);
    cmds.push("C 2 ffffffff 1 1");
    for (let k = 0; k <= 6; k++) cmds.push(`C 3 ${k.toString(16)} 21`);
    cmds.push("C 4 11223344 8877665544332211 4009000000000000", "C 4 ffffffff 0 fff0000000000000");
    for (let k = 0; k <= 7; k++) cmds.push(`C 5 ${k.toString(16)} 2a`);
    cmds.push("C 5 ffffffff 2a");
    for (const n of [0, 1, 2, 10, 46]) cmds.push(`C 6 ${n.toString(16)}`);
    cmds.push("C 7 3 3ff8000000000000", "C 7 ffffffff c000000000000000");
    // call depth: the limits differ (V8 ~1 MiB stack, ours 8 MiB); both must trap at 10^8
    cmds.push("C 8 0", "C 8 3e8", "C 8 5f5e100", "C 8 a");
    for (const v of ["1", "ffffffffffffffff", "10"]) cmds.push(`C 9 ${v}`, "G 0", "G 1");
    for (const [c, a, b] of [["0", "5", "9"], ["1", "5", "9"], ["80000000", "ffffffffffffffff", "1"]]) cmds.push(`C a ${c} ${a} ${b}`);
    for (const n of [0, 1, 5, 20, 100]) cmds.push(`C d ${n.toString(16)}`);
    for (const [d, e, n] of [["0", "3", "2"], ["1", "2", "1"], ["3", "4", "2"], ["4", "3", "3"], ["5", "0", "1"], ["4", "0", "3"], ["0", "5", "2"]]) {
      cmds.push(`C b ${d} ${e} ${n}`);
    }
    cmds.push("C c", "C b 0 0 0", "C b 0 0 1");
    expect(diffAgainstV8(wasm, exe, cmds)).toEqual([]);
  });
});
