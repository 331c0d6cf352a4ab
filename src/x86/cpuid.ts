// CPUID: the result block hw_cpuid fills, and the pure decodes of leaf 01H's version word.
// SDM Vol. 2A, CPUID, "Basic CPUID Information" table and Figure 3-6 "Version Information Returned
// by CPUID in EAX".

import { hw_cpuid } from "../hw";

/**
 * The 16 bytes hw_cpuid writes at `out` (docs/native-abi.md):
 *
 *   byte  0        4        8        12       16
 *         +--------+--------+--------+--------+
 *         |  eax   |  ebx   |  ecx   |  edx   |   each u32, little endian
 *         +--------+--------+--------+--------+
 */
@unmanaged
export class CpuidResult {
  eax: u32;
  ebx: u32;
  ecx: u32;
  edx: u32;
}

/** One block the whole core shares. Not re-entrant: copy what you need before the next cpuid(). */
const RESULT: usize = memory.data(16, 16);

/** Runs CPUID(leaf, subleaf); the result is valid until the next call. */
export function cpuid(leaf: u32, subleaf: u32 = 0): CpuidResult {
  hw_cpuid(leaf, subleaf, RESULT);
  return changetype<CpuidResult>(RESULT);
}

/** Leaf 0: EAX = highest basic leaf; EBX, EDX, ECX = the vendor string, in that order. */
export const CPUID_LEAF_VENDOR: u32 = 0x0;
/** Leaf 01H: EAX = version information, ECX/EDX = feature flags. */
export const CPUID_LEAF_FEATURES: u32 = 0x1;
/** Leaf 80000000H: EAX = highest extended leaf. */
export const CPUID_LEAF_EXT_MAX: u32 = 0x80000000;
/** Leaves 80000002H..80000004H: the 48-byte processor brand string. */
export const CPUID_LEAF_BRAND_0: u32 = 0x80000002;
export const CPUID_LEAF_BRAND_2: u32 = 0x80000004;

/** CPUID.01H:ECX bit 5 — VMX (Virtual Machine Extensions). */
export const CPUID_01_ECX_VMX: u32 = 1 << 5;

// ---- version word (CPUID.01H:EAX), Figure 3-6 ------------------------------------------------------
//   bits  3:0  stepping ID      bits 19:16 extended model ID
//   bits  7:4  model            bits 27:20 extended family ID
//   bits 11:8  family ID        bits 13:12 processor type

export function cpuStepping(eax: u32): u32 {
  return eax & 0xf;
}

/**
 * DisplayFamily: Family_ID, plus Extended_Family_ID when Family_ID is 0FH (SDM Vol. 2A, CPUID,
 * leaf 01H, the DisplayFamily rule under Figure 3-6).
 */
export function cpuDisplayFamily(eax: u32): u32 {
  const family = (eax >> 8) & 0xf;
  return family == 0xf ? family + ((eax >> 20) & 0xff) : family;
}

/**
 * DisplayModel: (Extended_Model_ID << 4) + Model_ID when Family_ID is 06H or 0FH, else Model_ID
 * (same rule as DisplayFamily).
 */
export function cpuDisplayModel(eax: u32): u32 {
  const family = (eax >> 8) & 0xf;
  const model = (eax >> 4) & 0xf;
  return family == 0x6 || family == 0xf ? (((eax >> 16) & 0xf) << 4) + model : model;
}
