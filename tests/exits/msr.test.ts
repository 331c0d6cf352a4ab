// MSR policy (src/vmm/policy/msr-table.ts, msr-state.ts) and the MSR bitmap computed from it
// (msr-bitmap.ts, SDM Vol 3C §24.6.9).
import { describe, expect, it } from "vitest";
import { exits, A } from "./wasm.ts";

const e = exits();
const KIND = { GP: 0, GUEST_OWNED: 1, VMCS_NOEXIT: 2, VMCS: 3, EMULATED: 4, CONST: 5, CONST_WI: 6, HOST_READ: 7, TSC: 8 };
const kind = (msr: number): number => e.u32("msrRuleOf", msr) & 0xf;
const slot = (msr: number): number => (e.u32("msrRuleOf", msr) >> 8) & 0xff;
const GP = 0xffffffffffffffffn;

describe("policy table", () => {
  it("is sorted strictly and ends with TSC_AUX (the binary search relies on it)", () => {
    const n = e.u32("msrRows");
    const msrs = Array.from({ length: n }, (_, i) => e.u32("msrRowMsr", i));
    for (let i = 1; i < n; i++) expect(msrs[i]!).toBeGreaterThan(msrs[i - 1]!);
    expect(msrs[n - 1]).toBe(e.u32("msrLastExpected"));
    for (const m of msrs) expect(kind(m)).not.toBe(KIND.GP);
  });
  it("serves every MSR the Linux guest touches the intended way", () => {
    expect(kind(0x10)).toBe(KIND.TSC);
    expect(kind(0x1b)).toBe(KIND.EMULATED);
    expect(kind(0x3a)).toBe(KIND.CONST);
    expect(kind(0x8b)).toBe(KIND.CONST_WI);
    expect(kind(0xce)).toBe(KIND.HOST_READ);
    expect(kind(0xfe)).toBe(KIND.CONST);
    expect(kind(0x277)).toBe(KIND.VMCS);
    expect(kind(0xc0000080)).toBe(KIND.VMCS);
    for (const m of [0x174, 0x175, 0x176, 0xc0000100, 0xc0000101]) expect(kind(m)).toBe(KIND.VMCS_NOEXIT);
    for (const m of [0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102]) expect(kind(m)).toBe(KIND.GUEST_OWNED);
    for (let m = 0x200; m <= 0x20f; m++) expect([kind(m), slot(m)]).toEqual([KIND.EMULATED, 14 + m - 0x200]);
    expect([0x250, 0x258, 0x259, 0x268, 0x26f].map(slot)).toEqual([3, 4, 5, 6, 13]);
    expect(slot(0x2ff)).toBe(2);
  });
  it("answers #GP for unknown MSRs, hidden features and x2APIC", () => {
    for (const m of [0, 0x3b, 0x48, 0x49, 0x10a, 0x179, 0x6e0, 0x802, 0xda0, 0xc0de1234, 0x1ff, 0x210, 0xffffffff]) {
      expect(kind(m)).toBe(KIND.GP);
    }
  });
});

