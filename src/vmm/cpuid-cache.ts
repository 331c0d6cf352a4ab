// RETIRED: the per-vCPU CPUID answer cache. boot/vmx.asm no longer answers CPUID exits itself
// (every CPUID exit now reaches the compiled core's handler, which asks the CPUID policy,
// src/vmm/policy/cpuid.ts, directly; the policy's host lookups are O(1), host-cpuid.ts). The
// cache keyed answers on a second copy of the policy's rules (which leaves have subleaves, how an
// out-of-range leaf folds), which would have gone wrong silently the day the policy changed.
//
// What is left is the API its last callers still use, reduced to no-ops, so the tree builds while
// their owners remove the calls (src/vmm/core-exits.ts onCpuid/coreExitsInit, src/vmm/vm-setup.ts,
// the VCpu.cpuidCache field in src/vmx/vcpu.ts, CPUID_*/CE_* in boot/defs.inc). Delete this file
// with the last of them.

import { VCpu } from "../vmx/vcpu";

/** Kept for the callers' types only; never read. */
@unmanaged export class CpuidCacheEntry {
  leaf: u32;
  subleaf: u32;
  cr4: u64;
  xcr0: u64;
  valid: u32;
  subleafMask: u32;
  eax: u32;
  ebx: u32;
  ecx: u32;
  edx: u32;
}

/** No-op (there is no cache to empty). */
export function cpuidCacheInit(): void {}

/** No entry exists: callers only pass the result to cpuidHit/cpuidFill, which ignore it. */
@inline export function cpuidEntry(cache: usize, leaf: u32): CpuidCacheEntry {
  return changetype<CpuidCacheEntry>(0);
}

/** Never a hit: the policy answers every CPUID. Inlined, so the caller's hit branch folds away. */
@inline export function cpuidHit(e: CpuidCacheEntry, leaf: u32, subleaf: u32, cr4: u64, xcr0: u64): bool {
  return false;
}

/** No-op (callers guard it with `cache != 0`, which cpuidCacheAttach makes false). */
@inline export function cpuidFill(e: CpuidCacheEntry, leaf: u32, subleaf: u32, cr4: u64, xcr0: u64,
  eax: u32, ebx: u32, ecx: u32, edx: u32): void {}

/** Leaves the vCPU without a cache (VCpu.cpuidCache = 0). */
export function cpuidCacheAttach(vcpu: VCpu): void {
  vcpu.cpuidCache = 0;
}
