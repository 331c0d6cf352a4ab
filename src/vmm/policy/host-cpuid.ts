// The host's CPUID values the guest policy (cpuid.ts) is computed from: a snapshot taken once at
// boot on the boot CPU, so that the policy itself is a pure function of data (and unit-testable
// with any CPU's values). Which leaves exist and how subleaves enumerate: SDM Vol 2A, CPUID,
// Table 3-8 "Information Returned by CPUID Instruction".
//
// Layout: a header and up to HOST_CPUID_CAPACITY entries of 24 bytes each,
//
//   +0 count (u32)  +4 pad  +8 entries…
//   entry: +0 leaf  +4 subleaf  +8 eax  +12 ebx  +16 ecx  +20 edx   (all u32)
//
// Entries are unique per (leaf, subleaf); a (leaf, subleaf) that is absent reads as all zeros.

import { cpuid } from "../../x86/cpuid";

export const HOST_CPUID_CAPACITY: u32 = 96;
export const HOST_CPUID_ENTRY_SIZE: u32 = 24;
/** Bytes a snapshot needs: header + entries. */
export const HOST_CPUID_SIZE: u32 = 8 + HOST_CPUID_CAPACITY * HOST_CPUID_ENTRY_SIZE;

/** One (leaf, subleaf) result; 24 bytes, see the diagram above. */
@unmanaged export class CpuidEntry {
  leaf: u32;
  subleaf: u32;
  eax: u32;
  ebx: u32;
  ecx: u32;
  edx: u32;
}

/** Header of a snapshot; `count` entries follow at +8. */
@unmanaged export class HostCpuid {
  count: u32;
  _pad: u32;
}

/** Address of entry `i`. Invariant: i < HOST_CPUID_CAPACITY (callers bound by count). */
@inline function entryAt(snap: HostCpuid, i: u32): CpuidEntry {
  return changetype<CpuidEntry>(changetype<usize>(snap) + 8 + <usize>i * HOST_CPUID_ENTRY_SIZE);
}

/** The entry for (leaf, subleaf), or null when the snapshot has none. */
export function hostCpuidFind(snap: HostCpuid, leaf: u32, subleaf: u32): CpuidEntry | null {
  const n = min<u32>(snap.count, HOST_CPUID_CAPACITY);
  for (let i: u32 = 0; i < n; i++) {
    const e = entryAt(snap, i);
    if (e.leaf == leaf && e.subleaf == subleaf) return e;
  }
  return null;
}

/** Adds or replaces an entry. False when the snapshot is full. */
export function hostCpuidPut(snap: HostCpuid, leaf: u32, subleaf: u32, eax: u32, ebx: u32, ecx: u32, edx: u32): bool {
  let e = hostCpuidFind(snap, leaf, subleaf);
  if (e === null) {
    if (snap.count >= HOST_CPUID_CAPACITY) return false;
    e = entryAt(snap, snap.count);
    snap.count++;
  }
  e.leaf = leaf;
  e.subleaf = subleaf;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  return true;
}

/** EAX of (leaf, subleaf) … EDX: 0 when absent. */
export function hostEax(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { const e = hostCpuidFind(snap, leaf, subleaf); return e === null ? 0 : e.eax; }
export function hostEbx(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { const e = hostCpuidFind(snap, leaf, subleaf); return e === null ? 0 : e.ebx; }
export function hostEcx(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { const e = hostCpuidFind(snap, leaf, subleaf); return e === null ? 0 : e.ecx; }
export function hostEdx(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { const e = hostCpuidFind(snap, leaf, subleaf); return e === null ? 0 : e.edx; }

/** Basic leaves the snapshot records (the guest never sees more than CPUID_GUEST_MAX_BASIC). */
const SNAP_MAX_BASIC: u32 = 0x1F;
const SNAP_MAX_EXT: u32 = 0x80000008;

function take(snap: HostCpuid, leaf: u32, subleaf: u32): void {
  const r = cpuid(leaf, subleaf);
  hostCpuidPut(snap, leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
}

/**
 * Fills `snap` from this CPU (runs CPUID; not pure). Subleaf enumeration per Table 3-8:
 * leaf 04H until the cache type (EAX[4:0]) is 0, leaf 07H up to EAX of subleaf 0, leaf 0DH
 * subleaves 0..9 (the state components the guest may enable, cpuid.ts XCR0_GUEST_MASK).
 */
export function hostCpuidCapture(snap: HostCpuid): void {
  snap.count = 0;
  const maxBasic = min<u32>(cpuid(0, 0).eax, SNAP_MAX_BASIC);
  for (let leaf: u32 = 0; leaf <= maxBasic; leaf++) {
    if (leaf == 4) {
      for (let sub: u32 = 0; sub < 8; sub++) {
        take(snap, 4, sub);
        if ((hostEax(snap, 4, sub) & 0x1F) == 0) break;
      }
    } else if (leaf == 7) {
      const maxSub = min<u32>(cpuid(7, 0).eax, 1);
      for (let sub: u32 = 0; sub <= maxSub; sub++) take(snap, 7, sub);
    } else if (leaf == 0xD) {
      for (let sub: u32 = 0; sub <= 9; sub++) take(snap, 0xD, sub);
    } else {
      take(snap, leaf, 0);
    }
  }
  const maxExt = min<u32>(cpuid(0x80000000, 0).eax, SNAP_MAX_EXT);
  if (maxExt >= 0x80000000) {
    for (let leaf: u32 = 0x80000000; leaf <= maxExt; leaf++) take(snap, leaf, 0);
  }
}
