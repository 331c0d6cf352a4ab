// Pure parts of the exit handlers: I/O and CR-access exit qualifications (SDM Vol 3C §28.2.1,
// Tables 28-3 and 28-5), INS/OUTS instruction information (Table 28-8), the CR0/CR3/CR4/CR8 rules
// (Vol 2B MOV CR; Vol 3A §2.5, §9.8.5), and the MMIO register write-back (Vol 1 §3.4.1.1).
import { describe, expect, it } from "vitest";
import { exits, A } from "./wasm.ts";

const e = exits();

describe("I/O exit qualification", () => {
  it("decodes size, direction, string, REP, operand encoding and port", () => {
    const d = (q: bigint): { size: number; in: boolean; str: boolean; rep: boolean; imm: boolean; port: number } => {
      const v = e.u32("ioDecode", q);
      return { size: v & 15, in: !!(v & 16), str: !!(v & 32), rep: !!(v & 64), imm: !!(v & 128), port: v >>> 16 };
    };
    expect(d(0x00e90040n)).toEqual({ size: 1, in: false, str: false, rep: false, imm: true, port: 0xe9 });
    expect(d(0x00e90009n)).toEqual({ size: 2, in: true, str: false, rep: false, imm: false, port: 0xe9 });
    expect(d(0x80010033n)).toEqual({ size: 4, in: false, str: true, rep: true, imm: false, port: 0x8001 });
    expect(d(0xffff0002n).size).toBe(0); // reserved encoding
  });
  it("the lite entry's size: IN/OUT only, INS/OUTS (with or without REP) and the reserved size refused", () => {
    expect([0x00e90040n, 0x00e90009n, 0x12340003n, 0xffff000bn].map((q) => e.u32("ioLite", q))).toEqual([1, 2, 4, 4]);
    expect([0x80010033n, 0x00e90010n, 0x00e90019n, 0xffff0002n, 0x00e90006n].map((q) => e.u32("ioLite", q))).toEqual([0, 0, 0, 0, 0]);
  });
  it("INS/OUTS instruction information: address size and segment", () => {
    expect(e.u32("ioInfo", 0)).toBe(2);
    expect(e.u32("ioInfo", (1 << 7) | (3 << 15))).toBe(4 | (3 << 8));
    expect(e.u32("ioInfo", (2 << 7) | (5 << 15))).toBe(8 | (5 << 8));
    expect(e.u32("ioInfo", 3 << 7) & 0xff).toBe(0);
  });
  it("address-size register updates: 16-bit keeps the rest, 32-bit zero-extends", () => {
    expect(e.u64("ioRegUpdate", 0x1234_5678_9abc_ffffn, 0x1_0000n, 2)).toBe(0x1234_5678_9abc_0000n);
    expect(e.u64("ioRegUpdate", 0x1234_5678_ffff_ffffn, 0x1_0000_0000n, 4)).toBe(0n);
    expect(e.u64("ioRegUpdate", 1n, 0xffff_ffff_ffff_ffffn, 8)).toBe(0xffff_ffff_ffff_ffffn);
  });
  it("IN merges into AL/AX and zero-extends EAX", () => {
    expect(e.u64("ioInMerge", 0x1111_2222_3333_4444n, 0xffn, 1)).toBe(0x1111_2222_3333_44ffn);
    expect(e.u64("ioInMerge", 0x1111_2222_3333_4444n, 0xffffn, 2)).toBe(0x1111_2222_3333_ffffn);
    expect(e.u64("ioInMerge", 0x1111_2222_3333_4444n, 0xffff_ffffn, 4)).toBe(0xffff_ffffn);
  });
});

describe("CR-access exit qualification", () => {
  it("decodes CR number, access type, LMSW operand type, GPR and LMSW source", () => {
    const d = (q: bigint): number[] => { const v = e.u32("crDecode", q); return [v & 15, (v >> 4) & 3, (v >> 6) & 1, (v >> 8) & 15, v >>> 16]; };
    expect(d(0x0000_0700n | 0x04n)).toEqual([4, 0, 0, 7, 0]); // mov cr4, rdi
    expect(d(0x0000_0f13n)).toEqual([3, 1, 0, 15, 0]); // mov r15, cr3
    expect(d(0x20n)).toEqual([0, 2, 0, 0, 0]); // clts
    expect(d(0x0011_0070n)).toEqual([0, 3, 1, 0, 0x11]); // lmsw [mem]
  });
});

