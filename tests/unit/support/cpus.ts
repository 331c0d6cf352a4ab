// CPUs for the fake machine.
//
// The VMX capability MSR values are copied verbatim from the Bochs 2.x models the VMX spike dumped
// (/work/shared/reference/vmx-spike/msr-dumps.txt: "== corei7_skylake_x", "== corei5_lynnfield_750",
// "== core2_penryn_t9600"). Penryn's dump stops at IA32_VMX_EPT_VPID_CAP because reading it raised
// #GP: that MSR is absent, as Appendix A.10 says when neither EPT nor VPID can be enabled.
// The CPUID leaves are this file's own, shaped like those models (vendor, version word, brand).

import type { MachineSpec } from "./fake-machine.ts";

type Regs = readonly [number, number, number, number];

/** The four registers for a 12-byte vendor string (EBX, EDX, ECX order, SDM Vol. 2A leaf 0). */
export function vendorLeaf(maxLeaf: number, vendor: string): Regs {
  const b = Buffer.from(vendor, "latin1");
  if (b.length !== 12) throw new Error("vendor must be 12 bytes");
  return [maxLeaf, b.readUInt32LE(0), b.readUInt32LE(8), b.readUInt32LE(4)];
}

/** Leaves 80000002H..80000004H for a brand string (NUL-padded to 48 bytes). */
export function brandLeaves(brand: string): [number, Regs][] {
  const b = Buffer.alloc(48);
  b.write(brand, "latin1");
  return [0, 1, 2].map((i): [number, Regs] => [
    0x80000002 + i,
    [b.readUInt32LE(16 * i), b.readUInt32LE(16 * i + 4), b.readUInt32LE(16 * i + 8), b.readUInt32LE(16 * i + 12)],
  ]);
}

export const CPUID_01_ECX_VMX = 1 << 5;

export const MSR = {
  FEATURE_CONTROL: 0x3a,
  VMX_BASIC: 0x480,
  PINBASED: 0x481,
  PROCBASED: 0x482,
  EXIT: 0x483,
  ENTRY: 0x484,
  MISC: 0x485,
  CR0_FIXED0: 0x486,
  CR0_FIXED1: 0x487,
  CR4_FIXED0: 0x488,
  CR4_FIXED1: 0x489,
  PROCBASED2: 0x48b,
  EPT_VPID_CAP: 0x48c,
  TRUE_PINBASED: 0x48d,
  TRUE_PROCBASED: 0x48e,
  TRUE_EXIT: 0x48f,
  TRUE_ENTRY: 0x490,
} as const;

/** The VMX MSRs of one Bochs model, as dumped. */
export interface VmxMsrDump {
  featureControl: bigint;
  basic: bigint;
  pinbased: bigint;
  procbased: bigint;
  exit: bigint;
  entry: bigint;
  misc: bigint;
  procbased2: bigint;
  eptVpidCap: bigint | undefined; // undefined: the MSR #GPs
  truePinbased: bigint;
  trueProcbased: bigint;
  trueExit: bigint;
  trueEntry: bigint;
  /** IA32_VMX_CR4_FIXED1 (msr-dumps.txt); CR0_FIXED0/1 and CR4_FIXED0 are the same on every model. */
  cr4Fixed1: bigint;
}

export const SKYLAKE_X_VMX: VmxMsrDump = {
  featureControl: 0x0000000000000005n,
  basic: 0x00d810000000002bn,
  pinbased: 0x0000007f00000016n,
  procbased: 0xf7f9fffe0401e172n,
  exit: 0x007fffff00036dffn,
  entry: 0x0000ffff000011ffn,
  misc: 0x00000000600401e0n,
  procbased2: 0x02177fff00000000n,
  eptVpidCap: 0x00000f0106334141n,
  truePinbased: 0x0000007f00000016n,
  trueProcbased: 0xf7f9fffe04006172n,
  trueExit: 0x007fffff00036dfbn,
  trueEntry: 0x0000ffff000011fbn,
  cr4Fixed1: 0x00000000003727ffn,
};

export const LYNNFIELD_VMX: VmxMsrDump = {
  featureControl: 0x0000000000000005n,
  basic: 0x00d810000000002bn,
  pinbased: 0x0000007f00000016n,
  procbased: 0xf7f9fffe0401e172n,
  exit: 0x007fffff00036dffn,
  entry: 0x0000ffff000011ffn,
  misc: 0x00000000000401e0n,
  procbased2: 0x0000007f00000000n,
  eptVpidCap: 0x00000f0106114141n,
  truePinbased: 0x0000007f00000016n,
  trueProcbased: 0xf7f9fffe04006172n,
  trueExit: 0x007fffff00036dfbn,
  trueEntry: 0x0000ffff000011fbn,
  cr4Fixed1: 0x00000000000067ffn,
};

