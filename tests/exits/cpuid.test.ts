// The guest CPUID policy (src/vmm/policy/cpuid.ts) over a host snapshot shaped like a Skylake-SP
// (leaf values as SDM Vol 2A Table 3-8 defines them; feature bits set so that hiding is visible).
import { beforeEach, describe, expect, it } from "vitest";
import { exits, A } from "./wasm.ts";

const e = exits();
const bit = (n: number): number => (2 ** n) >>> 0;
const VMX = bit(5), SMX = bit(6), MONITOR = bit(3), PCID = bit(17), X2APIC = bit(21), TSC_DL = bit(24);
const XSAVE = bit(26), OSXSAVE = bit(27), HV = bit(31), HTT = bit(28), MCE = bit(7), DS = bit(21);

function put(leaf: number, sub: number, a: number, b: number, c: number, d: number): void {
  expect(e.bool("hostPut", A.SNAP, leaf, sub, a >>> 0, b >>> 0, c >>> 0, d >>> 0)).toBe(true);
}
function cfg(apicId: number, index: number, count: number, flags: number): void {
  e.mem.setUint32(A.CFG, apicId, true);
  e.mem.setUint32(A.CFG + 4, index, true);
  e.mem.setUint32(A.CFG + 8, count, true);
  e.mem.setUint32(A.CFG + 12, flags, true);
}
function q(leaf: number, sub = 0, cr4 = 0n, xcr0 = 3n): [number, number, number, number] {
  e.u32("cpuidGuest", A.SNAP, A.CFG, leaf, sub, cr4, xcr0, A.OUT);
  return [0, 4, 8, 12].map((o) => e.mem.getUint32(A.OUT + o, true)) as [number, number, number, number];
}

beforeEach(() => {
  e.bytes.fill(0, A.SNAP, A.SNAP + e.u32("hostCpuidSize"));
  put(0, 0, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69);
  // family 6 model 0x55; EBX: CLFLUSH 8, 16 logical, APIC id 0x22; ECX all of the interesting bits
  put(1, 0, 0x50654, 0x22100800, VMX | SMX | MONITOR | PCID | X2APIC | TSC_DL | XSAVE | OSXSAVE | bit(0),
    0xbfebfbff);
  put(4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);
  put(4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0);
  put(4, 3, 0x1c03c163, 0x03c0003f, 0x3fff, 4);
  put(6, 0, 0x77, 2, 9, 0);
  put(7, 0, 0, bit(10) | bit(0) | bit(7) | bit(2), bit(16) | bit(3) | bit(5), bit(26) | bit(29) | bit(10));
  put(0xA, 0, 0x07300404, 0, 0, 0x603);
  put(0xD, 0, 0x2ff, 0xa88, 0xa88, 0); // x87 SSE AVX MPX(3,4) AVX-512(5-7) PKRU(9)
  put(0xD, 1, 0xf, 0, 0, 0);
  put(0xD, 2, 256, 576, 0, 0);
  put(0xD, 3, 64, 960, 0, 0);
  put(0xD, 4, 64, 1024, 0, 0);
  put(0xD, 5, 64, 1088, 0, 0);
  put(0xD, 6, 512, 1152, 0, 0);
  put(0xD, 7, 1024, 1664, 0, 0);
  put(0xD, 9, 8, 2688, 0, 0);
  put(0x16, 0, 3500, 4000, 100, 0);
  put(0x80000000, 0, 0x80000008, 0, 0, 0);
  put(0x80000001, 0, 0, 0, 0x121, 0x2c100800);
  put(0x80000007, 0, 0, 0, 0, 0x100 | 0x1);
  put(0x80000008, 0, (48 << 8) | 46, 0x200, 0, 0);
  cfg(2, 2, 3, 0);
});

