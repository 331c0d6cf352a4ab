// The scheduling policy (src/sched/policy.ts), pure: round-robin order, who is skipped, and the
// VMX-preemption timer value for a slice (SDM Vol 3C §26.5.1; rate from IA32_VMX_MISC[4:0], A.6).

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = resolve(ROOT, "build/sched-test/sched.wasm");
const RUNNABLE = 0, HALTED = 1, DONE = 2;

interface Sched {
  memory: WebAssembly.Memory;
  states(): number;
  testPickNext(count: number, last: number): number;
  testCountInState(count: number, state: number): number;
  testTimerValue(ticks: bigint, rate: number): number;
  pickNone(): number;
  defaultSlice(): bigint;
  testSliceTicks(tscHz: bigint): bigint;
}
let s: Sched;

function set(states: number[]): number {
  const v = new DataView(s.memory.buffer);
  states.forEach((st, i) => v.setUint32(s.states() + 4 * i, st, true));
  return states.length;
}

beforeAll(() => {
  mkdirSync(resolve(ROOT, "build/sched-test"), { recursive: true });
  execFileSync(resolve(ROOT, "node_modules/.bin/asc"),
    ["tests/sched/entry.ts", "--runtime", "stub", "-O3", "--noAssert", "-o", OUT], { cwd: ROOT, stdio: "inherit" });
  s = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(OUT)), {
    env: { abort: () => { throw new Error("abort"); } },
  }).exports as unknown as Sched;
});

describe("pickNext", () => {
  it("goes round robin from the one after `last`, wrapping", () => {
    const n = set([RUNNABLE, RUNNABLE, RUNNABLE]);
    expect(s.testPickNext(n, s.pickNone())).toBe(0);
    expect(s.testPickNext(n, 0)).toBe(1);
    expect(s.testPickNext(n, 1)).toBe(2);
    expect(s.testPickNext(n, 2)).toBe(0);
  });
  it("skips halted and done vCPUs", () => {
    const n = set([RUNNABLE, HALTED, DONE, RUNNABLE]);
    expect(s.testPickNext(n, 0)).toBe(3);
    expect(s.testPickNext(n, 3)).toBe(0);
  });
  it("picks `last` again only when it is the only runnable one", () => {
    const n = set([DONE, RUNNABLE, HALTED]);
    expect(s.testPickNext(n, 1)).toBe(1);
  });
  it("says none when nothing can run, and for an empty set", () => {
    expect(s.testPickNext(set([HALTED, DONE]), 0)).toBe(s.pickNone());
    expect(s.testPickNext(0, s.pickNone())).toBe(s.pickNone());
  });
  it("treats an out-of-range `last` as 'start at 0'", () => {
    const n = set([RUNNABLE, RUNNABLE]);
    expect(s.testPickNext(n, 7)).toBe(0);
  });
});

describe("countInState", () => {
  it("counts states", () => {
    const n = set([RUNNABLE, HALTED, RUNNABLE, DONE]);
    expect(s.testCountInState(n, RUNNABLE)).toBe(2);
    expect(s.testCountInState(n, HALTED)).toBe(1);
    expect(s.testCountInState(n, DONE)).toBe(1);
  });
});

describe("sliceTicksFor", () => {
  it("is 1 ms of TSC time on hardware", () => {
    expect(s.testSliceTicks(3_000_000_000n)).toBe(3_000_000n);
    expect(s.testSliceTicks(2_100_000_000n)).toBe(2_100_000n);
  });
  it("never goes below the default slice: unknown TSC, Bochs' 50 MHz instruction count", () => {
    expect(s.testSliceTicks(0n)).toBe(s.defaultSlice());
    expect(s.testSliceTicks(50_000_000n)).toBe(s.defaultSlice());
    expect(s.testSliceTicks(200_000_000n)).toBe(s.defaultSlice());
    expect(s.testSliceTicks(200_001_000n)).toBe(200_001n);
  });
  it("does not overflow for any 64-bit frequency", () => {
    expect(s.testSliceTicks(0xffffffffffffffffn)).toBe(0xffffffffffffffffn / 1000n);
  });
});

describe("preemptionTimerValue", () => {
  it("divides the slice by 2^rate", () => {
    expect(s.testTimerValue(200000n, 0)).toBe(200000);
    expect(s.testTimerValue(200000n, 5)).toBe(6250);
    expect(s.testTimerValue(s.defaultSlice(), 0)).toBeGreaterThan(0);
  });
  it("never arms 0 (an exit before the first guest instruction) and saturates at 32 bits", () => {
    expect(s.testTimerValue(3n, 5)).toBe(1);
    expect(s.testTimerValue(0n, 0)).toBe(1);
    expect(s.testTimerValue(1n << 40n, 0) >>> 0).toBe(0xffffffff);
  });
  it("uses only the 5 rate bits of IA32_VMX_MISC[4:0]", () => {
    expect(s.testTimerValue(1n << 20n, 32 + 4)).toBe(1 << 16);
  });
});
