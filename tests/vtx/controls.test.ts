// Control adjustment (SDM Vol 3D A.3–A.5), IA32_VMX_BASIC/MISC decode (A.1, A.6), CR fixed bits
// (A.7, A.8, SDM 26.3.1.1) and the hypervisor's control set, on real Bochs dumps and synthetic MSRs.
import { describe, expect, it } from "vitest";
import { vtx, SCRATCH } from "./wasm.ts";
import { loadDumps, writeCaps, type MsrDump } from "./caps.ts";

const v = vtx();
const dumps = loadDumps();
const CAPS = SCRATCH;
const OUT = SCRATCH + 0x400;
const GROUP = { OK: 0, PIN: 1, PROC: 2, PROC2: 3, EXIT: 4, ENTRY: 5 };

interface Set { pin: number; proc: number; proc2: number; exit: number; entry: number;
  procDynamic: number; entryDynamic: number; failedGroup: number; missing: number; status: number }

function controlSet(dump: MsrDump): Set {
  writeCaps(v, CAPS, dump);
  const status = v.u32("controlSet", CAPS, OUT);
  const r = (i: number): number => v.mem.getUint32(OUT + 4 * i, true);
  return { pin: r(0), proc: r(1), proc2: r(2), exit: r(3), entry: r(4), procDynamic: r(5),
    entryDynamic: r(6), failedGroup: r(7), missing: r(8), status };
}
function dump(name: string): MsrDump {
  const d = dumps.get(name);
  if (!d) throw new Error(`no dump for ${name}`);
  return new Map(d);
}

describe("adjustControls (A.3.1)", () => {
  it("sets required + allowed optional + forced bits", () => {
    // allowed-1 = 0x0000FF00, allowed-0 (must be 1) = 0x00000100
    const cap = 0x0000ff00_00000100n;
    const r = v.u64("adjust", cap, 0x0000_0200, 0x0001_0400);
    expect(r >> 32n).toBe(0n); // nothing missing
    expect(Number(r & 0xffffffffn)).toBe(0x0700); // 0x200 req, 0x400 opt, 0x100 forced; 0x10000 dropped
    expect(v.u32("forcedExtra", cap, 0x200, 0x400)).toBe(0x100);
  });
  it("names every missing required bit", () => {
    const r = v.u64("adjust", 0x0000ff00_00000000n, 0x8001_0200, 0);
    expect(Number(r >> 32n)).toBe(0x8001_0000);
  });
  it("zero MSR (absent) allows nothing", () => {
    expect(Number(v.u64("adjust", 0n, 1, 0) >> 32n)).toBe(1);
    expect(v.u64("adjust", 0n, 0, 0xffffffff)).toBe(0n);
  });
});

describe("IA32_VMX_BASIC and IA32_VMX_MISC", () => {
  it("decodes corei7_skylake_x", () => {
    const d = dump("corei7_skylake_x");
    const basic = d.get("IA32_VMX_BASIC")!;
    expect(basic).toBe(0x00d810000000002bn);
    expect(v.u32("revisionId", basic)).toBe(0x2b);
    expect(v.u32("vmcsSize", basic)).toBe(4096);
    expect(v.u32("vmcsMemType", basic)).toBe(6); // WB
    expect(v.u32("trueControls", basic)).toBe(1);
    expect(v.u32("addr32", basic)).toBe(0);
    const misc = d.get("IA32_VMX_MISC")!;
    expect(v.u32("timerRate", misc)).toBe(0);
    expect(v.u32("cr3Targets", misc)).toBe(4);
    expect(v.u32("maxMsrList", misc)).toBe(512);
    expect(v.u32("waitForSipi", misc)).toBe(1);
  });
  it("decodes synthetic values", () => {
    expect(v.u32("revisionId", 0xffffffffn)).toBe(0x7fffffff); // bit 31 is not part of the id
    expect(v.u32("vmcsSize", 0x0001_0400_0000_0000n)).toBe(0x400);
    expect(v.u32("addr32", 1n << 48n)).toBe(1);
    expect(v.u32("trueControls", 0x0058_1000_0000_0001n)).toBe(0); // bit 55 clear
    expect(v.u32("timerRate", 0x1fn)).toBe(31);
    expect(v.u32("maxMsrList", 7n << 25n)).toBe(4096);
  });
});

describe("CR0/CR4 fixed bits", () => {
  const f0 = 0x80000021n, f1 = 0xffffffffn;
  it("unrestricted guest may keep PE=PG=0 (26.3.1.1) but NE is forced", () => {
    expect(v.u64("adjustCr0", 0x10n, f0, f1, true)).toBe(0x30n);
    expect(v.u64("adjustCr0", 0x10n, f0, f1, false)).toBe(0x80000031n);
    expect(v.u64("crViolations", 0x10n, f0, f1, 0x80000001n)).toBe(0x20n);
    expect(v.u64("crViolations", 0x30n, f0, f1, 0x80000001n)).toBe(0n);
    expect(v.u64("crViolations", 0x30n, f0, f1, 0n)).toBe(0x80000001n);
  });
  it("CR4: VMXE forced on, unsupported bits (Skylake FIXED1 0x3727FF) forced off", () => {
    const c0 = 0x2000n, c1 = 0x3727ffn;
    expect(v.u64("adjustCr4", 0n, c0, c1)).toBe(0x2000n);
    expect(v.u64("adjustCr4", 0x800020n, c0, c1)).toBe(0x2020n); // bit 23 (CET) not allowed
    expect(v.u64("crViolations", 0x100000000n, c0, c1, 0n)).toBe(0x100002000n);
    expect(v.u64("crHostMask", c0, c1, 0n)).toBe(0xffffffffffc8f800n);
    expect(v.u64("crHostMask", f0, f1, 0x80000001n)).toBe(0xffffffff00000020n);
  });
});