describe("basic leaves", () => {
  it("leaf 0 keeps the vendor and clamps the highest basic leaf to 1FH", () => {
    expect(q(0)).toEqual([0x16, 0x756e6547, 0x6c65746e, 0x49656e69]);
    put(0, 0, 0x20, 0x756e6547, 0x6c65746e, 0x49656e69);
    expect(q(0)[0]).toBe(0x1f);
  });
  it("leaf 1 hides VMX, SMX, MONITOR, PCID, x2APIC, TSC-deadline and sets the hypervisor bit", () => {
    const [eax, , ecx, edx] = q(1);
    expect(eax).toBe(0x50654);
    for (const b of [VMX, SMX, MONITOR, PCID, X2APIC, TSC_DL]) expect(ecx & b).toBe(0);
    expect((ecx & HV) >>> 0).toBe(HV);
    expect(ecx & XSAVE).toBe(XSAVE);
    expect(ecx & 1).toBe(1); // SSE3 passes
    expect(edx & MCE).toBe(0);
    expect(edx & DS).toBe(0);
  });
  it("leaf 1 OSXSAVE follows the guest's CR4.OSXSAVE, not the host's", () => {
    expect(q(1, 0, 0n)[2] & OSXSAVE).toBe(0);
    expect(q(1, 0, 1n << 18n)[2] & OSXSAVE).toBe(OSXSAVE);
  });
  it("leaf 1 EBX carries this vCPU's APIC id and the package's logical-id span", () => {
    const ebx = q(1)[1];
    expect(ebx >>> 24).toBe(2);
    expect((ebx >>> 16) & 0xff).toBe(4); // 3 vCPUs: 2 id bits
    expect(ebx & 0xffff).toBe(0x0800);
    expect(q(1)[3] & HTT).toBe(HTT);
    cfg(0, 0, 1, 0);
    expect(q(1)[3] & HTT).toBe(0);
  });
  it("PCID appears only when the VM enables it", () => {
    cfg(2, 2, 3, 1);
    expect(q(1)[2] & PCID).toBe(PCID);
  });
  it("leaf 4 describes one core per vCPU, L3 shared", () => {
    const l1 = q(4, 0)[0];
    expect(l1 >>> 26).toBe(3);
    expect((l1 >>> 14) & 0xfff).toBe(0);
    const l3 = q(4, 3)[0];
    expect((l3 >>> 14) & 0xfff).toBe(3);
    expect(q(4, 2)).toEqual([0, 0, 0, 0]);
  });
  it("leaf 6 keeps only ARAT; leaf 0AH (PMU) is zero", () => {
    expect(q(6)).toEqual([4, 0, 0, 0]);
    expect(q(0xa)).toEqual([0, 0, 0, 0]);
  });
  it("leaf 7 hides LA57, WAITPKG, SGX, INVPCID (unless enabled) and the speculation MSR bits", () => {
    const [eax, ebx, ecx, edx] = q(7);
    expect(eax).toBe(0);
    expect(ebx & bit(10)).toBe(0);
    expect(ebx & bit(2)).toBe(0);
    expect(ebx & (bit(0) | bit(7))).toBe(bit(0) | bit(7));
    expect(ecx & bit(16)).toBe(0);
    expect(ecx & bit(5)).toBe(0);
    expect(ecx & bit(3)).toBe(bit(3));
    expect(edx).toBe(bit(10));
    cfg(2, 2, 3, 2);
    expect(q(7)[1] & bit(10)).toBe(bit(10));
    expect(q(7, 0, 1n << 22n)[2] & bit(4)).toBe(bit(4)); // OSPKE from CR4.PKE
  });
  it("leaves 0BH and 1FH give an SMT level, a core level and the x2APIC id", () => {
    expect(q(0xb, 0)).toEqual([0, 1, 0x100, 2]);
    expect(q(0xb, 1)).toEqual([2, 3, 0x201, 2]);
    expect(q(0xb, 2)).toEqual([0, 0, 2, 2]);
  });
  it("an input above the highest basic leaf returns the highest basic leaf's data", () => {
    expect(q(0x17)).toEqual(q(0x16));
    expect(q(0x16)).toEqual([3500, 4000, 100, 0]);
  });
});

