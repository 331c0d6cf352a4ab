// The first milestone: an integer-only AssemblyScript kernel compiled by asc -O3 --runtime stub,
// compiled by ts2native to a Linux executable, must compute exactly what V8 computes.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, buildAS, buildExe, compareReplies, serve, v8Serve } from "./harness.ts";

// export indices in kernel.ts order
const E = { loads: 0, stores: 1, bits: 2, cmps: 3, divs: 4, indirect: 5, step: 6, classify: 7, sumTo: 8, bulk: 9, grow: 10, ext: 11, fail: 12, recurse: 13 };
const h = (n: number): string => n.toString(16);

describe("AssemblyScript kernel (asc -O3 --runtime stub)", () => {
  const wasm = buildAS(join(ROOT, "tests/ts2native/as/kernel.as"));
  const exe = buildExe(wasm);
  const cmds: string[] = [];
  for (let i = 0; i < 8; i++) cmds.push(`C ${h(E.loads)} ${h(i)}`);
  cmds.push(`C ${h(E.stores)} 1000100 0123456789abcdef`, `C ${h(E.stores)} 1000203 fedcba9876543210`);
  for (const [x, s] of [["0", 0], ["1", 1], ["8000000000000000", 63], ["0123456789abcdef", 13], ["ffffffff00000000", 37], ["00000000ffffffff", 64]] as const) {
    cmds.push(`C ${h(E.bits)} ${x} ${h(s)}`);
  }
  const vals = ["0", "1", "ffffffffffffffff", "8000000000000000", "7fffffffffffffff", "80000000", "ffffffff", "12345"];
  for (const a of vals) for (const b of vals) cmds.push(`C ${h(E.cmps)} ${a} ${b}`);
  for (const [a, b] of [["64", "7"], ["ffffffffffffff9c", "7"], ["8000000000000000", "ffffffffffffffff"], ["5", "0"], ["80000000", "ffffffff"], ["ffffffff80000000", "ffffffffffffffff"], ["123456789", "fffffffff"]]) {
    cmds.push(`C ${h(E.divs)} ${a} ${b}`);
  }
  for (let k = 0; k < 4; k++) cmds.push(`C ${h(E.indirect)} ${h(k)} ${h(k * 7 + 3)}`);
  cmds.push(`C ${h(E.indirect)} ffffffff 5`);
  for (let k = 0; k < 3; k++) cmds.push(`C ${h(E.step)}`);
  for (const x of [0, 1, 2, 3, 4, 7, 9, 10, -5, 100000]) cmds.push(`C ${h(E.classify)} ${h(x >>> 0)}`);
  cmds.push(`C ${h(E.sumTo)} 0`, `C ${h(E.sumTo)} 10`, `C ${h(E.sumTo)} 100000`);
  cmds.push(`C ${h(E.bulk)} 1000400 1000402 6`, `C ${h(E.bulk)} 1000500 1000400 8`, `C ${h(E.bulk)} fffffff0 1000400 4`);
  cmds.push(`C ${h(E.grow)} 0`, `C ${h(E.grow)} 1`, `C ${h(E.grow)} 100000`);
  for (const x of ["0", "7f", "80", "ff", "ffff", "8000", "80000000", "ffffffff"]) cmds.push(`C ${h(E.ext)} ${x}`);
  cmds.push(`C ${h(E.fail)} 3`, `C ${h(E.fail)} b`, `C ${h(E.fail)} 4`);
  cmds.push(`C ${h(E.recurse)} 1000`, `C ${h(E.recurse)} 10000000`, `C ${h(E.recurse)} 5`);

  it("matches V8 on every call, including traps and state across commands", () => {
    const native = serve(exe, cmds);
    const expected = v8Serve(wasm, cmds);
    expect(compareReplies(native, expected)).toEqual([]);
    expect(native.length).toBeGreaterThan(cmds.length); // replies plus "I ok" and P lines
  });
});
