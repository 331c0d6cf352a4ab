// Output normalization and comparison of differential fuzzing (tools/fuzz/normalize.ts).
import { describe, expect, it } from "vitest";
import { firstDifference, linesAgree, normalizeBinaryen, protocolLines } from "../../tools/fuzz/normalize.ts";

describe("binaryen output", () => {
  it("keeps protocol lines, including extra values of a multi-value result", () => {
    const text = "warning: x\n[fuzz-exec] export f\n[fuzz-exec] note result: f => 1\n-0\n2\n[fuzz-exec] export g\n[trap unreachable]\n";
    expect(protocolLines(text)).toEqual(["[fuzz-exec] export f", "[fuzz-exec] note result: f => 1", "-0", "2", "[fuzz-exec] export g", "[trap unreachable]"]);
  });
  it("maps binaryen trap messages onto ABI trap names, and keeps unknown ones visible", () => {
    const r = normalizeBinaryen(["[trap i64.rem_u by 0]", "[trap highest > memory: 65536 > 65535]", "[trap i32.truncUFloat overflow]", "[trap null target in call_indirect]", "[trap out of bounds segment access in memory.init]", "[trap mystery]"]);
    expect(r.lines).toEqual([
      "[trap integer divide by zero]",
      "[trap out of bounds memory access]",
      "[trap integer overflow]",
      "[trap uninitialized element]",
      "[trap out of bounds memory access | out of bounds data segment access]",
      "[trap ?mystery]",
    ]);
  });
  it("reports a host limit as inconclusive", () => {
    expect(normalizeBinaryen(["[fuzz-exec] export f", "[host limit stack limit]"]).inconclusive).toMatch(/host limit/);
  });
});

describe("comparison", () => {
  it("trap lines agree when they share a cause; other lines must be equal", () => {
    expect(linesAgree("[trap uninitialized element | indirect call type mismatch]", "[trap indirect call type mismatch]")).toBe(true);
    expect(linesAgree("[trap unreachable]", "[trap integer overflow]")).toBe(false);
    expect(linesAgree("[fuzz-exec] note result: f => 1", "[fuzz-exec] note result: f => 1.0")).toBe(false);
  });
  it("finds the first difference, including a missing tail", () => {
    expect(firstDifference(["a", "b"], ["a", "b"])).toBe(-1);
    expect(firstDifference(["a", "b"], ["a", "c"])).toBe(1);
    expect(firstDifference(["a", "b"], ["a"])).toBe(1);
  });
});
