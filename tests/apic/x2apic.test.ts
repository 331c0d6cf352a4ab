// x2APIC MSR view and IA32_APIC_BASE transitions (src/vmm/platform/lapic-x2apic.ts,
// lapic-state.ts): SDM Vol 3A §11.12 — Table 11-6, §11.12.1.3 reserved-bit checking, Figure 11-27.
import { beforeEach, describe, expect, it } from "vitest";
import { load } from "./wasm.ts";

const w = load("apic");
const A = 0x10000, B = 0x10100, CELL = 0x10400;
const GP = 3, NONE = 0, SEND = 2;
const wr = (msr: number, v: bigint | number, at = A): number => w.u32("lWrmsr", at, msr, BigInt(v), 0, 39);
const rd = (msr: number, at = A): bigint | null => {
  w.mem.setBigUint64(CELL, 0xdeadn, true);
  return w.u32("lRdmsr", at, msr, 0, CELL) === 1 ? w.mem.getBigUint64(CELL, true) : null;
};
const X2 = 0xfee00d00n; // base | EN | EXTD | BSP

describe("IA32_APIC_BASE", () => {
  beforeEach(() => w.call("lInit", A, 0x25, true, 2_500_000_000n, true));

  it("allows xAPIC → x2APIC → disabled → xAPIC and refuses the illegal transitions", () => {
    expect(wr(0x1b, 0xfee00000n | 0x800n | 0x400n)).toBe(NONE);
    expect(rd(0x1b)).toBe(X2);
    expect(wr(0x1b, 0xfee00900n)).toBe(GP); // x2APIC → xAPIC
    expect(wr(0x1b, 0xfee00400n)).toBe(GP); // EN = 0, EXTD = 1: invalid
    expect(wr(0x1b, 0xfee00000n)).toBe(NONE); // → disabled
    expect(wr(0x1b, 0xfee00c00n)).toBe(GP); // disabled → x2APIC
    expect(wr(0x1b, 0xfee00800n)).toBe(NONE); // → xAPIC
    expect(rd(0x1b)).toBe(0xfee00900n); // BSP stays (read-only)
  });

  it("refuses reserved bits, addresses beyond MAXPHYADDR, and EXTD without x2APIC support", () => {
    expect(wr(0x1b, 0xfee00801n)).toBe(GP);
    expect(wr(0x1b, 0xfee00a00n)).toBe(GP); // bit 9
    expect(wr(0x1b, (1n << 39n) | 0xfee00800n)).toBe(GP);
    w.call("lInit", B, 1, false, 2_500_000_000n, false);
    expect(wr(0x1b, 0xfee00c00n, B)).toBe(GP);
  });
});

describe("x2APIC MSRs", () => {
  beforeEach(() => {
    w.call("lInit", A, 0x25, true, 2_500_000_000n, true);
    expect(wr(0x1b, X2)).toBe(NONE);
    expect(wr(0x80f, 0x1ff)).toBe(NONE);
  });

  it("reads the 32-bit ID, the derived logical ID and the version; MMIO no longer decodes", () => {
    expect(rd(0x802)).toBe(0x25n);
    expect(rd(0x80d)).toBe((2n << 16n) | (1n << 5n)); // cluster 0x25>>4, bit 0x25&15
    expect(rd(0x803)).toBe(0x50014n);
    expect(w.u64("lRead", A, 0x20, 4, 0)).toBe(0xffffffffn);
  });

  it("#GP: xAPIC-only and absent registers, write-only reads, read-only writes", () => {
    for (const msr of [0x800, 0x801, 0x809, 0x80c, 0x80e, 0x82f, 0x831, 0x83a, 0x840, 0x8ff]) {
      expect(rd(msr), `rdmsr ${msr.toString(16)}`).toBeNull();
      expect(wr(msr, 0), `wrmsr ${msr.toString(16)}`).toBe(GP);
    }
    expect(rd(0x80b)).toBeNull(); // EOI
    expect(rd(0x83f)).toBeNull(); // SELF IPI
    for (const msr of [0x802, 0x803, 0x80a, 0x80d, 0x810, 0x818, 0x820, 0x839]) {
      expect(wr(msr, 0), `wrmsr ${msr.toString(16)}`).toBe(GP);
    }
  });

  it("#GP: bits 63:32, reserved bits, non-zero EOI/ESR, timer mode 11b — and nothing changes", () => {
    expect(wr(0x808, 1n << 32n)).toBe(GP);
    expect(wr(0x808, 0x100)).toBe(GP);
    expect(wr(0x80b, 1)).toBe(GP);
    expect(wr(0x828, 1)).toBe(GP);
    expect(wr(0x832, 0x60030)).toBe(GP);
    expect(wr(0x832, 0x80030)).toBe(GP);
    expect(wr(0x83e, 0x4)).toBe(GP);
    expect(wr(0x830, 0x2000)).toBe(GP); // ICR bit 13
    expect(wr(0x83f, 0x100)).toBe(GP);
    expect(rd(0x808)).toBe(0n);
    expect(rd(0x832)).toBe(0x10000n);
    expect(wr(0x808, 0x50)).toBe(NONE);
    expect(rd(0x808)).toBe(0x50n);
    expect(rd(0x80a)).toBe(0x50n);
  });

  it("SELF IPI and the 64-bit ICR", () => {
    expect(wr(0x83f, 0x61)).toBe(NONE);
    expect(rd(0x823)! >> 1n & 1n).toBe(1n); // IRR bit 0x61
    expect(wr(0x830, (0x12345n << 32n) | 0x4070n)).toBe(SEND);
    expect(rd(0x830)).toBe((0x12345n << 32n) | 0x4070n);
    expect(w.u32("lSendDest", A)).toBe(0x12345);
    w.call("lInit", B, 0x12345, false, 2_500_000_000n, true);
    expect(wr(0x1b, 0xfee00c00n, B)).toBe(NONE);
    expect(w.u32("lIpiTargets", A, B)).toBe(1);
    // Logical x2APIC destination: cluster 0x1234, member bit 5.
    expect(wr(0x830, ((0x1234n << 16n | 0x20n) << 32n) | 0x4870n)).toBe(SEND);
    expect(w.u32("lIpiTargets", A, B)).toBe(1);
    expect(wr(0x830, ((0x1234n << 16n | 0x10n) << 32n) | 0x4870n)).toBe(SEND);
    expect(w.u32("lIpiTargets", A, B)).toBe(0);
  });

  it("EOI of a level vector through MSR 0x80B; ESR write-zero latches", () => {
    w.u32("lAccept", A, 0x90, true);
    w.u32("lAck", A, 0x90);
    expect(wr(0x80b, 0)).toBe(1); // EOI_LEVEL
    expect(w.u32("lEoiVector", A)).toBe(0x90);
    w.u32("lAccept", A, 0x03, false);
    expect(wr(0x828, 0)).toBe(NONE);
    expect(rd(0x828)).toBe(0x40n);
  });

  it("x2APIC MSRs #GP in xAPIC mode", () => {
    w.call("lInit", B, 1, false, 2_500_000_000n, true);
    expect(rd(0x802, B)).toBeNull();
    expect(wr(0x808, 0, B)).toBe(GP);
  });
});