describe("emulated MSR state", () => {
  it("comes up as firmware would leave it", () => {
    e.u32("msrInit", A.STATE, 1);
    expect(e.u64("msrSlot", A.STATE, 0)).toBe(0xfee00900n);
    expect(e.u64("msrSlot", A.STATE, 1)).toBe(0x1801n);
    expect(e.u64("msrSlot", A.STATE, 2)).toBe(0x806n);
    e.u32("msrInit", A.STATE, 0);
    expect(e.u64("msrSlot", A.STATE, 0)).toBe(0xfee00800n);
    expect(e.u64("msrConst", 0)).toBe(1n);
    expect(e.u64("msrConst", 1)).toBe(0x508n);
  });
  it("APIC_BASE: BSP is read-only, x2APIC enable and reserved bits raise #GP", () => {
    e.u32("msrInit", A.STATE, 1);
    expect(e.u32("msrWrite", A.STATE, 0x1b, 0, 0xfed00800n, 39)).toBe(0);
    expect(e.u64("msrSlot", A.STATE, 0)).toBe(0xfed00900n);
    expect(e.u32("msrWrite", A.STATE, 0x1b, 0, 0xfee00c00n, 39)).toBe(1);
    expect(e.u32("msrWrite", A.STATE, 0x1b, 0, 0xfee00801n, 39)).toBe(1);
    expect(e.u32("msrWrite", A.STATE, 0x1b, 0, (1n << 39n) | 0x800n, 39)).toBe(1);
    expect(e.u64("msrSlot", A.STATE, 0)).toBe(0xfed00900n);
  });
  it("MISC_ENABLE: fast strings writable, XD disable refused, read-only bits kept", () => {
    e.u32("msrInit", A.STATE, 1);
    expect(e.u32("msrWrite", A.STATE, 0x1a0, 1, 0n, 39)).toBe(0);
    expect(e.u64("msrSlot", A.STATE, 1)).toBe(0x1800n);
    expect(e.u32("msrWrite", A.STATE, 0x1a0, 1, 1n << 34n, 39)).toBe(1);
  });
  it("MTRRs: memory types and reserved bits are checked", () => {
    e.u32("msrInit", A.STATE, 1);
    expect(e.u32("msrWrite", A.STATE, 0x2ff, 2, 0xc06n, 39)).toBe(0);
    expect(e.u32("msrWrite", A.STATE, 0x2ff, 2, 0x802n, 39)).toBe(1); // type 2 reserved
    expect(e.u32("msrWrite", A.STATE, 0x2ff, 2, 0x1806n, 39)).toBe(1);
    expect(e.u32("msrWrite", A.STATE, 0x250, 3, 0x0606060606060606n, 39)).toBe(0);
    expect(e.u32("msrWrite", A.STATE, 0x250, 3, 0x0606060606060607n, 39)).toBe(1);
    expect(e.u32("msrWrite", A.STATE, 0x200, 14, 0x80000006n, 39)).toBe(0);
    expect(e.u64("msrSlot", A.STATE, 14)).toBe(0x80000006n);
    expect(e.u32("msrWrite", A.STATE, 0x200, 14, 0x80000106n, 39)).toBe(1);
    expect(e.u32("msrWrite", A.STATE, 0x201, 15, 0x7f80000800n, 39)).toBe(0);
    expect(e.u32("msrWrite", A.STATE, 0x201, 15, 0xff80000800n, 39)).toBe(1); // bit 39 ≥ MAXPHYADDR
    expect(e.u32("msrWrite", A.STATE, 0x201, 15, 0x7f80000801n, 39)).toBe(1);
  });
  it("PAT entries must be valid types", () => {
    expect(e.bool("patOk", 0x0007040600070406n)).toBe(true);
    expect(e.bool("patOk", 0x0007040600070402n)).toBe(false);
    expect(e.bool("patOk", 0x0007040600070416n)).toBe(false);
  });
  it("EFER: reserved bits and LME changes under paging raise #GP; LMA is kept", () => {
    expect(e.u64("efer", 0n, 0x901n, false, true)).toBe(0x901n);
    expect(e.u64("efer", 0n, 0x501n, false, true)).toBe(0x101n); // LMA not writable
    expect(e.u64("efer", 0x500n, 0x100n, true, true)).toBe(0x500n);
    expect(e.u64("efer", 0x500n, 0x000n, true, true)).toBe(GP);
    expect(e.u64("efer", 0n, 0x800n, false, false)).toBe(GP); // NXE without NX
    expect(e.u64("efer", 0n, 0x2n, false, true)).toBe(GP);
  });
  it("canonical addresses", () => {
    expect(e.bool("canonical", 0x00007fffffffffffn)).toBe(true);
    expect(e.bool("canonical", 0xffff800000000000n)).toBe(true);
    expect(e.bool("canonical", 0x0000800000000000n)).toBe(false);
  });
});

describe("MSR bitmap", () => {
  it("exits everywhere except the no-exit rows, per direction", () => {
    e.u32("msrBitmap", A.PAGE);
    const hit = (m: number, w: boolean): boolean => e.bool("msrBitmapHit", A.PAGE, m, w);
    expect(hit(0x10, false)).toBe(false);
    expect(hit(0x10, true)).toBe(true);
    for (const m of [0x174, 0x176, 0xc0000081, 0xc0000102, 0xc0000100, 0xc0000103]) {
      expect([hit(m, false), hit(m, true)]).toEqual([false, false]);
    }
    for (const m of [0x1b, 0x277, 0xc0000080, 0x3a, 0x2ff, 0x0, 0x1fff, 0xc0001fff]) {
      expect([hit(m, false), hit(m, true)]).toEqual([true, true]);
    }
    expect(hit(0xc0de1234, false)).toBe(true);
    // exactly the no-exit rows are clear: 6 guest-owned + 5 VMCS-saved MSRs, plus TSC reads
    let clearRead = 0, clearWrite = 0;
    for (let i = 0; i < 2048; i++) {
      for (let b = 0; b < 8; b++) if (((e.bytes[A.PAGE + i]! >> b) & 1) === 0) clearRead++;
      for (let b = 0; b < 8; b++) if (((e.bytes[A.PAGE + 2048 + i]! >> b) & 1) === 0) clearWrite++;
    }
    expect([clearRead, clearWrite]).toEqual([12, 11]);
    // byte layout: TSC (0x10) read bit is byte 2 bit 0; LSTAR write bit is byte 3072 + 0x10 bit 2
    expect(e.bytes[A.PAGE + 2]! & 1).toBe(0);
    expect((e.bytes[A.PAGE + 3072 + 0x10]! >> 2) & 1).toBe(0);
  });
});
