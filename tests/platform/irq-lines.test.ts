// IrqLines: levels, the changed mask and latched rising edges, and the ISA-IRQ → GSI wiring.
import { beforeEach, describe, expect, it } from "vitest";
import { platform, layout } from "./wasm.ts";

const p = platform();
let l = 0;
beforeEach(() => {
  l = layout(p)(p.u32("sizeIrqLines"));
  p.call("linesInit", l);
});

describe("IrqLines", () => {
  it("records levels, changes and rising edges until commit; commit keeps levels", () => {
    p.call("linesSet", l, 4, true);
    p.call("linesSet", l, 4, false);
    expect(p.u32("linesLevel", l)).toBe(0);
    expect(p.u32("linesChanged", l)).toBe(0x10);
    expect(p.u32("linesRising", l)).toBe(0x10);      // a pulse between samples is not lost
    p.call("linesSet", l, 8, true);
    p.call("linesCommit", l);
    expect([p.u32("linesLevel", l), p.u32("linesChanged", l), p.u32("linesRising", l)]).toEqual([0x100, 0, 0]);
    p.call("linesSet", l, 8, true);                  // same level: no change, no edge
    expect(p.u32("linesChanged", l)).toBe(0);
    p.call("linesPulse", l, 0, true);
    expect([p.u32("linesLevel", l), p.u32("linesRising", l)]).toEqual([0x101, 0x1]);
  });

  it("lines beyond 23 are ignored", () => {
    p.call("linesSet", l, 24, true);
    p.call("linesSet", l, 0xffffffff, true);
    p.call("linesPulse", l, 31, true);
    expect([p.u32("linesLevel", l), p.u32("linesChanged", l), p.u32("linesRising", l)]).toEqual([0, 0, 0]);
  });

  it("GSI wiring: ISA IRQ n = GSI n, except the PIT (IRQ 0) on GSI 2 and nothing on GSI 0", () => {
    expect(p.u32("lineOfGsi", 2)).toBe(0);
    expect(p.u32("lineOfGsi", 0)).toBe(0xff);
    for (const g of [1, 4, 8, 9, 15, 16, 23]) expect(p.u32("lineOfGsi", g)).toBe(g);
    expect(p.u32("lineOfGsi", 24)).toBe(0xff);
  });
});
