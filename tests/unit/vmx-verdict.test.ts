// The VT-x verdict (src/vmx/caps.ts) as a pure function: the tests write a VmxCapsSnapshot into
// the core's memory, at the offsets of its layout diagram, and read back the verdict word.

import { beforeAll, describe, expect, it } from "vitest";
import { FakeMachine, constant, fn, instantiate } from "./support/fake-machine.ts";
import { CPUID_01_ECX_VMX, LYNNFIELD_VMX, PENRYN_VMX, SKYLAKE_X_VMX, type VmxMsrDump } from "./support/cpus.ts";

const SNAPSHOT_AT = 0x30000; // scratch RAM, below the core's data at 16 MiB

let machine: FakeMachine;
let exports: WebAssembly.Exports;
let verdictOf: (snapshot: number) => number;
const k = (name: string): number => constant(exports, name);

beforeAll(() => {
  machine = new FakeMachine({ cpuid: new Map(), msrs: new Map() });
  exports = instantiate(machine);
  verdictOf = fn(exports, "testVmxVerdict");
});

interface Snapshot {
  cpuid1Ecx: number;
  featureControl?: bigint;
  basic?: bigint;
  pinbased?: bigint;
  procbased?: bigint;
  procbased2?: bigint;
  eptVpidCap?: bigint;
}

/** Writes the snapshot (layout: src/vmx/caps.ts VmxCapsSnapshot) and returns the verdict word. */
function verdict(s: Snapshot): { status: number; features: number; missing: number } {
  const v = machine.view();
  let valid = 0;
  const fields: [keyof Snapshot, number, string][] = [
    ["featureControl", 8, "VALID_FEATURE_CONTROL"],
    ["basic", 16, "VALID_BASIC"],
    ["pinbased", 24, "VALID_PINBASED"],
    ["procbased", 32, "VALID_PROCBASED"],
    ["procbased2", 40, "VALID_PROCBASED2"],
    ["eptVpidCap", 48, "VALID_EPT_VPID_CAP"],
  ];
  for (const [name, offset, validName] of fields) {
    const value = s[name];
    // Absent fields hold garbage on purpose: the verdict must go by the valid bits.
    v.setBigUint64(SNAPSHOT_AT + offset, typeof value === "bigint" ? value : 0xffffffffffffffffn, true);
    if (typeof value === "bigint") valid |= k(validName);
  }
  v.setUint32(SNAPSHOT_AT, s.cpuid1Ecx, true);
  v.setUint32(SNAPSHOT_AT + 4, valid, true);
  const word = verdictOf(SNAPSHOT_AT) >>> 0;
  return { status: word & 0xff, features: (word >> 8) & 0xff, missing: (word >> 16) & 0xff };
}

/** The snapshot the probe takes on a CPU with this dump (TRUE_ controls: BASIC bit 55 is set). */
function fromDump(d: VmxMsrDump): Snapshot {
  return {
    cpuid1Ecx: CPUID_01_ECX_VMX,
    featureControl: d.featureControl,
    basic: d.basic,
    pinbased: d.truePinbased,
    procbased: d.trueProcbased,
    procbased2: d.procbased2,
    ...(d.eptVpidCap === undefined ? {} : { eptVpidCap: d.eptVpidCap }),
  };
}

const feats = (...names: string[]): number => names.reduce((acc, n) => acc | k(n), 0);