export const PENRYN_VMX: VmxMsrDump = {
  featureControl: 0x0000000000000005n,
  basic: 0x00d810000000002bn,
  pinbased: 0x0000003f00000016n,
  procbased: 0xf7f9fffe0401e172n,
  exit: 0x0003ffff00036dffn,
  entry: 0x00003fff000011ffn,
  misc: 0x00000000000401e0n,
  procbased2: 0x0000004100000000n,
  eptVpidCap: undefined,
  // Not in the dump (it stopped at the #GP); Penryn's TRUE_ MSRs mirror its legacy ones here.
  truePinbased: 0x0000003f00000016n,
  trueProcbased: 0xf7f9fffe04006172n,
  trueExit: 0x0003ffff00036dfbn,
  trueEntry: 0x00003fff000011fbn,
  cr4Fixed1: 0x00000000000067ffn,
};

/** The MSR map of a CPU with this VMX dump. */
export function vmxMsrs(d: VmxMsrDump): Map<number, bigint> {
  const m = new Map<number, bigint>([
    [MSR.FEATURE_CONTROL, d.featureControl],
    [MSR.VMX_BASIC, d.basic],
    [MSR.PINBASED, d.pinbased],
    [MSR.PROCBASED, d.procbased],
    [MSR.EXIT, d.exit],
    [MSR.ENTRY, d.entry],
    [MSR.MISC, d.misc],
    [MSR.CR0_FIXED0, 0x80000021n],
    [MSR.CR0_FIXED1, 0xffffffffn],
    [MSR.CR4_FIXED0, 0x2000n],
    [MSR.CR4_FIXED1, d.cr4Fixed1],
    [MSR.PROCBASED2, d.procbased2],
    [MSR.TRUE_PINBASED, d.truePinbased],
    [MSR.TRUE_PROCBASED, d.trueProcbased],
    [MSR.TRUE_EXIT, d.trueExit],
    [MSR.TRUE_ENTRY, d.trueEntry],
  ]);
  if (d.eptVpidCap !== undefined) m.set(MSR.EPT_VPID_CAP, d.eptVpidCap);
  return m;
}

/** CPUID of an Intel CPU with VMX: leaf 0, leaf 1 (version word, ECX incl. VMX), brand leaves. */
export function intelCpuid(version: number, brand: string, vmx = true): Map<number, Regs> {
  // ECX: SSE3, PCLMULQDQ, SSSE3, CX16, SSE4.1/4.2, POPCNT, AES, XSAVE, AVX... and VMX (bit 5).
  const ecx = 0x7ed8320b & ~CPUID_01_ECX_VMX;
  return new Map<number, Regs>([
    [0x0, vendorLeaf(0x16, "GenuineIntel")],
    [0x1, [version, 0x00010800, vmx ? ecx | CPUID_01_ECX_VMX : ecx, 0xbfebfbff]],
    [0x80000000, [0x80000008, 0, 0, 0]],
    ...brandLeaves(brand),
  ]);
}

/** Bochs corei7_skylake_x-like: family 6 model 85 stepping 4, with its dumped VMX MSRs. */
export function skylakeX(): MachineSpec {
  return {
    cpuid: intelCpuid(0x00050654, "Intel(R) Core(TM) i7-7800X CPU @ 3.50GHz"),
    msrs: vmxMsrs(SKYLAKE_X_VMX),
  };
}

/** QEMU TCG's default qemu64 CPU: AMD vendor, family 15 model 107 stepping 1, no VMX. */
export function qemu64(): MachineSpec {
  return {
    cpuid: new Map<number, Regs>([
      [0x0, vendorLeaf(0xd, "AuthenticAMD")],
      [0x1, [0x00060fb1, 0x00000800, 0x80802001, 0x078bfbff]],
      [0x80000000, [0x80000008, 0, 0, 0]],
      ...brandLeaves("QEMU Virtual CPU version 2.5+"),
    ]),
    // EFER etc. exist, but no VMX MSRs: IA32_FEATURE_CONTROL reads (TCG implements it), the rest #GP.
    msrs: new Map<number, bigint>([[MSR.FEATURE_CONTROL, 0n]]),
  };
}
