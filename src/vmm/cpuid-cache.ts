// The per-vCPU CPUID answer cache, shared by the CPUID exit handler (src/vmm/core-exits.ts, which
// fills it) and the fast path in hw_vmrun (boot/vmx.asm, which answers hits without leaving the
// entry/exit code). Layout and hash are boot/defs.inc's CPUID_* / CE_*; change both together.
//
// Why a cache is exact: the policy (src/vmm/policy/cpuid.ts) is a pure function of the host
// snapshot (taken once at boot), the vCPU's index and its VM's vCPU count (fixed once the VM is
// built), the leaf, the subleaf where the leaf has subleaves, CR4.OSXSAVE/PKE and XCR0. An entry
// records all of these (CR4 as the raw GUEST_CR4: OSXSAVE and PKE are guest-owned, never in the
// CR4 guest/host mask, so the raw field holds the guest's view of them), and an answer is reused
// only while every one matches. A vCPU added to a running VM would change the vCPU count: the VM's
// caches must then be cleared (cpuidCacheClear).
//
// Entry (CPUID_ENTRY = 48 bytes), CPUID_WAYS per vCPU, direct-mapped by leaf:
//   0 leaf   4 subleaf (0 when the leaf has none)   8 cr4 (u64)   16 xcr0 (u64, 0 read as 1)
//  24 valid  28 subleafMask (0xFFFFFFFF: subleaf counts; 0: ECX ignored)   32 eax ebx ecx edx

import { VCpu } from "../vmx/vcpu";
import { CPUID_HV_BASE, guestMaxBasic, guestMaxExt } from "./policy/cpuid";
import { exitsHostCpuid } from "./exits/cpuid-view";

export const CPUID_WAYS: u32 = 8;
export const CPUID_ENTRY: u32 = 48;
export const MAX_CACHED_VCPUS: u32 = 8;
const CACHE: usize = memory.data(<i32>(MAX_CACHED_VCPUS * CPUID_WAYS * CPUID_ENTRY), 16);

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

let maxBasicLeaf: u32 = 0;
let maxExtLeaf: u32 = 0;

/** Reads the highest leaves the guest sees (after the host snapshot exists) and empties every cache. */
export function cpuidCacheInit(): void {
  maxBasicLeaf = guestMaxBasic(exitsHostCpuid());
  maxExtLeaf = guestMaxExt(exitsHostCpuid());
  memory.fill(CACHE, 0, <usize>(MAX_CACHED_VCPUS * CPUID_WAYS * CPUID_ENTRY));
}

/** The cache of the vCPU with VPID `vpid` (what VCpu.cpuidCache holds), or 0 when none is left. */
export function cpuidCacheFor(vpid: u32): usize {
  if (vpid == 0 || vpid > MAX_CACHED_VCPUS) return 0;
  return CACHE + <usize>(vpid - 1) * <usize>(CPUID_WAYS * CPUID_ENTRY);
}

/** Empties one vCPU's cache. Invariant: `cache` came from cpuidCacheFor. */
export function cpuidCacheClear(cache: usize): void {
  if (cache != 0) memory.fill(cache, 0, <usize>(CPUID_WAYS * CPUID_ENTRY));
}

/**
 * Whether the answer for `leaf` depends on ECX (SDM Vol 2A CPUID, Table 3-8: leaves 04H, 07H, 0BH,
 * 0DH and 1FH have subleaves). A leaf above the highest basic/extended leaf answers as the highest
 * basic leaf (Table 3-8 note; the policy does the same), which may itself have subleaves; the
 * hypervisor leaves (40000000H…) have none.
 */
export function subleafMatters(leaf: u32): bool {
  if (leaf >= CPUID_HV_BASE && leaf < 0x80000000) return false;
  let eff = leaf;
  if ((leaf < 0x80000000 && leaf > maxBasicLeaf) || (leaf >= 0x80000000 && leaf > maxExtLeaf)) eff = maxBasicLeaf;
  return eff == 4 || eff == 7 || eff == 0xB || eff == 0xD || eff == 0x1F;
}

/** The entry `leaf` maps to in `cache` (the hash hw_vmrun uses). Invariant: cache != 0. */
@inline export function cpuidEntry(cache: usize, leaf: u32): CpuidCacheEntry {
  const way = (leaf ^ (leaf >> 28)) & (CPUID_WAYS - 1);
  return changetype<CpuidCacheEntry>(cache + <usize>way * CPUID_ENTRY);
}

/** Whether `e` answers (leaf, subleaf) for this CR4 and XCR0 (xcr0 already normalized). */
@inline export function cpuidHit(e: CpuidCacheEntry, leaf: u32, subleaf: u32, cr4: u64, xcr0: u64): bool {
  return e.valid != 0 && e.leaf == leaf && (subleaf & e.subleafMask) == e.subleaf && e.cr4 == cr4 && e.xcr0 == xcr0;
}

/** Records an answer. */
export function cpuidFill(e: CpuidCacheEntry, leaf: u32, subleaf: u32, cr4: u64, xcr0: u64,
  eax: u32, ebx: u32, ecx: u32, edx: u32): void {
  const mask: u32 = subleafMatters(leaf) ? 0xFFFFFFFF : 0;
  e.valid = 0;
  e.leaf = leaf;
  e.subleafMask = mask;
  e.subleaf = subleaf & mask;
  e.cr4 = cr4;
  e.xcr0 = xcr0;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  e.valid = 1;
}

/** The VCpu field hw_vmrun reads (kept here so the layout check sits with the layout). */
export function cpuidCacheAttach(vcpu: VCpu): void {
  // boot/defs.inc: VCPU_CPUID_CACHE = 216, CE_* offsets; a mismatch is a build bug, caught at boot.
  assert(offsetof<VCpu>("cpuidCache") == 216 && offsetof<CpuidCacheEntry>("subleafMask") == 28 &&
    offsetof<CpuidCacheEntry>("eax") == 32 && offsetof<CpuidCacheEntry>() == CPUID_ENTRY, "CPUID cache layout");
  vcpu.cpuidCache = cpuidCacheFor(vcpu.vpid);
  cpuidCacheClear(vcpu.cpuidCache);
}
