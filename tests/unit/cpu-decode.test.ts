// CPUID leaf 01H version-word decode (src/x86/cpuid.ts), SDM Vol. 2A, CPUID, Figure 3-6.

import { beforeAll, describe, expect, it } from "vitest";
import { FakeMachine, fn, instantiate } from "./support/fake-machine.ts";

type Decode = (eax: number) => number;
let family: Decode;
let model: Decode;
let stepping: Decode;

beforeAll(() => {
  const exports = instantiate(new FakeMachine({ cpuid: new Map(), msrs: new Map() }));
  family = fn(exports, "cpuDisplayFamily");
  model = fn(exports, "cpuDisplayModel");
  stepping = fn(exports, "cpuStepping");
});

const decode = (eax: number): [number, number, number] => [family(eax) >>> 0, model(eax) >>> 0, stepping(eax) >>> 0];

describe("CPUID 01H version decode", () => {
  it("family 6 uses the extended model (Skylake-SP 0x50654 = 06_55H stepping 4)", () => {
    expect(decode(0x00050654)).toEqual([6, 85, 4]);
  });

  it("family 6 Haswell 0x306C3 = 06_3CH stepping 3", () => {
    expect(decode(0x000306c3)).toEqual([6, 60, 3]);
  });

  it("family 0FH adds the extended family and uses the extended model (AMD Zen 2 0x830F10)", () => {
    expect(decode(0x00830f10)).toEqual([0x17, 0x31, 0]);
  });

  it("family 0FH with extended family 0 (QEMU qemu64 0x60FB1, Pentium 4 0xF29)", () => {
    expect(decode(0x00060fb1)).toEqual([15, 107, 1]);
    expect(decode(0x00000f29)).toEqual([15, 2, 9]);
  });

  it("other families ignore both extended fields (family 5 with junk in bits 27:16)", () => {
    expect(decode(0x0fff0543)).toEqual([5, 4, 3]);
  });

  it("the processor type (bits 13:12) and reserved bits 31:28 do not leak into the result", () => {
    expect(decode(0xf0003654)).toEqual([6, 5, 4]);
  });
});
