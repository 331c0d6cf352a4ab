// Memory, bulk memory, atomics, the start function and spectest imports, against V8.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, buildExe, buildWat, diffAgainstV8 } from "./harness.ts";

describe("memory", () => {
  const wasm = buildWat(join(ROOT, "tests/ts2native/wat/memory.wat"), ["--enable-threads"]);
  const exe = buildExe(wasm);
  // export order: load store init drop copy fill grow last atomics print2
  it("matches V8: bounds, bulk memory, grow, atomics, imports", () => {
    const cmds = [
      "C 0 10", "C 0 fff7", "C 0 fff8", "C 0 ffffffff",
      "C 1 fffa 1122334455667788", "C 1 fffb 1", "C 0 fff0",
      "C 2 100 2 8", "C 2 fffc 0 8", "C 2 100 a 7", "C 2 100 9 7", "C 2 10000 0 0", "C 2 10001 0 0",
      "C 4 14 10 8", "C 4 10 12 8", "C 4 fff8 10 9", "C 4 10 fff8 9", "C 4 10000 10 0", "C 4 10001 10 0",
      "C 5 20 61 8", "C 5 fffe 62 3", "C 5 fff0 63 10",
      "C 3", "C 2 100 0 1", "C 2 100 0 0", "C 3",
      "C 7", "C 6 0", "C 6 1", "C 7", "C 0 1fff8", "C 6 2", "C 6 1", "C 0 2fff8", "C 7", "C 6 0",
      "C 8 40 0123456789abcdef", "C 8 48 ffffffffffffffff", "C 8 44 1", "C 8 fffffff8 1",
      "C 9 3ff0000000000000 c000000000000000",
    ];
    expect(diffAgainstV8(wasm, exe, cmds)).toEqual([]);
  });
});