describe("XSAVE leaf 0DH", () => {
  it("offers only x87/SSE/AVX/AVX-512/PKRU, never MPX", () => {
    expect(e.u64("xcr0Supported", A.SNAP)).toBe(0x2e7n);
    expect(q(0xd, 0)[0]).toBe(0x2e7);
    expect(q(0xd, 3)).toEqual([0, 0, 0, 0]);
    expect(q(0xd, 2)).toEqual([256, 576, 0, 0]);
  });
  it("EBX is the size for the guest's XCR0, ECX for everything offered", () => {
    expect(q(0xd, 0, 0n, 3n)[1]).toBe(576);
    expect(q(0xd, 0, 0n, 7n)[1]).toBe(832);
    expect(q(0xd, 0, 0n, 0x2e7n)[2]).toBe(2696);
  });
  it("subleaf 1 hides XSAVES", () => {
    expect(q(0xd, 1, 0n, 7n)[0]).toBe(7);
    expect(q(0xd, 1, 0n, 7n)[1]).toBe(832);
  });
  it("subleaf 1 EBX is the compacted size for the guest's XCR0 (Vol 1 §13.4.3), not the host's EBX", () => {
    // The reference Linux guest on Bochs' corei7_skylake_x: XCR0 = x87|SSE|AVX|AVX-512 (E7H).
    // Standard format: Hi16_ZMM ends at 1664 + 1024 = 2688. Compacted: 576 + 256 + 64 + 512 + 1024.
    // Bochs' own 0DH.1 EBX is the standard size (2688): it must not reach the guest.
    put(0xD, 1, 0xf, 2688, 0, 0);
    expect(q(0xd, 0, 0n, 0xe7n)[1]).toBe(2688);
    expect(q(0xd, 1, 0n, 0xe7n)[1]).toBe(2432);
    expect(q(0xd, 1, 0n, 0x2e7n)[1]).toBe(2440); // + PKRU (8)
    expect(q(0xd, 1, 0n, 7n)[1]).toBe(832);
    // Before the guest's first XSETBV (XCR0 = 1, or 0 as the vCPU block holds it): legacy + header.
    expect(q(0xd, 1, 0n, 1n)[1]).toBe(576);
    expect(q(0xd, 1, 0n, 0n)[1]).toBe(576);
    expect(q(0xd, 0, 0n, 0n)[1]).toBe(576);
    // Bits the guest may not enable do not count, whatever XCR0 value is passed.
    expect(q(0xd, 1, 0n, 0x3ffn)[1]).toBe(2440);
  });
  it("subleaf 1: XSAVEC and XGETBV1 kept, XSAVES/XFD and the IA32_XSS bits (ECX, EDX) hidden", () => {
    put(0xD, 1, 0x1f, 0, 0x1900, 0x1);
    const [eax, , ecx, edx] = q(0xd, 1, 0n, 7n);
    expect(eax).toBe(7);
    expect(ecx).toBe(0);
    expect(edx).toBe(0);
  });
  it("compacted size aligns a component to 64 bytes when 0DH.i ECX[1] is set; standard size does not", () => {
    put(0xD, 5, 8, 1088, 0, 0); // an odd size before an aligned component
    put(0xD, 6, 512, 1152, 2, 0);
    // 576 + 256 (AVX) = 832, + 8 = 840, aligned to 896, + 512 = 1408.
    expect(q(0xd, 1, 0n, 0x67n)[1]).toBe(1408);
    put(0xD, 6, 512, 1152, 0, 0);
    expect(q(0xd, 1, 0n, 0x67n)[1]).toBe(840 + 512);
    expect(q(0xd, 0, 0n, 0x67n)[1]).toBe(1664);
  });
  it("a host with AMX: tile state is not offered and not counted (the size src/vmm/fpu.ts sizes its area by)", () => {
    put(0xD, 0, 0x602ff, 0xa88, 11008, 0); // + XTILECFG(17), XTILEDATA(18): host ECX 11008 > 4 KiB
    put(0xD, 17, 64, 2752, 0, 0);
    put(0xD, 18, 8192, 2816, 2, 0);
    expect(e.u64("xcr0Supported", A.SNAP)).toBe(0x2e7n);
    expect(q(0xd, 0, 0n, 0x602e7n)).toEqual([0x2e7, 2696, 2696, 0]);
    expect(q(0xd, 1, 0n, 0x602e7n)[1]).toBe(2440);
    expect(q(0xd, 18)).toEqual([0, 0, 0, 0]);
  });
  it("subleaves 2..9 pass offset, size and ECX[1:0] of offered components only", () => {
    put(0xD, 6, 512, 1152, 0x6, 0x5);
    expect(q(0xd, 6)).toEqual([512, 1152, 2, 0]);
    expect(q(0xd, 9)).toEqual([8, 2688, 0, 0]);
    expect(q(0xd, 4)).toEqual([0, 0, 0, 0]); // MPX BNDCSR: not offered
    expect(q(0xd, 8)).toEqual([0, 0, 0, 0]);
  });
  it("no XSAVE in leaf 1: leaf 0DH is empty", () => {
    put(1, 0, 0x50654, 0, 0, 0);
    expect(e.u64("xcr0Supported", A.SNAP)).toBe(0n);
    expect(q(0xd, 0)).toEqual([0, 0, 0, 0]);
  });
});