describe("CR0 rules", () => {
  const PE = 1n, ET = 0x10n, NE = 0x20n, NW = 1n << 29n, CD = 1n << 30n, PG = 1n << 31n;
  const LME = 0x100n, LMA = 0x400n, PAE = 0x20n, PCIDE = 1n << 17n;
  const up = (): { cr0: bigint; efer: bigint; ia32e: number } => ({
    cr0: e.mem.getBigUint64(A.CRUP, true), efer: e.mem.getBigUint64(A.CRUP + 8, true), ia32e: e.mem.getUint32(A.CRUP + 16, true),
  });
  it("#GP: bits 63:32, PG without PE, NW without CD", () => {
    expect(e.u32("cr0", ET, 1n << 32n | ET, 0n, 0n, false, A.CRUP)).toBe(1);
    expect(e.u32("cr0", ET, PG | ET, 0n, 0n, false, A.CRUP)).toBe(1);
    expect(e.u32("cr0", ET, NW | PE, 0n, 0n, false, A.CRUP)).toBe(1);
    expect(e.u32("cr0", ET, NW | CD | PE, 0n, 0n, false, A.CRUP)).toBe(0);
  });
  it("real → protected mode; ET reads as 1", () => {
    expect(e.u32("cr0", ET, PE | NE, 0n, 0n, false, A.CRUP)).toBe(0);
    expect(up()).toEqual({ cr0: PE | NE | ET, efer: 0n, ia32e: 0 });
  });
  it("PG with EFER.LME activates IA-32e mode, needs CR4.PAE", () => {
    expect(e.u32("cr0", PE | ET, PG | PE | ET, LME, 0n, false, A.CRUP)).toBe(1);
    expect(e.u32("cr0", PE | ET, PG | PE | ET, LME, PAE, false, A.CRUP)).toBe(0);
    expect(up()).toEqual({ cr0: PG | PE | ET, efer: LME | LMA, ia32e: 1 });
    expect(e.u32("cr0", PE | ET, PG | PE | ET, 0n, PAE, false, A.CRUP)).toBe(0);
    expect(up().ia32e).toBe(0);
  });
  it("leaving paging: not from 64-bit code, not with PCIDE; clears LMA from compatibility mode", () => {
    expect(e.u32("cr0", PG | PE | ET, PE | ET, LME | LMA, PAE, true, A.CRUP)).toBe(1);
    expect(e.u32("cr0", PG | PE | ET, PE | ET, LME | LMA, PAE | PCIDE, false, A.CRUP)).toBe(1);
    expect(e.u32("cr0", PG | PE | ET, PE | ET, LME | LMA, PAE, false, A.CRUP)).toBe(0);
    expect(up()).toEqual({ cr0: PE | ET, efer: LME, ia32e: 0 });
  });
  it("LMSW sets but never clears PE, touches only bits 3:0", () => {
    expect(e.u64("lmsw", PE | ET | 0xen, 0)).toBe(PE | ET);
    expect(e.u64("lmsw", ET, 0xf)).toBe(ET | 0xfn);
    expect(e.u64("lmsw", ET | PG, 0xfff0)).toBe(ET | PG);
  });
});

describe("CR4, CR3, CR8 rules", () => {
  const LMA = 0x400n;
  // leaf 1 EDX: VME PSE MCE PGE FXSR; ECX: XSAVE; leaf 7 EBX: FSGSBASE SMEP; ECX: UMIP
  const allowed = e.u64("cr4Mask", (1 << 1) | (1 << 3) | (1 << 13) | (1 << 24), 1 << 26, (1 << 0) | (1 << 7), 1 << 2);
  it("allowed bits follow the guest CPUID; VMXE, SMXE, LA57, PCIDE (no PCID), PKE (no PKU) are not", () => {
    expect(allowed & (1n << 13n)).toBe(0n);
    expect(allowed & (1n << 14n)).toBe(0n);
    expect(allowed & (1n << 12n)).toBe(0n);
    expect(allowed & (1n << 17n)).toBe(0n);
    expect(allowed & (1n << 22n)).toBe(0n);
    expect(allowed & (1n << 6n)).toBe(0n); // no MCE in this CPUID
    for (const b of [0n, 1n, 4n, 5n, 7n, 9n, 10n, 11n, 16n, 18n, 20n]) expect(allowed & (1n << b)).toBe(1n << b);
  });
  it("#GP for disallowed bits and for clearing PAE in IA-32e mode", () => {
    expect(e.u32("cr4", 0n, 1n << 13n, allowed, 0n, 0n)).toBe(1);
    expect(e.u32("cr4", 0n, 0x20n | 0x80n, allowed, 0n, 0n)).toBe(0);
    expect(e.u32("cr4", 0x20n, 0x80n, allowed, LMA, 0n)).toBe(1);
  });
  it("PCIDE needs IA-32e mode and CR3[11:0] = 0", () => {
    const withPcid = allowed | (1n << 17n);
    expect(e.u32("cr4", 0x20n, 0x20n | (1n << 17n), withPcid, 0n, 0n)).toBe(1);
    expect(e.u32("cr4", 0x20n, 0x20n | (1n << 17n), withPcid, LMA, 0x1001n)).toBe(1);
    expect(e.u32("cr4", 0x20n, 0x20n | (1n << 17n), withPcid, LMA, 0x1000n)).toBe(0);
  });
  it("CR3: reserved high bits in IA-32e mode, bit 63 no-flush hint with PCIDE, 32 bits outside", () => {
    expect(e.u64("cr3", 0x1000n, true, false, 39)).toBe(0x1000n);
    expect(e.u64("cr3", 1n << 40n, true, false, 39)).toBe(0xffffffffffffffffn);
    expect(e.u64("cr3", (1n << 63n) | 0x2001n, true, true, 39)).toBe(0x2001n);
    expect(e.u64("cr3", 0xdead_0000_1000n, false, false, 39)).toBe(0x1000n);
  });
  it("CR8 accepts 0..15 only; PAE PDPTEs reject reserved bits when present", () => {
    expect(e.bool("cr8", 15n)).toBe(true);
    expect(e.bool("cr8", 16n)).toBe(false);
    expect(e.bool("pdpte", 0x1000n | 1n, 39)).toBe(true);
    expect(e.bool("pdpte", 0x1000n | 1n | 2n, 39)).toBe(false);
    expect(e.bool("pdpte", (1n << 39n) | 1n, 39)).toBe(false);
    expect(e.bool("pdpte", 0xfffen, 39)).toBe(true); // not present: ignored
  });
});