describe("computeControlSet", () => {
  it("corei7_skylake_x (TRUE MSRs) gives the expected words", () => {
    const s = controlSet(dump("corei7_skylake_x"));
    expect(s.status).toBe(GROUP.OK);
    expect(s.pin).toBe(0x7f); // ext-int, NMI, virtual NMIs, timer + default1 bits 1,2,4
    expect(s.proc >>> 0).toBe(0x960061fa); // HLT, TSC offset, I/O+MSR bitmaps, secondary + default1; no CR3 exits
    expect(s.proc2).toBe(0x001010aa); // EPT, RDTSCP, VPID, UG, INVPCID, XSAVES
    expect(s.exit).toBe(0x7feffb); // host 64-bit, ack, save/load PAT+EFER, save timer + default1
    expect(s.entry).toBe(0xd1fb);
    expect(s.procDynamic).toBe(0x400004);
    expect(s.entryDynamic).toBe(0x200);
  });
  it("without TRUE MSRs the default1 controls are forced (A.2)", () => {
    const d = dump("corei7_skylake_x");
    d.set("IA32_VMX_BASIC", d.get("IA32_VMX_BASIC")! & ~(1n << 55n));
    const s = controlSet(d);
    expect(s.status).toBe(GROUP.OK);
    expect(s.proc >>> 0).toBe(0x9601e1fa); // CR3 load/store exiting now forced on
    expect(s.exit).toBe(0x7fefff); // save debug controls forced
    expect(s.entry).toBe(0xd1ff);
  });
  it("corei5_lynnfield_750 fails naming unrestricted guest (proc2 bit 7)", () => {
    const s = controlSet(dump("corei5_lynnfield_750"));
    expect(s.status).toBe(GROUP.PROC2);
    expect(s.failedGroup).toBe(GROUP.PROC2);
    expect(s.missing).toBe(0x80);
  });
  it("every other Bochs model with EPT + unrestricted guest passes", () => {
    for (const [name, d] of dumps) {
      if (name.startsWith("core2") || name.startsWith("corei5_lynnfield")) continue;
      expect(controlSet(new Map(d)).status, name).toBe(GROUP.OK);
    }
  });
  it("core2_penryn (no preemption timer, no EPT) fails on the pin controls first", () => {
    const d = dump("core2_penryn_t9600");
    d.set("IA32_VMX_BASIC", d.get("IA32_VMX_BASIC")! & ~(1n << 55n)); // its TRUE MSRs were not dumped
    const s = controlSet(d);
    expect(s.status).toBe(GROUP.PIN);
    expect(s.missing).toBe(0x40);
    d.set("IA32_VMX_PINBASED_CTLS", 0x0000007f_00000016n);
    const s2 = controlSet(d);
    expect(s2.status).toBe(GROUP.PROC2);
    expect(s2.missing).toBe(0x82); // EPT and unrestricted guest
  });
  it("synthetic: no secondary controls, no interrupt window, no IA-32e entry", () => {
    const base = dump("corei7_skylake_x");
    const noSecondary = new Map(base);
    noSecondary.set("IA32_VMX_TRUE_PROCBASED", base.get("IA32_VMX_TRUE_PROCBASED")! & ~(1n << 63n));
    let s = controlSet(noSecondary);
    expect(s.status).toBe(GROUP.PROC);
    expect(s.missing >>> 0).toBe(0x80000000);
    const noWindow = new Map(base);
    noWindow.set("IA32_VMX_TRUE_PROCBASED", base.get("IA32_VMX_TRUE_PROCBASED")! & ~(1n << 34n));
    s = controlSet(noWindow);
    expect(s.status).toBe(GROUP.PROC);
    expect(s.missing).toBe(0x4);
    const noLongMode = new Map(base);
    noLongMode.set("IA32_VMX_TRUE_ENTRY", base.get("IA32_VMX_TRUE_ENTRY")! & ~(1n << 41n));
    s = controlSet(noLongMode);
    expect(s.status).toBe(GROUP.ENTRY);
    expect(s.missing).toBe(0x200);
    const noPat = new Map(base);
    noPat.set("IA32_VMX_TRUE_EXIT", base.get("IA32_VMX_TRUE_EXIT")! & ~(3n << 50n));
    s = controlSet(noPat);
    expect(s.status).toBe(GROUP.EXIT);
    expect(s.missing).toBe(0xc0000);
  });
  it("optional controls drop out silently when absent", () => {
    const d = dump("corei7_skylake_x");
    d.set("IA32_VMX_PROCBASED_CTLS2", 0x00000082_00000000n); // only EPT + UG
    d.set("IA32_VMX_TRUE_PINBASED", 0x0000005f_00000016n); // no virtual NMIs
    const s = controlSet(d);
    expect(s.status).toBe(GROUP.OK);
    expect(s.proc2).toBe(0x82);
    expect(s.pin).toBe(0x5f);
  });
});