describe("hypervisor and extended leaves", () => {
  it("40000000H: max leaf and the tshvtshvtshv signature", () => {
    const [eax, ebx, ecx, edx] = q(0x40000000);
    expect(eax).toBe(0x40000001);
    const sig = Buffer.alloc(12);
    sig.writeUInt32LE(ebx, 0); sig.writeUInt32LE(ecx, 4); sig.writeUInt32LE(edx, 8);
    expect(sig.toString("latin1")).toBe("tshvtshvtshv");
    expect(q(0x40000001)).toEqual([3, 2, 3, 0]);
    expect(q(0x40000100)).toEqual([0, 0, 0, 0]);
  });
  it("80000001H keeps SYSCALL/NX/LM, hides RDTSCP and 1 GiB pages unless enabled", () => {
    const edx = q(0x80000001)[3];
    expect(edx & bit(27)).toBe(0);
    expect(edx & bit(26)).toBe(0);
    expect(edx & (bit(11) | bit(20) | bit(29))).toBe(bit(11) | bit(20) | bit(29));
    cfg(2, 2, 3, 4 | 8);
    expect(q(0x80000001)[3] & (bit(26) | bit(27))).toBe(bit(26) | bit(27));
  });
  it("80000007H keeps only the invariant TSC; 80000008H clamps linear bits to 48", () => {
    expect(q(0x80000007)).toEqual([0, 0, 0, 0x100]);
    put(0x80000008, 0, (57 << 8) | 46, 0x200, 0, 0);
    expect(q(0x80000008)).toEqual([(48 << 8) | 46, 0, 0, 0]);
  });
  it("an extended leaf above the highest returns the highest basic leaf", () => {
    expect(q(0x80000009)).toEqual(q(0x16));
  });
  it("coreIdBits is ceil(log2(n))", () => {
    expect([1, 2, 3, 4, 5, 8, 9].map((n) => e.u32("cpuidCoreBits", n))).toEqual([0, 1, 2, 2, 3, 3, 4]);
  });
});

describe("host snapshot (host-cpuid.ts)", () => {
  const get = (leaf: number, sub: number, reg: number): bigint => e.u64("hostGet", A.SNAP, leaf >>> 0, sub, reg);
  const ABSENT = 0xffffffffffffffffn;
  it("finds indexed keys, keys beyond the index (linear search) and reads absent ones as zeros", () => {
    expect(get(0xd, 9, 1)).toBe(2688n);
    expect(get(0x80000008, 0, 1)).toBe(0x200n);
    expect(get(0xd, 8, 0)).toBe(ABSENT); // inside the index, never put
    expect(get(0x80000005, 0, 0)).toBe(ABSENT);
    put(0xd, 62, 11, 12, 13, 14); // subleaf beyond the index
    put(0x40000000, 0, 21, 22, 23, 24); // leaf beyond the index
    put(0x8000001f, 3, 31, 32, 33, 34); // extended leaf beyond the index
    expect([0, 1, 2, 3].map((r) => get(0xd, 62, r))).toEqual([11n, 12n, 13n, 14n]);
    expect(get(0x40000000, 0, 3)).toBe(24n);
    expect(get(0x8000001f, 3, 2)).toBe(33n);
    expect(get(0xd, 61, 0)).toBe(ABSENT);
    expect(get(0x40000001, 0, 0)).toBe(ABSENT);
  });
  it("a second put replaces the entry (indexed or not); a full snapshot refuses new keys only", () => {
    put(0x16, 0, 1, 2, 3, 4);
    expect(get(0x16, 0, 0)).toBe(1n);
    put(0xd, 40, 5, 6, 7, 8);
    put(0xd, 40, 9, 6, 7, 8);
    expect(get(0xd, 40, 0)).toBe(9n);
    const cap = e.u32("hostCapacity");
    let n = 0;
    for (let leaf = 0x20; n < cap; leaf++, n++) {
      if (!e.bool("hostPut", A.SNAP, leaf, 0, leaf, 0, 0, 0)) break;
    }
    expect(e.bool("hostPut", A.SNAP, 0x7777, 0, 1, 1, 1, 1)).toBe(false); // full
    expect(e.bool("hostPut", A.SNAP, 0x16, 0, 7, 2, 3, 4)).toBe(true); // replacing still works
    expect(get(0x16, 0, 0)).toBe(7n);
    expect(get(0x20, 0, 0)).toBe(0x20n);
    expect(q(0)[1]).toBe(0x756e6547); // the policy still reads the snapshot
  });
});