describe("MMIO register write-back", () => {
  // MmioInsn layout (src/vmm/mmio/insn.ts): 8 kind, 12 size, 20 regHigh8, 24 regSize, 28 extend, 56 imm
  function insn(kind: number, size: number, regSize: number, extend = 0, high8 = 0, imm = 0n): void {
    e.bytes.fill(0, A.INSN, A.INSN + 72);
    e.mem.setUint32(A.INSN + 8, kind, true);
    e.mem.setUint32(A.INSN + 12, size, true);
    e.mem.setUint32(A.INSN + 20, high8, true);
    e.mem.setUint32(A.INSN + 24, regSize, true);
    e.mem.setUint32(A.INSN + 28, extend, true);
    e.mem.setBigUint64(A.INSN + 56, imm, true);
  }
  const OLD = 0x1111_2222_3333_4444n;
  const LOAD = 2, STORE_REG = 0, STORE_IMM = 1, ZERO = 1, SIGN = 2;
  it("8/16-bit loads keep the other bits, AH-style loads go to bits 15:8", () => {
    insn(LOAD, 1, 1);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xa5n)).toBe(0x1111_2222_3333_44a5n);
    insn(LOAD, 1, 1, 0, 1);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xa5n)).toBe(0x1111_2222_3333_a544n);
    insn(LOAD, 2, 2);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xbeefn)).toBe(0x1111_2222_3333_beefn);
  });
  it("32-bit loads zero-extend to 64 bits, 64-bit loads replace", () => {
    insn(LOAD, 4, 4);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0x8000_0001n)).toBe(0x8000_0001n);
    insn(LOAD, 8, 8);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xffff_0000_ffff_0000n)).toBe(0xffff_0000_ffff_0000n);
  });
  it("MOVZX/MOVSX extend to the destination width, then the width rules apply", () => {
    insn(LOAD, 1, 4, ZERO);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xe1n)).toBe(0xe1n);
    insn(LOAD, 1, 4, SIGN);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xe1n)).toBe(0xffff_ffe1n);
    insn(LOAD, 2, 8, SIGN);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0xf0e1n)).toBe(0xffff_ffff_ffff_f0e1n);
    insn(LOAD, 1, 2, SIGN);
    expect(e.u64("mmioLoad", A.INSN, OLD, 0x80n)).toBe(0x1111_2222_3333_ff80n);
  });
  it("stores take the register's low bytes, AH-style bits 15:8, or the immediate", () => {
    insn(STORE_REG, 2, 2);
    expect(e.u64("mmioStore", A.INSN, OLD)).toBe(0x4444n);
    insn(STORE_REG, 1, 1, 0, 1);
    expect(e.u64("mmioStore", A.INSN, OLD)).toBe(0x44n);
    expect(e.u64("mmioStore", A.INSN, 0x1234n)).toBe(0x12n); // AH: bits 15:8, not 7:0
    insn(STORE_REG, 1, 1, 0, 0);
    expect(e.u64("mmioStore", A.INSN, 0x1234n)).toBe(0x34n);
    insn(STORE_IMM, 4, 4, 0, 0, 0xdeadbeefn);
    expect(e.u64("mmioStore", A.INSN, OLD)).toBe(0xdeadbeefn);
  });
});