describe("VT-x verdict", () => {
  it("Bochs corei7_skylake_x: usable, with every feature we look for", () => {
    expect(verdict(fromDump(SKYLAKE_X_VMX))).toEqual({
      status: k("VMX_STATUS_USABLE"),
      features: feats("FEAT_EPT", "FEAT_UNRESTRICTED_GUEST", "FEAT_VPID", "FEAT_PREEMPTION_TIMER", "FEAT_EPT_2M", "FEAT_EPT_1G"),
      missing: 0,
    });
  });

  it("Bochs corei5_lynnfield_750: EPT and VPID but no unrestricted guest, no 1G EPT pages", () => {
    // PROCBASED_CTLS2 allowed-1 = 0x7F: bit 7 (unrestricted guest) clear; EPT_VPID_CAP bit 17 clear.
    expect(verdict(fromDump(LYNNFIELD_VMX))).toEqual({
      status: k("VMX_STATUS_MISSING_REQUIRED"),
      features: feats("FEAT_EPT", "FEAT_VPID", "FEAT_PREEMPTION_TIMER", "FEAT_EPT_2M"),
      missing: feats("FEAT_UNRESTRICTED_GUEST"),
    });
  });

  it("Bochs core2_penryn_t9600: no EPT, no unrestricted guest, no preemption timer", () => {
    // PINBASED allowed-1 = 0x3F (bit 6 clear); PROCBASED_CTLS2 allowed-1 = 0x41; no EPT_VPID_CAP.
    expect(verdict(fromDump(PENRYN_VMX))).toEqual({
      status: k("VMX_STATUS_MISSING_REQUIRED"),
      features: 0,
      missing: feats("FEAT_EPT", "FEAT_UNRESTRICTED_GUEST"),
    });
  });

  it("no VMX in CPUID: nothing else matters", () => {
    const s = fromDump(SKYLAKE_X_VMX);
    expect(verdict({ ...s, cpuid1Ecx: 0xfffffffd & ~CPUID_01_ECX_VMX }).status).toBe(k("VMX_STATUS_NO_VMX"));
  });

  it("IA32_FEATURE_CONTROL locked with VMX-outside-SMX clear: disabled by firmware", () => {
    const s = fromDump(SKYLAKE_X_VMX);
    expect(verdict({ ...s, featureControl: 0x1n }).status).toBe(k("VMX_STATUS_LOCKED_OFF"));
    // Locked with only VMX-inside-SMX (bit 1) enabled is still off for us: we do not use SMX.
    expect(verdict({ ...s, featureControl: 0x3n }).status).toBe(k("VMX_STATUS_LOCKED_OFF"));
  });

  it("IA32_FEATURE_CONTROL unlocked, or locked with VMX enabled: usable", () => {
    const s = fromDump(SKYLAKE_X_VMX);
    expect(verdict({ ...s, featureControl: 0x0n }).status).toBe(k("VMX_STATUS_USABLE"));
    expect(verdict({ ...s, featureControl: 0x4n }).status).toBe(k("VMX_STATUS_USABLE"));
    expect(verdict({ ...s, featureControl: 0x5n }).status).toBe(k("VMX_STATUS_USABLE"));
  });

  it("VMX in CPUID but the MSRs #GP: not available, never a guess", () => {
    expect(verdict({ cpuid1Ecx: CPUID_01_ECX_VMX }).status).toBe(k("VMX_STATUS_FEATURE_CONTROL_UNREADABLE"));
    const { featureControl: _fc, ...noFc } = fromDump(SKYLAKE_X_VMX);
    expect(verdict(noFc).status).toBe(k("VMX_STATUS_FEATURE_CONTROL_UNREADABLE"));
    const { basic: _b, ...noBasic } = fromDump(SKYLAKE_X_VMX);
    expect(verdict(noBasic).status).toBe(k("VMX_STATUS_MSRS_UNREADABLE"));
  });

  it("secondary controls count only when the primary controls allow activating them", () => {
    const s = fromDump(SKYLAKE_X_VMX);
    const noSecondary = SKYLAKE_X_VMX.trueProcbased & ~(1n << 63n);
    expect(verdict({ ...s, procbased: noSecondary })).toEqual({
      status: k("VMX_STATUS_MISSING_REQUIRED"),
      features: feats("FEAT_PREEMPTION_TIMER"),
      missing: feats("FEAT_EPT", "FEAT_UNRESTRICTED_GUEST"),
    });
  });

  it("EPT page sizes need EPT: a CAP MSR alone adds nothing", () => {
    const s = fromDump(SKYLAKE_X_VMX);
    const vpidOnly = 1n << (32n + 5n);
    expect(verdict({ ...s, procbased2: vpidOnly }).features).toBe(feats("FEAT_VPID", "FEAT_PREEMPTION_TIMER"));
  });

  it("reads allowed-1 (high) halves only: allowed-0 bits set in the low half do not count", () => {
    const s = fromDump(SKYLAKE_X_VMX);
    const lowOnly = 0x00000000ffffffffn; // every control "must be 1", none "may be 1"
    expect(verdict({ ...s, procbased2: lowOnly }).missing).toBe(feats("FEAT_EPT", "FEAT_UNRESTRICTED_GUEST"));
  });
});
